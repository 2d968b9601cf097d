/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-loadgen: many game clients at once on one DPDK port (a memif pair
 * against the gateway on a development machine, a NIC on bare metal), for
 * the performance kit (perf/bench, docs/performance.md).
 *
 *   --mode relay    N sessions (tokens minted with the cluster key, or
 *                   tickets fetched over HTTP; the full cookie handshake),
 *                   rooms of K (CREATE and JOIN through the node, so the
 *                   control plane must run), then every session broadcasts
 *                   S bytes, unreliably or (--reliable) on its reliable
 *                   channel, at --rate (0: as fast as it can) for
 *                   --seconds; the members' pushes are
 *                   opened (with --quiet --open-every N, one in N; the
 *                   others counted by header) and their latency read from
 *                   the timestamp the sender put in the data.
 *   --mode connect  a connect storm: N fresh tokens, CONNECT, CHALLENGE,
 *                   RESPONSE, ACCEPT, as fast as the node answers.
 *   --mode flood    frames of S bytes of garbage to the node's UDP port (or
 *                   to anything that forwards them, e.g. dpdk-testpmd) as
 *                   fast as the port takes them; counts what comes back.
 *   --mode reflect  the relay's traffic without a node: N sessions of
 *                   their own (no handshake, no rooms; a random key when no
 *                   --key-file) broadcast as in relay mode into a reflector
 *                   that swaps the addresses (dpdk-testpmd
 *                   --forward-mode=5tswap), and each broadcast that comes
 *                   back is opened and timed: the latency of the generator
 *                   and the port alone, the baseline of relay mode's.
 *
 * One lcore does everything (run to completion: tx burst, rx burst, open,
 * account).  Its own limits are printed with the figures: the turns the
 * port was full (the node did not take more; nothing is sealed until the
 * refused frames are sent) and the share of loop time it spent sealing, so
 * a reader can tell when the generator, not the node, is the bottleneck
 * (its ceiling: docs/performance.md, "The generator's own ceiling").
 * Output: "interval ..." lines, then one "BENCH ..." line per figure
 * (medians over the intervals).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "lg_client.h"

#include "hayate_client.h"

#include "bench_median.h"
#include "cli_num.h"
#include "common/wire.h"
#include "crypto/keyfile.h"
#include "crypto/random.h"
#include "proto/limits.h"
#include "proto/message.h"
#include "proto/room_msg.h"
#include "memory.h"

#define PROG "hayate-loadgen"
#define BURST 32u
#define MAX_INTERVALS 64u
#define HIST_BUCKETS (64u * 16u)
#define RESEND_MS 300u
/* --reliable: broadcasts of one client whose pushes have not all arrived,
 * at most (a TCP-like window, end to end).  The node keeps a member's
 * reliable pushes until that member acknowledges them and closes a
 * member it holds too many for as a slow consumer; a generator that
 * offered more than it takes in would be closed so.  Half the protocol's
 * window of 64 units, so a member's pushes from one sender fit in it. */
#define RELIABLE_IN_FLIGHT 32u
/* The stamp at the head of a relay broadcast's data (--payload, at least
 * STAMP_LEN bytes): the send time (TSC), the client's broadcast count and
 * its index, for the latency and the --reliable window.  A push carries
 * it after the room id and the sender's sid (PUSH_DATA_OFF). */
#define STAMP_TSC 0u
#define STAMP_SEQ 8u
#define STAMP_FROM 12u
#define STAMP_LEN 16u
#define PUSH_DATA_OFF 16u

enum mode { MODE_RELAY, MODE_CONNECT, MODE_FLOOD, MODE_REFLECT };

struct opts {
	enum mode mode;
	unsigned sessions;
	unsigned room_size;
	unsigned payload;      /* broadcast data / flood UDP payload bytes */
	double rate;           /* packets/s offered, 0: as fast as possible */
	double seconds;
	unsigned interval_ms;
	const char *key_file;
	const char *http;      /* fetch tickets: POST http/v1/auth (instead of key_file) */
	const char *app_key;   /* ... with this app key */
	uint32_t node_id;
	struct in_addr node_ip, client_ip;
	uint16_t node_port;
	struct rte_ether_addr node_mac;
	bool node_mac_given;
	unsigned window;       /* connect: handshakes in flight */
	unsigned warmup;       /* connect: CONNECTs before the clock starts */
	const char *latency_out; /* relay: the run's latency distribution, "percentile us" lines */
	bool quiet;            /* relay: broadcasts ask for no answer */
	bool reliable;         /* relay: broadcasts on the reliable channel */
	unsigned open_every;   /* relay, quiet: open one push in this many (1: all) */
};

/* Log-linear latency histogram: 16 sub-buckets per power of two of ns. */
struct hist {
	uint64_t n;
	uint64_t b[HIST_BUCKETS];
};

static void hist_add(struct hist *h, uint64_t ns)
{
	unsigned e = ns < 16 ? 0 : 63u - (unsigned)__builtin_clzll(ns) - 3u;
	unsigned sub = (unsigned)(ns >> e) & 15u;
	unsigned i = e * 16u + sub;

	h->b[i < HIST_BUCKETS ? i : HIST_BUCKETS - 1]++;
	h->n++;
}

static double hist_pct(const struct hist *h, double p)
{
	uint64_t want = (uint64_t)(p * (double)h->n), seen = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want && h->b[i] != 0)
			return (double)((uint64_t)(i % 16u) << (i / 16u)); /* the bucket's floor */
	}
	return 0;
}

struct gen {
	struct opts o;
	uint16_t port;
	bool port_up;          /* started: stopped before EAL cleans up */
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	struct lg_client *cl;
	uint64_t hz;
	/* counters of the current interval and of the run */
	uint64_t tx, tx_refused, rx, rx_bad, rx_other, pushes, answers, accepts, denies;
	uint64_t challenges;
	uint64_t seal_tsc;
	uint64_t opened;       /* pushes opened (the others counted by header) */
	unsigned open_ctr;
	unsigned push_len;     /* UDP payload bytes of the last push received */
	uint64_t window_full;  /* relay --reliable: turns a client's window was full */
	uint64_t flushes;      /* ... and it sent only resends (not offered load) */
	/* The clients' reliable channels: one env, blocks from one pool. */
	struct hy_rudp_env rudp_env;
	struct hy_rudp_pool rudp_pool;
	void *rudp_region;
	bool traffic;          /* the relay's traffic phase: pushes may go unopened */
	/* Sealed frames the port refused, sent before any new one is sealed:
	 * a refused frame costs no seal twice and is never lost. */
	struct rte_mbuf *backlog[BURST];
	unsigned n_backlog;
	/* Handshakes in flight (connect_all), compact so that a turn's scan
	 * stays in L1 instead of touching every 2.5 KB client: on_event keeps
	 * each entry's state in step with its client's. */
	struct fly {
		unsigned i;
		uint8_t state;
		uint64_t last_tx_tsc;
	} *fly;
	unsigned n_fly;
	struct hist lat;
	struct hist lat_run;   /* every interval but the warm-up */
	unsigned rooms_made, joined;
};

