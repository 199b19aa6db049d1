/* Data connector categories: list with search, create, edit, delete (refused while in use).
 * The route table checks the view/create/edit/delete-data-connector-categories
 * permissions before any of these runs. */
#include <string.h>

#include "../db/store.h"
#include "save.h"

#define CATEGORY_NAME_MAX 255
#define CATEGORIES_PATH	  "/data-connector-categories"

static const char MSG_NAME_CHARS[] =
    "The name may only contain letters, numbers, spaces and apostrophes.";
static const char MSG_NAME_TAKEN[] = "The name has already been taken.";

static const char *
category_path(struct ctx *c, long long id, const char *suffix)
{
	return arena_printf(c->a, CATEGORIES_PATH "/%lld%s", id, suffix);
}

/* The list's rows for the template, with labels and links. */
static struct json_object *
category_rows(struct ctx *c, const struct db_rows *r)
{
	struct json_object *rows = jrows(r);
	for (size_t i = 0; i < r->nrows; i++) {
		struct json_object *o = json_object_array_get_idx(rows, i);
		long long id = db_get_ll(r, i, "id", 0);
		enum category_status st = category_status_parse(db_get(r, i, "status"));
		jset_str(o, "status_label",
			 st < CATEGORY_STATUS__MAX ? category_status_labels[st] : "");
		jset_bool(o, "inactive", st == CATEGORY_INACTIVE);
		jset_bool(o, "in_use", db_get_ll(r, i, "connectors", 0) > 0);
		jset_str(o, "url", category_path(c, id, ""));
		jset_str(o, "delete_url", category_path(c, id, "/delete"));
	}
	return rows;
}

int
web_category_list(struct ctx *c)
{
	const char *q = http_query_get(c->req, "q");
	q = q ? str_trim(arena_strdup(c->a, q)) : "";
	struct pager p;
	pager_init(&p, c);
	struct db_rows r;
	int rc = db_category_list(c->db, c->a, q, p.offset, p.per_page, &r, &p.total);
	if (rc != DB_OK)
		return rc;
	const char *qp = form_query_param(c, "q", q);
	const char *base = arena_printf(c->a, "per_page=%ld%s%s", p.per_page, *qp ? "&" : "", qp);
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Data Connector Categories");
	jset_str(d, "q", q);
	jset(d, "rows", category_rows(c, &r));
	jset_bool(d, "has_rows", r.nrows > 0);
	jset_bool(d, "empty_all", p.total == 0 && !*q);
	jset_bool(d, "no_results", r.nrows == 0 && (*q || p.total > 0));
	jset(d, "pager", pager_json(&p, base));
	return web_render(c, 200, "categories_list", d);
}

/* Renders the create (id 0) or edit form; read-only for someone who may not save it. */
static int
category_form_page(struct ctx *c, int status, struct form *f, long long id, enum category_status st)
{
	struct json_object *d = json_object_new_object();
	int is_new = id == 0;
	jset_str(d, "title", is_new ? "New Category" : "Edit Category");
	jset_bool(d, "is_new", is_new);
	jset_str(d, "action", is_new ? CATEGORIES_PATH : category_path(c, id, ""));
	jset_bool(d, "may_save", is_new || perm_has(c->user, PERM_EDIT_CATEGORIES));
	if (!is_new)
		jset_str(d, "delete_url", category_path(c, id, "/delete"));
	jset(d, "statuses",
	     form_select(category_status_names, category_status_labels, CATEGORY_STATUS__MAX,
			 category_status_names[st]));
	form_put(f, d);
	return web_render(c, status, "categories_form", d);
}

/* Name and status from the form; messages go beside their fields. */
static void
category_read(struct form *f, const char **name, enum category_status *st)
{
	*name = form_required(f, "name", "name", CATEGORY_NAME_MAX);
	if (**name && !valid_name_chars(*name))
		form_error(f, "name", MSG_NAME_CHARS);
	const char *s = form_text(f, "status");
	*st = category_status_parse(s ? s : "active");
	if (*st == CATEGORY_STATUS__MAX) {
		form_error(f, "status", "The selected status is invalid.");
		*st = CATEGORY_ACTIVE;
	}
}

int
web_category_new(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	return category_form_page(c, 200, &f, 0, CATEGORY_ACTIVE);
}

/* Reads, checks and saves (id 0 creates; old: the stored row of an update) and writes the
 * audit log; 0 when saved, 422 with errors in f, else a status. Shared with the JSON API. */
