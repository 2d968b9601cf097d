/* SPDX-License-Identifier: BSD-3-Clause
 * Reliability layer, sending side: the send window (queued and unacked
 * units), the backlog of messages waiting for room in it, transmission,
 * retransmission with exponential back-off, and acknowledgements from the
 * peer.
 */
#include <string.h>

#include "rudp/rudp_internal.h"

static size_t tx_unit_size(size_t len)
{
	return sizeof(struct rudp_tx_unit) + len;
}

static void tx_free_unit(struct hy_rudp *s, struct rudp_tx_unit *u)
{
	s->tx->bytes -= u->len;
	s->tx->units--;
	env_free(s->env, u, tx_unit_size(u->len));
}

/* Frees a chain of backlog units (linked through next). */
static void tx_free_chain(struct hy_rudp_env *env, struct rudp_tx_unit *u)
{
	while (u != NULL) {
		struct rudp_tx_unit *next = u->next;
		env_free(env, u, tx_unit_size(u->len));
		u = next;
	}
}

void rudp_tx_release(struct hy_rudp *s)
{
	struct rudp_tx *tx = s->tx;

	if (tx == NULL)
		return;
	for (uint32_t i = 0; i < s->env->cfg.window; i++)
		if (tx->slot[i] != NULL)
			tx_free_unit(s, tx->slot[i]);
	tx_free_chain(s->env, tx->bl_head);
	env_free(s->env, tx, tx_block_size(s->env));
	s->tx = NULL;
}

static struct rudp_tx *tx_block(struct hy_rudp *s)
{
	if (s->tx == NULL) {
		struct rudp_tx *tx = env_alloc(s->env, tx_block_size(s->env));
		if (tx == NULL)
			return NULL;
		memset(tx, 0, tx_block_size(s->env));
		tx->una = s->tx_next;
		tx->sent_next = s->tx_next;
		tx->min_deadline = HY_RUDP_NEVER;
		s->tx = tx;
	}
	return s->tx;
}

static enum hy_reason verdict_reason(const struct hy_rudp *s)
{
	return s->verdict == HY_RUDP_DEAD ? HY_R_RETRIES_EXHAUSTED : HY_R_BAD_FRAGMENT;
}

/* First seq of the window.  It starts at the first seq of the oldest
 * message not wholly acked, not at the oldest unacked unit: the
 * receiver's window starts at the first message it has not delivered,
 * which may be older than our oldest unacked unit when some of its
 * fragments are acked.  Anchored this way, nothing we send falls beyond
 * the receiver's window (same window size on both ends). */
static uint64_t tx_window_start(const struct hy_rudp *s)
{
	const struct rudp_tx *tx = s->tx;

	if (tx == NULL || tx->units == 0)
		return s->tx_next;
	return tx->una - tx->slot[tx->una & (s->env->cfg.window - 1)]->index;
}

/* Moves whole messages from the head of the backlog into the window, in
 * order, while the window rule lets them in; they get their seqs now.
 * Called wherever the window may have opened (acks) or been joined
 * (send, poll), so the head of the backlog never fits the window
 * between calls. */
static void tx_admit(struct hy_rudp *s)
{
	struct rudp_tx *tx = s->tx;
	uint32_t window = s->env->cfg.window, mask = window - 1;

	if (tx == NULL)
		return;
	while (tx->bl_head != NULL) {
		unsigned count = tx->bl_head->count ? tx->bl_head->count : 1u;
		if (s->tx_next - tx_window_start(s) + count > window)
			break;
		/* hy_rudp_send() kept tx_next + bl_units within the seq space,
		 * and the window rule keeps these slots free. */
		for (unsigned i = 0; i < count; i++) {
			struct rudp_tx_unit *u = tx->bl_head;
			tx->bl_head = u->next;
			tx->bl_units--;
			tx->bl_bytes -= u->len;
			u->deadline = 0; /* was next */
			u->seq = (uint32_t)s->tx_next;
			tx->slot[s->tx_next & mask] = u;
			tx->units++;
			tx->bytes += u->len;
			s->tx_next++;
		}
	}
	if (tx->bl_head == NULL)
		tx->bl_tail = NULL;
}

enum hy_reason hy_rudp_send(struct hy_rudp *s, const void *msg, size_t len)
{
	struct hy_rudp_env *env = s->env;
	const struct hy_rudp_config *c = &env->cfg;
	struct rudp_tx_unit *head = NULL, *tail = NULL;
	unsigned count, i;

