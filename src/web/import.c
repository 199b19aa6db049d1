/* Endpoints from a cURL line, an OpenAPI document or a Postman collection (src/import/ reads
 * them into proposed endpoints), and a connector out as OpenAPI 3.1 or Postman v2.1.
 *
 * POST /api/1.0/data-connectors/{id}/endpoints/import {"format", "source", "dry_run",
 * "on_conflict"}: every proposed endpoint goes through the endpoint's own validate-and-save
 * (save.h) inside ONE transaction; a dry run rolls it back, so it answers exactly what a
 * real run would create (or the errors it would meet). Nothing is created unless all is.
 * Purposes the connector already has are conflicts: refused (409) unless on_conflict is
 * "skip". The pages (Endpoints tab → Import) preview and save through the same code. */
#include <string.h>
#include <strings.h>

#include "../db/endpoints.h"
#include "../import/import.h"
#include "api.h"

#define NOT_FOUND_CONNECTOR "The Data Connector does not exist."

/* What one import run needs and answers. */
struct ep_import {
	struct ctx *c;
	long long cid;
	struct import_doc doc;
	struct json_object *proposal; /* import_doc_json, owned by the request */
	int dry_run;
	int skip_conflicts;
	int apply_auth; /* also set the proposed authorization method (replacing the current) */
	int auth_applied;
	int committed; /* the endpoints in created exist */
	int *conflict; /* per proposed endpoint */
	size_t nconflicts;
	struct json_object *errors;  /* "endpoints.N.field": [message] */
	struct json_object *created; /* [{id, purpose}] */
	int parse_failed;	     /* the document was refused: perr says why */
	struct import_error perr;
};

/* Marks the proposed purposes the connector already has. */
static int
import_conflicts(struct ep_import *im)
{
	struct db_endpoint_head *r = NULL;
	size_t n = 0;
	int rc = db_endpoint_list(im->c->db, im->c->a, im->cid, &r, &n);
	if (rc != DB_OK)
		return rc;
	im->conflict = arena_alloc(im->c->a, (im->doc.nendpoints + 1) * sizeof(int));
	if (!im->conflict)
		return DB_ENOMEM;
	for (size_t i = 0; i < im->doc.nendpoints; i++)
		for (size_t k = 0; k < n; k++)
			if (!strcasecmp(r[k].purpose, im->doc.endpoints[i].purpose)) {
				im->conflict[i] = 1;
				im->nconflicts++;
				break;
			}
	return 0;
}

/* Saves every proposed endpoint (not a skipped conflict) through endpoint_submit. Returns 0
 * when all were saved, 422 with im->errors, or a status / db_err. */
static int
import_save_all(struct ep_import *im)
{
	struct ctx *c = im->c;
	struct json_object *eps = json_object_object_get(im->proposal, "endpoints");
	int invalid = 0;
	for (size_t i = 0; i < im->doc.nendpoints; i++) {
		if (im->conflict[i])
			continue;
		struct form sub;
		long long eid = 0;
		form_init(&sub, c);
		struct json_object *e = json_object_array_get_idx(eps, i);
		int rc = endpoint_api_form(&sub, e);
		if (rc != 0)
			return rc;
		rc = endpoint_submit(&sub, im->cid, 0, &eid);
		if (rc == 422 || sub.nerrors) {
			invalid = 1;
			json_object_object_foreach(sub.errors, key, val)
			{
				const char *k = arena_printf(c->a, "endpoints.%zu.%s", i,
							     api_error_key(c->a, key));
				json_object_object_add(im->errors, k, json_object_get(val));
			}
			continue;
		}
		if (rc != 0)
			return rc;
		struct json_object *o = json_object_new_object();
		jset_int(o, "id", eid);
		jset_str(o, "purpose", im->doc.endpoints[i].purpose);
		json_object_array_add(im->created, o);
	}
	return invalid ? 422 : 0;
}

/* With apply_auth and a proposed method: the connector's authorization set to it through
 * the Authorization tab's own check and save, over the stored non-secret settings (the
 * proposal's method, user, URL Token, scope and key name and place replace theirs). No
 * secret is carried: the current method's stay when the method is the same, else they
 * are dropped as a method change on the tab drops them; the new ones are entered on the
 * tab (secrets_later). 0, 422 with the errors in im->errors ("authorization.<field>"), or a
 * status / db_err. */
