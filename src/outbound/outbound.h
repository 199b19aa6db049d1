/* outbound: building and sending connector requests safely — address policy (SSRF guard),
 * limits, timings, plain-language errors, authorization and the OAuth 2.0 token cache. */
#ifndef DCGATE_OUTBOUND_H
#define DCGATE_OUTBOUND_H

#include <stddef.h>
#include <sys/socket.h>

#include "../core/core.h"
#include "../crypt/crypt.h"
#include "../db/db.h"

struct json_object;
struct tmpl;

/* ---- address policy: CIDR lists ---- */
struct cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};
struct addr_policy {
	struct cidr *deny;
	size_t ndeny;
	struct cidr *allow;
	size_t nallow;
};
/* Parses "127.0.0.0/8, ::1/128" (a bare address means /32 or /128; commas and/or spaces
 * separate entries; host bits past the prefix are cleared). -1 on a bad entry. *out is
 * malloc'd (NULL when the list is empty); free() it. */
int cidr_parse_list(const char *text, struct cidr **out, size_t *count);
/* addr: 4 bytes (AF_INET) or 16 bytes (AF_INET6), network order. */
int cidr_contains(const struct cidr *c, int family, const void *addr);
/* 1 when the address may be connected to: not in deny, or in allow. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) is checked as IPv4 too. Other families: 0. */
int addr_policy_allows(const struct addr_policy *p, const struct sockaddr *sa);
/* From outbound.deny (default: loopback, link-local, unspecified, multicast) and
 * outbound.allow (default empty). -1 (logged) on a bad list. */
int addr_policy_load(struct addr_policy *p, const struct config *cfg);
void addr_policy_free(struct addr_policy *p);

/* ---- settings from [outbound] ---- */
struct outbound_config {
	long connect_timeout; /* s */
	long default_timeout; /* s */
	size_t max_response;  /* bytes */
	long max_redirects;
	long concurrency;
	const char *ca_bundle; /* NULL: system; points into the config it was loaded from */
	struct addr_policy policy;
};
/* Reads [outbound]; -1 (logged) when a value is present but out of range. */
int outbound_config_load(struct outbound_config *oc, const struct config *cfg);
void outbound_config_free(struct outbound_config *oc);

/* ---- one HTTP request ---- */
enum outbound_err {
	OUT_OK = 0,
	OUT_EDNS,     /* host name not found */
	OUT_EREFUSED, /* connection refused */
	OUT_ECONNECT_TIMEOUT,
	OUT_ETIMEOUT,	/* total timeout */
	OUT_ETLS,	/* certificate or handshake failure */
	OUT_EREDIRECTS, /* too many redirects */
	OUT_EDENIED,	/* destination address denied by policy */
	OUT_ESCHEME,	/* not http/https */
	OUT_EURL,	/* malformed URL */
	OUT_EBUSY,	/* concurrency limit reached */
	OUT_ETEMPLATE,	/* rendering failed (missing required variable, CR/LF in header) */
	OUT_EOTHER,
	OUT_EAUTH, /* no access token: token endpoint refused or answered nonsense */
	OUT__MAX
};
/* Plain-language message for users. */
const char *outbound_strerror(enum outbound_err e);
/* Short stable code for logs, JSON and tests: "OK", "EDNS", "ETIMEOUT", ... */
const char *outbound_err_name(enum outbound_err e);

struct outbound_header {
	const char *name;
	const char *value;
	int secret; /* masked when shown (Authorization etc.) */
};

struct outbound_request {
	const char *method; /* GET POST PUT PATCH DELETE */
	const char *url;
	struct outbound_header *headers;
	size_t nheaders;
	const char *body; /* NULL: none */
	size_t body_len;
	long timeout;	/* s, 0: default */
	int verify_tls; /* 1: verify peer and host */
};

/* Durations of each phase in ms (not cumulative): DNS lookup, TCP connect, TLS handshake
 * (0 for http), from ready to first response byte, and the whole transfer. A reused
 * connection shows 0 for DNS, connect and TLS. Summed over redirect hops by curl. */
struct outbound_timings {
	double dns_ms, connect_ms, tls_ms, first_byte_ms, total_ms;
};

