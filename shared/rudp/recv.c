/* SPDX-License-Identifier: BSD-3-Clause
 * Reliability layer, receiving side: the receive window (reordering and
 * fragment reassembly under a byte cap), in-order exactly-once delivery,
 * and the ACK frames that describe what has arrived.
 */
#include <string.h>

#include "rudp/rudp_internal.h"

/* Intervals one ACK set can have: runs and gaps alternate in the window,
 * plus the run below rx_next. */
#define MAX_INTERVALS (HY_RUDP_WINDOW_MAX / 2u + 2u)

static size_t rx_unit_size(size_t len)
{
	return sizeof(struct rudp_rx_unit) + len;
}

static void rx_free_unit(struct hy_rudp *s, struct rudp_rx_unit *u)
{
	s->rx->bytes -= u->len;
	s->rx->units--;
	env_free(s->env, u, rx_unit_size(u->len));
}

void rudp_rx_release(struct hy_rudp *s)
{
	struct rudp_rx *rx = s->rx;

	if (rx == NULL)
		return;
	for (uint32_t i = 0; i < s->env->cfg.window; i++)
		if (rx->slot[i] != NULL)
			rx_free_unit(s, rx->slot[i]);
	env_free(s->env, rx, rx_block_size(s->env));
	s->rx = NULL;
}

static struct rudp_rx *rx_block(struct hy_rudp *s)
{
	if (s->rx == NULL) {
		struct rudp_rx *rx = env_alloc(s->env, rx_block_size(s->env));
		if (rx == NULL)
			return NULL;
		memset(rx, 0, rx_block_size(s->env));
		s->rx = rx;
	}
	return s->rx;
}

/* One more unit to acknowledge: the ACK waits up to ack_delay_us for
 * company, unless ack_every units are waiting or the arrival says the
 * peer needs to hear from us now (a gap or a duplicate). */
static void ack_schedule(struct hy_rudp *s, uint64_t now, bool immediate)
{
	const struct hy_rudp_config *c = &s->env->cfg;

	if (s->ack_pending == 0)
		s->ack_due = now + c->ack_delay_us;
	if (s->ack_pending < UINT16_MAX)
		s->ack_pending++;
	if ((immediate || s->ack_pending >= c->ack_every) && now < s->ack_due)
		s->ack_due = now;
}

static void note_high(struct hy_rudp *s, uint64_t seq, uint64_t now)
{
	struct rudp_rx *rx = s->rx;

	if (rx == NULL || rx->units == 0 || seq >= rx->high) {
		if (rx != NULL)
			rx->high = seq;
		s->rx_high_at = (uint32_t)now;
	}
}

/* The head message was refused: it stays, and is offered again later,
 * backing off while the receiver stays full, so that many held sessions
 * do not each retry every retry_us through a long stall. */
static enum hy_reason rx_hold(struct hy_rudp *s, uint64_t now)
{
	struct rudp_rx *rx = s->rx;
	unsigned shift = rx->holds < HOLD_BACKOFF_MAX ? rx->holds : HOLD_BACKOFF_MAX;

	rx->retry_at = now + ((uint64_t)s->env->cfg.retry_us << shift);
	rx->holds++;
	s->env->stats.deliveries_held++;
	return HY_R_OK;
}

/*
 * Delivers every complete message at the head of the window, copied out
 * first (the callback may queue replies with hy_rudp_send()); its units are
 * freed and rx_next advanced once the callback takes it.  A refusal holds
 * it and everything behind it (rx_hold).  A head message whose fragments
 * disagree (index, count) or add up to more than max_message breaks the
 * session: nothing after it is ever delivered.
 */
