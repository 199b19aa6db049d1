/* The Environments tab and its API (issue 19, item 1): a connector's named environments
 * (Development, Staging, Production...), at most one of them the default, each with a base
 * URL that relative endpoint URLs are joined to, plain and sealed variables read as
 * {{env.NAME}}, and optionally credentials of its own in place of the connector's, bound to
 * its own allowed origins. Sealed values are never sent back: the form shows them as set or
 * not set and a blank one keeps the stored value; the API answers them as {"set": bool}.
 * One reader (env_read) checks the form and the JSON body alike; a save is one transaction
 * with the connector's version, its history and the audit row (src/db/environments.c). */
#include <json-c/json.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "../db/environments.h"
#include "api.h"
#include "save.h"

#define ENV_NAME_MAX   64
#define ENV_URL_MAX    2048
#define ENV_TEXT_MAX   255
#define ENV_VALUE_MAX  8192
#define ENV_VARS_MAX   50
#define ENV_EXTRA_ROWS 2

static const char MSG_BAD_ORIGINS[] =
    "The allowed origins can be changed only together with entering every secret of this "
    "environment again (they would go to the new origins).";

/* The text member of struct db_environment at offset off. */
#define ENV_TEXT(e, off) (*(const char *const *)((const char *)(e) + (off)))
#define ENV_OFF(m)	 offsetof(struct db_environment, m)

/* The environment's own credentials: form field, label, which secret, stored member. */
struct env_secret {
	const char *field, *label;
	enum connector_secret which;
	size_t off;
};
static const struct env_secret env_secrets[] = {
    {"password", "Password", CONNECTOR_SECRET_PASSWORD, ENV_OFF(password)},
    {"token", "Token", CONNECTOR_SECRET_TOKEN, ENV_OFF(token)},
    {"api_key", "API Key", CONNECTOR_SECRET_API_KEY, ENV_OFF(api_key)},
    {"client_secret", "Client Secret", CONNECTOR_SECRET_CLIENT_SECRET, ENV_OFF(client_secret)},
};
#define ENV_SECRETS		(sizeof(env_secrets) / sizeof(env_secrets[0]))
#define env_secret_stored(e, k) ENV_TEXT(e, env_secrets[k].off) /* sealed, NULL: none */

/* The text members: JSON and form name, stored member. */
static const struct {
	const char *name;
	size_t off;
} env_texts[] = {{"name", ENV_OFF(name)},
		 {"base_url", ENV_OFF(base_url)},
		 {"allowed_origins", ENV_OFF(allowed_origins)},
		 {"username", ENV_OFF(username)},
		 {"client_id", ENV_OFF(client_id)},
		 {"token_url", ENV_OFF(token_url)}};
#define ENV_TEXTS (sizeof(env_texts) / sizeof(env_texts[0]))

/* A stored environment with its variables. */
struct env_stored {
	struct db_environment e;
	struct db_env_var *vars;
	size_t nvars;
};

/* The secret a method cannot work without (index into env_secrets), -1 for none. */
static int
env_needed_secret(enum auth_type t)
{
	switch (t) {
	case AUTH_BASIC:
	case AUTH_OAUTH2_PASSWORD:
		return 0;
	case AUTH_BEARER:
		return 1;
	case AUTH_API_KEY:
		return 2;
	case AUTH_OAUTH2_CLIENT_CREDENTIALS:
		return 3;
	default:
		return -1;
	}
}

static enum auth_type
env_auth_type(const struct db_auth_fields *conn)
{
	int t = auth_type_from_name(conn->auth_type);
	return t < 0 ? AUTH_NONE : (enum auth_type)t;
}

/* 1 when the stored environment lacks a secret: a sealed variable without a value, or, with
 * its own credentials, the one the connector's method needs. */
static int
env_lacks_secrets(const struct db_environment *e, enum auth_type t)
{
	if (e->unset > 0)
		return 1;
	int need = env_needed_secret(t);
	return e->auth_override && need >= 0 && !env_secret_stored(e, (size_t)need);
}

static const char *
env_base(struct ctx *c)
{
	return arena_printf(c->a, "/data-connectors/%lld/environments", c->ids[0]);
}

/* ------------------------------------------------------------------ reading */

/* What the form or body gave, checked. */
struct env_input {
	struct db_env_fields f;
	struct db_env_var vars[ENV_VARS_MAX];
	const char *secret[ENV_SECRETS];
	int kept;		  /* a stored secret (credential or sealed variable) stays */
	int typed;		  /* a secret was typed */
	int secrets_later;	  /* an import: secrets may be missing (asked for afterwards) */
	struct json_object *rows; /* the variable rows as typed, for re-rendering */
};

/* 1 for a name of letters, digits, spaces, '-', '_' and '.', not blank. */
static int
env_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == ' ' || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

/* An absolute http(s) URL without templates, spaces or control bytes; "" passes. */
static int
env_url_ok(struct ctx *c, const char *s)
{
	if (!*s)
		return 1;
	if (strstr(s, "{{") || !form_no_controls(s) || strchr(s, ' ') || strchr(s, '#'))
		return 0;
	return outbound_origin(c->a, s) != NULL;
}

