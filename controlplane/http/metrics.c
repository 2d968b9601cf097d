/* SPDX-License-Identifier: BSD-3-Clause
 * GET /metrics: Prometheus text exposition format 0.0.4.
 *
 * Every family gets one HELP and one TYPE line followed by all of its
 * samples.  Data-plane counters are read by name from the data plane's
 * stats region (hy_cp_dataplane_counters) and mapped as follows (the
 * region is self-describing, so names this build does not know still
 * come out, under a generic family):
 *   "<name>"          hayate_dp_<name>_total (counter), or hayate_dp_<name>
 *                     (gauge) for the gauges sessions and used_sids
 *   "net.<R>"         hayate_dp_net_drops_total{reason="<R>"}
 *   "reply.<K>"       hayate_dp_net_replies_by_kind_total{kind="<K>"}
 *   "drop.<R>"        hayate_dp_drops_by_reason_total{reason="<R>"}
 *   "closed.<R>"      hayate_dp_sessions_closed_by_reason_total{reason="<R>"}
 *   "deny.<R>"        hayate_dp_connects_denied_total{reason="<R>"}
 *   "lcore.<id>.<role>.busy_us"
 *                     hayate_dp_lcore_busy_seconds_total{lcore="<id>",role="<role>"}
 *                     (each lcore's time in polls that found work: its load
 *                     is the rate; the sum over lcores hides it)
 *   "tx_delay.<B>us", "tx_delay.inf", "tx_delay_ns"
 *                     the histogram hayate_dp_tx_delay_seconds (_bucket{le},
 *                     cumulative, then _sum and _count after the +Inf bucket)
 *   "<p>.<x>"         hayate_dp_<p>_total{name="<x>"}
 * and the control plane's detail counters (hy_cp_detail_counters):
 *   "tcp.drop.<R>"    hayate_cp_tcp_drops_by_reason_total{reason="<R>"}
 *   "tcp.deny.<R>"    hayate_cp_tcp_denies_by_reason_total{reason="<R>"}
 *   "tcp.<x>"         hayate_cp_tcp_events_total{event="<x>"}
 *   "ring.<x>"        hayate_cp_ring_link_events_total{event="<x>"}
 *                     ("ring.attached" is hayate_cp_dataplane_attached)
 *   anything else     hayate_cp_detail_total{name="<name>"}
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

#define DP_MAX 4096u
#define FAMILY_LEN 96u
#define LABEL_LEN 64u

struct dp_sample {
	char family[FAMILY_LEN];
	const char *label; /* label name, NULL for none */
	char value_label[LABEL_LEN];
	const char *label2; /* a second label, NULL for none */
	char value_label2[LABEL_LEN];
	const char *suffix; /* after the family in the sample's name, "" for none */
	bool micro; /* v is in microseconds, printed in seconds */
	bool nano;  /* v is in nanoseconds, printed in seconds */
	const char *type;
	const char *help;
	uint64_t v;
};

struct dp_set {
	struct dp_sample *s;
	size_t n;
	bool cp; /* control-plane detail counters, else data-plane counters */
	uint64_t tx_delay_cum, tx_delay_ns; /* the histogram's running count, its sum */
};

#define TX_DELAY_FAMILY "hayate_dp_tx_delay_seconds"
#define TX_DELAY_HELP                                                                   \
	"Frames the data plane sent, by the time from the start of the poll that made " \
	"each to the return of the burst that handed it to the port (a packet's wait in the rx ring "  \
	"not included)."


struct mapping {
	const char *prefix;
	const char *family;
	const char *label;
	const char *help;
};

static const struct mapping dp_map[] = {
	{"net.", "hayate_dp_net_drops_total", "reason",
	 "Frames the data plane's network layer dropped, by reason."},
	{"reply.", "hayate_dp_net_replies_by_kind_total", "kind",
	 "ARP, ICMP and NDP answers the data plane sent, by kind."},
	{"drop.", "hayate_dp_drops_by_reason_total", "reason",
	 "Datagrams the session engine dropped, by reason."},
	{"closed.", "hayate_dp_sessions_closed_by_reason_total", "reason",
	 "Sessions the data plane closed, by reason."},
	{"deny.", "hayate_dp_connects_denied_total", "reason",
	 "Connects the data plane denied, by reason."},
	{NULL, NULL, NULL, NULL},
};

