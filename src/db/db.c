/* MariaDB access: a process-wide pool of connections, each with its prepared statements
 * cached; a handle (struct db) borrows a connection only while its statements run, or for
 * the length of a transaction, and every wait is bounded by database.timeout. */
#include <errno.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"

/* Every statement text in the program fits with room to spare (about 130 today). */
#define DB_STMT_CACHE 256
#define DB_MAX_HOSTS  8
/* A connection to a host other than the first one listed is closed after this long, so a
 * process comes back to its preferred node once that node is up again. */
#define DB_FAILBACK_MS 30000
/* After a connect that hung or a statement that ran out its time, requests answer at once
 * for this long instead of queueing behind a database that does not answer. */
#define DB_DOWN_MS 1000

#ifndef ER_UNKNOWN_COM_ERROR
#define ER_UNKNOWN_COM_ERROR 1047
#endif

struct db_stmt_slot {
	const char *sql; /* statement text; literals, so the pointer is the key */
	MYSQL_STMT *stmt;
};

/* One server connection and its statement cache; owned by the pool, lent to handles. */
struct db_conn {
	MYSQL *conn;
	struct db_conn *next; /* free list */
	int host;	      /* index into the pool's host list */
	int64_t born_ms;
	struct db_stmt_slot cache[DB_STMT_CACHE];
};

struct db_host {
	char name[256]; /* host name, or "localhost" with socket set */
	char socket[256];
	unsigned port;
};

static struct db_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int ready;
	const struct config *cfg;
	struct db_conn *idle;
	int total, max;
	long timeout_s; /* database.timeout */
	int sync_wait;	/* -1 auto (on for Galera), 0 off, 1 on */
	struct db_host hosts[DB_MAX_HOSTS];
	int nhosts;
	_Atomic int64_t down_until_ms; /* fail fast until then (0: up) */
} pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .freed = PTHREAD_COND_INITIALIZER,
};

/* A caller's handle: which connection it holds now, and its transaction's state. */
struct db {
	struct db_conn *c;
	int in_tx;  /* transaction depth: 0 none, 1 the outermost, 2.. savepoints inside it */
	int tx_err; /* the first error inside the open transaction; it fails as a whole */
	int retry;  /* transactions that ended as deadlock victims in a row: backoff */
	int conflicts_expected; /* the caller retries conflicts itself: logged at debug level */
	unsigned long long last_id;
	unsigned long long affected;
	char errmsg[256];
};

void
db_expect_conflicts(struct db *db, int on)
{
	db->conflicts_expected = on;
}

static int64_t
now_ms(void)
{
	return time_now_us() / 1000;
}

/* "host:port, host2:port2" (database.hosts), else database.socket, else host and port. */
static void
pool_hosts(const struct config *cfg)
{
	const char *list = config_get(cfg, "database.hosts", "");
	pool.nhosts = 0;
	while (*list && pool.nhosts < DB_MAX_HOSTS) {
		while (*list == ' ' || *list == ',')
			list++;
		size_t n = strcspn(list, ", ");
		if (!n)
			break;
		struct db_host *h = &pool.hosts[pool.nhosts++];
		memset(h, 0, sizeof(*h));
		size_t hl = n < sizeof(h->name) ? n : sizeof(h->name) - 1;
		memcpy(h->name, list, hl);
		h->port = 3306;
		char *colon = strrchr(h->name, ':');
		if (colon && !strchr(colon, ']')) {
			*colon = '\0';
			h->port = (unsigned)strtoul(colon + 1, NULL, 10);
		}
		list += n;
	}
	if (pool.nhosts)
		return;
	struct db_host *h = &pool.hosts[pool.nhosts++];
	memset(h, 0, sizeof(*h));
	const char *sock = config_get(cfg, "database.socket", "");
	if (*sock) {
		snprintf(h->name, sizeof(h->name), "localhost");
		snprintf(h->socket, sizeof(h->socket), "%s", sock);
	} else {
		snprintf(h->name, sizeof(h->name), "%s",
			 config_get(cfg, "database.host", "127.0.0.1"));
		h->port = (unsigned)config_get_long(cfg, "database.port", 3306);
	}
}

static void
pool_init(const struct config *cfg)
{
	pthread_mutex_lock(&pool.lock);
	if (!pool.ready) {
		pool.cfg = cfg;
		pool.max = (int)config_get_long(cfg, "database.pool", 16);
		if (pool.max < 1 || pool.max > 1024)
			pool.max = 16;
		pool.timeout_s = config_get_long(cfg, "database.timeout", 5);
		if (pool.timeout_s < 1 || pool.timeout_s > 3600)
			pool.timeout_s = 5;
		const char *sw = config_get(cfg, "database.sync_wait", "auto");
		pool.sync_wait = !strcmp(sw, "on") || !strcmp(sw, "1")	  ? 1
				 : !strcmp(sw, "off") || !strcmp(sw, "0") ? 0
									  : -1;
		pool_hosts(cfg);
		pool.ready = 1;
	}
	pthread_mutex_unlock(&pool.lock);
}

