/* SPDX-License-Identifier: BSD-3-Clause
 * Reliability layer: exactly-once in-order delivery through an impaired
 * simulated link, the send backlog behind a full window, dead peers, the
 * send byte cap, RTO back-off, ACK ranges, receive byte caps, the end of
 * the seq space, inconsistent peers, and the memory an idle session keeps.
 */
#include <check.h>

#include "check_run.h"
#include "rudp_sim.h"

static const struct hy_rudp_config base_cfg = {
	.rto_min_ms = 50, .rto_max_ms = 1000, .max_retries = 10,
};

/* ---- helpers for hand-driven endpoints --------------------------------- */

struct ep1 {
	struct hy_rudp_env *env;
	struct hy_rudp s;
	struct track mem;
	uint32_t got;
	size_t got_bytes;
	uint8_t last[HY_MAX_MESSAGE];
	size_t last_len;
	/* optional: the stream it must receive (message k: want[k] bytes of
	 * msg_byte(want_seed, k, .)) */
	const uint32_t *want;
	uint32_t want_n;
	uint64_t want_seed;
	bool bad;
	char why[128];
	bool refuse; /* the receiver has no room: deliveries are refused */
};

/* cfg->alloc, when set, replaces the counting allocator. */
static void ep1_init(struct ep1 *e, const struct hy_rudp_config *cfg)
{
	struct hy_rudp_config c = *cfg;
	memset(e, 0, sizeof(*e));
	e->env = malloc(sizeof(*e->env));
	ck_assert_ptr_nonnull(e->env);
	if (c.alloc.alloc == NULL)
		c.alloc = (struct hy_rudp_alloc){.alloc = track_alloc, .free = track_free,
						 .arg = &e->mem};
	ck_assert_int_eq(hy_rudp_env_init(e->env, &c, NULL, 0), HY_R_OK);
	hy_rudp_init(&e->s, e->env);
}

static void ep1_fini(struct ep1 *e)
{
	hy_rudp_fini(&e->s);
	ck_assert_uint_eq(e->mem.out, 0);
	free(e->env);
}

static bool ep1_deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct ep1 *e = arg;
	if (e->refuse)
		return false;
	uint32_t k = e->got++;
	e->got_bytes += len;
	memcpy(e->last, msg, len);
	e->last_len = len;
	if (e->want == NULL || e->bad)
		return true;
	if (k >= e->want_n || len != e->want[k]) {
		e->bad = true;
		snprintf(e->why, sizeof(e->why), "message %u: len %zu, want %u", k, len,
			 k < e->want_n ? e->want[k] : 0);
		return true;
	}
	for (uint32_t j = 0; j < len; j++)
		if (msg[j] != msg_byte(e->want_seed, k, j)) {
			e->bad = true;
			snprintf(e->why, sizeof(e->why), "message %u: byte %u differs", k, j);
			return true;
		}
	return true;
}

/* Message k of a stream (see ep1.want). */
static const uint8_t *make_msg(uint64_t seed, uint32_t k, uint32_t len)
{
	static uint8_t buf[HY_MAX_MESSAGE];
	for (uint32_t j = 0; j < len; j++)
		buf[j] = msg_byte(seed, k, j);
	return buf;
}

/* Feeds every frame of one plaintext to e. */
static void feed(struct ep1 *e, const uint8_t *buf, size_t len, uint64_t now)
{
	struct hy_rd rd;
	struct hy_frame f;
	ck_assert_int_eq(hy_frames_validate(buf, len), HY_R_OK);
	hy_rd_init(&rd, buf, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK)
		hy_rudp_on_frame(&e->s, &f, now, ep1_deliver, e);
}

/* Moves every packet a has to send at t_send into b, arriving at t_recv;
 * returns packets. */
static unsigned pump2(struct ep1 *a, struct ep1 *b, uint64_t t_send, uint64_t t_recv)
{
	uint8_t buf[HY_MAX_PAYLOAD];
	struct hy_wr w;
	unsigned pkts = 0;
	for (;;) {
		hy_wr_init(&w, buf, sizeof(buf));
		if (hy_rudp_poll_tx(&a->s, t_send, &w, HY_MAX_FRAMES_PER_PACKET) == 0)
			return pkts;
		pkts++;
		if (b)
			feed(b, buf, w.off, t_recv);
	}
}

static unsigned pump(struct ep1 *a, struct ep1 *b, uint64_t now)
{
	return pump2(a, b, now, now);
}

/* Lossless exchange, 1 ms each way, until a holds nothing to send or
 * unacked (its tx block is gone) and b has nothing to acknowledge. */
static void drain(struct ep1 *a, struct ep1 *b, uint64_t *now)
{
	for (unsigned round = 0; a->s.tx != NULL || b->s.ack_pending; round++) {
		ck_assert_uint_lt(round, 100000);
		ck_assert_int_eq(hy_rudp_verdict(&a->s), HY_RUDP_OK);
		pump(a, b, *now);
		*now += 1000;
		pump(b, a, *now);
		*now += 1000;
	}
}

static enum hy_reason rel(struct ep1 *e, uint32_t seq, const char *txt, uint64_t now)
{
	struct hy_frame f = {.type = HY_FRAME_RELIABLE, .seq = seq, .len = (uint16_t)strlen(txt),
			     .data = (const uint8_t *)txt};
	return hy_rudp_on_frame(&e->s, &f, now, ep1_deliver, e);
}

static enum hy_reason relb(struct ep1 *e, uint32_t seq, const uint8_t *d, uint16_t len,
			   uint64_t now)
{
	struct hy_frame f = {.type = HY_FRAME_RELIABLE, .seq = seq, .len = len, .data = d};
	return hy_rudp_on_frame(&e->s, &f, now, ep1_deliver, e);
}

static enum hy_reason frag(struct ep1 *e, uint32_t seq, uint8_t idx, uint8_t cnt,
			   const uint8_t *d, uint16_t len, uint64_t now)
{
	struct hy_frame f = {.type = HY_FRAME_FRAGMENT, .frag_class = HY_FRAME_RELIABLE,
			     .seq = seq, .frag_index = idx, .frag_count = cnt, .len = len, .data = d};
	return hy_rudp_on_frame(&e->s, &f, now, ep1_deliver, e);
}

/* ---- the simulated link ------------------------------------------------- */

static void run_impaired(uint64_t seed, uint32_t n, const struct hy_rudp_config *cfg,
			 double refuse)
{
	struct sim sm;
	sim_init(&sm, cfg, n, seed);
	sm.link = (struct sim_link){.loss = 0.2, .dup = 0.1, .reorder = 0.1,
				    .delay_us = 5000, .jitter_us = 20000, .refuse = refuse};
	bool ok = sim_run(&sm, 3600ull * 1000000u);
	for (int i = 0; i < 2; i++)
		ck_assert_msg(!sm.ep[i].bad, "seed %llu ep %d: %s", (unsigned long long)seed, i,
			      sm.ep[i].why);
	ck_assert_msg(ok, "seed %llu: not done at t=%llu us (delivered %u/%u, %u/%u; verdicts %d %d)",
		      (unsigned long long)seed, (unsigned long long)sm.now, sm.ep[0].delivered,
		      sm.ep[1].n_out, sm.ep[1].delivered, sm.ep[0].n_out,
		      hy_rudp_verdict(&sm.ep[0].s), hy_rudp_verdict(&sm.ep[1].s));
	ck_assert(!sm.frames_bad);
	ck_assert(!sm.window_bad);
	ck_assert_uint_eq(sm.refused,
			  sm.ep[0].env->stats.deliveries_held + sm.ep[1].env->stats.deliveries_held);
	for (int i = 0; i < 2; i++) {
		const struct hy_rudp_stats *st = &sm.ep[i].env->stats;
		ck_assert_uint_eq(sm.ep[i].delivered, n);
		ck_assert_uint_eq(st->msgs_delivered, n);
		ck_assert_int_eq(st->deliveries_held != 0, refuse > 0);
		ck_assert_uint_gt(st->retransmits, 0);
		ck_assert_uint_gt(st->duplicates, 0);
		ck_assert_uint_gt(st->out_of_order, 0);
		ck_assert_uint_gt(st->fragments_sent, 0);
		ck_assert_uint_gt(st->rtt_samples, 0);
		/* The application offers everything at once: messages waited in
		 * the backlog, and the window rule held (nothing the sender put
		 * on the wire fell beyond the receiver's window). */
		ck_assert_uint_gt(st->backlogged, 0);
		/* A receiver holding acknowledged messages still has its window
		 * at the first of them, behind the sender's: units past it are
		 * dropped unacknowledged and resent (flow control). */
		if (refuse == 0)
			ck_assert_uint_eq(st->beyond_window, 0);
		/* Memory stayed within the bound (blocks, byte caps, a header per
		 * unit held) and all came back. */
		struct hy_rudp_info info;
		hy_rudp_info(&sm.ep[i].s, &info);
		ck_assert_ptr_null(sm.ep[i].s.tx);
		ck_assert_uint_eq(info.tx_backlog_units, 0);
		const struct hy_rudp_env *env = sm.ep[i].env;
		ck_assert_uint_le(sm.ep[i].mem.peak,
				  tx_block_size(env) + rx_block_size(env) + env->cfg.tx_bytes_max +
				  env->cfg.rx_bytes_max +
				  (size_t)sm.ep[i].tx_units_peak * sizeof(struct rudp_tx_unit) +
				  env->cfg.window * sizeof(struct rudp_rx_unit));
	}
	sim_free(&sm);
	for (int i = 0; i < 2; i++)
		ck_assert_uint_eq(sm.ep[i].mem.out, 0);
}

