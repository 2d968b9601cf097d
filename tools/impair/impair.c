/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-impair: a UDP proxy that loses, duplicates, reorders and delays
 * datagrams in both directions, reproducibly, for tests and for people
 * (the kernel here has no netem).
 *
 * Each client address seen on the listen socket gets its own socket
 * connected to the upstream, like a NAT, so the node sees one source per
 * client and its replies map back.  Idle mappings expire.  Decisions and the
 * queue of delayed datagrams live in impair_engine.c; this file only moves
 * bytes: one thread, epoll over non-blocking sockets, a timerfd armed for
 * the next due datagram, a signalfd for SIGINT, SIGTERM and SIGUSR1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "impair_engine.h"

#define PROG "hayate-impair"
#define EXIT_USAGE 2
#define RX_BUDGET 64		/* datagrams per socket per wake-up: fairness */
#define NS_PER_S 1000000000ull

enum {
	OPT_LISTEN = 256,
	OPT_UPSTREAM,
	OPT_IMPAIR,
	OPT_STATS_INTERVAL,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_MAPPINGS,
	OPT_MAX_QUEUED,
	OPT_MAX_QUEUED_BYTES,
	OPT_HELP,
};

static const struct option options[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"upstream", required_argument, NULL, OPT_UPSTREAM},
	{"impair", required_argument, NULL, OPT_IMPAIR},
	{"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	{"max-mappings", required_argument, NULL, OPT_MAX_MAPPINGS},
	{"max-queued", required_argument, NULL, OPT_MAX_QUEUED},
	{"max-queued-bytes", required_argument, NULL, OPT_MAX_QUEUED_BYTES},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --listen ADDR:PORT --upstream ADDR:PORT [options]\n"
		"  --listen ADDR:PORT        where clients send (port 0: any free port)\n"
		"  --upstream ADDR:PORT      the node; IPv6 as [ADDR]:PORT\n"
		"  --impair SPEC             key=value,... with keys loss, dup, reorder (0..1),\n"
		"                            delay, jitter, reorder_delay (durations: 5ms, 200us, 1s)\n"
		"                            and seed (default: none, i.e. forward as is)\n"
		"  --stats-interval T        print counters every T (default: only on SIGUSR1\n"
		"                            and at exit); a bare number is seconds\n"
		"  --idle-timeout T          forget a client after T without traffic (default 60)\n"
		"  --max-mappings N          clients at once (default 1024; more are ignored)\n"
		"  --max-queued N            datagrams waiting at once (default 65536)\n"
		"  --max-queued-bytes N      bytes waiting at once (default 67108864)\n");
}

/* One line on stderr and exit 2: every argument error goes through here. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* User text for an error line: control and non-ASCII bytes as '?', so the
 * error stays one printable line.  One buffer: usage_error() exits. */
static const char *
shown(const char *s)
{
	static char buf[128];
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

/* ---- addresses ---------------------------------------------------------- */

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "A.B.C.D:PORT" or "[V6]:PORT", numeric only.  Returns 0 or -1. */
static int
parse_addr(const char *s, struct addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port;
	size_t hlen;
	char *end;
	unsigned long p;
	bool v6 = s[0] == '[';

	if (v6) {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		hlen = (size_t)(rb - s - 1);
		memcpy(host, s + 1, hlen < sizeof(host) ? hlen : 0);
		port = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon)
			return -1;
		hlen = (size_t)(colon - s);
		memcpy(host, s, hlen < sizeof(host) ? hlen : 0);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	host[hlen] = '\0';
	if (port[0] < '0' || port[0] > '9')
		return -1;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*end != '\0' || errno != 0 || p > 65535)
		return -1;
	memset(a, 0, sizeof(*a));
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		a->len = sizeof(*in6);
	} else {
		struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;

		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			return -1;
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		a->len = sizeof(*in4);
	}
	return 0;
}

static uint16_t
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static const char *
addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
			  host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, addr_port(ss));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, addr_port(ss));
	}
	return buf;
}

/* ---- client mappings ---------------------------------------------------- */

/* What identifies a client: family, port and address, zero-padded so that
 * keys compare with memcmp. */
struct client_key {
	uint16_t family;
	uint16_t port;		/* network order */
	uint8_t addr[16];
};

