/* SPDX-License-Identifier: BSD-3-Clause
 * MARS leader election (election.h).
 *
 * Raft's rules, minus the log: a node follows the newest term it sees;
 * it votes at most once per term; a candidate with votes from a majority
 * of the configured candidates leads that term.  Two additions keep a
 * cut-off node from hurting the cluster: pre-vote (a node raises its term
 * only after a majority said it would vote, which nobody does while it
 * hears a leader) and check-quorum (a leader that has not heard from a
 * majority within T stops leading).
 */
#include <string.h>

#include "mars/election.h"
#include "mars/wire.h"

static const char *const counter_names[HY_ELECT_C_COUNT] = {
	[HY_ELECT_C_elections] = "elections",
	[HY_ELECT_C_votes_started] = "votes_started",
	[HY_ELECT_C_won] = "elections_won",
	[HY_ELECT_C_step_downs] = "step_downs",
	[HY_ELECT_C_quorum_lost] = "quorum_lost",
	[HY_ELECT_C_leader_changes] = "leader_changes",
};

const char *hy_elect_counter_name(enum hy_elect_counter c)
{
	return (unsigned)c < HY_ELECT_C_COUNT ? counter_names[c] : "?";
}

const char *hy_elect_role_name(enum hy_elect_role r)
{
	switch (r) {
	case HY_ELECT_FOLLOWER: return "follower";
	case HY_ELECT_PRECANDIDATE: return "precandidate";
	case HY_ELECT_CANDIDATE: return "candidate";
	case HY_ELECT_LEADER: return "leader";
	}
	return "?";
}

unsigned hy_elect_majority(const struct hy_elect *e)
{
	return e->cfg.n_candidates / 2 + 1;
}

static uint64_t rnd(struct hy_elect *e)
{
	/* xorshift64*: enough to spread election timeouts */
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return e->rng * 2685821657736338717ull;
}

static void reset_timer(struct hy_elect *e, uint64_t now)
{
	uint64_t t = e->cfg.timeout_ms;

	e->deadline_ms = now + t + rnd(e) % (t + 1);
}

static void emit(struct hy_elect *e, enum hy_elect_to to, uint8_t type, uint64_t term, bool g)
{
	if (e->ops.send != NULL)
		e->ops.send(e->ops.arg, to, type, term, g);
}

static void set_leader(struct hy_elect *e, uint32_t id)
{
	if (id != 0 && id != e->leader)
		e->counters[HY_ELECT_C_leader_changes]++;
	e->leader = id;
}

/* Adds id to this round's grants; returns true on reaching a majority. */
static bool grant(struct hy_elect *e, uint32_t id)
{
	unsigned i;

	for (i = 0; i < e->n_granted; i++)
		if (e->granted[i] == id)
			return e->n_granted >= hy_elect_majority(e);
	if (e->n_granted < HY_CONF_MAX_MARS)
		e->granted[e->n_granted++] = id;
	return e->n_granted >= hy_elect_majority(e);
}

static void step_down(struct hy_elect *e, uint64_t now, bool quorum)
{
	if (e->role == HY_ELECT_LEADER) {
		e->counters[HY_ELECT_C_step_downs]++;
		if (quorum)
			e->counters[HY_ELECT_C_quorum_lost]++;
		e->leader = 0;
	}
	e->role = HY_ELECT_FOLLOWER;
	reset_timer(e, now);
}

static void follow_term(struct hy_elect *e, uint64_t term, uint64_t now)
{
	step_down(e, now, false);
	e->term = term;
	e->voted_for = 0;
	e->leader = 0;
	e->leader_heard = false;
}

static void send_pings(struct hy_elect *e, uint64_t now)
{
	emit(e, HY_ELECT_BROADCAST, HY_MARS_PING, e->term, false);
	e->next_ping_ms = now + e->cfg.heartbeat_ms;
}

static void become_leader(struct hy_elect *e, uint64_t now)
{
	e->role = HY_ELECT_LEADER;
	e->counters[HY_ELECT_C_won]++;
	set_leader(e, e->cfg.self_id);
	e->led_since_ms = now;
	e->n_heard = 0;
	send_pings(e, now);
}

static void become_candidate(struct hy_elect *e, uint64_t now)
{
	e->role = HY_ELECT_CANDIDATE;
	e->term++;
	e->voted_for = e->cfg.self_id;
	e->leader = 0;
	e->counters[HY_ELECT_C_votes_started]++;
	e->n_granted = 0;
	reset_timer(e, now);
	if (grant(e, e->cfg.self_id))
		become_leader(e, now);
	else
		emit(e, HY_ELECT_BROADCAST, HY_MARS_VOTE, e->term, false);
}

