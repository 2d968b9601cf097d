/* SPDX-License-Identifier: BSD-3-Clause
 * Room redirects and drain moves (controlplane/move.c) against a fake
 * cluster view: the test defines hy_cp_cluster_node/pick itself, so what
 * each node believes about the others is the case's to set.
 *
 * Unit cases dispatch commands to one control plane and open the ticket
 * of the answer with the cluster key.  Two-node cases run two control
 * planes in this process (TCP role on loopback, their loops pumped in
 * turn) and the client library against them: a JOIN redirect followed, a
 * drain that moves its clients, a drain with nowhere to go, and two nodes
 * whose views disagree bouncing a client until the redirect bound stops
 * it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "cluster.h"
#include "cp_impl.h"
#include "hayate_client.h"
#include "move.h"

#include "common/wire.h"
#include "crypto/token.h"
#include "proto/room_msg.h"
#include "proto/ticket.h"

#define VERSION "1.0-test"
#define KEY_ID 3

static const uint8_t cluster_key[HY_KEY_LEN] = {
	0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
	0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f,
};

/* Two nodes at most, each with its own view of the cluster. */
static struct hy_cp cps[2];
static struct hy_cluster_node views[2][4];
static unsigned nviews[2];

static unsigned which(const struct hy_cp *cp)
{
	return cp == &cps[0] ? 0 : 1;
}

int hy_cp_cluster_node(struct hy_cp *cp, uint32_t id, struct hy_cluster_node *out)
{
	unsigned v = which(cp);

	for (unsigned i = 0; i < nviews[v]; i++) {
		if (views[v][i].id == id || (id == 2 && views[v][i].id == 1 && v == 1 &&
					     views[v][i].age_ms == 777)) {
			*out = views[v][i];
			return 0;
		}
	}
	return -1;
}

int hy_cp_cluster_pick(struct hy_cp *cp, uint8_t transport, uint32_t exclude_id,
		       struct hy_cluster_node *out)
{
	unsigned v = which(cp);

	for (unsigned i = 0; i < nviews[v]; i++) {
		if (views[v][i].id != exclude_id && hy_move_node_usable(cp, &views[v][i], transport)) {
			*out = views[v][i];
			return 0;
		}
	}
	return -1;
}

/* The record others keep of cp. */
static struct hy_cluster_node record_of(const struct hy_cp *cp)
{
	struct hy_cluster_node n = {
		.id = cp->node.id, .roles = cp->node.roles, .state = HY_CLUSTER_ONLINE,
		.tcp_port = cp->node.tcp_port,
	};

	snprintf(n.version, sizeof(n.version), "%s", cp->node.version);
	snprintf(n.tcp_host, sizeof(n.tcp_host), "%s", cp->node.tcp_host);
	return n;
}

static void view_add(unsigned v, struct hy_cluster_node n)
{
	ck_assert_uint_lt(nviews[v], 4);
	views[v][nviews[v]++] = n;
}

/*
 * Brings node cps[i] up with id, its rooms named after rooms_id (the
 * node's own id, except in the case that needs a node to disagree with
 * the room ids it holds), and with a TCP listener on loopback when tcp.
 */
static struct hy_cp *node_up(unsigned i, uint32_t id, uint32_t rooms_id, bool tcp)
{
	struct hy_cp *cp = &cps[i];
	char err[256] = "";

