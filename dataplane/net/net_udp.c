/* SPDX-License-Identifier: BSD-3-Clause
 * UDP output: headers for datagrams to a peer, replies in place, and the
 * mbuf form with checksum offload.
 */
#include <errno.h>

#include <rte_udp.h>

#include "net_priv.h"

/*
 * The IPv4 header checksum (RFC 1071) from the values of the header this
 * file writes, summed as the halfwords they are in memory, so no byte
 * order is assumed.  Hand-written rather than rte_ipv4_cksum(): that reads
 * back, two bytes at a time, the header just stored (2% of a relaying
 * worker); here the fields are still in registers.  The tests check it
 * with an independent checksum over many headers.
 */
static inline rte_be16_t ipv4_hdr_cksum(rte_be16_t total_length, uint8_t ttl,
					rte_be32_t src, rte_be32_t dst)
{
	const uint32_t sum = rte_cpu_to_be_16(RTE_IPV4_VHL_DEF << 8) + total_length +
		       RTE_BE16(RTE_IPV4_HDR_DF_FLAG) +
		       rte_cpu_to_be_16((uint16_t)(ttl << 8 | HY_NET_IPPROTO_UDP)) +
		       (src & 0xffff) + (src >> 16) + (dst & 0xffff) + (dst >> 16);

	return (rte_be16_t)~hy_net_cksum_fold(sum);
}

int
hy_net_udp_build_header(const struct hy_net_iface *ifc, const struct hy_net_flow *flow,
			uint16_t payload_len, uint8_t *frame, uint16_t cap,
			uint32_t offload)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	uint8_t *l3 = frame + HY_NET_ETH_LEN;
	uint16_t hdr_len = hy_net_udp_hdr_len(flow->family);
	uint16_t l4_len = HY_NET_UDP_LEN + payload_len;
	struct rte_udp_hdr *udp;

	if (hdr_len == 0)
		return -EINVAL;
	if (cap < hdr_len || payload_len > cap - hdr_len)
		return -EMSGSIZE;
	rte_ether_addr_copy(&flow->peer_mac, &eth->dst_addr);
	rte_ether_addr_copy(&ifc->mac, &eth->src_addr);
	udp = (struct rte_udp_hdr *)(frame + hdr_len - HY_NET_UDP_LEN);
	udp->src_port = ifc->udp_port;
	udp->dst_port = flow->peer_port;
	udp->dgram_len = rte_cpu_to_be_16(l4_len);
	udp->dgram_cksum = 0;

	if (flow->family == HY_NET_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16(HY_NET_IPV4_LEN + l4_len);
		/* DF with id 0: an atomic datagram (RFC 6864 4.1). */
		ip->packet_id = 0;
		ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = ifc->ttl;
		ip->next_proto_id = HY_NET_IPPROTO_UDP;
		ip->hdr_checksum = 0;
		ip->src_addr = flow->local_ip.v4;
		ip->dst_addr = flow->peer_ip.v4;
		if (!(offload & HY_NET_OFFLOAD_IPV4_CKSUM))
			ip->hdr_checksum = ipv4_hdr_cksum(ip->total_length, ifc->ttl,
							  flow->local_ip.v4, flow->peer_ip.v4);
		if (offload & HY_NET_OFFLOAD_UDP_CKSUM)
			udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, 0);
		else if (!(offload & HY_NET_UDP4_CKSUM_NONE))
			udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(l4_len);
		ip6->proto = HY_NET_IPPROTO_UDP;
		ip6->hop_limits = ifc->ttl;
		memcpy(ip6->src_addr, flow->local_ip.v6, 16);
		memcpy(ip6->dst_addr, flow->peer_ip.v6, 16);
		if (offload & HY_NET_OFFLOAD_UDP_CKSUM)
			udp->dgram_cksum = rte_ipv6_phdr_cksum(ip6, 0);
		else
			udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	}
	return hdr_len;
}

int
hy_net_udp_reply_in_place(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t cap,
			  const struct hy_net_pkt *pkt, uint16_t payload_len, uint32_t offload)
{
	int ret;

	/* Options and extension headers are refused on input, so the payload
	 * of what we received starts exactly where ours goes. */
	RTE_ASSERT(pkt->payload_off == hy_net_udp_hdr_len(pkt->flow.family));
	ret = hy_net_udp_build_header(ifc, &pkt->flow, payload_len, frame, cap, offload);
	if (ret < 0)
		return ret;
	return ret + payload_len;
}

int
hy_net_udp_prepare_mbuf(const struct hy_net_iface *ifc, struct rte_mbuf *m,
			const struct hy_net_flow *flow, uint16_t payload_len)
{
	uint32_t room = (uint32_t)m->buf_len - m->data_off;
	uint64_t ol = m->ol_flags & ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	uint32_t offload = ifc->offload;
	int hdr_len;

	if (m->nb_segs != 1)
		return -EINVAL;
	hdr_len = hy_net_udp_build_header(ifc, flow, payload_len, rte_pktmbuf_mtod(m, uint8_t *),
					  (uint16_t)RTE_MIN(room, (uint32_t)UINT16_MAX), offload);
	if (hdr_len < 0)
		return hdr_len;
	m->data_len = (uint16_t)(hdr_len + payload_len);
	m->pkt_len = m->data_len;
	/* the whole word stored: setting l2_len and l3_len read it first,
	 * from the mbuf's second cache line, often not in cache yet */
	m->tx_offload = rte_mbuf_tx_offload(HY_NET_ETH_LEN, flow->family == HY_NET_IPV4 ?
					    HY_NET_IPV4_LEN : HY_NET_IPV6_LEN, 0, 0, 0, 0, 0);
	/* The IP type flag is only for drivers doing some offload; ports
	 * without any get a plain frame. */
	if (flow->family == HY_NET_IPV4) {
		if (offload & HY_NET_OFFLOAD_IPV4_CKSUM)
			ol |= RTE_MBUF_F_TX_IP_CKSUM;
		if (offload & HY_NET_OFFLOAD_UDP_CKSUM)
			ol |= RTE_MBUF_F_TX_UDP_CKSUM;
		if (offload & (HY_NET_OFFLOAD_IPV4_CKSUM | HY_NET_OFFLOAD_UDP_CKSUM))
			ol |= RTE_MBUF_F_TX_IPV4;
	} else if (offload & HY_NET_OFFLOAD_UDP_CKSUM) {
		ol |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
	}
	m->ol_flags = ol;
	return 0;
}
