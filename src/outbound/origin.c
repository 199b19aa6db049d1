/* Origins (RFC 6454: scheme, host and port) of URLs, and lists of them: what a connector's
 * credentials are bound to. "HTTPS://API.Example.com/x" and "https://api.example.com:443"
 * have the same origin, "https://api.example.com:443". */
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "outbound.h"

#define ORIGIN_MAX 512

/* ASCII lower case in place. */
static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

const char *
outbound_origin(struct arena *a, const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL;
	const char *out = NULL;
	if (!url || !*url || !(u = curl_url()))
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK && *host) {
		lower(scheme);
		lower(host);
		if ((!strcmp(scheme, "http") || !strcmp(scheme, "https")) &&
		    strlen(host) + strlen(port) < ORIGIN_MAX - 16)
			out = arena_printf(a, "%s://%s:%s", scheme, host, port);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

const char *
outbound_url_resolve(struct arena *a, const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *out = NULL;
	const char *r = NULL;
	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		r = arena_strdup(a, out);
	curl_free(out);
	curl_url_cleanup(u);
	return r;
}

int
outbound_origin_listed(const char *origin, const char *list)
{
	size_t n = origin ? strlen(origin) : 0;
	if (!n || !list)
		return 0;
	for (const char *p = list; *p;) {
		p += strspn(p, " \t\r\n,");
		size_t len = strcspn(p, " \t\r\n,");
		if (len == n && strncasecmp(p, origin, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

const char *
outbound_origin_list(struct arena *a, const char *text, const char **bad)
{
	struct buf b;
	const char *out = NULL;
	*bad = NULL;
	buf_init(&b);
	for (const char *p = text ? text : ""; *p;) {
		p += strspn(p, " \t\r\n,");
		size_t len = strcspn(p, " \t\r\n,");
		if (!len)
			break;
		char *one = arena_strndup(a, p, len);
		const char *o = one ? outbound_origin(a, one) : NULL;
		p += len;
		/* Only an origin: nothing after the authority but one '/'. */
		const char *rest = one ? strstr(one, "://") : NULL;
		rest = rest ? rest + 3 + strcspn(rest + 3, "/?#") : NULL;
		if (!o || (rest && *rest && strcmp(rest, "/") != 0)) {
			*bad = one ? one : "";
			buf_free(&b);
			return NULL;
		}
		if (outbound_origin_listed(o, b.data ? b.data : ""))
			continue;
		if (b.len)
			buf_putc(&b, ' ');
		buf_puts(&b, o);
	}
	out = b.failed ? NULL : arena_strdup(a, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

const char *
outbound_static_origin(struct arena *a, const char *url)
{
	const char *auth = url ? strstr(url, "://") : NULL;
	if (!auth || memmem(url, (size_t)(auth - url), "{{", 2))
		return NULL;
	const char *host = auth + 3, *end = host + strcspn(host, "/?#");
	for (const char *p = host; p < end; p++)
		if (*p == '@')
			host = p + 1;
	if (memmem(host, (size_t)(end - host), "{{", 2))
		return NULL;
	const char *bare =
	    arena_printf(a, "%.*s://%.*s", (int)(auth - url), url, (int)(end - host), host);
	return bare ? outbound_origin(a, bare) : NULL;
}
