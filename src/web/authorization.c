/* The Authorization tab: how a connector authenticates with its data source. Secrets
 * (password, token, client secret) are write-only: sealed with AES-256-GCM before they
 * reach the database, never sent back to the browser; a blank field keeps the stored value,
 * a "clear" box removes it, and a method that does not use a secret drops it. Also the
 * "Get Access Token" helper (Request token screen). The route table checks view + edit. */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "../db/endpoints.h"
#include "save.h"

#define AUTH_SECRET_MAX 8192
#define AUTH_VARS_MAX	50 /* sealed variables per connector */
#define AUTH_VAR_ROWS	2  /* empty rows the form offers for new ones */
#define M(t)		(1u << (t))
#define M_CODE		M(AUTH_OAUTH2_AUTHORIZATION_CODE)
#define M_OAUTH		(M(AUTH_OAUTH2_PASSWORD) | M(AUTH_OAUTH2_CLIENT_CREDENTIALS) | M_CODE)
#define M_USERPASS	(M(AUTH_BASIC) | M(AUTH_OAUTH2_PASSWORD) | M(AUTH_DIGEST) | M(AUTH_AWS_SIGV4))
#define AUTH_PEM_MAX	16384 /* a certificate chain or a private key */

static const char MSG_SAVED[] = "The Data Connector was saved";
static const char MSG_STALE[] = "This Data Connector was changed by someone else. Your changes "
				"were not saved; reload to see the latest version.";
static const char MSG_RETYPE[] = "For your safety, secrets you typed are not shown again: "
				 "enter them again before saving.";

static void auth_check_url(struct form *f, const struct field *fd, const void *s);
static void auth_check_aws(struct form *f, const struct field *fd, const void *s);
static void auth_check_token_params(struct form *f, const struct field *fd, const void *s);
static void auth_check_pem(struct form *f, const struct field *fd, const void *s);

/* The authorization's fields over struct db_auth_fields: the method's settings (methods:
 * the auth types using one, needs: those requiring it; others are stored empty), the
 * secrets (sealed under "connector:<id>:<name>", write-only) and the origins the secrets
 * are bound to. The sealed variables ("secrets") have rows of their own. */
