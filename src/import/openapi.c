/* import: OpenAPI 3.0 and 3.1 (JSON or YAML) into proposed endpoints, one per operation.
 * Purpose from operationId (else method and path), path and query parameters as {{name}}
 * with their required flags, header parameters as header rows, the request body's example
 * as body (its top-level fields and the parameters' examples as sample data), servers[0]
 * (its variables filled with their defaults) as the base URL, securitySchemes as the
 * proposed authorization. Local $refs (#/…) are followed; other references are noted. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import_internal.h"

#define PURPOSE_MAX 200

struct oas {
	struct arena *a;
	struct json_object *root;
	struct import_doc *d;
	struct import_error *err;
	size_t epcap, varcap;
};

/* A JSON pointer "#/a/b~1c" inside the document, or NULL. */
static struct json_object *
pointer(struct oas *o, const char *ref)
{
	if (!ref || ref[0] != '#')
		return NULL;
	struct json_object *cur = o->root;
	const char *p = ref + 1;
	while (*p == '/' && cur) {
		p++;
		size_t n = strcspn(p, "/");
		char *tok = imp_pct_decode(o->a, p, n, 0);
		if (!tok)
			return NULL;
		/* ~1 is '/', ~0 is '~' */
		char *w = tok;
		for (char *r = tok; *r; r++) {
			if (r[0] == '~' && r[1] == '1') {
				*w++ = '/';
				r++;
			} else if (r[0] == '~' && r[1] == '0') {
				*w++ = '~';
				r++;
			} else
				*w++ = *r;
		}
		*w = '\0';
		if (json_object_is_type(cur, json_type_object))
			cur = imp_get(cur, tok);
		else if (json_object_is_type(cur, json_type_array)) {
			long i;
			cur = str_to_long(tok, 0, 1000000, &i)
				  ? NULL
				  : json_object_array_get_idx(cur, (size_t)i);
		} else
			cur = NULL;
		p += n;
	}
	return cur;
}

/* Follows $ref (at most 20 hops); v itself when it has none; NULL when it points nowhere. */
static struct json_object *
deref(struct oas *o, struct json_object *v)
{
	for (int hops = 0; v && hops < 20; hops++) {
		const char *ref = imp_str(v, "$ref");
		if (!ref)
			return v;
		v = pointer(o, ref);
	}
	return NULL;
}

static const char *
cut_utf8(struct arena *a, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return s;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return arena_strndup(a, s, max);
}

/* servers[0].url with {var} replaced by the variable's default. */
static const char *
server_url(struct oas *o, struct json_object *servers, const char *where)
{
	struct json_object *s0 = NULL;
	if (json_object_is_type(servers, json_type_array) && json_object_array_length(servers))
		s0 = json_object_array_get_idx(servers, 0);
	const char *url = imp_str(s0, "url");
	if (!url)
		return NULL;
	struct json_object *vars = imp_get(s0, "variables");
	struct buf *b = buf_new_arena(o->a);
	if (!b)
		return NULL;
	for (const char *p = url; *p;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			if (e) {
				char *name = arena_strndup(o->a, p + 1, (size_t)(e - p - 1));
				const char *def =
				    imp_scalar_text(o->a, imp_get(imp_get(vars, name), "default"));
				if (def)
					buf_puts(b, def);
				else {
					import_note(o->a, o->d,
						    "The server variable %s (%s) has no default: "
						    "kept as {{%s}}",
						    name, where, name);
					buf_puts(b, "{{");
					buf_puts(b, name);
					buf_puts(b, "}}");
				}
				p = e + 1;
				continue;
			}
		}
		buf_putc(b, *p++);
	}
	return b->failed ? NULL : imp_buf_text(o->a, b);
}

