/* A connector's environments and their variables: read for the Environments tab, the run,
 * the API and the export; written in one transaction with the connector's version, its
 * history and the audit row; and the statements of key rotation over their sealed values. */
#include <string.h>

#include "environments.h"
#include "endpoints.h"
#include "versions.h"

#define ENV_COLUMNS                                                                                \
	"SELECT e.id, e.connector_id, e.name, e.seal_key, e.is_default, e.base_url,"               \
	" e.allowed_origins, e.auth_override, e.auth_username, e.auth_password, e.auth_token,"     \
	" e.api_key, e.client_id, e.client_secret, e.token_url, e.token_origin, e.created_at,"     \
	" e.updated_at, e.version,"                                                                \
	" (SELECT COUNT(*) FROM environment_variables v WHERE v.environment_id = e.id) AS nvars,"  \
	" (SELECT COUNT(*) FROM environment_variables v WHERE v.environment_id = e.id"             \
	"  AND v.sealed = 1 AND v.value IS NULL) AS unset"                                         \
	" FROM connector_environments e"

enum stmt {
	S_ENV_LIST,
	S_ENV_GET,
	S_ENV_FIND,
	S_ENV_DEFAULT,
	S_ENV_VARS,
	S_ENV_VARS_CONN,
	S_ENV_INSERT,
	S_ENV_UPDATE,
	S_ENV_LOCK,
	S_ENV_UNDEFAULT,
	S_ENV_DELETE,
	S_ENV_VARS_CLEAR,
	S_ENV_VAR_ADD,
	S_ENV_RESTORE_FIND,
	S_ENV_RESTORE_BY_ID,
	S_ENV_RESTORE_ASIDE,
	S_ENV_RESTORE_SET,
	S_ENV_RESTORE_PLAIN_CLEAR,
	S_ENV_RESTORE_VAR,
	S_ENV_ROT,
	S_ENV_ROT_SET,
	S_ENV_VARS_ROT,
	S_ENV_VAR_ROT_SET,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    [S_ENV_LIST] = ENV_COLUMNS " WHERE e.connector_id = ? ORDER BY e.name",
    [S_ENV_GET] = ENV_COLUMNS " WHERE e.connector_id = ? AND e.id = ?",
    [S_ENV_FIND] = ENV_COLUMNS " WHERE e.connector_id = ? AND e.name = ?",
    [S_ENV_DEFAULT] = ENV_COLUMNS " WHERE e.connector_id = ? AND e.is_default = 1",
    [S_ENV_VARS] = "SELECT name, sealed, value FROM environment_variables WHERE environment_id = ?"
		   " ORDER BY position, name",
    [S_ENV_VARS_CONN] =
	"SELECT v.environment_id, v.name, v.sealed, v.value FROM environment_variables v"
	" JOIN connector_environments e ON e.id = v.environment_id WHERE e.connector_id = ?"
	" ORDER BY v.environment_id, v.position, v.name",
    [S_ENV_INSERT] =
	"INSERT INTO connector_environments (connector_id, name, seal_key, is_default, base_url,"
	" allowed_origins, auth_override, auth_username, auth_password, auth_token, api_key,"
	" client_id, client_secret, token_url, token_origin)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_ENV_UPDATE] =
	"UPDATE connector_environments SET name = ?, is_default = ?, base_url = ?,"
	" allowed_origins = ?, auth_override = ?, auth_username = ?, auth_password = ?,"
	" auth_token = ?, api_key = ?, client_id = ?, client_secret = ?, token_url = ?,"
	" token_origin = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP"
	" WHERE id = ? AND connector_id = ?",
    [S_ENV_LOCK] =
	"SELECT id, version FROM connector_environments WHERE id = ? AND connector_id = ?"
	" FOR UPDATE",
    [S_ENV_UNDEFAULT] =
	"UPDATE connector_environments SET is_default = 0 WHERE connector_id = ? AND id <> ?"
	" AND is_default = 1",
    [S_ENV_DELETE] = "DELETE FROM connector_environments WHERE id = ? AND connector_id = ?",
    [S_ENV_VARS_CLEAR] = "DELETE FROM environment_variables WHERE environment_id = ?",
    [S_ENV_VAR_ADD] =
	"INSERT INTO environment_variables (environment_id, name, sealed, position, value)"
	" VALUES (?, ?, ?, ?, ?)",
    /* A version restore (db_env_restore). */
    [S_ENV_RESTORE_FIND] =
	"SELECT id FROM connector_environments WHERE connector_id = ? AND name = ? FOR UPDATE",
    [S_ENV_RESTORE_BY_ID] =
	"SELECT id FROM connector_environments WHERE connector_id = ? AND id = ? FOR UPDATE",
    /* Out of the way of the names coming back ('~' is no name's: they may swap). */
    [S_ENV_RESTORE_ASIDE] =
	"UPDATE connector_environments SET name = CONCAT('~restore ', id) WHERE id = ?",
    [S_ENV_RESTORE_SET] =
	"UPDATE connector_environments SET name = ?, is_default = ?, base_url = ?,"
	" auth_override = ?,"
	" auth_username = ?, client_id = ?, token_url = ?, version = version + 1,"
	" updated_at = CURRENT_TIMESTAMP WHERE id = ?",
    [S_ENV_RESTORE_PLAIN_CLEAR] =
	"DELETE FROM environment_variables WHERE environment_id = ? AND sealed = 0",
    /* A sealed variable there already keeps its value (and a plain one of its name stays out). */
    [S_ENV_RESTORE_VAR] =
	"INSERT INTO environment_variables (environment_id, name, sealed, position, value)"
	" VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE position = VALUES(position)",
    [S_ENV_ROT] =
	"SELECT id, connector_id, seal_key, auth_password, auth_token, api_key, client_secret"
	" FROM connector_environments WHERE auth_password IS NOT NULL OR auth_token IS NOT NULL"
	" OR api_key IS NOT NULL OR client_secret IS NOT NULL FOR UPDATE",
    [S_ENV_ROT_SET] =
	"UPDATE connector_environments SET auth_password = ?, auth_token = ?, api_key = ?,"
	" client_secret = ? WHERE id = ?",
    [S_ENV_VARS_ROT] =
	"SELECT v.environment_id, e.connector_id, e.seal_key, v.name, v.value"
	" FROM environment_variables v JOIN connector_environments e ON e.id = v.environment_id"
	" WHERE v.sealed = 1 AND v.value IS NOT NULL FOR UPDATE",
    [S_ENV_VAR_ROT_SET] =
	"UPDATE environment_variables SET value = ? WHERE environment_id = ? AND name = ?",
};

