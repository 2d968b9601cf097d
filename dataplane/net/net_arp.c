/* SPDX-License-Identifier: BSD-3-Clause
 * ARP: answer requests for our IPv4 addresses, build announcements.
 *
 * Nothing is learnt: every reply goes back to the MAC the frame came from,
 * and UDP replies use the source MAC of the datagram they answer.
 */
#include <errno.h>

#include <rte_arp.h>

#include "net_priv.h"

#define ARP_FRAME_LEN (HY_NET_ETH_LEN + (uint16_t)sizeof(struct rte_arp_hdr))

enum hy_net_verdict
hy_net_arp_input(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t len,
		 struct hy_net_pkt *out)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(frame + HY_NET_ETH_LEN);
	struct rte_arp_ipv4 *d = &arp->arp_data;
	enum hy_net_drop why;
	rte_be32_t tip;

	if (unlikely(len < ARP_FRAME_LEN) ||
	    arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		return hy_net_drop(out, HY_NET_DROP_ARP_MALFORMED);
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		return hy_net_drop(out, HY_NET_DROP_ARP_NOT_REQUEST);
	if (!rte_is_unicast_ether_addr(&d->arp_sha))
		return hy_net_drop(out, rte_is_broadcast_ether_addr(&d->arp_sha) ?
				   HY_NET_DROP_BROADCAST_SOURCE : HY_NET_DROP_MULTICAST_SOURCE);
	if (rte_is_zero_ether_addr(&d->arp_sha))
		return hy_net_drop(out, HY_NET_DROP_MARTIAN_SOURCE);
	/* 0.0.0.0 is a probe (RFC 5227 2.1.1) and gets an answer: that is how
	 * a host learns the address is taken. */
	if (d->arp_sip != 0) {
		why = hy_net_ipv4_src_check(d->arp_sip);
		if (why != HY_NET_DROP_NONE)
			return hy_net_drop(out, why);
	}
	tip = d->arp_tip;
	if (!hy_net_ipv4_ours(ifc, tip))
		return hy_net_drop(out, HY_NET_DROP_ARP_NOT_FOR_US);

	hy_net_eth_reply(ifc, eth);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&d->arp_sha, &d->arp_tha);
	rte_ether_addr_copy(&ifc->mac, &d->arp_sha);
	d->arp_tip = d->arp_sip;
	d->arp_sip = tip;

	out->flow.family = HY_NET_IPV4;
	out->reply = HY_NET_REPLY_ARP;
	out->reply_len = ARP_FRAME_LEN; /* any Ethernet padding is dropped */
	out->reason = HY_NET_DROP_NONE;
	return HY_NET_REPLY;
}

int
hy_net_build_garp(const struct hy_net_iface *ifc, unsigned int idx, uint8_t *out,
		  uint16_t cap)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)out;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(out + HY_NET_ETH_LEN);

	if (idx >= ifc->n_ipv4)
		return -EINVAL;
	if (cap < ARP_FRAME_LEN)
		return -EMSGSIZE;
	memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&ifc->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	/* An announcement is a request with sender = target = our address
	 * and a zero target MAC (RFC 5227 2.3). */
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&ifc->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = ifc->ipv4[idx];
	memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_tip = ifc->ipv4[idx];
	return ARP_FRAME_LEN;
}
