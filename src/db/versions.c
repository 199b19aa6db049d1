/* A connector's version history: the snapshot statement (one INSERT ... SELECT building the
 * JSON in the database, inside the caller's transaction), the list, and a restore. */
#include <string.h>

#include "endpoint_fields.h"
#include "versions.h"

const char *const version_kind_names[VERSION_KIND__MAX] = {
    "created", "details", "authorization", "endpoints", "restore", "import", "environments",
};
const char *const version_kind_labels[VERSION_KIND__MAX] = {
    "Created",	"Details saved", "Authorization saved",	 "Endpoints changed",
    "Restored", "Imported",	 "Environments changed",
};

enum version_kind
version_kind_parse(const char *s)
{
	for (int i = 0; s && i < VERSION_KIND__MAX; i++)
		if (!strcmp(s, version_kind_names[i]))
			return (enum version_kind)i;
	return VERSION_KIND__MAX;
}

/* A subquery's JSON array, "[]" when it has no rows, kept as JSON inside JSON_OBJECT. */
#define JSON_ARR(q) "JSON_EXTRACT(COALESCE((" q "), '[]'), '$')"

#define SNAP_CATEGORIES                                                                            \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('id', k.id, 'name', k.name) ORDER BY k.name)"            \
	" FROM connector_categories cc JOIN categories k ON k.id = cc.category_id"                 \
	" WHERE cc.connector_id = c.id"
#define SNAP_AUTH                                                                                  \
	"JSON_OBJECT('auth_type', c.auth_type, 'verify_ssl', c.verify_ssl,"                        \
	" 'username', c.auth_username, 'token_url', c.token_url, 'client_id', c.client_id,"        \
	" 'scope', c.scope, 'client_auth', c.client_auth, 'api_key_name', c.api_key_name,"         \
	" 'api_key_in', c.api_key_in, 'allowed_origins', c.allowed_origins,"                       \
	" 'token_origin', c.token_origin)"
/* Each secret column as a fingerprint of its sealed text ("" when none is stored). */
#define SNAP_SECRETS                                                                               \
	"JSON_OBJECT('password', IF(c.auth_password IS NULL OR c.auth_password = '', '', "         \
	"LEFT(SHA2(c.auth_password, 256), 16)),"                                                   \
	" 'token', IF(c.auth_token IS NULL OR c.auth_token = '', '', LEFT(SHA2(c.auth_token, "     \
	"256), 16)),"                                                                              \
	" 'client_secret', IF(c.client_secret IS NULL OR c.client_secret = '', '', "               \
	"LEFT(SHA2(c.client_secret, 256), 16)),"                                                   \
	" 'api_key', IF(c.api_key IS NULL OR c.api_key = '', '', LEFT(SHA2(c.api_key, 256), 16)))"
#define SNAP_VARIABLES                                                                             \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('name', CONVERT(s.name USING utf8mb4), 'fingerprint',"   \
	" LEFT(SHA2(s.value, 256), 16)) ORDER BY s.name) FROM connector_secrets s"                 \
	" WHERE s.connector_id = c.id"
#define SNAP_HEADERS                                                                               \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('key', h.name, 'value', h.value,"                        \
	" 'description', h.description, 'required', h.required) ORDER BY h.position, h.id)"        \
	" FROM endpoint_headers h WHERE h.endpoint_id = e.id"
#define SNAP_PARAMS                                                                                \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('key', p.name, 'value', p.value,"                        \
	" 'required', p.required) ORDER BY p.position, p.id)"                                      \
	" FROM endpoint_params p WHERE p.endpoint_id = e.id"
/* Map ('m') and body field ('f') rows. */
#define SNAP_ITEMS(k)                                                                              \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('key', i.name, 'value', i.value) ORDER BY i.position,"   \
	" i.id) FROM endpoint_items i WHERE i.endpoint_id = e.id AND i.kind = '" k "'"
