/* Migrations: sql/NNN_name.sql applied in order, each recorded with its SHA-256. */
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static const char MIGRATIONS_DDL[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				     " version INT UNSIGNED NOT NULL PRIMARY KEY,"
				     " name VARCHAR(255) NOT NULL,"
				     " checksum CHAR(64) NOT NULL,"
				     " applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP"
				     ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

enum stmt { S_MIGRATION_GET, S_MIGRATION_ADD, S__MAX };

static const char *const SQL[S__MAX] = {
    [S_MIGRATION_GET] = "SELECT checksum FROM schema_migrations WHERE version = ?",
    [S_MIGRATION_ADD] = "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_migration_name(const char *n)
{
	size_t len = strlen(n);
	return len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' && n[1] <= '9' && n[2] >= '0' &&
	       n[2] <= '9' && n[3] == '_' && strcmp(n + len - 4, ".sql") == 0;
}

static void
sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
}

static int
read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return DB_EFAIL;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	return b->failed ? DB_ENOMEM : DB_OK;
}

/* Applies one file unless already recorded; a recorded file whose text changed is refused,
 * because the database no longer matches what the file says. */
static int
migrate_one(struct db *db, const char *dir, const char *name, int *applied)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct buf text;
	buf_init(&text);
	int rc = read_file(path, &text);
	if (rc != DB_OK) {
		log_err("migrate: cannot read %s", path);
		buf_free(&text);
		return rc;
	}
	char sum[65];
	sha256_hex(text.data ? text.data : "", text.len, sum);
	long long version = strtoll(name, NULL, 10);
	struct arena a;
	arena_init(&a, 4096);
	struct db_rows rows;
	rc = db_query_row(db, &a, &rows, SQL[S_MIGRATION_GET], "i", version);
	if (rc == DB_OK) {
		if (strcmp(db_cell(&rows, 0, 0), sum) != 0) {
			log_err("migrate: %s was changed after it was applied; refusing", name);
			rc = DB_EFAIL;
		}
		goto out;
	}
	if (rc != DB_ENOTFOUND)
		goto out;
	log_info("migrate: applying %s", name);
	if ((rc = db_begin(db)) != DB_OK)
		goto out;
	rc = db_exec_script(db, text.data ? text.data : "", text.len);
	if (rc == DB_OK)
		rc = db_exec(db, SQL[S_MIGRATION_ADD], "iss", version, name, sum);
	if (rc == DB_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	if (rc == DB_OK)
		(*applied)++;
	else
		log_err("migrate: %s failed: %s", name, db_errmsg(db));
out:
	arena_free(&a);
	buf_free(&text);
	return rc;
}

int
db_migrate(struct db *db, const char *dir, int *applied)
{
	*applied = 0;
	int rc = db_exec_script(db, MIGRATIONS_DDL, sizeof(MIGRATIONS_DDL) - 1);
	if (rc != DB_OK)
		return rc;
	DIR *d = opendir(dir);
	if (!d) {
		log_err("migrate: cannot open %s", dir);
		return DB_EFAIL;
	}
	char **names = NULL;
	size_t count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_migration_name(e->d_name))
			continue;
		char **grown = realloc(names, (count + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[count++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof(*names), name_cmp);
	for (size_t i = 0; i < count && rc == DB_OK; i++)
		rc = migrate_one(db, dir, names[i], applied);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}
