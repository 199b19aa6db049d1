/* Export and import of a data connector as JSON: details, categories by name, the
 * authorization's settings (never a secret) and the endpoints with their header and query
 * parameter rows. An import goes through the same validate-and-save code as the pages
 * (save.h), creates categories it names that do not exist when the user may create
 * categories (else refuses them), refuses a taken name unless a new one is given, and is
 * undone completely when any part is refused. The secrets are asked for afterwards. */
#include <string.h>

#include "../db/endpoints.h"
#include "api.h"

#define EXPORT_FORMAT 1
#define IMPORT_PATH   "/data-connectors/import"

/* ------------------------------------------------------------------- export */

static int
export_endpoints(struct ctx *c, long long cid, struct json_object *arr)
{
	struct db_endpoint_head *r = NULL;
	size_t n = 0;
	int rc = db_endpoint_list(c->db, c->a, cid, &r, &n);
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		struct json_object *o = NULL;
		rc = api_endpoint_json(c, cid, r[i].id, 1, &o);
		if (rc == DB_OK)
			json_object_array_add(arr, o);
	}
	return rc;
}

/* The export document of connector id (owned by the request); DB_ENOTFOUND when gone. */
static int
export_json(struct ctx *c, long long id, struct json_object **out)
{
	struct connector_full k;
	int rc = db_connector_load(c->db, c->a, id, &k);
	if (rc != DB_OK)
		return rc;
	struct json_object *o = json_object_new_object(), *names = json_object_new_array();
	struct json_object *eps = json_object_new_array(), *auth = json_object_new_object();
	web_defer_json(c, o);
	jset_int(o, "dcgate_export", EXPORT_FORMAT);
	field_json(c->a, o, connector_field_table, connector_nfields, &k.d.v, 1);
	for (size_t i = 0; i < k.ncats; i++)
		json_object_array_add(names, json_object_new_string(k.cats[i].name));
	jset(o, "categories", names);
	/* The settings; secrets (the sealed variables too, and the origins they are bound to)
	 * are never exported. */
	field_json(c->a, auth, auth_field_table, auth_nfields, &k.auth, 1);
	jset(o, "authorization", auth);
	jset(o, "endpoints", eps);
	jset(o, "environments", environment_export(c, id));
	*out = o;
	return export_endpoints(c, id, eps);
}

/* "Orders API" -> "orders-api": a file name from a connector name. */
static const char *
export_filename(struct ctx *c, const char *name)
{
	struct buf *b = buf_new_arena(c->a);
	if (!b)
		return "data-connector.json";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		int alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
		if (alnum || (*p >= 'A' && *p <= 'Z'))
			buf_putc(b, (char)(alnum ? *p : *p - 'A' + 'a'));
		else if (b->len && b->data[b->len - 1] != '-')
			buf_putc(b, '-');
	}
	while (b->len && b->data[b->len - 1] == '-')
		b->data[--b->len] = '\0';
	return arena_printf(c->a, "%s.json", b->len && !b->failed ? b->data : "data-connector");
}

int
web_connector_export(struct ctx *c)
{
	struct json_object *o = NULL;
	int rc = export_json(c, c->ids[0], &o);
	if (rc != DB_OK)
		return rc;
	const char *name = json_object_get_string(json_object_object_get(o, "name"));
	buf_reset(&c->resp->body);
	buf_puts(&c->resp->body, json_object_to_json_string_ext(
				     o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_putc(&c->resp->body, '\n');
	http_resp_header(c->resp, "Content-Type", "application/json; charset=utf-8");
	http_resp_header(
	    c->resp, "Content-Disposition",
	    arena_printf(c->a, "attachment; filename=\"%s\"", export_filename(c, name)));
	c->resp->status = 200;
	return 200;
}

int
web_api_connector_export(struct ctx *c)
{
	struct json_object *o = NULL;
	int rc = export_json(c, c->ids[0], &o);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, "The Data Connector does not exist.")
					  : rc;
	return web_json(c, 200, json_object_get(o));
}

/* ------------------------------------------------------------------- import */

/* One import under way. */
struct import {
	struct ctx *c;
	struct form *f; /* the errors of the whole import */
	struct json_object *doc;
	const char *name;
	long long id;	  /* the new connector, 0 until created */
	long long *ids;	  /* its categories */
	size_t nids;	  /* how many */
	const char *type; /* auth_type */
};

/* Copies the errors of a sub-form into the import's, under prefix. */
static void
import_merge(struct import *im, struct form *sub, const char *prefix)
{
	json_object_object_foreach(sub->errors, key, val)
	{
		const char *k = api_error_key(im->c->a, key);
		form_error(im->f, prefix ? arena_printf(im->c->a, "%s%s", prefix, k) : k,
			   json_object_get_string(val));
	}
}

static struct json_object *
member(struct json_object *o, const char *name, enum json_type type)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* The document's shape: format, name (unless a new one is given), categories, and the
 * optional authorization and endpoints. */
static int
import_check(struct import *im, const char *new_name)
{
	struct json_object *doc = im->doc, *v = NULL;
	if (json_object_object_get_ex(doc, "dcgate_export", &v) &&
	    json_object_get_int(v) != EXPORT_FORMAT)
		form_error(im->f, "json", "This is not a dcgate export of format 1.");
	v = member(doc, "name", json_type_string);
	im->name = new_name && *new_name ? new_name : v ? json_object_get_string(v) : "";
	if (!*im->name)
		form_error(im->f, "name", "The export has no name: enter a name for the import.");
	if (!member(doc, "categories", json_type_array))
		form_error(im->f, "json",
			   "The export must list its categories (an array of names).");
	if (json_object_object_get_ex(doc, "authorization", &v) &&
	    !json_object_is_type(v, json_type_object))
		form_error(im->f, "json", "The authorization of the export must be an object.");
	if (json_object_object_get_ex(doc, "endpoints", &v) &&
	    !json_object_is_type(v, json_type_array))
		form_error(im->f, "json", "The endpoints of the export must be an array.");
	v = member(doc, "authorization", json_type_object);
	v = v ? member(v, "auth_type", json_type_string) : NULL;
	im->type = v ? json_object_get_string(v) : "none";
	return im->f->nerrors ? 422 : 0;
}

/* The id of the category named name ("" compared case-insensitively), 0 when none. */
static long long
category_named(const struct category *cats, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq_ci(cats[i].name, name))
			return cats[i].id;
	return 0;
}

