/* Data connectors: the list page, create, Details save with optimistic locking, delete. */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "versions.h"

const char *const connector_sort_names[CSORT__MAX] = {
    "name",	     "-name",	       "modified",     "-modified",  "created",
    "-created",	     "description",    "-description", "category",   "-category",
    "authorization", "-authorization", "endpoints",    "-endpoints",
};

/* The list page in two steps: the ids of one page, then those rows with their category ids
 * and endpoint count by primary key. Each order is a whole statement of its own (never SQL
 * built from input): without a filter the page comes off the sort column's index; with a
 * category the category's links are joined and sorted, the total riding along. */
#define ORDER_NAME	       "c.name"
#define ORDER_NAME_DESC	       "c.name DESC"
#define ORDER_MODIFIED	       "c.updated_at, c.id"
#define ORDER_MODIFIED_DESC    "c.updated_at DESC, c.id DESC"
#define ORDER_CREATED	       "c.created_at, c.id"
#define ORDER_CREATED_DESC     "c.created_at DESC, c.id DESC"
#define ORDER_DESCRIPTION      "c.description, c.id"
#define ORDER_DESCRIPTION_DESC "c.description DESC, c.id DESC"
#define FIRST_CATEGORY                                                                             \
	"(SELECT MIN(sk.name) FROM connector_categories sx JOIN categories sk"                     \
	" ON sk.id = sx.category_id WHERE sx.connector_id = c.id)"
#define ORDER_CATEGORY	     FIRST_CATEGORY ", c.id"
#define ORDER_CATEGORY_DESC  FIRST_CATEGORY " DESC, c.id DESC"
#define ORDER_AUTH	     "c.auth_type, c.id"
#define ORDER_AUTH_DESC	     "c.auth_type DESC, c.id DESC"
#define ENDPOINT_COUNT	     "(SELECT COUNT(*) FROM endpoints se WHERE se.connector_id = c.id)"
#define ORDER_ENDPOINTS	     ENDPOINT_COUNT ", c.id"
#define ORDER_ENDPOINTS_DESC ENDPOINT_COUNT " DESC, c.id DESC"
/* One statement per order of a family (macro F over an ORDER_*), in enum connector_sort's
 * order. */
#define ALL_ORDERS(F)                                                                              \
	{                                                                                          \
		F(ORDER_NAME), F(ORDER_NAME_DESC), F(ORDER_MODIFIED), F(ORDER_MODIFIED_DESC),      \
		    F(ORDER_CREATED), F(ORDER_CREATED_DESC), F(ORDER_DESCRIPTION),                 \
		    F(ORDER_DESCRIPTION_DESC), F(ORDER_CATEGORY), F(ORDER_CATEGORY_DESC),          \
		    F(ORDER_AUTH), F(ORDER_AUTH_DESC), F(ORDER_ENDPOINTS), F(ORDER_ENDPOINTS_DESC) \
	}

#define CONN_IDS_ALL(order)                                                                        \
	"SELECT c.id, (SELECT SUM(connectors) FROM connector_stats WHERE id = 1) AS total"         \
	" FROM connectors c ORDER BY " order " LIMIT ? OFFSET ?"
#define CONN_IDS_CATEGORY(order)                                                                   \
	"SELECT c.id, COUNT(*) OVER () AS total FROM connector_categories f"                       \
	" JOIN connectors c ON c.id = f.connector_id WHERE f.category_id = ?"                      \
	" ORDER BY " order " LIMIT ? OFFSET ?"

static const char *const sql_conn_ids[CSORT__MAX] = ALL_ORDERS(CONN_IDS_ALL);

static const char *const sql_conn_cat_ids[CSORT__MAX] = ALL_ORDERS(CONN_IDS_CATEGORY);

/* A search scans the connectors anyway (a substring can be anywhere; LIKE '%q%' uses no
 * index), but the categories whose names match come first, from the small categories table
 * through the links' category index, as one materialized set probed by primary key; each
 * order is again a statement of its own, so the sort is on plain columns. */