static const char *const client_auths[] = {"body", "basic"};
static const char *const key_places[] = {"header", "query"};
#define A(m) .name = #m, .off = offsetof(struct db_auth_fields, m)
const struct field auth_field_table[] = {
    {A(auth_type), .kind = FIELD_CHOICE, .flags = FIELD_EXPORT, .choices = auth_type_names,
     .nchoices = AUTH__MAX},
    {A(verify_ssl), .kind = FIELD_BOOL, .flags = FIELD_EXPORT},
    {A(token_url), .kind = FIELD_TEXT, .max = 2048, .label = "URL Token", .check = auth_check_url,
     .flags = FIELD_EXPORT, .methods = M_OAUTH, .needs = M_OAUTH},
    {A(client_id), .kind = FIELD_TEXT, .max = 255, .label = "Client ID", .flags = FIELD_EXPORT,
     .methods = M_OAUTH, .needs = M(AUTH_OAUTH2_CLIENT_CREDENTIALS) | M_CODE},
    {A(username), .kind = FIELD_TEXT, .max = 255, .label = "User", .flags = FIELD_EXPORT,
     .methods = M_USERPASS, .needs = M_USERPASS},
    {A(scope), .kind = FIELD_TEXT, .max = 1024, .label = "Scope", .flags = FIELD_EXPORT,
     .methods = M(AUTH_OAUTH2_CLIENT_CREDENTIALS) | M_CODE},
    {A(api_key_name), .kind = FIELD_TEXT, .max = 255, .label = "Key name", .flags = FIELD_EXPORT,
     .methods = M(AUTH_API_KEY), .needs = M(AUTH_API_KEY)},
    {A(auth_url), .kind = FIELD_TEXT, .max = 2048, .label = "Authorization URL",
     .help = "Authorization Code: the provider authorization endpoint.", .check = auth_check_url,
     .flags = FIELD_EXPORT, .methods = M_CODE, .needs = M_CODE},
    {A(token_params), .kind = FIELD_TEXT, .max = 4096, .label = "Extra token fields",
     .help = "Extra token-request fields for the OAuth methods, one name=value a line.",
     .check = auth_check_token_params, .flags = FIELD_EXPORT | FIELD_MULTILINE, .methods = M_OAUTH},
    {A(aws_region), .kind = FIELD_TEXT, .max = 64, .label = "Region",
     .help = "AWS SigV4 region (username: access key, password: secret key).",
     .check = auth_check_aws, .flags = FIELD_EXPORT, .methods = M(AUTH_AWS_SIGV4),
     .needs = M(AUTH_AWS_SIGV4)},
    {A(aws_service), .kind = FIELD_TEXT, .max = 64, .label = "Service", .check = auth_check_aws,
     .flags = FIELD_EXPORT, .methods = M(AUTH_AWS_SIGV4), .needs = M(AUTH_AWS_SIGV4)},
    {A(client_cert), .kind = FIELD_TEXT, .max = AUTH_PEM_MAX, .label = "Certificate",
     .help = "PEM certificate (mutual TLS).", .check = auth_check_pem,
     .flags = FIELD_EXPORT | FIELD_MULTILINE, .methods = M(AUTH_CLIENT_CERT),
     .needs = M(AUTH_CLIENT_CERT)},
    {A(client_auth), .kind = FIELD_CHOICE, .flags = FIELD_EXPORT, .choices = client_auths,
     .nchoices = 2},
    {A(api_key_in), .kind = FIELD_CHOICE, .flags = FIELD_EXPORT, .choices = key_places,
     .nchoices = 2},
    {A(password), .kind = FIELD_SECRET, .label = "Password", .methods = M_USERPASS,
     .needs = M(AUTH_OAUTH2_PASSWORD) | M(AUTH_AWS_SIGV4), .secret = CONNECTOR_SECRET_PASSWORD},
    {A(token), .kind = FIELD_SECRET, .label = "Token", .methods = M(AUTH_BEARER),
     .needs = M(AUTH_BEARER), .secret = CONNECTOR_SECRET_TOKEN},
    {A(client_secret), .kind = FIELD_SECRET, .label = "Client Secret", .methods = M_OAUTH,
     .needs = M(AUTH_OAUTH2_CLIENT_CREDENTIALS), .secret = CONNECTOR_SECRET_CLIENT_SECRET},
    {A(api_key), .kind = FIELD_SECRET, .label = "API Key", .methods = M(AUTH_API_KEY),
     .needs = M(AUTH_API_KEY), .secret = CONNECTOR_SECRET_API_KEY},
    {A(client_key), .kind = FIELD_SECRET, .label = "Private key",
     .help = "PEM private key, write-only, sealed.", .flags = FIELD_MULTILINE,
     .methods = M(AUTH_CLIENT_CERT), .needs = M(AUTH_CLIENT_CERT),
     .secret = CONNECTOR_SECRET_CLIENT_KEY},
    {A(client_key_pass), .kind = FIELD_SECRET, .label = "Key passphrase",
     .help = "The passphrase of an encrypted private key, write-only, sealed.",
     .methods = M(AUTH_CLIENT_CERT), .secret = CONNECTOR_SECRET_CLIENT_KEY_PASS},
    {A(allowed_origins), .kind = FIELD_WORDS,
     .help = "The origins (scheme://host:port) the credentials may be sent to; changed only "
	     "together with entering every stored secret again."},
    {A(token_origin), .kind = FIELD_TEXT, .flags = FIELD_READONLY,
     .help = "The origin the OAuth Client Secret and Password may be sent to."},
};
#undef A
const size_t auth_nfields = sizeof(auth_field_table) / sizeof(auth_field_table[0]);
#define SECRET_BIT(which) (1u << (which))

/* The form's result: the settings to write, and what the save changes. */
struct auth_input {
	struct db_auth_fields v; /* v.id: the connector */
	int secrets_later;	 /* a needed secret may be missing (an import asks for it next) */
	int type;
	unsigned secret_changed, secret_kept; /* SECRET_BIT(enum connector_secret) */
	int typed_secret; /* the user typed a secret that a re-rendered form will not show */
	/* sealed variables (v.vars_given: the form or body lists them) */
	const char *var_names[AUTH_VARS_MAX];
	const char *var_values[AUTH_VARS_MAX]; /* sealed */
	int vars_kept;			       /* a stored variable's value stays */
	int vars_changed;		       /* names or values differ from the stored ones */
};

