/* Unit tests for core: arena, buf, config, string helpers. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "tap.h"

static int defer_hits;
static void
defer_count(void *p)
{
	defer_hits += *(int *)p;
}

static void
test_arena(void)
{
	struct arena a;
	arena_init(&a, 1024);
	char *s = arena_strdup(&a, "hello");
	is_str(s, "hello", "arena_strdup copies");
	char *big = arena_alloc(&a, 10000);
	ok(big != NULL, "allocation larger than a block works");
	memset(big, 'x', 10000);
	char *after = arena_strdup(&a, "after big");
	is_str(after, "after big", "allocations continue after a large block");
	char *p = arena_printf(&a, "%d-%s", 42, "x");
	is_str(p, "42-x", "arena_printf formats");
	ok(((uintptr_t)arena_alloc(&a, 3) % sizeof(max_align_t)) == 0, "allocations are aligned");
	int one = 1, two = 2;
	arena_defer(&a, defer_count, &one);
	arena_defer(&a, defer_count, &two);
	arena_reset(&a);
	ok(defer_hits == 3, "defers run on reset");
	ok(a.total == 0, "reset clears the total");
	for (int i = 0; i < 1000; i++)
		arena_alloc(&a, 100);
	ok(a.total >= 100000, "many small allocations counted");
	arena_reset(&a);
	ok(arena_strdup(&a, "reuse") != NULL, "arena is usable after reset");
	arena_free(&a);
	ok(a.head == NULL, "arena_free releases all blocks");
}

static void
test_buf(void)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "abc");
	buf_putc(&b, '-');
	buf_printf(&b, "%05d", 42);
	is_str(b.data, "abc-00042", "buf appends and formats");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, "0123456789");
	ok(b.len == 9 + 100000, "buf grows to 100 KB");
	ok(b.data[b.len] == '\0', "buf stays NUL-terminated");
	buf_reset(&b);
	ok(b.len == 0 && b.data[0] == '\0', "buf_reset empties");
	buf_free(&b);
	struct arena a;
	arena_init(&a, 1024);
	struct buf ab;
	buf_init_arena(&ab, &a);
	buf_puts(&ab, "freed by the arena");
	arena_free(&a);
	ok(1, "arena-registered buf freed without leak (valgrind/ASan check)");
	arena_init(&a, 1024);
	struct buf *nb = buf_new_arena(&a);
	ok(nb && buf_puts(nb, "request scoped") == CORE_OK, "buf_new_arena gives a usable buffer");
	arena_reset(&a);
	ok(a.defers == NULL, "buf_new_arena buffer freed by the reset (ASan checks the free)");
	arena_free(&a);
}

static void
test_config(void)
{
	struct config cfg = {0};
	const char *text = "# comment\n; also comment\ntop = 1\n[server]\nworkers = 4\n"
			   "socket =  /tmp/x.sock  \n[outbound]\ndeny = 127.0.0.0/8, ::1/128\n"
			   "flag = yes\nworkers = notanumber\n";
	int line = 0;
	ok(config_parse(&cfg, text, strlen(text), &line) == CORE_OK, "config parses");
	is_str(config_get(&cfg, "top", NULL), "1", "key before any section");
	is_str(config_get(&cfg, "server.socket", NULL), "/tmp/x.sock", "values are trimmed");
	ok(config_get_long(&cfg, "server.workers", 0) == 4, "long values");
	ok(config_get_long(&cfg, "outbound.workers", 9) == 9, "bad number falls back to default");
	ok(config_get_bool(&cfg, "outbound.flag", 0) == 1, "bool yes");
	is_str(config_get(&cfg, "outbound.deny", NULL), "127.0.0.0/8, ::1/128", "list kept whole");
	is_str(config_get(&cfg, "missing.key", "def"), "def", "missing key gives default");
	config_free(&cfg);

	const char *bad[] = {"[unclosed\n", "novalue\n", "[]\n",
			     " = 3\n",	    "a b = 1\n", "[s] trailing\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c2 = {0};
		line = 0;
		ok(config_parse(&c2, bad[i], strlen(bad[i]), &line) == CORE_ESYNTAX && line == 1,
		   "syntax error reported with line: %zu", i);
		config_free(&c2);
	}
	struct config c3 = {0};
	char withnul[] = "a = 1\nb = \0x\n";
	ok(config_parse(&c3, withnul, sizeof(withnul) - 1, &line) == CORE_ESYNTAX && line == 2,
	   "NUL byte in config refused");
	config_free(&c3);
	struct config c4 = {0};
	ok(config_load(&c4, "/nonexistent/dcgate.conf", &line) == CORE_EIO, "missing file is EIO");
	config_free(&c4);
}

static void
test_strings(void)
{
	long v = 0;
	ok(str_to_long("42", 0, 100, &v) == CORE_OK && v == 42, "str_to_long ok");
	ok(str_to_long("42x", 0, 100, &v) == CORE_ESYNTAX, "trailing junk refused");
	ok(str_to_long("", 0, 100, &v) == CORE_ESYNTAX, "empty refused");
	ok(str_to_long("101", 0, 100, &v) == CORE_ERANGE, "out of range refused");
	ok(str_to_long("99999999999999999999999", 0, 100, &v) == CORE_ESYNTAX, "overflow refused");
	char s[] = "  padded \t\n";
	is_str(str_trim(s), "padded", "str_trim");
	ok(str_eq_ci("Bearer", "bEARER"), "case-insensitive compare");
}

static void
test_cache(void)
{
	struct arena a;
	arena_init(&a, 1024);
	struct cache *c = cache_new(3, 0);
	void *v = NULL;
	size_t n = 0;
	ok(c != NULL, "cache_new");
	ok(cache_get(c, "k1", &a, &v, &n) == CORE_ERANGE, "empty cache misses");
	ok(cache_put(c, "k1", "one", 3) == CORE_OK, "put k1");
	ok(cache_get(c, "k1", &a, &v, &n) == CORE_OK && n == 3 && memcmp(v, "one", 3) == 0 &&
	       ((char *)v)[3] == '\0',
	   "get k1 copies the value, NUL after it");
	ok(cache_put(c, "k1", "uno", 3) == CORE_OK && cache_get(c, "k1", &a, &v, &n) == CORE_OK &&
	       memcmp(v, "uno", 3) == 0,
	   "put replaces the value under the same key");
	cache_put(c, "k2", "two", 3);
	cache_put(c, "k3", "three", 5);
	cache_get(c, "k1", &a, &v, &n); /* k1 is now the most recent: k2 goes first */
	cache_put(c, "k4", "four", 4);
	size_t entries = 0;
	cache_stats(c, &entries, NULL, NULL, NULL);
	ok(entries == 3, "bounded by entries (%zu)", entries);
	ok(cache_get(c, "k2", &a, &v, &n) == CORE_ERANGE, "least recently used evicted");
	ok(cache_get(c, "k1", &a, &v, &n) == CORE_OK, "recently used kept");
	ok(cache_get(c, "k4", &a, &v, &n) == CORE_OK && n == 4, "newest kept");
	ok(cache_claim(c, "k9", 10) == CORE_OK, "a missing key is claimed by the first asker");
	ok(cache_claim(c, "k9", 10) == CORE_ERANGE, "a second asker waits, then looks again");
	ok(cache_claim(c, "k8", 10) == CORE_OK, "another key is claimed independently");
	cache_release(c, "k9");
	cache_release(c, "k8");
	ok(cache_claim(c, "k9", 10) == CORE_OK, "released: claimable again");
	cache_release(c, "k9");
	cache_release(c, "never claimed");
	cache_free(c);

	c = cache_new(100, 64);
	char big[80];
	memset(big, 'x', sizeof(big));
	ok(cache_put(c, "big", big, sizeof(big)) == CORE_ERANGE,
	   "a value past max_bytes is refused");
	for (int i = 0; i < 10; i++) {
		char key[16];
		snprintf(key, sizeof(key), "key%d", i);
		cache_put(c, key, big, 20);
	}
	size_t bytes = 0;
	cache_stats(c, &entries, &bytes, NULL, NULL);
	ok(bytes <= 64 && entries == 2, "bounded by bytes (%zu bytes, %zu entries)", bytes,
	   entries);
	cache_free(c);
	cache_free(NULL);
	ok(cache_get(NULL, "k", &a, &v, &n) == CORE_ERANGE, "a NULL cache always misses");

	struct buf b;
	buf_init(&b);
	pack_i64(&b, -42);
	pack_str(&b, "hello");
	pack_str(&b, NULL);
	pack_str(&b, "");
	pack_i64(&b, 7);
	struct unpack u = {b.data, b.len, 0};
	ok(unpack_i64(&u) == -42, "unpack integer");
	is_str(unpack_str(&u), "hello", "unpack string");
	ok(unpack_str(&u) == NULL && !u.bad, "unpack NULL");
	is_str(unpack_str(&u), "", "unpack empty string");
	ok(unpack_i64(&u) == 7 && !u.bad && u.left == 0, "unpack to the end");
	unpack_i64(&u);
	ok(u.bad, "reading past the end is bad");
	struct unpack cut = {b.data, 10, 0};
	unpack_i64(&cut);
	ok(unpack_str(&cut) == NULL && cut.bad, "a cut string is bad");
	buf_free(&b);
	arena_free(&a);
}

