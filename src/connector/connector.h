/* connector: the connector domain below web/. A connector's secrets (sealed under context
 * strings that bind each value to its connector and field, src/connector/secrets.c), key
 * rotation (rotate.c), the authorization of a request — Basic, Bearer, OAuth 2.0 with a
 * sealed token cache shared by every process (authorize.c) — and the endpoint run that the
 * Test page and the API's execute both call (run.c). Depends on core, crypt, db, tmpl and
 * outbound; knows nothing of requests, pages or JSON answers. */
#ifndef DCGATE_CONNECTOR_H
#define DCGATE_CONNECTOR_H

#include <stddef.h>

#include "../core/core.h"
#include "../crypt/crypt.h"
#include "../db/db.h"
#include "../outbound/outbound.h"

struct json_object;

/* ---- secrets ---- */

/* A connector's sealed columns, each sealed under "connector:<id>:<name>". */
enum connector_secret {
	CONNECTOR_SECRET_PASSWORD,
	CONNECTOR_SECRET_TOKEN,
	CONNECTOR_SECRET_CLIENT_SECRET,
	CONNECTOR_SECRET_API_KEY,
	CONNECTOR_SECRET__MAX
};
/* "password", "token", "client_secret", "api_key": the names in the sealing context. */
extern const char *const connector_secret_names[CONNECTOR_SECRET__MAX];

/* Seals plain as secret s of connector id into *out (arena). kr NULL (no key loaded):
 * CRYPT_ENOKEY. Returns a crypt_err. */
int connector_secret_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			  enum connector_secret s, const char *plain, size_t len, char **out);
/* Opens secret s of connector id; *out NULL (and CRYPT_OK) when sealed is NULL or "". */
int connector_secret_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			  enum connector_secret s, const char *sealed, char **out, size_t *len);
/* The same for the sealed variable name of connector id ("connector:<id>:secret:<name>"). */
int connector_variable_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			    const char *name, const char *plain, size_t len, char **out);
int connector_variable_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			    const char *name, const char *sealed, char **out, size_t *len);
/* 1 when name can name a sealed variable: 1-64 of A-Z a-z 0-9 _, not starting with a digit. */
int connector_variable_name_ok(const char *name);
/* The same for a cell of the OAuth token cache of connector id ("token_cache:<id>"). */
int connector_token_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			 const char *plain, size_t len, char **out);
int connector_token_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			 const char *sealed, char **out, size_t *len);

/* Re-seals every secret in the database (connector secrets, token cache) under the ring's
 * current key in one transaction; *count is the number of values re-sealed. Returns a
 * crypt_err (CRYPT_EFAIL when a value cannot be opened or the database fails). */
int connector_rotate_keys(struct db *db, const struct crypt_keyring *kr, int *count);

/* ---- authorization ---- */

/* Applies ca to req: the Authorization header (Basic, Bearer, or an OAuth token fetched and
 * cached through the sealed token_cache table, one fetch per connector at a time across
 * processes via a lease row), or the API key in its header or query parameter. The OAuth
 * Client Secret and Password go only to ca->token_origin: a URL Token elsewhere is refused
 * with OUT_EORIGIN before anything is sent. force_new: ignore the cache (after a 401). A
 * header of the same name already in req is replaced. The new header array lives in a. db
 * or kr may be NULL (no cache). Returns OUT_OK or an outbound_err with *errmsg in plain
 * words. */
int connector_authorize(void *curl, const struct outbound_config *oc, struct db *db,
			const struct crypt_keyring *kr, struct arena *a,
			const struct connector_auth *ca, int force_new,
			struct outbound_request *req, const char **errmsg);

/* ---- the endpoint run ---- */

/* What one run needs, all of it explicit: the caller's worker state and who asks. */
struct connector_run_in {
	const struct outbound_config *oc;
	const struct crypt_keyring *keys; /* NULL: no key loaded (no secret can be opened) */
	struct db *db;
	struct arena *a;	    /* everything in the result lives here */
	void *curl;		    /* the worker's CURL handle */
	const struct db_gens *gens; /* read with the session or token; NULL: not cached */
	long long connector_id;
	long long endpoint_id;	  /* used when purpose is NULL */
	const char *purpose;	  /* the endpoint with this purpose (ASCII case ignored) */
	struct json_object *data; /* an object to render over (borrowed); NULL: sample data */
	const char *kind;	  /* "test" or "execute" (execution_logs.kind) */
	long long user_id;	  /* for the execution log */
	long long token_id;	  /* the API token used, 0 for a session */
	long long log_id; /* its execution-log row, already written (the caller finishes it);
			   * 0: connector_run writes one */
};

/* What happened. Either sent (resp holds the answer, or a transport error) or error says
 * why the request could not be built or sent. */
struct connector_run_out {
	const char *connector_name;
	const char *purpose;
	enum auth_type auth_type;
	long long endpoint_id;
	struct outbound_request shown; /* the request as sent, secrets masked (method NULL or
					* url NULL: it could not be built) */
	const char *curl;	       /* shown as a "curl" command line; NULL when no URL */
	struct outbound_response resp;
	const char *effective_url; /* resp.effective_url masked */
	int sent;
	const char *error;	/* plain words when the request could not be built or sent */
	const char *error_code; /* outbound_err_name() or "ESECRET" */
};

/* Loads the endpoint (by id, or by purpose) with its connector, opens the connector's
 * secrets (and, when a template names "secrets", its sealed variables as the data's
 * "secrets" member), renders URL, query parameters, headers and body over the data, refuses
 * (EORIGIN, nothing sent) a request carrying credentials to an origin outside the
 * connector's allowed_origins, authorizes (an OAuth token fetched again once after a 401),
 * sends through outbound_send (redirects drop the credentials at other origins), masks
 * every secret value in what it shows, answers and logs, and writes the execution-log row.
 * Returns 0 (out tells what happened), 404 when the connector or endpoint is gone, or a
 * db_err. */
int connector_run(const struct connector_run_in *in, struct connector_run_out *out);

/* ---- template variables the data lacks (src/connector/vars.c) ---- */

/* The first {{name}} in the path of URL template url whose value data lacks (absent, null
 * or ""), in the arena; NULL when every one has a value. Such a request is not sent. */
const char *connector_path_var_missing(struct arena *a, const char *url, struct json_object *data);
/* Appends "{{name}} in <where>" lines to out for each {{name}} of tmpl that data lacks
 * (skip_path: not those in a URL's path, which stop the request instead); returns how many. */
size_t connector_vars_missing(struct arena *a, const char *tmpl, const char *where, int skip_path,
			      struct json_object *data, struct buf *out);

/* A URL as shown and logged: its user info (user name and password) and credential-looking
 * query values masked. */
const char *connector_mask_url(struct arena *a, const char *url);
/* The response body as base64 (arena), for callers that must carry bytes that are not
 * text; NULL when out of memory. */
const char *connector_body_base64(struct arena *a, const struct outbound_response *r);

#endif
