/* SPDX-License-Identifier: BSD-3-Clause
 * Small helpers shared by the crypto tests: hex decoding, a seeded
 * pseudo-random generator (reproducible inputs), backend iteration.
 */
#ifndef HY_TESTS_CRYPTO_TESTUTIL_H
#define HY_TESTS_CRYPTO_TESTUTIL_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decodes hex (whitespace ignored) into out; returns the byte count or -1
 * on a bad digit, odd length or overflow of cap. */
static inline long tu_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s != '\0'; s++) {
		int v;
		if (isspace((unsigned char)*s))
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (long)n : -1;
}

/* xorshift64*: deterministic test inputs, not for keys in production. */
static inline uint64_t tu_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static inline void tu_fill(uint64_t *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(tu_rand(s) >> 56);
}

#endif /* HY_TESTS_CRYPTO_TESTUTIL_H */