#define SNAP_EP_ROWS " 'headers', " JSON_ARR(SNAP_HEADERS) ", 'params', " JSON_ARR(SNAP_PARAMS)
#define SNAP_EP_ITEMS                                                                              \
	", 'response_map', " JSON_ARR(SNAP_ITEMS("m")) ", 'body_fields', " JSON_ARR(SNAP_ITEMS("f"))
/* Each endpoint: its fields (src/db/endpoint_fields.h) and its rows. */
#define SNAP_ENDPOINTS                                                                             \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('id', e.id," ENDPOINT_FIELDS(EF_SNAP)                    \
	    SNAP_EP_ROWS SNAP_EP_ITEMS                                                             \
	    ") ORDER BY e.id) FROM endpoints e WHERE e.connector_id = c.id"
/* Environments: their id (a restore follows a renamed one), plain fields, plain variables
 * with their values, sealed ones (and the environment's own secrets) as fingerprints. */
#define SNAP_ENV_VARS                                                                              \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('name', CONVERT(v.name USING utf8mb4), 'sealed',"        \
	" v.sealed, 'value', IF(v.sealed, NULL, v.value), 'fingerprint', IF(v.sealed AND"          \
	" v.value IS NOT NULL, LEFT(SHA2(v.value, 256), 16), '')) ORDER BY v.position, v.name)"    \
	" FROM environment_variables v WHERE v.environment_id = ce.id"
#define SNAP_ENVIRONMENTS                                                                          \
	"SELECT JSON_ARRAYAGG(JSON_OBJECT('id', ce.id, 'name', ce.name, 'is_default',"             \
	" ce.is_default,"                                                                          \
	" 'base_url', ce.base_url, 'allowed_origins', ce.allowed_origins,"                         \
	" 'auth_override', ce.auth_override, 'username', ce.auth_username,"                        \
	" 'client_id', ce.client_id, 'token_url', ce.token_url, 'secrets', CONCAT_WS(' ',"         \
	" IF(ce.auth_password IS NULL, NULL, LEFT(SHA2(ce.auth_password, 256), 16)),"              \
	" IF(ce.auth_token IS NULL, NULL, LEFT(SHA2(ce.auth_token, 256), 16)),"                    \
	" IF(ce.api_key IS NULL, NULL, LEFT(SHA2(ce.api_key, 256), 16)),"                          \
	" IF(ce.client_secret IS NULL, NULL, LEFT(SHA2(ce.client_secret, 256), 16))),"             \
	" 'variables', " JSON_ARR(                                                                 \
	    SNAP_ENV_VARS) ") ORDER BY ce.name)"                                                   \
			   " FROM connector_environments ce WHERE ce.connector_id = c.id"
#define SNAPSHOT                                                                                                                 \
	"JSON_OBJECT(" CONNECTOR_FIELDS(F_SNAP) " 'categories', " JSON_ARR(                                                      \
	    SNAP_CATEGORIES) ", 'authorization', " SNAP_AUTH                                                                     \
			     ", 'secrets', " SNAP_SECRETS ", 'variables', " JSON_ARR(SNAP_VARIABLES) ", 'endpoints', " JSON_ARR( \
				 SNAP_ENDPOINTS) ", 'environments', " JSON_ARR(SNAP_ENVIRONMENTS) ")"