static int
import_apply_auth(struct ep_import *im)
{
	struct ctx *c = im->c;
	const struct import_authz *z = &im->doc.auth;
	if (!im->apply_auth || z->type == IMPORT_AUTH_NONE)
		return 0;
	struct db_auth_fields row;
	struct connector d;
	int rc = db_connector_auth_read(c->db, c->a, im->cid, &row);
	if (rc == DB_OK)
		rc = db_connector_get(c->db, c->a, im->cid, &d);
	if (rc != DB_OK)
		return rc;
	struct form sub;
	form_init(&sub, c);
	memset(&sub.in, 0, sizeof(sub.in));
	const char *const set[][2] = {
	    {"auth_type", import_auth_names[z->type]},
	    {"username", z->username},
	    {"token_url", z->token_url},
	    {"scope", z->scope},
	    {"api_key_name", z->api_key_name},
	    {"api_key_in", z->api_key_in},
	};
	for (size_t i = 0; i < auth_nfields; i++) {
		const struct field *fd = &auth_field_table[i];
		const char *v = NULL;
		if (fd->kind == FIELD_SECRET || (fd->flags & FIELD_READONLY))
			continue;
		for (size_t k = 0; k < sizeof(set) / sizeof(set[0]); k++)
			if (!strcmp(fd->name, set[k][0]))
				v = set[k][1] ? set[k][1] : "";
		if (!v)
			v = field_text(c->a, fd, &row);
		if (fd->kind == FIELD_BOOL && !*v)
			continue; /* an unticked box is absent */
		api_form_add(&sub, fd->name, v);
	}
	api_form_add(&sub, "version", arena_printf(c->a, "%lld", d.version));
	rc = authorization_submit(&sub, im->cid, 1);
	if (rc == 422 || rc == 409 || sub.nerrors) {
		json_object_object_foreach(sub.errors, key, val)
		{
			json_object_object_add(
			    im->errors,
			    arena_printf(c->a, "authorization.%s", api_error_key(c->a, key)),
			    json_object_get(val));
		}
		return 422;
	}
	if (rc == 0)
		im->auth_applied = 1;
	return rc;
}

/* One transaction around the whole import; a dry run (or any refusal) rolls it back. */
static int
import_run(struct ep_import *im)
{
	struct ctx *c = im->c;
	int rc = db_begin(c->db);
	if (rc != DB_OK)
		return rc;
	rc = import_save_all(im);
	if (rc == 0)
		rc = import_apply_auth(im);
	if (rc == 0 && !im->dry_run)
		rc = audit_write(c->db, c->user, "endpoint.import", "connector", im->cid,
				 arena_printf(c->a, "%s: %zu endpoints",
					      import_format_names[im->doc.format],
					      json_object_array_length(im->created)),
				 c->req->remote_addr);
	if (rc == 0 && !im->dry_run) {
		rc = db_commit(c->db);
		im->committed = rc == DB_OK;
		return rc;
	}
	db_rollback(c->db);
	return rc;
}

/* The proposal with each endpoint's conflict flag, the conflicts and what was created. */
static struct json_object *
import_answer(struct ep_import *im)
{
	struct json_object *o = json_object_get(im->proposal);
	struct json_object *eps = json_object_object_get(o, "endpoints");
	struct json_object *conf = json_object_new_array();
	for (size_t i = 0; i < im->doc.nendpoints; i++) {
		jset_bool(json_object_array_get_idx(eps, i), "conflict", im->conflict[i]);
		if (im->conflict[i])
			json_object_array_add(conf, jstr(im->doc.endpoints[i].purpose));
	}
	jset_bool(o, "dry_run", im->dry_run);
	jset_bool(o, "authorization_applied", im->auth_applied);
	jset(o, "conflicts", conf);
	jset(o, "created", im->committed ? json_object_get(im->created) : json_object_new_array());
	jset_int(o, "count",
		 (long long)(im->doc.nendpoints - (im->skip_conflicts ? im->nconflicts : 0)));
	return o;
}

static int
import_error_status(int code)
{
	return code == IMPORT_ETOOBIG ? 413 : code == IMPORT_ENOMEM ? 500 : 422;
}

