/* The stateless half of authorization on outbound requests: the authorization methods'
 * names, the Basic credentials value, and one OAuth 2.0 token request (password, client
 * credentials or refresh grant) posted to a token URL and parsed. Caching tokens (SQL,
 * sealing, the per-connector lock) is the connector's business: src/connector/authorize.c. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "outbound.h"

#define TOKEN_EXPIRY_MAX 315360000L /* 10 years: keeps DATETIME arithmetic sane */
#define TOKEN_ECHO_MAX	 200	    /* longest upstream error text repeated to the user */

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

const char *
outbound_basic_value(struct arena *a, const char *user, const char *pass)
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

/* ---- extra token-request fields ---- */

int
outbound_token_param_reserved(const char *name)
{
	static const char *const reserved[] = {
	    "grant_type",    "client_id",    "client_secret", "code",	  "code_verifier",
	    "refresh_token", "redirect_uri", "username",      "password",
	};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (name && !strcmp(name, reserved[i]))
			return 1;
	return 0;
}

/* s[0..n) without leading and trailing blanks (space, tab, CR), in a. */
static const char *
trimmed(struct arena *a, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '\r')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return arena_strndup(a, s, n);
}

/* Calls fn for each "name=value" line of text (name and value trimmed; value NULL when the
 * line has no '='; blank lines skipped); stops at the first nonzero answer and returns it. */
static int
params_each(struct arena *a, const char *text, int (*fn)(void *, const char *, const char *),
	    void *arg)
{
	const char *p = text ? text : "";
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *line = p, *eq = memchr(p, '=', n);
		p += n + (p[n] == '\n');
		const char *all = trimmed(a, line, n);
		if (!all)
			return -1;
		if (!*all)
			continue;
		const char *name = trimmed(a, line, eq ? (size_t)(eq - line) : n);
		const char *value = eq ? trimmed(a, eq + 1, n - (size_t)(eq - line) - 1) : NULL;
		if (!name || (eq && !value))
			return -1;
		int rc = fn(arg, name, value);
		if (rc)
			return rc;
	}
	return 0;
}

struct params_check {
	struct arena *a;
	const char *msg;
};

static int
param_check(void *arg, const char *name, const char *value)
{
	struct params_check *c = arg;
	if (!value) {
		c->msg =
		    arena_printf(c->a, "\"%s\" has no \"=\": write one name=value a line.", name);
		return 1;
	}
	if (!*name) {
		c->msg = "A line has no field name before \"=\".";
		return 1;
	}
	for (const char *q = name; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' || *q == '.' ||
		      *q == ':' || *q == '[' || *q == ']')) {
			c->msg = arena_printf(c->a, "\"%s\" is not a valid field name.", name);
			return 1;
		}
	if (outbound_token_param_reserved(name)) {
		c->msg = arena_printf(c->a,
				      "\"%s\" is set by the grant itself; it cannot be "
				      "added.",
				      name);
		return 1;
	}
	return 0;
}

const char *
outbound_token_params_check(struct arena *a, const char *text)
{
	struct params_check c = {a, NULL};
	if (text && strlen(text) > 4096)
		return "The extra token fields are too long (4096 characters at most).";
	if (params_each(a, text, param_check, &c) < 0)
		return "Out of memory.";
	return c.msg;
}

static int
param_add(void *arg, const char *name, const char *value)
{
	struct buf *b = arg;
	if (!name || !value || !*name || outbound_token_param_reserved(name))
		return 0;
	if (b->len)
		buf_putc(b, '&');
	form_encode(b, name);
	buf_putc(b, '=');
	form_encode(b, value);
	return 0;
}

/* ---- PKCE and the authorization URL ---- */

int
outbound_pkce_new(struct arena *a, const char **verifier, const char **challenge)
{
	char *v = NULL, *c = NULL;
	*verifier = *challenge = NULL;
	if (crypt_token_b64url(a, 32, &v) != CRYPT_OK ||
	    crypt_sha256_b64url(a, v, strlen(v), &c) != CRYPT_OK)
		return -1;
	*verifier = v;
	*challenge = c;
	return 0;
}

