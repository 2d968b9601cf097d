/* SPDX-License-Identifier: BSD-3-Clause
 * Client side of the data-plane integration tests, run inside the devnet
 * client namespace (scripts/devnet exec) against a live hayate-dataplane
 * over kernel UDP.  Settings come from the devnet environment
 * (HAYATE_UDP_HOST, HAYATE_UDP_PORT, HAYATE_CLUSTER_KEY_FILE,
 * HAYATE_NODE_ID, HAYATE_STATS_SHM).
 *
 *   itest_client echo N          connect, N echoes, disconnect
 *   itest_client rebind          connect, echo, new socket, echo again
 *   itest_client idle            connect, go silent past the idle timeout,
 *                                check the node closed the session
 *   itest_client drain           connect and wait (echoing) until an echo
 *                                reports OFFLINE; check a new connect is
 *                                denied NODE_DRAINING; disconnect
 *   itest_client many N          N sessions from one process
 *   itest_client hostile         malformed and hostile datagrams: each must
 *                                move its drop counter, no reply may be
 *                                larger than the datagram that caused it
 *   itest_client multiworker N   N sessions spread over several workers:
 *                                echo, rebind a third, check hand-offs;
 *                                then (the script signals the node) a
 *                                drain: OFFLINE seen by every session, half
 *                                leave, the node closes the rest
 *   itest_client echo6 N         as echo, over IPv6 (HAYATE_UDP_HOST6)
 *   itest_client session udp|tcp UNTIL [/HOLD]
 *                                a whole node (data plane and control
 *                                plane): a ticket from the HTTP API
 *                                (HAYATE_HTTP_URL, HAYATE_APP_KEY), one
 *                                session, an echo every 100 ms, a line per
 *                                answer, until UNTIL:
 *                                  kicked   the node disconnects us with
 *                                           reason KICKED (pass) or we
 *                                           end otherwise (fail)
 *                                  offline  an echo reports OFFLINE; then
 *                                           disconnect
 *                                  /FILE    FILE exists; every echo must
 *                                           have been answered; then
 *                                           disconnect
 *                                with /HOLD, once UNTIL is met the session
 *                                is kept (no more echoes) until HOLD exists
 *   itest_client roomhold N /GO  a UDP member and a TCP member (tickets from
 *                                the HTTP API) in one room; once GO exists
 *                                the UDP member broadcasts N reliable
 *                                messages; the TCP member, served by the
 *                                control plane, must get all N, in order
 *   itest_client burst N SIZE /GO
 *                                one session; once GO exists, N reliable
 *                                commands of SIZE bytes the control plane
 *                                does not know (it answers each BAD), sent
 *                                as fast as flow control lets them; ends
 *                                when the node has acknowledged them all
 *
 * Counters are read from the node's stats region.  Waits are bounded and
 * generous: no test depends on how fast the machine is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hayate_client.h"

#include "crypto/keyfile.h"
#include "crypto/random.h"
#include "crypto/token.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"
#include "stats.h"

#define WAIT_MS 5000u

static struct {
	const char *host;
	const char *host6;
	uint16_t port;
	const char *key_file;
	uint32_t node_id;
	const char *shm;
	struct hy_keyring ring;
	struct hy_aead_ctx key;
} env;

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: ", __func__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} \
} while (0)

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int load_env(void)
{
	const char *p;
	char err[256];

	env.host = getenv("HAYATE_UDP_HOST");
	env.host6 = getenv("HAYATE_UDP_HOST6");
	p = getenv("HAYATE_UDP_PORT");
	env.port = p ? (uint16_t)atoi(p) : 0;
	env.key_file = getenv("HAYATE_CLUSTER_KEY_FILE");
	p = getenv("HAYATE_NODE_ID");
	env.node_id = p ? (uint32_t)strtoul(p, NULL, 10) : 0;
	env.shm = getenv("HAYATE_STATS_SHM");
	if (!env.host || !env.port || !env.key_file || !env.node_id || !env.shm) {
		fprintf(stderr, "itest_client: run through scripts/devnet exec\n");
		return -1;
	}
	if (hy_keyfile_load(env.key_file, &env.ring, err, sizeof(err)) != 0) {
		fprintf(stderr, "itest_client: %s\n", err);
		return -1;
	}
	return hy_aead_key_init(&env.key, HY_AEAD_OPENSSL,
				env.ring.key[env.ring.newest_id]);
}

/* A ticket for uid, sealed under the newest key with the given key id,
 * node and lifetime (negative: already expired). */
static void mint(struct hy_ticket *t, const char *uid, uint8_t key_id,
		 uint32_t node_id, long ttl_s)
{
	memset(t, 0, sizeof(*t));
	if (hy_token_mint(&env.key, key_id, node_id, (uint64_t)(time(NULL) + ttl_s),
			  uid, HY_TRANSPORT_UDP, &t->cred) != 0) {
		fprintf(stderr, "itest_client: mint failed\n");
		exit(2);
	}
	snprintf(t->host, sizeof(t->host), "%s", env.host);
	t->port = env.port;
}

/* ---- counters ------------------------------------------------------------ */

static uint64_t counter(const char *name)
{
	struct hy_stats_region *r;
	uint64_t v = 0, vals[1024];
	char err[256], nm[HY_STATS_NAME_LEN];
	unsigned int n, b, i, id = ~0u;

	r = hy_stats_attach(env.shm, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "itest_client: %s\n", err);
		exit(2);
	}
	n = hy_stats_counter_count(r);
	for (i = 0; i < n && i < 1024; i++)
		if (strcmp(hy_stats_counter_name(r, i, nm, sizeof(nm)), name) == 0)
			id = i;
	for (b = 0; id != ~0u && b < hy_stats_blocks(r); b++)
		if (hy_stats_read(r, b, vals, n < 1024 ? n : 1024, NULL))
			v += vals[id];
	hy_stats_destroy(r);
	if (id == ~0u) {
		fprintf(stderr, "itest_client: no counter named %s\n", name);
		exit(2);
	}
	return v;
}

/* Counter name of each worker block, in block order, into v (at most max);
 * returns how many workers the region has. */
