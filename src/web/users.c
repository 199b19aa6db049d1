/* Users admin: list with search, create, edit, delete; a user's groups and direct
 * permissions. The route table checks view/create/edit/delete-users; the rules here are the
 * row-level ones: Super Admins, the last active Super Admin, oneself. */
#include <string.h>

#include "../db/users.h"
#include "form.h"

#define USER_FIELD_MAX 255
#define PASSWORD_MIN   8
#define PASSWORD_MAX   1024
#define USER_ELAST     (-100) /* the change would leave no active Super Admin */

static const char MSG_LAST_SUPER[] =
    "This is the last active Super Admin: make another user a Super Admin first.";
static const char MSG_SUPER_ONLY[] = "Only a Super Admin can change a Super Admin.";
static const char MSG_GROUP_GRANT[] =
    "You can only add or remove groups whose permissions you hold yourself.";
static const char MSG_PASSWORD_GRANT[] =
    "Only a Super Admin can set the password of a user with permissions you do not hold.";

/* The stored user being edited; all zero/"" for a new one. */
struct user_old {
	long long id;
	const char *username, *display_name, *email;
	int is_active, is_super_admin;
	long long *group_ids;
	size_t ngroups;
	perm_set perms; /* direct permissions */
};

/* What the form submitted, validated. */
struct user_input {
	struct db_user_fields f;
	const char *password; /* "" when blank */
	long long *group_ids;
	size_t ngroups;
	perm_set perms;
};

static const struct user_old user_blank = {
    .username = "", .display_name = "", .email = "", .is_active = 1};

static const char *
users_path(struct ctx *c, long long id, const char *suffix)
{
	return arena_printf(c->a, "/admin/users/%lld%s", id, suffix);
}

/* Loads a user with its groups and direct permissions; DB_ENOTFOUND when missing. */
static int
user_load(struct ctx *c, long long id, struct user_old *u)
{
	struct db_rows r, g, p;
	int rc = db_user_get(c->db, c->a, id, &r);
	if (rc == DB_OK)
		rc = db_user_group_ids(c->db, c->a, id, &g);
	if (rc == DB_OK)
		rc = db_user_permissions(c->db, c->a, id, &p);
	if (rc != DB_OK)
		return rc;
	u->id = id;
	u->username = db_get(&r, 0, "username");
	u->display_name = db_get(&r, 0, "display_name");
	u->email = db_get(&r, 0, "email");
	u->is_active = db_get_ll(&r, 0, "is_active", 0) != 0;
	u->is_super_admin = db_get_ll(&r, 0, "is_super_admin", 0) != 0;
	u->ngroups = form_row_ids(c, &g, "group_id", &u->group_ids);
	u->perms = perm_set_of_rows(&p);
	return DB_OK;
}

/* The form's values from a stored user, for the first rendering of the edit page. */
static void
user_values(struct form *f, const struct user_old *u)
{
	jset_str(f->values, "username", u->username);
	jset_str(f->values, "display_name", u->display_name);
	jset_str(f->values, "email", u->email);
	jset_bool(f->values, "is_active", u->is_active);
	jset_bool(f->values, "is_super_admin", u->is_super_admin);
}

/* Renders the create/edit form; the page is read-only for someone who may not save it. */
static int
user_form_page(struct ctx *c, int status, struct form *f, const struct user_old *old,
	       const long long *gids, size_t ng, perm_set perms)
{
	struct db_rows groups;
	int rc = db_groups_all(c->db, c->a, &groups);
	if (rc != DB_OK)
		return rc;
	int is_new = old->id == 0;
	int may_save = is_new || (perm_has(c->user, PERM_EDIT_USERS) &&
				  (!old->is_super_admin || c->user->is_super_admin));
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", is_new ? "New user" : "Edit user");
	jset_bool(d, "is_new", is_new);
	jset_str(d, "action", is_new ? "/admin/users" : users_path(c, old->id, ""));
	if (!is_new) {
		jset_int(d, "user_id", old->id);
		jset_str(d, "user_name", old->username);
		jset_str(d, "delete_url", users_path(c, old->id, "/delete"));
		jset_bool(d, "is_self", old->id == c->user->id);
	}
	jset_bool(d, "may_save", may_save);
	jset_bool(d, "may_super", c->user->is_super_admin);
	jset_bool(d, "may_delete",
		  !is_new && perm_has(c->user, PERM_DELETE_USERS) && old->id != c->user->id);
	jset(d, "groups", form_choices(&groups, "name", NULL, gids, ng));
	jset(d, "perm_groups", perm_editor_json(perms, may_save ? perm_grantable(c->user) : 0));
	form_put(f, d);
	return web_render(c, status, "users_form", d);
}

