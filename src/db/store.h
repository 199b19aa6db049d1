/* store: data connectors and their categories (src/db/connectors.c, src/db/categories.c).
 * Every function takes the request arena for results and returns a db_err (0 ok). */
#ifndef DCGATE_DB_STORE_H
#define DCGATE_DB_STORE_H

#include "connector_fields.h"
#include "db.h"

/* A save over a version someone else already replaced (optimistic locking). */
#define STORE_ESTALE (-30)

/* ---- categories ---- */

enum category_status { CATEGORY_ACTIVE, CATEGORY_INACTIVE, CATEGORY_STATUS__MAX };
extern const char *const category_status_names[CATEGORY_STATUS__MAX];  /* "active"... */
extern const char *const category_status_labels[CATEGORY_STATUS__MAX]; /* "Active"... */
/* Status by its name; CATEGORY_STATUS__MAX when unknown. */
enum category_status category_status_parse(const char *s);

/* One category. */
struct category {
	long long id;
	const char *name, *status;
	const char *created_at, *updated_at; /* "" in the lists of db_category_all */
	long long connectors;		     /* how many use it (0 there too) */
};

/* One page of categories whose name contains q ("" for all), by name (*out in the arena);
 * *total counts all matches. */
int db_category_list(struct db *db, struct arena *a, const char *q, long long offset, long limit,
		     struct category **out, size_t *n, long long *total);
/* Orders of the category list, each a statement of its own. */
enum category_sort {
	CATSORT_NAME,
	CATSORT_NAME_DESC,
	CATSORT_STATUS,
	CATSORT_STATUS_DESC,
	CATSORT_CONNECTORS,
	CATSORT_CONNECTORS_DESC,
	CATSORT_MODIFIED,
	CATSORT_MODIFIED_DESC,
	CATSORT_CREATED,
	CATSORT_CREATED_DESC,
	CATSORT__MAX
};
extern const char *const category_sort_names[CATSORT__MAX]; /* "name", "-name", ... */
/* Sort by its ?sort= name; CATSORT__MAX when unknown. */
enum category_sort category_sort_parse(const char *s);
/* db_category_list in another order. */
int db_category_list_sorted(struct db *db, struct arena *a, const char *q, enum category_sort sort,
			    long long offset, long limit, struct category **out, size_t *n,
			    long long *total);
/* Every category (id, name, status) by name: for pickers and filters. */
int db_category_all(struct db *db, struct arena *a, struct category **out, size_t *n);
/* The same, from this process's cache when gens (read before) match an entry. */
int db_category_all_cached(struct db *db, struct arena *a, const struct db_gens *gens,
			   struct category **out, size_t *n);
/* One category; DB_ENOTFOUND when there is none. */
int db_category_get(struct db *db, struct arena *a, long long id, struct category *out);
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

/* Authentication types, in the order of the create form's select: core/names.h's one
 * table (enum auth_type), under the names the connector code reads. */
#define CONNECTOR_AUTH_COUNT  AUTH__MAX
#define connector_auth_names  auth_type_names  /* column values */
#define connector_auth_labels auth_type_labels /* what users read */
/* Index of an auth type name; -1 when unknown. */
#define connector_auth_index(s) auth_type_from_name(s)

/* List orders; each one is a whole statement of its own (never SQL built from input). */
enum connector_sort {
	CSORT_NAME,
	CSORT_NAME_DESC,
	CSORT_MODIFIED,
	CSORT_MODIFIED_DESC,
	CSORT_CREATED,
	CSORT_CREATED_DESC,
	CSORT_DESCRIPTION,
	CSORT_DESCRIPTION_DESC,
	CSORT_CATEGORY, /* by the first of its categories' names */
	CSORT_CATEGORY_DESC,
	CSORT_AUTH,
	CSORT_AUTH_DESC,
	CSORT_ENDPOINTS,
	CSORT_ENDPOINTS_DESC,
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
	struct connector_fields v; /* connector_fields.h */
	const char *auth_type;	   /* create only (a connector_auth_names value); the Authorization
				    * tab owns it afterwards */
	const long long *category_ids;
	size_t ncategories;
};

/* A stored connector's details. */
struct connector {
	long long id, version;
	struct connector_fields v; /* connector_fields.h */
	const char *auth_type, *created_at, *updated_at;
	const char *created_by_name, *updated_by_name; /* NULL when unknown */
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
/* The connector's details; DB_ENOTFOUND when there is none. */
int db_connector_get(struct db *db, struct arena *a, long long id, struct connector *out);
/* The connector's categories, by name (*cats in the arena). */
int db_connector_categories(struct db *db, struct arena *a, long long id, struct category **cats,
			    size_t *n);
/* The connector with its endpoints, headers, parameters and cached tokens (the foreign keys
 * cascade inside the one DELETE statement). DB_ENOTFOUND when it is gone. */
int db_connector_delete(struct db *db, long long id);

/* The cache key of a list page under the change counters (what: who keeps it, "rows"
 * for db_connector_list); NULL when the counters are unknown (then nothing is cached). */
const char *db_connector_list_key(struct arena *a, const struct db_gens *gens,
				  const struct connector_query *q, const char *what);

/* The categories of rows r (columns of struct category; those absent "" and 0) when rc is
 * DB_OK; returns rc, or DB_ENOMEM. */
int db_categories_of(struct arena *a, int rc, const struct db_rows *r, struct category **out,
		     size_t *n);

/* Escapes LIKE's wildcards with '!' (statements say ESCAPE '!') and wraps s in '%'. */
char *store_like_pattern(struct arena *a, const char *s);

#endif
