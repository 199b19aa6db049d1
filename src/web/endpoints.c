/* The Endpoints tab: the list, the endpoint editor (purpose, method, URL, timeout, header
 * and query parameter rows, body, sample data) and delete. Rows are added and removed
 * without JavaScript by submit buttons that re-render the form instead of saving; empty
 * rows are ignored. An endpoint and its rows are saved in one transaction. The route table
 * checks view (list, view) or view + edit (everything that changes something). */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "../db/endpoint_fields.h"
#include "../db/endpoints.h"
#include "../tmpl/tmpl.h"
#include "api.h"
#include "save.h"

#define EP_KEY_MAX	255
#define EP_VALUE_MAX	8192
#define EP_ROW_DESC_MAX 1024
#define EP_EXTRA_ROWS	2

static const char MSG_SAVED[] = "The Data Connector was saved";

/* The two kinds of rows: request headers and query parameters. */
struct ep_kind {
	const char *prefix; /* form field prefix: header[N][...] */
	const char *label;
	int has_desc;
	const char *add;    /* submit button that adds a row */
	const char *remove; /* submit button (value N) that removes row N */
};
static const struct ep_kind EP_HEADERS = {"header", "header", 1, "add_header", "remove_header"};
static const struct ep_kind EP_PARAMS = {"param", "parameter", 0, "add_param", "remove_param"};

/* Rows read from a form: all of them for re-rendering, the non-empty ones for saving. */
struct ep_rows {
	struct json_object *json; /* [{key, value, description, required, empty, *_error}] */
	struct endpoint_row *rows;
	size_t n;
};

/* The form read into an endpoint and its rows. */
struct ep_input {
	struct endpoint_input in;
	struct ep_rows headers, params;
	int rebuild; /* an add/remove row button: re-render, do not save */
};

static const char *
ep_path(struct ctx *c, const char *suffix)
{
	return arena_printf(c->a, "/data-connectors/%lld/endpoints%s", c->ids[0], suffix);
}

static const char *
ep_one_path(struct ctx *c, long long eid, const char *suffix)
{
	return arena_printf(c->a, "/data-connectors/%lld/endpoints/%lld%s", c->ids[0], eid, suffix);
}

/* Renders a page of the Endpoints tab: data gets the connector and tab flags. */
static int
ep_render(struct ctx *c, int status, const char *tmpl, struct json_object *d)
{
	struct json_object *conn = NULL;
	int rc = connector_tabs_load(c, NULL, &conn);
	if (rc != DB_OK) {
		json_object_put(d);
		return rc;
	}
	jset(d, "connector", conn);
	jset_bool(d, "tab_endpoints", 1);
	jset_bool(d, "may_edit", perm_has(c->user, PERM_EDIT_CONNECTORS));
	return web_render(c, status, tmpl, d);
}

/* ------------------------------------------------------------------------ list */

static struct json_object *
ep_list_rows(struct ctx *c, const struct db_endpoint_head *r, size_t n)
{
	struct json_object *rows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		long long id = r[i].id;
		jset_str(o, "id", arena_printf(c->a, "%lld", id));
		jset_str(o, "purpose", r[i].purpose);
		jset_str(o, "description", r[i].description);
		jset_str(o, "method", r[i].method);
		jset_str(o, "url", r[i].url);
		jset_str(o, "timeout", arena_printf(c->a, "%ld", r[i].timeout));
		jset_str(o, "view_url", ep_one_path(c, id, ""));
		jset_str(o, "test_url", ep_one_path(c, id, "/test"));
		jset_str(o, "delete_url", ep_one_path(c, id, "/delete"));
		jset_str(o, "question",
			 arena_printf(c->a, "Are you sure you want to delete the endpoint %s?",
				      r[i].purpose));
		json_object_array_add(rows, o);
	}
	return rows;
}

