/* SPDX-License-Identifier: BSD-3-Clause
 * Writes the seed corpus of fuzz_net: one file per kind of frame, each a
 * byte of HY_NET_RX_* flags followed by the frame.
 *   gen_net_corpus <dir>
 * Run by hand after the frame helpers change; the output is committed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "net_frames.h"

static const char *out_dir;
static uint8_t f[2048] __attribute__((aligned(8)));

static void put(const char *name, uint8_t flags, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fputc(flags, fp) == EOF || fwrite(f, 1, len, fp) != len ||
	    fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];

	put("udp4", 0, fr_udp4(f, 64));
	put("udp4-offloaded", 0x5, fr_udp4(f, 64));
	put("udp4-empty", 0, fr_udp4(f, 0));
	len = fr_udp4(f, 2);
	memset(f + len, 0, 60 - len);
	put("udp4-padded", 0, 60);
	put("udp6", 0, fr_udp6(f, 64));
	len = fr_udp6(f, 20);
	memcpy(f + 38, fr_our_ll, 16);
	fr_fix_l4(f + 14, true, 17, f + 54, 28, 6, true);
	put("udp6-link-local", 0, len);
	put("arp-request", 0, fr_arp_req(f, fr_our_v4));
	put("icmp4-echo", 0, fr_icmp4_echo(f, 56));
	put("icmp6-echo", 0, fr_icmp6_echo(f, 56));
	put("ns-multicast", 0, fr_ns(f, fr_our_v6, true, true));
	put("ns-unicast", 0, fr_ns(f, fr_our_v6, false, false));
	put("ns-link-local", 0, fr_ns(f, fr_our_ll, true, true));
	/* A few that are dropped deep inside. */
	len = fr_udp4(f, 20);
	fr_put16(f + 20, 0x2000);
	fr_fix_ipv4(f + 14);
	put("ipv4-fragment", 0, len);
	len = fr_udp6(f, 20);
	f[20] = 44;
	put("ipv6-fragment", 0, len);
	len = fr_ns(f, fr_our_v6, true, false);
	memset(f + 22, 0, 16);
	fr_fix_l4(f + 14, true, 58, f + 54, 24, 2, true);
	put("ns-dad", 0, len);
	return 0;
}
