/* SPDX-License-Identifier: BSD-3-Clause
 * Rooms end to end through hayate-controlplane's TCP server: three TCP
 * sessions create and join a room, a broadcast reaches the others, member
 * joined/left pushes arrive (on the reliable channel, acknowledged by the
 * test's client), the owner is re-elected when it leaves, a closed
 * connection leaves its room, and a direct message by user id arrives.
 * Then the client library itself (hayate_client.h) over TCP: a room whose
 * members broadcast reliably get every message once and in order, and a
 * reliable message of 64 KiB is answered.  argv[1]: the executable.
 */
#include <arpa/inet.h>
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "cp_proc.h"
#include "hayate_client.h"
#include "tcp_rclient.h"

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

/* A raw client whose reliable channel acknowledges what the node pushes. */
struct player {
	struct rclient r;
	struct hy_msg m;
};

static void open_player(struct player *p, const char *uid)
{
	ck_assert_int_eq(rc_open(&p->r, &proc, uid, NULL), 0);
}

/* The next message (response or push). */
static struct hy_msg *next_msg(struct player *p, uint8_t *frame)
{
	ck_assert_msg(rc_next(&p->r, &p->m, frame, 5000), "%s: no message", p->r.cred.uid);
	ck_assert_uint_eq(p->m.ver, 1);
	return &p->m;
}

/* Commands go unreliably here, so their answers do too; pushes always
 * come on the reliable channel. */
static struct hy_msg *expect(struct player *p, uint16_t cmd, uint8_t status)
{
	uint8_t frame;
	struct hy_msg *m = next_msg(p, &frame);

	ck_assert_msg(m->cmd == cmd && m->status == status,
		      "%s: got cmd %u status %u, want cmd %u status %u", p->r.cred.uid, m->cmd,
		      m->status, cmd, status);
	ck_assert_uint_eq(frame, status == HY_STATUS_PUSH ? HY_FRAME_RELIABLE : HY_FRAME_UNRELIABLE);
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
	ck_assert_int_eq(rc_send_unreliable(&p->r, 1, cmd, pl, len), 0);
}

/* MEMBER_JOINED / MEMBER_LEFT: room | sid | members | uid_len | uid */
static void expect_member(struct player *p, uint16_t cmd, uint64_t room,
			  const struct player *who, unsigned members)
{
	struct hy_msg *m = expect(p, cmd, HY_STATUS_PUSH);
	size_t ul = strlen(who->r.cred.uid);

	ck_assert_uint_eq(m->len, 8 + 8 + 2 + 1 + ul);
	ck_assert_uint_eq(u64_at(m->payload), room);
	ck_assert_uint_eq(u64_at(m->payload + 8), who->r.cred.sid);
	ck_assert_uint_eq(m->payload[17], members);
	ck_assert_uint_eq(m->payload[18], ul);
	ck_assert_mem_eq(m->payload + 19, who->r.cred.uid, ul);
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
	ck_assert_uint_eq(u64_at(m->payload + 8), a.r.cred.sid); /* owner */
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
		ck_assert_uint_eq(u64_at(m->payload + 8), b.r.cred.sid);
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
	ck_assert_uint_eq(u64_at(m->payload + 8), b.r.cred.sid);
	expect_member(&c, MEMBER_LEFT, room, &a, 2);
	expect(&c, OWNER_CHANGED, HY_STATUS_PUSH);

	/* A is out: its broadcast is refused with the reason */
	send_cmd(&a, BROADCAST, "\0z", 2);
	m = expect(&a, BROADCAST, HY_STATUS_BAD);
	ck_assert_uint_eq(m->len, 2);
	ck_assert_uint_eq(m->payload[0] << 8 | m->payload[1], HY_R_ROOM_NOT_IN);

	/* C's connection goes away: B hears it left */
	rc_close(&c.r);
	expect_member(&b, MEMBER_LEFT, room, &c, 1);

	/* DIRECT by user id, from B to A (not in a room) */
	{
		uint8_t d[] = { 2, 3, 'a', 'n', 'n', 'p', 's', 't' };

		send_cmd(&b, DIRECT, d, sizeof(d));
		expect(&b, DIRECT, HY_STATUS_OK);
		m = expect(&a, DIRECT, HY_STATUS_PUSH);
		ck_assert_uint_eq(m->len, 8 + 1 + 3 + 3);
		ck_assert_uint_eq(u64_at(m->payload), b.r.cred.sid);
		ck_assert_mem_eq(m->payload + 9, "bobpst", 6);
	}

	/* LIST: one room, B owns it */
	{
		uint8_t q[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 8, 0 };

		send_cmd(&a, LIST, q, sizeof(q));
		m = expect(&a, LIST, HY_STATUS_OK);
		ck_assert_uint_eq(m->len, 5 + 20);
		ck_assert_uint_eq(u64_at(m->payload + 5), room);
		ck_assert_uint_eq(u64_at(m->payload + 13), b.r.cred.sid);
	}
	rc_close(&a.r);
	rc_close(&b.r);
}
END_TEST