/* Makes base absolute: a relative server URL (or none) is put under http://localhost. */
static const char *
absolute_base(struct oas *o, const char *base, const char *where)
{
	if (base && (!strncasecmp(base, "http://", 7) || !strncasecmp(base, "https://", 8)))
		return base;
	if (base && !strncmp(base, "{{", 2))
		return base;
	import_note(o->a, o->d,
		    "%s has no absolute server URL: the endpoints use http://localhost%s; change "
		    "it after the import",
		    where, base && *base ? base : "");
	if (!base || !*base)
		return "http://localhost";
	return arena_printf(o->a, "http://localhost%s%s", base[0] == '/' ? "" : "/", base);
}

/* The example of a parameter or media type object p: its "example", the first value of
 * its "examples", or its schema's "example"; NULL when none. *schema is p's schema. */
static struct json_object *
object_example(struct oas *o, struct json_object *p, struct json_object **schema)
{
	struct json_object *v = imp_get(p, "example");
	*schema = deref(o, imp_get(p, "schema"));
	if (v)
		return v;
	struct json_object *exs = imp_get(p, "examples");
	if (json_object_is_type(exs, json_type_object)) {
		json_object_object_foreach(exs, k, ex)
		{
			(void)k;
			struct json_object *val = imp_get(deref(o, ex), "value");
			if (val)
				return val;
		}
	}
	return imp_get(*schema, "example");
}

static struct json_object *
param_example(struct oas *o, struct json_object *p)
{
	struct json_object *schema, *v = object_example(o, p, &schema);
	if (v)
		return v;
	struct json_object *list = imp_get(schema, "examples"); /* 3.1: an array */
	if (json_object_is_type(list, json_type_array) && json_object_array_length(list))
		return json_object_array_get_idx(list, 0);
	if ((v = imp_get(schema, "default")))
		return v;
	list = imp_get(schema, "enum");
	if (json_object_is_type(list, json_type_array) && json_object_array_length(list))
		return json_object_array_get_idx(list, 0);
	return NULL;
}

static int
auth_from_schemes(struct oas *o)
{
	struct json_object *schemes = imp_get(imp_get(o->root, "components"), "securitySchemes");
	if (!json_object_is_type(schemes, json_type_object) || !json_object_object_length(schemes))
		return 0;
	const char *pick = NULL;
	struct json_object *sec = imp_get(o->root, "security");
	if (json_object_is_type(sec, json_type_array) && json_object_array_length(sec)) {
		struct json_object *req = json_object_array_get_idx(sec, 0);
		if (json_object_is_type(req, json_type_object)) {
			json_object_object_foreach(req, k, v)
			{
				(void)v;
				pick = k;
				break;
			}
		}
	}
	if (!pick) {
		json_object_object_foreach(schemes, k, v)
		{
			(void)v;
			pick = k;
			break;
		}
	}
	struct json_object *s = deref(o, imp_get(schemes, pick));
	struct import_authz *z = &o->d->auth;
	z->source = arena_printf(o->a, "components.securitySchemes.%s", pick);
	const char *type = imp_str(s, "type");
	const char *scheme = imp_str(s, "scheme");
	if (type && !strcmp(type, "http") && scheme && !strcasecmp(scheme, "basic"))
		z->type = IMPORT_AUTH_BASIC;
	else if (type && !strcmp(type, "http") && scheme && !strcasecmp(scheme, "bearer"))
		z->type = IMPORT_AUTH_BEARER;
	else if (type && !strcmp(type, "apiKey")) {
		const char *in = imp_str(s, "in");
		if (in && (!strcmp(in, "header") || !strcmp(in, "query"))) {
			z->type = IMPORT_AUTH_API_KEY;
			z->api_key_name = imp_str(s, "name");
			z->api_key_in = in;
		} else
			z->note = "An API key sent in a cookie is not a method dcgate has";
	} else if (type && !strcmp(type, "oauth2")) {
		struct json_object *flows = imp_get(s, "flows");
		struct json_object *f;
		if ((f = imp_get(flows, "clientCredentials")))
			z->type = IMPORT_AUTH_OAUTH2_CLIENT_CREDENTIALS;
		else if ((f = imp_get(flows, "password")))
			z->type = IMPORT_AUTH_OAUTH2_PASSWORD;
		else
			z->note = "This OAuth 2 flow needs a browser (authorization code or "
				  "implicit); dcgate has client credentials and password only";
		if (f) {
			z->token_url = imp_str(f, "tokenUrl");
			struct json_object *scopes = imp_get(f, "scopes");
			struct buf *b = buf_new_arena(o->a);
			if (!b)
				return IMPORT_ENOMEM;
			if (json_object_is_type(scopes, json_type_object)) {
				json_object_object_foreach(scopes, k, v)
				{
					(void)v;
					if (b->len)
						buf_putc(b, ' ');
					buf_puts(b, k);
				}
			}
			z->scope = b->len ? arena_strdup(o->a, b->data) : NULL;
		}
	} else
		z->note = arena_printf(o->a,
				       "The security scheme %s (%s) is not a method dcgate "
				       "has",
				       pick, type ? type : "no type");
	return 0;
}

