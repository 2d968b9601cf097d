/* SPDX-License-Identifier: BSD-3-Clause
 * Frame classification: Ethernet dispatch, IPv4 and UDP input.
 *
 * The order of the checks puts "IPv4 UDP to our port" first and keeps each
 * test cheap: a length check before every header is read, then the fields
 * that decide the common case.  Every other path ends in a drop with a
 * reason or in a reply built in place by the per-protocol files.
 */
#include <rte_udp.h>

#include "net_priv.h"

static enum hy_net_verdict
ipv4_input(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t len,
	   uint32_t rx_flags, struct hy_net_pkt *out)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(frame + HY_NET_ETH_LEN);
	uint16_t total;
	enum hy_net_drop why;

	if (unlikely(len < HY_NET_ETH_LEN + HY_NET_IPV4_LEN))
		return hy_net_drop(out, HY_NET_DROP_IPV4_BAD_HEADER);
	if (unlikely(ip->version_ihl != RTE_IPV4_VHL_DEF)) {
		/* Options are dropped, not skipped: game traffic never carries
		 * them and parsing them is attack surface for nothing. */
		if ((ip->version_ihl >> 4) != 4 || (ip->version_ihl & 0xf) < RTE_IPV4_MIN_IHL)
			return hy_net_drop(out, HY_NET_DROP_IPV4_BAD_HEADER);
		return hy_net_drop(out, HY_NET_DROP_IPV4_OPTIONS);
	}
	total = rte_be_to_cpu_16(ip->total_length);
	/* The frame may be longer (Ethernet pads to 60 bytes), never shorter. */
	if (unlikely(total < HY_NET_IPV4_LEN || total > len - HY_NET_ETH_LEN))
		return hy_net_drop(out, HY_NET_DROP_IPV4_BAD_LENGTH);
	if (unlikely(rx_flags & HY_NET_RX_IP_CKSUM_BAD))
		return hy_net_drop(out, HY_NET_DROP_IPV4_BAD_CHECKSUM);
	if (!(rx_flags & HY_NET_RX_IP_CKSUM_GOOD) &&
	    unlikely(hy_net_ipv4_hdr_sum(ip) != 0xffff))
		return hy_net_drop(out, HY_NET_DROP_IPV4_BAD_CHECKSUM);
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return hy_net_drop(out, HY_NET_DROP_IPV4_FRAGMENT);
	why = hy_net_ipv4_src_check(ip->src_addr);
	if (unlikely(why != HY_NET_DROP_NONE))
		return hy_net_drop(out, why);
	if (unlikely(!hy_net_ipv4_ours(ifc, ip->dst_addr)))
		return hy_net_drop(out, HY_NET_DROP_IPV4_NOT_FOR_US);

	out->flow.family = HY_NET_IPV4;
	out->flow.peer_ip.v4 = ip->src_addr;
	out->flow.local_ip.v4 = ip->dst_addr;
	rte_ether_addr_copy(&eth->src_addr, &out->flow.peer_mac);
	out->l4_off = HY_NET_ETH_LEN + HY_NET_IPV4_LEN;

	if (likely(ip->next_proto_id == HY_NET_IPPROTO_UDP))
		return hy_net_udp_input(ifc, frame, total - HY_NET_IPV4_LEN, rx_flags, out);
	if (ip->next_proto_id == HY_NET_IPPROTO_ICMP)
		return hy_net_icmp4_input(ifc, frame, total - HY_NET_IPV4_LEN, out);
	return hy_net_drop(out, HY_NET_DROP_PROTO_UNSUPPORTED);
}

