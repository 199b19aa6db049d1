/* Users, groups, memberships and permissions; a user's API tokens and sessions. */
#include <stdio.h>
#include <string.h>

#include "sessions.h"
#include "users.h"

#define USER_COLS "id, username, display_name, email, is_active, is_super_admin, created_at"

static const char SQL_USERS_COUNT[] =
    "SELECT COUNT(*) AS n FROM users"
    " WHERE (? = '' OR username LIKE ? OR display_name LIKE ? OR email LIKE ?)";
static const char SQL_USERS_PAGE[] =
    "SELECT " USER_COLS " FROM users"
    " WHERE (? = '' OR username LIKE ? OR display_name LIKE ? OR email LIKE ?)"
    " ORDER BY username, id LIMIT ? OFFSET ?";
static const char SQL_USER_GET[] = "SELECT " USER_COLS ", updated_at FROM users WHERE id = ?";
static const char SQL_USERS_ALL[] =
    "SELECT id, username, display_name FROM users ORDER BY username, id";
static const char SQL_USER_GROUPS[] =
    "SELECT group_id FROM user_groups WHERE user_id = ? ORDER BY group_id";
static const char SQL_USER_PERMS[] =
    "SELECT permission FROM user_permissions WHERE user_id = ? ORDER BY permission";
static const char SQL_USER_ADD[] =
    "INSERT INTO users (username, display_name, email, password_hash, is_active,"
    " is_super_admin, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())";
/* dcgate-admin create-user (src/admin.c). */
static const char SQL_USER_ADD_CLI[] =
    "INSERT INTO users (username, display_name, email, password_hash, is_super_admin)"
    " VALUES (?, ?, ?, ?, ?)";
static const char SQL_USER_SET[] =
    "UPDATE users SET username = ?, display_name = ?, email = ?,"
    " password_hash = COALESCE(?, password_hash), is_active = ?, is_super_admin = ?,"
    " updated_at = UTC_TIMESTAMP() WHERE id = ?";
static const char SQL_USER_GROUPS_CLEAR[] = "DELETE FROM user_groups WHERE user_id = ?";
static const char SQL_USER_GROUP_ADD[] =
    "INSERT INTO user_groups (user_id, group_id) VALUES (?, ?)";
static const char SQL_USER_PERMS_CLEAR[] = "DELETE FROM user_permissions WHERE user_id = ?";
static const char SQL_USER_PERM_ADD[] =
    "INSERT INTO user_permissions (user_id, permission) VALUES (?, ?)";
static const char SQL_USER_DEL[] = "DELETE FROM users WHERE id = ?";
static const char SQL_SUPERS_LOCK[] =
    "SELECT id FROM users WHERE is_super_admin = 1 AND is_active = 1 FOR UPDATE";
static const char SQL_SUPERS_OTHER[] =
    "SELECT COUNT(*) AS n FROM users WHERE is_super_admin = 1 AND is_active = 1 AND id <> ?";
static const char SQL_USER_HASH[] = "SELECT password_hash FROM users WHERE id = ?";
static const char SQL_USER_SET_HASH[] =
    "UPDATE users SET password_hash = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?";
static const char SQL_USER_SESSIONS_DEL[] =
    "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?";

static const char SQL_GROUPS_COUNT[] =
    "SELECT COUNT(*) AS n FROM `groups` WHERE (? = '' OR name LIKE ? OR description LIKE ?)";
static const char SQL_GROUPS_PAGE[] =
    "SELECT g.id, g.name, g.description, g.created_at,"
    " (SELECT COUNT(*) FROM user_groups ug WHERE ug.group_id = g.id) AS members"
    " FROM `groups` g WHERE (? = '' OR g.name LIKE ? OR g.description LIKE ?)"
    " ORDER BY g.name, g.id LIMIT ? OFFSET ?";
static const char SQL_GROUP_GET[] =
    "SELECT id, name, description, created_at, updated_at FROM `groups` WHERE id = ?";
static const char SQL_GROUPS_ALL[] = "SELECT id, name FROM `groups` ORDER BY name, id";
static const char SQL_GROUP_MEMBERS[] =
    "SELECT user_id FROM user_groups WHERE group_id = ? ORDER BY user_id";
static const char SQL_GROUP_PERMS[] =
    "SELECT permission FROM group_permissions WHERE group_id = ? ORDER BY permission";
static const char SQL_GROUP_ADD[] =
    "INSERT INTO `groups` (name, description, created_at, updated_at)"
    " VALUES (?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())";
static const char SQL_GROUP_SET[] =
    "UPDATE `groups` SET name = ?, description = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?";