static void
conn_drop_cache(struct db_conn *c)
{
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		if (c->cache[i].stmt)
			mysql_stmt_close(c->cache[i].stmt);
		c->cache[i].stmt = NULL;
		c->cache[i].sql = NULL;
	}
}

static void
conn_free(struct db_conn *c)
{
	if (!c)
		return;
	conn_drop_cache(c);
	if (c->conn)
		mysql_close(c->conn);
	free(c);
}

/* Runs one prepared statement on a connection outside the pool (connect-time settings and
 * checks, the health probe) with at most one argument, a string (sarg) or a number (iarg,
 * used when sarg is NULL and has_iarg); out, when given, gets the first column of the
 * first row. 0 on success (and a row, when out is given), -1 otherwise. */
static int
conn_stmt(MYSQL *m, const char *sql, const char *sarg, int has_iarg, long long iarg, char *out,
	  size_t outlen)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	MYSQL_BIND param, col;
	unsigned long plen = sarg ? strlen(sarg) : 0, got = 0;
	my_bool is_null = 0;
	int rc = -1;
	if (out)
		out[0] = '\0';
	if (!st || mysql_stmt_prepare(st, sql, strlen(sql)))
		goto done;
	memset(&param, 0, sizeof(param));
	if (sarg) {
		param.buffer_type = MYSQL_TYPE_STRING;
		param.buffer = (void *)sarg;
		param.buffer_length = plen;
		param.length = &plen;
	} else {
		param.buffer_type = MYSQL_TYPE_LONGLONG;
		param.buffer = &iarg;
	}
	if ((sarg || has_iarg) && mysql_stmt_bind_param(st, &param))
		goto done;
	if (mysql_stmt_execute(st))
		goto done;
	if (!out) {
		rc = 0;
		goto done;
	}
	memset(&col, 0, sizeof(col));
	col.buffer_type = MYSQL_TYPE_STRING;
	col.buffer = out;
	col.buffer_length = outlen - 1;
	col.length = &got;
	col.is_null = &is_null;
	if (mysql_stmt_bind_result(st, &col) || mysql_stmt_store_result(st))
		goto done;
	int f = mysql_stmt_fetch(st);
	if (f == 0 || f == MYSQL_DATA_TRUNCATED) {
		out[is_null ? 0 : (got < outlen - 1 ? got : outlen - 1)] = '\0';
		rc = 0;
	}
done:
	if (st)
		mysql_stmt_close(st);
	return rc;
}

/* One global status value of the server ("" when the server has none). */
static int
conn_status(MYSQL *m, const char *name, char *out, size_t outlen)
{
	return conn_stmt(m,
			 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
			 " WHERE VARIABLE_NAME = ?",
			 name, 0, 0, out, outlen);
}

/* On a Galera node: 1 when it is ready and synced (a node that is joining, donating or
 * non-Primary must not serve); sets *galera. A plain server is always ready. */
static int
conn_node_ready(MYSQL *m, int *galera)
{
	char v[64];
	*galera = 0;
	if (conn_stmt(m, "SELECT @@wsrep_on", NULL, 0, 0, v, sizeof(v)) != 0 || strcmp(v, "1") != 0)
		return 1;
	*galera = 1;
	if (conn_status(m, "WSREP_READY", v, sizeof(v)) != 0 || strcmp(v, "ON") != 0)
		return 0;
	if (conn_status(m, "WSREP_LOCAL_STATE", v, sizeof(v)) != 0 || strcmp(v, "4") != 0)
		return 0;
	return 1;
}

