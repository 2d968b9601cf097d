/* SPDX-License-Identifier: BSD-3-Clause
 * Link and network layers of the data plane: Ethernet, ARP, IPv4, IPv6 with
 * neighbour discovery, ICMP echo and UDP to the gateway port.
 *
 * The core works on a plain (frame, length) pair so it can be tested and
 * fuzzed without mbufs or EAL; thin mbuf wrappers sit on top.  Nothing here
 * allocates, locks or logs: a worker lcore calls hy_net_classify() once per
 * received frame and acts on the verdict:
 *
 *   HY_NET_UDP_FOR_US  a UDP datagram to our gateway port; *out says where
 *                      the payload is and who sent it (struct hy_net_flow).
 *   HY_NET_REPLY       the frame has been rewritten in place into a reply
 *                      (ARP reply, ICMP/ICMPv6 echo reply, neighbour
 *                      advertisement) of out->reply_len bytes; transmit it.
 *                      A reply is never longer than the frame it answers.
 *   HY_NET_DROP        drop the frame and count out->reason.
 *
 * Frames must start on a 2-byte boundary (mbuf data always does).
 */
#ifndef HY_DATAPLANE_NET_H
#define HY_DATAPLANE_NET_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define HY_NET_MAX_IPV4 4
/* Slot 0 always holds the EUI-64 link-local address. */
#define HY_NET_MAX_IPV6 5

#define HY_NET_ETH_LEN 14
#define HY_NET_IPV4_LEN 20 /* we never send or accept IPv4 options */
#define HY_NET_IPV6_LEN 40 /* we never send or accept extension headers */
#define HY_NET_UDP_LEN 8
/* Ethernet + IP + UDP header bytes in front of a UDP payload. */
#define HY_NET_UDP4_HDR_LEN (HY_NET_ETH_LEN + HY_NET_IPV4_LEN + HY_NET_UDP_LEN)
#define HY_NET_UDP6_HDR_LEN (HY_NET_ETH_LEN + HY_NET_IPV6_LEN + HY_NET_UDP_LEN)

/* IP family of a flow (the IP version number). */
#define HY_NET_IPV4 4
#define HY_NET_IPV6 6

/* Every reason a frame is dropped.  Index 0 means "not dropped".  Append
 * only: the numbers index per-lcore counter arrays read by the control
 * plane. */
