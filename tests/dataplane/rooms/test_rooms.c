/* SPDX-License-Identifier: BSD-3-Clause
 * The data plane's rooms: the fan-out table (applying TABLE_UPDATEs) and
 * the relay (BROADCAST, MESSAGE, DIRECT) over two real session engines
 * standing for two workers, with the mailbox between them and the ring to
 * the control plane recorded in-test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "sess_harness.h"

#include "fanout.h"
#include "relay.h"

#include "proto/room_msg.h"
#include "ring/msg.h"
#include "rudp/rudp.h"
#include "memory.h"

#define NW 2u          /* workers */
#define NC 6u          /* clients */
#define MAX_PKTS 64u
#define MAX_JOBS 16u
#define ROOM 0x0000000700000001ull
#define TCP_SID 0x7c9000000000001ull

static struct harness_node node;
static uint64_t now;

/* What one worker sent and passed on. */
struct wrec {
	unsigned id;
	unsigned n_tx, n_up_cmd, n_relay_up;
	struct rec_pkt tx[MAX_PKTS];
	struct rec_cmd up_cmd[8];
	uint64_t relay_sids[8][HY_TABLE_MAX_MEMBERS];
	unsigned relay_n[8];
	struct hy_relay_job relay_job[8];
};

static struct wrec wr[NW];
static struct hy_engine *eng[NW];
static struct hy_fanout *tab[NW];
static struct hy_relay *rel[NW];
static struct hy_uid_dir *dir[NW];
/* the mailbox between the workers */
static struct {
	uint16_t to;
	struct hy_relay_job job;
} box[MAX_JOBS];
static unsigned n_box;
static struct tclient cl[NC];

static int w_tx(void *arg, const struct hy_peer *to, const uint8_t *pkt, uint16_t len)
{
	struct wrec *r = arg;

	ck_assert_uint_lt(r->n_tx, MAX_PKTS);
	r->tx[r->n_tx].to = *to;
	r->tx[r->n_tx].len = len;
	memcpy(r->tx[r->n_tx].b, pkt, len);
	r->n_tx++;
	return 0;
}

/* The user directory as the worker keeps it (synchronously here: the
 * worker posts to the shard's inbox). */
static int w_opened(void *arg, const struct hy_engine_session_info *s)
{
	uint64_t key = hy_uid_key(s->uid, s->uid_len);

	(void)arg;
	hy_uid_dir_set(dir[hy_uid_shard(key, NW)], key, s->sid);
	return 0;
}

static int w_closed(void *arg, const struct hy_engine_session_info *s,
		    enum hy_close_reason why)
{
	uint64_t key = hy_uid_key(s->uid, s->uid_len);

	(void)arg;
	hy_uid_dir_del(dir[hy_uid_shard(key, NW)], key, s->sid);
	(void)why;
	return 0;
}

static int w_command(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
		     enum hy_engine_delivery d, const uint8_t *payload, uint32_t len)
{
	struct wrec *r = arg;
	struct rec_cmd *c;

	ck_assert_uint_lt(r->n_up_cmd, 8);
	c = &r->up_cmd[r->n_up_cmd++];
	c->sid = sid;
	c->ver = ver;
	c->cmd = cmd;
	c->d = d;
	c->len = len;
	memcpy(c->payload, payload, len < sizeof(c->payload) ? len : sizeof(c->payload));
	return 0;
}

static enum hy_engine_local w_local(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
				    enum hy_engine_delivery d, const uint8_t *payload,
				    uint32_t len, struct hy_engine_answer *ans)
{
	struct wrec *r = arg;

	return hy_relay_command(rel[r->id], sid, ver, cmd, d, payload, len, ans);
}

static const struct hy_engine_ops w_ops = {
	.session_opened = w_opened,
	.session_closed = w_closed,
	.command = w_command,
	.local_command = w_local,
	.tx = w_tx,
};

static int r_to_worker(void *arg, uint16_t worker, const struct hy_relay_job *job)
{
	(void)arg;
	ck_assert_uint_lt(n_box, MAX_JOBS);
	box[n_box].to = worker;
	box[n_box].job = *job;
	n_box++;
	return 0;
}

static int r_up(void *arg, const struct hy_relay_job *job, const uint64_t *sids, unsigned n)
{
	struct wrec *r = arg;
	unsigned k = r->n_relay_up++;

	ck_assert_uint_lt(k, 8);
	memcpy(r->relay_sids[k], sids, 8u * n);
	r->relay_n[k] = n;
	r->relay_job[k] = *job;
	return 0;
}

static int r_respond(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
		     enum hy_engine_delivery d, uint8_t status, const uint8_t *payload,
		     uint32_t len)
{
	(void)arg;
	return hy_engine_send(eng[hy_engine_owner(sid, NW)], sid, ver, cmd, status, d, payload,
			      len) == HY_R_OK ? 0 : -1;
}

static const struct hy_relay_ops r_ops = {
	.to_worker = r_to_worker,
	.up = r_up,
	.command_up = w_command,
	.respond = r_respond,
};

static uint16_t owner(unsigned i)
{
	return hy_engine_owner(cl[i].cred.sid, NW);
}

/* Connects client i to its owner (CONNECT anywhere, RESPONSE at the owner). */
static void connect_client(unsigned i)
{
	uint8_t buf[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct hy_engine_result res;
	struct hy_pkt_challenge ch;
	struct hy_pkt_header h;
	char uid[16];
	size_t pt_len;
	uint16_t len;

	snprintf(uid, sizeof(uid), "player-%u", i);
	ck_assert_int_eq(tclient_init(&cl[i], &node, T_NODE, T_KEY_ID, now / 1000 + 3600, uid,
				      (uint8_t)(10 + i), 50000),
			 0);
	len = tclient_hello(&cl[i], NULL, buf, sizeof(buf));
	ck_assert_int_eq(hy_engine_input(eng[owner(i)], &cl[i].peer, buf, len, sizeof(buf), now,
					 &res),
			 HY_ENGINE_REPLY);
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, res.reply_len, &ch), HY_R_OK);
	len = tclient_hello(&cl[i], ch.cookie, buf, sizeof(buf));
	ck_assert_int_eq(hy_engine_input(eng[owner(i)], &cl[i].peer, buf, len, sizeof(buf), now,
					 &res),
			 HY_ENGINE_REPLY);
	ck_assert_int_eq(tclient_open(&cl[i], buf, res.reply_len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_ACCEPT);
}

/* Clears what the workers sent and passed on. */
static void forget_sent(void)
{
	memset(wr, 0, sizeof(wr));
	for (unsigned i = 0; i < NW; i++)
		wr[i].id = i;
}

