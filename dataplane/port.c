/* SPDX-License-Identifier: BSD-3-Clause
 * Ports and mbuf pools (see port.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "port.h"

/* Offloads we use when a port has them; software does the rest. */
#define HY_TX_OFFLOADS (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | \
			RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
#define HY_RX_OFFLOADS (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | \
			RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
#define HY_RSS_HF (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP)

static int port_socket(uint16_t port_id)
{
	int s = rte_eth_dev_socket_id(port_id);

	return s < 0 || s >= RTE_MAX_NUMA_NODES ? 0 : s;
}

static uint16_t clamp_desc(uint16_t want, const struct rte_eth_desc_lim *l)
{
	uint16_t n = want;

	if (l->nb_max && n > l->nb_max)
		n = l->nb_max;
	if (n < l->nb_min)
		n = l->nb_min;
	if (l->nb_align > 1)
		n = RTE_ALIGN_CEIL(n, l->nb_align);
	return n;
}

int hy_ports_plan(struct hy_ports *ps, const struct hy_node_config *c,
	unsigned int nb_workers, unsigned int burst, unsigned int inbox_slots,
	char *err, size_t errlen)
{
	unsigned int i;

	(void)burst;
	(void)inbox_slots;
	memset(ps, 0, sizeof(*ps));
	ps->nb_ports = c->dataplane.nb_ports;
	ps->nb_workers = nb_workers;
	for (i = 0; i < ps->nb_ports; i++) {
		struct hy_port *p = &ps->port[i];
		struct rte_eth_dev_info info;
		const char *dev = c->dataplane.ports[i].device;
		unsigned int q;
		int rc;

		p->index = i;
		p->conf = &c->dataplane.ports[i];
		for (q = 0; q < HY_PORT_MAX_QUEUES; q++)
			rte_spinlock_init(&p->txq_lock[q]);
		if (rte_eth_dev_get_port_by_name(dev, &p->port_id) != 0) {
			snprintf(err, errlen, "dataplane.ports[%u].device: no "
				 "DPDK port named \"%s\" (give it to EAL: -a for "
				 "PCI, --vdev for a virtual device)", i, dev);
			return -1;
		}
		rc = rte_eth_dev_info_get(p->port_id, &info);
		if (rc != 0) {
			snprintf(err, errlen, "%s: rte_eth_dev_info_get: %s",
				 dev, rte_strerror(-rc));
			return -1;
		}
		p->socket = port_socket(p->port_id);

		/* RSS only pays with several workers; a PMD without it gets
		 * one rx queue and the engine's hand-off spreads the work. */
		p->rss = nb_workers > 1 && info.max_rx_queues >= nb_workers &&
			 (info.flow_type_rss_offloads & HY_RSS_HF) != 0;
		p->nb_rxq = p->rss ? nb_workers : 1;
		p->nb_txq = RTE_MIN(nb_workers, (unsigned int)info.max_tx_queues);
		if (p->nb_txq > HY_PORT_MAX_QUEUES)
			p->nb_txq = HY_PORT_MAX_QUEUES;
		if (p->nb_txq == 0) {
			snprintf(err, errlen, "%s: the port has no tx queue", dev);
			return -1;
		}
		p->tx_shared = p->nb_txq < nb_workers;
		p->tx_offloads = info.tx_offload_capa & HY_TX_OFFLOADS;
		p->rx_offloads = info.rx_offload_capa & HY_RX_OFFLOADS;
		p->nb_rxd = clamp_desc(HY_PORT_RX_DESC, &info.rx_desc_lim);
		p->nb_txd = clamp_desc(HY_PORT_TX_DESC, &info.tx_desc_lim);
	}
	return 0;
}

/* Smallest 2^k - 1 >= n: the size rte_mempool handles best. */
static unsigned int pool_size(unsigned int n)
{
	unsigned int s = 1;

	while (s - 1 < n)
		s <<= 1;
	return s - 1;
}

int hy_ports_create_pools(struct hy_ports *ps, unsigned int burst,
	unsigned int inbox_slots, char *err, size_t errlen)
{
	unsigned int need[RTE_MAX_NUMA_NODES] = { 0 };
	unsigned int lcores = rte_lcore_count();
	unsigned int i, lcore, s;

	for (i = 0; i < ps->nb_ports; i++) {
		const struct hy_port *p = &ps->port[i];

		need[p->socket] += p->nb_rxq * p->nb_rxd + p->nb_txq * p->nb_txd;
	}
	RTE_LCORE_FOREACH(lcore) {
		s = rte_lcore_to_socket_id(lcore);
		if (s >= RTE_MAX_NUMA_NODES)
			s = 0;
		/* a socket with a worker but no port still needs a pool for
		 * the packets its engine originates */
		if (need[s] == 0)
			need[s] = 1;
	}
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		char name[RTE_MEMPOOL_NAMESIZE];
		unsigned int n;

		if (need[s] == 0)
			continue;
		/* descriptors + what sits in per-lcore caches + per-worker tx
		 * buffers (one burst per port) and a burst in hand + frames
		 * queued in the workers' inboxes */
		n = need[s] + lcores * HY_PORT_MBUF_CACHE * 3 / 2 +
		    lcores * burst * (ps->nb_ports + 2) +
		    ps->nb_workers * inbox_slots;
		snprintf(name, sizeof(name), "hy_mbuf_s%u", s);
		ps->pool[s] = rte_pktmbuf_pool_create(name, pool_size(n),
			HY_PORT_MBUF_CACHE, HY_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE,
			(int)s);
		if (ps->pool[s] == NULL) {
			snprintf(err, errlen, "mbuf pool of %u on socket %u: %s "
				 "(more memory: -m, or hugepages)", pool_size(n),
				 s, rte_strerror(rte_errno));
			hy_ports_free_pools(ps);
			return -1;
		}
	}
	return 0;
}

