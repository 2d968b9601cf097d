/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz target: one reliability endpoint driven by arbitrary input.  The
 * input is a script of operations: feed a DATA plaintext (decoded with the
 * frame decoder; every frame goes to hy_rudp_on_frame), queue a message,
 * poll for output, let time pass.  Checked after every step:
 *   - what is delivered is, in seq order, exactly the units the endpoint
 *     accepted (a whole message, or count fragments from index 0), each
 *     delivered once: the stream is always a consistent prefix;
 *   - memory held never exceeds the window blocks, the byte caps and one
 *     header per window entry;
 *   - every packet poll_tx writes is a valid DATA plaintext.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"
#include "rudp/rudp.h"

#define SHADOW 65536u

struct shadow {
	uint64_t seq; /* + 1; 0: empty */
	uint64_t hash;
	uint16_t len;
	uint8_t index, count;
};

struct fz {
	struct hy_rudp_env env;
	struct hy_rudp s;
	size_t out, peak;
	uint64_t cursor;   /* next seq the checker expects delivered */
	struct shadow sh[SHADOW];
};

static struct fz *F;

static void *fz_alloc(void *arg, size_t n)
{
	(void)arg;
	void *p = malloc(n);
	if (p)
		F->out += n;
	return p;
}

static void fz_free(void *arg, void *p, size_t n)
{
	(void)arg;
	F->out -= n;
	free(p);
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static struct shadow *sh_at(uint64_t seq)
{
	struct shadow *e = &F->sh[seq % SHADOW];
	return e->seq == seq + 1 ? e : NULL;
}

static void on_message(void *arg, const uint8_t *msg, size_t len)
{
	(void)arg;
	struct shadow *e = sh_at(F->cursor);
	if (e == NULL || len == 0 || len > F->env.cfg.max_message)
		abort();
	if (e->count == 0) {
		if (e->len != len || e->hash != fnv(0xcbf29ce484222325ull, msg, len))
			abort();
		e->seq = 0;
		F->cursor++;
		return;
	}
	size_t off = 0;
	unsigned count = e->count;
	for (unsigned i = 0; i < count; i++) {
		struct shadow *u = sh_at(F->cursor + i);
		if (u == NULL || u->index != i || u->count != count || off + u->len > len ||
		    u->hash != fnv(0xcbf29ce484222325ull, msg + off, u->len))
			abort();
		off += u->len;
		u->seq = 0;
	}
	if (off != len)
		abort();
	F->cursor += count;
}

static void feed(const uint8_t *pt, size_t len, uint64_t now)
{
	struct hy_rd rd;
	struct hy_frame f;

	if (hy_frames_validate(pt, len) != HY_R_OK)
		return;
	hy_rd_init(&rd, pt, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		bool unit = f.type == HY_FRAME_RELIABLE ||
			    (f.type == HY_FRAME_FRAGMENT && f.frag_class == HY_FRAME_RELIABLE);
		struct shadow *e = &F->sh[f.seq % SHADOW];
		struct shadow saved = *e;
		bool tentative = false;

		/* The shadow holds what the endpoint holds.  Record the unit
		 * before the call (delivery may happen inside it) unless that
		 * seq is already held, and take it back if it is refused. */
		if (unit && e->seq != (uint64_t)f.seq + 1) {
			*e = (struct shadow){
				.seq = (uint64_t)f.seq + 1,
				.hash = fnv(0xcbf29ce484222325ull, f.data, f.len),
				.len = f.len,
				.index = f.type == HY_FRAME_FRAGMENT ? f.frag_index : 0,
				.count = f.type == HY_FRAME_FRAGMENT ? f.frag_count : 0,
			};
			tentative = true;
		}
		enum hy_reason r = hy_rudp_on_frame(&F->s, &f, now, on_message, NULL);
		if (hy_rudp_verdict(&F->s) != HY_RUDP_OK)
			continue; /* broken or dead: nothing is delivered any more */
		if (tentative && r != HY_R_OK)
			*e = saved;
		if (F->s.rx_next != F->cursor)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[HY_MAX_MESSAGE];
	struct hy_rudp_config c = {0};
	uint64_t now = 1;

	if (size < 1)
		return 0;
	F = calloc(1, sizeof(*F));
	if (F == NULL)
		return 0;
	c.window = 4u << (data[0] & 3);          /* 4 .. 32 */
	c.max_message = (data[0] & 4) ? 4096 : HY_MAX_MESSAGE;
	c.rx_bytes_max = c.max_message + ((data[0] & 8) ? 2000 : 0);
	c.tx_bytes_max = c.max_message;
	c.initial_seq = (data[0] & 16) ? 0xffffff00u : 0;
	c.alloc = (struct hy_rudp_alloc){.alloc = fz_alloc, .free = fz_free};
	if (hy_rudp_env_init(&F->env, &c, NULL, 0) != HY_R_OK)
		abort();
	hy_rudp_init(&F->s, &F->env);
	F->cursor = c.initial_seq;
	size_t bound = 2 * (32 + 8 * (size_t)c.window) + c.rx_bytes_max + c.tx_bytes_max +
		       2 * (size_t)c.window * 32;

	size_t i = 1;
	while (i + 3 <= size) {
		uint8_t op = data[i] & 3;
		size_t n = (size_t)data[i + 1] << 8 | data[i + 2];
		i += 3;
		switch (op) {
		case 0: /* feed a plaintext */
			if (n > size - i)
				n = size - i;
			if (n > HY_MAX_PAYLOAD)
				n = HY_MAX_PAYLOAD;
			feed(data + i, n, now);
			i += n;
			break;
		case 1: /* queue a message */
			memset(msg, 0x5a, n + 1 < sizeof(msg) ? n + 1 : sizeof(msg));
			hy_rudp_send(&F->s, msg, n);
			break;
		case 2: { /* poll */
			uint8_t pkt[HY_MAX_PAYLOAD];
			struct hy_wr w;
			hy_wr_init(&w, pkt, (n % HY_MAX_PAYLOAD) + 1);
			unsigned fr = hy_rudp_poll_tx(&F->s, now, &w, 1 + n % 32);
			if (fr > 1 + n % 32)
				abort();
			if (fr && hy_frames_validate(pkt, w.off) != HY_R_OK)
				abort();
			break;
		}
		default:
			now += n * 100;
			break;
		}
		if (F->out > F->peak)
			F->peak = F->out;
		struct hy_rudp_info info;
		hy_rudp_info(&F->s, &info);
		if (F->out > bound || info.rx_bytes > c.rx_bytes_max || info.tx_bytes > c.tx_bytes_max)
			abort();
	}
	hy_rudp_fini(&F->s);
	if (F->out != 0)
		abort();
	free(F);
	F = NULL;
	return 0;
}