/* {name} in an OpenAPI path as {{name}}. */
static const char *
path_template(struct oas *o, const char *path)
{
	struct buf *b = buf_new_arena(o->a);
	if (!b)
		return NULL;
	/* "/cookies#formExploded": a fragment some documents use to tell operations apart */
	for (const char *p = path; *p && *p != '#'; p++) {
		if (*p == '{' && p[1] != '{') {
			const char *e = strchr(p, '}');
			if (e) {
				buf_puts(b, "{{");
				buf_append(b, p + 1, (size_t)(e - p - 1));
				buf_puts(b, "}}");
				p = e;
				continue;
			}
		}
		buf_putc(b, *p);
	}
	return b->failed ? NULL : imp_buf_text(o->a, b);
}

static const char *
join_url(struct arena *a, const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	return arena_printf(a, "%.*s%s%s", (int)n, base, path[0] == '/' ? "" : "/", path);
}

/* A value of the shape a JSON schema describes: its example, default or first enum value,
 * else "" / 0 / false / [item] / {property: …}; allOf merged, oneOf/anyOf by their first.
 * Bounded in depth and in nodes (budget), so a circular schema ends. A new reference. */
static struct json_object *
schema_skeleton(struct oas *o, struct json_object *schema, int depth, size_t *budget)
{
	schema = deref(o, schema);
	if (!json_object_is_type(schema, json_type_object) || depth > 6 || *budget == 0)
		return NULL;
	(*budget)--;
	struct json_object *v;
	if ((v = imp_get(schema, "example")) || (v = imp_get(schema, "default")))
		return json_object_get(v);
	struct json_object *list = imp_get(schema, "examples");
	if (json_object_is_type(list, json_type_array) && json_object_array_length(list))
		return json_object_get(json_object_array_get_idx(list, 0));
	list = imp_get(schema, "enum");
	if (json_object_is_type(list, json_type_array) && json_object_array_length(list))
		return json_object_get(json_object_array_get_idx(list, 0));
	static const char *const pick[] = {"oneOf", "anyOf"};
	for (int i = 0; i < 2; i++) {
		list = imp_get(schema, pick[i]);
		if (json_object_is_type(list, json_type_array) && json_object_array_length(list))
			return schema_skeleton(o, json_object_array_get_idx(list, 0), depth + 1,
					       budget);
	}
	list = imp_get(schema, "allOf");
	struct json_object *type = imp_get(schema, "type");
	if (json_object_is_type(type, json_type_array) && json_object_array_length(type))
		type = json_object_array_get_idx(type, 0); /* 3.1: ["string", "null"] */
	const char *t =
	    json_object_is_type(type, json_type_string) ? json_object_get_string(type) : NULL;
	struct json_object *props = imp_get(schema, "properties");
	if (json_object_is_type(list, json_type_array) || props || (t && !strcmp(t, "object"))) {
		struct json_object *obj = json_object_new_object();
		for (size_t i = 0; json_object_is_type(list, json_type_array) &&
				   i < json_object_array_length(list);
		     i++) {
			struct json_object *part = schema_skeleton(
			    o, json_object_array_get_idx(list, i), depth + 1, budget);
			if (json_object_is_type(part, json_type_object)) {
				json_object_object_foreach(part, k, pv)
				{
					json_object_object_add(obj, k, json_object_get(pv));
				}
			}
			json_object_put(part);
		}
		if (json_object_is_type(props, json_type_object)) {
			json_object_object_foreach(props, k, ps)
			{
				struct json_object *pr = deref(o, ps);
				struct json_object *ro = imp_get(pr, "readOnly");
				if (ro && json_object_get_boolean(ro))
					continue; /* the server's to fill in */
				json_object_object_add(obj, k,
						       schema_skeleton(o, pr, depth + 1, budget));
			}
		}
		return obj;
	}
	if (!t)
		return NULL;
	if (!strcmp(t, "array")) {
		struct json_object *arr = json_object_new_array();
		struct json_object *item =
		    schema_skeleton(o, imp_get(schema, "items"), depth + 1, budget);
		if (item)
			json_object_array_add(arr, item);
		return arr;
	}
	if (!strcmp(t, "integer") || !strcmp(t, "number"))
		return json_object_new_int(0);
	if (!strcmp(t, "boolean"))
		return json_object_new_boolean(0);
	if (!strcmp(t, "string"))
		return json_object_new_string("");
	return NULL;
}

