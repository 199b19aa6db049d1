/* The OAuth token cache and its lease (sql/008_token_lease.sql): one table of statements. */
#include "token_cache.h"

enum stmt {
	S_LEASE_TAKE,
	S_LEASE_MINE,
	S_LEASE_FREE,
	S_READ,
	S_STORE,
	S_CACHE_ALL,
	S_CACHE_SET,
	S__MAX
};
static const char *const SQL[S__MAX] = {
    /* An absent or expired lease becomes ours; one held by another owner stays as it is
     * (the assignments run left to right: expires_at moves only when owner is now ours). */
    [S_LEASE_TAKE] = "INSERT INTO token_leases (connector_id, owner, expires_at) "
		     "VALUES (?, ?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND) "
		     "ON DUPLICATE KEY UPDATE "
		     "owner = IF(expires_at <= UTC_TIMESTAMP(3), VALUES(owner), owner), "
		     "expires_at = IF(owner = VALUES(owner), VALUES(expires_at), expires_at)",
    [S_LEASE_MINE] = "SELECT owner = ? AS mine FROM token_leases WHERE connector_id = ?",
    [S_LEASE_FREE] = "DELETE FROM token_leases WHERE connector_id = ? AND owner = ?",
    /* Fresh until 30 s before expiry (half the lifetime for tokens shorter than a minute);
     * no expiry known: fresh until the data source answers 401. */
    [S_READ] = "SELECT access_token, refresh_token, token_type, "
	       "(expires_at IS NULL OR expires_at > UTC_TIMESTAMP() + INTERVAL "
	       "LEAST(30, TIMESTAMPDIFF(SECOND, fetched_at, expires_at) DIV 2) SECOND) AS fresh "
	       "FROM token_cache WHERE connector_id = ?",
    [S_STORE] = "INSERT INTO token_cache (connector_id, access_token, refresh_token, "
		"token_type, expires_at, fetched_at) VALUES (?, ?, ?, ?, "
		"IF(? > 0, UTC_TIMESTAMP() + INTERVAL ? SECOND, NULL), UTC_TIMESTAMP()) "
		"ON DUPLICATE KEY UPDATE access_token = VALUES(access_token), "
		"refresh_token = VALUES(refresh_token), token_type = VALUES(token_type), "
		"expires_at = VALUES(expires_at), fetched_at = VALUES(fetched_at)",
    [S_CACHE_ALL] = "SELECT connector_id, access_token, refresh_token FROM token_cache FOR UPDATE",
    [S_CACHE_SET] =
	"UPDATE token_cache SET access_token = ?, refresh_token = ? WHERE connector_id = ?",
};

int
db_token_cache_read(struct db *db, struct arena *a, long long connector_id, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL[S_READ], "i", connector_id);
}

int
db_token_cache_store(struct db *db, long long connector_id, const char *access, const char *refresh,
		     const char *token_type, long long expires_in)
{
	return db_exec(db, SQL[S_STORE], "isssii", connector_id, access, refresh, token_type,
		       expires_in, expires_in);
}

int
db_token_cache_for_rotation(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL[S_CACHE_ALL], "");
}

int
db_token_cache_reseal(struct db *db, long long connector_id, const char *access,
		      const char *refresh)
{
	return db_exec(db, SQL[S_CACHE_SET], "ssi", access, refresh, connector_id);
}

int
db_token_lease_take(struct db *db, long long connector_id, const char *owner, long long ttl_s)
{
	return db_exec(db, SQL[S_LEASE_TAKE], "isi", connector_id, owner, ttl_s);
}

int
db_token_lease_mine(struct db *db, struct arena *a, long long connector_id, const char *owner,
		    int *mine)
{
	struct db_rows rows;
	int rc = db_query_row(db, a, &rows, SQL[S_LEASE_MINE], "si", owner, connector_id);
	*mine = rc == DB_OK && db_get_ll(&rows, 0, "mine", 0) == 1;
	return rc;
}

int
db_token_lease_free(struct db *db, long long connector_id, const char *owner)
{
	return db_exec(db, SQL[S_LEASE_FREE], "is", connector_id, owner);
}
