/* SPDX-License-Identifier: BSD-3-Clause
 * Packet codecs: classify, CONNECT/RESPONSE, CHALLENGE, sealed headers.
 * Round trips, every truncation, oversize, bit flips, every reason.
 */
#include "proto/packet.h"
#include "proto_test.h"

#define BIG 1400 /* beyond any datagram */

static size_t make_connect(uint8_t *buf, enum hy_pkt_type type)
{
	struct hy_pkt_connect c = {.type = type};
	sample_token(c.token);
	if (type == HY_PKT_RESPONSE)
		sample_cookie(c.cookie);
	return hy_pkt_connect_encode(buf, BIG, &c);
}

START_TEST(test_prefix_and_names)
{
	ck_assert_uint_eq(hy_pkt_prefix(HY_PKT_CONNECT), 0x11);
	ck_assert_uint_eq(hy_pkt_prefix(HY_PKT_DATA), 0x17);
	ck_assert_str_eq(hy_pkt_type_name(HY_PKT_CHALLENGE), "CHALLENGE");
	ck_assert_str_eq(hy_pkt_type_name((enum hy_pkt_type)0), "UNKNOWN");
	ck_assert_str_eq(hy_pkt_type_name(HY_PKT_TYPE_MAX), "UNKNOWN");
	ck_assert_str_eq(hy_node_state_name(HY_NODE_OFFLINE), "OFFLINE");
	ck_assert_str_eq(hy_node_state_name(0), "UNKNOWN");
	ck_assert_uint_eq(HY_CHALLENGE_LEN, 25);
	ck_assert_uint_eq(HY_ACCEPT_PKT_LEN, 49);
	ck_assert_uint_eq(HY_DENY_PKT_LEN, 37);
	ck_assert_uint_eq(HY_DATA_MIN_PKT_LEN, 34);
}
END_TEST

/* Every first byte at every length 0..BIG against the design's table. */
START_TEST(test_classify_exhaustive)
{
	static uint8_t buf[BIG];
	for (unsigned b = 0; b < 256; b++) {
		buf[0] = (uint8_t)b;
		for (size_t len = 0; len <= BIG; len++) {
			enum hy_pkt_type t = (enum hy_pkt_type)99;
			enum hy_reason r = hy_pkt_classify(buf, len, &t);
			unsigned type = b & 15;
			enum hy_reason want;
			size_t lo = 0, hi = 0;
			switch (type) {
			case HY_PKT_CONNECT:
			case HY_PKT_RESPONSE: lo = hi = 256; break;
			case HY_PKT_CHALLENGE: lo = hi = 25; break;
			case HY_PKT_ACCEPT: lo = hi = 17 + 16 + 16; break;
			case HY_PKT_DENY:
			case HY_PKT_DISCONNECT: lo = hi = 17 + 4 + 16; break;
			case HY_PKT_DATA: lo = 17 + 1 + 16; hi = 1200; break;
			default: break;
			}
			if (len == 0)
				want = HY_R_TRUNCATED;
			else if (b >> 4 != 1)
				want = HY_R_BAD_VERSION;
			else if (lo == 0)
				want = HY_R_BAD_TYPE;
			else if (len < lo || len > hi)
				want = HY_R_BAD_PACKET_SIZE;
			else
				want = HY_R_OK;
			ck_assert_msg(r == want, "byte %02x len %zu: %s, want %s", b, len,
				      hy_reason_name(r), hy_reason_name(want));
			if (r == HY_R_OK)
				ck_assert_uint_eq(t, type);
			else
				ck_assert_uint_eq(t, 99); /* untouched on failure */
		}
	}
}
END_TEST

