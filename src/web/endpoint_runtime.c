/* The runtime options of an endpoint (issue 18) as form fields, shared by the editor, the
 * JSON API (which fills the same fields), the draft Test and import: response_root,
 * map[N][name|pointer], error_statuses, retries, retry_backoff_ms, retry_unsafe,
 * pagination with page_param, size_param, first_page, page_size, offset_param, limit_param,
 * cursor_pointer, cursor_param and max_pages, body_type and field[N][name|value]. Read
 * into an endpoint_runtime with messages beside the fields, and written back out as the
 * JSON the API, export and the editor show. */
#include <json-c/json.h>
#include <string.h>

#include "../db/endpoints.h"
#include "save.h"

#define RT_NAME_MAX	255
#define RT_POINTER_MAX	1024
#define RT_VALUE_MAX	8192
#define RT_STATUSES_MAX 255

/* One kind of rows: map[N][name|pointer] or field[N][name|value]. */
struct rt_kind {
	const char *prefix;
	const char *second; /* "pointer" or "value" */
	const char *remove; /* submit button (value N) that removes row N */
};
static const struct rt_kind RT_MAPS = {"map", "pointer", "remove_map"};
static const struct rt_kind RT_FIELDS = {"field", "value", "remove_field"};

static struct json_object *
rt_row_json(const struct rt_kind *k, const char *name, const char *second)
{
	struct json_object *o = json_object_new_object();
	jset_str(o, "name", name ? name : "");
	jset_str(o, k->second, second ? second : "");
	return o;
}

/* A text field: its value trimmed (def when absent), at most max characters. */
static const char *
rt_text(struct form *f, const char *field, const char *def, size_t max, const char *label)
{
	const char *v = form_text(f, field);
	if (!v) {
		v = def;
		jset_str(f->values, field, def);
	}
	if (utf8_length(v) > max || !form_no_controls(v))
		form_error(f, field,
			   arena_printf(f->c->a,
					"The %s may be at most %zu characters on one line.", label,
					max));
	return v;
}

/* A whole number field in [min, max] (def when absent or blank). */
static long
rt_long(struct form *f, const char *field, long def, long min, long max, const char *label)
{
	const char *v = form_text(f, field);
	long n = def;
	if (!v || !*v) {
		jset_int(f->values, field, def);
		return def;
	}
	if (str_to_long(v, min, max, &n) != CORE_OK) {
		form_error(f, field,
			   arena_printf(f->c->a, "The %s must be a whole number from %ld to %ld.",
					label, min, max));
		return def;
	}
	return n;
}

static void
rt_pointer_check(struct form *f, const char *field, const char *v)
{
	if (*v && !connector_pointer_valid(v))
		form_error(f, field,
			   "A JSON Pointer is empty or starts with / (RFC 6901), with ~ only as ~0 "
			   "or ~1, e.g. /data/items.");
}

/* The rows of a kind (empty ones dropped; the one a remove button names too). */
static const struct endpoint_row *
rt_rows(struct form *f, const struct rt_kind *k, size_t *count, struct json_object **json)
{
	struct ctx *c = f->c;
	long *idx = NULL, skip = -1;
	size_t n = http_kv_indexes(c->a, &f->in, k->prefix, &idx);
	struct endpoint_row *rows = arena_alloc(c->a, (n + 1) * sizeof(*rows));
	if (str_to_long(form_get(f, k->remove), 0, 999999999L, &skip) != CORE_OK)
		skip = -1;
	*count = 0;
	*json = json_object_new_array();
	for (size_t i = 0; rows && i < n; i++) {
		if (idx[i] == skip)
			continue;
		const char *base = arena_printf(c->a, "%s[%ld]", k->prefix, idx[i]);
		const char *nf = arena_printf(c->a, "%s[name]", base);
		const char *sf = arena_printf(c->a, "%s[%s]", base, k->second);
		const char *name = form_get(f, nf), *second = form_get(f, sf);
		name = name ? str_trim(arena_strdup(c->a, name)) : "";
		second = second ? second : "";
		if (k == &RT_MAPS)
			second = str_trim(arena_strdup(c->a, second));
		if (!*name && !*second)
			continue;
		size_t at = *count;
		struct json_object *row = rt_row_json(k, name, second);
		json_object_array_add(*json, row);
		const char *ef = arena_printf(c->a, "%s[%zu][name]", k->prefix, at);
		const char *es = arena_printf(c->a, "%s[%zu][%s]", k->prefix, at, k->second);
		if (!*name || utf8_length(name) > RT_NAME_MAX || !form_no_controls(name)) {
			const char *msg =
			    "The name is required: at most 255 characters on one line.";
			jset_str(row, "name_error", msg);
			form_error(f, ef, msg);
		}
		if (k == &RT_MAPS &&
		    (!connector_pointer_valid(second) || strlen(second) > RT_POINTER_MAX)) {
			const char *msg = "The pointer must be a JSON Pointer (RFC 6901): empty or "
					  "starting with /, e.g. /id.";
			jset_str(row, "pointer_error", msg);
			form_error(f, es, msg);
		}
		if (k == &RT_FIELDS && strlen(second) > RT_VALUE_MAX) {
			const char *msg = "The value may not be longer than 8192 characters.";
			jset_str(row, "value_error", msg);
			form_error(f, es, msg);
		}
		rows[(*count)++] = (struct endpoint_row){name, second, "", 0};
	}
	web_defer_json(c, *json);
	return rows;
}

