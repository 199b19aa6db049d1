/* Outbound address policy: CIDR lists from the config, checked against every address a
 * request is about to connect to; and the rest of the [outbound] settings. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "outbound.h"

#define CIDR_MAX_ENTRIES 4096
#define CIDR_TEXT_MAX	 64 /* longest entry: an IPv6 address plus "/128" fits easily */

/* Default outbound.deny: loopback, link-local (cloud metadata 169.254.169.254 included),
 * unspecified, multicast — for IPv4 and IPv6 — the metadata addresses of AWS over IPv6 and
 * of Alibaba Cloud, and the host's own addresses. Their IPv4-mapped and NAT64 forms are
 * checked as IPv4 (addr_policy_allows). */
static const char DEFAULT_DENY[] = "127.0.0.0/8, ::1/128, 169.254.0.0/16, fe80::/10, "
				   "0.0.0.0/8, ::/128, 224.0.0.0/4, ff00::/8, "
				   "fd00:ec2::254/128, 100.100.100.200/32, host";

/* outbound.deny_private = true: the private and shared (carrier-grade NAT) ranges. */
static const char PRIVATE_RANGES[] =
    "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7";

/* The host's own addresses, swapped whole under the lock by addr_policy_reload_host. */
struct addr_hosts {
	pthread_rwlock_t lock;
	struct cidr *list;
	size_t n;
};

static int
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses a decimal prefix of 1-3 digits within 0..max; -1 when it is not one. */
static int
parse_prefix(const char *s, int max)
{
	int v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 3)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Clears the bits of addr past prefix so contains() can compare whole bytes. */
static void
cidr_mask(struct cidr *c)
{
	int len = c->family == AF_INET ? 4 : 16;
	for (int i = 0; i < len; i++) {
		int bits = c->prefix - i * 8;
		if (bits >= 8)
			continue;
		c->addr[i] &= bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
	}
}

/* One entry "addr" or "addr/prefix" (NUL-terminated copy) into c; -1 when malformed. */
static int
cidr_parse_one(char *text, struct cidr *c)
{
	char *slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, text, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
	} else if (inet_pton(AF_INET6, text, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
	} else {
		return -1;
	}
	if (slash) {
		int p = parse_prefix(slash + 1, c->prefix);
		if (p < 0)
			return -1;
		c->prefix = p;
	}
	cidr_mask(c);
	return 0;
}

/* Appends one parsed entry, doubling the array as needed. */
static int
cidr_push(struct cidr **arr, size_t *n, size_t *cap, const struct cidr *c)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct cidr *p = realloc(*arr, ncap * sizeof(*p));
		if (!p)
			return -1;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = *c;
	return 0;
}

int
cidr_parse_list(const char *text, struct cidr **out, size_t *count)
{
	struct cidr *arr = NULL;
	size_t n = 0, cap = 0;
	const char *p = text ? text : "";
	*out = NULL;
	*count = 0;
	while (*p) {
		while (*p && is_sep(*p))
			p++;
		size_t len = 0;
		while (p[len] && !is_sep(p[len]))
			len++;
		if (len == 0)
			break;
		char tok[CIDR_TEXT_MAX];
		struct cidr c;
		if (len >= sizeof(tok) || n >= CIDR_MAX_ENTRIES)
			goto bad;
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (cidr_parse_one(tok, &c) < 0 || cidr_push(&arr, &n, &cap, &c) < 0)
			goto bad;
		p += len;
	}
	*out = arr;
	*count = n;
	return 0;
bad:
	free(arr);
	return -1;
}

int
cidr_contains(const struct cidr *c, int family, const void *addr)
{
	const unsigned char *a = addr;
	if (c->family != family)
		return 0;
	int full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(c->addr, a, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == c->addr[full];
}

static int
list_contains(const struct cidr *list, size_t n, int family, const void *addr)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&list[i], family, addr))
			return 1;
	return 0;
}

/* The IPv4 address inside ::ffff:a.b.c.d (IPv4-mapped) or 64:ff9b::a.b.c.d (the NAT64
 * well-known prefix, RFC 6052), or NULL for any other IPv6 address. */
