/* db_probe: drives src/db against the real MariaDB of a test run (tests/integration/
 * engine.test.js and transactions.test.js run it). "nested CONF": levels of a transaction
 * (savepoints) commit and roll back on their own, a failed statement fails the whole
 * transaction, and db_tx runs a deadlock victim again from its outermost level.
 * "killed CONF": a transaction whose connection is killed between
 * two statements must fail as a whole, even when its caller ignores an error and goes on:
 * the statements after the loss do not run (they would run in autocommit on a new
 * connection), and COMMIT reports the failure. Prints one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"

static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS db_probe_rows (batch VARCHAR(64) NOT NULL, v INT NOT NULL)";
static const char SQL_ADD[] = "INSERT INTO db_probe_rows (batch, v) VALUES (?, ?)";
static const char SQL_COUNT[] = "SELECT COUNT(*) AS n FROM db_probe_rows WHERE batch = ?";
static const char SQL_ME[] = "SELECT CONNECTION_ID() AS id";

static const char SQL_BAD[] = "INSERT INTO db_probe_rows (batch, v) VALUES (?, NULL)";
/* A deadlock as the server reports it (error 1213), on demand. */
static const char SQL_DEADLOCK[] = "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213";

struct probe {
	struct arena *a;
	char batch[64];
	int runs;	/* how often the outermost function ran */
	int inner_runs; /* how often the inner function ran */
	int fail_at;	/* the run of the inner function that meets a deadlock (0 none, -1 all) */
	int inner_rc;	/* what the inner function returns after its insert */
};

static long long
rows_of(struct db *db, struct arena *a, const char *batch)
{
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL_COUNT, "s", batch);
	return rc == DB_OK ? db_get_ll(&r, 0, "n", -1) : -1;
}

static int
inner_fn(struct db *db, void *arg)
{
	struct probe *p = arg;
	p->inner_runs++;
	int rc = db_exec(db, SQL_ADD, "si", p->batch, 2LL);
	if (rc == DB_OK && (p->fail_at < 0 || p->inner_runs == p->fail_at))
		rc = db_exec_script(db, SQL_DEADLOCK, strlen(SQL_DEADLOCK));
	return rc == DB_OK ? p->inner_rc : rc;
}

static int
outer_fn(struct db *db, void *arg)
{
	struct probe *p = arg;
	p->runs++;
	int rc = db_exec(db, SQL_ADD, "si", p->batch, 1LL);
	if (rc == DB_OK) {
		int inner = db_tx(db, inner_fn, p);
		if (inner == DB_ERETRY)
			return 422; /* a caller that answers a failure its own way */
	}
	if (rc == DB_OK)
		rc = db_exec(db, SQL_ADD, "si", p->batch, 3LL);
	return rc;
}

/* One db_tx of outer_fn over a fresh batch: prints its code, runs and rows. */
static void
probe_tx(struct db *tx, struct db *other, struct probe *p, const char *name, int last)
{
	snprintf(p->batch, sizeof(p->batch), "nested-%s-%ld", name, (long)time_now_us());
	p->runs = p->inner_runs = 0;
	int rc = db_tx(tx, outer_fn, p);
	printf("\"%s\":{\"rc\":%d,\"runs\":%d,\"inner_runs\":%d,\"rows\":%lld}%s", name, rc,
	       p->runs, p->inner_runs, rows_of(other, p->a, p->batch), last ? "}\n" : ",");
}

