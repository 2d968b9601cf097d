/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-dataplane: the DPDK poll-mode process that terminates client UDP.
 *
 * The configuration is checked before EAL starts, so a bad file fails fast
 * without taking hugepages or devices: the application options (after
 * "--") are parsed first, then EAL gets everything before the "--".
 *
 * Start-up is staged, each stage undone in reverse order on failure and at
 * exit: config -> EAL -> cluster keys -> packet memory -> ports -> one
 * engine per worker -> rings to the control plane -> stats region ->
 * telemetry -> memory pre-faulted -> workers launched; the main lcore then
 * runs the control loop (ctrl.c) until the node has drained or is told to
 * stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "config/cli.h"
#include "config/conf.h"
#include "crypto/keyfile.h"
#include "ctrl.h"
#include "dp.h"
#include "engine.h"
#include "memory.h"
#include "net/net.h"
#include "port.h"
#include "ring/link.h"
#include "stats.h"
#include "telemetry.h"
#include "worker.h"

#define PROG "hayate-dataplane"
/* The only way to let dataplane.bench.* make sessions (see bench_check). */
#define BENCH_FLAG "--bench-mode-insecure"



static void print_usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [EAL options] -- --config FILE [--modules FILE]\n"
		"                        [--check-config] [" BENCH_FLAG "]\n"
		"       " PROG " --help | --version\n"
		"\n"
		"Runs a node's data plane: the UDP/RUDP real-time path on DPDK ports.\n"
		"EAL options come before \"--\" (see the DPDK documentation), e.g.\n"
		"  -l 0-1 -a 0000:03:00.0                      a PCI NIC\n"
		"  --no-huge -m 256 --no-pci --vdev=net_null0  no hugepages, null port\n"
		"\n"
		"  --config FILE    node configuration (libconfig), e.g. config/hayate.conf\n"
		"  --modules FILE   module configuration (YAML); default: the node's\n"
		"                   paths.modules_file\n"
		"  --check-config   check both files, print \"ok\" or one error line and\n"
		"                   exit, without starting EAL\n"
		"  " BENCH_FLAG "\n"
		"                   allow bench mode: the dataplane.bench.sessions\n"
		"                   sessions of the config are made at start without a\n"
		"                   handshake and accept replayed packets, for pktgen\n"
		"                   replays (docs/performance.md); INSECURE, never on a\n"
		"                   production node.  Without it a nonzero\n"
		"                   dataplane.bench.sessions stops the start; with it,\n"
		"                   a zero one does\n"
		"  --help           this text\n"
		"  --version        print the version\n"
		"\n"
		"The main lcore runs the control loop (rings to hayate-controlplane,\n"
		"timers); every other lcore EAL gives (or dataplane.workers of them)\n"
		"runs a poll-mode worker.  At least two lcores are needed (-l 0-1).\n"
		"Prints \"" PROG ": ready ...\" once the workers run.\n"
		"\n"
		"SIGINT/SIGTERM: drain (the node reports OFFLINE, refuses new\n"
		"sessions, exits when none is left or after dataplane.drain_timeout_s);\n"
		"a second signal exits at once.\n"
		"\n"
		"Exit status: 0 success, 1 invalid configuration (bench mode asked\n"
		"for without " BENCH_FLAG " included) or a start-up stage failed\n"
		"(EAL, keys, memory, ports, rings), 2 bad command line (" BENCH_FLAG "\n"
		"without dataplane.bench.sessions included).\n");
}

/*
 * Split argv at the first "--": EAL options before, ours after.  Without a
 * "--", only "--help" or "--version" alone are accepted.  BENCH_FLAG,
 * spelt out in full after the "--", sets *bench (the shared parser does
 * not know it, so no abbreviation of it is accepted either).  Returns the
 * number of EAL arguments (argv[0] included), or -1 on a usage error.
 */
