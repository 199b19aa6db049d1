/* dcgate: the FastCGI process. Worker threads each serve one request at a time with an
 * arena of their own; database connections and outbound connections are shared by the
 * process (db/ pool, outbound/ share). The pool of threads grows when every thread is busy
 * (a call waiting on a slow data source holds its thread, nothing else), up to
 * server.max_threads, and shrinks back to server.workers when idle. The main thread only
 * waits for signals (TERM: drain and exit; HUP: reload). */
#include <config.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
#include <mysql.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "db/logs.h"
#include "web/web.h"

static struct app app;
static int listen_fd = -1;

/* The elastic thread pool: idle threads wait in accept; the last idle one to take a
 * request starts another, so a new caller always finds a thread while under the cap. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t gone; /* a thread exited */
	int total, idle, min, max, next_id;
	int stopping;
	int64_t grown_us; /* when the pool last had to grow: no shrinking for a while after */
	pthread_attr_t attr;
} tp = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .gone = PTHREAD_COND_INITIALIZER,
};

static int thread_start(void);

static void
access_log(struct ctx *c, int status, int64_t us)
{
	log_info("access %s %s %d %lldus user=%lld",
		 c->req->method_name ? c->req->method_name : "-", c->req->path ? c->req->path : "-",
		 status, (long long)us, c->user ? c->user->id : 0LL);
}

/* One request from accept to finish; everything it allocates dies with the arena. */
static void
serve_one(struct worker *w, FCGX_Request *fr)
{
	int64_t start = time_now_us();
	struct http_req req;
	struct http_resp resp;
	struct ctx c;
	memset(&c, 0, sizeof(c));
	c.app = w->app;
	c.w = w;
	c.a = &w->arena;
	c.db = w->db;
	c.req = &req;
	c.resp = &resp;
	http_resp_init(&resp, &w->arena);
	resp.status = 0; /* 0 until a handler or error page produces the response */
	int rc = http_req_read(&req, &w->arena, fr, &w->app->limits);
	int status;
	if (rc != HTTP_OK) {
		if (!req.path)
			req.path = "-";
		const char *msg = http_strerror(rc);
		if (rc == HTTP_ETOOBIG && req.body_len == 0 && http_param(&req, "CONTENT_LENGTH"))
			msg = arena_printf(&w->arena,
					   "The request body is too large: at most %zu bytes are "
					   "accepted ([limits] max_body).",
					   w->app->limits.max_body);
		status = strncmp(req.path, "/api/", 5) == 0
			     ? web_json_error(&c, http_err_status(rc), msg, NULL)
			     : web_error(&c, http_err_status(rc), msg);
	} else {
		status = web_dispatch(&c);
	}
	db_release(c.db); /* before the answer goes out: the next request finds the pool */
	http_resp_send(&resp, &req);
	access_log(&c, status, time_now_us() - start);
}

/* Called with tp.lock held after a thread took a request: when none is left waiting in
 * accept, another is started (up to tp.max). */
static void
pool_grow_locked(void)
{
	if (tp.idle == 0)
		tp.grown_us = time_now_us();
	if (tp.idle == 0 && tp.total < tp.max && !tp.stopping) {
		tp.total++;
		tp.idle++;
		if (thread_start() != 0) {
			tp.total--;
			tp.idle--;
		}
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	FCGX_Request fr;
	mysql_thread_init();
	FCGX_InitRequest(&fr, listen_fd, 0);
	for (;;) {
		if (FCGX_Accept_r(&fr) < 0)
			break;
		pthread_mutex_lock(&tp.lock);
		tp.idle--;
		pool_grow_locked();
		pthread_mutex_unlock(&tp.lock);
		serve_one(w, &fr);
		FCGX_Finish_r(&fr);
		arena_reset(&w->arena);
		pthread_mutex_lock(&tp.lock);
		/* More threads waiting than the floor needs, and no growth for 10 s (so a
		 * steady load does not start and end threads all the time): this one ends. */
		int leave = tp.idle >= tp.min && tp.total > tp.min &&
			    time_now_us() - tp.grown_us > 10 * 1000000LL;
		if (!leave)
			tp.idle++;
		pthread_mutex_unlock(&tp.lock);
		if (leave)
			goto out;
	}
	pthread_mutex_lock(&tp.lock);
	tp.idle--;
	pthread_mutex_unlock(&tp.lock);
out:
	FCGX_Free(&fr, 1);
	db_close(w->db);
	arena_free(&w->arena);
	free(w);
	mysql_thread_end();
	pthread_mutex_lock(&tp.lock);
	tp.total--;
	pthread_cond_broadcast(&tp.gone);
	pthread_mutex_unlock(&tp.lock);
	return NULL;
}

/* Starts one detached worker thread; tp.total and tp.idle already count it. */
static int
thread_start(void)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->id = tp.next_id++;
	w->app = &app;
	arena_init(&w->arena, 64 * 1024);
	if (db_open(&w->db, &app.cfg) != DB_OK) {
		arena_free(&w->arena);
		free(w);
		return -1;
	}
	pthread_t tid;
	if (pthread_create(&tid, &tp.attr, worker_main, w) != 0) {
		log_err("cannot start a worker thread: %s", strerror(errno));
		db_close(w->db);
		arena_free(&w->arena);
		free(w);
		return -1;
	}
	return 0;
}

