/* Rendering: every HTML byte goes through the template engine; JSON through json-c. */
#include <string.h>

#include "../tmpl/tmpl.h"
#include "web.h"

static void
json_put_cb(void *p)
{
	json_object_put(p);
}

void
web_defer_json(struct ctx *c, struct json_object *o)
{
	if (o)
		arena_defer(c->a, json_put_cb, o);
}

struct json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void
jset(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

void
jset_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

void
jset_int(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void
jset_bool(struct json_object *o, const char *key, int v)
{
	json_object_object_add(o, key, json_object_new_boolean(v != 0));
}

/* can.<perm> flags for navigation and buttons, e.g. can.view_data_connectors. */
static struct json_object *
page_can(const struct user *u)
{
	struct json_object *can = json_object_new_object();
	for (int p = 0; p < PERM__MAX; p++) {
		char key[80];
		size_t n = 0;
		for (const char *s = perm_table[p].name; *s && n < sizeof(key) - 1; s++)
			key[n++] = *s == '-' ? '_' : *s;
		key[n] = '\0';
		jset_bool(can, key, perm_has(u, (enum perm)p));
	}
	return can;
}

struct json_object *
web_page_context(struct ctx *c)
{
	struct json_object *page = json_object_new_object();
	if (c->user) {
		struct json_object *u = json_object_new_object();
		jset_int(u, "id", c->user->id);
		jset_str(u, "username", c->user->username);
		const char *dn = c->user->display_name;
		jset_str(u, "display_name", dn && *dn ? dn : c->user->username);
		jset_bool(u, "is_super_admin", c->user->is_super_admin);
		jset(page, "user", u);
	}
	jset(page, "can", page_can(c->user));
	if (c->sess.csrf)
		jset_str(page, "csrf", c->sess.csrf);
	if (c->flash && *c->flash) {
		jset_str(page, "flash", c->flash);
		jset_str(page, "flash_kind", c->flash_kind ? c->flash_kind : "success");
	}
	jset_str(page, "version", DCGATE_VERSION);
	jset_str(page, "path", c->req->path);
	return page;
}

static int
render_into(struct ctx *c, const char *name, struct json_object *ctxobj, struct buf *out,
	    unsigned long *gen)
{
	pthread_rwlock_rdlock(&c->app->tmpl_lock);
	buf_reset(out);
	int rc = tmpl_render(c->app->tmpls, name, ctxobj, TMPL_ESC_HTML, out);
	if (gen)
		*gen = c->app->tmpl_gen;
	pthread_rwlock_unlock(&c->app->tmpl_lock);
	if (rc != TMPL_OK || out->failed) {
		log_err("render %s failed: %d", name, rc);
		return -1;
	}
	return 0;
}

int
web_render(struct ctx *c, int status, const char *name, struct json_object *data)
{
	struct json_object *page = web_page_context(c);
	web_defer_json(c, page);
	if (data) {
		json_object_object_foreach(data, key, val)
		{
			jset(page, key, json_object_get(val));
		}
		json_object_put(data);
	}
	if (render_into(c, name, page, &c->resp->body, NULL) != 0) {
		/* Render into a buffer first: a failing template becomes a clean 500. */
		buf_reset(&c->resp->body);
		buf_puts(&c->resp->body, "<!doctype html><title>500 Internal Server Error</title>"
					 "<h1>Internal Server Error</h1>");
		status = 500;
	}
	c->resp->status = status;
	return status;
}

/* A piece sees data and can.* only: no user, CSRF token or flash can end up in HTML that
 * is kept and handed to other users. */
int
web_render_piece(struct ctx *c, const char *name, struct json_object *data, struct buf *out,
		 unsigned long *gen)
{
	if (!data)
		data = json_object_new_object();
	web_defer_json(c, data);
	jset(data, "can", page_can(c->user));
	return render_into(c, name, data, out, gen);
}

unsigned long
web_tmpl_gen(struct ctx *c)
{
	pthread_rwlock_rdlock(&c->app->tmpl_lock);
	unsigned long gen = c->app->tmpl_gen;
	pthread_rwlock_unlock(&c->app->tmpl_lock);
	return gen;
}

static const char *
error_message(int status)
{
	switch (status) {
	case 400:
		return "The request was malformed.";
	case 403:
		return "You do not have permission to view this page.";
	case 404:
		return "The page you asked for does not exist.";
	case 405:
		return "This address does not accept that method.";
	case 409:
		return "The data was changed by someone else.";
	case 413:
		return "The request was too large.";
	case 503:
		return "The service is temporarily unavailable (the database cannot be reached). "
		       "Try again in a moment.";
	default:
		return "Something went wrong on our side. The error was logged.";
	}
}

int
web_error(struct ctx *c, int status, const char *message)
{
	struct json_object *d = json_object_new_object();
	jset_int(d, "status", status);
	jset_str(d, "title", http_status_text(status));
	jset_str(d, "message", message ? message : error_message(status));
	return web_render(c, status, "error", d);
}

int
web_json(struct ctx *c, int status, struct json_object *obj)
{
	buf_reset(&c->resp->body);
	buf_puts(&c->resp->body, json_object_to_json_string_ext(
				     obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	http_resp_header(c->resp, "Content-Type", "application/json");
	c->resp->status = status;
	return status;
}

int
web_json_error(struct ctx *c, int status, const char *message, struct json_object *errors)
{
	struct json_object *o = json_object_new_object();
	jset_str(o, "message", message);
	jset(o, "errors", errors ? errors : json_object_new_object());
	return web_json(c, status, o);
}

int
web_redirect_flash(struct ctx *c, const char *location, const char *flash)
{
	if (flash && c->sess.token_hash)
		auth_session_set_flash(c->db, c->sess.token_hash, flash);
	http_redirect(c->resp, 303, location);
	return 303;
}
