/* SPDX-License-Identifier: BSD-3-Clause
 * Replay and freshness check of cluster messages (replay.h).
 */
#include <string.h>

#include "mars/replay.h"

void hy_mars_replay_init(struct hy_mars_replay *r, uint64_t skew_ms)
{
	memset(r, 0, sizeof(*r));
	r->skew_ms = skew_ms;
}

uint64_t hy_mars_next_seq(uint64_t last, uint64_t now_unix_ms)
{
	uint64_t t = now_unix_ms << 16;

	return t > last ? t : last + 1;
}

enum hy_reason hy_mars_replay_check(struct hy_mars_replay *r, uint32_t sender, uint32_t boot,
				    uint64_t seq, uint64_t now_unix_ms)
{
	struct hy_mars_replay_slot *s = NULL, *free_slot = NULL, *lru = NULL;
	uint64_t t = seq >> 16;
	unsigned i;

	if (t + r->skew_ms < now_unix_ms || t > now_unix_ms + r->skew_ms)
		return HY_R_CLOCK_SKEW;
	for (i = 0; i < HY_MARS_REPLAY_SLOTS && s == NULL; i++) {
		struct hy_mars_replay_slot *x = &r->slot[i];

		if (x->sender == sender)
			s = x;
		else if (x->sender == 0 && free_slot == NULL)
			free_slot = x;
		else if (x->sender != 0 && (lru == NULL || x->heard_ms < lru->heard_ms))
			lru = x;
	}
	if (s == NULL) {
		/* Never seen or forgotten: the skew window is the guard. */
		s = free_slot != NULL ? free_slot : lru;
		memset(s, 0, sizeof(*s));
		s->sender = sender;
		s->boot = boot;
		s->seq = seq;
		s->heard_ms = now_unix_ms;
		return HY_R_OK;
	}
	if (boot == s->boot) {
		if (seq <= s->seq)
			return HY_R_REPLAYED;
		s->seq = seq;
	} else if (s->prev_boot != 0 && boot == s->prev_boot) {
		/* A process that was replaced is still talking. */
		return HY_R_DUPLICATE_NODE_ID;
	} else {
		if (seq <= s->seq || seq <= s->prev_seq)
			return HY_R_TOO_OLD;
		s->prev_boot = s->boot;
		s->prev_seq = s->seq;
		s->boot = boot;
		s->seq = seq;
	}
	s->heard_ms = now_unix_ms;
	return HY_R_OK;
}
