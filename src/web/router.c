/* Dispatch: route match, authentication, CSRF and permission checks, all before a handler
 * runs, so no handler can forget one. */
#include <string.h>
#include <strings.h>

#include "../tmpl/tmpl.h"
#include "api.h"
#include "web.h"

const struct route web_routes[] = {
#define ROUTE(method, pattern, handler, perm, perm2, flags)                                        \
	{method, pattern, handler, perm, perm2, flags},
#include "routes.def"
#undef ROUTE
};
const size_t web_routes_count = sizeof(web_routes) / sizeof(web_routes[0]);

/* What a pattern's placeholders captured. */
struct route_caps {
	long long ids[WEB_MAX_IDS];
	int nids;
	const char *str[WEB_MAX_PARAMS]; /* into the path; copied once the route is chosen */
	size_t len[WEB_MAX_PARAMS];
	int nstr;
};

/* A {x:s} segment: 1-255 characters up to the next '/'. */
static int
capture_string(const char **s, struct route_caps *m)
{
	size_t n = strcspn(*s, "/"), chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)(*s)[i] & 0xC0) != 0x80;
	if (n == 0 || chars > 255 || m->nstr >= WEB_MAX_PARAMS)
		return 0;
	m->str[m->nstr] = *s;
	m->len[m->nstr++] = n;
	*s += n;
	return 1;
}

/* A {x} segment: 1-18 digits, a positive id. */
static int
capture_id(const char **s, struct route_caps *m)
{
	long long v = 0;
	int digits = 0;
	while (**s >= '0' && **s <= '9' && digits < 18) {
		v = v * 10 + (**s - '0');
		(*s)++;
		digits++;
	}
	if (!digits || (**s >= '0' && **s <= '9') || v <= 0 || m->nids >= WEB_MAX_IDS)
		return 0;
	m->ids[m->nids++] = v;
	return 1;
}

/* Matches path against pattern; "{x}" segments take 1-18 digits into ids, "{x:s}" segments
 * a string into str. */
static int
route_match(const char *pattern, const char *path, struct route_caps *m)
{
	const char *p = pattern, *s = path;
	m->nids = m->nstr = 0;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			int is_str = close && close - p >= 3 && !strncmp(close - 2, ":s", 2);
			if (!close || !(is_str ? capture_string(&s, m) : capture_id(&s, m)))
				return 0;
			p = close + 1;
		} else if (*p++ != *s++) {
			return 0;
		}
	}
	return !*p && !*s;
}

/* Finds the route; *method_mismatch is set when the path exists under another method. */
static const struct route *
route_find(struct ctx *c, int *method_mismatch)
{
	const char *m = c->req->method_name ? c->req->method_name : "";
	if (strcmp(m, "HEAD") == 0)
		m = "GET";
	*method_mismatch = 0;
	for (size_t i = 0; i < web_routes_count; i++) {
		const struct route *r = &web_routes[i];
		struct route_caps caps;
		if (!route_match(r->pattern, c->req->path, &caps))
			continue;
		if (strcmp(r->method, m) != 0) {
			*method_mismatch = 1;
			continue;
		}
		memcpy(c->ids, caps.ids, sizeof(caps.ids));
		c->nids = caps.nids;
		for (int k = 0; k < caps.nstr; k++)
			c->params[k] = arena_strndup(c->a, caps.str[k], caps.len[k]);
		c->nparams = caps.nstr;
		return r;
	}
	return NULL;
}

/* "GET, HEAD, PUT": the methods the path answers to, for a 405's Allow header. */
static const char *
route_allow(struct ctx *c)
{
	struct buf *b = buf_new_arena(c->a);
	if (!b)
		return "GET, HEAD, POST";
	for (size_t i = 0; i < web_routes_count; i++) {
		struct route_caps caps;
		const char *m = web_routes[i].method;
		if (!route_match(web_routes[i].pattern, c->req->path, &caps) ||
		    (b->len && strstr(b->data, m)))
			continue;
		buf_printf(b, "%s%s%s", b->len ? ", " : "", m, strcmp(m, "GET") ? "" : ", HEAD");
	}
	return b->failed || !b->len ? "GET, HEAD, POST" : b->data;
}

/* Length of the host part of "host:port" or "[v6]:port". */
static size_t
host_len(const char *s)
{
	if (*s == '[') {
		const char *close = strchr(s, ']');
		return close ? (size_t)(close - s + 1) : strlen(s);
	}
	const char *colon = strchr(s, ':');
	return colon ? (size_t)(colon - s) : strlen(s);
}

