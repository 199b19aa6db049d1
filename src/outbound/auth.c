/* Connector authorization on outbound requests: Basic, Bearer, and OAuth 2.0 (password and
 * client credentials grants) with a sealed token cache shared by every process through
 * MySQL, one token fetch per connector at a time across a whole cluster (a lease row,
 * sql/008_token_lease.sql). */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "outbound.h"

#define TOKEN_LOCK_WAIT	 10	    /* s to wait for another worker's fetch */
#define TOKEN_LEASE_TTL	 20	    /* s a lease holds when its owner never gives it back */
#define TOKEN_LEASE_POLL 50	    /* ms between two looks at the cache and the lease */
#define TOKEN_EXPIRY_MAX 315360000L /* 10 years: keeps DATETIME arithmetic sane */
#define TOKEN_ECHO_MAX	 200	    /* longest upstream error text repeated to the user */
#define FINGERPRINT_HEX	 64

const char *const auth_type_names[AUTH__MAX] = {
    [AUTH_NONE] = "none",
    [AUTH_BASIC] = "basic",
    [AUTH_BEARER] = "bearer",
    [AUTH_OAUTH2_PASSWORD] = "oauth2_password",
    [AUTH_OAUTH2_CLIENT_CREDENTIALS] = "oauth2_client_credentials",
};

const char *const auth_type_labels[AUTH__MAX] = {
    [AUTH_NONE] = "No Auth",
    [AUTH_BASIC] = "Basic Auth",
    [AUTH_BEARER] = "Bearer Token",
    [AUTH_OAUTH2_PASSWORD] = "Auth 2.0 Password",
    [AUTH_OAUTH2_CLIENT_CREDENTIALS] = "OAuth 2.0 Client Credentials",
};

int
auth_type_from_name(const char *s)
{
	for (int i = 0; s && i < AUTH__MAX; i++)
		if (strcmp(s, auth_type_names[i]) == 0)
			return i;
	return -1;
}

/* ---- SQL: every statement of the token cache, one table ---- */
enum token_sql { SQL_LEASE_TAKE, SQL_LEASE_MINE, SQL_LEASE_FREE, SQL_READ, SQL_STORE, SQL__MAX };
static const char *const token_sql[SQL__MAX] = {
    /* An absent or expired lease becomes ours; one held by another owner stays as it is
     * (the assignments run left to right: expires_at moves only when owner is now ours). */
    [SQL_LEASE_TAKE] = "INSERT INTO token_leases (connector_id, owner, expires_at) "
		       "VALUES (?, ?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND) "
		       "ON DUPLICATE KEY UPDATE "
		       "owner = IF(expires_at <= UTC_TIMESTAMP(3), VALUES(owner), owner), "
		       "expires_at = IF(owner = VALUES(owner), VALUES(expires_at), expires_at)",
    [SQL_LEASE_MINE] = "SELECT owner = ? AS mine FROM token_leases WHERE connector_id = ?",
    [SQL_LEASE_FREE] = "DELETE FROM token_leases WHERE connector_id = ? AND owner = ?",
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

/* ---- small helpers ---- */

/* application/x-www-form-urlencoded: unreserved kept, space as '+', the rest %XX. */
static void
form_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_putc(b, (char)*p);
		} else if (*p == ' ') {
			buf_putc(b, '+');
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

/* Appends "&name=value" (no '&' first), skipping empty values. */
static void
form_field(struct buf *b, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	if (b->len)
		buf_putc(b, '&');
	buf_puts(b, name);
	buf_putc(b, '=');
	form_encode(b, value);
}

/* "Basic base64(user:pass)" in the arena; NULL on allocation failure. */
static const char *
basic_value(struct arena *a, const char *user, const char *pass)
{
	char *joined = arena_printf(a, "%s:%s", user ? user : "", pass ? pass : "");
	char *b64 = NULL;
	if (!joined || crypt_b64_encode(a, joined, strlen(joined), &b64) != CRYPT_OK)
		return NULL;
	return arena_printf(a, "Basic %s", b64);
}

/* A JSON member as a string (strings as they are, numbers printed); NULL otherwise. */
static const char *
json_str(struct arena *a, struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return NULL;
	return arena_strdup(a, json_object_get_string(v));
}

/* expires_in as a number or a numeric string; 0 when absent or nonsense. */
static long
json_expires_in(struct json_object *o)
{
	struct json_object *v;
	long n = 0;
	if (!json_object_object_get_ex(o, "expires_in", &v))
		return 0;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		n = (long)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_string) &&
		 str_to_long(json_object_get_string(v), 0, TOKEN_EXPIRY_MAX, &n) != CORE_OK)
		n = 0;
	return n < 0 ? 0 : n > TOKEN_EXPIRY_MAX ? TOKEN_EXPIRY_MAX : n;
}

