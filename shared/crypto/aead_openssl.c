/* SPDX-License-Identifier: BSD-3-Clause
 * AES-128-GCM on OpenSSL 3 EVP.
 *
 * An EVP_CIPHER_CTX is mutable (it carries the IV and GHASH state of the
 * operation in progress), so it cannot live in the shared, immutable
 * hy_aead_ctx.  The context therefore stores only the raw key; each thread
 * keeps two EVP_CIPHER_CTX of its own (one sealing, one opening) and
 * remembers which key each was last set up with, so a run of packets under
 * one key pays for the key schedule once and then only sets the IV.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/aead.h"
#include "crypto/aead_impl.h"

struct ossl_key {
	uint8_t key[HY_KEY_LEN];
};

_Static_assert(sizeof(struct ossl_key) <= HY_AEAD_CTX_SIZE,
	       "OpenSSL key state does not fit hy_aead_ctx");

struct ossl_dir {
	EVP_CIPHER_CTX *c;
	bool keyed;
	uint8_t key[HY_KEY_LEN];
};

struct ossl_thread {
	EVP_CIPHER *cipher;
	struct ossl_dir seal;
	struct ossl_dir open;
};

static pthread_once_t tls_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t tls_key;
static bool tls_key_ok;
static __thread struct ossl_thread *tls;

static void thread_free(void *p)
{
	struct ossl_thread *t = p;
	if (t == NULL)
		return;
	EVP_CIPHER_CTX_free(t->seal.c);
	EVP_CIPHER_CTX_free(t->open.c);
	EVP_CIPHER_free(t->cipher);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

static void tls_key_create(void)
{
	tls_key_ok = pthread_key_create(&tls_key, thread_free) == 0;
}

static struct ossl_thread *thread_get(void)
{
	if (__builtin_expect(tls != NULL, 1))
		return tls;
	pthread_once(&tls_key_once, tls_key_create);
	if (!tls_key_ok)
		return NULL;
	struct ossl_thread *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	/* Explicit fetch once per thread, not an implicit one per init. */
	t->cipher = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	t->seal.c = EVP_CIPHER_CTX_new();
	t->open.c = EVP_CIPHER_CTX_new();
	if (t->cipher == NULL || t->seal.c == NULL || t->open.c == NULL ||
	    pthread_setspecific(tls_key, t) != 0) {
		thread_free(t);
		return NULL;
	}
	tls = t;
	return t;
}

void hy_aead_openssl_thread_release(void)
{
	if (tls == NULL)
		return;
	(void)pthread_setspecific(tls_key, NULL);
	thread_free(tls);
	tls = NULL;
}

int hy_aead_openssl_available(void)
{
	return thread_get() != NULL ? 0 : -1;
}

int hy_aead_openssl_key_init(struct hy_aead_ctx *ctx, const uint8_t key[HY_KEY_LEN])
{
	if (thread_get() == NULL)
		return -1;
	struct ossl_key *k = (struct ossl_key *)ctx->state;
	memcpy(k->key, key, HY_KEY_LEN);
	ctx->hot.lines = 1; /* the raw key; the schedule is per thread */
	return 0;
}

/* Sets up d for one operation with key and nonce; reuses the key schedule
 * when d was last keyed with the same key. */
static int dir_init(struct ossl_thread *t, struct ossl_dir *d, int enc,
		    const uint8_t key[HY_KEY_LEN], const uint8_t nonce[HY_NONCE_LEN])
{
	int ok;
	if (d->keyed && CRYPTO_memcmp(d->key, key, HY_KEY_LEN) == 0) {
		ok = EVP_CipherInit_ex2(d->c, NULL, NULL, nonce, enc, NULL);
	} else {
		d->keyed = false;
		ok = EVP_CipherInit_ex2(d->c, t->cipher, key, nonce, enc, NULL);
		if (ok) {
			memcpy(d->key, key, HY_KEY_LEN);
			d->keyed = true;
		}
	}
	return ok ? 0 : -1;
}

int hy_aead_openssl_seal(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[HY_TAG_LEN])
{
	struct ossl_thread *t = thread_get();
	const struct ossl_key *k = (const struct ossl_key *)ctx->state;
	uint8_t fin[16]; /* GCM's final step emits no bytes */
	int outl, finl;
	if (t == NULL || aad_len > INT_MAX || len > INT_MAX)
		return -1;
	if (dir_init(t, &t->seal, 1, k->key, nonce) != 0)
		goto fail;
	if (aad_len > 0 && !EVP_EncryptUpdate(t->seal.c, NULL, &outl, aad, (int)aad_len))
		goto fail;
	outl = 0;
	if (len > 0 && !EVP_EncryptUpdate(t->seal.c, ct, &outl, pt, (int)len))
		goto fail;
	if (!EVP_EncryptFinal_ex(t->seal.c, fin, &finl) ||
	    (size_t)outl + (size_t)finl != len)
		goto fail;
	if (!EVP_CIPHER_CTX_ctrl(t->seal.c, EVP_CTRL_GCM_GET_TAG, HY_TAG_LEN, tag))
		goto fail;
	return 0;
fail:
	t->seal.keyed = false;
	return -1;
}

int hy_aead_openssl_open(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[HY_TAG_LEN])
{
	struct ossl_thread *t = thread_get();
	const struct ossl_key *k = (const struct ossl_key *)ctx->state;
	uint8_t fin[16]; /* GCM's final step emits no bytes */
	int outl, finl;
	if (t == NULL || aad_len > INT_MAX || len > INT_MAX)
		return -1;
	if (dir_init(t, &t->open, 0, k->key, nonce) != 0)
		goto fail;
	if (aad_len > 0 && !EVP_DecryptUpdate(t->open.c, NULL, &outl, aad, (int)aad_len))
		goto fail;
	outl = 0;
	if (len > 0 && !EVP_DecryptUpdate(t->open.c, pt, &outl, ct, (int)len))
		goto fail;
	if ((size_t)outl != len)
		goto fail;
	if (!EVP_CIPHER_CTX_ctrl(t->open.c, EVP_CTRL_GCM_SET_TAG, HY_TAG_LEN, (void *)tag))
		goto fail;
	/* The provider compares the tag with CRYPTO_memcmp (constant time). */
	if (EVP_DecryptFinal_ex(t->open.c, fin, &finl) <= 0 || finl != 0)
		return -1; /* bad tag: the context is still keyed and reusable */
	return 0;
fail:
	t->open.keyed = false;
	return -1;
}
