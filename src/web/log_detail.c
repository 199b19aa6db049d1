/* A Test is a record (issue 20, items 1, 2 and 4). Pressing Test writes the execution-log
 * row at once (state running), starts the run on a thread of its own and answers 303 to
 * /data-connector-logs/{id}: that page shows progress (it refreshes itself without
 * JavaScript; with it, a spinner with the elapsed time and Cancel) and, when done, the
 * result — the request as sent with secrets masked, the data and warnings, the response
 * status, headers, timings and body, the error in plain words. It can be reloaded,
 * bookmarked and opened by anyone who may view connectors; Back and Forward never resubmit.
 * "Run again" repeats a logged call with the same data (edit or execute permission); the
 * API reads a row and runs it again.
 *
 * Why a thread and not the FastCGI worker: the worker must answer the POST at once (303)
 * so the browser shows progress within milliseconds, while the call may take up to its
 * 300 s timeout. The run thread owns a database handle from the pool (never held across
 * the call: the pool lends connections per statement), an arena and the process's curl
 * handles, so it takes no worker from the FastCGI pool (src/main.c) and the outbound
 * limits (process and per connector) still bound it. At most LOG_BG_MAX run at once; past
 * that the Test runs in the worker as before (still a record). TERM waits for them
 * (web_tests_drain). */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../db/environments.h"
#include "../db/log_detail.h"
#include "api.h"

#define LOG_BG_MAX	  64
#define LOG_TEST_KEEP_MIN 60  /* a Test's bodies: kept an hour for its page */
#define LOG_INTERRUPTED_S 400 /* running longer than any timeout: interrupted */

/* ------------------------------------------------------------ the run */

/* One run, in malloc'd memory (it outlives the request that started it). */
struct log_run {
	struct app *app;
	long long connector_id, endpoint_id, user_id, token_id, log_id;
	char kind[16];
	char environment[80]; /* the environment's name ("" none) */
	char *data;	      /* JSON text to render over; NULL: the endpoint's sample data */
	int all_pages;	      /* fetch every page up to the endpoint's Max pages */
};

/* Warnings for {{variables}} the data lacks outside the URL's path. */
static struct json_object *
log_warnings(struct arena *a, const struct endpoint_input *ep, struct json_object *data)
{
	struct buf b;
	buf_init(&b);
	connector_vars_missing(a, ep->url, "the URL", 1, data, &b);
	for (size_t i = 0; i < ep->nheaders; i++)
		connector_vars_missing(a, ep->headers[i].value,
				       arena_printf(a, "header %s", ep->headers[i].key), 0, data,
				       &b);
	for (size_t i = 0; i < ep->nparams; i++)
		connector_vars_missing(a, ep->params[i].value,
				       arena_printf(a, "query parameter %s", ep->params[i].key), 0,
				       data, &b);
	connector_vars_missing(a, ep->body, "the body", 0, data, &b);
	struct json_object *arr = json_object_new_array();
	for (char *line = b.data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		json_object_array_add(
		    arr,
		    jstr(arena_printf(a, "%s has no value in the data: it was sent empty.", line)));
	}
	buf_free(&b);
	return arr;
}

/* What the log page and the API show of a finished Test (bodies go to their own columns):
 * the run's detail with the warnings about missing variables and Fetch all pages. */
static struct json_object *
log_detail_json(struct arena *a, const struct app *app, const struct log_run *lr,
		const struct connector_run_out *t, const char *data_text,
		struct json_object *warnings)
{
	struct json_object *d =
	    connector_detail_json(a, app->outbound.max_response, t, lr->kind, data_text, 1);
	jset_bool(d, "has_warnings", warnings && json_object_array_length(warnings) > 0);
	jset(d, "warnings", warnings);
	jset_bool(d, "all_pages", lr->all_pages);
	return d;
}