/* A secret typed: checked and sealed under the environment's key. */
static const char *
env_seal(struct form *f, long long cid, const char *key, const struct env_secret *s,
	 const char *typed)
{
	struct ctx *c = f->c;
	char *sealed = NULL;
	if (strlen(typed) > ENV_VALUE_MAX || !form_no_controls(typed)) {
		form_error(f, s->field,
			   arena_printf(c->a,
					"The %s must be at most %d characters without line "
					"breaks.",
					s->label, ENV_VALUE_MAX));
		return NULL;
	}
	if (!c->app->have_keys || connector_env_secret_seal(&c->app->keys, c->a, cid, key, s->which,
							    typed, strlen(typed), &sealed) != 0) {
		form_error(f, s->field, "This server cannot store secrets (no key is loaded).");
		return NULL;
	}
	return sealed;
}

/* The stored sealed value of variable name (*found 1 when a sealed row of that name is
 * stored, its value then NULL when not set). */
static const char *
env_stored_var(const struct env_stored *old, const char *name, int *found)
{
	*found = 0;
	for (size_t i = 0; old && i < old->nvars; i++)
		if (!strcmp(old->vars[i].name, name) && old->vars[i].sealed) {
			*found = 1;
			return old->vars[i].value;
		}
	return NULL;
}

/* Rows var[N][name], var[N][value], var[N][sealed]; blank rows are skipped. */
static void
env_read_vars(struct form *f, long long cid, const char *key, const struct env_stored *stored,
	      struct env_input *in)
{
	struct ctx *c = f->c;
	in->rows = json_object_new_array();
	web_defer_json(c, in->rows);
	for (size_t i = 0; i < ENV_VARS_MAX + 10; i++) {
		const char *nf = arena_printf(c->a, "var[%zu][name]", i);
		const char *vf = arena_printf(c->a, "var[%zu][value]", i);
		const char *sf = arena_printf(c->a, "var[%zu][sealed]", i);
		const char *name = form_get(f, nf), *value = form_get(f, vf);
		int sealed = form_flag(f, sf), found = 0;
		if ((!name || !*name) && (!value || !*value))
			continue;
		name = name ? name : "";
		value = value ? value : "";
		const char *old = env_stored_var(stored, name, &found);
		struct json_object *row = json_object_new_object();
		jset_str(row, "name", name);
		jset_str(row, "value", sealed ? "" : value);
		jset_bool(row, "sealed", sealed);
		jset_bool(row, "set", sealed && found && old);
		jset_int(row, "src", (long long)i);
		json_object_array_add(in->rows, row);
		if (in->f.nvars >= ENV_VARS_MAX) {
			form_error(f, nf,
				   arena_printf(c->a, "At most %d variables.", ENV_VARS_MAX));
			continue;
		}
		if (!web_variable_name_ok(f, nf, name))
			continue;
		for (size_t k = 0; k < in->f.nvars; k++)
			if (!strcmp(in->vars[k].name, name))
				form_error(f, nf, "Each variable name may be used once.");
		if (strlen(value) > ENV_VALUE_MAX || !form_no_controls(value)) {
			form_error(f, vf,
				   arena_printf(c->a,
						"The value of %s must be at most %d characters "
						"without line breaks.",
						name, ENV_VALUE_MAX));
			continue;
		}
		struct db_env_var *v = &in->vars[in->f.nvars++];
		v->name = name;
		v->sealed = sealed;
		v->value = value;
		if (!sealed)
			continue;
		if (*value) {
			char *s = NULL;
			in->typed = 1;
			if (!c->app->have_keys ||
			    connector_env_variable_seal(&c->app->keys, c->a, cid, key, name, value,
							strlen(value), &s) != 0)
				form_error(f, vf,
					   "This server cannot store secrets (no key is loaded).");
			v->value = s;
		} else if (found) {
			v->value = old; /* kept (NULL: still not set) */
			in->kept |= old != NULL;
		} else if (in->secrets_later) {
			v->value = NULL;
		} else {
			form_error(f, vf, arena_printf(c->a, "Enter a value for %s.", name));
		}
	}
	in->f.vars = in->vars;
}

/* The credentials: typed -> sealed; clear_<field> -> removed; blank -> the stored one.
 * Without auth_override nothing is kept. */
