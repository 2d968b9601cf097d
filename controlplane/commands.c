/* SPDX-License-Identifier: BSD-3-Clause
 * The command table and the built-in commands (commands.h).
 */
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* ECHO (ver 0, cmd 3).  The data plane answers ECHO on UDP itself; this
 * answers it for TCP sessions (and for any that reaches us over the ring):
 * the node state and the client's address as the node sees it. */
static void cmd_echo(void *ctx, const struct hy_cmd_req *req, struct hy_cmd_reply *rep)
{
	struct hy_echo_resp er = { .node_state = req->node_state };

	(void)ctx;
	rep->len = 0;
	rep->status = HY_STATUS_BAD;
	if (hy_echo_req_decode(req->payload, req->len, &er.client_time) != HY_R_OK)
		return;
	er.addr = req->peer;
	rep->len = hy_echo_resp_encode(rep->payload, rep->cap, &er);
	/* 0 when the address is unknown: the server's fault, not the client's. */
	rep->status = rep->len ? HY_STATUS_OK : HY_STATUS_ERR;
}

/*
 * X(ver, cmd, NAME, handler, description), sorted by (ver, cmd).
 * ver 0: transport built-ins; ver 1: built-in modules; ver >= 2: the
 * application's.
 */
#define HY_COMMANDS(X) \
	X(HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, ECHO, cmd_echo, \
	  "round trip; node state and the client's address as seen")

static const struct hy_cmd_def table[] = {
#define HY_CMD_ENTRY(v, c, name, fn, text) { (v), (c), #name, fn, text },
	HY_COMMANDS(HY_CMD_ENTRY)
#undef HY_CMD_ENTRY
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

static int cmp_key(const void *key, const void *elem)
{
	const struct hy_cmd_def *k = key, *e = elem;
	unsigned a = (unsigned)k->ver << 16 | k->cmd;
	unsigned b = (unsigned)e->ver << 16 | e->cmd;

	return a < b ? -1 : a > b;
}

const struct hy_cmd_def *hy_cmd_lookup(uint8_t ver, uint16_t cmd)
{
	struct hy_cmd_def k = { .ver = ver, .cmd = cmd };

	return bsearch(&k, table, TABLE_LEN, sizeof(table[0]), cmp_key);
}

const struct hy_cmd_def *hy_cmd_dispatch(void *ctx, const struct hy_cmd_req *req,
					 struct hy_cmd_reply *rep)
{
	const struct hy_cmd_def *d = hy_cmd_lookup(req->ver, req->cmd);

	rep->len = 0;
	if (d == NULL) {
		rep->status = HY_STATUS_BAD;
		return NULL;
	}
	d->fn(ctx, req, rep);
	if (rep->len > rep->cap) { /* a handler's bug: never send past the buffer */
		rep->len = 0;
		rep->status = HY_STATUS_ERR;
	}
	return d;
}

const struct hy_cmd_def *hy_cmd_table(size_t *n)
{
	*n = TABLE_LEN;
	return table;
}

int hy_cmd_table_check(void)
{
	size_t i;

	for (i = 1; i < TABLE_LEN; i++)
		if (cmp_key(&table[i - 1], &table[i]) >= 0)
			return -1;
	return 0;
}
