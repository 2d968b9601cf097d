/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's state (struct hy_cp, opaque in cp.h) and what
 * main.c calls to run it.  Owned by the main thread; the HTTP threads
 * reach it only through cp.h.
 */
#ifndef HY_CP_IMPL_H
#define HY_CP_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "cluster.h"
#include "cp.h"
#include "crypto/aead.h"
#include "dataplane_link.h"
#include "loop.h"
#include "commands.h"
#include "registry.h"
#include "rooms.h"
#include "tcp_server.h"

/* Period of the loop's timer: timeouts, keep-alives, reconnects. */
#define HY_CP_TICK_MS 100u

struct hy_cp {
	struct hy_node_config conf;
	struct hy_modules_config mods;
	struct hy_cp_node node;
	struct hy_keyring keys;
	struct hy_aead_ctx *key_ctx;                  /* [HY_KEYRING_IDS] */
	const struct hy_aead_ctx *key_ptr[HY_KEYRING_IDS];

	struct hy_registry *reg;
	struct hy_rooms *rooms;
	struct hy_cmd_env env;         /* what command handlers reach (ctx) */
	struct hy_move *move;          /* room redirects and drain moves (move.c) */
	struct hy_loop *loop;
	struct hy_dplink *dp;          /* NULL without the udp role */
	struct hy_tcp_server *tcp;     /* NULL without the tcp role */
	struct hy_mars *mars;          /* NULL only in tests of the core */
	int timer_fd, wake_fd, sig_fd;
	struct hy_loop_watch timer_w, wake_w, sig_w;

	_Atomic int state;             /* enum hy_cp_state */

	/* Actions queued by other threads, carried out by the loop. */
	pthread_mutex_t act_lock;
	uint64_t *kicks;
	size_t n_kicks, kicks_alloc;
	bool drain_requested;

	/* Loop thread only. */
	bool draining;
	bool quit;
	unsigned signals;
	uint64_t drain_deadline_ms;
	uint64_t quit_at_ms;           /* 0: not scheduled */

	/* Load this node reports to MARS, sampled each heartbeat. */
	_Atomic uint64_t load_pps;
	_Atomic uint32_t load_cpu_pct;
	uint64_t sample_ms, sample_packets, sample_cpu_us;

	_Atomic uint64_t commands, responses;
	_Atomic uint64_t http_requests, http_auth_ok, http_auth_refused, http_admin_refused;
};

/*
 * Fills *n (overwritten whole) from the configuration: identity, roles and
 * the endpoints tickets name.  UDP: node.udp_public, else the first
 * data-plane port's ipv4 and udp_port.  TCP: node.tcp_public, else
 * controlplane.tcp.listen and port, with the first port's ipv4 in place of
 * a wildcard listener.  A role the node lacks leaves its host "".
 */
void hy_cp_node_fill(struct hy_cp_node *n, const struct hy_node_config *c);

/* Sets the fields above to their empty state (fds -1, lock ready). */
void hy_cp_init(struct hy_cp *cp);

/* Stage: expands the cluster keys (already in cp->keys) for the OpenSSL
 * backend.  Returns 0 or -1 with err. */
int hy_cp_keys_expand(struct hy_cp *cp, char *err, size_t errlen);

/* Stage: loop, timer, wake-up eventfd and signalfd (SIGINT, SIGTERM,
 * SIGUSR1, SIGUSR2 must already be blocked).  Returns 0 or -1 with err. */
int hy_cp_loop_open(struct hy_cp *cp, char *err, size_t errlen);

/* Stage: the room registry (after the session registry).  Returns 0 or
 * -1 with err. */
int hy_cp_rooms_open(struct hy_cp *cp, char *err, size_t errlen);

/* Stage: the data-plane link (udp role) and the TCP server (tcp role). */
int hy_cp_dplink_open(struct hy_cp *cp, char *err, size_t errlen);
int hy_cp_tcp_open(struct hy_cp *cp, char *err, size_t errlen);

/* Stage: MARS (after the loop).  Returns 0 or -1 with err. */
int hy_cp_mars_open(struct hy_cp *cp, char *err, size_t errlen);

/* This node's cluster record now: identity, state, load.  Any thread. */
void hy_cp_cluster_local(struct hy_cp *cp, struct hy_cluster_node *out);

/* Runs the loop until a drain ends or a second signal. */
void hy_cp_run(struct hy_cp *cp);

/* Prints the counters as one line on stdout. */
void hy_cp_print_counters(struct hy_cp *cp);

/* Undoes every stage that was done (reverse order) and wipes the keys. */
void hy_cp_teardown(struct hy_cp *cp);

#endif /* HY_CP_IMPL_H */
