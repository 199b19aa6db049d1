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
#include "../db/endpoints.h"
#include "../outbound/outbound.h"

struct json_object;

/* ---- secrets ---- */

/* A connector's sealed columns, each sealed under "connector:<id>:<name>". */
enum connector_secret {
	CONNECTOR_SECRET_PASSWORD,
	CONNECTOR_SECRET_TOKEN,
	CONNECTOR_SECRET_CLIENT_SECRET,
	CONNECTOR_SECRET_API_KEY,
	CONNECTOR_SECRET_CLIENT_KEY,	  /* mutual TLS private key */
	CONNECTOR_SECRET_OAUTH_REFRESH,	  /* Authorization Code refresh token */
	CONNECTOR_SECRET_CLIENT_KEY_PASS, /* the passphrase of an encrypted client key */
	CONNECTOR_SECRET__MAX
};
/* "password", "token", "client_secret", "api_key", "client_key", "oauth_refresh",
 * "client_key_pass": the names
 * in the sealing context (and the column order of key rotation). */
extern const char *const connector_secret_names[CONNECTOR_SECRET__MAX];

/* Seals plain as secret s of connector id into *out (arena). kr NULL (no key loaded):
 * CRYPT_ENOKEY. Returns a crypt_err. */
int connector_secret_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			  enum connector_secret s, const char *plain, size_t len, char **out);
/* Opens secret s of connector id; *out NULL (and CRYPT_OK) when sealed is NULL or "". */
int connector_secret_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			  enum connector_secret s, const char *sealed, char **out, size_t *len);
/* Whether the client certificate's private key (sealed_key) opens with its Key passphrase
 * (sealed_pass, NULL: none): NULL when it does (or there is no key to check), else a plain
 * message for the form and in *field the field it belongs beside (client_key_pass: wrong or
 * missing passphrase; client_key: not a private key). */
const char *connector_client_key_problem(const struct crypt_keyring *kr, struct arena *a,
					 long long id, const char *sealed_key,
					 const char *sealed_pass, const char **field);
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

/* The same for the PKCE verifier of a pending Connect of connector id
 * ("oauth_state:<id>"). */
int connector_pkce_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			const char *plain, size_t len, char **out);
int connector_pkce_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			const char *sealed, char **out, size_t *len);

/* An environment's secrets (sql/022): each sealed under
 * "connector:<id>:env:<seal_key>:<field>" (field: a connector_secret_names name) or
 * "connector:<id>:env:<seal_key>:var:<name>" (a sealed variable). seal_key: the
 * environment's, fixed at its create (connector_env_new_key: 32 random hex characters in a;
 * NULL when randomness failed). */
const char *connector_env_new_key(struct arena *a);
int connector_env_secret_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			      const char *seal_key, enum connector_secret s, const char *plain,
			      size_t len, char **out);
int connector_env_secret_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			      const char *seal_key, enum connector_secret s, const char *sealed,
			      char **out, size_t *len);
int connector_env_variable_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
				const char *seal_key, const char *name, const char *plain,
				size_t len, char **out);
int connector_env_variable_open(const struct crypt_keyring *kr, struct arena *a, long long id,
				const char *seal_key, const char *name, const char *sealed,
				char **out, size_t *len);

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

/* ---- response mapping (mapping.c) ---- */

/* 1 when ptr is an RFC 6901 JSON Pointer: "" (the whole document) or "/"-separated
 * reference tokens in which "~" is always followed by 0 or 1. */
int connector_pointer_valid(const char *ptr);
/* The value at ptr in doc (borrowed; may be NULL for a JSON null) and *found 1, or NULL
 * and *found 0 when ptr matches nothing or is not a pointer. */
struct json_object *connector_pointer_get(struct json_object *doc, const char *ptr, int *found);

#define CONNECTOR_MAP_NOTES 16
/* A mapped answer: data (a reference the caller puts; NULL when the root matched nothing),
 * whether it is a list of items, and notes about pointers that matched nothing. */
struct connector_mapped {
	struct json_object *data;
	int is_array;
	const char *notes[CONNECTOR_MAP_NOTES];
	size_t nnotes;
};
/* Maps body: the value at root, then, when there are rows, an object of row name -> the
 * value at its pointer (null when none) for the root, or for each item when the root is an
 * array. -1 when out of memory. */
int connector_map(struct arena *a, struct json_object *body, const char *root,
		  const struct endpoint_row *maps, size_t n, struct connector_mapped *m);
/* ---- OAuth 2.0: Authorization Code with PKCE, and "Test authorization" ---- */

/* The stored authorization of a connector (db_connector_auth_get's row) as a
 * connector_auth with its secrets opened; -1 with *errmsg when a secret cannot be opened. */
int connector_auth_from_row(const struct crypt_keyring *kr, struct arena *a, long long id,
			    const struct db_rows *row, struct connector_auth *ca,
			    const char **errmsg);

/* Starts a Connect for the user: a fresh state and PKCE verifier (the verifier sealed, the
 * state stored as its SHA-256, for 10 minutes) and the provider URL to send the browser to
 * (*url). redirect_uri: this connector's callback URL. OUT_OK, or OUT_EURL (no
 * authorization URL), OUT_EORIGIN, OUT_EOTHER with *errmsg. */