#define CONN_SEARCH_MATCH                                                                          \
	" (c.name LIKE ? ESCAPE '!' OR c.description LIKE ? ESCAPE '!'"                            \
	" OR c.id IN (SELECT cc.connector_id FROM categories k"                                    \
	" JOIN connector_categories cc ON cc.category_id = k.id WHERE k.name LIKE ? ESCAPE '!'))"
#define CONN_IDS_SEARCH(order)                                                                     \
	"SELECT c.id, COUNT(*) OVER () AS total FROM connectors c WHERE" CONN_SEARCH_MATCH         \
	" ORDER BY " order " LIMIT ? OFFSET ?"
/* Searching within a category starts from that category's links (a few hundred rows by
 * the links' category index) instead of every connector. */
#define CONN_IDS_CATEGORY_SEARCH(order)                                                            \
	"SELECT c.id, COUNT(*) OVER () AS total FROM connector_categories f"                       \
	" JOIN connectors c ON c.id = f.connector_id WHERE f.category_id = ? "                     \
	"AND" CONN_SEARCH_MATCH " ORDER BY " order " LIMIT ? OFFSET ?"

static const char *const sql_conn_search[CSORT__MAX] = ALL_ORDERS(CONN_IDS_SEARCH);

static const char *const sql_conn_cat_search[CSORT__MAX] = ALL_ORDERS(CONN_IDS_CATEGORY_SEARCH);

/* The rows of up to CONN_ROWS_CHUNK ids (unused slots bound to 0, which no row has). */
#define CONN_ROWS_CHUNK 25
#define ID_SLOTS_5	"?, ?, ?, ?, ?"

enum stmt {
	S_CONN_ROWS,
	S_CONN_STATS,
	S_CONN_COUNT,
	S_CONN_GET,
	S_CONN_CATEGORIES,
	S_CONN_ADD,
	S_CONN_SET,
	S_CONN_VERSION,
	S_CONN_LINK,
	S_CONN_UNLINK_ALL,
	S_CONN_DEL,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    [S_CONN_ROWS] = "SELECT c.id, c.name, c.description, c.auth_type, c.created_at, c.updated_at,"
		    " (SELECT GROUP_CONCAT(cc.category_id) FROM connector_categories cc"
		    " WHERE cc.connector_id = c.id) AS category_ids,"
		    " (SELECT COUNT(*) FROM endpoints e WHERE e.connector_id = c.id) AS endpoints"
		    " FROM connectors c WHERE c.id IN (" ID_SLOTS_5 ", " ID_SLOTS_5 ", " ID_SLOTS_5
		    ", " ID_SLOTS_5 ", " ID_SLOTS_5 ")",
    /* Kept exact by the triggers of sql/004_connector_counts.sql: the sum of one row per
     * database server (sql/009_node_counters.sql). */
    [S_CONN_STATS] = "SELECT SUM(connectors) AS n FROM connector_stats WHERE id = 1",
    [S_CONN_COUNT] = "SELECT COUNT(*) AS n FROM connectors",
    [S_CONN_GET] = "SELECT c.id," CONNECTOR_FIELDS(
	F_COL) " c.auth_type, c.version, c.created_at,"
	       " c.updated_at, COALESCE(NULLIF(cu.display_name, ''), cu.username) AS "
	       "created_by_name,"
	       " COALESCE(NULLIF(uu.display_name, ''), uu.username) AS updated_by_name"
	       " FROM connectors c LEFT JOIN users cu ON cu.id = c.created_by"
	       " LEFT JOIN users uu ON uu.id = c.updated_by WHERE c.id = ?",
    [S_CONN_CATEGORIES] =
	"SELECT k.id, k.name, k.status FROM connector_categories cc"
	" JOIN categories k ON k.id = cc.category_id WHERE cc.connector_id = ? ORDER BY k.name",
    [S_CONN_ADD] = "INSERT INTO connectors (" CONNECTOR_FIELDS(
	F_NAME) " auth_type, created_by, updated_by)"
		" VALUES (" CONNECTOR_FIELDS(F_VAL) " ?, NULLIF(?, 0), NULLIF(?, 0))",
    [S_CONN_SET] = "UPDATE connectors SET" CONNECTOR_FIELDS(
	F_SET) " updated_by = NULLIF(?, 0),"
	       " updated_at = CURRENT_TIMESTAMP, version = version + 1 WHERE id = ? AND version = "
	       "?",
    [S_CONN_VERSION] = "SELECT version FROM connectors WHERE id = ?",
    [S_CONN_LINK] = "INSERT INTO connector_categories (connector_id, category_id) VALUES (?, ?)",
    [S_CONN_UNLINK_ALL] = "DELETE FROM connector_categories WHERE connector_id = ?",
    [S_CONN_DEL] = "DELETE FROM connectors WHERE id = ?",
};

