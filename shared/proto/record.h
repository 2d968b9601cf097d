/* SPDX-License-Identifier: BSD-3-Clause
 * TCP records: `length u16 | packet` on a byte stream (docs/protocol.md,
 * "TCP transport").  Reassembly of incoming records and a bounded queue of
 * outgoing ones, both in fixed buffers: nothing here allocates, does I/O or
 * looks inside a packet.
 */
#ifndef HY_PROTO_RECORD_H
#define HY_PROTO_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/reason.h"
#include "proto/limits.h"

#define HY_RECORD_HDR_LEN 2u
#define HY_RECORD_MAX_LEN (HY_RECORD_HDR_LEN + HY_MAX_DATAGRAM)
/* Output queue: room for 13 full-size records.  A peer that does not read
 * fills it, and then sends fail instead of memory growing. */
#define HY_RECORD_TX_CAP (16u * 1024u)

/* Incoming records, reassembled one at a time. */
struct hy_record_rx {
	size_t have;        /* bytes of the current record so far, header included */
	size_t total;       /* header + packet length once the header is in, else 0 */
	enum hy_reason err; /* sticky: once the stream is broken it stays broken */
	uint8_t buf[HY_RECORD_MAX_LEN];
};

void hy_record_rx_init(struct hy_record_rx *rx);

/*
 * Where the next bytes from the stream go, and in *want how many of them
 * belong to the current record.  Read at most *want bytes into it, so no
 * byte of the following record is taken: then one record of buffer is all
 * the input ever needs.  Returns NULL (and *want 0) once the stream failed.
 */
uint8_t *hy_record_rx_space(struct hy_record_rx *rx, size_t *want);

/*
 * Accounts for n (<= *want) bytes written at hy_record_rx_space().  When
 * they complete a record, *pkt and *len give its packet (pointing into rx,
 * valid until the next call on rx; the caller may change it in place, e.g.
 * to decrypt it); otherwise *pkt is NULL.  Returns OK, or
 * BAD_LENGTH when a header names a length of 0 or above HY_MAX_DATAGRAM
 * (the stream must then be closed), or OVERSIZED if n > *want.
 */
enum hy_reason hy_record_rx_commit(struct hy_record_rx *rx, size_t n, uint8_t **pkt, size_t *len);

/*
 * The same for bytes already in memory: takes bytes from in until one
 * record completes or in runs out; *used says how many it took.  Returns as
 * hy_record_rx_commit().
 */
enum hy_reason hy_record_rx_feed(struct hy_record_rx *rx, const uint8_t *in, size_t in_len,
				 size_t *used, uint8_t **pkt, size_t *len);

/* Outgoing records: bytes waiting for the socket, oldest first. */
struct hy_record_tx {
	size_t head; /* first unsent byte */
	size_t len;  /* unsent bytes from head */
	uint8_t buf[HY_RECORD_TX_CAP];
};

void hy_record_tx_init(struct hy_record_tx *tx);

/* Appends one record holding pkt (1..HY_MAX_DATAGRAM bytes).  Returns 0,
 * or -1 with the queue unchanged if it does not fit or len is out of range. */
int hy_record_tx_put(struct hy_record_tx *tx, const uint8_t *pkt, size_t len);

/* The unsent bytes (possibly several records, the first possibly partly
 * sent already): hand them to send() and report what it took. */
static inline const uint8_t *hy_record_tx_pending(const struct hy_record_tx *tx, size_t *len)
{
	*len = tx->len;
	return tx->buf + tx->head;
}

/* Marks n (<= pending length) bytes as sent. */
void hy_record_tx_sent(struct hy_record_tx *tx, size_t n);


/*
 * Stateless forms, for a server that keeps its own buffers.
 *
 * hy_record_peek: looks at the record starting at buf (len bytes so far).
 * Returns OK with *pkt and *pkt_len set to the packet and *used to the record's
 * whole size; TRUNCATED if more bytes are needed; BAD_LENGTH as soon as the
 * length field is 0 or over HY_MAX_DATAGRAM (judged before waiting for the
 * body, so a hostile length is refused at once).
 *
 * hy_record_encode: writes the record for pkt (len 1..HY_MAX_DATAGRAM) into
 * out; pkt may already sit at out + HY_RECORD_HDR_LEN (it is moved).  Returns
 * the bytes written, or 0 (nothing written) if it does not fit or len is bad.
 */
enum hy_reason hy_record_peek(const uint8_t *buf, size_t len, const uint8_t **pkt, size_t *pkt_len,
			      size_t *used);
size_t hy_record_encode(uint8_t *out, size_t cap, const uint8_t *pkt, size_t len);

#endif /* HY_PROTO_RECORD_H */