static void setup(void)
{
	char err[128] = "";
	unsigned i;

	now = T_T0_MS;
	ck_assert_int_eq(harness_node_init(&node, now), 0);
	memset(wr, 0, sizeof(wr));
	n_box = 0;
	for (i = 0; i < NW; i++) {
		struct hy_engine_config c = harness_config(&node, NULL, 64);
		struct hy_fanout_config fc = {.worker_id = (uint16_t)i, .n_workers = NW,
					      .max_rooms = 4, .max_local = 64, .socket_id = -1};
		struct hy_relay_config rc = {.worker_id = (uint16_t)i, .n_workers = NW};

		wr[i].id = i;
		c.worker_id = (uint16_t)i;
		c.n_workers = NW;
		c.ops = &w_ops;
		c.ops_arg = &wr[i];
		eng[i] = hy_engine_create(&c, err, sizeof(err));
		ck_assert_msg(eng[i] != NULL, "engine: %s", err);
		tab[i] = hy_fanout_create(&fc, err, sizeof(err));
		ck_assert_msg(tab[i] != NULL, "fanout: %s", err);
		dir[i] = hy_uid_dir_create((uint16_t)i, 64, -1, err, sizeof(err));
		ck_assert_msg(dir[i] != NULL, "directory: %s", err);
		rc.users = dir[i];
		rc.engine = eng[i];
		rc.table = tab[i];
		rc.ops = &r_ops;
		rc.ops_arg = &wr[i];
		rel[i] = hy_relay_create(&rc, -1, err, sizeof(err));
		ck_assert_msg(rel[i] != NULL, "relay: %s", err);
	}
	/* until both workers own at least two clients */
	for (;;) {
		unsigned per[NW] = {0};

		for (i = 0; i < NC; i++) {
			connect_client(i);
			per[owner(i)]++;
		}
		if (per[0] >= 2 && per[1] >= 2)
			break;
		for (i = 0; i < NW; i++)
			hy_engine_close_all(eng[i], HY_CLOSE_KICKED);
		/* the kicks' DISCONNECTs must not fill the record: an unlucky
		 * run of draws needs several rounds */
		forget_sent();
	}
	forget_sent();
}

static void teardown(void)
{
	for (unsigned i = 0; i < NW; i++) {
		hy_relay_destroy(rel[i]);
		hy_uid_dir_destroy(dir[i]);
		hy_fanout_destroy(tab[i]);
		hy_engine_destroy(eng[i]);
	}
	hy_engine_shared_wipe(&node.sh);
}

/* ---- table updates --------------------------------------------------------- */

static void apply_all(const struct hy_table_update *t, const struct hy_table_member *m,
		      enum hy_reason want)
{
	uint8_t body[HY_TABLE_SET_FIXED + HY_TABLE_MEMBER_LEN * HY_TABLE_MAX_MEMBERS];
	size_t len;

	ck_assert_int_eq(hy_table_encode(t, m, body, sizeof(body), &len), HY_R_OK);
	for (unsigned i = 0; i < NW; i++)
		ck_assert_int_eq(hy_fanout_apply(tab[i], t->op, body, len), want);
}

/* ROOM_SET of clients [0, n) (UDP) plus the TCP member when tcp, with
 * a broadcast interval. */
static void room_set_interval(uint64_t id, unsigned n, bool tcp, uint32_t version,
			      uint32_t interval_ms)
{
	struct hy_table_member m[NC + 1];
	struct hy_table_update t = {.op = HY_TABLE_ROOM_SET, .room_id = id, .version = version,
				    .max_members = 16, .interval_ms = interval_ms};
	unsigned i;

	for (i = 0; i < n; i++) {
		m[i].sid = cl[i].cred.sid;
		m[i].kind = HY_TABLE_KIND_UDP;
	}
	if (tcp) {
		m[n].sid = TCP_SID;
		m[n].kind = HY_TABLE_KIND_RELAY;
	}
	t.nmembers = (uint16_t)(n + tcp);
	apply_all(&t, m, HY_R_OK);
}

static void room_set(uint64_t id, unsigned n, bool tcp, uint32_t version)
{
	room_set_interval(id, n, tcp, version, 0);
}

static void member_op(uint16_t op, uint64_t sid, uint8_t kind, uint32_t version,
		      enum hy_reason want)
{
	struct hy_table_update t = {.op = op, .room_id = ROOM, .version = version,
				    .member = {.sid = sid, .kind = kind}};

	apply_all(&t, NULL, want);
}

START_TEST(table_set_splits_members_by_worker)
{
	room_set(ROOM, 5, true, 1);
	for (unsigned w = 0; w < NW; w++) {
		const struct hy_fanout_room *r = hy_fanout_find(tab[w], ROOM);
		unsigned mine = 0, others = 0, i;

		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(r->n_members, 6);
		ck_assert_uint_eq(r->n_relay, 1);
		for (i = 0; i < 5; i++) {
			bool is_mine = owner(i) == w;
			mine += is_mine;
			others += !is_mine;
			ck_assert_ptr_nonnull(hy_fanout_member(r, cl[i].cred.sid));
			/* a worker indexes only its own members' rooms */
			ck_assert(hy_fanout_room_of(tab[w], cl[i].cred.sid) == (is_mine ? r : NULL));
		}
		ck_assert_uint_eq(r->n_local, mine);
		/* the other worker owns the rest: its bit is set, ours never */
		ck_assert(!(r->others[0] & (1ull << w)));
		ck_assert(((r->others[0] >> (1 - w)) & 1) == (others > 0));
		ck_assert_ptr_null(hy_fanout_member(r, cl[5].cred.sid));
		ck_assert_ptr_nonnull(hy_fanout_member(r, TCP_SID));
		ck_assert_ptr_null(hy_fanout_room_of(tab[w], TCP_SID));
		ck_assert_uint_eq(hy_fanout_stats(tab[w])->rooms, 1);
		ck_assert_uint_eq(hy_fanout_stats(tab[w])->local_members, mine);
	}
}
END_TEST

START_TEST(table_member_changes_follow_versions)
{
	room_set(ROOM, 2, false, 7);
	member_op(HY_TABLE_ROOM_MEMBER_ADD, cl[2].cred.sid, HY_TABLE_KIND_UDP, 8, HY_R_OK);
	member_op(HY_TABLE_ROOM_MEMBER_ADD, TCP_SID, HY_TABLE_KIND_RELAY, 9, HY_R_OK);
	/* a skipped version is refused and changes nothing */
	member_op(HY_TABLE_ROOM_MEMBER_ADD, cl[3].cred.sid, HY_TABLE_KIND_UDP, 11, HY_R_TABLE_GAP);
	member_op(HY_TABLE_ROOM_MEMBER_DEL, cl[0].cred.sid, HY_TABLE_KIND_UDP, 10, HY_R_OK);
	for (unsigned w = 0; w < NW; w++) {
		const struct hy_fanout_room *r = hy_fanout_find(tab[w], ROOM);

		ck_assert_uint_eq(r->version, 10);
		ck_assert_uint_eq(r->n_members, 3);
		ck_assert_uint_eq(r->n_relay, 1);
		ck_assert_ptr_null(hy_fanout_member(r, cl[0].cred.sid));
		ck_assert_ptr_nonnull(hy_fanout_member(r, cl[2].cred.sid));
		ck_assert_ptr_null(hy_fanout_member(r, cl[3].cred.sid));
		ck_assert_ptr_null(hy_fanout_room_of(tab[w], cl[0].cred.sid));
		ck_assert(hy_fanout_room_of(tab[w], cl[2].cred.sid) ==
			  (owner(2) == w ? r : NULL));
		/* sorted, so MESSAGE can binary-search them */
		for (unsigned i = 1; i < r->n_members; i++)
			ck_assert(r->members[i - 1].sid < r->members[i].sid);
		ck_assert_uint_eq(hy_fanout_stats(tab[w])->refused[HY_R_TABLE_GAP], 1);
	}
	/* a member change for a room we do not hold */
	struct hy_table_update t = {.op = HY_TABLE_ROOM_MEMBER_ADD, .room_id = ROOM + 1,
				    .version = 1, .member = {.sid = 5, .kind = 0}};
	apply_all(&t, NULL, HY_R_ROOM_NOT_FOUND);
}
END_TEST

