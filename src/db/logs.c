/* The execution log: the writer that inserts rows in batches off the request path, a
 * filtered page for the Logs pages, and the retention purge. */
#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "endpoints.h"
#include "logs.h"

#define LOG_WHERE                                                                                  \
	" WHERE (? = 0 OR l.connector_id = ?)"                                                     \
	" AND (? = 0 OR (? = 1) = (l.status BETWEEN 200 AND 299 AND l.error = ''))"                \
	" AND (? IS NULL OR l.created_at >= ?)"                                                    \
	" AND (? IS NULL OR l.created_at < DATE_ADD(?, INTERVAL 1 DAY))"

DB_ROWS_READER(log_rows_of, struct log_row, LOG_ROW_FIELDS)
DB_ROWS_READER(log_connectors_of, struct log_connector, LOG_CONNECTOR_FIELDS)

enum stmt {
	S_LOG_PAGE,
	S_LOG_COUNT,
	S_LOG_CONNECTORS,
	S_LOG_PURGE,
	S_LOG_BATCH,
	S_LOG_ROW,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    [S_LOG_PAGE] =
	"SELECT l.id, l.created_at, l.kind, l.method, l.url, l.status, l.duration_us, l.size,"
	" l.error, l.environment, l.connector_id, l.endpoint_id, c.name AS connector_name,"
	" e.purpose AS endpoint_purpose,"
	" COALESCE(NULLIF(u.display_name, ''), u.username) AS user_name, t.name AS token_name"
	" FROM execution_logs l LEFT JOIN connectors c ON c.id = l.connector_id"
	" LEFT JOIN endpoints e ON e.id = l.endpoint_id LEFT JOIN users u ON u.id = l.user_id"
	" LEFT JOIN api_tokens t ON t.id = l.token_id" LOG_WHERE
	" ORDER BY l.created_at DESC, l.id DESC LIMIT ? OFFSET ?",
    [S_LOG_COUNT] = "SELECT COUNT(*) AS n FROM execution_logs l" LOG_WHERE,
    [S_LOG_CONNECTORS] =
	"SELECT c.id, c.name FROM connectors c WHERE c.id IN"
	" (SELECT DISTINCT connector_id FROM execution_logs) ORDER BY c.name LIMIT 500",
    [S_LOG_PURGE] =
	"DELETE FROM execution_logs WHERE created_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT 5000",
    [S_LOG_BATCH] =
	"INSERT INTO execution_logs (connector_id, endpoint_id, user_id, token_id, kind, method,"
	" url, status, duration_us, size, error, created_at, environment, detail, request_body,"
	" response_body, body_expires_at)"
	" SELECT NULLIF(j.c, 0), NULLIF(j.e, 0), NULLIF(j.u, 0), NULLIF(j.t, 0), j.k, j.m,"
	" LEFT(j.url, 4096), j.s, j.d, j.z, LEFT(j.err, 1024), j.at, LEFT(j.env, 64), j.dt, j.rq,"
	" j.rs, IF(j.km > 0 AND (j.rq IS NOT NULL OR j.rs IS NOT NULL), j.at + INTERVAL j.km"
	" MINUTE, NULL) FROM JSON_TABLE(?, '$[*]'"
	" COLUMNS (n FOR ORDINALITY, c BIGINT PATH '$.c', e BIGINT PATH '$.e',"
	" u BIGINT PATH '$.u', t BIGINT PATH '$.t',"
	" k VARCHAR(16) CHARACTER SET utf8mb4 PATH '$.k',"
	" m VARCHAR(16) CHARACTER SET utf8mb4 PATH '$.m',"
	" url LONGTEXT CHARACTER SET utf8mb4 PATH '$.url', s BIGINT PATH '$.s',"
	" d BIGINT PATH '$.d', z BIGINT PATH '$.z',"
	" err LONGTEXT CHARACTER SET utf8mb4 PATH '$.err', at DATETIME PATH '$.at',"
	" env VARCHAR(255) CHARACTER SET utf8mb4 PATH '$.env',"
	" dt LONGTEXT CHARACTER SET utf8mb4 PATH '$.dt', rq LONGTEXT CHARACTER SET utf8mb4"
	" PATH '$.rq', rs LONGTEXT CHARACTER SET utf8mb4 PATH '$.rs', km BIGINT PATH '$.km'))"
	" AS j"
	" ORDER BY j.n",
    /* One row, when a batch is refused (a value the JSON path cannot carry). */
    [S_LOG_ROW] =
	"INSERT INTO execution_logs (connector_id, endpoint_id, user_id, token_id, kind, method,"
	" url, status, duration_us, size, error, created_at, environment, detail, request_body,"
	" response_body, body_expires_at) VALUES (NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0),"
	" NULLIF(?, 0), ?, ?, LEFT(?, 4096), ?, ?, ?, LEFT(?, 1024), ?, LEFT(?, 64), ?, ?, ?,"
	" IF(? > 0 AND (? IS NOT NULL OR ? IS NOT NULL), ? + INTERVAL ? MINUTE, NULL))",
};
int
db_log_list(struct db *db, struct arena *a, const struct log_query *q, struct log_row **rows,
	    size_t *n, long long *total)
{
	struct db_rows c, r;
	long long st = q->status;
	*rows = NULL;
	*n = 0;
	int rc = db_query_row(db, a, &c, SQL[S_LOG_COUNT], "iiiissss", q->connector_id,
			      q->connector_id, st, st, q->from, q->from, q->to, q->to);
	if (rc != DB_OK)
		return rc;
	*total = db_get_ll(&c, 0, "n", 0);
	rc = db_query(db, a, &r, SQL[S_LOG_PAGE], "iiiissssii", q->connector_id, q->connector_id,
		      st, st, q->from, q->from, q->to, q->to, (long long)q->limit, q->offset);
	return log_rows_of(a, rc, &r, rows, n);
}

