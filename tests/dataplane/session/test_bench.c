/* SPDX-License-Identifier: BSD-3-Clause
 * Bench sessions (engine.h, "Bench mode"): the derivation both the data
 * plane and perf/pktgen/gen_traffic use, hy_engine_bench_add() and its
 * refusals, replays accepted (and counted) for bench sessions only, the
 * tag still checked, the peer fixed by the first authentic packet, no idle
 * timeout and no keep-alive.  One process (CK_NOFORK), as test_engine.c.
 */
#include <check.h>

#include "sess_harness.h"
#include "memory.h"

#define SEED 7u

static struct harness_node node;
static struct recorder rec;
static struct hy_engine *eng;
static uint64_t now;

/* A bench client: the session as derived, its keys (OpenSSL, while the
 * engine uses intel-ipsec-mb) and its next packet number. */
struct bclient {
	struct hy_engine_bench_session s;
	struct hy_aead_ctx c2s, s2c;
	uint64_t pn;
	struct hy_peer peer;
};

static struct hy_engine *make_engine(uint32_t max_sessions, uint16_t worker, uint16_t workers)
{
	char err[128] = "";
	struct hy_engine_config c = harness_config(&node, &rec, max_sessions);
	struct hy_engine *e;

	c.worker_id = worker;
	c.n_workers = workers;
	e = hy_engine_create(&c, err, sizeof(err));
	ck_assert_msg(e != NULL, "create: %s", err);
	return e;
}

static void setup(void)
{
	now = T_T0_MS;
	ck_assert_int_eq(harness_node_init(&node, now), 0);
	memset(&rec, 0, sizeof(rec));
	eng = make_engine(16, 0, 1);
}

static void teardown(void)
{
	hy_engine_destroy(eng);
	eng = NULL;
	hy_engine_shared_wipe(&node.sh);
}

/* Bench session i derived with the minting (OpenSSL) copy of the key. */
static void bclient_init(struct bclient *c, uint32_t i, uint8_t last)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(hy_engine_bench_derive(&node.cluster_mint, SEED, i, &c->s), 0);
	ck_assert_int_eq(hy_aead_key_init(&c->c2s, HY_AEAD_OPENSSL, c->s.c2s_key), 0);
	ck_assert_int_eq(hy_aead_key_init(&c->s2c, HY_AEAD_OPENSSL, c->s.s2c_key), 0);
	make_peer4(&c->peer, last, 40000);
}

/* A DATA packet with one unreliable ECHO (client time t) at packet number
 * pn, into buf. */
static uint16_t bclient_echo(const struct bclient *c, uint64_t pn, uint64_t t, uint8_t *buf)
{
	uint8_t req[HY_ECHO_REQ_LEN], msg[64], pt[64];
	struct hy_wr w;
	size_t m;

	hy_echo_req_encode(req, sizeof(req), t);
	m = hy_msg_cmd_encode(msg, sizeof(msg), HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, req, sizeof(req));
	hy_wr_init(&w, pt, sizeof(pt));
	ck_assert(hy_frame_put_unreliable(&w, msg, m));
	return (uint16_t)hy_pkt_seal(&c->c2s, HY_PKT_DATA, c->s.sid, pn, pt, w.off, buf,
				     HY_MAX_DATAGRAM);
}

/* Feeds an ECHO at pn from `from`; expects the answer and checks it
 * carries client time t and the address the node now sees. */