static int
open_socket(const struct config *cfg)
{
	const char *path = config_get(cfg, "server.socket", "var/run/dcgate.sock");
	if (path[0] == '/' || path[0] == '.' || strchr(path, ':') == NULL)
		unlink(path); /* a stale socket from a killed process */
	int fd = FCGX_OpenSocket(path, 4096);
	if (fd < 0) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		return -1;
	}
	if (strchr(path, ':') == NULL) {
		/* Owner and group only by default: the web server's user belongs to the
		 * socket's group (README, Deploying), or the config says 0666. */
		long mode = strtol(config_get(cfg, "server.socket_mode", "0660"), NULL, 8);
		chmod(path, (mode_t)mode);
	}
	log_info("listening on %s", path);
	return fd;
}

/* When started as root with server.user set, serve as that user. */
static int
drop_privileges(const struct config *cfg)
{
	const char *name = config_get(cfg, "server.user", "");
	if (geteuid() != 0 || !*name)
		return 0;
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		log_err("server.user %s does not exist", name);
		return -1;
	}
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		log_err("cannot switch to user %s: %s", name, strerror(errno));
		return -1;
	}
	log_info("running as user %s", name);
	/* What SIGHUP reads again must be readable as this user (dcgate-admin init-key and
	 * rotate-key, run as root, give the key files this user's group). */
	const char *key = config_get(cfg, "security.key_file", "var/secret.key");
	if (access(key, R_OK) != 0)
		log_warn("as %s the key file %s cannot be read (%s): SIGHUP cannot load a rotated "
			 "key; run dcgate-admin init-key as root to give it the group of %s",
			 name, key, strerror(errno), name);
	const char *tmpl = config_get(cfg, "server.templates", "templates");
	if (access(tmpl, R_OK | X_OK) != 0)
		log_warn("as %s the templates %s cannot be read (%s): SIGHUP cannot reload them",
			 name, tmpl, strerror(errno));
	return 0;
}

/* The floor of threads (server.workers) waiting in accept; the rest start on demand. */
static int
workers_start(int min, int max)
{
	pthread_attr_init(&tp.attr);
	pthread_attr_setdetachstate(&tp.attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&tp.attr, 512 * 1024);
	tp.min = min;
	tp.max = max;
	pthread_mutex_lock(&tp.lock);
	int rc = 0;
	for (int i = 0; i < min && rc == 0; i++) {
		tp.total++;
		tp.idle++;
		if ((rc = thread_start()) != 0) {
			tp.total--;
			tp.idle--;
		}
	}
	pthread_mutex_unlock(&tp.lock);
	return rc;
}

/* Waits until every worker thread has finished its request and exited. */
static void
workers_join(void)
{
	pthread_mutex_lock(&tp.lock);
	tp.stopping = 1;
	while (tp.total > 0)
		pthread_cond_wait(&tp.gone, &tp.lock);
	pthread_mutex_unlock(&tp.lock);
}

/* One file descriptor per caller in flight, plus its outbound connection: raise the soft
 * limit to the hard one. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Waits for signals; returns when TERM or INT arrives. */
static void
signal_loop(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading templates and keys");
			app_reload_templates(&app);
			if (app_reload_keys(&app) != 0)
				log_err("SIGHUP: the key file could not be loaded");
			else
				log_info("SIGHUP: keys reloaded");
			continue;
		}
		log_info("signal %d: finishing in-flight requests", sig);
		return;
	}
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conf = argv[++i];
		else if (!strcmp(argv[i], "--version")) {
			printf("dcgate %s\n", DCGATE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "usage: dcgate [-c config]\n");
			return 2;
		}
	}
	char err[512];
	if (app_init(&app, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcgate: %s\n", err);
		return 1;
	}
	if (app_reload_templates(&app) != 0)
		return 1;
	mysql_library_init(0, NULL, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (outbound_global_init() != 0)
		return 1;
	FCGX_Init();
	listen_fd = open_socket(&app.cfg);
	if (listen_fd < 0 || drop_privileges(&app.cfg) != 0)
		return 1;
	/* libfcgi installs flag-only handlers; block the signals in every thread instead. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	long n = config_get_long(&app.cfg, "server.workers", 8);
	if (n < 1 || n > 256)
		n = 8;
	long max =
	    config_get_long(&app.cfg, "server.max_threads", n + app.outbound.concurrency + 16);
	if (max < n || max > 8192)
		max = n + app.outbound.concurrency + 16;
	if (db_log_writer_start(&app.cfg) != DB_OK)
		log_warn("execution log writer not started: rows are written by each request");
	if (workers_start((int)n, (int)max) != 0)
		return 1;
	log_info("dcgate %s started with %ld workers (up to %ld threads)", DCGATE_VERSION, n, max);
	signal_loop();
	FCGX_ShutdownPending();
	shutdown(listen_fd, SHUT_RDWR);
	workers_join();
	/* Tests on threads of their own (src/web/log_detail.c): a data source slower than
	 * this wait leaves its row "running" (shown as interrupted) and the process ends
	 * without freeing what such a thread still uses. */
	int left = web_tests_drain(35);
	db_log_writer_stop(); /* after the workers: their last rows are queued */
	if (left > 0) {
		log_warn("dcgate stopped with %d Test(s) still waiting for their data source",
			 left);
		_exit(0);
	}
	close(listen_fd);
	db_pool_close();
	app_free(&app);
	outbound_global_free();
	curl_global_cleanup();
	mysql_library_end();
	log_info("dcgate stopped");
	return 0;
}
