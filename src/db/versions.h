/* db/versions: a connector's version history (sql/019_versions.sql). Every save of its
 * details, authorization or endpoints records a snapshot inside the save's transaction;
 * a restore writes the snapshot's plain fields back (never a secret) as a new version.
 * Every function takes the request arena for results and returns a db_err (0 ok). */
#ifndef DCGATE_DB_VERSIONS_H
#define DCGATE_DB_VERSIONS_H

#include "endpoints.h"
#include "environments.h"
#include "rows.h"

/* What a version row says about the save that made it. */
enum version_kind {
	VERSION_CREATED,
	VERSION_DETAILS,
	VERSION_AUTHORIZATION,
	VERSION_ENDPOINTS,
	VERSION_RESTORE,
	VERSION_IMPORT,
	VERSION_ENVIRONMENTS,
	VERSION_KIND__MAX
};
extern const char *const version_kind_names[VERSION_KIND__MAX];	 /* "details", ... */
extern const char *const version_kind_labels[VERSION_KIND__MAX]; /* "Details saved", ... */
enum version_kind version_kind_parse(const char *s);

/* Records the connector's state as its next version (n = last + 1), made by user_id (0:
 * nobody). Call inside the save's transaction, after its writes: the connector row is
 * locked by them, so two saves cannot take the same n. restored_from 0 unless a restore. */
int db_version_record(struct db *db, long long connector_id, long long user_id,
		      enum version_kind kind, long long restored_from);

/* A version row (src/db/rows.h); snapshot is its JSON text (NULL when none). */
#define VERSION_ROW_FIELDS(X)                                                                      \
	X(n, INT)                                                                                  \
	X(kind, TEXT)                                                                              \
	X(username, TEXT)                                                                          \
	X(created_at, TEXT)                                                                        \
	X(restored_from, INT)                                                                      \
	X(snapshot, NTEXT)
struct version_row {
	VERSION_ROW_FIELDS(DB_ROW_MEMBER)
};
/* Newest first, at most limit rows (*rows in the arena). */
int db_version_list(struct db *db, struct arena *a, long long connector_id, long limit,
		    struct version_row **rows, size_t *n);
/* One version; DB_ENOTFOUND when there is none. */
int db_version_get(struct db *db, struct arena *a, long long connector_id, long long n,
		   struct version_row *out);

/* The plain fields a restore writes back. Secrets, sealed variables, allowed_origins and
 * token_origin stay as they are (they change only with the secrets they bind). */
struct version_restore {
	long long connector_id;
	long long version;	       /* the connector's version the user saw; 0: do not check */
	long long n;		       /* the version restored */
	struct connector_fields v;     /* the details (src/db/connector_fields.h) */
	const long long *category_ids; /* kept when none of them may still be assigned */
	size_t ncategories;
	const char *auth_type;
	int verify_ssl;
	const char *username, *token_url, *client_id, *scope, *client_auth, *api_key_name,
	    *api_key_in;
	const struct endpoint_input *endpoints;
	const long long *endpoint_ids; /* the ids they had: kept, so their URLs still work */
	size_t nendpoints;
	/* The snapshot's environments (plain settings, variables by name; no secret) for
	 * db_env_restore; with_environments 0: an old snapshot without them, left as they are. */
	const struct db_env_fields *environments;
	size_t nenvironments;
	int with_environments;
};
/* In one transaction: details, categories (those that still exist and are active or
 * already linked), authorization's plain fields, the endpoints replaced by the snapshot's,
 * the environments' plain settings (db_env_restore),
 * the cached OAuth token forgotten, and a new version of kind restore. STORE_ESTALE when
 * the version moved on, DB_ENOTFOUND when the connector is gone, DB_EDUP when the name is
 * now another connector's. *new_n gets the new version's number. */
int db_version_restore(struct db *db, const struct version_restore *r, long long user_id,
		       long long *new_n);

#endif