static void echo_ok(struct bclient *c, uint64_t pn, uint64_t t, const struct hy_peer *from)
{
	uint8_t buf[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct hy_engine_result res;
	struct hy_pkt_header h;
	struct hy_echo_resp er;
	struct hy_frame f;
	struct hy_msg m;
	struct hy_rd rd;
	size_t pt_len;
	uint16_t len = bclient_echo(c, pn, t, buf);

	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(hy_engine_input(eng, from, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_REPLY);
	ck_assert_int_eq(hy_pkt_open(&c->s2c, buf, res.reply_len, &h, pt, sizeof(pt), &pt_len),
			 HY_R_OK);
	ck_assert_uint_eq(h.sid, c->s.sid);
	hy_rd_init(&rd, pt, pt_len);
	ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
	ck_assert_int_eq(f.type, HY_FRAME_UNRELIABLE);
	ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &m), HY_R_OK);
	ck_assert_int_eq(m.status, HY_STATUS_OK);
	ck_assert_int_eq(hy_echo_resp_decode(m.payload, m.len, &er), HY_R_OK);
	ck_assert_uint_eq(er.client_time, t);
	ck_assert_uint_eq(er.addr.port, from->port);
	ck_assert(memcmp(er.addr.addr, from->addr, 4) == 0);
}

static void add_ok(struct hy_engine *e, const struct bclient *c)
{
	ck_assert_int_eq(hy_engine_bench_add(e, &c->s, now), HY_R_OK);
}

/* ---- derivation --------------------------------------------------------- */

/* Pinned: a change here orphans every pcap gen_traffic ever wrote.  The
 * bytes are AES-128-CTR of zeros from counter block nonce | 00000002 (what
 * GCM encrypts with), so they can be checked without this code:
 *   head -c 40 /dev/zero | openssl enc -aes-128-ctr \
 *     -K c0c1c2c3c4c5c6c7c8c9cacbcccdcecf -iv 4859424e000000070000000000000002 */
START_TEST(derive_vector_and_backends_agree)
{
	static const uint8_t c2s0[HY_KEY_LEN] = {
		0x1a, 0xaa, 0x53, 0xf1, 0xfa, 0xed, 0xcc, 0x95,
		0x5a, 0xf7, 0x6a, 0x56, 0x5d, 0x64, 0xe5, 0x87,
	};
	static const uint8_t s2c0[HY_KEY_LEN] = {
		0x39, 0x06, 0x8e, 0x62, 0x34, 0x74, 0x1f, 0x67,
		0xaa, 0x08, 0x41, 0xbf, 0xa0, 0xb9, 0xa3, 0x63,
	};
	struct hy_engine_bench_session a, b, c;

	/* the harness's cluster key is c0 c1 ... cf */
	ck_assert_int_eq(hy_engine_bench_derive(&node.cluster_mint, SEED, 0, &a), 0);
	ck_assert_int_eq(hy_engine_bench_derive(&node.cluster, SEED, 0, &b), 0);
	ck_assert(memcmp(&a, &b, sizeof(a)) == 0); /* OpenSSL and intel-ipsec-mb */
	ck_assert_uint_eq(a.sid, 0x718d09ca9123784dull);
	ck_assert(memcmp(a.c2s_key, c2s0, HY_KEY_LEN) == 0);
	ck_assert(memcmp(a.s2c_key, s2c0, HY_KEY_LEN) == 0);
	ck_assert_str_eq(a.uid, "bench-0");
	ck_assert_uint_eq(a.uid_len, 7);
	ck_assert_int_eq(hy_engine_bench_derive(&node.cluster_mint, SEED, 123456, &c), 0);
	ck_assert_str_eq(c.uid, "bench-123456");
	ck_assert_uint_ne(c.sid, a.sid);
	ck_assert(memcmp(c.c2s_key, a.c2s_key, HY_KEY_LEN) != 0);
	ck_assert(memcmp(a.c2s_key, a.s2c_key, HY_KEY_LEN) != 0);
	/* another seed, other sessions */
	ck_assert_int_eq(hy_engine_bench_derive(&node.cluster_mint, SEED + 1, 0, &c), 0);
	ck_assert_uint_ne(c.sid, a.sid);
	ck_assert(memcmp(c.s2c_key, a.s2c_key, HY_KEY_LEN) != 0);
}
END_TEST

/* ---- sessions ------------------------------------------------------------ */

