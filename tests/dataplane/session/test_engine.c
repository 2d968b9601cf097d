/* SPDX-License-Identifier: BSD-3-Clause
 * Session engine: handshake, sessions, drops by reason, timers, handoff,
 * down direction, capacity, and the reply-size rule for unauthenticated
 * input.  Tests run in one process (CK_NOFORK): EAL's shared state must not
 * be forked.
 */
#include <check.h>

#include "sess_harness.h"

#include "crypto/cookie.h"
#include "crypto/random.h"
#include "memory.h"

static struct harness_node node;
static struct recorder rec;
static struct hy_engine *eng;
static uint64_t now;

static struct hy_engine *make_engine(uint32_t max_sessions, uint32_t max_used)
{
	char err[128] = "";
	struct hy_engine_config c = harness_config(&node, &rec, max_sessions);
	c.max_used_sids = max_used;
	struct hy_engine *e = hy_engine_create(&c, err, sizeof(err));
	ck_assert_msg(e != NULL, "create: %s", err);
	return e;
}

static void setup(void)
{
	now = T_T0_MS;
	ck_assert_int_eq(harness_node_init(&node, now), 0);
	memset(&rec, 0, sizeof(rec));
	eng = make_engine(16, 0);
}

static void teardown(void)
{
	hy_engine_destroy(eng);
	eng = NULL;
	hy_engine_shared_wipe(&node.sh);
}

static uint64_t now_s(void)
{
	return now / 1000u;
}

static void new_client(struct tclient *c, uint8_t last)
{
	ck_assert_int_eq(tclient_init(c, &node, T_NODE, T_KEY_ID, now_s() + 3600, "player-1", last,
				      50000),
			 0);
}

/* Feeds buf to e and checks the reply-size rule when unauthenticated. */
static enum hy_engine_action feed(struct hy_engine *e, const struct hy_peer *from, uint8_t *buf,
				  uint16_t len, struct hy_engine_result *res)
{
	enum hy_engine_action a = hy_engine_input(e, from, buf, len, HY_MAX_DATAGRAM, now, res);
	if (a == HY_ENGINE_DROP)
		ck_assert_int_ne(res->why, HY_R_OK);
	else
		ck_assert_int_eq(res->why, HY_R_OK);
	return a;
}

/* CONNECT -> CHALLENGE; returns the cookie. */
static void get_cookie(struct hy_engine *e, struct tclient *c, uint8_t cookie[HY_COOKIE_LEN])
{
	uint8_t buf[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	struct hy_pkt_challenge ch;
	uint16_t len = tclient_hello(c, NULL, buf, sizeof(buf));

	ck_assert_int_eq(len, HY_CONNECT_LEN);
	ck_assert_int_eq(feed(e, &c->peer, buf, len, &res), HY_ENGINE_REPLY);
	ck_assert_int_eq(res.reply_len, HY_CHALLENGE_LEN);
	ck_assert_int_le(res.reply_len, len);
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, res.reply_len, &ch), HY_R_OK);
	memcpy(cookie, ch.cookie, HY_COOKIE_LEN);
}

/* RESPONSE with cookie; returns the action and leaves the reply in buf. */
static enum hy_engine_action respond(struct hy_engine *e, struct tclient *c,
				     const struct hy_peer *from, const uint8_t *cookie,
				     uint8_t *buf, struct hy_engine_result *res)
{
	uint16_t len = tclient_hello(c, cookie, buf, HY_MAX_DATAGRAM);
	return feed(e, from, buf, len, res);
}