static const char *
auth_path(struct ctx *c, const char *suffix)
{
	return arena_printf(c->a, "/data-connectors/%lld%s", c->ids[0], suffix);
}

/* "set" flags of the stored secrets: the only thing the page tells about them. */
static struct json_object *
auth_secret_state(const struct db_auth_fields *row)
{
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; i < auth_nfields; i++)
		if (auth_field_table[i].kind == FIELD_SECRET)
			jset_bool(o, auth_field_table[i].name,
				  FIELD_TEXT_OF(row, &auth_field_table[i]) != NULL);
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
auth_variable_rows(struct ctx *c, struct form *f, const struct db_auth_fields *row)
{
	struct json_object *arr = json_object_new_array();
	const char *stored = row->variables;
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

static struct json_object *auth_oauth_json(struct ctx *c, const struct db_auth_fields *row);

static int
auth_page(struct ctx *c, int status, struct form *f, const struct db_auth_fields *row)
{
	struct json_object *d = json_object_new_object();
	struct json_object *type = NULL;
	json_object_object_get_ex(f->values, "auth_type", &type);
	jset_str(d, "title", arena_printf(c->a, "Authorization · %s", row->name));
	jset(d, "connector", connector_tabs_json(c, c->ids[0], row->name));
	jset_bool(d, "tab_authorization", 1);
	jset_str(d, "action", auth_path(c, "/authorization"));
	jset_str(d, "request_token_url", auth_path(c, "/authorization/request-token"));
	jset(d, "methods",
	     form_select(auth_type_names, auth_type_labels, AUTH__MAX,
			 type ? json_object_get_string(type) : "none"));
	jset(d, "secret_set", auth_secret_state(row));
	jset(d, "variables", auth_variable_rows(c, f, row));
	jset_str(d, "stored_origins", row->allowed_origins);
	jset_str(d, "token_origin", row->token_origin);
	jset(d, "oauth", auth_oauth_json(c, row));
	form_put(f, d);
	return web_render(c, status, "authorization", d);
}

/* The stored settings as form values (secrets never). */
static void
auth_values_from_row(struct form *f, const struct db_auth_fields *row)
{
	field_values(f, auth_field_table, auth_nfields, row);
	jset_bool(f->values, "client_auth_basic", !strcmp(row->client_auth, "basic"));
	jset_bool(f->values, "api_key_query", !strcmp(row->api_key_in, "query"));
	jset_int(f->values, "version", row->version);
}

/* The OAuth state of the tab: {code (the method is Authorization Code), connected, subject,
 * connected_at, expires_at, connect_url, test_url, oauth (an OAuth method)}. */
static struct json_object *
auth_oauth_json(struct ctx *c, const struct db_auth_fields *row)
{
	struct json_object *o = json_object_new_object();
	int t = auth_type_from_name(row->auth_type);
	jset_bool(o, "oauth", auth_type_is_oauth(t));
	jset_bool(o, "code", t == AUTH_OAUTH2_AUTHORIZATION_CODE);
	jset_bool(o, "connected", row->oauth_refresh != NULL);
	jset_str(o, "subject", row->oauth_subject);
	jset_str(o, "connected_at", row->oauth_connected_at);
	jset_str(o, "expires_at", row->oauth_expires_at);
	jset_str(o, "connect_url", auth_path(c, "/authorization/connect"));
	jset_str(o, "test_url", auth_path(c, "/authorization/test"));
	const char *site = web_public_origin(c);
	jset_str(
	    o, "callback_hint",
	    arena_printf(c->a, "%s%s", site ? site : "", auth_path(c, "/authorization/callback")));
	return o;
}

int
authorization_page_message(struct ctx *c, int status, const char *error, struct json_object *test)
{
	struct db_auth_fields row;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &row);
	if (rc != DB_OK) {
		json_object_put(test);
		return rc;
	}
	struct form f;
	form_init(&f, c);
	auth_values_from_row(&f, &row);
	if (error)
		form_error(&f, "form", error);
	if (test)
		jset(f.values, "auth_test", test);
	return auth_page(c, status, &f, &row);
}

