/* db/audit: reading the audit log (rows are written by db_audit_add, src/db/sessions.c)
 * for the audit viewer and GET /api/1.0/audit. */
#ifndef DCGATE_DB_AUDIT_H
#define DCGATE_DB_AUDIT_H

#include "rows.h"

struct audit_query {
	const char *user;	 /* exact user name, or NULL */
	const char *object_type; /* "connector", "user", ..., or NULL */
	long long object_id;	 /* 0: any */
	const char *action;	 /* "connector.update" exactly, or "connector" for all of its
				  * actions; NULL for all */
	const char *from;	 /* "YYYY-MM-DD" (UTC, inclusive) or NULL */
	const char *to;		 /* "YYYY-MM-DD" (UTC, inclusive) or NULL */
	long long offset;
	long limit;
};

/* A row of audit_log (rows.h). */
#define AUDIT_ROW_FIELDS(X)                                                                        \
	X(id, INT)                                                                                 \
	X(created_at, TEXT)                                                                        \
	X(user_id, INT)                                                                            \
	X(username, TEXT)                                                                          \
	X(action, TEXT)                                                                            \
	X(object_type, TEXT)                                                                       \
	X(object_id, INT)                                                                          \
	X(details, TEXT)                                                                           \
	X(remote_addr, TEXT)
struct audit_row {
	AUDIT_ROW_FIELDS(DB_ROW_MEMBER)
};
/* One page, newest first (*rows in the arena); *total counts every match. */
int db_audit_list(struct db *db, struct arena *a, const struct audit_query *q,
		  struct audit_row **rows, size_t *n, long long *total);
/* A filter's choice: kind "a" an action, "o" an object type. */
#define AUDIT_CHOICE_FIELDS(X)                                                                     \
	X(name, TEXT)                                                                              \
	X(kind, TEXT)
struct audit_choice {
	AUDIT_CHOICE_FIELDS(DB_ROW_MEMBER)
};
/* The distinct actions and object types seen (for the filters' choices), at most 500. */
int db_audit_choices(struct db *db, struct arena *a, struct audit_choice **rows, size_t *n);

#endif
