/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz target: one reliability endpoint driven by arbitrary input.  The
 * input is a script of operations: feed a DATA plaintext (decoded with the
 * frame decoder; every frame goes to hy_rudp_on_frame), queue a message or
 * a burst of them (beyond the window: they wait in the backlog), poll for
 * output, let time pass (and turn the receiver's refusals on or off: a
 * refused message is held and offered again once its retry time comes).
 * Checked after every step:
 *   - what is delivered is, in seq order, exactly the units the endpoint
 *     accepted (a whole message, or count fragments from index 0), each
 *     delivered once: the stream is always a consistent prefix;
 *   - memory held never exceeds the blocks, the byte caps and one header
 *     per unit held; the send side holds at most tx_bytes_max message
 *     bytes (window + backlog) and at most a window of units in the window;
 *     nothing is held while nothing is queued;
 *   - the head of the backlog never has room in the window (it would have
 *     been let in);
 *   - every packet poll_tx writes is a valid DATA plaintext, every unit in
 *     it obeys the window rule, and units sent for the first time are the
 *     accepted messages, in order, cut as the fragmentation rule says.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"
#include "rudp/rudp.h"
#include "rudp/rudp_internal.h"

#define SHADOW 65536u
#define SENT_RING 65536u /* accepted messages not yet wholly sent: < tx_bytes_max <= 64 KiB */

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
	bool refuse;       /* the deliver callback turns messages down */
	struct shadow sh[SHADOW];
	/* sending: accepted messages by number, and the next unit expected on
	 * the wire for the first time */
	uint32_t accepted;          /* messages hy_rudp_send() took */
	uint32_t out_msg, out_idx;  /* message and unit of the next first transmission */
	uint64_t first_next;        /* its seq */
	uint32_t acc_len[SENT_RING];
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

