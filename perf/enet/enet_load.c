/* SPDX-License-Identifier: BSD-3-Clause
 * enet_load: the load client of the relay baselines (docs/performance.md, "Baselines: ENet and
 * a plain UDP relay").  It drives enet_relay (--proto enet) or udp_relay (--proto udp).
 *
 * ENet: an ordinary ENet client spends about as much CPU per message as the relay does, so it
 * cannot saturate it.  This tool uses libenet only for what must be right, the handshake: it
 * connects R*K peers from one ENet host, one after the other, and waits for each one's
 * welcome (id, room, slot, room size).  Then it takes over the host's socket and speaks the
 * protocol itself: datagrams from the same address, carrying the peer ids and session bits
 * the handshake agreed on, each packing --per-datagram SEND_UNSEQUENCED commands (a fresh
 * unsequenced group per command, as the library numbers them) or SEND_RELIABLE commands
 * (sequence numbers continuing the channel's, sent-time in the header, --window commands in
 * flight, resent when overtaken by an acknowledged one or after RTO_MS).  Members read the
 * relay's datagrams raw too: every command is walked, relayed messages are checked (magic, a
 * sender of the same room) and counted, and every command that asks for an acknowledgement
 * (the relay's pings, reliable relays) is acknowledged with the sent-time the relay put in
 * the header, so the relay keeps the members connected and its window open.
 *
 * UDP: one socket per member; join, welcome, then one 64-byte message per datagram.
 *
 * Both: sends are batched with sendmmsg; the members' sockets are drained with recvmmsg before
 * every send burst so that they keep up (their kernel drop counters check it); the relay's
 * CPU time (/proc/PID/stat, --server-pid) and the drop counters of its socket and ours
 * (/proc/net/udp) are read at the edges of every round.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <enet/enet.h>

#include "../common/bench_median.h"
#include "relay_common.h"

#define PROG "enet_load"
#define RX_BATCH 64
#define RX_DGRAM 4096		/* ENet's largest datagram */
#define OUT_MAX 256		/* datagrams per sendmmsg at most */
#define OUT_DGRAM 1400		/* ENet's default MTU: no datagram of ours is larger */
#define MAX_ACKS 64		/* acknowledgements packed in one datagram */
#define RTO_MS 50		/* reliable: resend what is unacknowledged after this long */
#define MAX_ROUNDS 50

/* ENet wire protocol as Debian's libenet 1.3.17 speaks it (<enet/protocol.h>): big-endian
 * fields, a 2-byte header (peer id, session, flags; 4 bytes with the sent-time flag), then
 * commands of a 4-byte header (command | flags, channel, reliable sequence number) and a body. */
enum {
	EN_ACK = ENET_PROTOCOL_COMMAND_ACKNOWLEDGE,
	EN_DISCONNECT = ENET_PROTOCOL_COMMAND_DISCONNECT,
	EN_RELIABLE = ENET_PROTOCOL_COMMAND_SEND_RELIABLE,
	EN_UNRELIABLE = ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE,
	EN_FRAGMENT = ENET_PROTOCOL_COMMAND_SEND_FRAGMENT,
	EN_UNSEQUENCED = ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED,
	EN_UNRELIABLE_FRAGMENT = ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT,
	EN_CMD_MASK = ENET_PROTOCOL_COMMAND_MASK,
	EN_FLAG_ACK = ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
	EN_FLAG_UNSEQ = ENET_PROTOCOL_COMMAND_FLAG_UNSEQUENCED,
	EN_HDR_SENT_TIME = ENET_PROTOCOL_HEADER_FLAG_SENT_TIME,
	EN_HDR_COMPRESSED = ENET_PROTOCOL_HEADER_FLAG_COMPRESSED,
	EN_HDR_SESSION_SHIFT = ENET_PROTOCOL_HEADER_SESSION_SHIFT,
	EN_HDR_ID_MASK = ENET_PROTOCOL_MAXIMUM_PEER_ID,
};

/* Command sizes without payload, by command number (0: not a command). */
static const uint8_t en_size[ENET_PROTOCOL_COMMAND_COUNT] = {
	[ENET_PROTOCOL_COMMAND_ACKNOWLEDGE] = sizeof(ENetProtocolAcknowledge),
	[ENET_PROTOCOL_COMMAND_CONNECT] = sizeof(ENetProtocolConnect),
	[ENET_PROTOCOL_COMMAND_VERIFY_CONNECT] = sizeof(ENetProtocolVerifyConnect),
	[ENET_PROTOCOL_COMMAND_DISCONNECT] = sizeof(ENetProtocolDisconnect),
	[ENET_PROTOCOL_COMMAND_PING] = sizeof(ENetProtocolPing),
	[ENET_PROTOCOL_COMMAND_SEND_RELIABLE] = sizeof(ENetProtocolSendReliable),
	[ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE] = sizeof(ENetProtocolSendUnreliable),
	[ENET_PROTOCOL_COMMAND_SEND_FRAGMENT] = sizeof(ENetProtocolSendFragment),
	[ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED] = sizeof(ENetProtocolSendUnsequenced),
	[ENET_PROTOCOL_COMMAND_BANDWIDTH_LIMIT] = sizeof(ENetProtocolBandwidthLimit),
	[ENET_PROTOCOL_COMMAND_THROTTLE_CONFIGURE] = sizeof(ENetProtocolThrottleConfigure),
	[ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT] = sizeof(ENetProtocolSendFragment),
};

