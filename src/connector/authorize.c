/* A connector's authorization applied to a request: Basic, Bearer, and OAuth 2.0 (password
 * and client credentials grants) with a sealed token cache shared by every process through
 * MySQL, one token fetch per connector at a time across a whole cluster (a lease row,
 * sql/008_token_lease.sql, which Galera certifies). The token request itself is
 * outbound_token_request; what is cached, and under which sealing context, is decided here. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../db/endpoints.h"
#include "../db/token_cache.h"
#include "../tmpl/tmpl.h"
#include "connector.h"

#define TOKEN_LOCK_WAIT	 10 /* s to wait for another worker's fetch */
#define TOKEN_LEASE_TTL	 20 /* s a lease holds when its owner never gives it back */
#define TOKEN_LEASE_POLL 50 /* ms between two looks at the cache and the lease */
#define FINGERPRINT_HEX	 64

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
			       ca->verify_ssl ? "1" : "0",
			       ca->token_params,
			       ca->auth_url};
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
	int rc = db_token_cache_read(db, a, ca->connector_id, &rows);
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
	if (db_token_cache_store(db, ca->connector_id, sealed, sealed_refresh,
				 tr->token_type && *tr->token_type ? tr->token_type : "Bearer",
				 exp) != DB_OK)
		log_warn("connector: token for connector %lld not cached: %s", ca->connector_id,
			 db_errmsg(db));
}

/* The connector's token lease for owner: 1 when held (taken now or already ours), 0 when
 * another owner holds it, -1 on a database error. The take is one autocommit statement:
 * two takes through different Galera nodes conflict in certification and the loser is
 * retried by the server (wsrep_retry_autocommit) or fails; reading the owner back tells. */
static int
lease_take(struct db *db, struct arena *a, long long connector_id, const char *owner)
{
	int mine = 0;
	if (db_token_lease_take(db, connector_id, owner, (long long)TOKEN_LEASE_TTL) != DB_OK)
		log_debug("connector: token lease for connector %lld not taken: %s", connector_id,
			  db_errmsg(db));
	int rc = db_token_lease_mine(db, a, connector_id, owner, &mine);
	if (rc == DB_ENOTFOUND)
		return 0; /* freed between the two statements: try again */
	if (rc != DB_OK)
		return -1;
	return mine;
}

