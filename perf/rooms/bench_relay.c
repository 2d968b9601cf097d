/* SPDX-License-Identifier: BSD-3-Clause
 * Room relay cost on one core: a member's BROADCAST in through
 * hy_engine_input() (decrypted once), answered, and relayed by
 * hy_relay_flush() to the other members (one AES-128-GCM seal each, with
 * the recipient's key), intel-ipsec-mb, no ports: what one worker lcore
 * can relay once the datagram is in memory.
 *
 *   relay_1to1         room of 2: one push per broadcast, and the answer
 *   relay_1to1_quiet   the same with the QUIET flag: no answer sealed
 *   relay_1toN         room of N + 1 (--fanout N, default 8): N pushes
 *   relay_1to8_rooms   --rooms R rooms of 9 (default 2048: 18,432 sessions, a
 *                      table and key cache far larger than the caches), one
 *                      QUIET broadcast from each room's first member in turn:
 *                      the same work as relay_1toN with the session entries,
 *                      keys and hash buckets coming from memory
 *   relay_1to1_rooms   the same with 4.5 R rooms of 2 (as many sessions)
 *   engine_echo        the baseline of the same run: ECHO in, sealed reply
 *
 * The _rooms scenarios take the datagrams in bursts of 32 as the worker
 * does (the burst's sessions looked up together, hy_engine_prefetch_burst,
 * and its pushes sent together at the relay's flush), and alternate rounds
 * with one datagram at a time (per_datagram=: that figure, same run).
 * --only NAME runs the baseline and that one scenario (for a profiler).
 *
 * The ports' cost (rx, tx, the headers) is not in these figures.  Prints
 * one "BENCH ..." line per result (median of the rounds), value in
 * delivered pushes per second, baseline the echo rate of the same run.
 */
#include <getopt.h>
#include <sched.h>

#include <rte_cycles.h>

#include "bench_median.h"
#include "cli_num.h"
#include "sess_harness.h"

#include "fanout.h"
#include "relay.h"

#include "proto/room_msg.h"
#include "memory.h"

#define BATCH 4096u
#define MAX_ROUNDS 64
#define MAX_FANOUT 64u
#define MAX_ROOMS 8192u
#define MAX_CROWD_ROOM 9u
#define CROWD_SESSIONS(rooms) ((rooms) * 9u) /* per crowd: rooms of 9, or of 2 */
#define BURST 32u
#define ROOM 0x0000000700000001ull

static struct harness_node node;
static uint64_t now = T_T0_MS;
static uint64_t pushed; /* datagrams the engine originated */
static struct hy_relay *relay;
static struct hy_fanout *table; /* the relay's fan-out table */

static int nop_opened(void *a, const struct hy_engine_session_info *s)
{
	(void)a;
	(void)s;
	return 0;
}
static int nop_closed(void *a, const struct hy_engine_session_info *s,
		      enum hy_close_reason r)
{
	(void)a;
	(void)s;
	(void)r;
	return 0;
}
static int nop_command(void *a, uint64_t sid, uint8_t ver, uint16_t cmd,
		       enum hy_engine_delivery d, const uint8_t *p, uint32_t len)
{
	(void)a;
	(void)sid;
	(void)ver;
	(void)cmd;
	(void)d;
	(void)p;
	(void)len;
	fprintf(stderr, "bench_relay: a command went up\n");
	exit(1);
}
static int count_tx(void *a, const struct hy_peer *to, const uint8_t *p, uint16_t len)
{
	(void)a;
	(void)to;
	(void)p;
	(void)len;
	pushed++;
	return 0;
}
static enum hy_engine_local local(void *a, uint64_t sid, uint8_t ver, uint16_t cmd,
				  enum hy_engine_delivery d, const uint8_t *p, uint32_t len,
				  struct hy_engine_answer *ans)
{
	(void)a;
	return hy_relay_command(relay, sid, ver, cmd, d, p, len, ans);
}
static const struct hy_engine_ops ops = {
	.session_opened = nop_opened,
	.session_closed = nop_closed,
	.command = nop_command,
	.local_command = local,
	.tx = count_tx,
};

