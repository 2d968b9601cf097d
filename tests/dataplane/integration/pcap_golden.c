/* SPDX-License-Identifier: BSD-3-Clause
 * pcap golden test of hayate-dataplane on net_pcap (run by pcap_golden.sh).
 *
 *   pcap_golden gen DIR              writes DIR/cluster.key and DIR/in.pcap
 *   pcap_golden counters SHM         checks the node's counters against the
 *                                    frames of in.pcap (exit 1 on mismatch,
 *                                    3 while not every frame is counted yet)
 *   pcap_golden check OUT GOLDEN     checks the node's tx pcap OUT against
 *                                    the text dump GOLDEN
 *   pcap_golden dump OUT             prints the text dump of OUT (to make
 *                                    GOLDEN after a deliberate change)
 *
 * Everything in in.pcap is fixed: MACs, addresses, the cluster key, the
 * tokens (fixed nonce, expiry in 2100), the garbage.  The table below
 * lists each input frame with what the node must do with it: answer it
 * byte for byte (ARP, ICMP, ICMPv6, NDP: the dump holds the whole reply),
 * answer it with a CHALLENGE (its cookie depends on a random key and the
 * time: the dump holds the headers and the checker the rest), or drop it
 * and move one named counter.  No reply may be longer than its request.
 *
 * The node's MAC is the one DPDK's pcap PMD gives its first device.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "../net_frames.h"
#include "crypto/aead.h"
#include "crypto/token.h"
#include "proto/limits.h"
#include "proto/packet.h"
#include "stats.h"

#define NODE_ID 7u
#define EXPIRE_2100 4102444800ull /* 2100-01-01T00:00:00Z */
#define MAX_FRAME 1600u
#define MAX_FRAMES 32u

/* net_pcap's MAC: "pcap" after a locally administered 02, then the index
 * of the device (0: the only one). */
static const uint8_t node_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
static const uint8_t cluster_key[HY_KEY_LEN] = {
	0x48, 0x61, 0x79, 0x61, 0x74, 0x65, 0x20, 0x67,
	0x6f, 0x6c, 0x64, 0x65, 0x6e, 0x20, 0x6b, 0x31,
};

enum expect {
	EXPECT_EXACT,     /* reply compared byte for byte with the dump */
	EXPECT_CHALLENGE, /* CHALLENGE: headers in the dump, rest checked */
	EXPECT_DROP,      /* no reply */
};

struct frame {
	const char *name;
	enum expect expect;
	const char *counter; /* counter that must count this frame */
	size_t len;
	uint8_t b[MAX_FRAME];
};

static struct frame frames[MAX_FRAMES];
static unsigned int n_frames;

static struct frame *add(const char *name, enum expect e, const char *counter)
{
	struct frame *f = &frames[n_frames++];

	f->name = name;
	f->expect = e;
	f->counter = counter;
	memset(f->b, 0, sizeof(f->b));
	return f;
}

/* Peer -> node UDP datagram over IPv4 or IPv6 with payload p. */
static size_t udp_frame(uint8_t *f, bool v6, const uint8_t *p, size_t n)
{
	size_t l3len = v6 ? 40 : 20;
	uint8_t *l3 = f + 14, *l4 = l3 + l3len;

	fr_eth(f, node_mac, fr_peer_mac, v6 ? 0x86dd : 0x0800);
	if (v6)
		fr_ipv6(l3, fr_peer_v6, fr_our_v6, 17, 8 + n, 64);
	else
		fr_ipv4(l3, fr_peer_v4, fr_our_v4, 17, 8 + n);
	fr_put16(l4, FR_PEER_PORT);
	fr_put16(l4 + 2, FR_PORT);
	fr_put16(l4 + 4, (unsigned int)(8 + n));
	memcpy(l4 + 8, p, n);
	fr_fix_l4(l3, v6, 17, l4, 8 + n, 6, true);
	return 14 + l3len + 8 + n;
}

