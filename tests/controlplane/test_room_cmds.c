/* SPDX-License-Identifier: BSD-3-Clause
 * Rooms and direct-message commands through the dispatch table
 * (controlplane/commands.c) with a real room registry and a recording
 * push sink: every malformed payload is answered BAD with its reason, the
 * well-formed ones do what docs/protocol.md says, and the request
 * encoders (room_msg.h) round-trip.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "commands.h"
#include "proto/room_msg.h"
#include "rooms.h"

#include "common/wire.h"
#include "proto/message.h"

struct sent {
	uint8_t ver;
	uint16_t cmd;
	uint64_t to[64];
	size_t n;
	uint8_t pl[1200];
	size_t len;
};

static struct sent sent[32];
static size_t nsent;
static struct hy_rooms *rooms;
static struct hy_cmd_env env;
static uint8_t out[2048];
static struct hy_cmd_reply rep;

static void push(void *arg, const uint64_t *sids, size_t n, uint8_t ver, uint16_t cmd,
		 const uint8_t *payload, size_t len)
{
	struct sent *s = &sent[nsent++ % 32];

	(void)arg;
	s->ver = ver;
	s->cmd = cmd;
	s->n = n < 64 ? n : 64;
	memcpy(s->to, sids, s->n * 8);
	s->len = len < sizeof(s->pl) ? len : sizeof(s->pl);
	memcpy(s->pl, payload, s->len);
}

static void rooms_push(void *arg, const uint64_t *sids, size_t n, uint16_t cmd,
		       const uint8_t *payload, size_t len)
{
	push(arg, sids, n, 1, cmd, payload, len);
}

static uint64_t find_uid(void *arg, const uint8_t *uid, size_t len)
{
	(void)arg;
	return len == 3 && memcmp(uid, "bob", 3) == 0 ? 2 : 0;
}

static bool exists(void *arg, uint64_t sid)
{
	(void)arg;
	return sid >= 1 && sid <= 9;
}

static size_t uid_of(void *arg, uint64_t sid, char *uid, size_t cap)
{
	(void)arg;
	return (size_t)snprintf(uid, cap, "u%u", (unsigned)sid);
}

static void setup(void)
{
	struct hy_modules_config m;
	struct hy_rooms_ops ops = { .push = rooms_push };

	hy_conf_modules_defaults(&m);
	m.rooms.max_members = 4;
	rooms = hy_rooms_create(7, &m, &ops, 0);
	env = (struct hy_cmd_env){ .rooms = rooms, .push = push, .find_uid = find_uid,
				   .exists = exists, .uid_of = uid_of };
	nsent = 0;
}

static void teardown(void)
{
	hy_rooms_destroy(rooms);
}

/* Runs (ver 1, cmd) for sid; returns the status. */
static uint8_t run(uint64_t sid, uint16_t cmd, const void *pl, size_t len)
{
	struct hy_cmd_req req = { .sid = sid, .ver = 1, .cmd = cmd, .payload = pl, .len = len };

	rep = (struct hy_cmd_reply){ .payload = out, .cap = 1160 };
	ck_assert_ptr_nonnull(hy_cmd_dispatch(&env, &req, &rep));
	return rep.status;
}

static uint16_t reason(void)
{
	ck_assert_uint_eq(rep.len, 2);
	return (uint16_t)(out[0] << 8 | out[1]);
}

static uint64_t u64_at(const uint8_t *p)
{
	struct hy_rd r;

	hy_rd_init(&r, p, 8);
	return hy_rd_u64(&r);
}

static uint64_t create(uint64_t sid)
{
	static const uint8_t pl[12] = { 0 };

	ck_assert_uint_eq(run(sid, HY_CMD_ROOM_CREATE, pl, sizeof(pl)), HY_STATUS_OK);
	ck_assert_uint_eq(rep.len, 8);
	return u64_at(out);
}

struct bad {
	uint16_t cmd;
	const char *hex;
	enum hy_reason why;
};

