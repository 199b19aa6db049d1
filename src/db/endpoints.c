/* Endpoints of a connector with their header and query parameter rows (saved together in
 * one transaction that also moves the connector's version on), and the execution log. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "endpoints.h"
#include "logs.h"

const char *const endpoint_method_names[EP_METHOD__MAX] = {
    "GET", "POST", "PUT", "PATCH", "DELETE",
};

static const char SQL_EP_LIST[] =
    "SELECT id, purpose, description, method, url, timeout FROM endpoints"
    " WHERE connector_id = ? ORDER BY id";
static const char SQL_EP_GET[] =
    "SELECT id, connector_id, purpose, description, method, url, timeout, body, sample_data,"
    " created_at, updated_at FROM endpoints WHERE id = ? AND connector_id = ?";
static const char SQL_EP_LOCK[] =
    "SELECT id FROM endpoints WHERE id = ? AND connector_id = ? FOR UPDATE";
static const char SQL_EP_HEADERS[] =
    "SELECT name, value, description, required FROM endpoint_headers"
    " WHERE endpoint_id = ? ORDER BY position, id";
static const char SQL_EP_PARAMS[] = "SELECT name, value, required FROM endpoint_params"
				    " WHERE endpoint_id = ? ORDER BY position, id";
static const char SQL_EP_ADD[] =
    "INSERT INTO endpoints (connector_id, purpose, description, method, url, timeout, body,"
    " sample_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_EP_SET[] =
    "UPDATE endpoints SET purpose = ?, description = ?, method = ?, url = ?, timeout = ?,"
    " body = ?, sample_data = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ? AND connector_id = ?";
static const char SQL_EP_DEL[] = "DELETE FROM endpoints WHERE id = ? AND connector_id = ?";
static const char SQL_EH_CLEAR[] = "DELETE FROM endpoint_headers WHERE endpoint_id = ?";
static const char SQL_EP_PARAMS_CLEAR[] = "DELETE FROM endpoint_params WHERE endpoint_id = ?";
static const char SQL_EH_ADD[] =
    "INSERT INTO endpoint_headers (endpoint_id, position, name, value, description, required)"
    " VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_EPP_ADD[] =
    "INSERT INTO endpoint_params (endpoint_id, position, name, value, required)"
    " VALUES (?, ?, ?, ?, ?)";
/* A run's definition: the connector's authorization columns (those of db_connector_auth_get,
 * 18) then the endpoint's (those of db_endpoint_get), by endpoint id or by purpose. */
#define SQL_DEF_COLUMNS                                                                            \
	"SELECT c.id, c.name, c.version, c.auth_type, c.verify_ssl, c.auth_username,"              \
	" c.auth_password, c.auth_token, c.token_url, c.client_id, c.client_secret, c.scope,"      \
	" c.client_auth, c.max_concurrency, c.api_key_name, c.api_key, c.api_key_in,"              \
	" c.allowed_origins, c.token_origin, e.id, e.connector_id, e.purpose, e.description, "     \
	"e.method, e.url,"                                                                         \
	" e.timeout, e.body, e.sample_data, e.created_at, e.updated_at"                            \
	" FROM connectors c JOIN endpoints e ON e.connector_id = c.id WHERE c.id = ?"
#define DEF_CONN_COLS 19
static const char SQL_DEF_BY_ID[] = SQL_DEF_COLUMNS " AND e.id = ?";
static const char SQL_DEF_BY_PURPOSE[] = SQL_DEF_COLUMNS " AND e.purpose = ?";
/* Headers ('h') then query parameters ('p'), each in order. */
static const char SQL_DEF_ROWS[] =
    "SELECT 'h' AS kind, name, value, description, required, position, id"
    " FROM endpoint_headers WHERE endpoint_id = ?"
    " UNION ALL SELECT 'p', name, value, NULL, required, position, id"
    " FROM endpoint_params WHERE endpoint_id = ? ORDER BY kind, position, id";
static const char SQL_EXEC_LOG[] =
    "INSERT INTO execution_logs (connector_id, endpoint_id, user_id, token_id, kind, method,"
    " url, status, duration_us, size, error) VALUES (NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0),"
    " NULLIF(?, 0), ?, ?, LEFT(?, 4096), ?, ?, ?, LEFT(?, 1024))";

enum endpoint_method
endpoint_method_parse(const char *s)
{
	for (int i = 0; s && i < EP_METHOD__MAX; i++)
		if (strcmp(s, endpoint_method_names[i]) == 0)
			return (enum endpoint_method)i;
	return EP_METHOD__MAX;
}

int
db_endpoint_list(struct db *db, struct arena *a, long long connector_id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_EP_LIST, "i", connector_id);
}

int
db_endpoint_get(struct db *db, struct arena *a, long long connector_id, long long id,
		struct db_rows *out)
{
	return db_query_row(db, a, out, SQL_EP_GET, "ii", id, connector_id);
}