/* hy_fanout_prefetch() over more sids than one bulk lookup takes, zeros
 * and strangers among them: it changes nothing. */
START_TEST(table_prefetch_changes_nothing)
{
	uint64_t sids[40];
	const struct hy_fanout_room *before[NC];
	unsigned w = owner(0), i;

	room_set(ROOM, NC, false, 1);
	for (i = 0; i < NC; i++)
		before[i] = hy_fanout_room_of(tab[w], cl[i].cred.sid);
	for (i = 0; i < 40; i++)
		sids[i] = i % 4 == 0 ? 0 : i % 4 == 1 ? 0x5a5a000000000000ull + i
						     : cl[i % NC].cred.sid;
	hy_fanout_prefetch(tab[w], sids, 40);
	hy_fanout_prefetch(tab[w], sids, 0);
	for (i = 0; i < NC; i++)
		ck_assert_ptr_eq(hy_fanout_room_of(tab[w], cl[i].cred.sid), before[i]);
	for (i = 0; i < NC; i++)
		if (owner(i) == w)
			ck_assert_ptr_nonnull(before[i]);
}
END_TEST

/* What hy_fanout_prefetch() remembers answers hy_fanout_room_of() in the
 * burst's order, out of order and for strangers alike, and never outlives
 * a change to the table. */
START_TEST(table_prefetch_memo_follows_changes)
{
	const uint64_t stranger = 0x5a5a000000000077ull;
	unsigned w = owner(0), j = NC, i;
	const struct hy_fanout_room *r;
	struct hy_table_update del = {.op = HY_TABLE_ROOM_DEL, .room_id = ROOM, .version = 3};
	uint64_t sids[6];

	for (i = 1; i < NC && j == NC; i++)
		if (owner(i) == w)
			j = i; /* a second member on the same worker */
	ck_assert_uint_lt(j, NC);
	room_set(ROOM, NC, false, 1);
	r = hy_fanout_find(tab[w], ROOM);
	ck_assert_ptr_nonnull(r);
	sids[0] = cl[0].cred.sid;
	sids[1] = 0;
	sids[2] = stranger;
	sids[3] = cl[j].cred.sid;
	sids[4] = cl[0].cred.sid;
	sids[5] = cl[j].cred.sid;
	hy_fanout_prefetch(tab[w], sids, 6);
	/* in order, skipping some, then behind the memo's place */
	ck_assert_ptr_eq(hy_fanout_room_of(tab[w], cl[0].cred.sid), r);
	ck_assert_ptr_null(hy_fanout_room_of(tab[w], stranger));
	ck_assert_ptr_eq(hy_fanout_room_of(tab[w], cl[0].cred.sid), r);
	ck_assert_ptr_eq(hy_fanout_room_of(tab[w], cl[j].cred.sid), r);
	ck_assert_ptr_null(hy_fanout_room_of(tab[w], stranger));
	ck_assert_ptr_eq(hy_fanout_room_of(tab[w], cl[0].cred.sid), r);

	/* a member leaves between the prefetch and the question */
	hy_fanout_prefetch(tab[w], sids, 6);
	member_op(HY_TABLE_ROOM_MEMBER_DEL, cl[0].cred.sid, HY_TABLE_KIND_UDP, 2, HY_R_OK);
	ck_assert_ptr_null(hy_fanout_room_of(tab[w], cl[0].cred.sid));
	ck_assert_ptr_eq(hy_fanout_room_of(tab[w], cl[j].cred.sid), r);

	/* the room goes, and its slot with it */
	hy_fanout_prefetch(tab[w], sids, 6);
	apply_all(&del, NULL, HY_R_OK);
	ck_assert_ptr_null(hy_fanout_room_of(tab[w], cl[j].cred.sid));
	ck_assert_ptr_null(hy_fanout_room_of(tab[w], cl[0].cred.sid));
}
END_TEST

START_TEST(table_limits_and_clear)
{
	struct hy_table_update t = {.op = HY_TABLE_ROOM_SET, .version = 1, .max_members = 2};
	struct hy_table_member m[2] = {{cl[0].cred.sid, 0}, {cl[1].cred.sid, 0}};
	uint8_t junk[5] = {0};
	unsigned i;

	/* max_rooms is 4 */
	for (i = 0; i < 4; i++) {
		t.room_id = ROOM + i;
		t.nmembers = i == 0 ? 2 : 0;
		apply_all(&t, m, HY_R_OK);
	}
	t.room_id = ROOM + 9;
	apply_all(&t, m, HY_R_ROOM_LIMIT);
	/* the room is full at max_members */
	member_op(HY_TABLE_ROOM_MEMBER_ADD, cl[2].cred.sid, 0, 2, HY_R_ROOM_FULL);
	/* malformed bodies are refused by the decoder */
	ck_assert_int_ne(hy_fanout_apply(tab[0], HY_TABLE_ROOM_SET, junk, sizeof(junk)), HY_R_OK);
	ck_assert_int_ne(hy_fanout_apply(tab[0], 77, junk, 0), HY_R_OK);
	/* DEL frees a slot; CLEAR forgets everything and unindexes members */
	t.room_id = ROOM + 3;
	t.op = HY_TABLE_ROOM_DEL;
	apply_all(&t, NULL, HY_R_OK);
	t.op = HY_TABLE_ROOM_SET;
	t.room_id = ROOM + 9;
	t.nmembers = 0;
	apply_all(&t, m, HY_R_OK);
	t.op = HY_TABLE_ROOM_CLEAR;
	apply_all(&t, NULL, HY_R_OK);
	for (unsigned w = 0; w < NW; w++) {
		ck_assert_uint_eq(hy_fanout_stats(tab[w])->rooms, 0);
		ck_assert_uint_eq(hy_fanout_stats(tab[w])->local_members, 0);
		ck_assert_ptr_null(hy_fanout_find(tab[w], ROOM));
		ck_assert_ptr_null(hy_fanout_room_of(tab[w], cl[0].cred.sid));
	}
}
END_TEST

