/* SPDX-License-Identifier: BSD-3-Clause
 * The command table and the built-in commands (commands.h).
 */
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#include "common/wire.h"
#include "proto/room_msg.h"
#include "proto/ticket.h"
#include "rooms.h"

/* ECHO (ver 0, cmd 3).  The data plane answers ECHO on UDP itself; this
 * answers it for TCP sessions (and for any that reaches us over the ring):
 * the node state and the client's address as the node sees it. */
static void cmd_echo(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_echo_resp er = { .node_state = req->node_state };

	(void)ctx;
	rep->len = 0;
	rep->status = HY_STATUS_BAD;
	if (hy_echo_req_decode(req->payload, req->len, &er.client_time) != HY_R_OK)
		return;
	er.addr = req->peer;
	rep->len = hy_echo_resp_encode(rep->payload, rep->cap, &er);
	/* 0 when the address is unknown: the server's fault, not the client's. */
	rep->status = rep->len ? HY_STATUS_OK : HY_STATUS_ERR;
}

/* ---- rooms and direct messages (ver 1) --------------------------------- */

/* Failure: BAD for what the request caused, ERR for the node's limits and
 * memory; the payload is the reason (u16). */
static void fail(struct hy_cmd_reply *rep, enum hy_reason why)
{
	struct hy_wr w;

	rep->status = why == HY_R_ROOM_LIMIT || why == HY_R_ROOM_NO_MEMORY ||
				      why == HY_R_ROOM_NODE_UNAVAILABLE ? HY_STATUS_ERR :
									  HY_STATUS_BAD;
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u16(&w, (uint16_t)why);
	rep->len = hy_wr_ok(&w) ? w.off : 0;
}

static void ok(struct hy_cmd_reply *rep, const struct hy_wr *w)
{
	if (!hy_wr_ok(w)) { /* our buffer: the server's fault */
		fail(rep, HY_R_OUT_OF_SPACE);
		rep->status = HY_STATUS_ERR;
		return;
	}
	rep->status = HY_STATUS_OK;
	rep->len = w->off;
}

/* The environment, or NULL after answering ERR. */
static struct hy_cmd_env *env_of(void *ctx, struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = ctx;

	if (env == NULL || env->rooms == NULL) {
		fail(rep, HY_R_UNSUPPORTED);
		rep->status = HY_STATUS_ERR;
		return NULL;
	}
	return env;
}

static uint64_t now(const struct hy_cmd_env *env)
{
	return env->now_ms ? env->now_ms(env->arg) : 0;
}

static size_t uid_of(const struct hy_cmd_env *env, uint64_t sid, char *uid)
{
	return env->uid_of ? env->uid_of(env->arg, sid, uid, HY_UID_MAX) : 0;
}

/* room_id u64 | owner u64 | max_members u16 | members u16 */
static void put_room(struct hy_wr *w, const struct hy_cmd_env *env, uint64_t id)
{
	struct hy_room_info ri = { .id = id };

	hy_rooms_info(env->rooms, id, &ri);
	hy_wr_u64(w, ri.id);
	hy_wr_u64(w, ri.owner);
	hy_wr_u16(w, ri.max_members);
	hy_wr_u16(w, ri.members);
}

static void cmd_room_create(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	struct hy_room_params p;
	char uid[HY_UID_MAX];
	uint64_t id = 0;
	enum hy_reason why;
	struct hy_wr w;

	if (env == NULL)
		return;
	why = hy_rm_params_decode(req->payload, req->len, &p);
	if (why == HY_R_OK)
		why = hy_rooms_create_room(env->rooms, req->sid, uid, uid_of(env, req->sid, uid), &p,
					   now(env), &id);
	if (why != HY_R_OK)
		return fail(rep, why);
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u64(&w, id);
	ok(rep, &w);
}

/* Does room id name another node?  Then the room is not here. */
static bool foreign(const struct hy_cmd_env *env, uint64_t id)
{
	return id != 0 && hy_room_id_node(id) != hy_rooms_node_id(env->rooms);
}

/* Answers a command naming another node's room: ROOM_REDIRECT (status
 * BAD) with a ticket for the room's node, or why there is none. */
