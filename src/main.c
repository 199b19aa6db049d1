/* dcgate: the FastCGI process. Worker threads each own a DB connection, a curl handle and
 * an arena; the main thread only waits for signals (TERM: drain and exit; HUP: reload). */
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "db/logs.h"
#include "web/web.h"

static struct app app;
static int listen_fd = -1;

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
		status = strncmp(req.path, "/api/", 5) == 0
			     ? web_json_error(&c, http_err_status(rc), http_strerror(rc), NULL)
			     : web_error(&c, http_err_status(rc), http_strerror(rc));
	} else {
		status = web_dispatch(&c);
	}
	http_resp_send(&resp, &req);
	access_log(&c, status, time_now_us() - start);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	FCGX_Request fr;
	mysql_thread_init();
	FCGX_InitRequest(&fr, listen_fd, 0);
	while (FCGX_Accept_r(&fr) >= 0) {
		serve_one(w, &fr);
		FCGX_Finish_r(&fr);
		arena_reset(&w->arena);
	}
	FCGX_Free(&fr, 1);
	mysql_thread_end();
	return NULL;
}

static int
open_socket(const struct config *cfg)
{
	const char *path = config_get(cfg, "server.socket", "var/run/dcgate.sock");
	if (path[0] == '/' || path[0] == '.' || strchr(path, ':') == NULL)
		unlink(path); /* a stale socket from a killed process */
	int fd = FCGX_OpenSocket(path, 128);
	if (fd < 0) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		return -1;
	}
	if (strchr(path, ':') == NULL) {
		long mode = strtol(config_get(cfg, "server.socket_mode", "0666"), NULL, 8);
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

static int
workers_start(struct worker *ws, pthread_t *tids, int n)
{
	for (int i = 0; i < n; i++) {
		ws[i].id = i;
		ws[i].app = &app;
		arena_init(&ws[i].arena, 64 * 1024);
		if (db_open(&ws[i].db, &app.cfg) != DB_OK)
			log_warn("worker %d: database not reachable yet; will retry per request",
				 i);
		ws[i].curl = curl_easy_init();
		if (pthread_create(&tids[i], NULL, worker_main, &ws[i]) != 0) {
			log_err("cannot start worker %d", i);
			return -1;
		}
	}
	return 0;
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
	long n = config_get_long(&app.cfg, "server.workers", 8);
	if (n < 1 || n > 256)
		n = 8;
	struct worker *ws = calloc((size_t)n, sizeof(*ws));
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	if (!ws || !tids)
		return 1;
	if (db_log_writer_start(&app.cfg) != DB_OK)
		log_warn("execution log writer not started: rows are written by each request");
	if (workers_start(ws, tids, (int)n) != 0)
		return 1;
	log_info("dcgate %s started with %ld workers", DCGATE_VERSION, n);
	signal_loop();
	FCGX_ShutdownPending();
	shutdown(listen_fd, SHUT_RDWR);
	for (long i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
		db_close(ws[i].db);
		curl_easy_cleanup(ws[i].curl);
		arena_free(&ws[i].arena);
	}
	db_log_writer_stop(); /* after the workers: their last rows are queued */
	close(listen_fd);
	free(ws);
	free(tids);
	app_free(&app);
	curl_global_cleanup();
	mysql_library_end();
	log_info("dcgate stopped");
	return 0;
}
