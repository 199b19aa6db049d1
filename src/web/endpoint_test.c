/* The Test screen: the saved endpoint rendered over its sample data (URL percent-encoded,
 * query parameters appended, header values refused with CR/LF, the body escaped by its type),
 * the connector's authorization applied (an OAuth token fetched again once after a 401),
 * sent through the outbound layer, and shown with secrets masked: the request as sent,
 * "copy as cURL", status, timings, size, response headers and body. Every test is written
 * to execution_logs. The route table checks view + edit. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "../db/endpoints.h"
#include "save.h"

#define TEST_MASK "****"

/* One run is a struct endpoint_run (save.h), shared with the API's execute. */

/* ------------------------------------------------------------------- loading */

/* Opens a sealed secret of the connector; NULL when none. -1 when it cannot be opened. */
static int
test_secret(struct endpoint_run *t, const char *column, const char *field, const char **out)
{
	struct ctx *c = t->c;
	const char *sealed = db_get(&t->conn, 0, column);
	char *plain = NULL;
	size_t len = 0;
	*out = NULL;
	if (!sealed || !*sealed)
		return 0;
	const char *context = arena_printf(c->a, "connector:%lld:%s", t->connector_id, field);
	if (!c->app->have_keys || !context ||
	    crypt_open(&c->app->keys, c->a, context, sealed, &plain, &len) != CRYPT_OK) {
		log_warn("test: the %s of connector %lld cannot be opened", field, t->connector_id);
		return -1;
	}
	*out = plain;
	return 0;
}

/* The connector's authorization with its secrets opened. */
static int
test_auth(struct endpoint_run *t)
{
	struct connector_auth *a = &t->auth;
	const char *ca = db_get(&t->conn, 0, "client_auth");
	int type = auth_type_from_name(db_get(&t->conn, 0, "auth_type"));
	memset(a, 0, sizeof(*a));
	a->connector_id = t->connector_id;
	a->type = type < 0 ? AUTH_NONE : (enum auth_type)type;
	a->verify_ssl = db_get_ll(&t->conn, 0, "verify_ssl", 1) != 0;
	a->username = db_get(&t->conn, 0, "auth_username");
	a->token_url = db_get(&t->conn, 0, "token_url");
	a->client_id = db_get(&t->conn, 0, "client_id");
	a->scope = db_get(&t->conn, 0, "scope");
	a->client_basic = ca && !strcmp(ca, "basic");
	if (test_secret(t, "auth_password", "password", &a->password) ||
	    test_secret(t, "auth_token", "token", &a->token) ||
	    test_secret(t, "client_secret", "client_secret", &a->client_secret)) {
		t->error = "A stored secret of this Data Connector cannot be opened (the server's "
			   "key has changed). Enter the Authorization secrets again.";
		t->error_code = "ESECRET";
		return -1;
	}
	return 0;
}

/* Loads the connector and endpoint (by id, or by purpose when purpose is not NULL); data (an
 * object, or NULL for the sample data) is what the templates are rendered over. */
static int
test_load(struct endpoint_run *t, const char *purpose, struct json_object *data)
{
	struct ctx *c = t->c;
	struct endpoint_def d;
	int rc = db_endpoint_def(c->db, c->a, c->user ? &c->user->gens : NULL, t->connector_id,
				 t->endpoint_id, purpose, &d);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	t->conn = d.conn;
	t->ep = d.ep;
	t->headers = d.headers;
	t->params = d.params;
	t->endpoint_id = db_get_ll(&t->ep, 0, "id", t->endpoint_id);
	if (data) {
		t->sample = data;
		return DB_OK;
	}
	const char *sample = db_get(&t->ep, 0, "sample_data");
	t->sample = sample && *sample ? json_tokener_parse(sample) : NULL;
	if (!t->sample || !json_object_is_type(t->sample, json_type_object)) {
		json_object_put(t->sample);
		t->sample = json_object_new_object();
	}
	web_defer_json(c, t->sample);
	return DB_OK;
}

/* ------------------------------------------------------------------ building */

/* Stops the test with a message about one row ("Header "X": ..."). */
static int
test_row_error(struct endpoint_run *t, const char *what, const char *key, const char *msg)
{
	t->error =
	    arena_printf(t->c->a, "%s \"%s\": %s", what, key, msg ? msg : "cannot be built.");
	t->error_code = outbound_err_name(OUT_ETEMPLATE);
	return -1;
}

