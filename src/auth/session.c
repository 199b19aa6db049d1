/* Sign-in, sessions, API tokens and the audit log, all kept in MySQL so that several
 * dcgate processes share them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypt/crypt.h"
#include "auth.h"

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

/* Everything a sign-in needs before it hashes a password, in one round trip: this address's
 * recent failures over any names (count and seconds since the newest), the seconds left on
 * a lock of this (user name, address) pair, and the user row when the name exists. */
static const char SQL_LOGIN_CHECK[] =
    "SELECT f.n AS addr_failures, f.since AS addr_since,"
    " (SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), MAX(l.locked_until)) FROM login_locks l"
    "  WHERE l.username = ? AND l.remote_addr = ? AND l.locked_until > UTC_TIMESTAMP())"
    " AS locked_for, u.id, u.password_hash, u.is_active"
    " FROM (SELECT COUNT(*) AS n, TIMESTAMPDIFF(SECOND, MAX(failed_at), UTC_TIMESTAMP()) AS since"
    "  FROM login_failures WHERE remote_addr = ? AND failed_at > UTC_TIMESTAMP() - INTERVAL ?"
    "  SECOND) f LEFT JOIN users u ON u.username = ?";
static const char SQL_FAILURE_ADD[] =
    "INSERT INTO login_failures (username, remote_addr, failed_at) VALUES (?, ?, UTC_TIMESTAMP())";
/* The pair's failures within the window since its last lock ended. */
static const char SQL_FAILURES_RECENT[] =
    "SELECT COUNT(*) AS n FROM login_failures WHERE username = ? AND remote_addr = ?"
    " AND failed_at > UTC_TIMESTAMP() - INTERVAL ? SECOND"
    " AND failed_at >= COALESCE((SELECT MAX(locked_until) FROM login_locks"
    "  WHERE username = ? AND remote_addr = ?), '1000-01-01')";
static const char SQL_FAILURES_CLEAR[] =
    "DELETE FROM login_failures WHERE username = ? AND remote_addr = ?";
/* Nothing reads failures older than the window, nor locks that ended before it (the
 * count of a pair starts at its last lock's end): each failure deletes a few, so the
 * tables stay about as small as the failures of one window. */
static const char SQL_FAILURES_EXPIRE[] =
    "DELETE FROM login_failures WHERE failed_at < UTC_TIMESTAMP() - INTERVAL ? SECOND LIMIT 100";
static const char SQL_LOCKS_EXPIRE[] =
    "DELETE FROM login_locks WHERE locked_until < UTC_TIMESTAMP() - INTERVAL ? SECOND LIMIT 100";
static const char SQL_PAIR_LOCK[] = "INSERT INTO login_locks (username, remote_addr, locked_until)"
				    " VALUES (?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)"
				    " ON DUPLICATE KEY UPDATE locked_until = VALUES(locked_until)";
static const char SQL_SESSION_ADD[] =
    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at,"
    " remote_addr) VALUES (?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP(), ?)";
/* The session and the counters only: the user row and its permissions come from the user
 * cache while the accounts counter holds (sql/006_user_generation.sql). */
static const char SQL_SESSION_GET[] =
    "SELECT s.user_id, s.csrf_token, s.flash,"
    " TIMESTAMPDIFF(SECOND, s.last_seen_at, UTC_TIMESTAMP()) AS idle,"
    " TIMESTAMPDIFF(SECOND, s.created_at, UTC_TIMESTAMP()) AS age, " SQL_GENS_COLS
    " FROM sessions s WHERE s.token_hash = ?";
static const char SQL_SESSION_TOUCH[] =
    "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP() WHERE token_hash = ?";
static const char SQL_SESSION_FLASH_CLEAR[] =
    "UPDATE sessions SET flash = NULL WHERE token_hash = ?";