static const char SQL_GROUP_MEMBERS_CLEAR[] = "DELETE FROM user_groups WHERE group_id = ?";
static const char SQL_GROUP_PERMS_CLEAR[] = "DELETE FROM group_permissions WHERE group_id = ?";
static const char SQL_GROUP_PERM_ADD[] =
    "INSERT INTO group_permissions (group_id, permission) VALUES (?, ?)";
static const char SQL_GROUP_DEL[] = "DELETE FROM `groups` WHERE id = ?";

static const char SQL_TOKENS_OF[] =
    "SELECT id, name, created_at, last_used_at, expires_at,"
    " (expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP()) AS expired"
    " FROM api_tokens WHERE user_id = ?"
    " ORDER BY created_at DESC, id DESC";
static const char SQL_TOKEN_DEL[] = "DELETE FROM api_tokens WHERE id = ? AND user_id = ?";

/* "%q%" with LIKE's wildcards and escape character in q escaped. */
static const char *
like_pattern(struct arena *a, const char *q)
{
	size_t n = strlen(q);
	char *p = arena_alloc(a, 2 * n + 3);
	if (!p)
		return NULL;
	size_t o = 0;
	p[o++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			p[o++] = '\\';
		p[o++] = q[i];
	}
	p[o++] = '%';
	p[o] = '\0';
	return p;
}

int
db_users_search(struct db *db, struct arena *a, const char *q, long long limit, long long offset,
		struct db_rows *out, long long *total)
{
	const char *like = like_pattern(a, q ? q : "");
	if (!like)
		return DB_ENOMEM;
	q = q ? q : "";
	struct db_rows n;
	int rc = db_query_row(db, a, &n, SQL_USERS_COUNT, "ssss", q, like, like, like);
	if (rc != DB_OK)
		return rc;
	*total = db_get_ll(&n, 0, "n", 0);
	return db_query(db, a, out, SQL_USERS_PAGE, "ssssii", q, like, like, like, limit, offset);
}

int
db_user_get(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL_USER_GET, "i", id);
}

int
db_users_all(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL_USERS_ALL, "");
}

int
db_user_group_ids(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_USER_GROUPS, "i", id);
}

int
db_user_permissions(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_USER_PERMS, "i", id);
}

int
db_user_insert(struct db *db, const struct db_user_fields *f, long long *id)
{
	int rc = db_exec(db, SQL_USER_ADD, "ssssii", f->username, f->display_name, f->email,
			 f->password_hash, (long long)f->is_active, (long long)f->is_super_admin);
	if (rc == DB_OK)
		*id = (long long)db_last_id(db);
	return rc;
}

int
db_user_add_cli(struct db *db, const char *username, const char *display_name, const char *email,
		const char *password_hash, int is_super_admin, long long *id)
{
	int rc = db_exec(db, SQL_USER_ADD_CLI, "ssssi", username, display_name, email,
			 password_hash, (long long)is_super_admin);
	if (rc == DB_OK)
		*id = (long long)db_last_id(db);
	return rc;
}

int
db_user_update(struct db *db, long long id, const struct db_user_fields *f)
{
	return db_exec(db, SQL_USER_SET, "ssssiii", f->username, f->display_name, f->email,
		       f->password_hash, (long long)f->is_active, (long long)f->is_super_admin, id);
}

/* Replaces the (owner, id) rows of a link table: clear, then one insert per id. */
static int
set_links(struct db *db, const char *clear, const char *add, long long owner, const long long *ids,
	  size_t n)
{
	int rc = db_exec(db, clear, "i", owner);
	for (size_t i = 0; rc == DB_OK && i < n; i++)
		rc = db_exec(db, add, "ii", owner, ids[i]);
	return rc;
}

/* Same for (owner, permission name) rows. */
static int
set_names(struct db *db, const char *clear, const char *add, long long owner,
	  const char *const *names, size_t n)
{
	int rc = db_exec(db, clear, "i", owner);
	for (size_t i = 0; rc == DB_OK && i < n; i++)
		rc = db_exec(db, add, "is", owner, names[i]);
	return rc;
}

int
db_user_set_groups(struct db *db, long long id, const long long *group_ids, size_t n)
{
	return set_links(db, SQL_USER_GROUPS_CLEAR, SQL_USER_GROUP_ADD, id, group_ids, n);
}

int
db_user_set_permissions(struct db *db, long long id, const char *const *names, size_t n)
{
	return set_names(db, SQL_USER_PERMS_CLEAR, SQL_USER_PERM_ADD, id, names, n);
}

int
db_user_delete(struct db *db, long long id)
{
	int rc = db_exec(db, SQL_USER_DEL, "i", id);
	if (rc == DB_OK && db_affected(db) == 0)
		return DB_ENOTFOUND;
	return rc;
}

int
db_super_admins_lock(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL_SUPERS_LOCK, "");
}

