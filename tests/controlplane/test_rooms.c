/* SPDX-License-Identifier: BSD-3-Clause
 * The room registry (controlplane/rooms.c) on its own: a recording push
 * sink, a recording table sink (every body decoded with the ring's
 * codec), and a clock the test moves.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "rooms.h"

#include "common/wire.h"

#define NODE 7u
#define MAXP 64

struct push {
	uint16_t cmd;
	uint64_t to[HY_ROOM_MEMBERS_MAX];
	size_t n;
	uint8_t pl[128];
	size_t len;
};

static struct push pushes[MAXP];
static size_t npush;
static struct hy_table_update tables[256];
static uint8_t table_bodies[256][HY_TABLE_SET_FIXED + 64 * HY_TABLE_MEMBER_LEN];
static size_t ntable;
static int table_fail;          /* fail the next n table sends */
static struct hy_rooms *closing_rooms; /* re-entrancy test */
static uint64_t close_on_push;

static void on_push(void *arg, const uint64_t *sids, size_t n, uint16_t cmd,
		    const uint8_t *payload, size_t len)
{
	struct push *p;

	(void)arg;
	if (close_on_push && closing_rooms) {
		uint64_t sid = close_on_push;

		close_on_push = 0;
		/* as the TCP server does when a push overflows a consumer */
		hy_rooms_session_closed(closing_rooms, sid, 0);
	}
	ck_assert_uint_lt(npush, MAXP);
	p = &pushes[npush++];
	p->cmd = cmd;
	memcpy(p->to, sids, n * sizeof(*sids));
	p->n = n;
	ck_assert_uint_le(len, sizeof(p->pl));
	memcpy(p->pl, payload, len);
	p->len = len;
}

static int on_table(void *arg, uint16_t op, const uint8_t *body, size_t len)
{
	(void)arg;
	if (table_fail > 0) {
		table_fail--;
		return -1;
	}
	ck_assert_uint_lt(ntable, 256);
	ck_assert_uint_le(len, sizeof(table_bodies[0]));
	memcpy(table_bodies[ntable], body, len);
	ck_assert_int_eq(hy_table_decode(op, table_bodies[ntable], len, &tables[ntable]), HY_R_OK);
	ntable++;
	return 0;
}

static bool relay_odd(void *arg, uint64_t sid)
{
	(void)arg;
	return sid & 1; /* odd sids play TCP members */
}

static struct hy_rooms *make(uint32_t max_rooms, uint32_t max_members, bool allow_empty,
			     uint32_t ttl_s)
{
	struct hy_modules_config m;
	struct hy_rooms_ops ops = {
		.push = on_push, .table = on_table, .is_relay = relay_odd,
	};

	hy_conf_modules_defaults(&m);
	m.rooms.max_rooms = max_rooms;
	m.rooms.max_members = max_members;
	m.rooms.allow_empty = allow_empty;
	m.rooms.empty_ttl_s = ttl_s;
	npush = ntable = 0;
	table_fail = 0;
	close_on_push = 0;
	closing_rooms = NULL;
	return hy_rooms_create(NODE, &m, &ops, 100);
}

static const struct hy_room_params defaults = { .allow_empty = 2 };

static uint64_t u64_at(const uint8_t *p)
{
	struct hy_rd r;

	hy_rd_init(&r, p, 8);
	return hy_rd_u64(&r);
}

static bool pushed_to(const struct push *p, uint64_t sid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->to[i] == sid)
			return true;
	return false;
}

