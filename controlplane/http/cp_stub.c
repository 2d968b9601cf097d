/* SPDX-License-Identifier: BSD-3-Clause
 * Test double of cp.h (see cp_stub.h).  One mutex guards everything.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "cp_stub.h"

#define DP_NAME_LEN 48

/* A list of named counters. */
struct named {
	bool ok;
	char (*names)[DP_NAME_LEN];
	uint64_t *values;
	size_t n;
};

struct hy_cp {
	pthread_mutex_t mu;
	struct hy_node_config conf;
	struct hy_cp_node node;
	struct hy_keyring keys;
	enum hy_cp_state state;
	struct hy_cp_session *sess;
	size_t n_sess, cap_sess;
	struct hy_cp_counters ctr;
	struct hy_cp_stub_calls calls;
	struct named dp;     /* data-plane counters */
	struct named detail; /* control-plane detail counters */
	struct hy_cluster_node others[HY_CLUSTER_MAX_NODES - 1]; /* cluster view but self */
	unsigned n_others;
	uint32_t leader;     /* 0: this node */
	uint64_t term;
};

struct hy_cp *hy_cp_stub_create(void)
{
	struct hy_cp *cp = calloc(1, sizeof(*cp));
	if (cp == NULL)
		return NULL;
	pthread_mutex_init(&cp->mu, NULL);
	hy_conf_node_defaults(&cp->conf);
	cp->conf.node.id = 7;
	cp->conf.controlplane.http.listen.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &cp->conf.controlplane.http.listen.v4);
	cp->conf.controlplane.http.port = 0;
	cp->node.id = 7;
	strcpy(cp->node.name, "test-node");
	strcpy(cp->node.version, "1");
	cp->node.roles = HY_ROLE_UDP | HY_ROLE_TCP | HY_ROLE_HTTP;
	strcpy(cp->node.udp_host, "198.18.0.1");
	cp->node.udp_port = 7100;
	strcpy(cp->node.tcp_host, "198.18.0.1");
	cp->node.tcp_port = 7200;
	cp->keys.present[1] = true;
	memset(cp->keys.key[1], 0x11, HY_KEY_LEN);
	cp->keys.newest_id = 1;
	cp->keys.count = 1;
	cp->state = HY_CP_ONLINE;
	cp->term = 1;
	return cp;
}

void hy_cp_stub_destroy(struct hy_cp *cp)
{
	if (cp == NULL)
		return;
	pthread_mutex_destroy(&cp->mu);
	free(cp->sess);
	free(cp->dp.names);
	free(cp->dp.values);
	free(cp->detail.names);
	free(cp->detail.values);
	hy_keyring_wipe(&cp->keys);
	free(cp);
}

struct hy_node_config *hy_cp_stub_config(struct hy_cp *cp)
{
	return &cp->conf;
}

struct hy_cp_node *hy_cp_stub_node(struct hy_cp *cp)
{
	return &cp->node;
}

struct hy_keyring *hy_cp_stub_keys(struct hy_cp *cp)
{
	return &cp->keys;
}

void hy_cp_stub_set_state(struct hy_cp *cp, enum hy_cp_state s)
{
	pthread_mutex_lock(&cp->mu);
	cp->state = s;
	pthread_mutex_unlock(&cp->mu);
}