/* Every malformed payload the decoders know, by command. */
static const struct bad bads[] = {
	{ HY_CMD_ROOM_CREATE, "", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_CREATE, "0004010000000000000000", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_CREATE, "00040100000000050000000000", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_CREATE, "000401ff0000000500000000", HY_R_RESERVED_SET },
	{ HY_CMD_ROOM_CREATE, "040101000000000500000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_CREATE, "000403000000000500000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_CREATE, "000401000001518100000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_CREATE, "0004010000000005000003e9", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_CREATE, "000501000000000500000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_RANDOM_JOIN, "0004", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_RANDOM_JOIN, "000401000000000500000000ff", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_JOIN, "00000007000000", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_JOIN, "000000070000000100", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_JOIN, "0000000000000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_JOIN, "00000007ffffff00", HY_R_ROOM_NOT_FOUND },
	{ HY_CMD_ROOM_LEAVE, "00", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_BROADCAST, "", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_BROADCAST, "04aa", HY_R_RESERVED_SET },
	{ HY_CMD_ROOM_MESSAGE, "", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_MESSAGE, "01", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_MESSAGE, "0101", HY_R_RESERVED_SET },
	{ HY_CMD_ROOM_MESSAGE, "0000", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_MESSAGE, "2100", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_MESSAGE, "0200000000000000000001", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_MESSAGE, "01000000000000000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_GET_PROPS, "0000000700000001", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_GET_PROPS, "000000000000000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_GET_PROPS, "000000070000000121", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_GET_PROPS, "00000007000000010100", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_GET_PROPS, "000000070000000101036162", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_GET_PROPS, "0000000700000001020161016102", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_GET_PROPS, "00000007000000010101610a", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_GET_PROPS, "000000070000099900", HY_R_ROOM_NOT_FOUND },
	{ HY_CMD_ROOM_SET_PROPS, "000000070000000100", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_SET_PROPS, "0000000700000001", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_SET_PROPS, "000000000000000001016101000000000000000a", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_SET_PROPS, "0000000700000001010161030000000000000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_SET_PROPS, "00000007000000010101610100000000000000", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_SET_PROPS, "000000070000000101016102010100", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_SET_PROPS, "000000070000000101016102000361", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_SET_PROPS, "000000070000000101016102000000", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_SET_PROPS, "000000070000000102016102000001610200", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_SET_PROPS, "0000000700000001010161020000", HY_R_ROOM_NOT_IN },
	{ HY_CMD_ROOM_INCR_PROP, "00000007000000010000000000000001", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_INCR_PROP, "0000000000000000000000000000000101" "61", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_INCR_PROP, "000000070000000100000000000000010061", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_INCR_PROP, "00000007000000010000000000000001016161", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_LIST, "000000000000000001", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_LIST, "00000000000000000100ff", HY_R_TRAILING_BYTES },
	{ HY_CMD_ROOM_LIST, "00000000000000000102", HY_R_RESERVED_SET },
	{ HY_CMD_ROOM_LIST, "00000000000000000000", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_LIST, "00000000000000002100", HY_R_BAD_LENGTH },
	{ HY_CMD_ROOM_MEMBERS, "000000070000000100", HY_R_TRUNCATED },
	{ HY_CMD_ROOM_MEMBERS, "00000000000000000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_ROOM_MEMBERS, "0000000700000001000000", HY_R_TRAILING_BYTES },
	{ HY_CMD_DIRECT, "", HY_R_TRUNCATED },
	{ HY_CMD_DIRECT, "03", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_DIRECT, "01000000", HY_R_TRUNCATED },
	{ HY_CMD_DIRECT, "010000000000000000", HY_R_ROOM_BAD_PARAMS },
	{ HY_CMD_DIRECT, "0200", HY_R_BAD_LENGTH },
	{ HY_CMD_DIRECT, "0241", HY_R_BAD_LENGTH },
	{ HY_CMD_DIRECT, "02036263", HY_R_TRUNCATED },
	{ HY_CMD_DIRECT, "0103000000000000000068", HY_R_NO_SUCH_TARGET },
	{ HY_CMD_DIRECT, "0203616e6e68", HY_R_NO_SUCH_TARGET },
};

static size_t unhex(const char *h, uint8_t *b)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		b[n++] = (uint8_t)v;
	}
	return n;
}

START_TEST(malformed_is_bad_with_reason)
{
	uint8_t pl[256];
	size_t n;

	/* room 0x0000000700000001 exists (created by sid 1): lookups past the
	 * decoder reach it */
	ck_assert_uint_eq(create(1), 0x0000000700000001ull);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		enum hy_reason want = bads[i].why;

		n = unhex(bads[i].hex, pl);
		ck_assert_msg(run(9, bads[i].cmd, pl, n) == HY_STATUS_BAD,
			      "case %zu (cmd %u, %s): status %u", i, bads[i].cmd, bads[i].hex,
			      rep.status);
		ck_assert_msg(reason() == want, "case %zu (cmd %u, %s): reason %s, want %s", i,
			      bads[i].cmd, bads[i].hex, hy_reason_name(reason()),
			      hy_reason_name(want));
	}
	/* oversized data */
	{
		uint8_t big[HY_ROOM_DATA_MAX + 2] = { 0 };

		ck_assert_uint_eq(run(1, HY_CMD_ROOM_BROADCAST, big, sizeof(big)), HY_STATUS_BAD);
		ck_assert_uint_eq(reason(), HY_R_OVERSIZED);
		ck_assert_uint_eq(run(1, HY_CMD_ROOM_BROADCAST, big, sizeof(big) - 1),
				  HY_STATUS_OK);
	}
	/* not in a room */
	ck_assert_uint_eq(run(9, HY_CMD_ROOM_BROADCAST, "\0", 1), HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_NOT_IN);
	ck_assert_uint_eq(run(9, HY_CMD_ROOM_LEAVE, NULL, 0), HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_NOT_IN);
	/* no environment: ERR */
	{
		struct hy_cmd_req req = { .sid = 1, .ver = 1, .cmd = HY_CMD_ROOM_LEAVE };

		rep = (struct hy_cmd_reply){ .payload = out, .cap = sizeof(out) };
		hy_cmd_dispatch(NULL, &req, &rep);
		ck_assert_uint_eq(rep.status, HY_STATUS_ERR);
	}
}
END_TEST

