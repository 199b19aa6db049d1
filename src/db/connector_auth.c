/* A connector's authorization columns: read for the Authorization tab and for outbound
 * requests, written with the connector's version (a stale save is refused) together with
 * dropping the cached OAuth token, which the new settings may no longer earn; and the
 * statements of key rotation over the sealed columns and variables. */
#include "endpoints.h"

static const char SQL_AUTH_GET[] =
    "SELECT id, name, version, auth_type, verify_ssl, auth_username, auth_password,"
    " auth_token, token_url, client_id, client_secret, scope, client_auth, api_key_name,"
    " api_key, api_key_in, allowed_origins, token_origin,"
    " (SELECT GROUP_CONCAT(name ORDER BY name SEPARATOR ' ') FROM connector_secrets s"
    "  WHERE s.connector_id = connectors.id) AS variables"
    " FROM connectors WHERE id = ?";
static const char SQL_AUTH_SET[] =
    "UPDATE connectors SET auth_type = ?, verify_ssl = ?, auth_username = ?,"
    " auth_password = ?, auth_token = ?, token_url = ?, client_id = ?, client_secret = ?,"
    " scope = ?, client_auth = ?, api_key_name = ?, api_key = ?, api_key_in = ?,"
    " allowed_origins = ?, token_origin = ?, updated_by = NULLIF(?, 0),"
    " updated_at = CURRENT_TIMESTAMP, version = version + 1 WHERE id = ? AND version = ?";
static const char SQL_VARS_GET[] =
    "SELECT name, value FROM connector_secrets WHERE connector_id = ? ORDER BY name";
static const char SQL_VARS_CLEAR[] = "DELETE FROM connector_secrets WHERE connector_id = ?";
static const char SQL_VAR_ADD[] =
    "INSERT INTO connector_secrets (connector_id, name, value) VALUES (?, ?, ?)";
static const char SQL_AUTH_EXISTS[] = "SELECT id FROM connectors WHERE id = ?";
static const char SQL_TOKEN_FORGET[] = "DELETE FROM token_cache WHERE connector_id = ?";
static const char SQL_CONN_TOUCH[] =
    "UPDATE connectors SET version = version + 1, updated_at = CURRENT_TIMESTAMP,"
    " updated_by = NULLIF(?, 0) WHERE id = ?";

/* Key rotation: the rows holding a secret, locked (FOR UPDATE) so that a save in between
 * cannot be sealed under the old key and then overwritten. */
static const char SQL_CONN_SECRETS[] =
    "SELECT id, auth_password, auth_token, client_secret, api_key FROM connectors"
    " WHERE auth_password IS NOT NULL OR auth_token IS NOT NULL OR client_secret IS NOT NULL"
    " OR api_key IS NOT NULL FOR UPDATE";
static const char SQL_CONN_SET[] = "UPDATE connectors SET auth_password = ?, auth_token = ?,"
				   " client_secret = ?, api_key = ? WHERE id = ?";
static const char SQL_VARS_ALL[] =
    "SELECT connector_id, name, value FROM connector_secrets FOR UPDATE";
static const char SQL_VAR_SET[] =
    "UPDATE connector_secrets SET value = ? WHERE connector_id = ? AND name = ?";

/* A connector's details, authorization row and categories: what the API and export show. */
int
db_connector_load(struct db *db, struct arena *a, long long id, struct db_rows *details,
		  struct db_rows *auth, struct db_rows *categories)
{
	int rc = db_connector_get(db, a, id, details);
	if (rc == DB_OK)
		rc = db_connector_auth_get(db, a, id, auth);
	if (rc == DB_OK)
		rc = db_connector_categories(db, a, id, categories);
	return rc;
}

int
db_connector_auth_get(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL_AUTH_GET, "i", id);
}

/* After an UPDATE that matched nothing: stale when the row is still there, else gone. */
static int
auth_missed(struct db *db, long long id)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 512);
	int rc = db_query_row(db, &a, &r, SQL_AUTH_EXISTS, "i", id);
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
	int rc = db_exec(
	    db, SQL_AUTH_SET, "sisssssssssssssiii", f->auth_type, (long long)f->verify_ssl,
	    f->username, f->password, f->token, f->token_url, f->client_id, f->client_secret,
	    f->scope, f->client_auth, f->api_key_name ? f->api_key_name : "", f->api_key,
	    f->api_key_in ? f->api_key_in : "header", f->allowed_origins ? f->allowed_origins : "",
	    f->token_origin ? f->token_origin : "", s->user_id, id, s->version);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = auth_missed(db, id);
	if (rc == DB_OK && f->vars_given) {
		rc = db_exec(db, SQL_VARS_CLEAR, "i", id);
		for (size_t i = 0; rc == DB_OK && i < f->nvars; i++)
			rc = db_exec(db, SQL_VAR_ADD, "iss", id, f->var_names[i], f->var_values[i]);
	}
	if (rc == DB_OK)
		rc = db_exec(db, SQL_TOKEN_FORGET, "i", id);
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
db_connector_variables(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_VARS_GET, "i", id);
}

int
db_connector_touch(struct db *db, long long id, long long user_id)
{
	int rc = db_exec(db, SQL_CONN_TOUCH, "ii", user_id, id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	return rc;
}

int
db_connector_secrets_for_rotation(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL_CONN_SECRETS, "");
}

int
db_connector_secrets_reseal(struct db *db, long long id, const char *password, const char *token,
			    const char *client_secret, const char *api_key)
{
	return db_exec(db, SQL_CONN_SET, "ssssi", password, token, client_secret, api_key, id);
}

int
db_connector_variables_for_rotation(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL_VARS_ALL, "");
}

int
db_connector_variable_reseal(struct db *db, long long id, const char *name, const char *sealed)
{
	return db_exec(db, SQL_VAR_SET, "sis", sealed, id, name);
}
