/* import: endpoints from what users already have (a cURL line, an OpenAPI 3.0/3.1 document in
 * JSON or YAML, a Postman collection v2.1) and back out (OpenAPI 3.1, Postman v2.1).
 *
 * A layer over core/ and json-c/libyaml only: it knows no table, no request and no secret
 * store. Importers turn text into a neutral list of proposed endpoints (struct import_doc);
 * the caller (web/) validates and saves them. Exporters turn the same shape, filled by the
 * caller from a connector, into a document. Secrets are never carried: a cURL -u password,
 * a bearer token, a Postman auth password are dropped and only the method is proposed.
 *
 * Everything is allocated in the caller's arena. Errors name the place: line and column
 * for JSON and YAML text where the parser knows them, the JSON path inside the document
 * otherwise, the argument's line and column for a cURL line. */
#ifndef DCGATE_IMPORT_H
#define DCGATE_IMPORT_H

#include <stddef.h>

#include <json-c/json.h>

#include "../core/core.h"

enum import_format { IMPORT_CURL, IMPORT_OPENAPI, IMPORT_POSTMAN, IMPORT_FORMAT__MAX };
extern const char *const import_format_names[IMPORT_FORMAT__MAX];
/* IMPORT_FORMAT__MAX when name is none of "curl", "openapi", "postman". */
enum import_format import_format_parse(const char *name);

enum import_err {
	IMPORT_OK = 0,
	IMPORT_ENOMEM = -1,
	IMPORT_ESYNTAX = -2,  /* malformed JSON, YAML or shell text */
	IMPORT_EVERSION = -3, /* not a version this importer reads */
	IMPORT_ETOOBIG = -4,  /* past IMPORT_MAX_BYTES, or a YAML alias expansion past its bound */
	IMPORT_EINVALID = -5, /* well-formed but not what the format says (a missing field) */
	IMPORT_EREFUSED = -6, /* a shell substitution, a file reference */
};

/* The largest document read (bytes); larger is IMPORT_ETOOBIG before any parsing. */
#define IMPORT_MAX_BYTES (8u * 1024u * 1024u)
/* YAML: at most this many nodes once aliases are counted as copies, and this many aliases. */
#define IMPORT_YAML_MAX_NODES	200000u
#define IMPORT_YAML_MAX_ALIASES 1000u
/* At most this many endpoints in one document. */
#define IMPORT_MAX_ENDPOINTS 2000u

struct import_error {
	enum import_err code;
	char message[400]; /* a sentence for people, the place included */
	char place[200];   /* "line 3, column 7", "paths./pets.get.parameters[0]", "argument 4" */
	int line, column;  /* 1-based; 0 when unknown */
};

struct import_row {
	const char *key;
	const char *value;
	const char *description; /* may be NULL */
	int required;
};

/* Authorization methods, named as the connector's auth_type. */
enum import_auth {
	IMPORT_AUTH_NONE,
	IMPORT_AUTH_BASIC,
	IMPORT_AUTH_BEARER,
	IMPORT_AUTH_API_KEY,
	IMPORT_AUTH_OAUTH2_PASSWORD,
	IMPORT_AUTH_OAUTH2_CLIENT_CREDENTIALS,
	IMPORT_AUTH__MAX
};
extern const char *const import_auth_names[IMPORT_AUTH__MAX];

/* A proposed authorization: the method and its non-secret settings. Secrets are never here. */
struct import_authz {
	enum import_auth type;
	const char *username;	  /* basic, oauth2_password (when the source named one) */
	const char *token_url;	  /* oauth2 */
	const char *scope;	  /* oauth2, space separated */
	const char *api_key_name; /* api_key */
	const char *api_key_in;	  /* api_key: "header" or "query" */
	const char *source;	  /* where it came from: "-u", "securitySchemes.petstore_auth" */
	const char *note;	  /* a sentence when the source had a method dcgate has not */
};

struct import_endpoint {
	const char *purpose;
	const char *description; /* "" when none */
	const char *method;	 /* GET POST PUT PATCH DELETE (others are skipped with a note) */
	const char *url;	 /* absolute, {{name}} for variables, no query string */
	struct import_row *headers;
	size_t nheaders;
	struct import_row *params; /* query parameters */
	size_t nparams;
	const char *body;	 /* "" when none */
	const char *sample_data; /* a JSON object's text, "" when none */
	const char *where;	 /* where it came from: "paths./pets.get", "item[2].item[0]" */
};

struct import_var {
	const char *name;
	const char *value;
};

struct import_doc {
	enum import_format format;
	const char *title;	 /* info.title, info.name; NULL for cURL */
	const char *description; /* "" when none */
	const char *base_url;	 /* servers[0] (variables filled), or the common origin */
	struct import_endpoint *endpoints;
	size_t nendpoints;
	struct import_authz auth;
	struct import_var *vars; /* collection variables, server variables */
	size_t nvars;
	const char **notes; /* what was skipped or changed, one sentence each */
	size_t nnotes;
};

/* Parses src (len bytes, need not be NUL-terminated) as fmt into *out, in arena a. On an
 * error returns it (negative) with *err filled and *out unspecified. */
int import_parse(struct arena *a, enum import_format fmt, const char *src, size_t len,
		 struct import_doc *out, struct import_error *err);

int import_curl(struct arena *a, const char *src, size_t len, struct import_doc *out,
		struct import_error *err);
int import_openapi(struct arena *a, const char *src, size_t len, struct import_doc *out,
		   struct import_error *err);
int import_postman(struct arena *a, const char *src, size_t len, struct import_doc *out,
		   struct import_error *err);

/* JSON or YAML text (YAML when the first non-blank byte is not '{' or '[') into a json-c
 * tree registered for release on the arena. YAML aliases are expanded as shared references
 * within IMPORT_YAML_MAX_NODES / IMPORT_YAML_MAX_ALIASES. */
int import_load_tree(struct arena *a, const char *src, size_t len, struct json_object **out,
		     struct import_error *err);

/* The proposed document as JSON for the API: {"title", "base_url", "endpoints": [{purpose,
 * description, method, url, headers: [{key, value, description, required}], params: [{key,
 * value, required}], body, sample_data, source}], "authorization": {...}, "variables": {},
 * "notes": []}. The caller owns the result (json_object_put). */
struct json_object *import_doc_json(const struct import_doc *d);

/* ---- export: a connector (filled in by the caller as an import_doc) as a document ---- */
/* OpenAPI 3.1 and Postman collection v2.1 as JSON trees; the caller owns the result. No
 * secret: the authorization is named by its method only. */
struct json_object *export_openapi(struct arena *a, const struct import_doc *d);
struct json_object *export_postman(struct arena *a, const struct import_doc *d);

/* ---- small helpers the importers share (src/import/util.c) ---- */
void import_fail(struct import_error *err, enum import_err code, int line, int column,
		 const char *place, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int import_note(struct arena *a, struct import_doc *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
