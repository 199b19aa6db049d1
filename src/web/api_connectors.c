/* JSON API: data connectors (with their authorization) and categories. Bodies use the
 * forms' field names and go through the pages' validate-and-save code (save.h); secrets
 * are write-only (a read says whether each is set). The route table checks the same
 * permissions as the pages. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../db/endpoints.h"
#include "api.h"

#define NOT_FOUND_CONNECTOR "The Data Connector does not exist."
#define NOT_FOUND_CATEGORY  "The category does not exist."

/* The members besides those of the field tables (connector_field_table, auth_field_table). */
static const struct api_field DETAIL_EXTRA[] = {
    {"auth_type", "auth_type", API_TEXT},
    {"category_ids", "category_ids", API_IDS},
    {"version", "version", API_TEXT},
};
static const struct api_field AUTH_SECRETS = {"secrets", "secret", API_SECRET_MAP};

/* ------------------------------------------------------------- reading out */

static struct json_object *
category_refs(const struct category *cats, size_t n, int ids)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o =
		    ids ? json_object_new_int64(cats[i].id) : json_object_new_object();
		json_object_array_add(arr, o);
		if (ids)
			continue;
		jset_int(o, "id", cats[i].id);
		jset_str(o, "name", cats[i].name);
		jset_str(o, "status", cats[i].status);
	}
	return arr;
}

static const char *
str_or_empty(const char *s)
{
	return s ? s : "";
}

/* The authorization members: settings as stored, secrets as *_set booleans, the sealed
 * variables by name only. */
static void
auth_members(struct ctx *c, struct json_object *o, const struct db_auth_fields *a)
{
	struct json_object *oa = json_object_new_object();
	field_json(c->a, o, auth_field_table, auth_nfields, a, 0);
	jset_bool(oa, "connected", a->oauth_refresh != NULL);
	jset_str(oa, "subject", a->oauth_subject);
	jset_str(oa, "expires_at", a->oauth_expires_at);
	jset(o, "oauth_connection", oa);
	jset(o, "secrets", words_json(a->variables));
}

/* One connector as the API shows it; DB_ENOTFOUND when it is gone. */
int
api_connector_json(struct ctx *c, long long id, struct json_object **out)
{
	struct connector_full k;
	int rc = db_connector_load(c->db, c->a, id, &k);
	if (rc != DB_OK)
		return rc;
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", id);
	field_json(c->a, o, connector_field_table, connector_nfields, &k.d.v, 0);
	jset_int(o, "version", k.d.version);
	jset(o, "category_ids", category_refs(k.cats, k.ncats, 1));
	jset(o, "categories", category_refs(k.cats, k.ncats, 0));
	auth_members(c, o, &k.auth);
	jset_str(o, "created_at", api_time(c->a, k.d.created_at));
	jset_str(o, "updated_at", api_time(c->a, k.d.updated_at));
	jset_str(o, "created_by", k.d.created_by_name);
	jset_str(o, "updated_by", k.d.updated_by_name);
	*out = o;
	return DB_OK;
}

/* The answer with one connector: status 200 or 201. */
static int
connector_answer(struct ctx *c, int status, long long id)
{
	struct json_object *o = NULL;
	int rc = api_connector_json(c, id, &o);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_CONNECTOR) : rc;
	return web_json(c, status, o);
}

/* ------------------------------------------------------------------ the list */