static void
lease_free(struct db *db, long long connector_id, const char *owner)
{
	if (db_token_lease_free(db, connector_id, owner) != DB_OK)
		log_warn(
		    "connector: token lease for connector %lld not given back (expires in %d s)",
		    connector_id, TOKEN_LEASE_TTL);
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

/* An Authorization Code refresh that answered: a rotated refresh token is kept (sealed)
 * in place of the old one, with the new expiry. */
static void
grant_refreshed(struct db *db, const struct crypt_keyring *kr, struct arena *a,
		const struct connector_auth *ca, const struct token_result *tr)
{
	char *sealed = NULL;
	if (!db || !kr)
		return;
	if (tr->refresh_token && *tr->refresh_token &&
	    connector_secret_seal(kr, a, ca->connector_id, CONNECTOR_SECRET_OAUTH_REFRESH,
				  tr->refresh_token, strlen(tr->refresh_token),
				  &sealed) != CRYPT_OK) {
		log_warn("connector: new refresh token of connector %lld not kept (sealing failed)",
			 ca->connector_id);
		return;
	}
	if (db_connector_oauth_refreshed(db, ca->connector_id, sealed, tr->expires_in) != DB_OK)
		log_warn("connector: new refresh token of connector %lld not kept: %s",
			 ca->connector_id, db_errmsg(db));
}

/* Fetches a token (refresh grant first when a refresh token is known; the configured grant
 * when the endpoint refuses it) and caches it when cache is set. Authorization Code has no
 * grant of its own to fall back to: its refresh token (the cached one, else the connected
 * grant's) is all there is. */
static int
token_fetch(void *curl, const struct outbound_config *oc, struct db *db,
	    const struct crypt_keyring *kr, struct arena *a, const struct connector_auth *ca,
	    const char *fp, const char *refresh, int cache, struct token_result *tr)
{
	int rc = OUT_EAUTH;
	if (ca->type == AUTH_OAUTH2_AUTHORIZATION_CODE) {
		if (!refresh)
			refresh = ca->refresh_token;
		if (!refresh || !*refresh) {
			memset(tr, 0, sizeof(*tr));
			tr->message = "This Data Connector is not connected: press Connect on the "
				      "Authorization tab.";
			return tr->err = OUT_EAUTH;
		}
		rc = outbound_token_request(curl, oc, a, ca, "refresh_token", refresh, tr);
		if (rc == OUT_EAUTH && tr->status >= 400)
			tr->message = arena_printf(a,
						   "%s The grant may have been revoked: press "
						   "Connect on the Authorization tab again.",
						   tr->message ? tr->message : "");
		if (rc == OUT_OK) {
			grant_refreshed(db, kr, a, ca, tr);
			if (cache)
				cache_store(db, kr, a, ca, fp, tr, refresh);
		}
		return rc;
	}
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
 * the lease (logged), as it would without a database. No connection is held while waiting. */
static int
lease_wait(struct db *db, const struct crypt_keyring *kr, struct arena *a,
	   const struct connector_auth *ca, const char *fp, const char *owner, int force_new,
	   const char *rejected, struct cached_token *ct, int *held)
{
	int64_t end = time_now_us() + TOKEN_LOCK_WAIT * 1000000LL;
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
		if (time_now_us() >= end) {
			log_warn(
			    "connector: token lease for connector %lld not granted within %d s",
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

/* req's headers plus name: value as a secret header (one of that name replaced). */
static int
set_header(struct arena *a, struct outbound_request *req, const char *name, const char *value)
{
	struct outbound_header *h = arena_alloc(a, (req->nheaders + 1) * sizeof(*h));
	size_t n = 0;
	if (!h || !value)
		return OUT_EOTHER;
	for (size_t i = 0; i < req->nheaders; i++)
		if (!req->headers[i].name || strcasecmp(req->headers[i].name, name) != 0)
			h[n++] = req->headers[i];
	h[n++] = (struct outbound_header){name, value, 1};
	req->headers = h;
	req->nheaders = n;
	return OUT_OK;
}

/* The API key in a header of its name, or appended to the query (percent-encoded). */
static int
set_api_key(struct arena *a, const struct connector_auth *ca, struct outbound_request *req,
	    const char **errmsg)
{
	if (!ca->api_key_name || !*ca->api_key_name || !ca->api_key || !*ca->api_key) {
		*errmsg = "No API key is set for this connector.";
		return OUT_EAUTH;
	}
	if (!ca->api_key_query)
		return set_header(a, req, ca->api_key_name, ca->api_key);
	struct buf b;
	const char *url = req->url ? req->url : "";
	size_t len = strcspn(url, "#");
	buf_init(&b);
	buf_append(&b, url, len);
	if (len && url[len - 1] != '?' && url[len - 1] != '&')
		buf_putc(&b, memchr(url, '?', len) ? '&' : '?');
	tmpl_escape_append(&b, TMPL_ESC_URL, ca->api_key_name, strlen(ca->api_key_name));
	buf_putc(&b, '=');
	tmpl_escape_append(&b, TMPL_ESC_URL, ca->api_key, strlen(ca->api_key));
	buf_puts(&b, url + len);
	req->url = b.failed ? NULL : arena_strdup(a, b.data);
	buf_free(&b);
	return req->url ? OUT_OK : OUT_EOTHER;
}

/* 1 when s is a region or service name of AWS: 1-64 of a-z 0-9 - _. */
static int
aws_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return 0;
	return 1;
}

/* Digest, AWS SigV4 or the client certificate: credentials curl applies (outbound_cred). */
static int
set_cred(struct arena *a, const struct connector_auth *ca, struct outbound_request *req,
	 const char **errmsg)
{
	struct outbound_cred *cr = arena_alloc(a, sizeof(*cr));
	if (!cr)
		return OUT_EOTHER;
	memset(cr, 0, sizeof(*cr));
	switch (ca->type) {
	case AUTH_DIGEST:
		if (!ca->username || !*ca->username) {
			*errmsg = "Digest Auth needs a user name.";
			return OUT_EAUTH;
		}
		cr->digest = 1;
		cr->user = ca->username;
		cr->pass = ca->password ? ca->password : "";
		break;
	case AUTH_AWS_SIGV4:
		if (!ca->username || !*ca->username || !ca->password || !*ca->password) {
			*errmsg = "AWS Signature V4 needs an access key and a secret key.";
			return OUT_EAUTH;
		}
		if (!aws_name_ok(ca->aws_region) || !aws_name_ok(ca->aws_service)) {
			*errmsg = "AWS Signature V4 needs a region and a service (such as "
				  "eu-west-1 and execute-api).";
			return OUT_EAUTH;
		}
		cr->aws_sigv4 = arena_printf(a, "aws:amz:%s:%s", ca->aws_region, ca->aws_service);
		cr->user = ca->username;
		cr->pass = ca->password;
		break;
	default: /* AUTH_CLIENT_CERT */
		if (!ca->client_cert || !*ca->client_cert || !ca->client_key || !*ca->client_key) {
			*errmsg = "Client Certificate needs a certificate and its private key.";
			return OUT_EAUTH;
		}
		cr->cert_pem = ca->client_cert;
		cr->key_pem = ca->client_key;
		cr->key_pass = ca->client_key_pass;
		break;
	}
	req->cred = cr;
	return OUT_OK;
}

/* The OAuth secrets (client secret, password, refresh token) go only to the origin they were
 * entered for: a URL Token moved elsewhere is refused before anything is sent. */
static int
token_origin_ok(struct arena *a, const struct connector_auth *ca, const char **errmsg)
{
	const char *origin = outbound_origin(a, ca->token_url);
	if (!ca->token_url || !*ca->token_url)
		return 1; /* nothing can be sent: outbound_token_request says so */
	if (origin && ca->token_origin && !strcmp(origin, ca->token_origin))
		return 1;
	if (!ca->token_origin || !*ca->token_origin)
		*errmsg =
		    arena_printf(a,
				 "The Client Secret and Password of this Data Connector are not "
				 "bound to a token URL yet; the URL Token is at %s. Enter them "
				 "again on the Authorization tab.",
				 origin ? origin : "an invalid address");
	else
		*errmsg = arena_printf(a,
				       "The Client Secret and Password of this Data Connector may "
				       "only be sent to %s; the URL Token is at %s.",
				       ca->token_origin, origin ? origin : "an invalid address");
	return 0;
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
		return set_header(a, req, "Authorization",
				  outbound_basic_value(a, ca->username, ca->password));
	case AUTH_BEARER:
		if (!ca->token || !*ca->token) {
			*errmsg = "No token is set for this connector.";
			return OUT_EAUTH;
		}
		return set_header(a, req, "Authorization", arena_printf(a, "Bearer %s", ca->token));
	case AUTH_API_KEY:
		return set_api_key(a, ca, req, errmsg);
	case AUTH_DIGEST:
	case AUTH_AWS_SIGV4:
	case AUTH_CLIENT_CERT:
		return set_cred(a, ca, req, errmsg);
	case AUTH_OAUTH2_PASSWORD:
	case AUTH_OAUTH2_CLIENT_CREDENTIALS:
	case AUTH_OAUTH2_AUTHORIZATION_CODE: {
		if (!token_origin_ok(a, ca, errmsg))
			return OUT_EORIGIN;
		int rc = oauth_token(curl, oc, db, kr, a, ca, force_new, &tr, errmsg);
		if (rc != OUT_OK)
			return rc;
		return set_header(
		    a, req, "Authorization",
		    arena_printf(a, "%s %s", scheme_of(tr.token_type), tr.access_token));
	}
	default:
		*errmsg = "Unknown authorization method.";
		return OUT_EAUTH;
	}
}

/* ---- Authorization Code with PKCE: Connect, its callback, and Test authorization ---- */

#define OAUTH_STATE_TTL 600 /* s a started Connect may take */

int
connector_oauth_begin(struct db *db, const struct crypt_keyring *kr, struct arena *a,
		      const struct connector_auth *ca, long long user_id, const char *redirect_uri,
		      const char **url, const char **errmsg)
{
	const char *verifier = NULL, *challenge = NULL;
	char *state = NULL, *sealed = NULL;
	char hash[65];
	*url = NULL;
	*errmsg = NULL;
	if (!ca->auth_url || !outbound_origin(a, ca->auth_url)) {
		*errmsg = "Enter the provider's Authorization URL (http or https) and save first.";
		return OUT_EURL;
	}
	if (!token_origin_ok(a, ca, errmsg))
		return OUT_EORIGIN;
	if (crypt_token_b64url(a, 32, &state) != CRYPT_OK ||
	    outbound_pkce_new(a, &verifier, &challenge) != 0 ||
	    connector_pkce_seal(kr, a, ca->connector_id, verifier, strlen(verifier), &sealed) !=
		CRYPT_OK) {
		*errmsg = "A Connect could not be started (no key loaded or no randomness).";
		return OUT_EOTHER;
	}
	crypt_sha256_hex(state, strlen(state), hash);
	if (db_oauth_state_put(db, hash, ca->connector_id, user_id, sealed, OAUTH_STATE_TTL) !=
	    DB_OK) {
		*errmsg = "A Connect could not be started: the database is not available.";
		return OUT_EOTHER;
	}
	*url = outbound_authorize_url(a, ca, redirect_uri, state, challenge);
	if (!*url) {
		*errmsg = "Out of memory.";
		return OUT_EOTHER;
	}
	return OUT_OK;
}

/* s (base64url, no padding) decoded as text in a; NULL when it is not base64url. */
static const char *
b64url_text(struct arena *a, const char *s, size_t n)
{
	char *std = arena_alloc(a, n + 4);
	uint8_t *raw = NULL;
	size_t len = 0, i;
	if (!std)
		return NULL;
	for (i = 0; i < n; i++)
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4)
		std[i++] = '=';
	std[i] = '\0';
	if (crypt_b64_decode(a, std, &raw, &len) != CRYPT_OK)
		return NULL;
	return arena_strndup(a, (const char *)raw, len);
}

/* Who signed in, from an OpenID Connect id token's claims (preferred_username, email, name
 * or sub; shown only, never trusted for anything: it came straight from the token endpoint
 * over the connection that also carried the code). "" when none. */
static const char *
id_token_subject(struct arena *a, const char *id_token)
{
	static const char *const claims[] = {"preferred_username", "email", "name", "sub"};
	const char *dot1 = id_token ? strchr(id_token, '.') : NULL;
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	const char *out = "";
	if (!dot2)
		return out;
	const char *text = b64url_text(a, dot1 + 1, (size_t)(dot2 - dot1 - 1));
	struct json_object *o = text ? json_tokener_parse(text) : NULL, *v;
	for (size_t i = 0; o && i < sizeof(claims) / sizeof(claims[0]); i++)
		if (json_object_object_get_ex(o, claims[i], &v) &&
		    json_object_is_type(v, json_type_string) && json_object_get_string_len(v)) {
			out = arena_strndup(a, json_object_get_string(v),
					    (size_t)json_object_get_string_len(v) > 255
						? 255
						: (size_t)json_object_get_string_len(v));
			break;
		}
	json_object_put(o);
	return out ? out : "";
}

int
connector_oauth_finish(void *curl, const struct outbound_config *oc, struct db *db,
		       const struct crypt_keyring *kr, struct arena *a,
		       const struct connector_auth *ca, long long user_id, const char *state,
		       const char *code, const char *redirect_uri,
		       struct connector_oauth_info *info, const char **errmsg)
{
	char hash[65], fp[FINGERPRINT_HEX + 1];
	char *verifier = NULL, *sealed = NULL;
	struct db_rows r;
	struct token_result tr;
	memset(info, 0, sizeof(*info));
	*errmsg = NULL;
	if (!state || !*state || !code || !*code) {
		*errmsg = "The provider sent back no authorization code or state.";
		return OUT_EAUTH;
	}
	crypt_sha256_hex(state, strlen(state), hash);
	int rc = db_oauth_state_take(db, a, hash, ca->connector_id, &r);
	if (rc != DB_OK) {
		*errmsg = rc == DB_ENOTFOUND ? "This sign-in was not started here, or was used "
					       "already: press Connect again."
					     : "The database is not available.";
		return OUT_EAUTH;
	}
	if (db_get_ll(&r, 0, "user_id", 0) != user_id || db_get_ll(&r, 0, "live", 0) != 1) {
		*errmsg = "This sign-in has expired or was started by someone else: press Connect "
			  "again.";
		return OUT_EAUTH;
	}
	if (connector_pkce_open(kr, a, ca->connector_id, db_get(&r, 0, "verifier"), &verifier,
				NULL) != CRYPT_OK ||
	    !verifier) {
		*errmsg = "This sign-in cannot be finished (the server's key has changed): press "
			  "Connect again.";
		return OUT_EAUTH;
	}
	if (!token_origin_ok(a, ca, errmsg))
		return OUT_EORIGIN;
	struct token_grant g = {.grant = "authorization_code",
				.code = code,
				.redirect_uri = redirect_uri,
				.code_verifier = verifier};
	rc = outbound_token_request_grant(curl, oc, a, ca, &g, &tr);
	if (rc != OUT_OK) {
		*errmsg = tr.message ? tr.message : outbound_strerror((enum outbound_err)rc);
		return rc;
	}
	if (tr.refresh_token && *tr.refresh_token &&
	    connector_secret_seal(kr, a, ca->connector_id, CONNECTOR_SECRET_OAUTH_REFRESH,
				  tr.refresh_token, strlen(tr.refresh_token),
				  &sealed) != CRYPT_OK) {
		*errmsg = "The refresh token could not be sealed (no key loaded).";
		return OUT_EOTHER;
	}
	info->subject = id_token_subject(a, tr.id_token);
	info->token_type = tr.token_type;
	info->expires_in = tr.expires_in;
	info->scope = tr.scope;
	if (db_connector_oauth_grant(db, ca->connector_id, sealed, info->subject, tr.expires_in) !=
	    DB_OK) {
		*errmsg = "The connection could not be saved: the database is not available.";
		return OUT_EOTHER;
	}
	auth_fingerprint(ca, fp);
	cache_store(db, kr, a, ca, fp, &tr, tr.refresh_token);
	return OUT_OK;
}

int
connector_oauth_test(void *curl, const struct outbound_config *oc, struct db *db,
		     const struct crypt_keyring *kr, struct arena *a,
		     const struct connector_auth *ca, struct connector_oauth_info *info,
		     const char **errmsg)
{
	char fp[FINGERPRINT_HEX + 1];
	struct token_result tr;
	memset(info, 0, sizeof(*info));
	*errmsg = NULL;
	if (!auth_type_is_oauth(ca->type)) {
		*errmsg = "Test authorization is for the OAuth 2.0 methods.";
		return OUT_EAUTH;
	}
	if (!token_origin_ok(a, ca, errmsg))
		return OUT_EORIGIN;
	auth_fingerprint(ca, fp);
	int rc = token_fetch(curl, oc, db, kr, a, ca, fp, NULL, db && kr, &tr);
	if (rc != OUT_OK) {
		*errmsg = tr.message ? tr.message : outbound_strerror((enum outbound_err)rc);
		return rc;
	}
	info->token_type = tr.token_type && *tr.token_type ? tr.token_type : "Bearer";
	info->expires_in = tr.expires_in;
	info->scope = tr.scope;
	return OUT_OK;
}

int
connector_auth_from_row(const struct crypt_keyring *kr, struct arena *a, long long id,
			const struct db_rows *row, struct connector_auth *ca, const char **errmsg)
{
	static const struct {
		const char *column;
		enum connector_secret which;
	} sealed[] = {
	    {"auth_password", CONNECTOR_SECRET_PASSWORD},
	    {"auth_token", CONNECTOR_SECRET_TOKEN},
	    {"client_secret", CONNECTOR_SECRET_CLIENT_SECRET},
	    {"api_key", CONNECTOR_SECRET_API_KEY},
	    {"client_key", CONNECTOR_SECRET_CLIENT_KEY},
	    {"oauth_refresh", CONNECTOR_SECRET_OAUTH_REFRESH},
	    {"client_key_pass", CONNECTOR_SECRET_CLIENT_KEY_PASS},
	};
	char *plain[sizeof(sealed) / sizeof(sealed[0])];
	int type = auth_type_from_name(db_get(row, 0, "auth_type"));
	const char *cauth = db_get(row, 0, "client_auth");
	memset(ca, 0, sizeof(*ca));
	*errmsg = NULL;
	for (size_t i = 0; i < sizeof(sealed) / sizeof(sealed[0]); i++)
		if (connector_secret_open(kr, a, id, sealed[i].which,
					  db_get(row, 0, sealed[i].column), &plain[i],
					  NULL) != CRYPT_OK) {
			*errmsg =
			    "A stored secret of this Data Connector cannot be opened (the "
			    "server's key has changed). Enter the Authorization secrets again.";
			return -1;
		}
	ca->connector_id = id;
	ca->type = type < 0 ? AUTH_NONE : (enum auth_type)type;
	ca->verify_ssl = db_get_ll(row, 0, "verify_ssl", 1) != 0;
	ca->username = db_get(row, 0, "auth_username");
	ca->token_url = db_get(row, 0, "token_url");
	ca->client_id = db_get(row, 0, "client_id");
	ca->scope = db_get(row, 0, "scope");
	ca->client_basic = cauth && !strcmp(cauth, "basic");
	ca->api_key_name = db_get(row, 0, "api_key_name");
	ca->api_key_query = !strcmp(db_get_str(row, 0, "api_key_in"), "query");
	ca->token_origin = db_get(row, 0, "token_origin");
	ca->aws_region = db_get(row, 0, "aws_region");
	ca->aws_service = db_get(row, 0, "aws_service");
	ca->client_cert = db_get(row, 0, "client_cert");
	ca->auth_url = db_get(row, 0, "auth_url");
	ca->token_params = db_get(row, 0, "token_params");
	ca->password = plain[0];
	ca->token = plain[1];
	ca->client_secret = plain[2];
	ca->api_key = plain[3];
	ca->client_key = plain[4];
	ca->refresh_token = plain[5];
	ca->client_key_pass = plain[6];
	return 0;
}
