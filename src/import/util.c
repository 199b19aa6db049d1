/* import: what the importers share: errors, arrays in the arena, URL and variable helpers,
 * the JSON/YAML loader (YAML through libyaml's event parser, aliases bounded), and the
 * proposed document as JSON. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "import_internal.h"

const char *const import_format_names[IMPORT_FORMAT__MAX] = {"curl", "openapi", "postman"};
const char *const import_auth_names[IMPORT_AUTH__MAX] = {
    "none", "basic", "bearer", "api_key", "oauth2_password", "oauth2_client_credentials"};

enum import_format
import_format_parse(const char *name)
{
	for (int i = 0; name && i < IMPORT_FORMAT__MAX; i++)
		if (!strcmp(name, import_format_names[i]))
			return (enum import_format)i;
	return IMPORT_FORMAT__MAX;
}

void
import_fail(struct import_error *err, enum import_err code, int line, int column, const char *place,
	    const char *fmt, ...)
{
	char what[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err->code = code;
	err->line = line;
	err->column = column;
	if (line > 0)
		snprintf(err->place, sizeof(err->place), "line %d, column %d", line, column);
	else
		snprintf(err->place, sizeof(err->place), "%s", place ? place : "");
	if (err->place[0])
		snprintf(err->message, sizeof(err->message), "%.280s (at %.100s)", what,
			 err->place);
	else
		snprintf(err->message, sizeof(err->message), "%s", what);
}

int
import_note(struct arena *a, struct import_doc *d, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->nnotes >= 200)
		return 0; /* enough to read; the rest would only repeat */
	const char **v = arena_alloc(a, (d->nnotes + 1) * sizeof(*v));
	if (!v)
		return IMPORT_ENOMEM;
	if (d->nnotes)
		memcpy(v, d->notes, d->nnotes * sizeof(*v));
	v[d->nnotes] = arena_strdup(a, line);
	d->notes = v;
	d->nnotes++;
	return 0;
}

void *
imp_push(struct arena *a, void **v, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char *nv = arena_alloc(a, ncap * sz);
		if (!nv)
			return NULL;
		if (*n)
			memcpy(nv, *v, *n * sz);
		*v = nv;
		*cap = ncap;
	}
	char *e = (char *)*v + (*n)++ * sz;
	memset(e, 0, sz);
	return e;
}

char *
imp_buf_text(struct arena *a, const struct buf *b)
{
	return arena_strndup(a, b->data ? b->data : "", b->len);
}

