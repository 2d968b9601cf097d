/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-impair through real sockets on loopback: a UDP echo server in this
 * process, the proxy in a child, clients here.  Counts are checked exactly
 * against the engine's decisions for the seed (order-independent), replies
 * go back to the right client, idle mappings expire, the mapping cap holds,
 * and bad arguments give one line and exit status 2.
 *
 * argv[1]: the hayate-impair executable.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "impair_engine.h"

static const char *impair_bin;

struct proxy {
	pid_t pid;
	int out;		/* its stdout */
	char buf[8192];
	size_t have;
	uint16_t port;		/* where it listens */
};

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the proxy with args (NULL-terminated after argv[0]); stdout and
 * stderr to pipes.  The child dies with this test process, so a failed
 * assertion cannot leave it behind. */
static pid_t
spawn(char *const args[], int *out, int *err)
{
	int po[2], pe[2];
	pid_t pid;

	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execv(impair_bin, args);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	*out = po[0];
	if (err != NULL)
		*err = pe[0];
	else
		close(pe[0]);
	return pid;
}

/* Next line of the proxy's stdout that starts with prefix, within
 * timeout_ms.  Returns false on timeout or end of file. */
static bool
proxy_line(struct proxy *px, const char *prefix, int timeout_ms, char *line, size_t len)
{
	uint64_t end = ms_now() + (uint64_t)timeout_ms;

	for (;;) {
		char *nl;

		while ((nl = memchr(px->buf, '\n', px->have)) != NULL) {
			size_t n = (size_t)(nl - px->buf);
			bool match = strncmp(px->buf, prefix, strlen(prefix)) == 0;

			if (match) {
				size_t c = n < len - 1 ? n : len - 1;

				memcpy(line, px->buf, c);
				line[c] = '\0';
			}
			memmove(px->buf, nl + 1, px->have - n - 1);
			px->have -= n + 1;
			if (match)
				return true;
		}
		uint64_t now = ms_now();
		if (now >= end)
			return false;
		struct pollfd pfd = {.fd = px->out, .events = POLLIN};
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		ssize_t r = read(px->out, px->buf + px->have, sizeof(px->buf) - 1 - px->have);
		if (r <= 0)
			return false;
		px->have += (size_t)r;
	}
}

static void
proxy_start(struct proxy *px, uint16_t upstream_port, const char *spec,
	    const char *extra1, const char *extra2)
{
	char up[32], line[512];
	char *args[12];
	int n = 0;
	const char *p;

	snprintf(up, sizeof(up), "127.0.0.1:%u", upstream_port);
	args[n++] = (char *)"hayate-impair";
	args[n++] = (char *)"--listen";
	args[n++] = (char *)"127.0.0.1:0";
	args[n++] = (char *)"--upstream";
	args[n++] = up;
	args[n++] = (char *)"--impair";
	args[n++] = (char *)spec;
	if (extra1 != NULL)
		args[n++] = (char *)extra1;
	if (extra2 != NULL)
		args[n++] = (char *)extra2;
	args[n] = NULL;
	memset(px, 0, sizeof(*px));
	px->pid = spawn(args, &px->out, NULL);
	ck_assert_msg(proxy_line(px, "hayate-impair: ready ", 20000, line, sizeof(line)),
		      "proxy not ready");
	ck_assert_msg((p = strstr(line, " listen=127.0.0.1:")) != NULL, "%s", line);
	px->port = (uint16_t)atoi(p + strlen(" listen=127.0.0.1:"));
	ck_assert_uint_gt(px->port, 0);
	snprintf(up, sizeof(up), " upstream=127.0.0.1:%u ", upstream_port);
	ck_assert_msg(strstr(line, up) != NULL, "%s", line);
}

/* Asks for the counters (SIGUSR1) and returns the line. */
static void
proxy_stats(struct proxy *px, char *line, size_t len)
{
	ck_assert_int_eq(kill(px->pid, SIGUSR1), 0);
	ck_assert_msg(proxy_line(px, "hayate-impair: stats ", 10000, line, len), "no stats line");
}

