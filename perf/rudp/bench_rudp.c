/* SPDX-License-Identifier: BSD-3-Clause
 * Reliability layer throughput on one core: messages per second from one
 * endpoint to another through a lossless in-memory link, both endpoints on
 * this thread (so the figure covers sender, receiver and the acks going
 * back), frames encoded and decoded as on the wire, blocks from the fixed
 * pool.  No crypto and no I/O: this is the layer's own cost.
 *
 * Prints one "BENCH ..." line per message size (median of the rounds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/frame.h"
#include "rudp/rudp.h"

#define ROUNDS 5

struct side {
	struct hy_rudp_env *env;
	struct hy_rudp s;
	struct hy_rudp_pool pool;
	uint8_t *region;
	uint64_t got, bytes, sum;
};

static bool on_msg(void *arg, const uint8_t *msg, size_t len)
{
	struct side *d = arg;
	d->got++;
	d->bytes += len;
	d->sum += msg[len - 1]; /* touch the data, as a consumer would */
	return true;
}

static uint64_t packets;

/* Everything a has to send now goes into b. */
static void pump(struct side *a, struct side *b, uint64_t now)
{
	uint8_t pkt[HY_MAX_PAYLOAD];
	struct hy_wr w;
	struct hy_rd rd;
	struct hy_frame f;

	for (;;) {
		hy_wr_init(&w, pkt, sizeof(pkt));
		if (hy_rudp_poll_tx(&a->s, now, &w, HY_MAX_FRAMES_PER_PACKET) == 0)
			return;
		packets++;
		if (hy_frames_validate(pkt, w.off) != HY_R_OK)
			abort();
		hy_rd_init(&rd, pkt, w.off);
		while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK)
			hy_rudp_on_frame(&b->s, &f, now, on_msg, b);
	}
}

static void side_init(struct side *x)
{
	size_t sz = 8u << 20;
	struct hy_rudp_config c = {.window = 256, .tx_bytes_max = 1u << 20, .rx_bytes_max = 1u << 20};

	x->env = malloc(sizeof(*x->env));
	x->region = malloc(sz);
	if (x->env == NULL || x->region == NULL)
		abort();
	hy_rudp_pool_init(&x->pool, x->region, sz);
	c.alloc = hy_rudp_pool_alloc(&x->pool);
	if (hy_rudp_env_init(x->env, &c, NULL, 0) != HY_R_OK)
		abort();
	hy_rudp_init(&x->s, x->env);
	x->got = 0;
}

static void side_free(struct side *x)
{
	hy_rudp_fini(&x->s);
	free(x->env);
	free(x->region);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double run(size_t len, uint64_t n, double *pkts_per_msg)
{
	static uint8_t msg[HY_MAX_MESSAGE];
	struct side a, b;
	uint64_t t = 0, sent = 0;

	memset(msg, 7, sizeof(msg));
	side_init(&a);
	side_init(&b);
	packets = 0;
	double t0 = now_s();
	while (b.got < n) {
		while (sent < n && hy_rudp_send(&a.s, msg, len) == HY_R_OK)
			sent++;
		pump(&a, &b, t);
		t += 10;
		pump(&b, &a, t); /* acks: due at once, every second unit */
		t += 10;
	}
	double dt = now_s() - t0;
	*pkts_per_msg = (double)packets / (double)n;
	if (a.s.verdict != HY_RUDP_OK || a.env->stats.retransmits != 0)
		abort();
	side_free(&a);
	side_free(&b);
	return (double)n / dt;
}

int main(void)
{
	static const size_t sizes[] = {16, 64, 512, 1160, 4096, 65536};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k];
		uint64_t n = len >= 4096 ? 200000 / (len / 1024) : 2000000;
		double r[ROUNDS], ppm = 0;
		for (int i = 0; i < ROUNDS; i++)
			r[i] = run(len, n, &ppm);
		qsort(r, ROUNDS, sizeof(r[0]), cmp);
		printf("BENCH name=rudp_msgs_%zuB value=%.3f unit=Mmsgs/s gbit_s=%.2f packets_per_msg=%.3f "
		       "messages=%llu rounds=%d\n",
		       len, r[ROUNDS / 2] / 1e6, r[ROUNDS / 2] * (double)len * 8 / 1e9, ppm,
		       (unsigned long long)n, ROUNDS);
	}
	printf("BENCH name=rudp_idle_session_bytes value=%zu unit=B\n", sizeof(struct hy_rudp));
	return 0;
}
