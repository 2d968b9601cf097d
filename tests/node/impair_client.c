/* SPDX-License-Identifier: BSD-3-Clause
 * Clients through an impairment proxy (tests/node, case node-impair).
 *
 *   impair_client CLIENTS ECHOES
 *
 * Each client gets a ticket from POST $HAYATE_HTTP_URL/v1/auth (app key
 * $HAYATE_APP_KEY), checks that it names $HAYATE_UDP_HOST:$HAYATE_UDP_PORT
 * (the proxy), connects, and sends ECHOES echoes, one every few
 * milliseconds, resending an unanswered one a few times.  Echo is
 * unreliable, so answers are counted, not required: the run passes when
 * every session is still CONNECTED at the end, more than three quarters
 * of all echoes were answered (at least half of each client's), and every
 * answer reports the proxy's address as the client's.  One summary line
 * per client and one in all, "impair-client: ..." on stdout.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hayate_client.h"
#include "proto/message.h"

#define MAX_CLIENTS 16
#define MAX_ECHOES 10000
#define SEND_EVERY_MS 10u      /* a new echo per client this often */
#define RESEND_AFTER_MS 250u   /* an unanswered echo is sent again after this */
#define MAX_SENDS 4u           /* first send and three resends */
#define CONNECT_TIMEOUT_MS 15000u
#define CONNECT_TRIES 3u       /* a fresh ticket each time */
#define TAIL_MS 1500u          /* after the last send, for late answers */

struct echo {
	uint64_t last_ms;
	uint8_t sends;
	bool answered;
};

struct tester {
	struct hy_client *c;
	char uid[32];
	unsigned int tries;        /* connects tried */
	unsigned int next;         /* next echo to send for the first time */
	unsigned int answered, late, resends, bad_addr;
	struct echo *e;
};

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0') {
		fprintf(stderr, "impair-client: %s is not set\n", name);
		exit(2);
	}
	return v;
}

/* A ticket from the HTTP API and a client for it, handshake started. */
static int start(struct tester *t, const char *url, const char *key, const char *want_host,
		 unsigned int want_port)
{
	struct hy_client_options opt = { .connect_timeout_ms = CONNECT_TIMEOUT_MS };
	struct hy_ticket tk;
	char err[256];

	t->tries++;
	if (hy_auth_fetch(url, key, t->uid, HY_TRANSPORT_UDP, &tk, err, sizeof(err)) != 0) {
		fprintf(stderr, "impair-client: %s: %s\n", t->uid, err);
		return -1;
	}
	if (strcmp(tk.host, want_host) != 0 || tk.port != want_port) {
		fprintf(stderr, "impair-client: %s: ticket names %s:%u, not the proxy %s:%u\n",
			t->uid, tk.host, tk.port, want_host, want_port);
		return -1;
	}
	t->c = hy_client_create(&tk, &opt, err, sizeof(err));
	explicit_bzero(&tk, sizeof(tk));
	if (t->c == NULL) {
		fprintf(stderr, "impair-client: %s: %s\n", t->uid, err);
		return -1;
	}
	return hy_client_connect(t->c, hy_client_now_ms());
}

/* Runs every client once and waits up to wait_ms for traffic. */
static void pump(struct tester *ts, unsigned int n, int wait_ms)
{
	struct pollfd p[MAX_CLIENTS];
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i].fd = hy_client_fd(ts[i].c);
		p[i].events = hy_client_poll_events(ts[i].c);
	}
	poll(p, n, wait_ms);
	for (i = 0; i < n; i++)
		hy_client_update(ts[i].c, hy_client_now_ms());
}

/* Connects every client, retrying a timed-out handshake with a new
 * ticket.  Returns the number connected. */