	if (s->verdict != HY_RUDP_OK)
		return verdict_reason(s);
	if (len == 0)
		return HY_R_EMPTY_FRAME;
	if (len > c->max_message)
		return HY_R_MESSAGE_TOO_LARGE;
	count = len <= HY_FRAME_MAX_RELIABLE ? 1u
					     : (unsigned)((len + HY_RUDP_FRAG_CHUNK - 1) / HY_RUDP_FRAG_CHUNK);
	if (count > c->window || count > HY_MAX_FRAGMENTS)
		return HY_R_MESSAGE_TOO_LARGE;
	/* Backlog units take their seqs later, after the ones in front. */
	if (s->tx_next + (s->tx ? s->tx->bl_units : 0) + count > SEQ_SPACE)
		return HY_R_SEQ_EXHAUSTED;
	uint64_t held = s->tx ? (uint64_t)s->tx->bytes + s->tx->bl_bytes : 0;
	if (held + len > c->tx_bytes_max ||
	    (s->tx ? s->tx->bl_units : 0) + count > c->backlog_units) {
		/* Flow control: a receiver that does not ack cannot make us
		 * hold more than the byte cap, window and backlog together. */
		env->stats.window_stalls++;
		return HY_R_WINDOW_FULL;
	}
	struct rudp_tx *tx = tx_block(s);
	if (tx == NULL)
		return HY_R_REASSEMBLY_FULL;

	const uint8_t *p = msg;
	size_t off = 0;
	for (i = 0; i < count; i++) {
		size_t n = count == 1 ? len : len - off < HY_RUDP_FRAG_CHUNK ? len - off
									     : HY_RUDP_FRAG_CHUNK;
		struct rudp_tx_unit *u = env_alloc(env, tx_unit_size(n));
		if (u == NULL)
			break;
		u->next = NULL;
		u->sent_at = 0;
		u->seq = 0;
		u->len = (uint16_t)n;
		u->index = count == 1 ? 0 : (uint8_t)i;
		u->count = count == 1 ? 0 : (uint8_t)count;
		u->retries = 0;
		u->resent = 0;
		memcpy(u->data, p + off, n);
		off += n;
		if (tail != NULL)
			tail->next = u;
		else
			head = u;
		tail = u;
	}
	if (i < count) {
		/* All or nothing: give back what this message took. */
		tx_free_chain(env, head);
		if (tx->units == 0 && tx->bl_head == NULL)
			rudp_tx_release(s);
		return HY_R_REASSEMBLY_FULL;
	}
	/* Every message goes through the backlog, so order is kept; one that
	 * fits the window now enters it at once. */
	if (tx->bl_tail != NULL)
		tx->bl_tail->next = head;
	else
		tx->bl_head = head;
	tx->bl_tail = tail;
	tx->bl_units += count;
	tx->bl_bytes += (uint32_t)len;
	env->stats.msgs_queued++;
	tx_admit(s);
	if (tx->bl_head != NULL)
		env->stats.backlogged++; /* it is at the tail: it waits */
	return HY_R_OK;
}

static bool put_unit(struct hy_wr *w, const struct rudp_tx_unit *u)
{
	if (u->count == 0)
		return hy_frame_put_reliable(w, u->seq, u->data, u->len);
	return hy_frame_put_fragment(w, HY_FRAME_RELIABLE, u->seq, u->index, u->count, u->data,
				     u->len);
}

/* Wait before resend number `retries` + 1: the RTO doubled per resend
 * so far, never above rto_max. */
static uint64_t backoff_us(const struct hy_rudp *s, unsigned retries)
{
	uint64_t max = (uint64_t)s->env->cfg.rto_max_ms * 1000u;
	uint64_t rto = s->rto_us;

	for (unsigned i = 0; i < retries && rto < max; i++)
		rto <<= 1;
	return rto < max ? rto : max;
}

static void tx_update_deadline(struct hy_rudp *s)
{
	struct rudp_tx *tx = s->tx;
	uint32_t mask = s->env->cfg.window - 1;
	uint64_t d = HY_RUDP_NEVER;

	for (uint64_t q = tx->una; q < tx->sent_next; q++) {
		const struct rudp_tx_unit *u = tx->slot[q & mask];
		if (u != NULL && u->deadline < d)
			d = u->deadline;
	}
	tx->min_deadline = d;
}