/* Connects to one host with every wait bounded: connect and each read or write. */
static MYSQL *
conn_open_host(const struct db_host *h, long rw_timeout, long connect_timeout, char *err,
	       size_t errlen)
{
	const struct config *cfg = pool.cfg;
	MYSQL *m = mysql_init(NULL);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	unsigned int ct = (unsigned)connect_timeout, rw = (unsigned)rw_timeout;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Run by the client library on every connect. Strict mode: an oversize or invalid
	 * value is an error, never a silent truncation. READ COMMITTED takes no gap locks, so
	 * saves of different rows never deadlock on the gaps between their child rows. A lock
	 * wait ends within the database bound. */
	mysql_options(m, MYSQL_INIT_COMMAND,
		      "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION',"
		      " time_zone='+00:00'");
	mysql_options(m, MYSQL_INIT_COMMAND,
		      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
	if (!mysql_real_connect(m, h->name, config_get(cfg, "database.user", "dcgate"),
				config_get(cfg, "database.password", ""),
				config_get(cfg, "database.name", "dcgate"), h->port,
				h->socket[0] ? h->socket : NULL, 0)) {
		snprintf(err, errlen, "%s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	if (conn_stmt(m, "SET SESSION innodb_lock_wait_timeout = ?", NULL, 1, rw_timeout, NULL,
		      0)) {
		snprintf(err, errlen, "%s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* Opens a connection to the first host that is up and ready, in the configured order. */
static int
conn_open(struct db_conn **out, char *err, size_t errlen)
{
	for (int i = 0; i < pool.nhosts; i++) {
		const struct db_host *h = &pool.hosts[i];
		long ct = pool.timeout_s < 2 ? pool.timeout_s : 2;
		MYSQL *m = conn_open_host(h, pool.timeout_s, ct, err, errlen);
		if (!m) {
			log_warn("db: connect to %s:%u failed: %s", h->name, h->port, err);
			continue;
		}
		int galera = 0;
		if (!conn_node_ready(m, &galera)) {
			snprintf(err, errlen, "node %s:%u is not synced", h->name, h->port);
			log_warn("db: %s; trying the next address", err);
			mysql_close(m);
			continue;
		}
		if ((pool.sync_wait == 1 || (pool.sync_wait < 0 && galera)) &&
		    conn_stmt(m, "SET SESSION wsrep_sync_wait = 1", NULL, 0, 0, NULL, 0)) {
			snprintf(err, errlen, "%s", mysql_error(m));
			mysql_close(m);
			continue;
		}
		struct db_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			mysql_close(m);
			snprintf(err, errlen, "out of memory");
			return DB_ENOMEM;
		}
		c->conn = m;
		c->host = i;
		c->born_ms = now_ms();
		*out = c;
		return DB_OK;
	}
	return DB_EDOWN;
}

static void
pool_mark_down(void)
{
	atomic_store(&pool.down_until_ms, now_ms() + DB_DOWN_MS);
	pthread_mutex_lock(&pool.lock);
	pthread_cond_broadcast(&pool.freed); /* waiters answer now instead of at their deadline */
	pthread_mutex_unlock(&pool.lock);
}

/* Borrows a connection: an idle one, a new one while under database.pool, else waits for
 * one up to database.timeout. DB_EDOWN when none can be had in time. */
static int
pool_take(struct db *db)
{
	int64_t down = atomic_load(&pool.down_until_ms);
	if (down && now_ms() < down) {
		snprintf(db->errmsg, sizeof(db->errmsg), "database unavailable");
		log_debug("db: failing fast, the database did not answer a moment ago");
		return DB_EDOWN;
	}
	struct timespec until = deadline_ms(pool.timeout_s * 1000);
	pthread_mutex_lock(&pool.lock);
	while (!pool.idle && pool.total >= pool.max) {
		int64_t d = atomic_load(&pool.down_until_ms);
		if (d && now_ms() < d) {
			/* The connections this caller waited for ran out their time meanwhile. */
			pthread_mutex_unlock(&pool.lock);
			snprintf(db->errmsg, sizeof(db->errmsg), "database unavailable");
			return DB_EDOWN;
		}
		if (pthread_cond_timedwait(&pool.freed, &pool.lock, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&pool.lock);
			snprintf(db->errmsg, sizeof(db->errmsg),
				 "no database connection free within %ld s", pool.timeout_s);
			log_warn("db: %s", db->errmsg);
			return DB_EDOWN;
		}
	}
	if (pool.idle) {
		db->c = pool.idle;
		pool.idle = db->c->next;
		db->c->next = NULL;
		pthread_mutex_unlock(&pool.lock);
		return DB_OK;
	}
	pool.total++;
	pthread_mutex_unlock(&pool.lock);
	int64_t started = now_ms();
	int rc = conn_open(&db->c, db->errmsg, sizeof(db->errmsg));
	if (rc != DB_OK) {
		db->c = NULL;
		/* A refusal costs nothing to try again; a connect that hung does. */
		if (now_ms() - started >= 500)
			pool_mark_down();
		pthread_mutex_lock(&pool.lock);
		pool.total--;
		pthread_cond_signal(&pool.freed);
		pthread_mutex_unlock(&pool.lock);
		return rc;
	}
	atomic_store(&pool.down_until_ms, 0);
	return DB_OK;
}

/* Gives the connection back (or closes it when broken or due to fail back). */
static void
pool_give(struct db *db)
{
	struct db_conn *c = db->c;
	db->c = NULL;
	if (!c)
		return;
	int close_it = !c->conn || (c->host != 0 && now_ms() - c->born_ms > DB_FAILBACK_MS);
	pthread_mutex_lock(&pool.lock);
	if (close_it) {
		pool.total--;
	} else {
		c->next = pool.idle;
		pool.idle = c;
	}
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
	if (close_it)
		conn_free(c);
}

/* After a statement outside a transaction: the connection goes back to the pool. */
static void
db_done(struct db *db)
{
	if (!db->in_tx)
		pool_give(db);
}

int
db_open(struct db **out, const struct config *cfg)
{
	pool_init(cfg);
	struct db *db = calloc(1, sizeof(*db));
	*out = db;
	return db ? DB_OK : DB_ENOMEM;
}

void
db_close(struct db *db)
{
	if (!db)
		return;
	db_release(db);
	free(db);
}

void
db_release(struct db *db)
{
	if (db->in_tx) {
		log_warn("db: a transaction was left open; rolled back");
		db->in_tx = 1;
		db_rollback(db);
	}
	pool_give(db);
}

void
db_pool_close(void)
{
	pthread_mutex_lock(&pool.lock);
	struct db_conn *c = pool.idle;
	pool.idle = NULL;
	pool.total = 0;
	pthread_mutex_unlock(&pool.lock);
	while (c) {
		struct db_conn *next = c->next;
		conn_free(c);
		c = next;
	}
}

const char *
db_errmsg(struct db *db)
{
	return db->errmsg;
}

static int
db_is_gone(unsigned int err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
	       err == CR_CONN_HOST_ERROR || err == CR_COMMANDS_OUT_OF_SYNC ||
	       err == 1927 /* ER_CONNECTION_KILLED */ || err == ER_SERVER_SHUTDOWN ||
	       err == ER_UNKNOWN_COM_ERROR /* Galera: node not ready, non-Primary */ ||
	       err == ER_QUERY_INTERRUPTED;
}

/* Maps a MySQL error number to ours; connection loss closes the connection (the pool opens
 * another), and any error inside a transaction fails the whole transaction. */
static int
db_map_err(struct db *db, unsigned int err, const char *msg)
{
	int rc;
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "");
	if (err == ER_DUP_ENTRY) {
		rc = DB_EDUP;
	} else if (err == ER_ROW_IS_REFERENCED_2 || err == ER_NO_REFERENCED_ROW_2 ||
		   err == ER_ROW_IS_REFERENCED) {
		rc = DB_EFK;
	} else if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT) {
		log_msg(db->conflicts_expected ? LOG_DEBUG : LOG_WARN,
			"db: transaction conflict (%u): %s", err, db->errmsg);
		rc = DB_ERETRY;
	} else if (db_is_gone(err)) {
		log_warn("db: connection lost (%u): %s", err, db->errmsg);
		if (db->c) {
			conn_drop_cache(db->c);
			if (db->c->conn)
				mysql_close(db->c->conn);
			db->c->conn = NULL;
		}
		rc = DB_EDOWN;
	} else {
		log_err("db: error %u: %s", err, db->errmsg);
		rc = DB_EFAIL;
	}
	/* The server rolled back a deadlock victim or a lost connection's transaction; after
	 * any other error the rest of the transaction must not run either. */
	if (db->in_tx && !db->tx_err)
		db->tx_err = rc;
	return rc;
}

/* Answers within a short bound of its own, on a connection of its own: a load balancer's
 * probe reads 503 rather than waiting on a hung database or on busy workers. Probes that
 * arrive within 100 ms of a finished check share its answer, so a flood of probes costs
 * one query per 100 ms. */
int
db_health(const struct config *cfg, long timeout_s, struct db_health *out)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static MYSQL *m;
	static int m_host;
	static struct db_health last;
	static int64_t last_ms;
	memset(out, 0, sizeof(*out));
	pool_init(cfg);
	struct timespec until = deadline_ms(timeout_s * 1000);
	if (pthread_mutex_timedlock(&lock, &until) != 0) {
		snprintf(out->error, sizeof(out->error), "another health check is still waiting");
		return DB_EDOWN;
	}
	if (last_ms && now_ms() - last_ms < 100) {
		*out = last;
		pthread_mutex_unlock(&lock);
		return out->reachable && out->query && out->synced ? DB_OK : DB_EDOWN;
	}
	int64_t started = now_ms();
	/* A second try only after a quick failure (a connection the server closed). */
	for (int attempt = 0; attempt < 2 && now_ms() - started < 300; attempt++) {
		if (!m) {
			for (int i = 0; i < pool.nhosts && !m; i++) {
				m = conn_open_host(&pool.hosts[i], timeout_s, timeout_s, out->error,
						   sizeof(out->error));
				m_host = i;
			}
			if (!m)
				break;
		}
		char v[64];
		if (conn_stmt(m, "SELECT 1", NULL, 0, 0, v, sizeof(v)) != 0) {
			snprintf(out->error, sizeof(out->error), "%s", mysql_error(m));
			mysql_close(m);
			m = NULL;
			continue;
		}
		out->reachable = 1;
		out->query =
		    conn_stmt(m, "SELECT COUNT(*) FROM generations", NULL, 0, 0, v, sizeof(v)) == 0;
		if (!out->query)
			snprintf(out->error, sizeof(out->error), "%s", mysql_error(m));
		out->synced = conn_node_ready(m, &out->galera);
		if (out->galera)
			conn_status(m, "WSREP_CLUSTER_STATUS", out->cluster_status,
				    sizeof(out->cluster_status));
		snprintf(out->node, sizeof(out->node), "%s:%u", pool.hosts[m_host].name,
			 pool.hosts[m_host].port);
		if (out->synced && out->query)
			atomic_store(&pool.down_until_ms, 0); /* answered: serve again at once */
		else if (!out->synced)
			snprintf(out->error, sizeof(out->error), "the Galera node is not synced");
		break;
	}
	last = *out;
	last_ms = now_ms();
	pthread_mutex_unlock(&lock);
	return out->reachable && out->query && out->synced ? DB_OK : DB_EDOWN;
}

