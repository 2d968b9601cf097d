/* SPDX-License-Identifier: BSD-3-Clause
 * udp_relay: the simplest room relay on kernel sockets, what one core does per datagram with no
 * protocol at all (docs/performance.md, "Baselines: ENet and a plain UDP relay").
 *
 * A source address becomes a member by sending a join datagram; members fill rooms of K in
 * join order and each gets a welcome (id, room, slot, K).  Every other datagram a member
 * sends is forwarded as is to the other members of its room.  No protocol, no reliability, no
 * crypto: one recvmmsg() per burst in, one sendmmsg() per burst of copies out, iovecs pointing
 * at the received bytes.  Socket buffers are set to ENet's (256 KiB) so both relays queue alike.
 */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "relay_common.h"

#define PROG "udp_relay"
#define MAX_BURST 256
#define DGRAM_MAX 2048
#define SOCK_BUF (256 * 1024)

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct member {
	struct sockaddr_in addr;
	int live;
};

/* Open-addressing table from (address, port) to member id; ids are never reused. */
struct table {
	int32_t *slot;	/* -1: empty */
	size_t mask;
};

static size_t addr_hash(const struct sockaddr_in *a)
{
	uint64_t k = (uint64_t)a->sin_addr.s_addr << 16 | a->sin_port;

	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 32);
}

static int32_t table_find(const struct table *t, const struct member *m,
			  const struct sockaddr_in *a)
{
	for (size_t i = addr_hash(a) & t->mask;; i = (i + 1) & t->mask) {
		int32_t id = t->slot[i];

		if (id < 0)
			return -1;
		if (m[id].addr.sin_addr.s_addr == a->sin_addr.s_addr && m[id].addr.sin_port == a->sin_port)
			return id;
	}
}

static void table_add(struct table *t, const struct sockaddr_in *a, int32_t id)
{
	size_t i = addr_hash(a) & t->mask;

	while (t->slot[i] >= 0)
		i = (i + 1) & t->mask;
	t->slot[i] = id;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"Plain recvmmsg/sendmmsg UDP room relay on 127.0.0.1 (baseline for the performance kit).\n"
		"  --port N        UDP port (default 7778)\n"
		"  --room-size K   members per room, 2..4096; sources fill rooms in join order (default 2)\n"
		"  --cpu N         pin to this CPU (default: not pinned)\n"
		"  --seconds S     exit after S seconds (default 0: run until SIGINT/SIGTERM)\n"
		"  --max-peers N   members at most, 2..65536 (default 4096)\n"
		"  --burst N       datagrams per recvmmsg, 1..%d (default 64)\n"
		"  --verbose       print the counters of every second at exit\n"
		"  --help          this text\n"
		"A member joins by sending the 4 bytes \"HYJN\" and is answered with a 20-byte welcome.\n"
		"Prints \"" PROG ": ready port=N\" once listening; at exit, totals (received, delivered,\n"
		"datagrams), the rates over the seconds in which messages arrived, and its CPU time.\n",
		MAX_BURST);
}