/* The body example of a media type object (or a skeleton of its schema), or NULL. */
static struct json_object *
media_example(struct oas *o, struct json_object *media)
{
	struct json_object *schema, *v = object_example(o, media, &schema);
	if (v)
		return v;
	/* no example: a skeleton built from the schema (owned by the arena) */
	size_t budget = 200;
	v = schema_skeleton(o, schema, 0, &budget);
	if (v && imp_own(o->a, v))
		return NULL;
	return v;
}

static int
params_add(struct oas *o, struct json_object *list, struct json_object **merged, size_t *n,
	   size_t max, const char *where)
{
	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array)) {
		import_fail(o->err, IMPORT_EINVALID, 0, 0, where, "parameters must be an array");
		return IMPORT_EINVALID;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *p = deref(o, json_object_array_get_idx(list, i));
		const char *name = imp_str(p, "name"), *in = imp_str(p, "in");
		if (!name || !in) {
			import_note(o->a, o->d,
				    "%s[%zu] is not a parameter that can be read (a "
				    "reference outside the document, or no name): skipped",
				    where, i);
			continue;
		}
		size_t k;
		for (k = 0; k < *n; k++)
			if (!strcmp(imp_str(merged[k], "name"), name) &&
			    !strcmp(imp_str(merged[k], "in"), in))
				break;
		if (k < *n)
			merged[k] = p; /* the operation's own wins over the path's */
		else if (*n < max)
			merged[(*n)++] = p;
	}
	return 0;
}

static int
operation(struct oas *o, const char *path, const char *method, struct json_object *item,
	  struct json_object *op, const char *base)
{
	char *where = arena_printf(o->a, "paths.%s.%s", path, method);
	if (!json_object_is_type(op, json_type_object)) {
		import_fail(o->err, IMPORT_EINVALID, 0, 0, where, "An operation must be an object");
		return IMPORT_EINVALID;
	}
	if (o->d->nendpoints >= IMPORT_MAX_ENDPOINTS) {
		import_fail(o->err, IMPORT_ETOOBIG, 0, 0, where,
			    "The document has more than %u operations", IMPORT_MAX_ENDPOINTS);
		return IMPORT_ETOOBIG;
	}
	struct json_object *osrv = imp_get(op, "servers");
	if (osrv && json_object_array_length(osrv))
		base = absolute_base(o, server_url(o, osrv, where), where);
	struct import_endpoint *e = imp_endpoint_add(o->a, o->d, &o->epcap);
	if (!e)
		return IMPORT_ENOMEM;
	e->where = where;
	e->method = imp_upper(o->a, method);
	const char *id = imp_str(op, "operationId");
	const char *purpose = id && *id ? id : arena_printf(o->a, "%s %s", e->method, path);
	purpose = cut_utf8(o->a, purpose, PURPOSE_MAX);
	/* unique within the document */
	for (int k = 2;; k++) {
		size_t j;
		for (j = 0; j + 1 < o->d->nendpoints; j++)
			if (!strcasecmp(o->d->endpoints[j].purpose, purpose))
				break;
		if (j + 1 >= o->d->nendpoints)
			break;
		purpose = arena_printf(
		    o->a, "%s (%d)", cut_utf8(o->a, id && *id ? id : purpose, PURPOSE_MAX - 10), k);
	}
	e->purpose = purpose;
	const char *summary = imp_str(op, "summary"), *desc = imp_str(op, "description");
	if (summary && desc && *desc)
		e->description = arena_printf(o->a, "%s\n\n%s", summary, desc);
	else
		e->description = summary ? summary : desc ? desc : "";
	const char *url = path_template(o, path);
	if (!url)
		return IMPORT_ENOMEM;
	e->url = join_url(o->a, base, url);

