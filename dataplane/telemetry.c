/* SPDX-License-Identifier: BSD-3-Clause
 * rte_telemetry commands (see telemetry.h).  They run on DPDK's telemetry
 * thread, never on an lcore: they read the stats region and ask workers
 * through their inboxes, and touch nothing a worker writes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "engine.h"
#include "proto/packet.h"
#include "ring/link.h"
#include "stats.h"
#include "telemetry.h"
#include "worker.h"

static struct hy_dp *tel_dp;
static atomic_bool tel_stopped;
static atomic_uint tel_inflight;

/* Enter/leave a command: after hy_telemetry_stop() returns, no command
 * reads dp any more. */
static struct hy_dp *enter(void)
{
	atomic_fetch_add(&tel_inflight, 1);
	if (atomic_load(&tel_stopped) || tel_dp == NULL) {
		atomic_fetch_sub(&tel_inflight, 1);
		return NULL;
	}
	return tel_dp;
}

static void leave(void)
{
	atomic_fetch_sub(&tel_inflight, 1);
}

/* Telemetry refuses some characters in dict keys ('.' among them):
 * "drop.TRUNCATED" is reported as "drop_TRUNCATED". */
static const char *tel_key(unsigned int id, char *buf, size_t len)
{
	char *c;

	snprintf(buf, len, "%s", hy_stats_name(id));
	for (c = buf; *c != '\0'; c++)
		if (*c == '.')
			*c = '_';
	return buf;
}

static int cmd_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct hy_dp *dp = enter();
	char buf[1024];
	unsigned int i;

	(void)cmd;
	(void)params;
	if (dp == NULL)
		return -EAGAIN;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "program", "hayate-dataplane");
	rte_tel_data_add_dict_string(d, "version", HY_VERSION);
	rte_tel_data_add_dict_u64(d, "node_id", dp->conf->node.id);
	rte_tel_data_add_dict_string(d, "node_name", dp->conf->node.name);
	rte_tel_data_add_dict_u64(d, "pid", (uint64_t)getpid());
	rte_tel_data_add_dict_u64(d, "generation", dp->generation);
	rte_tel_data_add_dict_string(d, "state",
		hy_node_state_name(atomic_load(&dp->node_state)));
	rte_tel_data_add_dict_u64(d, "main_lcore", rte_get_main_lcore());
	rte_tel_data_add_dict_u64(d, "workers", dp->nb_workers);
	buf[0] = '\0';
	for (i = 0; i < dp->nb_workers; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%u",
			 i ? "," : "", dp->worker_lcore[i]);
	rte_tel_data_add_dict_string(d, "worker_lcores", buf);
	rte_tel_data_add_dict_u64(d, "max_sessions",
				  dp->conf->dataplane.max_sessions);
	rte_tel_data_add_dict_string(d, "aead", hy_aead_backend_name(dp->backend));
	rte_tel_data_add_dict_string(d, "control_plane",
		dp->link != NULL && hy_link_server_attached(dp->link) ?
		"attached" : "detached");
	hy_ports_describe(&dp->ports, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "ports", buf);
	leave();
	return 0;
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct hy_dp *dp = enter();
	struct hy_stats_counters c;
	char key[HY_STATS_NAME_LEN];
	unsigned int i;

	(void)cmd;
	if (dp == NULL)
		return -EAGAIN;
	if (params != NULL && params[0] != '\0') {
		char *end;
		unsigned long lc = strtoul(params, &end, 10);

		if (*end != '\0' || lc >= RTE_MAX_LCORE ||
		    !hy_stats_snapshot(dp->stats, (unsigned int)lc, &c, NULL)) {
			leave();
			return -EINVAL;
		}
	} else {
		hy_stats_sum(dp->stats, &c);
	}
	rte_tel_data_start_dict(d);
	/* the fixed counters always, the per-reason ranges when non-zero
	 * (a dict holds at most RTE_TEL_MAX_DICT_ENTRIES) */
	for (i = 0; i < HY_ST_COUNT; i++)
		if (i < HY_ST_NET_DROP_BASE || c.v[i] != 0)
			rte_tel_data_add_dict_u64(d, tel_key(i, key, sizeof(key)), c.v[i]);
	leave();
	return 0;
}

