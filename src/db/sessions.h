/* db/sessions: what auth/ keeps in the database: sign-in failures and locks, sessions, the
 * API token check, a user with its permissions, and the audit log (src/db/sessions.c).
 * Every function returns a db_err (0 ok); rows live in the arena given. */
#ifndef DCGATE_DB_SESSIONS_H
#define DCGATE_DB_SESSIONS_H

#include "db.h"

/* ---- sign-in ---- */

/* Everything a sign-in needs before it hashes a password, in one row: addr_failures and
 * addr_since (this address's failures within window_s over any names, seconds since the
 * newest), locked_for (seconds left on a lock of the pair, NULL when none), and id,
 * password_hash, is_active of the user (NULL when the name does not exist). */
int db_login_check(struct db *db, struct arena *a, const char *username, const char *addr,
		   long long window_s, struct db_rows *out);
/* Records a failed sign-in of (username, addr) now. */
int db_login_failure_add(struct db *db, const char *username, const char *addr);
/* Deletes up to 100 failures older than window_s (nothing reads them). */
int db_login_failures_expire(struct db *db, long long window_s);
/* Deletes up to 100 locks that ended more than window_s ago. */
int db_login_locks_expire(struct db *db, long long window_s);
/* *n: the pair's failures within window_s since its last lock ended. */
int db_login_failures_recent(struct db *db, const char *username, const char *addr,
			     long long window_s, long long *n);
/* Locks the pair for lockout_s seconds from now. */
int db_login_lock(struct db *db, const char *username, const char *addr, long long lockout_s);
/* Forgets the pair's failures (after a successful sign-in). */
int db_login_failures_clear(struct db *db, const char *username, const char *addr);

/* ---- sessions ---- */

/* A session under token_hash, started and seen now. */
int db_session_add(struct db *db, const char *token_hash, long long user_id, const char *csrf,
		   const char *remote_addr);
/* The session: user_id, csrf_token, flash, idle and age (seconds), and the change counters
 * gen_connectors, gen_categories, gen_accounts; DB_ENOTFOUND when there is none. */
int db_session_get(struct db *db, struct arena *a, const char *token_hash, struct db_rows *out);
/* Marks the session seen now. */
int db_session_touch(struct db *db, const char *token_hash);
int db_session_flash_clear(struct db *db, const char *token_hash);
int db_session_flash_set(struct db *db, const char *token_hash, const char *flash);
int db_session_delete(struct db *db, const char *token_hash);

/* ---- API tokens ---- */

/* The token under token_hash: token_id, user_id, expired (1 once past its expiry), ttl and
 * used_ago (seconds, NULL when unknown), and the change counters as for a session;
 * DB_ENOTFOUND when there is none. */
int db_token_get(struct db *db, struct arena *a, const char *token_hash, struct db_rows *out);
/* Marks the token used now, unless that was already done within the last minute. */
int db_token_touch(struct db *db, long long id);
/* A token of user_id expiring in days days (0 or less: never); *id gets its id. */
int db_token_add(struct db *db, long long user_id, const char *name, const char *token_hash,
		 long long days, long long *id);

/* ---- users as sessions see them ---- */

/* The user: id, username, display_name, email, is_super_admin, is_active, and perms and
 * group_perms (its own and its groups' permissions, comma-separated, NULL when none);
 * DB_ENOTFOUND when there is none. */
int db_user_get_with_perms(struct db *db, struct arena *a, long long id, struct db_rows *out);

/* ---- audit log ---- */

/* One audit row, written now. user_id and object_id are decimal text, NULL for none. */
int db_audit_add(struct db *db, const char *user_id, const char *username, const char *action,
		 const char *object_type, const char *object_id, const char *details,
		 const char *remote_addr);

#endif