int connector_oauth_begin(struct db *db, const struct crypt_keyring *kr, struct arena *a,
			  const struct connector_auth *ca, long long user_id,
			  const char *redirect_uri, const char **url, const char **errmsg);

/* What a finished Connect or a Test authorization tells (never the token itself). */
struct connector_oauth_info {
	const char *token_type;
	long expires_in; /* s, 0: unknown */
	const char *scope;
	const char *subject; /* who connected (Connect only) */
};

/* The callback: takes the pending Connect of state (single use; it must be this user's and
 * not expired), exchanges code with its verifier at the token URL (only at
 * ca->token_origin), keeps the refresh token sealed with who connected and caches the access
 * token. OUT_OK, or an outbound_err with *errmsg in plain words. */
int connector_oauth_finish(void *curl, const struct outbound_config *oc, struct db *db,
			   const struct crypt_keyring *kr, struct arena *a,
			   const struct connector_auth *ca, long long user_id, const char *state,
			   const char *code, const char *redirect_uri,
			   struct connector_oauth_info *info, const char **errmsg);

/* Fetches a new token for an OAuth method now (the configured grant; the stored refresh
 * token for Authorization Code) and caches it; info tells its type, expiry and scope. */
int connector_oauth_test(void *curl, const struct outbound_config *oc, struct db *db,
			 const struct crypt_keyring *kr, struct arena *a,
			 const struct connector_auth *ca, struct connector_oauth_info *info,
			 const char **errmsg);

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
	/* An unsaved endpoint of the connector to run instead of a saved one (the Test of a
	 * draft); endpoint_id then only names it in the execution log (0: none). */
	const struct endpoint_input *draft;
	int all_pages;	  /* walk every page (up to max_pages) and put their items together */
	long long log_id; /* its execution-log row, already written (the caller finishes it);
			   * 0: connector_run writes one */
	/* The environment (sql/022) to run in, by name (case ignored); NULL or "": the
	 * connector's default environment, or none when it has no default. */
	const char *environment;
};

#define CONNECTOR_RUN_NOTES 20

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
	/* The runtime (sql/017): */
	int error_status;	  /* resp.status is one of the endpoint's error statuses */
	struct json_object *data; /* the mapped answer (all pages' items with all_pages);
				   * kept until the arena goes; NULL: nothing mapped */
	int data_is_array;
	long pages;	       /* pages answered (not counting one with an error status) */
	long attempts;	       /* requests sent, retries included */
	const char *first_url; /* the rendered URL before paging parameters */
	const char *notes[CONNECTOR_RUN_NOTES]; /* pointers that matched nothing, paging */
	size_t nnotes;
	const char *environment; /* the environment it ran in (NULL: none) */
};

/* In an environment (in->environment, else the default one): a URL starting with "/" is
 * joined to its base URL, {{env.NAME}} reads its variables (sealed ones opened and masked,
 * bound to its allowed origins), and with its own credentials (auth_override) those replace
 * the connector's (bound to its allowed origins; OAuth tokens fetched per run, not cached).
 * An environment name the connector does not have: error_code "EENV", nothing sent.
 * Loads the endpoint (by id, or by purpose, or in->draft) with its connector, opens the connector's
 * secrets (and, when a template names "secrets", its sealed variables as the data's
 * "secrets" member), renders URL, query parameters, headers and body over the data, refuses
 * (EORIGIN, nothing sent) a request carrying credentials to an origin outside the
 * connector's allowed_origins, authorizes (an OAuth token fetched again once after a 401),
 * sends through outbound_send (redirects drop the credentials at other origins) under the
 * connector's rate limit, with the endpoint's retries (an execution-log row per attempt)
 * and pages, maps the answer, and masks every secret value in what it shows, answers and
 * logs.
 * Returns 0 (out tells what happened), 404 when the connector or endpoint is gone, or a
 * db_err. */
int connector_run(const struct connector_run_in *in, struct connector_run_out *out);

/* ---- the detail an execution-log row keeps (src/connector/detail.c) ---- */

#define CONNECTOR_KEEP_BODY_CAP (64 * 1024) /* a body kept for days: at most this much */

/* The detail of run t as JSON (the caller puts it): connector, purpose, the method's label,
 * data_text (the data rendered over), the request as sent and the response (as masked in
 * t), the runtime's pages and attempts (and the mapped data when with_mapping), the error.
 * kind "test" or "execute" names where the data came from. */
struct json_object *connector_detail_json(struct arena *a, size_t max_response,
					  const struct connector_run_out *t, const char *kind,
					  const char *data_text, int with_mapping);
/* The body of r for reading: pretty JSON when it parses, text when it is UTF-8, else NULL
 * (and *binary says so). */
const char *connector_body_text(struct arena *a, const struct outbound_response *r, int *is_json,
				int *binary);
/* s cut at cap bytes on a UTF-8 boundary, saying so; s itself when it fits. */
const char *connector_body_cap(struct arena *a, const char *s, size_t cap);

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
