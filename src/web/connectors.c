/* Data connectors: the list (search, category filter, sort, pages), create, the Details
 * tab (saved with the connector's version, so a stale save is refused) and delete. The
 * route table checks the view/create/edit/delete-data-connectors permissions first. */
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../db/store.h"
#include "save.h"

#define CONNECTORS_PATH "/data-connectors"

static const char MSG_NAME_TAKEN[] = "The name has already been taken.";
static const char MSG_CATEGORY_INVALID[] = "The selected category is invalid.";
static const char MSG_CATEGORY_INACTIVE[] =
    "The selected category is inactive and cannot be assigned.";
static const char MSG_STALE[] = "This Data Connector was changed by someone else. Your changes "
				"were not saved; reload to see the latest version.";

/* The stored connector a page shows; id 0 for a new one. */
struct connector_old {
	long long id;
	struct connector row;
	long long *cat_ids; /* its categories */
	size_t ncats;
};

static void connector_check_rate(struct form *f, const struct field *fd, const void *s);

/* The Details fields (src/db/connector_fields.h), values in a struct connector_fields. */
#define F_ENTRY(...) FIELD_ENTRY(connector_fields, __VA_ARGS__, FIELD_EXPORT)
const struct field connector_field_table[] = {CONNECTOR_FIELDS(F_ENTRY)};
const size_t connector_nfields = sizeof(connector_field_table) / sizeof(connector_field_table[0]);

static const char *
connector_path(struct ctx *c, long long id, const char *suffix)
{
	return arena_printf(c->a, CONNECTORS_PATH "/%lld%s", id, suffix);
}

static const char *
auth_label(const char *name)
{
	int i = connector_auth_index(name);
	return i >= 0 ? connector_auth_labels[i] : "";
}

static int
id_listed(const long long *ids, size_t n, long long id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* ---------------------------------------------------------------------- the list */

/* ?q=&category=&sort=&page=&per_page= with bounds; unknown values fall back to defaults. */
static void
list_query(struct ctx *c, struct connector_query *q, struct pager *p)
{
	const char *s = http_query_get(c->req, "q");
	q->q = s ? str_trim(arena_strdup(c->a, s)) : "";
	long v;
	q->category_id = 0;
	if (str_to_long(http_query_get(c->req, "category"), 1, LONG_MAX, &v) == CORE_OK)
		q->category_id = v;
	q->sort = connector_sort_parse(http_query_get(c->req, "sort"));
	if (q->sort == CSORT__MAX)
		q->sort = CSORT_NAME;
	pager_init(p, c);
	q->offset = p->offset;
	q->limit = p->per_page;
}

/* "per_page=25&q=..&category=..&sort=.." for links that keep the list's state. */
static const char *
list_state(struct ctx *c, const struct connector_query *q, long per_page, const char *sort)
{
	struct buf *b = arena_alloc(c->a, sizeof(*b)); /* freed with the arena, never on a stack */
	if (!b || buf_init_arena(b, c->a) != 0)
		return "";
	buf_printf(b, "per_page=%ld", per_page);
	const char *qp = form_query_param(c, "q", q->q);
	if (*qp)
		buf_printf(b, "&%s", qp);
	if (q->category_id)
		buf_printf(b, "&category=%lld", q->category_id);
	if (sort)
		buf_printf(b, "&sort=%s", sort);
	return b->failed ? "" : b->data;
}

/* Column header links: a click sorts by it, a second click reverses; aria-sort marks the
 * current one. */
static struct json_object *
sort_links(struct ctx *c, const struct connector_query *q, long per_page)
{
	static const struct {
		const char *key;
		enum connector_sort asc, desc;
	} cols[] = {
	    {"name", CSORT_NAME, CSORT_NAME_DESC},
	    {"modified", CSORT_MODIFIED, CSORT_MODIFIED_DESC},
	    {"created", CSORT_CREATED, CSORT_CREATED_DESC},
	    {"description", CSORT_DESCRIPTION, CSORT_DESCRIPTION_DESC},
	    {"category", CSORT_CATEGORY, CSORT_CATEGORY_DESC},
	    {"authorization", CSORT_AUTH, CSORT_AUTH_DESC},
	    {"endpoints", CSORT_ENDPOINTS, CSORT_ENDPOINTS_DESC},
	};
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		struct json_object *l = json_object_new_object();
		enum connector_sort next = q->sort == cols[i].asc ? cols[i].desc : cols[i].asc;
		jset_str(l, "url",
			 arena_printf(c->a, CONNECTORS_PATH "?%s",
				      list_state(c, q, per_page, connector_sort_names[next])));
		if (q->sort == cols[i].asc)
			jset_str(l, "aria", "ascending");
		else if (q->sort == cols[i].desc)
			jset_str(l, "aria", "descending");
		jset(o, cols[i].key, l);
	}
	return o;
}

