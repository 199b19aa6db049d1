/* Sign-in failures and locks, sessions, API token checks, users with their permissions and
 * the audit log: the statements behind auth/ (src/auth/session.c). */
#include <stdio.h>

#include "sessions.h"

/* A user's permissions: its own and its groups', as two comma-separated columns. */
#define SQL_PERMS_OF(uid)                                                                          \
	"(SELECT GROUP_CONCAT(permission) FROM user_permissions WHERE user_id = " uid ")"          \
	" AS perms, (SELECT GROUP_CONCAT(gp.permission) FROM group_permissions gp"                 \
	" JOIN user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = " uid ")"            \
	" AS group_perms"

/* The change counters of sql/005_generations.sql, read with the session or token: each the
 * sum of one row per database server (sql/009_node_counters.sql: saves through different
 * Galera nodes write different rows), a short range of the primary key each. NULL when no
 * row is there turns the caches off. */
#define SQL_GENS_COLS                                                                              \
	"(SELECT SUM(n) FROM generations WHERE id = 1) AS gen_connectors,"                         \
	" (SELECT SUM(n) FROM generations WHERE id = 2) AS gen_categories,"                        \
	" (SELECT SUM(n) FROM generations WHERE id = 3) AS gen_accounts"

enum stmt {
	S_LOGIN_CHECK,
	S_FAILURE_ADD,
	S_FAILURES_RECENT,
	S_FAILURES_CLEAR,
	S_FAILURES_EXPIRE,
	S_LOCKS_EXPIRE,
	S_PAIR_LOCK,
	S_SESSION_ADD,
	S_SESSION_GET,
	S_SESSION_TOUCH,
	S_SESSION_FLASH_CLEAR,
	S_SESSION_FLASH_SET,
	S_SESSION_DEL,
	S_TOKEN_GET,
	S_TOKEN_TOUCH,
	S_TOKEN_ADD,
	S_USER_GET,
	S_AUDIT_ADD,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    /* Everything a sign-in needs before it hashes a password, in one round trip: this address's
     * recent failures over any names (count and seconds since the newest), the seconds left on
     * a lock of this (user name, address) pair, and the user row when the name exists. */
    [S_LOGIN_CHECK] =
	"SELECT f.n AS addr_failures, f.since AS addr_since,"
	" (SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), MAX(l.locked_until)) FROM login_locks l"
	"  WHERE l.username = ? AND l.remote_addr = ? AND l.locked_until > UTC_TIMESTAMP())"
	" AS locked_for, u.id, u.password_hash, u.is_active"
	" FROM (SELECT COUNT(*) AS n, TIMESTAMPDIFF(SECOND, MAX(failed_at), UTC_TIMESTAMP()) AS "
	"since"
	"  FROM login_failures WHERE remote_addr = ? AND failed_at > UTC_TIMESTAMP() - INTERVAL ?"
	"  SECOND) f LEFT JOIN users u ON u.username = ?",
    [S_FAILURE_ADD] = "INSERT INTO login_failures (username, remote_addr, failed_at) VALUES (?, ?, "
		      "UTC_TIMESTAMP())",
    /* The pair's failures within the window since its last lock ended. */
    [S_FAILURES_RECENT] =
	"SELECT COUNT(*) AS n FROM login_failures WHERE username = ? AND remote_addr = ?"
	" AND failed_at > UTC_TIMESTAMP() - INTERVAL ? SECOND"
	" AND failed_at >= COALESCE((SELECT MAX(locked_until) FROM login_locks"
	"  WHERE username = ? AND remote_addr = ?), '1000-01-01')",
    [S_FAILURES_CLEAR] = "DELETE FROM login_failures WHERE username = ? AND remote_addr = ?",
    /* Nothing reads failures older than the window, nor locks that ended before it (the
     * count of a pair starts at its last lock's end): each failure deletes a few, so the
     * tables stay about as small as the failures of one window. */
    [S_FAILURES_EXPIRE] = "DELETE FROM login_failures WHERE failed_at < UTC_TIMESTAMP() - INTERVAL "
			  "? SECOND LIMIT 100",
    [S_LOCKS_EXPIRE] = "DELETE FROM login_locks WHERE locked_until < UTC_TIMESTAMP() - INTERVAL ? "
		       "SECOND LIMIT 100",
    [S_PAIR_LOCK] = "INSERT INTO login_locks (username, remote_addr, locked_until)"
		    " VALUES (?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)"
		    " ON DUPLICATE KEY UPDATE locked_until = VALUES(locked_until)",
    [S_SESSION_ADD] =
	"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at,"
	" remote_addr) VALUES (?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP(), ?)",
    /* The session and the counters only: the user row and its permissions come from the user
     * cache while the accounts counter holds (sql/006_user_generation.sql). */
    [S_SESSION_GET] = "SELECT s.user_id, s.csrf_token, s.flash,"
		      " TIMESTAMPDIFF(SECOND, s.last_seen_at, UTC_TIMESTAMP()) AS idle,"
		      " TIMESTAMPDIFF(SECOND, s.created_at, UTC_TIMESTAMP()) AS age, " SQL_GENS_COLS
		      " FROM sessions s WHERE s.token_hash = ?",
    [S_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP() WHERE token_hash = ?",
    [S_SESSION_FLASH_CLEAR] = "UPDATE sessions SET flash = NULL WHERE token_hash = ?",
    [S_SESSION_FLASH_SET] = "UPDATE sessions SET flash = ? WHERE token_hash = ?",
    [S_SESSION_DEL] = "DELETE FROM sessions WHERE token_hash = ?",
    /* An expired token is told apart (not just missing) so the caller can say why. */
    [S_TOKEN_GET] =
	"SELECT t.id AS token_id, t.user_id,"
	" (t.expires_at IS NOT NULL AND t.expires_at <= UTC_TIMESTAMP()) AS expired,"
	" TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), t.expires_at) AS ttl,"
	" TIMESTAMPDIFF(SECOND, t.last_used_at, UTC_TIMESTAMP()) AS used_ago, " SQL_GENS_COLS
	" FROM api_tokens t WHERE t.token_hash = ?",
    [S_TOKEN_TOUCH] =
	"UPDATE api_tokens SET last_used_at = UTC_TIMESTAMP() WHERE id = ?"
	" AND (last_used_at IS NULL OR last_used_at < UTC_TIMESTAMP() - INTERVAL 60 SECOND)",
    [S_TOKEN_ADD] = "INSERT INTO api_tokens (user_id, name, token_hash, expires_at)"
		    " VALUES (?, ?, ?, IF(? > 0, UTC_TIMESTAMP() + INTERVAL ? DAY, NULL))",
    [S_USER_GET] =
	"SELECT u.id, u.username, u.display_name, u.email, u.is_super_admin, u.is_active,"
	" " SQL_PERMS_OF("u.id") " FROM users u WHERE u.id = ?",
    [S_AUDIT_ADD] =
	"INSERT INTO audit_log (user_id, username, action, object_type, object_id, details,"
	" remote_addr, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())",
};

int
db_login_check(struct db *db, struct arena *a, const char *username, const char *addr,
	       long long window_s, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL[S_LOGIN_CHECK], "sssis", username, addr, addr, window_s,
			    username);
}

