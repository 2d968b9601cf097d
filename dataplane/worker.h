/* SPDX-License-Identifier: BSD-3-Clause
 * Worker lcores: run-to-completion poll loops in the shape of DPDK's l3fwd.
 *
 * Each worker owns its rx queues (queue w of every port with RSS, or the
 * single queue of a port without RSS when it is worker 0), a tx queue per
 * port (shared under a lock when the port has fewer than the workers), an
 * engine holding the sessions hy_engine_owner() gives it, an inbox (an
 * MP/SC rte_ring of frames handed off by other workers and of mailbox
 * entries from the control lcore) and an events ring (SP/SC, to the
 * control lcore).  Nothing here is shared with another worker except by
 * enqueueing to its inbox.
 */
#ifndef HY_DP_WORKER_H
#define HY_DP_WORKER_H

#include <stdint.h>

#include "dp.h"
#include "stats.h"

/* Loop timings: tx buffers are flushed at least this often; the engine's
 * timers and the published counters run once a millisecond. */
#define HY_TX_DRAIN_US 100u
#define HY_TICK_US 1000u
/* Idle back-off: spin for HY_IDLE_SPIN empty polls, then rte_pause until
 * the worker has found no work for HY_IDLE_SLEEP_AFTER_US, then sleep,
 * doubling from HY_IDLE_SLEEP_MIN_US up to HY_IDLE_SLEEP_MAX_US.  A gap in
 * the traffic shorter than that costs no latency (a packet arriving while
 * the worker sleeps waits for it to wake, tens of us on a VM); the first
 * packet after a quiet spell waits up to HY_IDLE_SLEEP_MAX_US (plus the
 * kernel's timer slack).  dataplane.idle_sleep = false: never sleeps. */
#define HY_IDLE_SPIN 64u
#define HY_IDLE_SLEEP_AFTER_US 1000u
#define HY_IDLE_SLEEP_MIN_US 10u
#define HY_IDLE_SLEEP_MAX_US 250u

/* RESPONSEs a worker keeps while its event ring is full (the control
 * plane behind), to open their sessions as soon as it drains instead of
 * at the client's resend: a connect storm's window of handshakes.  The
 * mbuf pools count them. */
#define HY_HELD_RESPONSES 256u

/*
 * Allocates worker worker_id on lcore lcore_id: its inbox and events
 * rings, its engine (session share of max_sessions), its tx buffers.
 * Returns the worker or NULL with a reason in err.  Undo: hy_worker_free.
 */
struct hy_worker *hy_worker_create(struct hy_dp *dp, unsigned int worker_id,
	unsigned int lcore_id, char *err, size_t errlen);

/* Frees a worker that is not running (engine, rings; inbox contents are
 * freed too).  Safe on NULL. */
void hy_worker_free(struct hy_dp *dp, struct hy_worker *w);

/* lcore_function_t: the poll loop, until dp->quit.  arg: the worker. */
int hy_worker_main(void *arg);

/*
 * Hands an entry to worker w's inbox.  Returns 0 (ownership passed), or
 * -ENOBUFS when the inbox is full (the caller keeps the entry).  Any
 * thread may call it.
 */
int hy_worker_post(struct hy_worker *w, struct hy_mbox *e);

/* Inbox of worker worker_id (for hand-offs between workers). */
struct rte_ring *hy_worker_inbox_of(struct hy_dp *dp, unsigned int worker_id);

/* The events ring the control lcore drains (SP/SC). */
struct rte_ring *hy_worker_events(const struct hy_worker *w);

/* Live sessions of w's engine (a snapshot readable from any thread). */
uint32_t hy_worker_sessions(const struct hy_worker *w);

#endif /* HY_DP_WORKER_H */