struct mapping {
	struct client_key key;
	struct sockaddr_storage client;
	socklen_t client_len;
	int fd;			/* connected to the upstream; -1 when free */
	uint32_t gen;		/* bumped on reuse: stale events and tags */
	uint32_t next;		/* hash chain, or free list */
	uint64_t last_ns;	/* last datagram either way */
};

#define NIL UINT32_MAX

struct proxy {
	int ep, lfd, tfd, sfd;
	struct addr listen, upstream;
	struct hy_impair_engine *eng;
	struct hy_impair_params params;
	struct mapping *maps;
	uint32_t max_maps;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;
	uint32_t active;
	uint64_t idle_ns, stats_ns, sweep_ns;
	uint64_t next_stats, next_sweep, armed;
	/* counters the engine cannot see */
	uint64_t forwarded[HY_IMPAIR_NDIR];
	uint64_t errors[HY_IMPAIR_NDIR];	/* send failed */
	uint64_t stale[HY_IMPAIR_NDIR];		/* mapping gone before due */
	uint64_t created, expired, refused;
	uint8_t buf[65536];
};

/* epoll tags: mapping events carry (gen << 32 | index); gen < 2^31. */
#define EV_LISTEN (UINT64_MAX - 1)
#define EV_TIMER (UINT64_MAX - 2)
#define EV_SIGNAL (UINT64_MAX - 3)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void
client_key_of(const struct sockaddr_storage *ss, struct client_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		k->port = in6->sin6_port;
		memcpy(k->addr, &in6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;

		k->port = in4->sin_port;
		memcpy(k->addr, &in4->sin_addr, 4);
	}
}

static uint32_t
client_hash(const struct client_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;	/* FNV-1a: clients are not adversaries here */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t
map_find(const struct proxy *px, const struct client_key *k)
{
	uint32_t i = px->buckets[client_hash(k) & px->bucket_mask];

	while (i != NIL && memcmp(&px->maps[i].key, k, sizeof(*k)) != 0)
		i = px->maps[i].next;
	return i;
}

static void
map_release(struct proxy *px, uint32_t idx)
{
	struct mapping *m = &px->maps[idx];
	uint32_t *pp = &px->buckets[client_hash(&m->key) & px->bucket_mask];

	while (*pp != idx)
		pp = &px->maps[*pp].next;
	*pp = m->next;
	close(m->fd);		/* also leaves the epoll set */
	m->fd = -1;
	m->gen = (m->gen + 1) & 0x7fffffff;
	m->next = px->free_head;
	px->free_head = idx;
	px->active--;
}

/* Creates the mapping for a new client.  Returns its index, or NIL when
 * full or when the upstream socket cannot be made (both counted). */
static uint32_t
map_create(struct proxy *px, const struct client_key *k,
	   const struct sockaddr_storage *from, socklen_t fromlen, uint64_t now)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct mapping *m;
	uint32_t idx, b;
	int fd;

	if (px->free_head == NIL) {
		px->refused++;
		return NIL;
	}
	fd = socket(px->upstream.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&px->upstream.ss,
			      px->upstream.len) < 0) {
		if (fd >= 0)
			close(fd);
		px->refused++;
		return NIL;
	}
	idx = px->free_head;
	m = &px->maps[idx];
	ev.data.u64 = ((uint64_t)m->gen << 32) | idx;
	if (epoll_ctl(px->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		px->refused++;
		return NIL;
	}
	px->free_head = m->next;
	m->key = *k;
	memcpy(&m->client, from, fromlen);
	m->client_len = fromlen;
	m->fd = fd;
	m->last_ns = now;
	b = client_hash(k) & px->bucket_mask;
	m->next = px->buckets[b];
	px->buckets[b] = idx;
	px->active++;
	px->created++;
	return idx;
}

static void
sweep(struct proxy *px, uint64_t now)
{
	for (uint32_t i = 0; i < px->max_maps; i++) {
		if (px->maps[i].fd >= 0 && now - px->maps[i].last_ns >= px->idle_ns) {
			map_release(px, i);
			px->expired++;
		}
	}
}

/* ---- counters ----------------------------------------------------------- */

