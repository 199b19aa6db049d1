/* OAuth 2.0 on the Authorization tab: "Connect" (Authorization Code with PKCE: the browser
 * goes to the provider, comes back to the callback, which checks the state and sends the
 * code with its PKCE verifier to the token URL) and "Test authorization" (a token fetched
 * now: its type, expiry and scope are shown, never the token), as pages and in the JSON
 * API. The flow itself lives in src/connector/authorize.c. */
#include <string.h>

#include "../db/endpoints.h"
#include "api.h"
#include "save.h"

/* This site's origin as the browser reaches it: [server] public_url when set, else the
 * scheme (the front end's HTTPS), the Host header and, when Host has no port (nginx passes
 * $host), SERVER_PORT unless it is the scheme's default. NULL when Host is not a plain
 * host[:port]. */
const char *
web_public_origin(struct ctx *c)
{
	const char *pub = config_get(&c->app->cfg, "server.public_url", "");
	if (pub && *pub) {
		size_t n = strlen(pub);
		while (n && pub[n - 1] == '/')
			n--;
		return arena_strndup(c->a, pub, n);
	}
	const char *host = http_header(c->req, "Host");
	const char *port = http_param(c->req, "SERVER_PORT");
	const char *scheme = c->req->https ? "https" : "http";
	if (!host || !*host || strlen(host) > 255)
		return NULL;
	for (const char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-.:[]", *p)))
			return NULL;
	const char *close = strrchr(host, ']');
	int has_port = strchr(close ? close : host, ':') != NULL;
	int default_port = !port || !*port || !strcmp(port, c->req->https ? "443" : "80");
	if (has_port || default_port || strspn(port, "0123456789") != strlen(port))
		return arena_printf(c->a, "%s://%s", scheme, host);
	return arena_printf(c->a, "%s://%s:%s", scheme, host, port);
}

/* ".../data-connectors/<id>/authorization/callback" on this site's origin. */
static const char *
callback_uri(struct ctx *c)
{
	const char *o = web_public_origin(c);
	return o ? arena_printf(c->a, "%s/data-connectors/%lld/authorization/callback", o,
				c->ids[0])
		 : NULL;
}

/* The connector's authorization with its secrets opened: 0, else a status (page shown). */
static int
load_auth(struct ctx *c, struct db_auth_fields *f, struct connector_auth *ca, const char **errmsg)
{
	struct db_rows row_, *row = &row_;
	int rc = db_connector_auth_load(c->db, c->a, c->ids[0], f, row);
	if (rc != DB_OK)
		return rc == DB_ENOTFOUND ? 404 : rc;
	if (connector_auth_from_row(c->app->have_keys ? &c->app->keys : NULL, c->a, c->ids[0], row,
				    ca, errmsg) != 0)
		return 422;
	return 0;
}

/* The Authorization tab with why above the form (the dispatcher's page for a refusal). */
static int
refused_page(struct ctx *c, const struct web_error *e)
{
	return authorization_page_message(c, e->status, e->message, NULL);
}

int
web_authorization_connect(struct ctx *c)
{
	struct db_auth_fields row;
	struct connector_auth ca;
	const char *msg = NULL, *url = NULL;
	int rc = load_auth(c, &row, &ca, &msg);
	if (rc == 422)
		return web_fail_show(c, 422, msg, refused_page, NULL, 0);
	if (rc != 0)
		return rc;
	if (ca.type != AUTH_OAUTH2_AUTHORIZATION_CODE)
		return web_fail_show(
		    c, 422,
		    "Connect is for OAuth 2.0 Authorization Code (PKCE): choose it and save first.",
		    refused_page, NULL, 0);
	const char *redirect = callback_uri(c);
	if (!redirect)
		return web_fail_show(c, 422, "The Host of this request is invalid.", refused_page,
				     NULL, 0);
	rc = connector_oauth_begin(c->db, c->app->have_keys ? &c->app->keys : NULL, c->a, &ca,
				   c->user->id, redirect, &url, &msg);
	if (rc != OUT_OK)
		return web_fail_show(c, 422, msg, refused_page, NULL, 0);
	log_info("authorization: connector %lld: Connect started by user %lld", c->ids[0],
		 c->user->id);
	/* A page that moves on by itself, not a 303: the tab's CSP (form-action 'self') stops a
	 * form submission redirected to another origin. */
	struct json_object *d = json_object_new_object();
	jset_str(d, "title", "Connect");
	jset_str(d, "connector_name", row.name);
	jset_str(d, "provider_url", url);
	return web_render(c, 200, "oauth_redirect", d);
}

int
web_authorization_callback(struct ctx *c)
{
	struct db_auth_fields row;
	struct connector_auth ca;
	struct connector_oauth_info info;
	const char *msg = NULL;
	const char *err = http_query_get(c->req, "error");
	int rc = load_auth(c, &row, &ca, &msg);
	if (rc == 422)
		return web_fail_show(c, 422, msg, refused_page, NULL, 0);
	if (rc != 0)
		return rc;
	if (err && *err) {
		const char *desc = http_query_get(c->req, "error_description");
		size_t n = strlen(err) > 100 ? 100 : strlen(err);
		return web_fail_show(
		    c, 422,
		    arena_printf(c->a, "The provider did not grant access: %.*s%s%.*s", (int)n, err,
				 desc && *desc ? " — " : "",
				 desc ? (int)(strlen(desc) > 200 ? 200 : strlen(desc)) : 0,
				 desc ? desc : ""),
		    refused_page, NULL, 0);
	}
	const char *redirect = callback_uri(c);
	if (ca.type != AUTH_OAUTH2_AUTHORIZATION_CODE || !redirect)
		return web_fail_show(
		    c, 422, "This Data Connector does not use OAuth 2.0 Authorization Code.",
		    refused_page, NULL, 0);
	rc = connector_oauth_finish(c->w->curl, &c->app->outbound, c->db,
				    c->app->have_keys ? &c->app->keys : NULL, c->a, &ca,
				    c->user->id, http_query_get(c->req, "state"),
				    http_query_get(c->req, "code"), redirect, &info, &msg);
	log_info("authorization: connector %lld: Connect finished by user %lld: %s", c->ids[0],
		 c->user->id, outbound_err_name(rc));
	if (rc != OUT_OK)
		return web_fail_show(c, 422, msg, refused_page, NULL, 0);
	audit_write(c->db, c->user, "connector.authorization", "connector", c->ids[0],
		    "oauth_grant", c->req->remote_addr);
	return web_redirect_flash(
	    c, arena_printf(c->a, "/data-connectors/%lld/authorization", c->ids[0]),
	    arena_printf(c->a, "Connected as %s", *info.subject ? info.subject : "(unknown user)"));
}

/* Type, expiry and scope of a token, never the token. */
static struct json_object *
test_json(const struct connector_oauth_info *info, int rc, const char *msg)
{
	struct json_object *o = json_object_new_object();
	jset_bool(o, "ok", rc == OUT_OK);
	if (rc != OUT_OK) {
		jset_str(o, "message", msg ? msg : outbound_strerror((enum outbound_err)rc));
		jset_str(o, "code", outbound_err_name((enum outbound_err)rc));
		jset(o, "errors", json_object_new_object()); /* the API's error shape */
		return o;
	}
	jset_str(o, "token_type", info->token_type);
	if (info->expires_in > 0)
		jset_int(o, "expires_in", info->expires_in);
	if (info->scope && *info->scope)
		jset_str(o, "scope", info->scope);
	return o;
}

/* Runs the test: 0 with *out (the JSON above), 422 with *out for a method without tokens,
 * or another status. */
static int
run_test(struct ctx *c, struct json_object **out)
{
	struct db_auth_fields row;
	struct connector_auth ca;
	struct connector_oauth_info info;
	const char *msg = NULL;
	int rc = load_auth(c, &row, &ca, &msg);
	if (rc != 0 && rc != 422)
		return rc;
	if (rc == 0 && !auth_type_is_oauth(ca.type)) {
		*out = json_object_new_object();
		jset_bool(*out, "ok", 0);
		jset_str(*out, "message",
			 "Test authorization is for the OAuth 2.0 methods: choose one and save "
			 "first.");
		jset_str(*out, "code", "EMETHOD");
		return 422;
	}
	if (rc == 0)
		rc = connector_oauth_test(c->w->curl, &c->app->outbound, c->db,
					  c->app->have_keys ? &c->app->keys : NULL, c->a, &ca,
					  &info, &msg);
	else
		rc = OUT_EAUTH;
	log_info("authorization: connector %lld: Test authorization: %s", c->ids[0],
		 outbound_err_name((enum outbound_err)rc));
	*out = test_json(&info, rc, msg);
	return 0;
}

int
web_authorization_test(struct ctx *c)
{
	struct json_object *result = NULL;
	int rc = run_test(c, &result);
	if (rc != 0 && rc != 422)
		return rc;
	return authorization_page_message(c, rc ? 422 : 200, NULL, result);
}

int
web_api_authorization_test(struct ctx *c)
{
	struct json_object *result = NULL;
	int rc = run_test(c, &result);
	if (rc == 404)
		return api_not_found(c, "Data Connector not found");
	if (rc == 422) {
		struct json_object *errs = json_object_new_object(), *arr = json_object_new_array();
		struct json_object *m = NULL;
		json_object_object_get_ex(result, "message", &m);
		const char *msg = arena_strdup(c->a, json_object_get_string(m));
		json_object_array_add(arr, json_object_new_string(msg ? msg : ""));
		jset(errs, "auth_type", arr);
		json_object_put(result);
		return web_fail(c, 422, msg, errs);
	}
	if (rc != 0)
		return rc;
	struct json_object *ok = NULL;
	json_object_object_get_ex(result, "ok", &ok);
	return web_json(c, json_object_get_boolean(ok) ? 200 : 502, result);
}
