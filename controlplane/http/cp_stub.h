/* SPDX-License-Identifier: BSD-3-Clause
 * A test double of the control plane (cp.h) over an in-memory fixture,
 * for the HTTP module's tests and benchmark: it implements every function
 * of cp.h, so code linked against it instead of the control plane's core
 * behaves as it would against a node.  Not part of hayate-controlplane.
 *
 * Fixture defaults: node 7 "test-node" version "1", roles udp|tcp|http,
 * udp 198.18.0.1:7100, tcp 198.18.0.1:7200, HTTP on 127.0.0.1 port 0,
 * state ONLINE, one cluster key (id 1, bytes 0x11 repeated), no sessions,
 * data plane counters unavailable.  Change the fixture before starting the
 * HTTP module; sessions, state and data-plane counters may also change
 * while it runs (the double is thread-safe).
 */
#ifndef HY_CP_HTTP_CP_STUB_H
#define HY_CP_HTTP_CP_STUB_H

#include "cluster.h"
#include "cp.h"

struct hy_cp *hy_cp_stub_create(void);
void hy_cp_stub_destroy(struct hy_cp *cp);

/* Mutable fixture parts (set before hy_http_start). */
struct hy_node_config *hy_cp_stub_config(struct hy_cp *cp);
struct hy_cp_node *hy_cp_stub_node(struct hy_cp *cp);
struct hy_keyring *hy_cp_stub_keys(struct hy_cp *cp);

void hy_cp_stub_set_state(struct hy_cp *cp, enum hy_cp_state s);

/* Adds a session (kept ordered by sid).  Returns 0, -1 if the sid exists
 * or memory ran out. */
int hy_cp_stub_add_session(struct hy_cp *cp, const struct hy_cp_session *s);

/* Sets the control-plane counters returned by hy_cp_counters (the
 * http_* members are the double's own count of hy_cp_count_http calls). */
void hy_cp_stub_set_counters(struct hy_cp *cp, const struct hy_cp_counters *c);

/* Data-plane counters: n names and values (copied); names NULL makes the
 * stats region unavailable (hy_cp_dataplane_counters returns -1). */
void hy_cp_stub_set_dataplane(struct hy_cp *cp, const char *const *names, const uint64_t *values,
			      size_t n);

/* Detail counters (hy_cp_detail_counters), same convention; names NULL
 * means none. */
void hy_cp_stub_set_details(struct hy_cp *cp, const char *const *names, const uint64_t *values,
			    size_t n);

/* The cluster view (cluster.h) besides this node: n other nodes, the
 * leader (0: this node) and term.  Default: this node alone, term 1.
 * This node's own record is built from the fixture (its load.sessions is
 * the number of sessions added).  The double's pick is the least loaded
 * node that fits, not two random choices. */
void hy_cp_stub_set_cluster(struct hy_cp *cp, const struct hy_cluster_node *others, unsigned n,
			    uint32_t leader, uint64_t term);

/* What the HTTP module asked of the control plane. */
struct hy_cp_stub_calls {
	uint64_t kicks;         /* hy_cp_session_kick calls that found the session */
	uint64_t last_kick_sid;
	uint64_t drains;
	uint64_t http_requests, http_auth_ok, http_auth_refused, http_admin_refused;
};
void hy_cp_stub_calls(struct hy_cp *cp, struct hy_cp_stub_calls *out);

#endif /* HY_CP_HTTP_CP_STUB_H */
