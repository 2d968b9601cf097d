/* SPDX-License-Identifier: BSD-3-Clause
 * Messages: command, response/push, ECHO payloads.
 */
#include "proto/message.h"
#include "proto_test.h"

START_TEST(test_cmd_round_trip)
{
	uint8_t buf[64];
	struct hy_msg m;
	size_t n = hy_msg_cmd_encode(buf, sizeof(buf), 2, 0x0102, "abc", 3);
	ck_assert_uint_eq(n, 6);
	const uint8_t want[] = {2, 1, 2, 'a', 'b', 'c'};
	ck_assert_mem_eq(buf, want, sizeof(want));
	uint8_t *p = dup_exact(buf, n);
	ck_assert_int_eq(hy_msg_cmd_decode(p, n, &m), HY_R_OK);
	ck_assert_uint_eq(m.ver, 2);
	ck_assert_uint_eq(m.cmd, 0x0102);
	ck_assert_uint_eq(m.status, 0);
	ck_assert_uint_eq(m.len, 3);
	ck_assert_ptr_eq(m.payload, p + 3);
	for (size_t len = 0; len < 3; len++)
		ck_assert_int_eq(hy_msg_cmd_decode(p, len, &m), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_msg_cmd_decode(p, 3, &m), HY_R_OK);
	ck_assert_uint_eq(m.len, 0);
	free(p);

	/* Empty payload, NULL pointer. */
	ck_assert_uint_eq(hy_msg_cmd_encode(buf, sizeof(buf), 0, 3, NULL, 0), 3);
	ck_assert_uint_eq(hy_msg_cmd_encode(buf, sizeof(buf), 0, 3, NULL, 1), 0);
	ck_assert_uint_eq(hy_msg_cmd_encode(buf, 5, 2, 1, "abc", 3), 0);
	ck_assert_uint_eq(hy_msg_cmd_encode(buf, 6, 2, 1, "abc", 3), 6);
}
END_TEST

START_TEST(test_resp_round_trip)
{
	static const uint8_t statuses[] = {HY_STATUS_OK, HY_STATUS_BAD, HY_STATUS_ERR,
					   HY_STATUS_PUSH};
	for (size_t k = 0; k < 4; k++) {
		uint8_t buf[64], re[64];
		struct hy_msg m;
		size_t n = hy_msg_resp_encode(buf, sizeof(buf), 7, 0xfffe, statuses[k], "xy", 2);
		ck_assert_uint_eq(n, 6);
		ck_assert_uint_eq(buf[3], statuses[k]);
		uint8_t *p = dup_exact(buf, n);
		ck_assert_int_eq(hy_msg_resp_decode(p, n, &m), HY_R_OK);
		ck_assert(m.ver == 7 && m.cmd == 0xfffe && m.status == statuses[k] && m.len == 2);
		ck_assert_uint_eq(hy_msg_resp_encode(re, sizeof(re), m.ver, m.cmd, m.status,
						     m.payload, m.len), n);
		ck_assert_mem_eq(re, p, n);
		for (size_t len = 0; len < 4; len++)
			ck_assert_int_eq(hy_msg_resp_decode(p, len, &m), HY_R_TRUNCATED);
		free(p);
	}
	ck_assert_str_eq(hy_status_name(HY_STATUS_PUSH), "PUSH");
	ck_assert_str_eq(hy_status_name(HY_STATUS_BAD), "BAD");
	ck_assert_str_eq(hy_status_name(2), "UNKNOWN");
}
END_TEST

START_TEST(test_resp_status_values)
{
	uint8_t buf[8] = {1, 0, 1, 0};
	struct hy_msg m;
	for (unsigned s = 0; s < 256; s++) {
		buf[3] = (uint8_t)s;
		int known = s == 1 || s == 4 || s == 5 || s == 255;
		ck_assert_int_eq(hy_msg_resp_decode(buf, 4, &m),
				 known ? HY_R_OK : HY_R_BAD_MESSAGE_KIND);
		uint8_t out[8];
		ck_assert_uint_eq(hy_msg_resp_encode(out, sizeof(out), 1, 1, (uint8_t)s, NULL, 0),
				  known ? 4 : 0);
	}
}
END_TEST

