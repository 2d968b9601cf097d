/* SPDX-License-Identifier: BSD-3-Clause
 * The schema engine: defaults, conversion and checks, unknown-key
 * suggestions, writing back, documentation helpers, error formatting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf_schema.h"

/* Largest configuration file we read: far above any real one. */
#define HY_CONF_FILE_MAX (1u << 20)

/* Key paths are capped at the size of hy_conf_error.key; a longer one is
 * cut, which only shortens a message. */
static void __attribute__((format(printf, 3, 4)))
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void *at(void *base, size_t off)
{
	return (char *)base + off;
}

static const void *cat(const void *base, size_t off)
{
	return (const char *)base + off;
}

static void store_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = v; break;
	}
}

static uint64_t load_uint(const void *p, size_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: return *(const uint16_t *)p;
	case 4: return *(const uint32_t *)p;
	default: return *(const uint64_t *)p;
	}
}

static int parse_addr(const char *s, struct hy_conf_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	a->family = AF_UNSPEC;
	return -1;
}

void hy_conf_schema_defaults(const struct hy_conf_key *keys, void *base)
{
	const struct hy_conf_key *k;

	for (k = keys; k->name != NULL; k++) {
		void *p = at(base, k->off);

		switch (k->type) {
		case HY_CT_UINT:
			store_uint(p, k->size, k->def);
			break;
		case HY_CT_BOOL:
			*(bool *)p = k->def != 0;
			break;
		case HY_CT_STRING:
			snprintf(p, k->size, "%s", k->def_s ? k->def_s : "");
			break;
		case HY_CT_ADDR:
			if (k->def_s == NULL || parse_addr(k->def_s, p) != 0)
				memset(p, 0, sizeof(struct hy_conf_addr));
			break;
		case HY_CT_SET:
			*(uint32_t *)p = (uint32_t)k->def;
			break;
		case HY_CT_STRLIST:
			memset(p, 0, k->size * k->max);
			*(unsigned int *)at(base, k->count_off) = 0;
			break;
		case HY_CT_GROUP:
			hy_conf_schema_defaults(k->sub, base);
			break;
		case HY_CT_GROUPLIST:
			memset(p, 0, k->size * k->max);
			*(unsigned int *)at(base, k->count_off) = 0;
			break;
		}
	}
}

/* ---- descriptions --------------------------------------------------- */

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void join_names(const char *const *names, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 names[i]);
}

char *hy_conf_key_expected(const struct hy_conf_key *k, char *buf, size_t len)
{
	char names[128];
	const char *fam;

	switch (k->type) {
	case HY_CT_UINT:
		snprintf(buf, len, "%s from %" PRIu64 " to %" PRIu64,
			 k->flags & HY_CK_POW2 ? "a power of two" : "an integer",
			 k->min, k->max);
		break;
	case HY_CT_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case HY_CT_STRING:
		if (k->flags & HY_CK_SHM)
			snprintf(buf, len, "a shared-memory name: '/' then 1 to "
				 "%" PRIu64 " characters other than '/'",
				 k->max - 1);
		else if (k->flags & HY_CK_NAME)
			snprintf(buf, len, "%" PRIu64 " to %" PRIu64 " letters, "
				 "digits, '.', '_' or '-'", k->min, k->max);
		else if ((k->flags & HY_CK_HOSTPORT) && k->min == 0)
			snprintf(buf, len, "\"\" or a \"host:port\" string of "
				 "at most %" PRIu64 " characters", k->max);
		else if (k->flags & HY_CK_HOSTPORT)
			snprintf(buf, len, "a \"host:port\" string of at most "
				 "%" PRIu64 " characters", k->max);
		else if (k->flags & HY_CK_PATH)
			snprintf(buf, len, "a path of %" PRIu64 " to %" PRIu64
				 " characters; a relative one starts from the "
				 "file's directory", k->min, k->max);
		else
			snprintf(buf, len, "a string of %" PRIu64 " to %" PRIu64
				 " characters", k->min, k->max);
		break;
	case HY_CT_ADDR:
		fam = (k->flags & (HY_CK_V4 | HY_CK_V6)) == HY_CK_V4 ? "IPv4" :
		      (k->flags & (HY_CK_V4 | HY_CK_V6)) == HY_CK_V6 ? "IPv6" :
		      "IPv4 or IPv6";
		snprintf(buf, len, "%s %s address%s",
			 k->flags & HY_CK_UNICAST ? "a unicast" : "an", fam,
			 k->flags & HY_CK_UNICAST ? "" : " (0.0.0.0 or :: for any)");
		break;
	case HY_CT_SET:
		join_names(k->names, names, sizeof(names));
		snprintf(buf, len, "a list of %" PRIu64 " to %" PRIu64
			 " distinct names from: %s", k->min, k->max, names);
		break;
	case HY_CT_STRLIST:
		snprintf(buf, len, "a list of %" PRIu64 " to %" PRIu64
			 " distinct %s", k->min, k->max,
			 k->flags & HY_CK_HOSTPORT ?
			 "\"host:port\" strings" : "strings");
		break;
	case HY_CT_GROUP:
		snprintf(buf, len, "a group");
		break;
	case HY_CT_GROUPLIST:
		snprintf(buf, len, "a list of %" PRIu64 " to %" PRIu64
			 " group%s", k->min, k->max, plural(k->max));
		break;
	}
	return buf;
}

