/* The admin resources' shared request flow (resource.h). */
#include <string.h>

#include "api.h"
#include "resource.h"

const char *
resource_path(struct ctx *c, const struct resource *r, long long id, const char *suffix)
{
	return arena_printf(c->a, "%s/%lld%s", r->base, id, suffix);
}

struct db_actor
resource_actor(const struct ctx *c)
{
	return (struct db_actor){
	    .id = c->user->id, .username = c->user->username, .remote_addr = c->req->remote_addr};
}

void
resource_check_plain(struct form *f, const struct field *fd, const void *s)
{
	if (!form_no_controls(FIELD_TEXT_OF(s, fd)))
		form_error(
		    f, fd->name,
		    arena_printf(f->c->a, "The %s may not contain control characters.", fd->label));
}

/* The message of rc in a table ending with rc 0; NULL when rc is not in it. */
static const struct resource_fail *
fail_of(const struct resource_fail *t, int rc)
{
	for (; t && t->rc; t++)
		if (t->rc == rc)
			return t;
	return NULL;
}

int
resource_list(struct ctx *c, const struct resource *r)
{
	struct pager p;
	pager_init(&p, c);
	const char *q = http_query_get(c->req, "q");
	q = q ? str_trim(arena_strdup(c->a, q)) : "";
	if (utf8_length(q) > r->q_max)
		q = "";
	struct db_list rows;
	int rc = db_users_list(c->db, c->a, r->list, q, p.per_page, p.offset, &rows);
	if (rc != DB_OK)
		return rc;
	p.total = rows.total;
	struct json_object *d = json_object_new_object(), *list = json_object_new_array();
	for (size_t i = 0; i < rows.n; i++)
		json_object_array_add(list, r->row_json(c, &rows, i));
	jset_str(d, "title", r->list_title);
	jset_str(d, "q", q);
	jset(d, r->list_key, list);
	jset(d, "pager", pager_json(&p, pager_base_query(c, &p, q)));
	if (!rows.n)
		jset_str(d, "empty", *q || p.total ? "No Results" : "No Data Available");
	return web_render(c, 200, r->list_tmpl, d);
}

/* The stored one of id into *old (in the arena); a status or DB_OK. */
static int
load_id(struct ctx *c, const struct resource *r, long long id, void **old)
{
	*old = arena_alloc(c->a, r->old_size);
	if (!*old)
		return DB_ENOMEM;
	struct resource_old *h = *old;
	struct db_items links, perms;
	int rc = r->get(c, id, h);
	if (rc == DB_OK)
		rc = db_users_read(c->db, c->a, r->links, id, &links);
	if (rc == DB_OK)
		rc = db_users_read(c->db, c->a, r->perms, id, &perms);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	h->id = id;
	h->nlinks = form_item_ids(c, &links, &h->link_ids);
	h->perms = perm_set_of_items(&perms);
	return DB_OK;
}

/* The stored one of the request's id. */
static int
load(struct ctx *c, const struct resource *r, void **old)
{
	return load_id(c, r, c->ids[0], old);
}

int
resource_new(struct ctx *c, const struct resource *r)
{
	struct form f;
	form_init(&f, c);
	field_values(&f, r->fields, r->nfields, (const char *)r->blank + r->old_fields);
	return r->form_page(c, 200, &f, r->blank, NULL);
}

/* The names of the fields, links and permissions a save changes, for the audit log (never
 * a value; a secret when one was typed). */
static const char *
changes(struct ctx *c, const struct resource *r, const void *in, const void *old)
{
	const struct resource_in *i = in;
	const struct resource_old *o = old;
	const void *fi = (const char *)in + r->in_fields;
	struct audit_fields af;
	audit_fields_init(&af, c);
	field_changes(&af, r->fields, r->nfields, (const char *)old + r->old_fields, fi);
	for (size_t k = 0; k < r->nfields; k++)
		if (r->fields[k].kind == FIELD_SECRET)
			audit_field(&af, r->fields[k].name, *FIELD_TEXT_OF(fi, &r->fields[k]) != 0);
	audit_field(&af, r->links_audit,
		    !form_ids_same(i->link_ids, i->nlinks, o->link_ids, o->nlinks));
	audit_field(&af, "permissions", i->perms != o->perms);
	return audit_fields_text(&af);
}