static bool on_message(void *arg, const uint8_t *msg, size_t len)
{
	(void)arg;
	if (F->refuse)
		return false;
	struct shadow *e = sh_at(F->cursor);
	if (e == NULL || len == 0 || len > F->env.cfg.max_message)
		abort();
	if (e->count == 0) {
		if (e->len != len || e->hash != fnv(0xcbf29ce484222325ull, msg, len))
			abort();
		e->seq = 0;
		F->cursor++;
		return true;
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
	return true;
}

/* Byte j of accepted message k. */
static uint8_t out_byte(uint32_t k, uint32_t j)
{
	return (uint8_t)(k * 131u + j * 7u + (j >> 8));
}

static void send_one(uint8_t *msg, size_t n)
{
	uint32_t k = F->accepted;
	for (size_t j = 0; j < n && j < HY_MAX_MESSAGE; j++)
		msg[j] = out_byte(k, (uint32_t)j);
	if (hy_rudp_send(&F->s, msg, n) != HY_R_OK)
		return;
	/* At most tx_bytes_max messages are held, so the ring never laps. */
	F->acc_len[k % SENT_RING] = (uint32_t)n;
	F->accepted++;
}

/* The window rule (docs/protocol.md): no unit of a message whose last
 * seq is M + W or more, M the first seq of the oldest message not wholly
 * acked (the state after the poll: polling acknowledges nothing). */
static uint64_t window_start(void)
{
	const struct rudp_tx *tx = F->s.tx;
	if (tx == NULL || tx->units == 0)
		return F->s.tx_next;
	return tx->una - tx->slot[tx->una & (F->env.cfg.window - 1)]->index;
}

static void check_output(const uint8_t *pkt, size_t len)
{
	uint64_t m = window_start();
	struct hy_rd rd;
	struct hy_frame f;

	hy_rd_init(&rd, pkt, len);
	while (hy_rd_left(&rd) && hy_frame_next(&rd, &f) == HY_R_OK) {
		bool frag = f.type == HY_FRAME_FRAGMENT;
		if (f.type != HY_FRAME_RELIABLE && !frag)
			continue;
		uint64_t count = frag ? f.frag_count : 1;
		uint64_t last = (uint64_t)f.seq - (frag ? f.frag_index : 0) + count - 1;
		if (last >= m + F->env.cfg.window || f.seq >= F->s.tx_next)
			abort();
		if (f.seq < F->first_next)
			continue; /* a resend */
		/* First transmissions go out in seq order, in acceptance order. */
		if (f.seq != F->first_next || F->out_msg >= F->accepted)
			abort();
		uint32_t mlen = F->acc_len[F->out_msg % SENT_RING];
		uint32_t units = mlen <= HY_FRAME_MAX_RELIABLE
					 ? 1
					 : (mlen + HY_RUDP_FRAG_CHUNK - 1) / HY_RUDP_FRAG_CHUNK;
		uint32_t off = F->out_idx * HY_RUDP_FRAG_CHUNK;
		uint32_t want = units == 1 ? mlen
					   : mlen - off < HY_RUDP_FRAG_CHUNK ? mlen - off
									     : HY_RUDP_FRAG_CHUNK;
		if (frag != (units > 1) || (frag && (f.frag_index != F->out_idx ||
						     f.frag_count != units)) ||
		    f.len != want)
			abort();
		for (uint32_t j = 0; j < want; j++)
			if (f.data[j] != out_byte(F->out_msg, off + j))
				abort();
		F->first_next++;
		if (++F->out_idx == units) {
			F->out_idx = 0;
			F->out_msg++;
		}
	}
}

/* Between calls the backlog's head has no room in the window. */
static void check_backlog(void)
{
	const struct rudp_tx *tx = F->s.tx;
	if (tx == NULL || tx->bl_head == NULL || F->s.verdict != HY_RUDP_OK)
		return;
	uint64_t count = tx->bl_head->count ? tx->bl_head->count : 1;
	if (F->s.tx_next - window_start() + count <= F->env.cfg.window)
		abort();
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
	/* One state reused across inputs: a 1.8 MB calloc and free per input
	 * cost more than the input itself. */
	static struct fz state;
	F = &state;
	memset(F, 0, offsetof(struct fz, acc_len)); /* acc_len is written before it is read */
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
	F->first_next = c.initial_seq;
	size_t fixed = tx_block_size(&F->env) + rx_block_size(&F->env) + c.rx_bytes_max +
		       c.tx_bytes_max + (size_t)c.window * sizeof(struct rudp_rx_unit);

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
		case 1: /* queue a message, or a burst of small ones */
			if (data[i - 3] & 4) {
				for (size_t k = 0; k <= n >> 10; k++)
					send_one(msg, 1 + (n & 1023));
			} else {
				send_one(msg, n);
			}
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
			if (fr)
				check_output(pkt, w.off);
			break;
		}
		default: /* time passes; held messages are offered again */
			now += n * 100;
			if (data[i - 3] & 4)
				F->refuse = !F->refuse;
			hy_rudp_retry_delivery(&F->s, now, on_message, NULL);
			if (hy_rudp_verdict(&F->s) == HY_RUDP_OK && F->s.rx_next != F->cursor)
				abort();
			break;
		}
		if (F->out > F->peak)
			F->peak = F->out;
		struct hy_rudp_info info;
		hy_rudp_info(&F->s, &info);
		size_t bound = fixed + ((size_t)info.tx_units + info.tx_backlog_units) *
					       sizeof(struct rudp_tx_unit);
		if (F->out > bound || info.rx_bytes > c.rx_bytes_max ||
		    (uint64_t)info.tx_bytes + info.tx_backlog_bytes > c.tx_bytes_max ||
		    info.tx_units > c.window || info.mem_bytes != F->out)
			abort();
		if (info.tx_units + info.tx_backlog_units == 0 && F->s.tx != NULL)
			abort();
		check_backlog();
	}
	hy_rudp_fini(&F->s);
	if (F->out != 0)
		abort();
	F = NULL;
	return 0;
}