START_TEST(test_impaired_exactly_once)
{
	/* 20% loss, 10% duplication, 10% reordering, 5 ms delay, 20 ms jitter,
	 * both directions, 2500 messages each way from 1 byte to 64 KiB. */
	run_impaired(1 + (uint64_t)_i, 2500, &base_cfg, 0);
}
END_TEST

START_TEST(test_impaired_receiver_refuses)
{
	/* The same link, and each receiver turns down a third of the
	 * deliveries offered to it (no room upstream): every message still
	 * arrives once, in order, and the held ones cost no more memory than
	 * the receive byte cap. */
	run_impaired(11 + (uint64_t)_i, 1500, &base_cfg, 1.0 / 3);
}
END_TEST

START_TEST(test_impaired_small_window_and_cap)
{
	/* The smallest settings that still carry 64 KiB messages: a 64-unit
	 * window and a reassembly cap equal to max_message, so nothing can be
	 * buffered ahead of the message at the head. */
	struct hy_rudp_config c = base_cfg;
	c.window = 64;
	c.rx_bytes_max = HY_MAX_MESSAGE;
	c.tx_bytes_max = HY_MAX_MESSAGE;
	run_impaired(77, 800, &c, 0);
	run_impaired(78, 800, &c, 0.5);
}
END_TEST

/*
 * Ten windows of messages offered at once (sizes up to 4000 bytes, so
 * some are fragmented): every one is accepted, most wait in the backlog,
 * and each arrives exactly once, in order, whether the link is clean or
 * lossy, duplicating and reordering.
 */
static void run_backlog(uint64_t seed, bool lossy)
{
	struct hy_rudp_config c = base_cfg;
	c.tx_bytes_max = 1u << 20; /* room for the whole burst */
	c.backlog_units = 1u << 16;
	const uint32_t n = 10 * HY_RUDP_WINDOW_DEFAULT;
	struct sim sm;
	sim_init(&sm, &c, n, seed);
	if (lossy)
		sm.link = (struct sim_link){.loss = 0.2, .dup = 0.1, .reorder = 0.1,
					    .delay_us = 5000, .jitter_us = 20000};
	else
		sm.link = (struct sim_link){.delay_us = 5000};
	for (int i = 0; i < 2; i++) {
		struct sim_ep *e = &sm.ep[i];
		uint64_t units = 0, bytes = 0;
		uint32_t fit = 0; /* leading messages the empty window takes */
		for (uint32_t k = 0; k < n; k++) {
			e->sizes[k] = e->sizes[k] > 4000 ? 4000 : e->sizes[k];
			units += e->sizes[k] <= HY_FRAME_MAX_RELIABLE
					 ? 1
					 : (e->sizes[k] + HY_RUDP_FRAG_CHUNK - 1) / HY_RUDP_FRAG_CHUNK;
			bytes += e->sizes[k];
			if (fit == k && units <= HY_RUDP_WINDOW_DEFAULT)
				fit++;
		}
		sim_app(&sm, i);
		ck_assert_uint_eq(e->queued, n); /* all accepted at once */
		struct hy_rudp_info info;
		hy_rudp_info(&e->s, &info);
		/* The window is as full as whole messages make it (a message
		 * takes at most 4 units); the rest waits, seqs not yet given. */
		ck_assert_uint_le(info.tx_units, HY_RUDP_WINDOW_DEFAULT);
		ck_assert_uint_gt(info.tx_units, HY_RUDP_WINDOW_DEFAULT - 4);
		ck_assert_uint_eq(info.tx_units + info.tx_backlog_units, units);
		ck_assert_uint_eq(info.tx_bytes + info.tx_backlog_bytes, bytes);
		ck_assert_uint_eq(e->s.tx_next - c.initial_seq, info.tx_units);
		ck_assert_uint_eq(e->env->stats.msgs_queued, n);
		ck_assert_uint_eq(e->env->stats.backlogged, n - fit);
		ck_assert_uint_eq(e->env->stats.window_stalls, 0);
		ck_assert_uint_eq(info.mem_bytes, e->mem.out); /* only the send side holds memory */
	}
	bool ok = sim_run(&sm, 3600ull * 1000000u);
	for (int i = 0; i < 2; i++)
		ck_assert_msg(!sm.ep[i].bad, "seed %llu ep %d: %s", (unsigned long long)seed, i,
			      sm.ep[i].why);
	ck_assert_msg(ok, "seed %llu: not done (delivered %u and %u of %u)",
		      (unsigned long long)seed, sm.ep[0].delivered, sm.ep[1].delivered, n);
	ck_assert(!sm.frames_bad);
	ck_assert(!sm.window_bad);
	ck_assert_uint_eq(sm.refused,
			  sm.ep[0].env->stats.deliveries_held + sm.ep[1].env->stats.deliveries_held);
	for (int i = 0; i < 2; i++) {
		const struct hy_rudp_stats *st = &sm.ep[i].env->stats;
		ck_assert_uint_eq(sm.ep[i].delivered, n);
		ck_assert_uint_eq(st->msgs_delivered, n);
		ck_assert_uint_eq(st->beyond_window, 0);
		if (lossy) {
			ck_assert_uint_gt(st->retransmits, 0);
			ck_assert_uint_gt(st->duplicates, 0);
			ck_assert_uint_gt(st->out_of_order, 0);
		} else {
			ck_assert_uint_eq(st->retransmits, 0);
			ck_assert_uint_eq(st->duplicates, 0);
		}
		/* Done means idle: no blocks held. */
		ck_assert_ptr_null(sm.ep[i].s.tx);
		ck_assert_ptr_null(sm.ep[i].s.rx);
		ck_assert_uint_eq(sm.ep[i].mem.out, 0);
	}
	sim_free(&sm);
}

/* Tiny messages are capped by count as well as bytes: each unit costs a
 * pool block, whatever its length. */
START_TEST(test_backlog_unit_cap)
{
	struct hy_rudp_config c = base_cfg;
	struct sim sm;
	uint8_t m = 7;
	uint32_t accepted = 0;
	enum hy_reason r;

	sim_init(&sm, &c, 1, 5);
	struct hy_rudp *s = &sm.ep[0].s;
	while ((r = hy_rudp_send(s, &m, 1)) == HY_R_OK)
		accepted++;
	ck_assert_int_eq(r, HY_R_WINDOW_FULL);
	/* the window, then 16 windows of backlog: far below the byte cap */
	ck_assert_uint_eq(accepted, 17u * HY_RUDP_WINDOW_DEFAULT);
	ck_assert_uint_eq(sm.ep[0].env->stats.window_stalls, 1);
	struct hy_rudp_info info;
	hy_rudp_info(s, &info);
	ck_assert_uint_eq(info.tx_backlog_units, 16u * HY_RUDP_WINDOW_DEFAULT);
	sim_free(&sm);
}
END_TEST