/* Appends every query parameter to b, percent-encoded; sep is the first separator
 * (0: none needed). */
static int
test_append_params(struct endpoint_run *t, struct buf *b, char sep)
{
	struct ctx *c = t->c;
	for (size_t i = 0; i < t->params.nrows; i++) {
		const char *key = db_get(&t->params, i, "name");
		const char *msg = NULL;
		char *val = NULL;
		int required = db_get_ll(&t->params, i, "required", 0) != 0;
		if (outbound_render_ex(c->a, db_get(&t->params, i, "value"), t->sample,
				       TMPL_ESC_NONE | OUTBOUND_RENDER_LINE, required, &val,
				       &msg) != OUT_OK)
			return test_row_error(t, "Query parameter", key, msg);
		if (sep)
			buf_putc(b, sep);
		sep = '&';
		tmpl_escape_append(b, TMPL_ESC_URL, key, strlen(key));
		buf_putc(b, '=');
		tmpl_escape_append(b, TMPL_ESC_URL, val, strlen(val));
		if ((msg = outbound_line_budget(c->a, b->len)) != NULL)
			return test_row_error(t, "Query parameter", key, msg);
	}
	return 0;
}

/* The URL over the sample data, then every query parameter. */
static int
test_build_url(struct endpoint_run *t)
{
	struct ctx *c = t->c;
	char *url = NULL;
	const char *msg = NULL;
	struct buf b;
	if (outbound_render(c->a, db_get(&t->ep, 0, "url"), t->sample, TMPL_ESC_URL, &url, &msg) !=
	    OUT_OK) {
		t->error = arena_printf(c->a, "The URL cannot be built: %s", msg ? msg : "");
		t->error_code = outbound_err_name(OUT_ETEMPLATE);
		return -1;
	}
	size_t len = strlen(url);
	char sep = strchr(url, '?') ? '&' : '?';
	if (len && (url[len - 1] == '?' || url[len - 1] == '&'))
		sep = 0;
	buf_init(&b);
	buf_puts(&b, url);
	int rc = test_append_params(t, &b, sep);
	if (rc == 0)
		t->req.url = b.failed ? NULL : arena_strdup(c->a, b.data);
	buf_free(&b);
	return rc == 0 && t->req.url ? 0 : -1;
}

/* Credential-looking header names, masked when shown. */
static int
test_name_secret(const char *name)
{
	static const char *const words[] = {"auth", "token",  "secret",	 "password",  "passwd",
					    "key",  "cookie", "session", "signature", "credential"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(name, words[i]))
			return 1;
	return 0;
}

static int
test_build_headers(struct endpoint_run *t)
{
	struct ctx *c = t->c;
	size_t n = t->headers.nrows;
	struct outbound_header *h = arena_alloc(c->a, (n + 2) * sizeof(*h));
	if (!h)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = db_get(&t->headers, i, "name");
		const char *msg = NULL;
		char *val = NULL;
		int required = db_get_ll(&t->headers, i, "required", 0) != 0;
		if (outbound_render_ex(c->a, db_get(&t->headers, i, "value"), t->sample,
				       TMPL_ESC_HEADER, required, &val, &msg) != OUT_OK)
			return test_row_error(t, "Header", name, msg);
		h[i] = (struct outbound_header){name, val, test_name_secret(name)};
	}
	t->req.headers = h;
	t->req.nheaders = n;
	return 0;
}