/* The category filter's options, the chosen one selected. */
static struct json_object *
filter_options(const struct category *cats, size_t n, long long chosen)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_int(o, "id", cats[i].id);
		jset_str(o, "name", cats[i].name);
		jset_bool(o, "selected", cats[i].id == chosen);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* "Alpha, Beta": the names of the categories in a "3,7" id list, in name order (cats are). */
static const char *
category_names(struct ctx *c, const struct category *cats, size_t ncats, const char *list)
{
	long long ids[64];
	size_t n = 0;
	for (const char *p = list; *p && n < sizeof(ids) / sizeof(ids[0]);) {
		char *end;
		ids[n++] = strtoll(p, &end, 10);
		p = *end == ',' ? end + 1 : "";
	}
	struct buf *b = arena_alloc(c->a, sizeof(*b));
	if (!n || !b || buf_init_arena(b, c->a) != 0)
		return "";
	for (size_t i = 0; i < ncats; i++) {
		if (!id_listed(ids, n, cats[i].id))
			continue;
		if (b->len)
			buf_puts(b, ", ");
		buf_puts(b, cats[i].name);
	}
	return b->failed || !b->data ? "" : b->data;
}

static struct json_object *
list_rows(struct ctx *c, const struct connector_row *rows, size_t n, const struct category *cats,
	  size_t ncats)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct connector_row *r = &rows[i];
		struct json_object *o = json_object_new_object();
		jset_int(o, "id", r->id);
		jset_str(o, "name", r->name);
		jset_str(o, "description", r->description);
		jset_str(o, "auth_label", auth_label(r->auth_type));
		jset_str(o, "categories", category_names(c, cats, ncats, r->category_ids));
		jset_int(o, "endpoints", r->endpoints);
		jset_str(o, "created_at", r->created_at);
		jset_str(o, "updated_at", r->updated_at);
		jset_str(o, "url", connector_path(c, r->id, ""));
		jset_str(o, "delete_url", connector_path(c, r->id, "/delete"));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* Each worker's last list page as the template reads it (rows, category filter, totals),
 * under a key of the change counters read with this request's session and the query: a
 * worker that serves the same page again builds no json for it. Its main content rendered
 * as HTML is kept too, for the permissions and templates it was rendered with: rendering
 * 25 rows is most of a list request's time, and nothing in it depends on the user but the
 * permissions. json-c objects are not shared between threads, so each worker keeps its
 * own, freed when the thread ends. */
struct list_memo {
	char *key;
	struct json_object *rows, *filter;
	long long total;
	int any;
	size_t n;
	char *html; /* connectors_list_main, or NULL */
	size_t html_len;
	perm_set html_perms;
	unsigned long html_gen;
};

static pthread_key_t list_memo_key;
static pthread_once_t list_memo_once = PTHREAD_ONCE_INIT;

static void
list_memo_clear(struct list_memo *m)
{
	free(m->key);
	json_object_put(m->rows);
	json_object_put(m->filter);
	free(m->html);
	memset(m, 0, sizeof(*m));
}