/* SIGTERM, the final line, exit status 0. */
static void
proxy_stop(struct proxy *px, char *line, size_t len)
{
	int status;

	ck_assert_int_eq(kill(px->pid, SIGTERM), 0);
	ck_assert_msg(proxy_line(px, "hayate-impair: final ", 10000, line, len), "no final line");
	ck_assert_int_eq(waitpid(px->pid, &status, 0), px->pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(px->out);
}

static uint64_t
stat_of(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	ck_assert_msg(p != NULL, "no %s in '%s'", key, line);
	return strtoull(p + strlen(pat), NULL, 10);
}

/* ---- the echo server and the clients ------------------------------------ */

#define MAX_CLIENTS 2
#define MAX_MSGS 8192

struct net {
	int echo;
	uint16_t echo_port;
	int cli[MAX_CLIENTS];
	int ncli;
	/* what the echo server saw: source port and first byte (client id) */
	uint16_t src[MAX_MSGS];
	char who[MAX_MSGS];
	int seq_at_server[MAX_MSGS];
	int at_server;
	/* what each client got back */
	int got[MAX_CLIENTS];
	int seqs[MAX_CLIENTS][MAX_MSGS];
	int foreign;		/* replies carrying another client's id */
};

static int
udp_socket(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static uint16_t
port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static void
net_init(struct net *n, int ncli)
{
	memset(n, 0, sizeof(*n));
	n->echo = udp_socket();
	n->echo_port = port_of(n->echo);
	n->ncli = ncli;
	for (int i = 0; i < ncli; i++)
		n->cli[i] = udp_socket();
}

static void
net_connect(struct net *n, uint16_t proxy_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(proxy_port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n->ncli; i++)
		ck_assert_int_eq(connect(n->cli[i], (struct sockaddr *)&a, sizeof(a)), 0);
}

static void
net_close(struct net *n)
{
	close(n->echo);
	for (int i = 0; i < n->ncli; i++)
		close(n->cli[i]);
}

static void
client_send(struct net *n, int c, int seq)
{
	char msg[32];
	int len = snprintf(msg, sizeof(msg), "%c%06d", 'A' + c, seq);

	ck_assert_int_eq(send(n->cli[c], msg, (size_t)len, 0), len);
}

/* Echoes and collects until nothing moved for quiet_ms (or max_ms). */
static void
pump(struct net *n, int quiet_ms, int max_ms)
{
	uint64_t start = ms_now(), last = start;

	for (;;) {
		struct pollfd pfd[1 + MAX_CLIENTS];
		uint64_t now = ms_now();
		char buf[2048];

		if (now - last >= (uint64_t)quiet_ms || now - start >= (uint64_t)max_ms)
			return;
		pfd[0] = (struct pollfd){.fd = n->echo, .events = POLLIN};
		for (int i = 0; i < n->ncli; i++)
			pfd[1 + i] = (struct pollfd){.fd = n->cli[i], .events = POLLIN};
		if (poll(pfd, (nfds_t)(1 + n->ncli), 10) <= 0)
			continue;
		last = ms_now();
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(n->echo, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);

			if (r < 0)
				break;
			ck_assert_int_lt(n->at_server, MAX_MSGS);
			n->src[n->at_server] = ntohs(from.sin_port);
			n->who[n->at_server] = buf[0];
			buf[r < (ssize_t)sizeof(buf) ? r : (ssize_t)sizeof(buf) - 1] = '\0';
			n->seq_at_server[n->at_server] = atoi(buf + 1);
			n->at_server++;
			ck_assert_int_eq(sendto(n->echo, buf, (size_t)r, 0,
						(struct sockaddr *)&from, fl), r);
		}
		for (int i = 0; i < n->ncli; i++) {
			ssize_t r;

			while ((r = recv(n->cli[i], buf, sizeof(buf) - 1, 0)) > 0) {
				buf[r] = '\0';
				if (buf[0] != 'A' + i) {
					n->foreign++;
					continue;
				}
				ck_assert_int_lt(n->got[i], MAX_MSGS);
				n->seqs[i][n->got[i]++] = atoi(buf + 1);
			}
		}
	}
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(two_clients_no_impairment)
{
	struct net n;
	struct proxy px;
	char line[1024];
	uint16_t port_a = 0, port_b = 0;

	net_init(&n, 2);
	proxy_start(&px, n.echo_port, "none", NULL, NULL);
	net_connect(&n, px.port);
	for (int burst = 0; burst < 15; burst++) {
		for (int i = 0; i < 20; i++) {
			client_send(&n, 0, burst * 20 + i);
			client_send(&n, 1, burst * 20 + i);
		}
		pump(&n, 5, 200);
	}
	pump(&n, 300, 10000);

	ck_assert_int_eq(n.at_server, 600);
	for (int i = 0; i < n.at_server; i++) {
		uint16_t *pp = n.who[i] == 'A' ? &port_a : &port_b;

		if (*pp == 0)
			*pp = n.src[i];
		ck_assert_uint_eq(n.src[i], *pp);	/* one source per client */
	}
	ck_assert_uint_ne(port_a, port_b);
	ck_assert_uint_ne(port_a, port_of(n.cli[0]));
	ck_assert_int_eq(n.foreign, 0);
	for (int c = 0; c < 2; c++) {
		ck_assert_int_eq(n.got[c], 300);
		for (int i = 0; i < 300; i++)
			ck_assert_int_eq(n.seqs[c][i], i);	/* in order */
	}
	proxy_stats(&px, line, sizeof(line));
	ck_assert_uint_eq(stat_of(line, "up.in"), 600);
	ck_assert_uint_eq(stat_of(line, "up.forwarded"), 600);
	ck_assert_uint_eq(stat_of(line, "down.forwarded"), 600);
	ck_assert_uint_eq(stat_of(line, "up.dropped"), 0);
	ck_assert_uint_eq(stat_of(line, "mappings"), 2);
	ck_assert_uint_eq(stat_of(line, "queued"), 0);
	proxy_stop(&px, line, sizeof(line));
	ck_assert_uint_eq(stat_of(line, "down.in"), 600);
	net_close(&n);
}
END_TEST

/* The number of copies k datagrams of a direction turn into, whatever
 * their order: the engine's decisions for the same seed. */
static uint64_t
expected_copies(const char *spec, enum hy_impair_dir dir, uint64_t k)
{
	struct hy_impair_params p;
	struct hy_impair_engine *e;
	char err[256];
	uint64_t copies = 0;

	hy_impair_params_default(&p);
	ck_assert_int_eq(hy_impair_params_parse(&p, spec, err, sizeof(err)), 0);
	e = hy_impair_engine_create(&p, 1, 1);
	for (uint64_t i = 0; i < k; i++) {
		struct hy_impair_decision d;

		hy_impair_decide(e, dir, &d);
		copies += d.copies;
	}
	hy_impair_engine_destroy(e);
	return copies;
}

START_TEST(counts_match_the_seed)
{
	static const char spec[] = "loss=0.2,dup=0.1,reorder=0.1,delay=5ms,jitter=20ms,seed=1";
	struct net n;
	struct proxy px;
	char line[1024];
	uint64_t want_server, want_clients;
	int reordered = 0;

	net_init(&n, 2);
	proxy_start(&px, n.echo_port, spec, "--stats-interval", "100ms");
	net_connect(&n, px.port);
	for (int burst = 0; burst < 25; burst++) {
		for (int i = 0; i < 20; i++) {
			client_send(&n, 0, burst * 20 + i);
			client_send(&n, 1, burst * 20 + i);
		}
		pump(&n, 10, 200);
	}
	/* Everything is due within 35 ms of arrival; wait well past that. */
	pump(&n, 500, 20000);

	want_server = expected_copies(spec, HY_IMPAIR_UP, 1000);
	want_clients = expected_copies(spec, HY_IMPAIR_DOWN, want_server);
	ck_assert_uint_eq((uint64_t)n.at_server, want_server);
	ck_assert_uint_eq((uint64_t)(n.got[0] + n.got[1]), want_clients);
	ck_assert_int_eq(n.foreign, 0);
	/* Sanity of the seed's figures: 1000 * 0.8 * 1.1 = 880 expected. */
	ck_assert_uint_gt(want_server, 820);
	ck_assert_uint_lt(want_server, 940);
	for (int i = 1; i < n.at_server; i++)
		reordered += n.who[i] == n.who[i - 1] &&
			     n.seq_at_server[i] < n.seq_at_server[i - 1];
	ck_assert_int_gt(reordered, 10);

	/* The periodic line shows up on its own. */
	ck_assert(proxy_line(&px, "hayate-impair: stats ", 5000, line, sizeof(line)));
	proxy_stop(&px, line, sizeof(line));
	ck_assert_uint_eq(stat_of(line, "up.in"), 1000);
	ck_assert_uint_eq(stat_of(line, "up.forwarded"), want_server);
	ck_assert_uint_eq(stat_of(line, "down.in"), want_server);
	ck_assert_uint_eq(stat_of(line, "down.forwarded"), want_clients);
	ck_assert_uint_eq(stat_of(line, "up.in") - stat_of(line, "up.dropped") +
			  stat_of(line, "up.duplicated"), want_server);
	ck_assert_uint_gt(stat_of(line, "up.reordered"), 0);
	ck_assert_uint_gt(stat_of(line, "down.reordered"), 0);
	ck_assert_uint_eq(stat_of(line, "up.overflow") + stat_of(line, "down.overflow") +
			  stat_of(line, "up.errors") + stat_of(line, "down.errors"), 0);
	ck_assert_uint_eq(stat_of(line, "mappings.created"), 2);
	net_close(&n);
}
END_TEST

START_TEST(mapping_expires)
{
	struct net n;
	struct proxy px;
	char line[1024];
	uint64_t deadline;

	net_init(&n, 1);
	proxy_start(&px, n.echo_port, "none", "--idle-timeout", "300ms");
	net_connect(&n, px.port);
	client_send(&n, 0, 1);
	pump(&n, 200, 5000);
	ck_assert_int_eq(n.got[0], 1);
	proxy_stats(&px, line, sizeof(line));
	ck_assert_uint_eq(stat_of(line, "mappings"), 1);

	/* Generous: the sweep runs every 75 ms; allow seconds on a busy box. */
	deadline = ms_now() + 15000;
	do {
		usleep(200000);
		proxy_stats(&px, line, sizeof(line));
	} while (stat_of(line, "mappings.expired") == 0 && ms_now() < deadline);
	ck_assert_uint_eq(stat_of(line, "mappings.expired"), 1);
	ck_assert_uint_eq(stat_of(line, "mappings"), 0);

	/* The client comes back: a new mapping, and replies still arrive. */
	client_send(&n, 0, 2);
	pump(&n, 200, 5000);
	ck_assert_int_eq(n.got[0], 2);
	ck_assert_int_eq(n.seqs[0][1], 2);
	proxy_stop(&px, line, sizeof(line));
	ck_assert_uint_eq(stat_of(line, "mappings.created"), 2);
	net_close(&n);
}
END_TEST

START_TEST(mapping_cap)
{
	struct net n;
	struct proxy px;
	char line[1024];

	net_init(&n, 2);
	proxy_start(&px, n.echo_port, "none", "--max-mappings", "1");
	net_connect(&n, px.port);
	client_send(&n, 0, 1);
	pump(&n, 200, 5000);
	client_send(&n, 1, 1);
	client_send(&n, 1, 2);
	pump(&n, 300, 5000);
	ck_assert_int_eq(n.got[0], 1);
	ck_assert_int_eq(n.got[1], 0);
	ck_assert_int_eq(n.at_server, 1);
	proxy_stop(&px, line, sizeof(line));
	ck_assert_uint_eq(stat_of(line, "mappings.refused"), 2);
	ck_assert_uint_eq(stat_of(line, "mappings.created"), 1);
	net_close(&n);
}
END_TEST

/* IPv6 on both sides, and IPv6 clients to an IPv4 node. */
START_TEST(ipv6)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t len = sizeof(a);
	int echo6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int echo4 = udp_socket();
	char up6[64], up4[64], line[512], buf[64];

	ck_assert_int_ge(echo6, 0);
	if (bind(echo6, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "ipv6: no ::1 here, skipped\n");
		close(echo6);
		close(echo4);
		return;
	}
	getsockname(echo6, (struct sockaddr *)&a, &len);
	snprintf(up6, sizeof(up6), "[::1]:%u", ntohs(a.sin6_port));
	snprintf(up4, sizeof(up4), "127.0.0.1:%u", port_of(echo4));

	for (int round = 0; round < 2; round++) {
		char *args[] = {(char *)"hayate-impair", (char *)"--listen", (char *)"[::1]:0",
				(char *)"--upstream", round == 0 ? up6 : up4, NULL};
		int echo = round == 0 ? echo6 : echo4;
		struct sockaddr_in6 pa = {.sin6_family = AF_INET6,
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
		struct sockaddr_storage from;
		socklen_t fl;
		struct proxy px;
		int cli = socket(AF_INET6, SOCK_DGRAM, 0);
		const char *p;
		ssize_t r;

		memset(&px, 0, sizeof(px));
		px.pid = spawn(args, &px.out, NULL);
		ck_assert(proxy_line(&px, "hayate-impair: ready ", 20000, line, sizeof(line)));
		ck_assert_msg((p = strstr(line, " listen=[::1]:")) != NULL, "%s", line);
		pa.sin6_port = htons((uint16_t)atoi(p + strlen(" listen=[::1]:")));
		ck_assert_int_eq(sendto(cli, "v6", 2, 0, (struct sockaddr *)&pa, sizeof(pa)), 2);
		struct pollfd pfd = {.fd = echo, .events = POLLIN};
		ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
		fl = sizeof(from);
		r = recvfrom(echo, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		ck_assert_int_eq(r, 2);
		ck_assert_int_eq(from.ss_family, round == 0 ? AF_INET6 : AF_INET);
		ck_assert_int_eq(sendto(echo, "ok", 2, 0, (struct sockaddr *)&from, fl), 2);
		pfd = (struct pollfd){.fd = cli, .events = POLLIN};
		ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
		ck_assert_int_eq(recv(cli, buf, sizeof(buf), 0), 2);
		ck_assert(memcmp(buf, "ok", 2) == 0);
		proxy_stop(&px, line, sizeof(line));
		close(cli);
	}
	close(echo6);
	close(echo4);
}
END_TEST

/* Runs the proxy with bad arguments: exit 2 and one line naming the fault. */
static void
bad_args(const char *want, const char *a1, const char *a2, const char *a3,
	 const char *a4, const char *a5, const char *a6)
{
	char *args[] = {(char *)"hayate-impair", (char *)a1, (char *)a2, (char *)a3,
			(char *)a4, (char *)a5, (char *)a6, NULL};
	char err[1024];
	size_t have = 0;
	ssize_t r;
	int out, efd, status;
	pid_t pid = spawn(args, &out, &efd);

	while ((r = read(efd, err + have, sizeof(err) - 1 - have)) > 0)
		have += (size_t)r;
	err[have] = '\0';
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(out);
	close(efd);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		      "status %d for '%s'", status, want);
	ck_assert_msg(strncmp(err, "hayate-impair: ", 15) == 0, "'%s'", err);
	ck_assert_msg(strchr(err, '\n') == err + have - 1, "not one line: '%s'", err);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
}

START_TEST(bad_arguments)
{
	const char *l = "--listen", *u = "--upstream", *i = "--impair";
	const char *la = "127.0.0.1:0", *ua = "127.0.0.1:9";

	bad_args("--impair: loss: must be a number from 0 to 1, got '1.5'",
		 l, la, u, ua, i, "loss=1.5");
	bad_args("--impair: delay: must be a duration", l, la, u, ua, i, "delay=5");
	bad_args("--impair: unknown key 'foo' "
		 "(keys: loss, dup, reorder, delay, jitter, reorder_delay, seed)",
		 l, la, u, ua, i, "loss=0.1,foo=1");
	bad_args("--upstream ADDR:PORT is required", l, la, NULL, NULL, NULL, NULL);
	bad_args("--listen ADDR:PORT is required", u, ua, NULL, NULL, NULL, NULL);
	bad_args("--listen: expected A.B.C.D:PORT or [IPv6]:PORT, got '[::1:80'",
		 l, "[::1:80", u, ua, NULL, NULL);
	bad_args("--listen: expected", l, "::1:80", u, ua, NULL, NULL);
	bad_args("--upstream: expected", l, la, u, "127.0.0.1:70000", NULL, NULL);
	bad_args("--upstream: expected", l, la, u, "127.0.0.1:0", NULL, NULL);
	bad_args("--upstream: expected", l, la, u, "localhost:7100", NULL, NULL);
	bad_args("unknown option '--bogus'", l, la, u, ua, "--bogus", NULL);
	bad_args("--upstream needs a value", l, la, u, NULL, NULL, NULL);
	bad_args("--idle-timeout: must be a duration", l, la, u, ua, "--idle-timeout", "0");
	bad_args("--stats-interval: must be a duration", l, la, u, ua, "--stats-interval", "1x");
	bad_args("--max-mappings: must be a whole number from 1", l, la, u, ua,
		 "--max-mappings", "0");
	bad_args("--max-queued: must be a whole number", l, la, u, ua, "--max-queued", "-5");
	bad_args("unexpected argument 'extra'", l, la, u, ua, "extra", NULL);
	bad_args("--impair: unknown key 'a?b'", l, la, u, ua, i, "a\nb=1");
	bad_args("--listen: expected A.B.C.D:PORT or [IPv6]:PORT, got '1.2.3.4?:5'",
		 l, "1.2.3.4\n:5", u, ua, NULL, NULL);
}
END_TEST

static Suite *
proxy_suite(void)
{
	Suite *s = suite_create("impair-proxy");
	TCase *tc = tcase_create("proxy");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, two_clients_no_impairment);
	tcase_add_test(tc, counts_match_the_seed);
	tcase_add_test(tc, mapping_expires);
	tcase_add_test(tc, mapping_cap);
	tcase_add_test(tc, ipv6);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-hayate-impair\n", argv[0]);
		return 2;
	}
	impair_bin = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return hy_check_run(proxy_suite());
}
