/* Data connector categories: list with search, create, edit, delete (refused while in use).
 * The route table checks the view/create/edit/delete-data-connector-categories
 * permissions before any of these runs. */
#include <stddef.h>
#include <string.h>

#include "../db/store.h"
#include "save.h"

#define CATEGORIES_PATH "/data-connector-categories"

static const char MSG_NAME_TAKEN[] = "The name has already been taken.";

/* The category's fields over struct category. */
const struct field category_field_table[] = {
    {.name = "name",
     .kind = FIELD_TEXT,
     .min = 1,
     .max = 255,
     .label = "name",
     .off = offsetof(struct category, name),
     .check = field_check_name},
    {.name = "status",
     .kind = FIELD_CHOICE,
     .label = "status",
     .off = offsetof(struct category, status),
     .choices = category_status_names,
     .nchoices = CATEGORY_STATUS__MAX},
};
const size_t category_nfields = sizeof(category_field_table) / sizeof(category_field_table[0]);

static const char *
category_path(struct ctx *c, long long id, const char *suffix)
{
	return arena_printf(c->a, CATEGORIES_PATH "/%lld%s", id, suffix);
}

/* The list's rows for the template, with labels and links. */
static struct json_object *
category_rows(struct ctx *c, const struct category *k, size_t n)
{
	struct json_object *rows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		enum category_status st = category_status_parse(k[i].status);
		field_json(c->a, o, category_field_table, category_nfields, &k[i], 0);
		jset_int(o, "id", k[i].id);
		jset_int(o, "connectors", k[i].connectors);
		jset_str(o, "created_at", k[i].created_at);
		jset_str(o, "updated_at", k[i].updated_at);
		jset_str(o, "status_label",
			 st < CATEGORY_STATUS__MAX ? category_status_labels[st] : "");
		jset_bool(o, "inactive", st == CATEGORY_INACTIVE);
		jset_bool(o, "in_use", k[i].connectors > 0);
		jset_str(o, "url", category_path(c, k[i].id, ""));
		jset_str(o, "delete_url", category_path(c, k[i].id, "/delete"));
		json_object_array_add(rows, o);
	}
	return rows;
}

/* Column header links: a click sorts by it, a second click reverses; aria-sort marks the
 * current one. */
static struct json_object *
category_sort_links(struct ctx *c, const char *state, enum category_sort cur)
{
	static const struct {
		const char *key;
		enum category_sort asc, desc;
	} cols[] = {
	    {"name", CATSORT_NAME, CATSORT_NAME_DESC},
	    {"status", CATSORT_STATUS, CATSORT_STATUS_DESC},
	    {"connectors", CATSORT_CONNECTORS, CATSORT_CONNECTORS_DESC},
	    {"modified", CATSORT_MODIFIED, CATSORT_MODIFIED_DESC},
	    {"created", CATSORT_CREATED, CATSORT_CREATED_DESC},
	};
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		struct json_object *l = json_object_new_object();
		enum category_sort next = cur == cols[i].asc ? cols[i].desc : cols[i].asc;
		jset_str(l, "url",
			 arena_printf(c->a, CATEGORIES_PATH "?%s&sort=%s", state,
				      category_sort_names[next]));
		if (cur == cols[i].asc)
			jset_str(l, "aria", "ascending");
		else if (cur == cols[i].desc)
			jset_str(l, "aria", "descending");
		jset(o, cols[i].key, l);
	}
	return o;
}

int
web_category_list(struct ctx *c)
{
	const char *q = http_query_get(c->req, "q");
	q = q ? str_trim(arena_strdup(c->a, q)) : "";
	struct pager p;
	pager_init(&p, c);
	struct category *k;
	size_t n;
	enum category_sort sort = category_sort_parse(http_query_get(c->req, "sort"));
	if (sort == CATSORT__MAX)
		sort = CATSORT_NAME;
	int rc =
	    db_category_list_sorted(c->db, c->a, q, sort, p.offset, p.per_page, &k, &n, &p.total);
	if (rc != DB_OK)
		return rc;
	const char *qp = form_query_param(c, "q", q);
	const char *plain = arena_printf(c->a, "per_page=%ld%s%s", p.per_page, *qp ? "&" : "", qp);
	const char *base = arena_printf(c->a, "%s&sort=%s", plain, category_sort_names[sort]);
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Data Connector Categories");
	jset_str(d, "q", q);
	jset(d, "rows", category_rows(c, k, n));
	jset_bool(d, "has_rows", n > 0);
	jset_bool(d, "empty_all", p.total == 0 && !*q);
	jset_bool(d, "no_results", n == 0 && (*q || p.total > 0));
	jset(d, "pager", pager_json(&p, base));
	jset_str(d, "sort", category_sort_names[sort]);
	jset(d, "sort_links", category_sort_links(c, plain, sort));
	return web_render(c, 200, "categories_list", d);
}

