/* SPDX-License-Identifier: BSD-3-Clause
 * Client library over the TCP transport, against the reference responder's
 * TCP mode on loopback: handshake, echo (IPv4 and IPv6), pushes, kicks,
 * single-use tokens, refused tokens (closed without an answer), idle
 * timeout, a node that stops reading (the client's bounded output queue
 * fills and sends fail), records arriving a byte at a time, and failures
 * of the connection itself (refused, reset, broken framing) from a plain
 * socket standing in for the node.
 *
 * Waiting is bounded by generous deadlines, never asserted on.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "hayate_client.h"
#include "proto/record.h"
#include "ref_server.h"

#include "crypto/token.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

#define NODE_ID 7u
#define DEADLINE_MS 10000u

static const uint8_t cluster_key[HY_KEY_LEN] = {0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
						0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};

static struct ref_server *server_new(const char *addr, uint32_t idle_timeout_ms, bool bytewise)
{
	struct ref_server_config cfg = {.node_id = NODE_ID,
					.node_state = HY_NODE_ONLINE,
					.keepalive_ms = 100,
					.idle_timeout_ms = idle_timeout_ms,
					.backend = HY_AEAD_OPENSSL,
					.tcp_bytewise = bytewise};
	memcpy(cfg.cluster_key, cluster_key, sizeof(cluster_key));
	struct ref_server *s = ref_server_create(&cfg, addr, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(ref_server_listen_tcp(s, addr, 0), 0);
	ck_assert_uint_ne(ref_server_tcp_port(s), 0);
	return s;
}

static struct hy_ticket ticket(const char *host, uint16_t port, uint32_t node_id,
			       enum hy_transport transport)
{
	struct hy_aead_ctx ck;
	struct hy_ticket t = {0};
	ck_assert_int_eq(hy_aead_key_init(&ck, HY_AEAD_OPENSSL, cluster_key), 0);
	ck_assert_int_eq(hy_token_mint(&ck, 0, node_id, (uint64_t)time(NULL) + 60, "player-tcp",
				       transport, &t.cred), 0);
	snprintf(t.host, sizeof(t.host), "%s", host);
	t.port = port;
	return t;
}

static struct hy_ticket tcp_ticket(const struct ref_server *s, const char *host)
{
	return ticket(host, ref_server_tcp_port(s), NODE_ID, HY_TRANSPORT_TCP);
}

/* Runs client and server (s may be NULL) until done(c) or max_ms. */
static bool pump(struct hy_client *c, struct ref_server *s, bool (*done)(struct hy_client *),
		 uint32_t max_ms)
{
	uint64_t start = hy_client_now_ms();
	for (;;) {
		uint64_t now = hy_client_now_ms();
		if (s)
			ref_server_poll(s, now);
		hy_client_update(c, now);
		if (done(c))
			return true;
		if (now - start >= max_ms)
			return false;
		struct pollfd pfd[3 + REF_SERVER_MAX_TCP];
		pfd[0] = (struct pollfd){.fd = hy_client_fd(c), .events = hy_client_poll_events(c)};
		unsigned n = 1 + (s ? ref_server_pollfds(s, pfd + 1, 2 + REF_SERVER_MAX_TCP) : 0);
		poll(pfd, n, 10);
	}
}

static bool is_connected(struct hy_client *c) { return hy_client_state(c) == HY_CLIENT_CONNECTED; }
static bool is_terminal(struct hy_client *c) { return hy_client_state(c) >= HY_CLIENT_DISCONNECTED; }
static bool never(struct hy_client *c) { return is_terminal(c); }

static struct hy_client_message last_msg;
static bool got_message(struct hy_client *c) { return hy_client_receive(c, &last_msg); }

static struct hy_client *new_client(const struct hy_ticket *t, const struct hy_client_options *opt)
{
	char err[256] = "";
	struct hy_client *c = hy_client_create(t, opt, err, sizeof(err));
	ck_assert_msg(c != NULL, "create: %s", err);
	return c;
}