static const unsigned char *
mapped_v4(const struct in6_addr *a6)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	if (memcmp(a6->s6_addr, mapped, 12) == 0 || memcmp(a6->s6_addr, nat64, 12) == 0)
		return a6->s6_addr + 12;
	return NULL;
}

/* Whether addr is one of the host's own addresses. */
static int
hosts_contain(struct addr_hosts *h, int family, const void *addr)
{
	if (!h)
		return 0;
	pthread_rwlock_rdlock(&h->lock);
	int in = list_contains(h->list, h->n, family, addr);
	pthread_rwlock_unlock(&h->lock);
	return in;
}

/* Denied when any form of the address (IPv6, and IPv4 when mapped or NAT64) is in the deny
 * list or among the host's addresses, and no form is in the allow list. */
int
addr_policy_allows(const struct addr_policy *p, const struct sockaddr *sa)
{
	const void *forms[2] = {NULL, NULL};
	int fams[2] = {0, 0};
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		forms[0] = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		fams[0] = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		forms[0] = a6->s6_addr;
		fams[0] = AF_INET6;
		forms[1] = mapped_v4(a6);
		fams[1] = AF_INET;
	} else {
		return 0;
	}
	if (!p)
		return 1;
	int denied = 0;
	for (int i = 0; i < 2 && forms[i]; i++) {
		if (list_contains(p->allow, p->nallow, fams[i], forms[i]))
			return 1;
		denied |= list_contains(p->deny, p->ndeny, fams[i], forms[i]) ||
			  hosts_contain(p->hosts, fams[i], forms[i]);
	}
	return !denied;
}

/* Blanks every whole-word "host" in text (a writable copy); 1 when there was one. */
static int
take_host_word(char *text)
{
	int found = 0;
	for (char *p = text; *p;) {
		while (*p && is_sep(*p))
			p++;
		size_t len = 0;
		while (p[len] && !is_sep(p[len]))
			len++;
		if (len == 4 && memcmp(p, "host", 4) == 0) {
			memset(p, ' ', 4);
			found = 1;
		}
		p += len;
	}
	return found;
}