/* A text field of at most 255 characters without control characters. */
static const char *
user_text(struct form *f, const char *field, const char *label, int required)
{
	const char *v = required ? form_required(f, field, label, USER_FIELD_MAX)
				 : form_optional(f, field, label, USER_FIELD_MAX);
	if (!form_no_controls(v))
		form_error(
		    f, field,
		    arena_printf(f->c->a, "The %s may not contain control characters.", label));
	return v;
}

/* The password field: required for a new user, else blank keeps the stored one. Never put
 * into the form's values, so it is not sent back. */
static const char *
user_password(struct form *f, int required)
{
	const char *pw = http_form_get(f->c->req, "password");
	if (!pw || !*pw) {
		if (required)
			form_error(f, "password", "The password field is required.");
		return "";
	}
	if (utf8_length(pw) < PASSWORD_MIN)
		form_error(f, "password", "The password must be at least 8 characters.");
	else if (strlen(pw) > PASSWORD_MAX)
		form_error(f, "password", "The password may not be greater than 1024 characters.");
	return pw;
}

static void
user_read(struct form *f, struct user_input *in, const struct db_rows *groups, int is_new)
{
	struct ctx *c = f->c;
	memset(in, 0, sizeof(*in));
	in->f.username = user_text(f, "username", "username", 1);
	in->f.display_name = user_text(f, "display_name", "display name", 0);
	in->f.email = user_text(f, "email", "email", 0);
	const char *at = strchr(in->f.email, '@');
	if (*in->f.email && (!at || at == in->f.email || !at[1] || strchr(at + 1, '@')))
		form_error(f, "email", "The email must be a valid email address.");
	in->password = user_password(f, is_new);
	in->f.is_active = form_checkbox(c, "is_active");
	in->f.is_super_admin = form_checkbox(c, "is_super_admin");
	jset_bool(f->values, "is_active", in->f.is_active);
	jset_bool(f->values, "is_super_admin", in->f.is_super_admin);
	in->ngroups =
	    form_ids(f, "group_ids", groups, "Choose groups from the list.", &in->group_ids);
	in->perms = form_permissions(f);
}

