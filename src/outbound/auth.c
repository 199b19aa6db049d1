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
				       .verify_tls = ca->verify_ssl,
				       .body_secret = 1};
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
