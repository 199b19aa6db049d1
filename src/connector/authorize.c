/* A connector's authorization applied to a request: Basic, Bearer, and OAuth 2.0 (password
 * and client credentials grants) with a sealed token cache shared by every process through
 * MySQL, one token fetch per connector at a time (GET_LOCK). The token request itself is
 * outbound_token_request; what is cached, and under which sealing context, is decided here. */
#include <string.h>
#include <strings.h>

#include "connector.h"

#define TOKEN_LOCK_WAIT 10 /* s to wait for another worker's fetch (in the SQL) */
#define FINGERPRINT_HEX 64

/* ---- SQL: every statement of the token cache, one table ---- */
enum token_sql { SQL_LOCK, SQL_UNLOCK, SQL_READ, SQL_STORE, SQL__MAX };
static const char *const token_sql[SQL__MAX] = {
    [SQL_LOCK] = "SELECT GET_LOCK(CONCAT('dcgate-token-', ?), 10)",
    [SQL_UNLOCK] = "SELECT RELEASE_LOCK(CONCAT('dcgate-token-', ?))",
    /* Fresh until 30 s before expiry (half the lifetime for tokens shorter than a minute);
     * no expiry known: fresh until the data source answers 401. */
    [SQL_READ] = "SELECT access_token, refresh_token, token_type, "
		 "(expires_at IS NULL OR expires_at > UTC_TIMESTAMP() + INTERVAL "
		 "LEAST(30, TIMESTAMPDIFF(SECOND, fetched_at, expires_at) DIV 2) SECOND) AS fresh "
		 "FROM token_cache WHERE connector_id = ?",
    [SQL_STORE] = "INSERT INTO token_cache (connector_id, access_token, refresh_token, "
		  "token_type, expires_at, fetched_at) VALUES (?, ?, ?, ?, "
		  "IF(? > 0, UTC_TIMESTAMP() + INTERVAL ? SECOND, NULL), UTC_TIMESTAMP()) "
		  "ON DUPLICATE KEY UPDATE access_token = VALUES(access_token), "
		  "refresh_token = VALUES(refresh_token), token_type = VALUES(token_type), "
		  "expires_at = VALUES(expires_at), fetched_at = VALUES(fetched_at)",
};

/* ---- the sealed cache ---- */

struct cached_token {
	const char *access; /* NULL: none usable */
	const char *refresh;
	const char *type;
	int fresh;
};

/* SHA-256 over every setting a token depends on, secrets included: a token fetched with
 * other credentials is never reused. It is stored only inside the sealed value. */
static void
auth_fingerprint(const struct connector_auth *ca, char out[FINGERPRINT_HEX + 1])
{
	const char *parts[] = {auth_type_names[ca->type],
			       ca->token_url,
			       ca->client_id,
			       ca->client_secret,
			       ca->username,
			       ca->password,
			       ca->scope,
			       ca->client_basic ? "basic" : "body",
			       ca->verify_ssl ? "1" : "0"};
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const char *p = parts[i] ? parts[i] : "";
		buf_printf(&b, "%zu:", strlen(p));
		buf_puts(&b, p);
	}
	crypt_sha256_hex(b.data ? b.data : "", b.len, out);
	if (b.data)
		memset(b.data, 0, b.len);
	buf_free(&b);
}

/* Opens a sealed cell of connector id's cache row; NULL when absent, tampered or under an
 * unknown key. */
static const char *
open_cell(const struct crypt_keyring *kr, struct arena *a, long long id, const char *sealed)
{
	char *plain = NULL;
	if (connector_token_open(kr, a, id, sealed, &plain, NULL) != CRYPT_OK)
		return NULL;
	return plain;
}

/* Reads the cached row; a row sealed for other settings (fingerprint) counts as none.
 * Returns the database status (DB_ENOTFOUND when there is no row). */
static int
cache_read(struct db *db, const struct crypt_keyring *kr, struct arena *a,
	   const struct connector_auth *ca, const char *fp, struct cached_token *ct)
{
	struct db_rows rows;
	memset(ct, 0, sizeof(*ct));
	int rc = db_query_row(db, a, &rows, token_sql[SQL_READ], "i", ca->connector_id);
	if (rc != DB_OK)
		return rc;
	const char *acc = open_cell(kr, a, ca->connector_id, db_get(&rows, 0, "access_token"));
	if (!acc || strlen(acc) <= FINGERPRINT_HEX || acc[FINGERPRINT_HEX] != ':' ||
	    strncmp(acc, fp, FINGERPRINT_HEX) != 0)
		return DB_OK;
	ct->access = acc + FINGERPRINT_HEX + 1;
	ct->refresh = open_cell(kr, a, ca->connector_id, db_get(&rows, 0, "refresh_token"));
	ct->type = db_get(&rows, 0, "token_type");
	ct->fresh = db_get_ll(&rows, 0, "fresh", 0) == 1;
	return DB_OK;
}