/* The addresses of every interface (lo included) as /32 and /128 entries; -1 on failure. */
static int
host_addresses(struct cidr **out, size_t *count)
{
	struct ifaddrs *ifs = NULL;
	struct cidr *arr = NULL;
	size_t n = 0, cap = 0;
	*out = NULL;
	*count = 0;
	if (getifaddrs(&ifs) != 0)
		return -1;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct cidr c;
		memset(&c, 0, sizeof(c));
		if (!i->ifa_addr ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		c.family = i->ifa_addr->sa_family;
		if (c.family == AF_INET) {
			memcpy(c.addr, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
			c.prefix = 32;
		} else {
			memcpy(c.addr, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr,
			       16);
			c.prefix = 128;
		}
		if (cidr_push(&arr, &n, &cap, &c) < 0) {
			free(arr);
			freeifaddrs(ifs);
			return -1;
		}
	}
	freeifaddrs(ifs);
	*out = arr;
	*count = n;
	return 0;
}

int
addr_policy_reload_host(struct addr_policy *p)
{
	struct cidr *list = NULL, *old;
	size_t n = 0;
	if (!p->hosts)
		return 0;
	if (host_addresses(&list, &n) < 0) {
		log_err("outbound: the host's interface addresses cannot be read (getifaddrs)");
		return -1;
	}
	pthread_rwlock_wrlock(&p->hosts->lock);
	old = p->hosts->list;
	p->hosts->list = list;
	p->hosts->n = n;
	pthread_rwlock_unlock(&p->hosts->lock);
	free(old);
	return (int)n;
}

/* Parses list (a copy with "host" taken out) into *out, *count; *host says it was named. */
static int
parse_deny(const char *text, int deny_private, struct cidr **out, size_t *count, int *host)
{
	size_t len = strlen(text);
	char *copy = malloc(len + sizeof(PRIVATE_RANGES) + 2);
	if (!copy)
		return -1;
	memcpy(copy, text, len + 1);
	*host = take_host_word(copy);
	if (deny_private) {
		copy[len] = ',';
		memcpy(copy + len + 1, PRIVATE_RANGES, sizeof(PRIVATE_RANGES));
	}
	int rc = cidr_parse_list(copy, out, count);
	free(copy);
	return rc;
}

int
addr_policy_load(struct addr_policy *p, const struct config *cfg)
{
	int host = 0;
	memset(p, 0, sizeof(*p));
	const char *deny = config_get(cfg, "outbound.deny", DEFAULT_DENY);
	const char *allow = config_get(cfg, "outbound.allow", "");
	const char *dp = config_get(cfg, "outbound.deny_private", NULL);
	int deny_private = dp && *dp ? config_get_bool(cfg, "outbound.deny_private", -1) : 0;
	if (deny_private < 0) {
		log_err("config: outbound.deny_private must be true or false (got \"%s\")", dp);
		return -1;
	}
	if (parse_deny(deny, deny_private, &p->deny, &p->ndeny, &host) < 0) {
		log_err("config: outbound.deny: not a list of addresses/CIDRs: %s", deny);
		return -1;
	}
	if (cidr_parse_list(allow, &p->allow, &p->nallow) < 0) {
		log_err("config: outbound.allow: not a list of addresses/CIDRs: %s", allow);
		addr_policy_free(p);
		return -1;
	}
	if (host) {
		p->hosts = calloc(1, sizeof(*p->hosts));
		if (!p->hosts || pthread_rwlock_init(&p->hosts->lock, NULL) != 0) {
			free(p->hosts);
			p->hosts = NULL;
			addr_policy_free(p);
			return -1;
		}
		if (addr_policy_reload_host(p) < 0) {
			addr_policy_free(p);
			return -1;
		}
	}
	return 0;
}

void
addr_policy_free(struct addr_policy *p)
{
	free(p->deny);
	free(p->allow);
	if (p->hosts) {
		pthread_rwlock_destroy(&p->hosts->lock);
		free(p->hosts->list);
		free(p->hosts);
	}
	memset(p, 0, sizeof(*p));
}

/* Reads key as a number in min..max; absent gives def. -1 (logged) when present but bad. */
static int
conf_long(const struct config *cfg, const char *key, long min, long max, long def, long *out)
{
	const char *s = config_get(cfg, key, NULL);
	*out = def;
	if (!s || !*s)
		return 0;
	if (str_to_long(s, min, max, out) != CORE_OK) {
		log_err("config: %s must be a whole number from %ld to %ld (got \"%s\")", key, min,
			max, s);
		return -1;
	}
	return 0;
}

int
outbound_config_load(struct outbound_config *oc, const struct config *cfg)
{
	long max_response, body, line, steps;
	memset(oc, 0, sizeof(*oc));
	if (conf_long(cfg, "outbound.connect_timeout", 1, 300, 5, &oc->connect_timeout) ||
	    conf_long(cfg, "outbound.timeout", 1, 300, 30, &oc->default_timeout) ||
	    conf_long(cfg, "outbound.max_response", 1024, 1073741824L, 1048576, &max_response) ||
	    conf_long(cfg, "outbound.max_redirects", 0, 50, 5, &oc->max_redirects) ||
	    conf_long(cfg, "outbound.concurrency", 1, 100000, 512, &oc->concurrency) ||
	    conf_long(cfg, "outbound.connector_concurrency", 1, 100000, 256,
		      &oc->connector_concurrency) ||
	    conf_long(cfg, "outbound.queue_timeout_ms", 0, 600000, 5000, &oc->queue_timeout_ms) ||
	    conf_long(cfg, "outbound.max_render_body", 1024, 268435456L, 1048576, &body) ||
	    conf_long(cfg, "outbound.max_render_line", 256, 1048576, 8192, &line) ||
	    conf_long(cfg, "outbound.max_render_steps", 1000, 1000000000L, 1000000, &steps))
		return -1;
	oc->max_response = (size_t)max_response;
	oc->max_render_body = (size_t)body;
	oc->max_render_line = (size_t)line;
	oc->max_render_steps = (unsigned long)steps;
	outbound_render_budget(oc->max_render_body, oc->max_render_line, oc->max_render_steps);
	const char *ca = config_get(cfg, "outbound.ca_bundle", "");
	oc->ca_bundle = *ca ? ca : NULL;
	return addr_policy_load(&oc->policy, cfg);
}

void
outbound_config_free(struct outbound_config *oc)
{
	addr_policy_free(&oc->policy);
	memset(oc, 0, sizeof(*oc));
}