START_TEST(create_join_leave)
{
	struct hy_rooms *r = make(16, 8, false, 0);
	struct hy_room_info ri;
	uint64_t id = 0, sids[8];

	ck_assert_int_eq(hy_rooms_create_room(r, 10, "ann", 3, &defaults, 0, &id), HY_R_OK);
	ck_assert_uint_eq(id >> 32, NODE);
	ck_assert_uint_eq(id & 0xffffffffu, 101);
	ck_assert_uint_eq(hy_rooms_room_of(r, 10), id);
	ck_assert_uint_eq(npush, 0);
	ck_assert_uint_eq(ntable, 1);
	ck_assert_uint_eq(tables[0].op, HY_TABLE_ROOM_SET);
	ck_assert_uint_eq(tables[0].room_id, id);
	ck_assert_uint_eq(tables[0].nmembers, 1);
	ck_assert_uint_eq(tables[0].max_members, 8);

	ck_assert_int_eq(hy_rooms_join(r, 11, "bob", 3, id, 0), HY_R_OK);
	ck_assert_uint_eq(npush, 1);
	ck_assert_uint_eq(pushes[0].cmd, HY_ROOM_PUSH_MEMBER_JOINED);
	ck_assert_uint_eq(pushes[0].n, 1);
	ck_assert_uint_eq(pushes[0].to[0], 10);
	ck_assert_uint_eq(u64_at(pushes[0].pl), id);
	ck_assert_uint_eq(u64_at(pushes[0].pl + 8), 11);
	ck_assert_uint_eq(pushes[0].len, 8 + 8 + 2 + 1 + 3);
	ck_assert_mem_eq(pushes[0].pl + 19, "bob", 3);
	ck_assert_uint_eq(tables[1].op, HY_TABLE_ROOM_MEMBER_ADD);
	ck_assert_uint_eq(tables[1].member.sid, 11);
	ck_assert_uint_eq(tables[1].member.kind, HY_TABLE_KIND_RELAY);
	ck_assert_uint_eq(tables[1].version, 1);

	ck_assert_int_eq(hy_rooms_join(r, 12, "cat", 3, id, 0), HY_R_OK);
	ck_assert_uint_eq(pushes[1].n, 2);
	ck_assert(pushed_to(&pushes[1], 10) && pushed_to(&pushes[1], 11));
	ck_assert_uint_eq(tables[2].member.kind, HY_TABLE_KIND_UDP);

	ck_assert_int_eq(hy_rooms_info(r, id, &ri), 0);
	ck_assert_uint_eq(ri.members, 3);
	ck_assert_uint_eq(ri.owner, 10);
	ck_assert_int_eq(hy_rooms_members(r, id, 0, sids, 8), 3);
	ck_assert_uint_eq(sids[0], 10);
	ck_assert_uint_eq(sids[2], 12);
	ck_assert_int_eq(hy_rooms_members(r, id, 2, sids, 8), 1);

	/* errors */
	ck_assert_int_eq(hy_rooms_join(r, 12, "cat", 3, id, 0), HY_R_ROOM_ALREADY_IN);
	ck_assert_int_eq(hy_rooms_join(r, 13, "dan", 3, id + 1, 0), HY_R_ROOM_NOT_FOUND);
	ck_assert_int_eq(hy_rooms_create_room(r, 12, "cat", 3, &defaults, 0, &id),
			 HY_R_ROOM_ALREADY_IN);
	ck_assert_int_eq(hy_rooms_leave(r, 99, 0), HY_R_ROOM_NOT_IN);

	npush = 0;
	ck_assert_int_eq(hy_rooms_leave(r, 11, 0), HY_R_OK);
	ck_assert_uint_eq(npush, 1);
	ck_assert_uint_eq(pushes[0].cmd, HY_ROOM_PUSH_MEMBER_LEFT);
	ck_assert_uint_eq(pushes[0].n, 2);
	ck_assert(pushed_to(&pushes[0], 10) && pushed_to(&pushes[0], 12));
	ck_assert_uint_eq(tables[ntable - 1].op, HY_TABLE_ROOM_MEMBER_DEL);
	ck_assert_uint_eq(hy_rooms_room_of(r, 11), 0);

	/* last members leave: no allow_empty, so the room goes at once */
	ck_assert_int_eq(hy_rooms_leave(r, 10, 0), HY_R_OK);
	hy_rooms_session_closed(r, 12, 0);
	ck_assert_int_eq(hy_rooms_info(r, id, &ri), -1);
	ck_assert_uint_eq(hy_rooms_count(r), 0);
	ck_assert_uint_eq(tables[ntable - 1].op, HY_TABLE_ROOM_DEL);
	ck_assert_uint_eq(hy_rooms_counter(r, HY_ROOMS_C_deleted), 1);
	hy_rooms_destroy(r);
}
END_TEST

