/* Sign in and out. */
#include <string.h>

#include "web.h"

/* Only a local path may be the target after sign-in: "/x", never "//host" or "/\host". */
static const char *
safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\')
		return "/";
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\')
			return "/";
	return next;
}

static int
login_page(struct ctx *c, int status, const char *username, const char *error)
{
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Sign in");
	jset_str(d, "username", username ? username : "");
	jset_str(d, "next",
		 safe_next(http_form_get(c->req, "next") ? http_form_get(c->req, "next")
							 : http_query_get(c->req, "next")));
	if (error)
		jset_str(d, "error", error);
	return web_render(c, status, "login", d);
}

int
web_login_form(struct ctx *c)
{
	if (c->user) {
		http_redirect(c->resp, 302, safe_next(http_query_get(c->req, "next")));
		return 302;
	}
	return login_page(c, 200, NULL, NULL);
}

const char *
web_cookie_name(struct ctx *c)
{
	if (!c->req->https)
		return c->app->cookie_name;
	const char *name = arena_printf(c->a, "__Host-%s", c->app->cookie_name);
	return name ? name : c->app->cookie_name;
}

/* No Domain: the cookie belongs to this host only (and __Host- insists on it over HTTPS). */
static int
set_session_cookie(struct ctx *c, const char *value, int clear)
{
	char *cookie =
	    arena_printf(c->a, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", web_cookie_name(c),
			 value, clear ? "; Max-Age=0" : "", c->req->https ? "; Secure" : "");
	return cookie ? http_resp_header(c->resp, "Set-Cookie", cookie) : -1;
}

/* "1 second", "N seconds", "N minutes" (rounded up) for a wait. */
static const char *
wait_text(struct ctx *c, long s)
{
	if (s >= 120)
		return arena_printf(c->a, "%ld minutes", (s + 59) / 60);
	return arena_printf(c->a, "%ld second%s", s, s == 1 ? "" : "s");
}

/* The sign-in page again with why (the dispatcher's callback; arg: the typed user name). */
static int
login_again(struct ctx *c, const struct web_error *e)
{
	return login_page(c, e->status, *(const char *const *)e->arg, e->message);
}

/* A refused sign-in, answered by the dispatcher: the page with the message and the name
 * kept. */
static int
login_fail(struct ctx *c, int status, const char *username, const char *message)
{
	return web_fail_show(c, status, message, login_again, &username, sizeof(username));
}

/* 429 with Retry-After: the sign-in page with the message. */
static int
login_refused(struct ctx *c, const char *username, long wait, const char *message)
{
	char *after = arena_printf(c->a, "%ld", wait > 0 ? wait : 1);
	if (after)
		http_resp_header(c->resp, "Retry-After", after);
	return login_fail(c, 429, username, message);
}

static int
login_too_many(struct ctx *c, const char *username, long wait)
{
	return login_refused(c, username, wait,
			     arena_printf(c->a,
					  "Too many sign-in attempts from this address; wait %s.",
					  wait_text(c, wait > 0 ? wait : 1)));
}

int
web_login_submit(struct ctx *c)
{
	const char *username = http_form_get(c->req, "username");
	const char *password = http_form_get(c->req, "password");
	long wait = 0;
	/* Before anything else, so that a flood costs no password hash. */
	if (!auth_login_rate_take(&c->app->auth, c->req->remote_addr, &wait))
		return login_too_many(c, username, wait);
	if (!username || !*username || !password || !*password)
		return login_fail(c, 422, username, "Enter your username and password");
	if (strlen(username) > 255 || strlen(password) > 1024)
		return login_fail(c, 422, NULL, "Invalid username or password");
	long long uid = 0;
	int rc = auth_login(c->db, c->a, &c->app->auth, username, password, c->req->remote_addr,
			    &uid, &wait);
	if (rc == DB_EDOWN)
		return 503;
	if (rc == AUTH_ESLOW) {
		audit_write(c->db, NULL, "login.slowed", "user", 0, username, c->req->remote_addr);
		return login_too_many(c, username, wait);
	}
	if (rc == AUTH_ELOCKED) {
		audit_write(c->db, NULL, "login.locked", "user", 0, username, c->req->remote_addr);
		return login_refused(
		    c, username, wait,
		    arena_printf(c->a,
				 "This account is locked for your address after too many failed "
				 "sign-ins. Try again in %s.",
				 wait_text(c, wait)));
	}
	if (rc != AUTH_OK) {
		audit_write(c->db, NULL, "login.failed", "user", 0, username, c->req->remote_addr);
		return login_fail(c, 422, username, "Invalid username or password");
	}
	char *token;
	if (auth_session_create(c->db, c->a, uid, c->req->remote_addr, &token) != DB_OK)
		return 500;
	struct user who = {.id = uid, .username = username};
	audit_write(c->db, &who, "login", "user", uid, "", c->req->remote_addr);
	set_session_cookie(c, token, 0);
	http_redirect(c->resp, 303, safe_next(http_form_get(c->req, "next")));
	return 303;
}

int
web_logout(struct ctx *c)
{
	auth_session_delete(c->db, c->sess.token_hash);
	audit_write(c->db, c->user, "logout", "user", c->user->id, "", c->req->remote_addr);
	set_session_cookie(c, "", 1);
	http_redirect(c->resp, 303, "/login");
	return 303;
}
