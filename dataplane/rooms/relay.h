/* SPDX-License-Identifier: BSD-3-Clause
 * The room relay: BROADCAST, MESSAGE and DIRECT (by session or user id)
 * handled in the data plane, with no trip to the control plane.
 *
 * A command from one of this worker's sessions:
 *   1. hy_relay_command(), called from inside the engine (its
 *      local_command op), decides from the fan-out table whether the relay
 *      can take the command, answers it (the engine sends the answer on
 *      the command's channel) and queues a job holding the push payload,
 *      built once;
 *   2. hy_relay_flush(), called by the worker once hy_engine_input() has
 *      returned (the engine is not re-entrant), runs the queued jobs: one
 *      hy_engine_send() per recipient this worker owns (so each copy is
 *      encrypted with that recipient's keys and packet numbers), one
 *      hand-off per other worker owning recipients (ops->to_worker), and
 *      one RELAY up the ring for the members the control plane serves
 *      (ops->up);
 *   3. hy_relay_run() runs a job another worker handed over, against this
 *      worker's own copy of the table and its own sessions.
 * The pushes go on the channel the command came on: an unreliable
 * broadcast is relayed unreliably, a reliable one reliably.
 *
 * A room created with a broadcast interval has its broadcasts held on each
 * worker for up to interval_ms and delivered together (hy_relay_tick()):
 * each recipient gets the interval's broadcasts packed into as few
 * datagrams as they fit (hy_engine_send_batch()).  A batch that fills
 * (HY_RELAY_BATCH_MSGS messages or HY_RELAY_BATCH_BYTES bytes) goes early;
 * when HY_RELAY_BATCHES rooms are batching already, a broadcast goes at
 * once (counted).  Batching applies to UDP members; the control plane's
 * TCP members get their copies at once.
 *
 * What the relay cannot decide goes up unchanged, and the control plane
 * answers it as before: a sender the table has in no room (not yet, or no
 * longer), a DIRECT target that is not one of the data plane's sessions (a
 * TCP session, or none: NO_SUCH_TARGET; for a user id, also a directory
 * miss), a payload that does not decode (the control plane answers with
 * the reason).
 *
 * DIRECT takes up to three workers: the sender's, the user directory's
 * shard for the target's user id (directory.h), and the target session's
 * owner, which checks the session (and its user id), pushes, and answers
 * the sender unless the sender's worker could answer at once (a target
 * session of its own, by session id).
 *
 * Single-threaded: one relay per worker, used only by its lcore.
 */
#ifndef HY_DP_ROOMS_RELAY_H
#define HY_DP_ROOMS_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "directory.h"
#include "engine.h"
#include "fanout.h"
#include "proto/room_msg.h"

/* Largest push payload: DIRECT's from u64 | uid_len u8 | uid | data. */
#define HY_RELAY_PUSH_MAX (8u + 1u + HY_UID_MAX + HY_ROOM_DATA_MAX)
/* Jobs queued between two flushes: a burst's datagrams, one job per frame
 * at most (the worker flushes when the next datagram might not fit,
 * hy_relay_should_flush()); beyond, commands go up the slow way. */
#define HY_RELAY_PENDING 64u
/* Local pushes of a flush's broadcasts sent together (their recipients
 * looked up in bulk, hy_engine_send_each()). */
#define HY_RELAY_GATHER 256u

/* Broadcast batching (a room's interval_ms): rooms batching at once on one
 * worker, and what one room's batch holds before it goes early. */
#define HY_RELAY_BATCHES 64u
#define HY_RELAY_BATCH_MSGS 32u
#define HY_RELAY_BATCH_BYTES 8192u

/* One relayed command: what a worker needs to deliver its share. */
struct hy_relay_job {
	uint64_t room_id;  /* BROADCAST: the room (each worker's copy names the recipients) */
	uint64_t from;     /* the sender */
	uint16_t cmd;      /* the push's cmd: BROADCAST, MESSAGE or DIRECT */
	uint8_t delivery;  /* enum hy_engine_delivery: the sender's channel */
	uint8_t self;      /* BROADCAST: the sender gets a copy too */
	uint16_t nsids;    /* MESSAGE, DIRECT: the recipients in sids; BROADCAST: 0;
			    * DIRECT by user id: 0 until the directory resolved it */
	uint16_t len;      /* bytes of push */
	uint8_t to;        /* DIRECT: HY_DIRECT_TO_SID or HY_DIRECT_TO_UID */
	uint8_t answered;  /* DIRECT: the sender's worker answered already */
	uint8_t uid_len;   /* DIRECT by user id: the target */
	uint8_t uid[HY_UID_MAX];
	uint64_t sids[HY_ROOM_MESSAGE_TARGETS];
	uint8_t push[HY_RELAY_PUSH_MAX];
};

