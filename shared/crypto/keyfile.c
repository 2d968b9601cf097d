/* SPDX-License-Identifier: BSD-3-Clause
 * Cluster key file reader (format in keyfile.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/keyfile.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void hy_keyring_wipe(struct hy_keyring *k)
{
	explicit_bzero(k, sizeof(*k));
}

/* Parses one non-comment line; returns NULL or what is wrong. */
static const char *parse_line(char *s, struct hy_keyring *k)
{
	char *end;
	errno = 0;
	unsigned long id = strtoul(s, &end, 10);
	if (end == s || errno)
		return "expected '<key id> <32 hex digits>'";
	if (id >= HY_KEYRING_IDS)
		return "key id must be 0..255";
	if (!isspace((unsigned char)*end))
		return "expected a space after the key id";
	while (isspace((unsigned char)*end))
		end++;
	size_t n = 0;
	while (end[n] && !isspace((unsigned char)end[n]))
		n++;
	for (size_t i = n; end[i]; i++)
		if (!isspace((unsigned char)end[i]))
			return "unexpected text after the key";
	if (n != 2 * HY_KEY_LEN)
		return "key must be exactly 32 hex digits";
	if (k->present[id])
		return "duplicate key id";
	for (size_t i = 0; i < HY_KEY_LEN; i++) {
		int hi = hexval(end[2 * i]), lo = hexval(end[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "key must be exactly 32 hex digits";
		k->key[id][i] = (uint8_t)(hi << 4 | lo);
	}
	k->present[id] = true;
	k->newest_id = (uint8_t)id;
	k->count++;
	return NULL;
}

int hy_keyfile_load(const char *path, struct hy_keyring *out, char *err, size_t errlen)
{
	struct hy_keyring k;
	struct stat st;
	char line[512];
	unsigned lineno = 0;
	int rc = -1;
	FILE *f = fopen(path, "re");

	memset(&k, 0, sizeof(k));
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		snprintf(err, errlen, "%s: readable or writable by others (mode %03o): chmod 600 it",
			 path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto out;
		}
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		const char *why = parse_line(s, &k);
		if (why) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto out;
		}
	}
	if (k.count == 0) {
		snprintf(err, errlen, "%s: no key found (expected lines '<key id> <32 hex digits>')",
			 path);
		goto out;
	}
	*out = k;
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	hy_keyring_wipe(&k);
	fclose(f);
	return rc;
}