static void
env_read_auth(struct form *f, long long cid, const char *key, const struct db_auth_fields *conn,
	      const struct env_stored *old, struct env_input *in)
{
	enum auth_type type = env_auth_type(conn);
	struct ctx *c = f->c;
	in->f.auth_override = form_flag(f, "auth_override");
	jset_bool(f->values, "auth_override", in->f.auth_override);
	in->f.username = form_optional(f, "username", "User", ENV_TEXT_MAX);
	in->f.client_id = form_optional(f, "client_id", "Client ID", ENV_TEXT_MAX);
	in->f.token_url = form_optional(f, "token_url", "URL Token", ENV_URL_MAX);
	if (!env_url_ok(c, in->f.token_url))
		form_error(f, "token_url",
			   "The URL Token must be an absolute http:// or https:// address.");
	if (!in->f.auth_override) {
		in->f.username = in->f.client_id = in->f.token_url = "";
		in->f.token_origin = "";
		return;
	}
	if (type == AUTH_NONE) {
		form_error(f, "auth_override",
			   "This Data Connector uses No Auth: there are no credentials to "
			   "replace.");
		return;
	}
	for (size_t i = 0; i < ENV_SECRETS; i++) {
		const struct env_secret *s = &env_secrets[i];
		const char *typed = form_get(f, s->field);
		const char *stored = old ? env_secret_stored(&old->e, i) : NULL;
		if (typed && *typed) {
			in->typed = 1;
			in->secret[i] = env_seal(f, cid, key, s, typed);
		} else if (form_flag(f, arena_printf(c->a, "clear_%s", s->field))) {
			in->secret[i] = NULL;
		} else {
			in->secret[i] = stored;
			in->kept |= stored != NULL;
		}
	}
	int need = env_needed_secret(type);
	if (need >= 0 && !in->secret[need] && !in->secrets_later)
		form_error(f, env_secrets[need].field,
			   arena_printf(c->a, "The %s field is required for %s.",
					env_secrets[need].label, auth_type_labels[type]));
	if ((type == AUTH_OAUTH2_CLIENT_CREDENTIALS || type == AUTH_OAUTH2_PASSWORD) &&
	    !*in->f.client_id)
		form_error(f, "client_id", "The Client ID field is required.");
	if ((type == AUTH_BASIC || type == AUTH_OAUTH2_PASSWORD) && !*in->f.username)
		form_error(f, "username", "The User field is required.");
	in->f.password = in->secret[0];
	in->f.token = in->secret[1];
	in->f.api_key = in->secret[2];
	in->f.client_secret = in->secret[3];
	/* The Client Secret and Password go only to the origin of the URL Token they are
	 * entered with: the environment's own, else the connector's as it is now (a later
	 * change of the connector's URL Token does not take them along). */
	const char *turl = *in->f.token_url ? in->f.token_url : conn->token_url;
	const char *origin = *turl ? outbound_origin(c->a, turl) : NULL;
	const char *stored_origin = old ? old->e.token_origin : "";
	in->f.token_origin = origin ? origin : "";
	int kept_oauth = (in->secret[0] && in->secret[0] == (old ? old->e.password : NULL)) ||
			 (in->secret[3] && in->secret[3] == (old ? old->e.client_secret : NULL));
	if (kept_oauth && strcmp(in->f.token_origin, stored_origin) != 0)
		form_error(f, "token_url",
			   "The stored Client Secret and Password may only be sent to the URL "
			   "Token they were entered with: enter them again to use this URL Token.");
}

/* The allowed origins: typed, else the base URL's origin. They change only when no stored
 * secret stays. */
static void
env_read_origins(struct form *f, const struct env_stored *old, struct env_input *in)
{
	struct ctx *c = f->c;
	const char *typed = form_optional(f, "allowed_origins", "Allowed origins", 4096);
	const char *bad = NULL, *list = "";
	if (*typed) {
		list = outbound_origin_list(c->a, typed, &bad);
		if (!list) {
			form_error(
			    f, "allowed_origins",
			    arena_printf(c->a,
					 "\"%s\" is not an origin: write scheme://host:port, "
					 "e.g. https://api.example.com:443.",
					 bad ? bad : ""));
			return;
		}
	}
	if (!*list && *in->f.base_url) {
		const char *o = outbound_origin(c->a, in->f.base_url);
		list = o ? o : "";
	}
	in->f.allowed_origins = list;
	const char *stored = old ? old->e.allowed_origins : "";
	if (old && in->kept && strcmp(list, stored) != 0)
		form_error(f, *typed ? "allowed_origins" : "base_url", MSG_BAD_ORIGINS);
}

/* Reads and checks the whole input; old is the stored one with its variables (NULL: a new
 * one). */
static void
env_read(struct form *f, long long cid, const struct db_auth_fields *conn,
	 const struct env_stored *old, struct env_input *in)
{
	struct ctx *c = f->c;
	int later = in->secrets_later;
	memset(in, 0, sizeof(*in));
	in->secrets_later = later;
	in->f.name = form_required(f, "name", "Name", ENV_NAME_MAX);
	if (*in->f.name && !env_name_ok(in->f.name))
		form_error(f, "name",
			   "The name may contain only letters, digits, spaces, '-', '_' and '.'.");
	in->f.is_default = form_flag(f, "is_default");
	jset_bool(f->values, "is_default", in->f.is_default);
	const char *version = form_text(f, "version");
	long v = 0;
	if (old && version && *version)
		in->f.version = str_to_long(version, 1, LONG_MAX, &v) == 0 ? v : -1; /* -1: stale */
	in->f.base_url = form_optional(f, "base_url", "Base URL", ENV_URL_MAX);
	if (!env_url_ok(c, in->f.base_url))
		form_error(f, "base_url",
			   "The base URL must be an absolute http:// or https:// address without "
			   "{{templates}}, e.g. https://staging.example.com/api.");
	in->f.seal_key = old ? old->e.seal_key : connector_env_new_key(c->a);
	if (!in->f.seal_key) {
		form_error(f, "name", "The server could not make a key for this environment.");
		return;
	}
	env_read_vars(f, cid, in->f.seal_key, old, in);
	env_read_auth(f, cid, in->f.seal_key, conn, old, in);
	env_read_origins(f, old, in);
}

