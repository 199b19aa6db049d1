/* Read-only views for users who may view connectors but not edit them (issue 20, item 6):
 * the Authorization tab as a summary — method, token URL, client id, scope and the other
 * plain settings the JSON API already shows them, secrets only as set or not set. */
#include <string.h>

#include "../db/endpoints.h"
#include "form.h"

int
web_authorization_summary(struct ctx *c)
{
	struct db_rows r;
	int rc = db_connector_auth_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	struct json_object *d = json_object_new_object(), *co = json_object_new_object();
	jset_int(co, "id", c->ids[0]);
	jset_str(co, "name", db_get(&r, 0, "name"));
	jset_str(co, "url", base);
	jset_str(co, "authorization_url", arena_printf(c->a, "%s/authorization", base));
	jset_str(co, "endpoints_url", arena_printf(c->a, "%s/endpoints", base));
	jset(d, "connector", co);
	jset_bool(d, "tab_authorization", 1);
	jset_str(d, "title", arena_printf(c->a, "Authorization · %s", db_get(&r, 0, "name")));
	const char *type = db_get_str(&r, 0, "auth_type");
	int k = connector_auth_index(type);
	jset_str(d, "method", k >= 0 ? connector_auth_labels[k] : type);
	jset_bool(d, "verify_ssl", db_get_ll(&r, 0, "verify_ssl", 1) != 0);
	struct json_object *rows = json_object_new_array();
	static const char *const cols[][2] = {
	    {"auth_username", "Username"},
	    {"token_url", "URL Token"},
	    {"client_id", "Client ID"},
	    {"scope", "Scope"},
	    {"api_key_name", "API key name"},
	    {"api_key_in", "API key sent in"},
	    {"allowed_origins", "Allowed origins"},
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(*cols); i++) {
		const char *v = db_get_str(&r, 0, cols[i][0]);
		if (!*v || (!strcmp(cols[i][0], "api_key_in") && strcmp(type, "api_key")))
			continue;
		struct json_object *o = json_object_new_object();
		jset_str(o, "label", cols[i][1]);
		jset_str(o, "value", v);
		json_object_array_add(rows, o);
	}
	static const char *const secrets[][2] = {
	    {"auth_password", "Password"},
	    {"auth_token", "Token"},
	    {"client_secret", "Client Secret"},
	    {"api_key", "API Key"},
	};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++) {
		const char *v = db_get(&r, 0, secrets[i][0]);
		if (!v || !*v)
			continue;
		struct json_object *o = json_object_new_object();
		jset_str(o, "label", secrets[i][1]);
		jset_str(o, "value", "set (hidden)");
		json_object_array_add(rows, o);
	}
	const char *vars = db_get(&r, 0, "variables");
	if (vars && *vars) {
		struct json_object *o = json_object_new_object();
		jset_str(o, "label", "Sealed variables");
		jset_str(o, "value", vars);
		json_object_array_add(rows, o);
	}
	jset(d, "rows", rows);
	return web_render(c, 200, "authorization_summary", d);
}
