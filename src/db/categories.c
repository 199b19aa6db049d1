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

static const char SQL_CATEGORY_PAGE[] =
    CATEGORY_COLS " WHERE k.name LIKE ? ESCAPE '!' ORDER BY k.name LIMIT ? OFFSET ?";
static const char SQL_CATEGORY_COUNT[] =
    "SELECT COUNT(*) AS n FROM categories k WHERE k.name LIKE ? ESCAPE '!'";
static const char SQL_CATEGORY_ALL[] = "SELECT id, name, status FROM categories ORDER BY name";
static const char SQL_CATEGORY_GET[] = CATEGORY_COLS " WHERE k.id = ?";
static const char SQL_CATEGORY_ADD[] = "INSERT INTO categories (name, status) VALUES (?, ?)";
static const char SQL_CATEGORY_SET[] =
    "UPDATE categories SET name = ?, status = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?";
static const char SQL_CATEGORY_EXISTS[] = "SELECT id FROM categories WHERE id = ?";
static const char SQL_CATEGORY_DEL[] = "DELETE FROM categories WHERE id = ?";

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

int
db_category_list(struct db *db, struct arena *a, const char *q, long long offset, long limit,
		 struct db_rows *out, long long *total)
{
	char *like = store_like_pattern(a, q ? q : "");
	if (!like)
		return DB_ENOMEM;
	struct db_rows n;
	int rc = db_query_row(db, a, &n, SQL_CATEGORY_COUNT, "s", like);
	if (rc != DB_OK)
		return rc;
	*total = db_get_ll(&n, 0, "n", 0);
	return db_query(db, a, out, SQL_CATEGORY_PAGE, "sii", like, (long long)limit, offset);
}

int
db_category_all(struct db *db, struct arena *a, struct db_rows *out)
{
	return db_query(db, a, out, SQL_CATEGORY_ALL, "");
}

/* ---- the process's caches ---- */

static struct cache *store_caches[STORE_CACHE__MAX];
static pthread_once_t store_caches_once = PTHREAD_ONCE_INIT;

static void
store_caches_free(void)
{
	for (int i = 0; i < STORE_CACHE__MAX; i++) {
		cache_free(store_caches[i]);
		store_caches[i] = NULL;
	}
}

static void
store_caches_init(void)
{
	/* A list page of 100 rows packs to about 30 KB; categories are a few KB. */
	store_caches[STORE_CACHE_LIST] = cache_new(256, 8u << 20);
	store_caches[STORE_CACHE_CATEGORIES] = cache_new(8, 2u << 20);
	store_caches[STORE_CACHE_API_LIST] = cache_new(256, 8u << 20);
	atexit(store_caches_free);
}

struct cache *
store_cache(enum store_cache which)
{
	pthread_once(&store_caches_once, store_caches_init);
	return which < STORE_CACHE__MAX ? store_caches[which] : NULL;
}

int
db_category_all_cached(struct db *db, struct arena *a, const struct db_gens *gens,
		       struct db_rows *out)
{
	struct cache *cache = store_cache(STORE_CACHE_CATEGORIES);
	if (!cache || !gens || gens->categories <= 0)
		return db_category_all(db, a, out);
	const char *key = arena_printf(a, "all|%lld", gens->categories);
	void *val;
	size_t len;
	if (key && cache_get(cache, key, a, &val, &len) == CORE_OK &&
	    db_rows_unpack(a, &(struct unpack){val, len, 0}, out) == DB_OK)
		return DB_OK;
	int rc = db_category_all(db, a, out);
	if (rc == DB_OK && key) {
		struct buf b;
		buf_init(&b);
		db_rows_pack(&b, out);
		if (!b.failed)
			cache_put(cache, key, b.data, b.len);
		buf_free(&b);
	}
	return rc;
}

int
db_category_get(struct db *db, struct arena *a, long long id, struct db_rows *out)
{
	return db_query_row(db, a, out, SQL_CATEGORY_GET, "i", id);
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
	int rc = db_exec(db, SQL_CATEGORY_ADD, "ss", s->name, category_status_names[s->status]);
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
	int rc = db_query_row(db, &a, &r, SQL_CATEGORY_EXISTS, "i", id);
	arena_free(&a);
	return rc;
}

static int
category_update_tx(struct db *db, void *arg)
{
	struct category_save *s = arg;
	int rc =
	    db_exec(db, SQL_CATEGORY_SET, "ssi", s->name, category_status_names[s->status], s->id);
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
	int rc = db_exec(db, SQL_CATEGORY_DEL, "i", id);
	if (rc != DB_OK)
		return rc;
	return db_affected(db) ? DB_OK : DB_ENOTFOUND;
}
