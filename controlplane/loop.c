/* SPDX-License-Identifier: BSD-3-Clause
 * epoll event loop (loop.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_BATCH 64
#define LOOP_HOOKS 8

struct hook {
	void (*fn)(void *arg);
	void *arg;
};

struct hy_loop {
	int epfd;
	unsigned n_hooks;
	struct hook hooks[LOOP_HOOKS];
};

struct hy_loop *hy_loop_create(char *err, size_t errlen)
{
	struct hy_loop *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		snprintf(err, errlen, "event loop: out of memory");
		return NULL;
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		free(l);
		return NULL;
	}
	return l;
}

void hy_loop_destroy(struct hy_loop *l)
{
	if (l == NULL)
		return;
	close(l->epfd);
	free(l);
}

int hy_loop_add(struct hy_loop *l, struct hy_loop_watch *w, int fd, uint32_t events,
		hy_loop_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fn = fn;
	w->arg = arg;
	w->fd = fd;
	w->events = events;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->added = true;
	return 0;
}

int hy_loop_mod(struct hy_loop *l, struct hy_loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (!w->added)
		return -ENOENT;
	if (events == w->events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void hy_loop_del(struct hy_loop *l, struct hy_loop_watch *w)
{
	if (!w->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
}

int hy_loop_on_batch_end(struct hy_loop *l, void (*fn)(void *arg), void *arg)
{
	if (l->n_hooks == LOOP_HOOKS)
		return -ENOSPC;
	l->hooks[l->n_hooks].fn = fn;
	l->hooks[l->n_hooks].arg = arg;
	l->n_hooks++;
	return 0;
}

int hy_loop_run_once(struct hy_loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	int n, i;
	unsigned h;

	n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct hy_loop_watch *w = evs[i].data.ptr;

		/* A watch removed by an earlier callback of this batch stays
		 * allocated until the post-batch hooks run; skip it. */
		if (w->added)
			w->fn(w->arg, evs[i].events);
	}
	for (h = 0; h < l->n_hooks; h++)
		l->hooks[h].fn(l->hooks[h].arg);
	return n;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t hy_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t hy_unix_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}
