/* SPDX-License-Identifier: BSD-3-Clause
 * IPv6 input, ICMPv6 echo and neighbour discovery (RFC 4861): neighbour
 * solicitations for our addresses are answered in place with an
 * advertisement; nothing is learnt, so routers' and neighbours' other
 * messages are dropped.
 */
#include <errno.h>

#include "net_priv.h"

#define ND_FRAME_LEN (HY_NET_ETH_LEN + HY_NET_IPV6_LEN + HY_NET_ND_LLA_LEN)

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

static bool
is_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0:   /* hop-by-hop options */
	case 43:  /* routing */
	case 51:  /* authentication header */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
	case 253: /* experimental */
	case 254:
		return true;
	default:
		return false;
	}
}

static void
nd_set_lla(struct hy_net_nd_msg *nd, const struct rte_ether_addr *mac)
{
	nd->opt_type = HY_NET_ND_OPT_TLLA;
	nd->opt_len = 1;
	rte_ether_addr_copy(mac, &nd->opt_mac);
}

/* Validate a neighbour solicitation (RFC 4861 7.1.1) and turn it into the
 * solicited advertisement (7.2.4). */
static enum hy_net_verdict
ns_input(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t plen, bool unspec,
	 bool dst_mcast, struct hy_net_pkt *out)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(frame + HY_NET_ETH_LEN);
	struct hy_net_nd_msg *nd = (struct hy_net_nd_msg *)(frame + out->l4_off);
	const uint8_t *msg = (const uint8_t *)nd;
	bool slla = false, tlla;
	uint16_t off, olen, nlen;
	int idx;

	/* 255 proves the sender is on this link: nothing routed gets here. */
	if (ip6->hop_limits != 255)
		return hy_net_drop(out, HY_NET_DROP_NDP_BAD_HOP_LIMIT);
	if (nd->code != 0 || plen < HY_NET_ND_BASE_LEN || nd->target[0] == 0xff)
		return hy_net_drop(out, HY_NET_DROP_NDP_MALFORMED);
	/* Bounded by plen; every option is at least 8 bytes long. */
	for (off = HY_NET_ND_BASE_LEN; off < plen; off += olen) {
		if (plen - off < 2)
			return hy_net_drop(out, HY_NET_DROP_NDP_MALFORMED);
		olen = (uint16_t)(msg[off + 1] * 8);
		if (olen == 0 || olen > plen - off)
			return hy_net_drop(out, HY_NET_DROP_NDP_MALFORMED);
		if (msg[off] == HY_NET_ND_OPT_SLLA)
			slla = true;
	}
	if (unspec) {
		if (slla || !dst_mcast)
			return hy_net_drop(out, HY_NET_DROP_NDP_MALFORMED);
		/* Defending against a duplicate would need an advertisement to
		 * all nodes, longer than the probe: not done. */
		return hy_net_drop(out, HY_NET_DROP_NDP_DAD);
	}
	idx = hy_net_ipv6_ours(ifc, nd->target);
	if (idx < 0)
		return hy_net_drop(out, HY_NET_DROP_NDP_NOT_FOR_US);
	/* Sent to the target itself or to the target's own group. */
	if (memcmp(ip6->dst_addr, dst_mcast ? ifc->ipv6_snm[idx] : nd->target, 16) != 0)
		return hy_net_drop(out, HY_NET_DROP_NDP_MALFORMED);
	/* The target link-layer option must answer a multicast solicitation
	 * and may answer a unicast one; it only goes in when the solicitation
	 * was at least as long, so the reply never grows. */
	tlla = plen >= HY_NET_ND_LLA_LEN;
	if (!tlla && dst_mcast)
		return hy_net_drop(out, HY_NET_DROP_NDP_MALFORMED);
	nlen = tlla ? HY_NET_ND_LLA_LEN : HY_NET_ND_BASE_LEN;

	hy_net_eth_reply(ifc, (struct rte_ether_hdr *)frame);
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(nlen);
	memcpy(ip6->dst_addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, nd->target, 16);
	nd->type = HY_NET_ICMP6_NA;
	nd->cksum = 0;
	nd->flags = HY_NET_NA_FLAG_SOLICITED | HY_NET_NA_FLAG_OVERRIDE;
	memset(nd->reserved, 0, sizeof(nd->reserved));
	if (tlla)
		nd_set_lla(nd, &ifc->mac);
	nd->cksum = (uint16_t)~hy_net_ipv6_l4_sum(ip6, nd, nlen);

	out->reply = HY_NET_REPLY_NDP_NA;
	out->reply_len = out->l4_off + nlen;
	out->reason = HY_NET_DROP_NONE;
	return HY_NET_REPLY;
}

