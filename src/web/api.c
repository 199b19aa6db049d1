/* JSON API plumbing: the body read with limits, turned into form fields for the shared
 * validate-and-save code, errors under the JSON member names, list pages. */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "api.h"

/* ------------------------------------------------------------------ the body */

static int
is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	if (!ct)
		return 0;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return 0;
	ct += sizeof(want) - 1;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

/* Parses text completely; *msg says why not. */
static struct json_object *
api_parse(struct ctx *c, const char *text, size_t len, const char **msg)
{
	struct json_tokener *tok = json_tokener_new_ex(API_MAX_DEPTH);
	if (!tok) {
		*msg = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (err == json_tokener_continue)
		*msg = "the JSON text ends too early";
	else if (err != json_tokener_success)
		*msg = arena_printf(c->a, "%s at byte %zu", json_tokener_error_desc(err), end);
	else if (end + strspn(text + end, " \t\r\n") != len)
		*msg = arena_printf(c->a, "unexpected text after the JSON value at byte %zu", end);
	json_tokener_free(tok);
	if (*msg) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int
api_body(struct ctx *c, struct json_object **out)
{
	const char *msg = NULL;
	*out = NULL;
	if (!is_json_type(c->req->content_type))
		return web_fail(c, 415, "Send the request body as application/json.", NULL);
	if (c->req->body_len == 0)
		return web_fail(c, 400, "The request body is empty: send a JSON object.", NULL);
	if (c->req->body_len > INT_MAX || strlen(c->req->body) != c->req->body_len)
		return web_fail(c, 400, "The request body is not valid JSON text.", NULL);
	struct json_object *o = api_parse(c, c->req->body, c->req->body_len, &msg);
	if (!o && msg)
		return web_fail(c, 400, arena_printf(c->a, "Malformed JSON: %s.", msg), NULL);
	web_defer_json(c, o);
	if (!json_object_is_type(o, json_type_object))
		return web_fail(c, 400, "The request body must be a JSON object.", NULL);
	*out = o;
	return 0;
}

/* ------------------------------------------------------------ JSON to form fields */

int
api_form_add(struct form *f, const char *field, const char *value)
{
	struct ctx *c = f->c;
	struct http_kvlist *l = &f->in;
	const struct http_limits *lim = &c->app->limits;
	size_t len = strlen(value);
	if (l->count >= lim->max_fields || len > lim->max_field)
		return HTTP_ETOOBIG;
	if (l->count % 16 == 0) {
		struct http_kv *items = arena_alloc(c->a, (l->count + 16) * sizeof(*items));
		if (!items)
			return HTTP_ENOMEM;
		if (l->count)
			memcpy(items, l->items, l->count * sizeof(*items));
		l->items = items;
	}
	l->items[l->count++] = (struct http_kv){field, value, len};
	return HTTP_OK;
}

static void
type_error(struct form *f, const struct api_field *fd, const char *what)
{
	form_error(f, fd->field,
		   arena_printf(f->c->a, "The %s field must be %s.", fd->member, what));
}

/* The text of a JSON string; NULL (and an error of name) when it holds a NUL character. */
static const char *
string_text(struct form *f, const char *name, struct json_object *v)
{
	const char *s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) == strlen(s))
		return s;
	form_error(f, name, "The text may not contain NUL characters.");
	return NULL;
}

/* A string or a number as text; NULL (and an error) for anything else. */
static const char *
scalar_text(struct form *f, const struct api_field *fd, struct json_object *v)
{
	enum json_type t = json_object_get_type(v);
	if (t == json_type_string)
		return string_text(f, fd->field, v);
	if (t == json_type_int || t == json_type_double)
		return json_object_get_string(v);
	type_error(f, fd, "a string");
	return NULL;
}