#define HY_NET_DROPS(X) \
	X(NONE,                 "not dropped") \
	X(RUNT,                 "frame shorter than an Ethernet header") \
	X(MBUF_SEGMENTED,       "frame spans more than one mbuf segment") \
	X(ETH_NOT_FOR_US,       "destination MAC not ours or not accepted for this EtherType") \
	X(VLAN,                 "VLAN or QinQ tagged frame (not supported)") \
	X(BAD_ETHERTYPE,        "EtherType is not ARP, IPv4 or IPv6") \
	X(BROADCAST_SOURCE,     "broadcast source address (Ethernet, ARP or IPv4)") \
	X(MULTICAST_SOURCE,     "multicast source address (Ethernet, ARP, IPv4 or IPv6)") \
	X(MARTIAN_SOURCE,       "source address never valid on the wire (zero, loopback, reserved, our own MAC)") \
	X(ARP_MALFORMED,        "ARP truncated or not Ethernet/IPv4") \
	X(ARP_NOT_REQUEST,      "ARP reply or other opcode (nothing is learnt)") \
	X(ARP_NOT_FOR_US,       "ARP request for an address we do not own") \
	X(IPV4_BAD_HEADER,      "IPv4 header truncated, version not 4 or IHL below 5") \
	X(IPV4_OPTIONS,         "IPv4 header carries options") \
	X(IPV4_BAD_LENGTH,      "IPv4 total length below the header or beyond the frame") \
	X(IPV4_BAD_CHECKSUM,    "IPv4 header checksum wrong") \
	X(IPV4_FRAGMENT,        "IPv4 fragment (MF set or offset not zero)") \
	X(IPV4_NOT_FOR_US,      "IPv4 destination is not one of our addresses") \
	X(IPV6_BAD_HEADER,      "IPv6 header truncated or version not 6") \
	X(IPV6_BAD_LENGTH,      "IPv6 payload length beyond the frame") \
	X(IPV6_EXT_HEADER,      "IPv6 extension header (not supported)") \
	X(IPV6_FRAGMENT,        "IPv6 fragment header") \
	X(IPV6_NOT_FOR_US,      "IPv6 destination not ours (or multicast for UDP or echo)") \
	X(PROTO_UNSUPPORTED,    "IP protocol is neither UDP nor ICMP") \
	X(ICMP_BAD_LENGTH,      "ICMP message shorter than its header") \
	X(ICMP_BAD_CHECKSUM,    "ICMP or ICMPv6 checksum wrong") \
	X(ICMP_UNSUPPORTED,     "ICMP type or code not answered") \
	X(NDP_BAD_HOP_LIMIT,    "neighbour solicitation hop limit is not 255") \
	X(NDP_MALFORMED,        "neighbour solicitation malformed (code, length, target, options)") \
	X(NDP_DAD,              "duplicate address detection probe (not defended)") \
	X(NDP_NOT_FOR_US,       "neighbour solicitation for an address we do not own") \
	X(UDP_BAD_LENGTH,       "UDP length disagrees with the IP length") \
	X(UDP_BAD_CHECKSUM,     "UDP checksum wrong") \
	X(UDP_ZERO_CHECKSUM_V6, "UDP over IPv6 without a checksum") \
	X(UDP_WRONG_PORT,       "UDP destination port is not the gateway port") \
	X(UDP_SRC_PORT_ZERO,    "UDP source port is zero (no way to answer)")

enum hy_net_drop {
#define HY_NET_DROP_ENUM(name, text) HY_NET_DROP_##name,
	HY_NET_DROPS(HY_NET_DROP_ENUM)
#undef HY_NET_DROP_ENUM
	HY_NET_DROP_COUNT
};

/* What a REPLY verdict answered. */
#define HY_NET_REPLIES(X) \
	X(ARP,        "ARP reply") \
	X(ICMP4_ECHO, "ICMP echo reply") \
	X(ICMP6_ECHO, "ICMPv6 echo reply") \
	X(NDP_NA,     "neighbour advertisement")

enum hy_net_reply {
#define HY_NET_REPLY_ENUM(name, text) HY_NET_REPLY_##name,
	HY_NET_REPLIES(HY_NET_REPLY_ENUM)
#undef HY_NET_REPLY_ENUM
	HY_NET_REPLY_COUNT
};

enum hy_net_verdict {
	HY_NET_DROP = 0,
	HY_NET_UDP_FOR_US,
	HY_NET_REPLY,
};

/* Checksum facts the NIC established on receive (hy_net_rx_flags() maps
 * mbuf ol_flags to these).  GOOD skips the software check; BAD drops. */
#define HY_NET_RX_IP_CKSUM_GOOD (1u << 0)
#define HY_NET_RX_IP_CKSUM_BAD  (1u << 1)
#define HY_NET_RX_L4_CKSUM_GOOD (1u << 2)
#define HY_NET_RX_L4_CKSUM_BAD  (1u << 3)

/* Transmit checksum offloads the port has enabled (struct hy_net_iface
 * .offload, and the offload argument of the builders). */
#define HY_NET_OFFLOAD_IPV4_CKSUM (1u << 0)
#define HY_NET_OFFLOAD_UDP_CKSUM  (1u << 1)
/* Not an offload: IPv4 UDP checksums the port does not offload are left 0
 * ("none", RFC 768) instead of computed (dataplane.ports[].ipv4_udp_checksum
 * = false). */
#define HY_NET_UDP4_CKSUM_NONE    (1u << 2)

union hy_net_ip {
	rte_be32_t v4;
	uint8_t v6[16];
};

