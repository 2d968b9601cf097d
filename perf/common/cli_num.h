/* SPDX-License-Identifier: BSD-3-Clause
 * Numbers from the command line of the performance programs: the whole
 * argument must be a number within the option's range, and an error names
 * the option, the range and what was given.  atoi() took "12x" as 12 and
 * "x" as 0, so a typo in --cpu pinned a benchmark to CPU 0 and measured
 * something else without a word.
 */
#ifndef HY_PERF_CLI_NUM_H
#define HY_PERF_CLI_NUM_H

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* A whole decimal number in lo..hi into *out; false, after saying why on
 * stderr as "prog: opt wants ...", when s is not one. */
static inline bool hy_cli_num(const char *prog, const char *opt, const char *s, long long lo,
			      long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s wants a whole number %lld..%lld, got '%s'\n", prog, opt, lo,
			hi, s);
		return false;
	}
	*out = v;
	return true;
}

/* A number in lo..hi into *out; false, after saying why, when s is not. */
static inline bool hy_cli_double(const char *prog, const char *opt, const char *s, double lo,
				 double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "%s: %s wants a number %g..%g, got '%s'\n", prog, opt, lo, hi, s);
		return false;
	}
	*out = v;
	return true;
}

/* The long name of option val in getopt_long's table lo, for messages. */
static inline const char *hy_cli_opt_name(const struct option *lo, int val)
{
	for (; lo->name != NULL; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
}

/* hy_cli_num() and hy_cli_double() for option val of table lo, named in the
 * message as the user typed it ("--name"). */
static inline bool hy_cli_opt_num(const char *prog, const struct option *lo, int val,
				  const char *s, long long lo_v, long long hi_v, long long *out)
{
	char name[64];

	snprintf(name, sizeof(name), "--%s", hy_cli_opt_name(lo, val));
	return hy_cli_num(prog, name, s, lo_v, hi_v, out);
}

static inline bool hy_cli_opt_double(const char *prog, const struct option *lo, int val,
				     const char *s, double lo_v, double hi_v, double *out)
{
	char name[64];

	snprintf(name, sizeof(name), "--%s", hy_cli_opt_name(lo, val));
	return hy_cli_double(prog, name, s, lo_v, hi_v, out);
}

#endif /* HY_PERF_CLI_NUM_H */
