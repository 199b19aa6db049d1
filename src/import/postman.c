/* import: a Postman collection v2.1 (v2.0 reads the same) into proposed endpoints: each
 * request an endpoint, folders as purpose prefixes ("Orders / List"), headers, query
 * parameters and raw or url-encoded bodies kept; {{variables}} stay variables and their
 * values (collection variables, :path variables) go into the sample data; the collection's
 * (or the first request's) auth becomes the proposed authorization, without its secrets. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import_internal.h"

#define PURPOSE_MAX 200

struct pm {
	struct arena *a;
	struct import_doc *d;
	struct import_error *err;
	struct json_object *vars; /* collection variables: name -> value */
	size_t epcap, varcap;
	int depth;
};

static const char *
text_of(struct pm *p, struct json_object *v)
{
	/* a description may be a string or {content, type} */
	if (json_object_is_type(v, json_type_object))
		v = imp_get(v, "content");
	const char *s = imp_scalar_text(p->a, v);
	return s ? s : "";
}

static int
auth_from(struct pm *p, struct json_object *auth, const char *where)
{
	const char *type = imp_str(auth, "type");
	if (!type || !strcmp(type, "inherit") || p->d->auth.type || p->d->auth.note)
		return 0; /* inherit: the folder's or the collection's, read there */
	struct import_authz *z = &p->d->auth;
	z->source = where;
	/* v2.1 holds the settings as [{key, value}], v2.0 as an object */
	struct json_object *set = imp_get(auth, type);
	struct json_object *kv = json_object_new_object();
	if (imp_own(p->a, kv))
		return IMPORT_ENOMEM;
	if (json_object_is_type(set, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(set); i++) {
			struct json_object *e = json_object_array_get_idx(set, i);
			const char *k = imp_str(e, "key");
			if (k && imp_get(e, "value"))
				json_object_object_add(kv, k, json_object_get(imp_get(e, "value")));
		}
	} else if (json_object_is_type(set, json_type_object)) {
		json_object_object_foreach(set, k, v)
		    json_object_object_add(kv, k, json_object_get(v));
	}
	if (!strcmp(type, "basic")) {
		z->type = IMPORT_AUTH_BASIC;
		z->username = imp_scalar_text(p->a, imp_get(kv, "username"));
	} else if (!strcmp(type, "bearer"))
		z->type = IMPORT_AUTH_BEARER;
	else if (!strcmp(type, "apikey")) {
		z->type = IMPORT_AUTH_API_KEY;
		z->api_key_name = imp_scalar_text(p->a, imp_get(kv, "key"));
		const char *in = imp_scalar_text(p->a, imp_get(kv, "in"));
		z->api_key_in = in && !strcmp(in, "query") ? "query" : "header";
	} else if (!strcmp(type, "oauth2")) {
		const char *grant = imp_scalar_text(p->a, imp_get(kv, "grant_type"));
		if (grant && !strcmp(grant, "password_credentials")) {
			z->type = IMPORT_AUTH_OAUTH2_PASSWORD;
			z->username = imp_scalar_text(p->a, imp_get(kv, "username"));
		} else if (grant && !strcmp(grant, "client_credentials"))
			z->type = IMPORT_AUTH_OAUTH2_CLIENT_CREDENTIALS;
		else
			z->note = "This OAuth 2 grant needs a browser; dcgate has client "
				  "credentials and password only";
		z->token_url = imp_scalar_text(p->a, imp_get(kv, "accessTokenUrl"));
		z->scope = imp_scalar_text(p->a, imp_get(kv, "scope"));
	} else if (!strcmp(type, "noauth"))
		z->type = IMPORT_AUTH_NONE;
	else
		z->note =
		    arena_printf(p->a, "The Postman auth type %s is not a method dcgate has", type);
	if (z->type && z->type != IMPORT_AUTH_NONE)
		import_note(p->a, p->d,
			    "The %s credentials of the collection were not kept: enter them on the "
			    "Authorization tab",
			    type);
	return 0;
}

