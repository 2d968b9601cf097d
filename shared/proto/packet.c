/* SPDX-License-Identifier: BSD-3-Clause
 * Datagram-level codecs.  The size table below is the only place that
 * knows how long each packet type may be; classify consults it before
 * any field is read, so no later decoder can run past a short datagram.
 */
#include "proto/packet.h"

#include "common/wire.h"

struct pkt_size {
	const char *name;
	uint16_t min;
	uint16_t max;
};

static const struct pkt_size pkt_sizes[HY_PKT_TYPE_MAX] = {
	[HY_PKT_CONNECT] = {"CONNECT", HY_CONNECT_LEN, HY_CONNECT_LEN},
	[HY_PKT_CHALLENGE] = {"CHALLENGE", HY_CHALLENGE_LEN, HY_CHALLENGE_LEN},
	[HY_PKT_RESPONSE] = {"RESPONSE", HY_CONNECT_LEN, HY_CONNECT_LEN},
	[HY_PKT_ACCEPT] = {"ACCEPT", HY_ACCEPT_PKT_LEN, HY_ACCEPT_PKT_LEN},
	[HY_PKT_DENY] = {"DENY", HY_DENY_PKT_LEN, HY_DENY_PKT_LEN},
	[HY_PKT_DISCONNECT] = {"DISCONNECT", HY_DISCONNECT_PKT_LEN, HY_DISCONNECT_PKT_LEN},
	[HY_PKT_DATA] = {"DATA", HY_DATA_MIN_PKT_LEN, HY_MAX_DATAGRAM},
};

/* Every fixed size is within one datagram, and the anti-amplification
 * rule holds: nothing answered before authentication outgrows CONNECT. */
_Static_assert(HY_CONNECT_LEN <= HY_MAX_DATAGRAM, "CONNECT fits a datagram");
_Static_assert(HY_CHALLENGE_LEN <= HY_CONNECT_LEN, "CHALLENGE no larger than CONNECT");
_Static_assert(HY_CONNECT_PADDING_OFF + HY_CONNECT_PADDING_LEN == HY_CONNECT_LEN,
	       "CONNECT layout adds up");
_Static_assert(HY_CONNECT_PADDING_LEN == 79, "CONNECT padding as designed");
_Static_assert(HY_TOKEN_LEN == 152, "token size as designed");

static inline int type_known(unsigned t)
{
	return t >= HY_PKT_CONNECT && t < HY_PKT_TYPE_MAX;
}

const char *hy_pkt_type_name(enum hy_pkt_type type)
{
	return type_known((unsigned)type) ? pkt_sizes[type].name : "UNKNOWN";
}

const char *hy_node_state_name(unsigned state)
{
	switch (state) {
	case HY_NODE_ONLINE:
		return "ONLINE";
	case HY_NODE_OFFLINE:
		return "OFFLINE";
	default:
		return "UNKNOWN";
	}
}

void hy_pkt_size_bounds(enum hy_pkt_type type, size_t *min, size_t *max)
{
	if (!type_known((unsigned)type)) {
		*min = 0;
		*max = 0;
		return;
	}
	*min = pkt_sizes[type].min;
	*max = pkt_sizes[type].max;
}

enum hy_reason hy_pkt_classify(const uint8_t *buf, size_t len, enum hy_pkt_type *type)
{
	if (len == 0)
		return HY_R_TRUNCATED;
	if (buf[0] >> 4 != HY_PROTO_VERSION)
		return HY_R_BAD_VERSION;
	unsigned t = buf[0] & 0x0fu;
	if (!type_known(t))
		return HY_R_BAD_TYPE;
	if (len < pkt_sizes[t].min || len > pkt_sizes[t].max)
		return HY_R_BAD_PACKET_SIZE;
	*type = (enum hy_pkt_type)t;
	return HY_R_OK;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

enum hy_reason hy_pkt_connect_decode(const uint8_t *buf, size_t len,
				     struct hy_pkt_connect *out)
{
	enum hy_pkt_type type;
	enum hy_reason r = hy_pkt_classify(buf, len, &type);
	if (r != HY_R_OK)
		return r;
	if (type != HY_PKT_CONNECT && type != HY_PKT_RESPONSE)
		return HY_R_BAD_TYPE;