static int
id_in(const long long *ids, size_t n, long long id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* The permissions a group gives; all of them when they cannot be read, so that a rule
 * built on it refuses rather than allows. */
static perm_set
group_perms(struct ctx *c, long long gid)
{
	struct db_rows p;
	if (db_group_permissions(c->db, c->a, gid, &p) != DB_OK)
		return (perm_set)((1ull << PERM__MAX) - 1);
	return perm_set_of_rows(&p);
}

/* The permissions of the groups in a but not in b. */
static perm_set
groups_perms_diff(struct ctx *c, const long long *a, size_t na, const long long *b, size_t nb)
{
	perm_set s = 0;
	for (size_t i = 0; i < na; i++)
		if (!id_in(b, nb, a[i]))
			s |= group_perms(c, a[i]);
	return s;
}

/* No way up through this form: someone who is not a Super Admin cannot add or remove a
 * group that gives permissions they lack, nor set the password of a user who holds such
 * permissions (and then sign in as them). */
static void
user_rules_grant(struct form *f, const struct user_input *in, const struct user_old *old)
{
	struct ctx *c = f->c;
	if (c->user->is_super_admin)
		return;
	perm_set ed = perm_grantable(c->user);
	perm_set moved =
	    groups_perms_diff(c, in->group_ids, in->ngroups, old->group_ids, old->ngroups) |
	    groups_perms_diff(c, old->group_ids, old->ngroups, in->group_ids, in->ngroups);
	if (moved & ~ed)
		form_error(f, "group_ids", MSG_GROUP_GRANT);
	if (old->id && old->id != c->user->id && in->password[0]) {
		perm_set held =
		    old->perms | groups_perms_diff(c, old->group_ids, old->ngroups, NULL, 0);
		if (held & ~ed)
			form_error(f, "password", MSG_PASSWORD_GRANT);
	}
}

/* Your own new password needs your current one, here as on the Profile page: a session
 * left open is not enough to take the account over. */
static void
user_rules_self_password(struct form *f, const struct user_input *in, const struct user_old *old)
{
	struct ctx *c = f->c;
	if (!old->id || old->id != c->user->id || !in->password[0])
		return;
	const char *current = http_form_get(c->req, "current_password"), *hash = NULL;
	if (!current || !*current)
		form_error(f, "current_password",
			   "Enter your current password to change your own password.");
	else if (strlen(current) > PASSWORD_MAX ||
		 db_user_password_hash(c->db, c->a, c->user->id, &hash) != DB_OK || !hash ||
		 !auth_password_matches(current, hash))
		form_error(f, "current_password", "The current password is incorrect.");
}

/* Row-level rules; their messages go beside the fields they concern. */
static void
user_rules(struct form *f, struct user_input *in, const struct user_old *old)
{
	struct ctx *c = f->c;
	perm_set ed = perm_grantable(c->user);
	in->perms = perm_implied((in->perms & ed) | (old->perms & ~ed));
	user_rules_grant(f, in, old);
	user_rules_self_password(f, in, old);
	if (!c->user->is_super_admin && in->f.is_super_admin != old->is_super_admin)
		form_error(f, "is_super_admin",
			   "Only a Super Admin can make a user a Super Admin.");
	if (old->id && old->is_super_admin && old->is_active &&
	    (!in->f.is_super_admin || !in->f.is_active)) {
		long long others = 1;
		db_super_admins_other(c->db, c->a, old->id, &others);
		if (others == 0)
			form_error(f, in->f.is_super_admin ? "is_active" : "is_super_admin",
				   MSG_LAST_SUPER);
	}
	if (old->id && old->id == c->user->id && !in->f.is_active)
		form_error(f, "is_active", "You cannot deactivate your own account.");
}

/* The names of the fields a save changes, for the audit log (never a value). */
static const char *
user_changes(struct ctx *c, const struct user_input *in, const struct user_old *old)
{
	struct audit_fields af;
	audit_fields_init(&af, c);
	audit_field(&af, "username", strcmp(in->f.username, old->username) != 0);
	audit_field(&af, "password", in->password[0] != '\0');
	audit_field(&af, "display_name", strcmp(in->f.display_name, old->display_name) != 0);
	audit_field(&af, "email", strcmp(in->f.email, old->email) != 0);
	audit_field(&af, "is_active", in->f.is_active != old->is_active);
	audit_field(&af, "is_super_admin", in->f.is_super_admin != old->is_super_admin);
	audit_field(&af, "groups",
		    !form_ids_same(in->group_ids, in->ngroups, old->group_ids, old->ngroups));
	audit_field(&af, "permissions", in->perms != old->perms);
	return audit_fields_text(&af);
}

/* Inside a transaction: USER_ELAST unless an active Super Admin other than id is left. The
 * rows are locked, so two concurrent demotions cannot both pass. */
static int
super_admin_left(struct ctx *c, long long id)
{
	struct db_rows r;
	int rc = db_super_admins_lock(c->db, c->a, &r);
	if (rc != DB_OK)
		return rc;
	for (size_t i = 0; i < r.nrows; i++)
		if (db_get_ll(&r, i, "id", 0) != id)
			return DB_OK;
	return USER_ELAST;
}

/* Writes user, groups, permissions and the audit row in one transaction. */
static int
user_save(struct ctx *c, const struct user_input *in, const struct user_old *old, long long *id)
{
	const char **names = NULL;
	size_t np = perm_names(c->a, in->perms, &names);
	const char *changed = user_changes(c, in, old);
	int rc = db_begin(c->db);
	if (rc != DB_OK)
		return rc;
	*id = old->id;
	if (old->is_super_admin && old->is_active && (!in->f.is_super_admin || !in->f.is_active))
		rc = super_admin_left(c, old->id);
	if (rc == DB_OK)
		rc = old->id ? db_user_update(c->db, old->id, &in->f)
			     : db_user_insert(c->db, &in->f, id);
	if (rc == DB_OK)
		rc = db_user_set_groups(c->db, *id, in->group_ids, in->ngroups);
	if (rc == DB_OK)
		rc = db_user_set_permissions(c->db, *id, names, np);
	/* A new password signs the user out everywhere else. */
	if (rc == DB_OK && old->id && in->password[0])
		rc = db_user_sessions_delete(c->db, *id, c->sess.token_hash);
	if (rc == DB_OK)
		rc = audit_write(c->db, c->user, old->id ? "user.update" : "user.create", "user",
				 *id, changed, c->req->remote_addr);
	if (rc == DB_OK)
		return db_commit(c->db);
	db_rollback(c->db);
	return rc;
}

/* Validates and saves a new (old->id == 0) or existing user; answers the request. */
static int
user_submit(struct ctx *c, const struct user_old *old)
{
	struct form f;
	struct user_input in;
	struct db_rows groups;
	int rc = db_groups_all(c->db, c->a, &groups);
	if (rc != DB_OK)
		return rc;
	form_init(&f, c);
	user_read(&f, &in, &groups, old->id == 0);
	user_rules(&f, &in, old);
	char *hash = NULL;
	if (!f.nerrors && in.password[0] &&
	    auth_password_hash(&c->app->auth, c->a, in.password, &hash) != 0)
		return 500;
	in.f.password_hash = hash;
	long long id = 0;
	if (!f.nerrors) {
		int tries = 0;
		do /* a deadlock victim was rolled back whole: again */
			rc = user_save(c, &in, old, &id);
		while (rc == DB_ERETRY && ++tries < DB_RETRIES);
		if (rc == DB_EDUP)
			form_error(&f, "username", "The username has already been taken.");
		else if (rc == USER_ELAST)
			form_error(&f, "is_super_admin", MSG_LAST_SUPER);
		else if (rc != DB_OK)
			return rc;
	}
	if (f.nerrors)
		return user_form_page(c, 422, &f, old, in.group_ids, in.ngroups, in.perms);
	return web_redirect_flash(c, "/admin/users",
				  old->id ? "The user was updated" : "The user was created");
}

/* One row of the list with real booleans (mustache treats "0" as true). */
static struct json_object *
user_row_json(const struct ctx *c, const struct db_rows *r, size_t i)
{
	struct json_object *o = json_object_new_object();
	long long id = db_get_ll(r, i, "id", 0);
	jset_int(o, "id", id);
	jset_bool(o, "is_self", id == c->user->id);
	jset_str(o, "username", db_get(r, i, "username"));
	jset_str(o, "display_name", db_get(r, i, "display_name"));
	jset_str(o, "email", db_get(r, i, "email"));
	jset_bool(o, "is_active", db_get_ll(r, i, "is_active", 0));
	jset_bool(o, "is_super_admin", db_get_ll(r, i, "is_super_admin", 0));
	jset_str(o, "created_at", db_get(r, i, "created_at"));
	return o;
}

int
web_users_list(struct ctx *c)
{
	struct pager p;
	pager_init(&p, c);
	const char *q = http_query_get(c->req, "q");
	q = q ? str_trim(arena_strdup(c->a, q)) : "";
	if (utf8_length(q) > USER_FIELD_MAX)
		q = "";
	struct db_rows r;
	int rc = db_users_search(c->db, c->a, q, p.per_page, p.offset, &r, &p.total);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object(), *rows = json_object_new_array();
	for (size_t i = 0; i < r.nrows; i++)
		json_object_array_add(rows, user_row_json(c, &r, i));
	jset_str(d, "title", "Users");
	jset_str(d, "q", q);
	jset(d, "users", rows);
	jset(d, "pager", pager_json(&p, pager_base_query(c, &p, q)));
	if (!r.nrows)
		jset_str(d, "empty", *q || p.total ? "No Results" : "No Data Available");
	return web_render(c, 200, "users_list", d);
}

int
web_users_new(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	user_values(&f, &user_blank);
	return user_form_page(c, 200, &f, &user_blank, NULL, 0, 0);
}

int
web_users_create(struct ctx *c)
{
	return user_submit(c, &user_blank);
}

int
web_users_edit(struct ctx *c)
{
	struct user_old old;
	int rc = user_load(c, c->ids[0], &old);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	user_values(&f, &old);
	return user_form_page(c, 200, &f, &old, old.group_ids, old.ngroups, old.perms);
}

int
web_users_update(struct ctx *c)
{
	struct user_old old;
	int rc = user_load(c, c->ids[0], &old);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	if (old.is_super_admin && !c->user->is_super_admin)
		return web_error(c, 403, MSG_SUPER_ONLY);
	return user_submit(c, &old);
}

/* Why this user may not delete that one, or NULL when they may. */
static const char *
user_delete_refusal(struct ctx *c, const struct user_old *u)
{
	if (u->id == c->user->id)
		return "You cannot delete your own account.";
	if (u->is_super_admin && !c->user->is_super_admin)
		return MSG_SUPER_ONLY;
	return NULL;
}

/* The "Caution!" page; with error set it explains why the delete cannot happen. */
static int
user_confirm_page(struct ctx *c, int status, const struct user_old *u, const char *error)
{
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Delete user");
	jset_str(d, "name", u->username);
	jset_str(d, "action", users_path(c, u->id, "/delete"));
	jset_str(d, "cancel", "/admin/users");
	if (error)
		jset_str(d, "error", error);
	return web_render(c, status, "confirm_delete", d);
}

int
web_users_delete_confirm(struct ctx *c)
{
	struct user_old u;
	int rc = user_load(c, c->ids[0], &u);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	return user_confirm_page(c, 200, &u, user_delete_refusal(c, &u));
}

/* Deletes in a transaction that first makes sure an active Super Admin is left. */
static int
user_delete_tx(struct ctx *c, const struct user_old *u)
{
	int rc = db_begin(c->db);
	if (rc != DB_OK)
		return rc;
	if (u->is_super_admin && u->is_active)
		rc = super_admin_left(c, u->id);
	if (rc == DB_OK)
		rc = db_user_delete(c->db, u->id);
	if (rc == DB_OK)
		rc = audit_write(c->db, c->user, "user.delete", "user", u->id, u->username,
				 c->req->remote_addr);
	if (rc == DB_OK)
		return db_commit(c->db);
	db_rollback(c->db);
	return rc;
}

int
web_users_delete(struct ctx *c)
{
	struct user_old u;
	int rc = user_load(c, c->ids[0], &u);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	const char *refusal = user_delete_refusal(c, &u);
	if (refusal)
		return user_confirm_page(c, 409, &u, refusal);
	int tries = 0;
	do
		rc = user_delete_tx(c, &u);
	while (rc == DB_ERETRY && ++tries < DB_RETRIES);
	if (rc == USER_ELAST)
		return user_confirm_page(c, 409, &u,
					 "The last active Super Admin cannot be deleted.");
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	return web_redirect_flash(c, "/admin/users", "The user was deleted.");
}