static void
list_memo_free(void *p)
{
	list_memo_clear(p);
	free(p);
}

static void
list_memo_init(void)
{
	if (pthread_key_create(&list_memo_key, list_memo_free) != 0)
		log_warn("connectors: no per-worker list memo");
}

/* The key of the page q asks for; NULL when the counters are unknown (nothing is kept). */
static const char *
list_memo_key_of(struct ctx *c, const struct connector_query *q)
{
	const struct db_gens *g = &c->user->gens;
	if (g->connectors <= 0 || g->categories <= 0)
		return NULL;
	return arena_printf(c->a, "%lld|%lld|%d|%lld|%lld|%ld|%s", g->connectors, g->categories,
			    (int)q->sort, q->category_id, q->offset, q->limit, q->q);
}

/* This worker's memo (created on first use); NULL when memory ran out. */
static struct list_memo *
list_memo(void)
{
	pthread_once(&list_memo_once, list_memo_init);
	struct list_memo *m = pthread_getspecific(list_memo_key);
	if (!m && (m = calloc(1, sizeof(*m))) && pthread_setspecific(list_memo_key, m) != 0) {
		free(m);
		m = NULL;
	}
	return m;
}

/* Renders the list's main content from the memo's json into m->html. A memo that is not
 * kept lives in the arena: its HTML is freed with the arena then. */
static int
list_main_render(struct ctx *c, const struct connector_query *q, struct pager *p,
		 struct list_memo *m)
{
	struct json_object *d = json_object_new_object();
	jset_str(d, "q", q->q);
	jset(d, "categories", json_object_get(m->filter));
	jset_str(d, "sort", connector_sort_names[q->sort]);
	jset(d, "sort_links", sort_links(c, q, p->per_page));
	jset(d, "rows", json_object_get(m->rows));
	jset_bool(d, "has_rows", m->n > 0);
	jset_bool(d, "empty_all", !m->any);
	jset_bool(d, "no_results", m->any && m->n == 0);
	jset(d, "pager",
	     pager_json(p, list_state(c, q, p->per_page, connector_sort_names[q->sort])));
	struct buf out;
	buf_init(&out);
	unsigned long gen = 0;
	if (web_render_piece(c, "connectors_list_main", d, &out, &gen) != 0) {
		buf_free(&out);
		return DB_EFAIL;
	}
	char *html = malloc(out.len + 1);
	if (!html || (!m->key && arena_defer(c->a, free, html) != 0)) {
		free(html);
		buf_free(&out);
		return DB_ENOMEM;
	}
	memcpy(html, out.data, out.len + 1);
	free(m->html);
	m->html = html;
	m->html_len = out.len;
	m->html_perms = c->user->perms;
	m->html_gen = gen;
	buf_free(&out);
	return DB_OK;
}

int
web_connector_list(struct ctx *c)
{
	struct connector_query q;
	struct pager p;
	list_query(c, &q, &p);
	const char *key = list_memo_key_of(c, &q);
	struct list_memo *m = key ? list_memo() : NULL;
	if (!m || !m->key || strcmp(m->key, key) != 0) {
		struct category *cats;
		struct connector_row *rows = NULL;
		size_t n = 0, ncats = 0;
		long long total = 0;
		int any = 0;
		int rc = db_category_all_cached(c->db, c->a, &c->user->gens, &cats, &ncats);
		if (rc == DB_OK)
			rc = db_connector_list(c->db, c->a, &c->user->gens, &q, &rows, &n, &total,
					       &any);
		if (rc != DB_OK)
			return rc;
		struct list_memo fresh = {
		    .key = key ? strdup(key) : NULL,
		    .rows = list_rows(c, rows, n, cats, ncats),
		    .filter = filter_options(cats, ncats, q.category_id),
		    .total = total,
		    .any = any,
		    .n = n,
		};
		if (m && fresh.key) {
			list_memo_clear(m);
			*m = fresh;
		} else {
			/* Not kept: the page owns the json alone. */
			free(fresh.key);
			fresh.key = NULL;
			m = arena_alloc(c->a, sizeof(*m));
			if (!m) {
				json_object_put(fresh.rows);
				json_object_put(fresh.filter);
				return DB_ENOMEM;
			}
			*m = fresh;
			web_defer_json(c, m->rows);
			web_defer_json(c, m->filter);
		}
	}
	p.total = m->total;
	if (!m->html || m->html_perms != c->user->perms || m->html_gen != web_tmpl_gen(c)) {
		int rc = list_main_render(c, &q, &p, m);
		if (rc != DB_OK)
			return rc;
	}
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Data Connectors");
	jset(d, "main_html", json_object_new_string_len(m->html, (int)m->html_len));
	return web_render(c, 200, "connectors_list", d);
}