START_TEST(test_connect_round_trip)
{
	static const enum hy_pkt_type types[] = {HY_PKT_CONNECT, HY_PKT_RESPONSE};
	for (size_t k = 0; k < 2; k++) {
		uint8_t buf[BIG];
		struct hy_pkt_connect in = {.type = types[k]}, out;
		sample_token(in.token);
		if (types[k] == HY_PKT_RESPONSE)
			sample_cookie(in.cookie);
		ck_assert_uint_eq(hy_pkt_connect_encode(buf, sizeof(buf), &in), HY_CONNECT_LEN);
		ck_assert_uint_eq(buf[0], 0x10 | types[k]);
		ck_assert_mem_eq(buf + 1, in.token, HY_TOKEN_LEN);
		ck_assert_mem_eq(buf + 153, in.cookie, HY_COOKIE_LEN);
		for (size_t i = 177; i < 256; i++)
			ck_assert_uint_eq(buf[i], 0);

		uint8_t *p = dup_exact(buf, HY_CONNECT_LEN);
		ck_assert_int_eq(hy_pkt_connect_decode(p, HY_CONNECT_LEN, &out), HY_R_OK);
		ck_assert_uint_eq(out.type, types[k]);
		ck_assert_mem_eq(out.token, in.token, HY_TOKEN_LEN);
		ck_assert_mem_eq(out.cookie, in.cookie, HY_COOKIE_LEN);
		free(p);

		/* Output exactly the right size works, one byte less does not. */
		ck_assert_uint_eq(hy_pkt_connect_encode(buf, HY_CONNECT_LEN, &in), HY_CONNECT_LEN);
		ck_assert_uint_eq(hy_pkt_connect_encode(buf, HY_CONNECT_LEN - 1, &in), 0);
	}
}
END_TEST

START_TEST(test_connect_encode_refuses)
{
	uint8_t buf[BIG];
	struct hy_pkt_connect in = {.type = HY_PKT_CONNECT};
	sample_token(in.token);
	in.cookie[5] = 1; /* a CONNECT carries no cookie */
	ck_assert_uint_eq(hy_pkt_connect_encode(buf, sizeof(buf), &in), 0);
	in.cookie[5] = 0;
	in.type = HY_PKT_CHALLENGE;
	ck_assert_uint_eq(hy_pkt_connect_encode(buf, sizeof(buf), &in), 0);
}
END_TEST

START_TEST(test_connect_truncation_and_oversize)
{
	uint8_t buf[BIG] = {0};
	make_connect(buf, HY_PKT_RESPONSE);
	struct hy_pkt_connect out;
	for (size_t len = 0; len <= BIG; len++) {
		if (len == HY_CONNECT_LEN)
			continue;
		uint8_t *p = dup_exact(buf, len);
		enum hy_reason r = hy_pkt_connect_decode(p, len, &out);
		ck_assert_int_eq(r, len == 0 ? HY_R_TRUNCATED : HY_R_BAD_PACKET_SIZE);
		free(p);
	}
}
END_TEST

START_TEST(test_connect_reasons)
{
	uint8_t buf[BIG];
	struct hy_pkt_connect out;
	make_connect(buf, HY_PKT_CONNECT);

	buf[0] = 0x21; /* version 2 */
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_VERSION);
	buf[0] = 0x10; /* type 0 */
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_TYPE);
	buf[0] = 0x18; /* type 8 */
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_TYPE);
	buf[0] = hy_pkt_prefix(HY_PKT_CONNECT);

	buf[255] = 0x80; /* last padding byte */
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_PADDING);
	buf[255] = 0;
	buf[177] = 1; /* first padding byte */
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_PADDING);
	buf[177] = 0;
	buf[153] = 1; /* cookie in a CONNECT */
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_PADDING);
	buf[0] = hy_pkt_prefix(HY_PKT_RESPONSE); /* ... is fine in a RESPONSE */
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_OK);

	/* A packet of another type, with CONNECT's size, is not a CONNECT. */
	buf[0] = hy_pkt_prefix(HY_PKT_DATA);
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_TYPE);
	buf[0] = hy_pkt_prefix(HY_PKT_CHALLENGE);
	ck_assert_int_eq(hy_pkt_connect_decode(buf, 256, &out), HY_R_BAD_PACKET_SIZE);
}
END_TEST

/* Every single-bit flip: refused, or decodes to something that encodes
 * back to exactly the flipped bytes. */
START_TEST(test_connect_bit_flips)
{
	static const enum hy_pkt_type types[] = {HY_PKT_CONNECT, HY_PKT_RESPONSE};
	for (size_t k = 0; k < 2; k++) {
		uint8_t orig[BIG], re[BIG];
		make_connect(orig, types[k]);
		unsigned refused = 0;
		for (size_t bit = 0; bit < HY_CONNECT_LEN * 8; bit++) {
			uint8_t *p = dup_exact(orig, HY_CONNECT_LEN);
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			struct hy_pkt_connect out;
			enum hy_reason r = hy_pkt_connect_decode(p, HY_CONNECT_LEN, &out);
			if (r == HY_R_OK) {
				ck_assert_uint_eq(hy_pkt_connect_encode(re, sizeof(re), &out),
						  HY_CONNECT_LEN);
				ck_assert_mem_eq(re, p, HY_CONNECT_LEN);
			} else {
				refused++;
			}
			/* Padding flips are always refused. */
			if (bit / 8 >= HY_CONNECT_PADDING_OFF)
				ck_assert_int_eq(r, HY_R_BAD_PADDING);
			free(p);
		}
		/* prefix: 4 version bits; type bits: 1<->3 swap is allowed,
		 * the rest are refused; padding always. */
		ck_assert_uint_ge(refused, 4 + 79 * 8);
	}
}
END_TEST

