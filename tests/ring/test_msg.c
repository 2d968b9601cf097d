/* SPDX-License-Identifier: BSD-3-Clause
 * Ring message catalogue: round trips of every type, validation, split and
 * reassembly including malformed and misordered continuations.
 */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ring/msg.h"

static uint8_t payload[HY_MAX_MESSAGE];
static uint8_t sidbuf[8 * 3];

static void fill_payload(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	const uint64_t sids[3] = {11, 22, 0xffffffffffffffffull};
	hy_msg_sids_pack(sidbuf, sids, 3);
}

/* One valid example of each type. */
static struct hy_ring_msg example(unsigned type)
{
	struct hy_ring_msg m = {.type = (uint16_t)type, .seq = 77, .sid = 0x1122334455667788ull};
	switch (type) {
	case HY_MSG_HELLO:
		m.sid = 0;
		m.u.hello = (struct hy_msg_hello){.generation = 9, .pid = 1234,
			.session_capacity = 1000000, .worker_lcores = 4, .ring_lcore = 1,
			.node_len = 5};
		memcpy(m.u.hello.node, "node1", 5);
		break;
	case HY_MSG_STATS:
		m.sid = 0;
		m.u.stats = (struct hy_msg_stats){.generation = 9, .now_ns = 5,
			.sessions = 3, .session_capacity = 10, .rx_packets = 100,
			.tx_packets = 90, .drops = 1, .ring_full = 2};
		break;
	case HY_MSG_SESSION_OPENED:
	case HY_MSG_RESYNC_ENTRY:
		m.u.session = (struct hy_msg_session){.transport = HY_TRANSPORT_UDP,
			.lcore = 2, .addr = {.family = 4, .port = 40000,
			.addr = {198, 18, 0, 1}}, .uid_len = 4};
		memcpy(m.u.session.uid, "u-42", 4);
		break;
	case HY_MSG_SESSION_CLOSED:
	case HY_MSG_KICK:
		m.u.closed.reason = HY_R_TOKEN_EXPIRED;
		break;
	case HY_MSG_COMMAND:
	case HY_MSG_PUSH:
	case HY_MSG_RESPOND:
		m.u.cmd = (struct hy_msg_cmd){.ver = 1, .cmd = 300,
			.delivery = HY_DELIVERY_RELIABLE, .payload = payload,
			.payload_len = 100, .status = type == HY_MSG_RESPOND ? 4 : 0};
		break;
	case HY_MSG_SEND:
	case HY_MSG_RELAY:
		m.sid = 0;
		m.u.send = (struct hy_msg_send){.target = HY_SEND_SIDS, .ver = 1,
			.cmd = 5, .delivery = HY_DELIVERY_UNRELIABLE, .nsids = 3,
			.sids = sidbuf, .payload = payload, .payload_len = 50};
		break;
	case HY_MSG_TABLE_UPDATE:
		m.sid = 0;
		m.u.table = (struct hy_msg_table){.op = 1, .body = payload, .body_len = 16};
		break;
	case HY_MSG_DRAIN:
		m.sid = 0;
		m.u.drain.grace_ms = 30000;
		break;
	case HY_MSG_RESYNC_END:
		m.sid = 0;
		m.u.resync_end.count = 12;
		break;
	case HY_MSG_RESYNC_REQUEST:
		m.sid = 0;
		break;
	}
	return m;
}

