/* dcgate-admin: migrations, users, keys and config checks from the command line. */
#include <config.h>

#include <grp.h>
#include <json-c/json.h>
#include <mysql.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "connector/connector.h"
#include "db/log_detail.h"
#include "db/logs.h"
#include "db/users.h"
#include "web/web.h"

static int
usage(void)
{
	fprintf(stderr,
		"usage: dcgate-admin [-c config] COMMAND\n"
		"  migrate                         apply pending sql/NNN_*.sql migrations\n"
		"  init-key                        create the key file if it is missing (0600;\n"
		"                                  as root with server.user set: 0640, that\n"
		"                                  user's group, also for an existing key)\n"
		"  create-user NAME [--super-admin] [--display-name X] [--email X]\n"
		"                                  password from $DCGATE_PASSWORD\n"
		"  check-config                    parse the config and reach the database\n"
		"  rotate-key                      new key; re-seal every secret; old key kept as "
		".prev\n"
		"  routes                          print the route table as JSON\n"
		"  purge-logs [--days N]           delete execution logs older than N days\n"
		"                                  (default [logs] retention_days, 30)\n");
	return 2;
}

static int
cmd_migrate(struct app *app)
{
	struct db *db;
	if (db_open(&db, &app->cfg) != DB_OK) {
		fprintf(stderr, "dcgate-admin: cannot connect to the database: %s\n",
			db_errmsg(db));
		db_close(db);
		return 1;
	}
	int applied = 0;
	int rc = db_migrate(db, config_get(&app->cfg, "database.migrations", "sql"), &applied);
	db_close(db);
	if (rc != DB_OK) {
		fprintf(stderr, "dcgate-admin: migration failed\n");
		return 1;
	}
	printf("migrations applied: %d\n", applied);
	return 0;
}

/* The group key files get: that of server.user, when it is set and dcgate-admin runs as
 * root (dcgate, started as root, drops to that user and must still read a rotated key on
 * SIGHUP). Returns 1 with *gid set, 0 when the files stay 0600 for their owner, -1 when
 * server.user does not exist. */
static int
key_group(struct app *app, gid_t *gid)
{
	const char *name = config_get(&app->cfg, "server.user", "");
	if (geteuid() != 0 || !*name)
		return 0;
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		fprintf(stderr, "dcgate-admin: server.user %s does not exist\n", name);
		return -1;
	}
	*gid = pw->pw_gid;
	return 1;
}

/* Gives PATH the group of server.user (mode 0640) when key_group says so; SAY prints it. */
static int
key_share(struct app *app, const char *path, int say)
{
	gid_t gid = 0;
	int g = key_group(app, &gid);
	if (g <= 0)
		return g;
	if (crypt_key_file_set_group(path, gid) != CRYPT_OK) {
		fprintf(stderr, "dcgate-admin: cannot give key file %s the group of server.user\n",
			path);
		return -1;
	}
	struct group *gr = getgrgid(gid);
	if (say)
		printf("key file %s: mode 0640, group %s (server.user %s)\n", path,
		       gr ? gr->gr_name : "?", config_get(&app->cfg, "server.user", ""));
	return 1;
}

static int
cmd_init_key(struct app *app)
{
	const char *path = config_get(&app->cfg, "security.key_file", "var/secret.key");
	gid_t gid;
	if (key_group(app, &gid) < 0)
		return 1;
	int rc = crypt_key_file_create(path);
	if (rc == CRYPT_OK) {
		printf("created key file %s\n", path);
		return key_share(app, path, 1) < 0 ? 1 : 0;
	}
	struct crypt_keyring kr;
	memset(&kr, 0, sizeof(kr));
	if (crypt_keyring_load(&kr, path) == CRYPT_OK) {
		crypt_keyring_wipe(&kr);
		printf("key file %s exists\n", path);
		return key_share(app, path, 1) < 0 ? 1 : 0;
	}
	fprintf(stderr, "dcgate-admin: cannot create or read key file %s\n", path);
	return 1;
}

