/* SPDX-License-Identifier: BSD-3-Clause
 * Room redirects and drain moves (move.h).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "move.h"

#include "cp_impl.h"
#include "crypto/token.h"
#include "ring/msg.h"

#define PROG "hayate-controlplane"

/* One session to move: sorted by room, then transport, so the members of
 * a room come together and can be sent to one node. */
struct move_ent {
	uint64_t room;
	uint64_t sid;
	uint8_t transport;
};

struct hy_move {
	_Atomic uint64_t c[HY_MOVE_C_COUNT];
	struct move_ent *todo;
	size_t n, next;
	bool started, reported;
	/* The node the previous room's members went to. */
	uint64_t last_room;
	uint8_t last_transport;
	uint32_t last_node;
};

static const char *const counter_names[] = {
#define HY_MOVE_CNT_NAME(name, text) #name,
	HY_MOVE_COUNTERS(HY_MOVE_CNT_NAME)
#undef HY_MOVE_CNT_NAME
};

static void count(struct hy_cp *cp, enum hy_move_counter c)
{
	if (cp->move != NULL)
		atomic_fetch_add(&cp->move->c[c], 1);
}

uint64_t hy_move_counter(const struct hy_cp *cp, enum hy_move_counter c)
{
	return cp->move != NULL && (unsigned)c < HY_MOVE_C_COUNT ? atomic_load(&cp->move->c[c]) :
								    0;
}

void hy_move_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
		      void *arg)
{
	char name[64];
	unsigned i;

	for (i = 0; i < HY_MOVE_C_COUNT; i++) {
		snprintf(name, sizeof(name), "move.%s", counter_names[i]);
		cb(arg, name, hy_move_counter(cp, i));
	}
}

int hy_move_open(struct hy_cp *cp)
{
	cp->move = calloc(1, sizeof(*cp->move));
	if (cp->move == NULL)
		return -1;
	cp->env.redirect = hy_move_redirect;
	return 0;
}

void hy_move_close(struct hy_cp *cp)
{
	if (cp->move == NULL)
		return;
	free(cp->move->todo);
	free(cp->move);
	cp->move = NULL;
}

/* ---- tickets ----------------------------------------------------------- */

bool hy_move_node_usable(const struct hy_cp *cp, const struct hy_cluster_node *n,
			 uint8_t transport)
{
	bool udp = transport == HY_TRANSPORT_UDP;
	const char *host = udp ? n->udp_host : n->tcp_host;
	uint16_t port = udp ? n->udp_port : n->tcp_port;
	uint32_t role = udp ? HY_ROLE_UDP : HY_ROLE_TCP;

	/* The same version: a client never lands on a node that may speak
	 * another protocol or run other rooms code mid-upgrade. */
	return n->id != 0 && n->id != cp->node.id && n->state == HY_CLUSTER_ONLINE &&
	       strcmp(n->version, cp->node.version) == 0 && (n->roles & role) != 0 &&
	       host[0] != '\0' && port != 0;
}

int hy_move_mint(const struct hy_cp *cp, const struct hy_cluster_node *n, const char *uid,
		 uint8_t transport, struct hy_ticket *out)
{
	bool udp = transport == HY_TRANSPORT_UDP;
	const char *host = udp ? n->udp_host : n->tcp_host;
	uint8_t kid = cp->keys.newest_id;
	const struct hy_aead_ctx *key = cp->keys.count > 0 ? cp->key_ptr[kid] : NULL;

	memset(out, 0, sizeof(*out));
	if (key == NULL || host[0] == '\0' || strlen(host) > HY_TICKET_HOST_MAX ||
	    (udp ? n->udp_port : n->tcp_port) == 0)
		return -1;
	if (hy_token_mint(key, kid, n->id, (uint64_t)time(NULL) + HY_MOVE_TOKEN_LIFETIME_S, uid,
			  transport, &out->cred) != 0)
		return -1;
	snprintf(out->host, sizeof(out->host), "%s", host);
	out->port = udp ? n->udp_port : n->tcp_port;
	return 0;
}

enum hy_reason hy_move_redirect(void *arg, uint64_t sid, uint8_t transport, uint64_t room_id,
				uint8_t *out, size_t cap, size_t *len)
{
	struct hy_cp *cp = arg;
	struct hy_cluster_node n;
	struct hy_cp_session s;
	struct hy_ticket t;
	enum hy_reason why = HY_R_ROOM_NODE_UNAVAILABLE;

	*len = 0;
	if (hy_cp_cluster_node(cp, hy_room_id_node(room_id), &n) < 0) {
		count(cp, HY_MOVE_C_redirects_refused);
		return HY_R_ROOM_NOT_FOUND;
	}
	if (hy_move_node_usable(cp, &n, transport) && hy_registry_get(cp->reg, sid, &s) == 0 &&
	    hy_move_mint(cp, &n, s.uid, transport, &t) == 0) {
		*len = hy_redirect_encode(out, cap, room_id, &t);
		if (*len > 0)
			why = HY_R_OK;
	}
	explicit_bzero(&t, sizeof(t));
	count(cp, why == HY_R_OK ? HY_MOVE_C_redirects : HY_MOVE_C_redirects_refused);
	return why;
}

/* ---- drain moves ------------------------------------------------------- */

static int ent_cmp(const void *a, const void *b)
{
	const struct move_ent *x = a, *y = b;

	if (x->room != y->room)
		return x->room < y->room ? -1 : 1;
	if (x->transport != y->transport)
		return x->transport < y->transport ? -1 : 1;
	return x->sid < y->sid ? -1 : x->sid > y->sid;
}

