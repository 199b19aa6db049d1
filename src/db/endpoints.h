/* db/endpoints: a connector's authorization columns (src/db/connector_auth.c), its endpoints
 * with their header and query parameter rows, and the execution log (src/db/endpoints.c).
 * Every function takes the request arena for results and returns a db_err (0 ok). */
#ifndef DCGATE_DB_ENDPOINTS_H
#define DCGATE_DB_ENDPOINTS_H

#include "db.h"
#include "endpoint_fields.h" /* the endpoint types */
#include "store.h"	     /* STORE_ESTALE */

/* ---- the Authorization tab ---- */

/* A connector's authorization: what db_connector_auth_read gives and an Authorization save
 * writes. Secrets are sealed text (NULL: none stored); other text "" when none. */
struct db_auth_fields {
	const char *auth_type; /* none basic bearer oauth2_password oauth2_client_credentials */
	int verify_ssl;
	const char *username;
	const char *password; /* sealed */
	const char *token;    /* sealed */
	const char *token_url;
	const char *client_id;
	const char *client_secret; /* sealed */
	const char *scope;
	const char *client_auth; /* body or basic */
	const char *api_key_name;
	const char *api_key;	     /* sealed */
	const char *api_key_in;	     /* header or query */
	const char *allowed_origins; /* origins the credentials may go to, space-separated */
	const char *token_origin;    /* the origin client_secret and password may go to */
	const char *aws_region;	     /* AWS SigV4 */
	const char *aws_service;
	const char *client_cert;     /* mutual TLS: PEM certificate */
	const char *client_key;	     /* sealed */
	const char *client_key_pass; /* sealed: the passphrase of an encrypted client_key */
	const char *auth_url;	     /* Authorization Code: the provider's authorization endpoint */
	const char *token_params;    /* extra token-request fields, "name=value" lines */
	int keep_grant; /* keep the connected Authorization Code grant (else dropped) */
	int vars_given; /* replace the sealed variables by these: */
	const char *const *var_names;
	const char *const *var_values; /* sealed */
	size_t nvars;
	/* Read only: */
	long long id, version;
	const char *name;
	const char *oauth_refresh; /* sealed; NULL when not connected */
	const char *oauth_subject, *oauth_connected_at, *oauth_expires_at; /* NULL when none */
	const char *variables; /* the sealed variables' names, space-separated, by name */
};

/* A connector with its authorization and categories: what the API and export show. */
struct connector_full {
	struct connector d;
	struct db_auth_fields auth;
	struct category *cats;
	size_t ncats;
};
/* db_connector_get, db_connector_auth_read and db_connector_categories in one call. */
int db_connector_load(struct db *db, struct arena *a, long long id, struct connector_full *out);
/* The connector's authorization as a struct (keep_grant and the variables' values unset);
 * DB_ENOTFOUND when there is no such connector. */
int db_connector_auth_read(struct db *db, struct arena *a, long long id,
			   struct db_auth_fields *out);
/* db_connector_auth_read, and the row it is read from (db_connector_auth_get's) in *row for
 * connector_auth_from_row: one round trip. */
int db_connector_auth_load(struct db *db, struct arena *a, long long id, struct db_auth_fields *out,
			   struct db_rows *row);
/* Columns id, name, version, auth_type, verify_ssl, auth_username, auth_password,
 * auth_token, token_url, client_id, client_secret, scope, client_auth, api_key_name, api_key,
 * api_key_in, allowed_origins, token_origin, aws_region, aws_service, client_cert, client_key,
 * client_key_pass, auth_url, token_params, oauth_refresh, oauth_subject, oauth_connected_at,
 * oauth_expires_at (secrets sealed) and variables (the names of the sealed variables,
 * space-separated, by name; NULL when none); DB_ENOTFOUND when there is no such connector. */
int db_connector_auth_get(struct db *db, struct arena *a, long long id, struct db_rows *out);
/* One sealed variable of a connector. */
struct db_connector_var {
	const char *name;
	const char *value; /* sealed */
};
/* The connector's sealed variables by name (*n of them, in a). */
int db_connector_variables(struct db *db, struct arena *a, long long id,
			   struct db_connector_var **out, size_t *n);
