/* SPDX-License-Identifier: BSD-3-Clause
 * Cluster key files.
 *
 * One key per line: "<key_id> <32 hex digits>", key_id 0..255 (the token's
 * key_id byte, so keys can be rotated); blank lines and lines starting with
 * '#' are ignored.  The newest key (the last line) is the one new tokens are
 * sealed with.  Keys are secrets: errors name the file and line, never the
 * key, and callers wipe the keyring when done.
 */
#ifndef HY_CRYPTO_KEYFILE_H
#define HY_CRYPTO_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/limits.h"

#define HY_KEYRING_IDS 256u

struct hy_keyring {
	bool present[HY_KEYRING_IDS];
	uint8_t key[HY_KEYRING_IDS][HY_KEY_LEN];
	uint8_t newest_id; /* id on the last line: seals new tokens */
	unsigned count;
};

/* Loads path into *out (replacing its contents).  Returns 0, or -1 with one
 * line "FILE:LINE: what is wrong" in err (no key bytes ever appear in it).
 * Refuses: unreadable file, no key at all, malformed line, id out of range,
 * duplicate id, key not exactly 32 hex digits, a file others may read or write
 * (mode must not grant group/other permissions). */
int hy_keyfile_load(const char *path, struct hy_keyring *out, char *err, size_t errlen);

/* Zeroes the keyring. */
void hy_keyring_wipe(struct hy_keyring *k);

#endif /* HY_CRYPTO_KEYFILE_H */
