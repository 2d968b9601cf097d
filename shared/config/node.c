/* SPDX-License-Identifier: BSD-3-Clause
 * The node configuration schema (config/hayate.conf) and its cross-field
 * rules.  Each line of the tables below is one key: docs/operations.md and
 * config/hayate.conf are checked against them by tests/config.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "config/conf_schema.h"
#include "proto/limits.h"
#include "ring/msg.h"

#define N struct hy_node_config
#define P struct hy_conf_port

static const char *const role_names[] = { "udp", "tcp", "http", NULL };

static const struct hy_conf_key node_keys[] = {
	HY_KEY_UINT(N, node.id, "id", HY_CK_REQUIRED, 1, UINT32_MAX, 0,
		"Cluster-wide node number; nonzero, unique in the cluster"),
	HY_KEY_STRING(N, node.name, "name", HY_CK_NAME, 1, "hayate",
		"Name shown in logs, metrics and the admin API"),
	HY_KEY_SET(N, node.roles, "roles", role_names, 1, 3,
		HY_ROLE_UDP | HY_ROLE_TCP | HY_ROLE_HTTP,
		"Services this node offers: udp (data plane), tcp, http"),
	HY_KEY_STRING(N, node.version, "version", HY_CK_NAME, 1, "1",
		"Application version label; clients are only sent to nodes "
		"with their label"),
	HY_KEY_STRING(N, node.udp_public, "udp_public", HY_CK_HOSTPORT, 0, "",
		"UDP endpoint put in tickets, when clients reach the node "
		"through NAT, a load balancer or a proxy; \"\": the first "
		"port's ipv4 and udp_port"),
	HY_KEY_STRING(N, node.tcp_public, "tcp_public", HY_CK_HOSTPORT, 0, "",
		"TCP endpoint put in tickets, likewise; \"\": "
		"controlplane.tcp.listen (the first port's ipv4 if that is a "
		"wildcard) and controlplane.tcp.port"),
	HY_KEY_END
};

static const struct hy_conf_key paths_keys[] = {
	HY_KEY_STRING(N, paths.cluster_key_file, "cluster_key_file",
		HY_CK_PATH, 1, "/etc/hayate/cluster.key",
		"Cluster key (seals tokens, signs cluster messages); "
		"never logged"),
	HY_KEY_STRING(N, paths.app_keys_file, "app_keys_file", HY_CK_PATH, 1,
		"/etc/hayate/app.keys",
		"API keys of the game's app servers for POST /v1/auth; "
		"never logged"),
	HY_KEY_STRING(N, paths.admin_token_file, "admin_token_file",
		HY_CK_PATH, 1, "/etc/hayate/admin.token",
		"Bearer token of the admin REST API; never logged"),
	HY_KEY_STRING(N, paths.modules_file, "modules_file", HY_CK_PATH, 1,
		"/etc/hayate/modules.yaml",
		"Module settings (YAML) shared by every node"),
	HY_KEY_STRING(N, paths.ring_socket, "ring_socket", HY_CK_PATH, 1,
		"/run/hayate/ring.sock",
		"Unix socket where the two processes exchange ring memory"),
	HY_KEY_STRING(N, paths.stats_shm, "stats_shm", HY_CK_SHM, 2,
		"/hayate-stats",
		"POSIX shared-memory name of the data-plane counters"),
	HY_KEY_END
};

static const struct hy_conf_key port_keys[] = {
	HY_KEY_STRING(P, device, "device", HY_CK_REQUIRED, 1, NULL,
		"EAL device name: PCI address or vdev name given to -a/--vdev"),
	HY_KEY_ADDR(P, ipv4, "ipv4", HY_CK_REQUIRED | HY_CK_V4 | HY_CK_UNICAST,
		NULL, "IPv4 address the port answers ARP and UDP for"),
	HY_KEY_ADDR(P, ipv6, "ipv6", HY_CK_V6 | HY_CK_UNICAST, NULL,
		"IPv6 address the port answers NDP and UDP for (optional)"),
	HY_KEY_UINT(P, udp_port, "udp_port", 0, 1, 65535, 7100,
		"UDP port clients send to"),
	HY_KEY_BOOL(P, ipv4_udp_checksum, "ipv4_udp_checksum", true,
		"IPv4 datagrams carry a UDP checksum; false: checksum 0 (none, "
		"RFC 768) when the port cannot offload it, for software links "
		"(memif, vhost) that cannot corrupt a packet; the AEAD tag "
		"authenticates every payload either way; IPv6 always has one"),
	HY_KEY_END
};

/* Benchmarks with replayed captures (perf/pktgen, docs/performance.md):
 * sessions that exist without a handshake and accept replayed packets.
 * hayate-dataplane starts with a nonzero sessions only when also given
 * --bench-mode-insecure. */
