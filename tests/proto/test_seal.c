/* SPDX-License-Identifier: BSD-3-Clause
 * Sealed packets on both AEAD backends: round trips (copying, in place,
 * header decoded first), identical bytes across backends, tampering, and
 * the ACCEPT / DENY / DISCONNECT body codecs.
 */
#include "proto/seal.h"
#include "proto_test.h"

static const uint8_t key_a[HY_KEY_LEN] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t key_b[HY_KEY_LEN] = {1};

static struct hy_aead_ctx ctx[HY_AEAD_BACKEND_COUNT];
static struct hy_aead_ctx ctx_other;
static int have[HY_AEAD_BACKEND_COUNT];

static void setup(void)
{
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++)
		have[b] = hy_aead_key_init(&ctx[b], (enum hy_aead_backend)b, key_a) == 0;
	/* OpenSSL is always there; the data plane's backend must be too on
	 * the machines this project targets. */
	ck_assert(have[HY_AEAD_OPENSSL]);
	ck_assert(have[HY_AEAD_IPSECMB]);
	ck_assert_int_eq(hy_aead_key_init(&ctx_other, HY_AEAD_OPENSSL, key_b), 0);
}

static const enum hy_pkt_type sealed[] = {HY_PKT_ACCEPT, HY_PKT_DENY, HY_PKT_DISCONNECT,
					  HY_PKT_DATA};
static const size_t body_len[] = {16, 4, 4, 200};

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

START_TEST(test_round_trip)
{
	const struct hy_aead_ctx *c = &ctx[_i];
	for (size_t k = 0; k < 4; k++) {
		uint8_t pt[HY_MAX_PAYLOAD], out[HY_MAX_DATAGRAM], back[HY_MAX_PAYLOAD];
		size_t n = body_len[k], got = 0;
		fill(pt, n, (unsigned)k);
		size_t len = hy_pkt_seal(c, sealed[k], 0xabcdef, 41, pt, n, out, sizeof(out));
		ck_assert_uint_eq(len, HY_DATA_OVERHEAD + n);
		ck_assert_uint_eq(out[0], 0x10 | sealed[k]);

		struct hy_pkt_header h = {0};
		uint8_t *p = dup_exact(out, len);
		ck_assert_int_eq(hy_pkt_open(c, p, len, &h, back, sizeof(back), &got), HY_R_OK);
		ck_assert(h.type == sealed[k] && h.sid == 0xabcdef && h.pn == 41);
		ck_assert_uint_eq(got, n);
		ck_assert_mem_eq(back, pt, n);
		ck_assert_int_eq(hy_pkt_open(c, p, len, &h, back, n - 1, &got), HY_R_OUT_OF_SPACE);

		memset(&h, 0, sizeof(h));
		ck_assert_int_eq(hy_pkt_open_inplace(c, p, len, &h, &got), HY_R_OK);
		ck_assert(h.type == sealed[k] && h.pn == 41 && got == n);
		ck_assert_mem_eq(p + HY_DATA_HEADER_LEN, pt, n);
		free(p);

		/* Header first, then the body: the data plane's order. */
		p = dup_exact(out, len);
		ck_assert_int_eq(hy_pkt_header_decode(p, len, &h), HY_R_OK);
		ck_assert_int_eq(hy_pkt_open_body(c, &h, p, len, &got), HY_R_OK);
		ck_assert_mem_eq(p + HY_DATA_HEADER_LEN, pt, n);
		free(p);
	}
}
END_TEST

/* Same input, same bytes from either backend; and each opens the other's. */
START_TEST(test_backends_agree)
{
	uint8_t pt[HY_MAX_PAYLOAD], a[HY_MAX_DATAGRAM], b[HY_MAX_DATAGRAM];
	uint8_t back[HY_MAX_PAYLOAD];
	static const size_t sizes[] = {1, 15, 16, 17, 64, 255, 256, HY_MAX_PAYLOAD};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		fill(pt, sizes[k], 3);
		size_t la = hy_pkt_seal(&ctx[HY_AEAD_OPENSSL], HY_PKT_DATA, 9, k, pt, sizes[k],
					a, sizeof(a));
		size_t lb = hy_pkt_seal(&ctx[HY_AEAD_IPSECMB], HY_PKT_DATA, 9, k, pt, sizes[k],
					b, sizeof(b));
		ck_assert_uint_eq(la, sizes[k] + HY_DATA_OVERHEAD);
		ck_assert_uint_eq(la, lb);
		ck_assert_mem_eq(a, b, la);
		struct hy_pkt_header h;
		size_t got;
		ck_assert_int_eq(hy_pkt_open(&ctx[HY_AEAD_IPSECMB], a, la, &h, back, sizeof(back),
					     &got), HY_R_OK);
		ck_assert_mem_eq(back, pt, sizes[k]);
	}
	ck_assert_uint_eq(hy_pkt_seal(&ctx[0], HY_PKT_DATA, 9, 0, pt, HY_MAX_PAYLOAD, a, sizeof(a)),
			  HY_MAX_DATAGRAM);
}
END_TEST