int
web_authorization_show(struct ctx *c)
{
	if (!perm_has(c->user, PERM_EDIT_CONNECTORS))
		return web_authorization_summary(c); /* src/web/readonly.c */
	struct db_auth_fields row;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &row);
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

/* 1 when s is an AWS region or service name: lower-case letters, digits, '-' and '_'. */
static int
auth_aws_name_ok(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return 0;
	return 1;
}

/* Text with line breaks but no other control bytes (tab kept); \r\n as typed. */
static int
auth_lines_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

static void
auth_check_url(struct form *f, const struct field *fd, const void *s)
{
	if (!auth_url_ok(FIELD_TEXT_OF(s, fd)))
		form_error(f, fd->name,
			   arena_printf(f->c->a,
					"The %s must be an absolute http:// or https:// address.",
					fd->label));
}

static void
auth_check_aws(struct form *f, const struct field *fd, const void *s)
{
	if (!auth_aws_name_ok(FIELD_TEXT_OF(s, fd)))
		form_error(f, fd->name,
			   arena_printf(f->c->a,
					"The %s is a lower-case AWS name such as eu-west-1 or "
					"execute-api.",
					fd->label));
}

/* The extra token fields: name=value lines. */
static void
auth_check_token_params(struct form *f, const struct field *fd, const void *s)
{
	const char *msg = outbound_token_params_check(f->c->a, FIELD_TEXT_OF(s, fd));
	if (msg)
		form_error(f, fd->name, msg);
}

static void
auth_check_pem(struct form *f, const struct field *fd, const void *s)
{
	if (!strstr(FIELD_TEXT_OF(s, fd), "-----BEGIN CERTIFICATE-----"))
		form_error(f, fd->name,
			   "The Certificate must be in PEM form (-----BEGIN CERTIFICATE-----).");
}

/* Reads the method's text settings; those the method does not use are stored empty. */
static void
auth_read_texts(struct form *f, struct auth_input *in)
{
	for (size_t i = 0; i < auth_nfields; i++) {
		const struct field *fd = &auth_field_table[i];
		if (fd->kind != FIELD_TEXT || !fd->methods)
			continue;
		const char *v = form_optional(f, fd->name, fd->label, (size_t)fd->max);
		FIELD_TEXT_OF(&in->v, fd) = "";
		if (!(fd->methods & M(in->type)))
			continue;
		FIELD_TEXT_OF(&in->v, fd) = v;
		if (fd->flags & FIELD_MULTILINE ? !auth_lines_ok(v) : !form_no_controls(v))
			form_error(f, fd->name,
				   arena_printf(f->c->a,
						"The %s may not contain control characters.",
						fd->label));
		else if (!*v && (fd->needs & M(in->type)))
			form_error(f, fd->name,
				   arena_printf(f->c->a, "The %s field is required.", fd->label));
		else if (*v && fd->check)
			fd->check(f, fd, &in->v);
	}
}

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
auth_seal(struct form *f, long long id, const struct field *s, const char *typed, const char **out)
{
	struct ctx *c = f->c;
	char *sealed = NULL;
	int multiline = (s->flags & FIELD_MULTILINE) != 0;
	if (multiline && (strlen(typed) > AUTH_PEM_MAX || !auth_lines_ok(typed) ||
			  !strstr(typed, "-----BEGIN ") || !strstr(typed, "PRIVATE KEY-----"))) {
		form_error(f, s->name,
			   arena_printf(c->a,
					"The %s must be a PEM private key (-----BEGIN PRIVATE "
					"KEY-----) of at most %d characters.",
					s->label, AUTH_PEM_MAX));
		return -1;
	}
	if (!multiline && (strlen(typed) > AUTH_SECRET_MAX || !form_no_controls(typed))) {
		form_error(f, s->name,
			   arena_printf(c->a,
					"The %s must be at most %d characters without line breaks.",
					s->label, AUTH_SECRET_MAX));
		return -1;
	}
	if (!c->app->have_keys || connector_secret_seal(&c->app->keys, c->a, id, s->secret, typed,
							strlen(typed), &sealed) != 0) {
		log_err("authorization: cannot seal %s of connector %lld", s->name, id);
		form_error(f, s->name, "This server cannot store secrets (no key is loaded).");
		return -1;
	}
	*out = sealed;
	return 0;
}

