/* SPDX-License-Identifier: BSD-3-Clause
 * getrandom(2) wrapper: the kernel's CSPRNG needs no seeding, no file
 * descriptor and is safe after fork, which a user-space generator is not.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#include "crypto/random.h"

int hy_random_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Requests above 256 bytes may return short; keep going. */
		p += got;
		n -= (size_t)got;
	}
	return 0;
}
