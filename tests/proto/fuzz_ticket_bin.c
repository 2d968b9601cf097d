/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: the binary ticket and the MOVE and ROOM_REDIRECT
 * payloads that carry one (proto/ticket.h).
 *
 * The input is tried as all three.  Invariants beyond "no crash": what
 * decodes re-encodes to the input bytes (the encoding is canonical); a
 * refusal leaves the output zeroed (no half-copied keys); every reason is
 * one of those the check order names.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static bool zeroed(const struct hy_ticket *t)
{
	static const struct hy_ticket zero;

	return memcmp(t, &zero, sizeof(*t)) == 0;
}

static bool known(enum hy_reason r)
{
	switch (r) {
	case HY_R_OK:
	case HY_R_TRUNCATED:
	case HY_R_TRAILING_BYTES:
	case HY_R_BAD_VERSION:
	case HY_R_BAD_TYPE:
	case HY_R_RESERVED_SET:
	case HY_R_ZERO_SESSION:
	case HY_R_TOKEN_BAD_UID:
	case HY_R_TICKET_BAD_FIELD:
	case HY_R_ROOM_BAD_PARAMS:
		return true;
	default:
		return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t re[10 + HY_TICKET_MAX_LEN];
	struct hy_ticket t;
	enum hy_reason r;
	uint64_t room;
	uint8_t why;

	r = hy_ticket_decode(data, size, &t);
	CHECK(known(r));
	if (r == HY_R_OK) {
		CHECK(size <= HY_TICKET_MAX_LEN && t.cred.sid != 0 && t.port != 0);
		CHECK(t.cred.node_id != 0 && strlen(t.cred.uid) == t.cred.uid_len);
		CHECK(hy_ticket_encode(re, sizeof(re), &t) == size && memcmp(re, data, size) == 0);
	} else {
		CHECK(zeroed(&t));
	}

	r = hy_move_decode(data, size, &why, &t);
	CHECK(known(r));
	if (r == HY_R_OK)
		CHECK(hy_move_encode(re, sizeof(re), why, &t) == size && memcmp(re, data, size) == 0);
	else
		CHECK(zeroed(&t));

	r = hy_redirect_decode(data, size, &room, &t);
	CHECK(known(r));
	if (r == HY_R_OK)
		CHECK(hy_redirect_encode(re, sizeof(re), room, &t) == size &&
		      memcmp(re, data, size) == 0);
	else
		CHECK(zeroed(&t));
	return 0;
}