static unsigned int counter_per_worker(const char *name, uint64_t *v,
				       unsigned int max)
{
	struct hy_stats_region *r;
	uint64_t vals[1024];
	char err[256], nm[HY_STATS_NAME_LEN];
	unsigned int n, b, i, id = ~0u, nw = 0;
	enum hy_stats_role role;

	r = hy_stats_attach(env.shm, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "itest_client: %s\n", err);
		exit(2);
	}
	n = hy_stats_counter_count(r);
	for (i = 0; i < n && i < 1024; i++)
		if (strcmp(hy_stats_counter_name(r, i, nm, sizeof(nm)), name) == 0)
			id = i;
	for (b = 0; id != ~0u && b < hy_stats_blocks(r) && nw < max; b++)
		if (hy_stats_read(r, b, vals, n < 1024 ? n : 1024, &role) &&
		    role == HY_STATS_ROLE_WORKER)
			v[nw++] = vals[id];
	hy_stats_destroy(r);
	if (id == ~0u) {
		fprintf(stderr, "itest_client: no counter named %s\n", name);
		exit(2);
	}
	return nw;
}

/* Waits (bounded) until counter name reaches at least want. */
static uint64_t wait_counter(const char *name, uint64_t want)
{
	uint64_t v = counter(name);
	unsigned int waited = 0;

	while (v < want && waited < WAIT_MS) {
		sleep_ms(20);
		waited += 20;
		v = counter(name);
	}
	return v;
}

/* ---- client helpers ------------------------------------------------------- */

static bool run_until(struct hy_client *c, bool (*pred)(struct hy_client *, void *),
		      void *arg, unsigned int timeout_ms)
{
	uint64_t start = hy_client_now_ms();

	for (;;) {
		struct pollfd p = { .fd = hy_client_fd(c), .events = POLLIN };

		hy_client_update(c, hy_client_now_ms());
		if (pred(c, arg))
			return true;
		if (hy_client_state(c) >= HY_CLIENT_DISCONNECTED ||
		    hy_client_now_ms() - start >= timeout_ms)
			return false;
		poll(&p, 1, 5);
	}
}

static bool is_connected(struct hy_client *c, void *arg)
{
	(void)arg;
	return hy_client_state(c) == HY_CLIENT_CONNECTED;
}

static bool got_echo(struct hy_client *c, void *arg)
{
	struct hy_echo_resp *er = arg;
	struct hy_client_message m;

	while (hy_client_receive(c, &m))
		if (m.ver == HY_MSG_VER_TRANSPORT && m.cmd == HY_CMD_ECHO &&
		    m.status == HY_STATUS_OK &&
		    hy_echo_resp_decode(m.payload, m.len, er) == HY_R_OK)
			return true;
	return false;
}

static struct hy_client *connect_ticket(const struct hy_ticket *t)
{
	struct hy_client_options o = { .connect_timeout_ms = WAIT_MS };
	struct hy_client *c;
	char err[256];

	c = hy_client_create(t, &o, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "itest_client: %s\n", err);
		exit(2);
	}
	hy_client_connect(c, hy_client_now_ms());
	run_until(c, is_connected, NULL, WAIT_MS);
	return c;
}

static struct hy_client *connect_new(const char *uid)
{
	struct hy_ticket t;

	mint(&t, uid, env.ring.newest_id, env.node_id, 300);
	return connect_ticket(&t);
}

static bool echo(struct hy_client *c, struct hy_echo_resp *er)
{
	if (hy_client_echo(c, hy_client_now_ms()) != 0)
		return false;
	return run_until(c, got_echo, er, WAIT_MS);
}

/* ---- modes ------------------------------------------------------------------ */

static void mode_echo(unsigned int n)
{
	struct hy_client *c = connect_new("itest-echo");
	struct hy_echo_resp er;
	unsigned int i, ok = 0;

	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "not connected: %s",
	      hy_client_state_name(hy_client_state(c)));
	for (i = 0; i < n && hy_client_state(c) == HY_CLIENT_CONNECTED; i++)
		ok += echo(c, &er);
	CHECK(ok == n, "%u of %u echoes answered", ok, n);
	if (ok > 0)
		CHECK(er.node_state == HY_NODE_ONLINE, "node state %u", er.node_state);
	printf("echo: session %016llx, %u/%u echoes\n",
	       (unsigned long long)hy_client_sid(c), ok, n);
	hy_client_disconnect(c);
	hy_client_destroy(c);
}

static void mode_rebind(void)
{
	struct hy_client *c = connect_new("itest-rebind");
	struct hy_echo_resp a, b;
	uint64_t rebinds = counter("rebinds");

	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "not connected");
	CHECK(echo(c, &a), "first echo");
	CHECK(hy_client_rebind(c) == 0, "rebind");
	CHECK(echo(c, &b), "echo after rebind");
	CHECK(a.addr.port != b.addr.port, "node saw the same port %u", a.addr.port);
	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "lost the session");
	CHECK(wait_counter("rebinds", rebinds + 1) >= rebinds + 1,
	      "rebinds counter did not move");
	printf("rebind: port %u -> %u, same session %016llx\n", a.addr.port,
	       b.addr.port, (unsigned long long)hy_client_sid(c));
	hy_client_disconnect(c);
	hy_client_destroy(c);
}

static void mode_idle(unsigned int idle_ms)
{
	struct hy_client *c = connect_new("itest-idle");
	uint64_t before = counter("idle_timeouts");

	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "not connected");
	/* silent: no update, so no keep-alive leaves this client */
	sleep_ms(idle_ms + idle_ms / 2);
	CHECK(wait_counter("idle_timeouts", before + 1) >= before + 1,
	      "node did not time the session out");
	CHECK(wait_counter("closed.IDLE_TIMEOUT", 1) >= 1, "closed.IDLE_TIMEOUT");
	printf("idle: session closed by the node after silence\n");
	hy_client_destroy(c);
}

