/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: a raw TCP client of the protocol (cp_proc.h's cp_client)
 * with the reliable channel: received ACK, RELIABLE, FRAGMENT and PING
 * frames go through its own shared/rudp, whose deliveries and every
 * UNRELIABLE or SEQUENCED message land in a queue; the pending ACK is sent
 * at once after every record (or never, to play a client that stopped
 * acknowledging).  Frames can also be written by hand (duplicates,
 * oversized fragment runs), and what the node acknowledged is recorded.
 */
#ifndef HY_TESTS_TCP_RCLIENT_H
#define HY_TESTS_TCP_RCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cp_proc.h"
#include "proto/message.h"
#include "proto/seal.h"
#include "rudp/rudp.h"

#define RC_QUEUE 512u

struct rc_msg {
	uint8_t frame;            /* HY_FRAME_UNRELIABLE, _SEQUENCED, or _RELIABLE (whole) */
	uint8_t *buf;             /* the message (response or push) */
	size_t len;
};

struct rclient {
	struct cp_client c;
	struct hy_credentials cred;
	struct hy_accept accept;
	struct hy_rudp_env *env;  /* heap: it holds a 64 KiB scratch area */
	struct hy_rudp rudp;
	bool ack;                 /* send the pending ACK after every record (default) */
	struct rc_msg q[RC_QUEUE];
	unsigned head, tail;
	/* What the node sent. */
	uint64_t records, ack_frames, reliable_frames, fragment_frames;
	bool acked_any;
	uint32_t acked_largest;   /* largest seq of the node's ACKs */
	uint32_t acked_low;       /* lowest seq of the first interval of that ACK */
	bool closed;              /* DISCONNECT received, or the connection ended */
	int close_reason;         /* enum hy_close_reason of the DISCONNECT, -1 if none */
};

/* Opens a TCP session with a fresh token for uid; cfg configures the
 * client's own reliable channel (NULL: defaults).  0 or -1. */
int rc_open(struct rclient *r, struct cp_proc *p, const char *uid, const struct hy_rudp_config *cfg);
void rc_close(struct rclient *r);

/* Seals pt as one DATA record and sends it.  0 or -1. */
int rc_send_pt(struct rclient *r, const uint8_t *pt, size_t len);
/* One command on the client's reliable channel (fragmented above one
 * frame), flushed at once.  Returns the reason hy_rudp_send gave. */
enum hy_reason rc_send_reliable(struct rclient *r, uint8_t ver, uint16_t cmd, const void *pl,
				size_t len);
/* One unreliable command.  0 or -1. */
int rc_send_unreliable(struct rclient *r, uint8_t ver, uint16_t cmd, const void *pl, size_t len);
/* Writes what the client's channel has (ACK, resends, new units).  0 or -1. */
int rc_flush(struct rclient *r);

/* Waits up to timeout_ms for one record and handles it.  Returns 1 when
 * one was handled, 0 on timeout, -1 when the session or connection
 * ended (r->closed). */
int rc_pump(struct rclient *r, int timeout_ms);

/* The next queued message, pumping up to timeout_ms for one.  The
 * message's bytes stay valid until the next call.  False on timeout or
 * close. */
bool rc_next(struct rclient *r, struct hy_msg *m, uint8_t *frame, int timeout_ms);

#endif /* HY_TESTS_TCP_RCLIENT_H */