/* One worker: nothing to hand over, nothing goes up. */
static int no_worker(void *a, uint16_t w, const struct hy_relay_job *j)
{
	(void)a;
	(void)w;
	(void)j;
	return -1;
}
static int no_up(void *a, const struct hy_relay_job *j, const uint64_t *s, unsigned n)
{
	(void)a;
	(void)j;
	(void)s;
	(void)n;
	return -1;
}
static int no_respond(void *a, uint64_t sid, uint8_t v, uint16_t c, enum hy_engine_delivery d,
		      uint8_t st, const uint8_t *p, uint32_t l)
{
	(void)a;
	(void)sid;
	(void)v;
	(void)c;
	(void)d;
	(void)st;
	(void)p;
	(void)l;
	return -1;
}
static const struct hy_relay_ops relay_ops = {
	.to_worker = no_worker, .up = no_up, .command_up = nop_command, .respond = no_respond,
};

struct pkt {
	uint16_t len;
	uint8_t b[256];
};

static struct pkt batch[BATCH];
static struct tclient members[MAX_FANOUT + 1];
static struct tclient *crowd;  /* relay_1toN_rooms: the crowd being measured */
static unsigned n_crowd;       /* clients of every crowd so far (their ports differ) */
static uint64_t next_room_id = ROOM + 1;
static unsigned from_of[BATCH]; /* relay_1toN_rooms: sender of batch[i] */

static void die(const char *what)
{
	fprintf(stderr, "bench_relay: %s\n", what);
	exit(1);
}

