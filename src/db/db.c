/* MariaDB access: prepared statements cached per connection, results as arena strings. */
#include <errno.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* Every statement text in the program fits with room to spare (about 130 today). */
#define DB_STMT_CACHE 256

struct db_stmt_slot {
	const char *sql; /* statement text; literals, so the pointer is the key */
	MYSQL_STMT *stmt;
};

struct db {
	MYSQL *conn;
	const struct config *cfg;
	int in_tx;
	unsigned long long last_id;
	unsigned long long affected;
	char errmsg[256];
	struct db_stmt_slot cache[DB_STMT_CACHE];
};

static void
db_drop_cache(struct db *db)
{
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		if (db->cache[i].stmt)
			mysql_stmt_close(db->cache[i].stmt);
		db->cache[i].stmt = NULL;
		db->cache[i].sql = NULL;
	}
}

static void
db_disconnect(struct db *db)
{
	db_drop_cache(db);
	if (db->conn)
		mysql_close(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
}

static int
db_connect(struct db *db)
{
	const struct config *cfg = db->cfg;
	MYSQL *m = mysql_init(NULL);
	if (!m)
		return DB_ENOMEM;
	unsigned int connect_timeout = 2, rw_timeout = 60;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Run by the client library on every connect, reconnects included. Strict mode: an
	 * oversize or invalid value is an error, never a silent truncation. READ COMMITTED
	 * takes no gap locks, so saves of different rows never deadlock on the gaps between
	 * their child rows; every transaction locks what it changes. */
	mysql_options(m, MYSQL_INIT_COMMAND,
		      "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION',"
		      " time_zone='+00:00'");
	mysql_options(m, MYSQL_INIT_COMMAND,
		      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
	const char *sock = config_get(cfg, "database.socket", "");
	const char *host = config_get(cfg, "database.host", "127.0.0.1");
	long port = config_get_long(cfg, "database.port", 3306);
	if (!mysql_real_connect(m, *sock ? "localhost" : host,
				config_get(cfg, "database.user", "dcgate"),
				config_get(cfg, "database.password", ""),
				config_get(cfg, "database.name", "dcgate"), (unsigned)port,
				*sock ? sock : NULL, 0)) {
		snprintf(db->errmsg, sizeof(db->errmsg), "%s", mysql_error(m));
		log_warn("db: connect failed: %s", db->errmsg);
		mysql_close(m);
		return DB_EDOWN;
	}
	db->conn = m;
	return DB_OK;
}

int
db_open(struct db **out, const struct config *cfg)
{
	struct db *db = calloc(1, sizeof(*db));
	if (!db)
		return DB_ENOMEM;
	db->cfg = cfg;
	*out = db;
	return db_connect(db);
}

void
db_close(struct db *db)
{
	if (!db)
		return;
	db_disconnect(db);
	free(db);
}

const char *
db_errmsg(struct db *db)
{
	return db->errmsg;
}

static int
db_is_gone(unsigned int err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
	       err == CR_CONN_HOST_ERROR || err == CR_COMMANDS_OUT_OF_SYNC ||
	       err == 1927 /* ER_CONNECTION_KILLED */ || err == ER_SERVER_SHUTDOWN;
}

/* Maps a MySQL error number to ours; connection loss drops the handle so the next call
 * reconnects. */
static int
db_map_err(struct db *db, unsigned int err, const char *msg)
{
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "");
	if (err == ER_DUP_ENTRY)
		return DB_EDUP;
	if (err == ER_ROW_IS_REFERENCED_2 || err == ER_NO_REFERENCED_ROW_2 ||
	    err == ER_ROW_IS_REFERENCED)
		return DB_EFK;
	if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT) {
		log_warn("db: transaction conflict (%u): %s", err, db->errmsg);
		return DB_ERETRY;
	}
	if (db_is_gone(err)) {
		log_warn("db: connection lost (%u): %s", err, db->errmsg);
		db_disconnect(db);
		return DB_EDOWN;
	}
	log_err("db: error %u: %s", err, db->errmsg);
	return DB_EFAIL;
}

