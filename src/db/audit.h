/* db/audit: reading the audit log (rows are written by db_audit_add, src/db/sessions.c)
 * for the audit viewer and GET /api/1.0/audit. */
#ifndef DCGATE_DB_AUDIT_H
#define DCGATE_DB_AUDIT_H

#include "db.h"

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

/* One page, newest first: id, created_at, user_id, username, action, object_type,
 * object_id, details, remote_addr. *total counts every match. */
int db_audit_list(struct db *db, struct arena *a, const struct audit_query *q, struct db_rows *out,
		  long long *total);
/* The distinct actions and object types seen (for the filters' choices), at most 500:
 * column name, kind ('a' action, 'o' object type). */
int db_audit_choices(struct db *db, struct arena *a, struct db_rows *out);

#endif