/* The byte offsets this file writes and reads by hand. */
_Static_assert(sizeof(ENetProtocolAcknowledge) == 8, "ack layout");
_Static_assert(sizeof(ENetProtocolSendReliable) == 6, "reliable layout");
_Static_assert(sizeof(ENetProtocolSendUnsequenced) == 8, "unsequenced layout");
_Static_assert(offsetof(ENetProtocolSendUnsequenced, dataLength) == 6, "unsequenced layout");
_Static_assert(offsetof(ENetProtocolSendUnreliable, dataLength) == 6, "unreliable layout");
_Static_assert(offsetof(ENetProtocolSendFragment, dataLength) == 6, "fragment layout");

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct peer {
	uint32_t id, room, slot, room_size;	/* the relay's welcome */
	int sender;
	int fd;				/* udp: own socket; enet: the host's */
	uint16_t port;			/* local port (drop counters) */
	/* enet */
	ENetPeer *ep;
	uint16_t hdr;			/* peer-id word of our datagrams: relay's index | session */
	uint16_t group;			/* next unsequenced group */
	uint16_t rel0;			/* wire sequence number of reliable message 0 */
	uint64_t base;			/* reliable: oldest unacknowledged message */
	uint64_t acked_sent_ns;		/* reliable: latest send time of an acknowledged message */
	uint64_t *sent_ns;		/* reliable ring: when message k was last sent */
	uint8_t *acked;			/* reliable ring: acknowledged */
	uint8_t *resent;		/* reliable ring: sent more than once */
	uint8_t *rel_seen;		/* member: reliable sequence numbers seen (duplicates) */
	uint8_t acks[MAX_ACKS * 8];
	int nacks;
	uint16_t ack_time;		/* sent-time the pending acks echo */
	/* both */
	uint64_t next_msg;		/* messages this sender has put on the wire */
	uint8_t tmpl[BL_PAYLOAD];	/* payload template: magic, id */
	uint64_t *seen;			/* sender: messages that reached at least one member */
	size_t seen_words;
};

struct totals {
	uint64_t sent, sent_dg, retrans;	/* offered messages (resends apart), datagrams
						 * carrying messages (resends included), resends */
	uint64_t got, got_dg, reached;		/* delivered messages, datagrams carrying them;
						 * distinct messages */
	uint64_t foreign, malformed, dup, disconnects;
};

struct snap {
	struct totals t;
	uint64_t ns;
	long long srv_ticks;		/* -1: unknown */
	uint64_t srv_drops, cli_drops;
};

struct round {
	double delivered, offered, in, dg_in, dg_out, cpu, srv_drops, cli_drops, retrans;
};

struct load {
	int enet, reliable;
	long port, rooms, room_size, senders, per_dgram, burst, window, server_pid, rounds;
	double rate, warmup, seconds;
	struct peer *p;
	size_t np;
	struct peer **by_id;		/* relay id -> peer */
	size_t id_cap;
	struct peer *by_local[EN_HDR_ID_MASK + 1];	/* enet: our peer id -> peer */
	struct sockaddr_in srv;
	ENetHost *host;
	struct totals t;
	/* outgoing batch */
	struct mmsghdr om[OUT_MAX];
	struct iovec oiov[OUT_MAX];
	uint8_t obuf[OUT_MAX][OUT_DGRAM];
	uint32_t omsgs[OUT_MAX];	/* new messages in each datagram */
	uint8_t odata[OUT_MAX];		/* the datagram carries messages (not only acks) */
	int on, ofd;
	/* receive batch */
	struct mmsghdr rm[RX_BATCH];
	struct iovec riov[RX_BATCH];
	uint8_t (*rbuf)[RX_DGRAM];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"Load client of the relay baselines: connects rooms of members to enet_relay or udp_relay\n"
		"on 127.0.0.1, floods them from the first --senders members of every room, and counts what\n"
		"the other members receive.\n"
		"  --proto enet|udp        which relay (default enet)\n"
		"  --port N                relay port (default 7777 enet, 7778 udp)\n"
		"  --rooms R               rooms to fill (default 1)\n"
		"  --room-size K           members per room, as the relay was started with (default 2)\n"
		"  --senders S             senders per room, 1..K-1 (default 1)\n"
		"  --mode unsequenced|reliable  ENet command the senders use (default unsequenced)\n"
		"  --per-datagram M        ENet commands per datagram, 1..19 (default 1; udp: always 1)\n"
		"  --burst B               datagrams per sendmmsg, 1..%d (default 32)\n"
		"  --window W              reliable: messages in flight per sender, 16..4096 (default 256)\n"
		"  --rate N                offer at most N messages/s in all (default 0: as fast as possible)\n"
		"  --cpu N                 pin to this CPU (default: not pinned)\n"
		"  --server-pid PID        relay process, for its CPU fraction (default: not measured)\n"
		"  --warmup S              seconds of load before the first round (default 0.5)\n"
		"  --seconds S             length of a round (default 2)\n"
		"  --rounds N              rounds, 1..%d; figures are the median round (default 3)\n"
		"  --name NAME             BENCH name (default <proto>_relay_1to<K-1>[_x<M>][_reliable])\n"
		"  --help                  this text\n"
		"Prints one line per round, then\n"
		"  BENCH name=NAME value=<delivered M msgs/s> unit=Mmsgs/s offered=<M msgs/s sent>\n"
		"  in=<M distinct msgs/s that reached a member> dgrams_in=<M datagrams/s of messages sent>\n"
		"  dgrams_out=<M datagrams/s carrying relayed messages> msgs_per_dgram_out=<their fill>\n"
		"  server_cpu=<relay's fraction of a core; -1 without --server-pid>\n"
		"  per_core=<delivered / server_cpu: M msgs per second of relay CPU; -1: unknown>\n"
		"  server_drops=<M datagrams/s the kernel dropped at the relay's socket>\n"
		"  client_drops=<M/s dropped at the members' sockets; > 0: delivered is a lower bound>\n"
		"  min=.. max=.. (delivered) and the settings; each key is the median over the rounds.\n"
		"Exits 1 when a check fails: nothing delivered, a message from outside the member's room\n"
		"or malformed, the relay disconnecting a member.\n",
		OUT_MAX, MAX_ROUNDS);
}

/* ---- measurements outside the process -------------------------------------------------- */

