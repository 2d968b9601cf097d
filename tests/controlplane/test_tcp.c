/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-controlplane's TCP real-time server, end to end: one process on
 * loopback (tcp role only: no data plane, no HTTP), driven by a small
 * client built on the shared codecs (with shared/rudp for the reliable
 * channel: tcp_rclient.h).  argv[1]: the executable.
 *
 * The node runs with small reliability timers (rto 20..200 ms, 4 resends)
 * so a client that stops acknowledging is closed quickly; waiting is
 * bounded by generous deadlines, never asserted on.
 */
#include <arpa/inet.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "cp_proc.h"
#include "tcp_rclient.h"

#include "common/wire.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

static struct cp_proc proc;
static const char *exe;

/* Connects with fresh TCP credentials and checks the ACCEPT. */
static void open_session_rcvbuf(struct cp_client *c, struct hy_credentials *cred, int rcvbuf)
{
	struct hy_accept a;
	uint8_t pt[HY_MAX_PAYLOAD];
	uint64_t pn;
	int type, n;

	ck_assert_int_eq(cp_client_mint(&proc, cred, CP_TEST_NODE_ID, HY_TRANSPORT_TCP, "tcp-player"), 0);
	ck_assert_int_ge(cp_client_connect_rcvbuf(c, proc.tcp_port, cred, rcvbuf), 0);
	ck_assert_int_eq(cp_client_send_connect(c), 0);
	n = cp_client_recv_sealed(c, &type, &pn, pt, sizeof(pt));
	ck_assert_int_eq(n, HY_ACCEPT_BODY_LEN);
	ck_assert_int_eq(type, HY_PKT_ACCEPT);
	ck_assert_uint_eq(pn, 0);
	ck_assert_int_eq(hy_accept_decode(pt, (size_t)n, &a), HY_R_OK);
	ck_assert_uint_eq(a.idle_timeout_ms, 1000);
	ck_assert_uint_eq(a.keepalive_ms, 300);
	/* fragments reach TCP: the protocol's whole 64 KiB */
	ck_assert_uint_eq(a.max_message, HY_MAX_MESSAGE);
}

static void open_session(struct cp_client *c, struct hy_credentials *cred)
{
	open_session_rcvbuf(c, cred, 0);
}

/* Reads the single response message of a DATA packet. */
static void recv_response(struct cp_client *c, struct hy_msg *m, uint8_t *pt, size_t cap)
{
	struct hy_frame f;
	struct hy_rd rd;
	int type, n = cp_client_recv_sealed(c, &type, NULL, pt, cap);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(type, HY_PKT_DATA);
	hy_rd_init(&rd, pt, (size_t)n);
	ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
	ck_assert_int_eq(f.type, HY_FRAME_UNRELIABLE);
	ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, m), HY_R_OK);
}

/* The connection is closed without another record. */
static void expect_closed(struct cp_client *c)
{
	uint8_t buf[HY_MAX_DATAGRAM];

	ck_assert_int_le(cp_client_recv(c, buf, sizeof(buf)), 0);
}

START_TEST(echo)
{
	struct cp_client c;
	struct hy_credentials cred;
	struct hy_echo_resp er;
	struct hy_msg m;
	uint8_t pt[HY_MAX_PAYLOAD], req[HY_ECHO_REQ_LEN];

	open_session(&c, &cred);
	hy_echo_req_encode(req, sizeof(req), 0x0102030405060708ull);
	ck_assert_int_eq(cp_client_send_cmd(&c, HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, req, sizeof(req), 1), 0);
	recv_response(&c, &m, pt, sizeof(pt));
	ck_assert_uint_eq(m.ver, 0);
	ck_assert_uint_eq(m.cmd, HY_CMD_ECHO);
	ck_assert_uint_eq(m.status, HY_STATUS_OK);
	ck_assert_int_eq(hy_echo_resp_decode(m.payload, m.len, &er), HY_R_OK);
	ck_assert_uint_eq(er.node_state, HY_NODE_ONLINE);
	ck_assert_uint_eq(er.client_time, 0x0102030405060708ull);
	ck_assert_uint_eq(er.addr.family, 4);
	ck_assert_uint_eq(er.addr.addr[0], 127);
	ck_assert_uint_eq(er.addr.addr[3], 1);
	ck_assert_uint_eq(er.addr.port, c.local_port);
	cp_client_close(&c);
}
END_TEST

