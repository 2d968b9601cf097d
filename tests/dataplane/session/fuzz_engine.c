/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: arbitrary datagrams into hy_engine_input() with a live
 * session present.
 *
 * Input: mode byte, then bytes.
 *   mode % 3 == 0  the bytes are a datagram, as received;
 *   mode % 3 == 1  the bytes are a DATA plaintext the live client seals
 *                  (reaches frame and command handling authenticated);
 *   mode % 3 == 2  a datagram whose header carries the live session's id
 *                  (reaches the replay window and the tag check);
 *   mode & 0x80    the datagram goes the worker's burst way: its header read
 *                  by hy_engine_prefetch_burst(), then hy_engine_input_hinted()
 *                  with the hint (the same invariants hold).
 * Invariants: no crash; the live session survives, unless its reliable
 * stream was inconsistent (then it is closed PROTOCOL_ERROR, everything it
 * held goes back to the pool, and a new session is opened for the next
 * input); for anything that did not authenticate the reply is never larger
 * than the input and nothing goes out through ops->tx; an authenticated
 * reply, and every packet sent through ops->tx, opens with the client's key
 * and carries valid frames; the reliability pool never holds more than one
 * session's caps allow.
 */
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "sess_harness.h"

#include "rudp/rudp.h"

static struct harness_node node;
static struct recorder rec;
static struct hy_engine *eng;
static struct tclient cl;
static const uint64_t now = T_T0_MS;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_engine: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fresh client and session (token, handshake). */
static void connect_client(void)
{
	uint8_t buf[HY_MAX_DATAGRAM], cookie[HY_COOKIE_LEN];
	struct hy_engine_result res;
	struct hy_pkt_challenge ch;
	uint16_t len;

	if (tclient_init(&cl, &node, T_NODE, T_KEY_ID, now / 1000 + 3600, "fuzz", 1, 4242) < 0)
		fail("client");
	len = tclient_hello(&cl, NULL, buf, sizeof(buf));
	if (hy_engine_input(eng, &cl.peer, buf, len, sizeof(buf), now, &res) != HY_ENGINE_REPLY ||
	    hy_pkt_challenge_decode(buf, res.reply_len, &ch) != HY_R_OK)
		fail("challenge");
	memcpy(cookie, ch.cookie, sizeof(cookie));
	len = tclient_hello(&cl, cookie, buf, sizeof(buf));
	if (hy_engine_input(eng, &cl.peer, buf, len, sizeof(buf), now, &res) != HY_ENGINE_REPLY)
		fail("accept");
}

/* EAL's runtime directory, empty here (no shared files, no telemetry):
 * libFuzzer ends with exit(), never returning to tear EAL down, so it is
 * removed from an atexit handler. */
static char runtime_dir[PATH_MAX];

