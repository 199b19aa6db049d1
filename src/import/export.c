/* export: a connector (given as an import_doc by its caller) as an OpenAPI 3.1 document or a
 * Postman collection v2.1. No secret is ever written: the authorization is named by its
 * method (and a user name, which is not a secret); credential values are left for the user.
 * Both are shaped so that importing them gives the same endpoints back (export → import →
 * export gives the same document). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_internal.h"

static struct json_object *
jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

/* scheme://host[:port] and the rest of an absolute URL. */
static void
url_parts(struct arena *a, const char *url, const char **origin, const char **path)
{
	const char *h = strstr(url, "://");
	const char *p = h ? strchr(h + 3, '/') : NULL;
	if (!p)
		p = url + strlen(url);
	*origin = arena_strndup(a, url, (size_t)(p - url));
	*path = *p ? p : "/";
}

/* "{{name}}" or "{{{name}}}" (spaces allowed) → name; NULL when s is anything else. */
static const char *
whole_var(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	int raw = n >= 6 && !strncmp(s, "{{{", 3) && !strcmp(s + n - 3, "}}}");
	if (!raw && !(n >= 4 && !strncmp(s, "{{", 2) && !strcmp(s + n - 2, "}}")))
		return NULL;
	size_t k = raw ? 3 : 2;
	const char *b = s + k, *e = s + n - k;
	while (b < e && *b == ' ')
		b++;
	while (e > b && e[-1] == ' ')
		e--;
	for (const char *c = b; c < e; c++)
		if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.'))
			return NULL;
	return e > b ? arena_strndup(a, b, (size_t)(e - b)) : NULL;
}

static struct json_object *
sample_of(const struct import_endpoint *e)
{
	struct json_object *s =
	    e->sample_data && *e->sample_data ? json_tokener_parse(e->sample_data) : NULL;
	if (s && !json_object_is_type(s, json_type_object)) {
		json_object_put(s);
		s = NULL;
	}
	return s ? s : json_object_new_object();
}

static const char *
content_type(const struct import_endpoint *e)
{
	for (size_t i = 0; i < e->nheaders; i++)
		if (!strcasecmp(e->headers[i].key, "Content-Type"))
			return e->headers[i].value;
	return NULL;
}

/* ------------------------------------------------------------------ OpenAPI 3.1 */

static struct json_object *
oas_param(struct arena *a, const char *name, const char *in, const char *value, int required,
	  const char *description, struct json_object *sample)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "name", jstr(name));
	json_object_object_add(p, "in", jstr(in));
	if (description && *description)
		json_object_object_add(p, "description", jstr(description));
	json_object_object_add(p, "required", json_object_new_boolean(required));
	struct json_object *schema = json_object_new_object();
	json_object_object_add(schema, "type", jstr("string"));
	json_object_object_add(p, "schema", schema);
	const char *var = value ? whole_var(a, value) : NULL;
	struct json_object *ex = NULL;
	if (var) {
		if (json_object_object_get_ex(sample, var, &ex))
			ex = json_object_get(ex);
	} else if (value)
		ex = jstr(value);
	if (ex)
		json_object_object_add(p, "example", ex);
	return p;
}

static const char *
oas_path(struct arena *a, const char *path, struct json_object *params, struct json_object *sample)
{
	struct buf *b = buf_new_arena(a);
	if (!b)
		return NULL;
	size_t q = strcspn(path, "?#");
	for (size_t i = 0; i < q;) {
		if (!strncmp(path + i, "{{", 2)) {
			size_t k = path[i + 2] == '{' ? 3 : 2;
			const char *end = strstr(path + i + k, k == 3 ? "}}}" : "}}");
			if (end && (size_t)(end - path) < q) {
				char *name =
				    arena_strndup(a, path + i + k, (size_t)(end - path - i - k));
				name = str_trim(name);
				size_t nl = strlen(name);
				while (nl && name[nl - 1] == ' ')
					name[--nl] = '\0';
				buf_putc(b, '{');
				buf_puts(b, name);
				buf_putc(b, '}');
				json_object_array_add(params,
						      oas_param(a, name, "path",
								arena_printf(a, "{{%s}}", name), 1,
								NULL, sample));
				i = (size_t)(end - path) + k;
				continue;
			}
		}
		buf_putc(b, path[i++]);
	}
	return b->failed ? NULL : imp_buf_text(a, b);
}

