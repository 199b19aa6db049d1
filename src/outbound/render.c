/* Rendering an endpoint's URL, header values and body as mustache templates over data,
 * with the escaping of each context and checks for required variables. */
#include <json-c/json.h>
#include <string.h>

#include "../tmpl/tmpl.h"
#include "outbound.h"

/* Looks up a dotted name ("user.id") from the top of data; NULL when any part is absent. */
static struct json_object *
lookup_dotted(struct json_object *data, const char *name)
{
	struct json_object *cur = data;
	const char *p = name;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];
		if (n == 0 || n >= sizeof(key) || !json_object_is_type(cur, json_type_object))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(cur, key, &cur))
			return NULL;
		p = dot ? dot + 1 : p + n;
	}
	return cur;
}

/* Missing for a required row: absent, null, "" or an empty array. */
static int
value_is_missing(struct json_object *v)
{
	if (!v || json_object_is_type(v, json_type_null))
		return 1;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string_len(v) == 0;
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 0;
	return 0;
}

struct missing_ctx {
	struct json_object *data;
	const char *first;
};

static void
missing_cb(const char *name, void *p)
{
	struct missing_ctx *m = p;
	if (m->first || !name || strcmp(name, ".") == 0)
		return;
	if (value_is_missing(lookup_dotted(m->data, name)))
		m->first = name;
}

int
outbound_missing_var(const struct tmpl *t, struct json_object *data, const char **name)
{
	struct missing_ctx m = {.data = data, .first = NULL};
	tmpl_each_name(t, missing_cb, &m);
	if (name)
		*name = m.first;
	return m.first != NULL;
}

#define MSG_LINE_BREAK "A header value may not contain a line break (CR or LF)."

/* The message for a failed render, in plain words. */
static const char *
render_errmsg(int rc)
{
	if (rc == TMPL_EHEADER)
		return MSG_LINE_BREAK;
	if (rc == TMPL_EDEPTH)
		return "The template nests sections too deeply.";
	return "The template could not be rendered.";
}

/* Raw {{{x}}} and literal text are not escaped, but a header value never holds a line
 * break or NUL (header injection), whatever produced it. */
static int
header_value_safe(const struct buf *b)
{
	return !b->len || (!memchr(b->data, '\r', b->len) && !memchr(b->data, '\n', b->len) &&
			   !memchr(b->data, '\0', b->len));
}

/* Compiles, checks required names, renders into b; OUT_OK or OUT_ETEMPLATE. */
static int
render_into(struct arena *a, const char *text, struct json_object *data, int esc, int required,
	    struct buf *b, const char **errmsg)
{
	char err[256] = "";
	struct tmpl *t = NULL;
	const char *missing = NULL;
	if (tmpl_compile(text, strlen(text), &t, err, sizeof(err)) != TMPL_OK) {
		*errmsg = arena_printf(a, "The template is not valid: %s", err);
		return OUT_ETEMPLATE;
	}
	if (required && outbound_missing_var(t, data, &missing)) {
		*errmsg =
		    arena_printf(a, "The required value \"%s\" is missing or empty.", missing);
		tmpl_free(t);
		return OUT_ETEMPLATE;
	}
	int rc = tmpl_render_tmpl(t, NULL, data, (enum tmpl_escape)esc, b);
	tmpl_free(t);
	if (rc != TMPL_OK) {
		*errmsg = render_errmsg(rc);
		return OUT_ETEMPLATE;
	}
	return OUT_OK;
}

int
outbound_render_ex(struct arena *a, const char *text, struct json_object *data, int esc,
		   int required, char **out, const char **errmsg)
{
	const char *msg = NULL;
	struct json_object *empty = NULL;
	struct buf b;
	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (esc < 0 || esc >= TMPL_ESC__MAX) {
		if (errmsg)
			*errmsg = "Unknown escaping mode.";
		return OUT_ETEMPLATE;
	}
	if (!data)
		data = empty = json_object_new_object();
	buf_init(&b);
	int rc = render_into(a, text ? text : "", data, esc, required, &b, &msg);
	json_object_put(empty);
	if (rc == OUT_OK && esc == TMPL_ESC_HEADER && !header_value_safe(&b)) {
		rc = OUT_ETEMPLATE;
		msg = MSG_LINE_BREAK;
	}
	if (rc == OUT_OK && (b.failed || !(*out = arena_strndup(a, b.data ? b.data : "", b.len)))) {
		rc = OUT_EOTHER;
		msg = "Out of memory while rendering.";
	}
	buf_free(&b);
	if (errmsg)
		*errmsg = msg;
	return rc;
}

int
outbound_render(struct arena *a, const char *text, struct json_object *data, int esc, char **out,
		const char **errmsg)
{
	return outbound_render_ex(a, text, data, esc, 0, out, errmsg);
}
