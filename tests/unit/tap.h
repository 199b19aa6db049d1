/* Minimal TAP producer for unit tests: ok/not ok lines, a plan at the end, exit status. */
#ifndef DCGATE_TAP_H
#define DCGATE_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...)                                                                              \
	do {                                                                                       \
		int tap_c_ = !!(cond);                                                             \
		tap_count++;                                                                       \
		if (!tap_c_)                                                                       \
			tap_failed++;                                                              \
		printf("%s %d - ", tap_c_ ? "ok" : "not ok", tap_count);                           \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!tap_c_)                                                                       \
			printf("#   failed at %s:%d\n", __FILE__, __LINE__);                       \
	} while (0)

#define is_str(got, want, ...)                                                                     \
	do {                                                                                       \
		const char *tap_g_ = (got), *tap_w_ = (want);                                      \
		int tap_e_ = (tap_g_ && tap_w_) ? strcmp(tap_g_, tap_w_) == 0 : tap_g_ == tap_w_;  \
		ok(tap_e_, __VA_ARGS__);                                                           \
		if (!tap_e_)                                                                       \
			printf("#   got:  '%s'\n#   want: '%s'\n", tap_g_ ? tap_g_ : "(null)",     \
			       tap_w_ ? tap_w_ : "(null)");                                        \
	} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
