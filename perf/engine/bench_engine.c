/* SPDX-License-Identifier: BSD-3-Clause
 * Session engine throughput on one core, through hy_engine_input() with
 * intel-ipsec-mb, no ports: what one worker lcore can do per second once
 * the datagram is in memory.
 *
 *   engine_echo        authenticated ECHO in, sealed ECHO response out
 *   engine_command_up  authenticated 64-byte command in, passed to ops
 *   engine_connect     CONNECT in (token opened), CHALLENGE out
 *   engine_handshake   CONNECT + RESPONSE (cookie, token, new session, ACCEPT),
 *                      4096 sessions made and closed again each round: the
 *                      same slots every round, warm in the caches
 *   engine_handshake_fresh  the same into a table of 65536 (a devnet node's)
 *                      that keeps them: each round's sessions on memory no
 *                      session has used, as in a connect storm
 *   engine_key_expand  one AES-128-GCM key expansion (ipsec-mb)
 *   engine_bytes_per_session  allocator bytes per session slot
 *
 * Client packets are built (with OpenSSL) before each timed round; a round
 * times only the copy of the datagram into the receive buffer and the call.
 * Prints one "BENCH ..." line per result (median of the rounds).  Memory is
 * 4 KiB pages (--no-huge) unless --hugepages: the fresh handshake costs
 * several times more on 4 KiB pages in a VM (TLB misses on every new page).
 */
#include <getopt.h>
#include <sched.h>

#include <rte_cycles.h>

#include "bench_median.h"
#include "cli_num.h"
#include "memory.h"
#include "sess_harness.h"

#define BATCH 4096u
#define MAX_ROUNDS 64
/* engine_handshake_fresh: a devnet node's table, filled a batch a round
 * up to 15/16 of it (a fuller cuckoo table makes inserts dearer) */
#define FRESH_TABLE 65536u
#define FRESH_ROUNDS 15

static struct harness_node node;
static struct recorder rec; /* unused by the bench ops, kept for the config */
static uint64_t now = T_T0_MS;

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
	return 0;
}
static int nop_tx(void *a, const struct hy_peer *to, const uint8_t *p, uint16_t len)
{
	(void)a;
	(void)to;
	(void)p;
	(void)len;
	return 0;
}
static const struct hy_engine_ops nop_ops = {
	.session_opened = nop_opened,
	.session_closed = nop_closed,
	.command = nop_command,
	.tx = nop_tx,
};

struct pkt {
	uint16_t len;
	uint8_t b[256];
};

static struct pkt batch[BATCH], batch2[BATCH];
static uint8_t cookie_of[BATCH][HY_COOKIE_LEN];
static struct tclient clients[BATCH];

static struct hy_engine *make_engine(uint32_t max_sessions, uint32_t max_used)
{
	char err[128];
	struct hy_engine_config c = harness_config(&node, &rec, max_sessions);
	c.ops = &nop_ops;
	c.max_used_sids = max_used;
	struct hy_engine *e = hy_engine_create(&c, err, sizeof(err));
	if (e == NULL) {
		fprintf(stderr, "bench_engine: %s\n", err);
		exit(1);
	}
	return e;
}

/* Times n inputs of b[] from from[0] (same_peer) or from[i]; each must
 * produce `want`.  With cookies, the CHALLENGE's cookie of input i is
 * kept in cookies[i].  Returns cycles. */
static uint64_t run(struct hy_engine *e, const struct pkt *b, const struct tclient *from,
		    unsigned n, bool same_peer, enum hy_engine_action want,
		    uint8_t (*cookies)[HY_COOKIE_LEN])
{
	uint8_t buf[HY_MAX_DATAGRAM];
	struct hy_engine_result res;
	uint64_t t0 = rte_rdtsc_precise();

	for (unsigned i = 0; i < n; i++) {
		memcpy(buf, b[i].b, b[i].len);
		const struct hy_peer *p = same_peer ? &from[0].peer : &from[i].peer;
		if (hy_engine_input(e, p, buf, b[i].len, sizeof(buf), now, &res) != want) {
			fprintf(stderr, "bench_engine: packet %u: %s\n", i, hy_reason_name(res.why));
			exit(1);
		}
		if (cookies != NULL)
			memcpy(cookies[i], buf + 1, HY_COOKIE_LEN);
	}
	return rte_rdtsc_precise() - t0;
}

