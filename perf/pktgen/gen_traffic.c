/* SPDX-License-Identifier: BSD-3-Clause
 * gen_traffic: pcap files for Pktgen-DPDK to replay at hayate-dataplane.
 *
 *   gen_traffic garbage [options] -o FILE.pcap   datagrams the node must drop
 *   gen_traffic valid   [options] -o FILE.pcap   sealed DATA packets of the
 *                                                node's bench sessions
 *
 * Run with --help for the options.  The pcap format (classic, microsecond
 * timestamps, Ethernet) is written here directly: the file is all this
 * tool produces, and it needs no libpcap.  Every frame is IPv4/UDP with
 * correct IP and UDP checksums, padded to the 60-byte Ethernet minimum.
 *
 * "valid" seals with the bench sessions' keys, derived from the cluster
 * key and the seed by hy_engine_bench_derive() (dataplane/session/
 * engine.h), the very function the data plane uses at start in bench
 * mode; so the node accepts these packets only when it was started with
 * the same key file, dataplane.bench.seed, a dataplane.bench.sessions at
 * least --sessions, and --bench-mode-insecure.
 *
 * Besides the pcap, the tool says what the node's counters (hayate-dpstat
 * names) should show after one pass of the file, on stdout and, with
 * --expect FILE, as "name value" lines a script can compare.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#include "common/reason.h"
#include "common/wire.h"
#include "config/conf.h"
#include "crypto/aead.h"
#include "crypto/keyfile.h"
#include "proto/frame.h"
#include "proto/limits.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/room_msg.h"
#include "proto/seal.h"

#define PROG "gen_traffic"
#define EXIT_USAGE 2
#define ETH_LEN 14u
#define IP_LEN 20u
#define UDP_LEN 8u
#define HDRS (ETH_LEN + IP_LEN + UDP_LEN)
#define MIN_FRAME 60u        /* Ethernet minimum without the FCS */
#define MAX_UDP_PAYLOAD 1472u /* a 1500-byte IP MTU */
#define MAX_SIZES 64u
#define PCAP_T0 1700000000u  /* fixed timestamps: the same input, the same file */

enum mode { MODE_GARBAGE, MODE_VALID };
enum variant { V_RANDOM, V_BAD_PREFIX, V_TRUNCATED, V_UNKNOWN_SESSION, V_MIX, V_COUNT };
enum command { CMD_ECHO, CMD_BROADCAST };

static const char *const variant_names[V_COUNT] = {
	"random", "bad-prefix", "truncated", "unknown-session", "mix",
};

struct opts {
	enum mode mode;
	const char *out, *expect, *config, *key_file;
	uint8_t dst_mac[6], src_mac[6];
	bool have_dst_mac;
	uint32_t dst_ip, src_net, src_mask; /* host order */
	bool have_dst_ip;
	uint16_t dst_port, src_port;
	bool have_dst_port;
	uint64_t count;
	bool have_count;
	uint32_t flows;
	uint32_t seed;
	bool have_seed;
	uint32_t sizes[MAX_SIZES];
	unsigned n_sizes;
	enum variant variant;
	enum command command;
	uint32_t payload;
	uint32_t sessions;
	bool have_sessions;
	uint32_t room_size;
	bool have_room_size;
	uint32_t repeat;
};

