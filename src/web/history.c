/* A connector's version history (issue 20): the History tab lists every saved version (who,
 * when, what changed against the one before), shows the difference between any two, and
 * restores one; the same through GET /api/1.0/data-connectors/{id}/versions[/{n}] and POST
 * .../versions/{n}/restore. Snapshots come from src/db/versions.c and hold no secret: only
 * whether each one is set, and a fingerprint of its sealed text that changes when it is
 * entered again. A restore writes back the plain fields; secrets stay as they are and, when
 * the restored authorization method differs from the current one, the secrets it needs are
 * listed to be entered again. The route table checks view (list, diff) and edit (restore). */
#include <limits.h>
#include <string.h>

#include "../db/endpoints.h"
#include "../db/versions.h"
#include "api.h"

#define HISTORY_MAX 200 /* versions listed and compared */

/* ------------------------------------------------------------ snapshot as a flat list */

/* One comparable line of a snapshot: a label users read, the value compared, the value
 * shown. */
struct flat {
	const char *key, *label, *cmp, *shown;
};
struct flat_list {
	struct flat *v;
	size_t n, cap;
	struct arena *a;
};

static void
flat_add(struct flat_list *l, const char *key, const char *label, const char *cmp,
	 const char *shown)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct flat *v = arena_alloc(l->a, cap * sizeof(*v));
		if (!v)
			return;
		if (l->n)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct flat){key, label, cmp ? cmp : "", shown ? shown : cmp ? cmp : ""};
}

static const char *
jtext(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return "";
	return json_object_get_string(v);
}

static long long
jll(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_object_get_int64(v);
}

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *const secret_members[] = {"password", "token", "client_secret", "api_key"};
static const char *const secret_labels[] = {"Password", "Token", "Client Secret", "API Key"};

/* Rows (headers or params) of an endpoint, keyed by name (a repeated name by its place). */
static void
flat_rows(struct flat_list *l, struct json_object *rows, const char *ek, const char *elabel,
	  const char *what)
{
	struct arena *a = l->a;
	size_t n =
	    rows && json_object_is_type(rows, json_type_array) ? json_object_array_length(rows) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(rows, i);
		const char *k = jtext(r, "key");
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup += !strcmp(jtext(json_object_array_get_idx(rows, j), "key"), k);
		const char *key = dup ? arena_printf(a, "%s.%s.%s#%d", ek, what, k, dup)
				      : arena_printf(a, "%s.%s.%s", ek, what, k);
		const char *desc = jtext(r, "description");
		const char *v =
		    arena_printf(a, "%s%s%s%s", jtext(r, "value"),
				 jll(r, "required") ? " (required)" : "", *desc ? " — " : "", desc);
		flat_add(l, key, arena_printf(a, "%s: %s %s", elabel, what, k), v, v);
	}
}

/* The environments of a snapshot (sql/022): plain fields, plain variables by value, and
 * their sealed values by fingerprint (shown as set or not set). */
static void
flat_environments(struct flat_list *l, struct json_object *envs)
{
	static const char *const em[] = {"base_url", "allowed_origins", "username", "client_id",
					 "token_url"};
	static const char *const el[] = {"Base URL", "Allowed origins", "User", "Client ID",
					 "URL Token"};
	struct arena *a = l->a;
	size_t n =
	    envs && json_object_is_type(envs, json_type_array) ? json_object_array_length(envs) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(envs, i);
		const char *name = jtext(e, "name");
		const char *ek = arena_printf(a, "environments.%s", name);
		const char *lb = arena_printf(a, "Environment %s", name);
		flat_add(l, arena_printf(a, "%s.name", ek), arena_printf(a, "%s: Name", lb), name,
			 NULL);
		flat_add(l, arena_printf(a, "%s.is_default", ek),
			 arena_printf(a, "%s: Default", lb), jll(e, "is_default") ? "yes" : "no",
			 NULL);
		flat_add(l, arena_printf(a, "%s.auth_override", ek),
			 arena_printf(a, "%s: Own credentials", lb),
			 jll(e, "auth_override") ? "yes" : "no", NULL);
		for (size_t k = 0; k < sizeof(em) / sizeof(*em); k++)
			flat_add(l, arena_printf(a, "%s.%s", ek, em[k]),
				 arena_printf(a, "%s: %s", lb, el[k]), jtext(e, em[k]), NULL);
		const char *fp = jtext(e, "secrets");
		flat_add(l, arena_printf(a, "envsecret.%s", name),
			 arena_printf(a, "%s: Credentials", lb), fp, *fp ? "set" : "not set");
		struct json_object *vars = jget(e, "variables");
		size_t nv = vars && json_object_is_type(vars, json_type_array)
				? json_object_array_length(vars)
				: 0;
		for (size_t k = 0; k < nv; k++) {
			struct json_object *v = json_object_array_get_idx(vars, k);
			const char *vn = jtext(v, "name");
			if (jll(v, "sealed")) {
				const char *vfp = jtext(v, "fingerprint");
				flat_add(l, arena_printf(a, "envsecret.%s.%s", name, vn),
					 arena_printf(a, "%s: Sealed variable %s", lb, vn), vfp,
					 *vfp ? "set" : "not set");
			} else {
				flat_add(l, arena_printf(a, "%s.var.%s", ek, vn),
					 arena_printf(a, "%s: Variable %s", lb, vn),
					 jtext(v, "value"), NULL);
			}
		}
	}
}

