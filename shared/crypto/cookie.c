/* SPDX-License-Identifier: BSD-3-Clause
 * Challenge cookie: a GMAC over the client's address and token identity.
 */
#include <string.h>

#include "common/wire.h"
#include "crypto/cookie.h"

_Static_assert(HY_COOKIE_LEN == 4 + 4 + HY_TAG_LEN, "cookie layout");

static void make_nonce(uint8_t nonce[HY_NONCE_LEN], uint32_t issued_at, uint32_t serial)
{
	struct hy_wr w;
	hy_wr_init(&w, nonce, HY_NONCE_LEN);
	hy_wr_bytes(&w, "HYCK", 4);
	hy_wr_u32(&w, issued_at);
	hy_wr_u32(&w, serial);
}

/* Returns 0, or -1 for an unknown family. */
static int make_aad(uint8_t aad[HY_COOKIE_AAD_LEN], const struct hy_cookie_addr *a,
		    const uint8_t token_nonce[HY_NONCE_LEN], uint32_t node_id)
{
	uint8_t ip[16] = {0};
	if (a->family == 4)
		memcpy(ip, a->addr, 4);
	else if (a->family == 6)
		memcpy(ip, a->addr, 16);
	else
		return -1;
	struct hy_wr w;
	hy_wr_init(&w, aad, HY_COOKIE_AAD_LEN);
	hy_wr_u8(&w, a->family);
	hy_wr_bytes(&w, ip, sizeof(ip));
	hy_wr_u16(&w, a->port);
	hy_wr_bytes(&w, token_nonce, HY_NONCE_LEN);
	hy_wr_u32(&w, node_id);
	return 0;
}

int hy_cookie_make(const struct hy_aead_ctx *ctx, uint32_t issued_at, uint32_t serial,
		   const struct hy_cookie_addr *addr, const uint8_t token_nonce[HY_NONCE_LEN],
		   uint32_t node_id, uint8_t out[HY_COOKIE_LEN])
{
	uint8_t nonce[HY_NONCE_LEN], aad[HY_COOKIE_AAD_LEN];
	memset(out, 0, HY_COOKIE_LEN);
	if (make_aad(aad, addr, token_nonce, node_id) != 0)
		return -1;
	make_nonce(nonce, issued_at, serial);
	struct hy_wr w;
	hy_wr_init(&w, out, HY_COOKIE_LEN);
	hy_wr_u32(&w, issued_at);
	hy_wr_u32(&w, serial);
	if (hy_aead_seal(ctx, nonce, aad, sizeof(aad), NULL, 0, NULL, out + 8) != 0) {
		memset(out, 0, HY_COOKIE_LEN);
		return -1;
	}
	return 0;
}

enum hy_reason hy_cookie_check(const struct hy_aead_ctx *ctx, uint32_t lifetime_s,
			       uint64_t now, const uint8_t *cookie, size_t len,
			       const struct hy_cookie_addr *addr,
			       const uint8_t token_nonce[HY_NONCE_LEN], uint32_t node_id)
{
	if (len < HY_COOKIE_LEN)
		return HY_R_TRUNCATED;
	if (len > HY_COOKIE_LEN)
		return HY_R_OVERSIZED;
	struct hy_rd r;
	hy_rd_init(&r, cookie, HY_COOKIE_LEN);
	uint64_t issued_at = hy_rd_u32(&r);
	uint32_t serial = hy_rd_u32(&r);
	const uint8_t *tag = hy_rd_view(&r, HY_TAG_LEN);
	/* Written without subtraction so nothing wraps near 0 or 2^64. */
	if (issued_at + lifetime_s < now || issued_at > now + 1)
		return HY_R_COOKIE_EXPIRED;

	uint8_t nonce[HY_NONCE_LEN], aad[HY_COOKIE_AAD_LEN];
	if (make_aad(aad, addr, token_nonce, node_id) != 0)
		return HY_R_COOKIE_BAD;
	make_nonce(nonce, (uint32_t)issued_at, serial);
	if (hy_aead_open(ctx, nonce, aad, sizeof(aad), NULL, 0, NULL, tag) != 0)
		return HY_R_COOKIE_BAD;
	return HY_R_OK;
}