/* ---- small helpers ---------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " garbage -o FILE.pcap --dst-mac MAC [options]\n"
"       " PROG " valid   -o FILE.pcap --dst-mac MAC [--config FILE | --key-file FILE\n"
"                           --sessions N] [options]\n"
"\n"
"Writes a pcap of IPv4/UDP frames for Pktgen-DPDK (-s PORT:FILE) to replay at\n"
"hayate-dataplane, and prints what the node's counters should show after one\n"
"pass of the file.  Frames shorter than 60 bytes are padded; every checksum is\n"
"correct.  See docs/performance.md, \"pktgen on bare metal\".\n"
"\n"
"Modes:\n"
"  garbage   datagrams to the node's UDP port that the session engine drops,\n"
"            counted by reason (drop.<REASON>); the node sends nothing back\n"
"  valid     sealed DATA packets (AES-128-GCM) of the node's bench sessions,\n"
"            each carrying one ECHO or one room BROADCAST; packet k comes from\n"
"            session k %% N with packet number k / N (broadcasts with rooms:\n"
"            k / N + 1, after one ECHO per session at packet number 0, so the\n"
"            node knows every member's address before it relays).  The node\n"
"            must run in bench\n"
"            mode (dataplane.bench.*, --bench-mode-insecure) with the same key\n"
"            file and seed, and at least N bench sessions\n"
"\n"
"Common options:\n"
"  -o, --out FILE        the pcap to write (required)\n"
"  --dst-mac MAC         the node port's MAC address (required)\n"
"  --src-mac MAC         the generator port's MAC (default 02:00:00:00:00:01)\n"
"  --config FILE         the node's hayate.conf: defaults for --dst-ip and\n"
"                        --dst-port (its first port), --key-file\n"
"                        (paths.cluster_key_file), --sessions, --seed and\n"
"                        --room-size (dataplane.bench.*)\n"
"  --dst-ip A.B.C.D      the node's IPv4 address (default 198.18.0.1)\n"
"  --dst-port N          the node's UDP port (default 7100)\n"
"  --src-net A.B.C.D/P   client addresses, taken in order from this network,\n"
"                        skipping its first and last address and --dst-ip\n"
"                        (default 198.18.0.0/15)\n"
"  --src-port N          first client UDP port (default 10000); when the\n"
"                        network has fewer addresses than clients, the clients\n"
"                        after it take the next port\n"
"  --count N             frames in one pass (default: garbage 1024; valid\n"
"                        --sessions, one packet per session)\n"
"  --repeat N            write the pass N times (default 1); in valid mode the\n"
"                        copies are replays, as pktgen's looping makes them\n"
"  --expect FILE         also write the expected counters as \"name value\"\n"
"                        lines (hayate-dpstat names), for the whole file\n"
"  -h, --help            this text\n"
"\n"
"garbage options:\n"
"  --variant V           random | bad-prefix | truncated | unknown-session |\n"
"                        mix (default mix: the four in turn)\n"
"                          random           random bytes (mostly BAD_VERSION)\n"
"                          bad-prefix       first byte of another protocol\n"
"                                           version (BAD_VERSION)\n"
"                          truncated        a DATA prefix on 1 to 33 bytes, the\n"
"                                           size capped there (BAD_PACKET_SIZE)\n"
"                          unknown-session  a well-formed DATA header with a\n"
"                                           random session id, 34 bytes or more\n"
"                                           (UNKNOWN_SESSION: a table lookup)\n"
"  --sizes N[,N...]      UDP payload sizes in bytes, used in turn (default 64;\n"
"                        1 to %u; over 1200 the node drops as OVERSIZED)\n"
"  --flows N             distinct client address/port pairs (default 256)\n"
"  --seed N              seed of the pseudo-random bytes (default 1)\n"
"\n"
"valid options:\n"
"  --key-file FILE       the cluster key file (the node's\n"
"                        paths.cluster_key_file; its lowest key id is used)\n"
"  --sessions N          bench sessions to send from, 1 to 16777216 (the\n"
"                        node's dataplane.bench.sessions or fewer)\n"
"  --seed N              dataplane.bench.seed of the node (default 0)\n"
"  --command C           echo (default) or broadcast\n"
"  --payload N           broadcast: data bytes, 0 to 1024 (default 64); an\n"
"                        ECHO's payload is 8 bytes by the protocol\n"
"  --room-size N         the node's dataplane.bench.room_size, only for the\n"
"                        expected counters of broadcast (default 0)\n"
"\n"
"Exit status: 0 written, 1 a file or the key could not be used, 2 bad\n"
"command line.\n", MAX_UDP_PAYLOAD);
}

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	exit(EXIT_USAGE);
}

static uint64_t parse_u64(const char *name, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, PROG ": %s: '%s' is not an integer from %" PRIu64 " to %" PRIu64
			" (see --help)\n", name, s, min, max);
		exit(EXIT_USAGE);
	}
	return v;
}

static void parse_mac(const char *name, const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6) {
		fprintf(stderr, PROG ": %s: '%s' is not a MAC address like 02:00:00:00:00:01 "
			"(see --help)\n", name, s);
		exit(EXIT_USAGE);
	}
	for (unsigned i = 0; i < 6; i++) {
		if (b[i] > 0xff) {
			fprintf(stderr, PROG ": %s: '%s' has a byte over ff (see --help)\n", name, s);
			exit(EXIT_USAGE);
		}
		mac[i] = (uint8_t)b[i];
	}
	if (mac[0] & 1) {
		fprintf(stderr, PROG ": %s: '%s' is a group (multicast) address, not a port's "
			"(see --help)\n", name, s);
		exit(EXIT_USAGE);
	}
}

static uint32_t parse_ipv4(const char *name, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, PROG ": %s: '%s' is not an IPv4 address (see --help)\n", name, s);
		exit(EXIT_USAGE);
	}
	return ntohl(a.s_addr);
}

static void parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	uint64_t plen;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
		die_usage("--src-net: '%s' is not A.B.C.D/P", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	plen = parse_u64("--src-net prefix length", slash + 1, 8, 30);
	*mask = plen == 0 ? 0 : ~0u << (32 - plen);
	*net = parse_ipv4("--src-net", buf) & *mask;
}

static void parse_sizes(const char *s, struct opts *o)
{
	char buf[512], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		die_usage("--sizes: '%s' is too long", s);
	strcpy(buf, s);
	o->n_sizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_sizes == MAX_SIZES)
			die_usage("--sizes: more than 64 sizes in '%s'", s);
		o->sizes[o->n_sizes++] = (uint32_t)parse_u64("--sizes", tok, 1, MAX_UDP_PAYLOAD);
	}
	if (o->n_sizes == 0)
		die_usage("--sizes: no size in '%s'", s);
}

/* xorshift64*: reproducible bytes from --seed, not cryptographic. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 32);
}

/* ---- frames ------------------------------------------------------------ */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Ethernet, IPv4 and UDP around len payload bytes already at f + HDRS.
 * Returns the frame length, padded to MIN_FRAME. */
