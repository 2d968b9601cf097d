/* SPDX-License-Identifier: BSD-3-Clause
 * The cluster view as this node knows it: what the HTTP side (allocation,
 * GET /v1/nodes) and the loop's services (room redirects, drain moves)
 * ask of MARS.  Implemented in controlplane/mars/; every call is
 * thread-safe and copies out under the view's lock, never across I/O.
 *
 * The view holds every node the MARS leader reported, this node included
 * (a one-node cluster is its own MARS: the view is this node alone).
 */
#ifndef HY_CONTROLPLANE_CLUSTER_H
#define HY_CONTROLPLANE_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config/conf.h"

struct hy_cp;

/* Largest cluster: the view must fit one cluster datagram. */
#define HY_CLUSTER_MAX_NODES 64

enum hy_cluster_node_state {
	HY_CLUSTER_ONLINE = 1,
	HY_CLUSTER_OFFLINE = 2, /* draining: no new sessions, no redirects to it */
};

struct hy_cluster_load {
	uint64_t sessions; /* UDP + TCP sessions */
	uint64_t pps;      /* data-plane packets per second, rx + tx */
	uint32_t cpu_pct;  /* control-plane process CPU, percent of one core */
};

struct hy_cluster_node {
	uint32_t id;
	char name[HY_CONF_NAME_MAX];
	char version[HY_CONF_NAME_MAX];
	uint32_t roles; /* enum hy_conf_role bits */
	uint8_t state;  /* enum hy_cluster_node_state */
	/* Endpoints players connect to, as in tickets; "" / 0 without the role. */
	char udp_host[HY_CONF_HOSTPORT_MAX];
	uint16_t udp_port;
	char tcp_host[HY_CONF_HOSTPORT_MAX];
	uint16_t tcp_port;
	struct hy_cluster_load load;
	uint64_t age_ms; /* since the leader last heard from it (0 for this node) */
};

/* The whole view, for GET /v1/nodes. */
struct hy_cluster_view {
	uint32_t leader;      /* MARS leader's node id; 0: none known */
	uint64_t term;        /* its term (1 for a node alone) */
	/* No VIEW from a leader for longer than the election timeout: the
	 * nodes below are the last ones heard of, kept for allocation. */
	bool stale;
	uint64_t view_age_ms; /* since the nodes below were last refreshed */
	char role[16];        /* this node's part: alone, leader, follower,
			       * precandidate, candidate, member */
	unsigned n_nodes;     /* this node always among them, with fresh data */
	struct hy_cluster_node nodes[HY_CLUSTER_MAX_NODES];
};

/* Copies the view (about 30 KB: not for a small stack).  Returns 0. */
int hy_cp_cluster_view(struct hy_cp *cp, struct hy_cluster_view *out);

/* Node id in the view into *out.  Returns 0, or -1 if it is not there. */
int hy_cp_cluster_node(struct hy_cp *cp, uint32_t id, struct hy_cluster_node *out);

/*
 * Picks a node for a new session of transport (enum hy_transport): ONLINE,
 * the same node.version as this node, offering the transport's role, not
 * exclude_id (0: exclude none); of two random such nodes the less loaded
 * (power of two choices).  Returns 0 with *out, or -1 if there is none.
 */
int hy_cp_cluster_pick(struct hy_cp *cp, uint8_t transport, uint32_t exclude_id,
		       struct hy_cluster_node *out);

#endif /* HY_CONTROLPLANE_CLUSTER_H */