static long long proc_cpu_ticks(long pid)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	unsigned long long ut, stt;
	char *p;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name (which may hold spaces): state is field 3, utime 14. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) != 2)
		return -1;
	return (long long)(ut + stt);
}

/* Kernel drop counters of the relay's socket and of ours (/proc/net/udp, last column). */
static void udp_drops(const struct load *L, uint64_t *srv, uint64_t *cli)
{
	FILE *f = fopen("/proc/net/udp", "r");
	char line[512];

	*srv = *cli = 0;
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned lport;
		unsigned long long drops;

		if (sscanf(line, " %*u: %*x:%x %*x:%*x %*x %*x:%*x %*x:%*x %*x %*u %*u %*u %*u %*s %llu",
			   &lport, &drops) != 2)
			continue;
		if (lport == (unsigned)L->port) {
			*srv += drops;
			continue;
		}
		for (size_t i = 0; i < L->np; i++)
			if (L->p[i].port == lport) {
				*cli += drops;
				break;	/* enet: every member shares one socket */
			}
	}
	fclose(f);
}

static void take_snap(const struct load *L, struct snap *s)
{
	s->t = L->t;
	s->ns = bl_now_ns();
	s->srv_ticks = proc_cpu_ticks(L->server_pid);
	udp_drops(L, &s->srv_drops, &s->cli_drops);
}

/* ---- counting what members receive ------------------------------------------------------ */

static void mark_reached(struct load *L, struct peer *s, uint64_t seq)
{
	size_t w = (size_t)(seq / 64);

	if (w >= s->seen_words) {
		size_t n = s->seen_words ? s->seen_words : 1 << 14;
		uint64_t *v;

		while (n <= w)
			n *= 2;
		v = realloc(s->seen, n * sizeof(*v));
		if (!v)
			return;	/* only the "in" figure suffers */
		memset(v + s->seen_words, 0, (n - s->seen_words) * sizeof(*v));
		s->seen = v;
		s->seen_words = n;
	}
	if (!(s->seen[w] & (1ull << (seq % 64)))) {
		s->seen[w] |= 1ull << (seq % 64);
		L->t.reached++;
	}
}

static void on_message(struct load *L, struct peer *rcv, const uint8_t *d, size_t len)
{
	uint32_t sid;
	struct peer *s;

	if (len == BL_WELCOME_LEN && bl_get32(d) == BL_WELCOME_MAGIC)
		return;	/* a repeated welcome (udp join retried) */
	if (len != BL_PAYLOAD || bl_get32(d) != BL_MSG_MAGIC) {
		L->t.malformed++;
		return;
	}
	sid = bl_get32(d + 4);
	s = sid < L->id_cap ? L->by_id[sid] : NULL;
	if (!s || s == rcv || s->room != rcv->room) {
		L->t.foreign++;
		return;
	}
	L->t.got++;
	mark_reached(L, s, bl_get64(d + 8));
}

/* ---- outgoing batch --------------------------------------------------------------------- */

static void out_flush(struct load *L)
{
	int off = 0;

	while (off < L->on) {
		int s = sendmmsg(L->ofd, L->om + off, (unsigned)(L->on - off), 0);

		if (s < 0) {
			if (errno == EINTR)
				continue;
			break;	/* EAGAIN / ENOBUFS: the rest is not offered (reliable resends it) */
		}
		for (int i = off; i < off + s; i++) {
			L->t.sent += L->omsgs[i];
			L->t.sent_dg += L->odata[i];
		}
		off += s;
	}
	L->on = 0;
}

/* A datagram slot of the batch for socket fd; flushes first if the batch is full or for
 * another socket. */
static uint8_t *out_slot(struct load *L, int fd)
{
	if (L->on == OUT_MAX || (L->on && L->ofd != fd))
		out_flush(L);
	L->ofd = fd;
	L->omsgs[L->on] = 0;
	return L->obuf[L->on];
}

static void out_commit(struct load *L, size_t len, uint32_t new_msgs, int data)
{
	int i = L->on++;

	L->oiov[i] = (struct iovec){L->obuf[i], len};
	L->om[i].msg_hdr = (struct msghdr){
		.msg_name = L->enet ? &L->srv : NULL,
		.msg_namelen = L->enet ? sizeof(L->srv) : 0,
		.msg_iov = &L->oiov[i], .msg_iovlen = 1};
	L->omsgs[i] = new_msgs;
	L->odata[i] = (uint8_t)data;
}

static void put_payload(uint8_t *b, const struct peer *p, uint64_t k)
{
	memcpy(b, p->tmpl, BL_PAYLOAD);
	bl_put64(b + 8, k);
}

/* ---- ENet: acknowledgements ------------------------------------------------------------- */

static void ack_flush(struct load *L, struct peer *p)
{
	uint8_t *b;

	if (!p->nacks)
		return;
	b = out_slot(L, p->fd);
	put16(b, p->hdr);	/* acks need no sent-time */
	memcpy(b + 2, p->acks, (size_t)p->nacks * 8);
	out_commit(L, 2 + (size_t)p->nacks * 8, 0, 0);
	p->nacks = 0;
}

/* Acknowledge one command: its channel and sequence number, and the relay's sent-time from
 * the datagram's header, from which the relay measures its round-trip time. */
static void ack_queue(struct load *L, struct peer *p, uint8_t chan, uint16_t seq,
		      uint16_t sent_time)
{
	uint8_t *a;

	if (p->nacks && (p->nacks == MAX_ACKS || p->ack_time != sent_time))
		ack_flush(L, p);
	a = p->acks + p->nacks * 8;
	a[0] = EN_ACK;
	a[1] = chan;
	put16(a + 2, seq);
	put16(a + 4, seq);
	put16(a + 6, sent_time);
	p->ack_time = sent_time;
	p->nacks++;
}

/* ---- ENet: reliable window of a sender ------------------------------------------------- */

