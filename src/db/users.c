/* Users, groups, memberships and permissions; a user's API tokens and sessions. Every
 * statement is one entry of the table below (an enum and its SQL, as kcgi-framework's
 * generated code does); rows come back as the typed structs of users.h. */
#include <stdio.h>
#include <string.h>

#include "sessions.h"
#include "users.h"

enum stmt {
	S_USERS_COUNT,
	S_USERS_PAGE,
	S_USER_GET,
	S_USERS_ALL,
	S_USER_GROUPS,
	S_USER_PERMS,
	S_USER_ADD,
	S_USER_ADD_CLI,
	S_USER_SET,
	S_USER_GROUPS_CLEAR,
	S_USER_GROUP_ADD,
	S_USER_PERMS_CLEAR,
	S_USER_PERM_ADD,
	S_USER_DEL,
	S_SUPERS_LOCK,
	S_SUPERS_OTHER,
	S_USER_HASH,
	S_USER_SET_HASH,
	S_USER_SESSIONS_DEL,
	S_GROUPS_COUNT,
	S_GROUPS_PAGE,
	S_GROUP_GET,
	S_GROUPS_ALL,
	S_GROUP_MEMBERS,
	S_GROUP_PERMS,
	S_GROUP_ADD,
	S_GROUP_SET,
	S_GROUP_MEMBERS_CLEAR,
	S_GROUP_MEMBER_ADD,
	S_GROUP_PERMS_CLEAR,
	S_GROUP_PERM_ADD,
	S_GROUP_DEL,
	S_TOKENS_OF,
	S_TOKEN_DEL,
	S__MAX
};

/* Each field of user_fields.h in a statement: its column in a select (a secret as "set" or
 * ""), its column in an insert, its assignment in an update (a NULL secret keeps the stored
 * hash), its bind type, its argument from a save s, and its value from row i of r. */
#define U_COL(n, k, ...)    " " U_COL_##k(n) ","
#define U_NAME(n, k, ...)   " " U_NAME_##k(n) ","
#define U_VAL(n, ...)	    " ?,"
#define U_SET(n, k, ...)    " " U_SET_##k(n) ","
#define U_TYPE(n, k, ...)   U_T_##k
#define U_ARG(n, k, ...)    , U_A_##k(s, n)
#define U_ROW(n, k, ...)    o->n = U_R_##k(r, i, #n);
#define U_COL_TEXT(n)	    #n
#define U_COL_BOOL(n)	    #n
#define U_COL_SECRET(n)	    "IF(" #n "_hash = '', '', 'set') AS " #n
#define U_NAME_TEXT(n)	    #n
#define U_NAME_BOOL(n)	    #n
#define U_NAME_SECRET(n)    #n "_hash"
#define U_SET_TEXT(n)	    #n " = ?"
#define U_SET_BOOL(n)	    #n " = ?"
#define U_SET_SECRET(n)	    #n "_hash = COALESCE(?, " #n "_hash)"
#define U_T_TEXT	    "s"
#define U_T_BOOL	    "i"
#define U_T_SECRET	    "s"
#define U_A_TEXT(s, n)	    ((s)->f.n ? (s)->f.n : "")
#define U_A_BOOL(s, n)	    ((long long)(s)->f.n)
#define U_A_SECRET(s, n)    ((s)->n##_hash)
#define U_R_TEXT(r, i, n)   db_get_str(r, i, n)
#define U_R_BOOL(r, i, n)   (db_get_ll(r, i, n, 0) != 0)
#define U_R_SECRET(r, i, n) db_get_str(r, i, n)

#define USER_COLS   "id," USER_FIELDS(U_COL) " created_at"
#define USER_FILTER "(? = '' OR username LIKE ? OR display_name LIKE ? OR email LIKE ?)"
#define GROUP_COLS                                                                                 \
	"g.id," GROUP_FIELDS(                                                                      \
	    U_COL) " g.created_at, g.updated_at,"                                                  \
		   " (SELECT COUNT(*) FROM user_groups ug WHERE ug.group_id = g.id) AS members"
#define GROUP_FILTER "(? = '' OR g.name LIKE ? OR g.description LIKE ?)"

