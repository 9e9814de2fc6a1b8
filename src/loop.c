/* loop.c - the one event loop: curl_multi_poll() over libcurl's sockets,
 * the watched descriptors and a timeout to the next timer.
 *
 * The multi handle (and with it libcurl, curlsym.h) comes with the first
 * transfer; until then the wait is a plain poll() over the same
 * descriptors.  loop_wakeup() writes to a pipe of the loop's own that
 * every wait includes, so it works before, with and after libcurl.
 *
 * Callbacks may add and remove watches, timers and transfers while the loop
 * dispatches, so dispatch never holds a pointer into the arrays across a
 * callback: it looks watches and timers up by id each time and copies what
 * it needs first.  A timer added while timers fire waits for the next turn,
 * so a callback that re-arms itself with 0 ms cannot starve the loop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "curlsym.h"
#include "loop.h"

struct watch {
	int id;
	int fd;
	short events;
	loop_fd_fn fn;
	void *ctx;
};

struct timer {
	int id;
	uint64_t seq; /* creation order: ties on `due` fire in this order */
	int64_t due;  /* loop_now_ms() */
	loop_timer_fn fn;
	void *ctx;
};

struct loop {
	CURLM *multi; /* NULL until the first transfer */
	loop_curl_done_fn curl_done;
	int wake[2];  /* loop_wakeup() writes to [1]; every wait reads [0] */

	struct watch *watches;
	size_t n_watches, cap_watches;

	struct timer *timers;
	size_t n_timers, cap_timers;
	uint64_t timer_seq;

	void **easies; /* transfers in the multi handle, for loop_free() */
	size_t n_easies, cap_easies;

	int next_id;
};

/* Grow *arr (of `size`-byte items) to hold one more; false on OOM. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = realloc(*arr, ncap * size);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

static int new_id(struct loop *loop)
{
	if (loop->next_id <= 0 || loop->next_id == INT_MAX)
		loop->next_id = 1;
	return loop->next_id++;
}

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum aiauth_status loop_new(struct loop **out, struct aiauth_error **err)
{
	*out = NULL;
	struct loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	if (pipe2(loop->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		int e = errno;
		free(loop);
		return error_set(err, AIAUTH_FAILED, _("cannot start the event loop: %s"), strerror(e));
	}
	loop->next_id = 1;
	*out = loop;
	return AIAUTH_OK;
}

/* The multi handle, made (and libcurl loaded) on first use. */
static enum aiauth_status loop_multi(struct loop *loop, struct aiauth_error **err)
{
	if (loop->multi)
		return AIAUTH_OK;
	enum aiauth_status st = curlsym_load(err);
	if (st != AIAUTH_OK)
		return st;
	loop->multi = sym_curl_multi_init();
	if (!loop->multi)
		return error_set(err, AIAUTH_FAILED, "%s", _("cannot start the network layer"));
	return AIAUTH_OK;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	/* Hand every transfer still running back to its owner to be freed
	 * silently; the hook takes it out of loop->easies itself, so pop from
	 * the end until none is left. */
	while (loop->n_easies) {
		void *easy = loop->easies[--loop->n_easies];
		sym_curl_multi_remove_handle(loop->multi, easy);
		if (loop->curl_done)
			loop->curl_done(easy, LOOP_CURL_ABANDONED);
	}
	if (loop->multi)
		sym_curl_multi_cleanup(loop->multi);
	close(loop->wake[0]);
	close(loop->wake[1]);
	free(loop->easies);
	free(loop->watches);
	free(loop->timers);
	free(loop);
}

int loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_fn fn, void *ctx)
{
	if (!grow((void **)&loop->watches, &loop->cap_watches, loop->n_watches,
	          sizeof(*loop->watches)))
		return 0;
	struct watch *w = &loop->watches[loop->n_watches++];
	w->id = new_id(loop);
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->ctx = ctx;
	return w->id;
}

static struct watch *find_watch(struct loop *loop, int id)
{
	for (size_t i = 0; i < loop->n_watches; i++)
		if (loop->watches[i].id == id)
			return &loop->watches[i];
	return NULL;
}

void loop_unwatch_fd(struct loop *loop, int watch_id)
{
	struct watch *w = find_watch(loop, watch_id);
	if (!w)
		return;
	size_t i = (size_t)(w - loop->watches);
	memmove(w, w + 1, (loop->n_watches - i - 1) * sizeof(*w));
	loop->n_watches--;
}

