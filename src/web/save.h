/* save: the validate-and-save step of each resource, shared by the HTML handlers and the
 * JSON API so both apply the same rules. Each reads the request's form fields
 * (c->req->form; the API fills it from the JSON body with the forms' field names), puts
 * messages beside their fields in f and writes the audit log when it saved. They return 0
 * when saved, 422 (errors in f), 409 (stale version, errors.form), 404 (gone) or another
 * status / db_err. */
#ifndef DCGATE_WEB_SAVE_H
#define DCGATE_WEB_SAVE_H

#include "../connector/connector.h"
#include "form.h"

/* Data connector details (src/web/connectors.c): name, description, auth_type (create
 * only), category_ids repeated, version (update). id 0 creates; *out_id is the id. */
int connector_submit(struct form *f, long long id, long long *out_id);
/* The Details fields (src/db/connector_fields.h) over struct connector_fields. */
extern const struct field connector_field_table[];
extern const size_t connector_nfields;
/* The same checks without saving: 0 or 422 (or 404 when connector id is gone). */
int connector_check(struct form *f, long long id);

/* API token of the signed-in user (src/web/profile.c): name, expires_in_days (blank:
 * never). *plain is the token, to show this once; *id its id. */
int token_submit(struct form *f, char **plain, long long *id);

/* The category's fields (src/web/categories.c) over struct category. */
extern const struct field category_field_table[];
extern const size_t category_nfields;
/* Category (src/web/categories.c): name, status. id 0 creates. */
int category_submit(struct form *f, long long id, long long *out_id);

/* The authorization's fields (src/web/authorization.c) over struct db_auth_fields. */
extern const struct field auth_field_table[];
extern const size_t auth_nfields;

/* Authorization of connector id (src/web/authorization.c): auth_type, verify_ssl, username,
 * password, token, token_url, client_id, client_secret, scope, client_auth, clear_<secret>,
 * version. secrets_later: a secret the method needs may be missing (an import asks for
 * them afterwards). */
int authorization_submit(struct form *f, long long id, int secrets_later);
/* The same checks without saving (id 0: for a connector about to be created): 0 or 422. */
int authorization_check(struct form *f, long long id, int secrets_later);

/* The Authorization tab with the stored settings and error (NULL: none) above the form, or
 * the result of a Test authorization (test: {ok, token_type, expires_in, scope, message}). */
int authorization_page_message(struct ctx *c, int status, const char *error,
			       struct json_object *test);
/* This site's origin for links given to others (the OAuth redirect URI): [server]
 * public_url, else scheme, Host and port of the request; NULL when Host is invalid
 * (src/web/oauth_connect.c). */
const char *web_public_origin(struct ctx *c);

/* Endpoint of connector cid (src/web/endpoints.c): purpose, description, method, url,
 * timeout, header[N][key|value|description|required], param[N][key|value|required], body,
 * sample_data. eid 0 creates; *out_id is the id. */
int endpoint_submit(struct form *f, long long cid, long long eid, long long *out_id);

/* The same fields read and checked as an unsaved draft (the Test of a draft): 0 with *out
 * (in the arena), 422 (errors in f). A missing purpose is "draft". */
int endpoint_draft(struct form *f, struct endpoint_input **out);

/* The endpoint's scalar fields (src/db/endpoint_fields.h) over struct endpoint_input. */
extern const struct field endpoint_field_table[];
extern const size_t endpoint_nfields;
/* The endpoint's members as the API and (export) an export show them, into o. */
void endpoint_json(struct arena *a, struct json_object *o, const struct endpoint_input *in,
		   int export);

/* The runtime rows of an endpoint (src/web/endpoint_runtime.c): the map and body field rows
 * read from the form with messages beside them, and the checks between the pagination
 * fields; view (may be NULL) gets the rows as typed, "response_map" and "body_fields". */
void endpoint_runtime_read(struct form *f, struct endpoint_runtime *rt, struct json_object *view);
/* The rows as the API, export and the editor show them: "response_map" and "body_fields"
 * set in o. */
void endpoint_runtime_rows_json(struct json_object *o, const struct endpoint_runtime *rt);
/* 1 when a row button of the runtime (add_map, remove_map, add_field, remove_field) was
 * pressed: the editor re-renders instead of saving. */
int endpoint_runtime_rebuild(const struct form *f);
/* The editor's part in d: map_rows and field_rows from f's values (numbered, with a blank
 * row, or the one an add button asked for), the pagination and body type choices, the
 * draft Test's URL and the Test data box (what was typed, else the sample data). */
void endpoint_runtime_page(struct ctx *c, struct form *f, struct json_object *d, int rebuild);

/* ---- environments (src/web/environments.c) ---- */

/* The connector's environments as select options [{value, label, selected}]: selected is
 * the one named (case ignored), else the default. */
struct json_object *web_env_options(struct ctx *c, long long cid, const char *selected);
/* 1 when name may name a sealed or plain variable (connector or environment); else 0, the
 * message beside field (src/web/authorization.c). */
int web_variable_name_ok(struct form *f, const char *field, const char *name);
/* The environments that lack a secret ([{name, url}]): "set the secrets of environment X"
 * (after an import). auth_type: the connector's method (connector_auth_names). */
struct json_object *web_env_lacking(struct ctx *c, long long cid, const char *auth_type);

/* The connector's environments for its export: plain fields and plain variables; sealed
 * variables by name only, no secret ever. */
struct json_object *environment_export(struct ctx *c, long long cid);
/* One environment of an export (its JSON object) created for connector cid, without
 * secrets (asked for afterwards): 0, 422 (errors in f) or a status. */
int environment_import(struct form *f, long long cid, struct json_object *obj);

/* ---- running an endpoint: connector_run (src/connector/run.c) for the Test screen
 * (src/web/endpoint_try.c) and the API's execute (src/web/api_endpoints.c) ---- */

/* The run's inputs from this request's worker and caller (src/web/endpoint_try.c): the
 * endpoint of connector cid is then named by .endpoint_id or .purpose, the data by .data. */
struct connector_run_in web_connector_run_in(struct ctx *c, long long cid, const char *kind);

#endif