static void redirect(struct hy_cmd_env *env, const struct hy_cmd_req *req, uint64_t id,
		     struct hy_cmd_reply *rep)
{
	enum hy_reason why = HY_R_ROOM_NOT_FOUND;
	size_t len = 0;

	if (env->redirect != NULL)
		why = env->redirect(env->arg, req->sid, req->transport, id, rep->payload, rep->cap,
				    &len);
	if (why != HY_R_OK || len == 0 || len > rep->cap)
		return fail(rep, why != HY_R_OK ? why : HY_R_ROOM_NODE_UNAVAILABLE);
	rep->status = HY_STATUS_BAD;
	rep->len = len;
}

static void cmd_room_join(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	char uid[HY_UID_MAX];
	uint64_t id;
	enum hy_reason why;
	struct hy_wr w;

	if (env == NULL)
		return;
	why = hy_rm_room_decode(req->payload, req->len, &id);
	/* One room per session holds across nodes: a member moves only once
	 * it has left, so a redirect never takes it out of a room. */
	if (why == HY_R_OK && foreign(env, id)) {
		if (hy_rooms_room_of(env->rooms, req->sid) != 0)
			return fail(rep, HY_R_ROOM_ALREADY_IN);
		return redirect(env, req, id, rep);
	}
	if (why == HY_R_OK)
		why = hy_rooms_join(env->rooms, req->sid, uid, uid_of(env, req->sid, uid), id,
				    now(env));
	if (why != HY_R_OK)
		return fail(rep, why);
	hy_wr_init(&w, rep->payload, rep->cap);
	put_room(&w, env, id);
	ok(rep, &w);
}

static void cmd_room_random_join(void *ctx, const struct hy_cmd_req *req,
				 struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	struct hy_room_params p;
	char uid[HY_UID_MAX];
	uint64_t id = 0;
	bool created = false;
	enum hy_reason why;
	struct hy_wr w;

	if (env == NULL)
		return;
	why = hy_rm_params_decode(req->payload, req->len, &p);
	if (why == HY_R_OK)
		why = hy_rooms_random_join(env->rooms, req->sid, uid, uid_of(env, req->sid, uid),
					   &p, now(env), &id, &created);
	if (why != HY_R_OK)
		return fail(rep, why);
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u8(&w, created);
	hy_wr_u8(&w, 0);
	put_room(&w, env, id);
	ok(rep, &w);
}

static void cmd_room_leave(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	enum hy_reason why;
	uint64_t id;
	struct hy_wr w;

	if (env == NULL)
		return;
	why = hy_rm_empty_decode(req->payload, req->len);
	id = hy_rooms_room_of(env->rooms, req->sid);
	if (why == HY_R_OK)
		why = hy_rooms_leave(env->rooms, req->sid, now(env));
	if (why != HY_R_OK)
		return fail(rep, why);
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u64(&w, id);
	ok(rep, &w);
}

/* Relays data to sids as a push of cmd: room_id u64 | from u64 | data.
 * Answers delivered u16 (the number of recipients). */
static void relay(struct hy_cmd_env *env, const struct hy_cmd_req *req, uint16_t cmd,
		  uint64_t room, const uint64_t *sids, size_t n, const struct hy_rm_data *d,
		  struct hy_cmd_reply *rep)
{
	uint8_t pl[16 + HY_ROOM_DATA_MAX];
	struct hy_wr w;

	hy_wr_init(&w, pl, sizeof(pl));
	hy_wr_u64(&w, room);
	hy_wr_u64(&w, req->sid);
	hy_wr_bytes(&w, d->data, d->data_len);
	if (n > 0 && env->push)
		env->push(env->arg, sids, n, HY_MODULES_VER, cmd, pl, w.off);
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u16(&w, (uint16_t)n);
	ok(rep, &w);
}