int loop_add_timer(struct loop *loop, int64_t delay_ms, loop_timer_fn fn, void *ctx)
{
	if (!grow((void **)&loop->timers, &loop->cap_timers, loop->n_timers,
	          sizeof(*loop->timers)))
		return 0;
	struct timer *t = &loop->timers[loop->n_timers++];
	t->id = new_id(loop);
	t->seq = ++loop->timer_seq;
	t->due = loop_now_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->ctx = ctx;
	return t->id;
}

static void remove_timer_at(struct loop *loop, size_t i)
{
	memmove(&loop->timers[i], &loop->timers[i + 1],
	        (loop->n_timers - i - 1) * sizeof(*loop->timers));
	loop->n_timers--;
}

void loop_cancel_timer(struct loop *loop, int timer_id)
{
	for (size_t i = 0; i < loop->n_timers; i++) {
		if (loop->timers[i].id == timer_id) {
			remove_timer_at(loop, i);
			return;
		}
	}
}

/* Index of the earliest timer, or -1 when there is none. */
static long next_timer(const struct loop *loop, int64_t now, uint64_t max_seq, bool due_only)
{
	long best = -1;
	for (size_t i = 0; i < loop->n_timers; i++) {
		const struct timer *t = &loop->timers[i];
		if (t->seq > max_seq || (due_only && t->due > now))
			continue;
		if (best < 0 || t->due < loop->timers[best].due ||
		    (t->due == loop->timers[best].due && t->seq < loop->timers[best].seq))
			best = (long)i;
	}
	return best;
}

static int poll_timeout(const struct loop *loop, int max_wait_ms)
{
	int64_t timeout = max_wait_ms < 0 ? INT_MAX : max_wait_ms;
	long i = next_timer(loop, 0, UINT64_MAX, false);
	if (i >= 0) {
		int64_t left = loop->timers[i].due - loop_now_ms();
		if (left < 0)
			left = 0;
		if (left < timeout)
			timeout = left;
	}
	return (int)timeout;
}