START_TEST(bench_session_answers_and_takes_replays)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	struct hy_engine_session_info info;
	struct bclient c;

	bclient_init(&c, 0, 10);
	add_ok(eng, &c);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);
	ck_assert_uint_eq(st->opened, 1);
	ck_assert_uint_eq(rec.n_opened, 0); /* nothing announced */
	ck_assert_int_eq(hy_engine_session_get(eng, c.s.sid, &info), HY_R_OK);
	ck_assert_uint_eq(info.peer.family, 0); /* no address until a packet */
	ck_assert_str_eq(info.uid, "bench-0");
	ck_assert_uint_eq(info.transport, HY_TRANSPORT_UDP);

	/* the first packet fixes the peer, as a NAT rebind does */
	echo_ok(&c, 0, 100, &c.peer);
	ck_assert_uint_eq(st->rebinds, 1);
	ck_assert_int_eq(hy_engine_session_get(eng, c.s.sid, &info), HY_R_OK);
	ck_assert(memcmp(&info.peer, &c.peer, sizeof(c.peer)) == 0);
	echo_ok(&c, 1, 101, &c.peer);
	ck_assert_uint_eq(st->rebinds, 1);
	ck_assert_uint_eq(st->bench_replays_accepted, 0);

	/* the same packet numbers again: a looping replay */
	echo_ok(&c, 0, 100, &c.peer);
	echo_ok(&c, 1, 101, &c.peer);
	ck_assert_uint_eq(st->bench_replays_accepted, 2);
	/* far ahead, then far behind the window (TOO_OLD for a normal one) */
	echo_ok(&c, 5000, 102, &c.peer);
	ck_assert_uint_eq(st->bench_replays_accepted, 2);
	echo_ok(&c, 3, 103, &c.peer);
	ck_assert_uint_eq(st->bench_replays_accepted, 3);
	ck_assert_uint_eq(st->replays, 0);
	ck_assert_uint_eq(st->echoes, 6);
	ck_assert_uint_eq(st->drops[HY_R_REPLAYED] + st->drops[HY_R_TOO_OLD], 0);
	ck_assert_uint_eq(rec.n_tx, 0); /* everything answered in place */
}
END_TEST

/* A replayed packet number does not excuse a bad tag, and a forgery moves
 * nothing. */