	struct json_object *merged[256];
	size_t n = 0;
	int rc = params_add(o, imp_get(item, "parameters"), merged, &n, 256,
			    arena_printf(o->a, "paths.%s.parameters", path));
	if (!rc)
		rc = params_add(o, imp_get(op, "parameters"), merged, &n, 256,
				arena_printf(o->a, "%s.parameters", where));
	if (rc)
		return rc;
	struct json_object *sample = json_object_new_object();
	if (imp_own(o->a, sample))
		return IMPORT_ENOMEM;
	struct imp_rows headers = {0}, params = {0};
	for (size_t i = 0; i < n; i++) {
		const char *name = imp_str(merged[i], "name"), *in = imp_str(merged[i], "in");
		struct json_object *req = imp_get(merged[i], "required");
		int required = req && json_object_get_boolean(req);
		char *tmpl = arena_printf(o->a, "{{%s}}", name);
		struct json_object *ex = param_example(o, merged[i]);
		if (!strcmp(in, "query")) {
			if (imp_row_add(o->a, &params, name, tmpl, NULL, required))
				return IMPORT_ENOMEM;
		} else if (!strcmp(in, "header")) {
			if (!strcasecmp(name, "Accept") || !strcasecmp(name, "Content-Type") ||
			    !strcasecmp(name, "Authorization"))
				continue; /* OpenAPI says these are ignored as parameters */
			if (imp_row_add(o->a, &headers, name, tmpl,
					imp_str(merged[i], "description"), required))
				return IMPORT_ENOMEM;
		} else if (!strcmp(in, "path")) {
			/* in the URL already */
		} else {
			import_note(o->a, o->d, "%s: the %s parameter %s is not imported", where,
				    in, name);
			continue;
		}
		json_object_object_add(sample, name,
				       ex ? json_object_get(ex) : json_object_new_string(""));
	}
	struct json_object *rb = deref(o, imp_get(op, "requestBody"));
	struct json_object *content = imp_get(rb, "content");
	if (json_object_is_type(content, json_type_object) && json_object_object_length(content)) {
		const char *mt = NULL;
		struct json_object *media = NULL;
		json_object_object_foreach(content, k, v)
		{
			if (!mt || (!strncmp(k, "application/json", 16) &&
				    strncmp(mt, "application/json", 16))) {
				mt = k;
				media = v;
			}
		}
		if (imp_row_add(o->a, &headers, "Content-Type", mt, NULL, 0))
			return IMPORT_ENOMEM;
		struct json_object *ex = media_example(o, deref(o, media));
		if (ex && json_object_is_type(ex, json_type_string))
			e->body = json_object_get_string(ex);
		else if (ex)
			e->body = arena_strdup(o->a, json_object_to_json_string_ext(
							 ex, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		if (json_object_is_type(ex, json_type_object)) {
			json_object_object_foreach(ex, k2, v2)
			{
				const char *sv = json_object_is_type(v2, json_type_string)
						     ? json_object_get_string(v2)
						     : NULL;
				if (sv && strstr(sv, "{{"))
					continue; /* a template, not a value */
				if (!json_object_object_get_ex(sample, k2, NULL) &&
				    !json_object_is_type(v2, json_type_object) &&
				    !json_object_is_type(v2, json_type_array))
					json_object_object_add(sample, k2, json_object_get(v2));
			}
		}
	}
	imp_collect_vars(sample, e->url);
	imp_collect_vars(sample, e->body);
	e->headers = headers.v;
	e->nheaders = headers.n;
	e->params = params.v;
	e->nparams = params.n;
	e->sample_data = imp_sample_text(o->a, sample);
	return 0;
}

static const char *const methods[] = {"get",	 "put",	 "post",  "delete",
				      "options", "head", "patch", "trace"};

int
import_openapi(struct arena *a, const char *src, size_t len, struct import_doc *d,
	       struct import_error *err)
{
	struct oas o = {.a = a, .d = d, .err = err};
	int rc = import_load_tree(a, src, len, &o.root, err);
	if (rc)
		return rc;
	if (!json_object_is_type(o.root, json_type_object)) {
		import_fail(err, IMPORT_EINVALID, 0, 0, "the document",
			    "An OpenAPI document is an object");
		return IMPORT_EINVALID;
	}
	struct json_object *ver = imp_get(o.root, "openapi");
	const char *v = imp_scalar_text(a, ver);
	if (!v) {
		const char *sw = imp_scalar_text(a, imp_get(o.root, "swagger"));
		if (sw) {
			import_fail(err, IMPORT_EVERSION, 0, 0, "swagger",
				    "Swagger %s documents are not read: convert it to OpenAPI 3 "
				    "first",
				    sw);
			return IMPORT_EVERSION;
		}
		import_fail(err, IMPORT_EINVALID, 0, 0, "openapi",
			    "This is not an OpenAPI document: it has no openapi field");
		return IMPORT_EINVALID;
	}
	if (strncmp(v, "3.0", 3) && strncmp(v, "3.1", 3)) {
		import_fail(err, IMPORT_EVERSION, 0, 0, "openapi",
			    "OpenAPI %s is not read: only versions 3.0 and 3.1 are", v);
		return IMPORT_EVERSION;
	}
	struct json_object *info = imp_get(o.root, "info");
	d->title = imp_str(info, "title");
	d->description = imp_str(info, "description");
	if (!d->description)
		d->description = "";
	const char *base = absolute_base(
	    &o, server_url(&o, imp_get(o.root, "servers"), "servers[0]"), "The document");
	if (!base)
		return IMPORT_ENOMEM;
	d->base_url = base;
	rc = auth_from_schemes(&o);
	if (rc)
		return rc;
	struct json_object *paths = imp_get(o.root, "paths");
	if (paths && !json_object_is_type(paths, json_type_object)) {
		import_fail(err, IMPORT_EINVALID, 0, 0, "paths", "paths must be an object");
		return IMPORT_EINVALID;
	}
	if (!paths) {
		import_note(a, d, "The document has no paths");
		return 0;
	}
	json_object_object_foreach(paths, path, item0)
	{
		struct json_object *item = deref(&o, item0);
		if (!json_object_is_type(item, json_type_object)) {
			import_fail(err, IMPORT_EINVALID, 0, 0, arena_printf(a, "paths.%s", path),
				    "A path item must be an object");
			return IMPORT_EINVALID;
		}
		const char *pbase = base;
		struct json_object *psrv = imp_get(item, "servers");
		if (psrv && json_object_array_length(psrv))
			pbase = absolute_base(&o, server_url(&o, psrv, path),
					      arena_printf(a, "paths.%s", path));
		json_object_object_foreach(item, key, op)
		{
			size_t m;
			for (m = 0; m < 8; m++)
				if (!strcmp(key, methods[m]))
					break;
			if (m == 8)
				continue;
			if (!imp_method_ok(key)) {
				import_note(a, d,
					    "paths.%s.%s: the method %s is not one dcgate sends",
					    path, key, key);
				continue;
			}
			rc = operation(&o, path, key, item, op, pbase);
			if (rc)
				return rc;
		}
	}
	return 0;
}
