/* auth: permissions, users as seen by a request, sessions, CSRF, API tokens. */
#ifndef DCGATE_AUTH_H
#define DCGATE_AUTH_H

#include <stdint.h>

#include "../core/core.h"
#include "../db/db.h"

enum perm {
	PERM_NONE = -1,
#define PERM(e, name, group, action) PERM_##e,
#include "perms.def"
#undef PERM
	PERM__MAX
};

struct perm_info {
	const char *name;
	const char *group;
	const char *action;
};
extern const struct perm_info perm_table[PERM__MAX];
/* Permission by its name ("view-users"); PERM_NONE when unknown. */
enum perm perm_by_name(const char *name);

typedef uint32_t perm_set;
#define PERM_BIT(p) ((perm_set)1u << (p))

struct user {
	long long id;
	const char *username;
	const char *display_name;
	const char *email;
	int is_super_admin;
	perm_set perms;	     /* own + groups'; all when super admin */
	long long token_id;  /* API token used, 0 for a session */
	long long token_ttl; /* API calls: seconds the token has left, -1 when it never expires */
	struct db_gens gens; /* read with the session or token; 0s for other loads */
};

int perm_has(const struct user *u, enum perm p);
/* Parses a comma-separated list of permission names into a set (unknown names ignored). */
perm_set perm_parse_list(const char *csv);

struct auth_config {
	long session_idle;
	long session_absolute;
	long max_failures; /* per (user name, address) within failure_window: lock the pair */
	long failure_window;
	long lockout;
	long address_failures; /* per address over any names within failure_window: slow down */
	long address_max_wait; /* longest wait asked of a slowed-down address (s) */
	long login_rate;       /* sign-in attempts per minute per address, per process; 0: off */
	int scrypt_log_n, scrypt_r, scrypt_p;
};
void auth_config_load(struct auth_config *ac, const struct config *cfg);

struct session {
	const char *token_hash; /* SHA-256 hex of the cookie value */
	const char *csrf;	/* per-session CSRF token */
	const char *flash;	/* message set by the previous request, already cleared */
	struct user user;
};

enum auth_err {
	AUTH_OK = 0,
	AUTH_EINVALID = -10, /* wrong user or password, or inactive */
	AUTH_ELOCKED = -11,  /* too many failures */
	AUTH_ENOSESSION = -12,
	AUTH_ESLOW = -13,    /* too many failures from this address: wait */
	AUTH_EEXPIRED = -14, /* an API token past its expiry */
};

/* Signs in from remote_addr: refuses an address slowed down by its failures over any names
 * (AUTH_ESLOW) and a (user name, address) pair locked by its own failures (AUTH_ELOCKED),
 * both before any password is hashed, with *wait the seconds to wait; then verifies the
 * password (same cost for unknown users) and records a failure, which may lock the pair.
 * On success fills *user_id. Returns AUTH_* or a DB_* error. */
int auth_login(struct db *db, struct arena *a, const struct auth_config *ac, const char *username,
	       const char *password, const char *remote_addr, long long *user_id, long *wait);
/* Takes one sign-in attempt from the address's token bucket (ac->login_rate a minute, this
 * process only): 1 when allowed, else 0 with *wait the seconds until the next one is. */
int auth_login_rate_take(const struct auth_config *ac, const char *remote_addr, long *wait);
/* Creates a session; *cookie_token is the value for the cookie (only its hash is stored). */
int auth_session_create(struct db *db, struct arena *a, long long user_id, const char *remote_addr,
			char **cookie_token);
/* Loads the session for a cookie value; expired or unknown: AUTH_ENOSESSION. */
int auth_session_load(struct db *db, struct arena *a, const struct auth_config *ac,
		      const char *cookie_token, struct session *s);
int auth_session_delete(struct db *db, const char *token_hash);
int auth_session_set_flash(struct db *db, const char *token_hash, const char *flash);
/* Loads the user behind an API bearer token; AUTH_EEXPIRED past its expiry. */
int auth_token_load(struct db *db, struct arena *a, const char *bearer, struct user *u);
/* Creates an API token that expires after days (0: never); *plain is shown once. */
int auth_token_create(struct db *db, struct arena *a, long long user_id, const char *name,
		      long days, char **plain, long long *id);
int auth_load_user(struct db *db, struct arena *a, long long user_id, struct user *u);

/* A new password's scrypt hash at the configured cost (arena); 0, or -1 on failure. */
int auth_password_hash(const struct auth_config *ac, struct arena *a, const char *password,
		       char **hash);
/* 1 when password matches the stored hash (same time whatever the hash holds), else 0. */
int auth_password_matches(const char *password, const char *hash);
/* 1 when a submitted CSRF token equals the session's (constant time), else 0. */
int auth_csrf_ok(const struct session *s, const char *token);

/* audit_log row; details must never hold a secret. */
int audit_write(struct db *db, const struct user *who, const char *action, const char *object_type,
		long long object_id, const char *details, const char *remote_addr);

#endif