START_TEST(test_backlog_ten_windows_lossless)
{
	run_backlog(500, false);
}
END_TEST

START_TEST(test_backlog_ten_windows_lossy)
{
	run_backlog(600 + (uint64_t)_i, true);
}
END_TEST

START_TEST(test_lossless_idle_costs_nothing)
{
	struct ep1 a, b;
	ep1_init(&a, &base_cfg);
	ep1_init(&b, &base_cfg);
	ck_assert_uint_le(sizeof(struct hy_rudp), 72);

	ck_assert_int_eq(hy_rudp_send(&a.s, "hello", 5), HY_R_OK);
	ck_assert_uint_eq(hy_rudp_next_deadline(&a.s), 0); /* unsent data */
	ck_assert_uint_eq(pump(&a, &b, 1000), 1);
	ck_assert_uint_eq(b.got, 1);
	ck_assert_uint_eq(b.last_len, 5);
	ck_assert_ptr_null(b.s.rx); /* in order: delivered from the packet */
	/* One unit: the ACK waits for ack_delay_us (20 ms). */
	ck_assert(!hy_rudp_ack_due(&b.s, 1000));
	ck_assert_uint_eq(hy_rudp_next_deadline(&b.s), 21000);
	ck_assert(hy_rudp_ack_due(&b.s, 21000));
	ck_assert_uint_eq(pump(&b, &a, 21000), 1);
	ck_assert_ptr_null(a.s.tx);
	ck_assert_uint_eq(a.mem.out, 0);
	ck_assert_uint_eq(b.mem.out, 0);
	ck_assert_uint_eq(hy_rudp_next_deadline(&a.s), HY_RUDP_NEVER);
	ck_assert_uint_eq(hy_rudp_next_deadline(&b.s), HY_RUDP_NEVER);
	/* RTT 20 ms measured, less the 20 ms the ACK says it waited. */
	ck_assert_uint_eq(a.env->stats.rtt_samples, 1);
	ck_assert_uint_lt(a.s.srtt_us, 1000);
	ck_assert_uint_eq(a.s.rto_us, 50000); /* clamped at rto_min */

	/* Two units make the ACK due at once (ack_every). */
	ck_assert_int_eq(hy_rudp_send(&a.s, "x", 1), HY_R_OK);
	ck_assert_int_eq(hy_rudp_send(&a.s, "y", 1), HY_R_OK);
	pump(&a, &b, 30000);
	ck_assert(hy_rudp_ack_due(&b.s, 30000));
	ep1_fini(&a);
	ep1_fini(&b);
}
END_TEST

START_TEST(test_fragment_sizes)
{
	static const size_t sizes[] = {1, HY_FRAME_MAX_RELIABLE, HY_FRAME_MAX_RELIABLE + 1,
				       HY_RUDP_FRAG_CHUNK * 2, HY_MAX_MESSAGE};
	static const unsigned units[] = {1, 1, 2, 2, 61};
	static uint8_t msg[HY_MAX_MESSAGE];
	struct ep1 a, b;

	ep1_init(&a, &base_cfg);
	ep1_init(&b, &base_cfg);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13 + 1);
	uint64_t now = 0;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t before = a.env->stats.units_sent;
		ck_assert_int_eq(hy_rudp_send(&a.s, msg, sizes[k]), HY_R_OK);
		pump(&a, &b, now);
		ck_assert_uint_eq(a.env->stats.units_sent - before, units[k]);
		ck_assert_uint_eq(b.got, k + 1);
		ck_assert_uint_eq(b.last_len, sizes[k]);
		ck_assert_mem_eq(b.last, msg, sizes[k]);
		now += 1000;
		pump(&b, &a, now);
		now += 100000;
		pump(&b, &a, now);
	}
	ck_assert_int_eq(hy_rudp_send(&a.s, msg, HY_MAX_MESSAGE + 1), HY_R_MESSAGE_TOO_LARGE);
	ck_assert_int_eq(hy_rudp_send(&a.s, msg, 0), HY_R_EMPTY_FRAME);
	ck_assert_ptr_null(a.s.tx);
	ep1_fini(&a);
	ep1_fini(&b);
}
END_TEST

START_TEST(test_dead_peer_bounded)
{
	/* The receiver vanishes: the sender fills its window and then its
	 * backlog up to the byte cap, stalls, resends with back-off, and gives
	 * up after max_retries without holding more than the byte cap. */
	struct ep1 a;
	static uint8_t msg[3000];
	ep1_init(&a, &base_cfg);
	unsigned queued = 0, stalls = 0;
	uint64_t now = 0;
	size_t peak = 0;
	while (hy_rudp_verdict(&a.s) == HY_RUDP_OK && now < 600ull * 1000000u) {
		for (int k = 0; k < 10; k++) {
			enum hy_reason r = hy_rudp_send(&a.s, msg, sizeof(msg));
			if (r == HY_R_OK)
				queued++;
			else {
				ck_assert_int_eq(r, HY_R_WINDOW_FULL);
				stalls++;
				break;
			}
		}
		pump(&a, NULL, now);
		if (a.mem.out > peak)
			peak = a.mem.out;
		uint64_t d = hy_rudp_next_deadline(&a.s);
		if (d == HY_RUDP_NEVER)
			break;
		now = d > now ? d : now + 1000;
	}
	ck_assert_int_eq(hy_rudp_verdict(&a.s), HY_RUDP_DEAD);
	ck_assert_uint_eq(a.env->stats.dead, 1);
	ck_assert_uint_gt(stalls, 0);
	ck_assert_uint_eq(a.env->stats.window_stalls, stalls);
	/* 3000-byte messages are 3 units: the 64-unit window takes 21, the
	 * backlog the rest up to the 128 KiB byte cap (43 in all).  Only the
	 * window's units ever went on the wire. */
	ck_assert_uint_eq(queued, a.env->cfg.tx_bytes_max / sizeof(msg));
	ck_assert_uint_eq(queued, 43);
	ck_assert_uint_eq(a.env->stats.backlogged, 43 - 21);
	ck_assert_uint_eq(a.env->stats.units_sent, 21 * 3);
	struct hy_rudp_info info;
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, 21 * 3);
	ck_assert_uint_eq(info.tx_backlog_units, 22 * 3);
	ck_assert_uint_eq(info.tx_bytes + info.tx_backlog_bytes, queued * sizeof(msg));
	ck_assert_uint_le(peak, a.env->cfg.tx_bytes_max + queued * 3 * sizeof(struct rudp_tx_unit) +
					tx_block_size(a.env));
	/* Every retry of the oldest unit was used: 10 resends plus the first. */
	ck_assert_uint_ge(a.env->stats.retransmits, a.env->cfg.max_retries);
	ck_assert_int_eq(hy_rudp_send(&a.s, msg, 10), HY_R_RETRIES_EXHAUSTED);
	ck_assert_uint_eq(hy_rudp_poll_tx(&a.s, now, &(struct hy_wr){0}, 32), 0);
	ck_assert_uint_eq(hy_rudp_next_deadline(&a.s), HY_RUDP_NEVER);
	/* Bounded time: the sum of the back-off schedule, about 8 s. */
	ck_assert_uint_lt(now, 20ull * 1000000u);
	ep1_fini(&a);
}
END_TEST