static const struct hy_conf_key bench_keys[] = {
	HY_KEY_UINT(N, dataplane.bench.sessions, "sessions", 0, 0, 16777216, 0,
		"Bench mode: sessions made at start without a handshake, "
		"replayed packets accepted; 0: off. Needs hayate-dataplane "
		"--bench-mode-insecure; never on a production node"),
	HY_KEY_UINT(N, dataplane.bench.seed, "seed", 0, 0, UINT32_MAX, 0,
		"Bench mode: with the cluster key, derives the bench sessions' "
		"ids and keys (gen_traffic --seed must match)"),
	HY_KEY_UINT(N, dataplane.bench.room_size, "room_size", 0, 0, 1024, 0,
		"Bench mode: bench sessions are put in data-plane rooms of this "
		"many, in order, for BROADCAST traffic; 0: no rooms"),
	HY_KEY_END
};

static const struct hy_conf_key dataplane_keys[] = {
	HY_KEY_GROUPLIST(N, dataplane.ports, dataplane.nb_ports, "ports",
		port_keys, 0,
		"DPDK ports; at least one when node.roles has udp"),
	HY_KEY_UINT(N, dataplane.workers, "workers", 0, 0, 128, 0,
		"Worker lcores to use; 0 uses every worker lcore EAL gives"),
	HY_KEY_UINT(N, dataplane.max_sessions, "max_sessions", 0, 1024,
		16777216, 1048576, "Session table capacity"),
	HY_KEY_UINT(N, dataplane.idle_timeout_ms, "idle_timeout_ms", 0, 1000,
		3600000, 10000,
		"A session silent this long is closed; at least twice "
		"keepalive_ms"),
	HY_KEY_UINT(N, dataplane.keepalive_ms, "keepalive_ms", 0, 100, 600000,
		1000, "Keep-alive interval clients are told to use"),
	HY_KEY_UINT(N, dataplane.drain_timeout_s, "drain_timeout_s", 0, 0,
		86400, 60,
		"On drain, time given to sessions to leave before closing"),
	HY_KEY_UINT(N, dataplane.burst, "burst", 0, 1, 256, 32,
		"Packets per rx/tx burst"),
	HY_KEY_UINT(N, dataplane.ring_slots, "ring_slots", HY_CK_POW2,
		HY_RING_CONFIG_MIN_SLOTS, 1048576, 4096,
		"Slots of 512 bytes per direction of the control-plane rings"),
	HY_KEY_UINT(N, dataplane.event_slots, "event_slots", HY_CK_POW2, 64,
		1048576, 4096,
		"Slots of each worker's queue of events for the control plane "
		"(sessions opened and closed, commands); while it is full new "
		"handshakes wait (256 RESPONSEs held by the worker, the rest "
		"for the client's resend) and reliable commands are held in "
		"their sessions"),
	HY_KEY_UINT(N, dataplane.key_cache, "key_cache", HY_CK_POW2, 1024,
		16777216, 65536,
		"Sessions per worker whose expanded AES-GCM keys stay in memory "
		"(2,240 bytes each); the others keep 32-byte raw keys and are "
		"expanded when used; a worker with a smaller table gets a cache "
		"of its size"),
	HY_KEY_BOOL(N, dataplane.idle_sleep, "idle_sleep", true,
		"A worker that has found no work for 1 ms sleeps (10 to 250 us at "
		"a time) and leaves the CPU to others; false: it polls without "
		"pause, for the lowest latency on a core of its own"),
	HY_KEY_GROUP("bench", bench_keys, "Bench mode (pktgen replays)"),
	HY_KEY_END
};