START_TEST(unknown_command_is_bad)
{
	struct cp_client c;
	struct hy_credentials cred;
	struct hy_msg m;
	uint8_t pt[HY_MAX_PAYLOAD];

	open_session(&c, &cred);
	ck_assert_int_eq(cp_client_send_cmd(&c, 2, 0x0101, "hi", 2, 1), 0);
	recv_response(&c, &m, pt, sizeof(pt));
	ck_assert_uint_eq(m.ver, 2);
	ck_assert_uint_eq(m.cmd, 0x0101);
	ck_assert_uint_eq(m.status, HY_STATUS_BAD);
	ck_assert_uint_eq(m.len, 0);
	/* A malformed ECHO (payload not 8 bytes) is BAD too. */
	ck_assert_int_eq(cp_client_send_cmd(&c, 0, HY_CMD_ECHO, "x", 1, 1), 0);
	recv_response(&c, &m, pt, sizeof(pt));
	ck_assert_uint_eq(m.status, HY_STATUS_BAD);
	cp_client_close(&c);
}
END_TEST

START_TEST(token_reuse_denied)
{
	struct cp_client c, c2;
	struct hy_credentials cred;
	enum hy_close_reason why;
	uint8_t pt[HY_MAX_PAYLOAD];
	uint64_t pn;
	int type, n;

	open_session(&c, &cred);
	cp_client_close(&c);
	ck_assert_int_ge(cp_client_connect(&c2, proc.tcp_port, &cred), 0);
	ck_assert_int_eq(cp_client_send_connect(&c2), 0);
	n = cp_client_recv_sealed(&c2, &type, &pn, pt, sizeof(pt));
	ck_assert_int_eq(n, HY_DENY_BODY_LEN);
	ck_assert_int_eq(type, HY_PKT_DENY);
	ck_assert(pn >> 63); /* DENY numbers live in the top half */
	ck_assert_int_eq(hy_close_decode(pt, (size_t)n, &why), HY_R_OK);
	ck_assert_int_eq(why, HY_CLOSE_TOKEN_REUSED);
	expect_closed(&c2);
	cp_client_close(&c2);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.deny.TOKEN_REUSED"), 1);
}
END_TEST

START_TEST(wrong_node_closed)
{
	struct cp_client c;
	struct hy_credentials cred;

	ck_assert_int_eq(cp_client_mint(&proc, &cred, CP_TEST_NODE_ID + 1, HY_TRANSPORT_TCP, "u"), 0);
	ck_assert_int_ge(cp_client_connect(&c, proc.tcp_port, &cred), 0);
	ck_assert_int_eq(cp_client_send_connect(&c), 0);
	expect_closed(&c);
	cp_client_close(&c);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.drop.TOKEN_WRONG_NODE"), 1);
}
END_TEST

START_TEST(udp_token_closed)
{
	struct cp_client c;
	struct hy_credentials cred;

	ck_assert_int_eq(cp_client_mint(&proc, &cred, CP_TEST_NODE_ID, HY_TRANSPORT_UDP, "u"), 0);
	ck_assert_int_ge(cp_client_connect(&c, proc.tcp_port, &cred), 0);
	ck_assert_int_eq(cp_client_send_connect(&c), 0);
	expect_closed(&c);
	cp_client_close(&c);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.drop.TOKEN_WRONG_TRANSPORT"), 1);
}
END_TEST

