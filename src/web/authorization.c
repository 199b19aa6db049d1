/* The Authorization tab: how a connector authenticates with its data source. Secrets
 * (password, token, client secret) are write-only: sealed with AES-256-GCM before they
 * reach the database, never sent back to the browser; a blank field keeps the stored value,
 * a "clear" box removes it, and a method that does not use a secret drops it. Also the
 * "Get Access Token" helper (Request token screen). The route table checks view + edit. */
#include <string.h>
#include <strings.h>

#include "../db/endpoints.h"
#include "save.h"

#define AUTH_SECRET_MAX 8192
#define AUTH_VARS_MAX	50 /* sealed variables per connector */
#define AUTH_VAR_ROWS	2  /* empty rows the form offers for new ones */
#define M(t)		(1u << (t))
#define M_OAUTH		(M(AUTH_OAUTH2_PASSWORD) | M(AUTH_OAUTH2_CLIENT_CREDENTIALS))

static const char MSG_SAVED[] = "The Data Connector was saved";
static const char MSG_STALE[] = "This Data Connector was changed by someone else. Your changes "
				"were not saved; reload to see the latest version.";
static const char MSG_RETYPE[] = "For your safety, secrets you typed are not shown again: "
				 "enter them again before saving.";

/* A text setting: its form field, column, label, length, and the methods using it. */
struct auth_text {
	const char *field;
	const char *column;
	const char *label;
	size_t max;
	unsigned methods;
	unsigned required;
};
static const struct auth_text auth_texts[] = {
    {"token_url", "token_url", "URL Token", 2048, M_OAUTH, M_OAUTH},
    {"client_id", "client_id", "Client ID", 255, M_OAUTH, M(AUTH_OAUTH2_CLIENT_CREDENTIALS)},
    {"username", "auth_username", "User", 255, M(AUTH_BASIC) | M(AUTH_OAUTH2_PASSWORD),
     M(AUTH_BASIC) | M(AUTH_OAUTH2_PASSWORD)},
    {"scope", "scope", "Scope", 1024, M(AUTH_OAUTH2_CLIENT_CREDENTIALS), 0},
    {"api_key_name", "api_key_name", "Key name", 255, M(AUTH_API_KEY), M(AUTH_API_KEY)},
};
#define AUTH_TEXTS (sizeof(auth_texts) / sizeof(auth_texts[0]))

/* A secret: sealed under "connector:<id>:<field>". */
struct auth_secret {
	enum connector_secret which; /* the sealing context's name (src/connector/secrets.c) */
	const char *field;
	const char *column;
	const char *label;
	unsigned methods;
	unsigned required;
};
static const struct auth_secret auth_secrets[] = {
    {CONNECTOR_SECRET_PASSWORD, "password", "auth_password", "Password",
     M(AUTH_BASIC) | M(AUTH_OAUTH2_PASSWORD), M(AUTH_OAUTH2_PASSWORD)},
    {CONNECTOR_SECRET_TOKEN, "token", "auth_token", "Token", M(AUTH_BEARER), M(AUTH_BEARER)},
    {CONNECTOR_SECRET_CLIENT_SECRET, "client_secret", "client_secret", "Client Secret", M_OAUTH,
     M(AUTH_OAUTH2_CLIENT_CREDENTIALS)},
    {CONNECTOR_SECRET_API_KEY, "api_key", "api_key", "API Key", M(AUTH_API_KEY), M(AUTH_API_KEY)},
};
#define AUTH_SECRETS (sizeof(auth_secrets) / sizeof(auth_secrets[0]))