/* Each secret: typed → sealed; "clear" → removed; blank → the stored one; unused by the
 * method → removed. */
static void
auth_read_secrets(struct form *f, const struct db_auth_fields *row, struct auth_input *in)
{
	for (size_t i = 0; i < auth_nfields; i++) {
		const struct field *s = &auth_field_table[i];
		if (s->kind != FIELD_SECRET)
			continue;
		const char *stored = FIELD_TEXT_OF(row, s);
		const char *typed = form_get(f, s->name);
		const char **v = &FIELD_TEXT_OF(&in->v, s);
		unsigned bit = SECRET_BIT(s->secret);
		*v = NULL;
		if (!(s->methods & M(in->type))) {
			in->secret_changed |= stored ? bit : 0;
			continue;
		}
		if (typed && *typed) {
			in->typed_secret = 1;
			in->secret_changed |= bit;
			auth_seal(f, in->v.id, s, typed, v);
			continue;
		}
		*v = form_flag(f, arena_printf(f->c->a, "clear_%s", s->name)) ? NULL : stored;
		in->secret_changed |= *v != stored ? bit : 0;
		in->secret_kept |= *v ? bit : 0;
		if (!*v && (s->needs & M(in->type)) && !in->secrets_later)
			form_error(f, s->name,
				   arena_printf(f->c->a, "The %s field is required.", s->label));
	}
}
int
web_variable_name_ok(struct form *f, const char *field, const char *name)
{
	if (connector_variable_name_ok(name))
		return 1;
	form_error(f, field,
		   "A variable name has 1 to 64 letters, digits and underscores and does not "
		   "start with a digit.");
	return 0;
}

/* Client Certificate: when the private key or its passphrase changes, the key must open with
 * the passphrase (an encrypted key needs one), so that a wrong one is refused here, beside its
 * field, rather than by a later call (which could even succeed for a while on a kept-alive
 * connection made with the former key). */
static void
auth_check_client_key(struct form *f, struct auth_input *in)
{
	struct ctx *c = f->c;
	unsigned bits =
	    SECRET_BIT(CONNECTOR_SECRET_CLIENT_KEY) | SECRET_BIT(CONNECTOR_SECRET_CLIENT_KEY_PASS);
	if (in->type != AUTH_CLIENT_CERT || !(in->secret_changed & bits) || !c->app->have_keys ||
	    json_object_object_get_ex(f->errors, "client_key", NULL) ||
	    json_object_object_get_ex(f->errors, "client_key_pass", NULL))
		return;
	const char *field = NULL;
	const char *msg = connector_client_key_problem(
	    &c->app->keys, c->a, in->v.id, in->v.client_key, in->v.client_key_pass, &field);
	if (msg)
		form_error(f, field, msg);
}

/* The sealed variables: rows secret[N][name] / secret[N][value]. A typed value is sealed; a
 * blank one keeps the stored value of that name; a stored name no row lists is removed.
 * Only when the form (or the JSON body) lists them at all: secrets_given. */