START_TEST(hostile_input_closed)
{
	static const uint8_t zero_len[] = { 0, 0 };
	static const uint8_t huge_len[] = { 0xff, 0xff, 1, 2, 3 };
	static const uint8_t garbage[] = { 0, 5, 0xff, 1, 2, 3, 4 };
	static const uint8_t challenge[] = { 0, 25, 0x12 }; /* + 24 zero bytes below */
	struct hy_credentials cred;
	struct cp_client c;
	uint8_t rec[27] = { 0 };
	long long hostile0 = cp_proc_counter(&proc, "tcp.hostile");

	ck_assert_int_ge(hostile0, 0);
	cp_client_mint(&proc, &cred, CP_TEST_NODE_ID, HY_TRANSPORT_TCP, "u");

	ck_assert_int_ge(cp_client_connect(&c, proc.tcp_port, &cred), 0);
	ck_assert_int_eq(cp_client_send_raw(&c, zero_len, sizeof(zero_len)), 0);
	expect_closed(&c);
	cp_client_close(&c);

	ck_assert_int_ge(cp_client_connect(&c, proc.tcp_port, &cred), 0);
	ck_assert_int_eq(cp_client_send_raw(&c, huge_len, sizeof(huge_len)), 0);
	expect_closed(&c);
	cp_client_close(&c);

	ck_assert_int_ge(cp_client_connect(&c, proc.tcp_port, &cred), 0);
	ck_assert_int_eq(cp_client_send_raw(&c, garbage, sizeof(garbage)), 0);
	expect_closed(&c);
	cp_client_close(&c);

	/* A well-formed packet of a type that never goes to a server. */
	memcpy(rec, challenge, sizeof(challenge));
	ck_assert_int_ge(cp_client_connect(&c, proc.tcp_port, &cred), 0);
	ck_assert_int_eq(cp_client_send_raw(&c, rec, sizeof(rec)), 0);
	expect_closed(&c);
	cp_client_close(&c);

	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.drop.BAD_LENGTH"), 2);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.drop.BAD_VERSION"), 1);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.drop.TOKEN_WRONG_TRANSPORT"), 1);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.hostile"), hostile0 + 4);
}
END_TEST

START_TEST(garbage_after_accept_closed)
{
	struct cp_client c;
	struct hy_credentials cred;
	uint8_t junk[60];

	open_session(&c, &cred);
	/* A DATA record whose tag does not verify. */
	memset(junk, 0xa5, sizeof(junk));
	junk[0] = 0;
	junk[1] = sizeof(junk) - 2;
	junk[2] = hy_pkt_prefix(HY_PKT_DATA);
	for (int i = 0; i < 8; i++)
		junk[3 + i] = (uint8_t)(cred.sid >> (56 - 8 * i));
	ck_assert_int_eq(cp_client_send_raw(&c, junk, sizeof(junk)), 0);
	expect_closed(&c);
	cp_client_close(&c);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.drop.AUTH_FAILED"), 1);
}
END_TEST

/* ---- the reliable channel ----------------------------------------------- */

/* Silence (keep-alives aside) for ms: no message arrives, the session
 * stays. */
static void expect_quiet(struct rclient *r, int ms)
{
	struct hy_msg m;

	ck_assert_msg(!rc_next(r, &m, NULL, ms), "unexpected message cmd %u status %u", m.cmd,
		      m.status);
	ck_assert(!r->closed);
}