static volatile sig_atomic_t stop;

/* The reliable channel's clock: microseconds of the TSC. */
static uint64_t now_us(const struct gen *g, uint64_t tsc)
{
	return tsc / (g->hz / 1000000u);
}

static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

/* ---- frames ------------------------------------------------------------- */

static struct in_addr client_addr(const struct gen *g, unsigned i)
{
	struct in_addr a = {
		.s_addr = htonl(ntohl(g->o.client_ip.s_addr) + i / LG_PORTS_PER_IP)};

	return a;
}

static uint16_t client_port(unsigned i)
{
	return (uint16_t)(LG_PORT_BASE + i % LG_PORTS_PER_IP);
}

/* An Ethernet/IPv4/UDP frame from client i (or from port 9 of the client
 * address when i is ~0) with len bytes of payload at p. */
static struct rte_mbuf *frame(struct gen *g, unsigned i, const void *p, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	size_t hl = sizeof(*eth) + sizeof(*ip) + sizeof(*udp);

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(hl + len));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	rte_ether_addr_copy(&g->o.node_mac, &eth->dst_addr);
	rte_ether_addr_copy(&g->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = client_addr(g, i == ~0u ? 0 : i).s_addr;
	ip->dst_addr = g->o.node_ip.s_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(i == ~0u ? 9 : client_port(i));
	udp->dst_port = rte_cpu_to_be_16(g->o.node_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	udp->dgram_cksum = 0; /* optional in IPv4; the AEAD tag covers the payload */
	memcpy(udp + 1, p, len);
	return m;
}

static void send_burst(struct gen *g, struct rte_mbuf **m, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		uint16_t k = rte_eth_tx_burst(g->port, 0, m + sent, (uint16_t)(n - sent));

		if (k == 0) {
			/* the port is full: the generator offers no more than this */
			g->tx_refused += n - sent;
			rte_pktmbuf_free_bulk(m + sent, n - sent);
			break;
		}
		sent += k;
	}
	g->tx += sent;
}

/* Relay traffic: sends the backlog, then n frames; what the port refuses
 * stays in the backlog (at most BURST frames: new ones are only built when
 * the backlog is empty).  Returns false while the backlog is not empty. */
static bool send_keep(struct gen *g, struct rte_mbuf **m, unsigned n)
{
	unsigned sent;

	if (g->n_backlog > 0) {
		sent = rte_eth_tx_burst(g->port, 0, g->backlog, (uint16_t)g->n_backlog);
		g->tx += sent;
		memmove(g->backlog, g->backlog + sent, (g->n_backlog - sent) * sizeof(*m));
		g->n_backlog -= sent;
		if (g->n_backlog > 0) {
			g->tx_refused++;
			return false;
		}
	}
	if (n == 0)
		return true;
	sent = rte_eth_tx_burst(g->port, 0, m, (uint16_t)n);
	g->tx += sent;
	if (sent < n) {
		g->tx_refused++;
		memcpy(g->backlog, m + sent, (n - sent) * sizeof(*m));
		g->n_backlog = n - sent;
		return false;
	}
	return true;
}

/* The client a frame is for, and its UDP payload; -1 if not ours. */
static int parse(struct gen *g, struct rte_mbuf *m, uint8_t **payload, size_t *len)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t off;
	unsigned i;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return -1;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	if (ip->next_proto_id != IPPROTO_UDP)
		return -1;
	udp = (struct rte_udp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
	off = ntohl(ip->dst_addr) - ntohl(g->o.client_ip.s_addr);
	i = off * LG_PORTS_PER_IP + (rte_be_to_cpu_16(udp->dst_port) - LG_PORT_BASE);
	if (rte_be_to_cpu_16(udp->dst_port) < LG_PORT_BASE || i >= g->o.sessions)
		return -1;
	*payload = (uint8_t *)(udp + 1);
	*len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp);
	if ((uint8_t *)*payload + *len > rte_pktmbuf_mtod(m, uint8_t *) + m->data_len)
		return -1;
	return (int)i;
}

/* ---- the node's MAC ---------------------------------------------------------- */

static int resolve_node(struct gen *g)
{
	uint64_t deadline = rte_rdtsc() + 3 * g->hz, next = 0;

	while (rte_rdtsc() < deadline && !stop) {
		struct rte_mbuf *rx[BURST];
		uint16_t n, k;

		if (rte_rdtsc() >= next) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
			struct rte_ether_hdr *eth;
			struct rte_arp_hdr *arp;

			if (m == NULL)
				return -1;
			eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
			arp = (struct rte_arp_hdr *)(eth + 1);
			memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
			rte_ether_addr_copy(&g->mac, &eth->src_addr);
			eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
			arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
			arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
			arp->arp_hlen = RTE_ETHER_ADDR_LEN;
			arp->arp_plen = 4;
			arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
			rte_ether_addr_copy(&g->mac, &arp->arp_data.arp_sha);
			arp->arp_data.arp_sip = g->o.client_ip.s_addr;
			memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
			arp->arp_data.arp_tip = g->o.node_ip.s_addr;
			if (rte_eth_tx_burst(g->port, 0, &m, 1) != 1)
				rte_pktmbuf_free(m);
			next = rte_rdtsc() + g->hz / 5;
		}
		n = rte_eth_rx_burst(g->port, 0, rx, BURST);
		for (k = 0; k < n; k++) {
			struct rte_ether_hdr *eth = rte_pktmbuf_mtod(rx[k], struct rte_ether_hdr *);
			struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

			if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) &&
			    arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) &&
			    arp->arp_data.arp_sip == g->o.node_ip.s_addr) {
				rte_ether_addr_copy(&arp->arp_data.arp_sha, &g->o.node_mac);
				rte_pktmbuf_free_bulk(rx, n);
				return 0;
			}
		}
		rte_pktmbuf_free_bulk(rx, n);
	}
	return -1;
}

/* ---- events ------------------------------------------------------------------ */

/* The in-flight entry of c follows its state (see struct gen). */
static void fly_sync(struct gen *g, const struct lg_client *c)
{
	if (g->fly != NULL && c->fly_slot < g->n_fly && g->fly[c->fly_slot].i == (unsigned)(c - g->cl)) {
		g->fly[c->fly_slot].state = c->state;
		g->fly[c->fly_slot].last_tx_tsc = c->last_tx_tsc;
	}
}

