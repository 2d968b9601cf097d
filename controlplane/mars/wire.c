/* SPDX-License-Identifier: BSD-3-Clause
 * MARS cluster messages (wire.h).
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common/wire.h"
#include "mars/wire.h"

static const uint8_t magic[4] = { 'H', 'Y', 'M', 'S' };

int hy_mars_key_derive(const uint8_t cluster_key[HY_KEY_LEN], uint8_t out[HY_KEY_LEN])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t n = HY_KEY_LEN;
	int ok;

	/* HKDF-SHA256 (RFC 5869), no salt: the cluster key is already
	 * uniformly random; the label only separates the uses. */
	ok = c != NULL && EVP_PKEY_derive_init(c) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(c, cluster_key, HY_KEY_LEN) > 0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(c, (const unsigned char *)HY_MARS_LABEL,
					 (int)strlen(HY_MARS_LABEL)) > 0 &&
	     EVP_PKEY_derive(c, out, &n) > 0 && n == HY_KEY_LEN;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -1;
}

const char *hy_mars_type_name(uint8_t type)
{
	static const char *const names[HY_MARS_TYPE_END] = {
		[HY_MARS_PREVOTE] = "PREVOTE", [HY_MARS_PREVOTE_ACK] = "PREVOTE_ACK",
		[HY_MARS_VOTE] = "VOTE",       [HY_MARS_VOTE_ACK] = "VOTE_ACK",
		[HY_MARS_PING] = "PING",       [HY_MARS_PONG] = "PONG",
		[HY_MARS_REPORT] = "REPORT",   [HY_MARS_VIEW] = "VIEW",
	};

	return type > 0 && type < HY_MARS_TYPE_END ? names[type] : "?";
}

/* ---- bodies ----------------------------------------------------------- */

static void wr_str(struct hy_wr *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= max) { /* not terminated inside its field */
		w->failed = true;
		return;
	}
	hy_wr_u8(w, (uint8_t)n);
	hy_wr_bytes(w, s, n);
}

static bool state_ok(uint8_t s)
{
	return s == HY_CLUSTER_ONLINE || s == HY_CLUSTER_OFFLINE;
}

static bool roles_ok(uint32_t r)
{
	return (r & ~(uint32_t)(HY_ROLE_UDP | HY_ROLE_TCP | HY_ROLE_HTTP)) == 0;
}

static void wr_node(struct hy_wr *w, const struct hy_cluster_node *n, bool age)
{
	if (n->id == 0 || !state_ok(n->state) || !roles_ok(n->roles)) {
		w->failed = true;
		return;
	}
	hy_wr_u32(w, n->id);
	hy_wr_u8(w, n->state);
	hy_wr_u8(w, (uint8_t)n->roles);
	wr_str(w, n->name, sizeof(n->name));
	wr_str(w, n->version, sizeof(n->version));
	wr_str(w, n->udp_host, sizeof(n->udp_host));
	hy_wr_u16(w, n->udp_port);
	wr_str(w, n->tcp_host, sizeof(n->tcp_host));
	hy_wr_u16(w, n->tcp_port);
	hy_wr_u64(w, n->load.sessions);
	hy_wr_u64(w, n->load.pps);
	hy_wr_u32(w, n->load.cpu_pct);
	if (age)
		hy_wr_u32(w, n->age_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)n->age_ms);
}

int hy_mars_body_encode(const struct hy_mars_msg *m, uint8_t *out, size_t cap)
{
	struct hy_wr w;
	unsigned i;

	hy_wr_init(&w, out, cap);
	switch (m->h.type) {
	case HY_MARS_PREVOTE_ACK:
	case HY_MARS_VOTE_ACK:
		if (m->granted > 1)
			return -1;
		hy_wr_u8(&w, m->granted);
		break;
	case HY_MARS_REPORT:
		wr_node(&w, &m->node, false);
		break;
	case HY_MARS_VIEW:
		if (m->n_nodes > HY_CLUSTER_MAX_NODES)
			return -1;
		hy_wr_u8(&w, (uint8_t)m->n_nodes);
		for (i = 0; i < m->n_nodes; i++)
			wr_node(&w, &m->nodes[i], true);
		break;
	case HY_MARS_PREVOTE:
	case HY_MARS_VOTE:
	case HY_MARS_PING:
	case HY_MARS_PONG:
		break;
	default:
		return -1;
	}
	return hy_wr_ok(&w) ? (int)w.off : -1;
}