/* Full handshake on e; asserts ACCEPT. */
static void handshake(struct hy_engine *e, struct tclient *c)
{
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct hy_engine_result res;
	struct hy_pkt_header h;
	struct hy_accept a;
	size_t pt_len;

	get_cookie(e, c, cookie);
	ck_assert_int_eq(respond(e, c, &c->peer, cookie, buf, &res), HY_ENGINE_REPLY);
	ck_assert_int_eq(res.reply_len, HY_ACCEPT_PKT_LEN);
	ck_assert_int_eq(tclient_open(c, buf, res.reply_len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_ACCEPT);
	ck_assert_int_eq(hy_accept_decode(pt, pt_len, &a), HY_R_OK);
	ck_assert_uint_eq(a.keepalive_ms, 1000);
	ck_assert_uint_eq(a.idle_timeout_ms, 10000);
	ck_assert_uint_eq(a.max_message, HY_MAX_MESSAGE);
}

/* Expects a DENY with reason why in buf. */
static void expect_deny(struct tclient *c, const uint8_t *buf, uint16_t len,
			enum hy_close_reason why)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	enum hy_close_reason got;
	size_t pt_len;

	ck_assert_int_eq(tclient_open(c, buf, len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_DENY);
	ck_assert(h.pn >> 63); /* never a session's packet number */
	ck_assert_int_eq(hy_close_decode(pt, pt_len, &got), HY_R_OK);
	ck_assert_int_eq(got, why);
}

/* Sends an ECHO and returns the decoded response. */
static void echo(struct hy_engine *e, struct tclient *c, const struct hy_peer *from,
		 struct hy_echo_resp *er)
{
	uint8_t buf[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct hy_engine_result res;
	struct hy_pkt_header h;
	struct hy_frame f;
	struct hy_msg m;
	struct hy_rd rd;
	size_t pt_len;
	uint16_t len = tclient_echo(c, 0x0102030405060708ull, buf, sizeof(buf));

	ck_assert_int_eq(feed(e, from, buf, len, &res), HY_ENGINE_REPLY);
	ck_assert_int_eq(tclient_open(c, buf, res.reply_len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_DATA);
	hy_rd_init(&rd, pt, pt_len);
	ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
	ck_assert_int_eq(f.type, HY_FRAME_UNRELIABLE);
	ck_assert_int_eq(hy_rd_left(&rd), 0);
	ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &m), HY_R_OK);
	ck_assert_int_eq(m.ver, 0);
	ck_assert_int_eq(m.cmd, HY_CMD_ECHO);
	ck_assert_int_eq(m.status, HY_STATUS_OK);
	ck_assert_int_eq(hy_echo_resp_decode(m.payload, m.len, er), HY_R_OK);
	ck_assert(er->client_time == 0x0102030405060708ull);
}

static void expect_drop(struct hy_engine *e, const struct hy_peer *from, uint8_t *buf,
			uint16_t len, enum hy_reason why)
{
	struct hy_engine_result res;
	uint64_t before = hy_engine_stats(e)->drops[why];

	ck_assert_int_eq(feed(e, from, buf, len, &res), HY_ENGINE_DROP);
	ck_assert_msg(res.why == why, "expected %s, got %s", hy_reason_name(why),
		      hy_reason_name(res.why));
	ck_assert_int_eq(res.reply_len, 0);
	ck_assert(hy_engine_stats(e)->drops[why] == before + 1);
}

/* Decodes a DISCONNECT the engine sent through ops->tx. */
static void expect_disconnect(struct tclient *c, const struct rec_pkt *p,
			      enum hy_close_reason why)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	enum hy_close_reason got;
	size_t pt_len;

	ck_assert_int_eq(tclient_open(c, p->b, p->len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_DISCONNECT);
	ck_assert_int_eq(hy_close_decode(pt, pt_len, &got), HY_R_OK);
	ck_assert_int_eq(got, why);
}

START_TEST(full_handshake_echo_commands_disconnect)
{
	struct tclient c;
	struct hy_echo_resp er;
	struct hy_engine_result res;
	uint8_t buf[HY_MAX_DATAGRAM], pt[64];
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	uint16_t len;

	new_client(&c, 7);
	handshake(eng, &c);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
	ck_assert_uint_eq(rec.n_opened, 1);
	ck_assert(rec.opened[0].sid == c.cred.sid);
	ck_assert_str_eq(rec.opened[0].uid, "player-1");
	ck_assert_int_eq(rec.opened[0].uid_len, 8);
	ck_assert_int_eq(rec.opened[0].transport, HY_TRANSPORT_UDP);
	ck_assert_mem_eq(&rec.opened[0].peer, &c.peer, sizeof(c.peer));

	echo(eng, &c, &c.peer, &er);
	ck_assert_int_eq(er.node_state, HY_NODE_ONLINE);
	ck_assert_int_eq(er.addr.family, 4);
	ck_assert_mem_eq(er.addr.addr, c.peer.addr, 4);
	ck_assert_int_eq(er.addr.port, 50000);

	/* Application commands go up, decrypted, with their channel. */
	len = tclient_command(&c, HY_FRAME_UNRELIABLE, 2, 0x0101, "hi", 2, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_CONSUMED);
	len = tclient_command(&c, HY_FRAME_SEQUENCED, 2, 0x0102, "s", 1, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_CONSUMED);
	len = tclient_command(&c, HY_FRAME_RELIABLE, 1, 0x0005, "r", 1, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_CONSUMED);
	/* A transport command other than ECHO also goes up. */
	len = tclient_command(&c, HY_FRAME_UNRELIABLE, 0, 9, NULL, 0, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(rec.n_cmd, 4);
	ck_assert(rec.cmd[0].sid == c.cred.sid);
	ck_assert_int_eq(rec.cmd[0].ver, 2);
	ck_assert_int_eq(rec.cmd[0].cmd, 0x0101);
	ck_assert_int_eq(rec.cmd[0].d, HY_ENGINE_UNRELIABLE);
	ck_assert_int_eq(rec.cmd[0].len, 2);
	ck_assert_mem_eq(rec.cmd[0].payload, "hi", 2);
	ck_assert_int_eq(rec.cmd[1].d, HY_ENGINE_SEQUENCED);
	ck_assert_int_eq(rec.cmd[2].d, HY_ENGINE_RELIABLE);
	ck_assert_int_eq(rec.cmd[2].ver, 1);
	ck_assert_int_eq(rec.cmd[3].ver, 0);
	ck_assert_int_eq(rec.cmd[3].len, 0);

	/* Several frames in one packet: ECHO + command + PING + ACK; the
	 * reply carries only the echo response. */
	{
		uint8_t m1[16], m2[16], req[8], p[HY_MAX_PAYLOAD];
		struct hy_wr w;
		struct hy_seq_range iv = {.hi = 3, .lo = 0};
		hy_echo_req_encode(req, sizeof(req), 42);
		size_t l1 = hy_msg_cmd_encode(m1, sizeof(m1), 0, HY_CMD_ECHO, req, sizeof(req));
		size_t l2 = hy_msg_cmd_encode(m2, sizeof(m2), 3, 7, "x", 1);
		hy_wr_init(&w, p, sizeof(p));
		ck_assert(hy_frame_put_ack(&w, 1, &iv, 1));
		ck_assert(hy_frame_put_unreliable(&w, m1, l1));
		ck_assert(hy_frame_put_ping(&w));
		ck_assert(hy_frame_put_unreliable(&w, m2, l2));
		len = tclient_seal(&c, HY_PKT_DATA, p, w.off, buf, sizeof(buf));
		ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_REPLY);
		ck_assert_uint_eq(rec.n_cmd, 5);
		ck_assert_uint_eq(st->echoes, 2);
	}

	/* DISCONNECT from the client. */
	hy_close_encode(pt, sizeof(pt), HY_CLOSE_CLIENT_CLOSED);
	len = tclient_seal(&c, HY_PKT_DISCONNECT, pt, HY_DISCONNECT_BODY_LEN, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(rec.n_closed, 1);
	ck_assert(rec.closed_sid[0] == c.cred.sid);
	ck_assert_int_eq(rec.closed_why[0], HY_CLOSE_CLIENT_CLOSED);
	ck_assert(st->opened == 1 && st->closed == 1 && st->sessions == 0);
	ck_assert(st->closed_by[HY_CLOSE_CLIENT_CLOSED] == 1);
	ck_assert(st->connects == 1 && st->challenges == 1 && st->accepts == 1);
	ck_assert(st->commands == 5 && st->up_events == 1 + 5 + 1 && st->up_dropped == 0);
	ck_assert(st->used_sids == 1);
	/* Nothing was dropped on the way. */
	for (unsigned r = 0; r < HY_R_COUNT; r++)
		ck_assert_msg(st->drops[r] == 0, "drop %s", hy_reason_name(r));

	/* The session is gone: its packets are unknown now. */
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_UNKNOWN_SESSION);
}
END_TEST

START_TEST(admit_turns_garbage_away_and_counts_it)
{
	/* hy_engine_admit() alone: what hy_engine_input() would drop on its
	 * first byte or its length is refused and counted the same way;
	 * the rest is let through, counted nowhere yet. */
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	static uint8_t buf[HY_MAX_DATAGRAM + 1];
	struct tclient c;
	uint16_t len;

	new_client(&c, 1);
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	ck_assert(hy_engine_admit(eng, buf, len));
	ck_assert_uint_eq(st->rx, 0);
	buf[0] ^= 0xf0; /* another protocol version */
	ck_assert(!hy_engine_admit(eng, buf, len));
	ck_assert_uint_eq(st->drops[HY_R_BAD_VERSION], 1);
	buf[0] ^= 0xf0;
	ck_assert(!hy_engine_admit(eng, buf, 10)); /* a CONNECT cut short */
	ck_assert_uint_eq(st->drops[HY_R_BAD_PACKET_SIZE], 1);
	ck_assert(!hy_engine_admit(eng, buf, 0));
	ck_assert_uint_eq(st->drops[HY_R_TRUNCATED], 1);
	ck_assert(!hy_engine_admit(eng, buf, HY_MAX_DATAGRAM + 1));
	ck_assert_uint_eq(st->drops[HY_R_OVERSIZED], 1);
	ck_assert_uint_eq(st->rx, 4);
	/* the same datagram through hy_engine_input() is counted the same way */
	buf[0] ^= 0xf0;
	expect_drop(eng, &c.peer, buf, len, HY_R_BAD_VERSION);
	ck_assert_uint_eq(st->drops[HY_R_BAD_VERSION], 2);
	ck_assert_uint_eq(st->rx, 5);
}
END_TEST

START_TEST(connect_bad_tokens_are_silent)
{
	struct tclient c;
	uint8_t buf[HY_MAX_DATAGRAM];
	uint16_t len;

	/* Forged: one bit of the sealed part flipped. */
	new_client(&c, 1);
	c.cred.token[HY_TOKEN_PUBLIC_LEN + 5] ^= 1;
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_AUTH_FAILED);
	ck_assert(hy_engine_stats(eng)->auth_failures == 1);

	/* Expired. */
	ck_assert_int_eq(tclient_init(&c, &node, T_NODE, T_KEY_ID, now_s(), "u", 1, 1), 0);
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_TOKEN_EXPIRED);

	/* Another node. */
	ck_assert_int_eq(tclient_init(&c, &node, T_NODE + 1, T_KEY_ID, now_s() + 60, "u", 1, 1), 0);
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_TOKEN_WRONG_NODE);

	/* Unknown key id. */
	ck_assert_int_eq(tclient_init(&c, &node, T_NODE, T_KEY_ID + 1, now_s() + 60, "u", 1, 1), 0);
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_TOKEN_BAD_KEY_ID);

	/* A token for the TCP transport: the control plane's, never ours. */
	new_client(&c, 1);
	ck_assert_int_eq(hy_token_mint(&node.cluster_mint, T_KEY_ID, T_NODE, now_s() + 60, "u",
				       HY_TRANSPORT_TCP, &c.cred), 0);
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_TOKEN_WRONG_TRANSPORT);

	/* A RESPONSE with a bad token is silent too. */
	new_client(&c, 1);
	c.cred.token[HY_TOKEN_LEN - 1] ^= 0x80;
	len = tclient_hello(&c, (const uint8_t[HY_COOKIE_LEN]){0}, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_AUTH_FAILED);

	/* Nonzero padding, CONNECT with a cookie. */
	new_client(&c, 1);
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	buf[HY_CONNECT_LEN - 1] = 1;
	expect_drop(eng, &c.peer, buf, len, HY_R_BAD_PADDING);
	len = tclient_hello(&c, NULL, buf, sizeof(buf));
	buf[HY_CONNECT_COOKIE_OFF] = 1;
	expect_drop(eng, &c.peer, buf, len, HY_R_BAD_PADDING);
	ck_assert(hy_engine_stats(eng)->challenges == 0);
	ck_assert(hy_engine_stats(eng)->tx == 0);
	ck_assert_uint_eq(rec.n_tx, 0);
}
END_TEST

