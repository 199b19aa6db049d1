/* A connector's rate limit (requests per second) as a token bucket of one token in this
 * process, the fallback of the bucket all processes share in the database (src/db/rate.c,
 * used by src/connector/run.c) when the database cannot say: each call reserves the next free
 * instant (at least 1/rate after the one before) and waits for it outside the lock, so callers go
 * out in the order they came, evenly spaced. A caller whose instant lies past
 * outbound.queue_timeout_ms reserves nothing and is refused (OUT_EBUSY with a time to retry after),
 * as a full slot queue is. The bucket also holds when this process last warned that it fell
 * back (outbound_rate_warn_due), so a busy connector does not warn on every call. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outbound.h"

#define RATE_BUCKETS 256

struct rate_conn {
	long long id;
	double next_ms;	  /* CLOCK_MONOTONIC ms of the next free instant */
	double warned_ms; /* CLOCK_MONOTONIC ms of the last fallback warning */
	int warned;	  /* a warning was given */
	long held;	  /* warnings held back since */
	struct rate_conn *next;
};

static struct {
	pthread_mutex_t lock;
	struct rate_conn *buckets[RATE_BUCKETS];
} rl = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double
rate_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The bucket of connector_id, made on first use (NULL without memory); under rl.lock. */
static struct rate_conn *
rate_find(long long connector_id)
{
	struct rate_conn **p = &rl.buckets[(unsigned long long)connector_id % RATE_BUCKETS];
	while (*p && (*p)->id != connector_id)
		p = &(*p)->next;
	if (!*p && (*p = calloc(1, sizeof(**p))) != NULL)
		(*p)->id = connector_id;
	return *p;
}

int
outbound_rate_warn_due(long long connector_id, long every_ms, long *held)
{
	int due = 0;
	*held = 0;
	pthread_mutex_lock(&rl.lock);
	struct rate_conn *b = rate_find(connector_id);
	double now = rate_now_ms();
	if (!b) {
		due = 1;
	} else if (!b->warned || now - b->warned_ms >= (double)every_ms) {
		due = 1;
		*held = b->held;
		b->held = 0;
		b->warned = 1;
		b->warned_ms = now;
	} else {
		b->held++;
	}
	pthread_mutex_unlock(&rl.lock);
	return due;
}

int
outbound_rate_take(const struct outbound_config *oc, long long connector_id, double rate,
		   long *retry_after)
{
	*retry_after = 0;
	if (rate <= 0 || connector_id <= 0)
		return OUT_OK;
	double gap = 1000.0 / rate, now, at;
	pthread_mutex_lock(&rl.lock);
	struct rate_conn *b = rate_find(connector_id);
	if (!b) {
		pthread_mutex_unlock(&rl.lock);
		return OUT_OK;
	}
	now = rate_now_ms();
	at = b->next_ms > now ? b->next_ms : now;
	if (at - now > (double)oc->queue_timeout_ms) {
		pthread_mutex_unlock(&rl.lock);
		*retry_after = (long)((at - now) / 1000.0) + 1;
		return OUT_EBUSY;
	}
	b->next_ms = at + gap;
	pthread_mutex_unlock(&rl.lock);
	double wait = at - now;
	if (wait > 0) {
		long long ns = (long long)(wait * 1e6);
		struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	return OUT_OK;
}
