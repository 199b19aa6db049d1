/* store: data connectors and their categories (src/db/connectors.c, src/db/categories.c).
 * Every function takes the request arena for results and returns a db_err (0 ok). */
#ifndef DCGATE_DB_STORE_H
#define DCGATE_DB_STORE_H

#include "db.h"

/* A save over a version someone else already replaced (optimistic locking). */
#define STORE_ESTALE (-30)

/* ---- categories ---- */

enum category_status { CATEGORY_ACTIVE, CATEGORY_INACTIVE, CATEGORY_STATUS__MAX };
extern const char *const category_status_names[CATEGORY_STATUS__MAX];  /* "active"... */
extern const char *const category_status_labels[CATEGORY_STATUS__MAX]; /* "Active"... */
/* Status by its name; CATEGORY_STATUS__MAX when unknown. */
enum category_status category_status_parse(const char *s);

/* One page of categories whose name contains q ("" for all), by name, with columns id,
 * name, status, created_at, updated_at, connectors (how many use it); *total counts all
 * matches. */
int db_category_list(struct db *db, struct arena *a, const char *q, long long offset, long limit,
		     struct db_rows *out, long long *total);
/* Every category (id, name, status) by name: for pickers and filters. */
int db_category_all(struct db *db, struct arena *a, struct db_rows *out);
/* The same, from this process's cache when gens (read before) match an entry. */
int db_category_all_cached(struct db *db, struct arena *a, const struct db_gens *gens,
			   struct db_rows *out);
/* One category with the columns of the list; DB_ENOTFOUND when there is none. */
int db_category_get(struct db *db, struct arena *a, long long id, struct db_rows *out);
/* DB_EDUP when the name (case-insensitively) is taken. The saves below write au (NULL:
 * none) in their transaction. */
int db_category_create(struct db *db, const char *name, enum category_status status, long long *id,
		       const struct db_audit *au);
/* DB_EDUP as above, DB_ENOTFOUND when the category is gone. */
int db_category_update(struct db *db, long long id, const char *name, enum category_status status,
		       const struct db_audit *au);
/* DB_EFK when a connector still uses it, DB_ENOTFOUND when it is gone. */
int db_category_delete(struct db *db, long long id);

/* ---- connectors ---- */

/* Authentication types, in the order of the create form's select. The same list as
 * outbound.h's enum auth_type (the db layer sits above outbound, so it keeps its own copy of
 * the names; outbound_auth's table is the one to use once web code links outbound). */
#define CONNECTOR_AUTH_COUNT 6
extern const char *const connector_auth_names[CONNECTOR_AUTH_COUNT];  /* column values */
extern const char *const connector_auth_labels[CONNECTOR_AUTH_COUNT]; /* what users read */
/* Index of an auth type name; -1 when unknown. */
int connector_auth_index(const char *s);

/* List orders; each one is a whole statement of its own (never SQL built from input). */
enum connector_sort {
	CSORT_NAME,
	CSORT_NAME_DESC,
	CSORT_MODIFIED,
	CSORT_MODIFIED_DESC,
	CSORT_CREATED,
	CSORT_CREATED_DESC,
	CSORT__MAX
};
extern const char *const connector_sort_names[CSORT__MAX]; /* "name", "-name", ... */
/* Sort by its ?sort= name; CSORT__MAX when unknown. */
enum connector_sort connector_sort_parse(const char *s);

struct connector_query {
	const char *q;	       /* substring of name, description or a category name; "" none */
	long long category_id; /* only connectors in this category; 0 for all */
	enum connector_sort sort;
	long long offset;
	long limit;
};

/* One row of the list page. */
struct connector_row {
	long long id;
	const char *name, *description, *auth_type, *created_at, *updated_at;
	const char *category_ids; /* "3,7": its categories' ids, in no order; "" for none */
	long long endpoints;
};

/* One page of connectors in the query's order; with gens (read before, with the session or
 * token) it may come from this process's cache of pages at those counters. *total counts every
 * match; *any tells whether there is any connector at all (for "No Data Available"). */
int db_connector_list(struct db *db, struct arena *a, const struct db_gens *gens,
		      const struct connector_query *q, struct connector_row **rows, size_t *nrows,
		      long long *total, int *any);

/* What a create or a Details save writes. */
struct connector_input {
	const char *name;
	const char *description;
	long max_concurrency;  /* calls in flight at once; 0: outbound.connector_concurrency */
	const char *auth_type; /* create only (a connector_auth_names value); the Authorization
				* tab owns it afterwards */
	const long long *category_ids;
	size_t ncategories;
};

/* Connector and category links in one transaction. DB_EDUP: the name is taken; DB_EFK: a
 * category vanished meanwhile. user_id 0 records nobody. */
int db_connector_create(struct db *db, const struct connector_input *in, long long user_id,
			long long *id, const struct db_audit *au);
/* Name, description and categories when the stored version is still `version`, all in one
 * transaction; the version goes up by one. STORE_ESTALE when someone saved in between,
 * DB_ENOTFOUND when the connector is gone, DB_EDUP, DB_EFK as for create. */
int db_connector_update(struct db *db, long long id, long long version,
			const struct connector_input *in, long long user_id,
			const struct db_audit *au);
/* Columns id, name, description, auth_type, version, created_at, updated_at,
 * created_by_name, updated_by_name (NULL when unknown); DB_ENOTFOUND when none. */
int db_connector_get(struct db *db, struct arena *a, long long id, struct db_rows *out);
/* The connector's categories: id, name, status, by name. */
int db_connector_categories(struct db *db, struct arena *a, long long id, struct db_rows *out);
/* The connector with its endpoints, headers, parameters and cached tokens (the foreign keys
 * cascade inside the one DELETE statement). DB_ENOTFOUND when it is gone. */
int db_connector_delete(struct db *db, long long id);

/* The process's caches (created on first use, freed at exit); NULL when memory ran out. */
enum store_cache {
	STORE_CACHE_LIST,	/* db_connector_list pages */
	STORE_CACHE_CATEGORIES, /* db_category_all_cached */
	STORE_CACHE_API_LIST,	/* whole answers of GET /api/1.0/data-connectors */
	STORE_CACHE__MAX
};
struct cache *store_cache(enum store_cache which);

/* Escapes LIKE's wildcards with '!' (statements say ESCAPE '!') and wraps s in '%'. */
char *store_like_pattern(struct arena *a, const char *s);

#endif
