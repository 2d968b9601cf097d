/* SPDX-License-Identifier: BSD-3-Clause
 * The fixed session key the packet fuzzer opens with, and that the seed
 * corpus of sealed packets was sealed under, so seeds get past the tag.
 */
#ifndef HY_TESTS_FUZZ_KEY_H
#define HY_TESTS_FUZZ_KEY_H

#include <stdint.h>

#include "proto/limits.h"

static const uint8_t fuzz_key[HY_KEY_LEN] = {
	0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, /* "fuzz-key" */
	0x2d, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x2d, 0x31, /* "-proto-1" */
};

#endif /* HY_TESTS_FUZZ_KEY_H */
