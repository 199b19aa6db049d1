/* http: FastCGI request and response, query/form/cookie parsing with limits. */
#ifndef DCGATE_HTTP_H
#define DCGATE_HTTP_H

#include <stddef.h>

#include "../core/core.h"

enum http_err {
	HTTP_OK = 0,
	HTTP_ENOMEM = -1,
	HTTP_EBADENC = -2,  /* malformed percent-encoding or bad syntax: 400 */
	HTTP_ETOOMANY = -3, /* more fields than allowed: 413 */
	HTTP_ETOOLONG = -4, /* a name or value longer than allowed: 413 */
	HTTP_ETOOBIG = -5,  /* body larger than allowed: 413 */
	HTTP_EIO = -6,
};
const char *http_strerror(int err);
int http_err_status(int err); /* the HTTP status a parse error turns into */

struct http_limits {
	size_t max_body;   /* bytes */
	size_t max_fields; /* name=value pairs per query, body or cookie header */
	size_t max_field;  /* bytes in one decoded value */
	size_t max_name;   /* bytes in one decoded name */
};
/* The defaults of conf/dcgate.conf.example; every function taking limits uses these for NULL. */
extern const struct http_limits http_limits_default;

/* One decoded name/value pair; lists keep the order they came in. */
struct http_kv {
	const char *name;
	const char *value;
	size_t value_len; /* values may hold NUL bytes after decoding */
};
struct http_kvlist {
	struct http_kv *items;
	size_t count;
};

/* Decodes application/x-www-form-urlencoded text ('+' is space) into list, allocated in arena.
 * Pairs without '=' get an empty value; empty pairs ("a=1&&b=2") are skipped.
 * Errors: HTTP_ETOOMANY (pairs > max_fields, checked before decoding), HTTP_ETOOLONG,
 * HTTP_EBADENC (bad '%' escape, NUL in a name, invalid UTF-8 in a name or value). */
int http_parse_urlencoded(struct arena *a, const char *s, size_t len, const struct http_limits *lim,
			  struct http_kvlist *list);
/* Parses a Cookie header ("a=1; b=2"); values are not percent-decoded. Whitespace around names
 * and values is trimmed and one pair of double quotes around a value removed; duplicates are
 * all kept in order (http_kv_get returns the first). A malformed pair (no '=', a name that is
 * not a token, control bytes or invalid UTF-8 in the value) is skipped, not an error, so a
 * stray cookie from another application cannot lock users out. Limits give errors. */
int http_parse_cookies(struct arena *a, const char *s, const struct http_limits *lim,
		       struct http_kvlist *list);
/* Percent-decodes s into a new arena string; returns NULL on malformed input. */
char *http_url_decode(struct arena *a, const char *s, size_t len, int plus_is_space,
		      size_t *out_len);
/* Strict UTF-8 check (no overlongs, surrogates or code points past U+10FFFF). */
int http_utf8_valid(const char *s, size_t len);
/* RFC 7230 tchar: the bytes allowed in header and cookie names. */
int http_is_token_char(unsigned char c);

const char *http_kv_get(const struct http_kvlist *list, const char *name);
/* Fills out (arena array, NULL-terminated) with all values of a repeated name. */
size_t http_kv_get_all(struct arena *a, const struct http_kvlist *list, const char *name,
		       const char ***out);
/* Finds the indexes N used by keys "prefix[N][...]" in order of first appearance, e.g.
 * prefix "header" over header[0][key], header[3][key] gives {0, 3}. Only canonical decimal
 * N (no sign, no leading zero, at most 9 digits) counts: "header[03][key]" is ignored. */
size_t http_kv_indexes(struct arena *a, const struct http_kvlist *list, const char *prefix,
		       long **out);

/* ---- request and response around one FastCGI request ---- */
struct FCGX_Request;

/* The methods of core/names.h, by the same numbers; HTTP_OTHER for any other. */
enum http_method {
	HTTP_GET = METHOD_GET,
	HTTP_POST = METHOD_POST,
	HTTP_PUT = METHOD_PUT,
	HTTP_PATCH = METHOD_PATCH,
	HTTP_DELETE = METHOD_DELETE,
	HTTP_HEAD = METHOD_HEAD,
	HTTP_OTHER = METHOD__MAX
};

