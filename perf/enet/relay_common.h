/* SPDX-License-Identifier: BSD-3-Clause
 * Shared by the two baseline relays (enet_relay, udp_relay) and their load tool (enet_load):
 * the messages they carry, clocks, CPU pinning, the relays' whole command line (numbers
 * through perf/common/cli_num.h), and the per-second counters a relay prints when it exits.
 * Method: docs/performance.md, "Baselines".
 */
#ifndef HY_PERF_ENET_RELAY_COMMON_H
#define HY_PERF_ENET_RELAY_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>

#include "cli_num.h"

/* Every message is BL_PAYLOAD bytes: magic, the sender's relay id, a sequence number, padding.
 * The load tool checks all three on receipt, so a count is a count of real relayed messages. */
#define BL_PAYLOAD 64
#define BL_MSG_MAGIC 0x424c5948u	/* "HYLB" */
/* Join request (plain UDP relay only; ENet has its own handshake). */
#define BL_JOIN_MAGIC 0x4e4a5948u	/* "HYJN" */
/* Welcome, relay -> new member: magic, id, room, slot, room size (5 x u32 LE). */
#define BL_WELCOME_MAGIC 0x4b4f5948u	/* "HYOK" */
#define BL_WELCOME_LEN 20

static inline void bl_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t bl_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void bl_put64(uint8_t *p, uint64_t v)
{
	bl_put32(p, (uint32_t)v);
	bl_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t bl_get64(const uint8_t *p)
{
	return (uint64_t)bl_get32(p) | (uint64_t)bl_get32(p + 4) << 32;
}

static inline void bl_welcome(uint8_t *p, uint32_t id, uint32_t room_size)
{
	bl_put32(p, BL_WELCOME_MAGIC);
	bl_put32(p + 4, id);
	bl_put32(p + 8, id / room_size);
	bl_put32(p + 12, id % room_size);
	bl_put32(p + 16, room_size);
}

static inline uint64_t bl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time (user + system) this process has used, in microseconds. */
static inline uint64_t bl_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static inline int bl_pin(int cpu, const char *prog)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "%s: cannot pin to cpu %d: %s\n", prog, cpu, strerror(errno));
		return -1;
	}
	return 0;
}

/* The command line both relays take (their --help says the defaults and ranges). */
struct bl_relay_opts {
	long port, room_size, cpu, seconds, max_peers, burst;
	int verbose;
};

/* What a relay allows: --room-size and --max-peers up to these; --burst up to burst_max, or
 * not at all when it is 0. */
struct bl_relay_limits {
	long room_size_max, max_peers_max, burst_max;
};

/* Parses a relay's options into o (the caller presets the defaults), checks them, pins the
 * process to --cpu and sends SIGINT and SIGTERM to on_signal.  Returns -1 when the relay
 * should run, else its exit status: 0 after --help, 2 for a bad option, 1 if pinning failed. */
