/* Form validation and pagination helpers. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../tmpl/tmpl.h"
#include "../db/users.h"
#include "form.h"

void
form_init(struct form *f, struct ctx *c)
{
	f->c = c;
	f->in = c->req->form;
	f->values = json_object_new_object();
	f->errors = json_object_new_object();
	f->nerrors = 0;
	web_defer_json(c, f->values);
	web_defer_json(c, f->errors);
}

struct json_object *
form_select(const char *const *values, const char *const *labels, size_t n, const char *current)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_str(o, "value", values[i]);
		if (labels)
			jset_str(o, "label", labels[i]);
		jset_bool(o, "selected", current && !strcmp(current, values[i]));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct db_audit
web_audit(struct ctx *c, const char *action, const char *type, long long id, const char *details)
{
	return (struct db_audit){
	    c->user ? c->user->id : 0, c->user ? c->user->username : "", action, type, id, details,
	    c->req->remote_addr};
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
form_get(const struct form *f, const char *field)
{
	return http_kv_get(&f->in, field);
}

int
form_flag(const struct form *f, const char *field)
{
	const char *v = form_get(f, field);
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}

const char *
form_text(struct form *f, const char *field)
{
	const char *v = form_get(f, field);
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
web_fail_form(struct form *f, int rc, const char *not_found)
{
	struct ctx *c = f->c;
	struct web_error e = web_error_of(rc ? rc : f->nerrors ? 422 : 0);
	if (!rc && !f->nerrors)
		return 0;
	if (e.status == 404) {
		e.message = not_found ? not_found : "Not found.";
	} else if (e.status == 422 || e.status == 409) {
		struct json_object *form_msg = NULL;
		json_object_object_get_ex(f->errors, "form", &form_msg);
		e.message = e.status == 409 ? json_object_get_string(form_msg)
					    : "The given data was invalid.";
		e.fields = f->errors;
	} else {
		return rc; /* answered from the code alone */
	}
	c->err = e;
	return rc ? rc : 422;
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

int
form_no_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