START_TEST(test_every_type_round_trips)
{
	static uint8_t slot[HY_RING_SLOT_SIZE], again[HY_RING_SLOT_SIZE];
	unsigned seen = 0;
	for (unsigned t = 0; t < HY_MSG_TYPE_MAX; t++) {
		if (!hy_msg_type_dir(t, NULL))
			continue;
		seen++;
		ck_assert_str_ne(hy_msg_type_name(t), "UNKNOWN");
		struct hy_ring_msg m = example(t), d;
		size_t used, used2;
		ck_assert_int_eq(hy_msg_encode_slot(&m, slot, &used), HY_R_OK);
		ck_assert_uint_eq(used, HY_MSG_HDR_LEN + hy_msg_body_len(&m));
		ck_assert_uint_eq(hy_msg_slot_used(slot), used);
		ck_assert_int_eq(hy_msg_decode_slot(slot, used, &d), HY_R_OK);
		ck_assert_uint_eq(d.type, t);
		ck_assert(d.sid == m.sid);
		ck_assert_uint_eq(d.seq, 77);
		ck_assert_int_eq(hy_msg_encode_slot(&d, again, &used2), HY_R_OK);
		ck_assert_uint_eq(used2, used);
		ck_assert_mem_eq(slot, again, used);
	}
	ck_assert_uint_eq(seen, 15);
	ck_assert_str_eq(hy_msg_type_name(HY_MSG_SESSION_OPENED), "SESSION_OPENED");
	ck_assert_str_eq(hy_msg_type_name(999), "UNKNOWN");
	enum hy_ring_dir dir;
	ck_assert(hy_msg_type_dir(HY_MSG_COMMAND, &dir) && dir == HY_RING_UP);
	ck_assert(hy_msg_type_dir(HY_MSG_KICK, &dir) && dir == HY_RING_DOWN);
}
END_TEST

START_TEST(test_decoded_fields)
{
	static uint8_t slot[HY_RING_SLOT_SIZE];
	struct hy_ring_msg m = example(HY_MSG_SESSION_OPENED), d;
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_OK);
	ck_assert_int_eq(hy_msg_decode_slot(slot, sizeof(slot), &d), HY_R_OK);
	ck_assert_str_eq(d.u.session.uid, "u-42");
	ck_assert_uint_eq(d.u.session.addr.port, 40000);
	ck_assert_uint_eq(d.u.session.addr.addr[0], 198);

	m = example(HY_MSG_SEND);
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_OK);
	ck_assert_int_eq(hy_msg_decode_slot(slot, sizeof(slot), &d), HY_R_OK);
	ck_assert_uint_eq(d.u.send.nsids, 3);
	ck_assert(hy_msg_send_sid(&d.u.send, 1) == 22);
	ck_assert(hy_msg_send_sid(&d.u.send, 2) == 0xffffffffffffffffull);
	ck_assert_mem_eq(d.u.send.payload, payload, 50);
}
END_TEST

START_TEST(test_encoder_refuses_bad_fields)
{
	static uint8_t slot[HY_RING_SLOT_SIZE];
	struct hy_ring_msg m = example(HY_MSG_COMMAND);
	m.sid = 0;
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_RING_BAD_MESSAGE);
	m = example(HY_MSG_COMMAND);
	m.u.cmd.status = 1; /* only RESPOND carries a status */
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_RING_BAD_MESSAGE);
	m = example(HY_MSG_COMMAND);
	m.u.cmd.payload_len = HY_MAX_MESSAGE + 1;
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_MESSAGE_TOO_LARGE);
	m.u.cmd.payload_len = HY_MSG_SLOT_BODY; /* fits the protocol, not a slot */
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_MESSAGE_TOO_LARGE);
	m = example(HY_MSG_SESSION_OPENED);
	m.u.session.addr.addr[9] = 1; /* IPv4 with junk in the tail */
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_RING_BAD_MESSAGE);
	m = example(HY_MSG_SESSION_OPENED);
	m.u.session.uid_len = 0;
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_RING_BAD_MESSAGE);
	m = example(HY_MSG_SEND);
	m.sid = 5;
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_RING_BAD_MESSAGE);
	m = example(HY_MSG_SEND);
	m.u.send.target = 2; /* rooms: not defined yet */
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_RING_BAD_MESSAGE);
	m.type = 0;
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, NULL), HY_R_BAD_TYPE);
	uint8_t small[8];
	size_t len;
	m = example(HY_MSG_STATS);
	ck_assert_int_eq(hy_msg_encode_body(&m, small, sizeof(small), &len),
			 HY_R_OUT_OF_SPACE);
}
END_TEST

