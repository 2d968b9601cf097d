/* SPDX-License-Identifier: BSD-3-Clause
 * App keys and admin token files (formats in secrets.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "secrets.h"

_Static_assert(HY_SECRET_DIGEST_LEN == 32, "SHA-256 digests");

void hy_secrets_wipe(struct hy_secrets *s)
{
	explicit_bzero(s, sizeof(*s));
}

static int digest(const char *p, size_t len, uint8_t out[HY_SECRET_DIGEST_LEN])
{
	unsigned int n = 0;
	return EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) == 1 && n == HY_SECRET_DIGEST_LEN
		? 0 : -1;
}

/* Opens path for reading and refuses what secrets must not be: a
 * non-regular file or one that grants group/other any permission. */
static FILE *open_secret(const char *path, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: readable or writable by others (mode %03o): chmod 600 it",
			 path, (unsigned int)(st.st_mode & 0777));
		fclose(f);
		return NULL;
	}
	return f;
}

/* Reads the next line into buf.  Returns 1 with *s at its first
 * non-space character (the line is skipped if blank or a comment), 0 at
 * the end of the file, -1 (err set) for an over-long line. */
static int next_line(FILE *f, char *buf, size_t cap, unsigned int *lineno, char **s,
		     const char *path, char *err, size_t errlen)
{
	while (fgets(buf, (int)cap, f)) {
		(*lineno)++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, *lineno);
			return -1;
		}
		char *p = buf;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		*s = p;
		return 1;
	}
	return 0;
}

/* Checks a secret at p (n bytes, no spaces inside by construction);
 * returns NULL or what is wrong. */
static const char *secret_check(const char *p, size_t n, bool token)
{
	if (n < HY_SECRET_MIN || n > HY_SECRET_MAX)
		return token ? "token must be 32 to 256 characters"
			     : "key must be 32 to 256 characters";
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return token ? "token must be printable ASCII without spaces"
				     : "key must be printable ASCII without spaces";
	return NULL;
}

static size_t token_len(const char *p)
{
	size_t n = 0;
	while (p[n] && !isspace((unsigned char)p[n]))
		n++;
	return n;
}

static bool only_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return *p == '\0';
}

/* Parses "<name> <key>" at s into slot k of s. */
static const char *parse_app_line(char *line, struct hy_secrets *s, unsigned int *dup_line,
				  const unsigned int *lines)
{
	struct hy_app_key key;
	size_t nlen = token_len(line);
	char *k = line + nlen;
	const char *why;

	if (nlen == 0 || nlen >= HY_APP_NAME_MAX)
		return "name must be 1 to 63 characters";
	for (size_t i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)line[i]) && !strchr("._-", line[i]))
			return "name may hold only letters, digits, '.', '_' and '-'";
	while (isspace((unsigned char)*k))
		k++;
	size_t klen = token_len(k);
	if (klen == 0)
		return "expected '<name> <key>'";
	if (!only_space(k + klen))
		return "unexpected text after the key";
	if ((why = secret_check(k, klen, false)) != NULL)
		return why;
	if (s->n_app == HY_APP_KEYS_MAX)
		return "too many keys (at most 256)";
	memset(&key, 0, sizeof(key));
	memcpy(key.name, line, nlen);
	if (digest(k, klen, key.digest) != 0)
		return "cannot hash the key";
	for (unsigned int i = 0; i < s->n_app; i++) {
		if (strcmp(s->app[i].name, key.name) == 0) {
			*dup_line = lines[i];
			return "duplicate name, first on line";
		}
		if (CRYPTO_memcmp(s->app[i].digest, key.digest, HY_SECRET_DIGEST_LEN) == 0) {
			*dup_line = lines[i];
			return "same key as line";
		}
	}
	s->app[s->n_app++] = key;
	explicit_bzero(&key, sizeof(key));
	return NULL;
}