static const struct hy_conf_key http_keys[] = {
	HY_KEY_ADDR(N, controlplane.http.listen, "listen",
		HY_CK_V4 | HY_CK_V6, "0.0.0.0",
		"Address of the HTTP API (auth, endpoint, metrics, admin)"),
	HY_KEY_UINT(N, controlplane.http.port, "port", 0, 1, 65535, 7000,
		"TCP port of the HTTP API"),
	HY_KEY_END
};

static const struct hy_conf_key tcp_keys[] = {
	HY_KEY_ADDR(N, controlplane.tcp.listen, "listen", HY_CK_V4 | HY_CK_V6,
		"0.0.0.0", "Address of the TCP real-time server"),
	HY_KEY_UINT(N, controlplane.tcp.port, "port", 0, 1, 65535, 7200,
		"TCP port of the real-time server"),
	HY_KEY_UINT(N, controlplane.tcp.ttl_s, "ttl_s", 0, 0, 86400, 0,
		"Longest life of a TCP connection, then DISCONNECT; 0: no limit"),
	HY_KEY_END
};

static const struct hy_conf_key mars_keys[] = {
	HY_KEY_ADDR(N, controlplane.mars.listen, "listen", HY_CK_V4 | HY_CK_V6,
		"0.0.0.0", "Address of this node's cluster (MARS) endpoint (UDP)"),
	HY_KEY_UINT(N, controlplane.mars.port, "port", 0, 1, 65535, 7300,
		"UDP port of this node's cluster endpoint"),
	HY_KEY_STRING(N, controlplane.mars.advertise, "advertise",
		HY_CK_HOSTPORT, 0, "",
		"This node's cluster endpoint as the other nodes reach it; the "
		"node is a MARS candidate iff it is in candidates; \"\": "
		"listen:port, none when listen is a wildcard"),
	HY_KEY_STRLIST(N, controlplane.mars.candidates,
		controlplane.mars.nb_candidates, "candidates", HY_CK_HOSTPORT,
		"MARS candidates as \"host:port\", the same list on every "
		"node (3 or 5 for a quorum); empty: this node alone"),
	HY_KEY_UINT(N, controlplane.mars.heartbeat_ms, "heartbeat_ms", 0, 50,
		60000, 250, "Interval of node heartbeats and leader pings"),
	HY_KEY_UINT(N, controlplane.mars.election_timeout_ms,
		"election_timeout_ms", 0, 150, 600000, 1000,
		"Leader silence that starts an election; at least three "
		"heartbeats"),
	HY_KEY_END
};

static const struct hy_conf_key controlplane_keys[] = {
	HY_KEY_GROUP("http", http_keys, "HTTP API"),
	HY_KEY_GROUP("tcp", tcp_keys, "TCP real-time server"),
	HY_KEY_GROUP("mars", mars_keys, "Cluster membership and election"),
	HY_KEY_END
};

static const struct hy_conf_key rudp_keys[] = {
	HY_KEY_UINT(N, rudp.rto_min_ms, "rto_min_ms", 0, 1, 60000, 50,
		"Smallest retransmission timeout; at most rto_max_ms"),
	HY_KEY_UINT(N, rudp.rto_max_ms, "rto_max_ms", 0, 10, 60000, 1000,
		"Largest retransmission timeout (back-off cap)"),
	HY_KEY_UINT(N, rudp.max_retries, "max_retries", 0, 1, 100, 10,
		"Retransmissions of one message before the session is closed"),
	HY_KEY_END
};