static enum hy_net_verdict
icmp6_input(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t plen, bool unspec,
	    bool dst_mcast, struct hy_net_pkt *out)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(frame + HY_NET_ETH_LEN);
	uint8_t *icmp = frame + out->l4_off;
	uint8_t addr[16];
	uint16_t old_w, new_w, cksum;

	if (plen < 4)
		return hy_net_drop(out, HY_NET_DROP_ICMP_BAD_LENGTH);
	if (hy_net_ipv6_l4_sum(ip6, icmp, plen) != 0xffff)
		return hy_net_drop(out, HY_NET_DROP_ICMP_BAD_CHECKSUM);
	if (icmp[0] == HY_NET_ICMP6_NS)
		return ns_input(ifc, frame, plen, unspec, dst_mcast, out);
	if (unspec)
		return hy_net_drop(out, HY_NET_DROP_MARTIAN_SOURCE);
	if (icmp[0] != HY_NET_ICMP6_ECHO_REQUEST || icmp[1] != 0)
		return hy_net_drop(out, HY_NET_DROP_ICMP_UNSUPPORTED);
	if (plen < 8)
		return hy_net_drop(out, HY_NET_DROP_ICMP_BAD_LENGTH);
	/* Echo to a group would need us to pick a source: not answered. */
	if (dst_mcast)
		return hy_net_drop(out, HY_NET_DROP_IPV6_NOT_FOR_US);

	hy_net_eth_reply(ifc, (struct rte_ether_hdr *)frame);
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->hop_limits = ifc->ttl;
	/* Swapping the addresses leaves the pseudo-header sum unchanged, and
	 * only the type changes in the message: patch the checksum. */
	memcpy(addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, addr, 16);
	memcpy(&old_w, icmp, sizeof(old_w));
	icmp[0] = HY_NET_ICMP6_ECHO_REPLY;
	memcpy(&new_w, icmp, sizeof(new_w));
	memcpy(&cksum, icmp + 2, sizeof(cksum));
	cksum = hy_net_cksum_adjust(cksum, old_w, new_w);
	memcpy(icmp + 2, &cksum, sizeof(cksum));

	out->reply = HY_NET_REPLY_ICMP6_ECHO;
	out->reply_len = out->l4_off + plen;
	out->reason = HY_NET_DROP_NONE;
	return HY_NET_REPLY;
}

