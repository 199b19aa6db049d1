/* crypt: secrets sealed at rest with AES-256-GCM under a key id (for rotation);
 * CSPRNG tokens; SHA-256; scrypt password hashes. Depends on core and OpenSSL only. */
#ifndef DCGATE_CRYPT_H
#define DCGATE_CRYPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../core/core.h"

enum crypt_err {
	CRYPT_OK = 0,
	CRYPT_ENOMEM = -1,
	CRYPT_EIO = -2,	    /* key file missing/unreadable/wrong size or mode */
	CRYPT_EFORMAT = -3, /* sealed text or hash string malformed */
	CRYPT_EAUTH = -4,   /* GCM tag mismatch: tampered or wrong key */
	CRYPT_ENOKEY = -5,  /* sealed under a key id that is not loaded */
	CRYPT_EFAIL = -6,   /* OpenSSL failure */
};

#define CRYPT_KEY_LEN	  32
#define CRYPT_KEYRING_MAX 64 /* keys a process keeps: each SIGHUP after a rotation adds one */
#define CRYPT_SEAL_MAX	  (64u * 1024 * 1024) /* largest plaintext crypt_seal accepts */
#define CRYPT_CONTEXT_MAX 1024		      /* longest AAD context string */
#define CRYPT_TOKEN_MAX	  256		      /* largest nbytes for crypt_token_* */
/* Default scrypt cost for crypt_password_hash callers and the dummy hash. */
#define CRYPT_PW_LOG_N 15
#define CRYPT_PW_R     8
#define CRYPT_PW_P     1

/* Keyring: the current key plus older ones still readable during rotation. */
struct crypt_key {
	char id[17]; /* 16 hex chars: first 8 bytes of SHA-256(key) */
	uint8_t key[CRYPT_KEY_LEN];
};
struct crypt_keyring {
	struct crypt_key keys[CRYPT_KEYRING_MAX];
	int count;
	int current; /* index used for sealing */
};

/* Key file: 32 raw bytes. create_key_file refuses to overwrite and writes mode 0600;
 * set_group makes it mode 0640 with group gid (the group of server.user, so that dcgate
 * reads it after dropping privileges, e.g. on the SIGHUP after rotate-key).
 * Loading refuses a file with any permission for others, group write or execute, or not
 * exactly 32 bytes.
 * keyring_load starts a fresh keyring (kr need not be initialised) holding that key as
 * current; keyring_add_file adds another (an already-loaded key is not duplicated). */
int crypt_key_file_create(const char *path);
int crypt_key_file_set_group(const char *path, gid_t gid);
int crypt_keyring_load(struct crypt_keyring *kr, const char *path);
int crypt_keyring_add_file(struct crypt_keyring *kr, const char *path, int make_current);
void crypt_keyring_wipe(struct crypt_keyring *kr);

/* Seals plaintext into text "v1:<keyid>:<base64(nonce|ciphertext|tag)>", in arena. The
 * context string (e.g. "connector:7:password") is bound as AAD so a value cannot be moved. */
int crypt_seal(const struct crypt_keyring *kr, struct arena *a, const char *context,
	       const char *plain, size_t len, char **out);
int crypt_open(const struct crypt_keyring *kr, struct arena *a, const char *context,
	       const char *sealed, char **out, size_t *out_len);
/* The key id a sealed value names, for rotation ("" when malformed). */
const char *crypt_sealed_key_id(const char *sealed, char buf[17]);

/* Random bytes from the OpenSSL CSPRNG; token as lowercase hex (2*n chars) or base64url. */
int crypt_random(void *p, size_t n);
int crypt_token_hex(struct arena *a, size_t nbytes, char **out);
int crypt_token_b64url(struct arena *a, size_t nbytes, char **out);
/* SHA-256 of data as 64 lowercase hex chars into out[65]. */
void crypt_sha256_hex(const void *data, size_t len, char out[65]);
/* base64url (RFC 4648 section 5, no padding) of SHA-256(data): the PKCE S256 code challenge
 * of a verifier (RFC 7636 4.2). CRYPT_EFAIL when the digest fails. */
int crypt_sha256_b64url(struct arena *a, const void *data, size_t len, char **out);
/* A PEM private key (PKCS#8, PKCS#1, SEC1; encrypted or not) opened with pass (NULL or "":
 * none): CRYPT_OK when it opens, CRYPT_EAUTH when it is encrypted and pass is wrong or
 * missing, CRYPT_EFORMAT when it is no private key OpenSSL can read. */
int crypt_private_key_check(const char *pem, const char *pass);
/* Constant-time compare of two equal-length strings (different lengths: not equal). */
int crypt_str_eq(const char *a, const char *b);

/* scrypt via EVP_PBE_scrypt: encoded "$scrypt$ln=15,r=8,p=1$<b64 salt>$<b64 hash>".
 * Bounds: ln 1..20, r 1..32, p 1..16 and 128*r*(2^ln + p) <= 256 MiB; else CRYPT_EFORMAT. */
int crypt_password_hash(struct arena *a, const char *password, int log_n, int r, int p, char **out);
/* Returns CRYPT_OK on match, CRYPT_EAUTH on mismatch, CRYPT_EFORMAT on a bad encoding. */
int crypt_password_verify(const char *password, const char *encoded);
/* A hash of a random password with default params, to spend the same time when a user does
 * not exist (same timing for wrong user and wrong password). */
const char *crypt_password_dummy(void);

/* base64 helpers (standard alphabet with padding) */
int crypt_b64_encode(struct arena *a, const void *p, size_t n, char **out);
int crypt_b64_decode(struct arena *a, const char *s, uint8_t **out, size_t *out_len);
/* Strict decode of s[0..len) into out (at most cap bytes); CRYPT_EFORMAT on any bad input. */
int crypt_b64_decode_buf(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len);
/* Lowercase hex of p[0..n) into out[2n+1]. */
void crypt_hex(const void *p, size_t n, char *out);

#endif
