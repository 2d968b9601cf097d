/* SPDX-License-Identifier: BSD-3-Clause
 * Ring throughput between two processes pinned to different cores.
 *
 * Scenarios (each with 64-byte messages and messages that fill a whole
 * slot, HY_RING_SLOT_SIZE bytes, bursts of 32):
 *   rte     - the shipped ring (shared/ring: rte_ring zero-copy elem API,
 *             copies only the used bytes, decodes in place)
 *   rteelem - plain rte_ring_enqueue_burst_elem/dequeue_burst_elem on the
 *             same region (copies whole slots in and out)
 *   spsc    - the reference hand-written SPSC ring (perf/ring/spsc_ref.h)
 * The consumer decodes every message and checks its sequence number.
 * Scenarios are interleaved in short intervals; the median is reported.
 *
 * Usage: bench_ring [-i interval_ms] [-r rounds] [-s slots] [-p cpu] [-c cpu]
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench_median.h"
#include "cli_num.h"
#include "ring/msg.h"
#include "ring/ring.h"
#include "spsc_ref.h"

#define BURST 32u
#define MAX_ROUNDS 64

enum impl { IMPL_RTE, IMPL_RTEELEM, IMPL_SPSC, IMPL_COUNT };
static const char *const impl_names[IMPL_COUNT] = {"rte", "rteelem", "spsc"};
static const unsigned sizes[] = {64, HY_RING_SLOT_SIZE};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct ctl {
	_Atomic int ready;
	_Atomic int stop;
};

static unsigned opt_interval_ms = 200;
static unsigned opt_rounds = 7;
static uint32_t opt_slots = 1024;
static int opt_cpu_prod = 1;
static int opt_cpu_cons = 0;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "bench_ring: cannot pin to cpu %d: %s\n", cpu,
			strerror(errno));
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ring: %s\n", what);
	exit(1);
}

/* BURST source slots holding COMMAND messages of `size` used bytes. */
static uint8_t *make_sources(unsigned size)
{
	uint8_t *src = aligned_alloc(64, (size_t)BURST * HY_RING_SLOT_SIZE);
	static uint8_t payload[HY_RING_SLOT_SIZE];
	if (!src)
		die("out of memory");
	memset(src, 0, (size_t)BURST * HY_RING_SLOT_SIZE);
	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	struct hy_ring_msg m = {
		.type = HY_MSG_COMMAND, .sid = 42,
		.u.cmd = {.ver = 1, .cmd = 7, .payload = payload,
			  .payload_len = size - HY_MSG_HDR_LEN - 8},
	};
	for (unsigned i = 0; i < BURST; i++) {
		size_t used;
		if (hy_msg_encode_slot(&m, src + (size_t)i * HY_RING_SLOT_SIZE,
				       &used) != HY_R_OK || used != size)
			die("cannot encode the source message");
	}
	return src;
}

/* The seq field of a slot header (bytes 16..19, big-endian). */
static void set_seq(uint8_t *slot, uint32_t seq)
{
	slot[16] = (uint8_t)(seq >> 24);
	slot[17] = (uint8_t)(seq >> 16);
	slot[18] = (uint8_t)(seq >> 8);
	slot[19] = (uint8_t)seq;
}

static void stamp(uint8_t *src, uint32_t seq)
{
	for (unsigned i = 0; i < BURST; i++)
		set_seq(src + (size_t)i * HY_RING_SLOT_SIZE, seq + i);
}

struct setup {
	enum impl impl;
	unsigned size;
	struct ctl *ctl;
	struct hy_ring *ring;     /* consumer handle (rte, rteelem) */
	struct spsc_shared *spsc; /* shared anonymous mapping (spsc) */
};