enum stmt {
	S_VERSION_ADD,
	S_VERSION_LIST,
	S_VERSION_GET,
	S_RESTORE_CONN,
	S_RESTORE_EXISTS,
	S_RESTORE_CATS,
	S_RESTORE_UNLINK,
	S_RESTORE_LINK,
	S_RESTORE_EP_CLEAR,
	S_RESTORE_EP_ADD,
	S_RESTORE_TOKEN_FORGET,
	S_RESTORE_LAST,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    [S_VERSION_ADD] =
	"INSERT INTO connector_versions (connector_id, n, kind, user_id, username, restored_from,"
	" snapshot) SELECT c.id,"
	" COALESCE((SELECT MAX(v.n) FROM connector_versions v WHERE v.connector_id = c.id), 0) + 1,"
	" ?, NULLIF(?, 0), COALESCE((SELECT u.username FROM users u WHERE u.id = ?), ''),"
	" NULLIF(?, 0), " SNAPSHOT " FROM connectors c WHERE c.id = ?",
    [S_VERSION_LIST] =
	"SELECT n, kind, username, created_at, restored_from, snapshot FROM connector_versions"
	" WHERE connector_id = ? ORDER BY n DESC LIMIT ?",
    [S_VERSION_GET] =
	"SELECT n, kind, username, created_at, restored_from, snapshot FROM connector_versions"
	" WHERE connector_id = ? AND n = ?",
    /* Restore. */
    [S_RESTORE_CONN] = "UPDATE connectors SET" CONNECTOR_FIELDS(
	F_SET) " auth_type = ?, verify_ssl = ?, auth_username = ?, token_url = ?, client_id = ?,"
	       " scope = ?, client_auth = ?, api_key_name = ?, api_key_in = ?,"
	       " updated_by = NULLIF(?, 0), updated_at = CURRENT_TIMESTAMP, version = version + 1"
	       " WHERE id = ? AND (? = 0 OR version = ?)",
    [S_RESTORE_EXISTS] = "SELECT id FROM connectors WHERE id = ?",
    /* The snapshot's categories that may still be assigned: active, or linked now. */
    [S_RESTORE_CATS] =
	"SELECT k.id FROM categories k WHERE k.id IN (SELECT j.id FROM JSON_TABLE(?, '$[*]'"
	" COLUMNS (id BIGINT PATH '$')) AS j) AND (k.status = 'active' OR EXISTS (SELECT 1"
	" FROM connector_categories cc WHERE cc.connector_id = ? AND cc.category_id = k.id))",
    [S_RESTORE_UNLINK] = "DELETE FROM connector_categories WHERE connector_id = ?",
    [S_RESTORE_LINK] = "INSERT INTO connector_categories (connector_id, category_id) VALUES (?, ?)",
    [S_RESTORE_EP_CLEAR] = "DELETE FROM endpoints WHERE connector_id = ?",
    [S_RESTORE_EP_ADD] = "INSERT INTO endpoints (" ENDPOINT_FIELDS(
	EF_NAME) " id, connector_id) VALUES (" ENDPOINT_FIELDS(EF_VAL) " NULLIF(?, 0), ?)",
    [S_RESTORE_TOKEN_FORGET] = "DELETE FROM token_cache WHERE connector_id = ?",
    [S_RESTORE_LAST] = "SELECT MAX(n) AS n FROM connector_versions WHERE connector_id = ?",
};

int
db_version_record(struct db *db, long long connector_id, long long user_id, enum version_kind kind,
		  long long restored_from)
{
	if (kind >= VERSION_KIND__MAX)
		return DB_EFAIL;
	int rc = db_exec(db, SQL[S_VERSION_ADD], "siiii", version_kind_names[kind], user_id,
			 user_id, restored_from, connector_id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	return rc;
}

DB_ROWS_READER(version_rows_of, struct version_row, VERSION_ROW_FIELDS)
DB_ROW_READER(version_row_of, struct version_row, VERSION_ROW_FIELDS)

int
db_version_list(struct db *db, struct arena *a, long long connector_id, long limit,
		struct version_row **rows, size_t *n)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_VERSION_LIST], "ii", connector_id, (long long)limit);
	return version_rows_of(a, rc, &r, rows, n);
}

int
db_version_get(struct db *db, struct arena *a, long long connector_id, long long n,
	       struct version_row *out)
{
	struct db_rows r;
	return version_row_of(db_query_row(db, a, &r, SQL[S_VERSION_GET], "ii", connector_id, n),
			      &r, out);
}

/* The categories the restore links: the snapshot's that may still be assigned, or (none
 * left) the current ones untouched. */
