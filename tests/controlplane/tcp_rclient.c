/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: a raw TCP client with the reliable channel (tcp_rclient.h).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcp_rclient.h"

#include "common/wire.h"
#include "proto/frame.h"
#include "proto/packet.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *rc_alloc(void *arg, size_t size)
{
	(void)arg;
	return malloc(size);
}

static void rc_free(void *arg, void *p, size_t size)
{
	(void)arg;
	(void)size;
	free(p);
}

static void enqueue(struct rclient *r, uint8_t frame, const uint8_t *msg, size_t len)
{
	struct rc_msg *q;

	if (r->tail - r->head >= RC_QUEUE) {
		fprintf(stderr, "tcp_rclient: queue full\n");
		abort();
	}
	q = &r->q[r->tail++ % RC_QUEUE];
	q->buf = malloc(len ? len : 1);
	if (q->buf == NULL)
		abort();
	memcpy(q->buf, msg, len);
	q->len = len;
	q->frame = frame;
}

static bool deliver(void *arg, const uint8_t *msg, size_t len)
{
	enqueue(arg, HY_FRAME_RELIABLE, msg, len);
	return true;
}

int rc_open(struct rclient *r, struct cp_proc *p, const char *uid, const struct hy_rudp_config *cfg)
{
	struct hy_rudp_config rc = { 0 };
	uint8_t rec[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	size_t len;
	int n;

	memset(r, 0, sizeof(*r));
	r->ack = true;
	r->close_reason = -1;
	if (cfg != NULL)
		rc = *cfg;
	rc.alloc = (struct hy_rudp_alloc){ .alloc = rc_alloc, .free = rc_free };
	r->env = calloc(1, sizeof(*r->env));
	if (r->env == NULL || hy_rudp_env_init(r->env, &rc, NULL, 0) != HY_R_OK)
		return -1;
	hy_rudp_init(&r->rudp, r->env);
	if (cp_client_mint(p, &r->cred, CP_TEST_NODE_ID, HY_TRANSPORT_TCP, uid) != 0 ||
	    cp_client_connect(&r->c, p->tcp_port, &r->cred) < 0)
		return -1;
	/* Records go at once, as the client library sends them: Nagle would
	 * hold an ACK back past the node's retransmission timeout. */
	setsockopt(r->c.fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (cp_client_send_connect(&r->c) != 0)
		return -1;
	n = cp_client_recv(&r->c, rec, sizeof(rec));
	if (n <= 0 || hy_pkt_open(&r->c.s2c, rec, (size_t)n, &h, pt, sizeof(pt), &len) != HY_R_OK ||
	    h.type != HY_PKT_ACCEPT || hy_accept_decode(pt, len, &r->accept) != HY_R_OK)
		return -1;
	return 0;
}

void rc_close(struct rclient *r)
{
	while (r->head != r->tail)
		free(r->q[r->head++ % RC_QUEUE].buf);
	hy_rudp_fini(&r->rudp);
	free(r->env);
	r->env = NULL;
	cp_client_close(&r->c);
}

int rc_send_pt(struct rclient *r, const uint8_t *pt, size_t len)
{
	uint8_t rec[2 + HY_MAX_DATAGRAM];
	size_t n = hy_pkt_seal(&r->c.c2s, HY_PKT_DATA, r->cred.sid, r->c.next_pn++, pt, len, rec + 2,
			       sizeof(rec) - 2);

	if (n == 0)
		return -1;
	rec[0] = (uint8_t)(n >> 8);
	rec[1] = (uint8_t)n;
	return cp_client_send_raw(&r->c, rec, n + 2);
}

int rc_flush(struct rclient *r)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;

	for (;;) {
		hy_wr_init(&w, pt, sizeof(pt));
		if (hy_rudp_poll_tx(&r->rudp, now_us(), &w, HY_MAX_FRAMES_PER_PACKET) == 0 || w.off == 0)
			return 0;
		if (rc_send_pt(r, pt, w.off) != 0)
			return -1;
	}
}

enum hy_reason rc_send_reliable(struct rclient *r, uint8_t ver, uint16_t cmd, const void *pl,
				size_t len)
{
	uint8_t *msg = malloc(HY_MAX_MESSAGE + 16);
	size_t n = msg ? hy_msg_cmd_encode(msg, HY_MAX_MESSAGE, ver, cmd, pl, len) : 0;
	enum hy_reason rs = n ? hy_rudp_send(&r->rudp, msg, n) : HY_R_MESSAGE_TOO_LARGE;

	free(msg);
	if (rs == HY_R_OK && rc_flush(r) != 0)
		rs = HY_R_OUT_OF_SPACE;
	return rs;
}

int rc_send_unreliable(struct rclient *r, uint8_t ver, uint16_t cmd, const void *pl, size_t len)
{
	uint8_t msg[HY_MAX_PAYLOAD], pt[HY_MAX_PAYLOAD];
	size_t n = hy_msg_cmd_encode(msg, sizeof(msg), ver, cmd, pl, len);
	struct hy_wr w;

	hy_wr_init(&w, pt, sizeof(pt));
	if (n == 0 || !hy_frame_put_unreliable(&w, msg, n))
		return -1;
	return rc_send_pt(r, pt, w.off);
}

static void on_data(struct rclient *r, const uint8_t *pt, size_t len)
{
	struct hy_frame f;
	struct hy_rd rd;

	hy_rd_init(&rd, pt, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		switch (f.type) {
		case HY_FRAME_UNRELIABLE:
		case HY_FRAME_SEQUENCED:
			enqueue(r, (uint8_t)f.type, f.data, f.len);
			continue;
		case HY_FRAME_ACK:
			r->ack_frames++;
			if (!r->acked_any || f.ack.largest > r->acked_largest) {
				r->acked_largest = f.ack.largest;
				r->acked_low = f.ack.largest - f.ack.first_range;
			}
			r->acked_any = true;
			break;
		case HY_FRAME_RELIABLE:
			r->reliable_frames++;
			break;
		case HY_FRAME_FRAGMENT:
			r->fragment_frames++;
			break;
		default:
			break;
		}
		hy_rudp_on_frame(&r->rudp, &f, now_us(), deliver, r);
	}
}

int rc_pump(struct rclient *r, int timeout_ms)
{
	uint8_t rec[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct pollfd pfd = { .fd = r->c.fd, .events = POLLIN };
	struct hy_pkt_header h;
	enum hy_close_reason why;
	size_t len;
	int n;

	if (r->closed)
		return -1;
	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	n = cp_client_recv(&r->c, rec, sizeof(rec));
	if (n <= 0 || hy_pkt_open(&r->c.s2c, rec, (size_t)n, &h, pt, sizeof(pt), &len) != HY_R_OK) {
		r->closed = true;
		return -1;
	}
	r->records++;
	if (h.type == HY_PKT_DISCONNECT) {
		if (hy_close_decode(pt, len, &why) == HY_R_OK)
			r->close_reason = (int)why;
		r->closed = true;
		return -1;
	}
	if (h.type == HY_PKT_DATA)
		on_data(r, pt, len);
	if (r->ack)
		rc_flush(r);
	return 1;
}

bool rc_next(struct rclient *r, struct hy_msg *m, uint8_t *frame, int timeout_ms)
{
	static uint8_t *last;
	struct rc_msg *q;
	uint64_t end = now_us() + (uint64_t)timeout_ms * 1000u;

	free(last);
	last = NULL;
	while (r->head == r->tail) {
		uint64_t t = now_us();

		if (t >= end || rc_pump(r, (int)((end - t + 999) / 1000)) < 0)
			return false;
	}
	q = &r->q[r->head++ % RC_QUEUE];
	last = q->buf;
	if (frame != NULL)
		*frame = q->frame;
	return hy_msg_resp_decode(q->buf, q->len, m) == HY_R_OK;
}