/* ------------------------------------------------------------------ showing */

static struct json_object *
env_set_json(int set)
{
	struct json_object *o = json_object_new_object();
	jset_bool(o, "set", set);
	return o;
}

/* One environment as the API answers it (and the list shows it); vars NULL: without its
 * variables. */
static struct json_object *
env_json(struct ctx *c, const struct db_environment *e, const struct db_env_var *vars, size_t nvars,
	 enum auth_type type, int api)
{
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", e->id);
	jset_str(o, "name", e->name);
	jset_bool(o, "is_default", e->is_default);
	jset_int(o, "version", e->version);
	jset_str(o, "base_url", e->base_url);
	jset_str(o, "allowed_origins", e->allowed_origins);
	jset_bool(o, "auth_override", e->auth_override);
	jset_str(o, "username", e->username);
	jset_str(o, "client_id", e->client_id);
	jset_str(o, "token_url", e->token_url);
	for (size_t k = 0; k < ENV_SECRETS; k++)
		jset(o, env_secrets[k].field, env_set_json(env_secret_stored(e, k) != NULL));
	jset_bool(o, "secrets_missing", env_lacks_secrets(e, type));
	struct json_object *arr = vars ? json_object_new_array() : NULL;
	for (size_t k = 0; k < nvars; k++) {
		struct json_object *v = json_object_new_object();
		jset_str(v, "name", vars[k].name);
		jset_bool(v, "sealed", vars[k].sealed);
		if (vars[k].sealed)
			jset(v, "value", env_set_json(vars[k].value != NULL));
		else
			jset_str(v, "value", vars[k].value ? vars[k].value : "");
		json_object_array_add(arr, v);
	}
	if (arr)
		jset(o, "variables", arr);
	jset_int(o, "variable_count", e->nvars);
	jset_str(o, "created_at", api ? api_time(c->a, e->created_at) : e->created_at);
	jset_str(o, "updated_at", api ? api_time(c->a, e->updated_at) : e->updated_at);
	return o;
}

/* The connector (name, tab links) for the tab's pages. */
static struct json_object *
env_connector_json(struct ctx *c, const struct db_auth_fields *conn)
{
	struct json_object *o = json_object_new_object();
	const char *base = arena_printf(c->a, "/data-connectors/%lld", c->ids[0]);
	jset_int(o, "id", c->ids[0]);
	jset_str(o, "name", conn->name);
	jset_str(o, "url", base);
	jset_str(o, "authorization_url", arena_printf(c->a, "%s/authorization", base));
	jset_str(o, "endpoints_url", arena_printf(c->a, "%s/endpoints", base));
	jset_str(o, "auth_label", auth_type_labels[env_auth_type(conn)]);
	return o;
}

static int
env_render(struct ctx *c, int status, const char *tmpl, const struct db_auth_fields *conn,
	   struct json_object *d)
{
	jset(d, "connector", env_connector_json(c, conn));
	jset_bool(d, "tab_environments", 1);
	jset_bool(d, "may_edit", perm_has(c->user, PERM_EDIT_CONNECTORS));
	return web_render(c, status, tmpl, d);
}

int
web_env_list(struct ctx *c)
{
	struct db_auth_fields conn;
	struct db_environment *r = NULL;
	size_t n = 0;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &conn);
	if (rc == DB_OK)
		rc = db_env_list(c->db, c->a, c->ids[0], &r, &n);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object(), *rows = json_object_new_array();
	enum auth_type type = env_auth_type(&conn);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = env_json(c, &r[i], NULL, 0, type, 0);
		long long id = r[i].id;
		jset_str(o, "view_url", arena_printf(c->a, "%s/%lld", env_base(c), id));
		jset_str(o, "delete_url", arena_printf(c->a, "%s/%lld/delete", env_base(c), id));
		json_object_array_add(rows, o);
	}
	jset_str(d, "title", "Environments");
	jset(d, "rows", rows);
	jset_bool(d, "has_rows", n > 0);
	jset_str(d, "new_url", arena_printf(c->a, "%s/new", env_base(c)));
	return env_render(c, 200, "environments_list", &conn, d);
}

/* The variable rows for the form: those given (or stored), with the message of the row
 * they were typed in (field var[src][...]), and blank ones to fill. */
