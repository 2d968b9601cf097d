/* SPDX-License-Identifier: BSD-3-Clause
 * Command, response and ECHO codecs.
 */
#include "proto/message.h"

#include <stddef.h>
#include <string.h>

#include "common/wire.h"

const char *hy_status_name(unsigned status)
{
	switch (status) {
	case HY_STATUS_OK:
		return "OK";
	case HY_STATUS_BAD:
		return "BAD";
	case HY_STATUS_ERR:
		return "ERR";
	case HY_STATUS_PUSH:
		return "PUSH";
	default:
		return "UNKNOWN";
	}
}

static int status_known(unsigned status)
{
	return status == HY_STATUS_OK || status == HY_STATUS_BAD ||
	       status == HY_STATUS_ERR || status == HY_STATUS_PUSH;
}

/* ver, cmd and status in one 8-byte store.  Callers test ver and cmd
 * together right away (the data plane's ECHO check), which the compiler
 * makes one 4-byte load; over two narrower stores still in flight that load
 * cannot be forwarded and waits (2% of a relaying worker). */
static void put_head(struct hy_msg *out, uint8_t ver, uint16_t cmd, uint8_t status)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	_Static_assert(offsetof(struct hy_msg, ver) == 0 && offsetof(struct hy_msg, cmd) == 2 &&
		       offsetof(struct hy_msg, status) == 4 && offsetof(struct hy_msg, payload) == 8,
		       "put_head() writes the first 8 bytes of struct hy_msg");
	uint64_t head = (uint64_t)ver | (uint64_t)cmd << 16 | (uint64_t)status << 32;

	memcpy(out, &head, sizeof(head));
#else
	out->ver = ver;
	out->cmd = cmd;
	out->status = status;
#endif
}

static enum hy_reason msg_decode(const uint8_t *buf, size_t len, struct hy_msg *out,
				 int with_status)
{
	if (len > HY_MAX_MESSAGE)
		return HY_R_MESSAGE_TOO_LARGE;
	struct hy_rd r;
	hy_rd_init(&r, buf, len);
	uint8_t ver = hy_rd_u8(&r);
	uint16_t cmd = hy_rd_u16(&r);
	uint8_t status = with_status ? hy_rd_u8(&r) : 0;
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (with_status && !status_known(status))
		return HY_R_BAD_MESSAGE_KIND;
	put_head(out, ver, cmd, status);
	out->len = hy_rd_left(&r);
	out->payload = hy_rd_ptr(&r);
	return HY_R_OK;
}

enum hy_reason hy_msg_cmd_decode(const uint8_t *buf, size_t len, struct hy_msg *out)
{
	return msg_decode(buf, len, out, 0);
}

enum hy_reason hy_msg_resp_decode(const uint8_t *buf, size_t len, struct hy_msg *out)
{
	return msg_decode(buf, len, out, 1);
}

static size_t msg_encode(uint8_t *out, size_t cap, size_t hdr, uint8_t ver, uint16_t cmd,
			 uint8_t status, const void *payload, size_t len)
{
	if (len > HY_MAX_MESSAGE - hdr || hdr + len > cap || (len > 0 && payload == NULL))
		return 0;
	/* Payload first: it may sit where the header goes. */
	if (len > 0)
		memmove(out + hdr, payload, len);
	struct hy_wr w;
	hy_wr_init(&w, out, hdr);
	hy_wr_u8(&w, ver);
	hy_wr_u16(&w, cmd);
	if (hdr == HY_MSG_RESP_HDR)
		hy_wr_u8(&w, status);
	return hy_wr_ok(&w) ? hdr + len : 0;
}

size_t hy_msg_cmd_encode(uint8_t *out, size_t cap, uint8_t ver, uint16_t cmd,
			 const void *payload, size_t len)
{
	return msg_encode(out, cap, HY_MSG_CMD_HDR, ver, cmd, 0, payload, len);
}

size_t hy_msg_resp_encode(uint8_t *out, size_t cap, uint8_t ver, uint16_t cmd,
			  uint8_t status, const void *payload, size_t len)
{
	if (!status_known(status))
		return 0;
	return msg_encode(out, cap, HY_MSG_RESP_HDR, ver, cmd, status, payload, len);
}

enum hy_reason hy_echo_req_decode(const uint8_t *buf, size_t len, uint64_t *client_time)
{
	struct hy_rd r;
	hy_rd_init(&r, buf, len);
	uint64_t t = hy_rd_u64(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (hy_rd_left(&r) != 0)
		return HY_R_TRAILING_BYTES;
	*client_time = t;
	return HY_R_OK;
}

size_t hy_echo_req_encode(uint8_t *out, size_t cap, uint64_t client_time)
{
	struct hy_wr w;
	hy_wr_init(&w, out, cap);
	hy_wr_u64(&w, client_time);
	return hy_wr_ok(&w) ? w.off : 0;
}

static int node_state_known(unsigned s)
{
	return s == HY_NODE_ONLINE || s == HY_NODE_OFFLINE;
}

static size_t addr_len(unsigned family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

enum hy_reason hy_echo_resp_decode(const uint8_t *buf, size_t len, struct hy_echo_resp *out)
{
	struct hy_rd r;
	hy_rd_init(&r, buf, len);
	uint8_t state = hy_rd_u8(&r);
	uint64_t t = hy_rd_u64(&r);
	uint8_t family = hy_rd_u8(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (!node_state_known(state) || addr_len(family) == 0)
		return HY_R_BAD_TYPE;
	struct hy_echo_resp v = {.node_state = state, .client_time = t};
	v.addr.family = family;
	hy_rd_bytes(&r, v.addr.addr, addr_len(family));
	v.addr.port = hy_rd_u16(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (hy_rd_left(&r) != 0)
		return HY_R_TRAILING_BYTES;
	*out = v;
	return HY_R_OK;
}

size_t hy_echo_resp_encode(uint8_t *out, size_t cap, const struct hy_echo_resp *in)
{
	size_t alen = addr_len(in->addr.family);
	if (!node_state_known(in->node_state) || alen == 0)
		return 0;
	/* Bytes 4..15 of an IPv4 address are not on the wire; refuse to
	 * silently drop anything there. */
	for (size_t i = alen; i < sizeof(in->addr.addr); i++)
		if (in->addr.addr[i] != 0)
			return 0;
	struct hy_wr w;
	hy_wr_init(&w, out, cap);
	hy_wr_u8(&w, in->node_state);
	hy_wr_u64(&w, in->client_time);
	hy_wr_u8(&w, in->addr.family);
	hy_wr_bytes(&w, in->addr.addr, alen);
	hy_wr_u16(&w, in->addr.port);
	return hy_wr_ok(&w) ? w.off : 0;
}