int
form_id_in(const long long *ids, size_t n, long long id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

size_t
form_item_ids(struct ctx *c, const struct db_items *r, long long **out)
{
	*out = arena_alloc(c->a, (r->n + 1) * sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		(*out)[i] = r->v[i].id;
	return r->n;
}

size_t
form_ids(struct form *f, const char *field, const struct db_items *allowed, const char *message,
	 long long **out)
{
	const char **vals = NULL;
	size_t n = http_kv_get_all(f->c->a, &f->in, field, &vals);
	long long *ids = arena_alloc(f->c->a, (n + 1) * sizeof(*ids));
	long long *ok = NULL;
	size_t nok = form_item_ids(f->c, allowed, &ok), count = 0;
	*out = ids;
	if (!ids)
		return 0;
	for (size_t i = 0; i < n; i++) {
		long v;
		if (str_to_long(vals[i], 1, LONG_MAX, &v) != CORE_OK || !form_id_in(ok, nok, v)) {
			form_error(f, field, message);
			continue;
		}
		if (!form_id_in(ids, count, v))
			ids[count++] = v;
	}
	return count;
}

int
form_ids_same(const long long *a, size_t na, const long long *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!form_id_in(b, nb, a[i]))
			return 0;
	return 1;
}

struct json_object *
form_choices(const struct db_items *items, const long long *checked, size_t n)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < items->n; i++) {
		struct json_object *o = json_object_new_object();
		const struct db_item *it = &items->v[i];
		jset_int(o, "id", it->id);
		jset_str(o, "label", it->label);
		if (*it->alt)
			jset_str(o, "alt", it->alt);
		jset_bool(o, "checked", form_id_in(checked, n, it->id));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The permission of a group with that action label, PERM_NONE when there is none. */
static enum perm
perm_sibling(enum perm p, const char *action)
{
	for (int i = 0; i < PERM__MAX; i++)
		if (!strcmp(perm_table[i].group, perm_table[p].group) &&
		    !strcmp(perm_table[i].action, action))
			return (enum perm)i;
	return PERM_NONE;
}

perm_set
perm_implied(perm_set s)
{
	perm_set out = s;
	for (int p = 0; p < PERM__MAX; p++) {
		if (!(s & PERM_BIT(p)))
			continue;
		enum perm view = perm_sibling((enum perm)p, "View");
		enum perm edit = perm_sibling((enum perm)p, "Edit");
		if (view != PERM_NONE)
			out |= PERM_BIT(view);
		if (!strcmp(perm_table[p].action, "Create") && edit != PERM_NONE)
			out |= PERM_BIT(edit);
	}
	return out;
}

perm_set
form_permissions(struct form *f)
{
	const char **vals = NULL;
	size_t n = http_kv_get_all(f->c->a, &f->in, "permissions", &vals);
	perm_set s = 0;
	for (size_t i = 0; i < n; i++) {
		enum perm p = perm_by_name(vals[i]);
		if (p == PERM_NONE)
			form_error(f, "permissions", "Choose permissions from the list.");
		else
			s |= PERM_BIT(p);
	}
	return s;
}

perm_set
perm_grantable(const struct user *u)
{
	if (u->is_super_admin)
		return (perm_set)((1ull << PERM__MAX) - 1);
	return u->perms;
}

perm_set
perm_set_of_items(const struct db_items *r)
{
	perm_set s = 0;
	for (size_t i = 0; i < r->n; i++) {
		enum perm p = perm_by_name(r->v[i].label);
		if (p != PERM_NONE)
			s |= PERM_BIT(p);
	}
	return s;
}

size_t
perm_names(struct arena *a, perm_set s, const char ***out)
{
	size_t n = 0;
	*out = arena_alloc(a, (PERM__MAX + 1) * sizeof(**out));
	if (!*out)
		return 0;
	for (int p = 0; p < PERM__MAX; p++)
		if (s & PERM_BIT(p))
			(*out)[n++] = perm_table[p].name;
	return n;
}

/* "Data Connector Categories" -> "data-connector-categories" into out. */
static void
perm_slug(const char *label, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *s = label; *s && n + 1 < cap; s++) {
		char ch = *s;
		out[n++] = ch == ' ' ? '-' : (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	out[n] = '\0';
}

/* One checkbox of the editor. */
static struct json_object *
perm_box(int p, perm_set checked, perm_set editable)
{
	char slug[64];
	struct json_object *o = json_object_new_object();
	jset_str(o, "name", perm_table[p].name);
	jset_str(o, "action", perm_table[p].action);
	perm_slug(perm_table[p].action, slug, sizeof(slug));
	jset_str(o, "slug", slug);
	jset_bool(o, "checked", (checked & PERM_BIT(p)) != 0);
	jset_bool(o, "disabled", !(editable & PERM_BIT(p)));
	return o;
}

struct json_object *
perm_editor_json(perm_set checked, perm_set editable)
{
	struct json_object *groups = json_object_new_array(), *cur = NULL, *boxes = NULL;
	const char *label = NULL;
	for (int p = 0; p < PERM__MAX; p++) {
		if (!label || strcmp(label, perm_table[p].group) != 0) {
			char slug[64];
			label = perm_table[p].group;
			perm_slug(label, slug, sizeof(slug));
			cur = json_object_new_object();
			boxes = json_object_new_array();
			jset_str(cur, "label", label);
			jset_str(cur, "slug", slug);
			jset(cur, "perms", boxes);
			json_object_array_add(groups, cur);
		}
		json_object_array_add(boxes, perm_box(p, checked, editable));
	}
	return groups;
}

void
audit_fields_init(struct audit_fields *af, struct ctx *c)
{
	af->b = buf_new_arena(c->a);
}

void
audit_field(struct audit_fields *af, const char *name, int changed)
{
	if (!changed || !af->b)
		return;
	if (af->b->len)
		buf_puts(af->b, ", ");
	buf_puts(af->b, name);
}

const char *
audit_fields_text(const struct audit_fields *af)
{
	return af->b && af->b->len && !af->b->failed ? af->b->data : "";
}

const char *
form_query_param(struct ctx *c, const char *name, const char *value)
{
	if (!value || !*value)
		return "";
	struct buf *b = buf_new_arena(c->a);
	if (!b)
		return "";
	buf_puts(b, name);
	buf_putc(b, '=');
	tmpl_escape_append(b, TMPL_ESC_URL, value, strlen(value));
	return b->failed ? "" : b->data;
}

const char *
pager_base_query(struct ctx *c, const struct pager *p, const char *q)
{
	const char *qp = form_query_param(c, "q", q);
	return arena_printf(c->a, "%s%sper_page=%ld", qp, *qp ? "&" : "", p->per_page);
}

/* ------------------------------------------------------------------ field tables */

/* "The method must be GET, POST or PUT." */
static void
field_enum_error(struct form *f, const struct field *fd)
{
	struct buf *b = buf_new_arena(f->c->a);
	for (size_t k = 0; b && k < fd->nchoices; k++)
		buf_printf(b, "%s%s",
			   k == 0		   ? ""
			   : k + 1 == fd->nchoices ? " or "
						   : ", ",
			   fd->choices[k]);
	form_error(
	    f, fd->name,
	    arena_printf(f->c->a, "The %s must be %s.", fd->label, b && !b->failed ? b->data : ""));
}

/* A LONG field: blank or absent is its default. */
static void
field_decode_long(struct form *f, const struct field *fd, void *s)
{
	const char *v = form_text(f, fd->name);
	long x = strtol(fd->def ? fd->def : "0", NULL, 10);
	if (!v || !*v)
		jset_int(f->values, fd->name, x);
	else if (str_to_long(v, fd->min, fd->max, &x) != CORE_OK)
		form_error(f, fd->name,
			   arena_printf(f->c->a, "The %s must be a whole number from %ld to %ld.",
					fd->label, fd->min, fd->max));
	*FIELD_AT(s, fd, long) = x;
}

/* A TEXT or DECIMAL field: a default when absent, kept as typed (FIELD_RAW) or trimmed. */
static void
field_decode_text(struct form *f, const struct field *fd, void *s)
{
	size_t max = fd->max ? (size_t)fd->max : (size_t)-1;
	const char *v = form_get(f, fd->name);
	if (!v && fd->def && *fd->def) {
		jset_str(f->values, fd->name, fd->def);
		FIELD_TEXT_OF(s, fd) = fd->def;
		return;
	}
	if (fd->flags & FIELD_RAW) {
		jset_str(f->values, fd->name, v ? v : "");
		if (v && utf8_length(v) > max)
			form_error(f, fd->name,
				   arena_printf(f->c->a,
						"The %s may not be greater than %zu characters.",
						fd->label, max));
		FIELD_TEXT_OF(s, fd) = v ? v : "";
		return;
	}
	FIELD_TEXT_OF(s, fd) = fd->min > 0 ? form_required(f, fd->name, fd->label, max)
					   : form_optional(f, fd->name, fd->label, max);
	if ((fd->flags & FIELD_LINE) && !form_no_controls(FIELD_TEXT_OF(s, fd)))
		form_error(f, fd->name,
			   arena_printf(f->c->a,
					"The %s may not contain line breaks or control characters.",
					fd->label));
}

void
field_decode(struct form *f, const struct field *t, size_t n, void *s)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *fd = &t[i];
		const char *v;
		long x = 0;
		if (fd->kind == FIELD_TEXT || fd->kind == FIELD_DECIMAL) {
			field_decode_text(f, fd, s);
		} else if (fd->kind == FIELD_INT) {
			v = form_optional(f, fd->name, fd->label, 16);
			if (*v && str_to_long(v, fd->min, fd->max, &x) != CORE_OK)
				form_error(f, fd->name,
					   arena_printf(f->c->a,
							"The %s must be a whole number from %ld to "
							"%ld, or blank for the server's default.",
							fd->label, fd->min, fd->max));
			*FIELD_AT(s, fd, long long) = x;
		} else if (fd->kind == FIELD_LONG) {
			field_decode_long(f, fd, s);
		} else if (fd->kind == FIELD_BOOL) {
			*FIELD_AT(s, fd, int) = form_flag(f, fd->name);
			jset_bool(f->values, fd->name, *FIELD_AT(s, fd, int));
		} else if (fd->kind == FIELD_CHOICE || fd->kind == FIELD_ENUM) {
			v = form_text(f, fd->name);
			if (fd->kind == FIELD_ENUM && (!v || !*v))
				v = fd->def;
			size_t k = 0;
			while (v && k < fd->nchoices && strcmp(v, fd->choices[k]))
				k++;
			if (k == fd->nchoices && fd->kind == FIELD_ENUM)
				field_enum_error(f, fd);
			else if (k == fd->nchoices)
				form_error(f, fd->name,
					   arena_printf(f->c->a, "The selected %s is invalid.",
							fd->label));
			k = k < fd->nchoices ? k : 0;
			if (fd->kind == FIELD_ENUM)
				*FIELD_AT(s, fd, int) = (int)k;
			else
				FIELD_TEXT_OF(s, fd) = fd->choices[k];
		} else if (fd->kind == FIELD_SECRET && fd->max) {
			v = form_get(f, fd->name);
			FIELD_TEXT_OF(s, fd) = v = v ? v : "";
			if (*v && utf8_length(v) < (size_t)fd->min)
				form_error(f, fd->name,
					   arena_printf(f->c->a,
							"The %s must be at least %ld characters.",
							fd->label, fd->min));
			else if (strlen(v) > (size_t)fd->max)
				form_error(
				    f, fd->name,
				    arena_printf(f->c->a,
						 "The %s may not be greater than %ld characters.",
						 fd->label, fd->max));
		} else {
			continue;
		}
		if (fd->check)
			fd->check(f, fd, s);
	}
}

