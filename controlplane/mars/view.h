/* SPDX-License-Identifier: BSD-3-Clause
 * The MARS registry (what the leader knows of every node) and the choice
 * of a node for a new session.  No I/O and no clock: time comes in as
 * arguments; addresses are only stored for the caller.
 */
#ifndef HY_MARS_VIEW_H
#define HY_MARS_VIEW_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cluster.h"
#include "common/reason.h"

/* Where a node's messages come from (its VIEWs go back there). */
struct hy_mars_peer {
	socklen_t len; /* 0: none */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
};

struct hy_view_entry {
	struct hy_cluster_node node;
	struct hy_mars_peer from;
	uint64_t heard_ms;
};

struct hy_view {
	uint32_t self_id;
	uint64_t expire_ms;    /* a node silent this long leaves the registry */
	struct hy_view_entry e[HY_CLUSTER_MAX_NODES];
	unsigned n;
};

void hy_view_init(struct hy_view *v, uint32_t self_id, uint64_t expire_ms);

/* Forgets every node (a leader that steps down). */
void hy_view_clear(struct hy_view *v);

/* A REPORT from from at now: adds or refreshes the node.  Returns OK, or
 * VIEW_FULL when HY_CLUSTER_MAX_NODES others are registered. */
enum hy_reason hy_view_report(struct hy_view *v, const struct hy_cluster_node *n,
			      const struct hy_mars_peer *from, uint64_t now_ms);

/* Removes nodes silent for longer than expire_ms (this node never).
 * Returns how many left. */
unsigned hy_view_expire(struct hy_view *v, uint64_t now_ms);

/* Copies the registry with ages (now - heard) into out[HY_CLUSTER_MAX_NODES].
 * Returns the count. */
unsigned hy_view_snapshot(const struct hy_view *v, uint64_t now_ms, struct hy_cluster_node *out);

/* Whether n may take a new session of transport (enum hy_transport) from
 * a node of version: ONLINE, same version, the role and its endpoint. */
bool hy_view_fits(const struct hy_cluster_node *n, const char *version, uint8_t transport);

/*
 * Power of two choices among the nodes that fit and are not exclude_id:
 * two distinct ones drawn with the random words r1, r2, the one with fewer
 * sessions taken (the first on a tie).  Returns the index in nodes, or -1
 * if none fits.
 */
int hy_view_pick(const struct hy_cluster_node *nodes, unsigned n, const char *version,
		 uint8_t transport, uint32_t exclude_id, uint64_t r1, uint64_t r2);

#endif /* HY_MARS_VIEW_H */