static void cmd_room_broadcast(void *ctx, const struct hy_cmd_req *req,
			       struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	uint64_t sids[HY_ROOM_MEMBERS_MAX];
	struct hy_rm_data d;
	enum hy_reason why;
	uint64_t room;
	size_t i, n = 0;
	int got;

	if (env == NULL)
		return;
	why = hy_rm_broadcast_decode(req->payload, req->len, &d);
	if (why != HY_R_OK)
		return fail(rep, why);
	room = hy_rooms_room_of(env->rooms, req->sid);
	if (room == 0)
		return fail(rep, HY_R_ROOM_NOT_IN);
	got = hy_rooms_members(env->rooms, room, 0, sids, HY_ROOM_MEMBERS_MAX);
	for (i = 0; got > 0 && i < (size_t)got; i++)
		if (sids[i] != req->sid || (d.flags & HY_ROOM_BCAST_SELF))
			sids[n++] = sids[i];
	relay(env, req, HY_CMD_ROOM_BROADCAST, room, sids, n, &d, rep);
	rep->none = (d.flags & HY_ROOM_BCAST_QUIET) != 0;
}

static void cmd_room_message(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	uint64_t sids[HY_ROOM_MESSAGE_TARGETS];
	struct hy_rm_data d;
	enum hy_reason why;
	uint64_t room;
	size_t n = 0;
	unsigned i, j;

	if (env == NULL)
		return;
	why = hy_rm_message_decode(req->payload, req->len, &d);
	if (why != HY_R_OK)
		return fail(rep, why);
	room = hy_rooms_room_of(env->rooms, req->sid);
	if (room == 0)
		return fail(rep, HY_R_ROOM_NOT_IN);
	/* Members of the sender's room only, each once. */
	for (i = 0; i < d.nsids; i++) {
		uint64_t t = hy_rm_sid_at(&d, i);

		for (j = 0; j < n && sids[j] != t; j++)
			;
		if (j == n && hy_rooms_room_of(env->rooms, t) == room)
			sids[n++] = t;
	}
	relay(env, req, HY_CMD_ROOM_MESSAGE, room, sids, n, &d, rep);
}

static void cmd_room_get_props(void *ctx, const struct hy_cmd_req *req,
			       struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	struct hy_rm_props *q;
	struct hy_room_prop p;
	enum hy_reason why;
	struct hy_room_info ri;
	size_t i, at;
	uint8_t n = 0;
	struct hy_wr w;

	if (env == NULL)
		return;
	q = malloc(sizeof(*q));
	if (q == NULL)
		return fail(rep, HY_R_ROOM_NO_MEMORY);
	why = hy_rm_get_props_decode(req->payload, req->len, q);
	if (why == HY_R_OK && foreign(env, q->room_id)) {
		uint64_t id = q->room_id;

		free(q);
		return redirect(env, req, id, rep);
	}
	if (why == HY_R_OK && hy_rooms_info(env->rooms, q->room_id, &ri) < 0)
		why = HY_R_ROOM_NOT_FOUND;
	if (why != HY_R_OK) {
		free(q);
		return fail(rep, why);
	}
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u64(&w, q->room_id);
	at = w.off;
	hy_wr_u8(&w, 0); /* count, written at the end */
	if (q->n == 0) {
		for (i = 0; hy_rooms_prop_at(env->rooms, q->room_id, i, &p) == 0; i++, n++)
			hy_rm_prop_put(&w, &p);
	} else {
		for (i = 0; i < q->n; i++) {
			if (hy_rooms_prop_get(env->rooms, q->room_id, q->p[i].key, q->p[i].key_len,
					      &p) == 0) {
				hy_rm_prop_put(&w, &p);
				n++;
			}
		}
	}
	if (hy_wr_ok(&w))
		rep->payload[at] = n;
	free(q);
	ok(rep, &w);
}

static void cmd_room_set_props(void *ctx, const struct hy_cmd_req *req,
			       struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	struct hy_rm_props *q;
	enum hy_reason why;
	struct hy_wr w;

	if (env == NULL)
		return;
	q = malloc(sizeof(*q));
	if (q == NULL)
		return fail(rep, HY_R_ROOM_NO_MEMORY);
	why = hy_rm_set_props_decode(req->payload, req->len, q);
	if (why == HY_R_OK)
		why = hy_rooms_props_set(env->rooms, req->sid, q->room_id, q->p, q->n);
	if (why != HY_R_OK) {
		free(q);
		return fail(rep, why);
	}
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u64(&w, q->room_id);
	free(q);
	ok(rep, &w);
}

