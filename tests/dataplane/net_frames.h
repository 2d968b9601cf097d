/* SPDX-License-Identifier: BSD-3-Clause
 * Test frames for dataplane/net, written byte by byte with a checksum of
 * their own, so the tests do not check the module against itself.
 *
 * Addresses: 198.18.0.0/15 and 2001:2::/48 (the benchmarking ranges).
 */
#ifndef HY_TESTS_NET_FRAMES_H
#define HY_TESTS_NET_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FR_PORT 4000
#define FR_PEER_PORT 5555

static const uint8_t fr_our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t fr_peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t fr_bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t fr_our_v4[4] = { 198, 18, 0, 1 };
static const uint8_t fr_our_v4b[4] = { 198, 18, 0, 2 };
static const uint8_t fr_peer_v4[4] = { 198, 18, 1, 10 };
static const uint8_t fr_our_v6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x01 };
static const uint8_t fr_peer_v6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x10 };
/* fe80::ff:fe00:1, the EUI-64 link-local of fr_our_mac. */
static const uint8_t fr_our_ll[16] = {
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01,
};
/* ff02::1:ff00:1, solicited-node group of both of our IPv6 addresses. */
static const uint8_t fr_our_snm[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x00, 0x00, 0x01,
};
static const uint8_t fr_snm_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 };

static inline void fr_put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline unsigned int fr_get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* Internet checksum arithmetic on big-endian 16-bit words, written out
 * plainly: sum of n bytes added to acc, not folded. */
static inline uint32_t fr_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static inline uint16_t fr_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Sum of the IPv4 or IPv6 pseudo header for an upper layer of l4_len. */
static inline uint32_t fr_pseudo(const uint8_t *l3, bool v6, uint8_t proto, size_t l4_len)
{
	uint32_t acc = v6 ? fr_sum(l3 + 8, 32, 0) : fr_sum(l3 + 12, 8, 0);

	return acc + proto + (uint32_t)(l4_len & 0xffff) + (uint32_t)(l4_len >> 16);
}

/* Whether the checksum over an IPv4 header, or over an L4 message with its
 * pseudo header, verifies. */
static inline bool fr_ipv4_hdr_ok(const uint8_t *l3)
{
	return fr_fold(fr_sum(l3, 20, 0)) == 0xffff;
}

static inline bool fr_l4_ok(const uint8_t *l3, bool v6, uint8_t proto, const uint8_t *l4,
			    size_t l4_len)
{
	return fr_fold(fr_sum(l4, l4_len, fr_pseudo(l3, v6, proto, l4_len))) == 0xffff;
}

static inline void fr_fix_ipv4(uint8_t *l3)
{
	size_t ihl = (size_t)(l3[0] & 0xf) * 4;

	fr_put16(l3 + 10, 0);
	fr_put16(l3 + 10, (uint16_t)~fr_fold(fr_sum(l3, ihl, 0)));
}

/* Recompute the checksum at l4 + cks_off (UDP 6, ICMP 2). */
static inline void fr_fix_l4(const uint8_t *l3, bool v6, uint8_t proto, uint8_t *l4,
			     size_t l4_len, size_t cks_off, bool pseudo)
{
	uint16_t c;

	fr_put16(l4 + cks_off, 0);
	c = (uint16_t)~fr_fold(fr_sum(l4, l4_len, pseudo ? fr_pseudo(l3, v6, proto, l4_len) : 0));
	if (c == 0 && proto == 17)
		c = 0xffff;
	fr_put16(l4 + cks_off, c);
}

static inline size_t fr_eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
			    unsigned int type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	fr_put16(f + 12, type);
	return 14;
}

static inline void fr_ipv4(uint8_t *l3, const uint8_t src[4], const uint8_t dst[4],
			   uint8_t proto, size_t l4_len)
{
	l3[0] = 0x45;
	l3[1] = 0;
	fr_put16(l3 + 2, (unsigned int)(20 + l4_len));
	fr_put16(l3 + 4, 0x1234);
	fr_put16(l3 + 6, 0x4000); /* DF */
	l3[8] = 61;
	l3[9] = proto;
	memcpy(l3 + 12, src, 4);
	memcpy(l3 + 16, dst, 4);
	fr_fix_ipv4(l3);
}

static inline void fr_ipv6(uint8_t *l3, const uint8_t src[16], const uint8_t dst[16],
			   uint8_t nh, size_t plen, uint8_t hop)
{
	l3[0] = 0x60;
	l3[1] = 0x01; /* a traffic class / flow label to see cleared */
	l3[2] = 0x23;
	l3[3] = 0x45;
	fr_put16(l3 + 4, (unsigned int)plen);
	l3[6] = nh;
	l3[7] = hop;
	memcpy(l3 + 8, src, 16);
	memcpy(l3 + 24, dst, 16);
}