/* s cut to TOKEN_ECHO_MAX bytes, for repeating an upstream's words. */
static const char *
echo_cut(struct arena *a, const char *s)
{
	if (!s)
		return NULL;
	return strlen(s) > TOKEN_ECHO_MAX ? arena_strndup(a, s, TOKEN_ECHO_MAX) : s;
}

/* ---- the token request ---- */

/* The form body for grant; client id/secret go in it unless client_basic. */
static const char *
token_body(struct arena *a, const struct connector_auth *ca, const char *grant,
	   const char *refresh_token)
{
	struct buf b;
	buf_init(&b);
	form_field(&b, "grant_type", grant);
	if (strcmp(grant, "password") == 0) {
		form_field(&b, "username", ca->username);
		form_field(&b, "password", ca->password);
	} else if (strcmp(grant, "refresh_token") == 0) {
		form_field(&b, "refresh_token", refresh_token);
	}
	if (strcmp(grant, "refresh_token") != 0)
		form_field(&b, "scope", ca->scope);
	if (!ca->client_basic) {
		form_field(&b, "client_id", ca->client_id);
		form_field(&b, "client_secret", ca->client_secret);
	}
	char *out = b.failed ? NULL : arena_strndup(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* HTTP Basic client authentication (RFC 6749 2.3.1: id and secret form-encoded first). */
static const char *
client_basic_value(struct arena *a, const struct connector_auth *ca)
{
	struct buf id, secret;
	buf_init(&id);
	buf_init(&secret);
	form_encode(&id, ca->client_id);
	form_encode(&secret, ca->client_secret);
	const char *v = (id.failed || secret.failed) ? NULL
						     : basic_value(a, id.data ? id.data : "",
								   secret.data ? secret.data : "");
	buf_free(&id);
	buf_free(&secret);
	return v;
}

/* Reads the JSON answer of a 2xx into tr; OUT_EAUTH with a message when no token. */
static int
token_parse_ok(struct arena *a, const struct outbound_response *r, struct token_result *tr)
{
	struct json_object *o = json_tokener_parse(r->body ? r->body : "");
	if (o && json_object_is_type(o, json_type_object)) {
		tr->access_token = json_str(a, o, "access_token");
		if (!tr->access_token)
			tr->access_token = json_str(a, o, "token");
		tr->token_type = json_str(a, o, "token_type");
		tr->refresh_token = json_str(a, o, "refresh_token");
		tr->scope = json_str(a, o, "scope");
		tr->expires_in = json_expires_in(o);
	}
	json_object_put(o);
	if (tr->access_token && *tr->access_token)
		return OUT_OK;
	tr->access_token = NULL;
	tr->message =
	    arena_printf(a, "The token endpoint answered %ld but gave no access token.", r->status);
	return OUT_EAUTH;
}

/* "The token endpoint answered 401: invalid_client (description)". */
static int
token_parse_fail(struct arena *a, const struct outbound_response *r, struct token_result *tr)
{
	struct json_object *o = json_tokener_parse(r->body ? r->body : "");
	const char *err = NULL, *desc = NULL;
	if (o && json_object_is_type(o, json_type_object)) {
		err = echo_cut(a, json_str(a, o, "error"));
		desc = echo_cut(a, json_str(a, o, "error_description"));
	}
	json_object_put(o);
	if (err && desc)
		tr->message = arena_printf(a, "The token endpoint answered %ld: %s (%s)", r->status,
					   err, desc);
	else if (err)
		tr->message =
		    arena_printf(a, "The token endpoint answered %ld: %s", r->status, err);
	else
		tr->message = arena_printf(a, "The token endpoint answered %ld %s.", r->status,
					   r->reason ? r->reason : "");
	return OUT_EAUTH;
}

int
outbound_token_request(void *curl, const struct outbound_config *oc, struct arena *a,
		       const struct connector_auth *ca, const char *grant,
		       const char *refresh_token, struct token_result *tr)
{
	struct outbound_header h[4] = {
	    {"Content-Type", "application/x-www-form-urlencoded", 0},
	    {"Accept", "application/json", 0},
	};
	struct outbound_request req = {.method = "POST",
				       .url = ca->token_url,
				       .headers = h,
				       .nheaders = 2,
				       .verify_tls = ca->verify_ssl};
	struct outbound_response r;
	memset(tr, 0, sizeof(*tr));
	if (!ca->token_url || !*ca->token_url) {
		tr->message = "No token URL is set for this connector.";
		return tr->err = OUT_EURL;
	}
	req.body = token_body(a, ca, grant ? grant : "password", refresh_token);
	if (ca->client_basic && ca->client_id && *ca->client_id)
		h[req.nheaders++] =
		    (struct outbound_header){"Authorization", client_basic_value(a, ca), 1};
	if (!req.body || !h[req.nheaders - 1].value) {
		tr->message = "Out of memory.";
		return tr->err = OUT_EOTHER;
	}
	req.body_len = strlen(req.body);
	tr->err = outbound_send(curl, oc, a, &req, &r);
	tr->status = r.status;
	if (tr->err != OUT_OK) {
		tr->message = arena_printf(a, "The token endpoint could not be reached: %s",
					   r.message ? r.message : outbound_strerror(tr->err));
		return tr->err;
	}
	if (r.status >= 200 && r.status < 300 && !r.truncated)
		return tr->err = token_parse_ok(a, &r, tr);
	return tr->err = token_parse_fail(a, &r, tr);
}

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

static const char *
seal_context(struct arena *a, long long connector_id)
{
	return arena_printf(a, "token_cache:%lld", connector_id);
}

/* Opens a sealed cell; NULL when absent, tampered or under an unknown key. */
static const char *
open_cell(const struct crypt_keyring *kr, struct arena *a, const char *ctx, const char *sealed)
{
	char *plain = NULL;
	size_t len = 0;
	if (!sealed || crypt_open(kr, a, ctx, sealed, &plain, &len) != CRYPT_OK)
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
	const char *ctx = seal_context(a, ca->connector_id);
	const char *acc = ctx ? open_cell(kr, a, ctx, db_get(&rows, 0, "access_token")) : NULL;
	if (!acc || strlen(acc) <= FINGERPRINT_HEX || acc[FINGERPRINT_HEX] != ':' ||
	    strncmp(acc, fp, FINGERPRINT_HEX) != 0)
		return DB_OK;
	ct->access = acc + FINGERPRINT_HEX + 1;
	ct->refresh = open_cell(kr, a, ctx, db_get(&rows, 0, "refresh_token"));
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
	const char *ctx = seal_context(a, ca->connector_id);
	const char *plain = arena_printf(a, "%s:%s", fp, tr->access_token);
	const char *refresh = tr->refresh_token ? tr->refresh_token : keep_refresh;
	char *sealed = NULL, *sealed_refresh = NULL;
	if (!ctx || !plain || crypt_seal(kr, a, ctx, plain, strlen(plain), &sealed) != CRYPT_OK ||
	    (refresh &&
	     crypt_seal(kr, a, ctx, refresh, strlen(refresh), &sealed_refresh) != CRYPT_OK)) {
		log_warn("outbound: token for connector %lld not cached (sealing failed)",
			 ca->connector_id);
		return;
	}
	long long exp = tr->expires_in;
	if (db_exec(db, token_sql[SQL_STORE], "isssii", ca->connector_id, sealed, sealed_refresh,
		    tr->token_type && *tr->token_type ? tr->token_type : "Bearer", exp,
		    exp) != DB_OK)
		log_warn("outbound: token for connector %lld not cached: %s", ca->connector_id,
			 db_errmsg(db));
}

/* The connector's token lease for owner: 1 when held (taken now or already ours), 0 when
 * another owner holds it, -1 on a database error. The take is one autocommit statement:
 * two takes through different Galera nodes conflict in certification and the loser is
 * retried by the server (wsrep_retry_autocommit) or fails; reading the owner back tells. */
static int
lease_take(struct db *db, struct arena *a, long long connector_id, const char *owner)
{
	struct db_rows rows;
	if (db_exec(db, token_sql[SQL_LEASE_TAKE], "isi", connector_id, owner,
		    (long long)TOKEN_LEASE_TTL) != DB_OK) {
		/* A lost certification or deadlock: somebody else took it. */
		log_debug("outbound: token lease for connector %lld not taken: %s", connector_id,
			  db_errmsg(db));
	}
	int rc = db_query_row(db, a, &rows, token_sql[SQL_LEASE_MINE], "si", owner, connector_id);
	if (rc == DB_ENOTFOUND)
		return 0; /* freed between the two statements: try again */
	if (rc != DB_OK)
		return -1;
	return db_get_ll(&rows, 0, "mine", 0) == 1;
}

static void
lease_free(struct db *db, long long connector_id, const char *owner)
{
	if (db_exec(db, token_sql[SQL_LEASE_FREE], "is", connector_id, owner) != DB_OK)
		log_warn(
		    "outbound: token lease for connector %lld not given back (expires in %d s)",
		    connector_id, TOKEN_LEASE_TTL);
}

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
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
 * (the data source said 401): only after waiting, and only a token other than the one seen
 * first — another worker's fresh fetch. */
static int
cache_usable(const struct cached_token *ct, int force_new, int after_wait, const char *rejected)
{
	if (!ct->access || !ct->fresh)
		return 0;
	if (!force_new)
		return 1;
	return after_wait && (!rejected || strcmp(ct->access, rejected) != 0);
}

/* Waits for the connector's lease (bounded by TOKEN_LOCK_WAIT), looking at the cache between
 * tries: 1 with a usable token in ct (another worker's fetch), else 0 with *held set when
 * the lease is ours. On a database error or when the wait ends the caller fetches without
 * the lease (logged), as it would without a database. */
static int
lease_wait(struct db *db, const struct crypt_keyring *kr, struct arena *a,
	   const struct connector_auth *ca, const char *fp, const char *owner, int force_new,
	   const char *rejected, struct cached_token *ct, int *held)
{
	long long end = now_ms() + TOKEN_LOCK_WAIT * 1000LL;
	*held = 0;
	for (;;) {
		int mine = lease_take(db, a, ca->connector_id, owner);
		/* Read after the take: a token stored before the lease was given back is seen. */
		if (cache_read(db, kr, a, ca, fp, ct) == DB_OK &&
		    cache_usable(ct, force_new, 1, rejected)) {
			if (mine == 1)
				lease_free(db, ca->connector_id, owner);
			return 1;
		}
		if (mine == 1) {
			*held = 1;
			return 0;
		}
		if (mine < 0)
			return 0;
		if (now_ms() >= end) {
			log_warn("outbound: token lease for connector %lld not granted within %d s",
				 ca->connector_id, TOKEN_LOCK_WAIT);
			return 0;
		}
		sleep_ms(TOKEN_LEASE_POLL);
	}
}

/* An OAuth access token for ca: from the cache, or fetched under the connector's lease so
 * concurrent requests in any process on any node fetch one. With force_new the token seen
 * first counts as rejected; one another worker stored meanwhile is used instead. */
static int
oauth_token(void *curl, const struct outbound_config *oc, struct db *db,
	    const struct crypt_keyring *kr, struct arena *a, const struct connector_auth *ca,
	    int force_new, struct token_result *tr, const char **errmsg)
{
	char fp[FINGERPRINT_HEX + 1];
	struct cached_token ct = {0};
	int cache = db && kr, held = 0, rc;
	const char *rejected = NULL;
	char *owner = NULL;
	memset(tr, 0, sizeof(*tr));
	auth_fingerprint(ca, fp);
	/* Database down: fetch without cache or lease rather than wait on every statement. */
	if (cache && cache_read(db, kr, a, ca, fp, &ct) == DB_EDOWN)
		cache = 0;
	if (cache) {
		rejected = ct.access;
		if (cache_usable(&ct, force_new, 0, NULL))
			goto use_cached;
		if (crypt_token_hex(a, 16, &owner) == CRYPT_OK &&
		    lease_wait(db, kr, a, ca, fp, owner, force_new, rejected, &ct, &held))
			goto use_cached;
	}
	rc = token_fetch(curl, oc, db, kr, a, ca, fp, force_new ? NULL : ct.refresh, cache, tr);
	if (held)
		lease_free(db, ca->connector_id, owner);
	if (rc != OUT_OK)
		*errmsg = tr->message ? tr->message : outbound_strerror((enum outbound_err)rc);
	return rc;
use_cached:
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
outbound_apply_auth(void *curl, const struct outbound_config *oc, struct db *db,
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
		return set_authorization(a, req, basic_value(a, ca->username, ca->password));
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
