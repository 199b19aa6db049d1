/* Unit tests for crypt: key files, keyring, seal/open, tokens, SHA-256, base64, scrypt. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypt/crypt.h"
#include "tap.h"

static char tmpdir[64];
static struct arena A;
static uint64_t rng_state;

/* xorshift64: reproducible junk for the fuzz-style loops (seed printed). */
static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *
tmp_path(const char *name)
{
	return arena_printf(&A, "%s/%s", tmpdir, name);
}

static int
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, p, n);
	fchmod(fd, mode);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static ssize_t
read_file(const char *path, void *p, size_t cap)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, p, cap);
	close(fd);
	return r;
}

static void
rm_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlink(tmp_path(e->d_name));
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

static void
test_key_file(void)
{
	const char *k1 = tmp_path("k1");
	struct stat st;
	uint8_t before[40], after[40];
	ok(crypt_key_file_create(k1) == CRYPT_OK, "key file created");
	ok(stat(k1, &st) == 0 && (st.st_mode & 07777) == 0600, "key file mode is 0600 (%04o)",
	   (unsigned)(st.st_mode & 07777));
	ok(st.st_size == CRYPT_KEY_LEN, "key file holds 32 bytes");
	ssize_t n1 = read_file(k1, before, sizeof(before));
	ok(crypt_key_file_create(k1) == CRYPT_EIO, "create refuses to overwrite");
	ssize_t n2 = read_file(k1, after, sizeof(after));
	ok(n1 == 32 && n2 == 32 && memcmp(before, after, 32) == 0, "existing key untouched");
	ok(crypt_key_file_create(tmp_path("nodir/k")) == CRYPT_EIO, "create in missing dir fails");
	ok(crypt_key_file_create(NULL) == CRYPT_EIO, "create with NULL path fails");
}

static void
test_key_load_refusals(void)
{
	struct crypt_keyring kr;
	uint8_t key[33] = {1, 2, 3};
	const char *p = tmp_path("bad");
	write_file(p, key, 32, 0644);
	ok(crypt_keyring_load(&kr, p) == CRYPT_EIO, "0644 key file refused");
	write_file(p, key, 32, 0660);
	ok(crypt_keyring_load(&kr, p) == CRYPT_EIO, "0660 key file refused");
	write_file(p, key, 32, 0650);
	ok(crypt_keyring_load(&kr, p) == CRYPT_EIO, "0650 key file refused");
	write_file(p, key, 32, 0604);
	ok(crypt_keyring_load(&kr, p) == CRYPT_EIO, "0604 key file refused");
	write_file(p, key, 31, 0600);
	ok(crypt_keyring_load(&kr, p) == CRYPT_EIO, "31-byte key file refused");
	write_file(p, key, 33, 0600);
	ok(crypt_keyring_load(&kr, p) == CRYPT_EIO, "33-byte key file refused");
	write_file(p, key, 0, 0600);
	ok(crypt_keyring_load(&kr, p) == CRYPT_EIO, "empty key file refused");
	ok(crypt_keyring_load(&kr, tmp_path("missing")) == CRYPT_EIO, "missing key file refused");
	ok(crypt_keyring_load(&kr, tmpdir) == CRYPT_EIO, "directory as key file refused");
	write_file(p, key, 32, 0400);
	ok(crypt_keyring_load(&kr, p) == CRYPT_OK, "0400 key file accepted");
	crypt_keyring_wipe(&kr);
	write_file(p, key, 32, 0640);
	ok(crypt_keyring_load(&kr, p) == CRYPT_OK, "0640 key file accepted (group read)");
	crypt_keyring_wipe(&kr);
	unlink(p);
}

/* set_group: mode 0640 with the given group (our own here: any owner may choose it). */
static void
test_key_file_set_group(void)
{
	struct crypt_keyring kr;
	struct stat st;
	const char *p = tmp_path("grp");
	ok(crypt_key_file_create(p) == CRYPT_OK, "key file created for set_group");
	ok(crypt_key_file_set_group(p, getegid()) == CRYPT_OK, "set_group");
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_gid == getegid(),
	   "mode 0640 with the group (%04o, gid %lu)", (unsigned)(st.st_mode & 07777),
	   (unsigned long)st.st_gid);
	ok(crypt_keyring_load(&kr, p) == CRYPT_OK, "the shared key file loads");
	crypt_keyring_wipe(&kr);
	ok(crypt_key_file_set_group(tmp_path("missing"), getegid()) == CRYPT_EIO,
	   "set_group on a missing file fails");
	ok(crypt_key_file_set_group(tmpdir, getegid()) == CRYPT_EIO,
	   "set_group on a directory fails");
	ok(crypt_key_file_set_group(NULL, getegid()) == CRYPT_EIO, "set_group with NULL fails");
	unlink(p);
}