enum connector_sort
connector_sort_parse(const char *s)
{
	for (int i = 0; s && i < CSORT__MAX; i++)
		if (strcmp(s, connector_sort_names[i]) == 0)
			return (enum connector_sort)i;
	return CSORT__MAX;
}

/* How many connectors there are, from the stats row (a full count if it is missing). */
static int
connector_count(struct db *db, struct arena *a, long long *n)
{
	struct db_rows r;
	int rc = db_query_row(db, a, &r, SQL[S_CONN_STATS], "");
	if (rc == DB_ENOTFOUND || (rc == DB_OK && !db_get(&r, 0, "n")))
		rc = db_query_row(db, a, &r, SQL[S_CONN_COUNT], "");
	if (rc == DB_OK)
		*n = db_get_ll(&r, 0, "n", 0);
	return rc;
}

/* The ids of one page (columns id, total) for q at offset/limit. */
static int
connector_page_ids(struct db *db, struct arena *a, const struct connector_query *q,
		   const char *like, long long offset, long limit, struct db_rows *out)
{
	long long s = q->sort < CSORT__MAX ? q->sort : CSORT_NAME, lim = limit;
	if (like)
		return q->category_id > 0 ? db_query(db, a, out, sql_conn_cat_search[s], "isssii",
						     q->category_id, like, like, like, lim, offset)
					  : db_query(db, a, out, sql_conn_search[s], "sssii", like,
						     like, like, lim, offset);
	if (q->category_id > 0)
		return db_query(db, a, out, sql_conn_cat_ids[s], "iii", q->category_id, lim,
				offset);
	return db_query(db, a, out, sql_conn_ids[s], "ii", lim, offset);
}

/* Total and "any connector at all" for a page: every row carries the total (the stats row,
 * or the window count of a filter); past the last page one row of the first page tells it,
 * and without a filter the stats row. */
static int
connector_page_total(struct db *db, struct arena *a, const struct connector_query *q,
		     const char *like, const struct db_rows *ids, long long *total, int *any)
{
	int filtered = like || q->category_id > 0, rc = DB_OK;
	long long all = -1;
	*total = ids->nrows ? db_get_ll(ids, 0, "total", -1) : 0;
	if (*total < 0 || (!filtered && !ids->nrows)) {
		rc = connector_count(db, a, &all); /* no stats row, or past the last page */
		*total = all;
	} else if (!ids->nrows && q->offset > 0) {
		struct db_rows first;
		rc = connector_page_ids(db, a, q, like, 0, 1, &first);
		if (rc == DB_OK && first.nrows)
			*total = db_get_ll(&first, 0, "total", 0);
	}
	if (rc == DB_OK && *total == 0 && filtered && all < 0)
		rc = connector_count(db, a, &all);
	*any = *total > 0 || all > 0;
	return rc;
}

/* Index of column name in r (columns are few; looked up once per result, not per cell). */
static size_t
col_of(const struct db_rows *r, const char *name)
{
	size_t c = 0;
	while (c < r->ncols && strcmp(r->names[c], name) != 0)
		c++;
	return c;
}

