/* GET /healthz: for load balancers and monitors. */
#include "web.h"

int
web_health(struct ctx *c)
{
	struct db_health h;
	int up = db_health(&c->app->cfg, 1, &h) == DB_OK;
	struct json_object *o = json_object_new_object();
	jset_str(o, "status", up ? "ok" : "unavailable");
	struct json_object *dbo = json_object_new_object();
	jset_bool(dbo, "reachable", h.reachable);
	if (h.galera)
		jset_bool(dbo, "synced", h.synced);
	if (!up && h.error[0])
		jset_str(dbo, "error", h.error);
	jset(o, "database", dbo);
	jset_str(o, "version", DCGATE_VERSION);
	return web_json(c, up ? 200 : 503, o);
}

int
web_home(struct ctx *c)
{
	const char *to = perm_has(c->user, PERM_VIEW_CONNECTORS) ? "/data-connectors" : "/profile";
	http_redirect(c->resp, 302, to);
	return 302;
}
