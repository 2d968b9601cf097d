/* SPDX-License-Identifier: BSD-3-Clause
 * The MARS registry and node choice (controlplane/mars/view.c): reports,
 * expiry, version separation, OFFLINE and missing roles left out, and
 * the power of two choices preferring the less loaded node.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "mars/view.h"
#include "proto/limits.h"

static struct hy_cluster_node mk(uint32_t id, const char *version, uint64_t sessions)
{
	struct hy_cluster_node n;

	memset(&n, 0, sizeof(n));
	n.id = id;
	snprintf(n.name, sizeof(n.name), "n%u", id);
	snprintf(n.version, sizeof(n.version), "%s", version);
	n.roles = HY_ROLE_UDP | HY_ROLE_TCP | HY_ROLE_HTTP;
	n.state = HY_CLUSTER_ONLINE;
	snprintf(n.udp_host, sizeof(n.udp_host), "10.0.0.%u", id);
	n.udp_port = 7100;
	snprintf(n.tcp_host, sizeof(n.tcp_host), "10.0.0.%u", id);
	n.tcp_port = 7200;
	n.load.sessions = sessions;
	return n;
}

START_TEST(reports_and_expiry)
{
	static struct hy_view v;
	struct hy_cluster_node out[HY_CLUSTER_MAX_NODES], n;

	hy_view_init(&v, 1, 2000);
	n = mk(1, "1", 0);
	ck_assert_int_eq(hy_view_report(&v, &n, NULL, 1000), HY_R_OK);
	n = mk(2, "1", 5);
	ck_assert_int_eq(hy_view_report(&v, &n, NULL, 1000), HY_R_OK);
	n = mk(3, "1", 5);
	ck_assert_int_eq(hy_view_report(&v, &n, NULL, 1000), HY_R_OK);
	/* a refresh replaces, never duplicates */
	n = mk(2, "1", 9);
	ck_assert_int_eq(hy_view_report(&v, &n, NULL, 2500), HY_R_OK);
	ck_assert_uint_eq(hy_view_snapshot(&v, 2600, out), 3);
	for (unsigned i = 0; i < 3; i++)
		if (out[i].id == 2) {
			ck_assert_uint_eq(out[i].load.sessions, 9);
			ck_assert_uint_eq(out[i].age_ms, 100);
		}
	/* at 3001 node 3 (heard at 1000) is silent for more than 2000 ms;
	 * node 1 is this node and never expires */
	ck_assert_uint_eq(hy_view_expire(&v, 3000), 0);
	ck_assert_uint_eq(hy_view_expire(&v, 3001), 1);
	ck_assert_uint_eq(hy_view_snapshot(&v, 3001, out), 2);
	ck_assert(out[0].id != 3 && out[1].id != 3);
	/* full */
	hy_view_clear(&v);
	for (uint32_t id = 1; id <= HY_CLUSTER_MAX_NODES; id++) {
		n = mk(id, "1", 0);
		ck_assert_int_eq(hy_view_report(&v, &n, NULL, 1000), HY_R_OK);
	}
	n = mk(1000, "1", 0);
	ck_assert_int_eq(hy_view_report(&v, &n, NULL, 1000), HY_R_VIEW_FULL);
}
END_TEST

START_TEST(pick_filters)
{
	struct hy_cluster_node ns[4] = { mk(1, "1", 0), mk(2, "2", 0), mk(3, "1", 0), mk(4, "1", 0) };
	uint64_t r;

	ns[2].state = HY_CLUSTER_OFFLINE;  /* draining */
	ns[3].roles = HY_ROLE_TCP;         /* no udp role */
	for (r = 0; r < 200; r++) {
		int i = hy_view_pick(ns, 4, "1", HY_TRANSPORT_UDP, 0, r * 7919, r * 104729);

		ck_assert_int_eq(i, 0); /* only node 1: same version, ONLINE, udp */
	}
	/* version 2 sees only node 2 */
	ck_assert_int_eq(hy_view_pick(ns, 4, "2", HY_TRANSPORT_TCP, 0, 1, 2), 1);
	ck_assert_int_eq(hy_view_pick(ns, 4, "3", HY_TRANSPORT_TCP, 0, 1, 2), -1);
	/* tcp: nodes 1 and 4 (version 1, ONLINE, tcp role) */
	for (r = 0; r < 200; r++) {
		int i = hy_view_pick(ns, 4, "1", HY_TRANSPORT_TCP, 0, r, r * 31 + 7);

		ck_assert(i == 0 || i == 3);
	}
	/* excluded */
	ck_assert_int_eq(hy_view_pick(ns, 4, "1", HY_TRANSPORT_UDP, 1, 1, 2), -1);
	/* a role without an endpoint does not count */
	ns[0].udp_port = 0;
	ck_assert_int_eq(hy_view_pick(ns, 4, "1", HY_TRANSPORT_UDP, 0, 1, 2), -1);
	ck_assert_int_eq(hy_view_pick(ns, 0, "1", HY_TRANSPORT_UDP, 0, 1, 2), -1);
}
END_TEST

/* Of two drawn nodes the less loaded wins: with two nodes the idle one
 * always; with loads 0, 100, 100, 100 the idle one in half the draws or
 * more (it is drawn in half of them), never the busy ones when it is drawn. */
START_TEST(two_choices)
{
	struct hy_cluster_node two[2] = { mk(1, "1", 50), mk(2, "1", 3) };
	struct hy_cluster_node four[4] = { mk(1, "1", 100), mk(2, "1", 0), mk(3, "1", 100),
					   mk(4, "1", 100) };
	uint64_t s = 12345;
	unsigned idle = 0, seen[4] = { 0 };

	for (unsigned r = 0; r < 1000; r++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		ck_assert_int_eq(hy_view_pick(two, 2, "1", HY_TRANSPORT_UDP, 0, s, s >> 17), 1);
	}
	for (unsigned r = 0; r < 4000; r++) {
		uint64_t a, b;
		int i;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		a = s >> 11;
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		b = s >> 11;
		i = hy_view_pick(four, 4, "1", HY_TRANSPORT_UDP, 0, a, b);
		ck_assert_int_ge(i, 0);
		seen[i]++;
		idle += i == 1;
	}
	ck_assert_uint_ge(idle, 1800);  /* 2000 expected */
	ck_assert_uint_gt(seen[0] + seen[2] + seen[3], 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mars-view");
	TCase *tc = tcase_create("view");

	tcase_add_test(tc, reports_and_expiry);
	tcase_add_test(tc, pick_filters);
	tcase_add_test(tc, two_choices);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
