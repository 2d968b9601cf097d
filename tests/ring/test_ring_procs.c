/* SPDX-License-Identifier: BSD-3-Clause
 * Rings between real processes: 10M messages with no loss or reordering
 * through many full/empty cycles and sleeps on the eventfd; consumer killed
 * under a running producer; producer killed under a waiting consumer;
 * control-plane restart and re-attach to a new data plane.
 *
 * Children get PR_SET_PDEATHSIG so they die with the test process even when
 * an assertion ends it early; every child is also killed and reaped at the
 * end of each test.  Deadlines below only stop a hung run, they never judge
 * speed.
 */
#include <check.h>

#include "check_run.h"
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ring/link.h"
#include "ring/ring.h"

#define HANG_GUARD_S 40.0

static uint8_t pattern[HY_MAX_MESSAGE + 512];

struct shared_ctl {
	_Atomic uint64_t received;
	_Atomic uint64_t fulls;
	_Atomic int ready;
	_Atomic int stop;
};

static struct shared_ctl *ctl;
static pid_t kids[8];
static int nkids;
static char dir_path[64];
static char sock_path[96];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void setup(void)
{
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ctl, MAP_FAILED);
	memset(ctl, 0, sizeof(*ctl));
	strcpy(dir_path, "/tmp/hy-ring-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir_path));
	snprintf(sock_path, sizeof(sock_path), "%s/dp.sock", dir_path);
	nkids = 0;
}

static void reap_all(void)
{
	for (int i = 0; i < nkids; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	}
	nkids = 0;
}

static void teardown(void)
{
	reap_all();
	unlink(sock_path);
	rmdir(dir_path);
	munmap(ctl, sizeof(*ctl));
}

static pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		_exit(fn(arg));
	}
	kids[nkids++] = pid;
	return pid;
}

/* Waits for a child we started and forgets it; returns its wait status. */
static int reap(pid_t pid)
{
	int status = -1;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	for (int i = 0; i < nkids; i++)
		if (kids[i] == pid)
			kids[i] = 0;
	return status;
}

static void guard(double deadline, const char *what)
{
	if (now_s() > deadline)
		ck_abort_msg("no progress: %s", what);
}

/* Message number seq: payload length and contents derive from seq, and
 * every 50,000th message is large enough to take three slots. */
static struct hy_ring_msg numbered(uint32_t seq)
{
	uint32_t len = seq % 50000 == 7 ? 5000 : seq % 97;
	struct hy_ring_msg m = {.type = HY_MSG_COMMAND, .seq = seq, .sid = seq + 1ull,
		.u.cmd = {.ver = 1, .cmd = (uint16_t)seq, .payload_len = len,
			  .payload = pattern + seq % 251}};
	return m;
}

static bool numbered_ok(const struct hy_ring_msg *m, uint32_t seq)
{
	struct hy_ring_msg e = numbered(seq);
	return m->type == HY_MSG_COMMAND && m->seq == seq && m->sid == e.sid &&
		m->u.cmd.cmd == e.u.cmd.cmd && m->u.cmd.payload_len == e.u.cmd.payload_len &&
		memcmp(m->u.cmd.payload, e.u.cmd.payload, e.u.cmd.payload_len) == 0;
}

/* ---- 10M messages ------------------------------------------------------- */

#define TOTAL 10000000u
#define PAUSE_EVERY 1000000u

struct stream_arg {
	struct hy_ring *cons; /* parent's handle; the child attaches its own */
};

static int stream_producer(void *p)
{
	struct stream_arg *a = p;
	struct hy_ring *r;
	enum hy_reason why;
	if (hy_ring_attach(&r, dup(hy_ring_memfd(a->cons)),
			   dup(hy_ring_eventfd(a->cons)), HY_RING_UP,
			   HY_RING_PRODUCER, 0, &why) < 0)
		return 2;
	hy_ring_watch_peer(r);
	uint64_t fulls = 0;
	for (uint32_t seq = 0; seq < TOTAL;) {
		struct hy_ring_msg m = numbered(seq);
		why = hy_ring_send(r, &m);
		if (why == HY_R_OK) {
			seq++;
			/* Stop now and then so the consumer empties the ring
			 * and goes to sleep on the eventfd. */
			if (seq % PAUSE_EVERY == PAUSE_EVERY / 2)
				usleep(3000);
		} else if (why == HY_R_RING_FULL) {
			fulls++;
			sched_yield();
		} else {
			return 3;
		}
	}
	atomic_store(&ctl->fulls, fulls);
	hy_ring_close(r);
	return 0;
}