int
db_log_connectors(struct db *db, struct arena *a, struct log_connector **rows, size_t *n)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_LOG_CONNECTORS], "");
	return log_connectors_of(a, rc, &r, rows, n);
}

int
db_log_purge(struct db *db, long days, long long *deleted)
{
	*deleted = 0;
	for (;;) {
		int rc = db_exec(db, SQL[S_LOG_PURGE], "i", (long long)days);
		if (rc != DB_OK)
			return rc;
		unsigned long long n = db_affected(db);
		*deleted += (long long)n;
		if (n < 5000)
			return DB_OK;
	}
}

/* ------------------------------------------------------------------ the writer */

/* Rows queued by the workers, in order, written by one thread with its own connection: a
 * batch is one INSERT ... SELECT over a JSON array (one placeholder, any number of rows),
 * so a burst of executes costs a few commits instead of one each. The thread waits a few
 * milliseconds after the first row for more; a Logs page read asks it not to wait. */
#define LOG_BATCH	256
#define LOG_LINGER_MS	20
#define LOG_QUEUE_MAX	20000
#define LOG_QUEUE_HEAVY 256 /* past this many queued, new rows come without detail */
#define LOG_FLUSH_MS	2000

struct log_item {
	struct log_item *next;
	unsigned long long seq;
	long long connector_id, endpoint_id, user_id, token_id, status, duration_us, size;
	long long keep_minutes;
	const char *kind, *method, *url, *error, *environment;
	const char *detail, *request_body, *response_body; /* NULL: none */
	char at[24]; /* "YYYY-MM-DD HH:MM:SS", UTC like the connection's time_zone */
	char text[]; /* the strings above */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more; /* rows queued, a flush asked for, or stop */
	pthread_cond_t done; /* written moved on */
	struct log_item *head, *tail;
	size_t count;
	unsigned long long queued, written; /* sequence numbers */
	unsigned long long dropped;
	int running, stop, flush_now;
	pthread_t tid;
	struct db *db;
} lw = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .more = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/* s as a JSON string: quotes, backslashes and control characters escaped; null for NULL. */
static void
json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)ch);
		} else if (ch < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
			buf_append(b, esc, sizeof(esc));
		} else {
			buf_putc(b, (char)ch);
		}
	}
	buf_putc(b, '"');
}

static void
batch_json(struct buf *b, const struct log_item *it)
{
	buf_putc(b, '[');
	for (; it; it = it->next) {
		buf_printf(b,
			   "{\"c\":%lld,\"e\":%lld,\"u\":%lld,\"t\":%lld,\"s\":%lld,\"d\":%lld,"
			   "\"z\":%lld,\"k\":",
			   it->connector_id, it->endpoint_id, it->user_id, it->token_id, it->status,
			   it->duration_us, it->size);
		json_str(b, it->kind);
		buf_puts(b, ",\"m\":");
		json_str(b, it->method);
		buf_puts(b, ",\"url\":");
		json_str(b, it->url);
		buf_puts(b, ",\"err\":");
		json_str(b, it->error);
		buf_puts(b, ",\"env\":");
		json_str(b, it->environment);
		buf_puts(b, ",\"dt\":");
		json_str(b, it->detail);
		buf_puts(b, ",\"rq\":");
		json_str(b, it->request_body);
		buf_puts(b, ",\"rs\":");
		json_str(b, it->response_body);
		buf_printf(b, ",\"km\":%lld,\"at\":\"%s\"}%s", it->keep_minutes, it->at,
			   it->next ? "," : "");
	}
	buf_putc(b, ']');
}

