/* SPDX-License-Identifier: BSD-3-Clause
 * Helpers shared by the proto tests.
 */
#ifndef HY_TESTS_PROTO_TEST_H
#define HY_TESTS_PROTO_TEST_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/limits.h"

/* A heap copy of exactly len bytes, so the sanitizer build catches any
 * read past the end.  Never NULL (one byte is allocated for len 0). */
static inline uint8_t *dup_exact(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, buf, len);
	return p;
}

/* A token-shaped blob: the public part laid out as the design says, the
 * sealed part a recognisable pattern (opaque to the codecs under test). */
static inline void sample_token(uint8_t token[HY_TOKEN_LEN])
{
	static const uint8_t pub[HY_TOKEN_PUBLIC_LEN] = {
		0x01, 0x01, 0x00, 0x00,                         /* version, key_id, reserved */
		0x00, 0x00, 0x00, 0x2a,                         /* node_id 42 */
		0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00, /* expire_at 1700000000 */
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* nonce */
		0x08, 0x09, 0x0a, 0x0b,
	};
	memcpy(token, pub, sizeof(pub));
	for (size_t i = HY_TOKEN_PUBLIC_LEN; i < HY_TOKEN_LEN; i++)
		token[i] = (uint8_t)(0x80 + i);
}

static inline void sample_cookie(uint8_t cookie[HY_COOKIE_LEN])
{
	/* issued_at 1700000000, serial 0x01000007, then a tag pattern. */
	static const uint8_t head[8] = {0x65, 0x53, 0xf1, 0x00, 0x01, 0x00, 0x00, 0x07};
	memcpy(cookie, head, sizeof(head));
	for (size_t i = sizeof(head); i < HY_COOKIE_LEN; i++)
		cookie[i] = (uint8_t)(0xe0 + i);
}

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* HY_TESTS_PROTO_TEST_H */