/* The URL as text without its query (rows for that), :name path segments as {{name}}. */
static const char *
url_of(struct pm *p, struct json_object *url, struct imp_rows *params, struct json_object *sample,
       const char *where)
{
	const char *raw = json_object_is_type(url, json_type_string) ? json_object_get_string(url)
								     : imp_str(url, "raw");
	struct imp_rows from_raw = {0};
	const char *base = NULL;
	if (raw) {
		base = imp_url_split_query(p->a, raw, &from_raw);
		if (!base)
			return NULL;
	} else if (json_object_is_type(url, json_type_object)) {
		/* protocol://host.join('.')/path.join('/') */
		struct buf *b = buf_new_arena(p->a);
		if (!b)
			return NULL;
		const char *proto = imp_str(url, "protocol");
		if (proto) {
			buf_puts(b, proto);
			buf_puts(b, "://");
		}
		struct json_object *host = imp_get(url, "host");
		if (json_object_is_type(host, json_type_array))
			for (size_t i = 0; i < json_object_array_length(host); i++) {
				if (i)
					buf_putc(b, '.');
				buf_puts(
				    b, json_object_get_string(json_object_array_get_idx(host, i)));
			}
		else if (json_object_is_type(host, json_type_string))
			buf_puts(b, json_object_get_string(host));
		const char *port = imp_scalar_text(p->a, imp_get(url, "port"));
		if (port) {
			buf_putc(b, ':');
			buf_puts(b, port);
		}
		struct json_object *path = imp_get(url, "path");
		if (json_object_is_type(path, json_type_array))
			for (size_t i = 0; i < json_object_array_length(path); i++) {
				struct json_object *seg = json_object_array_get_idx(path, i);
				buf_putc(b, '/');
				buf_puts(b, json_object_is_type(seg, json_type_string)
						? json_object_get_string(seg)
					    : imp_str(seg, "value") ? imp_str(seg, "value")
								    : "");
			}
		else if (json_object_is_type(path, json_type_string)) {
			const char *ps = json_object_get_string(path);
			if (ps[0] != '/')
				buf_putc(b, '/');
			buf_puts(b, ps);
		}
		if (b->failed)
			return NULL;
		base = imp_buf_text(p->a, b);
	}
	if (!base || !*base) {
		import_fail(p->err, IMPORT_EINVALID, 0, 0, where, "The request has no URL");
		return NULL;
	}
	/* query rows: the structured list when there is one (it carries disabled flags) */
	struct json_object *q = imp_get(url, "query");
	if (json_object_is_type(q, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(q); i++) {
			struct json_object *r = json_object_array_get_idx(q, i);
			struct json_object *dis = imp_get(r, "disabled");
			if (dis && json_object_get_boolean(dis))
				continue;
			const char *k = imp_str(r, "key");
			if (!k)
				continue;
			const char *v = imp_scalar_text(p->a, imp_get(r, "value"));
			if (imp_row_add(p->a, params, k, v ? v : "",
					text_of(p, imp_get(r, "description")), 0))
				return NULL;
		}
	} else
		for (size_t i = 0; i < from_raw.n; i++)
			if (imp_row_add(p->a, params, from_raw.v[i].key, from_raw.v[i].value, NULL,
					0))
				return NULL;
	/* :name segments */
	struct json_object *pv = imp_get(url, "variable");
	struct buf *b = buf_new_arena(p->a);
	if (!b)
		return NULL;
	const char *s = base;
	const char *after_host = strstr(s, "://");
	after_host = after_host ? after_host + 3 : s;
	buf_append(b, s, (size_t)(after_host - s));
	for (const char *c = after_host; *c;) {
		if (*c == ':' && c > after_host && c[-1] == '/' &&
		    (c[1] == '_' || (c[1] >= 'A' && c[1] <= 'Z') || (c[1] >= 'a' && c[1] <= 'z'))) {
			const char *e = c + 1;
			while (*e && *e != '/' && *e != '.' && *e != '?')
				e++;
			char *name = arena_strndup(p->a, c + 1, (size_t)(e - c - 1));
			buf_puts(b, "{{");
			buf_puts(b, name);
			buf_puts(b, "}}");
			const char *val = NULL;
			if (json_object_is_type(pv, json_type_array))
				for (size_t i = 0; i < json_object_array_length(pv); i++) {
					struct json_object *x = json_object_array_get_idx(pv, i);
					const char *k = imp_str(x, "key");
					if (k && !strcmp(k, name))
						val = imp_scalar_text(p->a, imp_get(x, "value"));
				}
			if (!json_object_object_get_ex(sample, name, NULL))
				json_object_object_add(sample, name,
						       json_object_new_string(val ? val : ""));
			c = e;
			continue;
		}
		buf_putc(b, *c++);
	}
	return b->failed ? NULL : imp_buf_text(p->a, b);
}

