/* JSON API: who am I, and new API tokens. */
#include "../db/users.h"
#include "api.h"
#include "resource.h"

int
web_api_users_me(struct ctx *c)
{
	const struct user *u = c->user;
	/* From the signed-in user (no statement more): the members marked FIELD_EXPORT. */
	struct user_fields me = {.username = u->username,
				 .display_name = u->display_name,
				 .email = u->email,
				 .is_active = 1,
				 .is_super_admin = u->is_super_admin};
	struct json_object *o = json_object_new_object(), *perms = json_object_new_array();
	for (int p = 0; p < PERM__MAX; p++)
		if (perm_has(u, (enum perm)p))
			json_object_array_add(perms, json_object_new_string(perm_table[p].name));
	jset_int(o, "id", u->id);
	field_json(c->a, o, user_field_table, user_nfields, &me, 1);
	jset(o, "permissions", perms);
	return web_json(c, 200, o);
}

/* A new API token of the token user, as the Profile page makes one: {"name",
 * "expires_in_days"} -> 201 {"id", "name", "token", "expires_at"} (token shown this once). */
static const struct api_field token_fields[] = {
    {"name", "name", API_TEXT},
    {"expires_in_days", "expires_in_days", API_TEXT},
};

int
web_api_token_create(struct ctx *c)
{
	struct json_object *obj = NULL;
	struct form f;
	int rc = api_body(c, &obj);
	if (rc)
		return rc;
	form_init(&f, c);
	if ((rc = api_form(&f, obj, token_fields, sizeof(token_fields) / sizeof(token_fields[0]))))
		return rc;
	/* A token that expires makes none that outlives it: a leaked short-lived token cannot
	 * mint a lasting one. */
	long long ttl = c->user->token_ttl;
	if (ttl >= 0) {
		const char *v = form_get(&f, "expires_in_days");
		long days = 0, most = (long)(ttl / 86400);
		if (most < 1 || !v || str_to_long(v, 1, most, &days) != CORE_OK)
			form_error(&f, "expires_in_days",
				   most > 0 ? arena_printf(c->a,
							   "This API token expires in %ld days: "
							   "a token it makes must expire within "
							   "as many (expires_in_days).",
							   most)
					    : "This API token expires within a day: it cannot make "
					      "another one.");
	}
	char *plain = NULL;
	long long id = 0;
	rc = f.nerrors ? 422 : token_submit(&f, &plain, &id);
	if (rc)
		return web_fail_form(&f, rc, NULL);
	struct db_tokens t;
	if ((rc = db_tokens_of_user(c->db, c->a, c->user->id, &t)) != DB_OK)
		return rc;
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", id);
	for (const struct db_token *k = t.v; k < t.v + t.n; k++) {
		if (k->id != id)
			continue;
		jset_str(o, "name", k->name);
		jset(o, "expires_at", k->expires_at ? jstr(k->expires_at) : NULL);
	}
	jset_str(o, "token", plain);
	return web_json(c, 201, o);
}