/* Appends the rows of r to out in the order of ids (rows come back in no particular order). */
static void
connector_rows_fill(const struct db_rows *r, const long long *ids, size_t n,
		    struct connector_row *out, size_t *filled)
{
	size_t cid = col_of(r, "id"), cname = col_of(r, "name"), cdesc = col_of(r, "description"),
	       cauth = col_of(r, "auth_type"), ccre = col_of(r, "created_at"),
	       cupd = col_of(r, "updated_at"), ccat = col_of(r, "category_ids"),
	       cep = col_of(r, "endpoints");
	for (size_t i = 0; i < n; i++) {
		for (size_t row = 0; row < r->nrows; row++) {
			const char *id = db_cell(r, row, cid);
			if (!id || strtoll(id, NULL, 10) != ids[i])
				continue;
			struct connector_row *c = &out[(*filled)++];
			const char *cats = db_cell(r, row, ccat), *eps = db_cell(r, row, cep);
			c->id = ids[i];
			c->name = db_cell(r, row, cname);
			c->description = db_cell(r, row, cdesc);
			c->auth_type = db_cell(r, row, cauth);
			c->created_at = db_cell(r, row, ccre);
			c->updated_at = db_cell(r, row, cupd);
			c->category_ids = cats ? cats : "";
			c->endpoints = eps ? strtoll(eps, NULL, 10) : 0;
			break;
		}
	}
}

/* The list rows of ids, in their order, CONN_ROWS_CHUNK ids per statement. */
static int
connector_rows(struct db *db, struct arena *a, const long long *ids, size_t n,
	       struct connector_row **rows, size_t *nrows)
{
	*nrows = 0;
	*rows = arena_alloc(a, (n + 1) * sizeof(**rows));
	if (!*rows)
		return DB_ENOMEM;
	for (size_t at = 0; at < n; at += CONN_ROWS_CHUNK) {
		long long v[CONN_ROWS_CHUNK] = {0};
		size_t k = n - at < CONN_ROWS_CHUNK ? n - at : CONN_ROWS_CHUNK;
		memcpy(v, ids + at, k * sizeof(*v));
		struct db_rows r;
		int rc = db_query(db, a, &r, SQL[S_CONN_ROWS], "iiiiiiiiiiiiiiiiiiiiiiiii", v[0],
				  v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
				  v[11], v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19],
				  v[20], v[21], v[22], v[23], v[24]);
		if (rc != DB_OK)
			return rc;
		connector_rows_fill(&r, ids + at, k, *rows, nrows);
	}
	return DB_OK;
}

static int
connector_list_db(struct db *db, struct arena *a, const struct connector_query *q,
		  struct connector_row **rows, size_t *nrows, long long *total, int *any)
{
	const char *like = NULL;
	if (q->q && *q->q && !(like = store_like_pattern(a, q->q)))
		return DB_ENOMEM;
	struct db_rows page;
	long long *ids = NULL;
	int rc = connector_page_ids(db, a, q, like, q->offset, q->limit, &page);
	if (rc == DB_OK)
		rc = connector_page_total(db, a, q, like, &page, total, any);
	if (rc == DB_OK && !(ids = arena_alloc(a, (page.nrows + 1) * sizeof(*ids))))
		rc = DB_ENOMEM;
	if (rc != DB_OK)
		return rc;
	for (size_t i = 0; i < page.nrows; i++)
		ids[i] = db_get_ll(&page, i, "id", 0);
	return connector_rows(db, a, ids, page.nrows, rows, nrows);
}

/* ---- the list cache: pages by their query and the change counters read before them ---- */