static void
test_key_id(const struct crypt_keyring *kr, const char *path)
{
	uint8_t raw[32];
	char hex[65];
	read_file(path, raw, sizeof(raw));
	crypt_sha256_hex(raw, sizeof(raw), hex);
	hex[16] = '\0';
	ok(kr->count == 1 && kr->current == 0, "keyring holds one current key");
	is_str(kr->keys[0].id, hex, "key id is the first 8 bytes of SHA-256(key) in hex");
}

static void
test_seal_round_trip(const struct crypt_keyring *kr)
{
	char *s1, *s2, *out, idbuf[17];
	size_t len = 99;
	ok(crypt_seal(kr, &A, "connector:7:password", "hunter2", 7, &s1) == CRYPT_OK, "seal");
	ok(strncmp(s1, "v1:", 3) == 0 && strncmp(s1 + 3, kr->keys[0].id, 16) == 0 && s1[19] == ':',
	   "sealed text is v1:<keyid>:... (%s)", s1);
	is_str(crypt_sealed_key_id(s1, idbuf), kr->keys[0].id, "sealed_key_id names the key");
	ok(crypt_open(kr, &A, "connector:7:password", s1, &out, &len) == CRYPT_OK, "open");
	ok(len == 7 && out && strcmp(out, "hunter2") == 0, "round trip gives the plaintext");
	ok(crypt_seal(kr, &A, "connector:7:password", "hunter2", 7, &s2) == CRYPT_OK &&
	       strcmp(s1, s2) != 0,
	   "two seals of one value differ (random nonce)");
	ok(crypt_seal(kr, &A, "c", "", 0, &s1) == CRYPT_OK &&
	       crypt_open(kr, &A, "c", s1, &out, &len) == CRYPT_OK && len == 0 && out[0] == '\0',
	   "empty plaintext round trip");
	ok(crypt_seal(kr, &A, "", "x", 1, &s1) == CRYPT_OK &&
	       crypt_open(kr, &A, "", s1, &out, NULL) == CRYPT_OK && strcmp(out, "x") == 0,
	   "empty context and NULL out_len");
	ok(crypt_seal(kr, &A, NULL, "x", 1, &s1) == CRYPT_EFORMAT && s1 == NULL,
	   "NULL context refused");
}

static void
test_seal_large(const struct crypt_keyring *kr)
{
	size_t n = 100 * 1024;
	char *plain = malloc(n), *s, *out;
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		plain[i] = (char)(rng() & 0xff);
	plain[10] = '\0'; /* binary content with NULs survives */
	ok(crypt_seal(kr, &A, "big", plain, n, &s) == CRYPT_OK, "seal 100 KB");
	ok(crypt_open(kr, &A, "big", s, &out, &len) == CRYPT_OK && len == n &&
	       memcmp(out, plain, n) == 0 && out[n] == '\0',
	   "100 KB round trip, NUL-terminated");
	free(plain);
}

/* Decodes the blob of a sealed value, flips bit 0 of byte i, re-encodes it. */
static char *
flip_blob(const char *sealed, size_t i, int from_end)
{
	uint8_t *blob;
	size_t n;
	char *b64;
	if (crypt_b64_decode(&A, sealed + 20, &blob, &n) != CRYPT_OK || i >= n)
		return NULL;
	blob[from_end ? n - 1 - i : i] ^= 1;
	if (crypt_b64_encode(&A, blob, n, &b64) != CRYPT_OK)
		return NULL;
	return arena_printf(&A, "%.20s%s", sealed, b64);
}