void
field_check_name(struct form *f, const struct field *fd, const void *s)
{
	const char *name = FIELD_TEXT_OF(s, fd);
	if (*name && !valid_name_chars(name))
		form_error(f, fd->name,
			   "The name may only contain letters, numbers, spaces and apostrophes.");
}

/* A stored DECIMAL ("2.500") as typed ("2.5"). */
static const char *
decimal_text(struct arena *a, const char *v)
{
	char *s = arena_strdup(a, v);
	if (s && strchr(s, '.')) {
		size_t n = strlen(s);
		while (n && s[n - 1] == '0')
			s[--n] = '\0';
		if (n && s[n - 1] == '.')
			s[--n] = '\0';
	}
	return s ? s : "";
}

const char *
field_text(struct arena *a, const struct field *fd, const void *s)
{
	long long x;
	const char *v;
	switch (fd->kind) {
	case FIELD_INT:
		x = *FIELD_AT(s, fd, const long long);
		return x ? arena_printf(a, "%lld", x) : "";
	case FIELD_BOOL:
		return *FIELD_AT(s, fd, const int) ? "1" : "";
	case FIELD_LONG:
		return arena_printf(a, "%ld", *FIELD_AT(s, fd, const long));
	case FIELD_ENUM:
		return fd->choices[*FIELD_AT(s, fd, const int)];
	case FIELD_SECRET:
		return "";
	case FIELD_DECIMAL:
		v = FIELD_TEXT_OF(s, fd);
		return v ? decimal_text(a, v) : "";
	default:
		v = FIELD_TEXT_OF(s, fd);
		return v ? v : "";
	}
}