static void runtime_dir_remove(void)
{
	if (runtime_dir[0] != '\0')
		(void)rmdir(runtime_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[128];

	(void)argc;
	if (harness_eal_init((*argv)[0]) < 0)
		fail("EAL init");
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(runtime_dir_remove);
	if (harness_node_init(&node, now) < 0)
		fail("node init");
	struct hy_engine_config cfg = harness_config(&node, &rec, 4);
	/* room for many remembered sids: each broken session leaves one */
	cfg.max_used_sids = 1u << 20;
	eng = hy_engine_create(&cfg, err, sizeof(err));
	if (eng == NULL)
		fail(err);
	connect_client();
	return 0;
}

static void check_authenticated_reply(const uint8_t *buf, uint16_t len)
{
	uint8_t pt[HY_MAX_PAYLOAD];
	struct hy_pkt_header h;
	size_t pt_len;

	if (tclient_open(&cl, buf, len, &h, pt, &pt_len) != HY_R_OK)
		fail("reply does not open with the client's key");
	if (h.type != HY_PKT_DATA || hy_frames_validate(pt, pt_len) != HY_R_OK)
		fail("reply is not a valid DATA packet");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly the input's size on the heap: ASan sees any overread. */
	static uint8_t *buf;
	struct hy_engine_result res;
	uint16_t len, cap = HY_MAX_DATAGRAM + 64;
	unsigned mode;
	bool authentic = false;
	unsigned tx0 = rec.n_tx;
	static uint64_t broken0;
	uint32_t hint = HY_ENGINE_NO_HINT;
	bool hinted;

	if (size < 1 || size > HY_MAX_DATAGRAM + 16)
		return 0;
	mode = data[0] % 3u;
	hinted = (data[0] & 0x80) != 0;
	data++;
	size--;
	if (buf == NULL && (buf = malloc(cap)) == NULL)
		fail("malloc");
	if (mode == 1) {
		if (size == 0 || size > HY_MAX_PAYLOAD)
			return 0;
		len = tclient_seal(&cl, HY_PKT_DATA, data, size, buf, cap);
		if (len == 0)
			fail("seal");
		authentic = true;
	} else {
		memcpy(buf, data, size);
		len = (uint16_t)size;
		if (mode == 2 && len >= HY_DATA_HEADER_LEN) {
			struct hy_wr w;
			hy_wr_init(&w, buf + 1, 8);
			hy_wr_u64(&w, cl.cred.sid);
		}
	}

	if (hinted) {
		const uint8_t *bufs[1] = {buf};
		uint64_t sid;

		if (hy_engine_prefetch_burst(eng, bufs, &len, 1, &hint, &sid) > 1)
			fail("prefetch looked up more than it was given");
	}
	enum hy_engine_action a = hy_engine_input_hinted(eng, &cl.peer, buf, len, cap, now, hint,
							 &res);
	switch (a) {
	case HY_ENGINE_REPLY:
		if (res.reply_len == 0 || res.reply_len > cap)
			fail("reply length");
		if (authentic)
			check_authenticated_reply(buf, res.reply_len);
		else if (res.reply_len > len)
			fail("unauthenticated input answered with more bytes");
		break;
	case HY_ENGINE_DROP:
		if (res.why == HY_R_OK || res.reply_len != 0)
			fail("drop without a reason");
		break;
	case HY_ENGINE_CONSUMED:
		if (!authentic)
			fail("unauthenticated input consumed");
		break;
	default:
		fail("handoff with one worker");
	}
	if (!authentic && rec.n_tx != tx0)
		fail("unauthenticated input made the engine send");
	/* Packets the engine sent on its own (more reliable data than one
	 * reply holds, a DISCONNECT): all sealed for this client. */
	for (unsigned i = tx0; i < rec.n_tx && i < T_MAX_TX; i++) {
		uint8_t pt[HY_MAX_PAYLOAD];
		struct hy_pkt_header h;
		size_t pt_len;
		if (tclient_open(&cl, rec.tx[i].b, rec.tx[i].len, &h, pt, &pt_len) != HY_R_OK)
			fail("sent packet does not open with the client's key");
		if (h.type == HY_PKT_DATA && hy_frames_validate(pt, pt_len) != HY_R_OK)
			fail("sent packet has invalid frames");
	}
	if (rec.n_tx >= T_MAX_TX)
		rec.n_tx = 0; /* keep the recorder from filling up */
	/* Caps per session: both windows full of the largest units. */
	const struct hy_engine_stats *st = hy_engine_stats(eng);
	if (st->rudp_pool_used > 2u * (HY_RUDP_WINDOW_DEFAULT * 2304u + 2304u))
		fail("reliability pool use beyond one session's caps");
	if (hy_engine_sessions(eng) != 1) {
		if (st->broken_sessions == broken0)
			fail("the live session did not survive");
		if (st->rudp_pool_used != 0)
			fail("a closed session kept pool memory");
		broken0 = st->broken_sessions;
		connect_client();
	}
	return 0;
}