START_TEST(test_decoder_refuses_malformed)
{
	static uint8_t slot[HY_RING_SLOT_SIZE], bad[HY_RING_SLOT_SIZE];
	struct hy_ring_msg m = example(HY_MSG_COMMAND), d;
	size_t used;
	ck_assert_int_eq(hy_msg_encode_slot(&m, slot, &used), HY_R_OK);

	memcpy(bad, slot, sizeof(bad));
	bad[1] = 99; /* unknown type */
	ck_assert_int_eq(hy_msg_decode_slot(bad, used, &d), HY_R_BAD_TYPE);
	memcpy(bad, slot, sizeof(bad));
	bad[3] = 0x80; /* unknown flag */
	ck_assert_int_eq(hy_msg_decode_slot(bad, used, &d), HY_R_RING_BAD_MESSAGE);
	memcpy(bad, slot, sizeof(bad));
	bad[31] = 1; /* reserved header bytes */
	ck_assert_int_eq(hy_msg_decode_slot(bad, used, &d), HY_R_RING_BAD_MESSAGE);
	memcpy(bad, slot, sizeof(bad));
	bad[7]++; /* len disagrees with total */
	ck_assert_int_eq(hy_msg_decode_slot(bad, used, &d), HY_R_RING_BAD_MESSAGE);
	memcpy(bad, slot, sizeof(bad));
	bad[HY_MSG_HDR_LEN + 5] = 1; /* reserved body byte */
	ck_assert_int_eq(hy_msg_decode_slot(bad, used, &d), HY_R_RING_BAD_MESSAGE);
	/* Buffer shorter than the header says. */
	ck_assert_int_eq(hy_msg_decode_slot(slot, used - 1, &d), HY_R_RING_BAD_MESSAGE);
	ck_assert_int_eq(hy_msg_decode_slot(slot, 10, &d), HY_R_RING_BAD_MESSAGE);
	/* Body too short for its type. */
	ck_assert_int_eq(hy_msg_decode_body(HY_MSG_STATS, payload, 55, &d),
			 HY_R_RING_BAD_MESSAGE);
	ck_assert_int_eq(hy_msg_decode_body(HY_MSG_DRAIN, payload, 5, &d),
			 HY_R_RING_BAD_MESSAGE);
	/* SEND whose sid list runs past the end. */
	const uint8_t send[] = {1, 1, 0, 0, 0, 5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1};
	ck_assert_int_eq(hy_msg_decode_body(HY_MSG_SEND, send, sizeof(send), &d),
			 HY_R_RING_BAD_MESSAGE);
}
END_TEST

/* Splits a big COMMAND into slots; returns the part count. */
/* A COMMAND payload that takes three slots (its body is 8 bytes more) */
#define THREE_PARTS (2u * HY_MSG_SLOT_BODY)

static unsigned split_big(uint8_t *slots, uint32_t payload_len, uint32_t seq)
{
	static uint8_t body[HY_MSG_MAX_BODY];
	struct hy_ring_msg m = example(HY_MSG_COMMAND);
	size_t len;
	m.seq = seq;
	m.u.cmd.payload_len = payload_len;
	ck_assert_int_eq(hy_msg_encode_body(&m, body, sizeof(body), &len), HY_R_OK);
	unsigned parts = hy_msg_parts(len);
	for (unsigned p = 0; p < parts; p++)
		ck_assert_int_eq(hy_msg_split(&m, body, len, p,
			slots + (size_t)p * HY_RING_SLOT_SIZE), HY_R_OK);
	ck_assert_int_eq(hy_msg_split(&m, body, len, parts, slots), HY_R_RING_BAD_MESSAGE);
	return parts;
}

static uint8_t slots[2 * HY_MSG_MAX_PARTS * HY_RING_SLOT_SIZE];
static uint8_t rbuf[HY_MSG_MAX_BODY];

static uint8_t *slot_at(unsigned i)
{
	return slots + (size_t)i * HY_RING_SLOT_SIZE;
}