static const char *
test_header_value(const struct outbound_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (req->headers[i].name && !strcasecmp(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

/* The body, escaped by its Content-Type (outbound_body_escape; without one it gets the type
 * it is sent as); never for GET. */
static int
test_build_body(struct endpoint_run *t)
{
	struct ctx *c = t->c;
	const char *body = db_get(&t->ep, 0, "body");
	const char *type = test_header_value(&t->req, "Content-Type");
	const char *msg = NULL, *add = NULL;
	char *out = NULL;
	if (!body || !*body || !strcmp(t->req.method, "GET"))
		return 0;
	int esc = outbound_body_escape(type, body, &add);
	if (outbound_render(c->a, body, t->sample, esc, &out, &msg) != OUT_OK) {
		t->error =
		    arena_printf(c->a, "The request body cannot be built: %s", msg ? msg : "");
		t->error_code = outbound_err_name(OUT_ETEMPLATE);
		return -1;
	}
	t->req.body = out;
	t->req.body_len = strlen(out);
	if (add)
		t->req.headers[t->req.nheaders++] =
		    (struct outbound_header){"Content-Type", add, 0};
	return 0;
}

static int
test_build(struct endpoint_run *t)
{
	long timeout = (long)db_get_ll(&t->ep, 0, "timeout", 0);
	t->req.method = db_get(&t->ep, 0, "method");
	t->req.timeout = timeout > 0 && timeout <= 300 ? timeout : 0;
	t->req.verify_tls = t->auth.verify_ssl;
	if (test_build_url(t) || test_build_headers(t) || test_build_body(t))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------- sending */

static int
test_apply_auth(struct endpoint_run *t, int force_new)
{
	struct ctx *c = t->c;
	const char *msg = NULL;
	int rc = outbound_apply_auth(c->w->curl, &c->app->outbound, c->db, &c->app->keys, c->a,
				     &t->auth, force_new, &t->req, &msg);
	if (rc == OUT_OK)
		return 0;
	t->error = msg ? msg : outbound_strerror((enum outbound_err)rc);
	t->error_code = outbound_err_name((enum outbound_err)rc);
	return -1;
}

static int
test_is_oauth(const struct endpoint_run *t)
{
	return t->auth.type == AUTH_OAUTH2_PASSWORD ||
	       t->auth.type == AUTH_OAUTH2_CLIENT_CREDENTIALS;
}

/* Authorization, the request, and once more with a new token when OAuth got a 401. */
static void
test_send(struct endpoint_run *t)
{
	struct ctx *c = t->c;
	if (test_apply_auth(t, 0))
		return;
	outbound_send(c->w->curl, &c->app->outbound, c->a, &t->req, &t->resp);
	t->sent = 1;
	if (t->resp.err == OUT_OK && t->resp.status == 401 && test_is_oauth(t)) {
		log_info("test: connector %lld got 401, fetching a new token", t->connector_id);
		if (test_apply_auth(t, 1))
			return;
		outbound_send(c->w->curl, &c->app->outbound, c->a, &t->req, &t->resp);
	}
	if (t->resp.err != OUT_OK) {
		t->error = t->resp.message ? t->resp.message : outbound_strerror(t->resp.err);
		t->error_code = outbound_err_name(t->resp.err);
	}
}

/* ------------------------------------------------------------------- showing */

/* Whether a query parameter name looks like it carries a credential. */
static int
test_param_secret(const char *name, size_t n)
{
	char key[64];
	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, name, n);
	key[n] = '\0';
	return test_name_secret(key) || !strcasecmp(key, "sig") || !strcasecmp(key, "pass");
}

/* The query of a URL with credential-looking values masked, appended to b. */
static void
test_mask_query(struct buf *b, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&#");
		const char *eq = memchr(q, '=', n);
		if (eq && test_param_secret(q, (size_t)(eq - q))) {
			buf_append(b, q, (size_t)(eq - q) + 1);
			buf_puts(b, TEST_MASK);
		} else {
			buf_append(b, q, n);
		}
		q += n;
		if (*q == '#') {
			buf_puts(b, q);
			return;
		}
		if (*q == '&')
			buf_putc(b, *q++);
	}
}

/* The URL as shown and logged: a password in it and credential-looking query values
 * masked. */
const char *
endpoint_mask_url(struct arena *a, const char *url)
{
	struct buf b;
	const char *host = url ? strstr(url, "://") : NULL;
	if (!host)
		return url ? url : "";
	host += 3;
	size_t alen = strcspn(host, "/?#");
	const char *at = memchr(host, '@', alen), *colon = memchr(host, ':', alen);
	buf_init(&b);
	buf_append(&b, url, (size_t)(host - url));
	if (at && colon && colon < at) {
		buf_append(&b, host, (size_t)(colon - host) + 1);
		buf_puts(&b, TEST_MASK);
		host = at;
	}
	const char *q = strchr(host, '?');
	buf_append(&b, host, q ? (size_t)(q - host) : strlen(host));
	if (q) {
		buf_putc(&b, '?');
		test_mask_query(&b, q + 1);
	}
	const char *out = b.failed ? "" : arena_strdup(a, b.data);
	buf_free(&b);
	return out ? out : "";
}

/* "Bearer ****" for an Authorization-style header, "****" for other secrets. */
static const char *
test_masked_value(struct arena *a, const struct outbound_header *h)
{
	const char *v = h->value ? h->value : "";
	if (!h->secret && !test_name_secret(h->name))
		return v;
	const char *sp = strchr(v, ' ');
	if (strcasestr(h->name, "authorization") && sp)
		return arena_printf(a, "%.*s " TEST_MASK, (int)(sp - v), v);
	return TEST_MASK;
}

static struct json_object *
test_headers_json(struct arena *a, const struct outbound_header *h, size_t n, int mask)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_str(o, "name", h[i].name);
		jset_str(o, "value", mask ? test_masked_value(a, &h[i]) : h[i].value);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *
test_request_json(struct endpoint_run *t)
{
	struct arena *a = t->c->a;
	struct json_object *o = json_object_new_object();
	struct outbound_request shown = t->req;
	shown.url = endpoint_mask_url(a, t->req.url);
	jset_str(o, "method", t->req.method);
	jset_str(o, "url", shown.url);
	jset(o, "headers", test_headers_json(a, t->req.headers, t->req.nheaders, 1));
	jset_bool(o, "has_headers", t->req.nheaders > 0);
	if (t->req.body)
		jset_str(o, "body", t->req.body);
	if (t->req.url)
		jset_str(o, "curl", outbound_as_curl(a, &shown));
	jset_bool(o, "verify_tls", t->req.verify_tls);
	return o;
}

/* The body for reading: pretty JSON when it parses, text when it is UTF-8. */
static void
test_body_json(struct arena *a, const struct outbound_response *r, struct json_object *o)
{
	const char *type = NULL;
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].name && !strcasecmp(r->headers[i].name, "Content-Type"))
			type = r->headers[i].value;
	const char *p = r->body ? r->body + strspn(r->body, " \t\r\n") : "";
	struct json_object *parsed = NULL;
	if (!r->truncated && ((type && strcasestr(type, "json")) || *p == '{' || *p == '[') &&
	    (parsed = json_tokener_parse(r->body)) != NULL) {
		jset_str(
		    o, "body",
		    arena_strdup(a, json_object_to_json_string_ext(
					parsed, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE)));
		jset_bool(o, "is_json", 1);
		json_object_put(parsed);
	} else if (r->body && http_utf8_valid(r->body, r->body_len) &&
		   strlen(r->body) == r->body_len) {
		jset_str(o, "body", r->body);
	} else if (r->body_len) {
		jset_str(o, "binary", arena_printf(a, "%zu bytes that are not text", r->body_len));
	}
}

