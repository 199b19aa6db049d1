/* Keyring and sealed secrets: AES-256-GCM, random 96-bit nonce, context bound as AAD. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypt.h"

#define SEAL_PREFIX	"v1:"
#define SEAL_PREFIX_LEN 3
#define SEAL_ID_LEN	16
#define SEAL_HEAD_LEN	(SEAL_PREFIX_LEN + SEAL_ID_LEN + 1) /* "v1:<id>:" */
#define SEAL_NONCE_LEN	12
#define SEAL_TAG_LEN	16

/* Writes all of p, retrying on EINTR and short writes. */
static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads up to n bytes until EOF; returns the count or -1. */
static ssize_t
read_full(int fd, void *p, size_t n)
{
	char *c = p;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, c + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Makes a new file's directory entry durable; failure only warns (the data is synced). */
static void
sync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (n >= sizeof(dir))
		return;
	if (slash && n == 0)
		n = 1; /* file in "/" */
	memcpy(dir, slash ? path : ".", slash ? n : 1);
	dir[slash ? n : 1] = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		log_warn("crypt: cannot fsync directory %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int
crypt_key_file_create(const char *path)
{
	if (!path || !*path)
		return CRYPT_EIO;
	uint8_t key[CRYPT_KEY_LEN];
	if (crypt_random(key, sizeof(key)) != CRYPT_OK)
		return CRYPT_EFAIL;
	int rc = CRYPT_EIO;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("crypt: cannot create key file %s: %s", path, strerror(errno));
		goto out;
	}
	/* The umask can only remove bits; fchmod makes the mode exactly 0600. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, key, sizeof(key)) != 0 || fsync(fd) != 0) {
		log_err("crypt: cannot write key file %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) != 0) {
		log_err("crypt: cannot close key file %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	sync_parent_dir(path);
	rc = CRYPT_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
crypt_key_file_set_group(const char *path, gid_t gid)
{
	if (!path || !*path)
		return CRYPT_EIO;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_err("crypt: cannot open key file %s: %s", path, strerror(errno));
		return CRYPT_EIO;
	}
	struct stat st;
	int rc = CRYPT_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		log_err("crypt: key file %s is not a regular file", path);
	else if (fchown(fd, (uid_t)-1, gid) != 0 || fchmod(fd, 0640) != 0)
		log_err("crypt: cannot give key file %s group %lu, mode 0640: %s", path,
			(unsigned long)gid, strerror(errno));
	else
		rc = CRYPT_OK;
	close(fd);
	return rc;
}

/* Key id: hex of the first 8 bytes of SHA-256(key). */
static int
key_id(const uint8_t key[CRYPT_KEY_LEN], char id[17])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(key, CRYPT_KEY_LEN, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 8)
		return CRYPT_EFAIL;
	crypt_hex(md, 8, id);
	return CRYPT_OK;
}

/* Opens and checks a key file (regular, no access for others and no group write or
 * execute, exactly 32 bytes). Group read is allowed: dcgate-admin gives the key the group
 * of server.user (mode 0640), so that dcgate still reads it after dropping to that user. */
static int
key_file_read(const char *path, uint8_t key[CRYPT_KEY_LEN])
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block */
	if (fd < 0) {
		log_err("crypt: cannot open key file %s: %s", path, strerror(errno));
		return CRYPT_EIO;
	}
	int rc = CRYPT_EIO;
	uint8_t tmp[CRYPT_KEY_LEN + 1];
	struct stat st;
	if (fstat(fd, &st) != 0) {
		log_err("crypt: cannot stat key file %s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		log_err("crypt: key file %s is not a regular file", path);
	} else if (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) {
		log_err("crypt: key file %s has mode %04o; refusing a key others can read or "
			"change (chmod 600, or 640 for the group of server.user)",
			path, (unsigned)(st.st_mode & 07777));
	} else if (read_full(fd, tmp, sizeof(tmp)) != CRYPT_KEY_LEN) {
		log_err("crypt: key file %s must hold exactly %d bytes", path, CRYPT_KEY_LEN);
	} else {
		memcpy(key, tmp, CRYPT_KEY_LEN);
		rc = CRYPT_OK;
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));
	close(fd);
	return rc;
}

