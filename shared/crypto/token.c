/* SPDX-License-Identifier: BSD-3-Clause
 * Connect token encoding, sealing and opening.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "common/wire.h"
#include "crypto/random.h"
#include "crypto/token.h"

_Static_assert(HY_TOKEN_LEN == 152, "token size is part of the protocol");
_Static_assert(8 + 1 + 1 + 2 + 2 * HY_KEY_LEN + HY_UID_MAX == HY_TOKEN_PRIVATE_LEN,
	       "private layout");
_Static_assert(1 + 1 + 2 + 4 + 8 + HY_NONCE_LEN == HY_TOKEN_PUBLIC_LEN, "public layout");

static void encode_public(const struct hy_token_public *pub, uint8_t out[HY_TOKEN_PUBLIC_LEN])
{
	struct hy_wr w;
	hy_wr_init(&w, out, HY_TOKEN_PUBLIC_LEN);
	hy_wr_u8(&w, pub->version);
	hy_wr_u8(&w, pub->key_id);
	hy_wr_u16(&w, pub->reserved);
	hy_wr_u32(&w, pub->node_id);
	hy_wr_u64(&w, pub->expire_at);
	hy_wr_bytes(&w, pub->nonce, HY_NONCE_LEN);
}

static void encode_private(const struct hy_token_private *priv,
			   uint8_t out[HY_TOKEN_PRIVATE_LEN])
{
	struct hy_wr w;
	uint8_t uid[HY_UID_MAX] = {0};
	memcpy(uid, priv->uid, priv->uid_len);
	hy_wr_init(&w, out, HY_TOKEN_PRIVATE_LEN);
	hy_wr_u64(&w, priv->sid);
	hy_wr_u8(&w, priv->transport);
	hy_wr_u8(&w, priv->uid_len);
	hy_wr_u16(&w, 0);
	hy_wr_bytes(&w, priv->c2s_key, HY_KEY_LEN);
	hy_wr_bytes(&w, priv->s2c_key, HY_KEY_LEN);
	hy_wr_bytes(&w, uid, HY_UID_MAX);
}

static int transport_ok(uint8_t t)
{
	return t == HY_TRANSPORT_UDP || t == HY_TRANSPORT_TCP;
}

/* uid_len in range, uid bytes nonzero (so the uid is also a C string). */
static int uid_ok(const uint8_t *uid, size_t len)
{
	if (len < 1 || len > HY_UID_MAX)
		return 0;
	return memchr(uid, 0, len) == NULL;
}

static int private_ok(const struct hy_token_private *p)
{
	return p->sid != 0 && transport_ok(p->transport) &&
	       uid_ok((const uint8_t *)p->uid, p->uid_len);
}

int hy_token_seal_raw(const struct hy_aead_ctx *cluster_key, const struct hy_token_public *pub,
		      const uint8_t plain[HY_TOKEN_PRIVATE_LEN], uint8_t out[HY_TOKEN_LEN])
{
	encode_public(pub, out);
	if (hy_aead_seal(cluster_key, pub->nonce, out, HY_TOKEN_PUBLIC_LEN, plain,
			 HY_TOKEN_PRIVATE_LEN, out + HY_TOKEN_OFF_PRIVATE,
			 out + HY_TOKEN_OFF_TAG) != 0) {
		memset(out, 0, HY_TOKEN_LEN);
		return -1;
	}
	return 0;
}