static void on_client_event(struct gen *g, struct lg_client *c, const struct lg_event *ev)
{
	switch (ev->kind) {
	case LG_EV_CHALLENGE:
		g->challenges++;
		if (c->state == LG_CONNECTING) {
			c->state = LG_RESPONDING;
			c->last_tx_tsc = 0; /* send the RESPONSE now */
		}
		break;
	case LG_EV_ACCEPT:
		if (c->state < LG_CONNECTED) {
			c->state = LG_CONNECTED;
			g->accepts++;
		}
		break;
	case LG_EV_DENY:
		c->state = LG_DENIED;
		g->denies++;
		break;
	case LG_EV_MESSAGE:
		if (ev->status == HY_STATUS_PUSH && ev->cmd == HY_CMD_ROOM_BROADCAST &&
		    ev->len >= PUSH_DATA_OFF + STAMP_LEN) {
			uint64_t ts;
			uint32_t from;

			memcpy(&ts, ev->payload + PUSH_DATA_OFF + STAMP_TSC, sizeof(ts));
			memcpy(&from, ev->payload + PUSH_DATA_OFF + STAMP_FROM, sizeof(from));
			hist_add(&g->lat, (rte_rdtsc() - ts) * 1000000000ull / g->hz);
			g->pushes++;
			if (from < g->o.sessions)
				g->cl[from].pushes_back++;
		} else if (ev->cmd == HY_CMD_ROOM_BROADCAST) {
			g->answers++;
		} else if (ev->cmd == HY_CMD_ROOM_CREATE && ev->status == HY_STATUS_OK &&
			   ev->len == 8 && c->waiting) {
			struct hy_rd r;

			hy_rd_init(&r, ev->payload, 8);
			c->room_id = hy_rd_u64(&r);
			c->state = LG_IN_ROOM;
			c->waiting = 0;
			g->rooms_made++;
		} else if (ev->cmd == HY_CMD_ROOM_JOIN && ev->status == HY_STATUS_OK && c->waiting) {
			c->state = LG_IN_ROOM;
			c->waiting = 0;
			g->joined++;
		} else if (ev->status == HY_STATUS_BAD || ev->status == HY_STATUS_ERR) {
			unsigned why = ev->len == 2 ? (unsigned)ev->payload[0] << 8 | ev->payload[1] : 0;

			fprintf(stderr, PROG ": command %u refused: %s\n", ev->cmd,
				ev->len == 2 ? hy_reason_name((enum hy_reason)why) : "?");
			c->waiting = 0;
		}
		break;
	default:
		break;
	}
}

static void on_event(void *arg, struct lg_client *c, const struct lg_event *ev)
{
	struct gen *g = arg;

	on_client_event(g, c, ev);
	fly_sync(g, c);
}

/* Reflect mode: one of client c's broadcasts, back; timed as a push is. */
static void reflected(struct gen *g, struct lg_client *c, uint8_t *p, size_t len)
{
	const uint8_t *data;
	size_t n;
	uint64_t ts;

	if (lg_client_reflected(c, p, len, &data, &n) < 0 || n < sizeof(ts)) {
		g->rx_bad++;
		return;
	}
	memcpy(&ts, data, sizeof(ts));
	hist_add(&g->lat, (rte_rdtsc() - ts) * 1000000000ull / g->hz);
	g->pushes++;
}

/* One rx burst: opens what came for our clients. */
static unsigned receive_burst(struct gen *g)
{
	struct rte_mbuf *rx[BURST];
	uint16_t n = rte_eth_rx_burst(g->port, 0, rx, BURST), k;

	for (k = 0; k < n; k++) {
		uint8_t *p;
		size_t len;
		int i = parse(g, rx[k], &p, &len);

		g->rx++;
		if (i < 0) {
			g->rx_other++; /* not for one of this run's clients (ARP, an earlier run's) */
			continue;
		}
		if (g->traffic && g->o.open_every > 1 && ++g->open_ctr % g->o.open_every != 0) {
			struct hy_pkt_header h;

			/* QUIET relay traffic: the node sends members nothing but
			 * pushes, so a DATA packet with the member's sid counts as
			 * one unopened; the opened sample carries the latency and
			 * shows (rx_bad, answers) that the assumption holds. */
			if (hy_pkt_header_decode(p, len, &h) == HY_R_OK && h.type == HY_PKT_DATA &&
			    h.sid == g->cl[i].cred.sid) {
				g->pushes++;
				g->push_len = (unsigned)len;
			} else
				g->rx_bad++;
			continue;
		}
		if (g->traffic)
			g->opened++;
		if (g->o.mode == MODE_REFLECT) {
			reflected(g, &g->cl[i], p, len);
			continue;
		}
		uint64_t had = g->pushes;

		if (lg_client_input(&g->cl[i], p, len, now_us(g, rte_rdtsc()), on_event, g) < 0)
			g->rx_bad++;
		else if (g->pushes != had)
			g->push_len = (unsigned)len;
	}
	if (n)
		rte_pktmbuf_free_bulk(rx, n);
	return n;
}

/* Drains the port (a few bursts at most): what the node sends must not
 * wait for the generator's next turn, or the port's ring fills and the
 * node's replies are lost (a lost CHALLENGE costs a resend period). */
static unsigned receive(struct gen *g)
{
	unsigned n = 0, k, i;

	for (i = 0; i < 8; i++) {
		k = receive_burst(g);
		n += k;
		if (k < BURST)
			break;
	}
	return n;
}

/* ---- phases -------------------------------------------------------------------- */

/* Handshakes for clients [from, to), at most window in flight.  The
 * in-flight list (g->fly) is compact and kept current by on_event, so a
 * turn's scan reads a few KB, not one 2.5 KB client per handshake.
 * Returns when every one ended (connected or denied) or after timeout_s. */
static void connect_all(struct gen *g, unsigned from, unsigned to, double timeout_s)
{
	uint64_t deadline = rte_rdtsc() + (uint64_t)(timeout_s * (double)g->hz);
	uint64_t resend = g->hz * RESEND_MS / 1000;
	unsigned next = from;

	g->fly = malloc(sizeof(*g->fly) * g->o.window);
	g->n_fly = 0;
	if (g->fly == NULL)
		return;
	while (!stop && rte_rdtsc() < deadline && (next < to || g->n_fly > 0)) {
		struct rte_mbuf *out[BURST];
		unsigned n = 0, k = 0;
		uint64_t now = rte_rdtsc();
		uint8_t buf[HY_CONNECT_LEN];

		while (k < g->n_fly) {
			struct fly *f = &g->fly[k];
			struct lg_client *c;

			if (f->state >= LG_CONNECTED) {
				/* done: its place goes to the last one */
				*f = g->fly[--g->n_fly];
				g->cl[f->i].fly_slot = k;
				continue;
			}
			if (n < BURST && now - f->last_tx_tsc > resend) {
				c = &g->cl[f->i];
				size_t len = lg_client_hello(c, c->state == LG_RESPONDING, buf,
							     sizeof(buf));
				struct rte_mbuf *m = frame(g, f->i, buf, len);

				if (m != NULL) {
					out[n++] = m;
					c->last_tx_tsc = f->last_tx_tsc = now;
				}
			}
			k++;
		}
		while (next < to && g->n_fly < g->o.window && n < BURST) {
			struct lg_client *c = &g->cl[next];
			size_t len = lg_client_hello(c, false, buf, sizeof(buf));
			struct rte_mbuf *m = frame(g, next, buf, len);

			if (m == NULL)
				break;
			c->state = LG_CONNECTING;
			c->last_tx_tsc = now;
			c->fly_slot = g->n_fly;
			g->fly[g->n_fly++] = (struct fly){.i = next, .state = c->state,
							  .last_tx_tsc = now};
			out[n++] = m;
			next++;
		}
		if (n)
			send_burst(g, out, n);
		receive(g);
	}
	free(g->fly);
	g->fly = NULL;
	g->n_fly = 0;
}

