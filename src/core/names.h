/* Name tables more than one layer needs, written once: HTTP methods, HTTP reason phrases and
 * the connector authorization types. core/ sits under every layer, so http/, outbound/,
 * db/ and web/ all read these and keep no copy of their own. */
#ifndef DCGATE_CORE_NAMES_H
#define DCGATE_CORE_NAMES_H

/* HTTP methods: the five an endpoint may send, in the order of its select, then HEAD,
 * which dcgate serves (as GET) but never sends. */
enum method {
	METHOD_GET,
	METHOD_POST,
	METHOD_PUT,
	METHOD_PATCH,
	METHOD_DELETE,
	METHOD_HEAD,
	METHOD__MAX
};
#define METHOD_SENDABLE 5 /* METHOD_GET..METHOD_DELETE */
extern const char *const method_names[METHOD__MAX];
/* Index of an exact (upper-case) method name below max; -1 when not one of them. */
int method_index(const char *s, int max);

/* The reason phrase of an HTTP status; NULL when the table has none. */
const char *http_reason_phrase(long status);

/* A connector's authorization type, stored by name in connectors.auth_type. */
enum auth_type {
	AUTH_NONE,
	AUTH_BASIC,
	AUTH_BEARER,
	AUTH_OAUTH2_PASSWORD,
	AUTH_OAUTH2_CLIENT_CREDENTIALS,
	AUTH_API_KEY,
	AUTH_DIGEST,
	AUTH_AWS_SIGV4,
	AUTH_CLIENT_CERT,
	AUTH_OAUTH2_AUTHORIZATION_CODE,
	AUTH__MAX
};
extern const char *const auth_type_names[AUTH__MAX];  /* "none", "basic", ... (column values) */
extern const char *const auth_type_labels[AUTH__MAX]; /* "No Auth", "Basic Auth", ... */
int auth_type_from_name(const char *s);
/* 1 for the OAuth 2.0 methods (a token URL, a token request, "Test authorization"). */
int auth_type_is_oauth(int type); /* -1 when unknown */

#endif
