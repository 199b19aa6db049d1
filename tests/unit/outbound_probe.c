/* outbound_probe: sends one request through outbound_send and prints the result as JSON,
 * so tests/integration/outbound.test.js can drive the real curl code against real servers.
 *
 *   outbound_probe URL [--deny CIDRs] [--allow CIDRs] [--timeout S] [--connect-timeout S]
 *                      [--max N] [--redirects N] [--insecure] [--method M]
 *                      [--header 'Name: value']... [--data BODY]
 *                      [--concurrency N --queue-timeout MS --cap N --parallel N]
 *                                                         N threads at once, JSON array
 *                      [--token GRANT --client-id ID --client-secret S --user U --pass P
 *                       --scope S --client-basic --refresh R]   outbound_token_request
 *                      [--auth TYPE --conf FILE --connector ID [--force-new]]
 *                           connector_authorize with the database and key of FILE's
 *                           [database] and [security] key_file (URL is the token URL);
 *                           each thread opens its own connection, as a worker does
 *
 * Without --deny the server's default deny list applies. Exit 0 when the output was
 * printed (whatever the request's outcome), 2 on bad usage. */
#include <curl/curl.h>
#include <json-c/json.h>
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector/connector.h"
#include "outbound/outbound.h"

#define PROBE_MAX_HEADERS 32
#define PROBE_MAX_THREADS 64

struct probe {
	struct outbound_config oc;
	struct outbound_request req;
	struct outbound_header headers[PROBE_MAX_HEADERS];
	struct connector_auth ca;
	const char *grant;
	const char *refresh;
	long parallel;
	struct config cfg; /* --conf */
	const char *conf;
	int auth; /* --auth given */
	int force_new;
	struct crypt_keyring kr;
};

struct probe_run {
	const struct probe *p;
	struct arena a;
	struct outbound_response r;
	struct token_result tr;
	int auth_rc;
	const char *auth_msg;
	const char *authorization;
};

static int
usage(void)
{
	fputs("usage: outbound_probe URL [--deny CIDRs] [--allow CIDRs] [--timeout S] "
	      "[--connect-timeout S] [--max N] [--redirects N] [--insecure] [--method M] "
	      "[--header 'K: V'] [--data BODY] [--concurrency N] [--queue-timeout MS] [--cap N] "
	      "[--parallel N] "
	      "[--token GRANT ...]\n",
	      stderr);
	return 2;
}

static int
num(const char *s, long min, long max, long *out)
{
	return s && str_to_long(s, min, max, out) == CORE_OK ? 0 : -1;
}

