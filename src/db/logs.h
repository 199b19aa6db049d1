/* db/logs: reading and purging the execution log (every Test and API execute; rows are
 * written by db_execution_log in src/db/endpoints.c). */
#ifndef DCGATE_DB_LOGS_H
#define DCGATE_DB_LOGS_H

#include "rows.h"

enum log_status { LOG_ANY, LOG_OK, LOG_ERROR }; /* ok: a 2xx answer and no error */

struct log_query {
	long long connector_id; /* 0: every connector */
	enum log_status status;
	const char *from; /* "YYYY-MM-DD" (UTC, inclusive) or NULL */
	const char *to;	  /* "YYYY-MM-DD" (UTC, inclusive) or NULL */
	long long offset;
	long limit;
};

/* A row of the list (rows.h): NTEXT members are NULL when the column is (the connector,
 * endpoint, user or token gone or none). */
#define LOG_ROW_FIELDS(X)                                                                          \
	X(id, INT)                                                                                 \
	X(created_at, NTEXT)                                                                       \
	X(kind, NTEXT)                                                                             \
	X(method, NTEXT)                                                                           \
	X(url, NTEXT)                                                                              \
	X(status, INT)                                                                             \
	X(duration_us, INT)                                                                        \
	X(size, INT)                                                                               \
	X(error, NTEXT)                                                                            \
	X(environment, TEXT)                                                                       \
	X(connector_id, INT)                                                                       \
	X(endpoint_id, INT)                                                                        \
	X(connector_name, NTEXT)                                                                   \
	X(endpoint_purpose, NTEXT)                                                                 \
	X(user_name, NTEXT)                                                                        \
	X(token_name, NTEXT)
struct log_row {
	LOG_ROW_FIELDS(DB_ROW_MEMBER)
};
/* One page, newest first (*rows in the arena); *total counts every match. */
int db_log_list(struct db *db, struct arena *a, const struct log_query *q, struct log_row **rows,
		size_t *n, long long *total);
/* A connector that has log rows. */
#define LOG_CONNECTOR_FIELDS(X)                                                                    \
	X(id, INT)                                                                                 \
	X(name, NTEXT)
struct log_connector {
	LOG_CONNECTOR_FIELDS(DB_ROW_MEMBER)
};
/* Connectors that have log rows, by name, at most 500: the filter's choices. */
int db_log_connectors(struct db *db, struct arena *a, struct log_connector **rows, size_t *n);
/* Deletes rows older than days days, in batches; *deleted counts them. */
int db_log_purge(struct db *db, long days, long long *deleted);

/* ---- the log writer: execution log rows written in batches, off the request path ---- */

struct config;
struct db_execution;
/* Starts this process's writer thread with its own connection: from then on
 * db_execution_log queues rows, which are written in order within milliseconds, many per
 * statement under load. */
int db_log_writer_start(const struct config *cfg);
/* Writes what is queued and stops the thread (at exit, after the workers are done). */
void db_log_writer_stop(void);
/* Queues a copy of the row; DB_EFAIL when no writer runs (then the caller writes it). */
int db_log_writer_enqueue(const struct db_execution *e);
/* Waits (at most about two seconds) until every row queued before the call is in the
 * database: a Logs page shows the Test that was just run. */
void db_log_writer_flush(void);

#endif