/* A CONNECT carrying a token for sid, sealed with a fixed nonce. */
static void connect_payload(uint8_t out[HY_CONNECT_LEN], uint64_t sid,
			    const char *uid, bool forge)
{
	struct hy_aead_ctx key;
	struct hy_token_private priv = { .sid = sid,
					 .transport = HY_TRANSPORT_UDP };
	uint8_t nonce[HY_NONCE_LEN];
	unsigned int i;

	for (i = 0; i < HY_NONCE_LEN; i++)
		nonce[i] = (uint8_t)(0xa0 + i + (sid & 0xf));
	for (i = 0; i < HY_KEY_LEN; i++) {
		priv.c2s_key[i] = (uint8_t)(0x10 + i);
		priv.s2c_key[i] = (uint8_t)(0x20 + i);
	}
	priv.uid_len = (uint8_t)strlen(uid);
	memcpy(priv.uid, uid, priv.uid_len);
	if (hy_aead_key_init(&key, HY_AEAD_OPENSSL, cluster_key) != 0 ||
	    hy_token_seal_nonce(&key, 0, NODE_ID, EXPIRE_2100, nonce, &priv,
				out + HY_CONNECT_TOKEN_OFF) != 0) {
		fprintf(stderr, "pcap_golden: sealing a token failed\n");
		exit(2);
	}
	hy_aead_key_wipe(&key);
	out[0] = hy_pkt_prefix(HY_PKT_CONNECT);
	if (forge)
		out[HY_CONNECT_TOKEN_OFF + HY_TOKEN_LEN - 1] ^= 0x5a;
}

/* The input, in order.  Counters: see dataplane/net/net.h (net.*, reply.*)
 * and shared/common/reason.h (drop.*). */
static void build_frames(void)
{
	uint8_t p[HY_CONNECT_LEN];
	struct frame *f;
	uint8_t *l3;

	f = add("arp-request", EXPECT_EXACT, "reply.ARP");
	f->len = fr_arp_req(f->b, fr_our_v4);

	f = add("arp-request-not-ours", EXPECT_DROP, "net.ARP_NOT_FOR_US");
	f->len = fr_arp_req(f->b, fr_our_v4b);

	f = add("icmp-echo", EXPECT_EXACT, "reply.ICMP4_ECHO");
	f->len = fr_icmp4_echo(f->b, 56);
	memcpy(f->b, node_mac, 6);

	f = add("icmpv6-ns", EXPECT_EXACT, "reply.NDP_NA");
	f->len = fr_ns(f->b, fr_our_v6, true, true);

	f = add("icmpv6-echo", EXPECT_EXACT, "reply.ICMP6_ECHO");
	f->len = fr_icmp6_echo(f->b, 56);
	memcpy(f->b, node_mac, 6);

	f = add("connect", EXPECT_CHALLENGE, "challenges");
	connect_payload(p, 0x0123456789abcdefull, "golden-1", false);
	f->len = udp_frame(f->b, false, p, sizeof(p));

	f = add("connect-v6", EXPECT_CHALLENGE, "challenges");
	connect_payload(p, 0x1122334455667788ull, "golden-2", false);
	f->len = udp_frame(f->b, true, p, sizeof(p));

	f = add("connect-forged", EXPECT_DROP, "drop.AUTH_FAILED");
	connect_payload(p, 0x0badc0ffee0ddf00ull, "golden-3", true);
	f->len = udp_frame(f->b, false, p, sizeof(p));

	f = add("garbage-udp", EXPECT_DROP, "drop.BAD_VERSION");
	fr_fill(p, 64, 1); /* first byte 0x01: protocol version 0 */
	f->len = udp_frame(f->b, false, p, 64);

	f = add("garbage-ethertype", EXPECT_DROP, "net.BAD_ETHERTYPE");
	f->len = fr_eth(f->b, node_mac, fr_peer_mac, 0x88b5) + 46;
	fr_fill(f->b + 14, 46, 9);

	/* an IPv4 fragment train carrying a CONNECT: first and last part */
	f = add("ipv4-fragment-first", EXPECT_DROP, "net.IPV4_FRAGMENT");
	connect_payload(p, 0x0f0f0f0f0f0f0f0full, "golden-4", false);
	f->len = udp_frame(f->b, false, p, 128);
	l3 = f->b + 14;
	fr_put16(l3 + 2, 20 + 8 + 128);
	fr_put16(l3 + 6, 0x2000); /* MF, offset 0 */
	fr_fix_ipv4(l3);

	f = add("ipv4-fragment-last", EXPECT_DROP, "net.IPV4_FRAGMENT");
	f->len = fr_eth(f->b, node_mac, fr_peer_mac, 0x0800);
	l3 = f->b + 14;
	memcpy(l3 + 20, p + 128, HY_CONNECT_LEN - 128);
	fr_ipv4(l3, fr_peer_v4, fr_our_v4, 17, HY_CONNECT_LEN - 128);
	fr_put16(l3 + 6, (8 + 128) / 8); /* offset 136 bytes, last */
	fr_fix_ipv4(l3);
	f->len += 20 + HY_CONNECT_LEN - 128;
}

/* ---- gen ------------------------------------------------------------------- */