START_TEST(response_cookie_checks)
{
	struct tclient c;
	struct hy_peer other;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], bad[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];

	new_client(&c, 9);
	get_cookie(eng, &c, cookie);

	/* Serial: worker id 0 in the top byte, counter below. */
	ck_assert_int_eq(cookie[4], 0);

	memcpy(bad, cookie, sizeof(bad));
	bad[HY_COOKIE_LEN - 1] ^= 1;
	ck_assert_int_eq(respond(eng, &c, &c.peer, bad, buf, &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_COOKIE_BAD);

	/* The cookie is bound to the address (port included). */
	other = c.peer;
	other.port++;
	ck_assert_int_eq(respond(eng, &c, &other, cookie, buf, &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_COOKIE_BAD);
	make_peer4(&other, 10, 50000);
	ck_assert_int_eq(respond(eng, &c, &other, cookie, buf, &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_COOKIE_BAD);

	/* An all-zero cookie is 1970's: expired. */
	ck_assert_int_eq(respond(eng, &c, &c.peer, (const uint8_t[HY_COOKIE_LEN]){0}, buf, &res),
			 HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_COOKIE_EXPIRED);

	/* Expired after its lifetime. */
	now += (HY_COOKIE_LIFETIME_S + 1) * 1000u;
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_COOKIE_EXPIRED);
	ck_assert(hy_engine_stats(eng)->auth_failures == 3);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(rec.n_tx, 0);
}
END_TEST

START_TEST(cookie_key_rotation)
{
	struct tclient c, d;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];
	const uint64_t step = HY_ENGINE_COOKIE_ROTATE_MIN_MS;

	/* Too soon after init. */
	ck_assert_int_eq(hy_engine_shared_rotate_cookie_key(&node.sh, HY_AEAD_IPSECMB, now + 1), -1);

	/* A cookie from the previous key still opens a session. */
	new_client(&c, 9);
	get_cookie(eng, &c, cookie);
	ck_assert_int_eq(hy_engine_shared_rotate_cookie_key(&node.sh, HY_AEAD_IPSECMB, now + step),
			 0);
	ck_assert_int_eq(hy_engine_shared_rotate_cookie_key(&node.sh, HY_AEAD_IPSECMB,
							     now + step + 1),
			 -1);
	now += 1000;
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);

	/* Two rotations later that key is gone. */
	new_client(&d, 11);
	get_cookie(eng, &d, cookie);
	ck_assert_int_eq(hy_engine_shared_rotate_cookie_key(&node.sh, HY_AEAD_IPSECMB,
							     now + 2 * step),
			 0);
	ck_assert_int_eq(hy_engine_shared_rotate_cookie_key(&node.sh, HY_AEAD_IPSECMB,
							     now + 3 * step),
			 0);
	ck_assert_int_eq(respond(eng, &d, &d.peer, cookie, buf, &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_COOKIE_BAD);
	/* A fresh cookie under the newest key works. */
	get_cookie(eng, &d, cookie);
	ck_assert_int_eq(respond(eng, &d, &d.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	ck_assert_uint_eq(hy_engine_sessions(eng), 2);
}
END_TEST

START_TEST(token_reuse_after_close)
{
	struct tclient c;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];

	new_client(&c, 3);
	handshake(eng, &c);
	ck_assert_int_eq(hy_engine_kick(eng, c.cred.sid, HY_CLOSE_KICKED), HY_R_OK);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(rec.n_tx, 3);
	for (unsigned i = 0; i < 3; i++) {
		expect_disconnect(&c, &rec.tx[i], HY_CLOSE_KICKED);
		ck_assert_mem_eq(&rec.tx[i].to, &c.peer, sizeof(c.peer));
	}
	ck_assert_int_eq(rec.closed_why[0], HY_CLOSE_KICKED);
	ck_assert_int_eq(hy_engine_kick(eng, c.cred.sid, HY_CLOSE_KICKED), HY_R_UNKNOWN_SESSION);

	/* Same token again: CHALLENGE (stateless), then DENY TOKEN_REUSED. */
	hy_replay_init(&c.rx);
	get_cookie(eng, &c, cookie);
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	expect_deny(&c, buf, res.reply_len, HY_CLOSE_TOKEN_REUSED);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert(hy_engine_stats(eng)->denies[HY_CLOSE_TOKEN_REUSED] == 1);

	/* The sid is forgotten once the token has expired (it cannot open
	 * anything then anyway). */
	now += 3601u * 1000u;
	hy_engine_tick(eng, now);
	ck_assert(hy_engine_stats(eng)->used_sids == 0);
}
END_TEST

START_TEST(duplicate_response_resends_accept)
{
	struct tclient c;
	struct hy_peer moved;
	struct hy_engine_result res;
	struct hy_pkt_header h;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	size_t pt_len;

	new_client(&c, 4);
	get_cookie(eng, &c, cookie);
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	ck_assert_int_eq(tclient_open(&c, buf, res.reply_len, &h, pt, &pt_len), HY_R_OK);
	ck_assert(h.pn == 0);
	/* ACCEPT lost: the same RESPONSE again gets the ACCEPT again, pn 1. */
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	ck_assert_int_eq(tclient_open(&c, buf, res.reply_len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_ACCEPT);
	ck_assert(h.pn == 1);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
	ck_assert_uint_eq(rec.n_opened, 1);
	ck_assert(hy_engine_stats(eng)->accept_resends == 1);

	/* From another address (with a cookie for it): the ACCEPT goes to
	 * the session's address, the session does not move. */
	moved = c.peer;
	moved.port = 40000;
	{
		struct tclient c2 = c;
		c2.peer = moved;
		get_cookie(eng, &c2, cookie);
	}
	ck_assert_int_eq(respond(eng, &c, &moved, cookie, buf, &res), HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(rec.n_tx, 1);
	ck_assert_mem_eq(&rec.tx[0].to, &c.peer, sizeof(c.peer));
	ck_assert_int_eq(tclient_open(&c, rec.tx[0].b, rec.tx[0].len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_ACCEPT);

	/* Once the client has spoken in the session, the token is spent. */
	uint16_t len = tclient_echo(&c, 5, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_REPLY);
	get_cookie(eng, &c, cookie);
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_TOKEN_REUSED);
}
END_TEST

START_TEST(table_full_denies)
{
	struct tclient a, b, c, d;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];

	hy_engine_destroy(eng);
	eng = make_engine(2, 2);
	new_client(&a, 1);
	new_client(&b, 2);
	new_client(&c, 3);
	new_client(&d, 4);
	handshake(eng, &a);
	handshake(eng, &b);
	get_cookie(eng, &c, cookie);
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	expect_deny(&c, buf, res.reply_len, HY_CLOSE_SERVER_FULL);

	/* One slot free again, but the closed sid must be remembered too:
	 * live + remembered may not exceed max_used_sids (2). */
	ck_assert_int_eq(hy_engine_kick(eng, a.cred.sid, HY_CLOSE_KICKED), HY_R_OK);
	get_cookie(eng, &d, cookie);
	ck_assert_int_eq(respond(eng, &d, &d.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	expect_deny(&d, buf, res.reply_len, HY_CLOSE_SERVER_FULL);
	ck_assert(hy_engine_stats(eng)->denies[HY_CLOSE_SERVER_FULL] == 2);

	/* After a's token expires its sid is forgotten and d gets in (d's
	 * own token lives longer). */
	ck_assert_int_eq(tclient_init(&d, &node, T_NODE, T_KEY_ID, now_s() + 7200, "late", 4, 1),
			 0);
	now += 3601u * 1000u;
	hy_engine_kick(eng, b.cred.sid, HY_CLOSE_KICKED); /* b's token expires with a's */
	hy_engine_tick(eng, now);
	ck_assert_uint_eq(hy_engine_stats(eng)->used_sids, 0);
	handshake(eng, &d);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
}
END_TEST

/* While the control plane cannot hear of a new session, a RESPONSE is
 * dropped (EVENTS_FULL) and opens nothing; the client's resend, with the
 * same cookie, opens the session once it can. */
START_TEST(events_full_waits_for_resend)
{
	struct tclient a;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];

	new_client(&a, 1);
	get_cookie(eng, &a, cookie);
	rec.busy = true;
	ck_assert_int_eq(respond(eng, &a, &a.peer, cookie, buf, &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_EVENTS_FULL);
	ck_assert_uint_eq(hy_engine_stats(eng)->drops[HY_R_EVENTS_FULL], 1);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(rec.n_opened, 0);
	ck_assert_uint_eq(hy_engine_stats(eng)->used_sids, 0); /* the token is not spent */

	rec.busy = false;
	ck_assert_int_eq(respond(eng, &a, &a.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	ck_assert_int_eq(res.reply_len, HY_ACCEPT_PKT_LEN);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
	ck_assert_uint_eq(rec.n_opened, 1);
	ck_assert_uint_eq(rec.opened[0].sid, a.cred.sid);
}
END_TEST

START_TEST(drain_denies_and_reports_offline)
{
	struct tclient a, b;
	struct hy_echo_resp er;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];

	new_client(&a, 1);
	new_client(&b, 2);
	handshake(eng, &a);
	hy_engine_shared_set_state(&node.sh, HY_NODE_OFFLINE);
	echo(eng, &a, &a.peer, &er);
	ck_assert_int_eq(er.node_state, HY_NODE_OFFLINE);
	get_cookie(eng, &b, cookie); /* CONNECT still answered */
	ck_assert_int_eq(respond(eng, &b, &b.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	expect_deny(&b, buf, res.reply_len, HY_CLOSE_NODE_DRAINING);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);

	/* End of the grace period. */
	ck_assert_uint_eq(hy_engine_close_all(eng, HY_CLOSE_NODE_DRAINING), 1);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(rec.n_tx, 3);
	expect_disconnect(&a, &rec.tx[0], HY_CLOSE_NODE_DRAINING);
}
END_TEST

START_TEST(sealed_drops_by_reason)
{
	struct tclient c;
	struct hy_engine_result res;
	uint8_t buf[HY_MAX_DATAGRAM + 8], copy[HY_MAX_DATAGRAM];
	uint16_t len;
	const struct hy_engine_stats *st = hy_engine_stats(eng);

	new_client(&c, 5);
	handshake(eng, &c);

	/* Replayed. */
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	memcpy(copy, buf, len);
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_REPLY);
	memcpy(buf, copy, len);
	expect_drop(eng, &c.peer, buf, len, HY_R_REPLAYED);

	/* Forged packet far ahead: does not move the window. */
	c.pn = 1000;
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	buf[len - 1] ^= 1;
	expect_drop(eng, &c.peer, buf, len, HY_R_AUTH_FAILED);
	c.pn = 5;
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_REPLY);

	/* Too old. */
	c.pn = 300;
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_REPLY);
	c.pn = 2;
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, len, HY_R_TOO_OLD);
	ck_assert(st->replays == 2);
	c.pn = 400;

	/* Shape errors. */
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	expect_drop(eng, &c.peer, buf, 20, HY_R_BAD_PACKET_SIZE);
	expect_drop(eng, &c.peer, buf, 0, HY_R_TRUNCATED);
	memset(buf, 0, sizeof(buf));
	buf[0] = hy_pkt_prefix(HY_PKT_DATA);
	expect_drop(eng, &c.peer, buf, HY_MAX_DATAGRAM + 1, HY_R_OVERSIZED);
	expect_drop(eng, &c.peer, buf, 60, HY_R_ZERO_SESSION);
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	buf[0] = 0x27;
	expect_drop(eng, &c.peer, buf, len, HY_R_BAD_VERSION);
	buf[0] = 0x1f;
	expect_drop(eng, &c.peer, buf, len, HY_R_BAD_TYPE);
	/* Types that only travel towards clients. */
	buf[0] = hy_pkt_prefix(HY_PKT_CHALLENGE);
	expect_drop(eng, &c.peer, buf, HY_CHALLENGE_LEN, HY_R_BAD_TYPE);
	{
		uint8_t body[HY_ACCEPT_BODY_LEN] = {0};
		len = tclient_seal(&c, HY_PKT_ACCEPT, body, sizeof(body), buf, sizeof(buf));
		expect_drop(eng, &c.peer, buf, len, HY_R_BAD_TYPE);
	}
	/* Unknown session. */
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	buf[5] ^= 0x55;
	expect_drop(eng, &c.peer, buf, len, HY_R_UNKNOWN_SESSION);

	/* Authentic but malformed frames: dropped, window still marked. */
	{
		uint8_t p[4] = {HY_FRAME_PING, 0x42, 0, 0};
		len = tclient_seal(&c, HY_PKT_DATA, p, sizeof(p), buf, sizeof(buf));
		expect_drop(eng, &c.peer, buf, len, HY_R_BAD_TYPE);
	}
	/* A good command frame before a malformed one: the whole packet is
	 * refused, the command never goes up. */
	{
		uint8_t p[64], m[8];
		struct hy_wr w;
		size_t ml = hy_msg_cmd_encode(m, sizeof(m), 2, 0x0101, "hi", 2);
		unsigned cmds = rec.n_cmd;

		hy_wr_init(&w, p, sizeof(p));
		ck_assert(hy_frame_put_unreliable(&w, m, ml));
		hy_wr_u8(&w, 0x42); /* no such frame type */
		len = tclient_seal(&c, HY_PKT_DATA, p, w.off, buf, sizeof(buf));
		expect_drop(eng, &c.peer, buf, len, HY_R_BAD_TYPE);
		ck_assert_uint_eq(rec.n_cmd, cmds);
	}
	/* Unreliable FRAGMENT: not yet; a stale or out-of-range SEQUENCED message. */
	{
		uint8_t p[64];
		struct hy_wr w;
		hy_wr_init(&w, p, sizeof(p));
		ck_assert(hy_frame_put_fragment(&w, HY_FRAME_UNRELIABLE, 0, 0, 2, "ab", 2));
		ck_assert(hy_frame_put_sequenced(&w, 1, 10, "\x02\x00\x01", 3));
		ck_assert(hy_frame_put_sequenced(&w, 1, 9, "\x02\x00\x02", 3));
		ck_assert(hy_frame_put_sequenced(&w, 8, 1, "\x02\x00\x03", 3));
		ck_assert(hy_frame_put_unreliable(&w, "\x02", 1)); /* command too short */
		len = tclient_seal(&c, HY_PKT_DATA, p, w.off, buf, sizeof(buf));
		unsigned cmds = rec.n_cmd;
		ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_CONSUMED);
		ck_assert_uint_eq(rec.n_cmd, cmds + 1);
		ck_assert(st->drops[HY_R_UNSUPPORTED] == 1);
		ck_assert(st->drops[HY_R_TOO_OLD] == 2);
		ck_assert(st->drops[HY_R_BAD_CHANNEL] == 1);
		ck_assert(st->drops[HY_R_TRUNCATED] == 2);
	}
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
}
END_TEST

START_TEST(nat_rebind_follows_authenticated_packets_only)
{
	struct tclient c;
	struct hy_peer nat, forger;
	struct hy_echo_resp er;
	struct hy_engine_session_info info;
	uint8_t buf[HY_MAX_DATAGRAM], copy[HY_MAX_DATAGRAM];
	uint16_t len;

	new_client(&c, 6);
	handshake(eng, &c);
	make_peer4(&nat, 6, 61000);
	make_peer4(&forger, 66, 666);

	/* Forged from a new address: no move. */
	len = tclient_echo(&c, 0x0102030405060708ull, buf, sizeof(buf));
	memcpy(copy, buf, len);
	buf[HY_DATA_HEADER_LEN] ^= 1;
	expect_drop(eng, &forger, buf, len, HY_R_AUTH_FAILED);
	ck_assert_int_eq(hy_engine_session_get(eng, c.cred.sid, &info), HY_R_OK);
	ck_assert_mem_eq(&info.peer, &c.peer, sizeof(c.peer));

	/* The genuine packet (same pn, same bytes) from the NAT's new mapping
	 * moves the session; the echo reports the new address. */
	c.pn--;
	echo(eng, &c, &nat, &er);
	ck_assert_int_eq(er.addr.port, 61000);
	ck_assert_int_eq(hy_engine_session_get(eng, c.cred.sid, &info), HY_R_OK);
	ck_assert_mem_eq(&info.peer, &nat, sizeof(nat));
	ck_assert(hy_engine_stats(eng)->rebinds == 1);

	/* A replay of it from yet another address: no move. */
	expect_drop(eng, &forger, copy, len, HY_R_REPLAYED);
	ck_assert_int_eq(hy_engine_session_get(eng, c.cred.sid, &info), HY_R_OK);
	ck_assert_mem_eq(&info.peer, &nat, sizeof(nat));

	/* Pushes go to the new address. */
	ck_assert_int_eq(hy_engine_send(eng, c.cred.sid, 2, 9, HY_STATUS_PUSH, HY_ENGINE_UNRELIABLE, "p", 1), HY_R_OK);
	ck_assert_mem_eq(&rec.tx[rec.n_tx - 1].to, &nat, sizeof(nat));
}
END_TEST

START_TEST(idle_timeout_and_keepalive)
{
	struct tclient c;
	struct hy_pkt_header h;
	struct hy_engine_result res;
	uint8_t pt[HY_MAX_PAYLOAD], buf[HY_MAX_DATAGRAM];
	size_t pt_len;
	uint16_t len;

	new_client(&c, 8);
	handshake(eng, &c);
	ck_assert_uint_eq(hy_engine_tick(eng, now + 999), 0);
	ck_assert_uint_eq(rec.n_tx, 0);

	/* Nothing sent for keepalive_ms: a PING. */
	now += 1000;
	ck_assert_uint_eq(hy_engine_tick(eng, now), 1);
	ck_assert_uint_eq(rec.n_tx, 1);
	ck_assert_int_eq(tclient_open(&c, rec.tx[0].b, rec.tx[0].len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_DATA);
	ck_assert_uint_eq(pt_len, 1);
	ck_assert_int_eq(pt[0], HY_FRAME_PING);
	ck_assert(hy_engine_stats(eng)->keepalives == 1);
	/* Not again right away. */
	ck_assert_uint_eq(hy_engine_tick(eng, now + 10), 0);

	/* A reply counts as sending: no PING after an echo. */
	now += 900;
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &c.peer, buf, len, &res), HY_ENGINE_REPLY);
	now += 500;
	ck_assert_uint_eq(hy_engine_tick(eng, now), 0);

	/* Silent for idle_timeout_ms since the echo: closed, one DISCONNECT. */
	now += 10000;
	hy_engine_tick(eng, now);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	ck_assert_uint_eq(rec.n_closed, 1);
	ck_assert_int_eq(rec.closed_why[0], HY_CLOSE_IDLE_TIMEOUT);
	expect_disconnect(&c, &rec.tx[rec.n_tx - 1], HY_CLOSE_IDLE_TIMEOUT);
	ck_assert(hy_engine_stats(eng)->idle_timeouts == 1);
	ck_assert(hy_engine_stats(eng)->closed_by[HY_CLOSE_IDLE_TIMEOUT] == 1);
}
END_TEST

