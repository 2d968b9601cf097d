/* SPDX-License-Identifier: BSD-3-Clause
 * A deterministic two-endpoint link for the reliability layer: a
 * discrete-event queue of DATA plaintexts with seeded loss, duplication,
 * reordering, delay and jitter, an application on each side that sends
 * a known sequence of messages, and a checker on each side that the
 * other's messages arrive exactly once, in order and intact.
 */
#ifndef HY_TESTS_RUDP_SIM_H
#define HY_TESTS_RUDP_SIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"
#include "rudp/rudp.h"
#include "rudp/rudp_internal.h" /* the window rule is checked on the sender's state */

/* ---- allocator that counts ------------------------------------------------ */

struct track {
	size_t out, peak, limit; /* limit 0: none */
	uint64_t allocs, fails;
};

static void *track_alloc(void *arg, size_t n)
{
	struct track *t = arg;
	if (t->limit && t->out + n > t->limit) {
		t->fails++;
		return NULL;
	}
	void *p = malloc(n);
	if (p == NULL)
		return NULL;
	t->out += n;
	t->allocs++;
	if (t->out > t->peak)
		t->peak = t->out;
	return p;
}

static void track_free(void *arg, void *p, size_t n)
{
	struct track *t = arg;
	t->out -= n;
	free(p);
}

/* ---- deterministic randomness --------------------------------------------- */

static inline uint64_t sim_rand(uint64_t *x)
{
	/* splitmix64: tiny, seedable, good enough for impairments */
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline bool sim_chance(uint64_t *x, double p)
{
	return p > 0 && (double)(sim_rand(x) >> 11) / (double)(1ull << 53) < p;
}

/* Byte j of message i of a stream. */
static inline uint8_t msg_byte(uint64_t seed, uint32_t i, uint32_t j)
{
	return (uint8_t)((seed >> 8) + i * 131u + j * 7u + (j >> 8));
}

/* ---- the simulation ----------------------------------------------------- */

struct sim_pkt {
	uint64_t at, serial;
	uint8_t to;
	uint16_t len;
	uint8_t buf[HY_MAX_PAYLOAD];
};

struct sim_link {
	double loss, dup, reorder;
	double refuse; /* chance that a receiver has no room for a message (it is held) */
	uint64_t delay_us, jitter_us;
	bool blackhole[2]; /* drop everything sent to endpoint i */
};

struct sim_ep {
	struct hy_rudp_env *env;
	struct hy_rudp s;
	struct track mem;
	/* what this endpoint sends */
	uint32_t n_out, queued;
	uint32_t *sizes;
	uint64_t seed;
	uint32_t tx_units_peak; /* window + backlog units, highest seen */
	/* what it must receive (the other endpoint's stream) */
	uint32_t delivered;
	bool bad;
	char why[160];
};

struct sim {
	struct sim_link link;
	struct sim_ep ep[2];
	uint64_t rng, now, serial;
	struct sim_pkt *q;  /* binary min-heap on (at, serial) */
	size_t q_len, q_cap;
	uint64_t sent, lost, duplicated, delivered_pkts;
	uint64_t refused; /* deliveries the receivers turned down (link.refuse) */
	bool frames_bad;
	bool window_bad; /* a unit was sent beyond the sender's window */
};

static inline bool pkt_before(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->at != b->at ? a->at < b->at : a->serial < b->serial;
}

static void sim_push(struct sim *sm, uint8_t to, uint64_t at, const uint8_t *buf, size_t len)
{
	if (sm->q_len == sm->q_cap) {
		sm->q_cap = sm->q_cap ? sm->q_cap * 2 : 256;
		sm->q = realloc(sm->q, sm->q_cap * sizeof(*sm->q));
		if (sm->q == NULL)
			abort();
	}
	size_t i = sm->q_len++;
	struct sim_pkt p = {.at = at, .serial = sm->serial++, .to = to, .len = (uint16_t)len};
	memcpy(p.buf, buf, len);
	while (i > 0 && pkt_before(&p, &sm->q[(i - 1) / 2])) {
		sm->q[i] = sm->q[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	sm->q[i] = p;
}

static void sim_pop(struct sim *sm, struct sim_pkt *out)
{
	*out = sm->q[0];
	struct sim_pkt last = sm->q[--sm->q_len];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= sm->q_len)
			break;
		if (c + 1 < sm->q_len && pkt_before(&sm->q[c + 1], &sm->q[c]))
			c++;
		if (!pkt_before(&sm->q[c], &last))
			break;
		sm->q[i] = sm->q[c];
		i = c;
	}
	if (sm->q_len > 0)
		sm->q[i] = last;
}

/* Message sizes of one stream: mostly small, with the fragmentation edges
 * and whole 64 KiB messages mixed in. */
static void sim_make_sizes(uint32_t *sizes, uint32_t n, uint64_t seed, uint32_t max_message)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t r = sim_rand(&seed);
		uint32_t sz;
		switch (r % 50) {
		case 0: sz = HY_FRAME_MAX_RELIABLE; break;       /* exactly one frame */
		case 1: sz = HY_FRAME_MAX_RELIABLE + 1; break;   /* one byte over */
		case 2: sz = HY_MAX_MESSAGE; break;
		case 3: sz = 1 + (uint32_t)((r >> 8) % HY_MAX_MESSAGE); break;
		case 4: case 5: case 6: sz = 1 + (uint32_t)((r >> 8) % 3000); break;
		default: sz = 1 + (uint32_t)((r >> 8) % 100); break;
		}
		sizes[i] = sz > max_message ? max_message : sz;
	}
}