static int
restore_categories(struct db *db, const struct version_restore *r)
{
	struct arena a;
	arena_init(&a, 1024);
	struct buf ids;
	buf_init(&ids);
	buf_puts(&ids, "[");
	for (size_t i = 0; i < r->ncategories; i++)
		buf_printf(&ids, "%s%lld", i ? "," : "", r->category_ids[i]);
	buf_puts(&ids, "]");
	struct db_rows ok;
	int rc = ids.failed
		     ? DB_ENOMEM
		     : db_query(db, &a, &ok, SQL[S_RESTORE_CATS], "si", ids.data, r->connector_id);
	buf_free(&ids);
	if (rc == DB_OK && ok.nrows > 0) {
		rc = db_exec(db, SQL[S_RESTORE_UNLINK], "i", r->connector_id);
		for (size_t i = 0; rc == DB_OK && i < ok.nrows; i++)
			rc = db_exec(db, SQL[S_RESTORE_LINK], "ii", r->connector_id,
				     db_get_ll(&ok, i, "id", 0));
	}
	arena_free(&a);
	return rc;
}

static int
restore_endpoint(struct db *db, const struct version_restore *r, size_t i)
{
	const struct endpoint_input *in = &r->endpoints[i];
	int rc = db_exec(db, SQL[S_RESTORE_EP_ADD],
			 ENDPOINT_FIELDS(EF_TYPE) "ii" ENDPOINT_FIELDS(EF_ARG), r->endpoint_ids[i],
			 r->connector_id);
	if (rc != DB_OK)
		return rc;
	long long id = r->endpoint_ids[i] ? r->endpoint_ids[i] : (long long)db_last_id(db);
	return db_endpoint_rows_save(db, id, in);
}

struct restore_tx {
	const struct version_restore *r;
	long long user_id, *new_n;
};

/* The restore's statements, inside db_tx. */
static int
restore_tx(struct db *db, void *arg)
{
	const struct restore_tx *t = arg;
	const struct version_restore *r = t->r;
	long long user_id = t->user_id, *new_n = t->new_n;
	const struct version_restore *in = r;
	int rc = db_exec(db, SQL[S_RESTORE_CONN],
			 CONNECTOR_FIELDS(F_TYPE) "sisssssssiiii" CONNECTOR_FIELDS(F_ARG),
			 r->auth_type, (long long)(r->verify_ssl != 0), r->username, r->token_url,
			 r->client_id, r->scope, r->client_auth, r->api_key_name, r->api_key_in,
			 user_id, r->connector_id, r->version, r->version);
	if (rc == DB_OK && db_affected(db) == 0) {
		struct arena a;
		struct db_rows x;
		arena_init(&a, 512);
		rc = db_query_row(db, &a, &x, SQL[S_RESTORE_EXISTS], "i", r->connector_id);
		arena_free(&a);
		if (rc == DB_OK)
			rc = STORE_ESTALE;
	}
	if (rc == DB_OK)
		rc = restore_categories(db, r);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_RESTORE_EP_CLEAR], "i", r->connector_id);
	for (size_t i = 0; rc == DB_OK && i < r->nendpoints; i++)
		rc = restore_endpoint(db, r, i);
	if (rc == DB_OK && r->with_environments)
		rc = db_env_restore(db, r->connector_id, r->environments, r->nenvironments);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_RESTORE_TOKEN_FORGET], "i", r->connector_id);
	if (rc == DB_OK)
		rc = db_version_record(db, r->connector_id, user_id, VERSION_RESTORE, r->n);
	if (rc == DB_OK) {
		struct arena a;
		struct db_rows x;
		arena_init(&a, 512);
		rc = db_query_row(db, &a, &x, SQL[S_RESTORE_LAST], "i", r->connector_id);
		if (rc == DB_OK)
			*new_n = db_get_ll(&x, 0, "n", 0);
		arena_free(&a);
	}
	return rc;
}

/* One transaction (run again when the server rolled it back whole as a deadlock victim). */
int
db_version_restore(struct db *db, const struct version_restore *r, long long user_id,
		   long long *new_n)
{
	struct restore_tx t = {r, user_id, new_n};
	return db_tx(db, restore_tx, &t);
}