static void
print_stats(const struct proxy *px, const char *what)
{
	static const char *const names[HY_IMPAIR_NDIR] = {"up", "down"};
	struct hy_impair_stats st;

	hy_impair_get_stats(px->eng, &st);
	printf(PROG ": %s", what);
	for (int d = 0; d < HY_IMPAIR_NDIR; d++) {
		const struct hy_impair_dir_stats *s = &st.dir[d];
		const char *n = names[d];

		printf(" %s.in=%" PRIu64 " %s.forwarded=%" PRIu64 " %s.dropped=%" PRIu64
		       " %s.duplicated=%" PRIu64 " %s.reordered=%" PRIu64
		       " %s.overflow=%" PRIu64 " %s.errors=%" PRIu64 " %s.stale=%" PRIu64,
		       n, s->in, n, px->forwarded[d], n, s->dropped, n, s->duplicated,
		       n, s->reordered, n, s->overflow, n, px->errors[d], n, px->stale[d]);
	}
	printf(" mappings=%" PRIu32 " mappings.created=%" PRIu64
	       " mappings.expired=%" PRIu64 " mappings.refused=%" PRIu64
	       " queued=%" PRIu32 "\n",
	       px->active, px->created, px->expired, px->refused, st.queued);
}

/* ---- datagrams ---------------------------------------------------------- */

static void
rx_clients(struct proxy *px)
{
	for (int n = 0; n < RX_BUDGET; n++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		struct client_key k;
		uint64_t now;
		uint32_t idx;
		ssize_t len;

		len = recvfrom(px->lfd, px->buf, sizeof(px->buf), MSG_TRUNC,
			       (struct sockaddr *)&from, &fromlen);
		if (len < 0)
			return;	/* EAGAIN, or an error the next datagram clears */
		if ((size_t)len > sizeof(px->buf))
			continue;	/* cannot happen with UDP; never forward a stump */
		now = now_ns();
		client_key_of(&from, &k);
		idx = map_find(px, &k);
		if (idx == NIL)
			idx = map_create(px, &k, &from, fromlen, now);
		if (idx == NIL)
			continue;
		px->maps[idx].last_ns = now;
		hy_impair_submit(px->eng, HY_IMPAIR_UP, now,
				 ((uint64_t)px->maps[idx].gen << 32) | idx,
				 px->buf, (size_t)len);
	}
}

static void
rx_upstream(struct proxy *px, uint32_t idx)
{
	struct mapping *m = &px->maps[idx];

	for (int n = 0; n < RX_BUDGET; n++) {
		ssize_t len = recv(m->fd, px->buf, sizeof(px->buf), MSG_TRUNC);
		uint64_t now;

		if (len < 0)
			return;	/* EAGAIN, or ECONNREFUSED from an ICMP error */
		if ((size_t)len > sizeof(px->buf))
			continue;
		now = now_ns();
		m->last_ns = now;
		hy_impair_submit(px->eng, HY_IMPAIR_DOWN, now,
				 ((uint64_t)m->gen << 32) | idx, px->buf, (size_t)len);
	}
}

/* Sends every datagram that is due.  A full socket buffer drops and counts:
 * the proxy stands for a lossy path, it does not need to be lossless. */
static void
tx_due(struct proxy *px, uint64_t now)
{
	struct hy_impair_pkt pkt;

	while (hy_impair_pop(px->eng, now, &pkt)) {
		uint32_t idx = (uint32_t)pkt.tag;
		const struct mapping *m = &px->maps[idx];
		ssize_t rc;

		if (m->fd < 0 || m->gen != (uint32_t)(pkt.tag >> 32)) {
			px->stale[pkt.dir]++;
		} else {
			if (pkt.dir == HY_IMPAIR_UP)
				rc = send(m->fd, pkt.data, pkt.len, 0);
			else
				rc = sendto(px->lfd, pkt.data, pkt.len, 0,
					    (const struct sockaddr *)&m->client,
					    m->client_len);
			if (rc == (ssize_t)pkt.len)
				px->forwarded[pkt.dir]++;
			else
				px->errors[pkt.dir]++;
		}
		hy_impair_pkt_release(&pkt);
	}
}

