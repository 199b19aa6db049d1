/* The endpoint run shared by the Test page and the API's execute: the saved endpoint
 * loaded with its connector, rendered over the caller's data or the sample data (URL
 * percent-encoded, query parameters appended, header values refused with CR/LF, a JSON
 * body JSON-escaped), the connector's authorization applied (an OAuth token fetched again
 * once after a 401), sent through the outbound layer, masked for showing, and written to
 * execution_logs. Callers get plain results; pages and JSON are theirs. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../db/endpoints.h"
#include "../db/environments.h"
#include "../tmpl/tmpl.h"
#include "connector.h"

#define RUN_MASK "****"

/* One run: what the caller gave, what was loaded, and the request with its secrets (never
 * shown; out->shown is the masked copy). */
struct run {
	const struct connector_run_in *in;
	struct connector_run_out *out;
	struct arena *a;
	long long connector_id, endpoint_id;
	struct db_rows conn;
	const struct endpoint_input *e; /* the saved endpoint, or the caller's draft */
	struct connector_auth auth;
	struct json_object *sample; /* the data rendered over */
	struct outbound_request req;
	int uses_vars;	    /* a template names "secrets" */
	size_t nvars;	    /* sealed variables opened into the data's "secrets" */
	struct db_rows env; /* the environment's row (nrows 0: none) */
	int env_override;   /* its own credentials replace the connector's */
	size_t env_sealed;  /* its sealed variables opened into the data's "env" */
	const char **masks; /* every secret value (and its escaped forms), longest first */
	size_t nmasks, masks_cap;
	long keep_days; /* the endpoint keeps its calls' bodies this long (0: not) */
};

static void run_note(struct run *t, const char *note);

/* ------------------------------------------------------------------- loading */

/* Opens secret which (from column) into *out: the connector's, or with env the
 * environment's (sealed under its own seal_key). -1 when it cannot be opened (no key
 * loaded, another key, or tampered). */
static int
run_secret_of(struct run *t, int env, const char *column, enum connector_secret which,
	      const char **out)
{
	char *plain = NULL;
	*out = NULL;
	int rc = env ? connector_env_secret_open(t->in->keys, t->a, t->connector_id,
						 db_get_str(&t->env, 0, "seal_key"), which,
						 db_get(&t->env, 0, column), &plain, NULL)
		     : connector_secret_open(t->in->keys, t->a, t->connector_id, which,
					     db_get(&t->conn, 0, column), &plain, NULL);
	if (rc != CRYPT_OK) {
		log_warn("connector: the %s of %sconnector %lld cannot be opened",
			 connector_secret_names[which], env ? "an environment of " : "",
			 t->connector_id);
		return -1;
	}
	*out = plain;
	return 0;
}

static int
run_secret(struct run *t, const char *column, enum connector_secret which, const char **out)
{
	return run_secret_of(t, 0, column, which, out);
}

static int
run_env_secret(struct run *t, const char *column, enum connector_secret which, const char **out)
{
	return run_secret_of(t, 1, column, which, out);
}

/* The connector's authorization with its secrets opened. */
static int
run_auth(struct run *t)
{
	struct connector_auth *a = &t->auth;
	const char *ca = db_get(&t->conn, 0, "client_auth");
	int type = auth_type_from_name(db_get(&t->conn, 0, "auth_type"));
	memset(a, 0, sizeof(*a));
	a->connector_id = t->connector_id;
	a->type = type < 0 ? AUTH_NONE : (enum auth_type)type;
	a->verify_ssl = db_get_ll(&t->conn, 0, "verify_ssl", 1) != 0;
	a->username = db_get(&t->conn, 0, "auth_username");
	a->token_url = db_get(&t->conn, 0, "token_url");
	a->client_id = db_get(&t->conn, 0, "client_id");
	a->scope = db_get(&t->conn, 0, "scope");
	a->client_basic = ca && !strcmp(ca, "basic");
	a->api_key_name = db_get(&t->conn, 0, "api_key_name");
	a->api_key_query = !strcmp(db_get_str(&t->conn, 0, "api_key_in"), "query");
	a->token_origin = db_get(&t->conn, 0, "token_origin");
	a->aws_region = db_get(&t->conn, 0, "aws_region");
	a->aws_service = db_get(&t->conn, 0, "aws_service");
	a->client_cert = db_get(&t->conn, 0, "client_cert");
	a->auth_url = db_get(&t->conn, 0, "auth_url");
	a->token_params = db_get(&t->conn, 0, "token_params");
	if (run_secret(t, "client_key", CONNECTOR_SECRET_CLIENT_KEY, &a->client_key) ||
	    run_secret(t, "client_key_pass", CONNECTOR_SECRET_CLIENT_KEY_PASS,
		       &a->client_key_pass) ||
	    run_secret(t, "oauth_refresh", CONNECTOR_SECRET_OAUTH_REFRESH, &a->refresh_token) ||
	    run_secret(t, "auth_password", CONNECTOR_SECRET_PASSWORD, &a->password) ||
	    run_secret(t, "auth_token", CONNECTOR_SECRET_TOKEN, &a->token) ||
	    run_secret(t, "client_secret", CONNECTOR_SECRET_CLIENT_SECRET, &a->client_secret) ||
	    run_secret(t, "api_key", CONNECTOR_SECRET_API_KEY, &a->api_key)) {
		t->out->error =
		    "A stored secret of this Data Connector cannot be opened (the server's "
		    "key has changed). Enter the Authorization secrets again.";
		t->out->error_code = "ESECRET";
		return -1;
	}
	return 0;
}

/* json_object_put for the arena's defer list. */
static void
run_json_put(void *p)
{
	json_object_put(p);
}

/* A saved endpoint's definition as the typed input a draft also is. */
static const struct endpoint_input *
run_endpoint_of(struct arena *a, const struct endpoint_def *d)
{
	struct endpoint_input *e = arena_alloc(a, sizeof(*e));
	if (!e || db_endpoint_of(a, &d->ep, &d->headers, &d->params, &d->maps, &d->fields, e) != 0)
		return NULL;
	return e;
}

/* Loads the connector and endpoint (by id, or by purpose when in->purpose is set); the
 * caller's data (an object), else the sample data, is what the templates render over. */
static int
run_load(struct run *t)
{
	const struct connector_run_in *in = t->in;
	int rc;
	if (in->draft) {
		if ((rc = db_connector_auth_get(in->db, t->a, t->connector_id, &t->conn)) != DB_OK)
			return rc == DB_ENOTFOUND ? 404 : rc;
		t->e = in->draft;
		t->endpoint_id = in->endpoint_id;
	} else {
		struct endpoint_def d;
		rc = db_endpoint_def(in->db, t->a, in->gens, t->connector_id, t->endpoint_id,
				     in->purpose, &d);
		if (rc != DB_OK)
			return rc == DB_ENOTFOUND ? 404 : rc;
		t->conn = d.conn;
		t->endpoint_id = db_get_ll(&d.ep, 0, "id", t->endpoint_id);
		t->keep_days = (long)db_get_ll(&d.ep, 0, "keep_bodies_days", 0);
		if (!(t->e = run_endpoint_of(t->a, &d)))
			return DB_ENOMEM;
	}
	if (in->data) {
		t->sample = in->data;
		return DB_OK;
	}
	const char *sample = t->e->sample_data;
	t->sample = sample && *sample ? json_tokener_parse(sample) : NULL;
	if (!t->sample || !json_object_is_type(t->sample, json_type_object)) {
		json_object_put(t->sample);
		t->sample = json_object_new_object();
	}
	if (arena_defer(t->a, run_json_put, t->sample) != CORE_OK) {
		json_object_put(t->sample);
		t->sample = NULL;
		return DB_EFAIL;
	}
	return DB_OK;
}