/* The value of a field an older snapshot does not hold: never a change. */
static const char NOT_RECORDED[] = "";

/* The members of obj named in the field table t, keyed "<ek><name>" and labelled
 * "<el><Label>"; a member an older snapshot does not hold is NOT_RECORDED. */
static void
flat_fields(struct flat_list *l, struct json_object *obj, const struct field *t, size_t n,
	    const char *ek, const char *el)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = jtext(obj, t[i].name);
		char *label = arena_printf(l->a, "%s%s", el, t[i].label);
		if (!obj || !json_object_object_get_ex(obj, t[i].name, NULL))
			v = NOT_RECORDED;
		else if ((t[i].kind == FIELD_INT || t[i].kind == FIELD_DECIMAL) &&
			 (!*v || !strcmp(v, "0")))
			v = "default";
		if (label && label[strlen(el)] >= 'a' && label[strlen(el)] <= 'z')
			label[strlen(el)] = (char)(label[strlen(el)] - 'a' + 'A');
		flat_add(l, arena_printf(l->a, "%s%s", ek, t[i].name), label, v, NULL);
	}
}

static void
snapshot_flatten(struct arena *a, struct json_object *s, struct flat_list *l)
{
	memset(l, 0, sizeof(*l));
	l->a = a;
	flat_fields(l, s, connector_field_table, connector_nfields, "", "");
	struct json_object *cats = jget(s, "categories");
	struct buf *b = buf_new_arena(a);
	size_t nc =
	    cats && json_object_is_type(cats, json_type_array) ? json_object_array_length(cats) : 0;
	for (size_t i = 0; b && i < nc; i++)
		buf_printf(b, "%s%s", i ? ", " : "",
			   jtext(json_object_array_get_idx(cats, i), "name"));
	flat_add(l, "categories", "Categories", b && b->data ? b->data : "", NULL);

	struct json_object *au = jget(s, "authorization");
	static const char *const auth_members[] = {
	    "auth_type", "verify_ssl",	"username",	"token_url",  "client_id",
	    "scope",	 "client_auth", "api_key_name", "api_key_in", "allowed_origins",
	};
	static const char *const auth_labels[] = {
	    "Authorization: Type",
	    "Authorization: Verify SSL",
	    "Authorization: Username",
	    "Authorization: URL Token",
	    "Authorization: Client ID",
	    "Authorization: Scope",
	    "Authorization: Client authentication",
	    "Authorization: API key name",
	    "Authorization: API key in",
	    "Authorization: Allowed origins",
	};
	for (size_t i = 0; i < sizeof(auth_members) / sizeof(*auth_members); i++) {
		const char *v = jtext(au, auth_members[i]);
		if (!strcmp(auth_members[i], "verify_ssl"))
			v = jll(au, "verify_ssl") ? "on" : "off";
		else if (!strcmp(auth_members[i], "auth_type")) {
			int k = connector_auth_index(v);
			v = k >= 0 ? connector_auth_labels[k] : v;
		}
		flat_add(l, arena_printf(a, "authorization.%s", auth_members[i]), auth_labels[i], v,
			 NULL);
	}
	struct json_object *sec = jget(s, "secrets");
	for (size_t i = 0; i < 4; i++) {
		const char *fp = jtext(sec, secret_members[i]);
		flat_add(l, arena_printf(a, "secrets.%s", secret_members[i]),
			 arena_printf(a, "Authorization: %s", secret_labels[i]), fp,
			 *fp ? "set" : "not set");
	}
	struct json_object *vars = jget(s, "variables");
	size_t nv =
	    vars && json_object_is_type(vars, json_type_array) ? json_object_array_length(vars) : 0;
	for (size_t i = 0; i < nv; i++) {
		struct json_object *v = json_object_array_get_idx(vars, i);
		flat_add(l, arena_printf(a, "variables.%s", jtext(v, "name")),
			 arena_printf(a, "Sealed variable %s", jtext(v, "name")),
			 jtext(v, "fingerprint"), "set");
	}

	struct json_object *eps = jget(s, "endpoints");
	size_t ne =
	    eps && json_object_is_type(eps, json_type_array) ? json_object_array_length(eps) : 0;
	for (size_t i = 0; i < ne; i++) {
		struct json_object *e = json_object_array_get_idx(eps, i);
		const char *p = jtext(e, "purpose");
		const char *ek = arena_printf(a, "endpoints.%lld", jll(e, "id"));
		const char *el = arena_printf(a, "Endpoint %s", p);
		flat_fields(l, e, endpoint_field_table, endpoint_nfields,
			    arena_printf(a, "%s.", ek), arena_printf(a, "%s: ", el));
		flat_rows(l, jget(e, "headers"), ek, el, "header");
		flat_rows(l, jget(e, "params"), ek, el, "parameter");
		flat_rows(l, jget(e, "response_map"), ek, el, "map");
		flat_rows(l, jget(e, "body_fields"), ek, el, "body field");
	}
	flat_environments(l, jget(s, "environments"));
}

