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

/* JSON for reading: pretty, slashes as they are. */
static const char *
test_pretty(struct arena *a, struct json_object *o)
{
	if (!o)
		return "null";
	return arena_strdup(
	    a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The runtime's part of the screen: the mapped data beside the body, notes about pointers
 * that matched nothing, pages fetched and attempts, and an error status. */
static void
test_runtime_json(struct ctx *c, const struct connector_run_out *t, struct json_object *d)
{
	struct json_object *notes = json_object_new_array();
	for (size_t i = 0; i < t->nnotes; i++) {
		struct json_object *n = json_object_new_object();
		jset_str(n, "text", t->notes[i]);
		json_object_array_add(notes, n);
	}
	jset(d, "notes", notes);
	jset_bool(d, "has_notes", t->nnotes > 0);
	if (t->sent && t->resp.err == OUT_OK) {
		jset_str(d, "data", test_pretty(c->a, t->data));
		jset_int(d, "pages", t->pages);
		jset_int(d, "attempts", t->attempts);
		jset_bool(d, "retried", t->attempts > 1);
	}
	if (t->error_status)
		jset_str(
		    d, "error_status",
		    arena_printf(c->a,
				 "%ld is one of this endpoint's error statuses: execute answers "
				 "502 for it.",
				 t->resp.status));
}

static int
test_page(struct ctx *c, const struct connector_run_out *t)
{
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	struct json_object *d = json_object_new_object();
	jset(d, "connector", connector_tabs_json(c, c->ids[0], t->connector_name));
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
	test_runtime_json(c, t, d);
	if (!c->ids[1]) { /* a draft: nothing to test again here, nothing saved to go back to */
		jset_bool(d, "draft", 1);
		jset_str(d, "close_url", arena_printf(c->a, "%s/endpoints", base));
		jset(d, "test_url", NULL);
	}
	/* Past the render budget the request is unprocessable: 422, as execute and save say. */
	int status = t->error && (strstr(t->error, OUTBOUND_MSG_BUDGET) ||
				  (t->error_code && !strcmp(t->error_code, "EINVALID")))
			 ? 422
			 : 200;
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

/* The Test of the editor's form as it stands (POST /data-connectors/{id}/endpoints/test,
 * the editor's Test button): the fields read and checked as a save would, without saving,
 * run over the "Test data" box (a JSON object; blank: the draft's sample data), all pages
 * when "all_pages" is ticked. A draft with errors shows them and sends nothing. */
int
web_endpoint_draft_test(struct ctx *c)
{
	struct form f;
	struct endpoint_input *draft = NULL;
	struct connector_run_out out;
	struct json_object *data = NULL;
	const char *text = http_form_get(c->req, "test_data");
	form_init(&f, c);
	if (text && *(text + strspn(text, " \t\r\n"))) {
		data = json_tokener_parse(text);
		web_defer_json(c, data);
		if (!json_object_is_type(data, json_type_object))
			form_error(&f, "test_data", "The Test data must be a JSON object.");
	}
	int rc = endpoint_draft(&f, &draft);
	if (rc == 500)
		return rc;
	if (f.nerrors) {
		struct buf *b = buf_new_arena(c->a);
		json_object_object_foreach(f.errors, field, msg)
		{
			if (b->len)
				buf_puts(b, " ");
			buf_puts(b,
				 arena_printf(c->a, "%s: %s", field, json_object_get_string(msg)));
		}
		memset(&out, 0, sizeof(out));
		out.purpose = draft ? draft->purpose : "draft";
		out.error =
		    arena_printf(c->a, "The draft cannot be tested: %s", b->data ? b->data : "");
		out.error_code = "EINVALID";
		struct connector r;
		if ((rc = db_connector_get(c->db, c->a, c->ids[0], &r)) != DB_OK)
			return rc == DB_ENOTFOUND ? 404 : rc;
		out.connector_name = r.v.name;
		c->ids[1] = 0;
		return test_page(c, &out);
	}
	struct connector_run_in in = web_connector_run_in(c, c->ids[0], "test");
	in.draft = draft;
	in.data = data;
	in.all_pages = form_checkbox(c, "all_pages");
	c->ids[1] = 0;
	if ((rc = connector_run(&in, &out)) != 0)
		return rc;
	return test_page(c, &out);
}
