/* SPDX-License-Identifier: BSD-3-Clause
 * The MARS election (controlplane/mars/election.c) on a simulated network
 * of 3 and 5 candidates: chosen clocks, loss, nodes killed, partitioned and
 * paused.  Time advances in 10 ms steps; a message arrives 5 ms after it
 * is sent unless lost or cut.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "mars/election.h"
#include "mars/wire.h"

#define MAXN 5
#define QMAX 4096
#define T 300u  /* election timeout */
#define HB 100u

struct msg {
	unsigned from, to;
	uint8_t type;
	uint64_t term;
	bool granted;
	uint64_t at;
};

struct sim;
struct ctx {
	struct sim *s;
	unsigned i;
};

struct sim {
	struct hy_elect e[MAXN];
	struct ctx c[MAXN];
	unsigned n;
	bool up[MAXN], paused[MAXN];
	bool cut[MAXN][MAXN];
	uint64_t now;
	struct msg q[QMAX];
	unsigned nq;
	unsigned cur_from;
	unsigned loss_pct;
	uint64_t rng;
	uint32_t leader_of_term[4096];
};

static struct sim sim;

static unsigned rnd(struct sim *s)
{
	s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(s->rng >> 33);
}

static void enqueue(struct sim *s, unsigned from, unsigned to, uint8_t type, uint64_t term,
		    bool granted)
{
	if (s->loss_pct && rnd(s) % 100 < s->loss_pct)
		return;
	if (s->nq < QMAX)
		s->q[s->nq++] = (struct msg){ from, to, type, term, granted, s->now + 5 };
}

static void on_send(void *arg, enum hy_elect_to to, uint8_t type, uint64_t term, bool granted)
{
	struct ctx *c = arg;
	struct sim *s = c->s;

	if (to == HY_ELECT_REPLY) {
		enqueue(s, c->i, s->cur_from, type, term, granted);
		return;
	}
	for (unsigned j = 0; j < s->n; j++)
		if (j != c->i)
			enqueue(s, c->i, j, type, term, granted);
}

static void sim_init(unsigned n, uint64_t seed)
{
	memset(&sim, 0, sizeof(sim));
	sim.n = n;
	sim.rng = seed;
	sim.now = 1000;
	for (unsigned i = 0; i < n; i++) {
		struct hy_elect_cfg cfg = { .self_id = i + 1, .n_candidates = n, .heartbeat_ms = HB,
					    .timeout_ms = T, .seed = seed * 131 + i };
		struct hy_elect_ops ops = { .send = on_send, .arg = &sim.c[i] };

		sim.c[i] = (struct ctx){ &sim, i };
		sim.up[i] = true;
		hy_elect_init(&sim.e[i], &cfg, &ops, sim.now);
	}
}

static bool alive(unsigned i)
{
	return sim.up[i] && !sim.paused[i];
}

/* One leader per term, ever. */
static void check_safety(void)
{
	for (unsigned i = 0; i < sim.n; i++) {
		const struct hy_elect *e = &sim.e[i];

		if (!sim.up[i] || e->role != HY_ELECT_LEADER)
			continue;
		ck_assert_uint_lt(e->term, 4096);
		if (sim.leader_of_term[e->term] == 0)
			sim.leader_of_term[e->term] = i + 1;
		ck_assert_msg(sim.leader_of_term[e->term] == i + 1, "two leaders in term %llu",
			      (unsigned long long)e->term);
	}
}

static void step(void)
{
	static struct msg due[QMAX];
	unsigned k = 0, nd = 0;

	sim.now += 10;
	/* Take the due messages out first: replies sent while they are
	 * handled join the queue behind the rest. */
	for (unsigned i = 0; i < sim.nq; i++) {
		if (sim.q[i].at > sim.now)
			sim.q[k++] = sim.q[i];
		else
			due[nd++] = sim.q[i];
	}
	sim.nq = k;
	for (unsigned i = 0; i < nd; i++) {
		struct msg m = due[i];

		if (!alive(m.to) || !alive(m.from) || sim.cut[m.from][m.to])
			continue;
		sim.cur_from = m.from;
		hy_elect_on_msg(&sim.e[m.to], m.from + 1, m.type, m.term, m.granted, sim.now);
	}
	for (unsigned i = 0; i < sim.n; i++)
		if (alive(i))
			hy_elect_tick(&sim.e[i], sim.now);
	check_safety();
}