/* "3,7" -> [{id, name}] through the categories cats[0..ncats). */
static struct json_object *
list_categories(const char *list, const struct category *cats, size_t ncats)
{
	struct json_object *arr = json_object_new_array();
	for (const char *p = list ? list : ""; *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		for (size_t i = 0; i < ncats; i++) {
			if (cats[i].id != v)
				continue;
			struct json_object *o = json_object_new_object();
			jset_int(o, "id", v);
			jset_str(o, "name", cats[i].name);
			json_object_array_add(arr, o);
			break;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return arr;
}

static struct json_object *
list_rows(struct ctx *c, const struct connector_row *rows, size_t n, const struct category *cats,
	  size_t ncats)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_int(o, "id", rows[i].id);
		jset_str(o, "name", rows[i].name);
		jset_str(o, "description", str_or_empty(rows[i].description));
		jset_str(o, "auth_type", rows[i].auth_type);
		jset(o, "categories", list_categories(rows[i].category_ids, cats, ncats));
		jset_int(o, "endpoints", rows[i].endpoints);
		jset_str(o, "created_at", api_time(c->a, rows[i].created_at));
		jset_str(o, "updated_at", api_time(c->a, rows[i].updated_at));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ?filter=&category_id=&order_by=&order_direction= into q; bad values are errors of f. */
static void
list_query(struct form *f, struct connector_query *q)
{
	static const char *const orders[] = {"name", "created_at", "updated_at", NULL};
	static const char *const dirs[] = {"asc", "desc", NULL};
	static const enum connector_sort sorts[][2] = {
	    {CSORT_NAME, CSORT_NAME_DESC},
	    {CSORT_CREATED, CSORT_CREATED_DESC},
	    {CSORT_MODIFIED, CSORT_MODIFIED_DESC},
	};
	const char *s = http_query_get(f->c->req, "filter");
	const char *order = api_query_choice(f, "order_by", orders, "name");
	const char *dir = api_query_choice(f, "order_direction", dirs, "asc");
	long cat = 0;
	s = s ? str_trim(arena_strdup(f->c->a, s)) : "";
	q->q = s ? s : "";
	if (utf8_length(q->q) > 255)
		form_error(f, "filter", "The filter may not be greater than 255 characters.");
	s = http_query_get(f->c->req, "category_id");
	if (s && str_to_long(s, 1, LONG_MAX, &cat) != CORE_OK)
		form_error(f, "category_id", "The category_id must be a positive whole number.");
	q->category_id = cat;
	size_t oi = 0;
	while (orders[oi] && strcmp(orders[oi], order))
		oi++;
	q->sort = sorts[orders[oi] ? oi : 0][strcmp(dir, "desc") == 0];
}

/* Whole answers of GET /api/1.0/data-connectors: a page concern, kept here in web/ (the
 * store keeps only rows). */
static struct cache_query api_list_cache = {.max_entries = 256, .max_bytes = 8u << 20};

int
web_api_connector_list(struct ctx *c)
{
	struct form f;
	struct api_page p;
	struct connector_query q;
	form_init(&f, c);
	api_page_read(&f, &p);
	list_query(&f, &q);
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	q.offset = p.offset;
	q.limit = p.per_page;
	/* The answer as sent, kept by the process under the change counters read with this
	 * request's token and everything the answer depends on (q last: it may hold '|'). */
	const struct db_gens *g = &c->user->gens;
	struct cache *cache = cache_of(&api_list_cache);
	const char *key = cache ? db_connector_list_key(c->a, g, &q, "api") : NULL;
	void *val;
	size_t len;
	if (key && cache_get(cache, key, c->a, &val, &len) == CORE_OK) {
		buf_reset(&c->resp->body);
		buf_append(&c->resp->body, val, len);
		http_resp_header(c->resp, "Content-Type", "application/json");
		c->resp->status = 200;
		return 200;
	}
	struct category *cats;
	struct connector_row *rows = NULL;
	size_t n = 0, ncats = 0;
	long long total = 0;
	int any = 0;
	int rc = db_category_all_cached(c->db, c->a, g, &cats, &ncats);
	if (rc == DB_OK)
		rc = db_connector_list(c->db, c->a, g, &q, &rows, &n, &total, &any);
	if (rc != DB_OK)
		return rc;
	int status = web_json(c, 200, api_list(list_rows(c, rows, n, cats, ncats), &p, total));
	if (key && status == 200 && !c->resp->body.failed)
		cache_put(cache, key, c->resp->body.data, c->resp->body.len);
	return status;
}

/* ------------------------------------------------------------ create and update */

/* A fresh form over the body's members named in fields; 0, or the status answered. */
static int
body_form(struct form *f, struct ctx *c, struct json_object *obj, const struct api_field *fields,
	  size_t n)
{
	form_init(f, c);
	return api_form(f, obj, fields, n);
}

/* A fresh form over the body's Details members. */
static int
details_form(struct form *f, struct ctx *c, struct json_object *obj)
{
	int rc = body_form(f, c, obj, DETAIL_EXTRA, sizeof(DETAIL_EXTRA) / sizeof(DETAIL_EXTRA[0]));
	return rc ? rc : api_form_table(f, obj, connector_field_table, connector_nfields, 0);
}

/* Whether the body has an authorization member other than except (NULL: none). */
static int
has_auth(struct json_object *obj, const char *except)
{
	return api_has_field(obj, auth_field_table, auth_nfields, except) ||
	       json_object_object_get_ex(obj, AUTH_SECRETS.member, NULL);
}

/* Whether the body changes the authorization: a setting other than the type, or a type
 * that is not none. */
static int
wants_auth(struct json_object *obj)
{
	struct json_object *t = NULL;
	if (has_auth(obj, "auth_type"))
		return 1;
	return json_object_object_get_ex(obj, "auth_type", &t) && t &&
	       strcmp(json_object_get_string(t), "none") != 0;
}

/* The authorization form: the body's members over the stored settings (row NULL: a new
 * connector, SSL verification on), with version as given. */
static int
auth_form(struct form *f, struct ctx *c, struct json_object *obj, const struct db_auth_fields *row,
	  long long version)
{
	int rc = body_form(f, c, obj, &AUTH_SECRETS, 1);
	if (rc || (rc = api_form_table(f, obj, auth_field_table, auth_nfields, 0)) != 0)
		return rc;
	for (size_t i = 0; i < auth_nfields; i++) {
		const struct field *fd = &auth_field_table[i];
		const char *v = row ? field_text(c->a, fd, row) : "1";
		if ((fd->flags & FIELD_EXPORT) && (row || fd->kind == FIELD_BOOL))
			api_form_default(f, obj, fd->name, fd->name,
					 *v || fd->kind != FIELD_BOOL ? v : NULL);
	}
	api_form_add(f, "version", arena_printf(c->a, "%lld", version));
	return 0;
}

/* The type errors of every member at once, before anything is checked or saved. */
static int
types_ok(struct ctx *c, struct json_object *obj, int *status)
{
	struct form f;
	*status = details_form(&f, c, obj);
	if (*status == 0)
		*status = api_form(&f, obj, &AUTH_SECRETS, 1);
	if (*status == 0)
		*status = api_form_table(&f, obj, auth_field_table, auth_nfields, 0);
	if (*status == 0 && f.nerrors)
		*status = web_fail_form(&f, 422, NULL);
	return *status == 0;
}

/* The version the body names (0 when missing or not a number: refused as stale). */
static long long
body_version(struct json_object *obj)
{
	struct json_object *v = NULL;
	long out = 0;
	if (!json_object_object_get_ex(obj, "version", &v) || !v ||
	    str_to_long(json_object_get_string(v), 1, LONG_MAX, &out) != CORE_OK)
		return 0;
	return out;
}

/* A create or an update of details and (when asked) authorization: one transaction. */
struct api_save {
	struct ctx *c;
	struct json_object *obj;
	const struct db_auth_fields *row; /* the stored authorization (update) */
	long long id;			  /* 0: create */
	int auth;			  /* the body changes the authorization */
	struct form f;			  /* the errors of the part refused */
};

static int
save_tx(struct db *db, void *arg)
{
	struct api_save *s = arg;
	struct ctx *c = s->c;
	struct connector d;
	long long version = body_version(s->obj) + 1;
	int rc = details_form(&s->f, c, s->obj);
	if (rc == 0)
		rc = connector_submit(&s->f, s->row ? s->id : 0, &s->id);
	if (rc != 0 || !s->auth)
		return rc;
	if (!s->row) {
		if ((rc = db_connector_get(db, c->a, s->id, &d)) != DB_OK)
			return rc;
		version = d.version;
	}
	if ((rc = auth_form(&s->f, c, s->obj, s->row, version)) == 0)
		rc = authorization_submit(&s->f, s->id, 0);
	return rc;
}

/* Checks details and (when the body has any) authorization members together, so one
 * answer lists every problem before anything is saved; 0, or the status answered. */
static int
check_all(struct ctx *c, struct json_object *obj, long long id, const struct db_auth_fields *row,
	  int auth)
{
	struct form f, fa;
	int rc = details_form(&f, c, obj);
	if (rc || ((rc = connector_check(&f, id)) != 0 && rc != 422))
		return web_error_of(rc).status == 404 ? api_not_found(c, NOT_FOUND_CONNECTOR) : rc;
	if (auth && ((rc = auth_form(&fa, c, obj, row, 0)) != 0 ||
		     ((rc = authorization_check(&fa, id, 0)) != 0 && rc != 422)))
		return rc;
	if (auth) {
		json_object_object_foreach(fa.errors, key, val)
		{
			form_error(&f, key, json_object_get_string(val));
		}
	}
	return f.nerrors ? web_fail_form(&f, 422, NULL) : 0;
}

int
web_api_connector_create(struct ctx *c)
{
	struct json_object *obj = NULL;
	int rc = api_body(c, &obj);
	if (rc || !types_ok(c, obj, &rc) || (rc = check_all(c, obj, 0, NULL, wants_auth(obj))))
		return rc;
	struct api_save sv = {.c = c, .obj = obj, .auth = wants_auth(obj)};
	form_init(&sv.f, c);
	if ((rc = db_tx(c->db, save_tx, &sv)) != 0)
		return web_fail_form(&sv.f, rc, NOT_FOUND_CONNECTOR);
	return connector_answer(c, 201, sv.id);
}

int
web_api_connector_show(struct ctx *c)
{
	return connector_answer(c, 200, c->ids[0]);
}

int
web_api_connector_update(struct ctx *c)
{
	struct json_object *obj = NULL;
	struct db_auth_fields row;
	long long id = c->ids[0];
	int auth, rc = api_body(c, &obj);
	if (rc || !types_ok(c, obj, &rc))
		return rc;
	if ((rc = db_connector_auth_read(c->db, c->a, id, &row)) != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_CONNECTOR) : rc;
	auth = has_auth(obj, NULL);
	if ((rc = check_all(c, obj, id, &row, auth)) != 0)
		return rc;
	struct api_save sv = {.c = c, .obj = obj, .row = &row, .id = id, .auth = auth};
	form_init(&sv.f, c);
	if ((rc = db_tx(c->db, save_tx, &sv)) != 0)
		return web_fail_form(&sv.f, rc, NOT_FOUND_CONNECTOR);
	return connector_answer(c, 200, id);
}

int
web_api_connector_delete(struct ctx *c)
{
	struct connector r;
	int rc = db_connector_get(c->db, c->a, c->ids[0], &r);
	if (rc == DB_OK)
		rc = db_connector_delete(c->db, c->ids[0]);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_CONNECTOR) : rc;
	audit_write(c->db, c->user, "connector.delete", "connector", c->ids[0],
		    arena_printf(c->a, "name: %s", r.v.name), c->req->remote_addr);
	c->resp->status = 204;
	return 204;
}

/* ---------------------------------------------------------------- categories */

static struct json_object *
category_json(struct ctx *c, const struct category *k)
{
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", k->id);
	field_json(c->a, o, category_field_table, category_nfields, k, 0);
	jset_int(o, "connectors", k->connectors);
	jset_str(o, "created_at", api_time(c->a, k->created_at));
	jset_str(o, "updated_at", api_time(c->a, k->updated_at));
	return o;
}

static int
category_answer(struct ctx *c, int status, long long id)
{
	struct category k;
	int rc = db_category_get(c->db, c->a, id, &k);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_CATEGORY) : rc;
	return web_json(c, status, category_json(c, &k));
}