START_TEST(test_rto_backoff_bounds)
{
	struct hy_rudp_config c = base_cfg;
	c.rto_initial_ms = 60;
	c.rto_min_ms = 60;
	c.rto_max_ms = 700;
	c.max_retries = 8;
	struct ep1 a;
	ep1_init(&a, &c);
	ck_assert_int_eq(hy_rudp_send(&a.s, "m", 1), HY_R_OK);
	uint64_t now = 5, last = 0, times[16];
	unsigned n = 0;
	while (hy_rudp_verdict(&a.s) == HY_RUDP_OK) {
		if (pump(&a, NULL, now) > 0) {
			ck_assert_uint_lt(n, 16);
			times[n++] = now;
		}
		uint64_t d = hy_rudp_next_deadline(&a.s);
		if (d == HY_RUDP_NEVER)
			break;
		ck_assert_uint_ge(d, now);
		now = d;
	}
	ck_assert_int_eq(hy_rudp_verdict(&a.s), HY_RUDP_DEAD);
	ck_assert_uint_eq(n, 1 + c.max_retries); /* first send + max_retries resends */
	static const uint64_t want[] = {60, 120, 240, 480, 700, 700, 700, 700};
	for (unsigned i = 1; i < n; i++) {
		uint64_t gap = times[i] - times[i - 1];
		ck_assert_uint_eq(gap, want[i - 1] * 1000);
		ck_assert_uint_ge(gap, last);
		last = gap;
	}
	/* Declared dead one capped RTO after the last resend. */
	ck_assert_uint_eq(now - times[n - 1], 700 * 1000);
	ep1_fini(&a);

	/* Samples: a 10 ms RTT gives rto_min; 900 ms gives rto_max. */
	struct ep1 x, y;
	ep1_init(&x, &base_cfg);
	ep1_init(&y, &base_cfg);
	now = 0;
	for (int i = 0; i < 5; i++) {
		hy_rudp_send(&x.s, "a", 1);
		hy_rudp_send(&x.s, "b", 1);
		pump2(&x, &y, now, now + 5000);
		pump2(&y, &x, now + 5000, now + 10000); /* due at once: two units */
		now += 20000;
	}
	ck_assert_uint_ge(x.s.srtt_us, 9000);
	ck_assert_uint_le(x.s.srtt_us, 11000);
	ck_assert_uint_eq(x.s.rto_us, 50000);
	for (int i = 0; i < 5; i++) {
		/* 450 ms each way; nothing is resent meanwhile (x is not polled). */
		hy_rudp_send(&x.s, "a", 1);
		hy_rudp_send(&x.s, "b", 1);
		pump2(&x, &y, now, now + 450000);
		pump2(&y, &x, now + 450000, now + 900000);
		now += 1000000;
	}
	ck_assert_uint_ge(x.s.srtt_us, 400000); /* 7/8 old + 1/8 new, five times */
	ck_assert_uint_eq(x.s.rto_us, 1000000);
	ep1_fini(&x);
	ep1_fini(&y);
}
END_TEST

/*
 * The byte cap, window and backlog together, is the only limit: a
 * message that would pass it is refused with WINDOW_FULL and leaves no
 * trace, and so is one the allocator cannot hold whole.  What was
 * accepted arrives in order.
 */
START_TEST(test_byte_cap_refusal)
{
	struct hy_rudp_config c = base_cfg;
	c.window = 8;
	c.max_message = 2048;
	c.tx_bytes_max = 4096;
	c.rx_bytes_max = 4096;
	struct ep1 a, b;
	ep1_init(&a, &c);
	ep1_init(&b, &c);
	uint32_t want[32], n = 0;
	const uint64_t seed = 42;
	b.want = want;
	b.want_seed = seed;

	/* Accepted or not, the next message offered is stream message n. */
#define OFFER(len) (want[n] = (len), hy_rudp_send(&a.s, make_msg(seed, n, want[n]), want[n]))
	for (int k = 0; k < 8; k++) {
		ck_assert_int_eq(OFFER(10), HY_R_OK);
		n++;
	}
	struct hy_rudp_info info, before;
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, 8);
	ck_assert_uint_eq(info.tx_backlog_units, 0);
	ck_assert_uint_eq(a.env->stats.backlogged, 0);
	/* The window is full: the next ones wait. */
	ck_assert_int_eq(OFFER(2048), HY_R_OK);
	n++;
	ck_assert_uint_eq(a.env->stats.backlogged, 1);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, 8);
	ck_assert_uint_eq(info.tx_bytes, 80);
	ck_assert_uint_eq(info.tx_backlog_units, 2);
	ck_assert_uint_eq(info.tx_backlog_bytes, 2048);
	ck_assert_uint_eq(info.mem_bytes, a.mem.out);
	ck_assert_uint_eq(a.s.tx_next, 8); /* no seqs for the backlog yet */

	/* The allocator fails on the second fragment: nothing half-queued. */
	size_t out = a.mem.out;
	uint64_t queued = a.env->stats.msgs_queued;
	a.mem.limit = out + sizeof(struct rudp_tx_unit) + HY_RUDP_FRAG_CHUNK + 100;
	hy_rudp_info(&a.s, &before);
	ck_assert_int_eq(OFFER(1900), HY_R_REASSEMBLY_FULL);
	ck_assert_uint_eq(a.mem.fails, 1);
	ck_assert_uint_eq(a.env->stats.alloc_failures, 1);
	ck_assert_uint_eq(a.mem.out, out);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, before.tx_units);
	ck_assert_uint_eq(info.tx_backlog_units, before.tx_backlog_units);
	ck_assert_uint_eq(info.tx_backlog_bytes, before.tx_backlog_bytes);
	ck_assert_uint_eq(a.env->stats.msgs_queued, queued);
	ck_assert_uint_eq(a.env->stats.backlogged, 1);
	a.mem.limit = 0;
	ck_assert_int_eq(OFFER(1900), HY_R_OK);
	n++;

	/* 80 + 2048 + 1900 = 4028 held: 100 more would pass the cap. */
	out = a.mem.out;
	queued = a.env->stats.msgs_queued;
	hy_rudp_info(&a.s, &before);
	ck_assert_int_eq(OFFER(100), HY_R_WINDOW_FULL);
	ck_assert_uint_eq(a.env->stats.window_stalls, 1);
	ck_assert_uint_eq(a.mem.out, out);
	ck_assert_uint_eq(a.env->stats.msgs_queued, queued);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, before.tx_units);
	ck_assert_uint_eq(info.tx_bytes, before.tx_bytes);
	ck_assert_uint_eq(info.tx_backlog_units, before.tx_backlog_units);
	ck_assert_uint_eq(info.tx_backlog_bytes, before.tx_backlog_bytes);
	/* Exactly up to the cap is fine; one byte more is not. */
	ck_assert_int_eq(OFFER(68), HY_R_OK);
	n++;
	ck_assert_int_eq(OFFER(1), HY_R_WINDOW_FULL);
	ck_assert_uint_eq(a.env->stats.window_stalls, 2);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_bytes + info.tx_backlog_bytes, c.tx_bytes_max);
	ck_assert_uint_eq(a.env->stats.backlogged, 3);

	/* Acks open the window and the cap: everything accepted arrives, in
	 * order, and then the session holds nothing. */
	b.want_n = n;
	uint64_t now = 0;
	drain(&a, &b, &now);
	ck_assert_msg(!b.bad, "%s", b.why);
	ck_assert_uint_eq(b.got, n);
	ck_assert_uint_eq(a.mem.out, 0);
	ck_assert_int_eq(OFFER(1), HY_R_OK);
	n++;
	b.want_n = n;
	drain(&a, &b, &now);
	ck_assert_msg(!b.bad, "%s", b.why);
	ck_assert_uint_eq(b.got, n);
#undef OFFER
	ep1_fini(&a);
	ep1_fini(&b);

	/* A message needing more units than the window can never be sent. */
	c.window = 2;
	c.max_message = 4096;
	c.tx_bytes_max = c.rx_bytes_max = 8192;
	ep1_init(&a, &c);
	static uint8_t big3[3000];
	ck_assert_int_eq(hy_rudp_send(&a.s, big3, sizeof(big3)), HY_R_MESSAGE_TOO_LARGE);
	ck_assert_ptr_null(a.s.tx);
	ep1_fini(&a);
}
END_TEST

/*
 * 64 KiB messages and others queued behind a full window, units drawn
 * from the fixed pool (whose largest class is 2304 bytes, so a 64 KiB
 * message can only be held as fragment-sized units): acks let them in
 * whole and in order, and then every block goes back.
 */
