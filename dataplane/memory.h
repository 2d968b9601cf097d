/* SPDX-License-Identifier: BSD-3-Clause
 * Pre-faulting DPDK's memory before the workers start, and leaving
 * nothing of EAL's behind at exit.
 *
 * Hugepages are backed when EAL maps them, but 4 KiB pages (--no-huge:
 * containers, CI, laptops) are backed on first touch, and DPDK hands out
 * zeroed memory without writing it.  Left alone, the first packet to use
 * each page of the session table, key cache, hash tables and mailbox
 * entries takes a page fault on the worker: measured at 16 us a page in a
 * VM, it dominated a connect storm (every new session lands on pages
 * nobody touched yet).  Faulting everything in at start-up moves that cost
 * out of the packet path and makes a --no-huge node behave like a
 * hugepage one.
 */
#ifndef HY_DP_MEMORY_H
#define HY_DP_MEMORY_H

#include <stddef.h>

/*
 * Backs every page of EAL's memory segments (madvise MADV_POPULATE_WRITE).
 * Call it once from the main lcore, after the tables are allocated and
 * before any worker runs.  Returns 0 and sets *bytes to what was populated,
 * or -errno when the kernel cannot (before Linux 5.14: EINVAL); the node
 * works either way, only slower on first use.
 */
int hy_memory_prefault(size_t *bytes);

/*
 * rte_eal_cleanup(), then removes EAL's runtime directory
 * (/var/run/dpdk/<file-prefix>) with its telemetry and multi-process
 * sockets, which DPDK 22.11 leaves behind after every run: a test suite
 * would otherwise leave one per process.  Call it last, as the process
 * ends (a telemetry client can no longer connect).  Returns
 * rte_eal_cleanup()'s result; a directory holding anything else stays.
 */
int hy_eal_finish(void);

#endif /* HY_DP_MEMORY_H */