static void
test_seal_tamper(const struct crypt_keyring *kr)
{
	char *s, *out = (char *)"sentinel", *t;
	crypt_seal(kr, &A, "ctx:1", "secret value", 12, &s);
	ok(crypt_open(kr, &A, "ctx:2", s, &out, NULL) == CRYPT_EAUTH && out == NULL,
	   "wrong context -> EAUTH, out NULL");
	ok(crypt_open(kr, &A, "ctx:1x", s, &out, NULL) == CRYPT_EAUTH, "longer context -> EAUTH");
	ok(crypt_open(kr, &A, "", s, &out, NULL) == CRYPT_EAUTH, "empty context -> EAUTH");
	ok((t = flip_blob(s, 0, 0)) && crypt_open(kr, &A, "ctx:1", t, &out, NULL) == CRYPT_EAUTH,
	   "flipped nonce byte -> EAUTH");
	ok((t = flip_blob(s, 14, 0)) && crypt_open(kr, &A, "ctx:1", t, &out, NULL) == CRYPT_EAUTH,
	   "flipped ciphertext byte -> EAUTH");
	ok((t = flip_blob(s, 0, 1)) && crypt_open(kr, &A, "ctx:1", t, &out, NULL) == CRYPT_EAUTH,
	   "flipped tag byte -> EAUTH");
	t = arena_strdup(&A, s);
	memcpy(t + 3, "0000000000000000", 16);
	ok(crypt_open(kr, &A, "ctx:1", t, &out, NULL) == CRYPT_ENOKEY, "unknown key id -> ENOKEY");
	ok(crypt_open(NULL, &A, "ctx:1", s, &out, NULL) == CRYPT_ENOKEY, "NULL keyring -> ENOKEY");
}

static void
test_seal_rotation(const struct crypt_keyring *kr1, const char *k1)
{
	struct crypt_keyring kr;
	const char *k2 = tmp_path("k2");
	char *old, *new, *out, idbuf[17];
	crypt_seal(kr1, &A, "c", "old secret", 10, &old);
	ok(crypt_key_file_create(k2) == CRYPT_OK && crypt_keyring_load(&kr, k1) == CRYPT_OK &&
	       crypt_keyring_add_file(&kr, k2, 1) == CRYPT_OK,
	   "keyring with old key plus new current key");
	ok(kr.count == 2 && kr.current == 1 && strcmp(kr.keys[0].id, kr.keys[1].id) != 0,
	   "two distinct keys, the new one current");
	ok(crypt_open(&kr, &A, "c", old, &out, NULL) == CRYPT_OK && strcmp(out, "old secret") == 0,
	   "old key still opens its values");
	ok(crypt_seal(&kr, &A, "c", "new secret", 10, &new) == CRYPT_OK &&
	       strcmp(crypt_sealed_key_id(new, idbuf), kr.keys[1].id) == 0,
	   "new seals use the new key id");
	ok(crypt_open(&kr, &A, "c", new, &out, NULL) == CRYPT_OK && strcmp(out, "new secret") == 0,
	   "new value opens");
	ok(crypt_open(kr1, &A, "c", new, &out, NULL) == CRYPT_ENOKEY,
	   "old-only keyring -> ENOKEY for the new value");
	ok(crypt_keyring_add_file(&kr, k1, 0) == CRYPT_OK && kr.count == 2 && kr.current == 1,
	   "adding a loaded key again is a no-op");
	ok(crypt_keyring_add_file(&kr, k1, 1) == CRYPT_OK && kr.count == 2 && kr.current == 0,
	   "re-adding as current switches back");
	/* A process rotated many times without a restart: each SIGHUP adds the new key. */
	int added = 1;
	for (int i = 0; i < 20 && added; i++) {
		char name[16];
		snprintf(name, sizeof(name), "kr%d", i);
		const char *k = tmp_path(name);
		added = crypt_key_file_create(k) == CRYPT_OK &&
			crypt_keyring_add_file(&kr, k, 1) == CRYPT_OK && kr.current == kr.count - 1;
	}
	ok(added && kr.count == 22, "twenty rotations without a restart each add their key");
	ok(crypt_open(&kr, &A, "c", old, &out, NULL) == CRYPT_OK && strcmp(out, "old secret") == 0,
	   "the first key still opens its values after them");
	crypt_keyring_wipe(&kr);
	ok(kr.count == 0 && kr.keys[0].key[0] == 0 && kr.keys[1].id[0] == '\0', "wipe zeroes");
}

