/* SPDX-License-Identifier: BSD-3-Clause
 * Reliability layer: configuration, session life cycle, frame dispatch,
 * RTT/RTO estimation (RFC 6298) and timers.  The send window is in
 * send.c, the receive window and ACK generation in recv.c.
 */
#include <stdio.h>
#include <string.h>

#include "rudp/rudp_internal.h"

static enum hy_reason bad(char *err, size_t err_len, const char *what)
{
	if (err && err_len)
		snprintf(err, err_len, "%s", what);
	return HY_R_CONFIG_BAD_VALUE;
}

enum hy_reason hy_rudp_env_init(struct hy_rudp_env *env, const struct hy_rudp_config *cfg,
				char *err, size_t err_len)
{
	struct hy_rudp_config c = *cfg;

	if (c.rto_min_ms == 0)
		c.rto_min_ms = 50;
	if (c.rto_max_ms == 0)
		c.rto_max_ms = 1000;
	if (c.rto_initial_ms == 0)
		c.rto_initial_ms = c.rto_max_ms;
	if (c.max_retries == 0)
		c.max_retries = 10;
	if (c.window == 0)
		c.window = HY_RUDP_WINDOW_DEFAULT;
	if (c.tx_bytes_max == 0)
		c.tx_bytes_max = 131072;
	if (c.backlog_units == 0)
		c.backlog_units = 16u * c.window;
	if (c.rx_bytes_max == 0)
		c.rx_bytes_max = 131072;
	if (c.max_message == 0)
		c.max_message = HY_MAX_MESSAGE;
	if (c.ack_delay_us == 0)
		c.ack_delay_us = 20000;
	if (c.ack_every == 0)
		c.ack_every = 2;
	if (c.retry_us == 0)
		c.retry_us = 1000;

	if (c.alloc.alloc == NULL || c.alloc.free == NULL)
		return bad(err, err_len, "rudp: an allocator is required");
	if (c.window < 2 || c.window > HY_RUDP_WINDOW_MAX || (c.window & (c.window - 1)))
		return bad(err, err_len, "rudp: window must be a power of two from 2 to 256");
	if (c.rto_min_ms > c.rto_max_ms || c.rto_max_ms > 3600000u)
		return bad(err, err_len, "rudp: need rto_min_ms <= rto_max_ms <= 3600000");
	if (c.max_retries > 255)
		return bad(err, err_len, "rudp: max_retries must be at most 255");
	if (c.max_message > HY_MAX_MESSAGE)
		return bad(err, err_len, "rudp: max_message over HY_MAX_MESSAGE");
	if (c.rx_bytes_max < c.max_message || c.tx_bytes_max < c.max_message)
		return bad(err, err_len, "rudp: byte caps must hold at least max_message");
	if (c.backlog_units < c.window)
		return bad(err, err_len, "rudp: backlog_units must be at least the window");
	if (c.ack_every > UINT16_MAX || c.ack_delay_us > 1000000u)
		return bad(err, err_len, "rudp: ack_every over 65535 or ack_delay_us over 1 s");
	if (c.retry_us > 1000000u)
		return bad(err, err_len, "rudp: retry_us over 1 s");

	memset(&env->stats, 0, sizeof(env->stats));
	env->cfg = c;
	return HY_R_OK;
}

void hy_rudp_init(struct hy_rudp *s, struct hy_rudp_env *env)
{
	memset(s, 0, sizeof(*s));
	s->env = env;
	s->tx_next = env->cfg.initial_seq;
	s->rx_next = env->cfg.initial_seq;
	uint32_t rto = env->cfg.rto_initial_ms;
	rto = rto < env->cfg.rto_min_ms ? env->cfg.rto_min_ms : rto;
	rto = rto > env->cfg.rto_max_ms ? env->cfg.rto_max_ms : rto;
	s->rto_us = rto * 1000u;
}

void hy_rudp_fini(struct hy_rudp *s)
{
	if (s->env == NULL)
		return;
	rudp_tx_release(s);
	rudp_rx_release(s);
	s->ack_pending = 0;
}

/* RFC 6298 section 2, with times in microseconds. */
void rudp_rtt_sample(struct hy_rudp *s, uint64_t rtt_us)
{
	const struct hy_rudp_config *c = &s->env->cfg;
	uint64_t r = rtt_us > UINT32_MAX / 2 ? UINT32_MAX / 2 : rtt_us;

	if (!(s->flags & F_HAVE_RTT)) {
		s->srtt_us = (uint32_t)r;
		s->rttvar_us = (uint32_t)(r / 2);
		s->flags |= F_HAVE_RTT;
	} else {
		uint64_t dev = r > s->srtt_us ? r - s->srtt_us : s->srtt_us - r;
		s->rttvar_us = (uint32_t)((3ull * s->rttvar_us + dev) / 4);
		s->srtt_us = (uint32_t)((7ull * s->srtt_us + r) / 8);
	}
	uint64_t var = 4ull * s->rttvar_us;
	uint64_t rto = s->srtt_us + (var > CLOCK_GRANULARITY_US ? var : CLOCK_GRANULARITY_US);
	uint64_t lo = (uint64_t)c->rto_min_ms * 1000u, hi = (uint64_t)c->rto_max_ms * 1000u;
	s->rto_us = (uint32_t)(rto < lo ? lo : rto > hi ? hi : rto);
	s->env->stats.rtt_samples++;
}