int
web_endpoint_list(struct ctx *c)
{
	struct db_endpoint_head *r = NULL;
	size_t n = 0;
	int rc = db_endpoint_list(c->db, c->a, c->ids[0], &r, &n);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Endpoints");
	jset(d, "rows", ep_list_rows(c, r, n));
	jset_bool(d, "has_rows", n > 0);
	jset_str(d, "new_url", ep_path(c, "/new"));
	/* The row Test buttons post the one form above the list: its environment selector
	 * (?environment=NAME preselects one; else the default). */
	struct json_object *envs =
	    web_env_options(c, c->ids[0], http_query_get(c->req, "environment"));
	jset_bool(d, "has_environments", json_object_array_length(envs) > 0);
	jset(d, "environments", envs);
	return ep_render(c, 200, "endpoints_list", d);
}

/* --------------------------------------------------------------------- rows */

static struct json_object *
ep_row_json(const char *key, const char *value, const char *desc, int required)
{
	struct json_object *o = json_object_new_object();
	jset_str(o, "key", key ? key : "");
	jset_str(o, "value", value ? value : "");
	jset_str(o, "description", desc ? desc : "");
	jset_bool(o, "required", required);
	jset_bool(o, "empty", (!key || !*key) && (!value || !*value) && (!desc || !*desc));
	return o;
}

/* What the page shows: the rows (empty ones only when keep_empty), then extra blank rows,
 * numbered 0.. for the field names. */
static struct json_object *
ep_rows_view(struct json_object *all, int keep_empty, int extra)
{
	struct json_object *arr = json_object_new_array();
	size_t n = 0, count = all ? json_object_array_length(all) : 0;
	for (size_t i = 0; i < count; i++) {
		struct json_object *o = json_object_array_get_idx(all, i), *e = NULL;
		json_object_object_get_ex(o, "empty", &e);
		if (!keep_empty && json_object_get_boolean(e))
			continue;
		json_object_array_add(arr, json_object_get(o));
	}
	for (int i = 0; i < extra; i++)
		json_object_array_add(arr, ep_row_json("", "", "", 0));
	for (n = 0; n < json_object_array_length(arr); n++) {
		struct json_object *o = json_object_array_get_idx(arr, n);
		jset_int(o, "n", (long long)n);
		jset_int(o, "number", (long long)n + 1);
	}
	return arr;
}

static int
ep_token_ok(const char *s)
{
	if (!*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!http_is_token_char(*p))
			return 0;
	return 1;
}

/* Whether text compiles as a mustache template; the message goes into *msg when not. */
static int
ep_template_ok(struct ctx *c, const char *text, const char *label, const char **msg)
{
	char err[200] = "";
	struct tmpl *t = NULL;
	if (tmpl_compile(text, strlen(text), &t, err, sizeof(err)) == TMPL_OK) {
		tmpl_free(t);
		return 1;
	}
	*msg = arena_printf(c->a, "The %s is not a valid template: %s", label, err);
	return 0;
}

/* Records a problem of one cell: beside the cell (row object) and in the form's count. */
static void
ep_cell_error(struct form *f, struct json_object *row, const char *name, const char *cell,
	      const char *msg)
{
	jset_str(row, arena_printf(f->c->a, "%s_error", cell), msg);
	form_error(f, name, msg);
}

/* Checks the name of a header (an RFC 7230 token) or a query parameter. */
static void
ep_check_key(struct form *f, const struct ep_kind *k, struct json_object *row, const char *name,
	     const struct endpoint_row *r)
{
	const char *msg = NULL;
	if (!*r->key)
		msg = arena_printf(f->c->a, "The %s name is required.", k->label);
	else if (strlen(r->key) > EP_KEY_MAX)
		msg = arena_printf(f->c->a, "The %s name may not be longer than %d characters.",
				   k->label, EP_KEY_MAX);
	else if (k->has_desc && !ep_token_ok(r->key))
		msg = "A header name may only contain letters, digits and ! # $ % & ' * + - . ^ _ "
		      "` | ~ (no spaces or colons).";
	else if (!form_no_controls(r->key))
		msg = "The parameter name may not contain control characters.";
	if (msg)
		ep_cell_error(f, row, name, "key", msg);
}

