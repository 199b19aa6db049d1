/* Password hashes: scrypt (EVP_PBE_scrypt) with a random salt, PHC-like text encoding. */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypt.h"

#define PW_SALT_LEN    16
#define PW_SALT_MAX    64
#define PW_HASH_LEN    32
#define PW_MAXMEM      (256ull * 1024 * 1024)
#define PW_PREFIX      "$scrypt$"
#define PW_PREFIX_LEN  8
#define PW_ENCODED_MAX 256

/* Accepted parameter bounds; the memory cap (128 * r * N bytes) is checked separately. */
static int
params_ok(int log_n, int r, int p)
{
	if (log_n < 1 || log_n > 20 || r < 1 || r > 32 || p < 1 || p > 16)
		return 0;
	unsigned long long mem = 128ull * (unsigned long long)r * (1ull << log_n);
	return mem + 128ull * (unsigned long long)r * (unsigned long long)p <= PW_MAXMEM;
}

/* scrypt of password with salt into key[PW_HASH_LEN]. */
static int
pw_derive(const char *password, const uint8_t *salt, size_t salt_len, int log_n, int r, int p,
	  uint8_t key[PW_HASH_LEN])
{
	/* maxmem must cover scrypt's own accounting (a little more than 128*r*(N+p)). */
	if (EVP_PBE_scrypt(password, strlen(password), salt, salt_len, 1ull << log_n, (uint64_t)r,
			   (uint64_t)p, PW_MAXMEM + 1024 * 1024, key, PW_HASH_LEN) != 1)
		return CRYPT_EFAIL;
	return CRYPT_OK;
}

int
crypt_password_hash(struct arena *a, const char *password, int log_n, int r, int p, char **out)
{
	*out = NULL;
	if (!password || !params_ok(log_n, r, p))
		return CRYPT_EFORMAT;
	uint8_t salt[PW_SALT_LEN], key[PW_HASH_LEN];
	char *salt64, *key64;
	int rc = crypt_random(salt, sizeof(salt));
	if (rc == CRYPT_OK)
		rc = pw_derive(password, salt, sizeof(salt), log_n, r, p, key);
	if (rc == CRYPT_OK)
		rc = crypt_b64_encode(a, salt, sizeof(salt), &salt64);
	if (rc == CRYPT_OK)
		rc = crypt_b64_encode(a, key, sizeof(key), &key64);
	if (rc == CRYPT_OK) {
		*out =
		    arena_printf(a, PW_PREFIX "ln=%d,r=%d,p=%d$%s$%s", log_n, r, p, salt64, key64);
		rc = *out ? CRYPT_OK : CRYPT_ENOMEM;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* Parses "<name>=<decimal>" at *s (no sign, no leading zero, at most 2 digits). */
static int
parse_param(const char **s, const char *name, int *out)
{
	size_t nl = strlen(name);
	const char *c = *s;
	if (strncmp(c, name, nl) != 0 || c[nl] != '=')
		return 0;
	c += nl + 1;
	if (c[0] < '1' || c[0] > '9')
		return 0;
	int v = c[0] - '0';
	c++;
	if (c[0] >= '0' && c[0] <= '9')
		v = v * 10 + (*c++ - '0');
	*out = v;
	*s = c;
	return 1;
}

/* Parses "$scrypt$ln=N,r=R,p=P$" and returns the rest of the string, or NULL. */
static const char *
parse_params(const char *s, int *log_n, int *r, int *p)
{
	if (strncmp(s, PW_PREFIX, PW_PREFIX_LEN) != 0)
		return NULL;
	s += PW_PREFIX_LEN;
	if (!parse_param(&s, "ln", log_n) || *s++ != ',' || !parse_param(&s, "r", r) ||
	    *s++ != ',' || !parse_param(&s, "p", p) || *s++ != '$')
		return NULL;
	return params_ok(*log_n, *r, *p) ? s : NULL;
}

/* Splits "<b64 salt>$<b64 hash>" and decodes both into the caller's buffers. */
static int
parse_salt_hash(const char *s, uint8_t *salt, size_t *salt_len, uint8_t hash[PW_HASH_LEN])
{
	const char *dollar = strchr(s, '$');
	if (!dollar)
		return CRYPT_EFORMAT;
	size_t hash_len;
	if (crypt_b64_decode_buf(s, (size_t)(dollar - s), salt, PW_SALT_MAX, salt_len) !=
		CRYPT_OK ||
	    *salt_len < 8)
		return CRYPT_EFORMAT;
	if (crypt_b64_decode_buf(dollar + 1, strlen(dollar + 1), hash, PW_HASH_LEN, &hash_len) !=
		CRYPT_OK ||
	    hash_len != PW_HASH_LEN)
		return CRYPT_EFORMAT;
	return CRYPT_OK;
}

int
crypt_password_verify(const char *password, const char *encoded)
{
	if (!encoded || strnlen(encoded, PW_ENCODED_MAX + 1) > PW_ENCODED_MAX)
		return CRYPT_EFORMAT;
	int log_n, r, p;
	const char *rest = parse_params(encoded, &log_n, &r, &p);
	if (!rest)
		return CRYPT_EFORMAT;
	uint8_t salt[PW_SALT_MAX], want[PW_HASH_LEN], got[PW_HASH_LEN];
	size_t salt_len;
	if (parse_salt_hash(rest, salt, &salt_len, want) != CRYPT_OK)
		return CRYPT_EFORMAT;
	if (!password)
		return CRYPT_EAUTH;
	int rc = pw_derive(password, salt, salt_len, log_n, r, p, got);
	if (rc == CRYPT_OK)
		rc = CRYPTO_memcmp(got, want, PW_HASH_LEN) == 0 ? CRYPT_OK : CRYPT_EAUTH;
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

/* A real hash of a discarded random password: the fallback if the dummy cannot be made. */
static const char pw_dummy_fallback[] = "$scrypt$ln=15,r=8,p=1$8vvVYOjq7dSd1k6o8jVLPg==$"
					"D0FovlNhPYpMQm1cIRmYLYHWy7zSFcXsaNpb/nmuyJo=";
static char pw_dummy[PW_ENCODED_MAX + 1];
static pthread_once_t pw_dummy_once = PTHREAD_ONCE_INIT;

/* Hashes 32 random bytes (hex) with the default parameters, once per process. */
static void
pw_dummy_init(void)
{
	struct arena a;
	uint8_t raw[32];
	char pw[65], *enc = NULL;
	arena_init(&a, 1024);
	if (crypt_random(raw, sizeof(raw)) == CRYPT_OK) {
		crypt_hex(raw, sizeof(raw), pw);
		if (crypt_password_hash(&a, pw, CRYPT_PW_LOG_N, CRYPT_PW_R, CRYPT_PW_P, &enc) !=
		    CRYPT_OK)
			enc = NULL;
	}
	size_t n = enc ? strlen(enc) : 0;
	if (!enc || n > PW_ENCODED_MAX) {
		log_warn("crypt: cannot compute the dummy password hash; using the built-in one");
		enc = (char *)pw_dummy_fallback;
		n = sizeof(pw_dummy_fallback) - 1;
	}
	memcpy(pw_dummy, enc, n + 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(pw, sizeof(pw));
	arena_free(&a);
}

const char *
crypt_password_dummy(void)
{
	pthread_once(&pw_dummy_once, pw_dummy_init);
	return pw_dummy;
}