START_TEST(test_ten_million_messages)
{
	struct stream_arg a;
	struct hy_ring_msg msgs[32];
	uint64_t empties = 0, sleeps = 0, missed = 0;
	ck_assert_int_eq(hy_ring_create(&a.cons, HY_RING_UP, HY_RING_CONSUMER, 64), 0);
	pid_t pid = spawn(stream_producer, &a);
	hy_ring_set_peer(a.cons, pid);

	uint32_t expect = 0;
	double deadline = now_s() + 4 * HANG_GUARD_S;
	while (expect < TOTAL) {
		unsigned n = hy_ring_recv_burst(a.cons, msgs, 32);
		for (unsigned i = 0; i < n; i++, expect++)
			if (!numbered_ok(&msgs[i], expect))
				ck_abort_msg("message %u lost, reordered or corrupted", expect);
		if (n) {
			/* Stop now and then so the producer fills the ring. */
			if (expect % PAUSE_EVERY < n)
				usleep(3000);
			continue;
		}
		empties++;
		if ((empties & 1023) == 0) {
			guard(deadline, "stream");
			ck_assert_msg(hy_ring_peer_alive(a.cons), "producer died");
		}
		if (empties % 16 != 0 || !hy_ring_arm(a.cons))
			continue;
		sleeps++;
		struct pollfd pf = {.fd = hy_ring_eventfd(a.cons), .events = POLLIN};
		int rc = poll(&pf, 1, 1000);
		/* A timeout with slots queued is a lost wake-up. */
		if (rc == 0 && hy_ring_count(a.cons) > 0)
			missed++;
	}
	int status = reap(pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(hy_ring_recv_burst(a.cons, msgs, 32), 0);
	ck_assert_uint_eq(hy_ring_stats(a.cons)->bad, 0);
	ck_assert_uint_eq(missed, 0);
	ck_assert_uint_gt(atomic_load(&ctl->fulls), 0);
	ck_assert_uint_gt(empties, 0);
	ck_assert_uint_gt(sleeps, 0);
	fprintf(stderr, "10M: full %llu times, empty %llu times, slept %llu times\n",
		(unsigned long long)atomic_load(&ctl->fulls),
		(unsigned long long)empties, (unsigned long long)sleeps);
	hy_ring_close(a.cons);
}
END_TEST

/* ---- control plane side helpers ------------------------------------------ */

static struct hy_link_client *connect_retry(double deadline)
{
	struct hy_link_client *c = NULL;
	enum hy_reason why;
	for (;;) {
		int rc = hy_link_client_connect(&c, sock_path, 2000, &why);
		if (rc == 0)
			return c;
		if (rc != -ENOENT && rc != -ECONNREFUSED && rc != -ETIMEDOUT)
			return NULL;
		if (now_s() > deadline)
			return NULL;
		usleep(2000);
	}
}

/* Control plane: receives STATS, counts them, answers nothing; runs
 * until killed or until ctl->stop. */
static int cp_receiver(void *p)
{
	(void)p;
	struct hy_link_client *c = connect_retry(now_s() + HANG_GUARD_S);
	struct hy_ring_msg msgs[32];
	if (!c)
		return 2;
	struct hy_ring *up = hy_link_client_up(c);
	while (!atomic_load(&ctl->stop)) {
		unsigned n = hy_ring_recv_burst(up, msgs, 32);
		for (unsigned i = 0; i < n; i++)
			if (msgs[i].type != HY_MSG_STATS)
				return 4;
		atomic_fetch_add(&ctl->received, n);
		if (!n && !hy_link_client_alive(c))
			return 5;
	}
	hy_link_client_close(c);
	return 0;
}

static void dp_send_stats(struct hy_link_server *s, enum hy_reason *why)
{
	struct hy_ring_msg m = {.type = HY_MSG_STATS, .u.stats = {.generation = 1}};
	*why = hy_ring_send(hy_link_server_up(s), &m);
}

START_TEST(test_consumer_killed_under_producer)
{
	struct hy_link_server *s;
	enum hy_reason why;
	ck_assert_int_eq(hy_link_server_open(&s, sock_path, 64, 64), 0);
	pid_t cp = spawn(cp_receiver, NULL);
	double deadline = now_s() + HANG_GUARD_S;
	while (hy_link_server_poll(s) != HY_LINK_ATTACHED)
		guard(deadline, "attach"), usleep(1000);
	ck_assert_int_eq(hy_link_server_peer_pid(s), cp);
	ck_assert_uint_eq(hy_ring_shared(hy_link_server_up(s))->consumer_pid, (uint32_t)cp);
	while (atomic_load(&ctl->received) < 10000) {
		dp_send_stats(s, &why);
		ck_assert(why == HY_R_OK || why == HY_R_RING_FULL);
		guard(deadline, "traffic");
	}
	kill(cp, SIGKILL); /* not reaped yet: a zombie must count as gone */

	/* Without any socket polling, a producer that keeps meeting a full
	 * ring finds out from the consumer's process. */
	uint64_t fulls = 0;
	for (;;) {
		dp_send_stats(s, &why);
		if (why == HY_R_RING_PEER_GONE)
			break;
		ck_assert(why == HY_R_OK || why == HY_R_RING_FULL);
		fulls += why == HY_R_RING_FULL;
		guard(deadline, "peer gone on full ring");
	}
	ck_assert_uint_gt(fulls, 0);
	ck_assert_int_eq(hy_link_server_poll(s), HY_LINK_DETACHED);
	ck_assert(!hy_link_server_attached(s));
	ck_assert_uint_eq(hy_ring_shared(hy_link_server_up(s))->consumer_pid, 0);
	dp_send_stats(s, &why);
	ck_assert_int_eq(why, HY_R_RING_PEER_GONE);
	int status = reap(cp);
	ck_assert(WIFSIGNALED(status));
	hy_link_server_close(s);
}
END_TEST

/* ---- data plane side helpers --------------------------------------------- */

/* Data plane: serves the link and streams STATS with increasing seq while
 * a control plane is attached; runs until killed. */
static int dp_streamer(void *p)
{
	uint32_t generation = (uint32_t)(uintptr_t)p;
	struct hy_link_server *s;
	if (hy_link_server_open(&s, sock_path, 64, 64) < 0)
		return 2;
	atomic_store(&ctl->ready, (int)generation);
	uint32_t seq = 0;
	for (;;) {
		hy_link_server_poll(s);
		if (!hy_link_server_attached(s)) {
			usleep(1000);
			continue;
		}
		struct hy_ring_msg m = {.type = HY_MSG_STATS, .seq = seq,
			.u.stats = {.generation = generation}};
		if (hy_ring_send(hy_link_server_up(s), &m) == HY_R_OK)
			seq++;
		else
			sched_yield();
		/* Answer any RESPOND from the control plane by counting it. */
		struct hy_ring_msg in[8];
		unsigned n = hy_ring_recv_burst(hy_link_server_down(s), in, 8);
		atomic_fetch_add(&ctl->received, n);
	}
}

/* Attaches, checks seq order of STATS of `generation`, sends one RESPOND. */
static void cp_session(struct hy_link_client *c, uint32_t generation,
	double deadline)
{
	struct hy_ring_msg msgs[32];
	uint32_t expect = 0;
	bool first = true;
	struct hy_ring *up = hy_link_client_up(c);
	while (expect < 5000) {
		unsigned n = hy_ring_recv_burst(up, msgs, 32);
		for (unsigned i = 0; i < n; i++) {
			ck_assert_uint_eq(msgs[i].type, HY_MSG_STATS);
			ck_assert(msgs[i].u.stats.generation == generation);
			if (first)
				expect = msgs[i].seq; /* joined mid-stream */
			first = false;
			ck_assert_uint_eq(msgs[i].seq, expect);
			expect++;
		}
		ck_assert(hy_link_client_alive(c));
		guard(deadline, "control plane receive");
	}
	struct hy_ring_msg r = {.type = HY_MSG_RESPOND, .sid = 5,
		.u.cmd = {.ver = 1, .cmd = 2, .status = 0}};
	ck_assert_int_eq(hy_ring_send(hy_link_client_down(c), &r), HY_R_OK);
}

START_TEST(test_producer_killed_then_new_data_plane)
{
	double deadline = now_s() + HANG_GUARD_S;
	pid_t dp = spawn(dp_streamer, (void *)(uintptr_t)1);
	while (atomic_load(&ctl->ready) != 1)
		guard(deadline, "data plane start"), usleep(1000);
	struct hy_link_client *c = connect_retry(deadline);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(hy_link_client_server_pid(c), dp);
	cp_session(c, 1, deadline);

	kill(dp, SIGKILL);
	struct hy_ring_msg msgs[32];
	while (hy_link_client_alive(c)) {
		hy_ring_recv_burst(hy_link_client_up(c), msgs, 32);
		guard(deadline, "noticing the dead data plane");
	}
	struct hy_ring_msg r = {.type = HY_MSG_KICK, .sid = 5};
	ck_assert_int_eq(hy_ring_send(hy_link_client_down(c), &r), HY_R_RING_PEER_GONE);
	hy_link_client_close(c);
	reap(dp);

	/* A new data plane takes over the stale socket path. */
	atomic_store(&ctl->received, 0);
	pid_t dp2 = spawn(dp_streamer, (void *)(uintptr_t)2);
	while (atomic_load(&ctl->ready) != 2)
		guard(deadline, "second data plane start"), usleep(1000);
	c = connect_retry(deadline);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(hy_link_client_server_pid(c), dp2);
	cp_session(c, 2, deadline);
	while (atomic_load(&ctl->received) < 1)
		guard(deadline, "RESPOND reaching the data plane"), usleep(1000);
	hy_link_client_close(c);
}
END_TEST

/* Control plane that connects, receives 5000 in order, sends a RESPOND and
 * leaves cleanly. */
static int cp_once(void *p)
{
	(void)p;
	double deadline = now_s() + HANG_GUARD_S;
	struct hy_link_client *c = connect_retry(deadline);
	struct hy_ring_msg msgs[32];
	if (!c)
		return 2;
	uint32_t got = 0;
	while (got < 5000) {
		unsigned n = hy_ring_recv_burst(hy_link_client_up(c), msgs, 32);
		for (unsigned i = 0; i < n; i++)
			if (msgs[i].type != HY_MSG_STATS)
				return 4;
		got += n;
		if (now_s() > deadline || !hy_link_client_alive(c))
			return 5;
	}
	struct hy_ring_msg r = {.type = HY_MSG_RESPOND, .sid = 5,
		.u.cmd = {.ver = 1, .cmd = 2}};
	if (hy_ring_send(hy_link_client_down(c), &r) != HY_R_OK)
		return 6;
	atomic_store(&ctl->ready, 1);
	/* Stay until told, so a third control plane finds us attached. */
	while (!atomic_load(&ctl->stop) && now_s() < deadline)
		usleep(1000);
	hy_link_client_close(c);
	return 0;
}

/* A second control plane while one is attached must be turned away. */
static int cp_refused(void *p)
{
	(void)p;
	struct hy_link_client *c;
	enum hy_reason why;
	int rc = hy_link_client_connect(&c, sock_path, 5000, &why);
	return rc == -ECONNRESET ? 0 : 7;
}

static void serve_until_exit(struct hy_link_server *s, pid_t pid,
	bool may_stop, uint64_t *responds, double deadline)
{
	struct hy_ring_msg in[8];
	enum hy_reason why;
	int status;
	for (;;) {
		hy_link_server_poll(s);
		if (hy_link_server_attached(s))
			dp_send_stats(s, &why);
		*responds += hy_ring_recv_burst(hy_link_server_down(s), in, 8);
		if (may_stop && atomic_load(&ctl->ready) && *responds)
			atomic_store(&ctl->stop, 1);
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			for (int i = 0; i < nkids; i++)
				if (kids[i] == pid)
					kids[i] = 0;
			ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			return;
		}
		guard(deadline, "control plane run");
	}
}