/* A string field: length u8 then that many bytes, none of them NUL, and
 * short enough for the field with its terminator. */
static enum hy_reason rd_str(struct hy_rd *r, char *out, size_t max)
{
	uint8_t n = hy_rd_u8(r);
	const uint8_t *p = hy_rd_view(r, n);

	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	if (n >= max || memchr(p, '\0', n) != NULL)
		return HY_R_BAD_LENGTH;
	memcpy(out, p, n);
	out[n] = '\0';
	return HY_R_OK;
}

static enum hy_reason rd_node(struct hy_rd *r, struct hy_cluster_node *n, bool age)
{
	enum hy_reason why;

	memset(n, 0, sizeof(*n));
	n->id = hy_rd_u32(r);
	n->state = hy_rd_u8(r);
	n->roles = hy_rd_u8(r);
	if ((why = rd_str(r, n->name, sizeof(n->name))) != HY_R_OK ||
	    (why = rd_str(r, n->version, sizeof(n->version))) != HY_R_OK ||
	    (why = rd_str(r, n->udp_host, sizeof(n->udp_host))) != HY_R_OK)
		return why;
	n->udp_port = hy_rd_u16(r);
	if ((why = rd_str(r, n->tcp_host, sizeof(n->tcp_host))) != HY_R_OK)
		return why;
	n->tcp_port = hy_rd_u16(r);
	n->load.sessions = hy_rd_u64(r);
	n->load.pps = hy_rd_u64(r);
	n->load.cpu_pct = hy_rd_u32(r);
	if (age)
		n->age_ms = hy_rd_u32(r);
	if (!hy_rd_ok(r))
		return HY_R_TRUNCATED;
	if (n->id == 0 || !state_ok(n->state) || !roles_ok(n->roles))
		return HY_R_BAD_FIELD;
	return HY_R_OK;
}

enum hy_reason hy_mars_body_decode(uint8_t type, const uint8_t *body, size_t len,
				   struct hy_mars_msg *m)
{
	enum hy_reason why = HY_R_OK;
	struct hy_rd r;
	unsigned i;

	hy_rd_init(&r, body, len);
	m->granted = 0;
	m->n_nodes = 0;
	switch (type) {
	case HY_MARS_PREVOTE_ACK:
	case HY_MARS_VOTE_ACK:
		m->granted = hy_rd_u8(&r);
		if (!hy_rd_ok(&r))
			return HY_R_TRUNCATED;
		if (m->granted > 1)
			return HY_R_BAD_FIELD;
		break;
	case HY_MARS_REPORT:
		why = rd_node(&r, &m->node, false);
		break;
	case HY_MARS_VIEW: {
		uint8_t n = hy_rd_u8(&r);

		if (!hy_rd_ok(&r))
			return HY_R_TRUNCATED;
		if (n > HY_CLUSTER_MAX_NODES)
			return HY_R_BAD_FIELD;
		for (i = 0; i < n && why == HY_R_OK; i++)
			why = rd_node(&r, &m->nodes[i], true);
		m->n_nodes = why == HY_R_OK ? n : 0;
		break;
	}
	case HY_MARS_PREVOTE:
	case HY_MARS_VOTE:
	case HY_MARS_PING:
	case HY_MARS_PONG:
		break;
	default:
		return HY_R_BAD_TYPE;
	}
	if (why != HY_R_OK)
		return why;
	return hy_rd_left(&r) != 0 ? HY_R_TRAILING_BYTES : HY_R_OK;
}

/* ---- header, seal, open ----------------------------------------------- */

static void nonce_of(const struct hy_mars_hdr *h, uint8_t nonce[HY_NONCE_LEN])
{
	struct hy_wr w;

	hy_wr_init(&w, nonce, HY_NONCE_LEN);
	hy_wr_u32(&w, h->boot);
	hy_wr_u64(&w, h->seq);
}

