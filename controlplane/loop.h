/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's event loop: one epoll set on the main thread.
 *
 * A watch ties a file descriptor to a callback.  Callbacks run on the loop
 * thread only; a callback may add, change or remove any watch, including
 * its own.  Objects that own watches must not be freed inside a callback
 * while other events of the same batch may still point at them: register
 * a post-batch hook (hy_loop_on_batch_end) and free there.
 */
#ifndef HY_CP_LOOP_H
#define HY_CP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hy_loop;

/* events: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR bits as epoll reports them. */
typedef void (*hy_loop_fn)(void *arg, uint32_t events);

/* Embedded in the owner's object; the loop keeps a pointer to it while the
 * watch is registered. */
struct hy_loop_watch {
	hy_loop_fn fn;
	void *arg;
	int fd;
	uint32_t events;
	bool added;
};

/* Creates an epoll set.  Returns NULL with a message in err. */
struct hy_loop *hy_loop_create(char *err, size_t errlen);

/* Closes the epoll set (not the watched descriptors).  Safe on NULL. */
void hy_loop_destroy(struct hy_loop *l);

/* Watches fd for events (EPOLLIN/EPOLLOUT; hang-ups are always
 * reported).  Returns 0 or -errno. */
int hy_loop_add(struct hy_loop *l, struct hy_loop_watch *w, int fd, uint32_t events,
		hy_loop_fn fn, void *arg);

/* Changes the events of a registered watch.  Returns 0 or -errno. */
int hy_loop_mod(struct hy_loop *l, struct hy_loop_watch *w, uint32_t events);

/* Stops watching (no-op if not registered).  Call before closing fd. */
void hy_loop_del(struct hy_loop *l, struct hy_loop_watch *w);

/* Registers fn(arg) to run after every batch of events (at most 8 hooks). */
int hy_loop_on_batch_end(struct hy_loop *l, void (*fn)(void *arg), void *arg);

/* Waits at most timeout_ms (-1: no limit, 0: poll) and dispatches one
 * batch, then runs the post-batch hooks.  Returns the number of events
 * dispatched, or -errno (EINTR is reported as 0). */
int hy_loop_run_once(struct hy_loop *l, int timeout_ms);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in milliseconds. */
uint64_t hy_mono_ms(void);
uint64_t hy_unix_ms(void);

#endif /* HY_CP_LOOP_H */
