/* SPDX-License-Identifier: BSD-3-Clause
 * Shared by the two baseline relays (enet_relay, udp_relay) and their load tool (enet_load):
 * the messages they carry, clocks, CPU pinning, strict option parsing and the per-second
 * counters a relay prints when it exits.  Method: docs/performance.md, "Baselines".
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
#include <sys/resource.h>

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

/* Whole decimal number in [lo, hi]; anything else is an error the caller reports. */
static inline int bl_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static inline int bl_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* The long name of a getopt_long option, for error messages. */
static inline const char *bl_opt_name(const struct option *lo, int val)
{
	for (; lo->name; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
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