/* Row i of the ENV_COLUMNS r as a struct. */
static void
env_of(const struct db_rows *r, size_t i, struct db_environment *e)
{
	e->id = db_get_ll(r, i, "id", 0);
	e->connector_id = db_get_ll(r, i, "connector_id", 0);
	e->name = db_get_str(r, i, "name");
	e->seal_key = db_get_str(r, i, "seal_key");
	e->is_default = db_get_ll(r, i, "is_default", 0) != 0;
	e->base_url = db_get_str(r, i, "base_url");
	e->allowed_origins = db_get_str(r, i, "allowed_origins");
	e->auth_override = db_get_ll(r, i, "auth_override", 0) != 0;
	e->username = db_get_str(r, i, "auth_username");
	e->password = db_get(r, i, "auth_password");
	e->token = db_get(r, i, "auth_token");
	e->api_key = db_get(r, i, "api_key");
	e->client_id = db_get_str(r, i, "client_id");
	e->client_secret = db_get(r, i, "client_secret");
	e->token_url = db_get_str(r, i, "token_url");
	e->token_origin = db_get_str(r, i, "token_origin");
	e->created_at = db_get_str(r, i, "created_at");
	e->updated_at = db_get_str(r, i, "updated_at");
	e->version = db_get_ll(r, i, "version", 1);
	e->nvars = db_get_ll(r, i, "nvars", 0);
	e->unset = db_get_ll(r, i, "unset", 0);
}

/* The rows of r as environments in a. */
static int
envs_of(struct arena *a, int rc, const struct db_rows *r, struct db_environment **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (rc != DB_OK)
		return rc;
	if (!(*out = arena_alloc(a, (r->nrows + 1) * sizeof(**out))))
		return DB_ENOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		env_of(r, i, &(*out)[i]);
	*n = r->nrows;
	return DB_OK;
}

