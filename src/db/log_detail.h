/* db/log_detail: one execution-log row as a record (sql/020_execution_detail.sql): a Test
 * writes its row before it runs (state running), then finishes it with what happened
 * (detail JSON, bodies when the endpoint keeps them) or is cancelled. */
#ifndef DCGATE_DB_LOG_DETAIL_H
#define DCGATE_DB_LOG_DETAIL_H

#include "endpoints.h"
#include "rows.h"

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
/* One execution-log row (src/db/rows.h): request_body and response_body NULL once expired
 * (or never kept), running_s the seconds since it was created; the names NULL when the
 * connector, endpoint, user or token is gone or none. */
#define LOG_ENTRY_FIELDS(X)                                                                        \
	X(id, INT)                                                                                 \
	X(connector_id, INT)                                                                       \
	X(endpoint_id, INT)                                                                        \
	X(user_id, INT)                                                                            \
	X(kind, TEXT)                                                                              \
	X(environment, TEXT)                                                                       \
	X(state, TEXT)                                                                             \
	X(method, TEXT)                                                                            \
	X(url, TEXT)                                                                               \
	X(status, INT)                                                                             \
	X(duration_us, INT)                                                                        \
	X(size, INT)                                                                               \
	X(error, TEXT)                                                                             \
	X(created_at, TEXT)                                                                        \
	X(finished_at, NTEXT)                                                                      \
	X(detail, TEXT)                                                                            \
	X(request_body, NTEXT)                                                                     \
	X(response_body, NTEXT)                                                                    \
	X(running_s, INT)                                                                          \
	X(connector_name, NTEXT)                                                                   \
	X(endpoint_purpose, NTEXT)                                                                 \
	X(user_name, NTEXT)                                                                        \
	X(token_name, NTEXT)
struct log_entry {
	LOG_ENTRY_FIELDS(DB_ROW_MEMBER)
};
/* The row id; DB_ENOTFOUND when there is none. */
int db_log_get(struct db *db, struct arena *a, long long id, struct log_entry *out);
/* What a run of endpoint eid of connector cid reads before it starts: the endpoint's fields
 * and (with_rows) its header and query parameter rows, typed. DB_ENOTFOUND when gone. */
int db_log_endpoint(struct db *db, struct arena *a, long long connector_id, long long id,
		    int with_rows, struct endpoint_input *out);
/* The name of connector cid's environment named env (case ignored), or of its default with
 * env NULL or "", through db_env_find_cached; DB_ENOTFOUND when there is none. */
int db_log_environment(struct db *db, struct arena *a, const struct db_gens *gens,
		       long long connector_id, const char *env, const char **name);
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
