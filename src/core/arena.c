/* Bump-pointer arena: each request allocates freely and frees everything in one call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena_defer {
	struct arena_defer *next;
	void (*fn)(void *);
	void *ptr;
};

void
arena_init(struct arena *a, size_t block_size)
{
	memset(a, 0, sizeof(*a));
	a->block_size = block_size ? block_size : 64 * 1024;
}

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	struct arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > a->block_size ? n : a->block_size;
		struct arena_block *nb = NULL;
		if (size == a->block_size && a->spare) {
			nb = a->spare;
			a->spare = nb->next;
			a->nspare--;
			nb->next = NULL;
			nb->used = 0;
		} else {
			nb = block_new(size);
		}
		if (!nb)
			return NULL;
		/* A large one-off block goes behind the current one so its free space stays usable.
		 */
		if (b && n > a->block_size) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			a->head = nb;
		}
		b = nb;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int
arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
	struct arena_defer *d = arena_alloc(a, sizeof(*d));
	if (!d)
		return CORE_ENOMEM;
	d->fn = fn;
	d->ptr = ptr;
	d->next = a->defers;
	a->defers = d;
	return CORE_OK;
}

static void
run_defers(struct arena *a)
{
	/* Defer records live in the arena itself, so walk before freeing blocks. */
	struct arena_defer *d = a->defers;
	a->defers = NULL;
	while (d) {
		d->fn(d->ptr);
		d = d->next;
	}
}

void
arena_reset(struct arena *a)
{
	run_defers(a);
	/* Blocks of the usual size are kept (up to ARENA_SPARE_MAX) for the next request: freeing
	 * them would hand 64 KB chunks back to malloc, which consolidates its free lists on each
	 * one; large one-off blocks go back. */
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		if (b->size == a->block_size && a->nspare < ARENA_SPARE_MAX) {
			b->used = 0;
			b->next = a->spare;
			a->spare = b;
			a->nspare++;
		} else {
			free(b);
		}
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

void
arena_free(struct arena *a)
{
	run_defers(a);
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	b = a->spare;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->spare = NULL;
	a->nspare = 0;
	a->head = NULL;
	a->total = 0;
}
