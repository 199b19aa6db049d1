/* JSON API: a connector's endpoints with their header and query parameter rows inline,
 * and execute: an endpoint rendered over the caller's data, authorized, sent and answered
 * as JSON (connector_run, the Test screen's run too). Permissions come from the route
 * table: view, view + edit, and execute + view. */
#include <string.h>
#include <strings.h>

#include "../db/environments.h"
#include "../db/endpoints.h"
#include "api.h"

#define NOT_FOUND_CONNECTOR "The Data Connector does not exist."
#define NOT_FOUND_ENDPOINT  "The endpoint does not exist."
#define EXCERPT_MAX	    300

/* ------------------------------------------------------------- reading out */

int
api_endpoint_json(struct ctx *c, long long cid, long long eid, int export, struct json_object **out)
{
	struct endpoint_input in;
	struct db_endpoint_head r;
	int rc = db_endpoint_read(c->db, c->a, cid, eid, &in, &r);
	if (rc != DB_OK)
		return rc;
	struct json_object *o = json_object_new_object();
	if (!export) {
		jset_int(o, "id", eid);
		jset_int(o, "connector_id", cid);
	}
	endpoint_json(c->a, o, &in, export);
	if (!export) {
		jset_str(o, "created_at", api_time(c->a, r.created_at));
		jset_str(o, "updated_at", api_time(c->a, r.updated_at));
	}
	*out = o;
	return DB_OK;
}

static int
endpoint_answer(struct ctx *c, int status, long long cid, long long eid)
{
	struct json_object *o = NULL;
	int rc = api_endpoint_json(c, cid, eid, 0, &o);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_ENDPOINT) : rc;
	return web_json(c, status, o);
}

/* 0 when the connector exists, else the status answered. */
static int
connector_exists(struct ctx *c, long long cid)
{
	struct connector r;
	int rc = db_connector_get(c->db, c->a, cid, &r);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, NOT_FOUND_CONNECTOR);
	return rc;
}

int
web_api_endpoint_list(struct ctx *c)
{
	struct form f;
	struct api_page p;
	struct db_endpoint_head *r = NULL;
	size_t n = 0;
	form_init(&f, c);
	api_page_read(&f, &p);
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	int rc = connector_exists(c, c->ids[0]);
	if (rc == 0)
		rc = db_endpoint_list(c->db, c->a, c->ids[0], &r, &n);
	if (rc != 0)
		return rc;
	struct json_object *arr = json_object_new_array();
	for (size_t i = (size_t)p.offset; i < n && i < (size_t)(p.offset + p.per_page); i++) {
		struct json_object *o = NULL;
		rc = api_endpoint_json(c, c->ids[0], r[i].id, 0, &o);
		if (rc != DB_OK) {
			json_object_put(arr);
			return rc;
		}
		json_object_array_add(arr, o);
	}
	return web_json(c, 200, api_list(arr, &p, (long long)n));
}

int
web_api_endpoint_show(struct ctx *c)
{
	return endpoint_answer(c, 200, c->ids[0], c->ids[1]);
}

/* Create (eid 0) or update from the body. */
static int
endpoint_put(struct ctx *c, long long eid, int status)
{
	struct json_object *obj = NULL;
	struct db_endpoint_head r;
	struct form f;
	long long cid = c->ids[0];
	int rc = api_body(c, &obj);
	if (rc || (rc = connector_exists(c, cid)) != 0)
		return rc;
	if (eid && (rc = db_endpoint_head_get(c->db, c->a, cid, eid, &r)) != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_ENDPOINT) : rc;
	form_init(&f, c);
	if ((rc = endpoint_api_form(&f, obj)) != 0)
		return rc;
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	if ((rc = endpoint_submit(&f, cid, eid, &eid)) != 0)
		return web_fail_form(&f, rc, NOT_FOUND_ENDPOINT);
	return endpoint_answer(c, status, cid, eid);
}

int
web_api_endpoint_create(struct ctx *c)
{
	return endpoint_put(c, 0, 201);
}

int
web_api_endpoint_update(struct ctx *c)
{
	return endpoint_put(c, c->ids[1], 200);
}