/* A random string of printable and control bytes, never starting a valid header. */
static char *
junk_string(void)
{
	static const char alpha[] = "v1:0123456789abcdefABCDEF+/=$-_ \t\n\x01\x7f\xff";
	size_t n = rng() % 120;
	char *s = arena_alloc(&A, n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = alpha[rng() % (sizeof(alpha) - 1)];
	return s;
}

/* A valid header (known key) followed by random base64-ish text. */
static char *
junk_tail(const struct crypt_keyring *kr)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	size_t n = rng() % 100;
	char *s = arena_alloc(&A, 20 + n + 1);
	memcpy(s, "v1:", 3);
	memcpy(s + 3, kr->keys[0].id, 16);
	s[19] = ':';
	for (size_t i = 0; i < n; i++)
		s[20 + i] = alpha[rng() % (sizeof(alpha) - 1)];
	return s;
}

/* Replaces one byte or truncates a valid sealed value. */
static char *
mutate(const char *sealed)
{
	size_t n = strlen(sealed);
	char *s = arena_strdup(&A, sealed);
	size_t i = rng() % n;
	if (rng() % 4 == 0) {
		s[i] = '\0';
		return s;
	}
	char c;
	do
		c = (char)(rng() % 255 + 1);
	while (c == s[i]);
	s[i] = c;
	return s;
}

static void
test_seal_junk(const struct crypt_keyring *kr)
{
	char *out, *valid, idbuf[17];
	int bad = 0, auth = 0;
	for (int i = 0; i < 5000; i++, arena_reset(&A)) {
		const char *j = junk_string();
		if (crypt_open(kr, &A, "c", j, &out, NULL) != CRYPT_EFORMAT || out)
			bad++;
		crypt_sealed_key_id(j, idbuf);
	}
	ok(bad == 0, "5000 random strings -> EFORMAT (%d wrong)", bad);
	bad = 0;
	for (int i = 0; i < 5000; i++, arena_reset(&A)) {
		int rc = crypt_open(kr, &A, "c", junk_tail(kr), &out, NULL);
		bad += rc != CRYPT_EFORMAT && rc != CRYPT_EAUTH;
		auth += rc == CRYPT_EAUTH;
	}
	ok(bad == 0, "5000 valid headers with junk bodies -> EFORMAT/EAUTH (%d EAUTH, %d wrong)",
	   auth, bad);
	bad = 0;
	for (int i = 0; i < 5000; i++, arena_reset(&A)) {
		crypt_seal(kr, &A, "c", "mutate me", 9, &valid);
		bad += crypt_open(kr, &A, "c", mutate(valid), &out, NULL) == CRYPT_OK;
	}
	ok(bad == 0, "5000 mutated sealed values never open (%d opened)", bad);
	const char *fixed[] = {"",
			       "v1",
			       "v1:",
			       "v1:0123",
			       "v1:0123456789abcdef",
			       "v1:0123456789abcdef:",
			       "v1:0123456789ABCDEF:AAAA",
			       "v2:0123456789abcdef:AAAA",
			       "v1:0123456789abcdef:====",
			       "v1:0123456789abcdef:" /* 27 bytes: too short */
			       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
	bad = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		bad += crypt_open(kr, &A, "c", fixed[i], &out, NULL) != CRYPT_EFORMAT;
	ok(bad == 0 && crypt_open(kr, &A, "c", NULL, &out, NULL) == CRYPT_EFORMAT,
	   "truncated headers, bad ids, short blobs, NULL -> EFORMAT");
	is_str(crypt_sealed_key_id("v1:0123", idbuf), "", "sealed_key_id of junk is empty");
}

/* Several threads seal and open at once with their own arenas. */
static void *
seal_thread(void *arg)
{
	const struct crypt_keyring *kr = arg;
	struct arena a;
	char *s, *out;
	intptr_t bad = 0;
	arena_init(&a, 0);
	for (int i = 0; i < 300; i++, arena_reset(&a))
		bad += crypt_seal(kr, &a, "t", "threaded", 8, &s) != CRYPT_OK ||
		       crypt_open(kr, &a, "t", s, &out, NULL) != CRYPT_OK ||
		       strcmp(out, "threaded") != 0;
	arena_free(&a);
	return (void *)bad;
}

static void
test_seal_threads(const struct crypt_keyring *kr)
{
	pthread_t t[4];
	intptr_t bad = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, seal_thread, (void *)kr);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (intptr_t)r;
	}
	ok(bad == 0, "4 threads x 300 seal/open (%ld failed)", (long)bad);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
