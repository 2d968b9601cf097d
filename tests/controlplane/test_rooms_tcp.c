/* SPDX-License-Identifier: BSD-3-Clause
 * Rooms end to end through hayate-controlplane's TCP server: three TCP
 * sessions create and join a room, a broadcast reaches the others, member
 * joined/left pushes arrive, the owner is re-elected when it leaves, a
 * closed connection leaves its room, and a direct message by user id
 * arrives.  argv[1]: the executable.
 */
#include <arpa/inet.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "cp_proc.h"

#include "common/wire.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

/* Command numbers and payloads: docs/protocol.md, "Rooms". */
enum {
	CREATE = 100, JOIN = 101, LEAVE = 102, BROADCAST = 103, MESSAGE = 104,
	GET_PROPS = 106, INCR_PROP = 108, LIST = 109, DIRECT = 200,
	MEMBER_JOINED = 120, MEMBER_LEFT = 121, OWNER_CHANGED = 122,
};

static struct cp_proc proc;
static const char *exe;

struct player {
	struct cp_client c;
	struct hy_credentials cred;
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_msg m;
};

static void open_player(struct player *p, const char *uid)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	int type, n;

	ck_assert_int_eq(cp_client_mint(&proc, &p->cred, CP_TEST_NODE_ID, HY_TRANSPORT_TCP, uid), 0);
	ck_assert_int_ge(cp_client_connect(&p->c, proc.tcp_port, &p->cred), 0);
	ck_assert_int_eq(cp_client_send_connect(&p->c), 0);
	n = cp_client_recv_sealed(&p->c, &type, NULL, pt, sizeof(pt));
	ck_assert_int_eq(n, HY_ACCEPT_BODY_LEN);
	ck_assert_int_eq(type, HY_PKT_ACCEPT);
}

/* The next message (response or push); one per record here. */
static struct hy_msg *next_msg(struct player *p)
{
	struct hy_frame f;
	struct hy_rd rd;
	int type, n = cp_client_recv_sealed(&p->c, &type, NULL, p->pt, sizeof(p->pt));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(type, HY_PKT_DATA);
	hy_rd_init(&rd, p->pt, (size_t)n);
	ck_assert_int_eq(hy_frame_next(&rd, &f), HY_R_OK);
	ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &p->m), HY_R_OK);
	ck_assert_uint_eq(p->m.ver, 1);
	return &p->m;
}

static struct hy_msg *expect(struct player *p, uint16_t cmd, uint8_t status)
{
	struct hy_msg *m = next_msg(p);

	ck_assert_msg(m->cmd == cmd && m->status == status,
		      "%s: got cmd %u status %u, want cmd %u status %u", p->cred.uid, m->cmd,
		      m->status, cmd, status);
	return m;
}

static uint64_t u64_at(const uint8_t *b)
{
	struct hy_rd r;

	hy_rd_init(&r, b, 8);
	return hy_rd_u64(&r);
}

static void send_cmd(struct player *p, uint16_t cmd, const void *pl, size_t len)
{
	ck_assert_int_eq(cp_client_send_cmd(&p->c, 1, cmd, pl, len, 1), 0);
}

/* MEMBER_JOINED / MEMBER_LEFT: room | sid | members | uid_len | uid */
static void expect_member(struct player *p, uint16_t cmd, uint64_t room,
			  const struct player *who, unsigned members)
{
	struct hy_msg *m = expect(p, cmd, HY_STATUS_PUSH);
	size_t ul = strlen(who->cred.uid);

	ck_assert_uint_eq(m->len, 8 + 8 + 2 + 1 + ul);
	ck_assert_uint_eq(u64_at(m->payload), room);
	ck_assert_uint_eq(u64_at(m->payload + 8), who->cred.sid);
	ck_assert_uint_eq(m->payload[17], members);
	ck_assert_uint_eq(m->payload[18], ul);
	ck_assert_mem_eq(m->payload + 19, who->cred.uid, ul);
}