	memset(cp, 0, sizeof(*cp));
	nviews[i] = 0;
	hy_cp_init(cp);
	hy_conf_node_defaults(&cp->conf);
	hy_conf_modules_defaults(&cp->mods);
	snprintf(cp->conf.node.name, sizeof(cp->conf.node.name), "node%u", id);
	snprintf(cp->conf.node.version, sizeof(cp->conf.node.version), VERSION);
	cp->conf.node.roles = HY_ROLE_TCP;
	cp->conf.controlplane.tcp.listen.family = AF_INET;
	cp->conf.controlplane.tcp.listen.v4.s_addr = htonl(INADDR_LOOPBACK);
	cp->conf.controlplane.tcp.port = 0;
	cp->conf.dataplane.drain_timeout_s = 30;
	cp->keys.present[KEY_ID] = true;
	memcpy(cp->keys.key[KEY_ID], cluster_key, HY_KEY_LEN);
	cp->keys.newest_id = KEY_ID;
	cp->keys.count = 1;
	ck_assert_msg(hy_cp_keys_expand(cp, err, sizeof(err)) == 0, "%s", err);
	cp->reg = hy_registry_create(0);
	ck_assert_ptr_nonnull(cp->reg);
	cp->conf.node.id = rooms_id;
	ck_assert_msg(hy_cp_rooms_open(cp, err, sizeof(err)) == 0, "%s", err);
	cp->conf.node.id = id;
	ck_assert_msg(hy_cp_loop_open(cp, err, sizeof(err)) == 0, "%s", err);
	if (tcp)
		ck_assert_msg(hy_cp_tcp_open(cp, err, sizeof(err)) == 0, "%s", err);
	hy_cp_node_fill(&cp->node, &cp->conf);
	if (tcp)
		cp->node.tcp_port = hy_tcp_server_port(cp->tcp);
	return cp;
}

static void nodes_down(void)
{
	for (unsigned i = 0; i < 2; i++)
		if (cps[i].loop != NULL || cps[i].reg != NULL)
			hy_cp_teardown(&cps[i]);
	memset(cps, 0, sizeof(cps));
}

/* ---- unit: redirect answers ------------------------------------------ */

static uint8_t out[2048];
static struct hy_cmd_reply rep;

static uint8_t run(struct hy_cp *cp, uint64_t sid, uint8_t transport, uint16_t cmd,
		   const uint8_t *pl, size_t len)
{
	struct hy_cmd_req req = { .sid = sid, .transport = transport, .ver = 1, .cmd = cmd,
				  .payload = pl, .len = len };

	rep = (struct hy_cmd_reply){ .payload = out, .cap = 1160 };
	ck_assert_ptr_nonnull(hy_cmd_dispatch(&cp->env, &req, &rep));
	return rep.status;
}

static uint16_t reason(void)
{
	ck_assert_uint_ge(rep.len, 2);
	return (uint16_t)(out[0] << 8 | out[1]);
}

static uint8_t join(struct hy_cp *cp, uint64_t sid, uint8_t transport, uint64_t room)
{
	uint8_t pl[8];

	ck_assert_uint_eq(hy_rm_room_encode(pl, sizeof(pl), room), 8);
	return run(cp, sid, transport, HY_CMD_ROOM_JOIN, pl, sizeof(pl));
}

static void add_session(struct hy_cp *cp, uint64_t sid, const char *uid, uint8_t transport)
{
	struct hy_cp_session s = { .sid = sid, .transport = transport };

	snprintf(s.uid, sizeof(s.uid), "%s", uid);
	ck_assert_int_eq(hy_registry_upsert(cp->reg, &s), 1);
}

/* A second node in cp's view (index v): id, TCP at 198.18.0.2:7200. */
static struct hy_cluster_node other(uint32_t id)
{
	struct hy_cluster_node n = { .id = id, .roles = HY_ROLE_TCP, .state = HY_CLUSTER_ONLINE,
				     .tcp_port = 7200 };

	snprintf(n.version, sizeof(n.version), VERSION);
	snprintf(n.tcp_host, sizeof(n.tcp_host), "198.18.0.2");
	return n;
}

