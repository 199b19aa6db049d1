/* Execution-log rows as records: started before a Test runs, finished or cancelled, read
 * with their detail for /data-connector-logs/{id}. */
#include <mysql.h>

#include "environments.h"
#include "log_detail.h"

enum stmt {
	S_LOG_START,
	S_LOG_FINISH,
	S_LOG_CANCEL,
	S_LOG_GET,
	S_KEEP_DAYS,
	S_SET_KEEP_DAYS,
	S_ENDPOINT_THERE,
	S_EXPIRE_BODIES,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    [S_LOG_START] =
	"INSERT INTO execution_logs (connector_id, endpoint_id, user_id, token_id, kind, state,"
	" method, url, environment) VALUES (NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0),"
	" ?, 'running', ?, LEFT(?, 4096), LEFT(?, 64))",
    [S_LOG_FINISH] =
	"UPDATE execution_logs SET state = 'done', method = ?, url = LEFT(?, 4096), status = ?,"
	" duration_us = ?, size = ?, error = LEFT(?, 1024), detail = ?, request_body = ?,"
	" response_body = ?, body_expires_at = IF(? > 0 AND (? IS NOT NULL OR ? IS NOT NULL),"
	" UTC_TIMESTAMP() + INTERVAL ? MINUTE, NULL), finished_at = UTC_TIMESTAMP()"
	" WHERE id = ? AND state = 'running'",
    [S_LOG_CANCEL] =
	"UPDATE execution_logs SET state = 'cancelled', error = 'Cancelled before an answer came.',"
	" finished_at = UTC_TIMESTAMP() WHERE id = ? AND state = 'running'",
    [S_LOG_GET] =
	"SELECT l.id, l.connector_id, l.endpoint_id, l.user_id, l.kind, l.environment, l.state,"
	" l.method, l.url,"
	" l.status, l.duration_us, l.size, l.error, l.created_at, l.finished_at, l.detail,"
	" IF(l.body_expires_at > UTC_TIMESTAMP(), l.request_body, NULL) AS request_body,"
	" IF(l.body_expires_at > UTC_TIMESTAMP(), l.response_body, NULL) AS response_body,"
	" TIMESTAMPDIFF(SECOND, l.created_at, UTC_TIMESTAMP()) AS running_s,"
	" c.name AS connector_name, e.purpose AS endpoint_purpose,"
	" COALESCE(NULLIF(u.display_name, ''), u.username) AS user_name, t.name AS token_name"
	" FROM execution_logs l LEFT JOIN connectors c ON c.id = l.connector_id"
	" LEFT JOIN endpoints e ON e.id = l.endpoint_id LEFT JOIN users u ON u.id = l.user_id"
	" LEFT JOIN api_tokens t ON t.id = l.token_id WHERE l.id = ?",
    [S_KEEP_DAYS] = "SELECT keep_bodies_days AS d FROM endpoints WHERE id = ?",
    [S_SET_KEEP_DAYS] =
	"UPDATE endpoints SET keep_bodies_days = ? WHERE id = ? AND connector_id = ?",
    [S_ENDPOINT_THERE] = "SELECT id FROM endpoints WHERE id = ? AND connector_id = ?",
    [S_EXPIRE_BODIES] =
	"UPDATE execution_logs SET request_body = NULL, response_body = NULL,"
	" body_expires_at = NULL WHERE body_expires_at < UTC_TIMESTAMP() LIMIT 5000",
};

int
db_log_start(struct db *db, const struct db_execution *e, long long *id)
{
	int rc = db_exec(db, SQL[S_LOG_START], "iiiissss", e->connector_id, e->endpoint_id,
			 e->user_id, e->token_id, e->kind, e->method ? e->method : "",
			 e->url ? e->url : "", e->environment ? e->environment : "");
	if (rc == DB_OK)
		*id = (long long)db_last_id(db);
	return rc;
}

int
db_log_finish(struct db *db, long long id, const struct db_log_result *r)
{
	long long keep = r->keep_minutes;
	int rc = db_exec(db, SQL[S_LOG_FINISH], "ssiiissssissii", r->method ? r->method : "",
			 r->url ? r->url : "", (long long)r->status, r->duration_us, r->size,
			 r->error ? r->error : "", r->detail, r->request_body, r->response_body,
			 keep, r->request_body, r->response_body, keep, id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	return rc;
}

int
db_log_cancel(struct db *db, long long id)
{
	int rc = db_exec(db, SQL[S_LOG_CANCEL], "i", id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	return rc;
}

DB_ROW_READER(log_entry_of, struct log_entry, LOG_ENTRY_FIELDS)

int
db_log_get(struct db *db, struct arena *a, long long id, struct log_entry *out)
{
	struct db_rows r;
	return log_entry_of(db_query_row(db, a, &r, SQL[S_LOG_GET], "i", id), &r, out);
}

int
db_log_endpoint(struct db *db, struct arena *a, long long connector_id, long long id, int with_rows,
		struct endpoint_input *out)
{
	struct db_rows ep, h, p;
	int rc = with_rows ? db_endpoint_load(db, a, connector_id, id, &ep, &h, &p)
			   : db_endpoint_get(db, a, connector_id, id, &ep);
	if (rc == DB_OK && db_endpoint_of(a, &ep, with_rows ? &h : NULL, with_rows ? &p : NULL,
					  NULL, NULL, out) != 0)
		rc = DB_ENOMEM;
	return rc;
}

int
db_log_environment(struct db *db, struct arena *a, const struct db_gens *gens,
		   long long connector_id, const char *env, const char **name)
{
	struct db_rows r;
	int rc = db_env_find_cached(db, a, gens, connector_id, env, &r);
	*name = rc == DB_OK ? db_get_str(&r, 0, "name") : "";
	return rc;
}

long
db_endpoint_keep_days(struct db *db, long long endpoint_id)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 512);
	long d = 0;
	if (db_query_row(db, &a, &r, SQL[S_KEEP_DAYS], "i", endpoint_id) == DB_OK)
		d = (long)db_get_ll(&r, 0, "d", 0);
	arena_free(&a);
	return d;
}

int
db_endpoint_set_keep_days(struct db *db, long long connector_id, long long endpoint_id, long days)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 512);
	int rc = db_query_row(db, &a, &r, SQL[S_ENDPOINT_THERE], "ii", endpoint_id, connector_id);
	arena_free(&a);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_SET_KEEP_DAYS], "iii", (long long)days, endpoint_id,
			     connector_id);
	return rc;
}

int
db_log_expire_bodies(struct db *db, long long *cleared)
{
	*cleared = 0;
	for (;;) {
		int rc = db_exec(db, SQL[S_EXPIRE_BODIES], "");
		if (rc != DB_OK)
			return rc;
		unsigned long long n = db_affected(db);
		*cleared += (long long)n;
		if (n < 5000)
			return DB_OK;
	}
}

void
db_thread_begin(void)
{
	mysql_thread_init();
}

void
db_thread_end(void)
{
	mysql_thread_end();
}
