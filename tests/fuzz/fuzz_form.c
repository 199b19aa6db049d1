/* libFuzzer harness: urlencoded form bodies through the parser and the lookups built on it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"

static const struct http_limits tiny = {
    .max_body = 256,
    .max_fields = 8,
    .max_field = 16,
    .max_name = 12,
};

/* Checks what a successful parse promises; a broken promise aborts so the fuzzer reports it. */
static void
check_list(const struct http_kvlist *l, const struct http_limits *lim)
{
	if (l->count > lim->max_fields)
		__builtin_trap();
	for (size_t i = 0; i < l->count; i++) {
		size_t nl = strlen(l->items[i].name);
		if (nl > lim->max_name || l->items[i].value_len > lim->max_field ||
		    l->items[i].value[l->items[i].value_len] != '\0' ||
		    !http_utf8_valid(l->items[i].name, nl) ||
		    !http_utf8_valid(l->items[i].value, l->items[i].value_len))
			__builtin_trap();
	}
}

static void
run(struct arena *a, const char *s, size_t len, const struct http_limits *lim)
{
	struct http_kvlist l;
	const char **vals;
	long *idx;
	size_t n;
	if (http_parse_urlencoded(a, s, len, lim, &l) != HTTP_OK)
		return;
	check_list(&l, lim);
	if (l.count) {
		http_kv_get(&l, l.items[0].name);
		http_kv_get_all(a, &l, l.items[l.count - 1].name, &vals);
	}
	http_kv_indexes(a, &l, "header", &idx);
	http_kv_indexes(a, &l, "", &idx);
	http_url_decode(a, s, len, 1, &n);
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
	run(&a, (const char *)data, size, &http_limits_default);
	run(&a, (const char *)data, size, &tiny);
	arena_reset(&a);
	return 0;
}