static void mode_drain(void)
{
	struct hy_client *c = connect_new("itest-drain"), *d;
	struct hy_echo_resp er = { 0 };
	uint64_t start = hy_client_now_ms();
	bool offline = false;

	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "not connected");
	printf("drain: connected\n");
	fflush(stdout);
	/* the test script now signals the node */
	while (hy_client_now_ms() - start < 30000 &&
	       hy_client_state(c) == HY_CLIENT_CONNECTED) {
		if (echo(c, &er) && er.node_state == HY_NODE_OFFLINE) {
			offline = true;
			break;
		}
		sleep_ms(50);
	}
	CHECK(offline, "no echo reported OFFLINE");
	d = connect_new("itest-drain-late");
	CHECK(hy_client_state(d) == HY_CLIENT_DENIED &&
	      hy_client_close_reason(d) == HY_CLOSE_NODE_DRAINING,
	      "new connect during drain: state %s reason %u",
	      hy_client_state_name(hy_client_state(d)), hy_client_close_reason(d));
	hy_client_destroy(d);
	printf("drain: echo said OFFLINE, new connect denied NODE_DRAINING\n");
	hy_client_disconnect(c); /* last session: the node may exit now */
	hy_client_destroy(c);
}

/* Connects n clients at once (uids prefix-0..n-1); returns how many are
 * CONNECTED after a bounded wait. */
static unsigned int connect_all(struct hy_client **c, unsigned int n,
				const char *prefix)
{
	struct rlimit rl = { n + 64, n + 64 };
	unsigned int i, up = 0;
	uint64_t start;

	setrlimit(RLIMIT_NOFILE, &rl);
	for (i = 0; i < n; i++) {
		struct hy_client_options o = { .connect_timeout_ms = 20000 };
		struct hy_ticket t;
		char uid[32], err[256];

		snprintf(uid, sizeof(uid), "%s-%u", prefix, i);
		mint(&t, uid, env.ring.newest_id, env.node_id, 300);
		c[i] = hy_client_create(&t, &o, err, sizeof(err));
		if (c[i] == NULL) {
			fprintf(stderr, "itest_client: client %u: %s\n", i, err);
			exit(2);
		}
		hy_client_connect(c[i], hy_client_now_ms());
	}
	start = hy_client_now_ms();
	while (up < n && hy_client_now_ms() - start < 30000) {
		up = 0;
		for (i = 0; i < n; i++) {
			hy_client_update(c[i], hy_client_now_ms());
			up += hy_client_state(c[i]) == HY_CLIENT_CONNECTED;
		}
		sleep_ms(2);
	}
	return up;
}

/*
 * One echo answered for each client i with want[i] set (all when want is
 * NULL), answers into er[i] when er is not NULL.  ECHO is unreliable and
 * a burst of them may lose some in the kernel side of a veth: a client
 * that has no answer yet asks again every 500 ms, for 30 s at most.
 * Returns how many were answered.
 */
static unsigned int echo_all(struct hy_client **c, unsigned int n,
			     const uint8_t *want, struct hy_echo_resp *er)
{
	uint8_t *answered = calloc(n, 1);
	uint64_t last_ask = 0, start = hy_client_now_ms();
	unsigned int i, asked = 0, echoed = 0;

	for (i = 0; i < n; i++) {
		answered[i] = (want != NULL && !want[i]) ||
			hy_client_state(c[i]) != HY_CLIENT_CONNECTED;
		asked += !answered[i];
	}
	while (echoed < asked && hy_client_now_ms() - start < 30000) {
		struct hy_echo_resp r;
		bool ask = hy_client_now_ms() - last_ask >= 500;

		if (ask)
			last_ask = hy_client_now_ms();
		for (i = 0; i < n; i++) {
			if (answered[i])
				continue;
			if (ask)
				hy_client_echo(c[i], 1);
			hy_client_update(c[i], hy_client_now_ms());
			if (got_echo(c[i], &r)) {
				answered[i] = 1;
				echoed++;
				if (er != NULL)
					er[i] = r;
			}
		}
		sleep_ms(2);
	}
	free(answered);
	return echoed;
}

static void mode_many(unsigned int n)
{
	struct hy_client **c = calloc(n, sizeof(*c));
	uint64_t opened = counter("sessions_opened");
	unsigned int i, up, echoed;

	up = connect_all(c, n, "itest-many");
	CHECK(up == n, "%u of %u sessions connected", up, n);
	CHECK(wait_counter("sessions", n) >= n, "node holds fewer than %u", n);
	echoed = echo_all(c, n, NULL, NULL);
	CHECK(echoed == up, "%u of %u echoes", echoed, up);
	CHECK(counter("sessions_opened") >= opened + n, "sessions_opened");
	printf("many: %u sessions, %u echoes\n", up, echoed);
	for (i = 0; i < n; i++) {
		hy_client_disconnect(c[i]);
		hy_client_destroy(c[i]);
	}
	free(c);
}

#define MW_MAX_WORKERS 64u

/* Whether the node has told client c it is draining: an echo said
 * OFFLINE, or the node already closed the session for the drain. */
static bool saw_drain(struct hy_client *c, const struct hy_echo_resp *er,
		      bool answered)
{
	if (answered && er->node_state == HY_NODE_OFFLINE)
		return true;
	return hy_client_state(c) == HY_CLIENT_DISCONNECTED &&
	       hy_client_close_reason(c) == HY_CLOSE_NODE_DRAINING;
}