static const struct flat *
flat_find(const struct flat_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

/* The lines that differ from `from` to `to`: [{label, before, after, change}], in the order
 * of `to` then what `from` had alone. *count gets their number. */
static struct json_object *
flat_diff(struct arena *a, const struct flat_list *from, const struct flat_list *to, size_t *count)
{
	struct json_object *arr = json_object_new_array();
	*count = 0;
	for (size_t i = 0; i < to->n; i++) {
		const struct flat *t = &to->v[i], *f = flat_find(from, t->key);
		if ((f && !strcmp(f->cmp, t->cmp)) || t->cmp == NOT_RECORDED ||
		    (f && f->cmp == NOT_RECORDED))
			continue;
		struct json_object *o = json_object_new_object();
		jset_str(o, "label", t->label);
		if (f)
			jset_str(o, "before", f->shown);
		jset_str(o, "after", t->shown);
		const char *change = !f ? "added" : "changed";
		if (f && !strncmp(t->key, "secrets.", 8) && *f->cmp && *t->cmp)
			jset_str(o, "after", "set (entered again)");
		if (f && !strncmp(t->key, "variables.", 10))
			jset_str(o, "after", "set (entered again)");
		if (f && !strncmp(t->key, "envsecret.", 10) && *f->cmp && *t->cmp)
			jset_str(o, "after", "set (entered again)");
		jset_str(o, "change", change);
		json_object_array_add(arr, o);
		++*count;
	}
	for (size_t i = 0; i < from->n; i++) {
		const struct flat *f = &from->v[i];
		if (flat_find(to, f->key) || f->cmp == NOT_RECORDED)
			continue;
		struct json_object *o = json_object_new_object();
		jset_str(o, "label", f->label);
		jset_str(o, "before", f->shown);
		jset_str(o, "change", "removed");
		json_object_array_add(arr, o);
		++*count;
	}
	(void)a;
	return arr;
}

static struct json_object *
snapshot_parse(struct ctx *c, const char *text)
{
	struct json_object *s = json_tokener_parse(text ? text : "");
	if (s)
		web_defer_json(c, s);
	return s;
}

/* ------------------------------------------------------------------ the list */

struct version_view {
	long long n;
	const char *kind, *user, *at;
	long long restored_from;
	struct flat_list flat;
	struct json_object *snap;
};

static int
versions_load(struct ctx *c, struct version_view **out, size_t *n)
{
	struct version_row *r;
	size_t nr;
	int rc = db_version_list(c->db, c->a, c->ids[0], HISTORY_MAX, &r, &nr);
	if (rc != DB_OK)
		return rc;
	struct version_view *v = arena_alloc(c->a, (nr + 1) * sizeof(*v));
	if (!v)
		return DB_ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		v[i].n = r[i].n;
		v[i].kind = r[i].kind;
		v[i].user = r[i].username;
		v[i].at = r[i].created_at;
		v[i].restored_from = r[i].restored_from;
		v[i].snap = snapshot_parse(c, r[i].snapshot);
		snapshot_flatten(c->a, v[i].snap, &v[i].flat);
	}
	*out = v;
	*n = nr;
	return DB_OK;
}