void
field_values(struct form *f, const struct field *t, size_t n, const void *s)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind == FIELD_BOOL)
			jset_bool(f->values, t[i].name, *FIELD_AT(s, &t[i], const int));
		else if (t[i].kind != FIELD_SECRET)
			jset_str(f->values, t[i].name, field_text(f->c->a, &t[i], s));
	}
}

struct json_object *
words_json(const char *s)
{
	struct json_object *arr = json_object_new_array();
	for (const char *p = s ? s : ""; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		json_object_array_add(arr, json_object_new_string_len(p, (int)n));
		p += n;
	}
	return arr;
}

void
field_json(struct arena *a, struct json_object *o, const struct field *t, size_t n, const void *s,
	   int export)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *fd = &t[i];
		int text = fd->kind != FIELD_INT && fd->kind != FIELD_BOOL &&
			   fd->kind != FIELD_LONG && fd->kind != FIELD_ENUM;
		const char *v = text ? FIELD_TEXT_OF(s, fd) : NULL;
		long long x = fd->kind == FIELD_INT ? *FIELD_AT(s, fd, const long long) : 0;
		int none = fd->kind == FIELD_INT ? !x : fd->kind == FIELD_DECIMAL ? !v || !*v : 0;
		if (export && (!(fd->flags & FIELD_EXPORT) || none || fd->kind == FIELD_SECRET))
			continue;
		if (fd->kind == FIELD_SECRET)
			jset_bool(o, arena_printf(a, "%s_set", fd->name), v && *v);
		else if (fd->kind == FIELD_BOOL)
			jset_bool(o, fd->name, *FIELD_AT(s, fd, const int));
		else if (none)
			jset(o, fd->name, NULL);
		else if (fd->kind == FIELD_INT)
			jset_int(o, fd->name, x);
		else if (fd->kind == FIELD_LONG)
			jset_int(o, fd->name, *FIELD_AT(s, fd, const long));
		else if (fd->kind == FIELD_ENUM)
			jset_str(o, fd->name, fd->choices[*FIELD_AT(s, fd, const int)]);
		else if (fd->kind == FIELD_DECIMAL)
			jset(o, fd->name, json_object_new_double(strtod(v, NULL)));
		else if (fd->kind == FIELD_WORDS)
			jset(o, fd->name, words_json(v));
		else
			jset_str(o, fd->name, v ? v : "");
	}
}