static const struct mapping cp_map[] = {
	{"tcp.drop.", "hayate_cp_tcp_drops_by_reason_total", "reason",
	 "TCP real-time connections closed for invalid input, by reason."},
	{"tcp.deny.", "hayate_cp_tcp_denies_by_reason_total", "reason",
	 "DENY answers of the TCP real-time server, by reason."},
	{"tcp.", "hayate_cp_tcp_events_total", "event",
	 "Events of the TCP real-time server."},
	{"ring.", "hayate_cp_ring_link_events_total", "event",
	 "Events of the control plane's link to the data plane."},
	{"", "hayate_cp_detail_total", "name", "Other control-plane counters."},
	{NULL, NULL, NULL, NULL},
};

/* Metric names allow [a-zA-Z0-9_:]; anything else becomes '_'. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			*s = '_';
}

/* "lcore.<id>.<role>.busy_us" into s; false for any other name. */
static bool lcore_busy(const char *name, struct dp_sample *s)
{
	unsigned int id;
	char role[16];
	int end = 0;

	if (sscanf(name, "lcore.%u.%15[a-z].busy_us%n", &id, role, &end) != 2 ||
	    name[end] != '\0')
		return false;
	snprintf(s->family, sizeof(s->family), "hayate_dp_lcore_busy_seconds_total");
	s->label = "lcore";
	snprintf(s->value_label, sizeof(s->value_label), "%u", id);
	s->label2 = "role";
	snprintf(s->value_label2, sizeof(s->value_label2), "%s", role);
	s->micro = true;
	s->help = "Seconds each data-plane lcore spent in polls that found work "
		  "(its load: the rate, 0 to 1).";
	return true;
}

static struct dp_sample *tx_delay_sample(struct dp_set *set, const char *suffix, uint64_t v)
{
	struct dp_sample *s = &set->s[set->n++];

	memset(s, 0, sizeof(*s));
	snprintf(s->family, sizeof(s->family), TX_DELAY_FAMILY);
	s->suffix = suffix;
	s->type = "histogram";
	s->help = TX_DELAY_HELP;
	s->v = v;
	return s;
}

/* The tx delay counters into the histogram; false for any other name.
 * The data plane lists tx_delay_ns first, then the buckets in increasing
 * order, the last one "inf". */
static bool tx_delay(struct dp_set *set, const char *name, uint64_t v)
{
	unsigned int us;
	int end = 0;
	struct dp_sample *s;

	if (strcmp(name, "tx_delay_ns") == 0) {
		set->tx_delay_ns = v;
		return true;
	}
	if (strncmp(name, "tx_delay.", 9) != 0)
		return false;
	if (set->n + 3 > DP_MAX)
		return true;
	set->tx_delay_cum += v;
	s = tx_delay_sample(set, "_bucket", set->tx_delay_cum);
	s->label = "le";
	if (strcmp(name + 9, "inf") == 0) {
		snprintf(s->value_label, sizeof(s->value_label), "+Inf");
		tx_delay_sample(set, "_sum", set->tx_delay_ns)->nano = true;
		tx_delay_sample(set, "_count", set->tx_delay_cum);
	} else if (sscanf(name + 9, "%uus%n", &us, &end) == 1 && name[9 + end] == '\0') {
		snprintf(s->value_label, sizeof(s->value_label), "%u.%06u", us / 1000000u,
			 us % 1000000u);
	} else {
		set->n--; /* not a bucket this build knows */
	}
	return true;
}