/* ---- the client library over TCP ----------------------------------------- */

#define LIB_MEMBERS 3u
#define LIB_MESSAGES 100u
#define LIB_INFLIGHT 16u /* per sender, as hayate-cli room-demo paces itself */

struct lib_room {
	struct hy_client *c[LIB_MEMBERS];
	uint64_t room;
	bool joined[LIB_MEMBERS];
	uint32_t sent[LIB_MEMBERS];
	uint32_t got[LIB_MEMBERS][LIB_MEMBERS]; /* [receiver][sender]: next expected */
	unsigned bad, big_answers;
};

static struct hy_client *lib_client(const char *uid)
{
	struct hy_client_options opt = { 0 };
	struct hy_ticket t = { 0 };
	char err[256] = "";
	struct hy_client *c;

	ck_assert_int_eq(cp_client_mint(&proc, &t.cred, CP_TEST_NODE_ID, HY_TRANSPORT_TCP, uid), 0);
	snprintf(t.host, sizeof(t.host), "127.0.0.1");
	t.port = proc.tcp_port;
	c = hy_client_create(&t, &opt, err, sizeof(err));
	ck_assert_msg(c != NULL, "create: %s", err);
	ck_assert_uint_eq(hy_client_transport(c), HY_TRANSPORT_TCP);
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	return c;
}

/* Reads every client's messages into the room's bookkeeping. */
static void lib_drain(struct lib_room *lr)
{
	struct hy_client_message msg;
	struct hy_room_event ev;

	for (unsigned i = 0; i < LIB_MEMBERS; i++) {
		while (hy_client_receive(lr->c[i], &msg)) {
			if (msg.ver == 2 && msg.cmd == 0x0105 && msg.status == HY_STATUS_BAD) {
				lr->big_answers++;
				continue;
			}
			if (hy_room_decode(&msg, &ev) != HY_R_OK || ev.kind == HY_ROOM_EV_FAILED) {
				lr->bad++;
				continue;
			}
			if (ev.kind == HY_ROOM_EV_CREATED) {
				lr->room = ev.room_id;
				lr->joined[i] = true;
			} else if (ev.kind == HY_ROOM_EV_JOINED) {
				lr->joined[i] = true;
			} else if (ev.kind == HY_ROOM_EV_BROADCAST) {
				unsigned from = ev.data_len == 5 ? ev.data[0] : LIB_MEMBERS;
				uint32_t seq = ev.data_len == 5 ? (uint32_t)ev.data[1] << 24 |
						       (uint32_t)ev.data[2] << 16 |
						       (uint32_t)ev.data[3] << 8 | ev.data[4] : 0;

				/* once and in order: exactly the next one expected */
				if (from >= LIB_MEMBERS || from == i || seq != lr->got[i][from])
					lr->bad++;
				else
					lr->got[i][from]++;
			}
		}
	}
}

/* Each member broadcasts reliably while fewer than LIB_INFLIGHT of its
 * messages are missing somewhere. */
static void lib_send(struct lib_room *lr)
{
	for (unsigned i = 0; i < LIB_MEMBERS; i++) {
		uint32_t min = UINT32_MAX;

		for (unsigned j = 0; j < LIB_MEMBERS; j++)
			if (j != i && lr->got[j][i] < min)
				min = lr->got[j][i];
		while (lr->sent[i] < LIB_MESSAGES && lr->sent[i] - min < LIB_INFLIGHT) {
			uint32_t q = lr->sent[i];
			uint8_t d[5] = { (uint8_t)i, (uint8_t)(q >> 24), (uint8_t)(q >> 16),
					 (uint8_t)(q >> 8), (uint8_t)q };

			if (hy_room_broadcast(lr->c[i], d, sizeof(d), false, true) < 0)
				break; /* window or output full: later */
			lr->sent[i]++;
		}
	}
}

