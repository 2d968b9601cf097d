/* SPDX-License-Identifier: BSD-3-Clause
 * The data plane's process-wide context and the mailbox entry that the
 * control lcore and the workers pass to each other.
 *
 * Threads and what they touch:
 *   main lcore   control loop (ctrl.c): link server and both rings, events
 *                from the workers, messages down to them, timers, drain.
 *   workers      poll loop (worker.c): their rx queues, their tx queues or
 *                shared ones under a lock, their engine, their inbox.
 *   telemetry    DPDK's telemetry thread (telemetry.c): reads the stats
 *                region and asks workers questions through their inboxes.
 * Everything in struct hy_dp is written before the workers launch and
 * read-only afterwards, except the atomics marked as such.
 */
#ifndef HY_DP_DP_H
#define HY_DP_DP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "config/conf.h"
#include "crypto/aead.h"
#include "net/net.h"
#include "port.h"
#include "ring/msg.h"

struct hy_worker;
struct hy_engine_shared;
struct hy_stats_region;
struct hy_link_server;

/* Bytes of message data an entry carries inline; larger bodies (commands
 * up to 64 KiB) get a second buffer from rte_malloc. */
#define HY_MBOX_INLINE 1536u
#define HY_MBOX_POOL_MIN 8191u /* mailbox entries at least (main.c sizes the pool) */
#define HY_INBOX_SLOTS 4096u  /* per worker: hand-offs and messages */
/* Per worker: events waiting for room in the event ring that no client
 * would resend (SESSION_CLOSEDs, reliable items with nowhere else to wait;
 * 24 bytes each), so that they are told late, not lost. */
#define HY_LATE_SLOTS 65536u

/* What an entry asks for (internal; ring messages are HY_MBOX_MSG). */
enum hy_mbox_op {
	HY_MBOX_MSG = 1,        /* msg: a ring message, either direction */
	HY_MBOX_CLOSE_ALL,      /* down: close every session (arg: reason) */
	HY_MBOX_RESYNC_DONE,    /* up: worker finished a resync (arg: count) */
	HY_MBOX_QUERY_SESSIONS, /* down: fill query (telemetry) */
	HY_MBOX_RELAY,          /* worker to worker: a room relay job in data */
	HY_MBOX_UID_SET,        /* worker to worker: file msg.sid under the user key in data */
	HY_MBOX_UID_DEL,        /* worker to worker: withdraw it */
};

/* Filled by a worker for a telemetry query. */
#define HY_QUERY_MAX 64u
struct hy_mbox_query {
	_Atomic uint32_t state; /* 0 asked, 1 answered, 2 abandoned by asker */
	uint32_t total;         /* sessions on the worker */
	uint32_t n;             /* entries filled */
	struct {
		uint64_t sid;
		uint64_t created_ms;
		uint64_t last_rx_ms;
		uint8_t family;
		uint16_t port;
		uint8_t addr[16];
		char uid[HY_UID_MAX + 1];
	} s[HY_QUERY_MAX];
};

/*
 * Mailbox entry, from dp->mbox_pool.  The sender fills it and gives up
 * ownership on a successful enqueue; the receiver frees it with
 * hy_mbox_free().  Pointer fields of msg point into data (or heap).
 */
struct hy_mbox {
	uint16_t op;       /* enum hy_mbox_op */
	uint16_t worker;   /* sender (up) or target (down) worker */
	uint32_t arg;
	struct hy_ring_msg msg;
	void *heap;        /* rte_malloc'd body when it did not fit inline */
	struct hy_mbox_query *query;
	uint8_t data[HY_MBOX_INLINE];
};

/* Handed-off frames and mailbox entries share a worker's inbox; a set low
 * bit marks an entry (both are at least 8-byte aligned). */
#define HY_INBOX_TAG_MBOX 1ul

struct hy_dp {
	const struct hy_node_config *conf;
	const struct hy_modules_config *mods; /* rooms.max_rooms sizes the fan-out tables */
	struct hy_ports ports;
	struct hy_net_iface ifc[HY_CONF_MAX_PORTS];
	struct hy_engine_shared *shared;   /* rte_zmalloc'd, 64-byte aligned */
	struct hy_aead_ctx *cluster_keys;  /* rte_zmalloc'd, one per present id */
	unsigned int nb_cluster_keys;
	enum hy_aead_backend backend;

	struct hy_worker *workers[RTE_MAX_LCORE];
	unsigned int nb_workers;
	unsigned int worker_lcore[RTE_MAX_LCORE]; /* worker id -> lcore id */
	struct rte_mempool *mbox_pool;

	struct hy_stats_region *stats;
	struct hy_link_server *link;
	uint64_t generation;               /* ns since the epoch at start */

	_Atomic bool quit;                 /* workers leave their loop */
	_Atomic uint32_t node_state;       /* enum hy_node_state */
};

/* Takes an entry from the pool with room for body bytes of message data
 * (heap-backed when larger than HY_MBOX_INLINE).  NULL when out. */
struct hy_mbox *hy_mbox_alloc(struct hy_dp *dp, size_t body);
/* Where an entry's message data goes (inline or heap). */
uint8_t *hy_mbox_buf(struct hy_mbox *e);
void hy_mbox_free(struct hy_dp *dp, struct hy_mbox *e);
/* hy_mbox_free() of n entries, given back to the pool together. */
void hy_mbox_free_bulk(struct hy_dp *dp, void *const *entries, unsigned int n);

/* Copies a decoded ring message into a fresh entry (deep copy of the
 * payload, sids and body pointers).  NULL when out of entries. */
struct hy_mbox *hy_mbox_from_msg(struct hy_dp *dp, const struct hy_ring_msg *m);

#endif /* HY_DP_DP_H */