struct outbound_response {
	enum outbound_err err;
	const char *message;	  /* plain words for users (with the seconds); NULL when OK */
	const char *error_detail; /* curl's own words, for the log and a detail line */
	long status;
	const char *reason;
	struct outbound_header *headers; /* response headers of the final hop */
	size_t nheaders;
	char *body;
	size_t body_len;
	int truncated;	/* body cut at max_response */
	long long size; /* bytes received (before cut when known) */
	const char *effective_url;
	int redirects;
	struct outbound_timings t;
};

/* Sends req with the worker's reused curl handle; everything result-side lives in arena.
 * Checks scheme, address policy on every connection (after DNS, each redirect hop),
 * limits and timeouts. Holds one concurrency slot while running (OUT_EBUSY when none). */
int outbound_send(void *curl, const struct outbound_config *oc, struct arena *a,
		  const struct outbound_request *req, struct outbound_response *resp);
/* "curl -X ... -H ..." with secret header values masked, for the Test screen. Headers marked
 * secret and well-known credential headers (Authorization, Cookie, X-API-Key, ...) show as
 * "****"; every argument is single-quoted for a POSIX shell. */
char *outbound_as_curl(struct arena *a, const struct outbound_request *req);

/* ---- rendering an endpoint over data ---- */
/* Renders a template text with context escaping (TMPL_ESC_URL/JSON/HEADER/NONE). On a
 * missing required variable or CR/LF in a header, returns OUT_ETEMPLATE with a message. */
int outbound_render(struct arena *a, const char *text, struct json_object *data, int esc,
		    char **out, const char **errmsg);
/* Same, and when required is set a referenced variable that is missing, null or empty in
 * data fails with OUT_ETEMPLATE and a message naming it (rows marked Required). */
int outbound_render_ex(struct arena *a, const char *text, struct json_object *data, int esc,
		       int required, char **out, const char **errmsg);
/* First name t refers to that is missing, null, "" or [] in data (dotted names walk objects;
 * "." is skipped). Returns 1 and sets *name (owned by t), or 0 when all are present. */
int outbound_missing_var(const struct tmpl *t, struct json_object *data, const char **name);

/* ---- connector authorization ---- */
enum auth_type {
	AUTH_NONE,
	AUTH_BASIC,
	AUTH_BEARER,
	AUTH_OAUTH2_PASSWORD,
	AUTH_OAUTH2_CLIENT_CREDENTIALS,
	AUTH__MAX
};
extern const char *const auth_type_names[AUTH__MAX];  /* "none", "basic", ... */
extern const char *const auth_type_labels[AUTH__MAX]; /* "No Auth", "Basic Auth", ... */
int auth_type_from_name(const char *s);		      /* -1 when unknown */

/* A connector's authorization with secrets already opened (plaintext, arena). */
struct connector_auth {
	long long connector_id;
	enum auth_type type;
	int verify_ssl;
	const char *username;
	const char *password;
	const char *token;
	const char *token_url;
	const char *client_id;
	const char *client_secret;
	const char *scope;
	int client_basic; /* client_auth = basic */
};

struct token_result {
	enum outbound_err err;
	long status;	     /* token endpoint HTTP status */
	const char *message; /* plain explanation on failure */
	const char *access_token;
	const char *token_type;
	const char *refresh_token;
	long expires_in; /* s, 0 unknown */
	const char *scope;
};

/* POSTs a grant to token_url (form-encoded) and parses the JSON answer
 * (access_token or token). grant: "password", "client_credentials" or "refresh_token". */
int outbound_token_request(void *curl, const struct outbound_config *oc, struct arena *a,
			   const struct connector_auth *ca, const char *grant,
			   const char *refresh_token, struct token_result *tr);
/* Adds the Authorization header for ca to req (fetching/caching an OAuth token through the
 * sealed token_cache table, one fetch per connector at a time across processes and
 * database nodes via a lease row, sql/008_token_lease.sql). force_new: ignore the cache (after a
 * 401). An Authorization header already in req is replaced. The new header array lives in a. db may
 * be NULL (no cache). Returns OUT_OK or an outbound_err with *errmsg in plain words. */
int outbound_apply_auth(void *curl, const struct outbound_config *oc, struct db *db,
			const struct crypt_keyring *kr, struct arena *a,
			const struct connector_auth *ca, int force_new,
			struct outbound_request *req, const char **errmsg);

#endif
