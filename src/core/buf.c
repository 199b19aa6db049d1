/* Growable, always NUL-terminated byte buffer. Errors are sticky so callers check once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void
buf_free_cb(void *p)
{
	buf_free(p);
}

int
buf_init_arena(struct buf *b, struct arena *a)
{
	buf_init(b);
	return arena_defer(a, buf_free_cb, b);
}

struct buf *
buf_new_arena(struct arena *a)
{
	struct buf *b = arena_alloc(a, sizeof(*b));
	if (!b || buf_init_arena(b, a) != CORE_OK)
		return NULL;
	return b;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t extra)
{
	if (b->failed)
		return CORE_ENOMEM;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return CORE_ENOMEM;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return CORE_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return CORE_ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	return CORE_OK;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) != CORE_OK)
		return CORE_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CORE_OK;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || buf_grow(b, (size_t)n) != CORE_OK)
		return CORE_ENOMEM;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return CORE_OK;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}
