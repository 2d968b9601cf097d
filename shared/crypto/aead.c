/* SPDX-License-Identifier: BSD-3-Clause
 * AES-128-GCM: backend dispatch and the data-packet nonce.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/aead.h"
#include "crypto/aead_impl.h"

const char *hy_aead_backend_name(enum hy_aead_backend b)
{
	switch (b) {
	case HY_AEAD_OPENSSL:
		return "openssl";
	case HY_AEAD_IPSECMB:
		return "ipsec-mb";
	default:
		return "unknown";
	}
}

int hy_aead_backend_available(enum hy_aead_backend b)
{
	switch (b) {
	case HY_AEAD_OPENSSL:
		return hy_aead_openssl_available();
	case HY_AEAD_IPSECMB:
		return hy_aead_ipsecmb_available();
	default:
		return -1;
	}
}

int hy_aead_key_init(struct hy_aead_ctx *ctx, enum hy_aead_backend b,
		     const uint8_t key[HY_KEY_LEN])
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->backend = b;
	switch (b) {
	case HY_AEAD_OPENSSL:
		return hy_aead_openssl_key_init(ctx, key);
	case HY_AEAD_IPSECMB:
		return hy_aead_ipsecmb_key_init(ctx, key);
	default:
		return -1;
	}
}

void hy_aead_key_wipe(struct hy_aead_ctx *ctx)
{
	/* OPENSSL_cleanse is not optimised away like a plain memset. */
	OPENSSL_cleanse(ctx, sizeof(*ctx));
}

int hy_aead_seal(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[HY_TAG_LEN])
{
	switch (ctx->backend) {
	case HY_AEAD_IPSECMB:
		return hy_aead_ipsecmb_seal(ctx, nonce, aad, aad_len, pt, len, ct, tag);
	case HY_AEAD_OPENSSL:
		return hy_aead_openssl_seal(ctx, nonce, aad, aad_len, pt, len, ct, tag);
	default:
		return -1;
	}
}

int hy_aead_open(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[HY_TAG_LEN])
{
	switch (ctx->backend) {
	case HY_AEAD_IPSECMB:
		return hy_aead_ipsecmb_open(ctx, nonce, aad, aad_len, ct, len, pt, tag);
	case HY_AEAD_OPENSSL:
		return hy_aead_openssl_open(ctx, nonce, aad, aad_len, ct, len, pt, tag);
	default:
		return -1;
	}
}

void hy_aead_thread_release(void)
{
	hy_aead_openssl_thread_release();
	hy_aead_ipsecmb_thread_release();
}