char *
imp_one_line(struct arena *a, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	char *o = arena_strndup(a, s, n);
	for (char *p = o; p && *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return o;
}

int
imp_row_add(struct arena *a, struct imp_rows *r, const char *key, const char *value,
	    const char *description, int required)
{
	void *v = r->v;
	struct import_row *row = imp_push(a, &v, &r->n, &r->cap, sizeof(*row));
	r->v = v;
	if (!row)
		return IMPORT_ENOMEM;
	row->key = arena_strdup(a, key ? key : "");
	row->value = arena_strdup(a, value ? value : "");
	row->description = description ? imp_one_line(a, description, 1000) : NULL;
	row->required = required;
	return 0;
}

struct import_endpoint *
imp_endpoint_add(struct arena *a, struct import_doc *d, size_t *cap)
{
	void *v = d->endpoints;
	struct import_endpoint *e = imp_push(a, &v, &d->nendpoints, cap, sizeof(*e));
	d->endpoints = v;
	if (e) {
		e->purpose = e->description = e->method = e->url = e->body = e->sample_data = "";
		e->where = "";
	}
	return e;
}

int
imp_var_add(struct arena *a, struct import_doc *d, size_t *cap, const char *name, const char *value)
{
	for (size_t i = 0; i < d->nvars; i++)
		if (!strcmp(d->vars[i].name, name))
			return 0;
	void *v = d->vars;
	struct import_var *x = imp_push(a, &v, &d->nvars, cap, sizeof(*x));
	d->vars = v;
	if (!x)
		return IMPORT_ENOMEM;
	x->name = arena_strdup(a, name);
	x->value = arena_strdup(a, value ? value : "");
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *
imp_pct_decode(struct arena *a, const char *s, size_t n, int plus)
{
	char *o = arena_alloc(a, n + 1);
	size_t j = 0;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			o[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (plus && s[i] == '+')
			o[j++] = ' ';
		else
			o[j++] = s[i];
	}
	o[j] = '\0';
	return o;
}

char *
imp_url_split_query(struct arena *a, const char *url, struct imp_rows *rows)
{
	size_t base = strcspn(url, "?#");
	if (url[base] == '?') {
		const char *q = url + base + 1;
		size_t qlen = strcspn(q, "#");
		size_t i = 0;
		while (i < qlen) {
			size_t plen = 0;
			while (i + plen < qlen && q[i + plen] != '&')
				plen++;
			if (plen) {
				const char *eq = memchr(q + i, '=', plen);
				size_t klen = eq ? (size_t)(eq - (q + i)) : plen;
				char *k = imp_pct_decode(a, q + i, klen, 1);
				char *v = eq ? imp_pct_decode(a, eq + 1, plen - klen - 1, 1)
					     : arena_strdup(a, "");
				if (!k || !v || imp_row_add(a, rows, k, v, NULL, 0))
					return NULL;
			}
			i += plen + 1;
		}
	}
	return arena_strndup(a, url, base);
}

void
imp_collect_vars(struct json_object *sample, const char *s)
{
	for (const char *p = s ? strstr(s, "{{") : NULL; p; p = strstr(p, "{{")) {
		p += 2;
		if (*p == '{')
			p++;
		while (*p == ' ')
			p++;
		if (*p == '#' || *p == '^' || *p == '/' || *p == '!' || *p == '>' || *p == '&')
			continue;
		const char *e = p;
		while (*e && (isalnum((unsigned char)*e) || *e == '_' || *e == '-' || *e == '.'))
			e++;
		if (e == p || e - p > 100)
			continue;
		char name[101];
		memcpy(name, p, (size_t)(e - p));
		name[e - p] = '\0';
		if (!json_object_object_get_ex(sample, name, NULL))
			json_object_object_add(sample, name, json_object_new_string(""));
		p = e;
	}
}

const char *
imp_sample_text(struct arena *a, struct json_object *sample)
{
	if (!sample || json_object_object_length(sample) == 0)
		return "";
	return arena_strdup(a, json_object_to_json_string_ext(
				   sample, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void
put_tree(void *p)
{
	json_object_put(p);
}

int
imp_own(struct arena *a, struct json_object *o)
{
	if (o && arena_defer(a, put_tree, o) != 0) {
		json_object_put(o);
		return IMPORT_ENOMEM;
	}
	return 0;
}

struct json_object *
imp_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

const char *
imp_str(struct json_object *o, const char *key)
{
	struct json_object *v = imp_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *
imp_scalar_text(struct arena *a, struct json_object *v)
{
	if (!v)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return arena_strdup(a, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	default:
		return NULL;
	}
}

int
imp_method_ok(const char *s)
{
	static const char *const m[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
	for (size_t i = 0; s && i < 5; i++)
		if (!strcasecmp(s, m[i]))
			return 1;
	return 0;
}

char *
imp_upper(struct arena *a, const char *s)
{
	char *o = arena_strdup(a, s ? s : "");
	for (char *p = o; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return o;
}

/* ------------------------------------------------------------------ JSON and YAML */

static void
offset_place(const char *src, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (src[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static int
load_json(struct arena *a, const char *src, size_t len, struct json_object **out,
	  struct import_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(200);
	if (!tok)
		return IMPORT_ENOMEM;
	struct json_object *o = json_tokener_parse_ex(tok, src, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	int line, col;
	if (!o || je != json_tokener_success) {
		if (o)
			json_object_put(o);
		offset_place(src, end > len ? len : end, &line, &col);
		import_fail(err, IMPORT_ESYNTAX, line, col, NULL,
			    "The document is not valid JSON: %s",
			    je == json_tokener_continue ? "it ends too early"
							: json_tokener_error_desc(je));
		return IMPORT_ESYNTAX;
	}
	while (end < len && isspace((unsigned char)src[end]))
		end++;
	if (end < len) {
		json_object_put(o);
		offset_place(src, end, &line, &col);
		import_fail(err, IMPORT_ESYNTAX, line, col, NULL,
			    "The document is not valid JSON: text after the end of the value");
		return IMPORT_ESYNTAX;
	}
	if (imp_own(a, o))
		return IMPORT_ENOMEM;
	*out = o;
	return 0;
}

struct yanchor {
	char *name;
	struct json_object *o;
	size_t nodes;
};

struct yload {
	yaml_parser_t p;
	struct import_error *err;
	size_t nodes, aliases;
	struct yanchor *anchors;
	size_t nanchors, cap;
	int failed;
};

static void
y_fail_mark(struct yload *y, yaml_mark_t m, enum import_err code, const char *what)
{
	if (!y->failed)
		import_fail(y->err, code, (int)m.line + 1, (int)m.column + 1, NULL, "%s", what);
	y->failed = 1;
}

static int
y_next(struct yload *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		char what[300];
		snprintf(what, sizeof(what), "The document is not valid YAML: %s%s%s",
			 y->p.problem ? y->p.problem : "syntax error", y->p.context ? " " : "",
			 y->p.context ? y->p.context : "");
		y_fail_mark(y, y->p.problem_mark, IMPORT_ESYNTAX, what);
		return -1;
	}
	return 0;
}

static int
plain_is(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

/* A plain scalar as YAML 1.2's core schema reads it. */
static struct json_object *
y_scalar(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    (tag && !strcmp(tag, YAML_STR_TAG)) || strlen(s) != n)
		return json_object_new_string_len(s, (int)n);
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	if (plain_is(s, nulls))
		return NULL;
	if (plain_is(s, trues))
		return json_object_new_boolean(1);
	if (plain_is(s, falses))
		return json_object_new_boolean(0);
	const char *p = s + (*s == '-' || *s == '+');
	if (*p && strspn(p, "0123456789") == strlen(p) && n < 19) {
		errno = 0;
		long long v = strtoll(s, NULL, 10);
		if (!errno)
			return json_object_new_int64(v);
	}
	size_t digits = strspn(p, "0123456789");
	if (*p && (digits || p[0] == '.')) {
		char *end;
		errno = 0;
		double d = strtod(s, &end);
		/* only plain decimal forms: "1.5", "2e3"; not "0x1p3", "inf" */
		if (!errno && *end == '\0' && strspn(s, "+-0123456789.eE") == n)
			return json_object_new_double(d);
	}
	return json_object_new_string_len(s, (int)n);
}

static int y_node(struct yload *y, yaml_event_t *ev, struct json_object **out, int depth);

/* Records an anchor with its own reference to the node: a later duplicate key can drop the
 * anchored node from the tree before an alias to it is read (a fuzzer's double free). */
static int
y_anchor(struct yload *y, const unsigned char *name, struct json_object *o, size_t nodes)
{
	if (!name)
		return 0;
	if (y->nanchors >= IMPORT_YAML_MAX_ALIASES) {
		y_fail_mark(y, y->p.mark, IMPORT_ETOOBIG,
			    "The YAML document has too many anchors (at most 1000 are read)");
		return -1;
	}
	if (y->nanchors == y->cap) {
		size_t ncap = y->cap ? y->cap * 2 : 16;
		struct yanchor *nv = realloc(y->anchors, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		y->anchors = nv;
		y->cap = ncap;
	}
	char *copy = strdup((const char *)name);
	if (!copy)
		return -1;
	y->anchors[y->nanchors].name = copy;
	y->anchors[y->nanchors].o = json_object_get(o);
	y->anchors[y->nanchors].nodes = nodes;
	y->nanchors++;
	return 0;
}

/* Reads the node that ev starts (ev is consumed); *out is a new reference (NULL for null). */
static int
y_node(struct yload *y, yaml_event_t *ev, struct json_object **out, int depth)
{
	*out = NULL;
	if (depth > 100) {
		y_fail_mark(y, ev->start_mark, IMPORT_ETOOBIG,
			    "The YAML document nests too deeply (at most 100 levels)");
		yaml_event_delete(ev);
		return -1;
	}
	size_t before = y->nodes;
	if (++y->nodes > IMPORT_YAML_MAX_NODES) {
		y_fail_mark(y, ev->start_mark, IMPORT_ETOOBIG,
			    "The YAML document is too large once its aliases are expanded");
		yaml_event_delete(ev);
		return -1;
	}
	int rc = 0;
	switch (ev->type) {
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		struct yanchor *an = NULL;
		for (size_t i = y->nanchors; i-- > 0;)
			if (!strcmp(y->anchors[i].name, name)) {
				an = &y->anchors[i];
				break;
			}
		if (!an) {
			y_fail_mark(y, ev->start_mark, IMPORT_ESYNTAX,
				    "The YAML document uses an alias with no anchor before it");
			rc = -1;
			break;
		}
		y->nodes += an->nodes;
		if (++y->aliases > IMPORT_YAML_MAX_ALIASES || y->nodes > IMPORT_YAML_MAX_NODES) {
			y_fail_mark(y, ev->start_mark, IMPORT_ETOOBIG,
				    "The YAML document is too large once its aliases are expanded "
				    "(a document of aliases of aliases is refused)");
			rc = -1;
			break;
		}
		*out = json_object_get(an->o);
		break;
	}
	case YAML_SCALAR_EVENT:
		*out = y_scalar(ev);
		rc = y_anchor(y, ev->data.scalar.anchor, *out, 1);
		break;
	case YAML_SEQUENCE_START_EVENT: {
		struct json_object *arr = json_object_new_array();
		unsigned char *anchor = ev->data.sequence_start.anchor;
		ev->data.sequence_start.anchor = NULL;
		for (;;) {
			yaml_event_t e;
			if (y_next(y, &e)) {
				rc = -1;
				break;
			}
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				break;
			}
			struct json_object *child;
			if (y_node(y, &e, &child, depth + 1)) {
				json_object_put(child);
				rc = -1;
				break;
			}
			json_object_array_add(arr, child);
		}
		if (!rc)
			rc = y_anchor(y, anchor, arr, y->nodes - before);
		free(anchor);
		*out = arr;
		break;
	}
	case YAML_MAPPING_START_EVENT: {
		struct json_object *obj = json_object_new_object();
		unsigned char *anchor = ev->data.mapping_start.anchor;
		ev->data.mapping_start.anchor = NULL;
		for (;;) {
			yaml_event_t k;
			if (y_next(y, &k)) {
				rc = -1;
				break;
			}
			if (k.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&k);
				break;
			}
			if (k.type != YAML_SCALAR_EVENT) {
				y_fail_mark(y, k.start_mark, IMPORT_EINVALID,
					    "The YAML document has a mapping key that is not a "
					    "plain value");
				yaml_event_delete(&k);
				rc = -1;
				break;
			}
			char *key =
			    strndup((const char *)k.data.scalar.value, k.data.scalar.length);
			yaml_event_delete(&k);
			yaml_event_t v;
			struct json_object *child = NULL;
			if (!key || y_next(y, &v) || y_node(y, &v, &child, depth + 1)) {
				json_object_put(child);
				free(key);
				rc = -1;
				break;
			}
			if (!strcmp(key, "<<") && json_object_is_type(child, json_type_object)) {
				json_object_object_foreach(child, mk, mv)
				{
					if (!json_object_object_get_ex(obj, mk, NULL))
						json_object_object_add(obj, mk,
								       json_object_get(mv));
				}
				json_object_put(child);
			} else
				json_object_object_add(obj, key, child);
			free(key);
		}
		if (!rc)
			rc = y_anchor(y, anchor, obj, y->nodes - before);
		free(anchor);
		*out = obj;
		break;
	}
	default:
		y_fail_mark(y, ev->start_mark, IMPORT_ESYNTAX, "The YAML document is not readable");
		rc = -1;
	}
	yaml_event_delete(ev);
	if (rc && !y->failed)
		import_fail(y->err, IMPORT_ENOMEM, 0, 0, NULL, "Out of memory reading YAML");
	return rc;
}

static int
load_yaml(struct arena *a, const char *src, size_t len, struct json_object **out,
	  struct import_error *err)
{
	struct yload y;
	memset(&y, 0, sizeof(y));
	y.err = err;
	if (!yaml_parser_initialize(&y.p))
		return IMPORT_ENOMEM;
	yaml_parser_set_input_string(&y.p, (const unsigned char *)src, len);
	struct json_object *root = NULL;
	int rc = 0, have = 0;
	for (;;) {
		yaml_event_t ev;
		if (y_next(&y, &ev)) {
			rc = -1;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (have) {
				y_fail_mark(&y, ev.start_mark, IMPORT_EINVALID,
					    "The YAML text holds more than one document");
				yaml_event_delete(&ev);
				rc = -1;
				break;
			}
			yaml_event_delete(&ev);
			continue;
		}
		have = 1;
		if (y_node(&y, &ev, &root, 0)) {
			rc = -1;
			break;
		}
	}
	yaml_parser_delete(&y.p);
	for (size_t i = 0; i < y.nanchors; i++) {
		free(y.anchors[i].name);
		json_object_put(y.anchors[i].o);
	}
	free(y.anchors);
	if (rc) {
		json_object_put(root);
		return err->code ? (int)err->code : IMPORT_ESYNTAX;
	}
	if (imp_own(a, root))
		return IMPORT_ENOMEM;
	*out = root;
	return 0;
}

int
import_load_tree(struct arena *a, const char *src, size_t len, struct json_object **out,
		 struct import_error *err)
{
	*out = NULL;
	if (len > IMPORT_MAX_BYTES) {
		import_fail(err, IMPORT_ETOOBIG, 0, 0, NULL,
			    "The document is too large (%zu bytes; at most %u are read)", len,
			    IMPORT_MAX_BYTES);
		return IMPORT_ETOOBIG;
	}
	size_t i = 0;
	while (i < len && isspace((unsigned char)src[i]))
		i++;
	if (i == len) {
		import_fail(err, IMPORT_EINVALID, 0, 0, NULL, "The document is empty");
		return IMPORT_EINVALID;
	}
	int rc = (src[i] == '{' || src[i] == '[') ? load_json(a, src, len, out, err)
						  : load_yaml(a, src, len, out, err);
	if (!rc && !*out) {
		import_fail(err, IMPORT_EINVALID, 0, 0, NULL, "The document is empty");
		return IMPORT_EINVALID;
	}
	return rc;
}

int
import_parse(struct arena *a, enum import_format fmt, const char *src, size_t len,
	     struct import_doc *out, struct import_error *err)
{
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	out->format = fmt;
	out->description = "";
	out->base_url = "";
	if (len > IMPORT_MAX_BYTES) {
		import_fail(err, IMPORT_ETOOBIG, 0, 0, NULL,
			    "The document is too large (%zu bytes; at most %u are read)", len,
			    IMPORT_MAX_BYTES);
		return IMPORT_ETOOBIG;
	}
	switch (fmt) {
	case IMPORT_CURL:
		return import_curl(a, src, len, out, err);
	case IMPORT_OPENAPI:
		return import_openapi(a, src, len, out, err);
	case IMPORT_POSTMAN:
		return import_postman(a, src, len, out, err);
	default:
		import_fail(err, IMPORT_EINVALID, 0, 0, "format",
			    "The format must be curl, openapi or postman");
		return IMPORT_EINVALID;
	}
}

/* ------------------------------------------------------------------ as JSON */

static struct json_object *
jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static struct json_object *
rows_json(const struct import_row *r, size_t n, int with_description)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "key", jstr(r[i].key));
		json_object_object_add(o, "value", jstr(r[i].value));
		if (with_description)
			json_object_object_add(o, "description", jstr(r[i].description));
		json_object_object_add(o, "required", json_object_new_boolean(r[i].required));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *
import_doc_json(const struct import_doc *d)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "format", jstr(import_format_names[d->format]));
	json_object_object_add(o, "title", d->title ? jstr(d->title) : NULL);
	json_object_object_add(o, "base_url", jstr(d->base_url));
	struct json_object *eps = json_object_new_array();
	for (size_t i = 0; i < d->nendpoints; i++) {
		const struct import_endpoint *e = &d->endpoints[i];
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "purpose", jstr(e->purpose));
		json_object_object_add(x, "description", jstr(e->description));
		json_object_object_add(x, "method", jstr(e->method));
		json_object_object_add(x, "url", jstr(e->url));
		json_object_object_add(x, "headers", rows_json(e->headers, e->nheaders, 1));
		json_object_object_add(x, "params", rows_json(e->params, e->nparams, 0));
		json_object_object_add(x, "body", jstr(e->body));
		json_object_object_add(x, "sample_data", jstr(e->sample_data));
		json_object_object_add(x, "source", jstr(e->where));
		json_object_array_add(eps, x);
	}
	json_object_object_add(o, "endpoints", eps);
	struct json_object *au = json_object_new_object();
	const struct import_authz *z = &d->auth;
	json_object_object_add(au, "auth_type", jstr(import_auth_names[z->type]));
	if (z->username)
		json_object_object_add(au, "username", jstr(z->username));
	if (z->token_url)
		json_object_object_add(au, "token_url", jstr(z->token_url));
	if (z->scope)
		json_object_object_add(au, "scope", jstr(z->scope));
	if (z->api_key_name)
		json_object_object_add(au, "api_key_name", jstr(z->api_key_name));
	if (z->api_key_in)
		json_object_object_add(au, "api_key_in", jstr(z->api_key_in));
	if (z->source)
		json_object_object_add(au, "source", jstr(z->source));
	if (z->note)
		json_object_object_add(au, "note", jstr(z->note));
	json_object_object_add(o, "authorization", au);
	struct json_object *vars = json_object_new_object();
	for (size_t i = 0; i < d->nvars; i++)
		json_object_object_add(vars, d->vars[i].name, jstr(d->vars[i].value));
	json_object_object_add(o, "variables", vars);
	struct json_object *notes = json_object_new_array();
	for (size_t i = 0; i < d->nnotes; i++)
		json_object_array_add(notes, jstr(d->notes[i]));
	json_object_object_add(o, "notes", notes);
	return o;
}
