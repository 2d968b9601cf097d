/* SPDX-License-Identifier: BSD-3-Clause
 * Internal interface between aead.c (dispatch) and the two backends.
 * Not installed, not for callers outside shared/crypto/.
 */
#ifndef HY_CRYPTO_AEAD_IMPL_H
#define HY_CRYPTO_AEAD_IMPL_H

#include "crypto/aead.h"

int hy_aead_openssl_available(void);
void hy_aead_openssl_thread_release(void);
int hy_aead_openssl_key_init(struct hy_aead_ctx *ctx, const uint8_t key[HY_KEY_LEN]);
int hy_aead_openssl_seal(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[HY_TAG_LEN]);
int hy_aead_openssl_open(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[HY_TAG_LEN]);

int hy_aead_ipsecmb_available(void);
void hy_aead_ipsecmb_thread_release(void);
int hy_aead_ipsecmb_key_init(struct hy_aead_ctx *ctx, const uint8_t key[HY_KEY_LEN]);
int hy_aead_ipsecmb_seal(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[HY_TAG_LEN]);
int hy_aead_ipsecmb_open(const struct hy_aead_ctx *ctx, const uint8_t nonce[HY_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[HY_TAG_LEN]);

#endif /* HY_CRYPTO_AEAD_IMPL_H */