/* The form's result: text values and sealed secrets in table order. */
struct auth_input {
	long long id;	   /* the connector */
	int secrets_later; /* a needed secret may be missing (an import asks for it next) */
	int type;
	int verify_ssl;
	const char *client_auth;
	const char *text[AUTH_TEXTS];
	const char *secret[AUTH_SECRETS];
	int secret_changed[AUTH_SECRETS];
	int secret_kept[AUTH_SECRETS]; /* the stored value stays (not typed again) */
	int typed_secret; /* the user typed a secret that a re-rendered form will not show */
	const char *api_key_in;
	/* sealed variables (vars_given: the form or body lists them) */
	int vars_given;
	const char *var_names[AUTH_VARS_MAX];
	const char *var_values[AUTH_VARS_MAX]; /* sealed */
	size_t nvars;
	int vars_kept;	  /* a stored variable's value stays */
	int vars_changed; /* names or values differ from the stored ones */
	const char *allowed_origins;
	const char *token_origin;
};

static const char *
auth_path(struct ctx *c, const char *suffix)
{
	return arena_printf(c->a, "/data-connectors/%lld%s", c->ids[0], suffix);
}

/* Name and tab links of the connector (partials/connector_tabs). */
static struct json_object *
auth_connector_json(struct ctx *c, const struct db_rows *row)
{
	struct json_object *o = json_object_new_object();
	jset_int(o, "id", c->ids[0]);
	jset_str(o, "name", db_get(row, 0, "name"));
	jset_str(o, "url", auth_path(c, ""));
	jset_str(o, "authorization_url", auth_path(c, "/authorization"));
	jset_str(o, "endpoints_url", auth_path(c, "/endpoints"));
	return o;
}

/* "set" flags of the stored secrets: the only thing the page tells about them. */
static struct json_object *
auth_secret_state(const struct db_rows *row)
{
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; i < AUTH_SECRETS; i++) {
		const char *v = db_get(row, 0, auth_secrets[i].column);
		jset_bool(o, auth_secrets[i].field, v && *v);
	}
	return o;
}

/* 1 when word is one of the space-separated words of list (case matters). */
static int
auth_word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && !strncmp(p, word, n))
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

/* The rows of the sealed variables: the stored names (values never shown), or what the form
 * sent when it is shown again, then empty rows for new ones. */
static struct json_object *
auth_variable_rows(struct ctx *c, struct form *f, const struct db_rows *row)
{
	struct json_object *arr = json_object_new_array();
	const char *stored = db_get_str(row, 0, "variables");
	size_t n = 0;
	if (form_get(f, "secrets_given")) {
		for (size_t i = 0; i < AUTH_VARS_MAX; i++) {
			const char *name = form_get(f, arena_printf(c->a, "secret[%zu][name]", i));
			if (!name || !*name)
				continue;
			struct json_object *o = json_object_new_object();
			jset_int(o, "n", (long long)n++);
			jset_str(o, "name", name);
			jset_bool(o, "set", auth_word_in(name, stored));
			json_object_array_add(arr, o);
		}
	} else {
		for (const char *p = stored; *p;) {
			size_t len = strcspn(p, " ");
			struct json_object *o = json_object_new_object();
			jset_int(o, "n", (long long)n++);
			jset_str(o, "name", arena_strndup(c->a, p, len));
			jset_bool(o, "set", 1);
			json_object_array_add(arr, o);
			p += len;
			p += strspn(p, " ");
		}
	}
	for (size_t i = 0; i < AUTH_VAR_ROWS; i++) {
		struct json_object *o = json_object_new_object();
		jset_int(o, "n", (long long)n++);
		jset_str(o, "name", "");
		json_object_array_add(arr, o);
	}
	return arr;
}

static int
auth_page(struct ctx *c, int status, struct form *f, const struct db_rows *row)
{
	struct json_object *d = json_object_new_object();
	struct json_object *type = NULL;
	json_object_object_get_ex(f->values, "auth_type", &type);
	jset_str(d, "title", arena_printf(c->a, "Authorization · %s", db_get(row, 0, "name")));
	jset(d, "connector", auth_connector_json(c, row));
	jset_bool(d, "tab_authorization", 1);
	jset_str(d, "action", auth_path(c, "/authorization"));
	jset_str(d, "request_token_url", auth_path(c, "/authorization/request-token"));
	jset(d, "methods",
	     form_select(auth_type_names, auth_type_labels, AUTH__MAX,
			 type ? json_object_get_string(type) : "none"));
	jset(d, "secret_set", auth_secret_state(row));
	jset(d, "variables", auth_variable_rows(c, f, row));
	jset_str(d, "stored_origins", db_get_str(row, 0, "allowed_origins"));
	jset_str(d, "token_origin", db_get_str(row, 0, "token_origin"));
	form_put(f, d);
	return web_render(c, status, "authorization", d);
}