static int split_args(int argc, char **argv, struct hy_conf_cli *o,
		      bool *bench)
{
	char **app;
	int i, n = 0, rc;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	if (i == argc) {
		if (argc == 2 && strcmp(argv[1], "--help") == 0) {
			o->help = 1;
			return argc;
		}
		if (argc == 2 && strcmp(argv[1], "--version") == 0) {
			o->version = 1;
			return argc;
		}
		fprintf(stderr, PROG ": missing \"-- --config FILE\" after the "
			"EAL options (see --help)\n");
		return -1;
	}
	app = calloc(argc + 1, sizeof(*app));
	if (app == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	app[n++] = argv[0];
	for (int j = i + 1; j < argc; j++) {
		if (strcmp(argv[j], BENCH_FLAG) == 0)
			*bench = true;
		else
			app[n++] = argv[j];
	}
	/* o keeps pointers into argv, not app */
	rc = hy_conf_cli_parse(PROG, n, app, o, " after \"--\"");
	free(app);
	return rc != 0 ? -1 : i;
}

/* "198.18.0.1:7100" or "[2001:db8::1]:7100". */
static char *endpoint(const struct hy_conf_addr *a, unsigned int port,
		      char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	hy_conf_addr_format(a, ip, sizeof(ip));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 port);
	return buf;
}

/*
 * Bench mode needs both the config (dataplane.bench.sessions > 0) and
 * BENCH_FLAG on the command line, so neither a config copied from a bench
 * rig nor a stray flag turns it on alone.  Returns 0 (go on), or the exit
 * status after one line saying which half is missing.
 */
static int bench_check(const struct hy_node_config *c, const char *file,
		       bool flag)
{
	const uint32_t n = c->dataplane.bench.sessions;

	if (n != 0 && !flag) {
		fprintf(stderr, "%s: dataplane.bench.sessions is %u: bench mode "
			"is insecure (sessions without a handshake that accept "
			"replayed packets) and starts only with " BENCH_FLAG
			" after \"--\"; set dataplane.bench.sessions = 0 for a "
			"normal node\n", file, n);
		return HY_EXIT_CONFIG;
	}
	if (n == 0 && flag) {
		fprintf(stderr, PROG ": " BENCH_FLAG " given but %s sets no "
			"bench session (dataplane.bench.sessions is 0): nothing "
			"to benchmark; drop the flag or set the key\n", file);
		return HY_EXIT_USAGE;
	}
	return 0;
}

/* The loud line: on stderr at start, on stdout (the log) once ready. */
static void bench_warn(const struct hy_node_config *c, FILE *f)
{
	fprintf(f, PROG ": WARNING: BENCH MODE (" BENCH_FLAG "): %u sessions "
		"derived from the cluster key and seed %u accept replayed "
		"packets without a handshake; for benchmarks only, never on a "
		"production node\n", c->dataplane.bench.sessions,
		c->dataplane.bench.seed);
	fflush(f);
}

/* Everything start-up acquired, for the unwind. */
struct startup {
	struct hy_dp dp;
	struct hy_keyring *keys;
	bool eal;
	bool pools;
	bool ports;
	bool telemetry;
	unsigned int workers_created;
};

static void fail(const char *file, const char *stage, const char *msg)
{
	fprintf(stderr, PROG ": %s%s%s: %s\n", file ? file : "",
		file ? ": " : "", stage, msg);
}

/* Stage: cluster keys from paths.cluster_key_file, expanded for the data
 * plane's AEAD backend, and the node-wide engine state. */