/* The layout the docs promise: AAD = the 17 header bytes, nonce =
 * 00000000 | pn, ciphertext then tag. */
START_TEST(test_layout_matches_raw_aead)
{
	uint8_t pt[32], out[128], ct[32], tag[16], nonce[HY_NONCE_BUF_LEN];
	fill(pt, sizeof(pt), 9);
	size_t len = hy_pkt_seal(&ctx[0], HY_PKT_DATA, 0x0102030405060708ull,
				 0x1112131415161718ull, pt, sizeof(pt), out, sizeof(out));
	ck_assert_uint_eq(len, 17 + 32 + 16);
	const uint8_t want_nonce[12] = {0, 0, 0, 0, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
	hy_aead_packet_nonce(nonce, 0x1112131415161718ull);
	ck_assert_mem_eq(nonce, want_nonce, 12);
	ck_assert_int_eq(hy_aead_seal(&ctx[0], nonce, out, 17, pt, sizeof(pt), ct, tag), 0);
	ck_assert_mem_eq(out + 17, ct, 32);
	ck_assert_mem_eq(out + 49, tag, 16);
}
END_TEST

START_TEST(test_seal_overlap)
{
	uint8_t ref[128], buf[160], pt[40];
	fill(pt, sizeof(pt), 1);
	size_t n = hy_pkt_seal(&ctx[_i], HY_PKT_DATA, 5, 6, pt, sizeof(pt), ref, sizeof(ref));
	ck_assert_uint_eq(n, 40 + 33);
	/* In place, overlapping the header, overlapping the tag, far away. */
	static const size_t at[] = {17, 0, 5, 30, 60, 100};
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		memset(buf, 0xee, sizeof(buf));
		memcpy(buf + at[k], pt, sizeof(pt));
		ck_assert_uint_eq(hy_pkt_seal(&ctx[_i], HY_PKT_DATA, 5, 6, buf + at[k], sizeof(pt),
					      buf, sizeof(buf)), n);
		ck_assert_mem_eq(buf, ref, n);
	}
}
END_TEST

START_TEST(test_seal_refuses)
{
	uint8_t pt[HY_MAX_PAYLOAD + 1] = {0}, out[HY_MAX_DATAGRAM + 64];
	const struct hy_aead_ctx *c = &ctx[0];
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_DATA, 0, 1, pt, 10, out, sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_CONNECT, 1, 1, pt, 10, out, sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, (enum hy_pkt_type)0, 1, 1, pt, 10, out, sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_DATA, 1, 1, pt, 0, out, sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_DATA, 1, 1, pt, HY_MAX_PAYLOAD + 1, out,
				      sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_ACCEPT, 1, 1, pt, 15, out, sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_ACCEPT, 1, 1, pt, 17, out, sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_DENY, 1, 1, pt, 5, out, sizeof(out)), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_DATA, 1, 1, pt, 10, out, 42), 0);
	ck_assert_uint_eq(hy_pkt_seal(c, HY_PKT_DATA, 1, 1, pt, 10, out, 43), 43);
}
END_TEST

/* Every single-bit flip anywhere in the datagram is refused; ciphertext
 * and tag flips with AUTH_FAILED, and no plaintext is left behind. */
