/* SPDX-License-Identifier: BSD-3-Clause
 * The byte examples in docs/protocol.md are the encoders' output.
 *
 * Reads the proto section of docs/protocol.md (under $HAYATE_SOURCE_ROOT),
 * collects every ```hex block line "name[.field]: hh hh ...", joins the
 * lines of each name in order, and compares each vector with what the
 * encoders produce from the values the document states.  Each vector
 * must also decode.  A vector the test does not know, or one it expects
 * but cannot find, fails the test, so the document cannot drift.
 *
 * Run with --print to write the vectors in the document's format.
 */
#include <ctype.h>
#include <stdio.h>

#include "proto/frame.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"
#include "proto_test.h"

#define MAX_VEC 32
#define VEC_CAP 512

struct vec {
	char name[48];
	uint8_t bytes[VEC_CAP];
	size_t len;
	/* For --print: where each field starts, and its name. */
	unsigned nfields;
	size_t field_off[16];
	char field[16][24];
};

struct vecs {
	struct vec v[MAX_VEC];
	unsigned n;
};

static struct vec *vec_get(struct vecs *vs, const char *name)
{
	for (unsigned i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].name, name) == 0)
			return &vs->v[i];
	ck_assert_uint_lt(vs->n, MAX_VEC);
	struct vec *v = &vs->v[vs->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

/* --- what the encoders say ------------------------------------------- */

static struct vec *expect_begin(struct vecs *vs, const char *name)
{
	return vec_get(vs, name);
}

/* Appends a field: the bytes the writer produced since the last field. */
static void field(struct vec *v, const char *name, const uint8_t *p, size_t n)
{
	ck_assert_uint_le(v->len + n, VEC_CAP);
	ck_assert_uint_lt(v->nfields, 16);
	v->field_off[v->nfields] = v->len;
	snprintf(v->field[v->nfields], sizeof(v->field[0]), "%s", name);
	v->nfields++;
	memcpy(v->bytes + v->len, p, n);
	v->len += n;
}

static const uint64_t client_time = 0x0000018bcfe56800ull; /* ms since 1970 */

static void build_expected(struct vecs *vs)
{
	uint8_t b[VEC_CAP];
	struct vec *v;

	/* CONNECT: the sample token (public fields readable, sealed part a
	 * pattern standing in for ciphertext), zero cookie, zero padding. */
	struct hy_pkt_connect c = {.type = HY_PKT_CONNECT};
	sample_token(c.token);
	ck_assert_uint_eq(hy_pkt_connect_encode(b, sizeof(b), &c), HY_CONNECT_LEN);
	v = expect_begin(vs, "connect");
	field(v, "prefix", b, 1);
	field(v, "token_public", b + 1, HY_TOKEN_PUBLIC_LEN);
	field(v, "token_sealed", b + 1 + HY_TOKEN_PUBLIC_LEN, HY_TOKEN_LEN - HY_TOKEN_PUBLIC_LEN);
	field(v, "cookie", b + HY_CONNECT_COOKIE_OFF, HY_COOKIE_LEN);
	field(v, "padding", b + HY_CONNECT_PADDING_OFF, HY_CONNECT_PADDING_LEN);

	struct hy_pkt_challenge ch;
	sample_cookie(ch.cookie);
	ck_assert_uint_eq(hy_pkt_challenge_encode(b, sizeof(b), &ch), HY_CHALLENGE_LEN);
	v = expect_begin(vs, "challenge");
	field(v, "prefix", b, 1);
	field(v, "issued_at", b + 1, 4);
	field(v, "serial", b + 5, 4);
	field(v, "tag", b + 9, 16);

	struct hy_pkt_header h = {HY_PKT_DATA, 0x1122334455667788ull, 42};
	ck_assert_uint_eq(hy_pkt_header_encode(b, sizeof(b), &h), HY_DATA_HEADER_LEN);
	v = expect_begin(vs, "sealed_header");
	field(v, "prefix", b, 1);
	field(v, "sid", b + 1, 8);
	field(v, "pn", b + 9, 8);

	struct hy_accept acc = {1000, 10000, HY_MAX_MESSAGE, HY_NODE_ONLINE};
	ck_assert_uint_eq(hy_accept_encode(b, sizeof(b), &acc), HY_ACCEPT_BODY_LEN);
	v = expect_begin(vs, "accept_body");
	field(v, "keepalive_ms", b, 4);
	field(v, "idle_timeout_ms", b + 4, 4);
	field(v, "max_message", b + 8, 4);
	field(v, "node_state", b + 12, 1);
	field(v, "reserved", b + 13, 3);

	ck_assert_uint_eq(hy_close_encode(b, sizeof(b), HY_CLOSE_CLIENT_CLOSED), 4);
	v = expect_begin(vs, "disconnect_body");
	field(v, "reason", b, 1);
	field(v, "reserved", b + 1, 3);

	/* Messages. */
	uint8_t pl[32];
	size_t n = hy_echo_req_encode(pl, sizeof(pl), client_time);
	size_t echo_len = hy_msg_cmd_encode(b, sizeof(b), HY_MSG_VER_TRANSPORT, HY_CMD_ECHO, pl, n);
	ck_assert_uint_eq(echo_len, 11);
	v = expect_begin(vs, "echo_command");
	field(v, "header", b, 3);
	field(v, "client_time", b + 3, 8);
	uint8_t echo_cmd[16];
	memcpy(echo_cmd, b, echo_len);

	struct hy_echo_resp er = {.node_state = HY_NODE_ONLINE, .client_time = client_time};
	er.addr.family = 4;
	const uint8_t v4[4] = {198, 18, 0, 7};
	memcpy(er.addr.addr, v4, 4);
	er.addr.port = 50000;
	n = hy_echo_resp_encode(pl, sizeof(pl), &er);
	ck_assert_uint_eq(hy_msg_resp_encode(b, sizeof(b), 0, HY_CMD_ECHO, HY_STATUS_OK, pl, n),
			  4 + HY_ECHO_RESP_V4_LEN);
	v = expect_begin(vs, "echo_response");
	field(v, "header", b, 4);
	field(v, "node_state", b + 4, 1);
	field(v, "client_time", b + 5, 8);
	field(v, "family", b + 13, 1);
	field(v, "addr", b + 14, 4);
	field(v, "port", b + 18, 2);

	/* 2001:2::7, the IPv6 benchmarking prefix; node draining. */
	er.node_state = HY_NODE_OFFLINE;
	er.addr.family = 6;
	memset(er.addr.addr, 0, 16);
	er.addr.addr[0] = 0x20;
	er.addr.addr[1] = 0x01;
	er.addr.addr[3] = 0x02;
	er.addr.addr[15] = 0x07;
	n = hy_echo_resp_encode(pl, sizeof(pl), &er);
	ck_assert_uint_eq(hy_msg_resp_encode(b, sizeof(b), 0, HY_CMD_ECHO, HY_STATUS_OK, pl, n),
			  4 + HY_ECHO_RESP_V6_LEN);
	v = expect_begin(vs, "echo_response_v6");
	field(v, "header", b, 4);
	field(v, "node_state", b + 4, 1);
	field(v, "client_time", b + 5, 8);
	field(v, "family", b + 13, 1);
	field(v, "addr", b + 14, 16);
	field(v, "port", b + 30, 2);

	uint8_t app_cmd[16];
	size_t app_cmd_len = hy_msg_cmd_encode(app_cmd, sizeof(app_cmd), 2, 0x0101, "hi", 2);
	v = expect_begin(vs, "app_command");
	field(v, "header", app_cmd, 3);
	field(v, "payload", app_cmd + 3, 2);

	n = hy_msg_resp_encode(b, sizeof(b), 2, 0x0101, HY_STATUS_BAD, "full", 4);
	v = expect_begin(vs, "app_response");
	field(v, "header", b, 4);
	field(v, "payload", b + 4, n - 4);

	n = hy_msg_resp_encode(b, sizeof(b), 2, 0x0300, HY_STATUS_PUSH, "\x01\x02", 2);
	v = expect_begin(vs, "push");
	field(v, "header", b, 4);
	field(v, "payload", b + 4, n - 4);

	/* A DATA plaintext with one frame of each type. */
	struct hy_wr w;
	hy_wr_init(&w, b, sizeof(b));
	v = expect_begin(vs, "data_plaintext");
	size_t at = 0;
	const struct hy_seq_range iv[2] = {{1000, 990}, {980, 980}};
	ck_assert(hy_frame_put_ack(&w, 125, iv, 2));
	field(v, "ack", b + at, w.off - at);
	at = w.off;
	ck_assert(hy_frame_put_reliable(&w, 17, app_cmd, app_cmd_len));
	field(v, "reliable", b + at, w.off - at);
	at = w.off;
	ck_assert(hy_frame_put_unreliable(&w, echo_cmd, echo_len));
	field(v, "unreliable", b + at, w.off - at);
	at = w.off;
	ck_assert(hy_frame_put_sequenced(&w, 1, 5, "\x02\x02\x00\x10\x20", 5));
	field(v, "sequenced", b + at, w.off - at);
	at = w.off;
	ck_assert(hy_frame_put_fragment(&w, HY_FRAME_RELIABLE, 18, 0, 3, "\x02\x04\x00\xaa", 4));
	field(v, "fragment", b + at, w.off - at);
	at = w.off;
	ck_assert(hy_frame_put_ping(&w));
	field(v, "ping", b + at, w.off - at);
}

/* --- what the document says ------------------------------------------ */

static char *read_doc(void)
{
	const char *root = getenv("HAYATE_SOURCE_ROOT");
	ck_assert_msg(root != NULL, "HAYATE_SOURCE_ROOT is not set");
	char path[4096];
	snprintf(path, sizeof(path), "%s/docs/protocol.md", root);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	ck_assert_int_gt(size, 0);
	rewind(f);
	char *text = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	text[size] = '\0';
	fclose(f);
	return text;
}

/* Parses "name[.field]: hh hh ..." into vs.  Returns 0 if malformed. */
static int parse_line(struct vecs *vs, const char *line)
{
	char name[48];
	size_t i = 0;
	while (line[i] && (islower((unsigned char)line[i]) || isdigit((unsigned char)line[i]) ||
			   line[i] == '_')) {
		if (i + 1 >= sizeof(name))
			return 0;
		name[i] = line[i];
		i++;
	}
	name[i] = '\0';
	if (i == 0)
		return 0;
	if (line[i] == '.') { /* a field name: documentation only */
		i++;
		while (islower((unsigned char)line[i]) || isdigit((unsigned char)line[i]) ||
		       line[i] == '_')
			i++;
	}
	if (line[i] != ':' || line[i + 1] != ' ')
		return 0;
	i += 2;
	struct vec *v = vec_get(vs, name);
	for (;;) {
		if (!isxdigit((unsigned char)line[i]) || !isxdigit((unsigned char)line[i + 1]))
			return 0;
		unsigned byte;
		if (sscanf(line + i, "%2x", &byte) != 1 || v->len >= VEC_CAP)
			return 0;
		v->bytes[v->len++] = (uint8_t)byte;
		i += 2;
		if (line[i] == '\0')
			return 1;
		if (line[i] != ' ')
			return 0;
		i++;
	}
}

static void parse_doc(struct vecs *vs)
{
	char *text = read_doc();
	char *begin = strstr(text, "<!-- proto:begin");
	char *end = strstr(text, "<!-- proto:end -->");
	ck_assert_msg(begin && end && begin < end, "proto markers missing");
	*end = '\0';
	int in_hex = 0, in_other = 0;
	unsigned lineno = 0;
	for (char *line = strtok(begin, "\n"); line; line = strtok(NULL, "\n")) {
		lineno++;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (strncmp(line, "```", 3) == 0) {
			if (in_hex || in_other) {
				in_hex = in_other = 0;
			} else if (strcmp(line, "```hex") == 0) {
				in_hex = 1;
			} else {
				in_other = 1;
			}
			continue;
		}
		if (in_hex && l > 0)
			ck_assert_msg(parse_line(vs, line), "malformed vector line: %s", line);
	}
	ck_assert_msg(!in_hex && !in_other, "unclosed code block");
	free(text);
}

/* --- the checks ------------------------------------------------------ */

static void check_decodes(const struct vec *v)
{
	uint8_t *p = dup_exact(v->bytes, v->len);
	const char *n = v->name;
	struct hy_msg m;
	if (strcmp(n, "connect") == 0) {
		struct hy_pkt_connect c;
		ck_assert_int_eq(hy_pkt_connect_decode(p, v->len, &c), HY_R_OK);
		ck_assert_uint_eq(c.type, HY_PKT_CONNECT);
	} else if (strcmp(n, "challenge") == 0) {
		struct hy_pkt_challenge c;
		ck_assert_int_eq(hy_pkt_challenge_decode(p, v->len, &c), HY_R_OK);
	} else if (strcmp(n, "sealed_header") == 0) {
		/* As the head of a 100-byte DATA packet. */
		uint8_t pkt[100] = {0};
		struct hy_pkt_header h;
		memcpy(pkt, p, v->len);
		ck_assert_int_eq(hy_pkt_header_decode(pkt, sizeof(pkt), &h), HY_R_OK);
		ck_assert(h.sid == 0x1122334455667788ull && h.pn == 42);
	} else if (strcmp(n, "accept_body") == 0) {
		struct hy_accept a;
		ck_assert_int_eq(hy_accept_decode(p, v->len, &a), HY_R_OK);
	} else if (strcmp(n, "disconnect_body") == 0) {
		enum hy_close_reason r;
		ck_assert_int_eq(hy_close_decode(p, v->len, &r), HY_R_OK);
	} else if (strcmp(n, "data_plaintext") == 0) {
		ck_assert_int_eq(hy_frames_validate(p, v->len), HY_R_OK);
	} else if (strcmp(n, "echo_command") == 0 || strcmp(n, "app_command") == 0) {
		ck_assert_int_eq(hy_msg_cmd_decode(p, v->len, &m), HY_R_OK);
	} else {
		ck_assert_int_eq(hy_msg_resp_decode(p, v->len, &m), HY_R_OK);
		if (m.ver == 0) {
			struct hy_echo_resp er;
			ck_assert_int_eq(hy_echo_resp_decode(m.payload, m.len, &er), HY_R_OK);
		}
	}
	free(p);
}

START_TEST(test_doc_matches_encoders)
{
	static struct vecs want, doc;
	want.n = doc.n = 0;
	build_expected(&want);
	parse_doc(&doc);
	for (unsigned i = 0; i < doc.n; i++) {
		int known = 0;
		for (unsigned j = 0; j < want.n; j++)
			known |= strcmp(doc.v[i].name, want.v[j].name) == 0;
		ck_assert_msg(known, "docs/protocol.md has a vector no test checks: %s",
			      doc.v[i].name);
	}
	for (unsigned j = 0; j < want.n; j++) {
		const struct vec *w = &want.v[j];
		const struct vec *d = NULL;
		for (unsigned i = 0; i < doc.n; i++)
			if (strcmp(doc.v[i].name, w->name) == 0)
				d = &doc.v[i];
		ck_assert_msg(d != NULL, "docs/protocol.md lacks the vector %s", w->name);
		ck_assert_msg(d->len == w->len, "%s: %zu bytes in the doc, %zu encoded", w->name,
			      d->len, w->len);
		for (size_t k = 0; k < w->len; k++)
			ck_assert_msg(d->bytes[k] == w->bytes[k],
				      "%s: byte %zu is %02x in the doc, %02x encoded", w->name, k,
				      d->bytes[k], w->bytes[k]);
		check_decodes(d);
	}
}
END_TEST

/* Prints each vector, one field per line, 16 bytes per line at most. */
START_TEST(print_vectors)
{
	static struct vecs want;
	build_expected(&want);
	for (unsigned j = 0; j < want.n; j++) {
		const struct vec *v = &want.v[j];
		printf("%s (%zu bytes)\n```hex\n", v->name, v->len);
		for (unsigned f = 0; f < v->nfields; f++) {
			size_t from = v->field_off[f];
			size_t to = f + 1 < v->nfields ? v->field_off[f + 1] : v->len;
			for (size_t k = from; k < to; k += 16) {
				printf("%s.%s:", v->name, v->field[f]);
				for (size_t q = k; q < to && q < k + 16; q++)
					printf(" %02x", v->bytes[q]);
				printf("\n");
			}
		}
		printf("```\n\n");
	}
	fflush(stdout);
}
END_TEST

int main(int argc, char **argv)
{
	/* --print runs the printer as the only test (ck_assert needs a runner). */
	int print = argc > 1 && strcmp(argv[1], "--print") == 0;
	Suite *s = suite_create("proto-doc-vectors");
	TCase *tc = tcase_create("doc");
	tcase_add_test(tc, print ? print_vectors : test_doc_matches_encoders);
	suite_add_tcase(s, tc);
	if (print) {
		SRunner *sr = srunner_create(s);
		srunner_set_fork_status(sr, CK_NOFORK);
		srunner_run_all(sr, CK_SILENT);
		int failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	return run_suite(s);
}
