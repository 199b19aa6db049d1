/* Rendering an endpoint's URL, header values and body as mustache templates over data,
 * with the escaping of each context and checks for required variables. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

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

/* The render budget; written once by outbound_config_load before the workers start. */
static struct {
	size_t body, line;
	unsigned long steps;
} budget = {1048576, 8192, 1000000};

void
outbound_render_budget(size_t max_body, size_t max_line, unsigned long max_steps)
{
	budget.body = max_body;
	budget.line = max_line;
	budget.steps = max_steps;
}

static const char *
line_budget_msg(struct arena *a)
{
	return arena_printf(a,
			    OUTBOUND_MSG_BUDGET ": more than %zu bytes for a URL or header value "
						"(outbound.max_render_line).",
			    budget.line);
}

const char *
outbound_line_budget(struct arena *a, size_t len)
{
	return len > budget.line ? line_budget_msg(a) : NULL;
}

/* The message for a failed render, in plain words. */
static const char *
render_errmsg(struct arena *a, int rc, int line)
{
	if (rc == TMPL_EHEADER)
		return MSG_LINE_BREAK;
	if (rc == TMPL_EDEPTH)
		return "The template nests sections too deeply.";
	if (rc == TMPL_EOUTPUT && line)
		return line_budget_msg(a);
	if (rc == TMPL_EOUTPUT)
		return arena_printf(a,
				    OUTBOUND_MSG_BUDGET ": more than %zu bytes for a body "
							"(outbound.max_render_body).",
				    budget.body);
	if (rc == TMPL_ESTEPS)
		return arena_printf(a,
				    OUTBOUND_MSG_BUDGET
				    ": more than %lu rendering steps "
				    "(outbound.max_render_steps); nested sections "
				    "over long lists multiply.",
				    budget.steps);
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
	int line = (esc & OUTBOUND_RENDER_LINE) || (esc & 0xff) == TMPL_ESC_URL ||
		   (esc & 0xff) == TMPL_ESC_HEADER;
	struct tmpl_limits lim = {line ? budget.line : budget.body, budget.steps};
	int rc = tmpl_render_limited(t, NULL, data, (enum tmpl_escape)(esc & 0xff), &lim, b);
	tmpl_free(t);
	if (rc != TMPL_OK) {
		*errmsg = render_errmsg(a, rc, line);
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
	if (esc < 0 || (esc & ~(OUTBOUND_RENDER_LINE | 0xff)) || (esc & 0xff) >= TMPL_ESC__MAX) {
		if (errmsg)
			*errmsg = "Unknown escaping mode.";
		return OUT_ETEMPLATE;
	}
	if (!data)
		data = empty = json_object_new_object();
	buf_init(&b);
	int rc = render_into(a, text ? text : "", data, esc, required, &b, &msg);
	json_object_put(empty);
	if (rc == OUT_OK && (esc & 0xff) == TMPL_ESC_HEADER && !header_value_safe(&b)) {
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

/* Whether the media type t (n bytes, lower or upper case) ends with suffix. */
static int
type_ends(const char *t, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && strncasecmp(t + n - k, suffix, k) == 0;
}

int
outbound_body_escape(const char *content_type, const char *body, const char **add_type)
{
	*add_type = NULL;
	if (!content_type) {
		const char *p = body ? body + strspn(body, " \t\r\n") : "";
		int json = *p == '{' || *p == '[';
		*add_type = json ? "application/json" : "application/x-www-form-urlencoded";
		return json ? TMPL_ESC_JSON : TMPL_ESC_FORM;
	}
	const char *t = content_type + strspn(content_type, " \t");
	size_t n = strcspn(t, ";");
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	const char *slash = memchr(t, '/', n);
	if (n == 33 && strncasecmp(t, "application/x-www-form-urlencoded", n) == 0)
		return TMPL_ESC_FORM;
	for (const char *p = slash; p && p + 4 <= t + n; p++)
		if (strncasecmp(p, "json", 4) == 0)
			return TMPL_ESC_JSON;
	if ((n == 15 && strncasecmp(t, "application/xml", n) == 0) ||
	    (n == 8 && strncasecmp(t, "text/xml", n) == 0) || type_ends(t, n, "+xml"))
		return TMPL_ESC_XML;
	return TMPL_ESC_NONE;
}

int
outbound_render(struct arena *a, const char *text, struct json_object *data, int esc, char **out,
		const char **errmsg)
{
	return outbound_render_ex(a, text, data, esc, 0, out, errmsg);
}