/* ---- relaying --------------------------------------------------------------- */

/* Client i sends one command; returns the engine's action, the reply (if
 * any) in reply/reply_len.  The worker's relay is flushed after the input
 * as the worker does. */
static enum hy_engine_action send_cmd(unsigned i, enum hy_frame_type ft, uint16_t cmd,
				      const void *payload, size_t len, uint8_t *reply,
				      uint16_t *reply_len)
{
	uint8_t buf[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	uint16_t n = tclient_command(&cl[i], ft, HY_MODULES_VER, cmd, payload, len, buf,
				     sizeof(buf));
	enum hy_engine_action a;

	ck_assert_uint_gt(n, 0);
	a = hy_engine_input(eng[owner(i)], &cl[i].peer, buf, n, sizeof(buf), now, &res);
	hy_relay_flush(rel[owner(i)]);
	if (a == HY_ENGINE_REPLY) {
		memcpy(reply, buf, res.reply_len);
		*reply_len = res.reply_len;
	}
	return a;
}

/* The messages of a packet for client i, decoded from its frames
 * (UNRELIABLE, SEQUENCED and RELIABLE ones). */
static unsigned messages_of(unsigned i, const uint8_t *pkt, uint16_t len, struct hy_msg *out,
			    unsigned max, uint8_t pt[HY_MAX_PAYLOAD])
{
	struct hy_pkt_header h;
	struct hy_frame f;
	struct hy_rd rd;
	size_t pt_len;
	unsigned n = 0;

	ck_assert_int_eq(tclient_open(&cl[i], pkt, len, &h, pt, &pt_len), HY_R_OK);
	ck_assert_int_eq(h.type, HY_PKT_DATA);
	hy_rd_init(&rd, pt, pt_len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK && n < max) {
		if (f.type != HY_FRAME_UNRELIABLE && f.type != HY_FRAME_SEQUENCED &&
		    f.type != HY_FRAME_RELIABLE)
			continue;
		ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &out[n]), HY_R_OK);
		n++;
	}
	return n;
}

/* Which client a recorded packet went to (by address). */
static int client_at(const struct hy_peer *p)
{
	for (unsigned i = 0; i < NC; i++)
		if (memcmp(p->addr, cl[i].peer.addr, sizeof(p->addr)) == 0)
			return (int)i;
	return -1;
}

/* Checks every packet worker w sent: each one push of cmd with the room
 * payload (room, from, data) to a client in want; returns a bit per
 * client that got one. */
static unsigned pushes_from(unsigned w, uint16_t cmd, uint64_t from, const char *data,
			    uint8_t frame_kind)
{
	unsigned got = 0;

	for (unsigned k = 0; k < wr[w].n_tx; k++) {
		uint8_t pt[HY_MAX_PAYLOAD];
		struct hy_msg m[4];
		int c = client_at(&wr[w].tx[k].to);
		struct hy_rd rd;

		ck_assert_int_ge(c, 0);
		ck_assert_uint_eq(owner((unsigned)c), w); /* each worker sends to its own */
		ck_assert_uint_eq(messages_of((unsigned)c, wr[w].tx[k].b, wr[w].tx[k].len, m, 4, pt),
				  1);
		ck_assert_uint_eq(m[0].status, HY_STATUS_PUSH);
		ck_assert_uint_eq(m[0].cmd, cmd);
		hy_rd_init(&rd, m[0].payload, m[0].len);
		if (cmd != HY_CMD_DIRECT)
			ck_assert(hy_rd_u64(&rd) == ROOM);
		ck_assert(hy_rd_u64(&rd) == from);
		if (cmd == HY_CMD_DIRECT)
			hy_rd_view(&rd, hy_rd_u8(&rd)); /* the sender's uid */
		ck_assert_uint_eq(hy_rd_left(&rd), strlen(data));
		ck_assert_mem_eq(hy_rd_view(&rd, strlen(data)), data, strlen(data));
		ck_assert_msg(!(got & (1u << c)), "client %d got two copies", c);
		got |= 1u << c;
		(void)frame_kind;
	}
	return got;
}

/* Runs the jobs handed between workers. */
static void run_mailbox(void)
{
	unsigned n = n_box;

	n_box = 0;
	for (unsigned k = 0; k < n; k++)
		hy_relay_run(rel[box[k].to], &box[k].job);
}

static uint16_t delivered_of(unsigned i, const uint8_t *reply, uint16_t len, uint16_t cmd)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_msg m[4];

	ck_assert_uint_eq(messages_of(i, reply, len, m, 4, pt), 1);
	ck_assert_uint_eq(m[0].cmd, cmd);
	ck_assert_uint_eq(m[0].status, HY_STATUS_OK);
	ck_assert_uint_eq(m[0].len, 2);
	return (uint16_t)(m[0].payload[0] << 8 | m[0].payload[1]);
}

static unsigned bcast(unsigned from, bool self, enum hy_frame_type ft, const char *data)
{
	uint8_t p[64], reply[HY_MAX_DATAGRAM];
	struct hy_rm_data d = {.flags = self ? HY_ROOM_BCAST_SELF : 0,
			       .data = (const uint8_t *)data, .data_len = strlen(data)};
	size_t n = hy_rm_broadcast_encode(p, sizeof(p), &d);
	uint16_t rlen = 0;

	ck_assert_int_eq(send_cmd(from, ft, HY_CMD_ROOM_BROADCAST, p, n, reply, &rlen),
			 ft == HY_FRAME_RELIABLE ? HY_ENGINE_REPLY : HY_ENGINE_REPLY);
	return delivered_of(from, reply, rlen, HY_CMD_ROOM_BROADCAST);
}

START_TEST(broadcast_relayed_without_the_control_plane)
{
	unsigned from = 0, got = 0, w;

	room_set(ROOM, 5, true, 1); /* clients 0..4 and a TCP member */
	/* every member but the sender: 4 UDP and the TCP one */
	ck_assert_uint_eq(bcast(from, false, HY_FRAME_UNRELIABLE, "hello"), 5);
	/* the sender's worker delivered its own share and handed one job to
	 * the other worker, which owns members */
	ck_assert_uint_eq(n_box, 1);
	ck_assert_uint_eq(box[0].to, 1 - owner(from));
	run_mailbox();
	for (w = 0; w < NW; w++)
		got |= pushes_from(w, HY_CMD_ROOM_BROADCAST, cl[from].cred.sid, "hello", 0);
	ck_assert_uint_eq(got, 0x1eu); /* clients 1..4; not the sender, not client 5 */
	/* the TCP member's copy goes up as one RELAY, the command does not */
	w = owner(from);
	ck_assert_uint_eq(wr[w].n_relay_up, 1);
	ck_assert_uint_eq(wr[w].relay_n[0], 1);
	ck_assert(wr[w].relay_sids[0][0] == TCP_SID);
	ck_assert_uint_eq(wr[w].relay_job[0].cmd, HY_CMD_ROOM_BROADCAST);
	ck_assert_uint_eq(wr[0].n_up_cmd + wr[1].n_up_cmd, 0);
	ck_assert_uint_eq(hy_relay_stats(rel[w])->broadcasts, 1);
	ck_assert_uint_eq(hy_relay_stats(rel[1 - w])->handoffs_in, 1);
	ck_assert_uint_eq(hy_relay_stats(rel[0])->pushes + hy_relay_stats(rel[1])->pushes, 4);
}
END_TEST