START_TEST(test_backlog_mixed_sizes)
{
	static uint8_t region[1 << 20];
	struct hy_rudp_pool pool;
	hy_rudp_pool_init(&pool, region, sizeof(region));
	struct hy_rudp_config c = base_cfg;
	c.tx_bytes_max = 4 * HY_MAX_MESSAGE;
	struct ep1 a, b;
	c.alloc = hy_rudp_pool_alloc(&pool);
	ep1_init(&a, &c);
	c.alloc = (struct hy_rudp_alloc){0};
	ep1_init(&b, &c);

	static const uint32_t tail[] = {HY_MAX_MESSAGE, 5, HY_MAX_MESSAGE, 2000,
					HY_FRAME_MAX_RELIABLE, HY_FRAME_MAX_RELIABLE + 1,
					HY_MAX_MESSAGE, 1};
	const uint32_t ntail = sizeof(tail) / sizeof(tail[0]);
	uint32_t want[HY_RUDP_WINDOW_DEFAULT + 8], n = 0;
	const uint64_t seed = 7;
	uint64_t backlog_bytes = 0;
	for (uint32_t k = 0; k < HY_RUDP_WINDOW_DEFAULT; k++)
		want[n++] = 100;
	for (uint32_t k = 0; k < ntail; k++) {
		want[n++] = tail[k];
		backlog_bytes += tail[k];
	}
	b.want = want;
	b.want_n = n;
	b.want_seed = seed;

	struct hy_rudp_info info;
	for (uint32_t k = 0; k < n; k++) {
		ck_assert_int_eq(hy_rudp_send(&a.s, make_msg(seed, k, want[k]), want[k]), HY_R_OK);
		if (k == HY_RUDP_WINDOW_DEFAULT - 1) {
			hy_rudp_info(&a.s, &info);
			ck_assert_uint_eq(info.tx_units, HY_RUDP_WINDOW_DEFAULT);
			ck_assert_uint_eq(info.tx_backlog_units, 0);
		}
	}
	ck_assert_uint_eq(a.env->stats.backlogged, ntail);
	ck_assert_uint_eq(pool.failures, 0);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, HY_RUDP_WINDOW_DEFAULT);
	ck_assert_uint_eq(info.tx_bytes, HY_RUDP_WINDOW_DEFAULT * 100);
	ck_assert_uint_eq(info.tx_backlog_units, 61 + 1 + 61 + 2 + 1 + 2 + 61 + 1);
	ck_assert_uint_eq(info.tx_backlog_bytes, backlog_bytes);
	ck_assert_uint_ge(pool.in_use, info.mem_bytes);
	ck_assert_uint_eq(a.s.tx_next, HY_RUDP_WINDOW_DEFAULT);

	/* The window goes out; the backlog waits for acks, and adds no
	 * deadline of its own (the retransmissions are timed). */
	pump(&a, &b, 0);
	ck_assert_uint_eq(b.got, HY_RUDP_WINDOW_DEFAULT);
	uint64_t d = hy_rudp_next_deadline(&a.s);
	ck_assert_uint_gt(d, 0);
	ck_assert_uint_ne(d, HY_RUDP_NEVER);
	ck_assert_uint_eq(hy_rudp_poll_tx(&a.s, 0, &(struct hy_wr){0}, 32), 0);
	/* One ACK frees the window: the first 64 KiB message (61 units) and
	 * the 5-byte one enter it, the next 64 KiB one does not fit (62 + 61
	 * > 64); the entered ones are due at once. */
	pump(&b, &a, 1000);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, 62);
	ck_assert_uint_eq(info.tx_bytes, HY_MAX_MESSAGE + 5);
	ck_assert_uint_eq(info.tx_backlog_units, 61 + 2 + 1 + 2 + 61 + 1);
	ck_assert_uint_eq(info.tx_backlog_bytes, backlog_bytes - HY_MAX_MESSAGE - 5);
	ck_assert_uint_eq(a.s.tx_next, HY_RUDP_WINDOW_DEFAULT + 62);
	ck_assert_uint_eq(hy_rudp_next_deadline(&a.s), 0);

	uint64_t now = 2000;
	drain(&a, &b, &now);
	ck_assert_msg(!b.bad, "%s", b.why);
	ck_assert_uint_eq(b.got, n);
	ck_assert_uint_eq(a.env->stats.retransmits, 0);
	ck_assert_uint_eq(a.env->stats.msgs_queued, n);
	ck_assert_uint_eq(b.env->stats.beyond_window, 0);
	/* Idle again: no block held, the pool is whole. */
	ck_assert_ptr_null(a.s.tx);
	ck_assert_uint_eq(pool.in_use, 0);
	ck_assert_uint_eq(hy_rudp_next_deadline(&a.s), HY_RUDP_NEVER);
	ep1_fini(&a);
	ep1_fini(&b);
}
END_TEST

/* hy_rudp_fini() gives back the backlog too, whatever state the window
 * is in. */
START_TEST(test_backlog_fini_returns_pool)
{
	static uint8_t region[1 << 20];
	static uint8_t msg[HY_MAX_MESSAGE];
	struct hy_rudp_pool pool;
	hy_rudp_pool_init(&pool, region, sizeof(region));
	struct hy_rudp_config c = base_cfg;
	c.tx_bytes_max = 4 * HY_MAX_MESSAGE;
	struct ep1 a, b;
	c.alloc = hy_rudp_pool_alloc(&pool);
	ep1_init(&a, &c);
	c.alloc = (struct hy_rudp_alloc){0};
	ep1_init(&b, &c);
	struct hy_rudp_info info;

	/* Nothing sent yet. */
	for (int k = 0; k < 70; k++)
		ck_assert_int_eq(hy_rudp_send(&a.s, msg, 200), HY_R_OK);
	ck_assert_int_eq(hy_rudp_send(&a.s, msg, HY_MAX_MESSAGE), HY_R_OK);
	ck_assert_int_eq(hy_rudp_send(&a.s, msg, 1), HY_R_OK);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_backlog_units, 6 + 61 + 1);
	ck_assert_uint_gt(pool.in_use, HY_MAX_MESSAGE);
	hy_rudp_fini(&a.s);
	ck_assert_uint_eq(pool.in_use, 0);
	ck_assert_ptr_null(a.s.tx);

	/* Mid-stream: some acked, some in flight, some admitted but unsent,
	 * some still waiting. */
	hy_rudp_init(&a.s, a.env);
	for (int k = 0; k < 67; k++)
		ck_assert_int_eq(hy_rudp_send(&a.s, msg, 200), HY_R_OK);
	for (int k = 0; k < 3; k++)
		ck_assert_int_eq(hy_rudp_send(&a.s, msg, HY_MAX_MESSAGE), HY_R_OK);
	pump(&a, &b, 0);
	pump(&b, &a, 1000); /* frees 64, lets in 3 + 61 */
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_units, 3 + 61);
	ck_assert_uint_eq(info.tx_backlog_units, 2 * 61);
	uint8_t buf[HY_MAX_PAYLOAD];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	ck_assert_uint_gt(hy_rudp_poll_tx(&a.s, 2000, &w, HY_MAX_FRAMES_PER_PACKET), 0);
	feed(&b, buf, w.off, 2000); /* one packet of it arrives */
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_gt(info.tx_backlog_units, 0);
	ck_assert_uint_gt(info.tx_units, 0);
	hy_rudp_fini(&a.s);
	ck_assert_uint_eq(pool.in_use, 0);

	/* A dead session with a backlog. */
	hy_rudp_init(&a.s, a.env);
	for (int k = 0; k < 4; k++)
		ck_assert_int_eq(hy_rudp_send(&a.s, msg, HY_MAX_MESSAGE), HY_R_OK);
	uint64_t now = 0;
	for (;;) {
		pump(&a, NULL, now);
		if (hy_rudp_verdict(&a.s) != HY_RUDP_OK)
			break;
		now = hy_rudp_next_deadline(&a.s);
		ck_assert_uint_ne(now, HY_RUDP_NEVER);
	}
	ck_assert_int_eq(hy_rudp_verdict(&a.s), HY_RUDP_DEAD);
	hy_rudp_info(&a.s, &info);
	ck_assert_uint_eq(info.tx_backlog_units, 3 * 61);
	hy_rudp_fini(&a.s);
	ck_assert_uint_eq(pool.in_use, 0);
	ep1_fini(&a);
	ep1_fini(&b);
}
END_TEST