START_TEST(room_over_tcp)
{
	static const uint8_t create_pl[12] = { 0, 0, 2 }; /* defaults */
	struct player a, b, c;
	struct hy_msg *m;
	uint8_t pl[64];
	uint64_t room;

	open_player(&a, "ann");
	open_player(&b, "bob");
	open_player(&c, "cat");

	send_cmd(&a, CREATE, create_pl, sizeof(create_pl));
	m = expect(&a, CREATE, HY_STATUS_OK);
	ck_assert_uint_eq(m->len, 8);
	room = u64_at(m->payload);
	ck_assert_uint_eq(room >> 32, CP_TEST_NODE_ID);

	/* B joins: A hears of it */
	for (int i = 0; i < 8; i++)
		pl[i] = (uint8_t)(room >> (56 - 8 * i));
	send_cmd(&b, JOIN, pl, 8);
	m = expect(&b, JOIN, HY_STATUS_OK);
	ck_assert_uint_eq(m->len, 20);
	ck_assert_uint_eq(u64_at(m->payload + 8), a.cred.sid); /* owner */
	ck_assert_uint_eq(m->payload[19], 2);
	expect_member(&a, MEMBER_JOINED, room, &b, 2);

	send_cmd(&c, JOIN, pl, 8);
	expect(&c, JOIN, HY_STATUS_OK);
	expect_member(&a, MEMBER_JOINED, room, &c, 3);
	expect_member(&b, MEMBER_JOINED, room, &c, 3);

	/* B broadcasts (sender excluded): A and C get it */
	send_cmd(&b, BROADCAST, "\0hello", 6);
	m = expect(&b, BROADCAST, HY_STATUS_OK);
	ck_assert_uint_eq(m->len, 2);
	ck_assert_uint_eq(m->payload[1], 2);
	for (struct player *p = &a; p != NULL; p = p == &a ? &c : NULL) {
		m = expect(p, BROADCAST, HY_STATUS_PUSH);
		ck_assert_uint_eq(m->len, 16 + 5);
		ck_assert_uint_eq(u64_at(m->payload), room);
		ck_assert_uint_eq(u64_at(m->payload + 8), b.cred.sid);
		ck_assert_mem_eq(m->payload + 16, "hello", 5);
	}
	/* with the sender: B gets its copy before its answer */
	send_cmd(&b, BROADCAST, "\1x", 2);
	expect(&b, BROADCAST, HY_STATUS_PUSH);
	m = expect(&b, BROADCAST, HY_STATUS_OK);
	ck_assert_uint_eq(m->payload[1], 3);
	expect(&a, BROADCAST, HY_STATUS_PUSH);
	expect(&c, BROADCAST, HY_STATUS_PUSH);

	/* C increments a property twice; A reads it */
	{
		static const uint8_t incr_tail[] = { 0, 0, 0, 0, 0, 0, 0, 5, 4, 'h', 'i', 't', 's' };
		uint8_t q[8 + sizeof(incr_tail)];

		memcpy(q, pl, 8);
		memcpy(q + 8, incr_tail, sizeof(incr_tail));
		send_cmd(&c, INCR_PROP, q, sizeof(q));
		expect(&c, INCR_PROP, HY_STATUS_OK);
		send_cmd(&c, INCR_PROP, q, sizeof(q));
		m = expect(&c, INCR_PROP, HY_STATUS_OK);
		ck_assert_uint_eq(u64_at(m->payload), 10);
		q[8] = 0; /* GET_PROPS room | 0 keys: all */
		send_cmd(&a, GET_PROPS, q, 9);
		m = expect(&a, GET_PROPS, HY_STATUS_OK);
		ck_assert_uint_eq(m->len, 9 + 1 + 4 + 1 + 8);
		ck_assert_uint_eq(m->payload[8], 1);
		ck_assert_uint_eq(u64_at(m->payload + 15), 10);
	}

	/* The owner leaves: B (earliest remaining) owns the room */
	send_cmd(&a, LEAVE, NULL, 0);
	m = expect(&a, LEAVE, HY_STATUS_OK);
	ck_assert_uint_eq(u64_at(m->payload), room);
	expect_member(&b, MEMBER_LEFT, room, &a, 2);
	m = expect(&b, OWNER_CHANGED, HY_STATUS_PUSH);
	ck_assert_uint_eq(u64_at(m->payload + 8), b.cred.sid);
	expect_member(&c, MEMBER_LEFT, room, &a, 2);
	expect(&c, OWNER_CHANGED, HY_STATUS_PUSH);

	/* A is out: its broadcast is refused with the reason */
	send_cmd(&a, BROADCAST, "\0z", 2);
	m = expect(&a, BROADCAST, HY_STATUS_BAD);
	ck_assert_uint_eq(m->len, 2);
	ck_assert_uint_eq(m->payload[0] << 8 | m->payload[1], HY_R_ROOM_NOT_IN);

	/* C's connection goes away: B hears it left */
	cp_client_close(&c.c);
	expect_member(&b, MEMBER_LEFT, room, &c, 1);

	/* DIRECT by user id, from B to A (not in a room) */
	{
		uint8_t d[] = { 2, 3, 'a', 'n', 'n', 'p', 's', 't' };

		send_cmd(&b, DIRECT, d, sizeof(d));
		expect(&b, DIRECT, HY_STATUS_OK);
		m = expect(&a, DIRECT, HY_STATUS_PUSH);
		ck_assert_uint_eq(m->len, 8 + 1 + 3 + 3);
		ck_assert_uint_eq(u64_at(m->payload), b.cred.sid);
		ck_assert_mem_eq(m->payload + 9, "bobpst", 6);
	}

	/* LIST: one room, B owns it */
	{
		uint8_t q[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 8, 0 };

		send_cmd(&a, LIST, q, sizeof(q));
		m = expect(&a, LIST, HY_STATUS_OK);
		ck_assert_uint_eq(m->len, 5 + 20);
		ck_assert_uint_eq(u64_at(m->payload + 5), room);
		ck_assert_uint_eq(u64_at(m->payload + 13), b.cred.sid);
	}
	cp_client_close(&a.c);
	cp_client_close(&b.c);
}
END_TEST

