/* SPDX-License-Identifier: BSD-3-Clause
 * The room relay (see relay.h).
 */
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "relay.h"

#include "common/wire.h"
#include "proto/message.h"

/* One room's broadcasts held for its interval on this worker. */
struct relay_batch {
	uint64_t room_id;  /* 0: slot free */
	uint64_t due_ms;
	uint16_t n, bytes;
	struct {
		uint64_t from;
		uint16_t cmd, off, len;
		uint8_t delivery, self;
	} msg[HY_RELAY_BATCH_MSGS];
	uint8_t buf[HY_RELAY_BATCH_BYTES];
};

struct hy_relay {
	unsigned n_pending;
	unsigned n_batches;     /* slots in use */
	uint64_t now_ms;
	struct hy_relay_config cfg;
	struct hy_relay_stats stats;
	struct relay_batch batch[HY_RELAY_BATCHES];
	struct hy_engine_out out[HY_RELAY_BATCH_MSGS]; /* scratch: one recipient's share */
	struct hy_relay_job pending[HY_RELAY_PENDING];
	/* BROADCAST jobs: the room found when the job was taken, so the
	 * flush that follows does not look it up again (the table cannot
	 * change in between: both run on this worker, one after the other) */
	const struct hy_fanout_room *pending_room[HY_RELAY_PENDING];
	struct hy_engine_out pending_out[HY_RELAY_PENDING]; /* BROADCAST jobs' pushes */
	/* Local pushes gathered over a flush: gather_sids[i] gets
	 * *gather_msg[i]; gather_hints[i] is its hint cell in the room's
	 * member list (hy_engine_send_each) */
	unsigned n_gather;
	uint64_t gather_sids[HY_RELAY_GATHER];
	uint32_t *gather_hints[HY_RELAY_GATHER];
	const struct hy_engine_out *gather_msg[HY_RELAY_GATHER];
	uint64_t up_sids[HY_TABLE_MAX_MEMBERS]; /* scratch: a room's relay members */
	uint64_t to_sids[HY_TABLE_MAX_MEMBERS]; /* scratch: a broadcast's local recipients */
	uint32_t *to_hints[HY_TABLE_MAX_MEMBERS]; /* and their hint cells */
	struct hy_relay_job split;              /* scratch: one worker's share of a MESSAGE,
						 * a DIRECT on its way */
};

_Static_assert(HY_RELAY_PENDING >= 2 * HY_MAX_FRAMES_PER_PACKET,
	       "a flush when the next datagram might not fit leaves a datagram's worth");