static inline int bl_relay_setup(int argc, char **argv, const char *prog, void (*usage)(FILE *),
				 const struct bl_relay_limits *lim, void (*on_signal)(int),
				 struct bl_relay_opts *o)
{
	static const struct option lo[] = {
		{"port", required_argument, NULL, 'p'},
		{"room-size", required_argument, NULL, 'k'},
		{"cpu", required_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 's'},
		{"max-peers", required_argument, NULL, 'm'},
		{"burst", required_argument, NULL, 'b'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		long *dst = NULL, lo_v = 0, hi_v = 0;
		long long v;

		switch (opt) {
		case 'p': dst = &o->port; lo_v = 1; hi_v = 65535; break;
		case 'k': dst = &o->room_size; lo_v = 2; hi_v = lim->room_size_max; break;
		case 'c': dst = &o->cpu; lo_v = 0; hi_v = CPU_SETSIZE - 1; break;
		case 's': dst = &o->seconds; lo_v = 0; hi_v = 86400; break;
		case 'm': dst = &o->max_peers; lo_v = 2; hi_v = lim->max_peers_max; break;
		case 'b':
			if (lim->burst_max == 0) {
				fprintf(stderr, "%s: unrecognized option '--burst'\n", prog);
				usage(stderr);
				return 2;
			}
			dst = &o->burst; lo_v = 1; hi_v = lim->burst_max;
			break;
		case 'v': o->verbose = 1; continue;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (!hy_cli_opt_num(prog, lo, opt, optarg, lo_v, hi_v, &v))
			return 2;
		*dst = (long)v;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
		return 2;
	}
	if (o->room_size > o->max_peers) {
		fprintf(stderr, "%s: --room-size %ld exceeds --max-peers %ld\n", prog, o->room_size,
			o->max_peers);
		return 2;
	}
	if (bl_pin((int)o->cpu, prog) != 0)
		return 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return -1;
}

/* Per-second counters of a relay.  The loop calls bl_stats_tick() often; the relay prints
 * bl_stats_report() at exit.  "Active" seconds are those in which messages arrived, so the
 * idle time before and after a load run does not dilute the rates or the CPU fraction. */
struct bl_counters {
	uint64_t rx;		/* data messages received */
	uint64_t tx;		/* messages handed to the transport for members */
	uint64_t dg_in;		/* datagrams received */
	uint64_t dg_out;	/* datagrams sent */
};

struct bl_second {
	struct bl_counters c;
	uint64_t cpu_us;
};

struct bl_stats {
	struct bl_second *v;
	size_t n, cap;
	uint64_t t0_ns, next_ns, cpu0_us, cpu_mark_us;
	struct bl_counters mark;
};

static inline void bl_stats_init(struct bl_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->t0_ns = bl_now_ns();
	st->next_ns = st->t0_ns + 1000000000u;
	st->cpu0_us = st->cpu_mark_us = bl_cpu_us();
}

static inline void bl_stats_tick(struct bl_stats *st, uint64_t now, const struct bl_counters *c)
{
	struct bl_second *s;
	uint64_t cpu;

	if (now < st->next_ns)
		return;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct bl_second *v = realloc(st->v, cap * sizeof(*v));

		if (!v)
			return;	/* keep counting; only the per-second detail is lost */
		st->v = v;
		st->cap = cap;
	}
	cpu = bl_cpu_us();
	s = &st->v[st->n++];
	s->c.rx = c->rx - st->mark.rx;
	s->c.tx = c->tx - st->mark.tx;
	s->c.dg_in = c->dg_in - st->mark.dg_in;
	s->c.dg_out = c->dg_out - st->mark.dg_out;
	s->cpu_us = cpu - st->cpu_mark_us;
	st->mark = *c;
	st->cpu_mark_us = cpu;
	st->next_ns += 1000000000u;
	if (st->next_ns <= now)	/* the loop stalled (a stop signal, a suspended VM) */
		st->next_ns = now + 1000000000u;
}

static inline void bl_stats_report(const struct bl_stats *st, const char *prog,
				   const struct bl_counters *c, int verbose)
{
	double wall = (double)(bl_now_ns() - st->t0_ns) / 1e9;
	double cpu = (double)(bl_cpu_us() - st->cpu0_us) / 1e6;
	struct bl_counters a = {0};
	uint64_t acpu = 0;
	size_t active = 0;

	if (verbose)
		for (size_t i = 0; i < st->n; i++)
			printf("%s: second %zu: received=%" PRIu64 " delivered=%" PRIu64
			       " datagrams_in=%" PRIu64 " datagrams_out=%" PRIu64 " cpu=%.2f\n",
			       prog, i + 1, st->v[i].c.rx, st->v[i].c.tx, st->v[i].c.dg_in,
			       st->v[i].c.dg_out, (double)st->v[i].cpu_us / 1e6);
	for (size_t i = 0; i < st->n; i++) {
		if (!st->v[i].c.rx)
			continue;
		active++;
		a.rx += st->v[i].c.rx;
		a.tx += st->v[i].c.tx;
		a.dg_in += st->v[i].c.dg_in;
		a.dg_out += st->v[i].c.dg_out;
		acpu += st->v[i].cpu_us;
	}
	printf("%s: total received=%" PRIu64 " delivered=%" PRIu64 " datagrams_in=%" PRIu64
	       " datagrams_out=%" PRIu64 " wall=%.1fs cpu=%.2fs (getrusage)\n",
	       prog, c->rx, c->tx, c->dg_in, c->dg_out, wall, cpu);
	if (active)
		printf("%s: over %zu active seconds: received/s=%.0f delivered/s=%.0f "
		       "datagrams_in/s=%.0f datagrams_out/s=%.0f cpu=%.2f of a core\n",
		       prog, active, (double)a.rx / (double)active, (double)a.tx / (double)active,
		       (double)a.dg_in / (double)active, (double)a.dg_out / (double)active,
		       (double)acpu / 1e6 / (double)active);
	else
		printf("%s: no active second (no data message arrived)\n", prog);
	fflush(stdout);
}

#endif /* HY_PERF_ENET_RELAY_COMMON_H */