static int
category_save(struct form *f, long long id, const struct db_rows *old, enum category_status *st,
	      long long *out_id)
{
	const char *name;
	category_read(f, &name, st);
	if (f->nerrors)
		return 422;
	struct ctx *c = f->c;
	struct audit_fields af;
	audit_fields_init(&af, c);
	audit_field(&af, "name", id && strcmp(name, db_get(old, 0, "name")) != 0);
	audit_field(&af, "status",
		    id && strcmp(category_status_names[*st], db_get(old, 0, "status")) != 0);
	struct db_audit au = web_audit(c, id ? "category.update" : "category.create", "category",
				       id, id ? audit_fields_text(&af) : "name, status");
	*out_id = id;
	int rc = id ? db_category_update(c->db, id, name, *st, &au)
		    : db_category_create(c->db, name, *st, out_id, &au);
	if (rc == DB_EDUP) {
		form_error(f, "name", MSG_NAME_TAKEN);
		return 422;
	}
	if (rc != DB_OK)
		return rc;
	return 0;
}

int
category_submit(struct form *f, long long id, long long *out_id)
{
	struct db_rows old;
	enum category_status st;
	memset(&old, 0, sizeof(old));
	if (id) {
		int rc = db_category_get(f->c->db, f->c->a, id, &old);
		if (rc != DB_OK)
			return rc;
	}
	return category_save(f, id, &old, &st, out_id);
}

int
web_category_create(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	enum category_status st;
	long long id = 0;
	int rc = category_save(&f, 0, NULL, &st, &id);
	if (rc == 422)
		return category_form_page(c, 422, &f, 0, st);
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, CATEGORIES_PATH, "The category was created");
}

int
web_category_edit(struct ctx *c)
{
	struct db_rows r;
	int rc = db_category_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	jset_str(f.values, "name", db_get(&r, 0, "name"));
	enum category_status st = category_status_parse(db_get(&r, 0, "status"));
	return category_form_page(c, 200, &f, c->ids[0],
				  st < CATEGORY_STATUS__MAX ? st : CATEGORY_ACTIVE);
}

int
web_category_update(struct ctx *c)
{
	struct db_rows old;
	int rc = db_category_get(c->db, c->a, c->ids[0], &old);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	enum category_status st;
	long long id = 0;
	rc = category_save(&f, c->ids[0], &old, &st, &id);
	if (rc == 422)
		return category_form_page(c, 422, &f, c->ids[0], st);
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, CATEGORIES_PATH, "The category was saved");
}

/* The confirm page; a category in use says why it cannot go and offers no button. */
static int
category_delete_page(struct ctx *c, int status, const struct db_rows *r)
{
	long long used = db_get_ll(r, 0, "connectors", 0);
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Delete Category");
	jset_str(d, "name", db_get(r, 0, "name"));
	jset_str(d, "action", category_path(c, c->ids[0], "/delete"));
	jset_str(d, "back", CATEGORIES_PATH);
	jset_bool(d, "in_use", used > 0);
	if (used > 0)
		jset_str(d, "reason",
			 arena_printf(c->a,
				      "This category cannot be deleted because %lld Data "
				      "Connector%s %s it. Remove it from %s first.",
				      used, used == 1 ? "" : "s", used == 1 ? "uses" : "use",
				      used == 1 ? "that connector" : "those connectors"));
	return web_render(c, status, "categories_delete", d);
}

int
web_category_delete_confirm(struct ctx *c)
{
	struct db_rows r;
	int rc = db_category_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc;
	return category_delete_page(c, 200, &r);
}

int
web_category_delete(struct ctx *c)
{
	struct db_rows r;
	int rc = db_category_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc;
	if (db_get_ll(&r, 0, "connectors", 0) > 0)
		return category_delete_page(c, 409, &r);
	rc = db_category_delete(c->db, c->ids[0]);
	if (rc == DB_EFK) {
		/* A connector took it up since the page was read: show why, fresh. */
		if (db_category_get(c->db, c->a, c->ids[0], &r) == DB_OK)
			return category_delete_page(c, 409, &r);
		return 409;
	}
	if (rc != DB_OK)
		return rc;
	audit_write(c->db, c->user, "category.delete", "category", c->ids[0], db_get(&r, 0, "name"),
		    c->req->remote_addr);
	return web_redirect_flash(c, CATEGORIES_PATH, "The category was deleted");
}