/* An endpoint with its header and parameter rows: what its page, the API and export show. */
int
db_endpoint_load(struct db *db, struct arena *a, long long connector_id, long long id,
		 struct db_rows *ep, struct db_rows *headers, struct db_rows *params)
{
	int rc = db_endpoint_get(db, a, connector_id, id, ep);
	if (rc == DB_OK)
		rc = db_endpoint_headers(db, a, id, headers);
	if (rc == DB_OK)
		rc = db_endpoint_params(db, a, id, params);
	return rc;
}

int
db_endpoint_headers(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_EP_HEADERS, "i", id);
}

int
db_endpoint_params(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_EP_PARAMS, "i", id);
}

/* Replaces the endpoint's rows; the caller owns the transaction. */
static int
endpoint_rows_save(struct db *db, long long id, const struct endpoint_input *in)
{
	int rc = db_exec(db, SQL_EH_CLEAR, "i", id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_PARAMS_CLEAR, "i", id);
	for (size_t i = 0; rc == DB_OK && i < in->nheaders; i++) {
		const struct endpoint_row *r = &in->headers[i];
		rc = db_exec(db, SQL_EH_ADD, "iisssi", id, (long long)i, r->key, r->value,
			     r->description ? r->description : "", (long long)(r->required != 0));
	}
	for (size_t i = 0; rc == DB_OK && i < in->nparams; i++) {
		const struct endpoint_row *r = &in->params[i];
		rc = db_exec(db, SQL_EPP_ADD, "iissi", id, (long long)i, r->key, r->value,
			     (long long)(r->required != 0));
	}
	return rc;
}

struct endpoint_save {
	const struct endpoint_input *in;
	long long connector_id, id, user_id;
	const struct db_audit *au;
};

static int
endpoint_create_tx(struct db *db, void *arg)
{
	struct endpoint_save *s = arg;
	const struct endpoint_input *in = s->in;
	int rc = db_connector_touch(db, s->connector_id, s->user_id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_ADD, "issssiss", s->connector_id, in->purpose,
			     in->description, endpoint_method_names[in->method], in->url,
			     (long long)in->timeout, in->body, in->sample_data);
	if (rc != DB_OK)
		return rc;
	s->id = (long long)db_last_id(db);
	rc = endpoint_rows_save(db, s->id, in);
	return rc == DB_OK ? db_audit_put(db, s->au, s->id) : rc;
}

int
db_endpoint_create(struct db *db, long long connector_id, const struct endpoint_input *in,
		   long long user_id, long long *id, const struct db_audit *au)
{
	struct endpoint_save s = {
	    .in = in, .connector_id = connector_id, .user_id = user_id, .au = au};
	int rc = db_tx(db, endpoint_create_tx, &s);
	*id = s.id;
	return rc;
}

/* Locks the endpoint row for this transaction; DB_ENOTFOUND when it is not there. */
static int
endpoint_lock(struct db *db, long long connector_id, long long id)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 512);
	int rc = db_query_row(db, &a, &r, SQL_EP_LOCK, "ii", id, connector_id);
	arena_free(&a);
	return rc;
}

static int
endpoint_update_tx(struct db *db, void *arg)
{
	struct endpoint_save *s = arg;
	const struct endpoint_input *in = s->in;
	int rc = db_connector_touch(db, s->connector_id, s->user_id);
	if (rc == DB_OK)
		rc = endpoint_lock(db, s->connector_id, s->id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_SET, "ssssissii", in->purpose, in->description,
			     endpoint_method_names[in->method], in->url, (long long)in->timeout,
			     in->body, in->sample_data, s->id, s->connector_id);
	if (rc == DB_OK)
		rc = endpoint_rows_save(db, s->id, in);
	return rc == DB_OK ? db_audit_put(db, s->au, s->id) : rc;
}

int
db_endpoint_update(struct db *db, long long connector_id, long long id,
		   const struct endpoint_input *in, long long user_id, const struct db_audit *au)
{
	struct endpoint_save s = {
	    .in = in, .connector_id = connector_id, .id = id, .user_id = user_id, .au = au};
	return db_tx(db, endpoint_update_tx, &s);
}