static const struct hy_conf_key limits_keys[] = {
	HY_KEY_UINT(N, limits.max_message_bytes, "max_message_bytes", 0, 64,
		HY_MAX_MESSAGE, HY_MAX_MESSAGE,
		"Largest reliable message, UDP or TCP"),
	HY_KEY_UINT(N, limits.reassembly_bytes_per_session,
		"reassembly_bytes_per_session", 0, HY_MAX_DATAGRAM, 16777216,
		131072,
		"Memory for fragments of one session; at least "
		"max_message_bytes"),
	HY_KEY_END
};

const struct hy_conf_key hy_conf_node_schema[] = {
	HY_KEY_GROUP("node", node_keys, "Identity"),
	HY_KEY_GROUP("paths", paths_keys, "Files and names"),
	HY_KEY_GROUP("dataplane", dataplane_keys, "hayate-dataplane"),
	HY_KEY_GROUP("controlplane", controlplane_keys, "hayate-controlplane"),
	HY_KEY_GROUP("rudp", rudp_keys, "Reliable UDP"),
	HY_KEY_GROUP("limits", limits_keys, "Memory and size limits"),
	HY_KEY_END
};

static int same_addr(const struct hy_conf_addr *a, const struct hy_conf_addr *b)
{
	if (a->family != b->family)
		return 0;
	return a->family == AF_INET ? a->v4.s_addr == b->v4.s_addr :
	       memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
}

static int check_ports(struct hy_conf_ctx *ctx, const struct hy_node_config *c)
{
	char path[64];
	unsigned int i, j;

	if ((c->node.roles & HY_ROLE_UDP) && c->dataplane.nb_ports == 0)
		return hy_conf_rule_fail(ctx, HY_R_CONFIG_MISSING,
			"dataplane.ports",
			"required when node.roles has \"udp\" (expected a list "
			"of 1 to %d groups)", HY_CONF_MAX_PORTS);
	for (i = 0; i < c->dataplane.nb_ports; i++) {
		const struct hy_conf_port *p = &c->dataplane.ports[i];

		for (j = 0; j < i; j++) {
			const struct hy_conf_port *q = &c->dataplane.ports[j];

			if (strcmp(p->device, q->device) == 0) {
				snprintf(path, sizeof(path),
					 "dataplane.ports[%u].device", i);
				return hy_conf_rule_fail(ctx,
					HY_R_CONFIG_BAD_VALUE, path,
					"same device as dataplane.ports[%u]",
					j);
			}
			if (same_addr(&p->ipv4, &q->ipv4)) {
				snprintf(path, sizeof(path),
					 "dataplane.ports[%u].ipv4", i);
				return hy_conf_rule_fail(ctx,
					HY_R_CONFIG_BAD_VALUE, path,
					"same address as dataplane.ports[%u]",
					j);
			}
			if (p->ipv6.family != AF_UNSPEC &&
			    same_addr(&p->ipv6, &q->ipv6)) {
				snprintf(path, sizeof(path),
					 "dataplane.ports[%u].ipv6", i);
				return hy_conf_rule_fail(ctx,
					HY_R_CONFIG_BAD_VALUE, path,
					"same address as dataplane.ports[%u]",
					j);
			}
		}
	}
	return 0;
}

/* The control plane's three listening sockets may not collide. */
static int check_listeners(struct hy_conf_ctx *ctx,
			   const struct hy_node_config *c)
{
	const struct {
		const char *path;
		uint16_t port;
	} l[] = {
		{ "controlplane.http.port", c->controlplane.http.port },
		{ "controlplane.tcp.port", c->controlplane.tcp.port },
		{ "controlplane.mars.port", c->controlplane.mars.port },
	};
	unsigned int i, j;

	for (i = 1; i < 3; i++)
		for (j = 0; j < i; j++)
			if (l[i].port == l[j].port)
				return hy_conf_rule_fail(ctx,
					HY_R_CONFIG_BAD_VALUE, l[i].path,
					"port %u already used by %s",
					l[i].port, l[j].path);
	return 0;
}

