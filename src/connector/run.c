/* The endpoint run shared by the Test page and the API's execute: the saved endpoint
 * loaded with its connector, rendered over the caller's data or the sample data (URL
 * percent-encoded, query parameters appended, header values refused with CR/LF, a JSON
 * body JSON-escaped), the connector's authorization applied (an OAuth token fetched again
 * once after a 401), sent through the outbound layer, masked for showing, and written to
 * execution_logs. Callers get plain results; pages and JSON are theirs. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "../db/endpoints.h"
#include "../tmpl/tmpl.h"
#include "connector.h"

#define RUN_MASK "****"

/* One run: what the caller gave, what was loaded, and the request with its secrets (never
 * shown; out->shown is the masked copy). */
struct run {
	const struct connector_run_in *in;
	struct connector_run_out *out;
	struct arena *a;
	long long connector_id, endpoint_id;
	struct db_rows conn, ep, headers, params;
	struct connector_auth auth;
	struct json_object *sample; /* the data rendered over */
	struct outbound_request req;
};

/* ------------------------------------------------------------------- loading */

/* Opens secret which of the connector (from column) into *out; NULL when none. -1 when it
 * cannot be opened (no key loaded, another key, or tampered). */
static int
run_secret(struct run *t, const char *column, enum connector_secret which, const char **out)
{
	char *plain = NULL;
	*out = NULL;
	if (connector_secret_open(t->in->keys, t->a, t->connector_id, which,
				  db_get(&t->conn, 0, column), &plain, NULL) != CRYPT_OK) {
		log_warn("connector: the %s of connector %lld cannot be opened",
			 connector_secret_names[which], t->connector_id);
		return -1;
	}
	*out = plain;
	return 0;
}

/* The connector's authorization with its secrets opened. */
static int
run_auth(struct run *t)
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
	if (run_secret(t, "auth_password", CONNECTOR_SECRET_PASSWORD, &a->password) ||
	    run_secret(t, "auth_token", CONNECTOR_SECRET_TOKEN, &a->token) ||
	    run_secret(t, "client_secret", CONNECTOR_SECRET_CLIENT_SECRET, &a->client_secret)) {
		t->out->error =
		    "A stored secret of this Data Connector cannot be opened (the server's "
		    "key has changed). Enter the Authorization secrets again.";
		t->out->error_code = "ESECRET";
		return -1;
	}
	return 0;
}

/* json_object_put for the arena's defer list. */
static void
run_json_put(void *p)
{
	json_object_put(p);
}

/* Loads the connector and endpoint (by id, or by purpose when in->purpose is set); the
 * caller's data (an object), else the sample data, is what the templates render over. */
static int
run_load(struct run *t)
{
	const struct connector_run_in *in = t->in;
	struct endpoint_def d;
	int rc = db_endpoint_def(in->db, t->a, in->gens, t->connector_id, t->endpoint_id,
				 in->purpose, &d);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	t->conn = d.conn;
	t->ep = d.ep;
	t->headers = d.headers;
	t->params = d.params;
	t->endpoint_id = db_get_ll(&t->ep, 0, "id", t->endpoint_id);
	if (in->data) {
		t->sample = in->data;
		return DB_OK;
	}
	const char *sample = db_get(&t->ep, 0, "sample_data");
	t->sample = sample && *sample ? json_tokener_parse(sample) : NULL;
	if (!t->sample || !json_object_is_type(t->sample, json_type_object)) {
		json_object_put(t->sample);
		t->sample = json_object_new_object();
	}
	if (arena_defer(t->a, run_json_put, t->sample) != CORE_OK) {
		json_object_put(t->sample);
		t->sample = NULL;
		return DB_EFAIL;
	}
	return DB_OK;
}

/* ------------------------------------------------------------------ building */

/* Stops the run with a message about one row ("Header "X": ..."). */
static int
run_row_error(struct run *t, const char *what, const char *key, const char *msg)
{
	t->out->error =
	    arena_printf(t->a, "%s \"%s\": %s", what, key, msg ? msg : "cannot be built.");
	t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
	return -1;
}