int hy_token_seal_nonce(const struct hy_aead_ctx *cluster_key, uint8_t key_id,
			uint32_t node_id, uint64_t expire_at,
			const uint8_t nonce[HY_NONCE_LEN],
			const struct hy_token_private *priv, uint8_t out[HY_TOKEN_LEN])
{
	if (!private_ok(priv)) {
		memset(out, 0, HY_TOKEN_LEN);
		return -1;
	}
	struct hy_token_public pub = {
		.version = HY_TOKEN_VERSION,
		.key_id = key_id,
		.node_id = node_id,
		.expire_at = expire_at,
	};
	memcpy(pub.nonce, nonce, HY_NONCE_LEN);
	uint8_t plain[HY_TOKEN_PRIVATE_LEN];
	encode_private(priv, plain);
	int rc = hy_token_seal_raw(cluster_key, &pub, plain, out);
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

int hy_token_seal(const struct hy_aead_ctx *cluster_key, uint8_t key_id, uint32_t node_id,
		  uint64_t expire_at, const struct hy_token_private *priv,
		  uint8_t out[HY_TOKEN_LEN])
{
	/* 96 random bits per token: with 2^32 tokens per cluster key the
	 * chance of a repeated nonce stays below 2^-32; rotate key_id well
	 * before that. */
	uint8_t nonce[HY_NONCE_LEN];
	if (hy_random_bytes(nonce, sizeof(nonce)) != 0) {
		memset(out, 0, HY_TOKEN_LEN);
		return -1;
	}
	return hy_token_seal_nonce(cluster_key, key_id, node_id, expire_at, nonce, priv, out);
}

enum hy_reason hy_token_peek_public(const uint8_t *in, size_t len, struct hy_token_public *pub)
{
	memset(pub, 0, sizeof(*pub));
	if (len < HY_TOKEN_LEN)
		return HY_R_TRUNCATED;
	if (len > HY_TOKEN_LEN)
		return HY_R_OVERSIZED;
	struct hy_rd r;
	hy_rd_init(&r, in, HY_TOKEN_PUBLIC_LEN);
	pub->version = hy_rd_u8(&r);
	pub->key_id = hy_rd_u8(&r);
	pub->reserved = hy_rd_u16(&r);
	pub->node_id = hy_rd_u32(&r);
	pub->expire_at = hy_rd_u64(&r);
	hy_rd_bytes(&r, pub->nonce, HY_NONCE_LEN);
	if (pub->version != HY_TOKEN_VERSION)
		return HY_R_BAD_VERSION;
	if (pub->reserved != 0)
		return HY_R_RESERVED_SET;
	return HY_R_OK;
}

/* Parses the decrypted private part; checks after the tag verified. */
static enum hy_reason decode_private(const uint8_t plain[HY_TOKEN_PRIVATE_LEN],
				     struct hy_token_private *priv)
{
	struct hy_rd r;
	hy_rd_init(&r, plain, HY_TOKEN_PRIVATE_LEN);
	priv->sid = hy_rd_u64(&r);
	priv->transport = hy_rd_u8(&r);
	priv->uid_len = hy_rd_u8(&r);
	uint16_t reserved = hy_rd_u16(&r);
	hy_rd_bytes(&r, priv->c2s_key, HY_KEY_LEN);
	hy_rd_bytes(&r, priv->s2c_key, HY_KEY_LEN);
	const uint8_t *uid = hy_rd_view(&r, HY_UID_MAX);

	if (priv->sid == 0)
		return HY_R_ZERO_SESSION;
	if (!transport_ok(priv->transport))
		return HY_R_BAD_TYPE;
	if (!uid_ok(uid, priv->uid_len))
		return HY_R_TOKEN_BAD_UID;
	for (size_t i = priv->uid_len; i < HY_UID_MAX; i++)
		if (uid[i] != 0)
			return HY_R_TOKEN_BAD_UID;
	if (reserved != 0)
		return HY_R_RESERVED_SET;
	memcpy(priv->uid, uid, priv->uid_len);
	priv->uid[priv->uid_len] = '\0';
	return HY_R_OK;
}

enum hy_reason hy_token_open(const struct hy_aead_ctx *const keys[], size_t n_keys,
			     uint32_t my_node_id, uint64_t now, const uint8_t in[HY_TOKEN_LEN],
			     struct hy_token_public *pub, struct hy_token_private *priv)
{
	memset(priv, 0, sizeof(*priv));
	enum hy_reason rc = hy_token_peek_public(in, HY_TOKEN_LEN, pub);
	if (rc != HY_R_OK)
		return rc;
	if (pub->key_id >= n_keys || keys[pub->key_id] == NULL)
		return HY_R_TOKEN_BAD_KEY_ID;
	if (pub->node_id != my_node_id)
		return HY_R_TOKEN_WRONG_NODE;
	if (now >= pub->expire_at)
		return HY_R_TOKEN_EXPIRED;

	uint8_t plain[HY_TOKEN_PRIVATE_LEN];
	if (hy_aead_open(keys[pub->key_id], pub->nonce, in, HY_TOKEN_PUBLIC_LEN,
			 in + HY_TOKEN_OFF_PRIVATE, HY_TOKEN_PRIVATE_LEN, plain,
			 in + HY_TOKEN_OFF_TAG) != 0) {
		OPENSSL_cleanse(plain, sizeof(plain));
		return HY_R_AUTH_FAILED;
	}
	rc = decode_private(plain, priv);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (rc != HY_R_OK)
		OPENSSL_cleanse(priv, sizeof(*priv));
	return rc;
}

int hy_token_mint(const struct hy_aead_ctx *cluster_key, uint8_t key_id, uint32_t node_id,
		  uint64_t expire_at, const char *uid, uint8_t transport,
		  struct hy_credentials *out)
{
	struct hy_token_private priv;
	memset(out, 0, sizeof(*out));
	memset(&priv, 0, sizeof(priv));
	size_t uid_len = uid != NULL ? strnlen(uid, HY_UID_MAX + 1) : 0;
	if (uid_len < 1 || uid_len > HY_UID_MAX || !transport_ok(transport))
		return -1;
	do {
		if (hy_random_bytes(&priv.sid, sizeof(priv.sid)) != 0)
			goto fail;
	} while (priv.sid == 0);
	if (hy_random_bytes(priv.c2s_key, HY_KEY_LEN) != 0 ||
	    hy_random_bytes(priv.s2c_key, HY_KEY_LEN) != 0)
		goto fail;
	priv.transport = transport;
	priv.uid_len = (uint8_t)uid_len;
	memcpy(priv.uid, uid, uid_len);
	if (hy_token_seal(cluster_key, key_id, node_id, expire_at, &priv, out->token) != 0)
		goto fail;

	out->sid = priv.sid;
	out->transport = transport;
	out->key_id = key_id;
	out->uid_len = priv.uid_len;
	out->node_id = node_id;
	out->expire_at = expire_at;
	memcpy(out->c2s_key, priv.c2s_key, HY_KEY_LEN);
	memcpy(out->s2c_key, priv.s2c_key, HY_KEY_LEN);
	memcpy(out->uid, priv.uid, uid_len + 1);
	OPENSSL_cleanse(&priv, sizeof(priv));
	return 0;
fail:
	OPENSSL_cleanse(&priv, sizeof(priv));
	memset(out, 0, sizeof(*out));
	return -1;
}