START_TEST(quiet_broadcast_has_no_answer)
{
	uint8_t p[16], reply[HY_MAX_DATAGRAM];
	struct hy_rm_data d = {.flags = HY_ROOM_BCAST_QUIET, .data = (const uint8_t *)"q",
			       .data_len = 1};
	size_t n = hy_rm_broadcast_encode(p, sizeof(p), &d);
	unsigned got = 0, w;
	uint16_t rlen = 0;

	room_set(ROOM, 3, false, 1);
	/* nothing comes back to the sender: no answer was sealed */
	ck_assert_int_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_ROOM_BROADCAST, p, n, reply, &rlen),
			 HY_ENGINE_CONSUMED);
	run_mailbox();
	for (w = 0; w < NW; w++)
		got |= pushes_from(w, HY_CMD_ROOM_BROADCAST, cl[0].cred.sid, "q", 0);
	ck_assert_uint_eq(got, 0x6u);
	ck_assert_uint_eq(hy_relay_stats(rel[owner(0)])->broadcasts, 1);
}
END_TEST

/* Client i's QUIET broadcast (or, with to != 0, MESSAGE to that member)
 * taken by its worker's engine; the relay is not flushed, as within a
 * burst. */
static void queue_cmd(unsigned i, const char *data, uint64_t to)
{
	uint8_t p[64], buf[HY_MAX_DATAGRAM];
	struct hy_rm_data d = {.flags = HY_ROOM_BCAST_QUIET, .data = (const uint8_t *)data,
			       .data_len = strlen(data), .nsids = 1};
	size_t n = to ? hy_rm_message_encode(p, sizeof(p), &d, &to)
		      : hy_rm_broadcast_encode(p, sizeof(p), &d);
	uint16_t len = tclient_command(&cl[i], HY_FRAME_UNRELIABLE, HY_MODULES_VER,
				       to ? HY_CMD_ROOM_MESSAGE : HY_CMD_ROOM_BROADCAST, p, n, buf,
				       sizeof(buf));
	struct hy_engine_result res;

	hy_engine_input(eng[owner(i)], &cl[i].peer, buf, len, sizeof(buf), now, &res);
	ck_assert(!hy_relay_should_flush(rel[owner(i)]));
}

/* The data carried by worker w's k-th packet, for client *c. */
static void push_data(unsigned w, unsigned k, int *c, char *out, size_t cap)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_msg m[4];
	size_t n;

	*c = client_at(&wr[w].tx[k].to);
	ck_assert_int_ge(*c, 0);
	ck_assert_uint_eq(messages_of((unsigned)*c, wr[w].tx[k].b, wr[w].tx[k].len, m, 4, pt), 1);
	ck_assert_uint_ge(m[0].len, 16);
	n = m[0].len - 16; /* after room_id and from */
	ck_assert_uint_lt(n, cap);
	memcpy(out, m[0].payload + 16, n);
	out[n] = 0;
}

/* A burst's broadcasts, flushed once (the worker's way): each local member
 * gets every push, in the order the commands came, a MESSAGE between them
 * included. */
START_TEST(burst_of_broadcasts_flushed_together)
{
	static const char *const want[] = {"b1", "b2", "b3", "m", "b4"};
	unsigned w = owner(0), k, i, local = 0, seen[NC] = {0};
	const struct hy_relay_stats *st = hy_relay_stats(rel[w]);
	int target = -1, c;
	char got[32];

	room_set(ROOM, NC, false, 1); /* every client */
	for (i = 1; i < NC; i++)
		if (owner(i) == w) {
			local++;
			target = target < 0 ? (int)i : target;
		}
	if (local == 0)
		return; /* the draw put everyone else on the other worker */
	queue_cmd(0, "b1", 0);
	queue_cmd(0, "b2", 0);
	queue_cmd(0, "b3", 0);
	queue_cmd(0, "m", cl[target].cred.sid);
	queue_cmd(0, "b4", 0);
	ck_assert_uint_eq(wr[w].n_tx, 0); /* nothing before the flush */
	hy_relay_flush(rel[w]);
	ck_assert_uint_eq(wr[w].n_tx, 4 * local + 1);
	for (k = 0; k < wr[w].n_tx; k++) {
		push_data(w, k, &c, got, sizeof(got));
		ck_assert_uint_eq(owner((unsigned)c), w);
		/* the message goes to target only: skip it for the others */
		while (seen[c] < 5 && strcmp(want[seen[c]], "m") == 0 && c != target)
			seen[c]++;
		ck_assert_uint_lt(seen[c], 5);
		ck_assert_str_eq(got, want[seen[c]]);
		seen[c]++;
	}
	for (i = 1; i < NC; i++)
		if (owner(i) == w)
			ck_assert_uint_eq(seen[i], 5);
	ck_assert_uint_eq(st->pushes, 4 * local + 1);
	ck_assert_uint_eq(st->push_failed, 0);
}
END_TEST

START_TEST(broadcast_self_and_reliable)
{
	unsigned got = 0, w;

	room_set(ROOM, 4, false, 1);
	/* reliable, sender included: the answer and the sender's copy */
	ck_assert_uint_eq(bcast(1, true, HY_FRAME_RELIABLE, "r1"), 4);
	run_mailbox();
	for (w = 0; w < NW; w++) {
		for (unsigned k = 0; k < wr[w].n_tx; k++) {
			uint8_t pt[HY_MAX_PAYLOAD];
			struct hy_msg m[4];
			int c = client_at(&wr[w].tx[k].to);
			struct hy_pkt_header h;
			size_t pt_len;
			struct hy_frame f;
			struct hy_rd rd;
			bool reliable = false;

			ck_assert_int_ge(c, 0);
			/* the pushes ride the reliable channel */
			ck_assert_int_eq(tclient_open(&cl[c], wr[w].tx[k].b, wr[w].tx[k].len, &h, pt,
						      &pt_len),
					 HY_R_OK);
			hy_rd_init(&rd, pt, pt_len);
			while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK)
				if (f.type == HY_FRAME_RELIABLE) {
					reliable = true;
					ck_assert_int_eq(hy_msg_resp_decode(f.data, f.len, &m[0]),
							 HY_R_OK);
					if (m[0].status == HY_STATUS_PUSH)
						got |= 1u << c;
				}
			ck_assert(reliable);
		}
	}
	ck_assert_uint_eq(got, 0x0fu); /* clients 0..3, the sender (1) included */
}
END_TEST

