/* db/token_cache: the sealed OAuth token cache and the per-connector lease under which one
 * process at a time fetches a token (src/db/token_cache.c). The values are sealed text:
 * what they hold is connector/'s business. Every function returns a db_err (0 ok). */
#ifndef DCGATE_DB_TOKEN_CACHE_H
#define DCGATE_DB_TOKEN_CACHE_H

#include "db.h"

/* The cached row of the connector: access_token, refresh_token, token_type and fresh (1
 * until 30 s before expiry, or half the lifetime for tokens shorter than a minute; 1 when
 * no expiry is known); DB_ENOTFOUND when there is none. */
int db_token_cache_read(struct db *db, struct arena *a, long long connector_id,
			struct db_rows *out);
/* Stores (or replaces) the connector's row, fetched now, expiring in expires_in seconds (0
 * or less: no known expiry). */
int db_token_cache_store(struct db *db, long long connector_id, const char *access,
			 const char *refresh, const char *token_type, long long expires_in);
/* Every cached row (connector_id, access_token, refresh_token), locked until the
 * transaction ends: for key rotation. */
int db_token_cache_for_rotation(struct db *db, struct arena *a, struct db_rows *out);
/* Replaces the sealed cells of the connector's row (key rotation). */
int db_token_cache_reseal(struct db *db, long long connector_id, const char *access,
			  const char *refresh);

/* Makes an absent or expired lease of the connector owner's, for ttl_s seconds; one held by
 * another owner stays as it is (db_token_lease_mine tells which). */
int db_token_lease_take(struct db *db, long long connector_id, const char *owner, long long ttl_s);
/* *mine: 1 when owner holds the connector's lease, else 0; DB_ENOTFOUND when no lease is
 * there. */
int db_token_lease_mine(struct db *db, struct arena *a, long long connector_id, const char *owner,
			int *mine);
/* Gives the lease back when owner holds it. */
int db_token_lease_free(struct db *db, long long connector_id, const char *owner);

#endif