static void rel_acked(struct peer *p, uint16_t wire, long window)
{
	uint16_t base_wire = (uint16_t)(p->rel0 + p->base);
	uint64_t k = p->base + (uint16_t)(wire - base_wire);

	if (k >= p->next_msg)
		return;	/* not in flight: a duplicate ack */
	/* The relay reads our datagrams in order and acknowledges in order: whatever was sent
	 * before an acknowledged message and is still unacknowledged was dropped (rel_resend).
	 * Not after a resend: the ack may answer the first copy (Karn). */
	if (!p->resent[k % (uint64_t)window] && p->sent_ns[k % (uint64_t)window] > p->acked_sent_ns)
		p->acked_sent_ns = p->sent_ns[k % (uint64_t)window];
	p->acked[k % (uint64_t)window] = 1;
	while (p->base < p->next_msg && p->acked[p->base % (uint64_t)window]) {
		p->acked[p->base % (uint64_t)window] = 0;
		p->resent[p->base % (uint64_t)window] = 0;
		p->base++;
	}
}

/* A reliable message received twice (our ack was lost) is acknowledged again, counted once.
 * The relay's window is far below 32768, so clearing the bit half a cycle ahead is safe. */
static int rel_first_time(struct peer *p, uint8_t chan, uint16_t seq)
{
	int first;

	if (chan != 0)
		return 1;
	first = !(p->rel_seen[seq / 8] & (1u << (seq % 8)));
	p->rel_seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	seq = (uint16_t)(seq + 32768);
	p->rel_seen[seq / 8] &= (uint8_t)~(1u << (seq % 8));
	return first;
}

/* ---- ENet: a datagram from the relay ---------------------------------------------------- */

static void enet_parse(struct load *L, const uint8_t *d, size_t n)
{
	uint16_t w, sent_time = 0;
	uint64_t got0;
	size_t off;
	struct peer *p;

	if (n < 2) {
		L->t.malformed++;
		return;
	}
	w = get16(d);
	p = L->by_local[w & EN_HDR_ID_MASK];
	off = (w & EN_HDR_SENT_TIME) ? 4 : 2;
	if (!p || n < off || (w & EN_HDR_COMPRESSED)) {
		L->t.malformed++;
		return;
	}
	if (w & EN_HDR_SENT_TIME)
		sent_time = get16(d + 2);
	got0 = L->t.got;
	while (off + 4 <= n) {
		uint8_t cmd = d[off] & EN_CMD_MASK, chan = d[off + 1];
		uint16_t seq = get16(d + off + 2);
		size_t size = cmd < sizeof(en_size) ? en_size[cmd] : 0, dlen = 0;
		const uint8_t *payload = NULL;
		int count = 1;

		if (!size || off + size > n) {
			L->t.malformed++;
			return;
		}
		switch (cmd) {
		case EN_ACK:
			if (p->sender && L->reliable && chan == 0)
				rel_acked(p, get16(d + off + 4), L->window);
			break;
		case EN_RELIABLE:
			dlen = get16(d + off + 4);
			payload = d + off + 6;
			count = rel_first_time(p, chan, seq);
			break;
		case EN_UNRELIABLE:
		case EN_UNSEQUENCED:
			dlen = get16(d + off + 6);
			payload = d + off + 8;
			break;
		case EN_DISCONNECT:
			L->t.disconnects++;
			break;
		case EN_FRAGMENT:
		case EN_UNRELIABLE_FRAGMENT:
			dlen = get16(d + off + 6);	/* no fragments at 64 bytes: skip it */
			L->t.malformed++;
			break;
		default:
			break;	/* ping, bandwidth limit, throttle configure: only acknowledged */
		}
		if (off + size + dlen > n) {
			L->t.malformed++;
			return;
		}
		if (payload) {
			if (count)
				on_message(L, p, payload, dlen);
			else
				L->t.dup++;
		}
		if ((d[off] & EN_FLAG_ACK) && (w & EN_HDR_SENT_TIME))
			ack_queue(L, p, chan, seq, sent_time);
		off += size + dlen;
	}
	/* Datagrams that carried relayed messages; acks and pings alone are not counted. */
	L->t.got_dg += L->t.got != got0;
}

/* ---- ENet: building datagrams ---------------------------------------------------------- */

static uint16_t ms16(uint64_t now)
{
	return (uint16_t)(now / 1000000u);
}

/* One datagram of up to M new messages from sender p.  Returns the messages put in (0: the
 * reliable window is full). */
static uint32_t enet_send_one(struct load *L, struct peer *p, uint64_t now, uint64_t budget)
{
	uint8_t *b = out_slot(L, p->fd);
	size_t off;
	uint32_t m = 0;

	if (L->reliable) {
		put16(b, (uint16_t)(p->hdr | EN_HDR_SENT_TIME));
		put16(b + 2, ms16(now));
		off = 4;
	} else {
		put16(b, p->hdr);
		off = 2;
	}
	while (m < (uint32_t)L->per_dgram && m < budget) {
		uint64_t k = p->next_msg;

		if (L->reliable) {
			if (k - p->base >= (uint64_t)L->window)
				break;
			b[off] = EN_RELIABLE | EN_FLAG_ACK;
			b[off + 1] = 0;
			put16(b + off + 2, (uint16_t)(p->rel0 + k));
			put16(b + off + 4, BL_PAYLOAD);
			off += 6;
			p->sent_ns[k % (uint64_t)L->window] = now;
		} else {
			b[off] = EN_UNSEQUENCED | EN_FLAG_UNSEQ;
			b[off + 1] = 0;
			put16(b + off + 2, 0);
			put16(b + off + 4, p->group++);
			put16(b + off + 6, BL_PAYLOAD);
			off += 8;
		}
		put_payload(b + off, p, k);
		off += BL_PAYLOAD;
		p->next_msg++;
		m++;
	}
	if (m)
		out_commit(L, off, m, 1);
	return m;
}

/* Resend what was overtaken by an acknowledged message (dropped by the relay's full socket)
 * or has waited longer than RTO_MS for its acknowledgement. */