static struct json_object *
env_rows_view(struct form *f, struct json_object *rows)
{
	struct ctx *c = f->c;
	struct json_object *out = json_object_new_array(), *src = NULL, *e = NULL;
	size_t n = rows ? json_object_array_length(rows) : 0;
	for (size_t i = 0; i < n + ENV_EXTRA_ROWS; i++) {
		struct json_object *r = i < n ? json_object_get(json_object_array_get_idx(rows, i))
					      : json_object_new_object();
		jset_int(r, "n", (long long)i);
		if (json_object_object_get_ex(r, "src", &src)) {
			long long k = json_object_get_int64(src);
			if (json_object_object_get_ex(
				f->errors, arena_printf(c->a, "var[%lld][name]", k), &e) ||
			    json_object_object_get_ex(
				f->errors, arena_printf(c->a, "var[%lld][value]", k), &e))
				jset_str(r, "error", json_object_get_string(e));
		}
		json_object_array_add(out, r);
	}
	return out;
}

/* The add/edit page; old NULL for a new one, rows the variable rows to show. */
static int
env_form_page(struct ctx *c, int status, struct form *f, const struct db_auth_fields *conn,
	      const struct db_environment *old, struct json_object *rows)
{
	struct json_object *d = json_object_new_object();
	long long id = old ? old->id : 0;
	jset_bool(d, "is_new", !old);
	jset_str(d, "title",
		 old ? arena_printf(c->a, "Environment %s", old->name) : "New Environment");
	jset_str(d, "action", old ? arena_printf(c->a, "%s/%lld", env_base(c), id) : env_base(c));
	jset_str(d, "list_url", env_base(c));
	if (old) {
		jset_str(d, "delete_url", arena_printf(c->a, "%s/%lld/delete", env_base(c), id));
		struct json_object *set = json_object_new_object();
		for (size_t k = 0; k < ENV_SECRETS; k++)
			jset_bool(set, env_secrets[k].field, env_secret_stored(old, k) != NULL);
		jset(d, "secret_set", set);
		jset_str(d, "stored_origins", old->allowed_origins);
		jset_bool(d, "secrets_missing", env_lacks_secrets(old, env_auth_type(conn)));
	}
	jset(d, "vars", env_rows_view(f, rows));
	form_put(f, d);
	return env_render(c, status, "environment_form", conn, d);
}

int
web_env_new(struct ctx *c)
{
	struct db_auth_fields conn;
	struct form f;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &conn);
	if (rc != DB_OK)
		return rc;
	form_init(&f, c);
	return env_form_page(c, 200, &f, &conn, NULL, NULL);
}

/* The stored variables as form rows (sealed values never). */
static struct json_object *
env_rows_of(struct ctx *c, const struct env_stored *old)
{
	struct json_object *rows = json_object_new_array();
	web_defer_json(c, rows);
	for (size_t i = 0; i < old->nvars; i++) {
		const struct db_env_var *v = &old->vars[i];
		struct json_object *o = json_object_new_object();
		jset_str(o, "name", v->name);
		jset_str(o, "value", v->sealed || !v->value ? "" : v->value);
		jset_bool(o, "sealed", v->sealed);
		jset_bool(o, "set", v->sealed && v->value);
		json_object_array_add(rows, o);
	}
	return rows;
}

/* Loads environment ids[1] of connector ids[0] with its variables. */
static int
env_load(struct ctx *c, struct db_auth_fields *conn, struct env_stored *old)
{
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], conn);
	if (rc == DB_OK)
		rc = db_env_get(c->db, c->a, c->ids[0], c->ids[1], &old->e);
	if (rc == DB_OK)
		rc = db_env_vars(c->db, c->a, c->ids[1], &old->vars, &old->nvars);
	return rc;
}

int
web_env_show(struct ctx *c)
{
	struct db_auth_fields conn;
	struct env_stored old;
	struct form f;
	int rc = env_load(c, &conn, &old);
	if (rc != DB_OK)
		return rc;
	form_init(&f, c);
	for (size_t i = 0; i < ENV_TEXTS; i++)
		jset_str(f.values, env_texts[i].name, ENV_TEXT(&old.e, env_texts[i].off));
	jset_bool(f.values, "is_default", old.e.is_default);
	jset_bool(f.values, "auth_override", old.e.auth_override);
	jset_str(f.values, "version", arena_printf(c->a, "%lld", old.e.version));
	return env_form_page(c, 200, &f, &conn, &old.e, env_rows_of(c, &old));
}

/* Reads, checks and saves (old NULL creates): 0 when saved (*id), 422 (errors in f), 404
 * or a db_err. */
static int
env_submit(struct form *f, long long cid, const struct db_auth_fields *conn,
	   const struct env_stored *old, struct env_input *in, long long *id)
{
	struct ctx *c = f->c;
	env_read(f, cid, conn, old, in);
	if (f->nerrors)
		return 422;
	int rc;
	if (old) {
		*id = old->e.id;
		struct db_audit au = web_audit(c, "environment.update", "connector", cid,
					       arena_printf(c->a, "environment %s", in->f.name));
		rc = db_env_update(c->db, cid, *id, &in->f, c->user ? c->user->id : 0, &au);
	} else {
		struct db_audit au = web_audit(c, "environment.create", "connector", cid,
					       arena_printf(c->a, "environment %s", in->f.name));
		rc = db_env_create(c->db, cid, &in->f, c->user ? c->user->id : 0, id, &au);
	}
	if (rc == DB_EDUP) {
		form_error(f, "name",
			   "This Data Connector has an environment of this name already.");
		return 422;
	}
	if (rc == STORE_ESTALE) {
		form_error(f, "form",
			   "This environment was changed by someone else. Your changes were not "
			   "saved; reload to see the latest version.");
		return 409;
	}
	return rc == DB_ENOTFOUND ? 404 : rc;
}