/* One statement for the batch; row by row when the server refuses it (a row it cannot take
 * is then dropped with a warning, as a direct insert would have been). DB_EDOWN: nothing
 * written, try again later. */
static int
batch_write(struct db *db, const struct log_item *items)
{
	struct buf b;
	buf_init(&b);
	batch_json(&b, items);
	int rc = b.failed ? DB_ENOMEM : db_exec(db, SQL[S_LOG_BATCH], "s", b.data);
	buf_free(&b);
	if (rc == DB_OK || rc == DB_EDOWN)
		return rc;
	for (const struct log_item *it = items; it; it = it->next) {
		rc = db_exec(db, SQL[S_LOG_ROW], "iiiisssiiissssssissssi", it->connector_id,
			     it->endpoint_id, it->user_id, it->token_id, it->kind, it->method,
			     it->url, it->status, it->duration_us, it->size, it->error, it->at,
			     it->environment, it->detail, it->request_body, it->response_body,
			     it->keep_minutes, it->request_body, it->response_body, it->at,
			     it->keep_minutes);
		if (rc == DB_EDOWN)
			return rc; /* the rows before are in: they may be written twice */
		if (rc != DB_OK)
			log_warn("execution log: a row of endpoint %lld was not written",
				 it->endpoint_id);
	}
	return DB_OK;
}

static void
items_free(struct log_item *it)
{
	while (it) {
		struct log_item *next = it->next;
		free(it);
		it = next;
	}
}

/* Takes up to LOG_BATCH rows off the queue (lock held). */
static struct log_item *
queue_take(void)
{
	struct log_item *first = lw.head, *last = lw.head;
	size_t n = 1;
	while (n < LOG_BATCH && last->next) {
		last = last->next;
		n++;
	}
	lw.head = last->next;
	if (!lw.head)
		lw.tail = NULL;
	last->next = NULL;
	lw.count -= n;
	return first;
}

/* Puts a batch that could not be written back in front (lock held). */
static void
queue_untake(struct log_item *items)
{
	struct log_item *last = items;
	size_t n = 1;
	while (last->next) {
		last = last->next;
		n++;
	}
	last->next = lw.head;
	lw.head = items;
	if (!lw.tail)
		lw.tail = last;
	lw.count += n;
}

static unsigned long long
last_seq(const struct log_item *it)
{
	while (it->next)
		it = it->next;
	return it->seq;
}

static void *
writer_main(void *arg)
{
	(void)arg;
	mysql_thread_init();
	pthread_mutex_lock(&lw.lock);
	for (;;) {
		while (!lw.head && !lw.stop)
			pthread_cond_wait(&lw.more, &lw.lock);
		if (!lw.head)
			break;
		struct timespec until = deadline_ms(LOG_LINGER_MS);
		while (lw.count < LOG_BATCH && !lw.stop && !lw.flush_now &&
		       pthread_cond_timedwait(&lw.more, &lw.lock, &until) != ETIMEDOUT)
			;
		struct log_item *items = queue_take();
		if (!lw.head)
			lw.flush_now = 0;
		pthread_mutex_unlock(&lw.lock);
		int rc = batch_write(lw.db, items);
		pthread_mutex_lock(&lw.lock);
		if (rc == DB_EDOWN && !lw.stop) {
			/* The database is away: keep the rows, try again in a second. */
			queue_untake(items);
			struct timespec later = deadline_ms(1000);
			pthread_cond_timedwait(&lw.more, &lw.lock, &later);
			continue;
		}
		unsigned long long end = last_seq(items);
		if (rc != DB_OK) {
			/* Stopping with the database away: what is left is lost. */
			struct log_item *rest = lw.head;
			if (rest)
				end = last_seq(rest);
			lw.head = lw.tail = NULL;
			lw.count = 0;
			items_free(rest);
			log_warn("execution log: %llu rows not written (database unavailable)",
				 end - items->seq + 1);
		}
		lw.written = end;
		items_free(items);
		pthread_cond_broadcast(&lw.done);
	}
	pthread_mutex_unlock(&lw.lock);
	mysql_thread_end();
	return NULL;
}

