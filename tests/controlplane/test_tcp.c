/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-controlplane's TCP real-time server, end to end: one process on
 * loopback (tcp role only: no data plane, no HTTP), driven by a small
 * client built on the shared codecs.  argv[1]: the executable.
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
	tcase_add_test(tc, idle_timeout);
	tcase_add_test(tc, slow_consumer);
	tcase_add_test(tc, drain);
	suite_add_tcase(s, tc);
	rc = hy_check_run(s);
	cp_proc_stop(&proc);
	return rc;
}