int
db_super_admins_other(struct db *db, struct arena *a, long long id, long long *count)
{
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL_SUPERS_OTHER, "i", id);
	if (rc == DB_OK)
		*count = db_get_ll(&r, 0, "n", 0);
	return rc;
}

int
db_user_password_hash(struct db *db, struct arena *a, long long id, const char **hash)
{
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL_USER_HASH, "i", id);
	if (rc == DB_OK)
		*hash = db_get(&r, 0, "password_hash");
	return rc;
}

int
db_user_set_password(struct db *db, long long id, const char *hash)
{
	return db_exec(db, SQL_USER_SET_HASH, "si", hash, id);
}

int
db_user_sessions_delete(struct db *db, long long id, const char *except_hash)
{
	return db_exec(db, SQL_USER_SESSIONS_DEL, "is", id, except_hash ? except_hash : "");
}

int
db_groups_search(struct db *db, struct arena *a, const char *q, long long limit, long long offset,
		 struct db_rows *out, long long *total)
{
	const char *like = like_pattern(a, q ? q : "");
	if (!like)
		return DB_ENOMEM;
	q = q ? q : "";
	struct db_rows n;
	int rc = db_query_row(db, a, &n, SQL_GROUPS_COUNT, "sss", q, like, like);
	if (rc != DB_OK)
		return rc;
	*total = db_get_ll(&n, 0, "n", 0);
	return db_query(db, a, out, SQL_GROUPS_PAGE, "sssii", q, like, like, limit, offset);
}

int
db_group_get(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL_GROUP_GET, "i", id);
}

int
db_groups_all(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL_GROUPS_ALL, "");
}

int
db_group_member_ids(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_GROUP_MEMBERS, "i", id);
}

int
db_group_permissions(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_GROUP_PERMS, "i", id);
}

int
db_group_insert(struct db *db, const char *name, const char *description, long long *id)
{
	int rc = db_exec(db, SQL_GROUP_ADD, "ss", name, description);
	if (rc == DB_OK)
		*id = (long long)db_last_id(db);
	return rc;
}

int
db_group_update(struct db *db, long long id, const char *name, const char *description)
{
	return db_exec(db, SQL_GROUP_SET, "ssi", name, description, id);
}

/* Members are (user, group) rows: the same link table seen from the group's side. */
int
db_group_set_members(struct db *db, long long id, const long long *user_ids, size_t n)
{
	int rc = db_exec(db, SQL_GROUP_MEMBERS_CLEAR, "i", id);
	for (size_t i = 0; rc == DB_OK && i < n; i++)
		rc = db_exec(db, SQL_USER_GROUP_ADD, "ii", user_ids[i], id);
	return rc;
}

int
db_group_set_permissions(struct db *db, long long id, const char *const *names, size_t n)
{
	return set_names(db, SQL_GROUP_PERMS_CLEAR, SQL_GROUP_PERM_ADD, id, names, n);
}

int
db_group_delete(struct db *db, long long id)
{
	int rc = db_exec(db, SQL_GROUP_DEL, "i", id);
	if (rc == DB_OK && db_affected(db) == 0)
		return DB_ENOTFOUND;
	return rc;
}

int
db_tokens_of_user(struct db *db, struct arena *a, long long user_id, struct db_rows *out)
{
	return db_query(db, a, out, SQL_TOKENS_OF, "i", user_id);
}

int
db_token_delete(struct db *db, long long user_id, long long id)
{
	int rc = db_exec(db, SQL_TOKEN_DEL, "ii", id, user_id);
	if (rc == DB_OK && db_affected(db) == 0)
		return DB_ENOTFOUND;
	return rc;
}

/* ---- whole saves: one transaction each, with the audit row ---- */

/* The audit row of a change to object (type, id) made by by. */
static int
audit(struct db *db, const struct db_actor *by, const char *action, const char *type, long long id,
      const char *details)
{
	char uid[24], oid[24];
	snprintf(uid, sizeof(uid), "%lld", by->id);
	snprintf(oid, sizeof(oid), "%lld", id);
	return db_audit_add(db, uid, by->username ? by->username : "", action, type, oid,
			    details ? details : "", by->remote_addr ? by->remote_addr : "");
}

/* One transaction around tx(db, arg), committed only when every part succeeded, run again
 * when the server rolled it back whole as a deadlock victim. */
static int
transaction(struct db *db, int (*tx)(struct db *, void *), void *arg)
{
	int rc, tries = 0;
	do {
		rc = db_begin(db);
		if (rc != DB_OK)
			continue;
		rc = tx(db, arg);
		if (rc == DB_OK)
			rc = db_commit(db);
		else
			db_rollback(db);
	} while (rc == DB_ERETRY && ++tries < DB_RETRIES);
	return rc;
}

/* Inside a transaction: DB_USER_ELAST unless an active Super Admin other than id is left.
 * The rows are locked, so two concurrent demotions cannot both pass. */