/* The rows of r (name, sealed, value[, environment_id]) as variables in a. */
static int
env_vars_of(struct arena *a, int rc, const struct db_rows *r, struct db_env_var **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (rc != DB_OK)
		return rc;
	if (!(*out = arena_alloc(a, (r->nrows + 1) * sizeof(**out))))
		return DB_ENOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		(*out)[i] = (struct db_env_var){
		    db_get_str(r, i, "name"), db_get_ll(r, i, "sealed", 0) != 0,
		    db_get(r, i, "value"), db_get_ll(r, i, "environment_id", 0)};
	*n = r->nrows;
	return DB_OK;
}

int
db_env_list(struct db *db, struct arena *a, long long connector_id, struct db_environment **out,
	    size_t *n)
{
	struct db_rows r;
	return envs_of(a, db_query(db, a, &r, SQL[S_ENV_LIST], "i", connector_id), &r, out, n);
}

int
db_env_get(struct db *db, struct arena *a, long long connector_id, long long id,
	   struct db_environment *out)
{
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL[S_ENV_GET], "ii", connector_id, id);
	memset(out, 0, sizeof(*out));
	if (rc == DB_OK)
		env_of(&r, 0, out);
	return rc;
}

/* ---- db_env_find_cached: one read-through query (core.h) ---- */

#define ENV_CACHE_ENTRIES 4096
#define ENV_CACHE_BYTES	  (4 * 1024 * 1024)

struct env_arg {
	struct db *db;
	struct arena *a;
	long long cid;
	const char *name;
	struct db_rows *out;
};

/* None found is kept too (no rows): most connectors have no environment. */
static int
env_fill(void *arg, struct buf *b)
{
	struct env_arg *x = arg;
	int rc = x->name && *x->name
		     ? db_query(x->db, x->a, x->out, SQL[S_ENV_FIND], "is", x->cid, x->name)
		     : db_query(x->db, x->a, x->out, SQL[S_ENV_DEFAULT], "i", x->cid);
	if (rc == DB_OK && b)
		db_rows_pack(b, x->out);
	return rc;
}

static int
env_use(void *arg, struct arena *a, const void *val, size_t len)
{
	struct env_arg *x = arg;
	struct unpack u = {val, len, 0};
	int rc = db_rows_unpack(a, &u, x->out);
	return rc == DB_OK && u.left == 0 ? DB_OK : DB_EFAIL;
}

static struct cache_query env_query = {.max_entries = ENV_CACHE_ENTRIES,
				       .max_bytes = ENV_CACHE_BYTES,
				       .fill = env_fill,
				       .use = env_use};

int
db_env_find_cached(struct db *db, struct arena *a, const struct db_gens *gens,
		   long long connector_id, const char *name, struct db_rows *out)
{
	struct env_arg x = {db, a, connector_id, name, out};
	const char *key =
	    gens && gens->connectors > 0
		? arena_printf(a, "%lld|%lld|%s", gens->connectors, connector_id, name ? name : "")
		: NULL;
	int rc = cache_through(&env_query, key, a, &x);
	if (rc == DB_OK && out->nrows == 0)
		rc = DB_ENOTFOUND;
	return rc;
}

int
db_env_find(struct db *db, struct arena *a, const struct db_gens *gens, long long connector_id,
	    const char *name, struct db_environment *out)
{
	struct db_rows r;
	int rc = db_env_find_cached(db, a, gens, connector_id, name, &r);
	memset(out, 0, sizeof(*out));
	if (rc == DB_OK)
		env_of(&r, 0, out);
	return rc;
}

int
db_env_vars(struct db *db, struct arena *a, long long environment_id, struct db_env_var **out,
	    size_t *n)
{
	struct db_rows r;
	return env_vars_of(a, db_query(db, a, &r, SQL[S_ENV_VARS], "i", environment_id), &r, out,
			   n);
}

int
db_env_vars_of_connector(struct db *db, struct arena *a, long long connector_id,
			 struct db_env_var **out, size_t *n)
{
	struct db_rows r;
	return env_vars_of(a, db_query(db, a, &r, SQL[S_ENV_VARS_CONN], "i", connector_id), &r, out,
			   n);
}

/* The variables of environment id replaced by f's. */
static int
env_vars_write(struct db *db, long long id, const struct db_env_fields *f)
{
	int rc = db_exec(db, SQL[S_ENV_VARS_CLEAR], "i", id);
	for (size_t i = 0; rc == DB_OK && i < f->nvars; i++)
		rc = db_exec(db, SQL[S_ENV_VAR_ADD], "isiis", id, f->vars[i].name,
			     (long long)(f->vars[i].sealed != 0), (long long)i, f->vars[i].value);
	return rc;
}