/* Creates a missing category (active) through the categories' own checks. */
static long long
import_make_category(struct import *im, const char *name)
{
	struct ctx *c = im->c;
	struct form sub;
	long long id = 0;
	form_init(&sub, c);
	memset(&sub.in, 0, sizeof(sub.in));
	api_form_add(&sub, "name", name);
	api_form_add(&sub, "status", "active");
	int rc = category_submit(&sub, 0, &id);
	if (rc != 0) {
		form_error(im->f, "categories",
			   arena_printf(
			       c->a, "The category \"%s\" cannot be created: %s", name,
			       json_object_get_string(json_object_object_get(sub.errors, "name"))));
		return 0;
	}
	return id;
}

/* The categories by name: existing ones, else created when the user may. */
static int
import_categories(struct import *im)
{
	struct ctx *c = im->c;
	struct json_object *names = member(im->doc, "categories", json_type_array);
	size_t n = json_object_array_length(names);
	struct category *cats;
	size_t ncats;
	int rc = db_category_all(c->db, c->a, &cats, &ncats);
	if (rc != DB_OK)
		return rc;
	im->ids = arena_alloc(c->a, (n + 1) * sizeof(*im->ids));
	if (!im->ids)
		return DB_ENOMEM;
	int may_create = perm_has(c->user, PERM_CREATE_CATEGORIES);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(names, i);
		const char *name =
		    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		long long id = *name ? category_named(cats, ncats, name) : 0;
		if (!id && *name && may_create)
			id = import_make_category(im, name);
		else if (!id)
			form_error(im->f, "categories",
				   arena_printf(c->a,
						"The category \"%s\" does not exist here, and you "
						"may not create categories: ask someone who may.",
						name));
		if (id)
			im->ids[im->nids++] = id;
	}
	return im->f->nerrors ? 422 : 0;
}

static int
import_connector(struct import *im)
{
	struct ctx *c = im->c;
	struct form sub;
	form_init(&sub, c);
	memset(&sub.in, 0, sizeof(sub.in));
	api_form_add(&sub, "name", im->name); /* the first of a field is the one read */
	int rc =
	    api_form_table(&sub, im->doc, connector_field_table, connector_nfields, FIELD_EXPORT);
	if (rc != 0)
		return rc;
	api_form_add(&sub, "auth_type", im->type);
	for (size_t i = 0; i < im->nids; i++)
		api_form_add(&sub, "category_ids", arena_printf(c->a, "%lld", im->ids[i]));
	rc = sub.nerrors ? 422 : connector_submit(&sub, 0, &im->id);
	const char *nerr = json_object_get_string(json_object_object_get(sub.errors, "name"));
	if (rc == 422 && nerr && strstr(nerr, "already been taken"))
		form_error(im->f, "name",
			   arena_printf(c->a,
					"A Data Connector named \"%s\" already exists: enter a new "
					"name for the import.",
					im->name));
	import_merge(im, &sub, NULL);
	return rc;
}