static const char SQL_SESSION_FLASH_SET[] = "UPDATE sessions SET flash = ? WHERE token_hash = ?";
static const char SQL_SESSION_DEL[] = "DELETE FROM sessions WHERE token_hash = ?";
/* An expired token is told apart (not just missing) so the caller can say why. */
static const char SQL_TOKEN_GET[] =
    "SELECT t.id AS token_id, t.user_id,"
    " (t.expires_at IS NOT NULL AND t.expires_at <= UTC_TIMESTAMP()) AS expired,"
    " TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), t.expires_at) AS ttl,"
    " TIMESTAMPDIFF(SECOND, t.last_used_at, UTC_TIMESTAMP()) AS used_ago, " SQL_GENS_COLS
    " FROM api_tokens t WHERE t.token_hash = ?";
static const char SQL_TOKEN_TOUCH[] =
    "UPDATE api_tokens SET last_used_at = UTC_TIMESTAMP() WHERE id = ?"
    " AND (last_used_at IS NULL OR last_used_at < UTC_TIMESTAMP() - INTERVAL 60 SECOND)";
static const char SQL_TOKEN_ADD[] =
    "INSERT INTO api_tokens (user_id, name, token_hash, expires_at)"
    " VALUES (?, ?, ?, IF(? > 0, UTC_TIMESTAMP() + INTERVAL ? DAY, NULL))";
static const char SQL_USER_GET[] =
    "SELECT u.id, u.username, u.display_name, u.email, u.is_super_admin, u.is_active,"
    " " SQL_PERMS_OF("u.id") " FROM users u WHERE u.id = ?";
static const char SQL_AUDIT_ADD[] =
    "INSERT INTO audit_log (user_id, username, action, object_type, object_id, details,"
    " remote_addr, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())";

static void
user_from_row(const struct db_rows *r, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = db_get_ll(r, 0, "id", 0);
	u->username = db_get(r, 0, "username");
	u->display_name = db_get(r, 0, "display_name");
	u->email = db_get(r, 0, "email");
	u->is_super_admin = db_get_ll(r, 0, "is_super_admin", 0) != 0;
	u->perms = u->is_super_admin ? ~(perm_set)0
				     : perm_parse_list(db_get(r, 0, "perms")) |
					   perm_parse_list(db_get(r, 0, "group_perms"));
}

/* The user row with its permissions; *is_active (when not NULL) gets its active flag. */
static int
user_read(struct db *db, struct arena *a, long long uid, struct user *u, int *is_active)
{
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL_USER_GET, "i", uid);
	if (rc != DB_OK)
		return rc;
	user_from_row(&r, u);
	if (is_active)
		*is_active = db_get_ll(&r, 0, "is_active", 0) != 0;
	return DB_OK;
}

/* The counters when the row has them (session and token rows); 0 leaves caches alone. */
static void
gens_from_row(const struct db_rows *r, struct user *u)
{
	u->gens.connectors = db_get_ll(r, 0, "gen_connectors", 0);
	u->gens.categories = db_get_ll(r, 0, "gen_categories", 0);
}

/* ---- users by id and accounts counter, shared by the workers ---- */

static struct cache *user_cache;
static pthread_once_t user_cache_once = PTHREAD_ONCE_INIT;

static void
user_cache_free(void)
{
	cache_free(user_cache);
	user_cache = NULL;
}

static void
user_cache_init(void)
{
	user_cache = cache_new(4096, 0);
	atexit(user_cache_free);
}

static void
user_pack(struct buf *b, const struct user *u, int is_active)
{
	pack_i64(b, u->id);
	pack_str(b, u->username);
	pack_str(b, u->display_name);
	pack_str(b, u->email);
	pack_i64(b, u->is_super_admin);
	pack_i64(b, is_active);
	pack_i64(b, u->perms);
}