/* Everything needed to send a datagram to a peer: what a session keeps.
 * Addresses and the port are in network byte order. */
struct hy_net_flow {
	union hy_net_ip peer_ip;
	union hy_net_ip local_ip;       /* our address the peer sent to */
	struct rte_ether_addr peer_mac; /* next hop: the frame's source MAC */
	rte_be16_t peer_port;
	uint8_t family;                 /* HY_NET_IPV4 or HY_NET_IPV6 */
};

/* Result of hy_net_classify().  Which fields are set depends on the verdict:
 * reason (DROP); reply and reply_len (REPLY); flow and the offsets (UDP,
 * and flow.family/l4_off for REPLY). */
struct hy_net_pkt {
	struct hy_net_flow flow;
	uint16_t l4_off;       /* start of the UDP/ICMP header in the frame */
	uint16_t payload_off;  /* start of the UDP payload */
	uint16_t payload_len;  /* UDP payload bytes (Ethernet padding excluded) */
	uint16_t reply_len;    /* REPLY: frame length of the reply */
	uint8_t reason;        /* enum hy_net_drop */
	uint8_t reply;         /* enum hy_net_reply */
};

/* Our side of one port.  Fill with hy_net_iface_init() and the add
 * functions at start-up; read-only (shared by all workers) afterwards. */
struct hy_net_iface {
	struct rte_ether_addr mac;
	rte_be16_t udp_port;    /* gateway port, network byte order */
	uint32_t offload;       /* HY_NET_OFFLOAD_* the port has enabled */
	uint8_t ttl;            /* IPv4 TTL and IPv6 hop limit of what we send */
	uint8_t n_ipv4;
	uint8_t n_ipv6;
	rte_be32_t ipv4[HY_NET_MAX_IPV4];
	uint8_t ipv6[HY_NET_MAX_IPV6][16];
	/* Solicited-node multicast group of ipv6[i] (ff02::1:ffXX:XXXX). */
	uint8_t ipv6_snm[HY_NET_MAX_IPV6][16];
};

/* Per-lcore counters: one slot per verdict, reply kind and drop reason. */
struct hy_net_stats {
	uint64_t udp_for_us;
	uint64_t replies[HY_NET_REPLY_COUNT];
	uint64_t drops[HY_NET_DROP_COUNT];
};

/*
 * Set up *ifc for a port with MAC *mac and gateway UDP port udp_port (host
 * order): no IPv4 address, the EUI-64 link-local IPv6 address (fe80::/64)
 * with its solicited-node group, TTL 64, no offloads.
 */
void hy_net_iface_init(struct hy_net_iface *ifc, const struct rte_ether_addr *mac,
		       uint16_t udp_port);

/*
 * Add one of our IPv4 addresses (network order).  Returns 0, -EINVAL for an
 * address that can never be a unicast source (0/8, 127/8, 224/4, 240/4,
 * broadcast), -EEXIST if already present, -ENOSPC when the table is full.
 */
int hy_net_iface_add_ipv4(struct hy_net_iface *ifc, rte_be32_t addr);

/*
 * Add one of our IPv6 addresses and its solicited-node group.  Returns 0,
 * -EINVAL (multicast, unspecified, loopback, IPv4-mapped), -EEXIST, -ENOSPC.
 */
int hy_net_iface_add_ipv6(struct hy_net_iface *ifc, const uint8_t addr[16]);

/*
 * Write into out[0..n) the distinct multicast MACs the port must accept for
 * neighbour discovery to work (33:33:ff:XX:XX:XX per solicited-node group),
 * for rte_eth_dev_set_mc_addr_list().  Returns how many there are (which may
 * exceed n; only n are written).
 */
unsigned int hy_net_iface_mcast_macs(const struct hy_net_iface *ifc,
				     struct rte_ether_addr *out, unsigned int n);

/*
 * HY_NET_OFFLOAD_* bits for a port whose rte_eth_dev_info.tx_offload_capa
 * is tx_capa.  The port setup must enable the matching RTE_ETH_TX_OFFLOAD_*
 * bits in txmode.offloads before it stores the result in ifc->offload.
 */