/* The stored settings as form values (secrets never). */
static void
auth_values_from_row(struct form *f, const struct db_rows *row)
{
	jset_str(f->values, "auth_type", db_get(row, 0, "auth_type"));
	jset_bool(f->values, "verify_ssl", db_get_ll(row, 0, "verify_ssl", 1) != 0);
	for (size_t i = 0; i < AUTH_TEXTS; i++)
		jset_str(f->values, auth_texts[i].field, db_get(row, 0, auth_texts[i].column));
	const char *ca = db_get(row, 0, "client_auth");
	jset_bool(f->values, "client_auth_basic", ca && !strcmp(ca, "basic"));
	jset_bool(f->values, "api_key_query", !strcmp(db_get_str(row, 0, "api_key_in"), "query"));
	jset_str(f->values, "allowed_origins", db_get_str(row, 0, "allowed_origins"));
	jset_int(f->values, "version", db_get_ll(row, 0, "version", 0));
}

int
web_authorization_show(struct ctx *c)
{
	struct db_rows row;
	int rc = db_connector_auth_get(c->db, c->a, c->ids[0], &row);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	auth_values_from_row(&f, &row);
	return auth_page(c, 200, &f, &row);
}

/* 1 when s is an absolute http(s) URL with a host and no spaces or control bytes. */
static int
auth_url_ok(const char *s)
{
	size_t skip = !strncasecmp(s, "http://", 7) ? 7 : !strncasecmp(s, "https://", 8) ? 8 : 0;
	if (!skip || !s[skip] || s[skip] == '/')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Reads the text settings; those the method does not use are stored empty. */
static void
auth_read_texts(struct form *f, struct auth_input *in)
{
	for (size_t i = 0; i < AUTH_TEXTS; i++) {
		const struct auth_text *t = &auth_texts[i];
		const char *v = form_optional(f, t->field, t->label, t->max);
		in->text[i] = "";
		if (!(t->methods & M(in->type)))
			continue;
		in->text[i] = v;
		if (!form_no_controls(v))
			form_error(f, t->field,
				   arena_printf(f->c->a,
						"The %s may not contain control characters.",
						t->label));
		else if (!*v && (t->required & M(in->type)))
			form_error(f, t->field,
				   arena_printf(f->c->a, "The %s field is required.", t->label));
		else if (*v && !strcmp(t->field, "token_url") && !auth_url_ok(v))
			form_error(
			    f, t->field,
			    "The URL Token must be an absolute http:// or https:// address.");
	}
}

static const char *auth_text_of(const struct auth_input *in, const char *field);

/* An RFC 7230 token, for the API key's header name ("" passes: the required check says). */
static int
auth_header_name_ok(const char *s)
{
	for (const char *p = s ? s : ""; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return 0;
	return 1;
}

/* A newly typed secret: checked and sealed into *out; 0 on success. */
static int
auth_seal(struct form *f, long long id, const struct auth_secret *s, const char *typed,
	  const char **out)
{
	struct ctx *c = f->c;
	char *sealed = NULL;
	if (strlen(typed) > AUTH_SECRET_MAX || !form_no_controls(typed)) {
		form_error(f, s->field,
			   arena_printf(c->a,
					"The %s must be at most %d characters without line breaks.",
					s->label, AUTH_SECRET_MAX));
		return -1;
	}
	if (!c->app->have_keys || connector_secret_seal(&c->app->keys, c->a, id, s->which, typed,
							strlen(typed), &sealed) != 0) {
		log_err("authorization: cannot seal %s of connector %lld", s->field, id);
		form_error(f, s->field, "This server cannot store secrets (no key is loaded).");
		return -1;
	}
	*out = sealed;
	return 0;
}

/* Each secret: typed → sealed; "clear" → removed; blank → the stored one; unused by the
 * method → removed. */
static void
auth_read_secrets(struct form *f, const struct db_rows *row, struct auth_input *in)
{
	for (size_t i = 0; i < AUTH_SECRETS; i++) {
		const struct auth_secret *s = &auth_secrets[i];
		const char *stored = db_get(row, 0, s->column);
		const char *typed = form_get(f, s->field);
		const char *clear_name = arena_printf(f->c->a, "clear_%s", s->field);
		in->secret[i] = NULL;
		if (stored && !*stored)
			stored = NULL;
		if (!(s->methods & M(in->type))) {
			in->secret_changed[i] = stored != NULL;
			continue;
		}
		if (typed && *typed) {
			in->typed_secret = 1;
			in->secret_changed[i] = 1;
			auth_seal(f, in->id, s, typed, &in->secret[i]);
			continue;
		}
		in->secret[i] = clear_name && form_flag(f, clear_name) ? NULL : stored;
		in->secret_changed[i] = in->secret[i] != stored;
		in->secret_kept[i] = in->secret[i] != NULL;
		if (!in->secret[i] && (s->required & M(in->type)) && !in->secrets_later)
			form_error(f, s->field,
				   arena_printf(f->c->a, "The %s field is required.", s->label));
	}
}

/* The sealed variables: rows secret[N][name] / secret[N][value]. A typed value is sealed; a
 * blank one keeps the stored value of that name; a stored name no row lists is removed.
 * Only when the form (or the JSON body) lists them at all: secrets_given. */
static void
auth_read_variables(struct form *f, const struct db_rows *row, struct auth_input *in)
{
	struct ctx *c = f->c;
	struct db_rows stored;
	memset(&stored, 0, sizeof(stored));
	if (!(in->vars_given = form_get(f, "secrets_given") != NULL)) {
		/* Not listed: every stored one stays, bound where it is. */
		in->vars_kept = *db_get_str(row, 0, "variables") != '\0';
		return;
	}
	if (in->id && db_connector_variables(c->db, c->a, in->id, &stored) != DB_OK) {
		form_error(f, "secrets", "The sealed variables cannot be read now; try again.");
		return;
	}
	for (size_t i = 0; i < AUTH_VARS_MAX; i++) {
		const char *nf = arena_printf(c->a, "secret[%zu][name]", i);
		const char *vf = arena_printf(c->a, "secret[%zu][value]", i);
		const char *name = form_get(f, nf);
		const char *typed = form_get(f, vf);
		const char *old = NULL;
		if (!name || !*name)
			continue;
		if (!connector_variable_name_ok(name)) {
			form_error(
			    f, nf,
			    "A variable name has 1 to 64 letters, digits and underscores and "
			    "does not start with a digit.");
			continue;
		}
		for (size_t k = 0; k < in->nvars; k++)
			if (!strcmp(in->var_names[k], name))
				form_error(f, nf, "Each variable name may be used once.");
		for (size_t k = 0; k < stored.nrows; k++)
			if (!strcmp(db_get_str(&stored, k, "name"), name))
				old = db_get(&stored, k, "value");
		char *sealed = NULL;
		if (typed && *typed) {
			in->typed_secret = 1;
			if (strlen(typed) > AUTH_SECRET_MAX || !form_no_controls(typed))
				form_error(
				    f, vf,
				    arena_printf(c->a,
						 "The value of %s must be at most %d characters "
						 "without line breaks.",
						 name, AUTH_SECRET_MAX));
			else if (!c->app->have_keys ||
				 connector_variable_seal(&c->app->keys, c->a, in->id, name, typed,
							 strlen(typed), &sealed) != 0)
				form_error(f, vf,
					   "This server cannot store secrets (no key is loaded).");
			in->vars_changed = 1;
		} else if (old) {
			sealed = (char *)old;
			in->vars_kept = 1;
		} else {
			form_error(f, vf, arena_printf(c->a, "Enter a value for %s.", name));
		}
		if (sealed && in->nvars < AUTH_VARS_MAX) {
			in->var_names[in->nvars] = name;
			in->var_values[in->nvars++] = sealed;
		}
	}
	if (in->nvars != stored.nrows)
		in->vars_changed = 1;
}

/* Origins of the endpoints' URLs whose scheme and host are written out (no template), and
 * of the URL Token for OAuth: what the credentials are bound to when the secrets are
 * entered with the allowed origins left blank. */
static const char *
auth_derived_origins(struct ctx *c, const struct auth_input *in)
{
	struct db_rows eps;
	struct buf *b = buf_new_arena(c->a);
	const char *bad = NULL;
	if (!b)
		return "";
	if (in->id && db_endpoint_list(c->db, c->a, in->id, &eps) == DB_OK) {
		for (size_t i = 0; i < eps.nrows; i++) {
			const char *o = outbound_static_origin(c->a, db_get_str(&eps, i, "url"));
			if (o) {
				buf_puts(b, o);
				buf_putc(b, ' ');
			}
		}
	}
	if (M_OAUTH & M(in->type)) {
		const char *o = outbound_origin(c->a, in->text[0]);
		if (o)
			buf_puts(b, o);
	}
	const char *list = outbound_origin_list(c->a, b->data ? b->data : "", &bad);
	return list ? list : "";
}

/* The allowed origins and the token origin. Both are what the stored secrets are bound to,
 * so they change only in a save that keeps no stored secret (each is entered again or
 * removed): else the secrets would follow them to the new place. */
static void
auth_read_origins(struct form *f, const struct db_rows *row, struct auth_input *in)
{
	struct ctx *c = f->c;
	const char *stored = db_get_str(row, 0, "allowed_origins");
	const char *stored_token = db_get_str(row, 0, "token_origin");
	const char *typed = form_get(f, "allowed_origins");
	const char *bad = NULL;
	int kept = in->vars_kept, typed_any = in->typed_secret;
	for (size_t i = 0; i < AUTH_SECRETS; i++)
		kept |= in->secret_kept[i];
	in->allowed_origins = stored;
	if (!typed && typed_any && !kept)
		in->allowed_origins = auth_derived_origins(c, in);
	if (typed) {
		jset_str(f->values, "allowed_origins", typed);
		const char *list = outbound_origin_list(c->a, typed, &bad);
		if (!list) {
			form_error(
			    f, "allowed_origins",
			    arena_printf(c->a,
					 "\"%s\" is not an origin: write scheme://host:port, "
					 "e.g. https://api.example.com:443.",
					 bad ? bad : ""));
			return;
		}
		if (!*list && typed_any && !kept)
			list = auth_derived_origins(c, in);
		if (strcmp(list, stored) != 0 && kept)
			form_error(
			    f, "allowed_origins",
			    "The allowed origins can be changed only together with entering "
			    "every secret of this Data Connector again (its credentials would "
			    "go to the new origins).");
		else
			in->allowed_origins = list;
	}
	/* The OAuth Client Secret and Password: bound to the URL Token's origin. */
	in->token_origin = "";
	if (!(M_OAUTH & M(in->type)))
		return;
	const char *origin = outbound_origin(c->a, in->text[0]);
	int kept_oauth = in->secret_kept[0] || in->secret_kept[2]; /* password, client secret */
	in->token_origin = origin ? origin : "";
	if (kept_oauth && origin && strcmp(origin, stored_token) != 0)
		form_error(f, "token_url",
			   arena_printf(c->a,
					"The URL Token is at %s, but the stored Client Secret and "
					"Password may only be sent to %s: enter them again to use "
					"this URL Token.",
					origin, *stored_token ? stored_token : "no token URL yet"));
}

/* Reads and checks the whole form into in. */
static void
auth_read(struct form *f, const struct db_rows *row, struct auth_input *in, int secrets_later)
{
	const char *type = form_text(f, "auth_type");
	memset(in, 0, sizeof(*in));
	in->id = db_get_ll(row, 0, "id", 0);
	in->secrets_later = secrets_later;
	in->type = auth_type_from_name(type && *type ? type : "none");
	if (in->type < 0) {
		form_error(f, "auth_type", "The selected method is invalid.");
		in->type = AUTH_NONE;
	}
	in->verify_ssl = form_flag(f, "verify_ssl");
	jset_bool(f->values, "verify_ssl", in->verify_ssl);
	if (in->type == AUTH_OAUTH2_PASSWORD && !in->verify_ssl)
		form_error(f, "verify_ssl",
			   "Auth 2.0 Password requires SSL certificate verification: turn it on.");
	auth_read_texts(f, in);
	const char *ca = form_text(f, "client_auth");
	in->client_auth = "body";
	if (ca && !strcmp(ca, "basic"))
		in->client_auth = "basic";
	else if (ca && *ca && strcmp(ca, "body") != 0)
		form_error(f, "client_auth", "Choose how the client credentials are sent.");
	jset_bool(f->values, "client_auth_basic", !strcmp(in->client_auth, "basic"));
	if (!(M_OAUTH & M(in->type)))
		in->client_auth = "body";
	const char *kin = form_text(f, "api_key_in");
	in->api_key_in = kin && !strcmp(kin, "query") ? "query" : "header";
	if (kin && *kin && strcmp(kin, "query") != 0 && strcmp(kin, "header") != 0)
		form_error(f, "api_key_in", "Choose where the API key is sent.");
	jset_bool(f->values, "api_key_query", !strcmp(in->api_key_in, "query"));
	if (in->type == AUTH_API_KEY && !strcmp(in->api_key_in, "header") &&
	    !auth_header_name_ok(auth_text_of(in, "api_key_name")))
		form_error(
		    f, "api_key_name",
		    "The Key name must be a header name (letters, digits and !#$%&'*+-.^_`|~).");
	auth_read_secrets(f, row, in);
	auth_read_variables(f, row, in);
	auth_read_origins(f, row, in);
}

/* Changed setting names for the audit log; never a value. */
static const char *
auth_changes(struct ctx *c, const struct db_rows *row, const struct auth_input *in)
{
	struct audit_fields af;
	const char *ca = db_get(row, 0, "client_auth");
	audit_fields_init(&af, c);
	audit_field(&af, "auth_type",
		    strcmp(auth_type_names[in->type], db_get(row, 0, "auth_type")));
	audit_field(&af, "verify_ssl", in->verify_ssl != (db_get_ll(row, 0, "verify_ssl", 1) != 0));
	for (size_t i = 0; i < AUTH_TEXTS; i++) {
		const char *old = db_get(row, 0, auth_texts[i].column);
		audit_field(&af, auth_texts[i].field, strcmp(in->text[i], old ? old : "") != 0);
	}
	audit_field(&af, "client_auth", strcmp(in->client_auth, ca ? ca : "body") != 0);
	for (size_t i = 0; i < AUTH_SECRETS; i++)
		audit_field(&af, auth_secrets[i].field, in->secret_changed[i]);
	audit_field(&af, "api_key_in", strcmp(in->api_key_in, db_get_str(row, 0, "api_key_in")));
	audit_field(&af, "secrets", in->vars_given && in->vars_changed);
	audit_field(&af, "allowed_origins",
		    strcmp(in->allowed_origins, db_get_str(row, 0, "allowed_origins")) != 0);
	audit_field(&af, "token_origin",
		    strcmp(in->token_origin, db_get_str(row, 0, "token_origin")) != 0);
	return audit_fields_text(&af);
}

/* The value of a text setting or a secret by its form field name. */
static const char *
auth_text_of(const struct auth_input *in, const char *field)
{
	for (size_t i = 0; i < AUTH_TEXTS; i++)
		if (!strcmp(auth_texts[i].field, field))
			return in->text[i];
	return "";
}

static const char *
auth_secret_of(const struct auth_input *in, const char *field)
{
	for (size_t i = 0; i < AUTH_SECRETS; i++)
		if (!strcmp(auth_secrets[i].field, field))
			return in->secret[i];
	return NULL;
}

static void
auth_fields_of(const struct auth_input *in, struct db_auth_fields *out)
{
	memset(out, 0, sizeof(*out));
	out->auth_type = auth_type_names[in->type];
	out->verify_ssl = in->verify_ssl;
	out->token_url = auth_text_of(in, "token_url");
	out->client_id = auth_text_of(in, "client_id");
	out->username = auth_text_of(in, "username");
	out->scope = auth_text_of(in, "scope");
	out->password = auth_secret_of(in, "password");
	out->token = auth_secret_of(in, "token");
	out->client_secret = auth_secret_of(in, "client_secret");
	out->client_auth = in->client_auth;
	out->api_key_name = auth_text_of(in, "api_key_name");
	out->api_key = auth_secret_of(in, "api_key");
	out->api_key_in = in->api_key_in;
	out->allowed_origins = in->allowed_origins;
	out->token_origin = in->token_origin;
	out->vars_given = in->vars_given;
	out->var_names = in->var_names;
	out->var_values = in->var_values;
	out->nvars = in->nvars;
}

/* "Use this token" from the Request token screen: the form again with the token in the
 * Token field and Bearer Token chosen, not saved. The token came in a POST body and goes
 * out in the page only. */
static int
auth_prefill(struct ctx *c, const struct db_rows *row)
{
	struct form f;
	form_init(&f, c);
	auth_values_from_row(&f, row);
	const char *token = http_form_get(c->req, "token");
	jset_str(f.values, "auth_type", "bearer");
	if (token && strlen(token) <= AUTH_SECRET_MAX && form_no_controls(token))
		jset_str(f.values, "token", token);
	jset_bool(f.values, "token_prefilled", 1);
	return auth_page(c, 200, &f, row);
}

/* Saves in with its audit row; returns 0 when saved, 409 when stale (errors.form), else a
 * status. */
static int
auth_save(struct form *f, const struct db_rows *row, const struct auth_input *in)
{
	struct ctx *c = f->c;
	struct db_auth_fields df;
	long version = 0;
	if (str_to_long(form_text(f, "version"), 1, 2147483647L, &version) != CORE_OK)
		version = 0; /* missing or forged: refused as stale */
	auth_fields_of(in, &df);
	struct db_audit au =
	    web_audit(c, "connector.authorization", "connector", in->id, auth_changes(c, row, in));
	int rc = db_connector_auth_save(c->db, in->id, version, &df, c->user->id, &au);
	if (rc == STORE_ESTALE) {
		form_error(f, "form", MSG_STALE);
		return 409;
	}
	if (rc != DB_OK)
		return rc;
	return 0;
}

/* Reads and checks the form over the stored row, saves it and writes the audit log: 0 when
 * saved, 422 or 409 with errors in f, else a status. Shared with the JSON API. */
static int
auth_submit(struct form *f, const struct db_rows *row, struct auth_input *in, int secrets_later)
{
	auth_read(f, row, in, secrets_later);
	if (f->nerrors) {
		form_text(f, "version");
		return 422;
	}
	return auth_save(f, row, in);
}

int
authorization_submit(struct form *f, long long id, int secrets_later)
{
	struct db_rows row;
	struct auth_input in;
	int rc = db_connector_auth_get(f->c->db, f->c->a, id, &row);
	if (rc != DB_OK)
		return rc;
	return auth_submit(f, &row, &in, secrets_later);
}

int
authorization_check(struct form *f, long long id, int secrets_later)
{
	struct db_rows row;
	struct auth_input in;
	memset(&row, 0, sizeof(row));
	if (id) {
		int rc = db_connector_auth_get(f->c->db, f->c->a, id, &row);
		if (rc != DB_OK)
			return rc;
	}
	auth_read(f, &row, &in, secrets_later);
	return f->nerrors ? 422 : 0;
}

int
web_authorization_update(struct ctx *c)
{
	struct db_rows row;
	struct auth_input in;
	int rc = db_connector_auth_get(c->db, c->a, c->ids[0], &row);
	if (rc != DB_OK)
		return rc;
	if (form_checkbox(c, "prefill"))
		return auth_prefill(c, &row);
	struct form f;
	form_init(&f, c);
	rc = auth_submit(&f, &row, &in, 0);
	if (rc == 422 || rc == 409) {
		if (in.typed_secret)
			jset_str(f.values, "retype", MSG_RETYPE);
		return auth_page(c, rc, &f, &row);
	}
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, auth_path(c, "/authorization"), MSG_SAVED);
}

/* ------------------------------------------------------------ Get Access Token */

static int
token_page(struct ctx *c, int status, struct form *f, const struct db_rows *row,
	   struct json_object *result)
{
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", arena_printf(c->a, "Request token · %s", db_get(row, 0, "name")));
	jset(d, "connector", auth_connector_json(c, row));
	jset_str(d, "action", auth_path(c, "/authorization/request-token"));
	jset_str(d, "authorization_url", auth_path(c, "/authorization"));
	jset_bool(d, "verify_ssl", db_get_ll(row, 0, "verify_ssl", 1) != 0);
	if (result)
		jset(d, "result", result);
	form_put(f, d);
	return web_render(c, status, "request_token", d);
}

int
web_authorization_token_form(struct ctx *c)
{
	struct db_rows row;
	int rc = db_connector_auth_get(c->db, c->a, c->ids[0], &row);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	jset_str(f.values, "token_url", db_get(&row, 0, "token_url"));
	jset_str(f.values, "username", db_get(&row, 0, "auth_username"));
	return token_page(c, 200, &f, &row, NULL);
}

/* What the token endpoint answered, for the page. */
static struct json_object *
token_result_json(const struct token_result *tr, int rc)
{
	struct json_object *o = json_object_new_object();
	jset_bool(o, "ok", rc == OUT_OK);
	if (rc != OUT_OK) {
		if (tr->status > 0)
			jset_int(o, "status", tr->status);
		jset_str(o, "message", tr->message ? tr->message : outbound_strerror(rc));
		return o;
	}
	jset_str(o, "access_token", tr->access_token);
	jset_str(o, "token_type", tr->token_type && *tr->token_type ? tr->token_type : "Bearer");
	if (tr->expires_in > 0)
		jset_int(o, "expires_in", tr->expires_in);
	if (tr->scope && *tr->scope)
		jset_str(o, "scope", tr->scope);
	return o;
}

int
web_authorization_token_request(struct ctx *c)
{
	struct db_rows row;
	struct token_result tr;
	int rc = db_connector_auth_get(c->db, c->a, c->ids[0], &row);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	struct connector_auth ca = {.connector_id = c->ids[0], .type = AUTH_OAUTH2_PASSWORD};
	ca.token_url = form_required(&f, "token_url", "URL Token", 2048);
	ca.username = form_optional(&f, "username", "User", 255);
	ca.password = http_form_get(c->req, "password");
	ca.verify_ssl = db_get_ll(&row, 0, "verify_ssl", 1) != 0;
	if (*ca.token_url && !auth_url_ok(ca.token_url))
		form_error(&f, "token_url",
			   "The URL Token must be an absolute http:// or https:// address.");
	if (!form_no_controls(ca.username) || (ca.password && !form_no_controls(ca.password)))
		form_error(&f, "username", "The User and Password may not contain line breaks.");
	if (f.nerrors)
		return token_page(c, 422, &f, &row, NULL);
	rc =
	    outbound_token_request(c->w->curl, &c->app->outbound, c->a, &ca, "password", NULL, &tr);
	log_info("authorization: token request for connector %lld: %s (status %ld)", c->ids[0],
		 outbound_err_name(rc), tr.status);
	return token_page(c, 200, &f, &row, token_result_json(&tr, rc));
}
