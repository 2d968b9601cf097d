/* SPDX-License-Identifier: BSD-3-Clause
 * The median of a benchmark's rounds: the figure every BENCH line reports
 * (docs/performance.md, "Method").
 */
#ifndef HY_PERF_BENCH_MEDIAN_H
#define HY_PERF_BENCH_MEDIAN_H

#include <stdlib.h>

static inline int hy_bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v[0..n) in place and returns its median (n >= 1). */
static inline double hy_bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), hy_bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* HY_PERF_BENCH_MEDIAN_H */