static struct hy_client *connect_client(struct ref_server *s, const struct hy_ticket *t,
					const struct hy_client_options *opt)
{
	struct hy_client *c = new_client(t, opt);
	ck_assert_uint_eq(hy_client_transport(c), HY_TRANSPORT_TCP);
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	ck_assert_msg(pump(c, s, is_connected, DEADLINE_MS), "state %s: %s",
		      hy_client_state_name(hy_client_state(c)), hy_client_error(c));
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
	ck_assert_uint_eq(last_msg.cmd, HY_CMD_ECHO);
	ck_assert_uint_eq(last_msg.status, HY_STATUS_OK);
	ck_assert_int_eq(hy_echo_resp_decode(last_msg.payload, last_msg.len, &er), HY_R_OK);
	ck_assert(er.client_time == stamp);
	ck_assert_uint_eq(er.addr.family, family);
	/* The node reports the TCP peer address: our connection's port. */
	ck_assert_uint_eq(er.addr.port, local_port(c));
}

static void wait_server_idle(struct ref_server *s)
{
	uint64_t start = hy_client_now_ms();
	while ((ref_server_sessions(s) || ref_server_tcp_connections(s)) &&
	       hy_client_now_ms() - start < DEADLINE_MS) {
		struct pollfd p[2 + REF_SERVER_MAX_TCP];
		poll(p, ref_server_pollfds(s, p, 2 + REF_SERVER_MAX_TCP), 10);
		ref_server_poll(s, hy_client_now_ms());
	}
}