START_TEST(room_flow)
{
	uint8_t pl[256];
	uint64_t id = create(1), id2;

	/* JOIN: room_id | owner | max | members */
	hy_rm_room_encode(pl, sizeof(pl), id);
	ck_assert_uint_eq(run(2, HY_CMD_ROOM_JOIN, pl, 8), HY_STATUS_OK);
	ck_assert_uint_eq(rep.len, 20);
	ck_assert_uint_eq(u64_at(out), id);
	ck_assert_uint_eq(u64_at(out + 8), 1);
	ck_assert_uint_eq(out[17], 4);
	ck_assert_uint_eq(out[19], 2);
	ck_assert_uint_eq(sent[0].cmd, HY_ROOM_PUSH_MEMBER_JOINED);
	ck_assert_uint_eq(run(3, HY_CMD_ROOM_JOIN, pl, 8), HY_STATUS_OK);

	/* BROADCAST without and with the sender */
	nsent = 0;
	ck_assert_uint_eq(run(2, HY_CMD_ROOM_BROADCAST, "\0hi", 3), HY_STATUS_OK);
	ck_assert_uint_eq(rep.len, 2);
	ck_assert_uint_eq(out[1], 2);
	ck_assert_uint_eq(sent[0].cmd, HY_CMD_ROOM_BROADCAST);
	ck_assert_uint_eq(sent[0].n, 2);
	ck_assert_uint_eq(sent[0].to[0], 1);
	ck_assert_uint_eq(sent[0].to[1], 3);
	ck_assert_uint_eq(sent[0].len, 18);
	ck_assert_uint_eq(u64_at(sent[0].pl), id);
	ck_assert_uint_eq(u64_at(sent[0].pl + 8), 2);
	ck_assert_mem_eq(sent[0].pl + 16, "hi", 2);
	ck_assert_uint_eq(run(2, HY_CMD_ROOM_BROADCAST, "\1", 1), HY_STATUS_OK);
	ck_assert_uint_eq(sent[1].n, 3);
	ck_assert(!rep.none);
	/* QUIET: relayed the same, and no answer at all */
	ck_assert_uint_eq(run(2, HY_CMD_ROOM_BROADCAST, "\2q", 2), HY_STATUS_OK);
	ck_assert_uint_eq(sent[2].n, 2);
	ck_assert(rep.none);

	/* MESSAGE: members only, once each (2 named twice, 8 not a member) */
	{
		uint64_t to[4] = { 3, 8, 3, 1 };
		struct hy_rm_data d = { .nsids = 4, .data = (const uint8_t *)"x", .data_len = 1 };
		size_t n = hy_rm_message_encode(pl, sizeof(pl), &d, to);

		nsent = 0;
		ck_assert_uint_eq(run(2, HY_CMD_ROOM_MESSAGE, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(out[1], 2);
		ck_assert_uint_eq(sent[0].cmd, HY_CMD_ROOM_MESSAGE);
		ck_assert_uint_eq(sent[0].n, 2);
		ck_assert_uint_eq(sent[0].to[0], 3);
		ck_assert_uint_eq(sent[0].to[1], 1);
	}

	/* properties: set, incr, get one and all */
	{
		struct hy_rm_props pr = { .room_id = id, .n = 2 };
		int64_t v;
		size_t n;

		pr.p[0] = (struct hy_room_prop){ .key = (const uint8_t *)"lvl", .key_len = 3,
						 .type = HY_PROP_INT, .i = 40 };
		pr.p[1] = (struct hy_room_prop){ .key = (const uint8_t *)"map", .key_len = 3,
						 .type = HY_PROP_BYTES,
						 .val = (const uint8_t *)"dust", .val_len = 4 };
		n = hy_rm_set_props_encode(pl, sizeof(pl), &pr);
		ck_assert_uint_eq(run(3, HY_CMD_ROOM_SET_PROPS, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(u64_at(out), id);
		pr.n = 1;
		pr.delta = 2;
		n = hy_rm_incr_encode(pl, sizeof(pl), &pr);
		ck_assert_uint_eq(run(1, HY_CMD_ROOM_INCR_PROP, pl, n), HY_STATUS_OK);
		v = (int64_t)u64_at(out);
		ck_assert_int_eq(v, 42);
		pr.p[0].key = (const uint8_t *)"map";
		n = hy_rm_incr_encode(pl, sizeof(pl), &pr);
		ck_assert_uint_eq(run(1, HY_CMD_ROOM_INCR_PROP, pl, n), HY_STATUS_BAD);
		ck_assert_uint_eq(reason(), HY_R_ROOM_PROP_TYPE);
		/* GET all (any session may read) */
		pr.n = 0;
		n = hy_rm_get_props_encode(pl, sizeof(pl), &pr);
		ck_assert_uint_eq(run(9, HY_CMD_ROOM_GET_PROPS, pl, n), HY_STATUS_OK);
		{
			static const uint8_t want[] = {
				0, 0, 0, 7, 0, 0, 0, 1, 2,
				3, 'l', 'v', 'l', 1, 0, 0, 0, 0, 0, 0, 0, 42,
				3, 'm', 'a', 'p', 2, 0, 4, 'd', 'u', 's', 't',
			};
			ck_assert_uint_eq(rep.len, sizeof(want));
			ck_assert_mem_eq(out, want, sizeof(want));
		}
		/* GET named keys: an absent one is left out */
		pr.n = 2;
		pr.p[0] = (struct hy_room_prop){ .key = (const uint8_t *)"nope", .key_len = 4 };
		pr.p[1] = (struct hy_room_prop){ .key = (const uint8_t *)"map", .key_len = 3 };
		n = hy_rm_get_props_encode(pl, sizeof(pl), &pr);
		ck_assert_uint_eq(run(9, HY_CMD_ROOM_GET_PROPS, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(out[8], 1);
		ck_assert_uint_eq(rep.len, 9 + 11);
	}

	/* LIST and MEMBERS */
	id2 = create(5);
	{
		struct hy_rm_page pg = { .max = 1 };
		size_t n = hy_rm_list_encode(pl, sizeof(pl), &pg);

		ck_assert_uint_eq(run(9, HY_CMD_ROOM_LIST, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(rep.len, 5 + 20);
		ck_assert_uint_eq(out[3], 2); /* total */
		ck_assert_uint_eq(out[4], 1);
		ck_assert_uint_eq(u64_at(out + 5), id);
		pg.after = id;
		pg.max = 32;
		n = hy_rm_list_encode(pl, sizeof(pl), &pg);
		ck_assert_uint_eq(run(9, HY_CMD_ROOM_LIST, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(out[4], 1);
		ck_assert_uint_eq(u64_at(out + 5), id2);

		pg = (struct hy_rm_page){ .room_id = id, .offset = 1 };
		n = hy_rm_members_encode(pl, sizeof(pl), &pg);
		ck_assert_uint_eq(run(9, HY_CMD_ROOM_MEMBERS, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(rep.len, 20 + 16);
		ck_assert_uint_eq(u64_at(out + 8), 1);
		ck_assert_uint_eq(out[17], 3);
		ck_assert_uint_eq(out[19], 2);
		ck_assert_uint_eq(u64_at(out + 20), 2);
		ck_assert_uint_eq(u64_at(out + 28), 3);
	}

	/* RANDOM_JOIN joins the room with a free place; LEAVE answers its id */
	ck_assert_uint_eq(hy_rm_params_encode(pl, sizeof(pl),
		&(struct hy_room_params){ .allow_empty = 2 }), 12);
	ck_assert_uint_eq(run(6, HY_CMD_ROOM_RANDOM_JOIN, pl, 12), HY_STATUS_OK);
	ck_assert_uint_eq(rep.len, 22);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(u64_at(out + 2), id);
	ck_assert_uint_eq(run(6, HY_CMD_ROOM_LEAVE, NULL, 0), HY_STATUS_OK);
	ck_assert_uint_eq(u64_at(out), id);
	/* full room */
	ck_assert_uint_eq(run(6, HY_CMD_ROOM_JOIN, (hy_rm_room_encode(pl, 8, id), pl), 8),
			  HY_STATUS_OK);
	ck_assert_uint_eq(run(7, HY_CMD_ROOM_JOIN, pl, 8), HY_STATUS_BAD);
	ck_assert_uint_eq(reason(), HY_R_ROOM_FULL);

	/* DIRECT to a sid and to a uid */
	{
		struct hy_rm_data d = { .to = HY_DIRECT_TO_UID, .uid = (const uint8_t *)"bob",
					.uid_len = 3, .data = (const uint8_t *)"yo", .data_len = 2 };
		size_t n = hy_rm_direct_encode(pl, sizeof(pl), &d);

		nsent = 0;
		ck_assert_uint_eq(run(9, HY_CMD_DIRECT, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(rep.len, 0);
		ck_assert_uint_eq(sent[0].cmd, HY_CMD_DIRECT);
		ck_assert_uint_eq(sent[0].n, 1);
		ck_assert_uint_eq(sent[0].to[0], 2);
		ck_assert_uint_eq(sent[0].len, 8 + 1 + 2 + 2);
		ck_assert_uint_eq(u64_at(sent[0].pl), 9);
		ck_assert_mem_eq(sent[0].pl + 9, "u9yo", 4);
		d = (struct hy_rm_data){ .to = HY_DIRECT_TO_SID, .sid = 5 };
		n = hy_rm_direct_encode(pl, sizeof(pl), &d);
		ck_assert_uint_eq(n, 9);
		ck_assert_uint_eq(run(9, HY_CMD_DIRECT, pl, n), HY_STATUS_OK);
		ck_assert_uint_eq(sent[1].to[0], 5);
	}
}
END_TEST

START_TEST(table_lists_every_command)
{
	static const uint16_t cmds[] = { 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
					 200 };

	ck_assert_int_eq(hy_cmd_table_check(), 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		ck_assert_ptr_nonnull(hy_cmd_lookup(1, cmds[i]));
	ck_assert_str_eq(hy_cmd_lookup(1, 103)->name, "ROOM_BROADCAST");
	ck_assert_ptr_null(hy_cmd_lookup(1, 111));
}
END_TEST

/* ---- the byte examples of docs/protocol.md ("Rooms") ---- */

static char doc[1 << 20];

/* Hex bytes of the code block lines that follow `after` in the rooms
 * section, from the line starting with `prefix` ("" for every line of the
 * block), with '|' and spaces ignored. */
static size_t doc_bytes(const char *after, const char *prefix, uint8_t *dst)
{
	const char *sec = strstr(doc, "<!-- rooms:begin -->"), *p, *end;
	size_t n = 0;

	ck_assert_ptr_nonnull(sec);
	p = strstr(sec, after);
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "```\n");
	ck_assert_ptr_nonnull(p);
	p += 4;
	end = strstr(p, "```");
	while (p < end) {
		const char *eol = strchr(p, '\n');

		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			const char *q = p + strlen(prefix);

			while (q < eol) {
				unsigned v;

				if (*q == ' ' || *q == '|') {
					q++;
					continue;
				}
				ck_assert_int_eq(sscanf(q, "%2x", &v), 1);
				dst[n++] = (uint8_t)v;
				q += 2;
			}
		}
		p = eol + 1;
	}
	return n;
}

START_TEST(doc_examples)
{
	const char *root = getenv("HAYATE_SOURCE_ROOT");
	char path[512];
	uint8_t want[256], msg[256];
	size_t n, got;
	FILE *f;

	ck_assert_ptr_nonnull(root);
	snprintf(path, sizeof(path), "%s/docs/protocol.md", root);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(doc, 1, sizeof(doc) - 1, f);
	doc[n] = '\0';
	fclose(f);

	/* CREATE with defaults: the request, then the first room of node 7 */
	n = doc_bytes("CREATE with the node's defaults", "request:", want);
	ck_assert_uint_eq(n, 3 + 12);
	ck_assert_uint_eq(want[0], 1);
	ck_assert_uint_eq(run(1, (uint16_t)(want[1] << 8 | want[2]), want + 3, n - 3), HY_STATUS_OK);
	got = hy_msg_resp_encode(msg, sizeof(msg), 1, HY_CMD_ROOM_CREATE, rep.status, out, rep.len);
	n = doc_bytes("CREATE with the node's defaults", "response:", want);
	ck_assert_uint_eq(got, n);
	ck_assert_mem_eq(msg, want, n);

	n = doc_bytes("JOIN of a room that does not exist", "request:", want);
	ck_assert_uint_eq(run(2, (uint16_t)(want[1] << 8 | want[2]), want + 3, n - 3), HY_STATUS_BAD);
	got = hy_msg_resp_encode(msg, sizeof(msg), 1, HY_CMD_ROOM_JOIN, rep.status, out, rep.len);
	n = doc_bytes("JOIN of a room that does not exist", "response:", want);
	ck_assert_uint_eq(got, n);
	ck_assert_mem_eq(msg, want, n);

	{
		struct hy_rm_props pr = { .room_id = 0x0000000700000001ull, .n = 2 };

		pr.p[0] = (struct hy_room_prop){ .key = (const uint8_t *)"lvl", .key_len = 3,
						 .type = HY_PROP_INT, .i = 42 };
		pr.p[1] = (struct hy_room_prop){ .key = (const uint8_t *)"map", .key_len = 3,
						 .type = HY_PROP_BYTES,
						 .val = (const uint8_t *)"dust", .val_len = 4 };
		got = hy_rm_set_props_encode(msg, sizeof(msg), &pr);
		n = doc_bytes("SET_PROPS of `lvl`", "", want);
		ck_assert_uint_eq(got, n);
		ck_assert_mem_eq(msg, want, n);
		ck_assert_uint_eq(run(1, HY_CMD_ROOM_SET_PROPS, want, n), HY_STATUS_OK);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("controlplane-room-cmds");
	TCase *tc = tcase_create("cmds");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, malformed_is_bad_with_reason);
	tcase_add_test(tc, room_flow);
	tcase_add_test(tc, table_lists_every_command);
	tcase_add_test(tc, doc_examples);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