START_TEST(tick_is_bounded)
{
	struct tclient c[5];
	char err[64];
	struct hy_engine_config cfg = harness_config(&node, &rec, 8);

	hy_engine_destroy(eng);
	cfg.tick_budget = 2;
	eng = hy_engine_create(&cfg, err, sizeof(err));
	ck_assert_ptr_nonnull(eng);
	for (unsigned i = 0; i < 5; i++) {
		new_client(&c[i], (uint8_t)(20 + i));
		handshake(eng, &c[i]);
	}
	now += 1000;
	/* 5 sessions, 2 per tick: 2, 2, then 1 (and the scan wraps). */
	ck_assert_uint_eq(hy_engine_tick(eng, now), 2);
	ck_assert_uint_eq(hy_engine_tick(eng, now), 2);
	ck_assert_uint_eq(hy_engine_tick(eng, now), 1);
	ck_assert_uint_eq(hy_engine_tick(eng, now), 0);
}
END_TEST

START_TEST(handoff_between_two_workers)
{
	struct recorder rec1;
	struct hy_engine *w[2];
	struct tclient c;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM], copy[HY_MAX_DATAGRAM];
	unsigned per[2] = {0, 0};
	uint16_t len;
	char err[64];

	for (unsigned i = 0; i < 1000; i++) {
		uint64_t sid;
		hy_random_bytes(&sid, sizeof(sid));
		per[hy_engine_owner(sid, 2)]++;
	}
	ck_assert(per[0] > 400 && per[1] > 400);
	ck_assert_uint_eq(hy_engine_owner(12345, 1), 0);

	memset(&rec1, 0, sizeof(rec1));
	for (unsigned i = 0; i < 2; i++) {
		struct hy_engine_config cfg = harness_config(&node, i ? &rec1 : &rec, 8);
		cfg.worker_id = (uint16_t)i;
		cfg.n_workers = 2;
		w[i] = hy_engine_create(&cfg, err, sizeof(err));
		ck_assert_ptr_nonnull(w[i]);
	}
	new_client(&c, 12);
	uint16_t owner = hy_engine_owner(c.cred.sid, 2);
	struct hy_engine *other = w[1 - owner], *mine = w[owner];

	/* Any worker answers CONNECT; the serial carries its id. */
	get_cookie(other, &c, cookie);
	ck_assert_int_eq(cookie[4], 1 - owner);
	/* RESPONSE on the wrong worker: handed to the owner, which accepts. */
	len = tclient_hello(&c, cookie, buf, sizeof(buf));
	memcpy(copy, buf, len);
	ck_assert_int_eq(feed(other, &c.peer, buf, len, &res), HY_ENGINE_HANDOFF);
	ck_assert_int_eq(res.owner, owner);
	ck_assert_int_eq(res.reply_len, 0);
	ck_assert_uint_eq(hy_engine_sessions(other), 0);
	ck_assert_int_eq(feed(mine, &c.peer, copy, len, &res), HY_ENGINE_REPLY);
	ck_assert_uint_eq(hy_engine_sessions(mine), 1);

	/* Sealed packets: decided from the header alone. */
	len = tclient_echo(&c, 1, buf, sizeof(buf));
	memcpy(copy, buf, len);
	ck_assert_int_eq(feed(other, &c.peer, buf, len, &res), HY_ENGINE_HANDOFF);
	ck_assert_int_eq(res.owner, owner);
	ck_assert_int_eq(feed(mine, &c.peer, copy, len, &res), HY_ENGINE_REPLY);
	ck_assert(hy_engine_stats(other)->handoffs == 2);
	ck_assert(hy_engine_stats(mine)->handoffs == 0);
	hy_engine_destroy(w[0]);
	hy_engine_destroy(w[1]);
}
END_TEST