/* Appends every query parameter to b, percent-encoded; sep is the first separator
 * (0: none needed). */
static int
run_append_params(struct run *t, struct buf *b, char sep)
{
	for (size_t i = 0; i < t->params.nrows; i++) {
		const char *key = db_get(&t->params, i, "name");
		const char *msg = NULL;
		char *val = NULL;
		int required = db_get_ll(&t->params, i, "required", 0) != 0;
		if (outbound_render_ex(t->a, db_get(&t->params, i, "value"), t->sample,
				       TMPL_ESC_NONE | OUTBOUND_RENDER_LINE, required, &val,
				       &msg) != OUT_OK)
			return run_row_error(t, "Query parameter", key, msg);
		if (sep)
			buf_putc(b, sep);
		sep = '&';
		tmpl_escape_append(b, TMPL_ESC_URL, key, strlen(key));
		buf_putc(b, '=');
		tmpl_escape_append(b, TMPL_ESC_URL, val, strlen(val));
		if ((msg = outbound_line_budget(t->a, b->len)) != NULL)
			return run_row_error(t, "Query parameter", key, msg);
	}
	return 0;
}

/* The URL over the sample data, then every query parameter. */
static int
run_build_url(struct run *t)
{
	char *url = NULL;
	const char *msg = NULL;
	struct buf b;
	if (outbound_render(t->a, db_get(&t->ep, 0, "url"), t->sample, TMPL_ESC_URL, &url, &msg) !=
	    OUT_OK) {
		t->out->error = arena_printf(t->a, "The URL cannot be built: %s", msg ? msg : "");
		t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
		return -1;
	}
	size_t len = strlen(url);
	char sep = strchr(url, '?') ? '&' : '?';
	if (len && (url[len - 1] == '?' || url[len - 1] == '&'))
		sep = 0;
	buf_init(&b);
	buf_puts(&b, url);
	int rc = run_append_params(t, &b, sep);
	if (rc == 0)
		t->req.url = b.failed ? NULL : arena_strdup(t->a, b.data);
	buf_free(&b);
	return rc == 0 && t->req.url ? 0 : -1;
}

/* Credential-looking header names, masked when shown. */
static int
run_name_secret(const char *name)
{
	static const char *const words[] = {"auth", "token",  "secret",	 "password",  "passwd",
					    "key",  "cookie", "session", "signature", "credential"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(name, words[i]))
			return 1;
	return 0;
}

/* Every header row rendered over the data; a credential-looking name marks the header
 * secret so the shown copy and the curl line mask it. Room is left for the Content-Type
 * run_build_body may add (connector_authorize copies the array to add Authorization). */
static int
run_build_headers(struct run *t)
{
	size_t n = t->headers.nrows;
	struct outbound_header *h = arena_alloc(t->a, (n + 2) * sizeof(*h));
	if (!h)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = db_get(&t->headers, i, "name");
		const char *msg = NULL;
		char *val = NULL;
		int required = db_get_ll(&t->headers, i, "required", 0) != 0;
		if (outbound_render_ex(t->a, db_get(&t->headers, i, "value"), t->sample,
				       TMPL_ESC_HEADER, required, &val, &msg) != OUT_OK)
			return run_row_error(t, "Header", name, msg);
		h[i] = (struct outbound_header){name, val, run_name_secret(name)};
	}
	t->req.headers = h;
	t->req.nheaders = n;
	return 0;
}