/* Renders the create (id 0) or edit form; read-only for someone who may not save it. */
static int
category_form_page(struct ctx *c, int status, struct form *f, long long id, enum category_status st)
{
	struct json_object *d = json_object_new_object();
	int is_new = id == 0;
	int may_save = is_new || perm_has(c->user, PERM_EDIT_CATEGORIES);
	jset_str(d, "title", is_new ? "New Category" : may_save ? "Edit Category" : "Category");
	jset_bool(d, "is_new", is_new);
	jset_str(d, "action", is_new ? CATEGORIES_PATH : category_path(c, id, ""));
	jset_bool(d, "may_save", may_save);
	if (!is_new)
		jset_str(d, "delete_url", category_path(c, id, "/delete"));
	jset(d, "statuses",
	     form_select(category_status_names, category_status_labels, CATEGORY_STATUS__MAX,
			 category_status_names[st]));
	form_put(f, d);
	return web_render(c, status, "categories_form", d);
}

int
web_category_new(struct ctx *c)
{
	struct form f;
	form_init(&f, c);
	return category_form_page(c, 200, &f, 0, CATEGORY_ACTIVE);
}

/* Reads, checks and saves (id 0 creates; old: the stored category of an update) and writes
 * the audit log; 0 when saved, 422 with errors in f, else a status. Shared with the JSON API. */
static int
category_save(struct form *f, const struct category *old, struct category *in, long long *out_id)
{
	memset(in, 0, sizeof(*in));
	field_decode(f, category_field_table, category_nfields, in);
	if (f->nerrors)
		return 422;
	struct ctx *c = f->c;
	enum category_status st = category_status_parse(in->status);
	struct audit_fields af;
	audit_fields_init(&af, c);
	field_changes(&af, category_field_table, category_nfields, old, in);
	struct db_audit au =
	    web_audit(c, old->id ? "category.update" : "category.create", "category", old->id,
		      old->id ? audit_fields_text(&af) : "name, status");
	*out_id = old->id;
	int rc = old->id ? db_category_update(c->db, old->id, in->name, st, &au)
			 : db_category_create(c->db, in->name, st, out_id, &au);
	if (rc == DB_EDUP) {
		form_error(f, "name", MSG_NAME_TAKEN);
		return 422;
	}
	return rc;
}

int
category_submit(struct form *f, long long id, long long *out_id)
{
	struct category old, in;
	memset(&old, 0, sizeof(old));
	int rc = id ? db_category_get(f->c->db, f->c->a, id, &old) : DB_OK;
	return rc != DB_OK ? rc : category_save(f, &old, &in, out_id);
}

/* A refused save's form again (the dispatcher's callback): the category and the status
 * chosen. */
struct category_again {
	long long id;
	enum category_status st;
};

static int
category_form_again(struct ctx *c, const struct web_error *e)
{
	const struct category_again *a = e->arg;
	return category_form_page(c, e->status, e->form, a->id, a->st);
}

/* Saves, or has the form shown again after a refused save (old: the stored category; id 0
 * for a new one). */
static int
category_submit_page(struct ctx *c, const struct category *old, const char *done)
{
	struct form f;
	struct category in;
	long long id = 0;
	form_init(&f, c);
	int rc = category_save(&f, old, &in, &id);
	if (rc == 422) {
		struct category_again a = {old->id, category_status_parse(in.status)};
		return web_fail_page(&f, rc, category_form_again, &a, sizeof(a));
	}
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, CATEGORIES_PATH, done);
}

int
web_category_create(struct ctx *c)
{
	struct category blank;
	memset(&blank, 0, sizeof(blank));
	blank.name = blank.status = "";
	return category_submit_page(c, &blank, "The category was created");
}

int
web_category_edit(struct ctx *c)
{
	struct category r;
	int rc = db_category_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	field_values(&f, category_field_table, category_nfields, &r);
	enum category_status st = category_status_parse(r.status);
	return category_form_page(c, 200, &f, c->ids[0],
				  st < CATEGORY_STATUS__MAX ? st : CATEGORY_ACTIVE);
}

int
web_category_update(struct ctx *c)
{
	struct category old;
	int rc = db_category_get(c->db, c->a, c->ids[0], &old);
	return rc != DB_OK ? rc : category_submit_page(c, &old, "The category was saved");
}

/* The confirm page; a category in use says why it cannot go and offers no button. */
static int
category_delete_page(struct ctx *c, int status, const struct category *r)
{
	long long used = r->connectors;
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Delete Category");
	jset_str(d, "name", r->name);
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
	return web_render(c, status, "confirm_delete", d);
}

int
web_category_delete_confirm(struct ctx *c)
{
	struct category r;
	int rc = db_category_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc;
	return category_delete_page(c, 200, &r);
}

/* The confirm page of a category in use (the dispatcher's page; arg: the category). */
static int
category_delete_again(struct ctx *c, const struct web_error *e)
{
	return category_delete_page(c, e->status, e->arg);
}

int
web_category_delete(struct ctx *c)
{
	struct category r;
	int rc = db_category_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc;
	if (r.connectors > 0)
		return web_fail_show(c, 409, NULL, category_delete_again, &r, sizeof(r));
	rc = db_category_delete(c->db, c->ids[0]);
	if (rc == DB_EFK) {
		/* A connector took it up since the page was read: show why, fresh. */
		if (db_category_get(c->db, c->a, c->ids[0], &r) == DB_OK)
			return web_fail_show(c, 409, NULL, category_delete_again, &r, sizeof(r));
		return 409;
	}
	if (rc != DB_OK)
		return rc;
	audit_write(c->db, c->user, "category.delete", "category", c->ids[0], r.name,
		    c->req->remote_addr);
	return web_redirect_flash(c, CATEGORIES_PATH, "The category was deleted");
}
