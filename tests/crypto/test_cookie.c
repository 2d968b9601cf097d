/* SPDX-License-Identifier: BSD-3-Clause
 * Challenge cookie: round trip on both backends, every input it binds,
 * expiry edges, lengths.
 */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>

#include "crypto/cookie.h"
#include "testutil.h"

#define NODE 0x01020304u
#define T0 1700000000u
#define LIFE HY_COOKIE_LIFETIME_S

static struct hy_aead_ctx ctx[HY_AEAD_BACKEND_COUNT], other;
static const uint8_t tnonce[12] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
				   0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac};

static void setup(void)
{
	uint8_t k[16], k2[16];
	for (int i = 0; i < 16; i++) {
		k[i] = (uint8_t)(0x30 + i);
		k2[i] = (uint8_t)(0x31 + i);
	}
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++)
		ck_assert_int_eq(hy_aead_key_init(&ctx[b], (enum hy_aead_backend)b, k), 0);
	ck_assert_int_eq(hy_aead_key_init(&other, HY_AEAD_OPENSSL, k2), 0);
}

static struct hy_cookie_addr addr6(void)
{
	struct hy_cookie_addr a = {.family = 6, .port = 40000};
	for (int i = 0; i < 16; i++)
		a.addr[i] = (uint8_t)(0x20 + i);
	return a;
}

static struct hy_cookie_addr addr4(void)
{
	struct hy_cookie_addr a = {.family = 4, .addr = {198, 18, 0, 7}, .port = 5000};
	return a;
}

static enum hy_reason check_at(int b, uint64_t now, const uint8_t *c,
			       const struct hy_cookie_addr *a, const uint8_t *tn, uint32_t node)
{
	return hy_cookie_check(&ctx[b], LIFE, now, c, HY_COOKIE_LEN, a, tn, node);
}

START_TEST(test_round_trip_and_layout)
{
	struct hy_cookie_addr a6 = addr6(), a4 = addr4();
	uint8_t c[HY_COOKIE_LEN], d[HY_COOKIE_LEN];
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++) {
		ck_assert_int_eq(hy_cookie_make(&ctx[b], T0, 0x80000001u, &a6, tnonce, NODE, c), 0);
		const uint8_t head[8] = {0x65, 0x53, 0xf1, 0x00, 0x80, 0, 0, 1};
		ck_assert_mem_eq(c, head, 8);
		for (int ob = 0; ob < HY_AEAD_BACKEND_COUNT; ob++)
			ck_assert_int_eq(check_at(ob, T0, c, &a6, tnonce, NODE), HY_R_OK);
		ck_assert_int_eq(hy_cookie_make(&ctx[b], T0, 7, &a4, tnonce, NODE, d), 0);
		ck_assert_int_eq(check_at(1 - b, T0 + 3, d, &a4, tnonce, NODE), HY_R_OK);
	}
	/* Both backends make the same bytes. */
	ck_assert_int_eq(hy_cookie_make(&ctx[0], T0, 9, &a6, tnonce, NODE, c), 0);
	ck_assert_int_eq(hy_cookie_make(&ctx[1], T0, 9, &a6, tnonce, NODE, d), 0);
	ck_assert_mem_eq(c, d, HY_COOKIE_LEN);
	/* Another serial or another second gives another tag. */
	ck_assert_int_eq(hy_cookie_make(&ctx[0], T0, 10, &a6, tnonce, NODE, d), 0);
	ck_assert(memcmp(c + 8, d + 8, 16) != 0);
	ck_assert_int_eq(hy_cookie_make(&ctx[0], T0 + 1, 9, &a6, tnonce, NODE, d), 0);
	ck_assert(memcmp(c + 8, d + 8, 16) != 0);
	/* Another cookie key does not verify it. */
	ck_assert_int_eq(hy_cookie_check(&other, LIFE, T0, c, HY_COOKIE_LEN, &a6, tnonce, NODE),
			 HY_R_COOKIE_BAD);
}
END_TEST

/* Every byte of the address, the port, the family, the token nonce and
 * the node id is bound by the tag. */