static void start_prevote(struct hy_elect *e, uint64_t now)
{
	e->role = HY_ELECT_PRECANDIDATE;
	e->leader = 0;
	e->leader_heard = false;
	e->counters[HY_ELECT_C_elections]++;
	e->n_granted = 0;
	reset_timer(e, now);
	if (grant(e, e->cfg.self_id))
		become_candidate(e, now);
	else
		emit(e, HY_ELECT_BROADCAST, HY_MARS_PREVOTE, e->term + 1, false);
}

void hy_elect_init(struct hy_elect *e, const struct hy_elect_cfg *cfg,
		   const struct hy_elect_ops *ops, uint64_t now_ms)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	if (e->cfg.n_candidates == 0)
		e->cfg.n_candidates = 1;
	if (ops != NULL)
		e->ops = *ops;
	e->rng = cfg->seed ^ ((uint64_t)cfg->self_id << 32) ^ 0x9e3779b97f4a7c15ull;
	if (e->rng == 0)
		e->rng = 1;
	reset_timer(e, now_ms);
	if (e->cfg.n_candidates == 1)
		e->deadline_ms = now_ms; /* nobody to wait for */
}

void hy_elect_tick(struct hy_elect *e, uint64_t now)
{
	unsigned i, n = 1;

	if (e->role != HY_ELECT_LEADER) {
		if (now >= e->deadline_ms)
			start_prevote(e, now);
		return;
	}
	/* Check-quorum: a majority (self included) heard within T, once
	 * the leader has led for T. */
	for (i = 0; i < e->n_heard; i++)
		if (e->heard[i].at_ms + e->cfg.timeout_ms > now)
			n++;
	if (n < hy_elect_majority(e) && now >= e->led_since_ms + e->cfg.timeout_ms) {
		step_down(e, now, true);
		return;
	}
	if (now >= e->next_ping_ms)
		send_pings(e, now);
}

static void heard(struct hy_elect *e, uint32_t id, uint64_t now)
{
	unsigned i;

	if (id == e->cfg.self_id)
		return;
	for (i = 0; i < e->n_heard; i++)
		if (e->heard[i].id == id) {
			e->heard[i].at_ms = now;
			return;
		}
	if (e->n_heard < HY_CONF_MAX_MARS) {
		e->heard[e->n_heard].id = id;
		e->heard[e->n_heard++].at_ms = now;
	}
}

bool hy_elect_observe_term(struct hy_elect *e, uint64_t term, uint64_t now_ms)
{
	if (term <= e->term)
		return false;
	follow_term(e, term, now_ms);
	return true;
}

void hy_elect_on_msg(struct hy_elect *e, uint32_t from, uint8_t type, uint64_t term, bool granted,
		     uint64_t now)
{
	bool ok;

	if (from == 0 || from == e->cfg.self_id)
		return;
	switch (type) {
	case HY_MARS_PREVOTE:
		/* Never adopts the term: it is only proposed.  Refused while
		 * this node leads or heard its leader within T. */
		ok = term > e->term && e->role != HY_ELECT_LEADER &&
		     !(e->leader_heard && now < e->leader_heard_ms + e->cfg.timeout_ms);
		emit(e, HY_ELECT_REPLY, HY_MARS_PREVOTE_ACK, ok ? term : e->term, ok);
		break;
	case HY_MARS_PREVOTE_ACK:
		if (!granted) {
			hy_elect_observe_term(e, term, now);
			break;
		}
		if (e->role == HY_ELECT_PRECANDIDATE && term == e->term + 1 && grant(e, from))
			become_candidate(e, now);
		break;
	case HY_MARS_VOTE:
		hy_elect_observe_term(e, term, now);
		ok = term == e->term && (e->voted_for == 0 || e->voted_for == from);
		if (ok) {
			e->voted_for = from;
			reset_timer(e, now);
		}
		emit(e, HY_ELECT_REPLY, HY_MARS_VOTE_ACK, e->term, ok);
		break;
	case HY_MARS_VOTE_ACK:
		if (hy_elect_observe_term(e, term, now))
			break;
		if (granted && e->role == HY_ELECT_CANDIDATE && term == e->term && grant(e, from))
			become_leader(e, now);
		break;
	case HY_MARS_PING:
		if (term < e->term) {
			/* An old leader: tell it the term, it steps down. */
			emit(e, HY_ELECT_REPLY, HY_MARS_PONG, e->term, false);
			break;
		}
		hy_elect_observe_term(e, term, now);
		if (e->role == HY_ELECT_LEADER)
			break; /* cannot happen: one vote per term */
		e->role = HY_ELECT_FOLLOWER;
		set_leader(e, from);
		e->leader_heard = true;
		e->leader_heard_ms = now;
		reset_timer(e, now);
		emit(e, HY_ELECT_REPLY, HY_MARS_PONG, e->term, true);
		break;
	case HY_MARS_PONG:
		if (hy_elect_observe_term(e, term, now))
			break;
		if (e->role == HY_ELECT_LEADER && term == e->term)
			heard(e, from, now);
		break;
	default:
		break;
	}
}