/* A URL that starts with {{var}} whose value is known: the value is put in its place (a
 * base URL cannot be a template value, which the URL's rendering would percent-encode). */
static const char *
expand_origin(struct pm *p, const char *url)
{
	for (int hops = 0; hops < 5 && !strncmp(url, "{{", 2); hops++) {
		const char *e = strstr(url, "}}");
		if (!e)
			break;
		char *name = arena_strndup(p->a, url + 2, (size_t)(e - url - 2));
		const char *v = imp_scalar_text(p->a, imp_get(p->vars, str_trim(name)));
		if (!v || !*v)
			break;
		url = arena_printf(p->a, "%s%s", v, e + 2);
	}
	if (url && strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8) &&
	    strncmp(url, "{{", 2))
		url = arena_printf(p->a, "http://%s", url);
	return url;
}

static int
request(struct pm *p, struct json_object *it, const char *prefix, const char *where)
{
	struct json_object *req = imp_get(it, "request");
	if (p->d->nendpoints >= IMPORT_MAX_ENDPOINTS) {
		import_fail(p->err, IMPORT_ETOOBIG, 0, 0, where,
			    "The collection has more than %u requests", IMPORT_MAX_ENDPOINTS);
		return IMPORT_ETOOBIG;
	}
	const char *name = imp_str(it, "name");
	if (!name || !*name)
		name = "Request";
	struct json_object *sample = json_object_new_object();
	if (imp_own(p->a, sample))
		return IMPORT_ENOMEM;
	struct imp_rows headers = {0}, params = {0};
	const char *method = "GET";
	struct json_object *url;
	if (json_object_is_type(req, json_type_string))
		url = req;
	else {
		url = imp_get(req, "url");
		const char *m = imp_str(req, "method");
		if (m)
			method = imp_upper(p->a, m);
	}
	if (!imp_method_ok(method)) {
		import_note(p->a, p->d, "%s (%s): the method %s is not one dcgate sends; skipped",
			    where, name, method);
		return 0;
	}
	const char *u = url_of(p, url, &params, sample, where);
	if (!u)
		return p->err->code ? (int)p->err->code : IMPORT_ENOMEM;
	u = expand_origin(p, u);
	struct json_object *hs = imp_get(req, "header");
	if (json_object_is_type(hs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(hs); i++) {
			struct json_object *h = json_object_array_get_idx(hs, i);
			struct json_object *dis = imp_get(h, "disabled");
			const char *k = imp_str(h, "key");
			if (!k || (dis && json_object_get_boolean(dis)))
				continue;
			const char *v = imp_scalar_text(p->a, imp_get(h, "value"));
			if (!strcasecmp(k, "Authorization") && v && !strstr(v, "{{")) {
				import_note(p->a, p->d,
					    "%s (%s): the Authorization header's credential was "
					    "not kept",
					    where, name);
				continue;
			}
			if (imp_row_add(p->a, &headers, k, v ? v : "",
					text_of(p, imp_get(h, "description")), 0))
				return IMPORT_ENOMEM;
		}
	}
	const char *body = "";
	struct json_object *b = imp_get(req, "body");
	const char *mode = imp_str(b, "mode");
	if (mode && !(imp_get(b, "disabled") && json_object_get_boolean(imp_get(b, "disabled")))) {
		if (!strcmp(mode, "raw")) {
			body = imp_str(b, "raw");
			const char *lang =
			    imp_str(imp_get(imp_get(b, "options"), "raw"), "language");
			int has_ct = 0;
			for (size_t i = 0; i < headers.n; i++)
				if (!strcasecmp(headers.v[i].key, "Content-Type"))
					has_ct = 1;
			const char *ct = !lang			 ? NULL
					 : !strcmp(lang, "json") ? "application/json"
					 : !strcmp(lang, "xml")	 ? "application/xml"
					 : !strcmp(lang, "text") ? "text/plain"
					 : !strcmp(lang, "html") ? "text/html"
								 : NULL;
			if (body && *body && ct && !has_ct &&
			    imp_row_add(p->a, &headers, "Content-Type", ct, NULL, 0))
				return IMPORT_ENOMEM;
		} else if (!strcmp(mode, "urlencoded")) {
			struct json_object *list = imp_get(b, "urlencoded");
			struct buf *bb = buf_new_arena(p->a);
			if (!bb)
				return IMPORT_ENOMEM;
			for (size_t i = 0; json_object_is_type(list, json_type_array) &&
					   i < json_object_array_length(list);
			     i++) {
				struct json_object *r = json_object_array_get_idx(list, i);
				if (imp_get(r, "disabled") &&
				    json_object_get_boolean(imp_get(r, "disabled")))
					continue;
				if (bb->len)
					buf_putc(bb, '&');
				buf_puts(bb, imp_str(r, "key") ? imp_str(r, "key") : "");
				buf_putc(bb, '=');
				const char *v = imp_scalar_text(p->a, imp_get(r, "value"));
				buf_puts(bb, v ? v : "");
			}
			body = arena_strndup(p->a, bb->data ? bb->data : "", bb->len);
			if (imp_row_add(p->a, &headers, "Content-Type",
					"application/x-www-form-urlencoded", NULL, 0))
				return IMPORT_ENOMEM;
		} else if (!strcmp(mode, "graphql")) {
			struct json_object *g = imp_get(b, "graphql");
			struct json_object *o = json_object_new_object();
			json_object_object_add(
			    o, "query",
			    json_object_new_string(imp_str(g, "query") ? imp_str(g, "query") : ""));
			const char *vars = imp_str(g, "variables");
			struct json_object *vj = vars && *vars ? json_tokener_parse(vars) : NULL;
			if (vj)
				json_object_object_add(o, "variables", vj);
			body = arena_strdup(
			    p->a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
			if (imp_row_add(p->a, &headers, "Content-Type", "application/json", NULL,
					0))
				return IMPORT_ENOMEM;
		} else if (strcmp(mode, "none")) {
			import_note(p->a, p->d, "%s (%s): a %s body is not imported", where, name,
				    mode);
		}
	}
	if (!body)
		body = "";
	auth_from(p, imp_get(req, "auth"), where);
	struct import_endpoint *e = imp_endpoint_add(p->a, p->d, &p->epcap);
	if (!e)
		return IMPORT_ENOMEM;
	const char *purpose = prefix ? arena_printf(p->a, "%s / %s", prefix, name) : name;
	size_t plen = strlen(purpose);
	if (plen > PURPOSE_MAX) {
		size_t cut = PURPOSE_MAX;
		while (cut > 0 && ((unsigned char)purpose[cut] & 0xC0) == 0x80)
			cut--;
		purpose = arena_strndup(p->a, purpose, cut);
	}
	const char *first = purpose;
	for (int k = 2;; k++) {
		size_t j;
		for (j = 0; j + 1 < p->d->nendpoints; j++)
			if (!strcasecmp(p->d->endpoints[j].purpose, purpose))
				break;
		if (j + 1 >= p->d->nendpoints)
			break;
		purpose = arena_printf(p->a, "%.*s (%d)", PURPOSE_MAX - 10, first, k);
	}
	e->purpose = purpose;
	e->description = text_of(p, imp_get(req, "description"));
	if (!*e->description)
		e->description = text_of(p, imp_get(it, "description"));
	e->method = method;
	e->url = u;
	e->headers = headers.v;
	e->nheaders = headers.n;
	e->params = params.v;
	e->nparams = params.n;
	e->body = body;
	e->where = where;
	/* every {{var}} used: its value from the collection's variables when known */
	struct json_object *used = json_object_new_object();
	if (imp_own(p->a, used))
		return IMPORT_ENOMEM;
	imp_collect_vars(used, e->url);
	for (size_t i = 0; i < e->nheaders; i++)
		imp_collect_vars(used, e->headers[i].value);
	for (size_t i = 0; i < e->nparams; i++)
		imp_collect_vars(used, e->params[i].value);
	imp_collect_vars(used, e->body);
	json_object_object_foreach(used, k, v)
	{
		(void)v;
		if (json_object_object_get_ex(sample, k, NULL))
			continue;
		struct json_object *known = imp_get(p->vars, k);
		json_object_object_add(sample, k,
				       known ? json_object_get(known) : json_object_new_string(""));
	}
	e->sample_data = imp_sample_text(p->a, sample);
	return 0;
}

static int
items(struct pm *p, struct json_object *list, const char *prefix, const char *where)
{
	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array)) {
		import_fail(p->err, IMPORT_EINVALID, 0, 0, where, "item must be an array");
		return IMPORT_EINVALID;
	}
	if (++p->depth > 20) {
		import_fail(p->err, IMPORT_EINVALID, 0, 0, where,
			    "Folders nest too deeply (at most 20 levels)");
		return IMPORT_EINVALID;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *it = json_object_array_get_idx(list, i);
		char *w = arena_printf(p->a, "%s[%zu]", where, i);
		if (!json_object_is_type(it, json_type_object)) {
			import_fail(p->err, IMPORT_EINVALID, 0, 0, w, "An item must be an object");
			return IMPORT_EINVALID;
		}
		int rc;
		if (imp_get(it, "item")) {
			const char *name = imp_str(it, "name");
			const char *np =
			    name && *name
				? (prefix ? arena_printf(p->a, "%s / %s", prefix, name) : name)
				: prefix;
			auth_from(p, imp_get(it, "auth"), w);
			rc = items(p, imp_get(it, "item"), np, arena_printf(p->a, "%s.item", w));
		} else if (imp_get(it, "request"))
			rc = request(p, it, prefix, w);
		else {
			import_fail(p->err, IMPORT_EINVALID, 0, 0, w,
				    "An item is a request (request) or a folder (item)");
			rc = IMPORT_EINVALID;
		}
		if (rc)
			return rc;
	}
	p->depth--;
	return 0;
}