START_TEST(test_split_and_reassemble_64k)
{
	unsigned parts = split_big(slots, HY_MAX_MESSAGE, 5);
	ck_assert_uint_eq(parts, (HY_MAX_MESSAGE + 8 + HY_MSG_SLOT_BODY - 1) / HY_MSG_SLOT_BODY);
	struct hy_msg_reasm ra;
	struct hy_ring_msg d;
	bool done = false;
	hy_msg_reasm_init(&ra, rbuf, sizeof(rbuf));
	for (unsigned p = 0; p < parts; p++) {
		ck_assert(!done);
		ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(p), &done), HY_R_OK);
	}
	ck_assert(done);
	ck_assert_int_eq(hy_msg_reasm_decode(&ra, &d), HY_R_OK);
	ck_assert_uint_eq(d.type, HY_MSG_COMMAND);
	ck_assert_uint_eq(d.seq, 5);
	ck_assert_uint_eq(d.u.cmd.payload_len, HY_MAX_MESSAGE);
	ck_assert_mem_eq(d.u.cmd.payload, payload, HY_MAX_MESSAGE);
	/* A single-slot message goes through the same path. */
	struct hy_ring_msg s = example(HY_MSG_KICK);
	ck_assert_int_eq(hy_msg_encode_slot(&s, slot_at(0), NULL), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_OK);
	ck_assert(done);
	ck_assert_int_eq(hy_msg_reasm_decode(&ra, &d), HY_R_OK);
	ck_assert_uint_eq(d.type, HY_MSG_KICK);
}
END_TEST

START_TEST(test_reassembly_refuses_misordered)
{
	struct hy_msg_reasm ra;
	bool done;
	unsigned parts = split_big(slots, THREE_PARTS, 1);
	ck_assert_uint_eq(parts, 3);
	hy_msg_reasm_init(&ra, rbuf, sizeof(rbuf));

	/* Continuation without its start. */
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(1), &done), HY_R_RING_BAD_MESSAGE);
	/* Parts swapped. */
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(2), &done), HY_R_RING_BAD_MESSAGE);
	ck_assert(!done && !ra.active);
	/* Duplicate part. */
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_RING_BAD_MESSAGE);
	/* ...the duplicate was a valid start, so the message continues. */
	ck_assert(ra.active);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(1), &done), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(2), &done), HY_R_OK);
	ck_assert(done);

	/* A part from another message (other seq) in the middle. */
	split_big(slot_at(3), THREE_PARTS, 2);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(4), &done), HY_R_RING_BAD_MESSAGE);
	ck_assert(!ra.active);

	/* Lost tail: a new single-slot message arrives instead of part 2. */
	struct hy_ring_msg s = example(HY_MSG_SESSION_CLOSED), d;
	ck_assert_int_eq(hy_msg_encode_slot(&s, slot_at(6), NULL), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(1), &done), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(6), &done), HY_R_RING_BAD_MESSAGE);
	ck_assert(done); /* the new message was kept */
	ck_assert_int_eq(hy_msg_reasm_decode(&ra, &d), HY_R_OK);
	ck_assert_uint_eq(d.type, HY_MSG_SESSION_CLOSED);

	/* MORE flag cleared on a middle part. */
	uint8_t bad[HY_RING_SLOT_SIZE];
	memcpy(bad, slot_at(1), sizeof(bad));
	bad[3] = 0;
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_OK);
	ck_assert_int_eq(hy_msg_reasm_push(&ra, bad, &done), HY_R_RING_BAD_MESSAGE);

	/* Message bigger than the caller's buffer. */
	uint8_t tiny[100];
	hy_msg_reasm_init(&ra, tiny, sizeof(tiny));
	ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(0), &done), HY_R_RING_BAD_MESSAGE);
}
END_TEST

