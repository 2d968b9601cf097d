/* SPDX-License-Identifier: BSD-3-Clause
 * Prints the test-vector blocks of docs/protocol.md from fixed inputs.
 * Run by hand when a vector is added; test_vectors checks the document
 * against both backends on every test run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cookie.h"
#include "crypto/token.h"

static void hex(const char *name, const void *p, size_t n)
{
	const uint8_t *b = p;
	printf("%s: ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static void be(const char *name, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	hex(name, b, bytes);
}

static void pattern(uint8_t *p, size_t n, uint8_t start, uint8_t step)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(start + step * i);
}

static void data_packet(void)
{
	struct hy_aead_ctx c;
	uint8_t key[16], nonce[HY_NONCE_BUF_LEN], hdr[17], tag[16], ct[64];
	/* DATA frame: UNRELIABLE, len 7, message ver 2 cmd 1 "ping". */
	const uint8_t pt[] = {0x02, 0x00, 0x07, 0x02, 0x00, 0x01, 'p', 'i', 'n', 'g'};
	const uint64_t sid = 0x5a17c0ffee000001ull, pn = 0x0000000100000002ull;
	pattern(key, 16, 0x00, 0x11);
	if (hy_aead_key_init(&c, HY_AEAD_IPSECMB, key) != 0)
		exit(1);
	hdr[0] = HY_PROTO_VERSION << 4 | HY_PKT_DATA;
	for (int i = 0; i < 8; i++) {
		hdr[1 + i] = (uint8_t)(sid >> (56 - 8 * i));
		hdr[9 + i] = (uint8_t)(pn >> (56 - 8 * i));
	}
	hy_aead_packet_nonce(nonce, pn);
	hy_aead_seal(&c, nonce, hdr, sizeof(hdr), pt, sizeof(pt), ct, tag);
	memcpy(ct + sizeof(pt), tag, 16);
	printf("```text\nvector: data-packet\n");
	hex("key", key, 16);
	be("packet_number", pn, 8);
	hex("nonce", nonce, 12);
	hex("aad", hdr, sizeof(hdr));
	hex("plaintext", pt, sizeof(pt));
	hex("sealed", ct, sizeof(pt) + 16);
	printf("```\n\n");
}

static void token(void)
{
	struct hy_aead_ctx c;
	uint8_t key[16], nonce[12], tok[HY_TOKEN_LEN];
	struct hy_token_private p = {
		.sid = 0x0123456789abcdefull,
		.transport = HY_TRANSPORT_UDP,
		.uid_len = 8,
		.uid = "player-1",
	};
	const uint8_t key_id = 2;
	const uint32_t node = 0x00000007;
	const uint64_t expire = 1767225600; /* 2026-01-01T00:00:00Z */
	pattern(key, 16, 0xc0, 0x01);
	pattern(nonce, 12, 0xf0, 0x01);
	pattern(p.c2s_key, 16, 0x10, 0x01);
	pattern(p.s2c_key, 16, 0x20, 0x01);
	if (hy_aead_key_init(&c, HY_AEAD_OPENSSL, key) != 0 ||
	    hy_token_seal_nonce(&c, key_id, node, expire, nonce, &p, tok) != 0)
		exit(1);
	printf("```text\nvector: token\n");
	hex("cluster_key", key, 16);
	be("key_id", key_id, 1);
	be("node_id", node, 4);
	be("expire_at", expire, 8);
	hex("nonce", nonce, 12);
	be("sid", p.sid, 8);
	be("transport", p.transport, 1);
	hex("c2s_key", p.c2s_key, 16);
	hex("s2c_key", p.s2c_key, 16);
	hex("uid", p.uid, p.uid_len);
	hex("token", tok, sizeof(tok));
	printf("```\n\n");
}

static void cookie(const struct hy_cookie_addr *a)
{
	struct hy_aead_ctx c;
	uint8_t key[16], tn[12], out[HY_COOKIE_LEN];
	const uint32_t issued = 1767225600, serial = 0x01000005, node = 7;
	pattern(key, 16, 0x3c, 0x05);
	pattern(tn, 12, 0xf0, 0x01);
	if (hy_aead_key_init(&c, HY_AEAD_IPSECMB, key) != 0 ||
	    hy_cookie_make(&c, issued, serial, a, tn, node, out) != 0)
		exit(1);
	printf("```text\nvector: cookie\n");
	hex("cookie_key", key, 16);
	be("issued_at", issued, 4);
	be("serial", serial, 4);
	be("family", a->family, 1);
	hex("addr", a->addr, 16);
	be("port", a->port, 2);
	hex("token_nonce", tn, 12);
	be("node_id", node, 4);
	hex("cookie", out, sizeof(out));
	printf("```\n\n");
}

int main(void)
{
	struct hy_cookie_addr v4 = {.family = 4, .addr = {198, 18, 0, 42}, .port = 50000};
	struct hy_cookie_addr v6 = {.family = 6, .port = 443};
	pattern(v6.addr, 16, 0x20, 0x03);
	data_packet();
	token();
	cookie(&v4);
	cookie(&v6);
	return 0;
}
