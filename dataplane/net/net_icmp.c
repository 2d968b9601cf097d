/* SPDX-License-Identifier: BSD-3-Clause
 * ICMP (IPv4): echo requests to our addresses are answered in place;
 * everything else is dropped.
 *
 * ICMP checksums are always verified in software: NICs check only TCP and
 * UDP, and echo traffic is rare enough not to matter.
 */
#include <rte_icmp.h>

#include "net_priv.h"

enum hy_net_verdict
hy_net_icmp4_input(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t l4_len,
		   struct hy_net_pkt *out)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + HY_NET_ETH_LEN);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(frame + out->l4_off);
	uint16_t old_w, new_w;
	rte_be32_t addr;

	if (l4_len < sizeof(*icmp))
		return hy_net_drop(out, HY_NET_DROP_ICMP_BAD_LENGTH);
	if (rte_raw_cksum(icmp, l4_len) != 0xffff)
		return hy_net_drop(out, HY_NET_DROP_ICMP_BAD_CHECKSUM);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return hy_net_drop(out, HY_NET_DROP_ICMP_UNSUPPORTED);

	/* The reply has the request's length: same IP length, and any
	 * Ethernet padding left off. */
	hy_net_eth_reply(ifc, (struct rte_ether_hdr *)frame);
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->time_to_live = ifc->ttl;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Only the type changes, so patch the checksum instead of summing
	 * the whole echo payload again. */
	memcpy(&old_w, icmp, sizeof(old_w));
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new_w, icmp, sizeof(new_w));
	icmp->icmp_cksum = hy_net_cksum_adjust(icmp->icmp_cksum, old_w, new_w);

	out->reply = HY_NET_REPLY_ICMP4_ECHO;
	out->reply_len = out->l4_off + l4_len;
	out->reason = HY_NET_DROP_NONE;
	return HY_NET_REPLY;
}