static int
cmd_create_user(struct app *app, int argc, char **argv)
{
	if (argc < 1)
		return usage();
	const char *name = argv[0], *display = "", *email = "";
	int super = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--super-admin"))
			super = 1;
		else if (!strcmp(argv[i], "--display-name") && i + 1 < argc)
			display = argv[++i];
		else if (!strcmp(argv[i], "--email") && i + 1 < argc)
			email = argv[++i];
		else
			return usage();
	}
	const char *pw = getenv("DCGATE_PASSWORD");
	if (!pw || strlen(pw) < 8) {
		fprintf(stderr, "dcgate-admin: set DCGATE_PASSWORD (8 characters or more)\n");
		return 1;
	}
	struct arena a;
	arena_init(&a, 4096);
	char *hash = NULL;
	struct db *db = NULL;
	int ok = 0;
	if (crypt_password_hash(&a, pw, app->auth.scrypt_log_n, app->auth.scrypt_r,
				app->auth.scrypt_p, &hash) != CRYPT_OK) {
		fprintf(stderr, "dcgate-admin: hashing failed\n");
	} else if (db_open(&db, &app->cfg) != DB_OK) {
		fprintf(stderr, "dcgate-admin: cannot connect to the database\n");
	} else {
		long long id = 0;
		int rc = db_user_add_cli(db, name, display, email, hash, super, &id);
		if (rc == DB_EDUP)
			fprintf(stderr, "dcgate-admin: user %s already exists\n", name);
		else if (rc != DB_OK)
			fprintf(stderr, "dcgate-admin: cannot create user: %s\n", db_errmsg(db));
		else {
			struct user who = {.id = 0, .username = "dcgate-admin"};
			audit_write(db, &who, "user.create", "user", id, super ? "super admin" : "",
				    "cli");
			printf("created user %s\n", name);
			ok = 1;
		}
	}
	db_close(db);
	arena_free(&a);
	return ok ? 0 : 1;
}

/* New key in KEY.new, every secret re-sealed under it in one transaction, then KEY.new
 * becomes KEY and the old key stays readable as KEY.prev. Running dcgate processes pick
 * the new key up on SIGHUP (systemctl reload dcgate); run as root with server.user set,
 * both files get that user's group (0640) first, so a dcgate serving as that user can. */
static int
cmd_rotate_key(struct app *app)
{
	const char *path = config_get(&app->cfg, "security.key_file", "var/secret.key");
	char next[4096], prev[4096];
	snprintf(next, sizeof(next), "%s.new", path);
	snprintf(prev, sizeof(prev), "%s.prev", path);
	if (!app->have_keys) {
		fprintf(stderr, "dcgate-admin: the current key %s cannot be read\n", path);
		return 1;
	}
	if (key_share(app, path, 0) < 0)
		return 1;
	unlink(next);
	if (crypt_key_file_create(next) != CRYPT_OK || key_share(app, next, 0) < 0 ||
	    crypt_keyring_add_file(&app->keys, next, 1) != CRYPT_OK) {
		fprintf(stderr, "dcgate-admin: cannot create the new key %s\n", next);
		unlink(next);
		return 1;
	}
	struct db *db = NULL;
	int count = 0, ok = 0;
	if (db_open(&db, &app->cfg) != DB_OK)
		fprintf(stderr, "dcgate-admin: cannot connect to the database\n");
	else if (connector_rotate_keys(db, &app->keys, &count) != CRYPT_OK)
		fprintf(stderr, "dcgate-admin: rotation failed; nothing was changed\n");
	else if (rename(path, prev) != 0 || rename(next, path) != 0)
		fprintf(stderr,
			"dcgate-admin: secrets re-sealed but the key files could not be "
			"renamed: move %s to %s by hand\n",
			next, path);
	else
		ok = 1;
	if (ok) {
		audit_write(db, NULL, "key.rotate", "key", 0, "", "cli");
		printf("re-sealed %d values under key %s; old key kept in %s\n", count,
		       app->keys.keys[app->keys.current].id, prev);
		gid_t gid;
		if (key_group(app, &gid) > 0)
			printf("key files: mode 0640, group of server.user %s\n",
			       config_get(&app->cfg, "server.user", ""));
	} else {
		unlink(next);
	}
	db_close(db);
	return ok ? 0 : 1;
}

