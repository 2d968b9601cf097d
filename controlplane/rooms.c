/* SPDX-License-Identifier: BSD-3-Clause
 * The room registry (rooms.h).
 *
 * Two hash tables keyed by u64 (rooms by id, sessions by sid), an
 * id-ordered list of rooms for LIST paging, a list of rooms with a free
 * place for RANDOM_JOIN and a list of empty rooms for the TTL timer, so no
 * operation but LIST from a vanished cursor scans every room.  Members are
 * an array in join order: the owner re-election is members[0].
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rooms.h"

#include "common/wire.h"

/* ---- a small intrusive u64 hash (chained, grows by doubling) ----------- */

struct hnode {
	uint64_t key;
	struct hnode *next;
};

struct htab {
	struct hnode **b;
	size_t mask;
	size_t n;
};

static uint64_t mix(uint64_t k)
{
	/* splitmix64 finaliser: ids and sids are sequential or random; spread
	 * both over the buckets */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	return k ^ (k >> 31);
}

static int htab_init(struct htab *h, size_t buckets)
{
	size_t n = 16;

	while (n < buckets)
		n <<= 1;
	h->b = calloc(n, sizeof(*h->b));
	h->mask = n - 1;
	h->n = 0;
	return h->b ? 0 : -1;
}

static struct hnode *htab_get(const struct htab *h, uint64_t key)
{
	struct hnode *e;

	for (e = h->b[mix(key) & h->mask]; e != NULL; e = e->next)
		if (e->key == key)
			return e;
	return NULL;
}

static void htab_grow(struct htab *h)
{
	size_t n = (h->mask + 1) * 2, i;
	struct hnode **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return; /* longer chains, still correct */
	for (i = 0; i <= h->mask; i++) {
		while (h->b[i] != NULL) {
			struct hnode *e = h->b[i];

			h->b[i] = e->next;
			e->next = b[mix(e->key) & (n - 1)];
			b[mix(e->key) & (n - 1)] = e;
		}
	}
	free(h->b);
	h->b = b;
	h->mask = n - 1;
}

static void htab_put(struct htab *h, struct hnode *e)
{
	struct hnode **slot;

	if (h->n >= 2 * (h->mask + 1))
		htab_grow(h);
	slot = &h->b[mix(e->key) & h->mask];
	e->next = *slot;
	*slot = e;
	h->n++;
}

static void htab_del(struct htab *h, struct hnode *e)
{
	struct hnode **p;

	for (p = &h->b[mix(e->key) & h->mask]; *p != NULL; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			h->n--;
			return;
		}
	}
}

/* ---- state ------------------------------------------------------------- */

struct member {
	uint64_t sid;
	uint8_t kind; /* enum hy_table_kind */
	uint8_t uid_len;
	char uid[HY_UID_MAX];
};

struct prop {
	uint8_t key[HY_ROOM_KEY_MAX];
	uint8_t key_len;
	uint8_t type;
	uint16_t val_len;
	int64_t i;
	uint8_t *val;
};

struct room {
	struct hnode h;                /* key: room id; first member */
	struct room *prev, *next;      /* every room, by id */
	struct room *oprev, *onext;    /* rooms with a free place */
	struct room *eprev, *enext;    /* empty rooms (TTL running) */
	bool in_open, in_empty;
	uint64_t owner;
	uint16_t max_members;
	bool allow_empty;
	uint32_t ttl_s, interval_ms;
	uint64_t created_ms, empty_until_ms;
	uint32_t version;
	struct member *m;
	uint16_t n, alloc;
	struct prop *props;            /* HY_ROOM_PROPS_MAX once the first is set */
	uint16_t nprops;
	uint32_t prop_bytes;
};

struct sess {
	struct hnode h;                /* key: sid */
	struct room *room;
};

struct hy_rooms {
	uint32_t node_id;
	struct hy_modules_config mods;
	struct hy_rooms_ops ops;
	uint32_t serial;
	struct htab rooms, sess;
	struct room *head, *tail;
	struct room *ohead, *otail;
	struct room *ehead;
	bool table_lost;               /* an update was not delivered: resync */
	unsigned depth;                /* calls running (re-entrancy guard) */
	uint64_t *pending;             /* sessions closed during a call */
	size_t npending, pending_alloc;
	_Atomic uint64_t c[HY_ROOMS_C_COUNT]; /* read by the HTTP threads too */
};

