/* SPDX-License-Identifier: BSD-3-Clause
 * Interface set-up (addresses, groups, offloads) and the name tables.
 */
#include <errno.h>

#include <rte_ethdev.h>

#include "net_priv.h"

#define HY_NET_DEFAULT_TTL 64

static const char *const drop_names[] = {
#define HY_NET_DROP_NAME(name, text) #name,
	HY_NET_DROPS(HY_NET_DROP_NAME)
#undef HY_NET_DROP_NAME
};

static const char *const drop_texts[] = {
#define HY_NET_DROP_TEXT(name, text) text,
	HY_NET_DROPS(HY_NET_DROP_TEXT)
#undef HY_NET_DROP_TEXT
};

static const char *const reply_names[] = {
#define HY_NET_REPLY_NAME(name, text) #name,
	HY_NET_REPLIES(HY_NET_REPLY_NAME)
#undef HY_NET_REPLY_NAME
};

const char *
hy_net_drop_name(unsigned int reason)
{
	return reason < HY_NET_DROP_COUNT ? drop_names[reason] : "?";
}

const char *
hy_net_drop_text(unsigned int reason)
{
	return reason < HY_NET_DROP_COUNT ? drop_texts[reason] : "?";
}

const char *
hy_net_reply_name(unsigned int reply)
{
	return reply < HY_NET_REPLY_COUNT ? reply_names[reply] : "?";
}

/* Store addr and its solicited-node group in the next IPv6 slot. */
static void
put_ipv6(struct hy_net_iface *ifc, const uint8_t addr[16])
{
	memcpy(ifc->ipv6[ifc->n_ipv6], addr, 16);
	hy_net_ipv6_snm(ifc->ipv6_snm[ifc->n_ipv6], addr);
	ifc->n_ipv6++;
}

void
hy_net_iface_init(struct hy_net_iface *ifc, const struct rte_ether_addr *mac,
		  uint16_t udp_port)
{
	const uint8_t *m = mac->addr_bytes;
	/* Modified EUI-64 interface identifier (RFC 4291 appendix A): the
	 * universal/local bit flipped, ff:fe in the middle. */
	const uint8_t ll[16] = {
		0xfe, 0x80, 0, 0, 0, 0, 0, 0,
		m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5],
	};

	memset(ifc, 0, sizeof(*ifc));
	rte_ether_addr_copy(mac, &ifc->mac);
	ifc->udp_port = rte_cpu_to_be_16(udp_port);
	ifc->ttl = HY_NET_DEFAULT_TTL;
	put_ipv6(ifc, ll);
}

int
hy_net_iface_add_ipv4(struct hy_net_iface *ifc, rte_be32_t addr)
{
	if (hy_net_ipv4_src_check(addr) != HY_NET_DROP_NONE)
		return -EINVAL;
	if (hy_net_ipv4_ours(ifc, addr))
		return -EEXIST;
	if (ifc->n_ipv4 >= HY_NET_MAX_IPV4)
		return -ENOSPC;
	ifc->ipv4[ifc->n_ipv4++] = addr;
	return 0;
}

int
hy_net_iface_add_ipv6(struct hy_net_iface *ifc, const uint8_t addr[16])
{
	if (hy_net_ipv6_src_check(addr) != HY_NET_DROP_NONE)
		return -EINVAL;
	if (hy_net_ipv6_ours(ifc, addr) >= 0)
		return -EEXIST;
	if (ifc->n_ipv6 >= HY_NET_MAX_IPV6)
		return -ENOSPC;
	put_ipv6(ifc, addr);
	return 0;
}

unsigned int
hy_net_iface_mcast_macs(const struct hy_net_iface *ifc, struct rte_ether_addr *out,
			unsigned int n)
{
	struct rte_ether_addr seen[HY_NET_MAX_IPV6];
	unsigned int count = 0;

	for (unsigned int i = 0; i < ifc->n_ipv6; i++) {
		const uint8_t *g = ifc->ipv6_snm[i];
		struct rte_ether_addr mac = {
			.addr_bytes = { 0x33, 0x33, g[12], g[13], g[14], g[15] },
		};
		bool dup = false;

		/* Addresses sharing their last 24 bits share a group. */
		for (unsigned int j = 0; j < count; j++)
			dup |= rte_is_same_ether_addr(&seen[j], &mac);
		if (dup)
			continue;
		seen[count] = mac;
		if (count < n)
			out[count] = mac;
		count++;
	}
	return count;
}

uint32_t
hy_net_offload_from_capa(uint64_t tx_capa)
{
	uint32_t off = 0;

	if (tx_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		off |= HY_NET_OFFLOAD_IPV4_CKSUM;
	if (tx_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
		off |= HY_NET_OFFLOAD_UDP_CKSUM;
	return off;
}
