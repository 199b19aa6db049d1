/* A connector's secrets at rest. Every sealed value is bound (as AES-GCM AAD) to a context
 * naming its connector and field, so a value copied to another row or column does not
 * open. The context strings live here and nowhere else: sealing, opening and rotation all
 * go through these functions. */
#include <string.h>

#include "connector.h"

const char *const connector_secret_names[CONNECTOR_SECRET__MAX] = {
    [CONNECTOR_SECRET_PASSWORD] = "password",
    [CONNECTOR_SECRET_TOKEN] = "token",
    [CONNECTOR_SECRET_CLIENT_SECRET] = "client_secret",
    [CONNECTOR_SECRET_API_KEY] = "api_key",
    [CONNECTOR_SECRET_CLIENT_KEY] = "client_key",
    [CONNECTOR_SECRET_OAUTH_REFRESH] = "oauth_refresh",
    [CONNECTOR_SECRET_CLIENT_KEY_PASS] = "client_key_pass",
};

/* "connector:<id>:<field>"; NULL on a bad secret or no memory. */
static const char *
secret_context(struct arena *a, long long id, enum connector_secret s)
{
	if ((int)s < 0 || s >= CONNECTOR_SECRET__MAX)
		return NULL;
	return arena_printf(a, "connector:%lld:%s", id, connector_secret_names[s]);
}

/* "connector:<id>:secret:<name>": a sealed variable. */
static const char *
variable_context(struct arena *a, long long id, const char *name)
{
	if (!connector_variable_name_ok(name))
		return NULL;
	return arena_printf(a, "connector:%lld:secret:%s", id, name);
}

/* "token_cache:<id>": both cells (access and refresh token) of a connector's cache row. */
static const char *
token_context(struct arena *a, long long id)
{
	return arena_printf(a, "token_cache:%lld", id);
}

/* Seals under ctx; a missing key ring or context is refused rather than crashing. */
static int
seal_under(const struct crypt_keyring *kr, struct arena *a, const char *ctx, const char *plain,
	   size_t len, char **out)
{
	*out = NULL;
	if (!kr)
		return CRYPT_ENOKEY;
	if (!ctx)
		return CRYPT_ENOMEM;
	return crypt_seal(kr, a, ctx, plain, len, out);
}

/* Opens under ctx; an absent value ("" or NULL) is no secret, not an error. */
static int
open_under(const struct crypt_keyring *kr, struct arena *a, const char *ctx, const char *sealed,
	   char **out, size_t *len)
{
	size_t dummy;
	*out = NULL;
	if (!len)
		len = &dummy;
	*len = 0;
	if (!sealed || !*sealed)
		return CRYPT_OK;
	if (!kr)
		return CRYPT_ENOKEY;
	if (!ctx)
		return CRYPT_ENOMEM;
	return crypt_open(kr, a, ctx, sealed, out, len);
}

int
connector_secret_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
		      enum connector_secret s, const char *plain, size_t len, char **out)
{
	return seal_under(kr, a, secret_context(a, id, s), plain, len, out);
}

int
connector_secret_open(const struct crypt_keyring *kr, struct arena *a, long long id,
		      enum connector_secret s, const char *sealed, char **out, size_t *len)
{
	return open_under(kr, a, secret_context(a, id, s), sealed, out, len);
}

int
connector_token_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
		     const char *plain, size_t len, char **out)
{
	return seal_under(kr, a, token_context(a, id), plain, len, out);
}

int
connector_token_open(const struct crypt_keyring *kr, struct arena *a, long long id,
		     const char *sealed, char **out, size_t *len)
{
	return open_under(kr, a, token_context(a, id), sealed, out, len);
}

int
connector_pkce_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
		    const char *plain, size_t len, char **out)
{
	return seal_under(kr, a, arena_printf(a, "oauth_state:%lld", id), plain, len, out);
}