static size_t frame_wrap(uint8_t *f, const struct opts *o, uint32_t src_ip, uint16_t src_port,
			 size_t len, uint16_t ip_id)
{
	uint8_t *ip = f + ETH_LEN, *udp = ip + IP_LEN;
	uint8_t ph[12];
	size_t n = HDRS + len;

	memcpy(f, o->dst_mac, 6);
	memcpy(f + 6, o->src_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint32_t)(IP_LEN + UDP_LEN + len));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000); /* DF: no fragments, ever */
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	put32(ip + 12, src_ip);
	put32(ip + 16, o->dst_ip);
	put16(ip + 10, fold(sum16(ip, IP_LEN, 0)));
	put16(udp, src_port);
	put16(udp + 2, o->dst_port);
	put16(udp + 4, (uint32_t)(UDP_LEN + len));
	put16(udp + 6, 0);
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, (uint32_t)(UDP_LEN + len));
	uint16_t c = fold(sum16(udp, UDP_LEN + len, sum16(ph, sizeof(ph), 0)));
	put16(udp + 6, c == 0 ? 0xffff : c); /* 0 would mean "no checksum" */
	if (n < MIN_FRAME) {
		memset(f + n, 0, MIN_FRAME - n);
		n = MIN_FRAME;
	}
	return n;
}

/* Client c's address and port: hosts of --src-net in order, then the next
 * port once they run out. */
static void client_addr(const struct opts *o, uint64_t c, uint32_t *ip, uint16_t *port)
{
	uint32_t hosts = ~o->src_mask - 1; /* without the first and last address */
	bool skip = (o->dst_ip & o->src_mask) == o->src_net;
	uint32_t usable = hosts - (skip ? 1 : 0);
	uint32_t h = (uint32_t)(c % usable) + 1;

	if (skip && o->src_net + h >= o->dst_ip)
		h++;
	*ip = o->src_net + h;
	*port = (uint16_t)(o->src_port + c / usable);
}

/* ---- pcap -------------------------------------------------------------- */

struct pcap_out {
	FILE *f;
	const char *path;
	uint64_t frames;
	uint64_t min_len, max_len, bytes;
};