static void
ep_check_value(struct form *f, const struct ep_kind *k, struct json_object *row, const char *name,
	       const struct endpoint_row *r)
{
	const char *msg = NULL;
	if (strlen(r->value) > EP_VALUE_MAX)
		msg = arena_printf(f->c->a, "The value may not be longer than %d characters.",
				   EP_VALUE_MAX);
	else if (strchr(r->value, '\r') || strchr(r->value, '\n'))
		msg = arena_printf(f->c->a, "A %s value may not contain a line break (CR or LF).",
				   k->label);
	else if (!form_no_controls(r->value))
		msg = "The value may not contain control characters.";
	else
		ep_template_ok(f->c, r->value, "value", &msg);
	if (msg)
		ep_cell_error(f, row, name, "value", msg);
}

/* One row N of a kind from the form; checked unless empty. */
static struct json_object *
ep_read_row(struct form *f, const struct ep_kind *k, long n, struct endpoint_row *r)
{
	struct ctx *c = f->c;
	const char *base = arena_printf(c->a, "%s[%ld]", k->prefix, n);
	const char *key = form_get(f, arena_printf(c->a, "%s[key]", base));
	const char *val = form_get(f, arena_printf(c->a, "%s[value]", base));
	const char *desc = form_get(f, arena_printf(c->a, "%s[description]", base));
	r->key = key ? str_trim(arena_strdup(c->a, key)) : "";
	r->value = val ? val : "";
	r->description = desc && k->has_desc ? str_trim(arena_strdup(c->a, desc)) : "";
	r->required = form_flag(f, arena_printf(c->a, "%s[required]", base));
	struct json_object *row = ep_row_json(r->key, r->value, r->description, r->required);
	if (!*r->key && !*r->value && !*r->description)
		return row;
	ep_check_key(f, k, row, arena_printf(c->a, "%s[key]", base), r);
	ep_check_value(f, k, row, arena_printf(c->a, "%s[value]", base), r);
	if (utf8_length(r->description) > EP_ROW_DESC_MAX || !form_no_controls(r->description))
		ep_cell_error(f, row, arena_printf(c->a, "%s[description]", base), "description",
			      "The description may be at most 1024 characters on one line.");
	return row;
}

/* Every row of a kind, except the one a remove button names. */
static void
ep_read_rows(struct form *f, const struct ep_kind *k, struct ep_rows *out)
{
	struct ctx *c = f->c;
	long *idx = NULL, skip = -1;
	size_t n = http_kv_indexes(c->a, &f->in, k->prefix, &idx);
	if (str_to_long(form_get(f, k->remove), 0, 999999999L, &skip) != CORE_OK)
		skip = -1;
	out->json = json_object_new_array();
	web_defer_json(c, out->json);
	out->rows = arena_alloc(c->a, (n + 1) * sizeof(*out->rows));
	out->n = 0;
	for (size_t i = 0; out->rows && i < n; i++) {
		struct endpoint_row r;
		if (idx[i] == skip)
			continue;
		struct json_object *row = ep_read_row(f, k, idx[i], &r);
		json_object_array_add(out->json, row);
		if (*r.key || *r.value || *r.description)
			out->rows[out->n++] = r;
	}
}

/* ------------------------------------------------------------------ the form */

/* Parses JSON text completely (nothing after the value): 1 when valid, *out the value
 * (NULL for a JSON null). */
static int
ep_parse_json(const char *s, struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new();
	*out = NULL;
	if (!tok)
		return 0;
	size_t len = strlen(s);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *o = json_tokener_parse_ex(tok, s, (int)len);
	int ok = json_tokener_get_error(tok) == json_tokener_success &&
		 json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(o);
		return 0;
	}
	*out = o;
	return 1;
}

