/* Groups admin: list with search, create, edit, delete; a group's members and permissions.
 * The route table checks view/create/edit/delete-groups. */
#include <string.h>

#include "../db/users.h"
#include "form.h"

#define GROUP_NAME_MAX 255
#define GROUP_DESC_MAX 1000

/* The stored group being edited; all zero/"" for a new one. */
struct group_old {
	long long id;
	const char *name, *description;
	long long *user_ids;
	size_t nusers;
	perm_set perms;
};

/* What the form submitted, validated. */
struct group_input {
	const char *name, *description;
	long long *user_ids;
	size_t nusers;
	perm_set perms;
};

static const struct group_old group_blank = {.name = "", .description = ""};

static const char *
groups_path(struct ctx *c, long long id, const char *suffix)
{
	return arena_printf(c->a, "/admin/groups/%lld%s", id, suffix);
}

/* Loads a group with its members and permissions; DB_ENOTFOUND when missing. */
static int
group_load(struct ctx *c, long long id, struct group_old *g)
{
	struct db_rows r, m, p;
	int rc = db_group_get(c->db, c->a, id, &r);
	if (rc == DB_OK)
		rc = db_group_member_ids(c->db, c->a, id, &m);
	if (rc == DB_OK)
		rc = db_group_permissions(c->db, c->a, id, &p);
	if (rc != DB_OK)
		return rc;
	g->id = id;
	g->name = db_get(&r, 0, "name");
	g->description = db_get(&r, 0, "description");
	g->nusers = form_row_ids(c, &m, "user_id", &g->user_ids);
	g->perms = perm_set_of_rows(&p);
	return DB_OK;
}

static int
group_form_page(struct ctx *c, int status, struct form *f, const struct group_old *old,
		const long long *uids, size_t nu, perm_set perms)
{
	struct db_rows users;
	int rc = db_users_all(c->db, c->a, &users);
	if (rc != DB_OK)
		return rc;
	int is_new = old->id == 0;
	int may_save = is_new || perm_has(c->user, PERM_EDIT_GROUPS);
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", is_new ? "New group" : "Edit group");
	jset_bool(d, "is_new", is_new);
	jset_str(d, "action", is_new ? "/admin/groups" : groups_path(c, old->id, ""));
	if (!is_new) {
		jset_int(d, "group_id", old->id);
		jset_str(d, "group_name", old->name);
		jset_str(d, "delete_url", groups_path(c, old->id, "/delete"));
	}
	jset_bool(d, "may_save", may_save);
	jset_bool(d, "may_delete", !is_new && perm_has(c->user, PERM_DELETE_GROUPS));
	jset(d, "members", form_choices(&users, "username", "display_name", uids, nu));
	jset(d, "perm_groups", perm_editor_json(perms, may_save ? perm_grantable(c->user) : 0));
	form_put(f, d);
	return web_render(c, status, "groups_form", d);
}

static void
group_read(struct form *f, struct group_input *in, const struct db_rows *users)
{
	memset(in, 0, sizeof(*in));
	in->name = form_required(f, "name", "name", GROUP_NAME_MAX);
	if (!form_no_controls(in->name))
		form_error(f, "name", "The name may not contain control characters.");
	in->description = form_optional(f, "description", "description", GROUP_DESC_MAX);
	in->nusers = form_ids(f, "user_ids", users, "Choose members from the list.", &in->user_ids);
	in->perms = form_permissions(f);
}

/* The names of the fields a save changes, for the audit log. */
static const char *
group_changes(struct ctx *c, const struct group_input *in, const struct group_old *old)
{
	struct audit_fields af;
	audit_fields_init(&af, c);
	audit_field(&af, "name", strcmp(in->name, old->name) != 0);
	audit_field(&af, "description", strcmp(in->description, old->description) != 0);
	audit_field(&af, "members",
		    !form_ids_same(in->user_ids, in->nusers, old->user_ids, old->nusers));
	audit_field(&af, "permissions", in->perms != old->perms);
	return audit_fields_text(&af);
}

/* Writes group, members, permissions and the audit row in one transaction. */
static int
group_save(struct ctx *c, const struct group_input *in, const struct group_old *old, long long *id)
{
	const char **names = NULL;
	size_t np = perm_names(c->a, in->perms, &names);
	const char *changed = group_changes(c, in, old);
	int rc = db_begin(c->db);
	if (rc != DB_OK)
		return rc;
	*id = old->id;
	rc = old->id ? db_group_update(c->db, old->id, in->name, in->description)
		     : db_group_insert(c->db, in->name, in->description, id);
	if (rc == DB_OK)
		rc = db_group_set_members(c->db, *id, in->user_ids, in->nusers);
	if (rc == DB_OK)
		rc = db_group_set_permissions(c->db, *id, names, np);
	if (rc == DB_OK)
		rc = audit_write(c->db, c->user, old->id ? "group.update" : "group.create", "group",
				 *id, changed, c->req->remote_addr);
	if (rc == DB_OK)
		return db_commit(c->db);
	db_rollback(c->db);
	return rc;
}

