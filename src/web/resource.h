/* One skeleton for the admin resources that are a row with links and permissions (users,
 * groups): list with search, new, create, edit, update, delete confirm and delete. Each
 * resource fills a table of callbacks over its own stored (old) and submitted (input)
 * structs; the skeleton owns the request flow, the 404s, the 422 re-render and the
 * redirects. */
#ifndef DCGATE_WEB_RESOURCE_H
#define DCGATE_WEB_RESOURCE_H

#include "../db/users.h"
#include "form.h"

struct api_field;

/* A save or delete result code shown beside a field (save) or on the confirm page. */
struct resource_fail {
	int rc;
	const char *field; /* NULL on the confirm page */
	const char *message;
};

/* What every stored resource has: the first member of its old struct. */
struct resource_old {
	long long id;	     /* 0 for a new one */
	long long *link_ids; /* a user's groups, a group's members */
	size_t nlinks;
	perm_set perms; /* its own (direct) permissions */
};
/* What every submitted one has: the first member of its input struct. */
struct resource_in {
	long long *link_ids;
	size_t nlinks;
	perm_set perms;
};

struct resource {
	const char *base;	/* "/admin/users" */
	const char *noun;	/* "user": "The user was created", "Delete user" */
	const char *list_title; /* "Users" */
	const char *list_tmpl;	/* "users_list" */
	const char *list_key;	/* "users": the rows' key in the list template */
	size_t q_max;		/* longest search text */
	size_t old_size, in_size;
	const void *blank;		 /* the old of a new one */
	enum db_users_list list;	 /* its list page's statement */
	enum db_users_read links, perms; /* its link ids and permissions */
	enum db_users_read choices;	 /* the rows its link ids must be one of */
	const char *links_field;	 /* "group_ids" */
	const char *links_message;	 /* the field's error for an id not in choices */
	const char *links_audit;	 /* "groups": the links' name in the audit log */
	/* Its field table (src/db/user_fields.h) and where the values of its fields are in
	 * old and in: the form's values, decoding, checks and the audit's changed names. */
	const struct field *fields;
	size_t nfields, old_fields, in_fields;
	struct json_object *(*row_json)(const struct ctx *c, const struct db_list *l, size_t i);
	/* Reads the stored row into old (its links and permissions are read for it);
	 * DB_ENOTFOUND when missing. */
	int (*get)(struct ctx *c, long long id, void *old);
	/* Its name, for the confirm page and the delete's audit row. */
	const char *(*name)(const void *old);
	/* The create/edit page; in is NULL on the first rendering. */
	int (*form_page)(struct ctx *c, int status, struct form *f, const void *old,
			 const void *in);
	/* Judges in (its fields, links and permissions decoded and checked by the table)
	 * against old: field errors into f. */
	void (*validate)(struct form *f, void *in, const void *old);
	/* Writes in as ONE transaction with changed (the audit's names); *id gets the id. 0
	 * or an error code (500 on a failure before the database). */
	int (*save)(struct ctx *c, const void *in, const void *old, const char *changed,
		    long long *id);
	const struct resource_fail *save_fails; /* ends with rc 0 */
	/* Refusals: why this user may not edit (403) or delete (409) old; NULL when they
	 * may. Either may be NULL. */
	const char *(*edit_refusal)(struct ctx *c, const void *old);
	const char *(*delete_refusal)(struct ctx *c, const void *old);
	/* A note on the confirm page (may be NULL). */
	const char *(*delete_note)(struct ctx *c, const void *old);
	int (*remove)(struct ctx *c, const void *old);
	const struct resource_fail *delete_fails; /* ends with rc 0 */
	/* The JSON API (/api/1.0/users, /api/1.0/groups): members of the body beyond the field
	 * table, the links and the permissions (a user's current_password; may be NULL), and
	 * what an answer adds to id, the fields (secrets never), the links and the permissions
	 * (created_at...; may be NULL). */
	const struct api_field *api_extra;
	size_t napi_extra;
	void (*api_json)(struct ctx *c, const void *old, struct json_object *o);
};

/* "/admin/users/12/delete" from base, id and suffix. */
const char *resource_path(struct ctx *c, const struct resource *r, long long id,
			  const char *suffix);
/* Who acts, for the audit row of a db-layer save. */
struct db_actor resource_actor(const struct ctx *c);
/* The users' field table (src/db/user_fields.h; src/web/users.c). */
extern const struct field user_field_table[];
extern const size_t user_nfields;
/* The check of a text field of the admin forms: no control characters. */
void resource_check_plain(struct form *f, const struct field *fd, const void *s);

int resource_list(struct ctx *c, const struct resource *r);
int resource_new(struct ctx *c, const struct resource *r);
int resource_create(struct ctx *c, const struct resource *r);
int resource_edit(struct ctx *c, const struct resource *r);
int resource_update(struct ctx *c, const struct resource *r);
int resource_delete_confirm(struct ctx *c, const struct resource *r);
int resource_delete(struct ctx *c, const struct resource *r);

/* The JSON API over the same decode, checks, save and delete as the pages: a page of the
 * list, one, create (201), update (PUT: a member left out keeps its stored value) and
 * delete (204); errors through the dispatcher as {message, errors}. */
int resource_api_list(struct ctx *c, const struct resource *r);
int resource_api_show(struct ctx *c, const struct resource *r);
int resource_api_create(struct ctx *c, const struct resource *r);
int resource_api_update(struct ctx *c, const struct resource *r);
int resource_api_delete(struct ctx *c, const struct resource *r);

/* The seven route handlers web_NAME_list, _new, _create, _edit, _update, _delete_confirm
 * and _delete of resource r, and its API's web_api_NAME_list, _show, _create, _update and
 * _delete. */
// clang-format off
#define RESOURCE_HANDLERS(name, r)                                                        \
	int web_##name##_list(struct ctx *c) { return resource_list(c, r); }                 \
	int web_##name##_new(struct ctx *c) { return resource_new(c, r); }                   \
	int web_##name##_create(struct ctx *c) { return resource_create(c, r); }             \
	int web_##name##_edit(struct ctx *c) { return resource_edit(c, r); }                 \
	int web_##name##_update(struct ctx *c) { return resource_update(c, r); }             \
	int web_##name##_delete_confirm(struct ctx *c) { return resource_delete_confirm(c, r); } \
	int web_##name##_delete(struct ctx *c) { return resource_delete(c, r); }             \
	int web_api_##name##_list(struct ctx *c) { return resource_api_list(c, r); }         \
	int web_api_##name##_show(struct ctx *c) { return resource_api_show(c, r); }         \
	int web_api_##name##_create(struct ctx *c) { return resource_api_create(c, r); }     \
	int web_api_##name##_update(struct ctx *c) { return resource_api_update(c, r); }     \
	int web_api_##name##_delete(struct ctx *c) { return resource_api_delete(c, r); }
// clang-format on

#endif