/* ---------------------------------------------------------------- secrets */

/* Adds s (and the forms it takes in a URL, a form body and a JSON string) to the values
 * masked wherever the run shows or logs something. Values shorter than 3 bytes are left:
 * masking them would hide ordinary text; they are still masked as header values. */
static void
run_mask_add(struct run *t, const char *s)
{
	static const int escs[] = {-1, TMPL_ESC_URL, TMPL_ESC_FORM, TMPL_ESC_JSON};
	if (!s || strlen(s) < 3)
		return;
	for (size_t e = 0; e < sizeof(escs) / sizeof(escs[0]); e++) {
		const char *v = s;
		if (escs[e] >= 0) {
			struct buf b;
			buf_init(&b);
			tmpl_escape_append(&b, (enum tmpl_escape)escs[e], s, strlen(s));
			v = b.failed || !b.data ? NULL : arena_strdup(t->a, b.data);
			buf_free(&b);
		}
		if (!v)
			continue;
		int dup = 0;
		for (size_t i = 0; i < t->nmasks && !dup; i++)
			dup = !strcmp(t->masks[i], v);
		if (dup)
			continue;
		if (t->nmasks == t->masks_cap) {
			size_t cap = t->masks_cap ? t->masks_cap * 2 : 16;
			const char **m = arena_alloc(t->a, cap * sizeof(*m));
			if (!m)
				return;
			if (t->nmasks)
				memcpy(m, t->masks, t->nmasks * sizeof(*m));
			t->masks = m;
			t->masks_cap = cap;
		}
		/* Longest first, so a value is masked whole before a part of it could be. */
		size_t i = t->nmasks++;
		while (i > 0 && strlen(t->masks[i - 1]) < strlen(v)) {
			t->masks[i] = t->masks[i - 1];
			i--;
		}
		t->masks[i] = v;
	}
}

/* len bytes of p with every mask replaced by RUN_MASK, in the arena (NUL-terminated);
 * *outlen its length. p itself when nothing is masked. */
static const char *
run_mask_bytes(struct run *t, const char *p, size_t len, size_t *outlen)
{
	*outlen = len;
	if (!p || !t->nmasks)
		return p;
	const char *cur = p;
	size_t curlen = len;
	for (size_t m = 0; m < t->nmasks; m++) {
		size_t mlen = strlen(t->masks[m]);
		if (!memmem(cur, curlen, t->masks[m], mlen))
			continue;
		struct buf b;
		buf_init(&b);
		const char *q = cur, *end = cur + curlen, *hit;
		while ((hit = memmem(q, (size_t)(end - q), t->masks[m], mlen)) != NULL) {
			buf_append(&b, q, (size_t)(hit - q));
			buf_puts(&b, RUN_MASK);
			q = hit + mlen;
		}
		buf_append(&b, q, (size_t)(end - q));
		char *n = b.failed ? NULL : arena_alloc(t->a, b.len + 1);
		if (n) {
			memcpy(n, b.data ? b.data : "", b.len);
			n[b.len] = '\0';
			cur = n;
			curlen = b.len;
		}
		buf_free(&b);
		if (!n)
			return RUN_MASK;
	}
	*outlen = curlen;
	return cur;
}

static const char *
run_mask(struct run *t, const char *s)
{
	size_t n;
	return s ? run_mask_bytes(t, s, strlen(s), &n) : s;
}

/* Whether a template can reach the sealed variables: only by naming "secrets" (mustache has
 * no way to list an object's members or to build a name). */
static int
run_names(const char *text, const char *word)
{
	return text && strstr(text, word) != NULL;
}

static int
run_names_secrets(const char *text)
{
	return run_names(text, "secrets");
}

/* Whether a template names word ("secrets", "env"). */
static int
run_templates_name(struct run *t, const char *word)
{
	const struct endpoint_input *e = t->e;
	if (run_names(e->url, word) || run_names(e->body, word))
		return 1;
	for (size_t i = 0; i < e->nheaders; i++)
		if (run_names(e->headers[i].value, word))
			return 1;
	for (size_t i = 0; i < e->nparams; i++)
		if (run_names(e->params[i].value, word))
			return 1;
	for (size_t i = 0; i < e->rt.nfields; i++)
		if (run_names(e->rt.fields[i].value, word))
			return 1;
	return 0;
}

static int
run_templates_name_secrets(struct run *t)
{
	return run_templates_name(t, "secrets");
}

/* Whether text may carry a sealed value: a connector's sealed variable or an
 * environment's. */
static int
run_tpl_secret(const struct run *t, const char *text)
{
	return (t->nvars && run_names_secrets(text)) || (t->env_sealed && run_names(text, "env."));
}

/* A copy of the data (kept until the arena goes) whose member (the caller's own, if any,
 * replaced) is *vars, a new empty object to fill; -1 when out of memory. */
static int
run_sample_with(struct run *t, const char *member, struct json_object **copy,
		struct json_object **vars)
{
	*copy = json_object_new_object();
	*vars = json_object_new_object();
	if (!*copy || !*vars || arena_defer(t->a, run_json_put, *copy) != CORE_OK) {
		json_object_put(*copy);
		json_object_put(*vars);
		return -1;
	}
	json_object_object_foreach(t->sample, key, val)
	{
		if (strcmp(key, member) != 0)
			json_object_object_add(*copy, key, json_object_get(val));
	}
	json_object_object_add(*copy, member, *vars);
	return 0;
}

/* When a template names "secrets": the data rendered over becomes a copy of it whose
 * "secrets" member holds the connector's sealed variables, opened (the caller's own
 * "secrets" member, if any, is replaced). */
static int
run_variables(struct run *t)
{
	struct db_connector_var *r = NULL;
	size_t nr = 0;
	if (!(t->uses_vars = run_templates_name_secrets(t)))
		return 0;
	int rc = db_connector_variables(t->in->db, t->a, t->connector_id, &r, &nr);
	if (rc != DB_OK)
		return rc;
	struct json_object *copy, *vars;
	if (run_sample_with(t, "secrets", &copy, &vars) != 0)
		return DB_ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		const char *name = r[i].name;
		char *plain = NULL;
		if (connector_variable_open(t->in->keys, t->a, t->connector_id, name, r[i].value,
					    &plain, NULL) != CRYPT_OK) {
			log_warn("connector: the variable %s of connector %lld cannot be opened",
				 name, t->connector_id);
			t->out->error =
			    "A sealed variable of this Data Connector cannot be opened (the "
			    "server's "
			    "key has changed). Enter the secrets again on the Authorization tab.";
			t->out->error_code = "ESECRET";
			return 1;
		}
		json_object_object_add(vars, name, json_object_new_string(plain ? plain : ""));
		run_mask_add(t, plain);
		t->nvars++;
	}
	t->sample = copy;
	return 0;
}