static int node_check(struct hy_conf_ctx *ctx, const void *cfg)
{
	const struct hy_node_config *c = cfg;

	if (check_ports(ctx, c) != 0 || check_listeners(ctx, c) != 0)
		return -1;
	if ((uint64_t)c->dataplane.idle_timeout_ms <
	    2 * (uint64_t)c->dataplane.keepalive_ms)
		return hy_conf_rule_fail(ctx, HY_R_CONFIG_BAD_VALUE,
			"dataplane.idle_timeout_ms",
			"must be at least twice dataplane.keepalive_ms "
			"(%" PRIu32 "), got %" PRIu32,
			c->dataplane.keepalive_ms, c->dataplane.idle_timeout_ms);
	if ((uint64_t)c->controlplane.mars.election_timeout_ms <
	    3 * (uint64_t)c->controlplane.mars.heartbeat_ms)
		return hy_conf_rule_fail(ctx, HY_R_CONFIG_BAD_VALUE,
			"controlplane.mars.election_timeout_ms",
			"must be at least three times "
			"controlplane.mars.heartbeat_ms (%" PRIu32 "), got %"
			PRIu32, c->controlplane.mars.heartbeat_ms,
			c->controlplane.mars.election_timeout_ms);
	if (c->rudp.rto_min_ms > c->rudp.rto_max_ms)
		return hy_conf_rule_fail(ctx, HY_R_CONFIG_BAD_VALUE,
			"rudp.rto_min_ms",
			"must not exceed rudp.rto_max_ms (%" PRIu32 "), got %"
			PRIu32, c->rudp.rto_max_ms, c->rudp.rto_min_ms);
	if (c->dataplane.bench.sessions > c->dataplane.max_sessions)
		return hy_conf_rule_fail(ctx, HY_R_CONFIG_BAD_VALUE,
			"dataplane.bench.sessions",
			"must not exceed dataplane.max_sessions (%" PRIu32
			"), got %" PRIu32, c->dataplane.max_sessions,
			c->dataplane.bench.sessions);
	if (c->limits.reassembly_bytes_per_session <
	    c->limits.max_message_bytes)
		return hy_conf_rule_fail(ctx, HY_R_CONFIG_BAD_VALUE,
			"limits.reassembly_bytes_per_session",
			"must be at least limits.max_message_bytes (%" PRIu32
			"), got %" PRIu32, c->limits.max_message_bytes,
			c->limits.reassembly_bytes_per_session);
	return 0;
}

static const struct hy_conf_kind node_kind = {
	.syntax = HY_SYNTAX_LIBCONFIG,
	.schema = hy_conf_node_schema,
	.size = sizeof(struct hy_node_config),
	.check = node_check,
};

void hy_conf_node_defaults(struct hy_node_config *out)
{
	memset(out, 0, sizeof(*out));
	hy_conf_schema_defaults(hy_conf_node_schema, out);
}

int hy_conf_node_load(const char *path, struct hy_node_config *out,
		      struct hy_conf_error *err)
{
	return hy_conf_load_file(&node_kind, path, out, err);
}

int hy_conf_node_parse(const char *text, size_t len, const char *name,
		       struct hy_node_config *out, struct hy_conf_error *err)
{
	return hy_conf_load_text(&node_kind, text, len, name, out, err);
}

int hy_conf_node_write(const struct hy_node_config *cfg, FILE *f)
{
	return hy_conf_schema_write(hy_conf_node_schema, cfg,
				    HY_SYNTAX_LIBCONFIG, f);
}

char *hy_conf_roles_format(uint32_t roles, char *buf, size_t len)
{
	size_t used = 0;
	int i, n = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; role_names[i] != NULL && used < len; i++)
		if (roles & (1u << i))
			used += snprintf(buf + used, len - used, "%s%s",
					 n++ ? "," : "", role_names[i]);
	return buf;
}
