/* db: a process-wide pool of MariaDB connections lent to handles only while statements or a
 * transaction run; prepared statements only, cached per connection. */
#ifndef DCGATE_DB_H
#define DCGATE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

enum db_err {
	DB_OK = 0,
	DB_EDOWN = -1,	   /* server unreachable or connection lost: 503 */
	DB_EDUP = -2,	   /* duplicate key */
	DB_ENOTFOUND = -3, /* no row where one was expected */
	DB_EFAIL = -4,	   /* any other error (logged) */
	DB_ENOMEM = -5,
	DB_EFK = -6,	/* foreign key refused the change */
	DB_ERETRY = -7, /* deadlock or lock wait timeout: the transaction was rolled back */
};

/* How many times a save runs when the server picks it as a deadlock victim (or Galera
 * aborts it); each retry after the first waits 5-50 ms (db_begin). */
#define DB_RETRIES 5

struct db;
struct config;

struct db_rows {
	size_t nrows;
	size_t ncols;
	char **cells; /* nrows * ncols, NULL for SQL NULL */
	size_t *lens;
	const char **names; /* column names */
};

/* Change counters kept by the triggers of sql/005_generations.sql (one row per database
 * server since sql/009, read as sums), read in the same round trip as the session or API
 * token, before any data a request reads: a cache entry filled
 * after reading them is at least as new as they say. 0 when unknown (then nothing is
 * cached). */
struct db_gens {
	long long connectors; /* connectors, their category links, endpoint counts */
	long long categories;
};

/* Argument types for the statement helpers: one letter per '?' placeholder.
 *  's' const char * (NULL binds SQL NULL)   'i' long long   'b' const void *, size_t */
/* A handle over the process-wide pool (created on first use from database.* keys). */
int db_open(struct db **out, const struct config *cfg);
void db_close(struct db *db);
/* Ends a request's use of the handle: an open transaction is rolled back, the connection
 * goes back to the pool. */
void db_release(struct db *db);
/* Closes the idle connections of the pool (at exit). */
void db_pool_close(void);

struct db_health {
	int reachable; /* the server answered */
	int query;     /* a real table answered (a non-Primary Galera node refuses with 1047) */
	int galera, synced;
	char cluster_status[32]; /* wsrep_cluster_status on Galera: Primary, non-Primary */
	char node[300];
	char error[256];
};
/* A real query (the change counters) on a connection of its own, bounded by timeout_s; on
 * Galera also whether the node is ready and synced. DB_OK when the database can serve. */
int db_health(const struct config *cfg, long timeout_s, struct db_health *out);
int db_exec(struct db *db, const char *sql, const char *types, ...);
/* Runs a select; rows and cells live in the arena. */
int db_query(struct db *db, struct arena *a, struct db_rows *out, const char *sql,
	     const char *types, ...);
/* Runs a select expected to give at most one row: DB_ENOTFOUND when none. */
int db_query_row(struct db *db, struct arena *a, struct db_rows *out, const char *sql,
		 const char *types, ...);
unsigned long long db_last_id(struct db *db);
unsigned long long db_affected(struct db *db);
/* The caller retries deadlocks and Galera certification conflicts (DB_ERETRY) itself, as a
 * hot row shared by every node does (src/db/rate.c): they are logged at debug level, not as
 * warnings, until called again with 0. */
void db_expect_conflicts(struct db *db, int on);
/* Transactions nest: the outermost db_begin starts one, an inner one sets a savepoint (at
 * most 8 levels). An inner db_commit releases its savepoint (its work commits with the
 * outermost), an inner db_rollback rolls back to it. A failed statement fails the whole
 * transaction: later statements and levels are refused with its error and the outermost
 * commit rolls back and returns it. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
/* Runs fn in a transaction (a level inside the caller's when one is open): commit when fn
 * returns DB_OK, else roll back and return fn's code. The outermost level runs fn again,
 * up to DB_RETRIES times, when the transaction was a deadlock victim (DB_ERETRY): fn must
 * do nothing outside the database that a second run would repeat. */
int db_tx(struct db *db, int (*fn)(struct db *, void *), void *arg);
/* The audit row a save writes inside its own transaction (sql/001 audit_log): kept or
 * refused together with the save. user_id and object_id 0 for none; a create's object_id
 * is the new row's when 0. */
struct db_audit {
	long long user_id;
	const char *username, *action, *object_type;
	long long object_id;
	const char *details, *remote_addr;
};
/* Writes au (NULL: nothing) with object_id when au has none (src/db/sessions.c). */
int db_audit_put(struct db *db, const struct db_audit *au, long long object_id);
/* Runs a whole script of ;-separated statements (migrations only; no user data). */
int db_exec_script(struct db *db, const char *sql, size_t len);
const char *db_errmsg(struct db *db);

/* A result as a flat cache value and back: db_rows_unpack reads one packed result from u
 * into the arena (cells point into u's bytes); DB_EFAIL on a short or broken value. */
void db_rows_pack(struct buf *b, const struct db_rows *r);
int db_rows_unpack(struct arena *a, struct unpack *u, struct db_rows *out);

const char *db_cell(const struct db_rows *r, size_t row, size_t col);
/* Cell by column name; NULL when absent or SQL NULL. */
const char *db_get(const struct db_rows *r, size_t row, const char *name);
/* Cell by column name; "" when absent or SQL NULL. */
const char *db_get_str(const struct db_rows *r, size_t row, const char *name);
long long db_get_ll(const struct db_rows *r, size_t row, const char *name, long long def);

/* Applies pending sql/NNN_*.sql files in order, each in a transaction, recorded in
 * schema_migrations with their SHA-256; a changed applied file is refused. */
int db_migrate(struct db *db, const char *dir, int *applied);

#endif