START_TEST(send_down_reaches_client)
{
	struct tclient c;
	struct hy_pkt_header h;
	struct hy_frame f;
	struct hy_msg m;
	struct hy_rd rd;
	uint8_t pt[HY_MAX_PAYLOAD], big[HY_MAX_PAYLOAD];
	size_t pt_len;

	new_client(&c, 13);
	handshake(eng, &c);
	ck_assert_int_eq(hy_engine_send(eng, c.cred.sid, 2, 0x0101, HY_STATUS_BAD, HY_ENGINE_UNRELIABLE, "full", 4),
			 HY_R_OK);
	ck_assert_uint_eq(rec.n_tx, 1);
	ck_assert_mem_eq(&rec.tx[0].to, &c.peer, sizeof(c.peer));
	ck_assert_int_eq(tclient_open(&c, rec.tx[0].b, rec.tx[0].len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_DATA);
	hy_rd_init(&rd, pt, pt_len);
	ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
	ck_assert_int_eq(f.type, HY_FRAME_UNRELIABLE);
	ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &m), HY_R_OK);
	ck_assert_int_eq(m.ver, 2);
	ck_assert_int_eq(m.cmd, 0x0101);
	ck_assert_int_eq(m.status, HY_STATUS_BAD);
	ck_assert_uint_eq(m.len, 4);
	ck_assert_mem_eq(m.payload, "full", 4);

	/* Largest that fits, one too many, bad status, unknown session. */
	memset(big, 0xab, sizeof(big));
	uint32_t max = HY_FRAME_MAX_UNRELIABLE - HY_MSG_RESP_HDR;
	ck_assert_int_eq(hy_engine_send(eng, c.cred.sid, 2, 1, HY_STATUS_PUSH, HY_ENGINE_UNRELIABLE, big, max), HY_R_OK);
	ck_assert_uint_eq(rec.tx[1].len, HY_MAX_DATAGRAM);
	ck_assert_int_eq(tclient_open(&c, rec.tx[1].b, rec.tx[1].len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(hy_engine_send(eng, c.cred.sid, 2, 1, HY_STATUS_PUSH, HY_ENGINE_UNRELIABLE, big, max + 1),
			 HY_R_MESSAGE_TOO_LARGE);
	ck_assert_int_eq(hy_engine_send(eng, c.cred.sid, 2, 1, 7, HY_ENGINE_UNRELIABLE, NULL, 0), HY_R_BAD_MESSAGE_KIND);
	ck_assert_int_eq(hy_engine_send(eng, c.cred.sid + 1, 2, 1, HY_STATUS_OK, HY_ENGINE_UNRELIABLE, NULL, 0),
			 HY_R_UNKNOWN_SESSION);
	/* ops->tx refusing: reported and counted. */
	rec.refuse = true;
	ck_assert_int_eq(hy_engine_send(eng, c.cred.sid, 2, 1, HY_STATUS_OK, HY_ENGINE_UNRELIABLE, NULL, 0),
			 HY_R_OUT_OF_SPACE);
	ck_assert(hy_engine_stats(eng)->tx_refused == 1);
	ck_assert_int_eq(hy_engine_kick(eng, c.cred.sid, HY_CLOSE_KICKED), HY_R_OK);
	ck_assert(hy_engine_stats(eng)->up_dropped == 1);
}
END_TEST

static int count_cb(void *arg, const struct hy_engine_session_info *s)
{
	unsigned *n = arg;
	(*n)++;
	return s->sid == 0; /* never: keeps going */
}

START_TEST(many_sessions)
{
	enum { N = 10000 };
	static uint64_t sids[N];
	struct hy_engine_session_info info;
	struct tclient c;
	struct hy_engine_result res;
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];
	unsigned seen = 0;

	hy_engine_destroy(eng);
	eng = make_engine(N, 0);
	for (unsigned i = 0; i < N; i++) {
		new_client(&c, (uint8_t)i);
		c.peer.port = (uint16_t)(1000 + i);
		get_cookie(eng, &c, cookie);
		ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_REPLY);
		ck_assert_uint_eq(res.reply_len, HY_ACCEPT_PKT_LEN);
		sids[i] = c.cred.sid;
	}
	ck_assert_uint_eq(hy_engine_sessions(eng), N);
	for (unsigned i = 0; i < N; i++) {
		ck_assert_int_eq(hy_engine_session_get(eng, sids[i], &info), HY_R_OK);
		ck_assert_uint_eq(info.peer.port, 1000 + i);
	}
	ck_assert_uint_eq(hy_engine_foreach_session(eng, count_cb, &seen), N);
	ck_assert_uint_eq(seen, N);
	new_client(&c, 1);
	get_cookie(eng, &c, cookie);
	ck_assert_int_eq(respond(eng, &c, &c.peer, cookie, buf, &res), HY_ENGINE_REPLY);
	expect_deny(&c, buf, res.reply_len, HY_CLOSE_SERVER_FULL);

	size_t mem = hy_engine_memory(eng);
	ck_assert_uint_gt(mem, (size_t)N * hy_engine_session_entry_size());
	printf("engine: %u sessions, %zu bytes allocated, %zu bytes/session (entry %zu)\n", N, mem,
	       mem / N, hy_engine_session_entry_size());
	ck_assert_uint_eq(hy_engine_close_all(eng, HY_CLOSE_KICKED), N);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
}
END_TEST

