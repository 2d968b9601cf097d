/* SPDX-License-Identifier: BSD-3-Clause
 * Ports and packet memory: one mbuf pool per NUMA socket in use, and each
 * configured ethdev set up with one rx queue per worker when the PMD can
 * spread traffic with RSS (one rx queue and software dispatch otherwise),
 * tx queues for every worker when the PMD has them (shared queues behind a
 * lock otherwise), checksum offloads when advertised, promiscuous mode
 * off and a standard MTU.  Works the same for PCI NICs and every vdev.
 */
#ifndef HY_DP_PORT_H
#define HY_DP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "config/conf.h"

#define HY_PORT_RX_DESC 1024u
#define HY_PORT_TX_DESC 1024u
#define HY_PORT_MBUF_CACHE 256u
#define HY_PORT_MAX_QUEUES 64u
/* Private area of every mbuf: the worker keeps a frame's parse result
 * and peer there (worker.c checks that they fit). */
#define HY_MBUF_PRIV_SIZE 128u

/* What start-up learnt about one port; read-only once workers run. */
struct hy_port {
	uint16_t port_id;
	unsigned int index;         /* position in dataplane.ports[] */
	int socket;                 /* NUMA socket (0 when unknown) */
	struct rte_ether_addr mac;
	uint16_t nb_rxq;            /* 1, or one per worker with RSS */
	uint16_t nb_txq;            /* one per worker, or fewer (shared) */
	uint16_t nb_rxd, nb_txd;
	bool rss;                   /* several rx queues spread by RSS */
	bool tx_shared;             /* nb_txq < workers: tx takes txq_lock */
	uint64_t tx_offloads;       /* RTE_ETH_TX_OFFLOAD_* enabled */
	uint64_t rx_offloads;       /* RTE_ETH_RX_OFFLOAD_* enabled */
	bool started;
	rte_spinlock_t txq_lock[HY_PORT_MAX_QUEUES];
	const struct hy_conf_port *conf;
};

struct hy_ports {
	struct hy_port port[HY_CONF_MAX_PORTS];
	unsigned int nb_ports;
	unsigned int nb_workers;
	/* one pool per socket that has a port or a worker */
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];
};

/*
 * Looks up every configured device, picks queue counts and offloads and
 * sizes the pools (per socket: rx and tx descriptors of its ports, the
 * per-lcore caches, bursts in flight and inbox_slots of handed-off
 * frames per worker).  No ethdev is configured yet.  Returns 0, or -1
 * after writing one line to err.
 */
int hy_ports_plan(struct hy_ports *ps, const struct hy_node_config *c,
	unsigned int nb_workers, unsigned int burst, unsigned int inbox_slots,
	char *err, size_t errlen);

/* Creates the mbuf pools the plan needs.  Undo: hy_ports_free_pools. */
int hy_ports_create_pools(struct hy_ports *ps, unsigned int burst,
	unsigned int inbox_slots, char *err, size_t errlen);
void hy_ports_free_pools(struct hy_ports *ps);

/*
 * Configures and starts every port (queues, RSS, offloads, MTU,
 * promiscuous off).  Undo: hy_ports_stop (stops and closes what started).
 */
int hy_ports_start(struct hy_ports *ps, char *err, size_t errlen);
void hy_ports_stop(struct hy_ports *ps);

/*
 * Makes port p accept the n multicast MACs in mc (neighbour discovery):
 * through its filter list, else all-multicast, else promiscuous mode.
 * Returns 0 (list set), 1 (all-multicast), 2 (promiscuous) or -1.
 */
int hy_port_join_mcast(const struct hy_port *p, struct rte_ether_addr *mc,
	unsigned int n);

/* The pool for an lcore's socket (falls back to any pool). */
struct rte_mempool *hy_ports_pool(const struct hy_ports *ps, int socket);

/* One line per port describing queues and offloads, into buf. */
void hy_ports_describe(const struct hy_ports *ps, char *buf, size_t len);

#endif /* HY_DP_PORT_H */