int
db_log_writer_start(const struct config *cfg)
{
	if (lw.running)
		return DB_OK;
	if (db_open(&lw.db, cfg) != DB_OK)
		log_warn("execution log writer: database not reachable yet; will retry");
	if (!lw.db)
		return DB_ENOMEM;
	lw.stop = 0;
	if (pthread_create(&lw.tid, NULL, writer_main, NULL) != 0) {
		db_close(lw.db);
		lw.db = NULL;
		return DB_EFAIL;
	}
	pthread_mutex_lock(&lw.lock);
	lw.running = 1;
	pthread_mutex_unlock(&lw.lock);
	return DB_OK;
}

void
db_log_writer_stop(void)
{
	pthread_mutex_lock(&lw.lock);
	if (!lw.running) {
		pthread_mutex_unlock(&lw.lock);
		return;
	}
	lw.running = 0; /* rows from now on are written by their callers */
	lw.stop = 1;
	pthread_cond_broadcast(&lw.more);
	pthread_mutex_unlock(&lw.lock);
	pthread_join(lw.tid, NULL);
	items_free(lw.head);
	lw.head = lw.tail = NULL;
	lw.count = 0;
	if (lw.dropped)
		log_warn("execution log: %llu rows dropped while the queue was full", lw.dropped);
	db_close(lw.db);
	lw.db = NULL;
}

static char *
item_copy(char **p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *out = *p;
	memcpy(out, s, n);
	*p += n;
	return out;
}

int
db_log_writer_enqueue(const struct db_execution *e)
{
	const char *kind = e->kind ? e->kind : "", *method = e->method ? e->method : "";
	const char *url = e->url ? e->url : "", *error = e->error ? e->error : "";
	const char *env = e->environment ? e->environment : "";
	/* A backlog (the database slow or away) keeps the rows but not their detail and
	 * bodies: the queue's memory stays bounded. */
	int heavy = __atomic_load_n(&lw.count, __ATOMIC_RELAXED) < LOG_QUEUE_HEAVY;
	const char *detail = heavy ? e->detail : NULL, *rq = heavy ? e->request_body : NULL,
		   *rs = heavy ? e->response_body : NULL;
	size_t n = strlen(kind) + strlen(method) + strlen(url) + strlen(error) + strlen(env) + 5;
	n += (detail ? strlen(detail) + 1 : 0) + (rq ? strlen(rq) + 1 : 0) +
	     (rs ? strlen(rs) + 1 : 0);
	struct log_item *it = malloc(sizeof(*it) + n);
	if (!it)
		return DB_ENOMEM;
	memset(it, 0, sizeof(*it));
	char *p = it->text;
	it->kind = item_copy(&p, kind);
	it->method = item_copy(&p, method);
	it->url = item_copy(&p, url);
	it->error = item_copy(&p, error);
	it->environment = item_copy(&p, env);
	it->detail = item_copy(&p, detail);
	it->request_body = item_copy(&p, rq);
	it->response_body = item_copy(&p, rs);
	it->keep_minutes = e->keep_minutes;
	it->connector_id = e->connector_id;
	it->endpoint_id = e->endpoint_id;
	it->user_id = e->user_id;
	it->token_id = e->token_id;
	it->status = e->status;
	it->duration_us = e->duration_us;
	it->size = e->size;
	time_t now = time(NULL);
	struct tm tm;
	if (!gmtime_r(&now, &tm) || !strftime(it->at, sizeof(it->at), "%Y-%m-%d %H:%M:%S", &tm))
		memcpy(it->at, "1970-01-01 00:00:00", 20);
	pthread_mutex_lock(&lw.lock);
	if (!lw.running) {
		pthread_mutex_unlock(&lw.lock);
		free(it);
		return DB_EFAIL;
	}
	if (lw.count >= LOG_QUEUE_MAX) {
		if (lw.dropped++ % 1000 == 0)
			log_warn("execution log: queue full (database unavailable?), rows dropped");
		pthread_mutex_unlock(&lw.lock);
		free(it);
		return DB_OK;
	}
	it->seq = ++lw.queued;
	if (lw.tail)
		lw.tail->next = it;
	else
		lw.head = it;
	lw.tail = it;
	lw.count++;
	if (lw.count == 1 || lw.count >= LOG_BATCH)
		pthread_cond_signal(&lw.more);
	pthread_mutex_unlock(&lw.lock);
	return DB_OK;
}

void
db_log_writer_flush(void)
{
	pthread_mutex_lock(&lw.lock);
	unsigned long long target = lw.queued;
	if (lw.running && lw.written < target) {
		struct timespec until = deadline_ms(LOG_FLUSH_MS);
		lw.flush_now = 1;
		pthread_cond_signal(&lw.more);
		while (lw.written < target &&
		       pthread_cond_timedwait(&lw.done, &lw.lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&lw.lock);
}