int hy_secrets_load_app_keys(const char *path, struct hy_secrets *s, char *err, size_t errlen)
{
	unsigned int lines[HY_APP_KEYS_MAX]; /* line of each key, for duplicates */
	char buf[512], *line;
	unsigned int lineno = 0, dup = 0;
	int r, rc = -1;
	FILE *f;

	explicit_bzero(s->app, sizeof(s->app));
	s->n_app = 0;
	if ((f = open_secret(path, err, errlen)) == NULL)
		return -1;
	while ((r = next_line(f, buf, sizeof(buf), &lineno, &line, path, err, errlen)) == 1) {
		unsigned int slot = s->n_app;
		const char *why = parse_app_line(line, s, &dup, lines);
		if (why != NULL) {
			if (dup)
				snprintf(err, errlen, "%s:%u: %s %u", path, lineno, why, dup);
			else
				snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto out;
		}
		lines[slot] = lineno;
	}
	if (r < 0)
		goto out;
	if (s->n_app == 0) {
		snprintf(err, errlen, "%s: no key found (expected lines '<name> <key>')", path);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	fclose(f);
	if (rc != 0) {
		explicit_bzero(s->app, sizeof(s->app));
		s->n_app = 0;
	}
	return rc;
}

int hy_secrets_load_admin_token(const char *path, struct hy_secrets *s, char *err,
				size_t errlen)
{
	char buf[512], *line;
	unsigned int lineno = 0, first = 0;
	int r, rc = -1;
	FILE *f;

	explicit_bzero(s->admin_digest, sizeof(s->admin_digest));
	s->has_admin = false;
	if ((f = open_secret(path, err, errlen)) == NULL)
		return -1;
	while ((r = next_line(f, buf, sizeof(buf), &lineno, &line, path, err, errlen)) == 1) {
		size_t n = token_len(line);
		const char *why = secret_check(line, n, true);
		if (first) {
			snprintf(err, errlen, "%s:%u: more than one token (first on line %u)", path,
				 lineno, first);
			goto out;
		}
		if (why == NULL && !only_space(line + n))
			why = "unexpected text after the token";
		if (why == NULL && digest(line, n, s->admin_digest) != 0)
			why = "cannot hash the token";
		if (why != NULL) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto out;
		}
		first = lineno;
	}
	if (r < 0)
		goto out;
	if (!first) {
		snprintf(err, errlen, "%s: no token found (expected one line)", path);
		goto out;
	}
	s->has_admin = true;
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	fclose(f);
	if (rc != 0)
		explicit_bzero(s->admin_digest, sizeof(s->admin_digest));
	return rc;
}

int hy_secrets_load(const char *app_keys_path, const char *admin_token_path,
		    struct hy_secrets *s, char *err, size_t errlen)
{
	hy_secrets_wipe(s);
	if (hy_secrets_load_app_keys(app_keys_path, s, err, errlen) != 0 ||
	    hy_secrets_load_admin_token(admin_token_path, s, err, errlen) != 0)
		goto fail;
	for (unsigned int i = 0; i < s->n_app; i++) {
		if (CRYPTO_memcmp(s->app[i].digest, s->admin_digest, HY_SECRET_DIGEST_LEN) == 0) {
			snprintf(err, errlen, "%s: the admin token is also app key '%s' in %s",
				 admin_token_path, s->app[i].name, app_keys_path);
			goto fail;
		}
	}
	return 0;
fail:
	hy_secrets_wipe(s);
	return -1;
}

enum hy_cred_kind hy_secrets_classify(const struct hy_secrets *s, const char *cred, size_t len,
				      unsigned int *app_index)
{
	uint8_t d[HY_SECRET_DIGEST_LEN];
	unsigned int match = 0, found = 0;

	if (len == 0)
		return HY_CRED_NONE;
	if (len > HY_SECRET_MAX || digest(cred, len, d) != 0)
		return HY_CRED_UNKNOWN;
	/* Every digest is compared; the loop never exits early. */
	for (unsigned int i = 0; i < s->n_app; i++) {
		unsigned int eq = CRYPTO_memcmp(s->app[i].digest, d, sizeof(d)) == 0;
		match |= eq;
		found |= (0u - eq) & i;
	}
	bool admin = s->has_admin && CRYPTO_memcmp(s->admin_digest, d, sizeof(d)) == 0;
	explicit_bzero(d, sizeof(d));
	if (admin)
		return HY_CRED_ADMIN;
	if (match) {
		if (app_index)
			*app_index = found;
		return HY_CRED_APP;
	}
	return HY_CRED_UNKNOWN;
}
