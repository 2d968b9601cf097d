/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-loadgen's clients (see lg_client.h): the protocol side, built
 * from the same codecs as the node and the client library.
 */
#include <stdio.h>
#include <string.h>

#include "lg_client.h"

#include "common/wire.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/room_msg.h"
#include "proto/seal.h"

int lg_client_init(struct lg_client *c, unsigned i, const struct hy_aead_ctx *cluster,
		   uint8_t key_id, uint32_t node_id, uint64_t expire_at)
{
	char uid[32];

	memset(c, 0, sizeof(*c));
	snprintf(uid, sizeof(uid), "lg-%u", i);
	if (hy_token_mint(cluster, key_id, node_id, expire_at, uid, HY_TRANSPORT_UDP, &c->cred) < 0)
		return -1;
	/* the node seals with intel-ipsec-mb; so do we, to keep up with it */
	if (hy_aead_key_init(&c->c2s, HY_AEAD_IPSECMB, c->cred.c2s_key) < 0 ||
	    hy_aead_key_init(&c->s2c, HY_AEAD_IPSECMB, c->cred.s2c_key) < 0)
		return -1;
	return 0;
}

size_t lg_client_hello(const struct lg_client *c, bool response, uint8_t *buf, size_t cap)
{
	struct hy_pkt_connect p = {.type = response ? HY_PKT_RESPONSE : HY_PKT_CONNECT};

	memcpy(p.token, c->cred.token, HY_TOKEN_LEN);
	if (response)
		memcpy(p.cookie, c->cookie, HY_COOKIE_LEN);
	return hy_pkt_connect_encode(buf, cap, &p);
}

size_t lg_client_command(struct lg_client *c, uint8_t ver, uint16_t cmd, const void *payload,
			 size_t len, uint8_t *buf, size_t cap)
{
	uint8_t msg[HY_MAX_PAYLOAD], pt[HY_MAX_PAYLOAD];
	size_t m = hy_msg_cmd_encode(msg, sizeof(msg), ver, cmd, payload, len);
	struct hy_wr w;

	hy_wr_init(&w, pt, sizeof(pt));
	if (m == 0 || !hy_frame_put_unreliable(&w, msg, m))
		return 0;
	if (c->ack_owed) {
		const struct hy_seq_range run = {.hi = c->ack_hi, .lo = c->ack_lo};

		if (hy_frame_put_ack(&w, 0, &run, 1))
			c->ack_owed = 0;
	}
	return hy_pkt_seal(&c->c2s, HY_PKT_DATA, c->cred.sid, c->pn++, pt, w.off, buf, cap);
}

/* A reliable unit arrived: it extends the run being acknowledged, or (out
 * of order, after a loss) starts a new one; the node resends whatever an
 * ACK does not cover. */
static void ack_note(struct lg_client *c, uint32_t seq)
{
	if (c->ack_any && seq == c->ack_hi + 1 && seq - c->ack_lo < UINT16_MAX)
		c->ack_hi = seq;
	else if (!c->ack_any || seq < c->ack_lo || seq > c->ack_hi)
		c->ack_lo = c->ack_hi = seq;
	c->ack_any = 1;
	c->ack_owed = 1;
}

int lg_client_input(struct lg_client *c, uint8_t *buf, size_t len,
		    void (*on_event)(void *arg, struct lg_client *c, const struct lg_event *ev),
		    void *arg)
{
	struct lg_event ev = {0};
	struct hy_pkt_header h;
	struct hy_pkt_challenge ch;
	struct hy_frame f;
	struct hy_msg m;
	struct hy_rd rd;
	size_t pt_len;
	int n = 0;

	if (len == HY_CHALLENGE_LEN && buf[0] == hy_pkt_prefix(HY_PKT_CHALLENGE)) {
		if (hy_pkt_challenge_decode(buf, len, &ch) != HY_R_OK)
			return -1;
		memcpy(c->cookie, ch.cookie, HY_COOKIE_LEN);
		ev.kind = LG_EV_CHALLENGE;
		on_event(arg, c, &ev);
		return 1;
	}
	if (hy_pkt_header_decode(buf, len, &h) != HY_R_OK || h.sid != c->cred.sid ||
	    hy_pkt_open_inplace(&c->s2c, buf, len, &h, &pt_len) != HY_R_OK)
		return -1;
	switch (h.type) {
	case HY_PKT_ACCEPT:
		ev.kind = LG_EV_ACCEPT;
		on_event(arg, c, &ev);
		return 1;
	case HY_PKT_DENY:
	case HY_PKT_DISCONNECT:
		ev.kind = LG_EV_DENY;
		on_event(arg, c, &ev);
		return 1;
	case HY_PKT_DATA:
		break;
	default:
		return -1;
	}
	hy_rd_init(&rd, buf + HY_DATA_HEADER_LEN, pt_len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		if (f.type == HY_FRAME_RELIABLE ||
		    (f.type == HY_FRAME_FRAGMENT && f.frag_class == HY_FRAME_RELIABLE))
			ack_note(c, f.seq);
		if (f.type != HY_FRAME_UNRELIABLE && f.type != HY_FRAME_SEQUENCED &&
		    f.type != HY_FRAME_RELIABLE)
			continue; /* ACKs, PINGs, fragments (nothing here sends large messages) */
		if (hy_msg_resp_decode(f.data, f.len, &m) != HY_R_OK)
			continue;
		ev.kind = LG_EV_MESSAGE;
		ev.status = m.status;
		ev.cmd = m.cmd;
		ev.payload = m.payload;
		ev.len = m.len;
		on_event(arg, c, &ev);
		n++;
	}
	return n;
}

int lg_client_reflected(struct lg_client *c, uint8_t *buf, size_t len, const uint8_t **data,
			size_t *data_len)
{
	struct hy_pkt_header h;
	struct hy_rm_data d;
	struct hy_frame f;
	struct hy_msg m;
	struct hy_rd rd;
	size_t pt_len;

	if (hy_pkt_header_decode(buf, len, &h) != HY_R_OK || h.sid != c->cred.sid ||
	    h.type != HY_PKT_DATA || hy_pkt_open_inplace(&c->c2s, buf, len, &h, &pt_len) != HY_R_OK)
		return -1;
	/* lg_client_command's packet: the command in the first frame */
	hy_rd_init(&rd, buf + HY_DATA_HEADER_LEN, pt_len);
	if (hy_frame_next(&rd, &f) != HY_R_OK || f.type != HY_FRAME_UNRELIABLE ||
	    hy_msg_cmd_decode(f.data, f.len, &m) != HY_R_OK || m.cmd != HY_CMD_ROOM_BROADCAST ||
	    hy_rm_broadcast_decode(m.payload, m.len, &d) != HY_R_OK)
		return -1;
	*data = d.data;
	*data_len = d.data_len;
	return 0;
}
