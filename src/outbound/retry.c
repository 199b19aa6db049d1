/* What the connector runtime decides from an answer: whether a status is one of an
 * endpoint's error statuses ("400-599, 302"), whether a failed attempt is worth another
 * (connect errors, 429, 502, 503, 504), how long to wait (Retry-After, else exponential
 * backoff with jitter), and the pages to come: the "next" target of an RFC 8288 Link header
 * and a URL with one query parameter set. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../tmpl/tmpl.h"
#include "outbound.h"

/* Walks list calling each range; -1 on a bad entry. */
static int
status_ranges(const char *list, long status, int *hit)
{
	const char *p = list ? list : "";
	*hit = 0;
	while (*p) {
		p += strspn(p, " ,\t");
		if (!*p)
			break;
		char *end;
		if (!isdigit((unsigned char)*p))
			return -1;
		long lo = strtol(p, &end, 10), hi = lo;
		p = end + strspn(end, " \t");
		if (*p == '-') {
			p += 1 + strspn(p + 1, " \t");
			if (!isdigit((unsigned char)*p))
				return -1;
			hi = strtol(p, &end, 10);
			p = end + strspn(end, " \t");
		}
		if (lo < 100 || hi > 599 || lo > hi || (*p && *p != ','))
			return -1;
		if (status >= lo && status <= hi)
			*hit = 1;
	}
	return 0;
}

int
outbound_status_list_valid(const char *list)
{
	int hit;
	return status_ranges(list, 0, &hit) == 0;
}

int
outbound_status_listed(const char *list, long status)
{
	int hit;
	return status_ranges(list, status, &hit) == 0 && hit;
}

int
outbound_retryable(const struct outbound_response *r)
{
	if (r->err == OUT_EREFUSED || r->err == OUT_ECONNECT_TIMEOUT)
		return 1;
	if (r->err != OUT_OK)
		return 0;
	return r->status == 429 || r->status == 502 || r->status == 503 || r->status == 504;
}

long
outbound_retry_after_ms(const char *value, time_t now)
{
	if (!value)
		return -1;
	value += strspn(value, " \t");
	if (isdigit((unsigned char)*value)) {
		char *end;
		long s = strtol(value, &end, 10);
		if (*(end + strspn(end, " \t")) || s < 0 || s > 86400)
			return -1;
		return s * 1000;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	time_t at = timegm(&tm);
	return at <= now ? 0 : (long)(at - now) * 1000;
}

long
outbound_backoff_ms(long base, int attempt, unsigned int rnd)
{
	if (base <= 0)
		return 0;
	long w = base;
	for (int i = 0; i < attempt && w < 60000; i++)
		w *= 2;
	if (w > 60000)
		w = 60000;
	/* Jitter: between half and all of the exponential wait. */
	return w / 2 + (long)(rnd % (unsigned int)(w / 2 + 1));
}

const char *
outbound_link_next(struct arena *a, const char *link)
{
	const char *p = link;
	while (p && *p) {
		const char *lt = strchr(p, '<');
		if (!lt)
			return NULL;
		const char *gt = strchr(lt, '>');
		if (!gt)
			return NULL;
		/* Parameters run to the next comma outside quotes. */
		const char *q = gt + 1;
		int quoted = 0, next = 0;
		while (*q && (quoted || *q != ',')) {
			if (*q == '"')
				quoted = !quoted;
			if (!quoted && !strncasecmp(q, "rel", 3)) {
				const char *v = q + 3;
				v += strspn(v, " \t");
				if (*v == '=') {
					v++;
					v += strspn(v, " \t");
					int qv = *v == '"';
					v += qv;
					/* rel may list several types, separated by spaces. */
					while (*v && *v != '"' && *v != ';' && *v != ',') {
						size_t n = strcspn(v, " \t\";,");
						if (n == 4 && !strncasecmp(v, "next", 4))
							next = 1;
						v += n;
						v += strspn(v, " \t");
						if (!qv)
							break;
					}
				}
			}
			q++;
		}
		if (next)
			return arena_strndup(a, lt + 1, (size_t)(gt - lt - 1));
		p = *q ? q + 1 : q;
	}
	return NULL;
}

const char *
outbound_url_set_param(struct arena *a, const char *url, const char *name, const char *value)
{
	struct buf b, k;
	buf_init(&b);
	buf_init(&k);
	tmpl_escape_append(&k, TMPL_ESC_URL, name, strlen(name));
	size_t hash = strcspn(url, "#");
	const char *q = memchr(url, '?', hash);
	size_t base = q ? (size_t)(q - url) : hash;
	buf_append(&b, url, base);
	char sep = '?';
	if (q) {
		const char *p = q + 1, *end = url + hash;
		while (p < end) {
			size_t n = strcspn(p, "&");
			if ((size_t)(end - p) < n)
				n = (size_t)(end - p);
			size_t kn = strcspn(p, "=&");
			if (kn > n)
				kn = n;
			int same = k.data && kn == k.len && !memcmp(p, k.data, kn);
			if (n && !same) {
				buf_putc(&b, sep);
				sep = '&';
				buf_append(&b, p, n);
			}
			p += n + (p + n < end);
		}
	}
	buf_putc(&b, sep);
	buf_append(&b, k.data ? k.data : "", k.len);
	buf_putc(&b, '=');
	tmpl_escape_append(&b, TMPL_ESC_URL, value, strlen(value));
	buf_puts(&b, url + hash);
	const char *out = b.failed || k.failed ? NULL : arena_strdup(a, b.data);
	buf_free(&b);
	buf_free(&k);
	return out;
}