/* The same message to many sessions: each live one gets it sealed with its
 * own keys, a sid not in the table is refused and counted in the result;
 * more recipients than one bulk lookup takes (32) go in several. */
START_TEST(send_many_reaches_each_session)
{
	enum { N = 40 };
	static struct tclient cl[N];
	uint64_t sids[N + 1];
	struct hy_engine_out out = {.ver = 1, .cmd = 0x0203, .status = HY_STATUS_PUSH,
				    .delivery = HY_ENGINE_UNRELIABLE, .payload = "hi", .len = 2};
	enum hy_reason why;
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	struct hy_frame f;
	struct hy_msg m;
	struct hy_rd rd;
	size_t pt_len;

	hy_engine_destroy(eng);
	eng = make_engine(N, 0);
	for (unsigned i = 0; i < N; i++) {
		new_client(&cl[i], (uint8_t)(60 + i));
		cl[i].peer.port = (uint16_t)(5000 + i);
		handshake(eng, &cl[i]);
		sids[i < 7 ? i : i + 1] = cl[i].cred.sid;
	}
	sids[7] = cl[0].cred.sid ^ 0x5a5a; /* not a session */
	rec.n_tx = 0;
	ck_assert_uint_eq(hy_engine_send_many(eng, sids, NULL, N + 1, &out, &why), N);
	ck_assert_int_eq(why, HY_R_UNKNOWN_SESSION);
	ck_assert_uint_eq(rec.n_tx, N);
	for (unsigned i = 0; i < N; i++) {
		ck_assert_mem_eq(&rec.tx[i].to, &cl[i].peer, sizeof(cl[i].peer));
		ck_assert_int_eq(tclient_open(&cl[i], rec.tx[i].b, rec.tx[i].len, &h, pt, &pt_len),
				 HY_R_OK);
		hy_rd_init(&rd, pt, pt_len);
		ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
		ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &m), HY_R_OK);
		ck_assert_int_eq(m.cmd, 0x0203);
		ck_assert_int_eq(m.status, HY_STATUS_PUSH);
		ck_assert_mem_eq(m.payload, "hi", 2);
	}
	/* all known: OK */
	ck_assert_uint_eq(hy_engine_send_many(eng, sids, NULL, 3, &out, &why), 3);
	ck_assert_int_eq(why, HY_R_OK);
}
END_TEST

/* The caller's hint cells (a room's member list): filled with where each
 * sid was found, checked before use (a wrong or stale one costs a lookup,
 * never a push to the wrong session), and healed. */
START_TEST(send_many_hints_are_checked_and_healed)
{
	enum { N = 40 };
	static struct tclient cl[N];
	uint64_t sids[N + 1];
	uint32_t cell[N + 1], first[N + 1], *hints[N + 1];
	struct hy_engine_out out = {.ver = 1, .cmd = 0x0203, .status = HY_STATUS_PUSH,
				    .delivery = HY_ENGINE_UNRELIABLE, .payload = "hi", .len = 2};
	enum hy_reason why;
	unsigned i;

	hy_engine_destroy(eng);
	eng = make_engine(N, 0);
	for (i = 0; i < N; i++) {
		new_client(&cl[i], (uint8_t)(60 + i));
		cl[i].peer.port = (uint16_t)(5000 + i);
		handshake(eng, &cl[i]);
		sids[i] = cl[i].cred.sid;
	}
	sids[N] = cl[0].cred.sid ^ 0x5a5a; /* not a session */
	for (i = 0; i <= N; i++) {
		cell[i] = HY_ENGINE_NO_HINT;
		hints[i] = &cell[i];
	}
	rec.n_tx = 0;
	ck_assert_uint_eq(hy_engine_send_many(eng, sids, hints, N + 1, &out, &why), N);
	ck_assert_int_eq(why, HY_R_UNKNOWN_SESSION);
	for (i = 0; i < N; i++) {
		ck_assert_uint_ne(cell[i], HY_ENGINE_NO_HINT);
		ck_assert_mem_eq(&rec.tx[i].to, &cl[i].peer, sizeof(cl[i].peer));
	}
	ck_assert_uint_eq(cell[N], HY_ENGINE_NO_HINT);
	memcpy(first, cell, sizeof(first));
	/* two hints swapped, one out of range, the unknown sid given a live
	 * session's index: every push still goes to its own session */
	cell[0] = first[1];
	cell[1] = first[0];
	cell[2] = 0x7fffffffu;
	cell[N] = first[5];
	rec.n_tx = 0;
	ck_assert_uint_eq(hy_engine_send_many(eng, sids, hints, N + 1, &out, &why), N);
	ck_assert_uint_eq(rec.n_tx, N);
	for (i = 0; i < N; i++) {
		ck_assert_mem_eq(&rec.tx[i].to, &cl[i].peer, sizeof(cl[i].peer));
		ck_assert_uint_eq(cell[i], first[i]);
	}
	ck_assert_uint_eq(cell[N], HY_ENGINE_NO_HINT);
	/* a closed session's hint is stale: refused, and the cell cleared */
	ck_assert_int_eq(hy_engine_kick(eng, sids[3], HY_CLOSE_KICKED), HY_R_OK);
	rec.n_tx = 0;
	ck_assert_uint_eq(hy_engine_send_each(eng, sids, hints, (const struct hy_engine_out *[]){
		&out, &out, &out, &out, &out}, 5, &why), 4);
	ck_assert_int_eq(why, HY_R_UNKNOWN_SESSION);
	ck_assert_uint_eq(cell[3], HY_ENGINE_NO_HINT);
	ck_assert_mem_eq(&rec.tx[3].to, &cl[4].peer, sizeof(cl[4].peer));
}
END_TEST

/* send_many frames an unreliable message once for all recipients, yet one
 * that owes an ACK still gets the ACK in the same datagram, and the others
 * get the push alone. */
