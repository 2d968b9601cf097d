/* SPDX-License-Identifier: BSD-3-Clause
 * The control lcore (EAL's main lcore): the only thread that touches the
 * shared-memory rings to the control plane.
 *
 * Each pass of its loop: accepts or notices the loss of a control plane
 * (hy_link_server_poll); forwards the workers' events (their SP/SC events
 * rings) to the up ring; decodes the down ring and posts each message to
 * the inbox of the worker that owns its session (hy_engine_owner), or
 * handles node-wide ones itself (DRAIN, RESYNC_REQUEST fan-out); every
 * second sends STATS, beats the heartbeats and publishes its counters;
 * rotates the cookie key; runs the drain.  It sleeps up to 1 ms when a
 * pass found nothing to do, so control messages wait at most that long.
 *
 * Drain: the first SIGINT/SIGTERM (or a DRAIN message) sets the node
 * OFFLINE (echoes report it, new connects are denied NODE_DRAINING) and
 * exits once no session is left, or closes what is left after
 * dataplane.drain_timeout_s (DRAIN: its grace_ms) and exits.  A second
 * signal exits at once.
 */
#ifndef HY_DP_CTRL_H
#define HY_DP_CTRL_H

#include <signal.h>

#include "dp.h"

/* Interval of STATS messages, heartbeats and the main lcore's counters. */
#define HY_CTRL_STATS_MS 1000u
/* Cookie key rotation interval (the engine enforces a minimum). */
#define HY_CTRL_COOKIE_ROTATE_MS 60000u
/* After the drain timeout, time given to the workers' DISCONNECTs. */
#define HY_CTRL_CLOSE_WAIT_MS 1000u

/* Signal handler body: counts SIGINT/SIGTERM (async-signal-safe). */
void hy_ctrl_on_signal(int signum);

/* Number of termination signals received so far. */
unsigned int hy_ctrl_signals(void);

/*
 * Runs the control loop on the calling (main) lcore until the node stops:
 * drain finished, a second signal, or dp->quit set elsewhere.  Then sets
 * dp->quit, waits for the workers and forwards their last events.
 * Returns 0.
 */
int hy_ctrl_run(struct hy_dp *dp);

#endif /* HY_DP_CTRL_H */