static void mode_multiworker(unsigned int n)
{
	struct hy_client **c = calloc(n, sizeof(*c));
	struct hy_echo_resp *er = calloc(n, sizeof(*er));
	struct hy_echo_resp *er2 = calloc(n, sizeof(*er2));
	uint8_t *want = calloc(n, 1), *drained = calloc(n, 1);
	uint64_t per[MW_MAX_WORKERS], rebinds = counter("rebinds");
	uint64_t h_out, h_in, start;
	unsigned int i, nw, busy = 0, up, echoed, moved = 0, k = 0, seen = 0;
	unsigned int closed = 0;

	up = connect_all(c, n, "itest-mw");
	CHECK(up == n, "%u of %u sessions connected", up, n);
	CHECK(wait_counter("sessions", n) >= n, "node holds fewer than %u", n);

	/* ownership: the sessions must be spread over the workers */
	nw = counter_per_worker("sessions", per, MW_MAX_WORKERS);
	for (i = 0; i < nw; i++)
		busy += per[i] > 0;
	CHECK(nw >= 2, "the node runs %u worker(s); this case needs 2 or more", nw);
	CHECK(busy >= 2, "sessions live on %u of %u workers", busy, nw);
	printf("multiworker: %u sessions on %u workers:", up, nw);
	for (i = 0; i < nw; i++)
		printf(" %llu", (unsigned long long)per[i]);
	printf("\n");

	echoed = echo_all(c, n, NULL, er);
	CHECK(echoed == up, "%u of %u echoes", echoed, up);

	/* a third move to a new port (NAT rebinding): the session follows
	 * once a packet from there authenticates, whoever owns it */
	for (i = 0; i < n; i += 3) {
		if (hy_client_state(c[i]) != HY_CLIENT_CONNECTED)
			continue;
		CHECK(hy_client_rebind(c[i]) == 0, "client %u: rebind", i);
		want[i] = 1;
		k++;
	}
	echoed = echo_all(c, n, want, er2);
	CHECK(echoed == k, "%u of %u rebound sessions answered", echoed, k);
	for (i = 0; i < n; i++)
		if (want[i] && er2[i].addr.port != 0 &&
		    er2[i].addr.port != er[i].addr.port)
			moved++;
	CHECK(moved == k, "%u of %u rebound sessions seen from their new port",
	      moved, k);
	CHECK(wait_counter("rebinds", rebinds + k) >= rebinds + k,
	      "rebinds counter: want +%u", k);
	/* and every session, moved or not, still works */
	echoed = echo_all(c, n, NULL, NULL);
	CHECK(echoed == up, "after rebinding: %u of %u echoes", echoed, up);

	/* cross-worker traffic was handed off, and none was lost on the way */
	h_out = wait_counter("handoff_out", 1);
	h_in = wait_counter("handoff_in", h_out);
	CHECK(h_out > 0, "no hand-off between workers");
	CHECK(h_in == h_out, "handoff_in %llu != handoff_out %llu",
	      (unsigned long long)h_in, (unsigned long long)h_out);
	CHECK(counter("handoff_full") == 0, "handoff_full %llu",
	      (unsigned long long)counter("handoff_full"));
	printf("multiworker: %u echoes, %u rebinds, %llu hand-offs\n", up, k,
	       (unsigned long long)h_out);

	/* drain: the script signals the node on this line */
	printf("multiworker: drain now\n");
	fflush(stdout);
	start = hy_client_now_ms();
	while (seen < up && hy_client_now_ms() - start < 20000) {
		memset(want, 0, n);
		for (i = 0; i < n; i++)
			want[i] = !drained[i] &&
				hy_client_state(c[i]) == HY_CLIENT_CONNECTED;
		memset(er2, 0, n * sizeof(*er2));
		echo_all(c, n, want, er2);
		for (i = 0; i < n; i++) {
			hy_client_update(c[i], hy_client_now_ms());
			if (!drained[i] && saw_drain(c[i], &er2[i], want[i])) {
				drained[i] = 1;
				seen++;
			}
		}
		sleep_ms(50);
	}
	CHECK(seen == up, "%u of %u sessions were told the node drains", seen, up);

	/* half leave by themselves; the node closes the rest at its drain
	 * timeout, on whichever worker owns them */
	for (i = 0; i < n; i += 2)
		hy_client_disconnect(c[i]);
	start = hy_client_now_ms();
	do {
		closed = 0;
		for (i = 1; i < n; i += 2) {
			hy_client_update(c[i], hy_client_now_ms());
			closed += hy_client_state(c[i]) == HY_CLIENT_DISCONNECTED &&
				  hy_client_close_reason(c[i]) == HY_CLOSE_NODE_DRAINING;
		}
		if (closed == n / 2)
			break;
		sleep_ms(5);
	} while (hy_client_now_ms() - start < 30000);
	CHECK(closed == n / 2, "%u of %u remaining sessions closed by the node "
	      "with NODE_DRAINING", closed, n / 2);
	printf("multiworker: drain seen by %u sessions, %u left, %u closed by "
	       "the node\n", seen, n - n / 2, closed);
	for (i = 0; i < n; i++)
		hy_client_destroy(c[i]);
	free(drained);
	free(want);
	free(er2);
	free(er);
	free(c);
}

/* Echo over IPv6: the node answers with the client's IPv6 address. */
static void mode_echo6(unsigned int n)
{
	struct hy_client *c;
	struct hy_echo_resp er = { 0 };
	unsigned int i, ok = 0;
	char addr[INET6_ADDRSTRLEN] = "";

	if (env.host6 == NULL) {
		fprintf(stderr, "itest_client: HAYATE_UDP_HOST6 not set (devnet "
			"without IPv6?)\n");
		exit(2);
	}
	env.host = env.host6;
	c = connect_new("itest-echo6");
	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "not connected: %s",
	      hy_client_state_name(hy_client_state(c)));
	for (i = 0; i < n && hy_client_state(c) == HY_CLIENT_CONNECTED; i++)
		ok += echo(c, &er);
	CHECK(ok == n, "%u of %u echoes answered", ok, n);
	if (ok > 0) {
		CHECK(er.addr.family == 6, "echo reports family %u",
		      er.addr.family);
		inet_ntop(AF_INET6, er.addr.addr, addr, sizeof(addr));
		CHECK(strncmp(addr, "2001:db8:", 9) == 0,
		      "echo reports address %s", addr);
	}
	printf("echo6: session %016llx, %u/%u echoes, you are [%s]:%u\n",
	       (unsigned long long)hy_client_sid(c), ok, n, addr, er.addr.port);
	hy_client_disconnect(c);
	hy_client_destroy(c);
}

/* ---- hostile input ------------------------------------------------------------ */

static int udp_sock(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (s < 0) {
		perror("socket");
		exit(2);
	}
	return s;
}

static struct sockaddr_in node_addr(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, env.host, &a.sin_addr);
	return a;
}

/* Largest reply that arrives within ms (0 if none); counts replies. */
static size_t collect(int s, unsigned int ms, unsigned int *count)
{
	uint8_t buf[2048];
	size_t max = 0;
	uint64_t start = hy_client_now_ms();

	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		while ((n = recv(s, buf, sizeof(buf), 0)) > 0) {
			if ((size_t)n > max)
				max = (size_t)n;
			if (count)
				(*count)++;
		}
		if (hy_client_now_ms() - start >= ms)
			return max;
		poll(&p, 1, 10);
	}
}