START_TEST(room_ids_name_their_node)
{
	struct hy_cp *cp = node_up(0, 0x80000001u, 0x80000001u, false);
	static const uint8_t params[12] = { 0 };
	struct hy_rd r;
	uint64_t a, b;

	add_session(cp, 11, "alice", HY_TRANSPORT_TCP);
	add_session(cp, 12, "bob", HY_TRANSPORT_TCP);
	ck_assert_uint_eq(run(cp, 11, HY_TRANSPORT_TCP, HY_CMD_ROOM_CREATE, params, 12),
			  HY_STATUS_OK);
	hy_rd_init(&r, out, rep.len);
	a = hy_rd_u64(&r);
	ck_assert_uint_eq(run(cp, 12, HY_TRANSPORT_TCP, HY_CMD_ROOM_CREATE, params, 12),
			  HY_STATUS_OK);
	hy_rd_init(&r, out, rep.len);
	b = hy_rd_u64(&r);
	ck_assert_uint_eq(hy_room_id_node(a), 0x80000001u);
	ck_assert_uint_eq(hy_room_id_node(b), 0x80000001u);
	ck_assert_uint_ne((uint32_t)a, 0);
	ck_assert_uint_ne(a, b);
	ck_assert_uint_eq(hy_rooms_node_id(cp->rooms), 0x80000001u);
	nodes_down();
}
END_TEST

START_TEST(join_elsewhere_answers_a_ticket_for_that_node)
{
	struct hy_cp *cp = node_up(0, 1, 1, false);
	const struct hy_aead_ctx *keys[HY_KEYRING_IDS] = { 0 };
	const uint64_t room = (uint64_t)2 << 32 | 77;
	struct hy_token_private priv;
	struct hy_token_public pub;
	struct hy_ticket t;
	uint64_t got_room;

	keys[KEY_ID] = cp->key_ptr[KEY_ID];
	view_add(0, record_of(cp));
	view_add(0, other(2));
	add_session(cp, 11, "alice", HY_TRANSPORT_TCP);
	ck_assert_uint_eq(join(cp, 11, HY_TRANSPORT_TCP, room), HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_REDIRECT);
	ck_assert_int_eq(hy_redirect_decode(out, rep.len, &got_room, &t), HY_R_OK);
	ck_assert_uint_eq(got_room, room);
	ck_assert_uint_eq(t.cred.node_id, 2);
	ck_assert_uint_eq(t.cred.transport, HY_TRANSPORT_TCP);
	ck_assert_str_eq(t.host, "198.18.0.2");
	ck_assert_uint_eq(t.port, 7200);
	ck_assert_str_eq(t.cred.uid, "alice");
	ck_assert_uint_ne(t.cred.sid, 11);
	ck_assert_uint_le(t.cred.expire_at, (uint64_t)time(NULL) + HY_MOVE_TOKEN_LIFETIME_S);
	/* The target opens it; this node does not (the token names node 2). */
	ck_assert_int_eq(hy_token_open(keys, HY_KEYRING_IDS, 2, (uint64_t)time(NULL),
				       t.cred.token, &pub, &priv), HY_R_OK);
	ck_assert_uint_eq(pub.key_id, KEY_ID);
	ck_assert_uint_eq(priv.sid, t.cred.sid);
	ck_assert_uint_eq(priv.transport, HY_TRANSPORT_TCP);
	ck_assert_str_eq(priv.uid, "alice");
	ck_assert_mem_eq(priv.c2s_key, t.cred.c2s_key, HY_KEY_LEN);
	ck_assert_mem_eq(priv.s2c_key, t.cred.s2c_key, HY_KEY_LEN);
	ck_assert_int_eq(hy_token_open(keys, HY_KEYRING_IDS, 1, (uint64_t)time(NULL),
				       t.cred.token, &pub, &priv), HY_R_TOKEN_WRONG_NODE);
	ck_assert_uint_eq(hy_move_counter(cp, HY_MOVE_C_redirects), 1);
	/* Nothing was joined here. */
	ck_assert_uint_eq(hy_rooms_room_of(cp->rooms, 11), 0);

	/* GET_PROPS and MEMBERS of that room are redirected the same way. */
	uint8_t pl[16];
	struct hy_rm_props q = { .room_id = room };
	struct hy_rm_page pg = { .room_id = room };
	size_t n = hy_rm_get_props_encode(pl, sizeof(pl), &q);

	ck_assert_uint_eq(run(cp, 11, HY_TRANSPORT_TCP, HY_CMD_ROOM_GET_PROPS, pl, n),
			  HY_STATUS_BAD);
	ck_assert_int_eq(hy_redirect_decode(out, rep.len, &got_room, &t), HY_R_OK);
	n = hy_rm_members_encode(pl, sizeof(pl), &pg);
	ck_assert_uint_eq(run(cp, 11, HY_TRANSPORT_TCP, HY_CMD_ROOM_MEMBERS, pl, n),
			  HY_STATUS_BAD);
	ck_assert_int_eq(hy_redirect_decode(out, rep.len, &got_room, &t), HY_R_OK);
	ck_assert_uint_eq(t.cred.node_id, 2);
	nodes_down();
}
END_TEST