static const char *const SQL[S__MAX] = {
    [S_USERS_COUNT] = "SELECT COUNT(*) AS n FROM users WHERE " USER_FILTER,
    [S_USERS_PAGE] = "SELECT " USER_COLS ", updated_at FROM users WHERE " USER_FILTER
		     " ORDER BY username, id LIMIT ? OFFSET ?",
    [S_USER_GET] = "SELECT " USER_COLS ", updated_at FROM users WHERE id = ?",
    [S_USERS_ALL] =
	"SELECT id, username AS label, display_name AS alt FROM users ORDER BY username, id",
    [S_USER_GROUPS] = "SELECT group_id AS id FROM user_groups WHERE user_id = ? ORDER BY group_id",
    [S_USER_PERMS] =
	"SELECT permission AS label FROM user_permissions WHERE user_id = ? ORDER BY permission",
    [S_USER_ADD] = "INSERT INTO users (" USER_FIELDS(
	U_NAME) " created_at, updated_at)"
		" VALUES (" USER_FIELDS(U_VAL) " UTC_TIMESTAMP(), UTC_TIMESTAMP())",
    /* dcgate-admin create-user (src/admin.c). */
    [S_USER_ADD_CLI] =
	"INSERT INTO users (username, display_name, email, password_hash, is_super_admin)"
	" VALUES (?, ?, ?, ?, ?)",
    [S_USER_SET] =
	"UPDATE users SET" USER_FIELDS(U_SET) " updated_at = UTC_TIMESTAMP() WHERE id = ?",
    [S_USER_GROUPS_CLEAR] = "DELETE FROM user_groups WHERE user_id = ?",
    [S_USER_GROUP_ADD] = "INSERT INTO user_groups (user_id, group_id) VALUES (?, ?)",
    [S_USER_PERMS_CLEAR] = "DELETE FROM user_permissions WHERE user_id = ?",
    [S_USER_PERM_ADD] = "INSERT INTO user_permissions (user_id, permission) VALUES (?, ?)",
    [S_USER_DEL] = "DELETE FROM users WHERE id = ?",
    [S_SUPERS_LOCK] = "SELECT id FROM users WHERE is_super_admin = 1 AND is_active = 1 FOR UPDATE",
    [S_SUPERS_OTHER] = "SELECT COUNT(*) AS n FROM users"
		       " WHERE is_super_admin = 1 AND is_active = 1 AND id <> ?",
    [S_USER_HASH] = "SELECT password_hash FROM users WHERE id = ?",
    [S_USER_SET_HASH] =
	"UPDATE users SET password_hash = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?",
    [S_USER_SESSIONS_DEL] = "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
    [S_GROUPS_COUNT] = "SELECT COUNT(*) AS n FROM `groups` g WHERE " GROUP_FILTER,
    [S_GROUPS_PAGE] = "SELECT " GROUP_COLS " FROM `groups` g WHERE " GROUP_FILTER
		      " ORDER BY g.name, g.id LIMIT ? OFFSET ?",
    [S_GROUP_GET] = "SELECT " GROUP_COLS " FROM `groups` g WHERE g.id = ?",
    [S_GROUPS_ALL] = "SELECT id, name AS label FROM `groups` ORDER BY name, id",
    [S_GROUP_MEMBERS] = "SELECT user_id AS id FROM user_groups WHERE group_id = ? ORDER BY user_id",
    [S_GROUP_PERMS] =
	"SELECT permission AS label FROM group_permissions WHERE group_id = ? ORDER BY permission",
    [S_GROUP_ADD] = "INSERT INTO `groups` (" GROUP_FIELDS(
	U_NAME) " created_at, updated_at)"
		" VALUES (" GROUP_FIELDS(U_VAL) " UTC_TIMESTAMP(), UTC_TIMESTAMP())",
    [S_GROUP_SET] =
	"UPDATE `groups` SET" GROUP_FIELDS(U_SET) " updated_at = UTC_TIMESTAMP() WHERE id = ?",
    [S_GROUP_MEMBERS_CLEAR] = "DELETE FROM user_groups WHERE group_id = ?",
    /* The same link table seen from the group's side: (group, user) bound in this order. */
    [S_GROUP_MEMBER_ADD] = "INSERT INTO user_groups (group_id, user_id) VALUES (?, ?)",
    [S_GROUP_PERMS_CLEAR] = "DELETE FROM group_permissions WHERE group_id = ?",
    [S_GROUP_PERM_ADD] = "INSERT INTO group_permissions (group_id, permission) VALUES (?, ?)",
    [S_GROUP_DEL] = "DELETE FROM `groups` WHERE id = ?",
    [S_TOKENS_OF] = "SELECT id, name, created_at, last_used_at, expires_at,"
		    " (expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP()) AS expired"
		    " FROM api_tokens WHERE user_id = ?"
		    " ORDER BY created_at DESC, id DESC",
    [S_TOKEN_DEL] = "DELETE FROM api_tokens WHERE id = ? AND user_id = ?",
};