/* A failed save's form again (the dispatcher's callback). */
struct resource_again {
	const struct resource *r;
	const void *old, *in;
};

static int
form_again(struct ctx *c, const struct web_error *e)
{
	const struct resource_again *a = e->arg;
	return a->r->form_page(c, e->status, e->form, a->old, a->in);
}

/* Decodes f's input into the typed input *in by the field table, checks it against a new
 * (blank) or stored old and, when it holds no error, saves it (one transaction); *id gets
 * the id. The same for a form and for the JSON API: field errors go into f; returns DB_OK
 * (errors or not) or an error code. */
static int
check_save(struct form *f, const struct resource *r, const void *old, void **inp, long long *id)
{
	struct ctx *c = f->c;
	void *in = *inp = arena_alloc(c->a, r->in_size);
	if (!in)
		return DB_ENOMEM;
	struct resource_in *h = in;
	struct db_items choices;
	int rc = db_users_read(c->db, c->a, r->choices, 0, &choices);
	if (rc != DB_OK)
		return rc;
	field_decode(f, r->fields, r->nfields, (char *)in + r->in_fields);
	h->nlinks = form_ids(f, r->links_field, &choices, r->links_message, &h->link_ids);
	h->perms = form_permissions(f);
	r->validate(f, in, old);
	if (f->nerrors)
		return DB_OK;
	rc = r->save(c, in, old, changes(c, r, in, old), id);
	const struct resource_fail *e = fail_of(r->save_fails, rc);
	if (e)
		form_error(f, e->field, e->message);
	else if (rc != DB_OK)
		return rc;
	return DB_OK;
}

/* Decodes, validates and saves a new (blank) or stored old; answers the request. */
static int
submit(struct ctx *c, const struct resource *r, const void *old, int is_new)
{
	struct form f;
	void *in = NULL;
	long long id = 0;
	form_init(&f, c);
	int rc = check_save(&f, r, old, &in, &id);
	if (rc != DB_OK)
		return rc;
	if (f.nerrors) {
		struct resource_again a = {r, old, in};
		return web_fail_page(&f, 422, form_again, &a, sizeof(a));
	}
	return web_redirect_flash(
	    c, r->base,
	    arena_printf(c->a, "The %s was %s", r->noun, is_new ? "created" : "updated"));
}

int
resource_create(struct ctx *c, const struct resource *r)
{
	return submit(c, r, r->blank, 1);
}

int
resource_edit(struct ctx *c, const struct resource *r)
{
	void *old;
	int rc = load(c, r, &old);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	field_values(&f, r->fields, r->nfields, (const char *)old + r->old_fields);
	return r->form_page(c, 200, &f, old, NULL);
}

int
resource_update(struct ctx *c, const struct resource *r)
{
	void *old;
	int rc = load(c, r, &old);
	if (rc != DB_OK)
		return rc;
	const char *refusal = r->edit_refusal ? r->edit_refusal(c, old) : NULL;
	if (refusal)
		return web_fail(c, 403, refusal, NULL);
	return submit(c, r, old, 0);
}

/* The "Caution!" page; with error set it explains why the delete cannot happen. */
static int
confirm_page(struct ctx *c, const struct resource *r, int status, const void *old,
	     const char *error)
{
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", arena_printf(c->a, "Delete %s", r->noun));
	jset_str(d, "name", r->name(old));
	jset_str(d, "action", resource_path(c, r, c->ids[0], "/delete"));
	jset_str(d, "back", r->base);
	if (error)
		jset_str(d, "reason", error);
	const char *note = r->delete_note ? r->delete_note(c, old) : NULL;
	if (note)
		jset_str(d, "message", note);
	return web_render(c, status, "confirm_delete", d);
}

/* A refused delete: the confirm page with why, answered by the dispatcher. */
struct confirm_again {
	const struct resource *r;
	const void *old;
};

static int
confirm_again(struct ctx *c, const struct web_error *e)
{
	const struct confirm_again *a = e->arg;
	return confirm_page(c, a->r, e->status, a->old, e->message);
}