/* A refused save's form again (the dispatcher's callback): the connector, the stored
 * environment (none for a new one) and the variable rows as typed. */
struct env_again {
	struct db_auth_fields conn;
	struct db_environment old;
	int is_new;
	struct json_object *rows;
};

static int
env_form_again(struct ctx *c, const struct web_error *e)
{
	const struct env_again *a = e->arg;
	return env_form_page(c, e->status, e->form, &a->conn, a->is_new ? NULL : &a->old, a->rows);
}

/* The page's save: 303 to the list, or the form again with the messages. */
static int
env_page_save(struct ctx *c, int is_new)
{
	struct db_auth_fields conn;
	struct env_stored old;
	struct form f;
	struct env_input in;
	long long id = 0;
	int rc = is_new ? db_connector_auth_read(c->db, c->a, c->ids[0], &conn)
			: env_load(c, &conn, &old);
	if (rc != DB_OK)
		return rc;
	form_init(&f, c);
	memset(&in, 0, sizeof(in));
	rc = env_submit(&f, c->ids[0], &conn, is_new ? NULL : &old, &in, &id);
	if (rc == 422 || rc == 409) {
		jset_bool(f.values, "auth_override", in.f.auth_override);
		struct env_again a = {conn, {0}, is_new, in.rows};
		if (!is_new)
			a.old = old.e;
		return web_fail_page(&f, rc, env_form_again, &a, sizeof(a));
	}
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, env_base(c),
				  arena_printf(c->a, "The environment %s was %s.", in.f.name,
					       is_new ? "added" : "saved"));
}

int
web_env_create(struct ctx *c)
{
	return env_page_save(c, 1);
}

int
web_env_update(struct ctx *c)
{
	return env_page_save(c, 0);
}

int
web_env_delete_confirm(struct ctx *c)
{
	struct db_auth_fields conn;
	struct db_environment old;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &conn);
	if (rc == DB_OK)
		rc = db_env_get(c->db, c->a, c->ids[0], c->ids[1], &old);
	if (rc != DB_OK)
		return rc;
	struct json_object *d = json_object_new_object();
	jset_str(
	    d, "question",
	    arena_printf(c->a, "Are you sure you want to delete the environment %s?", old.name));
	jset_str(d, "action", arena_printf(c->a, "%s/%lld/delete", env_base(c), c->ids[1]));
	jset_str(d, "back", env_base(c));
	return web_render(c, 200, "confirm_delete", d);
}

/* Deletes environment ids[1]: 0, or a status. *name gets its name. */
static int
env_delete(struct ctx *c, const char **name)
{
	struct db_environment old;
	int rc = db_env_get(c->db, c->a, c->ids[0], c->ids[1], &old);
	if (rc != DB_OK)
		return rc;
	*name = old.name;
	struct db_audit au = web_audit(c, "environment.delete", "connector", c->ids[0],
				       arena_printf(c->a, "environment %s", *name));
	return db_env_delete(c->db, c->ids[0], c->ids[1], c->user ? c->user->id : 0, &au);
}

int
web_env_delete(struct ctx *c)
{
	const char *name = NULL;
	int rc = env_delete(c, &name);
	if (rc != DB_OK)
		return rc;
	return web_redirect_flash(c, env_base(c),
				  arena_printf(c->a, "The environment %s was deleted.", name));
}

/* ------------------------------------------------------------------ for other pages */