START_TEST(send_many_lets_an_owed_ack_ride_along)
{
	static struct tclient cl[2];
	uint64_t sids[2];
	struct hy_engine_out out = {.ver = 1, .cmd = 0x0203, .status = HY_STATUS_PUSH,
				    .delivery = HY_ENGINE_UNRELIABLE, .payload = "hi", .len = 2};
	struct hy_engine_result res;
	uint8_t pt[HY_MAX_PAYLOAD], buf[HY_MAX_DATAGRAM];
	struct hy_pkt_header h;
	enum hy_reason why;
	struct hy_frame f;
	struct hy_msg m;
	struct hy_rd rd;
	size_t pt_len;
	uint16_t len;

	for (unsigned i = 0; i < 2; i++) {
		new_client(&cl[i], (uint8_t)(110 + i));
		cl[i].peer.port = (uint16_t)(6000 + i);
		handshake(eng, &cl[i]);
		sids[i] = cl[i].cred.sid;
	}
	/* a reliable command from cl[0]: it goes up, and an ACK is owed */
	len = tclient_command(&cl[0], HY_FRAME_RELIABLE, 1, 0x0005, "r", 1, buf, sizeof(buf));
	ck_assert_int_eq(feed(eng, &cl[0].peer, buf, len, &res), HY_ENGINE_CONSUMED);
	for (unsigned round = 0; round < 2; round++) {
		rec.n_tx = 0;
		ck_assert_uint_eq(hy_engine_send_many(eng, sids, NULL, 2, &out, &why), 2);
		ck_assert_int_eq(why, HY_R_OK);
		ck_assert_uint_eq(rec.n_tx, 2);
		for (unsigned i = 0; i < 2; i++) {
			ck_assert_int_eq(tclient_open(&cl[i], rec.tx[i].b, rec.tx[i].len, &h, pt,
						      &pt_len), HY_R_OK);
			hy_rd_init(&rd, pt, pt_len);
			ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
			ck_assert_int_eq(f.type, HY_FRAME_UNRELIABLE);
			ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &m), HY_R_OK);
			ck_assert_int_eq(m.cmd, 0x0203);
			ck_assert_mem_eq(m.payload, "hi", 2);
			if (i == 0 && round == 0) {
				/* the owed ACK rode along, for the one reliable seq */
				ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
				ck_assert_int_eq(f.type, HY_FRAME_ACK);
				ck_assert_uint_eq(f.ack.range_count, 0);
				ck_assert_uint_eq(f.ack.first_range, 0);
			}
			/* the ACK is paid: from the second round on, the push alone */
			ck_assert_uint_eq(hy_rd_left(&rd), 0);
		}
	}
}
END_TEST

/* A port that lends the engine its packet buffer (ops->tx_buf): packets are
 * sealed straight into it, and one it cannot hold is sealed aside and
 * handed over to be copied as before. */
static struct {
	uint8_t buf[HY_MAX_DATAGRAM];
	uint16_t cap;
	unsigned lent, in_place;
} port;

static uint8_t *port_tx_buf(void *arg, const struct hy_peer *to, uint16_t *cap)
{
	(void)arg;
	(void)to;
	port.lent++;
	*cap = port.cap;
	return port.buf;
}

static int port_tx(void *arg, const struct hy_peer *to, const uint8_t *pkt, uint16_t len)
{
	port.in_place += pkt == port.buf;
	return rec_tx(arg, to, pkt, len);
}