/* Writes the authorization (and, with vars_given, the sealed variables) when the stored
 * version is still `version` (it goes up by one) and forgets the cached OAuth token, in one
 * transaction. STORE_ESTALE when someone saved
 * in between, DB_ENOTFOUND when the connector is gone. */
int db_connector_auth_save(struct db *db, long long id, long long version,
			   const struct db_auth_fields *f, long long user_id,
			   const struct db_audit *au);
/* Version + 1, updated_at and updated_by of a connector whose endpoints changed; call inside
 * the caller's transaction. DB_ENOTFOUND when the connector is gone. */
int db_connector_touch(struct db *db, long long id, long long user_id);

/* ---- key rotation (one transaction of the caller's; rows locked until it ends) ---- */

/* Every connector holding a secret: id, auth_password, auth_token, client_secret, api_key,
 * client_key, oauth_refresh, client_key_pass (sealed, NULL when none), in that column order. */
#define DB_CONNECTOR_SEALED_COLUMNS 7
int db_connector_secrets_for_rotation(struct db *db, struct arena *a, struct db_rows *out);
/* Replaces the sealed columns of connector id, vals in the column order above (NULL stores
 * none). */
int db_connector_secrets_reseal(struct db *db, long long id,
				const char *const vals[DB_CONNECTOR_SEALED_COLUMNS]);

/* ---- OAuth 2.0 Authorization Code: the connected grant and pending "Connect"s ---- */

/* Stores the grant of a finished Connect: the sealed refresh token (NULL: none given), who
 * connected (subject) and in how many seconds its access token expires (0: unknown); drops
 * the cached token. The connector's version stays (an open form is not made stale).
 * DB_ENOTFOUND when the connector is gone. */
int db_connector_oauth_grant(struct db *db, long long id, const char *sealed_refresh,
			     const char *subject, long long expires_in);
/* A refresh that answered: the new sealed refresh token (NULL keeps the stored one) and
 * the new expiry. */
int db_connector_oauth_refreshed(struct db *db, long long id, const char *sealed_refresh,
				 long long expires_in);
/* Records a started Connect, valid for ttl_s seconds (expired ones are deleted first). */
int db_oauth_state_put(struct db *db, const char *state_hash, long long connector_id,
		       long long user_id, const char *sealed_verifier, long long ttl_s);
/* Takes (reads and deletes, one transaction) the pending Connect of state_hash for the
 * connector: columns user_id, verifier (sealed), live (1 when not expired). DB_ENOTFOUND
 * when there is none (unknown, used already, or another connector's). */
int db_oauth_state_take(struct db *db, struct arena *a, const char *state_hash,
			long long connector_id, struct db_rows *out);
/* Every sealed variable: connector_id, name, value, in that column order. */
int db_connector_variables_for_rotation(struct db *db, struct arena *a, struct db_rows *out);
/* Replaces the sealed value of connector id's variable name. */
int db_connector_variable_reseal(struct db *db, long long id, const char *name, const char *sealed);

/* ---- the shared rate limit (src/db/rate.c) ---- */

/* Reserves connector id's next turn in the bucket every process shares: the later of now and
 * the next free instant, which then moves gap_us on; unless that turn lies more than
 * max_wait_us ahead. DB_OK with *wait_us the microseconds to wait for the turn (0: now), or,
 * refused, *wait_us -1 and *ahead_us how far ahead the next free instant is. The row is made
 * on first use. Conflicts with other nodes or processes taking a turn at once (deadlock,
 * Galera certification) are tried again with short random pauses; DB_ERETRY when they
 * outlast max_wait_us (the shared limit is busy: the caller refuses, it does not fall back).
 * Another db_err when the database cannot say (the caller falls back). */
int db_rate_take(struct db *db, long long id, long long gap_us, long long max_wait_us,
		 long long *wait_us, long long *ahead_us);

/* ---- endpoints ---- */

/* An endpoint as its list shows it (created_at and updated_at "" in a list). */
struct db_endpoint_head {
	long long id;
	const char *purpose, *description, *method, *url;
	long timeout;
	const char *created_at, *updated_at;
};
/* A connector's endpoints by id (*n of them, in a). */
int db_endpoint_list(struct db *db, struct arena *a, long long connector_id,
		     struct db_endpoint_head **out, size_t *n);