/* What the relay asks of its worker.  Each returns 0 if it took the item,
 * negative if not (counted; the relay never retries). */
struct hy_relay_ops {
	/* Hands job to worker `worker` (hy_relay_run() there). */
	int (*to_worker)(void *arg, uint16_t worker, const struct hy_relay_job *job);
	/* Sends job's push up the ring (RELAY) for n sessions the control
	 * plane serves. */
	int (*up)(void *arg, const struct hy_relay_job *job, const uint64_t *sids, unsigned n);
	/* Passes a command up as if the relay had not seen it. */
	int (*command_up)(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
			  enum hy_engine_delivery d, const uint8_t *payload, uint32_t len);
	/* Answers a command of session sid, which any worker may own. */
	int (*respond)(void *arg, uint64_t sid, uint8_t ver, uint16_t cmd,
		       enum hy_engine_delivery d, uint8_t status, const uint8_t *payload,
		       uint32_t len);
};

struct hy_relay_config {
	uint16_t worker_id;
	uint16_t n_workers;
	struct hy_engine *engine;    /* this worker's sessions */
	struct hy_fanout *table;     /* this worker's copy of the rooms */
	struct hy_uid_dir *users;    /* this worker's shard of the user directory */
	const struct hy_relay_ops *ops;
	void *ops_arg;
};

struct hy_relay_stats {
	uint64_t broadcasts;     /* BROADCAST commands taken */
	uint64_t messages;       /* MESSAGE commands taken */
	uint64_t directs;        /* DIRECT commands taken */
	uint64_t passed_up;      /* room and direct commands left to the control plane */
	uint64_t pushes;         /* pushes handed to this worker's sessions */
	uint64_t push_failed;    /* ... refused by the engine (gone, flow control) */
	uint64_t handoffs;       /* jobs handed to other workers */
	uint64_t handoffs_in;    /* jobs run for other workers */
	uint64_t handoff_failed; /* jobs another worker could not take */
	uint64_t relayed_up;     /* RELAY messages for the control plane's sessions */
	uint64_t up_failed;      /* ... that could not be queued */
	uint64_t stale;          /* handed-over jobs whose room is gone here */
	uint64_t uid_misses;     /* DIRECT by user id the directory could not resolve */
	uint64_t batched;        /* broadcasts held for a room's interval */
	uint64_t batch_flushes;  /* batches delivered */
	uint64_t batch_bypass;   /* broadcasts sent at once: every batch slot in use */
};

struct hy_relay;

/* rte_zmalloc'd on the engine's socket (EAL must be up).  NULL with a
 * reason in err. */
struct hy_relay *hy_relay_create(const struct hy_relay_config *cfg, int socket_id, char *err,
				 size_t err_len);
void hy_relay_destroy(struct hy_relay *r);

/* The engine's local_command op (see engine.h): PASS, ANSWER with *ans, or
 * TAKEN (DIRECT to another worker's session: that worker answers). */
enum hy_engine_local hy_relay_command(struct hy_relay *r, uint64_t sid, uint8_t ver,
				      uint16_t cmd, enum hy_engine_delivery d,
				      const uint8_t *payload, uint32_t len,
				      struct hy_engine_answer *ans);

/* Runs the jobs hy_relay_command() queued: at the latest when
 * hy_relay_should_flush() says so, and before the fan-out table changes
 * (the jobs hold pointers into it); cheap when nothing is queued.  The
 * worker flushes once per rx burst, so that the burst's broadcasts reach
 * their recipients in one bulk send. */
void hy_relay_flush(struct hy_relay *r);

/* True when the next datagram's commands might not all find a job slot. */
bool hy_relay_should_flush(const struct hy_relay *r);

/* Delivers the batches whose interval has run out; now_ms is the
 * worker's clock (unix ms, as the engine's).  Call every millisecond or
 * so. */
void hy_relay_tick(struct hy_relay *r, uint64_t now_ms);

/* Runs a job handed over by another worker. */
void hy_relay_run(struct hy_relay *r, const struct hy_relay_job *job);

const struct hy_relay_stats *hy_relay_stats(const struct hy_relay *r);

#endif /* HY_DP_ROOMS_RELAY_H */