static void
list_pack(struct buf *b, const struct connector_row *rows, size_t n, long long total, int any)
{
	pack_i64(b, total);
	pack_i64(b, any);
	pack_i64(b, (long long)n);
	for (size_t i = 0; i < n; i++) {
		const struct connector_row *r = &rows[i];
		pack_i64(b, r->id);
		pack_i64(b, r->endpoints);
		pack_str(b, r->name);
		pack_str(b, r->description);
		pack_str(b, r->auth_type);
		pack_str(b, r->created_at);
		pack_str(b, r->updated_at);
		pack_str(b, r->category_ids);
	}
}

static int
list_unpack(struct arena *a, const void *val, size_t len, struct connector_row **rows,
	    size_t *nrows, long long *total, int *any)
{
	struct unpack u = {val, len, 0};
	long long t = unpack_i64(&u), y = unpack_i64(&u), n = unpack_i64(&u);
	if (u.bad || n < 0 || (size_t)n > len)
		return DB_EFAIL;
	struct connector_row *out = arena_alloc(a, ((size_t)n + 1) * sizeof(*out));
	if (!out)
		return DB_ENOMEM;
	for (long long i = 0; i < n; i++) {
		struct connector_row *r = &out[i];
		r->id = unpack_i64(&u);
		r->endpoints = unpack_i64(&u);
		r->name = unpack_str(&u);
		r->description = unpack_str(&u);
		r->auth_type = unpack_str(&u);
		r->created_at = unpack_str(&u);
		r->updated_at = unpack_str(&u);
		r->category_ids = unpack_str(&u);
	}
	if (u.bad)
		return DB_EFAIL;
	*rows = out;
	*nrows = (size_t)n;
	*total = t;
	*any = (int)y;
	return DB_OK;
}

/* ---- db_connector_list: one read-through query (core.h) ---- */

struct list_arg {
	struct db *db;
	struct arena *a;
	const struct connector_query *q;
	struct connector_row **rows;
	size_t *nrows;
	long long *total;
	int *any;
};

static int
list_fill(void *arg, struct buf *b)
{
	struct list_arg *x = arg;
	int rc = connector_list_db(x->db, x->a, x->q, x->rows, x->nrows, x->total, x->any);
	if (rc == DB_OK && b)
		list_pack(b, *x->rows, *x->nrows, *x->total, *x->any);
	return rc;
}

static int
list_use(void *arg, struct arena *a, const void *val, size_t len)
{
	struct list_arg *x = arg;
	return list_unpack(a, val, len, x->rows, x->nrows, x->total, x->any);
}

/* A list page of 100 rows packs to about 30 KB. After a save every worker misses the same
 * pages at once: one asks, the others wait for its answer (a search scans every
 * connector). */
static struct cache_query list_query = {.max_entries = 256,
					.max_bytes = 8u << 20,
					.claim_ms = 2000,
					.fill = list_fill,
					.use = list_use};

const char *
db_connector_list_key(struct arena *a, const struct db_gens *gens, const struct connector_query *q,
		      const char *what)
{
	/* Both counters: a search also matches category names. q last, as it may hold '|'. */
	if (!gens || gens->connectors <= 0 || gens->categories <= 0)
		return NULL;
	return arena_printf(a, "%s|%lld|%lld|%d|%lld|%lld|%ld|%s", what, gens->connectors,
			    gens->categories, (int)q->sort, q->category_id, q->offset, q->limit,
			    q->q ? q->q : "");
}

int
db_connector_list(struct db *db, struct arena *a, const struct db_gens *gens,
		  const struct connector_query *q, struct connector_row **rows, size_t *nrows,
		  long long *total, int *any)
{
	struct list_arg x = {db, a, q, rows, nrows, total, any};
	return cache_through(&list_query, db_connector_list_key(a, gens, q, "rows"), a, &x);
}