/* The import document's error as {"message", "errors": {"source": [message]}, "place"}. */
static int
import_parse_failed(struct ctx *c, const struct import_error *err)
{
	struct json_object *errors = json_object_new_object(), *list = json_object_new_array();
	json_object_array_add(list, jstr(err->message));
	jset(errors, "source", list);
	struct json_object *o = json_object_new_object();
	jset_str(o, "message", err->message);
	jset(o, "errors", errors);
	struct json_object *place = json_object_new_object();
	jset_str(place, "text", err->place);
	if (err->line > 0) {
		jset_int(place, "line", err->line);
		jset_int(place, "column", err->column);
	}
	jset(o, "place", place);
	return web_json(c, import_error_status(err->code), o);
}

/* Reads and saves (or previews): 0 (saved, or previewed), 409 (conflicts refused), 422
 * (invalid endpoints in im->errors, or the document refused: im->parse_failed with
 * im->perr), 413 (a document too large) or a db_err. */
static int
import_exec_parsed(struct ep_import *im)
{
	struct ctx *c = im->c;
	int rc;
	im->proposal = import_doc_json(&im->doc);
	web_defer_json(c, im->proposal);
	im->errors = json_object_new_object();
	web_defer_json(c, im->errors);
	im->created = json_object_new_array();
	web_defer_json(c, im->created);
	if ((rc = import_conflicts(im)) != 0)
		return rc;
	if (im->nconflicts && !im->skip_conflicts && !im->dry_run)
		return 409;
	if (im->nconflicts && !im->skip_conflicts)
		im->skip_conflicts = 1; /* a preview checks the others and lists the conflicts */
	return import_run(im);
}

static int
import_exec(struct ep_import *im, enum import_format fmt, const char *source, size_t len)
{
	int rc = import_parse(im->c->a, fmt, source, len, &im->doc, &im->perr);
	if (rc != IMPORT_OK) {
		im->parse_failed = 1;
		return import_error_status(im->perr.code);
	}
	return import_exec_parsed(im);
}

/* The messages of the authorization's errors after a refused apply, as one text; NULL when
 * there are none. */
static const char *
im_auth_errors(struct ep_import *im)
{
	struct buf *b = NULL;
	json_object_object_foreach(im->errors, key, val)
	{
		if (strncmp(key, "authorization.", 14))
			continue;
		if (!b && !(b = buf_new_arena(im->c->a)))
			return NULL;
		struct json_object *m = json_object_is_type(val, json_type_array)
					    ? json_object_array_get_idx(val, 0)
					    : val;
		buf_printf(b, "%s%s", b->len ? " " : "", json_object_get_string(m));
	}
	return b && b->data ? b->data : NULL;
}

/* The API's answer to import_exec's status. */
static int
import_api_answer(struct ep_import *im, int rc)
{
	struct ctx *c = im->c;
	if (im->parse_failed)
		return import_parse_failed(c, &im->perr);
	if (rc == 409) {
		struct json_object *o = import_answer(im);
		jset_str(o, "message",
			 arena_printf(
			     c->a,
			     "%zu of the endpoints have a purpose this Data Connector already "
			     "uses (see conflicts): nothing was imported. Send \"on_conflict\": "
			     "\"skip\" to import the others.",
			     im->nconflicts));
		return web_json(c, 409, o);
	}
	if (rc == 422) {
		struct json_object *o = import_answer(im);
		const char *auth = im_auth_errors(im);
		jset_str(o, "message",
			 auth ? arena_printf(c->a,
					     "The proposed authorization cannot be set: %s Nothing "
					     "was imported.",
					     auth)
			      : "Some endpoints are not valid: nothing was imported.");
		jset(o, "errors", json_object_get(im->errors));
		return web_json(c, 422, o);
	}
	if (rc != 0)
		return rc;
	return web_json(c, im->dry_run ? 200 : 201, import_answer(im));
}

static void
field_error(struct json_object *errors, const char *field, const char *message)
{
	struct json_object *l = json_object_new_array();
	json_object_array_add(l, jstr(message));
	jset(errors, field, l);
}
/* The "format" and "source" members of an import body: the format (IMPORT_FORMAT__MAX
 * when it is missing or unknown) and the text, each error beside its member in errors
 * (missing_source when there is no text). */
