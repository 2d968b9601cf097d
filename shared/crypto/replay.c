/* SPDX-License-Identifier: BSD-3-Clause
 * Replay window.  Hand-written: the bitmap lives inside our session entry,
 * and neither OpenSSL nor intel-ipsec-mb exposes one.
 */
#include <string.h>

#include "crypto/replay.h"

#define WORDS (HY_REPLAY_WINDOW / 64)

static inline bool bit_get(const struct hy_replay *w, uint64_t pn)
{
	uint64_t i = pn % HY_REPLAY_WINDOW;
	return (w->bits[i / 64] >> (i % 64)) & 1u;
}

static inline void bit_set(struct hy_replay *w, uint64_t pn)
{
	uint64_t i = pn % HY_REPLAY_WINDOW;
	w->bits[i / 64] |= 1ull << (i % 64);
}

static inline void bit_clear(struct hy_replay *w, uint64_t pn)
{
	uint64_t i = pn % HY_REPLAY_WINDOW;
	w->bits[i / 64] &= ~(1ull << (i % 64));
}

void hy_replay_init(struct hy_replay *w)
{
	memset(w, 0, sizeof(*w));
}

enum hy_reason hy_replay_check(const struct hy_replay *w, uint64_t pn)
{
	if (!w->any || pn > w->newest)
		return HY_R_OK;
	if (w->newest - pn >= HY_REPLAY_WINDOW)
		return HY_R_TOO_OLD;
	return bit_get(w, pn) ? HY_R_REPLAYED : HY_R_OK;
}

void hy_replay_mark(struct hy_replay *w, uint64_t pn)
{
	if (!w->any || (pn > w->newest && pn - w->newest >= HY_REPLAY_WINDOW)) {
		/* First packet, or a jump past the whole window: nothing in
		 * the old window can still be accepted, start afresh. */
		memset(w->bits, 0, sizeof(w->bits));
		w->newest = pn;
		w->any = true;
	} else if (pn > w->newest) {
		/* Slots between the old and the new newest now stand for
		 * packet numbers not yet seen. */
		for (uint64_t n = w->newest + 1; n != pn; n++)
			bit_clear(w, n);
		bit_clear(w, pn);
		w->newest = pn;
	} else if (w->newest - pn >= HY_REPLAY_WINDOW) {
		return; /* too old: never recorded */
	}
	bit_set(w, pn);
}