int
db_ensure(struct db *db)
{
	if (db->conn && mysql_ping(db->conn) == 0)
		return DB_OK;
	db_disconnect(db);
	return db_connect(db);
}

static MYSQL_STMT *
db_prepare(struct db *db, const char *sql, int *rc)
{
	size_t h = ((uintptr_t)sql >> 4) % DB_STMT_CACHE;
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		struct db_stmt_slot *s = &db->cache[(h + i) % DB_STMT_CACHE];
		if (s->sql == sql)
			return s->stmt;
		if (s->sql)
			continue;
		MYSQL_STMT *st = mysql_stmt_init(db->conn);
		if (!st) {
			*rc = DB_ENOMEM;
			return NULL;
		}
		if (mysql_stmt_prepare(st, sql, strlen(sql))) {
			*rc = db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
			mysql_stmt_close(st);
			return NULL;
		}
		s->sql = sql;
		s->stmt = st;
		return st;
	}
	/* Cache full: a statement text that is not a literal would land here; fail loudly. */
	log_err("db: statement cache full");
	*rc = DB_EFAIL;
	return NULL;
}

struct db_arg_store {
	long long ints[32];
	unsigned long lens[32];
};

static int
db_bind_args(MYSQL_STMT *st, MYSQL_BIND *binds, struct db_arg_store *store, const char *types,
	     va_list ap)
{
	size_t n = strlen(types);
	if (n > 32 || n != mysql_stmt_param_count(st))
		return DB_EFAIL;
	memset(binds, 0, n * sizeof(*binds));
	for (size_t i = 0; i < n; i++) {
		MYSQL_BIND *b = &binds[i];
		if (types[i] == 'i') {
			store->ints[i] = va_arg(ap, long long);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &store->ints[i];
		} else if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);
			b->buffer_type = s ? MYSQL_TYPE_STRING : MYSQL_TYPE_NULL;
			b->buffer = (void *)s;
			store->lens[i] = s ? strlen(s) : 0;
			b->buffer_length = store->lens[i];
			b->length = &store->lens[i];
		} else if (types[i] == 'b') {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);
			b->buffer_type = p ? MYSQL_TYPE_BLOB : MYSQL_TYPE_NULL;
			b->buffer = (void *)p;
			store->lens[i] = len;
			b->buffer_length = len;
			b->length = &store->lens[i];
		} else {
			return DB_EFAIL;
		}
	}
	if (n && mysql_stmt_bind_param(st, binds))
		return DB_EFAIL;
	return DB_OK;
}

/* Prepares (from cache), binds and executes; retries once on a lost connection outside a
 * transaction, so a restarted server is invisible to the request that finds it. */
static int
db_run(struct db *db, const char *sql, const char *types, va_list ap, MYSQL_STMT **out)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc = DB_OK;
		if (!db->conn && (rc = db_connect(db)) != DB_OK)
			return rc;
		MYSQL_STMT *st = db_prepare(db, sql, &rc);
		if (st) {
			MYSQL_BIND binds[32];
			struct db_arg_store store;
			va_list cp;
			va_copy(cp, ap);
			rc = db_bind_args(st, binds, &store, types, cp);
			va_end(cp);
			if (rc != DB_OK) {
				log_err("db: bad bind for: %s", sql);
				return rc;
			}
			if (mysql_stmt_execute(st) == 0) {
				*out = st;
				return DB_OK;
			}
			rc = db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
		}
		if (rc != DB_EDOWN || db->in_tx || attempt == 1)
			return rc;
		if (db->conn == NULL && db_connect(db) != DB_OK)
			return DB_EDOWN;
	}
	return DB_EDOWN;
}

int
db_exec(struct db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	MYSQL_STMT *st = NULL;
	int rc = db_run(db, sql, types, ap, &st);
	va_end(ap);
	if (rc != DB_OK)
		return rc;
	db->last_id = mysql_stmt_insert_id(st);
	db->affected = mysql_stmt_affected_rows(st);
	mysql_stmt_reset(st);
	return DB_OK;
}