static void finish_transfers(struct loop *loop)
{
	CURLMsg *msg;
	int left;
	while ((msg = sym_curl_multi_info_read(loop->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		int code = (int)msg->data.result;
		if (loop->curl_done) {
			loop->curl_done(easy, code);
		} else {
			loop_curl_remove(loop, easy);
			sym_curl_easy_cleanup(easy);
		}
	}
}

/* curl_multi_poll() reports only POLLIN/POLLOUT/POLLPRI in the revents
 * of extra descriptors: a pipe whose writer closed (POLLHUP alone) would
 * wake the wait but look idle, and the loop would spin.  So the wait is
 * curl's and the readiness comes from our own poll() with no timeout,
 * which also tells hang-ups and errors. */
static void dispatch_fds(struct loop *loop, struct pollfd *pfds, const int *ids, size_t n)
{
	if (poll(pfds, n, 0) <= 0)
		return;
	for (size_t i = 0; i < n; i++) {
		short rev = pfds[i].revents;
		if (!rev)
			continue;
		/* The watch may have gone, or been replaced, in an earlier callback. */
		struct watch *w = find_watch(loop, ids[i]);
		if (!w || w->fd != pfds[i].fd)
			continue;
		if (!(rev & (w->events | POLLERR | POLLHUP | POLLNVAL)))
			continue;
		loop_fd_fn fn = w->fn;
		void *ctx = w->ctx;
		fn(ctx, pfds[i].fd, rev);
	}
}

static void fire_timers(struct loop *loop)
{
	uint64_t max_seq = loop->timer_seq; /* timers added from here on wait */
	int64_t now = loop_now_ms();
	long i;
	while ((i = next_timer(loop, now, max_seq, true)) >= 0) {
		loop_timer_fn fn = loop->timers[i].fn;
		void *ctx = loop->timers[i].ctx;
		remove_timer_at(loop, (size_t)i);
		fn(ctx);
	}
}

/* Empty the wake-up pipe (a wake-up has done its work by ending the wait). */
static void drain_wakeups(struct loop *loop)
{
	char buf[64];
	while (read(loop->wake[0], buf, sizeof(buf)) > 0)
		;
}

enum aiauth_status loop_run_once(struct loop *loop, int max_wait_ms, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	size_t n = loop->n_watches;
	struct curl_waitfd *wfds = NULL;
	struct pollfd *pfds = NULL;
	int *ids = NULL;

	/* A snapshot: callbacks below may change loop->watches, and a nested
	 * loop_run_once() (http_perform from a callback) has its own.  The
	 * wake-up pipe goes last, at index n. */
	wfds = calloc(n + 1, sizeof(*wfds));
	pfds = calloc(n + 1, sizeof(*pfds));
	ids = calloc(n + 1, sizeof(*ids));
	if (!wfds || !pfds || !ids) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct watch *w = &loop->watches[i];
		wfds[i].fd = w->fd;
		wfds[i].events = (short)(((w->events & POLLIN) ? CURL_WAIT_POLLIN : 0) |
		                         ((w->events & POLLPRI) ? CURL_WAIT_POLLPRI : 0) |
		                         ((w->events & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
		pfds[i].fd = w->fd;
		pfds[i].events = w->events;
		ids[i] = w->id;
	}
	wfds[n].fd = pfds[n].fd = loop->wake[0];
	wfds[n].events = CURL_WAIT_POLLIN;
	pfds[n].events = POLLIN;

	int timeout = poll_timeout(loop, max_wait_ms);
	if (loop->multi) {
		CURLMcode mc = sym_curl_multi_poll(loop->multi, wfds, (unsigned)n + 1, timeout, NULL);
		if (mc != CURLM_OK) {
			st = error_set(err, AIAUTH_FAILED, _("waiting for events failed: %s"),
			               sym_curl_multi_strerror(mc));
			goto out;
		}
		int running;
		mc = sym_curl_multi_perform(loop->multi, &running);
		if (mc != CURLM_OK) {
			st = error_set(err, AIAUTH_FAILED, _("network transfer failed: %s"),
			               sym_curl_multi_strerror(mc));
			goto out;
		}
		finish_transfers(loop);
	} else if (poll(pfds, n + 1, timeout) < 0 && errno != EINTR) {
		int e = errno;
		st = error_set(err, AIAUTH_FAILED, _("waiting for events failed: %s"), strerror(e));
		goto out;
	}
	drain_wakeups(loop);
	if (n)
		dispatch_fds(loop, pfds, ids, n);
	fire_timers(loop);
out:
	free(wfds);
	free(pfds);
	free(ids);
	return st;
}

enum aiauth_status loop_run_until(struct loop *loop, const bool *done, struct aiauth_error **err)
{
	while (!*done) {
		/* Waiting with nothing that could ever wake us would hang forever:
		 * that is a bug in the caller, reported rather than endured. */
		if (!loop->n_watches && !loop->n_timers && !loop->n_easies)
			return error_set(err, AIAUTH_FAILED, "%s",
			                 _("internal error: waiting with nothing to wait for"));
		enum aiauth_status st = loop_run_once(loop, -1, err);
		if (st != AIAUTH_OK)
			return st;
	}
	return AIAUTH_OK;
}

void loop_wakeup(struct loop *loop)
{
	/* write() is async-signal-safe; a full pipe already holds a wake-up. */
	int saved = errno;
	(void)!write(loop->wake[1], "w", 1);
	errno = saved;
}

void *loop_curl_multi(struct loop *loop)
{
	return loop->multi;
}

void loop_set_curl_done(struct loop *loop, loop_curl_done_fn fn)
{
	loop->curl_done = fn;
}

enum aiauth_status loop_curl_add(struct loop *loop, void *easy, struct aiauth_error **err)
{
	enum aiauth_status st = loop_multi(loop, err);
	if (st != AIAUTH_OK)
		return st;
	if (!grow((void **)&loop->easies, &loop->cap_easies, loop->n_easies,
	          sizeof(*loop->easies)))
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	CURLMcode mc = sym_curl_multi_add_handle(loop->multi, easy);
	if (mc != CURLM_OK)
		return error_set(err, AIAUTH_FAILED, _("cannot start a transfer: %s"),
		                 sym_curl_multi_strerror(mc));
	loop->easies[loop->n_easies++] = easy;
	return AIAUTH_OK;
}

void loop_curl_remove(struct loop *loop, void *easy)
{
	for (size_t i = 0; i < loop->n_easies; i++) {
		if (loop->easies[i] == easy) {
			sym_curl_multi_remove_handle(loop->multi, easy);
			loop->easies[i] = loop->easies[--loop->n_easies];
			return;
		}
	}
}
