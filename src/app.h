/* The process-wide state (app) and the per-thread state (worker). */
#ifndef DCGATE_APP_H
#define DCGATE_APP_H

#include <config.h>

#include <pthread.h>

/* Only what the structs below hold by value; a file that uses a layer includes that
 * layer's header itself. */
#include "auth/auth.h"
#include "core/core.h"
#include "crypt/crypt.h"
#include "http/http.h"
#include "outbound/outbound.h"

struct db;
struct tmpl_set;

#define DCGATE_VERSION PACKAGE_VERSION

struct app {
	struct config cfg;
	struct http_limits limits;
	struct auth_config auth;
	struct crypt_keyring keys;
	int have_keys;
	struct outbound_config outbound; /* [outbound]: timeouts, limits, address policy */
	const char *cookie_name;
	long per_page;
	pthread_rwlock_t tmpl_lock;
	struct tmpl_set *tmpls;
	unsigned long tmpl_gen; /* counts template reloads: HTML rendered earlier is stale */
};

struct worker {
	int id;
	struct app *app;
	struct db *db;
	void *curl; /* CURL *, reused for every outbound request of this worker */
	struct arena arena;
};

/* Loads the config (path, else $DCGATE_CONF, else dcgate.conf), templates and key file. */
int app_init(struct app *app, const char *conf_path, char *err, size_t errlen);
int app_reload_templates(struct app *app);
int app_reload_keys(struct app *app);
void app_free(struct app *app);
const char *app_conf_path(const char *given);

#endif