static enum import_format
import_body_source(struct json_object *body, struct json_object *errors, const char *missing_source,
		   const char **source, size_t *len)
{
	struct json_object *v = NULL;
	enum import_format fmt = IMPORT_FORMAT__MAX;
	if (json_object_object_get_ex(body, "format", &v) &&
	    json_object_is_type(v, json_type_string))
		fmt = import_format_parse(json_object_get_string(v));
	if (fmt == IMPORT_FORMAT__MAX)
		field_error(errors, "format", "The format must be curl, openapi or postman.");
	*source = NULL;
	*len = 0;
	if (json_object_object_get_ex(body, "source", &v) &&
	    json_object_is_type(v, json_type_string)) {
		*source = json_object_get_string(v);
		*len = (size_t)json_object_get_string_len(v);
	}
	if (!*source || !*len)
		field_error(errors, "source", missing_source);
	return fmt;
}

int
web_api_endpoint_import(struct ctx *c)
{
	struct json_object *body;
	int rc = api_body(c, &body);
	if (rc)
		return rc;
	struct connector r;
	rc = db_connector_get(c->db, c->a, c->ids[0], &r);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, NOT_FOUND_CONNECTOR);
	if (rc != DB_OK)
		return rc;
	struct json_object *v = NULL, *errors = json_object_new_object();
	web_defer_json(c, errors);
	const char *source;
	size_t len;
	enum import_format fmt =
	    import_body_source(body, errors,
			       "Paste the cURL command, OpenAPI document or Postman collection to "
			       "import.",
			       &source, &len);
	struct ep_import im = {.c = c, .cid = c->ids[0]};
	if (json_object_object_get_ex(body, "dry_run", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			field_error(errors, "dry_run", "dry_run must be true or false.");
		else
			im.dry_run = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(body, "on_conflict", &v)) {
		const char *s =
		    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		if (!strcmp(s, "skip"))
			im.skip_conflicts = 1;
		else if (strcmp(s, "refuse"))
			field_error(errors, "on_conflict", "on_conflict must be refuse or skip.");
	}
	if (json_object_object_get_ex(body, "apply_authorization", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			field_error(errors, "apply_authorization",
				    "apply_authorization must be true or false.");
		else
			im.apply_auth = json_object_get_boolean(v);
	}
	if (json_object_object_length(errors))
		return web_fail(c, 422, "The import request is not valid.",
				json_object_get(errors));
	return import_api_answer(&im, import_exec(&im, fmt, source, len));
}

/* ------------------------------------------------------------------- export */

static void
rows_into(struct arena *a, const struct endpoint_row *r, size_t nr, struct import_row **out,
	  size_t *n)
{
	*out = arena_alloc(a, (nr + 1) * sizeof(**out));
	*n = 0;
	for (size_t i = 0; *out && i < nr; i++)
		(*out)[(*n)++] =
		    (struct import_row){r[i].key, r[i].value, r[i].description, r[i].required};
}

/* The connector as an import_doc (no secret is read into it). */
static int
export_doc(struct ctx *c, long long cid, struct import_doc *d)
{
	struct connector det;
	struct db_auth_fields au;
	struct db_endpoint_head *list = NULL;
	size_t nlist = 0;
	memset(d, 0, sizeof(*d));
	int rc = db_connector_get(c->db, c->a, cid, &det);
	if (rc == DB_OK)
		rc = db_connector_auth_read(c->db, c->a, cid, &au);
	if (rc == DB_OK)
		rc = db_endpoint_list(c->db, c->a, cid, &list, &nlist);
	if (rc != DB_OK)
		return rc;
	d->title = det.v.name;
	d->description = det.v.description;
	for (int i = 0; i < IMPORT_AUTH__MAX; i++)
		if (!strcmp(au.auth_type, import_auth_names[i]))
			d->auth.type = (enum import_auth)i;
	d->auth.username = *au.username ? au.username : NULL;
	d->auth.token_url = *au.token_url ? au.token_url : NULL;
	d->auth.scope = *au.scope ? au.scope : NULL;
	d->auth.api_key_name = *au.api_key_name ? au.api_key_name : NULL;
	d->auth.api_key_in = *au.api_key_in ? au.api_key_in : NULL;
	d->endpoints = arena_alloc(c->a, (nlist + 1) * sizeof(*d->endpoints));
	if (!d->endpoints)
		return DB_ENOMEM;
	for (size_t i = 0; i < nlist; i++) {
		struct endpoint_input in;
		struct db_endpoint_head h;
		rc = db_endpoint_read(c->db, c->a, cid, list[i].id, &in, &h);
		if (rc == DB_ENOTFOUND)
			continue; /* deleted meanwhile */
		if (rc != DB_OK)
			return rc;
		struct import_endpoint *e = &d->endpoints[d->nendpoints++];
		e->purpose = in.purpose;
		e->description = in.description;
		e->method = h.method;
		e->url = in.url;
		e->body = in.body;
		e->sample_data = in.sample_data;
		e->where = "";
		rows_into(c->a, in.headers, in.nheaders, &e->headers, &e->nheaders);
		rows_into(c->a, in.params, in.nparams, &e->params, &e->nparams);
	}
	return DB_OK;
}

/* kind: "openapi" or "postman"; download: a file for the browser. */
static int
export_send(struct ctx *c, const char *kind, int download)
{
	struct import_doc d;
	int rc = export_doc(c, c->ids[0], &d);
	if (rc == DB_ENOTFOUND)
		return download ? 404 : api_not_found(c, NOT_FOUND_CONNECTOR);
	if (rc != DB_OK)
		return rc;
	struct json_object *o =
	    !strcmp(kind, "openapi") ? export_openapi(c->a, &d) : export_postman(c->a, &d);
	if (!download)
		return web_json(c, 200, o);
	web_defer_json(c, o);
	buf_reset(&c->resp->body);
	buf_puts(&c->resp->body, json_object_to_json_string_ext(
				     o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_putc(&c->resp->body, '\n');
	http_resp_header(c->resp, "Content-Type", "application/json; charset=utf-8");
	http_resp_header(
	    c->resp, "Content-Disposition",
	    arena_printf(c->a, "attachment; filename=\"connector-%lld.%s.json\"", c->ids[0], kind));
	c->resp->status = 200;
	return 200;
}

int
web_api_connector_export_openapi(struct ctx *c)
{
	return export_send(c, "openapi", 0);
}

int
web_api_connector_export_postman(struct ctx *c)
{
	return export_send(c, "postman", 0);
}

int
web_connector_export_openapi(struct ctx *c)
{
	return export_send(c, "openapi", 1);
}

int
web_connector_export_postman(struct ctx *c)
{
	return export_send(c, "postman", 1);
}

/* ------------------------------------------------------------------- page */

/* The Endpoints tab's Import page: the form (format, the text or a file read into it), and
 * after Preview the endpoints that Save would create, the conflicts, the proposed
 * authorization and the notes. */
static int
import_page(struct ctx *c, int status, struct form *f, struct ep_import *im)
{
	struct json_object *conn;
	int rc = connector_tabs_load(c, NULL, &conn);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	struct json_object *d = json_object_new_object();
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	jset(d, "connector", conn);
	jset_bool(d, "tab_endpoints", 1);
	jset_str(d, "title", "Import endpoints");
	jset_str(d, "action", arena_printf(c->a, "%s/endpoints/import", base));
	const char *fmt = json_object_get_string(json_object_object_get(f->values, "format"));
	struct json_object *formats = json_object_new_array();
	static const char *const labels[] = {"cURL command", "OpenAPI 3.0 / 3.1 (JSON or YAML)",
					     "Postman collection v2.1"};
	for (int i = 0; i < IMPORT_FORMAT__MAX; i++) {
		struct json_object *o = json_object_new_object();
		jset_str(o, "value", import_format_names[i]);
		jset_str(o, "label", labels[i]);
		jset_bool(o, "selected", fmt && !strcmp(fmt, import_format_names[i]));
		json_object_array_add(formats, o);
	}
	jset(d, "formats", formats);
	if (im && im->proposal) {
		struct json_object *p = import_answer(im);
		struct json_object *eps = json_object_object_get(p, "endpoints");
		for (size_t i = 0; i < json_object_array_length(eps); i++) {
			struct json_object *e = json_object_array_get_idx(eps, i);
			struct json_object *errs = json_object_new_array();
			const char *prefix = arena_printf(c->a, "endpoints.%zu.", i);
			json_object_object_foreach(im->errors, key, val)
			{
				if (!strncmp(key, prefix, strlen(prefix)))
					json_object_array_add(
					    errs,
					    jstr(arena_printf(c->a, "%s: %s", key + strlen(prefix),
							      json_object_get_string(val))));
			}
			jset(e, "errors", errs);
			jset_bool(e, "has_errors", json_object_array_length(errs) > 0);
		}
		jset(d, "preview", p);
		jset_bool(d, "has_preview", 1);
		jset_bool(d, "auth_proposed",
			  im->doc.auth.type != IMPORT_AUTH_NONE || im->doc.auth.note);
		jset_bool(d, "auth_applicable", im->doc.auth.type != IMPORT_AUTH_NONE);
		struct db_auth_fields cur;
		if (db_connector_auth_read(c->db, c->a, c->ids[0], &cur) == DB_OK)
			jset_str(d, "current_auth_type", cur.auth_type);
	}
	struct json_object *list = json_object_new_array();
	json_object_object_foreach(f->errors, key, val)
	{
		(void)key;
		json_object_array_add(list, json_object_get(val));
	}
	jset(d, "error_list", list);
	jset_bool(d, "has_errors", json_object_array_length(list) > 0);
	form_put(f, d);
	return web_render(c, status, "endpoints_import", d);
}

/* The page again with the form's messages (the dispatcher's callback; arg: the import, or
 * NULL before one ran). */
static int
import_page_again(struct ctx *c, const struct web_error *e)
{
	return import_page(c, e->status, e->form, e->arg);
}

int
web_endpoint_import_form(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	jset_str(f.values, "format", "curl");
	return import_page(c, 200, &f, NULL);
}

/* Preview (a dry run) or Save; a Save with conflicts imports the others when "Skip" is
 * ticked; the proposed authorization is set only when "apply_auth" is ticked. Saved: back to the
 * Endpoints tab with how many were created. */
int
web_endpoint_import(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	const char *fmt_name = http_form_get(c->req, "format");
	const char *source = http_form_get(c->req, "source");
	int save = http_form_get(c->req, "save") != NULL;
	jset_str(f.values, "format", fmt_name ? fmt_name : "");
	jset_str(f.values, "source", source ? source : "");
	struct ep_import im = {.c = c, .cid = c->ids[0], .dry_run = !save};
	im.skip_conflicts = http_form_get(c->req, "skip_conflicts") != NULL;
	jset_bool(f.values, "skip_conflicts", im.skip_conflicts);
	im.apply_auth = form_checkbox(c, "apply_auth");
	jset_bool(f.values, "apply_auth", im.apply_auth);
	enum import_format fmt = import_format_parse(fmt_name);
	if (fmt == IMPORT_FORMAT__MAX)
		form_error(&f, "format", "Choose what the text is: cURL, OpenAPI or Postman.");
	if (!source || !*source)
		form_error(&f, "source",
			   "Paste the cURL command, OpenAPI document or Postman collection, or "
			   "choose a file.");
	if (f.nerrors)
		return web_fail_page(&f, 422, import_page_again, NULL, 0);
	int rc = import_exec(&im, fmt, source, strlen(source));
	if (im.parse_failed) {
		form_error(&f, "source", im.perr.message);
		return import_page(c, rc, &f, NULL);
	}
	if (rc == 409) {
		form_error(
		    &f, "source",
		    arena_printf(c->a,
				 "%zu of the endpoints have a purpose this Data Connector "
				 "already uses: nothing was imported. Tick \"Skip those\" to "
				 "import the others.",
				 im.nconflicts));
		return web_fail_page(&f, rc, import_page_again, &im, sizeof(im));
	}
	if (rc == 422 && im_auth_errors(&im)) {
		form_error(&f, "apply_auth",
			   arena_printf(c->a,
					"The proposed authorization cannot be set: %s Nothing was "
					"imported.",
					im_auth_errors(&im)));
		return import_page(c, 422, &f, &im);
	}
	if (rc == 422) {
		form_error(&f, "source",
			   "Some endpoints are not valid (below): nothing was imported.");
		return web_fail_page(&f, rc, import_page_again, &im, sizeof(im));
	}
	if (rc != 0)
		return rc;
	if (im.dry_run)
		return import_page(c, 200, &f, &im);
	size_t n = json_object_array_length(im.created);
	return web_redirect_flash(
	    c, arena_printf(c->a, "/data-connectors/%lld/endpoints", c->ids[0]),
	    arena_printf(c->a, "%zu endpoint%s imported.%s", n, n == 1 ? " was" : "s were",
			 im.auth_applied ? arena_printf(c->a,
							" The authorization method is now %s: "
							"enter its secrets on the Authorization "
							"tab.",
							import_auth_names[im.doc.auth.type])
			 : im.doc.auth.type != IMPORT_AUTH_NONE
			     ? " Check the Authorization tab: the import proposes a method "
			       "and never carries its secrets."
			     : ""));
}

/* ------------------------------------------------------- a connector from a document */

/* The document's title as a connector name (letters, digits, spaces and apostrophes). */
static const char *
name_from_title(struct ctx *c, const char *title)
{
	struct buf *b = buf_new_arena(c->a);
	if (!b)
		return "Imported";
	for (const unsigned char *p = (const unsigned char *)(title ? title : ""); *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			 (*p >= '0' && *p <= '9') || *p == '\'';
		if (ok && b->len < 200)
			buf_putc(b, (char)*p);
		else if (b->len && b->data[b->len - 1] != ' ' && b->len < 200)
			buf_putc(b, ' ');
	}
	while (b->len && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	return b->len && !b->failed ? b->data : "Imported";
}

/* POST /api/1.0/data-connectors/from-document {"format", "source", "name", "category_ids",
 * "dry_run"}: a new connector named after the document (or name), its description, the
 * proposed authorization method (secrets entered afterwards) and every endpoint, in one
 * transaction. */
int
web_api_connector_from_document(struct ctx *c)
{
	struct json_object *body, *v = NULL;
	int rc = api_body(c, &body);
	if (rc)
		return rc;
	struct json_object *errors = json_object_new_object();
	web_defer_json(c, errors);
	const char *source;
	size_t len;
	enum import_format fmt = import_body_source(
	    body, errors, "Paste the OpenAPI document or Postman collection.", &source, &len);
	struct ep_import im = {.c = c};
	if (json_object_object_get_ex(body, "dry_run", &v))
		im.dry_run = json_object_get_boolean(v);
	struct json_object *cats = NULL;
	if (!json_object_object_get_ex(body, "category_ids", &cats) ||
	    !json_object_is_type(cats, json_type_array))
		field_error(errors, "category_ids", "Select at least one category (category_ids).");
	if (json_object_object_length(errors))
		return web_fail(c, 422, "The import request is not valid.",
				json_object_get(errors));
	rc = import_parse(c->a, fmt, source, len, &im.doc, &im.perr);
	if (rc != IMPORT_OK)
		return import_parse_failed(c, &im.perr);
	const char *name = NULL;
	if (json_object_object_get_ex(body, "name", &v) &&
	    json_object_is_type(v, json_type_string) && *json_object_get_string(v))
		name = json_object_get_string(v);
	else
		name = name_from_title(c, im.doc.title);

	rc = db_begin(c->db);
	if (rc != DB_OK)
		return rc;
	struct form sub;
	form_init(&sub, c);
	memset(&sub.in, 0, sizeof(sub.in));
	api_form_add(&sub, "name", name);
	api_form_add(&sub, "description", im.doc.description ? im.doc.description : "");
	api_form_add(&sub, "auth_type", import_auth_names[im.doc.auth.type]);
	for (size_t i = 0; i < json_object_array_length(cats); i++)
		api_form_add(&sub, "category_ids",
			     json_object_get_string(json_object_array_get_idx(cats, i)));
	rc = connector_submit(&sub, 0, &im.cid);
	if (rc != 0) {
		db_rollback(c->db);
		if (rc != 422)
			return rc;
		struct json_object *errs = json_object_new_object();
		json_object_object_foreach(sub.errors, key, val)
		{
			json_object_object_add(errs, api_error_key(c->a, key),
					       json_object_get(val));
		}
		return web_fail(c, 422, "The Data Connector cannot be created.", errs);
	}
	rc = import_exec_parsed(&im);
	if (rc == 0 && !im.dry_run) {
		rc = db_commit(c->db);
		im.committed = rc == DB_OK;
	} else
		db_rollback(c->db);
	if (rc != 0)
		return import_api_answer(&im, rc);
	struct json_object *o = import_answer(&im);
	struct json_object *conn = json_object_new_object();
	if (im.committed)
		jset_int(conn, "id", im.cid);
	jset_str(conn, "name", name);
	jset_str(conn, "auth_type", import_auth_names[im.doc.auth.type]);
	jset(o, "connector", conn);
	return web_json(c, im.dry_run ? 200 : 201, o);
}
