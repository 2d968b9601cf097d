/* SPDX-License-Identifier: BSD-3-Clause
 * TCP record framing (see record.h).  Hand-written: two bytes of length in
 * front of a packet is less code than any framing library's glue.
 */
#include <string.h>

#include "proto/record.h"

#include "common/wire.h"

void hy_record_rx_init(struct hy_record_rx *rx)
{
	rx->have = 0;
	rx->total = 0;
	rx->err = HY_R_OK;
}

uint8_t *hy_record_rx_space(struct hy_record_rx *rx, size_t *want)
{
	if (rx->err != HY_R_OK) {
		*want = 0;
		return NULL;
	}
	*want = (rx->total ? rx->total : HY_RECORD_HDR_LEN) - rx->have;
	return rx->buf + rx->have;
}

enum hy_reason hy_record_rx_commit(struct hy_record_rx *rx, size_t n, uint8_t **pkt, size_t *len)
{
	size_t want;

	*pkt = NULL;
	*len = 0;
	if (hy_record_rx_space(rx, &want) == NULL)
		return rx->err;
	if (n > want)
		return HY_R_OVERSIZED;
	rx->have += n;
	if (rx->total == 0 && rx->have == HY_RECORD_HDR_LEN) {
		struct hy_rd r;
		hy_rd_init(&r, rx->buf, HY_RECORD_HDR_LEN);
		uint16_t plen = hy_rd_u16(&r);
		if (plen == 0 || plen > HY_MAX_DATAGRAM) {
			rx->err = HY_R_BAD_LENGTH;
			return rx->err;
		}
		rx->total = HY_RECORD_HDR_LEN + plen;
	}
	if (rx->total != 0 && rx->have == rx->total) {
		*pkt = rx->buf + HY_RECORD_HDR_LEN;
		*len = rx->total - HY_RECORD_HDR_LEN;
		/* The packet stays in buf until the caller asks for space again. */
		rx->have = 0;
		rx->total = 0;
	}
	return HY_R_OK;
}

enum hy_reason hy_record_rx_feed(struct hy_record_rx *rx, const uint8_t *in, size_t in_len,
				 size_t *used, uint8_t **pkt, size_t *len)
{
	enum hy_reason r = HY_R_OK;

	*used = 0;
	*pkt = NULL;
	*len = 0;
	while (*used < in_len && *pkt == NULL) {
		size_t want;
		uint8_t *space = hy_record_rx_space(rx, &want);
		if (space == NULL)
			return rx->err;
		size_t n = in_len - *used < want ? in_len - *used : want;
		memcpy(space, in + *used, n);
		*used += n;
		r = hy_record_rx_commit(rx, n, pkt, len);
		if (r != HY_R_OK)
			return r;
	}
	return r;
}

void hy_record_tx_init(struct hy_record_tx *tx)
{
	tx->head = 0;
	tx->len = 0;
}

int hy_record_tx_put(struct hy_record_tx *tx, const uint8_t *pkt, size_t len)
{
	struct hy_wr w;

	if (len == 0 || len > HY_MAX_DATAGRAM || tx->len + HY_RECORD_HDR_LEN + len > sizeof(tx->buf))
		return -1;
	/* Linear buffer: slide the unsent bytes to the front when the tail
	 * is short.  At most 16 KiB moved, and only while the peer lags. */
	if (tx->head + tx->len + HY_RECORD_HDR_LEN + len > sizeof(tx->buf)) {
		memmove(tx->buf, tx->buf + tx->head, tx->len);
		tx->head = 0;
	}
	hy_wr_init(&w, tx->buf + tx->head + tx->len, HY_RECORD_HDR_LEN + len);
	hy_wr_u16(&w, (uint16_t)len);
	hy_wr_bytes(&w, pkt, len);
	if (!hy_wr_ok(&w))
		return -1;
	tx->len += w.off;
	return 0;
}

void hy_record_tx_sent(struct hy_record_tx *tx, size_t n)
{
	if (n > tx->len)
		n = tx->len;
	tx->head += n;
	tx->len -= n;
	if (tx->len == 0)
		tx->head = 0;
}

enum hy_reason hy_record_peek(const uint8_t *buf, size_t len, const uint8_t **pkt, size_t *pkt_len,
			      size_t *used)
{
	struct hy_rd r;
	uint16_t n;

	hy_rd_init(&r, buf, len);
	n = hy_rd_u16(&r);
	if (!hy_rd_ok(&r))
		return HY_R_TRUNCATED;
	if (n == 0 || n > HY_MAX_DATAGRAM)
		return HY_R_BAD_LENGTH;
	*pkt = hy_rd_view(&r, n);
	if (*pkt == NULL)
		return HY_R_TRUNCATED;
	*pkt_len = n;
	*used = HY_RECORD_HDR_LEN + n;
	return HY_R_OK;
}

size_t hy_record_encode(uint8_t *out, size_t cap, const uint8_t *pkt, size_t len)
{
	if (len == 0 || len > HY_MAX_DATAGRAM || cap < HY_RECORD_HDR_LEN + len)
		return 0; /* checked first: nothing is written on failure */
	memmove(out + HY_RECORD_HDR_LEN, pkt, len);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	return HY_RECORD_HDR_LEN + len;
}
