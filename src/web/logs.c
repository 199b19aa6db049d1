/* Execution logs: every Test and API execute, newest first, filterable by connector, status
 * (ok: a 2xx answer; error: anything else or no answer) and dates (UTC days), paginated.
 * One page over all connectors and a Logs tab on each; the route table checks view. */
#include <limits.h>
#include <string.h>

#include "../db/logs.h"
#include "../db/store.h"
#include "form.h"

#define LOGS_PATH "/data-connector-logs"

/* 1 when s is a real date "YYYY-MM-DD" (1970-9999). */
static int
valid_date(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long y, m, d;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789-") != 10)
		return 0;
	char buf[11];
	memcpy(buf, s, sizeof(buf));
	buf[4] = buf[7] = '\0';
	if (str_to_long(buf, 1970, 9999, &y) || str_to_long(buf + 5, 1, 12, &m) ||
	    str_to_long(buf + 8, 1, mdays[m - 1], &d))
		return 0;
	return !(m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

/* A date filter: "" when absent, NULL (and an error) when not a date. */
static const char *
date_filter(struct form *f, const char *field)
{
	const char *v = form_text(f, field);
	if (!v || !*v)
		return NULL;
	if (!valid_date(v)) {
		form_error(f, field, "Enter a date as YYYY-MM-DD.");
		return NULL;
	}
	return v;
}

/* The query string filters into q (connector_id 0 lets ?connector= choose). */
static void
logs_query(struct form *f, struct log_query *q, struct pager *p)
{
	struct ctx *c = f->c;
	const char *st = http_query_get(c->req, "status");
	long v;
	/* the filters are query parameters: the form's input */
	f->in = c->req->query_args;
	if (!q->connector_id && str_to_long(form_text(f, "connector"), 1, LONG_MAX, &v) == 0)
		q->connector_id = v;
	q->status = st && !strcmp(st, "ok")	 ? LOG_OK
		    : st && !strcmp(st, "error") ? LOG_ERROR
						 : LOG_ANY;
	form_text(f, "status");
	q->from = date_filter(f, "from");
	q->to = date_filter(f, "to");
	pager_init(p, c);
	q->offset = p->offset;
	q->limit = p->per_page;
}

/* "per_page=25&status=ok&from=...": the filters for pager links. */
static const char *
logs_state(struct ctx *c, const struct log_query *q, long per_page, int with_connector)
{
	struct buf *b = buf_new_arena(c->a);
	static const char *const st[] = {"", "ok", "error"};
	if (!b)
		return "";
	buf_printf(b, "per_page=%ld", per_page);
	if (with_connector && q->connector_id)
		buf_printf(b, "&connector=%lld", q->connector_id);
	if (q->status != LOG_ANY)
		buf_printf(b, "&status=%s", st[q->status]);
	if (q->from)
		buf_printf(b, "&from=%s", q->from);
	if (q->to)
		buf_printf(b, "&to=%s", q->to);
	return b->failed ? "" : b->data;
}

static const char *
logs_who(struct ctx *c, const struct log_row *l)
{
	const char *user = l->user_name;
	if (l->token_name)
		return arena_printf(c->a, "%s (API token \"%s\")", user ? user : "unknown",
				    l->token_name);
	return user ? user : "unknown";
}

static struct json_object *
logs_rows(struct ctx *c, const struct log_row *rows, size_t n)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct log_row *l = &rows[i];
		struct json_object *o = json_object_new_object();
		long status = (long)l->status;
		const char *err = l->error;
		jset_str(o, "time", l->created_at);
		jset_str(o, "who", logs_who(c, l));
		jset_str(o, "kind", l->kind && !strcmp(l->kind, "execute") ? "API" : "Test");
		jset_str(o, "connector_name", l->connector_name ? l->connector_name : "(deleted)");
		if (l->connector_name)
			jset_str(o, "connector_logs_url",
				 arena_printf(c->a, "/data-connectors/%lld/logs", l->connector_id));
		jset_str(o, "endpoint", l->endpoint_purpose ? l->endpoint_purpose : "(deleted)");
		jset_str(o, "environment", l->environment);
		jset_str(o, "method", l->method);
		jset_str(o, "url", l->url);
		if (status > 0)
			jset_int(o, "status", status);
		jset_bool(o, "ok", status >= 200 && status < 300 && (!err || !*err));
		jset_str(o, "duration",
			 arena_printf(c->a, "%.1f ms", (double)l->duration_us / 1000.0));
		jset_int(o, "size", l->size);
		if (err && *err)
			jset_str(o, "error", err);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The connector filter's choices, the chosen one selected. */
static int
logs_connector_choices(struct ctx *c, long long chosen, struct json_object **out)
{
	struct log_connector *k;
	size_t n;
	int rc = db_log_connectors(c->db, c->a, &k, &n);
	if (rc != DB_OK)
		return rc;
	*out = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		jset_int(o, "id", k[i].id);
		jset_str(o, "name", k[i].name);
		jset_bool(o, "selected", k[i].id == chosen);
		json_object_array_add(*out, o);
	}
	return DB_OK;
}

/* The page; conn is the connector's name and tab links for a Logs tab, NULL for all. */
static int
logs_page(struct ctx *c, struct log_query *q, struct json_object *conn)
{
	struct form f;
	struct pager p;
	struct log_row *rows;
	size_t n;
	form_init(&f, c);
	logs_query(&f, q, &p);
	/* Rows this process queued are written first: the Test just run is on the page. */
	db_log_writer_flush();
	int rc = db_log_list(c->db, c->a, q, &rows, &n, &p.total);
	struct json_object *d = json_object_new_object(), *choices = NULL;
	web_defer_json(c, d);
	if (conn) {
		jset(d, "connector", conn);
		jset_bool(d, "tab_logs", 1);
	}
	if (rc == DB_OK && !conn)
		rc = logs_connector_choices(c, q->connector_id, &choices);
	if (rc != DB_OK)
		return rc;
	const char *path =
	    conn ? arena_printf(c->a, "/data-connectors/%lld/logs", q->connector_id) : LOGS_PATH;
	jset_str(d, "title", "Execution Logs");
	jset_str(d, "path", path);
	jset(d, "rows", logs_rows(c, rows, n));
	jset_bool(d, "has_rows", n > 0);
	jset(d, "pager", pager_json(&p, logs_state(c, q, p.per_page, !conn)));
	jset_bool(d, "status_ok", q->status == LOG_OK);
	jset_bool(d, "status_error", q->status == LOG_ERROR);
	if (choices)
		jset(d, "connectors", choices);
	form_put(&f, d);
	return web_render(c, 200, "logs_list", json_object_get(d));
}

int
web_logs_list(struct ctx *c)
{
	struct log_query q;
	memset(&q, 0, sizeof(q));
	return logs_page(c, &q, NULL);
}

int
web_logs_connector(struct ctx *c)
{
	struct log_query q;
	struct json_object *o;
	memset(&q, 0, sizeof(q));
	q.connector_id = c->ids[0];
	int rc = connector_tabs_load(c, NULL, &o);
	return rc != DB_OK ? rc : logs_page(c, &q, o);
}