static MYSQL_STMT *
db_prepare(struct db *db, const char *sql, int *rc)
{
	struct db_conn *c = db->c;
	size_t h = ((uintptr_t)sql >> 4) % DB_STMT_CACHE;
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		struct db_stmt_slot *s = &c->cache[(h + i) % DB_STMT_CACHE];
		if (s->sql == sql)
			return s->stmt;
		if (s->sql)
			continue;
		MYSQL_STMT *st = mysql_stmt_init(c->conn);
		if (!st) {
			*rc = DB_ENOMEM;
			return NULL;
		}
		if (mysql_stmt_prepare(st, sql, strlen(sql))) {
			*rc = db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
			mysql_stmt_close(st);
			return NULL;
		}
		s->sql = sql;
		s->stmt = st;
		return st;
	}
	/* Cache full: a statement text that is not a literal would land here; fail loudly. */
	log_err("db: statement cache full");
	*rc = DB_EFAIL;
	return NULL;
}

struct db_arg_store {
	long long ints[32];
	unsigned long lens[32];
};

static int
db_bind_args(MYSQL_STMT *st, MYSQL_BIND *binds, struct db_arg_store *store, const char *types,
	     va_list ap)
{
	size_t n = strlen(types);
	if (n > 32 || n != mysql_stmt_param_count(st))
		return DB_EFAIL;
	memset(binds, 0, n * sizeof(*binds));
	for (size_t i = 0; i < n; i++) {
		MYSQL_BIND *b = &binds[i];
		if (types[i] == 'i') {
			store->ints[i] = va_arg(ap, long long);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &store->ints[i];
		} else if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);
			b->buffer_type = s ? MYSQL_TYPE_STRING : MYSQL_TYPE_NULL;
			b->buffer = (void *)s;
			store->lens[i] = s ? strlen(s) : 0;
			b->buffer_length = store->lens[i];
			b->length = &store->lens[i];
		} else if (types[i] == 'b') {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);
			b->buffer_type = p ? MYSQL_TYPE_BLOB : MYSQL_TYPE_NULL;
			b->buffer = (void *)p;
			store->lens[i] = len;
			b->buffer_length = len;
			b->length = &store->lens[i];
		} else {
			return DB_EFAIL;
		}
	}
	if (n && mysql_stmt_bind_param(st, binds))
		return DB_EFAIL;
	return DB_OK;
}

