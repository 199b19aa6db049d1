/* GET /healthz: for load balancers and monitors. 200 only when the database answers a real
 * query (the change counters) within a second, on a connection of its own (db_health), and
 * on a Galera node the node is synced: a node cut off from the cluster (non-Primary) still
 * answers SELECT 1 but refuses every table with error 1047. */
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
	jset_bool(dbo, "query", h.query);
	jset_bool(dbo, "synced", h.synced);
	jset_bool(dbo, "galera", h.galera);
	if (h.galera)
		jset_str(dbo, "wsrep_cluster_status", h.cluster_status);
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