START_TEST(tx_buf_is_sealed_into)
{
	static struct tclient cl[3];
	struct hy_engine_ops ops = rec_ops;
	struct hy_engine_config c = harness_config(&node, &rec, 8);
	struct hy_engine_out out = {.ver = 1, .cmd = 0x0203, .status = HY_STATUS_PUSH,
				    .delivery = HY_ENGINE_UNRELIABLE, .payload = "hi", .len = 2};
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	uint64_t sids[3];
	enum hy_reason why;
	char err[128] = "";
	size_t pt_len;

	ops.tx = port_tx;
	ops.tx_buf = port_tx_buf;
	c.ops = &ops;
	hy_engine_destroy(eng);
	eng = hy_engine_create(&c, err, sizeof(err));
	ck_assert_msg(eng != NULL, "%s", err);
	for (unsigned i = 0; i < 3; i++) {
		new_client(&cl[i], (uint8_t)(120 + i));
		cl[i].peer.port = (uint16_t)(7000 + i);
		handshake(eng, &cl[i]);
		sids[i] = cl[i].cred.sid;
	}
	port.cap = sizeof(port.buf);
	port.lent = port.in_place = rec.n_tx = 0;
	ck_assert_int_eq(hy_engine_send(eng, sids[0], 1, 0x0204, HY_STATUS_PUSH,
					HY_ENGINE_UNRELIABLE, "one", 3), HY_R_OK);
	ck_assert_uint_eq(hy_engine_send_many(eng, sids, NULL, 3, &out, &why), 3);
	ck_assert_uint_eq(rec.n_tx, 4);
	ck_assert_uint_eq(port.lent, 4);
	ck_assert_uint_eq(port.in_place, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(tclient_open(&cl[i == 0 ? 0 : i - 1], rec.tx[i].b, rec.tx[i].len,
					      &h, pt, &pt_len), HY_R_OK);
	/* too small a buffer: sealed aside, handed over all the same */
	port.cap = HY_DATA_OVERHEAD;
	port.lent = port.in_place = rec.n_tx = 0;
	ck_assert_int_eq(hy_engine_send(eng, sids[1], 1, 0x0204, HY_STATUS_PUSH,
					HY_ENGINE_UNRELIABLE, "two", 3), HY_R_OK);
	ck_assert_uint_eq(port.lent, 1);
	ck_assert_uint_eq(port.in_place, 0);
	ck_assert_uint_eq(rec.n_tx, 1);
	ck_assert_int_eq(tclient_open(&cl[1], rec.tx[0].b, rec.tx[0].len, &h, pt, &pt_len),
			 HY_R_OK);
}
END_TEST

/* One datagram of a prefetched burst, with its hint. */
static enum hy_engine_action feed_hinted(struct tclient *c, uint8_t *buf, uint16_t len,
					 uint32_t hint, struct hy_engine_result *res)
{
	return hy_engine_input_hinted(eng, &c->peer, buf, len, HY_MAX_DATAGRAM, now, hint, res);
}

/* A burst's hints spare the lookups and are never trusted: a session
 * closed since its hint was made is unknown, even once a new session holds
 * its slot; one opened since an "absent" hint is found; a datagram that is
 * no sealed packet gets no hint. */
START_TEST(burst_hints_are_checked)
{
	static struct tclient cl[4];
	uint8_t b[4][HY_MAX_DATAGRAM];
	const uint8_t *bufs[4] = {b[0], b[1], b[2], b[3]};
	uint16_t lens[4];
	uint32_t hints[4];
	uint64_t sids[4];
	struct hy_engine_result res;
	uint64_t unknown;

	for (unsigned i = 0; i < 4; i++) {
		new_client(&cl[i], (uint8_t)(130 + i));
		cl[i].peer.port = (uint16_t)(8000 + i);
	}
	handshake(eng, &cl[0]);
	handshake(eng, &cl[1]);
	/* two sessions, one not yet made, one CONNECT */
	lens[0] = tclient_echo(&cl[0], 1, b[0], sizeof(b[0]));
	lens[1] = tclient_echo(&cl[1], 2, b[1], sizeof(b[1]));
	lens[2] = tclient_echo(&cl[2], 3, b[2], sizeof(b[2]));
	lens[3] = tclient_hello(&cl[3], NULL, b[3], sizeof(b[3]));
	hy_engine_prefetch_burst(eng, bufs, lens, 4, hints, sids);
	for (unsigned i = 0; i < 3; i++)
		ck_assert(sids[i] == cl[i].cred.sid);
	ck_assert(sids[3] == 0);
	ck_assert_uint_ne(hints[0], HY_ENGINE_NO_HINT);
	ck_assert_uint_ne(hints[1], HY_ENGINE_NO_HINT);
	ck_assert_uint_ne(hints[0], hints[1]);
	ck_assert_uint_ne(hints[2], HY_ENGINE_NO_HINT); /* looked up: absent */
	ck_assert_uint_eq(hints[3], HY_ENGINE_NO_HINT);
	ck_assert_int_eq(feed_hinted(&cl[0], b[0], lens[0], hints[0], &res), HY_ENGINE_REPLY);
	/* cl[1] leaves and cl[3] takes its slot (the free list is LIFO) */
	ck_assert_int_eq(hy_engine_kick(eng, cl[1].cred.sid, HY_CLOSE_KICKED), HY_R_OK);
	handshake(eng, &cl[3]);
	unknown = hy_engine_stats(eng)->drops[HY_R_UNKNOWN_SESSION];
	ck_assert_int_eq(feed_hinted(&cl[1], b[1], lens[1], hints[1], &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_UNKNOWN_SESSION);
	ck_assert(hy_engine_stats(eng)->drops[HY_R_UNKNOWN_SESSION] == unknown + 1);
	/* cl[2] arrives after its datagram was found absent */
	handshake(eng, &cl[2]);
	ck_assert_int_eq(feed_hinted(&cl[2], b[2], lens[2], hints[2], &res), HY_ENGINE_REPLY);
	/* the CONNECT takes the usual path */
	lens[3] = tclient_hello(&cl[3], NULL, b[3], sizeof(b[3]));
	ck_assert_int_eq(feed_hinted(&cl[3], b[3], lens[3], HY_ENGINE_NO_HINT, &res),
			 HY_ENGINE_REPLY);
	/* an absent sid with nothing opened since: dropped without a lookup */
	lens[0] = tclient_echo(&cl[0], 4, b[0], sizeof(b[0]));
	b[0][5] ^= 0x5a; /* inside the sid */
	hy_engine_prefetch_burst(eng, bufs, lens, 1, hints, NULL);
	ck_assert_int_eq(feed_hinted(&cl[0], b[0], lens[0], hints[0], &res), HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_UNKNOWN_SESSION);
}
END_TEST

/* More sessions than key-cache slots: they take turns in the slots, each
 * turn costs an expansion, and every packet still opens and seals with its
 * own session's keys (a slot never serves a predecessor's keys). */
START_TEST(key_cache_smaller_than_table)
{
	enum { N = 8, SLOTS = 2 };
	static struct tclient cl[N + 1];
	struct hy_echo_resp er;
	char err[128] = "";
	struct hy_engine_config c = harness_config(&node, &rec, N);
	uint64_t before;

	hy_engine_destroy(eng);
	c.key_cache = SLOTS;
	eng = hy_engine_create(&c, err, sizeof(err));
	ck_assert_msg(eng != NULL, "create: %s", err);
	for (unsigned i = 0; i < N; i++) {
		new_client(&cl[i], (uint8_t)(10 + i));
		cl[i].peer.port = (uint16_t)(2000 + i);
		handshake(eng, &cl[i]);
	}
	/* a handshake expands both directions of the new session */
	ck_assert_uint_eq(hy_engine_stats(eng)->key_expansions, 2u * N);
	/* round robin over 8 sessions and 2 slots: every echo misses twice */
	for (unsigned round = 0; round < 3; round++)
		for (unsigned i = 0; i < N; i++) {
			before = hy_engine_stats(eng)->key_expansions;
			echo(eng, &cl[i], &cl[i].peer, &er);
			ck_assert_uint_eq(hy_engine_stats(eng)->key_expansions, before + 2);
		}
	/* the same session again: both keys are still in its slot */
	before = hy_engine_stats(eng)->key_expansions;
	echo(eng, &cl[N - 1], &cl[N - 1].peer, &er);
	ck_assert_uint_eq(hy_engine_stats(eng)->key_expansions, before);
	/* a closed session's index goes to the next one (LIFO), whose keys
	 * replace the old ones in the slot they share */
	ck_assert_int_eq(hy_engine_kick(eng, cl[N - 1].cred.sid, HY_CLOSE_KICKED), HY_R_OK);
	new_client(&cl[N], 99);
	cl[N].peer.port = 2999;
	handshake(eng, &cl[N]);
	echo(eng, &cl[N], &cl[N].peer, &er);
	echo(eng, &cl[0], &cl[0].peer, &er);
	echo(eng, &cl[N], &cl[N].peer, &er);
}
END_TEST

/* A cache as large as the table: after the handshake, no expansion. */
START_TEST(key_cache_covers_table)
{
	enum { N = 16 };
	static struct tclient cl[N];
	struct hy_echo_resp er;
	uint64_t before;

	for (unsigned i = 0; i < N; i++) {
		new_client(&cl[i], (uint8_t)(30 + i));
		cl[i].peer.port = (uint16_t)(3000 + i);
		handshake(eng, &cl[i]);
	}
	before = hy_engine_stats(eng)->key_expansions;
	for (unsigned round = 0; round < 2; round++)
		for (unsigned i = 0; i < N; i++)
			echo(eng, &cl[i], &cl[i].peer, &er);
	ck_assert_uint_eq(hy_engine_stats(eng)->key_expansions, before);
}
END_TEST

/* Every unauthenticated input: the reply is never larger than it. */
START_TEST(reply_never_larger_than_unauthenticated_input)
{
	struct tclient c, live;
	struct hy_engine_result res;
	uint8_t buf[HY_MAX_DATAGRAM + 1];
	uint64_t tx0;

	new_client(&live, 30);
	handshake(eng, &live);
	new_client(&c, 31);
	for (unsigned i = 0; i < 20000; i++) {
		uint16_t len;
		uint32_t rnd;
		hy_random_bytes(&rnd, sizeof(rnd));
		hy_random_bytes(buf, sizeof(buf));
		len = (uint16_t)(rnd % (HY_MAX_DATAGRAM + 2));
		switch (rnd >> 28) {
		case 0: /* valid prefixes, random bodies */
		case 1:
			if (len)
				buf[0] = hy_pkt_prefix((enum hy_pkt_type)(1 + (rnd >> 16) % 7));
			break;
		case 2: /* a live session's header with a random body */
			len = (uint16_t)(HY_DATA_MIN_PKT_LEN + rnd % 100);
			tclient_echo(&live, 1, buf, sizeof(buf));
			live.pn--;
			buf[HY_DATA_HEADER_LEN] ^= 1; /* never authentic */
			break;
		case 3: /* a valid CONNECT: CHALLENGE is 25 bytes */
			len = tclient_hello(&c, NULL, buf, sizeof(buf));
			break;
		default:
			break;
		}
		tx0 = hy_engine_stats(eng)->tx;
		enum hy_engine_action a = hy_engine_input(eng, &c.peer, buf, len, sizeof(buf), now, &res);
		if (a == HY_ENGINE_REPLY)
			ck_assert_int_le(res.reply_len, len);
		/* Nothing unauthenticated makes the engine send elsewhere. */
		if (a != HY_ENGINE_REPLY)
			ck_assert(hy_engine_stats(eng)->tx == tx0);
	}
	ck_assert_uint_eq(rec.n_tx, 0);
}
END_TEST

START_TEST(config_checks)
{
	char err[128];
	struct hy_engine_config cfg = harness_config(&node, &rec, 8);
	struct hy_engine_config bad;

	bad = cfg;
	bad.max_sessions = 0;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	ck_assert(strstr(err, "max_sessions") != NULL);
	bad = cfg;
	bad.max_sessions = HY_ENGINE_MAX_SESSIONS + 1;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	bad = cfg;
	bad.worker_id = 1;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	ck_assert(strstr(err, "worker_id") != NULL);
	bad = cfg;
	bad.n_workers = 0;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	bad = cfg;
	bad.shared = NULL;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	bad = cfg;
	bad.max_message = HY_MAX_MESSAGE + 1;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	bad = cfg;
	bad.key_cache = 3;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	ck_assert_msg(strstr(err, "key_cache 3 is not a power of two") != NULL, "%s", err);
	/* The largest table is sized without overflow: the bytes asked for
	 * exceed what this test's EAL holds, so it fails cleanly. */
	bad = cfg;
	bad.max_sessions = HY_ENGINE_MAX_SESSIONS;
	ck_assert_ptr_null(hy_engine_create(&bad, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no memory for 16777216 sessions") != NULL, "%s", err);
	hy_engine_destroy(NULL);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("session-engine");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, full_handshake_echo_commands_disconnect);
	tcase_add_test(tc, connect_bad_tokens_are_silent);
	tcase_add_test(tc, response_cookie_checks);
	tcase_add_test(tc, cookie_key_rotation);
	tcase_add_test(tc, token_reuse_after_close);
	tcase_add_test(tc, duplicate_response_resends_accept);
	tcase_add_test(tc, table_full_denies);
	tcase_add_test(tc, events_full_waits_for_resend);
	tcase_add_test(tc, drain_denies_and_reports_offline);
	tcase_add_test(tc, sealed_drops_by_reason);
	tcase_add_test(tc, admit_turns_garbage_away_and_counts_it);
	tcase_add_test(tc, nat_rebind_follows_authenticated_packets_only);
	tcase_add_test(tc, idle_timeout_and_keepalive);
	tcase_add_test(tc, tick_is_bounded);
	tcase_add_test(tc, handoff_between_two_workers);
	tcase_add_test(tc, send_down_reaches_client);
	tcase_add_test(tc, many_sessions);
	tcase_add_test(tc, reply_never_larger_than_unauthenticated_input);
	tcase_add_test(tc, send_many_reaches_each_session);
	tcase_add_test(tc, send_many_hints_are_checked_and_healed);
	tcase_add_test(tc, send_many_lets_an_owed_ack_ride_along);
	tcase_add_test(tc, tx_buf_is_sealed_into);
	tcase_add_test(tc, burst_hints_are_checked);
	tcase_add_test(tc, key_cache_smaller_than_table);
	tcase_add_test(tc, key_cache_covers_table);
	tcase_add_test(tc, config_checks);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	if (harness_eal_init(argv[0]) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(engine_suite());
	/* EAL's memory is not fork-safe: run every test in this process. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	hy_eal_finish();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