static void cmd_room_incr_prop(void *ctx, const struct hy_cmd_req *req,
			       struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	struct hy_rm_props *q;
	enum hy_reason why;
	int64_t v = 0;
	struct hy_wr w;

	if (env == NULL)
		return;
	q = malloc(sizeof(*q));
	if (q == NULL)
		return fail(rep, HY_R_ROOM_NO_MEMORY);
	why = hy_rm_incr_decode(req->payload, req->len, q);
	if (why == HY_R_OK)
		why = hy_rooms_props_incr(env->rooms, req->sid, q->room_id, q->p[0].key,
					  q->p[0].key_len, q->delta, &v);
	free(q);
	if (why != HY_R_OK)
		return fail(rep, why);
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u64(&w, (uint64_t)v);
	ok(rep, &w);
}

static void cmd_room_list(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	struct hy_room_info ri[HY_ROOM_LIST_PAGE];
	struct hy_rm_page pg;
	enum hy_reason why;
	size_t n, total, i;
	struct hy_wr w;

	if (env == NULL)
		return;
	why = hy_rm_list_decode(req->payload, req->len, &pg);
	if (why != HY_R_OK)
		return fail(rep, why);
	n = hy_rooms_list(env->rooms, pg.after, pg.flags & HY_ROOM_LIST_JOINABLE, ri, pg.max,
			  &total);
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u32(&w, (uint32_t)total);
	hy_wr_u8(&w, (uint8_t)n);
	for (i = 0; i < n; i++) {
		hy_wr_u64(&w, ri[i].id);
		hy_wr_u64(&w, ri[i].owner);
		hy_wr_u16(&w, ri[i].members);
		hy_wr_u16(&w, ri[i].max_members);
	}
	ok(rep, &w);
}

static void cmd_room_members(void *ctx, const struct hy_cmd_req *req,
			     struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	uint64_t sids[HY_ROOM_MEMBERS_PAGE];
	struct hy_room_info ri;
	struct hy_rm_page pg;
	enum hy_reason why;
	struct hy_wr w;
	int n, i;

	if (env == NULL)
		return;
	why = hy_rm_members_decode(req->payload, req->len, &pg);
	if (why == HY_R_OK && foreign(env, pg.room_id))
		return redirect(env, req, pg.room_id, rep);
	if (why == HY_R_OK && hy_rooms_info(env->rooms, pg.room_id, &ri) < 0)
		why = HY_R_ROOM_NOT_FOUND;
	if (why != HY_R_OK)
		return fail(rep, why);
	n = hy_rooms_members(env->rooms, pg.room_id, pg.offset, sids, HY_ROOM_MEMBERS_PAGE);
	hy_wr_init(&w, rep->payload, rep->cap);
	hy_wr_u64(&w, ri.id);
	hy_wr_u64(&w, ri.owner);
	hy_wr_u16(&w, ri.members);
	hy_wr_u16(&w, (uint16_t)n);
	for (i = 0; i < n; i++)
		hy_wr_u64(&w, sids[i]);
	ok(rep, &w);
}

static void cmd_direct(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_cmd_env *env = env_of(ctx, rep);
	uint8_t pl[8 + 1 + HY_UID_MAX + HY_ROOM_DATA_MAX];
	char uid[HY_UID_MAX];
	struct hy_rm_data d;
	enum hy_reason why;
	uint64_t to = 0;
	size_t ulen;
	struct hy_wr w;

	if (env == NULL)
		return;
	why = hy_rm_direct_decode(req->payload, req->len, &d);
	if (why != HY_R_OK)
		return fail(rep, why);
	if (d.to == HY_DIRECT_TO_SID && env->exists && env->exists(env->arg, d.sid))
		to = d.sid;
	else if (d.to == HY_DIRECT_TO_UID && env->find_uid)
		to = env->find_uid(env->arg, d.uid, d.uid_len);
	if (to == 0)
		return fail(rep, HY_R_NO_SUCH_TARGET);
	/* from u64 | uid_len u8 | uid | data */
	ulen = uid_of(env, req->sid, uid);
	hy_wr_init(&w, pl, sizeof(pl));
	hy_wr_u64(&w, req->sid);
	hy_wr_u8(&w, (uint8_t)ulen);
	hy_wr_bytes(&w, uid, ulen);
	hy_wr_bytes(&w, d.data, d.data_len);
	if (env->push)
		env->push(env->arg, &to, 1, HY_MODULES_VER, HY_CMD_DIRECT, pl, w.off);
	rep->status = HY_STATUS_OK;
	rep->len = 0;
}

