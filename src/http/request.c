/* One request: CGI parameters, path, query, cookies and body, read within limits. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>

#include "http.h"

/* Longest body chunk handed to FCGX_GetStr at once (it takes an int). */
#define BODY_CHUNK 65536

static const char *
env_get(char **envp, const char *name)
{
	return envp ? FCGX_GetParam(name, envp) : NULL;
}

const char *
http_param(const struct http_req *req, const char *name)
{
	return req && name ? env_get(req->envp, name) : NULL;
}

/* Maps a header name to its CGI variable: "X-Forwarded-For" -> HTTP_X_FORWARDED_FOR.
 * Content-Type and Content-Length are the two headers CGI passes without the prefix. */
const char *
http_header(const struct http_req *req, const char *name)
{
	char key[128];
	if (!req || !name)
		return NULL;
	if (str_eq_ci(name, "Content-Type"))
		return http_param(req, "CONTENT_TYPE");
	if (str_eq_ci(name, "Content-Length"))
		return http_param(req, "CONTENT_LENGTH");
	size_t n = strlen(name);
	if (n == 0 || n + sizeof("HTTP_") > sizeof(key))
		return NULL;
	memcpy(key, "HTTP_", 5);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '-')
			c = '_';
		else if (!isalnum(c) && c != '_')
			return NULL;
		key[5 + i] = (char)toupper(c);
	}
	key[5 + n] = '\0';
	return http_param(req, key);
}

const char *
http_query_get(const struct http_req *req, const char *name)
{
	return req ? http_kv_get(&req->query_args, name) : NULL;
}

const char *
http_form_get(const struct http_req *req, const char *name)
{
	return req ? http_kv_get(&req->form, name) : NULL;
}

const char *
http_cookie_get(const struct http_req *req, const char *name)
{
	return req ? http_kv_get(&req->cookies, name) : NULL;
}

/* The method is matched case-sensitively, as HTTP says; absent means GET. */
static void
method_set(struct http_req *req)
{
	const char *m = http_param(req, "REQUEST_METHOD");
	int i = method_index(m ? m : "GET", METHOD__MAX);
	req->method = i < 0 ? HTTP_OTHER : (enum http_method)i;
	req->method_name = i < 0 ? m : method_names[i];
}

/* A routable path: starts with '/', valid UTF-8, no control bytes (NUL included) and no
 * "." or ".." segments, so a decoded path can neither smuggle bytes nor climb up. */