uint32_t hy_net_offload_from_capa(uint64_t tx_capa);

/*
 * Classify one received frame of len bytes.  rx_flags are HY_NET_RX_* (0
 * when the NIC verified nothing).  On HY_NET_REPLY the frame has been
 * rewritten in place into a reply of out->reply_len <= len bytes; on other
 * verdicts it is left untouched.  Never reads outside frame[0..len).
 */
enum hy_net_verdict hy_net_classify(const struct hy_net_iface *ifc, uint8_t *frame,
				    uint16_t len, uint32_t rx_flags,
				    struct hy_net_pkt *out);

/* Short stable identifier of a drop reason ("IPV4_FRAGMENT"), "?" if out of
 * range; and its one-line explanation. */
const char *hy_net_drop_name(unsigned int reason);
const char *hy_net_drop_text(unsigned int reason);
/* Short stable identifier of a reply kind ("NDP_NA"), "?" if out of range. */
const char *hy_net_reply_name(unsigned int reply);

/*
 * Write the Ethernet, IP and UDP headers of a datagram of payload_len bytes
 * to flow->peer at the start of frame (capacity cap bytes).  The payload
 * must already be at frame + hy_net_udp_hdr_len(flow->family): the UDP
 * checksum covers it.  For each bit in offload (HY_NET_OFFLOAD_*) the
 * matching checksum is left for the NIC (IPv4 header checksum zero, UDP
 * checksum holding the pseudo-header sum DPDK drivers expect); otherwise it
 * is computed in software, except an IPv4 UDP checksum under
 * HY_NET_UDP4_CKSUM_NONE, left 0.  Source MAC and port are ours, source IP is
 * flow->local_ip.  Returns the header length, -EINVAL for an unknown
 * family, -EMSGSIZE if header and payload do not fit in cap.
 */
int hy_net_udp_build_header(const struct hy_net_iface *ifc, const struct hy_net_flow *flow,
			    uint16_t payload_len, uint8_t *frame, uint16_t cap,
			    uint32_t offload);

/*
 * Turn a frame that hy_net_classify() reported as HY_NET_UDP_FOR_US into
 * the reply to its sender: the caller has written payload_len bytes of new
 * payload at frame + pkt->payload_off (the old payload may be overwritten
 * freely).  Returns the frame length of the reply, or the errors of
 * hy_net_udp_build_header().
 */
int hy_net_udp_reply_in_place(const struct hy_net_iface *ifc, uint8_t *frame, uint16_t cap,
			      const struct hy_net_pkt *pkt, uint16_t payload_len,
			      uint32_t offload);

/*
 * Build an ARP announcement (gratuitous ARP request, RFC 5227) for
 * ifc->ipv4[idx] into out.  Returns the frame length (42), -EINVAL for a bad
 * idx, -EMSGSIZE if cap is too small.
 */
int hy_net_build_garp(const struct hy_net_iface *ifc, unsigned int idx, uint8_t *out,
		      uint16_t cap);

/*
 * Build an unsolicited neighbour advertisement (override set, to ff02::1)
 * for ifc->ipv6[idx] into out.  Returns the frame length (86), -EINVAL for
 * a bad idx, -EMSGSIZE if cap is too small.
 */
int hy_net_build_unsolicited_na(const struct hy_net_iface *ifc, unsigned int idx,
				uint8_t *out, uint16_t cap);

/* --- mbuf wrappers ------------------------------------------------------ */

/*
 * Prepare single-segment mbuf m, whose payload of payload_len bytes is
 * already at rte_pktmbuf_mtod(m) + hy_net_udp_hdr_len(flow->family), for
 * transmission to flow: writes the headers, sets data_len/pkt_len, l2_len,
 * l3_len and the TX offload flags matching ifc->offload.  Returns 0 or the
 * errors of hy_net_udp_build_header() (-EINVAL also for a chained mbuf).
 */