static const char *
text_or_empty(const char *s)
{
	return s ? s : "";
}

void
field_changes(struct audit_fields *af, const struct field *t, size_t n, const void *old,
	      const void *new)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *fd = &t[i];
		int changed;
		if (fd->kind == FIELD_SECRET)
			continue;
		if (fd->kind == FIELD_INT)
			changed = *FIELD_AT(old, fd, const long long) !=
				  *FIELD_AT(new, fd, const long long);
		else if (fd->kind == FIELD_BOOL)
			changed = !*FIELD_AT(old, fd, const int) != !*FIELD_AT(new, fd, const int);
		else if (fd->kind == FIELD_ENUM)
			changed = *FIELD_AT(old, fd, const int) != *FIELD_AT(new, fd, const int);
		else if (fd->kind == FIELD_LONG)
			changed = *FIELD_AT(old, fd, const long) != *FIELD_AT(new, fd, const long);
		else if (fd->kind == FIELD_DECIMAL)
			changed = strtod(text_or_empty(FIELD_TEXT_OF(old, fd)), NULL) !=
				  strtod(text_or_empty(FIELD_TEXT_OF(new, fd)), NULL);
		else
			changed = strcmp(text_or_empty(FIELD_TEXT_OF(old, fd)),
					 text_or_empty(FIELD_TEXT_OF(new, fd))) != 0;
		audit_field(af, fd->name, changed);
	}
}

void
field_from_json(struct arena *a, const struct field *t, size_t n, struct json_object *obj, void *s)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *fd = &t[i];
		struct json_object *v = NULL;
		if (!json_object_object_get_ex(obj, fd->name, &v))
			continue;
		const char *text = v ? json_object_get_string(v) : "";
		size_t k = 0;
		switch (fd->kind) {
		case FIELD_INT:
			*FIELD_AT(s, fd, long long) = json_object_get_int64(v);
			break;
		case FIELD_LONG:
			*FIELD_AT(s, fd, long) = (long)json_object_get_int64(v);
			break;
		case FIELD_BOOL:
			*FIELD_AT(s, fd, int) = json_object_get_boolean(v);
			break;
		case FIELD_ENUM:
			while (k < fd->nchoices && strcmp(text, fd->choices[k]))
				k++;
			if (k < fd->nchoices)
				*FIELD_AT(s, fd, int) = (int)k;
			break;
		default:
			FIELD_TEXT_OF(s, fd) = arena_strdup(a, text);
		}
	}
}
