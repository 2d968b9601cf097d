/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: hy_net_classify() on arbitrary frames.
 *
 * Input: one byte of HY_NET_RX_* flags (low 4 bits), then the frame.
 * Invariants beyond "no crash":
 *  - a drop names a reason and leaves the frame untouched;
 *  - a reply is never longer than the frame, has valid checksums (checked
 *    with the tests' own checksum code) and the right fields, and its
 *    receiver (an interface owning the reply's destination) classifies it
 *    as a well-formed message it does not answer: no reply loops;
 *  - a UDP datagram's payload lies inside the frame, and the reply built
 *    in place is accepted as UDP by its receiver with the same payload.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net_frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_FRAME 65535

static struct hy_net_iface ifc;
static uint8_t buf[MAX_FRAME + 1] __attribute__((aligned(64)));
static uint8_t orig[MAX_FRAME + 1];

static void init_iface(void)
{
	static int done;
	struct rte_ether_addr mac;
	rte_be32_t a;

	if (done)
		return;
	memcpy(mac.addr_bytes, fr_our_mac, 6);
	hy_net_iface_init(&ifc, &mac, FR_PORT);
	memcpy(&a, fr_our_v4, 4);
	CHECK(hy_net_iface_add_ipv4(&ifc, a) == 0);
	memcpy(&a, fr_our_v4b, 4);
	CHECK(hy_net_iface_add_ipv4(&ifc, a) == 0);
	CHECK(hy_net_iface_add_ipv6(&ifc, fr_our_v6) == 0);
	done = 1;
}

static int ours4(const uint8_t *a)
{
	return memcmp(a, fr_our_v4, 4) == 0 || memcmp(a, fr_our_v4b, 4) == 0;
}

static int ours6(const uint8_t *a)
{
	return memcmp(a, fr_our_v6, 16) == 0 || memcmp(a, fr_our_ll, 16) == 0;
}

/* An interface that owns the destination of frame fr (its MAC and IP). */
static void peer_iface(struct hy_net_iface *peer, const uint8_t *fr, uint16_t port)
{
	struct rte_ether_addr mac;
	unsigned int type = fr_get16(fr + 12);
	int ret;

	memcpy(mac.addr_bytes, fr, 6);
	hy_net_iface_init(peer, &mac, port);
	if (type == 0x0800) {
		rte_be32_t a;

		memcpy(&a, fr + 30, 4);
		CHECK(hy_net_iface_add_ipv4(peer, a) == 0);
	} else if (type == 0x86dd) {
		ret = hy_net_iface_add_ipv6(peer, fr + 38);
		CHECK(ret == 0 || ret == -EEXIST);
	}
}

static void check_reply(const struct hy_net_pkt *pkt, uint16_t len)
{
	struct hy_net_iface peer;
	struct hy_net_pkt back;
	uint16_t rlen = pkt->reply_len;
	unsigned int plen;

	CHECK(rlen <= len && rlen >= 42);
	CHECK(memcmp(buf, orig + 6, 6) == 0);      /* back to the sender */
	CHECK(memcmp(buf + 6, fr_our_mac, 6) == 0); /* from us */
	switch (pkt->reply) {
	case HY_NET_REPLY_ARP:
		CHECK(rlen == 42);
		CHECK(fr_get16(buf + 20) == 2);
		CHECK(memcmp(buf + 22, fr_our_mac, 6) == 0);
		CHECK(ours4(buf + 28));
		CHECK(memcmp(buf + 32, orig + 22, 10) == 0); /* target = asker */
		break;
	case HY_NET_REPLY_ICMP4_ECHO:
		CHECK(rlen == 14 + fr_get16(buf + 16));
		CHECK(fr_ipv4_hdr_ok(buf + 14));
		CHECK(ours4(buf + 26) && memcmp(buf + 30, orig + 26, 4) == 0);
		CHECK(buf[34] == 0 && buf[35] == 0);
		CHECK(fr_fold(fr_sum(buf + 34, rlen - 34u, 0)) == 0xffff);
		CHECK(memcmp(buf + 38, orig + 38, rlen - 38u) == 0);
		break;
	case HY_NET_REPLY_ICMP6_ECHO:
	case HY_NET_REPLY_NDP_NA:
		plen = fr_get16(buf + 18);
		CHECK(rlen == 54 + plen);
		CHECK(buf[20] == 58 && ours6(buf + 22));
		CHECK(memcmp(buf + 38, orig + 22, 16) == 0);
		CHECK(fr_l4_ok(buf + 14, true, 58, buf + 54, plen));
		if (pkt->reply == HY_NET_REPLY_ICMP6_ECHO) {
			CHECK(buf[54] == 129);
			CHECK(memcmp(buf + 58, orig + 58, plen - 4) == 0);
		} else {
			CHECK(buf[21] == 255 && buf[54] == 136 && buf[58] == 0x60);
			CHECK(plen == 24 || plen == 32);
			CHECK(memcmp(buf + 62, buf + 22, 16) == 0); /* target = source */
			if (plen == 32)
				CHECK(buf[78] == 2 && buf[79] == 1 &&
				      memcmp(buf + 80, fr_our_mac, 6) == 0);
		}
		break;
	default:
		CHECK(0);
	}
	/* The receiver finds a well-formed message it does not answer. */
	peer_iface(&peer, buf, 9);
	CHECK(hy_net_classify(&peer, buf, rlen, 0, &back) == HY_NET_DROP);
	CHECK(back.reason == (pkt->reply == HY_NET_REPLY_ARP ? HY_NET_DROP_ARP_NOT_REQUEST :
			      HY_NET_DROP_ICMP_UNSUPPORTED));
}

static void check_udp(const struct hy_net_pkt *pkt, uint16_t len)
{
	struct hy_net_iface peer;
	struct hy_net_pkt back;
	uint16_t n = pkt->payload_len;
	int rlen;

	CHECK(pkt->payload_off == hy_net_udp_hdr_len(pkt->flow.family));
	CHECK((size_t)pkt->payload_off + n <= len);
	CHECK(memcmp(buf, orig, len) == 0);
	CHECK(pkt->flow.peer_port != 0);
	/* Echo the payload back (it is already in place). */
	rlen = hy_net_udp_reply_in_place(&ifc, buf, MAX_FRAME, pkt, n, 0);
	CHECK(rlen == pkt->payload_off + n);
	peer_iface(&peer, buf, rte_be_to_cpu_16(pkt->flow.peer_port));
	CHECK(hy_net_classify(&peer, buf, (uint16_t)rlen, 0, &back) == HY_NET_UDP_FOR_US);
	CHECK(back.payload_len == n && back.payload_off == pkt->payload_off);
	CHECK(memcmp(buf + back.payload_off, orig + pkt->payload_off, n) == 0);
	CHECK(back.flow.peer_port == ifc.udp_port);
	CHECK(memcmp(&back.flow.peer_ip, &pkt->flow.local_ip,
		     pkt->flow.family == HY_NET_IPV4 ? 4 : 16) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hy_net_pkt pkt;
	enum hy_net_verdict v;
	uint32_t flags;
	uint16_t len;

	if (size < 1)
		return 0;
	init_iface();
	flags = data[0] & 0xf;
	len = (uint16_t)(size - 1 > MAX_FRAME ? MAX_FRAME : size - 1);
	memcpy(buf, data + 1, len);
	memcpy(orig, data + 1, len);
	memset(&pkt, 0, sizeof(pkt));

	v = hy_net_classify(&ifc, buf, len, flags, &pkt);
	switch (v) {
	case HY_NET_DROP:
		CHECK(pkt.reason > HY_NET_DROP_NONE && pkt.reason < HY_NET_DROP_COUNT);
		CHECK(memcmp(buf, orig, len) == 0);
		break;
	case HY_NET_REPLY:
		CHECK(pkt.reply < HY_NET_REPLY_COUNT);
		check_reply(&pkt, len);
		break;
	case HY_NET_UDP_FOR_US:
		check_udp(&pkt, len);
		break;
	default:
		CHECK(0);
	}
	return 0;
}
