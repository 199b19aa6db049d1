/* The fields of a data connector's Details, each listed once: X(name, kind, min, max, label,
 * check). name is the column, the form field and the JSON API (and export) member; kind says
 * how it is typed, stored and shown:
 *   TEXT     text of at most max characters (required when min > 0);
 *   INT      a whole number from min to max, blank for none (0, stored NULL);
 *   DECIMAL  the text of a decimal number of at most max characters, blank for none (stored
 *            NULL); check says which numbers.
 * label is what messages call it; check is the validator (src/web/connectors.c) run on the
 * decoded value, NULL for none beyond the kind's. This list drives the struct members
 * (src/db/store.h), the statements and their binding (src/db/connectors.c), and the field
 * table behind the form, the JSON API, the audit log, export and import (src/web/connectors.c).
 * The auth type and the categories are not here: they have forms of their own. */
#ifndef DCGATE_DB_CONNECTOR_FIELDS_H
#define DCGATE_DB_CONNECTOR_FIELDS_H

#define CONNECTOR_FIELDS(X)                                                                        \
	X(name, TEXT, 1, 255, "name", field_check_name)                                            \
	X(description, TEXT, 0, 10000, "description", NULL)                                        \
	X(max_concurrency, INT, 1, 100000, "max concurrent calls", NULL)                           \
	X(rate_limit, DECIMAL, 0, 16, "rate limit", connector_check_rate)

/* The C type of a value of each kind. */
#define CONNECTOR_CTYPE_TEXT	const char *
#define CONNECTOR_CTYPE_INT	long long
#define CONNECTOR_CTYPE_DECIMAL const char *

#define CONNECTOR_MEMBER(n, k, ...) CONNECTOR_CTYPE_##k n;
/* The values of the fields ("" and 0 for none). */
struct connector_fields {
	CONNECTOR_FIELDS(CONNECTOR_MEMBER)
};

/* For the statements (src/db): each field in a statement: its column in a select, its name in
 * an insert, its placeholder (INT 0 and DECIMAL "" store NULL), its assignment in an update,
 * its member of a version snapshot (src/db/versions.c), its bind type, its argument from
 * in->v (a connector_input or a version_restore), and its value from a row. */
#define F_COL(n, ...)	     " c." #n ","
#define F_NAME(n, ...)	     " " #n ","
#define F_VAL(n, k, ...)     " " F_PH_##k ","
#define F_SET(n, k, ...)     " " #n " = " F_PH_##k ","
#define F_TYPE(n, k, ...)    F_T_##k
#define F_ARG(n, k, ...)     , F_A_##k(in->v.n)
#define F_ROW(n, k, ...)     out->v.n = F_R_##k(r, #n);
#define F_SNAP(n, k, ...)    " '" #n "', " F_SN_##k("c." #n) ","
#define F_SN_TEXT(col)	     col
#define F_SN_INT(col)	     "COALESCE(" col ", 0)"
#define F_SN_DECIMAL(col)    "COALESCE(CAST(" col " AS CHAR), '')"
#define F_PH_TEXT	     "?"
#define F_PH_INT	     "NULLIF(?, 0)"
#define F_PH_DECIMAL	     "NULLIF(?, '')"
#define F_T_TEXT	     "s"
#define F_T_INT		     "i"
#define F_T_DECIMAL	     "s"
#define F_A_TEXT(v)	     ((v) ? (v) : "")
#define F_A_INT(v)	     ((long long)(v))
#define F_A_DECIMAL(v)	     ((v) ? (v) : "")
#define F_R_TEXT(r, name)    db_get_str(r, 0, name)
#define F_R_INT(r, name)     db_get_ll(r, 0, name, 0)
#define F_R_DECIMAL(r, name) db_get_str(r, 0, name)

#endif