static int
add_ids(struct form *f, const struct api_field *fd, struct json_object *v)
{
	if (!json_object_is_type(v, json_type_array)) {
		type_error(f, fd, fd->kind == API_NAMES ? "an array of names" : "an array of ids");
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (fd->kind == API_NAMES && !json_object_is_type(e, json_type_string)) {
			type_error(f, fd, "an array of names");
			return 0;
		}
		const char *s = scalar_text(f, fd, e);
		int rc = s ? api_form_add(f, fd->field, s) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* One cell of a row: a string (null: empty) or, for "required", a boolean. */
static int
add_cell(struct form *f, const struct api_field *fd, size_t n, struct json_object *row,
	 const char *cell)
{
	struct json_object *v = NULL;
	const char *name = arena_printf(f->c->a, "%s[%zu][%s]", fd->field, n, cell);
	if (!json_object_object_get_ex(row, cell, &v) || !v)
		return 0;
	if (!strcmp(cell, "required")) {
		if (!json_object_is_type(v, json_type_boolean))
			form_error(f, name, "The required flag must be true or false.");
		return json_object_get_boolean(v) ? api_form_add(f, name, "1") : 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		form_error(f, name, arena_printf(f->c->a, "The %s must be a string.", cell));
		return 0;
	}
	const char *s = string_text(f, name, v);
	return s ? api_form_add(f, name, s) : 0;
}

static int
add_rows(struct form *f, const struct api_field *fd, struct json_object *v)
{
	static const char *const rows[] = {"key", "value", "description", "required"};
	static const char *const maps[] = {"name", "pointer"};
	static const char *const fields[] = {"name", "value"};
	const char *const *cells = fd->kind == API_MAP_ROWS	? maps
				   : fd->kind == API_FIELD_ROWS ? fields
								: rows;
	size_t ncells = fd->kind == API_ROWS ? 4 : 2;
	if (!json_object_is_type(v, json_type_array)) {
		type_error(f, fd, "an array of rows");
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *row = json_object_array_get_idx(v, i);
		if (!json_object_is_type(row, json_type_object)) {
			type_error(f, fd, "an array of objects");
			continue;
		}
		for (size_t k = 0; k < ncells; k++) {
			int rc = add_cell(f, fd, i, row, cells[k]);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* {"NAME": "value" | null}: the sealed variables (null and left-out names are removed). */
static int
add_secret_map(struct form *f, const struct api_field *fd, struct json_object *v)
{
	struct ctx *c = f->c;
	size_t n = 0;
	int rc;
	if (!json_object_is_type(v, json_type_object)) {
		type_error(f, fd, "an object of names and values");
		return 0;
	}
	if ((rc = api_form_add(f, arena_printf(c->a, "%ss_given", fd->field), "1")) != 0)
		return rc;
	json_object_object_foreach(v, key, val)
	{
		if (!val)
			continue;
		if (!json_object_is_type(val, json_type_string)) {
			type_error(f, fd, "an object whose values are strings");
			continue;
		}
		const char *s = string_text(f, fd->member, val);
		if (!s)
			continue;
		if ((rc =
			 api_form_add(f, arena_printf(c->a, "%s[%zu][name]", fd->field, n), key)) ||
		    (rc = api_form_add(f, arena_printf(c->a, "%s[%zu][value]", fd->field, n), s)))
			return rc;
		n++;
	}
	return 0;
}

/* A list of words as an array of strings or one string; joined by spaces. */
static int
add_words(struct form *f, const struct api_field *fd, struct json_object *v)
{
	struct buf *b = buf_new_arena(f->c->a);
	if (json_object_is_type(v, json_type_string))
		return api_form_add(f, fd->field, json_object_get_string(v));
	if (!b || !json_object_is_type(v, json_type_array)) {
		type_error(f, fd, "an array of strings");
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string)) {
			type_error(f, fd, "an array of strings");
			return 0;
		}
		if (b->len)
			buf_putc(b, ' ');
		buf_puts(b, json_object_get_string(e));
	}
	return api_form_add(f, fd->field, b->data ? b->data : "");
}

/* One member by its kind; an HTTP_E* code past a limit, else 0. */
static int
add_member(struct form *f, const struct api_field *fd, struct json_object *v)
{
	struct ctx *c = f->c;
	switch (fd->kind) {
	case API_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			type_error(f, fd, "true or false");
		return json_object_get_boolean(v) ? api_form_add(f, fd->field, "1") : 0;
	case API_IDS:
	case API_NAMES:
		return add_ids(f, fd, v);
	case API_ROWS:
	case API_MAP_ROWS:
	case API_FIELD_ROWS:
		return add_rows(f, fd, v);
	case API_JSON: {
		const char *s =
		    json_object_is_type(v, json_type_string)
			? string_text(f, fd->field, v)
			: arena_strdup(c->a,
				       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return s ? api_form_add(f, fd->field, s) : 0;
	}
	case API_SECRET: {
		const char *s = NULL;
		if (!json_object_is_type(v, json_type_string))
			type_error(f, fd, "a string or null");
		else
			s = string_text(f, fd->field, v);
		return s ? api_form_add(f, fd->field, s) : 0;
	}
	case API_SECRET_MAP:
		return add_secret_map(f, fd, v);
	case API_WORDS:
		return add_words(f, fd, v);
	case API_TEXT:
	default: {
		const char *s = scalar_text(f, fd, v);
		return s ? api_form_add(f, fd->field, s) : 0;
	}
	}
}

/* One member of obj into f's input (absent: nothing); 0 or the status answered. */
static int
form_member(struct form *f, struct json_object *obj, const struct api_field *fd)
{
	struct ctx *c = f->c;
	struct json_object *v = NULL;
	int rc = 0;
	if (!json_object_object_get_ex(obj, fd->member, &v))
		return 0;
	if (!v && fd->kind == API_SECRET)
		rc = api_form_add(f, arena_printf(c->a, "clear_%s", fd->field), "1");
	else if (v)
		rc = add_member(f, fd, v);
	if (rc == HTTP_ENOMEM)
		return 500;
	if (rc)
		return web_json_error(
		    c, 413, "The request has too many fields or a field that is too long.", NULL);
	return 0;
}

int
api_form(struct form *f, struct json_object *obj, const struct api_field *fields, size_t n)
{
	int rc = 0;
	memset(&f->in, 0, sizeof(f->in));
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = form_member(f, obj, &fields[i]);
	return rc;
}

int
api_form_table(struct form *f, struct json_object *obj, const struct field *t, size_t n,
	       unsigned flags)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct api_field fd = {t[i].name, t[i].name, API_TEXT};
		if ((t[i].flags & flags) != flags || (t[i].flags & FIELD_READONLY))
			continue;
		fd.kind = t[i].kind == FIELD_BOOL     ? API_BOOL
			  : t[i].kind == FIELD_SECRET ? API_SECRET
			  : t[i].kind == FIELD_WORDS  ? API_WORDS
			  : t[i].flags & FIELD_JSON   ? API_JSON
						      : API_TEXT;
		rc = form_member(f, obj, &fd);
	}
	return rc;
}

int
api_has_field(struct json_object *obj, const struct field *t, size_t n, const char *except)
{
	for (size_t i = 0; i < n; i++)
		if (!(t[i].flags & FIELD_READONLY) && (!except || strcmp(t[i].name, except)) &&
		    json_object_object_get_ex(obj, t[i].name, NULL))
			return 1;
	return 0;
}

void
api_form_default(struct form *f, struct json_object *obj, const char *member, const char *field,
		 const char *value)
{
	if (!json_object_object_get_ex(obj, member, NULL) && value)
		api_form_add(f, field, value);
}

/* ------------------------------------------------------------------- errors */

/* "header[3][key]" -> "headers.3.key", "param[0][value]" -> "params.0.value". */
const char *
api_error_key(struct arena *a, const char *key)
{
	static const struct {
		const char *form, *json;
	} rows[] = {{"header[", "headers"}, {"param[", "params"}, {"var[", "variables"}};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = strlen(rows[i].form);
		if (strncmp(key, rows[i].form, n) != 0)
			continue;
		const char *idx = key + n;
		size_t digits = strspn(idx, "0123456789");
		const char *cell = idx + digits;
		size_t clen = strlen(cell);
		if (!digits || clen < 4 || strncmp(cell, "][", 2) || cell[clen - 1] != ']')
			continue;
		return arena_printf(a, "%s.%.*s.%.*s", rows[i].json, (int)digits, idx,
				    (int)(clen - 3), cell + 2);
	}
	return key;
}

int
api_not_found(struct ctx *c, const char *message)
{
	return web_fail(c, 404, message ? message : "Not found.", NULL);
}

/* ------------------------------------------------------------------ lists */

static long
query_long(struct form *f, const char *name, long min, long max, long def)
{
	const char *s = http_query_get(f->c->req, name);
	long v = def;
	if (s && str_to_long(s, min, max, &v) != CORE_OK) {
		form_error(f, name,
			   arena_printf(f->c->a, "The %s must be a whole number from %ld to %ld.",
					name, min, max));
		v = def;
	}
	return v;
}

void
api_page_read(struct form *f, struct api_page *p)
{
	long def = f->c->app->per_page;
	p->page = query_long(f, "page", 1, 1000000, 1);
	p->per_page = query_long(f, "per_page", 1, 100, def >= 1 && def <= 100 ? def : 25);
	p->offset = (long long)(p->page - 1) * p->per_page;
}

struct json_object *
api_list(struct json_object *data, const struct api_page *p, long long total)
{
	struct json_object *o = json_object_new_object(), *meta = json_object_new_object();
	long long pages = total ? (total + p->per_page - 1) / p->per_page : 0;
	jset(o, "data", data);
	jset_int(meta, "total", total);
	jset_int(meta, "count", (long long)json_object_array_length(data));
	jset_int(meta, "per_page", p->per_page);
	jset_int(meta, "current_page", p->page);
	jset_int(meta, "total_pages", pages);
	jset(o, "meta", meta);
	return o;
}

const char *
api_query_choice(struct form *f, const char *name, const char *const *allowed, const char *def)
{
	const char *s = http_query_get(f->c->req, name);
	if (!s)
		return def;
	for (size_t i = 0; allowed[i]; i++)
		if (!strcmp(s, allowed[i]))
			return allowed[i];
	struct buf *b = buf_new_arena(f->c->a);
	for (size_t i = 0; b && allowed[i]; i++)
		buf_printf(b, "%s%s", i ? ", " : "", allowed[i]);
	form_error(f, name,
		   arena_printf(f->c->a, "The %s must be one of: %s.", name,
				b && !b->failed ? b->data : ""));
	return def;
}

const char *
api_time(struct arena *a, const char *dt)
{
	if (!dt || strlen(dt) != 19 || dt[10] != ' ')
		return dt;
	return arena_printf(a, "%.10sT%sZ", dt, dt + 11);
}
