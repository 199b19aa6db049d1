/* A connector's authorization columns: read for the Authorization tab and for outbound
 * requests, written with the connector's version (a stale save is refused) together with
 * dropping the cached OAuth token, which the new settings may no longer earn; and the
 * statements of key rotation over the sealed columns and variables. */
#include <string.h>

#include "endpoints.h"
#include "versions.h"

/* The authorization's columns read into struct db_auth_fields: X(member, column, kind), kind
 * T text ("" for NULL), S sealed (NULL for none), N text or NULL. */
#define AUTH_COLUMNS(X)                                                                            \
	X(name, name, T)                                                                           \
	X(auth_type, auth_type, T)                                                                 \
	X(username, auth_username, T)                                                              \
	X(password, auth_password, S)                                                              \
	X(token, auth_token, S)                                                                    \
	X(token_url, token_url, T)                                                                 \
	X(client_id, client_id, T)                                                                 \
	X(client_secret, client_secret, S)                                                         \
	X(scope, scope, T)                                                                         \
	X(client_auth, client_auth, T)                                                             \
	X(api_key_name, api_key_name, T)                                                           \
	X(api_key, api_key, S)                                                                     \
	X(api_key_in, api_key_in, T)                                                               \
	X(allowed_origins, allowed_origins, T)                                                     \
	X(token_origin, token_origin, T)                                                           \
	X(aws_region, aws_region, T)                                                               \
	X(aws_service, aws_service, T)                                                             \
	X(client_cert, client_cert, T)                                                             \
	X(client_key, client_key, S)                                                               \
	X(client_key_pass, client_key_pass, S)                                                     \
	X(auth_url, auth_url, T)                                                                   \
	X(token_params, token_params, T)                                                           \
	X(oauth_refresh, oauth_refresh, S)                                                         \
	X(oauth_subject, oauth_subject, T)                                                         \
	X(oauth_connected_at, oauth_connected_at, N)                                               \
	X(oauth_expires_at, oauth_expires_at, N)
#define AUTH_COL(m, col, k)  " " #col ","
#define AUTH_READ(m, col, k) out->m = AUTH_GET_##k(r, #col);
#define AUTH_GET_T(r, col)   db_get_str(r, 0, col)
#define AUTH_GET_S(r, col)   sealed_of(r, col)
#define AUTH_GET_N(r, col)   db_get(r, 0, col)

enum stmt {
	S_AUTH_GET,
	S_AUTH_SET,
	S_VARS_GET,
	S_VARS_CLEAR,
	S_VAR_ADD,
	S_AUTH_EXISTS,
	S_TOKEN_FORGET,
	S_CONN_TOUCH,
	S_CONN_SECRETS,
	S_CONN_SET,
	S_GRANT_SET,
	S_GRANT_REFRESHED,
	S_STATE_PURGE,
	S_STATE_PUT,
	S_STATE_GET,
	S_STATE_DEL,
	S_VARS_ALL,
	S_VAR_SET,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    /* The columns above, and those the runtime reads from the same row (src/connector/run.c). */
    [S_AUTH_GET] = "SELECT id, version, verify_ssl, max_concurrency, rate_limit," AUTH_COLUMNS(
	AUTH_COL) " (SELECT GROUP_CONCAT(name ORDER BY name SEPARATOR ' ') FROM connector_secrets s"
		  "  WHERE s.connector_id = connectors.id) AS variables"
		  " FROM connectors WHERE id = ?",
    [S_AUTH_SET] =
	"UPDATE connectors SET auth_type = ?, verify_ssl = ?, auth_username = ?,"
	" auth_password = ?, auth_token = ?, token_url = ?, client_id = ?, client_secret = ?,"
	" scope = ?, client_auth = ?, api_key_name = ?, api_key = ?, api_key_in = ?,"
	" allowed_origins = ?, token_origin = ?, aws_region = ?, aws_service = ?,"
	" client_cert = ?, client_key = ?, client_key_pass = ?, auth_url = ?, token_params = ?,"
	" oauth_refresh = IF(?, oauth_refresh, NULL), oauth_subject = IF(?, oauth_subject, ''),"
	" oauth_connected_at = IF(?, oauth_connected_at, NULL),"
	" oauth_expires_at = IF(?, oauth_expires_at, NULL), updated_by = NULLIF(?, 0),"
	" updated_at = CURRENT_TIMESTAMP, version = version + 1 WHERE id = ? AND version = ?",
    [S_VARS_GET] = "SELECT name, value FROM connector_secrets WHERE connector_id = ? ORDER BY name",
    [S_VARS_CLEAR] = "DELETE FROM connector_secrets WHERE connector_id = ?",
    [S_VAR_ADD] = "INSERT INTO connector_secrets (connector_id, name, value) VALUES (?, ?, ?)",
    [S_AUTH_EXISTS] = "SELECT id FROM connectors WHERE id = ?",
    [S_TOKEN_FORGET] = "DELETE FROM token_cache WHERE connector_id = ?",
    [S_CONN_TOUCH] = "UPDATE connectors SET version = version + 1, updated_at = CURRENT_TIMESTAMP,"
		     " updated_by = NULLIF(?, 0) WHERE id = ?",
    /* Key rotation: the rows holding a secret, locked (FOR UPDATE) so that a save in between
     * cannot be sealed under the old key and then overwritten. */
    [S_CONN_SECRETS] =
	"SELECT id, auth_password, auth_token, client_secret, api_key, client_key, oauth_refresh,"
	" client_key_pass FROM connectors WHERE auth_password IS NOT NULL OR auth_token IS NOT NULL"
	" OR client_secret IS NOT NULL OR api_key IS NOT NULL OR client_key IS NOT NULL"
	" OR oauth_refresh IS NOT NULL OR client_key_pass IS NOT NULL FOR UPDATE",
    [S_CONN_SET] =
	"UPDATE connectors SET auth_password = ?, auth_token = ?, client_secret = ?, api_key = ?,"
	" client_key = ?, oauth_refresh = ?, client_key_pass = ? WHERE id = ?",
    [S_GRANT_SET] =
	"UPDATE connectors SET oauth_refresh = ?, oauth_subject = ?,"
	" oauth_connected_at = CURRENT_TIMESTAMP,"
	" oauth_expires_at = IF(? > 0, CURRENT_TIMESTAMP + INTERVAL ? SECOND, NULL) WHERE id = ?",
    [S_GRANT_REFRESHED] =
	"UPDATE connectors SET oauth_refresh = COALESCE(?, oauth_refresh),"
	" oauth_expires_at = IF(? > 0, CURRENT_TIMESTAMP + INTERVAL ? SECOND, NULL) WHERE id = ?",
    [S_STATE_PURGE] = "DELETE FROM oauth_states WHERE expires_at < CURRENT_TIMESTAMP",
    [S_STATE_PUT] =
	"INSERT INTO oauth_states (state_hash, connector_id, user_id, verifier, expires_at)"
	" VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP + INTERVAL ? SECOND)",
    [S_STATE_GET] =
	"SELECT user_id, verifier, expires_at >= CURRENT_TIMESTAMP AS live FROM oauth_states"
	" WHERE state_hash = ? AND connector_id = ? FOR UPDATE",
    [S_STATE_DEL] = "DELETE FROM oauth_states WHERE state_hash = ?",
    [S_VARS_ALL] = "SELECT connector_id, name, value FROM connector_secrets FOR UPDATE",
    [S_VAR_SET] = "UPDATE connector_secrets SET value = ? WHERE connector_id = ? AND name = ?",
};

