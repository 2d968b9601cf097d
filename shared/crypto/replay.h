/* SPDX-License-Identifier: BSD-3-Clause
 * Sliding replay window over 64-bit packet numbers, one per session and
 * direction.
 *
 * Use: hy_replay_check() before decrypting (cheap drop of replays and
 * stale packets), hy_replay_mark() only after the tag verified, so forged
 * packets can never move the window.
 */
#ifndef HY_CRYPTO_REPLAY_H
#define HY_CRYPTO_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/reason.h"
#include "proto/limits.h"

_Static_assert(HY_REPLAY_WINDOW % 64 == 0, "window is whole 64-bit words");

/* Bit (pn % HY_REPLAY_WINDOW) is set when pn, within the window
 * [newest - HY_REPLAY_WINDOW + 1, newest], has been accepted. */
struct hy_replay {
	uint64_t newest;
	uint64_t bits[HY_REPLAY_WINDOW / 64];
	bool any; /* false until the first packet is marked (pn 0 is valid) */
};

/* Empties the window. */
void hy_replay_init(struct hy_replay *w);

/* Returns HY_R_OK if pn may be accepted, HY_R_REPLAYED if it was already
 * marked, HY_R_TOO_OLD if it is HY_REPLAY_WINDOW or more behind the newest
 * marked packet number.  Does not change w. */
enum hy_reason hy_replay_check(const struct hy_replay *w, uint64_t pn);

/* Records pn as accepted, sliding the window forward when pn is newer.
 * Marking a packet number that hy_replay_check() refuses changes nothing. */
void hy_replay_mark(struct hy_replay *w, uint64_t pn);

#endif /* HY_CRYPTO_REPLAY_H */
