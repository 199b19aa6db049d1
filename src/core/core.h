/* core: per-request arena, growable buffer, logging, INI config. Depends on nothing. */
#ifndef DCGATE_CORE_H
#define DCGATE_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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
	size_t total; /* bytes handed out, for limits and tests */
};

void arena_init(struct arena *a, size_t block_size);
void *arena_alloc(struct arena *a, size_t n); /* zeroed; NULL only when malloc fails */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs fn(ptr) at arena_reset/arena_free time, newest first. */
int arena_defer(struct arena *a, void (*fn)(void *), void *ptr);
void arena_reset(struct arena *a); /* runs defers, keeps the first block for reuse */
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
