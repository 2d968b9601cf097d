/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's side of the rings to the data plane.
 *
 * Connects to paths.ring_socket and retries with back-off while no data
 * plane listens; keeps the up ring's eventfd and the link socket in the
 * event loop; on every attach sends RESYNC_REQUEST and rebuilds the UDP
 * part of the registry from RESYNC_ENTRY..RESYNC_END; keeps it current
 * from SESSION_OPENED/SESSION_CLOSED; hands COMMAND messages to a
 * callback; on data-plane death drops the UDP sessions and reconnects.
 * The data plane keeps forwarding throughout: nothing here can stop it.
 * Loop thread only, except the counters (atomics).
 */
#ifndef HY_CP_DATAPLANE_LINK_H
#define HY_CP_DATAPLANE_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "registry.h"
#include "ring/msg.h"

/* Back-off between connection attempts: doubles from MIN to MAX. */
#define HY_DPLINK_RETRY_MIN_MS 100u
#define HY_DPLINK_RETRY_MAX_MS 2000u
/* How long one attempt waits for the data plane's hello. */
#define HY_DPLINK_HELLO_TIMEOUT_MS 500

struct hy_dplink_ops {
	/* A COMMAND from UDP session m->sid (m->u.cmd); answer with
	 * hy_dplink_respond.  Pointers in m are valid during the call only. */
	void (*command)(void *arg, const struct hy_ring_msg *m);
	/* A RELAY from the data plane's room relay: a push (m->u.send) for
	 * sessions this process serves (TCP members of a room).  Pointers in
	 * m are valid during the call only. */
	void (*relay)(void *arg, const struct hy_ring_msg *m);
	/* The data plane attached (after its HELLO) or went away. */
	void (*attached)(void *arg, const struct hy_msg_hello *h);
	void (*detached)(void *arg);
	/* UDP session sid closed (SESSION_CLOSED). */
	void (*session_closed)(void *arg, uint64_t sid);
	/* A resync ended: the registry's UDP sessions are current again
	 * (sessions it found gone were removed). */
	void (*resynced)(void *arg);
	void *arg;
};

/* Counters of the link, X(name, description). */
#define HY_DPLINK_COUNTERS(X) \
	X(attached,       "1 while the data plane's rings are attached") \
	X(attaches,       "times the rings were (re)attached") \
	X(detaches,       "times the data plane went away") \
	X(connect_fails,  "connection attempts that failed") \
	X(events_up,      "messages received from the data plane") \
	X(msgs_down,      "messages sent to the data plane") \
	X(ring_full,      "messages not sent: ring full") \
	X(peer_gone,      "messages not sent: no data plane") \
	X(stale,          "session events left from before this attach, skipped") \
	X(bad_up,         "messages from the data plane refused (wrong direction)") \
	X(sessions_opened, "UDP sessions the data plane reported opened (SESSION_OPENED)") \
	X(sessions_closed, "UDP sessions the data plane reported closed (SESSION_CLOSED)") \
	X(resyncs,        "resyncs completed") \
	X(resync_entries, "sessions received in resyncs") \
	X(swept,          "UDP sessions found gone by a resync") \
	X(lost_udp,       "UDP sessions dropped because the data plane died")

enum hy_dplink_counter {
#define HY_DPLINK_CNT_ENUM(name, text) HY_DPLINK_C_##name,
	HY_DPLINK_COUNTERS(HY_DPLINK_CNT_ENUM)
#undef HY_DPLINK_CNT_ENUM
	HY_DPLINK_C_COUNT
};

struct hy_dplink;

/* Creates the link (not yet connected: the first attempt happens in the
 * first hy_dplink_tick).  Returns NULL when out of memory. */
struct hy_dplink *hy_dplink_create(const char *socket_path, struct hy_loop *loop,
				   struct hy_registry *reg, const struct hy_dplink_ops *ops);

/* Detaches (the data plane sees a hangup and goes on) and frees.  Safe on
 * NULL. */
void hy_dplink_destroy(struct hy_dplink *l);

/* Reconnects when due, checks the peer is alive, beats the heartbeats.
 * Call every ~100 ms. */
void hy_dplink_tick(struct hy_dplink *l, uint64_t now_ms);

/* True when messages were left in the up ring for lack of budget: the
 * loop should come back at once (hy_dplink_poll). */
bool hy_dplink_pending(const struct hy_dplink *l);
/* Receives up to a budget of messages. */
void hy_dplink_poll(struct hy_dplink *l);

bool hy_dplink_attached(const struct hy_dplink *l);

/* Sends m down.  Returns HY_R_OK or why not (counted). */
enum hy_reason hy_dplink_send(struct hy_dplink *l, const struct hy_ring_msg *m);

/* RESPOND to COMMAND cmd (sid, seq, ver, cmd, delivery copied from it). */
enum hy_reason hy_dplink_respond(struct hy_dplink *l, const struct hy_ring_msg *cmd,
				 uint8_t status, const uint8_t *payload, uint32_t len);

/* Remembers a drain: DRAIN(grace_ms) is sent now and again on every later
 * attach, so a data plane that restarts meanwhile drains too. */
void hy_dplink_drain(struct hy_dplink *l, uint32_t grace_ms);

uint64_t hy_dplink_counter(const struct hy_dplink *l, enum hy_dplink_counter c);
const char *hy_dplink_counter_name(enum hy_dplink_counter c);

/* A session's client address as the registry keeps it: "ip:port" or
 * "[ip6]:port" ("?:port" for an unknown family); "" when len cannot hold
 * it. */
void hy_dplink_format_addr(const struct hy_msg_addr *a, char *buf, size_t len);

#endif /* HY_CP_DATAPLANE_LINK_H */