static void quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (; *s != '\0' && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

static void write_names(const struct hy_conf_key *k, uint32_t bits,
			char *buf, size_t len)
{
	size_t used = 0;
	int i, n = 0;

	used += snprintf(buf, len, "[");
	for (i = 0; k->names[i] != NULL && used < len; i++)
		if (bits & (1u << i))
			used += snprintf(buf + used, len - used, "%s\"%s\"",
					 n++ ? ", " : "", k->names[i]);
	if (used < len)
		snprintf(buf + used, len - used, "]");
}

char *hy_conf_key_default(const struct hy_conf_key *k,
			  enum hy_conf_syntax syntax, char *buf, size_t len)
{
	(void)syntax; /* defaults read the same in both syntaxes */
	if (k->flags & HY_CK_REQUIRED) {
		snprintf(buf, len, "required");
		return buf;
	}
	switch (k->type) {
	case HY_CT_UINT:
		snprintf(buf, len, "%" PRIu64, k->def);
		break;
	case HY_CT_BOOL:
		snprintf(buf, len, "%s", k->def ? "true" : "false");
		break;
	case HY_CT_STRING:
		quote(k->def_s ? k->def_s : "", buf, len);
		break;
	case HY_CT_ADDR:
		if (k->def_s == NULL)
			snprintf(buf, len, "unset");
		else
			quote(k->def_s, buf, len);
		break;
	case HY_CT_SET:
		write_names(k, (uint32_t)k->def, buf, len);
		break;
	case HY_CT_STRLIST:
		snprintf(buf, len, "[]");
		break;
	case HY_CT_GROUP:
	case HY_CT_GROUPLIST:
		snprintf(buf, len, "-");
		break;
	}
	return buf;
}

static void describe(const struct hy_cnode *n, char *buf, size_t len)
{
	switch (n->kind) {
	case HY_CN_MAP: snprintf(buf, len, "a group"); break;
	case HY_CN_LIST: snprintf(buf, len, "a list"); break;
	case HY_CN_INT: snprintf(buf, len, "%" PRId64, n->ival); break;
	case HY_CN_FLOAT: snprintf(buf, len, "a floating-point number"); break;
	case HY_CN_BOOL: snprintf(buf, len, "%s", n->bval ? "true" : "false");
		break;
	case HY_CN_STR: snprintf(buf, len, "\"%.40s\"", n->text); break;
	case HY_CN_PLAIN: snprintf(buf, len, "'%.40s'", n->text); break;
	}
}

/* Fail with "expected X, got Y" (or a specific why instead of got). */
static int bad(struct hy_conf_ctx *ctx, const struct hy_conf_key *k,
	       const struct hy_cnode *n, const char *path, const char *why)
{
	char exp[200], got[64];

	hy_conf_key_expected(k, exp, sizeof(exp));
	if (why != NULL) {
		hy_conf_fail(ctx->err, HY_R_CONFIG_BAD_VALUE, n->line, path,
			     "%s (expected %s)", why, exp);
	} else {
		describe(n, got, sizeof(got));
		hy_conf_fail(ctx->err, HY_R_CONFIG_BAD_VALUE, n->line, path,
			     "expected %s, got %s", exp, got);
	}
	return -1;
}

/* ---- unknown keys --------------------------------------------------- */

/* Levenshtein distance with one row; hand-written because none of our
 * libraries offers it and key names are short (capped at 64). */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int row[65], i, j, la = strlen(a), lb = strlen(b);

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned int diag = row[0], tmp;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned int best = diag + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			diag = tmp;
		}
	}
	return row[lb];
}

