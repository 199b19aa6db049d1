/* db/log_detail: one execution-log row as a record (sql/020_execution_detail.sql): a Test
 * writes its row before it runs (state running), then finishes it with what happened
 * (detail JSON, bodies when the endpoint keeps them) or is cancelled. */
#ifndef DCGATE_DB_LOG_DETAIL_H
#define DCGATE_DB_LOG_DETAIL_H

#include "endpoints.h"

/* Inserts e as a running row now (not through the batch writer: its id is needed). */
int db_log_start(struct db *db, const struct db_execution *e, long long *id);

/* What a finished run adds to its row. */
struct db_log_result {
	const char *method, *url; /* as sent, masked */
	long status;
	long long duration_us, size;
	const char *error;
	const char *detail;	   /* JSON */
	const char *request_body;  /* NULL: not kept */
	const char *response_body; /* NULL: not kept */
	long keep_minutes;	   /* bodies kept this long (0: not kept) */
};
/* Finishes a running row; DB_ENOTFOUND when it is no longer running (cancelled). */
int db_log_finish(struct db *db, long long id, const struct db_log_result *r);
/* Marks a running row cancelled; DB_ENOTFOUND when it is not running. */
int db_log_cancel(struct db *db, long long id);
/* Columns id, connector_id, endpoint_id, user_id, kind, state, method, url, status,
 * duration_us, size, error, created_at, finished_at, detail, request_body and
 * response_body (NULL once expired), running_s (seconds since created), connector_name,
 * endpoint_purpose, user_name, token_name. DB_ENOTFOUND when there is none. */
int db_log_get(struct db *db, struct arena *a, long long id, struct db_rows *out);
/* The endpoint's keep_bodies_days (0 when it is gone). */
long db_endpoint_keep_days(struct db *db, long long endpoint_id);
/* Sets the endpoint's keep_bodies_days; DB_ENOTFOUND when it is gone. */
int db_endpoint_set_keep_days(struct db *db, long long connector_id, long long endpoint_id,
			      long days);
/* Clears bodies past their expiry; *cleared counts the rows. */
int db_log_expire_bodies(struct db *db, long long *cleared);

/* For a thread of its own that uses the database (MariaDB's per-thread state). */
void db_thread_begin(void);
void db_thread_end(void);

#endif