unsigned hy_rudp_poll_tx(struct hy_rudp *s, uint64_t now, struct hy_wr *w, unsigned max_frames)
{
	struct hy_rudp_env *env = s->env;
	uint32_t mask = env->cfg.window - 1;
	unsigned frames = 0;
	bool full = false;

	if (s->verdict != HY_RUDP_OK)
		return 0;
	tx_admit(s);
	if (s->ack_pending)
		rudp_write_acks(s, now, w, &frames, max_frames);

	struct rudp_tx *tx = s->tx;
	if (tx == NULL)
		return frames;
	if (tx->min_deadline <= now) {
		for (uint64_t q = tx->una; q < tx->sent_next; q++) {
			struct rudp_tx_unit *u = tx->slot[q & mask];
			if (u == NULL || u->deadline > now)
				continue;
			if (u->retries >= env->cfg.max_retries) {
				s->verdict = HY_RUDP_DEAD;
				env->stats.dead++;
				return frames;
			}
			if (frames >= max_frames || !put_unit(w, u)) {
				full = true;
				break;
			}
			frames++;
			u->retries++;
			u->resent = 1;
			u->deadline = now + backoff_us(s, u->retries);
			env->stats.retransmits++;
		}
	}
	while (!full && tx->sent_next < s->tx_next && frames < max_frames) {
		struct rudp_tx_unit *u = tx->slot[tx->sent_next & mask];
		if (!put_unit(w, u))
			break;
		frames++;
		u->sent_at = now;
		u->deadline = now + s->rto_us;
		tx->sent_next++;
		env->stats.units_sent++;
		if (u->count)
			env->stats.fragments_sent++;
	}
	tx_update_deadline(s);
	return frames;
}

void rudp_tx_on_ack(struct hy_rudp *s, const struct hy_frame_ack *ack, uint64_t now)
{
	struct hy_seq_range iv[HY_ACK_MAX_INTERVALS];
	struct rudp_tx *tx = s->tx;
	uint32_t mask = s->env->cfg.window - 1;
	unsigned n;

	s->env->stats.acks_received++;
	if (tx == NULL || hy_ack_intervals(ack, iv, &n) != HY_R_OK)
		return;
	uint32_t units_before = tx->units;
	/* One RTT sample per ACK, from its largest seq, if that unit is acked
	 * for the first time and was never resent (Karn's rule: an ack for a
	 * resent unit does not say which copy it answers). */
	if (ack->largest >= tx->una && ack->largest < tx->sent_next &&
	    ack->delay != HY_RUDP_ACK_DELAY_UNKNOWN) {
		const struct rudp_tx_unit *u = tx->slot[ack->largest & mask];
		if (u != NULL && u->seq == ack->largest && !u->resent && now >= u->sent_at) {
			uint64_t rtt = now - u->sent_at, d = (uint64_t)ack->delay * 8u;
			rudp_rtt_sample(s, rtt >= d ? rtt - d : rtt);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		/* Only seqs we sent and still hold; anything else in the range
		 * (long acked, or never sent) is ignored. */
		uint64_t lo = iv[i].lo > tx->una ? iv[i].lo : tx->una;
		uint64_t hi = (uint64_t)iv[i].hi + 1 < tx->sent_next ? (uint64_t)iv[i].hi + 1
								      : tx->sent_next;
		for (uint64_t q = lo; q < hi; q++) {
			struct rudp_tx_unit *u = tx->slot[q & mask];
			if (u == NULL || u->seq != (uint32_t)q)
				continue;
			tx->slot[q & mask] = NULL;
			tx_free_unit(s, u);
			s->env->stats.units_acked++;
		}
	}
	while (tx->una < tx->sent_next && tx->slot[tx->una & mask] == NULL)
		tx->una++;
	if (tx->units < units_before) {
		/* Progress: the peer is alive.  What counts towards "dead" is
		 * resends without any ack at all, so the retry budget and the
		 * back-off start again, and a unit that waits behind a message
		 * the receiver is still reassembling (refused for lack of room,
		 * not lost) is not declared dead for it.  Units backed off
		 * beyond one RTO are resent within one RTO from now. */
		for (uint64_t q = tx->una; q < tx->sent_next; q++) {
			struct rudp_tx_unit *u = tx->slot[q & mask];
			if (u == NULL || u->retries == 0)
				continue;
			u->retries = 0;
			if (u->deadline > now + s->rto_us)
				u->deadline = now + s->rto_us;
		}
	}
	/* Room freed: waiting messages enter the window (sent by the next
	 * poll, which hy_rudp_next_deadline() now asks for at once). */
	tx_admit(s);
	if (tx->units == 0 && tx->bl_head == NULL) {
		rudp_tx_release(s); /* idle again: the window costs nothing */
		return;
	}
	tx_update_deadline(s);
}
