/* The scalar fields of an endpoint, each listed once:
 * X(name, member, kind, min, max, def, label, check, flags, names, nnames).
 * name is the column, the form field and the JSON API (and export, snapshot) member; member
 * is where its value is in struct endpoint_input; kind says how it is typed and stored:
 *   TEXT  const char *: text of at most max characters (0: no limit), required when min > 0;
 *   LONG  long: a whole number from min to max (blank: def);
 *   BOOL  int: a checkbox (true or false);
 *   ENUM  an enum: the index of one of names[nnames], stored as its name (blank: def).
 * def is the value (as text) of a new endpoint and of a field left out; label is what
 * messages call it; check is its validator (src/web/endpoints.c), NULL for none beyond the
 * kind's; flags are the web field table's (src/web/form.h). A new field is one line in the
 * list and its member in struct endpoint_input (or endpoint_runtime), both in this file.
 * The list drives the fields' statements and binding and the typed rows
 * (src/db/endpoints.c), the version snapshot (src/db/versions.c), and the field table
 * behind the form, the JSON API, export and import, the audit log, the OpenAPI schemas and
 * the history's diff (src/web/endpoints.c). The rows (headers, query parameters, response
 * map, body fields) are not here: each kind has its row decoder. */
#ifndef DCGATE_DB_ENDPOINT_FIELDS_H
#define DCGATE_DB_ENDPOINT_FIELDS_H

#include "db.h"

/* The methods an endpoint may send: core/names.h's first METHOD_SENDABLE. */
enum endpoint_method {
	EP_GET = METHOD_GET,
	EP_POST = METHOD_POST,
	EP_PUT = METHOD_PUT,
	EP_PATCH = METHOD_PATCH,
	EP_DELETE = METHOD_DELETE,
	EP_METHOD__MAX = METHOD_SENDABLE
};
#define endpoint_method_names method_names /* "GET", ... */
/* Method by its name; EP_METHOD__MAX when unknown. */
enum endpoint_method endpoint_method_parse(const char *s);

/* One header or query parameter row (params have no description). */
struct endpoint_row {
	const char *key;
	const char *value;
	const char *description;
	int required;
};

/* How execute walks the pages of an answer (the endpoint's pagination). */
enum endpoint_paging {
	PAGING_NONE,
	PAGING_PAGE,
	PAGING_OFFSET,
	PAGING_CURSOR,
	PAGING_LINK,
	PAGING__MAX
};
extern const char *const endpoint_paging_names[PAGING__MAX]; /* "none", "page", ... */
/* What the request body is: the raw template, a JSON template, or form-urlencoded or
 * multipart rows. */
enum endpoint_body_type { BODY_RAW, BODY_JSON, BODY_FORM, BODY_MULTIPART, BODY__MAX };
extern const char *const endpoint_body_type_names[BODY__MAX]; /* "raw", "json", ... */
/* The index of s in names (n of them); -1 when it is none. */
int endpoint_enum_parse(const char *const *names, int n, const char *s);

/* The runtime options of an endpoint (sql/017): response mapping, error statuses, retries,
 * pagination and the body type with its rows. */
struct endpoint_runtime {
	const char *response_root;	 /* RFC 6901 JSON Pointer; "" the whole answer */
	const struct endpoint_row *maps; /* key: the name, value: its JSON Pointer */
	size_t nmaps;
	const char *error_statuses; /* "400-599": statuses execute answers 502 for */
	long retries;		    /* 0-5 */
	long retry_backoff_ms;	    /* the first wait, doubled each time, with jitter */
	int retry_unsafe;	    /* POST and PATCH are retried too */
	enum endpoint_paging pagination;
	const char *page_param; /* page: the page number's parameter */
	const char *size_param; /* page: the page size's parameter ("" none) */
	long first_page;
	long page_size; /* page, offset: the size sent (0: none sent) */
	const char *offset_param;
	const char *limit_param;    /* offset: the limit's parameter ("" none) */
	const char *cursor_pointer; /* cursor: where the next cursor is in the answer */
	const char *cursor_param;
	long max_pages; /* 1-1000 */
	enum endpoint_body_type body_type;
	const struct endpoint_row *fields; /* form and multipart body rows (key, value) */
	size_t nfields;
};

/* An endpoint: its scalar fields are listed in src/db/endpoint_fields.h. */
struct endpoint_input {
	const char *purpose;
	const char *description;
	enum endpoint_method method;
	const char *url;
	long timeout;
	const char *body;
	const char *sample_data;
	const struct endpoint_row *headers;
	size_t nheaders;
	const struct endpoint_row *params;
	size_t nparams;
	struct endpoint_runtime rt;
	long keep_bodies_days; /* its calls' bodies are kept this long (0-30; 0: not) */
};
/* The field table stores enums as int. */
_Static_assert(sizeof(enum endpoint_method) == sizeof(int) &&
		   sizeof(enum endpoint_paging) == sizeof(int) &&
		   sizeof(enum endpoint_body_type) == sizeof(int),
	       "enum fields are int-sized");
/* What a new endpoint has: every field's default, no rows. */
void endpoint_defaults(struct endpoint_input *out);