/* Validates and saves a new (old->id == 0) or existing group; answers the request. */
static int
group_submit(struct ctx *c, const struct group_old *old)
{
	struct form f;
	struct group_input in;
	struct db_rows users;
	int rc = db_users_all(c->db, c->a, &users);
	if (rc != DB_OK)
		return rc;
	form_init(&f, c);
	group_read(&f, &in, &users);
	perm_set ed = perm_grantable(c->user);
	in.perms = perm_implied((in.perms & ed) | (old->perms & ~ed));
	/* No way up: only who holds all of a group's permissions may change its members. */
	if ((in.perms & ~ed) && !form_ids_same(in.user_ids, in.nusers, old->user_ids, old->nusers))
		form_error(&f, "user_ids",
			   "You can only change the members of a group whose "
			   "permissions you hold yourself.");
	long long id = 0;
	if (!f.nerrors) {
		int tries = 0;
		do /* a deadlock victim was rolled back whole: again */
			rc = group_save(c, &in, old, &id);
		while (rc == DB_ERETRY && ++tries < DB_RETRIES);
		if (rc == DB_EDUP)
			form_error(&f, "name", "The name has already been taken.");
		else if (rc != DB_OK)
			return rc;
	}
	if (f.nerrors)
		return group_form_page(c, 422, &f, old, in.user_ids, in.nusers, in.perms);
	return web_redirect_flash(c, "/admin/groups",
				  old->id ? "The group was updated" : "The group was created");
}

static struct json_object *
group_row_json(const struct db_rows *r, size_t i)
{
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", db_get_ll(r, i, "id", 0));
	jset_str(o, "name", db_get(r, i, "name"));
	jset_str(o, "description", db_get(r, i, "description"));
	jset_int(o, "members", db_get_ll(r, i, "members", 0));
	jset_str(o, "created_at", db_get(r, i, "created_at"));
	return o;
}

int
web_groups_list(struct ctx *c)
{
	struct pager p;
	pager_init(&p, c);
	const char *q = http_query_get(c->req, "q");
	q = q ? str_trim(arena_strdup(c->a, q)) : "";
	if (utf8_length(q) > GROUP_NAME_MAX)
		q = "";
	struct db_rows r;
	int rc = db_groups_search(c->db, c->a, q, p.per_page, p.offset, &r, &p.total);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object(), *rows = json_object_new_array();
	for (size_t i = 0; i < r.nrows; i++)
		json_object_array_add(rows, group_row_json(&r, i));
	jset_str(d, "title", "Groups");
	jset_str(d, "q", q);
	jset(d, "groups", rows);
	jset(d, "pager", pager_json(&p, pager_base_query(c, &p, q)));
	if (!r.nrows)
		jset_str(d, "empty", *q || p.total ? "No Results" : "No Data Available");
	return web_render(c, 200, "groups_list", d);
}

int
web_groups_new(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	return group_form_page(c, 200, &f, &group_blank, NULL, 0, 0);
}

int
web_groups_create(struct ctx *c)
{
	return group_submit(c, &group_blank);
}

int
web_groups_edit(struct ctx *c)
{
	struct group_old old;
	int rc = group_load(c, c->ids[0], &old);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	jset_str(f.values, "name", old.name);
	jset_str(f.values, "description", old.description);
	return group_form_page(c, 200, &f, &old, old.user_ids, old.nusers, old.perms);
}

int
web_groups_update(struct ctx *c)
{
	struct group_old old;
	int rc = group_load(c, c->ids[0], &old);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	return group_submit(c, &old);
}

static int
group_confirm_page(struct ctx *c, const struct group_old *g)
{
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Delete group");
	jset_str(d, "name", g->name);
	jset_str(d, "action", groups_path(c, g->id, "/delete"));
	jset_str(d, "cancel", "/admin/groups");
	if (g->nusers)
		jset_str(d, "message",
			 arena_printf(c->a, "Its %zu member%s will lose the group's permissions.",
				      g->nusers, g->nusers == 1 ? "" : "s"));
	return web_render(c, 200, "confirm_delete", d);
}

int
web_groups_delete_confirm(struct ctx *c)
{
	struct group_old g;
	int rc = group_load(c, c->ids[0], &g);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	return group_confirm_page(c, &g);
}

/* Deletes the group (memberships and permissions go with it) and writes the audit row. */
static int
group_delete_tx(struct ctx *c, const struct group_old *g)
{
	int rc = db_begin(c->db);
	if (rc != DB_OK)
		return rc;
	rc = db_group_delete(c->db, g->id);
	if (rc == DB_OK)
		rc = audit_write(c->db, c->user, "group.delete", "group", g->id, g->name,
				 c->req->remote_addr);
	if (rc == DB_OK)
		return db_commit(c->db);
	db_rollback(c->db);
	return rc;
}

int
web_groups_delete(struct ctx *c)
{
	struct group_old g;
	int rc = group_load(c, c->ids[0], &g);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	int tries = 0;
	do
		rc = group_delete_tx(c, &g);
	while (rc == DB_ERETRY && ++tries < DB_RETRIES);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	return web_redirect_flash(c, "/admin/groups", "The group was deleted.");
}