static const char *
test_ms(struct arena *a, double ms)
{
	return arena_printf(a, "%.1f ms", ms);
}

static struct json_object *
test_timings_json(struct arena *a, const struct outbound_timings *tm)
{
	struct json_object *o = json_object_new_object();
	jset_str(o, "dns", test_ms(a, tm->dns_ms));
	jset_str(o, "connect", test_ms(a, tm->connect_ms));
	jset_str(o, "tls", test_ms(a, tm->tls_ms));
	jset_str(o, "first_byte", test_ms(a, tm->first_byte_ms));
	jset_str(o, "total", test_ms(a, tm->total_ms));
	return o;
}

static struct json_object *
test_response_json(struct endpoint_run *t)
{
	struct arena *a = t->c->a;
	const struct outbound_response *r = &t->resp;
	struct json_object *o = json_object_new_object();
	jset_int(o, "status", r->status);
	jset_str(o, "reason", r->reason ? r->reason : "");
	jset_bool(o, "success", r->status >= 200 && r->status < 300);
	jset(o, "timings", test_timings_json(a, &r->t));
	jset_int(o, "size", r->size);
	jset(o, "headers", test_headers_json(a, r->headers, r->nheaders, 0));
	if (r->redirects > 0) {
		jset_int(o, "redirects", r->redirects);
		jset_str(o, "effective_url", endpoint_mask_url(a, r->effective_url));
	}
	if (r->truncated)
		jset_str(o, "truncated",
			 arena_printf(a,
				      "The response was cut at %zu bytes (the server's limit); "
				      "it had %lld bytes.",
				      t->c->app->outbound.max_response, r->size));
	test_body_json(a, r, o);
	return o;
}