/* Runs lr on db (its row already written) and finishes the row. */
static void
log_run_now(struct db *db, struct arena *a, const struct log_run *lr)
{
	struct app *app = lr->app;
	struct endpoint_input ep;
	struct json_object *data = NULL, *used = NULL, *warnings = NULL;
	struct connector_run_out out;
	struct db_log_result res = {.method = "", .url = ""};
	int rc = db_log_endpoint(db, a, lr->connector_id, lr->endpoint_id, 1, &ep);
	if (rc == DB_OK) {
		const char *text = lr->data ? lr->data : ep.sample_data;
		used = text && *text ? json_tokener_parse(text) : NULL;
		if (!used || !json_object_is_type(used, json_type_object)) {
			json_object_put(used);
			used = json_object_new_object();
		}
		if (lr->data)
			data = json_object_get(used);
		warnings = log_warnings(a, &ep, used);
		/* Serialized before the run: it may add the sealed variables to the data. */
		const char *data_text =
		    arena_strdup(a, json_object_to_json_string_ext(
					used, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
		struct connector_run_in in = {
		    .oc = &app->outbound,
		    .keys = app->have_keys ? &app->keys : NULL,
		    .db = db,
		    .a = a,
		    .connector_id = lr->connector_id,
		    .endpoint_id = lr->endpoint_id,
		    .data = data,
		    .kind = lr->kind,
		    .user_id = lr->user_id,
		    .token_id = lr->token_id,
		    .log_id = lr->log_id,
		    .all_pages = lr->all_pages,
		    .environment = lr->environment[0] ? lr->environment : NULL,
		};
		rc = connector_run(&in, &out);
		if (rc == 0) {
			struct json_object *d =
			    log_detail_json(a, app, lr, &out, data_text, json_object_get(warnings));
			int is_json, binary, test = !strcmp(lr->kind, "test");
			long days = db_endpoint_keep_days(db, lr->endpoint_id);
			long keep_min = days > 30 ? 30 * 1440 : days * 1440;
			if (test && keep_min < LOG_TEST_KEEP_MIN)
				keep_min = LOG_TEST_KEEP_MIN;
			const char *rb = out.sent && out.resp.err == OUT_OK
					     ? connector_body_text(a, &out.resp, &is_json, &binary)
					     : NULL;
			size_t cap = test ? (size_t)-1 : CONNECTOR_KEEP_BODY_CAP;
			res.method =
			    out.shown.method ? out.shown.method : endpoint_method_names[ep.method];
			res.url = out.shown.url ? out.shown.url : connector_mask_url(a, ep.url);
			res.status = out.sent ? out.resp.status : 0;
			res.duration_us = out.sent ? (long long)(out.resp.t.total_ms * 1000.0) : 0;
			res.size = out.sent ? out.resp.size : 0;
			res.error = out.error ? out.error : "";
			res.detail = arena_strdup(
			    a, json_object_to_json_string_ext(
				   d, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			res.keep_minutes = keep_min;
			if (keep_min > 0) {
				res.request_body = connector_body_cap(a, out.shown.body, cap);
				res.response_body = connector_body_cap(a, rb, cap);
			}
			json_object_put(d);
		}
	}
	if (rc != 0) {
		res.error = rc == 404 ? "The endpoint was deleted before it could run."
				      : "The run failed inside dcgate (see the server log).";
		res.detail = "{}";
	}
	if (db_log_finish(db, lr->log_id, &res) != DB_OK)
		log_info("log %lld: finished after it was cancelled", lr->log_id);
	json_object_put(data);
	json_object_put(used);
	json_object_put(warnings);
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int running;
} bg = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void
log_run_free(struct log_run *lr)
{
	free(lr->data);
	free(lr);
}

static void *
log_bg_main(void *arg)
{
	struct log_run *lr = arg;
	struct arena a;
	struct db *db = NULL;
	db_thread_begin();
	arena_init(&a, 64 * 1024);
	if (db_open(&db, &lr->app->cfg) == DB_OK)
		log_run_now(db, &a, lr);
	db_close(db);
	arena_free(&a);
	log_run_free(lr);
	db_thread_end();
	pthread_mutex_lock(&bg.lock);
	bg.running--;
	pthread_cond_broadcast(&bg.done);
	pthread_mutex_unlock(&bg.lock);
	return NULL;
}

/* Starts lr on a thread of its own (which then owns it); -1 when at the limit or no thread
 * could start (lr is still the caller's). */
static int
log_bg_start(struct log_run *lr)
{
	pthread_attr_t attr;
	pthread_t tid;
	pthread_mutex_lock(&bg.lock);
	if (bg.running >= LOG_BG_MAX) {
		pthread_mutex_unlock(&bg.lock);
		return -1;
	}
	bg.running++;
	pthread_mutex_unlock(&bg.lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	int rc = pthread_create(&tid, &attr, log_bg_main, lr);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_warn("cannot start a Test thread: %s", strerror(rc));
		pthread_mutex_lock(&bg.lock);
		bg.running--;
		pthread_mutex_unlock(&bg.lock);
		return -1;
	}
	return 0;
}

int
web_tests_drain(long seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&bg.lock);
	while (bg.running > 0)
		if (pthread_cond_timedwait(&bg.done, &bg.lock, &until) == ETIMEDOUT)
			break;
	int left = bg.running;
	pthread_mutex_unlock(&bg.lock);
	return left;
}

/* The environment a run of connector cid is in: the one named env (case ignored), else the
 * default; *name "" when none. 422 when env names none of the connector's. */
static int
log_environment(struct ctx *c, long long cid, const char *env, const char **name)
{
	int rc = db_log_environment(c->db, c->a, c->user ? &c->user->gens : NULL, cid, env, name);
	if (rc == DB_ENOTFOUND)
		return env && *env ? 422 : 0;
	return rc;
}

/* Writes the running row of endpoint eid of connector cid and starts the run (on its own
 * thread; in this worker when sync or when none can start) in environment env (NULL or "":
 * the default). *log_id is the row. */
static int
log_start(struct ctx *c, long long cid, long long eid, const char *kind, const char *data,
	  int all_pages, int sync, const char *env, long long *log_id)
{
	struct endpoint_input ep;
	const char *env_name = "";
	int rc = db_log_endpoint(c->db, c->a, cid, eid, 0, &ep);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	if ((rc = log_environment(c, cid, env, &env_name)) != 0)
		return rc;
	struct db_execution e = {
	    .connector_id = cid,
	    .endpoint_id = eid,
	    .user_id = c->user ? c->user->id : 0,
	    .token_id = c->user ? c->user->token_id : 0,
	    .kind = kind,
	    .environment = env_name,
	    .method = endpoint_method_names[ep.method],
	    .url = connector_mask_url(c->a, ep.url),
	};
	if ((rc = db_log_start(c->db, &e, log_id)) != DB_OK)
		return rc;
	struct log_run *lr = calloc(1, sizeof(*lr));
	char *dup = data ? strdup(data) : NULL;
	if (!lr || (data && !dup)) {
		free(lr);
		free(dup);
		return DB_ENOMEM;
	}
	*lr = (struct log_run){.app = c->app,
			       .connector_id = cid,
			       .endpoint_id = eid,
			       .user_id = e.user_id,
			       .token_id = e.token_id,
			       .log_id = *log_id,
			       .data = dup,
			       .all_pages = all_pages};
	size_t kl = strlen(kind), el = strlen(env_name);
	memcpy(lr->kind, kind, kl < sizeof(lr->kind) ? kl : sizeof(lr->kind) - 1);
	memcpy(lr->environment, env_name,
	       el < sizeof(lr->environment) ? el : sizeof(lr->environment) - 1);
	if (sync || log_bg_start(lr) != 0) {
		log_run_now(c->db, c->a, lr);
		log_run_free(lr);
	}
	return 0;
}

/* ------------------------------------------------------------ pages */

int
web_endpoint_test_start(struct ctx *c)
{
	long long id;
	const char *env = http_form_get(c->req, "environment");
	int rc = log_start(c, c->ids[0], c->ids[1], "test", NULL, form_checkbox(c, "all_pages"), 0,
			   env, &id);
	if (rc == 422)
		return web_fail(c, 422,
				arena_printf(c->a,
					     "Environment: this Data Connector has no environment "
					     "\"%s\"; nothing was sent.",
					     env),
				NULL);
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, arena_printf(c->a, "/data-connector-logs/%lld", id), NULL);
}

/* The row and its detail as template data (or API JSON with api set). */
static struct json_object *
log_json(struct ctx *c, const struct log_entry *r, int api)
{
	struct json_object *o = json_object_new_object();
	int interrupted = !strcmp(r->state, "running") && r->running_s > LOG_INTERRUPTED_S;
	jset_int(o, "id", r->id);
	jset_int(o, "connector_id", r->connector_id);
	jset_int(o, "endpoint_id", r->endpoint_id);
	jset_str(o, "kind", r->kind);
	jset_str(o, "environment", r->environment);
	jset_str(o, "state", interrupted ? "interrupted" : r->state);
	jset_str(o, "method", r->method);
	jset_str(o, "url", r->url);
	jset_int(o, "status", r->status);
	jset_int(o, "duration_us", r->duration_us);
	jset_int(o, "size", r->size);
	jset_str(o, "error",
		 interrupted ? "The run was interrupted (dcgate stopped) before an "
			       "answer came."
			     : r->error);
	jset_str(o, "created_at", api ? api_time(c->a, r->created_at) : r->created_at);
	jset_str(o, api ? "user" : "run_by", r->user_name ? r->user_name : "unknown");
	if (r->token_name)
		jset_str(o, "token_name", r->token_name);
	jset_str(o, "connector_name", r->connector_name ? r->connector_name : "(deleted)");
	jset_str(o, "purpose", r->endpoint_purpose ? r->endpoint_purpose : "(deleted)");
	struct json_object *d = json_tokener_parse(r->detail);
	if (d && json_object_is_type(d, json_type_object))
		jset(o, "detail", d);
	else
		json_object_put(d);
	if (r->request_body)
		jset_str(o, "request_body", r->request_body);
	if (r->response_body)
		jset_str(o, "response_body", r->response_body);
	if (!api) {
		jset_int(o, "elapsed_s", r->running_s);
		jset_bool(o, "running", !strcmp(r->state, "running") && !interrupted);
		jset_bool(o, "cancelled", !strcmp(r->state, "cancelled"));
		jset_bool(o, "ok", r->status >= 200 && r->status < 300 && !*r->error);
	}
	return o;
}

static struct json_object *
jdig(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v = NULL, *w = NULL;
	if (!o || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (!b)
		return v;
	return v && json_object_object_get_ex(v, b, &w) ? w : NULL;
}

/* The page of entry ids[0]; f (may be NULL) holds the Keep bodies field's error. */
static int
log_page(struct ctx *c, struct form *f)
{
	struct log_entry r;
	int rc = db_log_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	struct json_object *d = log_json(c, &r, 0);
	web_defer_json(c, d);
	long long cid = r.connector_id, eid = r.endpoint_id;
	const char *base = arena_printf(c->a, "/data-connectors/%lld", cid);
	int alive = r.connector_name && r.endpoint_purpose;
	jset_str(d, "title",
		 arena_printf(c->a, "%s · %s", json_object_get_string(jdig(d, "kind", NULL)),
			      json_object_get_string(jdig(d, "purpose", NULL))));
	jset_bool(d, "is_test", !strcmp(r.kind, "test"));
	if (alive) {
		jset_str(d, "endpoint_url", arena_printf(c->a, "%s/endpoints/%lld", base, eid));
		jset_str(d, "endpoints_url", arena_printf(c->a, "%s/endpoints", base));
		jset_str(d, "logs_url", arena_printf(c->a, "%s/logs", base));
		jset_str(d, "test_url", arena_printf(c->a, "%s/endpoints/%lld/test", base, eid));
	}
	int can_edit = perm_has(c->user, PERM_EDIT_CONNECTORS);
	if (alive && can_edit) {
		jset_int(d, "keep_days", db_endpoint_keep_days(c->db, eid));
		jset_bool(d, "can_keep", 1);
	}
	jset_bool(d, "can_cancel", can_edit);
	jset_bool(d, "can_test_again", alive && can_edit);
	if (alive && can_edit) {
		struct json_object *envs = web_env_options(c, cid, r.environment);
		jset_bool(d, "has_environments", json_object_array_length(envs) > 0);
		jset(d, "environments", envs);
	}
	jset_bool(d, "can_run_again",
		  alive && (can_edit || perm_has(c->user, PERM_EXECUTE_CONNECTORS)));
	struct json_object *resp = jdig(d, "detail", "response");
	if (resp && !r.response_body && !jdig(resp, "binary", NULL) && r.size > 0)
		jset_bool(d, "body_not_kept", 1);
	http_resp_header(c->resp, "Cache-Control", "no-store");
	struct json_object *budget = jdig(d, "detail", "budget");
	int status = budget && json_object_get_boolean(budget) ? 422 : 200;
	if (f) {
		form_put(f, d);
		status = 422;
	}
	return web_render(c, status, "log_detail", json_object_get(d));
}

int
web_log_show(struct ctx *c)
{
	return log_page(c, NULL);
}

/* "Keep bodies for N days" of the entry's endpoint (0-30; 0: a Test's for an hour only). */
int
web_log_keep_bodies(struct ctx *c)
{
	struct log_entry r;
	int rc = db_log_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	if (!r.connector_name || !r.endpoint_purpose)
		return 404;
	struct form f;
	form_init(&f, c);
	/* Decoded and checked by the endpoint form's own field (src/db/endpoint_fields.h). */
	const struct field *fd = NULL;
	for (size_t i = 0; !fd && i < endpoint_nfields; i++)
		if (!strcmp(endpoint_field_table[i].name, "keep_bodies_days"))
			fd = &endpoint_field_table[i];
	if (!fd)
		return 500;
	struct endpoint_input in;
	endpoint_defaults(&in);
	field_decode(&f, fd, 1, &in);
	if (f.nerrors)
		return log_page(c, &f);
	long days = in.keep_bodies_days;
	long long cid = r.connector_id, eid = r.endpoint_id;
	rc = db_endpoint_set_keep_days(c->db, cid, eid, days);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	audit_write(c->db, c->user, "endpoint.keep_bodies", "connector", cid,
		    arena_printf(c->a, "endpoint %lld: keep bodies %ld days", eid, days),
		    c->req->remote_addr);
	return web_redirect_flash(
	    c, arena_printf(c->a, "/data-connector-logs/%lld", c->ids[0]),
	    days
		? arena_printf(c->a, "Bodies of this endpoint's calls are kept for %ld days.", days)
		: "Bodies of this endpoint's calls are not kept (a Test's for an hour).");
}

int
web_log_cancel(struct ctx *c)
{
	struct log_entry r;
	int rc = db_log_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	rc = db_log_cancel(c->db, c->ids[0]);
	if (rc != DB_OK && rc != DB_ENOTFOUND)
		return rc;
	return web_redirect_flash(c, arena_printf(c->a, "/data-connector-logs/%lld", c->ids[0]),
				  rc == DB_OK ? "The Test was cancelled." : NULL);
}

/* The logged row's connector, endpoint, kind and data for a new run; 404 when any is gone,
 * 403 without edit or execute permission. */
static int
log_again(struct ctx *c, int sync, long long *new_id)
{
	struct log_entry r;
	int rc = db_log_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	if (!r.connector_name || !r.endpoint_purpose)
		return 404;
	if (!perm_has(c->user, PERM_EDIT_CONNECTORS) && !perm_has(c->user, PERM_EXECUTE_CONNECTORS))
		return 403;
	struct json_object *d = json_tokener_parse(r.detail);
	struct json_object *data = jdig(d, "data", NULL);
	const char *text = data ? arena_strdup(c->a, json_object_get_string(data)) : NULL;
	int all_pages = json_object_get_boolean(jdig(d, "all_pages", NULL));
	json_object_put(d);
	return log_start(c, r.connector_id, r.endpoint_id, r.kind, text, all_pages, sync,
			 *r.environment ? r.environment : NULL, new_id);
}

int
web_log_run_again(struct ctx *c)
{
	long long id;
	int rc = log_again(c, 0, &id);
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, arena_printf(c->a, "/data-connector-logs/%lld", id), NULL);
}

/* ------------------------------------------------------------ API */

int
web_api_log_show(struct ctx *c)
{
	struct log_entry r;
	int rc = db_log_get(c->db, c->a, c->ids[0], &r);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, "No such execution-log entry.");
	if (rc != DB_OK)
		return rc;
	return web_json(c, 200, log_json(c, &r, 1));
}

int
web_api_log_run_again(struct ctx *c)
{
	long long id;
	int rc = log_again(c, 1, &id);
	if (rc == 404)
		return api_not_found(c, "No such execution-log entry, or its endpoint is gone.");
	if (rc == 403)
		return web_fail(c, 403,
				"Running a call again needs the edit or execute permission of Data "
				"Connectors.",
				NULL);
	if (rc != 0)
		return rc;
	struct log_entry r;
	if ((rc = db_log_get(c->db, c->a, id, &r)) != DB_OK)
		return rc;
	return web_json(c, 200, log_json(c, &r, 1));
}