/* Seals and stores a fetched token; a failure is logged, the token still used. */
static void
cache_store(struct db *db, const struct crypt_keyring *kr, struct arena *a,
	    const struct connector_auth *ca, const char *fp, const struct token_result *tr,
	    const char *keep_refresh)
{
	const char *plain = arena_printf(a, "%s:%s", fp, tr->access_token);
	const char *refresh = tr->refresh_token ? tr->refresh_token : keep_refresh;
	char *sealed = NULL, *sealed_refresh = NULL;
	long long id = ca->connector_id;
	if (!plain || connector_token_seal(kr, a, id, plain, strlen(plain), &sealed) != CRYPT_OK ||
	    (refresh && connector_token_seal(kr, a, id, refresh, strlen(refresh),
					     &sealed_refresh) != CRYPT_OK)) {
		log_warn("connector: token for connector %lld not cached (sealing failed)",
			 ca->connector_id);
		return;
	}
	long long exp = tr->expires_in;
	if (db_exec(db, token_sql[SQL_STORE], "isssii", ca->connector_id, sealed, sealed_refresh,
		    tr->token_type && *tr->token_type ? tr->token_type : "Bearer", exp,
		    exp) != DB_OK)
		log_warn("connector: token for connector %lld not cached: %s", ca->connector_id,
			 db_errmsg(db));
}

/* GET_LOCK for this connector's token; 1 when held, 0 on timeout or error (logged). */
static int
token_lock(struct db *db, struct arena *a, long long connector_id)
{
	struct db_rows rows;
	db_pin(db, 1); /* GET_LOCK belongs to the connection: keep it until the unlock */
	if (db_query_row(db, a, &rows, token_sql[SQL_LOCK], "i", connector_id) != DB_OK) {
		db_pin(db, 0);
		return 0;
	}
	if (rows.ncols < 1 || !db_cell(&rows, 0, 0) || strcmp(db_cell(&rows, 0, 0), "1") != 0) {
		log_warn("connector: token lock for connector %lld not granted within %d s",
			 connector_id, TOKEN_LOCK_WAIT);
		db_pin(db, 0);
		return 0;
	}
	return 1;
}

static void
token_unlock(struct db *db, struct arena *a, long long connector_id)
{
	struct db_rows rows;
	if (db_query_row(db, a, &rows, token_sql[SQL_UNLOCK], "i", connector_id) != DB_OK)
		log_warn("connector: token lock for connector %lld not released", connector_id);
	db_pin(db, 0);
}

static const char *
grant_of(const struct connector_auth *ca)
{
	return ca->type == AUTH_OAUTH2_PASSWORD ? "password" : "client_credentials";
}

/* Fetches a token (refresh grant first when a refresh token is known; the configured grant
 * when the endpoint refuses it) and caches it when cache is set. */
static int
token_fetch(void *curl, const struct outbound_config *oc, struct db *db,
	    const struct crypt_keyring *kr, struct arena *a, const struct connector_auth *ca,
	    const char *fp, const char *refresh, int cache, struct token_result *tr)
{
	int rc = OUT_EAUTH;
	if (refresh)
		rc = outbound_token_request(curl, oc, a, ca, "refresh_token", refresh, tr);
	/* A refused refresh token: the configured grant instead. An unreachable endpoint: no
	 * second wait. */
	if (!refresh || rc == OUT_EAUTH) {
		refresh = NULL;
		rc = outbound_token_request(curl, oc, a, ca, grant_of(ca), NULL, tr);
	}
	if (rc == OUT_OK && cache)
		cache_store(db, kr, a, ca, fp, tr, refresh);
	return rc;
}

/* Whether the cached token may be used. Without force_new: when fresh. With force_new
 * (the data source said 401): only after the lock, and only a token other than the one
 * seen before the lock — another worker's fresh fetch. */