struct hostile_case {
	const char *name;
	const char *counter;  /* must grow by at least `times`; "a|b": sum */
	unsigned int min_pct; /* 0: 100% of `times`; else this share */
};

/* Sum of the '|'-separated counters in names. */
static uint64_t counters(const char *names)
{
	char buf[128], *save = NULL, *tok;
	uint64_t v = 0;

	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
		v += counter(tok);
	return v;
}

static uint64_t wait_counters(const char *names, uint64_t want)
{
	uint64_t v = counters(names);
	unsigned int waited = 0;

	while (v < want && waited < WAIT_MS) {
		sleep_ms(20);
		waited += 20;
		v = counters(names);
	}
	return v;
}

/* Sends pkt `times` times from a fresh socket and checks the counter and
 * that no reply is larger than pkt. */
static void send_case(const struct hostile_case *hc, const uint8_t *pkt,
		      size_t len, unsigned int times, uint16_t port)
{
	struct sockaddr_in to = node_addr(port);
	uint64_t before = counters(hc->counter), after;
	unsigned int i, replies = 0;
	unsigned int want = hc->min_pct ? times * hc->min_pct / 100 : times;
	size_t max;
	int s = udp_sock();

	for (i = 0; i < times; i++) {
		if (sendto(s, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
		    errno == EAGAIN)
			sleep_ms(1), i--;
		if ((i & 63) == 63) {
			/* pace a flood a little: the point is the node's
			 * answers, not the kernel's socket buffers */
			collect(s, 1, &replies);
		}
	}
	after = wait_counters(hc->counter, before + want);
	max = collect(s, 200, &replies);
	close(s);
	CHECK(after >= before + want, "%s: %s grew by %llu, want %u", hc->name,
	      hc->counter, (unsigned long long)(after - before), want);
	CHECK(max <= len, "%s: reply of %zu bytes to a %zu-byte datagram",
	      hc->name, max, len);
	printf("hostile %-14s %4u x %4zu B: %s +%llu, %u replies (largest %zu B)\n",
	       hc->name, times, len, hc->counter,
	       (unsigned long long)(after - before), replies, max);
}

static void connect_packet(uint8_t out[HY_CONNECT_LEN], const uint8_t *token)
{
	memset(out, 0, HY_CONNECT_LEN);
	out[0] = hy_pkt_prefix(HY_PKT_CONNECT);
	memcpy(out + 1, token, HY_TOKEN_LEN);
}

/* Captures one DATA datagram the client sends (AF_PACKET, outgoing),
 * for the replay case.  Returns its length, 0 if none was seen. */
static size_t capture_data(int ps, uint8_t *out, size_t cap)
{
	uint8_t frame[2048];
	uint64_t start = hy_client_now_ms();

	while (hy_client_now_ms() - start < WAIT_MS) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(ps, frame, sizeof(frame), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		const struct iphdr *ip = (const void *)frame;
		const struct udphdr *udp;
		size_t off, plen;

		if (n <= 0) {
			sleep_ms(5);
			continue;
		}
		if (from.sll_pkttype != PACKET_OUTGOING ||
		    from.sll_protocol != htons(ETH_P_IP) || (size_t)n < sizeof(*ip) ||
		    ip->protocol != IPPROTO_UDP)
			continue;
		off = (size_t)ip->ihl * 4;
		udp = (const void *)(frame + off);
		if ((size_t)n < off + sizeof(*udp) + 1 || ntohs(udp->dest) != env.port)
			continue;
		plen = (size_t)n - off - sizeof(*udp);
		if (frame[off + 8] != hy_pkt_prefix(HY_PKT_DATA) || plen > cap)
			continue;
		memcpy(out, frame + off + 8, plen);
		return plen;
	}
	return 0;
}

static void mode_hostile(void)
{
	uint8_t pkt[4096], cap_pkt[2048];
	struct hy_ticket t;
	struct hy_client *c;
	struct hy_echo_resp er;
	size_t n;
	int ps;

	/* shape and prefix */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = hy_pkt_prefix(HY_PKT_CONNECT);
	send_case(&(struct hostile_case){ "truncated", "drop.BAD_PACKET_SIZE" },
		  pkt, 100, 20, env.port);
	pkt[0] = hy_pkt_prefix(HY_PKT_DATA);
	send_case(&(struct hostile_case){ "oversized", "drop.OVERSIZED" },
		  pkt, 1300, 20, env.port);
	pkt[0] = 0x21; /* version 2 */
	send_case(&(struct hostile_case){ "wrong-version", "drop.BAD_VERSION" },
		  pkt, HY_CONNECT_LEN, 20, env.port);
	pkt[0] = 0x1f; /* type 15 */
	send_case(&(struct hostile_case){ "bad-type", "drop.BAD_TYPE" },
		  pkt, HY_CONNECT_LEN, 20, env.port);
	hy_random_bytes(pkt, 64);
	pkt[0] = 0x17; /* DATA of an unknown session */
	send_case(&(struct hostile_case){ "garbage", "drops" }, pkt, 64, 100,
		  env.port);

	/* tokens */
	mint(&t, "itest-forged", env.ring.newest_id, env.node_id, 300);
	t.cred.token[HY_TOKEN_LEN - 1] ^= 0x5a;
	connect_packet(pkt, t.cred.token);
	send_case(&(struct hostile_case){ "forged-token", "drop.AUTH_FAILED" },
		  pkt, HY_CONNECT_LEN, 20, env.port);
	mint(&t, "itest-expired", env.ring.newest_id, env.node_id, -10);
	connect_packet(pkt, t.cred.token);
	send_case(&(struct hostile_case){ "expired-token", "drop.TOKEN_EXPIRED" },
		  pkt, HY_CONNECT_LEN, 20, env.port);
	mint(&t, "itest-other", env.ring.newest_id, env.node_id + 1, 300);
	connect_packet(pkt, t.cred.token);
	send_case(&(struct hostile_case){ "other-node", "drop.TOKEN_WRONG_NODE" },
		  pkt, HY_CONNECT_LEN, 20, env.port);
	mint(&t, "itest-keyid", (uint8_t)(env.ring.newest_id + 77), env.node_id, 300);
	connect_packet(pkt, t.cred.token);
	send_case(&(struct hostile_case){ "unknown-key", "drop.TOKEN_BAD_KEY_ID" },
		  pkt, HY_CONNECT_LEN, 20, env.port);

	/* CONNECT flood with one valid token: each answered by a CHALLENGE
	 * smaller than the CONNECT, nothing else */
	mint(&t, "itest-flood", env.ring.newest_id, env.node_id, 300);
	connect_packet(pkt, t.cred.token);
	/* the kernel may drop some of a burst before the node sees it:
	 * at least half must be answered */
	send_case(&(struct hostile_case){ "connect-flood", "challenges", 50 },
		  pkt, HY_CONNECT_LEN, 2000, env.port);

	/* not for the gateway port; an IP fragment train */
	memset(pkt, 0, sizeof(pkt));
	send_case(&(struct hostile_case){ "wrong-port", "net.UDP_WRONG_PORT" },
		  pkt, 64, 20, (uint16_t)(env.port + 1));
	pkt[0] = hy_pkt_prefix(HY_PKT_DATA);
	/* af_packet's fanout reassembles fragments before the node sees
	 * them, and the reassembled frame exceeds the ring's frame: either
	 * way it is dropped */
	send_case(&(struct hostile_case){ "ip-fragments",
			"net.IPV4_FRAGMENT|net.IPV4_BAD_LENGTH" },
		  pkt, 3000, 10, env.port);

	/* token reuse: a token that already opened a session */
	mint(&t, "itest-reuse", env.ring.newest_id, env.node_id, 300);
	c = connect_ticket(&t);
	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "reuse: first connect");
	hy_client_disconnect(c);
	hy_client_destroy(c);
	c = connect_ticket(&t);
	CHECK(hy_client_state(c) == HY_CLIENT_DENIED &&
	      hy_client_close_reason(c) == HY_CLOSE_TOKEN_REUSED,
	      "reused token: state %s reason %u",
	      hy_client_state_name(hy_client_state(c)), hy_client_close_reason(c));
	printf("hostile reused-token: denied TOKEN_REUSED\n");
	hy_client_destroy(c);

	/* bad tag and replay on a live session */
	/* outgoing frames reach only ETH_P_ALL taps */
	ps = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	CHECK(ps >= 0, "AF_PACKET socket: %s", strerror(errno));
	c = connect_new("itest-replay");
	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "replay: connect");
	while (recv(ps, cap_pkt, sizeof(cap_pkt), MSG_DONTWAIT) > 0)
		;
	CHECK(echo(c, &er), "replay: echo");
	n = capture_data(ps, cap_pkt, sizeof(cap_pkt));
	CHECK(n > HY_DATA_OVERHEAD, "no DATA datagram captured");
	if (n > HY_DATA_OVERHEAD) {
		send_case(&(struct hostile_case){ "replayed", "drop.REPLAYED" },
			  cap_pkt, n, 5, env.port);
		/* the same header with a broken tag and a new packet number */
		cap_pkt[9] ^= 0x40;
		cap_pkt[n - 1] ^= 0x01;
		send_case(&(struct hostile_case){ "bad-tag", "drop.AUTH_FAILED" },
			  cap_pkt, n, 5, env.port);
	}
	if (ps >= 0)
		close(ps);
	CHECK(echo(c, &er), "session survives the attacks");
	hy_client_disconnect(c);
	hy_client_destroy(c);
}