enum hy_reason rudp_rx_drain(struct hy_rudp *s, uint64_t now, hy_rudp_deliver_fn deliver,
			     void *arg)
{
	struct hy_rudp_env *env = s->env;
	uint32_t mask = env->cfg.window - 1;

	while (s->rx != NULL && s->rx->units > 0) {
		struct rudp_rx *rx = s->rx;
		struct rudp_rx_unit *u = rx->slot[s->rx_next & mask];
		if (u == NULL)
			break;
		unsigned count = u->count == 0 ? 1 : u->count; /* count 0: one whole message */
		size_t total = 0;
		if (u->count != 0 && u->index != 0) {
			rudp_break(s);
			return HY_R_BAD_FRAGMENT;
		}
		for (unsigned i = 0; i < count; i++) {
			const struct rudp_rx_unit *v = rx->slot[(s->rx_next + i) & mask];
			if (v == NULL)
				return HY_R_OK; /* not complete yet */
			if (v->count != u->count || v->index != i) {
				rudp_break(s);
				return HY_R_BAD_FRAGMENT;
			}
			total += v->len;
		}
		if (total > env->cfg.max_message) {
			rudp_break(s);
			return HY_R_MESSAGE_TOO_LARGE;
		}
		size_t off = 0;
		for (unsigned i = 0; i < count; i++) {
			const struct rudp_rx_unit *v = rx->slot[(s->rx_next + i) & mask];
			memcpy(env->scratch + off, v->data, v->len);
			off += v->len;
		}
		if (!deliver(arg, env->scratch, total))
			return rx_hold(s, now);
		for (unsigned i = 0; i < count; i++) {
			struct rudp_rx_unit **slot = &rx->slot[(s->rx_next + i) & mask];
			rx_free_unit(s, *slot);
			*slot = NULL;
		}
		s->rx_next += count;
		rx->retry_at = 0;
		rx->holds = 0;
		env->stats.msgs_delivered++;
	}
	if (s->rx != NULL && s->rx->units == 0)
		rudp_rx_release(s); /* nothing buffered: the window costs nothing */
	return HY_R_OK;
}

enum hy_reason rudp_rx_unit(struct hy_rudp *s, const struct hy_frame *f, uint64_t now,
			    hy_rudp_deliver_fn deliver, void *arg)
{
	struct hy_rudp_env *env = s->env;
	const struct hy_rudp_config *c = &env->cfg;
	uint32_t mask = c->window - 1;
	bool frag = f->type == HY_FRAME_FRAGMENT;
	uint64_t seq = f->seq;
	/* The frame decoder guarantees seq >= index for reliable fragments. */
	uint64_t first = frag ? seq - f->frag_index : seq;
	uint64_t count = frag ? f->frag_count : 1;

	if (seq < s->rx_next) {
		/* Our ACK was lost or is late: say again that we have it. */
		env->stats.duplicates++;
		ack_schedule(s, now, true);
		return HY_R_DUPLICATE;
	}
	if (first < s->rx_next || first + count > SEQ_SPACE) {
		/* A message that would start inside one already delivered, or
		 * end past the last seq: no honest sender writes this. */
		rudp_break(s);
		return HY_R_BAD_FRAGMENT;
	}
	if (first + count > s->rx_next + c->window) {
		env->stats.beyond_window++;
		return HY_R_BEYOND_WINDOW;
	}
	if (s->rx != NULL && s->rx->slot[seq & mask] != NULL) {
		env->stats.duplicates++;
		ack_schedule(s, now, true);
		return HY_R_DUPLICATE;
	}
	bool refused = false;
	if (!frag && seq == s->rx_next) {
		/* The common case: the next message, whole.  Delivered straight
		 * from the packet, never copied. */
		if (deliver(arg, f->data, f->len)) {
			note_high(s, seq, now);
			s->rx_next++;
			ack_schedule(s, now, false);
			env->stats.msgs_delivered++;
			return rudp_rx_drain(s, now, deliver, arg);
		}
		refused = true; /* kept below, like a unit ahead of a gap */
	}

	/* Buffer it.  Units of the message at the head may use the whole byte
	 * cap; others leave max_message free for it, so the head can always
	 * complete and a full buffer never deadlocks the stream. */
	uint64_t held = s->rx ? s->rx->bytes : 0;
	uint64_t limit = first == s->rx_next ? c->rx_bytes_max : c->rx_bytes_max - c->max_message;
	if (held + f->len > limit) {
		env->stats.reassembly_drops++;
		return HY_R_REASSEMBLY_FULL;
	}
	struct rudp_rx *rx = rx_block(s);
	struct rudp_rx_unit *u = rx ? env_alloc(env, rx_unit_size(f->len)) : NULL;
	if (u == NULL) {
		env->stats.reassembly_drops++;
		if (rx != NULL && rx->units == 0)
			rudp_rx_release(s);
		return HY_R_REASSEMBLY_FULL;
	}
	u->seq = (uint32_t)seq;
	u->len = f->len;
	u->index = frag ? f->frag_index : 0;
	u->count = frag ? f->frag_count : 0;
	memcpy(u->data, f->data, f->len);
	bool gap = seq > s->rx_next && rx->slot[(seq - 1) & mask] == NULL;
	note_high(s, seq, now);
	rx->slot[seq & mask] = u;
	rx->units++;
	rx->bytes += f->len;
	if (frag)
		env->stats.fragments_received++;
	if (gap)
		env->stats.out_of_order++;
	ack_schedule(s, now, gap);
	if (refused)
		return rx_hold(s, now);
	if (rx->retry_at != 0)
		return HY_R_OK; /* the head waits for its retry, and the rest behind it */
	return rudp_rx_drain(s, now, deliver, arg);
}

