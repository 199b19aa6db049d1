/* Key rotation: every sealed value in the database is opened with the ring (old keys) and
 * sealed again under the ring's current key, all in one transaction. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "crypt.h"
#include "../db/db.h"

static const char SQL_CONN_SECRETS[] =
    "SELECT id, auth_password, auth_token, client_secret FROM connectors"
    " WHERE auth_password IS NOT NULL OR auth_token IS NOT NULL OR client_secret IS NOT NULL"
    " FOR UPDATE";
static const char SQL_CONN_SET[] =
    "UPDATE connectors SET auth_password = ?, auth_token = ?, client_secret = ? WHERE id = ?";
static const char SQL_CACHE_ALL[] =
    "SELECT connector_id, access_token, refresh_token FROM token_cache FOR UPDATE";
static const char SQL_CACHE_SET[] =
    "UPDATE token_cache SET access_token = ?, refresh_token = ? WHERE connector_id = ?";

/* Opens one value under context and seals it again with the current key; NULL stays NULL. */
static int
reseal(const struct crypt_keyring *kr, struct arena *a, const char *context, const char *sealed,
       char **out)
{
	*out = NULL;
	if (!sealed || !*sealed)
		return CRYPT_OK;
	char *plain = NULL;
	size_t len = 0;
	int rc = crypt_open(kr, a, context, sealed, &plain, &len);
	if (rc != CRYPT_OK) {
		log_err("rotate: cannot open %s (%d)", context, rc);
		return rc;
	}
	rc = crypt_seal(kr, a, context, plain, len, out);
	OPENSSL_cleanse(plain, len);
	return rc;
}

static int
rotate_connectors(struct db *db, const struct crypt_keyring *kr, struct arena *a, int *count)
{
	static const char *const fields[] = {"password", "token", "client_secret"};
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL_CONN_SECRETS, "");
	for (size_t i = 0; rc == DB_OK && i < r.nrows; i++) {
		long long id = db_get_ll(&r, i, "id", 0);
		char *val[3];
		for (int f = 0; f < 3 && rc == DB_OK; f++) {
			char *ctx = arena_printf(a, "connector:%lld:%s", id, fields[f]);
			if (reseal(kr, a, ctx, db_cell(&r, i, (size_t)f + 1), &val[f]) != CRYPT_OK)
				rc = DB_EFAIL;
			else if (val[f])
				(*count)++;
		}
		if (rc == DB_OK)
			rc = db_exec(db, SQL_CONN_SET, "sssi", val[0], val[1], val[2], id);
	}
	return rc;
}

static int
rotate_token_cache(struct db *db, const struct crypt_keyring *kr, struct arena *a, int *count)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL_CACHE_ALL, "");
	for (size_t i = 0; rc == DB_OK && i < r.nrows; i++) {
		long long id = db_get_ll(&r, i, "connector_id", 0);
		char *ctx = arena_printf(a, "token_cache:%lld", id);
		char *access, *refresh;
		if (reseal(kr, a, ctx, db_cell(&r, i, 1), &access) != CRYPT_OK ||
		    reseal(kr, a, ctx, db_cell(&r, i, 2), &refresh) != CRYPT_OK)
			rc = DB_EFAIL;
		else
			rc = db_exec(db, SQL_CACHE_SET, "ssi", access ? access : "", refresh, id);
		if (rc == DB_OK)
			(*count)++;
	}
	return rc;
}

int
crypt_rotate_all(struct db *db, const struct crypt_keyring *kr, int *count)
{
	struct arena a;
	arena_init(&a, 64 * 1024);
	*count = 0;
	int rc = db_begin(db);
	if (rc == DB_OK)
		rc = rotate_connectors(db, kr, &a, count);
	if (rc == DB_OK)
		rc = rotate_token_cache(db, kr, &a, count);
	if (rc == DB_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	arena_free(&a);
	return rc == DB_OK ? CRYPT_OK : CRYPT_EFAIL;
}
