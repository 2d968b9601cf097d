/* SPDX-License-Identifier: BSD-3-Clause
 * Sending clients to other nodes (docs/protocol.md, "Cluster: moves and
 * redirects"): tickets minted here for another node of the cluster (all
 * nodes share the cluster key, so any node can seal a token any other
 * opens), handed over the client's own encrypted session:
 *
 * - room redirects: a room command naming another node's room is
 *   answered ROOM_REDIRECT with a ticket for that node (commands.c calls
 *   hy_move_redirect through hy_cmd_env.redirect);
 * - drain moves: when the node drains, every session gets a MOVE push
 *   with a ticket for a node hy_cp_cluster_pick() chooses, paced over the
 *   loop's ticks; members of one room are sent to the same node.  A
 *   session with no target gets nothing (it sees OFFLINE in its echoes
 *   and is closed at the drain timeout, as before).
 *
 * Loop thread only, except hy_move_counters (atomics).
 */
#ifndef HY_CP_MOVE_H
#define HY_CP_MOVE_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "common/reason.h"
#include "proto/ticket.h"

struct hy_cp;

/* Sessions sent a MOVE per loop tick (HY_CP_TICK_MS): spreads the
 * minting, the pushes and the reconnects landing on the other nodes. */
#define HY_MOVE_PER_TICK 512u
/* Lifetime of a ticket minted for a move or a redirect: it is used at
 * once, and a node remembers a token's sid until its expiry. */
#define HY_MOVE_TOKEN_LIFETIME_S 60u

/* Counters, X(name, description). */
#define HY_MOVE_COUNTERS(X) \
	X(moves_sent,         "MOVE pushes sent to sessions of a draining node") \
	X(moves_no_target,    "sessions left in place at a drain: no node to move them to") \
	X(moves_failed,       "MOVE pushes that could not be minted or sent") \
	X(redirects,          "room commands answered ROOM_REDIRECT with a ticket") \
	X(redirects_refused,  "room commands for another node's room that got no ticket")

enum hy_move_counter {
#define HY_MOVE_CNT_ENUM(name, text) HY_MOVE_C_##name,
	HY_MOVE_COUNTERS(HY_MOVE_CNT_ENUM)
#undef HY_MOVE_CNT_ENUM
	HY_MOVE_C_COUNT
};

/* Stage (after the room registry): the module's state, and the command
 * environment's redirect.  Returns 0, or -1 when out of memory. */
int hy_move_open(struct hy_cp *cp);
/* Frees the state.  Safe when hy_move_open was not called. */
void hy_move_close(struct hy_cp *cp);

/* The drain started: snapshot the sessions to move (once). */
void hy_move_on_drain(struct hy_cp *cp);
/* Sends the next HY_MOVE_PER_TICK MOVE pushes, if a drain is moving. */
void hy_move_tick(struct hy_cp *cp, uint64_t now_ms);

/* Can a client of transport be sent to n?  ONLINE, this node's version,
 * offering the transport with an endpoint, and not this node. */
bool hy_move_node_usable(const struct hy_cp *cp, const struct hy_cluster_node *n,
			 uint8_t transport);

/* Mints a ticket for node n for user uid on transport: the endpoint n
 * offers for it, fresh sid and keys, a token sealed under the newest
 * cluster key for n's id.  Returns 0, or -1 (no cluster key, no
 * endpoint, bad uid, no randomness). */
int hy_move_mint(const struct hy_cp *cp, const struct hy_cluster_node *n, const char *uid,
		 uint8_t transport, struct hy_ticket *out);

/* hy_cmd_env.redirect (arg: the struct hy_cp). */
enum hy_reason hy_move_redirect(void *arg, uint64_t sid, uint8_t transport, uint64_t room_id,
				uint8_t *out, size_t cap, size_t *len);

/* Calls cb for each counter as "move.<name>". */
void hy_move_counters(struct hy_cp *cp, void (*cb)(void *arg, const char *name, uint64_t v),
		      void *arg);
uint64_t hy_move_counter(const struct hy_cp *cp, enum hy_move_counter c);

#endif /* HY_CP_MOVE_H */