static int rel_due(const struct peer *p, size_t i, uint64_t now)
{
	const uint64_t rto = (uint64_t)RTO_MS * 1000000u;

	return !p->acked[i] && (p->sent_ns[i] < p->acked_sent_ns || now - p->sent_ns[i] >= rto);
}

static void rel_resend(struct load *L, struct peer *p, uint64_t now)
{
	uint8_t *b = NULL;
	size_t off = 0;
	uint32_t m = 0;

	if (p->base == p->next_msg || !rel_due(p, (size_t)(p->base % (uint64_t)L->window), now))
		return;
	for (uint64_t k = p->base; k < p->next_msg; k++) {
		size_t i = (size_t)(k % (uint64_t)L->window);

		if (!rel_due(p, i, now))
			continue;
		if (!b) {
			b = out_slot(L, p->fd);
			put16(b, (uint16_t)(p->hdr | EN_HDR_SENT_TIME));
			put16(b + 2, ms16(now));
			off = 4;
		}
		b[off] = EN_RELIABLE | EN_FLAG_ACK;
		b[off + 1] = 0;
		put16(b + off + 2, (uint16_t)(p->rel0 + k));
		put16(b + off + 4, BL_PAYLOAD);
		put_payload(b + off + 6, p, k);
		off += 6 + BL_PAYLOAD;
		p->sent_ns[i] = now;
		p->resent[i] = 1;
		L->t.retrans++;
		if (++m == (uint32_t)L->per_dgram) {
			out_commit(L, off, 0, 1);
			b = NULL;
			m = 0;
		}
	}
	if (b)
		out_commit(L, off, 0, 1);
}

/* ---- receive ---------------------------------------------------------------------------- */

/* Drains fd; returns datagrams read. */
static int drain(struct load *L, int fd, struct peer *member)
{
	int total = 0;

	for (int rounds = 0; rounds < 64; rounds++) {
		int n = recvmmsg(fd, L->rm, RX_BATCH, MSG_DONTWAIT, NULL);

		if (n <= 0)
			break;
		total += n;
		for (int i = 0; i < n; i++) {
			if (L->enet) {
				enet_parse(L, L->rbuf[i], L->rm[i].msg_len);
			} else {
				L->t.got_dg++;
				on_message(L, member, L->rbuf[i], L->rm[i].msg_len);
			}
		}
		if (n < RX_BATCH)
			break;
	}
	return total;
}

static void receive_all(struct load *L)
{
	if (L->enet) {
		drain(L, L->host->socket, NULL);
		for (size_t i = 0; i < L->np; i++)
			ack_flush(L, &L->p[i]);
	} else {
		for (size_t i = 0; i < L->np; i++)
			if (!L->p[i].sender || L->senders > 1)
				drain(L, L->p[i].fd, &L->p[i]);
	}
}

/* ---- setup ------------------------------------------------------------------------------ */

static int big_rcvbuf(int fd)
{
	int sz = 8 << 20;

	/* The members' sockets are the instrument: give them room (FORCE needs root). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return 0;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &l) != 0)
		return 0;
	return ntohs(a.sin_port);
}

static int take_welcome(struct peer *p, const uint8_t *d, size_t len)
{
	if (len != BL_WELCOME_LEN || bl_get32(d) != BL_WELCOME_MAGIC)
		return -1;
	p->id = bl_get32(d + 4);
	p->room = bl_get32(d + 8);
	p->slot = bl_get32(d + 12);
	p->room_size = bl_get32(d + 16);
	return 0;
}

static int enet_setup(struct load *L)
{
	ENetAddress a = {.port = (enet_uint16)L->port};

	if (enet_initialize() != 0 || enet_address_set_host_ip(&a, "127.0.0.1") != 0) {
		fprintf(stderr, PROG ": enet_initialize failed\n");
		return -1;
	}
	L->host = enet_host_create(NULL, L->np, 1, 0, 0);
	if (!L->host) {
		fprintf(stderr, PROG ": cannot create the ENet client host\n");
		return -1;
	}
	/* One peer at a time, each waited for until its welcome arrives: the relay fills rooms
	 * in connect order and the welcome says where this one landed. */
	for (size_t i = 0; i < L->np; i++) {
		struct peer *p = &L->p[i];
		uint64_t deadline = bl_now_ns() + 3000000000ull;
		int welcomed = 0;

		p->ep = enet_host_connect(L->host, &a, 1, 0);
		if (!p->ep) {
			fprintf(stderr, PROG ": enet_host_connect failed for peer %zu\n", i);
			return -1;
		}
		while (!welcomed && !stop_flag) {
			ENetEvent ev;
			int r = enet_host_service(L->host, &ev, 5);

			if (r < 0) {
				fprintf(stderr, PROG ": enet_host_service failed\n");
				return -1;
			}
			if (r > 0 && ev.type == ENET_EVENT_TYPE_RECEIVE) {
				if (ev.peer == p->ep && take_welcome(p, ev.packet->data, ev.packet->dataLength) == 0)
					welcomed = 1;
				enet_packet_destroy(ev.packet);
			} else if (r > 0 && ev.type == ENET_EVENT_TYPE_DISCONNECT) {
				fprintf(stderr, PROG ": the relay at 127.0.0.1:%ld refused or dropped peer %zu "
					"(not running? full? wrong --proto?)\n", L->port, i);
				return -1;
			}
			if (bl_now_ns() > deadline) {
				fprintf(stderr, PROG ": no ENet relay answered on 127.0.0.1:%ld within 3 s "
					"(peer %zu)\n", L->port, i);
				return -1;
			}
		}
		if (!welcomed)
			return -1;	/* interrupted */
	}
	/* Let the last acknowledgements leave before the socket changes hands. */
	for (uint64_t end = bl_now_ns() + 100000000u; bl_now_ns() < end;) {
		ENetEvent ev;

		if (enet_host_service(L->host, &ev, 5) > 0 && ev.type == ENET_EVENT_TYPE_RECEIVE)
			enet_packet_destroy(ev.packet);
	}
	big_rcvbuf(L->host->socket);
	L->srv.sin_family = AF_INET;
	L->srv.sin_port = htons((uint16_t)L->port);
	L->srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i < L->np; i++) {
		struct peer *p = &L->p[i];
		ENetPeer *e = p->ep;

		if (e->state != ENET_PEER_STATE_CONNECTED) {
			fprintf(stderr, PROG ": peer %zu is not connected after the handshake\n", i);
			return -1;
		}
		p->fd = L->host->socket;
		p->port = local_port(p->fd);
		p->hdr = (uint16_t)(e->outgoingPeerID | (uint16_t)(e->outgoingSessionID << EN_HDR_SESSION_SHIFT));
		p->group = e->outgoingUnsequencedGroup;
		p->rel0 = (uint16_t)(e->channels[0].outgoingReliableSequenceNumber + 1);
		L->by_local[e->incomingPeerID & EN_HDR_ID_MASK] = p;
		p->rel_seen = calloc(65536 / 8, 1);
		if (!p->rel_seen)
			return -1;
	}
	return 0;
}

