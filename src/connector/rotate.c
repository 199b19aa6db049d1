/* Key rotation: every sealed value in the database (connector secrets, sealed variables,
 * token cache) is opened with the ring (old keys too) and sealed again under the ring's
 * current key, all in one transaction. It lives here, not in crypt/, because it knows the tables
 * and the sealing contexts (secrets.c); crypt/ stays a leaf over core/. */
#include <openssl/crypto.h>
#include <string.h>

#include "../db/endpoints.h"
#include "../db/environments.h"
#include "../db/token_cache.h"
#include "connector.h"

/* Secret s of connector id opened and sealed again with the current key; NULL stays NULL.
 * The plaintext is wiped from the arena as soon as it is sealed. */
static int
reseal_secret(const struct crypt_keyring *kr, struct arena *a, long long id,
	      enum connector_secret s, const char *sealed, char **out)
{
	char *plain = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = connector_secret_open(kr, a, id, s, sealed, &plain, &len);
	if (rc != CRYPT_OK) {
		log_err("rotate: cannot open the %s of connector %lld (%d)",
			connector_secret_names[s], id, rc);
		return rc;
	}
	if (!plain)
		return CRYPT_OK;
	rc = connector_secret_seal(kr, a, id, s, plain, len, out);
	OPENSSL_cleanse(plain, len);
	return rc;
}

/* The same for a cell of connector id's token cache row. */
static int
reseal_token(const struct crypt_keyring *kr, struct arena *a, long long id, const char *sealed,
	     char **out)
{
	char *plain = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = connector_token_open(kr, a, id, sealed, &plain, &len);
	if (rc != CRYPT_OK) {
		log_err("rotate: cannot open the token cache of connector %lld (%d)", id, rc);
		return rc;
	}
	if (!plain)
		return CRYPT_OK;
	rc = connector_token_seal(kr, a, id, plain, len, out);
	OPENSSL_cleanse(plain, len);
	return rc;
}

_Static_assert(CONNECTOR_SECRET__MAX == DB_CONNECTOR_SEALED_COLUMNS,
	       "every sealed connector column is re-sealed, in the enum's order");

/* Every connector row holding a secret, locked (FOR UPDATE) so that a save in between
 * cannot be sealed under the old key and then overwritten. */
static int
rotate_connectors(struct db *db, const struct crypt_keyring *kr, struct arena *a, int *count)
{
	struct db_rows r;
	int rc = db_connector_secrets_for_rotation(db, a, &r);
	for (size_t i = 0; rc == DB_OK && i < r.nrows; i++) {
		long long id = db_get_ll(&r, i, "id", 0);
		char *val[CONNECTOR_SECRET__MAX];
		for (int s = 0; s < CONNECTOR_SECRET__MAX && rc == DB_OK; s++) {
			if (reseal_secret(kr, a, id, (enum connector_secret)s,
					  db_cell(&r, i, (size_t)s + 1), &val[s]) != CRYPT_OK)
				rc = DB_EFAIL;
			else if (val[s])
				(*count)++;
		}
		if (rc == DB_OK)
			rc = db_connector_secrets_reseal(db, id, (const char *const *)val);
	}
	return rc;
}

/* Every sealed variable, locked likewise. */
static int
rotate_variables(struct db *db, const struct crypt_keyring *kr, struct arena *a, int *count)
{
	struct db_rows r;
	int rc = db_connector_variables_for_rotation(db, a, &r);
	for (size_t i = 0; rc == DB_OK && i < r.nrows; i++) {
		long long id = db_get_ll(&r, i, "connector_id", 0);
		const char *name = db_cell(&r, i, 1);
		char *plain = NULL, *sealed = NULL;
		size_t len = 0;
		if (connector_variable_open(kr, a, id, name, db_cell(&r, i, 2), &plain, &len) !=
		    CRYPT_OK) {
			log_err("rotate: cannot open the variable %s of connector %lld", name, id);
			rc = DB_EFAIL;
			break;
		}
		if (!plain)
			continue;
		int sc = connector_variable_seal(kr, a, id, name, plain, len, &sealed);
		OPENSSL_cleanse(plain, len);
		if (sc != CRYPT_OK) {
			rc = DB_EFAIL;
			break;
		}
		rc = db_connector_variable_reseal(db, id, name, sealed);
		if (rc == DB_OK)
			(*count)++;
	}
	return rc;
}

/* The environments' sealed columns (password, token, api_key, client_secret), locked
 * likewise. */
