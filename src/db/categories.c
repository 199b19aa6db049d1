/* Data connector categories: list, lookup, create, update, delete. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

const char *const category_status_names[CATEGORY_STATUS__MAX] = {"active", "inactive"};
const char *const category_status_labels[CATEGORY_STATUS__MAX] = {"Active", "Inactive"};

#define CATEGORY_COLS                                                                              \
	"SELECT k.id, k.name, k.status, k.created_at, k.updated_at,"                               \
	" (SELECT COUNT(*) FROM connector_categories cc WHERE cc.category_id = k.id)"              \
	" AS connectors FROM categories k"

#define CATEGORY_PAGE(order)                                                                       \
	CATEGORY_COLS " WHERE k.name LIKE ? ESCAPE '!' ORDER BY " order " LIMIT ? OFFSET ?"
static const char *const sql_category_pages[CATSORT__MAX] = {
    CATEGORY_PAGE("k.name"),
    CATEGORY_PAGE("k.name DESC"),
    CATEGORY_PAGE("k.status, k.name"),
    CATEGORY_PAGE("k.status DESC, k.name"),
    CATEGORY_PAGE("connectors, k.name"),
    CATEGORY_PAGE("connectors DESC, k.name"),
    CATEGORY_PAGE("k.updated_at, k.id"),
    CATEGORY_PAGE("k.updated_at DESC, k.id DESC"),
    CATEGORY_PAGE("k.created_at, k.id"),
    CATEGORY_PAGE("k.created_at DESC, k.id DESC"),
};
const char *const category_sort_names[CATSORT__MAX] = {
    "name",	   "-name",    "status",    "-status", "connectors",
    "-connectors", "modified", "-modified", "created", "-created",
};

enum stmt {
	S_CATEGORY_COUNT,
	S_CATEGORY_ALL,
	S_CATEGORY_GET,
	S_CATEGORY_ADD,
	S_CATEGORY_SET,
	S_CATEGORY_EXISTS,
	S_CATEGORY_DEL,
	S__MAX
};

static const char *const SQL[S__MAX] = {
    [S_CATEGORY_COUNT] = "SELECT COUNT(*) AS n FROM categories k WHERE k.name LIKE ? ESCAPE '!'",
    [S_CATEGORY_ALL] = "SELECT id, name, status FROM categories ORDER BY name",
    [S_CATEGORY_GET] = CATEGORY_COLS " WHERE k.id = ?",
    [S_CATEGORY_ADD] = "INSERT INTO categories (name, status) VALUES (?, ?)",
    [S_CATEGORY_SET] =
	"UPDATE categories SET name = ?, status = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
    [S_CATEGORY_EXISTS] = "SELECT id FROM categories WHERE id = ?",
    [S_CATEGORY_DEL] = "DELETE FROM categories WHERE id = ?",
};

enum category_status
category_status_parse(const char *s)
{
	for (int i = 0; s && i < CATEGORY_STATUS__MAX; i++)
		if (strcmp(s, category_status_names[i]) == 0)
			return (enum category_status)i;
	return CATEGORY_STATUS__MAX;
}

char *
store_like_pattern(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, 2 * n + 3);
	if (!out)
		return NULL;
	size_t j = 0;
	out[j++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '!')
			out[j++] = '!';
		out[j++] = s[i];
	}
	out[j++] = '%';
	out[j] = '\0';
	return out;
}

enum category_sort
category_sort_parse(const char *s)
{
	for (int i = 0; s && i < CATSORT__MAX; i++)
		if (strcmp(s, category_sort_names[i]) == 0)
			return (enum category_sort)i;
	return CATSORT__MAX;
}

int
db_categories_of(struct arena *a, int rc, const struct db_rows *r, struct category **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (rc != DB_OK)
		return rc;
	struct category *k = arena_alloc(a, (r->nrows + 1) * sizeof(*k));
	if (!k)
		return DB_ENOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		k[i].id = db_get_ll(r, i, "id", 0);
		k[i].name = db_get_str(r, i, "name");
		k[i].status = db_get_str(r, i, "status");
		k[i].created_at = db_get_str(r, i, "created_at");
		k[i].updated_at = db_get_str(r, i, "updated_at");
		k[i].connectors = db_get_ll(r, i, "connectors", 0);
	}
	*out = k;
	*n = r->nrows;
	return DB_OK;
}

int
db_category_list_sorted(struct db *db, struct arena *a, const char *q, enum category_sort sort,
			long long offset, long limit, struct category **out, size_t *n,
			long long *total)
{
	char *like = store_like_pattern(a, q ? q : "");
	struct db_rows r;
	if (!like)
		return DB_ENOMEM;
	int rc = db_query_row(db, a, &r, SQL[S_CATEGORY_COUNT], "s", like);
	if (rc != DB_OK)
		return rc;
	*total = db_get_ll(&r, 0, "n", 0);
	rc = db_query(db, a, &r, sql_category_pages[sort < CATSORT__MAX ? sort : CATSORT_NAME],
		      "sii", like, (long long)limit, offset);
	return db_categories_of(a, rc, &r, out, n);
}

int
db_category_list(struct db *db, struct arena *a, const char *q, long long offset, long limit,
		 struct category **out, size_t *n, long long *total)
{
	return db_category_list_sorted(db, a, q, CATSORT_NAME, offset, limit, out, n, total);
}

int
db_category_all(struct db *db, struct arena *a, struct category **out, size_t *n)
{
	struct db_rows r;
	int rc = db_query(db, a, &r, SQL[S_CATEGORY_ALL], "");
	return db_categories_of(a, rc, &r, out, n);
}

/* ---- db_category_all_cached: one read-through query (core.h) ---- */