START_TEST(bench_replay_still_needs_the_tag)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	struct hy_engine_session_info info;
	uint8_t buf[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	struct hy_peer other;
	struct bclient c;
	uint16_t len;

	bclient_init(&c, 1, 11);
	add_ok(eng, &c);
	echo_ok(&c, 0, 1, &c.peer);
	make_peer4(&other, 99, 50001);
	len = bclient_echo(&c, 0, 1, buf);
	buf[len - 1] ^= 0x01; /* the tag */
	ck_assert_int_eq(hy_engine_input(eng, &other, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_AUTH_FAILED);
	ck_assert_uint_eq(st->auth_failures, 1);
	ck_assert_uint_eq(st->bench_replays_accepted, 0);
	ck_assert_int_eq(hy_engine_session_get(eng, c.s.sid, &info), HY_R_OK);
	ck_assert(memcmp(&info.peer, &c.peer, sizeof(c.peer)) == 0);
	/* a packet under another session's keys does not open either */
	struct bclient d;

	bclient_init(&d, 2, 12);
	len = bclient_echo(&d, 0, 1, buf);
	for (unsigned i = 0; i < 8; i++)
		buf[1 + i] = (uint8_t)(c.s.sid >> (56 - 8 * i));
	ck_assert_int_eq(hy_engine_input(eng, &other, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_AUTH_FAILED);
	/* an authentic replay from elsewhere moves the session: a rebind */
	echo_ok(&c, 0, 1, &other);
	ck_assert_uint_eq(st->rebinds, 2);
	ck_assert_uint_eq(st->bench_replays_accepted, 1);
}
END_TEST

/* The replay window stays whole for every session that is not a bench
 * one, in the same engine. */
START_TEST(normal_sessions_still_refuse_replays)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM], copy[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	struct hy_pkt_challenge ch;
	struct tclient t;
	struct bclient c;
	uint16_t len;

	bclient_init(&c, 0, 10);
	add_ok(eng, &c);
	ck_assert_int_eq(tclient_init(&t, &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "player-1",
				      20, 50000), 0);
	len = tclient_hello(&t, NULL, buf, sizeof(buf));
	ck_assert_int_eq(hy_engine_input(eng, &t.peer, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_REPLY);
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, res.reply_len, &ch), HY_R_OK);
	memcpy(cookie, ch.cookie, sizeof(cookie));
	len = tclient_hello(&t, cookie, buf, sizeof(buf));
	ck_assert_int_eq(hy_engine_input(eng, &t.peer, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_REPLY);

	len = tclient_echo(&t, 1, buf, sizeof(buf));
	memcpy(copy, buf, len);
	ck_assert_int_eq(hy_engine_input(eng, &t.peer, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_REPLY);
	ck_assert_int_eq(hy_engine_input(eng, &t.peer, copy, len, sizeof(copy), now, &res),
			 HY_ENGINE_DROP);
	ck_assert_int_eq(res.why, HY_R_REPLAYED);
	ck_assert_uint_eq(st->replays, 1);
	ck_assert_uint_eq(st->bench_replays_accepted, 0);
	/* and the bench session next to it takes its replays */
	echo_ok(&c, 0, 1, &c.peer);
	echo_ok(&c, 0, 1, &c.peer);
	ck_assert_uint_eq(st->bench_replays_accepted, 1);
	ck_assert_uint_eq(st->replays, 1);
}
END_TEST

START_TEST(bench_add_refusals)
{
	struct hy_engine_bench_session b;
	struct bclient c;
	struct hy_engine *two;
	uint32_t i;

	bclient_init(&c, 0, 10);
	b = c.s;
	b.sid = 0;
	ck_assert_int_eq(hy_engine_bench_add(eng, &b, now), HY_R_ZERO_SESSION);
	b = c.s;
	b.uid_len = 0;
	ck_assert_int_eq(hy_engine_bench_add(eng, &b, now), HY_R_TOKEN_BAD_UID);
	b.uid_len = HY_UID_MAX + 1;
	ck_assert_int_eq(hy_engine_bench_add(eng, &b, now), HY_R_TOKEN_BAD_UID);
	b.uid_len = 9; /* past the NUL of "bench-0" */
	ck_assert_int_eq(hy_engine_bench_add(eng, &b, now), HY_R_TOKEN_BAD_UID);
	add_ok(eng, &c);
	ck_assert_int_eq(hy_engine_bench_add(eng, &c.s, now), HY_R_TOKEN_REUSED);
	ck_assert_uint_eq(hy_engine_sessions(eng), 1);

	/* with two workers, each takes only the sids it owns */
	two = make_engine(16, 1, 2);
	for (i = 0; i < 64; i++) {
		struct bclient d;
		enum hy_reason r;

		bclient_init(&d, i, 1);
		r = hy_engine_bench_add(two, &d.s, now);
		if (hy_engine_owner(d.s.sid, 2) == 1)
			ck_assert_msg(r == HY_R_OK || r == HY_R_OUT_OF_SPACE, "%s",
				      hy_reason_name(r));
		else
			ck_assert_int_eq(r, HY_R_UNKNOWN_SESSION);
	}
	hy_engine_destroy(two);

	/* a full table: 16 slots */
	for (i = 1; i < 16; i++) {
		struct bclient d;

		bclient_init(&d, i, 1);
		add_ok(eng, &d);
	}
	{
		struct bclient d;

		bclient_init(&d, 16, 1);
		ck_assert_int_eq(hy_engine_bench_add(eng, &d.s, now), HY_R_OUT_OF_SPACE);
	}
	ck_assert_uint_eq(hy_engine_sessions(eng), 16);
}
END_TEST

/* Bench sessions wait for their replay however long it takes, and are sent
 * nothing on their own; a normal session in the same engine times out. */
START_TEST(bench_sessions_have_no_timers)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	uint8_t cookie[HY_COOKIE_LEN], buf[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	struct hy_pkt_challenge ch;
	struct bclient c, idle;
	struct tclient t;
	uint16_t len;
	unsigned i;

	bclient_init(&c, 0, 10);
	bclient_init(&idle, 1, 11);
	add_ok(eng, &c);
	add_ok(eng, &idle);
	echo_ok(&c, 0, 1, &c.peer); /* one with a peer, one without */
	ck_assert_int_eq(tclient_init(&t, &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "player-1",
				      20, 50000), 0);
	len = tclient_hello(&t, NULL, buf, sizeof(buf));
	hy_engine_input(eng, &t.peer, buf, len, sizeof(buf), now, &res);
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, res.reply_len, &ch), HY_R_OK);
	memcpy(cookie, ch.cookie, sizeof(cookie));
	len = tclient_hello(&t, cookie, buf, sizeof(buf));
	ck_assert_int_eq(hy_engine_input(eng, &t.peer, buf, len, sizeof(buf), now, &res),
			 HY_ENGINE_REPLY);
	ck_assert_uint_eq(hy_engine_sessions(eng), 3);

	for (i = 0; i < 60; i++) {
		now += 500;
		hy_engine_tick(eng, now);
	}
	/* 30 s: the normal session got PINGs, then its idle timeout */
	ck_assert_uint_eq(st->idle_timeouts, 1);
	ck_assert_uint_eq(hy_engine_sessions(eng), 2);
	for (i = 0; i < rec.n_tx && i < T_MAX_TX; i++)
		ck_assert_msg(rec.tx[i].to.addr[3] == 20, "packet %u to a bench session", i);
	echo_ok(&c, 1, 2, &c.peer);
	echo_ok(&idle, 0, 3, &idle.peer);
}
END_TEST