static int pcap_open(struct pcap_out *p, const char *path)
{
	uint8_t h[24];
	uint32_t magic = 0xa1b2c3d4u, snap = 65535u, link = 1u; /* Ethernet */
	uint16_t major = 2, minor = 4;
	int32_t zone = 0;
	uint32_t sigfigs = 0;

	memset(p, 0, sizeof(*p));
	p->path = path;
	p->min_len = UINT64_MAX;
	p->f = fopen(path, "wb");
	if (p->f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* the native byte order: the magic number tells readers which */
	memcpy(h, &magic, 4);
	memcpy(h + 4, &major, 2);
	memcpy(h + 6, &minor, 2);
	memcpy(h + 8, &zone, 4);
	memcpy(h + 12, &sigfigs, 4);
	memcpy(h + 16, &snap, 4);
	memcpy(h + 20, &link, 4);
	if (fwrite(h, sizeof(h), 1, p->f) != 1) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int pcap_put(struct pcap_out *p, const uint8_t *frame, size_t len)
{
	uint32_t r[4] = {
		PCAP_T0 + (uint32_t)(p->frames / 1000000u), (uint32_t)(p->frames % 1000000u),
		(uint32_t)len, (uint32_t)len,
	};

	if (fwrite(r, sizeof(r), 1, p->f) != 1 || fwrite(frame, len, 1, p->f) != 1) {
		fprintf(stderr, PROG ": %s: %s\n", p->path, strerror(errno));
		return -1;
	}
	p->frames++;
	p->bytes += len;
	if (len < p->min_len)
		p->min_len = len;
	if (len > p->max_len)
		p->max_len = len;
	return 0;
}

static int pcap_close(struct pcap_out *p)
{
	int rc = fclose(p->f);

	p->f = NULL;
	if (rc != 0) {
		fprintf(stderr, PROG ": %s: %s\n", p->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- expected counters --------------------------------------------------- */

struct expect {
	const char *name[HY_R_COUNT + 32];
	uint64_t value[HY_R_COUNT + 32];
	unsigned n;
	char reason_names[HY_R_COUNT][48];
};

static void expect_add(struct expect *x, const char *name, uint64_t v)
{
	for (unsigned i = 0; i < x->n; i++) {
		if (strcmp(x->name[i], name) == 0) {
			x->value[i] += v;
			return;
		}
	}
	x->name[x->n] = name;
	x->value[x->n++] = v;
}

static void expect_drop(struct expect *x, enum hy_reason r)
{
	snprintf(x->reason_names[r], sizeof(x->reason_names[r]), "drop.%s", hy_reason_name(r));
	expect_add(x, x->reason_names[r], 1);
}

static int expect_write(const struct expect *x, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < x->n; i++)
		fprintf(f, "%s %" PRIu64 "\n", x->name[i], x->value[i]);
	if (fclose(f) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- garbage ------------------------------------------------------------- */

/* What the session engine makes of payload p (docs/architecture.md, "Per
 * datagram, in order"), as far as it is decided before any session or
 * token: the reason it drops it for, or OK when that takes a token. */
static enum hy_reason garbage_reason(const uint8_t *p, size_t len)
{
	enum hy_pkt_type type;
	enum hy_reason r;

	if (len > HY_MAX_DATAGRAM)
		return HY_R_OVERSIZED;
	r = hy_pkt_classify(p, len, &type);
	if (r != HY_R_OK)
		return r;
	switch (type) {
	case HY_PKT_CONNECT:
	case HY_PKT_RESPONSE: {
		struct hy_pkt_connect c;

		return hy_pkt_connect_decode(p, len, &c); /* OK: a token to open */
	}
	case HY_PKT_DATA:
	case HY_PKT_DISCONNECT: {
		struct hy_pkt_header h;

		r = hy_pkt_header_decode(p, len, &h);
		return r != HY_R_OK ? r : HY_R_UNKNOWN_SESSION;
	}
	default:
		return HY_R_BAD_TYPE; /* CHALLENGE, ACCEPT, DENY: node to client only */
	}
}

/* One garbage payload of variant v and requested size into p; returns its
 * length. */
static size_t garbage_payload(enum variant v, uint32_t size, uint8_t *p)
{
	size_t len = size;

	switch (v) {
	case V_BAD_PREFIX:
		rng_fill(p, len);
		/* any version nibble but ours */
		p[0] = (uint8_t)((((1u + (uint32_t)(rng() >> 40) % 15u + HY_PROTO_VERSION) % 16u) << 4) |
				 (p[0] & 0x0fu));
		break;
	case V_TRUNCATED:
		if (len > HY_DATA_MIN_PKT_LEN - 1)
			len = HY_DATA_MIN_PKT_LEN - 1;
		rng_fill(p, len);
		p[0] = hy_pkt_prefix(HY_PKT_DATA);
		break;
	case V_UNKNOWN_SESSION: {
		uint64_t sid;

		if (len < HY_DATA_MIN_PKT_LEN)
			len = HY_DATA_MIN_PKT_LEN;
		rng_fill(p, len);
		p[0] = hy_pkt_prefix(HY_PKT_DATA);
		do
			sid = rng();
		while (sid == 0);
		for (unsigned i = 0; i < 8; i++)
			p[1 + i] = (uint8_t)(sid >> (56 - 8 * i));
		break;
	}
	case V_RANDOM:
	default:
		rng_fill(p, len);
		break;
	}
	return len;
}

static int gen_garbage(const struct opts *o, struct pcap_out *pc, struct expect *x)
{
	static uint8_t f[HDRS + MAX_UDP_PAYLOAD + MIN_FRAME];
	uint8_t *p = f + HDRS;
	uint64_t k;

	rng_state = 0x9e3779b97f4a7c15ull ^ o->seed;
	for (uint32_t pass = 0; pass < o->repeat; pass++) {
		for (k = 0; k < o->count; k++) {
			enum variant v = o->variant == V_MIX ? (enum variant)(k % V_MIX) : o->variant;
			/* under mix, each variant goes through every size */
			uint32_t size = o->sizes[(o->variant == V_MIX ? k / V_MIX : k) % o->n_sizes];
			uint32_t ip;
			uint16_t port;
			size_t len;
			enum hy_reason r;

			/* the same frames on every pass */
			if (k == 0)
				rng_state = 0x9e3779b97f4a7c15ull ^ o->seed;
			/* random bytes that happen to make a CONNECT with zero padding
			 * would need a token: draw again (it never happens) */
			do {
				len = garbage_payload(v, size, p);
				r = garbage_reason(p, len);
			} while (r == HY_R_OK);
			client_addr(o, k % o->flows, &ip, &port);
			if (pcap_put(pc, f, frame_wrap(f, o, ip, port, len, (uint16_t)k)) != 0)
				return -1;
			expect_drop(x, r);
		}
	}
	expect_add(x, "rx_packets", pc->frames);
	expect_add(x, "udp_in", pc->frames);
	expect_add(x, "drops", pc->frames);
	expect_add(x, "tx_packets", 0);
	expect_add(x, "engine_replies", 0);
	return 0;
}

/* ---- valid --------------------------------------------------------------- */

/* The cluster key bench sessions are derived from: the lowest id in the
 * file, as the data plane takes it. */
static int load_key(const char *path, struct hy_aead_ctx *key, unsigned *key_id)
{
	struct hy_keyring *ring = calloc(1, sizeof(*ring));
	char err[512];
	unsigned id;
	int rc = -1;

	if (ring == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	if (hy_keyfile_load(path, ring, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	for (id = 0; id < HY_KEYRING_IDS && !ring->present[id]; id++)
		;
	if (id == HY_KEYRING_IDS || hy_aead_key_init(key, HY_AEAD_OPENSSL, ring->key[id]) != 0) {
		fprintf(stderr, PROG ": %s: no usable key\n", path);
		goto out;
	}
	*key_id = id;
	rc = 0;
out:
	hy_keyring_wipe(ring);
	free(ring);
	return rc;
}

/* The DATA plaintext of packet k: one UNRELIABLE frame with an ECHO (the
 * client time is k) or a BROADCAST of payload bytes. */
static size_t valid_plaintext(const struct opts *o, int command, uint64_t k, uint8_t *pt,
			      size_t cap)
{
	uint8_t msg[HY_MSG_CMD_HDR + 1 + HY_ROOM_DATA_MAX], body[1 + HY_ROOM_DATA_MAX];
	uint8_t data[HY_ROOM_DATA_MAX];
	size_t mlen, blen;
	struct hy_wr w;

	if (command == CMD_ECHO) {
		blen = hy_echo_req_encode(body, sizeof(body), k);
		mlen = hy_msg_cmd_encode(msg, sizeof(msg), HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, body,
					 blen);
	} else {
		struct hy_rm_data d = {.flags = 0, .data = data, .data_len = o->payload};

		for (uint32_t i = 0; i < o->payload; i++)
			data[i] = (uint8_t)(k + i);
		blen = hy_rm_broadcast_encode(body, sizeof(body), &d);
		mlen = blen ? hy_msg_cmd_encode(msg, sizeof(msg), HY_MODULES_VER,
						HY_CMD_ROOM_BROADCAST, body, blen) : 0;
	}
	if (mlen == 0)
		return 0;
	hy_wr_init(&w, pt, cap);
	return hy_frame_put_unreliable(&w, msg, mlen) ? w.off : 0;
}

/* Writes packet number pn of bench session i carrying command (packet k of
 * the pass: the ECHO's time, the BROADCAST's bytes).  Returns 0 or -1. */
static int put_valid(const struct opts *o, struct pcap_out *pc, const struct hy_aead_ctx *cluster,
		     uint32_t i, int command, uint64_t k, uint64_t pn)
{
	static uint8_t f[HDRS + MAX_UDP_PAYLOAD + MIN_FRAME];
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_engine_bench_session b;
	struct hy_aead_ctx c2s;
	size_t ptlen = valid_plaintext(o, command, k, pt, sizeof(pt)), len = 0;
	uint32_t ip;
	uint16_t port;
	int rc;

	/* derived again for every packet: a key per session would take a
	 * kilobyte each, and this costs a microsecond */
	if (ptlen != 0 && hy_engine_bench_derive(cluster, o->seed, i, &b) == 0 &&
	    hy_aead_key_init(&c2s, HY_AEAD_OPENSSL, b.c2s_key) == 0)
		len = hy_pkt_seal(&c2s, HY_PKT_DATA, b.sid, pn, pt, ptlen, f + HDRS,
				  MAX_UDP_PAYLOAD);
	explicit_bzero(&b, sizeof(b));
	if (len == 0) {
		fprintf(stderr, PROG ": sealing packet %" PRIu64 " of session %" PRIu32 " failed\n",
			k, i);
		return -1;
	}
	client_addr(o, i, &ip, &port);
	rc = pcap_put(pc, f, frame_wrap(f, o, ip, port, len, (uint16_t)k));
	hy_aead_key_wipe(&c2s);
	return rc;
}

/*
 * The valid capture: --count packets over --sessions sessions in turn,
 * the whole written --repeat times.  With rooms, one ECHO per session comes
 * first: the node learns every member's address before any broadcast, so
 * every push goes out, whether the node relays a datagram's pushes at once
 * or with the rest of its rx burst (the ECHOs' packet number is 0, the
 * broadcasts' start at 1, so the first pass replays nothing).
 */
static int gen_valid(const struct opts *o, struct pcap_out *pc, struct expect *x)
{
	struct hy_aead_ctx cluster;
	uint64_t k, pushes = 0, prologue = 0;
	uint32_t n = o->sessions, room = o->room_size;
	bool relay = o->command == CMD_BROADCAST && room != 0;
	unsigned key_id;
	int rc = -1;

	if (load_key(o->key_file, &cluster, &key_id) != 0)
		return -1;
	for (uint32_t i = 0; relay && i < n; i++, prologue++)
		if (put_valid(o, pc, &cluster, i, CMD_ECHO, i, 0) != 0)
			goto out;
	for (uint32_t pass = 0; pass < o->repeat; pass++) {
		for (k = 0; k < o->count; k++) {
			uint32_t i = (uint32_t)(k % n);

			if (put_valid(o, pc, &cluster, i, o->command, k, k / n + relay) != 0)
				goto out;
			if (relay) { /* a push to every other member of i's room */
				uint32_t first = i / room * room;

				pushes += (first + room < n ? room : n - first) - 1;
			}
		}
	}
	expect_add(x, "rx_packets", pc->frames);
	expect_add(x, "udp_in", pc->frames);
	expect_add(x, "drops", 0);
	expect_add(x, "auth_failures", 0);
	expect_add(x, "replays", 0);
	expect_add(x, "bench_replays_accepted", pc->frames - prologue - o->count);
	/* the first packet of each session that sends one teaches its address */
	expect_add(x, "rebinds", relay || n < o->count ? n : o->count);
	if (o->command == CMD_ECHO) {
		expect_add(x, "echoes", pc->frames);
		expect_add(x, "engine_replies", pc->frames);
		expect_add(x, "tx_packets", pc->frames);
	} else if (relay) {
		expect_add(x, "echoes", prologue);
		expect_add(x, "relay_broadcasts", pc->frames - prologue);
		expect_add(x, "engine_replies", pc->frames);
		expect_add(x, "relay_pushes", pushes);
		expect_add(x, "relay_push_failed", 0);
		expect_add(x, "tx_packets", pc->frames + pushes);
	} else {
		/* in no room: the relay leaves it to the control plane */
		expect_add(x, "commands", pc->frames);
		expect_add(x, "engine_replies", 0);
		expect_add(x, "tx_packets", 0);
	}
	printf(PROG ": %u bench sessions from key id %u of %s, seed %" PRIu32 "\n", n, key_id,
	       o->key_file, o->seed);
	rc = 0;
out:
	hy_aead_key_wipe(&cluster);
	return rc;
}

/* ---- options --------------------------------------------------------------- */

enum {
	OPT_DST_MAC = 256, OPT_SRC_MAC, OPT_CONFIG, OPT_DST_IP, OPT_DST_PORT, OPT_SRC_NET,
	OPT_SRC_PORT, OPT_COUNT, OPT_REPEAT, OPT_EXPECT, OPT_VARIANT, OPT_SIZES, OPT_FLOWS,
	OPT_SEED, OPT_KEY_FILE, OPT_SESSIONS, OPT_COMMAND, OPT_PAYLOAD, OPT_ROOM_SIZE,
};

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"dst-mac", required_argument, NULL, OPT_DST_MAC},
		{"src-mac", required_argument, NULL, OPT_SRC_MAC},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"dst-ip", required_argument, NULL, OPT_DST_IP},
		{"dst-port", required_argument, NULL, OPT_DST_PORT},
		{"src-net", required_argument, NULL, OPT_SRC_NET},
		{"src-port", required_argument, NULL, OPT_SRC_PORT},
		{"count", required_argument, NULL, OPT_COUNT},
		{"repeat", required_argument, NULL, OPT_REPEAT},
		{"expect", required_argument, NULL, OPT_EXPECT},
		{"variant", required_argument, NULL, OPT_VARIANT},
		{"sizes", required_argument, NULL, OPT_SIZES},
		{"flows", required_argument, NULL, OPT_FLOWS},
		{"seed", required_argument, NULL, OPT_SEED},
		{"key-file", required_argument, NULL, OPT_KEY_FILE},
		{"sessions", required_argument, NULL, OPT_SESSIONS},
		{"command", required_argument, NULL, OPT_COMMAND},
		{"payload", required_argument, NULL, OPT_PAYLOAD},
		{"room-size", required_argument, NULL, OPT_ROOM_SIZE},
		{NULL, 0, NULL, 0},
	};
	static const uint8_t default_src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	bool garbage_only = false, valid_only = false, payload_set = false;
	const char *bad_for_mode = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	memcpy(o->src_mac, default_src_mac, 6);
	o->dst_ip = 0xc6120001u; /* 198.18.0.1 */
	o->dst_port = 7100;
	parse_net("198.18.0.0/15", &o->src_net, &o->src_mask);
	o->src_port = 10000;
	o->flows = 256;
	o->sizes[0] = 64;
	o->n_sizes = 1;
	o->variant = V_MIX;
	o->payload = 64;
	o->repeat = 1;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		exit(0);
	}
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, PROG ": first argument: the mode, garbage or valid (see --help)\n");
		exit(EXIT_USAGE);
	}
	if (strcmp(argv[1], "garbage") == 0)
		o->mode = MODE_GARBAGE;
	else if (strcmp(argv[1], "valid") == 0)
		o->mode = MODE_VALID;
	else
		die_usage("unknown mode '%s': garbage or valid", argv[1]);

	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'h': usage(stdout); exit(0);
		case OPT_DST_MAC: parse_mac("--dst-mac", optarg, o->dst_mac); o->have_dst_mac = true; break;
		case OPT_SRC_MAC: parse_mac("--src-mac", optarg, o->src_mac); break;
		case OPT_CONFIG: o->config = optarg; break;
		case OPT_DST_IP: o->dst_ip = parse_ipv4("--dst-ip", optarg); o->have_dst_ip = true; break;
		case OPT_DST_PORT:
			o->dst_port = (uint16_t)parse_u64("--dst-port", optarg, 1, 65535);
			o->have_dst_port = true;
			break;
		case OPT_SRC_NET: parse_net(optarg, &o->src_net, &o->src_mask); break;
		case OPT_SRC_PORT: o->src_port = (uint16_t)parse_u64("--src-port", optarg, 1, 65535); break;
		case OPT_COUNT:
			o->count = parse_u64("--count", optarg, 1, 100000000);
			o->have_count = true;
			break;
		case OPT_REPEAT: o->repeat = (uint32_t)parse_u64("--repeat", optarg, 1, 1000); break;
		case OPT_EXPECT: o->expect = optarg; break;
		case OPT_VARIANT: {
			unsigned v;

			for (v = 0; v < V_COUNT && strcmp(optarg, variant_names[v]) != 0; v++)
				;
			if (v == V_COUNT)
				die_usage("--variant: '%s' is not random, bad-prefix, truncated, "
					  "unknown-session or mix", optarg);
			o->variant = (enum variant)v;
			garbage_only = true;
			bad_for_mode = "--variant";
			break;
		}
		case OPT_SIZES: parse_sizes(optarg, o); garbage_only = true; bad_for_mode = "--sizes"; break;
		case OPT_FLOWS:
			o->flows = (uint32_t)parse_u64("--flows", optarg, 1, 16777216);
			garbage_only = true;
			bad_for_mode = "--flows";
			break;
		case OPT_SEED:
			o->seed = (uint32_t)parse_u64("--seed", optarg, 0, UINT32_MAX);
			o->have_seed = true;
			break;
		case OPT_KEY_FILE: o->key_file = optarg; valid_only = true; bad_for_mode = "--key-file"; break;
		case OPT_SESSIONS:
			o->sessions = (uint32_t)parse_u64("--sessions", optarg, 1, HY_ENGINE_MAX_SESSIONS);
			o->have_sessions = true;
			valid_only = true;
			bad_for_mode = "--sessions";
			break;
		case OPT_COMMAND:
			if (strcmp(optarg, "echo") == 0)
				o->command = CMD_ECHO;
			else if (strcmp(optarg, "broadcast") == 0)
				o->command = CMD_BROADCAST;
			else
				die_usage("--command: '%s' is not echo or broadcast", optarg);
			valid_only = true;
			bad_for_mode = "--command";
			break;
		case OPT_PAYLOAD:
			o->payload = (uint32_t)parse_u64("--payload", optarg, 0, HY_ROOM_DATA_MAX);
			payload_set = true;
			valid_only = true;
			bad_for_mode = "--payload";
			break;
		case OPT_ROOM_SIZE:
			o->room_size = (uint32_t)parse_u64("--room-size", optarg, 0, 1024);
			o->have_room_size = true;
			valid_only = true;
			bad_for_mode = "--room-size";
			break;
		default:
			die_usage("bad option '%s'", argv[optind - 1]);
		}
		if ((garbage_only && o->mode != MODE_GARBAGE) || (valid_only && o->mode != MODE_VALID)) {
			fprintf(stderr, PROG ": %s is not an option of %s mode (see --help)\n",
				bad_for_mode, o->mode == MODE_VALID ? "valid" : "garbage");
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->out == NULL)
		die_usage("%s: -o FILE.pcap is required", argv[1]);
	if (!o->have_dst_mac)
		die_usage("%s: --dst-mac is required: the MAC of the node's port (ip link "
			  "before the port is bound to DPDK, or the \"ports:\" line of "
			  "hayate-dataplane's log)", argv[1]);
	if (payload_set && o->command == CMD_ECHO)
		die_usage("--payload: %s", "an ECHO's payload is 8 bytes by the protocol; "
			  "--payload is for --command broadcast");
	if (o->mode == MODE_GARBAGE && !o->have_seed)
		o->seed = 1;
}

/* Defaults from the node's own config, under what the command line set. */
static void apply_config(struct opts *o)
{
	static struct hy_node_config node;
	static char key_file[HY_CONF_PATH_MAX];
	struct hy_conf_error err;
	char line[1024];

	if (o->config == NULL)
		return;
	if (hy_conf_node_load(o->config, &node, &err) != 0) {
		fprintf(stderr, PROG ": --config: %s\n", hy_conf_error_format(&err, line, sizeof(line)));
		exit(EXIT_USAGE);
	}
	if (node.dataplane.nb_ports == 0) {
		fprintf(stderr, PROG ": --config: %s has no dataplane.ports\n", o->config);
		exit(EXIT_USAGE);
	}
	if (!o->have_dst_ip)
		o->dst_ip = ntohl(node.dataplane.ports[0].ipv4.v4.s_addr);
	if (!o->have_dst_port)
		o->dst_port = node.dataplane.ports[0].udp_port;
	if (o->mode != MODE_VALID)
		return;
	if (o->key_file == NULL) {
		snprintf(key_file, sizeof(key_file), "%s", node.paths.cluster_key_file);
		o->key_file = key_file;
	}
	if (!o->have_seed)
		o->seed = node.dataplane.bench.seed;
	if (!o->have_room_size)
		o->room_size = node.dataplane.bench.room_size;
	if (!o->have_sessions && node.dataplane.bench.sessions != 0) {
		o->sessions = node.dataplane.bench.sessions;
		o->have_sessions = true;
	}
	if (o->have_sessions && o->sessions > node.dataplane.bench.sessions) {
		fprintf(stderr, PROG ": --sessions %u: %s has dataplane.bench.sessions = %u; the "
			"node has no bench session beyond it\n", o->sessions, o->config,
			node.dataplane.bench.sessions);
		exit(EXIT_USAGE);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct pcap_out pc;
	static struct expect x;
	int rc;

	parse(argc, argv, &o);
	apply_config(&o);
	if (o.mode == MODE_VALID) {
		if (o.key_file == NULL)
			die_usage("%s", "valid: --key-file FILE (or --config FILE) is required");
		if (!o.have_sessions)
			die_usage("%s", "valid: --sessions N is required (or --config FILE with "
				  "dataplane.bench.sessions)");
		if (!o.have_count)
			o.count = o.sessions;
	} else if (!o.have_count) {
		o.count = 1024;
	}
	if ((o.dst_ip & 0xff000000u) == 0 || (o.dst_ip >> 24) == 127 || (o.dst_ip >> 28) >= 0xe)
		die_usage("--dst-ip: %s is not a unicast host address", "the node's address");
	/* clients beyond the network's addresses take the next ports: they
	 * must not run past 65535 (a zero source port is dropped) */
	uint64_t clients = o.mode == MODE_VALID ? o.sessions : o.flows;
	uint32_t usable = ~o.src_mask - 1 - ((o.dst_ip & o.src_mask) == o.src_net);

	if (o.src_port + (clients - 1) / usable > 65535) {
		fprintf(stderr, PROG ": %" PRIu64 " clients do not fit --src-net (%u addresses) "
			"from --src-port %u: take a larger network or a lower port (see --help)\n",
			clients, usable, o.src_port);
		return EXIT_USAGE;
	}
	if (pcap_open(&pc, o.out) != 0)
		return 1;
	rc = o.mode == MODE_GARBAGE ? gen_garbage(&o, &pc, &x) : gen_valid(&o, &pc, &x);
	if (pcap_close(&pc) != 0 || rc != 0) {
		remove(o.out);
		return 1;
	}
	if (o.expect != NULL && expect_write(&x, o.expect) != 0)
		return 1;

	char ip[INET_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(o.dst_ip)};

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	printf(PROG ": %s: %" PRIu64 " frames of %" PRIu64 " to %" PRIu64
	       " bytes (%" PRIu64 " to %" PRIu64 " on the wire with the FCS), average %.1f, "
	       "to %s:%u\n", o.out, pc.frames, pc.min_len, pc.max_len, pc.min_len + 4,
	       pc.max_len + 4, (double)pc.bytes / (double)pc.frames, ip, o.dst_port);
	printf(PROG ": the node's counters after one pass of the file (hayate-dpstat):\n");
	for (unsigned i = 0; i < x.n; i++)
		printf("  %-24s %" PRIu64 "\n", x.name[i], x.value[i]);
	if (o.mode == MODE_VALID && o.command == CMD_BROADCAST && o.room_size == 0)
		printf(PROG ": broadcast without --room-size: no relay figures expected; a bench "
		       "session in no room has its BROADCAST passed up to the control plane\n");
	return 0;
}