static void connect_member_c(struct hy_engine *e, struct tclient *c)
{
	uint8_t buf[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	struct hy_pkt_challenge ch;
	uint16_t len;

	len = tclient_hello(c, NULL, buf, sizeof(buf));
	if (hy_engine_input(e, &c->peer, buf, len, sizeof(buf), now, &res) != HY_ENGINE_REPLY ||
	    hy_pkt_challenge_decode(buf, res.reply_len, &ch) != HY_R_OK)
		die("connect");
	len = tclient_hello(c, ch.cookie, buf, sizeof(buf));
	if (hy_engine_input(e, &c->peer, buf, len, sizeof(buf), now, &res) != HY_ENGINE_REPLY)
		die("accept");
}

static void connect_member(struct hy_engine *e, struct tclient *c, unsigned i)
{
	if (tclient_init(c, &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "bench", (uint8_t)i,
			 (uint16_t)(4000 + i)) < 0)
		die("client");
	connect_member_c(e, c);
}

/* Times BATCH datagrams of batch[], batch[i] from crowd[from_of[i]], in
 * bursts of BURST as the worker takes them from a port.  by_burst: as the
 * worker does, the burst's sessions and their rooms looked up together
 * first (hy_engine_prefetch_burst, hy_fanout_prefetch) and the relay
 * flushed once per burst (its pushes sent together, hy_engine_send_each);
 * else one datagram at a time, each looked up as it is opened and its
 * pushes sent before the next. */
static double run_crowd(struct hy_engine *e, bool by_burst)
{
	static uint8_t buf[BURST][HY_MAX_DATAGRAM];
	const uint8_t *bufs[BURST];
	uint16_t lens[BURST];
	uint32_t hints[BURST];
	uint64_t sids[BURST];
	struct hy_engine_result res;
	uint64_t t0 = rte_rdtsc_precise();

	for (unsigned i = 0; i < BATCH; i += BURST) {
		for (unsigned k = 0; k < BURST; k++) {
			memcpy(buf[k], batch[i + k].b, batch[i + k].len);
			bufs[k] = buf[k];
			lens[k] = batch[i + k].len;
			hints[k] = HY_ENGINE_NO_HINT;
		}
		if (by_burst) {
			hy_engine_prefetch_burst(e, bufs, lens, BURST, hints, sids);
			hy_fanout_prefetch(table, sids, BURST);
		}
		for (unsigned k = 0; k < BURST; k++) {
			if (hy_engine_input_hinted(e, &crowd[from_of[i + k]].peer, buf[k], lens[k],
						   sizeof(buf[k]), now, hints[k],
						   &res) != HY_ENGINE_CONSUMED)
				die(hy_reason_name(res.why));
			if (!by_burst || hy_relay_should_flush(relay))
				hy_relay_flush(relay);
		}
		hy_relay_flush(relay);
	}
	return (double)(rte_rdtsc_precise() - t0);
}

/* Times BATCH datagrams of batch[] from c: input, then the relay. */
static double run(struct hy_engine *e, const struct tclient *c, enum hy_engine_action want)
{
	uint8_t buf[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	uint64_t t0 = rte_rdtsc_precise();

	for (unsigned i = 0; i < BATCH; i++) {
		memcpy(buf, batch[i].b, batch[i].len);
		if (hy_engine_input(e, &c->peer, buf, batch[i].len, sizeof(buf), now, &res) != want)
			die(hy_reason_name(res.why));
		hy_relay_flush(relay);
	}
	return (double)(rte_rdtsc_precise() - t0);
}

/* relay_1toN_rooms: `rooms` rooms of `size` (sessions far more than the
 * caches hold), QUIET broadcasts from each room's first member in turn;
 * rounds alternate by burst (as the worker) and one datagram at a time. */
static void bench_crowd(struct hy_engine *e, struct hy_fanout *t, unsigned rooms, unsigned size,
			int rounds, double hz, double echo_rate)
{
	unsigned n = rooms * size, i, r, base = n_crowd;
	uint8_t data[64], p[80], body[HY_TABLE_SET_FIXED + HY_TABLE_MEMBER_LEN * MAX_CROWD_ROOM];
	struct hy_rm_data d = {.data = data, .data_len = sizeof(data), .flags = HY_ROOM_BCAST_QUIET};
	struct hy_table_member m[MAX_CROWD_ROOM];
	double v[2][MAX_ROUNDS];
	size_t plen, blen;

	crowd = calloc(n, sizeof(*crowd));
	if (crowd == NULL)
		die("memory");
	for (i = 0; i < n; i++) {
		unsigned at = base + i; /* distinct from every earlier crowd's */

		if (tclient_init(&crowd[i], &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "crowd",
				 (uint8_t)(at >> 15), (uint16_t)(1 + (at & 0x7fff))) < 0)
			die("client");
		crowd[i].peer.addr[2] = 1; /* apart from members[] */
		connect_member_c(e, &crowd[i]);
	}
	n_crowd += n;
	for (r = 0; r < rooms; r++) {
		struct hy_table_update u = {.op = HY_TABLE_ROOM_SET, .room_id = next_room_id++,
					    .version = 1, .max_members = (uint16_t)size,
					    .nmembers = (uint16_t)size};

		for (i = 0; i < size; i++)
			m[i] = (struct hy_table_member){.sid = crowd[r * size + i].cred.sid};
		if (hy_table_encode(&u, m, body, sizeof(body), &blen) != HY_R_OK ||
		    hy_fanout_apply(t, HY_TABLE_ROOM_SET, body, blen) != HY_R_OK)
			die("crowd table");
	}
	memset(data, 0x62, sizeof(data));
	plen = hy_rm_broadcast_encode(p, sizeof(p), &d);
	unsigned next_room = 0;
	for (int k = 0; k < 2 * rounds; k++) {
		for (i = 0; i < BATCH; i++) {
			from_of[i] = next_room * size;
			next_room = (next_room + 1) % rooms;
			batch[i].len = tclient_command(&crowd[from_of[i]], HY_FRAME_UNRELIABLE,
						       HY_MODULES_VER, HY_CMD_ROOM_BROADCAST, p, plen,
						       batch[i].b, sizeof(batch[i].b));
		}
		pushed = 0;
		v[k & 1][k / 2] = run_crowd(e, (k & 1) == 0) / BATCH;
		if (pushed != (uint64_t)BATCH * (size - 1))
			die("crowd pushes lost");
	}
	double c = hy_bench_median(v[0], rounds), rate = hz / c * (size - 1);
	double c0 = hy_bench_median(v[1], rounds), rate0 = hz / c0 * (size - 1);

	printf("BENCH name=relay_1to%u_rooms value=%.3f unit=Mpushes/s baseline=%.3f ratio=%.2f "
	       "cycles_per_broadcast=%.0f cycles_per_push=%.0f rooms=%u sessions=%u "
	       "per_datagram=%.3f per_datagram_cycles_per_push=%.0f\n",
	       size - 1, rate / 1e6, echo_rate / 1e6, rate / echo_rate, c, c / (size - 1), rooms,
	       n, rate0 / 1e6, c0 / (size - 1));
	free(crowd);
	crowd = NULL;
}

int main(int argc, char **argv)
{
	int rounds = 11, cpu = -1, opt;
	unsigned fanout = 8, rooms = 2048, sizes[3], k, i;
	const char *only = NULL;
	static const struct option lo[] = {
		{"rounds", required_argument, NULL, 'r'},
		{"cpu", required_argument, NULL, 'c'},
		{"fanout", required_argument, NULL, 'f'},
		{"rooms", required_argument, NULL, 'R'},
		{"only", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};

	while ((opt = getopt_long(argc, argv, "r:c:f:R:o:", lo, NULL)) != -1) {
		long long v = 0;
		bool ok = true;

		switch (opt) {
		case 'r':
			ok = hy_cli_num("bench_relay", "--rounds", optarg, 1, MAX_ROUNDS, &v);
			rounds = (int)v;
			break;
		case 'c':
			ok = hy_cli_num("bench_relay", "--cpu", optarg, 0, CPU_SETSIZE - 1, &v);
			cpu = (int)v;
			break;
		case 'f':
			ok = hy_cli_num("bench_relay", "--fanout", optarg, 1, MAX_FANOUT, &v);
			fanout = (unsigned)v;
			break;
		case 'R':
			ok = hy_cli_num("bench_relay", "--rooms", optarg, 0, MAX_ROOMS, &v);
			rooms = (unsigned)v;
			break;
		case 'o':
			only = optarg;
			break;
		default:
			ok = false;
			fprintf(stderr, "usage: %s [--rounds N] [--cpu N] [--fanout N] [--rooms R] "
				"[--only NAME]\n", argv[0]);
		}
		if (!ok)
			return 2;
	}
	if (only != NULL) {
		char fan_name[32];

		snprintf(fan_name, sizeof(fan_name), "relay_1to%u", fanout);
		if (strcmp(only, "relay_1to1") != 0 && strcmp(only, "relay_1to1_quiet") != 0 &&
		    strcmp(only, fan_name) != 0 && strcmp(only, "relay_1to1_rooms") != 0 &&
		    strcmp(only, "relay_1to8_rooms") != 0) {
			fprintf(stderr, "bench_relay: --only %s: not a scenario (relay_1to1, "
				"relay_1to1_quiet, %s, relay_1to1_rooms, relay_1to8_rooms)\n",
				only, fan_name);
			return 2;
		}
	}
	if (cpu < 0)
		cpu = sched_getcpu();
	{
		char lcores[32], prefix[64];
		snprintf(lcores, sizeof(lcores), "%d", cpu);
		snprintf(prefix, sizeof(prefix), "--file-prefix=hy-bench-relay-%d", (int)getpid());
		char *eal[] = {argv[0], "-l", lcores, "--no-huge", "-m", "1024", "--no-pci",
			       "--no-shconf", prefix, "--log-level=lib.eal:error", NULL};
		if (rte_eal_init(10, eal) < 0)
			die("EAL init failed");
	}
	if (harness_node_init(&node, now) < 0)
		die("keys");
	double hz = (double)rte_get_tsc_hz(), v[MAX_ROUNDS], echo_rate;
	printf("# TSC %.3f GHz, cpu %d, %d rounds x %u broadcasts, median round, ipsec-mb, "
	       "64-byte data, unreliable\n", hz / 1e9, cpu, rounds, BATCH);

	char err[128];
	uint32_t cap = 256 + 2 * CROWD_SESSIONS(rooms); /* the members, then two crowds */
	struct hy_engine_config ec = harness_config(&node, NULL, cap);
	ec.ops = &ops;
	struct hy_engine *e = hy_engine_create(&ec, err, sizeof(err));
	struct hy_fanout_config fc = {.n_workers = 1, .max_rooms = 16 + rooms + rooms * 9 / 2,
				      .max_local = cap,
				      .socket_id = -1};
	struct hy_fanout *t = table = hy_fanout_create(&fc, err, sizeof(err));
	struct hy_uid_dir *users = hy_uid_dir_create(0, cap, -1, err, sizeof(err));
	if (e == NULL || t == NULL || users == NULL)
		die(err);
	struct hy_relay_config rc = {.n_workers = 1, .engine = e, .table = t, .users = users,
				     .ops = &relay_ops};
	relay = hy_relay_create(&rc, -1, err, sizeof(err));
	if (relay == NULL)
		die(err);
	for (i = 0; i <= fanout; i++)
		connect_member(e, &members[i], i);

	/* the baseline: ECHO, one datagram in, one sealed out */
	uint8_t req[HY_ECHO_REQ_LEN];
	hy_echo_req_encode(req, sizeof(req), 1);
	for (int r = 0; r < rounds; r++) {
		for (i = 0; i < BATCH; i++)
			batch[i].len = tclient_command(&members[0], HY_FRAME_UNRELIABLE, 0,
						       HY_CMD_ECHO, req, sizeof(req), batch[i].b,
						       sizeof(batch[i].b));
		v[r] = run(e, &members[0], HY_ENGINE_REPLY) / BATCH;
	}
	echo_rate = hz / hy_bench_median(v, rounds);

	/* 1:1 answered, 1:1 QUIET (no answer), 1:N answered */
	sizes[0] = sizes[1] = 1;
	sizes[2] = fanout;
	for (k = 0; k < 3; k++) {
		bool quiet = k == 1;
		char name[32];

		if (sizes[k] == 1)
			snprintf(name, sizeof(name), quiet ? "relay_1to1_quiet" : "relay_1to1");
		else
			snprintf(name, sizeof(name), "relay_1to%u", sizes[k]);
		if (only != NULL && strcmp(only, name) != 0)
			continue;
		uint8_t body[HY_TABLE_SET_FIXED + HY_TABLE_MEMBER_LEN * (MAX_FANOUT + 1)];
		struct hy_table_member m[MAX_FANOUT + 1];
		struct hy_table_update u = {.op = HY_TABLE_ROOM_SET, .room_id = ROOM,
					    .version = 1, .max_members = (uint16_t)(sizes[k] + 1),
					    .nmembers = (uint16_t)(sizes[k] + 1)};
		size_t blen;
		uint8_t data[64], p[80];
		struct hy_rm_data d = {.data = data, .data_len = sizeof(data),
				       .flags = quiet ? HY_ROOM_BCAST_QUIET : 0};
		size_t plen;

		for (i = 0; i <= sizes[k]; i++)
			m[i] = (struct hy_table_member){.sid = members[i].cred.sid, .kind = 0};
		if (hy_table_encode(&u, m, body, sizeof(body), &blen) != HY_R_OK ||
		    hy_fanout_apply(t, HY_TABLE_ROOM_SET, body, blen) != HY_R_OK)
			die("table");
		memset(data, 0x61, sizeof(data));
		plen = hy_rm_broadcast_encode(p, sizeof(p), &d);
		for (int r = 0; r < rounds; r++) {
			for (i = 0; i < BATCH; i++)
				batch[i].len = tclient_command(&members[0], HY_FRAME_UNRELIABLE,
							       HY_MODULES_VER, HY_CMD_ROOM_BROADCAST,
							       p, plen, batch[i].b,
							       sizeof(batch[i].b));
			pushed = 0;
			v[r] = run(e, &members[0],
				   quiet ? HY_ENGINE_CONSUMED : HY_ENGINE_REPLY) / BATCH;
			if (pushed != (uint64_t)BATCH * sizes[k])
				die("pushes lost");
		}
		double c = hy_bench_median(v, rounds), rate = hz / c * sizes[k];

		printf("BENCH name=%s value=%.3f unit=Mpushes/s baseline=%.3f ratio=%.2f "
		       "cycles_per_broadcast=%.0f cycles_per_push=%.0f\n", name, rate / 1e6,
		       echo_rate / 1e6, rate / echo_rate, c, c / sizes[k]);
	}
	if (rooms > 0 && (only == NULL || strcmp(only, "relay_1to1_rooms") == 0))
		bench_crowd(e, t, rooms * 9 / 2, 2, rounds, hz, echo_rate);
	if (rooms > 0 && (only == NULL || strcmp(only, "relay_1to8_rooms") == 0))
		bench_crowd(e, t, rooms, 9, rounds, hz, echo_rate);
	printf("BENCH name=engine_echo value=%.3f unit=Mops/s\n", echo_rate / 1e6);
	hy_relay_destroy(relay);
	hy_uid_dir_destroy(users);
	hy_fanout_destroy(t);
	hy_engine_destroy(e);
	hy_eal_finish();
	return 0;
}