START_TEST(no_usable_node_no_ticket)
{
	struct hy_cp *cp = node_up(0, 1, 1, false);
	struct hy_cluster_node n;
	static const uint8_t params[12] = { 0 };

	view_add(0, record_of(cp));
	add_session(cp, 11, "alice", HY_TRANSPORT_TCP);
	add_session(cp, 12, "bob", HY_TRANSPORT_UDP);

	/* Not in the view: the room cannot exist. */
	ck_assert_uint_eq(join(cp, 11, HY_TRANSPORT_TCP, (uint64_t)2 << 32 | 1), HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_NOT_FOUND);
	ck_assert_uint_eq(rep.len, 2);

	/* Offline (draining), another version, or without the transport:
	 * the room may exist but cannot be reached now (ERR). */
	n = other(2);
	n.state = HY_CLUSTER_OFFLINE;
	view_add(0, n);
	ck_assert_uint_eq(join(cp, 11, HY_TRANSPORT_TCP, (uint64_t)2 << 32 | 1), HY_STATUS_ERR);
	ck_assert_uint_eq(reason(), HY_R_ROOM_NODE_UNAVAILABLE);
	n = other(3);
	snprintf(n.version, sizeof(n.version), "2.0");
	view_add(0, n);
	ck_assert_uint_eq(join(cp, 11, HY_TRANSPORT_TCP, (uint64_t)3 << 32 | 1), HY_STATUS_ERR);
	ck_assert_uint_eq(reason(), HY_R_ROOM_NODE_UNAVAILABLE);
	view_add(0, other(4));
	ck_assert_uint_eq(join(cp, 12, HY_TRANSPORT_UDP, (uint64_t)4 << 32 | 1), HY_STATUS_ERR);
	ck_assert_uint_eq(reason(), HY_R_ROOM_NODE_UNAVAILABLE);
	ck_assert_uint_eq(join(cp, 11, HY_TRANSPORT_TCP, (uint64_t)4 << 32 | 1), HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_REDIRECT);
	ck_assert_uint_eq(hy_move_counter(cp, HY_MOVE_C_redirects_refused), 4);

	/* A member of a room here is not moved away from it. */
	ck_assert_uint_eq(run(cp, 11, HY_TRANSPORT_TCP, HY_CMD_ROOM_CREATE, params, 12),
			  HY_STATUS_OK);
	ck_assert_uint_eq(join(cp, 11, HY_TRANSPORT_TCP, (uint64_t)4 << 32 | 1), HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_ALREADY_IN);

	/* A room of this node that is gone is still ROOM_NOT_FOUND. */
	ck_assert_uint_eq(join(cp, 12, HY_TRANSPORT_UDP, (uint64_t)1 << 32 | 0xfffffff0u),
			  HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_NOT_FOUND);
	nodes_down();
}
END_TEST

/* ---- two nodes, the client library ------------------------------------- */

static struct hy_client *connect_to(struct hy_cp *cp, const char *uid)
{
	struct hy_client_options opt = { .connect_timeout_ms = 3000 };
	struct hy_ticket t = { .port = cp->node.tcp_port };
	char err[256] = "";
	struct hy_client *c;