START_TEST(message_to_chosen_members)
{
	uint64_t sids[6];
	uint8_t p[128], reply[HY_MAX_DATAGRAM];
	unsigned same = NC, other = NC, i, w, got = 0;
	uint16_t rlen = 0;

	room_set(ROOM, 4, true, 1); /* clients 0..3 and TCP; client 5 outside */
	for (i = 1; i < 4; i++) {
		if (owner(i) == owner(0) && same == NC)
			same = i;
		if (owner(i) != owner(0) && other == NC)
			other = i;
	}
	if (same == NC || other == NC)
		return; /* the draw put 0..3 on one worker: covered by broadcast */
	sids[0] = cl[same].cred.sid;
	sids[1] = cl[other].cred.sid;
	sids[2] = cl[5].cred.sid;    /* not a member: skipped */
	sids[3] = cl[other].cred.sid; /* twice: once */
	sids[4] = TCP_SID;
	struct hy_rm_data d = {.nsids = 5, .data = (const uint8_t *)"psst", .data_len = 4};
	size_t n = hy_rm_message_encode(p, sizeof(p), &d, sids);

	ck_assert_int_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_ROOM_MESSAGE, p, n, reply, &rlen),
			 HY_ENGINE_REPLY);
	ck_assert_uint_eq(delivered_of(0, reply, rlen, HY_CMD_ROOM_MESSAGE), 3);
	ck_assert_uint_eq(n_box, 1);
	ck_assert_uint_eq(box[0].job.nsids, 1);
	run_mailbox();
	for (w = 0; w < NW; w++)
		got |= pushes_from(w, HY_CMD_ROOM_MESSAGE, cl[0].cred.sid, "psst", 0);
	ck_assert_uint_eq(got, (1u << same) | (1u << other));
	w = owner(0);
	ck_assert_uint_eq(wr[w].n_relay_up, 1);
	ck_assert(wr[w].relay_sids[0][0] == TCP_SID);
}
END_TEST

START_TEST(broadcast_interval_batches)
{
	unsigned w, k, i;

	room_set_interval(ROOM, 4, true, 1, 50);
	for (w = 0; w < NW; w++)
		hy_relay_tick(rel[w], now);
	/* three broadcasts from client 0 inside one interval */
	ck_assert_uint_eq(bcast(0, false, HY_FRAME_UNRELIABLE, "a"), 4);
	ck_assert_uint_eq(bcast(0, false, HY_FRAME_UNRELIABLE, "bb"), 4);
	ck_assert_uint_eq(bcast(0, false, HY_FRAME_UNRELIABLE, "ccc"), 4);
	run_mailbox();
	/* held: no push yet, but the TCP member's copies went at once */
	ck_assert_uint_eq(wr[0].n_tx + wr[1].n_tx, 0);
	ck_assert_uint_eq(wr[owner(0)].n_relay_up, 3);
	for (w = 0; w < NW; w++)
		hy_relay_tick(rel[w], now + 49);
	ck_assert_uint_eq(wr[0].n_tx + wr[1].n_tx, 0);
	for (w = 0; w < NW; w++)
		hy_relay_tick(rel[w], now + 50);
	/* each of clients 1..3 got one datagram with the three, in order */
	ck_assert_uint_eq(wr[0].n_tx + wr[1].n_tx, 3);
	for (w = 0; w < NW; w++) {
		for (k = 0; k < wr[w].n_tx; k++) {
			uint8_t pt[HY_MAX_PAYLOAD];
			struct hy_msg m[4];
			int c = client_at(&wr[w].tx[k].to);
			static const char *want[3] = {"a", "bb", "ccc"};

			ck_assert_int_ge(c, 1);
			ck_assert_uint_eq(messages_of((unsigned)c, wr[w].tx[k].b, wr[w].tx[k].len, m, 4,
						      pt),
					  3);
			for (i = 0; i < 3; i++) {
				ck_assert_uint_eq(m[i].status, HY_STATUS_PUSH);
				ck_assert_uint_eq(m[i].len, 16 + strlen(want[i]));
				ck_assert_mem_eq(m[i].payload + 16, want[i], strlen(want[i]));
			}
		}
	}
	/* one batch per worker owning members of the room */
	bool both = false;
	for (i = 1; i < 4; i++)
		both |= owner(i) != owner(0);
	ck_assert_uint_eq(hy_relay_stats(rel[0])->batch_flushes +
				  hy_relay_stats(rel[1])->batch_flushes,
			  1u + both);
}
END_TEST

/* ---- a member that stops acknowledging ----------------------------------- */

/* Receiving side of an acknowledging test client: its reliable channel. */
struct acker {
	struct hy_rudp_env env;
	struct hy_rudp_pool pool;
	struct hy_rudp r;
	uint32_t next;   /* next broadcast number expected */
	uint32_t errors; /* out of order or repeated */
};

static struct acker ack[NC];
static uint8_t ack_region[NC][1u << 20];

static bool acker_deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct acker *a = arg;
	struct hy_msg m;
	uint32_t k;

	ck_assert_int_eq(hy_msg_resp_decode(msg, len, &m), HY_R_OK);
	if (m.status != HY_STATUS_PUSH)
		return true;
	ck_assert_uint_ge(m.len, 20);
	memcpy(&k, m.payload + 16, 4);
	if (k != a->next)
		a->errors++;
	a->next = k + 1;
	return true;
}

/* Opens a packet for client c and feeds its reliable frames in. */
static void acker_input(unsigned c, const uint8_t *pkt, uint16_t len)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	struct hy_frame f;
	struct hy_rd rd;
	size_t pt_len;

	if (tclient_open(&cl[c], pkt, len, &h, pt, &pt_len) != HY_R_OK || h.type != HY_PKT_DATA)
		return;
	hy_rd_init(&rd, pt, pt_len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK)
		if (f.type == HY_FRAME_RELIABLE || f.type == HY_FRAME_FRAGMENT ||
		    f.type == HY_FRAME_ACK)
			hy_rudp_on_frame(&ack[c].r, &f, now * 1000u, acker_deliver, &ack[c]);
}