/* The peer's reliable stream cannot be trusted any more: stop delivering
 * and let the caller close the session. */
void rudp_break(struct hy_rudp *s)
{
	if (s->verdict == HY_RUDP_OK) {
		s->verdict = HY_RUDP_BROKEN;
		s->env->stats.protocol_errors++;
	}
	rudp_rx_release(s);
	s->ack_pending = 0;
}

enum hy_reason hy_rudp_on_frame(struct hy_rudp *s, const struct hy_frame *f, uint64_t now,
				hy_rudp_deliver_fn deliver, void *arg)
{
	if (s->verdict != HY_RUDP_OK)
		return s->verdict == HY_RUDP_DEAD ? HY_R_RETRIES_EXHAUSTED : HY_R_BAD_FRAGMENT;
	switch (f->type) {
	case HY_FRAME_ACK:
		rudp_tx_on_ack(s, &f->ack, now);
		return HY_R_OK;
	case HY_FRAME_RELIABLE:
		return rudp_rx_unit(s, f, now, deliver, arg);
	case HY_FRAME_FRAGMENT:
		if (f->frag_class != HY_FRAME_RELIABLE)
			return HY_R_UNSUPPORTED;
		return rudp_rx_unit(s, f, now, deliver, arg);
	case HY_FRAME_PING:
		/* The peer wants to hear from us: acknowledge what we hold. */
		if (s->rx_next != s->env->cfg.initial_seq || s->rx != NULL) {
			if (s->ack_pending == 0)
				s->ack_pending = 1;
			s->ack_due = now;
		}
		return HY_R_OK;
	default:
		return HY_R_BAD_TYPE;
	}
}

bool hy_rudp_ack_due(const struct hy_rudp *s, uint64_t now)
{
	return s->ack_pending && s->verdict == HY_RUDP_OK && now >= s->ack_due;
}

uint64_t hy_rudp_next_deadline(const struct hy_rudp *s)
{
	uint64_t d = HY_RUDP_NEVER;

	if (s->verdict != HY_RUDP_OK)
		return HY_RUDP_NEVER;
	if (s->ack_pending)
		d = s->ack_due;
	if (s->tx != NULL) {
		if (s->tx->sent_next < s->tx_next)
			return 0;
		if (s->tx->min_deadline < d)
			d = s->tx->min_deadline;
	}
	if (s->rx != NULL && s->rx->retry_at != 0 && s->rx->retry_at < d)
		d = s->rx->retry_at;
	return d;
}

bool hy_rudp_held(const struct hy_rudp *s)
{
	return s->rx != NULL && s->rx->retry_at != 0;
}

enum hy_reason hy_rudp_deliver_held(struct hy_rudp *s, uint64_t now,
				    hy_rudp_deliver_fn deliver, void *arg)
{
	if (s->verdict != HY_RUDP_OK || !hy_rudp_held(s))
		return HY_R_OK;
	return rudp_rx_drain(s, now, deliver, arg);
}

enum hy_reason hy_rudp_retry_delivery(struct hy_rudp *s, uint64_t now,
				      hy_rudp_deliver_fn deliver, void *arg)
{
	if (hy_rudp_held(s) && now < s->rx->retry_at)
		return HY_R_OK;
	return hy_rudp_deliver_held(s, now, deliver, arg);
}

void hy_rudp_info(const struct hy_rudp *s, struct hy_rudp_info *out)
{
	memset(out, 0, sizeof(*out));
	out->srtt_us = s->srtt_us;
	out->rttvar_us = s->rttvar_us;
	out->rto_us = s->rto_us;
	out->tx_next = s->tx_next;
	out->rx_next = s->rx_next;
	if (s->tx) {
		const struct rudp_tx *tx = s->tx;
		out->tx_units = tx->units;
		out->tx_bytes = tx->bytes;
		out->tx_backlog_units = tx->bl_units;
		out->tx_backlog_bytes = tx->bl_bytes;
		out->mem_bytes += tx_block_size(s->env) +
				  ((size_t)tx->units + tx->bl_units) * sizeof(struct rudp_tx_unit) +
				  tx->bytes + tx->bl_bytes;
	}
	if (s->rx) {
		out->rx_units = s->rx->units;
		out->rx_bytes = s->rx->bytes;
		out->mem_bytes += rx_block_size(s->env) +
				  (size_t)s->rx->units * sizeof(struct rudp_rx_unit) + s->rx->bytes;
	}
}
