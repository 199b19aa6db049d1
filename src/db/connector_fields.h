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

#endif
