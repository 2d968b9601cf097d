/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-dpstat: prints the data plane's counters from its shared-memory
 * stats region (paths.stats_shm) without starting EAL.
 *
 *   hayate-dpstat [--shm NAME] [--lcore N] [--all] [NAME...]
 *   hayate-dpstat [--shm NAME] --summary
 *   hayate-dpstat [--shm NAME] --wait-ready SECONDS
 *   hayate-dpstat [--shm NAME] --load SECONDS
 *   hayate-dpstat [--shm NAME] --latency SECONDS
 *
 * Default output: "name value" per non-zero counter, summed over lcores
 * (--all: every counter).  With NAMEs: exactly those, in that order, 0 for
 * a name the region does not have.  The region's own names are used, so
 * this tool reads any layout-1 region whatever its counter list.  --load:
 * each lcore's share of time in polls that found work (busy_us) over the
 * next SECONDS, divided by the time between the lcore's own publishes (the
 * main lcore publishes once a second, so give it two or more).
 * --latency: the workers' tx delay histogram (tx_delay.*) over the next
 * SECONDS: frames sent, their mean delay, and the bucket bounds under
 * which 50, 90, 99 and 99.9% of them left.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hayate-dpstat [--shm NAME] [--lcore N] [--all] [COUNTER...]\n"
		"       hayate-dpstat [--shm NAME] --summary\n"
		"       hayate-dpstat [--shm NAME] --wait-ready SECONDS\n"
		"       hayate-dpstat [--shm NAME] --load SECONDS\n"
		"       hayate-dpstat [--shm NAME] --latency SECONDS\n"
		"  (default)       every non-zero counter, summed over lcores: \"name value\"\n"
		"  --lcore N       lcore N's counters only\n"
		"  --all           every counter, zeros too\n"
		"  COUNTER...      exactly those counters, in that order (0 if unknown)\n"
		"  --summary       one line: node, state, sessions, rx, tx, drops\n"
		"  --wait-ready S  wait up to S seconds until the region exists and the\n"
		"                  workers run; exit 0 then, 1 if not\n"
		"  --load S        each lcore's load (busy_us) over the next S seconds\n"
		"  --latency S     the workers' tx delay over the next S seconds: frames\n"
		"                  sent, mean, and the bucket bounds of p50, p90, p99, p99.9\n"
		"NAME defaults to $HAYATE_STATS_SHM, else /hayate-stats.\n");
}

static const char *find_value(const struct hy_stats_region *r,
			      const uint64_t *v, const char *want,
			      unsigned long long *out)
{
	unsigned int i, n = hy_stats_counter_count(r);
	char name[HY_STATS_NAME_LEN];

	for (i = 0; i < n; i++) {
		if (strcmp(hy_stats_counter_name(r, i, name, sizeof(name)),
			   want) == 0) {
			*out = v[i];
			return want;
		}
	}
	*out = 0;
	return NULL;
}

static const char *role_name(enum hy_stats_role role)
{
	return role == HY_STATS_ROLE_MAIN ? "main" : role == HY_STATS_ROLE_WORKER ? "worker" : "?";
}

/* Every lcore's load over the next `seconds`: "lcore L ROLE load X". */
static int print_load(const struct hy_stats_region *r, double seconds)
{
	unsigned int b, n = hy_stats_counter_count(r), nb = hy_stats_blocks(r), id = n;
	uint64_t *v = calloc(n, sizeof(*v)), *busy0 = calloc(nb, sizeof(uint64_t)),
		 *ns0 = calloc(nb, sizeof(uint64_t));
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (double)(time_t)seconds) * 1e9) };
	char name[HY_STATS_NAME_LEN];
	int shown = 0;

	for (b = 0; b < n; b++)
		if (strcmp(hy_stats_counter_name(r, b, name, sizeof(name)), "busy_us") == 0)
			id = b;
	if (v == NULL || busy0 == NULL || ns0 == NULL || id == n) {
		fprintf(stderr, "hayate-dpstat: %s\n", id == n ?
			"this data plane has no busy_us counter" : "out of memory");
		free(v);
		free(busy0);
		free(ns0);
		return 1;
	}
	for (b = 0; b < nb; b++)
		if (!hy_stats_read_stamped(r, b, v, n, NULL, &ns0[b]))
			ns0[b] = UINT64_MAX; /* unused block */
		else
			busy0[b] = v[id];
	nanosleep(&ts, NULL);
	for (b = 0; b < nb; b++) {
		enum hy_stats_role role;
		uint64_t ns;

		if (ns0[b] == UINT64_MAX || !hy_stats_read_stamped(r, b, v, n, &role, &ns))
			continue;
		shown++;
		if (ns <= ns0[b]) {
			printf("lcore %u %s load n/a (no new counters in %.1f s)\n", b,
			       role_name(role), seconds);
			continue;
		}
		printf("lcore %u %s load %.3f\n", b, role_name(role),
		       (double)(v[id] - busy0[b]) * 1e3 / (double)(ns - ns0[b]));
	}
	free(v);
	free(busy0);
	free(ns0);
	return shown ? 0 : 1;
}