START_TEST(test_header_limits)
{
	uint8_t slot[HY_RING_SLOT_SIZE] = {0};
	struct hy_msg_hdr h = {.type = HY_MSG_COMMAND, .len = 0, .total = HY_MSG_MAX_BODY + 1};
	struct hy_msg_hdr out;
	hy_msg_hdr_write(&h, slot);
	ck_assert_int_eq(hy_msg_hdr_read(slot, &out), HY_R_RING_BAD_MESSAGE);
	h.total = HY_MSG_SLOT_BODY + 100; h.part = 2; h.len = 0; /* part beyond the last */
	hy_msg_hdr_write(&h, slot);
	ck_assert_int_eq(hy_msg_hdr_read(slot, &out), HY_R_RING_BAD_MESSAGE);
	h.part = 1; h.len = 99; /* the last part, one byte short */
	hy_msg_hdr_write(&h, slot);
	ck_assert_int_eq(hy_msg_hdr_read(slot, &out), HY_R_RING_BAD_MESSAGE);
	h.part = 1; h.len = 100; /* the last part, no MORE */
	hy_msg_hdr_write(&h, slot);
	ck_assert_int_eq(hy_msg_hdr_read(slot, &out), HY_R_OK);
	/* hy_msg_slot_used never exceeds the slot even for a lying len. */
	slot[4] = 0xff;
	ck_assert_uint_eq(hy_msg_slot_used(slot), HY_RING_SLOT_SIZE);
	ck_assert_uint_eq(hy_msg_parts(0), 1);
	ck_assert_uint_eq(hy_msg_parts(HY_MSG_SLOT_BODY), 1);
	ck_assert_uint_eq(hy_msg_parts(HY_MSG_SLOT_BODY + 1), 2);
}
END_TEST

/* ---- TABLE_UPDATE bodies (room fan-out table) ---- */

static struct hy_table_member tmembers[HY_TABLE_MAX_MEMBERS];
static uint8_t tbody[HY_TABLE_SET_FIXED + HY_TABLE_MAX_MEMBERS * HY_TABLE_MEMBER_LEN + 1];

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

static void table_round_trip(const struct hy_table_update *t, size_t want_len)
{
	struct hy_table_update d;
	uint8_t again[sizeof(tbody)];
	size_t len, len2;

	ck_assert_int_eq(hy_table_encode(t, tmembers, tbody, sizeof(tbody), &len), HY_R_OK);
	ck_assert_uint_eq(len, want_len);
	ck_assert_int_eq(hy_table_decode(t->op, tbody, len, &d), HY_R_OK);
	ck_assert_uint_eq(d.op, t->op);
	ck_assert_uint_eq(d.room_id, t->room_id);
	ck_assert_uint_eq(d.version, t->version);
	ck_assert_uint_eq(d.nmembers, t->nmembers);
	ck_assert_uint_eq(d.member.sid, t->member.sid);
	ck_assert_uint_eq(d.member.kind, t->member.kind);
	for (unsigned i = 0; i < d.nmembers; i++) {
		struct hy_table_member m;
		hy_table_member_at(&d, i, &m);
		ck_assert_uint_eq(m.sid, tmembers[i].sid);
		ck_assert_uint_eq(m.kind, tmembers[i].kind);
	}
	ck_assert_int_eq(hy_table_encode(&d, tmembers, again, sizeof(again), &len2), HY_R_OK);
	ck_assert_uint_eq(len2, len);
	ck_assert_mem_eq(again, tbody, len);
	/* every shorter body is refused */
	for (size_t cut = 0; cut < len; cut += (len > 64 ? 97 : 1))
		ck_assert_int_eq(hy_table_decode(t->op, tbody, cut, &d), HY_R_RING_BAD_MESSAGE);
}

