/* SPDX-License-Identifier: BSD-3-Clause
 * The MARS service of one control plane: the cluster socket (UDP,
 * controlplane.mars.listen:port), its timer, the election (candidates
 * only), the registry (the leader) and the view every node keeps
 * (docs/architecture.md, "MARS").
 *
 * Runs on the event loop's thread; the readers (hy_mars_view, _node,
 * _pick, _counters) are thread-safe and copy out under the view's lock.
 */
#ifndef HY_MARS_MARS_H
#define HY_MARS_MARS_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "config/conf.h"
#include "crypto/keyfile.h"
#include "loop.h"

struct hy_mars;

struct hy_mars_ops {
	/* This node's record now (identity, state, load).  Called from any
	 * thread: it must only read thread-safe state. */
	void (*local)(void *arg, struct hy_cluster_node *out);
	/* Once per heartbeat on the loop thread: time to sample the load
	 * (packets/s, CPU) that local() reports. */
	void (*sample)(void *arg, uint64_t now_ms);
	void *arg;
};

/*
 * Sets MARS up from the node's configuration: with
 * controlplane.mars.candidates empty the node is alone (its own leader,
 * term 1, no socket); otherwise it binds the UDP socket and is a candidate
 * iff its cluster endpoint (controlplane.mars.advertise, else listen:port)
 * is in the list.  keys: the cluster keys (MARS keys are derived from
 * them; cluster messages are sealed under the newest).  Returns NULL with
 * err on failure.
 */
struct hy_mars *hy_mars_create(const struct hy_node_config *c, const struct hy_keyring *keys,
			       struct hy_loop *loop, const struct hy_mars_ops *ops, char *err,
			       size_t errlen);

/* Closes the socket and timer, wipes the keys.  Safe on NULL. */
void hy_mars_destroy(struct hy_mars *m);

/* This node's record changed in a way others must hear at once (drain):
 * reports it now instead of at the next heartbeat.  Loop thread. */
void hy_mars_local_changed(struct hy_mars *m);

/* One line about the node's part, e.g. "candidate 2 of 3 at 10.0.0.2:7300"
 * or "alone".  Returns buf. */
const char *hy_mars_describe(const struct hy_mars *m, char *buf, size_t len);

/* cluster.h, for this node's view. */
int hy_mars_view(struct hy_mars *m, struct hy_cluster_view *out);
int hy_mars_node(struct hy_mars *m, uint32_t id, struct hy_cluster_node *out);
int hy_mars_pick(struct hy_mars *m, uint8_t transport, uint32_t exclude_id,
		 struct hy_cluster_node *out);

/* Counters "mars.<name>", "mars.drop.<REASON>" (nonzero only). */
void hy_mars_counters(struct hy_mars *m, void (*cb)(void *arg, const char *name, uint64_t v),
		      void *arg);

#endif /* HY_MARS_MARS_H */