START_TEST(full_and_limits)
{
	struct hy_rooms *r = make(3, 8, false, 0);
	struct hy_room_params two = { .max_members = 2, .allow_empty = 2 };
	struct hy_room_params big = { .max_members = 9, .allow_empty = 2 };
	uint64_t id, id2;

	ck_assert_int_eq(hy_rooms_create_room(r, 1, "a", 1, &big, 0, &id), HY_R_ROOM_BAD_PARAMS);
	ck_assert_int_eq(hy_rooms_create_room(r, 1, "a", 1, &two, 0, &id), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 2, "b", 1, id, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 3, "c", 1, id, 0), HY_R_ROOM_FULL);
	ck_assert_uint_eq(hy_rooms_counter(r, HY_ROOMS_C_full), 1);
	ck_assert_uint_eq(hy_rooms_room_of(r, 3), 0);
	/* a place frees up */
	ck_assert_int_eq(hy_rooms_leave(r, 2, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 3, "c", 1, id, 0), HY_R_OK);

	ck_assert_int_eq(hy_rooms_create_room(r, 4, "d", 1, &defaults, 0, &id2), HY_R_OK);
	ck_assert_int_eq(hy_rooms_create_room(r, 5, "e", 1, &defaults, 0, &id2), HY_R_OK);
	ck_assert_int_eq(hy_rooms_create_room(r, 6, "f", 1, &defaults, 0, &id2), HY_R_ROOM_LIMIT);
	ck_assert_uint_eq(hy_rooms_counter(r, HY_ROOMS_C_limit), 1);
	ck_assert_uint_eq(hy_rooms_room_of(r, 6), 0);
	hy_rooms_destroy(r);
}
END_TEST

START_TEST(owner_reelection)
{
	struct hy_rooms *r = make(4, 8, false, 0);
	struct hy_room_info ri;
	uint64_t id;

	ck_assert_int_eq(hy_rooms_create_room(r, 20, "o", 1, &defaults, 0, &id), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 21, "p", 1, id, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 22, "q", 1, id, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 23, "s", 1, id, 0), HY_R_OK);
	/* a non-owner leaving changes nothing */
	ck_assert_int_eq(hy_rooms_leave(r, 22, 0), HY_R_OK);
	hy_rooms_info(r, id, &ri);
	ck_assert_uint_eq(ri.owner, 20);
	npush = 0;
	ck_assert_int_eq(hy_rooms_leave(r, 20, 0), HY_R_OK);
	hy_rooms_info(r, id, &ri);
	ck_assert_uint_eq(ri.owner, 21); /* earliest remaining */
	ck_assert_uint_eq(npush, 2);
	ck_assert_uint_eq(pushes[0].cmd, HY_ROOM_PUSH_MEMBER_LEFT);
	ck_assert_uint_eq(pushes[1].cmd, HY_ROOM_PUSH_OWNER_CHANGED);
	ck_assert_uint_eq(pushes[1].n, 2);
	ck_assert_uint_eq(u64_at(pushes[1].pl + 8), 21);
	ck_assert_uint_eq(pushes[1].len, 8 + 8 + 1 + 1);
	ck_assert_uint_eq(hy_rooms_counter(r, HY_ROOMS_C_owner_changes), 1);
	/* closed session of the new owner: 23 takes over */
	hy_rooms_session_closed(r, 21, 0);
	hy_rooms_info(r, id, &ri);
	ck_assert_uint_eq(ri.owner, 23);
	ck_assert_uint_eq(ri.members, 1);
	hy_rooms_destroy(r);
}
END_TEST