int
connector_pkce_open(const struct crypt_keyring *kr, struct arena *a, long long id,
		    const char *sealed, char **out, size_t *len)
{
	return open_under(kr, a, arena_printf(a, "oauth_state:%lld", id), sealed, out, len);
}

int
connector_variable_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64 || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			return 0;
	}
	return 1;
}

int
connector_variable_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			const char *name, const char *plain, size_t len, char **out)
{
	return seal_under(kr, a, variable_context(a, id, name), plain, len, out);
}

int
connector_variable_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			const char *name, const char *sealed, char **out, size_t *len)
{
	return open_under(kr, a, variable_context(a, id, name), sealed, out, len);
}

/* ------------------------------------------------------------ environments */

const char *
connector_env_new_key(struct arena *a)
{
	char *hex = NULL;
	return crypt_token_hex(a, 16, &hex) == CRYPT_OK ? hex : NULL;
}

/* "connector:<id>:env:<key>:<field>"; NULL for a key that is not 1-64 hex characters. */
static const char *
env_context(struct arena *a, long long id, const char *key, const char *field)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > 64 || strspn(key, "0123456789abcdef") != n || !field)
		return NULL;
	return arena_printf(a, "connector:%lld:env:%s:%s", id, key, field);
}

static const char *
env_secret_field(enum connector_secret s)
{
	return (int)s >= 0 && s < CONNECTOR_SECRET__MAX ? connector_secret_names[s] : NULL;
}

static const char *
env_var_field(struct arena *a, const char *name)
{
	return connector_variable_name_ok(name) ? arena_printf(a, "var:%s", name) : NULL;
}

int
connector_env_secret_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			  const char *seal_key, enum connector_secret s, const char *plain,
			  size_t len, char **out)
{
	return seal_under(kr, a, env_context(a, id, seal_key, env_secret_field(s)), plain, len,
			  out);
}

int
connector_env_secret_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			  const char *seal_key, enum connector_secret s, const char *sealed,
			  char **out, size_t *len)
{
	return open_under(kr, a, env_context(a, id, seal_key, env_secret_field(s)), sealed, out,
			  len);
}

int
connector_env_variable_seal(const struct crypt_keyring *kr, struct arena *a, long long id,
			    const char *seal_key, const char *name, const char *plain, size_t len,
			    char **out)
{
	return seal_under(kr, a, env_context(a, id, seal_key, env_var_field(a, name)), plain, len,
			  out);
}

int
connector_env_variable_open(const struct crypt_keyring *kr, struct arena *a, long long id,
			    const char *seal_key, const char *name, const char *sealed, char **out,
			    size_t *len)
{
	return open_under(kr, a, env_context(a, id, seal_key, env_var_field(a, name)), sealed, out,
			  len);
}

const char *
connector_client_key_problem(const struct crypt_keyring *kr, struct arena *a, long long id,
			     const char *sealed_key, const char *sealed_pass, const char **field)
{
	char *key = NULL, *pass = NULL;
	*field = NULL;
	if (connector_secret_open(kr, a, id, CONNECTOR_SECRET_CLIENT_KEY, sealed_key, &key, NULL) !=
		CRYPT_OK ||
	    connector_secret_open(kr, a, id, CONNECTOR_SECRET_CLIENT_KEY_PASS, sealed_pass, &pass,
				  NULL) != CRYPT_OK ||
	    !key)
		return NULL; /* nothing to check, or a stored value the save reports itself */
	int rc = crypt_private_key_check(key, pass);
	if (rc == CRYPT_OK)
		return NULL;
	if (rc == CRYPT_EAUTH) {
		*field = "client_key_pass";
		return pass && *pass ? "The Key passphrase does not open this Private key."
				     : "This Private key is encrypted: enter its Key passphrase.";
	}
	*field = "client_key";
	return "The Private key cannot be read: a PEM private key (RSA, EC or Ed25519, "
	       "PKCS#8 or traditional) is expected.";
}