static const char *
run_header_value(const struct outbound_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (req->headers[i].name && !strcasecmp(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

/* The body, escaped by its Content-Type (outbound_body_escape; without one it gets the type
 * it is sent as); never for GET. */
static int
run_build_body(struct run *t)
{
	const char *body = db_get(&t->ep, 0, "body");
	const char *type = run_header_value(&t->req, "Content-Type");
	const char *msg = NULL, *add = NULL;
	char *out = NULL;
	if (!body || !*body || !strcmp(t->req.method, "GET"))
		return 0;
	int esc = outbound_body_escape(type, body, &add);
	if (outbound_render(t->a, body, t->sample, esc, &out, &msg) != OUT_OK) {
		t->out->error =
		    arena_printf(t->a, "The request body cannot be built: %s", msg ? msg : "");
		t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
		return -1;
	}
	t->req.body = out;
	t->req.body_len = strlen(out);
	if (add)
		t->req.headers[t->req.nheaders++] =
		    (struct outbound_header){"Content-Type", add, 0};
	return 0;
}

/* The request from the endpoint row; a timeout outside 1-300 s falls back to the config's
 * default (0). */
static int
run_build(struct run *t)
{
	long timeout = (long)db_get_ll(&t->ep, 0, "timeout", 0);
	t->req.method = db_get(&t->ep, 0, "method");
	t->req.timeout = timeout > 0 && timeout <= 300 ? timeout : 0;
	t->req.verify_tls = t->auth.verify_ssl;
	t->req.connector_id = t->connector_id; /* counts against the connector's own cap */
	t->req.connector_cap = (long)db_get_ll(&t->conn, 0, "max_concurrency", 0);
	if (run_build_url(t) || run_build_headers(t) || run_build_body(t))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------- sending */

/* Authorization for the request; on failure out->error says why. */
static int
run_authorize(struct run *t, int force_new)
{
	const struct connector_run_in *in = t->in;
	const char *msg = NULL;
	int rc = connector_authorize(in->curl, in->oc, in->db, in->keys, t->a, &t->auth, force_new,
				     &t->req, &msg);
	if (rc == OUT_OK)
		return 0;
	t->out->error = msg ? msg : outbound_strerror((enum outbound_err)rc);
	t->out->error_code = outbound_err_name((enum outbound_err)rc);
	return -1;
}

static int
run_is_oauth(const struct run *t)
{
	return t->auth.type == AUTH_OAUTH2_PASSWORD ||
	       t->auth.type == AUTH_OAUTH2_CLIENT_CREDENTIALS;
}

/* Authorization, the request, and once more with a new token when OAuth got a 401 (the
 * cached token was revoked or expired early). */
static void
run_send(struct run *t)
{
	const struct connector_run_in *in = t->in;
	struct connector_run_out *out = t->out;
	if (run_authorize(t, 0))
		return;
	outbound_send(in->curl, in->oc, t->a, &t->req, &out->resp);
	out->sent = 1;
	if (out->resp.err == OUT_OK && out->resp.status == 401 && run_is_oauth(t)) {
		log_info("connector: connector %lld got 401, fetching a new token",
			 t->connector_id);
		if (run_authorize(t, 1))
			return;
		outbound_send(in->curl, in->oc, t->a, &t->req, &out->resp);
	}
	if (out->resp.err != OUT_OK) {
		out->error =
		    out->resp.message ? out->resp.message : outbound_strerror(out->resp.err);
		out->error_code = outbound_err_name(out->resp.err);
	}
}

/* ------------------------------------------------------------------- showing */

/* Whether a query parameter name looks like it carries a credential. */
static int
run_param_secret(const char *name, size_t n)
{
	char key[64];
	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, name, n);
	key[n] = '\0';
	return run_name_secret(key) || !strcasecmp(key, "sig") || !strcasecmp(key, "pass");
}

/* The query of a URL with credential-looking values masked, appended to b. */
static void
run_mask_query(struct buf *b, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&#");
		const char *eq = memchr(q, '=', n);
		if (eq && run_param_secret(q, (size_t)(eq - q))) {
			buf_append(b, q, (size_t)(eq - q) + 1);
			buf_puts(b, RUN_MASK);
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
connector_mask_url(struct arena *a, const char *url)
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
		buf_puts(&b, RUN_MASK);
		host = at;
	}
	const char *q = strchr(host, '?');
	buf_append(&b, host, q ? (size_t)(q - host) : strlen(host));
	if (q) {
		buf_putc(&b, '?');
		run_mask_query(&b, q + 1);
	}
	const char *out = b.failed ? "" : arena_strdup(a, b.data);
	buf_free(&b);
	return out ? out : "";
}

/* "Bearer ****" for an Authorization-style header, "****" for other secrets. */
static const char *
run_masked_value(struct arena *a, const struct outbound_header *h)
{
	const char *v = h->value ? h->value : "";
	if (!h->secret && !run_name_secret(h->name))
		return v;
	const char *sp = strchr(v, ' ');
	if (strcasestr(h->name, "authorization") && sp)
		return arena_printf(a, "%.*s " RUN_MASK, (int)(sp - v), v);
	return RUN_MASK;
}

/* out->shown: the request as sent with the URL and secret header values masked, and the
 * same as a curl command line (which masks secret headers once more by name). */
static void
run_show(struct run *t)
{
	struct connector_run_out *out = t->out;
	struct outbound_header *h = NULL;
	out->shown = t->req;
	out->shown.url = t->req.url ? connector_mask_url(t->a, t->req.url) : NULL;
	if (t->req.nheaders)
		h = arena_alloc(t->a, t->req.nheaders * sizeof(*h));
	for (size_t i = 0; h && i < t->req.nheaders; i++) {
		h[i] = t->req.headers[i];
		h[i].value = run_masked_value(t->a, &t->req.headers[i]);
		h[i].secret = h[i].secret || h[i].value != t->req.headers[i].value;
	}
	out->shown.headers = h;
	out->shown.nheaders = h ? t->req.nheaders : 0;
	out->curl = out->shown.url ? outbound_as_curl(t->a, &out->shown) : NULL;
	if (out->sent && out->resp.effective_url)
		out->effective_url = connector_mask_url(t->a, out->resp.effective_url);
}

/* The execution-log row of every run, sent or not; a failure to write it is only logged. */
static void
run_log(struct run *t)
{
	const struct connector_run_in *in = t->in;
	const struct connector_run_out *out = t->out;
	struct db_execution e = {
	    .connector_id = t->connector_id,
	    .endpoint_id = t->endpoint_id,
	    .user_id = in->user_id,
	    .token_id = in->token_id,
	    .kind = in->kind,
	    .method = t->req.method ? t->req.method : "",
	    .url = connector_mask_url(t->a, t->req.url ? t->req.url : db_get(&t->ep, 0, "url")),
	    .status = out->sent ? out->resp.status : 0,
	    .duration_us = out->sent ? (long long)(out->resp.t.total_ms * 1000.0) : 0,
	    .size = out->sent ? out->resp.size : 0,
	    .error = out->error ? out->error : "",
	};
	if (db_execution_log(in->db, &e) != DB_OK)
		log_warn("connector: execution log not written for endpoint %lld", t->endpoint_id);
}

int
connector_run(const struct connector_run_in *in, struct connector_run_out *out)
{
	struct run t = {.in = in,
			.out = out,
			.a = in->a,
			.connector_id = in->connector_id,
			.endpoint_id = in->purpose ? 0 : in->endpoint_id};
	memset(out, 0, sizeof(*out));
	int rc = run_load(&t);
	if (rc != DB_OK)
		return rc;
	int type = auth_type_from_name(db_get(&t.conn, 0, "auth_type"));
	out->connector_name = db_get(&t.conn, 0, "name");
	out->purpose = db_get(&t.ep, 0, "purpose");
	out->auth_type = type < 0 ? AUTH_NONE : (enum auth_type)type;
	out->endpoint_id = t.endpoint_id;
	if (run_auth(&t) == 0 && run_build(&t) == 0)
		run_send(&t);
	run_show(&t);
	run_log(&t);
	return 0;
}

const char *
connector_body_base64(struct arena *a, const struct outbound_response *r)
{
	char *b64 = NULL;
	if (crypt_b64_encode(a, r->body ? r->body : "", r->body ? r->body_len : 0, &b64) !=
	    CRYPT_OK)
		return NULL;
	return b64;
}