static int
super_admin_left(struct db *db, struct arena *a, long long id)
{
	struct db_rows r;
	int rc = db_super_admins_lock(db, a, &r);
	if (rc != DB_OK)
		return rc;
	for (size_t i = 0; i < r.nrows; i++)
		if (db_get_ll(&r, i, "id", 0) != id)
			return DB_OK;
	return DB_USER_ELAST;
}

struct user_tx {
	struct arena *a;
	const struct db_user_save *s;
	const struct db_actor *by;
	long long id;
	const char *name, *hash;
	int keep_super;
};

static int
user_save_tx(struct db *db, void *arg)
{
	struct user_tx *t = arg;
	const struct db_user_save *s = t->s;
	int rc = DB_OK;
	t->id = s->id;
	if (s->id && s->keep_super)
		rc = super_admin_left(db, t->a, s->id);
	if (rc == DB_OK)
		rc = s->id ? db_user_update(db, s->id, &s->f) : db_user_insert(db, &s->f, &t->id);
	if (rc == DB_OK)
		rc = db_user_set_groups(db, t->id, s->group_ids, s->ngroups);
	if (rc == DB_OK)
		rc = db_user_set_permissions(db, t->id, s->perms, s->nperms);
	if (rc == DB_OK && s->id && s->signout_except)
		rc = db_user_sessions_delete(db, t->id, s->signout_except);
	if (rc == DB_OK)
		rc = audit(db, t->by, s->id ? "user.update" : "user.create", "user", t->id,
			   s->changed);
	return rc;
}

int
db_user_save(struct db *db, struct arena *a, const struct db_user_save *s,
	     const struct db_actor *by, long long *id)
{
	struct user_tx t = {.a = a, .s = s, .by = by};
	int rc = transaction(db, user_save_tx, &t);
	*id = t.id;
	return rc;
}

static int
user_remove_tx(struct db *db, void *arg)
{
	struct user_tx *t = arg;
	int rc = t->keep_super ? super_admin_left(db, t->a, t->id) : DB_OK;
	if (rc == DB_OK)
		rc = db_user_delete(db, t->id);
	if (rc == DB_OK)
		rc = audit(db, t->by, "user.delete", "user", t->id, t->name);
	return rc;
}

int
db_user_remove(struct db *db, struct arena *a, long long id, const char *username, int keep_super,
	       const struct db_actor *by)
{
	struct user_tx t = {.a = a, .by = by, .id = id, .name = username, .keep_super = keep_super};
	return transaction(db, user_remove_tx, &t);
}

static int
password_tx(struct db *db, void *arg)
{
	struct user_tx *t = arg;
	int rc = db_user_set_password(db, t->id, t->hash);
	if (rc == DB_OK)
		rc = db_user_sessions_delete(db, t->id, t->name);
	if (rc == DB_OK)
		rc = audit(db, t->by, "user.password", "user", t->id, "password");
	return rc;
}

int
db_user_password_change(struct db *db, long long id, const char *hash, const char *except_hash,
			const struct db_actor *by)
{
	struct user_tx t = {.by = by, .id = id, .hash = hash, .name = except_hash};
	return transaction(db, password_tx, &t);
}

struct group_tx {
	const struct db_group_save *s;
	const struct db_actor *by;
	long long id;
	const char *name;
};

static int
group_save_tx(struct db *db, void *arg)
{
	struct group_tx *t = arg;
	const struct db_group_save *s = t->s;
	t->id = s->id;
	int rc = s->id ? db_group_update(db, s->id, s->name, s->description)
		       : db_group_insert(db, s->name, s->description, &t->id);
	if (rc == DB_OK)
		rc = db_group_set_members(db, t->id, s->user_ids, s->nusers);
	if (rc == DB_OK)
		rc = db_group_set_permissions(db, t->id, s->perms, s->nperms);
	if (rc == DB_OK)
		rc = audit(db, t->by, s->id ? "group.update" : "group.create", "group", t->id,
			   s->changed);
	return rc;
}

int
db_group_save(struct db *db, const struct db_group_save *s, const struct db_actor *by,
	      long long *id)
{
	struct group_tx t = {.s = s, .by = by};
	int rc = transaction(db, group_save_tx, &t);
	*id = t.id;
	return rc;
}

static int
group_remove_tx(struct db *db, void *arg)
{
	struct group_tx *t = arg;
	int rc = db_group_delete(db, t->id);
	if (rc == DB_OK)
		rc = audit(db, t->by, "group.delete", "group", t->id, t->name);
	return rc;
}

int
db_group_remove(struct db *db, long long id, const char *name, const struct db_actor *by)
{
	struct group_tx t = {.by = by, .id = id, .name = name};
	return transaction(db, group_remove_tx, &t);
}
