/* SPDX-License-Identifier: BSD-3-Clause
 * Stateless challenge cookie (CHALLENGE, echoed back in RESPONSE).
 *
 * cookie = issued_at u32 | serial u32 | tag [16], where tag is AES-128-GCM
 * over an empty plaintext (GMAC) under a node-local cookie key with
 *   nonce = "HYCK" | issued_at u32 | serial u32
 *   aad   = family u8 | addr [16] | port u16 | token nonce [12] | node_id u32
 * The node keeps no state per challenge: the RESPONSE proves the client
 * receives at the address it claims, for this token, recently.
 */
#ifndef HY_CRYPTO_COOKIE_H
#define HY_CRYPTO_COOKIE_H

#include <stdint.h>
#include <stddef.h>

#include "common/reason.h"
#include "crypto/aead.h"
#include "proto/limits.h"

/* Seconds a cookie stays valid (and the previous cookie key with it). */
#define HY_COOKIE_LIFETIME_S 10u
#define HY_COOKIE_AAD_LEN (1u + 16u + 2u + HY_NONCE_LEN + 4u)

/* A client's transport address.  family is 4 or 6; for IPv4 only addr[0..3]
 * count (the rest is treated as zero whatever it holds); port host order. */
struct hy_cookie_addr {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

/* Writes the 24-byte cookie for (addr, token nonce, token node id).  serial
 * must never repeat under one cookie key (it makes the GCM nonce unique).
 * Returns 0, or -1 if addr->family is neither 4 nor 6 or the AEAD failed. */
int hy_cookie_make(const struct hy_aead_ctx *ctx, uint32_t issued_at, uint32_t serial,
		   const struct hy_cookie_addr *addr, const uint8_t token_nonce[HY_NONCE_LEN],
		   uint32_t node_id, uint8_t out[HY_COOKIE_LEN]);

/* Verifies a cookie of len bytes.  Returns HY_R_OK; TRUNCATED or OVERSIZED
 * when len != HY_COOKIE_LEN; COOKIE_EXPIRED unless now - lifetime_s <=
 * issued_at <= now + 1 (one second of slack for clocks on another core);
 * COOKIE_BAD when the tag does not verify or the family is unknown.  The
 * time is checked first: it is cheap and needs no key. */
enum hy_reason hy_cookie_check(const struct hy_aead_ctx *ctx, uint32_t lifetime_s,
			       uint64_t now, const uint8_t *cookie, size_t len,
			       const struct hy_cookie_addr *addr,
			       const uint8_t token_nonce[HY_NONCE_LEN], uint32_t node_id);

#endif /* HY_CRYPTO_COOKIE_H */