static const char *
nz(const char *s)
{
	return s ? s : "";
}

int
db_env_insert(struct db *db, long long connector_id, const struct db_env_fields *f, long long *id)
{
	int rc = DB_OK;
	if (f->is_default)
		rc = db_exec(db, SQL[S_ENV_UNDEFAULT], "ii", connector_id, 0LL);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_ENV_INSERT], "issississssssss", connector_id, f->name,
			     f->seal_key, (long long)(f->is_default != 0), nz(f->base_url),
			     nz(f->allowed_origins), (long long)(f->auth_override != 0),
			     nz(f->username), f->password, f->token, f->api_key, nz(f->client_id),
			     f->client_secret, nz(f->token_url), nz(f->token_origin));
	if (rc == DB_OK) {
		*id = (long long)db_last_id(db);
		rc = env_vars_write(db, *id, f);
	}
	return rc;
}

struct env_save {
	long long connector_id, id, user_id;
	const struct db_env_fields *f;
	const struct db_audit *au;
	long long *out_id;
	int del;
};

/* The connector's version, its history and the audit row: the end of every save. */
static int
env_finish(struct db *db, const struct env_save *s)
{
	int rc = db_connector_touch(db, s->connector_id, s->user_id);
	if (rc == DB_OK)
		rc = db_version_record(db, s->connector_id, s->user_id, VERSION_ENVIRONMENTS, 0);
	return rc == DB_OK ? db_audit_put(db, s->au, s->id) : rc;
}

static int
env_create_tx(struct db *db, void *arg)
{
	struct env_save *s = arg;
	int rc = db_env_insert(db, s->connector_id, s->f, &s->id);
	if (rc == DB_OK)
		*s->out_id = s->id;
	return rc == DB_OK ? env_finish(db, s) : rc;
}

/* Locks the environment of the connector; DB_ENOTFOUND when it is not there, STORE_ESTALE
 * when version (0: any) is not the stored one. */
static int
env_lock(struct db *db, long long connector_id, long long id, long long version)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 512);
	int rc = db_query_row(db, &a, &r, SQL[S_ENV_LOCK], "ii", id, connector_id);
	if (rc == DB_OK && version > 0 && db_get_ll(&r, 0, "version", 0) != version)
		rc = STORE_ESTALE;
	arena_free(&a);
	return rc;
}

static int
env_update_tx(struct db *db, void *arg)
{
	struct env_save *s = arg;
	const struct db_env_fields *f = s->f;
	int rc = env_lock(db, s->connector_id, s->id, f->version);
	if (rc == DB_OK && f->is_default)
		rc = db_exec(db, SQL[S_ENV_UNDEFAULT], "ii", s->connector_id, s->id);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_ENV_UPDATE], "sississssssssii", f->name,
			     (long long)(f->is_default != 0), nz(f->base_url),
			     nz(f->allowed_origins), (long long)(f->auth_override != 0),
			     nz(f->username), f->password, f->token, f->api_key, nz(f->client_id),
			     f->client_secret, nz(f->token_url), nz(f->token_origin), s->id,
			     s->connector_id);
	if (rc == DB_OK)
		rc = env_vars_write(db, s->id, f);
	return rc == DB_OK ? env_finish(db, s) : rc;
}

static int
env_delete_tx(struct db *db, void *arg)
{
	struct env_save *s = arg;
	int rc = env_lock(db, s->connector_id, s->id, 0);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_ENV_DELETE], "ii", s->id, s->connector_id);
	return rc == DB_OK ? env_finish(db, s) : rc;
}

int
db_env_create(struct db *db, long long connector_id, const struct db_env_fields *f,
	      long long user_id, long long *id, const struct db_audit *au)
{
	struct env_save s = {
	    .connector_id = connector_id, .user_id = user_id, .f = f, .au = au, .out_id = id};
	return db_tx(db, env_create_tx, &s);
}

int
db_env_update(struct db *db, long long connector_id, long long id, const struct db_env_fields *f,
	      long long user_id, const struct db_audit *au)
{
	struct env_save s = {
	    .connector_id = connector_id, .id = id, .user_id = user_id, .f = f, .au = au};
	return db_tx(db, env_update_tx, &s);
}