int main(int argc, char **argv)
{
	struct hy_node_config conf;
	Suite *s = suite_create("controlplane-rooms-tcp");
	TCase *tc = tcase_create("rooms");
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s HAYATE_CONTROLPLANE\n", argv[0]);
		return 2;
	}
	exe = argv[1];
	setenv("CK_FORK", "no", 1);
	signal(SIGPIPE, SIG_IGN);
	hy_conf_node_defaults(&conf);
	conf.node.id = CP_TEST_NODE_ID;
	conf.node.roles = HY_ROLE_TCP;
	/* Long enough that no keep-alive or timeout falls inside the test. */
	conf.dataplane.idle_timeout_ms = 30000;
	conf.dataplane.keepalive_ms = 15000;
	conf.dataplane.max_sessions = 1024;
	conf.controlplane.tcp.listen.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &conf.controlplane.tcp.listen.v4);
	conf.controlplane.tcp.port = 0;
	conf.controlplane.http.listen = conf.controlplane.tcp.listen;
	conf.controlplane.http.port = 0;
	snprintf(conf.paths.stats_shm, sizeof(conf.paths.stats_shm), "/hy-cp-rooms-%d",
		 (int)getpid());
	if (cp_proc_prepare(&proc, &conf) != 0 || cp_proc_start(&proc, exe) != 0) {
		fprintf(stderr, "could not start %s\n", exe);
		cp_proc_stop(&proc);
		return 1;
	}
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, room_over_tcp);
	suite_add_tcase(s, tc);
	rc = hy_check_run(s);
	cp_proc_stop(&proc);
	return rc;
}