static const char *
kind_label(const char *kind)
{
	enum version_kind k = version_kind_parse(kind);
	return k < VERSION_KIND__MAX ? version_kind_labels[k] : kind;
}

/* "URL, header X-Key and 2 more" of a diff; "" when nothing differs. */
static const char *
diff_summary(struct arena *a, struct json_object *diff)
{
	size_t n = json_object_array_length(diff);
	struct buf *b = buf_new_arena(a);
	if (!b)
		return "";
	for (size_t i = 0; i < n && i < 4; i++)
		buf_printf(b, "%s%s", i ? "; " : "",
			   jtext(json_object_array_get_idx(diff, i), "label"));
	if (n > 4)
		buf_printf(b, " and %zu more", n - 4);
	return b->data ? b->data : "";
}

static const struct version_view *
version_find(const struct version_view *v, size_t n, long long want)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].n == want)
			return &v[i];
	return NULL;
}

/* The changes a version made against the one before it (the next older in the list). */
static struct json_object *
version_changes(struct ctx *c, const struct version_view *v, size_t n, size_t i, size_t *count)
{
	struct flat_list empty = {.a = c->a};
	return flat_diff(c->a, i + 1 < n ? &v[i + 1].flat : &empty, &v[i].flat, count);
}

static long long
query_ll(struct ctx *c, const char *name)
{
	long v;
	const char *s = http_query_get(c->req, name);
	return s && str_to_long(s, 1, LONG_MAX, &v) == 0 ? v : 0;
}

int
web_connector_history(struct ctx *c)
{
	struct connector conn;
	struct json_object *co;
	int rc = connector_tabs_load(c, &conn, &co);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	struct version_view *v;
	size_t n;
	if ((rc = versions_load(c, &v, &n)) != DB_OK) {
		json_object_put(co);
		return rc;
	}
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	struct json_object *d = json_object_new_object();
	jset(d, "connector", co);
	jset_bool(d, "tab_history", 1);
	jset_str(d, "title", arena_printf(c->a, "History · %s", conn.v.name));
	jset_int(d, "connector_version", conn.version);
	int can_edit = perm_has(c->user, PERM_EDIT_CONNECTORS);
	long long from = query_ll(c, "from"), to = query_ll(c, "to");
	if (n > 0 && !to)
		to = v[0].n;
	if (n > 1 && !from)
		from = v[1].n;

	struct json_object *rows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		size_t cnt;
		struct json_object *ch = version_changes(c, v, n, i, &cnt);
		jset_int(o, "n", v[i].n);
		jset_str(o, "kind", kind_label(v[i].kind));
		jset_str(o, "user", *v[i].user ? v[i].user : "unknown");
		jset_str(o, "at", v[i].at);
		if (v[i].restored_from)
			jset_int(o, "restored_from", v[i].restored_from);
		jset_str(o, "summary", cnt ? diff_summary(c->a, ch) : "No visible change");
		json_object_put(ch);
		jset_bool(o, "current", i == 0);
		if (i + 1 < n)
			jset_str(o, "diff_prev_url",
				 arena_printf(c->a, "%s/history?from=%lld&to=%lld#diff", base,
					      v[i + 1].n, v[i].n));
		jset_bool(o, "can_restore", can_edit && i > 0);
		jset_str(o, "restore_url",
			 arena_printf(c->a, "%s/history/%lld/restore", base, v[i].n));
		jset_bool(o, "selected_from", v[i].n == from);
		jset_bool(o, "selected_to", v[i].n == to);
		json_object_array_add(rows, o);
	}
	jset(d, "versions", rows);
	jset_bool(d, "has_versions", n > 0);
	jset_bool(d, "can_compare", n > 1);
	const struct version_view *vf = version_find(v, n, from), *vt = version_find(v, n, to);
	if (vf && vt) {
		size_t cnt;
		jset(d, "diff", flat_diff(c->a, &vf->flat, &vt->flat, &cnt));
		jset_int(d, "diff_from", vf->n);
		jset_int(d, "diff_to", vt->n);
		jset_bool(d, "diff_empty", cnt == 0);
	} else if ((from || to) && n > 1) {
		jset_str(d, "diff_error", "Choose two versions of this Data Connector.");
	}
	return web_render(c, 200, "connectors_history", d);
}