all_in(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

static void
test_tokens(void)
{
	enum { N = 1000 };
	char *tok[N], *t;
	int dup = 0, shape = 0;
	for (int i = 0; i < N; i++) {
		crypt_token_hex(&A, 32, &tok[i]);
		shape += strlen(tok[i]) != 64 || !all_in(tok[i], "0123456789abcdef");
	}
	qsort(tok, N, sizeof(tok[0]), cmp_str);
	for (int i = 1; i < N; i++)
		dup += strcmp(tok[i - 1], tok[i]) == 0;
	ok(shape == 0, "hex tokens are 64 lowercase hex chars");
	ok(dup == 0, "1000 hex tokens are unique");
	shape = dup = 0;
	for (int i = 0; i < N; i++) {
		crypt_token_b64url(&A, 32, &tok[i]);
		shape += strlen(tok[i]) != 43 ||
			 !all_in(tok[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789-_");
	}
	qsort(tok, N, sizeof(tok[0]), cmp_str);
	for (int i = 1; i < N; i++)
		dup += strcmp(tok[i - 1], tok[i]) == 0;
	ok(shape == 0, "b64url tokens are 43 url-safe chars, no padding");
	ok(dup == 0, "1000 b64url tokens are unique");
	ok(crypt_token_hex(&A, 0, &t) == CRYPT_OK && t[0] == '\0', "0-byte token is empty");
	ok(crypt_token_b64url(&A, 2, &t) == CRYPT_OK && strlen(t) == 3, "2-byte b64url: 3 chars");
	ok(crypt_token_hex(&A, CRYPT_TOKEN_MAX + 1, &t) == CRYPT_EFORMAT && t == NULL,
	   "oversized token refused");
	arena_reset(&A);
}

static void
test_sha256_and_eq(void)
{
	char h[65];
	crypt_sha256_hex("abc", 3, h);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256(\"abc\")");
	crypt_sha256_hex("", 0, h);
	is_str(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256(\"\")");
	ok(crypt_str_eq("token", "token"), "str_eq equal");
	ok(!crypt_str_eq("token", "tokem"), "str_eq differs in last char");
	ok(!crypt_str_eq("token", "tok") && !crypt_str_eq("tok", "token"), "str_eq length differs");
	ok(crypt_str_eq("", "") && !crypt_str_eq("", "a"), "str_eq empty");
	ok(!crypt_str_eq(NULL, "a") && !crypt_str_eq("a", NULL) && !crypt_str_eq(NULL, NULL),
	   "str_eq NULL is never equal");
}

static void
test_b64_vectors(void)
{
	static const char *const v[][2] = {{"", ""},
					   {"f", "Zg=="},
					   {"fo", "Zm8="},
					   {"foo", "Zm9v"},
					   {"foob", "Zm9vYg=="},
					   {"fooba", "Zm9vYmE="},
					   {"foobar", "Zm9vYmFy"}};
	int bad = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e;
		uint8_t *d;
		size_t n;
		crypt_b64_encode(&A, v[i][0], strlen(v[i][0]), &e);
		bad += strcmp(e, v[i][1]) != 0;
		bad += crypt_b64_decode(&A, v[i][1], &d, &n) != CRYPT_OK || n != strlen(v[i][0]) ||
		       memcmp(d, v[i][0], n) != 0 || d[n] != '\0';
	}
	ok(bad == 0, "RFC 4648 base64 vectors encode and decode");
}

static void
test_b64_invalid(void)
{
	static const char *const inv[] = {
	    "Zg=",	"Zg===", "Z===", "====", "Zm9v\n",   "Zm 9v", "Zh==", "Zm9=",
	    "Zg==Zg==", "Zm-v",	 "Zm_v", "=Zm9", "Zm9v====", "A",     "AB",   "ABC"};
	int bad = 0;
	for (size_t i = 0; i < sizeof(inv) / sizeof(inv[0]); i++) {
		uint8_t *d = (uint8_t *)"x";
		size_t n = 9;
		bad += crypt_b64_decode(&A, inv[i], &d, &n) != CRYPT_EFORMAT || d || n;
	}
	ok(bad == 0, "invalid base64 refused (length, padding, alphabet, stray bits)");
	uint8_t buf[2];
	size_t n;
	ok(crypt_b64_decode_buf("Zm9v", 4, buf, sizeof(buf), &n) == CRYPT_EFORMAT,
	   "decode_buf refuses output larger than its buffer");
	ok(crypt_b64_decode_buf("Zm\0v", 4, buf, sizeof(buf), &n) == CRYPT_EFORMAT,
	   "decode_buf refuses an embedded NUL");
}

static void
test_b64_random(void)
{
	int bad = 0, decoded = 0;
	for (int i = 0; i < 300; i++, arena_reset(&A)) {
		uint8_t in[300], *d;
		char *e;
		size_t n;
		for (int k = 0; k < i; k++)
			in[k] = (uint8_t)rng();
		crypt_b64_encode(&A, in, (size_t)i, &e);
		bad += strlen(e) != (size_t)(i + 2) / 3 * 4 ||
		       crypt_b64_decode(&A, e, &d, &n) != CRYPT_OK || n != (size_t)i ||
		       memcmp(d, in, n) != 0;
	}
	ok(bad == 0, "binary round trips for lengths 0..299");
	bad = 0;
	for (int i = 0; i < 5000; i++, arena_reset(&A)) {
		char *j = junk_string(), *e;
		uint8_t *d;
		size_t n;
		if (crypt_b64_decode(&A, j, &d, &n) != CRYPT_OK)
			continue;
		decoded++;
		crypt_b64_encode(&A, d, n, &e);
		bad += strcmp(e, j) != 0;
	}
	ok(bad == 0, "5000 junk strings: whatever decodes re-encodes identically (%d decoded)",
	   decoded);
}

static void
test_password_basic(void)
{
	char *h1, *h2, *h3;
	ok(crypt_password_hash(&A, "correct horse", 10, 8, 1, &h1) == CRYPT_OK, "hash ln=10");
	ok(strncmp(h1, "$scrypt$ln=10,r=8,p=1$", 22) == 0 && strlen(h1) == 22 + 24 + 1 + 44,
	   "encoding is $scrypt$ln=10,r=8,p=1$<salt>$<hash> (%s)", h1);
	ok(crypt_password_verify("correct horse", h1) == CRYPT_OK, "verify right password");
	ok(crypt_password_verify("correct horsE", h1) == CRYPT_EAUTH, "wrong password -> EAUTH");
	ok(crypt_password_verify("", h1) == CRYPT_EAUTH, "empty password -> EAUTH");
	ok(crypt_password_verify(NULL, h1) == CRYPT_EAUTH, "NULL password -> EAUTH");
	ok(crypt_password_hash(&A, "correct horse", 10, 8, 1, &h2) == CRYPT_OK && strcmp(h1, h2),
	   "same password, different salt, different encoding");
	ok(crypt_password_hash(&A, "", 10, 8, 1, &h3) == CRYPT_OK &&
	       crypt_password_verify("", h3) == CRYPT_OK,
	   "empty password hashes and verifies");
	ok(crypt_password_hash(&A, "x", 10, 1, 2, &h3) == CRYPT_OK &&
	       strncmp(h3, "$scrypt$ln=10,r=1,p=2$", 22) == 0 &&
	       crypt_password_verify("x", h3) == CRYPT_OK,
	   "other r and p are encoded and honoured");
}

/* Copies enc with the first occurrence of from replaced by to. */
static char *
replace(const char *enc, const char *from, const char *to)
{
	const char *at = strstr(enc, from);
	if (!at)
		return arena_strdup(&A, "missing");
	return arena_printf(&A, "%.*s%s%s", (int)(at - enc), enc, to, at + strlen(from));
}

static void
test_password_tamper(void)
{
	char *h, *t;
	crypt_password_hash(&A, "pw", 10, 8, 1, &h);
	t = arena_strdup(&A, h);
	t[strlen(t) - 10] = t[strlen(t) - 10] == 'A' ? 'B' : 'A';
	ok(crypt_password_verify("pw", t) == CRYPT_EAUTH, "tampered hash -> EAUTH");
	t = arena_strdup(&A, h);
	t[24] = t[24] == 'A' ? 'B' : 'A';
	ok(crypt_password_verify("pw", t) == CRYPT_EAUTH, "tampered salt -> EAUTH");
	ok(crypt_password_verify("pw", replace(h, "ln=10", "ln=11")) == CRYPT_EAUTH,
	   "changed ln -> EAUTH");
	ok(crypt_password_verify("pw", replace(h, "r=8", "r=7")) == CRYPT_EAUTH,
	   "changed r -> EAUTH");
	t = arena_strndup(&A, h, strlen(h) - 4);
	ok(crypt_password_verify("pw", t) == CRYPT_EFORMAT, "truncated hash -> EFORMAT");
	const char *fmt[] = {
	    replace(h, "$scrypt$", "$scrypt2$"),
	    replace(h, "ln=", "n="),
	    replace(h, ",r=", ";r="),
	    replace(h, "p=1$", "p=1"),
	    replace(h, "ln=10", "ln=010"),
	    replace(h, "ln=10", "ln=+10"),
	    replace(h, "ln=10", "ln=-1"),
	    replace(h, "ln=10", "ln="),
	    replace(h, "==$", "=$"),
	    arena_printf(&A, "%s$", h),
	    arena_printf(&A, "%sAAAA", h),
	    "",
	    "$scrypt$",
	    NULL,
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++)
		bad += crypt_password_verify("pw", fmt[i]) != CRYPT_EFORMAT;
	ok(bad == 0, "malformed encodings -> EFORMAT");
}

static void
test_password_bounds(void)
{
	char *h, *t;
	crypt_password_hash(&A, "pw", 10, 8, 1, &h);
	const char *oob[][2] = {{"ln=10", "ln=0"}, {"ln=10", "ln=21"}, {"ln=10", "ln=99"},
				{"r=8", "r=0"},	   {"r=8", "r=33"},    {"p=1", "p=0"},
				{"p=1", "p=17"},   {"ln=10", "ln=20"}, {"ln=10", "ln=100"}};
	int bad = 0;
	for (size_t i = 0; i < sizeof(oob) / sizeof(oob[0]); i++)
		bad +=
		    crypt_password_verify("pw", replace(h, oob[i][0], oob[i][1])) != CRYPT_EFORMAT;
	ok(bad == 0, "out-of-bound params (incl. ln=20,r=8 over 256 MiB) -> EFORMAT");
	ok(crypt_password_hash(&A, "pw", 21, 8, 1, &t) == CRYPT_EFORMAT && t == NULL &&
	       crypt_password_hash(&A, "pw", 10, 0, 1, &t) == CRYPT_EFORMAT &&
	       crypt_password_hash(&A, "pw", 10, 8, 17, &t) == CRYPT_EFORMAT &&
	       crypt_password_hash(&A, NULL, 10, 8, 1, &t) == CRYPT_EFORMAT,
	   "hash refuses out-of-bound params and NULL password");
	bad = 0;
	for (int i = 0; i < 5000; i++, arena_reset(&A)) {
		const char *j = junk_string();
		if (i % 2)
			j = arena_printf(&A, "$scrypt$ln=1,r=1,p=1$%s", j);
		bad += crypt_password_verify("pw", j) == CRYPT_OK;
	}
	ok(bad == 0, "5000 junk encodings never verify");
}

static void
test_password_cost(void)
{
	char *h;
	int64_t t0 = time_now_us();
	int rc = crypt_password_hash(&A, "timing", 15, 8, 1, &h);
	int64_t t1 = time_now_us();
	ok(rc == CRYPT_OK && crypt_password_verify("timing", h) == CRYPT_OK,
	   "hash and verify at ln=15 r=8 p=1");
	printf("# scrypt ln=15 r=8 p=1: %ld ms\n", (long)((t1 - t0) / 1000));
}

static void *
dummy_thread(void *arg)
{
	return (void *)crypt_password_dummy();
}

static void
test_password_dummy(void)
{
	pthread_t t[4];
	void *r[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, dummy_thread, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], &r[i]);
	const char *d = crypt_password_dummy();
	ok(d == r[0] && d == r[1] && d == r[2] && d == r[3], "dummy computed once, shared");
	ok(strncmp(d, "$scrypt$ln=15,r=8,p=1$", 22) == 0, "dummy uses the default params");
	ok(crypt_password_verify("guess", d) == CRYPT_EAUTH, "dummy is a valid hash, no match");
}

/* k as PEM: PKCS#8 (encrypted under pass when given) or, with legacy, the traditional form. */
static const char *
key_pem(EVP_PKEY *k, const char *pass, int legacy)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	int rc;
	if (legacy)
		rc = PEM_write_bio_PrivateKey_traditional(b, k, pass ? EVP_aes_128_cbc() : NULL,
							  NULL, 0, NULL, (void *)pass);
	else
		rc = PEM_write_bio_PKCS8PrivateKey(b, k, pass ? EVP_aes_256_cbc() : NULL, NULL, 0,
						   NULL, (void *)pass);
	long n = rc == 1 ? BIO_get_mem_data(b, &p) : 0;
	const char *out = n > 0 ? arena_strndup(&A, p, (size_t)n) : "";
	BIO_free(b);
	return out;
}

static void
test_private_key_check(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	ok(k != NULL, "an EC key to write");
	const char *plain = key_pem(k, NULL, 0), *enc = key_pem(k, "right horse", 0);
	const char *legacy = key_pem(k, "right horse", 1);
	ok(strstr(enc, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL, "PKCS#8 encrypted");
	ok(strstr(legacy, "Proc-Type: 4,ENCRYPTED") != NULL, "legacy encrypted");
	ok(crypt_private_key_check(plain, NULL) == CRYPT_OK, "an unencrypted key opens");
	ok(crypt_private_key_check(plain, "ignored") == CRYPT_OK, "a passphrase is not needed");
	ok(crypt_private_key_check(enc, "right horse") == CRYPT_OK, "PKCS#8: the right one");
	ok(crypt_private_key_check(enc, "wrong horse") == CRYPT_EAUTH, "PKCS#8: a wrong one");
	ok(crypt_private_key_check(enc, NULL) == CRYPT_EAUTH, "PKCS#8: none, and no prompt");
	ok(crypt_private_key_check(enc, "") == CRYPT_EAUTH, "PKCS#8: an empty one");
	ok(crypt_private_key_check(legacy, "right horse") == CRYPT_OK, "legacy: the right one");
	ok(crypt_private_key_check(legacy, "wrong horse") == CRYPT_EAUTH, "legacy: a wrong one");
	ok(crypt_private_key_check(legacy, NULL) == CRYPT_EAUTH, "legacy: none");
	ok(crypt_private_key_check("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
				   NULL) == CRYPT_EFORMAT,
	   "not a key");
	ok(crypt_private_key_check("", NULL) == CRYPT_EFORMAT, "empty");
	EVP_PKEY_free(k);
}

int
main(void)
{
	const char *seed = getenv("TEST_SEED");
	rng_state = seed ? strtoull(seed, NULL, 10) : (uint64_t)time(NULL) | 1;
	printf("# seed %llu (set TEST_SEED to repeat)\n", (unsigned long long)rng_state);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_crypt.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	arena_init(&A, 0);
	struct crypt_keyring kr;
	const char *k1 = tmp_path("k1");
	test_key_file();
	test_key_load_refusals();
	test_key_file_set_group();
	ok(crypt_keyring_load(&kr, k1) == CRYPT_OK, "keyring loads the key file");
	test_key_id(&kr, k1);
	test_seal_round_trip(&kr);
	test_seal_large(&kr);
	test_seal_tamper(&kr);
	test_seal_rotation(&kr, k1);
	test_seal_junk(&kr);
	test_seal_threads(&kr);
	crypt_keyring_wipe(&kr);
	test_tokens();
	test_sha256_and_eq();
	test_b64_vectors();
	test_b64_invalid();
	test_b64_random();
	test_password_basic();
	test_password_tamper();
	test_password_bounds();
	test_password_cost();
	test_private_key_check();
	test_password_dummy();
	rm_tmpdir();
	arena_free(&A);
	return tap_done();
}