	ck_assert_int_eq(hy_token_mint(cp->key_ptr[KEY_ID], KEY_ID, cp->node.id,
				       (uint64_t)time(NULL) + 60, uid, HY_TRANSPORT_TCP, &t.cred), 0);
	snprintf(t.host, sizeof(t.host), "%s", cp->node.tcp_host);
	c = hy_client_create(&t, &opt, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(hy_client_connect(c, hy_client_now_ms()), 0);
	return c;
}

/* Runs both loops and the clients for at most ms, until done(arg). */
static bool pump(struct hy_client **cl, unsigned n, unsigned ms,
		 bool (*done)(struct hy_client **, unsigned, void *), void *arg)
{
	uint64_t end = hy_client_now_ms() + ms;

	while (hy_client_now_ms() < end) {
		for (unsigned i = 0; i < 2; i++)
			if (cps[i].loop != NULL)
				hy_loop_run_once(cps[i].loop, 0);
		for (unsigned i = 0; i < n; i++)
			hy_client_update(cl[i], hy_client_now_ms());
		if (done != NULL && done(cl, n, arg))
			return true;
		usleep(500);
	}
	return done == NULL;
}

static bool all_connected(struct hy_client **cl, unsigned n, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n; i++)
		if (hy_client_state(cl[i]) != HY_CLIENT_CONNECTED || hy_client_moving(cl[i]))
			return false;
	return true;
}

/* Waits for a room event of kind on client c (others are skipped). */
static bool room_event(struct hy_client **cl, unsigned n, struct hy_client *c,
		       enum hy_room_event_kind kind, struct hy_room_event *ev, unsigned ms)
{
	uint64_t end = hy_client_now_ms() + ms;
	struct hy_client_message m;

	while (hy_client_now_ms() < end) {
		while (hy_client_receive(c, &m)) {
			if (hy_room_decode(&m, ev) == HY_R_OK && ev->kind == kind)
				return true;
		}
		pump(cl, n, 5, NULL, NULL);
	}
	return false;
}

static void two_nodes(void)
{
	node_up(0, 1, 1, true);
	node_up(1, 2, 2, true);
	view_add(0, record_of(&cps[0]));
	view_add(0, record_of(&cps[1]));
	view_add(1, record_of(&cps[1]));
	view_add(1, record_of(&cps[0]));
}

START_TEST(client_follows_a_join_redirect)
{
	struct hy_client *cl[2];
	struct hy_room_event ev;
	struct hy_client_move mv;
	uint64_t room, old_sid;

	two_nodes();
	cl[0] = connect_to(&cps[0], "alice"); /* on node 1 */
	cl[1] = connect_to(&cps[1], "bob");   /* on node 2, holds the room */
	ck_assert(pump(cl, 2, 3000, all_connected, NULL));
	ck_assert_uint_eq(hy_client_node_id(cl[0]), 1);
	ck_assert_int_eq(hy_room_create(cl[1], NULL, true), 0);
	ck_assert(room_event(cl, 2, cl[1], HY_ROOM_EV_CREATED, &ev, 3000));
	room = ev.room_id;
	ck_assert_uint_eq(hy_room_id_node(room), 2);

	old_sid = hy_client_sid(cl[0]);
	ck_assert_int_eq(hy_room_join(cl[0], room, false), 0);
	ck_assert(room_event(cl, 2, cl[0], HY_ROOM_EV_JOINED, &ev, 5000));
	ck_assert_uint_eq(ev.room_id, room);
	ck_assert_uint_eq(ev.members, 2);
	ck_assert_uint_eq(hy_client_node_id(cl[0]), 2);
	ck_assert_uint_ne(hy_client_sid(cl[0]), old_sid);
	ck_assert(hy_client_take_move(cl[0], &mv));
	ck_assert(!hy_client_take_move(cl[0], &mv)); /* once per move */
	ck_assert_uint_eq(mv.reason, 0);
	ck_assert_uint_eq(mv.room_id, room);
	ck_assert_uint_eq(mv.from_node, 1);
	ck_assert_uint_eq(mv.to_node, 2);
	ck_assert_uint_eq(mv.old_sid, old_sid);
	ck_assert_uint_eq(mv.new_sid, hy_client_sid(cl[0]));
	ck_assert(mv.connected);
	ck_assert_uint_eq(hy_client_stats(cl[0])->redirects, 1);
	ck_assert(room_event(cl, 2, cl[1], HY_ROOM_EV_MEMBER_JOINED, &ev, 3000));
	ck_assert_uint_eq(hy_move_counter(&cps[0], HY_MOVE_C_redirects), 1);
	/* The old session ended: node 1 forgets it once the DISCONNECT is in. */
	pump(cl, 2, 300, NULL, NULL);
	ck_assert_uint_eq(hy_registry_count(cps[0].reg, 0), 0);
	ck_assert_uint_eq(hy_registry_count(cps[1].reg, 0), 2);
	hy_client_destroy(cl[0]);
	hy_client_destroy(cl[1]);
	nodes_down();
}
END_TEST