static size_t room_cmd(struct gen *g, unsigned i, uint16_t cmd, uint8_t *buf, size_t cap)
{
	struct lg_client *c = &g->cl[i];
	uint8_t p[16];
	size_t plen;

	if (cmd == HY_CMD_ROOM_CREATE) {
		struct hy_room_params prm = {.max_members = (uint16_t)g->o.room_size,
					     .allow_empty = 0};
		plen = hy_rm_params_encode(p, sizeof(p), &prm);
	} else {
		plen = hy_rm_room_encode(p, sizeof(p), g->cl[i - i % g->o.room_size].room_id);
	}
	return lg_client_command(c, HY_MODULES_VER, cmd, p, plen, false, now_us(g, rte_rdtsc()),
				 buf, cap);
}

/* Leaders (i % K == 0) create, then the others join. */
static int make_rooms(struct gen *g)
{
	uint64_t deadline = rte_rdtsc() + 20 * g->hz, resend = g->hz * RESEND_MS / 1000;
	unsigned K = g->o.room_size, n_rooms = (g->o.sessions + K - 1) / K;

	while (!stop && rte_rdtsc() < deadline) {
		struct rte_mbuf *out[BURST];
		uint8_t buf[HY_MAX_DATAGRAM];
		uint64_t now = rte_rdtsc();
		unsigned n = 0, in = 0, i;

		for (i = 0; i < g->o.sessions; i++) {
			struct lg_client *c = &g->cl[i];
			bool leader = i % K == 0;

			if (c->state == LG_IN_ROOM) {
				in++;
				continue;
			}
			if (c->state != LG_CONNECTED || n >= BURST)
				continue;
			if (!leader && g->cl[i - i % K].state != LG_IN_ROOM)
				continue;
			if (c->waiting && now - c->last_tx_tsc < resend * 3)
				continue;
			size_t len = room_cmd(g, i, leader ? HY_CMD_ROOM_CREATE : HY_CMD_ROOM_JOIN,
					      buf, sizeof(buf));
			struct rte_mbuf *m = len ? frame(g, i, buf, len) : NULL;

			if (m == NULL)
				continue;
			out[n++] = m;
			c->waiting = 1;
			c->last_tx_tsc = now;
		}
		if (n)
			send_burst(g, out, n);
		receive(g);
		if (in == g->o.sessions)
			return 0;
	}
	fprintf(stderr, PROG ": rooms: %u of %u created, %u joined\n", g->rooms_made, n_rooms,
		g->joined);
	return -1;
}

struct figures {
	double v[MAX_INTERVALS];
	int n;
};

static void fig_add(struct figures *f, double v)
{
	if (f->n < (int)MAX_INTERVALS)
		f->v[f->n++] = v;
}

static double fig_median(struct figures *f)
{
	return f->n ? hy_bench_median(f->v, f->n) : 0;
}

static void reset_interval(struct gen *g)
{
	g->tx = g->tx_refused = g->rx = g->rx_bad = g->rx_other = g->pushes = g->answers = 0;
	g->opened = g->flushes = 0;
	g->accepts = g->denies = 0;
	g->seal_tsc = 0;
	memset(&g->lat, 0, sizeof(g->lat));
}

/* Broadcasts from every session in turn at the offered rate. */
static void run_relay(struct gen *g)
{
	uint64_t start = rte_rdtsc(), end = start + (uint64_t)(g->o.seconds * (double)g->hz);
	uint64_t ivl = g->hz * g->o.interval_ms / 1000, next_ivl = start + ivl, t0 = start;
	double per_tsc = g->o.rate > 0 ? g->o.rate / (double)g->hz : 0;
	double credit = 0;
	uint64_t last = start;
	struct figures offered = {0}, delivered = {0}, p50 = {0}, p99 = {0}, p999 = {0},
		       goodput = {0};
	unsigned who = 0;
	uint8_t data[HY_MAX_PAYLOAD], buf[HY_MAX_DATAGRAM];
	struct hy_rm_data d = {.data = data, .data_len = g->o.payload,
			       .flags = g->o.quiet ? HY_ROOM_BCAST_QUIET : 0};

	memset(data, 0x5a, sizeof(data));
	reset_interval(g);
	g->traffic = true;
	while (!stop) {
		uint64_t now = rte_rdtsc();
		unsigned want = BURST, n = 0;

		if (per_tsc > 0) {
			credit += (double)(now - last) * per_tsc;
			if (credit > BURST * 4)
				credit = BURST * 4;
			want = credit >= BURST ? BURST : (unsigned)credit;
		}
		last = now;
		if (!send_keep(g, NULL, 0))
			want = 0; /* the port is full: seal nothing new */
		if (want > 0) {
			struct rte_mbuf *out[BURST];
			uint64_t s0 = rte_rdtsc(), us = now_us(g, s0);

			/* every client once at most: with --reliable, one whose
			 * window is full sends only the resends that are due */
			for (unsigned tries = 0; n < want && tries < g->o.sessions; tries++) {
				struct lg_client *c = &g->cl[who];
				uint8_t p[1 + HY_MAX_PAYLOAD];
				size_t plen, len;
				bool flush = g->o.reliable &&
					     (lg_client_window_full(c, g->rudp_env.cfg.window) ||
					      (uint64_t)c->seq * (g->o.room_size - 1) - c->pushes_back >=
						      (uint64_t)RELIABLE_IN_FLIGHT * (g->o.room_size - 1));

				who = (who + 1) % g->o.sessions;
				if (flush) {
					g->window_full++;
					len = lg_client_flush(c, us, buf, sizeof(buf));
				} else {
					uint32_t me = (uint32_t)(c - g->cl);

					memcpy(data + STAMP_TSC, &s0, sizeof(s0));
					memcpy(data + STAMP_SEQ, &c->seq, sizeof(c->seq));
					memcpy(data + STAMP_FROM, &me, sizeof(me));
					plen = hy_rm_broadcast_encode(p, sizeof(p), &d);
					len = lg_client_command(c, HY_MODULES_VER,
								HY_CMD_ROOM_BROADCAST, p, plen,
								g->o.reliable, us, buf, sizeof(buf));
					c->seq += len != 0;
				}
				if (len == 0)
					continue;
				out[n] = frame(g, (unsigned)(c - g->cl), buf, len);
				if (out[n] == NULL)
					break;
				g->flushes += flush;
				n++;
			}
			g->seal_tsc += rte_rdtsc() - s0;
			send_keep(g, out, n);
			credit -= n;
		}
		receive(g);
		if (now >= next_ivl) {
			double secs = (double)(now - t0) / (double)g->hz;
			double off = (double)(g->tx - g->flushes) / secs;
			double del = (double)g->pushes / secs;

			printf("interval offered=%.0f/s delivered=%.0f/s answers=%.0f/s "
			       "opened=%.0f/s port_full=%" PRIu64 " rx_bad=%" PRIu64
			       " rx_other=%" PRIu64
			       " p50=%.1fus p99=%.1fus p999=%.1fus gen_seal_share=%.2f\n",
			       off, del, (double)g->answers / secs, (double)g->opened / secs,
			       g->tx_refused, g->rx_bad, g->rx_other,
			       hist_pct(&g->lat, 0.5) / 1e3, hist_pct(&g->lat, 0.99) / 1e3,
			       hist_pct(&g->lat, 0.999) / 1e3,
			       (double)g->seal_tsc / (double)(now - t0));
			fflush(stdout);
			if (now > start + ivl) { /* the first interval warms up */
				for (unsigned b = 0; b < HIST_BUCKETS; b++)
					g->lat_run.b[b] += g->lat.b[b];
				g->lat_run.n += g->lat.n;
				fig_add(&offered, off);
				fig_add(&delivered, del);
				fig_add(&goodput, del * g->o.payload * 8);
				fig_add(&p50, hist_pct(&g->lat, 0.5));
				fig_add(&p99, hist_pct(&g->lat, 0.99));
				fig_add(&p999, hist_pct(&g->lat, 0.999));
			}
			reset_interval(g);
			t0 = now;
			next_ivl = now + ivl;
			if (now >= end)
				break;
		}
	}
	g->traffic = false;
	rte_pktmbuf_free_bulk(g->backlog, g->n_backlog);
	g->n_backlog = 0;
	if (g->o.latency_out != NULL) {
		FILE *f = fopen(g->o.latency_out, "w");
		static const double pct[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995,
					     0.999, 0.9999};

		if (f == NULL) {
			fprintf(stderr, PROG ": %s: %s\n", g->o.latency_out, strerror(errno));
		} else {
			fprintf(f, "# percentile latency_us (%" PRIu64 " pushes)\n", g->lat_run.n);
			for (unsigned k = 0; k < sizeof(pct) / sizeof(pct[0]); k++)
				fprintf(f, "%.4f %.2f\n", pct[k] * 100, hist_pct(&g->lat_run, pct[k]) / 1e3);
			fclose(f);
		}
	}
	if (g->o.mode == MODE_REFLECT)
		printf("BENCH name=reflect value=%.3f unit=Mpkts/s", fig_median(&delivered) / 1e6);
	else
		printf("BENCH name=relay_1to%u value=%.3f unit=Mpushes/s", g->o.room_size - 1,
		       fig_median(&delivered) / 1e6);
	printf(" offered=%.3f goodput_mbit=%.1f "
	       "p50_us=%.1f p99_us=%.1f p999_us=%.1f sessions=%u payload=%u push_bytes=%u "
	       "reliable=%d window_full=%" PRIu64 " intervals=%d\n",
	       fig_median(&offered) / 1e6, fig_median(&goodput) / 1e6, fig_median(&p50) / 1e3,
	       fig_median(&p99) / 1e3, fig_median(&p999) / 1e3, g->o.sessions, g->o.payload,
	       g->push_len, g->o.reliable, g->window_full, delivered.n);
}

