/* SPDX-License-Identifier: BSD-3-Clause
 * One worker's copy of the room fan-out table (see fanout.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "fanout.h"
#include "hash64.h"

#define MIN_CAP 4u

struct hy_fanout {
	struct hy_fanout_config cfg;
	struct hy_fanout_stats stats;
	struct rte_hash *rooms_h;   /* room id -> struct hy_fanout_room * */
	struct rte_hash *local_h;   /* sid of a member we own -> its room */
	struct hy_fanout_room *slot; /* max_rooms slots; id 0: free */
	uint32_t *free_list;        /* free slot indexes, a stack */
	uint32_t n_free;
	size_t member_bytes;        /* member and local arrays held */
	/* What the last hy_fanout_prefetch() found, in its order, so that
	 * the burst's broadcasts, which ask hy_fanout_room_of() in the same
	 * order, do not look their sender up a second time.  rte_hash keeps
	 * no such result, hence this: valid until the table changes, which
	 * only hy_fanout_apply() does, and which empties it. */
	uint32_t n_memo;
	uint32_t memo_next;         /* where the next question should be */
	uint64_t memo_sid[HY_FANOUT_MEMO];
	const struct hy_fanout_room *memo_room[HY_FANOUT_MEMO]; /* NULL: in no room */
};

struct hy_fanout *hy_fanout_create(const struct hy_fanout_config *cfg, char *err,
				   size_t err_len)
{
	struct hy_fanout *f;
	uint32_t i;

	if (cfg->n_workers == 0 || cfg->n_workers > HY_ENGINE_MAX_WORKERS ||
	    cfg->worker_id >= cfg->n_workers || cfg->max_rooms == 0 || cfg->max_local == 0) {
		snprintf(err, err_len, "fan-out table: bad config (worker %u of %u, %u rooms, "
			 "%u members)", cfg->worker_id, cfg->n_workers, cfg->max_rooms,
			 cfg->max_local);
		return NULL;
	}
	f = rte_zmalloc_socket("hy_fanout", sizeof(*f), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (f == NULL)
		goto nomem;
	f->cfg = *cfg;
	f->slot = rte_zmalloc_socket("hy_fanout_rooms", sizeof(*f->slot) * cfg->max_rooms,
				     RTE_CACHE_LINE_SIZE, cfg->socket_id);
	f->free_list = rte_malloc_socket("hy_fanout_free", sizeof(uint32_t) * cfg->max_rooms, 0,
					 cfg->socket_id);
	if (f->slot == NULL || f->free_list == NULL)
		goto nomem;
	for (i = 0; i < cfg->max_rooms; i++)
		f->free_list[i] = cfg->max_rooms - 1 - i;
	f->n_free = cfg->max_rooms;
	f->rooms_h = hy_hash64_create("hy_for", cfg->worker_id, cfg->max_rooms, cfg->socket_id);
	f->local_h = hy_hash64_create("hy_fom", cfg->worker_id, cfg->max_local, cfg->socket_id);
	if (f->rooms_h == NULL || f->local_h == NULL) {
		snprintf(err, err_len, "fan-out table: rte_hash: %s", rte_strerror(rte_errno));
		hy_fanout_destroy(f);
		return NULL;
	}
	return f;
nomem:
	snprintf(err, err_len, "fan-out table: out of memory (%u rooms)", cfg->max_rooms);
	hy_fanout_destroy(f);
	return NULL;
}

static void room_free_arrays(struct hy_fanout *f, struct hy_fanout_room *r)
{
	f->member_bytes -= (size_t)r->cap * sizeof(*r->members) +
			   (size_t)r->local_cap * sizeof(*r->local);
	rte_free(r->members);
	rte_free(r->local);
	r->members = NULL;
	r->local = NULL;
	r->cap = r->local_cap = 0;
}

void hy_fanout_destroy(struct hy_fanout *f)
{
	uint32_t i;

	if (f == NULL)
		return;
	for (i = 0; f->slot != NULL && i < f->cfg.max_rooms; i++)
		if (f->slot[i].id != 0)
			room_free_arrays(f, &f->slot[i]);
	rte_hash_free(f->rooms_h);
	rte_hash_free(f->local_h);
	rte_free(f->free_list);
	rte_free(f->slot);
	rte_free(f);
}

/* ---- lookups ------------------------------------------------------------- */

const struct hy_fanout_room *hy_fanout_find(const struct hy_fanout *f, uint64_t room_id)
{
	void *data;

	if (room_id == 0 || rte_hash_lookup_data(f->rooms_h, &room_id, &data) < 0)
		return NULL;
	return data;
}

const struct hy_fanout_room *hy_fanout_room_of(struct hy_fanout *f, uint64_t sid)
{
	void *data;
	uint32_t i;

	/* the memo from the question on: a burst's senders come in order,
	 * some of them never asking (not a broadcast) */
	for (i = f->memo_next; i < f->n_memo; i++)
		if (f->memo_sid[i] == sid) {
			f->memo_next = i + 1;
			return f->memo_room[i];
		}
	if (rte_hash_lookup_data(f->local_h, &sid, &data) < 0)
		return NULL;
	return data;
}

/* Lookups per rte_hash_lookup_bulk_data() call. */
#define PREFETCH_CHUNK 32u

void hy_fanout_prefetch(struct hy_fanout *f, const uint64_t *sids, unsigned n)
{
	const void *keys[PREFETCH_CHUNK];
	void *data[PREFETCH_CHUNK];
	unsigned i = 0, j, m;
	uint64_t hits;

	f->n_memo = 0;
	f->memo_next = 0;
	while (i < n) {
		for (m = 0; i < n && m < PREFETCH_CHUNK; i++)
			if (sids[i] != 0)
				keys[m++] = &sids[i];
		if (m == 0 || rte_hash_lookup_bulk_data(f->local_h, keys, m, &hits, data) < 0)
			continue;
		for (j = 0; j < m; j++) {
			const struct hy_fanout_room *r = hits & (1ull << j) ? data[j] : NULL;

			if (f->n_memo < HY_FANOUT_MEMO) {
				f->memo_sid[f->n_memo] = *(const uint64_t *)keys[j];
				f->memo_room[f->n_memo++] = r;
			}
			if (r == NULL)
				continue;
			rte_prefetch0(r); /* the room may straddle two lines */
			rte_prefetch0((const char *)r + sizeof(*r) - 1);
		}
	}
}

/* Index of the first member whose sid is >= sid. */
static uint16_t lower_bound(const struct hy_fanout_room *r, uint64_t sid)
{
	uint16_t lo = 0, hi = r->n_members;

	while (lo < hi) {
		uint16_t mid = (uint16_t)((lo + hi) / 2u);

		if (r->members[mid].sid < sid)
			lo = (uint16_t)(mid + 1u);
		else
			hi = mid;
	}
	return lo;
}

const struct hy_table_member *hy_fanout_member(const struct hy_fanout_room *r, uint64_t sid)
{
	uint16_t i = lower_bound(r, sid);

	return i < r->n_members && r->members[i].sid == sid ? &r->members[i] : NULL;
}

const struct hy_fanout_stats *hy_fanout_stats(const struct hy_fanout *f)
{
	return &f->stats;
}

size_t hy_fanout_memory(const struct hy_fanout *f)
{
	return sizeof(*f) + (size_t)f->cfg.max_rooms * (sizeof(*f->slot) + sizeof(uint32_t)) +
	       f->member_bytes;
}

/* ---- changes --------------------------------------------------------------- */

static bool mine(const struct hy_fanout *f, const struct hy_table_member *m)
{
	return m->kind == HY_TABLE_KIND_UDP &&
	       hy_engine_owner(m->sid, f->cfg.n_workers) == f->cfg.worker_id;
}

/* Grows one of a room's arrays (*arr, *cap entries of elem bytes) to
 * hold n entries, doubling up to the largest room. */
static int grow(struct hy_fanout *f, void **arr, uint16_t *cap, size_t elem, uint32_t n)
{
	uint32_t c = *cap > 0 ? *cap : MIN_CAP;
	void *p;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if (c > HY_TABLE_MAX_MEMBERS)
		c = HY_TABLE_MAX_MEMBERS;
	p = rte_realloc_socket(*arr, c * elem, 0, f->cfg.socket_id);
	if (p == NULL)
		return -1;
	*arr = p;
	f->member_bytes += (c - *cap) * elem;
	*cap = (uint16_t)c;
	return 0;
}

static int room_reserve(struct hy_fanout *f, struct hy_fanout_room *r, uint32_t n)
{
	return grow(f, (void **)&r->members, &r->cap, sizeof(*r->members), n);
}

static int local_reserve(struct hy_fanout *f, struct hy_fanout_room *r, uint32_t n)
{
	return grow(f, (void **)&r->local, &r->local_cap, sizeof(*r->local), n);
}

/* Adds one of our members to the room's local list and the sid index
 * (room_reserve/local_reserve done). */
static void local_add(struct hy_fanout *f, struct hy_fanout_room *r, uint64_t sid)
{
	void *old;
	/* A session is in one room at a time; an entry for another room is
	 * stale (an update that was ignored) and is taken over. */
	bool had = rte_hash_lookup_data(f->local_h, &sid, &old) >= 0;

	r->local[r->n_local++] = (struct hy_fanout_local){.sid = sid, .hint = HY_ENGINE_NO_HINT};
	if (rte_hash_add_key_data(f->local_h, &sid, r) < 0) {
		/* still receives; its own sends go up the slow way */
		f->stats.local_full++;
		return;
	}
	if (!had)
		f->stats.local_members++;
}

static void local_del(struct hy_fanout *f, struct hy_fanout_room *r, uint64_t sid)
{
	void *data;
	uint16_t i;

	for (i = 0; i < r->n_local && r->local[i].sid != sid; i++)
		;
	if (i == r->n_local)
		return;
	r->local[i] = r->local[--r->n_local];
	/* the index may already point at the sid's next room */
	if (rte_hash_lookup_data(f->local_h, &sid, &data) >= 0 && data == r &&
	    rte_hash_del_key(f->local_h, &sid) >= 0)
		f->stats.local_members--;
}

/* The parts of a room derived from its member list. */
static void room_derive(const struct hy_fanout *f, struct hy_fanout_room *r)
{
	uint16_t i;

	memset(r->others, 0, sizeof(r->others));
	r->n_relay = 0;
	for (i = 0; i < r->n_members; i++) {
		const struct hy_table_member *m = &r->members[i];
		uint16_t w;

		if (m->kind != HY_TABLE_KIND_UDP) {
			r->n_relay++;
			continue;
		}
		w = hy_engine_owner(m->sid, f->cfg.n_workers);
		if (w != f->cfg.worker_id)
			r->others[w / 64u] |= 1ull << (w % 64u);
	}
}

static void room_clear_members(struct hy_fanout *f, struct hy_fanout_room *r)
{
	while (r->n_local > 0)
		local_del(f, r, r->local[r->n_local - 1].sid);
	r->n_members = 0;
	r->n_relay = 0;
	memset(r->others, 0, sizeof(r->others));
}

static void room_delete(struct hy_fanout *f, struct hy_fanout_room *r)
{
	uint64_t id = r->id;

	room_clear_members(f, r);
	room_free_arrays(f, r);
	rte_hash_del_key(f->rooms_h, &id);
	memset(r, 0, sizeof(*r));
	f->free_list[f->n_free++] = (uint32_t)(r - f->slot);
	f->stats.rooms--;
}

static int cmp_member(const void *a, const void *b)
{
	uint64_t x = ((const struct hy_table_member *)a)->sid;
	uint64_t y = ((const struct hy_table_member *)b)->sid;

	return x < y ? -1 : x > y;
}

static enum hy_reason room_set(struct hy_fanout *f, const struct hy_table_update *t)
{
	struct hy_fanout_room *r = (struct hy_fanout_room *)hy_fanout_find(f, t->room_id);
	uint32_t nlocal = 0, i;

	if (r == NULL) {
		if (f->n_free == 0)
			return HY_R_ROOM_LIMIT;
		r = &f->slot[f->free_list[f->n_free - 1]];
		if (rte_hash_add_key_data(f->rooms_h, &t->room_id, r) < 0)
			return HY_R_ROOM_LIMIT;
		f->n_free--;
		r->id = t->room_id;
		f->stats.rooms++;
	} else {
		room_clear_members(f, r);
	}
	for (i = 0; i < t->nmembers; i++) {
		struct hy_table_member m;

		hy_table_member_at(t, i, &m);
		nlocal += mine(f, &m);
	}
	if (room_reserve(f, r, t->nmembers) != 0 || local_reserve(f, r, nlocal) != 0) {
		room_delete(f, r);
		return HY_R_ROOM_NO_MEMORY;
	}
	r->version = t->version;
	r->interval_ms = t->interval_ms;
	r->max_members = t->max_members;
	for (i = 0; i < t->nmembers; i++)
		hy_table_member_at(t, i, &r->members[i]);
	r->n_members = t->nmembers;
	if (r->n_members > 1)
		qsort(r->members, r->n_members, sizeof(*r->members), cmp_member);
	for (i = 0; i < r->n_members; i++)
		if (mine(f, &r->members[i]))
			local_add(f, r, r->members[i].sid);
	room_derive(f, r);
	return HY_R_OK;
}

static enum hy_reason member_add(struct hy_fanout *f, struct hy_fanout_room *r,
				 const struct hy_table_member *m)
{
	uint16_t i = lower_bound(r, m->sid);

	if (i < r->n_members && r->members[i].sid == m->sid)
		return HY_R_OK; /* already there */
	if (r->n_members >= r->max_members || r->n_members >= HY_TABLE_MAX_MEMBERS)
		return HY_R_ROOM_FULL;
	if (room_reserve(f, r, r->n_members + 1u) != 0 ||
	    (mine(f, m) && local_reserve(f, r, r->n_local + 1u) != 0))
		return HY_R_ROOM_NO_MEMORY;
	memmove(&r->members[i + 1], &r->members[i], (r->n_members - i) * sizeof(*r->members));
	r->members[i] = *m;
	r->n_members++;
	if (mine(f, m))
		local_add(f, r, m->sid);
	room_derive(f, r);
	return HY_R_OK;
}

static void member_del(struct hy_fanout *f, struct hy_fanout_room *r, uint64_t sid)
{
	uint16_t i = lower_bound(r, sid);

	if (i >= r->n_members || r->members[i].sid != sid)
		return;
	memmove(&r->members[i], &r->members[i + 1],
		(r->n_members - i - 1u) * sizeof(*r->members));
	r->n_members--;
	local_del(f, r, sid);
	room_derive(f, r);
}

static enum hy_reason apply(struct hy_fanout *f, const struct hy_table_update *t)
{
	struct hy_fanout_room *r;
	enum hy_reason why;
	uint32_t i;

	switch (t->op) {
	case HY_TABLE_ROOM_CLEAR:
		for (i = 0; i < f->cfg.max_rooms; i++)
			if (f->slot[i].id != 0)
				room_delete(f, &f->slot[i]);
		return HY_R_OK;
	case HY_TABLE_ROOM_SET:
		return room_set(f, t);
	default:
		break;
	}
	r = (struct hy_fanout_room *)hy_fanout_find(f, t->room_id);
	if (r == NULL)
		return HY_R_ROOM_NOT_FOUND;
	if (t->op == HY_TABLE_ROOM_DEL) {
		room_delete(f, r);
		return HY_R_OK;
	}
	/* a member change must follow the version we hold */
	if (t->version != r->version + 1u)
		return HY_R_TABLE_GAP;
	if (t->op == HY_TABLE_ROOM_MEMBER_ADD) {
		why = member_add(f, r, &t->member);
		if (why != HY_R_OK)
			return why;
	} else {
		member_del(f, r, t->member.sid);
	}
	r->version = t->version;
	return HY_R_OK;
}

enum hy_reason hy_fanout_apply(struct hy_fanout *f, uint16_t op, const uint8_t *body,
			       size_t len)
{
	struct hy_table_update t;
	enum hy_reason why = hy_table_decode(op, body, len, &t);

	f->n_memo = 0; /* what it remembers may be about to change */
	if (why == HY_R_OK)
		why = apply(f, &t);
	if (why == HY_R_OK)
		f->stats.updates++;
	else
		f->stats.refused[why]++;
	return why;
}