/* The Origin of a POST, when the browser sent one, must name this site's host (ports are
 * compared by the CSRF token; some front ends drop the port from Host). */
static int
origin_ok(struct ctx *c)
{
	const char *origin = http_header(c->req, "Origin");
	if (!origin || !*origin)
		return 1;
	const char *host = http_header(c->req, "Host");
	const char *rest = strstr(origin, "://");
	if (!host || !rest || strcmp(origin, "null") == 0)
		return 0;
	rest += 3;
	size_t n = host_len(rest);
	return n == host_len(host) && strncasecmp(rest, host, n) == 0;
}

static int
authenticate_api(struct ctx *c)
{
	const char *authz = http_header(c->req, "Authorization");
	if (!authz || strncmp(authz, "Bearer ", 7) != 0)
		return web_json_error(c, 401, "Authentication required: send an API token", NULL);
	struct user *u = arena_alloc(c->a, sizeof(*u));
	if (!u)
		return 500;
	int rc = auth_token_load(c->db, c->a, authz + 7, u);
	if (rc == DB_EDOWN)
		return web_json_error(c, 503, "The database is unavailable", NULL);
	if (rc == AUTH_EEXPIRED)
		return web_json_error(c, 401, "API token expired", NULL);
	/* Only a token the database does not know is refused: a statement that failed says
	 * nothing about the token (a Galera node out of the cluster answers 1047): 503, try again.
	 */
	if (rc != AUTH_OK && rc != AUTH_ENOSESSION)
		return web_json_error(c, 503, "The token could not be checked", NULL);
	if (rc != AUTH_OK)
		return web_json_error(c, 401, "Invalid API token", NULL);
	c->user = u;
	return 0;
}

static int
authenticate_session(struct ctx *c)
{
	const char *cookie = http_cookie_get(c->req, web_cookie_name(c));
	if (!cookie)
		return 0;
	int rc = auth_session_load(c->db, c->a, &c->app->auth, cookie, &c->sess);
	if (rc == AUTH_OK) {
		c->user = &c->sess.user;
		c->flash = c->sess.flash;
		return 0;
	}
	if (rc == AUTH_ENOSESSION)
		return 0;
	return rc == DB_EDOWN ? 503 : 500;
}

static int
redirect_to_login(struct ctx *c)
{
	const char *next = c->req->path;
	if (c->req->method == HTTP_GET && strcmp(next, "/") != 0) {
		struct buf *b = buf_new_arena(c->a);
		if (!b)
			return 500;
		buf_puts(b, "/login?next=");
		tmpl_escape_append(b, TMPL_ESC_URL, next, strlen(next));
		if (c->req->query && *c->req->query) {
			tmpl_escape_append(b, TMPL_ESC_URL, "?", 1);
			tmpl_escape_append(b, TMPL_ESC_URL, c->req->query, strlen(c->req->query));
		}
		http_redirect(c->resp, 302, b->data);
	} else {
		http_redirect(c->resp, 302, "/login");
	}
	return 302;
}

/* Runs every check the route table asks for; returns 0 to go on, or the status answered. */
static int
route_guard(struct ctx *c, const struct route *r)
{
	int api = (r->flags & R_API) != 0;
	int anonymous_api = api && (r->flags & R_PUBLIC) && !http_header(c->req, "Authorization");
	int rc = anonymous_api || (r->flags & R_NOAUTH) ? 0
		 : api					? authenticate_api(c)
							: authenticate_session(c);
	if (rc && !(rc == 503 && (r->flags & R_PUBLIC)))
		return rc; /* a public page (sign-in, health) still answers without the database */
	if (!c->user && !(r->flags & R_PUBLIC))
		return api ? 401 : redirect_to_login(c);
	if (!api && c->req->method == HTTP_POST) {
		if (!origin_ok(c))
			return web_error(c, 403,
					 "This request came from another site and was refused.");
		if (!(r->flags & R_NOCSRF)) {
			const char *token = http_form_get(c->req, "_csrf");
			if (!c->user || !auth_csrf_ok(&c->sess, token))
				return web_error(
				    c, 403, "This form has expired; reload the page and try again");
		}
	}
	if (!perm_has(c->user, r->perm) || !perm_has(c->user, r->perm2)) {
		if (api)
			return web_json_error(c, 403, "You do not have permission to do this",
					      NULL);
		return web_error(c, 403, "You do not have permission to view this page.");
	}
	return 0;
}