START_TEST(test_every_input_bound)
{
	int b = _i;
	struct hy_cookie_addr a = addr6(), x;
	uint8_t c[HY_COOKIE_LEN], tn[12];
	uint32_t node = NODE;
	ck_assert_int_eq(hy_cookie_make(&ctx[b], T0, 1, &a, tnonce, NODE, c), 0);
	for (int i = 0; i < 16; i++) {
		x = a;
		x.addr[i] ^= 1;
		ck_assert_int_eq(check_at(b, T0, c, &x, tnonce, NODE), HY_R_COOKIE_BAD);
	}
	for (int bit = 0; bit < 16; bit++) {
		x = a;
		x.port ^= (uint16_t)(1u << bit);
		ck_assert_int_eq(check_at(b, T0, c, &x, tnonce, NODE), HY_R_COOKIE_BAD);
	}
	x = a;
	x.family = 4;
	ck_assert_int_eq(check_at(b, T0, c, &x, tnonce, NODE), HY_R_COOKIE_BAD);
	x.family = 5;
	ck_assert_int_eq(check_at(b, T0, c, &x, tnonce, NODE), HY_R_COOKIE_BAD);
	for (int i = 0; i < 12; i++) {
		memcpy(tn, tnonce, 12);
		tn[i] ^= 0x80;
		ck_assert_int_eq(check_at(b, T0, c, &a, tn, NODE), HY_R_COOKIE_BAD);
	}
	for (int bit = 0; bit < 32; bit++)
		ck_assert_int_eq(check_at(b, T0, c, &a, tnonce, node ^ (1u << bit)),
				 HY_R_COOKIE_BAD);
	/* The cookie's own bytes: issued_at may also fall out of the window. */
	for (int i = 0; i < (int)HY_COOKIE_LEN; i++) {
		c[i] ^= 1;
		enum hy_reason r = check_at(b, T0, c, &a, tnonce, NODE);
		ck_assert_msg(r == HY_R_COOKIE_BAD || (i < 4 && r == HY_R_COOKIE_EXPIRED),
			      "byte %d: %s", i, hy_reason_name(r));
		c[i] ^= 1;
	}
	ck_assert_int_eq(check_at(b, T0, c, &a, tnonce, NODE), HY_R_OK);
}
END_TEST

/* IPv4: the four address bytes count, the other twelve are ignored. */
START_TEST(test_ipv4_canonical)
{
	struct hy_cookie_addr a = addr4(), x;
	uint8_t c[HY_COOKIE_LEN];
	ck_assert_int_eq(hy_cookie_make(&ctx[0], T0, 2, &a, tnonce, NODE, c), 0);
	for (int i = 0; i < 16; i++) {
		x = a;
		x.addr[i] ^= 0xff;
		ck_assert_int_eq(check_at(1, T0, c, &x, tnonce, NODE),
				 i < 4 ? HY_R_COOKIE_BAD : HY_R_OK);
	}
	x = a;
	x.family = 6; /* same 16 bytes, other family */
	ck_assert_int_eq(check_at(1, T0, c, &x, tnonce, NODE), HY_R_COOKIE_BAD);
}
END_TEST

