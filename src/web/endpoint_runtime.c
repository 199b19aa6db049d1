/* The runtime rows of an endpoint (issue 18) as form fields, shared by the editor, the JSON
 * API (which fills the same fields), the draft Test and import: map[N][name|pointer] and
 * field[N][name|value], read with messages beside them and written back out as the JSON the
 * API, export and the editor show; and the checks between the pagination fields. The
 * runtime's scalar fields are in the endpoint's field table (src/db/endpoint_fields.h). */
#include <json-c/json.h>
#include <string.h>

#include "../db/endpoints.h"
#include "save.h"

#define RT_NAME_MAX    255
#define RT_POINTER_MAX 1024
#define RT_VALUE_MAX   8192

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
	rt->maps = rt_rows(f, &RT_MAPS, &rt->nmaps, &maps);
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
	rt->fields = rt_rows(f, &RT_FIELDS, &rt->nfields, &fields);
	if (view) {
		jset(view, "response_map", json_object_get(maps));
		jset(view, "body_fields", json_object_get(fields));
	}
}

void
endpoint_runtime_rows_json(struct json_object *o, const struct endpoint_runtime *rt)
{
	struct json_object *maps = json_object_new_array(), *fields = json_object_new_array();
	for (size_t i = 0; i < rt->nmaps; i++)
		json_object_array_add(maps,
				      rt_row_json(&RT_MAPS, rt->maps[i].key, rt->maps[i].value));
	for (size_t i = 0; i < rt->nfields; i++)
		json_object_array_add(
		    fields, rt_row_json(&RT_FIELDS, rt->fields[i].key, rt->fields[i].value));
	jset(o, "response_map", maps);
	jset(o, "body_fields", fields);
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