START_TEST(reliable_duplicates_answered_once)
{
	struct rclient r;
	struct hy_msg m;
	struct hy_wr w;
	uint8_t pt[HY_MAX_PAYLOAD], req[HY_ECHO_REQ_LEN], echo_cmd[32], unk[32], frame;
	size_t ne, nu;

	ck_assert_int_eq(rc_open(&r, &proc, "dup", NULL), 0);
	hy_echo_req_encode(req, sizeof(req), 42);
	ne = hy_msg_cmd_encode(echo_cmd, sizeof(echo_cmd), HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, req,
			       sizeof(req));
	nu = hy_msg_cmd_encode(unk, sizeof(unk), 2, 0x0101, "hi", 2);
	/* seq 0 twice in one record; seq 0 again and seq 1 three times in the
	 * next; seq 1 once more alone: as a client resending would */
	hy_wr_init(&w, pt, sizeof(pt));
	ck_assert(hy_frame_put_reliable(&w, 0, echo_cmd, ne));
	ck_assert(hy_frame_put_reliable(&w, 0, echo_cmd, ne));
	ck_assert_int_eq(rc_send_pt(&r, pt, w.off), 0);
	hy_wr_init(&w, pt, sizeof(pt));
	ck_assert(hy_frame_put_reliable(&w, 0, echo_cmd, ne));
	for (int i = 0; i < 3; i++)
		ck_assert(hy_frame_put_reliable(&w, 1, unk, nu));
	ck_assert_int_eq(rc_send_pt(&r, pt, w.off), 0);
	hy_wr_init(&w, pt, sizeof(pt));
	ck_assert(hy_frame_put_reliable(&w, 1, unk, nu));
	ck_assert_int_eq(rc_send_pt(&r, pt, w.off), 0);

	/* one answer each, in order, on the reliable channel */
	ck_assert(rc_next(&r, &m, &frame, 5000));
	ck_assert_uint_eq(frame, HY_FRAME_RELIABLE);
	ck_assert_uint_eq(m.cmd, HY_CMD_ECHO);
	ck_assert_uint_eq(m.status, HY_STATUS_OK);
	ck_assert(rc_next(&r, &m, &frame, 5000));
	ck_assert_uint_eq(frame, HY_FRAME_RELIABLE);
	ck_assert_uint_eq(m.ver, 2);
	ck_assert_uint_eq(m.cmd, 0x0101);
	ck_assert_uint_eq(m.status, HY_STATUS_BAD);
	expect_quiet(&r, 400);
	/* the node acknowledged seqs 0 and 1, and counted the 5 copies (the
	 * first case with duplicates; counter queries are few: the helper's
	 * log is bounded) */
	ck_assert(r.acked_any);
	ck_assert_uint_eq(r.acked_largest, 1);
	ck_assert_uint_eq(r.acked_low, 0);
	ck_assert_int_eq(cp_proc_counter(&proc, "tcp.duplicates"), 5);
	rc_close(&r);
}
END_TEST

START_TEST(reliable_message_of_64k)
{
	size_t len = HY_MAX_MESSAGE - HY_MSG_CMD_HDR;
	uint8_t *pl = malloc(len), frame;
	struct hy_rudp_info info;
	struct rclient r;
	struct hy_msg m;

	ck_assert_ptr_nonnull(pl);
	for (size_t i = 0; i < len; i++)
		pl[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(rc_open(&r, &proc, "big", NULL), 0);
	/* exactly the maximum: 61 fragments, reassembled and dispatched (an
	 * unknown command: answered BAD) */
	ck_assert_int_eq(rc_send_reliable(&r, 2, 0x0102, pl, len), HY_R_OK);
	ck_assert(rc_next(&r, &m, &frame, 5000));
	ck_assert_uint_eq(frame, HY_FRAME_RELIABLE);
	ck_assert_uint_eq(m.cmd, 0x0102);
	ck_assert_uint_eq(m.status, HY_STATUS_BAD);
	/* every fragment acknowledged: the client's window empties */
	for (int i = 0; i < 100; i++) {
		hy_rudp_info(&r.rudp, &info);
		if (info.tx_units == 0)
			break;
		rc_pump(&r, 50);
	}
	ck_assert_uint_eq(info.tx_units, 0);
	ck_assert_uint_eq(hy_rudp_verdict(&r.rudp), HY_RUDP_OK);
	ck_assert_int_eq(cp_proc_counter(&proc, "tcp.fragments_in"), 61);
	/* and the session carries on */
	ck_assert_int_eq(rc_send_reliable(&r, 2, 0x0103, "x", 1), HY_R_OK);
	ck_assert(rc_next(&r, &m, &frame, 5000));
	ck_assert_uint_eq(m.cmd, 0x0103);
	rc_close(&r);
	free(pl);
}
END_TEST

START_TEST(reliable_message_over_64k_refused)
{
	size_t len = HY_MAX_MESSAGE + 1, off = 0;
	unsigned count = (unsigned)((len + HY_RUDP_FRAG_CHUNK - 1) / HY_RUDP_FRAG_CHUNK);
	uint8_t *msg = calloc(1, len), pt[HY_MAX_PAYLOAD];
	struct rclient r;
	struct hy_wr w;

	ck_assert_ptr_nonnull(msg);
	ck_assert_uint_eq(count, 61);
	msg[0] = 2; /* ver 2, cmd 0x0104, then the payload */
	msg[1] = 0x01;
	msg[2] = 0x04;
	ck_assert_int_eq(rc_open(&r, &proc, "huge", NULL), 0);
	/* one byte over: fragments the client library would never send */
	for (unsigned i = 0; i < count; i++) {
		size_t n = len - off < HY_RUDP_FRAG_CHUNK ? len - off : HY_RUDP_FRAG_CHUNK;

		hy_wr_init(&w, pt, sizeof(pt));
		ck_assert(hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, i, (uint8_t)i, (uint8_t)count,
						msg + off, n));
		ck_assert_int_eq(rc_send_pt(&r, pt, w.off), 0);
		off += n;
	}
	/* the reassembled message is too long: DISCONNECT PROTOCOL_ERROR, as
	 * the data plane does, and no command ran */
	for (int i = 0; i < 100 && !r.closed; i++)
		rc_pump(&r, 50);
	ck_assert(r.closed);
	ck_assert_int_eq(r.close_reason, HY_CLOSE_PROTOCOL_ERROR);
	ck_assert_int_eq(r.head, r.tail);
	ck_assert_int_eq(cp_proc_counter(&proc, "tcp.drop.MESSAGE_TOO_LARGE"), 1);
	rc_close(&r);
	free(msg);
}
END_TEST