static struct json_object *
oas_security(const struct import_authz *z)
{
	struct json_object *s = json_object_new_object();
	switch (z->type) {
	case IMPORT_AUTH_BASIC:
	case IMPORT_AUTH_BEARER:
		json_object_object_add(s, "type", jstr("http"));
		json_object_object_add(s, "scheme",
				       jstr(z->type == IMPORT_AUTH_BASIC ? "basic" : "bearer"));
		break;
	case IMPORT_AUTH_API_KEY:
		json_object_object_add(s, "type", jstr("apiKey"));
		json_object_object_add(s, "name",
				       jstr(z->api_key_name ? z->api_key_name : "X-API-Key"));
		json_object_object_add(s, "in", jstr(z->api_key_in ? z->api_key_in : "header"));
		break;
	default: {
		json_object_object_add(s, "type", jstr("oauth2"));
		struct json_object *flows = json_object_new_object(), *f = json_object_new_object();
		json_object_object_add(f, "tokenUrl", jstr(z->token_url));
		struct json_object *scopes = json_object_new_object();
		char *sc = z->scope ? strdup(z->scope) : NULL;
		char *save = NULL;
		for (char *t = sc ? strtok_r(sc, " ", &save) : NULL; t;
		     t = strtok_r(NULL, " ", &save))
			json_object_object_add(scopes, t, jstr(t));
		free(sc);
		json_object_object_add(f, "scopes", scopes);
		json_object_object_add(
		    flows,
		    z->type == IMPORT_AUTH_OAUTH2_PASSWORD ? "password" : "clientCredentials", f);
		json_object_object_add(s, "flows", flows);
	}
	}
	return s;
}

