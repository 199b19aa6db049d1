/* Whether a PEM private key opens: with its passphrase when it is encrypted (PKCS#8
 * "ENCRYPTED PRIVATE KEY" or a legacy "Proc-Type: 4,ENCRYPTED" key). The passphrase is
 * handed over by a callback of our own, never OpenSSL's default one (which would prompt on
 * a terminal). */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypt.h"

struct pem_pass {
	const char *pass;
	int asked; /* the key is encrypted: OpenSSL asked for a passphrase */
};

static int
pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pem_pass *p = u;
	(void)rwflag;
	p->asked = 1;
	if (!p->pass || !*p->pass)
		return 0;
	size_t n = strlen(p->pass);
	if (size <= 0 || n > (size_t)size)
		return 0;
	memcpy(buf, p->pass, n);
	return (int)n;
}

int
crypt_private_key_check(const char *pem, const char *pass)
{
	if (!pem || !*pem)
		return CRYPT_EFORMAT;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	if (!bio)
		return CRYPT_ENOMEM;
	struct pem_pass p = {.pass = pass, .asked = 0};
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, &p);
	BIO_free(bio);
	ERR_clear_error();
	if (k) {
		EVP_PKEY_free(k);
		return CRYPT_OK;
	}
	/* Encrypted keys ask for the passphrase; a PKCS#8 one is also named so. */
	if (p.asked || strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    strstr(pem, "Proc-Type: 4,ENCRYPTED"))
		return CRYPT_EAUTH;
	return CRYPT_EFORMAT;
}
