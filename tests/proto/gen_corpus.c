/* SPDX-License-Identifier: BSD-3-Clause
 * Writes the fuzzers' seed corpora from valid encodings:
 *   gen_proto_corpus <dir>   ->  <dir>/packet/... and <dir>/frames/...
 * Run by hand after a format change; the output is committed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_key.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

static const char *out_dir;

static void put(const char *sub, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void need(size_t n)
{
	if (n == 0) {
		fprintf(stderr, "an encoder refused a seed\n");
		exit(1);
	}
}

static void packets(void)
{
	uint8_t b[HY_MAX_DATAGRAM], body[HY_MAX_PAYLOAD];
	struct hy_pkt_connect c = {.type = HY_PKT_CONNECT};
	for (size_t i = 0; i < HY_TOKEN_LEN; i++)
		c.token[i] = (uint8_t)(i * 13 + 1);
	need(hy_pkt_connect_encode(b, sizeof(b), &c));
	put("packet", "connect", b, HY_CONNECT_LEN);
	c.type = HY_PKT_RESPONSE;
	for (size_t i = 0; i < HY_COOKIE_LEN; i++)
		c.cookie[i] = (uint8_t)(0xc0 + i);
	need(hy_pkt_connect_encode(b, sizeof(b), &c));
	put("packet", "response", b, HY_CONNECT_LEN);

	struct hy_pkt_challenge ch;
	memcpy(ch.cookie, c.cookie, HY_COOKIE_LEN);
	need(hy_pkt_challenge_encode(b, sizeof(b), &ch));
	put("packet", "challenge", b, HY_CHALLENGE_LEN);

	struct hy_aead_ctx ctx;
	if (hy_aead_key_init(&ctx, HY_AEAD_OPENSSL, fuzz_key) != 0)
		exit(1);
	struct hy_accept a = {1000, 10000, HY_MAX_MESSAGE, HY_NODE_ONLINE};
	size_t n = hy_accept_encode(body, sizeof(body), &a);
	need(n);
	put("packet", "accept_body", body, n);
	need(n = hy_pkt_seal(&ctx, HY_PKT_ACCEPT, 0x1122334455667788ull, 0, body, n, b, sizeof(b)));
	put("packet", "accept", b, n);

	need(n = hy_close_encode(body, sizeof(body), HY_CLOSE_SERVER_FULL));
	put("packet", "deny_body", body, n);
	need(n = hy_pkt_seal(&ctx, HY_PKT_DENY, 7, 1, body, n, b, sizeof(b)));
	put("packet", "deny", b, n);
	need(n = hy_close_encode(body, sizeof(body), HY_CLOSE_IDLE_TIMEOUT));
	need(n = hy_pkt_seal(&ctx, HY_PKT_DISCONNECT, 7, 2, body, n, b, sizeof(b)));
	put("packet", "disconnect", b, n);

	struct hy_wr w;
	hy_wr_init(&w, body, sizeof(body));
	const struct hy_seq_range iv[2] = {{50, 40}, {30, 0}};
	if (!hy_frame_put_ack(&w, 10, iv, 2) ||
	    !hy_frame_put_reliable(&w, 51, "\x02\x00\x01x", 4) || !hy_frame_put_ping(&w))
		exit(1);
	need(n = hy_pkt_seal(&ctx, HY_PKT_DATA, 7, 3, body, w.off, b, sizeof(b)));
	put("packet", "data", b, n);
	memset(body, 0, sizeof(body));
	hy_wr_init(&w, body, sizeof(body));
	if (!hy_frame_put_unreliable(&w, body + 600, HY_FRAME_MAX_UNRELIABLE))
		exit(1);
	need(n = hy_pkt_seal(&ctx, HY_PKT_DATA, 7, 4, body, w.off, b, sizeof(b)));
	put("packet", "data_full", b, n);
}

static void frames(void)
{
	uint8_t b[HY_MAX_PAYLOAD], msg[64];
	struct hy_wr w;
	size_t n;

	need(n = hy_msg_cmd_encode(msg, sizeof(msg), 2, 0x0101, "hello", 5));
	put("frames", "command", msg, n);
	need(n = hy_msg_resp_encode(msg, sizeof(msg), 2, 0x0101, HY_STATUS_OK, "ok", 2));
	put("frames", "response", msg, n);

	uint8_t pl[32];
	need(n = hy_echo_req_encode(pl, sizeof(pl), 123456789));
	size_t echo_req = hy_msg_cmd_encode(msg, sizeof(msg), 0, HY_CMD_ECHO, pl, n);
	need(echo_req);
	hy_wr_init(&w, b, sizeof(b));
	if (!hy_frame_put_unreliable(&w, msg, echo_req))
		exit(1);
	put("frames", "echo_request", b, w.off);

	struct hy_echo_resp er = {.node_state = HY_NODE_ONLINE, .client_time = 123456789};
	er.addr.family = 6;
	er.addr.addr[0] = 0x20;
	er.addr.addr[1] = 0x01;
	er.addr.addr[3] = 0x02;
	er.addr.addr[15] = 1;
	er.addr.port = 40000;
	need(n = hy_echo_resp_encode(pl, sizeof(pl), &er));
	size_t echo_resp = hy_msg_resp_encode(msg, sizeof(msg), 0, HY_CMD_ECHO, HY_STATUS_OK,
					      pl, n);
	need(echo_resp);
	hy_wr_init(&w, b, sizeof(b));
	if (!hy_frame_put_reliable(&w, 9, msg, echo_resp))
		exit(1);
	put("frames", "echo_response_v6", b, w.off);

	/* One of each frame type in one payload. */
	hy_wr_init(&w, b, sizeof(b));
	const struct hy_seq_range iv[3] = {{1000, 990}, {980, 980}, {10, 0}};
	if (!hy_frame_put_ack(&w, 125, iv, 3) ||
	    !hy_frame_put_unreliable(&w, "\x02\x00\x05zz", 5) ||
	    !hy_frame_put_sequenced(&w, 4, 77, "\x02\x00\x06q", 4) ||
	    !hy_frame_put_reliable(&w, 12, "\x02\x00\x07", 3) ||
	    !hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 13, 0, 2, "abcd", 4) ||
	    !hy_frame_put_fragment(&w, HY_FRAME_UNRELIABLE, 99, 1, 2, "ef", 2) ||
	    !hy_frame_put_ping(&w))
		exit(1);
	put("frames", "mixed", b, w.off);

	/* The biggest ACK. */
	struct hy_seq_range many[HY_ACK_MAX_INTERVALS];
	for (unsigned i = 0; i < HY_ACK_MAX_INTERVALS; i++)
		many[i] = (struct hy_seq_range){100000 - 10 * i, 100000 - 10 * i - 3};
	hy_wr_init(&w, b, sizeof(b));
	if (!hy_frame_put_ack(&w, 0xffff, many, HY_ACK_MAX_INTERVALS))
		exit(1);
	put("frames", "ack_full", b, w.off);

	/* 32 frames, the limit. */
	hy_wr_init(&w, b, sizeof(b));
	for (int i = 0; i < 32; i++) {
		bool ok = i % 2 ? hy_frame_put_ping(&w)
				: hy_frame_put_sequenced(&w, 1, (uint32_t)i, "\x02\x00\x01", 3);
		if (!ok)
			exit(1);
	}
	put("frames", "limit", b, w.off);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	packets();
	frames();
	return 0;
}
