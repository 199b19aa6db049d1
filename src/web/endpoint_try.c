/* The Test screen (POST /data-connectors/{id}/endpoints/{eid}/test): runs the saved
 * endpoint over its sample data through connector_run (src/connector/run.c), which also
 * writes the execution log, and shows the result: the request as sent with secrets masked,
 * "copy as cURL", status, timings, size, response headers and body. The route table
 * checks view + edit. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "save.h"

static struct json_object *
test_headers_json(const struct outbound_header *h, size_t n)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_str(o, "name", h[i].name);
		jset_str(o, "value", h[i].value);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The request as sent; connector_run already masked its secrets. */
static struct json_object *
test_request_json(const struct connector_run_out *t)
{
	const struct outbound_request *shown = &t->shown;
	struct json_object *o = json_object_new_object();
	jset_str(o, "method", shown->method);
	jset_str(o, "url", shown->url);
	jset(o, "headers", test_headers_json(shown->headers, shown->nheaders));
	jset_bool(o, "has_headers", shown->nheaders > 0);
	if (shown->body)
		jset_str(o, "body", shown->body);
	if (t->curl)
		jset_str(o, "curl", t->curl);
	jset_bool(o, "verify_tls", shown->verify_tls);
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
test_response_json(struct ctx *c, const struct connector_run_out *t)
{
	struct arena *a = c->a;
	const struct outbound_response *r = &t->resp;
	struct json_object *o = json_object_new_object();
	jset_int(o, "status", r->status);
	jset_str(o, "reason", r->reason ? r->reason : "");
	jset_bool(o, "success", r->status >= 200 && r->status < 300);
	jset(o, "timings", test_timings_json(a, &r->t));
	jset_int(o, "size", r->size);
	jset(o, "headers", test_headers_json(r->headers, r->nheaders));
	if (r->redirects > 0) {
		jset_int(o, "redirects", r->redirects);
		jset_str(o, "effective_url", t->effective_url);
	}
	if (r->truncated)
		jset_str(o, "truncated",
			 arena_printf(a,
				      "The response was cut at %zu bytes (the server's limit); "
				      "it had %lld bytes.",
				      c->app->outbound.max_response, r->size));
	test_body_json(a, r, o);
	return o;
}

static int
test_page(struct ctx *c, const struct connector_run_out *t)
{
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	struct json_object *d = json_object_new_object(), *conn = json_object_new_object();
	jset_str(conn, "name", t->connector_name);
	jset_str(conn, "url", base);
	jset_str(conn, "authorization_url", arena_printf(c->a, "%s/authorization", base));
	jset_str(conn, "endpoints_url", arena_printf(c->a, "%s/endpoints", base));
	jset(d, "connector", conn);
	jset_bool(d, "tab_endpoints", 1);
	jset_str(d, "title", arena_printf(c->a, "Test · %s", t->purpose));
	jset_str(d, "purpose", t->purpose);
	jset_str(d, "auth_label", auth_type_labels[t->auth_type]);
	jset_str(d, "close_url", arena_printf(c->a, "%s/endpoints/%lld", base, c->ids[1]));
	jset_str(d, "test_url", arena_printf(c->a, "%s/endpoints/%lld/test", base, c->ids[1]));
	if (t->shown.method && t->shown.url)
		jset(d, "request", test_request_json(t));
	if (t->sent && t->resp.err == OUT_OK)
		jset(d, "response", test_response_json(c, t));
	if (t->error) {
		jset_str(d, "error", t->error);
		jset_str(d, "error_code", t->error_code ? t->error_code : "");
	}
	/* Past the render budget the request is unprocessable: 422, as execute and save say. */
	int status = t->error && strstr(t->error, OUTBOUND_MSG_BUDGET) ? 422 : 200;
	return web_render(c, status, "endpoint_test", d);
}

/* The one place where this request's worker state (database handle, curl handle, arena,
 * keys) and caller become the explicit inputs connector_run takes. */
struct connector_run_in
web_connector_run_in(struct ctx *c, long long cid, const char *kind)
{
	return (struct connector_run_in){
	    .oc = &c->app->outbound,
	    .keys = c->app->have_keys ? &c->app->keys : NULL,
	    .db = c->db,
	    .a = c->a,
	    .curl = c->w->curl,
	    .gens = c->user ? &c->user->gens : NULL,
	    .connector_id = cid,
	    .kind = kind,
	    .user_id = c->user ? c->user->id : 0,
	    .token_id = c->user ? c->user->token_id : 0,
	};
}

int
web_endpoint_test(struct ctx *c)
{
	struct connector_run_out out;
	struct connector_run_in in = web_connector_run_in(c, c->ids[0], "test");
	in.endpoint_id = c->ids[1];
	int rc = connector_run(&in, &out);
	if (rc != 0)
		return rc;
	return test_page(c, &out);
}