/* 0 when val is not a packed user (nothing is trusted from a damaged entry). */
static int
user_unpack(const void *val, size_t len, struct user *u, int *is_active)
{
	struct unpack up = {.p = val, .left = len};
	memset(u, 0, sizeof(*u));
	u->id = unpack_i64(&up);
	u->username = unpack_str(&up);
	u->display_name = unpack_str(&up);
	u->email = unpack_str(&up);
	u->is_super_admin = unpack_i64(&up) != 0;
	*is_active = unpack_i64(&up) != 0;
	u->perms = (perm_set)unpack_i64(&up);
	return !up.bad && up.left == 0;
}

/* The user of a session or token, with its permissions: from the cache under the accounts
 * counter read with the session or token (so before the user: an entry is never older than
 * its key, and every change to a user or a permission moves the counter), else from the
 * database, then kept. DB_ENOTFOUND when the user is gone. */
static int
user_load_cached(struct db *db, struct arena *a, long long uid, long long gen, struct user *u,
		 int *is_active)
{
	char key[64];
	void *val;
	size_t len;
	pthread_once(&user_cache_once, user_cache_init);
	snprintf(key, sizeof(key), "%lld|%lld", uid, gen);
	if (gen > 0 && cache_get(user_cache, key, a, &val, &len) == CORE_OK &&
	    user_unpack(val, len, u, is_active) && u->id == uid)
		return DB_OK;
	int rc = user_read(db, a, uid, u, is_active);
	if (rc != DB_OK)
		return rc;
	if (gen > 0) {
		struct buf b;
		buf_init(&b);
		user_pack(&b, u, *is_active);
		if (!b.failed)
			cache_put(user_cache, key, b.data, b.len);
		buf_free(&b);
	}
	return DB_OK;
}

/* Records a failure of (username, remote_addr); locks the pair when it reaches
 * max_failures within the window (AUTH_ELOCKED, *wait = lockout), else AUTH_EINVALID. */
static int
login_failure(struct db *db, const struct auth_config *ac, const char *username,
	      const char *remote_addr, long *wait)
{
	struct arena a;
	arena_init(&a, 1024);
	int rc = db_exec(db, SQL_FAILURE_ADD, "ss", username, remote_addr);
	if (rc == DB_OK) {
		db_exec(db, SQL_FAILURES_EXPIRE, "i", (long long)ac->failure_window);
		db_exec(db, SQL_LOCKS_EXPIRE, "i", (long long)ac->failure_window);
	}
	struct db_rows r;
	if (rc == DB_OK)
		rc = db_query_row(db, &a, &r, SQL_FAILURES_RECENT, "ssiss", username, remote_addr,
				  (long long)ac->failure_window, username, remote_addr);
	if (rc == DB_OK && db_get_ll(&r, 0, "n", 0) >= ac->max_failures) {
		db_exec(db, SQL_PAIR_LOCK, "ssi", username, remote_addr, (long long)ac->lockout);
		*wait = ac->lockout;
		arena_free(&a);
		return AUTH_ELOCKED;
	}
	arena_free(&a);
	return rc == DB_OK ? AUTH_EINVALID : rc;
}

/* Seconds an address with n recent failures (the newest since seconds ago) must still
 * wait: none below address_failures, then 1, 2, 4, ... up to address_max_wait. */
static long
address_wait(const struct auth_config *ac, long long n, long long since)
{
	if (ac->address_failures <= 0 || n < ac->address_failures)
		return 0;
	long long over = n - ac->address_failures, need = over >= 30 ? 1LL << 30 : 1LL << over;
	if (need > ac->address_max_wait)
		need = ac->address_max_wait;
	return need > since ? (long)(need - since) : 0;
}