static int udp_setup(struct load *L)
{
	L->srv.sin_family = AF_INET;
	L->srv.sin_port = htons((uint16_t)L->port);
	L->srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i < L->np; i++) {
		struct peer *p = &L->p[i];
		uint8_t join[4], buf[64];
		int ok = 0;

		p->fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&L->srv, sizeof(L->srv)) != 0) {
			perror(PROG ": socket");
			return -1;
		}
		big_rcvbuf(p->fd);
		p->port = local_port(p->fd);
		bl_put32(join, BL_JOIN_MAGIC);
		for (int tries = 0; tries < 15 && !ok && !stop_flag; tries++) {
			struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

			if (send(p->fd, join, sizeof(join), 0) < 0 && errno != ECONNREFUSED) {
				perror(PROG ": send");
				return -1;
			}
			if (poll(&pfd, 1, 200) == 1) {
				ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);

				ok = n > 0 && take_welcome(p, buf, (size_t)n) == 0;
			}
		}
		if (!ok) {
			fprintf(stderr, PROG ": no UDP relay welcomed peer %zu on 127.0.0.1:%ld "
				"(not running? full? wrong --proto?)\n", i, L->port);
			return -1;
		}
	}
	return 0;
}

/* Roles and the id table; every room of ours must be whole and ours alone. */
static int assign(struct load *L)
{
	uint32_t max_id = 0;

	for (size_t i = 0; i < L->np; i++)
		if (L->p[i].id > max_id)
			max_id = L->p[i].id;
	L->id_cap = (size_t)max_id + 1;
	L->by_id = calloc(L->id_cap, sizeof(*L->by_id));
	if (!L->by_id)
		return -1;
	for (size_t i = 0; i < L->np; i++) {
		struct peer *p = &L->p[i];
		size_t mates = 0;

		L->by_id[p->id] = p;
		if (p->room_size != (uint32_t)L->room_size) {
			fprintf(stderr, PROG ": the relay makes rooms of %u, not --room-size %ld\n",
				p->room_size, L->room_size);
			return -1;
		}
		for (size_t j = 0; j < L->np; j++)
			mates += L->p[j].room == p->room;
		if (mates != (size_t)L->room_size || p->slot >= (uint32_t)L->room_size) {
			fprintf(stderr, PROG ": room %u holds %zu of our peers, expected %ld: was the relay "
				"started fresh, with --room-size %ld?\n", p->room, mates, L->room_size,
				L->room_size);
			return -1;
		}
		p->sender = p->slot < (uint32_t)L->senders;
		if (L->reliable && p->sender) {
			p->sent_ns = calloc((size_t)L->window, sizeof(*p->sent_ns));
			p->acked = calloc((size_t)L->window, 1);
			p->resent = calloc((size_t)L->window, 1);
			if (!p->sent_ns || !p->acked || !p->resent)
				return -1;
		}
		bl_put32(p->tmpl, BL_MSG_MAGIC);
		bl_put32(p->tmpl + 4, p->id);
		for (size_t k = 8; k < BL_PAYLOAD; k++)
			p->tmpl[k] = (uint8_t)k;
	}
	return 0;
}

/* ---- the run ---------------------------------------------------------------------------- */

static void send_some(struct load *L, uint64_t now, uint64_t budget, size_t *rr)
{
	struct peer *p = NULL;

	/* Next sender, round robin. */
	for (size_t n = 0; n < L->np; n++) {
		struct peer *c = &L->p[(*rr + n) % L->np];

		if (c->sender) {
			p = c;
			*rr = (*rr + n + 1) % L->np;
			break;
		}
	}
	if (!p)
		return;
	if (L->enet) {
		if (L->reliable)
			rel_resend(L, p, now);
		for (long d = 0; d < L->burst && budget; d++) {
			uint32_t m = enet_send_one(L, p, now, budget);

			if (!m)
				break;
			budget -= m;
		}
	} else {
		for (long d = 0; d < L->burst && budget; d++, budget--) {
			uint8_t *b = out_slot(L, p->fd);

			put_payload(b, p, p->next_msg++);
			out_commit(L, BL_PAYLOAD, 1, 1);
		}
	}
	out_flush(L);
}

static void round_from(const struct snap *a, const struct snap *b, struct round *r)
{
	double s = (double)(b->ns - a->ns) / 1e9;
	long hz = sysconf(_SC_CLK_TCK);

	r->delivered = (double)(b->t.got - a->t.got) / s / 1e6;
	r->offered = (double)(b->t.sent - a->t.sent) / s / 1e6;
	r->in = (double)(b->t.reached - a->t.reached) / s / 1e6;
	r->dg_in = (double)(b->t.sent_dg - a->t.sent_dg) / s / 1e6;
	r->dg_out = (double)(b->t.got_dg - a->t.got_dg) / s / 1e6;
	r->retrans = (double)(b->t.retrans - a->t.retrans) / s / 1e6;
	r->srv_drops = (double)(b->srv_drops - a->srv_drops) / s / 1e6;
	r->cli_drops = (double)(b->cli_drops - a->cli_drops) / s / 1e6;
	r->cpu = (a->srv_ticks >= 0 && b->srv_ticks >= 0 && hz > 0)
		 ? (double)(b->srv_ticks - a->srv_ticks) / (double)hz / s : -1;
}

