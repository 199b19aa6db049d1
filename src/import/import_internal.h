/* What the importers and exporters share inside src/import/ (not for other layers). */
#ifndef DCGATE_IMPORT_INTERNAL_H
#define DCGATE_IMPORT_INTERNAL_H

#include "import.h"

/* Growable arrays in the arena: *v holds *n elements of size sz with room for *cap. Returns
 * the new (zeroed) element or NULL when memory ran out. */
void *imp_push(struct arena *a, void **v, size_t *n, size_t *cap, size_t sz);

struct imp_rows {
	struct import_row *v;
	size_t n, cap;
};
int imp_row_add(struct arena *a, struct imp_rows *r, const char *key, const char *value,
		const char *description, int required);

struct imp_eps {
	size_t cap;
};
/* A new endpoint in d (fields "" / NULL), or NULL when memory ran out. */
struct import_endpoint *imp_endpoint_add(struct arena *a, struct import_doc *d, size_t *cap);
int imp_var_add(struct arena *a, struct import_doc *d, size_t *cap, const char *name,
		const char *value);

/* A buffer's text copied into the arena ("" when nothing was appended). */
char *imp_buf_text(struct arena *a, const struct buf *b);
/* s on one line (CR, LF and tabs as spaces), cut to at most max bytes on a UTF-8 boundary. */
char *imp_one_line(struct arena *a, const char *s, size_t max);
/* Percent-decoding of a URL component (+ as space when plus is set). */
char *imp_pct_decode(struct arena *a, const char *s, size_t n, int plus);
/* Splits url at '?' and appends each query pair to rows (decoded); returns the URL without
 * its query string and fragment. */
char *imp_url_split_query(struct arena *a, const char *url, struct imp_rows *rows);

/* Each {{name}} (or {{{name}}}) in s becomes a key of sample (value "" unless present). */
void imp_collect_vars(struct json_object *sample, const char *s);
/* The sample data object's text, "" when it has no key. */
const char *imp_sample_text(struct arena *a, struct json_object *sample);

/* A json-c tree released with the arena. */
int imp_own(struct arena *a, struct json_object *o);
/* Accessors that tolerate NULL and wrong types. */
struct json_object *imp_get(struct json_object *o, const char *key);
const char *imp_str(struct json_object *o, const char *key); /* NULL unless a string */
/* A scalar as text (strings as they are, numbers and booleans printed), NULL otherwise. */
const char *imp_scalar_text(struct arena *a, struct json_object *v);
/* 1 when s (case-insensitive) is one of the five methods dcgate sends. */
int imp_method_ok(const char *s);
char *imp_upper(struct arena *a, const char *s);

#endif