int
web_api_endpoint_delete(struct ctx *c)
{
	struct db_endpoint_head r;
	int rc = db_endpoint_head_get(c->db, c->a, c->ids[0], c->ids[1], &r);
	if (rc == DB_OK)
		rc = db_endpoint_delete(c->db, c->ids[0], c->ids[1], c->user->id);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_ENDPOINT) : rc;
	audit_write(c->db, c->user, "endpoint.delete", "endpoint", c->ids[1],
		    arena_printf(c->a, "connector %lld, purpose: %s", c->ids[0], r.purpose),
		    c->req->remote_addr);
	c->resp->status = 204;
	return 204;
}

/* ------------------------------------------------------------------ execute */

/* A 422 answer naming one member. */
static int
execute_invalid(struct ctx *c, const char *member, const char *msg)
{
	struct json_object *errs = json_object_new_object(), *arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string(msg));
	jset(errs, member, arr);
	return web_fail(c, 422, "The given data was invalid.", errs);
}

/* "all_pages" of the body: absent or a boolean. */
static int
execute_all_pages(struct ctx *c, struct json_object *obj, int *all)
{
	struct json_object *v = NULL;
	*all = 0;
	if (!obj || !json_object_object_get_ex(obj, "all_pages", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return execute_invalid(c, "all_pages",
				       "The all_pages field must be true or false.");
	*all = json_object_get_boolean(v);
	return 0;
}

/* "environment" of the body: absent, null or a string naming one of the connector's
 * environments (case ignored); *name NULL: the default. */
static int
execute_environment(struct ctx *c, struct json_object *obj, const char **name)
{
	struct json_object *v = NULL;
	struct db_environment r;
	*name = NULL;
	if (!obj || !json_object_object_get_ex(obj, "environment", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return execute_invalid(c, "environment",
				       "The environment field must be the name of an environment "
				       "(a string).");
	*name = json_object_get_string(v);
	if (!**name) {
		*name = NULL;
		return 0;
	}
	int rc = db_env_find(c->db, c->a, c->user ? &c->user->gens : NULL, c->ids[0], *name, &r);
	if (rc == DB_ENOTFOUND)
		return execute_invalid(
		    c, "environment",
		    arena_printf(c->a, "This Data Connector has no environment \"%s\".", *name));
	return rc;
}

/* The "data" member of obj (an object; absent or null: {}). */
static int
execute_data_of(struct ctx *c, struct json_object *obj, struct json_object **data)
{
	struct json_object *d = NULL;
	if (!json_object_object_get_ex(obj, "data", &d) || !d) {
		*data = json_object_new_object();
		web_defer_json(c, *data);
		return 0;
	}
	if (!json_object_is_type(d, json_type_object))
		return execute_invalid(c, "data", "The data field must be an object.");
	*data = d;
	return 0;
}

/* {"data": {...}, "all_pages": bool} (or no body at all: {}); 0 with *data, else the status
 * answered. *body is the parsed body (NULL when none). */
static int
execute_data(struct ctx *c, struct json_object **data, struct json_object **body)
{
	struct json_object *obj = NULL;
	*data = NULL;
	*body = NULL;
	if (c->req->body_len == 0) {
		*data = json_object_new_object();
		web_defer_json(c, *data);
		return 0;
	}
	int rc = api_body(c, &obj);
	if (rc)
		return rc;
	*body = obj;
	return execute_data_of(c, obj, data);
}

/* The response headers as one object; repeated names joined with ", ". */
static struct json_object *
headers_json(struct arena *a, const struct outbound_response *r)
{
	struct json_object *o = json_object_new_object(), *old = NULL;
	for (size_t i = 0; i < r->nheaders; i++) {
		const char *name = r->headers[i].name, *v = r->headers[i].value;
		if (!name)
			continue;
		if (json_object_object_get_ex(o, name, &old))
			v = arena_printf(a, "%s, %s", json_object_get_string(old), v ? v : "");
		jset_str(o, name, v ? v : "");
	}
	return o;
}

static const char *
header_of(const struct outbound_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].name && !strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* The body: parsed when it is JSON, else text; bytes that are not UTF-8 text as base64
 * with "body_encoding". */
static void
body_json(struct ctx *c, const struct outbound_response *r, struct json_object *o)
{
	const char *type = header_of(r, "Content-Type");
	const char *p = r->body ? r->body + strspn(r->body, " \t\r\n") : "";
	struct json_object *parsed = NULL;
	int looks = (type && strcasestr(type, "json")) || *p == '{' || *p == '[';
	if (r->body && !r->truncated && looks && strlen(r->body) == r->body_len &&
	    (parsed = json_tokener_parse(r->body)) != NULL) {
		jset(o, "body", parsed);
	} else if (!r->body ||
		   (http_utf8_valid(r->body, r->body_len) && strlen(r->body) == r->body_len)) {
		jset_str(o, "body", r->body ? r->body : "");
	} else {
		const char *b64 = connector_body_base64(c->a, r);
		if (b64)
			jset_str(o, "body", b64);
		jset_str(o, "body_encoding", "base64");
	}
}

/* A duration in ms, written with three decimals. */
static struct json_object *
ms_json(struct arena *a, double ms)
{
	return json_object_new_double_s(ms, arena_printf(a, "%.3f", ms));
}

static struct json_object *
timings_json(struct arena *a, const struct outbound_timings *t)
{
	struct json_object *o = json_object_new_object();
	jset(o, "dns_ms", ms_json(a, t->dns_ms));
	jset(o, "connect_ms", ms_json(a, t->connect_ms));
	jset(o, "tls_ms", ms_json(a, t->tls_ms));
	jset(o, "first_byte_ms", ms_json(a, t->first_byte_ms));
	jset(o, "total_ms", ms_json(a, t->total_ms));
	return o;
}

/* "data" (the mapped answer), "pages", "attempts" and "notes". */
static void
execute_runtime(struct json_object *o, const struct connector_run_out *t)
{
	struct json_object *notes = json_object_new_array();
	jset(o, "data", t->data ? json_object_get(t->data) : NULL);
	jset_int(o, "pages", t->pages);
	jset_int(o, "attempts", t->attempts);
	for (size_t i = 0; i < t->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(t->notes[i]));
	jset(o, "notes", notes);
}

static int
execute_result(struct ctx *c, const struct connector_run_out *t)
{
	const struct outbound_response *r = &t->resp;
	struct json_object *o = json_object_new_object();
	jset_int(o, "status", r->status);
	jset(o, "headers", headers_json(c->a, r));
	body_json(c, r, o);
	jset(o, "timings", timings_json(c->a, &r->t));
	jset_int(o, "size", r->size);
	jset_bool(o, "truncated", r->truncated);
	execute_runtime(o, t);
	return web_json(c, 200, o);
}

/* The upstream answered one of the endpoint's error statuses: 502 with that status and a
 * short excerpt of its body, so that no caller takes an error page for data. */
static int
execute_error_status(struct ctx *c, const struct connector_run_out *t)
{
	const struct outbound_response *r = &t->resp;
	struct json_object *o = json_object_new_object();
	size_t n = r->body ? r->body_len : 0;
	if (n > EXCERPT_MAX)
		n = EXCERPT_MAX;
	while (n > 0 && r->body && ((unsigned char)r->body[n] & 0xC0) == 0x80 && n < r->body_len)
		n--; /* not inside a UTF-8 sequence */
	const char *ex = r->body ? arena_strndup(c->a, r->body, n) : "";
	if (ex && (!http_utf8_valid(ex, strlen(ex)) || strlen(ex) != n))
		ex = "(not text)";
	jset_str(o, "message",
		 arena_printf(c->a,
			      "The data source answered %ld%s%s, one of this endpoint's error "
			      "statuses.",
			      r->status, r->reason && *r->reason ? " " : "",
			      r->reason ? r->reason : ""));
	jset_str(o, "code", "ESTATUS");
	jset_int(o, "upstream_status", r->status);
	jset_str(o, "body_excerpt", ex ? ex : "");
	jset_int(o, "attempts", t->attempts);
	jset(o, "errors", json_object_new_object());
	return web_json(c, 502, o);
}

/* A run that did not get an answer: 422 for data the templates cannot use, 403 when the
 * request would carry the connector's credentials to an origin they are not bound to (nothing
 * was sent), 504 for a timeout, 503 when every outbound slot is busy, else 502;
 * {"message", "code"}, with "attempts" when any was made. */
static int
execute_failed(struct ctx *c, const struct connector_run_out *t)
{
	const char *code = t->error_code ? t->error_code : "EOTHER";
	const char *msg = t->error ? t->error : "The request to the data source failed.";
	struct json_object *o = json_object_new_object(), *errs = json_object_new_object();
	int status = 502;
	if (!strcmp(code, "EENV")) {
		struct json_object *arr = json_object_new_array();
		json_object_array_add(arr, json_object_new_string(msg));
		jset(errs, "environment", arr);
		status = 422;
	} else if (!strcmp(code, "ETEMPLATE")) {
		struct json_object *arr = json_object_new_array();
		json_object_array_add(arr, json_object_new_string(msg));
		jset(errs, "data", arr);
		status = 422;
	} else if (!strcmp(code, "EORIGIN")) {
		status = 403;
	} else if (!strcmp(code, "ETIMEOUT") || !strcmp(code, "ECONNECT_TIMEOUT")) {
		status = 504;
	} else if (!strcmp(code, "EBUSY")) {
		status = 503;
		long after = t->resp.retry_after > 0 ? t->resp.retry_after : 1;
		http_resp_header(c->resp, "Retry-After", arena_printf(c->a, "%ld", after));
	}
	jset_str(o, "message", msg);
	jset_str(o, "code", code);
	if (t->attempts > 0) /* what was sent and failed (connect errors retried) */
		jset_int(o, "attempts", t->attempts);
	jset(o, "errors", errs);
	return web_json(c, status, o);
}

/* The answer of a run: the result, 502 for an error status, or the failure. */
static int
execute_answer(struct ctx *c, const struct connector_run_out *t)
{
	if (t->sent && t->resp.err == OUT_OK && t->error_status)
		return execute_error_status(c, t);
	if (t->sent && t->resp.err == OUT_OK)
		return execute_result(c, t);
	return execute_failed(c, t);
}

int
web_api_endpoint_execute(struct ctx *c)
{
	struct json_object *data = NULL, *body = NULL;
	struct connector_run_out t;
	const char *env = NULL;
	int all = 0;
	int rc = execute_data(c, &data, &body);
	if (rc != 0 || (rc = execute_all_pages(c, body, &all)) != 0 ||
	    (rc = execute_environment(c, body, &env)) != 0)
		return rc;
	struct connector_run_in in = web_connector_run_in(c, c->ids[0], "execute");
	in.purpose = c->params[0];
	in.environment = env;
	in.data = data;
	in.all_pages = all;
	if ((rc = connector_run(&in, &t)) == 404)
		return api_not_found(c,
				     arena_printf(c->a,
						  "There is no such Data Connector, or it has no "
						  "endpoint with the purpose \"%s\".",
						  c->params[0]));
	if (rc != 0)
		return rc;
	return execute_answer(c, &t);
}

/* POST .../endpoints/test: {"endpoint": {the endpoint's fields}, "data": {...},
 * "all_pages": bool}. The draft is checked as a save would check it, run over the data (or
 * its own sample data) through connector_run — credentials only to the connector's allowed
 * origins — and answered in execute's shape; nothing is saved but the execution log. */
int
web_api_endpoint_test(struct ctx *c)
{
	struct json_object *obj = NULL, *ep = NULL, *data = NULL;
	struct endpoint_input *draft = NULL;
	struct connector_run_out t;
	struct form f;
	int all = 0;
	int rc = api_body(c, &obj);
	if (rc || (rc = connector_exists(c, c->ids[0])) != 0)
		return rc;
	if (!json_object_object_get_ex(obj, "endpoint", &ep) ||
	    !json_object_is_type(ep, json_type_object))
		return execute_invalid(c, "endpoint",
				       "The endpoint field must be an object of the endpoint's "
				       "fields.");
	const char *env = NULL;
	if ((rc = execute_all_pages(c, obj, &all)) != 0 ||
	    (rc = execute_environment(c, obj, &env)) != 0)
		return rc;
	struct json_object *d = NULL;
	if (json_object_object_get_ex(obj, "data", &d) && d &&
	    (rc = execute_data_of(c, obj, &data)) != 0)
		return rc;
	form_init(&f, c);
	if ((rc = endpoint_api_form(&f, ep)) != 0)
		return rc;
	if (f.nerrors || (rc = endpoint_draft(&f, &draft)) == 422)
		return web_fail_form(&f, 422, NULL);
	if (rc != 0)
		return rc;
	struct connector_run_in in = web_connector_run_in(c, c->ids[0], "test");
	in.draft = draft;
	in.environment = env;
	in.data = data;
	in.all_pages = all;
	if ((rc = connector_run(&in, &t)) == 404)
		return api_not_found(c, NOT_FOUND_CONNECTOR);
	if (rc != 0)
		return rc;
	return execute_answer(c, &t);
}
