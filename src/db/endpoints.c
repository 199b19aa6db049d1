/* Endpoints of a connector with their header and query parameter rows (saved together in
 * one transaction that also moves the connector's version on), and the execution log. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "endpoint_fields.h"
#include "endpoints.h"
#include "logs.h"
#include "versions.h"

/* A run's definition: the connector's authorization columns (those of db_connector_auth_get,
 * 28) then the endpoint's (those of db_endpoint_get), by endpoint id or by purpose. */
#define SQL_DEF_COLUMNS                                                                            \
	"SELECT c.id, c.name, c.version, c.auth_type, c.verify_ssl, c.auth_username,"              \
	" c.auth_password, c.auth_token, c.token_url, c.client_id, c.client_secret, c.scope,"      \
	" c.client_auth, c.max_concurrency, c.api_key_name, c.api_key, c.api_key_in,"              \
	" c.allowed_origins, c.token_origin, c.rate_limit, c.aws_region, c.aws_service,"           \
	" c.client_cert, c.client_key, c.client_key_pass, c.auth_url, c.token_params,"             \
	" c.oauth_refresh,"                                                                        \
	" e.id, e.connector_id," ENDPOINT_FIELDS(                                                  \
	    EF_COL) " e.created_at,"                                                               \
		    " e.updated_at"                                                                \
		    " FROM connectors c JOIN endpoints e ON e.connector_id = c.id WHERE c.id = ?"
#define DEF_CONN_COLS 28

enum stmt {
	S_EP_LIST,
	S_EP_GET,
	S_EP_LOCK,
	S_EP_ADD,
	S_EP_SET,
	S_EI_CLEAR,
	S_EI_ADD,
	S_EP_DEL,
	S_EH_CLEAR,
	S_EP_PARAMS_CLEAR,
	S_EH_ADD,
	S_EPP_ADD,
	S_DEF_BY_ID,
	S_DEF_BY_PURPOSE,
	S_DEF_ROWS,
	S_EXEC_LOG,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    [S_EP_LIST] = "SELECT id, purpose, description, method, url, timeout FROM endpoints"
		  " WHERE connector_id = ? ORDER BY id",
    [S_EP_GET] = "SELECT e.id, e.connector_id," ENDPOINT_FIELDS(
	EF_COL) " e.created_at, e.updated_at FROM endpoints e WHERE e.id = ? AND e.connector_id = "
		"?",
    [S_EP_LOCK] = "SELECT id FROM endpoints WHERE id = ? AND connector_id = ? FOR UPDATE",
    [S_EP_ADD] = "INSERT INTO endpoints (" ENDPOINT_FIELDS(
	EF_NAME) " connector_id) VALUES (" ENDPOINT_FIELDS(EF_VAL) " ?)",
    [S_EP_SET] = "UPDATE endpoints SET" ENDPOINT_FIELDS(
	EF_SET) " updated_at = CURRENT_TIMESTAMP WHERE id = ? AND connector_id = ?",
    [S_EI_CLEAR] = "DELETE FROM endpoint_items WHERE endpoint_id = ?",
    [S_EI_ADD] = "INSERT INTO endpoint_items (endpoint_id, kind, position, name, value) VALUES (?, "
		 "?, ?, ?, ?)",
    [S_EP_DEL] = "DELETE FROM endpoints WHERE id = ? AND connector_id = ?",
    [S_EH_CLEAR] = "DELETE FROM endpoint_headers WHERE endpoint_id = ?",
    [S_EP_PARAMS_CLEAR] = "DELETE FROM endpoint_params WHERE endpoint_id = ?",
    [S_EH_ADD] =
	"INSERT INTO endpoint_headers (endpoint_id, position, name, value, description, required)"
	" VALUES (?, ?, ?, ?, ?, ?)",
    [S_EPP_ADD] = "INSERT INTO endpoint_params (endpoint_id, position, name, value, required)"
		  " VALUES (?, ?, ?, ?, ?)",
    [S_DEF_BY_ID] = SQL_DEF_COLUMNS " AND e.id = ?",
    [S_DEF_BY_PURPOSE] = SQL_DEF_COLUMNS " AND e.purpose = ?",
    /* Headers ('h'), query parameters ('p'), map rows ('m') and body fields ('f'), each kind in
     * order ('f' < 'h' < 'm' < 'p'). */
    [S_DEF_ROWS] = "SELECT 'h' AS kind, name, value, description, required, position, id"
		   " FROM endpoint_headers WHERE endpoint_id = ?"
		   " UNION ALL SELECT 'p', name, value, NULL, required, position, id"
		   " FROM endpoint_params WHERE endpoint_id = ?"
		   " UNION ALL SELECT kind, name, value, NULL, 0, position, id"
		   " FROM endpoint_items WHERE endpoint_id = ? ORDER BY kind, position, id",
    [S_EXEC_LOG] =
	"INSERT INTO execution_logs (connector_id, endpoint_id, user_id, token_id, kind, method,"
	" url, status, duration_us, size, error, environment, detail, request_body,"
	" response_body, body_expires_at) VALUES (NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0),"
	" NULLIF(?, 0), ?, ?, LEFT(?, 4096), ?, ?, ?, LEFT(?, 1024), LEFT(?, 64), ?, ?, ?,"
	" IF(? > 0 AND (? IS NOT NULL OR ? IS NOT NULL), UTC_TIMESTAMP() + INTERVAL ? MINUTE,"
	" NULL))",
};

