/* SPDX-License-Identifier: BSD-3-Clause
 * AES-128-GCM seal/open cost per packet, both backends.
 *
 * For each backend, operation and size: several rounds of many packets
 * timed with rdtsc; the figure is the median round's TSC ticks per packet
 * (reference cycles at the TSC frequency, which this program measures
 * against CLOCK_MONOTONIC_RAW and prints) and the same in nanoseconds.
 * Each packet has a 17-byte header as associated data and a fresh nonce,
 * as on the data path.  Prints one "BENCH ..." line per result for
 * scripts, then a table.
 *
 *   bench_aead [--rounds N] [--packets N] [--cpu N]
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "cli_num.h"
#include "crypto/aead.h"

#define AAD_LEN 17
#define MAX_ROUNDS 64

static const size_t sizes[] = {64, 256, 1200};
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

struct result {
	double cycles[HY_AEAD_BACKEND_COUNT][2][N_SIZES];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per nanosecond, measured over 200 ms. */
static double tsc_ghz(void)
{
	uint64_t n0 = now_ns(), t0 = __rdtsc();
	while (now_ns() - n0 < 200000000ull)
		;
	uint64_t n1 = now_ns(), t1 = __rdtsc();
	return (double)(t1 - t0) / (double)(n1 - n0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median over rounds of ticks per packet for one (backend, op, size). */
static double measure(const struct hy_aead_ctx *c, int open, size_t size, int rounds,
		      long packets)
{
	static uint8_t pt[2048], ct[2048], out[2048];
	uint8_t hdr[AAD_LEN], nonce[HY_NONCE_BUF_LEN], tag[HY_TAG_LEN];
	double per[MAX_ROUNDS];
	uint64_t pn = 0;
	int sink = 0;

	memset(pt, 0x5a, size);
	memset(hdr, 0x17, sizeof(hdr));
	if (open) {
		hy_aead_packet_nonce(nonce, 1);
		if (hy_aead_seal(c, nonce, hdr, sizeof(hdr), pt, size, ct, tag) != 0)
			abort();
	}
	/* Warm-up: per-thread state, caches, frequency. */
	for (long i = 0; i < packets / 4; i++) {
		if (open)
			sink |= hy_aead_open(c, nonce, hdr, sizeof(hdr), ct, size, out, tag);
		else
			sink |= hy_aead_seal(c, nonce, hdr, sizeof(hdr), pt, size, ct, tag);
	}
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = __rdtsc();
		if (open) {
			for (long i = 0; i < packets; i++)
				sink |= hy_aead_open(c, nonce, hdr, sizeof(hdr), ct, size, out, tag);
		} else {
			for (long i = 0; i < packets; i++) {
				hy_aead_packet_nonce(nonce, pn++);
				sink |= hy_aead_seal(c, nonce, hdr, sizeof(hdr), pt, size, ct, tag);
			}
		}
		uint64_t t1 = __rdtsc();
		per[r] = (double)(t1 - t0) / (double)packets;
	}
	if (sink != 0) {
		fprintf(stderr, "bench_aead: an operation failed\n");
		exit(1);
	}
	qsort(per, (size_t)rounds, sizeof(per[0]), cmp_double);
	return per[rounds / 2];
}

int main(int argc, char **argv)
{
	int rounds = 9, cpu = -1;
	long packets = 200000;
	static const struct option opts[] = {
		{"rounds", required_argument, NULL, 'r'},
		{"packets", required_argument, NULL, 'p'},
		{"cpu", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	long long v;
	int o;
	while ((o = getopt_long(argc, argv, "r:p:c:", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			if (!hy_cli_num("bench_aead", "--rounds", optarg, 1, MAX_ROUNDS, &v))
				return 2;
			rounds = (int)v;
			break;
		case 'p':
			if (!hy_cli_num("bench_aead", "--packets", optarg, 1, 100000000, &v))
				return 2;
			packets = (long)v;
			break;
		case 'c':
			if (!hy_cli_num("bench_aead", "--cpu", optarg, 0, CPU_SETSIZE - 1, &v))
				return 2;
			cpu = (int)v;
			break;
		default:
			fprintf(stderr, "usage: %s [--rounds N] [--packets N] [--cpu N]\n", argv[0]);
			return 2;
		}
	}
	/* Stay on one CPU so the TSC and caches are the same throughout. */
	if (cpu < 0)
		cpu = sched_getcpu();
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity (continuing unpinned)");

	double ghz = tsc_ghz();
	printf("# TSC %.3f GHz (measured), cpu %d, %d rounds x %ld packets, aad %d bytes, "
	       "median round\n", ghz, cpu, rounds, packets, AAD_LEN);

	uint8_t key[HY_KEY_LEN];
	memset(key, 0x42, sizeof(key));
	struct result res;
	memset(&res, 0, sizeof(res));
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++) {
		struct hy_aead_ctx c;
		if (hy_aead_key_init(&c, (enum hy_aead_backend)b, key) != 0) {
			printf("# backend %s unavailable\n", hy_aead_backend_name((enum hy_aead_backend)b));
			continue;
		}
		for (int op = 0; op < 2; op++) {
			for (size_t s = 0; s < N_SIZES; s++) {
				/* Fewer packets for big sizes keeps rounds comparable in time. */
				long n = packets * 64 / (long)sizes[s];
				if (n < 1000)
					n = 1000;
				double cyc = measure(&c, op, sizes[s], rounds, n);
				res.cycles[b][op][s] = cyc;
				printf("BENCH name=%s backend=%s size=%zu cycles=%.0f ns=%.1f\n",
				       op ? "aead_open" : "aead_seal",
				       hy_aead_backend_name((enum hy_aead_backend)b), sizes[s], cyc,
				       cyc / ghz);
			}
		}
		hy_aead_key_wipe(&c);
	}

	printf("\n%-10s %-9s", "backend", "op");
	for (size_t s = 0; s < N_SIZES; s++)
		printf(" %8zu B cyc %7s", sizes[s], "ns");
	printf("\n");
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++) {
		for (int op = 0; op < 2; op++) {
			printf("%-10s %-9s", hy_aead_backend_name((enum hy_aead_backend)b),
			       op ? "open" : "seal");
			for (size_t s = 0; s < N_SIZES; s++)
				printf(" %14.0f %7.1f", res.cycles[b][op][s],
				       res.cycles[b][op][s] / ghz);
			printf("\n");
		}
	}
	return 0;
}
