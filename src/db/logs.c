/* The execution log: a filtered page for the Logs pages, and the retention purge. */
#include "logs.h"

#define LOG_WHERE                                                                                  \
	" WHERE (? = 0 OR l.connector_id = ?)"                                                     \
	" AND (? = 0 OR (? = 1) = (l.status BETWEEN 200 AND 299 AND l.error = ''))"                \
	" AND (? IS NULL OR l.created_at >= ?)"                                                    \
	" AND (? IS NULL OR l.created_at < DATE_ADD(?, INTERVAL 1 DAY))"

static const char SQL_LOG_PAGE[] =
    "SELECT l.id, l.created_at, l.kind, l.method, l.url, l.status, l.duration_us, l.size,"
    " l.error, l.connector_id, l.endpoint_id, c.name AS connector_name,"
    " e.purpose AS endpoint_purpose,"
    " COALESCE(NULLIF(u.display_name, ''), u.username) AS user_name, t.name AS token_name"
    " FROM execution_logs l LEFT JOIN connectors c ON c.id = l.connector_id"
    " LEFT JOIN endpoints e ON e.id = l.endpoint_id LEFT JOIN users u ON u.id = l.user_id"
    " LEFT JOIN api_tokens t ON t.id = l.token_id" LOG_WHERE
    " ORDER BY l.created_at DESC, l.id DESC LIMIT ? OFFSET ?";
static const char SQL_LOG_COUNT[] = "SELECT COUNT(*) AS n FROM execution_logs l" LOG_WHERE;
static const char SQL_LOG_CONNECTORS[] =
    "SELECT c.id, c.name FROM connectors c WHERE c.id IN"
    " (SELECT DISTINCT connector_id FROM execution_logs) ORDER BY c.name LIMIT 500";
static const char SQL_LOG_PURGE[] =
    "DELETE FROM execution_logs WHERE created_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT 5000";

int
db_log_list(struct db *db, struct arena *a, const struct log_query *q, struct db_rows *out,
	    long long *total)
{
	struct db_rows n;
	long long st = q->status;
	int rc = db_query_row(db, a, &n, SQL_LOG_COUNT, "iiiissss", q->connector_id,
			      q->connector_id, st, st, q->from, q->from, q->to, q->to);
	if (rc != DB_OK)
		return rc;
	*total = db_get_ll(&n, 0, "n", 0);
	return db_query(db, a, out, SQL_LOG_PAGE, "iiiissssii", q->connector_id, q->connector_id,
			st, st, q->from, q->from, q->to, q->to, (long long)q->limit, q->offset);
}

int
db_log_connectors(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL_LOG_CONNECTORS, "");
}

int
db_log_purge(struct db *db, long days, long long *deleted)
{
	*deleted = 0;
	for (;;) {
		int rc = db_exec(db, SQL_LOG_PURGE, "i", (long long)days);
		if (rc != DB_OK)
			return rc;
		unsigned long long n = db_affected(db);
		*deleted += (long long)n;
		if (n < 5000)
			return DB_OK;
	}
}