struct cats_arg {
	struct db *db;
	struct arena *a;
	struct db_rows *out;
};

static int
cats_fill(void *arg, struct buf *b)
{
	struct cats_arg *x = arg;
	int rc = db_query(x->db, x->a, x->out, SQL[S_CATEGORY_ALL], "");
	if (rc == DB_OK && b)
		db_rows_pack(b, x->out);
	return rc;
}

static int
cats_use(void *arg, struct arena *a, const void *val, size_t len)
{
	struct cats_arg *x = arg;
	return db_rows_unpack(a, &(struct unpack){val, len, 0}, x->out);
}

/* Categories are a few KB. */
static struct cache_query cats_query = {
    .max_entries = 8, .max_bytes = 2u << 20, .fill = cats_fill, .use = cats_use};

/* The key of the categories under the categories counter; NULL when it is unknown. */
static const char *
cats_key(struct arena *a, const struct db_gens *gens)
{
	return gens && gens->categories > 0 ? arena_printf(a, "all|%lld", gens->categories) : NULL;
}

int
db_category_all_cached(struct db *db, struct arena *a, const struct db_gens *gens,
		       struct category **out, size_t *n)
{
	struct db_rows r;
	struct cats_arg x = {db, a, &r};
	int rc = cache_through(&cats_query, cats_key(a, gens), a, &x);
	return db_categories_of(a, rc, &r, out, n);
}

int
db_category_get(struct db *db, struct arena *a, long long id, struct category *out)
{
	struct db_rows r;
	struct category *k;
	size_t n;
	int rc = db_query_row(db, a, &r, SQL[S_CATEGORY_GET], "i", id);
	if ((rc = db_categories_of(a, rc, &r, &k, &n)) == DB_OK)
		*out = k[0];
	return rc;
}

struct category_save {
	long long id;
	const char *name;
	enum category_status status;
	const struct db_audit *au;
};

static int
category_create_tx(struct db *db, void *arg)
{
	struct category_save *s = arg;
	int rc = db_exec(db, SQL[S_CATEGORY_ADD], "ss", s->name, category_status_names[s->status]);
	if (rc != DB_OK)
		return rc;
	s->id = (long long)db_last_id(db);
	return db_audit_put(db, s->au, s->id);
}

int
db_category_create(struct db *db, const char *name, enum category_status status, long long *id,
		   const struct db_audit *au)
{
	struct category_save s = {0, name, status, au};
	int rc = db_tx(db, category_create_tx, &s);
	*id = s.id;
	return rc;
}

/* 0 rows changed may also mean "same values": the lookup tells that from "gone". */
static int
category_exists(struct db *db, long long id)
{
	struct arena a;
	arena_init(&a, 512);
	struct db_rows r;
	int rc = db_query_row(db, &a, &r, SQL[S_CATEGORY_EXISTS], "i", id);
	arena_free(&a);
	return rc;
}

static int
category_update_tx(struct db *db, void *arg)
{
	struct category_save *s = arg;
	int rc = db_exec(db, SQL[S_CATEGORY_SET], "ssi", s->name, category_status_names[s->status],
			 s->id);
	if (rc == DB_OK && !db_affected(db))
		rc = category_exists(db, s->id);
	return rc == DB_OK ? db_audit_put(db, s->au, s->id) : rc;
}

int
db_category_update(struct db *db, long long id, const char *name, enum category_status status,
		   const struct db_audit *au)
{
	struct category_save s = {id, name, status, au};
	return db_tx(db, category_update_tx, &s);
}

int
db_category_delete(struct db *db, long long id)
{
	int rc = db_exec(db, SQL[S_CATEGORY_DEL], "i", id);
	if (rc != DB_OK)
		return rc;
	return db_affected(db) ? DB_OK : DB_ENOTFOUND;
}