static void collect(void *arg, const char *name, uint64_t v)
{
	struct dp_set *set = arg;
	const char *dot = strchr(name, '.');
	struct dp_sample *s;

	/* Exported already as the gauge hayate_cp_dataplane_attached. */
	if (set->cp && strcmp(name, "ring.attached") == 0)
		return;
	if (set->n == DP_MAX)
		return;
	if (!set->cp && tx_delay(set, name, v))
		return;
	s = &set->s[set->n++];
	s->suffix = "";
	s->nano = false;
	s->v = v;
	s->label = NULL;
	s->value_label[0] = '\0';
	s->label2 = NULL;
	s->micro = false;
	s->type = "counter";
	if (!set->cp && lcore_busy(name, s))
		return;
	if (dot == NULL && !set->cp) {
		bool gauge = strcmp(name, "sessions") == 0 || strcmp(name, "used_sids") == 0;
		snprintf(s->family, sizeof(s->family), gauge ? "hayate_dp_%s" : "hayate_dp_%s_total",
			 name);
		sanitize(s->family);
		s->type = gauge ? "gauge" : "counter";
		s->help = gauge ? "Data-plane gauge, summed over lcores."
				: "Data-plane counter, summed over lcores.";
		return;
	}
	for (const struct mapping *m = set->cp ? cp_map : dp_map; m->prefix != NULL; m++) {
		size_t pl = strlen(m->prefix);
		if (strncmp(name, m->prefix, pl) == 0) {
			snprintf(s->family, sizeof(s->family), "%s", m->family);
			s->label = m->label;
			snprintf(s->value_label, sizeof(s->value_label), "%s", name + pl);
			s->help = m->help;
			return;
		}
	}
	snprintf(s->family, sizeof(s->family), "hayate_dp_%.*s_total", (int)(dot - name), name);
	sanitize(s->family);
	s->label = "name";
	snprintf(s->value_label, sizeof(s->value_label), "%s", dot + 1);
	s->help = "Data-plane counter, summed over lcores.";
}

/* Label values escape '\\', '"' and newline. */
static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* Writes set grouped by family, families in order of first appearance. */
static void put_set(FILE *f, const struct dp_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(set->s[k].family, set->s[i].family) == 0;
		if (seen)
			continue;
		family(f, set->s[i].family, set->s[i].type, set->s[i].help);
		for (size_t k = i; k < set->n; k++) {
			const struct dp_sample *s = &set->s[k];
			if (strcmp(s->family, set->s[i].family) != 0)
				continue;
			fputs(s->family, f);
			fputs(s->suffix, f);
			if (s->label != NULL) {
				fprintf(f, "{%s=\"", s->label);
				put_label_value(f, s->value_label);
				if (s->label2 != NULL) {
					fprintf(f, "\",%s=\"", s->label2);
					put_label_value(f, s->value_label2);
				}
				fputs("\"}", f);
			}
			if (s->micro)
				fprintf(f, " %" PRIu64 ".%06" PRIu64 "\n", s->v / 1000000u,
					s->v % 1000000u);
			else if (s->nano)
				fprintf(f, " %" PRIu64 ".%09" PRIu64 "\n", s->v / 1000000000u,
					s->v % 1000000000u);
			else
				fprintf(f, " %" PRIu64 "\n", s->v);
		}
	}
}

static void put_details(FILE *f, struct hy_cp *cp)
{
	struct dp_set set = {calloc(DP_MAX, sizeof(struct dp_sample)), 0, true};
	if (set.s != NULL && hy_cp_detail_counters(cp, collect, &set) == 0)
		put_set(f, &set);
	free(set.s);
}

static void put_dataplane(FILE *f, struct hy_cp *cp)
{
	struct dp_set set = {calloc(DP_MAX, sizeof(struct dp_sample)), 0, false};
	int ok = set.s != NULL && hy_cp_dataplane_counters(cp, collect, &set) == 0;

	family(f, "hayate_dp_up", "gauge",
	       "1 when the data plane's counters could be read, else 0.");
	sample(f, "hayate_dp_up", ok ? 1 : 0);
	if (ok)
		put_set(f, &set);
	free(set.s);
}