int
db_env_delete(struct db *db, long long connector_id, long long id, long long user_id,
	      const struct db_audit *au)
{
	struct env_save s = {.connector_id = connector_id, .id = id, .user_id = user_id, .au = au};
	return db_tx(db, env_delete_tx, &s);
}

int
db_env_secrets_for_rotation(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL[S_ENV_ROT], "");
}

int
db_env_secrets_reseal(struct db *db, long long id, const char *const vals[DB_ENV_SEALED_COLUMNS])
{
	return db_exec(db, SQL[S_ENV_ROT_SET], "ssssi", vals[0], vals[1], vals[2], vals[3], id);
}

int
db_env_vars_for_rotation(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL[S_ENV_VARS_ROT], "");
}

int
db_env_var_reseal(struct db *db, long long environment_id, const char *name, const char *sealed)
{
	return db_exec(db, SQL[S_ENV_VAR_ROT_SET], "sis", sealed, environment_id, name);
}

/* The id of the connector's environment found by q ("is" with connector_id and key as
 * the second argument's type), 0 when none; FOR UPDATE. */
static int
restore_find(struct db *db, enum stmt q, long long connector_id, const char *name, long long id,
	     long long *out)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 256);
	int rc = name ? db_query(db, &a, &r, SQL[q], "is", connector_id, name)
		      : db_query(db, &a, &r, SQL[q], "ii", connector_id, id);
	*out = rc == DB_OK && r.nrows ? db_get_ll(&r, 0, "id", 0) : 0;
	arena_free(&a);
	return rc;
}

int
db_env_restore(struct db *db, long long connector_id, const struct db_env_fields *envs, size_t n)
{
	int rc = DB_OK, any_default = 0;
	struct arena a;
	arena_init(&a, 256);
	long long *ids = arena_alloc(&a, (n + 1) * sizeof(*ids));
	if (!ids) {
		arena_free(&a);
		return DB_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		any_default |= envs[i].is_default != 0;
	if (any_default)
		rc = db_exec(db, SQL[S_ENV_UNDEFAULT], "ii", connector_id, 0LL);
	/* By id first: the same environment even when renamed since. Each found steps aside
	 * from its name, so that names can come back in any order (a swap too). */
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		ids[i] = 0;
		if (envs[i].restore_id > 0)
			rc = restore_find(db, S_ENV_RESTORE_BY_ID, connector_id, NULL,
					  envs[i].restore_id, &ids[i]);
		if (rc == DB_OK && ids[i])
			rc = db_exec(db, SQL[S_ENV_RESTORE_ASIDE], "i", ids[i]);
	}
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		const struct db_env_fields *f = &envs[i];
		long long id = ids[i];
		if (!id) /* an older snapshot, or gone since: by name */
			rc = restore_find(db, S_ENV_RESTORE_FIND, connector_id, f->name, 0, &id);
		if (rc != DB_OK)
			break;
		if (!id) { /* gone since: made again, every secret to enter */
			rc = db_exec(db, SQL[S_ENV_INSERT], "issississssssss", connector_id,
				     f->name, f->seal_key, (long long)(f->is_default != 0),
				     nz(f->base_url), nz(f->allowed_origins),
				     (long long)(f->auth_override != 0), nz(f->username), NULL,
				     NULL, NULL, nz(f->client_id), NULL, nz(f->token_url), "");
			if (rc == DB_OK)
				id = (long long)db_last_id(db);
		} else {
			rc = db_exec(db, SQL[S_ENV_RESTORE_SET], "sisisssi", f->name,
				     (long long)(f->is_default != 0), nz(f->base_url),
				     (long long)(f->auth_override != 0), nz(f->username),
				     nz(f->client_id), nz(f->token_url), id);
			if (rc == DB_OK)
				rc = db_exec(db, SQL[S_ENV_RESTORE_PLAIN_CLEAR], "i", id);
		}
		if (rc == DB_EDUP) /* the name is another environment's, made since */
			rc = DB_ENV_ENAME;
		for (size_t k = 0; rc == DB_OK && k < f->nvars; k++)
			rc = db_exec(db, SQL[S_ENV_RESTORE_VAR], "isiis", id, f->vars[k].name,
				     (long long)(f->vars[k].sealed != 0), (long long)k,
				     f->vars[k].sealed ? NULL : nz(f->vars[k].value));
	}
	arena_free(&a);
	return rc;
}