/* Index of the first session with sid >= sid. */
static size_t lower_bound(const struct hy_cp *cp, uint64_t sid)
{
	size_t lo = 0, hi = cp->n_sess;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp->sess[mid].sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int hy_cp_stub_add_session(struct hy_cp *cp, const struct hy_cp_session *s)
{
	int rc = -1;
	pthread_mutex_lock(&cp->mu);
	size_t i = lower_bound(cp, s->sid);
	if (i < cp->n_sess && cp->sess[i].sid == s->sid)
		goto out;
	if (cp->n_sess == cp->cap_sess) {
		size_t cap = cp->cap_sess ? 2 * cp->cap_sess : 16;
		struct hy_cp_session *p = realloc(cp->sess, cap * sizeof(*p));
		if (p == NULL)
			goto out;
		cp->sess = p;
		cp->cap_sess = cap;
	}
	memmove(&cp->sess[i + 1], &cp->sess[i], (cp->n_sess - i) * sizeof(*s));
	cp->sess[i] = *s;
	cp->n_sess++;
	rc = 0;
out:
	pthread_mutex_unlock(&cp->mu);
	return rc;
}

void hy_cp_stub_set_counters(struct hy_cp *cp, const struct hy_cp_counters *c)
{
	pthread_mutex_lock(&cp->mu);
	cp->ctr = *c;
	pthread_mutex_unlock(&cp->mu);
}

static void named_set(struct named *d, const char *const *names, const uint64_t *values, size_t n)
{
	free(d->names);
	free(d->values);
	d->names = NULL;
	d->values = NULL;
	d->n = 0;
	d->ok = names != NULL;
	if (names == NULL || n == 0)
		return;
	d->names = calloc(n, sizeof(*d->names));
	d->values = calloc(n, sizeof(*d->values));
	if (d->names == NULL || d->values == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		strncpy(d->names[i], names[i], DP_NAME_LEN - 1);
		d->values[i] = values[i];
	}
	d->n = n;
}

void hy_cp_stub_set_dataplane(struct hy_cp *cp, const char *const *names, const uint64_t *values,
			      size_t n)
{
	pthread_mutex_lock(&cp->mu);
	named_set(&cp->dp, names, values, n);
	pthread_mutex_unlock(&cp->mu);
}

void hy_cp_stub_set_details(struct hy_cp *cp, const char *const *names, const uint64_t *values,
			    size_t n)
{
	pthread_mutex_lock(&cp->mu);
	named_set(&cp->detail, names, values, n);
	pthread_mutex_unlock(&cp->mu);
}

void hy_cp_stub_calls(struct hy_cp *cp, struct hy_cp_stub_calls *out)
{
	pthread_mutex_lock(&cp->mu);
	*out = cp->calls;
	pthread_mutex_unlock(&cp->mu);
}

/* ---- cp.h ---- */

const struct hy_cp_node *hy_cp_node(const struct hy_cp *cp)
{
	return &cp->node;
}

const struct hy_node_config *hy_cp_config(const struct hy_cp *cp)
{
	return &cp->conf;
}

enum hy_cp_state hy_cp_state(const struct hy_cp *cp)
{
	struct hy_cp *m = (struct hy_cp *)(uintptr_t)cp; /* the lock is not part of the value */
	pthread_mutex_lock(&m->mu);
	enum hy_cp_state s = m->state;
	pthread_mutex_unlock(&m->mu);
	return s;
}

const struct hy_keyring *hy_cp_keys(const struct hy_cp *cp)
{
	return &cp->keys;
}

size_t hy_cp_sessions_list(struct hy_cp *cp, size_t offset, struct hy_cp_session *out, size_t cap,
			   size_t *total)
{
	size_t n = 0;
	pthread_mutex_lock(&cp->mu);
	*total = cp->n_sess;
	for (size_t i = offset; i < cp->n_sess && n < cap; i++)
		out[n++] = cp->sess[i];
	pthread_mutex_unlock(&cp->mu);
	return n;
}

int hy_cp_session_get(struct hy_cp *cp, uint64_t sid, struct hy_cp_session *out)
{
	int rc = -1;
	pthread_mutex_lock(&cp->mu);
	size_t i = lower_bound(cp, sid);
	if (i < cp->n_sess && cp->sess[i].sid == sid) {
		*out = cp->sess[i];
		rc = 0;
	}
	pthread_mutex_unlock(&cp->mu);
	return rc;
}

int hy_cp_session_kick(struct hy_cp *cp, uint64_t sid)
{
	int rc = -1;
	pthread_mutex_lock(&cp->mu);
	size_t i = lower_bound(cp, sid);
	if (i < cp->n_sess && cp->sess[i].sid == sid) {
		/* The real kick is queued; the double just forgets it. */
		memmove(&cp->sess[i], &cp->sess[i + 1], (cp->n_sess - i - 1) * sizeof(cp->sess[0]));
		cp->n_sess--;
		cp->calls.kicks++;
		cp->calls.last_kick_sid = sid;
		rc = 0;
	}
	pthread_mutex_unlock(&cp->mu);
	return rc;
}

void hy_cp_drain(struct hy_cp *cp)
{
	pthread_mutex_lock(&cp->mu);
	cp->state = HY_CP_OFFLINE;
	cp->calls.drains++;
	pthread_mutex_unlock(&cp->mu);
}

void hy_cp_counters(struct hy_cp *cp, struct hy_cp_counters *out)
{
	pthread_mutex_lock(&cp->mu);
	*out = cp->ctr;
	out->http_requests = cp->calls.http_requests;
	out->http_auth_ok = cp->calls.http_auth_ok;
	out->http_auth_refused = cp->calls.http_auth_refused;
	out->http_admin_refused = cp->calls.http_admin_refused;
	pthread_mutex_unlock(&cp->mu);
}

static int named_each(struct hy_cp *cp, const struct named *d,
		      void (*cb)(void *arg, const char *name, uint64_t v), void *arg)
{
	pthread_mutex_lock(&cp->mu);
	bool ok = d->ok;
	for (size_t i = 0; ok && i < d->n; i++)
		cb(arg, d->names[i], d->values[i]);
	pthread_mutex_unlock(&cp->mu);
	return ok ? 0 : -1;
}

int hy_cp_dataplane_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
			     void *arg)
{
	return named_each(cp, &cp->dp, cb, arg);
}

