/* SPDX-License-Identifier: BSD-3-Clause
 * hayate-cli: talk to a Hayate node from a shell.
 *
 * The ticket comes from the HTTP tier (POST /v1/auth with an app key), from
 * a JSON file, or, for development, is minted here from the cluster key
 * file.  Defaults come from the environment that `scripts/devnet env`
 * prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hayate_client.h"

#include "crypto/keyfile.h"
#include "crypto/token.h"
#include "proto/message.h"
#include "proto/packet.h"
#include "proto/seal.h"

enum {
	OPT_KEY_FILE = 256,
	OPT_NODE_ID,
	OPT_HOST,
	OPT_PORT,
	OPT_UID,
	OPT_TICKET,
	OPT_COUNT,
	OPT_INTERVAL,
	OPT_TIMEOUT,
	OPT_TTL,
	OPT_HTTP,
	OPT_APP_KEY,
	OPT_TRANSPORT,
	OPT_MEMBERS,
	OPT_MESSAGES,
	OPT_RELIABLE,
	OPT_HELP,
};

static const struct option options[] = {
	{"key-file", required_argument, NULL, OPT_KEY_FILE},
	{"node-id", required_argument, NULL, OPT_NODE_ID},
	{"host", required_argument, NULL, OPT_HOST},
	{"port", required_argument, NULL, OPT_PORT},
	{"uid", required_argument, NULL, OPT_UID},
	{"ticket", required_argument, NULL, OPT_TICKET},
	{"count", required_argument, NULL, OPT_COUNT},
	{"interval-ms", required_argument, NULL, OPT_INTERVAL},
	{"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
	{"ttl", required_argument, NULL, OPT_TTL},
	{"http", required_argument, NULL, OPT_HTTP},
	{"app-key", required_argument, NULL, OPT_APP_KEY},
	{"transport", required_argument, NULL, OPT_TRANSPORT},
	{"members", required_argument, NULL, OPT_MEMBERS},
	{"messages", required_argument, NULL, OPT_MESSAGES},
	{"reliable", no_argument, NULL, OPT_RELIABLE},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

struct cli {
	const char *key_file, *host, *uid, *ticket_file, *http, *app_key, *text;
	bool key_file_given, http_given; /* on the command line, not from the environment */
	bool host_given, port_given, reliable;
	unsigned long members, messages;
	unsigned transport;              /* 0: not given (the ticket's, else UDP) */
	unsigned long node_id, port, count, interval_ms, timeout_ms, ttl_s;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hayate-cli [options] COMMAND\n"
		"\n"
		"Commands:\n"
		"  echo [TEXT]   connect (--transport), send --count ECHO commands, print each round\n"
		"                trip, the address the node saw and its state; then disconnect.  ECHO\n"
		"                carries a timestamp, not text: TEXT is only printed with each line\n"
		"  auth          fetch a ticket over HTTP (--http) and print it as JSON (the form\n"
		"                --ticket reads); the token in it opens one session only\n"
		"  mint          print a ticket (JSON) minted from the cluster key file\n"
		"  create        connect, create a room (kept 60 s once empty) and print its id,\n"
		"                then echo as 'echo' does while staying in it\n"
		"  join ROOM     connect and join room ROOM (hex id, as create prints it): a room\n"
		"                of another node answers with a redirect the client follows\n"
		"                ('moved to node N'); then echo as 'echo' does while in it.\n"
		"                echo, create and join follow a draining node's MOVE the same way\n"
		"  room-demo     connect --members clients (one ticket each, uid UID-INDEX), the\n"
		"                first creates a room and the others join it; each broadcasts\n"
		"                --messages messages (sender index and sequence number; paced so\n"
		"                that at most 64 are on their way to any member); then prints\n"
		"                'delivered=X expected=Y' and the figures per transport.  With\n"
		"                --reliable, exits 1 if a message was lost, duplicated or reordered;\n"
		"                without it, only if a session ended.  Gives up after --timeout-ms\n"
		"                without progress.  Room commands are always sent reliably.\n"
		"\n"
		"Where the ticket comes from: --ticket, --http or --key-file as given on the\n"
		"command line; without them $HAYATE_HTTP_URL, else $HAYATE_CLUSTER_KEY_FILE:\n"
		"  --ticket FILE       a ticket as JSON (FILE '-' reads standard input)\n"
		"  --http URL          POST URL/v1/auth, the HTTP tier            [$HAYATE_HTTP_URL]\n"
		"    --app-key KEY     the game's app key (Authorization: Bearer) [$HAYATE_APP_KEY]\n"
		"    --uid UID         user id                                    [cli-user]\n"
		"  --key-file FILE     mint one from the cluster key file  [$HAYATE_CLUSTER_KEY_FILE]\n"
		"    --node-id N       node the token is for               [$HAYATE_NODE_ID, else 1]\n"
		"    --host ADDR       node address          [$HAYATE_UDP_HOST or $HAYATE_TCP_HOST]\n"
		"    --port N          node port             [$HAYATE_UDP_PORT or $HAYATE_TCP_PORT]\n"
		"    --uid UID         user id                             [cli-user]\n"
		"    --ttl SECONDS     token lifetime                      [60]\n"
		"\n"
		"Other options:\n"
		"  --transport udp|tcp transport to ask for, mint or use     [the ticket's, else udp]\n"
		"                      (tcp: records on one TCP connection to the node's TCP port)\n"
		"              mixed   room-demo only: members alternate udp, tcp, udp, ...\n"
		"  --members N         room-demo: clients in the room, 2 to 64  [4]\n"
		"  --messages M        room-demo: broadcasts per member        [10]\n"
		"  --reliable          room-demo: broadcast on the reliable channel\n"
		"  --count N           echoes to send                      [3]\n"
		"  --interval-ms MS    pause between echoes                [200]\n"
		"  --timeout-ms MS     give up on HTTP, connect or a reply after [5000]\n"
		"  --help              this text\n"
		"\n"
		"Exit status: 0 success; 1 the HTTP tier or the node refused, timed out or answered\n"
		"wrongly; 2 usage (bad options, no ticket source, unreadable ticket or key file).\n"
		"room-demo takes tickets like echo, one per member (--ticket does not apply).\n");
}