/* The authorization settings, without secrets (asked for afterwards). */
static int
import_auth(struct import *im)
{
	struct ctx *c = im->c;
	struct json_object *a = member(im->doc, "authorization", json_type_object);
	struct connector d;
	struct form sub;
	if (!a)
		return 0;
	int rc = db_connector_get(c->db, c->a, im->id, &d);
	if (rc != DB_OK)
		return rc;
	form_init(&sub, c);
	memset(&sub.in, 0, sizeof(sub.in));
	if ((rc = api_form_table(&sub, a, auth_field_table, auth_nfields, FIELD_EXPORT)) != 0)
		return rc;
	api_form_default(&sub, a, "verify_ssl", "verify_ssl", "1");
	api_form_add(&sub, "version", arena_printf(c->a, "%lld", d.version));
	if (sub.nerrors == 0)
		rc = authorization_submit(&sub, im->id, 1);
	import_merge(im, &sub, "authorization.");
	return rc ? rc : sub.nerrors ? 422 : 0;
}

static int
import_endpoints(struct import *im)
{
	struct ctx *c = im->c;
	struct json_object *eps = member(im->doc, "endpoints", json_type_array);
	for (size_t i = 0; eps && i < json_object_array_length(eps); i++) {
		struct json_object *e = json_object_array_get_idx(eps, i);
		const char *prefix = arena_printf(c->a, "endpoints.%zu.", i);
		struct form sub;
		long long eid = 0;
		form_init(&sub, c);
		if (!json_object_is_type(e, json_type_object)) {
			form_error(im->f, arena_printf(c->a, "endpoints.%zu", i),
				   "An endpoint must be an object.");
			continue;
		}
		int rc = endpoint_api_form(&sub, e);
		if (rc == 0 && sub.nerrors == 0)
			rc = endpoint_submit(&sub, im->id, 0, &eid);
		import_merge(im, &sub, prefix);
		if (rc != 0 && rc != 422)
			return rc;
	}
	return im->f->nerrors ? 422 : 0;
}

/* The environments, without secrets (asked for afterwards on the connector's page). */
static int
import_environments(struct import *im)
{
	struct ctx *c = im->c;
	struct json_object *envs = member(im->doc, "environments", json_type_array);
	for (size_t i = 0; envs && i < json_object_array_length(envs); i++) {
		struct json_object *e = json_object_array_get_idx(envs, i);
		struct form sub;
		form_init(&sub, c);
		memset(&sub.in, 0, sizeof(sub.in));
		if (!json_object_is_type(e, json_type_object)) {
			form_error(im->f, arena_printf(c->a, "environments.%zu", i),
				   "An environment must be an object.");
			continue;
		}
		int rc = environment_import(&sub, im->id, e);
		import_merge(im, &sub, arena_printf(c->a, "environments.%zu.", i));
		if (rc != 0 && rc != 422)
			return rc;
	}
	return im->f->nerrors ? 422 : 0;
}

/* Categories, connector, authorization, endpoints and the audit rows: one transaction, so
 * a refused or failed part leaves nothing behind. A run again after a deadlock starts with
 * no errors (the document's own were found before). */
static int
import_tx(struct db *db, void *arg)
{
	struct import *im = arg;
	struct ctx *c = im->c;
	(void)db;
	if (im->f->nerrors) {
		im->f->errors = json_object_new_object();
		im->f->nerrors = 0;
		web_defer_json(c, im->f->errors);
	}
	im->id = 0;
	im->nids = 0;
	int rc = import_categories(im);
	if (rc == 0)
		rc = import_connector(im);
	if (rc == 0)
		rc = import_auth(im);
	if (rc == 0)
		rc = import_endpoints(im);
	if (rc == 0)
		rc = import_environments(im);
	if (rc == 0)
		rc = audit_write(c->db, c->user, "connector.import", "connector", im->id,
				 arena_printf(c->a, "name: %s", im->name), c->req->remote_addr);
	return rc;
}

/* Imports doc as name (NULL or "": the document's). 0 with im->id, 422 with the errors in
 * f, or another status (413 already answered). */
static int
import_run(struct import *im, struct form *f, struct json_object *doc, const char *name)
{
	memset(im, 0, sizeof(*im));
	im->c = f->c;
	im->f = f;
	im->doc = doc;
	int rc = import_check(im, name);
	if (rc == 0)
		rc = db_tx(im->c->db, import_tx, im);
	if (rc != 0) {
		im->id = 0;
		return rc == 422 || im->f->nerrors ? 422 : rc;
	}
	return 0;
}