START_TEST(test_table_ops_round_trip)
{
	struct hy_table_update t = {
		.op = HY_TABLE_ROOM_SET, .room_id = 0x0000000700000001ull, .version = 9,
		.interval_ms = 50, .max_members = 8, .nmembers = 3,
	};
	for (unsigned i = 0; i < HY_TABLE_MAX_MEMBERS; i++) {
		tmembers[i].sid = 0x1000 + i;
		tmembers[i].kind = i & 1;
	}
	table_round_trip(&t, HY_TABLE_SET_FIXED + 3 * HY_TABLE_MEMBER_LEN);
	t.nmembers = 0;
	table_round_trip(&t, HY_TABLE_SET_FIXED);
	t.max_members = HY_TABLE_MAX_MEMBERS;
	t.nmembers = HY_TABLE_MAX_MEMBERS;
	table_round_trip(&t, HY_TABLE_SET_FIXED + HY_TABLE_MAX_MEMBERS * HY_TABLE_MEMBER_LEN);

	t = (struct hy_table_update){ .op = HY_TABLE_ROOM_MEMBER_ADD, .room_id = 5, .version = 1,
				      .member = { .sid = 77, .kind = HY_TABLE_KIND_RELAY } };
	table_round_trip(&t, HY_TABLE_MEMBER_BODY);
	t.op = HY_TABLE_ROOM_MEMBER_DEL;
	table_round_trip(&t, HY_TABLE_MEMBER_BODY);
	t = (struct hy_table_update){ .op = HY_TABLE_ROOM_DEL, .room_id = 5, .version = 2 };
	table_round_trip(&t, HY_TABLE_DEL_BODY);
	t = (struct hy_table_update){ .op = HY_TABLE_ROOM_CLEAR };
	table_round_trip(&t, 0);

	/* Byte layout of a small ROOM_SET, as documented. */
	t = (struct hy_table_update){ .op = HY_TABLE_ROOM_SET, .room_id = 0x0000000700000002ull,
				      .version = 3, .interval_ms = 16, .max_members = 4,
				      .nmembers = 1 };
	tmembers[0] = (struct hy_table_member){ .sid = 0xabcdef, .kind = 1 };
	uint8_t want[64];
	size_t wl = unhex("0000000700000002" "00000003" "00000010" "0004" "0001"
			  "0000000000abcdef" "01", want), len;
	ck_assert_int_eq(hy_table_encode(&t, tmembers, tbody, sizeof(tbody), &len), HY_R_OK);
	ck_assert_uint_eq(len, wl);
	ck_assert_mem_eq(tbody, want, wl);
}
END_TEST

START_TEST(test_table_refuses_malformed)
{
	static const struct { uint16_t op; const char *hex; enum hy_reason why; } bad[] = {
		{ 9, "", HY_R_BAD_TYPE },
		{ 0, "", HY_R_BAD_TYPE },
		{ HY_TABLE_ROOM_CLEAR, "00", HY_R_RING_BAD_MESSAGE },
		{ HY_TABLE_ROOM_DEL, "000000000000000000000001", HY_R_RING_BAD_MESSAGE },
		{ HY_TABLE_ROOM_DEL, "00000000000000050000000100", HY_R_RING_BAD_MESSAGE },
		{ HY_TABLE_ROOM_MEMBER_ADD, "0000000000000005000000010000000000000009" "0200",
		  HY_R_RING_BAD_MESSAGE }, /* kind 2 */
		{ HY_TABLE_ROOM_MEMBER_ADD, "0000000000000005000000010000000000000009" "0001",
		  HY_R_RING_BAD_MESSAGE }, /* reserved */
		{ HY_TABLE_ROOM_MEMBER_DEL, "0000000000000005000000010000000000000000" "0000",
		  HY_R_RING_BAD_MESSAGE }, /* sid 0 */
		{ HY_TABLE_ROOM_SET, "0000000000000005" "00000001" "00000000" "0000" "0000",
		  HY_R_RING_BAD_MESSAGE }, /* max_members 0 */
		{ HY_TABLE_ROOM_SET, "0000000000000005" "00000001" "00000000" "0401" "0000",
		  HY_R_RING_BAD_MESSAGE }, /* max_members 1025 */
		{ HY_TABLE_ROOM_SET, "0000000000000005" "00000001" "00000000" "0001" "0002"
		  "000000000000000900" "000000000000000a00", HY_R_RING_BAD_MESSAGE }, /* n > max */
		{ HY_TABLE_ROOM_SET, "0000000000000005" "00000001" "00000000" "0002" "0001"
		  "000000000000000903", HY_R_RING_BAD_MESSAGE }, /* kind 3 */
		{ HY_TABLE_ROOM_SET, "0000000000000005" "00000001" "00000000" "0002" "0001"
		  "000000000000000900ff", HY_R_RING_BAD_MESSAGE }, /* trailing */
		{ HY_TABLE_ROOM_SET, "0000000000000000" "00000001" "00000000" "0002" "0000",
		  HY_R_RING_BAD_MESSAGE }, /* room 0 */
	};
	struct hy_table_update t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = unhex(bad[i].hex, tbody);
		ck_assert_msg(hy_table_decode(bad[i].op, tbody, n, &t) == bad[i].why,
			      "case %zu", i);
	}
	/* the encoder refuses what the decoder would */
	size_t len;
	t = (struct hy_table_update){ .op = HY_TABLE_ROOM_SET, .room_id = 1, .max_members = 1,
				      .nmembers = 2 };
	ck_assert_int_eq(hy_table_encode(&t, tmembers, tbody, sizeof(tbody), &len),
			 HY_R_RING_BAD_MESSAGE);
	t.op = 77;
	ck_assert_int_eq(hy_table_encode(&t, tmembers, tbody, sizeof(tbody), &len),
			 HY_R_RING_BAD_MESSAGE);
	t = (struct hy_table_update){ .op = HY_TABLE_ROOM_DEL };
	ck_assert_int_eq(hy_table_encode(&t, NULL, tbody, sizeof(tbody), &len),
			 HY_R_RING_BAD_MESSAGE);
	t = (struct hy_table_update){ .op = HY_TABLE_ROOM_DEL, .room_id = 1 };
	ck_assert_int_eq(hy_table_encode(&t, NULL, tbody, 11, &len), HY_R_OUT_OF_SPACE);
}
END_TEST