static int unknown(struct hy_conf_ctx *ctx, const struct hy_conf_key *keys,
		   const struct hy_cnode *n, const char *path)
{
	const struct hy_conf_key *k, *best = NULL;
	unsigned int d, best_d = ~0u;
	/* a typo, not a different word: at most a third of the name */
	unsigned int limit = strlen(n->key) / 3 > 1 ? strlen(n->key) / 3 : 1;

	for (k = keys; k->name != NULL; k++) {
		d = edit_distance(n->key, k->name);
		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	if (best != NULL && best_d <= limit)
		hy_conf_fail(ctx->err, HY_R_CONFIG_UNKNOWN_KEY, n->line, path,
			     "unknown key (did you mean %s?)", best->name);
	else
		hy_conf_fail(ctx->err, HY_R_CONFIG_UNKNOWN_KEY, n->line, path,
			     "unknown key");
	return -1;
}

/* ---- conversion ----------------------------------------------------- */

static bool has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Scalar text of a string value (quoted, or YAML plain), or NULL. */
static const char *str_of(const struct hy_cnode *n)
{
	return n->kind == HY_CN_STR || n->kind == HY_CN_PLAIN ? n->text : NULL;
}

static int conv_uint(struct hy_conf_ctx *ctx, const struct hy_conf_key *k,
		     const struct hy_cnode *n, void *p, const char *path)
{
	uint64_t v;

	if (n->kind == HY_CN_INT) {
		if (n->ival < 0)
			return bad(ctx, k, n, path, NULL);
		v = (uint64_t)n->ival;
	} else if (n->kind == HY_CN_PLAIN) {
		const char *s = n->text;
		char *end;

		if (s[0] < '0' || s[0] > '9')
			return bad(ctx, k, n, path, NULL);
		errno = 0;
		v = strtoull(s, &end, 0);
		if (errno != 0 || *end != '\0')
			return bad(ctx, k, n, path, NULL);
	} else {
		return bad(ctx, k, n, path, NULL);
	}
	if (v < k->min || v > k->max)
		return bad(ctx, k, n, path, NULL);
	if ((k->flags & HY_CK_POW2) && (v & (v - 1)) != 0)
		return bad(ctx, k, n, path, NULL);
	store_uint(p, k->size, v);
	return 0;
}

static int conv_bool(struct hy_conf_ctx *ctx, const struct hy_conf_key *k,
		     const struct hy_cnode *n, void *p, const char *path)
{
	static const char *const yes[] = { "true", "True", "TRUE", NULL };
	static const char *const no[] = { "false", "False", "FALSE", NULL };
	int i;

	if (n->kind == HY_CN_BOOL) {
		*(bool *)p = n->bval;
		return 0;
	}
	if (n->kind == HY_CN_PLAIN) {
		for (i = 0; yes[i] != NULL; i++)
			if (strcmp(n->text, yes[i]) == 0) {
				*(bool *)p = true;
				return 0;
			}
		for (i = 0; no[i] != NULL; i++)
			if (strcmp(n->text, no[i]) == 0) {
				*(bool *)p = false;
				return 0;
			}
	}
	return bad(ctx, k, n, path, NULL);
}

static bool name_chars(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

static bool hostport_ok(const char *s);

static int conv_string(struct hy_conf_ctx *ctx, const struct hy_conf_key *k,
		       const struct hy_cnode *n, char *p, const char *path)
{
	const char *s = str_of(n);
	size_t l;

	if (s == NULL)
		return bad(ctx, k, n, path, NULL);
	l = strlen(s);
	if (l < k->min || l > k->max)
		return bad(ctx, k, n, path, NULL);
	if (has_ctl(s))
		return bad(ctx, k, n, path, "control characters");
	if ((k->flags & HY_CK_NAME) && !name_chars(s))
		return bad(ctx, k, n, path, NULL);
	if ((k->flags & HY_CK_SHM) && (s[0] != '/' || l < 2 ||
				      strchr(s + 1, '/') != NULL))
		return bad(ctx, k, n, path, NULL);
	if ((k->flags & HY_CK_HOSTPORT) && l > 0 && !hostport_ok(s))
		return bad(ctx, k, n, path, NULL);
	memset(p, 0, k->size); /* no bytes of the default left behind */
	if ((k->flags & HY_CK_PATH) && s[0] != '/' && ctx->base_dir != NULL) {
		int w = snprintf(p, k->size, "%s/%s", ctx->base_dir, s);

		if (w < 0 || (size_t)w >= k->size)
			return bad(ctx, k, n, path, "too long once made "
				   "relative to the file's directory");
		return 0;
	}
	memcpy(p, s, l + 1);
	return 0;
}

static bool addr_is_host(const struct hy_conf_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t v = ntohl(a->v4.s_addr);

		return v != 0 && v != 0xffffffffu && (v >> 28) != 0xe;
	}
	return !IN6_IS_ADDR_UNSPECIFIED(&a->v6) &&
	       !IN6_IS_ADDR_MULTICAST(&a->v6);
}

static int conv_addr(struct hy_conf_ctx *ctx, const struct hy_conf_key *k,
		     const struct hy_cnode *n, struct hy_conf_addr *a,
		     const char *path)
{
	const char *s = str_of(n);
	struct hy_conf_addr v;

	if (s == NULL || parse_addr(s, &v) != 0)
		return bad(ctx, k, n, path, NULL);
	if (v.family == AF_INET && !(k->flags & HY_CK_V4))
		return bad(ctx, k, n, path, NULL);
	if (v.family == AF_INET6 && !(k->flags & HY_CK_V6))
		return bad(ctx, k, n, path, NULL);
	if ((k->flags & HY_CK_UNICAST) && !addr_is_host(&v))
		return bad(ctx, k, n, path, NULL);
	*a = v;
	return 0;
}

/* "host:port": host an IPv4 address, "[IPv6]" or a DNS name; port 1-65535.
 * Hand-written: getaddrinfo would resolve names, we only check syntax. */
int hy_conf_hostport_split(const char *s, char *host, size_t hostlen,
			   uint16_t *port)
{
	const char *colon, *p, *h = s;
	struct in6_addr a6;
	size_t hl, label = 0;
	unsigned long v;
	char *end;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hl = close - h;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s)
			return -1;
		hl = colon - h;
		if (hl > 253)
			return -1;
		for (p = h; p < colon; p++) {
			bool ok = (*p >= 'a' && *p <= 'z') ||
				  (*p >= 'A' && *p <= 'Z') ||
				  (*p >= '0' && *p <= '9') || *p == '-';

			if (*p == '.') {
				if (label == 0)
					return -1;
				label = 0;
			} else if (!ok || ++label > 63) {
				return -1;
			}
		}
		if (label == 0)
			return -1;
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (s[0] == '[' && inet_pton(AF_INET6, host, &a6) != 1)
		return -1;
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static bool hostport_ok(const char *s)
{
	char host[HY_CONF_HOSTPORT_MAX];
	uint16_t port;

	return hy_conf_hostport_split(s, host, sizeof(host), &port) == 0;
}

static int conv_list_items(struct hy_conf_ctx *ctx,
			   const struct hy_conf_key *k,
			   const struct hy_cnode *n, void *base,
			   const char *path)
{
	char sub[sizeof(ctx->err->key)];
	uint32_t bits = 0;
	unsigned int i, j;

	if (n->kind != HY_CN_LIST || n->nb_kids < k->min || n->nb_kids > k->max)
		return bad(ctx, k, n, path, NULL);
	for (i = 0; i < n->nb_kids; i++) {
		const struct hy_cnode *e = n->kids[i];
		const char *s = str_of(e);

		pathf(sub, sizeof(sub), "%s[%u]", path, i);
		if (s == NULL)
			return bad(ctx, k, e, sub, NULL);
		for (j = 0; j < i; j++)
			if (str_of(n->kids[j]) &&
			    strcmp(str_of(n->kids[j]), s) == 0)
				return bad(ctx, k, e, sub, "listed twice");
		if (k->type == HY_CT_SET) {
			for (j = 0; k->names[j] != NULL; j++)
				if (strcmp(k->names[j], s) == 0)
					break;
			if (k->names[j] == NULL)
				return bad(ctx, k, e, sub, NULL);
			bits |= 1u << j;
			continue;
		}
		if (strlen(s) >= k->size || has_ctl(s) ||
		    ((k->flags & HY_CK_HOSTPORT) && !hostport_ok(s)))
			return bad(ctx, k, e, sub, NULL);
		memcpy((char *)at(base, k->off) + i * k->size, s,
		       strlen(s) + 1);
	}
	if (k->type == HY_CT_SET)
		*(uint32_t *)at(base, k->off) = bits;
	else
		*(unsigned int *)at(base, k->count_off) = n->nb_kids;
	return 0;
}

static bool is_null(const struct hy_cnode *n)
{
	return n->kind == HY_CN_PLAIN && (n->text[0] == '\0' ||
		strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0);
}

static int conv_group_list(struct hy_conf_ctx *ctx,
			   const struct hy_conf_key *k,
			   const struct hy_cnode *n, void *base,
			   const char *path)
{
	char sub[sizeof(ctx->err->key)];
	unsigned int i;

	if (n->kind != HY_CN_LIST || n->nb_kids < k->min || n->nb_kids > k->max)
		return bad(ctx, k, n, path, NULL);
	for (i = 0; i < n->nb_kids; i++) {
		void *elem = at(base, k->off + i * k->size);

		pathf(sub, sizeof(sub), "%s[%u]", path, i);
		if (n->kids[i]->kind != HY_CN_MAP)
			return bad(ctx, k, n->kids[i], sub, NULL);
		hy_conf_schema_defaults(k->sub, elem);
		if (hy_conf_schema_load(ctx, k->sub, n->kids[i], elem, sub) != 0)
			return -1;
	}
	*(unsigned int *)at(base, k->count_off) = n->nb_kids;
	return 0;
}

static const struct hy_cnode empty_map = { .kind = HY_CN_MAP };

static int convert(struct hy_conf_ctx *ctx, const struct hy_conf_key *k,
		   const struct hy_cnode *n, void *base, const char *path)
{
	void *p = at(base, k->off);

	switch (k->type) {
	case HY_CT_UINT:
		return conv_uint(ctx, k, n, p, path);
	case HY_CT_BOOL:
		return conv_bool(ctx, k, n, p, path);
	case HY_CT_STRING:
		return conv_string(ctx, k, n, p, path);
	case HY_CT_ADDR:
		return conv_addr(ctx, k, n, p, path);
	case HY_CT_SET:
	case HY_CT_STRLIST:
		return conv_list_items(ctx, k, n, base, path);
	case HY_CT_GROUP:
		if (is_null(n)) { /* YAML "key:" with everything commented */
			struct hy_cnode m = empty_map;

			m.line = n->line;
			return hy_conf_schema_load(ctx, k->sub, &m, base, path);
		}
		if (n->kind != HY_CN_MAP)
			return bad(ctx, k, n, path, NULL);
		return hy_conf_schema_load(ctx, k->sub, n, base, path);
	case HY_CT_GROUPLIST:
		return conv_group_list(ctx, k, n, base, path);
	}
	return bad(ctx, k, n, path, NULL);
}

int hy_conf_schema_load(struct hy_conf_ctx *ctx, const struct hy_conf_key *keys,
			const struct hy_cnode *map, void *base,
			const char *path)
{
	char sub[sizeof(ctx->err->key)], exp[200];
	const struct hy_conf_key *k;
	unsigned int i;

	/* file order first, so the error reported is the earliest one */
	for (i = 0; i < map->nb_kids; i++) {
		const struct hy_cnode *n = map->kids[i];

		pathf(sub, sizeof(sub), "%s%s%.64s", path, path[0] ? "." : "",
		      n->key[0] ? n->key : "\"\""); /* YAML allows "" */
		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, n->key) == 0)
				break;
		if (k->name == NULL)
			return unknown(ctx, keys, n, sub);
		if (convert(ctx, k, n, base, sub) != 0)
			return -1;
	}
	for (k = keys; k->name != NULL; k++) {
		bool need = (k->flags & HY_CK_REQUIRED) ||
			    (k->type == HY_CT_GROUPLIST && k->min > 0);

		if (hy_cnode_get(map, k->name) != NULL)
			continue;
		pathf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			 k->name);
		if (need) {
			hy_conf_fail(ctx->err, HY_R_CONFIG_MISSING, map->line,
				     sub, "required key missing (expected %s)",
				     hy_conf_key_expected(k, exp, sizeof(exp)));
			return -1;
		}
		/* a group the file leaves out may still hold required keys */
		if (k->type == HY_CT_GROUP) {
			struct hy_cnode m = empty_map;

			m.line = map->line;
			if (hy_conf_schema_load(ctx, k->sub, &m, base, sub) != 0)
				return -1;
		}
	}
	return 0;
}