static int
rotate_env_secrets(struct db *db, const struct crypt_keyring *kr, struct arena *a, int *count)
{
	static const enum connector_secret which[DB_ENV_SEALED_COLUMNS] = {
	    CONNECTOR_SECRET_PASSWORD, CONNECTOR_SECRET_TOKEN, CONNECTOR_SECRET_API_KEY,
	    CONNECTOR_SECRET_CLIENT_SECRET};
	struct db_rows r;
	int rc = db_env_secrets_for_rotation(db, a, &r);
	for (size_t i = 0; rc == DB_OK && i < r.nrows; i++) {
		long long id = db_get_ll(&r, i, "id", 0), cid = db_get_ll(&r, i, "connector_id", 0);
		const char *key = db_cell(&r, i, 2);
		char *val[DB_ENV_SEALED_COLUMNS];
		for (int s = 0; s < DB_ENV_SEALED_COLUMNS && rc == DB_OK; s++) {
			char *plain = NULL;
			size_t len = 0;
			val[s] = NULL;
			if (connector_env_secret_open(kr, a, cid, key, which[s],
						      db_cell(&r, i, 3 + s), &plain,
						      &len) != CRYPT_OK) {
				log_err("rotate: cannot open a secret of environment %lld", id);
				rc = DB_EFAIL;
				break;
			}
			if (!plain)
				continue;
			int sc = connector_env_secret_seal(kr, a, cid, key, which[s], plain, len,
							   &val[s]);
			OPENSSL_cleanse(plain, len);
			if (sc != CRYPT_OK)
				rc = DB_EFAIL;
			else
				(*count)++;
		}
		if (rc == DB_OK)
			rc = db_env_secrets_reseal(db, id, (const char *const *)val);
	}
	return rc;
}

/* The environments' sealed variables, locked likewise. */
static int
rotate_env_variables(struct db *db, const struct crypt_keyring *kr, struct arena *a, int *count)
{
	struct db_rows r;
	int rc = db_env_vars_for_rotation(db, a, &r);
	for (size_t i = 0; rc == DB_OK && i < r.nrows; i++) {
		long long eid = db_get_ll(&r, i, "environment_id", 0);
		long long cid = db_get_ll(&r, i, "connector_id", 0);
		const char *key = db_cell(&r, i, 2), *name = db_cell(&r, i, 3);
		char *plain = NULL, *sealed = NULL;
		size_t len = 0;
		if (connector_env_variable_open(kr, a, cid, key, name, db_cell(&r, i, 4), &plain,
						&len) != CRYPT_OK) {
			log_err("rotate: cannot open the variable %s of environment %lld", name,
				eid);
			return DB_EFAIL;
		}
		if (!plain)
			continue;
		int sc = connector_env_variable_seal(kr, a, cid, key, name, plain, len, &sealed);
		OPENSSL_cleanse(plain, len);
		if (sc != CRYPT_OK)
			return DB_EFAIL;
		rc = db_env_var_reseal(db, eid, name, sealed);
		if (rc == DB_OK)
			(*count)++;
	}
	return rc;
}

/* Every cached OAuth token, locked likewise; a token that cannot be opened fails the whole
 * rotation rather than being left under a key about to go away. */
static int
rotate_token_cache(struct db *db, const struct crypt_keyring *kr, struct arena *a, int *count)
{
	struct db_rows r;
	int rc = db_token_cache_for_rotation(db, a, &r);
	for (size_t i = 0; rc == DB_OK && i < r.nrows; i++) {
		long long id = db_get_ll(&r, i, "connector_id", 0);
		char *access, *refresh;
		if (reseal_token(kr, a, id, db_cell(&r, i, 1), &access) != CRYPT_OK ||
		    reseal_token(kr, a, id, db_cell(&r, i, 2), &refresh) != CRYPT_OK)
			rc = DB_EFAIL;
		else
			rc = db_token_cache_reseal(db, id, access ? access : "", refresh);
		if (rc == DB_OK)
			(*count)++;
	}
	return rc;
}

int
connector_rotate_keys(struct db *db, const struct crypt_keyring *kr, int *count)
{
	struct arena a;
	arena_init(&a, 64 * 1024);
	*count = 0;
	int rc = db_begin(db);
	if (rc == DB_OK)
		rc = rotate_connectors(db, kr, &a, count);
	if (rc == DB_OK)
		rc = rotate_variables(db, kr, &a, count);
	if (rc == DB_OK)
		rc = rotate_env_secrets(db, kr, &a, count);
	if (rc == DB_OK)
		rc = rotate_env_variables(db, kr, &a, count);
	if (rc == DB_OK)
		rc = rotate_token_cache(db, kr, &a, count);
	if (rc == DB_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	arena_free(&a);
	return rc == DB_OK ? CRYPT_OK : CRYPT_EFAIL;
}
