/* SPDX-License-Identifier: BSD-3-Clause
 * Internal to dataplane/net: helpers shared by the per-protocol files.
 */
#ifndef HY_DATAPLANE_NET_PRIV_H
#define HY_DATAPLANE_NET_PRIV_H

#include <stdbool.h>
#include <string.h>

#include <rte_ip.h>

#include "net.h"

#define HY_NET_IPPROTO_ICMP 1
#define HY_NET_IPPROTO_UDP 17
#define HY_NET_IPPROTO_ICMPV6 58

/* ICMPv6 types we look at (RFC 4443, RFC 4861). */
#define HY_NET_ICMP6_ECHO_REQUEST 128
#define HY_NET_ICMP6_ECHO_REPLY 129
#define HY_NET_ICMP6_NS 135
#define HY_NET_ICMP6_NA 136
/* Neighbour discovery options (RFC 4861 4.6). */
#define HY_NET_ND_OPT_SLLA 1
#define HY_NET_ND_OPT_TLLA 2
/* Neighbour advertisement flags, first byte of the reserved word. */
#define HY_NET_NA_FLAG_ROUTER 0x80
#define HY_NET_NA_FLAG_SOLICITED 0x40
#define HY_NET_NA_FLAG_OVERRIDE 0x20
/* ICMPv6 header (4 bytes) + reserved/flags (4) + target (16). */
#define HY_NET_ND_BASE_LEN 24
/* ... plus one link-layer address option for Ethernet (8). */
#define HY_NET_ND_LLA_LEN (HY_NET_ND_BASE_LEN + 8)

/* DPDK 22.11 has no ICMPv6 or neighbour discovery layouts; these are the
 * RFC 4861 4.3/4.4 messages with one link-layer address option. */
struct hy_net_nd_msg {
	uint8_t type;
	uint8_t code;
	rte_be16_t cksum;
	uint8_t flags;        /* NA flags; reserved (zero) in NS */
	uint8_t reserved[3];
	uint8_t target[16];
	uint8_t opt_type;     /* optional from here on */
	uint8_t opt_len;      /* in units of 8 bytes */
	struct rte_ether_addr opt_mac;
} __rte_packed __rte_aligned(2);

static inline enum hy_net_verdict
hy_net_drop(struct hy_net_pkt *out, enum hy_net_drop reason)
{
	out->reason = (uint8_t)reason;
	return HY_NET_DROP;
}

/* Why an IPv4 source address (network order) can never be a peer, or
 * NONE.  The same rule refuses such an address as one of ours. */
static inline enum hy_net_drop
hy_net_ipv4_src_check(rte_be32_t addr)
{
	uint32_t a = rte_be_to_cpu_32(addr);

	if (unlikely(a == UINT32_MAX))
		return HY_NET_DROP_BROADCAST_SOURCE;
	if (unlikely((a >> 28) == 0xe))
		return HY_NET_DROP_MULTICAST_SOURCE;
	if (unlikely((a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) == 0xf))
		return HY_NET_DROP_MARTIAN_SOURCE;
	return HY_NET_DROP_NONE;
}

static inline bool
hy_net_ipv6_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* Why an IPv6 source address can never be a peer, or NONE.  The
 * unspecified address is MARTIAN here; NDP treats it separately. */
static inline enum hy_net_drop
hy_net_ipv6_src_check(const uint8_t a[16])
{
	static const uint8_t loopback[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (unlikely(a[0] == 0xff))
		return HY_NET_DROP_MULTICAST_SOURCE;
	/* Only addresses starting 0000::/16 can be special below. */
	if (unlikely(a[0] == 0 && a[1] == 0) &&
	    (hy_net_ipv6_is_unspecified(a) || memcmp(a, loopback, 16) == 0 ||
	     memcmp(a, mapped, 12) == 0))
		return HY_NET_DROP_MARTIAN_SOURCE;
	return HY_NET_DROP_NONE;
}

/* Solicited-node multicast group of addr (RFC 4291 2.7.1). */
static inline void
hy_net_ipv6_snm(uint8_t snm[16], const uint8_t addr[16])
{
	static const uint8_t prefix[13] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff,
	};

	memcpy(snm, prefix, sizeof(prefix));
	memcpy(snm + 13, addr + 13, 3);
}