static const char *const counter_names[] = {
#define HY_ROOMS_CNT_NAME(name, text) #name,
	HY_ROOMS_COUNTERS(HY_ROOMS_CNT_NAME)
#undef HY_ROOMS_CNT_NAME
};

uint64_t hy_rooms_counter(const struct hy_rooms *r, enum hy_rooms_counter c)
{
	return (unsigned)c < HY_ROOMS_C_COUNT ? atomic_load_explicit(&r->c[c], memory_order_relaxed) :
						0;
}

const char *hy_rooms_counter_name(enum hy_rooms_counter c)
{
	return (unsigned)c < HY_ROOMS_C_COUNT ? counter_names[c] : "unknown";
}

static struct room *room_get(const struct hy_rooms *r, uint64_t id)
{
	return (struct room *)htab_get(&r->rooms, id);
}

static struct sess *sess_get(const struct hy_rooms *r, uint64_t sid)
{
	return (struct sess *)htab_get(&r->sess, sid);
}

/* ---- lists ------------------------------------------------------------- */

static void open_add(struct hy_rooms *r, struct room *rm)
{
	if (rm->in_open)
		return;
	rm->in_open = true;
	rm->onext = NULL;
	rm->oprev = r->otail;
	if (r->otail)
		r->otail->onext = rm;
	else
		r->ohead = rm;
	r->otail = rm;
}

static void open_del(struct hy_rooms *r, struct room *rm)
{
	if (!rm->in_open)
		return;
	rm->in_open = false;
	if (rm->oprev)
		rm->oprev->onext = rm->onext;
	else
		r->ohead = rm->onext;
	if (rm->onext)
		rm->onext->oprev = rm->oprev;
	else
		r->otail = rm->oprev;
}

static void empty_add(struct hy_rooms *r, struct room *rm)
{
	if (rm->in_empty)
		return;
	rm->in_empty = true;
	rm->eprev = NULL;
	rm->enext = r->ehead;
	if (r->ehead)
		r->ehead->eprev = rm;
	r->ehead = rm;
}

static void empty_del(struct hy_rooms *r, struct room *rm)
{
	if (!rm->in_empty)
		return;
	rm->in_empty = false;
	if (rm->eprev)
		rm->eprev->enext = rm->enext;
	else
		r->ehead = rm->enext;
	if (rm->enext)
		rm->enext->eprev = rm->eprev;
}

/* Ids grow with the serial, so a new room goes at the tail, except after
 * the serial wraps: walk back to its place. */
static void order_add(struct hy_rooms *r, struct room *rm)
{
	struct room *p = r->tail;

	while (p != NULL && p->h.key > rm->h.key)
		p = p->prev;
	rm->prev = p;
	rm->next = p ? p->next : r->head;
	if (rm->next)
		rm->next->prev = rm;
	else
		r->tail = rm;
	if (p)
		p->next = rm;
	else
		r->head = rm;
}

static void order_del(struct hy_rooms *r, struct room *rm)
{
	if (rm->prev)
		rm->prev->next = rm->next;
	else
		r->head = rm->next;
	if (rm->next)
		rm->next->prev = rm->prev;
	else
		r->tail = rm->prev;
}

/* ---- data-plane table -------------------------------------------------- */

static void table_send(struct hy_rooms *r, const struct hy_table_update *t,
		       const struct hy_table_member *members)
{
	static uint8_t body[HY_TABLE_SET_FIXED + HY_TABLE_MAX_MEMBERS * HY_TABLE_MEMBER_LEN];
	size_t len;

	if (r->ops.table == NULL || r->table_lost)
		return; /* while lost, the next resync carries the change */
	if (hy_table_encode(t, members, body, sizeof(body), &len) != HY_R_OK ||
	    r->ops.table(r->ops.arg, t->op, body, len) < 0) {
		r->c[HY_ROOMS_C_table_failed]++;
		r->table_lost = true;
		return;
	}
	r->c[HY_ROOMS_C_table_updates]++;
}

static void table_room_set(struct hy_rooms *r, struct room *rm)
{
	static struct hy_table_member mem[HY_TABLE_MAX_MEMBERS];
	struct hy_table_update t = {
		.op = HY_TABLE_ROOM_SET, .room_id = rm->h.key, .version = rm->version,
		.interval_ms = rm->interval_ms, .max_members = rm->max_members,
		.nmembers = rm->n,
	};
	unsigned i;

	for (i = 0; i < rm->n; i++) {
		mem[i].sid = rm->m[i].sid;
		mem[i].kind = rm->m[i].kind;
	}
	table_send(r, &t, mem);
}

