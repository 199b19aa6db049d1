/* Form helpers shared by handlers: field errors beside inputs, kept input, validation
 * rules, pagination. */
#ifndef DCGATE_WEB_FORM_H
#define DCGATE_WEB_FORM_H

#include <stddef.h>

#include "web.h"

/* Field errors collected while validating; rendered as errors.<field> in templates and as
 * {"errors": {field: [msg]}} in the API. */
struct form {
	struct ctx *c;
	/* The input, decoded: the request's form fields (form_init), or the members of a JSON
	 * body under the same field names (api_form, an import). Validators read only this, so
	 * a form, the API and an import check and save alike; the request is never rewritten. */
	struct http_kvlist in;
	struct json_object *values; /* what the user typed, kept for re-rendering */
	struct json_object *errors; /* field -> message */
	int nerrors;
};

void form_init(struct form *f, struct ctx *c);
/* The audit row of a save by this request's user, for the store to write in the save's
 * transaction (id 0: the row the save creates). */
struct db_audit web_audit(struct ctx *c, const char *action, const char *type, long long id,
			  const char *details);
void form_error(struct form *f, const char *field, const char *message);
/* Raw value of an input field (not kept); NULL when absent. */
const char *form_get(const struct form *f, const char *field);
/* 1 when the input field is "1", "on" or "true". */
int form_flag(const struct form *f, const char *field);
/* Trimmed value of a form field, kept in values; NULL when absent. */
const char *form_text(struct form *f, const char *field);
/* Checks a required text field of at most max characters (UTF-8 code points). */
const char *form_required(struct form *f, const char *field, const char *label, size_t max);
/* Optional text of at most max characters; "" when absent. */
const char *form_optional(struct form *f, const char *field, const char *label, size_t max);
/* The options of a select: [{value, label (when labels), selected}] of n values. */
struct json_object *form_select(const char *const *values, const char *const *labels, size_t n,
				const char *current);
/* Adds "errors" and "values" into data (taking references) for a template. */
void form_put(struct form *f, struct json_object *data);

struct audit_fields;
struct connector;

/* ---- field tables: each field of a resource listed once, driving the form, the JSON API,
 * export and import, the audit log and the checks (a resource's typed struct holds the
 * values; off is where). ---- */
enum field_kind {
	FIELD_TEXT,    /* const char *: text of at most max characters, required when min > 0 */
	FIELD_INT,     /* long long from min to max; blank: 0, none (JSON null) */
	FIELD_DECIMAL, /* const char *: a number's text of at most max characters; "" none */
	FIELD_BOOL,    /* int: a checkbox; JSON true or false */
	FIELD_SECRET,  /* const char *: sealed, write-only; shown as <name>_set */
	FIELD_CHOICE,  /* const char *: one of choices (field_decode; authorization: its own) */
	FIELD_WORDS,   /* const char *: space-separated words; JSON an array of strings */
	FIELD_LONG,    /* long from min to max; blank: def */
	FIELD_ENUM,    /* int: the index of one of choices; blank: def */
};
#define FIELD_EXPORT	1u  /* in an export, and what an import reads */
#define FIELD_MULTILINE 2u  /* line breaks allowed */
#define FIELD_READONLY	4u  /* shown, never read from input */
#define FIELD_JSON	8u  /* the JSON API takes any JSON value as its text */
#define FIELD_RAW	16u /* TEXT kept as typed, not trimmed */
#define FIELD_LINE	32u /* TEXT on one line: no line breaks or control characters */

struct field {
	const char *name; /* the form field, the JSON member and the column it comes from */
	enum field_kind kind;
	long min, max;
	const char *label;	    /* what messages call it */
	const char *help;	    /* what the API description adds (NULL: the label) */
	const char *def;	    /* LONG, ENUM, TEXT: the value when left out (NULL, "": none) */
	const char *const *choices; /* FIELD_CHOICE: its values */
	size_t nchoices;
	size_t off; /* of its value in the resource's struct */
	/* The check of the decoded value (NULL: the kind's alone); errors go into f. */
	void (*check)(struct form *f, const struct field *fd, const void *s);
	unsigned flags;
	unsigned methods, needs; /* authorization: auth types (bits) using it, requiring it */
	int secret;		 /* FIELD_SECRET: its sealing context (enum connector_secret) */
};
/* A table entry from an X(name, kind, min, max, label, check) list over struct type. */
#define FIELD_ENTRY(type, n, k, lo, hi, lab, chk, fl)                                              \
	{.name = #n,                                                                               \
	 .kind = FIELD_##k,                                                                        \
	 .min = lo,                                                                                \
	 .max = hi,                                                                                \
	 .label = lab,                                                                             \
	 .off = offsetof(struct type, n),                                                          \
	 .check = chk,                                                                             \
	 .flags = fl},