/* ------------------------------------------------------------- environments */

/* The environment of the run (in->environment, else the default one); none when the name
 * is not given and there is no default. 1 (out->error) when the name is unknown. */
static int
run_env_load(struct run *t)
{
	const char *name = t->in->environment;
	int rc = db_env_find_cached(t->in->db, t->a, t->in->gens, t->connector_id, name, &t->env);
	if (rc == DB_ENOTFOUND) {
		memset(&t->env, 0, sizeof(t->env));
		if (!name || !*name)
			return 0;
		t->out->error = arena_printf(
		    t->a, "This Data Connector has no environment \"%s\": nothing was sent.", name);
		t->out->error_code = "EENV";
		return 1;
	}
	if (rc != DB_OK)
		return rc;
	t->out->environment = db_get(&t->env, 0, "name");
	t->env_override = db_get_ll(&t->env, 0, "auth_override", 0) != 0;
	return 0;
}

/* With auth_override: the environment's credentials in place of the connector's (the
 * method and its other settings stay the connector's). */
static int
run_env_auth(struct run *t)
{
	struct connector_auth *a = &t->auth;
	if (!t->env.nrows || !t->env_override)
		return 0;
	a->username = db_get_str(&t->env, 0, "auth_username");
	a->client_id = db_get_str(&t->env, 0, "client_id");
	if (*db_get_str(&t->env, 0, "token_url"))
		a->token_url = db_get_str(&t->env, 0, "token_url");
	/* Its OAuth secrets go only to the token origin they were entered for (the
	 * connector's URL Token then, when the environment has none of its own). */
	a->token_origin = db_get_str(&t->env, 0, "token_origin");
	a->refresh_token = NULL;
	if (run_env_secret(t, "auth_password", CONNECTOR_SECRET_PASSWORD, &a->password) ||
	    run_env_secret(t, "auth_token", CONNECTOR_SECRET_TOKEN, &a->token) ||
	    run_env_secret(t, "api_key", CONNECTOR_SECRET_API_KEY, &a->api_key) ||
	    run_env_secret(t, "client_secret", CONNECTOR_SECRET_CLIENT_SECRET, &a->client_secret)) {
		t->out->error = arena_printf(
		    t->a,
		    "A stored secret of the environment %s cannot be opened (the server's key "
		    "has changed). Enter its secrets again on the Environments tab.",
		    t->out->environment);
		t->out->error_code = "ESECRET";
		return 1;
	}
	return 0;
}

/* When a template names "env": the data rendered over becomes a copy of it whose "env"
 * member holds the environment's variables, sealed ones opened (the caller's own "env"
 * member, if any, is replaced). A sealed variable without a value is left out (a note
 * says so). Without an environment "env" is empty: a {{env.NAME}} in the path stops the
 * request as any variable without a value does. */
static int
run_env_variables(struct run *t)
{
	struct db_env_var *r = NULL;
	size_t nr = 0;
	long long env_id = t->env.nrows ? db_get_ll(&t->env, 0, "id", 0) : 0;
	if (!run_templates_name(t, "env"))
		return 0;
	int rc = env_id ? db_env_vars(t->in->db, t->a, env_id, &r, &nr) : DB_OK;
	if (rc != DB_OK)
		return rc;
	struct json_object *copy, *vars;
	if (run_sample_with(t, "env", &copy, &vars) != 0)
		return DB_ENOMEM;
	t->sample = copy;
	for (size_t i = 0; i < nr; i++) {
		const char *name = r[i].name;
		const char *value = r[i].value;
		char *plain = NULL;
		if (!r[i].sealed) {
			json_object_object_add(vars, name,
					       json_object_new_string(value ? value : ""));
			continue;
		}
		if (!value) {
			run_note(t,
				 arena_printf(t->a,
					      "The sealed variable %s of the environment %s has no "
					      "value yet (set the secrets of environment %s).",
					      name, t->out->environment, t->out->environment));
			continue;
		}
		if (connector_env_variable_open(t->in->keys, t->a, t->connector_id,
						db_get_str(&t->env, 0, "seal_key"), name, value,
						&plain, NULL) != CRYPT_OK) {
			t->out->error = arena_printf(
			    t->a,
			    "A sealed variable of the environment %s cannot be opened (the "
			    "server's "
			    "key has changed). Enter its secrets again on the Environments tab.",
			    t->out->environment);
			t->out->error_code = "ESECRET";
			return 1;
		}
		json_object_object_add(vars, name, json_object_new_string(plain ? plain : ""));
		run_mask_add(t, plain);
		t->env_sealed++;
	}
	return 0;
}

/* The URL template: a URL starting with "/" joined to the environment's base URL. NULL
 * (out->error) when it is relative and there is no base URL to join it to. */
static const char *
run_url_template(struct run *t)
{
	const char *url = t->e->url ? t->e->url : "";
	if (url[0] != '/')
		return url;
	const char *base = t->env.nrows ? db_get_str(&t->env, 0, "base_url") : "";
	if (!*base) {
		t->out->error =
		    t->env.nrows
			? arena_printf(t->a,
				       "The URL %s is relative, and the environment %s has no base "
				       "URL: nothing was sent.",
				       url, t->out->environment)
			: arena_printf(
			      t->a,
			      "The URL %s is relative: choose an environment with a base URL "
			      "(this Data Connector has no default environment). Nothing was "
			      "sent.",
			      url);
		t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
		return NULL;
	}
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	return arena_printf(t->a, "%.*s%s", (int)n, base, url);
}

/* ------------------------------------------------------------------ building */

/* Stops the run with a message about one row ("Header "X": ..."). */
static int
run_row_error(struct run *t, const char *what, const char *key, const char *msg)
{
	t->out->error =
	    arena_printf(t->a, "%s \"%s\": %s", what, key, msg ? msg : "cannot be built.");
	t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
	return -1;
}

/* Appends every query parameter to b, percent-encoded; sep is the first separator
 * (0: none needed). */
static int
run_append_params(struct run *t, struct buf *b, char sep)
{
	for (size_t i = 0; i < t->e->nparams; i++) {
		const char *key = t->e->params[i].key;
		const char *msg = NULL;
		char *val = NULL;
		int required = t->e->params[i].required;
		if (outbound_render_ex(t->a, t->e->params[i].value, t->sample,
				       TMPL_ESC_NONE | OUTBOUND_RENDER_LINE, required, &val,
				       &msg) != OUT_OK)
			return run_row_error(t, "Query parameter", key, msg);
		if (sep)
			buf_putc(b, sep);
		sep = '&';
		tmpl_escape_append(b, TMPL_ESC_URL, key, strlen(key));
		buf_putc(b, '=');
		tmpl_escape_append(b, TMPL_ESC_URL, val, strlen(val));
		if ((msg = outbound_line_budget(t->a, b->len)) != NULL)
			return run_row_error(t, "Query parameter", key, msg);
	}
	return 0;
}