/* The reads by one id of users.h's enum db_users_read. */
static const enum stmt READS[DBU__MAX] = {
    [DBU_USERS_ALL] = S_USERS_ALL,	   [DBU_GROUPS_ALL] = S_GROUPS_ALL,
    [DBU_USER_GROUPS] = S_USER_GROUPS,	   [DBU_USER_PERMS] = S_USER_PERMS,
    [DBU_GROUP_MEMBERS] = S_GROUP_MEMBERS, [DBU_GROUP_PERMS] = S_GROUP_PERMS,
};

/* The two searchable lists: a count and a page statement, each binding the search text
 * and then its LIKE pattern once per searched column. */
static const struct {
	enum stmt count, page, get;
	int ncols; /* searched columns */
} LISTS[DBL__MAX] = {
    [DBL_USERS] = {S_USERS_COUNT, S_USERS_PAGE, S_USER_GET, 3},
    [DBL_GROUPS] = {S_GROUPS_COUNT, S_GROUPS_PAGE, S_GROUP_GET, 2},
};

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

static void
user_of(const struct db_rows *r, size_t i, struct db_user *u)
{
	struct user_fields *o = &u->f;
	u->id = db_get_ll(r, i, "id", 0);
	USER_FIELDS(U_ROW)
	u->created_at = db_get_str(r, i, "created_at");
	u->updated_at = db_get_str(r, i, "updated_at");
}

static void
group_of(const struct db_rows *r, size_t i, struct db_group *g)
{
	struct group_fields *o = &g->f;
	g->id = db_get_ll(r, i, "id", 0);
	GROUP_FIELDS(U_ROW)
	g->members = db_get_ll(r, i, "members", 0);
	g->created_at = db_get_str(r, i, "created_at");
	g->updated_at = db_get_str(r, i, "updated_at");
}

/* The rows r of list which as typed structs into out (in the arena). */
static int
list_of(struct arena *a, enum db_users_list which, const struct db_rows *r, struct db_list *out)
{
	out->n = r->nrows;
	if (which == DBL_USERS)
		out->users = arena_alloc(a, (r->nrows + 1) * sizeof(*out->users));
	else
		out->groups = arena_alloc(a, (r->nrows + 1) * sizeof(*out->groups));
	if (!out->users && !out->groups)
		return DB_ENOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		if (which == DBL_USERS)
			user_of(r, i, &out->users[i]);
		else
			group_of(r, i, &out->groups[i]);
	return DB_OK;
}

int
db_users_list(struct db *db, struct arena *a, enum db_users_list which, const char *q,
	      long long limit, long long offset, struct db_list *out)
{
	memset(out, 0, sizeof(*out));
	q = q ? q : "";
	const char *like = like_pattern(a, q);
	if (!like || (unsigned)which >= DBL__MAX)
		return DB_ENOMEM;
	const char *count = SQL[LISTS[which].count], *page = SQL[LISTS[which].page];
	int three = LISTS[which].ncols == 3;
	struct db_rows n, r;
	int rc = three ? db_query_row(db, a, &n, count, "ssss", q, like, like, like)
		       : db_query_row(db, a, &n, count, "sss", q, like, like);
	if (rc != DB_OK)
		return rc;
	out->total = db_get_ll(&n, 0, "n", 0);
	rc = three ? db_query(db, a, &r, page, "ssssii", q, like, like, like, limit, offset)
		   : db_query(db, a, &r, page, "sssii", q, like, like, limit, offset);
	return rc == DB_OK ? list_of(a, which, &r, out) : rc;
}

int
db_users_get(struct db *db, struct arena *a, enum db_users_list which, long long id,
	     struct db_list *out)
{
	memset(out, 0, sizeof(*out));
	if ((unsigned)which >= DBL__MAX)
		return DB_EFAIL;
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL[LISTS[which].get], "i", id);
	return rc == DB_OK ? list_of(a, which, &r, out) : rc;
}