enum hy_net_verdict
hy_net_udp_input(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t l4_len,
		 uint32_t rx_flags, struct hy_net_pkt *out)
{
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(frame + out->l4_off);
	const void *l3 = frame + HY_NET_ETH_LEN;
	bool v6 = out->flow.family == HY_NET_IPV6;

	/* Trailing bytes after the UDP datagram inside the IP packet are
	 * refused too: a well-formed sender never produces them. */
	if (unlikely(l4_len < HY_NET_UDP_LEN || rte_be_to_cpu_16(udp->dgram_len) != l4_len))
		return hy_net_drop(out, HY_NET_DROP_UDP_BAD_LENGTH);
	if (unlikely(udp->dst_port != ifc->udp_port))
		return hy_net_drop(out, HY_NET_DROP_UDP_WRONG_PORT);
	if (unlikely(udp->src_port == 0))
		return hy_net_drop(out, HY_NET_DROP_UDP_SRC_PORT_ZERO);
	/* RFC 8200 8.1: a zero UDP checksum is invalid over IPv6, whatever
	 * the NIC thinks of it. */
	if (unlikely(v6 && udp->dgram_cksum == 0))
		return hy_net_drop(out, HY_NET_DROP_UDP_ZERO_CHECKSUM_V6);
	if (unlikely(rx_flags & HY_NET_RX_L4_CKSUM_BAD))
		return hy_net_drop(out, HY_NET_DROP_UDP_BAD_CHECKSUM);
	if (!(rx_flags & HY_NET_RX_L4_CKSUM_GOOD)) {
		uint16_t sum;

		/* Over IPv4 a zero checksum means "none" (RFC 768); the
		 * payload is authenticated end to end anyway. */
		if (v6)
			sum = hy_net_ipv6_l4_sum(l3, udp, l4_len);
		else if (udp->dgram_cksum != 0)
			sum = hy_net_cksum_fold((uint32_t)rte_raw_cksum(udp, l4_len) +
				rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)l3, 0));
		else
			sum = 0xffff;
		if (unlikely(sum != 0xffff))
			return hy_net_drop(out, HY_NET_DROP_UDP_BAD_CHECKSUM);
	}
	out->flow.peer_port = udp->src_port;
	out->payload_off = out->l4_off + HY_NET_UDP_LEN;
	out->payload_len = l4_len - HY_NET_UDP_LEN;
	out->reason = HY_NET_DROP_NONE;
	return HY_NET_UDP_FOR_US;
}

enum hy_net_verdict
hy_net_classify(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t len,
		uint32_t rx_flags, struct hy_net_pkt *out)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	bool to_us;

	if (unlikely(len < HY_NET_ETH_LEN))
		return hy_net_drop(out, HY_NET_DROP_RUNT);
	/* Never answer (or serve) a group address: a reply would go to every
	 * host on the segment. */
	if (unlikely(!rte_is_unicast_ether_addr(&eth->src_addr)))
		return hy_net_drop(out, rte_is_broadcast_ether_addr(&eth->src_addr) ?
				   HY_NET_DROP_BROADCAST_SOURCE : HY_NET_DROP_MULTICAST_SOURCE);
	/* Our own MAC as source means a loop or a spoof. */
	if (unlikely(rte_is_zero_ether_addr(&eth->src_addr) ||
		     rte_is_same_ether_addr(&eth->src_addr, &ifc->mac)))
		return hy_net_drop(out, HY_NET_DROP_MARTIAN_SOURCE);
	to_us = rte_is_same_ether_addr(&eth->dst_addr, &ifc->mac);

	if (likely(eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		if (unlikely(!to_us))
			return hy_net_drop(out, HY_NET_DROP_ETH_NOT_FOR_US);
		return ipv4_input(ifc, frame, len, rx_flags, out);
	}
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV6): {
		/* 33:33:... carries IPv6 multicast (RFC 2464 7): neighbour
		 * solicitations reach us that way. */
		bool l2_mcast = eth->dst_addr.addr_bytes[0] == 0x33 &&
				eth->dst_addr.addr_bytes[1] == 0x33;

		if (unlikely(!to_us && !l2_mcast))
			return hy_net_drop(out, HY_NET_DROP_ETH_NOT_FOR_US);
		return hy_net_ipv6_input(ifc, frame, len, rx_flags, l2_mcast, out);
	}
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		if (!to_us && !rte_is_broadcast_ether_addr(&eth->dst_addr))
			return hy_net_drop(out, HY_NET_DROP_ETH_NOT_FOR_US);
		return hy_net_arp_input(ifc, frame, len, out);
	case RTE_BE16(RTE_ETHER_TYPE_VLAN):
	case RTE_BE16(RTE_ETHER_TYPE_QINQ):
	case RTE_BE16(RTE_ETHER_TYPE_QINQ1):
	case RTE_BE16(RTE_ETHER_TYPE_QINQ2):
	case RTE_BE16(RTE_ETHER_TYPE_QINQ3):
		return hy_net_drop(out, HY_NET_DROP_VLAN);
	default:
		return hy_net_drop(out, HY_NET_DROP_BAD_ETHERTYPE);
	}
}