START_TEST(test_expiry_edges)
{
	struct hy_cookie_addr a = addr4();
	uint8_t c[HY_COOKIE_LEN];
	ck_assert_int_eq(hy_cookie_make(&ctx[1], T0, 3, &a, tnonce, NODE, c), 0);
	ck_assert_int_eq(check_at(0, T0, c, &a, tnonce, NODE), HY_R_OK);
	ck_assert_int_eq(check_at(0, T0 + LIFE, c, &a, tnonce, NODE), HY_R_OK);
	ck_assert_int_eq(check_at(0, T0 + LIFE + 1, c, &a, tnonce, NODE), HY_R_COOKIE_EXPIRED);
	ck_assert_int_eq(check_at(0, T0 - 1, c, &a, tnonce, NODE), HY_R_OK);
	ck_assert_int_eq(check_at(0, T0 - 2, c, &a, tnonce, NODE), HY_R_COOKIE_EXPIRED);
	ck_assert_int_eq(check_at(0, 0, c, &a, tnonce, NODE), HY_R_COOKIE_EXPIRED);
	ck_assert_int_eq(check_at(0, UINT64_MAX, c, &a, tnonce, NODE), HY_R_COOKIE_EXPIRED);
	/* Expiry is checked before the tag: an expired forged cookie says so. */
	c[10] ^= 1;
	ck_assert_int_eq(check_at(0, T0 + LIFE + 1, c, &a, tnonce, NODE), HY_R_COOKIE_EXPIRED);
	ck_assert_int_eq(check_at(0, T0, c, &a, tnonce, NODE), HY_R_COOKIE_BAD);
	/* issued_at 0 and 2^32-1 work without wrapping. */
	ck_assert_int_eq(hy_cookie_make(&ctx[0], 0, 1, &a, tnonce, NODE, c), 0);
	ck_assert_int_eq(check_at(1, 0, c, &a, tnonce, NODE), HY_R_OK);
	ck_assert_int_eq(check_at(1, LIFE, c, &a, tnonce, NODE), HY_R_OK);
	ck_assert_int_eq(hy_cookie_make(&ctx[0], UINT32_MAX, 1, &a, tnonce, NODE, c), 0);
	ck_assert_int_eq(check_at(1, UINT32_MAX, c, &a, tnonce, NODE), HY_R_OK);
	ck_assert_int_eq(check_at(1, (uint64_t)UINT32_MAX + LIFE, c, &a, tnonce, NODE), HY_R_OK);
	ck_assert_int_eq(check_at(1, (uint64_t)UINT32_MAX - 2, c, &a, tnonce, NODE),
			 HY_R_COOKIE_EXPIRED);
	/* Lifetime 0: only this second and the next one. */
	ck_assert_int_eq(hy_cookie_make(&ctx[0], T0, 4, &a, tnonce, NODE, c), 0);
	ck_assert_int_eq(hy_cookie_check(&ctx[0], 0, T0, c, HY_COOKIE_LEN, &a, tnonce, NODE),
			 HY_R_OK);
	ck_assert_int_eq(hy_cookie_check(&ctx[0], 0, T0 + 1, c, HY_COOKIE_LEN, &a, tnonce, NODE),
			 HY_R_COOKIE_EXPIRED);
}
END_TEST

START_TEST(test_lengths_and_family)
{
	struct hy_cookie_addr a = addr4();
	uint8_t c[HY_COOKIE_LEN + 1] = {0};
	ck_assert_int_eq(hy_cookie_make(&ctx[0], T0, 5, &a, tnonce, NODE, c), 0);
	ck_assert_int_eq(hy_cookie_check(&ctx[0], LIFE, T0, c, HY_COOKIE_LEN - 1, &a, tnonce, NODE),
			 HY_R_TRUNCATED);
	ck_assert_int_eq(hy_cookie_check(&ctx[0], LIFE, T0, c, 0, &a, tnonce, NODE),
			 HY_R_TRUNCATED);
	ck_assert_int_eq(hy_cookie_check(&ctx[0], LIFE, T0, c, HY_COOKIE_LEN + 1, &a, tnonce, NODE),
			 HY_R_OVERSIZED);
	a.family = 0;
	ck_assert_int_eq(hy_cookie_make(&ctx[0], T0, 5, &a, tnonce, NODE, c), -1);
	uint8_t zero[HY_COOKIE_LEN] = {0};
	ck_assert_mem_eq(c, zero, HY_COOKIE_LEN);
}
END_TEST

static Suite *cookie_suite(void)
{
	Suite *s = suite_create("cookie");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_round_trip_and_layout);
	tcase_add_loop_test(tc, test_every_input_bound, 0, HY_AEAD_BACKEND_COUNT);
	tcase_add_test(tc, test_ipv4_canonical);
	tcase_add_test(tc, test_expiry_edges);
	tcase_add_test(tc, test_lengths_and_family);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hy_check_run(cookie_suite());
}