static int cmd_gen(const char *dir)
{
	char path[4096];
	pcap_t *pd;
	pcap_dumper_t *d;
	FILE *kf;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	kf = fopen(path, "w");
	if (kf == NULL) {
		perror(path);
		return 2;
	}
	fprintf(kf, "# pcap golden test key (fixed, test only)\n0 ");
	for (i = 0; i < HY_KEY_LEN; i++)
		fprintf(kf, "%02x", cluster_key[i]);
	fprintf(kf, "\n");
	fclose(kf);

	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	pd = pcap_open_dead(DLT_EN10MB, 65535);
	d = pd ? pcap_dump_open(pd, path) : NULL;
	if (d == NULL) {
		fprintf(stderr, "pcap_golden: %s: %s\n", path,
			pd ? pcap_geterr(pd) : "pcap_open_dead failed");
		return 2;
	}
	for (i = 0; i < n_frames; i++) {
		struct pcap_pkthdr h = { .caplen = (bpf_u_int32)frames[i].len,
					 .len = (bpf_u_int32)frames[i].len };

		h.ts.tv_sec = 1700000000 + i; /* fixed: the file is reproducible */
		pcap_dump((u_char *)d, &h, frames[i].b);
	}
	pcap_dump_close(d);
	pcap_close(pd);
	printf("pcap_golden: %u frames in %s\n", n_frames, path);
	return 0;
}

/* ---- counters ---------------------------------------------------------------- */

struct want {
	const char *name;
	uint64_t want;
};

static int cmd_counters(const char *shm)
{
	struct hy_stats_region *r;
	uint64_t sum[1024] = { 0 }, vals[1024];
	char err[256], nm[HY_STATS_NAME_LEN];
	unsigned int n, b, i, j, bad = 0, replies = 0, drops = 0;
	struct want c[MAX_FRAMES + 4];
	unsigned int nc = 0;
	uint64_t rx = 0;

	r = hy_stats_attach(shm, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "pcap_golden: %s\n", err);
		return 2;
	}
	n = hy_stats_counter_count(r);
	if (n > 1024)
		n = 1024;
	for (b = 0; b < hy_stats_blocks(r); b++)
		if (hy_stats_read(r, b, vals, n, NULL))
			for (i = 0; i < n; i++)
				sum[i] += vals[i];

	/* expected value of every named counter */
	for (i = 0; i < n_frames; i++) {
		for (j = 0; j < nc && strcmp(c[j].name, frames[i].counter); j++)
			;
		if (j == nc)
			c[nc++] = (struct want){ frames[i].counter, 0 };
		c[j].want++;
		if (frames[i].expect == EXPECT_DROP)
			drops++;
		else
			replies++;
	}
	c[nc++] = (struct want){ "rx_packets", n_frames };
	c[nc++] = (struct want){ "tx_packets", replies };
	c[nc++] = (struct want){ "drops", drops };

	for (j = 0; j < nc; j++) {
		uint64_t v = ~0ull;

		for (i = 0; i < n; i++)
			if (strcmp(hy_stats_counter_name(r, i, nm, sizeof(nm)),
				   c[j].name) == 0)
				v = sum[i];
		if (strcmp(c[j].name, "rx_packets") == 0)
			rx = v;
		if (v == ~0ull) {
			fprintf(stderr, "pcap_golden: no counter %s\n", c[j].name);
			bad++;
		} else if (v != c[j].want) {
			printf("counter %-20s %llu, want %llu\n", c[j].name,
			       (unsigned long long)v,
			       (unsigned long long)c[j].want);
			bad++;
		} else {
			printf("counter %-20s %llu ok\n", c[j].name,
			       (unsigned long long)v);
		}
	}
	hy_stats_destroy(r);
	/* rx_packets short of the total: the node is still reading */
	if (rx < n_frames)
		return 3;
	return bad ? 1 : 0;
}

/* ---- check / dump -------------------------------------------------------------- */

static void hex(FILE *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(o, "%02x", p[i]);
}

/* Checks a CHALLENGE reply to request q and prints its deterministic part.
 * Returns the number of problems found. */
