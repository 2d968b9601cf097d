/* SPDX-License-Identifier: BSD-3-Clause
 * Checks every test vector printed in docs/protocol.md against both AEAD
 * backends, so the document cannot drift from the code.  The file is
 * found through HAYATE_SOURCE_ROOT.
 */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>

#include "crypto/cookie.h"
#include "crypto/token.h"
#include "testutil.h"

#define MAX_FIELDS 16
#define MAX_VALUE 512

struct field {
	char name[32];
	uint8_t v[MAX_VALUE];
	long len;
};

struct vector {
	char kind[32];
	int line; /* of the opening fence, for messages */
	int n;
	struct field f[MAX_FIELDS];
};

static int n_data, n_token, n_cookie;

static const struct field *get(const struct vector *v, const char *name, long len)
{
	for (int i = 0; i < v->n; i++) {
		if (strcmp(v->f[i].name, name) != 0)
			continue;
		ck_assert_msg(len < 0 || v->f[i].len == len,
			      "line %d: %s has %ld bytes, want %ld", v->line, name,
			      v->f[i].len, len);
		return &v->f[i];
	}
	ck_abort_msg("line %d: vector %s lacks field %s", v->line, v->kind, name);
	return NULL;
}

static uint64_t get_be(const struct vector *v, const char *name, long len)
{
	const struct field *f = get(v, name, len);
	uint64_t x = 0;
	for (long i = 0; i < f->len; i++)
		x = x << 8 | f->v[i];
	return x;
}

static void check_data_packet(const struct vector *v, enum hy_aead_backend b)
{
	const struct field *key = get(v, "key", 16), *nonce = get(v, "nonce", 12);
	const struct field *aad = get(v, "aad", HY_DATA_HEADER_LEN);
	const struct field *pt = get(v, "plaintext", -1);
	const struct field *sealed = get(v, "sealed", pt->len + HY_TAG_LEN);
	uint64_t pn = get_be(v, "packet_number", 8);
	uint8_t n[HY_NONCE_BUF_LEN], out[MAX_VALUE], tag[16];
	struct hy_aead_ctx c;

	hy_aead_packet_nonce(n, pn);
	ck_assert_mem_eq(n, nonce->v, 12);
	/* The header's packet number is the nonce's. */
	ck_assert_mem_eq(aad->v + 9, n + 4, 8);
	ck_assert_int_eq(hy_aead_key_init(&c, b, key->v), 0);
	ck_assert_int_eq(hy_aead_seal(&c, n, aad->v, (size_t)aad->len, pt->v, (size_t)pt->len,
				      out, tag), 0);
	ck_assert_mem_eq(out, sealed->v, (size_t)pt->len);
	ck_assert_mem_eq(tag, sealed->v + pt->len, 16);
	ck_assert_int_eq(hy_aead_open(&c, n, aad->v, (size_t)aad->len, sealed->v,
				      (size_t)pt->len, out, sealed->v + pt->len), 0);
	ck_assert_mem_eq(out, pt->v, (size_t)pt->len);
	memcpy(tag, sealed->v + pt->len, 16);
	tag[15] ^= 1;
	ck_assert_int_eq(hy_aead_open(&c, n, aad->v, (size_t)aad->len, sealed->v,
				      (size_t)pt->len, out, tag), -1);
}

static void check_token(const struct vector *v, enum hy_aead_backend b)
{
	const struct field *key = get(v, "cluster_key", 16), *nonce = get(v, "nonce", 12);
	const struct field *uid = get(v, "uid", -1), *tok = get(v, "token", HY_TOKEN_LEN);
	uint8_t key_id = (uint8_t)get_be(v, "key_id", 1);
	uint32_t node = (uint32_t)get_be(v, "node_id", 4);
	uint64_t expire = get_be(v, "expire_at", 8);
	struct hy_token_private p = {0}, q;
	struct hy_token_public pub;
	struct hy_aead_ctx c;
	uint8_t out[HY_TOKEN_LEN];

	ck_assert(uid->len >= 1 && uid->len <= (long)HY_UID_MAX);
	p.sid = get_be(v, "sid", 8);
	p.transport = (uint8_t)get_be(v, "transport", 1);
	p.uid_len = (uint8_t)uid->len;
	memcpy(p.uid, uid->v, (size_t)uid->len);
	memcpy(p.c2s_key, get(v, "c2s_key", 16)->v, 16);
	memcpy(p.s2c_key, get(v, "s2c_key", 16)->v, 16);

	ck_assert_int_eq(hy_aead_key_init(&c, b, key->v), 0);
	ck_assert_int_eq(hy_token_seal_nonce(&c, key_id, node, expire, nonce->v, &p, out), 0);
	ck_assert_mem_eq(out, tok->v, HY_TOKEN_LEN);

	const struct hy_aead_ctx *keys[256] = {NULL};
	keys[key_id] = &c;
	ck_assert_int_eq(hy_token_open(keys, 256, node, expire - 1, tok->v, &pub, &q), HY_R_OK);
	ck_assert(q.sid == p.sid);
	ck_assert_uint_eq(q.transport, p.transport);
	ck_assert_str_eq(q.uid, p.uid);
	ck_assert_mem_eq(q.c2s_key, p.c2s_key, 16);
	ck_assert_mem_eq(q.s2c_key, p.s2c_key, 16);
	ck_assert_uint_eq(pub.key_id, key_id);
	ck_assert_uint_eq(pub.node_id, node);
	ck_assert(pub.expire_at == expire);
	ck_assert_mem_eq(pub.nonce, nonce->v, 12);
}

