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
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

struct cli {
	const char *key_file, *host, *uid, *ticket_file, *http, *app_key, *text;
	bool key_file_given, http_given; /* on the command line, not from the environment */
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
		"  --count N           echoes to send                      [3]\n"
		"  --interval-ms MS    pause between echoes                [200]\n"
		"  --timeout-ms MS     give up on HTTP, connect or a reply after [5000]\n"
		"  --help              this text\n"
		"\n"
		"Exit status: 0 success; 1 the HTTP tier or the node refused, timed out or answered\n"
		"wrongly; 2 usage (bad options, no ticket source, unreadable ticket or key file).\n"
		"Not yet: rooms.\n");
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

/* Runs the client until pred or the deadline. */
static bool wait_for(struct hy_client *c, bool (*pred)(struct hy_client *, void *), void *arg,
		     uint64_t timeout_ms)
{
	uint64_t start = hy_client_now_ms();
	for (;;) {
		hy_client_update(c, hy_client_now_ms());
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
	return hy_client_state(c) == HY_CLIENT_CONNECTED;
}

static bool got_echo(struct hy_client *c, void *arg)
{
	struct hy_client_message *m = arg;
	while (hy_client_receive(c, m))
		if (m->ver == HY_MSG_VER_TRANSPORT && m->cmd == HY_CMD_ECHO)
			return true;
	return false;
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

static int cmd_echo(const struct cli *o, const struct hy_ticket *t)
{
	struct hy_client_options copt = {.connect_timeout_ms = (uint32_t)o->timeout_ms,
					 .transport = o->transport};
	char err[256];
	struct hy_client *c = hy_client_create(t, &copt, err, sizeof(err));
	int rc = 1;

	if (c == NULL) {
		fprintf(stderr, "hayate-cli: %s\n", err);
		return 1;
	}
	hy_client_connect(c, hy_client_now_ms());
	if (!wait_for(c, connected, NULL, o->timeout_ms)) {
		fprintf(stderr, "hayate-cli: connect to %s:%u over %s: ", t->host, t->port,
			transport_name(hy_client_transport(c)));
		print_end(c);
		goto out;
	}
	char host[sizeof(t->host) + 2];
	snprintf(host, sizeof(host), strchr(t->host, ':') ? "[%s]" : "%s", t->host);
	printf("connected to %s:%u over %s, session %016" PRIx64 ", node %s\n", host, t->port,
	       transport_name(hy_client_transport(c)), hy_client_sid(c),
	       hy_node_state_name(hy_client_node_state(c)));
	for (unsigned long i = 1; i <= o->count; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t sent_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		struct hy_client_message m;
		struct hy_echo_resp er;
		char addr[80];

		if (hy_client_echo(c, sent_ns) < 0) {
			fprintf(stderr, "hayate-cli: echo %lu: send failed: ", i);
			print_end(c);
			goto out;
		}
		if (!wait_for(c, got_echo, &m, o->timeout_ms)) {
			fprintf(stderr, "hayate-cli: echo %lu: no reply: ", i);
			print_end(c);
			goto out;
		}
		if (m.status != HY_STATUS_OK || hy_echo_resp_decode(m.payload, m.len, &er) != HY_R_OK ||
		    er.client_time != sent_ns) {
			fprintf(stderr, "hayate-cli: echo %lu: bad reply (status %s)\n", i,
				hy_status_name(m.status));
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		format_addr(&er.addr, addr, sizeof(addr));
		printf("echo %lu: rtt %.3f ms, you are %s, node %s%s%s\n", i,
		       (double)(now_ns - sent_ns) / 1e6, addr, hy_node_state_name(er.node_state),
		       o->text ? ": " : "", o->text ? o->text : "");
		if (i < o->count) {
			uint64_t until = hy_client_now_ms() + o->interval_ms;
			while (hy_client_now_ms() < until) {
				struct pollfd p = {.fd = hy_client_fd(c),
						   .events = hy_client_poll_events(c)};
				poll(&p, 1, (int)(until - hy_client_now_ms()));
				hy_client_update(c, hy_client_now_ms());
			}
		}
	}
	rc = 0;
out:
	hy_client_disconnect(c);
	hy_client_destroy(c);
	return rc;
}

static int parse_transport(const char *s, unsigned *out)
{
	if (strcmp(s, "udp") == 0) {
		*out = HY_TRANSPORT_UDP;
	} else if (strcmp(s, "tcp") == 0) {
		*out = HY_TRANSPORT_TCP;
	} else {
		fprintf(stderr, "hayate-cli: --transport: expected udp or tcp, got '%s'\n", s);
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
			.timeout_ms = 5000, .ttl_s = 60};
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
		case OPT_HOST: o.host = optarg; break;
		case OPT_UID: o.uid = optarg; break;
		case OPT_TICKET: o.ticket_file = optarg; break;
		case OPT_TRANSPORT: bad = parse_transport(optarg, &o.transport); break;
		case OPT_NODE_ID: bad = parse_ulong("node-id", optarg, 1, UINT32_MAX, &o.node_id); break;
		case OPT_PORT:
			bad = parse_ulong("port", optarg, 1, 65535, &o.port);
			port_given = true;
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
		fprintf(stderr, "hayate-cli: missing COMMAND (echo, auth or mint); --help for usage\n");
		return 2;
	}
	const char *cmd = argv[optind];
	if (strcmp(cmd, "echo") != 0 && strcmp(cmd, "mint") != 0 && strcmp(cmd, "auth") != 0) {
		fprintf(stderr, "hayate-cli: unknown command '%s' (echo, auth or mint); --help for usage\n",
			cmd);
		return 2;
	}
	if (argc - optind > (strcmp(cmd, "echo") == 0 ? 2 : 1)) {
		fprintf(stderr, "hayate-cli: too many arguments for '%s'; --help for usage\n", cmd);
		return 2;
	}
	if (strcmp(cmd, "echo") == 0 && argc - optind == 2)
		o.text = argv[optind + 1];
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
	} else {
		rc = cmd_echo(&o, &t);
	}
	explicit_bzero(&t, sizeof(t));
	return rc;
}