/* A connector's details, authorization and categories: what the API and export show. */
int
db_connector_load(struct db *db, struct arena *a, long long id, struct connector_full *out)
{
	int rc = db_connector_get(db, a, id, &out->d);
	if (rc == DB_OK)
		rc = db_connector_auth_read(db, a, id, &out->auth);
	if (rc == DB_OK)
		rc = db_connector_categories(db, a, id, &out->cats, &out->ncats);
	return rc;
}

int
db_connector_auth_get(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL[S_AUTH_GET], "i", id);
}

/* A sealed column: NULL when none is stored. */
static const char *
sealed_of(const struct db_rows *r, const char *col)
{
	const char *v = db_get(r, 0, col);
	return v && *v ? v : NULL;
}

int
db_connector_auth_read(struct db *db, struct arena *a, long long id, struct db_auth_fields *out)
{
	struct db_rows rows;
	return db_connector_auth_load(db, a, id, out, &rows);
}

int
db_connector_auth_load(struct db *db, struct arena *a, long long id, struct db_auth_fields *out,
		       struct db_rows *r)
{
	int rc = db_connector_auth_get(db, a, id, r);
	memset(out, 0, sizeof(*out));
	if (rc != DB_OK)
		return rc;
	out->id = db_get_ll(r, 0, "id", 0);
	out->version = db_get_ll(r, 0, "version", 0);
	out->verify_ssl = db_get_ll(r, 0, "verify_ssl", 1) != 0;
	AUTH_COLUMNS(AUTH_READ)
	if (!*out->client_auth)
		out->client_auth = "body";
	out->variables = db_get_str(r, 0, "variables");
	return DB_OK;
}

/* After an UPDATE that matched nothing: stale when the row is still there, else gone. */
static int
auth_missed(struct db *db, long long id)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 512);
	int rc = db_query_row(db, &a, &r, SQL[S_AUTH_EXISTS], "i", id);
	arena_free(&a);
	return rc == DB_OK ? STORE_ESTALE : rc;
}

struct auth_save {
	const struct db_auth_fields *f;
	long long id, version, user_id;
	const struct db_audit *au;
};