/* Index of the key named id, or -1. */
static int
keyring_find(const struct crypt_keyring *kr, const char *id)
{
	for (int i = 0; i < kr->count && i < CRYPT_KEYRING_MAX; i++)
		if (memcmp(kr->keys[i].id, id, SEAL_ID_LEN) == 0)
			return i;
	return -1;
}

int
crypt_keyring_add_file(struct crypt_keyring *kr, const char *path, int make_current)
{
	if (!kr || !path)
		return CRYPT_EIO;
	if (kr->count < 0 || kr->count > CRYPT_KEYRING_MAX)
		return CRYPT_EFAIL;
	struct crypt_key k;
	int rc = key_file_read(path, k.key);
	if (rc == CRYPT_OK)
		rc = key_id(k.key, k.id);
	if (rc != CRYPT_OK)
		goto out;
	int i = keyring_find(kr, k.id); /* the same key twice is one entry */
	if (i < 0 && kr->count == CRYPT_KEYRING_MAX) {
		log_err("crypt: keyring full (%d keys); cannot add %s", CRYPT_KEYRING_MAX, path);
		rc = CRYPT_EFAIL;
		goto out;
	}
	if (i < 0) {
		/* Publish the key before the count: workers read the ring without a lock while
		 * SIGHUP adds a rotated key. */
		i = kr->count;
		kr->keys[i] = k;
		__atomic_store_n(&kr->count, i + 1, __ATOMIC_RELEASE);
	}
	if (make_current || kr->count == 1)
		__atomic_store_n(&kr->current, i, __ATOMIC_RELEASE);
out:
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

int
crypt_keyring_load(struct crypt_keyring *kr, const char *path)
{
	if (!kr)
		return CRYPT_EIO;
	crypt_keyring_wipe(kr);
	return crypt_keyring_add_file(kr, path, 1);
}

void
crypt_keyring_wipe(struct crypt_keyring *kr)
{
	if (kr)
		OPENSSL_cleanse(kr, sizeof(*kr));
}

/* AES-256-GCM encrypt of pt into ct with the tag written to tag. */
static int
gcm_encrypt(const uint8_t *key, const uint8_t *nonce, const char *aad, const uint8_t *pt,
	    size_t len, uint8_t *ct, uint8_t *tag)
{
	int rc = CRYPT_EFAIL, n = 0;
	size_t aadlen = strlen(aad);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return CRYPT_ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
		goto out;
	if (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, ct + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) != 1)
		goto out;
	rc = CRYPT_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* AES-256-GCM decrypt; CRYPT_EAUTH when the tag does not verify. */
static int
gcm_decrypt(const uint8_t *key, const uint8_t *nonce, const char *aad, const uint8_t *ct,
	    size_t len, const uint8_t *tag, uint8_t *pt)
{
	int rc = CRYPT_EFAIL, n = 0;
	size_t aadlen = strlen(aad);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return CRYPT_ENOMEM;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
		goto out;
	if (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_DecryptUpdate(ctx, pt, &n, ct, (int)len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, (void *)tag) != 1)
		goto out;
	rc = EVP_DecryptFinal_ex(ctx, pt + len, &n) == 1 ? CRYPT_OK : CRYPT_EAUTH;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Builds "v1:<id>:<b64>" in the arena. */
static int
seal_format(struct arena *a, const char *id, const uint8_t *blob, size_t n, char **out)
{
	char *b64;
	int rc = crypt_b64_encode(a, blob, n, &b64);
	if (rc != CRYPT_OK)
		return rc;
	size_t blen = strlen(b64);
	char *s = arena_alloc(a, SEAL_HEAD_LEN + blen + 1);
	if (!s)
		return CRYPT_ENOMEM;
	memcpy(s, SEAL_PREFIX, SEAL_PREFIX_LEN);
	memcpy(s + SEAL_PREFIX_LEN, id, SEAL_ID_LEN);
	s[SEAL_HEAD_LEN - 1] = ':';
	memcpy(s + SEAL_HEAD_LEN, b64, blen + 1);
	*out = s;
	return CRYPT_OK;
}

int
crypt_seal(const struct crypt_keyring *kr, struct arena *a, const char *context, const char *plain,
	   size_t len, char **out)
{
	if (!out)
		return CRYPT_EFAIL;
	*out = NULL;
	if (!kr || kr->count <= 0 || kr->count > CRYPT_KEYRING_MAX || kr->current < 0 ||
	    kr->current >= kr->count)
		return CRYPT_ENOKEY;
	if (!context || strlen(context) > CRYPT_CONTEXT_MAX || (!plain && len > 0) ||
	    len > CRYPT_SEAL_MAX)
		return CRYPT_EFORMAT;
	const struct crypt_key *k = &kr->keys[kr->current];
	size_t n = SEAL_NONCE_LEN + len + SEAL_TAG_LEN;
	uint8_t *blob = arena_alloc(a, n);
	if (!blob)
		return CRYPT_ENOMEM;
	if (crypt_random(blob, SEAL_NONCE_LEN) != CRYPT_OK)
		return CRYPT_EFAIL;
	int rc = gcm_encrypt(k->key, blob, context, (const uint8_t *)plain, len,
			     blob + SEAL_NONCE_LEN, blob + SEAL_NONCE_LEN + len);
	if (rc != CRYPT_OK)
		return rc;
	return seal_format(a, k->id, blob, n, out);
}

/* True when s starts with 16 lowercase hex characters. */
static int
is_key_id(const char *s)
{
	for (int i = 0; i < SEAL_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Checks "v1:<16 hex>:" at the start of sealed (reads no further than a NUL). */
static int
seal_head_ok(const char *sealed)
{
	return sealed && strncmp(sealed, SEAL_PREFIX, SEAL_PREFIX_LEN) == 0 &&
	       is_key_id(sealed + SEAL_PREFIX_LEN) && sealed[SEAL_HEAD_LEN - 1] == ':';
}

const char *
crypt_sealed_key_id(const char *sealed, char buf[17])
{
	buf[0] = '\0';
	if (!seal_head_ok(sealed))
		return buf;
	memcpy(buf, sealed + SEAL_PREFIX_LEN, SEAL_ID_LEN);
	buf[SEAL_ID_LEN] = '\0';
	return buf;
}

int
crypt_open(const struct crypt_keyring *kr, struct arena *a, const char *context, const char *sealed,
	   char **out, size_t *out_len)
{
	if (!out)
		return CRYPT_EFAIL;
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!context || strlen(context) > CRYPT_CONTEXT_MAX || !seal_head_ok(sealed))
		return CRYPT_EFORMAT;
	uint8_t *blob;
	size_t n;
	int rc = crypt_b64_decode(a, sealed + SEAL_HEAD_LEN, &blob, &n);
	if (rc != CRYPT_OK)
		return rc;
	if (n < SEAL_NONCE_LEN + SEAL_TAG_LEN || n - SEAL_NONCE_LEN - SEAL_TAG_LEN > CRYPT_SEAL_MAX)
		return CRYPT_EFORMAT;
	int i = kr ? keyring_find(kr, sealed + SEAL_PREFIX_LEN) : -1;
	if (i < 0)
		return CRYPT_ENOKEY;
	size_t len = n - SEAL_NONCE_LEN - SEAL_TAG_LEN;
	char *pt = arena_alloc(a, len + 1);
	if (!pt)
		return CRYPT_ENOMEM;
	rc = gcm_decrypt(kr->keys[i].key, blob, context, blob + SEAL_NONCE_LEN, len,
			 blob + SEAL_NONCE_LEN + len, (uint8_t *)pt);
	if (rc != CRYPT_OK) {
		OPENSSL_cleanse(pt, len); /* never leave unauthenticated plaintext around */
		return rc;
	}
	pt[len] = '\0';
	*out = pt;
	if (out_len)
		*out_len = len;
	return CRYPT_OK;
}