static int cmd_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct hy_dp *dp = enter();
	struct hy_stats_counters c;
	char key[HY_STATS_NAME_LEN];
	unsigned int i;

	(void)cmd;
	(void)params;
	if (dp == NULL)
		return -EAGAIN;
	hy_stats_sum(dp->stats, &c);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "drops", c.v[HY_ST_drops]);
	rte_tel_data_add_dict_u64(d, "tx_dropped", c.v[HY_ST_tx_dropped]);
	rte_tel_data_add_dict_u64(d, "handoff_full", c.v[HY_ST_handoff_full]);
	rte_tel_data_add_dict_u64(d, "events_full", c.v[HY_ST_events_full]);
	rte_tel_data_add_dict_u64(d, "ring_full", c.v[HY_ST_ring_full]);
	for (i = HY_ST_NET_DROP_BASE; i < HY_ST_NET_REPLY_BASE; i++)
		if (c.v[i] != 0)
			rte_tel_data_add_dict_u64(d, tel_key(i, key, sizeof(key)), c.v[i]);
	for (i = HY_ST_DROP_BASE; i < HY_ST_CLOSED_BASE; i++)
		if (c.v[i] != 0)
			rte_tel_data_add_dict_u64(d, tel_key(i, key, sizeof(key)), c.v[i]);
	leave();
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void add_session(struct rte_tel_data *arr,
			const struct hy_mbox_query *q, unsigned int k)
{
	struct rte_tel_data *s = rte_tel_data_alloc();
	char sid[24], addr[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];

	if (s == NULL)
		return;
	rte_tel_data_start_dict(s);
	snprintf(sid, sizeof(sid), "%016llx", (unsigned long long)q->s[k].sid);
	rte_tel_data_add_dict_string(s, "sid", sid);
	inet_ntop(q->s[k].family == 6 ? AF_INET6 : AF_INET, q->s[k].addr, ip,
		  sizeof(ip));
	snprintf(addr, sizeof(addr), q->s[k].family == 6 ? "[%s]:%u" : "%s:%u",
		 ip, q->s[k].port);
	rte_tel_data_add_dict_string(s, "address", addr);
	rte_tel_data_add_dict_string(s, "uid", q->s[k].uid);
	rte_tel_data_add_dict_u64(s, "created_ms", q->s[k].created_ms);
	rte_tel_data_add_dict_u64(s, "last_rx_ms", q->s[k].last_rx_ms);
	if (rte_tel_data_add_array_container(arr, s, 0) != 0)
		rte_tel_data_free(s);
}

static int cmd_sessions(const char *cmd, const char *params,
			struct rte_tel_data *d)
{
	struct hy_dp *dp = enter();
	struct hy_mbox_query *q[RTE_MAX_LCORE] = { NULL };
	struct rte_tel_data *arr;
	unsigned long want = 16;
	uint64_t total = 0, deadline;
	unsigned int i, k, listed = 0;

	(void)cmd;
	if (dp == NULL)
		return -EAGAIN;
	if (params != NULL && params[0] != '\0') {
		char *end;

		want = strtoul(params, &end, 10);
		if (*end != '\0') {
			leave();
			return -EINVAL;
		}
	}
	/* ask every worker; each answers from its own loop */
	for (i = 0; i < dp->nb_workers; i++) {
		struct hy_mbox *e = hy_mbox_alloc(dp, 0);

		q[i] = rte_zmalloc("hy_query", sizeof(*q[i]), 0);
		if (e == NULL || q[i] == NULL) {
			if (e != NULL)
				hy_mbox_free(dp, e);
			rte_free(q[i]);
			q[i] = NULL;
			continue;
		}
		e->op = HY_MBOX_QUERY_SESSIONS;
		e->worker = (uint16_t)i;
		e->query = q[i];
		if (hy_worker_post(dp->workers[i], e) != 0) {
			hy_mbox_free(dp, e);
			rte_free(q[i]);
			q[i] = NULL;
		}
	}
	deadline = mono_ms() + HY_TELEMETRY_WAIT_MS;
	arr = rte_tel_data_alloc();
	if (arr != NULL)
		rte_tel_data_start_array(arr, RTE_TEL_CONTAINER);
	for (i = 0; i < dp->nb_workers; i++) {
		uint32_t expect = 0;
		struct timespec ts = { 0, 200000 };

		if (q[i] == NULL)
			continue;
		while (atomic_load(&q[i]->state) == 0 && mono_ms() < deadline)
			nanosleep(&ts, NULL);
		/* no answer in time: abandon it, the worker frees it */
		if (atomic_compare_exchange_strong(&q[i]->state, &expect, 2))
			continue;
		total += q[i]->total;
		for (k = 0; k < q[i]->n && listed < want && arr != NULL; k++) {
			add_session(arr, q[i], k);
			listed++;
		}
		rte_free(q[i]);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", total);
	rte_tel_data_add_dict_u64(d, "listed", listed);
	if (arr != NULL)
		rte_tel_data_add_dict_container(d, "sessions", arr, 0);
	leave();
	return 0;
}

int hy_telemetry_init(struct hy_dp *dp)
{
	tel_dp = dp;
	atomic_store(&tel_stopped, false);
	if (rte_telemetry_register_cmd("/hayate/info", cmd_info,
		"Node, version, state, lcores and ports. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/hayate/stats", cmd_stats,
		"Data-plane counters, summed. Parameter: lcore id for one lcore") != 0 ||
	    rte_telemetry_register_cmd("/hayate/drops", cmd_drops,
		"Non-zero drop counters by reason. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/hayate/sessions", cmd_sessions,
		"Session count and the first N sessions. Parameter: N (default 16)") != 0)
		return -1;
	return 0;
}

void hy_telemetry_stop(void)
{
	struct timespec ts = { 0, 1000000 };

	atomic_store(&tel_stopped, true);
	while (atomic_load(&tel_inflight) != 0)
		nanosleep(&ts, NULL);
	tel_dp = NULL;
}