int main(int argc, char **argv)
{
	struct bl_relay_opts o = {.port = 7778, .room_size = 2, .cpu = -1, .max_peers = 4096,
				   .burst = 64};
	const struct bl_relay_limits lim = {.room_size_max = 4096, .max_peers_max = 65536,
					     .burst_max = MAX_BURST};
	int rc = bl_relay_setup(argc, argv, PROG, usage, &lim, on_signal, &o);

	if (rc >= 0)
		return rc;

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int buf = SOCK_BUF;
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)) != 0) {
		perror(PROG ": socket");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
		fprintf(stderr, PROG ": cannot bind 127.0.0.1:%ld: %s\n", o.port, strerror(errno));
		return 1;
	}

	size_t tsize = 64;
	while (tsize < 2 * (size_t)o.max_peers)
		tsize *= 2;
	struct member *mem = calloc((size_t)o.max_peers, sizeof(*mem));
	struct table tab = {.slot = malloc(tsize * sizeof(int32_t)), .mask = tsize - 1};
	/* rx: one buffer per datagram of a burst; tx: up to (K-1) copies of each, plus welcomes. */
	size_t txcap = (size_t)o.burst * (size_t)o.room_size;
	uint8_t (*rxbuf)[DGRAM_MAX] = malloc((size_t)o.burst * DGRAM_MAX);
	struct mmsghdr *rx = calloc((size_t)o.burst, sizeof(*rx));
	struct iovec *rxiov = calloc((size_t)o.burst, sizeof(*rxiov));
	struct sockaddr_in *rxaddr = calloc((size_t)o.burst, sizeof(*rxaddr));
	struct mmsghdr *tx = calloc(txcap, sizeof(*tx));
	struct iovec *txiov = calloc(txcap, sizeof(*txiov));
	uint8_t (*welcome)[BL_WELCOME_LEN] = malloc((size_t)o.burst * BL_WELCOME_LEN);
	uint8_t *is_welcome = malloc(txcap);

	if (!mem || !tab.slot || !rxbuf || !rx || !rxiov || !rxaddr || !tx || !txiov || !welcome ||
	    !is_welcome) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	memset(tab.slot, 0xff, tsize * sizeof(int32_t));
	for (long i = 0; i < o.burst; i++) {
		rxiov[i] = (struct iovec){rxbuf[i], DGRAM_MAX};
		rx[i].msg_hdr = (struct msghdr){.msg_name = &rxaddr[i], .msg_iov = &rxiov[i], .msg_iovlen = 1};
	}

	size_t joined = 0, ntx = 0, ignored = 0, tx_errors = 0;
	struct bl_counters c = {0};
	struct bl_stats st;
	uint64_t deadline = 0;

	printf(PROG ": ready port=%ld room_size=%ld max_peers=%ld cpu=%ld\n", o.port, o.room_size,
	       o.max_peers, o.cpu);
	fflush(stdout);
	bl_stats_init(&st);
	if (o.seconds)
		deadline = st.t0_ns + (uint64_t)o.seconds * 1000000000u;

	while (!stop_flag) {
		for (long i = 0; i < o.burst; i++)
			rx[i].msg_hdr.msg_namelen = sizeof(rxaddr[i]);
		int n = recvmmsg(fd, rx, (unsigned)o.burst, MSG_DONTWAIT, NULL);
		uint64_t now;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				perror(PROG ": recvmmsg");
				return 1;
			}
			/* Idle: sleep in poll, waking to honour --seconds and signals. */
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			poll(&pfd, 1, 100);
			n = 0;
		}
		c.dg_in += (uint64_t)n;
		ntx = 0;
		for (int i = 0; i < n; i++) {
			const struct sockaddr_in *src = &rxaddr[i];
			size_t len = rx[i].msg_len;
			int32_t id = table_find(&tab, mem, src);

			if (len == 4 && bl_get32(rxbuf[i]) == BL_JOIN_MAGIC) {
				/* Join, or a repeated join whose welcome was lost: answer either way. */
				if (id < 0) {
					if (joined == (size_t)o.max_peers) {
						ignored++;
						continue;
					}
					id = (int32_t)joined++;
					mem[id].addr = *src;
					mem[id].live = 1;
					table_add(&tab, src, id);
				}
				bl_welcome(welcome[i], (uint32_t)id, (uint32_t)o.room_size);
				is_welcome[ntx] = 1;
				txiov[ntx] = (struct iovec){welcome[i], BL_WELCOME_LEN};
				tx[ntx].msg_hdr = (struct msghdr){.msg_name = &mem[id].addr,
								  .msg_namelen = sizeof(mem[id].addr),
								  .msg_iov = &txiov[ntx], .msg_iovlen = 1};
				ntx++;
				continue;
			}
			if (id < 0) {
				ignored++;
				continue;
			}
			c.rx++;
			size_t base = (size_t)id / (size_t)o.room_size * (size_t)o.room_size;
			for (size_t m = base; m < base + (size_t)o.room_size && m < joined; m++) {
				if (m == (size_t)id || !mem[m].live)
					continue;
				is_welcome[ntx] = 0;
				txiov[ntx] = (struct iovec){rxbuf[i], len};
				tx[ntx].msg_hdr = (struct msghdr){.msg_name = &mem[m].addr,
								  .msg_namelen = sizeof(mem[m].addr),
								  .msg_iov = &txiov[ntx], .msg_iovlen = 1};
				ntx++;
			}
		}
		/* txcap = burst * K holds every copy of a burst: one flush per burst. */
		for (size_t off = 0; off < ntx;) {
			int s = sendmmsg(fd, tx + off, (unsigned)(ntx - off), 0);

			if (s <= 0) {
				if (s < 0 && errno == EINTR)
					continue;
				/* A failed copy (ENOBUFS, ECONNREFUSED from a gone member) is skipped. */
				tx_errors++;
				off++;
				continue;
			}
			/* Welcomes are not relayed messages: only copies count as delivered. */
			for (int k = 0; k < s; k++)
				c.tx += !is_welcome[off + (size_t)k];
			off += (size_t)s;
			c.dg_out += (uint64_t)s;
		}
		now = bl_now_ns();
		bl_stats_tick(&st, now, &c);
		if (deadline && now >= deadline)
			break;
	}
	bl_stats_report(&st, PROG, &c, o.verbose);
	printf(PROG ": members=%zu ignored_datagrams=%zu send_errors=%zu\n", joined, ignored, tx_errors);
	close(fd);
	return 0;
}