#define FLOOD_FRAMES 256u

/* Garbage at the port's pace: FLOOD_FRAMES frames built once, each sent
 * again and again by taking a reference (the PMD copies or transmits it and
 * drops the reference), so generating costs almost nothing and the figure
 * is the receiver's.  Everything that comes back is counted and freed. */
static void run_flood(struct gen *g)
{
	uint64_t start = rte_rdtsc(), end = start + (uint64_t)(g->o.seconds * (double)g->hz);
	uint64_t ivl = g->hz * g->o.interval_ms / 1000, next_ivl = start + ivl, t0 = start;
	struct figures offered = {0}, back = {0};
	struct rte_mbuf *pool[FLOOD_FRAMES];
	uint8_t junk[HY_MAX_DATAGRAM];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned next = 0, i;

	for (i = 0; i < FLOOD_FRAMES; i++) {
		for (unsigned k = 0; k < g->o.payload; k += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(junk + k, &x, g->o.payload - k < 8 ? g->o.payload - k : 8);
		}
		pool[i] = frame(g, ~0u, junk, g->o.payload);
		if (pool[i] == NULL) {
			fprintf(stderr, PROG ": flood: out of mbufs\n");
			return;
		}
	}
	reset_interval(g);
	while (!stop) {
		struct rte_mbuf *out[BURST];
		uint64_t now = rte_rdtsc();
		unsigned n, r;

		for (n = 0; n < BURST; n++) {
			out[n] = pool[next++ % FLOOD_FRAMES];
			rte_mbuf_refcnt_update(out[n], 1);
		}
		send_burst(g, out, n);
		for (r = 0; r < 4; r++) {
			struct rte_mbuf *rx[BURST];
			uint16_t k = rte_eth_rx_burst(g->port, 0, rx, BURST);

			g->rx += k;
			if (k)
				rte_pktmbuf_free_bulk(rx, k);
			if (k < BURST)
				break;
		}
		if (now >= next_ivl) {
			double secs = (double)(now - t0) / (double)g->hz;

			printf("interval offered=%.0f/s returned=%.0f/s tx_refused=%" PRIu64 "\n",
			       (double)g->tx / secs, (double)g->rx / secs, g->tx_refused);
			fflush(stdout);
			if (now > start + ivl) {
				fig_add(&offered, (double)g->tx / secs);
				fig_add(&back, (double)g->rx / secs);
			}
			reset_interval(g);
			t0 = now;
			next_ivl = now + ivl;
			if (now >= end)
				break;
		}
	}
	for (i = 0; i < FLOOD_FRAMES; i++)
		rte_pktmbuf_free(pool[i]);
	printf("BENCH name=flood value=%.3f unit=Mpps returned=%.3f payload=%u intervals=%d\n",
	       fig_median(&offered) / 1e6, fig_median(&back) / 1e6, g->o.payload, offered.n);
}

/* Before a storm's clock starts: n CONNECTs of client 0, each answered by
 * a CHALLENGE the client ignores (it is not connecting), so that every slot
 * of the port's rings has carried a packet both ways.  A memif server backs
 * the shared memory of a newly connected peer one page fault at a time, as
 * packets first touch it: some 560 faults on the node's worker, a few ms of
 * a 20000-session storm on a VM, a cost of the fresh link and not of
 * handshakes.  Returns the CHALLENGEs that came back. */