static int
path_ok(const char *p, size_t len)
{
	if (len == 0 || p[0] != '/' || !http_utf8_valid(p, len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	size_t start = 1;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		size_t seg = i - start;
		if ((seg == 1 && p[start] == '.') ||
		    (seg == 2 && p[start] == '.' && p[start + 1] == '.'))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* DOCUMENT_URI (nginx) is already decoded and normalised, so it is taken as it is: decoding
 * it again would turn "%2541" into "A". REQUEST_URI is raw, so its path part is decoded. */
static int
path_set(struct http_req *req)
{
	const char *doc = http_param(req, "DOCUMENT_URI");
	const char *uri = http_param(req, "REQUEST_URI");
	size_t len;
	char *path;
	if (doc && *doc) {
		len = strlen(doc);
		path = arena_strndup(req->arena, doc, len);
	} else if (uri && *uri) {
		path = http_url_decode(req->arena, uri, strcspn(uri, "?#"), 0, &len);
		/* NULL is a bad escape, or (only if the arena could not grow) no memory. */
		if (!path)
			return strchr(uri, '%') ? HTTP_EBADENC : HTTP_ENOMEM;
	} else {
		len = 1;
		path = arena_strdup(req->arena, "/");
	}
	if (!path)
		return HTTP_ENOMEM;
	if (!path_ok(path, len))
		return HTTP_EBADENC;
	req->path = path;
	return HTTP_OK;
}

/* QUERY_STRING, or the part of REQUEST_URI after '?' when the server sent none. */
static void
query_set(struct http_req *req)
{
	const char *q = http_param(req, "QUERY_STRING");
	if (!q) {
		const char *uri = http_param(req, "REQUEST_URI");
		const char *mark = uri ? strchr(uri, '?') : NULL;
		q = mark ? mark + 1 : "";
	}
	req->query = q;
}

static int
is_https(const char *v)
{
	return v && (str_eq_ci(v, "on") || strcmp(v, "1") == 0);
}

/* Everything but the body: method, path, query arguments, cookies and plain parameters. */
static int
req_begin(struct http_req *req, struct arena *a, struct FCGX_Request *fcgi, char **envp,
	  const struct http_limits *lim)
{
	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->fcgi = fcgi;
	req->envp = envp;
	req->body = "";
	method_set(req);
	req->content_type = http_param(req, "CONTENT_TYPE");
	req->remote_addr = http_param(req, "REMOTE_ADDR");
	req->https = is_https(http_param(req, "HTTPS"));
	query_set(req);
	int rc = path_set(req);
	if (rc != HTTP_OK)
		return rc;
	rc = http_parse_urlencoded(a, req->query, strlen(req->query), lim, &req->query_args);
	if (rc != HTTP_OK)
		return rc;
	return http_parse_cookies(a, http_param(req, "HTTP_COOKIE"), lim, &req->cookies);
}

/* Parses CONTENT_LENGTH: absent or empty is 0; anything but plain digits is a bad request;
 * a number past max_body (however many digits) is too big. */
static int
content_length(const struct http_req *req, const struct http_limits *lim, size_t *out)
{
	const char *s = http_param(req, "CONTENT_LENGTH");
	size_t v = 0;
	*out = 0;
	if (!s || !*s)
		return HTTP_OK;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return HTTP_EBADENC;
	}
	for (const char *p = s; *p; p++) {
		if (v > (SIZE_MAX - 9) / 10)
			return HTTP_ETOOBIG;
		v = v * 10 + (size_t)(*p - '0');
		if (v > lim->max_body)
			return HTTP_ETOOBIG;
	}
	*out = v;
	return HTTP_OK;
}

static int
is_urlencoded(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	const size_t n = sizeof(want) - 1;
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Keeps the raw body (NUL-terminated) and parses it as a form when it is one. */
static int
body_finish(struct http_req *req, const struct http_limits *lim)
{
	if (!is_urlencoded(req->content_type))
		return HTTP_OK;
	return http_parse_urlencoded(req->arena, req->body, req->body_len, lim, &req->form);
}

/* Reads exactly n body bytes from the FastCGI input; a short read means the client left. */
static int
body_read_fcgi(struct http_req *req, size_t n)
{
	char *b = arena_alloc(req->arena, n + 1);
	size_t got = 0;
	if (!b)
		return HTTP_ENOMEM;
	while (got < n) {
		size_t want = n - got < BODY_CHUNK ? n - got : BODY_CHUNK;
		int r = FCGX_GetStr(b + got, (int)want, req->fcgi->in);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n)
		return HTTP_EIO;
	b[n] = '\0';
	req->body = b;
	req->body_len = n;
	return HTTP_OK;
}

int
http_req_read(struct http_req *req, struct arena *a, struct FCGX_Request *fcgi,
	      const struct http_limits *lim)
{
	size_t n;
	if (!lim)
		lim = &http_limits_default;
	int rc = req_begin(req, a, fcgi, fcgi ? fcgi->envp : NULL, lim);
	if (rc == HTTP_OK)
		rc = content_length(req, lim, &n);
	if (rc == HTTP_OK && n > 0 && fcgi)
		rc = body_read_fcgi(req, n);
	if (rc == HTTP_OK)
		rc = body_finish(req, lim);
	return rc;
}

/* Mirrors http_req_read: CONTENT_LENGTH, when given, says how much of body the server would
 * have passed; a body shorter than it is a short read (HTTP_EIO). */
int
http_req_from_env(struct http_req *req, struct arena *a, char **envp, const char *body,
		  size_t body_len, const struct http_limits *lim)
{
	size_t n;
	if (!lim)
		lim = &http_limits_default;
	if (!body)
		body_len = 0;
	int rc = req_begin(req, a, NULL, envp, lim);
	if (rc != HTTP_OK)
		return rc;
	rc = content_length(req, lim, &n);
	if (rc != HTTP_OK)
		return rc;
	if (!http_param(req, "CONTENT_LENGTH"))
		n = body_len;
	if (n > lim->max_body)
		return HTTP_ETOOBIG;
	if (n > body_len)
		return HTTP_EIO;
	char *b = arena_strndup(a, body ? body : "", n);
	if (!b)
		return HTTP_ENOMEM;
	req->body = b;
	req->body_len = n;
	return body_finish(req, lim);
}
