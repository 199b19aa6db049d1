/* outbound: building and sending connector requests safely — address policy (SSRF guard),
 * limits, timings, plain-language errors, rendering, and the stateless OAuth 2.0 token
 * request. Knows no tables: the token cache lives in connector/. */
#ifndef DCGATE_OUTBOUND_H
#define DCGATE_OUTBOUND_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "../core/core.h"
#include "../crypt/crypt.h"

struct json_object;
struct tmpl;

/* ---- address policy: CIDR lists ---- */
struct cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};
struct addr_hosts; /* the host's own interface addresses, read again on reload */
struct addr_policy {
	struct cidr *deny;
	size_t ndeny;
	struct cidr *allow;
	size_t nallow;
	struct addr_hosts *hosts; /* NULL unless outbound.deny names "host" */
};
/* Parses "127.0.0.0/8, ::1/128" (a bare address means /32 or /128; commas and/or spaces
 * separate entries; host bits past the prefix are cleared). -1 on a bad entry. *out is
 * malloc'd (NULL when the list is empty); free() it. */
int cidr_parse_list(const char *text, struct cidr **out, size_t *count);
/* addr: 4 bytes (AF_INET) or 16 bytes (AF_INET6), network order. */
int cidr_contains(const struct cidr *c, int family, const void *addr);
/* 1 when the address may be connected to: not in deny (nor one of the host's own addresses
 * when deny names "host"), or in allow. An IPv4-mapped (::ffff:a.b.c.d) or NAT64
 * (64:ff9b::a.b.c.d) IPv6 address is checked as that IPv4 address too. Other families: 0. */
int addr_policy_allows(const struct addr_policy *p, const struct sockaddr *sa);
/* From outbound.deny (default: loopback, link-local, unspecified, multicast, the cloud
 * metadata addresses fd00:ec2::254 and 100.100.100.200, and "host": the host's own interface
 * addresses), outbound.deny_private (default false: true adds 10/8, 172.16/12, 192.168/16,
 * 100.64/10 and fc00::/7) and outbound.allow (default empty). -1 (logged) on a bad list. */
int addr_policy_load(struct addr_policy *p, const struct config *cfg);
/* Reads the host's interface addresses again (getifaddrs) when the policy denies them;
 * safe while other threads check addresses. The number of addresses, or -1 (logged). */
int addr_policy_reload_host(struct addr_policy *p);
void addr_policy_free(struct addr_policy *p);

/* ---- settings from [outbound] ---- */
struct outbound_config {
	long connect_timeout; /* s */
	long default_timeout; /* s */
	size_t max_response;  /* bytes */
	long max_redirects;
	long concurrency;	    /* calls in flight in the process */
	long connector_concurrency; /* default cap of one connector's calls in flight */
	long queue_timeout_ms;	    /* longest wait for a slot before 503 */
	const char *ca_bundle;	    /* NULL: system; points into the config it was loaded from */
	struct addr_policy policy;
	size_t max_render_body; /* bytes of a rendered body */
	size_t max_render_line; /* bytes of a rendered URL (with its query) or header value */
	unsigned long max_render_steps; /* work of one render, in tmpl steps */
};
/* Reads [outbound] and makes its render budget the one of every outbound_render in the
 * process; -1 (logged) when a value is present but out of range. */
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
	OUT_EAUTH,   /* no access token: token endpoint refused or answered nonsense */
	OUT_EORIGIN, /* credentials would go to an origin they are not bound to: not sent */
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

/* Credentials libcurl applies itself (they are not headers): HTTP Digest (RFC 7616, user
 * and password answered to the challenge), AWS Signature Version 4 (CURLOPT_AWS_SIGV4 over
 * user = access key, password = secret key) and a TLS client certificate with its private
 * key (PEM, handed to curl as memory blobs: never written to disk). Like secret headers they
 * go only to cred_origins; a redirect elsewhere drops them. */