/* Expands every ACK frame in buf into a set (bitmap over seq - base). */
static unsigned ack_set(const uint8_t *buf, size_t len, uint64_t base, uint8_t *set, size_t n)
{
	struct hy_rd rd;
	struct hy_frame f;
	unsigned frames = 0;
	hy_rd_init(&rd, buf, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		if (f.type != HY_FRAME_ACK)
			continue;
		frames++;
		ck_assert_uint_le(f.ack.range_count, HY_MAX_ACK_RANGES);
		struct hy_seq_range iv[HY_ACK_MAX_INTERVALS];
		unsigned k;
		ck_assert_int_eq(hy_ack_intervals(&f.ack, iv, &k), HY_R_OK);
		for (unsigned i = 0; i < k; i++)
			for (uint64_t q = iv[i].lo; q <= iv[i].hi; q++) {
				ck_assert_uint_ge(q, base);
				ck_assert_uint_lt(q - base, n);
				set[q - base] = 1;
			}
	}
	return frames;
}

static void gappy(uint32_t window, uint32_t initial, unsigned stride, bool exact)
{
	struct hy_rudp_config c = base_cfg;
	c.window = window;
	c.initial_seq = initial;
	struct ep1 b;
	uint8_t got[512] = {0}, acked[512] = {0};
	ep1_init(&b, &c);
	/* seqs initial .. initial + 9 in order, then every stride-th one. */
	for (uint32_t i = 0; i < 10; i++) {
		ck_assert_int_eq(rel(&b, initial + i, "a", 0), HY_R_OK);
		got[i] = 1;
	}
	for (uint32_t i = 11; i < 10 + window; i += stride) {
		enum hy_reason r = rel(&b, initial + i, "b", 0);
		ck_assert_msg(r == HY_R_OK, "+%u: %s", i, hy_reason_name(r));
		got[i] = 1;
	}
	ck_assert_uint_eq(b.got, 10);
	uint8_t buf[HY_MAX_PAYLOAD];
	struct hy_wr w;
	hy_wr_init(&w, buf, sizeof(buf));
	ck_assert(hy_rudp_ack_due(&b.s, 0));
	unsigned frames = hy_rudp_poll_tx(&b.s, 0, &w, 32);
	ck_assert_uint_ge(frames, 1);
	ck_assert_uint_le(frames, HY_RUDP_ACK_FRAMES_MAX);
	ck_assert_uint_eq(ack_set(buf, w.off, initial, acked, sizeof(acked)), frames);
	for (unsigned i = 0; i < sizeof(got); i++) {
		if (exact)
			ck_assert_msg(acked[i] == got[i], "window %u stride %u seq +%u: acked %d got %d",
				      window, stride, i, acked[i], got[i]);
		else
			ck_assert_msg(!acked[i] || got[i], "seq +%u acked, never received", i);
	}
	/* The newest seq and the cumulative part are always acknowledged. */
	ck_assert(acked[0] && acked[9]);
	uint32_t top = 11 + ((window - 2) / stride) * stride;
	ck_assert(acked[top]);
	ck_assert(!hy_rudp_ack_due(&b.s, 0));
	ep1_fini(&b);
}

START_TEST(test_ack_ranges_gappy)
{
	gappy(64, 0, 2, true);          /* 28 runs: two ACK frames */
	gappy(64, 0, 5, true);
	gappy(256, 0, 2, false);        /* 124 runs: over the 68-interval budget */
	gappy(256, 0xfffffefcu, 8, true); /* up to the last seq, 2^32 - 1 */
	gappy(16, 7, 1, true);          /* contiguous: one interval */
}
END_TEST

START_TEST(test_byte_cap)
{
	struct hy_rudp_config c = base_cfg;
	c.max_message = 2000;
	c.rx_bytes_max = 3000; /* 1000 bytes for units ahead of the head message */
	c.window = 64;
	struct ep1 b;
	static uint8_t d[1100];
	memset(d, 'x', sizeof(d));
	ep1_init(&b, &c);
	/* Units ahead of a gap use at most rx_bytes_max - max_message. */
	ck_assert_int_eq(frag(&b, 5, 0, 2, d, 600, 0), HY_R_OK);
	ck_assert_int_eq(frag(&b, 8, 0, 2, d, 600, 0), HY_R_REASSEMBLY_FULL);
	ck_assert_int_eq(frag(&b, 9, 1, 2, d, 400, 0), HY_R_OK);
	ck_assert_int_eq(rel(&b, 12, "zz", 0), HY_R_REASSEMBLY_FULL);
	ck_assert_uint_eq(b.env->stats.reassembly_drops, 2);
	/* The head message may use the rest. */
	ck_assert_int_eq(frag(&b, 1, 1, 2, d, 1000, 0), HY_R_OK);
	ck_assert_int_eq(frag(&b, 0, 0, 2, d, 1000, 0), HY_R_OK);
	ck_assert_uint_eq(b.got, 1);
	ck_assert_uint_eq(b.last_len, 2000);
	struct hy_rudp_info info;
	hy_rudp_info(&b.s, &info);
	ck_assert_uint_eq(info.rx_bytes, 1000);
	ck_assert_uint_le(info.rx_bytes, c.rx_bytes_max);
	ep1_fini(&b);

	/* Over max_message once complete: the stream is broken. */
	ep1_init(&b, &c);
	ck_assert_int_eq(rel(&b, 0, "a", 0), HY_R_OK);
	ck_assert_int_eq(frag(&b, 1, 0, 2, d, 1000, 0), HY_R_OK);
	ck_assert_int_eq(frag(&b, 2, 1, 2, d, 1001, 0), HY_R_MESSAGE_TOO_LARGE);
	ck_assert_int_eq(hy_rudp_verdict(&b.s), HY_RUDP_BROKEN);
	ck_assert_uint_eq(b.got, 1);
	ck_assert_uint_eq(b.mem.out, 0);
	ep1_fini(&b);

	/* An empty pool drops the unit and counts it. */
	ep1_init(&b, &c);
	b.mem.limit = 100;
	ck_assert_int_eq(frag(&b, 0, 0, 2, d, 500, 0), HY_R_REASSEMBLY_FULL);
	ck_assert_uint_eq(b.env->stats.alloc_failures, 1);
	ck_assert_uint_eq(b.mem.out, 0);
	ep1_fini(&b);
}
END_TEST

/* The deadline of b's channel, its ACK, and whether the ACK in the packet
 * b writes at `now` covers seqs 0 .. n-1 (want[i]). */
static void acks_are(struct ep1 *b, uint64_t now, const uint8_t *want, size_t n)
{
	uint8_t buf[HY_MAX_PAYLOAD], acked[64] = {0};
	struct hy_wr w;

	hy_wr_init(&w, buf, sizeof(buf));
	ck_assert_uint_ge(hy_rudp_poll_tx(&b->s, now, &w, 32), 1);
	ck_assert_uint_ge(ack_set(buf, w.off, 0, acked, sizeof(acked)), 1);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(acked[i] == want[i], "seq %zu: acked %d, want %d", i, acked[i], want[i]);
}