START_TEST(empty_ttl)
{
	struct hy_rooms *r = make(4, 8, true, 5);
	struct hy_room_params keep = { .allow_empty = 1, .ttl_s = 3 };
	struct hy_room_info ri;
	uint64_t id, id2;

	ck_assert_int_eq(hy_rooms_create_room(r, 1, "a", 1, &defaults, 1000, &id), HY_R_OK);
	hy_rooms_info(r, id, &ri);
	ck_assert(ri.allow_empty);
	ck_assert_uint_eq(ri.ttl_s, 5); /* module default */
	ck_assert_int_eq(hy_rooms_leave(r, 1, 2000), HY_R_OK);
	ck_assert_int_eq(hy_rooms_info(r, id, &ri), 0);
	ck_assert_uint_eq(ri.owner, 0);
	hy_rooms_tick(r, 6999);
	ck_assert_int_eq(hy_rooms_info(r, id, &ri), 0);
	/* a join stops the clock; the next empty period starts a new one */
	ck_assert_int_eq(hy_rooms_join(r, 2, "b", 1, id, 6999), HY_R_OK);
	hy_rooms_info(r, id, &ri);
	ck_assert_uint_eq(ri.owner, 2);
	hy_rooms_tick(r, 20000);
	ck_assert_int_eq(hy_rooms_info(r, id, &ri), 0);
	ck_assert_int_eq(hy_rooms_leave(r, 2, 20000), HY_R_OK);
	hy_rooms_tick(r, 24999);
	ck_assert_int_eq(hy_rooms_info(r, id, &ri), 0);
	hy_rooms_tick(r, 25000);
	ck_assert_int_eq(hy_rooms_info(r, id, &ri), -1);
	ck_assert_uint_eq(hy_rooms_counter(r, HY_ROOMS_C_expired), 1);
	ck_assert_uint_eq(tables[ntable - 1].op, HY_TABLE_ROOM_DEL);

	/* per-room ttl */
	ck_assert_int_eq(hy_rooms_create_room(r, 3, "c", 1, &keep, 0, &id2), HY_R_OK);
	hy_rooms_leave(r, 3, 0);
	hy_rooms_tick(r, 2999);
	ck_assert_int_eq(hy_rooms_info(r, id2, &ri), 0);
	hy_rooms_tick(r, 3000);
	ck_assert_int_eq(hy_rooms_info(r, id2, &ri), -1);
	hy_rooms_destroy(r);
}
END_TEST

static struct hy_room_prop iprop(const char *k, int64_t v)
{
	struct hy_room_prop p = { .key = (const uint8_t *)k, .key_len = (uint8_t)strlen(k),
				  .type = HY_PROP_INT, .i = v };
	return p;
}

static struct hy_room_prop bprop(const char *k, const void *v, uint16_t len)
{
	struct hy_room_prop p = { .key = (const uint8_t *)k, .key_len = (uint8_t)strlen(k),
				  .type = HY_PROP_BYTES, .val = v, .val_len = len };
	return p;
}

