/* GET /healthz: for load balancers and monitors. 200 only when the database answers a real
 * query (the change counters, an InnoDB table) and, on a Galera node, the node is synced
 * with the primary component: a node cut off from the cluster (non-Primary) still accepts
 * connections and answers SELECT 1, but refuses every table with error 1047. */
#include <string.h>

#include "web.h"

/* The node's wsrep state; no row at all on a server without Galera (or wsrep_on=OFF). */
static const char SQL_WSREP[] =
    "SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value FROM information_schema.GLOBAL_STATUS"
    " WHERE VARIABLE_NAME IN ('WSREP_READY', 'WSREP_LOCAL_STATE', 'WSREP_LOCAL_STATE_COMMENT',"
    " 'WSREP_CLUSTER_STATUS') AND (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES"
    " WHERE VARIABLE_NAME = 'WSREP_ON') = 'ON'";
static const char SQL_REAL[] = "SELECT COUNT(*) AS n FROM generations";

/* wsrep_local_state 4 is Synced (1 Joining, 2 Donor/Desynced, 3 Joined). */
#define WSREP_SYNCED "4"

static const char *
wsrep_value(const struct db_rows *r, const char *name)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (strcmp(db_get_str(r, i, "name"), name) == 0)
			return db_get_str(r, i, "value");
	return "";
}

int
web_health(struct ctx *c)
{
	int up = db_ensure(c->db) == DB_OK, query = 0, galera = 0, synced = 0;
	struct db_rows st = {0}, real;
	int wrc = up ? db_query(c->db, c->a, &st, SQL_WSREP, "") : DB_EDOWN;
	if (wrc == DB_OK && st.nrows > 0) {
		galera = 1;
		synced = strcmp(wsrep_value(&st, "WSREP_READY"), "ON") == 0 &&
			 strcmp(wsrep_value(&st, "WSREP_LOCAL_STATE"), WSREP_SYNCED) == 0;
	} else {
		synced = up; /* one server: nothing to be synced with */
	}
	if (up) {
		int rc = db_query_row(c->db, c->a, &real, SQL_REAL, "");
		query = rc == DB_OK;
		if (rc == DB_EDOWN && wrc != DB_OK)
			up = 0;
	}
	int ok = up && query && synced;
	struct json_object *o = json_object_new_object();
	jset_str(o, "status", ok ? "ok" : "unavailable");
	struct json_object *dbo = json_object_new_object();
	jset_bool(dbo, "reachable", up);
	jset_bool(dbo, "query", query);
	jset_bool(dbo, "synced", synced);
	jset_bool(dbo, "galera", galera);
	if (galera) {
		jset_str(dbo, "wsrep_local_state_comment",
			 wsrep_value(&st, "WSREP_LOCAL_STATE_COMMENT"));
		jset_str(dbo, "wsrep_cluster_status", wsrep_value(&st, "WSREP_CLUSTER_STATUS"));
	}
	jset(o, "database", dbo);
	jset_str(o, "version", DCGATE_VERSION);
	return web_json(c, ok ? 200 : 503, o);
}

int
web_home(struct ctx *c)
{
	const char *to = perm_has(c->user, PERM_VIEW_CONNECTORS) ? "/data-connectors" : "/profile";
	http_redirect(c->resp, 302, to);
	return 302;
}