/* The URL over the sample data, then every query parameter. */
static int
run_build_url(struct run *t)
{
	char *url = NULL;
	const char *msg = NULL;
	struct buf b;
	const char *tpl = run_url_template(t);
	if (!tpl)
		return -1;
	const char *missing = connector_path_var_missing(t->a, tpl, t->sample);
	if (missing) {
		t->out->error =
		    arena_printf(t->a,
				 "The URL path needs a value for {{%s}}, and the data has "
				 "none: nothing was sent.",
				 missing);
		t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
		return -1;
	}
	if (outbound_render(t->a, tpl, t->sample, TMPL_ESC_URL, &url, &msg) != OUT_OK) {
		t->out->error = arena_printf(t->a, "The URL cannot be built: %s", msg ? msg : "");
		t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
		return -1;
	}
	size_t len = strlen(url);
	char sep = strchr(url, '?') ? '&' : '?';
	if (len && (url[len - 1] == '?' || url[len - 1] == '&'))
		sep = 0;
	buf_init(&b);
	buf_puts(&b, url);
	int rc = run_append_params(t, &b, sep);
	if (rc == 0)
		t->req.url = b.failed ? NULL : arena_strdup(t->a, b.data);
	buf_free(&b);
	return rc == 0 && t->req.url ? 0 : -1;
}

/* Credential-looking header names, masked when shown. */
static int
run_name_secret(const char *name)
{
	static const char *const words[] = {"auth", "token",  "secret",	 "password",  "passwd",
					    "key",  "cookie", "session", "signature", "credential"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(name, words[i]))
			return 1;
	return 0;
}

/* Every header row rendered over the data; a credential-looking name marks the header
 * secret so the shown copy and the curl line mask it. Room is left for the Content-Type
 * run_build_body may add (connector_authorize copies the array to add Authorization). */
static int
run_build_headers(struct run *t)
{
	size_t n = t->e->nheaders;
	struct outbound_header *h = arena_alloc(t->a, (n + 2) * sizeof(*h));
	if (!h)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = t->e->headers[i].key;
		const char *msg = NULL;
		char *val = NULL;
		int required = t->e->headers[i].required;
		if (outbound_render_ex(t->a, t->e->headers[i].value, t->sample, TMPL_ESC_HEADER,
				       required, &val, &msg) != OUT_OK)
			return run_row_error(t, "Header", name, msg);
		const char *tpl = t->e->headers[i].value;
		h[i] = (struct outbound_header){name, val,
						run_name_secret(name) || run_tpl_secret(t, tpl)};
	}
	t->req.headers = h;
	t->req.nheaders = n;
	return 0;
}