struct json_object *
web_env_options(struct ctx *c, long long cid, const char *selected)
{
	struct db_environment *r = NULL;
	size_t n = 0;
	struct json_object *arr = json_object_new_array();
	if (db_env_list(c->db, c->a, cid, &r, &n) != DB_OK)
		return arr;
	for (size_t i = 0; i < n; i++) {
		const char *name = r[i].name;
		int def = r[i].is_default;
		struct json_object *o = json_object_new_object();
		jset_str(o, "value", name);
		jset_str(o, "label", def ? arena_printf(c->a, "%s (default)", name) : name);
		jset_bool(o, "selected", selected && *selected ? !strcasecmp(selected, name) : def);
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *
web_env_lacking(struct ctx *c, long long cid, const char *auth_type)
{
	struct db_environment *r = NULL;
	size_t n = 0;
	struct json_object *arr = json_object_new_array();
	if (db_env_list(c->db, c->a, cid, &r, &n) != DB_OK)
		return arr;
	int t = auth_type_from_name(auth_type);
	enum auth_type type = t < 0 ? AUTH_NONE : (enum auth_type)t;
	for (size_t i = 0; i < n; i++) {
		if (!env_lacks_secrets(&r[i], type))
			continue;
		struct json_object *o = json_object_new_object();
		jset_str(o, "name", r[i].name);
		jset_str(
		    o, "url",
		    arena_printf(c->a, "/data-connectors/%lld/environments/%lld", cid, r[i].id));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ------------------------------------------------------------------ API */

/* The JSON body as form fields: text members, booleans, secrets (a string sets, null
 * clears, {"set": ...} or absent keeps) and variables [{name, value, sealed}] (a sealed
 * value given as {"set": ...} keeps the stored one). */
static int
env_api_form(struct form *f, struct json_object *obj, const struct env_stored *old)
{
	static const char *const flags[] = {"is_default", "auth_override"};
	struct ctx *c = f->c;
	struct json_object *v;
	int rc = 0;
	f->in.count = 0;
	for (size_t i = 0; i < ENV_TEXTS && !rc; i++) {
		const char *text = env_texts[i].name;
		if (!json_object_object_get_ex(obj, text, &v) || !v) {
			/* Left out: the stored value (a PUT changes what it names). */
			if (old)
				rc = api_form_add(f, text, ENV_TEXT(&old->e, env_texts[i].off));
			continue;
		}
		if (!json_object_is_type(v, json_type_string)) {
			form_error(f, text,
				   arena_printf(c->a, "The %s field must be a string.", text));
			continue;
		}
		rc = api_form_add(f, text, json_object_get_string(v));
	}
	if (json_object_object_get_ex(obj, "version", &v) && v) {
		if (!json_object_is_type(v, json_type_int))
			form_error(f, "version", "The version field must be a whole number.");
		else
			rc = api_form_add(f, "version", json_object_get_string(v));
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && !rc; i++) {
		int on = old ? (i ? old->e.auth_override : old->e.is_default) : 0;
		if (json_object_object_get_ex(obj, flags[i], &v) && v) {
			if (!json_object_is_type(v, json_type_boolean)) {
				form_error(f, flags[i],
					   arena_printf(c->a, "The %s field must be true or false.",
							flags[i]));
				continue;
			}
			on = json_object_get_boolean(v);
		}
		if (on)
			rc = api_form_add(f, flags[i], "1");
	}
	for (size_t i = 0; i < ENV_SECRETS && !rc; i++) {
		const char *field = env_secrets[i].field;
		if (!json_object_object_get_ex(obj, field, &v))
			continue;
		if (!v)
			rc = api_form_add(f, arena_printf(c->a, "clear_%s", field), "1");
		else if (json_object_is_type(v, json_type_string))
			rc = api_form_add(f, field, json_object_get_string(v));
		else if (!json_object_is_type(v, json_type_object))
			form_error(
			    f, field,
			    arena_printf(c->a, "The %s field must be a string or null.", field));
	}
	struct json_object *arr = NULL;
	if (!json_object_object_get_ex(obj, "variables", &arr) || !arr) {
		/* Left out: every stored variable stays. */
		for (size_t i = 0; old && i < old->nvars && !rc; i++) {
			const struct db_env_var *sv = &old->vars[i];
			int sealed = sv->sealed;
			rc = api_form_add(f, arena_printf(c->a, "var[%zu][name]", i), sv->name);
			if (!rc && !sealed)
				rc = api_form_add(f, arena_printf(c->a, "var[%zu][value]", i),
						  sv->value ? sv->value : "");
			if (!rc && sealed)
				rc =
				    api_form_add(f, arena_printf(c->a, "var[%zu][sealed]", i), "1");
		}
		return rc;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		form_error(f, "variables",
			   "The variables field must be an array of {name, value, "
			   "sealed}.");
		return rc;
	}
	for (size_t i = 0; i < json_object_array_length(arr) && !rc; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *n = NULL, *val = NULL,
				   *s = NULL;
		const char *key = arena_printf(c->a, "var[%zu][name]", i);
		if (!e || !json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "name", &n) || !n ||
		    !json_object_is_type(n, json_type_string)) {
			form_error(f, key, "Each variable is an object with a name (a string).");
			continue;
		}
		rc = api_form_add(f, key, json_object_get_string(n));
		if (!rc && json_object_object_get_ex(e, "sealed", &s) && s &&
		    json_object_get_boolean(s))
			rc = api_form_add(f, arena_printf(c->a, "var[%zu][sealed]", i), "1");
		if (!rc && json_object_object_get_ex(e, "value", &val) && val &&
		    !json_object_is_type(val, json_type_object))
			rc = api_form_add(f, arena_printf(c->a, "var[%zu][value]", i),
					  json_object_get_string(val));
	}
	return rc;
}

static int
env_api_one(struct ctx *c, int status, long long id)
{
	struct db_auth_fields conn;
	struct db_environment r;
	struct db_env_var *vars = NULL;
	size_t nvars = 0;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &conn);
	if (rc == DB_OK)
		rc = db_env_get(c->db, c->a, c->ids[0], id, &r);
	if (rc == DB_OK)
		rc = db_env_vars(c->db, c->a, id, &vars, &nvars);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, "There is no such Data Connector or environment.");
	if (rc != DB_OK)
		return rc;
	return web_json(c, status, env_json(c, &r, vars, nvars, env_auth_type(&conn), 1));
}

int
web_api_env_list(struct ctx *c)
{
	struct db_auth_fields conn;
	struct db_environment *r = NULL;
	struct db_env_var *vars = NULL;
	size_t nr = 0, nvars = 0;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &conn);
	if (rc == DB_OK)
		rc = db_env_list(c->db, c->a, c->ids[0], &r, &nr);
	if (rc == DB_OK)
		rc = db_env_vars_of_connector(c->db, c->a, c->ids[0], &vars, &nvars);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, "There is no such Data Connector.");
	if (rc != DB_OK)
		return rc;
	struct json_object *arr = json_object_new_array(), *o = json_object_new_object();
	for (size_t i = 0; i < nr; i++) {
		/* This environment's variables: a slice of them (ordered by environment). */
		size_t from = 0, n = 0;
		while (from < nvars && vars[from].environment_id != r[i].id)
			from++;
		while (from + n < nvars && vars[from + n].environment_id == r[i].id)
			n++;
		json_object_array_add(arr,
				      env_json(c, &r[i], vars + from, n, env_auth_type(&conn), 1));
	}
	jset(o, "data", arr);
	return web_json(c, 200, o);
}