int hy_mars_seal(const struct hy_aead_ctx *key, const struct hy_mars_msg *m, uint8_t *out,
		 size_t cap)
{
	uint8_t nonce[HY_NONCE_LEN];
	struct hy_wr w;
	int blen;

	if (cap < HY_MARS_OVERHEAD || m->h.sender == 0 || m->h.type == 0 ||
	    m->h.type >= HY_MARS_TYPE_END || (m->h.flags & ~HY_MARS_F_CANDIDATE) != 0)
		return -1;
	hy_wr_init(&w, out, HY_MARS_HDR_LEN);
	hy_wr_bytes(&w, magic, sizeof(magic));
	hy_wr_u8(&w, HY_MARS_VERSION);
	hy_wr_u8(&w, m->h.type);
	hy_wr_u8(&w, m->h.key_id);
	hy_wr_u8(&w, m->h.flags);
	hy_wr_u32(&w, m->h.sender);
	hy_wr_u32(&w, m->h.boot);
	hy_wr_u64(&w, m->h.term);
	hy_wr_u64(&w, m->h.seq);
	blen = hy_mars_body_encode(m, out + HY_MARS_HDR_LEN, cap - HY_MARS_OVERHEAD);
	if (!hy_wr_ok(&w) || blen < 0)
		return -1;
	nonce_of(&m->h, nonce);
	if (hy_aead_seal(key, nonce, out, HY_MARS_HDR_LEN, out + HY_MARS_HDR_LEN, (size_t)blen,
			 out + HY_MARS_HDR_LEN, out + HY_MARS_HDR_LEN + blen) != 0)
		return -1;
	return (int)HY_MARS_OVERHEAD + blen;
}

enum hy_reason hy_mars_peek(const uint8_t *buf, size_t len, struct hy_mars_hdr *h)
{
	struct hy_rd r;
	uint8_t ver;

	memset(h, 0, sizeof(*h));
	if (len < HY_MARS_OVERHEAD)
		return HY_R_TRUNCATED;
	if (len > HY_MARS_MSG_MAX)
		return HY_R_OVERSIZED;
	if (memcmp(buf, magic, sizeof(magic)) != 0)
		return HY_R_BAD_MAGIC;
	hy_rd_init(&r, buf + sizeof(magic), HY_MARS_HDR_LEN - sizeof(magic));
	ver = hy_rd_u8(&r);
	h->type = hy_rd_u8(&r);
	h->key_id = hy_rd_u8(&r);
	h->flags = hy_rd_u8(&r);
	h->sender = hy_rd_u32(&r);
	h->boot = hy_rd_u32(&r);
	h->term = hy_rd_u64(&r);
	h->seq = hy_rd_u64(&r);
	if (ver != HY_MARS_VERSION)
		return HY_R_BAD_VERSION;
	if (h->type == 0 || h->type >= HY_MARS_TYPE_END)
		return HY_R_BAD_TYPE;
	if ((h->flags & ~HY_MARS_F_CANDIDATE) != 0)
		return HY_R_RESERVED_SET;
	if (h->sender == 0)
		return HY_R_BAD_FIELD;
	return HY_R_OK;
}

enum hy_reason hy_mars_open(const struct hy_aead_ctx *key, uint8_t *buf, size_t len,
			    struct hy_mars_msg *m)
{
	uint8_t nonce[HY_NONCE_LEN];
	enum hy_reason why = hy_mars_peek(buf, len, &m->h);
	size_t blen = len - HY_MARS_OVERHEAD;

	if (why != HY_R_OK)
		return why;
	nonce_of(&m->h, nonce);
	if (hy_aead_open(key, nonce, buf, HY_MARS_HDR_LEN, buf + HY_MARS_HDR_LEN, blen,
			 buf + HY_MARS_HDR_LEN, buf + HY_MARS_HDR_LEN + blen) != 0)
		return HY_R_AUTH_FAILED;
	return hy_mars_body_decode(m->h.type, buf + HY_MARS_HDR_LEN, blen, m);
}
