/* Users admin on the resource skeleton (resource.h): list with search, create, edit,
 * delete; a user's groups and direct permissions. The route table checks
 * view/create/edit/delete-users; the rules here are the row-level ones: Super Admins, the
 * last active Super Admin, oneself. */
#include <string.h>

#include "../db/users.h"
#include "api.h"
#include "resource.h"

#define USER_FIELD_MAX 255
#define PASSWORD_MAX   1024

static const char MSG_LAST_SUPER[] =
    "This is the last active Super Admin: make another user a Super Admin first.";
static const char MSG_SUPER_ONLY[] = "Only a Super Admin can change a Super Admin.";
static const char MSG_GROUP_GRANT[] =
    "You can only add or remove groups whose permissions you hold yourself.";
static const char MSG_PASSWORD_GRANT[] =
    "Only a Super Admin can set the password of a user with permissions you do not hold.";

/* The stored user being edited; all zero/"" for a new one. */
struct user_old {
	struct resource_old h; /* id, groups, direct permissions */
	struct db_user u;
};

/* A user as submitted: decoded from the request by its field table (f.password "" when
 * blank, never kept in the form's values), judged by user_validate (on the struct, not the
 * request), saved by user_save. */
struct user_input {
	struct resource_in h; /* groups, direct permissions */
	struct user_fields f;
};

static const struct user_old user_blank = {
    .u.f = {.username = "", .display_name = "", .email = "", .password = "", .is_active = 1}};

static const struct resource users;

/* An e-mail address: one @ with text on both sides. */
static void
user_check_email(struct form *f, const struct field *fd, const void *s)
{
	const char *e = FIELD_TEXT_OF(s, fd), *at = strchr(e, '@');
	resource_check_plain(f, fd, s);
	if (*e && (!at || at == e || !at[1] || strchr(at + 1, '@')))
		form_error(f, fd->name, "The email must be a valid email address.");
}

#define USER_FIELD(...) FIELD_ENTRY(user_fields, __VA_ARGS__)
const struct field user_field_table[] = {USER_FIELDS(USER_FIELD)};
const size_t user_nfields = sizeof(user_field_table) / sizeof(user_field_table[0]);

static int
user_get(struct ctx *c, long long id, void *old)
{
	struct db_list l;
	int rc = db_users_get(c->db, c->a, DBL_USERS, id, &l);
	if (rc == DB_OK)
		((struct user_old *)old)->u = l.users[0];
	return rc;
}

/* Renders the create/edit form; the page is read-only for someone who may not save it. */
static int
user_form_page(struct ctx *c, int status, struct form *f, const void *o, const void *i)
{
	const struct user_old *old = o;
	const struct user_input *in = i;
	const long long *gids = in ? in->h.link_ids : old->h.link_ids;
	size_t ng = in ? in->h.nlinks : old->h.nlinks;
	perm_set perms = in ? in->h.perms : old->h.perms;
	struct db_items groups;
	int rc = db_users_read(c->db, c->a, DBU_GROUPS_ALL, 0, &groups);
	if (rc != DB_OK)
		return rc;
	int is_new = old->h.id == 0;
	int may_save = is_new || (perm_has(c->user, PERM_EDIT_USERS) &&
				  (!old->u.f.is_super_admin || c->user->is_super_admin));
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", is_new ? "New user" : "Edit user");
	jset_bool(d, "is_new", is_new);
	jset_str(d, "action", is_new ? "/admin/users" : resource_path(c, &users, old->h.id, ""));
	if (!is_new) {
		jset_int(d, "user_id", old->h.id);
		jset_str(d, "user_name", old->u.f.username);
		jset_str(d, "delete_url", resource_path(c, &users, old->h.id, "/delete"));
		jset_bool(d, "is_self", old->h.id == c->user->id);
	}
	jset_bool(d, "may_save", may_save);
	jset_bool(d, "may_super", c->user->is_super_admin);
	jset_bool(d, "may_delete",
		  !is_new && perm_has(c->user, PERM_DELETE_USERS) && old->h.id != c->user->id);
	jset(d, "groups", form_choices(&groups, gids, ng));
	jset(d, "perm_groups", perm_editor_json(perms, may_save ? perm_grantable(c->user) : 0));
	form_put(f, d);
	return web_render(c, status, "users_form", d);
}

