/* The audit viewer (GET /admin/audit) and GET /api/1.0/audit: audit_log newest first,
 * filtered by user, object (type and id), action (exact, or every action of an object
 * type) and time (UTC days), paginated. Permission view-audit-log (the route table). */
#include <limits.h>
#include <string.h>

#include "../db/audit.h"
#include "api.h"

/* 1 when s is a date "YYYY-MM-DD" that MariaDB takes (1970-9999, day 1-31 by month). */
static int
audit_date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long y, m, d;
	char b[11];
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789-") != 10)
		return 0;
	memcpy(b, s, sizeof(b));
	b[4] = b[7] = '\0';
	return !str_to_long(b, 1970, 9999, &y) && !str_to_long(b + 5, 1, 12, &m) &&
	       !str_to_long(b + 8, 1, mdays[m - 1], &d);
}

/* A filter value from the query string: NULL when absent or blank. */
static const char *
audit_param(struct form *f, const char *name, size_t max)
{
	const char *v = form_text(f, name);
	if (!v || !*v)
		return NULL;
	if (strlen(v) > max) {
		form_error(f, name, "This filter is too long.");
		return NULL;
	}
	return v;
}

static const char *
audit_date(struct form *f, const char *name)
{
	const char *v = audit_param(f, name, 10);
	if (v && !audit_date_ok(v)) {
		form_error(f, name, "Enter a date as YYYY-MM-DD.");
		return NULL;
	}
	return v;
}

static void
audit_read(struct form *f, struct audit_query *q)
{
	struct ctx *c = f->c;
	long v;
	memset(q, 0, sizeof(*q));
	f->in = c->req->query_args; /* the filters are the query's fields */
	q->user = audit_param(f, "user", 255);
	q->object_type = audit_param(f, "object_type", 64);
	q->action = audit_param(f, "action", 64);
	const char *id = audit_param(f, "object_id", 20);
	if (id && str_to_long(id, 1, LONG_MAX, &v) != 0)
		form_error(f, "object_id", "Enter an id: a whole number from 1.");
	else if (id)
		q->object_id = v;
	q->from = audit_date(f, "from");
	q->to = audit_date(f, "to");
}

/* Where the object of a row is shown, when it has a page. */
static const char *
audit_object_url(struct ctx *c, const char *type, long long id)
{
	static const char *const types[][2] = {
	    {"connector", "/data-connectors/%lld"},
	    {"category", "/data-connector-categories/%lld"},
	    {"user", "/admin/users/%lld"},
	    {"group", "/admin/groups/%lld"},
	};
	for (size_t i = 0; id > 0 && i < sizeof(types) / sizeof(*types); i++)
		if (!strcmp(type, types[i][0]))
			return arena_printf(c->a, types[i][1], id);
	return NULL;
}

static struct json_object *
audit_rows(struct ctx *c, const struct audit_row *rows, size_t n, int api)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct audit_row *r = &rows[i];
		struct json_object *o = json_object_new_object();
		const char *type = r->object_type;
		long long oid = r->object_id;
		jset_int(o, "id", r->id);
		jset_str(o, "created_at", api ? api_time(c->a, r->created_at) : r->created_at);
		jset_str(o, "user", r->username);
		jset_str(o, "action", r->action);
		jset_str(o, "object_type", type);
		if (oid)
			jset_int(o, "object_id", oid);
		else
			jset(o, "object_id", NULL);
		jset_str(o, "details", r->details);
		jset_str(o, "remote_addr", r->remote_addr);
		if (!api) {
			const char *url = audit_object_url(c, type, oid);
			if (url)
				jset_str(o, "object_url", url);
			jset_str(o, "object",
				 oid ? arena_printf(c->a, "%s #%lld", type, oid) : type);
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The filters for pager links: "per_page=N&user=...". */
static const char *
audit_state(struct ctx *c, const struct audit_query *q, long per_page)
{
	struct buf *b = buf_new_arena(c->a);
	if (!b)
		return "";
	buf_printf(b, "per_page=%ld", per_page);
	const char *names[] = {"user", "object_type", "action", "from", "to"};
	const char *vals[] = {q->user, q->object_type, q->action, q->from, q->to};
	for (size_t i = 0; i < 5; i++)
		if (vals[i])
			buf_printf(b, "&%s", form_query_param(c, names[i], vals[i]));
	if (q->object_id)
		buf_printf(b, "&object_id=%lld", q->object_id);
	return b->failed ? "" : b->data;
}

static struct json_object *
audit_choices(const struct audit_choice *ch, size_t n, char kind, const char *chosen)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		if (ch[i].kind[0] != kind)
			continue;
		struct json_object *o = json_object_new_object();
		jset_str(o, "name", ch[i].name);
		jset_bool(o, "selected", chosen && !strcmp(chosen, ch[i].name));
		json_object_array_add(arr, o);
	}
	return arr;
}

int
web_audit_list(struct ctx *c)
{
	struct form f;
	struct audit_query q;
	struct pager p;
	struct audit_row *r;
	struct audit_choice *ch;
	size_t n, nch;
	form_init(&f, c);
	audit_read(&f, &q);
	pager_init(&p, c);
	q.offset = p.offset;
	q.limit = p.per_page;
	int rc = db_audit_choices(c->db, c->a, &ch, &nch);
	if (rc == DB_OK)
		rc = db_audit_list(c->db, c->a, &q, &r, &n, &p.total);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object();
	web_defer_json(c, d);
	jset_str(d, "title", "Audit Log");
	jset(d, "rows", audit_rows(c, r, n, 0));
	jset_bool(d, "has_rows", n > 0);
	jset_bool(d, "filtered",
		  q.user || q.object_type || q.object_id || q.action || q.from || q.to);
	jset(d, "actions", audit_choices(ch, nch, 'a', q.action));
	jset(d, "object_types", audit_choices(ch, nch, 'o', q.object_type));
	jset(d, "pager", pager_json(&p, audit_state(c, &q, p.per_page)));
	form_put(&f, d);
	return web_render(c, f.nerrors ? 422 : 200, "audit_list", json_object_get(d));
}

int
web_api_audit_list(struct ctx *c)
{
	struct form f;
	struct audit_query q;
	struct api_page p;
	struct audit_row *r;
	size_t n;
	long long total = 0;
	form_init(&f, c);
	audit_read(&f, &q);
	api_page_read(&f, &p);
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	q.offset = p.offset;
	q.limit = p.per_page;
	int rc = db_audit_list(c->db, c->a, &q, &r, &n, &total);
	if (rc != DB_OK)
		return rc;
	return web_json(c, 200, api_list(audit_rows(c, r, n, 1), &p, total));
}