int
db_login_failure_add(struct db *db, const char *username, const char *addr)
{
	return db_exec(db, SQL[S_FAILURE_ADD], "ss", username, addr);
}

int
db_login_failures_expire(struct db *db, long long window_s)
{
	return db_exec(db, SQL[S_FAILURES_EXPIRE], "i", window_s);
}

int
db_login_locks_expire(struct db *db, long long window_s)
{
	return db_exec(db, SQL[S_LOCKS_EXPIRE], "i", window_s);
}

int
db_login_failures_recent(struct db *db, const char *username, const char *addr, long long window_s,
			 long long *n)
{
	struct arena a;
	struct db_rows r;
	arena_init(&a, 1024);
	int rc = db_query_row(db, &a, &r, SQL[S_FAILURES_RECENT], "ssiss", username, addr, window_s,
			      username, addr);
	*n = rc == DB_OK ? db_get_ll(&r, 0, "n", 0) : 0;
	arena_free(&a);
	return rc;
}

int
db_login_lock(struct db *db, const char *username, const char *addr, long long lockout_s)
{
	return db_exec(db, SQL[S_PAIR_LOCK], "ssi", username, addr, lockout_s);
}

int
db_login_failures_clear(struct db *db, const char *username, const char *addr)
{
	return db_exec(db, SQL[S_FAILURES_CLEAR], "ss", username, addr);
}

int
db_session_add(struct db *db, const char *token_hash, long long user_id, const char *csrf,
	       const char *remote_addr)
{
	return db_exec(db, SQL[S_SESSION_ADD], "siss", token_hash, user_id, csrf, remote_addr);
}

int
db_session_get(struct db *db, struct arena *a, const char *token_hash, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL[S_SESSION_GET], "s", token_hash);
}

int
db_session_touch(struct db *db, const char *token_hash)
{
	return db_exec(db, SQL[S_SESSION_TOUCH], "s", token_hash);
}

int
db_session_flash_clear(struct db *db, const char *token_hash)
{
	return db_exec(db, SQL[S_SESSION_FLASH_CLEAR], "s", token_hash);
}

int
db_session_flash_set(struct db *db, const char *token_hash, const char *flash)
{
	return db_exec(db, SQL[S_SESSION_FLASH_SET], "ss", flash, token_hash);
}

int
db_session_delete(struct db *db, const char *token_hash)
{
	return db_exec(db, SQL[S_SESSION_DEL], "s", token_hash);
}

int
db_token_get(struct db *db, struct arena *a, const char *token_hash, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL[S_TOKEN_GET], "s", token_hash);
}

int
db_token_touch(struct db *db, long long id)
{
	return db_exec(db, SQL[S_TOKEN_TOUCH], "i", id);
}

int
db_token_add(struct db *db, long long user_id, const char *name, const char *token_hash,
	     long long days, long long *id)
{
	int rc = db_exec(db, SQL[S_TOKEN_ADD], "issii", user_id, name, token_hash, days, days);
	if (rc == DB_OK)
		*id = (long long)db_last_id(db);
	return rc;
}

int
db_user_get_with_perms(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL[S_USER_GET], "i", id);
}

int
db_audit_put(struct db *db, const struct db_audit *au, long long object_id)
{
	char uid[24], oid[24];
	if (!au)
		return DB_OK;
	if (au->object_id > 0)
		object_id = au->object_id;
	snprintf(uid, sizeof(uid), "%lld", au->user_id);
	snprintf(oid, sizeof(oid), "%lld", object_id);
	return db_audit_add(db, au->user_id > 0 ? uid : NULL, au->username ? au->username : "",
			    au->action, au->object_type, object_id > 0 ? oid : NULL,
			    au->details ? au->details : "", au->remote_addr ? au->remote_addr : "");
}

int
db_audit_add(struct db *db, const char *user_id, const char *username, const char *action,
	     const char *object_type, const char *object_id, const char *details,
	     const char *remote_addr)
{
	return db_exec(db, SQL[S_AUDIT_ADD], "sssssss", user_id, username, action, object_type,
		       object_id, details, remote_addr);
}