/* Renumbered rows with blank ones to type into, for the editor. */
static struct json_object *
rt_rows_view(const struct rt_kind *k, struct json_object *rows, int extra)
{
	struct json_object *arr = json_object_new_array();
	size_t n = rows ? json_object_array_length(rows) : 0;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_get(json_object_array_get_idx(rows, i)));
	for (int i = 0; i < extra; i++)
		json_object_array_add(arr, rt_row_json(k, "", ""));
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		jset_int(json_object_array_get_idx(arr, i), "n", (long long)i);
	return arr;
}

void
endpoint_runtime_read(struct form *f, struct endpoint_runtime *rt, struct json_object *view)
{
	struct json_object *maps = NULL, *fields = NULL;
	int e;
	endpoint_runtime_defaults(rt);
	rt->response_root = rt_text(f, "response_root", "", RT_POINTER_MAX, "response root");
	rt_pointer_check(f, "response_root", rt->response_root);
	rt->maps = rt_rows(f, &RT_MAPS, &rt->nmaps, &maps);
	rt->error_statuses =
	    rt_text(f, "error_statuses", "400-599", RT_STATUSES_MAX, "list of error statuses");
	if (!outbound_status_list_valid(rt->error_statuses))
		form_error(
		    f, "error_statuses",
		    "The error statuses are statuses and ranges from 100 to 599 separated by "
		    "commas, e.g. 400-599 (empty: none).");
	rt->retries = rt_long(f, "retries", 0, 0, 5, "number of retries");
	rt->retry_backoff_ms = rt_long(f, "retry_backoff_ms", 500, 0, 60000, "retry backoff (ms)");
	rt->retry_unsafe = form_flag(f, "retry_unsafe");
	jset_bool(f->values, "retry_unsafe", rt->retry_unsafe);
	const char *pg = rt_text(f, "pagination", "none", 16, "pagination");
	if ((e = endpoint_enum_parse(endpoint_paging_names, PAGING__MAX, *pg ? pg : "none")) < 0)
		form_error(f, "pagination",
			   "The pagination must be none, page, offset, cursor or link.");
	rt->pagination = e < 0 ? PAGING_NONE : (enum endpoint_paging)e;
	rt->page_param = rt_text(f, "page_param", "page", RT_NAME_MAX, "page parameter");
	rt->size_param = rt_text(f, "size_param", "", RT_NAME_MAX, "page size parameter");
	rt->first_page = rt_long(f, "first_page", 1, 0, 1000000, "first page number");
	rt->page_size = rt_long(f, "page_size", 0, 0, 100000, "page size");
	rt->offset_param = rt_text(f, "offset_param", "offset", RT_NAME_MAX, "offset parameter");
	rt->limit_param = rt_text(f, "limit_param", "", RT_NAME_MAX, "limit parameter");
	rt->cursor_pointer =
	    rt_text(f, "cursor_pointer", "", RT_POINTER_MAX, "pointer to the next cursor");
	rt_pointer_check(f, "cursor_pointer", rt->cursor_pointer);
	rt->cursor_param = rt_text(f, "cursor_param", "cursor", RT_NAME_MAX, "cursor parameter");
	rt->max_pages = rt_long(f, "max_pages", 10, 1, 1000, "maximum number of pages");
	if (rt->pagination == PAGING_PAGE && !*rt->page_param)
		form_error(f, "page_param", "Page pagination needs the page parameter's name.");
	if (rt->pagination == PAGING_OFFSET && !*rt->offset_param)
		form_error(f, "offset_param",
			   "Offset pagination needs the offset parameter's name.");
	if (rt->pagination == PAGING_CURSOR && !*rt->cursor_param)
		form_error(f, "cursor_param",
			   "Cursor pagination needs the cursor parameter's name.");
	if (rt->pagination == PAGING_CURSOR && !*rt->cursor_pointer)
		form_error(f, "cursor_pointer",
			   "Cursor pagination needs the JSON Pointer to the next cursor, e.g. "
			   "/next_cursor.");
	const char *bt = rt_text(f, "body_type", "raw", 16, "body type");
	if ((e = endpoint_enum_parse(endpoint_body_type_names, BODY__MAX, *bt ? bt : "raw")) < 0)
		form_error(f, "body_type", "The body type must be raw, json, form or multipart.");
	rt->body_type = e < 0 ? BODY_RAW : (enum endpoint_body_type)e;
	rt->fields = rt_rows(f, &RT_FIELDS, &rt->nfields, &fields);
	if (view) {
		jset(view, "response_map", json_object_get(maps));
		jset(view, "body_fields", json_object_get(fields));
	}
}