const char *const endpoint_paging_names[PAGING__MAX] = {"none", "page", "offset", "cursor", "link"};
const char *const endpoint_body_type_names[BODY__MAX] = {"raw", "json", "form", "multipart"};

int
endpoint_enum_parse(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* A field's value in row 0 of r (r NULL or the column NULL: def). */
static const char *
db_field_text(const struct db_rows *r, const char *col, const char *def)
{
	const char *v = r ? db_get(r, 0, col) : NULL;
	return v ? v : def;
}

static long
db_field_long(const struct db_rows *r, const char *col, const char *def)
{
	long long d = strtoll(def, NULL, 10);
	return (long)(r ? db_get_ll(r, 0, col, d) : d);
}

static int
db_field_enum(const struct db_rows *r, const char *col, const char *def, const char *const *names,
	      int n)
{
	int e = endpoint_enum_parse(names, n, db_field_text(r, col, def));
	return e < 0 ? endpoint_enum_parse(names, n, def) : e;
}

void
endpoint_defaults(struct endpoint_input *out)
{
	memset(out, 0, sizeof(*out));
	ENDPOINT_FIELDS(EF_DEF)
}

/* Rows (name, value[, description, required]) as endpoint rows in a. */
static int
items_rows(struct arena *a, const struct db_rows *r, const struct endpoint_row **out, size_t *n)
{
	struct endpoint_row *rows = NULL;
	*out = NULL;
	*n = 0;
	if (!r || !r->nrows)
		return 0;
	if (!(rows = arena_alloc(a, r->nrows * sizeof(*rows))))
		return -1;
	for (size_t i = 0; i < r->nrows; i++)
		rows[i] = (struct endpoint_row){db_get_str(r, i, "name"), db_get_str(r, i, "value"),
						db_get_str(r, i, "description"),
						db_get_ll(r, i, "required", 0) != 0};
	*out = rows;
	*n = r->nrows;
	return 0;
}

int
db_endpoint_of(struct arena *a, const struct db_rows *ep, const struct db_rows *headers,
	       const struct db_rows *params, const struct db_rows *maps,
	       const struct db_rows *fields, struct endpoint_input *out)
{
	const struct db_rows *r = ep;
	endpoint_defaults(out);
	ENDPOINT_FIELDS(EF_ROW)
	if (items_rows(a, headers, &out->headers, &out->nheaders) ||
	    items_rows(a, params, &out->params, &out->nparams) ||
	    items_rows(a, maps, &out->rt.maps, &out->rt.nmaps) ||
	    items_rows(a, fields, &out->rt.fields, &out->rt.nfields))
		return -1;
	return 0;
}

/* Row i of an endpoints select as a head (columns absent: "" and 0). */
static void
head_of(const struct db_rows *r, size_t i, struct db_endpoint_head *out)
{
	out->id = db_get_ll(r, i, "id", 0);
	out->purpose = db_get_str(r, i, "purpose");
	out->description = db_get_str(r, i, "description");
	out->method = db_get_str(r, i, "method");
	out->url = db_get_str(r, i, "url");
	out->timeout = (long)db_get_ll(r, i, "timeout", 0);
	out->created_at = db_get_str(r, i, "created_at");
	out->updated_at = db_get_str(r, i, "updated_at");
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

/* Every row of endpoint id in one round trip (S_DEF_ROWS), as views by kind: body fields,
 * headers (name, value, description, required), map rows and query parameters. */
static int
rows_by_kind(struct db *db, struct arena *a, long long id, struct db_rows *fields,
	     struct db_rows *headers, struct db_rows *maps, struct db_rows *params)
{
	struct db_rows rows;
	int rc = db_query(db, a, &rows, SQL[S_DEF_ROWS], "iii", id, id, id);
	if (rc != DB_OK)
		return rc;
	static const char kinds[] = "fhmp";
	struct db_rows *views[] = {fields, headers, maps, params};
	size_t at = 0;
	for (size_t k = 0; k < 4; k++) {
		size_t n = 0;
		while (at + n < rows.nrows && db_cell(&rows, at + n, 0)[0] == kinds[k])
			n++;
		rows_view(&rows, at, n, 0, rows.ncols, views[k]);
		at += n;
	}
	return DB_OK;
}

int
db_endpoint_read(struct db *db, struct arena *a, long long connector_id, long long id,
		 struct endpoint_input *out, struct db_endpoint_head *head)
{
	struct db_rows ep, h, p, m, f;
	int rc = db_endpoint_get(db, a, connector_id, id, &ep);
	if (rc == DB_OK && head)
		head_of(&ep, 0, head);
	if (rc == DB_OK)
		rc = rows_by_kind(db, a, id, &f, &h, &m, &p);
	if (rc == DB_OK && db_endpoint_of(a, &ep, &h, &p, &m, &f, out) != 0)
		rc = DB_ENOMEM;
	return rc;
}

enum endpoint_method
endpoint_method_parse(const char *s)
{
	int i = method_index(s, EP_METHOD__MAX);
	return i < 0 ? EP_METHOD__MAX : (enum endpoint_method)i;
}

int
db_endpoint_list(struct db *db, struct arena *a, long long connector_id,
		 struct db_endpoint_head **out, size_t *n)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_EP_LIST], "i", connector_id);
	*out = NULL;
	*n = 0;
	if (rc != DB_OK)
		return rc;
	if (!(*out = arena_alloc(a, (r.nrows + 1) * sizeof(**out))))
		return DB_ENOMEM;
	for (size_t i = 0; i < r.nrows; i++)
		head_of(&r, i, &(*out)[i]);
	*n = r.nrows;
	return DB_OK;
}