START_TEST(test_challenge)
{
	uint8_t buf[BIG], re[BIG];
	struct hy_pkt_challenge in, out;
	sample_cookie(in.cookie);
	ck_assert_uint_eq(hy_pkt_challenge_encode(buf, sizeof(buf), &in), 25);
	ck_assert_uint_eq(buf[0], 0x12);
	ck_assert_uint_eq(hy_pkt_challenge_encode(buf, 24, &in), 0);
	ck_assert_uint_eq(hy_pkt_challenge_encode(buf, 25, &in), 25);

	uint8_t *p = dup_exact(buf, 25);
	ck_assert_int_eq(hy_pkt_challenge_decode(p, 25, &out), HY_R_OK);
	ck_assert_mem_eq(out.cookie, in.cookie, HY_COOKIE_LEN);
	free(p);

	for (size_t len = 0; len <= BIG; len++) {
		if (len == 25)
			continue;
		p = dup_exact(buf, len);
		ck_assert_int_eq(hy_pkt_challenge_decode(p, len, &out),
				 len == 0 ? HY_R_TRUNCATED : HY_R_BAD_PACKET_SIZE);
		free(p);
	}
	for (size_t bit = 0; bit < 25 * 8; bit++) {
		p = dup_exact(buf, 25);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		enum hy_reason r = hy_pkt_challenge_decode(p, 25, &out);
		if (bit < 8) {
			/* Version bits: BAD_VERSION; type bits: another type,
			 * whose size (25) is wrong or which is not CHALLENGE. */
			ck_assert_int_ne(r, HY_R_OK);
			ck_assert(r == HY_R_BAD_VERSION || r == HY_R_BAD_TYPE ||
				  r == HY_R_BAD_PACKET_SIZE);
		} else {
			ck_assert_int_eq(r, HY_R_OK);
			ck_assert_uint_eq(hy_pkt_challenge_encode(re, sizeof(re), &out), 25);
			ck_assert_mem_eq(re, p, 25);
		}
		free(p);
	}
	buf[0] = 0x02;
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, 25, &out), HY_R_BAD_VERSION);
	buf[0] = 0x1f;
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, 25, &out), HY_R_BAD_TYPE);
	/* A valid CONNECT is not a CHALLENGE. */
	make_connect(buf, HY_PKT_CONNECT);
	ck_assert_int_eq(hy_pkt_challenge_decode(buf, 256, &out), HY_R_BAD_TYPE);
}
END_TEST