START_TEST(test_tamper)
{
	const struct hy_aead_ctx *c = &ctx[_i];
	uint8_t pt[24], out[128], back[64];
	fill(pt, sizeof(pt), 5);
	size_t len = hy_pkt_seal(c, HY_PKT_DATA, 0x77, 3, pt, sizeof(pt), out, sizeof(out));
	for (size_t bit = 0; bit < len * 8; bit++) {
		uint8_t *p = dup_exact(out, len);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		struct hy_pkt_header h;
		size_t got = 0;
		memset(back, 0x55, sizeof(back));
		enum hy_reason r = hy_pkt_open(c, p, len, &h, back, sizeof(back), &got);
		ck_assert_int_ne(r, HY_R_OK);
		if (bit >= 8) {
			ck_assert_int_eq(r, HY_R_AUTH_FAILED);
			for (size_t i = 0; i < sizeof(pt); i++)
				ck_assert_uint_eq(back[i], 0);
		}
		ck_assert_int_ne(hy_pkt_open_inplace(c, p, len, &h, &got), HY_R_OK);
		if (bit >= 8)
			for (size_t i = 0; i < sizeof(pt); i++)
				ck_assert_uint_eq(p[HY_DATA_HEADER_LEN + i], 0);
		free(p);
	}
	/* Wrong key, wrong direction's key. */
	struct hy_pkt_header h;
	size_t got;
	ck_assert_int_eq(hy_pkt_open(&ctx_other, out, len, &h, back, sizeof(back), &got),
			 HY_R_AUTH_FAILED);
	/* A header that does not belong to this buffer. */
	ck_assert_int_eq(hy_pkt_header_decode(out, len, &h), HY_R_OK);
	h.pn++;
	ck_assert_int_eq(hy_pkt_open_body(c, &h, out, len, &got), HY_R_AUTH_FAILED);
	ck_assert_int_eq(hy_pkt_open_body(c, &h, out, HY_DATA_OVERHEAD - 1, &got), HY_R_TRUNCATED);
	/* Header reasons come first, before any crypto. */
	out[1] = out[2] = out[3] = out[4] = out[5] = out[6] = out[7] = out[8] = 0;
	ck_assert_int_eq(hy_pkt_open(c, out, len, &h, back, sizeof(back), &got), HY_R_ZERO_SESSION);
	ck_assert_int_eq(hy_pkt_open(c, out, 20, &h, back, sizeof(back), &got),
			 HY_R_BAD_PACKET_SIZE);
}
END_TEST

START_TEST(test_truncated_sealed)
{
	uint8_t pt[100], out[256], back[256];
	fill(pt, sizeof(pt), 2);
	size_t len = hy_pkt_seal(&ctx[0], HY_PKT_DATA, 1, 1, pt, sizeof(pt), out, sizeof(out));
	for (size_t l = 0; l < len; l++) {
		uint8_t *p = dup_exact(out, l);
		struct hy_pkt_header h;
		size_t got;
		enum hy_reason r = hy_pkt_open(&ctx[0], p, l, &h, back, sizeof(back), &got);
		if (l == 0)
			ck_assert_int_eq(r, HY_R_TRUNCATED);
		else if (l < HY_DATA_MIN_PKT_LEN)
			ck_assert_int_eq(r, HY_R_BAD_PACKET_SIZE);
		else
			ck_assert_int_eq(r, HY_R_AUTH_FAILED);
		free(p);
	}
}
END_TEST

START_TEST(test_accept_body)
{
	uint8_t buf[32], re[32];
	struct hy_accept in = {1000, 10000, 65536, HY_NODE_ONLINE}, out;
	ck_assert_uint_eq(hy_accept_encode(buf, sizeof(buf), &in), 16);
	ck_assert_uint_eq(hy_accept_encode(buf, 15, &in), 0);
	const uint8_t want[16] = {0, 0, 3, 0xe8, 0, 0, 0x27, 0x10, 0, 1, 0, 0, 1, 0, 0, 0};
	ck_assert_mem_eq(buf, want, 16);
	ck_assert_int_eq(hy_accept_decode(buf, 16, &out), HY_R_OK);
	ck_assert(out.keepalive_ms == 1000 && out.idle_timeout_ms == 10000 &&
		  out.max_message == 65536 && out.node_state == HY_NODE_ONLINE);
	for (size_t l = 0; l < 16; l++) {
		uint8_t *p = dup_exact(buf, l);
		ck_assert_int_eq(hy_accept_decode(p, l, &out), HY_R_TRUNCATED);
		free(p);
	}
	ck_assert_int_eq(hy_accept_decode(buf, 17, &out), HY_R_TRAILING_BYTES);
	for (size_t bit = 0; bit < 128; bit++) {
		uint8_t *p = dup_exact(buf, 16);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		enum hy_reason r = hy_accept_decode(p, 16, &out);
		if (r == HY_R_OK) {
			ck_assert_uint_eq(hy_accept_encode(re, sizeof(re), &out), 16);
			ck_assert_mem_eq(re, p, 16);
		}
		if (bit >= 13 * 8)
			ck_assert_int_eq(r, HY_R_RESERVED_SET);
		free(p);
	}
	buf[12] = 3;
	ck_assert_int_eq(hy_accept_decode(buf, 16, &out), HY_R_BAD_TYPE);
	buf[12] = HY_NODE_OFFLINE;
	buf[11] = 1; /* max_message 65537 */
	ck_assert_int_eq(hy_accept_decode(buf, 16, &out), HY_R_MESSAGE_TOO_LARGE);
	in.max_message = HY_MAX_MESSAGE + 1;
	ck_assert_uint_eq(hy_accept_encode(buf, sizeof(buf), &in), 0);
	in.max_message = 1;
	in.node_state = 0;
	ck_assert_uint_eq(hy_accept_encode(buf, sizeof(buf), &in), 0);
}
END_TEST