static int parse_ulong(const char *name, const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || s[0] == '-') {
		fprintf(stderr, "hayate-cli: --%s: expected an integer from %lu to %lu, got '%s'\n",
			name, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static char *read_all(FILE *f)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (cap - len < 2) {
			char *nb = cap < (1u << 20) ? realloc(buf, cap *= 2) : NULL;
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static const char *transport_name(unsigned t)
{
	return t == HY_TRANSPORT_TCP ? "tcp" : "udp";
}

/* Ticket over HTTP.  Returns 0, 1 (the HTTP tier failed or refused) or 2. */
static int fetch_ticket(const struct cli *o, struct hy_ticket *t)
{
	struct hy_auth_options ao = {.connect_timeout_ms = (uint32_t)o->timeout_ms,
				     .timeout_ms = (uint32_t)o->timeout_ms};
	char err[768];

	if (o->app_key == NULL) {
		fprintf(stderr, "hayate-cli: --http needs --app-key (or $HAYATE_APP_KEY)\n");
		return 2;
	}
	if (hy_auth_fetch_with(&ao, o->http, o->app_key, o->uid,
			       o->transport ? o->transport : HY_TRANSPORT_UDP, t, err,
			       sizeof(err)) < 0) {
		fprintf(stderr, "hayate-cli: %s\n", err);
		return 1;
	}
	return 0;
}

/* The ticket from one of the sources.  Returns 0, 1 (remote refusal) or 2. */
static int get_ticket(const struct cli *o, struct hy_ticket *t)
{
	char err[512];

	if (o->ticket_file == NULL && o->http != NULL && (o->http_given || !o->key_file_given))
		return fetch_ticket(o, t);
	if (o->ticket_file) {
		FILE *f = strcmp(o->ticket_file, "-") ? fopen(o->ticket_file, "r") : stdin;
		if (f == NULL) {
			fprintf(stderr, "hayate-cli: %s: %s\n", o->ticket_file, strerror(errno));
			return -1;
		}
		char *json = read_all(f);
		if (f != stdin)
			fclose(f);
		int rc = json ? hy_ticket_from_json(json, t, err, sizeof(err)) : -1;
		free(json);
		if (rc < 0) {
			fprintf(stderr, "hayate-cli: %s: %s\n", o->ticket_file, json ? err : "read failed");
			return 2;
		}
		return 0;
	}
	if (o->key_file == NULL || o->host == NULL || o->port == 0) {
		fprintf(stderr, "hayate-cli: need --ticket, --http with --app-key, or --key-file with "
				"--host and --port (or the HAYATE_* variables from 'scripts/devnet env')\n");
		return 2;
	}
	struct hy_keyring ring;
	struct hy_aead_ctx key;
	if (hy_keyfile_load(o->key_file, &ring, err, sizeof(err)) < 0) {
		fprintf(stderr, "hayate-cli: %s\n", err);
		return 2;
	}
	int rc = hy_aead_key_init(&key, HY_AEAD_OPENSSL, ring.key[ring.newest_id]);
	if (rc == 0)
		rc = hy_token_mint(&key, ring.newest_id, (uint32_t)o->node_id,
				   (uint64_t)time(NULL) + o->ttl_s, o->uid,
				   o->transport ? o->transport : HY_TRANSPORT_UDP, &t->cred);
	hy_aead_key_wipe(&key);
	hy_keyring_wipe(&ring);
	if (rc < 0) {
		fprintf(stderr, "hayate-cli: cannot mint a token for uid '%s'\n", o->uid);
		return 2;
	}
	snprintf(t->host, sizeof(t->host), "%s", o->host);
	t->port = (uint16_t)o->port;
	return 0;
}

/* Prints a move the library made (a drain's MOVE, a room redirect). */
static void report_move(struct hy_client *c)
{
	struct hy_client_move mv;

	if (!hy_client_take_move(c, &mv))
		return;
	if (!mv.connected) {
		printf("move from node %u to node %u failed\n", mv.from_node, mv.to_node);
	} else if (mv.room_id != 0) {
		printf("moved to node %u (room %016" PRIx64 " is there), session %016" PRIx64 "\n",
		       mv.to_node, mv.room_id, mv.new_sid);
	} else {
		printf("moved to node %u (%s), session %016" PRIx64 "\n", mv.to_node,
		       mv.reason == HY_MOVE_DRAIN ? "node draining" : "asked by the node", mv.new_sid);
	}
	fflush(stdout);
}

/* Runs the client until pred or the deadline. */
static bool wait_for(struct hy_client *c, bool (*pred)(struct hy_client *, void *), void *arg,
		     uint64_t timeout_ms)
{
	uint64_t start = hy_client_now_ms();
	for (;;) {
		hy_client_update(c, hy_client_now_ms());
		report_move(c);
		if (pred(c, arg))
			return true;
		if (hy_client_state(c) >= HY_CLIENT_DISCONNECTED ||
		    hy_client_now_ms() - start >= timeout_ms)
			return false;
		struct pollfd p = {.fd = hy_client_fd(c), .events = hy_client_poll_events(c)};
		poll(&p, 1, 5);
	}
}

static bool connected(struct hy_client *c, void *arg)
{
	(void)arg;
	return hy_client_state(c) == HY_CLIENT_CONNECTED && !hy_client_moving(c);
}

static uint64_t moves_of(const struct hy_client *c)
{
	return hy_client_stats(c)->moves + hy_client_stats(c)->redirects;
}

struct echo_wait {
	struct hy_client_message m;
	uint64_t moves; /* when the echo was sent */
};

/* The echo's answer, or a move (the answer went down with the old
 * session: send again once the new one is up). */
static bool got_echo(struct hy_client *c, void *arg)
{
	struct echo_wait *w = arg;
	while (hy_client_receive(c, &w->m))
		if (w->m.ver == HY_MSG_VER_TRANSPORT && w->m.cmd == HY_CMD_ECHO)
			return true;
	return moves_of(c) != w->moves;
}

/* "a.b.c.d:port" or "[v6]:port", as people write addresses. */
static void format_addr(const struct hy_echo_addr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip));
	snprintf(out, cap, a->family == 4 ? "%s:%u" : "[%s]:%u", ip, a->port);
}

/* Why the client stopped, for an error line: state, close reason, detail. */
static void print_end(struct hy_client *c)
{
	unsigned why = hy_client_close_reason(c);
	fprintf(stderr, "%s%s%s%s%s\n", hy_client_state_name(hy_client_state(c)), why ? " " : "",
		why ? hy_close_reason_name(why) : "", *hy_client_error(c) ? ": " : "",
		hy_client_error(c));
}

/* Creates a client for t and connects it; prints the "connected" line. */
static struct hy_client *connect_client(const struct cli *o, const struct hy_ticket *t)
{
	struct hy_client_options copt = {.connect_timeout_ms = (uint32_t)o->timeout_ms,
					 .transport = o->transport};
	char err[256], host[sizeof(t->host) + 2];
	struct hy_client *c = hy_client_create(t, &copt, err, sizeof(err));

	if (c == NULL) {
		fprintf(stderr, "hayate-cli: %s\n", err);
		return NULL;
	}
	hy_client_connect(c, hy_client_now_ms());
	if (!wait_for(c, connected, NULL, o->timeout_ms)) {
		fprintf(stderr, "hayate-cli: connect to %s:%u over %s: ", t->host, t->port,
			transport_name(hy_client_transport(c)));
		print_end(c);
		hy_client_destroy(c);
		return NULL;
	}
	snprintf(host, sizeof(host), strchr(t->host, ':') ? "[%s]" : "%s", t->host);
	printf("connected to %s:%u over %s, session %016" PRIx64 ", node %s (id %u)\n", host,
	       t->port, transport_name(hy_client_transport(c)), hy_client_sid(c),
	       hy_node_state_name(hy_client_node_state(c)), hy_client_node_id(c));
	fflush(stdout);
	return c;
}

/* --count echoes --interval-ms apart, each printed; a move on the way
 * (draining node) is followed and printed, and the echo sent again. */
static int echo_loop(const struct cli *o, struct hy_client *c)
{
	for (unsigned long i = 1; i <= o->count; i++) {
		/* A MOVE read during the pause: sends fail until the new
		 * session is up, so wait for it first. */
		if (hy_client_moving(c) && !wait_for(c, connected, NULL, o->timeout_ms)) {
			fprintf(stderr, "hayate-cli: echo %lu: after a move: ", i);
			print_end(c);
			return 1;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t sent_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		struct echo_wait w = {.moves = moves_of(c)};
		struct hy_echo_resp er;
		char addr[80];

		if (hy_client_echo(c, sent_ns) < 0) {
			fprintf(stderr, "hayate-cli: echo %lu: send failed: ", i);
			print_end(c);
			return 1;
		}
		if (!wait_for(c, got_echo, &w, o->timeout_ms)) {
			fprintf(stderr, "hayate-cli: echo %lu: no reply: ", i);
			print_end(c);
			return 1;
		}
		if (moves_of(c) != w.moves) {
			if (!wait_for(c, connected, NULL, o->timeout_ms)) {
				fprintf(stderr, "hayate-cli: echo %lu: after a move: ", i);
				print_end(c);
				return 1;
			}
			i--;
			continue;
		}
		if (w.m.status != HY_STATUS_OK ||
		    hy_echo_resp_decode(w.m.payload, w.m.len, &er) != HY_R_OK ||
		    er.client_time != sent_ns) {
			fprintf(stderr, "hayate-cli: echo %lu: bad reply (status %s)\n", i,
				hy_status_name(w.m.status));
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		format_addr(&er.addr, addr, sizeof(addr));
		printf("echo %lu: rtt %.3f ms, you are %s, node %s%s%s\n", i,
		       (double)(now_ns - sent_ns) / 1e6, addr, hy_node_state_name(er.node_state),
		       o->text ? ": " : "", o->text ? o->text : "");
		fflush(stdout);
		if (i < o->count) {
			uint64_t until = hy_client_now_ms() + o->interval_ms;
			while (hy_client_now_ms() < until) {
				struct pollfd p = {.fd = hy_client_fd(c),
						   .events = hy_client_poll_events(c)};
				poll(&p, 1, (int)(until - hy_client_now_ms()));
				hy_client_update(c, hy_client_now_ms());
				report_move(c);
			}
		}
	}
	return 0;
}

static int cmd_echo(const struct cli *o, const struct hy_ticket *t)
{
	struct hy_client *c = connect_client(o, t);
	int rc;

	if (c == NULL)
		return 1;
	rc = echo_loop(o, c);
	hy_client_disconnect(c);
	hy_client_destroy(c);
	return rc;
}

struct room_wait {
	uint16_t cmd;
	struct hy_room_event ev;
	struct hy_client_message m;
};

/* The answer to a room command (room pushes on the way are skipped). */
static bool got_room_answer(struct hy_client *c, void *arg)
{
	struct room_wait *w = arg;

	while (hy_client_receive(c, &w->m))
		if (w->m.ver == HY_MSG_VER_MODULE && w->m.cmd == w->cmd &&
		    w->m.status != HY_STATUS_PUSH && hy_room_decode(&w->m, &w->ev) == HY_R_OK)
			return true;
	return false;
}

/*
 * create: a room (kept while empty for 60 s), its id printed; join ID:
 * that room, wherever it is (the library follows the node's redirect and
 * prints the move).  Then the member stays for the echo loop, so a drain
 * or a second member can be watched.
 */
static int cmd_room(const struct cli *o, const struct hy_ticket *t, bool create, uint64_t id)
{
	struct hy_room_create_opts ropt = {.allow_empty = 1, .ttl_s = 60};
	struct room_wait w = {.cmd = create ? HY_ROOM_CMD_CREATE : HY_ROOM_CMD_JOIN};
	struct hy_client *c = connect_client(o, t);
	int rc = 1;

	if (c == NULL)
		return 1;
	if ((create ? hy_room_create(c, &ropt, true) : hy_room_join(c, id, true)) < 0 ||
	    !wait_for(c, got_room_answer, &w, o->timeout_ms)) {
		fprintf(stderr, "hayate-cli: %s: no answer: ", create ? "create" : "join");
		print_end(c);
		goto out;
	}
	if (w.ev.kind == HY_ROOM_EV_FAILED) {
		fprintf(stderr, "hayate-cli: %s: %s (%s)\n", create ? "create" : "join",
			hy_reason_name(w.ev.reason), hy_reason_text(w.ev.reason));
		goto out;
	}
	if (create)
		printf("created room %016" PRIx64 " on node %u\n", w.ev.room_id,
		       hy_client_node_id(c));
	else
		printf("joined room %016" PRIx64 " on node %u: %u of %u members\n", w.ev.room_id,
		       hy_client_node_id(c), w.ev.members, w.ev.max_members);
	fflush(stdout);
	rc = echo_loop(o, c);
out:
	hy_client_disconnect(c);
	hy_client_destroy(c);
	return rc;
}

/* ---- room-demo --------------------------------------------------------- */

#define TRANSPORT_MIXED 3u
/* Pacing.  A broadcast counts as outstanding until every other member
 * has it; the members' windows share DEMO_INFLIGHT pushes in flight
 * towards any one member: a game sends at its tick rate, and a demo that
 * sent as fast as it can would only measure how soon the node closes a
 * member as a slow consumer (past 128 KiB, or 1088 units, unacknowledged). */
#define DEMO_INFLIGHT 64u
/* Unreliable: some broadcasts never arrive; after this long without
 * progress, a sender stops waiting for them and its window opens again. */
#define DEMO_STALL_MS 300u

struct member {
	struct hy_client *c;
	unsigned transport;
	uint64_t sid;
	uint32_t sent, answered, outstanding;
	uint64_t last_progress_ms;
	bool joined, failed;
	uint32_t joined_pushes;
	uint32_t *next;  /* per sender: next sequence expected */
	uint32_t *got;   /* per sender: messages received */
	uint8_t *seen;   /* per sender: M flags */
	uint64_t delivered, dups, reordered;
};

/* Whether a member sends on the reliable channel: as asked, on either
 * transport.  The node's TCP server runs the same reliable channel as the
 * data plane (acks, de-duplication, fragments), so a TCP member's reliable
 * traffic is acted on once, like a UDP member's. */
static bool use_reliable(const struct member *mb, bool want)
{
	(void)mb;
	return want;
}

struct demo {
	const struct cli *o;
	unsigned n;
	uint32_t m;
	bool reliable;
	struct member *mb;
	uint64_t room_id;
	uint64_t bad_payloads;
};

static unsigned member_transport(const struct cli *o, unsigned i)
{
	if (o->transport == TRANSPORT_MIXED)
		return i % 2 ? HY_TRANSPORT_TCP : HY_TRANSPORT_UDP;
	return o->transport ? o->transport : HY_TRANSPORT_UDP;
}

/* One ticket per member: its own uid and transport, and for a minted one
 * the transport's endpoint from the environment unless given. */
static int member_ticket(const struct cli *o, unsigned i, unsigned transport, struct hy_ticket *t)
{
	struct cli mo = *o;
	char uid[64];
	bool tcp = transport == HY_TRANSPORT_TCP;
	const char *v;

	snprintf(uid, sizeof(uid), "%s-%u", o->uid, i);
	mo.uid = uid;
	mo.transport = transport;
	if (!o->host_given)
		mo.host = env_or(tcp ? "HAYATE_TCP_HOST" : "HAYATE_UDP_HOST", NULL);
	if (!o->port_given) {
		mo.port = 0;
		if ((v = env_or(tcp ? "HAYATE_TCP_PORT" : "HAYATE_UDP_PORT", NULL)) &&
		    parse_ulong("port", v, 1, 65535, &mo.port) < 0)
			return 2;
	}
	memset(t, 0, sizeof(*t));
	return get_ticket(&mo, t);
}

/* Updates every client and waits a little for any socket. */
static void demo_step(struct demo *d)
{
	struct pollfd p[256];
	unsigned i, np = 0;
	uint64_t now = hy_client_now_ms();

	for (i = 0; i < d->n; i++)
		hy_client_update(d->mb[i].c, now);
	for (i = 0; i < d->n && np < 256; i++) {
		p[np].fd = hy_client_fd(d->mb[i].c);
		p[np].events = hy_client_poll_events(d->mb[i].c);
		p[np++].revents = 0;
	}
	poll(p, np, 2);
}

static bool all_up(const struct demo *d)
{
	for (unsigned i = 0; i < d->n; i++)
		if (hy_client_state(d->mb[i].c) != HY_CLIENT_CONNECTED)
			return false;
	return true;
}

static void demo_on_broadcast(struct demo *d, struct member *r, const struct hy_room_event *ev)
{
	if (ev->data_len != 8) {
		d->bad_payloads++;
		return;
	}
	uint32_t from = (uint32_t)ev->data[0] << 24 | (uint32_t)ev->data[1] << 16 |
			(uint32_t)ev->data[2] << 8 | ev->data[3];
	uint32_t seq = (uint32_t)ev->data[4] << 24 | (uint32_t)ev->data[5] << 16 |
		       (uint32_t)ev->data[6] << 8 | ev->data[7];
	if (from >= d->n || seq >= d->m || d->mb[from].sid != ev->sid || r == &d->mb[from]) {
		d->bad_payloads++;
		return;
	}
	uint8_t *seen = &r->seen[(size_t)from * d->m + seq];
	if (*seen) {
		r->dups++;
		return;
	}
	*seen = 1;
	r->delivered++;
	r->got[from]++;
	if (seq != r->next[from])
		r->reordered++;
	if (seq >= r->next[from])
		r->next[from] = seq + 1;
}

/* Reads everything each client received. */
static void demo_drain(struct demo *d)
{
	struct hy_client_message msg;
	struct hy_room_event ev;

	for (unsigned i = 0; i < d->n; i++) {
		struct member *mb = &d->mb[i];
		while (hy_client_receive(mb->c, &msg)) {
			if (hy_room_decode(&msg, &ev) != HY_R_OK) {
				d->bad_payloads++;
				continue;
			}
			switch (ev.kind) {
			case HY_ROOM_EV_CREATED:
				d->room_id = ev.room_id;
				mb->joined = true;
				break;
			case HY_ROOM_EV_JOINED:
				mb->joined = true;
				break;
			case HY_ROOM_EV_FAILED:
				fprintf(stderr, "hayate-cli: member %u: room command %u refused: %s\n", i,
					ev.cmd, hy_reason_name(ev.reason));
				mb->failed = true;
				break;
			case HY_ROOM_EV_SENT:
				mb->answered++;
				break;
			case HY_ROOM_EV_MEMBER_JOINED:
				mb->joined_pushes++;
				break;
			case HY_ROOM_EV_BROADCAST:
				demo_on_broadcast(d, mb, &ev);
				break;
			default:
				break;
			}
		}
	}
}

static uint64_t demo_delivered(const struct demo *d, unsigned transport)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < d->n; i++)
		if (transport == 0 || d->mb[i].transport == transport)
			s += d->mb[i].delivered;
	return s;
}

/* Sends what each member's window allows. */
static void demo_send(struct demo *d)
{
	uint64_t now = hy_client_now_ms();

	uint32_t window = DEMO_INFLIGHT / (d->n - 1) ? DEMO_INFLIGHT / (d->n - 1) : 1;

	for (unsigned i = 0; i < d->n; i++) {
		struct member *mb = &d->mb[i];
		uint32_t min_got = UINT32_MAX;
		for (unsigned j = 0; j < d->n; j++)
			if (j != i && d->mb[j].got[i] < min_got)
				min_got = d->mb[j].got[i];
		/* (unreliable: late arrivals may push got past sent) */
		uint32_t out = min_got >= mb->sent ? 0 : mb->sent - min_got;
		if (out != mb->outstanding) {
			mb->outstanding = out;
			mb->last_progress_ms = now;
		}
		if (!d->reliable && mb->outstanding && now - mb->last_progress_ms >= DEMO_STALL_MS) {
			/* unreliable: some never arrive; stop waiting for them */
			for (unsigned j = 0; j < d->n; j++)
				if (j != i && d->mb[j].got[i] < mb->sent)
					d->mb[j].got[i] = mb->sent;
			mb->outstanding = 0;
			mb->last_progress_ms = now;
		}
		while (mb->sent < d->m && mb->outstanding < window) {
			uint8_t p[8] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
					(uint8_t)i, (uint8_t)(mb->sent >> 24),
					(uint8_t)(mb->sent >> 16), (uint8_t)(mb->sent >> 8),
					(uint8_t)mb->sent};
			if (hy_room_broadcast(mb->c, p, sizeof(p), false,
					      use_reliable(mb, d->reliable)) < 0)
				break; /* reliable window full or TCP output full: later */
			if (mb->outstanding == 0)
				mb->last_progress_ms = now;
			mb->sent++;
			mb->outstanding++;
		}
	}
}

