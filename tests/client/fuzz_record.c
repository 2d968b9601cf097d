/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzzes TCP record reassembly (client/record.h): the input is a byte
 * stream (after one seed byte that picks the chunking).  The same stream
 * is fed three ways: all at once, in pseudo-random chunks, and through the
 * space/commit calls the client makes around recv() with pseudo-random
 * short reads.  All three must find the same records and stop at the same
 * error; and the records written back through the output queue (drained in
 * uneven pieces) must give back the input's bytes exactly, since the
 * framing is canonical.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	uint8_t *out;       /* records written back through hy_record_tx */
	size_t out_len;
	size_t records;
	enum hy_reason err; /* OK, or why the stream stopped */
	struct hy_record_tx tx;
	uint32_t rng;
};

static uint32_t next(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/* Sends some of the queued bytes "to the wire" (out). */
static void drain(struct result *r, bool all)
{
	size_t len;
	const uint8_t *p = hy_record_tx_pending(&r->tx, &len);
	size_t n = all ? len : (len ? 1 + next(&r->rng) % len : 0);
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
	hy_record_tx_sent(&r->tx, n);
}

static void got(struct result *r, const uint8_t *pkt, size_t len)
{
	if (len == 0 || len > HY_MAX_DATAGRAM)
		abort();
	r->records++;
	while (hy_record_tx_put(&r->tx, pkt, len) < 0) {
		size_t pending;
		hy_record_tx_pending(&r->tx, &pending);
		if (pending == 0)
			abort(); /* an empty queue must take any valid record */
		drain(r, false);
	}
}

static void feed_chunks(struct result *r, const uint8_t *in, size_t size, uint32_t seed, bool whole)
{
	struct hy_record_rx rx;
	uint32_t rng = seed;
	size_t off = 0;

	hy_record_rx_init(&rx);
	while (off < size) {
		size_t chunk = whole ? size - off : 1 + next(&rng) % 97;
		if (chunk > size - off)
			chunk = size - off;
		size_t pos = 0;
		while (pos < chunk) {
			size_t used;
			uint8_t *pkt;
			size_t len;
			r->err = hy_record_rx_feed(&rx, in + off + pos, chunk - pos, &used, &pkt, &len);
			if (used > chunk - pos)
				abort();
			pos += used;
			if (r->err != HY_R_OK)
				return;
			if (pkt)
				got(r, pkt, len);
			else if (pos != chunk)
				abort(); /* no record, yet input left over */
		}
		off += chunk;
	}
}

static void read_like_recv(struct result *r, const uint8_t *in, size_t size, uint32_t seed)
{
	struct hy_record_rx rx;
	uint32_t rng = seed ^ 0x5a5a5a5au;
	size_t off = 0;

	hy_record_rx_init(&rx);
	while (off < size) {
		size_t want;
		uint8_t *space = hy_record_rx_space(&rx, &want);
		if (space == NULL || want == 0 || want > HY_RECORD_MAX_LEN)
			abort();
		size_t n = 1 + next(&rng) % want; /* a short read */
		if (n > size - off)
			n = size - off;
		memcpy(space, in + off, n);
		off += n;
		uint8_t *pkt;
		size_t len;
		r->err = hy_record_rx_commit(&rx, n, &pkt, &len);
		if (r->err != HY_R_OK) {
			size_t w;
			if (hy_record_rx_space(&rx, &w) != NULL || w != 0)
				abort(); /* a failed stream stays failed */
			return;
		}
		if (pkt)
			got(r, pkt, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result r[3];

	if (size < 1)
		return 0;
	uint32_t seed = data[0];
	data++;
	size--;
	for (int i = 0; i < 3; i++) {
		r[i].out = malloc(size + 1);
		r[i].out_len = 0;
		r[i].records = 0;
		r[i].err = HY_R_OK;
		r[i].rng = seed + (uint32_t)i;
		hy_record_tx_init(&r[i].tx);
	}
	feed_chunks(&r[0], data, size, seed, true);
	feed_chunks(&r[1], data, size, seed, false);
	read_like_recv(&r[2], data, size, seed);
	for (int i = 0; i < 3; i++) {
		drain(&r[i], true);
		if (r[i].out_len > size || memcmp(r[i].out, data, r[i].out_len) != 0)
			abort(); /* written back, the records are the input's own bytes */
		if (r[i].err != HY_R_OK && r[i].err != HY_R_BAD_LENGTH)
			abort();
	}
	for (int i = 1; i < 3; i++)
		if (r[i].records != r[0].records || r[i].err != r[0].err ||
		    r[i].out_len != r[0].out_len)
			abort();
	for (int i = 0; i < 3; i++)
		free(r[i].out);
	return 0;
}