int
web_api_env_show(struct ctx *c)
{
	return env_api_one(c, 200, c->ids[1]);
}

static int
env_api_save(struct ctx *c, int is_new)
{
	struct json_object *obj = NULL;
	struct db_auth_fields conn;
	struct env_stored old;
	struct form f;
	struct env_input in;
	long long id = 0;
	int rc = api_body(c, &obj);
	if (rc)
		return rc;
	rc = is_new ? db_connector_auth_read(c->db, c->a, c->ids[0], &conn)
		    : env_load(c, &conn, &old);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, "There is no such Data Connector or environment.");
	if (rc != DB_OK)
		return rc;
	form_init(&f, c);
	if ((rc = env_api_form(&f, obj, is_new ? NULL : &old)) != 0)
		return web_fail(c, 413, "The request has too many or too long fields.", NULL);
	if (f.nerrors)
		return web_fail_form(&f, 422, NULL);
	memset(&in, 0, sizeof(in));
	rc = env_submit(&f, c->ids[0], &conn, is_new ? NULL : &old, &in, &id);
	if (rc != 0)
		return web_fail_form(&f, rc, "There is no such Data Connector or environment.");
	return env_api_one(c, is_new ? 201 : 200, id);
}

int
web_api_env_create(struct ctx *c)
{
	return env_api_save(c, 1);
}

int
web_api_env_update(struct ctx *c)
{
	return env_api_save(c, 0);
}

int
web_api_env_delete(struct ctx *c)
{
	const char *name = NULL;
	int rc = env_delete(c, &name);
	if (rc == DB_ENOTFOUND)
		return api_not_found(c, "There is no such Data Connector or environment.");
	if (rc != DB_OK)
		return rc;
	c->resp->status = 204;
	return 204;
}

/* ------------------------------------------------------------------ export and import */

struct json_object *
environment_export(struct ctx *c, long long cid)
{
	struct db_environment *r = NULL;
	struct db_env_var *vars = NULL;
	size_t nr = 0, nvars = 0;
	struct json_object *arr = json_object_new_array();
	if (db_env_list(c->db, c->a, cid, &r, &nr) != DB_OK ||
	    db_env_vars_of_connector(c->db, c->a, cid, &vars, &nvars) != DB_OK)
		return arr;
	for (size_t i = 0; i < nr; i++) {
		struct json_object *o = json_object_new_object(), *va = json_object_new_array();
		for (size_t k = 0; k < ENV_TEXTS; k++)
			jset_str(o, env_texts[k].name, ENV_TEXT(&r[i], env_texts[k].off));
		jset_bool(o, "is_default", r[i].is_default);
		jset_bool(o, "auth_override", r[i].auth_override);
		for (size_t k = 0; k < nvars; k++) {
			if (vars[k].environment_id != r[i].id)
				continue;
			struct json_object *v = json_object_new_object();
			jset_str(v, "name", vars[k].name);
			jset_bool(v, "sealed", vars[k].sealed);
			if (!vars[k].sealed) /* a sealed value never leaves */
				jset_str(v, "value", vars[k].value ? vars[k].value : "");
			json_object_array_add(va, v);
		}
		jset(o, "variables", va);
		json_object_array_add(arr, o);
	}
	return arr;
}

int
environment_import(struct form *f, long long cid, struct json_object *obj)
{
	struct ctx *c = f->c;
	struct db_auth_fields conn;
	struct env_input in;
	long long id = 0;
	int rc = db_connector_auth_read(c->db, c->a, cid, &conn);
	if (rc != DB_OK)
		return rc;
	if ((rc = env_api_form(f, obj, NULL)) != 0)
		return 413;
	if (f->nerrors)
		return 422;
	memset(&in, 0, sizeof(in));
	in.secrets_later = 1;
	return env_submit(f, cid, &conn, NULL, &in, &id);
}
