/* Query string, urlencoded form and Cookie header parsing; every limit is checked while parsing. */
#include <string.h>

#include "http.h"

const struct http_limits http_limits_default = {
    .max_body = 1048576,
    .max_fields = 2000,
    .max_field = 262144,
    .max_name = 256,
};

const char *
http_strerror(int err)
{
	switch (err) {
	case HTTP_OK:
		return "ok";
	case HTTP_ENOMEM:
		return "out of memory";
	case HTTP_EBADENC:
		return "malformed request (bad encoding or syntax)";
	case HTTP_ETOOMANY:
		return "too many fields in the request";
	case HTTP_ETOOLONG:
		return "a field in the request is too long";
	case HTTP_ETOOBIG:
		return "the request body is too large";
	case HTTP_EIO:
		return "input/output error";
	default:
		return "unknown error";
	}
}

int
http_err_status(int err)
{
	switch (err) {
	case HTTP_OK:
		return 200;
	case HTTP_EBADENC:
		return 400;
	case HTTP_ETOOMANY:
	case HTTP_ETOOLONG:
	case HTTP_ETOOBIG:
		return 413;
	default:
		return 500;
	}
}

/* Checks one multi-byte sequence starting at p (lead byte c); returns its length or 0.
 * Ranges follow Unicode table 3-7: no overlongs, no surrogates, nothing past U+10FFFF. */
static size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c == 0xE0)
		n = 3, lo = 0xA0;
	else if (c == 0xED)
		n = 3, hi = 0x9F;
	else if (c >= 0xE1 && c <= 0xEF)
		n = 3;
	else if (c == 0xF0)
		n = 4, lo = 0x90;
	else if (c == 0xF4)
		n = 4, hi = 0x8F;
	else if (c >= 0xF1 && c <= 0xF3)
		n = 4;
	else
		return 0;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

int
http_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = utf8_seq_len(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..len) into dst, which has room for len + 1 bytes; -1 on a bad '%' escape. */
static int
pct_decode(char *dst, const char *s, size_t len, int plus_is_space, size_t *out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			int hi = hex_val((unsigned char)s[i + 1]);
			int lo = hex_val((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			dst[o++] = ' ';
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	*out_len = o;
	return 0;
}

char *
http_url_decode(struct arena *a, const char *s, size_t len, int plus_is_space, size_t *out_len)
{
	size_t n = 0;
	if (out_len)
		*out_len = 0;
	if (!a || (!s && len))
		return NULL;
	char *d = arena_alloc(a, len + 1);
	if (!d || pct_decode(d, s ? s : "", len, plus_is_space, &n) != 0)
		return NULL;
	if (out_len)
		*out_len = n;
	return d;
}

/* Decodes one name or value of at most max bytes; the result must be valid UTF-8. */
static int
decode_field(struct arena *a, const char *s, size_t len, size_t max, char **out, size_t *out_len)
{
	/* Each decoded byte takes at most three input bytes, so far longer input cannot fit. */
	if (len / 3 > max)
		return HTTP_ETOOLONG;
	char *d = arena_alloc(a, len + 1);
	if (!d)
		return HTTP_ENOMEM;
	if (pct_decode(d, s, len, 1, out_len) != 0)
		return HTTP_EBADENC;
	if (*out_len > max)
		return HTTP_ETOOLONG;
	if (!http_utf8_valid(d, *out_len))
		return HTTP_EBADENC;
	*out = d;
	return HTTP_OK;
}

/* Counts the non-empty '&'-separated pairs in s[0..len). */
static size_t
count_pairs(const char *s, size_t len)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '&') {
			if (i > start)
				n++;
			start = i + 1;
		}
	}
	return n;
}

/* Splits one "name=value" pair and decodes both halves into kv. */
static int
parse_pair(struct arena *a, const char *s, size_t len, const struct http_limits *lim,
	   struct http_kv *kv)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen = eq ? (size_t)(eq - s) : len;
	char *name, *value;
	size_t name_len, value_len = 0;
	int rc = decode_field(a, s, nlen, lim->max_name, &name, &name_len);
	if (rc != HTTP_OK)
		return rc;
	if (memchr(name, '\0', name_len))
		return HTTP_EBADENC;
	if (eq)
		rc = decode_field(a, eq + 1, len - nlen - 1, lim->max_field, &value, &value_len);
	else
		value = arena_strdup(a, "");
	if (rc != HTTP_OK)
		return rc;
	if (!value)
		return HTTP_ENOMEM;
	kv->name = name;
	kv->value = value;
	kv->value_len = value_len;
	return HTTP_OK;
}

int
http_parse_urlencoded(struct arena *a, const char *s, size_t len, const struct http_limits *lim,
		      struct http_kvlist *list)
{
	list->items = NULL;
	list->count = 0;
	if (!lim)
		lim = &http_limits_default;
	if (!s || !len)
		return HTTP_OK;
	size_t n = count_pairs(s, len);
	if (n > lim->max_fields)
		return HTTP_ETOOMANY;
	struct http_kv *items = arena_alloc(a, n * sizeof(*items));
	if (!items)
		return HTTP_ENOMEM;
	size_t count = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '&')
			continue;
		if (i > start) {
			int rc = parse_pair(a, s + start, i - start, lim, &items[count]);
			if (rc != HTTP_OK)
				return rc;
			count++;
		}
		start = i + 1;
	}
	list->items = items;
	list->count = count;
	return HTTP_OK;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims optional whitespace from both ends of [*s, *s + *len). */