START_TEST(test_receiver_holds)
{
	struct hy_rudp_config c = base_cfg;
	c.max_message = 1000;
	c.rx_bytes_max = 1500; /* 500 bytes for units behind the head message */
	static uint8_t d[900];
	struct hy_rudp_info info;
	struct ep1 b;

	for (unsigned i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7u);
	ep1_init(&b, &c);
	ck_assert_uint_eq(b.env->cfg.retry_us, 1000);
	/* Refused in order: kept, acknowledged, retried a millisecond later. */
	b.refuse = true;
	ck_assert_int_eq(rel(&b, 0, "first", 100), HY_R_OK);
	ck_assert(hy_rudp_held(&b.s));
	ck_assert_uint_eq(hy_rudp_next_deadline(&b.s), 1100);
	ck_assert_uint_eq(b.env->stats.deliveries_held, 1);
	ck_assert_uint_eq(b.env->stats.msgs_delivered, 0);
	/* What arrives behind it waits, even in order. */
	ck_assert_int_eq(rel(&b, 1, "second", 200), HY_R_OK);
	ck_assert_uint_eq(b.env->stats.deliveries_held, 1); /* not offered: the head waits */
	hy_rudp_info(&b.s, &info);
	ck_assert_uint_eq(info.rx_units, 2);
	acks_are(&b, 200, (const uint8_t[]){1, 1, 0}, 3);
	/* Behind a held head, units take at most rx_bytes_max - max_message:
	 * the rest go unacknowledged, for the sender to resend. */
	ck_assert_int_eq(relb(&b, 2, d, 900, 300), HY_R_REASSEMBLY_FULL);
	ck_assert_int_eq(rel(&b, 3, "fourth", 300), HY_R_OK);
	acks_are(&b, 300, (const uint8_t[]){1, 1, 0, 1}, 4);
	/* Not before its time; then refused again and again: held twice as
	 * long each time, up to 32 x retry_us. */
	ck_assert_int_eq(hy_rudp_retry_delivery(&b.s, 1099, ep1_deliver, &b), HY_R_OK);
	ck_assert_uint_eq(b.env->stats.deliveries_held, 1);
	uint64_t t = 1100;
	const uint64_t waits[] = {2000, 4000, 8000, 16000, 32000, 32000};
	for (unsigned i = 0; i < 6; i++) {
		ck_assert_int_eq(hy_rudp_retry_delivery(&b.s, t, ep1_deliver, &b), HY_R_OK);
		ck_assert_uint_eq(b.env->stats.deliveries_held, 2 + i);
		ck_assert_uint_eq(hy_rudp_next_deadline(&b.s), t + waits[i]);
		t += waits[i];
	}
	ck_assert_uint_eq(b.got, 0);
	/* Room again: both, in order, up to the gap. */
	b.refuse = false;
	ck_assert_int_eq(hy_rudp_retry_delivery(&b.s, t, ep1_deliver, &b), HY_R_OK);
	ck_assert_uint_eq(b.got, 2);
	ck_assert_uint_eq(b.last_len, 6);
	ck_assert_mem_eq(b.last, "second", 6);
	ck_assert(!hy_rudp_held(&b.s));
	/* The resent unit fills the gap and is refused in its turn: held
	 * (whole, copied), and "fourth" behind it; then both are taken. */
	b.refuse = true;
	ck_assert_int_eq(relb(&b, 2, d, 900, t + 100), HY_R_OK);
	ck_assert(hy_rudp_held(&b.s));
	/* the back-off starts again from retry_us: the last hold ended */
	ck_assert_uint_eq(hy_rudp_next_deadline(&b.s), t + 1100);
	ck_assert_int_eq(relb(&b, 2, d, 900, t + 200), HY_R_DUPLICATE);
	ck_assert_uint_eq(b.got, 2);
	b.refuse = false;
	ck_assert_int_eq(hy_rudp_retry_delivery(&b.s, t + 1100, ep1_deliver, &b), HY_R_OK);
	ck_assert_uint_eq(b.got, 4);
	ck_assert_uint_eq(b.got_bytes, 5 + 6 + 900 + 6);
	ck_assert_mem_eq(b.last, "fourth", 6);
	ck_assert_ptr_null(b.s.rx);
	ep1_fini(&b);

	/* A fragmented message refused at the head. */
	ep1_init(&b, &c);
	b.refuse = true;
	ck_assert_int_eq(frag(&b, 1, 1, 2, d + 250, 150, 0), HY_R_OK);
	ck_assert_int_eq(frag(&b, 0, 0, 2, d, 250, 0), HY_R_OK);
	ck_assert(hy_rudp_held(&b.s));
	ck_assert_int_eq(rel(&b, 2, "after", 0), HY_R_OK);
	b.refuse = false;
	ck_assert_int_eq(hy_rudp_retry_delivery(&b.s, 1000, ep1_deliver, &b), HY_R_OK);
	ck_assert_uint_eq(b.got, 2);
	ck_assert_uint_eq(b.got_bytes, 400 + 5);
	ck_assert_mem_eq(b.last, "after", 5);
	ck_assert_ptr_null(b.s.rx); /* nothing buffered: the window costs nothing */
	/* And the fast path is back: delivered straight away. */
	ck_assert_int_eq(rel(&b, 3, "next", 1000), HY_R_OK);
	ck_assert_uint_eq(b.got, 3);
	ep1_fini(&b);
}
END_TEST

START_TEST(test_receiver_rules)
{
	struct ep1 b;
	static const uint8_t d[8] = "abcdefgh";
	ep1_init(&b, &base_cfg);
	ck_assert_int_eq(rel(&b, 0, "m0", 0), HY_R_OK);
	ck_assert_int_eq(rel(&b, 0, "m0", 0), HY_R_DUPLICATE);
	ck_assert_int_eq(rel(&b, 2, "m2", 0), HY_R_OK);
	ck_assert_int_eq(rel(&b, 2, "m2", 0), HY_R_DUPLICATE);
	ck_assert_int_eq(rel(&b, 65, "far", 0), HY_R_BEYOND_WINDOW);
	ck_assert_uint_eq(b.got, 1);
	ck_assert_int_eq(rel(&b, 1, "m1", 0), HY_R_OK);
	ck_assert_uint_eq(b.got, 3);
	ck_assert_mem_eq(b.last, "m2", 2);
	ck_assert_uint_eq(b.env->stats.duplicates, 2);
	ck_assert_uint_eq(b.env->stats.beyond_window, 1);
	ck_assert_uint_eq(b.env->stats.out_of_order, 1);
	/* A fragment whose message would start before rx_next. */
	ck_assert_int_eq(frag(&b, 4, 2, 3, d, 4, 0), HY_R_BAD_FRAGMENT);
	ck_assert_int_eq(hy_rudp_verdict(&b.s), HY_RUDP_BROKEN);
	ck_assert_int_eq(rel(&b, 3, "late", 0), HY_R_BAD_FRAGMENT);
	ck_assert_uint_eq(b.got, 3);
	ep1_fini(&b);

	/* Fragments that disagree on count. */
	ep1_init(&b, &base_cfg);
	ck_assert_int_eq(frag(&b, 1, 1, 3, d, 4, 0), HY_R_OK);
	ck_assert_int_eq(frag(&b, 2, 2, 4, d, 4, 0), HY_R_OK);
	ck_assert_int_eq(frag(&b, 0, 0, 3, d, 4, 0), HY_R_BAD_FRAGMENT);
	ck_assert_uint_eq(b.got, 0);
	ck_assert_uint_eq(b.mem.out, 0);
	ep1_fini(&b);

	/* A whole message where a fragment must be. */
	ep1_init(&b, &base_cfg);
	ck_assert_int_eq(frag(&b, 1, 1, 2, d, 4, 0), HY_R_OK);
	ck_assert_int_eq(rel(&b, 0, "m", 0), HY_R_BAD_FRAGMENT);
	ck_assert_uint_eq(b.got, 1); /* "m" itself was a valid message */
	ep1_fini(&b);

	/* Unreliable fragments are not this module's; PING asks for an ACK. */
	ep1_init(&b, &base_cfg);
	struct hy_frame f = {.type = HY_FRAME_FRAGMENT, .frag_class = HY_FRAME_UNRELIABLE,
			     .seq = 0, .frag_index = 0, .frag_count = 2, .len = 1, .data = d};
	ck_assert_int_eq(hy_rudp_on_frame(&b.s, &f, 0, ep1_deliver, &b), HY_R_UNSUPPORTED);
	f = (struct hy_frame){.type = HY_FRAME_PING};
	ck_assert_int_eq(hy_rudp_on_frame(&b.s, &f, 0, ep1_deliver, &b), HY_R_OK);
	ck_assert(!hy_rudp_ack_due(&b.s, 0)); /* nothing received: nothing to ack */
	ck_assert_int_eq(rel(&b, 0, "m", 100), HY_R_OK);
	ck_assert(!hy_rudp_ack_due(&b.s, 100));
	ck_assert_int_eq(hy_rudp_on_frame(&b.s, &f, 200, ep1_deliver, &b), HY_R_OK);
	ck_assert(hy_rudp_ack_due(&b.s, 200));
	ep1_fini(&b);
}
END_TEST