/* "Name: value" into h; the strings point into argv. */
static int
parse_header(char *arg, struct outbound_header *h)
{
	char *colon = strchr(arg, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	h->name = arg;
	h->value = colon + 1 + (colon[1] == ' ');
	h->secret = 0;
	return 0;
}

/* One option with its value (argv[*i + 1]); -1 on a bad option or value. */
static int
parse_opt(struct probe *p, int argc, char **argv, int *i)
{
	const char *o = argv[*i];
	char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	long n;
	if (!strcmp(o, "--insecure"))
		return p->req.verify_tls = 0, 0;
	if (!strcmp(o, "--client-basic"))
		return p->ca.client_basic = 1, 0;
	if (!strcmp(o, "--force-new"))
		return p->force_new = 1, 0;
	if (!v)
		return -1;
	(*i)++;
	if (!strcmp(o, "--deny") || !strcmp(o, "--allow")) {
		int deny = !strcmp(o, "--deny");
		struct cidr **list = deny ? &p->oc.policy.deny : &p->oc.policy.allow;
		size_t *count = deny ? &p->oc.policy.ndeny : &p->oc.policy.nallow;
		free(*list);
		return cidr_parse_list(v, list, count);
	}
	if (!strcmp(o, "--timeout"))
		return num(v, 1, 300, &p->req.timeout);
	if (!strcmp(o, "--connect-timeout"))
		return num(v, 1, 300, &p->oc.connect_timeout);
	if (!strcmp(o, "--redirects"))
		return num(v, 0, 50, &p->oc.max_redirects);
	if (!strcmp(o, "--concurrency"))
		return num(v, 1, 1000, &p->oc.concurrency);
	if (!strcmp(o, "--queue-timeout"))
		return num(v, 0, 600000, &p->oc.queue_timeout_ms);
	if (!strcmp(o, "--cap"))
		return num(v, 1, 100000, &p->req.connector_cap) ? -1 : (p->req.connector_id = 7, 0);
	if (!strcmp(o, "--parallel"))
		return num(v, 1, PROBE_MAX_THREADS, &p->parallel);
	if (!strcmp(o, "--max"))
		return num(v, 1, 1L << 30, &n) ? -1 : (p->oc.max_response = (size_t)n, 0);
	if (!strcmp(o, "--method"))
		return p->req.method = v, 0;
	if (!strcmp(o, "--data"))
		return p->req.body = v, p->req.body_len = strlen(v), 0;
	if (!strcmp(o, "--header")) {
		if (p->req.nheaders >= PROBE_MAX_HEADERS)
			return -1;
		return parse_header(v, &p->headers[p->req.nheaders++]);
	}
	if (!strcmp(o, "--token"))
		return p->grant = v, 0;
	if (!strcmp(o, "--client-id"))
		return p->ca.client_id = v, 0;
	if (!strcmp(o, "--client-secret"))
		return p->ca.client_secret = v, 0;
	if (!strcmp(o, "--user"))
		return p->ca.username = v, 0;
	if (!strcmp(o, "--pass"))
		return p->ca.password = v, 0;
	if (!strcmp(o, "--scope"))
		return p->ca.scope = v, 0;
	if (!strcmp(o, "--refresh"))
		return p->refresh = v, 0;
	if (!strcmp(o, "--conf"))
		return p->conf = v, 0;
	if (!strcmp(o, "--connector"))
		return num(v, 1, 2147483647L, &n) ? -1 : (p->ca.connector_id = n, 0);
	if (!strcmp(o, "--auth")) {
		int t = auth_type_from_name(v);
		return t < 0 ? -1 : (p->ca.type = (enum auth_type)t, p->auth = 1, 0);
	}
	return -1;
}

/* --auth: the config file's key ring (the database is opened per thread). */
static int
auth_setup(struct probe *p)
{
	int line = 0;
	if (!p->conf || config_load(&p->cfg, p->conf, &line) != CORE_OK) {
		fprintf(stderr, "outbound_probe: --auth needs a readable --conf file\n");
		return -1;
	}
	const char *key = config_get(&p->cfg, "security.key_file", "var/secret.key");
	if (crypt_keyring_load(&p->kr, key) != CRYPT_OK) {
		fprintf(stderr, "outbound_probe: cannot load key file %s\n", key);
		return -1;
	}
	return 0;
}

/* Defaults as the server has them, then the command line. */
static int
parse_args(struct probe *p, int argc, char **argv)
{
	struct config empty = {0};
	memset(p, 0, sizeof(*p));
	if (outbound_config_load(&p->oc, &empty) != 0)
		return -1;
	p->req = (struct outbound_request){.method = "GET", .headers = p->headers, .verify_tls = 1};
	p->parallel = 1;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] == '-') {
			if (parse_opt(p, argc, argv, &i) != 0)
				return -1;
		} else if (!p->req.url) {
			p->req.url = argv[i];
		} else {
			return -1;
		}
	}
	if (!p->req.url)
		return -1;
	p->ca.token_url = p->req.url;
	/* As for a connector whose secrets were entered with this token URL. */
	static struct arena origin_arena;
	arena_init(&origin_arena, 1024);
	p->ca.token_origin = outbound_origin(&origin_arena, p->req.url);
	p->ca.verify_ssl = p->req.verify_tls;
	return p->auth ? auth_setup(p) : 0;
}

static void
add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static struct json_object *
response_json(const struct outbound_response *r, double elapsed_ms)
{
	struct json_object *o = json_object_new_object(), *h = json_object_new_object(),
			   *t = json_object_new_object();
	add_str(o, "err", outbound_err_name(r->err));
	json_object_object_add(o, "code", json_object_new_int(r->err));
	add_str(o, "message", r->message);
	add_str(o, "detail", r->error_detail);
	json_object_object_add(o, "status", json_object_new_int64(r->status));
	add_str(o, "reason", r->reason);
	for (size_t i = 0; i < r->nheaders; i++)
		add_str(h, r->headers[i].name, r->headers[i].value);
	json_object_object_add(o, "headers", h);
	json_object_object_add(
	    o, "body", r->body ? json_object_new_string_len(r->body, (int)r->body_len) : NULL);
	json_object_object_add(o, "body_len", json_object_new_int64((int64_t)r->body_len));
	json_object_object_add(o, "truncated", json_object_new_boolean(r->truncated));
	json_object_object_add(o, "size", json_object_new_int64(r->size));
	add_str(o, "effective_url", r->effective_url);
	json_object_object_add(o, "redirects", json_object_new_int(r->redirects));
	json_object_object_add(t, "dns_ms", json_object_new_double(r->t.dns_ms));
	json_object_object_add(t, "connect_ms", json_object_new_double(r->t.connect_ms));
	json_object_object_add(t, "tls_ms", json_object_new_double(r->t.tls_ms));
	json_object_object_add(t, "first_byte_ms", json_object_new_double(r->t.first_byte_ms));
	json_object_object_add(t, "total_ms", json_object_new_double(r->t.total_ms));
	json_object_object_add(o, "timings", t);
	json_object_object_add(o, "elapsed_ms", json_object_new_double(elapsed_ms));
	return o;
}

