/* SPDX-License-Identifier: BSD-3-Clause
 * Counter names and the tx delay histogram's buckets (dataplane/stats.h).
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "stats.h"

START_TEST(tx_delay_names)
{
	/* one name per bucket, bounds increasing, the last one open */
	ck_assert_str_eq(hy_stats_name(HY_ST_TX_DELAY_BASE), "tx_delay.1us");
	ck_assert_str_eq(hy_stats_name(HY_ST_TX_DELAY_BASE + 4), "tx_delay.20us");
	ck_assert_str_eq(hy_stats_name(HY_ST_TX_DELAY_BASE + HY_TX_DELAY_BUCKETS - 2),
			 "tx_delay.5000us");
	ck_assert_str_eq(hy_stats_name(HY_ST_TX_DELAY_BASE + HY_TX_DELAY_BUCKETS - 1),
			 "tx_delay.inf");
	ck_assert_uint_eq(HY_ST_TX_DELAY_BASE + HY_TX_DELAY_BUCKETS, HY_ST_COUNT);
	for (unsigned int k = 1; k < HY_TX_DELAY_BUCKETS - 1; k++)
		ck_assert_uint_gt(hy_tx_delay_bounds_us[k], hy_tx_delay_bounds_us[k - 1]);
	ck_assert_str_eq(hy_stats_name(HY_ST_tx_delay_ns), "tx_delay_ns");
}
END_TEST

START_TEST(tx_delay_buckets)
{
	uint64_t bound[HY_TX_DELAY_BUCKETS - 1];

	/* in nanoseconds, as a worker's would be in TSC ticks */
	for (unsigned int k = 0; k < HY_TX_DELAY_BUCKETS - 1; k++)
		bound[k] = hy_tx_delay_bounds_us[k] * 1000ull;
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 0), 0);
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 1000), 0);   /* a bound is inclusive */
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 1001), 1);
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 19999), 4);  /* (10, 20] us */
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 20000), 4);
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 20001), 5);
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 5000000), HY_TX_DELAY_BUCKETS - 2);
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, 5000001), HY_TX_DELAY_BUCKETS - 1);
	ck_assert_uint_eq(hy_tx_delay_bucket(bound, UINT64_MAX), HY_TX_DELAY_BUCKETS - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dataplane-stats");
	TCase *tc = tcase_create("tx_delay");

	tcase_add_test(tc, tx_delay_names);
	tcase_add_test(tc, tx_delay_buckets);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
