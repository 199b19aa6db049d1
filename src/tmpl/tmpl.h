/* tmpl: mustache over json-c. Compile once at start, render many times.
 * Parser knows no JSON; the renderer walks json-c values with a fixed-depth context stack. */
#ifndef DCGATE_TMPL_H
#define DCGATE_TMPL_H

#include <stddef.h>

#include "../core/core.h"

struct json_object;

enum tmpl_err {
	TMPL_OK = 0,
	TMPL_ENOMEM = -1,
	TMPL_ESYNTAX = -2,   /* compile error: unclosed tag or section, bad delimiters */
	TMPL_ENOTFOUND = -3, /* named template not in the set */
	TMPL_EDEPTH = -4,    /* partial/section nesting past the fixed limit */
	TMPL_EHEADER = -5,   /* a value rendered in HEADER mode holds CR or LF */
	TMPL_EOUTPUT = -6,   /* the render would write more than tmpl_limits.max_output */
	TMPL_ESTEPS = -7,    /* the render took more than tmpl_limits.max_steps steps */
};

/* How {{x}} is escaped; {{{x}}} and {{&x}} are always raw. */
enum tmpl_escape {
	TMPL_ESC_HTML, /* & < > " ' */
	TMPL_ESC_NONE,
	TMPL_ESC_URL,	 /* percent-encode all but unreserved (RFC 3986); a value that is
			    exactly "." or ".." becomes %2E or %2E%2E, never a dot segment */
	TMPL_ESC_JSON,	 /* JSON string contents, without the quotes */
	TMPL_ESC_HEADER, /* raw, but CR/LF refused with TMPL_EHEADER */
	TMPL_ESC_FORM,	 /* application/x-www-form-urlencoded: space as +, the rest as URL */
	TMPL_ESC_XML,	 /* & < > " ' as entities; controls XML cannot hold become U+FFFD */
	TMPL_ESC__MAX
};

struct tmpl;
struct tmpl_set;

/* Compiles src; on error returns TMPL_ESYNTAX with a message in err. */
int tmpl_compile(const char *src, size_t len, struct tmpl **out, char *err, size_t errlen);
void tmpl_free(struct tmpl *t);

struct tmpl_set *tmpl_set_new(void);
void tmpl_set_free(struct tmpl_set *set);
/* Adds (or replaces) a compiled template under name. */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *src, size_t len, char *err,
		 size_t errlen);
/* Loads every *.mustache under dir; "dir/partials/nav.mustache" is named "partials/nav". */
int tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err, size_t errlen);
const struct tmpl *tmpl_set_get(const struct tmpl_set *set, const char *name);

/* Renders a named template of set; partials and parents are looked up in the same set. */
int tmpl_render(const struct tmpl_set *set, const char *name, struct json_object *ctx,
		enum tmpl_escape esc, struct buf *out);
/* Renders t; partials (may be NULL) resolves {{>name}} and {{<parent}}. */
int tmpl_render_tmpl(const struct tmpl *t, const struct tmpl_set *partials, struct json_object *ctx,
		     enum tmpl_escape esc, struct buf *out);

/* A budget for one render; 0 leaves that dimension unlimited. A step is one op executed or
 * one pass of a section body, so nested sections over lists (whose work multiplies) stop
 * at max_steps however little they write. */
struct tmpl_limits {
	size_t max_output;	 /* bytes this render may append to out */
	unsigned long max_steps; /* ops executed plus section iterations */
};

/* tmpl_render_tmpl within lim (NULL: unlimited). Past the budget it stops at once with
 * TMPL_EOUTPUT or TMPL_ESTEPS; out then holds at most max_output bytes of this render. */
int tmpl_render_limited(const struct tmpl *t, const struct tmpl_set *partials,
			struct json_object *ctx, enum tmpl_escape esc,
			const struct tmpl_limits *lim, struct buf *out);

/* Calls fn for every variable and section name the template refers to (e.g. "user.id"). */
void tmpl_each_name(const struct tmpl *t, void (*fn)(const char *name, void *data), void *data);

/* Escape helpers used by the renderer, exposed for handlers that build strings. */
int tmpl_escape_append(struct buf *out, enum tmpl_escape esc, const char *s, size_t len);

#endif