static bool both_on_node2(struct hy_client **cl, unsigned n, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n; i++)
		if (hy_client_node_id(cl[i]) != 2 || hy_client_state(cl[i]) != HY_CLIENT_CONNECTED ||
		    hy_client_moving(cl[i]))
			return false;
	return true;
}

START_TEST(drain_moves_clients_to_another_node)
{
	struct hy_client *cl[3];
	struct hy_client_move mv;
	struct hy_room_event ev;
	uint64_t room;

	two_nodes();
	cl[0] = connect_to(&cps[0], "alice");
	cl[1] = connect_to(&cps[0], "bob");
	cl[2] = connect_to(&cps[0], "carol");
	ck_assert(pump(cl, 3, 3000, all_connected, NULL));
	ck_assert_int_eq(hy_room_create(cl[0], NULL, true), 0);
	ck_assert(room_event(cl, 3, cl[0], HY_ROOM_EV_CREATED, &ev, 3000));
	room = ev.room_id;
	ck_assert_int_eq(hy_room_join(cl[1], room, true), 0);
	ck_assert(room_event(cl, 3, cl[1], HY_ROOM_EV_JOINED, &ev, 3000));

	hy_cp_drain(&cps[0]);
	ck_assert(pump(cl, 3, 5000, both_on_node2, NULL));
	for (unsigned i = 0; i < 3; i++) {
		ck_assert(hy_client_take_move(cl[i], &mv));
		ck_assert_uint_eq(mv.reason, HY_MOVE_DRAIN);
		ck_assert_uint_eq(mv.room_id, 0);
		ck_assert_uint_eq(mv.from_node, 1);
		ck_assert_uint_eq(mv.to_node, 2);
		ck_assert(mv.connected);
		ck_assert_uint_eq(hy_client_stats(cl[i])->moves, 1);
		ck_assert_uint_eq(hy_client_node_state(cl[i]), HY_NODE_ONLINE);
	}
	ck_assert_uint_eq(hy_move_counter(&cps[0], HY_MOVE_C_moves_sent), 3);
	ck_assert_uint_eq(hy_move_counter(&cps[0], HY_MOVE_C_moves_no_target), 0);
	pump(cl, 3, 300, NULL, NULL);
	ck_assert_uint_eq(hy_registry_count(cps[0].reg, 0), 0);
	ck_assert_uint_eq(hy_registry_count(cps[1].reg, 0), 3);
	/* The drained node is done: its loop asks to stop. */
	ck_assert(cps[0].quit);
	for (unsigned i = 0; i < 3; i++)
		hy_client_destroy(cl[i]);
	nodes_down();
}
END_TEST

static bool echoed_offline(struct hy_client **cl, unsigned n, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < n; i++)
		if (hy_client_node_state(cl[i]) != HY_NODE_OFFLINE)
			return false;
	return true;
}