static uint64_t u64_be(const uint8_t *b)
{
	struct hy_rd r;

	hy_rd_init(&r, b, 8);
	return hy_rd_u64(&r);
}

/* Room commands (docs/protocol.md, "Rooms"). */
enum { ROOM_CREATE = 100, ROOM_JOIN = 101, ROOM_BROADCAST = 103, MEMBER_JOINED = 120 };

START_TEST(reliable_pushes_in_order_once)
{
	static const uint8_t create_pl[12] = { 0, 0, 2 };
	struct rclient a, b;
	struct hy_msg m;
	uint8_t pl[8], frame;
	uint64_t room;
	uint32_t next = 0;

	ck_assert_int_eq(rc_open(&a, &proc, "pusher", NULL), 0);
	ck_assert_int_eq(rc_open(&b, &proc, "listener", NULL), 0);
	ck_assert_int_eq(rc_send_reliable(&a, 1, ROOM_CREATE, create_pl, sizeof(create_pl)), HY_R_OK);
	ck_assert(rc_next(&a, &m, &frame, 5000));
	ck_assert_uint_eq(m.cmd, ROOM_CREATE);
	ck_assert_uint_eq(m.status, HY_STATUS_OK);
	room = u64_be(m.payload);
	for (int i = 0; i < 8; i++)
		pl[i] = (uint8_t)(room >> (56 - 8 * i));
	ck_assert_int_eq(rc_send_reliable(&b, 1, ROOM_JOIN, pl, 8), HY_R_OK);
	ck_assert(rc_next(&b, &m, &frame, 5000));
	ck_assert_uint_eq(m.cmd, ROOM_JOIN);
	ck_assert_uint_eq(m.status, HY_STATUS_OK);
	ck_assert(rc_next(&a, &m, &frame, 5000));
	ck_assert_uint_eq(m.cmd, MEMBER_JOINED);
	ck_assert_uint_eq(frame, HY_FRAME_RELIABLE); /* pushes go reliably */

	/* 200 broadcasts from A, 20 at a time (well inside a window); B gets
	 * every one once, in order, on the reliable channel */
	for (uint32_t batch = 0; batch < 10; batch++) {
		for (uint32_t j = 0; j < 20; j++) {
			uint32_t i = batch * 20 + j;
			uint8_t d[5] = { 0, (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
					 (uint8_t)i };

			ck_assert_int_eq(rc_send_reliable(&a, 1, ROOM_BROADCAST, d, sizeof(d)),
					 HY_R_OK);
		}
		for (uint32_t j = 0; j < 20; j++) {
			ck_assert(rc_next(&a, &m, &frame, 5000));
			ck_assert_uint_eq(m.cmd, ROOM_BROADCAST);
			ck_assert_uint_eq(m.status, HY_STATUS_OK);
		}
		for (uint32_t j = 0; j < 20; j++, next++) {
			ck_assert(rc_next(&b, &m, &frame, 5000));
			ck_assert_uint_eq(frame, HY_FRAME_RELIABLE);
			ck_assert_uint_eq(m.cmd, ROOM_BROADCAST);
			ck_assert_uint_eq(m.status, HY_STATUS_PUSH);
			ck_assert_uint_eq(m.len, 16 + 4);
			ck_assert_uint_eq(u64_be(m.payload), room);
			ck_assert_uint_eq(u64_be(m.payload + 8), a.cred.sid);
			ck_assert_uint_eq((uint32_t)m.payload[16] << 24 | (uint32_t)m.payload[17] << 16 |
						  (uint32_t)m.payload[18] << 8 | m.payload[19],
					  next);
		}
	}
	expect_quiet(&b, 400);
	ck_assert_uint_eq(hy_rudp_verdict(&b.rudp), HY_RUDP_OK);
	rc_close(&a);
	rc_close(&b);
}
END_TEST

START_TEST(member_that_lags_is_closed)
{
	static const uint8_t create_pl[12] = { 0, 0, 2 };
	struct rclient a, b;
	struct hy_msg m;
	uint8_t pl[8], d[1 + 1024], frame;
	uint64_t room;

	ck_assert_int_eq(rc_open(&a, &proc, "talker", NULL), 0);
	ck_assert_int_eq(rc_open(&b, &proc, "laggard", NULL), 0);
	ck_assert_int_eq(rc_send_reliable(&a, 1, ROOM_CREATE, create_pl, sizeof(create_pl)), HY_R_OK);
	ck_assert(rc_next(&a, &m, &frame, 5000));
	ck_assert_uint_eq(m.status, HY_STATUS_OK);
	room = u64_be(m.payload);
	for (int i = 0; i < 8; i++)
		pl[i] = (uint8_t)(room >> (56 - 8 * i));
	ck_assert_int_eq(rc_send_reliable(&b, 1, ROOM_JOIN, pl, 8), HY_R_OK);
	ck_assert(rc_next(&b, &m, &frame, 5000));
	ck_assert_uint_eq(m.status, HY_STATUS_OK);
	/* A broadcasts 1 KiB messages; B reads (and acknowledges) one record
	 * per ten of them.  Its unacknowledged pushes pass the node's cap: a
	 * reliable push may not be dropped, so B gets DISCONNECT SLOW_CONSUMER
	 * (the others go on). */
	memset(d, 0x5a, sizeof(d));
	d[0] = 0; /* not to itself */
	for (int batch = 0; batch < 40 && !b.closed; batch++) {
		int answers = 0;

		for (int j = 0; j < 10; j++)
			ck_assert_int_eq(rc_send_reliable(&a, 1, ROOM_BROADCAST, d, sizeof(d)),
					 HY_R_OK);
		while (answers < 10) { /* pushes about B (MEMBER_*) may come too */
			ck_assert(rc_next(&a, &m, &frame, 5000));
			answers += m.cmd == ROOM_BROADCAST && m.status == HY_STATUS_OK;
		}
		rc_pump(&b, 0);
	}
	for (int i = 0; i < 500 && !b.closed; i++)
		rc_pump(&b, 10);
	ck_assert(b.closed);
	ck_assert_int_eq(b.close_reason, HY_CLOSE_SLOW_CONSUMER);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.reliable_refused"), 1);
	/* A's session is unharmed */
	ck_assert_int_eq(rc_send_reliable(&a, 2, 0x0106, "x", 1), HY_R_OK);
	do
		ck_assert(rc_next(&a, &m, &frame, 5000));
	while (m.cmd != 0x0106);
	ck_assert(!a.closed);
	rc_close(&a);
	rc_close(&b);
}
END_TEST

START_TEST(client_that_stops_acking_is_closed)
{
	struct rclient r;
	struct hy_msg m;
	struct hy_wr w;
	uint8_t pt[HY_MAX_PAYLOAD], req[HY_ECHO_REQ_LEN], echo_cmd[32];
	size_t ne;

	ck_assert_int_eq(rc_open(&r, &proc, "mute", NULL), 0);
	r.ack = false;
	hy_echo_req_encode(req, sizeof(req), 7);
	ne = hy_msg_cmd_encode(echo_cmd, sizeof(echo_cmd), HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, req,
			       sizeof(req));
	hy_wr_init(&w, pt, sizeof(pt));
	ck_assert(hy_frame_put_reliable(&w, 0, echo_cmd, ne));
	ck_assert_int_eq(rc_send_pt(&r, pt, w.off), 0);
	/* The answer comes reliably and is never acknowledged.  Unreliable
	 * echoes keep the session from going idle meanwhile. */
	for (int i = 0; i < 200 && !r.closed; i++) { /* 10 s at most */
		rc_send_unreliable(&r, HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, req, sizeof(req));
		/* everything that comes for 50 ms */
		for (int k = 0; k < 50 && !r.closed; k++)
			rc_pump(&r, 1);
		while (rc_next(&r, &m, NULL, 0))
			;
	}
	ck_assert(r.closed);
	ck_assert_int_eq(r.close_reason, HY_CLOSE_RETRIES_EXHAUSTED);
	/* the answer, then max_retries (4) resends of it before giving up */
	ck_assert_uint_ge(r.reliable_frames, 1 + 4);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.retries_exhausted"), 1);
	rc_close(&r);
}
END_TEST

START_TEST(idle_timeout)
{
	struct cp_client c;
	struct hy_credentials cred;
	enum hy_close_reason why;
	uint8_t pt[HY_MAX_PAYLOAD];
	int type, n;

	open_session(&c, &cred);
	/* Silent client: keep-alive PINGs (skipped by the reader), then
	 * DISCONNECT IDLE_TIMEOUT after 1 s. */
	n = cp_client_recv_sealed(&c, &type, NULL, pt, sizeof(pt));
	ck_assert_int_eq(type, HY_PKT_DISCONNECT);
	ck_assert_int_eq(hy_close_decode(pt, (size_t)n, &why), HY_R_OK);
	ck_assert_int_eq(why, HY_CLOSE_IDLE_TIMEOUT);
	expect_closed(&c);
	cp_client_close(&c);
	ck_assert_int_ge(cp_proc_counter(&proc, "tcp.idle_timeouts"), 1);
}
END_TEST

START_TEST(slow_consumer)
{
	struct cp_client c;
	struct hy_credentials cred;
	uint8_t req[HY_ECHO_REQ_LEN] = { 0 };
	int rcvbuf = 4096, i;
	long long before = cp_proc_counter(&proc, "tcp.slow_consumer");

	ck_assert_int_ge(before, 0);
	open_session_rcvbuf(&c, &cred, rcvbuf);
	/* 32 ECHOs per record, never reading the answers: the server's
	 * queue passes its cap and it hangs up. */
	for (i = 0; i < 4000; i++)
		if (cp_client_send_cmd(&c, 0, HY_CMD_ECHO, req, sizeof(req), 32) != 0)
			break;
	/* Stay connected (and silent) until the server has read enough to
	 * give up on us: closing first would end the connection normally. */
	for (i = 0; i < 50 && cp_proc_counter(&proc, "tcp.slow_consumer") <= before; i++)
		usleep(100 * 1000);
	ck_assert_int_gt(cp_proc_counter(&proc, "tcp.slow_consumer"), before);
	cp_client_close(&c);
}
END_TEST

/* Last: the process drains and exits. */
START_TEST(drain)
{
	struct cp_client c, c2;
	struct hy_credentials cred, cred2;
	struct hy_echo_resp er;
	enum hy_close_reason why;
	struct hy_msg m;
	uint8_t pt[HY_MAX_PAYLOAD], req[HY_ECHO_REQ_LEN];
	int type, n;

	open_session(&c, &cred);
	kill(proc.pid, SIGTERM);
	ck_assert(cp_proc_wait_for(&proc, "state draining", 3000));
	/* The established session carries on and sees the node OFFLINE. */
	hy_echo_req_encode(req, sizeof(req), 1);
	ck_assert_int_eq(cp_client_send_cmd(&c, 0, HY_CMD_ECHO, req, sizeof(req), 1), 0);
	recv_response(&c, &m, pt, sizeof(pt));
	ck_assert_int_eq(hy_echo_resp_decode(m.payload, m.len, &er), HY_R_OK);
	ck_assert_uint_eq(er.node_state, HY_NODE_OFFLINE);
	/* A new session is refused. */
	ck_assert_int_eq(cp_client_mint(&proc, &cred2, CP_TEST_NODE_ID, HY_TRANSPORT_TCP, "late"), 0);
	ck_assert_int_ge(cp_client_connect(&c2, proc.tcp_port, &cred2), 0);
	ck_assert_int_eq(cp_client_send_connect(&c2), 0);
	n = cp_client_recv_sealed(&c2, &type, NULL, pt, sizeof(pt));
	ck_assert_int_eq(type, HY_PKT_DENY);
	ck_assert_int_eq(hy_close_decode(pt, (size_t)n, &why), HY_R_OK);
	ck_assert_int_eq(why, HY_CLOSE_NODE_DRAINING);
	cp_client_close(&c2);
	/* The last session leaves: the process exits by itself. */
	cp_client_close(&c);
	ck_assert_int_eq(cp_proc_wait_exit(&proc, 5000), 0);
	ck_assert(cp_proc_wait_for(&proc, "drained: no session left", 100) ||
		  strstr(proc.log, "drained") != NULL);
}
END_TEST

int main(int argc, char **argv)
{
	struct hy_node_config conf;
	Suite *s = suite_create("controlplane-tcp");
	TCase *tc = tcase_create("tcp");
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s HAYATE_CONTROLPLANE\n", argv[0]);
		return 2;
	}
	exe = argv[1];
	/* One server process for every case, waited for by this process. */
	setenv("CK_FORK", "no", 1);
	signal(SIGPIPE, SIG_IGN);
	hy_conf_node_defaults(&conf);
	conf.node.id = CP_TEST_NODE_ID;
	conf.node.roles = HY_ROLE_TCP;
	conf.dataplane.idle_timeout_ms = 1000;
	conf.dataplane.keepalive_ms = 300;
	conf.dataplane.drain_timeout_s = 30;
	conf.dataplane.max_sessions = 1024;
	conf.rudp.rto_min_ms = 20;
	conf.rudp.rto_max_ms = 200;
	conf.rudp.max_retries = 4;
	conf.controlplane.tcp.listen.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &conf.controlplane.tcp.listen.v4);
	conf.controlplane.tcp.port = 0;
	conf.controlplane.http.listen = conf.controlplane.tcp.listen;
	conf.controlplane.http.port = 0;
	snprintf(conf.paths.stats_shm, sizeof(conf.paths.stats_shm), "/hy-cp-test-%d", (int)getpid());
	if (cp_proc_prepare(&proc, &conf) != 0 || cp_proc_start(&proc, exe) != 0) {
		fprintf(stderr, "could not start %s\n", exe);
		cp_proc_stop(&proc);
		return 1;
	}
	/* The cases share one server process: run them in order, in-process. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, echo);
	tcase_add_test(tc, unknown_command_is_bad);
	tcase_add_test(tc, token_reuse_denied);
	tcase_add_test(tc, wrong_node_closed);
	tcase_add_test(tc, udp_token_closed);
	tcase_add_test(tc, hostile_input_closed);
	tcase_add_test(tc, garbage_after_accept_closed);
	tcase_add_test(tc, reliable_duplicates_answered_once);
	tcase_add_test(tc, reliable_message_of_64k);
	tcase_add_test(tc, reliable_message_over_64k_refused);
	tcase_add_test(tc, reliable_pushes_in_order_once);
	tcase_add_test(tc, member_that_lags_is_closed);
	tcase_add_test(tc, client_that_stops_acking_is_closed);
	tcase_add_test(tc, idle_timeout);
	tcase_add_test(tc, slow_consumer);
	tcase_add_test(tc, drain);
	suite_add_tcase(s, tc);
	rc = hy_check_run(s);
	cp_proc_stop(&proc);
	return rc;
}