static inline void fr_fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Peer -> us UDP datagram with n bytes of payload. */
static inline size_t fr_udp4(uint8_t *f, size_t n)
{
	uint8_t *l3 = f + 14, *l4 = f + 34;

	fr_eth(f, fr_our_mac, fr_peer_mac, 0x0800);
	fr_ipv4(l3, fr_peer_v4, fr_our_v4, 17, 8 + n);
	fr_put16(l4, FR_PEER_PORT);
	fr_put16(l4 + 2, FR_PORT);
	fr_put16(l4 + 4, (unsigned int)(8 + n));
	fr_fill(l4 + 8, n, 1);
	fr_fix_l4(l3, false, 17, l4, 8 + n, 6, true);
	return 42 + n;
}

static inline size_t fr_udp6(uint8_t *f, size_t n)
{
	uint8_t *l3 = f + 14, *l4 = f + 54;

	fr_eth(f, fr_our_mac, fr_peer_mac, 0x86dd);
	fr_ipv6(l3, fr_peer_v6, fr_our_v6, 17, 8 + n, 64);
	fr_put16(l4, FR_PEER_PORT);
	fr_put16(l4 + 2, FR_PORT);
	fr_put16(l4 + 4, (unsigned int)(8 + n));
	fr_fill(l4 + 8, n, 3);
	fr_fix_l4(l3, true, 17, l4, 8 + n, 6, true);
	return 62 + n;
}

/* ICMP echo request with n data bytes. */
static inline size_t fr_icmp4_echo(uint8_t *f, size_t n)
{
	uint8_t *l3 = f + 14, *l4 = f + 34;

	fr_eth(f, fr_our_mac, fr_peer_mac, 0x0800);
	fr_ipv4(l3, fr_peer_v4, fr_our_v4, 1, 8 + n);
	l4[0] = 8;
	l4[1] = 0;
	fr_put16(l4 + 4, 0xbeef);
	fr_put16(l4 + 6, 7);
	fr_fill(l4 + 8, n, 5);
	fr_fix_l4(l3, false, 1, l4, 8 + n, 2, false);
	return 42 + n;
}

static inline size_t fr_icmp6_echo(uint8_t *f, size_t n)
{
	uint8_t *l3 = f + 14, *l4 = f + 54;

	fr_eth(f, fr_our_mac, fr_peer_mac, 0x86dd);
	fr_ipv6(l3, fr_peer_v6, fr_our_v6, 58, 8 + n, 64);
	l4[0] = 128;
	l4[1] = 0;
	fr_put16(l4 + 4, 0xcafe);
	fr_put16(l4 + 6, 9);
	fr_fill(l4 + 8, n, 9);
	fr_fix_l4(l3, true, 58, l4, 8 + n, 2, true);
	return 62 + n;
}

/* Neighbour solicitation for target: to its solicited-node group (mcast)
 * or to the target itself, with or without a source link-layer option. */
static inline size_t fr_ns(uint8_t *f, const uint8_t target[16], bool mcast, bool slla)
{
	uint8_t *l3 = f + 14, *l4 = f + 54;
	size_t plen = slla ? 32 : 24;
	uint8_t snm[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(snm + 13, target + 13, 3);
	if (mcast) {
		uint8_t mac[6] = { 0x33, 0x33, snm[12], snm[13], snm[14], snm[15] };

		fr_eth(f, mac, fr_peer_mac, 0x86dd);
	} else {
		fr_eth(f, fr_our_mac, fr_peer_mac, 0x86dd);
	}
	fr_ipv6(l3, fr_peer_v6, mcast ? snm : target, 58, plen, 255);
	memset(l4, 0, plen);
	l4[0] = 135;
	memcpy(l4 + 8, target, 16);
	if (slla) {
		l4[24] = 1;
		l4[25] = 1;
		memcpy(l4 + 26, fr_peer_mac, 6);
	}
	fr_fix_l4(l3, true, 58, l4, plen, 2, true);
	return 54 + plen;
}

/* ARP request "who has tip, tell peer", broadcast. */
static inline size_t fr_arp_req(uint8_t *f, const uint8_t tip[4])
{
	uint8_t *a = f + 14;

	fr_eth(f, fr_bcast_mac, fr_peer_mac, 0x0806);
	fr_put16(a, 1);
	fr_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	fr_put16(a + 6, 1);
	memcpy(a + 8, fr_peer_mac, 6);
	memcpy(a + 14, fr_peer_v4, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, tip, 4);
	return 42;
}

#endif /* HY_TESTS_NET_FRAMES_H */