unsigned int hy_conf_line_of(const struct hy_cnode *root, const char *path)
{
	const struct hy_cnode *n = root;
	unsigned int line = 0;
	const char *p = path;

	while (n != NULL && *p != '\0') {
		char key[80];
		size_t l = strcspn(p, ".[");

		if (l > 0) {
			if (l >= sizeof(key))
				break;
			memcpy(key, p, l);
			key[l] = '\0';
			n = hy_cnode_get(n, key);
			p += l;
		} else if (*p == '[') {
			unsigned long idx = strtoul(p + 1, NULL, 10);

			n = n->kind == HY_CN_LIST && idx < n->nb_kids ?
			    n->kids[idx] : NULL;
			p = strchr(p, ']');
			p = p ? p + 1 : "";
		} else {
			p++; /* '.' */
			continue;
		}
		if (n != NULL && n->line != 0)
			line = n->line;
	}
	return line;
}

/* ---- writing -------------------------------------------------------- */

static void indent(FILE *f, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		fputs("  ", f);
}

static void write_scalar(const struct hy_conf_key *k, const void *p,
			 enum hy_conf_syntax syntax, FILE *f)
{
	char buf[HY_CONF_PATH_MAX * 2 + 4];
	uint64_t v;

	switch (k->type) {
	case HY_CT_UINT:
		v = load_uint(p, k->size);
		/* libconfig reads integers past 2^31-1 only with an L suffix */
		fprintf(f, "%" PRIu64 "%s", v, syntax == HY_SYNTAX_LIBCONFIG &&
			v > INT32_MAX ? "L" : "");
		break;
	case HY_CT_BOOL:
		fputs(*(const bool *)p ? "true" : "false", f);
		break;
	case HY_CT_STRING:
		quote(p, buf, sizeof(buf));
		fputs(buf, f);
		break;
	case HY_CT_ADDR:
		hy_conf_addr_format(p, buf, sizeof(buf));
		fprintf(f, "\"%s\"", buf);
		break;
	default:
		break;
	}
}