/* Client c's ACKs back to its worker. */
static void acker_flush(unsigned c)
{
	uint8_t pt[HY_MAX_PAYLOAD], pkt[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	struct hy_wr w;

	for (;;) {
		hy_wr_init(&w, pt, sizeof(pt));
		if (hy_rudp_poll_tx(&ack[c].r, now * 1000u, &w, HY_MAX_FRAMES_PER_PACKET) == 0)
			break;
		uint16_t n = tclient_seal(&cl[c], HY_PKT_DATA, pt, w.off, pkt, sizeof(pkt));
		hy_engine_input(eng[owner(c)], &cl[c].peer, pkt, n, sizeof(pkt), now, &res);
		hy_relay_flush(rel[owner(c)]);
	}
}

START_TEST(mute_member_dropped_others_served)
{
	enum { N = 600, MUTE = 3 };
	uint8_t p[320], pt[HY_MAX_PAYLOAD], pkt[HY_MAX_DATAGRAM], msg[400];
	struct hy_engine_result res;
	unsigned i, w, k;
	char err[128];

	for (i = 1; i < 4; i++) {
		struct hy_rudp_config rc = {0};

		memset(&ack[i], 0, sizeof(ack[i]));
		hy_rudp_pool_init(&ack[i].pool, ack_region[i], sizeof(ack_region[i]));
		rc.alloc = hy_rudp_pool_alloc(&ack[i].pool);
		ck_assert_msg(hy_rudp_env_init(&ack[i].env, &rc, err, sizeof(err)) == HY_R_OK, "%s",
			      err);
		hy_rudp_init(&ack[i].r, &ack[i].env);
	}
	room_set(ROOM, 4, false, 1);
	memset(p, 0x44, sizeof(p));
	p[0] = 0; /* flags */
	for (k = 0; k < N; k++) {
		struct hy_wr wr_;

		/* client 0's reliable BROADCAST number k (its own seqs, in order) */
		memcpy(p + 1, &k, 4);
		size_t m = hy_msg_cmd_encode(msg, sizeof(msg), HY_MODULES_VER, HY_CMD_ROOM_BROADCAST,
					     p, sizeof(p));
		hy_wr_init(&wr_, pt, sizeof(pt));
		ck_assert(hy_frame_put_reliable(&wr_, k, msg, m));
		uint16_t n = tclient_seal(&cl[0], HY_PKT_DATA, pt, wr_.off, pkt, sizeof(pkt));
		hy_engine_input(eng[owner(0)], &cl[0].peer, pkt, n, sizeof(pkt), now, &res);
		hy_relay_flush(rel[owner(0)]);
		run_mailbox();
		/* clients 1 and 2 read and acknowledge; 3 never does */
		for (w = 0; w < NW; w++) {
			unsigned n_tx = wr[w].n_tx;

			wr[w].n_tx = 0;
			for (i = 0; i < n_tx; i++) {
				int c = client_at(&wr[w].tx[i].to);

				if (c == 1 || c == 2)
					acker_input((unsigned)c, wr[w].tx[i].b, wr[w].tx[i].len);
			}
		}
		acker_flush(1);
		acker_flush(2);
		for (w = 0; w < NW; w++)
			wr[w].n_tx = 0;
	}
	/* the silent member was closed when its queue passed the cap ... */
	const struct hy_engine_stats *mst = hy_engine_stats(eng[owner(MUTE)]);
	ck_assert_uint_eq(mst->slow_consumers, 1);
	ck_assert_uint_eq(mst->closed_by[HY_CLOSE_SLOW_CONSUMER], 1);
	struct hy_engine_session_info si;
	ck_assert_int_eq(hy_engine_session_get(eng[owner(MUTE)], cl[MUTE].cred.sid, &si),
			 HY_R_UNKNOWN_SESSION);
	/* ... and the others got every broadcast, once, in order */
	for (i = 1; i <= 2; i++) {
		ck_assert_uint_eq(ack[i].next, N);
		ck_assert_uint_eq(ack[i].errors, 0);
		ck_assert_int_eq(hy_engine_session_get(eng[owner(i)], cl[i].cred.sid, &si), HY_R_OK);
		ck_assert_uint_lt(si.reliable_held, 4096); /* acknowledged as they went */
		hy_rudp_fini(&ack[i].r);
	}
}
END_TEST

static enum hy_engine_action direct(unsigned from, uint64_t to, const char *data,
				    uint8_t *reply, uint16_t *rlen)
{
	uint8_t p[128];
	struct hy_rm_data d = {.to = HY_DIRECT_TO_SID, .sid = to, .data = (const uint8_t *)data,
			       .data_len = strlen(data)};
	size_t n = hy_rm_direct_encode(p, sizeof(p), &d);

	return send_cmd(from, HY_FRAME_UNRELIABLE, HY_CMD_DIRECT, p, n, reply, rlen);
}

START_TEST(direct_by_sid_in_the_data_plane)
{
	uint8_t reply[HY_MAX_DATAGRAM], pt[HY_MAX_PAYLOAD];
	struct hy_msg m[4];
	unsigned same = NC, other = NC, i;
	uint16_t rlen = 0;

	for (i = 1; i < NC; i++) {
		if (owner(i) == owner(0) && same == NC)
			same = i;
		if (owner(i) != owner(0) && other == NC)
			other = i;
	}
	ck_assert(same < NC && other < NC); /* setup guarantees two per worker */
	/* same worker: answered OK at once, pushed after the input */
	ck_assert_int_eq(direct(0, cl[same].cred.sid, "hi", reply, &rlen), HY_ENGINE_REPLY);
	ck_assert_uint_eq(messages_of(0, reply, rlen, m, 4, pt), 1);
	ck_assert_uint_eq(m[0].status, HY_STATUS_OK);
	ck_assert_uint_eq(pushes_from(owner(0), HY_CMD_DIRECT, cl[0].cred.sid, "hi", 0),
			  1u << same);
	/* another worker: no answer yet; that worker pushes, then answers */
	wr[0].n_tx = wr[1].n_tx = 0;
	rlen = 0;
	ck_assert_int_eq(direct(0, cl[other].cred.sid, "yo", reply, &rlen), HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(n_box, 1);
	run_mailbox();
	ck_assert_uint_eq(pushes_from(owner(other), HY_CMD_DIRECT, cl[0].cred.sid, "yo", 0),
			  1u << other);
	ck_assert_uint_eq(wr[owner(0)].n_tx, 1);
	ck_assert_uint_eq(messages_of(0, wr[owner(0)].tx[0].b, wr[owner(0)].tx[0].len, m, 4, pt),
			  1);
	ck_assert_uint_eq(m[0].cmd, HY_CMD_DIRECT);
	ck_assert_uint_eq(m[0].status, HY_STATUS_OK);
	ck_assert_uint_eq(wr[0].n_up_cmd + wr[1].n_up_cmd, 0);
}
END_TEST

START_TEST(direct_by_user_id_through_the_directory)
{
	uint8_t p[128], pt[HY_MAX_PAYLOAD];
	struct hy_msg m[4];
	uint16_t rlen = 0;
	unsigned target, i, w;
	char uid[16];

	/* every client, from client 0, by user id: wherever the directory's
	 * shard and the session are, the push arrives and 0 gets one OK */
	for (target = 1; target < NC; target++) {
		snprintf(uid, sizeof(uid), "player-%u", target);
		struct hy_rm_data d = {.to = HY_DIRECT_TO_UID, .uid = (const uint8_t *)uid,
				       .uid_len = (uint8_t)strlen(uid), .data = (const uint8_t *)"u",
				       .data_len = 1};
		size_t n = hy_rm_direct_encode(p, sizeof(p), &d);

		for (w = 0; w < NW; w++)
			wr[w].n_tx = 0;
		ck_assert_int_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_DIRECT, p, n, NULL, &rlen),
				 HY_ENGINE_CONSUMED);
		for (i = 0; i < 3 && n_box > 0; i++)
			run_mailbox(); /* shard, then owner: up to two hops */
		ck_assert_uint_eq(n_box, 0);
		/* one push to the target, from its owner; one OK to client 0,
		 * from client 0's worker; nothing else */
		unsigned oks = 0, got = 0;
		for (w = 0; w < NW; w++) {
			for (unsigned k = 0; k < wr[w].n_tx; k++) {
				int c = client_at(&wr[w].tx[k].to);

				ck_assert(c == 0 || c == (int)target);
				ck_assert_uint_eq(owner((unsigned)c), w);
				ck_assert_uint_eq(messages_of((unsigned)c, wr[w].tx[k].b,
							      wr[w].tx[k].len, m, 4, pt),
						  1);
				ck_assert_uint_eq(m[0].cmd, HY_CMD_DIRECT);
				if (c == 0) {
					ck_assert_uint_eq(m[0].status, HY_STATUS_OK);
					oks++;
				} else {
					ck_assert_uint_eq(m[0].status, HY_STATUS_PUSH);
					ck_assert_uint_eq(m[0].len, 8 + 1 + 8 + 1);
					ck_assert_mem_eq(m[0].payload + 9, "player-0", 8);
					ck_assert_uint_eq(m[0].payload[17], 'u');
					got++;
				}
			}
		}
		ck_assert_uint_eq(oks, 1);
		ck_assert_uint_eq(got, 1);
	}
	ck_assert_uint_eq(wr[0].n_up_cmd + wr[1].n_up_cmd, 0);
	/* a closed session leaves the directory */
	hy_engine_kick(eng[owner(1)], cl[1].cred.sid, HY_CLOSE_KICKED);
	uint64_t key = hy_uid_key("player-1", 8);
	ck_assert(hy_uid_dir_get(dir[hy_uid_shard(key, NW)], key) == 0);
}
END_TEST