static void table_member(struct hy_rooms *r, struct room *rm, uint16_t op, const struct member *m)
{
	struct hy_table_update t = {
		.op = op, .room_id = rm->h.key, .version = ++rm->version,
		.member = { .sid = m->sid, .kind = m->kind },
	};

	table_send(r, &t, NULL);
}

void hy_rooms_table_resync(struct hy_rooms *r)
{
	struct hy_table_update clear = { .op = HY_TABLE_ROOM_CLEAR };
	struct room *rm;

	r->table_lost = false;
	table_send(r, &clear, NULL);
	for (rm = r->head; rm != NULL && !r->table_lost; rm = rm->next)
		table_room_set(r, rm);
}

/* ---- pushes ------------------------------------------------------------ */

/* The members of rm but skip, into out. */
static size_t others(const struct room *rm, uint64_t skip, uint64_t *out)
{
	size_t i, n = 0;

	for (i = 0; i < rm->n; i++)
		if (rm->m[i].sid != skip)
			out[n++] = rm->m[i].sid;
	return n;
}

/* room_id u64 | sid u64 | [members u16] | uid_len u8 | uid */
static void push_member(struct hy_rooms *r, const struct room *rm, uint16_t cmd, uint64_t sid,
			const char *uid, uint8_t uid_len, bool with_count, uint64_t skip)
{
	uint64_t sids[HY_ROOM_MEMBERS_MAX];
	uint8_t pl[8 + 8 + 2 + 1 + HY_UID_MAX];
	struct hy_wr w;
	size_t n;

	if (r->ops.push == NULL)
		return;
	n = others(rm, skip, sids);
	if (n == 0)
		return;
	hy_wr_init(&w, pl, sizeof(pl));
	hy_wr_u64(&w, rm->h.key);
	hy_wr_u64(&w, sid);
	if (with_count)
		hy_wr_u16(&w, rm->n);
	hy_wr_u8(&w, uid_len);
	hy_wr_bytes(&w, uid, uid_len);
	r->ops.push(r->ops.arg, sids, n, cmd, pl, w.off);
}

/* ---- re-entrancy ------------------------------------------------------- */

static void leave_now(struct hy_rooms *r, struct sess *s, uint64_t now_ms);

static void enter(struct hy_rooms *r)
{
	r->depth++;
}

static void leave_call(struct hy_rooms *r, uint64_t now_ms)
{
	if (r->depth > 1) {
		r->depth--;
		return;
	}
	/* Still depth 1 while the queued closes run: their pushes may queue
	 * more, which this loop picks up. */
	while (r->npending > 0) {
		uint64_t sid = r->pending[--r->npending];
		struct sess *s = sess_get(r, sid);

		if (s != NULL)
			leave_now(r, s, now_ms);
	}
	r->depth = 0;
}

/* ---- create, delete ---------------------------------------------------- */

struct hy_rooms *hy_rooms_create(uint32_t node_id, const struct hy_modules_config *mods,
				 const struct hy_rooms_ops *ops, uint32_t seed)
{
	struct hy_rooms *r = calloc(1, sizeof(*r));
	size_t want = mods->rooms.max_rooms < 65536 ? mods->rooms.max_rooms : 65536;

	if (r == NULL)
		return NULL;
	r->node_id = node_id;
	r->mods = *mods;
	if (r->mods.rooms.max_members > HY_ROOM_MEMBERS_MAX)
		r->mods.rooms.max_members = HY_ROOM_MEMBERS_MAX;
	if (r->mods.rooms.max_members == 0)
		r->mods.rooms.max_members = 1;
	if (ops)
		r->ops = *ops;
	r->serial = seed;
	if (htab_init(&r->rooms, want) < 0 || htab_init(&r->sess, want) < 0) {
		hy_rooms_destroy(r);
		return NULL;
	}
	return r;
}

static void room_free(struct room *rm)
{
	unsigned i;

	for (i = 0; rm->props && i < rm->nprops; i++)
		free(rm->props[i].val);
	free(rm->props);
	free(rm->m);
	free(rm);
}