static uint64_t warm_port(struct gen *g, unsigned n)
{
	uint64_t ch0 = g->challenges, end = rte_rdtsc() + 5 * g->hz, quiet_since;
	uint8_t buf[HY_CONNECT_LEN];
	size_t len = lg_client_hello(&g->cl[0], false, buf, sizeof(buf));
	unsigned sent = 0;

	while (!stop && sent < n && rte_rdtsc() < end) {
		struct rte_mbuf *out[BURST];
		unsigned k = 0;

		for (; k < BURST && sent + k < n; k++)
			if ((out[k] = frame(g, 0, buf, len)) == NULL)
				break;
		send_burst(g, out, k);
		sent += k;
		receive(g);
	}
	/* the last CHALLENGEs, before any handshake is timed */
	quiet_since = rte_rdtsc();
	while (!stop && rte_rdtsc() < end && rte_rdtsc() - quiet_since < g->hz / 50)
		if (receive(g) != 0)
			quiet_since = rte_rdtsc();
	return g->challenges - ch0;
}

static void run_connect(struct gen *g)
{
	uint64_t warm = g->o.warmup ? warm_port(g, g->o.warmup) : 0, t0 = rte_rdtsc();
	double secs;

	reset_interval(g);
	connect_all(g, 0, g->o.sessions, g->o.seconds);
	secs = (double)(rte_rdtsc() - t0) / (double)g->hz;
	printf("BENCH name=connect_storm value=%.3f unit=Mconnects/s accepted=%" PRIu64
	       " denied=%" PRIu64 " sessions=%u seconds=%.3f warmup_challenges=%" PRIu64 "\n",
	       (double)g->accepts / secs / 1e6, g->accepts, g->denies, g->o.sessions, secs,
	       warm);
}

/* The ACKs the clients owe once nothing else will carry them, and the
 * resends that are due: what a client's timers would send. */
static void flush_acks(struct gen *g)
{
	uint64_t us = now_us(g, rte_rdtsc());
	uint8_t buf[HY_MAX_DATAGRAM];

	for (unsigned i = 0; g->cl != NULL && i < g->o.sessions; i++) {
		size_t len = lg_client_flush(&g->cl[i], us, buf, sizeof(buf));
		struct rte_mbuf *m;

		if (len != 0 && (m = frame(g, i, buf, len)) != NULL)
			send_burst(g, &m, 1);
	}
}

/* Before leaving: nothing more is offered.  The frames the port refused
 * go first (they may carry ACKs), then what the node still sends is taken
 * and what the clients owe for it sent, until the port has been quiet for
 * 100 ms, or, after relay traffic, 1.1 s: the node resends a reliable
 * unit the port dropped (a push, a room notification) after its RTO, at
 * most rudp.rto_max_ms (1 s by default), and a client gone by then would
 * leave it held until the session times out.  At most 2 s more.  Also:
 * DPDK 22.11's memif PMD can crash the server when its client disconnects
 * while the server is busy on the rings, and a node that has gone idle
 * (its worker asleep) is far less exposed; and the node's last replies are
 * not counted as drops. */
static void quiesce(struct gen *g)
{
	uint64_t quiet = g->o.mode == MODE_RELAY ? g->hz * 11 / 10 : g->hz / 10;
	uint64_t now = rte_rdtsc(), quiet_since = now, end = now + 2 * g->hz + quiet;

	while (g->n_backlog > 0 && now < end) {
		send_keep(g, NULL, 0);
		receive(g);
		now = rte_rdtsc();
	}
	rte_pktmbuf_free_bulk(g->backlog, g->n_backlog);
	g->n_backlog = 0;
	while (now < end && now - quiet_since < quiet) {
		if (receive(g) != 0)
			quiet_since = rte_rdtsc();
		else
			flush_acks(g);
		now = rte_rdtsc();
	}
}