static void producer(const struct setup *st)
{
	uint8_t *src = make_sources(st->size);
	const void *ptrs[BURST];
	uint32_t seq = 0;
	struct hy_ring *r = NULL;
	struct spsc_end e = {0};
	enum hy_reason why;

	pin(opt_cpu_prod);
	for (unsigned i = 0; i < BURST; i++)
		ptrs[i] = src + (size_t)i * HY_RING_SLOT_SIZE;
	if (st->impl != IMPL_SPSC) {
		int mfd = dup(hy_ring_memfd(st->ring));
		int efd = dup(hy_ring_eventfd(st->ring));
		if (hy_ring_attach(&r, mfd, efd, HY_RING_UP, HY_RING_PRODUCER,
				   0, &why) < 0)
			die("producer attach failed");
		hy_ring_watch_peer(r);
	} else {
		spsc_end_init(&e, st->spsc, opt_slots, HY_RING_SLOT_SIZE);
	}
	struct rte_ring *rr = r ? (struct rte_ring *)((uint8_t *)hy_ring_shared(r) +
		HY_RING_HDR_SIZE) : NULL;
	atomic_store(&st->ctl->ready, 1);

	while (!atomic_load_explicit(&st->ctl->stop, memory_order_relaxed)) {
		uint32_t n, first;
		stamp(src, seq);
		switch (st->impl) {
		case IMPL_RTE:
			n = hy_ring_send_burst(r, ptrs, BURST, &why);
			break;
		case IMPL_RTEELEM:
			n = rte_ring_enqueue_burst_elem(rr, src, HY_RING_SLOT_SIZE,
				BURST, NULL);
			break;
		default:
			n = spsc_reserve(&e, BURST, &first);
			for (uint32_t i = 0; i < n; i++)
				memcpy(spsc_slot(&e, first + i), ptrs[i],
				       hy_msg_slot_used(ptrs[i]));
			spsc_commit(&e, n);
			break;
		}
		seq += n;
	}
	hy_ring_close(r);
	free(src);
}

static void check_msg(const struct hy_ring_msg *m, uint32_t *expect)
{
	if (m->type != HY_MSG_COMMAND || m->seq != *expect)
		die("message lost, reordered or corrupted");
	(*expect)++;
}

/* Consumes for warm-up + interval; returns messages per second. */
static double consumer(const struct setup *st)
{
	static uint8_t dst[BURST * HY_RING_SLOT_SIZE] __attribute__((aligned(64)));
	struct hy_ring_msg msgs[BURST];
	struct spsc_end e = {0};
	uint32_t expect = 0;
	uint64_t count = 0, base = 0;
	double t0 = 0, t_end, warm_end;
	struct rte_ring *rr = (struct rte_ring *)((uint8_t *)hy_ring_shared(st->ring) +
		HY_RING_HDR_SIZE);

	if (st->impl == IMPL_SPSC)
		spsc_end_init(&e, st->spsc, opt_slots, HY_RING_SLOT_SIZE);
	while (!atomic_load(&st->ctl->ready))
		sched_yield();
	warm_end = now_s() + 0.02;
	t_end = warm_end + opt_interval_ms / 1000.0;
	bool measuring = false;

	for (;;) {
		uint32_t n, first;
		switch (st->impl) {
		case IMPL_RTE:
			n = hy_ring_recv_burst(st->ring, msgs, BURST);
			for (uint32_t i = 0; i < n; i++)
				check_msg(&msgs[i], &expect);
			break;
		case IMPL_RTEELEM:
			n = rte_ring_dequeue_burst_elem(rr, dst, HY_RING_SLOT_SIZE,
				BURST, NULL);
			for (uint32_t i = 0; i < n; i++) {
				if (hy_msg_decode_slot(dst + (size_t)i * HY_RING_SLOT_SIZE,
					HY_RING_SLOT_SIZE, &msgs[0]) != HY_R_OK)
					die("bad message");
				check_msg(&msgs[0], &expect);
			}
			break;
		default:
			n = spsc_peek(&e, BURST, &first);
			for (uint32_t i = 0; i < n; i++) {
				if (hy_msg_decode_slot(spsc_slot(&e, first + i),
					HY_RING_SLOT_SIZE, &msgs[0]) != HY_R_OK)
					die("bad message");
				check_msg(&msgs[0], &expect);
			}
			spsc_release(&e, n);
			break;
		}
		count += n;
		double t = now_s();
		if (!measuring && t >= warm_end) {
			measuring = true;
			t0 = t;
			base = count;
		} else if (measuring && t >= t_end) {
			return (double)(count - base) / (t - t0);
		}
	}
}

