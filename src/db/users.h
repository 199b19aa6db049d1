/* db/users: users, groups, memberships, direct and group permissions, a user's API tokens and
 * sessions. Permissions are stored by name; their meaning belongs to auth. */
#ifndef DCGATE_DB_USERS_H
#define DCGATE_DB_USERS_H

#include "db.h"
#include "user_fields.h"

/* Who makes a change, for the audit row the save writes in its transaction. */
struct db_actor {
	long long id;
	const char *username;
	const char *remote_addr;
};

/* A user's whole save: the row, its groups and its direct permissions. */
struct db_user_save {
	long long id;		   /* 0 for a new user */
	struct user_fields f;	   /* its password is not read: */
	const char *password_hash; /* NULL on update keeps the stored one */
	const long long *group_ids;
	size_t ngroups;
	const char *const *perms; /* permission names */
	size_t nperms;
	int keep_super; /* the save demotes or deactivates an active Super Admin: another
			 * active one must be left (else DB_USER_ELAST) */
	const char *signout_except; /* not NULL: the password changed, sign the user out of
				     * every session but this one (token hash, "" for none) */
	const char *changed;	    /* the audit row's details: names of changed fields */
};
/* A group's whole save: the row, its members and its permissions. */
struct db_group_save {
	long long id; /* 0 for a new group */
	struct group_fields f;
	const long long *user_ids;
	size_t nusers;
	const char *const *perms;
	size_t nperms;
	const char *changed;
};
/* The change would leave no active Super Admin. */
#define DB_USER_ELAST (-100)

/* Each in ONE transaction with its audit row, run again when it was a deadlock victim;
 * nothing is written when any part fails. *id gets the (new) id. DB_EDUP when the name is
 * taken; DB_USER_ELAST as above. */
int db_user_save(struct db *db, struct arena *a, const struct db_user_save *s,
		 const struct db_actor *by, long long *id);
int db_group_save(struct db *db, const struct db_group_save *s, const struct db_actor *by,
		  long long *id);
/* Deletes a user (its links go with it) with its audit row; keep_super as above.
 * DB_ENOTFOUND when it is gone. */
int db_user_remove(struct db *db, struct arena *a, long long id, const char *username,
		   int keep_super, const struct db_actor *by);
int db_group_remove(struct db *db, long long id, const char *name, const struct db_actor *by);
/* A user's own new password: sets the hash, signs out every other session (all but
 * except_hash) and writes the audit row, in one transaction. */
int db_user_password_change(struct db *db, long long id, const char *hash, const char *except_hash,
			    const struct db_actor *by);

/* ---- reads ---- */
/* A user as stored, without its password hash (f.password is "set" or ""). */
struct db_user {
	long long id;
	struct user_fields f;
	const char *created_at, *updated_at;
};
/* A group as stored, with its number of members. */
struct db_group {
	long long id;
	struct group_fields f;
	long long members;
	const char *created_at, *updated_at;
};
/* The searchable lists: users by username, display name or e-mail; groups by name or
 * description. */
enum db_users_list { DBL_USERS, DBL_GROUPS, DBL__MAX };
struct db_list {
	size_t n;
	struct db_user *users;	 /* DBL_USERS */
	struct db_group *groups; /* DBL_GROUPS */
	long long total;	 /* all matches, for the pager */
};
/* A page of the list whose searched columns contain q ("" matches all), in name order. */
int db_users_list(struct db *db, struct arena *a, enum db_users_list which, const char *q,
		  long long limit, long long offset, struct db_list *out);

/* One user or group of id, as a list of one; DB_ENOTFOUND when missing. */
int db_users_get(struct db *db, struct arena *a, enum db_users_list which, long long id,
		 struct db_list *out);

/* Reads of items: every user (id, label username, alt display name) or group (id, label
 * name) for the editors; the ids of a user's groups or a group's members; the permissions
 * (label: the name) of a user or a group. */
struct db_item {
	long long id;
	const char *label, *alt; /* "" when none */
};
struct db_items {
	size_t n;
	struct db_item *v;
};
enum db_users_read {
	DBU_USERS_ALL, /* the first two take no id */
	DBU_GROUPS_ALL,
	DBU_USER_GROUPS,
	DBU_USER_PERMS,
	DBU_GROUP_MEMBERS,
	DBU_GROUP_PERMS,
	DBU__MAX
};
int db_users_read(struct db *db, struct arena *a, enum db_users_read q, long long id,
		  struct db_items *out);

/* The command line's create-user: active, timestamps from the column defaults; *id gets the
 * new id. DB_EDUP when the name is taken. */
int db_user_add_cli(struct db *db, const char *username, const char *display_name,
		    const char *email, const char *password_hash, int is_super_admin,
		    long long *id);
/* Active super admins other than id, without locking (for a form message). */
int db_super_admins_other(struct db *db, struct arena *a, long long id, long long *count);
/* The stored password hash of a user. */
int db_user_password_hash(struct db *db, struct arena *a, long long id, const char **hash);

/* ---- API tokens ---- */
/* Tokens of a user, newest first. */
struct db_token {
	long long id;
	const char *name, *created_at;
	const char *last_used_at, *expires_at; /* NULL: never */
	int expired;			       /* 1 once past expires_at */
};
struct db_tokens {
	size_t n;
	struct db_token *v;
};
int db_tokens_of_user(struct db *db, struct arena *a, long long user_id, struct db_tokens *out);
/* Deletes a token of that user; DB_ENOTFOUND when it is not theirs or missing. */
int db_token_delete(struct db *db, long long user_id, long long id);

#endif
