/* SPDX-License-Identifier: BSD-3-Clause
 * Writes the seed corpus of fuzz_engine into the directory given: one file
 * per input, in the target's format (mode byte, then bytes).  Needs no EAL:
 * it only mints a token and encodes packets and frames.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/token.h"
#include "common/wire.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"

#define NODE 7u    /* T_NODE of the harness */
#define KEY_ID 3u  /* T_KEY_ID */
#define T0_S 1700000000ull

static int put(const char *dir, const char *name, uint8_t mode, const uint8_t *b, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&mode, 1, 1, f) != 1 || fwrite(b, 1, n, f) != n) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	uint8_t k[HY_KEY_LEN], buf[HY_MAX_DATAGRAM], msg[64], req[HY_ECHO_REQ_LEN];
	struct hy_aead_ctx cluster;
	struct hy_credentials cred;
	struct hy_pkt_connect p = {.type = HY_PKT_CONNECT};
	struct hy_pkt_header h = {.type = HY_PKT_DATA, .sid = 1, .pn = 3};
	struct hy_seq_range iv = {.hi = 9, .lo = 2};
	struct hy_wr w;
	size_t n, m;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (unsigned i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)(0xc0 + i);
	if (hy_aead_key_init(&cluster, HY_AEAD_OPENSSL, k) < 0 ||
	    hy_token_mint(&cluster, KEY_ID, NODE, T0_S + 3600, "fuzz", HY_TRANSPORT_UDP, &cred) < 0)
		return 1;

	/* mode 0: a valid CONNECT (answered with a CHALLENGE), a RESPONSE
	 * with a stale cookie, a short DATA. */
	memcpy(p.token, cred.token, HY_TOKEN_LEN);
	n = hy_pkt_connect_encode(buf, sizeof(buf), &p);
	rc |= put(argv[1], "connect", 0, buf, n);
	p.type = HY_PKT_RESPONSE;
	memset(p.cookie, 0x5a, sizeof(p.cookie));
	n = hy_pkt_connect_encode(buf, sizeof(buf), &p);
	rc |= put(argv[1], "response", 0, buf, n);
	memset(buf, 0, sizeof(buf));
	hy_pkt_header_encode(buf, sizeof(buf), &h);
	rc |= put(argv[1], "data-unknown-session", 0, buf, HY_DATA_MIN_PKT_LEN + 13);

	/* mode 1: DATA plaintexts the live client seals. */
	hy_echo_req_encode(req, sizeof(req), 77);
	m = hy_msg_cmd_encode(msg, sizeof(msg), 0, HY_CMD_ECHO, req, sizeof(req));
	hy_wr_init(&w, buf, sizeof(buf));
	hy_frame_put_unreliable(&w, msg, m);
	rc |= put(argv[1], "sealed-echo", 1, buf, w.off);
	hy_wr_init(&w, buf, sizeof(buf));
	hy_frame_put_ack(&w, 3, &iv, 1);
	hy_frame_put_sequenced(&w, 2, 5, "\x02\x01\x00xy", 5);
	hy_frame_put_reliable(&w, 0, "\x03\x00\x07z", 4);
	hy_frame_put_fragment(&w, HY_FRAME_UNRELIABLE, 9, 1, 2, "frag", 4);
	hy_frame_put_unreliable(&w, msg, m);
	hy_frame_put_ping(&w);
	rc |= put(argv[1], "sealed-frames", 1, buf, w.off);
	/* reliable: an ECHO, then the two fragments of one message out of
	 * order, a unit ahead of a gap, a PING asking for the ACK */
	hy_wr_init(&w, buf, sizeof(buf));
	hy_frame_put_reliable(&w, 0, msg, m);
	hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 2, 1, 2, "\x07tail", 5);
	hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 1, 0, 2, "\x02\x00\x09head", 7);
	hy_frame_put_reliable(&w, 5, "\x02\x00\x0a" "ahead", 8);
	hy_frame_put_ping(&w);
	rc |= put(argv[1], "sealed-reliable", 1, buf, w.off);

	/* mode 2: a datagram under the live session's id (a forged body). */
	memset(buf, 0x33, sizeof(buf));
	hy_pkt_header_encode(buf, sizeof(buf), &h);
	rc |= put(argv[1], "forged-live", 2, buf, 47);
	return rc ? 1 : 0;
}