/* Strings point into the arena or into the FastCGI parameters: valid until FCGX_Finish_r. */
struct http_req {
	struct arena *arena;
	struct FCGX_Request *fcgi; /* NULL in unit tests */
	char **envp;		   /* CGI parameters */
	enum http_method method;
	const char *method_name;
	const char *path;  /* decoded path without query, e.g. /data-connectors/3; see below */
	const char *query; /* raw query string */
	const char *content_type;
	const char *remote_addr;
	int https;
	const char *body; /* raw body, NUL-terminated, "" when none */
	size_t body_len;
	struct http_kvlist query_args;
	struct http_kvlist form; /* urlencoded POST body */
	struct http_kvlist cookies;
};

/* The buffers are freed when the arena given to http_resp_init is reset or freed. Until
 * http_resp_send the struct must stay alive (the arena frees through it); after the send the
 * arena owns the buffers, which stay readable but frozen (appends fail), and the struct may go
 * out of scope before the reset. Call http_resp_init once per request. */
struct http_resp {
	int status;
	struct buf headers; /* "Name: value\r\n" lines */
	struct buf body;
	int sent;
	struct buf *capture; /* http_resp_send writes here when req->fcgi is NULL (tests) */
	void *owner;	     /* internal: the arena record that frees the buffers */
};

const char *http_param(const struct http_req *req, const char *name);  /* CGI param */
const char *http_header(const struct http_req *req, const char *name); /* "Origin" etc */
const char *http_query_get(const struct http_req *req, const char *name);
const char *http_form_get(const struct http_req *req, const char *name);
const char *http_cookie_get(const struct http_req *req, const char *name);

/* Reads params, path, query, cookies and (for urlencoded POST) the body within limits.
 * Returns an http_err; the caller answers with http_err_status() on failure.
 * path: DOCUMENT_URI as nginx sends it (already decoded and normalised, so not decoded twice),
 * else REQUEST_URI up to '?' percent-decoded, else "/". A path not starting with '/', with a
 * control byte (NUL included), invalid UTF-8 or a "." / ".." segment is HTTP_EBADENC.
 * query: QUERY_STRING, else the part of REQUEST_URI after '?', else "".
 * CONTENT_LENGTH: not plain digits -> HTTP_EBADENC; over max_body -> HTTP_ETOOBIG before any
 * byte is read; fewer bytes than announced -> HTTP_EIO. The body is kept raw for every content
 * type and parsed into form only for application/x-www-form-urlencoded (parameters ignored). */
int http_req_read(struct http_req *req, struct arena *a, struct FCGX_Request *fcgi,
		  const struct http_limits *lim);
/* Same from a NULL-terminated "NAME=value" array and a body, for tests and fuzzing. Without
 * CONTENT_LENGTH the whole body is used; with it, that many bytes of body. */
int http_req_from_env(struct http_req *req, struct arena *a, char **envp, const char *body,
		      size_t body_len, const struct http_limits *lim);

void http_resp_init(struct http_resp *resp, struct arena *a);
/* Adds "name: value". HTTP_EBADENC for a name that is not a token, "Status" or
 * "Content-Length" (computed at send), or a value with CR, LF or another control byte. */
int http_resp_header(struct http_resp *resp, const char *name, const char *value);
/* Sets status (303 unless 3xx) and Location; a refused target makes the response a 500. */
void http_redirect(struct http_resp *resp, int status, const char *location);
/* Sends status, security headers, extra headers and body over FastCGI (to resp->capture when
 * req->fcgi is NULL). Always added: Content-Type text/html; charset=utf-8 unless the handler set
 * one, CSP, X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Cache-Control: no-store
 * unless the handler set a Cache-Control, Content-Length. HEAD gets no body. A second call
 * returns HTTP_EIO. If a buffer ran out of memory a bare 500 is sent instead. */
int http_resp_send(struct http_resp *resp, struct http_req *req);
/* Appends exactly the bytes http_resp_send would write (the FastCGI stdout) to out; HTTP_EIO
 * once the response has been sent. */
int http_resp_serialize(const struct http_resp *resp, const struct http_req *req, struct buf *out);
const char *http_status_text(int status);

#endif