/*
 * X(ver, cmd, NAME, handler, description), sorted by (ver, cmd).
 * ver 0: transport built-ins; ver 1: built-in modules; ver >= 2: the
 * application's.
 */
#define HY_COMMANDS(X) \
	X(HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, ECHO, cmd_echo, \
	  "round trip; node state and the client's address as seen") \
	X(1, HY_CMD_ROOM_CREATE, ROOM_CREATE, cmd_room_create, \
	  "create a room and join it as owner") \
	X(1, HY_CMD_ROOM_JOIN, ROOM_JOIN, cmd_room_join, "join a room by id") \
	X(1, HY_CMD_ROOM_LEAVE, ROOM_LEAVE, cmd_room_leave, "leave the room") \
	X(1, HY_CMD_ROOM_BROADCAST, ROOM_BROADCAST, cmd_room_broadcast, \
	  "data to every member (the sender too by flag)") \
	X(1, HY_CMD_ROOM_MESSAGE, ROOM_MESSAGE, cmd_room_message, \
	  "data to chosen members") \
	X(1, HY_CMD_ROOM_RANDOM_JOIN, ROOM_RANDOM_JOIN, cmd_room_random_join, \
	  "join a room with a free place, or create one") \
	X(1, HY_CMD_ROOM_GET_PROPS, ROOM_GET_PROPS, cmd_room_get_props, \
	  "read room properties") \
	X(1, HY_CMD_ROOM_SET_PROPS, ROOM_SET_PROPS, cmd_room_set_props, \
	  "set room properties, all or none") \
	X(1, HY_CMD_ROOM_INCR_PROP, ROOM_INCR_PROP, cmd_room_incr_prop, \
	  "add to an integer room property") \
	X(1, HY_CMD_ROOM_LIST, ROOM_LIST, cmd_room_list, "rooms of this node, paged") \
	X(1, HY_CMD_ROOM_MEMBERS, ROOM_MEMBERS, cmd_room_members, \
	  "owner and member session ids of a room, paged") \
	X(1, HY_CMD_DIRECT, DIRECT, cmd_direct, \
	  "data to one session or user id of this node")

static const struct hy_cmd_def table[] = {
#define HY_CMD_ENTRY(v, c, name, fn, text) { (v), (c), #name, fn, text },
	HY_COMMANDS(HY_CMD_ENTRY)
#undef HY_CMD_ENTRY
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

static int cmp_key(const void *key, const void *elem)
{
	const struct hy_cmd_def *k = key, *e = elem;
	unsigned a = (unsigned)k->ver << 16 | k->cmd;
	unsigned b = (unsigned)e->ver << 16 | e->cmd;

	return a < b ? -1 : a > b;
}

const struct hy_cmd_def *hy_cmd_lookup(uint8_t ver, uint16_t cmd)
{
	struct hy_cmd_def k = { .ver = ver, .cmd = cmd };

	return bsearch(&k, table, TABLE_LEN, sizeof(table[0]), cmp_key);
}

const struct hy_cmd_def *hy_cmd_dispatch(void *ctx, const struct hy_cmd_req *req,
					 struct hy_cmd_reply *rep)
{
	const struct hy_cmd_def *d = hy_cmd_lookup(req->ver, req->cmd);

	rep->len = 0;
	if (d == NULL) {
		rep->status = HY_STATUS_BAD;
		return NULL;
	}
	d->fn(ctx, req, rep);
	if (rep->len > rep->cap) { /* a handler's bug: never send past the buffer */
		rep->len = 0;
		rep->status = HY_STATUS_ERR;
	}
	return d;
}

const struct hy_cmd_def *hy_cmd_table(size_t *n)
{
	*n = TABLE_LEN;
	return table;
}

int hy_cmd_table_check(void)
{
	size_t i;

	for (i = 1; i < TABLE_LEN; i++)
		if (cmp_key(&table[i - 1], &table[i]) >= 0)
			return -1;
	return 0;
}
