/* libFuzzer harness: Cookie headers through the cookie parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static const struct http_limits tiny = {
    .max_body = 256,
    .max_fields = 4,
    .max_field = 16,
    .max_name = 8,
};

/* Cookies are kept as sent: no decoding, so the value is a C string of value_len bytes. */
static void
run(struct arena *a, const char *s, const struct http_limits *lim)
{
	struct http_kvlist l;
	const char **vals;
	if (http_parse_cookies(a, s, lim, &l) != HTTP_OK)
		return;
	if (l.count > lim->max_fields)
		__builtin_trap();
	for (size_t i = 0; i < l.count; i++) {
		const struct http_kv *kv = &l.items[i];
		if (!*kv->name || strlen(kv->name) > lim->max_name ||
		    strlen(kv->value) != kv->value_len || kv->value_len > lim->max_field ||
		    !http_utf8_valid(kv->value, kv->value_len) || strpbrk(kv->name, " ;=\t\""))
			__builtin_trap();
	}
	if (l.count)
		http_kv_get_all(a, &l, l.items[0].name, &vals);
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
	/* The header arrives as a C string: copy without the trailing NUL libFuzzer omits. */
	char *s = arena_strndup(&a, (const char *)data, size);
	if (s) {
		run(&a, s, &http_limits_default);
		run(&a, s, &tiny);
	}
	arena_reset(&a);
	return 0;
}
