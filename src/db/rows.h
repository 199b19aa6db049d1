/* Typed rows: a result's columns as the members of a struct, listed once in a field list
 * X(name, kind) whose name is both the column and the member. kind says its C type:
 *   INT    long long (0 for SQL NULL);
 *   TEXT   const char * ("" for SQL NULL);
 *   NTEXT  const char * (NULL for SQL NULL: "none" is a meaning of its own).
 * A header declares the struct with DB_ROW_MEMBER; its db/ file reads rows into it with
 * DB_ROWS_READER. Cells stay in the arena of the query (or of the cache entry). */
#ifndef DCGATE_DB_ROWS_H
#define DCGATE_DB_ROWS_H

#include "db.h"

#define DB_ROW_CTYPE_INT   long long
#define DB_ROW_CTYPE_TEXT  const char *
#define DB_ROW_CTYPE_NTEXT const char *

#define DB_ROW_MEMBER(n, k) DB_ROW_CTYPE_##k n;

#define DB_ROW_READ_INT(r, i, col)   db_get_ll(r, i, col, 0)
#define DB_ROW_READ_TEXT(r, i, col)  db_get_str(r, i, col)
#define DB_ROW_READ_NTEXT(r, i, col) db_get(r, i, col)
#define DB_ROW_READ(n, k)	     o->n = DB_ROW_READ_##k(r, i, #n);

/* Defines static int fn(struct arena *a, int rc, const struct db_rows *r, type **out,
 * size_t *n): when rc is DB_OK, every row of r as a type (FIELDS' members) in an array in a
 * (*n of them); returns rc, or DB_ENOMEM. */
#define DB_ROWS_READER(fn, type, FIELDS)                                                           \
	static int fn(struct arena *a, int rc, const struct db_rows *r, type **out, size_t *n)     \
	{                                                                                          \
		*out = NULL;                                                                       \
		*n = 0;                                                                            \
		if (rc != DB_OK)                                                                   \
			return rc;                                                                 \
		type *v = arena_alloc(a, (r->nrows + 1) * sizeof(*v));                             \
		if (!v)                                                                            \
			return DB_ENOMEM;                                                          \
		for (size_t i = 0; i < r->nrows; i++) {                                            \
			type *o = &v[i];                                                           \
			FIELDS(DB_ROW_READ)                                                        \
		}                                                                                  \
		*out = v;                                                                          \
		*n = r->nrows;                                                                     \
		return DB_OK;                                                                      \
	}

/* Defines static int fn(int rc, const struct db_rows *r, type *out): when rc is DB_OK (a
 * db_query_row's), row 0 of r into *out; returns rc. */
#define DB_ROW_READER(fn, type, FIELDS)                                                            \
	static int fn(int rc, const struct db_rows *r, type *o)                                    \
	{                                                                                          \
		const size_t i = 0;                                                                \
		if (rc != DB_OK)                                                                   \
			return rc;                                                                 \
		FIELDS(DB_ROW_READ)                                                                \
		return DB_OK;                                                                      \
	}

#endif