struct json_object *
export_openapi(struct arena *a, const struct import_doc *d)
{
	struct json_object *root = json_object_new_object();
	json_object_object_add(root, "openapi", jstr("3.1.0"));
	struct json_object *info = json_object_new_object();
	json_object_object_add(info, "title", jstr(d->title && *d->title ? d->title : "dcgate"));
	json_object_object_add(info, "version", jstr("1.0.0"));
	if (d->description && *d->description)
		json_object_object_add(info, "description", jstr(d->description));
	json_object_object_add(root, "info", info);
	const char *server = NULL;
	if (d->nendpoints) {
		const char *path;
		url_parts(a, d->endpoints[0].url, &server, &path);
		struct json_object *servers = json_object_new_array(),
				   *s0 = json_object_new_object();
		json_object_object_add(s0, "url", jstr(server));
		json_object_array_add(servers, s0);
		json_object_object_add(root, "servers", servers);
	}
	struct json_object *paths = json_object_new_object();
	struct json_object *skipped = json_object_new_array();
	for (size_t i = 0; i < d->nendpoints; i++) {
		const struct import_endpoint *e = &d->endpoints[i];
		struct json_object *sample = sample_of(e);
		const char *origin, *path;
		url_parts(a, e->url, &origin, &path);
		struct json_object *params = json_object_new_array();
		const char *opath = oas_path(a, path, params, sample);
		struct json_object *item = NULL;
		char *method = arena_strdup(a, e->method);
		for (char *m = method; m && *m; m++)
			*m = (char)tolower((unsigned char)*m);
		if (!json_object_object_get_ex(paths, opath, &item)) {
			item = json_object_new_object();
			if (strcmp(origin, server)) {
				struct json_object *servers = json_object_new_array(),
						   *s0 = json_object_new_object();
				json_object_object_add(s0, "url", jstr(origin));
				json_object_array_add(servers, s0);
				json_object_object_add(item, "servers", servers);
			}
			json_object_object_add(paths, opath, item);
		} else if (json_object_object_get_ex(item, method, NULL)) {
			json_object_array_add(skipped, jstr(e->purpose));
			json_object_put(params);
			json_object_put(sample);
			continue;
		}
		struct json_object *op = json_object_new_object();
		json_object_object_add(op, "operationId", jstr(e->purpose));
		if (e->description && *e->description)
			json_object_object_add(op, "description", jstr(e->description));
		struct imp_rows inurl = {0};
		imp_url_split_query(a, e->url, &inurl);
		for (size_t k = 0; k < inurl.n; k++)
			json_object_array_add(params, oas_param(a, inurl.v[k].key, "query",
								inurl.v[k].value, 0, NULL, sample));
		for (size_t k = 0; k < e->nparams; k++)
			json_object_array_add(
			    params, oas_param(a, e->params[k].key, "query", e->params[k].value,
					      e->params[k].required, NULL, sample));
		for (size_t k = 0; k < e->nheaders; k++) {
			const char *hk = e->headers[k].key;
			if (!strcasecmp(hk, "Content-Type") || !strcasecmp(hk, "Accept") ||
			    !strcasecmp(hk, "Authorization"))
				continue;
			json_object_array_add(params,
					      oas_param(a, hk, "header", e->headers[k].value,
							e->headers[k].required,
							e->headers[k].description, sample));
		}
		if (json_object_array_length(params))
			json_object_object_add(op, "parameters", params);
		else
			json_object_put(params);
		if (e->body && *e->body) {
			struct json_object *parsed = json_tokener_parse(e->body);
			const char *ct = content_type(e);
			if (!ct)
				ct = parsed ? "application/json" : "text/plain";
			struct json_object *rb = json_object_new_object(),
					   *content = json_object_new_object(),
					   *media = json_object_new_object();
			json_object_object_add(media, "example", parsed ? parsed : jstr(e->body));
			json_object_object_add(content, ct, media);
			json_object_object_add(rb, "content", content);
			json_object_object_add(op, "requestBody", rb);
		}
		struct json_object *responses = json_object_new_object(),
				   *ok = json_object_new_object();
		json_object_object_add(ok, "description", jstr("The data source's answer"));
		json_object_object_add(responses, "200", ok);
		json_object_object_add(op, "responses", responses);
		json_object_object_add(item, method, op);
		json_object_put(sample);
	}
	json_object_object_add(root, "paths", paths);
	if (d->auth.type != IMPORT_AUTH_NONE) {
		struct json_object *comp = json_object_new_object(),
				   *schemes = json_object_new_object();
		const char *name = import_auth_names[d->auth.type];
		json_object_object_add(schemes, name, oas_security(&d->auth));
		json_object_object_add(comp, "securitySchemes", schemes);
		json_object_object_add(root, "components", comp);
		struct json_object *sec = json_object_new_array(), *req = json_object_new_object();
		json_object_object_add(req, name, json_object_new_array());
		json_object_array_add(sec, req);
		json_object_object_add(root, "security", sec);
	}
	if (json_object_array_length(skipped))
		json_object_object_add(root, "x-dcgate-skipped", skipped);
	else
		json_object_put(skipped);
	return root;
}

/* ------------------------------------------------------------------ Postman v2.1 */