START_TEST(test_seq_space_end)
{
	/* Both directions start 3000 seqs before 2^32 and run through a lossy
	 * link up to the very last seq. */
	struct hy_rudp_config c = base_cfg;
	c.initial_seq = 0xffffffffu - 2999u;
	c.backlog_units = 1u << 16; /* the seqs run out first */
	struct sim sm;
	sim_init(&sm, &c, 300, 99);
	sm.link = (struct sim_link){.loss = 0.2, .dup = 0.1, .reorder = 0.1,
				    .delay_us = 5000, .jitter_us = 20000};
	/* Make the streams fit: no 64 KiB messages here. */
	for (int i = 0; i < 2; i++)
		for (uint32_t k = 0; k < 300; k++)
			sm.ep[i].sizes[k] = sm.ep[i].sizes[k] > 8000 ? 8000 : sm.ep[i].sizes[k];
	ck_assert(sim_run(&sm, 3600ull * 1000000u));
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(!sm.ep[i].bad, "%s", sm.ep[i].why);
		ck_assert_uint_gt(sm.ep[i].s.tx_next, 0xffffffffu - 2999u + 300);
	}
	/* Fill the space exactly: the backlog takes what the window cannot,
	 * and refuses a message once the seqs it will need run out. */
	struct hy_rudp *s = &sm.ep[0].s;
	uint8_t m = 1;
	uint32_t accepted = 0;
	enum hy_reason r;
	while ((r = hy_rudp_send(s, &m, 1)) == HY_R_OK)
		accepted++;
	ck_assert_int_eq(r, HY_R_SEQ_EXHAUSTED);
	struct hy_rudp_info info;
	hy_rudp_info(s, &info);
	ck_assert_uint_gt(info.tx_backlog_units, 0);
	ck_assert_uint_eq(s->tx_next + info.tx_backlog_units, 1ull << 32);
	/* Drain over a clean link: every seq up to 2^32 - 1 gets used. */
	sm.link = (struct sim_link){.delay_us = 1000};
	uint32_t want = sm.ep[1].delivered + accepted;
	for (unsigned round = 0; s->tx != NULL; round++) {
		struct sim_pkt p;
		ck_assert_uint_lt(round, 10000);
		sim_flush(&sm, 0);
		while (sm.q_len) {
			sim_pop(&sm, &p);
			sm.now = p.at > sm.now ? p.at : sm.now;
			sim_receive(&sm, &p);
			sim_flush(&sm, 1);
		}
	}
	ck_assert(!sm.window_bad);
	ck_assert_uint_eq(s->tx_next, 1ull << 32);
	ck_assert_uint_eq(sm.ep[1].s.rx_next, 1ull << 32);
	ck_assert_uint_eq(sm.ep[1].delivered, want);
	ck_assert_int_eq(hy_rudp_send(s, &m, 1), HY_R_SEQ_EXHAUSTED);
	sim_free(&sm);
}
END_TEST

START_TEST(test_sequenced_newest_wins)
{
	struct hy_seq_stream st = {0};
	ck_assert(hy_seq_accept(&st, 5));
	ck_assert(!hy_seq_accept(&st, 5));
	ck_assert(!hy_seq_accept(&st, 4));
	ck_assert(hy_seq_accept(&st, 9));
	ck_assert(hy_seq_accept(&st, 0xfffffff0u - 0x80000000u + 9)); /* half-space ahead */
	struct hy_seq_stream w = {0};
	ck_assert(hy_seq_accept(&w, 0xfffffffeu));
	ck_assert(hy_seq_accept(&w, 1)); /* wrapped: newer */
	ck_assert(!hy_seq_accept(&w, 0xffffffffu));
	struct hy_seq_stream z = {0};
	ck_assert(hy_seq_accept(&z, 0)); /* the first one always counts */
}
END_TEST

START_TEST(test_env_checks)
{
	struct hy_rudp_env *env = malloc(sizeof(*env));
	struct track t = {0};
	struct hy_rudp_config c = {.alloc = {track_alloc, track_free, &t}};
	char err[128];
	ck_assert_int_eq(hy_rudp_env_init(env, &c, err, sizeof(err)), HY_R_OK);
	ck_assert_uint_eq(env->cfg.window, 64);
	ck_assert_uint_eq(env->cfg.rto_max_ms, 1000);
	ck_assert_uint_eq(env->cfg.max_retries, 10);
	c.window = 48;
	ck_assert_int_eq(hy_rudp_env_init(env, &c, err, sizeof(err)), HY_R_CONFIG_BAD_VALUE);
	ck_assert_ptr_nonnull(strstr(err, "window"));
	c.window = 512;
	ck_assert_int_eq(hy_rudp_env_init(env, &c, err, sizeof(err)), HY_R_CONFIG_BAD_VALUE);
	c.window = 0;
	c.rto_min_ms = 2000;
	ck_assert_int_eq(hy_rudp_env_init(env, &c, err, sizeof(err)), HY_R_CONFIG_BAD_VALUE);
	c.rto_min_ms = 0;
	c.rx_bytes_max = 1000;
	ck_assert_int_eq(hy_rudp_env_init(env, &c, err, sizeof(err)), HY_R_CONFIG_BAD_VALUE);
	c.rx_bytes_max = 0;
	c.alloc.alloc = NULL;
	ck_assert_int_eq(hy_rudp_env_init(env, &c, err, sizeof(err)), HY_R_CONFIG_BAD_VALUE);
	free(env);
}
END_TEST

START_TEST(test_fixed_pool)
{
	/* The same exchange drawing from the fixed pool: nothing leaks, and an
	 * exhausted pool refuses instead of growing. */
	static uint8_t region[1 << 16];
	struct hy_rudp_pool pool;
	hy_rudp_pool_init(&pool, region, sizeof(region));
	struct hy_rudp_env *env = malloc(sizeof(*env));
	struct hy_rudp_config c = base_cfg;
	c.alloc = hy_rudp_pool_alloc(&pool);
	ck_assert_int_eq(hy_rudp_env_init(env, &c, NULL, 0), HY_R_OK);
	struct hy_rudp s;
	hy_rudp_init(&s, env);
	static uint8_t msg[HY_MAX_MESSAGE];
	ck_assert_int_eq(hy_rudp_send(&s, msg, 30000), HY_R_OK);
	ck_assert_uint_gt(pool.in_use, 30000);
	/* 64 KiB region: a second 30 000-byte message does not fit. */
	ck_assert_int_eq(hy_rudp_send(&s, msg, 30000), HY_R_REASSEMBLY_FULL);
	ck_assert_uint_gt(pool.failures, 0);
	hy_rudp_fini(&s);
	ck_assert_uint_eq(pool.in_use, 0);
	/* Recycled blocks serve the next session. */
	hy_rudp_init(&s, env);
	ck_assert_int_eq(hy_rudp_send(&s, msg, 30000), HY_R_OK);
	hy_rudp_fini(&s);
	ck_assert_uint_eq(pool.in_use, 0);
	free(env);
}
END_TEST

static Suite *rudp_suite(void)
{
	Suite *s = suite_create("rudp");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_impaired_exactly_once, 0, 3);
	tcase_add_loop_test(tc, test_impaired_receiver_refuses, 0, 2);
	tcase_add_test(tc, test_impaired_small_window_and_cap);
	tcase_add_test(tc, test_receiver_holds);
	tcase_add_test(tc, test_lossless_idle_costs_nothing);
	tcase_add_test(tc, test_fragment_sizes);
	tcase_add_test(tc, test_dead_peer_bounded);
	tcase_add_test(tc, test_rto_backoff_bounds);
	tcase_add_test(tc, test_byte_cap_refusal);
	tcase_add_test(tc, test_backlog_ten_windows_lossless);
	tcase_add_test(tc, test_backlog_unit_cap);
	tcase_add_loop_test(tc, test_backlog_ten_windows_lossy, 0, 3);
	tcase_add_test(tc, test_backlog_mixed_sizes);
	tcase_add_test(tc, test_backlog_fini_returns_pool);
	tcase_add_test(tc, test_ack_ranges_gappy);
	tcase_add_test(tc, test_byte_cap);
	tcase_add_test(tc, test_receiver_rules);
	tcase_add_test(tc, test_seq_space_end);
	tcase_add_test(tc, test_sequenced_newest_wins);
	tcase_add_test(tc, test_env_checks);
	tcase_add_test(tc, test_fixed_pool);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hy_check_run(rudp_suite());
}