/* ---- set-up ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [EAL options] -- --mode relay|connect|flood|reflect [options]\n"
		"  The first DPDK port is used (e.g. --vdev net_memif0,role=client,socket=PATH).\n"
		"  reflect: relay's broadcasts into an address-swapping reflector (testpmd\n"
		"  --forward-mode=5tswap) and timed back: the baseline of relay's latency.\n"
		"  --node-ip A         the node's IPv4 address (required)\n"
		"  --node-port P       its UDP port (7100)\n"
		"  --node-mac M        its MAC (default: asked with ARP)\n"
		"  --client-ip A       first client address (198.18.0.2); 60000 sessions each\n"
		"  --key-file F        cluster key file, to mint tokens (relay, connect; reflect:\n"
		"                      a random key without it)\n"
		"  --http URL          instead: fetch each client's ticket, POST URL/v1/auth\n"
		"                      (tokens expire after a minute: every session must connect\n"
		"                      by then)\n"
		"    --app-key KEY     the app key for it                   [$HAYATE_APP_KEY]\n"
		"  --node-id N         node id the tokens are for (1)\n"
		"  --sessions N        clients (relay, reflect: 8; connect: 1000)\n"
		"  --room-size K       relay: members per room, K-1 recipients per broadcast (2)\n"
		"  --payload S         relay, reflect: broadcast data bytes, 16..%u; flood:\n"
		"                      UDP payload bytes, 16..%u (64)\n"
		"  --rate R            packets offered per second, 0: as fast as possible (0)\n"
		"  --seconds T         traffic time (relay, reflect, flood) or give-up time\n"
		"                      (connect) (5)\n"
		"  --interval-ms I     figures every I ms; the first interval is a warm-up (500)\n"
		"  --window W          connect: handshakes in flight (256)\n"
		"  --warmup N          connect: CONNECTs sent (their CHALLENGEs ignored) before\n"
		"                      the storm is timed, so every buffer of the port has\n"
		"                      been used once (2048; 0: none)\n"
		"  --latency-out F     relay: write the run's latency percentiles to F\n"
		"  --quiet             relay: broadcasts ask for no answer (flag QUIET)\n"
		"  --reliable          relay: broadcasts on each session's reliable channel\n"
		"                      (in order, resent until acknowledged; the node relays\n"
		"                      them reliably, and every push is opened and\n"
		"                      acknowledged); a session whose window is full sends\n"
		"                      nothing new until acks come (window_full= counts it)\n"
		"  --open-every N      relay with --quiet: open (decrypt, time) one push in N\n"
		"                      and count the others by their header, so the generator\n"
		"                      spends its time offering load (1: open all) (1)\n"
		"Prints 'interval ...' lines, then BENCH lines with the medians.\n",
		HY_ROOM_DATA_MAX, HY_MAX_DATAGRAM);
}

/* 0: run with o; 1: --help was printed; -1: bad options (said why). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"mode", required_argument, NULL, 'm'}, {"node-ip", required_argument, NULL, 'i'},
		{"node-port", required_argument, NULL, 'p'}, {"node-mac", required_argument, NULL, 'M'},
		{"client-ip", required_argument, NULL, 'c'}, {"key-file", required_argument, NULL, 'k'},
		{"http", required_argument, NULL, 'H'}, {"app-key", required_argument, NULL, 'A'},
		{"node-id", required_argument, NULL, 'n'}, {"sessions", required_argument, NULL, 's'},
		{"room-size", required_argument, NULL, 'K'}, {"payload", required_argument, NULL, 'S'},
		{"rate", required_argument, NULL, 'r'}, {"seconds", required_argument, NULL, 't'},
		{"interval-ms", required_argument, NULL, 'I'}, {"window", required_argument, NULL, 'w'},
		{"warmup", required_argument, NULL, 'W'},
		{"latency-out", required_argument, NULL, 'L'},
		{"quiet", no_argument, NULL, 'q'}, {"open-every", required_argument, NULL, 'o'},
		{"reliable", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	bool sessions_given = false;
	long long u;
	int opt;

	*o = (struct opts){.mode = MODE_RELAY, .sessions = 8, .room_size = 2, .payload = 64,
			   .seconds = 5, .interval_ms = 500, .node_id = 1, .node_port = 7100,
			   .window = 256, .warmup = 2048, .open_every = 1};
	inet_pton(AF_INET, "198.18.0.2", &o->client_ip);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		unsigned *num = NULL; /* an unsigned option: where it goes, its range */
		long long lo_v = 0, hi_v = 0;

		switch (opt) {
		case 'm':
			if (strcmp(optarg, "relay") == 0)
				o->mode = MODE_RELAY;
			else if (strcmp(optarg, "connect") == 0)
				o->mode = MODE_CONNECT;
			else if (strcmp(optarg, "flood") == 0)
				o->mode = MODE_FLOOD;
			else if (strcmp(optarg, "reflect") == 0)
				o->mode = MODE_REFLECT;
			else
				goto bad;
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &o->node_ip) != 1)
				goto bad;
			break;
		case 'c':
			if (inet_pton(AF_INET, optarg, &o->client_ip) != 1)
				goto bad;
			break;
		case 'M':
			if (rte_ether_unformat_addr(optarg, &o->node_mac) != 0)
				goto bad;
			o->node_mac_given = true;
			break;
		case 'p':
			if (!hy_cli_opt_num(PROG, lo, opt, optarg, 1, UINT16_MAX, &u))
				return -1;
			o->node_port = (uint16_t)u;
			break;
		case 'k': o->key_file = optarg; break;
		case 'H': o->http = optarg; break;
		case 'A': o->app_key = optarg; break;
		case 'n':
			if (!hy_cli_opt_num(PROG, lo, opt, optarg, 0, UINT32_MAX, &u))
				return -1;
			o->node_id = (uint32_t)u;
			break;
		case 's':
			num = &o->sessions; lo_v = 1; hi_v = 4u * LG_PORTS_PER_IP;
			sessions_given = true;
			break;
		case 'K': num = &o->room_size; lo_v = 2; hi_v = HY_ROOM_MEMBERS_MAX; break;
		/* --payload's upper bound depends on --mode, checked below */
		case 'S': num = &o->payload; lo_v = STAMP_LEN; hi_v = HY_MAX_DATAGRAM; break;
		case 'I': num = &o->interval_ms; lo_v = 10; hi_v = 60000; break;
		case 'w': num = &o->window; lo_v = 1; hi_v = 1u << 20; break;
		case 'W': num = &o->warmup; lo_v = 0; hi_v = 1u << 20; break;
		case 'o': num = &o->open_every; lo_v = 1; hi_v = 1u << 20; break;
		case 'r':
			if (!hy_cli_opt_double(PROG, lo, opt, optarg, 0, 1e9, &o->rate))
				return -1;
			break;
		case 't':
			if (!hy_cli_opt_double(PROG, lo, opt, optarg, 0.01, 86400, &o->seconds))
				return -1;
			break;
		case 'L': o->latency_out = optarg; break;
		case 'q': o->quiet = true; break;
		case 'R': o->reliable = true; break;
		case 'h': usage(stdout); return 1;
		default: goto bad;
		}
		if (num != NULL) {
			if (!hy_cli_opt_num(PROG, lo, opt, optarg, lo_v, hi_v, &u))
				return -1;
			*num = (unsigned)u;
		}
	}
	if (o->mode == MODE_CONNECT && !sessions_given)
		o->sessions = 1000;
	if (o->node_ip.s_addr == 0) {
		fprintf(stderr, PROG ": --node-ip is required\n");
		return -1;
	}
	if (o->app_key == NULL)
		o->app_key = getenv("HAYATE_APP_KEY");
	if (o->key_file != NULL && o->http != NULL) {
		fprintf(stderr, PROG ": --key-file (mint tokens) or --http (fetch tickets), not both\n");
		return -1;
	}
	if (o->mode != MODE_FLOOD && o->mode != MODE_REFLECT && o->key_file == NULL &&
	    o->http == NULL) {
		fprintf(stderr, PROG ": --key-file (to mint tokens) or --http (to fetch tickets) is "
			"required\n");
		return -1;
	}
	if (o->http != NULL && o->app_key == NULL) {
		fprintf(stderr, PROG ": --http needs --app-key (or $HAYATE_APP_KEY)\n");
		return -1;
	}
	/* a broadcast carries at most a room's data; garbage may be as large
	 * as the largest datagram the node takes */
	unsigned max_payload = o->mode == MODE_FLOOD ? HY_MAX_DATAGRAM : HY_ROOM_DATA_MAX;

	if (o->payload > max_payload) {
		fprintf(stderr, PROG ": --payload %u: at most %u in this mode (a broadcast carries "
			"at most a room's data)\n", o->payload, max_payload);
		return -1;
	}
	if (o->open_every > 1 && !o->quiet) {
		fprintf(stderr, PROG ": --open-every: 1, or more with --quiet (without it the "
			"node also answers, and only an opened datagram tells which is which)\n");
		return -1;
	}
	if (o->reliable && (o->mode != MODE_RELAY || o->open_every != 1)) {
		fprintf(stderr, PROG ": --reliable: relay mode, every push opened (--open-every 1: "
			"a reliable push unopened would go unacknowledged)\n");
		return -1;
	}
	if (o->mode == MODE_RELAY && o->sessions % o->room_size != 0) {
		fprintf(stderr, PROG ": --sessions must be a multiple of --room-size\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, PROG ": bad option or value (see --help)\n");
	return -1;
}

static int port_init(struct gen *g)
{
	struct rte_eth_conf conf = {0};
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, PROG ": no DPDK port (give one with --vdev or a PCI device)\n");
		return -1;
	}
	g->port = 0;
	g->pool = rte_pktmbuf_pool_create("lg_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (g->pool == NULL)
		return -1;
	if ((rc = rte_eth_dev_configure(g->port, 1, 1, &conf)) < 0 ||
	    (rc = rte_eth_rx_queue_setup(g->port, 0, 1024, (unsigned)rte_socket_id(), NULL,
					  g->pool)) < 0 ||
	    (rc = rte_eth_tx_queue_setup(g->port, 0, 1024, (unsigned)rte_socket_id(), NULL)) < 0 ||
	    (rc = rte_eth_dev_start(g->port)) < 0) {
		fprintf(stderr, PROG ": port: %s\n", rte_strerror(-rc));
		return -1;
	}
	rte_eth_macaddr_get(g->port, &g->mac);
	/* a memif client needs its peer: wait for the link */
	for (int i = 0; i < 100; i++) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(g->port, &l) == 0 && l.link_status)
			return 0;
		rte_delay_ms(50);
	}
	fprintf(stderr, PROG ": port: link down (is the node's port up?)\n");
	return -1;
}