/* 1 when s is an absolute http(s) URL with a host and no spaces or control bytes. */
static int
ep_url_absolute(const char *s)
{
	size_t skip = !strncasecmp(s, "http://", 7) ? 7 : !strncasecmp(s, "https://", 8) ? 8 : 0;
	if (!skip || !s[skip] || s[skip] == '/' || s[skip] == '?' || s[skip] == '#')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* ------------------------------------------------------------ the field table */

/* Sample data: valid JSON when given. */
static void
ep_check_sample(struct form *f, const struct field *fd, const void *s)
{
	struct json_object *o = NULL;
	const char *v = FIELD_TEXT_OF(s, fd);
	if (*v && !ep_parse_json(v, &o))
		form_error(f, fd->name, "The sample data must be valid JSON.");
	json_object_put(o);
}

/* The URL: a valid template, and absolute http(s) once rendered over the sample data
 * (decoded before: it comes first in the list). */
static void
ep_check_url(struct form *f, const struct field *fd, const void *s)
{
	const struct endpoint_input *in = s;
	struct json_object *sample = NULL;
	const char *url = in->url, *msg = NULL;
	char *out = NULL;
	if (!*url)
		return;
	if (!form_no_controls(url)) {
		form_error(f, fd->name,
			   "The URL may not contain line breaks or control characters.");
		return;
	}
	if (*in->sample_data && ep_parse_json(in->sample_data, &sample))
		web_defer_json(f->c, sample);
	if (outbound_render(f->c->a, url, sample, TMPL_ESC_URL, &out, &msg) != OUT_OK) {
		form_error(f, fd->name, msg ? msg : "The URL is not a valid template.");
		return;
	}
	/* A URL starting with "/" is joined to the environment's base URL when it runs. */
	if (url[0] == '/' && url[1] != '/' &&
	    ep_url_absolute(arena_printf(f->c->a, "https://base.invalid%s", out)))
		return;
	if (!ep_url_absolute(out))
		form_error(f, fd->name,
			   "The URL must be an absolute http:// or https:// address, or a path "
			   "starting with / joined to an environment's base URL (checked with the "
			   "sample data filled in).");
}

static void
ep_check_body(struct form *f, const struct field *fd, const void *s)
{
	const char *msg = NULL;
	if (!ep_template_ok(f->c, FIELD_TEXT_OF(s, fd), fd->label, &msg))
		form_error(f, fd->name, msg);
}

/* A JSON Pointer (RFC 6901) on one line, or empty. */
static void
ep_check_pointer(struct form *f, const struct field *fd, const void *s)
{
	const char *v = FIELD_TEXT_OF(s, fd);
	if (*v && !connector_pointer_valid(v))
		form_error(f, fd->name,
			   "A JSON Pointer is empty or starts with / (RFC 6901), with ~ only as ~0 "
			   "or ~1, e.g. /data/items.");
}

static void
ep_check_statuses(struct form *f, const struct field *fd, const void *s)
{
	if (!outbound_status_list_valid(FIELD_TEXT_OF(s, fd)))
		form_error(
		    f, fd->name,
		    "The error statuses are statuses and ranges from 100 to 599 separated by "
		    "commas, e.g. 400-599 (empty: none).");
}

/* The scalar fields (src/db/endpoint_fields.h), values in a struct endpoint_input. */
#define E_ENTRY(n, m, k, lo, hi, d, lab, chk, fl, names, nn)                                       \
	{.name = #n,                                                                               \
	 .kind = FIELD_##k,                                                                        \
	 .min = lo,                                                                                \
	 .max = hi,                                                                                \
	 .label = lab,                                                                             \
	 .def = d,                                                                                 \
	 .choices = names,                                                                         \
	 .nchoices = nn,                                                                           \
	 .off = offsetof(struct endpoint_input, m),                                                \
	 .check = chk,                                                                             \
	 .flags = FIELD_EXPORT | (fl)},
const struct field endpoint_field_table[] = {ENDPOINT_FIELDS(E_ENTRY)};
const size_t endpoint_nfields = sizeof(endpoint_field_table) / sizeof(endpoint_field_table[0]);

/* The rows, each kind once: its JSON member and form prefix (row decoders: ep_read_rows,
 * endpoint_runtime_read). */
static const struct api_field ep_row_members[] = {
    {"headers", "header", API_ROWS},
    {"params", "param", API_ROWS},
    {"response_map", "map", API_MAP_ROWS},
    {"body_fields", "field", API_FIELD_ROWS},
};

int
endpoint_api_form(struct form *f, struct json_object *obj)
{
	int rc = api_form(f, obj, ep_row_members, sizeof(ep_row_members) / sizeof(*ep_row_members));
	return rc ? rc : api_form_table(f, obj, endpoint_field_table, endpoint_nfields, 0);
}

/* Header or parameter rows as [{key, value, description, required}] (description only when
 * with_desc). */
static struct json_object *
ep_rows_json(const struct endpoint_row *r, size_t n, int with_desc)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_str(o, "key", r[i].key);
		jset_str(o, "value", r[i].value ? r[i].value : "");
		if (with_desc)
			jset_str(o, "description", r[i].description ? r[i].description : "");
		jset_bool(o, "required", r[i].required);
		json_object_array_add(arr, o);
	}
	return arr;
}