static int
cache_usable(const struct cached_token *ct, int force_new, int after_lock, const char *rejected)
{
	if (!ct->access || !ct->fresh)
		return 0;
	if (!force_new)
		return 1;
	return after_lock && (!rejected || strcmp(ct->access, rejected) != 0);
}

/* An OAuth access token for ca: from the cache, or fetched under the connector's lock so
 * concurrent requests in any process fetch one. With force_new the token seen before the
 * lock counts as rejected; one another worker stored meanwhile is used instead. */
static int
oauth_token(void *curl, const struct outbound_config *oc, struct db *db,
	    const struct crypt_keyring *kr, struct arena *a, const struct connector_auth *ca,
	    int force_new, struct token_result *tr, const char **errmsg)
{
	char fp[FINGERPRINT_HEX + 1];
	struct cached_token ct = {0};
	int cache = db && kr, locked = 0, rc;
	const char *rejected = NULL;
	memset(tr, 0, sizeof(*tr));
	auth_fingerprint(ca, fp);
	/* Database down: fetch without cache or lock rather than wait on every statement. */
	if (cache && cache_read(db, kr, a, ca, fp, &ct) == DB_EDOWN)
		cache = 0;
	if (cache) {
		rejected = ct.access;
		if (cache_usable(&ct, force_new, 0, NULL))
			goto use_cached;
		locked = token_lock(db, a, ca->connector_id);
		cache_read(db, kr, a, ca, fp, &ct);
		if (cache_usable(&ct, force_new, 1, rejected))
			goto use_cached;
	}
	rc = token_fetch(curl, oc, db, kr, a, ca, fp, force_new ? NULL : ct.refresh, cache, tr);
	if (locked)
		token_unlock(db, a, ca->connector_id);
	if (rc != OUT_OK)
		*errmsg = tr->message ? tr->message : outbound_strerror((enum outbound_err)rc);
	return rc;
use_cached:
	if (locked)
		token_unlock(db, a, ca->connector_id);
	tr->access_token = ct.access;
	tr->token_type = ct.type;
	return OUT_OK;
}

/* ---- applying the header ---- */

/* req's headers without any Authorization, plus value as a secret Authorization header. */
static int
set_authorization(struct arena *a, struct outbound_request *req, const char *value)
{
	struct outbound_header *h = arena_alloc(a, (req->nheaders + 1) * sizeof(*h));
	size_t n = 0;
	if (!h || !value)
		return OUT_EOTHER;
	for (size_t i = 0; i < req->nheaders; i++)
		if (!req->headers[i].name || strcasecmp(req->headers[i].name, "Authorization") != 0)
			h[n++] = req->headers[i];
	h[n++] = (struct outbound_header){"Authorization", value, 1};
	req->headers = h;
	req->nheaders = n;
	return OUT_OK;
}

/* "Bearer" for a missing or any-case "bearer" token type, else the type as given. */
static const char *
scheme_of(const char *token_type)
{
	if (!token_type || !*token_type || strcasecmp(token_type, "bearer") == 0)
		return "Bearer";
	return token_type;
}

int
connector_authorize(void *curl, const struct outbound_config *oc, struct db *db,
		    const struct crypt_keyring *kr, struct arena *a,
		    const struct connector_auth *ca, int force_new, struct outbound_request *req,
		    const char **errmsg)
{
	struct token_result tr;
	*errmsg = NULL;
	switch (ca->type) {
	case AUTH_NONE:
		return OUT_OK;
	case AUTH_BASIC:
		if (!ca->username || !*ca->username) {
			*errmsg = "Basic Auth needs a user name.";
			return OUT_EAUTH;
		}
		return set_authorization(a, req,
					 outbound_basic_value(a, ca->username, ca->password));
	case AUTH_BEARER:
		if (!ca->token || !*ca->token) {
			*errmsg = "No token is set for this connector.";
			return OUT_EAUTH;
		}
		return set_authorization(a, req, arena_printf(a, "Bearer %s", ca->token));
	case AUTH_OAUTH2_PASSWORD:
	case AUTH_OAUTH2_CLIENT_CREDENTIALS: {
		int rc = oauth_token(curl, oc, db, kr, a, ca, force_new, &tr, errmsg);
		if (rc != OUT_OK)
			return rc;
		return set_authorization(
		    a, req, arena_printf(a, "%s %s", scheme_of(tr.token_type), tr.access_token));
	}
	default:
		*errmsg = "Unknown authorization method.";
		return OUT_EAUTH;
	}
}