/* ---- whole node: a session with a ticket from the HTTP API ---------------- */

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void mode_session(const char *transport, const char *until, const char *hold)
{
	const char *url = getenv("HAYATE_HTTP_URL"), *key = getenv("HAYATE_APP_KEY");
	enum hy_transport tr = strcmp(transport, "tcp") == 0 ? HY_TRANSPORT_TCP :
			       HY_TRANSPORT_UDP;
	bool want_kick = strcmp(until, "kicked") == 0;
	bool want_offline = strcmp(until, "offline") == 0;
	uint64_t start, last_echo = 0, sent = 0, answered = 0;
	unsigned int last_state = HY_NODE_ONLINE;
	bool offline = false, stopped = false;
	struct hy_client *c;
	struct hy_ticket t;
	char err[256];

	if (url == NULL || key == NULL) {
		fprintf(stderr, "itest_client: session needs HAYATE_HTTP_URL and HAYATE_APP_KEY\n");
		exit(2);
	}
	if (!want_kick && !want_offline && until[0] != '/') {
		fprintf(stderr, "itest_client: session: UNTIL is kicked, offline or /FILE\n");
		exit(2);
	}
	if (hy_auth_fetch(url, key, tr == HY_TRANSPORT_TCP ? "itest-tcp" : "itest-udp", tr,
			  &t, err, sizeof(err)) != 0) {
		CHECK(0, "auth: %s", err);
		return;
	}
	c = connect_ticket(&t);
	explicit_bzero(&t, sizeof(t));
	if (hy_client_state(c) != HY_CLIENT_CONNECTED) {
		CHECK(0, "not connected: %s %s", hy_client_state_name(hy_client_state(c)),
		      hy_client_error(c));
		hy_client_destroy(c);
		return;
	}
	printf("session: connected %s sid %016llx\n", transport,
	       (unsigned long long)hy_client_sid(c));
	start = hy_client_now_ms();
	/* bounded: 60 s covers every case's slowest step */
	while (hy_client_now_ms() - start < 60000) {
		struct pollfd p = { .fd = hy_client_fd(c), .events = hy_client_poll_events(c) };
		struct hy_client_message m;
		struct hy_echo_resp er;
		uint64_t now = hy_client_now_ms();

		hy_client_update(c, now);
		while (hy_client_receive(c, &m)) {
			if (m.ver != HY_MSG_VER_TRANSPORT || m.cmd != HY_CMD_ECHO ||
			    m.status != HY_STATUS_OK ||
			    hy_echo_resp_decode(m.payload, m.len, &er) != HY_R_OK)
				continue;
			answered++;
			last_state = er.node_state;
			printf("session: echo %llu node %s\n", (unsigned long long)answered,
			       hy_node_state_name(er.node_state));
			if (er.node_state == HY_NODE_OFFLINE)
				offline = true;
		}
		if (hy_client_state(c) != HY_CLIENT_CONNECTED)
			break;
		if (want_offline && offline)
			break;
		if (!want_kick && !want_offline && file_exists(until)) {
			stopped = true;
			break;
		}
		if (now - last_echo >= 100) {
			if (hy_client_echo(c, now) == 0)
				sent++;
			last_echo = now;
		}
		poll(&p, 1, 10);
	}
	printf("session: %s, reason %s, sid %016llx, %llu echoes sent, %llu answered, "
	       "node %s\n", hy_client_state_name(hy_client_state(c)),
	       hy_client_close_reason(c) ? hy_close_reason_name(hy_client_close_reason(c)) : "-",
	       (unsigned long long)hy_client_sid(c), (unsigned long long)sent,
	       (unsigned long long)answered, hy_node_state_name(last_state));
	if (hold != NULL && hy_client_state(c) == HY_CLIENT_CONNECTED) {
		printf("session: holding until %s\n", hold);
		start = hy_client_now_ms();
		while (hy_client_now_ms() - start < 60000 && !file_exists(hold) &&
		       hy_client_state(c) == HY_CLIENT_CONNECTED) {
			struct pollfd p = { .fd = hy_client_fd(c),
					    .events = hy_client_poll_events(c) };
			struct hy_client_message m;

			hy_client_update(c, hy_client_now_ms());
			while (hy_client_receive(c, &m))
				;
			poll(&p, 1, 20);
		}
		CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "lost the session while holding: %s",
		      hy_client_state_name(hy_client_state(c)));
	}
	if (want_kick) {
		CHECK(hy_client_state(c) == HY_CLIENT_DISCONNECTED &&
		      hy_client_close_reason(c) == HY_CLOSE_KICKED,
		      "expected DISCONNECTED KICKED, got %s %s",
		      hy_client_state_name(hy_client_state(c)),
		      hy_close_reason_name(hy_client_close_reason(c)));
	} else if (want_offline) {
		CHECK(offline, "no echo reported OFFLINE");
	} else {
		CHECK(stopped, "gave up waiting for %s (state %s)", until,
		      hy_client_state_name(hy_client_state(c)));
		/* the echo in flight when the file appeared may be unanswered */
		CHECK(answered + 1 >= sent && answered > 0, "%llu of %llu echoes answered",
		      (unsigned long long)answered, (unsigned long long)sent);
	}
	hy_client_disconnect(c);
	hy_client_destroy(c);
}

