/* CSPRNG bytes, tokens, SHA-256, constant-time string compare and strict base64. */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypt.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
crypt_random(void *p, size_t n)
{
	unsigned char *out = p;
	/* RAND_bytes takes an int length, so feed it in chunks. */
	while (n > 0) {
		int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(out, chunk) != 1)
			return CRYPT_EFAIL;
		out += chunk;
		n -= (size_t)chunk;
	}
	return CRYPT_OK;
}

void
crypt_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *in = p;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int
crypt_token_hex(struct arena *a, size_t nbytes, char **out)
{
	*out = NULL;
	if (nbytes > CRYPT_TOKEN_MAX)
		return CRYPT_EFORMAT;
	uint8_t raw[CRYPT_TOKEN_MAX];
	char *s = arena_alloc(a, 2 * nbytes + 1);
	if (!s)
		return CRYPT_ENOMEM;
	if (crypt_random(raw, nbytes) != CRYPT_OK)
		return CRYPT_EFAIL;
	crypt_hex(raw, nbytes, s);
	OPENSSL_cleanse(raw, nbytes);
	*out = s;
	return CRYPT_OK;
}

/* Encoded length of n bytes, with or without '=' padding; 0 when it would overflow. */
static size_t
b64_len(size_t n, int pad)
{
	if (n / 3 >= SIZE_MAX / 4 - 1)
		return 0;
	if (pad)
		return 4 * ((n + 2) / 3);
	return 4 * (n / 3) + (n % 3 ? n % 3 + 1 : 0);
}

/* Writes the base64 of in[0..n) into out (b64_len bytes plus a NUL). */
static void
b64_encode_raw(const uint8_t *in, size_t n, char *out, const char *alpha, int pad)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

static int
b64_encode_arena(struct arena *a, const void *p, size_t n, char **out, const char *alpha, int pad)
{
	*out = NULL;
	size_t len = b64_len(n, pad);
	if (len == 0 && n > 0)
		return CRYPT_ENOMEM;
	char *s = arena_alloc(a, len + 1);
	if (!s)
		return CRYPT_ENOMEM;
	b64_encode_raw(p, n, s, alpha, pad);
	*out = s;
	return CRYPT_OK;
}

int
crypt_b64_encode(struct arena *a, const void *p, size_t n, char **out)
{
	return b64_encode_arena(a, p, n, out, b64_std, 1);
}

int
crypt_token_b64url(struct arena *a, size_t nbytes, char **out)
{
	*out = NULL;
	if (nbytes > CRYPT_TOKEN_MAX)
		return CRYPT_EFORMAT;
	uint8_t raw[CRYPT_TOKEN_MAX];
	if (crypt_random(raw, nbytes) != CRYPT_OK)
		return CRYPT_EFAIL;
	int rc = b64_encode_arena(a, raw, nbytes, out, b64_url, 0);
	OPENSSL_cleanse(raw, nbytes);
	return rc;
}

/* Value of one standard-alphabet base64 character, -1 for anything else (including '='). */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes one 4-char group holding `keep` (1..3) bytes; rejects bad chars and stray bits. */
static int
b64_group(const char *s, int keep, uint8_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		int d = i <= keep ? b64_value((unsigned char)s[i]) : 0;
		if (d < 0)
			return CRYPT_EFORMAT;
		v = v << 6 | (uint32_t)d;
	}
	if (keep < 3 && (v & ((1u << (8 * (3 - keep))) - 1)) != 0)
		return CRYPT_EFORMAT; /* non-canonical: unused bits must be zero */
	for (int i = 0; i < keep; i++)
		out[i] = (uint8_t)(v >> (16 - 8 * i));
	return CRYPT_OK;
}

/* Strict decode: length a multiple of 4, padding only at the end, canonical final group. */
int
crypt_b64_decode_buf(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	*out_len = 0;
	if (!s || len % 4 != 0)
		return CRYPT_EFORMAT;
	if (len == 0)
		return CRYPT_OK;
	int pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
	size_t n = len / 4 * 3 - (size_t)pad;
	if (n > cap)
		return CRYPT_EFORMAT;
	for (size_t i = 0, o = 0; i < len; i += 4, o += 3) {
		int keep = i + 4 == len ? 3 - pad : 3;
		if (b64_group(s + i, keep, out + o) != CRYPT_OK)
			return CRYPT_EFORMAT;
	}
	*out_len = n;
	return CRYPT_OK;
}

int
crypt_b64_decode(struct arena *a, const char *s, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (!s)
		return CRYPT_EFORMAT;
	size_t len = strlen(s);
	size_t cap = len / 4 * 3;
	uint8_t *p = arena_alloc(a, cap + 1); /* +1: room for a NUL, and never a 0-byte alloc */
	if (!p)
		return CRYPT_ENOMEM;
	int rc = crypt_b64_decode_buf(s, len, p, cap, out_len);
	if (rc != CRYPT_OK)
		return rc;
	p[*out_len] = '\0';
	*out = p;
	return CRYPT_OK;
}

void
crypt_sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(data ? data : "", data ? len : 0, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		out[0] = '\0'; /* never matches a stored 64-char hash */
		return;
	}
	crypt_hex(md, 32, out);
}

int
crypt_sha256_b64url(struct arena *a, const void *data, size_t len, char **out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	*out = NULL;
	if (EVP_Digest(data ? data : "", data ? len : 0, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return CRYPT_EFAIL;
	return b64_encode_arena(a, md, 32, out, b64_url, 0);
}

int
crypt_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	size_t la = strlen(a), lb = strlen(b);
	/* Lengths are public (fixed-size tokens and hashes); the contents are not. */
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}