static unsigned int connect_all(struct tester *ts, unsigned int n, const char *url,
				const char *key, const char *host, unsigned int port)
{
	unsigned int i, up, busy;

	for (i = 0; i < n; i++)
		if (start(&ts[i], url, key, host, port) != 0)
			return 0;
	for (;;) {
		pump(ts, n, 10);
		up = busy = 0;
		for (i = 0; i < n; i++) {
			enum hy_client_state s = hy_client_state(ts[i].c);

			if (s == HY_CLIENT_CONNECTED) {
				up++;
			} else if (s == HY_CLIENT_TIMED_OUT && ts[i].tries < CONNECT_TRIES) {
				fprintf(stderr, "impair-client: %s: handshake timed out; new ticket\n",
					ts[i].uid);
				hy_client_destroy(ts[i].c);
				ts[i].c = NULL;
				if (start(&ts[i], url, key, host, port) != 0)
					return 0;
				busy++;
			} else if (s < HY_CLIENT_CONNECTED) {
				busy++;
			}
		}
		if (busy == 0)
			return up;
	}
}

/* Takes every answer waiting for client t. */
static void take_answers(struct tester *t, unsigned int echoes, const uint8_t proxy[4])
{
	struct hy_client_message m;
	struct hy_echo_resp er;

	while (hy_client_receive(t->c, &m)) {
		if (m.ver != HY_MSG_VER_TRANSPORT || m.cmd != HY_CMD_ECHO ||
		    m.status != HY_STATUS_OK || hy_echo_resp_decode(m.payload, m.len, &er) != HY_R_OK ||
		    er.client_time >= echoes)
			continue;
		if (er.addr.family != 4 || memcmp(er.addr.addr, proxy, 4) != 0)
			t->bad_addr++;
		if (t->e[er.client_time].answered) {
			t->late++; /* an answer to an earlier send of a resent echo */
		} else {
			t->e[er.client_time].answered = true;
			t->answered++;
		}
	}
}

/* Sends what is due for client t: the next new echo every SEND_EVERY_MS,
 * unanswered ones again after RESEND_AFTER_MS.  Returns true while it has
 * something left to send. */
static bool send_due(struct tester *t, unsigned int echoes, uint64_t now, uint64_t *last_new)
{
	bool more = false;
	unsigned int i;

	for (i = 0; i < t->next; i++) {
		struct echo *e = &t->e[i];

		if (e->answered || e->sends >= MAX_SENDS)
			continue;
		more = true;
		if (now - e->last_ms >= RESEND_AFTER_MS && hy_client_echo(t->c, i) == 0) {
			e->sends++;
			e->last_ms = now;
			t->resends++;
		}
	}
	if (t->next < echoes) {
		more = true;
		if (now - *last_new >= SEND_EVERY_MS && hy_client_echo(t->c, t->next) == 0) {
			t->e[t->next].sends = 1;
			t->e[t->next].last_ms = now;
			t->next++;
			*last_new = now;
		}
	}
	return more;
}

