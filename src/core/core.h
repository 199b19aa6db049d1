/* core: per-request arena, growable buffer, logging, INI config. Depends on nothing. */
#ifndef DCGATE_CORE_H
#define DCGATE_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "names.h"

enum core_err {
	CORE_OK = 0,
	CORE_ENOMEM = -1,
	CORE_EIO = -2,
	CORE_ESYNTAX = -3,
	CORE_ERANGE = -4,
};

/* ---- arena: bump allocator, freed in one call; defer list for foreign resources ---- */
struct arena_block;
struct arena_defer;
struct arena {
	struct arena_block *head;
	struct arena_defer *defers;
	size_t block_size;
	size_t total;		   /* bytes handed out, for limits and tests */
	struct arena_block *spare; /* blocks of block_size kept by arena_reset for reuse */
	size_t nspare;
};

void arena_init(struct arena *a, size_t block_size);
void *arena_alloc(struct arena *a, size_t n); /* zeroed; NULL only when malloc fails */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs fn(ptr) at arena_reset/arena_free time, newest first. */
int arena_defer(struct arena *a, void (*fn)(void *), void *ptr);
/* Runs defers; keeps up to ARENA_SPARE_MAX blocks of block_size for the next request (a
 * worker's arena then stops going back to malloc once it has seen its largest page). */
void arena_reset(struct arena *a);
#define ARENA_SPARE_MAX 16
void arena_free(struct arena *a);

/* ---- buf: growable byte string on malloc, always NUL-terminated ---- */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	int failed; /* sticky: an allocation failed; contents are incomplete */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Registers buf_free on the arena so a request-scoped buffer needs no explicit free; b itself
 * must outlive the arena's reset (allocate it in the arena: buf_new_arena). */
int buf_init_arena(struct buf *b, struct arena *a);
/* A buffer allocated in the arena and freed with it; NULL when memory ran out. */
struct buf *buf_new_arena(struct arena *a);

/* ---- cache: bounded LRU of byte strings shared by threads (mutex inside) ---- */
/* Keys are strings that name everything a value depends on (the database's change counters
 * included), so a found value is current by construction. */
struct cache;
/* At most max_entries values and max_bytes of keys and values (0: no byte bound). */
struct cache *cache_new(size_t max_entries, size_t max_bytes);
void cache_free(struct cache *c);
/* Copies the value under key into the arena (with one NUL byte after it); CORE_ERANGE when
 * there is none (or c is NULL). */
int cache_get(struct cache *c, const char *key, struct arena *a, void **val, size_t *len);
/* Stores a copy of the value, replacing any under the same key, evicting the least recently
 * used past the bounds. */
int cache_put(struct cache *c, const char *key, const void *val, size_t len);
/* Single flight for a missing value. CORE_OK: the caller fills key and then calls
 * cache_release (whether or not it could). CORE_ERANGE: another thread was filling it and
 * has finished (or wait_ms passed): look again, and fill without a claim if still missing.
 * CORE_ENOMEM: no claim could be made: fill without one. */
int cache_claim(struct cache *c, const char *key, long wait_ms);
void cache_release(struct cache *c, const char *key);
void cache_stats(struct cache *c, size_t *entries, size_t *bytes, unsigned long long *hits,
		 unsigned long long *misses);

/* One read-through cached query: the one way a layer keeps the answers of a query. Its key
 * (made by the query's own key builder) names everything the answer depends on, the
 * database's change counters included, so a found answer is current by construction. */
struct cache_query {
	size_t max_entries, max_bytes; /* the cache's bounds (cache_new) */
	long claim_ms; /* > 0: one thread fills a missing key, the others wait this long */
	/* Runs the query into arg's outputs; when b is not NULL also packs them into b, which
	 * is kept under the key. 0, or an error code that is returned as it is. */
	int (*fill)(void *arg, struct buf *b);
	/* Unpacks a kept value into arg's outputs: 0 when it could (else the query runs). */
	int (*use)(void *arg, struct arena *a, const void *val, size_t len);
	struct cache *cache; /* made on first use, freed at exit */
};
/* The answer of q for key into arg: kept, else filled and kept. A NULL key (counters
 * unknown) runs the query without the cache. */
int cache_through(struct cache_query *q, const char *key, struct arena *a, void *arg);
/* q's cache, made on first use (NULL when it could not be). */
struct cache *cache_of(struct cache_query *q);

/* pack/unpack: flat cache values of integers and strings (NULL kept), read back in order.
 * unpack_str points into the unpacked bytes; u->bad is sticky on a short or broken value. */
struct unpack {
	const char *p;
	size_t left;
	int bad;
};
/* CLOCK_REALTIME ms from now, for pthread_cond_timedwait. */
struct timespec deadline_ms(long ms);
int pack_i64(struct buf *b, long long v);
int pack_str(struct buf *b, const char *s);
long long unpack_i64(struct unpack *u);
const char *unpack_str(struct unpack *u);

/* ---- log: one line per call on stderr, thread safe ---- */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERR };
void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* ---- config: INI file, [section] key = value; looked up as "section.key" ---- */
struct config_entry {
	char *key; /* "section.key" */
	char *value;
};
struct config {
	struct config_entry *entries;
	size_t count;
	char *path;
};

/* Parses text; on a syntax error returns CORE_ESYNTAX with the line number in *err_line. */
int config_parse(struct config *cfg, const char *text, size_t len, int *err_line);
int config_load(struct config *cfg, const char *path, int *err_line);
void config_free(struct config *cfg);
const char *config_get(const struct config *cfg, const char *key, const char *def);
long config_get_long(const struct config *cfg, const char *key, long def);
int config_get_bool(const struct config *cfg, const char *key, int def);

/* ---- small helpers ---- */
/* strtol with full-string and range checks; returns 0 on success. */
int str_to_long(const char *s, long min, long max, long *out);
char *str_trim(char *s); /* in place, returns s advanced past leading space */
int str_eq_ci(const char *a, const char *b);
int64_t time_now_us(void);

#endif