struct json_object *
endpoint_runtime_json(const struct endpoint_runtime *rt)
{
	struct json_object *o = json_object_new_object(), *maps = json_object_new_array(),
			   *fields = json_object_new_array();
	jset_str(o, "response_root", rt->response_root);
	for (size_t i = 0; i < rt->nmaps; i++)
		json_object_array_add(maps,
				      rt_row_json(&RT_MAPS, rt->maps[i].key, rt->maps[i].value));
	jset(o, "response_map", maps);
	jset_str(o, "error_statuses", rt->error_statuses);
	jset_int(o, "retries", rt->retries);
	jset_int(o, "retry_backoff_ms", rt->retry_backoff_ms);
	jset_bool(o, "retry_unsafe", rt->retry_unsafe);
	jset_str(o, "pagination", endpoint_paging_names[rt->pagination]);
	jset_str(o, "page_param", rt->page_param);
	jset_str(o, "size_param", rt->size_param);
	jset_int(o, "first_page", rt->first_page);
	jset_int(o, "page_size", rt->page_size);
	jset_str(o, "offset_param", rt->offset_param);
	jset_str(o, "limit_param", rt->limit_param);
	jset_str(o, "cursor_pointer", rt->cursor_pointer);
	jset_str(o, "cursor_param", rt->cursor_param);
	jset_int(o, "max_pages", rt->max_pages);
	jset_str(o, "body_type", endpoint_body_type_names[rt->body_type]);
	for (size_t i = 0; i < rt->nfields; i++)
		json_object_array_add(
		    fields, rt_row_json(&RT_FIELDS, rt->fields[i].key, rt->fields[i].value));
	jset(o, "body_fields", fields);
	return o;
}

int
endpoint_runtime_load(struct ctx *c, long long eid, const struct db_rows *ep,
		      struct endpoint_runtime *rt)
{
	struct db_rows m, fl;
	int rc = db_endpoint_items(c->db, c->a, eid, "m", &m);
	if (rc == DB_OK)
		rc = db_endpoint_items(c->db, c->a, eid, "f", &fl);
	if (rc == DB_OK && db_endpoint_runtime(c->a, ep, &m, &fl, rt) != 0)
		rc = DB_ENOMEM;
	return rc;
}

void
endpoint_runtime_merge(struct json_object *into, const struct endpoint_runtime *rt)
{
	struct json_object *o = endpoint_runtime_json(rt);
	json_object_object_foreach(o, key, val) jset(into, key, json_object_get(val));
	json_object_put(o);
}

int
endpoint_runtime_rebuild(const struct form *f)
{
	return form_get(f, "add_map") || form_get(f, RT_MAPS.remove) || form_get(f, "add_field") ||
	       form_get(f, RT_FIELDS.remove);
}

/* Choices of a select: [{value, selected}]. */
static struct json_object *
rt_choices(const char *const *names, int n, struct json_object *values, const char *field)
{
	struct json_object *arr = json_object_new_array(), *v = NULL;
	const char *cur =
	    json_object_object_get_ex(values, field, &v) ? json_object_get_string(v) : NULL;
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_str(o, "value", names[i]);
		jset_bool(o, "selected", cur ? !strcmp(cur, names[i]) : i == 0);
		json_object_array_add(arr, o);
	}
	return arr;
}

void
endpoint_runtime_page(struct ctx *c, struct form *f, struct json_object *d, int rebuild)
{
	struct json_object *v = NULL;
	int add_m = rebuild && form_get(f, "add_map");
	int add_f = rebuild && form_get(f, "add_field");
	json_object_object_get_ex(f->values, "response_map", &v);
	jset(d, "map_rows", rt_rows_view(&RT_MAPS, v, rebuild ? add_m : 1));
	v = NULL;
	json_object_object_get_ex(f->values, "body_fields", &v);
	jset(d, "field_rows", rt_rows_view(&RT_FIELDS, v, rebuild ? add_f : 1));
	jset(d, "paging_choices",
	     rt_choices(endpoint_paging_names, PAGING__MAX, f->values, "pagination"));
	jset(d, "body_type_choices",
	     rt_choices(endpoint_body_type_names, BODY__MAX, f->values, "body_type"));
	jset_str(d, "draft_test_url",
		 arena_printf(c->a, "/data-connectors/%lld/endpoints/test", c->ids[0]));
	/* The Test data box: what was typed, else the sample data. */
	const char *td = form_get(f, "test_data");
	v = NULL;
	if (!td && json_object_object_get_ex(f->values, "sample_data", &v))
		td = json_object_get_string(v);
	jset_str(d, "test_data", td ? td : "");
}