/* BATCH whole handshakes with fresh tokens (one token, one session):
 * returns cycles per handshake, *connect gets the CONNECT half's. */
static double handshake_round(struct hy_engine *e, double *connect)
{
	for (unsigned i = 0; i < BATCH; i++) {
		if (tclient_init(&clients[i], &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "bench",
				 (uint8_t)i, (uint16_t)(1024 + i)) < 0) {
			fprintf(stderr, "bench_engine: cannot mint token %u\n", i);
			exit(1);
		}
		batch[i].len = tclient_hello(&clients[i], NULL, batch[i].b, sizeof(batch[i].b));
	}
	uint64_t cc = run(e, batch, clients, BATCH, false, HY_ENGINE_REPLY, cookie_of);
	for (unsigned i = 0; i < BATCH; i++)
		batch2[i].len = tclient_hello(&clients[i], cookie_of[i], batch2[i].b,
					      sizeof(batch2[i].b));
	uint64_t cr = run(e, batch2, clients, BATCH, false, HY_ENGINE_REPLY, NULL);
	*connect = (double)cc / BATCH;
	return (double)(cc + cr) / BATCH;
}

static void report(const char *name, double *cyc_per_op, int rounds, double hz)
{
	double c = hy_bench_median(cyc_per_op, rounds);
	printf("BENCH name=%s value=%.3f unit=Mops/s cycles=%.0f ns=%.1f\n", name, hz / c / 1e6,
	       c, c * 1e9 / hz);
}