START_TEST(test_header_round_trip)
{
	static const enum hy_pkt_type types[] = {HY_PKT_ACCEPT, HY_PKT_DENY,
						 HY_PKT_DISCONNECT, HY_PKT_DATA};
	static const size_t sizes[] = {49, 37, 37, 100};
	for (size_t k = 0; k < 4; k++) {
		uint8_t buf[BIG] = {0};
		struct hy_pkt_header in = {types[k], 0x0102030405060708ull, 0xfffffffffffffffeull};
		struct hy_pkt_header out;
		ck_assert_uint_eq(hy_pkt_header_encode(buf, sizeof(buf), &in), 17);
		const uint8_t want[17] = {(uint8_t)(0x10 | types[k]), 1, 2, 3, 4, 5, 6, 7, 8,
					  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
		ck_assert_mem_eq(buf, want, 17);
		uint8_t *p = dup_exact(buf, sizes[k]);
		ck_assert_int_eq(hy_pkt_header_decode(p, sizes[k], &out), HY_R_OK);
		ck_assert_uint_eq(out.type, in.type);
		ck_assert(out.sid == in.sid && out.pn == in.pn);
		free(p);
		ck_assert_uint_eq(hy_pkt_header_encode(buf, 16, &in), 0);
	}
	struct hy_pkt_header bad = {HY_PKT_DATA, 0, 1};
	uint8_t buf[32];
	ck_assert_uint_eq(hy_pkt_header_encode(buf, sizeof(buf), &bad), 0);
	bad.sid = 1;
	bad.type = HY_PKT_CONNECT;
	ck_assert_uint_eq(hy_pkt_header_encode(buf, sizeof(buf), &bad), 0);
}
END_TEST

START_TEST(test_header_sizes_and_reasons)
{
	uint8_t buf[BIG] = {0};
	struct hy_pkt_header h = {HY_PKT_DATA, 7, 9}, out;
	hy_pkt_header_encode(buf, sizeof(buf), &h);
	for (size_t len = 0; len <= BIG; len++) {
		uint8_t *p = dup_exact(buf, len);
		enum hy_reason r = hy_pkt_header_decode(p, len, &out);
		if (len == 0)
			ck_assert_int_eq(r, HY_R_TRUNCATED);
		else if (len < 34 || len > 1200)
			ck_assert_int_eq(r, HY_R_BAD_PACKET_SIZE);
		else
			ck_assert_int_eq(r, HY_R_OK);
		free(p);
	}
	/* Fixed-size sealed types refuse every other length. */
	buf[0] = hy_pkt_prefix(HY_PKT_ACCEPT);
	for (size_t len = 1; len <= BIG; len++)
		ck_assert_int_eq(hy_pkt_header_decode(buf, len, &out),
				 len == 49 ? HY_R_OK : HY_R_BAD_PACKET_SIZE);
	buf[0] = hy_pkt_prefix(HY_PKT_DISCONNECT);
	ck_assert_int_eq(hy_pkt_header_decode(buf, 37, &out), HY_R_OK);
	ck_assert_int_eq(hy_pkt_header_decode(buf, 38, &out), HY_R_BAD_PACKET_SIZE);

	/* Unsealed types are refused by the sealed-header decoder. */
	buf[0] = hy_pkt_prefix(HY_PKT_CHALLENGE);
	ck_assert_int_eq(hy_pkt_header_decode(buf, 25, &out), HY_R_BAD_TYPE);
	buf[0] = hy_pkt_prefix(HY_PKT_CONNECT);
	ck_assert_int_eq(hy_pkt_header_decode(buf, 256, &out), HY_R_BAD_TYPE);

	buf[0] = hy_pkt_prefix(HY_PKT_DATA);
	memset(buf + 1, 0, 8); /* sid 0 */
	ck_assert_int_eq(hy_pkt_header_decode(buf, 40, &out), HY_R_ZERO_SESSION);
	buf[0] = 0x07;
	ck_assert_int_eq(hy_pkt_header_decode(buf, 40, &out), HY_R_BAD_VERSION);
}
END_TEST

START_TEST(test_header_bit_flips)
{
	uint8_t orig[64] = {0}, re[32];
	struct hy_pkt_header h = {HY_PKT_DATA, 0x8000000000000001ull, 5}, out;
	hy_pkt_header_encode(orig, sizeof(orig), &h);
	for (size_t bit = 0; bit < 17 * 8; bit++) {
		uint8_t *p = dup_exact(orig, 64);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		enum hy_reason r = hy_pkt_header_decode(p, 64, &out);
		if (r == HY_R_OK) {
			ck_assert_uint_eq(hy_pkt_header_encode(re, sizeof(re), &out), 17);
			ck_assert_mem_eq(re, p, 17);
		}
		/* The sid has two bits set, so no single flip makes it
		 * zero: every flip past the prefix decodes. */
		if (bit >= 8)
			ck_assert_int_eq(r, HY_R_OK);
		free(p);
	}
	/* A sid with a single bit set becomes zero by one flip. */
	h.sid = 1;
	hy_pkt_header_encode(orig, sizeof(orig), &h);
	orig[8] ^= 1;
	ck_assert_int_eq(hy_pkt_header_decode(orig, 64, &out), HY_R_ZERO_SESSION);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto-packet");
	TCase *tc = tcase_create("packet");
	tcase_add_test(tc, test_prefix_and_names);
	tcase_add_test(tc, test_classify_exhaustive);
	tcase_add_test(tc, test_connect_round_trip);
	tcase_add_test(tc, test_connect_encode_refuses);
	tcase_add_test(tc, test_connect_truncation_and_oversize);
	tcase_add_test(tc, test_connect_reasons);
	tcase_add_test(tc, test_connect_bit_flips);
	tcase_add_test(tc, test_challenge);
	tcase_add_test(tc, test_header_round_trip);
	tcase_add_test(tc, test_header_sizes_and_reasons);
	tcase_add_test(tc, test_header_bit_flips);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