START_TEST(test_control_plane_restart)
{
	struct hy_link_server *s;
	double deadline = now_s() + HANG_GUARD_S;
	uint64_t responds = 0;
	ck_assert_int_eq(hy_link_server_open(&s, sock_path, 64, 64), 0);
	/* A second server on the same live path is refused. */
	struct hy_link_server *s2;
	ck_assert_int_eq(hy_link_server_open(&s2, sock_path, 64, 64), -EADDRINUSE);

	pid_t cp1 = spawn(cp_once, NULL);
	pid_t refused = -1;
	for (;;) {
		hy_link_server_poll(s);
		if (hy_link_server_attached(s))
			break;
		guard(deadline, "first attach");
		usleep(1000);
	}
	refused = spawn(cp_refused, NULL);
	serve_until_exit(s, refused, false, &responds, deadline);
	serve_until_exit(s, cp1, true, &responds, deadline);
	ck_assert_uint_ge(responds, 1);
	while (hy_link_server_attached(s)) {
		hy_link_server_poll(s);
		guard(deadline, "detach");
	}
	uint64_t gen = hy_ring_shared(hy_link_server_up(s))->consumer_generation;

	/* Restarted control plane: attaches again, traffic flows both ways. */
	atomic_store(&ctl->ready, 0);
	atomic_store(&ctl->stop, 0);
	responds = 0;
	pid_t cp2 = spawn(cp_once, NULL);
	serve_until_exit(s, cp2, true, &responds, deadline);
	ck_assert_uint_ge(responds, 1);
	ck_assert(hy_ring_shared(hy_link_server_up(s))->consumer_generation == gen + 1);
	hy_link_server_close(s);
	ck_assert_int_eq(access(sock_path, F_OK), -1); /* socket file removed */
}
END_TEST

int main(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 13 + (i >> 9));
	Suite *s = suite_create("ring-procs");
	TCase *tc = tcase_create("procs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_ten_million_messages);
	tcase_add_test(tc, test_consumer_killed_under_producer);
	tcase_add_test(tc, test_producer_killed_then_new_data_plane);
	tcase_add_test(tc, test_control_plane_restart);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
