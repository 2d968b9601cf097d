/* SPDX-License-Identifier: BSD-3-Clause
 * Pre-faulting DPDK's memory, and EAL's exit (why: memory.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
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

int hy_eal_finish(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int rc;

	/* the path goes with EAL's configuration: copied before cleanup */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rc = rte_eal_cleanup();
	if (dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return rc;
	/* EAL's own sockets, which it unlinks only from an atexit handler
	 * (too late for the rmdir); anything else keeps the directory */
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "dpdk_telemetry", 14) == 0 ||
		    strncmp(de->d_name, "mp_socket", 9) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			(void)unlink(path);
		}
	closedir(d);
	(void)rmdir(dir);
	return rc;
}
