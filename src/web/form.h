/* Form helpers shared by handlers: field errors beside inputs, kept input, validation
 * rules, pagination. */
#ifndef DCGATE_WEB_FORM_H
#define DCGATE_WEB_FORM_H

#include "web.h"

/* Field errors collected while validating; rendered as errors.<field> in templates and as
 * {"errors": {field: [msg]}} in the API. */
struct form {
	struct ctx *c;
	struct json_object *values; /* what the user typed, kept for re-rendering */
	struct json_object *errors; /* field -> message */
	int nerrors;
};

void form_init(struct form *f, struct ctx *c);
void form_error(struct form *f, const char *field, const char *message);
/* Trimmed value of a form field, kept in values; NULL when absent. */
const char *form_text(struct form *f, const char *field);
/* Checks a required text field of at most max characters (UTF-8 code points). */
const char *form_required(struct form *f, const char *field, const char *label, size_t max);
/* Optional text of at most max characters; "" when absent. */
const char *form_optional(struct form *f, const char *field, const char *label, size_t max);
/* Adds "errors" and "values" into data (taking references) for a template. */
void form_put(struct form *f, struct json_object *data);
/* The API answer for a failed form: 422 with {"message","errors":{f:[m]}}. */
int form_json_error(struct form *f);

/* Names of connectors and categories: letters, digits, spaces and apostrophes. */
int valid_name_chars(const char *s);
size_t utf8_length(const char *s);

/* Pagination from ?page=&per_page= with bounds; fills a "pager" object for templates. */
struct pager {
	long page;
	long per_page;
	long long total;
	long long offset;
};
void pager_init(struct pager *p, struct ctx *c);
struct json_object *pager_json(const struct pager *p, const char *base_query);

/* 1 for "1"/"on"/"true", else 0. */
int form_checkbox(struct ctx *c, const char *field);

#endif