void hy_api_metrics(struct hy_http *h, struct hy_http_reply *r)
{
	const struct hy_cp_node *n = hy_cp_node(h->cp);
	struct hy_cp_counters c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		hy_http_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	hy_cp_counters(h->cp, &c);

	family(f, "hayate_node_info", "gauge", "This node: id, name and version (value 1).");
	fprintf(f, "hayate_node_info{id=\"%" PRIu32 "\",name=\"", n->id);
	put_label_value(f, n->name);
	fputs("\",version=\"", f);
	put_label_value(f, n->version);
	fputs("\"} 1\n", f);
	family(f, "hayate_node_draining", "gauge", "1 while the node is draining (OFFLINE).");
	sample(f, "hayate_node_draining", hy_cp_state(h->cp) == HY_CP_OFFLINE);

	family(f, "hayate_cp_sessions", "gauge", "Sessions the control plane knows, by transport.");
	fprintf(f, "hayate_cp_sessions{transport=\"udp\"} %" PRIu64 "\n", c.udp_sessions);
	fprintf(f, "hayate_cp_sessions{transport=\"tcp\"} %" PRIu64 "\n", c.tcp_sessions);
	family(f, "hayate_cp_dataplane_attached", "gauge",
	       "1 while the data plane's rings are attached.");
	sample(f, "hayate_cp_dataplane_attached", c.dataplane_attached);
#define CP_COUNTER(name, field, help)                      \
	family(f, "hayate_cp_" name "_total", "counter", help); \
	sample(f, "hayate_cp_" name "_total", c.field);
	CP_COUNTER("dataplane_attaches", dataplane_attaches,
		   "Times the data plane's rings were (re)attached.")
	CP_COUNTER("ring_events_up", ring_events_up, "Events received from the data plane.")
	CP_COUNTER("ring_msgs_down", ring_msgs_down, "Messages sent to the data plane.")
	CP_COUNTER("ring_full", ring_full, "Messages not sent: ring to the data plane full.")
	CP_COUNTER("tcp_accepted", tcp_accepted, "TCP real-time connections accepted.")
	CP_COUNTER("tcp_closed", tcp_closed, "TCP real-time connections closed.")
	CP_COUNTER("tcp_rejected", tcp_rejected, "TCP real-time connections refused.")
	CP_COUNTER("tcp_slow_consumer", tcp_slow_consumer,
		   "TCP connections closed because the client did not read.")
	CP_COUNTER("commands", commands, "Commands handled by the control plane.")
	CP_COUNTER("responses", responses, "Responses sent by the control plane.")
#undef CP_COUNTER

	family(f, "hayate_http_requests_total", "counter", "HTTP requests answered.");
	sample(f, "hayate_http_requests_total", c.http_requests);
	family(f, "hayate_http_auth_total", "counter",
	       "Ticket requests (POST /v1/auth, GET /endpoint/...), by outcome.");
	fprintf(f, "hayate_http_auth_total{outcome=\"ok\"} %" PRIu64 "\n", c.http_auth_ok);
	fprintf(f, "hayate_http_auth_total{outcome=\"refused\"} %" PRIu64 "\n",
		c.http_auth_refused);
	family(f, "hayate_http_admin_refused_total", "counter",
	       "Admin API requests refused for a missing or wrong token.");
	sample(f, "hayate_http_admin_refused_total", c.http_admin_refused);
	family(f, "hayate_http_responses_total", "counter", "HTTP responses, by status code.");
	for (unsigned int i = 0; i < HY_HTTP_CODE_COUNT; i++) {
		unsigned int code = hy_http_code_of(i);
		uint64_t v = atomic_load_explicit(&h->responses[i], memory_order_relaxed);
		if (code)
			fprintf(f, "hayate_http_responses_total{code=\"%u\"} %" PRIu64 "\n", code, v);
		else
			fprintf(f, "hayate_http_responses_total{code=\"other\"} %" PRIu64 "\n", v);
	}

	put_details(f, h->cp);
	put_dataplane(f, h->cp);
	if (fclose(f) != 0 || buf == NULL) {
		free(buf);
		hy_http_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	r->status = 200;
	r->body = buf;
	r->len = len;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
