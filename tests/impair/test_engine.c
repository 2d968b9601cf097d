/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-impair's engine without sockets: parameter parsing, the statistics
 * of its decisions for fixed seeds, replay, delay bounds, reordering, the
 * queue's order and its limits.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "impair_engine.h"

#define N 100000

static struct hy_impair_params
parse_ok(const char *spec)
{
	struct hy_impair_params p;
	char err[256] = "";

	hy_impair_params_default(&p);
	ck_assert_msg(hy_impair_params_parse(&p, spec, err, sizeof(err)) == 0,
		      "'%s': %s", spec, err);
	return p;
}

static void
parse_bad(const char *spec, const char *want)
{
	struct hy_impair_params p;
	char err[256] = "";

	hy_impair_params_default(&p);
	ck_assert_msg(hy_impair_params_parse(&p, spec, err, sizeof(err)) == -1,
		      "'%s' accepted", spec);
	ck_assert_msg(strstr(err, want) != NULL, "'%s': error '%s' lacks '%s'",
		      spec, err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(parse_valid)
{
	struct hy_impair_params p =
		parse_ok("loss=0.2,dup=0.1,reorder=0.1,delay=5ms,jitter=20ms,seed=1");
	char buf[256];

	ck_assert(p.loss == 0.2 && p.dup == 0.1 && p.reorder == 0.1);
	ck_assert_uint_eq(p.delay_ns, 5000000);
	ck_assert_uint_eq(p.jitter_ns, 20000000);
	ck_assert_uint_eq(p.reorder_delay_ns, HY_IMPAIR_DEFAULT_REORDER_DELAY_NS);
	ck_assert_uint_eq(p.seed, 1);

	p = parse_ok("delay=1.5s,jitter=250us,reorder_delay=0,seed=0xffffffffffffffff,loss=1");
	ck_assert_uint_eq(p.delay_ns, 1500000000);
	ck_assert_uint_eq(p.jitter_ns, 250000);
	ck_assert_uint_eq(p.reorder_delay_ns, 0);
	ck_assert_uint_eq(p.seed, UINT64_MAX);
	ck_assert(p.loss == 1);
	p = parse_ok("delay=60s,jitter=7ns");
	ck_assert_uint_eq(p.delay_ns, 60000000000ull);
	ck_assert_uint_eq(p.jitter_ns, 7);

	/* The formatted form parses back to the same parameters. */
	p = parse_ok("loss=0.25,dup=0.125,reorder=0.5,delay=3ms,jitter=1500us,reorder_delay=2s,seed=42");
	hy_impair_params_format(&p, buf, sizeof(buf));
	struct hy_impair_params q = parse_ok(buf);
	ck_assert_mem_eq(&p, &q, sizeof(p));

	q = parse_ok("");
	p = parse_ok("none");
	ck_assert_mem_eq(&p, &q, sizeof(p));
	ck_assert(p.loss == 0 && p.dup == 0 && p.reorder == 0 && p.delay_ns == 0);
}
END_TEST

START_TEST(parse_errors)
{
	parse_bad("loss=1.5", "loss: must be a number from 0 to 1, got '1.5'");
	parse_bad("loss=-0.1", "loss: must be a number from 0 to 1");
	parse_bad("dup=abc", "dup: must be a number from 0 to 1");
	parse_bad("dup=0x0.1", "dup: must be a number from 0 to 1");
	parse_bad("reorder=nan", "reorder: must be a number");
	parse_bad("reorder=", "reorder: must be a number");
	parse_bad("delay=5", "delay: must be a duration");
	parse_bad("delay=5m", "delay: must be a duration");
	parse_bad("jitter=-1ms", "jitter: must be a duration");
	parse_bad("jitter=61s", "jitter: must be a duration");
	parse_bad("reorder_delay=inf", "reorder_delay: must be a duration");
	parse_bad("seed=-1", "seed: must be an unsigned 64-bit integer");
	parse_bad("seed=18446744073709551616", "seed: must be an unsigned");
	parse_bad("lose=0.2",
		  "unknown key 'lose' (keys: loss, dup, reorder, delay, jitter, reorder_delay, seed)");
	parse_bad("loss=0.1,loss=0.2", "loss: given twice");
	parse_bad("loss", "'loss': expected key=value");
	parse_bad("loss=0.1,", "'': expected key=value");
	parse_bad("=3", "expected key=value");
}
END_TEST

/* Fraction within +-tol of want. */
static void
near(const char *what, uint64_t num, uint64_t den, double want, double tol)
{
	double got = (double)num / (double)den;

	ck_assert_msg(fabs(got - want) <= tol, "%s: %.4f, want %.4f +- %.4f",
		      what, got, want, tol);
}

START_TEST(statistics_match_parameters)
{
	struct hy_impair_params p =
		parse_ok("loss=0.2,dup=0.1,reorder=0.1,delay=5ms,jitter=20ms,seed=1");
	struct hy_impair_engine *e = hy_impair_engine_create(&p, 1, 1 << 16);
	struct hy_impair_stats st;
	double jitter_sum = 0;
	uint64_t copies = 0, unheld = 0;

	ck_assert_ptr_nonnull(e);
	for (int dir = 0; dir < HY_IMPAIR_NDIR; dir++) {
		for (int i = 0; i < N; i++) {
			struct hy_impair_decision d;

			hy_impair_decide(e, dir, &d);
			for (unsigned int c = 0; c < d.copies; c++) {
				copies++;
				if (!d.held[c]) {
					unheld++;
					jitter_sum += (double)(d.delay_ns[c] - p.delay_ns);
				}
			}
		}
	}
	hy_impair_get_stats(e, &st);
	for (int dir = 0; dir < HY_IMPAIR_NDIR; dir++) {
		const struct hy_impair_dir_stats *s = &st.dir[dir];
		uint64_t kept = s->in - s->dropped;

		ck_assert_uint_eq(s->in, N);
		near("loss", s->dropped, s->in, 0.2, 0.01);
		near("dup", s->duplicated, kept, 0.1, 0.01);
		near("reorder", s->reordered, kept + s->duplicated, 0.1, 0.01);
		ck_assert_uint_eq(s->out, 0);
	}
	/* Jitter is uniform on [0, 20 ms]: its mean is 10 ms. */
	ck_assert_uint_eq(copies, unheld + st.dir[0].reordered + st.dir[1].reordered);
	ck_assert_msg(fabs(jitter_sum / (double)unheld - 10e6) < 0.2e6,
		      "mean jitter %.0f ns", jitter_sum / (double)unheld);
	hy_impair_engine_destroy(e);
}
END_TEST

/* Extremes: loss 1 drops all, dup 1 duplicates all, reorder 1 holds all. */
START_TEST(statistics_extremes)
{
	struct hy_impair_params all_lost = parse_ok("loss=1,dup=1,reorder=1");
	struct hy_impair_params all_dup = parse_ok("dup=1,reorder=1,reorder_delay=1ms");
	struct hy_impair_rng r;
	struct hy_impair_decision d;

	hy_impair_rng_seed(&r, 9, 0);
	for (int i = 0; i < 10000; i++) {
		hy_impair_decide_with(&all_lost, &r, &d);
		ck_assert_uint_eq(d.copies, 0);
		hy_impair_decide_with(&all_dup, &r, &d);
		ck_assert_uint_eq(d.copies, 2);
		ck_assert(d.held[0] && d.held[1]);
		ck_assert(d.delay_ns[0] >= 1 && d.delay_ns[0] <= 1000000);
	}
}
END_TEST

START_TEST(replay_same_seed)
{
	struct hy_impair_params p =
		parse_ok("loss=0.2,dup=0.1,reorder=0.1,delay=5ms,jitter=20ms,seed=77");
	struct hy_impair_params other = p;
	struct hy_impair_engine *a = hy_impair_engine_create(&p, 1, 1 << 16);
	struct hy_impair_engine *b = hy_impair_engine_create(&p, 1, 1 << 16);
	struct hy_impair_engine *c;
	int differ_seed = 0, differ_dir = 0;

	other.seed = 78;
	c = hy_impair_engine_create(&other, 1, 1 << 16);
	for (int i = 0; i < N; i++) {
		struct hy_impair_decision da, db, dc, dd;

		hy_impair_decide(a, HY_IMPAIR_UP, &da);
		hy_impair_decide(b, HY_IMPAIR_UP, &db);
		ck_assert_mem_eq(&da, &db, sizeof(da));
		hy_impair_decide(c, HY_IMPAIR_UP, &dc);
		differ_seed += memcmp(&da, &dc, sizeof(da)) != 0;
		/* The other direction of the same engine is its own stream. */
		hy_impair_decide(a, HY_IMPAIR_DOWN, &dd);
		differ_dir += memcmp(&da, &dd, sizeof(da)) != 0;
	}
	/* Decisions equal only when both are a plain "one copy, jitter j". */
	ck_assert_int_gt(differ_seed, N * 9 / 10);
	ck_assert_int_gt(differ_dir, N * 9 / 10);
	hy_impair_engine_destroy(a);
	hy_impair_engine_destroy(b);
	hy_impair_engine_destroy(c);

	/* A direction's stream does not depend on the traffic in the other:
	 * the n-th upward datagram always meets the same fate. */
	a = hy_impair_engine_create(&p, 1, 1 << 16);
	b = hy_impair_engine_create(&p, 1, 1 << 16);
	for (int i = 0; i < 1000; i++) {
		struct hy_impair_decision da, db;

		hy_impair_decide(a, HY_IMPAIR_UP, &da);
		if (i % 3 == 0)
			hy_impair_decide(b, HY_IMPAIR_DOWN, &db);
		hy_impair_decide(b, HY_IMPAIR_UP, &db);
		ck_assert_mem_eq(&da, &db, sizeof(da));
	}
	hy_impair_engine_destroy(a);
	hy_impair_engine_destroy(b);
}
END_TEST

/* Known first outputs pin the generator, so a change to it (which would
 * change every recorded run) is caught here. */
START_TEST(rng_pinned)
{
	struct hy_impair_rng r1, r2;
	uint64_t first[4];

	hy_impair_rng_seed(&r1, 1, 0);
	hy_impair_rng_seed(&r2, 1, 0);
	for (int i = 0; i < 4; i++) {
		first[i] = hy_impair_rng_next(&r1);
		ck_assert_uint_eq(first[i], hy_impair_rng_next(&r2));
	}
	/* xoshiro256** reference step from a fixed state {1, 2, 3, 4}. */
	r1.s[0] = 1;
	r1.s[1] = 2;
	r1.s[2] = 3;
	r1.s[3] = 4;
	ck_assert_uint_eq(hy_impair_rng_next(&r1), 11520);
	ck_assert_uint_eq(hy_impair_rng_next(&r1), 0);
	ck_assert_uint_eq(hy_impair_rng_next(&r1), 1509978240);
	ck_assert_uint_eq(hy_impair_rng_next(&r1), 1215971899390074240ull);
}
END_TEST

START_TEST(delay_bounds)
{
	struct hy_impair_params p =
		parse_ok("dup=0.3,reorder=0.2,delay=5ms,jitter=20ms,reorder_delay=7ms,seed=3");
	struct hy_impair_engine *e = hy_impair_engine_create(&p, 4096, 1 << 20);
	uint64_t lo = UINT64_MAX, hi = 0, hi_held = 0;
	uint64_t now = 1000000000;

	for (int i = 0; i < N; i++) {
		struct hy_impair_decision d;

		hy_impair_decide(e, HY_IMPAIR_DOWN, &d);
		for (unsigned int c = 0; c < d.copies; c++) {
			uint64_t ns = d.delay_ns[c];

			ck_assert_uint_ge(ns, 5000000);
			if (d.held[c]) {
				ck_assert_uint_le(ns, 5000000 + 20000000 + 7000000);
				hi_held = ns > hi_held ? ns : hi_held;
			} else {
				ck_assert_uint_le(ns, 5000000 + 20000000);
				lo = ns < lo ? ns : lo;
				hi = ns > hi ? ns : hi;
			}
		}
	}
	/* The whole range is used. */
	ck_assert_uint_lt(lo, 5000000 + 20000);
	ck_assert_uint_gt(hi, 25000000 - 20000);
	ck_assert_uint_gt(hi_held, 32000000 - 100000);

	/* Through the queue: nothing comes out before arrival + delay, or
	 * after arrival + delay + jitter + reorder_delay. */
	for (int i = 0; i < 1000; i++) {
		char b = (char)i;

		hy_impair_submit(e, HY_IMPAIR_UP, now + (uint64_t)i * 1000, (uint64_t)i, &b, 1);
	}
	struct hy_impair_pkt pkt;
	ck_assert(!hy_impair_pop(e, now + 5000000 - 1, &pkt));
	int got = 0;
	for (uint64_t t = now; got < 2000 && t < now + 40000000; t += 100000) {
		while (hy_impair_pop(e, t, &pkt)) {
			uint64_t arrived = now + pkt.tag * 1000;

			ck_assert_uint_le(pkt.due_ns, t);
			ck_assert_uint_ge(pkt.due_ns, arrived + 5000000);
			ck_assert_uint_le(pkt.due_ns, arrived + 32000000);
			ck_assert_int_eq(*(char *)pkt.data, (char)pkt.tag);
			hy_impair_pkt_release(&pkt);
			got++;
		}
	}
	struct hy_impair_stats st;
	hy_impair_get_stats(e, &st);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.queued_bytes, 0);
	ck_assert_uint_eq(st.dir[HY_IMPAIR_UP].out, (uint64_t)got);
	ck_assert_uint_eq((uint64_t)got, 1000 + st.dir[HY_IMPAIR_UP].duplicated);
	hy_impair_engine_destroy(e);
}
END_TEST

/* Datagrams 1 ms apart with no delay: only the held ones can change the
 * order, and each held one is overtaken. */
START_TEST(reorder_reorders)
{
	struct hy_impair_params p = parse_ok("reorder=0.1,reorder_delay=10ms,seed=5");
	struct hy_impair_engine *e = hy_impair_engine_create(&p, 4096, 1 << 20);
	struct hy_impair_pkt pkt;
	struct hy_impair_stats st;
	uint64_t prev = 0, max_seen = 0, late = 0, total = 0;
	int inversions = 0;

	for (uint64_t i = 0; i < 2000; i++)
		ck_assert_uint_eq(hy_impair_submit(e, HY_IMPAIR_UP, i * 1000000, i, &i, sizeof(i)), 1);
	while (hy_impair_pop(e, UINT64_MAX, &pkt)) {
		if (total > 0 && pkt.tag < prev)
			inversions++;
		if (total > 0 && pkt.tag < max_seen)
			late++;	/* something sent after it came out first */
		max_seen = pkt.tag > max_seen ? pkt.tag : max_seen;
		prev = pkt.tag;
		total++;
		hy_impair_pkt_release(&pkt);
	}
	hy_impair_get_stats(e, &st);
	ck_assert_uint_eq(total, 2000);
	ck_assert_uint_gt(st.dir[0].reordered, 150);
	ck_assert_uint_lt(st.dir[0].reordered, 250);
	ck_assert_int_gt(inversions, 150);
	/* A hold shorter than the 1 ms gap changes nothing: most are longer. */
	ck_assert_uint_ge(late, st.dir[0].reordered * 8 / 10);
	ck_assert_uint_le(late, st.dir[0].reordered);
	hy_impair_engine_destroy(e);

	/* No reorder and no jitter: a fixed delay keeps the order. */
	p = parse_ok("delay=3ms,seed=5");
	e = hy_impair_engine_create(&p, 4096, 1 << 20);
	for (uint64_t i = 0; i < 2000; i++)
		hy_impair_submit(e, HY_IMPAIR_DOWN, i * 1000, i, &i, sizeof(i));
	for (uint64_t i = 0; i < 2000; i++) {
		ck_assert(hy_impair_pop(e, UINT64_MAX, &pkt));
		ck_assert_uint_eq(pkt.tag, i);
		ck_assert_uint_eq(pkt.due_ns, i * 1000 + 3000000);
		hy_impair_pkt_release(&pkt);
	}
	hy_impair_engine_destroy(e);
}
END_TEST

START_TEST(zero_impairment_in_order)
{
	struct hy_impair_params p;
	struct hy_impair_engine *e;
	struct hy_impair_pkt pkt;

	hy_impair_params_default(&p);
	e = hy_impair_engine_create(&p, 16, 1 << 20);
	for (uint64_t round = 0; round < 1000; round++) {
		uint64_t now = 5000 + round;	/* several arrive at the same time */

		for (uint64_t i = 0; i < 10; i++) {
			uint64_t v = round * 10 + i;

			ck_assert_uint_eq(hy_impair_submit(e, i & 1, now, v, &v, sizeof(v)), 1);
		}
		ck_assert_uint_eq(hy_impair_next_due(e), now);
		for (uint64_t i = 0; i < 10; i++) {
			uint64_t v;

			ck_assert(hy_impair_pop(e, now, &pkt));
			ck_assert_uint_eq(pkt.len, sizeof(v));
			memcpy(&v, pkt.data, sizeof(v));
			ck_assert_uint_eq(v, round * 10 + i);
			ck_assert_uint_eq(pkt.tag, v);
			ck_assert_int_eq(pkt.dir, (int)(i & 1));
			hy_impair_pkt_release(&pkt);
		}
		ck_assert(!hy_impair_pop(e, UINT64_MAX, &pkt));
		ck_assert_uint_eq(hy_impair_next_due(e), UINT64_MAX);
	}
	struct hy_impair_stats st;
	hy_impair_get_stats(e, &st);
	for (int d = 0; d < HY_IMPAIR_NDIR; d++) {
		ck_assert_uint_eq(st.dir[d].in, 5000);
		ck_assert_uint_eq(st.dir[d].out, 5000);
		ck_assert_uint_eq(st.dir[d].dropped + st.dir[d].duplicated +
				  st.dir[d].reordered + st.dir[d].overflow, 0);
	}
	hy_impair_engine_destroy(e);
}
END_TEST

/* The queue is a heap: random due times come out sorted. */
START_TEST(heap_order)
{
	struct hy_impair_params p = parse_ok("jitter=1s,dup=0.5,seed=11");
	struct hy_impair_engine *e = hy_impair_engine_create(&p, 30000, 1 << 24);
	struct hy_impair_pkt pkt;
	uint64_t last = 0, n = 0, now = 0;

	for (int i = 0; i < 10000; i++) {
		hy_impair_submit(e, HY_IMPAIR_UP, now, 0, "x", 1);
		/* Interleave pops with pushes. */
		if (i % 7 == 0 && hy_impair_pop(e, now, &pkt)) {
			ck_assert_uint_ge(pkt.due_ns, last);
			last = pkt.due_ns;
			n++;
			hy_impair_pkt_release(&pkt);
		}
		now += 100000;
	}
	while (hy_impair_pop(e, UINT64_MAX, &pkt)) {
		ck_assert_uint_ge(pkt.due_ns, last);
		last = pkt.due_ns;
		n++;
		hy_impair_pkt_release(&pkt);
	}
	struct hy_impair_stats st;
	hy_impair_get_stats(e, &st);
	ck_assert_uint_eq(n, 10000 + st.dir[0].duplicated);
	hy_impair_engine_destroy(e);
}
END_TEST

START_TEST(queue_limits)
{
	struct hy_impair_params p = parse_ok("delay=1s,seed=2");
	struct hy_impair_engine *e = hy_impair_engine_create(&p, 10, 1 << 20);
	struct hy_impair_stats st;
	struct hy_impair_pkt pkt;
	char big[4096] = {0};

	ck_assert_ptr_null(hy_impair_engine_create(&p, 0, 1 << 20));
	for (int i = 0; i < 25; i++)
		hy_impair_submit(e, HY_IMPAIR_UP, 0, 0, "abc", 3);
	hy_impair_get_stats(e, &st);
	ck_assert_uint_eq(st.queued, 10);
	ck_assert_uint_eq(st.queued_bytes, 30);
	ck_assert_uint_eq(st.dir[0].overflow, 15);
	ck_assert_uint_eq(st.dir[0].in, 25);
	/* Room again once some leave. */
	ck_assert(hy_impair_pop(e, 1000000000, &pkt));
	hy_impair_pkt_release(&pkt);
	ck_assert_uint_eq(hy_impair_submit(e, HY_IMPAIR_UP, 0, 0, "abc", 3), 1);
	hy_impair_engine_destroy(e);	/* frees what is still queued */

	/* The byte cap, and an empty datagram is still a datagram. */
	e = hy_impair_engine_create(&p, 100, 10000);
	ck_assert_uint_eq(hy_impair_submit(e, HY_IMPAIR_DOWN, 0, 0, big, sizeof(big)), 1);
	ck_assert_uint_eq(hy_impair_submit(e, HY_IMPAIR_DOWN, 0, 0, big, sizeof(big)), 1);
	ck_assert_uint_eq(hy_impair_submit(e, HY_IMPAIR_DOWN, 0, 0, big, sizeof(big)), 0);
	ck_assert_uint_eq(hy_impair_submit(e, HY_IMPAIR_DOWN, 0, 0, "", 0), 1);
	hy_impair_get_stats(e, &st);
	ck_assert_uint_eq(st.dir[1].overflow, 1);
	ck_assert_uint_eq(st.queued, 3);
	ck_assert_uint_eq(st.queued_bytes, 8192);
	hy_impair_engine_destroy(e);
}
END_TEST

START_TEST(durations)
{
	uint64_t ns;

	ck_assert_int_eq(hy_impair_parse_duration("2", 1000000000, &ns), 0);
	ck_assert_uint_eq(ns, 2000000000);
	ck_assert_int_eq(hy_impair_parse_duration("0.5", 1000000000, &ns), 0);
	ck_assert_uint_eq(ns, 500000000);
	ck_assert_int_eq(hy_impair_parse_duration("0", 0, &ns), 0);
	ck_assert_uint_eq(ns, 0);
	ck_assert_int_eq(hy_impair_parse_duration("250ms", 0, &ns), 0);
	ck_assert_uint_eq(ns, 250000000);
	ck_assert_int_eq(hy_impair_parse_duration("1", 0, &ns), -1);
	ck_assert_int_eq(hy_impair_parse_duration(" 1ms", 0, &ns), -1);
	ck_assert_int_eq(hy_impair_parse_duration("+1ms", 0, &ns), -1);
	ck_assert_int_eq(hy_impair_parse_duration("0x10ms", 0, &ns), -1);
	ck_assert_int_eq(hy_impair_parse_duration("1ms ", 0, &ns), -1);
	ck_assert_int_eq(hy_impair_parse_duration("", 0, &ns), -1);
}
END_TEST

static Suite *
impair_suite(void)
{
	Suite *s = suite_create("impair-engine");
	TCase *tc = tcase_create("engine");

	tcase_add_test(tc, parse_valid);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, statistics_match_parameters);
	tcase_add_test(tc, statistics_extremes);
	tcase_add_test(tc, replay_same_seed);
	tcase_add_test(tc, rng_pinned);
	tcase_add_test(tc, delay_bounds);
	tcase_add_test(tc, reorder_reorders);
	tcase_add_test(tc, zero_impairment_in_order);
	tcase_add_test(tc, heap_order);
	tcase_add_test(tc, queue_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hy_check_run(impair_suite());
}