/* ------------------------------------------------------------------ restore */

static const char *const *
method_secrets(const char *auth_type, size_t *n)
{
	static const char *const basic[] = {"password"}, *const bearer[] = {"token"},
				 *const pw[] = {"password", "client_secret"},
				 *const cc[] = {"client_secret"}, *const key[] = {"api_key"};
	*n = 1;
	if (!strcmp(auth_type, "basic"))
		return basic;
	if (!strcmp(auth_type, "bearer"))
		return bearer;
	if (!strcmp(auth_type, "oauth2_password")) {
		*n = 2;
		return pw;
	}
	if (!strcmp(auth_type, "oauth2_client_credentials"))
		return cc;
	if (!strcmp(auth_type, "api_key"))
		return key;
	*n = 0;
	return NULL;
}

static const char *
secret_label(const char *member)
{
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(member, secret_members[i]))
			return secret_labels[i];
	return member;
}

/* Endpoint rows of a snapshot as the db's rows. */
static size_t
restore_rows(struct ctx *c, struct json_object *arr, struct endpoint_row **out)
{
	size_t n =
	    arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	*out = arena_alloc(c->a, (n + 1) * sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(arr, i);
		(*out)[i] = (struct endpoint_row){
		    .key = arena_strdup(c->a, jtext(r, "key")),
		    .value = arena_strdup(c->a, jtext(r, "value")),
		    .description = arena_strdup(c->a, jtext(r, "description")),
		    .required = jll(r, "required") != 0,
		};
	}
	return n;
}

/* The snapshot's environments (an array; NULL in a snapshot older than environments: they
 * are left as they are) as db_env_restore's input: plain settings and variables, sealed
 * ones by name only (a snapshot holds their fingerprints, never their sealed text). */
static int
restore_environments(struct ctx *c, struct json_object *envs, struct version_restore *r)
{
	if (!envs || !json_object_is_type(envs, json_type_array))
		return 0;
	size_t n = json_object_array_length(envs);
	struct db_env_fields *out = arena_alloc(c->a, (n + 1) * sizeof(*out));
	if (!out)
		return DB_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(envs, i),
				   *vs = jget(e, "variables");
		size_t nv = vs && json_object_is_type(vs, json_type_array)
				? json_object_array_length(vs)
				: 0;
		struct db_env_var *vars = arena_alloc(c->a, (nv + 1) * sizeof(*vars));
		if (!vars)
			return DB_ENOMEM;
		for (size_t k = 0; k < nv; k++) {
			struct json_object *v = json_object_array_get_idx(vs, k);
			int sealed = jll(v, "sealed") != 0;
			vars[k] = (struct db_env_var){
			    .name = arena_strdup(c->a, jtext(v, "name")),
			    .sealed = sealed,
			    .value = sealed ? NULL : arena_strdup(c->a, jtext(v, "value"))};
		}
		out[i] = (struct db_env_fields){
		    .restore_id = jll(e, "id"), /* 0 in a snapshot older than ids: by name */
		    .name = arena_strdup(c->a, jtext(e, "name")),
		    .seal_key = connector_env_new_key(c->a), /* used only when made again */
		    .is_default = jll(e, "is_default") != 0,
		    .base_url = arena_strdup(c->a, jtext(e, "base_url")),
		    .allowed_origins = arena_strdup(c->a, jtext(e, "allowed_origins")),
		    .auth_override = jll(e, "auth_override") != 0,
		    .username = arena_strdup(c->a, jtext(e, "username")),
		    .client_id = arena_strdup(c->a, jtext(e, "client_id")),
		    .token_url = arena_strdup(c->a, jtext(e, "token_url")),
		    .vars = vars,
		    .nvars = nv,
		};
		if (!*out[i].name || !out[i].seal_key)
			return !*out[i].name ? 422 : DB_ENOMEM;
	}
	r->environments = out;
	r->nenvironments = n;
	r->with_environments = 1;
	return 0;
}

