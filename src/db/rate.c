/* A connector's rate limit shared by every process and host on the database: a token bucket
 * of one held in connector_rate (sql/024_key_passphrase_shared_rate.sql). A call reserves
 * the next free instant in one UPDATE under the row lock, on the database's clock (UTC, so
 * hosts need not agree on the time), and learns how long to wait from the session variables
 * that UPDATE set. */
#include "endpoints.h"

/* Now on the database's clock, in microseconds (the session's time zone is UTC). */
#define RATE_NOW_US "CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)"

enum stmt { S_RATE_TAKE, S_RATE_WAIT, S_RATE_AHEAD, S_RATE_ADD, S__MAX };

static const char *const SQL[S__MAX] = {
    /* The turn: the later of the next free instant and now, unless it lies more than the allowed
     * wait ahead; the next free instant moves one gap past it. NOW(6) is one value in a
     * statement. */
    [S_RATE_TAKE] =
	"UPDATE connector_rate SET next_us = (@dc_rate_at := GREATEST(next_us, @dc_rate_now "
	":= " RATE_NOW_US ")) + ? WHERE connector_id = ? AND GREATEST(next_us, " RATE_NOW_US
	") <= " RATE_NOW_US " + ?",
    [S_RATE_WAIT] = "SELECT @dc_rate_at - @dc_rate_now AS wait_us",
    [S_RATE_AHEAD] = "SELECT GREATEST(next_us - " RATE_NOW_US
		     ", 0) AS ahead_us FROM connector_rate WHERE connector_id = ?",
    [S_RATE_ADD] = "INSERT IGNORE INTO connector_rate (connector_id) VALUES (?)",
};

int
db_rate_take(struct db *db, long long id, long long gap_us, long long max_wait_us,
	     long long *wait_us, long long *ahead_us)
{
	struct arena a;
	struct db_rows r;
	int rc = DB_OK;
	*wait_us = -1;
	*ahead_us = 0;
	arena_init(&a, 512);
	/* A row made by another call between our UPDATE and SELECT, or one we make: again. */
	for (int tries = 0; tries < 3; tries++) {
		if ((rc = db_exec(db, SQL[S_RATE_TAKE], "iii", gap_us, id, max_wait_us)) != DB_OK)
			break;
		if (db_affected(db) > 0) {
			rc = db_query_row(db, &a, &r, SQL[S_RATE_WAIT], "");
			if (rc == DB_OK)
				*wait_us = db_get_ll(&r, 0, "wait_us", 0);
			break;
		}
		/* Nothing updated: the turn lies too far ahead, or the row was not there. */
		rc = db_query_row(db, &a, &r, SQL[S_RATE_AHEAD], "i", id);
		if (rc == DB_OK && (*ahead_us = db_get_ll(&r, 0, "ahead_us", 0)) > max_wait_us)
			break;
		if (rc == DB_ENOTFOUND)
			rc = db_exec(db, SQL[S_RATE_ADD], "i", id);
		if (rc != DB_OK)
			break;
		rc = DB_EFAIL; /* still no turn after the last try */
	}
	arena_free(&a);
	return rc;
}
