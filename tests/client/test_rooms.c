/* SPDX-License-Identifier: BSD-3-Clause
 * The client's room encoders and decoders against the byte examples of
 * docs/protocol.md ("Rooms and direct messages"), and the pushes' layouts. */
#include <check.h>
#include <string.h>

#include "hayate_client.h"

#include "proto/message.h"

static struct hy_client_message msg(uint16_t cmd, uint8_t status, const uint8_t *p, size_t len)
{
	struct hy_client_message m = {.ver = HY_MSG_VER_MODULE, .cmd = cmd, .status = status,
				      .payload = p, .len = len};
	return m;
}

START_TEST(create_example)
{
	/* request:  01 00 64 | 00 00 02 00 00 00 00 00 00 00 00 00 */
	static const uint8_t want[] = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t buf[16];
	ck_assert_uint_eq(hy_room_encode_create(buf, sizeof(buf), NULL), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	struct hy_room_create_opts o = {.allow_empty = 2};
	ck_assert_uint_eq(hy_room_encode_create(buf, sizeof(buf), &o), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(hy_room_encode_create(buf, 11, NULL), 0);
	ck_assert_uint_eq(HY_ROOM_CMD_CREATE, 0x64);

	/* response: 01 00 64 01 | 00 00 00 07 00 00 00 01 */
	static const uint8_t resp[] = {0, 0, 0, 7, 0, 0, 0, 1};
	struct hy_client_message m = msg(0x64, HY_STATUS_OK, resp, sizeof(resp));
	struct hy_room_event ev;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_CREATED);
	ck_assert_uint_eq(ev.room_id, 0x0000000700000001ull);
	m.len = 7;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_TRUNCATED);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_NONE);
}
END_TEST

START_TEST(join_not_found_example)
{
	/* request:  01 00 65 | 00 00 00 07 ff ff ff 00 */
	static const uint8_t want[] = {0, 0, 0, 7, 0xff, 0xff, 0xff, 0};
	uint8_t buf[8];
	ck_assert_uint_eq(hy_room_encode_join(buf, sizeof(buf), 0x00000007ffffff00ull), 8);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(HY_ROOM_CMD_JOIN, 0x65);

	/* response: 01 00 65 04 | 00 2e */
	static const uint8_t resp[] = {0x00, 0x2e};
	struct hy_client_message m = msg(0x65, HY_STATUS_BAD, resp, sizeof(resp));
	ck_assert_uint_eq(HY_STATUS_BAD, 4);
	struct hy_room_event ev;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_FAILED);
	ck_assert_int_eq(ev.reason, HY_R_ROOM_NOT_FOUND);
}
END_TEST

START_TEST(join_answer)
{
	static const uint8_t resp[] = {0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 8, 0, 2};
	struct hy_client_message m = msg(HY_ROOM_CMD_JOIN, HY_STATUS_OK, resp, sizeof(resp));
	struct hy_room_event ev;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_JOINED);
	ck_assert_uint_eq(ev.room_id, 0x0000000700000001ull);
	ck_assert_uint_eq(ev.owner, 9);
	ck_assert_uint_eq(ev.max_members, 8);
	ck_assert_uint_eq(ev.members, 2);
	uint8_t longer[sizeof(resp) + 1] = {0};
	memcpy(longer, resp, sizeof(resp));
	m.payload = longer;
	m.len = sizeof(longer);
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_TRAILING_BYTES);
}
END_TEST

START_TEST(broadcast_request_and_push)
{
	uint8_t buf[1 + HY_ROOM_BROADCAST_MAX + 1];
	ck_assert_uint_eq(hy_room_encode_broadcast(buf, sizeof(buf), "hi", 2, true), 3);
	ck_assert_mem_eq(buf, "\x01hi", 3);
	ck_assert_uint_eq(hy_room_encode_broadcast(buf, sizeof(buf), "hi", 2, false), 3);
	ck_assert_mem_eq(buf, "\x00hi", 3);
	ck_assert_uint_eq(hy_room_encode_broadcast(buf, sizeof(buf), NULL, 0, false), 1);
	static uint8_t big[HY_ROOM_BROADCAST_MAX + 1];
	ck_assert_uint_eq(hy_room_encode_broadcast(buf, sizeof(buf), big, sizeof(big) - 1, false),
			  1 + HY_ROOM_BROADCAST_MAX);
	ck_assert_uint_eq(hy_room_encode_broadcast(buf, sizeof(buf), big, sizeof(big), false), 0);

	/* push: room_id u64 | from u64 | data */
	static const uint8_t push[] = {0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 'a', 'b'};
	struct hy_client_message m = msg(HY_ROOM_CMD_BROADCAST, HY_STATUS_PUSH, push, sizeof(push));
	struct hy_room_event ev;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_BROADCAST);
	ck_assert_uint_eq(ev.sid, 5);
	ck_assert_uint_eq(ev.data_len, 2);
	ck_assert_mem_eq(ev.data, "ab", 2);
	m.len = 16;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_uint_eq(ev.data_len, 0);
	m.len = 15;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_TRUNCATED);

	/* answer: delivered u16 */
	static const uint8_t ok[] = {0, 3};
	m = msg(HY_ROOM_CMD_BROADCAST, HY_STATUS_OK, ok, sizeof(ok));
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_SENT);
	ck_assert_uint_eq(ev.delivered, 3);
}
END_TEST