static void
auth_read_variables(struct form *f, const struct db_auth_fields *row, struct auth_input *in)
{
	struct ctx *c = f->c;
	struct db_connector_var *stored = NULL;
	size_t nstored = 0;
	in->v.var_names = in->var_names;
	in->v.var_values = in->var_values;
	if (!(in->v.vars_given = form_get(f, "secrets_given") != NULL)) {
		/* Not listed: every stored one stays, bound where it is. */
		in->vars_kept = *row->variables != '\0';
		return;
	}
	if (in->v.id && db_connector_variables(c->db, c->a, in->v.id, &stored, &nstored) != DB_OK) {
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
		if (!web_variable_name_ok(f, nf, name))
			continue;
		for (size_t k = 0; k < in->v.nvars; k++)
			if (!strcmp(in->var_names[k], name))
				form_error(f, nf, "Each variable name may be used once.");
		for (size_t k = 0; k < nstored; k++)
			if (!strcmp(stored[k].name, name))
				old = stored[k].value;
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
				 connector_variable_seal(&c->app->keys, c->a, in->v.id, name, typed,
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
		if (sealed && in->v.nvars < AUTH_VARS_MAX) {
			in->var_names[in->v.nvars] = name;
			in->var_values[in->v.nvars++] = sealed;
		}
	}
	if (in->v.nvars != nstored)
		in->vars_changed = 1;
}

/* Origins of the endpoints' URLs whose scheme and host are written out (no template), and
 * of the URL Token for OAuth: what the credentials are bound to when the secrets are
 * entered with the allowed origins left blank. */
static const char *
auth_derived_origins(struct ctx *c, const struct auth_input *in)
{
	struct db_endpoint_head *eps = NULL;
	size_t neps = 0;
	struct buf *b = buf_new_arena(c->a);
	const char *bad = NULL;
	if (!b)
		return "";
	if (in->v.id && db_endpoint_list(c->db, c->a, in->v.id, &eps, &neps) == DB_OK) {
		for (size_t i = 0; i < neps; i++) {
			const char *o = outbound_static_origin(c->a, eps[i].url);
			if (o) {
				buf_puts(b, o);
				buf_putc(b, ' ');
			}
		}
	}
	if (M_OAUTH & M(in->type)) {
		const char *o = outbound_origin(c->a, in->v.token_url);
		if (o)
			buf_puts(b, o);
	}
	const char *list = outbound_origin_list(c->a, b->data ? b->data : "", &bad);
	return list ? list : "";
}

/* Whether the connected Authorization Code grant stays: only while the method, the
 * authorization and token URLs' origins and the client ID stay what it was granted for
 * (a refresh token goes only where it came from). */
static void
auth_read_grant(struct form *f, const struct db_auth_fields *row, struct auth_input *in)
{
	struct arena *a = f->c->a;
	const char *o_new = outbound_origin(a, in->v.token_url);
	const char *a_new = outbound_origin(a, in->v.auth_url);
	const char *a_old = outbound_origin(a, row->auth_url);
	in->v.keep_grant = row->oauth_refresh && in->type == AUTH_OAUTH2_AUTHORIZATION_CODE &&
			   !strcmp(row->auth_type, "oauth2_authorization_code") && o_new &&
			   !strcmp(o_new, row->token_origin) && a_new && a_old &&
			   !strcmp(a_new, a_old) && !strcmp(in->v.client_id, row->client_id) &&
			   !form_checkbox(f->c, "disconnect");
}

/* The allowed origins and the token origin. Both are what the stored secrets are bound to,
 * so they change only in a save that keeps no stored secret (each is entered again or
 * removed): else the secrets would follow them to the new place. */
static void
auth_read_origins(struct form *f, const struct db_auth_fields *row, struct auth_input *in)
{
	struct ctx *c = f->c;
	const char *stored = row->allowed_origins;
	const char *stored_token = row->token_origin;
	const char *typed = form_get(f, "allowed_origins");
	const char *bad = NULL;
	int kept = in->vars_kept || in->secret_kept, typed_any = in->typed_secret;
	auth_read_grant(f, row, in);
	kept |= in->v.keep_grant;
	in->v.allowed_origins = stored;
	if (!typed && typed_any && !kept)
		in->v.allowed_origins = auth_derived_origins(c, in);
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
			in->v.allowed_origins = list;
	}
	/* The OAuth Client Secret and Password: bound to the URL Token's origin. */
	in->v.token_origin = "";
	if (!(M_OAUTH & M(in->type)))
		return;
	const char *origin = outbound_origin(c->a, in->v.token_url);
	int kept_oauth = (in->secret_kept & (SECRET_BIT(CONNECTOR_SECRET_PASSWORD) |
					     SECRET_BIT(CONNECTOR_SECRET_CLIENT_SECRET))) ||
			 in->v.keep_grant;
	in->v.token_origin = origin ? origin : "";
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
auth_read(struct form *f, const struct db_auth_fields *row, struct auth_input *in,
	  int secrets_later)
{
	const char *type = form_text(f, "auth_type");
	memset(in, 0, sizeof(*in));
	in->v.id = row->id;
	in->secrets_later = secrets_later;
	in->type = auth_type_from_name(type && *type ? type : "none");
	if (in->type < 0) {
		form_error(f, "auth_type", "The selected method is invalid.");
		in->type = AUTH_NONE;
	}
	in->v.auth_type = auth_type_names[in->type];
	in->v.verify_ssl = form_flag(f, "verify_ssl");
	jset_bool(f->values, "verify_ssl", in->v.verify_ssl);
	if (in->type == AUTH_OAUTH2_PASSWORD && !in->v.verify_ssl)
		form_error(f, "verify_ssl",
			   "Auth 2.0 Password requires SSL certificate verification: turn it on.");
	auth_read_texts(f, in);
	const char *ca = form_text(f, "client_auth");
	in->v.client_auth = "body";
	if (ca && !strcmp(ca, "basic"))
		in->v.client_auth = "basic";
	else if (ca && *ca && strcmp(ca, "body") != 0)
		form_error(f, "client_auth", "Choose how the client credentials are sent.");
	jset_bool(f->values, "client_auth_basic", !strcmp(in->v.client_auth, "basic"));
	if (!(M_OAUTH & M(in->type)))
		in->v.client_auth = "body";
	const char *kin = form_text(f, "api_key_in");
	in->v.api_key_in = kin && !strcmp(kin, "query") ? "query" : "header";
	if (kin && *kin && strcmp(kin, "query") != 0 && strcmp(kin, "header") != 0)
		form_error(f, "api_key_in", "Choose where the API key is sent.");
	jset_bool(f->values, "api_key_query", !strcmp(in->v.api_key_in, "query"));
	if (in->type == AUTH_API_KEY && !strcmp(in->v.api_key_in, "header") &&
	    !auth_header_name_ok(in->v.api_key_name))
		form_error(
		    f, "api_key_name",
		    "The Key name must be a header name (letters, digits and !#$%&'*+-.^_`|~).");
	auth_read_secrets(f, row, in);
	auth_check_client_key(f, in);
	auth_read_variables(f, row, in);
	auth_read_origins(f, row, in);
}

/* Changed setting names for the audit log; never a value. */
static const char *
auth_changes(struct ctx *c, const struct db_auth_fields *row, const struct auth_input *in)
{
	struct audit_fields af;
	audit_fields_init(&af, c);
	field_changes(&af, auth_field_table, auth_nfields, row, &in->v);
	for (size_t i = 0; i < auth_nfields; i++)
		if (auth_field_table[i].kind == FIELD_SECRET)
			audit_field(&af, auth_field_table[i].name,
				    (in->secret_changed & SECRET_BIT(auth_field_table[i].secret)) !=
					0);
	audit_field(&af, "secrets", in->v.vars_given && in->vars_changed);
	audit_field(&af, "oauth_grant", !in->v.keep_grant && row->oauth_refresh);
	return audit_fields_text(&af);
}

/* "Use this token" from the Request token screen: the form again with the token in the
 * Token field and Bearer Token chosen, not saved. The token came in a POST body and goes
 * out in the page only. */
static int
auth_prefill(struct ctx *c, const struct db_auth_fields *row)
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
auth_save(struct form *f, const struct db_auth_fields *row, const struct auth_input *in)
{
	struct ctx *c = f->c;
	long version = 0;
	if (str_to_long(form_text(f, "version"), 1, 2147483647L, &version) != CORE_OK)
		version = 0; /* missing or forged: refused as stale */
	struct db_audit au = web_audit(c, "connector.authorization", "connector", in->v.id,
				       auth_changes(c, row, in));
	int rc = db_connector_auth_save(c->db, in->v.id, version, &in->v, c->user->id, &au);
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
auth_submit(struct form *f, const struct db_auth_fields *row, struct auth_input *in,
	    int secrets_later)
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
	struct db_auth_fields row;
	struct auth_input in;
	int rc = db_connector_auth_read(f->c->db, f->c->a, id, &row);
	if (rc != DB_OK)
		return rc;
	return auth_submit(f, &row, &in, secrets_later);
}

int
authorization_check(struct form *f, long long id, int secrets_later)
{
	struct db_auth_fields row;
	struct auth_input in;
	int rc = id ? db_connector_auth_read(f->c->db, f->c->a, id, &row) : DB_OK;
	if (rc != DB_OK)
		return rc;
	if (!id) { /* nothing stored yet */
		memset(&row, 0, sizeof(row));
		for (size_t i = 0; i < auth_nfields; i++)
			if (auth_field_table[i].kind != FIELD_SECRET &&
			    auth_field_table[i].kind != FIELD_BOOL)
				FIELD_TEXT_OF(&row, &auth_field_table[i]) = "";
		row.name = row.variables = "";
		row.verify_ssl = 1;
	}
	auth_read(f, &row, &in, secrets_later);
	return f->nerrors ? 422 : 0;
}

/* A refused save's tab again (the dispatcher's callback; arg: the stored row). */
static int
auth_page_again(struct ctx *c, const struct web_error *e)
{
	return auth_page(c, e->status, e->form, e->arg);
}

int
web_authorization_update(struct ctx *c)
{
	struct db_auth_fields row;
	struct auth_input in;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &row);
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
		return web_fail_page(&f, rc, auth_page_again, &row, sizeof(row));
	}
	if (rc != 0)
		return rc;
	return web_redirect_flash(c, auth_path(c, "/authorization"), MSG_SAVED);
}

