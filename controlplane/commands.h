/* SPDX-License-Identifier: BSD-3-Clause
 * One dispatch table for every command the control plane answers,
 * whichever way it came: COMMAND messages up the ring (UDP sessions) and
 * DATA records of TCP sessions.  Keyed by (ver, cmd); a command with no
 * entry is answered with status BAD.  The caller routes the answer back
 * (RESPOND down the ring, or a sealed record on the TCP connection).
 *
 * Adding a command is one line in HY_COMMANDS (commands.c) plus its
 * handler.  A module command that fails answers BAD (the request) or ERR
 * (the node) with the payload reason u16: an enum hy_reason value.
 */
#ifndef HY_CP_COMMANDS_H
#define HY_CP_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "proto/message.h"

/* One command as the dispatcher sees it (transport-neutral). */
struct hy_cmd_req {
	uint64_t sid;
	uint8_t transport;        /* enum hy_transport of the session */
	uint8_t delivery;         /* enum hy_delivery (ring/msg.h values) */
	uint8_t ver;
	uint16_t cmd;
	const uint8_t *payload;
	size_t len;
	struct hy_echo_addr peer; /* client address as the node sees it; family 0 if unknown */
	uint8_t node_state;       /* enum hy_node_state */
};

struct hy_rooms;

/*
 * What handlers reach beyond the request: the ctx given to
 * hy_cmd_dispatch.  With a NULL ctx the module commands (ver 1) answer
 * ERR.  Every callback runs on the loop thread.
 */
struct hy_cmd_env {
	struct hy_rooms *rooms;
	/* Delivers one push (ver, cmd, status PUSH, payload) to n sessions. */
	void (*push)(void *arg, const uint64_t *sids, size_t n, uint8_t ver, uint16_t cmd,
		     const uint8_t *payload, size_t len);
	/* A live session of this node with that user id, or 0. */
	uint64_t (*find_uid)(void *arg, const uint8_t *uid, size_t len);
	/* True when sid is a live session of this node. */
	bool (*exists)(void *arg, uint64_t sid);
	/* Copies the user id of sid (at most cap bytes); returns its length,
	 * 0 if unknown. */
	size_t (*uid_of)(void *arg, uint64_t sid, char *uid, size_t cap);
	uint64_t (*now_ms)(void *arg); /* CLOCK_MONOTONIC */
	/*
	 * room_id names another node (its high 32 bits): writes the
	 * ROOM_REDIRECT answer (proto/ticket.h: reason, room id, a ticket
	 * for that node minted for sid on transport) into out (cap bytes)
	 * and sets *len.  Returns OK, or the reason to answer instead:
	 * ROOM_NOT_FOUND (no such node in the cluster view) or
	 * ROOM_NODE_UNAVAILABLE (offline, another version, not offering the
	 * transport, or no ticket could be minted).  NULL: ROOM_NOT_FOUND.
	 */
	enum hy_reason (*redirect)(void *arg, uint64_t sid, uint8_t transport, uint64_t room_id,
				   uint8_t *out, size_t cap, size_t *len);
	void *arg;
};

/* The answer: status and payload, written by the handler into the
 * caller's buffer (cap bytes). */
struct hy_cmd_reply {
	uint8_t status;           /* enum hy_status */
	bool none;                /* the handler asks for no answer at all (a QUIET broadcast) */
	uint8_t *payload;
	size_t cap;
	size_t len;
};

/* A handler.  ctx is what the caller passed to hy_cmd_dispatch (the
 * control plane), for handlers that need more than the request. */
typedef void (*hy_cmd_fn)(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep);

struct hy_cmd_def {
	uint8_t ver;
	uint16_t cmd;
	const char *name;
	hy_cmd_fn fn;
	const char *text;
};

/* The entry for (ver, cmd), or NULL. */
const struct hy_cmd_def *hy_cmd_lookup(uint8_t ver, uint16_t cmd);

/* Runs the handler for req, or answers BAD with no payload when there is
 * none.  rep->payload and rep->cap are the caller's; status and len are
 * set here.  Returns the entry used, or NULL for an unknown command. */
const struct hy_cmd_def *hy_cmd_dispatch(void *ctx, const struct hy_cmd_req *req,
					 struct hy_cmd_reply *rep);

/* The table (sorted by ver, then cmd) and its size, for tests and docs. */
const struct hy_cmd_def *hy_cmd_table(size_t *n);

/* Checks the table is sorted with no duplicate.  0 or -1. */
int hy_cmd_table_check(void);

#endif /* HY_CP_COMMANDS_H */
