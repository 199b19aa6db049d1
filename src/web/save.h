/* save: the validate-and-save step of each resource, shared by the HTML handlers and the
 * JSON API so both apply the same rules. Each reads the request's form fields
 * (c->req->form; the API fills it from the JSON body with the forms' field names), puts
 * messages beside their fields in f and writes the audit log when it saved. They return 0
 * when saved, 422 (errors in f), 409 (stale version, errors.form), 404 (gone) or another
 * status / db_err. */
#ifndef DCGATE_WEB_SAVE_H
#define DCGATE_WEB_SAVE_H

#include "form.h"

/* Data connector details (src/web/connectors.c): name, description, auth_type (create
 * only), category_ids repeated, version (update). id 0 creates; *out_id is the id. */
int connector_submit(struct form *f, long long id, long long *out_id);
/* The same checks without saving: 0 or 422 (or 404 when connector id is gone). */
int connector_check(struct form *f, long long id);

/* Category (src/web/categories.c): name, status. id 0 creates. */
int category_submit(struct form *f, long long id, long long *out_id);

/* Authorization of connector id (src/web/authorization.c): auth_type, verify_ssl, username,
 * password, token, token_url, client_id, client_secret, scope, client_auth, clear_<secret>,
 * version. secrets_later: a secret the method needs may be missing (an import asks for
 * them afterwards). */
int authorization_submit(struct form *f, long long id, int secrets_later);
/* The same checks without saving (id 0: for a connector about to be created): 0 or 422. */
int authorization_check(struct form *f, long long id, int secrets_later);

/* Endpoint of connector cid (src/web/endpoints.c): purpose, description, method, url,
 * timeout, header[N][key|value|description|required], param[N][key|value|required], body,
 * sample_data. eid 0 creates; *out_id is the id. */
int endpoint_submit(struct form *f, long long cid, long long eid, long long *out_id);

/* ---- running an endpoint (src/web/endpoint_test.c): Test screen and API execute ---- */

/* One run of a saved endpoint: loaded, rendered over data, authorized, sent, logged. */
struct endpoint_run {
	struct ctx *c;
	long long connector_id, endpoint_id;
	const char *kind; /* "test" or "execute" (execution_logs.kind) */
	struct db_rows conn, ep, headers, params;
	struct connector_auth auth;
	struct json_object *sample; /* the data rendered over (owned by the request) */
	struct outbound_request req;
	struct outbound_response resp;
	int sent;
	const char *error; /* plain words when the request could not be built or sent */
	const char *error_code;
};

/* Runs endpoint eid of connector cid over data (NULL: the endpoint's sample data) and
 * writes the execution log. Returns 0 (t->sent, t->resp or t->error tell what happened),
 * 404 when the connector or endpoint is gone, or a db_err. */
int endpoint_run(struct endpoint_run *t, struct ctx *c, long long cid, long long eid,
		 struct json_object *data, const char *kind);
/* The same for the endpoint of connector cid with that purpose (equal but for ASCII case);
 * 404 when there is none. */
int endpoint_run_purpose(struct endpoint_run *t, struct ctx *c, long long cid, const char *purpose,
			 struct json_object *data, const char *kind);
/* The URL as shown and logged: a password in it and credential-looking query values
 * masked. */
const char *endpoint_mask_url(struct arena *a, const char *url);

#endif