int
db_endpoint_head_get(struct db *db, struct arena *a, long long connector_id, long long id,
		     struct db_endpoint_head *out)
{
	struct db_rows r;
	int rc = db_endpoint_get(db, a, connector_id, id, &r);
	memset(out, 0, sizeof(*out));
	if (rc == DB_OK)
		head_of(&r, 0, out);
	return rc;
}

int
db_endpoint_get(struct db *db, struct arena *a, long long connector_id, long long id,
		struct db_rows *out)
{
	return db_query_row(db, a, out, SQL[S_EP_GET], "ii", id, connector_id);
}

/* An endpoint with its header and parameter rows: what its page, the API and export show. */
int
db_endpoint_load(struct db *db, struct arena *a, long long connector_id, long long id,
		 struct db_rows *ep, struct db_rows *headers, struct db_rows *params)
{
	struct db_rows m, f;
	int rc = db_endpoint_get(db, a, connector_id, id, ep);
	return rc == DB_OK ? rows_by_kind(db, a, id, &f, headers, &m, params) : rc;
}

int
db_endpoint_rows_save(struct db *db, long long id, const struct endpoint_input *in)
{
	int rc = db_exec(db, SQL[S_EH_CLEAR], "i", id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_EP_PARAMS_CLEAR], "i", id);
	for (size_t i = 0; rc == DB_OK && i < in->nheaders; i++) {
		const struct endpoint_row *r = &in->headers[i];
		rc = db_exec(db, SQL[S_EH_ADD], "iisssi", id, (long long)i, r->key, r->value,
			     r->description ? r->description : "", (long long)(r->required != 0));
	}
	for (size_t i = 0; rc == DB_OK && i < in->nparams; i++) {
		const struct endpoint_row *r = &in->params[i];
		rc = db_exec(db, SQL[S_EPP_ADD], "iissi", id, (long long)i, r->key, r->value,
			     (long long)(r->required != 0));
	}
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_EI_CLEAR], "i", id);
	for (size_t i = 0; rc == DB_OK && i < in->rt.nmaps; i++)
		rc = db_exec(db, SQL[S_EI_ADD], "isiss", id, "m", (long long)i, in->rt.maps[i].key,
			     in->rt.maps[i].value ? in->rt.maps[i].value : "");
	for (size_t i = 0; rc == DB_OK && i < in->rt.nfields; i++)
		rc =
		    db_exec(db, SQL[S_EI_ADD], "isiss", id, "f", (long long)i, in->rt.fields[i].key,
			    in->rt.fields[i].value ? in->rt.fields[i].value : "");
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
		rc = db_exec(db, SQL[S_EP_ADD],
			     ENDPOINT_FIELDS(EF_TYPE) "i" ENDPOINT_FIELDS(EF_ARG), s->connector_id);
	if (rc != DB_OK)
		return rc;
	s->id = (long long)db_last_id(db);
	rc = db_endpoint_rows_save(db, s->id, in);
	if (rc == DB_OK)
		rc = db_version_record(db, s->connector_id, s->user_id, VERSION_ENDPOINTS, 0);
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
	int rc = db_query_row(db, &a, &r, SQL[S_EP_LOCK], "ii", id, connector_id);
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
		rc = db_exec(db, SQL[S_EP_SET],
			     ENDPOINT_FIELDS(EF_TYPE) "ii" ENDPOINT_FIELDS(EF_ARG), s->id,
			     s->connector_id);
	if (rc == DB_OK)
		rc = db_endpoint_rows_save(db, s->id, in);
	if (rc == DB_OK)
		rc = db_version_record(db, s->connector_id, s->user_id, VERSION_ENDPOINTS, 0);
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
		rc = db_exec(db, SQL[S_EP_DEL], "ii", s->id, s->connector_id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	if (rc == DB_OK)
		rc = db_version_record(db, s->connector_id, s->user_id, VERSION_ENDPOINTS, 0);
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
	if (rc == DB_OK)
		rc = db_rows_unpack(a, &u, &out->maps);
	if (rc == DB_OK)
		rc = db_rows_unpack(a, &u, &out->fields);
	if (rc == DB_OK && (out->conn.nrows != 1 || out->ep.nrows != 1 || u.left != 0))
		rc = DB_EFAIL;
	return rc;
}

