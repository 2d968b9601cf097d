/* SPDX-License-Identifier: BSD-3-Clause
 * Replay window: first packet, duplicates, the window's trailing edge,
 * jumps, 64-bit extremes, and a comparison with a plain reference model.
 */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>

#include "crypto/replay.h"
#include "testutil.h"

#define W HY_REPLAY_WINDOW

/* Accept = check then mark, as the data path does after the tag verifies. */
static enum hy_reason accept(struct hy_replay *w, uint64_t pn)
{
	enum hy_reason r = hy_replay_check(w, pn);
	if (r == HY_R_OK)
		hy_replay_mark(w, pn);
	return r;
}

START_TEST(test_first_packet_and_duplicate)
{
	struct hy_replay w;
	hy_replay_init(&w);
	ck_assert_int_eq(hy_replay_check(&w, 0), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, UINT64_MAX), HY_R_OK);
	/* Check alone changes nothing. */
	ck_assert_int_eq(hy_replay_check(&w, 0), HY_R_OK);
	ck_assert_int_eq(accept(&w, 0), HY_R_OK);
	ck_assert_int_eq(accept(&w, 0), HY_R_REPLAYED);
	ck_assert_int_eq(accept(&w, 1), HY_R_OK);
	ck_assert_int_eq(accept(&w, 1), HY_R_REPLAYED);
	ck_assert_int_eq(accept(&w, 0), HY_R_REPLAYED);

	/* First packet need not be 0. */
	hy_replay_init(&w);
	ck_assert_int_eq(accept(&w, 1000), HY_R_OK);
	ck_assert_int_eq(accept(&w, 999), HY_R_OK);
	ck_assert_int_eq(accept(&w, 1000 - (W - 1)), HY_R_OK);
	ck_assert_int_eq(accept(&w, 1000 - W), HY_R_TOO_OLD);
}
END_TEST

START_TEST(test_trailing_edge)
{
	struct hy_replay w;
	hy_replay_init(&w);
	ck_assert_int_eq(accept(&w, 5000), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, 5000 - (W - 1)), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, 5000 - W), HY_R_TOO_OLD);
	ck_assert_int_eq(hy_replay_check(&w, 0), HY_R_TOO_OLD);
	ck_assert_int_eq(accept(&w, 5000 - (W - 1)), HY_R_OK);
	ck_assert_int_eq(accept(&w, 5000 - (W - 1)), HY_R_REPLAYED);
	/* Marking a too-old number is a no-op (it must not alias a slot). */
	hy_replay_mark(&w, 5000 - W);
	ck_assert_int_eq(hy_replay_check(&w, 5000), HY_R_REPLAYED);
	ck_assert_int_eq(hy_replay_check(&w, 4999), HY_R_OK);
	/* Slide by one: the oldest slot falls out and is reused for 5001. */
	ck_assert_int_eq(accept(&w, 5001), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, 5000 - (W - 1)), HY_R_TOO_OLD);
	ck_assert_int_eq(hy_replay_check(&w, 5001), HY_R_REPLAYED);
	ck_assert_int_eq(hy_replay_check(&w, 5000), HY_R_REPLAYED);
}
END_TEST

START_TEST(test_jumps)
{
	struct hy_replay w;
	hy_replay_init(&w);
	for (uint64_t i = 0; i < W; i++)
		ck_assert_int_eq(accept(&w, i), HY_R_OK);
	/* Jump by exactly the window: all old bits must be forgotten. */
	ck_assert_int_eq(accept(&w, (W - 1) + W), HY_R_OK);
	for (uint64_t i = W; i < 2 * W - 1; i++)
		ck_assert_int_eq(hy_replay_check(&w, i), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, W - 1), HY_R_TOO_OLD);
	/* Jump by window - 1: slots in between are cleared, the rest kept. */
	hy_replay_init(&w);
	for (uint64_t i = 0; i < W; i++)
		ck_assert_int_eq(accept(&w, i), HY_R_OK);
	ck_assert_int_eq(accept(&w, (W - 1) + (W - 1)), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, W - 1), HY_R_REPLAYED);
	for (uint64_t i = W; i < 2 * W - 2; i++)
		ck_assert_int_eq(hy_replay_check(&w, i), HY_R_OK);
	/* A huge jump. */
	ck_assert_int_eq(accept(&w, 1ull << 60), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, (1ull << 60) - 1), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, (1ull << 60) - W), HY_R_TOO_OLD);
	ck_assert_int_eq(hy_replay_check(&w, W - 1), HY_R_TOO_OLD);
}
END_TEST

START_TEST(test_top_of_range)
{
	struct hy_replay w;
	hy_replay_init(&w);
	ck_assert_int_eq(accept(&w, 0), HY_R_OK);
	ck_assert_int_eq(accept(&w, UINT64_MAX), HY_R_OK);
	ck_assert_int_eq(accept(&w, UINT64_MAX), HY_R_REPLAYED);
	ck_assert_int_eq(accept(&w, UINT64_MAX - 1), HY_R_OK);
	ck_assert_int_eq(accept(&w, UINT64_MAX - (W - 1)), HY_R_OK);
	ck_assert_int_eq(accept(&w, UINT64_MAX - W), HY_R_TOO_OLD);
	ck_assert_int_eq(accept(&w, 0), HY_R_TOO_OLD);
	/* Sliding up to 2^64-1 one by one. */
	hy_replay_init(&w);
	for (uint64_t pn = UINT64_MAX - 600; pn != 0; pn++)
		ck_assert_int_eq(accept(&w, pn), HY_R_OK);
	ck_assert_int_eq(hy_replay_check(&w, UINT64_MAX - 3), HY_R_REPLAYED);
}
END_TEST

/* Against a reference: the set of accepted numbers, and the rule written
 * directly from the spec. */
START_TEST(test_random_against_model)
{
	enum { N = 20000, SPAN = 40000 };
	static bool seen[SPAN + 2 * W];
	memset(seen, 0, sizeof(seen));
	uint64_t seed = 12345, base = 1ull << 40, newest = 0;
	bool any = false;
	struct hy_replay w;
	hy_replay_init(&w);
	for (int i = 0; i < N; i++) {
		/* Mostly near the front, sometimes far behind, rarely a leap. */
		uint64_t r = tu_rand(&seed);
		uint64_t off = any ? newest - base : 0;
		uint64_t pn;
		if (r % 10 < 6)
			pn = base + off + (r >> 8) % 4;
		else
			pn = base + (off > (r >> 8) % 400 ? off - (r >> 8) % 400 : 0);
		if (pn - base >= SPAN)
			break;
		enum hy_reason want;
		if (!any || pn > newest)
			want = HY_R_OK;
		else if (newest - pn >= W)
			want = HY_R_TOO_OLD;
		else
			want = seen[pn - base] ? HY_R_REPLAYED : HY_R_OK;
		ck_assert_int_eq(accept(&w, pn), want);
		if (want == HY_R_OK) {
			seen[pn - base] = true;
			if (!any || pn > newest)
				newest = pn;
			any = true;
		}
	}
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_first_packet_and_duplicate);
	tcase_add_test(tc, test_trailing_edge);
	tcase_add_test(tc, test_jumps);
	tcase_add_test(tc, test_top_of_range);
	tcase_add_test(tc, test_random_against_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hy_check_run(replay_suite());
}
