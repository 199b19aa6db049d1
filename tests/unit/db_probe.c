/* db_probe: drives src/db against the real MariaDB of a test run (tests/integration/
 * engine.test.js runs it). "killed CONF": a transaction whose connection is killed between
 * two statements must fail as a whole, even when its caller ignores an error and goes on:
 * the statements after the loss do not run (they would run in autocommit on a new
 * connection), and COMMIT reports the failure. Prints one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"

static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS db_probe_rows (batch VARCHAR(64) NOT NULL, v INT NOT NULL)";
static const char SQL_ADD[] = "INSERT INTO db_probe_rows (batch, v) VALUES (?, ?)";
static const char SQL_COUNT[] = "SELECT COUNT(*) AS n FROM db_probe_rows WHERE batch = ?";
static const char SQL_ME[] = "SELECT CONNECTION_ID() AS id";

int
main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "killed") != 0) {
		fprintf(stderr, "usage: db_probe killed CONF\n");
		return 2;
	}
	struct config cfg;
	int line = 0;
	if (config_load(&cfg, argv[2], &line) != 0) {
		fprintf(stderr, "db_probe: cannot read %s (line %d)\n", argv[2], line);
		return 2;
	}
	struct db *tx, *other;
	struct arena a;
	arena_init(&a, 4096);
	if (db_open(&tx, &cfg) != DB_OK || db_open(&other, &cfg) != DB_OK ||
	    db_exec_script(other, SQL_CREATE, strlen(SQL_CREATE)) != DB_OK) {
		fprintf(stderr, "db_probe: no database\n");
		return 2;
	}
	char batch[64];
	snprintf(batch, sizeof(batch), "killed-%ld", (long)time_now_us());
	struct db_rows r;
	int begin = db_begin(tx);
	int first = db_exec(tx, SQL_ADD, "si", batch, 1LL);
	int me = db_query_row(tx, &a, &r, SQL_ME, "");
	long long id = me == DB_OK ? db_get_ll(&r, 0, "id", 0) : 0;
	char kill[64];
	snprintf(kill, sizeof(kill), "KILL CONNECTION %lld", id);
	int killed = db_exec_script(other, kill, strlen(kill));
	int second = db_exec(tx, SQL_ADD, "si", batch, 2LL); /* the loss shows here */
	int third = db_exec(tx, SQL_ADD, "si", batch, 3LL);  /* a careless caller goes on */
	int commit = db_commit(tx);
	int count = db_query_row(other, &a, &r, SQL_COUNT, "s", batch);
	long long rows = count == DB_OK ? db_get_ll(&r, 0, "n", -1) : -1;
	printf("{\"begin\":%d,\"first\":%d,\"killed\":%d,\"second\":%d,\"third\":%d,"
	       "\"commit\":%d,\"rows\":%lld}\n",
	       begin, first, killed, second, third, commit, rows);
	db_close(tx);
	db_close(other);
	db_pool_close();
	arena_free(&a);
	config_free(&cfg);
	return 0;
}
