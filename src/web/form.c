/* Form validation and pagination helpers. */
#include <string.h>

#include "form.h"

void
form_init(struct form *f, struct ctx *c)
{
	f->c = c;
	f->values = json_object_new_object();
	f->errors = json_object_new_object();
	f->nerrors = 0;
	web_defer_json(c, f->values);
	web_defer_json(c, f->errors);
}

void
form_error(struct form *f, const char *field, const char *message)
{
	if (json_object_object_get_ex(f->errors, field, NULL))
		return; /* the first problem of a field is the one shown */
	jset_str(f->errors, field, message);
	f->nerrors++;
}

const char *
form_text(struct form *f, const char *field)
{
	const char *v = http_form_get(f->c->req, field);
	if (!v)
		return NULL;
	char *t = str_trim(arena_strdup(f->c->a, v));
	jset_str(f->values, field, t);
	return t;
}

size_t
utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

const char *
form_required(struct form *f, const char *field, const char *label, size_t max)
{
	const char *v = form_text(f, field);
	if (!v || !*v) {
		form_error(f, field, arena_printf(f->c->a, "The %s field is required.", label));
		return v ? v : "";
	}
	if (utf8_length(v) > max)
		form_error(f, field,
			   arena_printf(f->c->a, "The %s may not be greater than %zu characters.",
					label, max));
	return v;
}

const char *
form_optional(struct form *f, const char *field, const char *label, size_t max)
{
	const char *v = form_text(f, field);
	if (!v)
		return "";
	if (utf8_length(v) > max)
		form_error(f, field,
			   arena_printf(f->c->a, "The %s may not be greater than %zu characters.",
					label, max));
	return v;
}

void
form_put(struct form *f, struct json_object *data)
{
	jset(data, "errors", json_object_get(f->errors));
	jset(data, "values", json_object_get(f->values));
	jset_bool(data, "has_errors", f->nerrors > 0);
}

int
form_json_error(struct form *f)
{
	struct json_object *errs = json_object_new_object();
	json_object_object_foreach(f->errors, key, val)
	{
		struct json_object *arr = json_object_new_array();
		json_object_array_add(arr, json_object_get(val));
		jset(errs, key, arr);
	}
	return web_json_error(f->c, 422, "The given data was invalid.", errs);
}

/* ASCII letters and digits, space, apostrophe (also U+2019), and letters of the Latin-1
 * Supplement and Latin Extended-A/B blocks (U+00C0..U+024F but not U+00D7/U+00F7). */
int
valid_name_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == ' ' || *p == '\'') {
			p++;
			continue;
		}
		unsigned cp;
		if ((p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
			cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
			p += 2;
		} else if ((p[0] & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 &&
			   (p[2] & 0xC0) == 0x80) {
			cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
			p += 3;
		} else {
			return 0;
		}
		if (cp == 0x2019)
			continue;
		if (cp < 0xC0 || cp > 0x24F || cp == 0xD7 || cp == 0xF7)
			return 0;
	}
	return 1;
}

void
pager_init(struct pager *p, struct ctx *c)
{
	long v;
	p->page = 1;
	p->per_page = c->app->per_page;
	p->total = 0;
	if (str_to_long(http_query_get(c->req, "page"), 1, 1000000, &v) == CORE_OK)
		p->page = v;
	if (str_to_long(http_query_get(c->req, "per_page"), 1, 100, &v) == CORE_OK)
		p->per_page = v;
	p->offset = (long long)(p->page - 1) * p->per_page;
}

struct json_object *
pager_json(const struct pager *p, const char *base_query)
{
	struct json_object *o = json_object_new_object();
	long long pages = p->total ? (p->total + p->per_page - 1) / p->per_page : 1;
	jset_int(o, "page", p->page);
	jset_int(o, "per_page", p->per_page);
	jset_int(o, "total", p->total);
	jset_int(o, "pages", pages);
	jset_int(o, "from", p->total ? p->offset + 1 : 0);
	long long to = p->offset + p->per_page;
	jset_int(o, "to", to > p->total ? p->total : to);
	jset_str(o, "query", base_query ? base_query : "");
	if (p->page > 1)
		jset_int(o, "prev", p->page - 1);
	if (p->page < pages)
		jset_int(o, "next", p->page + 1);
	struct json_object *sizes = json_object_new_array();
	static const int choices[] = {10, 25, 50, 100};
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		struct json_object *s = json_object_new_object();
		jset_int(s, "value", choices[i]);
		jset_bool(s, "selected", choices[i] == p->per_page);
		json_object_array_add(sizes, s);
	}
	jset(o, "sizes", sizes);
	return o;
}

int
form_checkbox(struct ctx *c, const char *field)
{
	const char *v = http_form_get(c->req, field);
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}