static int stage_keys(struct startup *su, char *err, size_t errlen)
{
	struct hy_dp *dp = &su->dp;
	unsigned int id, n = 0;

	su->keys = calloc(1, sizeof(*su->keys));
	if (su->keys == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (hy_keyfile_load(dp->conf->paths.cluster_key_file, su->keys, err,
			    errlen) != 0)
		return -1;
	dp->backend = hy_aead_backend_available(HY_AEAD_IPSECMB) == 0 ?
		HY_AEAD_IPSECMB : HY_AEAD_OPENSSL;
	dp->cluster_keys = rte_zmalloc("hy_cluster_keys",
		sizeof(*dp->cluster_keys) * su->keys->count, RTE_CACHE_LINE_SIZE);
	dp->shared = rte_zmalloc("hy_engine_shared", sizeof(*dp->shared),
				 RTE_CACHE_LINE_SIZE);
	if (dp->cluster_keys == NULL || dp->shared == NULL) {
		snprintf(err, errlen, "out of memory (-m)");
		return -1;
	}
	if (hy_engine_shared_init(dp->shared, dp->backend,
				  (uint64_t)time(NULL) * 1000) != 0) {
		snprintf(err, errlen, "cookie keys: AEAD backend %s failed",
			 hy_aead_backend_name(dp->backend));
		return -1;
	}
	for (id = 0; id < HY_KEYRING_IDS; id++) {
		if (!su->keys->present[id])
			continue;
		if (hy_aead_key_init(&dp->cluster_keys[n], dp->backend,
				     su->keys->key[id]) != 0) {
			snprintf(err, errlen, "key id %u: AEAD backend %s failed",
				 id, hy_aead_backend_name(dp->backend));
			return -1;
		}
		hy_engine_shared_set_cluster_key(dp->shared, (uint8_t)id,
						 &dp->cluster_keys[n]);
		n++;
	}
	dp->nb_cluster_keys = n;
	/* only the expanded forms stay in memory */
	hy_keyring_wipe(su->keys);
	return 0;
}

static void unwind_keys(struct startup *su)
{
	struct hy_dp *dp = &su->dp;
	unsigned int i;

	if (su->keys != NULL) {
		hy_keyring_wipe(su->keys);
		free(su->keys);
		su->keys = NULL;
	}
	if (dp->shared != NULL) {
		hy_engine_shared_wipe(dp->shared);
		rte_free(dp->shared);
		dp->shared = NULL;
	}
	for (i = 0; dp->cluster_keys != NULL && i < dp->nb_cluster_keys; i++)
		hy_aead_key_wipe(&dp->cluster_keys[i]);
	rte_free(dp->cluster_keys);
	dp->cluster_keys = NULL;
}

/* Stage: the net layer's view of each started port. */
static int stage_ifaces(struct hy_dp *dp, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < dp->ports.nb_ports; i++) {
		struct hy_port *p = &dp->ports.port[i];
		struct hy_net_iface *ifc = &dp->ifc[i];
		struct rte_ether_addr mc[HY_NET_MAX_IPV6];
		unsigned int n;

		hy_net_iface_init(ifc, &p->mac, p->conf->udp_port);
		ifc->offload = hy_net_offload_from_capa(p->tx_offloads);
		if (!p->conf->ipv4_udp_checksum)
			ifc->offload |= HY_NET_UDP4_CKSUM_NONE;
		if (hy_net_iface_add_ipv4(ifc, p->conf->ipv4.v4.s_addr) != 0) {
			snprintf(err, errlen, "dataplane.ports[%u].ipv4: not "
				 "usable as a source address", i);
			return -1;
		}
		if (p->conf->ipv6.family == AF_INET6 &&
		    hy_net_iface_add_ipv6(ifc, p->conf->ipv6.v6.s6_addr) != 0) {
			snprintf(err, errlen, "dataplane.ports[%u].ipv6: not "
				 "usable as a source address", i);
			return -1;
		}
		/* solicitations arrive on multicast MACs: only needed with IPv6 */
		if (p->conf->ipv6.family != AF_INET6)
			continue;
		n = hy_net_iface_mcast_macs(ifc, mc, HY_NET_MAX_IPV6);
		switch (hy_port_join_mcast(p, mc, RTE_MIN(n, (unsigned int)HY_NET_MAX_IPV6))) {
		case 2:
			printf(PROG ": %s: no multicast filter; promiscuous mode "
			       "for IPv6 neighbour discovery\n", p->conf->device);
			break;
		case -1:
			printf(PROG ": %s: cannot accept multicast; IPv6 "
			       "neighbour discovery may fail\n", p->conf->device);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* The parent directory of the ring socket, when it does not exist yet. */
static void make_socket_dir(const char *path)
{
	char dir[HY_CONF_SOCK_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	mkdir(dir, 0750); /* EEXIST is fine; other errors show at bind */
}

static unsigned int pick_workers(struct hy_dp *dp, unsigned int want)
{
	unsigned int lcore, n = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n == want)
			break;
		dp->worker_lcore[n++] = lcore;
	}
	return n;
}

static void print_ready(const struct hy_dp *dp, const char *file)
{
	const struct hy_node_config *c = dp->conf;
	char line[1024], ep[64];
	size_t used = 0;
	unsigned int i;

	line[0] = '\0';
	for (i = 0; i < dp->ports.nb_ports && used < sizeof(line); i++) {
		const struct hy_conf_port *p = &c->dataplane.ports[i];

		used += snprintf(line + used, sizeof(line) - used, "%s%s %s",
				 i ? ", " : "", p->device,
				 endpoint(&p->ipv4, p->udp_port, ep, sizeof(ep)));
		if (p->ipv6.family == AF_INET6 && used < sizeof(line))
			used += snprintf(line + used, sizeof(line) - used,
					 " %s", endpoint(&p->ipv6, p->udp_port,
							 ep, sizeof(ep)));
	}
	printf(PROG ": ready: node %u \"%s\" (%s), %u worker%s, %u sessions, "
	       "aead %s, ports [%s], memory %.1f MiB\n", c->node.id, c->node.name, file,
	       dp->nb_workers, dp->nb_workers == 1 ? "" : "s",
	       c->dataplane.max_sessions, hy_aead_backend_name(dp->backend),
	       line, (double)hy_heap_allocated() / 1048576.0);
	hy_ports_describe(&dp->ports, line, sizeof(line));
	printf(PROG ": ports: %s\n", line);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct startup su; /* large; keeps main's frame small */
	struct hy_dp *dp = &su.dp;
	struct hy_modules_config mods;
	struct hy_node_config node;
	struct hy_conf_error cerr;
	struct hy_conf_cli o = { 0 };
	unsigned int avail, want, i;
	char err[512];
	int eal_argc, ret, rc;
	bool bench = false;

	eal_argc = split_args(argc, argv, &o, &bench);
	if (eal_argc < 0)
		return HY_EXIT_USAGE;
	if (o.help) {
		print_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (o.version) {
		printf(PROG " %s\n", HY_VERSION);
		return EXIT_SUCCESS;
	}

	/* stage: configuration (before EAL) */
	if (hy_conf_load_all(o.config, o.modules, &node, &mods, &cerr) != 0) {
		fprintf(stderr, "%s\n",
			hy_conf_error_format(&cerr, err, sizeof(err)));
		return HY_EXIT_CONFIG;
	}
	/* before EAL and before --check-config says "ok" */
	rc = bench_check(&node, o.config, bench);
	if (rc != 0)
		return rc;
	if (bench)
		bench_warn(&node, stderr);
	if (o.check_config) {
		printf("%s: ok; %s: ok\n", o.config,
		       o.modules ? o.modules : node.paths.modules_file);
		return EXIT_SUCCESS;
	}
	dp->conf = &node;
	dp->mods = &mods;
	atomic_store(&dp->node_state, HY_NODE_ONLINE);

	/* before EAL, so a signal during a long hugepage setup is seen */
	signal(SIGINT, hy_ctrl_on_signal);
	signal(SIGTERM, hy_ctrl_on_signal);

	/* stage: EAL */
	ret = rte_eal_init(eal_argc, argv);
	if (ret < 0) {
		fprintf(stderr, PROG ": rte_eal_init: %s\n",
			rte_strerror(rte_errno));
		return rte_errno == EINVAL ? HY_EXIT_USAGE : HY_EXIT_CONFIG;
	}
	su.eal = true;
	ret = HY_EXIT_CONFIG;
	avail = rte_lcore_count() - 1; /* the main lcore runs the control loop */
	want = node.dataplane.workers ? node.dataplane.workers : avail;
	if (avail == 0 || want > avail || want > HY_ENGINE_MAX_WORKERS) {
		fprintf(stderr, "%s: dataplane.workers: %u worker lcore%s wanted "
			"but EAL gives %u besides the main lcore (see -l)\n",
			o.config, want, want == 1 ? "" : "s", avail);
		goto unwind;
	}
	dp->nb_workers = pick_workers(dp, want);
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		dp->generation = (uint64_t)ts.tv_sec * 1000000000ull +
			(uint64_t)ts.tv_nsec;
	}

	/* stage: cluster keys */
	if (stage_keys(&su, err, sizeof(err)) != 0) {
		fail(NULL, "paths.cluster_key_file", err);
		goto unwind;
	}

	/* stage: packet memory (mbufs per socket, mailbox entries) */
	if (hy_ports_plan(&dp->ports, &node, dp->nb_workers,
			  node.dataplane.burst, HY_INBOX_SLOTS + HY_HELD_RESPONSES, err,
			  sizeof(err)) != 0) {
		fail(o.config, "ports", err);
		goto unwind;
	}
	/* a worker's mbufs: its inbox's and the RESPONSEs it holds */
	if (hy_ports_create_pools(&dp->ports, node.dataplane.burst,
				  HY_INBOX_SLOTS + HY_HELD_RESPONSES, err, sizeof(err)) != 0) {
		fail(NULL, "memory", err);
		goto unwind;
	}
	su.pools = true;
	/* Every worker's event ring full, and the down direction's messages
	 * besides: a full ring, not an empty pool, is what holds events back. */
	dp->mbox_pool = rte_mempool_create("hy_mbox",
		RTE_MAX(HY_MBOX_POOL_MIN,
			dp->nb_workers * node.dataplane.event_slots + HY_INBOX_SLOTS),
		sizeof(struct hy_mbox), 64, 0, NULL, NULL, NULL, NULL,
		SOCKET_ID_ANY, 0);
	if (dp->mbox_pool == NULL) {
		fail(NULL, "memory", "mailbox pool: out of memory (-m)");
		goto unwind;
	}

	/* stage: ports */
	if (hy_ports_start(&dp->ports, err, sizeof(err)) != 0) {
		fail(NULL, "ports", err);
		goto unwind;
	}
	su.ports = true;
	if (stage_ifaces(dp, err, sizeof(err)) != 0) {
		fail(o.config, "ports", err);
		goto unwind;
	}

	/* stage: one engine (and inbox, events ring) per worker */
	for (i = 0; i < dp->nb_workers; i++) {
		dp->workers[i] = hy_worker_create(dp, i, dp->worker_lcore[i], err,
						  sizeof(err));
		if (dp->workers[i] == NULL) {
			fail(NULL, "sessions", err);
			goto unwind;
		}
		su.workers_created++;
	}

	/* stage: rings to the control plane */
	make_socket_dir(node.paths.ring_socket);
	rc = hy_link_server_open(&dp->link, node.paths.ring_socket,
				 node.dataplane.ring_slots,
				 node.dataplane.ring_slots);
	if (rc != 0) {
		snprintf(err, sizeof(err), "%s: %s", node.paths.ring_socket,
			 rc == -EADDRINUSE ? "another data plane listens there" :
			 strerror(-rc));
		fail(o.config, "paths.ring_socket", err);
		dp->link = NULL;
		goto unwind;
	}

	/* stage: stats region */
	dp->stats = hy_stats_create(node.paths.stats_shm, RTE_MAX_LCORE,
				    node.node.id, err, sizeof(err));
	if (dp->stats == NULL) {
		fail(o.config, "paths.stats_shm", err);
		goto unwind;
	}
	for (i = 0; i < dp->nb_workers; i++)
		hy_stats_claim(dp->stats, dp->worker_lcore[i],
			       HY_STATS_ROLE_WORKER);

	/* stage: telemetry (a failure costs observability, not service) */
	if (hy_telemetry_init(dp) != 0)
		printf(PROG ": telemetry commands not registered\n");
	su.telemetry = true;

	if (hy_ctrl_signals() != 0) {
		ret = EXIT_SUCCESS;
		goto unwind;
	}

	/* stage: memory backed before the first packet (memory.h) */
	{
		struct timespec t0, t1;
		size_t bytes;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = hy_memory_prefault(&bytes);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc != 0)
			printf(PROG ": memory not pre-faulted (%s): first use of "
			       "each page will fault on the workers\n",
			       strerror(-rc));
		else
			printf(PROG ": memory: %zu MiB pre-faulted in %ld ms\n",
			       bytes >> 20, (long)((t1.tv_sec - t0.tv_sec) * 1000 +
					      (t1.tv_nsec - t0.tv_nsec) / 1000000));
	}

	/* stage: workers */
	for (i = 0; i < dp->nb_workers; i++) {
		rc = rte_eal_remote_launch(hy_worker_main, dp->workers[i],
					   dp->worker_lcore[i]);
		if (rc != 0) {
			fprintf(stderr, PROG ": launching worker on lcore %u: "
				"%s\n", dp->worker_lcore[i], rte_strerror(-rc));
			atomic_store(&dp->quit, true);
			rte_eal_mp_wait_lcore();
			goto unwind;
		}
	}
	atomic_store(&hy_stats_hdr(dp->stats)->ready, 1);
	print_ready(dp, o.config);
	if (bench)
		bench_warn(&node, stdout);

	hy_ctrl_run(dp); /* until drained or stopped; workers are joined */
	ret = EXIT_SUCCESS;
	printf(PROG ": stopped\n");
	fflush(stdout);

unwind:
	if (su.telemetry)
		hy_telemetry_stop();
	hy_stats_destroy(dp->stats);
	hy_link_server_close(dp->link);
	while (su.workers_created > 0) {
		su.workers_created--;
		hy_worker_free(dp, dp->workers[su.workers_created]);
	}
	if (su.ports)
		hy_ports_stop(&dp->ports);
	rte_mempool_free(dp->mbox_pool);
	if (su.pools)
		hy_ports_free_pools(&dp->ports);
	unwind_keys(&su);
	hy_eal_finish();
	return ret;
}