static int
db_fetch_rows(struct db *db, MYSQL_STMT *st, struct arena *a, struct db_rows *out)
{
	memset(out, 0, sizeof(*out));
	if (mysql_stmt_store_result(st))
		return db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	size_t ncols = meta ? mysql_num_fields(meta) : 0;
	size_t nrows = (size_t)mysql_stmt_num_rows(st);
	out->ncols = ncols;
	out->names = arena_alloc(a, (ncols + 1) * sizeof(char *));
	out->cells = arena_alloc(a, (nrows * ncols + 1) * sizeof(char *));
	out->lens = arena_alloc(a, (nrows * ncols + 1) * sizeof(size_t));
	MYSQL_BIND *binds = arena_alloc(a, (ncols + 1) * sizeof(MYSQL_BIND));
	unsigned long *lens = arena_alloc(a, (ncols + 1) * sizeof(unsigned long));
	my_bool *nulls = arena_alloc(a, (ncols + 1) * sizeof(my_bool));
	if (!out->names || !out->cells || !out->lens || !binds || !lens || !nulls) {
		if (meta)
			mysql_free_result(meta);
		return DB_ENOMEM;
	}
	MYSQL_FIELD *fields = meta ? mysql_fetch_fields(meta) : NULL;
	for (size_t c = 0; c < ncols; c++) {
		out->names[c] = arena_strdup(a, fields[c].name);
		binds[c].buffer_type = MYSQL_TYPE_STRING;
		binds[c].length = &lens[c];
		binds[c].is_null = &nulls[c];
	}
	if (meta)
		mysql_free_result(meta);
	if (ncols && mysql_stmt_bind_result(st, binds))
		return db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	size_t r = 0;
	int f;
	while (r < nrows && ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED)) {
		for (size_t c = 0; c < ncols; c++) {
			size_t idx = r * ncols + c;
			if (nulls[c])
				continue;
			char *cell = arena_alloc(a, lens[c] + 1);
			if (!cell)
				return DB_ENOMEM;
			MYSQL_BIND col = {0};
			unsigned long got = 0;
			col.buffer_type = MYSQL_TYPE_STRING;
			col.buffer = cell;
			col.buffer_length = lens[c] + 1;
			col.length = &got;
			if (lens[c] && mysql_stmt_fetch_column(st, &col, (unsigned)c, 0))
				return db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
			cell[lens[c]] = '\0';
			out->cells[idx] = cell;
			out->lens[idx] = lens[c];
		}
		r++;
	}
	out->nrows = r;
	return DB_OK;
}

static int
db_vquery(struct db *db, struct arena *a, struct db_rows *out, const char *sql, const char *types,
	  va_list ap)
{
	MYSQL_STMT *st = NULL;
	int rc = db_run(db, sql, types, ap, &st);
	if (rc != DB_OK)
		return rc;
	rc = db_fetch_rows(db, st, a, out);
	if (db->conn) {
		mysql_stmt_free_result(st);
		mysql_stmt_reset(st);
	}
	return rc;
}

int
db_query(struct db *db, struct arena *a, struct db_rows *out, const char *sql, const char *types,
	 ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = db_vquery(db, a, out, sql, types, ap);
	va_end(ap);
	return rc;
}

int
db_query_row(struct db *db, struct arena *a, struct db_rows *out, const char *sql,
	     const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = db_vquery(db, a, out, sql, types, ap);
	va_end(ap);
	if (rc == DB_OK && out->nrows == 0)
		return DB_ENOTFOUND;
	return rc;
}

unsigned long long
db_last_id(struct db *db)
{
	return db->last_id;
}

unsigned long long
db_affected(struct db *db)
{
	return db->affected;
}

static int
db_simple(struct db *db, const char *sql)
{
	if (!db->conn && db_connect(db) != DB_OK)
		return DB_EDOWN;
	if (mysql_query(db->conn, sql))
		return db_map_err(db, mysql_errno(db->conn), mysql_error(db->conn));
	return DB_OK;
}

