/* The signed-in user's own page: details, password change, API tokens. Needs only a session;
 * every query is limited to c->user's own rows. */
#include <string.h>

#include "../db/users.h"
#include "resource.h"
#include "save.h"

#define TOKEN_NAME_MAX 255
#define TOKEN_DAYS_MAX 3650

/* Renders the profile with an optional form state (errors/values) and a just-created token,
 * which is shown this once and never stored in plain. */
static int
profile_page(struct ctx *c, int status, struct form *f, const char *new_token)
{
	struct db_list l;
	struct db_tokens t;
	int rc = db_users_get(c->db, c->a, DBL_USERS, c->user->id, &l);
	if (rc == DB_OK)
		rc = db_tokens_of_user(c->db, c->a, c->user->id, &t);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	struct json_object *d = json_object_new_object(), *tokens = json_object_new_array();
	const struct db_user *u = l.users;
	struct json_object *me = json_object_new_object();
	field_json(c->a, me, user_field_table, user_nfields, &u->f, 0);
	jset_str(me, "created_at", u->created_at);
	for (const struct db_token *k = t.v; k < t.v + t.n; k++) {
		struct json_object *o = json_object_new_object();
		jset_int(o, "id", k->id);
		jset_str(o, "name", k->name);
		jset_str(o, "created_at", k->created_at);
		jset_str(o, "last_used_at", k->last_used_at ? k->last_used_at : "Never");
		jset_str(o, "expires_at", k->expires_at ? k->expires_at : "Never");
		jset_bool(o, "expired", k->expired);
		json_object_array_add(tokens, o);
	}
	jset_str(d, "title", "Profile");
	jset(d, "me", me);
	jset(d, "tokens", tokens);
	jset_bool(d, "has_tokens", t.n > 0);
	if (new_token)
		jset_str(d, "new_token", new_token);
	if (f)
		form_put(f, d);
	return web_render(c, status, "profile", d);
}

int
web_profile_show(struct ctx *c)
{
	return profile_page(c, 200, NULL, NULL);
}

/* Checks the current password and the new one; field errors into f. */
static void
profile_password_check(struct form *f, const char *current, const char *password)
{
	struct ctx *c = f->c;
	const char *hash = NULL;
	if (!current || !*current)
		form_error(f, "current_password", "The current password field is required.");
	else if (strlen(current) > 1024 ||
		 db_user_password_hash(c->db, c->a, c->user->id, &hash) != DB_OK || !hash ||
		 !auth_password_matches(current, hash))
		form_error(f, "current_password", "The current password is incorrect.");
	if (!password || !*password)
		form_error(f, "password", "The new password field is required.");
	else if (utf8_length(password) < 8)
		form_error(f, "password", "The password must be at least 8 characters.");
	else if (strlen(password) > 1024)
		form_error(f, "password", "The password may not be greater than 1024 characters.");
}

/* Stores the hash, signs out the user's other sessions and audits, in one transaction. */
static int
profile_password_save(struct ctx *c, const char *hash)
{
	struct db_actor by = {
	    .id = c->user->id, .username = c->user->username, .remote_addr = c->req->remote_addr};
	return db_user_password_change(c->db, c->user->id, hash, c->sess.token_hash, &by);
}

/* The page again with a form's messages (the dispatcher's callback). */
static int
profile_page_again(struct ctx *c, const struct web_error *e)
{
	return profile_page(c, e->status, e->form, NULL);
}

int
web_profile_password(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	const char *password = http_form_get(c->req, "password");
	profile_password_check(&f, http_form_get(c->req, "current_password"), password);
	if (f.nerrors)
		return web_fail_page(&f, 422, profile_page_again, NULL, 0);
	char *hash = NULL;
	if (auth_password_hash(&c->app->auth, c->a, password, &hash) != 0)
		return 500;
	int rc = profile_password_save(c, hash);
	if (rc != DB_OK)
		return rc;
	return web_redirect_flash(c, "/profile", "Your password was changed.");
}

/* The optional expiry in days: 0 when blank. */
static long
token_days(struct form *f)
{
	const char *v = form_text(f, "expires_in_days");
	long days = 0;
	if (v && *v && str_to_long(v, 1, TOKEN_DAYS_MAX, &days) != CORE_OK)
		form_error(f, "expires_in_days",
			   "The expiry must be a whole number of days from 1 to 3650.");
	return days;
}

int
token_submit(struct form *f, char **plain, long long *id)
{
	struct ctx *c = f->c;
	const char *name = form_required(f, "name", "token name", TOKEN_NAME_MAX);
	if (!form_no_controls(name))
		form_error(f, "name", "The token name may not contain control characters.");
	long days = token_days(f);
	if (f->nerrors)
		return 422;
	int rc = auth_token_create(c->db, c->a, c->user->id, name, days, plain, id);
	if (rc != DB_OK)
		return rc;
	audit_write(c->db, c->user, "token.create", "api_token", *id, name, c->req->remote_addr);
	return 0;
}

int
web_profile_token_create(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	char *plain = NULL;
	long long id = 0;
	int rc = token_submit(&f, &plain, &id);
	if (rc == 422)
		return web_fail_page(&f, rc, profile_page_again, NULL, 0);
	if (rc != 0)
		return rc;
	/* Answered directly (not redirected) so the token is never stored anywhere in plain. */
	c->flash = "The API token was created. Copy it now: it will not be shown again.";
	c->flash_kind = "success";
	return profile_page(c, 200, NULL, plain);
}

int
web_profile_token_delete(struct ctx *c)
{
	int rc = db_token_delete(c->db, c->user->id, c->ids[0]);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	audit_write(c->db, c->user, "token.revoke", "api_token", c->ids[0], "",
		    c->req->remote_addr);
	return web_redirect_flash(c, "/profile", "The API token was revoked.");
}