/* Memory for the clients' reliable channels: a window of units in flight
 * each way and what the node sends ahead of a gap, per session; the
 * pages are touched only as sessions use them. */
#define RUDP_BYTES_PER_SESSION (32u * 1024u)
#define RUDP_POOL_MIN (1u << 20)
#define RUDP_POOL_MAX (256u << 20)

/* The clients' reliable channels: the protocol's defaults, as a client
 * has them, over one pool. */
static int rudp_init(struct gen *g)
{
	size_t size = (size_t)g->o.sessions * RUDP_BYTES_PER_SESSION;
	char err[128] = "";

	if (size > RUDP_POOL_MAX)
		size = RUDP_POOL_MAX;
	if (size < RUDP_POOL_MIN)
		size = RUDP_POOL_MIN;
	g->rudp_region = malloc(size);
	if (g->rudp_region == NULL) {
		fprintf(stderr, PROG ": out of memory for the reliable channels\n");
		return -1;
	}
	hy_rudp_pool_init(&g->rudp_pool, g->rudp_region, size);
	struct hy_rudp_config cfg = {.alloc = hy_rudp_pool_alloc(&g->rudp_pool)};
	if (hy_rudp_env_init(&g->rudp_env, &cfg, err, sizeof(err)) != HY_R_OK) {
		fprintf(stderr, PROG ": reliable channel: %s\n", err);
		return -1;
	}
	return 0;
}

/* Client i's user id: the same whether its token is minted or fetched. */
static void client_uid(unsigned i, char *uid, size_t cap)
{
	snprintf(uid, cap, "lg-%u", i);
}

/* Every client's token minted with the newest key of the cluster key file
 * (or, in reflect mode without one, a random key: no node checks them). */
static int clients_mint(struct gen *g)
{
	uint64_t expire = (uint64_t)time(NULL) + 3600;
	struct hy_credentials cred;
	struct hy_keyring ring;
	struct hy_aead_ctx key;
	char err[256], uid[32];
	int rc = 0;

	if (g->o.key_file == NULL) {
		memset(&ring, 0, sizeof(ring));
		ring.present[0] = true;
		ring.count = 1;
		if (hy_random_bytes(ring.key[0], HY_KEY_LEN) < 0) {
			fprintf(stderr, PROG ": no random bytes for a key\n");
			return -1;
		}
	} else if (hy_keyfile_load(g->o.key_file, &ring, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	if (hy_aead_key_init(&key, HY_AEAD_OPENSSL, ring.key[ring.newest_id]) < 0) {
		hy_keyring_wipe(&ring);
		fprintf(stderr, PROG ": cannot expand the cluster key\n");
		return -1;
	}
	for (unsigned i = 0; rc == 0 && i < g->o.sessions; i++) {
		client_uid(i, uid, sizeof(uid));
		if (hy_token_mint(&key, ring.newest_id, g->o.node_id, expire, uid, HY_TRANSPORT_UDP,
				  &cred) < 0 ||
		    lg_client_init(&g->cl[i], &cred, &g->rudp_env) < 0) {
			fprintf(stderr, PROG ": cannot mint token %u\n", i);
			rc = -1;
		}
	}
	explicit_bzero(&cred, sizeof(cred));
	hy_aead_key_wipe(&key);
	hy_keyring_wipe(&ring);
	return rc;
}

/* Every client's ticket from the HTTP tier, one POST /v1/auth each, as a
 * game client gets its own.  The tickets' host and port are not used: the
 * generator sends to --node-ip on its port.  Tickets expire a minute after
 * they are minted (HY_HTTP_TOKEN_LIFETIME_S), so every session must have
 * connected by then. */
static int clients_fetch(struct gen *g)
{
	const struct hy_auth_options ao = {0};
	uint64_t t0 = rte_rdtsc();
	struct hy_ticket t;
	char err[256], uid[32];
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < g->o.sessions && !stop; i++) {
		client_uid(i, uid, sizeof(uid));
		if (hy_auth_fetch_with(&ao, g->o.http, g->o.app_key, uid, HY_TRANSPORT_UDP, &t, err,
				       sizeof(err)) < 0) {
			fprintf(stderr, PROG ": ticket %u from %s: %s\n", i, g->o.http, err);
			rc = -1;
		} else if (lg_client_init(&g->cl[i], &t.cred, &g->rudp_env) < 0) {
			fprintf(stderr, PROG ": ticket %u: cannot expand its keys\n", i);
			rc = -1;
		}
	}
	explicit_bzero(&t, sizeof(t));
	if (rc == 0)
		printf("tickets %u fetched from %s in %.3f s\n", g->o.sessions, g->o.http,
		       (double)(rte_rdtsc() - t0) / (double)g->hz);
	return stop ? -1 : rc;
}

static int clients_init(struct gen *g)
{
	if (rudp_init(g) < 0)
		return -1;
	g->cl = rte_zmalloc("lg_clients", sizeof(*g->cl) * g->o.sessions, 64);
	if (g->cl == NULL) {
		fprintf(stderr, PROG ": out of memory for %u clients (-m)\n", g->o.sessions);
		return -1;
	}
	return g->o.http != NULL ? clients_fetch(g) : clients_mint(g);
}

/* What main does once EAL is up: the exit status (0, 1: the run failed,
 * 2: bad options). */
static int run(struct gen *g, int argc, char **argv)
{
	int rc = parse_opts(argc, argv, &g->o);

	if (rc != 0)
		return rc < 0 ? 2 : 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	g->hz = rte_get_tsc_hz();
	if (port_init(g) < 0)
		return 1;
	g->port_up = true;
	if (!g->o.node_mac_given && resolve_node(g) < 0) {
		fprintf(stderr, PROG ": no ARP answer from the node's address\n");
		return 1;
	}
	if (g->o.mode == MODE_FLOOD) {
		run_flood(g);
	} else {
		if (clients_init(g) < 0)
			return 1;
		if (g->o.mode == MODE_CONNECT) {
			run_connect(g);
		} else if (g->o.mode == MODE_REFLECT) {
			run_relay(g);
		} else {
			connect_all(g, 0, g->o.sessions, 20);
			if (g->accepts != g->o.sessions) {
				fprintf(stderr, PROG ": %" PRIu64 " of %u sessions connected (%" PRIu64
					" denied)\n", g->accepts, g->o.sessions, g->denies);
				return 1;
			}
			if (make_rooms(g) < 0)
				return 1;
			run_relay(g);
		}
	}
	quiesce(g);
	return 0;
}

int main(int argc, char **argv)
{
	static struct gen g;
	int n = rte_eal_init(argc, argv), rc;

	if (n < 0) {
		fprintf(stderr, PROG ": rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	rc = run(&g, argc - n, argv + n);
	if (g.port_up)
		rte_eth_dev_stop(g.port);
	/* after a failed run or a bad option too: the port stopped, EAL cleaned up */
	hy_eal_finish();
	return rc;
}
