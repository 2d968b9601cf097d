/* SPDX-License-Identifier: BSD-3-Clause
 * Secrets of the HTTP API: the app keys of the game's app servers (for
 * POST /v1/auth and the endpoint API) and the admin token (for /v1/...).
 *
 * App keys file: one key per line, "<name> <key>".  name is 1..63 of
 * [A-Za-z0-9._-] and only identifies the key (e.g. for rotation: two keys
 * can be live at once); key is 32..256 printable ASCII characters without
 * spaces.  Admin token file: one line, the token (same character rules).
 * In both, blank lines and lines starting with '#' are ignored.  Both
 * files must be regular files that grant no permission to group or others
 * (chmod 600), or they are refused.
 *
 * Only the SHA-256 digest of each secret is kept in memory; a presented
 * credential is hashed and compared with CRYPTO_memcmp against every
 * digest, so neither the time taken nor an early exit depends on the
 * secrets.  Errors name the file and line, never a secret.
 */
#ifndef HY_CP_HTTP_SECRETS_H
#define HY_CP_HTTP_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HY_SECRET_MIN 32u       /* shortest accepted key or token */
#define HY_SECRET_MAX 256u      /* longest */
#define HY_APP_KEYS_MAX 256u    /* app keys in one file */
#define HY_APP_NAME_MAX 64u     /* key name, with NUL */
#define HY_SECRET_DIGEST_LEN 32u

struct hy_app_key {
	char name[HY_APP_NAME_MAX];
	uint8_t digest[HY_SECRET_DIGEST_LEN];
};

struct hy_secrets {
	struct hy_app_key app[HY_APP_KEYS_MAX];
	unsigned int n_app;
	bool has_admin;
	uint8_t admin_digest[HY_SECRET_DIGEST_LEN];
};

/* What a presented credential turned out to be. */
enum hy_cred_kind {
	HY_CRED_NONE = 0,  /* nothing presented */
	HY_CRED_UNKNOWN,   /* presented, matches no secret */
	HY_CRED_APP,       /* one of the app keys */
	HY_CRED_ADMIN,     /* the admin token */
};

/* Loads the app keys file into s->app (replacing them).  Returns 0, or -1
 * with "FILE[:LINE]: what is wrong" in err; s->app is then empty.
 * Refuses: unreadable or non-regular file, group/other permissions, a line
 * that is not "<name> <key>", a bad name or key, a duplicate name or key,
 * more than HY_APP_KEYS_MAX keys, no key at all. */
int hy_secrets_load_app_keys(const char *path, struct hy_secrets *s, char *err, size_t errlen);

/* Loads the admin token file (exactly one token line).  Same contract as
 * hy_secrets_load_app_keys(); s->has_admin is false after a failure. */
int hy_secrets_load_admin_token(const char *path, struct hy_secrets *s, char *err,
				size_t errlen);

/* Loads both files into *s and refuses an admin token equal to an app key
 * (the two kinds must be told apart).  Returns 0, or -1 with err set and
 * *s wiped. */
int hy_secrets_load(const char *app_keys_path, const char *admin_token_path,
		    struct hy_secrets *s, char *err, size_t errlen);

/* Classifies a presented credential of len bytes (not NUL-terminated).
 * On HY_CRED_APP, *app_index (if not NULL) gets the key's index. */
enum hy_cred_kind hy_secrets_classify(const struct hy_secrets *s, const char *cred, size_t len,
				      unsigned int *app_index);

/* Zeroes *s. */
void hy_secrets_wipe(struct hy_secrets *s);

#endif /* HY_CP_HTTP_SECRETS_H */