/* Links ids to connector id; the caller owns the transaction. */
static int
connector_link(struct db *db, long long id, const long long *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = db_exec(db, SQL[S_CONN_LINK], "ii", id, ids[i]);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

struct connector_save {
	const struct connector_input *in;
	long long id, version, user_id;
	const struct db_audit *au;
};

static int
connector_create_tx(struct db *db, void *arg)
{
	struct connector_save *s = arg;
	const struct connector_input *in = s->in;
	int rc =
	    db_exec(db, SQL[S_CONN_ADD], CONNECTOR_FIELDS(F_TYPE) "sii" CONNECTOR_FIELDS(F_ARG),
		    in->auth_type ? in->auth_type : "none", s->user_id, s->user_id);
	if (rc != DB_OK)
		return rc;
	s->id = (long long)db_last_id(db);
	rc = connector_link(db, s->id, in->category_ids, in->ncategories);
	if (rc == DB_OK)
		rc = db_version_record(db, s->id, s->user_id, VERSION_CREATED, 0);
	return rc == DB_OK ? db_audit_put(db, s->au, s->id) : rc;
}

int
db_connector_create(struct db *db, const struct connector_input *in, long long user_id,
		    long long *id, const struct db_audit *au)
{
	struct connector_save s = {.in = in, .user_id = user_id, .au = au};
	int rc = db_tx(db, connector_create_tx, &s);
	*id = s.id;
	return rc;
}

static int
connector_update_tx(struct db *db, void *arg)
{
	struct connector_save *s = arg;
	const struct connector_input *in = s->in;
	int rc =
	    db_exec(db, SQL[S_CONN_SET], CONNECTOR_FIELDS(F_TYPE) "iii" CONNECTOR_FIELDS(F_ARG),
		    s->user_id, s->id, s->version);
	if (rc == DB_OK && db_affected(db) == 0) {
		/* Nothing matched: stale when the row is still there, else it is gone. */
		struct arena a;
		arena_init(&a, 512);
		struct db_rows r;
		rc = db_query_row(db, &a, &r, SQL[S_CONN_VERSION], "i", s->id);
		arena_free(&a);
		if (rc == DB_OK)
			rc = STORE_ESTALE;
	}
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_CONN_UNLINK_ALL], "i", s->id);
	if (rc == DB_OK)
		rc = connector_link(db, s->id, in->category_ids, in->ncategories);
	if (rc == DB_OK)
		rc = db_version_record(db, s->id, s->user_id, VERSION_DETAILS, 0);
	return rc == DB_OK ? db_audit_put(db, s->au, s->id) : rc;
}

int
db_connector_update(struct db *db, long long id, long long version,
		    const struct connector_input *in, long long user_id, const struct db_audit *au)
{
	struct connector_save s = {
	    .in = in, .id = id, .version = version, .user_id = user_id, .au = au};
	return db_tx(db, connector_update_tx, &s);
}

int
db_connector_get(struct db *db, struct arena *a, long long id, struct connector *out)
{
	struct db_rows rows, *r = &rows;
	int rc = db_query_row(db, a, r, SQL[S_CONN_GET], "i", id);
	memset(out, 0, sizeof(*out));
	if (rc != DB_OK)
		return rc;
	out->id = db_get_ll(r, 0, "id", 0);
	out->version = db_get_ll(r, 0, "version", 0);
	CONNECTOR_FIELDS(F_ROW)
	out->auth_type = db_get_str(r, 0, "auth_type");
	out->created_at = db_get_str(r, 0, "created_at");
	out->updated_at = db_get_str(r, 0, "updated_at");
	out->created_by_name = db_get(r, 0, "created_by_name");
	out->updated_by_name = db_get(r, 0, "updated_by_name");
	return DB_OK;
}

int
db_connector_categories(struct db *db, struct arena *a, long long id, struct category **cats,
			size_t *n)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_CONN_CATEGORIES], "i", id);
	return db_categories_of(a, rc, &r, cats, n);
}

int
db_connector_delete(struct db *db, long long id)
{
	int rc = db_exec(db, SQL[S_CONN_DEL], "i", id);
	if (rc != DB_OK)
		return rc;
	return db_affected(db) ? DB_OK : DB_ENOTFOUND;
}