#define FIELD_AT(s, fd, type) ((type *)(void *)((char *)(s) + (fd)->off))
#define FIELD_TEXT_OF(s, fd)  (*FIELD_AT(s, fd, const char *))

/* A check of names (connectors, categories): letters, digits, spaces and apostrophes. */
void field_check_name(struct form *f, const struct field *fd, const void *s);
/* Decodes the TEXT, INT, DECIMAL, CHOICE (absent: the first choice), LONG, ENUM, BOOL and
 * SECRET (when it has a max: as typed, never kept; "" or min to max bytes long) fields of t
 * from f's input into s with the kind's checks, then runs each field's check. */
void field_decode(struct form *f, const struct field *t, size_t n, void *s);
/* A value as a form shows it (INT 0 and NULL text as ""). */
const char *field_text(struct arena *a, const struct field *fd, const void *s);
/* The fields of s as form values (secrets never). */
void field_values(struct form *f, const struct field *t, size_t n, const void *s);
/* The fields of s as JSON members: INT and DECIMAL as numbers (null when none), a secret as
 * <name>_set, words as an array. export: only FIELD_EXPORT fields, a none left out. */
void field_json(struct arena *a, struct json_object *o, const struct field *t, size_t n,
		const void *s, int export);
/* "a b" -> ["a", "b"]. */
struct json_object *words_json(const char *s);
/* The members of obj (a snapshot) named in t into s, as they are (no checks); a member left
 * out keeps the value s has. */
void field_from_json(struct arena *a, const struct field *t, size_t n, struct json_object *obj,
		     void *s);
/* Names the fields whose value differs between old and new in the audit log (not secrets). */
void field_changes(struct audit_fields *af, const struct field *t, size_t n, const void *old,
		   const void *new);

/* The connector of a page's tabs (partials/connector_tabs): {id, name, url,
 * authorization_url, endpoints_url} (src/web/connectors.c). */
struct json_object *connector_tabs_json(struct ctx *c, long long id, const char *name);
/* Loads connector c->ids[0] into *row (NULL: not kept) and its tabs into *out; a db_err. */
int connector_tabs_load(struct ctx *c, struct connector *row, struct json_object **out);

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

/* Text without control characters (tab excepted): 1 when clean. */
int form_no_controls(const char *s);
struct db_items;
/* The repeated field as distinct ids, each one of the allowed ids; anything else gives
 * message as the field's error. Returns the count; *out in the arena. */
size_t form_ids(struct form *f, const char *field, const struct db_items *allowed,
		const char *message, long long **out);
/* The ids of items, e.g. of a user's groups. */
size_t form_item_ids(struct ctx *c, const struct db_items *r, long long **out);
/* 1 when id is one of ids[0..n). */
int form_id_in(const long long *ids, size_t n, long long id);
/* 1 when both id lists hold the same ids (each list without duplicates). */
int form_ids_same(const long long *a, size_t na, const long long *b, size_t nb);
/* A checkbox list for templates: [{id, label, alt (when any), checked}] of items. */
struct json_object *form_choices(const struct db_items *items, const long long *checked, size_t n);

/* ---- the permission editor (users and groups) ---- */
/* Adds what the editor implies: View of any group with another box ticked, Edit with Create. */
perm_set perm_implied(perm_set s);
/* The repeated "permissions" field as a set; an unknown name is a field error. */
perm_set form_permissions(struct form *f);
/* What u may grant or take away in the editor: everything for a Super Admin, else their own
 * permissions (boxes outside keep their stored state). */
perm_set perm_grantable(const struct user *u);
/* Permission names (the items' labels) as a set. */
perm_set perm_set_of_items(const struct db_items *r);
/* The names in a set, in perms.def order; returns the count, *out in the arena. */
size_t perm_names(struct arena *a, perm_set s, const char ***out);
/* Template data for partials/permissions: [{label, slug, perms: [{name, action, slug,
 * checked, disabled}]}]; boxes outside editable are disabled. */
struct json_object *perm_editor_json(perm_set checked, perm_set editable);
/* "a, b, c" of the changed field names for the audit log ("" when none). */
struct audit_fields {
	struct buf *b; /* in the request arena */
};
void audit_fields_init(struct audit_fields *af, struct ctx *c);
void audit_field(struct audit_fields *af, const char *name, int changed);
const char *audit_fields_text(const struct audit_fields *af);
/* Query part "name=value" for links, URL-encoded ("" when value is empty). */
const char *form_query_param(struct ctx *c, const char *name, const char *value);
/* The query pager links keep: "q=...&per_page=N" (q left out when empty). */
const char *pager_base_query(struct ctx *c, const struct pager *p, const char *q);

#endif