/* Index of addr among our IPv6 unicast addresses, or -1. */
static inline int
hy_net_ipv6_ours(const struct hy_net_iface *ifc, const uint8_t addr[16])
{
	for (unsigned int i = 0; i < ifc->n_ipv6; i++)
		if (memcmp(ifc->ipv6[i], addr, 16) == 0)
			return (int)i;
	return -1;
}

/* Whether addr is the solicited-node group of one of our addresses. */
static inline bool
hy_net_ipv6_our_snm(const struct hy_net_iface *ifc, const uint8_t addr[16])
{
	for (unsigned int i = 0; i < ifc->n_ipv6; i++)
		if (memcmp(ifc->ipv6_snm[i], addr, 16) == 0)
			return true;
	return false;
}

/* Whether addr (network order) is one of our IPv4 addresses. */
static inline bool
hy_net_ipv4_ours(const struct hy_net_iface *ifc, rte_be32_t addr)
{
	for (unsigned int i = 0; i < ifc->n_ipv4; i++)
		if (ifc->ipv4[i] == addr)
			return true;
	return false;
}

/* Fold a 32-bit one's complement sum to 16 bits. */
static inline uint16_t
hy_net_cksum_fold(uint32_t sum)
{
	sum = (sum >> 16) + (sum & 0xffff);
	sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

/* One's-complement sum of an option-less IPv4 header, folded: 0xffff when
 * its checksum is right.  Five 4-byte loads where rte_raw_cksum() makes ten
 * 2-byte ones (2% of a relaying worker on a port that does not check it);
 * RFC 1071 lets the sum be taken in any word size and folded.  The tests
 * compare it with rte_raw_cksum(). */
static inline uint16_t
hy_net_ipv4_hdr_sum(const void *ip)
{
	uint32_t w[5];
	uint64_t sum;

	_Static_assert(sizeof(w) == HY_NET_IPV4_LEN, "an option-less header");
	memcpy(w, ip, sizeof(w));
	sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	sum = (sum >> 32) + (sum & 0xffffffffu);
	sum = (sum >> 32) + (sum & 0xffffffffu);
	return hy_net_cksum_fold((uint32_t)sum);
}

/* Checksum field after one 16-bit word of the covered data changed from
 * old_w to new_w (RFC 1624 eqn. 3).  All three values are as stored in
 * memory; one's complement sums do not care about byte order. */
static inline uint16_t
hy_net_cksum_adjust(uint16_t cksum, uint16_t old_w, uint16_t new_w)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old_w;
	sum += new_w;
	return (uint16_t)~hy_net_cksum_fold(sum);
}

/* One's complement sum of an IPv6 upper-layer message with its pseudo
 * header (payload length and next header taken from *ip6); 0xffff when the
 * checksum inside is right. */
static inline uint16_t
hy_net_ipv6_l4_sum(const struct rte_ipv6_hdr *ip6, const void *l4, uint16_t l4_len)
{
	return hy_net_cksum_fold((uint32_t)rte_raw_cksum(l4, l4_len) +
				 rte_ipv6_phdr_cksum(ip6, 0));
}

/* Ethernet part of every reply: back to the sender, from us. */
static inline void
hy_net_eth_reply(const struct hy_net_iface *ifc, struct rte_ether_hdr *eth)
{
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&ifc->mac, &eth->src_addr);
}

/* Per-protocol input.  frame/len is the whole frame; the Ethernet header
 * has been checked (destination accepted, source unicast). */
enum hy_net_verdict hy_net_arp_input(const struct hy_net_iface *ifc, uint8_t *frame,
				     uint16_t len, struct hy_net_pkt *out);
enum hy_net_verdict hy_net_ipv6_input(const struct hy_net_iface *ifc, uint8_t *frame,
				      uint16_t len, uint32_t rx_flags, bool l2_mcast,
				      struct hy_net_pkt *out);
/* IPv4 header checked; l4_len bytes of ICMP at out->l4_off. */
enum hy_net_verdict hy_net_icmp4_input(const struct hy_net_iface *ifc, uint8_t *frame,
				       uint16_t l4_len, struct hy_net_pkt *out);
/* IP header checked, out->flow and out->l4_off filled; l4_len bytes of UDP
 * at out->l4_off. */
enum hy_net_verdict hy_net_udp_input(const struct hy_net_iface *ifc, uint8_t *frame,
				     uint16_t l4_len, uint32_t rx_flags,
				     struct hy_net_pkt *out);

#endif /* HY_DATAPLANE_NET_PRIV_H */