void hy_rooms_destroy(struct hy_rooms *r)
{
	size_t i;

	if (r == NULL)
		return;
	while (r->head) {
		struct room *rm = r->head;

		r->head = rm->next;
		room_free(rm);
	}
	for (i = 0; r->sess.b && i <= r->sess.mask; i++) {
		while (r->sess.b[i]) {
			struct hnode *e = r->sess.b[i];

			r->sess.b[i] = e->next;
			free(e);
		}
	}
	free(r->rooms.b);
	free(r->sess.b);
	free(r->pending);
	free(r);
}

static void room_delete(struct hy_rooms *r, struct room *rm)
{
	struct hy_table_update t = { .op = HY_TABLE_ROOM_DEL, .room_id = rm->h.key,
				     .version = rm->version + 1 };

	table_send(r, &t, NULL);
	open_del(r, rm);
	empty_del(r, rm);
	order_del(r, rm);
	htab_del(&r->rooms, &rm->h);
	room_free(rm);
	r->c[HY_ROOMS_C_live]--;
}

static uint64_t next_id(struct hy_rooms *r)
{
	for (;;) {
		uint64_t id = (uint64_t)r->node_id << 32 | ++r->serial;

		if (r->serial != 0 && room_get(r, id) == NULL)
			return id;
	}
}

/* Resolves p against the module defaults; false if a field is out of
 * range. */
static bool resolve(const struct hy_rooms *r, const struct hy_room_params *p,
		    struct hy_room_params *out)
{
	*out = *p;
	if (out->max_members == 0)
		out->max_members = (uint16_t)r->mods.rooms.max_members;
	if (out->allow_empty == 2)
		out->allow_empty = r->mods.rooms.allow_empty;
	if (out->ttl_s == 0)
		out->ttl_s = r->mods.rooms.empty_ttl_s;
	if (out->interval_ms == 0)
		out->interval_ms = r->mods.rooms.broadcast_interval_ms;
	return out->max_members <= r->mods.rooms.max_members && out->allow_empty <= 1 &&
	       out->ttl_s <= HY_ROOM_TTL_MAX_S && out->interval_ms <= HY_ROOM_INTERVAL_MAX_MS;
}