void
endpoint_json(struct arena *a, struct json_object *o, const struct endpoint_input *in, int export)
{
	field_json(a, o, endpoint_field_table, endpoint_nfields, in, export);
	jset(o, "headers", ep_rows_json(in->headers, in->nheaders, 1));
	jset(o, "params", ep_rows_json(in->params, in->nparams, 0));
	endpoint_runtime_rows_json(o, &in->rt);
}

static void
ep_read(struct form *f, struct ep_input *ei)
{
	memset(ei, 0, sizeof(*ei));
	endpoint_defaults(&ei->in);
	field_decode(f, endpoint_field_table, endpoint_nfields, &ei->in);
	if (!ei->in.timeout) {
		ei->in.timeout = f->c->app->outbound.default_timeout;
		jset_int(f->values, "timeout", ei->in.timeout);
	}
	endpoint_runtime_read(f, &ei->in.rt, f->values);
	ep_read_rows(f, &EP_HEADERS, &ei->headers);
	ep_read_rows(f, &EP_PARAMS, &ei->params);
	ei->in.headers = ei->headers.rows;
	ei->in.nheaders = ei->headers.n;
	ei->in.params = ei->params.rows;
	ei->in.nparams = ei->params.n;
	ei->rebuild = form_get(f, EP_HEADERS.add) || form_get(f, EP_PARAMS.add) ||
		      form_get(f, EP_HEADERS.remove) || form_get(f, EP_PARAMS.remove) ||
		      endpoint_runtime_rebuild(f);
}

/* The warning beside the URL when the connector has credentials and the URL's origin (when
 * its scheme and host are written out) is not one they may be sent to; NULL otherwise. */
static const char *
ep_origin_warning(struct ctx *c, struct form *f)
{
	struct db_auth_fields r;
	struct json_object *u = NULL;
	if (!json_object_object_get_ex(f->values, "url", &u) || !u ||
	    db_connector_auth_read(c->db, c->a, c->ids[0], &r) != DB_OK)
		return NULL;
	const char *allowed = r.allowed_origins;
	if (!strcmp(r.auth_type, "none") && !*r.variables)
		return NULL;
	const char *origin = outbound_static_origin(c->a, json_object_get_string(u));
	if (!origin || outbound_origin_listed(origin, allowed))
		return NULL;
	return arena_printf(
	    c->a,
	    "Credentials of this Data Connector may only be sent to %s; this URL is "
	    "at %s, so a Test or call of it will be refused.",
	    *allowed ? allowed : "no origin yet", origin);
}

/* The editor page. headers/params are row objects (borrowed); for a rebuild the empty
 * rows stay and one is added where asked. */
