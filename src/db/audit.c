/* The audit viewer's statements: a filtered page of audit_log and the filter choices. */
#include "audit.h"

#define AUDIT_WHERE                                                                                \
	" WHERE (? IS NULL OR username = ?)"                                                       \
	" AND (? IS NULL OR object_type = ?)"                                                      \
	" AND (? = 0 OR object_id = ?)"                                                            \
	" AND (? IS NULL OR action = ? OR action LIKE CONCAT(?, '.%'))"                            \
	" AND (? IS NULL OR created_at >= ?)"                                                      \
	" AND (? IS NULL OR created_at < DATE_ADD(?, INTERVAL 1 DAY))"

enum stmt { S_AUDIT_PAGE, S_AUDIT_COUNT, S_AUDIT_CHOICES, S__MAX };

static const char *const SQL[S__MAX] = {
    [S_AUDIT_PAGE] =
	"SELECT id, created_at, user_id, username, action, object_type, object_id, details,"
	" remote_addr FROM audit_log" AUDIT_WHERE
	" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
    [S_AUDIT_COUNT] = "SELECT COUNT(*) AS n FROM audit_log" AUDIT_WHERE,
    [S_AUDIT_CHOICES] =
	"(SELECT DISTINCT action AS name, 'a' AS kind FROM audit_log ORDER BY action LIMIT 250)"
	" UNION ALL (SELECT DISTINCT object_type, 'o' FROM audit_log WHERE object_type <> ''"
	" ORDER BY object_type LIMIT 250)",
};

DB_ROWS_READER(audit_rows_of, struct audit_row, AUDIT_ROW_FIELDS)
DB_ROWS_READER(audit_choices_of, struct audit_choice, AUDIT_CHOICE_FIELDS)

int
db_audit_list(struct db *db, struct arena *a, const struct audit_query *q, struct audit_row **rows,
	      size_t *n, long long *total)
{
	struct db_rows c, r;
	*rows = NULL;
	*n = 0;
	int rc = db_query_row(db, a, &c, SQL[S_AUDIT_COUNT], "ssssiisssssss", q->user, q->user,
			      q->object_type, q->object_type, q->object_id, q->object_id, q->action,
			      q->action, q->action, q->from, q->from, q->to, q->to);
	if (rc != DB_OK)
		return rc;
	*total = db_get_ll(&c, 0, "n", 0);
	rc = db_query(db, a, &r, SQL[S_AUDIT_PAGE], "ssssiisssssssii", q->user, q->user,
		      q->object_type, q->object_type, q->object_id, q->object_id, q->action,
		      q->action, q->action, q->from, q->from, q->to, q->to, (long long)q->limit,
		      q->offset);
	return audit_rows_of(a, rc, &r, rows, n);
}

int
db_audit_choices(struct db *db, struct arena *a, struct audit_choice **rows, size_t *n)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_AUDIT_CHOICES], "");
	return audit_choices_of(a, rc, &r, rows, n);
}