/* One endpoint of that connector; DB_ENOTFOUND when none. */
int db_endpoint_head_get(struct db *db, struct arena *a, long long connector_id, long long id,
			 struct db_endpoint_head *out);
/* One endpoint of that connector: id, connector_id, purpose, description, method, url,
 * timeout, body, sample_data, created_at, updated_at; DB_ENOTFOUND when none. */
int db_endpoint_get(struct db *db, struct arena *a, long long connector_id, long long id,
		    struct db_rows *out);
/* db_endpoint_get and its header and query parameter rows in order (name, value,
 * description, required): two round trips. */
int db_endpoint_load(struct db *db, struct arena *a, long long connector_id, long long id,
		     struct db_rows *ep, struct db_rows *headers, struct db_rows *params);
/* Everything a Test or an execute reads: the connector's authorization columns (those of
 * db_connector_auth_get, secrets sealed), the endpoint (those of db_endpoint_get) and its
 * header and query parameter rows (name, value, description, required). */
struct endpoint_def {
	struct db_rows conn, ep, headers, params;
	struct db_rows maps, fields; /* endpoint_items rows 'm' and 'f': name, value */
};
/* The endpoint from a row of endpoints (db_endpoint_get's or a definition's) with its header
 * and parameter rows (name, value, description, required) and its map and field rows (name,
 * value), in a. -1 when out of memory. */
int db_endpoint_of(struct arena *a, const struct db_rows *ep, const struct db_rows *headers,
		   const struct db_rows *params, const struct db_rows *maps,
		   const struct db_rows *fields, struct endpoint_input *out);
/* The endpoint eid of connector cid with all its rows, typed, in two round trips; *head
 * (NULL: not wanted) gets its id, created_at, updated_at... DB_ENOTFOUND when none. */
int db_endpoint_read(struct db *db, struct arena *a, long long connector_id, long long id,
		     struct endpoint_input *out, struct db_endpoint_head *head);
/* The endpoint eid of connector cid, or (purpose not NULL) the one with that purpose, equal
 * but for ASCII case. Two round trips; none when gens (read with the session or token, see
 * db.h) name an entry of this process's cache, filled by an earlier load at the same
 * counters: every save of a connector, its authorization or its endpoints moves them.
 * DB_ENOTFOUND when the connector or endpoint is not there. */
int db_endpoint_def(struct db *db, struct arena *a, const struct db_gens *gens, long long cid,
		    long long eid, const char *purpose, struct endpoint_def *out);
/* Endpoint, rows and the connector's version in one transaction. DB_EDUP: the purpose is
 * taken within the connector; DB_ENOTFOUND: the connector (or endpoint) is gone. */
int db_endpoint_create(struct db *db, long long connector_id, const struct endpoint_input *in,
		       long long user_id, long long *id, const struct db_audit *au);
int db_endpoint_update(struct db *db, long long connector_id, long long id,
		       const struct endpoint_input *in, long long user_id,
		       const struct db_audit *au);
/* Replaces the rows of endpoint id (headers, params, map and body field rows) by in's; inside
 * the caller's transaction. */
int db_endpoint_rows_save(struct db *db, long long id, const struct endpoint_input *in);
/* The endpoint with its rows, and the connector's version; DB_ENOTFOUND when gone. */
int db_endpoint_delete(struct db *db, long long connector_id, long long id, long long user_id);

/* ---- execution log ---- */

struct db_execution {
	long long connector_id;
	long long endpoint_id;
	long long user_id;
	long long token_id;	 /* the API token used, 0 for a session */
	const char *kind;	 /* test or execute */
	const char *environment; /* the environment it ran in (NULL or "": none) */
	const char *method;
	const char *url; /* secrets masked */
	long status;
	long long duration_us;
	long long size;
	const char *error;
	const char *detail;	   /* JSON (src/connector/detail.c); NULL: none */
	const char *request_body;  /* kept when the endpoint keeps bodies; NULL: not kept */
	const char *response_body; /* the same */
	long keep_minutes;	   /* the bodies' time (0: not kept) */
};
/* Queued for the log writer when it runs (src/db/logs.c), else written at once. */
int db_execution_log(struct db *db, const struct db_execution *e);

#endif
