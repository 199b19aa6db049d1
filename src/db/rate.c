/* A connector's rate limit shared by every process and host on the database: a token bucket
 * of one held in connector_rate (sql/024_key_passphrase_shared_rate.sql). A call reserves
 * the next free instant in one UPDATE under the row lock, on the database's clock (UTC, so
 * hosts need not agree on the time), and learns how long to wait from the session variables
 * that UPDATE set. On Galera, processes on different nodes updating the row at once are
 * certification conflicts (ER_LOCK_DEADLOCK): the turn is tried again (DB_ERETRY only when
 * conflicts outlast the allowed wait), so the limit holds across nodes; the caller's own
 * bucket is only for a database that cannot answer. */
#include <stdlib.h>
#include <time.h>

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

/* A conflict is another node taking a turn from the same row at the same moment (Galera
 * certification) or a deadlock: the turn is tried again after a short random pause, growing
 * with each conflict, for as long as the caller may wait, at most this many times. */
#define RATE_CONFLICTS 50
#define RATE_AGAIN     1 /* no row yet, or it changed between the UPDATE and the look: again */

static void
rate_pause(int conflicts)
{
	long cap = 2L << (conflicts < 5 ? conflicts : 5); /* 4, 8, ... 64 ms */
	long us = 500 + (long)((unsigned long)random() % (unsigned long)(cap * 1000));
	struct timespec ts = {0, us * 1000L};
	nanosleep(&ts, NULL);
}

/* One try for a turn: DB_OK with *wait_us (>= 0: the turn is that far ahead) or with
 * *wait_us = -1 and *ahead_us past max_wait_us (no turn reserved); RATE_AGAIN; or an error. */
static int
rate_turn(struct db *db, struct arena *a, long long id, long long gap_us, long long max_wait_us,
	  long long *wait_us, long long *ahead_us)
{
	struct db_rows r;
	int rc = db_exec(db, SQL[S_RATE_TAKE], "iii", gap_us, id, max_wait_us);
	if (rc != DB_OK)
		return rc;
	if (db_affected(db) > 0) {
		rc = db_query_row(db, a, &r, SQL[S_RATE_WAIT], "");
		if (rc == DB_OK)
			*wait_us = db_get_ll(&r, 0, "wait_us", 0);
		return rc;
	}
	/* Nothing updated: the turn lies too far ahead, or the row was not there. */
	rc = db_query_row(db, a, &r, SQL[S_RATE_AHEAD], "i", id);
	if (rc == DB_OK)
		return (*ahead_us = db_get_ll(&r, 0, "ahead_us", 0)) > max_wait_us ? DB_OK
										   : RATE_AGAIN;
	if (rc == DB_ENOTFOUND && (rc = db_exec(db, SQL[S_RATE_ADD], "i", id)) == DB_OK)
		return RATE_AGAIN;
	return rc;
}

int
db_rate_take(struct db *db, long long id, long long gap_us, long long max_wait_us,
	     long long *wait_us, long long *ahead_us)
{
	struct arena a;
	int rc, again = 0, conflicts = 0;
	long long t0 = time_now_us(), spent = 0;
	*wait_us = -1;
	*ahead_us = 0;
	arena_init(&a, 512);
	db_expect_conflicts(db, 1);
	for (;;) {
		/* Time spent on conflicts counts against the wait the caller allows. */
		rc = rate_turn(db, &a, id, gap_us, max_wait_us - spent, wait_us, ahead_us);
		if (rc == RATE_AGAIN && ++again < 3)
			continue;
		if (rc == DB_ERETRY && ++conflicts < RATE_CONFLICTS) {
			rate_pause(conflicts);
			if ((spent = time_now_us() - t0) < max_wait_us)
				continue;
		}
		break;
	}
	db_expect_conflicts(db, 0);
	if (conflicts)
		log_debug("db: connector %lld's rate limit turn took %d tries after conflicts (%s)",
			  id, conflicts + 1, rc == DB_OK ? "taken" : "given up");
	if (rc == RATE_AGAIN)
		rc = DB_EFAIL; /* still no turn after the last try */
	arena_free(&a);
	return rc;
}