static void run(uint64_t ms)
{
	uint64_t end = sim.now + ms;

	while (sim.now < end)
		step();
}

/* The one leader every live, connected node follows; -1 if none yet. */
static int leader(void)
{
	int l = -1;

	for (unsigned i = 0; i < sim.n; i++)
		if (alive(i) && sim.e[i].role == HY_ELECT_LEADER) {
			if (l >= 0)
				return -2;
			l = (int)i;
		}
	return l;
}

static int run_until_leader(uint64_t max_ms, int not)
{
	uint64_t end = sim.now + max_ms;

	while (sim.now < end) {
		int l;

		step();
		l = leader();
		if (l >= 0 && l != not)
			return l;
	}
	return -1;
}

static void cut_off(unsigned i, bool cut)
{
	for (unsigned j = 0; j < sim.n; j++) {
		sim.cut[i][j] = cut;
		sim.cut[j][i] = cut;
	}
}

static void elect_n(unsigned n)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		int l;

		sim_init(n, seed);
		l = run_until_leader(10000, -1);
		ck_assert_msg(l >= 0, "no leader with seed %llu", (unsigned long long)seed);
		run(3000);
		ck_assert_int_eq(leader(), l); /* stable */
		for (unsigned i = 0; i < n; i++) {
			ck_assert_uint_eq(sim.e[i].term, sim.e[l].term);
			ck_assert_uint_eq(sim.e[i].leader, (uint32_t)l + 1);
		}
	}
}

START_TEST(three_elect_one)
{
	elect_n(3);
}
END_TEST

START_TEST(five_elect_one)
{
	elect_n(5);
}
END_TEST

START_TEST(lone_candidate_leads)
{
	sim_init(1, 7);
	ck_assert_int_eq(run_until_leader(1000, -1), 0);
	ck_assert_uint_eq(sim.e[0].term, 1);
}
END_TEST

static void leader_killed(unsigned n)
{
	for (uint64_t seed = 1; seed <= 10; seed++) {
		int l, l2;
		uint64_t term;

		sim_init(n, seed);
		l = run_until_leader(10000, -1);
		ck_assert_int_ge(l, 0);
		term = sim.e[l].term;
		sim.up[l] = false;
		l2 = run_until_leader(10000, l);
		ck_assert_int_ge(l2, 0);
		ck_assert_int_ne(l2, l);
		ck_assert_uint_gt(sim.e[l2].term, term);
		if (n == 5) {
			/* a second failure still leaves a majority of 3 */
			sim.up[l2] = false;
			ck_assert_int_ge(run_until_leader(10000, l2), 0);
		}
	}
}

START_TEST(three_leader_killed)
{
	leader_killed(3);
}
END_TEST

START_TEST(five_leader_killed)
{
	leader_killed(5);
}
END_TEST

/* A leader cut off from everyone steps down within about T and never
 * leads alone; the others elect a new one. */
START_TEST(leader_partitioned)
{
	for (unsigned n = 3; n <= 5; n += 2) {
		int l, l2 = -1;

		sim_init(n, 3 + n);
		l = run_until_leader(10000, -1);
		ck_assert_int_ge(l, 0);
		cut_off((unsigned)l, true);
		run(3 * T);
		ck_assert_int_ne(sim.e[l].role, HY_ELECT_LEADER);
		ck_assert_uint_ge(sim.e[l].counters[HY_ELECT_C_quorum_lost], 1);
		for (unsigned t = 0; t < 2000; t++) {
			step();
			ck_assert_int_ne(sim.e[l].role, HY_ELECT_LEADER);
			for (unsigned i = 0; i < n; i++)
				if ((int)i != l && sim.e[i].role == HY_ELECT_LEADER)
					l2 = (int)i;
		}
		ck_assert_int_ge(l2, 0);
		/* the cut-off node never raised its term: no majority pre-voted */
		ck_assert_uint_le(sim.e[l].term, sim.e[l2].term);
	}
}
END_TEST