/* Pumps both clients for up to ms, until done(arg) says so. */
static bool pump_two(struct hy_client *a, struct hy_client *b, unsigned int ms,
		     bool (*done)(struct hy_client *, struct hy_client *, void *), void *arg)
{
	uint64_t start = hy_client_now_ms();

	while (hy_client_now_ms() - start < ms) {
		struct pollfd p[2] = { { .fd = hy_client_fd(a), .events = hy_client_poll_events(a) },
				       { .fd = hy_client_fd(b), .events = hy_client_poll_events(b) } };

		hy_client_update(a, hy_client_now_ms());
		hy_client_update(b, hy_client_now_ms());
		if (done(a, b, arg))
			return true;
		if (hy_client_state(a) != HY_CLIENT_CONNECTED ||
		    hy_client_state(b) != HY_CLIENT_CONNECTED)
			return false;
		poll(p, 2, 5);
	}
	return false;
}

struct roomhold {
	uint64_t room;
	bool joined;
	unsigned int n, sent, got, out_of_order;
	const char *go;
};

/* Room events of a (the UDP member) and b (the TCP member). */
static void roomhold_events(struct hy_client *a, struct hy_client *b, struct roomhold *h)
{
	struct hy_client_message m;
	struct hy_room_event ev;

	while (hy_client_receive(a, &m))
		if (hy_room_decode(&m, &ev) == HY_R_OK && ev.kind == HY_ROOM_EV_CREATED)
			h->room = ev.room_id;
	while (hy_client_receive(b, &m)) {
		if (hy_room_decode(&m, &ev) != HY_R_OK)
			continue;
		if (ev.kind == HY_ROOM_EV_JOINED)
			h->joined = true;
		if (ev.kind == HY_ROOM_EV_BROADCAST && ev.data_len == 4) {
			uint32_t k;

			memcpy(&k, ev.data, 4);
			h->out_of_order += k != h->got;
			h->got++;
		}
	}
}

static bool room_created(struct hy_client *a, struct hy_client *b, void *arg)
{
	roomhold_events(a, b, arg);
	return ((struct roomhold *)arg)->room != 0;
}

static bool room_joined(struct hy_client *a, struct hy_client *b, void *arg)
{
	roomhold_events(a, b, arg);
	return ((struct roomhold *)arg)->joined;
}

static bool go_given(struct hy_client *a, struct hy_client *b, void *arg)
{
	roomhold_events(a, b, arg);
	return file_exists(((struct roomhold *)arg)->go);
}

/* Sends what the UDP member's channel takes; done when the TCP member has
 * every broadcast. */
static bool all_relayed(struct hy_client *a, struct hy_client *b, void *arg)
{
	struct roomhold *h = arg;

	while (h->sent < h->n) {
		uint32_t k = h->sent;

		if (hy_room_broadcast_flags(a, &k, 4, HY_ROOM_BROADCAST_QUIET, true) != 0)
			break;
		h->sent++;
	}
	roomhold_events(a, b, h);
	return h->got >= h->n;
}