START_TEST(test_message_size_limit)
{
	size_t big = HY_MAX_MESSAGE + 8;
	uint8_t *buf = calloc(1, big);
	ck_assert_ptr_nonnull(buf);
	struct hy_msg m;
	buf[3] = HY_STATUS_OK;
	ck_assert_int_eq(hy_msg_cmd_decode(buf, HY_MAX_MESSAGE, &m), HY_R_OK);
	ck_assert_uint_eq(m.len, HY_MAX_MESSAGE - 3);
	ck_assert_int_eq(hy_msg_cmd_decode(buf, HY_MAX_MESSAGE + 1, &m), HY_R_MESSAGE_TOO_LARGE);
	ck_assert_int_eq(hy_msg_resp_decode(buf, HY_MAX_MESSAGE, &m), HY_R_OK);
	ck_assert_int_eq(hy_msg_resp_decode(buf, HY_MAX_MESSAGE + 1, &m), HY_R_MESSAGE_TOO_LARGE);
	ck_assert_uint_eq(hy_msg_cmd_encode(buf, big, 2, 1, buf + 3, HY_MAX_MESSAGE - 3),
			  HY_MAX_MESSAGE);
	ck_assert_uint_eq(hy_msg_cmd_encode(buf, big, 2, 1, buf + 3, HY_MAX_MESSAGE - 2), 0);
	ck_assert_uint_eq(hy_msg_resp_encode(buf, big, 2, 1, 1, buf + 4, HY_MAX_MESSAGE - 3), 0);
	free(buf);
}
END_TEST

/* The payload may already sit where it belongs, or overlap the header. */
START_TEST(test_encode_in_place)
{
	uint8_t buf[32];
	memcpy(buf + 4, "payload", 7);
	ck_assert_uint_eq(hy_msg_resp_encode(buf, sizeof(buf), 3, 9, HY_STATUS_OK, buf + 4, 7), 11);
	ck_assert_mem_eq(buf + 4, "payload", 7);
	memcpy(buf, "payload", 7);
	ck_assert_uint_eq(hy_msg_cmd_encode(buf, sizeof(buf), 3, 9, buf, 7), 10);
	ck_assert_mem_eq(buf + 3, "payload", 7);
	const uint8_t hdr[] = {3, 0, 9};
	ck_assert_mem_eq(buf, hdr, 3);
}
END_TEST

START_TEST(test_echo_request)
{
	uint8_t buf[16];
	uint64_t t = 0;
	ck_assert_uint_eq(hy_echo_req_encode(buf, sizeof(buf), 0x1122334455667788ull), 8);
	ck_assert_uint_eq(hy_echo_req_encode(buf, 7, 1), 0);
	ck_assert_uint_eq(buf[0], 0x11);
	ck_assert_int_eq(hy_echo_req_decode(buf, 8, &t), HY_R_OK);
	ck_assert(t == 0x1122334455667788ull);
	for (size_t len = 0; len < 8; len++)
		ck_assert_int_eq(hy_echo_req_decode(buf, len, &t), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_echo_req_decode(buf, 9, &t), HY_R_TRAILING_BYTES);
}
END_TEST

static struct hy_echo_resp sample_resp(unsigned family)
{
	struct hy_echo_resp r = {.node_state = HY_NODE_ONLINE, .client_time = 42};
	r.addr.family = (uint8_t)family;
	r.addr.port = 0xc350;
	if (family == 4) {
		const uint8_t v4[4] = {198, 18, 0, 7};
		memcpy(r.addr.addr, v4, 4);
	} else {
		for (int i = 0; i < 16; i++)
			r.addr.addr[i] = (uint8_t)(0x20 + i);
	}
	return r;
}