static int
ep_form_page(struct ctx *c, int status, struct form *f, long long eid, struct json_object *headers,
	     struct json_object *params, int rebuild)
{
	struct json_object *d = json_object_new_object();
	int add_h = rebuild && http_form_get(c->req, EP_HEADERS.add);
	int add_p = rebuild && http_form_get(c->req, EP_PARAMS.add);
	struct json_object *m = NULL;
	json_object_object_get_ex(f->values, "method", &m);
	jset_bool(d, "is_new", eid == 0);
	jset_str(d, "title", eid ? "Endpoint" : "New Endpoint");
	jset_str(d, "action", eid ? ep_one_path(c, eid, "") : ep_path(c, ""));
	jset_str(d, "list_url", ep_path(c, ""));
	if (eid) {
		jset_str(d, "test_url", ep_one_path(c, eid, "/test"));
		jset_str(d, "delete_url", ep_one_path(c, eid, "/delete"));
	}
	struct json_object *envs =
	    web_env_options(c, c->ids[0], http_form_get(c->req, "environment"));
	jset_bool(d, "has_environments", json_object_array_length(envs) > 0);
	jset(d, "environments", envs);
	jset(d, "headers", ep_rows_view(headers, rebuild, rebuild ? add_h : EP_EXTRA_ROWS));
	jset(d, "params", ep_rows_view(params, rebuild, rebuild ? add_p : EP_EXTRA_ROWS));
	jset(d, "methods",
	     form_select(endpoint_method_names, NULL, EP_METHOD__MAX,
			 m ? json_object_get_string(m) : "GET"));
	const char *warn = ep_origin_warning(c, f);
	if (warn)
		jset_str(d, "origin_warning", warn);
	endpoint_runtime_page(c, f, d, rebuild);
	form_put(f, d);
	return ep_render(c, status, "endpoint_form", d);
}

int
web_endpoint_new(struct ctx *c)
{
	struct form f;
	struct endpoint_input in;
	form_init(&f, c);
	endpoint_defaults(&in);
	in.purpose = "List";
	in.timeout = c->app->outbound.default_timeout;
	field_values(&f, endpoint_field_table, endpoint_nfields, &in);
	endpoint_runtime_rows_json(f.values, &in.rt);
	return ep_form_page(c, 200, &f, 0, NULL, NULL, 0);
}

/* Maps a refused save to a field error (0: re-render), else the status. */
static int
ep_save_error(struct form *f, int rc)
{
	if (rc == DB_EDUP) {
		form_error(f, "purpose",
			   "The purpose has already been taken for this Data Connector.");
		return 0;
	}
	return rc;
}

/* Saves what ep_read read (eid 0 creates) and writes the audit log: 0 when saved (*out_id
 * set), 422 with errors in f, else a status. */
static int
ep_save(struct form *f, long long cid, long long eid, const struct ep_input *ei, long long *out_id)
{
	if (f->nerrors)
		return 422;
	struct ctx *c = f->c;
	struct endpoint_input old;
	struct audit_fields af;
	int rc = eid ? db_endpoint_read(c->db, c->a, cid, eid, &old, NULL) : DB_OK;
	if (rc != DB_OK)
		return rc;
	audit_fields_init(&af, c);
	if (eid)
		field_changes(&af, endpoint_field_table, endpoint_nfields, &old, &ei->in);
	const char *changed = audit_fields_text(&af);
	struct db_audit au =
	    web_audit(c, eid ? "endpoint.update" : "endpoint.create", "endpoint", eid,
		      arena_printf(c->a, "connector %lld, purpose: %s%s%s", cid, ei->in.purpose,
				   *changed ? "; changed: " : "", changed));
	*out_id = eid;
	rc = eid ? db_endpoint_update(c->db, cid, eid, &ei->in, c->user->id, &au)
		 : db_endpoint_create(c->db, cid, &ei->in, c->user->id, out_id, &au);
	if (rc != DB_OK)
		return (rc = ep_save_error(f, rc)) != 0 ? rc : 422;
	return 0;
}

int
endpoint_submit(struct form *f, long long cid, long long eid, long long *out_id)
{
	struct ep_input ei;
	ep_read(f, &ei);
	return ep_save(f, cid, eid, &ei, out_id);
}

int
endpoint_draft(struct form *f, struct endpoint_input **out)
{
	struct ep_input *ei = arena_alloc(f->c->a, sizeof(*ei));
	*out = NULL;
	if (!ei)
		return 500;
	if (!form_get(f, "purpose") && api_form_add(f, "purpose", "draft") != 0)
		return 500;
	ep_read(f, ei);
	if (f->nerrors)
		return 422;
	*out = &ei->in;
	return 0;
}

