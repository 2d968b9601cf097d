/* SPDX-License-Identifier: BSD-3-Clause
 * Writes the fuzz_rudp seed corpus into the directory given: scripts
 * that feed in-order, reordered, duplicated and fragmented units, acks,
 * sends (also bursts beyond the window, into the backlog), polls and time
 * steps.
 */
#include <stdio.h>
#include <string.h>

#include "proto/frame.h"

static uint8_t out[65536];
static size_t off;

static void op(uint8_t o, size_t n)
{
	out[off++] = o;
	out[off++] = (uint8_t)(n >> 8);
	out[off++] = (uint8_t)n;
}

static void plaintext(void (*build)(struct hy_wr *w, int k), int k)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_wr w;
	hy_wr_init(&w, pt, sizeof(pt));
	build(&w, k);
	op(0, w.off);
	memcpy(out + off, pt, w.off);
	off += w.off;
}

static const uint8_t text[1200] = "seed corpus payload";

static void rel(struct hy_wr *w, int k) { hy_frame_put_reliable(w, (uint32_t)k, text, 5); }
static void frag3(struct hy_wr *w, int k)
{
	hy_frame_put_fragment(w, HY_FRAME_RELIABLE, (uint32_t)(10 + k), (uint8_t)k, 3, text, 400);
}
static void ack(struct hy_wr *w, int k)
{
	struct hy_seq_range iv[2] = {{(uint32_t)k, (uint32_t)(k > 3 ? k - 2 : k)}, {0, 0}};
	hy_frame_put_ack(w, 10, iv, k > 3 ? 2 : 1);
	hy_frame_put_ping(w);
}
static void ack_upto(struct hy_wr *w, int k)
{
	struct hy_seq_range iv[1] = {{.hi = (uint32_t)k, .lo = 0}};
	hy_frame_put_ack(w, 10, iv, 1);
}
static void near_end(struct hy_wr *w, int k)
{
	hy_frame_put_reliable(w, 0xffffff00u + (uint32_t)k, text, 7);
}

static int write_file(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(out, 1, off, f) != off) {
		perror(path);
		return 1;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;
	if (argc != 2) {
		fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
		return 2;
	}
	off = 0;
	out[off++] = 0x03; /* window 32 */
	for (int k = 0; k < 4; k++)
		plaintext(rel, k);
	op(3, 300);
	op(2, 1166);
	rc |= write_file(argv[1], "in-order");

	off = 0;
	out[off++] = 0x0b; /* window 32, spare reassembly bytes */
	plaintext(rel, 3);
	plaintext(rel, 1);
	plaintext(rel, 1);
	plaintext(rel, 0);
	plaintext(rel, 2);
	for (int k = 4; k < 10; k++)
		plaintext(rel, k);
	plaintext(frag3, 2);
	plaintext(frag3, 0);
	plaintext(frag3, 1);
	op(2, 1166);
	rc |= write_file(argv[1], "reorder-frag");

	off = 0;
	out[off++] = 0x02;
	op(1, 3000);
	op(1, 20);
	op(2, 1166);
	op(2, 1166);
	op(3, 5000);
	op(2, 1166);
	for (int k = 0; k < 6; k++)
		plaintext(ack, k);
	op(3, 60000);
	op(2, 1166);
	rc |= write_file(argv[1], "send-ack");

	off = 0;
	out[off++] = 0x13; /* near the end of the seq space */
	for (int k = 0; k < 5; k++)
		plaintext(near_end, k);
	op(2, 200);
	rc |= write_file(argv[1], "seq-end");

	off = 0;
	out[off++] = 0x04; /* window 4, 4 KiB messages and send cap */
	op(5, 15u << 10 | 199); /* a burst of 16 x 200 bytes: 12 wait in the backlog */
	op(1, 3000);            /* a fragmented one behind them */
	op(2, 1166);
	plaintext(ack_upto, 3);
	op(2, 1166);
	plaintext(ack_upto, 7);
	op(2, 1166);
	op(3, 60000);
	op(2, 1166);
	plaintext(ack_upto, 11);
	op(2, 1166);
	plaintext(ack_upto, 15);
	op(2, 1166);
	rc |= write_file(argv[1], "backlog");
	return rc;
}