/* A query for cache_through: counts its runs; its answer is one number. */
struct counted {
	int runs;
	long long answer, got;
	int fail; /* fill answers this error */
};

static int
counted_fill(void *arg, struct buf *b)
{
	struct counted *x = arg;
	x->runs++;
	if (x->fail)
		return x->fail;
	x->got = x->answer;
	if (b)
		pack_i64(b, x->answer);
	return 0;
}

static int
counted_use(void *arg, struct arena *a, const void *val, size_t len)
{
	(void)a;
	struct counted *x = arg;
	struct unpack u = {val, len, 0};
	long long v = unpack_i64(&u);
	if (u.bad || u.left || v < 0)
		return -1; /* a damaged (here: negative) value is not used */
	x->got = v;
	return 0;
}

static void
test_cache_through(void)
{
	struct arena a;
	arena_init(&a, 1024);
	static struct cache_query q = {.max_entries = 8, .fill = counted_fill, .use = counted_use};
	struct counted x = {.answer = 7};
	ok(cache_through(&q, "k|1", &a, &x) == 0 && x.runs == 1 && x.got == 7,
	   "a miss runs the query and answers its result");
	x.answer = 8;
	x.got = 0;
	ok(cache_through(&q, "k|1", &a, &x) == 0 && x.runs == 1 && x.got == 7,
	   "the same key is answered from the cache without running the query");
	ok(cache_through(&q, "k|2", &a, &x) == 0 && x.runs == 2 && x.got == 8,
	   "another key (a moved counter) runs the query again");
	ok(cache_through(&q, NULL, &a, &x) == 0 && cache_through(&q, NULL, &a, &x) == 0 &&
	       x.runs == 4,
	   "no key (counters unknown): the query runs every time");
	x.fail = -3;
	ok(cache_through(&q, "k|3", &a, &x) == -3 && x.runs == 5,
	   "a failed fill answers its error");
	x.fail = 0;
	ok(cache_through(&q, "k|3", &a, &x) == 0 && x.runs == 6,
	   "and keeps nothing: the next ask runs again");
	cache_put(cache_of(&q), "k|4", "\xff", 1);
	ok(cache_through(&q, "k|4", &a, &x) == 0 && x.runs == 7 && x.got == 8,
	   "a kept value its use refuses is filled again");
	arena_free(&a);
}

int
main(void)
{
	test_arena();
	test_buf();
	test_config();
	test_strings();
	test_cache();
	test_cache_through();
	return tap_done();
}
