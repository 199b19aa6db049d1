/* db/environments: a connector's environments (sql/022_environments.sql) with their plain and
 * sealed variables (src/db/environments.c). Sealed values are sealed text: what they hold is
 * connector/'s business. Every function takes the request arena for results and returns a
 * db_err (0 ok). */
#ifndef DCGATE_DB_ENVIRONMENTS_H
#define DCGATE_DB_ENVIRONMENTS_H

#include "db.h"

/* One variable of an environment. */
struct db_env_var {
	const char *name;
	int sealed;
	const char *value; /* the text (plain), the sealed text, or NULL: a sealed value not set */
	long long environment_id; /* read only (db_env_vars_of_connector) */
};

/* One stored environment: secrets are sealed text (NULL: none stored), other text "" when
 * none. */
struct db_environment {
	long long id, connector_id;
	const char *name;
	const char *seal_key;
	int is_default;
	const char *base_url;
	const char *allowed_origins;
	int auth_override;
	const char *username;
	const char *password; /* sealed */
	const char *token;    /* sealed */
	const char *api_key;  /* sealed */
	const char *client_id;
	const char *client_secret; /* sealed */
	const char *token_url;
	const char *token_origin;
	const char *created_at, *updated_at;
	long long version;
	long long nvars; /* its variables */
	long long unset; /* its sealed variables without a value */
};

/* What a save of an environment writes. Secrets are sealed text (NULL: none stored). */
struct db_env_fields {
	const char *name;
	const char *seal_key; /* create only: 32 random hex characters */
	int is_default;	      /* the others of the connector stop being the default */
	const char *base_url;
	const char *allowed_origins;
	int auth_override;
	const char *username;
	const char *password; /* sealed */
	const char *token;    /* sealed */
	const char *api_key;  /* sealed */
	const char *client_id;
	const char *client_secret; /* sealed */
	const char *token_url;
	const char *token_origin;
	const struct db_env_var *vars;
	size_t nvars;
	long long version;    /* update only: the version the save started from (0: no check) */
	long long restore_id; /* db_env_restore only: its id in the snapshot (0: an older
				 snapshot without ids, matched by name) */
};

/* Columns of one environment: id, connector_id, name, seal_key, is_default, base_url,
 * allowed_origins, auth_override, auth_username, auth_password, auth_token, api_key,
 * client_id, client_secret, token_url, token_origin (secrets sealed), created_at,
 * updated_at, version, nvars (its variables), unset (its sealed variables without a
 * value). */

/* The one named name (case ignored), or the default with name NULL or ""; DB_ENOTFOUND
 * when there is none. Read through this process's cache under gens' connectors counter,
 * which every change of an environment or its variables moves: no round trip for a run
 * in the same state (none cached without gens). */
int db_env_find_cached(struct db *db, struct arena *a, const struct db_gens *gens,
		       long long connector_id, const char *name, struct db_rows *out);
/* db_env_find_cached's environment as a struct. */
int db_env_find(struct db *db, struct arena *a, const struct db_gens *gens, long long connector_id,
		const char *name, struct db_environment *out);
/* The connector's environments by name (*n of them, in a). */
int db_env_list(struct db *db, struct arena *a, long long connector_id, struct db_environment **out,
		size_t *n);
/* One; DB_ENOTFOUND when it is not the connector's. */
int db_env_get(struct db *db, struct arena *a, long long connector_id, long long id,
	       struct db_environment *out);
/* Its variables (value: sealed text for sealed ones, NULL when not set), in order. */
int db_env_vars(struct db *db, struct arena *a, long long environment_id, struct db_env_var **out,
		size_t *n);
/* Every variable of the connector's environments, by environment (environment_id set), each
 * environment's in order. */
int db_env_vars_of_connector(struct db *db, struct arena *a, long long connector_id,
			     struct db_env_var **out, size_t *n);

/* Environment and variables, the connector's version and history, and au, in one
 * transaction. DB_EDUP: the name is taken within the connector; DB_ENOTFOUND: the
 * connector (or environment) is gone. */
int db_env_create(struct db *db, long long connector_id, const struct db_env_fields *f,
		  long long user_id, long long *id, const struct db_audit *au);
int db_env_update(struct db *db, long long connector_id, long long id,
		  const struct db_env_fields *f, long long user_id, const struct db_audit *au);
int db_env_delete(struct db *db, long long connector_id, long long id, long long user_id,
		  const struct db_audit *au);
/* Inserts one inside the caller's transaction (an import): no version, no audit. */
int db_env_insert(struct db *db, long long connector_id, const struct db_env_fields *f,
		  long long *id);

/* A version restore, inside the caller's transaction: each of envs (n of them) is matched
 * by restore_id first (the same environment, even renamed since), then by name (case
 * ignored; an older snapshot without ids), and gets its name and plain settings back —
 * default flag, base URL, own authorization on or off, username, client id, token URL —
 * and its plain variables as the snapshot lists them. Secrets stay as they are: sealed
 * credentials, sealed variables that have a value (a sealed one the snapshot lists but that
 * is gone comes back without a value, to enter again), allowed_origins and token_origin
 * (they change only with the secrets they bind). One gone since is made again (seal_key: a
 * new key) with its allowed origins and no secret. Environments the snapshot does not have
 * are kept as they are (they may hold secrets). When one of envs is the default, the others
 * stop being it. DB_ENV_ENAME: an environment the snapshot does not have holds the name
 * one of envs gets back (nothing is written: the caller rolls back). */
#define DB_ENV_ENAME (-31)
int db_env_restore(struct db *db, long long connector_id, const struct db_env_fields *envs,
		   size_t n);

/* ---- key rotation (one transaction of the caller's; rows locked until it ends) ---- */

/* Every environment holding a sealed column: id, connector_id, seal_key, auth_password,
 * auth_token, api_key, client_secret. */
#define DB_ENV_SEALED_COLUMNS 4
int db_env_secrets_for_rotation(struct db *db, struct arena *a, struct db_rows *out);
int db_env_secrets_reseal(struct db *db, long long id,
			  const char *const vals[DB_ENV_SEALED_COLUMNS]);
/* Every sealed variable with a value: environment_id, connector_id, seal_key, name, value. */
int db_env_vars_for_rotation(struct db *db, struct arena *a, struct db_rows *out);
int db_env_var_reseal(struct db *db, long long environment_id, const char *name,
		      const char *sealed);

#endif