enum hy_net_verdict
hy_net_ipv6_input(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t len,
		  uint32_t rx_flags, bool l2_mcast, struct hy_net_pkt *out)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(frame + HY_NET_ETH_LEN);
	bool unspec, dst_mcast;
	enum hy_net_drop why;
	uint16_t plen;

	if (unlikely(len < HY_NET_ETH_LEN + HY_NET_IPV6_LEN ||
		     (rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6))
		return hy_net_drop(out, HY_NET_DROP_IPV6_BAD_HEADER);
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (unlikely(plen > len - HY_NET_ETH_LEN - HY_NET_IPV6_LEN))
		return hy_net_drop(out, HY_NET_DROP_IPV6_BAD_LENGTH);
	/* The unspecified source is legal only in a DAD probe. */
	unspec = hy_net_ipv6_is_unspecified(ip6->src_addr);
	if (unspec) {
		if (ip6->proto != HY_NET_IPPROTO_ICMPV6)
			return hy_net_drop(out, HY_NET_DROP_MARTIAN_SOURCE);
	} else {
		why = hy_net_ipv6_src_check(ip6->src_addr);
		if (unlikely(why != HY_NET_DROP_NONE))
			return hy_net_drop(out, why);
	}
	dst_mcast = ip6->dst_addr[0] == 0xff;
	if (dst_mcast ? !hy_net_ipv6_our_snm(ifc, ip6->dst_addr) :
			hy_net_ipv6_ours(ifc, ip6->dst_addr) < 0)
		return hy_net_drop(out, HY_NET_DROP_IPV6_NOT_FOR_US);
	/* A 33:33 frame must carry the group its MAC was derived from. */
	if (l2_mcast && (!dst_mcast ||
			 memcmp(&eth->dst_addr.addr_bytes[2], &ip6->dst_addr[12], 4) != 0))
		return hy_net_drop(out, HY_NET_DROP_ETH_NOT_FOR_US);

	out->flow.family = HY_NET_IPV6;
	memcpy(out->flow.peer_ip.v6, ip6->src_addr, 16);
	memcpy(out->flow.local_ip.v6, ip6->dst_addr, 16);
	rte_ether_addr_copy(&eth->src_addr, &out->flow.peer_mac);
	out->l4_off = HY_NET_ETH_LEN + HY_NET_IPV6_LEN;

	switch (ip6->proto) {
	case HY_NET_IPPROTO_UDP:
		if (dst_mcast)
			return hy_net_drop(out, HY_NET_DROP_IPV6_NOT_FOR_US);
		return hy_net_udp_input(ifc, frame, plen, rx_flags, out);
	case HY_NET_IPPROTO_ICMPV6:
		return icmp6_input(ifc, frame, plen, unspec, dst_mcast, out);
	case 44:
		return hy_net_drop(out, HY_NET_DROP_IPV6_FRAGMENT);
	default:
		return hy_net_drop(out, is_ext_header(ip6->proto) ?
				   HY_NET_DROP_IPV6_EXT_HEADER : HY_NET_DROP_PROTO_UNSUPPORTED);
	}
}

int
hy_net_build_unsolicited_na(const struct hy_net_iface *ifc, unsigned int idx, uint8_t *out,
			    uint16_t cap)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)out;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(out + HY_NET_ETH_LEN);
	struct hy_net_nd_msg *nd =
		(struct hy_net_nd_msg *)(out + HY_NET_ETH_LEN + HY_NET_IPV6_LEN);
	static const struct rte_ether_addr all_nodes_mac = {
		.addr_bytes = { 0x33, 0x33, 0, 0, 0, 0x01 },
	};

	if (idx >= ifc->n_ipv6)
		return -EINVAL;
	if (cap < ND_FRAME_LEN)
		return -EMSGSIZE;
	rte_ether_addr_copy(&all_nodes_mac, &eth->dst_addr);
	rte_ether_addr_copy(&ifc->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = RTE_BE16(HY_NET_ND_LLA_LEN);
	ip6->proto = HY_NET_IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, ifc->ipv6[idx], 16);
	memcpy(ip6->dst_addr, all_nodes, 16);
	memset(nd, 0, HY_NET_ND_LLA_LEN);
	nd->type = HY_NET_ICMP6_NA;
	/* Unsolicited (RFC 4861 7.2.6): override set, solicited clear. */
	nd->flags = HY_NET_NA_FLAG_OVERRIDE;
	memcpy(nd->target, ifc->ipv6[idx], 16);
	nd_set_lla(nd, &ifc->mac);
	nd->cksum = (uint16_t)~hy_net_ipv6_l4_sum(ip6, nd, HY_NET_ND_LLA_LEN);
	return ND_FRAME_LEN;
}
