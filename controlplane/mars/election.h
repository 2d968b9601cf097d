/* SPDX-License-Identifier: BSD-3-Clause
 * MARS leader election among the configured candidates: Raft's election
 * (terms, one vote per term, majority) without a log, with pre-vote and
 * check-quorum (docs/architecture.md, "MARS").
 *
 * A pure state machine: time comes in as arguments, messages go out
 * through ops.send, randomness from a seeded generator, so tests can run
 * many instances on a simulated network.  Candidates are told apart by
 * node id; the caller sends BROADCAST to every other configured candidate
 * and REPLY to the sender of the message being handled.
 */
#ifndef HY_MARS_ELECTION_H
#define HY_MARS_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "config/conf.h"

enum hy_elect_role {
	HY_ELECT_FOLLOWER = 0,
	HY_ELECT_PRECANDIDATE, /* asking whether a majority would vote */
	HY_ELECT_CANDIDATE,    /* term raised, asking for votes */
	HY_ELECT_LEADER,
};

enum hy_elect_to {
	HY_ELECT_BROADCAST = 0, /* every other candidate */
	HY_ELECT_REPLY,         /* the sender of the message being handled */
};

struct hy_elect_ops {
	/* type: enum hy_mars_type (PREVOTE .. PONG); granted for the ACKs. */
	void (*send)(void *arg, enum hy_elect_to to, uint8_t type, uint64_t term, bool granted);
	void *arg;
};

struct hy_elect_cfg {
	uint32_t self_id;
	unsigned n_candidates;  /* configured, self included: 1..HY_CONF_MAX_MARS */
	uint32_t heartbeat_ms;  /* leader's PING interval */
	uint32_t timeout_ms;    /* T: elections start after [T, 2T] of silence */
	uint64_t seed;
};

enum hy_elect_counter {
	HY_ELECT_C_elections,      /* pre-votes started */
	HY_ELECT_C_votes_started,  /* real elections (term raised) */
	HY_ELECT_C_won,            /* became leader */
	HY_ELECT_C_step_downs,     /* stopped leading: newer term or lost quorum */
	HY_ELECT_C_quorum_lost,    /* of those, for want of a majority */
	HY_ELECT_C_leader_changes, /* the leader this node knows changed to another node */
	HY_ELECT_C_COUNT
};

struct hy_elect {
	struct hy_elect_cfg cfg;
	struct hy_elect_ops ops;
	enum hy_elect_role role;
	uint64_t term;
	uint32_t voted_for;          /* in term; 0: nobody */
	uint32_t leader;             /* 0: unknown */
	uint64_t deadline_ms;        /* next election (not leader) */
	uint64_t leader_heard_ms;    /* last PING of the current leader */
	bool leader_heard;
	uint64_t next_ping_ms;       /* leader */
	uint64_t led_since_ms;       /* leader */
	uint32_t granted[HY_CONF_MAX_MARS]; /* pre-votes or votes of this round */
	unsigned n_granted;
	struct {
		uint32_t id;
		uint64_t at_ms;
	} heard[HY_CONF_MAX_MARS];   /* leader: candidates heard this term */
	unsigned n_heard;
	uint64_t rng;
	uint64_t counters[HY_ELECT_C_COUNT];
};

/* Starts as a follower in term 0, first election after [T, 2T].  A lone
 * candidate (n_candidates 1) leads after its first timeout. */
void hy_elect_init(struct hy_elect *e, const struct hy_elect_cfg *cfg,
		   const struct hy_elect_ops *ops, uint64_t now_ms);

/* Timers: elections, PINGs, check-quorum.  Call at least every heartbeat. */
void hy_elect_tick(struct hy_elect *e, uint64_t now_ms);

/* An authentic election message (PREVOTE .. PONG) from candidate from_id. */
void hy_elect_on_msg(struct hy_elect *e, uint32_t from_id, uint8_t type, uint64_t term,
		     bool granted, uint64_t now_ms);

/* Another message carried term (e.g. a REPORT or VIEW): a newer term is
 * followed (a leader steps down).  Returns true if term was newer. */
bool hy_elect_observe_term(struct hy_elect *e, uint64_t term, uint64_t now_ms);

/* Majority of the configured candidates: n / 2 + 1. */
unsigned hy_elect_majority(const struct hy_elect *e);

const char *hy_elect_counter_name(enum hy_elect_counter c);
const char *hy_elect_role_name(enum hy_elect_role r);

#endif /* HY_MARS_ELECTION_H */