START_TEST(test_handshake_echo_disconnect_ipv4)
{
	struct ref_server *s = server_new("127.0.0.1", 0, false);
	struct hy_ticket t = tcp_ticket(s, "127.0.0.1");
	struct hy_client *c = new_client(&t, NULL);

	ck_assert_int_eq(hy_client_poll_events(c), 0); /* IDLE: nothing to wait for yet */
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	ck_assert(hy_client_poll_events(c) & POLLOUT); /* connecting */
	ck_assert(pump(c, s, is_connected, DEADLINE_MS));
	ck_assert_int_eq(hy_client_poll_events(c), POLLIN); /* nothing queued */
	ck_assert(hy_client_sid(c) == t.cred.sid);
	ck_assert_uint_eq(ref_server_sessions(s), 1);
	ck_assert_uint_eq(ref_server_stats(s)->challenges, 0); /* no cookie on TCP */

	for (uint64_t i = 0; i < 20; i++)
		check_echo(c, s, 0xabcdef00u + i, 4);
	ck_assert_uint_eq(ref_server_stats(s)->echoes, 20);
	ck_assert_uint_eq(hy_client_stats(c)->rx_dropped, 0);

	ck_assert_int_eq(hy_client_send(c, 2, 99, "x", 1), 0);
	ck_assert(pump(c, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.status, HY_STATUS_BAD);
	ck_assert_int_eq(hy_client_rebind(c), -1); /* UDP only */

	hy_client_disconnect(c);
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	ck_assert_int_eq(hy_client_fd(c), -1);
	wait_server_idle(s);
	ck_assert_uint_eq(ref_server_stats(s)->disconnects, 1); /* DISCONNECT arrived before the close */
	ck_assert_uint_eq(ref_server_tcp_connections(s), 0);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_handshake_echo_ipv6)
{
	struct ref_server *s = server_new("::1", 0, false);
	struct hy_ticket t = tcp_ticket(s, "::1");
	struct hy_client *c = connect_client(s, &t, NULL);
	check_echo(c, s, 42, 6);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_tcp_and_udp_sessions_side_by_side)
{
	struct ref_server *s = server_new("127.0.0.1", 0, false);
	struct hy_ticket tt = tcp_ticket(s, "127.0.0.1");
	struct hy_ticket ut = ticket("127.0.0.1", ref_server_port(s), NODE_ID, HY_TRANSPORT_UDP);
	struct hy_client *tc = connect_client(s, &tt, NULL);
	struct hy_client *uc = new_client(&ut, NULL);
	ck_assert_uint_eq(hy_client_transport(uc), HY_TRANSPORT_UDP);
	ck_assert_int_eq(hy_client_connect(uc, hy_client_now_ms()), 0);
	ck_assert(pump(uc, s, is_connected, DEADLINE_MS));
	ck_assert_uint_eq(ref_server_sessions(s), 2);
	ck_assert_uint_eq(ref_server_push_all(s, 2, 7, "all", 3), 2);
	ck_assert(pump(tc, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.status, HY_STATUS_PUSH);
	ck_assert(pump(uc, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.status, HY_STATUS_PUSH);
	check_echo(tc, s, 1, 4);
	hy_client_destroy(tc);
	hy_client_destroy(uc);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_push_and_kick)
{
	struct ref_server *s = server_new("127.0.0.1", 0, false);
	struct hy_ticket t = tcp_ticket(s, "127.0.0.1");
	struct hy_client *c = connect_client(s, &t, NULL);

	ck_assert_uint_eq(ref_server_push_all(s, 2, 500, "hello", 5), 1);
	ck_assert(pump(c, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.status, HY_STATUS_PUSH);
	ck_assert_uint_eq(last_msg.cmd, 500);
	ck_assert_uint_eq(last_msg.len, 5);
	ck_assert_mem_eq(last_msg.payload, "hello", 5);

	ref_server_kick_all(s, HY_CLOSE_KICKED);
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	ck_assert_uint_eq(hy_client_close_reason(c), HY_CLOSE_KICKED);
	ck_assert_int_eq(hy_client_fd(c), -1);
	ck_assert_int_eq(hy_client_poll_events(c), 0);
	ck_assert_int_eq(hy_client_send(c, 2, 1, NULL, 0), -1);
	wait_server_idle(s); /* the node closed its end after DISCONNECT */
	ck_assert_uint_eq(ref_server_tcp_connections(s), 0);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_token_reuse_denied)
{
	struct ref_server *s = server_new("127.0.0.1", 0, false);
	struct hy_ticket t = tcp_ticket(s, "127.0.0.1");
	struct hy_client *c = connect_client(s, &t, NULL);
	hy_client_disconnect(c);
	hy_client_destroy(c);

	c = new_client(&t, NULL);
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DENIED);
	ck_assert_uint_eq(hy_client_close_reason(c), HY_CLOSE_TOKEN_REUSED);
	ck_assert_int_eq(hy_client_fd(c), -1);
	hy_client_destroy(c);
	wait_server_idle(s);
	ck_assert_uint_eq(ref_server_tcp_connections(s), 0); /* DENY, then close */
	ref_server_destroy(s);
}
END_TEST

static void expect_closed_without_answer(struct ref_server *s, const struct hy_ticket *t,
					 enum hy_reason why)
{
	struct hy_client *c = new_client(t, NULL);
	uint64_t drops = ref_server_stats(s)->dropped_by_reason[why];
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	ck_assert_uint_eq(hy_client_close_reason(c), 0);
	ck_assert_msg(strstr(hy_client_error(c), "closed the connection before answering"), "%s",
		      hy_client_error(c));
	ck_assert_uint_eq(ref_server_stats(s)->dropped_by_reason[why], drops + 1);
	hy_client_destroy(c);
}

START_TEST(test_refused_tokens_close_the_connection)
{
	struct ref_server *s = server_new("127.0.0.1", 0, false);
	struct hy_ticket t = ticket("127.0.0.1", ref_server_tcp_port(s), NODE_ID + 1,
				    HY_TRANSPORT_TCP);
	expect_closed_without_answer(s, &t, HY_R_TOKEN_WRONG_NODE);

	t = tcp_ticket(s, "127.0.0.1");
	t.cred.token[HY_TOKEN_LEN - 1] ^= 1;
	expect_closed_without_answer(s, &t, HY_R_AUTH_FAILED);

	/* A token minted for UDP, forced onto TCP by the option. */
	t = ticket("127.0.0.1", ref_server_tcp_port(s), NODE_ID, HY_TRANSPORT_UDP);
	struct hy_client_options opt = {.transport = HY_TRANSPORT_TCP};
	struct hy_client *c = new_client(&t, &opt);
	ck_assert_uint_eq(hy_client_transport(c), HY_TRANSPORT_TCP);
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	ck_assert_uint_eq(ref_server_stats(s)->dropped_by_reason[HY_R_TOKEN_WRONG_TRANSPORT], 1);
	hy_client_destroy(c);
	ck_assert_uint_eq(ref_server_stats(s)->tx, 0); /* never a byte of answer */
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_idle_timeout_closes_silent_client)
{
	struct ref_server *s = server_new("127.0.0.1", 300, false);
	struct hy_ticket t = tcp_ticket(s, "127.0.0.1");
	struct hy_client_options opt = {.keepalive_ms = 3600 * 1000};
	struct hy_client *c = connect_client(s, &t, &opt);
	ck_assert(pump(c, s, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_DISCONNECTED);
	ck_assert_uint_eq(hy_client_close_reason(c), HY_CLOSE_IDLE_TIMEOUT);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_keepalive_holds_session)
{
	struct ref_server *s = server_new("127.0.0.1", 2000, false);
	struct hy_ticket t = tcp_ticket(s, "127.0.0.1");
	struct hy_client_options opt = {.keepalive_ms = 100};
	struct hy_client *c = connect_client(s, &t, &opt);
	ck_assert(!pump(c, s, never, 3000));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_CONNECTED);
	ck_assert_uint_gt(hy_client_stats(c)->tx_packets, 5);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

static unsigned bad_answers; /* BAD answers to the test's cmd 1 */

static bool drained(struct hy_client *c)
{
	struct hy_client_message m;
	while (hy_client_receive(c, &m))
		bad_answers += m.cmd == 1 && m.status == HY_STATUS_BAD;
	return (hy_client_poll_events(c) & POLLOUT) == 0;
}

static unsigned answers_wanted;
static bool all_answered(struct hy_client *c)
{
	drained(c);
	return bad_answers >= answers_wanted;
}

START_TEST(test_stalled_node_fills_output_and_send_fails)
{
	struct ref_server *s = server_new("127.0.0.1", 0, false);
	struct hy_ticket t = tcp_ticket(s, "127.0.0.1");
	struct hy_client *c = connect_client(s, &t, NULL);
	static uint8_t big[HY_FRAME_MAX_UNRELIABLE - HY_MSG_CMD_HDR];
	unsigned sent = 0;
	int rc = 0;

	ref_server_tcp_stall(s, true);
	/* Kernel buffers take the first few hundred kilobytes; then the
	 * client's own 16 KiB queue fills and the next send fails. */
	while (sent < 200000 && (rc = hy_client_send(c, 2, 1, big, sizeof(big))) == 0) {
		sent++;
		hy_client_update(c, hy_client_now_ms());
	}
	ck_assert_int_eq(rc, -1);
	printf("stalled node: %u records of %u bytes queued before a send failed\n", sent,
	       (unsigned)(HY_RECORD_HDR_LEN + HY_MAX_DATAGRAM));
	ck_assert_uint_gt(sent, 13);
	/* >= 1: a keep-alive due while the queue is full is refused too. */
	ck_assert_uint_ge(hy_client_stats(c)->tcp_output_full, 1);
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_CONNECTED); /* full is not fatal */
	ck_assert(hy_client_poll_events(c) & POLLOUT);

	/* The node reads again: the queue drains, nothing was lost, and sends work. */
	ref_server_tcp_stall(s, false);
	bad_answers = 0;
	answers_wanted = sent;
	ck_assert(pump(c, s, all_answered, 60000));
	ck_assert_uint_eq(bad_answers, sent); /* every queued command got through */
	ck_assert_int_eq(hy_client_poll_events(c), POLLIN);
	check_echo(c, s, 5, 4);
	ck_assert_uint_eq(ref_server_stats(s)->tcp_slow_consumer, 0);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

START_TEST(test_records_arriving_byte_by_byte)
{
	struct ref_server *s = server_new("127.0.0.1", 0, true);
	struct hy_ticket t = tcp_ticket(s, "127.0.0.1");
	struct hy_client *c = connect_client(s, &t, NULL);
	check_echo(c, s, 77, 4);
	ck_assert_uint_eq(ref_server_push_all(s, 3, 9, "piecewise", 9), 1);
	ck_assert(pump(c, s, got_message, DEADLINE_MS));
	ck_assert_uint_eq(last_msg.len, 9);
	ck_assert_mem_eq(last_msg.payload, "piecewise", 9);
	ck_assert_uint_eq(hy_client_stats(c)->rx_dropped, 0);
	hy_client_destroy(c);
	ref_server_destroy(s);
}
END_TEST

/* A plain listening socket standing in for a node that misbehaves. */
static int raw_listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Connects a client to lfd and returns the node-side socket. */
static int accept_client(int lfd, struct hy_client *c)
{
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	int fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	/* Let the client see the connect finish and write its CONNECT. */
	uint8_t rec[HY_RECORD_HDR_LEN + HY_CONNECT_LEN];
	size_t have = 0;
	uint64_t start = hy_client_now_ms();
	while (have < sizeof(rec) && hy_client_now_ms() - start < DEADLINE_MS) {
		hy_client_update(c, hy_client_now_ms());
		ssize_t n = recv(fd, rec + have, sizeof(rec) - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		else
			usleep(1000);
	}
	ck_assert_uint_eq(have, sizeof(rec));
	ck_assert_uint_eq(rec[0] << 8 | rec[1], HY_CONNECT_LEN);
	ck_assert_uint_eq(rec[2], hy_pkt_prefix(HY_PKT_CONNECT));
	return fd;
}

START_TEST(test_connection_refused)
{
	uint16_t port;
	int lfd = raw_listener(&port);
	close(lfd); /* nothing listens there now */
	struct hy_ticket t = ticket("127.0.0.1", port, NODE_ID, HY_TRANSPORT_TCP);
	struct hy_client *c = new_client(&t, NULL);
	if (hy_client_connect(c, hy_client_now_ms()) == 0)
		ck_assert(pump(c, NULL, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_ERROR);
	ck_assert_msg(strstr(hy_client_error(c), "refused"), "%s", hy_client_error(c));
	ck_assert_int_eq(hy_client_fd(c), -1);
	hy_client_destroy(c);
}
END_TEST

START_TEST(test_connection_reset)
{
	uint16_t port;
	int lfd = raw_listener(&port);
	struct hy_ticket t = ticket("127.0.0.1", port, NODE_ID, HY_TRANSPORT_TCP);
	struct hy_client *c = new_client(&t, NULL);
	int fd = accept_client(lfd, c);
	/* Linger 0: close() sends a reset instead of a FIN. */
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fd);
	ck_assert(pump(c, NULL, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_ERROR);
	ck_assert_msg(strstr(hy_client_error(c), "reset"), "%s", hy_client_error(c));
	hy_client_destroy(c);
	close(lfd);
}
END_TEST

START_TEST(test_broken_framing_ends_connection)
{
	static const uint8_t bad[][2] = {{0x00, 0x00}, {0x04, 0xb1}, {0xff, 0xff}}; /* 0, 1201, 65535 */
	uint16_t port;
	int lfd = raw_listener(&port);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hy_ticket t = ticket("127.0.0.1", port, NODE_ID, HY_TRANSPORT_TCP);
		struct hy_client *c = new_client(&t, NULL);
		int fd = accept_client(lfd, c);
		ck_assert_int_eq(send(fd, bad[i], 2, 0), 2);
		ck_assert(pump(c, NULL, is_terminal, DEADLINE_MS));
		ck_assert_int_eq(hy_client_state(c), HY_CLIENT_ERROR);
		ck_assert_msg(strstr(hy_client_error(c), "malformed record (BAD_LENGTH)"), "%s",
			      hy_client_error(c));
		ck_assert_uint_eq(hy_client_stats(c)->rx_dropped_by_reason[HY_R_BAD_LENGTH], 1);
		hy_client_destroy(c);
		close(fd);
	}
	close(lfd);
}
END_TEST

START_TEST(test_challenge_and_garbage_records_are_dropped)
{
	uint16_t port;
	int lfd = raw_listener(&port);
	struct hy_ticket t = ticket("127.0.0.1", port, NODE_ID, HY_TRANSPORT_TCP);
	struct hy_client *c = new_client(&t, NULL);
	int fd = accept_client(lfd, c);
	uint8_t rec[2 + HY_CHALLENGE_LEN] = {0, HY_CHALLENGE_LEN, hy_pkt_prefix(HY_PKT_CHALLENGE)};
	ck_assert_int_eq(send(fd, rec, sizeof(rec), 0), (ssize_t)sizeof(rec)); /* no cookie on TCP */
	uint8_t junk[2 + 40] = {0, 40, hy_pkt_prefix(HY_PKT_DATA)}; /* fails the tag */
	junk[4] = 1;
	ck_assert_int_eq(send(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	const struct hy_client_stats *st = hy_client_stats(c);
	uint64_t start = hy_client_now_ms();
	while (st->rx_dropped < 2 && hy_client_now_ms() - start < DEADLINE_MS) {
		hy_client_update(c, hy_client_now_ms());
		usleep(1000);
	}
	ck_assert_uint_eq(st->rx_dropped_by_reason[HY_R_BAD_TYPE], 1);
	ck_assert_uint_eq(st->rx_dropped, 2);
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_SENDING_CONNECT); /* still waiting */
	hy_client_destroy(c);
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(test_connect_timeout_when_node_never_answers)
{
	uint16_t port;
	int lfd = raw_listener(&port); /* the kernel completes the connect; nobody answers */
	struct hy_ticket t = ticket("127.0.0.1", port, NODE_ID, HY_TRANSPORT_TCP);
	struct hy_client_options opt = {.connect_timeout_ms = 300};
	struct hy_client *c = new_client(&t, &opt);
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	ck_assert(pump(c, NULL, is_terminal, DEADLINE_MS));
	ck_assert_int_eq(hy_client_state(c), HY_CLIENT_TIMED_OUT);
	ck_assert_int_eq(hy_client_fd(c), -1);
	hy_client_destroy(c);
	close(lfd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-tcp");
	TCase *tc = tcase_create("loopback");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_handshake_echo_disconnect_ipv4);
	tcase_add_test(tc, test_handshake_echo_ipv6);
	tcase_add_test(tc, test_tcp_and_udp_sessions_side_by_side);
	tcase_add_test(tc, test_push_and_kick);
	tcase_add_test(tc, test_token_reuse_denied);
	tcase_add_test(tc, test_refused_tokens_close_the_connection);
	tcase_add_test(tc, test_idle_timeout_closes_silent_client);
	tcase_add_test(tc, test_keepalive_holds_session);
	tcase_add_test(tc, test_stalled_node_fills_output_and_send_fails);
	tcase_add_test(tc, test_records_arriving_byte_by_byte);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_connection_reset);
	tcase_add_test(tc, test_broken_framing_ends_connection);
	tcase_add_test(tc, test_challenge_and_garbage_records_are_dropped);
	tcase_add_test(tc, test_connect_timeout_when_node_never_answers);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
