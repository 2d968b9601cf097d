/* SPDX-License-Identifier: BSD-3-Clause
 * Sealing and opening of ACCEPT, DENY, DISCONNECT and DATA, and the codecs
 * of their fixed bodies.  The crypto itself is the AEAD module's.
 */
#include "proto/seal.h"

#include <stdint.h>
#include <string.h>

#include "common/wire.h"

_Static_assert(HY_DATA_HEADER_LEN == 17, "header layout as designed");

/* Body length allowed for a sealed type (the size table lives in
 * packet.c; this is the same numbers seen from the plaintext). */
static int body_len_ok(enum hy_pkt_type type, size_t len)
{
	size_t min, max;
	if (!hy_pkt_type_is_sealed(type))
		return 0;
	hy_pkt_size_bounds(type, &min, &max);
	return len >= min - HY_DATA_OVERHEAD && len <= max - HY_DATA_OVERHEAD;
}

size_t hy_pkt_seal(const struct hy_aead_ctx *ctx, enum hy_pkt_type type, uint64_t sid,
		   uint64_t pn, const uint8_t *pt, size_t len, uint8_t *out, size_t cap)
{
	/* what hy_pkt_header_encode() would refuse, refused before any byte
	 * of out is written */
	if (!body_len_ok(type, len) || cap < HY_DATA_OVERHEAD + len || sid == 0)
		return 0;
	const struct hy_pkt_header h = {.type = type, .sid = sid, .pn = pn};
	uint8_t *ct = out + HY_DATA_HEADER_LEN;
	const uint8_t *src = pt;
	/* The AEAD takes ct == pt or disjoint buffers.  A body overlapping
	 * the output any other way (header or tag bytes included) is moved to
	 * its final place first. */
	uintptr_t p0 = (uintptr_t)pt, o0 = (uintptr_t)out;
	if (len > 0 && pt != ct && p0 < o0 + HY_DATA_OVERHEAD + len && o0 < p0 + len) {
		memmove(ct, pt, len);
		src = ct;
	}
	/* written in place once the body has moved out of its way */
	hy_pkt_header_encode(out, HY_DATA_HEADER_LEN, &h);
	uint8_t nonce[HY_NONCE_BUF_LEN];
	hy_aead_packet_nonce(nonce, pn);
	if (hy_aead_seal(ctx, nonce, out, HY_DATA_HEADER_LEN, src, len, ct, ct + len) != 0)
		return 0;
	return HY_DATA_OVERHEAD + len;
}

/* Authenticates and decrypts ct (len bytes, tag right after) into pt. */
static enum hy_reason open_ct(const struct hy_aead_ctx *ctx, const uint8_t *buf, uint64_t pn,
			      size_t ct_len, uint8_t *pt)
{
	uint8_t nonce[HY_NONCE_BUF_LEN];
	const uint8_t *ct = buf + HY_DATA_HEADER_LEN;
	hy_aead_packet_nonce(nonce, pn);
	if (hy_aead_open(ctx, nonce, buf, HY_DATA_HEADER_LEN, ct, ct_len, pt, ct + ct_len) != 0) {
		/* Unauthenticated plaintext must never be looked at. */
		memset(pt, 0, ct_len);
		return HY_R_AUTH_FAILED;
	}
	return HY_R_OK;
}

enum hy_reason hy_pkt_open(const struct hy_aead_ctx *ctx, const uint8_t *buf, size_t len,
			   struct hy_pkt_header *hdr, uint8_t *pt, size_t cap, size_t *pt_len)
{
	struct hy_pkt_header h;
	enum hy_reason why = hy_pkt_header_decode(buf, len, &h);
	if (why != HY_R_OK)
		return why;
	size_t n = len - HY_DATA_OVERHEAD;
	if (cap < n)
		return HY_R_OUT_OF_SPACE;
	why = open_ct(ctx, buf, h.pn, n, pt);
	if (why != HY_R_OK)
		return why;
	*hdr = h;
	*pt_len = n;
	return HY_R_OK;
}

enum hy_reason hy_pkt_open_inplace(const struct hy_aead_ctx *ctx, uint8_t *buf, size_t len,
				   struct hy_pkt_header *hdr, size_t *pt_len)
{
	struct hy_pkt_header h;
	enum hy_reason why = hy_pkt_header_decode(buf, len, &h);
	if (why != HY_R_OK)
		return why;
	why = hy_pkt_open_body(ctx, &h, buf, len, pt_len);
	if (why == HY_R_OK)
		*hdr = h;
	return why;
}