/* A statement that ran out the whole bound means a database that does not answer: fail
 * the requests behind it fast for a moment rather than each waiting the bound again. */
static void
db_note_slow(int rc, int64_t started_ms)
{
	if (rc == DB_EDOWN && now_ms() - started_ms >= pool.timeout_s * 1000 - 100)
		pool_mark_down();
}

/* Prepares (from cache), binds and executes. A lost connection outside a transaction is
 * tried once more on a fresh connection, so a restarted server is invisible to the request
 * that finds it; inside a transaction the error stays (the server rolled it back). */
static int
db_run(struct db *db, const char *sql, const char *types, va_list ap, MYSQL_STMT **out)
{
	if (db->in_tx && db->tx_err)
		return db->tx_err;
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc = DB_OK;
		if (db->c && !db->c->conn) {
			if (db->in_tx)
				return db->tx_err ? db->tx_err : DB_EDOWN;
			pool_give(db);
		}
		if (!db->c && (rc = pool_take(db)) != DB_OK)
			return rc;
		int64_t started = now_ms();
		MYSQL_STMT *st = db_prepare(db, sql, &rc);
		if (st) {
			MYSQL_BIND binds[32];
			struct db_arg_store store;
			va_list cp;
			va_copy(cp, ap);
			rc = db_bind_args(st, binds, &store, types, cp);
			va_end(cp);
			if (rc != DB_OK) {
				log_err("db: bad bind for: %s", sql);
				if (db->in_tx && !db->tx_err)
					db->tx_err = rc;
				return rc;
			}
			if (mysql_stmt_execute(st) == 0) {
				*out = st;
				return DB_OK;
			}
			if (mysql_stmt_errno(st) == 0) /* diagnose a failure without a code */
				log_warn("db: statement failed without an error code: %s", sql);
			rc = db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
		}
		db_note_slow(rc, started);
		if (rc != DB_EDOWN || db->in_tx || attempt == 1 ||
		    atomic_load(&pool.down_until_ms)) {
			db_done(db);
			return rc;
		}
	}
	return DB_EDOWN;
}