/* Runs until pred holds or nothing progressed for timeout_ms. */
static bool demo_wait(struct demo *d, bool (*pred)(const struct demo *), uint64_t timeout_ms,
		      bool sending)
{
	uint64_t last = hy_client_now_ms(), seen = UINT64_MAX;

	for (;;) {
		demo_step(d);
		demo_drain(d);
		if (sending)
			demo_send(d);
		if (pred(d))
			return true;
		for (unsigned i = 0; i < d->n; i++)
			if (hy_client_state(d->mb[i].c) >= HY_CLIENT_DISCONNECTED)
				return false;
		uint64_t progress = demo_delivered(d, 0);
		for (unsigned i = 0; i < d->n; i++)
			progress += d->mb[i].sent + d->mb[i].joined + d->mb[i].joined_pushes;
		if (progress != seen) {
			seen = progress;
			last = hy_client_now_ms();
		} else if (hy_client_now_ms() - last >= timeout_ms) {
			return false;
		}
	}
}

static bool demo_created(const struct demo *d) { return d->room_id != 0 || d->mb[0].failed; }

static bool demo_joined(const struct demo *d)
{
	for (unsigned i = 0; i < d->n; i++)
		if (!d->mb[i].joined && !d->mb[i].failed)
			return false;
	/* whatever the order of the joins, each pair of members yields one
	 * MEMBER_JOINED push (to the earlier of the two) */
	uint32_t pushes = 0;
	for (unsigned i = 0; i < d->n; i++)
		pushes += d->mb[i].joined_pushes;
	return pushes >= d->n * (d->n - 1) / 2;
}