START_TEST(drain_without_a_target_leaves_clients)
{
	struct hy_client *cl[2];
	struct hy_client_move mv;
	struct hy_cluster_node n;

	node_up(0, 1, 1, true);
	view_add(0, record_of(&cps[0]));
	n = other(2);
	n.state = HY_CLUSTER_OFFLINE; /* draining too: no target */
	view_add(0, n);
	cl[0] = connect_to(&cps[0], "alice");
	cl[1] = connect_to(&cps[0], "bob");
	ck_assert(pump(cl, 2, 3000, all_connected, NULL));
	hy_cp_drain(&cps[0]);
	pump(cl, 2, 400, NULL, NULL);
	ck_assert_uint_eq(hy_move_counter(&cps[0], HY_MOVE_C_moves_no_target), 2);
	ck_assert_uint_eq(hy_move_counter(&cps[0], HY_MOVE_C_moves_sent), 0);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(hy_client_state(cl[i]), HY_CLIENT_CONNECTED);
		ck_assert(!hy_client_take_move(cl[i], &mv));
		ck_assert_int_eq(hy_client_echo(cl[i], 1), 0);
	}
	ck_assert(pump(cl, 2, 3000, echoed_offline, NULL));
	ck_assert_uint_eq(hy_registry_count(cps[0].reg, 0), 2);
	for (unsigned i = 0; i < 2; i++)
		hy_client_destroy(cl[i]);
	nodes_down();
}
END_TEST

START_TEST(bouncing_redirects_are_bounded)
{
	struct hy_client *cl[1];
	struct hy_room_event ev;
	struct hy_cluster_node n1;
	const uint64_t room = (uint64_t)2 << 32 | 9;

	/* Node 2 names its rooms after node 3, so room 2:9 is not its own;
	 * and its view says node 2's rooms are on node 1 (the fake view's
	 * age_ms 777 marks that record).  Node 1 sends the JOIN to node 2,
	 * node 2 back to node 1, and so on. */
	node_up(0, 1, 1, true);
	node_up(1, 2, 3, true);
	view_add(0, record_of(&cps[0]));
	view_add(0, record_of(&cps[1]));
	n1 = record_of(&cps[0]);
	n1.age_ms = 777;
	view_add(1, n1);
	cl[0] = connect_to(&cps[0], "alice");
	ck_assert(pump(cl, 1, 3000, all_connected, NULL));
	ck_assert_int_eq(hy_room_join(cl[0], room, true), 0);
	ck_assert(room_event(cl, 1, cl[0], HY_ROOM_EV_FAILED, &ev, 8000));
	ck_assert_uint_eq(ev.reason, HY_R_ROOM_REDIRECT);
	ck_assert_uint_eq(ev.room_id, room);
	ck_assert_uint_eq(hy_client_stats(cl[0])->redirects, 3);
	ck_assert_uint_eq(hy_client_stats(cl[0])->redirects_refused, 1);
	ck_assert_int_eq(hy_client_state(cl[0]), HY_CLIENT_CONNECTED);
	/* Three hops from node 1: 2, 1, 2. */
	ck_assert_uint_eq(hy_client_node_id(cl[0]), 2);
	hy_client_destroy(cl[0]);
	nodes_down();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("controlplane-move");
	TCase *tc = tcase_create("redirect");

	tcase_add_test(tc, room_ids_name_their_node);
	tcase_add_test(tc, join_elsewhere_answers_a_ticket_for_that_node);
	tcase_add_test(tc, no_usable_node_no_ticket);
	suite_add_tcase(s, tc);
	tc = tcase_create("two-nodes");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, client_follows_a_join_redirect);
	tcase_add_test(tc, drain_moves_clients_to_another_node);
	tcase_add_test(tc, drain_without_a_target_leaves_clients);
	tcase_add_test(tc, bouncing_redirects_are_bounded);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
