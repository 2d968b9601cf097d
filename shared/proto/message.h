/* SPDX-License-Identifier: BSD-3-Clause
 * Messages: what UNRELIABLE, SEQUENCED and RELIABLE frames carry (and what
 * fragments reassemble into).  A client sends commands, a server sends
 * responses and pushes:
 *
 *   command:  ver u8 | cmd u16 | payload
 *   response: ver u8 | cmd u16 | status u8 | payload
 *
 * ver 0 is the transport's own commands (ECHO), ver 1 the built-in
 * modules, ver >= 2 the application's.  Decoders return views into the
 * input; encoders return the bytes written or 0.
 */
#ifndef HY_PROTO_MESSAGE_H
#define HY_PROTO_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "proto/limits.h"
#include "proto/packet.h" /* enum hy_node_state */

#define HY_MSG_CMD_HDR 3u  /* ver, cmd */
#define HY_MSG_RESP_HDR 4u /* ver, cmd, status */

#define HY_MSG_VER_TRANSPORT 0u /* built into the transport (ECHO) */
#define HY_MSG_VER_MODULE 1u    /* built-in modules (rooms, ...) */
#define HY_MSG_VER_APP_MIN 2u   /* first version free for applications */

#define HY_CMD_ECHO 3u /* with ver 0 */

enum hy_status {
	HY_STATUS_OK = 1,
	HY_STATUS_BAD = 4,   /* the request was wrong (client's fault) */
	HY_STATUS_ERR = 5,   /* the server failed (server's fault) */
	HY_STATUS_PUSH = 255 /* server-initiated, not a reply */
};

/* "OK", "BAD", "ERR", "PUSH"; "UNKNOWN" for any other value. */
const char *hy_status_name(unsigned status);

struct hy_msg {
	uint8_t ver;
	uint16_t cmd;
	uint8_t status;         /* responses only; 0 in a decoded command */
	const uint8_t *payload; /* view into the decoded buffer */
	size_t len;             /* payload bytes */
};

/* Decodes a command.  Returns OK, TRUNCATED (shorter than 3 bytes) or
 * MESSAGE_TOO_LARGE (over HY_MAX_MESSAGE). */
enum hy_reason hy_msg_cmd_decode(const uint8_t *buf, size_t len, struct hy_msg *out);

/* Decodes a response or push.  Returns OK, TRUNCATED, MESSAGE_TOO_LARGE
 * or BAD_MESSAGE_KIND (status not one of enum hy_status). */
enum hy_reason hy_msg_resp_decode(const uint8_t *buf, size_t len, struct hy_msg *out);

/*
 * Encode a command / a response.  payload may be NULL when len is 0, and
 * may overlap out (it is moved, so a caller can build the payload at
 * out + HY_MSG_CMD_HDR or out + HY_MSG_RESP_HDR first).  Return the bytes
 * written, or 0 if they do not fit in cap, the message would exceed
 * HY_MAX_MESSAGE or the status is unknown.
 */
size_t hy_msg_cmd_encode(uint8_t *out, size_t cap, uint8_t ver, uint16_t cmd,
			 const void *payload, size_t len);
size_t hy_msg_resp_encode(uint8_t *out, size_t cap, uint8_t ver, uint16_t cmd,
			  uint8_t status, const void *payload, size_t len);

/* ECHO (ver 0, cmd 3).  The request carries an opaque client time the
 * node copies back; the response adds the node state and the client's
 * address as the node saw it (NAT discovery). */
#define HY_ECHO_REQ_LEN 8u
#define HY_ECHO_RESP_V4_LEN 16u
#define HY_ECHO_RESP_V6_LEN 28u

struct hy_echo_addr {
	uint8_t family;   /* 4 or 6 */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes, rest zero */
	uint16_t port;    /* host order */
};

struct hy_echo_resp {
	uint8_t node_state; /* enum hy_node_state */
	uint64_t client_time;
	struct hy_echo_addr addr;
};

/* Request payload (the part after the 3-byte command header).  Returns
 * OK, TRUNCATED or TRAILING_BYTES. */
enum hy_reason hy_echo_req_decode(const uint8_t *buf, size_t len, uint64_t *client_time);
size_t hy_echo_req_encode(uint8_t *out, size_t cap, uint64_t client_time);

/* Response payload (after the 4-byte response header).  Returns OK,
 * TRUNCATED, TRAILING_BYTES or BAD_TYPE (unknown node state or family). */
enum hy_reason hy_echo_resp_decode(const uint8_t *buf, size_t len, struct hy_echo_resp *out);
/* Returns 16 (IPv4) or 28 (IPv6), or 0 if it does not fit, the family or
 * node state is unknown, or an IPv4 address has nonzero bytes past 4. */
size_t hy_echo_resp_encode(uint8_t *out, size_t cap, const struct hy_echo_resp *in);

#endif /* HY_PROTO_MESSAGE_H */