int
web_api_category_list(struct ctx *c)
{
	struct form f;
	struct api_page p;
	struct category *k;
	size_t n;
	long long total = 0;
	form_init(&f, c);
	api_page_read(&f, &p);
	const char *q = http_query_get(c->req, "filter");
	q = q ? str_trim(arena_strdup(c->a, q)) : "";
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	int rc = db_category_list(c->db, c->a, q ? q : "", p.offset, p.per_page, &k, &n, &total);
	if (rc != DB_OK)
		return rc;
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, category_json(c, &k[i]));
	return web_json(c, 200, api_list(arr, &p, total));
}

/* Create (id 0) or update from the body. */
static int
category_put(struct ctx *c, long long id, int status)
{
	struct json_object *obj = NULL;
	struct form f;
	int rc = api_body(c, &obj);
	if (rc || (rc = body_form(&f, c, obj, NULL, 0)) != 0 ||
	    (rc = api_form_table(&f, obj, category_field_table, category_nfields, 0)) != 0)
		return rc;
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	if ((rc = category_submit(&f, id, &id)) != 0)
		return web_fail_form(&f, rc, NOT_FOUND_CATEGORY);
	return category_answer(c, status, id);
}

int
web_api_category_create(struct ctx *c)
{
	return category_put(c, 0, 201);
}

int
web_api_category_show(struct ctx *c)
{
	return category_answer(c, 200, c->ids[0]);
}

int
web_api_category_update(struct ctx *c)
{
	return category_put(c, c->ids[0], 200);
}

int
web_api_category_delete(struct ctx *c)
{
	struct category r;
	int rc = db_category_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_CATEGORY) : rc;
	rc = r.connectors > 0 ? DB_EFK : db_category_delete(c->db, c->ids[0]);
	if (rc == DB_EFK)
		return web_fail(c, 409,
				"The category cannot be deleted because Data Connectors use it. "
				"Remove it from them first.",
				NULL);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? api_not_found(c, NOT_FOUND_CATEGORY) : rc;
	audit_write(c->db, c->user, "category.delete", "category", c->ids[0], r.name,
		    c->req->remote_addr);
	c->resp->status = 204;
	return 204;
}