struct outbound_cred {
	int digest;	       /* 1: CURLAUTH_DIGEST with user and pass */
	const char *aws_sigv4; /* "aws:amz:REGION:SERVICE", signed with user and pass */
	const char *user;
	const char *pass;
	const char *cert_pem; /* client certificate chain (PEM) */
	const char *key_pem;  /* its private key (PEM) */
	const char *key_pass; /* the passphrase of an encrypted key_pem (NULL: none) */
};

struct outbound_request {
	const char *method; /* GET POST PUT PATCH DELETE */
	const char *url;
	struct outbound_header *headers;
	size_t nheaders;
	const char *body; /* NULL: none */
	size_t body_len;
	long timeout;		/* s, 0: default */
	int verify_tls;		/* 1: verify peer and host */
	long long connector_id; /* whose per-connector limit the call counts against (0: none) */
	long connector_cap;	/* that connector's own cap; 0: outbound.connector_concurrency */
	/* Redirects are followed here, hop by hop (never by curl). Credentials — headers marked
	 * secret, and the body when body_secret — go along only to an origin in cred_origins
	 * (space-separated; NULL: the first URL's own origin); to any other they are dropped,
	 * and a 307/308 that would re-send a secret body there is refused (OUT_EORIGIN), as is
	 * a redirect from https to http while credentials are still attached. */
	const char *cred_origins;
	int body_secret;
	const struct outbound_cred *cred; /* NULL: none */
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
	long retry_after; /* s, with OUT_EBUSY: when a slot is likely free */
};

/* ---- limits on calls in flight (slots.c) ---- */
struct outbound_slot {
	int held;
	long long connector_id;
	long limit;	   /* with OUT_EBUSY: the limit that was hit */
	int per_connector; /* with OUT_EBUSY: 1 when it was the connector's own */
};
/* Takes a slot under both limits, waiting up to oc->queue_timeout_ms; OUT_EBUSY with slot's
 * limit fields set when none came free in time. */
int outbound_slot_take(const struct outbound_config *oc, long long connector_id, long connector_cap,
		       struct outbound_slot *slot);
void outbound_slot_give(struct outbound_slot *slot);
/* The refusal message naming the limit that was hit. */
const char *outbound_busy_message(struct arena *a, const struct outbound_slot *slot);
long outbound_cap_of(const struct outbound_config *oc, long connector_cap);
/* The process-wide curl state: connections, DNS answers and TLS sessions shared by every
 * thread, and a free list of easy handles. Call once before threads start. */
int outbound_global_init(void);
void outbound_global_free(void);

/* Sends req on a handle from the process's pool (curl, when given, is used instead);
 * everything result-side lives in arena. Checks scheme, address policy on every connection
 * (after DNS, each redirect hop), limits and timeouts. Holds one slot under the process and
 * connector limits while running, waiting for one up to the queue timeout (OUT_EBUSY with
 * retry_after when none came). */
int outbound_send(void *curl, const struct outbound_config *oc, struct arena *a,
		  const struct outbound_request *req, struct outbound_response *resp);
/* "scheme://host:port" of an http(s) URL (scheme and host in lower case, the default port
 * written out), in a; NULL when url is not an absolute http(s) URL. */
const char *outbound_origin(struct arena *a, const char *url);
/* The origin of a URL template whose scheme, host and port are written out (its user info
 * may be a template): what it will be whatever the data; NULL when a template decides it. */
const char *outbound_static_origin(struct arena *a, const char *url);
/* 1 when origin is one of the origins in list (separated by spaces, commas or newlines). */
int outbound_origin_listed(const char *origin, const char *list);
/* Each entry of text (URLs or origins, separated by spaces, commas or newlines) as its
 * origin, duplicates dropped, joined by one space ("" for none). NULL with *bad naming the
 * entry when one is not an http(s) origin (a path other than "/" counts as not one). */