/* The snapshot as a restore; 422 when it cannot be one (an old or broken row). */
static int
restore_from_snapshot(struct ctx *c, struct json_object *s, struct version_restore *r)
{
	struct json_object *au = jget(s, "authorization");
	field_from_json(c->a, connector_field_table, connector_nfields, s, &r->v);
	r->auth_type = jtext(au, "auth_type");
	if (!*r->v.name || connector_auth_index(r->auth_type) < 0)
		return 422;
	r->verify_ssl = jll(au, "verify_ssl") != 0;
	r->username = jtext(au, "username");
	r->token_url = jtext(au, "token_url");
	r->client_id = jtext(au, "client_id");
	r->scope = jtext(au, "scope");
	r->client_auth = *jtext(au, "client_auth") ? jtext(au, "client_auth") : "body";
	r->api_key_name = jtext(au, "api_key_name");
	r->api_key_in = *jtext(au, "api_key_in") ? jtext(au, "api_key_in") : "header";
	struct json_object *cats = jget(s, "categories"), *eps = jget(s, "endpoints");
	size_t nc =
	    cats && json_object_is_type(cats, json_type_array) ? json_object_array_length(cats) : 0;
	long long *ids = arena_alloc(c->a, (nc + 1) * sizeof(*ids));
	size_t ne =
	    eps && json_object_is_type(eps, json_type_array) ? json_object_array_length(eps) : 0;
	struct endpoint_input *ei = arena_alloc(c->a, (ne + 1) * sizeof(*ei));
	long long *eids = arena_alloc(c->a, (ne + 1) * sizeof(*eids));
	if (!ids || !ei || !eids)
		return DB_ENOMEM;
	for (size_t i = 0; i < nc; i++)
		ids[i] = jll(json_object_array_get_idx(cats, i), "id");
	r->category_ids = ids;
	r->ncategories = nc;
	for (size_t i = 0; i < ne; i++) {
		struct json_object *e = json_object_array_get_idx(eps, i);
		struct endpoint_row *h, *p, *m, *fl;
		eids[i] = jll(e, "id");
		endpoint_defaults(&ei[i]);
		field_from_json(c->a, endpoint_field_table, endpoint_nfields, e, &ei[i]);
		ei[i].nheaders = restore_rows(c, jget(e, "headers"), &h);
		ei[i].headers = h;
		ei[i].nparams = restore_rows(c, jget(e, "params"), &p);
		ei[i].params = p;
		ei[i].rt.nmaps = restore_rows(c, jget(e, "response_map"), &m);
		ei[i].rt.maps = m;
		ei[i].rt.nfields = restore_rows(c, jget(e, "body_fields"), &fl);
		ei[i].rt.fields = fl;
	}
	r->endpoints = ei;
	r->endpoint_ids = eids;
	r->nendpoints = ne;
	return restore_environments(c, jget(s, "environments"), r);
}

/* The secrets to enter again after restoring s over the current authorization row cur:
 * those the restored method needs when the method changes, and the OAuth ones when their
 * URL Token's origin differs from the one they were entered for. */
static struct json_object *
restore_reenter(struct json_object *s, const struct db_auth_fields *cur)
{
	struct json_object *arr = json_object_new_array();
	struct json_object *au = jget(s, "authorization");
	const char *want = jtext(au, "auth_type"), *now = cur->auth_type;
	int moved = strcmp(jtext(au, "token_origin"), cur->token_origin) != 0 ||
		    strcmp(jtext(au, "allowed_origins"), cur->allowed_origins) != 0;
	size_t n;
	const char *const *need = method_secrets(want, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(want, now) != 0 || moved)
			json_object_array_add(arr, jstr(secret_label(need[i])));
	return arr;
}

/* Restores version ids[1] of connector ids[0]; *reenter lists the secrets to enter again.
 * 0, 404, 409 (stale), 422 (the snapshot cannot be restored) or a db_err. */
