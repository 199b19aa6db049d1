/* JSON API: who am I. */
#include "web.h"

int
web_api_users_me(struct ctx *c)
{
	const struct user *u = c->user;
	struct json_object *o = json_object_new_object(), *perms = json_object_new_array();
	for (int p = 0; p < PERM__MAX; p++)
		if (perm_has(u, (enum perm)p))
			json_object_array_add(perms, json_object_new_string(perm_table[p].name));
	jset_int(o, "id", u->id);
	jset_str(o, "username", u->username);
	jset_str(o, "display_name", u->display_name ? u->display_name : "");
	jset_str(o, "email", u->email ? u->email : "");
	jset_bool(o, "is_super_admin", u->is_super_admin);
	jset(o, "permissions", perms);
	return web_json(c, 200, o);
}
