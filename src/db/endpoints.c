/* Endpoints of a connector with their header and query parameter rows (saved together in
 * one transaction that also moves the connector's version on), and the execution log. */
#include <string.h>

#include "endpoints.h"

const char *const endpoint_method_names[EP_METHOD__MAX] = {
    "GET", "POST", "PUT", "PATCH", "DELETE",
};

static const char SQL_EP_LIST[] =
    "SELECT id, purpose, description, method, url, timeout FROM endpoints"
    " WHERE connector_id = ? ORDER BY id";
static const char SQL_EP_GET[] =
    "SELECT id, connector_id, purpose, description, method, url, timeout, body, sample_data,"
    " created_at, updated_at FROM endpoints WHERE id = ? AND connector_id = ?";
static const char SQL_EP_LOCK[] =
    "SELECT id FROM endpoints WHERE id = ? AND connector_id = ? FOR UPDATE";
static const char SQL_EP_HEADERS[] =
    "SELECT name, value, description, required FROM endpoint_headers"
    " WHERE endpoint_id = ? ORDER BY position, id";
static const char SQL_EP_PARAMS[] = "SELECT name, value, required FROM endpoint_params"
				    " WHERE endpoint_id = ? ORDER BY position, id";
static const char SQL_EP_ADD[] =
    "INSERT INTO endpoints (connector_id, purpose, description, method, url, timeout, body,"
    " sample_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_EP_SET[] =
    "UPDATE endpoints SET purpose = ?, description = ?, method = ?, url = ?, timeout = ?,"
    " body = ?, sample_data = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ? AND connector_id = ?";
static const char SQL_EP_DEL[] = "DELETE FROM endpoints WHERE id = ? AND connector_id = ?";
static const char SQL_EH_CLEAR[] = "DELETE FROM endpoint_headers WHERE endpoint_id = ?";
static const char SQL_EP_PARAMS_CLEAR[] = "DELETE FROM endpoint_params WHERE endpoint_id = ?";
static const char SQL_EH_ADD[] =
    "INSERT INTO endpoint_headers (endpoint_id, position, name, value, description, required)"
    " VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_EPP_ADD[] =
    "INSERT INTO endpoint_params (endpoint_id, position, name, value, required)"
    " VALUES (?, ?, ?, ?, ?)";
static const char SQL_EXEC_LOG[] =
    "INSERT INTO execution_logs (connector_id, endpoint_id, user_id, token_id, kind, method,"
    " url, status, duration_us, size, error) VALUES (NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0),"
    " NULLIF(?, 0), ?, ?, LEFT(?, 4096), ?, ?, ?, LEFT(?, 1024))";

enum endpoint_method
endpoint_method_parse(const char *s)
{
	for (int i = 0; s && i < EP_METHOD__MAX; i++)
		if (strcmp(s, endpoint_method_names[i]) == 0)
			return (enum endpoint_method)i;
	return EP_METHOD__MAX;
}

int
db_endpoint_list(struct db *db, struct arena *a, long long connector_id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_EP_LIST, "i", connector_id);
}

int
db_endpoint_get(struct db *db, struct arena *a, long long connector_id, long long id,
		struct db_rows *out)
{
	return db_query_row(db, a, out, SQL_EP_GET, "ii", id, connector_id);
}

int
db_endpoint_headers(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_EP_HEADERS, "i", id);
}

int
db_endpoint_params(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_EP_PARAMS, "i", id);
}

/* Replaces the endpoint's rows; the caller owns the transaction. */
static int
endpoint_rows_save(struct db *db, long long id, const struct endpoint_input *in)
{
	int rc = db_exec(db, SQL_EH_CLEAR, "i", id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_PARAMS_CLEAR, "i", id);
	for (size_t i = 0; rc == DB_OK && i < in->nheaders; i++) {
		const struct endpoint_row *r = &in->headers[i];
		rc = db_exec(db, SQL_EH_ADD, "iisssi", id, (long long)i, r->key, r->value,
			     r->description ? r->description : "", (long long)(r->required != 0));
	}
	for (size_t i = 0; rc == DB_OK && i < in->nparams; i++) {
		const struct endpoint_row *r = &in->params[i];
		rc = db_exec(db, SQL_EPP_ADD, "iissi", id, (long long)i, r->key, r->value,
			     (long long)(r->required != 0));
	}
	return rc;
}