static void
arm_timer(struct proxy *px)
{
	uint64_t next = hy_impair_next_due(px->eng);
	struct itimerspec its = {0};

	if (px->next_sweep < next)
		next = px->next_sweep;
	if (px->stats_ns && px->next_stats < next)
		next = px->next_stats;
	if (next == px->armed)
		return;
	if (next == 0)
		next = 1;	/* a zero it_value would disarm */
	its.it_value.tv_sec = (time_t)(next / NS_PER_S);
	its.it_value.tv_nsec = (long)(next % NS_PER_S);
	if (timerfd_settime(px->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		fatal("timerfd_settime: %s", strerror(errno));
	px->armed = next;
}

/* Returns true when asked to stop. */
static bool
on_signal(struct proxy *px)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(px->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			print_stats(px, "stats");
		else
			stop = true;
	}
	return stop;
}

static void
run(struct proxy *px)
{
	struct epoll_event evs[64];

	for (;;) {
		uint64_t now;
		int n;

		arm_timer(px);
		n = epoll_wait(px->ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == EV_LISTEN) {
				rx_clients(px);
			} else if (tag == EV_TIMER) {
				uint64_t ticks;

				if (read(px->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					fatal("timerfd read: %s", strerror(errno));
				px->armed = 0;
			} else if (tag == EV_SIGNAL) {
				if (on_signal(px))
					return;
			} else {
				uint32_t idx = (uint32_t)tag;

				/* A mapping freed earlier in this batch: skip. */
				if (px->maps[idx].fd >= 0 &&
				    px->maps[idx].gen == (uint32_t)(tag >> 32))
					rx_upstream(px, idx);
			}
		}
		now = now_ns();
		tx_due(px, now);
		if (now >= px->next_sweep) {
			sweep(px, now);
			px->next_sweep = now + px->sweep_ns;
		}
		if (px->stats_ns && now >= px->next_stats) {
			print_stats(px, "stats");
			px->next_stats = now + px->stats_ns;
		}
	}
}

/* ---- start-up ----------------------------------------------------------- */

static uint64_t
parse_count(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = (s[0] >= '0' && s[0] <= '9') ? strtoull(s, &end, 10) : 0;
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max)
		usage_error("%s: must be a whole number from %" PRIu64 " to %" PRIu64
			    ", got '%s'", opt, min, max, shown(s));
	return v;
}

static uint64_t
parse_time_opt(const char *opt, const char *s, bool zero_ok)
{
	uint64_t ns;

	if (hy_impair_parse_duration(s, NS_PER_S, &ns) < 0 || (!zero_ok && ns == 0))
		usage_error("%s: must be a duration up to 60s (a bare number is seconds; "
			    "units s, ms, us, ns)%s, got '%s'", opt,
			    zero_ok ? "" : " above 0", shown(s));
	return ns;
}

static int
make_socket(const struct addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 4 << 20;

	if (fd < 0)
		return -1;
	/* Bursts from many clients should wait in the kernel, not be lost
	 * there: only the engine decides what is lost.  Capped by rmem_max. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	return fd;
}

static void
add_fd(struct proxy *px, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	if (epoll_ctl(px->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("epoll_ctl: %s", strerror(errno));
}

static void
setup(struct proxy *px, uint64_t max_queued, uint64_t max_bytes)
{
	uint32_t nb = 1;
	sigset_t set;
	char lbuf[64], ubuf[64], spec[256];

	px->eng = hy_impair_engine_create(&px->params, (uint32_t)max_queued, max_bytes);
	px->maps = calloc(px->max_maps, sizeof(*px->maps));
	while (nb < px->max_maps)
		nb <<= 1;
	px->buckets = malloc(sizeof(*px->buckets) * nb);
	if (px->eng == NULL || px->maps == NULL || px->buckets == NULL)
		fatal("out of memory");
	px->bucket_mask = nb - 1;
	for (uint32_t i = 0; i < nb; i++)
		px->buckets[i] = NIL;
	for (uint32_t i = 0; i < px->max_maps; i++) {
		px->maps[i].fd = -1;
		px->maps[i].gen = 1;
		px->maps[i].next = i + 1 < px->max_maps ? i + 1 : NIL;
	}
	px->free_head = 0;

	px->ep = epoll_create1(EPOLL_CLOEXEC);
	if (px->ep < 0)
		fatal("epoll_create1: %s", strerror(errno));
	px->lfd = make_socket(&px->listen);
	if (px->lfd < 0)
		fatal("socket: %s", strerror(errno));
	if (px->listen.ss.ss_family == AF_INET6) {
		int on = 1;	/* [::]:P means IPv6 only; no surprise v4 clients */

		setsockopt(px->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	}
	if (bind(px->lfd, (const struct sockaddr *)&px->listen.ss, px->listen.len) < 0)
		fatal("bind %s: %s", addr_str(&px->listen.ss, lbuf, sizeof(lbuf)),
		      strerror(errno));
	px->listen.len = sizeof(px->listen.ss);
	if (getsockname(px->lfd, (struct sockaddr *)&px->listen.ss, &px->listen.len) < 0)
		fatal("getsockname: %s", strerror(errno));
	add_fd(px, px->lfd, EV_LISTEN);

	px->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (px->tfd < 0)
		fatal("timerfd_create: %s", strerror(errno));
	add_fd(px, px->tfd, EV_TIMER);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fatal("sigprocmask: %s", strerror(errno));
	px->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (px->sfd < 0)
		fatal("signalfd: %s", strerror(errno));
	add_fd(px, px->sfd, EV_SIGNAL);

	/* Look for idle clients a few times per timeout, at most once a second. */
	px->sweep_ns = px->idle_ns / 4;
	if (px->sweep_ns > NS_PER_S)
		px->sweep_ns = NS_PER_S;
	if (px->sweep_ns < 1000000)
		px->sweep_ns = 1000000;
	px->next_sweep = now_ns() + px->sweep_ns;
	px->next_stats = now_ns() + px->stats_ns;

	hy_impair_params_format(&px->params, spec, sizeof(spec));
	printf(PROG ": ready listen=%s upstream=%s impair=%s\n",
	       addr_str(&px->listen.ss, lbuf, sizeof(lbuf)),
	       addr_str(&px->upstream.ss, ubuf, sizeof(ubuf)), spec);
}

int
main(int argc, char **argv)
{
	static struct proxy px;	/* large (the receive buffer): not on the stack */
	const char *listen_s = NULL, *upstream_s = NULL;
	uint64_t max_queued = 65536, max_bytes = 64ull << 20;
	char err[256];
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* one line per event, even into a pipe */
	hy_impair_params_default(&px.params);
	px.idle_ns = 60 * NS_PER_S;
	px.max_maps = 1024;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			listen_s = optarg;
			break;
		case OPT_UPSTREAM:
			upstream_s = optarg;
			break;
		case OPT_IMPAIR:
			if (hy_impair_params_parse(&px.params, optarg, err, sizeof(err)) < 0)
				usage_error("--impair: %s", err);
			break;
		case OPT_STATS_INTERVAL:
			px.stats_ns = parse_time_opt("--stats-interval", optarg, true);
			break;
		case OPT_IDLE_TIMEOUT:
			px.idle_ns = parse_time_opt("--idle-timeout", optarg, false);
			break;
		case OPT_MAX_MAPPINGS:
			px.max_maps = (uint32_t)parse_count("--max-mappings", optarg, 1, 1u << 20);
			break;
		case OPT_MAX_QUEUED:
			max_queued = parse_count("--max-queued", optarg, 1, 1u << 24);
			break;
		case OPT_MAX_QUEUED_BYTES:
			max_bytes = parse_count("--max-queued-bytes", optarg, 65536, 1ull << 34);
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case ':':
			usage_error("%s needs a value (see --help)", shown(argv[optind - 1]));
		default:
			usage_error("unknown option '%s' (see --help)", shown(argv[optind - 1]));
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s' (see --help)", shown(argv[optind]));
	if (listen_s == NULL)
		usage_error("--listen ADDR:PORT is required (see --help)");
	if (upstream_s == NULL)
		usage_error("--upstream ADDR:PORT is required (see --help)");
	if (parse_addr(listen_s, &px.listen) < 0)
		usage_error("--listen: expected A.B.C.D:PORT or [IPv6]:PORT, got '%s'", shown(listen_s));
	if (parse_addr(upstream_s, &px.upstream) < 0 || addr_port(&px.upstream.ss) == 0)
		usage_error("--upstream: expected A.B.C.D:PORT or [IPv6]:PORT with a port "
			    "above 0, got '%s'", shown(upstream_s));

	setup(&px, max_queued, max_bytes);
	run(&px);
	print_stats(&px, "final");
	for (uint32_t i = 0; i < px.max_maps; i++)
		if (px.maps[i].fd >= 0)
			close(px.maps[i].fd);
	hy_impair_engine_destroy(px.eng);
	free(px.maps);
	free(px.buckets);
	return 0;
}