const char *outbound_origin_list(struct arena *a, const char *text, const char **bad);
/* ref (a Location) resolved against base; NULL when it cannot be. */
const char *outbound_url_resolve(struct arena *a, const char *base, const char *ref);

/* "curl -X ... -H ..." with secret header values masked, for the Test screen. Headers marked
 * secret and well-known credential headers (Authorization, Cookie, X-API-Key, ...) show as
 * "****"; every argument is single-quoted for a POSIX shell. */
char *outbound_as_curl(struct arena *a, const struct outbound_request *req);

/* ---- the connector runtime: error statuses, retries, pages, rate limits (retry.c,
 * rate.c) and bodies from rows (body.c) ---- */
/* 1 when list ("400-599, 302": statuses and ranges within 100-599, comma-separated; ""
 * names none) is well formed. */
int outbound_status_list_valid(const char *list);
/* 1 when status is in list (0 for a malformed list). */
int outbound_status_listed(const char *list, long status);
/* 1 when an attempt is worth another: connection refused or not made in time, or the
 * status 429, 502, 503 or 504. */
int outbound_retryable(const struct outbound_response *r);
/* A Retry-After value (delta seconds, or an HTTP date against now) in ms; -1 when it is
 * absent or not one. */
long outbound_retry_after_ms(const char *value, time_t now);
/* The wait before retry number attempt (0 first): base doubled attempt times (at most
 * 60 s), then between half and all of it by rnd. */
long outbound_backoff_ms(long base, int attempt, unsigned int rnd);
/* The target of the rel="next" link of an RFC 8288 Link header value (as written, maybe
 * relative), in a; NULL when none. */
const char *outbound_link_next(struct arena *a, const char *link);
/* url with every query parameter name dropped and name=value (both percent-encoded) put
 * at the end of its query (before a fragment), in a; NULL when out of memory. */
const char *outbound_url_set_param(struct arena *a, const char *url, const char *name,
				   const char *value);
/* Waits for connector_id's turn under rate requests per second (a token bucket shared by
 * the process's threads): OUT_OK when it came, OUT_EBUSY with *retry_after (s) when it
 * would come later than oc->queue_timeout_ms. rate <= 0: no limit. */
int outbound_rate_take(const struct outbound_config *oc, long long connector_id, double rate,
		       long *retry_after);
/* 1 when a warning about connector_id's rate limit is due: none in the last every_ms ms in
 * this process; *held then says how many were held back since the last one. 0 otherwise
 * (counted as held back). */
int outbound_rate_warn_due(long long connector_id, long every_ms, long *held);
/* name=value&... with names and values form-urlencoded, in a. */
const char *outbound_form_body(struct arena *a, const char *const *names, const char *const *values,
			       size_t n);
/* multipart/form-data text fields under a random boundary no value contains: *type the
 * Content-Type to send, *body and *len the body. OUT_ETEMPLATE with *errmsg when a name
 * holds a quote, backslash or line break. */
int outbound_multipart_body(struct arena *a, const char *const *names, const char *const *values,
			    size_t n, const char **type, const char **body, size_t *len,
			    const char **errmsg);

/* ---- rendering an endpoint over data ---- */
/* Every message about the render budget starts with this (the Test screen answers 422). */
#define OUTBOUND_MSG_BUDGET "The template produces too much output"
/* A flag for outbound_render's esc: the text is part of a URL or header line, so it gets the
 * line budget (max_render_line) whatever its escaping. URL and HEADER always do. */
#define OUTBOUND_RENDER_LINE 0x100
/* The budget of every render (defaults 1 MiB body, 8 KiB line, 1,000,000 steps); set by
 * outbound_config_load at start, before any render runs. */
void outbound_render_budget(size_t max_body, size_t max_line, unsigned long max_steps);
/* The budget message for a URL being built that has reached len bytes; NULL while it
 * still fits max_render_line. */