/* Resets a statement for its next use; a failure there is an error of the statement (a
 * Galera abort or a lost connection can surface only here). */
static int
db_stmt_finish(struct db *db, MYSQL_STMT *st)
{
	if (!db->c || !db->c->conn)
		return DB_EDOWN;
	if (mysql_stmt_free_result(st) || mysql_stmt_reset(st))
		return db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	return DB_OK;
}

int
db_exec(struct db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	MYSQL_STMT *st = NULL;
	int rc = db_run(db, sql, types, ap, &st);
	va_end(ap);
	if (rc != DB_OK)
		return rc;
	db->last_id = mysql_stmt_insert_id(st);
	db->affected = mysql_stmt_affected_rows(st);
	rc = db_stmt_finish(db, st);
	db_done(db);
	return rc;
}

static int
db_fetch_rows(struct db *db, MYSQL_STMT *st, struct arena *a, struct db_rows *out)
{
	memset(out, 0, sizeof(*out));
	if (mysql_stmt_store_result(st))
		return db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	size_t ncols = meta ? mysql_num_fields(meta) : 0;
	size_t nrows = (size_t)mysql_stmt_num_rows(st);
	out->ncols = ncols;
	out->names = arena_alloc(a, (ncols + 1) * sizeof(char *));
	out->cells = arena_alloc(a, (nrows * ncols + 1) * sizeof(char *));
	out->lens = arena_alloc(a, (nrows * ncols + 1) * sizeof(size_t));
	MYSQL_BIND *binds = arena_alloc(a, (ncols + 1) * sizeof(MYSQL_BIND));
	unsigned long *lens = arena_alloc(a, (ncols + 1) * sizeof(unsigned long));
	my_bool *nulls = arena_alloc(a, (ncols + 1) * sizeof(my_bool));
	if (!out->names || !out->cells || !out->lens || !binds || !lens || !nulls) {
		if (meta)
			mysql_free_result(meta);
		return DB_ENOMEM;
	}
	MYSQL_FIELD *fields = meta ? mysql_fetch_fields(meta) : NULL;
	for (size_t c = 0; c < ncols; c++) {
		out->names[c] = arena_strdup(a, fields[c].name);
		binds[c].buffer_type = MYSQL_TYPE_STRING;
		binds[c].length = &lens[c];
		binds[c].is_null = &nulls[c];
	}
	if (meta)
		mysql_free_result(meta);
	if (ncols && mysql_stmt_bind_result(st, binds))
		return db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	size_t r = 0;
	int f;
	while (r < nrows && ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED)) {
		for (size_t c = 0; c < ncols; c++) {
			size_t idx = r * ncols + c;
			if (nulls[c])
				continue;
			char *cell = arena_alloc(a, lens[c] + 1);
			if (!cell)
				return DB_ENOMEM;
			MYSQL_BIND col = {0};
			unsigned long got = 0;
			col.buffer_type = MYSQL_TYPE_STRING;
			col.buffer = cell;
			col.buffer_length = lens[c] + 1;
			col.length = &got;
			if (lens[c] && mysql_stmt_fetch_column(st, &col, (unsigned)c, 0))
				return db_map_err(db, mysql_stmt_errno(st), mysql_stmt_error(st));
			cell[lens[c]] = '\0';
			out->cells[idx] = cell;
			out->lens[idx] = lens[c];
		}
		r++;
	}
	out->nrows = r;
	return DB_OK;
}

static int
db_vquery(struct db *db, struct arena *a, struct db_rows *out, const char *sql, const char *types,
	  va_list ap)
{
	MYSQL_STMT *st = NULL;
	int rc = db_run(db, sql, types, ap, &st);
	if (rc != DB_OK)
		return rc;
	rc = db_fetch_rows(db, st, a, out);
	int frc = db_stmt_finish(db, st);
	db_done(db);
	return rc != DB_OK ? rc : frc;
}

int
db_query(struct db *db, struct arena *a, struct db_rows *out, const char *sql, const char *types,
	 ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = db_vquery(db, a, out, sql, types, ap);
	va_end(ap);
	return rc;
}