static int
auth_save_tx(struct db *db, void *arg)
{
	const struct auth_save *s = arg;
	const struct db_auth_fields *f = s->f;
	long long id = s->id;
	long long keep = f->keep_grant ? 1 : 0;
	int rc = db_exec(
	    db, SQL[S_AUTH_SET], "sissssssssssssssssssssiiiiiii", f->auth_type,
	    (long long)f->verify_ssl, f->username, f->password, f->token, f->token_url,
	    f->client_id, f->client_secret, f->scope, f->client_auth,
	    f->api_key_name ? f->api_key_name : "", f->api_key,
	    f->api_key_in ? f->api_key_in : "header", f->allowed_origins ? f->allowed_origins : "",
	    f->token_origin ? f->token_origin : "", f->aws_region ? f->aws_region : "",
	    f->aws_service ? f->aws_service : "", f->client_cert, f->client_key, f->client_key_pass,
	    f->auth_url ? f->auth_url : "", f->token_params ? f->token_params : "", keep, keep,
	    keep, keep, s->user_id, id, s->version);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = auth_missed(db, id);
	if (rc == DB_OK && f->vars_given) {
		rc = db_exec(db, SQL[S_VARS_CLEAR], "i", id);
		for (size_t i = 0; rc == DB_OK && i < f->nvars; i++)
			rc = db_exec(db, SQL[S_VAR_ADD], "iss", id, f->var_names[i],
				     f->var_values[i]);
	}
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_TOKEN_FORGET], "i", id);
	if (rc == DB_OK)
		rc = db_version_record(db, id, s->user_id, VERSION_AUTHORIZATION, 0);
	return rc == DB_OK ? db_audit_put(db, s->au, id) : rc;
}

int
db_connector_auth_save(struct db *db, long long id, long long version,
		       const struct db_auth_fields *f, long long user_id, const struct db_audit *au)
{
	struct auth_save s = {.f = f, .id = id, .version = version, .user_id = user_id, .au = au};
	return db_tx(db, auth_save_tx, &s);
}

int
db_connector_variables(struct db *db, struct arena *a, long long id, struct db_connector_var **out,
		       size_t *n)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_VARS_GET], "i", id);
	*out = NULL;
	*n = 0;
	if (rc != DB_OK)
		return rc;
	if (!(*out = arena_alloc(a, (r.nrows + 1) * sizeof(**out))))
		return DB_ENOMEM;
	for (size_t i = 0; i < r.nrows; i++)
		(*out)[i] =
		    (struct db_connector_var){db_get_str(&r, i, "name"), db_get(&r, i, "value")};
	*n = r.nrows;
	return DB_OK;
}

int
db_connector_touch(struct db *db, long long id, long long user_id)
{
	int rc = db_exec(db, SQL[S_CONN_TOUCH], "ii", user_id, id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	return rc;
}

int
db_connector_secrets_for_rotation(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL[S_CONN_SECRETS], "");
}

int
db_connector_secrets_reseal(struct db *db, long long id,
			    const char *const vals[DB_CONNECTOR_SEALED_COLUMNS])
{
	return db_exec(db, SQL[S_CONN_SET], "sssssssi", vals[0], vals[1], vals[2], vals[3], vals[4],
		       vals[5], vals[6], id);
}

/* Ends a transaction of one of the small writes below: commit when rc is DB_OK. */
static int
auth_finish(struct db *db, int rc)
{
	if (rc == DB_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

int
db_connector_oauth_grant(struct db *db, long long id, const char *sealed_refresh,
			 const char *subject, long long expires_in)
{
	int rc = db_begin(db);
	if (rc != DB_OK)
		return rc;
	rc = db_exec(db, SQL[S_GRANT_SET], "ssiii", sealed_refresh, subject ? subject : "",
		     expires_in, expires_in, id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = auth_missed(db, id) == STORE_ESTALE ? DB_OK : DB_ENOTFOUND;
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_TOKEN_FORGET], "i", id);
	return auth_finish(db, rc);
}

int
db_connector_oauth_refreshed(struct db *db, long long id, const char *sealed_refresh,
			     long long expires_in)
{
	return db_exec(db, SQL[S_GRANT_REFRESHED], "siii", sealed_refresh, expires_in, expires_in,
		       id);
}

int
db_oauth_state_put(struct db *db, const char *state_hash, long long connector_id, long long user_id,
		   const char *sealed_verifier, long long ttl_s)
{
	int rc = db_exec(db, SQL[S_STATE_PURGE], "");
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_STATE_PUT], "siisi", state_hash, connector_id, user_id,
			     sealed_verifier, ttl_s);
	return rc;
}

int
db_oauth_state_take(struct db *db, struct arena *a, const char *state_hash, long long connector_id,
		    struct db_rows *out)
{
	int rc = db_begin(db);
	if (rc != DB_OK)
		return rc;
	rc = db_query_row(db, a, out, SQL[S_STATE_GET], "si", state_hash, connector_id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_STATE_DEL], "s", state_hash);
	return auth_finish(db, rc);
}

int
db_connector_variables_for_rotation(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL[S_VARS_ALL], "");
}

int
db_connector_variable_reseal(struct db *db, long long id, const char *name, const char *sealed)
{
	return db_exec(db, SQL[S_VAR_SET], "sis", sealed, id, name);
}