static struct json_object *
pm_url(struct arena *a, const struct import_endpoint *e)
{
	struct json_object *u = json_object_new_object();
	struct buf *raw = buf_new_arena(a);
	/* the URL's own query string and the parameter rows, in that order */
	struct imp_rows q = {0};
	const char *url = imp_url_split_query(a, e->url, &q);
	if (!url || !raw)
		return u;
	for (size_t i = 0; i < e->nparams; i++)
		imp_row_add(a, &q, e->params[i].key, e->params[i].value, NULL, 0);
	buf_puts(raw, url);
	for (size_t i = 0; i < q.n; i++) {
		buf_putc(raw, i ? '&' : '?');
		buf_puts(raw, q.v[i].key);
		buf_putc(raw, '=');
		buf_puts(raw, q.v[i].value);
	}
	json_object_object_add(u, "raw", jstr(raw->data));
	const char *h = strstr(url, "://");
	if (h) {
		json_object_object_add(u, "protocol",
				       json_object_new_string_len(url, (int)(h - url)));
		const char *hp = h + 3;
		size_t hl = strcspn(hp, "/");
		char *hostport = arena_strndup(a, hp, hl);
		char *colon = strrchr(hostport, ':');
		if (colon && !strchr(colon, ']')) {
			*colon = '\0';
			json_object_object_add(u, "port", jstr(colon + 1));
		}
		struct json_object *host = json_object_new_array();
		char *save = NULL;
		for (char *t = strtok_r(hostport, ".", &save); t; t = strtok_r(NULL, ".", &save))
			json_object_array_add(host, jstr(t));
		json_object_object_add(u, "host", host);
		struct json_object *path = json_object_new_array();
		const char *p = hp + hl;
		while (*p == '/') {
			p++;
			size_t n = strcspn(p, "/");
			json_object_array_add(path, json_object_new_string_len(p, (int)n));
			p += n;
		}
		json_object_object_add(u, "path", path);
	}
	if (q.n) {
		struct json_object *list = json_object_new_array();
		for (size_t i = 0; i < q.n; i++) {
			struct json_object *r = json_object_new_object();
			json_object_object_add(r, "key", jstr(q.v[i].key));
			json_object_object_add(r, "value", jstr(q.v[i].value));
			json_object_array_add(list, r);
		}
		json_object_object_add(u, "query", list);
	}
	return u;
}

static struct json_object *
pm_kv(const char *k, const char *v)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "key", jstr(k));
	json_object_object_add(o, "value", jstr(v));
	json_object_object_add(o, "type", jstr("string"));
	return o;
}

static struct json_object *
pm_auth(const struct import_authz *z)
{
	struct json_object *au = json_object_new_object(), *set = json_object_new_array();
	const char *type = "noauth";
	switch (z->type) {
	case IMPORT_AUTH_BASIC:
		type = "basic";
		json_object_array_add(set, pm_kv("username", z->username));
		break;
	case IMPORT_AUTH_BEARER:
		type = "bearer";
		break;
	case IMPORT_AUTH_API_KEY:
		type = "apikey";
		json_object_array_add(set, pm_kv("key", z->api_key_name));
		json_object_array_add(set, pm_kv("in", z->api_key_in ? z->api_key_in : "header"));
		break;
	case IMPORT_AUTH_OAUTH2_PASSWORD:
	case IMPORT_AUTH_OAUTH2_CLIENT_CREDENTIALS:
		type = "oauth2";
		json_object_array_add(set,
				      pm_kv("grant_type", z->type == IMPORT_AUTH_OAUTH2_PASSWORD
							      ? "password_credentials"
							      : "client_credentials"));
		json_object_array_add(set, pm_kv("accessTokenUrl", z->token_url));
		if (z->scope)
			json_object_array_add(set, pm_kv("scope", z->scope));
		if (z->username)
			json_object_array_add(set, pm_kv("username", z->username));
		break;
	default:
		break;
	}
	json_object_object_add(au, "type", jstr(type));
	if (json_object_array_length(set))
		json_object_object_add(au, type, set);
	else
		json_object_put(set);
	return au;
}

/* The item list of the folder named name in list (made at its end when missing). */
static struct json_object *
pm_folder(struct json_object *list, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *it = json_object_array_get_idx(list, i);
		struct json_object *sub = imp_get(it, "item");
		const char *n = imp_str(it, "name");
		if (sub && n && !strcmp(n, name))
			return sub;
	}
	struct json_object *f = json_object_new_object(), *sub = json_object_new_array();
	json_object_object_add(f, "name", jstr(name));
	json_object_object_add(f, "item", sub);
	json_object_array_add(list, f);
	return sub;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

