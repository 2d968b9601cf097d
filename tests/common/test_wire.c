/* SPDX-License-Identifier: BSD-3-Clause
 * Byte cursors: big-endian round trips, bounds, sticky failure; reason names.
 */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>

#include "common/reason.h"
#include "common/wire.h"

START_TEST(test_round_trip_big_endian)
{
	uint8_t buf[15];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	hy_wr_u8(&w, 0xab);
	hy_wr_u16(&w, 0x0102);
	hy_wr_u32(&w, 0x03040506);
	hy_wr_u64(&w, 0x0708090a0b0c0d0eull);
	ck_assert(hy_wr_ok(&w));
	ck_assert_uint_eq(w.off, 15);
	const uint8_t expect[15] = {0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
	ck_assert_mem_eq(buf, expect, sizeof(expect));

	struct hy_rd r;
	hy_rd_init(&r, buf, sizeof(buf));
	ck_assert_uint_eq(hy_rd_u8(&r), 0xab);
	ck_assert_uint_eq(hy_rd_u16(&r), 0x0102);
	ck_assert_uint_eq(hy_rd_u32(&r), 0x03040506);
	ck_assert(hy_rd_u64(&r) == 0x0708090a0b0c0d0eull);
	ck_assert(hy_rd_ok(&r));
	ck_assert_uint_eq(hy_rd_left(&r), 0);
}
END_TEST

START_TEST(test_reader_bounds_are_sticky)
{
	const uint8_t buf[3] = {1, 2, 3};
	struct hy_rd r;
	hy_rd_init(&r, buf, sizeof(buf));
	ck_assert_uint_eq(hy_rd_u16(&r), 0x0102);
	ck_assert_uint_eq(hy_rd_u16(&r), 0); /* only one byte left */
	ck_assert(!hy_rd_ok(&r));
	ck_assert_uint_eq(r.off, 2);        /* position unchanged */
	ck_assert_uint_eq(hy_rd_u8(&r), 0); /* failed cursor never reads again */
	ck_assert_ptr_null(hy_rd_view(&r, 0));

	uint8_t out[4] = {9, 9, 9, 9};
	hy_rd_init(&r, buf, sizeof(buf));
	hy_rd_bytes(&r, out, sizeof(out));
	ck_assert(!hy_rd_ok(&r));
	const uint8_t zeros[4] = {0};
	ck_assert_mem_eq(out, zeros, sizeof(zeros));
}
END_TEST

START_TEST(test_writer_bounds_are_sticky)
{
	uint8_t buf[5] = {0};
	struct hy_wr w;
	hy_wr_init(&w, buf, 4);
	hy_wr_u32(&w, 0xdeadbeef);
	hy_wr_u8(&w, 1); /* no room: must not touch buf[4] */
	ck_assert(!hy_wr_ok(&w));
	ck_assert_uint_eq(buf[4], 0);
	ck_assert_uint_eq(w.off, 4);
	hy_wr_zeros(&w, 0);
	ck_assert(!hy_wr_ok(&w));
}
END_TEST

START_TEST(test_reason_names)
{
	ck_assert_str_eq(hy_reason_name(HY_R_OK), "OK");
	ck_assert_str_eq(hy_reason_name(HY_R_TRUNCATED), "TRUNCATED");
	ck_assert_str_eq(hy_reason_name((enum hy_reason)HY_R_COUNT), "UNKNOWN");
	for (int i = 0; i < HY_R_COUNT; i++) {
		ck_assert_ptr_nonnull(hy_reason_name((enum hy_reason)i));
		ck_assert_ptr_nonnull(hy_reason_text((enum hy_reason)i));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, test_round_trip_big_endian);
	tcase_add_test(tc, test_reader_bounds_are_sticky);
	tcase_add_test(tc, test_writer_bounds_are_sticky);
	tcase_add_test(tc, test_reason_names);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
