/* api: what the JSON API handlers (src/web/api_*.c) share. A JSON body is read with limits
 * and turned into the same name/value list an HTML form sends (c->req->form), so the
 * pages' validate-and-save code (save.h) runs unchanged; its field errors come back as
 * {"message", "errors": {field: [message]}} with the JSON member names. */
#ifndef DCGATE_WEB_API_H
#define DCGATE_WEB_API_H

#include "save.h"

#define API_MAX_DEPTH 32 /* nesting of a JSON body */

/* How one JSON member becomes form fields. */
enum api_kind {
	API_TEXT,   /* string or number -> name=value */
	API_BOOL,   /* true -> name=1; false -> nothing (an unticked checkbox) */
	API_IDS,    /* [1, 2] -> name=1&name=2 */
	API_ROWS,   /* [{key, value, description, required}] -> name[N][key]=... */
	API_JSON,   /* a string as it is, any other JSON value as its JSON text */
	API_SECRET, /* string -> name=value (blank keeps the stored one); null -> clear_name=1 */
	API_SECRET_MAP, /* {"NAME": "value"} -> name_given=1&name[N][name]=NAME&name[N][value]=...
			 * ("" keeps the stored value; a name left out or null is removed) */
	API_WORDS,	/* ["a", "b"] or "a b" -> name=a b */
	API_MAP_ROWS,	/* [{name, pointer}] -> name[N][name]=...&name[N][pointer]=... */
	API_FIELD_ROWS, /* [{name, value}] -> name[N][name]=...&name[N][value]=... */
	API_NAMES,	/* ["a", "b"] -> name=a&name=b */
};

struct api_field {
	const char *member; /* JSON member */
	const char *field;  /* form field (the prefix for rows) */
	enum api_kind kind;
};

/* The request body as a JSON object (owned by the request). Checks Content-Type
 * application/json, nesting, syntax, UTF-8 and that it is an object; answers 415, 400 or
 * 413 itself and returns that status, else 0. */
int api_body(struct ctx *c, struct json_object **out);

/* Decodes the members of obj named in fields (others are ignored) into f's input, under
 * the forms' field names, in place of what it held; a member of the wrong type is an error
 * of f. Answers 413 itself (and returns it) past the field count or length limits, else 0. */
int api_form(struct form *f, struct json_object *obj, const struct api_field *fields, size_t n);
/* Decodes the members of obj named by the field table t (its fields having all of flags;
 * not FIELD_READONLY ones) into f's input, adding to what it holds; as api_form. */
int api_form_table(struct form *f, struct json_object *obj, const struct field *t, size_t n,
		   unsigned flags);
/* 1 when obj has a member of the table t other than except (NULL: none). */
int api_has_field(struct json_object *obj, const struct field *t, size_t n, const char *except);
/* Adds field=value unless obj has the member (a default for a member left out). */
void api_form_default(struct form *f, struct json_object *obj, const char *member,
		      const char *field, const char *value);
/* Adds one field to f's input. */
int api_form_add(struct form *f, const char *field, const char *value);

/* A 404 {"message": message (NULL: "Not found.")} for the dispatcher to answer. */
int api_not_found(struct ctx *c, const char *message);

/* "header[3][key]" -> "headers.3.key", "param[0][value]" -> "params.0.value"; other
 * names as they are. */
const char *api_error_key(struct arena *a, const char *key);

/* An endpoint's members (src/db/endpoint_fields.h and its rows) from obj into f's input, as
 * api_form (src/web/endpoints.c); for the endpoint API and imports. */
int endpoint_api_form(struct form *f, struct json_object *obj);
/* One endpoint with its rows as the API shows it (export: without ids and times, as an
 * export holds it); DB_ENOTFOUND when it (or its connector) is gone. */
int api_endpoint_json(struct ctx *c, long long cid, long long eid, int export,
		      struct json_object **out);
/* One connector as the API shows it (details, categories, authorization with secrets as
 * *_set booleans); DB_ENOTFOUND when it is gone. */
int api_connector_json(struct ctx *c, long long id, struct json_object **out);

/* ?page=&per_page= of a list (1.., 1-100; default [limits] per_page); bad values are errors
 * of f. */
struct api_page {
	long page;
	long per_page;
	long long offset;
};
void api_page_read(struct form *f, struct api_page *p);
/* {"data": data, "meta": {total, count, per_page, current_page, total_pages}}. */
struct json_object *api_list(struct json_object *data, const struct api_page *p, long long total);
/* The query parameter name when it is one of allowed[] (NULL-terminated), def when absent;
 * anything else is an error of f. */
const char *api_query_choice(struct form *f, const char *name, const char *const *allowed,
			     const char *def);

/* "2024-05-01 10:00:00" (DATETIME, UTC) as "2024-05-01T10:00:00Z"; NULL stays NULL. */
const char *api_time(struct arena *a, const char *dt);

#endif