START_TEST(properties)
{
	struct hy_rooms *r = make(4, 8, false, 0);
	struct hy_room_prop set[3], out;
	uint8_t big[HY_ROOM_VALUE_MAX + 1] = { 0 };
	uint64_t id, other;
	int64_t v = 0;
	int i;

	ck_assert_int_eq(hy_rooms_create_room(r, 1, "a", 1, &defaults, 0, &id), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 2, "b", 1, id, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_create_room(r, 9, "z", 1, &defaults, 0, &other), HY_R_OK);
	set[0] = iprop("score", 5);
	set[1] = bprop("map", "dust", 4);
	ck_assert_int_eq(hy_rooms_props_set(r, 1, id, set, 2), HY_R_OK);
	ck_assert_int_eq(hy_rooms_prop_get(r, id, (const uint8_t *)"map", 3, &out), 0);
	ck_assert_uint_eq(out.type, HY_PROP_BYTES);
	ck_assert_mem_eq(out.val, "dust", 4);
	ck_assert_int_eq(hy_rooms_prop_get(r, id, (const uint8_t *)"nope", 4, &out), -1);
	ck_assert_int_eq(hy_rooms_prop_get(r, id + 100, (const uint8_t *)"map", 3, &out), -2);

	/* all or none: the second entry is bad, the first must not land */
	set[0] = iprop("score", 77);
	set[1] = bprop("map", big, sizeof(big));
	ck_assert_int_eq(hy_rooms_props_set(r, 1, id, set, 2), HY_R_ROOM_BAD_PARAMS);
	hy_rooms_prop_get(r, id, (const uint8_t *)"score", 5, &out);
	ck_assert_int_eq(out.i, 5);
	/* a key twice */
	set[1] = iprop("score", 1);
	ck_assert_int_eq(hy_rooms_props_set(r, 1, id, set, 2), HY_R_ROOM_BAD_PARAMS);
	/* members only */
	ck_assert_int_eq(hy_rooms_props_set(r, 9, id, set, 1), HY_R_ROOM_NOT_IN);
	ck_assert_int_eq(hy_rooms_props_incr(r, 9, id, (const uint8_t *)"n", 1, 1, &v),
			 HY_R_ROOM_NOT_IN);
	ck_assert_int_eq(hy_rooms_props_set(r, 1, id + 100, set, 1), HY_R_ROOM_NOT_FOUND);

	/* increments from two members interleaved: every one counts */
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(hy_rooms_props_incr(r, 1 + (i & 1), id, (const uint8_t *)"hits",
						     4, 3, &v), HY_R_OK);
	ck_assert_int_eq(v, 3000);
	ck_assert_int_eq(hy_rooms_props_incr(r, 1, id, (const uint8_t *)"score", 5, -10, &v),
			 HY_R_OK);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(hy_rooms_props_incr(r, 1, id, (const uint8_t *)"map", 3, 1, &v),
			 HY_R_ROOM_PROP_TYPE);
	set[0] = iprop("top", INT64_MAX - 1);
	ck_assert_int_eq(hy_rooms_props_set(r, 1, id, set, 1), HY_R_OK);
	ck_assert_int_eq(hy_rooms_props_incr(r, 1, id, (const uint8_t *)"top", 3, 1, &v), HY_R_OK);
	ck_assert_int_eq(hy_rooms_props_incr(r, 1, id, (const uint8_t *)"top", 3, 1, &v),
			 HY_R_ROOM_OVERFLOW);
	hy_rooms_prop_get(r, id, (const uint8_t *)"top", 3, &out);
	ck_assert_int_eq(out.i, INT64_MAX);
	/* replace bytes with an int */
	set[0] = iprop("map", 1);
	ck_assert_int_eq(hy_rooms_props_set(r, 2, id, set, 1), HY_R_OK);
	ck_assert_int_eq(hy_rooms_props_incr(r, 2, id, (const uint8_t *)"map", 3, 1, &v), HY_R_OK);
	ck_assert_int_eq(v, 2);

	/* count cap: 4 keys exist (score, map, hits, top) */
	for (i = 4; i < (int)HY_ROOM_PROPS_MAX; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i);
		set[0] = iprop(k, i);
		ck_assert_int_eq(hy_rooms_props_set(r, 1, id, set, 1), HY_R_OK);
	}
	set[0] = iprop("one-more", 1);
	ck_assert_int_eq(hy_rooms_props_set(r, 1, id, set, 1), HY_R_ROOM_PROPS_FULL);
	ck_assert_int_eq(hy_rooms_props_incr(r, 1, id, (const uint8_t *)"new", 3, 1, &v),
			 HY_R_ROOM_PROPS_FULL);
	/* an existing key can still change */
	set[0] = iprop("k4", 44);
	ck_assert_int_eq(hy_rooms_props_set(r, 1, id, set, 1), HY_R_OK);
	ck_assert_int_eq(hy_rooms_prop_at(r, id, HY_ROOM_PROPS_MAX - 1, &out), 0);
	ck_assert_int_eq(hy_rooms_prop_at(r, id, HY_ROOM_PROPS_MAX, &out), -1);

	/* byte cap: a fresh room, values of 256 bytes */
	ck_assert_int_eq(hy_rooms_props_set(r, 9, other, (struct hy_room_prop[]){
		bprop("a", big, 256), bprop("b", big, 256), bprop("c", big, 256) }, 3), HY_R_OK);
	ck_assert_int_eq(hy_rooms_props_set(r, 9, other, (struct hy_room_prop[]){
		bprop("d", big, 256) }, 1), HY_R_ROOM_PROPS_FULL);
	/* shrinking an existing one makes room */
	ck_assert_int_eq(hy_rooms_props_set(r, 9, other, (struct hy_room_prop[]){
		bprop("a", big, 0), bprop("d", big, 200) }, 2), HY_R_OK);
	hy_rooms_destroy(r);
}
END_TEST

