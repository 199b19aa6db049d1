/* A bounded LRU of byte strings shared by a process's worker threads. It never decides
 * whether a value is still true: callers put the database's change counters into the key
 * (see sql/005_generations.sql), so an entry of older counters is never found again and
 * simply ages out. Values are copied in and out: a caller's copy lives in its own arena and
 * stays valid whatever another thread evicts. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

#define CACHE_BUCKETS 1024
#define CACHE_FILLS   16 /* keys being filled at once (single flight) */

struct cache_entry {
	struct cache_entry *next_hash;
	struct cache_entry *prev, *next; /* LRU list, most recent at head */
	uint64_t hash;
	size_t key_len, val_len;
	char data[]; /* key bytes, then value bytes */
};

struct cache {
	pthread_mutex_t lock;
	struct cache_entry *buckets[CACHE_BUCKETS];
	struct cache_entry *head, *tail;
	size_t count, bytes, max_entries, max_bytes;
	unsigned long long hits, misses;
	char *filling[CACHE_FILLS]; /* claimed keys (cache_claim), NULL when free */
	pthread_cond_t filled;
};

static uint64_t
cache_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

struct cache *
cache_new(size_t max_entries, size_t max_bytes)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	if (pthread_cond_init(&c->filled, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	c->max_entries = max_entries ? max_entries : 1;
	c->max_bytes = max_bytes;
	return c;
}

static void
lru_unlink(struct cache *c, struct cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push_front(struct cache *c, struct cache_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static struct cache_entry **
cache_slot(struct cache *c, const char *key, size_t key_len, uint64_t h)
{
	struct cache_entry **p = &c->buckets[h % CACHE_BUCKETS];
	while (*p && !((*p)->hash == h && (*p)->key_len == key_len &&
		       memcmp((*p)->data, key, key_len) == 0))
		p = &(*p)->next_hash;
	return p;
}

static void
cache_drop(struct cache *c, struct cache_entry *e)
{
	struct cache_entry **p = cache_slot(c, e->data, e->key_len, e->hash);
	if (*p == e)
		*p = e->next_hash;
	lru_unlink(c, e);
	c->count--;
	c->bytes -= e->key_len + e->val_len;
	free(e);
}

void
cache_free(struct cache *c)
{
	if (!c)
		return;
	while (c->head)
		cache_drop(c, c->head);
	for (int i = 0; i < CACHE_FILLS; i++)
		free(c->filling[i]);
	pthread_cond_destroy(&c->filled);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int
cache_get(struct cache *c, const char *key, struct arena *a, void **val, size_t *len)
{
	if (!c)
		return CORE_ERANGE;
	size_t key_len = strlen(key);
	uint64_t h = cache_hash(key, key_len);
	int rc = CORE_ERANGE;
	pthread_mutex_lock(&c->lock);
	struct cache_entry *e = *cache_slot(c, key, key_len, h);
	if (e) {
		/* One spare NUL byte so a value of strings can be read in place. */
		char *copy = arena_alloc(a, e->val_len + 1);
		if (copy) {
			memcpy(copy, e->data + key_len, e->val_len);
			*val = copy;
			*len = e->val_len;
			lru_unlink(c, e);
			lru_push_front(c, e);
			rc = CORE_OK;
		} else {
			rc = CORE_ENOMEM;
		}
	}
	if (rc == CORE_OK)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
cache_put(struct cache *c, const char *key, const void *val, size_t len)
{
	if (!c)
		return CORE_ERANGE;
	size_t key_len = strlen(key);
	if (c->max_bytes && key_len + len > c->max_bytes)
		return CORE_ERANGE; /* larger than the whole cache: not kept */
	struct cache_entry *e = malloc(sizeof(*e) + key_len + len);
	if (!e)
		return CORE_ENOMEM;
	memset(e, 0, sizeof(*e));
	e->hash = cache_hash(key, key_len);
	e->key_len = key_len;
	e->val_len = len;
	memcpy(e->data, key, key_len);
	if (len)
		memcpy(e->data + key_len, val, len);
	pthread_mutex_lock(&c->lock);
	struct cache_entry *old = *cache_slot(c, key, key_len, e->hash);
	if (old)
		cache_drop(c, old);
	while (c->tail && (c->count >= c->max_entries ||
			   (c->max_bytes && c->bytes + key_len + len > c->max_bytes)))
		cache_drop(c, c->tail);
	struct cache_entry **slot = &c->buckets[e->hash % CACHE_BUCKETS];
	e->next_hash = *slot;
	*slot = e;
	lru_push_front(c, e);
	c->count++;
	c->bytes += key_len + len;
	pthread_mutex_unlock(&c->lock);
	return CORE_OK;
}

static int
fill_slot(struct cache *c, const char *key)
{
	for (int i = 0; i < CACHE_FILLS; i++)
		if (c->filling[i] && strcmp(c->filling[i], key) == 0)
			return i;
	return -1;
}

/* CLOCK_REALTIME ms from now, for pthread_cond_timedwait. */
struct timespec
deadline_ms(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int
cache_claim(struct cache *c, const char *key, long wait_ms)
{
	if (!c)
		return CORE_ENOMEM;
	int rc = CORE_ENOMEM;
	pthread_mutex_lock(&c->lock);
	if (fill_slot(c, key) >= 0) {
		/* Another worker is reading the same value: wait for it rather than ask the
		 * database the same question at the same time. */
		struct timespec until = deadline_ms(wait_ms);
		int w = 0;
		while (fill_slot(c, key) >= 0 && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&c->filled, &c->lock, &until);
		rc = CORE_ERANGE;
	} else {
		for (int i = 0; i < CACHE_FILLS; i++) {
			if (!c->filling[i]) {
				c->filling[i] = strdup(key);
				rc = c->filling[i] ? CORE_OK : CORE_ENOMEM;
				break;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
cache_release(struct cache *c, const char *key)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	int i = fill_slot(c, key);
	if (i >= 0) {
		free(c->filling[i]);
		c->filling[i] = NULL;
		pthread_cond_broadcast(&c->filled);
	}
	pthread_mutex_unlock(&c->lock);
}

void
cache_stats(struct cache *c, size_t *entries, size_t *bytes, unsigned long long *hits,
	    unsigned long long *misses)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (entries)
		*entries = c->count;
	if (bytes)
		*bytes = c->bytes;
	if (hits)
		*hits = c->hits;
	if (misses)
		*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}

/* ---- pack: flat values of integers and NUL-terminated strings ---- */

int
pack_i64(struct buf *b, long long v)
{
	return buf_append(b, &v, sizeof(v));
}

int
pack_str(struct buf *b, const char *s)
{
	/* A leading byte tells NULL (0) from a string (1), which is followed by its NUL. */
	if (!s)
		return buf_putc(b, 0);
	buf_putc(b, 1);
	return buf_append(b, s, strlen(s) + 1);
}

long long
unpack_i64(struct unpack *u)
{
	long long v = 0;
	if (u->bad || u->left < sizeof(v)) {
		u->bad = 1;
		return 0;
	}
	memcpy(&v, u->p, sizeof(v));
	u->p += sizeof(v);
	u->left -= sizeof(v);
	return v;
}

const char *
unpack_str(struct unpack *u)
{
	if (u->bad || u->left < 1) {
		u->bad = 1;
		return NULL;
	}
	char tag = *u->p++;
	u->left--;
	if (tag == 0)
		return NULL;
	const char *s = u->p;
	size_t n = strnlen(s, u->left);
	if (tag != 1 || n == u->left) {
		u->bad = 1;
		return NULL;
	}
	u->p += n + 1;
	u->left -= n + 1;
	return s;
}

/* ---- read-through queries (core.h) ---- */

/* Every cache a query made, freed together at exit. */
static struct cache *made[32];
static size_t nmade;
static pthread_mutex_t made_lock = PTHREAD_MUTEX_INITIALIZER;

static void
made_free(void)
{
	pthread_mutex_lock(&made_lock);
	for (size_t i = 0; i < nmade; i++)
		cache_free(made[i]);
	nmade = 0;
	pthread_mutex_unlock(&made_lock);
}

struct cache *
cache_of(struct cache_query *q)
{
	pthread_mutex_lock(&made_lock);
	if (!q->cache && nmade < sizeof(made) / sizeof(made[0])) {
		q->cache = cache_new(q->max_entries, q->max_bytes);
		if (q->cache) {
			if (nmade == 0)
				atexit(made_free);
			made[nmade++] = q->cache;
		}
	}
	struct cache *c = q->cache;
	pthread_mutex_unlock(&made_lock);
	return c;
}

int
cache_through(struct cache_query *q, const char *key, struct arena *a, void *arg)
{
	struct cache *c = key ? cache_of(q) : NULL;
	void *val;
	size_t len;
	if (!c)
		return q->fill(arg, NULL);
	if (cache_get(c, key, a, &val, &len) == CORE_OK && q->use(arg, a, val, len) == 0)
		return 0;
	int claim = q->claim_ms > 0 ? cache_claim(c, key, q->claim_ms) : CORE_ENOMEM;
	if (claim == CORE_ERANGE && cache_get(c, key, a, &val, &len) == CORE_OK &&
	    q->use(arg, a, val, len) == 0)
		return 0;
	struct buf b;
	buf_init(&b);
	int rc = q->fill(arg, &b);
	if (rc == 0 && !b.failed)
		cache_put(c, key, b.data, b.len);
	buf_free(&b);
	if (claim == CORE_OK)
		cache_release(c, key);
	return rc;
}
