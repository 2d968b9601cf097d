/* SPDX-License-Identifier: BSD-3-Clause
 * MARS registry and node choice (view.h).
 */
#include <string.h>

#include "mars/view.h"
#include "proto/limits.h"

void hy_view_init(struct hy_view *v, uint32_t self_id, uint64_t expire_ms)
{
	memset(v, 0, sizeof(*v));
	v->self_id = self_id;
	v->expire_ms = expire_ms;
}

void hy_view_clear(struct hy_view *v)
{
	v->n = 0;
}

enum hy_reason hy_view_report(struct hy_view *v, const struct hy_cluster_node *n,
			      const struct hy_mars_peer *from, uint64_t now_ms)
{
	struct hy_view_entry *e = NULL;
	unsigned i;

	for (i = 0; i < v->n && e == NULL; i++)
		if (v->e[i].node.id == n->id)
			e = &v->e[i];
	if (e == NULL) {
		if (v->n == HY_CLUSTER_MAX_NODES)
			return HY_R_VIEW_FULL;
		e = &v->e[v->n++];
	}
	e->node = *n;
	e->node.age_ms = 0;
	if (from != NULL)
		e->from = *from;
	else
		memset(&e->from, 0, sizeof(e->from));
	e->heard_ms = now_ms;
	return HY_R_OK;
}

unsigned hy_view_expire(struct hy_view *v, uint64_t now_ms)
{
	unsigned i = 0, gone = 0;

	while (i < v->n) {
		if (v->e[i].node.id != v->self_id && now_ms > v->e[i].heard_ms + v->expire_ms) {
			v->e[i] = v->e[--v->n];
			gone++;
		} else {
			i++;
		}
	}
	return gone;
}

unsigned hy_view_snapshot(const struct hy_view *v, uint64_t now_ms, struct hy_cluster_node *out)
{
	unsigned i;

	for (i = 0; i < v->n; i++) {
		out[i] = v->e[i].node;
		out[i].age_ms = now_ms > v->e[i].heard_ms ? now_ms - v->e[i].heard_ms : 0;
	}
	return v->n;
}

bool hy_view_fits(const struct hy_cluster_node *n, const char *version, uint8_t transport)
{
	if (n->state != HY_CLUSTER_ONLINE || strcmp(n->version, version) != 0)
		return false;
	if (transport == HY_TRANSPORT_UDP)
		return (n->roles & HY_ROLE_UDP) && n->udp_host[0] != '\0' && n->udp_port != 0;
	if (transport == HY_TRANSPORT_TCP)
		return (n->roles & HY_ROLE_TCP) && n->tcp_host[0] != '\0' && n->tcp_port != 0;
	return false;
}

int hy_view_pick(const struct hy_cluster_node *nodes, unsigned n, const char *version,
		 uint8_t transport, uint32_t exclude_id, uint64_t r1, uint64_t r2)
{
	unsigned fit[HY_CLUSTER_MAX_NODES], k = 0, i, a, b;

	for (i = 0; i < n && k < HY_CLUSTER_MAX_NODES; i++)
		if (nodes[i].id != exclude_id && hy_view_fits(&nodes[i], version, transport))
			fit[k++] = i;
	if (k == 0)
		return -1;
	if (k == 1)
		return (int)fit[0];
	a = (unsigned)(r1 % k);
	b = (unsigned)(r2 % (k - 1));
	if (b >= a)
		b++; /* distinct from a */
	return (int)(nodes[fit[b]].load.sessions < nodes[fit[a]].load.sessions ? fit[b] : fit[a]);
}