int
auth_login(struct db *db, struct arena *a, const struct auth_config *ac, const char *username,
	   const char *password, const char *remote_addr, long long *user_id, long *wait)
{
	struct db_rows r;
	const char *addr = remote_addr ? remote_addr : "";
	*wait = 0;
	int rc = db_query_row(db, a, &r, SQL_LOGIN_CHECK, "sssis", username, addr, addr,
			      (long long)ac->failure_window, username);
	if (rc != DB_OK)
		return rc;
	long long locked_for = db_get_ll(&r, 0, "locked_for", 0);
	if (locked_for > 0) {
		*wait = (long)locked_for;
		return AUTH_ELOCKED;
	}
	*wait = address_wait(ac, db_get_ll(&r, 0, "addr_failures", 0),
			     db_get_ll(&r, 0, "addr_since", 0));
	if (*wait > 0)
		return AUTH_ESLOW;
	const char *hash = db_get(&r, 0, "password_hash");
	/* An unknown name costs the same scrypt, so timing does not tell users apart. */
	int match =
	    crypt_password_verify(password, hash ? hash : crypt_password_dummy()) == CRYPT_OK;
	if (!hash || !match)
		return login_failure(db, ac, username, addr, wait);
	if (!db_get_ll(&r, 0, "is_active", 0))
		return AUTH_EINVALID;
	db_exec(db, SQL_FAILURES_CLEAR, "ss", username, addr);
	*user_id = db_get_ll(&r, 0, "id", 0);
	return AUTH_OK;
}

int
auth_session_create(struct db *db, struct arena *a, long long user_id, const char *remote_addr,
		    char **cookie_token)
{
	char *token, *csrf;
	if (crypt_token_b64url(a, 32, &token) != CRYPT_OK ||
	    crypt_token_hex(a, 32, &csrf) != CRYPT_OK)
		return DB_EFAIL;
	char hash[65];
	crypt_sha256_hex(token, strlen(token), hash);
	int rc = db_exec(db, SQL_SESSION_ADD, "siss", hash, user_id, csrf,
			 remote_addr ? remote_addr : "");
	if (rc == DB_OK)
		*cookie_token = token;
	return rc;
}

int
auth_session_load(struct db *db, struct arena *a, const struct auth_config *ac,
		  const char *cookie_token, struct session *s)
{
	memset(s, 0, sizeof(*s));
	if (!cookie_token || strlen(cookie_token) != 43)
		return AUTH_ENOSESSION;
	char *hash = arena_alloc(a, 65);
	if (!hash)
		return DB_ENOMEM;
	crypt_sha256_hex(cookie_token, strlen(cookie_token), hash);
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL_SESSION_GET, "s", hash);
	if (rc == DB_ENOTFOUND)
		return AUTH_ENOSESSION;
	if (rc != DB_OK)
		return rc;
	long long idle = db_get_ll(&r, 0, "idle", 0), age = db_get_ll(&r, 0, "age", 0);
	int active = 0;
	if (idle <= ac->session_idle && age <= ac->session_absolute) {
		rc = user_load_cached(db, a, db_get_ll(&r, 0, "user_id", 0),
				      db_get_ll(&r, 0, "gen_accounts", 0), &s->user, &active);
		if (rc != DB_OK && rc != DB_ENOTFOUND)
			return rc;
	}
	if (!active) {
		db_exec(db, SQL_SESSION_DEL, "s", hash);
		return AUTH_ENOSESSION;
	}
	gens_from_row(&r, &s->user);
	s->token_hash = hash;
	s->csrf = db_get(&r, 0, "csrf_token");
	s->flash = db_get(&r, 0, "flash");
	/* Writes only when needed: a flash to clear, or last_seen older than a minute. */
	if (s->flash)
		db_exec(db, SQL_SESSION_FLASH_CLEAR, "s", hash);
	if (idle > 60)
		db_exec(db, SQL_SESSION_TOUCH, "s", hash);
	return AUTH_OK;
}

int
auth_session_delete(struct db *db, const char *token_hash)
{
	return db_exec(db, SQL_SESSION_DEL, "s", token_hash);
}

int
auth_session_set_flash(struct db *db, const char *token_hash, const char *flash)
{
	return db_exec(db, SQL_SESSION_FLASH_SET, "ss", flash, token_hash);
}