START_TEST(test_echo_response)
{
	static const unsigned fams[] = {4, 6};
	static const size_t lens[] = {HY_ECHO_RESP_V4_LEN, HY_ECHO_RESP_V6_LEN};
	for (size_t k = 0; k < 2; k++) {
		uint8_t buf[64], re[64];
		struct hy_echo_resp in = sample_resp(fams[k]), out;
		size_t n = hy_echo_resp_encode(buf, sizeof(buf), &in);
		ck_assert_uint_eq(n, lens[k]);
		ck_assert_uint_eq(hy_echo_resp_encode(buf, n - 1, &in), 0);
		uint8_t *p = dup_exact(buf, n);
		ck_assert_int_eq(hy_echo_resp_decode(p, n, &out), HY_R_OK);
		ck_assert_mem_eq(&out.addr.addr, &in.addr.addr, 16);
		ck_assert(out.node_state == in.node_state && out.client_time == 42 &&
			  out.addr.port == 0xc350 && out.addr.family == fams[k]);
		for (size_t len = 0; len < n; len++) {
			uint8_t *q = dup_exact(buf, len);
			ck_assert_int_eq(hy_echo_resp_decode(q, len, &out), HY_R_TRUNCATED);
			free(q);
		}
		/* Bit flips: refused or re-encoded to the same bytes. */
		for (size_t bit = 0; bit < n * 8; bit++) {
			uint8_t *q = dup_exact(buf, n);
			q[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (hy_echo_resp_decode(q, n, &out) == HY_R_OK) {
				ck_assert_uint_eq(hy_echo_resp_encode(re, sizeof(re), &out), n);
				ck_assert_mem_eq(re, q, n);
			}
			free(q);
		}
		free(p);
		buf[n] = 0;
		ck_assert_int_eq(hy_echo_resp_decode(buf, n + 1, &out), HY_R_TRAILING_BYTES);
	}
}
END_TEST

START_TEST(test_echo_response_reasons)
{
	uint8_t buf[64];
	struct hy_echo_resp in = sample_resp(4), out;
	size_t n = hy_echo_resp_encode(buf, sizeof(buf), &in);
	buf[0] = 3; /* node state */
	ck_assert_int_eq(hy_echo_resp_decode(buf, n, &out), HY_R_BAD_TYPE);
	buf[0] = HY_NODE_OFFLINE;
	ck_assert_int_eq(hy_echo_resp_decode(buf, n, &out), HY_R_OK);
	ck_assert_uint_eq(out.node_state, HY_NODE_OFFLINE);
	buf[9] = 5; /* family */
	ck_assert_int_eq(hy_echo_resp_decode(buf, n, &out), HY_R_BAD_TYPE);
	buf[9] = 6; /* an IPv4-sized body that claims IPv6 */
	ck_assert_int_eq(hy_echo_resp_decode(buf, n, &out), HY_R_TRUNCATED);

	in.addr.addr[4] = 1; /* junk past an IPv4 address */
	ck_assert_uint_eq(hy_echo_resp_encode(buf, sizeof(buf), &in), 0);
	in = sample_resp(4);
	in.addr.family = 0;
	ck_assert_uint_eq(hy_echo_resp_encode(buf, sizeof(buf), &in), 0);
	in = sample_resp(6);
	in.node_state = 0;
	ck_assert_uint_eq(hy_echo_resp_encode(buf, sizeof(buf), &in), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto-message");
	TCase *tc = tcase_create("message");
	tcase_add_test(tc, test_cmd_round_trip);
	tcase_add_test(tc, test_resp_round_trip);
	tcase_add_test(tc, test_resp_status_values);
	tcase_add_test(tc, test_message_size_limit);
	tcase_add_test(tc, test_encode_in_place);
	tcase_add_test(tc, test_echo_request);
	tcase_add_test(tc, test_echo_response);
	tcase_add_test(tc, test_echo_response_reasons);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