static void write_keys(const struct hy_conf_key *keys, const void *base,
		       enum hy_conf_syntax syntax, FILE *f, int depth,
		       bool first_dash)
{
	const bool lc = syntax == HY_SYNTAX_LIBCONFIG;
	const char *assign = lc ? " = " : ": ";
	const char *end = lc ? ";\n" : "\n";
	const struct hy_conf_key *k;
	char buf[512];
	unsigned int i, count;

	for (k = keys; k->name != NULL; k++) {
		const void *p = cat(base, k->off);

		if (k->type == HY_CT_ADDR &&
		    ((const struct hy_conf_addr *)p)->family == AF_UNSPEC)
			continue; /* optional and unset */
		if (first_dash) {
			indent(f, depth - 1);
			fputs("- ", f);
			first_dash = false;
		} else {
			indent(f, depth);
		}
		switch (k->type) {
		case HY_CT_GROUP:
			fprintf(f, "%s%s", k->name, lc ? " = {\n" : ":\n");
			write_keys(k->sub, base, syntax, f, depth + 1, false);
			if (lc) {
				indent(f, depth);
				fputs("};\n", f);
			}
			break;
		case HY_CT_GROUPLIST:
			count = *(const unsigned int *)cat(base, k->count_off);
			if (!lc) {
				fprintf(f, "%s:%s\n", k->name, count ? "" : " []");
				for (i = 0; i < count; i++)
					write_keys(k->sub, cat(p, i * k->size),
						   syntax, f, depth + 2, true);
				break;
			}
			fprintf(f, "%s = (\n", k->name);
			for (i = 0; i < count; i++) {
				indent(f, depth + 1);
				fputs("{\n", f);
				write_keys(k->sub, cat(p, i * k->size), syntax,
					   f, depth + 2, false);
				indent(f, depth + 1);
				fputs(i + 1 < count ? "},\n" : "}\n", f);
			}
			indent(f, depth);
			fputs(");\n", f);
			break;
		case HY_CT_SET:
			write_names(k, *(const uint32_t *)p, buf, sizeof(buf));
			fprintf(f, "%s%s%s%s", k->name, assign, buf, end);
			break;
		case HY_CT_STRLIST:
			count = *(const unsigned int *)cat(base, k->count_off);
			fprintf(f, "%s%s[", k->name, assign);
			for (i = 0; i < count; i++) {
				quote((const char *)p + i * k->size, buf,
				      sizeof(buf));
				fprintf(f, "%s%s", i ? ", " : "", buf);
			}
			fprintf(f, "]%s", end);
			break;
		default:
			fprintf(f, "%s%s", k->name, assign);
			write_scalar(k, p, syntax, f);
			fputs(end, f);
			break;
		}
	}
}

