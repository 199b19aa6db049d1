/* Sign-in, sessions, API tokens and the audit log, all kept in MySQL so that several
 * dcgate processes share them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypt/crypt.h"
#include "../db/sessions.h"
#include "auth.h"

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
	int rc = db_user_get_with_perms(db, a, uid, &r);
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

/* ---- user_load_cached: one read-through query (core.h) ---- */

struct user_arg {
	struct db *db;
	struct arena *a;
	long long uid;
	struct user *u;
	int *is_active;
};

static int
user_fill(void *arg, struct buf *b)
{
	struct user_arg *x = arg;
	int rc = user_read(x->db, x->a, x->uid, x->u, x->is_active);
	if (rc == DB_OK && b)
		user_pack(b, x->u, *x->is_active);
	return rc;
}

static int
user_use(void *arg, struct arena *a, const void *val, size_t len)
{
	(void)a;
	struct user_arg *x = arg;
	return user_unpack(val, len, x->u, x->is_active) && x->u->id == x->uid ? 0 : -1;
}

static struct cache_query user_query = {.max_entries = 4096, .fill = user_fill, .use = user_use};

/* The key of a user under the accounts counter read with the session or token; NULL when
 * it is unknown. */
static const char *
user_key(struct arena *a, long long uid, long long gen)
{
	return gen > 0 ? arena_printf(a, "%lld|%lld", uid, gen) : NULL;
}

/* The user of a session or token, with its permissions: from the cache under the accounts
 * counter read with the session or token (so before the user: an entry is never older than
 * its key, and every change to a user or a permission moves the counter), else from the
 * database, then kept. DB_ENOTFOUND when the user is gone. */
static int
user_load_cached(struct db *db, struct arena *a, long long uid, long long gen, struct user *u,
		 int *is_active)
{
	struct user_arg x = {db, a, uid, u, is_active};
	return cache_through(&user_query, user_key(a, uid, gen), a, &x);
}

/* Records a failure of (username, remote_addr); locks the pair when it reaches
 * max_failures within the window (AUTH_ELOCKED, *wait = lockout), else AUTH_EINVALID. */
static int
login_failure(struct db *db, const struct auth_config *ac, const char *username,
	      const char *remote_addr, long *wait)
{
	int rc = db_login_failure_add(db, username, remote_addr);
	if (rc == DB_OK) {
		db_login_failures_expire(db, (long long)ac->failure_window);
		db_login_locks_expire(db, (long long)ac->failure_window);
	}
	long long n = 0;
	if (rc == DB_OK)
		rc = db_login_failures_recent(db, username, remote_addr,
					      (long long)ac->failure_window, &n);
	if (rc == DB_OK && n >= ac->max_failures) {
		db_login_lock(db, username, remote_addr, (long long)ac->lockout);
		*wait = ac->lockout;
		return AUTH_ELOCKED;
	}
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
	int rc = db_login_check(db, a, username, addr, (long long)ac->failure_window, &r);
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
	db_login_failures_clear(db, username, addr);
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
	int rc = db_session_add(db, hash, user_id, csrf, remote_addr ? remote_addr : "");
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
	int rc = db_session_get(db, a, hash, &r);
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
		db_session_delete(db, hash);
		return AUTH_ENOSESSION;
	}
	gens_from_row(&r, &s->user);
	s->token_hash = hash;
	s->csrf = db_get(&r, 0, "csrf_token");
	s->flash = db_get(&r, 0, "flash");
	/* Writes only when needed: a flash to clear, or last_seen older than a minute. */
	if (s->flash)
		db_session_flash_clear(db, hash);
	if (idle > 60)
		db_session_touch(db, hash);
	return AUTH_OK;
}

int
auth_session_delete(struct db *db, const char *token_hash)
{
	return db_session_delete(db, token_hash);
}

int
auth_session_set_flash(struct db *db, const char *token_hash, const char *flash)
{
	return db_session_flash_set(db, token_hash, flash);
}

int
auth_token_load(struct db *db, struct arena *a, const char *bearer, struct user *u)
{
	if (!bearer || strlen(bearer) < 20 || strlen(bearer) > 200)
		return AUTH_ENOSESSION;
	char hash[65];
	crypt_sha256_hex(bearer, strlen(bearer), hash);
	struct db_rows r;
	int rc = db_token_get(db, a, hash, &r);
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
		db_token_touch(db, u->token_id);
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
	int rc = db_token_add(db, user_id, name, hash, (long long)days, id);
	if (rc == DB_OK)
		*plain = full;
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
	return db_audit_add(db, who ? uid : NULL, who && who->username ? who->username : "", action,
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