int
db_users_read(struct db *db, struct arena *a, enum db_users_read q, long long id,
	      struct db_items *out)
{
	struct db_rows r;
	memset(out, 0, sizeof(*out));
	if ((unsigned)q >= DBU__MAX)
		return DB_EFAIL;
	int rc = db_query(db, a, &r, SQL[READS[q]], q <= DBU_GROUPS_ALL ? "" : "i", id);
	if (rc != DB_OK)
		return rc;
	if (!(out->v = arena_alloc(a, (r.nrows + 1) * sizeof(*out->v))))
		return DB_ENOMEM;
	for (out->n = 0; out->n < r.nrows; out->n++)
		out->v[out->n] = (struct db_item){db_get_ll(&r, out->n, "id", 0),
						  db_get_str(&r, out->n, "label"),
						  db_get_str(&r, out->n, "alt")};
	return DB_OK;
}

int
db_user_add_cli(struct db *db, const char *username, const char *display_name, const char *email,
		const char *password_hash, int is_super_admin, long long *id)
{
	int rc = db_exec(db, SQL[S_USER_ADD_CLI], "ssssi", username, display_name, email,
			 password_hash, (long long)is_super_admin);
	if (rc == DB_OK)
		*id = (long long)db_last_id(db);
	return rc;
}

/* Replaces the (owner, x) rows of a link table: clear, then one insert per id or name. */
static int
set_links(struct db *db, enum stmt clear, enum stmt add, long long owner, const long long *ids,
	  const char *const *names, size_t n)
{
	int rc = db_exec(db, SQL[clear], "i", owner);
	for (size_t i = 0; rc == DB_OK && i < n; i++)
		rc = ids ? db_exec(db, SQL[add], "ii", owner, ids[i])
			 : db_exec(db, SQL[add], "is", owner, names[i]);
	return rc;
}

/* Deletes row id by statement st; DB_ENOTFOUND when there was none. */
static int
delete_one(struct db *db, enum stmt st, long long id)
{
	int rc = db_exec(db, SQL[st], "i", id);
	if (rc == DB_OK && db_affected(db) == 0)
		return DB_ENOTFOUND;
	return rc;
}

/* The one row of statement st for id. */
static int
row_of(struct db *db, struct arena *a, enum stmt st, long long id, struct db_rows *r)
{
	return db_query_row(db, a, r, SQL[st], "i", id);
}

int
db_super_admins_other(struct db *db, struct arena *a, long long id, long long *count)
{
	struct db_rows r;
	int rc = row_of(db, a, S_SUPERS_OTHER, id, &r);
	*count = rc == DB_OK ? db_get_ll(&r, 0, "n", 0) : 1;
	return rc;
}

int
db_user_password_hash(struct db *db, struct arena *a, long long id, const char **hash)
{
	struct db_rows r;
	int rc = row_of(db, a, S_USER_HASH, id, &r);
	*hash = rc == DB_OK ? db_get(&r, 0, "password_hash") : NULL;
	return rc;
}

static int
sessions_delete(struct db *db, long long id, const char *except_hash)
{
	return db_exec(db, SQL[S_USER_SESSIONS_DEL], "is", id, except_hash ? except_hash : "");
}

int
db_tokens_of_user(struct db *db, struct arena *a, long long user_id, struct db_tokens *out)
{
	struct db_rows r;
	memset(out, 0, sizeof(*out));
	int rc = db_query(db, a, &r, SQL[S_TOKENS_OF], "i", user_id);
	if (rc != DB_OK)
		return rc;
	if (!(out->v = arena_alloc(a, (r.nrows + 1) * sizeof(*out->v))))
		return DB_ENOMEM;
	for (size_t i = 0; i < r.nrows; i++)
		out->v[i] = (struct db_token){
		    db_get_ll(&r, i, "id", 0),	     db_get_str(&r, i, "name"),
		    db_get_str(&r, i, "created_at"), db_get(&r, i, "last_used_at"),
		    db_get(&r, i, "expires_at"),     db_get_ll(&r, i, "expired", 0) != 0};
	out->n = r.nrows;
	return DB_OK;
}