/* The SECONDS of --load and --latency, in (0, 3600]; -1 with a message. */
static int window_seconds(const char *opt, const char *arg, double *out)
{
	*out = strtod(arg, NULL);
	if (*out > 0 && *out <= 3600)
		return 0;
	fprintf(stderr, "hayate-dpstat: %s: seconds in (0, 3600], got '%s'\n", opt, arg);
	return -1;
}

/* Every block's counters summed into sum (n of them); false if none read. */
static bool read_sum(const struct hy_stats_region *r, uint64_t *sum, uint64_t *one, unsigned int n)
{
	bool any = false;

	memset(sum, 0, n * sizeof(*sum));
	for (unsigned int b = 0; b < hy_stats_blocks(r); b++) {
		if (!hy_stats_read(r, b, one, n, NULL))
			continue;
		any = true;
		for (unsigned int i = 0; i < n; i++)
			sum[i] += one[i];
	}
	return any;
}

/* The tx delay histogram over the next `seconds`, summed over the workers:
 * "tx delay over S s: N frames, mean M us, p50 <= A us, ...".  The buckets
 * are the region's "tx_delay.<B>us" counters, in order, then "tx_delay.inf". */
static int print_latency(const struct hy_stats_region *r, double seconds)
{
	static const double q[] = {0.5, 0.9, 0.99, 0.999};
	unsigned int n = hy_stats_counter_count(r), i, k, first = n, nbk = 0, ns_id = n;
	uint64_t *v0 = calloc(n, sizeof(uint64_t)), *v1 = calloc(n, sizeof(uint64_t)),
		 *one = calloc(n, sizeof(uint64_t));
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (double)(time_t)seconds) * 1e9) };
	char name[HY_STATS_NAME_LEN];
	uint64_t total = 0, c;
	int rc = 1;

	for (i = 0; i < n; i++) {
		hy_stats_counter_name(r, i, name, sizeof(name));
		if (strcmp(name, "tx_delay_ns") == 0)
			ns_id = i;
		else if (strncmp(name, "tx_delay.", 9) == 0 && (first == n || i == first + nbk)) {
			if (first == n)
				first = i;
			nbk++;
		}
	}
	if (v0 == NULL || v1 == NULL || one == NULL || first == n || ns_id == n) {
		fprintf(stderr, "hayate-dpstat: %s\n", v0 == NULL || v1 == NULL || one == NULL ?
			"out of memory" : "this data plane has no tx delay histogram");
		goto out;
	}
	if (!read_sum(r, v0, one, n))
		goto out;
	nanosleep(&ts, NULL);
	if (!read_sum(r, v1, one, n))
		goto out;
	for (k = 0; k < nbk; k++)
		total += v1[first + k] - v0[first + k];
	printf("tx delay over %.1f s: %llu frames", seconds, (unsigned long long)total);
	if (total > 0) {
		printf(", mean %.1f us", (double)(v1[ns_id] - v0[ns_id]) / 1e3 / (double)total);
		for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
			for (c = 0, k = 0; k < nbk; k++) {
				c += v1[first + k] - v0[first + k];
				if ((double)c >= q[i] * (double)total)
					break;
			}
			hy_stats_counter_name(r, first + k, name, sizeof(name));
			printf(", p%g %s %s", q[i] * 100, k + 1 < nbk ? "<=" : ">",
			       k + 1 < nbk ? name + 9 : "the last bound");
		}
	}
	printf("\n");
	rc = 0;