/* A follower cut off for a long time does not raise its term (pre-vote),
 * so when it comes back the leader and term stay as they were. */
START_TEST(partitioned_candidate_rejoins)
{
	for (unsigned n = 3; n <= 5; n += 2) {
		int l;
		unsigned f;
		uint64_t term;

		sim_init(n, 11 + n);
		l = run_until_leader(10000, -1);
		ck_assert_int_ge(l, 0);
		term = sim.e[l].term;
		f = ((unsigned)l + 1) % n;
		cut_off(f, true);
		run(20000);
		ck_assert_uint_eq(sim.e[f].term, term);
		ck_assert_uint_ge(sim.e[f].counters[HY_ELECT_C_elections], 10);
		ck_assert_uint_eq(sim.e[f].counters[HY_ELECT_C_votes_started], 0);
		cut_off(f, false);
		run(3000);
		ck_assert_int_eq(leader(), l);
		ck_assert_uint_eq(sim.e[l].term, term);
		ck_assert_uint_eq(sim.e[f].leader, (uint32_t)l + 1);
	}
}
END_TEST

/* A leader paused (no ticks, no messages) past the timeout: the others
 * elect a new one; on resuming it steps down to the newer term. */
START_TEST(paused_leader_resumes)
{
	int l, l2;
	uint64_t term;

	sim_init(5, 5);
	l = run_until_leader(10000, -1);
	ck_assert_int_ge(l, 0);
	term = sim.e[l].term;
	sim.paused[l] = true;
	l2 = run_until_leader(10000, l);
	ck_assert_int_ge(l2, 0);
	sim.paused[l] = false;
	run(2 * T);
	ck_assert_int_ne(sim.e[l].role, HY_ELECT_LEADER);
	ck_assert_uint_gt(sim.e[l].term, term);
	ck_assert_uint_eq(sim.e[l].term, sim.e[l2].term);
	ck_assert_uint_eq(sim.e[l].leader, (uint32_t)l2 + 1);
}
END_TEST

/* 20 % loss: still exactly one leader per term, and one is elected. */
START_TEST(lossy_network)
{
	for (uint64_t seed = 1; seed <= 10; seed++) {
		sim_init(5, seed);
		sim.loss_pct = 20;
		ck_assert_int_ge(run_until_leader(20000, -1), 0);
		run(5000);
	}
}
END_TEST

/* A majority lost (3 of 5 down): nobody leads, however long. */
START_TEST(no_majority_no_leader)
{
	int l;

	sim_init(5, 9);
	l = run_until_leader(10000, -1);
	ck_assert_int_ge(l, 0);
	for (unsigned i = 0, down = 0; i < 5 && down < 3; i++)
		if ((int)i != l) {
			sim.up[i] = false;
			down++;
		}
	sim.up[l] = false; /* and the leader: 2 of 5 left */
	for (unsigned t = 0; t < 2000; t++) {
		step();
		ck_assert_int_lt(leader(), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mars-election");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, three_elect_one);
	tcase_add_test(tc, five_elect_one);
	tcase_add_test(tc, lone_candidate_leads);
	tcase_add_test(tc, three_leader_killed);
	tcase_add_test(tc, five_leader_killed);
	tcase_add_test(tc, leader_partitioned);
	tcase_add_test(tc, partitioned_candidate_rejoins);
	tcase_add_test(tc, paused_leader_resumes);
	tcase_add_test(tc, lossy_network);
	tcase_add_test(tc, no_majority_no_leader);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
