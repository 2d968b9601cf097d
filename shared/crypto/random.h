/* SPDX-License-Identifier: BSD-3-Clause
 * Cryptographically secure random bytes from the kernel.
 */
#ifndef HY_CRYPTO_RANDOM_H
#define HY_CRYPTO_RANDOM_H

#include <stddef.h>

/* Fills buf with n random bytes from getrandom(2) (blocking only until the
 * kernel pool is first initialised).  Returns 0, or -1 with errno set; on
 * -1 buf must not be used. */
int hy_random_bytes(void *buf, size_t n);

#endif /* HY_CRYPTO_RANDOM_H */