/* A refused save's editor again (the dispatcher's callback): the endpoint and the rows as
 * typed (in the request arena). */
struct ep_again {
	long long eid;
	struct json_object *headers, *params;
};

static int
ep_form_again(struct ctx *c, const struct web_error *e)
{
	const struct ep_again *a = e->arg;
	return ep_form_page(c, e->status, e->form, a->eid, a->headers, a->params, 0);
}

/* Create (eid 0) or update: re-render for row buttons and errors, else save and 303. */
static int
ep_submit(struct ctx *c, long long eid)
{
	struct form f;
	struct ep_input ei;
	form_init(&f, c);
	ep_read(&f, &ei);
	if (ei.rebuild)
		return ep_form_page(c, 200, &f, eid, ei.headers.json, ei.params.json, 1);
	int rc = ep_save(&f, c->ids[0], eid, &ei, &eid);
	if (rc == 422) {
		struct ep_again a = {eid, ei.headers.json, ei.params.json};
		return web_fail_page(&f, rc, ep_form_again, &a, sizeof(a));
	}
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, ep_one_path(c, eid, ""), MSG_SAVED);
}

int
web_endpoint_create(struct ctx *c)
{
	return ep_submit(c, 0);
}

int
web_endpoint_update(struct ctx *c)
{
	struct db_endpoint_head r;
	int rc = db_endpoint_head_get(c->db, c->a, c->ids[0], c->ids[1], &r);
	return rc != DB_OK ? rc : ep_submit(c, c->ids[1]);
}

/* Header or parameter rows as the editor's row objects. */
static struct json_object *
ep_rows_view_of(struct ctx *c, const struct endpoint_row *r, size_t n)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(
		    arr, ep_row_json(r[i].key, r[i].value, r[i].description, r[i].required));
	web_defer_json(c, arr);
	return arr;
}

int
web_endpoint_show(struct ctx *c)
{
	struct endpoint_input in;
	struct form f;
	int rc = db_endpoint_read(c->db, c->a, c->ids[0], c->ids[1], &in, NULL);
	if (rc != DB_OK)
		return rc;
	form_init(&f, c);
	field_values(&f, endpoint_field_table, endpoint_nfields, &in);
	endpoint_runtime_rows_json(f.values, &in.rt);
	return ep_form_page(c, 200, &f, c->ids[1], ep_rows_view_of(c, in.headers, in.nheaders),
			    ep_rows_view_of(c, in.params, in.nparams), 0);
}

/* ---------------------------------------------------------------------- delete */

int
web_endpoint_delete_confirm(struct ctx *c)
{
	struct db_endpoint_head r;
	int rc = db_endpoint_head_get(c->db, c->a, c->ids[0], c->ids[1], &r);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Delete Endpoint");
	jset_str(d, "question",
		 arena_printf(c->a, "Are you sure you want to delete the endpoint %s?", r.purpose));
	jset_str(d, "action", ep_one_path(c, c->ids[1], "/delete"));
	jset_str(d, "back", ep_path(c, ""));
	jset_str(d, "message", "Its headers and query parameters are deleted with it.");
	return ep_render(c, 200, "confirm_delete", d);
}

int
web_endpoint_delete(struct ctx *c)
{
	struct db_endpoint_head r;
	int rc = db_endpoint_head_get(c->db, c->a, c->ids[0], c->ids[1], &r);
	if (rc == DB_OK)
		rc = db_endpoint_delete(c->db, c->ids[0], c->ids[1], c->user->id);
	if (rc != DB_OK)
		return rc;
	audit_write(c->db, c->user, "endpoint.delete", "endpoint", c->ids[1],
		    arena_printf(c->a, "connector %lld, purpose: %s", c->ids[0], r.purpose),
		    c->req->remote_addr);
	return web_redirect_flash(c, ep_path(c, ""), "The endpoint was deleted.");
}