/* The secrets the imported method needs ("" when none). */
static const char *
import_secrets(const char *type)
{
	static const char *const needs[][2] = {
	    {"basic", "Password"},
	    {"bearer", "Token"},
	    {"oauth2_password", "Password and Client Secret"},
	    {"oauth2_client_credentials", "Client Secret"},
	    {"api_key", "API Key"},
	    {"digest", "Password"},
	    {"aws_sigv4", "Secret access key (Password)"},
	    {"client_cert", "Private key (and its Key passphrase when it is encrypted)"},
	    {"oauth2_authorization_code", "Client Secret (when the provider needs one), then "
					  "Connect"},
	};
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
		if (!strcmp(type, needs[i][0]))
			return needs[i][1];
	return "";
}

static const char *
import_message(struct import *im)
{
	const char *s = import_secrets(im->type);
	if (!*s)
		return arena_printf(im->c->a, "Imported %s.", im->name);
	return arena_printf(im->c->a, "Imported. Enter the secrets for %s: %s.", im->name, s);
}

/* Parses the pasted text; NULL (and an error of f) when it is not a JSON object. */
static struct json_object *
import_parse(struct form *f, const char *text)
{
	struct json_object *o = NULL;
	size_t len = text ? strlen(text) : 0;
	if (!len) {
		form_error(f, "json", "Paste the exported JSON.");
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(API_MAX_DEPTH);
	if (tok) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, text, (int)len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) +
			    strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
			len) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	}
	web_defer_json(f->c, o);
	if (!o || !json_object_is_type(o, json_type_object)) {
		form_error(f, "json", "This is not valid JSON of an exported Data Connector.");
		return NULL;
	}
	return o;
}

/* The import page, with the errors of a refused import listed. */
static int
import_page(struct ctx *c, int status, struct form *f)
{
	struct json_object *d = json_object_new_object(), *list = json_object_new_array();
	json_object_object_foreach(f->errors, key, val)
	{
		if (!strcmp(key, "json") || !strcmp(key, "name"))
			continue; /* beside their field: every error is printed once */
		struct json_object *o = json_object_new_object();
		jset_str(o, "field", key);
		jset(o, "message", json_object_get(val));
		json_object_array_add(list, o);
	}
	jset_str(d, "title", "Import Data Connector");
	jset_str(d, "action", IMPORT_PATH);
	jset_bool(d, "has_listed_errors", json_object_array_length(list) > 0);
	jset(d, "error_list", list);
	form_put(f, d);
	return web_render(c, status, "connectors_import", d);
}

int
web_connector_import_form(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	return import_page(c, 200, &f);
}

/* The page again with the form's messages (the dispatcher's callback). */
static int
import_page_again(struct ctx *c, const struct web_error *e)
{
	return import_page(c, e->status, e->form);
}

int
web_connector_import(struct ctx *c)
{
	struct form f;
	struct import im;
	form_init(&f, c);
	const char *name = form_optional(&f, "name", "new name", 255);
	const char *text = http_form_get(c->req, "json");
	jset_str(f.values, "json", text ? text : "");
	struct json_object *doc = import_parse(&f, text);
	if (!doc)
		return web_fail_page(&f, 422, import_page_again, NULL, 0);
	int rc = import_run(&im, &f, doc, name);
	if (rc == 422)
		return web_fail_page(&f, rc, import_page_again, NULL, 0);
	if (rc != 0)
		return rc;
	if (!*import_secrets(im.type))
		return web_redirect_flash(c, arena_printf(c->a, "/data-connectors/%lld", im.id),
					  import_message(&im));
	return web_redirect_flash(c,
				  arena_printf(c->a, "/data-connectors/%lld/authorization", im.id),
				  import_message(&im));
}

int
web_api_connector_import(struct ctx *c)
{
	struct json_object *obj = NULL, *doc = NULL, *name = NULL;
	struct form f;
	struct import im;
	int rc = api_body(c, &obj);
	if (rc)
		return rc;
	form_init(&f, c);
	json_object_object_get_ex(obj, "export", &doc);
	if (json_object_is_type(doc, json_type_string))
		doc = import_parse(&f, json_object_get_string(doc));
	else if (!json_object_is_type(doc, json_type_object))
		form_error(&f, "export", "The export field must be the exported Data Connector.");
	if (json_object_object_get_ex(obj, "name", &name) && name &&
	    !json_object_is_type(name, json_type_string))
		form_error(&f, "name", "The name field must be a string.");
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	const char *nm = name ? str_trim(arena_strdup(c->a, json_object_get_string(name))) : NULL;
	if ((rc = import_run(&im, &f, doc, nm)) != 0)
		return web_fail_form(&f, rc, NULL);
	struct json_object *o = NULL;
	if ((rc = api_connector_json(c, im.id, &o)) != DB_OK)
		return rc;
	const char *need = import_secrets(im.type);
	jset_str(o, "message", import_message(&im));
	jset_bool(o, "secrets_needed", *need != '\0');
	return web_json(c, 201, o);
}