/* An error as JSON: {"message", "errors"}, the errors as the handler gave them or its field
 * errors under the JSON member names, each a list of one message (a 409's message is
 * the "version" member's); the whole form's message is the answer's. */
static int
error_json(struct ctx *c, const struct web_error *e)
{
	const char *msg = e->message ? e->message : http_status_text(e->status);
	struct json_object *errs = json_object_get(e->errors);
	if (!errs && e->fields) {
		errs = json_object_new_object();
		json_object_object_foreach(e->fields, key, val)
		{
			if (strcmp(key, "form") == 0)
				continue;
			struct json_object *arr = json_object_new_array();
			json_object_array_add(arr, json_object_get(val));
			jset(errs, api_error_key(c->a, key), arr);
		}
		if (e->status == 409) {
			struct json_object *arr = json_object_new_array();
			json_object_array_add(arr, jstr(e->message));
			jset(errs, "version", arr);
		}
	}
	return web_json_error(c, e->status, msg, errs);
}

int
web_dispatch(struct ctx *c)
{
	int mismatch = 0;
	const struct route *r = route_find(c, &mismatch);
	int api = strncmp(c->req->path, "/api/", 5) == 0;
	if (!r) {
		if (!api && authenticate_session(c) == 503)
			return web_error(c, 503, NULL);
		int status = mismatch ? 405 : 404;
		if (mismatch)
			http_resp_header(c->resp, "Allow", route_allow(c));
		return api ? web_json_error(c, status, http_status_text(status), NULL)
			   : web_error(c, status, NULL);
	}
	c->route = r;
	int rc = route_guard(c, r);
	if (rc == 0)
		rc = r->handler(c);
	if (c->resp->status == 0) {
		/* The handler (or a guard) returned an error without a response: answered here,
		 * once, as a page or as JSON. */
		struct web_error e = web_error_of(rc);
		if (c->err.status == e.status) /* what the handler said of this failure */
			e = c->err;
		if (api || (r->flags & R_API))
			return error_json(c, &e);
		if (e.page) {
			/* e.g. the form again, its input kept and the messages beside the fields */
			rc = e.page(c, &e);
			if (c->resp->status)
				return c->resp->status;
			e = web_error_of(rc);
		}
		return web_error(c, e.status, e.message);
	}
	return c->resp->status;
}

struct web_error
web_error_of(int rc)
{
	int http = rc >= 100 && rc <= 599;
	int status = http				 ? rc
		     : rc == DB_ENOTFOUND		 ? 404
		     : rc == DB_EDOWN || rc == DB_ERETRY ? 503
							 : 500;
	return (struct web_error){.code = http ? 0 : rc, .status = status};
}

int
web_fail(struct ctx *c, int status, const char *message, struct json_object *errors)
{
	c->err = (struct web_error){.status = status, .message = message, .errors = errors};
	if (errors)
		web_defer_json(c, errors);
	return status;
}

/* Names the page that answers c->err, with a copy of the size bytes at arg; 500 (and no
 * error kept) when the arena is out of memory, else status. */
static int
keep_page(struct ctx *c, int status, web_page_fn page, const void *arg, size_t size)
{
	c->err.arg = size ? arena_alloc(c->a, size) : NULL;
	if (size && !c->err.arg) {
		memset(&c->err, 0, sizeof(c->err));
		return 500;
	}
	if (size)
		memcpy(c->err.arg, arg, size);
	c->err.page = page;
	return status;
}

int
web_fail_show(struct ctx *c, int status, const char *message, web_page_fn page, const void *arg,
	      size_t size)
{
	return keep_page(c, web_fail(c, status, message, NULL), page, arg, size);
}

int
web_fail_page(struct form *f, int rc, web_page_fn page, const void *arg, size_t size)
{
	struct ctx *c = f->c;
	int status = web_fail_form(f, rc, NULL);
	if (c->err.status != 422 && c->err.status != 409) {
		memset(&c->err, 0, sizeof(c->err)); /* an error page from the code */
		return status;
	}
	if (!(c->err.form = arena_alloc(c->a, sizeof(*f)))) {
		memset(&c->err, 0, sizeof(c->err));
		return 500;
	}
	*c->err.form = *f;
	return keep_page(c, status, page, arg, size);
}