int
db_query_row(struct db *db, struct arena *a, struct db_rows *out, const char *sql,
	     const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = db_vquery(db, a, out, sql, types, ap);
	va_end(ap);
	if (rc == DB_OK && out->nrows == 0)
		return DB_ENOTFOUND;
	return rc;
}

unsigned long long
db_last_id(struct db *db)
{
	return db->last_id;
}

unsigned long long
db_affected(struct db *db)
{
	return db->affected;
}

static int
db_simple(struct db *db, const char *sql)
{
	int rc;
	if (!db->c && (rc = pool_take(db)) != DB_OK)
		return rc;
	if (!db->c->conn)
		return DB_EDOWN;
	int64_t started = now_ms();
	if (mysql_query(db->c->conn, sql)) {
		rc = db_map_err(db, mysql_errno(db->c->conn), mysql_error(db->c->conn));
		db_note_slow(rc, started);
		return rc;
	}
	return DB_OK;
}

/* A transaction that follows a deadlock victim waits 5-50 ms first, so two saves that
 * collided (on one server, or certified against each other on Galera) do not collide
 * again in lockstep. */
static void
db_backoff(struct db *db)
{
	if (!db->retry)
		return;
	long ms = 5 + (long)((unsigned long)random() % 46);
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* Inner levels of a transaction are savepoints named by depth (fixed statements, so the
 * text protocol carries no value). */
#define DB_MAX_DEPTH 8
static const char *const sp_set[DB_MAX_DEPTH - 1] = {
    "SAVEPOINT sp1", "SAVEPOINT sp2", "SAVEPOINT sp3", "SAVEPOINT sp4",
    "SAVEPOINT sp5", "SAVEPOINT sp6", "SAVEPOINT sp7",
};
static const char *const sp_undo[DB_MAX_DEPTH - 1] = {
    "ROLLBACK TO SAVEPOINT sp1", "ROLLBACK TO SAVEPOINT sp2", "ROLLBACK TO SAVEPOINT sp3",
    "ROLLBACK TO SAVEPOINT sp4", "ROLLBACK TO SAVEPOINT sp5", "ROLLBACK TO SAVEPOINT sp6",
    "ROLLBACK TO SAVEPOINT sp7",
};
static const char *const sp_release[DB_MAX_DEPTH - 1] = {
    "RELEASE SAVEPOINT sp1", "RELEASE SAVEPOINT sp2", "RELEASE SAVEPOINT sp3",
    "RELEASE SAVEPOINT sp4", "RELEASE SAVEPOINT sp5", "RELEASE SAVEPOINT sp6",
    "RELEASE SAVEPOINT sp7",
};

/* A level inside the open transaction: a savepoint. A transaction that already failed
 * opens no level (its error is returned: it fails as a whole). */
static int
db_begin_inner(struct db *db)
{
	if (db->tx_err)
		return db->tx_err;
	if (db->in_tx >= DB_MAX_DEPTH) {
		log_err("db: transactions nested deeper than %d", DB_MAX_DEPTH);
		db->tx_err = DB_EFAIL;
		return DB_EFAIL;
	}
	int rc = db_simple(db, sp_set[db->in_tx - 1]);
	if (rc == DB_OK)
		db->in_tx++;
	return rc;
}

int
db_begin(struct db *db)
{
	if (db->in_tx)
		return db_begin_inner(db);
	db_backoff(db);
	int rc = db_simple(db, "START TRANSACTION");
	if (rc == DB_EDOWN && !atomic_load(&pool.down_until_ms)) {
		pool_give(db);
		rc = db_simple(db, "START TRANSACTION");
	}
	if (rc != DB_OK) {
		db_done(db);
		return rc;
	}
	db->in_tx = 1;
	db->tx_err = DB_OK;
	return DB_OK;
}

static void
db_tx_end(struct db *db, int rc)
{
	db->in_tx = 0;
	db->tx_err = DB_OK;
	db->retry = rc == DB_ERETRY ? db->retry + 1 : 0;
	db_done(db);
}

/* Commits only a transaction every statement of which succeeded; one that failed anywhere
 * is rolled back and its first error returned, so a caller never reports a partial save.
 * An inner level releases its savepoint; its work commits or not with the outermost. */
int
db_commit(struct db *db)
{
	if (!db->in_tx)
		return DB_EFAIL;
	int rc = db->tx_err;
	if (db->in_tx > 1) {
		if (rc == DB_OK)
			rc = db_simple(db, sp_release[db->in_tx - 2]);
		db->in_tx--;
		return rc;
	}
	if (rc != DB_OK) {
		if (db->c && db->c->conn && mysql_query(db->c->conn, "ROLLBACK"))
			db_map_err(db, mysql_errno(db->c->conn), mysql_error(db->c->conn));
	} else {
		rc = db_simple(db, "COMMIT");
	}
	db_tx_end(db, rc);
	return rc;
}

/* An inner level rolls back to its savepoint, and the outer levels go on. After a failed
 * statement nothing is rolled back here: the error stays, and the outermost level rolls
 * the whole transaction back (a deadlock victim's or a lost connection's transaction is
 * gone on the server already). */
int
db_rollback(struct db *db)
{
	int reason = db->tx_err;
	if (db->in_tx > 1) {
		if (reason == DB_OK && db_simple(db, sp_undo[db->in_tx - 2]) == DB_OK)
			db_simple(db, sp_release[db->in_tx - 2]);
		db->in_tx--;
		return DB_OK;
	}
	if (db->c && db->c->conn && mysql_query(db->c->conn, "ROLLBACK"))
		db_map_err(db, mysql_errno(db->c->conn), mysql_error(db->c->conn));
	db_tx_end(db, reason);
	return DB_OK;
}

int
db_tx(struct db *db, int (*fn)(struct db *, void *), void *arg)
{
	int outer = db->in_tx == 0, tries = 0, rc;
	do {
		if ((rc = db_begin(db)) != DB_OK)
			break;
		rc = fn(db, arg);
		if (rc == DB_OK) {
			rc = db_commit(db);
		} else {
			/* The caller may have turned a deadlock into an answer of its own. */
			if (outer && db->tx_err == DB_ERETRY)
				rc = DB_ERETRY;
			db_rollback(db);
		}
	} while (outer && rc == DB_ERETRY && ++tries < DB_RETRIES);
	return rc;
}

int
db_exec_script(struct db *db, const char *sql, size_t len)
{
	int rc;
	if (!db->c && (rc = pool_take(db)) != DB_OK)
		return rc;
	MYSQL *m = db->c->conn;
	mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON);
	rc = DB_OK;
	if (mysql_real_query(m, sql, len)) {
		rc = db_map_err(db, mysql_errno(m), mysql_error(m));
	} else {
		int status;
		do {
			MYSQL_RES *res = mysql_store_result(m);
			if (res)
				mysql_free_result(res);
			status = mysql_next_result(m);
		} while (status == 0);
		if (status > 0)
			rc = db_map_err(db, mysql_errno(m), mysql_error(m));
	}
	if (db->c && db->c->conn)
		mysql_set_server_option(db->c->conn, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	db_done(db);
	return rc;
}

const char *
db_cell(const struct db_rows *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

const char *
db_get(const struct db_rows *r, size_t row, const char *name)
{
	for (size_t c = 0; c < r->ncols; c++)
		if (strcmp(r->names[c], name) == 0)
			return db_cell(r, row, c);
	return NULL;
}

const char *
db_get_str(const struct db_rows *r, size_t row, const char *name)
{
	const char *s = db_get(r, row, name);
	return s ? s : "";
}

long long
db_get_ll(const struct db_rows *r, size_t row, const char *name, long long def)
{
	const char *s = db_get(r, row, name);
	if (!s)
		return def;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	return (errno || *end || end == s) ? def : v;
}

/* ---- cache values: a result packed flat (columns, rows, names, cells; NULL kept) ---- */

void
db_rows_pack(struct buf *b, const struct db_rows *r)
{
	pack_i64(b, (long long)r->ncols);
	pack_i64(b, (long long)r->nrows);
	for (size_t c = 0; c < r->ncols; c++)
		pack_str(b, r->names[c]);
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t c = 0; c < r->ncols; c++)
			pack_str(b, db_cell(r, i, c));
}

int
db_rows_unpack(struct arena *a, struct unpack *u, struct db_rows *out)
{
	long long ncols = unpack_i64(u), nrows = unpack_i64(u);
	memset(out, 0, sizeof(*out));
	if (u->bad || ncols < 0 || nrows < 0 || (size_t)ncols > u->left || (size_t)nrows > u->left)
		return DB_EFAIL;
	size_t cells = (size_t)ncols * (size_t)nrows;
	out->names = arena_alloc(a, ((size_t)ncols + 1) * sizeof(*out->names));
	out->cells = arena_alloc(a, (cells + 1) * sizeof(*out->cells));
	out->lens = arena_alloc(a, (cells + 1) * sizeof(*out->lens));
	if (!out->names || !out->cells || !out->lens)
		return DB_ENOMEM;
	for (long long c = 0; c < ncols; c++)
		out->names[c] = unpack_str(u);
	for (size_t i = 0; i < cells; i++) {
		out->cells[i] = (char *)unpack_str(u);
		out->lens[i] = out->cells[i] ? strlen(out->cells[i]) : 0;
	}
	for (long long c = 0; c < ncols && !u->bad; c++)
		if (!out->names[c])
			u->bad = 1;
	if (u->bad)
		return DB_EFAIL;
	out->ncols = (size_t)ncols;
	out->nrows = (size_t)nrows;
	return DB_OK;
}
