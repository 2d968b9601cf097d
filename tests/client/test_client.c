/* SPDX-License-Identifier: BSD-3-Clause
 * Client library against the reference responder over loopback UDP:
 * handshake, echo (IPv4 and IPv6), pushes, kicks, single-use tokens,
 * refused tokens, idle timeout and keep-alive, rebinding, hostile datagrams,
 * tickets in JSON.
 *
 * Waiting is bounded by generous deadlines (seconds), never asserted on:
 * on a loaded machine a test may take longer, but it only fails if the
 * behaviour is wrong.
 */
#include <arpa/inet.h>
#include <check.h>

#include "check_run.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "hayate_client.h"
#include "ref_server.h"

#include "crypto/token.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

#define NODE_ID 7u
#define DEADLINE_MS 10000u

static const uint8_t cluster_key[HY_KEY_LEN] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
						0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

static struct ref_server *server_new(uint32_t idle_timeout_ms, uint8_t node_state,
				     const char *addr)
{
	struct ref_server_config cfg = {.node_id = NODE_ID,
					.node_state = node_state,
					.keepalive_ms = 100,
					.idle_timeout_ms = idle_timeout_ms,
					.backend = HY_AEAD_OPENSSL};
	memcpy(cfg.cluster_key, cluster_key, sizeof(cluster_key));
	struct ref_server *s = ref_server_create(&cfg, addr, 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

static struct hy_ticket ticket_for(const struct ref_server *s, const char *host, uint32_t node_id,
				   int64_t ttl_s)
{
	struct hy_aead_ctx ck;
	struct hy_ticket t = {0};
	ck_assert_int_eq(hy_aead_key_init(&ck, HY_AEAD_OPENSSL, cluster_key), 0);
	ck_assert_int_eq(hy_token_mint(&ck, 0, node_id, (uint64_t)((int64_t)time(NULL) + ttl_s),
				       "player-1", HY_TRANSPORT_UDP, &t.cred), 0);
	snprintf(t.host, sizeof(t.host), "%s", host);
	t.port = ref_server_port(s);
	return t;
}

/* Runs client and server until done(c) or the deadline; returns done(c). */
static bool pump(struct hy_client *c, struct ref_server *s, bool (*done)(struct hy_client *),
		 uint32_t max_ms)
{
	uint64_t start = hy_client_now_ms();
	for (;;) {
		uint64_t now = hy_client_now_ms();
		ref_server_poll(s, now);
		hy_client_update(c, now);
		if (done(c))
			return true;
		if (now - start >= max_ms)
			return false;
		struct pollfd pfd[2] = {{.fd = hy_client_fd(c), .events = POLLIN},
					{.fd = ref_server_fd(s), .events = POLLIN}};
		poll(pfd, 2, 10);
	}
}

static bool is_connected(struct hy_client *c) { return hy_client_state(c) == HY_CLIENT_CONNECTED; }
static bool is_terminal(struct hy_client *c) { return hy_client_state(c) >= HY_CLIENT_DISCONNECTED; }

static struct hy_client_message last_msg;
static bool got_message(struct hy_client *c) { return hy_client_receive(c, &last_msg); }

static struct hy_client *connect_client(struct ref_server *s, const struct hy_ticket *t,
					const struct hy_client_options *opt)
{
	char err[256] = "";
	struct hy_client *c = hy_client_create(t, opt, err, sizeof(err));
	ck_assert_msg(c != NULL, "create: %s", err);
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	ck_assert_msg(pump(c, s, is_connected, DEADLINE_MS), "state %s",
		      hy_client_state_name(hy_client_state(c)));
	return c;
}

static uint16_t local_port(struct hy_client *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	ck_assert_int_eq(getsockname(hy_client_fd(c), (struct sockaddr *)&ss, &len), 0);
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void check_echo(struct hy_client *c, struct ref_server *s, uint64_t stamp, uint8_t family)
{
	struct hy_echo_resp er;
	ck_assert_int_eq(hy_client_echo(c, stamp), 0);
	ck_assert(pump(c, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.ver, HY_MSG_VER_TRANSPORT);
	ck_assert_uint_eq(last_msg.cmd, HY_CMD_ECHO);
	ck_assert_uint_eq(last_msg.status, HY_STATUS_OK);
	ck_assert_int_eq(hy_echo_resp_decode(last_msg.payload, last_msg.len, &er), HY_R_OK);
	ck_assert(er.client_time == stamp);
	ck_assert_uint_eq(er.node_state, HY_NODE_ONLINE);
	ck_assert_uint_eq(er.addr.family, family);
	ck_assert_uint_eq(er.addr.port, local_port(c));
	if (family == 4) {
		const uint8_t lo[4] = {127, 0, 0, 1};
		ck_assert_mem_eq(er.addr.addr, lo, 4);
	} else {
		ck_assert_uint_eq(er.addr.addr[15], 1);
	}
}

START_TEST(test_handshake_and_echo_ipv4)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	struct hy_client *c = connect_client(s, &t, NULL);

	ck_assert(hy_client_sid(c) == t.cred.sid);
	ck_assert_uint_eq(hy_client_node_state(c), HY_NODE_ONLINE);
	ck_assert_uint_eq(ref_server_sessions(s), 1);
	for (uint64_t i = 0; i < 20; i++)
		check_echo(c, s, 0x1122334455667700ull + i, 4);
	ck_assert_uint_eq(ref_server_stats(s)->echoes, 20);
	ck_assert_uint_eq(hy_client_stats(c)->rx_dropped, 0);

	/* Any other command is answered BAD by the responder. */
	ck_assert_int_eq(hy_client_send(c, 2, 99, "x", 1), 0);
	ck_assert(pump(c, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.status, HY_STATUS_BAD);

	hy_client_disconnect(c);
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	uint64_t start = hy_client_now_ms();
	while (ref_server_sessions(s) && hy_client_now_ms() - start < DEADLINE_MS) {
		struct pollfd p = {.fd = ref_server_fd(s), .events = POLLIN};
		poll(&p, 1, 10);
		ref_server_poll(s, hy_client_now_ms());
	}
	ck_assert_uint_eq(ref_server_sessions(s), 0);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_handshake_and_echo_ipv6)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "::1");
	struct hy_ticket t = ticket_for(s, "::1", NODE_ID, 60);
	struct hy_client *c = connect_client(s, &t, NULL);
	check_echo(c, s, 42, 6);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_token_opens_one_session_only)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	struct hy_client *c = connect_client(s, &t, NULL);
	hy_client_disconnect(c);
	hy_client_destroy(c);

	char err[256];
	c = hy_client_create(&t, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	hy_client_connect(c, hy_client_now_ms());
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DENIED);
	ck_assert_uint_eq(hy_client_close_reason(c), HY_CLOSE_TOKEN_REUSED);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

static void expect_silent_refusal(struct hy_ticket *t, struct ref_server *s, enum hy_reason why)
{
	struct hy_client_options opt = {.connect_timeout_ms = 300};
	char err[256];
	struct hy_client *c = hy_client_create(t, &opt, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	hy_client_connect(c, hy_client_now_ms());
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	/* Never answered: the client only times out. */
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_TIMED_OUT);
	ck_assert_uint_eq(ref_server_stats(s)->tx, 0);
	ck_assert_uint_gt(ref_server_stats(s)->dropped_by_reason[why], 0);
	hy_client_destroy(c);
}

START_TEST(test_refused_tokens_get_no_answer)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID + 1, 60);
	expect_silent_refusal(&t, s, HY_R_TOKEN_WRONG_NODE);
	ref_server_destroy(s);

	s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	t = ticket_for(s, "127.0.0.1", NODE_ID, -1);
	expect_silent_refusal(&t, s, HY_R_TOKEN_EXPIRED);
	ref_server_destroy(s);

	s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	t.cred.token[HY_TOKEN_LEN - 1] ^= 1;
	expect_silent_refusal(&t, s, HY_R_AUTH_FAILED);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_draining_node_denies)
{
	struct ref_server *s = server_new(0, HY_NODE_OFFLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	char err[256];
	struct hy_client *c = hy_client_create(&t, NULL, err, sizeof(err));
	hy_client_connect(c, hy_client_now_ms());
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DENIED);
	ck_assert_uint_eq(hy_client_close_reason(c), HY_CLOSE_NODE_DRAINING);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_push_and_kick)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	struct hy_client *c = connect_client(s, &t, NULL);

	ck_assert_uint_eq(ref_server_push_all(s, 2, 500, "hello", 5), 1);
	ck_assert(pump(c, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.status, HY_STATUS_PUSH);
	ck_assert_uint_eq(last_msg.ver, 2);
	ck_assert_uint_eq(last_msg.cmd, 500);
	ck_assert_uint_eq(last_msg.len, 5);
	ck_assert_mem_eq(last_msg.payload, "hello", 5);

	ref_server_kick_all(s, HY_CLOSE_KICKED);
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	ck_assert_uint_eq(hy_client_close_reason(c), HY_CLOSE_KICKED);
	ck_assert_int_eq(hy_client_send(c, 2, 1, NULL, 0), -1);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_idle_timeout_closes_silent_client)
{
	/* The client never pings (keep-alive far beyond the node's timeout). */
	struct ref_server *s = server_new(300, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	struct hy_client_options opt = {.keepalive_ms = 3600 * 1000};
	struct hy_client *c = connect_client(s, &t, &opt);
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	ck_assert_uint_eq(hy_client_close_reason(c), HY_CLOSE_IDLE_TIMEOUT);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

static bool never(struct hy_client *c) { return is_terminal(c); }

START_TEST(test_keepalive_holds_session)
{
	/* Pings every 100 ms against a 2 s idle timeout: a wide margin, so a
	 * loaded machine does not turn this into a timing test. */
	struct ref_server *s = server_new(2000, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	struct hy_client_options opt = {.keepalive_ms = 100};
	struct hy_client *c = connect_client(s, &t, &opt);
	ck_assert(!pump(c, s, never, 3000));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_CONNECTED);
	ck_assert_uint_eq(ref_server_sessions(s), 1);
	ck_assert_uint_gt(hy_client_stats(c)->tx_packets, 5);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_rebind_keeps_session)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	struct hy_client *c = connect_client(s, &t, NULL);
	uint16_t before = local_port(c);
	check_echo(c, s, 1, 4);
	ck_assert_int_eq(hy_client_rebind(c), 0);
	ck_assert_uint_ne(local_port(c), before);
	check_echo(c, s, 2, 4); /* the echo reports the new port */
	ck_assert_uint_eq(ref_server_sessions(s), 1);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_hostile_datagrams_are_counted_and_ignored)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60);
	struct hy_client *c = connect_client(s, &t, NULL);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(local_port(c))};
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);

	uint8_t pkt[HY_MAX_DATAGRAM + 100];
	memset(pkt, 0, sizeof(pkt));
	/* wrong version */
	pkt[0] = (uint8_t)(2u << 4 | HY_PKT_DATA);
	sendto(ref_server_fd(s), pkt, 40, 0, (struct sockaddr *)&to, sizeof(to));
	/* truncated sealed packet */
	pkt[0] = hy_pkt_prefix(HY_PKT_DATA);
	sendto(ref_server_fd(s), pkt, 10, 0, (struct sockaddr *)&to, sizeof(to));
	/* oversized */
	sendto(ref_server_fd(s), pkt, HY_MAX_DATAGRAM + 50, 0, (struct sockaddr *)&to, sizeof(to));
	/* right session, garbage ciphertext: fails the tag */
	size_t n = hy_pkt_header_encode(pkt, sizeof(pkt),
					&(struct hy_pkt_header){HY_PKT_DATA, t.cred.sid, 99});
	ck_assert_uint_eq(n, HY_DATA_HEADER_LEN);
	sendto(ref_server_fd(s), pkt, 60, 0, (struct sockaddr *)&to, sizeof(to));
	/* a genuine packet replayed: seal one with the real key twice */
	struct hy_aead_ctx k;
	hy_aead_key_init(&k, HY_AEAD_OPENSSL, t.cred.s2c_key);
	const uint8_t ping = 0x06;
	/* pn 100: ahead of the responder's own numbers but within the replay
	 * window of them, so its later packets still get through. */
	n = hy_pkt_seal(&k, HY_PKT_DATA, t.cred.sid, 100, &ping, 1, pkt, sizeof(pkt));
	ck_assert_uint_gt(n, 0);
	sendto(ref_server_fd(s), pkt, n, 0, (struct sockaddr *)&to, sizeof(to));
	sendto(ref_server_fd(s), pkt, n, 0, (struct sockaddr *)&to, sizeof(to));

	const struct hy_client_stats *st = hy_client_stats(c);
	uint64_t start = hy_client_now_ms();
	while (st->rx_dropped < 5 && hy_client_now_ms() - start < DEADLINE_MS) {
		struct pollfd p = {.fd = hy_client_fd(c), .events = POLLIN};
		poll(&p, 1, 10);
		hy_client_update(c, hy_client_now_ms());
	}
	ck_assert_uint_eq(st->rx_dropped_by_reason[HY_R_BAD_VERSION], 1);
	ck_assert_uint_eq(st->rx_dropped_by_reason[HY_R_OVERSIZED], 1);
	ck_assert_uint_eq(st->rx_dropped_by_reason[HY_R_AUTH_FAILED], 1);
	ck_assert_uint_eq(st->rx_dropped_by_reason[HY_R_REPLAYED], 1);
	ck_assert_uint_eq(st->rx_dropped, 5);
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_CONNECTED);
	check_echo(c, s, 3, 4); /* still works */
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_ticket_json_round_trip)
{
	struct ref_server *s = server_new(0, HY_NODE_ONLINE, "127.0.0.1");
	struct hy_ticket t = ticket_for(s, "127.0.0.1", NODE_ID, 60), back;
	char json[1024], err[256];
	ck_assert_int_gt(hy_ticket_to_json(&t, json, sizeof(json)), 0);
	ck_assert_int_eq(hy_ticket_from_json(json, &back, err, sizeof(err)), 0);
	ck_assert(back.cred.sid == t.cred.sid);
	ck_assert_mem_eq(back.cred.token, t.cred.token, HY_TOKEN_LEN);
	ck_assert_mem_eq(back.cred.c2s_key, t.cred.c2s_key, HY_KEY_LEN);
	ck_assert_mem_eq(back.cred.s2c_key, t.cred.s2c_key, HY_KEY_LEN);
	ck_assert_str_eq(back.cred.uid, "player-1");
	ck_assert_uint_eq(back.port, t.port);
	ck_assert(back.cred.expire_at == t.cred.expire_at);
	/* A ticket read from JSON connects like the original. */
	struct hy_client *c = connect_client(s, &back, NULL);
	check_echo(c, s, 9, 4);
	hy_client_destroy(c);
	ck_assert_int_eq(hy_ticket_to_json(&t, json, 10), -1);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_ticket_json_refusals)
{
	static const char *const bad[][2] = {
		{"not json", "invalid JSON"},
		{"[1]", "JSON object"},
		{"{}", "'sid'"},
		{"{\"sid\":\"00000000000000zz\"}", "'sid'"},
		{"{\"sid\":\"0000000000000000\"}", "zero"},
		{"{\"sid\":\"0000000000000001\",\"uid\":\"\"}", "'uid'"},
		{"{\"sid\":\"0000000000000001\",\"uid\":\"a\",\"transport\":\"sctp\"}", "'transport'"},
		{"{\"sid\":\"0000000000000001\",\"uid\":\"a\",\"transport\":\"udp\",\"host\":\"h\","
		 "\"port\":70000}", "'port'"},
		{"{\"sid\":\"0000000000000001\",\"uid\":\"a\",\"transport\":\"udp\",\"host\":\"h\","
		 "\"port\":1,\"clientToServerKey\":\"00\"}", "'clientToServerKey'"},
		{"{\"sid\":\"0000000000000001\",\"uid\":\"a\",\"transport\":\"udp\",\"host\":\"h\","
		 "\"port\":1,\"clientToServerKey\":\"000102030405060708090a0b0c0d0e0f\","
		 "\"serverToClientKey\":\"000102030405060708090a0b0c0d0e0f\",\"expiresAt\":1,"
		 "\"token\":\"AAAA\"}", "'token'"},
		{"{\"sid\":\"0000000000000001\",\"sid\":\"0000000000000002\"}", "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hy_ticket t;
		char err[256] = "";
		ck_assert_int_eq(hy_ticket_from_json(bad[i][0], &t, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, bad[i][1]) != NULL, "case %zu: '%s' lacks '%s'", i, err,
			      bad[i][1]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("loopback");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handshake_and_echo_ipv4);
	tcase_add_test(tc, test_handshake_and_echo_ipv6);
	tcase_add_test(tc, test_token_opens_one_session_only);
	tcase_add_test(tc, test_refused_tokens_get_no_answer);
	tcase_add_test(tc, test_draining_node_denies);
	tcase_add_test(tc, test_push_and_kick);
	tcase_add_test(tc, test_idle_timeout_closes_silent_client);
	tcase_add_test(tc, test_keepalive_holds_session);
	tcase_add_test(tc, test_rebind_keeps_session);
	tcase_add_test(tc, test_hostile_datagrams_are_counted_and_ignored);
	tcase_add_test(tc, test_ticket_json_round_trip);
	tcase_add_test(tc, test_ticket_json_refusals);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
