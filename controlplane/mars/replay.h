/* SPDX-License-Identifier: BSD-3-Clause
 * Replay and freshness check of authentic cluster messages, per sender.
 *
 * A sender's seq is unix_ms << 16 | n and only grows: within one process
 * (boot) each message must carry a larger seq than the last one taken;
 * a new boot (a restarted process) must start above everything seen from
 * that node id, which a restarted sender does because its clock moved on.
 * A message whose time (seq >> 16) is more than skew_ms from ours is
 * refused, so an old message cannot come back after its sender was
 * forgotten.  A message from the previous boot after a newer one was seen
 * means two live processes share the node id: the newer one is kept and
 * the other's messages are refused as DUPLICATE_NODE_ID.
 *
 * Boots are never 0 (0 marks "none").  No I/O, no clock: the caller
 * passes unix time.  Not thread-safe.
 */
#ifndef HY_MARS_REPLAY_H
#define HY_MARS_REPLAY_H

#include <stdint.h>

#include "common/reason.h"

/* Senders remembered; the least recently heard is forgotten first. */
#define HY_MARS_REPLAY_SLOTS 160u

struct hy_mars_replay_slot {
	uint32_t sender;    /* 0: free */
	uint32_t boot, prev_boot;
	uint64_t seq, prev_seq;
	uint64_t heard_ms;
};

struct hy_mars_replay {
	uint64_t skew_ms;
	struct hy_mars_replay_slot slot[HY_MARS_REPLAY_SLOTS];
};

void hy_mars_replay_init(struct hy_mars_replay *r, uint64_t skew_ms);

/* Checks and, when HY_R_OK, records (sender, boot, seq) at now_unix_ms.
 * Returns OK, CLOCK_SKEW, REPLAYED (seq not above the last from this
 * boot), TOO_OLD (a new boot below what was seen from the node) or
 * DUPLICATE_NODE_ID. */
enum hy_reason hy_mars_replay_check(struct hy_mars_replay *r, uint32_t sender, uint32_t boot,
				    uint64_t seq, uint64_t now_unix_ms);

/* Next seq to send after last at now_unix_ms: max(last + 1, now << 16). */
uint64_t hy_mars_next_seq(uint64_t last, uint64_t now_unix_ms);

#endif /* HY_MARS_REPLAY_H */