int hy_cp_detail_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
			  void *arg)
{
	named_each(cp, &cp->detail, cb, arg);
	return 0;
}

void hy_cp_count_http(struct hy_cp *cp, bool auth_ok, bool auth_refused, bool admin_refused)
{
	pthread_mutex_lock(&cp->mu);
	cp->calls.http_requests++;
	cp->calls.http_auth_ok += auth_ok;
	cp->calls.http_auth_refused += auth_refused;
	cp->calls.http_admin_refused += admin_refused;
	pthread_mutex_unlock(&cp->mu);
}

/* ---- cluster.h ---- */

void hy_cp_stub_set_cluster(struct hy_cp *cp, const struct hy_cluster_node *others, unsigned n,
			    uint32_t leader, uint64_t term)
{
	pthread_mutex_lock(&cp->mu);
	if (n > HY_CLUSTER_MAX_NODES - 1)
		n = HY_CLUSTER_MAX_NODES - 1;
	memcpy(cp->others, others, n * sizeof(*others));
	cp->n_others = n;
	cp->leader = leader;
	cp->term = term;
	pthread_mutex_unlock(&cp->mu);
}

/* Caller holds mu. */
static void self_node(const struct hy_cp *cp, struct hy_cluster_node *out)
{
	memset(out, 0, sizeof(*out));
	out->id = cp->node.id;
	memcpy(out->name, cp->node.name, sizeof(out->name));
	memcpy(out->version, cp->node.version, sizeof(out->version));
	out->roles = cp->node.roles;
	out->state = cp->state == HY_CP_OFFLINE ? HY_CLUSTER_OFFLINE : HY_CLUSTER_ONLINE;
	memcpy(out->udp_host, cp->node.udp_host, sizeof(out->udp_host));
	out->udp_port = cp->node.udp_port;
	memcpy(out->tcp_host, cp->node.tcp_host, sizeof(out->tcp_host));
	out->tcp_port = cp->node.tcp_port;
	out->load.sessions = cp->n_sess;
}

int hy_cp_cluster_view(struct hy_cp *cp, struct hy_cluster_view *out)
{
	memset(out, 0, offsetof(struct hy_cluster_view, nodes));
	pthread_mutex_lock(&cp->mu);
	self_node(cp, &out->nodes[0]);
	memcpy(&out->nodes[1], cp->others, cp->n_others * sizeof(cp->others[0]));
	out->n_nodes = cp->n_others + 1;
	out->leader = cp->leader ? cp->leader : cp->node.id;
	out->term = cp->term;
	strcpy(out->role, cp->n_others ? (cp->leader ? "follower" : "leader") : "alone");
	pthread_mutex_unlock(&cp->mu);
	return 0;
}

int hy_cp_cluster_node(struct hy_cp *cp, uint32_t id, struct hy_cluster_node *out)
{
	int rc = -1;

	pthread_mutex_lock(&cp->mu);
	if (id == cp->node.id) {
		self_node(cp, out);
		rc = 0;
	}
	for (unsigned i = 0; i < cp->n_others && rc != 0; i++)
		if (cp->others[i].id == id) {
			*out = cp->others[i];
			rc = 0;
		}
	pthread_mutex_unlock(&cp->mu);
	return rc;
}

static bool fits(const struct hy_cluster_node *n, const char *version, uint8_t transport)
{
	if (n->state != HY_CLUSTER_ONLINE || strcmp(n->version, version) != 0)
		return false;
	if (transport == HY_TRANSPORT_UDP)
		return (n->roles & HY_ROLE_UDP) && n->udp_host[0] && n->udp_port;
	return transport == HY_TRANSPORT_TCP && (n->roles & HY_ROLE_TCP) && n->tcp_host[0] &&
	       n->tcp_port;
}

/* Deterministic, unlike the real one: the least loaded node that fits
 * (this node first on a tie). */
int hy_cp_cluster_pick(struct hy_cp *cp, uint8_t transport, uint32_t exclude_id,
		       struct hy_cluster_node *out)
{
	struct hy_cluster_node self;
	int rc = -1;

	pthread_mutex_lock(&cp->mu);
	self_node(cp, &self);
	if (self.id != exclude_id && fits(&self, self.version, transport)) {
		*out = self;
		rc = 0;
	}
	for (unsigned i = 0; i < cp->n_others; i++) {
		const struct hy_cluster_node *n = &cp->others[i];

		if (n->id == exclude_id || !fits(n, self.version, transport))
			continue;
		if (rc != 0 || n->load.sessions < out->load.sessions) {
			*out = *n;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&cp->mu);
	return rc;
}