static const char *
run_header_value(const struct outbound_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (req->headers[i].name && !strcasecmp(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

/* Stops the run: the body cannot be built. */
static int
run_body_error(struct run *t, const char *msg)
{
	t->out->error = arena_printf(t->a, "The request body cannot be built: %s", msg ? msg : "");
	t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
	return -1;
}

/* A body of form-urlencoded or multipart rows: each value rendered over the data as it is,
 * then escaped for its type (outbound_form_body, outbound_multipart_body). The Content-Type
 * is the body type's (a header row naming one is replaced). */
static int
run_build_rows_body(struct run *t)
{
	const struct endpoint_runtime *rt = &t->e->rt;
	const char **names = arena_alloc(t->a, (rt->nfields + 1) * sizeof(*names));
	const char **vals = arena_alloc(t->a, (rt->nfields + 1) * sizeof(*vals));
	const char *type = "application/x-www-form-urlencoded", *msg = NULL;
	if (!names || !vals)
		return -1;
	for (size_t i = 0; i < rt->nfields; i++) {
		char *v = NULL;
		if (outbound_render(t->a, rt->fields[i].value, t->sample, TMPL_ESC_NONE, &v,
				    &msg) != OUT_OK)
			return run_row_error(t, "Body field", rt->fields[i].key, msg);
		names[i] = rt->fields[i].key;
		vals[i] = v;
		if (run_tpl_secret(t, rt->fields[i].value))
			t->req.body_secret = 1;
	}
	if (rt->body_type == BODY_FORM) {
		t->req.body = outbound_form_body(t->a, names, vals, rt->nfields);
		if (!t->req.body)
			return -1;
		t->req.body_len = strlen(t->req.body);
	} else if (outbound_multipart_body(t->a, names, vals, rt->nfields, &type, &t->req.body,
					   &t->req.body_len, &msg) != OUT_OK) {
		return run_body_error(t, msg);
	}
	for (size_t i = 0; i < t->req.nheaders; i++)
		if (t->req.headers[i].name && !strcasecmp(t->req.headers[i].name, "Content-Type")) {
			t->req.headers[i].value = type;
			return 0;
		}
	t->req.headers[t->req.nheaders++] = (struct outbound_header){"Content-Type", type, 0};
	return 0;
}

/* The body, escaped by its Content-Type (outbound_body_escape; without one it gets the type
 * it is sent as), or by its body type: JSON escapes for JSON whatever the header says and
 * must parse; form and multipart are built from rows. Never for GET. */
static int
run_build_body(struct run *t)
{
	const char *body = t->e->body;
	const char *type = run_header_value(&t->req, "Content-Type");
	const char *msg = NULL, *add = NULL;
	char *out = NULL;
	enum endpoint_body_type bt = t->e->rt.body_type;
	if (!strcmp(t->req.method, "GET"))
		return 0;
	if (bt == BODY_FORM || bt == BODY_MULTIPART)
		return t->e->rt.nfields ? run_build_rows_body(t) : 0;
	if (!body || !*body)
		return 0;
	int esc = outbound_body_escape(type, body, &add);
	if (bt == BODY_JSON) {
		esc = TMPL_ESC_JSON;
		add = type ? NULL : "application/json";
	}
	if (outbound_render(t->a, body, t->sample, esc, &out, &msg) != OUT_OK) {
		t->out->error =
		    arena_printf(t->a, "The request body cannot be built: %s", msg ? msg : "");
		t->out->error_code = outbound_err_name(OUT_ETEMPLATE);
		return -1;
	}
	if (bt == BODY_JSON) {
		struct json_object *j = json_tokener_parse(out);
		if (!j)
			return run_body_error(t, "the JSON body is not valid JSON once rendered.");
		json_object_put(j);
	}
	t->req.body = out;
	t->req.body_len = strlen(out);
	t->req.body_secret = run_tpl_secret(t, body);
	if (add)
		t->req.headers[t->req.nheaders++] =
		    (struct outbound_header){"Content-Type", add, 0};
	return 0;
}

/* The request from the endpoint row; a timeout outside 1-300 s falls back to the config's
 * default (0). */
static int
run_build(struct run *t)
{
	long timeout = t->e->timeout;
	t->req.method = endpoint_method_names[t->e->method];
	t->req.timeout = timeout > 0 && timeout <= 300 ? timeout : 0;
	t->req.verify_tls = t->auth.verify_ssl;
	t->req.connector_id = t->connector_id; /* counts against the connector's own cap */
	t->req.connector_cap = (long)db_get_ll(&t->conn, 0, "max_concurrency", 0);
	if (run_build_url(t) || run_build_headers(t) || run_build_body(t))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------- origins */

/* Whether the request carries a credential of the connector: its authorization (unless the
 * environment's replace it), or a sealed variable its templates name. */
static int
run_has_credentials(const struct run *t)
{
	return (t->auth.type != AUTH_NONE && !t->env_override) || t->nvars > 0;
}

/* Whether it carries the environment's own: its credentials or sealed variables. */
static int
run_has_env_credentials(const struct run *t)
{
	return (t->auth.type != AUTH_NONE && t->env_override) || t->env_sealed > 0;
}

/* The origins of list a that list b holds too. */
static const char *
run_origins_both(struct arena *ar, const char *a, const char *b)
{
	struct buf out;
	buf_init(&out);
	for (const char *p = a; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		const char *o = arena_strndup(ar, p, n);
		if (o && outbound_origin_listed(o, b)) {
			if (out.len)
				buf_putc(&out, ' ');
			buf_append(&out, p, n);
		}
		p += n;
	}
	const char *r = out.failed ? "" : arena_strdup(ar, out.data ? out.data : "");
	buf_free(&out);
	return r ? r : "";
}

/* A request carrying the environment's credentials goes only to one of its allowed
 * origins. */
static int
run_env_origin_check(struct run *t)
{
	const char *allowed = db_get_str(&t->env, 0, "allowed_origins");
	if (!run_has_env_credentials(t))
		return 0;
	const char *origin = outbound_origin(t->a, t->req.url);
	if (origin && outbound_origin_listed(origin, allowed))
		return 0;
	t->out->error = arena_printf(
	    t->a,
	    "Credentials of the environment %s may only be sent to %s; the endpoint's URL is at "
	    "%s.",
	    t->out->environment, *allowed ? allowed : "no origin yet",
	    origin ? origin : "an address that is not an http(s) origin");
	t->out->error_code = outbound_err_name(OUT_EORIGIN);
	return -1;
}

/* A request carrying credentials goes only to one of the connector's allowed origins (and
 * the environment's own only to the environment's); anywhere else it is refused before
 * anything is sent (the OAuth token request included). */
static int
run_origin_check(struct run *t)
{
	const char *allowed = db_get_str(&t->conn, 0, "allowed_origins");
	int conn = run_has_credentials(t), env = run_has_env_credentials(t);
	const char *env_allowed = t->env.nrows ? db_get_str(&t->env, 0, "allowed_origins") : "";
	t->req.cred_origins = allowed;
	if (env)
		t->req.cred_origins =
		    conn ? run_origins_both(t->a, env_allowed, allowed) : env_allowed;
	if (run_env_origin_check(t))
		return -1;
	if (!conn)
		return 0;
	const char *origin = outbound_origin(t->a, t->req.url);
	if (origin && outbound_origin_listed(origin, allowed))
		return 0;
	struct buf b;
	buf_init(&b);
	for (const char *p = allowed; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		if (b.len)
			buf_puts(&b, ", ");
		buf_append(&b, p, n);
		p += n;
	}
	if (b.len)
		t->out->error = arena_printf(
		    t->a,
		    "Credentials of this Data Connector may only be sent to %s; the endpoint's URL "
		    "is at %s.",
		    b.data, origin ? origin : "an address that is not an http(s) origin");
	else
		t->out->error = arena_printf(
		    t->a,
		    "Credentials of this Data Connector are not bound to any origin yet; the "
		    "endpoint's URL is at %s. Enter the secrets again on the Authorization tab, "
		    "with "
		    "the origins they may be sent to.",
		    origin ? origin : "an address that is not an http(s) origin");
	buf_free(&b);
	t->out->error_code = outbound_err_name(OUT_EORIGIN);
	return -1;
}

/* ------------------------------------------------------------------- showing */

/* Whether a query parameter name looks like it carries a credential. */
static int
run_param_secret(const char *name, size_t n)
{
	char key[64];
	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, name, n);
	key[n] = '\0';
	return run_name_secret(key) || !strcasecmp(key, "sig") || !strcasecmp(key, "pass");
}

/* The query of a URL with credential-looking values masked, appended to b. */
static void
run_mask_query(struct buf *b, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&#");
		const char *eq = memchr(q, '=', n);
		if (eq && run_param_secret(q, (size_t)(eq - q))) {
			buf_append(b, q, (size_t)(eq - q) + 1);
			buf_puts(b, RUN_MASK);
		} else {
			buf_append(b, q, n);
		}
		q += n;
		if (*q == '#') {
			buf_puts(b, q);
			return;
		}
		if (*q == '&')
			buf_putc(b, *q++);
	}
}

/* The URL as shown and logged: its user info (user name and password) and credential-looking
 * query values masked. */
const char *
connector_mask_url(struct arena *a, const char *url)
{
	struct buf b;
	const char *host = url ? strstr(url, "://") : NULL;
	if (!host)
		return url ? url : "";
	host += 3;
	size_t alen = strcspn(host, "/?#");
	const char *at = host + alen;
	while (at > host && at[-1] != '@')
		at--;
	buf_init(&b);
	buf_append(&b, url, (size_t)(host - url));
	if (at > host) { /* user info: a token may be the user name as well as the password */
		buf_puts(&b, RUN_MASK);
		host = at - 1;
	}
	const char *q = strchr(host, '?');
	buf_append(&b, host, q ? (size_t)(q - host) : strlen(host));
	if (q) {
		buf_putc(&b, '?');
		run_mask_query(&b, q + 1);
	}
	const char *out = b.failed ? "" : arena_strdup(a, b.data);
	buf_free(&b);
	return out ? out : "";
}

/* "Bearer ****" for an Authorization-style header, "****" for other secrets. */
static const char *
run_masked_value(struct arena *a, const struct outbound_header *h)
{
	const char *v = h->value ? h->value : "";
	if (!h->secret && !run_name_secret(h->name))
		return v;
	const char *sp = strchr(v, ' ');
	if (strcasestr(h->name, "authorization") && sp)
		return arena_printf(a, "%.*s " RUN_MASK, (int)(sp - v), v);
	return RUN_MASK;
}

/* Every secret the run knows into the masks: the opened authorization secrets, the values
 * of secret headers as sent (an OAuth access token, the Basic credentials) and the part
 * after their scheme word. Sealed variables were added when opened. */
static void
run_collect_masks(struct run *t)
{
	const struct connector_auth *a = &t->auth;
	const char *v[] = {a->password,	  a->token,	      a->client_secret, a->api_key,
			   a->client_key, a->client_key_pass, a->refresh_token};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		run_mask_add(t, v[i]);
	for (size_t i = 0; i < t->req.nheaders; i++) {
		const struct outbound_header *h = &t->req.headers[i];
		if (!h->secret || !h->value)
			continue;
		/* "Bearer <token>": the credential after the scheme word, so what is shown
		 * still says which scheme was sent. */
		const char *sp = strchr(h->value, ' ');
		run_mask_add(t, sp ? sp + 1 : h->value);
	}
}

/* The response as shown or answered: no secret of the connector in its headers or body
 * (an upstream that echoes what it got, or names a credential in an error). */
static void
run_mask_response(struct run *t, struct outbound_response *r)
{
	if (!t->nmasks)
		return;
	size_t n = 0;
	if (r->body) {
		const char *b = run_mask_bytes(t, r->body, r->body_len, &n);
		if (b != r->body) {
			r->body = (char *)b;
			r->body_len = n;
		}
	}
	struct outbound_header *h =
	    r->nheaders ? arena_alloc(t->a, r->nheaders * sizeof(*h)) : NULL;
	for (size_t i = 0; h && i < r->nheaders; i++) {
		h[i] = r->headers[i];
		h[i].value = run_mask(t, h[i].value);
	}
	if (h)
		r->headers = h;
	r->message = run_mask(t, r->message);
	r->error_detail = run_mask(t, r->error_detail);
}

/* out->shown: the request as sent with the URL and secret header values masked, and the
 * same as a curl command line (which masks secret headers once more by name); every secret
 * value masked wherever it is (URL user info, path, query, header, body, error text, the
 * response). */
static void
run_show_request(struct run *t, struct connector_run_out *out, int with_curl)
{
	struct outbound_header *h = NULL;
	out->shown = t->req;
	out->shown.url = t->req.url ? run_mask(t, connector_mask_url(t->a, t->req.url)) : NULL;
	if (t->req.nheaders)
		h = arena_alloc(t->a, t->req.nheaders * sizeof(*h));
	for (size_t i = 0; h && i < t->req.nheaders; i++) {
		h[i] = t->req.headers[i];
		h[i].value = run_masked_value(t->a, &t->req.headers[i]);
		if (h[i].value == t->req.headers[i].value)
			h[i].value = run_mask(t, h[i].value);
		h[i].secret = h[i].secret || h[i].value != t->req.headers[i].value;
	}
	out->shown.headers = h;
	out->shown.nheaders = h ? t->req.nheaders : 0;
	if (t->req.body)
		out->shown.body =
		    run_mask_bytes(t, t->req.body, t->req.body_len, &out->shown.body_len);
	out->curl = with_curl && out->shown.url ? outbound_as_curl(t->a, &out->shown) : NULL;
}

static void
run_show(struct run *t)
{
	struct connector_run_out *out = t->out;
	run_collect_masks(t);
	run_show_request(t, out, 1);
	if (out->sent && out->resp.effective_url)
		out->effective_url = run_mask(t, connector_mask_url(t->a, out->resp.effective_url));
	out->error = run_mask(t, out->error);
	if (out->sent)
		run_mask_response(t, &out->resp);
}

/* The caller's data as the row keeps it: secrets masked, at most 8 KiB. */
static const char *
run_data_text(struct run *t)
{
	struct json_object *data = t->in->data ? t->in->data : t->sample;
	if (!data)
		return "{}";
	const char *s =
	    json_object_to_json_string_ext(data, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
	return connector_body_cap(t->a, run_mask(t, arena_strdup(t->a, s ? s : "{}")), 8192);
}

/* An API call's row keeps its detail as a Test's does (src/connector/detail.c), so every
 * row opens the same page: the request as sent and this attempt's answer, masked, and the
 * bodies when the endpoint keeps them. The masks are those run_authorize (before any
 * attempt) or run_show (a run that sent nothing) collected. */
static void
run_log_detail(struct run *t, const struct outbound_response *r, const char *error,
	       struct db_execution *e)
{
	struct connector_run_out v = *t->out;
	run_show_request(t, &v, 0); /* no cURL line: the hot path of execute */
	memset(&v.resp, 0, sizeof(v.resp));
	if (r)
		v.resp = *r;
	v.sent = r != NULL;
	v.effective_url =
	    r && r->effective_url ? run_mask(t, connector_mask_url(t->a, r->effective_url)) : NULL;
	v.error = error;
	v.error_code = r ? (r->err != OUT_OK ? outbound_err_name(r->err) : NULL) : v.error_code;
	v.data = NULL;
	v.nnotes = 0;
	v.error_status = 0;
	struct json_object *d = connector_detail_json(t->a, t->in->oc->max_response, &v,
						      t->in->kind, run_data_text(t), 0);
	e->detail =
	    arena_strdup(t->a, json_object_to_json_string_ext(
				   d, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(d);
	if (t->keep_days <= 0)
		return;
	int is_json, binary;
	e->keep_minutes = (t->keep_days > 30 ? 30 : t->keep_days) * 1440;
	e->request_body = connector_body_cap(t->a, v.shown.body, CONNECTOR_KEEP_BODY_CAP);
	if (r && r->err == OUT_OK)
		e->response_body = connector_body_cap(
		    t->a, connector_body_text(t->a, r, &is_json, &binary), CONNECTOR_KEEP_BODY_CAP);
}

/* One execution-log row: of an attempt (r), or of a run that sent nothing (r NULL); a
 * failure to write it is only logged. */
static void
run_log(struct run *t, const struct outbound_response *r)
{
	const struct connector_run_in *in = t->in;
	if (in->log_id)
		return; /* the caller's row (src/web/log_detail.c) */
	const char *error = r && r->err != OUT_OK
				? (r->message ? r->message : outbound_strerror(r->err))
				: (r ? NULL : t->out->error);
	struct db_execution e = {
	    .connector_id = t->connector_id,
	    .endpoint_id = t->endpoint_id,
	    .user_id = in->user_id,
	    .token_id = in->token_id,
	    .kind = in->kind,
	    .environment = t->out->environment,
	    .method = t->req.method ? t->req.method : "",
	    .url = run_mask(t, connector_mask_url(t->a, t->req.url ? t->req.url : t->e->url)),
	    .status = r ? r->status : 0,
	    .duration_us = r ? (long long)(r->t.total_ms * 1000.0) : 0,
	    .size = r ? r->size : 0,
	    .error = error ? run_mask(t, error) : "",
	};
	run_log_detail(t, r, error ? e.error : NULL, &e);
	if (db_execution_log(in->db, &e) != DB_OK)
		log_warn("connector: execution log not written for endpoint %lld", t->endpoint_id);
}

/* ------------------------------------------------------------------- sending */

/* Authorization for the request; on failure out->error says why. The credentials it adds
 * join the masks. */
static int
run_authorize(struct run *t, int force_new)
{
	const struct connector_run_in *in = t->in;
	const char *msg = NULL;
	/* An environment's own OAuth credentials: no shared cache (it is the connector's). */
	int rc = connector_authorize(in->curl, in->oc, t->env_override ? NULL : in->db, in->keys,
				     t->a, &t->auth, force_new, &t->req, &msg);
	if (rc == OUT_OK) {
		run_collect_masks(t);
		return 0;
	}
	t->out->error = msg ? msg : outbound_strerror((enum outbound_err)rc);
	t->out->error_code = outbound_err_name((enum outbound_err)rc);
	return -1;
}

static int
run_is_oauth(const struct run *t)
{
	return auth_type_is_oauth(t->auth.type);
}

static void
run_sleep_us(long long us)
{
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000L};
	while (us > 0 && nanosleep(&ts, &ts) == -1)
		;
}

static void
run_sleep_ms(long ms)
{
	run_sleep_us((long long)ms * 1000);
}

/* The connector's rate limit in requests per second (0: none). */
static double
run_rate(const struct run *t)
{
	const char *v = db_get(&t->conn, 0, "rate_limit");
	return v ? strtod(v, NULL) : 0;
}

/* A process that falls back to its own bucket says so at most once per this many ms per
 * connector (with how many calls fell back in between). */
#define RUN_RATE_WARN_MS 10000

/* The rate limit's turn (rate > 0): reserved in the bucket every process and host shares
 * (src/db/rate.c, which tries again on conflicts with other nodes) and waited for here; when
 * the database cannot say (down, or no database), this process's own bucket
 * (src/outbound/rate.c) spaces its calls. OUT_EBUSY with *after (s) when the turn lies past
 * outbound.queue_timeout_ms, or when conflicts over the shared bucket outlasted it. */
static int
run_rate_take(struct run *t, double rate, long *after)
{
	const struct connector_run_in *in = t->in;
	long long wait = 0, ahead = 0;
	long held = 0;
	int rc = DB_EFAIL;
	*after = 0;
	if (rate <= 0)
		return OUT_OK;
	if (in->db)
		rc = db_rate_take(in->db, t->connector_id, (long long)(1e6 / rate),
				  (long long)in->oc->queue_timeout_ms * 1000, &wait, &ahead);
	if (rc == DB_OK) {
		if (wait < 0) {
			*after = (long)(ahead / 1000000) + 1;
			return OUT_EBUSY;
		}
		run_sleep_us(wait);
		return OUT_OK;
	}
	if (rc == DB_ERETRY) {
		/* The database answers, others hold the bucket: its own would break the limit. */
		*after = 1;
		return OUT_EBUSY;
	}
	if (outbound_rate_warn_due(t->connector_id, RUN_RATE_WARN_MS, &held))
		log_warn("connector: the shared rate limit of connector %lld cannot be read; this "
			 "process's own applies (%ld more calls since the last warning)",
			 t->connector_id, held);
	return outbound_rate_take(in->oc, t->connector_id, rate, after);
}

/* One attempt: the rate limit's turn, then the request (again with a new token when OAuth
 * got a 401: the cached token was revoked or expired early), masked and logged. */
static void
run_attempt(struct run *t, struct outbound_response *r)
{
	const struct connector_run_in *in = t->in;
	long after = 0;
	double rate = run_rate(t);
	memset(r, 0, sizeof(*r));
	if (run_rate_take(t, rate, &after) != OUT_OK) {
		r->err = OUT_EBUSY;
		r->retry_after = after;
		r->message =
		    arena_printf(t->a,
				 "This Data Connector's rate limit (%g requests per second) "
				 "would keep this call waiting longer than the queue allows; "
				 "try again in %ld s.",
				 rate, after);
		run_log(t, r);
		return;
	}
	outbound_send(in->curl, in->oc, t->a, &t->req, r);
	t->out->attempts++;
	if (r->err == OUT_OK && r->status == 401 && run_is_oauth(t)) {
		log_info("connector: connector %lld got 401, fetching a new token",
			 t->connector_id);
		run_mask_response(t, r);
		run_log(t, r);
		if (run_authorize(t, 1))
			return;
		memset(r, 0, sizeof(*r));
		outbound_send(in->curl, in->oc, t->a, &t->req, r);
		t->out->attempts++;
	}
	run_mask_response(t, r);
	run_log(t, r);
}

static const char *
run_resp_header(const struct outbound_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].name && !strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* One page: attempts until one is not worth another (outbound_retryable), the endpoint's
 * retries are spent, or the method is POST or PATCH without retry_unsafe. Between them the
 * wait is Retry-After, else the backoff, at most the endpoint's timeout. 0 when an answer
 * came (of any status), -1 when none did (out->error says why). */
static int
run_fetch(struct run *t, struct outbound_response *r)
{
	const struct endpoint_runtime *rt = &t->e->rt;
	int unsafe = t->e->method == EP_POST || t->e->method == EP_PATCH;
	long cap_ms = (t->req.timeout > 0 ? t->req.timeout : t->in->oc->default_timeout) * 1000;
	for (int attempt = 0;; attempt++) {
		run_attempt(t, r);
		if (attempt >= rt->retries || !outbound_retryable(r) ||
		    (unsafe && !rt->retry_unsafe))
			break;
		long wait = outbound_retry_after_ms(run_resp_header(r, "Retry-After"), time(NULL));
		if (wait < 0) {
			unsigned int rnd = 0;
			if (crypt_random(&rnd, sizeof(rnd)) != CRYPT_OK)
				rnd = (unsigned int)attempt;
			wait = outbound_backoff_ms(rt->retry_backoff_ms, attempt, rnd);
		}
		run_sleep_ms(wait < cap_ms ? wait : cap_ms);
	}
	if (r->err != OUT_OK) {
		t->out->error = r->message ? r->message : outbound_strerror(r->err);
		t->out->error_code = outbound_err_name(r->err);
		return -1;
	}
	return 0;
}

/* A note for the Test screen and execute's "notes". */
static void
run_note(struct run *t, const char *note)
{
	if (note && t->out->nnotes < CONNECTOR_RUN_NOTES)
		t->out->notes[t->out->nnotes++] = note;
}

/* The answer parsed as JSON (kept until the arena goes); NULL when it is not JSON. */
static struct json_object *
run_parse(struct run *t, const struct outbound_response *r)
{
	if (!r->body || r->truncated || strlen(r->body) != r->body_len)
		return NULL;
	struct json_object *j = json_tokener_parse(r->body);
	if (j && arena_defer(t->a, run_json_put, j) != CORE_OK) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

/* The URL of page number page (0 first), from the rendered URL and what the page before
 * said (offset, cursor, next link). */
static const char *
run_page_url(struct run *t, long page, long offset, const char *cursor, const char *next)
{
	const struct endpoint_runtime *rt = &t->e->rt;
	const char *url = t->out->first_url;
	char num[32];
	switch (rt->pagination) {
	case PAGING_PAGE:
		snprintf(num, sizeof(num), "%ld", rt->first_page + page);
		url = outbound_url_set_param(t->a, url, rt->page_param, num);
		if (url && *rt->size_param && rt->page_size > 0) {
			snprintf(num, sizeof(num), "%ld", rt->page_size);
			url = outbound_url_set_param(t->a, url, rt->size_param, num);
		}
		return url;
	case PAGING_OFFSET:
		snprintf(num, sizeof(num), "%ld", offset);
		url = outbound_url_set_param(t->a, url, rt->offset_param, num);
		if (url && *rt->limit_param && rt->page_size > 0) {
			snprintf(num, sizeof(num), "%ld", rt->page_size);
			url = outbound_url_set_param(t->a, url, rt->limit_param, num);
		}
		return url;
	case PAGING_CURSOR:
		return page ? outbound_url_set_param(t->a, url, rt->cursor_param, cursor) : url;
	case PAGING_LINK:
		/* A key sent in the query goes along to the next page, at the same origin. */
		if (page && t->auth.type == AUTH_API_KEY && t->auth.api_key_query &&
		    t->auth.api_key_name && t->auth.api_key)
			return outbound_url_set_param(t->a, next, t->auth.api_key_name,
						      t->auth.api_key);
		return page ? next : url;
	default:
		return url;
	}
}

/* The next page's offset, cursor or link from this one (count items); 0 when there is
 * one, else the walk ends. */
static int
run_next(struct run *t, const struct outbound_response *r, struct json_object *body, size_t count,
	 long *offset, const char **cursor, const char **next)
{
	const struct endpoint_runtime *rt = &t->e->rt;
	int found = 0;
	struct json_object *c;
	switch (rt->pagination) {
	case PAGING_PAGE:
		return count == 0 || (rt->page_size > 0 && (long)count < rt->page_size) ? -1 : 0;
	case PAGING_OFFSET:
		*offset += (long)count;
		return count == 0 || (rt->page_size > 0 && (long)count < rt->page_size) ? -1 : 0;
	case PAGING_CURSOR:
		c = body ? connector_pointer_get(body, rt->cursor_pointer, &found) : NULL;
		if (!found || !c || !*json_object_get_string(c))
			return -1;
		*cursor = arena_strdup(t->a, json_object_get_string(c));
		return *cursor ? 0 : -1;
	case PAGING_LINK: {
		const char *link = run_resp_header(r, "Link");
		const char *to = link ? outbound_link_next(t->a, link) : NULL;
		const char *abs = to ? outbound_url_resolve(t->a, t->req.url, to) : NULL;
		const char *o1 = outbound_origin(t->a, t->out->first_url);
		const char *o2 = abs ? outbound_origin(t->a, abs) : NULL;
		if (!abs)
			return -1;
		if (!o1 || !o2 || strcmp(o1, o2) != 0) {
			run_note(
			    t, arena_printf(t->a,
					    "The next page's link goes to another origin (%s); it "
					    "was not followed.",
					    o2 ? o2 : "not an http(s) URL"));
			return -1;
		}
		*next = abs;
		return 0;
	}
	default:
		return -1;
	}
}

/* How many items a mapped page holds. */
static size_t
run_count(const struct connector_mapped *m)
{
	if (!m->data)
		return 0;
	return m->is_array ? json_object_array_length(m->data) : 1;
}

/* The request, page after page when asked (all_pages) and the endpoint pages: each page
 * mapped (response_root, response_map) and its items put together. out->resp is the first
 * page's answer, or the one that failed. */
static void
run_pages(struct run *t)
{
	const struct endpoint_runtime *rt = &t->e->rt;
	struct connector_run_out *out = t->out;
	int all = t->in->all_pages && rt->pagination != PAGING_NONE;
	long max = rt->max_pages > 0 ? rt->max_pages : 10, offset = 0;
	const char *cursor = NULL, *next = NULL;
	struct json_object *items = NULL;
	if (run_authorize(t, 0))
		return;
	out->first_url = t->req.url; /* with an API key in the query */
	if (all) {
		if (!(items = json_object_new_array()) ||
		    arena_defer(t->a, run_json_put, items) != CORE_OK) {
			json_object_put(items);
			return;
		}
	}
	for (long page = 0;; page++) {
		struct outbound_response r;
		const char *url = run_page_url(t, page, offset, cursor, next);
		if (!url)
			break;
		t->req.url = url;
		int rc = run_fetch(t, &r);
		if (page == 0 || rc != 0) {
			out->resp = r;
			out->sent = 1;
		}
		if (rc != 0)
			break;
		if (outbound_status_listed(rt->error_statuses, r.status)) {
			out->resp = r;
			out->error_status = 1;
			break;
		}
		out->pages++;
		struct json_object *body = run_parse(t, &r);
		struct connector_mapped m;
		memset(&m, 0, sizeof(m));
		if (body && connector_map(t->a, body, rt->response_root, rt->maps, rt->nmaps, &m))
			break;
		if (m.data && arena_defer(t->a, run_json_put, m.data) != CORE_OK) {
			json_object_put(m.data);
			break;
		}
		if (!body && (*rt->response_root || rt->nmaps) && page == 0)
			run_note(t, "The answer is not JSON: there is nothing to map.");
		if (page == 0) {
			for (size_t i = 0; i < m.nnotes; i++)
				run_note(t, m.notes[i]);
			out->data = m.data;
			out->data_is_array = m.is_array;
		}
		if (!all)
			break;
		if (m.is_array)
			for (size_t i = 0; i < json_object_array_length(m.data); i++)
				json_object_array_add(
				    items, json_object_get(json_object_array_get_idx(m.data, i)));
		else if (m.data)
			json_object_array_add(items, json_object_get(m.data));
		if (run_next(t, &r, body, run_count(&m), &offset, &cursor, &next) != 0)
			break;
		if (page + 1 >= max) {
			run_note(
			    t, arena_printf(t->a,
					    "Stopped after %ld pages (Max pages); there are more.",
					    max));
			break;
		}
	}
	if (all) {
		out->data = items;
		out->data_is_array = 1;
	}
}

int
connector_run(const struct connector_run_in *in, struct connector_run_out *out)
{
	struct run t = {.in = in,
			.out = out,
			.a = in->a,
			.connector_id = in->connector_id,
			.endpoint_id = in->purpose ? 0 : in->endpoint_id};
	memset(out, 0, sizeof(*out));
	int rc = run_load(&t);
	if (rc != DB_OK)
		return rc;
	int type = auth_type_from_name(db_get(&t.conn, 0, "auth_type"));
	out->connector_name = db_get(&t.conn, 0, "name");
	out->purpose = t.e->purpose;
	out->auth_type = type < 0 ? AUTH_NONE : (enum auth_type)type;
	out->endpoint_id = t.endpoint_id;
	rc = run_env_load(&t);
	if (rc == 0)
		rc = run_auth(&t) == 0 && run_env_auth(&t) == 0 ? run_variables(&t) : 1;
	if (rc == 0)
		rc = run_env_variables(&t);
	if (rc < 0)
		return rc;
	if (rc == 0 && run_build(&t) == 0 && run_origin_check(&t) == 0)
		run_pages(&t);
	run_show(&t);
	if (!out->attempts && !out->sent)
		run_log(&t, NULL);
	return 0;
}

const char *
connector_body_base64(struct arena *a, const struct outbound_response *r)
{
	char *b64 = NULL;
	if (crypt_b64_encode(a, r->body ? r->body : "", r->body ? r->body_len : 0, &b64) !=
	    CRYPT_OK)
		return NULL;
	return b64;
}