static void mode_roomhold(unsigned int n, const char *go)
{
	const char *url = getenv("HAYATE_HTTP_URL"), *key = getenv("HAYATE_APP_KEY");
	struct roomhold h = { .n = n, .go = go };
	struct hy_client *a, *b;
	struct hy_ticket t;
	char err[256];

	if (url == NULL || key == NULL) {
		fprintf(stderr, "itest_client: roomhold needs HAYATE_HTTP_URL and HAYATE_APP_KEY\n");
		exit(2);
	}
	a = connect_new("itest-room-udp");
	if (hy_auth_fetch(url, key, "itest-room-tcp", HY_TRANSPORT_TCP, &t, err, sizeof(err)) != 0) {
		CHECK(0, "auth: %s", err);
		hy_client_destroy(a);
		return;
	}
	b = connect_ticket(&t);
	explicit_bzero(&t, sizeof(t));
	CHECK(hy_client_state(a) == HY_CLIENT_CONNECTED && hy_client_state(b) == HY_CLIENT_CONNECTED,
	      "not connected: %s, %s", hy_client_state_name(hy_client_state(a)),
	      hy_client_state_name(hy_client_state(b)));
	hy_room_create(a, NULL, true);
	CHECK(pump_two(a, b, WAIT_MS, room_created, &h), "no room created");
	hy_room_join(b, h.room, true);
	CHECK(pump_two(a, b, WAIT_MS, room_joined, &h), "the TCP member did not join");
	printf("roomhold: ready, room %016llx\n", (unsigned long long)h.room);
	CHECK(pump_two(a, b, 30000, go_given, &h), "%s never appeared", go);
	/* bounded: the script stops the control plane for a few seconds */
	pump_two(a, b, 60000, all_relayed, &h);
	CHECK(h.got == n && h.out_of_order == 0, "the TCP member got %u of %u broadcasts, %u out of "
	      "order", h.got, n, h.out_of_order);
	printf("roomhold: %u reliable broadcasts sent by the UDP member, %u received by the TCP "
	       "member, in order\n", h.sent, h.got);
	hy_client_disconnect(a);
	hy_client_disconnect(b);
	hy_client_destroy(a);
	hy_client_destroy(b);
}

/* Reliable commands for the control plane, as fast as the reliable
 * channel takes them: with the control plane stopped by the script, the
 * node must hold them (acknowledged, or left for this client to resend
 * once its receive window is full) and pass every one up when it runs. */
static void mode_burst(unsigned int n, unsigned int size, const char *go)
{
	static uint8_t payload[HY_MAX_MESSAGE - HY_MSG_CMD_HDR];
	struct hy_client *c = connect_new("itest-burst");
	const struct hy_client_stats *st = hy_client_stats(c);
	uint64_t start, answers = 0, bad = 0;
	unsigned int sent = 0, i;

	if (size == 0 || size > sizeof(payload)) {
		fprintf(stderr, "itest_client: burst: SIZE from 1 to %zu\n", sizeof(payload));
		exit(2);
	}
	for (i = 0; i < size; i++)
		payload[i] = (uint8_t)(i * 13u);
	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED, "not connected: %s",
	      hy_client_state_name(hy_client_state(c)));
	printf("burst: connected sid %016llx\n", (unsigned long long)hy_client_sid(c));
	start = hy_client_now_ms();
	while (!file_exists(go) && hy_client_now_ms() - start < 30000 &&
	       hy_client_state(c) == HY_CLIENT_CONNECTED) {
		struct pollfd p = { .fd = hy_client_fd(c), .events = hy_client_poll_events(c) };

		hy_client_update(c, hy_client_now_ms());
		poll(&p, 1, 20);
	}
	CHECK(file_exists(go), "%s never appeared", go);
	start = hy_client_now_ms();
	/* bounded: the script holds the control plane for a few seconds */
	while (hy_client_now_ms() - start < 60000 && hy_client_state(c) == HY_CLIENT_CONNECTED) {
		struct pollfd p = { .fd = hy_client_fd(c), .events = hy_client_poll_events(c) };
		struct hy_client_message m;

		hy_client_update(c, hy_client_now_ms());
		while (hy_client_receive(c, &m)) {
			answers++;
			bad += m.status == HY_STATUS_BAD;
		}
		while (sent < n && hy_client_send_reliable(c, 2, 0x0b57, payload, size) == 0)
			sent++;
		/* all sent and acknowledged: the send window is given back */
		if (sent == n && st->rudp_mem_bytes == 0)
			break;
		poll(&p, 1, 5);
	}
	CHECK(sent == n, "%u of %u commands accepted by the reliable channel", sent, n);
	CHECK(hy_client_state(c) == HY_CLIENT_CONNECTED && st->rudp_mem_bytes == 0,
	      "not all acknowledged: state %s, %llu bytes held", hy_client_state_name(hy_client_state(c)),
	      (unsigned long long)st->rudp_mem_bytes);
	printf("burst: %u commands of %u bytes sent and acknowledged in %llu ms; %llu window "
	       "stalls, %llu units resent; %llu answers so far (%llu BAD)\n", sent, size,
	       (unsigned long long)(hy_client_now_ms() - start),
	       (unsigned long long)st->window_stalls, (unsigned long long)st->retransmits,
	       (unsigned long long)answers, (unsigned long long)bad);
	hy_client_disconnect(c);
	hy_client_destroy(c);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned int arg = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 10) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (load_env() != 0)
		return 2;
	if (strcmp(mode, "session") == 0 && (argc == 4 || argc == 5))
		mode_session(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	else if (strcmp(mode, "echo") == 0)
		mode_echo(arg ? arg : 3);
	else if (strcmp(mode, "rebind") == 0)
		mode_rebind();
	else if (strcmp(mode, "idle") == 0)
		mode_idle(arg ? arg : 2000);
	else if (strcmp(mode, "drain") == 0)
		mode_drain();
	else if (strcmp(mode, "many") == 0)
		mode_many(arg ? arg : 1000);
	else if (strcmp(mode, "hostile") == 0)
		mode_hostile();
	else if (strcmp(mode, "multiworker") == 0)
		mode_multiworker(arg ? arg : 50);
	else if (strcmp(mode, "echo6") == 0)
		mode_echo6(arg ? arg : 3);
	else if (strcmp(mode, "roomhold") == 0 && argc == 4)
		mode_roomhold(arg, argv[3]);
	else if (strcmp(mode, "burst") == 0 && argc == 5)
		mode_burst(arg, (unsigned int)strtoul(argv[3], NULL, 10), argv[4]);
	else {
		fprintf(stderr, "usage: itest_client echo N|rebind|idle MS|drain|"
			"many N|hostile|\n"
			"       multiworker N|echo6 N|session udp|tcp kicked|offline|/FILE [/HOLD]|\n"
			"       roomhold N /GO|burst N SIZE /GO\n");
		return 2;
	}
	hy_aead_key_wipe(&env.key);
	hy_keyring_wipe(&env.ring);
	if (failures)
		fprintf(stderr, "%s: %d check(s) failed\n", mode, failures);
	return failures ? 1 : 0;
}