static bool demo_done(const struct demo *d)
{
	return demo_delivered(d, 0) >= (uint64_t)d->n * (d->n - 1) * d->m;
}

static int cmd_room_demo(const struct cli *o)
{
	struct demo d = {.o = o, .n = (unsigned)o->members, .m = (uint32_t)o->messages,
			 .reliable = o->reliable};
	int rc = 1;
	unsigned i;

	d.mb = calloc(d.n, sizeof(*d.mb));
	if (d.mb == NULL)
		return 1;
	for (i = 0; i < d.n; i++) {
		struct member *mb = &d.mb[i];
		struct hy_ticket t;
		char err[256];

		mb->transport = member_transport(o, i);
		mb->next = calloc(d.n, sizeof(*mb->next));
		mb->got = calloc(d.n, sizeof(*mb->got));
		mb->seen = calloc((size_t)d.n * d.m, 1);
		if (mb->next == NULL || mb->got == NULL || mb->seen == NULL)
			goto out;
		int trc = member_ticket(o, i, mb->transport, &t);
		if (trc != 0) {
			rc = trc;
			goto out;
		}
		struct hy_client_options copt = {.connect_timeout_ms = (uint32_t)o->timeout_ms,
						 .transport = mb->transport};
		mb->c = hy_client_create(&t, &copt, err, sizeof(err));
		explicit_bzero(&t, sizeof(t));
		if (mb->c == NULL) {
			fprintf(stderr, "hayate-cli: member %u: %s\n", i, err);
			goto out;
		}
		hy_client_connect(mb->c, hy_client_now_ms());
	}
	uint64_t start = hy_client_now_ms();
	while (!all_up(&d)) {
		demo_step(&d);
		for (i = 0; i < d.n; i++)
			if (hy_client_state(d.mb[i].c) >= HY_CLIENT_DISCONNECTED) {
				fprintf(stderr, "hayate-cli: member %u (%s): ", i,
					transport_name(d.mb[i].transport));
				print_end(d.mb[i].c);
				goto out;
			}
		if (hy_client_now_ms() - start > o->timeout_ms) {
			fprintf(stderr, "hayate-cli: members did not all connect in %lu ms\n",
				o->timeout_ms);
			goto out;
		}
	}
	for (i = 0; i < d.n; i++)
		d.mb[i].sid = hy_client_sid(d.mb[i].c);

	/* Room commands go reliably whatever --reliable says: the demo is
	 * about the broadcasts. */
	if (hy_room_create(d.mb[0].c, NULL, use_reliable(&d.mb[0], true)) < 0 ||
	    !demo_wait(&d, demo_created, o->timeout_ms, false) || d.room_id == 0) {
		fprintf(stderr, "hayate-cli: CREATE got no room\n");
		goto out;
	}
	printf("room %016" PRIx64 " created by member 0 (sid %016" PRIx64 ")\n", d.room_id,
	       d.mb[0].sid);
	for (i = 1; i < d.n; i++) {
		if (hy_room_join(d.mb[i].c, d.room_id, use_reliable(&d.mb[i], true)) < 0) {
			fprintf(stderr, "hayate-cli: member %u: JOIN not sent\n", i);
			goto out;
		}
	}
	if (!demo_wait(&d, demo_joined, o->timeout_ms, false)) {
		fprintf(stderr, "hayate-cli: joins incomplete:");
		for (i = 0; i < d.n; i++)
			fprintf(stderr, " m%u=%s/%u", i, d.mb[i].joined ? "in" : "out",
				d.mb[i].joined_pushes);
		fprintf(stderr, "\n");
		goto out;
	}
	for (i = 0; i < d.n; i++)
		if (d.mb[i].failed)
			goto out;
	unsigned ntcp = 0;
	for (i = 0; i < d.n; i++)
		ntcp += d.mb[i].transport == HY_TRANSPORT_TCP;
	printf("%u members in the room (%u udp, %u tcp), member-joined pushes complete\n", d.n,
	       d.n - ntcp, ntcp);

	uint64_t t0 = hy_client_now_ms();
	bool complete = demo_wait(&d, demo_done, o->timeout_ms, true);
	uint64_t ms = hy_client_now_ms() - t0;
	uint64_t expected = (uint64_t)d.n * (d.n - 1) * d.m, dups = 0, reord = 0, retx = 0;
	bool up = true;
	for (i = 0; i < d.n; i++) {
		dups += d.mb[i].dups;
		reord += d.mb[i].reordered;
		retx += hy_client_stats(d.mb[i].c)->retransmits;
		if (hy_client_state(d.mb[i].c) != HY_CLIENT_CONNECTED) {
			up = false;
			fprintf(stderr, "hayate-cli: member %u (%s): ", i,
				transport_name(d.mb[i].transport));
			print_end(d.mb[i].c);
		}
	}
	uint64_t exp_tr[3] = {0};
	for (i = 0; i < d.n; i++)
		exp_tr[d.mb[i].transport] += (uint64_t)(d.n - 1) * d.m;
	printf("delivered=%" PRIu64 " expected=%" PRIu64 " duplicates=%" PRIu64
	       " reordered=%" PRIu64 " bad=%" PRIu64 " in %" PRIu64 " ms (%s)\n",
	       demo_delivered(&d, 0), expected, dups, reord, d.bad_payloads, ms,
	       d.reliable ? "reliable" : "unreliable");
	printf("udp: delivered=%" PRIu64 " expected=%" PRIu64 "\n",
	       demo_delivered(&d, HY_TRANSPORT_UDP), exp_tr[HY_TRANSPORT_UDP]);
	printf("tcp: delivered=%" PRIu64 " expected=%" PRIu64 "\n",
	       demo_delivered(&d, HY_TRANSPORT_TCP), exp_tr[HY_TRANSPORT_TCP]);
	printf("client retransmits=%" PRIu64 "\n", retx);
	if (!up) {
		rc = 1;
	} else if (d.reliable) {
		rc = complete && demo_delivered(&d, 0) == expected && dups == 0 && reord == 0 &&
				     d.bad_payloads == 0
			     ? 0
			     : 1;
		if (rc)
			fprintf(stderr, "hayate-cli: reliable delivery violated\n");
	} else {
		rc = 0;
	}
	for (i = 0; i < d.n; i++)
		hy_room_leave(d.mb[i].c, use_reliable(&d.mb[i], true));
	for (int k = 0; k < 20; k++)
		demo_step(&d);
out:
	for (i = 0; i < d.n; i++) {
		if (d.mb[i].c) {
			hy_client_disconnect(d.mb[i].c);
			hy_client_destroy(d.mb[i].c);
		}
		free(d.mb[i].next);
		free(d.mb[i].got);
		free(d.mb[i].seen);
	}
	free(d.mb);
	return rc;
}