static int
history_restore(struct ctx *c, long long version, long long *new_n, struct json_object **reenter,
		struct json_object **env_reenter, const char **why)
{
	struct version_row vr;
	struct db_auth_fields cur;
	struct connector now;
	*why = NULL;
	int rc = db_version_get(c->db, c->a, c->ids[0], c->ids[1], &vr);
	if (rc == DB_OK)
		rc = db_connector_auth_read(c->db, c->a, c->ids[0], &cur);
	if (rc == DB_OK)
		rc = db_connector_get(c->db, c->a, c->ids[0], &now);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	struct json_object *s = snapshot_parse(c, vr.snapshot);
	struct version_restore r = {
	    .connector_id = c->ids[0], .version = version, .n = c->ids[1], .v = now.v};
	if (!s || (rc = restore_from_snapshot(c, s, &r)) != 0) {
		*why = "This version cannot be restored.";
		return rc ? rc : 422;
	}
	rc = db_version_restore(c->db, &r, c->user ? c->user->id : 0, new_n);
	if (rc == STORE_ESTALE) {
		*why = "This Data Connector was changed by someone else. Review the history and "
		       "restore again.";
		return 409;
	}
	if (rc == DB_EDUP) {
		*why = "Another Data Connector has this version's name now.";
		return 409;
	}
	if (rc == DB_ENV_ENAME) {
		*why = "An environment made since has the name one of this version's environments "
		       "gets back. Rename or delete it, then restore again.";
		return 409;
	}
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	*reenter = restore_reenter(s, &cur);
	web_defer_json(c, *reenter);
	/* Environments made again, or with a sealed variable back without its value. */
	*env_reenter = web_env_lacking(c, c->ids[0], jtext(jget(s, "authorization"), "auth_type"));
	web_defer_json(c, *env_reenter);
	audit_write(c->db, c->user, "connector.restore", "connector", c->ids[0],
		    arena_printf(c->a, "version %lld restored as version %lld", c->ids[1], *new_n),
		    c->req->remote_addr);
	return 0;
}

static const char *
reenter_text(struct ctx *c, struct json_object *re)
{
	size_t n = json_object_array_length(re);
	if (!n)
		return "";
	struct buf *b = buf_new_arena(c->a);
	if (!b)
		return "";
	buf_puts(b, " Secrets were left as they are; re-enter on the Authorization tab: ");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "",
			   json_object_get_string(json_object_array_get_idx(re, i)));
	buf_puts(b, ".");
	return b->data ? b->data : "";
}

/* The environments whose secrets are to be entered (web_env_lacking's), for the flash. */
static const char *
env_reenter_text(struct ctx *c, struct json_object *envs)
{
	size_t n = json_object_array_length(envs);
	struct buf *b = n ? buf_new_arena(c->a) : NULL;
	if (!b)
		return "";
	buf_puts(b, " Enter the secrets of these environments on the Environments tab: ");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "",
			   jtext(json_object_array_get_idx(envs, i), "name"));
	buf_puts(b, ".");
	return b->data ? b->data : "";
}

/* The History tab with why a restore was refused (the dispatcher's page). */
static int
history_refused(struct ctx *c, const struct web_error *e)
{
	c->flash = e->message;
	c->flash_kind = "error";
	return web_connector_history(c);
}

int
web_connector_history_restore(struct ctx *c)
{
	long v = 0;
	const char *vs = http_form_get(c->req, "version");
	if (vs && *vs && str_to_long(vs, 1, LONG_MAX, &v) != 0)
		return web_fail(c, 422, "The version field is not a number.", NULL);
	long long new_n = 0;
	struct json_object *re = NULL, *env_re = NULL;
	const char *why;
	int rc = history_restore(c, v, &new_n, &re, &env_re, &why);
	const char *base = arena_printf(c->a, "/data-connectors/%lld/history", c->ids[0]);
	if (rc == 409 || rc == 422)
		return web_fail_show(c, rc, why, history_refused, NULL, 0);
	if (rc != 0)
		return rc;
	return web_redirect_flash(
	    c, base,
	    arena_printf(c->a, "Version %lld was restored as version %lld.%s%s", c->ids[1], new_n,
			 reenter_text(c, re), env_reenter_text(c, env_re)));
}

/* ------------------------------------------------------------------ API */

