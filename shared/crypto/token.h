/* SPDX-License-Identifier: BSD-3-Clause
 * Connect token: minted and sealed by the HTTP tier under a cluster key,
 * carried by CONNECT and RESPONSE, opened by the one node it names.
 *
 * Layout (HY_TOKEN_LEN = 152 bytes, big-endian; docs/protocol.md):
 *   public  [28]  version u8 | key_id u8 | reserved u16 | node_id u32 |
 *                 expire_at u64 | nonce [12]          (the AEAD's AAD)
 *   private [108] sid u64 | transport u8 | uid_len u8 | reserved u16 |
 *                 c2s_key [16] | s2c_key [16] | uid [64] (AES-128-GCM)
 *   tag     [16]
 * Single use is enforced by the node (it remembers opened sids until their
 * expiry), not here.
 */
#ifndef HY_CRYPTO_TOKEN_H
#define HY_CRYPTO_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "crypto/aead.h"
#include "proto/limits.h"


/* Offsets inside the 152 bytes, for tools, tests and docs. */
#define HY_TOKEN_OFF_PRIVATE HY_TOKEN_PUBLIC_LEN
#define HY_TOKEN_OFF_TAG (HY_TOKEN_PUBLIC_LEN + HY_TOKEN_PRIVATE_LEN)

struct hy_token_public {
	uint8_t version;   /* HY_TOKEN_VERSION */
	uint8_t key_id;    /* index of the cluster key that sealed it */
	uint16_t reserved; /* zero */
	uint32_t node_id;  /* the only node that accepts it */
	uint64_t expire_at; /* unix seconds; refused when now >= expire_at */
	uint8_t nonce[HY_NONCE_LEN];
};

struct hy_token_private {
	uint64_t sid;      /* session id, nonzero */
	uint8_t transport; /* enum hy_transport */
	uint8_t uid_len;   /* 1..HY_UID_MAX */
	uint8_t c2s_key[HY_KEY_LEN]; /* client -> server packets */
	uint8_t s2c_key[HY_KEY_LEN]; /* server -> client packets */
	char uid[HY_UID_MAX + 1];    /* uid_len bytes, none zero, then NUL */
};

/* What the HTTP tier hands a client (and tests and tools use). */
struct hy_credentials {
	uint64_t sid;
	uint8_t transport;
	uint8_t key_id;
	uint8_t uid_len;
	uint32_t node_id;
	uint64_t expire_at;
	uint8_t c2s_key[HY_KEY_LEN];
	uint8_t s2c_key[HY_KEY_LEN];
	char uid[HY_UID_MAX + 1];
	uint8_t token[HY_TOKEN_LEN];
};

/* Seals priv under cluster_key with a fresh random nonce and writes the
 * 152 token bytes to out.  priv must pass the same checks hy_token_open()
 * applies (nonzero sid, known transport, uid_len 1..64 with no zero byte
 * in uid).  Returns 0, or -1 if priv is invalid or randomness or the AEAD
 * failed (out is then zeroed). */
int hy_token_seal(const struct hy_aead_ctx *cluster_key, uint8_t key_id, uint32_t node_id,
		  uint64_t expire_at, const struct hy_token_private *priv,
		  uint8_t out[HY_TOKEN_LEN]);

/* As hy_token_seal() with a caller-chosen nonce: for test vectors only (a
 * repeated nonce under one cluster key breaks GCM). */
int hy_token_seal_nonce(const struct hy_aead_ctx *cluster_key, uint8_t key_id,
			uint32_t node_id, uint64_t expire_at,
			const uint8_t nonce[HY_NONCE_LEN],
			const struct hy_token_private *priv, uint8_t out[HY_TOKEN_LEN]);

/* Seals arbitrary public fields and private plaintext without validating
 * either: for tests and fuzzing that need malformed but authentic tokens. */
int hy_token_seal_raw(const struct hy_aead_ctx *cluster_key, const struct hy_token_public *pub,
		      const uint8_t plain[HY_TOKEN_PRIVATE_LEN], uint8_t out[HY_TOKEN_LEN]);

/* Parses the public part without keys (e.g. to pick the cluster key or to
 * route by node).  Checks, in order: length (TRUNCATED / OVERSIZED),
 * version (BAD_VERSION), reserved (RESERVED_SET).  pub is filled from
 * whatever was readable, zeroed when len is wrong. */
enum hy_reason hy_token_peek_public(const uint8_t *in, size_t len, struct hy_token_public *pub);

/* Opens a token.  keys[key_id] is the cluster key for that id (NULL when
 * the id is not, or no longer, valid); n_keys bounds the array.  Checks in
 * the protocol's order, each with its own reason: version, reserved,
 * key_id (TOKEN_BAD_KEY_ID), node (TOKEN_WRONG_NODE), expiry
 * (TOKEN_EXPIRED), tag (AUTH_FAILED), then the plaintext: sid
 * (ZERO_SESSION), transport (BAD_TYPE), uid (TOKEN_BAD_UID), reserved
 * (RESERVED_SET).  pub is filled once the public part parsed; priv only
 * on HY_R_OK (it is zeroed otherwise, so no key leaks from a refusal). */
enum hy_reason hy_token_open(const struct hy_aead_ctx *const keys[], size_t n_keys,
			     uint32_t my_node_id, uint64_t now, const uint8_t in[HY_TOKEN_LEN],
			     struct hy_token_public *pub, struct hy_token_private *priv);

/* Mints credentials: random nonzero sid, random c2s/s2c keys, then seals.
 * uid is a NUL-terminated string of 1..64 bytes.  Returns 0, or -1 on a
 * bad argument or a failed random source (out is then zeroed). */
int hy_token_mint(const struct hy_aead_ctx *cluster_key, uint8_t key_id, uint32_t node_id,
		  uint64_t expire_at, const char *uid, uint8_t transport,
		  struct hy_credentials *out);

#endif /* HY_CRYPTO_TOKEN_H */