static int parse_transport(const char *s, unsigned *out)
{
	if (strcmp(s, "udp") == 0) {
		*out = HY_TRANSPORT_UDP;
	} else if (strcmp(s, "tcp") == 0) {
		*out = HY_TRANSPORT_TCP;
	} else if (strcmp(s, "mixed") == 0) {
		*out = TRANSPORT_MIXED;
	} else {
		fprintf(stderr, "hayate-cli: --transport: expected udp, tcp or mixed, got '%s'\n", s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli o = {.key_file = env_or("HAYATE_CLUSTER_KEY_FILE", NULL),
			.http = env_or("HAYATE_HTTP_URL", NULL),
			.app_key = env_or("HAYATE_APP_KEY", NULL),
			.uid = "cli-user", .node_id = 1, .count = 3, .interval_ms = 200,
			.timeout_ms = 5000, .ttl_s = 60,
			.members = 4, .messages = 10};
	bool port_given = false;
	const char *v;
	int opt;

	if ((v = env_or("HAYATE_NODE_ID", NULL)) &&
	    parse_ulong("node-id", v, 1, UINT32_MAX, &o.node_id) < 0)
		return 2;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int bad = 0;
		switch (opt) {
		case OPT_KEY_FILE: o.key_file = optarg; o.key_file_given = true; break;
		case OPT_HTTP: o.http = optarg; o.http_given = true; break;
		case OPT_APP_KEY: o.app_key = optarg; break;
		case OPT_HOST: o.host = optarg; o.host_given = true; break;
		case OPT_MEMBERS: bad = parse_ulong("members", optarg, 2, 64, &o.members); break;
		case OPT_MESSAGES: bad = parse_ulong("messages", optarg, 1, 100000, &o.messages); break;
		case OPT_RELIABLE: o.reliable = true; break;
		case OPT_UID: o.uid = optarg; break;
		case OPT_TICKET: o.ticket_file = optarg; break;
		case OPT_TRANSPORT: bad = parse_transport(optarg, &o.transport); break;
		case OPT_NODE_ID: bad = parse_ulong("node-id", optarg, 1, UINT32_MAX, &o.node_id); break;
		case OPT_PORT:
			bad = parse_ulong("port", optarg, 1, 65535, &o.port);
			port_given = true;
			o.port_given = true;
			break;
		case OPT_COUNT: bad = parse_ulong("count", optarg, 1, 1000000, &o.count); break;
		case OPT_INTERVAL: bad = parse_ulong("interval-ms", optarg, 0, 3600000, &o.interval_ms); break;
		case OPT_TIMEOUT: bad = parse_ulong("timeout-ms", optarg, 1, 3600000, &o.timeout_ms); break;
		case OPT_TTL: bad = parse_ulong("ttl", optarg, 1, 86400 * 30, &o.ttl_s); break;
		case 'h':
		case OPT_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (bad)
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "hayate-cli: missing COMMAND (echo, auth, mint, create, join or "
				"room-demo); --help for usage\n");
		return 2;
	}
	const char *cmd = argv[optind];
	bool room_cmd = strcmp(cmd, "create") == 0 || strcmp(cmd, "join") == 0;
	if (strcmp(cmd, "echo") != 0 && strcmp(cmd, "mint") != 0 && strcmp(cmd, "auth") != 0 &&
	    strcmp(cmd, "room-demo") != 0 && !room_cmd) {
		fprintf(stderr, "hayate-cli: unknown command '%s' (echo, auth, mint, create, join or "
				"room-demo); --help for usage\n", cmd);
		return 2;
	}
	if (o.transport == TRANSPORT_MIXED && strcmp(cmd, "room-demo") != 0) {
		fprintf(stderr, "hayate-cli: --transport mixed is for room-demo only\n");
		return 2;
	}
	if (strcmp(cmd, "room-demo") == 0) {
		if (argc - optind > 1) {
			fprintf(stderr, "hayate-cli: too many arguments for 'room-demo'; --help for usage\n");
			return 2;
		}
		if (o.http_given && o.key_file_given) {
			fprintf(stderr, "hayate-cli: --http and --key-file are two ticket sources: give one\n");
			return 2;
		}
		if (o.ticket_file) {
			fprintf(stderr, "hayate-cli: room-demo needs a ticket per member: --http or "
					"--key-file, not --ticket\n");
			return 2;
		}
		return cmd_room_demo(&o);
	}
	bool join = strcmp(cmd, "join") == 0;
	if (argc - optind > (strcmp(cmd, "echo") == 0 || join ? 2 : 1)) {
		fprintf(stderr, "hayate-cli: too many arguments for '%s'; --help for usage\n", cmd);
		return 2;
	}
	if (strcmp(cmd, "echo") == 0 && argc - optind == 2)
		o.text = argv[optind + 1];
	uint64_t room_id = 0;
	if (join) {
		char *end = NULL;
		errno = 0;
		if (argc - optind == 2)
			room_id = strtoull(argv[optind + 1], &end, 16);
		if (argc - optind != 2 || errno || *end != '\0' || room_id == 0) {
			fprintf(stderr, "hayate-cli: join needs a room id (hex, as create prints it)\n");
			return 2;
		}
	}
	if (o.http_given && o.key_file_given) {
		fprintf(stderr, "hayate-cli: --http and --key-file are two ticket sources: give one\n");
		return 2;
	}
	/* The minted ticket's endpoint: the transport's own variables. */
	bool tcp = o.transport == HY_TRANSPORT_TCP;
	if (o.host == NULL)
		o.host = env_or(tcp ? "HAYATE_TCP_HOST" : "HAYATE_UDP_HOST", NULL);
	if (!port_given && (v = env_or(tcp ? "HAYATE_TCP_PORT" : "HAYATE_UDP_PORT", NULL)) &&
	    parse_ulong("port", v, 1, 65535, &o.port) < 0)
		return 2;
	if (strcmp(cmd, "auth") == 0 && (o.http == NULL || o.ticket_file || o.key_file_given)) {
		fprintf(stderr, "hayate-cli: auth fetches a ticket over HTTP: give --http URL and "
				"--app-key KEY (or $HAYATE_HTTP_URL and $HAYATE_APP_KEY)\n");
		return 2;
	}
	if (strcmp(cmd, "mint") == 0) {
		if (o.http_given) {
			fprintf(stderr, "hayate-cli: mint uses the cluster key file; 'auth' fetches a "
					"ticket over HTTP\n");
			return 2;
		}
		o.http = NULL; /* $HAYATE_HTTP_URL does not apply to mint */
	}

	struct hy_ticket t;
	memset(&t, 0, sizeof(t));
	int rc = get_ticket(&o, &t);
	if (rc != 0)
		return rc;
	if (strcmp(cmd, "mint") == 0 || strcmp(cmd, "auth") == 0) {
		char json[1024];
		rc = hy_ticket_to_json(&t, json, sizeof(json)) < 0;
		if (!rc)
			printf("%s\n", json);
		explicit_bzero(json, sizeof(json));
	} else if (room_cmd) {
		rc = cmd_room(&o, &t, !join, room_id);
	} else {
		rc = cmd_echo(&o, &t);
	}
	explicit_bzero(&t, sizeof(t));
	return rc;
}