static int
nested(struct db *tx, struct db *other, struct arena *a)
{
	char batch[64];
	snprintf(batch, sizeof(batch), "nested-%ld", (long)time_now_us());
	/* 1 kept, 2 rolled back to its savepoint, 3 released into the outermost: rows 1 and 3. */
	int b1 = db_begin(tx);
	int e1 = db_exec(tx, SQL_ADD, "si", batch, 1LL);
	int b2 = db_begin(tx);
	int e2 = db_exec(tx, SQL_ADD, "si", batch, 2LL);
	int r2 = db_rollback(tx);
	int b3 = db_begin(tx);
	int e3 = db_exec(tx, SQL_ADD, "si", batch, 3LL);
	int b4 = db_begin(tx); /* three levels deep, released at once */
	int c4 = db_commit(tx);
	int c3 = db_commit(tx);
	int seen = (int)rows_of(other, a, batch); /* nothing visible before the outermost commit */
	int c1 = db_commit(tx);
	printf("{\"levels\":{\"begin\":[%d,%d,%d,%d],\"exec\":[%d,%d,%d],\"rollback\":%d,"
	       "\"commit\":[%d,%d,%d],\"seen_before\":%d,\"rows\":%lld},",
	       b1, b2, b3, b4, e1, e2, e3, r2, c4, c3, c1, seen, rows_of(other, a, batch));

	/* A failed statement in an inner level: the inner rollback cannot save the outermost. */
	snprintf(batch, sizeof(batch), "nested-fail-%ld", (long)time_now_us());
	b1 = db_begin(tx);
	e1 = db_exec(tx, SQL_ADD, "si", batch, 1LL);
	b2 = db_begin(tx);
	e2 = db_exec(tx, SQL_BAD, "s", batch);
	r2 = db_rollback(tx);
	b3 = db_begin(tx);
	e3 = db_exec(tx, SQL_ADD, "si", batch, 3LL);
	c1 = db_commit(tx);
	printf("\"failed\":{\"begin\":[%d,%d,%d],\"exec\":[%d,%d,%d],\"commit\":%d,\"rows\":%lld},",
	       b1, b2, b3, e1, e2, e3, c1, rows_of(other, a, batch));

	struct probe p = {.a = a};
	p.inner_rc = DB_OK; /* all three rows */
	probe_tx(tx, other, &p, "tx_ok", 0);
	p.inner_rc = 422; /* the inner level rolled back (row 2), the outer goes on: 1 and 3 */
	probe_tx(tx, other, &p, "tx_inner_refused", 0);
	p.inner_rc = DB_OK;
	p.fail_at = 1; /* a deadlock in the inner level: the outermost runs again, whole */
	probe_tx(tx, other, &p, "tx_retry", 0);
	p.fail_at = -1; /* a victim every time: DB_RETRIES runs, then the error */
	probe_tx(tx, other, &p, "tx_victim", 1);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "killed") != 0 && strcmp(argv[1], "nested") != 0)) {
		fprintf(stderr, "usage: db_probe killed|nested CONF\n");
		return 2;
	}
	struct config cfg;
	int line = 0;
	if (config_load(&cfg, argv[2], &line) != 0) {
		fprintf(stderr, "db_probe: cannot read %s (line %d)\n", argv[2], line);
		return 2;
	}
	struct db *tx, *other;
	struct arena a;
	arena_init(&a, 4096);
	if (db_open(&tx, &cfg) != DB_OK || db_open(&other, &cfg) != DB_OK ||
	    db_exec_script(other, SQL_CREATE, strlen(SQL_CREATE)) != DB_OK) {
		fprintf(stderr, "db_probe: no database\n");
		return 2;
	}
	if (!strcmp(argv[1], "nested")) {
		int rc = nested(tx, other, &a);
		db_close(tx);
		db_close(other);
		db_pool_close();
		arena_free(&a);
		config_free(&cfg);
		return rc;
	}
	char batch[64];
	snprintf(batch, sizeof(batch), "killed-%ld", (long)time_now_us());
	struct db_rows r;
	int begin = db_begin(tx);
	int first = db_exec(tx, SQL_ADD, "si", batch, 1LL);
	int me = db_query_row(tx, &a, &r, SQL_ME, "");
	long long id = me == DB_OK ? db_get_ll(&r, 0, "id", 0) : 0;
	char kill[64];
	snprintf(kill, sizeof(kill), "KILL CONNECTION %lld", id);
	int killed = db_exec_script(other, kill, strlen(kill));
	int second = db_exec(tx, SQL_ADD, "si", batch, 2LL); /* the loss shows here */
	int third = db_exec(tx, SQL_ADD, "si", batch, 3LL);  /* a careless caller goes on */
	int commit = db_commit(tx);
	int count = db_query_row(other, &a, &r, SQL_COUNT, "s", batch);
	long long rows = count == DB_OK ? db_get_ll(&r, 0, "n", -1) : -1;
	printf("{\"begin\":%d,\"first\":%d,\"killed\":%d,\"second\":%d,\"third\":%d,"
	       "\"commit\":%d,\"rows\":%lld}\n",
	       begin, first, killed, second, third, commit, rows);
	db_close(tx);
	db_close(other);
	db_pool_close();
	arena_free(&a);
	config_free(&cfg);
	return 0;
}
