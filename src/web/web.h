/* web: the route table, request context, page rendering and the handlers. */
#ifndef DCGATE_WEB_H
#define DCGATE_WEB_H

#include <json-c/json.h>

#include "../app.h"

struct db_rows;

enum route_flags {
	R_PUBLIC = 1 << 0, /* no session needed */
	R_API = 1 << 1,	   /* bearer token, JSON errors, no CSRF */
	R_NOCSRF = 1 << 2, /* POST without a session CSRF token (sign-in checks Origin) */
	R_NOAUTH = 1 << 3, /* no session or token lookup at all (health: its own bound) */
};

struct ctx;
typedef int (*web_handler)(struct ctx *c);

struct route {
	const char *method;  /* "GET" or "POST" (HEAD is served by GET routes) */
	const char *pattern; /* "/data-connectors/{id}": {x} matches digits (an id), {x:s} one
			      * path segment of 1-255 characters (a string parameter) */
	web_handler handler;
	enum perm perm;	 /* needed, PERM_NONE when any signed-in user may */
	enum perm perm2; /* a second one needed too (view + edit), or PERM_NONE */
	int flags;
};
extern const struct route web_routes[];
extern const size_t web_routes_count;

#define WEB_MAX_IDS    4
#define WEB_MAX_PARAMS 2

/* One error shape for handlers and save steps: the layer's code that caused it, the HTTP
 * status answered, a message and field errors. A handler returns a code (an HTTP status or a
 * db_err) without answering, after web_fail or web_fail_form when it has more to say than
 * the code; the dispatcher (web_dispatch) answers it once, as a page (the route's form
 * again when the handler named one, else an error page) or as JSON
 * {"message", "errors": {member: [message]}}. */
struct form;
struct web_error;
/* A page route's page shown for an error e (the form again, the tab with why...). */
typedef int (*web_page_fn)(struct ctx *c, const struct web_error *e);
struct web_error {
	int code;		    /* a db_err (0 when the code was an HTTP status) */
	int status;		    /* HTTP status: DB_ENOTFOUND 404, DB_EDOWN/DB_ERETRY 503, 500 */
	const char *message;	    /* NULL: the status's reason phrase */
	struct json_object *fields; /* field -> message under the forms' field names ("form": the
				     * whole form's), or NULL */
	struct json_object *errors; /* the JSON answer's "errors" as it is (NULL: from fields) */
	/* A page route's answer (NULL: an error page), e.g. its form again with the input kept
	 * and the messages beside the fields; form and arg are copies in the request arena. */
	web_page_fn page;
	struct form *form;
	void *arg;
};

/* Everything one request owns; freed with its arena. */
struct ctx {
	struct app *app;
	struct worker *w;
	struct arena *a;
	struct db *db;
	struct http_req *req;
	struct http_resp *resp;
	const struct route *route;
	long long ids[WEB_MAX_IDS];
	int nids;
	const char *params[WEB_MAX_PARAMS]; /* {x:s} segments in order, in the arena */
	int nparams;
	struct session sess; /* valid when user != NULL and not an API call */
	struct user *user;   /* NULL when anonymous */
	const char *flash;   /* message to show on this page */
	const char *flash_kind;
	struct web_error err; /* what failed, when a handler said more than its code (web_fail) */
};

/* Route dispatch: finds the route, checks session/token, CSRF and permissions in one place,
 * runs the handler and renders its error status as a page or JSON. Returns the status. */
int web_dispatch(struct ctx *c);

/* Renders "name" (which extends the layout) with data plus the common page context
 * (user, navigation, flash, csrf). Takes ownership of data. */
int web_render(struct ctx *c, int status, const char *name, struct json_object *data);
/* Renders template name over data (consumed) and can.* into out instead of the response:
 * a piece of HTML a handler keeps and reuses, so it sees nothing else of the page (no user,
 * CSRF token or flash). *gen (when not NULL) gets the template generation it was rendered
 * with. 0, or -1 when the template failed. */
int web_render_piece(struct ctx *c, const char *name, struct json_object *data, struct buf *out,
		     unsigned long *gen);
/* The current template generation: a kept piece rendered under another one is stale. */
unsigned long web_tmpl_gen(struct ctx *c);
struct web_error web_error_of(int rc);
/* Records this request's failure for the dispatcher to answer; returns status, for the
 * handler to return. errors (taken) is the JSON answer's "errors" as it is (NULL: {}). */
int web_fail(struct ctx *c, int status, const char *message, struct json_object *errors);
/* Records a save's failure rc with f's field errors (src/web/form.c): 422 "The given data
 * was invalid.", 409 with f's errors.form as its message (and as the answer's "version"
 * error), a 404 with not_found (NULL: "Not found."); any other code is answered from the
 * code alone. A form with errors and rc 0 is a 422. Returns rc for the handler to return
 * (422 for such a form; 0 when rc is 0 and f has no errors). */
int web_fail_form(struct form *f, int rc, const char *not_found);
/* As web_fail_form, and on a 422 or 409 a page route shows its form again: the dispatcher
 * calls page with e->form and e->arg copies of f and of the size bytes at arg (what the page
 * needs besides the form, e.g. the stored row) in the request arena. */
int web_fail_page(struct form *f, int rc, web_page_fn page, const void *arg, size_t size);
/* As web_fail, and a page route answers with page (which reads e->status, e->message and
 * e->arg, a copy of the size bytes at arg). */
int web_fail_show(struct ctx *c, int status, const char *message, web_page_fn page, const void *arg,
		  size_t size);
/* Error page through the layout (403, 404, 413, 500, 503...). */
int web_error(struct ctx *c, int status, const char *message);
/* JSON response: takes ownership of obj. */
int web_json(struct ctx *c, int status, struct json_object *obj);
int web_json_error(struct ctx *c, int status, const char *message, struct json_object *errors);
/* 303 to location after a successful POST, with an optional flash for the next page. */
int web_redirect_flash(struct ctx *c, const char *location, const char *flash);
/* Common context: user, can.* flags, csrf, flash. */
struct json_object *web_page_context(struct ctx *c);
/* The session cookie's name for this request: "__Host-" + security.cookie_name over HTTPS
 * (the FastCGI param HTTPS), so it is only ever set Secure, for this host, on Path=/. */
const char *web_cookie_name(struct ctx *c);

/* json-c helpers that keep handlers short. */
struct json_object *jstr(const char *s);
void jset(struct json_object *o, const char *key, struct json_object *v);
void jset_str(struct json_object *o, const char *key, const char *s);
void jset_int(struct json_object *o, const char *key, long long v);
void jset_bool(struct json_object *o, const char *key, int v);
/* Registers json_object_put on the request arena. */
void web_defer_json(struct ctx *c, struct json_object *o);

/* The Authorization tab for a user who may view but not edit (src/web/readonly.c). */
int web_authorization_summary(struct ctx *c);
/* Waits (at most seconds) for the Tests running on threads of their own to finish: at
 * exit, after the workers (src/web/log_detail.c). Returns how many still run. */
int web_tests_drain(long seconds);

/* Handlers, declared from the route table. */
#define ROUTE(method, pattern, handler, perm, perm2, flags) int handler(struct ctx *c);
#include "routes.def"
#undef ROUTE

#endif