void hy_move_on_drain(struct hy_cp *cp)
{
	struct hy_move *m = cp->move;
	size_t cap, n, i;
	uint64_t *sids;

	if (m == NULL || m->started)
		return;
	m->started = true;
	/* The drain refuses new sessions, so the snapshot is every session
	 * the drain has to move. */
	cap = hy_registry_count(cp->reg, 0);
	sids = calloc(cap ? cap : 1, sizeof(*sids));
	m->todo = calloc(cap ? cap : 1, sizeof(*m->todo));
	if (sids == NULL || m->todo == NULL) {
		printf(PROG ": drain: out of memory for the moves; sessions stay until the "
		       "drain timeout\n");
		free(sids);
		free(m->todo);
		m->todo = NULL;
		return;
	}
	n = hy_registry_sids(cp->reg, 0, sids, cap);
	for (i = 0; i < n; i++) {
		struct hy_cp_session s;

		if (hy_registry_get(cp->reg, sids[i], &s) < 0)
			continue;
		m->todo[m->n++] = (struct move_ent){
			.room = cp->rooms ? hy_rooms_room_of(cp->rooms, s.sid) : 0,
			.sid = s.sid,
			.transport = s.transport,
		};
	}
	free(sids);
	qsort(m->todo, m->n, sizeof(*m->todo), ent_cmp);
	printf(PROG ": drain: moving %zu sessions to other nodes, %u per %u ms\n", m->n,
	       HY_MOVE_PER_TICK, HY_CP_TICK_MS);
}

/* A node for e: the one the room's earlier members went to when it can
 * still take them, else the cluster's pick.  Returns 0, or -1 if none. */
static int target(struct hy_cp *cp, const struct move_ent *e, struct hy_cluster_node *n)
{
	struct hy_move *m = cp->move;

	if (e->room != 0 && e->room == m->last_room && e->transport == m->last_transport &&
	    m->last_node != 0 && hy_cp_cluster_node(cp, m->last_node, n) == 0 &&
	    hy_move_node_usable(cp, n, e->transport))
		return 0;
	m->last_room = e->room;
	m->last_transport = e->transport;
	m->last_node = 0;
	if (hy_cp_cluster_pick(cp, e->transport, cp->node.id, n) < 0 ||
	    !hy_move_node_usable(cp, n, e->transport))
		return -1;
	m->last_node = n->id;
	return 0;
}

/* Pushes MOVE to one session.  Returns OK, RING_FULL (try again on the
 * next tick) or another reason (the push failed for good). */
static enum hy_reason push_move(struct hy_cp *cp, uint64_t sid, uint8_t transport,
				const uint8_t *pl, size_t len)
{
	if (transport == HY_TRANSPORT_TCP)
		return cp->tcp != NULL &&
				       hy_tcp_server_push_delivery(cp->tcp, sid, HY_MSG_VER_TRANSPORT,
								   HY_CMD_MOVE, HY_DELIVERY_RELIABLE,
								   pl, len) == 0 ?
			       HY_R_OK :
			       HY_R_UNKNOWN_SESSION;
	if (cp->dp == NULL)
		return HY_R_UNKNOWN_SESSION;
	struct hy_ring_msg msg = { .type = HY_MSG_PUSH, .sid = sid };

	msg.u.cmd.ver = HY_MSG_VER_TRANSPORT;
	msg.u.cmd.delivery = HY_DELIVERY_RELIABLE;
	msg.u.cmd.cmd = HY_CMD_MOVE;
	msg.u.cmd.payload = pl;
	msg.u.cmd.payload_len = (uint32_t)len;
	return hy_dplink_send(cp->dp, &msg);
}

void hy_move_tick(struct hy_cp *cp, uint64_t now_ms)
{
	struct hy_move *m = cp->move;
	uint8_t pl[2 + HY_TICKET_MAX_LEN];
	unsigned sent = 0, looked = 0;

	(void)now_ms;
	if (m == NULL || m->todo == NULL || m->next >= m->n) {
		if (m != NULL && m->started && !m->reported && m->todo != NULL) {
			m->reported = true;
			printf(PROG ": drain: moves done: %llu sent, %llu without a target node, "
			       "%llu failed\n",
			       (unsigned long long)hy_move_counter(cp, HY_MOVE_C_moves_sent),
			       (unsigned long long)hy_move_counter(cp, HY_MOVE_C_moves_no_target),
			       (unsigned long long)hy_move_counter(cp, HY_MOVE_C_moves_failed));
			fflush(stdout);
		}
		return;
	}
	/* Sessions already gone cost a lookup only; bound those too. */
	while (m->next < m->n && sent < HY_MOVE_PER_TICK && looked < 8 * HY_MOVE_PER_TICK) {
		const struct move_ent *e = &m->todo[m->next];
		struct hy_cluster_node n;
		struct hy_cp_session s;
		struct hy_ticket t;
		enum hy_reason why;
		size_t len;

		looked++;
		if (hy_registry_get(cp->reg, e->sid, &s) < 0) {
			m->next++;
			continue;
		}
		if (target(cp, e, &n) < 0) {
			count(cp, HY_MOVE_C_moves_no_target);
			m->next++;
			continue;
		}
		len = 0;
		if (hy_move_mint(cp, &n, s.uid, e->transport, &t) == 0)
			len = hy_move_encode(pl, sizeof(pl), HY_MOVE_DRAIN, &t);
		explicit_bzero(&t, sizeof(t));
		why = len > 0 ? push_move(cp, e->sid, e->transport, pl, len) : HY_R_OUT_OF_SPACE;
		explicit_bzero(pl, sizeof(pl));
		if (why == HY_R_RING_FULL)
			break; /* the same session again on the next tick */
		count(cp, why == HY_R_OK ? HY_MOVE_C_moves_sent : HY_MOVE_C_moves_failed);
		m->next++;
		sent++;
	}
}