int main(int argc, char **argv)
{
	int rounds = 11, cpu = -1, opt, huge = 0;
	/* One worker's table of a two-worker node with dataplane.max_sessions
	 * 1 Mi: half of it plus the eighth of headroom worker.c gives. */
	uint32_t mem_sessions = (1u << 20) / 2 + (1u << 20) / 16;
	static const struct option lo[] = {
		{"rounds", required_argument, NULL, 'r'},
		{"cpu", required_argument, NULL, 'c'},
		{"sessions", required_argument, NULL, 's'},
		{"hugepages", no_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};

	while ((opt = getopt_long(argc, argv, "r:c:s:", lo, NULL)) != -1) {
		long long v = 0;
		bool ok = true;

		switch (opt) {
		case 'r':
			ok = hy_cli_num("bench_engine", "--rounds", optarg, 1, MAX_ROUNDS, &v);
			rounds = (int)v;
			break;
		case 'c':
			ok = hy_cli_num("bench_engine", "--cpu", optarg, 0, CPU_SETSIZE - 1, &v);
			cpu = (int)v;
			break;
		case 's':
			ok = hy_cli_num("bench_engine", "--sessions", optarg, 1,
					HY_ENGINE_MAX_SESSIONS, &v);
			mem_sessions = (uint32_t)v;
			break;
		case 'H':
			huge = 1;
			break;
		default:
			ok = false;
			fprintf(stderr, "usage: %s [--rounds N] [--cpu N] [--sessions N] [--hugepages]\n",
				argv[0]);
		}
		if (!ok)
			return 2;
	}
	if (cpu < 0)
		cpu = sched_getcpu();
	{
		char lcores[32], prefix[64];
		snprintf(lcores, sizeof(lcores), "%d", cpu);
		snprintf(prefix, sizeof(prefix), "--file-prefix=hy-bench-engine-%d", (int)getpid());
		/* hugepages: taken as the tables need them (no -m), unlinked so
		 * a killed run leaves none behind */
		char *eal_4k[] = {argv[0], "-l", lcores, "--no-huge", "-m", "2048", "--no-pci",
				  "--no-shconf", prefix, "--log-level=lib.eal:error", NULL};
		char *eal_huge[] = {argv[0], "-l", lcores, "--huge-unlink", "--no-pci",
				    "--no-shconf", prefix, "--log-level=lib.eal:error", NULL};
		if (huge ? rte_eal_init(8, eal_huge) < 0 : rte_eal_init(10, eal_4k) < 0) {
			fprintf(stderr, "bench_engine: EAL init failed\n");
			return 1;
		}
	}
	/* as the data plane does before its first packet (memory.h) */
	{
		size_t bytes;

		if (hy_memory_prefault(&bytes) != 0)
			fprintf(stderr, "bench_engine: memory not pre-faulted\n");
	}
	if (harness_node_init(&node, now) < 0)
		return 1;
	double hz = (double)rte_get_tsc_hz();
	printf("# TSC %.3f GHz, cpu %d, %d rounds x %u datagrams, median round, ipsec-mb\n",
	       hz / 1e9, cpu, rounds, BATCH);

	double v[MAX_ROUNDS];
	uint8_t req[HY_ECHO_REQ_LEN], app[64];
	memset(app, 0x61, sizeof(app));
	hy_echo_req_encode(req, sizeof(req), 1);

	/* One live session for the authenticated paths. */
	struct hy_engine *e = make_engine(BATCH, BATCH * (uint32_t)(rounds + 2));
	struct tclient *c = &clients[0];
	if (tclient_init(c, &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "bench", 1, 5000) < 0)
		return 1;
	batch[0].len = tclient_hello(c, NULL, batch[0].b, sizeof(batch[0].b));
	run(e, batch, c, 1, true, HY_ENGINE_REPLY, cookie_of);
	batch2[0].len = tclient_hello(c, cookie_of[0], batch2[0].b, sizeof(batch2[0].b));
	run(e, batch2, c, 1, true, HY_ENGINE_REPLY, NULL);

	for (int r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++)
			batch[i].len = tclient_command(c, HY_FRAME_UNRELIABLE, 0, HY_CMD_ECHO, req,
						       sizeof(req), batch[i].b, sizeof(batch[i].b));
		v[r] = (double)run(e, batch, c, BATCH, true, HY_ENGINE_REPLY, NULL) / BATCH;
	}
	report("engine_echo", v, rounds, hz);

	for (int r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < BATCH; i++)
			batch[i].len = tclient_command(c, HY_FRAME_UNRELIABLE, 2, 0x0101, app,
						       sizeof(app), batch[i].b, sizeof(batch[i].b));
		v[r] = (double)run(e, batch, c, BATCH, true, HY_ENGINE_CONSUMED, NULL) / BATCH;
	}
	report("engine_command_up", v, rounds, hz);

	/* The same command on the reliable channel: in-order delivery through
	 * the session's hy_rudp, an ACK in the reply to every second packet. */
	{
		static uint32_t seq;
		uint8_t msg[128], pt[HY_MAX_PAYLOAD], buf[HY_MAX_DATAGRAM];
		size_t m = hy_msg_cmd_encode(msg, sizeof(msg), 2, 0x0101, app, sizeof(app));
		struct hy_engine_result res;

		for (int r = 0; r < rounds; r++) {
			for (unsigned i = 0; i < BATCH; i++) {
				struct hy_wr w;
				hy_wr_init(&w, pt, sizeof(pt));
				hy_frame_put_reliable(&w, seq++, msg, m);
				batch[i].len = tclient_seal(c, HY_PKT_DATA, pt, w.off, batch[i].b,
							    sizeof(batch[i].b));
			}
			uint64_t t0 = rte_rdtsc_precise();
			for (unsigned i = 0; i < BATCH; i++) {
				memcpy(buf, batch[i].b, batch[i].len);
				enum hy_engine_action a = hy_engine_input(e, &c->peer, buf,
					batch[i].len, sizeof(buf), now, &res);
				if (a != HY_ENGINE_REPLY && a != HY_ENGINE_CONSUMED) {
					fprintf(stderr, "bench_engine: reliable %u: %s\n", i,
						hy_reason_name(res.why));
					exit(1);
				}
			}
			v[r] = (double)(rte_rdtsc_precise() - t0) / BATCH;
		}
		if (hy_engine_stats(e)->reliable_delivered != (uint64_t)rounds * BATCH) {
			fprintf(stderr, "bench_engine: reliable messages lost\n");
			exit(1);
		}
		report("engine_reliable_command_up", v, rounds, hz);
	}
	hy_engine_close_all(e, HY_CLOSE_KICKED);

	/* Handshakes: fresh tokens each round (one token, one session). */
	double vc[MAX_ROUNDS];
	for (int r = 0; r < rounds; r++) {
		v[r] = handshake_round(e, &vc[r]);
		hy_engine_close_all(e, HY_CLOSE_KICKED);
	}
	report("engine_connect", vc, rounds, hz);
	report("engine_handshake", v, rounds, hz);
	hy_engine_destroy(e);

	/* The same handshakes into a table that keeps its sessions. */
	{
		double vf[FRESH_ROUNDS], connect;

		e = make_engine(FRESH_TABLE, FRESH_TABLE);
		for (unsigned r = 0; r < FRESH_ROUNDS; r++)
			vf[r] = handshake_round(e, &connect);
		if (hy_engine_stats(e)->sessions != FRESH_ROUNDS * BATCH) {
			fprintf(stderr, "bench_engine: fresh handshakes: %u sessions, %u wanted\n",
				(unsigned)hy_engine_stats(e)->sessions, FRESH_ROUNDS * BATCH);
			return 1;
		}
		report("engine_handshake_fresh", vf, FRESH_ROUNDS, hz);
		hy_engine_destroy(e);
	}

	/* Key expansion, the cost a cache of expanded keys pays on a miss. */
	{
		static struct hy_aead_ctx k;
		uint8_t raw[HY_KEY_LEN] = {1};
		for (int r = 0; r < rounds; r++) {
			uint64_t t0 = rte_rdtsc_precise();
			for (unsigned i = 0; i < BATCH; i++) {
				raw[0] = (uint8_t)i;
				hy_aead_key_init(&k, HY_AEAD_IPSECMB, raw);
			}
			v[r] = (double)(rte_rdtsc_precise() - t0) / BATCH;
		}
		report("engine_key_expand", v, rounds, hz);
		hy_aead_key_wipe(&k);
	}

	/* Memory: what a table of mem_sessions slots costs (the reliability
	 * pool, a separate budget, at its 1 MiB minimum). */
	{
		char err[128];
		struct hy_engine_config mc = harness_config(&node, &rec, mem_sessions);
		mc.ops = &nop_ops;
		mc.rudp_pool_bytes = 1u << 20;
		e = hy_engine_create(&mc, err, sizeof(err));
		if (e == NULL) {
			fprintf(stderr, "bench_engine: %s\n", err);
			return 1;
		}
	}
	size_t mem = hy_engine_memory(e);
	/* The key cache is a fixed size, so bytes per slot depend on the
	 * table's size: give both, and the total of two such tables (the
	 * sessions of a 2-worker node with max_sessions 1 Mi). */
	printf("BENCH name=engine_bytes_per_session value=%.0f unit=B sessions=%u entry=%zu "
	       "key_cache=%u total_mib=%.1f two_workers_mib=%.1f\n",
	       (double)mem / mem_sessions, mem_sessions, hy_engine_session_entry_size(),
	       RTE_MIN(rte_align32pow2(mem_sessions), HY_ENGINE_KEY_CACHE_DEFAULT),
	       mem / 1048576.0, 2.0 * mem / 1048576.0);
	hy_engine_destroy(e);
	hy_engine_shared_wipe(&node.sh);
	hy_eal_finish();
	return 0;
}