static int
cmd_check_config(struct app *app)
{
	printf("config %s: ok\n", app->cfg.path);
	printf("key file: %s\n", app->have_keys ? "loaded" : "NOT loaded");
	int ok = app_reload_templates(app) == 0;
	printf("templates: %s\n", ok ? "ok" : "FAILED");
	struct db *db = NULL;
	int up = db_open(&db, &app->cfg) == DB_OK;
	printf("database: %s\n", up ? "reachable" : "NOT reachable");
	db_close(db);
	return ok && up && app->have_keys ? 0 : 1;
}

/* Deletes execution logs past the retention ([logs] retention_days; 0 keeps them all). */
static int
cmd_purge_logs(struct app *app, int argc, char **argv)
{
	long days = config_get_long(&app->cfg, "logs.retention_days", 30);
	if (argc == 2 && !strcmp(argv[0], "--days")) {
		if (str_to_long(argv[1], 0, 36500, &days) != CORE_OK)
			return usage();
	} else if (argc != 0) {
		return usage();
	}
	if (days <= 0) {
		printf("retention_days is 0: execution logs are kept\n");
		return 0;
	}
	struct db *db = NULL;
	long long n = 0;
	int rc = db_open(&db, &app->cfg);
	long long bodies = 0;
	if (rc == DB_OK)
		rc = db_log_purge(db, days, &n);
	if (rc == DB_OK) /* kept request and response bodies past their time (sql/020) */
		rc = db_log_expire_bodies(db, &bodies);
	if (rc != DB_OK)
		fprintf(stderr, "dcgate-admin: purge failed: %s\n", db ? db_errmsg(db) : "");
	else
		printf("deleted %lld execution log rows older than %ld days; cleared the bodies of "
		       "%lld\n",
		       n, days, bodies);
	db_close(db);
	return rc == DB_OK ? 0 : 1;
}

static int
cmd_routes(void)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < web_routes_count; i++) {
		const struct route *r = &web_routes[i];
		struct json_object *o = json_object_new_object();
		jset_str(o, "method", r->method);
		jset_str(o, "pattern", r->pattern);
		jset_str(o, "perm", r->perm == PERM_NONE ? NULL : perm_table[r->perm].name);
		jset_str(o, "perm2", r->perm2 == PERM_NONE ? NULL : perm_table[r->perm2].name);
		jset_bool(o, "public", r->flags & R_PUBLIC);
		jset_bool(o, "api", r->flags & R_API);
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "-c")) {
		conf = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage();
	const char *cmd = argv[i++];
	if (!strcmp(cmd, "routes"))
		return cmd_routes();
	struct app app;
	char err[512];
	if (app_init(&app, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcgate-admin: %s\n", err);
		return 1;
	}
	mysql_library_init(0, NULL, NULL);
	int rc;
	if (!strcmp(cmd, "migrate"))
		rc = cmd_migrate(&app);
	else if (!strcmp(cmd, "init-key"))
		rc = cmd_init_key(&app);
	else if (!strcmp(cmd, "create-user"))
		rc = cmd_create_user(&app, argc - i, argv + i);
	else if (!strcmp(cmd, "rotate-key"))
		rc = cmd_rotate_key(&app);
	else if (!strcmp(cmd, "check-config"))
		rc = cmd_check_config(&app);
	else if (!strcmp(cmd, "purge-logs"))
		rc = cmd_purge_logs(&app, argc - i, argv + i);
	else
		rc = usage();
	app_free(&app);
	mysql_library_end();
	return rc;
}
