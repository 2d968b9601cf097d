/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's shared state and the calls its services make on it.
 *
 * hayate-controlplane has one event loop (the main thread: data-plane
 * rings, TCP real-time server, timers) and libmicrohttpd's threads for the
 * HTTP API.  Everything the HTTP side needs goes through the functions
 * below, which are thread-safe: they take the registry lock for the time of
 * a copy, never across I/O.  Actions (kick, drain) are queued to the event
 * loop and carried out there.
 */
#ifndef HY_CONTROLPLANE_CP_H
#define HY_CONTROLPLANE_CP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"
#include "crypto/keyfile.h"
#include "proto/limits.h"

struct hy_cp; /* opaque: owned by main.c */

/* One session as the control plane knows it (UDP: from the data plane's
 * events and resyncs; TCP: its own connections). */
struct hy_cp_session {
	uint64_t sid;
	char uid[HY_UID_MAX + 1];
	uint8_t transport;        /* enum hy_transport */
	char peer[64];            /* client address as "ip:port" / "[ip6]:port" */
	uint64_t opened_unix_ms;
	uint64_t last_seen_unix_ms; /* TCP: last record; UDP: last event or resync */
	uint64_t commands;        /* commands handled for it */
};

/* What the node is and offers; read-only after start-up. */
struct hy_cp_node {
	uint32_t id;
	char name[HY_CONF_NAME_MAX];
	char version[HY_CONF_NAME_MAX];
	uint32_t roles;           /* enum hy_conf_role bits */
	/* Endpoints players connect to (tickets): an IP address without
	 * brackets or a DNS name; "" without the role. */
	char udp_host[HY_CONF_HOSTPORT_MAX];
	uint16_t udp_port;
	char tcp_host[HY_CONF_HOSTPORT_MAX];
	uint16_t tcp_port;
};

enum hy_cp_state {
	HY_CP_ONLINE = 1,
	HY_CP_OFFLINE = 2, /* draining */
};

/* Counters of the control plane itself (the data plane's are read from its
 * stats region, see hy_cp_dataplane_counters). */
struct hy_cp_counters {
	uint64_t udp_sessions, tcp_sessions;
	uint64_t dataplane_attached;     /* 1 while the data plane's rings are attached */
	uint64_t dataplane_attaches;     /* how many times they were (re)attached */
	uint64_t ring_events_up, ring_msgs_down, ring_full;
	uint64_t tcp_accepted, tcp_closed, tcp_rejected, tcp_slow_consumer;
	uint64_t commands, responses;
	uint64_t http_requests, http_auth_ok, http_auth_refused, http_admin_refused;
};

const struct hy_cp_node *hy_cp_node(const struct hy_cp *cp);
const struct hy_node_config *hy_cp_config(const struct hy_cp *cp);
enum hy_cp_state hy_cp_state(const struct hy_cp *cp);

/* The cluster keys, for sealing tokens (newest_id seals). */
const struct hy_keyring *hy_cp_keys(const struct hy_cp *cp);

/* Copies sessions [offset, offset + cap) ordered by sid into out; *total
 * gets the number of sessions.  Returns how many were copied. */
size_t hy_cp_sessions_list(struct hy_cp *cp, size_t offset, struct hy_cp_session *out, size_t cap,
			   size_t *total);

/* Copies one session.  Returns 0, or -1 if there is no such session. */
int hy_cp_session_get(struct hy_cp *cp, uint64_t sid, struct hy_cp_session *out);

/* Queues a kick (DISCONNECT reason KICKED).  Returns 0 if the session
 * exists, -1 if not. */
int hy_cp_session_kick(struct hy_cp *cp, uint64_t sid);

/* Starts a drain of the whole node (data plane and TCP).  Idempotent. */
void hy_cp_drain(struct hy_cp *cp);

/* Snapshot of the control plane's counters. */
void hy_cp_counters(struct hy_cp *cp, struct hy_cp_counters *out);

/* Calls cb for each data-plane counter (name, total over lcores) from the
 * data plane's stats region, and for each lcore's busy time
 * ("lcore.<id>.<main|worker>.busy_us"); returns -1 if the region is not
 * available. */
int hy_cp_dataplane_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
			     void *arg);

/* Calls cb for the control plane's detailed counters, named
 * "tcp.<name>", "tcp.drop.<REASON>", "tcp.deny.<REASON>" (TCP server) and
 * "ring.<name>" (data-plane link) and "rooms.<name>" (room registry).
 * Returns 0. */
int hy_cp_detail_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
			  void *arg);

/* Counts one HTTP outcome (the HTTP module calls these). */
void hy_cp_count_http(struct hy_cp *cp, bool auth_ok, bool auth_refused, bool admin_refused);

#endif /* HY_CONTROLPLANE_CP_H */