START_TEST(member_pushes)
{
	static const uint8_t joined[] = {0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 6,
					 0, 3, 3, 'b', 'o', 'b'};
	struct hy_client_message m = msg(HY_ROOM_CMD_MEMBER_JOINED, HY_STATUS_PUSH, joined,
					 sizeof(joined));
	struct hy_room_event ev;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_MEMBER_JOINED);
	ck_assert_uint_eq(ev.room_id, 0x0000000700000001ull);
	ck_assert_uint_eq(ev.sid, 6);
	ck_assert_uint_eq(ev.members, 3);
	ck_assert_uint_eq(ev.uid_len, 3);
	ck_assert_mem_eq(ev.uid, "bob", 3);
	m.cmd = HY_ROOM_CMD_MEMBER_LEFT;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_MEMBER_LEFT);
	m.len--;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_TRUNCATED);

	static const uint8_t owner[] = {0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 6, 1, 'x'};
	m = msg(HY_ROOM_CMD_OWNER_CHANGED, HY_STATUS_PUSH, owner, sizeof(owner));
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_OWNER_CHANGED);
	ck_assert_uint_eq(ev.owner, 6);
	ck_assert_uint_eq(ev.uid_len, 1);

	/* uid_len over HY_UID_MAX */
	uint8_t bad[8 + 8 + 2 + 1 + 65] = {0};
	bad[18] = 65;
	m = msg(HY_ROOM_CMD_MEMBER_JOINED, HY_STATUS_PUSH, bad, sizeof(bad));
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_BAD_LENGTH);
}
END_TEST

START_TEST(redirect_not_followed)
{
	/* What the library hands on when it does not follow a redirect: the
	 * reason and the room id, the ticket cut off. */
	uint8_t p[2 + 8 + 3] = {(uint8_t)(HY_R_ROOM_REDIRECT >> 8), (uint8_t)HY_R_ROOM_REDIRECT,
				0, 0, 0, 2, 0, 0, 0, 9, 1, 2, 3};
	struct hy_client_message m = msg(HY_ROOM_CMD_JOIN, HY_STATUS_BAD, p, 10);
	struct hy_room_event ev;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_FAILED);
	ck_assert_int_eq(ev.reason, HY_R_ROOM_REDIRECT);
	ck_assert_uint_eq(ev.room_id, 0x0000000200000009ull);
	m.len = sizeof(p); /* a ticket behind it is not the application's to read */
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_uint_eq(ev.room_id, 0x0000000200000009ull);
	m.len = 2; /* without the room id */
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_uint_eq(ev.room_id, 0);
	/* Other failures keep their exact length. */
	p[1] = (uint8_t)HY_R_ROOM_NOT_FOUND;
	p[0] = (uint8_t)(HY_R_ROOM_NOT_FOUND >> 8);
	m.len = 10;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_TRAILING_BYTES);
}
END_TEST

START_TEST(not_room_messages)
{
	static const uint8_t p[] = {1, 2, 3};
	struct hy_client_message m = msg(HY_ROOM_CMD_CREATE, HY_STATUS_OK, p, sizeof(p));
	struct hy_room_event ev;
	m.ver = HY_MSG_VER_TRANSPORT;
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_NONE);
	m.ver = HY_MSG_VER_MODULE;
	m.cmd = 200; /* DIRECT: not decoded here */
	ck_assert_int_eq(hy_room_decode(&m, &ev), HY_R_OK);
	ck_assert_int_eq(ev.kind, HY_ROOM_EV_NONE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-rooms");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, create_example);
	tcase_add_test(tc, join_not_found_example);
	tcase_add_test(tc, join_answer);
	tcase_add_test(tc, broadcast_request_and_push);
	tcase_add_test(tc, member_pushes);
	tcase_add_test(tc, redirect_not_followed);
	tcase_add_test(tc, not_room_messages);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
