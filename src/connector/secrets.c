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
};

/* "connector:<id>:<field>"; NULL on a bad secret or no memory. */
static const char *
secret_context(struct arena *a, long long id, enum connector_secret s)
{
	if ((int)s < 0 || s >= CONNECTOR_SECRET__MAX)
		return NULL;
	return arena_printf(a, "connector:%lld:%s", id, connector_secret_names[s]);
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
