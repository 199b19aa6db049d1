/* Groups admin on the resource skeleton (resource.h): list with search, create, edit,
 * delete; a group's members and permissions. The route table checks
 * view/create/edit/delete-groups. */
#include <string.h>

#include "../db/users.h"
#include "resource.h"

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

/* A group as submitted: decoded by group_decode, judged by group_validate. */
struct group_input {
	const char *name, *description;
	long long *user_ids;
	size_t nusers;
	perm_set perms;
};

static const struct group_old group_blank = {.name = "", .description = ""};

static const struct resource groups;

/* Loads a group with its members and permissions; DB_ENOTFOUND when missing. */
static int
group_load(struct ctx *c, long long id, void *old)
{
	struct group_old *g = old;
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

static void
group_values(struct form *f, const void *old)
{
	const struct group_old *g = old;
	if (!g->id)
		return;
	jset_str(f->values, "name", g->name);
	jset_str(f->values, "description", g->description);
}

static int
group_form_page(struct ctx *c, int status, struct form *f, const void *o, const void *i)
{
	const struct group_old *old = o;
	const struct group_input *in = i;
	struct db_rows users;
	int rc = db_users_all(c->db, c->a, &users);
	if (rc != DB_OK)
		return rc;
	int is_new = old->id == 0;
	int may_save = is_new || perm_has(c->user, PERM_EDIT_GROUPS);
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", is_new ? "New group" : "Edit group");
	jset_bool(d, "is_new", is_new);
	jset_str(d, "action", is_new ? "/admin/groups" : resource_path(c, &groups, old->id, ""));
	if (!is_new) {
		jset_int(d, "group_id", old->id);
		jset_str(d, "group_name", old->name);
		jset_str(d, "delete_url", resource_path(c, &groups, old->id, "/delete"));
	}
	jset_bool(d, "may_save", may_save);
	jset_bool(d, "may_delete", !is_new && perm_has(c->user, PERM_DELETE_GROUPS));
	jset(d, "members",
	     form_choices(&users, "username", "display_name", in ? in->user_ids : old->user_ids,
			  in ? in->nusers : old->nusers));
	jset(d, "perm_groups",
	     perm_editor_json(in ? in->perms : old->perms, may_save ? perm_grantable(c->user) : 0));
	form_put(f, d);
	return web_render(c, status, "groups_form", d);
}

static int
group_decode(struct form *f, void *i, const void *old)
{
	(void)old;
	struct group_input *in = i;
	struct db_rows users;
	int rc = db_users_all(f->c->db, f->c->a, &users);
	if (rc != DB_OK)
		return rc;
	const char *v;
	in->name = (v = form_text(f, "name")) ? v : "";
	in->description = (v = form_text(f, "description")) ? v : "";
	in->nusers =
	    form_ids(f, "user_ids", &users, "Choose members from the list.", &in->user_ids);
	in->perms = form_permissions(f);
	return DB_OK;
}

static void
group_validate(struct form *f, void *i, const void *o)
{
	struct group_input *in = i;
	const struct group_old *old = o;
	resource_check_text(f, "name", "name", in->name, 1, GROUP_NAME_MAX);
	if (utf8_length(in->description) > GROUP_DESC_MAX)
		form_error(f, "description",
			   "The description may not be greater than 1000 characters.");
	perm_set ed = perm_grantable(f->c->user);
	in->perms = perm_implied((in->perms & ed) | (old->perms & ~ed));
	/* No way up: only who holds all of a group's permissions may change its members. */
	if ((in->perms & ~ed) &&
	    !form_ids_same(in->user_ids, in->nusers, old->user_ids, old->nusers))
		form_error(f, "user_ids",
			   "You can only change the members of a group whose "
			   "permissions you hold yourself.");
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

/* Group, members, permissions and the audit row in ONE transaction (db_group_save). */
static int
group_save(struct ctx *c, const void *i, const void *o, long long *id)
{
	const struct group_input *in = i;
	const struct group_old *old = o;
	const char **names = NULL;
	struct db_group_save s = {
	    .id = old->id,
	    .name = in->name,
	    .description = in->description,
	    .user_ids = in->user_ids,
	    .nusers = in->nusers,
	    .nperms = perm_names(c->a, in->perms, &names),
	    .changed = group_changes(c, in, old),
	};
	s.perms = names;
	struct db_actor by = resource_actor(c);
	return db_group_save(c->db, &s, &by, id);
}

static struct json_object *
group_row_json(const struct ctx *c, const struct db_rows *r, size_t i)
{
	(void)c;
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", db_get_ll(r, i, "id", 0));
	jset_str(o, "name", db_get(r, i, "name"));
	jset_str(o, "description", db_get(r, i, "description"));
	jset_int(o, "members", db_get_ll(r, i, "members", 0));
	jset_str(o, "created_at", db_get(r, i, "created_at"));
	return o;
}

static const char *
group_name(const void *old)
{
	return ((const struct group_old *)old)->name;
}

static const char *
group_delete_note(struct ctx *c, const void *old)
{
	const struct group_old *g = old;
	if (!g->nusers)
		return NULL;
	return arena_printf(c->a, "Its %zu member%s will lose the group's permissions.", g->nusers,
			    g->nusers == 1 ? "" : "s");
}

/* Deletes the group (memberships and permissions go with it) with its audit row. */
static int
group_remove(struct ctx *c, const void *old)
{
	const struct group_old *g = old;
	struct db_actor by = resource_actor(c);
	return db_group_remove(c->db, g->id, g->name, &by);
}

static const struct resource_fail group_save_fails[] = {
    {DB_EDUP, "name", "The name has already been taken."},
    {0, NULL, NULL},
};

static const struct resource groups = {
    .base = "/admin/groups",
    .noun = "group",
    .list_title = "Groups",
    .list_tmpl = "groups_list",
    .list_key = "groups",
    .q_max = GROUP_NAME_MAX,
    .old_size = sizeof(struct group_old),
    .in_size = sizeof(struct group_input),
    .blank = &group_blank,
    .search = db_groups_search,
    .row_json = group_row_json,
    .load = group_load,
    .name = group_name,
    .values = group_values,
    .form_page = group_form_page,
    .decode = group_decode,
    .validate = group_validate,
    .save = group_save,
    .save_fails = group_save_fails,
    .delete_note = group_delete_note,
    .remove = group_remove,
};

RESOURCE_HANDLERS(groups, &groups)