out:
	free(v0);
	free(v1);
	free(one);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "shm", required_argument, NULL, 's' },
		{ "lcore", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "summary", no_argument, NULL, 'S' },
		{ "wait-ready", required_argument, NULL, 'w' },
		{ "load", required_argument, NULL, 'L' },
		{ "latency", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *shm = getenv("HAYATE_STATS_SHM");
	const struct hy_stats_shm_hdr *h;
	struct hy_stats_region *r = NULL;
	uint64_t *sum, *one;
	unsigned int i, b, n;
	long lcore = -1;
	double wait_s = -1, load_s = -1, lat_s = -1;
	int opt, all = 0, summary = 0;
	char err[256], name[HY_STATS_NAME_LEN];

	if (shm == NULL || shm[0] == '\0')
		shm = "/hayate-stats";
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's': shm = optarg; break;
		case 'l': lcore = strtol(optarg, NULL, 10); break;
		case 'a': all = 1; break;
		case 'S': summary = 1; break;
		case 'w': wait_s = strtod(optarg, NULL); break;
		case 'L':
			if (window_seconds("--load", optarg, &load_s) < 0)
				return 2;
			break;
		case 'T':
			if (window_seconds("--latency", optarg, &lat_s) < 0)
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}

	if (wait_s >= 0) {
		/* until the region exists and its workers run */
		struct timespec ts = { 0, 50000000 };
		double waited = 0;

		for (;;) {
			r = hy_stats_attach(shm, err, sizeof(err));
			if (r != NULL && hy_stats_hdr_ro(r)->ready)
				break;
			hy_stats_destroy(r);
			r = NULL;
			if (waited >= wait_s) {
				fprintf(stderr, "hayate-dpstat: %s not ready after "
					"%.0f s\n", shm, wait_s);
				return 1;
			}
			nanosleep(&ts, NULL);
			waited += 0.05;
		}
		hy_stats_destroy(r);
		return 0;
	}

	r = hy_stats_attach(shm, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "hayate-dpstat: %s\n", err);
		return 1;
	}
	if (load_s > 0 || lat_s > 0) {
		int rc = load_s > 0 ? print_load(r, load_s) : print_latency(r, lat_s);

		hy_stats_destroy(r);
		return rc;
	}
	h = hy_stats_hdr_ro(r);
	n = hy_stats_counter_count(r);
	sum = calloc(n, sizeof(*sum));
	one = calloc(n, sizeof(*one));
	if (sum == NULL || one == NULL) {
		fprintf(stderr, "hayate-dpstat: out of memory\n");
		return 1;
	}
	for (b = 0; b < hy_stats_blocks(r); b++) {
		if (lcore >= 0 && b != (unsigned long)lcore)
			continue;
		if (!hy_stats_read(r, b, one, n, NULL))
			continue;
		for (i = 0; i < n; i++)
			sum[i] += one[i];
	}

	if (summary) {
		unsigned long long rx, tx, drops, sess;

		find_value(r, sum, "rx_packets", &rx);
		find_value(r, sum, "tx_packets", &tx);
		find_value(r, sum, "drops", &drops);
		find_value(r, sum, "sessions", &sess);
		printf("node %u pid %u %s%s: sessions %llu rx %llu tx %llu "
		       "drops %llu\n", h->node_id, h->pid,
		       atomic_load(&h->node_state) ? "draining" : "online",
		       atomic_load(&h->ready) ? "" : " (starting)", sess, rx, tx,
		       drops);
	} else if (optind < argc) {
		for (i = (unsigned int)optind; i < (unsigned int)argc; i++) {
			unsigned long long v;

			find_value(r, sum, argv[i], &v);
			printf("%s %llu\n", argv[i], v);
		}
	} else {
		for (i = 0; i < n; i++)
			if (all || sum[i] != 0)
				printf("%s %llu\n",
				       hy_stats_counter_name(r, i, name, sizeof(name)),
				       (unsigned long long)sum[i]);
	}
	free(sum);
	free(one);
	hy_stats_destroy(r);
	return 0;
}