static int
delete_refused(struct ctx *c, const struct resource *r, const void *old, const char *why)
{
	struct confirm_again a = {r, old};
	return web_fail_show(c, 409, why, confirm_again, &a, sizeof(a));
}

int
resource_delete_confirm(struct ctx *c, const struct resource *r)
{
	void *old;
	int rc = load(c, r, &old);
	if (rc != DB_OK)
		return rc;
	return confirm_page(c, r, 200, old, r->delete_refusal ? r->delete_refusal(c, old) : NULL);
}

int
resource_delete(struct ctx *c, const struct resource *r)
{
	void *old;
	int rc = load(c, r, &old);
	if (rc != DB_OK)
		return rc;
	const char *refusal = r->delete_refusal ? r->delete_refusal(c, old) : NULL;
	if (refusal)
		return delete_refused(c, r, old, refusal);
	rc = r->remove(c, old);
	const struct resource_fail *e = fail_of(r->delete_fails, rc);
	if (e)
		return delete_refused(c, r, old, e->message);
	if (rc == DB_ENOTFOUND)
		return 404;
	if (rc != DB_OK)
		return rc;
	return web_redirect_flash(c, r->base, arena_printf(c->a, "The %s was deleted.", r->noun));
}

/* ------------------------------------------------------------------ JSON API */

static const char *
api_missing(struct ctx *c, const struct resource *r)
{
	return arena_printf(c->a, "The %s was not found.", r->noun);
}

/* id, the fields (secrets never, not even whether one is set), the link ids, the
 * permission names and what the resource adds. */
static struct json_object *
api_json(struct ctx *c, const struct resource *r, const void *old)
{
	const struct resource_old *h = old;
	const void *fo = (const char *)old + r->old_fields;
	struct json_object *o = json_object_new_object(), *links = json_object_new_array(),
			   *perms = json_object_new_array();
	jset_int(o, "id", h->id);
	for (size_t k = 0; k < r->nfields; k++)
		if (r->fields[k].kind != FIELD_SECRET)
			field_json(c->a, o, &r->fields[k], 1, fo, 0);
	for (size_t i = 0; i < h->nlinks; i++)
		json_object_array_add(links, json_object_new_int64(h->link_ids[i]));
	jset(o, r->links_field, links);
	const char **names = NULL;
	size_t n = perm_names(c->a, h->perms, &names);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(perms, json_object_new_string(names[i]));
	jset(o, "permissions", perms);
	if (r->api_json)
		r->api_json(c, old, o);
	return o;
}

/* The stored id answered with status; 404 when it is gone. */
static int
api_answer(struct ctx *c, const struct resource *r, int status, long long id)
{
	void *old;
	int rc = load_id(c, r, id, &old);
	if (rc == 404)
		return api_not_found(c, api_missing(c, r));
	if (rc != DB_OK)
		return rc;
	return web_json(c, status, api_json(c, r, old));
}

int
resource_api_list(struct ctx *c, const struct resource *r)
{
	struct form f;
	struct api_page p;
	form_init(&f, c);
	api_page_read(&f, &p);
	const char *q = http_query_get(c->req, "filter");
	q = q ? str_trim(arena_strdup(c->a, q)) : "";
	if (utf8_length(q) > r->q_max)
		form_error(
		    &f, "filter",
		    arena_printf(c->a, "The filter may be at most %zu characters.", r->q_max));
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	struct db_list rows;
	int rc = db_users_list(c->db, c->a, r->list, q, p.per_page, p.offset, &rows);
	if (rc != DB_OK)
		return rc;
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows.n; i++) {
		void *old;
		long long id = r->list == DBL_USERS ? rows.users[i].id : rows.groups[i].id;
		rc = load_id(c, r, id, &old);
		if (rc == 404) /* deleted meanwhile */
			continue;
		if (rc != DB_OK)
			return rc;
		json_object_array_add(arr, api_json(c, r, old));
	}
	return web_json(c, 200, api_list(arr, &p, rows.total));
}

int
resource_api_show(struct ctx *c, const struct resource *r)
{
	return api_answer(c, r, 200, c->ids[0]);
}

