/* SPDX-License-Identifier: BSD-3-Clause
 * rte_telemetry commands of the data plane, for dpdk-telemetry.py and any
 * client of the telemetry socket (/var/run/dpdk/<file-prefix>/
 * dpdk_telemetry.v2):
 *
 *   /hayate/info              node, version, pid, state, lcores, ports
 *   /hayate/stats[,LCORE]     every counter, summed (or one lcore's block)
 *   /hayate/drops             non-zero drop counters by reason
 *   /hayate/sessions[,N]      live sessions and the first N (default 16,
 *                             at most 64 per worker) with address and uid
 *
 * Counters come from the stats region (consistent snapshots, no access to
 * a worker's memory); the session list is asked of each worker through its
 * inbox and waited for at most HY_TELEMETRY_WAIT_MS.  ethdev counters are
 * DPDK's own /ethdev/stats and /ethdev/xstats.
 */
#ifndef HY_DP_TELEMETRY_H
#define HY_DP_TELEMETRY_H

#include "dp.h"

#define HY_TELEMETRY_WAIT_MS 200u

/* Registers the commands; dp must outlive the process's telemetry
 * thread (commands cannot be unregistered, so it lives until exit).
 * Returns 0, or -1 if a command could not be registered. */
int hy_telemetry_init(struct hy_dp *dp);

/* Makes the commands answer "stopped" from now on (called before dp's
 * workers and stats region go away). */
void hy_telemetry_stop(void);

#endif /* HY_DP_TELEMETRY_H */