static void
trim_ows(const char **s, size_t *len)
{
	while (*len && is_ows(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_ows((*s)[*len - 1]))
		(*len)--;
}

/* RFC 7230 token characters, used for cookie and header names. */
int
http_is_token_char(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A cookie value may hold no control characters and must be valid UTF-8. */
static int
cookie_value_ok(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return http_utf8_valid(v, len);
}

static int
cookie_name_ok(const char *n, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!http_is_token_char((unsigned char)n[i]))
			return 0;
	return 1;
}

/* Parses one "name=value" cookie. Sets *skip for a malformed pair: a stray cookie set by
 * another application on the same host must not lock users out, so it is ignored. */
static int
parse_cookie(struct arena *a, const char *s, size_t len, const struct http_limits *lim,
	     struct http_kv *kv, int *skip)
{
	const char *eq = memchr(s, '=', len);
	*skip = 1;
	if (!eq)
		return HTTP_OK;
	const char *name = s, *val = eq + 1;
	size_t nlen = (size_t)(eq - s), vlen = len - nlen - 1;
	trim_ows(&name, &nlen);
	trim_ows(&val, &vlen);
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		val++;
		vlen -= 2;
	}
	if (nlen > lim->max_name || vlen > lim->max_field)
		return HTTP_ETOOLONG;
	if (!cookie_name_ok(name, nlen) || !cookie_value_ok(val, vlen))
		return HTTP_OK;
	kv->name = arena_strndup(a, name, nlen);
	kv->value = arena_strndup(a, val, vlen);
	kv->value_len = vlen;
	if (!kv->name || !kv->value)
		return HTTP_ENOMEM;
	*skip = 0;
	return HTTP_OK;
}

/* Counts the ';'-separated parts of a Cookie header that hold more than whitespace. */
static size_t
count_cookies(const char *s)
{
	size_t n = 0;
	int seen = 0;
	for (;; s++) {
		if (*s == ';' || *s == '\0') {
			n += seen;
			seen = 0;
			if (!*s)
				return n;
		} else if (!is_ows(*s)) {
			seen = 1;
		}
	}
}

int
http_parse_cookies(struct arena *a, const char *s, const struct http_limits *lim,
		   struct http_kvlist *list)
{
	list->items = NULL;
	list->count = 0;
	if (!lim)
		lim = &http_limits_default;
	if (!s || !*s)
		return HTTP_OK;
	size_t n = count_cookies(s);
	if (n > lim->max_fields)
		return HTTP_ETOOMANY;
	struct http_kv *items = arena_alloc(a, n * sizeof(*items));
	if (!items)
		return HTTP_ENOMEM;
	size_t count = 0;
	while (*s) {
		size_t len = strcspn(s, ";");
		const char *part = s;
		size_t plen = len;
		trim_ows(&part, &plen);
		int skip = 1;
		if (plen && count < n) {
			int rc = parse_cookie(a, part, plen, lim, &items[count], &skip);
			if (rc != HTTP_OK)
				return rc;
		}
		count += !skip;
		s += len + (s[len] == ';');
	}
	list->items = items;
	list->count = count;
	return HTTP_OK;
}

const char *
http_kv_get(const struct http_kvlist *list, const char *name)
{
	if (!list || !name)
		return NULL;
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].name, name) == 0)
			return list->items[i].value;
	return NULL;
}

size_t
http_kv_get_all(struct arena *a, const struct http_kvlist *list, const char *name,
		const char ***out)
{
	static const char *none[1] = {NULL};
	size_t n = 0;
	*out = none;
	if (!list || !name)
		return 0;
	for (size_t i = 0; i < list->count; i++)
		n += strcmp(list->items[i].name, name) == 0;
	const char **vals = arena_alloc(a, (n + 1) * sizeof(*vals));
	if (!vals)
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < list->count && k < n; i++)
		if (strcmp(list->items[i].name, name) == 0)
			vals[k++] = list->items[i].value;
	vals[k] = NULL;
	*out = vals;
	return k;
}

/* Reads N from name = prefix "[N][..."; N must be canonical decimal (no sign, no leading
 * zero, at most 9 digits) so that it names exactly the keys a handler formats with "%ld". */
static int
index_parse(const char *name, size_t plen, long *out)
{
	const char *p = name + plen;
	if (*p++ != '[')
		return -1;
	const char *d = p;
	long v = 0;
	while (*p >= '0' && *p <= '9') {
		if (p - d >= 9)
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	if (p == d || (p - d > 1 && *d == '0'))
		return -1;
	if (p[0] != ']' || p[1] != '[')
		return -1;
	*out = v;
	return 0;
}

/* Adds v to the open-addressing set (slots hold v + 1; 0 is empty); returns 1 when new. */
static int
index_set_add(long *slots, size_t mask, long v)
{
	size_t h = ((size_t)v * 2654435761u) & mask;
	while (slots[h]) {
		if (slots[h] == v + 1)
			return 0;
		h = (h + 1) & mask;
	}
	slots[h] = v + 1;
	return 1;
}

size_t
http_kv_indexes(struct arena *a, const struct http_kvlist *list, const char *prefix, long **out)
{
	*out = NULL;
	if (!list || !prefix || !list->count)
		return 0;
	size_t plen = strlen(prefix), size = 2;
	while (size < list->count * 2)
		size *= 2;
	long *slots = arena_alloc(a, size * sizeof(*slots));
	long *idx = arena_alloc(a, list->count * sizeof(*idx));
	if (!slots || !idx)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < list->count; i++) {
		const char *name = list->items[i].name;
		long v;
		if (strncmp(name, prefix, plen) != 0 || index_parse(name, plen, &v) != 0)
			continue;
		if (index_set_add(slots, size - 1, v))
			idx[n++] = v;
	}
	*out = idx;
	return n;
}