static void
def_pack(struct buf *b, const struct endpoint_def *d)
{
	db_rows_pack(b, &d->conn);
	db_rows_pack(b, &d->ep);
	db_rows_pack(b, &d->headers);
	db_rows_pack(b, &d->params);
	db_rows_pack(b, &d->maps);
	db_rows_pack(b, &d->fields);
}

/* Two round trips: connector and endpoint joined, then the endpoint's rows. */
static int
def_load(struct db *db, struct arena *a, long long cid, long long eid, const char *purpose,
	 struct endpoint_def *out)
{
	struct db_rows r;
	int rc = purpose ? db_query_row(db, a, &r, SQL[S_DEF_BY_PURPOSE], "is", cid, purpose)
			 : db_query_row(db, a, &r, SQL[S_DEF_BY_ID], "ii", cid, eid);
	if (rc != DB_OK)
		return rc;
	if (r.ncols <= DEF_CONN_COLS)
		return DB_EFAIL;
	rows_view(&r, 0, 1, 0, DEF_CONN_COLS, &out->conn);
	rows_view(&r, 0, 1, DEF_CONN_COLS, r.ncols - DEF_CONN_COLS, &out->ep);
	long long id = db_get_ll(&out->ep, 0, "id", 0);
	return rows_by_kind(db, a, id, &out->fields, &out->headers, &out->maps, &out->params);
}

/* ---- db_endpoint_def: one read-through query (core.h) ---- */

struct def_arg {
	struct db *db;
	struct arena *a;
	long long cid, eid;
	const char *purpose;
	struct endpoint_def *out;
};

static int
def_fill(void *arg, struct buf *b)
{
	struct def_arg *x = arg;
	int rc = def_load(x->db, x->a, x->cid, x->eid, x->purpose, x->out);
	if (rc == DB_OK && b)
		def_pack(b, x->out);
	return rc;
}

static int
def_use(void *arg, struct arena *a, const void *val, size_t len)
{
	return def_unpack(a, val, len, ((struct def_arg *)arg)->out);
}

static struct cache_query def_query = {.max_entries = DEF_CACHE_ENTRIES,
				       .max_bytes = DEF_CACHE_BYTES,
				       .fill = def_fill,
				       .use = def_use};

/* The key of an endpoint by purpose or id under the connectors counter; NULL when it is
 * unknown. */
static const char *
def_key(struct arena *a, const struct db_gens *gens, long long cid, long long eid,
	const char *purpose)
{
	if (!gens || gens->connectors <= 0)
		return NULL;
	return purpose ? arena_printf(a, "p|%lld|%lld|%s", gens->connectors, cid, purpose)
		       : arena_printf(a, "i|%lld|%lld|%lld", gens->connectors, cid, eid);
}

int
db_endpoint_def(struct db *db, struct arena *a, const struct db_gens *gens, long long cid,
		long long eid, const char *purpose, struct endpoint_def *out)
{
	memset(out, 0, sizeof(*out));
	struct def_arg x = {db, a, cid, eid, purpose, out};
	int rc = cache_through(&def_query, def_key(a, gens, cid, eid, purpose), a, &x);
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
	long long keep = e->keep_minutes;
	return db_exec(db, SQL[S_EXEC_LOG], "iiiisssiiisssssissi", e->connector_id, e->endpoint_id,
		       e->user_id, e->token_id, e->kind, e->method, e->url ? e->url : "",
		       (long long)e->status, e->duration_us, e->size, e->error ? e->error : "",
		       e->environment ? e->environment : "", e->detail, e->request_body,
		       e->response_body, keep, e->request_body, e->response_body, keep);
}