static struct json_object *
token_json(const struct token_result *tr, double elapsed_ms)
{
	struct json_object *o = json_object_new_object();
	add_str(o, "err", outbound_err_name(tr->err));
	json_object_object_add(o, "status", json_object_new_int64(tr->status));
	add_str(o, "message", tr->message);
	add_str(o, "access_token", tr->access_token);
	add_str(o, "token_type", tr->token_type);
	add_str(o, "refresh_token", tr->refresh_token);
	json_object_object_add(o, "expires_in", json_object_new_int64(tr->expires_in));
	add_str(o, "scope", tr->scope);
	json_object_object_add(o, "elapsed_ms", json_object_new_double(elapsed_ms));
	return o;
}

static struct json_object *
auth_json(const struct probe_run *run, double elapsed_ms)
{
	struct json_object *o = json_object_new_object();
	add_str(o, "err", outbound_err_name((enum outbound_err)run->auth_rc));
	add_str(o, "message", run->auth_msg);
	add_str(o, "authorization", run->authorization);
	json_object_object_add(o, "elapsed_ms", json_object_new_double(elapsed_ms));
	return o;
}

/* connector_authorize on a blank request with this thread's own database connection. */
static void
run_auth(struct probe_run *run, CURL *h)
{
	struct db *db = NULL;
	struct outbound_request req = {.method = "GET", .url = "http://unused.invalid/"};
	run->auth_msg = NULL;
	mysql_thread_init();
	/* A worker keeps its handle while the database is down: so does the probe. */
	db_open(&db, &run->p->cfg);
	if (!db) {
		run->auth_rc = OUT_EOTHER;
		run->auth_msg = "out of memory";
	} else {
		run->auth_rc =
		    connector_authorize(h, &run->p->oc, db, &run->p->kr, &run->a, &run->p->ca,
					run->p->force_new, &req, &run->auth_msg);
	}
	for (size_t i = 0; i < req.nheaders; i++)
		if (strcmp(req.headers[i].name, "Authorization") == 0)
			run->authorization = req.headers[i].value;
	db_close(db);
	mysql_thread_end();
}

/* One request (or token request) with its own curl handle, as a worker thread would. */
static void *
run_one(void *arg)
{
	struct probe_run *run = arg;
	CURL *h = curl_easy_init();
	if (run->p->auth)
		run_auth(run, h);
	else if (run->p->grant)
		outbound_token_request(h, &run->p->oc, &run->a, &run->p->ca, run->p->grant,
				       run->p->refresh, &run->tr);
	else
		outbound_send(h, &run->p->oc, &run->a, &run->p->req, &run->r);
	curl_easy_cleanup(h);
	return NULL;
}

int
main(int argc, char **argv)
{
	static struct probe p;
	static struct probe_run runs[PROBE_MAX_THREADS];
	pthread_t th[PROBE_MAX_THREADS];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mysql_library_init(0, NULL, NULL);
	if (parse_args(&p, argc, argv) != 0)
		return usage();
	int64_t start = time_now_us();
	for (long i = 0; i < p.parallel; i++) {
		runs[i].p = &p;
		arena_init(&runs[i].a, 0);
		pthread_create(&th[i], NULL, run_one, &runs[i]);
	}
	for (long i = 0; i < p.parallel; i++)
		pthread_join(th[i], NULL);
	double elapsed = (double)(time_now_us() - start) / 1000.0;
	struct json_object *out = p.parallel > 1 ? json_object_new_array() : NULL;
	for (long i = 0; i < p.parallel; i++) {
		struct json_object *o = p.auth	  ? auth_json(&runs[i], elapsed)
					: p.grant ? token_json(&runs[i].tr, elapsed)
						  : response_json(&runs[i].r, elapsed);
		if (out)
			json_object_array_add(out, o);
		else
			out = o;
	}
	puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	for (long i = 0; i < p.parallel; i++)
		arena_free(&runs[i].a);
	outbound_config_free(&p.oc);
	crypt_keyring_wipe(&p.kr);
	config_free(&p.cfg);
	mysql_library_end();
	curl_global_cleanup();
	return 0;
}
