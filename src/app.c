/* Process-wide state: config, limits, templates (swapped whole on reload), key ring. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "db/db.h"
#include "tmpl/tmpl.h"

const char *
app_conf_path(const char *given)
{
	if (given && *given)
		return given;
	const char *env = getenv("DCGATE_CONF");
	return env && *env ? env : "dcgate.conf";
}

static void
app_limits(struct app *app)
{
	const struct config *cfg = &app->cfg;
	app->limits.max_body = (size_t)config_get_long(cfg, "limits.max_body", 1048576);
	app->limits.max_fields = (size_t)config_get_long(cfg, "limits.max_fields", 2000);
	app->limits.max_field = (size_t)config_get_long(cfg, "limits.max_field", 262144);
	app->limits.max_name = (size_t)config_get_long(cfg, "limits.max_name", 256);
	app->per_page = config_get_long(cfg, "limits.per_page", 25);
	if (app->per_page < 1 || app->per_page > 500)
		app->per_page = 25;
}

/* Loads the templates; called at start and on SIGHUP, which also reads the host's own
 * interface addresses again for the outbound deny list ("host" in outbound.deny). */
int
app_reload_templates(struct app *app)
{
	char err[512] = "";
	addr_policy_reload_host(&app->outbound.policy);
	struct tmpl_set *set = tmpl_set_new();
	const char *dir = config_get(&app->cfg, "server.templates", "templates");
	if (!set || tmpl_set_load_dir(set, dir, err, sizeof(err)) != TMPL_OK ||
	    !tmpl_set_get(set, "layout")) {
		log_err("templates: cannot load %s: %s", dir, *err ? err : "no layout.mustache");
		tmpl_set_free(set);
		return -1;
	}
	pthread_rwlock_wrlock(&app->tmpl_lock);
	struct tmpl_set *old = app->tmpls;
	app->tmpls = set;
	app->tmpl_gen++;
	pthread_rwlock_unlock(&app->tmpl_lock);
	tmpl_set_free(old);
	log_info("templates loaded from %s", dir);
	return 0;
}

/* Loads key_file as the current key and key_file.prev (left by rotate-key) as a readable
 * one. Keys are only ever added to the ring, so workers read it without a lock. */
int
app_reload_keys(struct app *app)
{
	const char *key = config_get(&app->cfg, "security.key_file", "var/secret.key");
	char prev[4096];
	snprintf(prev, sizeof(prev), "%s.prev", key);
	if (access(prev, F_OK) == 0)
		crypt_keyring_add_file(&app->keys, prev, 0);
	if (crypt_keyring_add_file(&app->keys, key, 1) != CRYPT_OK)
		return -1;
	app->have_keys = 1;
	return 0;
}

int
app_init(struct app *app, const char *conf_path, char *err, size_t errlen)
{
	memset(app, 0, sizeof(*app));
	pthread_rwlock_init(&app->tmpl_lock, NULL);
	const char *path = app_conf_path(conf_path);
	int line = 0;
	int rc = config_load(&app->cfg, path, &line);
	if (rc != CORE_OK) {
		if (rc == CORE_ESYNTAX)
			snprintf(err, errlen, "%s:%d: syntax error", path, line);
		else
			snprintf(err, errlen, "%s: cannot read the config file", path);
		return -1;
	}
	app_limits(app);
	if (outbound_config_load(&app->outbound, &app->cfg) != 0) {
		snprintf(err, errlen, "%s: invalid [outbound] settings (see the log)", path);
		config_free(&app->cfg);
		return -1;
	}
	auth_config_load(&app->auth, &app->cfg);
	app->cookie_name = config_get(&app->cfg, "security.cookie_name", "dcgate_session");
	const char *lvl = config_get(&app->cfg, "server.log_level", "info");
	log_set_level(!strcmp(lvl, "debug")   ? LOG_DEBUG
		      : !strcmp(lvl, "warn")  ? LOG_WARN
		      : !strcmp(lvl, "error") ? LOG_ERR
					      : LOG_INFO);
	const char *key = config_get(&app->cfg, "security.key_file", "var/secret.key");
	if (app_reload_keys(app) != 0)
		log_warn("key file %s not loaded: secrets cannot be sealed or opened", key);
	return 0;
}

void
app_free(struct app *app)
{
	tmpl_set_free(app->tmpls);
	app->tmpls = NULL;
	crypt_keyring_wipe(&app->keys);
	outbound_config_free(&app->outbound);
	config_free(&app->cfg);
	pthread_rwlock_destroy(&app->tmpl_lock);
}