START_TEST(test_close_body)
{
	uint8_t buf[8];
	enum hy_close_reason why;
	for (unsigned code = 0; code < 256; code++) {
		uint8_t raw[4] = {(uint8_t)code, 0, 0, 0};
		int known = code >= 1 && code < HY_CLOSE_REASON_MAX;
		ck_assert_int_eq(hy_close_decode(raw, 4, &why), known ? HY_R_OK : HY_R_BAD_TYPE);
		ck_assert_uint_eq(hy_close_encode(buf, sizeof(buf), (enum hy_close_reason)code),
				  known ? 4 : 0);
		if (known) {
			ck_assert_uint_eq(why, code);
			ck_assert_mem_eq(buf, raw, 4);
			ck_assert_str_ne(hy_close_reason_name(code), "UNKNOWN");
		} else {
			ck_assert_str_eq(hy_close_reason_name(code), "UNKNOWN");
		}
	}
	ck_assert_str_eq(hy_close_reason_name(HY_CLOSE_RETRIES_EXHAUSTED), "RETRIES_EXHAUSTED");
	ck_assert_str_eq(hy_close_reason_name(HY_CLOSE_SLOW_CONSUMER), "SLOW_CONSUMER");
	uint8_t raw[5] = {HY_CLOSE_KICKED, 0, 0, 0, 0};
	for (size_t l = 0; l < 4; l++)
		ck_assert_int_eq(hy_close_decode(raw, l, &why), HY_R_TRUNCATED);
	ck_assert_int_eq(hy_close_decode(raw, 5, &why), HY_R_TRAILING_BYTES);
	for (int i = 1; i < 4; i++) {
		raw[i] = 0x10;
		ck_assert_int_eq(hy_close_decode(raw, 4, &why), HY_R_RESERVED_SET);
		raw[i] = 0;
	}
	ck_assert_uint_eq(hy_close_encode(buf, 3, HY_CLOSE_KICKED), 0);
}
END_TEST

/* Seal a body, open it, decode it: the whole path for DENY. */
START_TEST(test_deny_end_to_end)
{
	uint8_t body[4], pkt[64], back[8];
	ck_assert_uint_eq(hy_close_encode(body, sizeof(body), HY_CLOSE_SERVER_FULL), 4);
	size_t len = hy_pkt_seal(&ctx[_i], HY_PKT_DENY, 12, 0, body, 4, pkt, sizeof(pkt));
	ck_assert_uint_eq(len, HY_DENY_PKT_LEN);
	struct hy_pkt_header h;
	size_t got;
	ck_assert_int_eq(hy_pkt_open(&ctx[1 - _i], pkt, len, &h, back, sizeof(back), &got),
			 HY_R_OK);
	enum hy_close_reason why;
	ck_assert_int_eq(hy_close_decode(back, got, &why), HY_R_OK);
	ck_assert_uint_eq(why, HY_CLOSE_SERVER_FULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto-seal");
	TCase *tc = tcase_create("seal");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_round_trip, 0, HY_AEAD_BACKEND_COUNT);
	tcase_add_test(tc, test_backends_agree);
	tcase_add_test(tc, test_layout_matches_raw_aead);
	tcase_add_loop_test(tc, test_seal_overlap, 0, HY_AEAD_BACKEND_COUNT);
	tcase_add_test(tc, test_seal_refuses);
	tcase_add_loop_test(tc, test_tamper, 0, HY_AEAD_BACKEND_COUNT);
	tcase_add_test(tc, test_truncated_sealed);
	tcase_add_test(tc, test_accept_body);
	tcase_add_test(tc, test_close_body);
	tcase_add_loop_test(tc, test_deny_end_to_end, 0, HY_AEAD_BACKEND_COUNT);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
