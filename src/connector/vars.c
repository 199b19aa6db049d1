/* Template variables a run's data lacks (issue 20, item 4): a {{var}} in the URL's path with
 * no value stops the request (connector/run.c), one anywhere else is a warning on the Test
 * screen (src/web/log_detail.c). Only plain tags outside sections are checked; names under
 * "secrets." are the connector's sealed variables, filled by the run itself, and so are those
 * under "env." (an environment's variables) when the data has no "env" yet. */
#include <json-c/json.h>
#include <string.h>

#include "connector.h"

/* The value of a dotted name in data; NULL when absent. */
static struct json_object *
vars_lookup(struct json_object *data, const char *name, size_t len)
{
	struct json_object *cur = data;
	const char *p = name, *end = name + len;
	char seg[256];
	while (cur && p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t n = (size_t)((dot ? dot : end) - p);
		if (n == 0 || n >= sizeof(seg) || !json_object_is_type(cur, json_type_object))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		struct json_object *next = NULL;
		if (!json_object_object_get_ex(cur, seg, &next))
			return NULL;
		cur = next;
		p = dot ? dot + 1 : end;
	}
	return cur;
}

/* 1 when the value renders as nothing: absent, null or "". */
static int
vars_empty(struct json_object *v)
{
	return !v ||
	       (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0);
}

/* Calls back for each missing name between from and to (offsets into tmpl); returns how
 * many there were. */
typedef void (*vars_cb)(void *arg, const char *name, size_t len);

static size_t
vars_scan(const char *tmpl, size_t from, size_t to, struct json_object *data, vars_cb cb, void *arg)
{
	size_t found = 0;
	int depth = 0;
	const char *p = tmpl, *stop = tmpl + strlen(tmpl);
	while ((p = strstr(p, "{{")) != NULL && p < stop) {
		int triple = p[2] == '{';
		const char *open = p + (triple ? 3 : 2);
		const char *close = strstr(open, triple ? "}}}" : "}}");
		if (!close)
			break;
		size_t at = (size_t)(p - tmpl);
		const char *s = open, *e = close;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		p = close + (triple ? 3 : 2);
		if (s == e)
			continue;
		if (*s == '#' || *s == '^') {
			depth++;
			continue;
		}
		if (*s == '/') {
			depth -= depth > 0;
			continue;
		}
		if (strchr("!>=<$", *s))
			continue;
		if (*s == '&') {
			s++;
			while (s < e && *s == ' ')
				s++;
		}
		size_t len = (size_t)(e - s);
		if (depth > 0 || at < from || at >= to || len == 0 || (len == 1 && *s == '.') ||
		    (len > 8 && !strncmp(s, "secrets.", 8)) ||
		    (len > 4 && !strncmp(s, "env.", 4) && !vars_lookup(data, "env", 3)))
			continue;
		if (vars_empty(vars_lookup(data, s, len))) {
			found++;
			if (cb)
				cb(arg, s, len);
		}
	}
	return found;
}

/* Offsets of the URL template's path: after "scheme://host", up to '?' or '#'. */
static void
vars_path_span(const char *url, size_t *from, size_t *to)
{
	const char *s = strstr(url, "://");
	const char *p = s ? strchr(s + 3, '/') : NULL;
	size_t n = strlen(url);
	*from = *to = n;
	if (!p)
		return;
	*from = (size_t)(p - url);
	const char *q = p;
	while (*q && *q != '?' && *q != '#') {
		if (q[0] == '{' && q[1] == '{') { /* a '?' inside a tag is not the query */
			const char *c = strstr(q, "}}");
			if (!c)
				break;
			q = c + 2;
			continue;
		}
		q++;
	}
	*to = (size_t)(q - url);
}

struct vars_first {
	struct arena *a;
	const char *name;
};

static void
vars_keep_first(void *arg, const char *name, size_t len)
{
	struct vars_first *f = arg;
	if (!f->name)
		f->name = arena_printf(f->a, "%.*s", (int)len, name);
}

const char *
connector_path_var_missing(struct arena *a, const char *url, struct json_object *data)
{
	size_t from, to;
	struct vars_first f = {a, NULL};
	if (!url)
		return NULL;
	vars_path_span(url, &from, &to);
	vars_scan(url, from, to, data, vars_keep_first, &f);
	return f.name;
}

struct vars_list {
	struct arena *a;
	const char *where;
	struct buf *out;
};

static void
vars_add(void *arg, const char *name, size_t len)
{
	struct vars_list *l = arg;
	buf_printf(l->out, "%s{{%.*s}} in %s", l->out->len ? "\n" : "", (int)len, name, l->where);
}

size_t
connector_vars_missing(struct arena *a, const char *tmpl, const char *where, int skip_path,
		       struct json_object *data, struct buf *out)
{
	size_t from = 0, to = tmpl ? strlen(tmpl) : 0, n = 0;
	struct vars_list l = {a, where, out};
	if (!tmpl)
		return 0;
	if (skip_path) {
		size_t pf, pt;
		vars_path_span(tmpl, &pf, &pt);
		n += vars_scan(tmpl, 0, pf, data, vars_add, &l);
		from = pt;
	}
	return n + vars_scan(tmpl, from, to, data, vars_add, &l);
}