static int run(struct load *L, struct round *rounds)
{
	const uint64_t warm = (uint64_t)(L->warmup * 1e9), len = (uint64_t)(L->seconds * 1e9);
	uint64_t start = bl_now_ns(), end = start + warm;
	struct snap at;
	size_t rr = 0;
	int phase = 0;	/* 0: warm-up, then rounds 1..N */

	take_snap(L, &at);
	while (!stop_flag) {
		uint64_t now = bl_now_ns(), budget = UINT64_MAX;

		if (now >= end) {
			struct snap s;

			take_snap(L, &s);
			if (phase > 0) {
				struct round *r = &rounds[phase - 1];

				round_from(&at, &s, r);
				printf("# round %d/%ld: delivered=%.3f offered=%.3f in=%.3f dgrams_in=%.3f "
				       "dgrams_out=%.3f server_cpu=%.2f server_drops=%.3f client_drops=%.3f",
				       phase, L->rounds, r->delivered, r->offered, r->in, r->dg_in, r->dg_out,
				       r->cpu, r->srv_drops, r->cli_drops);
				if (L->reliable)
					printf(" resent=%.3f", r->retrans);
				printf(" (M/s)\n");
				fflush(stdout);
			}
			if (phase == L->rounds)
				return phase;
			phase++;
			at = s;
			now = s.ns;
			end = now + len;
		}
		receive_all(L);
		out_flush(L);
		if (L->rate > 0) {
			double allowed = L->rate * (double)(now - start) / 1e9 - (double)L->t.sent;

			budget = allowed > 0 ? (uint64_t)allowed : 0;
		}
		if (budget)
			send_some(L, now, budget, &rr);
	}
	return phase - 1;	/* interrupted: the rounds completed so far */
}