START_TEST(list_paging)
{
	struct hy_rooms *r = make(64, 2, false, 0);
	struct hy_room_info ri[4];
	uint64_t ids[10], seen[10], after = 0;
	size_t n, total, k = 0, i;

	for (i = 0; i < 10; i++)
		ck_assert_int_eq(hy_rooms_create_room(r, 100 + i, "x", 1, &defaults, 0, &ids[i]),
				 HY_R_OK);
	do {
		n = hy_rooms_list(r, after, false, ri, 3, &total);
		ck_assert_uint_eq(total, 10);
		for (i = 0; i < n; i++) {
			ck_assert_uint_gt(ri[i].id, after);
			seen[k++] = ri[i].id;
			after = ri[i].id;
		}
	} while (n == 3);
	ck_assert_uint_eq(k, 10);
	ck_assert_mem_eq(seen, ids, sizeof(ids));

	/* the cursor room is deleted between pages: paging goes on */
	n = hy_rooms_list(r, 0, false, ri, 3, NULL);
	ck_assert_uint_eq(n, 3);
	hy_rooms_leave(r, 102, 0); /* deletes ids[2] */
	n = hy_rooms_list(r, ids[2], false, ri, 3, NULL);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(ri[0].id, ids[3]);

	/* joinable only: fill ids[3] */
	ck_assert_int_eq(hy_rooms_join(r, 500, "y", 1, ids[3], 0), HY_R_OK);
	n = hy_rooms_list(r, ids[2], true, ri, 3, NULL);
	ck_assert_uint_eq(ri[0].id, ids[4]);
	ck_assert_uint_eq(hy_rooms_list(r, ids[9], false, ri, 3, NULL), 0);
	hy_rooms_destroy(r);
}
END_TEST

START_TEST(random_join)
{
	struct hy_rooms *r = make(8, 2, false, 0);
	uint64_t a, b, c, d;
	bool created;

	ck_assert_int_eq(hy_rooms_random_join(r, 1, "a", 1, &defaults, 0, &a, &created), HY_R_OK);
	ck_assert(created);
	ck_assert_int_eq(hy_rooms_random_join(r, 2, "b", 1, &defaults, 0, &b, &created), HY_R_OK);
	ck_assert(!created);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_eq(npush, 1); /* MEMBER_JOINED to 1 */
	/* a is full now */
	ck_assert_int_eq(hy_rooms_random_join(r, 3, "c", 1, &defaults, 0, &c, &created), HY_R_OK);
	ck_assert(created);
	ck_assert_uint_ne(c, a);
	/* other parameters never share a room */
	ck_assert_int_eq(hy_rooms_random_join(r, 4, "d", 1,
		&(struct hy_room_params){ .max_members = 1, .allow_empty = 2 }, 0, &d, &created),
		HY_R_OK);
	ck_assert(created);
	ck_assert_int_eq(hy_rooms_random_join(r, 4, "d", 1, &defaults, 0, &d, &created),
			 HY_R_ROOM_ALREADY_IN);
	/* a place frees up in a: it is found again */
	hy_rooms_leave(r, 2, 0);
	hy_rooms_leave(r, 3, 0); /* deletes c */
	ck_assert_int_eq(hy_rooms_random_join(r, 5, "e", 1, &defaults, 0, &d, &created), HY_R_OK);
	ck_assert(!created);
	ck_assert_uint_eq(d, a);
	hy_rooms_destroy(r);
}
END_TEST

START_TEST(table_lost_and_resync)
{
	struct hy_rooms *r = make(8, 8, false, 0);
	uint64_t a, b;
	size_t i;

	ck_assert_int_eq(hy_rooms_create_room(r, 1, "a", 1, &defaults, 0, &a), HY_R_OK);
	table_fail = 1;
	ck_assert_int_eq(hy_rooms_join(r, 2, "b", 1, a, 0), HY_R_OK);
	ck_assert_uint_eq(hy_rooms_counter(r, HY_ROOMS_C_table_failed), 1);
	/* while lost, no deltas go out */
	ntable = 0;
	ck_assert_int_eq(hy_rooms_create_room(r, 3, "c", 1, &defaults, 0, &b), HY_R_OK);
	ck_assert_uint_eq(ntable, 0);
	/* the tick resends everything: CLEAR, then a SET per room */
	hy_rooms_tick(r, 0);
	ck_assert_uint_eq(ntable, 3);
	ck_assert_uint_eq(tables[0].op, HY_TABLE_ROOM_CLEAR);
	ck_assert_uint_eq(tables[1].op, HY_TABLE_ROOM_SET);
	ck_assert_uint_eq(tables[1].room_id, a);
	ck_assert_uint_eq(tables[1].nmembers, 2);
	ck_assert_uint_eq(tables[2].room_id, b);
	for (i = 0; i < 2; i++) {
		struct hy_table_member m;

		hy_table_member_at(&tables[1], (unsigned)i, &m);
		ck_assert_uint_eq(m.sid, i + 1);
		ck_assert_uint_eq(m.kind, (i + 1) & 1 ? HY_TABLE_KIND_RELAY : HY_TABLE_KIND_UDP);
	}
	/* back to deltas */
	ntable = 0;
	ck_assert_int_eq(hy_rooms_join(r, 4, "d", 1, a, 0), HY_R_OK);
	ck_assert_uint_eq(ntable, 1);
	ck_assert_uint_eq(tables[0].op, HY_TABLE_ROOM_MEMBER_ADD);
	hy_rooms_tick(r, 0);
	ck_assert_uint_eq(ntable, 1);
	hy_rooms_destroy(r);
}
END_TEST