enum hy_reason hy_pkt_open_body(const struct hy_aead_ctx *ctx, const struct hy_pkt_header *hdr,
				uint8_t *buf, size_t len, size_t *pt_len)
{
	if (len < HY_DATA_OVERHEAD)
		return HY_R_TRUNCATED;
	size_t n = len - HY_DATA_OVERHEAD;
	enum hy_reason why = open_ct(ctx, buf, hdr->pn, n, buf + HY_DATA_HEADER_LEN);
	if (why == HY_R_OK)
		*pt_len = n;
	return why;
}

static const char *const close_names[HY_CLOSE_REASON_MAX] = {
	[HY_CLOSE_SERVER_FULL] = "SERVER_FULL",
	[HY_CLOSE_TOKEN_REUSED] = "TOKEN_REUSED",
	[HY_CLOSE_NODE_DRAINING] = "NODE_DRAINING",
	[HY_CLOSE_KICKED] = "KICKED",
	[HY_CLOSE_IDLE_TIMEOUT] = "IDLE_TIMEOUT",
	[HY_CLOSE_CLIENT_CLOSED] = "CLIENT_CLOSED",
	[HY_CLOSE_PROTOCOL_ERROR] = "PROTOCOL_ERROR",
	[HY_CLOSE_RETRIES_EXHAUSTED] = "RETRIES_EXHAUSTED",
	[HY_CLOSE_SLOW_CONSUMER] = "SLOW_CONSUMER",
};

static int close_known(unsigned reason)
{
	return reason >= HY_CLOSE_SERVER_FULL && reason < HY_CLOSE_REASON_MAX;
}

const char *hy_close_reason_name(unsigned reason)
{
	return close_known(reason) ? close_names[reason] : "UNKNOWN";
}

static int node_state_known(unsigned s)
{
	return s == HY_NODE_ONLINE || s == HY_NODE_OFFLINE;
}

/* Length of a fixed body: short is TRUNCATED, long is TRAILING_BYTES. */
static enum hy_reason fixed_len(size_t len, size_t want)
{
	if (len < want)
		return HY_R_TRUNCATED;
	return len > want ? HY_R_TRAILING_BYTES : HY_R_OK;
}

enum hy_reason hy_accept_decode(const uint8_t *buf, size_t len, struct hy_accept *out)
{
	enum hy_reason why = fixed_len(len, HY_ACCEPT_BODY_LEN);
	if (why != HY_R_OK)
		return why;
	struct hy_rd r;
	hy_rd_init(&r, buf, len);
	struct hy_accept a;
	a.keepalive_ms = hy_rd_u32(&r);
	a.idle_timeout_ms = hy_rd_u32(&r);
	a.max_message = hy_rd_u32(&r);
	a.node_state = hy_rd_u8(&r);
	uint32_t reserved = (uint32_t)hy_rd_u8(&r) << 16;
	reserved |= hy_rd_u16(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (reserved != 0)
		return HY_R_RESERVED_SET;
	if (!node_state_known(a.node_state))
		return HY_R_BAD_TYPE;
	if (a.max_message > HY_MAX_MESSAGE)
		return HY_R_MESSAGE_TOO_LARGE;
	*out = a;
	return HY_R_OK;
}

size_t hy_accept_encode(uint8_t *out, size_t cap, const struct hy_accept *in)
{
	if (!node_state_known(in->node_state) || in->max_message > HY_MAX_MESSAGE)
		return 0;
	struct hy_wr w;
	hy_wr_init(&w, out, cap);
	hy_wr_u32(&w, in->keepalive_ms);
	hy_wr_u32(&w, in->idle_timeout_ms);
	hy_wr_u32(&w, in->max_message);
	hy_wr_u8(&w, in->node_state);
	hy_wr_zeros(&w, 3);
	return hy_wr_ok(&w) ? w.off : 0;
}

enum hy_reason hy_close_decode(const uint8_t *buf, size_t len, enum hy_close_reason *reason)
{
	enum hy_reason why = fixed_len(len, HY_DENY_BODY_LEN);
	if (why != HY_R_OK)
		return why;
	struct hy_rd r;
	hy_rd_init(&r, buf, len);
	uint8_t code = hy_rd_u8(&r);
	uint32_t reserved = (uint32_t)hy_rd_u8(&r) << 16;
	reserved |= hy_rd_u16(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (reserved != 0)
		return HY_R_RESERVED_SET;
	if (!close_known(code))
		return HY_R_BAD_TYPE;
	*reason = (enum hy_close_reason)code;
	return HY_R_OK;
}

size_t hy_close_encode(uint8_t *out, size_t cap, enum hy_close_reason reason)
{
	if (!close_known((unsigned)reason))
		return 0;
	struct hy_wr w;
	hy_wr_init(&w, out, cap);
	hy_wr_u8(&w, (uint8_t)reason);
	hy_wr_zeros(&w, 3);
	return hy_wr_ok(&w) ? w.off : 0;
}
