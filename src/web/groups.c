/* Groups admin on the resource skeleton (resource.h): list with search, create, edit,
 * delete; a group's members and permissions. The route table checks
 * view/create/edit/delete-groups. */
#include <string.h>

#include "../db/users.h"
#include "api.h"
#include "resource.h"

#define GROUP_NAME_MAX 255

/* The stored group being edited; all zero/"" for a new one. */
struct group_old {
	struct resource_old h; /* id, members, permissions */
	struct db_group g;
};

/* A group as submitted: decoded by its field table, judged by group_validate. */
struct group_input {
	struct resource_in h; /* members, permissions */
	struct group_fields f;
};

static const struct group_old group_blank = {.g.f = {.name = "", .description = ""}};

static const struct resource groups;

#define GROUP_FIELD(...) FIELD_ENTRY(group_fields, __VA_ARGS__)
static const struct field group_field_table[] = {GROUP_FIELDS(GROUP_FIELD)};
#define GROUP_NFIELDS (sizeof(group_field_table) / sizeof(group_field_table[0]))

static int
group_get(struct ctx *c, long long id, void *old)
{
	struct db_list l;
	int rc = db_users_get(c->db, c->a, DBL_GROUPS, id, &l);
	if (rc == DB_OK)
		((struct group_old *)old)->g = l.groups[0];
	return rc;
}

static int
group_form_page(struct ctx *c, int status, struct form *f, const void *o, const void *i)
{
	const struct group_old *old = o;
	const struct group_input *in = i;
	struct db_items users;
	int rc = db_users_read(c->db, c->a, DBU_USERS_ALL, 0, &users);
	if (rc != DB_OK)
		return rc;
	int is_new = old->h.id == 0;
	int may_save = is_new || perm_has(c->user, PERM_EDIT_GROUPS);
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", is_new ? "New group" : "Edit group");
	jset_bool(d, "is_new", is_new);
	jset_str(d, "action", is_new ? "/admin/groups" : resource_path(c, &groups, old->h.id, ""));
	if (!is_new) {
		jset_int(d, "group_id", old->h.id);
		jset_str(d, "group_name", old->g.f.name);
		jset_str(d, "delete_url", resource_path(c, &groups, old->h.id, "/delete"));
	}
	jset_bool(d, "may_save", may_save);
	jset_bool(d, "may_delete", !is_new && perm_has(c->user, PERM_DELETE_GROUPS));
	jset(d, "members",
	     form_choices(&users, in ? in->h.link_ids : old->h.link_ids,
			  in ? in->h.nlinks : old->h.nlinks));
	jset(d, "perm_groups",
	     perm_editor_json(in ? in->h.perms : old->h.perms,
			      may_save ? perm_grantable(c->user) : 0));
	form_put(f, d);
	return web_render(c, status, "groups_form", d);
}

static void
group_validate(struct form *f, void *i, const void *o)
{
	struct group_input *in = i;
	const struct group_old *old = o;
	perm_set ed = perm_grantable(f->c->user);
	in->h.perms = perm_implied((in->h.perms & ed) | (old->h.perms & ~ed));
	/* No way up: only who holds all of a group's permissions may change its members. */
	if ((in->h.perms & ~ed) &&
	    !form_ids_same(in->h.link_ids, in->h.nlinks, old->h.link_ids, old->h.nlinks))
		form_error(f, "user_ids",
			   "You can only change the members of a group whose "
			   "permissions you hold yourself.");
}

/* Group, members, permissions and the audit row in ONE transaction (db_group_save). */
static int
group_save(struct ctx *c, const void *i, const void *o, const char *changed, long long *id)
{
	const struct group_input *in = i;
	const struct group_old *old = o;
	const char **names = NULL;
	struct db_group_save s = {
	    .id = old->h.id,
	    .f = in->f,
	    .user_ids = in->h.link_ids,
	    .nusers = in->h.nlinks,
	    .nperms = perm_names(c->a, in->h.perms, &names),
	    .changed = changed,
	};
	s.perms = names;
	struct db_actor by = resource_actor(c);
	return db_group_save(c->db, &s, &by, id);
}

static struct json_object *
group_row_json(const struct ctx *c, const struct db_list *l, size_t i)
{
	const struct db_group *g = &l->groups[i];
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", g->id);
	field_json(c->a, o, group_field_table, GROUP_NFIELDS, &g->f, 0);
	jset_int(o, "members", g->members);
	jset_str(o, "created_at", g->created_at);
	return o;
}

static const char *
group_name(const void *old)
{
	return ((const struct group_old *)old)->g.f.name;
}

static const char *
group_delete_note(struct ctx *c, const void *old)
{
	const struct group_old *g = old;
	if (!g->h.nlinks)
		return NULL;
	return arena_printf(c->a, "Its %zu member%s will lose the group's permissions.",
			    g->h.nlinks, g->h.nlinks == 1 ? "" : "s");
}

/* Deletes the group (memberships and permissions go with it) with its audit row. */
static int
group_remove(struct ctx *c, const void *old)
{
	const struct group_old *g = old;
	struct db_actor by = resource_actor(c);
	return db_group_remove(c->db, g->h.id, g->g.f.name, &by);
}

/* The API's answer about a group: its times. */
static void
group_api_json(struct ctx *c, const void *old, struct json_object *o)
{
	const struct group_old *g = old;
	jset_str(o, "created_at", api_time(c->a, g->g.created_at));
	jset_str(o, "updated_at", api_time(c->a, g->g.updated_at));
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
    .list = DBL_GROUPS,
    .links = DBU_GROUP_MEMBERS,
    .perms = DBU_GROUP_PERMS,
    .choices = DBU_USERS_ALL,
    .links_field = "user_ids",
    .links_message = "Choose members from the list.",
    .links_audit = "members",
    .fields = group_field_table,
    .nfields = GROUP_NFIELDS,
    .old_fields = offsetof(struct group_old, g.f),
    .in_fields = offsetof(struct group_input, f),
    .row_json = group_row_json,
    .get = group_get,
    .name = group_name,
    .form_page = group_form_page,
    .validate = group_validate,
    .save = group_save,
    .save_fails = group_save_fails,
    .delete_note = group_delete_note,
    .remove = group_remove,
    .api_json = group_api_json,
};

RESOURCE_HANDLERS(groups, &groups)