static void check_cookie(const struct vector *v, enum hy_aead_backend b)
{
	const struct field *key = get(v, "cookie_key", 16), *tn = get(v, "token_nonce", 12);
	const struct field *cookie = get(v, "cookie", HY_COOKIE_LEN);
	uint32_t issued = (uint32_t)get_be(v, "issued_at", 4);
	uint32_t serial = (uint32_t)get_be(v, "serial", 4);
	uint32_t node = (uint32_t)get_be(v, "node_id", 4);
	struct hy_cookie_addr a = {
		.family = (uint8_t)get_be(v, "family", 1),
		.port = (uint16_t)get_be(v, "port", 2),
	};
	memcpy(a.addr, get(v, "addr", 16)->v, 16);
	struct hy_aead_ctx c;
	uint8_t out[HY_COOKIE_LEN];

	ck_assert_int_eq(hy_aead_key_init(&c, b, key->v), 0);
	ck_assert_int_eq(hy_cookie_make(&c, issued, serial, &a, tn->v, node, out), 0);
	ck_assert_mem_eq(out, cookie->v, HY_COOKIE_LEN);
	ck_assert_int_eq(hy_cookie_check(&c, HY_COOKIE_LIFETIME_S, issued, cookie->v,
					 HY_COOKIE_LEN, &a, tn->v, node), HY_R_OK);
	ck_assert_int_eq(hy_cookie_check(&c, HY_COOKIE_LIFETIME_S, issued, cookie->v,
					 HY_COOKIE_LEN, &a, tn->v, node + 1), HY_R_COOKIE_BAD);
}

static void run_vector(const struct vector *v)
{
	for (int b = 0; b < HY_AEAD_BACKEND_COUNT; b++) {
		if (strcmp(v->kind, "data-packet") == 0)
			check_data_packet(v, (enum hy_aead_backend)b);
		else if (strcmp(v->kind, "token") == 0)
			check_token(v, (enum hy_aead_backend)b);
		else if (strcmp(v->kind, "cookie") == 0)
			check_cookie(v, (enum hy_aead_backend)b);
		else
			ck_abort_msg("line %d: unknown vector kind '%s'", v->line, v->kind);
	}
	n_data += strcmp(v->kind, "data-packet") == 0;
	n_token += strcmp(v->kind, "token") == 0;
	n_cookie += strcmp(v->kind, "cookie") == 0;
}

/* Parses one "name: value" line into v (value is hex except for "vector"). */
static void parse_line(struct vector *v, char *line, int lineno)
{
	char *colon = strchr(line, ':');
	ck_assert_msg(colon != NULL, "line %d: expected 'name: hex'", lineno);
	*colon = '\0';
	char *val = colon + 1;
	while (*val == ' ')
		val++;
	if (strcmp(line, "vector") == 0) {
		ck_assert_msg(v->kind[0] == '\0', "line %d: second 'vector' line", lineno);
		ck_assert_msg(strlen(val) < sizeof(v->kind), "line %d: kind too long", lineno);
		memcpy(v->kind, val, strlen(val) + 1);
		return;
	}
	ck_assert_msg(v->n < MAX_FIELDS, "line %d: too many fields", lineno);
	struct field *f = &v->f[v->n++];
	ck_assert_msg(strlen(line) < sizeof(f->name), "line %d: name too long", lineno);
	memcpy(f->name, line, strlen(line) + 1);
	f->len = tu_hex(val, f->v, sizeof(f->v));
	ck_assert_msg(f->len >= 0, "line %d: bad hex for %s", lineno, f->name);
}

START_TEST(test_document_vectors)
{
	const char *root = getenv("HAYATE_SOURCE_ROOT");
	ck_assert_msg(root != NULL, "HAYATE_SOURCE_ROOT is not set");
	char path[4096];
	snprintf(path, sizeof(path), "%s/docs/protocol.md", root);
	FILE *fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);

	static struct vector v;
	char line[2048];
	int lineno = 0, in_block = 0, is_vector = 0, in_section = 0, sections = 0;
	n_data = n_token = n_cookie = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		/* Only the crypto section's vectors are ours. */
		if (strncmp(line, "<!-- crypto:begin", 17) == 0) {
			in_section = 1;
			sections++;
			continue;
		}
		if (strncmp(line, "<!-- crypto:end", 15) == 0) {
			in_section = 0;
			continue;
		}
		if (!in_section)
			continue;
		if (strncmp(line, "```", 3) == 0) {
			if (in_block && is_vector)
				run_vector(&v);
			in_block = !in_block;
			is_vector = 0;
			memset(&v, 0, sizeof(v));
			v.line = lineno;
			continue;
		}
		if (!in_block)
			continue;
		/* A vector block starts with "vector:"; other blocks are prose. */
		if (lineno == v.line + 1)
			is_vector = strncmp(line, "vector:", 7) == 0;
		if (is_vector && line[0] != '\0')
			parse_line(&v, line, lineno);
	}
	fclose(fp);
	ck_assert_msg(!in_block, "unterminated code block");
	ck_assert_int_eq(sections, 1);
	ck_assert_int_ge(n_data, 1);
	ck_assert_int_ge(n_token, 1);
	ck_assert_int_ge(n_cookie, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vectors");
	TCase *tc = tcase_create("doc");
	tcase_add_test(tc, test_document_vectors);
	suite_add_tcase(s, tc);
	return hy_check_run(s);
}