/* A snapshot as the API shows it: fingerprints become *_set booleans. */
static struct json_object *
snapshot_public(struct json_object *s)
{
	struct json_object *o = NULL;
	if (!s || json_object_deep_copy(s, &o, NULL) != 0 || !o)
		return json_object_new_object();
	struct json_object *sec = jget(o, "secrets"), *pub = json_object_new_object();
	for (size_t i = 0; i < 4; i++)
		jset_bool(pub, secret_members[i], *jtext(sec, secret_members[i]) != '\0');
	json_object_object_del(o, "secrets");
	jset(o, "secrets_set", pub);
	struct json_object *vars = jget(o, "variables"), *names = json_object_new_array();
	size_t nv =
	    vars && json_object_is_type(vars, json_type_array) ? json_object_array_length(vars) : 0;
	for (size_t i = 0; i < nv; i++)
		json_object_array_add(names,
				      jstr(jtext(json_object_array_get_idx(vars, i), "name")));
	json_object_object_del(o, "variables");
	jset(o, "variables", names);
	/* Environments: whether each sealed value is set, never its fingerprint. */
	struct json_object *envs = jget(o, "environments");
	size_t ne =
	    envs && json_object_is_type(envs, json_type_array) ? json_object_array_length(envs) : 0;
	for (size_t i = 0; i < ne; i++) {
		struct json_object *e = json_object_array_get_idx(envs, i);
		jset_bool(e, "secrets_set", *jtext(e, "secrets") != '\0');
		json_object_object_del(e, "secrets");
		struct json_object *ev = jget(e, "variables");
		size_t nev = ev && json_object_is_type(ev, json_type_array)
				 ? json_object_array_length(ev)
				 : 0;
		for (size_t k = 0; k < nev; k++) {
			struct json_object *v = json_object_array_get_idx(ev, k);
			if (jll(v, "sealed"))
				jset_bool(v, "set", *jtext(v, "fingerprint") != '\0');
			json_object_object_del(v, "fingerprint");
		}
	}
	return o;
}

static struct json_object *
version_json(struct ctx *c, const struct version_view *v, size_t n, size_t i, int with_snapshot)
{
	struct json_object *o = json_object_new_object();
	size_t cnt;
	jset_int(o, "n", v[i].n);
	jset_str(o, "kind", v[i].kind);
	jset_str(o, "user", v[i].user);
	jset_str(o, "created_at", api_time(c->a, v[i].at));
	if (v[i].restored_from)
		jset_int(o, "restored_from", v[i].restored_from);
	else
		jset(o, "restored_from", NULL);
	jset(o, "changes", version_changes(c, v, n, i, &cnt));
	if (with_snapshot)
		jset(o, "snapshot", snapshot_public(v[i].snap));
	return o;
}

/* The connector's versions for the API: DB_OK, the 404 answered when it is gone, or a
 * db_err. */
static int
api_versions_loaded(struct ctx *c, struct version_view **v, size_t *n)
{
	struct connector conn;
	int rc = db_connector_get(c->db, c->a, c->ids[0], &conn);
	if (rc == DB_OK)
		rc = versions_load(c, v, n);
	return rc == DB_ENOTFOUND ? api_not_found(c, "No such Data Connector.") : rc;
}

int
web_api_connector_versions(struct ctx *c)
{
	struct version_view *v;
	size_t n;
	int rc = api_versions_loaded(c, &v, &n);
	if (rc != DB_OK)
		return rc;
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, version_json(c, v, n, i, 0));
	struct json_object *o = json_object_new_object();
	jset(o, "data", arr);
	return web_json(c, 200, o);
}

int
web_api_connector_version(struct ctx *c)
{
	struct version_view *v;
	size_t n;
	int rc = api_versions_loaded(c, &v, &n);
	if (rc != DB_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (v[i].n != c->ids[1])
			continue;
		struct json_object *o = version_json(c, v, n, i, 1);
		long long cmp = query_ll(c, "compare");
		const struct version_view *w = cmp ? version_find(v, n, cmp) : NULL;
		if (cmp && !w)
			return api_not_found(c, "No such version to compare with.");
		if (w) {
			size_t cnt;
			jset_int(o, "compare", cmp);
			jset(o, "diff", flat_diff(c->a, &w->flat, &v[i].flat, &cnt));
		}
		return web_json(c, 200, o);
	}
	return api_not_found(c, "No such version.");
}

int
web_api_connector_version_restore(struct ctx *c)
{
	long long version = 0;
	if (c->req->body_len > 0) {
		struct json_object *body;
		int st = api_body(c, &body);
		if (st)
			return st;
		version = jll(body, "version");
	}
	long long new_n = 0;
	struct json_object *re = NULL, *env_re = NULL;
	const char *why;
	int rc = history_restore(c, version, &new_n, &re, &env_re, &why);
	if (rc == 404)
		return api_not_found(c, "No such Data Connector or version.");
	if (rc == 409 || rc == 422)
		return web_fail(c, rc, why, NULL);
	if (rc != 0)
		return rc;
	struct json_object *o = json_object_new_object();
	jset_int(o, "n", new_n);
	jset_int(o, "restored_from", c->ids[1]);
	jset(o, "reenter", json_object_get(re));
	jset(o, "environments_reenter", json_object_get(env_re));
	return web_json(c, 200, o);
}