/* Adds sid to rm (room has a free place, sid in no room). */
static enum hy_reason add_member(struct hy_rooms *r, struct room *rm, uint64_t sid,
				 const char *uid, size_t uid_len)
{
	struct sess *s;
	struct member *m;

	if (rm->n == rm->alloc) {
		uint16_t n = rm->alloc ? (uint16_t)(rm->alloc * 2) : 4;
		struct member *nm;

		if (n > rm->max_members)
			n = rm->max_members;
		nm = realloc(rm->m, n * sizeof(*nm));
		if (nm == NULL)
			return HY_R_ROOM_NO_MEMORY;
		rm->m = nm;
		rm->alloc = n;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return HY_R_ROOM_NO_MEMORY;
	s->h.key = sid;
	s->room = rm;
	htab_put(&r->sess, &s->h);
	m = &rm->m[rm->n++];
	m->sid = sid;
	m->kind = r->ops.is_relay && r->ops.is_relay(r->ops.arg, sid) ? HY_TABLE_KIND_RELAY :
									  HY_TABLE_KIND_UDP;
	m->uid_len = (uint8_t)(uid_len < HY_UID_MAX ? uid_len : HY_UID_MAX);
	memcpy(m->uid, uid, m->uid_len);
	if (rm->owner == 0)
		rm->owner = sid;
	rm->empty_until_ms = 0;
	empty_del(r, rm);
	if (rm->n == rm->max_members)
		open_del(r, rm);
	r->c[HY_ROOMS_C_joins]++;
	return HY_R_OK;
}

static enum hy_reason create_locked(struct hy_rooms *r, uint64_t sid, const char *uid,
				    size_t uid_len, const struct hy_room_params *p,
				    uint64_t now_ms, uint64_t *room_id)
{
	struct hy_room_params rp;
	struct room *rm;
	enum hy_reason why;

	if (sess_get(r, sid) != NULL)
		return HY_R_ROOM_ALREADY_IN;
	if (!resolve(r, p, &rp))
		return HY_R_ROOM_BAD_PARAMS;
	if (r->rooms.n >= r->mods.rooms.max_rooms) {
		r->c[HY_ROOMS_C_limit]++;
		return HY_R_ROOM_LIMIT;
	}
	rm = calloc(1, sizeof(*rm));
	if (rm == NULL)
		return HY_R_ROOM_NO_MEMORY;
	rm->h.key = next_id(r);
	rm->max_members = rp.max_members;
	rm->allow_empty = rp.allow_empty;
	rm->ttl_s = rp.ttl_s;
	rm->interval_ms = rp.interval_ms;
	rm->created_ms = now_ms;
	htab_put(&r->rooms, &rm->h);
	order_add(r, rm);
	open_add(r, rm);
	why = add_member(r, rm, sid, uid, uid_len);
	if (why != HY_R_OK) {
		open_del(r, rm);
		order_del(r, rm);
		htab_del(&r->rooms, &rm->h);
		room_free(rm);
		return why;
	}
	r->c[HY_ROOMS_C_created]++;
	r->c[HY_ROOMS_C_live]++;
	table_room_set(r, rm);
	*room_id = rm->h.key;
	return HY_R_OK;
}

enum hy_reason hy_rooms_create_room(struct hy_rooms *r, uint64_t sid, const char *uid,
				    size_t uid_len, const struct hy_room_params *p,
				    uint64_t now_ms, uint64_t *room_id)
{
	enum hy_reason why;

	enter(r);
	why = create_locked(r, sid, uid, uid_len, p, now_ms, room_id);
	leave_call(r, now_ms);
	return why;
}

static enum hy_reason join_locked(struct hy_rooms *r, uint64_t sid, const char *uid,
				  size_t uid_len, struct room *rm)
{
	enum hy_reason why;
	const struct member *m;

	if (sess_get(r, sid) != NULL)
		return HY_R_ROOM_ALREADY_IN;
	if (rm->n >= rm->max_members) {
		r->c[HY_ROOMS_C_full]++;
		return HY_R_ROOM_FULL;
	}
	why = add_member(r, rm, sid, uid, uid_len);
	if (why != HY_R_OK)
		return why;
	m = &rm->m[rm->n - 1];
	table_member(r, rm, HY_TABLE_ROOM_MEMBER_ADD, m);
	push_member(r, rm, HY_ROOM_PUSH_MEMBER_JOINED, sid, m->uid, m->uid_len, true, sid);
	return HY_R_OK;
}

enum hy_reason hy_rooms_join(struct hy_rooms *r, uint64_t sid, const char *uid, size_t uid_len,
			     uint64_t room_id, uint64_t now_ms)
{
	struct room *rm = room_get(r, room_id);
	enum hy_reason why;

	if (rm == NULL)
		return HY_R_ROOM_NOT_FOUND;
	enter(r);
	why = join_locked(r, sid, uid, uid_len, rm);
	leave_call(r, now_ms);
	return why;
}

enum hy_reason hy_rooms_random_join(struct hy_rooms *r, uint64_t sid, const char *uid,
				    size_t uid_len, const struct hy_room_params *p,
				    uint64_t now_ms, uint64_t *room_id, bool *created)
{
	struct hy_room_params rp;
	struct room *rm;
	enum hy_reason why;

	*created = false;
	if (sess_get(r, sid) != NULL)
		return HY_R_ROOM_ALREADY_IN;
	if (!resolve(r, p, &rp))
		return HY_R_ROOM_BAD_PARAMS;
	for (rm = r->ohead; rm != NULL; rm = rm->onext)
		if (rm->max_members == rp.max_members && rm->interval_ms == rp.interval_ms)
			break;
	enter(r);
	if (rm != NULL) {
		why = join_locked(r, sid, uid, uid_len, rm);
		if (why == HY_R_OK)
			*room_id = rm->h.key;
	} else {
		why = create_locked(r, sid, uid, uid_len, p, now_ms, room_id);
		*created = why == HY_R_OK;
	}
	leave_call(r, now_ms);
	return why;
}

/* ---- leave ------------------------------------------------------------- */

static void leave_now(struct hy_rooms *r, struct sess *s, uint64_t now_ms)
{
	struct room *rm = s->room;
	struct member gone;
	bool was_owner;
	unsigned i;

	for (i = 0; i < rm->n && rm->m[i].sid != s->h.key; i++)
		;
	if (i == rm->n)
		return; /* cannot happen: the session index and the room agree */
	gone = rm->m[i];
	memmove(&rm->m[i], &rm->m[i + 1], (rm->n - i - 1) * sizeof(rm->m[0]));
	rm->n--;
	htab_del(&r->sess, &s->h);
	free(s);
	r->c[HY_ROOMS_C_leaves]++;
	was_owner = rm->owner == gone.sid;
	rm->owner = rm->n ? (was_owner ? rm->m[0].sid : rm->owner) : 0;

	if (rm->n == 0) {
		if (!rm->allow_empty || rm->ttl_s == 0) {
			r->c[HY_ROOMS_C_deleted]++;
			room_delete(r, rm);
			return;
		}
		table_member(r, rm, HY_TABLE_ROOM_MEMBER_DEL, &gone);
		rm->empty_until_ms = now_ms + (uint64_t)rm->ttl_s * 1000u;
		empty_add(r, rm);
		open_add(r, rm);
		return;
	}
	open_add(r, rm);
	table_member(r, rm, HY_TABLE_ROOM_MEMBER_DEL, &gone);
	push_member(r, rm, HY_ROOM_PUSH_MEMBER_LEFT, gone.sid, gone.uid, gone.uid_len, true, 0);
	/* The push may have closed members (queued, not yet applied): rm is
	 * still valid here because queued closes only run at the outer end. */
	if (was_owner) {
		r->c[HY_ROOMS_C_owner_changes]++;
		push_member(r, rm, HY_ROOM_PUSH_OWNER_CHANGED, rm->m[0].sid, rm->m[0].uid,
			    rm->m[0].uid_len, false, 0);
	}
}

enum hy_reason hy_rooms_leave(struct hy_rooms *r, uint64_t sid, uint64_t now_ms)
{
	struct sess *s = sess_get(r, sid);

	if (s == NULL)
		return HY_R_ROOM_NOT_IN;
	enter(r);
	leave_now(r, s, now_ms);
	leave_call(r, now_ms);
	return HY_R_OK;
}

void hy_rooms_session_closed(struct hy_rooms *r, uint64_t sid, uint64_t now_ms)
{
	if (sess_get(r, sid) == NULL)
		return;
	if (r->depth > 0) {
		if (r->npending == r->pending_alloc) {
			size_t n = r->pending_alloc ? r->pending_alloc * 2 : 16;
			uint64_t *p = realloc(r->pending, n * sizeof(*p));

			if (p == NULL)
				return; /* the member stays until its sid is reused: never */
			r->pending = p;
			r->pending_alloc = n;
		}
		r->pending[r->npending++] = sid;
		return;
	}
	hy_rooms_leave(r, sid, now_ms);
}

size_t hy_rooms_drop_if(struct hy_rooms *r, bool relay, bool (*gone)(void *arg, uint64_t sid),
			void *arg, uint64_t now_ms)
{
	uint8_t kind = relay ? HY_TABLE_KIND_RELAY : HY_TABLE_KIND_UDP;
	struct room *rm, *next;
	size_t n = 0;

	/* Queued while depth > 0, applied at the end: leaving can delete
	 * rooms under the walk. */
	enter(r);
	for (rm = r->head; rm != NULL; rm = next) {
		unsigned i;

		next = rm->next;
		for (i = 0; i < rm->n; i++) {
			if (rm->m[i].kind == kind && (gone == NULL || gone(arg, rm->m[i].sid))) {
				hy_rooms_session_closed(r, rm->m[i].sid, now_ms);
				n++;
			}
		}
	}
	leave_call(r, now_ms);
	return n;
}

void hy_rooms_tick(struct hy_rooms *r, uint64_t now_ms)
{
	struct room *rm, *next;

	enter(r);
	for (rm = r->ehead; rm != NULL; rm = next) {
		next = rm->enext;
		if (rm->n == 0 && now_ms >= rm->empty_until_ms) {
			r->c[HY_ROOMS_C_expired]++;
			room_delete(r, rm);
		}
	}
	if (r->table_lost)
		hy_rooms_table_resync(r);
	leave_call(r, now_ms);
}

/* ---- queries ----------------------------------------------------------- */

uint32_t hy_rooms_node_id(const struct hy_rooms *r)
{
	return r->node_id;
}

uint64_t hy_rooms_room_of(const struct hy_rooms *r, uint64_t sid)
{
	const struct sess *s = sess_get(r, sid);

	return s ? s->room->h.key : 0;
}

static void fill_info(const struct room *rm, struct hy_room_info *info)
{
	info->id = rm->h.key;
	info->owner = rm->owner;
	info->max_members = rm->max_members;
	info->members = rm->n;
	info->allow_empty = rm->allow_empty;
	info->ttl_s = rm->ttl_s;
	info->interval_ms = rm->interval_ms;
	info->props = rm->nprops;
	info->created_ms = rm->created_ms;
}

int hy_rooms_info(const struct hy_rooms *r, uint64_t room_id, struct hy_room_info *info)
{
	const struct room *rm = room_get(r, room_id);

	if (rm == NULL)
		return -1;
	fill_info(rm, info);
	return 0;
}

int hy_rooms_members(const struct hy_rooms *r, uint64_t room_id, size_t offset, uint64_t *sids,
		     size_t cap)
{
	const struct room *rm = room_get(r, room_id);
	size_t i, n = 0;

	if (rm == NULL)
		return -1;
	for (i = offset; i < rm->n && n < cap; i++)
		sids[n++] = rm->m[i].sid;
	return (int)n;
}

size_t hy_rooms_list(const struct hy_rooms *r, uint64_t after, bool joinable,
		     struct hy_room_info *out, size_t cap, size_t *total)
{
	const struct room *rm = after ? room_get(r, after) : NULL;
	size_t n = 0;

	if (total)
		*total = r->rooms.n;
	if (rm != NULL)
		rm = rm->next;
	else /* cursor gone or none: walk from the start */
		for (rm = r->head; rm != NULL && rm->h.key <= after; rm = rm->next)
			;
	for (; rm != NULL && n < cap; rm = rm->next) {
		if (joinable && rm->n >= rm->max_members)
			continue;
		fill_info(rm, &out[n++]);
	}
	return n;
}

size_t hy_rooms_count(const struct hy_rooms *r)
{
	return r->rooms.n;
}

/* ---- properties -------------------------------------------------------- */

static int prop_find(const struct room *rm, const uint8_t *key, size_t key_len)
{
	unsigned i;

	for (i = 0; i < rm->nprops; i++)
		if (rm->props[i].key_len == key_len && memcmp(rm->props[i].key, key, key_len) == 0)
			return (int)i;
	return -1;
}

static size_t prop_cost(size_t key_len, uint8_t type, size_t val_len)
{
	return key_len + (type == HY_PROP_INT ? 8u : val_len);
}

static void prop_out(const struct prop *p, struct hy_room_prop *out)
{
	out->key = p->key;
	out->key_len = p->key_len;
	out->type = p->type;
	out->i = p->i;
	out->val = p->val;
	out->val_len = p->val_len;
}

/* The room of room_id if sid is a member: *why otherwise. */
static struct room *member_room(const struct hy_rooms *r, uint64_t sid, uint64_t room_id,
				enum hy_reason *why)
{
	struct room *rm = room_get(r, room_id);
	const struct sess *s;

	if (rm == NULL) {
		*why = HY_R_ROOM_NOT_FOUND;
		return NULL;
	}
	s = sess_get(r, sid);
	if (s == NULL || s->room != rm) {
		*why = HY_R_ROOM_NOT_IN;
		return NULL;
	}
	return rm;
}

static bool props_alloc(struct room *rm)
{
	if (rm->props == NULL)
		rm->props = calloc(HY_ROOM_PROPS_MAX, sizeof(*rm->props));
	return rm->props != NULL;
}

enum hy_reason hy_rooms_props_set(struct hy_rooms *r, uint64_t sid, uint64_t room_id,
				  const struct hy_room_prop *props, size_t n)
{
	uint8_t *bufs[HY_ROOM_PROPS_MAX] = { NULL };
	enum hy_reason why;
	struct room *rm = member_room(r, sid, room_id, &why);
	size_t i, j, count, bytes;

	if (rm == NULL)
		return why;
	if (n > HY_ROOM_PROPS_MAX)
		return HY_R_ROOM_PROPS_FULL;
	/* Check everything, then change everything: all or none. */
	count = rm->nprops;
	bytes = rm->prop_bytes;
	for (i = 0; i < n; i++) {
		const struct hy_room_prop *p = &props[i];
		int at;

		if (p->key_len == 0 || p->key_len > HY_ROOM_KEY_MAX ||
		    (p->type != HY_PROP_INT && p->type != HY_PROP_BYTES) ||
		    (p->type == HY_PROP_BYTES && p->val_len > HY_ROOM_VALUE_MAX))
			return HY_R_ROOM_BAD_PARAMS;
		for (j = 0; j < i; j++)
			if (props[j].key_len == p->key_len &&
			    memcmp(props[j].key, p->key, p->key_len) == 0)
				return HY_R_ROOM_BAD_PARAMS;
		at = rm->props ? prop_find(rm, p->key, p->key_len) : -1;
		if (at < 0) {
			count++;
		} else {
			const struct prop *o = &rm->props[at];

			bytes -= prop_cost(o->key_len, o->type, o->val_len);
		}
		bytes += prop_cost(p->key_len, p->type, p->val_len);
	}
	if (count > HY_ROOM_PROPS_MAX || bytes > HY_ROOM_PROP_BYTES)
		return HY_R_ROOM_PROPS_FULL;
	if (n > 0 && !props_alloc(rm))
		return HY_R_ROOM_NO_MEMORY;
	for (i = 0; i < n; i++) {
		if (props[i].type == HY_PROP_BYTES && props[i].val_len > 0) {
			bufs[i] = malloc(props[i].val_len);
			if (bufs[i] == NULL) {
				while (i > 0)
					free(bufs[--i]);
				return HY_R_ROOM_NO_MEMORY;
			}
			memcpy(bufs[i], props[i].val, props[i].val_len);
		}
	}
	for (i = 0; i < n; i++) {
		const struct hy_room_prop *p = &props[i];
		int at = prop_find(rm, p->key, p->key_len);
		struct prop *d;

		if (at < 0) {
			d = &rm->props[rm->nprops++];
			memcpy(d->key, p->key, p->key_len);
			d->key_len = p->key_len;
		} else {
			d = &rm->props[at];
			free(d->val);
		}
		d->type = p->type;
		d->i = p->type == HY_PROP_INT ? p->i : 0;
		d->val = bufs[i];
		d->val_len = p->type == HY_PROP_BYTES ? p->val_len : 0;
	}
	rm->prop_bytes = (uint32_t)bytes;
	return HY_R_OK;
}

enum hy_reason hy_rooms_props_incr(struct hy_rooms *r, uint64_t sid, uint64_t room_id,
				   const uint8_t *key, size_t key_len, int64_t delta,
				   int64_t *value)
{
	enum hy_reason why;
	struct room *rm = member_room(r, sid, room_id, &why);
	struct prop *d;
	int64_t v;
	int at;

	if (rm == NULL)
		return why;
	if (key_len == 0 || key_len > HY_ROOM_KEY_MAX)
		return HY_R_ROOM_BAD_PARAMS;
	at = rm->props ? prop_find(rm, key, key_len) : -1;
	if (at < 0) {
		if (rm->nprops >= HY_ROOM_PROPS_MAX ||
		    rm->prop_bytes + prop_cost(key_len, HY_PROP_INT, 0) > HY_ROOM_PROP_BYTES)
			return HY_R_ROOM_PROPS_FULL;
		if (!props_alloc(rm))
			return HY_R_ROOM_NO_MEMORY;
		d = &rm->props[rm->nprops++];
		memset(d, 0, sizeof(*d));
		memcpy(d->key, key, key_len);
		d->key_len = (uint8_t)key_len;
		d->type = HY_PROP_INT;
		rm->prop_bytes += (uint32_t)prop_cost(key_len, HY_PROP_INT, 0);
	} else {
		d = &rm->props[at];
		if (d->type != HY_PROP_INT)
			return HY_R_ROOM_PROP_TYPE;
	}
	if (__builtin_add_overflow(d->i, delta, &v))
		return HY_R_ROOM_OVERFLOW; /* a new key starts at 0: never here */
	d->i = v;
	*value = v;
	return HY_R_OK;
}

int hy_rooms_prop_get(const struct hy_rooms *r, uint64_t room_id, const uint8_t *key,
		      size_t key_len, struct hy_room_prop *out)
{
	const struct room *rm = room_get(r, room_id);
	int at;

	if (rm == NULL)
		return -2;
	at = rm->props ? prop_find(rm, key, key_len) : -1;
	if (at < 0)
		return -1;
	prop_out(&rm->props[at], out);
	return 0;
}

int hy_rooms_prop_at(const struct hy_rooms *r, uint64_t room_id, size_t i,
		     struct hy_room_prop *out)
{
	const struct room *rm = room_get(r, room_id);

	if (rm == NULL)
		return -2;
	if (i >= rm->nprops)
		return -1;
	prop_out(&rm->props[i], out);
	return 0;
}
