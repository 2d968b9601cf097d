/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's service object: the cp.h calls other threads make,
 * and the event-loop glue that ties the registry, the data-plane link,
 * the TCP server and the command table together (cp_impl.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "commands.h"
#include "cp_impl.h"
#include "mars/mars.h"
#include "move.h"
#include "proto/frame.h"
#include "stats.h" /* the data plane's counter region (reader side) */

#define PROG "hayate-controlplane"
#define KICKS_MAX 65536u /* queued kicks; beyond that the HTTP side is told no */

/* ---- calls from any thread (cp.h) ------------------------------------- */

const struct hy_cp_node *hy_cp_node(const struct hy_cp *cp)
{
	return &cp->node;
}

/* A public "host:port" from the configuration, or false if unset.  The
 * loader has checked the syntax, so a failed split means a caller filled
 * the struct by hand; the derived endpoint is used then. */
static bool node_public(const char *hostport, char *host, size_t hostlen, uint16_t *port)
{
	return hostport[0] != '\0' && hy_conf_hostport_split(hostport, host, hostlen, port) == 0;
}

void hy_cp_node_fill(struct hy_cp_node *n, const struct hy_node_config *c)
{
	const struct hy_conf_addr *tl = &c->controlplane.tcp.listen;
	bool wildcard = tl->family == AF_INET ? tl->v4.s_addr == INADDR_ANY :
			IN6_IS_ADDR_UNSPECIFIED(&tl->v6);
	bool have_port = c->dataplane.nb_ports > 0;
	char dp_ip[INET6_ADDRSTRLEN] = "";

	memset(n, 0, sizeof(*n));
	n->id = c->node.id;
	snprintf(n->name, sizeof(n->name), "%s", c->node.name);
	snprintf(n->version, sizeof(n->version), "%s", c->node.version);
	n->roles = c->node.roles;
	if (have_port)
		hy_conf_addr_format(&c->dataplane.ports[0].ipv4, dp_ip, sizeof(dp_ip));
	if ((c->node.roles & HY_ROLE_UDP) &&
	    !node_public(c->node.udp_public, n->udp_host, sizeof(n->udp_host), &n->udp_port) &&
	    have_port) {
		snprintf(n->udp_host, sizeof(n->udp_host), "%s", dp_ip);
		n->udp_port = c->dataplane.ports[0].udp_port;
	}
	if ((c->node.roles & HY_ROLE_TCP) &&
	    !node_public(c->node.tcp_public, n->tcp_host, sizeof(n->tcp_host), &n->tcp_port)) {
		/* A wildcard listener has no address to hand out: players are
		 * sent to the data plane's own address, if any (not to
		 * udp_public, which may be a UDP-only proxy). */
		if (wildcard && dp_ip[0] != '\0')
			snprintf(n->tcp_host, sizeof(n->tcp_host), "%s", dp_ip);
		else
			hy_conf_addr_format(tl, n->tcp_host, sizeof(n->tcp_host));
		n->tcp_port = c->controlplane.tcp.port;
	}
}

const struct hy_node_config *hy_cp_config(const struct hy_cp *cp)
{
	return &cp->conf;
}

enum hy_cp_state hy_cp_state(const struct hy_cp *cp)
{
	return (enum hy_cp_state)atomic_load(&cp->state);
}

const struct hy_keyring *hy_cp_keys(const struct hy_cp *cp)
{
	return &cp->keys;
}

size_t hy_cp_sessions_list(struct hy_cp *cp, size_t offset, struct hy_cp_session *out, size_t cap,
			   size_t *total)
{
	return hy_registry_list(cp->reg, offset, out, cap, total);
}

int hy_cp_session_get(struct hy_cp *cp, uint64_t sid, struct hy_cp_session *out)
{
	return hy_registry_get(cp->reg, sid, out);
}

static void wake(struct hy_cp *cp)
{
	uint64_t one = 1;

	if (cp->wake_fd >= 0 && write(cp->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the loop is awake anyway */
	}
}

int hy_cp_session_kick(struct hy_cp *cp, uint64_t sid)
{
	int rc = 0;

	if (hy_registry_get(cp->reg, sid, NULL) < 0)
		return -1;
	pthread_mutex_lock(&cp->act_lock);
	if (cp->n_kicks == cp->kicks_alloc) {
		size_t n = cp->kicks_alloc ? cp->kicks_alloc * 2 : 64;
		uint64_t *k = n <= KICKS_MAX ? realloc(cp->kicks, n * sizeof(*k)) : NULL;

		if (k == NULL) {
			rc = -1;
			goto out;
		}
		cp->kicks = k;
		cp->kicks_alloc = n;
	}
	cp->kicks[cp->n_kicks++] = sid;
out:
	pthread_mutex_unlock(&cp->act_lock);
	if (rc == 0)
		wake(cp);
	return rc;
}

void hy_cp_drain(struct hy_cp *cp)
{
	pthread_mutex_lock(&cp->act_lock);
	cp->drain_requested = true;
	pthread_mutex_unlock(&cp->act_lock);
	wake(cp);
}

void hy_cp_counters(struct hy_cp *cp, struct hy_cp_counters *out)
{
	memset(out, 0, sizeof(*out));
	out->udp_sessions = hy_registry_count(cp->reg, HY_TRANSPORT_UDP);
	out->tcp_sessions = hy_registry_count(cp->reg, HY_TRANSPORT_TCP);
	if (cp->dp != NULL) {
		out->dataplane_attached = hy_dplink_counter(cp->dp, HY_DPLINK_C_attached);
		out->dataplane_attaches = hy_dplink_counter(cp->dp, HY_DPLINK_C_attaches);
		out->ring_events_up = hy_dplink_counter(cp->dp, HY_DPLINK_C_events_up);
		out->ring_msgs_down = hy_dplink_counter(cp->dp, HY_DPLINK_C_msgs_down);
		out->ring_full = hy_dplink_counter(cp->dp, HY_DPLINK_C_ring_full);
	}
	if (cp->tcp != NULL) {
		out->tcp_accepted = hy_tcp_server_counter(cp->tcp, HY_TCP_C_accepted);
		out->tcp_closed = hy_tcp_server_counter(cp->tcp, HY_TCP_C_closed);
		out->tcp_rejected = hy_tcp_server_counter(cp->tcp, HY_TCP_C_rejected) +
				    hy_tcp_server_counter(cp->tcp, HY_TCP_C_hostile) +
				    hy_tcp_server_counter(cp->tcp, HY_TCP_C_denies);
		out->tcp_slow_consumer = hy_tcp_server_counter(cp->tcp, HY_TCP_C_slow_consumer);
	}
	out->commands = atomic_load(&cp->commands);
	out->responses = atomic_load(&cp->responses);
	out->http_requests = atomic_load(&cp->http_requests);
	out->http_auth_ok = atomic_load(&cp->http_auth_ok);
	out->http_auth_refused = atomic_load(&cp->http_auth_refused);
	out->http_admin_refused = atomic_load(&cp->http_admin_refused);
}

int hy_cp_dataplane_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
			     void *arg)
{
	char err[128], name[HY_STATS_NAME_LEN + 1];
	struct hy_stats_region *r;
	uint64_t *sum, *vals;
	unsigned n, b, i, busy;

	/* Mapped per call: the region is replaced whenever the data plane
	 * restarts, and a scrape every few seconds costs nothing. */
	r = hy_stats_attach(cp->conf.paths.stats_shm, err, sizeof(err));
	if (r == NULL)
		return -1;
	n = hy_stats_counter_count(r);
	busy = n;
	sum = calloc(n, sizeof(*sum));
	vals = calloc(n, sizeof(*vals));
	if (sum == NULL || vals == NULL) {
		free(sum);
		free(vals);
		hy_stats_destroy(r);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (hy_stats_counter_name(r, i, name, sizeof(name)) != NULL &&
		    strcmp(name, "busy_us") == 0)
			busy = i;
	for (b = 0; b < hy_stats_blocks(r); b++) {
		enum hy_stats_role role;

		if (!hy_stats_read(r, b, vals, n, &role))
			continue;
		for (i = 0; i < n; i++)
			sum[i] += vals[i];
		/* each lcore's own load, which a sum hides */
		if (busy < n) {
			snprintf(name, sizeof(name), "lcore.%u.%s.busy_us", b,
				 role == HY_STATS_ROLE_MAIN ? "main" : "worker");
			cb(arg, name, vals[busy]);
		}
	}
	for (i = 0; i < n; i++)
		if (hy_stats_counter_name(r, i, name, sizeof(name)) != NULL)
			cb(arg, name, sum[i]);
	free(sum);
	free(vals);
	hy_stats_destroy(r);
	return 0;
}

int hy_cp_detail_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
			  void *arg)
{
	char name[64];
	unsigned i;

	if (cp->tcp != NULL)
		hy_tcp_server_counters(cp->tcp, cb, arg);
	if (cp->dp != NULL) {
		for (i = 0; i < HY_DPLINK_C_COUNT; i++) {
			snprintf(name, sizeof(name), "ring.%s", hy_dplink_counter_name(i));
			cb(arg, name, hy_dplink_counter(cp->dp, i));
		}
	}
	if (cp->rooms != NULL) {
		for (i = 0; i < HY_ROOMS_C_COUNT; i++) {
			snprintf(name, sizeof(name), "rooms.%s", hy_rooms_counter_name(i));
			cb(arg, name, hy_rooms_counter(cp->rooms, i));
		}
	}
	if (cp->mars != NULL)
		hy_mars_counters(cp->mars, cb, arg);
	hy_move_counters(cp, cb, arg);
	return 0;
}

void hy_cp_count_http(struct hy_cp *cp, bool auth_ok, bool auth_refused, bool admin_refused)
{
	atomic_fetch_add(&cp->http_requests, 1);
	if (auth_ok)
		atomic_fetch_add(&cp->http_auth_ok, 1);
	if (auth_refused)
		atomic_fetch_add(&cp->http_auth_refused, 1);
	if (admin_refused)
		atomic_fetch_add(&cp->http_admin_refused, 1);
}

/* ---- commands --------------------------------------------------------- */

static uint8_t node_state(const struct hy_cp *cp)
{
	return atomic_load(&cp->state) == HY_CP_OFFLINE ? HY_NODE_OFFLINE : HY_NODE_ONLINE;
}

/* "ip:port" / "[ip6]:port" back to an address (registry entries keep the
 * text form, which is what the admin API shows). */
static void parse_peer(const char *s, struct hy_echo_addr *out)
{
	char ip[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	size_t n;

	memset(out, 0, sizeof(*out));
	if (colon == NULL || (n = (size_t)(colon - s)) >= sizeof(ip))
		return;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (ip[0] == '[' && n > 2 && ip[n - 1] == ']') {
		ip[n - 1] = '\0';
		if (inet_pton(AF_INET6, ip + 1, out->addr) == 1)
			out->family = 6;
	} else if (inet_pton(AF_INET, ip, out->addr) == 1) {
		out->family = 4;
	}
	out->port = (uint16_t)strtoul(colon + 1, NULL, 10);
}

static void tcp_command(void *arg, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_cp *cp = arg;

	atomic_fetch_add(&cp->commands, 1);
	hy_registry_note_command(cp->reg, req->sid, hy_unix_ms());
	hy_cmd_dispatch(&cp->env, req, rep);
	atomic_fetch_add(&cp->responses, 1);
}

static void ring_command(void *arg, const struct hy_ring_msg *m)
{
	struct hy_cp *cp = arg;
	uint8_t payload[HY_MAX_MESSAGE];
	struct hy_cmd_reply rep = { .payload = payload, .cap = HY_MAX_MESSAGE - HY_MSG_RESP_HDR };
	struct hy_cmd_req req = {
		.sid = m->sid, .transport = HY_TRANSPORT_UDP, .delivery = m->u.cmd.delivery,
		.ver = m->u.cmd.ver, .cmd = m->u.cmd.cmd, .payload = m->u.cmd.payload,
		.len = m->u.cmd.payload_len, .node_state = node_state(cp),
	};
	struct hy_cp_session s;

	atomic_fetch_add(&cp->commands, 1);
	if (hy_registry_get(cp->reg, m->sid, &s) == 0)
		parse_peer(s.peer, &req.peer);
	hy_registry_note_command(cp->reg, m->sid, hy_unix_ms());
	hy_cmd_dispatch(&cp->env, &req, &rep);
	if (!rep.none &&
	    hy_dplink_respond(cp->dp, m, rep.status, rep.payload, (uint32_t)rep.len) == HY_R_OK)
		atomic_fetch_add(&cp->responses, 1);
}

static void tcp_opened(void *arg, const struct hy_cp_session *s)
{
	struct hy_cp *cp = arg;

	hy_registry_upsert(cp->reg, s);
}

static void tcp_closed(void *arg, uint64_t sid)
{
	struct hy_cp *cp = arg;

	hy_registry_remove(cp->reg, sid);
	if (cp->rooms != NULL)
		hy_rooms_session_closed(cp->rooms, sid, hy_mono_ms());
}

/* ---- rooms: pushes, table updates, session events ---------------------- */

/* Delivers a push to sessions of either transport: the UDP ones in SEND
 * messages down the ring (HY_MSG_MAX_SIDS each), the TCP ones directly.
 * Room traffic the control plane originates (joins, leaves, a TCP member's
 * broadcast) and what the data plane relays up for TCP members take this
 * path. */
static void cp_push(void *arg, const uint64_t *sids, size_t n, uint8_t ver, uint16_t cmd,
		    const uint8_t *payload, size_t len)
{
	struct hy_cp *cp = arg;
	uint64_t udp[HY_MSG_MAX_SIDS];
	unsigned nu = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		struct hy_cp_session s;

		if (i < n && hy_registry_get(cp->reg, sids[i], &s) < 0)
			continue; /* gone meanwhile */
		if (i < n && s.transport == HY_TRANSPORT_TCP) {
			/* reliably, as the SEND below asks of the data plane */
			if (cp->tcp != NULL)
				hy_tcp_server_push_delivery(cp->tcp, sids[i], ver, cmd,
							    HY_DELIVERY_RELIABLE, payload, len);
			continue;
		}
		if (i < n)
			udp[nu++] = sids[i];
		if (nu > 0 && (nu == HY_MSG_MAX_SIDS || i == n) && cp->dp != NULL) {
			uint8_t packed[8 * HY_MSG_MAX_SIDS];
			struct hy_ring_msg m = { .type = HY_MSG_SEND };

			hy_msg_sids_pack(packed, udp, nu);
			m.u.send.target = HY_SEND_SIDS;
			m.u.send.ver = ver;
			m.u.send.delivery = HY_DELIVERY_RELIABLE;
			m.u.send.cmd = cmd;
			m.u.send.nsids = (uint16_t)nu;
			m.u.send.sids = packed;
			m.u.send.payload_len = (uint32_t)len;
			m.u.send.payload = payload;
			hy_dplink_send(cp->dp, &m);
			nu = 0;
		}
	}
}

/* Room traffic the data plane relayed for our (TCP) members: deliver the
 * push it built to each of them. */
static void ring_relay(void *arg, const struct hy_ring_msg *m)
{
	uint64_t sids[HY_MSG_MAX_SIDS];
	unsigned i;

	for (i = 0; i < m->u.send.nsids; i++)
		sids[i] = hy_msg_send_sid(&m->u.send, i);
	cp_push(arg, sids, m->u.send.nsids, m->u.send.ver, m->u.send.cmd, m->u.send.payload,
		m->u.send.payload_len);
}

static void rooms_push(void *arg, const uint64_t *sids, size_t n, uint16_t cmd,
		       const uint8_t *payload, size_t len)
{
	cp_push(arg, sids, n, 1, cmd, payload, len);
}

/* Not attached: nothing to program (the attach resyncs the table). */
static int rooms_table(void *arg, uint16_t op, const uint8_t *body, size_t len)
{
	struct hy_cp *cp = arg;
	struct hy_ring_msg m = { .type = HY_MSG_TABLE_UPDATE };

	if (cp->dp == NULL || !hy_dplink_attached(cp->dp))
		return 0;
	m.u.table.op = op;
	m.u.table.body = body;
	m.u.table.body_len = (uint32_t)len;
	return hy_dplink_send(cp->dp, &m) == HY_R_OK ? 0 : -1;
}

static bool rooms_is_relay(void *arg, uint64_t sid)
{
	struct hy_cp *cp = arg;
	struct hy_cp_session s;

	return hy_registry_get(cp->reg, sid, &s) == 0 && s.transport == HY_TRANSPORT_TCP;
}

static uint64_t env_find_uid(void *arg, const uint8_t *uid, size_t len)
{
	struct hy_cp *cp = arg;

	return hy_registry_find_uid(cp->reg, uid, len);
}

static bool env_exists(void *arg, uint64_t sid)
{
	struct hy_cp *cp = arg;

	return hy_registry_get(cp->reg, sid, NULL) == 0;
}

static size_t env_uid_of(void *arg, uint64_t sid, char *uid, size_t cap)
{
	struct hy_cp *cp = arg;
	struct hy_cp_session s;
	size_t n;

	if (hy_registry_get(cp->reg, sid, &s) < 0)
		return 0;
	n = strnlen(s.uid, sizeof(s.uid));
	n = n < cap ? n : cap;
	memcpy(uid, s.uid, n);
	return n;
}

static uint64_t env_now(void *arg)
{
	(void)arg;
	return hy_mono_ms();
}

static void dp_session_closed(void *arg, uint64_t sid)
{
	struct hy_cp *cp = arg;

	if (cp->rooms != NULL)
		hy_rooms_session_closed(cp->rooms, sid, hy_mono_ms());
}

static void dp_attached(void *arg, const struct hy_msg_hello *h)
{
	struct hy_cp *cp = arg;

	(void)h;
	if (cp->rooms != NULL)
		hy_rooms_table_resync(cp->rooms);
}

/* The data plane's sessions died with it. */
static void dp_detached(void *arg)
{
	struct hy_cp *cp = arg;

	if (cp->rooms != NULL)
		hy_rooms_drop_if(cp->rooms, false, NULL, NULL, hy_mono_ms());
}

static bool udp_gone(void *arg, uint64_t sid)
{
	struct hy_cp *cp = arg;

	return hy_registry_get(cp->reg, sid, NULL) < 0;
}

/* After a resync, UDP members the data plane no longer has leave. */
static void dp_resynced(void *arg)
{
	struct hy_cp *cp = arg;

	if (cp->rooms != NULL)
		hy_rooms_drop_if(cp->rooms, false, udp_gone, cp, hy_mono_ms());
}

int hy_cp_rooms_open(struct hy_cp *cp, char *err, size_t errlen)
{
	struct hy_rooms_ops ops = {
		.push = rooms_push, .table = rooms_table, .is_relay = rooms_is_relay, .arg = cp,
	};
	uint32_t seed = (uint32_t)(hy_unix_ms() * 2654435761u) ^ (uint32_t)getpid();

	cp->rooms = hy_rooms_create(cp->conf.node.id, &cp->mods, &ops, seed);
	if (cp->rooms == NULL) {
		snprintf(err, errlen, "rooms: out of memory");
		return -1;
	}
	cp->env = (struct hy_cmd_env){
		.rooms = cp->rooms, .push = cp_push, .find_uid = env_find_uid,
		.exists = env_exists, .uid_of = env_uid_of, .now_ms = env_now, .arg = cp,
	};
	if (hy_move_open(cp) < 0) {
		snprintf(err, errlen, "moves: out of memory");
		return -1;
	}
	return 0;
}

/* ---- drain, actions, signals, timer ----------------------------------- */

static void start_drain(struct hy_cp *cp, const char *why)
{
	uint64_t grace_ms = (uint64_t)cp->conf.dataplane.drain_timeout_s * 1000u;

	if (cp->draining)
		return;
	cp->draining = true;
	atomic_store(&cp->state, HY_CP_OFFLINE);
	cp->drain_deadline_ms = hy_mono_ms() + grace_ms;
	if (cp->tcp != NULL)
		hy_tcp_server_set_state(cp->tcp, HY_NODE_OFFLINE);
	if (cp->dp != NULL)
		hy_dplink_drain(cp->dp, (uint32_t)grace_ms);
	/* Out of allocation cluster-wide now, not at the next heartbeat. */
	hy_mars_local_changed(cp->mars);
	printf(PROG ": state draining (%s): %zu sessions, closing what is left in %llu ms\n", why,
	       hy_registry_count(cp->reg, 0), (unsigned long long)grace_ms);
	hy_move_on_drain(cp);
	fflush(stdout);
}

/* While draining: stop when no session is left, or close what is left at
 * the deadline and stop shortly after (time to flush the DISCONNECTs). */
static void drain_step(struct hy_cp *cp, uint64_t now)
{
	if (!cp->draining)
		return;
	if (cp->quit_at_ms != 0) {
		if (now >= cp->quit_at_ms || (cp->tcp == NULL || hy_tcp_server_sessions(cp->tcp) == 0))
			cp->quit = true;
		return;
	}
	if (hy_registry_count(cp->reg, 0) == 0) {
		printf(PROG ": drained: no session left\n");
		cp->quit = true;
	} else if (now >= cp->drain_deadline_ms) {
		unsigned n = cp->tcp ? hy_tcp_server_close_all(cp->tcp, HY_CLOSE_NODE_DRAINING) : 0;

		printf(PROG ": drain timeout: %u TCP sessions disconnected\n", n);
		cp->quit_at_ms = now + 500;
	}
	fflush(stdout);
}

static void on_wake(void *arg, uint32_t events)
{
	struct hy_cp *cp = arg;
	uint64_t v, *kicks;
	size_t n, i;
	bool drain;

	(void)events;
	if (read(cp->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&cp->act_lock);
	kicks = cp->kicks;
	n = cp->n_kicks;
	cp->kicks = NULL;
	cp->n_kicks = cp->kicks_alloc = 0;
	drain = cp->drain_requested;
	cp->drain_requested = false;
	pthread_mutex_unlock(&cp->act_lock);

	for (i = 0; i < n; i++) {
		struct hy_cp_session s;

		if (hy_registry_get(cp->reg, kicks[i], &s) < 0)
			continue; /* gone meanwhile */
		if (s.transport == HY_TRANSPORT_TCP && cp->tcp != NULL) {
			hy_tcp_server_kick(cp->tcp, s.sid, HY_CLOSE_KICKED);
		} else if (s.transport == HY_TRANSPORT_UDP && cp->dp != NULL) {
			/* The data plane's KICK carries an enum hy_close_reason. */
			struct hy_ring_msg m = { .type = HY_MSG_KICK, .sid = s.sid };

			m.u.closed.reason = HY_CLOSE_KICKED;
			hy_dplink_send(cp->dp, &m);
		}
	}
	free(kicks);
	if (drain)
		start_drain(cp, "drain requested over HTTP");
}

static void on_signal(void *arg, uint32_t events)
{
	struct hy_cp *cp = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(cp->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			hy_cp_print_counters(cp);
			break;
		case SIGUSR2:
			printf(PROG ": SIGUSR2: stopping now without a drain; the data plane "
			       "keeps forwarding\n");
			cp->quit = true;
			break;
		default: /* SIGINT, SIGTERM */
			if (cp->signals++ == 0) {
				start_drain(cp, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			} else {
				printf(PROG ": second signal, stopping now\n");
				cp->quit = true;
			}
			break;
		}
		fflush(stdout);
	}
}

static void on_timer(void *arg, uint32_t events)
{
	struct hy_cp *cp = arg;
	uint64_t expirations, now = hy_mono_ms();

	(void)events;
	if (read(cp->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	if (cp->dp != NULL)
		hy_dplink_tick(cp->dp, now);
	if (cp->tcp != NULL)
		hy_tcp_server_tick(cp->tcp, now);
	if (cp->rooms != NULL)
		hy_rooms_tick(cp->rooms, now);
	hy_move_tick(cp, now);
	drain_step(cp, now);
}

/* ---- stages ----------------------------------------------------------- */

void hy_cp_init(struct hy_cp *cp)
{
	cp->timer_fd = cp->wake_fd = cp->sig_fd = -1;
	atomic_store(&cp->state, HY_CP_ONLINE);
	pthread_mutex_init(&cp->act_lock, NULL);
}

int hy_cp_keys_expand(struct hy_cp *cp, char *err, size_t errlen)
{
	unsigned i;

	cp->key_ctx = aligned_alloc(64, HY_KEYRING_IDS * sizeof(*cp->key_ctx));
	if (cp->key_ctx == NULL) {
		snprintf(err, errlen, "cluster keys: out of memory");
		return -1;
	}
	for (i = 0; i < HY_KEYRING_IDS; i++) {
		cp->key_ptr[i] = NULL;
		if (!cp->keys.present[i])
			continue;
		if (hy_aead_key_init(&cp->key_ctx[i], HY_AEAD_OPENSSL, cp->keys.key[i]) < 0) {
			snprintf(err, errlen, "cluster key %u: the OpenSSL AES-128-GCM backend "
				 "is not available", i);
			return -1;
		}
		cp->key_ptr[i] = &cp->key_ctx[i];
	}
	return 0;
}

int hy_cp_loop_open(struct hy_cp *cp, char *err, size_t errlen)
{
	struct itimerspec its = {
		.it_interval = { 0, HY_CP_TICK_MS * 1000000L },
		.it_value = { 0, HY_CP_TICK_MS * 1000000L },
	};
	sigset_t set;

	cp->loop = hy_loop_create(err, errlen);
	if (cp->loop == NULL)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	cp->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	cp->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cp->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (cp->timer_fd < 0 || cp->wake_fd < 0 || cp->sig_fd < 0 ||
	    timerfd_settime(cp->timer_fd, 0, &its, NULL) < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -1;
	}
	if (hy_loop_add(cp->loop, &cp->timer_w, cp->timer_fd, EPOLLIN, on_timer, cp) < 0 ||
	    hy_loop_add(cp->loop, &cp->wake_w, cp->wake_fd, EPOLLIN, on_wake, cp) < 0 ||
	    hy_loop_add(cp->loop, &cp->sig_w, cp->sig_fd, EPOLLIN, on_signal, cp) < 0) {
		snprintf(err, errlen, "event loop: cannot watch its own descriptors");
		return -1;
	}
	return 0;
}

int hy_cp_dplink_open(struct hy_cp *cp, char *err, size_t errlen)
{
	struct hy_dplink_ops ops = {
		.command = ring_command, .relay = ring_relay, .attached = dp_attached,
		.detached = dp_detached,
		.session_closed = dp_session_closed, .resynced = dp_resynced, .arg = cp,
	};

	cp->dp = hy_dplink_create(cp->conf.paths.ring_socket, cp->loop, cp->reg, &ops);
	if (cp->dp == NULL) {
		snprintf(err, errlen, "data-plane link: out of memory");
		return -1;
	}
	/* First attempt now, so a running data plane is attached before we
	 * say ready; later ones on the timer. */
	hy_dplink_tick(cp->dp, hy_mono_ms());
	return 0;
}

int hy_cp_tcp_open(struct hy_cp *cp, char *err, size_t errlen)
{
	const struct hy_node_config *c = &cp->conf;
	struct hy_tcp_ops ops = {
		.command = tcp_command, .opened = tcp_opened, .closed = tcp_closed, .arg = cp,
	};
	struct hy_tcp_config tc = {
		.listen = c->controlplane.tcp.listen,
		.port = c->controlplane.tcp.port,
		.node_id = c->node.id,
		.keepalive_ms = c->dataplane.keepalive_ms,
		.idle_timeout_ms = c->dataplane.idle_timeout_ms,
		.ttl_ms = (uint64_t)c->controlplane.tcp.ttl_s * 1000u,
		/* The reliable channel as the data plane runs it: fragments
		 * up to max_message, the node's rudp.* settings. */
		.max_message = c->limits.max_message_bytes,
		.reassembly_bytes = c->limits.reassembly_bytes_per_session,
		.rto_min_ms = c->rudp.rto_min_ms,
		.rto_max_ms = c->rudp.rto_max_ms,
		.max_retries = c->rudp.max_retries,
		.max_conns = c->dataplane.max_sessions,
		.used_sids = 2 * c->dataplane.max_sessions,
		.out_cap = HY_TCP_OUT_CAP,
		.first_record_ms = HY_TCP_FIRST_RECORD_MS,
		.keys = cp->key_ptr,
	};
	struct rlimit rl;

	/* Never more connections than descriptors (keep some for the rest). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur > 64 && tc.max_conns > rl.rlim_cur - 64)
		tc.max_conns = (uint32_t)(rl.rlim_cur - 64);
	cp->tcp = hy_tcp_server_create(&tc, &ops, cp->loop, err, errlen);
	return cp->tcp == NULL ? -1 : 0;
}

/* ---- MARS ------------------------------------------------------------- */

void hy_cp_cluster_local(struct hy_cp *cp, struct hy_cluster_node *out)
{
	const struct hy_cp_node *n = &cp->node;

	memset(out, 0, sizeof(*out));
	out->id = n->id;
	snprintf(out->name, sizeof(out->name), "%s", n->name);
	snprintf(out->version, sizeof(out->version), "%s", n->version);
	out->roles = n->roles;
	out->state = atomic_load(&cp->state) == HY_CP_OFFLINE ? HY_CLUSTER_OFFLINE :
		     HY_CLUSTER_ONLINE;
	snprintf(out->udp_host, sizeof(out->udp_host), "%s", n->udp_host);
	out->udp_port = n->udp_port;
	snprintf(out->tcp_host, sizeof(out->tcp_host), "%s", n->tcp_host);
	out->tcp_port = n->tcp_port;
	out->load.sessions = cp->reg != NULL ? hy_registry_count(cp->reg, 0) : 0;
	out->load.pps = atomic_load(&cp->load_pps);
	out->load.cpu_pct = atomic_load(&cp->load_cpu_pct);
}

static void add_packets(void *arg, const char *name, uint64_t v)
{
	if (strcmp(name, "rx_packets") == 0 || strcmp(name, "tx_packets") == 0)
		*(uint64_t *)arg += v;
}

/* Packets/s of the data plane (its counters) and the CPU of this
 * process, over the last heartbeat. */
static void mars_sample(void *arg, uint64_t now)
{
	struct hy_cp *cp = arg;
	uint64_t packets = 0, cpu_us, dt = now - cp->sample_ms;
	struct rusage ru;
	bool have_dp = cp->dp != NULL && hy_cp_dataplane_counters(cp, add_packets, &packets) == 0;

	getrusage(RUSAGE_SELF, &ru);
	cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
		 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	if (cp->sample_ms != 0 && dt > 0) {
		atomic_store(&cp->load_pps, have_dp && packets >= cp->sample_packets ?
			     (packets - cp->sample_packets) * 1000u / dt : 0);
		atomic_store(&cp->load_cpu_pct, (uint32_t)((cpu_us - cp->sample_cpu_us) / 10u / dt));
	}
	cp->sample_ms = now;
	cp->sample_packets = packets;
	cp->sample_cpu_us = cpu_us;
}

static void mars_local(void *arg, struct hy_cluster_node *out)
{
	hy_cp_cluster_local(arg, out);
}

int hy_cp_mars_open(struct hy_cp *cp, char *err, size_t errlen)
{
	struct hy_mars_ops ops = { .local = mars_local, .sample = mars_sample, .arg = cp };

	cp->mars = hy_mars_create(&cp->conf, &cp->keys, cp->loop, &ops, err, errlen);
	return cp->mars == NULL ? -1 : 0;
}

void hy_cp_run(struct hy_cp *cp)
{
	while (!cp->quit) {
		bool more = cp->dp != NULL && hy_dplink_pending(cp->dp);
		int n = hy_loop_run_once(cp->loop, more ? 0 : -1);

		if (n < 0) {
			printf(PROG ": event loop failed: %s\n", strerror(-n));
			break;
		}
		if (more)
			hy_dplink_poll(cp->dp);
	}
}

static void print_one(void *arg, const char *name, uint64_t v)
{
	(void)arg;
	printf(" %s=%llu", name, (unsigned long long)v);
}

void hy_cp_print_counters(struct hy_cp *cp)
{
	struct hy_cp_counters c;

	hy_cp_counters(cp, &c);
	printf(PROG ": counters: udp_sessions=%llu tcp_sessions=%llu commands=%llu responses=%llu",
	       (unsigned long long)c.udp_sessions, (unsigned long long)c.tcp_sessions,
	       (unsigned long long)c.commands, (unsigned long long)c.responses);
	hy_cp_detail_counters(cp, print_one, NULL);
	printf("\n");
	fflush(stdout);
}

void hy_cp_teardown(struct hy_cp *cp)
{
	/* Rooms first: closing the sessions below must not push anything. */
	hy_rooms_destroy(cp->rooms);
	cp->rooms = NULL;
	hy_move_close(cp);
	hy_tcp_server_destroy(cp->tcp);
	cp->tcp = NULL;
	hy_dplink_destroy(cp->dp);
	cp->dp = NULL;
	hy_mars_destroy(cp->mars);
	cp->mars = NULL;
	if (cp->loop != NULL) {
		hy_loop_del(cp->loop, &cp->timer_w);
		hy_loop_del(cp->loop, &cp->wake_w);
		hy_loop_del(cp->loop, &cp->sig_w);
	}
	if (cp->timer_fd >= 0)
		close(cp->timer_fd);
	if (cp->wake_fd >= 0)
		close(cp->wake_fd);
	if (cp->sig_fd >= 0)
		close(cp->sig_fd);
	cp->timer_fd = cp->wake_fd = cp->sig_fd = -1;
	hy_loop_destroy(cp->loop);
	cp->loop = NULL;
	hy_registry_destroy(cp->reg);
	cp->reg = NULL;
	if (cp->key_ctx != NULL) {
		for (unsigned i = 0; i < HY_KEYRING_IDS; i++)
			if (cp->key_ptr[i] != NULL)
				hy_aead_key_wipe(&cp->key_ctx[i]);
		free(cp->key_ctx);
		cp->key_ctx = NULL;
	}
	hy_keyring_wipe(&cp->keys);
	free(cp->kicks);
	cp->kicks = NULL;
	pthread_mutex_destroy(&cp->act_lock);
}
