/* SPDX-License-Identifier: BSD-3-Clause
 * What HTTP requests carry, validated: the POST /v1/auth body, user ids,
 * transports, session ids and paging numbers.  Pure functions (no
 * libmicrohttpd), so they are unit-tested and fuzzed on their own.
 */
#ifndef HY_CP_HTTP_REQUEST_H
#define HY_CP_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/limits.h"

/* Largest request body accepted (POST /v1/auth); enforced while receiving. */
#define HY_HTTP_BODY_MAX 4096u
/* A body without a declared length that runs past HY_HTTP_BODY_MAX is
 * read and dropped up to this many more bytes (then answered 413); past
 * that the connection is closed without an answer. */
#define HY_HTTP_DISCARD_MAX (64u * 1024u)

/* A refusal: HTTP status 400 with these static strings.  error is a
 * stable snake_case code, field the offending member or parameter (NULL
 * when the request as a whole is bad), message one human sentence. */
struct hy_http_err {
	const char *error;
	const char *field;
	const char *message;
};

/* A valid POST /v1/auth body. */
struct hy_http_auth_req {
	char uid[HY_UID_MAX + 1]; /* uid_len bytes, NUL-terminated */
	uint8_t uid_len;
	uint8_t transport;        /* enum hy_transport */
};

/*
 * Parses and validates a POST /v1/auth body of len bytes (need not be
 * NUL-terminated): a JSON object with "uid" (string, see hy_http_uid_check)
 * and optionally "transport" ("udp" or "tcp"; default "udp").  Other
 * members are ignored; duplicated members are refused.  Returns 0 and
 * fills *out, or -1 with *e set (error "invalid_json", "missing_field" or
 * "invalid_field") and *out zeroed.
 */
int hy_http_auth_parse(const char *body, size_t len, struct hy_http_auth_req *out,
		       struct hy_http_err *e);

/* Checks a user id of len bytes: 1..HY_UID_MAX bytes, valid UTF-8, no
 * ASCII control character (NUL included) and no DEL.  Returns NULL if it
 * is valid, else what is wrong. */
const char *hy_http_uid_check(const char *uid, size_t len);

/* "udp"/"tcp" (and, when upper is true, also "UDP"/"TCP") to enum
 * hy_transport; 0 for anything else. */
uint8_t hy_http_transport_parse(const char *s, bool upper);

/* Parses exactly 16 hex digits (either case) into *sid.  Returns 0, or -1
 * for anything else. */
int hy_http_sid_parse(const char *s, uint64_t *sid);

/* Parses a decimal number made of 1..10 digits with value <= max.
 * Returns 0, or -1 for anything else (sign, spaces, empty, too large). */
int hy_http_uint_parse(const char *s, uint64_t max, uint64_t *out);

#endif /* HY_CP_HTTP_REQUEST_H */