struct json_object *
export_postman(struct arena *a, const struct import_doc *d)
{
	struct json_object *root = json_object_new_object();
	struct json_object *info = json_object_new_object();
	json_object_object_add(info, "name", jstr(d->title && *d->title ? d->title : "dcgate"));
	if (d->description && *d->description)
		json_object_object_add(info, "description", jstr(d->description));
	json_object_object_add(
	    info, "schema",
	    jstr("https://schema.getpostman.com/json/collection/v2.1.0/collection.json"));
	json_object_object_add(root, "info", info);
	struct json_object *items = json_object_new_array();
	struct json_object *vars = json_object_new_object();
	for (size_t i = 0; i < d->nendpoints; i++) {
		const struct import_endpoint *e = &d->endpoints[i];
		struct json_object *it = json_object_new_object(), *req = json_object_new_object();
		/* "Orders / Create": the request Create in the folder Orders */
		struct json_object *into = items;
		const char *name = e->purpose, *sep;
		while ((sep = strstr(name, " / ")) && sep > name) {
			char *folder = arena_strndup(a, name, (size_t)(sep - name));
			into = pm_folder(into, folder);
			name = sep + 3;
		}
		json_object_object_add(it, "name", jstr(name));
		json_object_object_add(req, "method", jstr(e->method));
		struct json_object *hs = json_object_new_array();
		for (size_t k = 0; k < e->nheaders; k++) {
			struct json_object *h = json_object_new_object();
			json_object_object_add(h, "key", jstr(e->headers[k].key));
			json_object_object_add(h, "value", jstr(e->headers[k].value));
			if (e->headers[k].description && *e->headers[k].description)
				json_object_object_add(h, "description",
						       jstr(e->headers[k].description));
			json_object_array_add(hs, h);
		}
		json_object_object_add(req, "header", hs);
		json_object_object_add(req, "url", pm_url(a, e));
		if (e->body && *e->body) {
			struct json_object *b = json_object_new_object();
			json_object_object_add(b, "mode", jstr("raw"));
			json_object_object_add(b, "raw", jstr(e->body));
			const char *ct = content_type(e);
			if (ct && strstr(ct, "json")) {
				struct json_object *opt = json_object_new_object(),
						   *r = json_object_new_object();
				json_object_object_add(r, "language", jstr("json"));
				json_object_object_add(opt, "raw", r);
				json_object_object_add(b, "options", opt);
			}
			json_object_object_add(req, "body", b);
		}
		if (e->description && *e->description)
			json_object_object_add(req, "description", jstr(e->description));
		json_object_object_add(it, "request", req);
		json_object_array_add(into, it);
		/* the variables it uses, valued from its sample data (first value wins) */
		struct json_object *s = sample_of(e), *used = json_object_new_object();
		imp_collect_vars(used, e->url);
		for (size_t k = 0; k < e->nparams; k++)
			imp_collect_vars(used, e->params[k].value);
		for (size_t k = 0; k < e->nheaders; k++)
			imp_collect_vars(used, e->headers[k].value);
		imp_collect_vars(used, e->body);
		json_object_object_foreach(used, k, u)
		{
			(void)u;
			struct json_object *v = NULL;
			if (json_object_object_get_ex(vars, k, NULL))
				continue;
			json_object_object_get_ex(s, k, &v);
			const char *t =
			    !v ? ""
			    : json_object_is_type(v, json_type_string)
				? json_object_get_string(v)
				: json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
			json_object_object_add(vars, k, jstr(t));
		}
		json_object_put(used);
		json_object_put(s);
	}
	json_object_object_add(root, "item", items);
	if (d->auth.type != IMPORT_AUTH_NONE)
		json_object_object_add(root, "auth", pm_auth(&d->auth));
	/* sorted by name, so that the order does not depend on which request used it first */
	size_t nv = (size_t)json_object_object_length(vars), i = 0;
	const char **names = arena_alloc(a, (nv + 1) * sizeof(*names));
	json_object_object_foreach(vars, k, v)
	{
		(void)v;
		if (names)
			names[i++] = k;
	}
	if (names)
		qsort(names, i, sizeof(*names), by_name);
	struct json_object *vl = json_object_new_array();
	for (size_t n = 0; names && n < i; n++)
		json_object_array_add(vl, pm_kv(names[n], imp_str(vars, names[n])));
	json_object_put(vars);
	json_object_object_add(root, "variable", vl);
	return root;
}
