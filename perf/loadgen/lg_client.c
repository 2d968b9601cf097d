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

int lg_client_init(struct lg_client *c, const struct hy_credentials *cred,
		   struct hy_rudp_env *env)
{
	memset(c, 0, sizeof(*c));
	c->cred = *cred;
	/* the node seals with intel-ipsec-mb; so do we, to keep up with it */
	if (hy_aead_key_init(&c->c2s, HY_AEAD_IPSECMB, c->cred.c2s_key) < 0 ||
	    hy_aead_key_init(&c->s2c, HY_AEAD_IPSECMB, c->cred.s2c_key) < 0)
		return -1;
	hy_rudp_init(&c->rudp, env);
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

/* Seals the plaintext in w with what the reliable channel has ready
 * appended; 0 when the packet would be empty. */
static size_t seal_out(struct lg_client *c, struct hy_wr *w, unsigned frames, uint64_t now_us,
		       uint8_t *buf, size_t cap)
{
	if (frames < HY_MAX_FRAMES_PER_PACKET)
		hy_rudp_poll_tx(&c->rudp, now_us, w, HY_MAX_FRAMES_PER_PACKET - frames);
	if (w->off == 0)
		return 0;
	return hy_pkt_seal(&c->c2s, HY_PKT_DATA, c->cred.sid, c->pn++, w->p, w->off, buf, cap);
}

size_t lg_client_command(struct lg_client *c, uint8_t ver, uint16_t cmd, const void *payload,
			 size_t len, bool reliable, uint64_t now_us, uint8_t *buf, size_t cap)
{
	uint8_t msg[HY_MAX_PAYLOAD], pt[HY_MAX_PAYLOAD];
	size_t m = hy_msg_cmd_encode(msg, sizeof(msg), ver, cmd, payload, len);
	struct hy_wr w;

	hy_wr_init(&w, pt, sizeof(pt));
	if (m == 0)
		return 0;
	if (reliable) {
		if (hy_rudp_send(&c->rudp, msg, m) != HY_R_OK)
			return 0;
		return seal_out(c, &w, 0, now_us, buf, cap);
	}
	if (!hy_frame_put_unreliable(&w, msg, m))
		return 0;
	return seal_out(c, &w, 1, now_us, buf, cap);
}

size_t lg_client_flush(struct lg_client *c, uint64_t now_us, uint8_t *buf, size_t cap)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;

	if (hy_rudp_next_deadline(&c->rudp) > now_us)
		return 0;
	hy_wr_init(&w, pt, sizeof(pt));
	return seal_out(c, &w, 0, now_us, buf, cap);
}

bool lg_client_window_full(const struct lg_client *c, uint32_t window)
{
	struct hy_rudp_info in;

	hy_rudp_info(&c->rudp, &in);
	return in.tx_units + in.tx_backlog_units >= window;
}

/* One whole message the reliable channel delivers, in order: a response
 * or push, as on_event takes it. */
struct deliver_ctx {
	struct lg_client *c;
	void (*on_event)(void *arg, struct lg_client *c, const struct lg_event *ev);
	void *arg;
	int n;
};

static void message_event(struct deliver_ctx *d, const uint8_t *msg, size_t len)
{
	struct lg_event ev = {.kind = LG_EV_MESSAGE};
	struct hy_msg m;

	if (hy_msg_resp_decode(msg, len, &m) != HY_R_OK)
		return;
	ev.status = m.status;
	ev.cmd = m.cmd;
	ev.payload = m.payload;
	ev.len = m.len;
	d->on_event(d->arg, d->c, &ev);
	d->n++;
}

static bool deliver(void *arg, const uint8_t *msg, size_t len)
{
	message_event(arg, msg, len);
	return true;
}

int lg_client_input(struct lg_client *c, uint8_t *buf, size_t len, uint64_t now_us,
		    void (*on_event)(void *arg, struct lg_client *c, const struct lg_event *ev),
		    void *arg)
{
	struct deliver_ctx d = {.c = c, .on_event = on_event, .arg = arg};
	struct lg_event ev = {0};
	struct hy_pkt_header h;
	struct hy_pkt_challenge ch;
	struct hy_frame f;
	struct hy_rd rd;
	size_t pt_len;

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
		if (f.type == HY_FRAME_UNRELIABLE || f.type == HY_FRAME_SEQUENCED)
			message_event(&d, f.data, f.len);
		else /* ACK, RELIABLE, FRAGMENT, PING: the reliable channel's */
			(void)hy_rudp_on_frame(&c->rudp, &f, now_us, deliver, &d);
	}
	return d.n;
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