int hy_net_udp_prepare_mbuf(const struct hy_net_iface *ifc, struct rte_mbuf *m,
			    const struct hy_net_flow *flow, uint16_t payload_len);

/* The mbuf form of hy_net_udp_reply_in_place(): reply to the sender of pkt
 * in m itself (new payload at pkt->payload_off).  Returns 0 or -errno. */
static inline int
hy_net_udp_reply_mbuf(const struct hy_net_iface *ifc, struct rte_mbuf *m,
		      const struct hy_net_pkt *pkt, uint16_t payload_len)
{
	return hy_net_udp_prepare_mbuf(ifc, m, &pkt->flow, payload_len);
}

/* Header bytes in front of the payload of a datagram of this family, 0 for
 * an unknown family. */
static inline uint16_t
hy_net_udp_hdr_len(uint8_t family)
{
	return family == HY_NET_IPV4 ? HY_NET_UDP4_HDR_LEN :
	       family == HY_NET_IPV6 ? HY_NET_UDP6_HDR_LEN : 0;
}

/* Map mbuf RX checksum flags to HY_NET_RX_*.  "NONE" means the NIC checked
 * the data but the field was never filled in (virtio): as good as GOOD. */
static inline uint32_t
hy_net_rx_flags(uint64_t ol_flags)
{
	uint32_t f = 0;

	switch (ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
	case RTE_MBUF_F_RX_IP_CKSUM_NONE:
		f |= HY_NET_RX_IP_CKSUM_GOOD;
		break;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		f |= HY_NET_RX_IP_CKSUM_BAD;
		break;
	}
	switch (ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE:
		f |= HY_NET_RX_L4_CKSUM_GOOD;
		break;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		f |= HY_NET_RX_L4_CKSUM_BAD;
		break;
	}
	return f;
}

/*
 * hy_net_classify() on a received mbuf.  Chained mbufs are dropped
 * (MBUF_SEGMENTED): game datagrams fit one segment; so are frames whose
 * VLAN tag the NIC stripped (VLAN).  On HY_NET_REPLY the
 * mbuf is trimmed to the reply and its TX offload flags cleared (replies
 * carry software checksums), ready for rte_eth_tx_burst().  On
 * HY_NET_UDP_FOR_US, l2_len and l3_len are set.
 */
static inline enum hy_net_verdict
hy_net_classify_mbuf(const struct hy_net_iface *ifc, struct rte_mbuf *m,
		     struct hy_net_pkt *out)
{
	enum hy_net_verdict v;

	if (unlikely(m->nb_segs != 1 || m->data_len != m->pkt_len)) {
		out->reason = HY_NET_DROP_MBUF_SEGMENTED;
		return HY_NET_DROP;
	}
	/* A tag the NIC stripped is still a tag: a reply would leave the
	 * VLAN. */
	if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)) {
		out->reason = HY_NET_DROP_VLAN;
		return HY_NET_DROP;
	}
	v = hy_net_classify(ifc, rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
			    hy_net_rx_flags(m->ol_flags), out);
	if (likely(v == HY_NET_UDP_FOR_US)) {
		m->l2_len = HY_NET_ETH_LEN;
		m->l3_len = out->l4_off - HY_NET_ETH_LEN;
	} else if (v == HY_NET_REPLY) {
		m->data_len = out->reply_len;
		m->pkt_len = out->reply_len;
		m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	}
	return v;
}

/* Count one verdict in the caller's per-lcore counters. */
static inline void
hy_net_stats_count(struct hy_net_stats *s, enum hy_net_verdict v, const struct hy_net_pkt *pkt)
{
	if (likely(v == HY_NET_UDP_FOR_US))
		s->udp_for_us++;
	else if (v == HY_NET_REPLY)
		s->replies[pkt->reply < HY_NET_REPLY_COUNT ? pkt->reply : 0]++;
	else
		s->drops[pkt->reason < HY_NET_DROP_COUNT ? pkt->reason : 0]++;
}

#endif /* HY_DATAPLANE_NET_H */