static unsigned int challenge(FILE *o, const struct frame *q,
			      const uint8_t *r, size_t len)
{
	bool v6 = fr_get16(q->b + 12) == 0x86dd;
	size_t l3len = v6 ? 40 : 20, hdr = 14 + l3len + 8;
	uint8_t h[14 + 40 + 8];
	const uint8_t *l3 = r + 14, *l4 = l3 + l3len;
	unsigned int bad = 0;

	if (len != hdr + HY_CHALLENGE_LEN) {
		fprintf(stderr, "%s: CHALLENGE frame of %zu bytes, want %zu\n",
			q->name, len, hdr + HY_CHALLENGE_LEN);
		return 1;
	}
	if (r[hdr] != hy_pkt_prefix(HY_PKT_CHALLENGE)) {
		fprintf(stderr, "%s: reply prefix 0x%02x, want CHALLENGE\n",
			q->name, r[hdr]);
		bad++;
	}
	if (!fr_l4_ok(l3, v6, 17, l4, 8 + HY_CHALLENGE_LEN)) {
		fprintf(stderr, "%s: CHALLENGE UDP checksum wrong\n", q->name);
		bad++;
	}
	if (!v6 && !fr_ipv4_hdr_ok(l3)) {
		fprintf(stderr, "%s: CHALLENGE IPv4 checksum wrong\n", q->name);
		bad++;
	}
	/* the UDP checksum covers the cookie: left out of the dump */
	memcpy(h, r, hdr);
	fr_put16(h + 14 + l3len + 6, 0);
	hex(o, h, hdr);
	fprintf(o, " +cookie %u", HY_COOKIE_LEN);
	return bad;
}

/* Reads the node's tx pcap and writes the dump to o; checks what does not
 * go into the dump.  Returns the number of problems. */
static unsigned int dump(const char *out_pcap, FILE *o)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pd = pcap_open_offline(out_pcap, err);
	unsigned int i = 0, bad = 0, got = 0;

	if (pd == NULL) {
		fprintf(stderr, "pcap_golden: %s: %s\n", out_pcap, err);
		return 1;
	}
	fprintf(o, "# replies of hayate-dataplane to the frames of "
		"pcap_golden gen, in order\n");
	while (pcap_next_ex(pd, &h, &data) == 1) {
		got++;
		while (i < n_frames && frames[i].expect == EXPECT_DROP)
			i++;
		if (i == n_frames) {
			fprintf(stderr, "pcap_golden: reply %u answers no "
				"request (a dropped frame was answered?)\n", got);
			bad++;
			continue;
		}
		if (h->caplen != h->len) {
			fprintf(stderr, "%s: reply truncated in the pcap\n",
				frames[i].name);
			bad++;
		}
		if (h->len > frames[i].len) {
			fprintf(stderr, "%s: reply of %u bytes to a %zu-byte "
				"request\n", frames[i].name, h->len,
				frames[i].len);
			bad++;
		}
		fprintf(o, "%s %u ", frames[i].name, h->caplen);
		if (frames[i].expect == EXPECT_CHALLENGE)
			bad += challenge(o, &frames[i], data, h->caplen);
		else
			hex(o, data, h->caplen);
		fprintf(o, "\n");
		i++;
	}
	pcap_close(pd);
	while (i < n_frames && frames[i].expect == EXPECT_DROP)
		i++;
	if (i < n_frames) {
		fprintf(stderr, "pcap_golden: no reply to %s (and later)\n",
			frames[i].name);
		bad++;
	}
	return bad;
}

static int cmd_check(const char *out_pcap, const char *golden)
{
	char *got = NULL, *want = NULL;
	size_t got_len = 0, want_len = 0;
	FILE *o = open_memstream(&got, &got_len), *g;
	unsigned int bad;
	int rc;

	if (o == NULL)
		return 2;
	bad = dump(out_pcap, o);
	fclose(o);
	g = fopen(golden, "r");
	if (g == NULL) {
		perror(golden);
		free(got);
		return 2;
	}
	want = malloc(1 << 20);
	want_len = fread(want, 1, (1 << 20) - 1, g);
	want[want_len] = '\0';
	fclose(g);
	if (got_len != want_len || memcmp(got, want, got_len) != 0) {
		fprintf(stderr, "pcap_golden: replies differ from %s\n--- "
			"want\n%s--- got\n%s", golden, want, got);
		bad++;
	}
	rc = bad ? 1 : 0;
	printf("pcap_golden: %s: %s\n", out_pcap, rc ? "FAIL" : "replies "
	       "match the golden dump");
	free(got);
	free(want);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	build_frames();
	if (strcmp(cmd, "gen") == 0 && argc == 3)
		return cmd_gen(argv[2]);
	if (strcmp(cmd, "counters") == 0 && argc == 3)
		return cmd_counters(argv[2]);
	if (strcmp(cmd, "check") == 0 && argc == 4)
		return cmd_check(argv[2], argv[3]);
	if (strcmp(cmd, "dump") == 0 && argc == 3)
		return dump(argv[2], stdout) ? 1 : 0;
	fprintf(stderr, "usage: pcap_golden gen DIR | counters SHM | "
		"check OUT.pcap GOLDEN | dump OUT.pcap\n");
	return 2;
}