struct sim_deliver_ctx {
	struct sim *sm;
	int me;
};

static bool sim_on_message(void *arg, const uint8_t *msg, size_t len)
{
	struct sim_deliver_ctx *c = arg;
	struct sim_ep *me = &c->sm->ep[c->me], *peer = &c->sm->ep[1 - c->me];

	if (sim_chance(&c->sm->rng, c->sm->link.refuse)) {
		c->sm->refused++;
		return false; /* no room now: nothing done, offered again later */
	}
	uint32_t k = me->delivered++;

	if (me->bad)
		return true;
	if (k >= peer->n_out) {
		me->bad = true;
		snprintf(me->why, sizeof(me->why), "extra message %u (len %zu)", k, len);
		return true;
	}
	if (len != peer->sizes[k]) {
		me->bad = true;
		snprintf(me->why, sizeof(me->why), "message %u: len %zu, want %u", k, len,
			 peer->sizes[k]);
		return true;
	}
	for (uint32_t j = 0; j < len; j++) {
		if (msg[j] != msg_byte(peer->seed, k, j)) {
			me->bad = true;
			snprintf(me->why, sizeof(me->why), "message %u: byte %u differs", k, j);
			return true;
		}
	}
	return true;
}

static void sim_ep_setup(struct sim_ep *e, const struct hy_rudp_config *cfg, uint32_t n_out,
			 uint64_t seed)
{
	struct hy_rudp_config c = *cfg;
	memset(e, 0, sizeof(*e));
	e->env = malloc(sizeof(*e->env));
	if (e->env == NULL)
		abort();
	c.alloc = (struct hy_rudp_alloc){.alloc = track_alloc, .free = track_free, .arg = &e->mem};
	if (hy_rudp_env_init(e->env, &c, NULL, 0) != HY_R_OK)
		abort();
	hy_rudp_init(&e->s, e->env);
	e->n_out = n_out;
	e->seed = seed;
	e->sizes = calloc(n_out ? n_out : 1, sizeof(uint32_t));
	sim_make_sizes(e->sizes, n_out, seed, e->env->cfg.max_message);
}

static void sim_init(struct sim *sm, const struct hy_rudp_config *cfg, uint32_t n_each,
		     uint64_t seed)
{
	memset(sm, 0, sizeof(*sm));
	sm->rng = seed;
	sim_ep_setup(&sm->ep[0], cfg, n_each, seed * 2 + 1);
	sim_ep_setup(&sm->ep[1], cfg, n_each, seed * 2 + 2);
}

static void sim_free(struct sim *sm)
{
	for (int i = 0; i < 2; i++) {
		hy_rudp_fini(&sm->ep[i].s);
		free(sm->ep[i].env);
		free(sm->ep[i].sizes);
	}
	free(sm->q);
}

static void sim_transmit(struct sim *sm, int from, const uint8_t *buf, size_t len)
{
	struct sim_link *l = &sm->link;
	int to = 1 - from;

	sm->sent++;
	if (l->blackhole[to] || sim_chance(&sm->rng, l->loss)) {
		sm->lost++;
		return;
	}
	unsigned copies = sim_chance(&sm->rng, l->dup) ? 2 : 1;
	sm->duplicated += copies - 1;
	for (unsigned c = 0; c < copies; c++) {
		uint64_t at = sm->now + l->delay_us;
		if (l->jitter_us)
			at += sim_rand(&sm->rng) % l->jitter_us;
		if (sim_chance(&sm->rng, l->reorder))
			at += l->delay_us + sim_rand(&sm->rng) % (3 * l->delay_us + 1);
		sim_push(sm, (uint8_t)to, at, buf, len);
	}
}

/*
 * True when every reliable unit in the plaintext buf, just written by
 * hy_rudp_poll_tx(s), obeys the window rule of docs/protocol.md: its
 * message ends before M + W, M the first seq of the oldest message s has
 * not seen wholly acknowledged (s's state after the poll: a poll sends,
 * it acknowledges nothing).  Backlog messages must wait for room, never
 * stretch the window.
 */