int
db_token_delete(struct db *db, long long user_id, long long id)
{
	int rc = db_exec(db, SQL[S_TOKEN_DEL], "ii", id, user_id);
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

/* Inside a transaction: DB_USER_ELAST unless an active Super Admin other than id is left.
 * The rows are locked, so two concurrent demotions cannot both pass. */
static int
super_admin_left(struct db *db, struct arena *a, long long id)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_SUPERS_LOCK], "");
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
		rc = s->id ? db_exec(db, SQL[S_USER_SET],
				     USER_FIELDS(U_TYPE) "i" USER_FIELDS(U_ARG), s->id)
			   : db_exec(db, SQL[S_USER_ADD], USER_FIELDS(U_TYPE) USER_FIELDS(U_ARG));
	if (rc == DB_OK && !s->id)
		t->id = (long long)db_last_id(db);
	if (rc == DB_OK)
		rc = set_links(db, S_USER_GROUPS_CLEAR, S_USER_GROUP_ADD, t->id, s->group_ids, NULL,
			       s->ngroups);
	if (rc == DB_OK)
		rc = set_links(db, S_USER_PERMS_CLEAR, S_USER_PERM_ADD, t->id, NULL, s->perms,
			       s->nperms);
	if (rc == DB_OK && s->id && s->signout_except)
		rc = sessions_delete(db, t->id, s->signout_except);
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
	int rc = db_tx(db, user_save_tx, &t);
	*id = t.id;
	return rc;
}

static int
user_remove_tx(struct db *db, void *arg)
{
	struct user_tx *t = arg;
	int rc = t->keep_super ? super_admin_left(db, t->a, t->id) : DB_OK;
	if (rc == DB_OK)
		rc = delete_one(db, S_USER_DEL, t->id);
	if (rc == DB_OK)
		rc = audit(db, t->by, "user.delete", "user", t->id, t->name);
	return rc;
}

int
db_user_remove(struct db *db, struct arena *a, long long id, const char *username, int keep_super,
	       const struct db_actor *by)
{
	struct user_tx t = {.a = a, .by = by, .id = id, .name = username, .keep_super = keep_super};
	return db_tx(db, user_remove_tx, &t);
}

static int
password_tx(struct db *db, void *arg)
{
	struct user_tx *t = arg;
	int rc = db_exec(db, SQL[S_USER_SET_HASH], "si", t->hash, t->id);
	if (rc == DB_OK)
		rc = sessions_delete(db, t->id, t->name);
	if (rc == DB_OK)
		rc = audit(db, t->by, "user.password", "user", t->id, "password");
	return rc;
}

int
db_user_password_change(struct db *db, long long id, const char *hash, const char *except_hash,
			const struct db_actor *by)
{
	struct user_tx t = {.by = by, .id = id, .hash = hash, .name = except_hash};
	return db_tx(db, password_tx, &t);
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
	int rc = s->id ? db_exec(db, SQL[S_GROUP_SET], GROUP_FIELDS(U_TYPE) "i" GROUP_FIELDS(U_ARG),
				 s->id)
		       : db_exec(db, SQL[S_GROUP_ADD], GROUP_FIELDS(U_TYPE) GROUP_FIELDS(U_ARG));
	if (rc == DB_OK && !s->id)
		t->id = (long long)db_last_id(db);
	if (rc == DB_OK)
		rc = set_links(db, S_GROUP_MEMBERS_CLEAR, S_GROUP_MEMBER_ADD, t->id, s->user_ids,
			       NULL, s->nusers);
	if (rc == DB_OK)
		rc = set_links(db, S_GROUP_PERMS_CLEAR, S_GROUP_PERM_ADD, t->id, NULL, s->perms,
			       s->nperms);
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
	int rc = db_tx(db, group_save_tx, &t);
	*id = t.id;
	return rc;
}

static int
group_remove_tx(struct db *db, void *arg)
{
	struct group_tx *t = arg;
	int rc = delete_one(db, S_GROUP_DEL, t->id);
	if (rc == DB_OK)
		rc = audit(db, t->by, "group.delete", "group", t->id, t->name);
	return rc;
}

int
db_group_remove(struct db *db, long long id, const char *name, const struct db_actor *by)
{
	struct group_tx t = {.by = by, .id = id, .name = name};
	return db_tx(db, group_remove_tx, &t);
}