static void
test_log(struct endpoint_run *t)
{
	struct ctx *c = t->c;
	struct db_execution e = {
	    .connector_id = t->connector_id,
	    .endpoint_id = t->endpoint_id,
	    .user_id = c->user ? c->user->id : 0,
	    .token_id = c->user ? c->user->token_id : 0,
	    .kind = t->kind,
	    .method = t->req.method ? t->req.method : "",
	    .url = endpoint_mask_url(c->a, t->req.url ? t->req.url : db_get(&t->ep, 0, "url")),
	    .status = t->sent ? t->resp.status : 0,
	    .duration_us = t->sent ? (long long)(t->resp.t.total_ms * 1000.0) : 0,
	    .size = t->sent ? t->resp.size : 0,
	    .error = t->error ? t->error : "",
	};
	if (db_execution_log(c->db, &e) != DB_OK)
		log_warn("test: execution log not written for endpoint %lld", t->endpoint_id);
}

static int
test_page(struct endpoint_run *t)
{
	struct ctx *c = t->c;
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	struct json_object *d = json_object_new_object(), *conn = json_object_new_object();
	jset_str(conn, "name", db_get(&t->conn, 0, "name"));
	jset_str(conn, "url", base);
	jset_str(conn, "authorization_url", arena_printf(c->a, "%s/authorization", base));
	jset_str(conn, "endpoints_url", arena_printf(c->a, "%s/endpoints", base));
	jset(d, "connector", conn);
	jset_bool(d, "tab_endpoints", 1);
	jset_str(d, "title", arena_printf(c->a, "Test · %s", db_get(&t->ep, 0, "purpose")));
	jset_str(d, "purpose", db_get(&t->ep, 0, "purpose"));
	jset_str(d, "auth_label", auth_type_labels[t->auth.type]);
	jset_str(d, "close_url", arena_printf(c->a, "%s/endpoints/%lld", base, c->ids[1]));
	jset_str(d, "test_url", arena_printf(c->a, "%s/endpoints/%lld/test", base, c->ids[1]));
	if (t->req.method && t->req.url)
		jset(d, "request", test_request_json(t));
	if (t->sent && t->resp.err == OUT_OK)
		jset(d, "response", test_response_json(t));
	if (t->error) {
		jset_str(d, "error", t->error);
		jset_str(d, "error_code", t->error_code ? t->error_code : "");
	}
	/* Past the render budget the request is unprocessable: 422, as execute and save say. */
	int status = t->error && strstr(t->error, OUTBOUND_MSG_BUDGET) ? 422 : 200;
	return web_render(c, status, "endpoint_test", d);
}

/* The run of either entry point: eid, or the endpoint with that purpose. */
static int
run(struct endpoint_run *t, struct ctx *c, long long cid, long long eid, const char *purpose,
    struct json_object *data, const char *kind)
{
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->connector_id = cid;
	t->endpoint_id = eid;
	t->kind = kind;
	int rc = test_load(t, purpose, data);
	if (rc != DB_OK)
		return rc;
	if (test_auth(t) == 0 && test_build(t) == 0)
		test_send(t);
	test_log(t);
	return 0;
}

int
endpoint_run(struct endpoint_run *t, struct ctx *c, long long cid, long long eid,
	     struct json_object *data, const char *kind)
{
	return run(t, c, cid, eid, NULL, data, kind);
}

int
endpoint_run_purpose(struct endpoint_run *t, struct ctx *c, long long cid, const char *purpose,
		     struct json_object *data, const char *kind)
{
	return run(t, c, cid, 0, purpose, data, kind);
}

int
web_endpoint_test(struct ctx *c)
{
	struct endpoint_run t;
	int rc = endpoint_run(&t, c, c->ids[0], c->ids[1], NULL, "test");
	if (rc != 0)
		return rc;
	return test_page(&t);
}
