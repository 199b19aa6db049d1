/* libFuzzer harness: outbound.deny/allow lists through cidr_parse_list, then the policy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "outbound/outbound.h"

/* Every entry: a known family, a prefix in range, no bits set past the prefix, and the
 * network address inside its own range. */
static void
check_entry(const struct cidr *c)
{
	int bits = c->family == AF_INET ? 32 : c->family == AF_INET6 ? 128 : -1;
	if (bits < 0 || c->prefix < 0 || c->prefix > bits)
		__builtin_trap();
	for (int i = c->prefix; i < bits; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			__builtin_trap();
	for (int i = bits / 8; i < 16; i++)
		if (c->addr[i])
			__builtin_trap();
	if (!cidr_contains(c, c->family, c->addr))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct cidr *list = NULL;
	size_t n = 0;
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cidr_parse_list(s, &list, &n) == 0) {
		if ((n == 0) != (list == NULL))
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			check_entry(&list[i]);
		/* A policy denying the list, allowing nothing: every entry's address is denied. */
		struct addr_policy p = {.deny = list, .ndeny = n};
		for (size_t i = 0; i < n; i++) {
			struct sockaddr_storage ss = {0};
			ss.ss_family = (sa_family_t)list[i].family;
			if (list[i].family == AF_INET)
				memcpy(&((struct sockaddr_in *)&ss)->sin_addr, list[i].addr, 4);
			else
				memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, list[i].addr, 16);
			if (addr_policy_allows(&p, (struct sockaddr *)&ss))
				__builtin_trap();
		}
	} else if (list || n) {
		__builtin_trap();
	}
	free(list);
	free(s);
	return 0;
}
