/* Read-only views for users who may view connectors but not edit them (issue 20, item 6):
 * the Authorization tab as a summary — method, token URL, client id, scope and the other
 * plain settings the JSON API already shows them, secrets only as set or not set. */
#include <string.h>

#include "../db/endpoints.h"
#include "save.h"

/* A row of the summary. */
static void
summary_row(struct json_object *rows, const char *label, const char *value)
{
	struct json_object *o = json_object_new_object();
	jset_str(o, "label", label);
	jset_str(o, "value", value);
	json_object_array_add(rows, o);
}

int
web_authorization_summary(struct ctx *c)
{
	struct db_auth_fields r;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	struct json_object *d = json_object_new_object();
	jset(d, "connector", connector_tabs_json(c, c->ids[0], r.name));
	jset_bool(d, "tab_authorization", 1);
	jset_str(d, "title", arena_printf(c->a, "Authorization · %s", r.name));
	int k = connector_auth_index(r.auth_type);
	jset_str(d, "method", k >= 0 ? connector_auth_labels[k] : r.auth_type);
	jset_bool(d, "verify_ssl", r.verify_ssl);
	struct json_object *rows = json_object_new_array();
	const char *const cols[][2] = {
	    {r.username, "Username"},
	    {r.token_url, "URL Token"},
	    {r.client_id, "Client ID"},
	    {r.scope, "Scope"},
	    {r.api_key_name, "API key name"},
	    {strcmp(r.auth_type, "api_key") ? "" : r.api_key_in, "API key sent in"},
	    {r.allowed_origins, "Allowed origins"},
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(*cols); i++)
		if (*cols[i][0])
			summary_row(rows, cols[i][1], cols[i][0]);
	for (size_t i = 0; i < auth_nfields; i++)
		if (auth_field_table[i].kind == FIELD_SECRET &&
		    FIELD_TEXT_OF(&r, &auth_field_table[i]))
			summary_row(rows, auth_field_table[i].label, "set (hidden)");
	if (*r.variables)
		summary_row(rows, "Sealed variables", r.variables);
	jset(d, "rows", rows);
	return web_render(c, 200, "authorization_summary", d);
}
