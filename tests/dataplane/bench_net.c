/* SPDX-License-Identifier: BSD-3-Clause
 * Per-frame cost of hy_net_classify() and the UDP reply builder, one core,
 * frames hot in cache.  Prints ns per call (median of 7 runs); no EAL.
 *   bench_net [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "net/net.h"
#include "net_frames.h"

#define RUNS 7

static struct hy_net_iface ifc;
static uint8_t f[2048] __attribute__((aligned(64)));
static uint8_t src[2048] __attribute__((aligned(64)));
static volatile unsigned int sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

enum op { CLASSIFY, CLASSIFY_RESTORE, REPLY_SW, REPLY_OFFLOAD };

static double run(enum op op, size_t len, uint32_t flags, long iters)
{
	struct hy_net_pkt pkt;
	double t[RUNS];

	memcpy(f, src, len);
	if (op == REPLY_SW || op == REPLY_OFFLOAD)
		hy_net_classify(&ifc, f, (uint16_t)len, 0, &pkt);
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++) {
			switch (op) {
			case CLASSIFY:
				sink += hy_net_classify(&ifc, f, (uint16_t)len, flags, &pkt);
				break;
			case CLASSIFY_RESTORE:
				/* Replies rewrite the frame: put the request back. */
				memcpy(f, src, len);
				sink += hy_net_classify(&ifc, f, (uint16_t)len, flags, &pkt);
				break;
			case REPLY_SW:
				sink += (unsigned int)hy_net_udp_reply_in_place(&ifc, f, sizeof(f), &pkt,
										 pkt.payload_len, 0);
				break;
			case REPLY_OFFLOAD:
				sink += (unsigned int)hy_net_udp_reply_in_place(&ifc, f, sizeof(f), &pkt,
					pkt.payload_len,
					HY_NET_OFFLOAD_IPV4_CKSUM | HY_NET_OFFLOAD_UDP_CKSUM);
				break;
			}
		}
		t[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp);
	return t[RUNS / 2];
}

static void report(const char *what, double ns)
{
	printf("%-46s %7.1f ns  %6.1f Mops/s\n", what, ns, 1e3 / ns);
}

int main(int argc, char **argv)
{
	const uint32_t good = HY_NET_RX_IP_CKSUM_GOOD | HY_NET_RX_L4_CKSUM_GOOD;
	long iters = argc > 1 ? atol(argv[1]) : 2000000;
	struct rte_ether_addr mac;
	rte_be32_t a;
	size_t len;

	memcpy(mac.addr_bytes, fr_our_mac, 6);
	hy_net_iface_init(&ifc, &mac, FR_PORT);
	memcpy(&a, fr_our_v4, 4);
	hy_net_iface_add_ipv4(&ifc, a);
	hy_net_iface_add_ipv6(&ifc, fr_our_v6);

	len = fr_udp4(src, 64);
	report("classify udp4 64B, NIC verified checksums", run(CLASSIFY, len, good, iters));
	report("classify udp4 64B, software checksums", run(CLASSIFY, len, 0, iters));
	report("udp4 64B reply in place, software checksums", run(REPLY_SW, len, 0, iters));
	report("udp4 64B reply in place, offloaded", run(REPLY_OFFLOAD, len, 0, iters));
	len = fr_udp4(src, 1200);
	report("classify udp4 1200B, NIC verified checksums", run(CLASSIFY, len, good, iters));
	report("classify udp4 1200B, software checksums", run(CLASSIFY, len, 0, iters));
	len = fr_udp6(src, 64);
	report("classify udp6 64B, NIC verified checksum", run(CLASSIFY, len, good, iters));
	report("classify udp6 64B, software checksum", run(CLASSIFY, len, 0, iters));
	len = fr_udp4(src, 64);
	fr_put16(src + 36, FR_PORT + 1);
	report("classify udp4 64B to another port (drop)", run(CLASSIFY, len, 0, iters));
	len = fr_udp4(src, 64);
	src[0] ^= 0x10;
	report("classify udp4 64B to another MAC (drop)", run(CLASSIFY, len, 0, iters));
	len = fr_udp4(src, 64);
	fr_put16(src + 20, 0x2000);
	fr_fix_ipv4(src + 14);
	report("classify udp4 fragment (drop)", run(CLASSIFY, len, 0, iters));
	len = fr_arp_req(src, fr_our_v4);
	report("copy 42B + ARP reply", run(CLASSIFY_RESTORE, len, 0, iters));
	len = fr_icmp4_echo(src, 56);
	report("copy 98B + ICMP echo reply", run(CLASSIFY_RESTORE, len, 0, iters));
	len = fr_ns(src, fr_our_v6, true, true);
	report("copy 86B + neighbour advertisement", run(CLASSIFY_RESTORE, len, 0, iters));
	return sink == 0xdeadbeef;
}