int
import_postman(struct arena *a, const char *src, size_t len, struct import_doc *d,
	       struct import_error *err)
{
	struct pm p = {.a = a, .d = d, .err = err};
	struct json_object *root;
	int rc = import_load_tree(a, src, len, &root, err);
	if (rc)
		return rc;
	struct json_object *info = imp_get(root, "info");
	const char *schema = imp_str(info, "schema");
	if (!json_object_is_type(root, json_type_object) || !info) {
		import_fail(err, IMPORT_EINVALID, 0, 0, "info",
			    "This is not a Postman collection: it has no info");
		return IMPORT_EINVALID;
	}
	if (!schema || (!strstr(schema, "/v2.1.0/") && !strstr(schema, "/v2.0.0/"))) {
		import_fail(err, IMPORT_EVERSION, 0, 0, "info.schema",
			    "The collection's version (%s) is not read: export it from Postman "
			    "as Collection v2.1",
			    schema ? schema : "none given");
		return IMPORT_EVERSION;
	}
	d->title = imp_str(info, "name");
	d->description = text_of(&p, imp_get(info, "description"));
	p.vars = json_object_new_object();
	if (imp_own(a, p.vars))
		return IMPORT_ENOMEM;
	struct json_object *vl = imp_get(root, "variable");
	for (size_t i = 0;
	     json_object_is_type(vl, json_type_array) && i < json_object_array_length(vl); i++) {
		struct json_object *x = json_object_array_get_idx(vl, i);
		const char *k = imp_str(x, "key");
		if (!k)
			k = imp_str(x, "id");
		if (!k)
			continue;
		struct json_object *v = imp_get(x, "value");
		const char *vs = imp_scalar_text(a, v);
		json_object_object_add(p.vars, k, json_object_new_string(vs ? vs : ""));
		if (imp_var_add(a, d, &p.varcap, k, vs ? vs : ""))
			return IMPORT_ENOMEM;
	}
	auth_from(&p, imp_get(root, "auth"), "auth");
	rc = items(&p, imp_get(root, "item"), NULL, "item");
	if (rc)
		return rc;
	/* the base URL: the origin every endpoint shares, if they share one */
	for (size_t i = 0; i < d->nendpoints; i++) {
		const char *u = d->endpoints[i].url;
		const char *h = strstr(u, "://");
		const char *end = h ? strchr(h + 3, '/') : NULL;
		size_t n = end ? (size_t)(end - u) : strlen(u);
		if (i == 0)
			d->base_url = arena_strndup(a, u, n);
		else if (strlen(d->base_url) != n || strncmp(d->base_url, u, n)) {
			d->base_url = "";
			break;
		}
	}
	return 0;
}