/* The body decoded into f's input: the field table's members, the links, the permissions
 * and the resource's extras; with old stored (id not 0), a member left out keeps its
 * stored value. 0 or the status answered. */
static int
api_input(struct form *f, struct json_object *obj, const struct resource *r, const void *old)
{
	struct ctx *c = f->c;
	const struct resource_old *h = old;
	const void *fo = (const char *)old + r->old_fields;
	size_t n = 2 + (r->api_extra ? r->napi_extra : 0);
	struct api_field *af = arena_alloc(c->a, n * sizeof(*af));
	if (!af)
		return 500;
	af[0] = (struct api_field){r->links_field, r->links_field, API_IDS};
	af[1] = (struct api_field){"permissions", "permissions", API_NAMES};
	for (size_t i = 2; i < n; i++)
		af[i] = r->api_extra[i - 2];
	int rc = api_form(f, obj, af, n);
	if (rc || (rc = api_form_table(f, obj, r->fields, r->nfields, 0)) != 0)
		return rc;
	for (size_t k = 0; k < r->nfields; k++) {
		const struct field *fd = &r->fields[k];
		const char *v = field_text(c->a, fd, fo);
		if (fd->kind == FIELD_SECRET ||
		    (fd->kind == FIELD_BOOL && (!*v || !strcmp(v, "0"))))
			continue;
		if (h->id || fd->kind == FIELD_BOOL)
			api_form_default(f, obj, fd->name, fd->name, v);
	}
	if (!h->id)
		return 0;
	if (!json_object_object_get_ex(obj, r->links_field, NULL))
		for (size_t i = 0; i < h->nlinks; i++)
			api_form_add(f, r->links_field, arena_printf(c->a, "%lld", h->link_ids[i]));
	if (!json_object_object_get_ex(obj, "permissions", NULL)) {
		const char **names = NULL;
		size_t np = perm_names(c->a, h->perms, &names);
		for (size_t i = 0; i < np; i++)
			api_form_add(f, "permissions", names[i]);
	}
	return 0;
}

/* Create (old the blank one) or update (old stored) from the body; answers the saved one
 * with status, or the field errors (422) through the dispatcher. */
static int
api_put(struct ctx *c, const struct resource *r, const void *old, int status)
{
	struct json_object *obj = NULL;
	struct form f;
	void *in = NULL;
	long long id = 0;
	int rc = api_body(c, &obj);
	if (rc)
		return rc;
	form_init(&f, c);
	if ((rc = api_input(&f, obj, r, old)) != 0)
		return rc;
	/* Type errors first: nothing is checked against the store, nothing saved. */
	if (!f.nerrors && (rc = check_save(&f, r, old, &in, &id)) != DB_OK)
		return rc;
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	return api_answer(c, r, status, id ? id : ((const struct resource_old *)old)->id);
}

int
resource_api_create(struct ctx *c, const struct resource *r)
{
	return api_put(c, r, r->blank, 201);
}

/* The stored one the API changes: 0 with *old, or the answer when it is missing (404) or
 * refused (status, with refuse's message). */
static int
api_load_for(struct ctx *c, const struct resource *r,
	     const char *(*refuse)(struct ctx *, const void *), int status, void **old)
{
	int rc = load(c, r, old);
	if (rc == 404)
		return api_not_found(c, api_missing(c, r));
	if (rc != DB_OK)
		return rc;
	const char *refusal = refuse ? refuse(c, *old) : NULL;
	return refusal ? web_fail(c, status, refusal, NULL) : 0;
}

int
resource_api_update(struct ctx *c, const struct resource *r)
{
	void *old;
	int rc = api_load_for(c, r, r->edit_refusal, 403, &old);
	return rc ? rc : api_put(c, r, old, 200);
}

int
resource_api_delete(struct ctx *c, const struct resource *r)
{
	void *old;
	int rc = api_load_for(c, r, r->delete_refusal, 409, &old);
	if (rc)
		return rc;
	rc = r->remove(c, old);
	const struct resource_fail *e = fail_of(r->delete_fails, rc);
	if (e)
		return web_fail(c, 409, e->message, NULL);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, api_missing(c, r));
	if (rc != DB_OK)
		return rc;
	c->resp->status = 204;
	return 204;
}