START_TEST(what_the_relay_cannot_decide_goes_up)
{
	uint8_t reply[HY_MAX_DATAGRAM], p[64], orig[64];
	uint16_t rlen = 0;
	uint64_t gone = 0;
	unsigned w = owner(0), i;

	/* not in a room (the table has none yet): the control plane answers */
	ck_assert_uint_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_ROOM_BROADCAST, "\0x", 2, reply,
				   &rlen),
			  HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(wr[w].n_up_cmd, 1);
	ck_assert_uint_eq(wr[w].up_cmd[0].cmd, HY_CMD_ROOM_BROADCAST);
	/* DIRECT to a user id the directory does not know: up, as sent, from
	 * whichever worker holds the directory's shard for it */
	struct hy_rm_data d = {.to = HY_DIRECT_TO_UID, .uid = (const uint8_t *)"nobody",
			       .uid_len = 6, .data = (const uint8_t *)"x", .data_len = 1};
	size_t n = hy_rm_direct_encode(p, sizeof(p), &d);
	ck_assert_uint_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_DIRECT, p, n, reply, &rlen),
			  HY_ENGINE_CONSUMED);
	run_mailbox();
	unsigned shard = hy_uid_shard(hy_uid_key("nobody", 6), NW);
	ck_assert_uint_eq(wr[w].n_up_cmd + (shard != w), 2);
	ck_assert_uint_eq(wr[shard].up_cmd[wr[shard].n_up_cmd - 1].len, n);
	ck_assert_mem_eq(wr[shard].up_cmd[wr[shard].n_up_cmd - 1].payload, p, n);
	wr[0].n_up_cmd = wr[1].n_up_cmd = 0; /* counted afresh below */
	/* DIRECT to a sid of ours that is not here (a TCP session, or none) */
	d.to = HY_DIRECT_TO_SID;
	for (i = 1; gone == 0; i++)
		if (hy_engine_owner(0x1000 + i, NW) == w)
			gone = 0x1000 + i;
	d.sid = gone;
	n = hy_rm_direct_encode(p, sizeof(p), &d);
	ck_assert_uint_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_DIRECT, p, n, reply, &rlen),
			  HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(wr[w].n_up_cmd, 1);
	/* ...or owned by the other worker: that worker passes the command up
	 * as it was sent */
	gone = 0;
	for (i = 1; gone == 0; i++)
		if (hy_engine_owner(0x2000 + i, NW) != w)
			gone = 0x2000 + i;
	d.sid = gone;
	n = hy_rm_direct_encode(orig, sizeof(orig), &d);
	ck_assert_uint_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_DIRECT, orig, n, reply, &rlen),
			  HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(n_box, 1);
	run_mailbox();
	ck_assert_uint_eq(wr[1 - w].n_up_cmd, 1);
	ck_assert(wr[1 - w].up_cmd[0].sid == cl[0].cred.sid);
	ck_assert_uint_eq(wr[1 - w].up_cmd[0].len, n);
	ck_assert_mem_eq(wr[1 - w].up_cmd[0].payload, orig, n);
	/* a malformed BROADCAST goes up too, for the control plane's reason */
	room_set(ROOM, 2, false, 1);
	ck_assert_uint_eq(send_cmd(0, HY_FRAME_UNRELIABLE, HY_CMD_ROOM_BROADCAST, "\x80", 1, reply,
				   &rlen),
			  HY_ENGINE_CONSUMED);
	ck_assert_uint_eq(wr[w].n_up_cmd, 2);
	/* no room, the uid miss when its shard is ours, the missing sid, the
	 * malformed payload */
	ck_assert_uint_eq(hy_relay_stats(rel[w])->passed_up, 3u + (shard == w));
}
END_TEST

static Suite *rooms_suite(void)
{
	Suite *s = suite_create("dataplane-rooms");
	TCase *t = tcase_create("table");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, table_set_splits_members_by_worker);
	tcase_add_test(t, table_member_changes_follow_versions);
	tcase_add_test(t, table_limits_and_clear);
	tcase_add_test(t, table_prefetch_changes_nothing);
	tcase_add_test(t, table_prefetch_memo_follows_changes);
	suite_add_tcase(s, t);
	t = tcase_create("relay");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, broadcast_relayed_without_the_control_plane);
	tcase_add_test(t, broadcast_self_and_reliable);
	tcase_add_test(t, quiet_broadcast_has_no_answer);
	tcase_add_test(t, burst_of_broadcasts_flushed_together);
	tcase_add_test(t, message_to_chosen_members);
	tcase_add_test(t, broadcast_interval_batches);
	tcase_add_test(t, mute_member_dropped_others_served);
	tcase_add_test(t, direct_by_sid_in_the_data_plane);
	tcase_add_test(t, direct_by_user_id_through_the_directory);
	tcase_add_test(t, what_the_relay_cannot_decide_goes_up);
	suite_add_tcase(s, t);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	if (harness_eal_init(argv[0]) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return EXIT_FAILURE;
	}
	int rc = hy_check_run(rooms_suite());

	hy_eal_finish();
	return rc;
}