static bool even_gone(void *arg, uint64_t sid)
{
	(void)arg;
	return (sid & 1) == 0;
}

START_TEST(reentrant_close_and_drop)
{
	struct hy_rooms *r = make(8, 8, false, 0);
	struct hy_room_info ri;
	uint64_t a;

	ck_assert_int_eq(hy_rooms_create_room(r, 1, "a", 1, &defaults, 0, &a), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 2, "b", 1, a, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 3, "c", 1, a, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_join(r, 4, "d", 1, a, 0), HY_R_OK);
	/* delivering the owner's MEMBER_LEFT closes member 2 (the new owner
	 * to be): handled after the leave, then 3 owns the room */
	closing_rooms = r;
	close_on_push = 2;
	npush = 0;
	ck_assert_int_eq(hy_rooms_leave(r, 1, 0), HY_R_OK);
	ck_assert_int_eq(hy_rooms_info(r, a, &ri), 0);
	ck_assert_uint_eq(ri.members, 2);
	ck_assert_uint_eq(ri.owner, 3);
	ck_assert_uint_eq(hy_rooms_room_of(r, 2), 0);
	ck_assert_uint_eq(hy_rooms_counter(r, HY_ROOMS_C_owner_changes), 2);

	/* a resync found the even (UDP) sessions gone */
	ck_assert_uint_eq(hy_rooms_drop_if(r, false, even_gone, NULL, 0), 1);
	hy_rooms_info(r, a, &ri);
	ck_assert_uint_eq(ri.members, 1);
	/* all relayed (TCP) members gone: the room with them */
	ck_assert_uint_eq(hy_rooms_drop_if(r, true, NULL, NULL, 0), 1);
	ck_assert_uint_eq(hy_rooms_count(r), 0);
	hy_rooms_destroy(r);
}
END_TEST

START_TEST(serial_wrap_keeps_order)
{
	struct hy_modules_config m;
	struct hy_rooms *r;
	struct hy_room_info ri[4];
	uint64_t a, b, c;

	hy_conf_modules_defaults(&m);
	r = hy_rooms_create(NODE, &m, NULL, 0xfffffffeu);
	ck_assert_int_eq(hy_rooms_create_room(r, 1, "a", 1, &defaults, 0, &a), HY_R_OK);
	ck_assert_int_eq(hy_rooms_create_room(r, 2, "b", 1, &defaults, 0, &b), HY_R_OK);
	ck_assert_int_eq(hy_rooms_create_room(r, 3, "c", 1, &defaults, 0, &c), HY_R_OK);
	ck_assert_uint_eq(a & 0xffffffffu, 0xffffffffu);
	ck_assert_uint_eq(b & 0xffffffffu, 1); /* serial 0 is skipped */
	ck_assert_uint_eq(hy_rooms_list(r, 0, false, ri, 4, NULL), 3);
	ck_assert_uint_eq(ri[0].id, b);
	ck_assert_uint_eq(ri[1].id, c);
	ck_assert_uint_eq(ri[2].id, a);
	hy_rooms_destroy(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("controlplane-rooms");
	TCase *tc = tcase_create("rooms");

	tcase_add_test(tc, create_join_leave);
	tcase_add_test(tc, full_and_limits);
	tcase_add_test(tc, owner_reelection);
	tcase_add_test(tc, empty_ttl);
	tcase_add_test(tc, properties);
	tcase_add_test(tc, list_paging);
	tcase_add_test(tc, random_join);
	tcase_add_test(tc, table_lost_and_resync);
	tcase_add_test(tc, reentrant_close_and_drop);
	tcase_add_test(tc, serial_wrap_keeps_order);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