static double run_interval(enum impl impl, unsigned size)
{
	struct setup st = {.impl = impl, .size = size};
	st.ctl = mmap(NULL, sizeof(*st.ctl), PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st.ctl == MAP_FAILED)
		die("mmap failed");
	if (hy_ring_create(&st.ring, HY_RING_UP, HY_RING_CONSUMER, opt_slots) < 0)
		die("ring create failed");
	size_t spsc_size = spsc_region_size(opt_slots, HY_RING_SLOT_SIZE);
	if (impl == IMPL_SPSC) {
		st.spsc = mmap(NULL, spsc_size, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (st.spsc == MAP_FAILED)
			die("mmap failed");
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		producer(&st);
		_exit(0);
	}
	pin(opt_cpu_cons);
	double rate = consumer(&st);
	atomic_store(&st.ctl->stop, 1);
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("producer failed");
	hy_ring_close(st.ring);
	if (st.spsc)
		munmap(st.spsc, spsc_size);
	munmap(st.ctl, sizeof(*st.ctl));
	return rate;
}

int main(int argc, char **argv)
{
	static double rates[IMPL_COUNT][NSIZES][MAX_ROUNDS];
	int c;
	while ((c = getopt(argc, argv, "i:r:s:p:c:")) != -1) {
		long long v = 0;
		bool ok = true;

		switch (c) {
		case 'i':
			ok = hy_cli_num("bench_ring", "-i", optarg, 1, 60000, &v);
			opt_interval_ms = (unsigned)v;
			break;
		case 'r':
			ok = hy_cli_num("bench_ring", "-r", optarg, 1, MAX_ROUNDS, &v);
			opt_rounds = (unsigned)v;
			break;
		case 's':
			ok = hy_cli_num("bench_ring", "-s", optarg, HY_RING_MIN_SLOTS,
					HY_RING_MAX_SLOTS, &v);
			if (ok && (v & (v - 1)) != 0) {
				fprintf(stderr, "bench_ring: -s wants a power of two, got %lld\n", v);
				ok = false;
			}
			opt_slots = (uint32_t)v;
			break;
		case 'p':
			ok = hy_cli_num("bench_ring", "-p", optarg, 0, CPU_SETSIZE - 1, &v);
			opt_cpu_prod = (int)v;
			break;
		case 'c':
			ok = hy_cli_num("bench_ring", "-c", optarg, 0, CPU_SETSIZE - 1, &v);
			opt_cpu_cons = (int)v;
			break;
		default:
			ok = false;
			fprintf(stderr, "usage: %s [-i interval_ms] [-r rounds] "
				"[-s slots] [-p cpu] [-c cpu]\n", argv[0]);
		}
		if (!ok)
			return 2;
	}
	if (opt_cpu_prod == opt_cpu_cons)
		fprintf(stderr, "bench_ring: producer and consumer share cpu %d: "
			"figures will collapse\n", opt_cpu_prod);

	/* Interleave every scenario in each round so slow phases of the
	 * machine hit all of them alike. */
	for (unsigned r = 0; r < opt_rounds; r++)
		for (unsigned s = 0; s < NSIZES; s++)
			for (unsigned i = 0; i < IMPL_COUNT; i++)
				rates[i][s][r] = run_interval(i, sizes[s]);

	double med[IMPL_COUNT][NSIZES];
	for (unsigned i = 0; i < IMPL_COUNT; i++) {
		for (unsigned s = 0; s < NSIZES; s++) {
			double *v = rates[i][s];
			med[i][s] = hy_bench_median(v, (int)opt_rounds); /* sorts v */
			printf("BENCH name=ring_%s_%u value=%.0f unit=msg/s min=%.0f "
			       "max=%.0f intervals=%u interval_ms=%u burst=%u "
			       "slots=%u slot_size=%u\n", impl_names[i], sizes[s],
			       med[i][s], v[0], v[opt_rounds - 1], opt_rounds,
			       opt_interval_ms, BURST, opt_slots, HY_RING_SLOT_SIZE);
		}
	}
	printf("\n%-10s %8s %14s %10s\n", "impl", "msg B", "median msg/s",
	       "vs spsc");
	for (unsigned s = 0; s < NSIZES; s++)
		for (unsigned i = 0; i < IMPL_COUNT; i++)
			printf("%-10s %8u %14.0f %9.2fx\n", impl_names[i], sizes[s],
			       med[i][s], med[i][s] / med[IMPL_SPSC][s]);
	return 0;
}
