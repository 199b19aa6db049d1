/* The Test screen of a draft (POST /data-connectors/{id}/endpoints/test): runs the editor's
 * unsaved endpoint through connector_run (src/connector/run.c), which also writes the
 * execution log, and shows the result: the request as sent with secrets masked, "copy as
 * cURL", status, timings, size, response headers and body (a saved endpoint's Test is a
 * record on the log page, src/web/log_detail.c). The route table checks view + edit. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "save.h"

/* The Test screen of a draft (nothing saved to test again or go back to): the run's detail
 * as a log entry shows it (src/connector/detail.c), with the bodies to read. */
static int
test_page(struct ctx *c, const struct connector_run_out *t)
{
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	struct json_object *d =
	    connector_detail_json(c->a, c->app->outbound.max_response, t, "test", NULL, 1);
	struct json_object *rq = NULL, *rs = NULL;
	jset(d, "connector", connector_tabs_json(c, c->ids[0], t->connector_name));
	jset_bool(d, "tab_endpoints", 1);
	jset_str(d, "title", arena_printf(c->a, "Test · %s", t->purpose));
	jset_str(d, "close_url", arena_printf(c->a, "%s/endpoints", base));
	jset_bool(d, "draft", 1);
	if (t->shown.body && json_object_object_get_ex(d, "request", &rq))
		jset_str(rq, "body", t->shown.body);
	if (json_object_object_get_ex(d, "response", &rs)) {
		int is_json, binary;
		const char *body = connector_body_text(c->a, &t->resp, &is_json, &binary);
		if (body)
			jset_str(rs, "body", body);
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
	in.environment = http_form_get(c->req, "environment");
	c->ids[1] = 0;
	if ((rc = connector_run(&in, &out)) != 0)
		return rc;
	return test_page(c, &out);
}
