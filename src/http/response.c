/* Responses: status, headers (security headers always), body; sent over FastCGI in one go. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>

#include "http.h"

/* Longest piece handed to FCGX_PutStr at once (it takes an int). */
#define PUT_CHUNK (1 << 20)

static const char security_headers[] =
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n"
    "X-Frame-Options: DENY\r\n";

const char *
http_status_text(int status)
{
	const char *t = http_reason_phrase(status);
	return t ? t : "Unknown";
}

/* Frees a response's buffers when the arena is reset. Until the response is sent it reads
 * them through resp; http_resp_send hands the pointers over, so from then on the struct
 * http_resp itself may be gone (a caller's stack frame) before the arena is reset. */
struct resp_owner {
	struct http_resp *resp;
	char *headers, *body;
};

static void
resp_owner_free(void *p)
{
	struct resp_owner *o = p;
	if (o->resp) {
		buf_free(&o->resp->headers);
		buf_free(&o->resp->body);
	} else {
		free(o->headers);
		free(o->body);
	}
}

/* On an arena failure the buffers are marked failed, so nothing is allocated unowned and
 * http_resp_send answers a bare 500. */
void
http_resp_init(struct http_resp *resp, struct arena *a)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	buf_init(&resp->headers);
	buf_init(&resp->body);
	struct resp_owner *o = arena_alloc(a, sizeof(*o));
	if (!o || arena_defer(a, resp_owner_free, o) != CORE_OK) {
		resp->headers.failed = 1;
		resp->body.failed = 1;
		return;
	}
	o->resp = resp;
	resp->owner = o;
}

/* Gives the buffers to the owner record and freezes them: they stay readable until the arena
 * is reset, and the sticky failed flag stops any later append from moving them. */
static void
resp_detach(struct http_resp *resp)
{
	struct resp_owner *o = resp->owner;
	if (!o)
		return;
	o->headers = resp->headers.data;
	o->body = resp->body.data;
	o->resp = NULL;
	resp->owner = NULL;
	resp->headers.failed = 1;
	resp->body.failed = 1;
}

/* Header values: any byte but the control characters (HTAB excepted), so no CR/LF. */
static int
header_value_ok(const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static int
header_name_ok(const char *n)
{
	if (!*n)
		return 0;
	for (; *n; n++)
		if (!http_is_token_char((unsigned char)*n))
			return 0;
	return 1;
}

int
http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
	if (!name || !value || !header_name_ok(name) || !header_value_ok(value))
		return HTTP_EBADENC;
	/* Status and Content-Length come from the response itself. */
	if (str_eq_ci(name, "Status") || str_eq_ci(name, "Content-Length"))
		return HTTP_EBADENC;
	if (buf_printf(&resp->headers, "%s: %s\r\n", name, value) != CORE_OK)
		return HTTP_ENOMEM;
	return HTTP_OK;
}

void
http_redirect(struct http_resp *resp, int status, const char *location)
{
	if (status < 300 || status > 399)
		status = 303;
	if (http_resp_header(resp, "Location", location) != HTTP_OK) {
		log_warn("http: redirect target refused");
		resp->status = 500;
		return;
	}
	resp->status = status;
}

/* Whether the handler already set header name (matched case-insensitively at line start). */
static int
headers_has(const struct buf *h, const char *name)
{
	size_t n = strlen(name);
	const char *p = h->data, *end = h->data + h->len;
	if (!p)
		return 0;
	while (p < end) {
		if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':')
			return 1;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static int
resp_broken(const struct http_resp *resp)
{
	return resp->headers.failed || resp->body.failed;
}

/* Writes everything up to and including the blank line. A response whose buffers failed
 * becomes a bare 500 with none of the handler's headers. */
static int
resp_head(const struct http_resp *resp, struct buf *out)
{
	int broken = resp_broken(resp);
	int status = broken ? 500 : resp->status;
	if (status < 100 || status > 599)
		status = 500;
	buf_printf(out, "Status: %d %s\r\n", status, http_status_text(status));
	if (broken || !headers_has(&resp->headers, "Content-Type"))
		buf_puts(out, "Content-Type: text/html; charset=utf-8\r\n");
	buf_puts(out, security_headers);
	if (broken || !headers_has(&resp->headers, "Cache-Control"))
		buf_puts(out, "Cache-Control: no-store\r\n");
	if (!broken)
		buf_append(out, resp->headers.data, resp->headers.len);
	buf_printf(out, "Content-Length: %zu\r\n\r\n", broken ? (size_t)0 : resp->body.len);
	return out->failed ? HTTP_ENOMEM : HTTP_OK;
}

static int
resp_has_body(const struct http_resp *resp, const struct http_req *req)
{
	return !resp_broken(resp) && resp->body.len && !(req && req->method == HTTP_HEAD);
}

static int
resp_serialize(const struct http_resp *resp, const struct http_req *req, struct buf *out)
{
	int rc = resp_head(resp, out);
	if (rc == HTTP_OK && resp_has_body(resp, req))
		buf_append(out, resp->body.data, resp->body.len);
	return out->failed ? HTTP_ENOMEM : rc;
}

int
http_resp_serialize(const struct http_resp *resp, const struct http_req *req, struct buf *out)
{
	return resp->sent ? HTTP_EIO : resp_serialize(resp, req, out);
}

static int
put_all(FCGX_Stream *out, const char *p, size_t n)
{
	while (n) {
		size_t k = n < PUT_CHUNK ? n : PUT_CHUNK;
		if (FCGX_PutStr(p, (int)k, out) != (int)k)
			return HTTP_EIO;
		p += k;
		n -= k;
	}
	return HTTP_OK;
}

/* Writes head and body to the FastCGI output. */
static int
resp_put(const struct http_resp *resp, const struct http_req *req)
{
	struct buf head;
	buf_init(&head);
	int rc = resp_head(resp, &head);
	if (rc == HTTP_OK)
		rc = put_all(req->fcgi->out, head.data, head.len);
	if (rc == HTTP_OK && resp_has_body(resp, req))
		rc = put_all(req->fcgi->out, resp->body.data, resp->body.len);
	buf_free(&head);
	return rc;
}

int
http_resp_send(struct http_resp *resp, struct http_req *req)
{
	int rc = HTTP_OK;
	if (resp->sent)
		return HTTP_EIO;
	if (req && req->fcgi)
		rc = resp_put(resp, req);
	else if (resp->capture)
		rc = resp_serialize(resp, req, resp->capture);
	resp->sent = 1;
	resp_detach(resp);
	return rc;
}
