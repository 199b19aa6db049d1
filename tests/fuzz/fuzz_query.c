/* libFuzzer harness: whole requests through http_req_from_env. After the first byte, which
 * picks the options, the input is split at newlines into the URI (DOCUMENT_URI or REQUEST_URI),
 * the query string (also sent as the Cookie header), CONTENT_LENGTH, and the body. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"

static const struct http_limits tiny = {
    .max_body = 64,
    .max_fields = 4,
    .max_field = 16,
    .max_name = 8,
};

/* Takes the next line of [*p, end) as a new arena string and advances past its newline. */
static char *
next_part(struct arena *a, const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *stop = nl ? nl : end;
	char *s = arena_strndup(a, *p, (size_t)(stop - *p));
	*p = nl ? nl + 1 : end;
	return s;
}

static void
check(const struct http_req *r)
{
	size_t n = strlen(r->path);
	if (r->path[0] != '/' || !http_utf8_valid(r->path, n) || strstr(r->path, "/../") ||
	    r->body[r->body_len] != '\0')
		__builtin_trap();
	http_query_get(r, "q");
	http_form_get(r, "name");
	http_cookie_get(r, "sid");
	http_header(r, "Origin");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena a;
	static int init;
	if (!init) {
		arena_init(&a, 0);
		init = 1;
	}
	if (size < 1)
		return 0;
	unsigned opt = data[0];
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	char *uri = next_part(&a, &p, end);
	char *query = next_part(&a, &p, end);
	char *clen = next_part(&a, &p, end);
	char *env[8];
	int n = 0;
	env[n++] = arena_printf(&a, "%s=%s", (opt & 1) ? "REQUEST_URI" : "DOCUMENT_URI", uri);
	env[n++] = arena_printf(&a, "QUERY_STRING=%s", query);
	env[n++] = arena_printf(&a, "HTTP_COOKIE=%s", query);
	env[n++] = (opt & 2) ? "REQUEST_METHOD=POST" : "REQUEST_METHOD=HEAD";
	env[n++] = (opt & 4) ? "CONTENT_TYPE=application/x-www-form-urlencoded; charset=UTF-8"
			     : "CONTENT_TYPE=application/json";
	if (opt & 8)
		env[n++] = arena_printf(&a, "CONTENT_LENGTH=%s", clen);
	env[n] = NULL;
	struct http_req req;
	const struct http_limits *lim = (opt & 16) ? &tiny : NULL;
	int ok = uri && query && clen && env[0] && env[1] && env[2] && (n < 6 || env[5]);
	if (ok && http_req_from_env(&req, &a, env, p, (size_t)(end - p), lim) == HTTP_OK)
		check(&req);
	arena_reset(&a);
	return 0;
}