static double med(const struct round *r, int n, size_t field)
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&r[i] + field);
	return hy_bench_median(v, n);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"proto", required_argument, NULL, 'P'},
		{"port", required_argument, NULL, 'p'},
		{"rooms", required_argument, NULL, 'r'},
		{"room-size", required_argument, NULL, 'k'},
		{"senders", required_argument, NULL, 'S'},
		{"mode", required_argument, NULL, 'M'},
		{"per-datagram", required_argument, NULL, 'd'},
		{"burst", required_argument, NULL, 'b'},
		{"window", required_argument, NULL, 'w'},
		{"rate", required_argument, NULL, 'R'},
		{"cpu", required_argument, NULL, 'c'},
		{"server-pid", required_argument, NULL, 'i'},
		{"warmup", required_argument, NULL, 'W'},
		{"seconds", required_argument, NULL, 's'},
		{"rounds", required_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct load L;	/* large: keep it off the stack */
	long cpu = -1, port = 0;
	const char *name = NULL;
	char defname[64];
	int opt;

	L.enet = 1;
	L.rooms = 1;
	L.room_size = 2;
	L.senders = 1;
	L.per_dgram = 1;
	L.burst = 32;
	L.window = 256;
	L.rounds = 3;
	L.warmup = 0.5;
	L.seconds = 2;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		long *dst = NULL, lo_v = 0, hi_v = 0;
		double *ddst = NULL, dlo = 0, dhi = 0;

		switch (opt) {
		case 'P':
			if (strcmp(optarg, "enet") == 0)
				L.enet = 1;
			else if (strcmp(optarg, "udp") == 0)
				L.enet = 0;
			else {
				fprintf(stderr, PROG ": --proto is enet or udp, got '%s'\n", optarg);
				return 2;
			}
			continue;
		case 'M':
			if (strcmp(optarg, "unsequenced") == 0)
				L.reliable = 0;
			else if (strcmp(optarg, "reliable") == 0)
				L.reliable = 1;
			else {
				fprintf(stderr, PROG ": --mode is unsequenced or reliable, got '%s'\n", optarg);
				return 2;
			}
			continue;
		case 'N': name = optarg; continue;
		case 'h': usage(stdout); return 0;
		case 'p': dst = &port; lo_v = 1; hi_v = 65535; break;
		case 'r': dst = &L.rooms; lo_v = 1; hi_v = 1024; break;
		case 'k': dst = &L.room_size; lo_v = 2; hi_v = 4096; break;
		case 'S': dst = &L.senders; lo_v = 1; hi_v = 4095; break;
		case 'd': dst = &L.per_dgram; lo_v = 1; hi_v = 19; break;
		case 'b': dst = &L.burst; lo_v = 1; hi_v = OUT_MAX; break;
		case 'w': dst = &L.window; lo_v = 16; hi_v = 4096; break;
		case 'c': dst = &cpu; lo_v = 0; hi_v = CPU_SETSIZE - 1; break;
		case 'i': dst = &L.server_pid; lo_v = 1; hi_v = INT32_MAX; break;
		case 'n': dst = &L.rounds; lo_v = 1; hi_v = MAX_ROUNDS; break;
		case 'R': ddst = &L.rate; dlo = 0; dhi = 1e9; break;
		case 'W': ddst = &L.warmup; dlo = 0; dhi = 60; break;
		case 's': ddst = &L.seconds; dlo = 0.1; dhi = 600; break;
		default: usage(stderr); return 2;
		}
		if (dst) {
			long long v;

			if (!hy_cli_opt_num(PROG, lo, opt, optarg, lo_v, hi_v, &v))
				return 2;
			*dst = (long)v;
		}
		if (ddst && !hy_cli_opt_double(PROG, lo, opt, optarg, dlo, dhi, ddst))
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (L.senders >= L.room_size) {
		fprintf(stderr, PROG ": --senders %ld leaves no receiver in a room of %ld\n", L.senders,
			L.room_size);
		return 2;
	}
	if (!L.enet && L.reliable) {
		fprintf(stderr, PROG ": --mode reliable is an ENet mode; the UDP relay has no reliability\n");
		return 2;
	}
	if (!L.enet)
		L.per_dgram = 1;
	L.np = (size_t)L.rooms * (size_t)L.room_size;
	if (L.enet && L.np > EN_HDR_ID_MASK) {
		fprintf(stderr, PROG ": %zu peers exceed ENet's %d per host\n", L.np, EN_HDR_ID_MASK);
		return 2;
	}
	L.port = port ? port : L.enet ? 7777 : 7778;
	if (!name) {
		char x[24] = "";

		if (L.per_dgram > 1)
			snprintf(x, sizeof(x), "_x%ld", L.per_dgram);
		snprintf(defname, sizeof(defname), "%s_relay_1to%ld%s%s", L.enet ? "enet" : "udp",
			 L.room_size - 1, x, L.reliable ? "_reliable" : "");
		name = defname;
	}
	if (bl_pin((int)cpu, PROG) != 0)
		return 1;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	L.p = calloc(L.np, sizeof(*L.p));
	L.rbuf = malloc((size_t)RX_BATCH * RX_DGRAM);
	if (!L.p || !L.rbuf) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	for (int i = 0; i < RX_BATCH; i++) {
		L.riov[i] = (struct iovec){L.rbuf[i], RX_DGRAM};
		L.rm[i].msg_hdr = (struct msghdr){.msg_iov = &L.riov[i], .msg_iovlen = 1};
	}
	if ((L.enet ? enet_setup(&L) : udp_setup(&L)) != 0 || assign(&L) != 0)
		return 1;

	struct round rounds[MAX_ROUNDS];
	int n = run(&L, rounds);
	int rc = 0;

	if (n < 1) {
		fprintf(stderr, PROG ": interrupted before the first round ended\n");
		return 1;
	}
	double d = med(rounds, n, offsetof(struct round, delivered));
	double lo_d = rounds[0].delivered, hi_d = rounds[0].delivered;

	for (int i = 1; i < n; i++) {
		lo_d = rounds[i].delivered < lo_d ? rounds[i].delivered : lo_d;
		hi_d = rounds[i].delivered > hi_d ? rounds[i].delivered : hi_d;
	}
	double cpu_med = med(rounds, n, offsetof(struct round, cpu));
	double dg_out = med(rounds, n, offsetof(struct round, dg_out));
	double cli_drops = med(rounds, n, offsetof(struct round, cli_drops));

	printf("BENCH name=%s value=%.3f unit=Mmsgs/s offered=%.3f in=%.3f dgrams_in=%.3f "
	       "dgrams_out=%.3f msgs_per_dgram_out=%.1f server_cpu=%.2f per_core=%.3f "
	       "server_drops=%.3f client_drops=%.3f min=%.3f max=%.3f rounds=%d seconds=%g rooms=%ld "
	       "room_size=%ld senders=%ld per_datagram=%ld mode=%s\n",
	       name, d, med(rounds, n, offsetof(struct round, offered)),
	       med(rounds, n, offsetof(struct round, in)), med(rounds, n, offsetof(struct round, dg_in)),
	       dg_out, dg_out > 0 ? d / dg_out : 0, cpu_med, cpu_med > 0 ? d / cpu_med : -1,
	       med(rounds, n, offsetof(struct round, srv_drops)), cli_drops, lo_d, hi_d, n, L.seconds,
	       L.rooms, L.room_size, L.senders, L.per_dgram,
	       !L.enet ? "datagram" : L.reliable ? "reliable" : "unsequenced");
	fflush(stdout);

	/* The checks that make the figure mean something. */
	if (L.t.got == 0) {
		fprintf(stderr, PROG ": %s: the relay delivered nothing\n", name);
		rc = 1;
	}
	if (L.t.foreign || L.t.malformed) {
		fprintf(stderr, PROG ": %s: %" PRIu64 " messages from outside the member's room, %" PRIu64
			" malformed datagrams or commands\n", name, L.t.foreign, L.t.malformed);
		rc = 1;
	}
	if (L.t.disconnects) {
		fprintf(stderr, PROG ": %s: the relay disconnected %" PRIu64 " members during the run\n",
			name, L.t.disconnects);
		rc = 1;
	}
	if (L.reliable)
		printf("# reliable: %" PRIu64 " resent by the senders, %" PRIu64 " relayed twice to a "
		       "member (counted once)\n", L.t.retrans, L.t.dup);
	if (cpu_med >= 0 && cpu_med < 0.9)
		fprintf(stderr, PROG ": %s: warning: the relay used %.0f%% of a core: not saturated\n",
			name, cpu_med * 100);
	if (cli_drops > 0.01 * d)
		fprintf(stderr, PROG ": %s: warning: the members' sockets dropped %.3f M/s: delivered is a "
			"lower bound\n", name, cli_drops);

	if (L.enet) {
		/* Polite goodbyes so the relay logs disconnects rather than timeouts. */
		for (size_t i = 0; i < L.np; i++)
			enet_peer_disconnect_now(L.p[i].ep, 0);
		enet_host_destroy(L.host);
		enet_deinitialize();
	} else {
		for (size_t i = 0; i < L.np; i++)
			close(L.p[i].fd);
	}
	for (size_t i = 0; i < L.np; i++) {
		free(L.p[i].seen);
		free(L.p[i].sent_ns);
		free(L.p[i].acked);
		free(L.p[i].resent);
		free(L.p[i].rel_seen);
	}
	free(L.p);
	free(L.by_id);
	free(L.rbuf);
	return rc;
}
