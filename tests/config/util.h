/* SPDX-License-Identifier: BSD-3-Clause
 * Small helpers for the config tests: source files and text edits.
 */
#ifndef HY_TESTS_CONFIG_UTIL_H
#define HY_TESTS_CONFIG_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path of a file in the source tree (HAYATE_SOURCE_ROOT, set by meson). */
static inline char *src_path(const char *rel)
{
	const char *root = getenv("HAYATE_SOURCE_ROOT");
	char *p;

	ck_assert_msg(root != NULL, "HAYATE_SOURCE_ROOT not set");
	ck_assert(asprintf(&p, "%s/%s", root, rel) > 0);
	return p;
}

/* Whole file as a NUL-terminated string; the caller frees it. */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	ck_assert(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert(buf != NULL);
	ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Copy of text with the first "from" replaced by "to"; fails if absent. */
static inline char *replace1(const char *text, const char *from,
			     const char *to)
{
	const char *at = strstr(text, from);
	size_t a, b = strlen(from), c = strlen(to);
	char *out;

	ck_assert_msg(at != NULL, "'%s' not found", from);
	a = (size_t)(at - text);
	out = malloc(strlen(text) - b + c + 1);
	ck_assert(out != NULL);
	memcpy(out, text, a);
	memcpy(out + a, to, c);
	strcpy(out + a + c, at + b);
	return out;
}

/* 1-based line of the first occurrence of needle. */
static inline unsigned int line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle), *p;
	unsigned int line = 1;

	ck_assert_msg(at != NULL, "'%s' not found", needle);
	for (p = text; p < at; p++)
		line += *p == '\n';
	return line;
}

#endif