int
db_begin(struct db *db)
{
	int rc = db_simple(db, "START TRANSACTION");
	if (rc == DB_EDOWN)
		rc = db_simple(db, "START TRANSACTION");
	if (rc == DB_OK)
		db->in_tx = 1;
	return rc;
}

int
db_commit(struct db *db)
{
	int rc = db_simple(db, "COMMIT");
	db->in_tx = 0;
	return rc;
}

int
db_rollback(struct db *db)
{
	int rc = db->conn ? db_simple(db, "ROLLBACK") : DB_OK;
	db->in_tx = 0;
	return rc;
}

int
db_exec_script(struct db *db, const char *sql, size_t len)
{
	if (!db->conn && db_connect(db) != DB_OK)
		return DB_EDOWN;
	mysql_set_server_option(db->conn, MYSQL_OPTION_MULTI_STATEMENTS_ON);
	int rc = DB_OK;
	if (mysql_real_query(db->conn, sql, len)) {
		rc = db_map_err(db, mysql_errno(db->conn), mysql_error(db->conn));
	} else {
		int status;
		do {
			MYSQL_RES *res = mysql_store_result(db->conn);
			if (res)
				mysql_free_result(res);
			status = mysql_next_result(db->conn);
		} while (status == 0);
		if (status > 0)
			rc = db_map_err(db, mysql_errno(db->conn), mysql_error(db->conn));
	}
	if (db->conn)
		mysql_set_server_option(db->conn, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	return rc;
}

const char *
db_cell(const struct db_rows *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

const char *
db_get(const struct db_rows *r, size_t row, const char *name)
{
	for (size_t c = 0; c < r->ncols; c++)
		if (strcmp(r->names[c], name) == 0)
			return db_cell(r, row, c);
	return NULL;
}

const char *
db_get_str(const struct db_rows *r, size_t row, const char *name)
{
	const char *s = db_get(r, row, name);
	return s ? s : "";
}

long long
db_get_ll(const struct db_rows *r, size_t row, const char *name, long long def)
{
	const char *s = db_get(r, row, name);
	if (!s)
		return def;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	return (errno || *end || end == s) ? def : v;
}

/* ---- cache values: a result packed flat (columns, rows, names, cells; NULL kept) ---- */

void
db_rows_pack(struct buf *b, const struct db_rows *r)
{
	pack_i64(b, (long long)r->ncols);
	pack_i64(b, (long long)r->nrows);
	for (size_t c = 0; c < r->ncols; c++)
		pack_str(b, r->names[c]);
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t c = 0; c < r->ncols; c++)
			pack_str(b, db_cell(r, i, c));
}

int
db_rows_unpack(struct arena *a, struct unpack *u, struct db_rows *out)
{
	long long ncols = unpack_i64(u), nrows = unpack_i64(u);
	memset(out, 0, sizeof(*out));
	if (u->bad || ncols < 0 || nrows < 0 || (size_t)ncols > u->left || (size_t)nrows > u->left)
		return DB_EFAIL;
	size_t cells = (size_t)ncols * (size_t)nrows;
	out->names = arena_alloc(a, ((size_t)ncols + 1) * sizeof(*out->names));
	out->cells = arena_alloc(a, (cells + 1) * sizeof(*out->cells));
	out->lens = arena_alloc(a, (cells + 1) * sizeof(*out->lens));
	if (!out->names || !out->cells || !out->lens)
		return DB_ENOMEM;
	for (long long c = 0; c < ncols; c++)
		out->names[c] = unpack_str(u);
	for (size_t i = 0; i < cells; i++) {
		out->cells[i] = (char *)unpack_str(u);
		out->lens[i] = out->cells[i] ? strlen(out->cells[i]) : 0;
	}
	for (long long c = 0; c < ncols && !u->bad; c++)
		if (!out->names[c])
			u->bad = 1;
	if (u->bad)
		return DB_EFAIL;
	out->ncols = (size_t)ncols;
	out->nrows = (size_t)nrows;
	return DB_OK;
}
