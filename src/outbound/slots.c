/* Outbound limits that queue instead of refusing: a process-wide number of calls in flight
 * (outbound.concurrency) and a number per connector (its own cap, else
 * outbound.connector_concurrency), so one slow data source cannot take the capacity of the
 * others. A caller past a limit waits up to outbound.queue_timeout_ms for a slot; only then
 * is it refused, with the limit named and a time to retry after. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "outbound.h"

#define SLOT_BUCKETS 1024

struct slot_conn {
	long long id;
	long inflight;
	struct slot_conn *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	long inflight;
	long waiting;
	struct slot_conn *buckets[SLOT_BUCKETS];
	struct slot_conn *spare; /* entries no connector uses now, kept for reuse */
} sl = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .freed = PTHREAD_COND_INITIALIZER,
};

static struct slot_conn **
slot_find(long long id)
{
	struct slot_conn **p = &sl.buckets[(unsigned long long)id % SLOT_BUCKETS];
	while (*p && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

static struct slot_conn *
slot_conn_get(long long id)
{
	struct slot_conn **p = slot_find(id);
	if (*p)
		return *p;
	struct slot_conn *e = sl.spare;
	if (e)
		sl.spare = e->next;
	else if (!(e = calloc(1, sizeof(*e))))
		return NULL;
	e->id = id;
	e->inflight = 0;
	e->next = NULL;
	*p = e;
	return e;
}

long
outbound_cap_of(const struct outbound_config *oc, long connector_cap)
{
	return connector_cap > 0 ? connector_cap : oc->connector_concurrency;
}

int
outbound_slot_take(const struct outbound_config *oc, long long connector_id, long connector_cap,
		   struct outbound_slot *slot)
{
	long cap = outbound_cap_of(oc, connector_cap);
	struct timespec until = deadline_ms(oc->queue_timeout_ms);
	memset(slot, 0, sizeof(*slot));
	pthread_mutex_lock(&sl.lock);
	for (;;) {
		struct slot_conn *e = connector_id > 0 ? slot_conn_get(connector_id) : NULL;
		int conn_full = e && cap > 0 && e->inflight >= cap;
		int all_full = sl.inflight >= oc->concurrency;
		if (!conn_full && !all_full) {
			sl.inflight++;
			if (e)
				e->inflight++;
			slot->held = 1;
			slot->connector_id = connector_id;
			pthread_mutex_unlock(&sl.lock);
			return OUT_OK;
		}
		sl.waiting++;
		int rc = pthread_cond_timedwait(&sl.freed, &sl.lock, &until);
		sl.waiting--;
		if (rc == ETIMEDOUT) {
			/* Still full at the deadline: say which limit. */
			e = connector_id > 0 ? *slot_find(connector_id) : NULL;
			slot->limit = e && cap > 0 && e->inflight >= cap ? cap : oc->concurrency;
			slot->per_connector = e && cap > 0 && e->inflight >= cap;
			pthread_mutex_unlock(&sl.lock);
			return OUT_EBUSY;
		}
	}
}

void
outbound_slot_give(struct outbound_slot *slot)
{
	if (!slot->held)
		return;
	pthread_mutex_lock(&sl.lock);
	sl.inflight--;
	if (slot->connector_id > 0) {
		struct slot_conn **p = slot_find(slot->connector_id);
		struct slot_conn *e = *p;
		if (e && --e->inflight <= 0) {
			*p = e->next;
			e->next = sl.spare;
			sl.spare = e;
		}
	}
	if (sl.waiting)
		pthread_cond_broadcast(&sl.freed);
	pthread_mutex_unlock(&sl.lock);
	slot->held = 0;
}

const char *
outbound_busy_message(struct arena *a, const struct outbound_slot *slot)
{
	if (slot->per_connector)
		return arena_printf(
		    a,
		    "This Data Connector already has %ld calls in flight, its limit "
		    "(Max concurrent calls); try again in a moment.",
		    slot->limit);
	return arena_printf(a,
			    "The server is busy with other outbound requests: all %ld outbound "
			    "slots are in use (outbound.concurrency); try again in a moment.",
			    slot->limit);
}