/* ------------------------------------------------------------ Get Access Token */

static int
token_page(struct ctx *c, int status, struct form *f, const struct db_auth_fields *row,
	   struct json_object *result)
{
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", arena_printf(c->a, "Request token · %s", row->name));
	jset(d, "connector", connector_tabs_json(c, c->ids[0], row->name));
	jset_str(d, "action", auth_path(c, "/authorization/request-token"));
	jset_str(d, "authorization_url", auth_path(c, "/authorization"));
	jset_bool(d, "verify_ssl", row->verify_ssl);
	if (result)
		jset(d, "result", result);
	form_put(f, d);
	return web_render(c, status, "request_token", d);
}

/* The token form again with its messages (the dispatcher's callback; arg: the stored row). */
static int
token_page_again(struct ctx *c, const struct web_error *e)
{
	return token_page(c, e->status, e->form, e->arg, NULL);
}

int
web_authorization_token_form(struct ctx *c)
{
	struct db_auth_fields row;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &row);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	jset_str(f.values, "token_url", row.token_url);
	jset_str(f.values, "username", row.username);
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
	struct db_auth_fields row;
	struct token_result tr;
	int rc = db_connector_auth_read(c->db, c->a, c->ids[0], &row);
	if (rc != DB_OK)
		return rc;
	struct form f;
	form_init(&f, c);
	struct connector_auth ca = {.connector_id = c->ids[0], .type = AUTH_OAUTH2_PASSWORD};
	ca.token_url = form_required(&f, "token_url", "URL Token", 2048);
	ca.username = form_optional(&f, "username", "User", 255);
	ca.password = http_form_get(c->req, "password");
	ca.verify_ssl = row.verify_ssl;
	if (*ca.token_url && !auth_url_ok(ca.token_url))
		form_error(&f, "token_url",
			   "The URL Token must be an absolute http:// or https:// address.");
	if (!form_no_controls(ca.username) || (ca.password && !form_no_controls(ca.password)))
		form_error(&f, "username", "The User and Password may not contain line breaks.");
	if (f.nerrors)
		return web_fail_page(&f, 422, token_page_again, &row, sizeof(row));
	rc =
	    outbound_token_request(c->w->curl, &c->app->outbound, c->a, &ca, "password", NULL, &tr);
	log_info("authorization: token request for connector %lld: %s (status %ld)", c->ids[0],
		 outbound_err_name(rc), tr.status);
	return token_page(c, 200, &f, &row, token_result_json(&tr, rc));
}