static int
endpoint_delete_tx(struct db *db, void *arg)
{
	struct endpoint_save *s = arg;
	int rc = db_connector_touch(db, s->connector_id, s->user_id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_DEL, "ii", s->id, s->connector_id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	return rc;
}

int
db_endpoint_delete(struct db *db, long long connector_id, long long id, long long user_id)
{
	struct endpoint_save s = {.connector_id = connector_id, .id = id, .user_id = user_id};
	return db_tx(db, endpoint_delete_tx, &s);
}

/* ------------------------------------------------------- a run's definition */

/* Entries of this process: a few hundred endpoints, each a few KB at most. */
#define DEF_CACHE_ENTRIES 512
#define DEF_CACHE_BYTES	  (8u << 20)

static struct cache *def_cache;
static pthread_once_t def_cache_once = PTHREAD_ONCE_INIT;

static void
def_cache_free(void)
{
	cache_free(def_cache);
	def_cache = NULL;
}

static void
def_cache_init(void)
{
	def_cache = cache_new(DEF_CACHE_ENTRIES, DEF_CACHE_BYTES);
	atexit(def_cache_free);
}

/* A view of some columns (or some rows) of r: cells are shared, nothing is copied. */
static void
rows_view(const struct db_rows *r, size_t row0, size_t nrows, size_t col0, size_t ncols,
	  struct db_rows *out)
{
	out->nrows = nrows;
	out->ncols = ncols;
	out->cells = r->cells + row0 * r->ncols + col0;
	out->lens = r->lens + row0 * r->ncols + col0;
	out->names = r->names + col0;
}

static int
def_unpack(struct arena *a, const void *val, size_t len, struct endpoint_def *out)
{
	struct unpack u = {val, len, 0};
	int rc = db_rows_unpack(a, &u, &out->conn);
	if (rc == DB_OK)
		rc = db_rows_unpack(a, &u, &out->ep);
	if (rc == DB_OK)
		rc = db_rows_unpack(a, &u, &out->headers);
	if (rc == DB_OK)
		rc = db_rows_unpack(a, &u, &out->params);
	if (rc == DB_OK && (out->conn.nrows != 1 || out->ep.nrows != 1 || u.left != 0))
		rc = DB_EFAIL;
	return rc;
}

static void
def_put(const char *key, const struct endpoint_def *d)
{
	struct buf b;
	buf_init(&b);
	db_rows_pack(&b, &d->conn);
	db_rows_pack(&b, &d->ep);
	db_rows_pack(&b, &d->headers);
	db_rows_pack(&b, &d->params);
	if (!b.failed)
		cache_put(def_cache, key, b.data, b.len);
	buf_free(&b);
}

/* Two round trips: connector and endpoint joined, then the endpoint's rows. */
static int
def_load(struct db *db, struct arena *a, long long cid, long long eid, const char *purpose,
	 struct endpoint_def *out)
{
	struct db_rows r, rows;
	int rc = purpose ? db_query_row(db, a, &r, SQL_DEF_BY_PURPOSE, "is", cid, purpose)
			 : db_query_row(db, a, &r, SQL_DEF_BY_ID, "ii", cid, eid);
	if (rc != DB_OK)
		return rc;
	if (r.ncols <= DEF_CONN_COLS)
		return DB_EFAIL;
	rows_view(&r, 0, 1, 0, DEF_CONN_COLS, &out->conn);
	rows_view(&r, 0, 1, DEF_CONN_COLS, r.ncols - DEF_CONN_COLS, &out->ep);
	long long id = db_get_ll(&out->ep, 0, "id", 0);
	if ((rc = db_query(db, a, &rows, SQL_DEF_ROWS, "ii", id, id)) != DB_OK)
		return rc;
	size_t nh = 0;
	while (nh < rows.nrows && strcmp(db_cell(&rows, nh, 0), "h") == 0)
		nh++;
	rows_view(&rows, 0, nh, 0, rows.ncols, &out->headers);
	rows_view(&rows, nh, rows.nrows - nh, 0, rows.ncols, &out->params);
	return DB_OK;
}

int
db_endpoint_def(struct db *db, struct arena *a, const struct db_gens *gens, long long cid,
		long long eid, const char *purpose, struct endpoint_def *out)
{
	const char *key = NULL;
	void *val;
	size_t len;
	memset(out, 0, sizeof(*out));
	if (gens && gens->connectors > 0) {
		pthread_once(&def_cache_once, def_cache_init);
		key = purpose ? arena_printf(a, "p|%lld|%lld|%s", gens->connectors, cid, purpose)
			      : arena_printf(a, "i|%lld|%lld|%lld", gens->connectors, cid, eid);
	}
	int rc = DB_EFAIL;
	if (key && def_cache && cache_get(def_cache, key, a, &val, &len) == CORE_OK)
		rc = def_unpack(a, val, len, out);
	if (rc != DB_OK && (rc = def_load(db, a, cid, eid, purpose, out)) == DB_OK && key &&
	    def_cache)
		def_put(key, out);
	if (rc != DB_OK)
		return rc;
	/* The unique key's collation also matches accents and trailing blanks: a purpose is
	 * the same one when it is equal but for ASCII case. */
	const char *got = db_get(&out->ep, 0, "purpose");
	if (purpose && (!got || strcasecmp(got, purpose) != 0))
		return DB_ENOTFOUND;
	return DB_OK;
}

/* -------------------------------------------------------------- execution log */

int
db_execution_log(struct db *db, const struct db_execution *e)
{
	if (db_log_writer_enqueue(e) == DB_OK)
		return DB_OK;
	return db_exec(db, SQL_EXEC_LOG, "iiiisssiiis", e->connector_id, e->endpoint_id, e->user_id,
		       e->token_id, e->kind, e->method, e->url ? e->url : "", (long long)e->status,
		       e->duration_us, e->size, e->error ? e->error : "");
}