int
auth_token_load(struct db *db, struct arena *a, const char *bearer, struct user *u)
{
	if (!bearer || strlen(bearer) < 20 || strlen(bearer) > 200)
		return AUTH_ENOSESSION;
	char hash[65];
	crypt_sha256_hex(bearer, strlen(bearer), hash);
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL_TOKEN_GET, "s", hash);
	if (rc == DB_ENOTFOUND)
		return AUTH_ENOSESSION;
	if (rc != DB_OK)
		return rc;
	if (db_get_ll(&r, 0, "expired", 0))
		return AUTH_EEXPIRED;
	int active = 0;
	rc = user_load_cached(db, a, db_get_ll(&r, 0, "user_id", 0),
			      db_get_ll(&r, 0, "gen_accounts", 0), u, &active);
	if (rc == DB_ENOTFOUND || (rc == DB_OK && !active))
		return AUTH_ENOSESSION;
	if (rc != DB_OK)
		return rc;
	gens_from_row(&r, u);
	u->token_id = db_get_ll(&r, 0, "token_id", 0);
	u->token_ttl = db_get_ll(&r, 0, "ttl", -1);
	/* last_used_at moves at most once a minute: no write round trip on the other calls. */
	long long used_ago = db_get_ll(&r, 0, "used_ago", -1);
	if (used_ago < 0 || used_ago > 60)
		db_exec(db, SQL_TOKEN_TOUCH, "i", u->token_id);
	return AUTH_OK;
}

int
auth_token_create(struct db *db, struct arena *a, long long user_id, const char *name, long days,
		  char **plain, long long *id)
{
	char *token;
	if (crypt_token_b64url(a, 32, &token) != CRYPT_OK)
		return DB_EFAIL;
	char *full = arena_printf(a, "dcg_%s", token);
	if (!full)
		return DB_ENOMEM;
	char hash[65];
	crypt_sha256_hex(full, strlen(full), hash);
	int rc = db_exec(db, SQL_TOKEN_ADD, "issii", user_id, name, hash, (long long)days,
			 (long long)days);
	if (rc == DB_OK) {
		*plain = full;
		*id = (long long)db_last_id(db);
	}
	return rc;
}

int
auth_load_user(struct db *db, struct arena *a, long long user_id, struct user *u)
{
	return user_read(db, a, user_id, u, NULL);
}

int
audit_write(struct db *db, const struct user *who, const char *action, const char *object_type,
	    long long object_id, const char *details, const char *remote_addr)
{
	/* user_id and object_id are NULL when there is none: bind them as strings then. */
	char uid[24] = "", oid[24] = "";
	if (who)
		snprintf(uid, sizeof(uid), "%lld", who->id);
	if (object_id > 0)
		snprintf(oid, sizeof(oid), "%lld", object_id);
	return db_exec(db, SQL_AUDIT_ADD, "sssssss", who ? uid : NULL,
		       who && who->username ? who->username : "", action,
		       object_type ? object_type : "", object_id > 0 ? oid : NULL,
		       details ? details : "", remote_addr ? remote_addr : "");
}

/* Handlers hash and check passwords through auth/ so that web/ calls no crypt function
 * itself (DESIGN.md, Layout). */
int
auth_password_hash(const struct auth_config *ac, struct arena *a, const char *password, char **hash)
{
	*hash = NULL;
	return crypt_password_hash(a, password, ac->scrypt_log_n, ac->scrypt_r, ac->scrypt_p,
				   hash) == CRYPT_OK
		   ? 0
		   : -1;
}

int
auth_password_matches(const char *password, const char *hash)
{
	return password && hash && crypt_password_verify(password, hash) == CRYPT_OK;
}

/* Constant time, so a forged form cannot learn the token byte by byte. */
int
auth_csrf_ok(const struct session *s, const char *token)
{
	return s && s->csrf && token && crypt_str_eq(token, s->csrf);
}
