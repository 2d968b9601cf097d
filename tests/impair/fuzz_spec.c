/* SPDX-License-Identifier: BSD-3-Clause
 * The --impair spec parser: never crashes, an error is one non-empty line,
 * and an accepted spec formats to a spec that parses to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "impair_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hy_impair_params p, q;
	char spec[512], out[512], err[256];

	if (size >= sizeof(spec))
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	hy_impair_params_default(&p);
	err[0] = '\0';
	if (hy_impair_params_parse(&p, spec, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	if (!(p.loss >= 0 && p.loss <= 1 && p.dup >= 0 && p.dup <= 1 &&
	      p.reorder >= 0 && p.reorder <= 1) ||
	    p.delay_ns > HY_IMPAIR_MAX_DURATION_NS || p.jitter_ns > HY_IMPAIR_MAX_DURATION_NS ||
	    p.reorder_delay_ns > HY_IMPAIR_MAX_DURATION_NS)
		abort();
	if (hy_impair_params_format(&p, out, sizeof(out)) >= (int)sizeof(out))
		abort();
	hy_impair_params_default(&q);
	if (hy_impair_params_parse(&q, out, err, sizeof(err)) < 0)
		abort();
	if (p.loss != q.loss || p.dup != q.dup || p.reorder != q.reorder ||
	    p.delay_ns != q.delay_ns || p.jitter_ns != q.jitter_ns ||
	    p.reorder_delay_ns != q.reorder_delay_ns || p.seed != q.seed)
		abort();
	return 0;
}
