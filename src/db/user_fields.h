/* The fields of a user and of a group, each listed once: X(name, kind, min, max, label,
 * check, flags). name is the column, the form field and the JSON member; kind is how it is typed,
 * stored and shown:
 *   TEXT    text of at most max characters (required when min > 0);
 *   BOOL    a checkbox (int 0 or 1);
 *   SECRET  write-only text of min to max characters, stored as its hash in the column
 *           <name>_hash; read back only as "set" or "" (never the hash).
 * label is what messages call it; check is the validator (src/web/resource.c, users.c) run
 * on the decoded value, NULL for none beyond the kind's; flags FIELD_EXPORT puts it in the
 * JSON API's answer about a user (/api/1.0/users/me; lists and the profile show all but
 * secrets). This list drives the members of
 * struct user_fields and struct group_fields, the statements and their binding
 * (src/db/users.c), and the field tables behind the forms, the JSON answers and the audit
 * log (src/web/users.c, groups.c). */
#ifndef DCGATE_DB_USER_FIELDS_H
#define DCGATE_DB_USER_FIELDS_H

#define USER_FIELDS(X)                                                                             \
	X(username, TEXT, 1, 255, "username", resource_check_plain, FIELD_EXPORT)                  \
	X(display_name, TEXT, 0, 255, "display name", resource_check_plain, FIELD_EXPORT)          \
	X(email, TEXT, 0, 255, "email", user_check_email, FIELD_EXPORT)                            \
	X(password, SECRET, 8, 1024, "password", NULL, 0)                                          \
	X(is_active, BOOL, 0, 1, "active", NULL, 0)                                                \
	X(is_super_admin, BOOL, 0, 1, "super admin", NULL, FIELD_EXPORT)

#define GROUP_FIELDS(X)                                                                            \
	X(name, TEXT, 1, 255, "name", resource_check_plain, FIELD_EXPORT)                          \
	X(description, TEXT, 0, 1000, "description", NULL, FIELD_EXPORT)

/* The C type of a value of each kind. */
#define USER_CTYPE_TEXT	  const char *
#define USER_CTYPE_BOOL	  int
#define USER_CTYPE_SECRET const char *

#define USER_MEMBER(n, k, ...) USER_CTYPE_##k n;
/* The values of a user's fields ("" and 0 for none; password: as typed, or "set"). */
struct user_fields {
	USER_FIELDS(USER_MEMBER)
};
struct group_fields {
	GROUP_FIELDS(USER_MEMBER)
};

#endif