#define ENDPOINT_FIELDS(X)                                                                         \
	X(purpose, purpose, TEXT, 1, 255, "", "purpose", NULL, FIELD_LINE, NULL, 0)                \
	X(description, description, TEXT, 0, 10000, "", "description", NULL, 0, NULL, 0)           \
	X(method, method, ENUM, 0, 0, "GET", "method", NULL, 0, endpoint_method_names,             \
	  EP_METHOD__MAX)                                                                          \
	X(sample_data, sample_data, TEXT, 0, 0, "", "sample data", ep_check_sample, FIELD_JSON,    \
	  NULL, 0)                                                                                 \
	X(url, url, TEXT, 1, 4096, "", "URL", ep_check_url, 0, NULL, 0)                            \
	X(timeout, timeout, LONG, 1, 300, "0", "timeout", NULL, 0, NULL, 0)                        \
	X(body, body, TEXT, 0, 0, "", "request body", ep_check_body, FIELD_RAW, NULL, 0)           \
	X(response_root, rt.response_root, TEXT, 0, 1024, "", "response root", ep_check_pointer,   \
	  FIELD_LINE, NULL, 0)                                                                     \
	X(error_statuses, rt.error_statuses, TEXT, 0, 255, "400-599", "list of error statuses",    \
	  ep_check_statuses, FIELD_LINE, NULL, 0)                                                  \
	X(retries, rt.retries, LONG, 0, 5, "0", "number of retries", NULL, 0, NULL, 0)             \
	X(retry_backoff_ms, rt.retry_backoff_ms, LONG, 0, 60000, "500", "retry backoff (ms)",      \
	  NULL, 0, NULL, 0)                                                                        \
	X(retry_unsafe, rt.retry_unsafe, BOOL, 0, 1, "", "retry of POST and PATCH", NULL, 0, NULL, \
	  0)                                                                                       \
	X(pagination, rt.pagination, ENUM, 0, 0, "none", "pagination", NULL, 0,                    \
	  endpoint_paging_names, PAGING__MAX)                                                      \
	X(page_param, rt.page_param, TEXT, 0, 255, "page", "page parameter", NULL, FIELD_LINE,     \
	  NULL, 0)                                                                                 \
	X(size_param, rt.size_param, TEXT, 0, 255, "", "page size parameter", NULL, FIELD_LINE,    \
	  NULL, 0)                                                                                 \
	X(first_page, rt.first_page, LONG, 0, 1000000, "1", "first page number", NULL, 0, NULL, 0) \
	X(page_size, rt.page_size, LONG, 0, 100000, "0", "page size", NULL, 0, NULL, 0)            \
	X(offset_param, rt.offset_param, TEXT, 0, 255, "offset", "offset parameter", NULL,         \
	  FIELD_LINE, NULL, 0)                                                                     \
	X(limit_param, rt.limit_param, TEXT, 0, 255, "", "limit parameter", NULL, FIELD_LINE,      \
	  NULL, 0)                                                                                 \
	X(cursor_pointer, rt.cursor_pointer, TEXT, 0, 1024, "", "pointer to the next cursor",      \
	  ep_check_pointer, FIELD_LINE, NULL, 0)                                                   \
	X(cursor_param, rt.cursor_param, TEXT, 0, 255, "cursor", "cursor parameter", NULL,         \
	  FIELD_LINE, NULL, 0)                                                                     \
	X(max_pages, rt.max_pages, LONG, 1, 1000, "10", "maximum number of pages", NULL, 0, NULL,  \
	  0)                                                                                       \
	X(body_type, rt.body_type, ENUM, 0, 0, "raw", "body type", NULL, 0,                        \
	  endpoint_body_type_names, BODY__MAX)                                                     \
	X(keep_bodies_days, keep_bodies_days, LONG, 0, 30, "0", "number of days to keep bodies",   \
	  NULL, 0, NULL, 0)

/* For the statements (src/db): each field's column in a select (prefix p), its name in an
 * insert, its placeholder, its assignment in an update, its snapshot member, its bind type,
 * its argument from a struct endpoint_input *in, and its value from row 0 of r into *out. */
#define EF_COL(n, ...)					      " e." #n ","
#define EF_NAME(n, ...)					      " " #n ","
#define EF_VAL(n, ...)					      " ?,"
#define EF_SET(n, ...)					      " " #n " = ?,"
#define EF_SNAP(n, ...)					      " '" #n "', e." #n ","
#define EF_TYPE(n, m, k, ...)				      EF_T_##k
#define EF_ARG(n, m, k, lo, hi, def, lab, chk, fl, names, nn) , EF_A_##k(in->m, def, names, nn)
#define EF_ROW(n, m, k, lo, hi, def, lab, chk, fl, names, nn)                                      \
	out->m = EF_R_##k(r, #n, def, names, nn);
#define EF_DEF(n, m, k, lo, hi, def, lab, chk, fl, names, nn)                                      \
	out->m = EF_R_##k(NULL, #n, def, names, nn);
#define EF_T_TEXT			  "s"
#define EF_T_LONG			  "i"
#define EF_T_BOOL			  "i"
#define EF_T_ENUM			  "s"
#define EF_A_TEXT(v, def, ...)		  ((v) ? (v) : def)
#define EF_A_LONG(v, ...)		  ((long long)(v))
#define EF_A_BOOL(v, ...)		  ((long long)((v) != 0))
#define EF_A_ENUM(v, def, names, nn)	  ((unsigned)(v) < (unsigned)(nn) ? names[v] : def)
#define EF_R_TEXT(r, col, def, ...)	  db_field_text(r, col, def)
#define EF_R_LONG(r, col, def, ...)	  db_field_long(r, col, def)
#define EF_R_BOOL(r, col, def, ...)	  (db_field_long(r, col, def) != 0)
#define EF_R_ENUM(r, col, def, names, nn) db_field_enum(r, col, def, names, nn)

#endif