/* Commits when rc is DB_OK, else rolls back and keeps rc. */
static int
endpoint_finish(struct db *db, int rc)
{
	if (rc == DB_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

static int
db_endpoint_create_once(struct db *db, long long connector_id, const struct endpoint_input *in,
			long long user_id, long long *id)
{
	int rc = db_begin(db);
	if (rc != DB_OK)
		return rc;
	rc = db_connector_touch(db, connector_id, user_id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_ADD, "issssiss", connector_id, in->purpose, in->description,
			     endpoint_method_names[in->method], in->url, (long long)in->timeout,
			     in->body, in->sample_data);
	if (rc == DB_OK) {
		*id = (long long)db_last_id(db);
		rc = endpoint_rows_save(db, *id, in);
	}
	return endpoint_finish(db, rc);
}

/* A deadlock victim's transaction was rolled back whole: run it again. */
int
db_endpoint_create(struct db *db, long long connector_id, const struct endpoint_input *in,
		   long long user_id, long long *id)
{
	int rc, tries = 0;
	do
		rc = db_endpoint_create_once(db, connector_id, in, user_id, id);
	while (rc == DB_ERETRY && ++tries < DB_RETRIES);
	return rc;
}

/* Locks the endpoint row for this transaction; DB_ENOTFOUND when it is not there. */
static int
endpoint_lock(struct db *db, long long connector_id, long long id)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 512);
	int rc = db_query_row(db, &a, &r, SQL_EP_LOCK, "ii", id, connector_id);
	arena_free(&a);
	return rc;
}

static int
db_endpoint_update_once(struct db *db, long long connector_id, long long id,
			const struct endpoint_input *in, long long user_id)
{
	int rc = db_begin(db);
	if (rc != DB_OK)
		return rc;
	rc = db_connector_touch(db, connector_id, user_id);
	if (rc == DB_OK)
		rc = endpoint_lock(db, connector_id, id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_SET, "ssssissii", in->purpose, in->description,
			     endpoint_method_names[in->method], in->url, (long long)in->timeout,
			     in->body, in->sample_data, id, connector_id);
	if (rc == DB_OK)
		rc = endpoint_rows_save(db, id, in);
	return endpoint_finish(db, rc);
}

/* A deadlock victim's transaction was rolled back whole: run it again. */
int
db_endpoint_update(struct db *db, long long connector_id, long long id,
		   const struct endpoint_input *in, long long user_id)
{
	int rc, tries = 0;
	do
		rc = db_endpoint_update_once(db, connector_id, id, in, user_id);
	while (rc == DB_ERETRY && ++tries < DB_RETRIES);
	return rc;
}

static int
db_endpoint_delete_once(struct db *db, long long connector_id, long long id, long long user_id)
{
	int rc = db_begin(db);
	if (rc != DB_OK)
		return rc;
	rc = db_connector_touch(db, connector_id, user_id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL_EP_DEL, "ii", id, connector_id);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_ENOTFOUND;
	return endpoint_finish(db, rc);
}

/* A deadlock victim's transaction was rolled back whole: run it again. */
int
db_endpoint_delete(struct db *db, long long connector_id, long long id, long long user_id)
{
	int rc, tries = 0;
	do
		rc = db_endpoint_delete_once(db, connector_id, id, user_id);
	while (rc == DB_ERETRY && ++tries < DB_RETRIES);
	return rc;
}

int
db_execution_log(struct db *db, const struct db_execution *e)
{
	return db_exec(db, SQL_EXEC_LOG, "iiiisssiiis", e->connector_id, e->endpoint_id, e->user_id,
		       e->token_id, e->kind, e->method, e->url ? e->url : "", (long long)e->status,
		       e->duration_us, e->size, e->error ? e->error : "");
}