static bool lib_connected(struct lib_room *lr)
{
	for (unsigned i = 0; i < LIB_MEMBERS; i++)
		if (hy_client_state(lr->c[i]) != HY_CLIENT_CONNECTED)
			return false;
	return true;
}

static bool lib_created(struct lib_room *lr) { return lr->room != 0; }

static bool lib_all_joined(struct lib_room *lr)
{
	for (unsigned i = 0; i < LIB_MEMBERS; i++)
		if (!lr->joined[i])
			return false;
	return true;
}

static bool lib_all_delivered(struct lib_room *lr)
{
	for (unsigned i = 0; i < LIB_MEMBERS; i++)
		for (unsigned j = 0; j < LIB_MEMBERS; j++)
			if (i != j && lr->got[i][j] < LIB_MESSAGES)
				return false;
	return true;
}

static bool lib_big_answered(struct lib_room *lr) { return lr->big_answers > 0; }

/* Runs the clients until done(lr), a client ends, or 15 s pass. */
static bool lib_run(struct lib_room *lr, bool (*done)(struct lib_room *), bool sending)
{
	uint64_t end = hy_client_now_ms() + 15000;

	for (;;) {
		uint64_t now = hy_client_now_ms();
		struct pollfd pfd[LIB_MEMBERS];

		for (unsigned i = 0; i < LIB_MEMBERS; i++) {
			hy_client_update(lr->c[i], now);
			ck_assert_msg(hy_client_state(lr->c[i]) < HY_CLIENT_DISCONNECTED,
				      "member %u: %s (reason %u) %s", i,
				      hy_client_state_name(hy_client_state(lr->c[i])),
				      hy_client_close_reason(lr->c[i]), hy_client_error(lr->c[i]));
		}
		lib_drain(lr);
		if (sending)
			lib_send(lr);
		if (done(lr))
			return true;
		if (now >= end)
			return false;
		for (unsigned i = 0; i < LIB_MEMBERS; i++)
			pfd[i] = (struct pollfd){ .fd = hy_client_fd(lr->c[i]),
						  .events = hy_client_poll_events(lr->c[i]) };
		poll(pfd, LIB_MEMBERS, 5);
	}
}

START_TEST(client_library_reliable_over_tcp)
{
	static const char *const uids[LIB_MEMBERS] = { "lib-0", "lib-1", "lib-2" };
	struct lib_room lr = { 0 };
	size_t big = HY_MAX_MESSAGE - 3; /* a command header of 3 bytes: 64 KiB in all */
	uint8_t *pl = calloc(1, big);

	ck_assert_ptr_nonnull(pl);
	for (unsigned i = 0; i < LIB_MEMBERS; i++)
		lr.c[i] = lib_client(uids[i]);
	ck_assert(lib_run(&lr, lib_connected, false));
	ck_assert_int_eq(hy_room_create(lr.c[0], NULL, true), 0);
	ck_assert(lib_run(&lr, lib_created, false));
	for (unsigned i = 1; i < LIB_MEMBERS; i++)
		ck_assert_int_eq(hy_room_join(lr.c[i], lr.room, true), 0);
	ck_assert(lib_run(&lr, lib_all_joined, false));
	/* every member's broadcasts reach the others once each, in order */
	ck_assert_msg(lib_run(&lr, lib_all_delivered, true), "incomplete: bad %u, got %u %u %u",
		      lr.bad, lr.got[1][0], lr.got[0][1], lr.got[0][2]);
	ck_assert_uint_eq(lr.bad, 0);
	/* a reliable command of 64 KiB is reassembled and answered */
	ck_assert_int_eq(hy_client_send_reliable(lr.c[1], 2, 0x0105, pl, big), 0);
	ck_assert(lib_run(&lr, lib_big_answered, false));
	for (unsigned i = 0; i < LIB_MEMBERS; i++) {
		const struct hy_client_stats *st = hy_client_stats(lr.c[i]);

		ck_assert_uint_eq(hy_client_state(lr.c[i]), HY_CLIENT_CONNECTED);
		ck_assert_uint_gt(st->acks_received, 0);
		ck_assert_uint_ge(st->reliable_delivered, (LIB_MEMBERS - 1) * LIB_MESSAGES);
		hy_client_disconnect(lr.c[i]);
		hy_client_destroy(lr.c[i]);
	}
	free(pl);
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
	tcase_add_test(tc, client_library_reliable_over_tcp);
	suite_add_tcase(s, tc);
	rc = hy_check_run(s);
	cp_proc_stop(&proc);
	return rc;
}