const char *outbound_line_budget(struct arena *a, size_t len);
/* How {{x}} is escaped in a request body, by the request's Content-Type (parameters
 * ignored): form-urlencoded -> TMPL_ESC_FORM; a JSON type (application/json, +json, any
 * subtype naming json) -> TMPL_ESC_JSON; application/xml, text/xml, +xml -> TMPL_ESC_XML;
 * any other type (text/plain, multipart, ...) -> TMPL_ESC_NONE, {{x}} as it is like
 * {{{x}}}. Without a Content-Type a body starting with { or [ is JSON and any other is
 * form-urlencoded (what is sent for it); *add_type then names the type to send. */
int outbound_body_escape(const char *content_type, const char *body, const char **add_type);
/* Renders a template text with context escaping (TMPL_ESC_URL/JSON/HEADER/NONE), within
 * the render budget. On a missing required variable, CR/LF in a header or output past the
 * budget (a message starting with OUTBOUND_MSG_BUDGET), returns OUT_ETEMPLATE. */
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
/* enum auth_type and its names and labels: core/names.h. */

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
	const char *api_key_name;
	const char *api_key;
	int api_key_query;	  /* api_key_in = query (else a header) */
	const char *token_origin; /* the origin client_secret and password may be posted to */
	const char *aws_region;	  /* AWS SigV4: region and service (access key: username,
				   * secret key: password) */
	const char *aws_service;
	const char *client_cert; /* mutual TLS: certificate (PEM) and its private key */
	const char *client_key;
	const char *client_key_pass; /* the passphrase of an encrypted client_key (NULL: none) */
	const char *auth_url;	     /* Authorization Code: the provider's authorization endpoint */
	const char *token_params;    /* extra token-request fields, one "name=value" a line */
	const char *refresh_token;   /* Authorization Code: the refresh token of the grant */
};

/* The fields a token request may not have added by token_params (the grant's own). */
int outbound_token_param_reserved(const char *name);
/* Checks token_params text ("name=value" lines; blank lines skipped): NULL when good, else a
 * plain message naming the line. */
const char *outbound_token_params_check(struct arena *a, const char *text);

/* PKCE (RFC 7636): a fresh code verifier (43 base64url chars of 32 random bytes) and its S256
 * challenge. 0, or -1 when randomness or memory failed. */
int outbound_pkce_new(struct arena *a, const char **verifier, const char **challenge);
/* The provider's authorization URL for the browser: auth_url with response_type=code,
 * client_id, redirect_uri, scope, state, code_challenge and code_challenge_method=S256 added
 * to its query. NULL when auth_url is not an http(s) URL. */
const char *outbound_authorize_url(struct arena *a, const struct connector_auth *ca,
				   const char *redirect_uri, const char *state,
				   const char *challenge);

/* One grant of a token request. */
struct token_grant {
	const char *grant;	   /* "password", "client_credentials", "refresh_token",
				    * "authorization_code" */
	const char *refresh_token; /* refresh_token */
	const char *code;	   /* authorization_code: */
	const char *redirect_uri;
	const char *code_verifier;
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
	const char *id_token; /* OpenID Connect: who signed in (never shown as it is) */
};

/* POSTs a grant to token_url (form-encoded) and parses the JSON answer
 * (access_token or token). grant: "password", "client_credentials" or "refresh_token". */
int outbound_token_request(void *curl, const struct outbound_config *oc, struct arena *a,
			   const struct connector_auth *ca, const char *grant,
			   const char *refresh_token, struct token_result *tr);
/* The same for any grant; token_params are added to every grant but refresh_token. */
int outbound_token_request_grant(void *curl, const struct outbound_config *oc, struct arena *a,
				 const struct connector_auth *ca, const struct token_grant *g,
				 struct token_result *tr);
/* "Basic base64(user:pass)" in the arena (RFC 7617); NULL on allocation failure. */
const char *outbound_basic_value(struct arena *a, const char *user, const char *pass);

#endif
