/* The sign-in rate limit: a token bucket per client address, in this process's memory, so
 * that a flood of POST /login is refused before any password is hashed. Each process
 * counts on its own (with N processes behind a balancer an address gets up to N times the
 * rate); the lockout and slow-down of session.c, kept in the database, hold across all. */
#include <pthread.h>
#include <string.h>

#include "auth.h"

#define RATE_SLOTS  4096 /* addresses remembered; the least recently seen one makes room */
#define RATE_PROBES 16
#define RATE_ADDR   64

struct rate_slot {
	char addr[RATE_ADDR];
	double tokens;
	int64_t at_us; /* last refill; 0: free */
};

static struct rate_slot rate_slots[RATE_SLOTS];
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t
rate_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of addr, or a free or least recently seen one made its own (a full bucket). */
static struct rate_slot *
rate_slot_of(const char *addr, double capacity, int64_t now)
{
	uint32_t h = rate_hash(addr);
	struct rate_slot *victim = NULL;
	for (int i = 0; i < RATE_PROBES; i++) {
		struct rate_slot *s = &rate_slots[(h + (uint32_t)i) % RATE_SLOTS];
		if (s->at_us && strcmp(s->addr, addr) == 0)
			return s;
		if (!victim || s->at_us < victim->at_us)
			victim = s;
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->addr, addr, strnlen(addr, RATE_ADDR - 1));
	victim->tokens = capacity;
	victim->at_us = now;
	return victim;
}

int
auth_login_rate_take(const struct auth_config *ac, const char *remote_addr, long *wait)
{
	*wait = 0;
	if (ac->login_rate <= 0)
		return 1;
	char addr[RATE_ADDR] = "";
	if (remote_addr)
		memcpy(addr, remote_addr, strnlen(remote_addr, RATE_ADDR - 1));
	double capacity = (double)ac->login_rate, per_us = capacity / 60e6;
	int64_t now = time_now_us();
	int ok;
	pthread_mutex_lock(&rate_lock);
	struct rate_slot *s = rate_slot_of(addr, capacity, now);
	if (now > s->at_us)
		s->tokens += (double)(now - s->at_us) * per_us;
	if (s->tokens > capacity)
		s->tokens = capacity;
	s->at_us = now > 0 ? now : 1;
	ok = s->tokens >= 1.0;
	if (ok)
		s->tokens -= 1.0;
	else
		*wait = (long)((1.0 - s->tokens) / per_us / 1e6) + 1;
	pthread_mutex_unlock(&rate_lock);
	return ok;
}