void hy_ports_free_pools(struct hy_ports *ps)
{
	unsigned int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(ps->pool[s]);
		ps->pool[s] = NULL;
	}
}

struct rte_mempool *hy_ports_pool(const struct hy_ports *ps, int socket)
{
	unsigned int s;

	if (socket >= 0 && socket < RTE_MAX_NUMA_NODES && ps->pool[socket])
		return ps->pool[socket];
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (ps->pool[s] != NULL)
			return ps->pool[s];
	return NULL;
}

int hy_port_join_mcast(const struct hy_port *p, struct rte_ether_addr *mc,
	unsigned int n)
{
	if (n == 0)
		return 0;
	if (rte_eth_dev_set_mc_addr_list(p->port_id, mc, n) == 0)
		return 0;
	if (rte_eth_allmulticast_enable(p->port_id) == 0)
		return 1;
	/* No receive filter control at all (af_packet): promiscuous mode
	 * is the only way left to be sure; the net layer drops frames for
	 * other MACs (ETH_NOT_FOR_US). */
	return rte_eth_promiscuous_enable(p->port_id) == 0 ? 2 : -1;
}

static int port_start(struct hy_ports *ps, struct hy_port *p, char *err,
		      size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	struct rte_mempool *pool = hy_ports_pool(ps, p->socket);
	const char *dev = p->conf->device;
	uint16_t q;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		goto fail_info;
	if (p->rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & HY_RSS_HF;
	}
	conf.rxmode.offloads = p->rx_offloads;
	conf.txmode.offloads = p->tx_offloads;
	/* The protocol never sends more than 1200 bytes of UDP payload;
	 * a standard Ethernet MTU covers it with IPv6 headers. */
	if (info.max_mtu >= RTE_ETHER_MTU && info.min_mtu <= RTE_ETHER_MTU)
		conf.rxmode.mtu = RTE_ETHER_MTU;

	rc = rte_eth_dev_configure(p->port_id, p->nb_rxq, p->nb_txq, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "%s: rte_eth_dev_configure(%u rx, %u tx): "
			 "%s", dev, p->nb_rxq, p->nb_txq, rte_strerror(-rc));
		return -1;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &p->nb_rxd,
					      &p->nb_txd);
	if (rc != 0) {
		snprintf(err, errlen, "%s: descriptor counts: %s", dev,
			 rte_strerror(-rc));
		goto fail_close;
	}
	rxc = info.default_rxconf;
	rxc.offloads = p->rx_offloads;
	for (q = 0; q < p->nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, p->nb_rxd,
					    (unsigned int)p->socket, &rxc, pool);
		if (rc != 0) {
			snprintf(err, errlen, "%s: rx queue %u: %s", dev, q,
				 rte_strerror(-rc));
			goto fail_close;
		}
	}
	txc = info.default_txconf;
	txc.offloads = p->tx_offloads;
	for (q = 0; q < p->nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, p->nb_txd,
					    (unsigned int)p->socket, &txc);
		if (rc != 0) {
			snprintf(err, errlen, "%s: tx queue %u: %s", dev, q,
				 rte_strerror(-rc));
			goto fail_close;
		}
	}
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "%s: rte_eth_dev_start: %s", dev,
			 rte_strerror(-rc));
		goto fail_close;
	}
	p->started = true;
	/* Only frames for our MAC (and broadcast): the kernel or the NIC
	 * filters the rest.  Not every PMD can turn it off (-ENOTSUP). */
	rte_eth_promiscuous_disable(p->port_id);
	rte_eth_macaddr_get(p->port_id, &p->mac);
	return 0;

fail_info:
	snprintf(err, errlen, "%s: rte_eth_dev_info_get: %s", dev,
		 rte_strerror(-rc));
	return -1;
fail_close:
	rte_eth_dev_close(p->port_id);
	return -1;
}

int hy_ports_start(struct hy_ports *ps, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < ps->nb_ports; i++) {
		if (port_start(ps, &ps->port[i], err, errlen) != 0) {
			hy_ports_stop(ps);
			return -1;
		}
	}
	return 0;
}

void hy_ports_stop(struct hy_ports *ps)
{
	unsigned int i = ps->nb_ports;

	while (i-- > 0) {
		struct hy_port *p = &ps->port[i];

		if (!p->started)
			continue;
		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		p->started = false;
	}
}

void hy_ports_describe(const struct hy_ports *ps, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ps->nb_ports && used < len; i++) {
		const struct hy_port *p = &ps->port[i];
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		used += snprintf(buf + used, len - used,
			"%s%s: port %u mac %s socket %d rxq %u (%s) txq %u%s "
			"rxd %u txd %u csum-offload tx %s rx %s",
			i ? "; " : "", p->conf->device, p->port_id, mac,
			p->socket, p->nb_rxq, p->rss ? "rss" : "sw dispatch",
			p->nb_txq, p->tx_shared ? " shared" : "", p->nb_rxd,
			p->nb_txd, p->tx_offloads ? "yes" : "no",
			p->rx_offloads ? "yes" : "no");
	}
}