static bool sim_window_ok(const struct hy_rudp *s, const uint8_t *buf, size_t len)
{
	const struct rudp_tx *tx = s->tx;
	uint32_t window = s->env->cfg.window;
	uint64_t m = s->tx_next;
	struct hy_rd rd;
	struct hy_frame f;

	if (tx != NULL && tx->units > 0)
		m = tx->una - tx->slot[tx->una & (window - 1)]->index;
	hy_rd_init(&rd, buf, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		uint64_t last;
		if (f.type == HY_FRAME_RELIABLE)
			last = f.seq;
		else if (f.type == HY_FRAME_FRAGMENT && f.frag_class == HY_FRAME_RELIABLE)
			last = (uint64_t)f.seq - f.frag_index + f.frag_count - 1;
		else
			continue;
		if (last >= m + window || f.seq >= s->tx_next)
			return false;
	}
	return true;
}

/* Sends every packet endpoint i has to send now. */
static void sim_flush(struct sim *sm, int i)
{
	uint8_t buf[HY_MAX_PAYLOAD];
	struct hy_wr w;

	for (;;) {
		hy_wr_init(&w, buf, sizeof(buf));
		unsigned n = hy_rudp_poll_tx(&sm->ep[i].s, sm->now, &w, HY_MAX_FRAMES_PER_PACKET);
		if (n == 0)
			break;
		if (hy_frames_validate(buf, w.off) != HY_R_OK)
			sm->frames_bad = true;
		if (!sim_window_ok(&sm->ep[i].s, buf, w.off))
			sm->window_bad = true;
		sim_transmit(sm, i, buf, w.off);
	}
}

/* Queues as much of endpoint i's stream as the send side takes (window,
 * then backlog, up to the byte cap). */
static void sim_app(struct sim *sm, int i)
{
	struct sim_ep *e = &sm->ep[i];
	static uint8_t msg[HY_MAX_MESSAGE];
	struct hy_rudp_info info;

	while (e->queued < e->n_out) {
		uint32_t k = e->queued, len = e->sizes[k];
		for (uint32_t j = 0; j < len; j++)
			msg[j] = msg_byte(e->seed, k, j);
		if (hy_rudp_send(&e->s, msg, len) != HY_R_OK)
			break;
		e->queued++;
	}
	/* Units held only grow here (acks free them, admission moves them). */
	hy_rudp_info(&e->s, &info);
	if (info.tx_units + info.tx_backlog_units > e->tx_units_peak)
		e->tx_units_peak = info.tx_units + info.tx_backlog_units;
}

static void sim_receive(struct sim *sm, const struct sim_pkt *p)
{
	struct sim_deliver_ctx ctx = {.sm = sm, .me = p->to};
	struct hy_rd rd;
	struct hy_frame f;

	sm->delivered_pkts++;
	if (hy_frames_validate(p->buf, p->len) != HY_R_OK) {
		sm->frames_bad = true;
		return;
	}
	hy_rd_init(&rd, p->buf, p->len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK)
		hy_rudp_on_frame(&sm->ep[p->to].s, &f, sm->now, sim_on_message, &ctx);
}

static bool sim_done(const struct sim *sm)
{
	for (int i = 0; i < 2; i++) {
		const struct sim_ep *e = &sm->ep[i], *peer = &sm->ep[1 - i];
		if (e->delivered < peer->n_out || e->queued < e->n_out || e->s.tx != NULL)
			return false;
	}
	return true;
}

/*
 * Runs until both streams are delivered and acknowledged, an endpoint
 * fails (bad delivery or a verdict), or limit_us of simulated time.
 * Returns true when done.
 */
static bool sim_run(struct sim *sm, uint64_t limit_us)
{
	struct sim_pkt p;

	while (sm->now < limit_us) {
		while (sm->q_len && sm->q[0].at <= sm->now) {
			sim_pop(sm, &p);
			sim_receive(sm, &p);
		}
		for (int i = 0; i < 2; i++) {
			struct sim_deliver_ctx ctx = {.sm = sm, .me = i};
			hy_rudp_retry_delivery(&sm->ep[i].s, sm->now, sim_on_message, &ctx);
			sim_app(sm, i);
			sim_flush(sm, i);
		}
		if (sim_done(sm))
			return true;
		for (int i = 0; i < 2; i++)
			if (sm->ep[i].bad || hy_rudp_verdict(&sm->ep[i].s) != HY_RUDP_OK)
				return false;
		uint64_t next = sm->q_len ? sm->q[0].at : HY_RUDP_NEVER;
		for (int i = 0; i < 2; i++) {
			uint64_t d = hy_rudp_next_deadline(&sm->ep[i].s);
			if (d < next)
				next = d;
		}
		if (next == HY_RUDP_NEVER)
			return false; /* nothing can happen any more */
		sm->now = next > sm->now ? next : sm->now + 1;
	}
	return false;
}

#endif /* HY_TESTS_RUDP_SIM_H */