int hy_conf_schema_write(const struct hy_conf_key *keys, const void *base,
			 enum hy_conf_syntax syntax, FILE *f)
{
	write_keys(keys, base, syntax, f, 0, false);
	return ferror(f) ? -1 : 0;
}

/* ---- documentation -------------------------------------------------- */

static void foreach(const struct hy_conf_key *keys, const char *prefix,
		    hy_conf_key_cb *cb, void *arg)
{
	const struct hy_conf_key *k;
	char path[160];

	for (k = keys; k->name != NULL; k++) {
		pathf(path, sizeof(path), "%s%s%s%s", prefix,
			 prefix[0] ? "." : "", k->name,
			 k->type == HY_CT_GROUPLIST ? "[]" : "");
		if (k->type == HY_CT_GROUP || k->type == HY_CT_GROUPLIST) {
			if (k->type == HY_CT_GROUPLIST)
				cb(path, k, arg);
			foreach(k->sub, path, cb, arg);
		} else {
			cb(path, k, arg);
		}
	}
}

void hy_conf_schema_foreach(const struct hy_conf_key *keys, hy_conf_key_cb *cb,
			    void *arg)
{
	foreach(keys, "", cb, arg);
}

/* ---- shared helpers ------------------------------------------------- */

/* Read a whole file into a NUL-terminated malloc'd buffer. */
static char *read_file(const char *path, size_t *len,
		       struct hy_conf_error *err)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		hy_conf_fail(err, HY_R_CONFIG_MISSING, 0, NULL,
			     "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > HY_CONF_FILE_MAX) {
		hy_conf_fail(err, HY_R_CONFIG_BAD_VALUE, 0, NULL,
			     "not a regular file of at most %u bytes",
			     HY_CONF_FILE_MAX);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		hy_conf_fail(err, HY_R_CONFIG_BAD_VALUE, 0, NULL,
			     "out of memory");
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, buf + off, (size_t)st.st_size - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* a file that shrank reads as what is there */
		off += (size_t)got;
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
}