const char *
outbound_authorize_url(struct arena *a, const struct connector_auth *ca, const char *redirect_uri,
		       const char *state, const char *challenge)
{
	const char *url = ca->auth_url;
	if (!url || !outbound_origin(a, url))
		return NULL;
	struct buf b;
	buf_init(&b);
	size_t len = strcspn(url, "#");
	buf_append(&b, url, len);
	buf_putc(&b, memchr(url, '?', len) ? '&' : '?');
	struct buf q;
	buf_init(&q);
	form_field(&q, "response_type", "code");
	form_field(&q, "client_id", ca->client_id);
	form_field(&q, "redirect_uri", redirect_uri);
	form_field(&q, "scope", ca->scope);
	form_field(&q, "state", state);
	form_field(&q, "code_challenge", challenge);
	form_field(&q, "code_challenge_method", "S256");
	buf_append(&b, q.data ? q.data : "", q.len);
	const char *out = b.failed || q.failed ? NULL : arena_strndup(a, b.data, b.len);
	buf_free(&q);
	buf_free(&b);
	return out;
}

/* The form body for a grant; client id/secret go in it unless client_basic (with no client
 * secret the client id still goes in it: a public client, RFC 6749 3.2.1). */
static const char *
token_body(struct arena *a, const struct connector_auth *ca, const struct token_grant *g)
{
	struct buf b;
	const char *grant = g->grant;
	buf_init(&b);
	form_field(&b, "grant_type", grant);
	if (strcmp(grant, "password") == 0) {
		form_field(&b, "username", ca->username);
		form_field(&b, "password", ca->password);
	} else if (strcmp(grant, "refresh_token") == 0) {
		form_field(&b, "refresh_token", g->refresh_token);
	} else if (strcmp(grant, "authorization_code") == 0) {
		form_field(&b, "code", g->code);
		form_field(&b, "redirect_uri", g->redirect_uri);
		form_field(&b, "code_verifier", g->code_verifier);
	}
	if (strcmp(grant, "refresh_token") != 0 && strcmp(grant, "authorization_code") != 0)
		form_field(&b, "scope", ca->scope);
	if (strcmp(grant, "refresh_token") != 0 && ca->token_params && *ca->token_params)
		params_each(a, ca->token_params, param_add, &b);
	if (ca->client_basic && (!ca->client_secret || !*ca->client_secret))
		form_field(&b, "client_id", ca->client_id);
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
	const char *v =
	    (id.failed || secret.failed)
		? NULL
		: outbound_basic_value(a, id.data ? id.data : "", secret.data ? secret.data : "");
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
		tr->id_token = json_str(a, o, "id_token");
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
	struct token_grant g = {.grant = grant ? grant : "password",
				.refresh_token = refresh_token};
	return outbound_token_request_grant(curl, oc, a, ca, &g, tr);
}

int
outbound_token_request_grant(void *curl, const struct outbound_config *oc, struct arena *a,
			     const struct connector_auth *ca, const struct token_grant *g,
			     struct token_result *tr)
{
	struct outbound_header h[4] = {
	    {"Content-Type", "application/x-www-form-urlencoded", 0},
	    {"Accept", "application/json", 0},
	};
	struct outbound_request req = {.method = "POST",
				       .url = ca->token_url,
				       .headers = h,
				       .nheaders = 2,
				       .verify_tls = ca->verify_ssl,
				       .body_secret = 1};
	struct outbound_response r;
	memset(tr, 0, sizeof(*tr));
	if (!ca->token_url || !*ca->token_url) {
		tr->message = "No token URL is set for this connector.";
		return tr->err = OUT_EURL;
	}
	req.body = token_body(a, ca, g);
	if (ca->client_basic && ca->client_id && *ca->client_id && ca->client_secret &&
	    *ca->client_secret)
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