	struct hy_rd rd;
	hy_rd_init(&rd, buf, len);
	(void)hy_rd_u8(&rd);
	hy_rd_bytes(&rd, out->token, HY_TOKEN_LEN);
	hy_rd_bytes(&rd, out->cookie, HY_COOKIE_LEN);
	const uint8_t *pad = hy_rd_view(&rd, HY_CONNECT_PADDING_LEN);
	if (!hy_rd_ok(&rd)) /* unreachable after classify; kept as a guard */
		return HY_R_TRUNCATED;
	if (!all_zero(pad, HY_CONNECT_PADDING_LEN))
		return HY_R_BAD_PADDING;
	/* A CONNECT has no cookie yet; a nonzero one is padding misuse. */
	if (type == HY_PKT_CONNECT && !all_zero(out->cookie, HY_COOKIE_LEN))
		return HY_R_BAD_PADDING;
	out->type = type;
	return HY_R_OK;
}

size_t hy_pkt_connect_encode(uint8_t *out, size_t cap, const struct hy_pkt_connect *in)
{
	if (in->type != HY_PKT_CONNECT && in->type != HY_PKT_RESPONSE)
		return 0;
	if (in->type == HY_PKT_CONNECT && !all_zero(in->cookie, HY_COOKIE_LEN))
		return 0;
	struct hy_wr w;
	hy_wr_init(&w, out, cap);
	hy_wr_u8(&w, hy_pkt_prefix(in->type));
	hy_wr_bytes(&w, in->token, HY_TOKEN_LEN);
	hy_wr_bytes(&w, in->cookie, HY_COOKIE_LEN);
	hy_wr_zeros(&w, HY_CONNECT_PADDING_LEN);
	return hy_wr_ok(&w) ? w.off : 0;
}

enum hy_reason hy_pkt_challenge_decode(const uint8_t *buf, size_t len,
				       struct hy_pkt_challenge *out)
{
	enum hy_pkt_type type;
	enum hy_reason r = hy_pkt_classify(buf, len, &type);
	if (r != HY_R_OK)
		return r;
	if (type != HY_PKT_CHALLENGE)
		return HY_R_BAD_TYPE;
	struct hy_rd rd;
	hy_rd_init(&rd, buf, len);
	(void)hy_rd_u8(&rd);
	hy_rd_bytes(&rd, out->cookie, HY_COOKIE_LEN);
	return hy_rd_ok(&rd) ? HY_R_OK : HY_R_TRUNCATED;
}

size_t hy_pkt_challenge_encode(uint8_t *out, size_t cap, const struct hy_pkt_challenge *in)
{
	struct hy_wr w;
	hy_wr_init(&w, out, cap);
	hy_wr_u8(&w, hy_pkt_prefix(HY_PKT_CHALLENGE));
	hy_wr_bytes(&w, in->cookie, HY_COOKIE_LEN);
	return hy_wr_ok(&w) ? w.off : 0;
}

enum hy_reason hy_pkt_header_decode(const uint8_t *buf, size_t len,
				    struct hy_pkt_header *out)
{
	enum hy_pkt_type type;
	enum hy_reason r = hy_pkt_classify(buf, len, &type);
	if (r != HY_R_OK)
		return r;
	if (!hy_pkt_type_is_sealed(type))
		return HY_R_BAD_TYPE;
	struct hy_rd rd;
	hy_rd_init(&rd, buf, len);
	(void)hy_rd_u8(&rd);
	uint64_t sid = hy_rd_u64(&rd);
	uint64_t pn = hy_rd_u64(&rd);
	if (!hy_rd_ok(&rd))
		return HY_R_TRUNCATED;
	if (sid == 0)
		return HY_R_ZERO_SESSION;
	out->type = type;
	out->sid = sid;
	out->pn = pn;
	return HY_R_OK;
}

size_t hy_pkt_header_encode(uint8_t *out, size_t cap, const struct hy_pkt_header *in)
{
	_Static_assert(HY_DATA_HEADER_LEN == 17, "prefix, sid and pn: 16 bytes and 1");
	if (!hy_pkt_type_is_sealed(in->type) || in->sid == 0 || cap < HY_DATA_HEADER_LEN)
		return 0;
	/* The sealer's cipher reads the header as associated data right
	 * away: 16 bytes in one store, then the last (hy_store16()).  Byte 0
	 * the prefix, 1-8 the sid and 9-16 the packet number, big-endian. */
	hy_store16(out, hy_pkt_prefix(in->type) | __builtin_bswap64(in->sid) << 8,
		   (in->sid & 0xffu) | __builtin_bswap64(in->pn) << 8);
	out[16] = (uint8_t)in->pn;
	return HY_DATA_HEADER_LEN;
}