/* A full ROOM_SET crosses slots: split, reassemble, decode. */
START_TEST(test_table_set_through_slots)
{
	struct hy_table_update t = {
		.op = HY_TABLE_ROOM_SET, .room_id = 42, .version = 1,
		.max_members = HY_TABLE_MAX_MEMBERS, .nmembers = HY_TABLE_MAX_MEMBERS,
	}, d;
	struct hy_ring_msg m = { .type = HY_MSG_TABLE_UPDATE, .seq = 4 }, out;
	struct hy_msg_reasm ra;
	uint8_t body[HY_MSG_MAX_BODY];
	size_t len, blen;
	bool done = false;

	for (unsigned i = 0; i < HY_TABLE_MAX_MEMBERS; i++)
		tmembers[i] = (struct hy_table_member){ .sid = 100 + i, .kind = 0 };
	ck_assert_int_eq(hy_table_encode(&t, tmembers, tbody, sizeof(tbody), &len), HY_R_OK);
	m.u.table.op = t.op;
	m.u.table.body = tbody;
	m.u.table.body_len = (uint32_t)len;
	ck_assert_int_eq(hy_msg_encode_body(&m, body, sizeof(body), &blen), HY_R_OK);
	unsigned parts = hy_msg_parts(blen);
	ck_assert_uint_gt(parts, 1);
	hy_msg_reasm_init(&ra, rbuf, sizeof(rbuf));
	for (unsigned p = 0; p < parts; p++) {
		ck_assert_int_eq(hy_msg_split(&m, body, blen, p, slot_at(p)), HY_R_OK);
		ck_assert_int_eq(hy_msg_reasm_push(&ra, slot_at(p), &done), HY_R_OK);
	}
	ck_assert(done);
	ck_assert_int_eq(hy_msg_reasm_decode(&ra, &out), HY_R_OK);
	ck_assert_int_eq(hy_table_decode(out.u.table.op, out.u.table.body, out.u.table.body_len,
					 &d), HY_R_OK);
	ck_assert_uint_eq(d.nmembers, HY_TABLE_MAX_MEMBERS);
	struct hy_table_member last;
	hy_table_member_at(&d, HY_TABLE_MAX_MEMBERS - 1, &last);
	ck_assert_uint_eq(last.sid, 100 + HY_TABLE_MAX_MEMBERS - 1);
}
END_TEST

int main(void)
{
	fill_payload();
	Suite *s = suite_create("ring-msg");
	TCase *tc = tcase_create("msg");
	tcase_add_test(tc, test_every_type_round_trips);
	tcase_add_test(tc, test_decoded_fields);
	tcase_add_test(tc, test_encoder_refuses_bad_fields);
	tcase_add_test(tc, test_decoder_refuses_malformed);
	tcase_add_test(tc, test_split_and_reassemble_64k);
	tcase_add_test(tc, test_reassembly_refuses_misordered);
	tcase_add_test(tc, test_header_limits);
	tcase_add_test(tc, test_table_ops_round_trip);
	tcase_add_test(tc, test_table_refuses_malformed);
	tcase_add_test(tc, test_table_set_through_slots);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