struct hy_relay *hy_relay_create(const struct hy_relay_config *cfg, int socket_id, char *err,
				 size_t err_len)
{
	struct hy_relay *r;

	if (cfg->engine == NULL || cfg->table == NULL || cfg->users == NULL || cfg->ops == NULL ||
	    cfg->n_workers == 0 || cfg->worker_id >= cfg->n_workers) {
		snprintf(err, err_len, "room relay: bad config");
		return NULL;
	}
	r = rte_zmalloc_socket("hy_relay", sizeof(*r), RTE_CACHE_LINE_SIZE, socket_id);
	if (r == NULL) {
		snprintf(err, err_len, "room relay: out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	return r;
}

void hy_relay_destroy(struct hy_relay *r)
{
	rte_free(r);
}

const struct hy_relay_stats *hy_relay_stats(const struct hy_relay *r)
{
	return &r->stats;
}

static uint16_t owner_of(const struct hy_relay *r, uint64_t sid)
{
	return hy_engine_owner(sid, r->cfg.n_workers);
}

/* ---- taking commands (inside the engine) --------------------------------- */

/* A fresh job for the sender, or NULL when the queue is full. */
static struct hy_relay_job *job_new(struct hy_relay *r, uint64_t from, uint16_t cmd,
				    enum hy_engine_delivery d)
{
	struct hy_relay_job *j;

	if (r->n_pending >= HY_RELAY_PENDING)
		return NULL;
	j = &r->pending[r->n_pending];
	j->room_id = 0;
	j->from = from;
	j->cmd = cmd;
	j->delivery = (uint8_t)d;
	j->self = 0;
	j->nsids = 0;
	j->len = 0;
	j->to = 0;
	j->answered = 0;
	j->uid_len = 0;
	return j;
}

/* The room push: room_id u64 | from u64 | data. */
static void put_room_push(struct hy_relay_job *j, uint64_t room_id, const struct hy_rm_data *d)
{
	struct hy_wr w;

	hy_wr_init(&w, j->push, sizeof(j->push));
	hy_wr_u64(&w, room_id);
	hy_wr_u64(&w, j->from);
	hy_wr_bytes(&w, d->data, d->data_len);
	j->len = (uint16_t)w.off;
}

/* OK with `delivered u16`. */
static enum hy_engine_local answer_delivered(struct hy_engine_answer *ans, unsigned n)
{
	ans->status = HY_STATUS_OK;
	ans->len = 2;
	ans->data[0] = (uint8_t)(n >> 8);
	ans->data[1] = (uint8_t)n;
	return HY_ENGINE_LOCAL_ANSWER;
}

static enum hy_engine_local take_broadcast(struct hy_relay *r, uint64_t sid,
					   enum hy_engine_delivery d, const uint8_t *p,
					   uint32_t len, struct hy_engine_answer *ans)
{
	const struct hy_fanout_room *room = hy_fanout_room_of(r->cfg.table, sid);
	struct hy_relay_job *j;
	struct hy_rm_data data;

	if (room == NULL || hy_rm_broadcast_decode(p, len, &data) != HY_R_OK ||
	    (j = job_new(r, sid, HY_CMD_ROOM_BROADCAST, d)) == NULL)
		return HY_ENGINE_LOCAL_PASS;
	j->room_id = room->id;
	j->self = (data.flags & HY_ROOM_BCAST_SELF) != 0;
	put_room_push(j, room->id, &data);
	r->pending_room[r->n_pending] = room;
	r->n_pending++;
	r->stats.broadcasts++;
	if (data.flags & HY_ROOM_BCAST_QUIET)
		return HY_ENGINE_LOCAL_TAKEN; /* fire and forget: no answer to seal */
	/* every member but the sender, and the sender if it asked */
	return answer_delivered(ans, room->n_members - 1u + j->self);
}

static enum hy_engine_local take_message(struct hy_relay *r, uint64_t sid,
					 enum hy_engine_delivery d, const uint8_t *p,
					 uint32_t len, struct hy_engine_answer *ans)
{
	const struct hy_fanout_room *room = hy_fanout_room_of(r->cfg.table, sid);
	struct hy_relay_job *j;
	struct hy_rm_data data;
	unsigned i, k;

	if (room == NULL || hy_rm_message_decode(p, len, &data) != HY_R_OK ||
	    (j = job_new(r, sid, HY_CMD_ROOM_MESSAGE, d)) == NULL)
		return HY_ENGINE_LOCAL_PASS;
	/* members of the sender's room only, each once */
	for (i = 0; i < data.nsids; i++) {
		uint64_t t = hy_rm_sid_at(&data, i);

		for (k = 0; k < j->nsids && j->sids[k] != t; k++)
			;
		if (k == j->nsids && hy_fanout_member(room, t) != NULL)
			j->sids[j->nsids++] = t;
	}
	j->room_id = room->id;
	put_room_push(j, room->id, &data);
	r->n_pending++;
	r->stats.messages++;
	return answer_delivered(ans, j->nsids);
}

static enum hy_engine_local take_direct(struct hy_relay *r, uint64_t sid,
					enum hy_engine_delivery d, const uint8_t *p,
					uint32_t len, struct hy_engine_answer *ans)
{
	struct hy_engine_session_info me, target;
	struct hy_relay_job *j;
	struct hy_rm_data data;
	bool here = false;
	struct hy_wr w;

	if (hy_rm_direct_decode(p, len, &data) != HY_R_OK)
		return HY_ENGINE_LOCAL_PASS;
	if (data.to == HY_DIRECT_TO_SID) {
		/* a target of ours that is not here is a TCP session or
		 * none: the control plane knows which */
		here = owner_of(r, data.sid) == r->cfg.worker_id;
		if (here && hy_engine_session_get(r->cfg.engine, data.sid, &target) != HY_R_OK)
			return HY_ENGINE_LOCAL_PASS;
	}
	if (hy_engine_session_get(r->cfg.engine, sid, &me) != HY_R_OK ||
	    (j = job_new(r, sid, HY_CMD_DIRECT, d)) == NULL)
		return HY_ENGINE_LOCAL_PASS;
	/* from u64 | uid_len u8 | uid | data */
	hy_wr_init(&w, j->push, sizeof(j->push));
	hy_wr_u64(&w, sid);
	hy_wr_u8(&w, me.uid_len);
	hy_wr_bytes(&w, me.uid, me.uid_len);
	hy_wr_bytes(&w, data.data, data.data_len);
	j->len = (uint16_t)w.off;
	j->to = data.to;
	j->answered = here;
	if (data.to == HY_DIRECT_TO_SID) {
		j->sids[0] = data.sid;
		j->nsids = 1;
	} else {
		j->uid_len = data.uid_len;
		memcpy(j->uid, data.uid, data.uid_len);
	}
	r->n_pending++;
	r->stats.directs++;
	if (!here)
		return HY_ENGINE_LOCAL_TAKEN; /* the target's worker answers */
	ans->status = HY_STATUS_OK;
	ans->len = 0;
	return HY_ENGINE_LOCAL_ANSWER;
}

enum hy_engine_local hy_relay_command(struct hy_relay *r, uint64_t sid, uint8_t ver,
				      uint16_t cmd, enum hy_engine_delivery d,
				      const uint8_t *payload, uint32_t len,
				      struct hy_engine_answer *ans)
{
	enum hy_engine_local v = HY_ENGINE_LOCAL_PASS;

	if (ver != HY_MODULES_VER)
		return HY_ENGINE_LOCAL_PASS;
	switch (cmd) {
	case HY_CMD_ROOM_BROADCAST:
		v = take_broadcast(r, sid, d, payload, len, ans);
		break;
	case HY_CMD_ROOM_MESSAGE:
		v = take_message(r, sid, d, payload, len, ans);
		break;
	case HY_CMD_DIRECT:
		v = take_direct(r, sid, d, payload, len, ans);
		break;
	default:
		return HY_ENGINE_LOCAL_PASS;
	}
	if (v == HY_ENGINE_LOCAL_PASS)
		r->stats.passed_up++;
	return v;
}

/* ---- delivering ---------------------------------------------------------- */

static enum hy_reason push_to(struct hy_relay *r, const struct hy_relay_job *j, uint64_t to)
{
	enum hy_reason why = hy_engine_send(r->cfg.engine, to, HY_MODULES_VER, j->cmd,
					    HY_STATUS_PUSH, (enum hy_engine_delivery)j->delivery,
					    j->push, j->len);

	if (why == HY_R_OK)
		r->stats.pushes++;
	else
		r->stats.push_failed++;
	return why;
}

/* push_to() for n recipients of a room: the engine looks up in bulk those
 * whose hints no longer hold. */
static void push_many(struct hy_relay *r, const struct hy_relay_job *j, const uint64_t *to,
		      uint32_t *const *hints, unsigned n)
{
	struct hy_engine_out m = {.ver = HY_MODULES_VER, .cmd = j->cmd, .status = HY_STATUS_PUSH,
				  .delivery = (enum hy_engine_delivery)j->delivery,
				  .payload = j->push, .len = j->len};
	enum hy_reason why;
	unsigned ok;

	if (n == 0)
		return;
	ok = hy_engine_send_many(r->cfg.engine, to, hints, n, &m, &why);
	r->stats.pushes += ok;
	r->stats.push_failed += n - ok;
}

/* Sends the gathered pushes: every recipient of the flush's broadcasts so
 * far looked up together, instead of a lookup per broadcast. */
static void gather_send(struct hy_relay *r)
{
	enum hy_reason why;
	unsigned ok;

	if (r->n_gather == 0)
		return;
	ok = hy_engine_send_each(r->cfg.engine, r->gather_sids, r->gather_hints, r->gather_msg,
				 r->n_gather, &why);
	r->stats.pushes += ok;
	r->stats.push_failed += r->n_gather - ok;
	r->n_gather = 0;
}

/* push_many(), gathered for gather_send() when the pushes fit. */
static void push_gathered(struct hy_relay *r, const struct hy_engine_out *m, const uint64_t *to,
			  uint32_t *const *hints, unsigned n)
{
	if (n > HY_RELAY_GATHER) { /* a room larger than the gather goes alone */
		enum hy_reason why;
		unsigned ok;

		gather_send(r);
		ok = hy_engine_send_many(r->cfg.engine, to, hints, n, m, &why);
		r->stats.pushes += ok;
		r->stats.push_failed += n - ok;
		return;
	}
	if (r->n_gather + n > HY_RELAY_GATHER)
		gather_send(r);
	for (unsigned i = 0; i < n; i++) {
		r->gather_sids[r->n_gather] = to[i];
		r->gather_hints[r->n_gather] = hints[i];
		r->gather_msg[r->n_gather++] = m;
	}
}

static void hand_to(struct hy_relay *r, uint16_t worker, const struct hy_relay_job *j)
{
	if (r->cfg.ops->to_worker(r->cfg.ops_arg, worker, j) == 0)
		r->stats.handoffs++;
	else
		r->stats.handoff_failed++;
}

static void send_up(struct hy_relay *r, const struct hy_relay_job *j, const uint64_t *sids,
		    unsigned n)
{
	if (n == 0)
		return;
	if (r->cfg.ops->up(r->cfg.ops_arg, j, sids, n) == 0)
		r->stats.relayed_up++;
	else
		r->stats.up_failed++;
}

/* The DIRECT command a job came from, passed up for the control plane to
 * answer: its target is not one of our sessions (or its user id is not in
 * the directory). */
static void direct_up(struct hy_relay *r, const struct hy_relay_job *j)
{
	uint8_t cmd[2u + HY_UID_MAX + HY_ROOM_DATA_MAX];
	size_t skip = 8u + 1u + j->push[8]; /* from, uid_len, uid */
	struct hy_wr w;

	hy_wr_init(&w, cmd, sizeof(cmd));
	hy_wr_u8(&w, j->to);
	if (j->to == HY_DIRECT_TO_UID) {
		hy_wr_u8(&w, j->uid_len);
		hy_wr_bytes(&w, j->uid, j->uid_len);
	} else {
		hy_wr_u64(&w, j->sids[0]);
	}
	hy_wr_bytes(&w, j->push + skip, j->len - skip);
	r->stats.passed_up++;
	r->cfg.ops->command_up(r->cfg.ops_arg, j->from, HY_MODULES_VER, HY_CMD_DIRECT,
			       (enum hy_engine_delivery)j->delivery, cmd, (uint32_t)w.off);
}

/* ---- broadcast batching --------------------------------------------------- */

/* Delivers one batch to the room's members here and frees its slot. */
static void batch_flush(struct hy_relay *r, struct relay_batch *b)
{
	const struct hy_fanout_room *room = hy_fanout_find(r->cfg.table, b->room_id);
	unsigned i, k, n;
	enum hy_reason why;

	for (i = 0; room != NULL && i < room->n_local; i++) {
		uint64_t to = room->local[i].sid;

		for (k = n = 0; k < b->n; k++) {
			if (b->msg[k].from == to && !b->msg[k].self)
				continue;
			r->out[n] = (struct hy_engine_out){
				.ver = HY_MODULES_VER, .status = HY_STATUS_PUSH,
				.cmd = b->msg[k].cmd,
				.delivery = (enum hy_engine_delivery)b->msg[k].delivery,
				.payload = b->buf + b->msg[k].off, .len = b->msg[k].len};
			n++;
		}
		k = hy_engine_send_batch(r->cfg.engine, to, r->out, n, &why);
		r->stats.pushes += k;
		r->stats.push_failed += n - k;
	}
	if (room == NULL)
		r->stats.stale++;
	r->stats.batch_flushes++;
	b->room_id = 0;
	r->n_batches--;
}

static struct relay_batch *batch_of(struct hy_relay *r, uint64_t room_id)
{
	struct relay_batch *free_slot = NULL;
	unsigned i;

	for (i = 0; i < HY_RELAY_BATCHES; i++) {
		if (r->batch[i].room_id == room_id)
			return &r->batch[i];
		if (r->batch[i].room_id == 0 && free_slot == NULL)
			free_slot = &r->batch[i];
	}
	return free_slot;
}

/* Holds a broadcast for its room's interval.  Returns false when no slot
 * is free (the caller sends it at once). */
static bool batch_add(struct hy_relay *r, const struct hy_fanout_room *room,
		      const struct hy_relay_job *j)
{
	struct relay_batch *b = batch_of(r, room->id);

	if (b == NULL)
		return false;
	if (b->room_id != 0 &&
	    (b->n == HY_RELAY_BATCH_MSGS || b->bytes + j->len > HY_RELAY_BATCH_BYTES))
		batch_flush(r, b); /* full: it goes early, this one starts the next */
	if (b->room_id == 0) {
		b->room_id = room->id;
		b->due_ms = r->now_ms + room->interval_ms;
		b->n = b->bytes = 0;
		r->n_batches++;
	}
	b->msg[b->n].from = j->from;
	b->msg[b->n].cmd = j->cmd;
	b->msg[b->n].off = b->bytes;
	b->msg[b->n].len = j->len;
	b->msg[b->n].delivery = j->delivery;
	b->msg[b->n].self = j->self;
	memcpy(b->buf + b->bytes, j->push, j->len);
	b->bytes = (uint16_t)(b->bytes + j->len);
	b->n++;
	r->stats.batched++;
	return true;
}

void hy_relay_tick(struct hy_relay *r, uint64_t now_ms)
{
	unsigned i;

	r->now_ms = now_ms;
	for (i = 0; r->n_batches > 0 && i < HY_RELAY_BATCHES; i++)
		if (r->batch[i].room_id != 0 && r->batch[i].due_ms <= now_ms)
			batch_flush(r, &r->batch[i]);
}

/* ---- delivering, continued --------------------------------------------------- */

/* A room's members here, every worker owning others (at the origin) and
 * the control plane's.  room is j's room in this worker's table, or NULL
 * when it has none.  At the origin the local pushes are gathered (out:
 * the job's push, which lives until the flush ends); a job another worker
 * handed over is pushed at once (out NULL: it lives in a mailbox entry). */
static void run_broadcast(struct hy_relay *r, const struct hy_relay_job *j,
			  const struct hy_fanout_room *room, struct hy_engine_out *out)
{
	bool origin = out != NULL;
	unsigned i, n = 0;

	if (room == NULL) {
		r->stats.stale++;
		return;
	}
	if (room->interval_ms == 0 || !batch_add(r, room, j)) {
		if (room->interval_ms != 0)
			r->stats.batch_bypass++;
		for (i = 0; i < room->n_local; i++)
			if (room->local[i].sid != j->from || j->self) {
				r->to_hints[n] = &room->local[i].hint;
				r->to_sids[n++] = room->local[i].sid;
			}
		if (origin && n != 0) {
			*out = (struct hy_engine_out){
				.ver = HY_MODULES_VER, .cmd = j->cmd, .status = HY_STATUS_PUSH,
				.delivery = (enum hy_engine_delivery)j->delivery,
				.payload = j->push, .len = j->len};
			push_gathered(r, out, r->to_sids, r->to_hints, n);
		} else {
			push_many(r, j, r->to_sids, r->to_hints, n);
		}
		n = 0;
	}
	if (!origin)
		return;
	for (i = 0; i < HY_FANOUT_WORKER_WORDS; i++) {
		uint64_t bits = room->others[i];

		while (bits != 0) {
			hand_to(r, (uint16_t)(i * 64u + (unsigned)__builtin_ctzll(bits)), j);
			bits &= bits - 1;
		}
	}
	if (room->n_relay == 0)
		return;
	for (i = 0; i < room->n_members; i++)
		if (room->members[i].kind == HY_TABLE_KIND_RELAY &&
		    (room->members[i].sid != j->from || j->self))
			r->up_sids[n++] = room->members[i].sid;
	send_up(r, j, r->up_sids, n);
}

/* MESSAGE at its origin: the recipients by who delivers them. */
static void run_message(struct hy_relay *r, const struct hy_relay_job *j)
{
	const struct hy_fanout_room *room = hy_fanout_find(r->cfg.table, j->room_id);
	uint64_t done = 0; /* bit i: sids[i] dealt with */
	unsigned i, k, n = 0;

	if (room == NULL) {
		r->stats.stale++;
		return;
	}
	for (i = 0; i < j->nsids; i++) {
		const struct hy_table_member *m = hy_fanout_member(room, j->sids[i]);

		if (m != NULL && m->kind == HY_TABLE_KIND_RELAY) {
			r->up_sids[n++] = m->sid;
			done |= 1ull << i;
		} else if (owner_of(r, j->sids[i]) == r->cfg.worker_id) {
			push_to(r, j, j->sids[i]);
			done |= 1ull << i;
		}
	}
	send_up(r, j, r->up_sids, n);
	/* the rest, one job per owning worker */
	for (i = 0; i < j->nsids; i++) {
		uint16_t w;

		if (done & (1ull << i))
			continue;
		w = owner_of(r, j->sids[i]);
		memcpy(&r->split, j, offsetof(struct hy_relay_job, sids));
		memcpy(r->split.push, j->push, j->len);
		r->split.nsids = 0;
		for (k = i; k < j->nsids; k++) {
			if (!(done & (1ull << k)) && owner_of(r, j->sids[k]) == w) {
				r->split.sids[r->split.nsids++] = j->sids[k];
				done |= 1ull << k;
			}
		}
		hand_to(r, w, &r->split);
	}
}

/* Moves a DIRECT one step on: to the directory shard of its user id,
 * then to the target session's owner, which pushes and answers.  Any
 * worker may run it; a step another worker must take is a hand-off, and
 * whoever cannot go on passes the command up (someone must answer). */
static void run_direct(struct hy_relay *r, const struct hy_relay_job *job)
{
	struct hy_relay_job *j = &r->split;
	struct hy_engine_session_info target;
	uint16_t w, me = r->cfg.worker_id;
	enum hy_reason why;

	memcpy(j, job, offsetof(struct hy_relay_job, push));
	memcpy(j->push, job->push, job->len);
	if (j->nsids == 0) {
		uint64_t key = hy_uid_key(j->uid, j->uid_len);

		w = hy_uid_shard(key, r->cfg.n_workers);
		if (w != me)
			goto hand_over;
		j->sids[0] = hy_uid_dir_get(r->cfg.users, key);
		if (j->sids[0] == 0) {
			r->stats.uid_misses++;
			direct_up(r, j);
			return;
		}
		j->nsids = 1;
	}
	w = owner_of(r, j->sids[0]);
	if (w != me)
		goto hand_over;
	/* the target's owner: the session, and for a user id its user */
	if (hy_engine_session_get(r->cfg.engine, j->sids[0], &target) != HY_R_OK ||
	    (j->to == HY_DIRECT_TO_UID &&
	     (target.uid_len != j->uid_len || memcmp(target.uid, j->uid, j->uid_len) != 0))) {
		if (!j->answered)
			direct_up(r, j);
		return;
	}
	why = push_to(r, j, j->sids[0]);
	if (!j->answered) {
		uint8_t reason[2] = {(uint8_t)(why >> 8), (uint8_t)why};

		/* refused by the target's flow control: ERR with the reason */
		r->cfg.ops->respond(r->cfg.ops_arg, j->from, HY_MODULES_VER, HY_CMD_DIRECT,
				    (enum hy_engine_delivery)j->delivery,
				    why == HY_R_OK ? HY_STATUS_OK : HY_STATUS_ERR, reason,
				    why == HY_R_OK ? 0 : sizeof(reason));
	}
	return;
hand_over:
	if (r->cfg.ops->to_worker(r->cfg.ops_arg, w, j) == 0)
		r->stats.handoffs++;
	else if (!j->answered)
		direct_up(r, j);
	else
		r->stats.handoff_failed++;
}

void hy_relay_flush(struct hy_relay *r)
{
	unsigned i;

	for (i = 0; i < r->n_pending; i++) {
		const struct hy_relay_job *j = &r->pending[i];

		if (j->cmd == HY_CMD_ROOM_BROADCAST) {
			run_broadcast(r, j, r->pending_room[i], &r->pending_out[i]);
			continue;
		}
		gather_send(r); /* what came before goes first */
		if (j->cmd == HY_CMD_ROOM_MESSAGE)
			run_message(r, j);
		else
			run_direct(r, j);
	}
	gather_send(r);
	r->n_pending = 0;
}

bool hy_relay_should_flush(const struct hy_relay *r)
{
	return r->n_pending + HY_MAX_FRAMES_PER_PACKET > HY_RELAY_PENDING;
}

void hy_relay_run(struct hy_relay *r, const struct hy_relay_job *j)
{
	unsigned i;

	r->stats.handoffs_in++;
	switch (j->cmd) {
	case HY_CMD_ROOM_BROADCAST:
		run_broadcast(r, j, hy_fanout_find(r->cfg.table, j->room_id), NULL);
		break;
	case HY_CMD_ROOM_MESSAGE:
		for (i = 0; i < j->nsids && i < HY_ROOM_MESSAGE_TARGETS; i++)
			push_to(r, j, j->sids[i]);
		break;
	case HY_CMD_DIRECT:
		run_direct(r, j);
		break;
	default:
		break;
	}
}