/* The permissions a group gives; all of them when they cannot be read, so that a rule
 * built on it refuses rather than allows. */
static perm_set
group_perms(struct ctx *c, long long gid)
{
	struct db_items p;
	if (db_users_read(c->db, c->a, DBU_GROUP_PERMS, gid, &p) != DB_OK)
		return (perm_set)((1ull << PERM__MAX) - 1);
	return perm_set_of_items(&p);
}

/* The permissions of the groups in a but not in b. */
static perm_set
groups_perms_diff(struct ctx *c, const long long *a, size_t na, const long long *b, size_t nb)
{
	perm_set s = 0;
	for (size_t i = 0; i < na; i++)
		if (!form_id_in(b, nb, a[i]))
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
	    groups_perms_diff(c, in->h.link_ids, in->h.nlinks, old->h.link_ids, old->h.nlinks) |
	    groups_perms_diff(c, old->h.link_ids, old->h.nlinks, in->h.link_ids, in->h.nlinks);
	if (moved & ~ed)
		form_error(f, "group_ids", MSG_GROUP_GRANT);
	if (old->h.id && old->h.id != c->user->id && in->f.password[0]) {
		perm_set held =
		    old->h.perms | groups_perms_diff(c, old->h.link_ids, old->h.nlinks, NULL, 0);
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
	if (!old->h.id || old->h.id != c->user->id || !in->f.password[0])
		return;
	const char *current = form_get(f, "current_password"), *hash = NULL;
	if (!current || !*current)
		form_error(f, "current_password",
			   "Enter your current password to change your own password.");
	else if (strlen(current) > PASSWORD_MAX ||
		 db_user_password_hash(c->db, c->a, c->user->id, &hash) != DB_OK || !hash ||
		 !auth_password_matches(current, hash))
		form_error(f, "current_password", "The current password is incorrect.");
}

/* The field checks, then the row-level rules; messages go beside the fields they concern. */
static void
user_validate(struct form *f, void *i, const void *o)
{
	struct ctx *c = f->c;
	struct user_input *in = i;
	const struct user_old *old = o;
	if (!old->h.id && !in->f.password[0])
		form_error(f, "password", "The password field is required.");
	perm_set ed = perm_grantable(c->user);
	in->h.perms = perm_implied((in->h.perms & ed) | (old->h.perms & ~ed));
	user_rules_grant(f, in, old);
	user_rules_self_password(f, in, old);
	if (!c->user->is_super_admin && in->f.is_super_admin != old->u.f.is_super_admin)
		form_error(f, "is_super_admin",
			   "Only a Super Admin can make a user a Super Admin.");
	if (old->h.id && old->u.f.is_super_admin && old->u.f.is_active &&
	    (!in->f.is_super_admin || !in->f.is_active)) {
		long long others = 1;
		db_super_admins_other(c->db, c->a, old->h.id, &others);
		if (others == 0)
			form_error(f, in->f.is_super_admin ? "is_active" : "is_super_admin",
				   MSG_LAST_SUPER);
	}
	if (old->h.id && old->h.id == c->user->id && !in->f.is_active)
		form_error(f, "is_active", "You cannot deactivate your own account.");
}

/* The password hashed (through auth/), then user, groups, permissions and the audit row
 * in ONE transaction (db_user_save). */
static int
user_save(struct ctx *c, const void *i, const void *o, const char *changed, long long *id)
{
	const struct user_input *in = i;
	const struct user_old *old = o;
	struct db_user_save s = {
	    .id = old->h.id,
	    .f = in->f,
	    .group_ids = in->h.link_ids,
	    .ngroups = in->h.nlinks,
	    .keep_super = old->u.f.is_super_admin && old->u.f.is_active &&
			  (!in->f.is_super_admin || !in->f.is_active),
	    .changed = changed,
	};
	char *hash = NULL;
	if (in->f.password[0]) {
		if (auth_password_hash(&c->app->auth, c->a, in->f.password, &hash) != 0)
			return 500;
		/* A new password signs the user out everywhere else. */
		s.signout_except = c->sess.token_hash ? c->sess.token_hash : "";
	}
	s.password_hash = hash;
	const char **names = NULL;
	s.nperms = perm_names(c->a, in->h.perms, &names);
	s.perms = names;
	struct db_actor by = resource_actor(c);
	return db_user_save(c->db, c->a, &s, &by, id);
}

/* One row of the list with real booleans (mustache treats "0" as true). */
static struct json_object *
user_row_json(const struct ctx *c, const struct db_list *l, size_t i)
{
	const struct db_user *u = &l->users[i];
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", u->id);
	jset_bool(o, "is_self", u->id == c->user->id);
	field_json(c->a, o, user_field_table, user_nfields, &u->f, 0);
	jset_str(o, "created_at", u->created_at);
	return o;
}

/* Why this user may not delete that one, or NULL when they may. */
static const char *
user_delete_refusal(struct ctx *c, const void *old)
{
	const struct user_old *u = old;
	if (u->h.id == c->user->id)
		return "You cannot delete your own account.";
	if (u->u.f.is_super_admin && !c->user->is_super_admin)
		return MSG_SUPER_ONLY;
	return NULL;
}

static const char *
user_edit_refusal(struct ctx *c, const void *old)
{
	const struct user_old *u = old;
	return u->u.f.is_super_admin && !c->user->is_super_admin ? MSG_SUPER_ONLY : NULL;
}

static const char *
user_name(const void *old)
{
	return ((const struct user_old *)old)->u.f.username;
}

/* Deletes in one transaction that first makes sure an active Super Admin is left. */
static int
user_remove(struct ctx *c, const void *old)
{
	const struct user_old *u = old;
	struct db_actor by = resource_actor(c);
	return db_user_remove(c->db, c->a, u->h.id, u->u.f.username,
			      u->u.f.is_super_admin && u->u.f.is_active, &by);
}

/* The API's answer about a user: its times (never its password, set or not). */
static void
user_api_json(struct ctx *c, const void *old, struct json_object *o)
{
	const struct user_old *u = old;
	jset_str(o, "created_at", api_time(c->a, u->u.created_at));
	jset_str(o, "updated_at", api_time(c->a, u->u.updated_at));
}

/* Your own new password through the API needs your current one, as on the form. */
static const struct api_field user_api_extra[] = {
    {"current_password", "current_password", API_TEXT},
};

static const struct resource_fail user_save_fails[] = {
    {DB_EDUP, "username", "The username has already been taken."},
    {DB_USER_ELAST, "is_super_admin", MSG_LAST_SUPER},
    {0, NULL, NULL},
};
static const struct resource_fail user_delete_fails[] = {
    {DB_USER_ELAST, NULL, "The last active Super Admin cannot be deleted."},
    {0, NULL, NULL},
};

static const struct resource users = {
    .base = "/admin/users",
    .noun = "user",
    .list_title = "Users",
    .list_tmpl = "users_list",
    .list_key = "users",
    .q_max = USER_FIELD_MAX,
    .old_size = sizeof(struct user_old),
    .in_size = sizeof(struct user_input),
    .blank = &user_blank,
    .list = DBL_USERS,
    .links = DBU_USER_GROUPS,
    .perms = DBU_USER_PERMS,
    .choices = DBU_GROUPS_ALL,
    .links_field = "group_ids",
    .links_message = "Choose groups from the list.",
    .links_audit = "groups",
    .fields = user_field_table,
    .nfields = sizeof(user_field_table) / sizeof(user_field_table[0]),
    .old_fields = offsetof(struct user_old, u.f),
    .in_fields = offsetof(struct user_input, f),
    .row_json = user_row_json,
    .get = user_get,
    .name = user_name,
    .form_page = user_form_page,
    .validate = user_validate,
    .save = user_save,
    .save_fails = user_save_fails,
    .edit_refusal = user_edit_refusal,
    .delete_refusal = user_delete_refusal,
    .remove = user_remove,
    .delete_fails = user_delete_fails,
    .api_extra = user_api_extra,
    .napi_extra = sizeof(user_api_extra) / sizeof(user_api_extra[0]),
    .api_json = user_api_json,
};

RESOURCE_HANDLERS(users, &users)