int main(int argc, char **argv)
{
	struct tester ts[MAX_CLIENTS];
	const char *url, *key, *host;
	unsigned int n, echoes, port, i, total = 0, connected = 0;
	uint64_t last_new[MAX_CLIENTS] = { 0 }, done_at = 0, replayed = 0;
	uint8_t proxy[4];
	bool ok = true;

	if (argc != 3 || (n = (unsigned int)atoi(argv[1])) < 1 || n > MAX_CLIENTS ||
	    (echoes = (unsigned int)atoi(argv[2])) < 1 || echoes > MAX_ECHOES) {
		fprintf(stderr, "usage: impair_client CLIENTS(1-%d) ECHOES(1-%d)\n", MAX_CLIENTS,
			MAX_ECHOES);
		return 2;
	}
	url = need_env("HAYATE_HTTP_URL");
	key = need_env("HAYATE_APP_KEY");
	host = need_env("HAYATE_UDP_HOST");
	port = (unsigned int)atoi(need_env("HAYATE_UDP_PORT"));
	if (inet_pton(AF_INET, host, proxy) != 1) {
		fprintf(stderr, "impair-client: HAYATE_UDP_HOST is not an IPv4 address\n");
		return 2;
	}
	memset(ts, 0, sizeof(ts));
	for (i = 0; i < n; i++) {
		snprintf(ts[i].uid, sizeof(ts[i].uid), "impair-%u", i);
		ts[i].e = calloc(echoes, sizeof(*ts[i].e));
		if (ts[i].e == NULL)
			return 1;
	}
	if (connect_all(ts, n, url, key, host, port) != n) {
		for (i = 0; i < n; i++)
			if (ts[i].c != NULL && hy_client_state(ts[i].c) != HY_CLIENT_CONNECTED)
				fprintf(stderr, "impair-client: %s: not connected: %s %s\n", ts[i].uid,
					ts[i].c ? hy_client_state_name(hy_client_state(ts[i].c)) : "-",
					ts[i].c ? hy_client_error(ts[i].c) : "");
		printf("impair-client: FAIL: not every client connected\n");
		ok = false;
		goto out;
	}
	printf("impair-client: %u clients connected through %s:%u\n", n, host, port);
	fflush(stdout);
	/* Echo until everything is answered or given up, then a tail for
	 * late answers (they are counted as late, not twice). */
	for (;;) {
		uint64_t now = hy_client_now_ms();
		bool more = false;

		for (i = 0; i < n; i++) {
			take_answers(&ts[i], echoes, proxy);
			if (hy_client_state(ts[i].c) == HY_CLIENT_CONNECTED &&
			    send_due(&ts[i], echoes, now, &last_new[i]))
				more = true;
		}
		if (!more && done_at == 0)
			done_at = now;
		if (done_at != 0 && now - done_at >= TAIL_MS)
			break;
		pump(ts, n, 2);
	}
	for (i = 0; i < n; i++) {
		struct tester *t = &ts[i];
		const struct hy_client_stats *st = hy_client_stats(t->c);
		enum hy_client_state s = hy_client_state(t->c);

		total += t->answered;
		replayed += st->rx_dropped_by_reason[HY_R_REPLAYED];
		if (s == HY_CLIENT_CONNECTED)
			connected++;
		printf("impair-client: %s sid %016" PRIx64 " %s answered=%u/%u resends=%u late=%u "
		       "connects=%u rx_replayed=%" PRIu64 " rx_dropped=%" PRIu64 "\n",
		       t->uid, hy_client_sid(t->c), hy_client_state_name(s), t->answered, echoes,
		       t->resends, t->late, t->tries, st->rx_dropped_by_reason[HY_R_REPLAYED],
		       st->rx_dropped);
		if (s != HY_CLIENT_CONNECTED) {
			printf("impair-client: FAIL: %s is %s (%s)\n", t->uid, hy_client_state_name(s),
			       hy_client_error(t->c));
			ok = false;
		}
		if (t->answered * 2 < echoes) {
			printf("impair-client: FAIL: %s: only %u of %u echoes answered\n", t->uid,
			       t->answered, echoes);
			ok = false;
		}
		if (t->bad_addr != 0) {
			printf("impair-client: FAIL: %s: %u answers did not report the proxy's "
			       "address\n", t->uid, t->bad_addr);
			ok = false;
		}
	}
	printf("impair-client: total answered=%u/%u connected=%u/%u rx_replayed=%" PRIu64 "\n",
	       total, n * echoes, connected, n, replayed);
	if ((uint64_t)total * 4 <= (uint64_t)n * echoes * 3) {
		printf("impair-client: FAIL: three quarters of the echoes or fewer answered\n");
		ok = false;
	}
out:
	for (i = 0; i < n; i++) {
		if (ts[i].c != NULL)
			hy_client_disconnect(ts[i].c);
		hy_client_destroy(ts[i].c);
		free(ts[i].e);
	}
	printf("impair-client: %s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}