/* Directory part of name, or NULL when name has none (then relative
 * paths stay as written). */
static const char *base_dir(const char *name, char *buf, size_t len)
{
	const char *slash = strrchr(name, '/');

	if (slash == NULL || (size_t)(slash - name) + 1 > len)
		return NULL;
	if (slash == name) {
		snprintf(buf, len, "/");
		return buf;
	}
	memcpy(buf, name, slash - name);
	buf[slash - name] = '\0';
	return buf;
}

char *hy_conf_error_format(const struct hy_conf_error *err, char *buf,
			   size_t len)
{
	char line[16] = "";
	size_t i;

	if (len == 0)
		return buf;
	if (err->line != 0)
		snprintf(line, sizeof(line), ":%u", err->line);
	if (err->key[0] != '\0')
		snprintf(buf, len, "%s%s: %s: %s", err->file, line, err->key,
			 err->msg);
	else
		snprintf(buf, len, "%s%s: %s", err->file, line, err->msg);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

char *hy_conf_addr_format(const struct hy_conf_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (a->family == AF_INET)
		inet_ntop(AF_INET, &a->v4, buf, len);
	else if (a->family == AF_INET6)
		inet_ntop(AF_INET6, &a->v6, buf, len);
	return buf;
}

int hy_conf_rule_fail(struct hy_conf_ctx *ctx, enum hy_reason reason,
		      const char *path, const char *fmt, ...)
{
	va_list ap;

	hy_conf_fail(ctx->err, reason, hy_conf_line_of(ctx->root, path), path,
		     "%s", "");
	va_start(ap, fmt);
	vsnprintf(ctx->err->msg, sizeof(ctx->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int hy_conf_load_text(const struct hy_conf_kind *kind, const char *text,
		      size_t len, const char *name, void *out,
		      struct hy_conf_error *err)
{
	struct hy_conf_error local;
	struct hy_conf_ctx ctx;
	struct hy_cnode *root;
	char dir[HY_CONF_PATH_MAX];
	void *tmp = NULL;
	char *copy;
	int rc = -1;

	if (err == NULL)
		err = &local;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name);
	memset(out, 0, kind->size);
	hy_conf_schema_defaults(kind->schema, out);

	/* libconfig wants a NUL-terminated string */
	copy = malloc(len + 1);
	tmp = malloc(kind->size);
	if (copy == NULL || tmp == NULL) {
		hy_conf_fail(err, HY_R_CONFIG_BAD_VALUE, 0, "(file)",
			     "out of memory");
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	root = kind->syntax == HY_SYNTAX_LIBCONFIG ?
	       hy_cnode_from_libconfig(copy, len, err) :
	       hy_cnode_from_yaml(copy, len, err);
	if (root == NULL)
		goto out;

	/* load into a scratch copy: out changes only when all is well */
	memset(tmp, 0, kind->size);
	hy_conf_schema_defaults(kind->schema, tmp);
	ctx.err = err;
	ctx.base_dir = base_dir(name, dir, sizeof(dir));
	ctx.root = root;
	if (hy_conf_schema_load(&ctx, kind->schema, root, tmp, "") == 0 &&
	    (kind->check == NULL || kind->check(&ctx, tmp) == 0)) {
		memcpy(out, tmp, kind->size);
		rc = 0;
	}
	hy_cnode_free(root);
out:
	if (rc == 0) {
		err->reason = HY_R_OK;
		err->line = 0;
		err->key[0] = '\0';
		err->msg[0] = '\0';
	} else if (err->reason == HY_R_OK) {
		hy_conf_fail(err, HY_R_CONFIG_BAD_VALUE, 0, "(file)",
			     "invalid");
	}
	free(tmp);
	free(copy);
	return rc;
}

int hy_conf_load_file(const struct hy_conf_kind *kind, const char *path,
		      void *out, struct hy_conf_error *err)
{
	struct hy_conf_error local;
	size_t len = 0;
	char *text;
	int rc;

	if (err == NULL)
		err = &local;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	text = read_file(path, &len, err);
	if (text == NULL) {
		memset(out, 0, kind->size);
		hy_conf_schema_defaults(kind->schema, out);
		return -1;
	}
	rc = hy_conf_load_text(kind, text, len, path, out, err);
	free(text);
	return rc;
}