/* A bench session that ends is not remembered (it has no token), so the
 * same one can be made again. */
START_TEST(bench_session_close_and_again)
{
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	struct bclient c;

	bclient_init(&c, 0, 10);
	add_ok(eng, &c);
	echo_ok(&c, 0, 1, &c.peer);
	ck_assert_int_eq(hy_engine_kick(eng, c.s.sid, HY_CLOSE_KICKED), HY_R_OK);
	ck_assert_uint_eq(rec.n_closed, 1);
	ck_assert_uint_eq(rec.n_tx, 3); /* the DISCONNECTs, to the peer it had */
	ck_assert_uint_eq(st->used_sids, 0);
	ck_assert_uint_eq(hy_engine_sessions(eng), 0);
	add_ok(eng, &c);
	echo_ok(&c, 0, 1, &c.peer); /* a new window: pn 0 is fresh again */
	ck_assert_uint_eq(st->bench_replays_accepted, 0);
}
END_TEST

static Suite *bench_suite(void)
{
	Suite *s = suite_create("session-bench");
	TCase *tc = tcase_create("bench");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, derive_vector_and_backends_agree);
	tcase_add_test(tc, bench_session_answers_and_takes_replays);
	tcase_add_test(tc, bench_replay_still_needs_the_tag);
	tcase_add_test(tc, normal_sessions_still_refuse_replays);
	tcase_add_test(tc, bench_add_refusals);
	tcase_add_test(tc, bench_sessions_have_no_timers);
	tcase_add_test(tc, bench_session_close_and_again);
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
	SRunner *sr = srunner_create(bench_suite());
	/* EAL's memory is not fork-safe: run every test in this process. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	hy_eal_finish();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