/* The acknowledged set, highest interval first: the runs of buffered
 * units in the window, then everything from initial_seq to rx_next - 1
 * (merged with the lowest run when they touch, and clipped to 65536 seqs,
 * the most one ACK interval can say). */
static unsigned ack_intervals(const struct hy_rudp *s, struct hy_seq_range *iv)
{
	uint32_t mask = s->env->cfg.window - 1;
	uint64_t base = s->env->cfg.initial_seq;
	bool buffered = s->rx != NULL && s->rx->units > 0;
	bool open = false;
	uint64_t hi = 0;
	unsigned n = 0;

	if (buffered) {
		for (uint64_t q = s->rx->high + 1; q-- > s->rx_next;) {
			bool p = s->rx->slot[q & mask] != NULL;
			if (p && !open) {
				open = true;
				hi = q;
			} else if (!p && open) {
				iv[n++] = (struct hy_seq_range){.hi = (uint32_t)hi, .lo = (uint32_t)(q + 1)};
				open = false;
			}
		}
	}
	if (s->rx_next > base) {
		if (!open)
			hi = s->rx_next - 1;
		uint64_t lo = hi - base >= 65536u ? hi - 65535u : base;
		iv[n++] = (struct hy_seq_range){.hi = (uint32_t)hi, .lo = (uint32_t)lo};
	} else if (open) {
		iv[n++] = (struct hy_seq_range){.hi = (uint32_t)hi, .lo = (uint32_t)s->rx_next};
	}
	return n;
}

bool rudp_write_acks(struct hy_rudp *s, uint64_t now, struct hy_wr *w, unsigned *frames,
		     unsigned max_frames)
{
	struct hy_seq_range iv[MAX_INTERVALS];
	unsigned n = ack_intervals(s, iv);
	unsigned room = HY_RUDP_ACK_FRAMES_MAX * HY_ACK_MAX_INTERVALS;

	if (n == 0) {
		s->ack_pending = 0;
		return true;
	}
	if (n > room) {
		/* Too gappy for our ACK budget: keep the newest intervals and the
		 * oldest one (it lets the sender advance its window); the ones
		 * left out are acknowledged by a later ACK. */
		iv[room - 1] = iv[n - 1];
		n = room;
	}
	uint32_t delay_us = (uint32_t)now - s->rx_high_at;
	uint16_t delay = delay_us / 8u >= HY_RUDP_ACK_DELAY_UNKNOWN ? HY_RUDP_ACK_DELAY_UNKNOWN - 1
								   : (uint16_t)(delay_us / 8u);
	for (unsigned i = 0; i < n; i += HY_ACK_MAX_INTERVALS) {
		unsigned k = n - i < HY_ACK_MAX_INTERVALS ? n - i : HY_ACK_MAX_INTERVALS;
		/* Only the first frame's largest is the seq whose arrival time we
		 * know; the others say "not measured". */
		if (*frames >= max_frames ||
		    !hy_frame_put_ack(w, i == 0 ? delay : HY_RUDP_ACK_DELAY_UNKNOWN, iv + i, k))
			return false; /* the rest goes in the next packet */
		(*frames)++;
		s->env->stats.acks_sent++;
	}
	s->ack_pending = 0;
	return true;
}