/* --------------------------------------------------------------- create and edit */

/* Loads a connector and its category ids; DB_ENOTFOUND when it is gone. */
static int
connector_load(struct ctx *c, long long id, struct connector_old *old)
{
	struct category *cats = NULL;
	memset(old, 0, sizeof(*old));
	int rc = db_connector_get(c->db, c->a, id, &old->row);
	if (rc == DB_OK)
		rc = db_connector_categories(c->db, c->a, id, &cats, &old->ncats);
	if (rc != DB_OK)
		return rc;
	old->id = id;
	old->cat_ids = arena_alloc(c->a, (old->ncats + 1) * sizeof(*old->cat_ids));
	for (size_t i = 0; old->cat_ids && i < old->ncats; i++)
		old->cat_ids[i] = cats[i].id;
	return old->cat_ids ? DB_OK : DB_ENOMEM;
}

/* Category checkboxes: active ones, plus inactive ones the connector already has. */
static struct json_object *
category_choices(const struct category *cats, size_t ncats, const struct connector_old *old,
		 const long long *checked, size_t nchecked)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < ncats; i++) {
		int inactive = strcmp(cats[i].status, "active") != 0;
		if (inactive && !id_listed(old->cat_ids, old->ncats, cats[i].id))
			continue;
		struct json_object *o = json_object_new_object();
		jset_int(o, "id", cats[i].id);
		jset_str(o, "label", cats[i].name);
		jset_bool(o, "inactive", inactive);
		jset_bool(o, "checked", id_listed(checked, nchecked, cats[i].id));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *
connector_tabs_json(struct ctx *c, long long id, const char *name)
{
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", id);
	jset_str(o, "name", name);
	jset_str(o, "url", connector_path(c, id, ""));
	jset_str(o, "authorization_url", connector_path(c, id, "/authorization"));
	jset_str(o, "endpoints_url", connector_path(c, id, "/endpoints"));
	return o;
}

int
connector_tabs_load(struct ctx *c, struct connector *row, struct json_object **out)
{
	struct connector r;
	int rc = db_connector_get(c->db, c->a, c->ids[0], row ? row : &r);
	*out = rc == DB_OK ? connector_tabs_json(c, c->ids[0], (row ? row : &r)->v.name) : NULL;
	return rc;
}

/* What the Details tab shows about the stored connector: who made and changed it. */
static struct json_object *
connector_info(struct ctx *c, const struct connector_old *old)
{
	const struct connector *r = &old->row;
	struct json_object *o = connector_tabs_json(c, old->id, r->v.name);
	jset_str(o, "auth_label", auth_label(r->auth_type));
	jset_str(o, "created_at", r->created_at);
	jset_str(o, "updated_at", r->updated_at);
	const char *cb = r->created_by_name, *ub = r->updated_by_name;
	jset_str(o, "created_by", cb ? cb : "unknown");
	jset_str(o, "updated_by", ub ? ub : "unknown");
	jset_str(o, "delete_url", connector_path(c, old->id, "/delete"));
	return o;
}

/* Renders the create form (old->id 0) or the Details tab with the given checked
 * categories; the Details tab is read-only for someone who may not save it. */
static int
connector_form_page(struct ctx *c, int status, struct form *f, const struct connector_old *old,
		    const long long *checked, size_t nchecked)
{
	struct category *cats;
	size_t ncats;
	int rc = db_category_all(c->db, c->a, &cats, &ncats);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object();
	int is_new = old->id == 0;
	jset_bool(d, "is_new", is_new);
	jset(d, "category_choices", category_choices(cats, ncats, old, checked, nchecked));
	jset_bool(d, "no_categories",
		  json_object_array_length(json_object_object_get(d, "category_choices")) == 0);
	if (is_new) {
		struct json_object *auth = NULL;
		json_object_object_get_ex(f->values, "auth_type", &auth);
		jset_str(d, "title", "Create Data Connector");
		jset_str(d, "action", CONNECTORS_PATH);
		jset(d, "auth_types",
		     form_select(connector_auth_names, connector_auth_labels, CONNECTOR_AUTH_COUNT,
				 auth ? json_object_get_string(auth) : "none"));
		jset_bool(d, "may_save", 1);
		form_put(f, d);
		return web_render(c, status, "connectors_new", d);
	}
	jset_str(d, "title", arena_printf(c->a, "Edit %s", old->row.v.name));
	jset_str(d, "action", connector_path(c, old->id, ""));
	jset(d, "connector", connector_info(c, old));
	jset_bool(d, "tab_details", 1);
	jset_bool(d, "may_save", perm_has(c->user, PERM_EDIT_CONNECTORS));
	jset(d, "env_lacking", web_env_lacking(c, old->id, old->row.auth_type));
	form_put(f, d);
	return web_render(c, status, "connectors_details", d);
}

/* A failed save's form again (the dispatcher's callback): its connector and the categories
 * the input checked, kept in the request arena. */
struct connector_again {
	struct connector_old old;
	const long long *checked;
	size_t nchecked;
};

static int
connector_form_again(struct ctx *c, const struct web_error *e)
{
	struct connector_again *a = e->arg;
	return connector_form_page(c, e->status, e->form, &a->old, a->checked, a->nchecked);
}

/* The save's failure rc for the dispatcher: a 422 or 409 shows the form again. */
static int
connector_failed(struct form *f, int rc, const struct connector_old *old,
		 const struct connector_input *in)
{
	if (rc != 422 && rc != 409)
		return rc; /* answered from the code */
	struct connector_again a = {*old, in->category_ids, in->ncategories};
	return web_fail_page(f, rc, connector_form_again, &a, sizeof(a));
}

/* The repeated category_ids: at least one, each an existing category that is active or
 * already the connector's own. */
static size_t
connector_category_ids(struct form *f, const struct category *cats, size_t ncats,
		       const struct connector_old *old, long long **out)
{
	const char **vals = NULL;
	size_t n = http_kv_get_all(f->c->a, &f->in, "category_ids", &vals);
	long long *ids = arena_alloc(f->c->a, (n + 1) * sizeof(*ids));
	size_t count = 0;
	*out = ids;
	for (size_t i = 0; ids && i < n; i++) {
		long v;
		size_t row = ncats;
		if (str_to_long(vals[i], 1, LONG_MAX, &v) == CORE_OK)
			for (row = 0; row < ncats && cats[row].id != v;)
				row++;
		if (row == ncats) {
			form_error(f, "category_ids", MSG_CATEGORY_INVALID);
			continue;
		}
		if (strcmp(cats[row].status, "active") && !id_listed(old->cat_ids, old->ncats, v)) {
			form_error(f, "category_ids", MSG_CATEGORY_INACTIVE);
			continue;
		}
		if (!id_listed(ids, count, v))
			ids[count++] = v;
	}
	if (n == 0)
		form_error(f, "category_ids", "The category field is required.");
	return count;
}

/* The rate limit: requests per second, a decimal from 0.001 to 10000 with at most three
 * decimals; "" (none) when blank. */
static void
connector_check_rate(struct form *f, const struct field *fd, const void *s)
{
	const char *v = FIELD_TEXT_OF(s, fd), *dot = strchr(v, '.');
	char *end = NULL;
	double d = *v ? strtod(v, &end) : 0;
	if (*v && (!end || *end || d < 0.001 || d > 10000 || (dot && strlen(dot + 1) > 3) ||
		   strspn(v, "0123456789.") != strlen(v)))
		form_error(f, fd->name,
			   "The rate limit must be a number of requests per second from 0.001 to "
			   "10000 (at most three decimals), or blank for none.");
}

/* Reads and checks the input into in; messages go beside their fields. */
static int
connector_read(struct form *f, const struct connector_old *old, struct connector_input *in,
	       long long **ids)
{
	struct category *cats;
	size_t ncats;
	int rc = db_category_all(f->c->db, f->c->a, &cats, &ncats);
	if (rc != DB_OK)
		return rc;
	memset(in, 0, sizeof(*in));
	field_decode(f, connector_field_table, connector_nfields, &in->v);
	in->auth_type = "none";
	if (old->id == 0) {
		const char *a = form_text(f, "auth_type");
		int i = connector_auth_index(a && *a ? a : "none");
		if (i < 0)
			form_error(f, "auth_type", "The selected authentication type is invalid.");
		else
			in->auth_type = connector_auth_names[i];
	}
	in->ncategories = connector_category_ids(f, cats, ncats, old, ids);
	in->category_ids = *ids;
	return DB_OK;
}

/* Maps what a save said into a field error; returns 0 when the page should re-render,
 * else the status to answer. */
static int
connector_save_error(struct form *f, int rc)
{
	if (rc == DB_EDUP)
		form_error(f, "name", MSG_NAME_TAKEN);
	else if (rc == DB_EFK)
		form_error(f, "category_ids", MSG_CATEGORY_INVALID);
	else
		return rc;
	return 0;
}

int
web_connector_new(struct ctx *c)
{
	struct form f;
	struct connector_old blank;
	memset(&blank, 0, sizeof(blank));
	form_init(&f, c);
	jset_str(f.values, "auth_type", "none");
	return connector_form_page(c, 200, &f, &blank, NULL, 0);
}

/* The changed field names of a Details save, for the audit log. */
static const char *
connector_changes(struct ctx *c, const struct connector_old *old, const struct connector_input *in)
{
	struct audit_fields af;
	audit_fields_init(&af, c);
	field_changes(&af, connector_field_table, connector_nfields, &old->row.v, &in->v);
	int same = in->ncategories == old->ncats;
	for (size_t i = 0; same && i < in->ncategories; i++)
		same = id_listed(old->cat_ids, old->ncats, in->category_ids[i]);
	audit_field(&af, "categories", !same);
	return audit_fields_text(&af);
}

/* Reads and checks the form, then creates (old->id 0) or updates the connector and writes
 * the audit log. Returns 0 when saved (*id set), 422 with the field errors in f, 409 when
 * the version is stale (errors.form), or another status. Shared with the JSON API. */
static int
connector_save(struct form *f, const struct connector_old *old, struct connector_input *in,
	       long long *id)
{
	long long *ids = NULL;
	long version = 0;
	int rc = connector_read(f, old, in, &ids);
	if (rc != DB_OK)
		return rc;
	if (old->id && str_to_long(form_text(f, "version"), 1, LONG_MAX, &version) != CORE_OK)
		version = 0; /* missing or forged: refused as stale below */
	if (f->nerrors)
		return 422;
	*id = old->id;
	struct ctx *c = f->c;
	struct db_audit au = old->id ? web_audit(c, "connector.update", "connector", old->id,
						 connector_changes(c, old, in))
				     : web_audit(c, "connector.create", "connector", 0,
						 "name, description, auth_type, categories");
	rc = old->id ? db_connector_update(c->db, old->id, version, in, c->user->id, &au)
		     : db_connector_create(c->db, in, c->user->id, id, &au);
	if (rc == STORE_ESTALE) {
		form_error(f, "form", MSG_STALE);
		return 409;
	}
	if (rc != DB_OK)
		return (rc = connector_save_error(f, rc)) != 0 ? rc : 422;
	return 0;
}

int
connector_check(struct form *f, long long id)
{
	struct connector_old old;
	struct connector_input in;
	long long *ids = NULL;
	memset(&old, 0, sizeof(old));
	int rc = id ? connector_load(f->c, id, &old) : DB_OK;
	if (rc == DB_OK)
		rc = connector_read(f, &old, &in, &ids);
	if (rc != DB_OK)
		return rc;
	return f->nerrors ? 422 : 0;
}

int
connector_submit(struct form *f, long long id, long long *out_id)
{
	struct connector_old old;
	struct connector_input in;
	memset(&old, 0, sizeof(old));
	if (id) {
		int rc = connector_load(f->c, id, &old);
		if (rc != DB_OK)
			return rc;
	}
	return connector_save(f, &old, &in, out_id);
}

int
web_connector_create(struct ctx *c)
{
	struct form f;
	struct connector_old blank;
	struct connector_input in;
	long long id = 0;
	memset(&blank, 0, sizeof(blank));
	form_init(&f, c);
	int rc = connector_save(&f, &blank, &in, &id);
	if (rc != 0)
		return connector_failed(&f, rc, &blank, &in);
	return web_redirect_flash(c, connector_path(c, id, ""), "The Data Connector was created");
}

int
web_connector_show(struct ctx *c)
{
	struct connector_old old;
	int rc = connector_load(c, c->ids[0], &old);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	field_values(&f, connector_field_table, connector_nfields, &old.row.v);
	jset_int(f.values, "version", old.row.version);
	return connector_form_page(c, 200, &f, &old, old.cat_ids, old.ncats);
}

int
web_connector_update(struct ctx *c)
{
	struct connector_old old;
	struct connector_input in;
	long long id = 0;
	int rc = connector_load(c, c->ids[0], &old);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	rc = connector_save(&f, &old, &in, &id);
	if (rc != 0)
		return connector_failed(&f, rc, &old, &in);
	return web_redirect_flash(c, connector_path(c, c->ids[0], ""),
				  "The Data Connector was saved");
}

/* ------------------------------------------------------------------------ delete */

int
web_connector_delete_confirm(struct ctx *c)
{
	struct connector r;
	int rc = db_connector_get(c->db, c->a, c->ids[0], &r);
	if (rc != DB_OK)
		return rc;
	const char *name = r.v.name;
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Delete Data Connector");
	jset_str(d, "name", name);
	jset_str(d, "question", arena_printf(c->a, "Are you sure you want to delete %s?", name));
	jset_str(d, "action", connector_path(c, c->ids[0], "/delete"));
	jset_str(d, "back", connector_path(c, c->ids[0], ""));
	jset_str(d, "message",
		 "Its endpoints, headers, parameters and cached tokens are deleted with it.");
	return web_render(c, 200, "confirm_delete", d);
}

int
web_connector_delete(struct ctx *c)
{
	struct connector r;
	int rc = db_connector_get(c->db, c->a, c->ids[0], &r);
	if (rc == DB_OK)
		rc = db_connector_delete(c->db, c->ids[0]);
	if (rc != DB_OK)
		return rc;
	audit_write(c->db, c->user, "connector.delete", "connector", c->ids[0],
		    arena_printf(c->a, "name: %s", r.v.name), c->req->remote_addr);
	return web_redirect_flash(c, CONNECTORS_PATH, "The Data Connector was deleted.");
}
