/* loop.h - the one event loop.
 *
 * One thread waits in curl_multi_poll() on libcurl's sockets plus the
 * descriptors registered here (keyboard, loopback listener, self-pipe),
 * with a timeout to the next timer.  Callbacks run from loop_run_once();
 * they may add or remove watches and timers, start or cancel transfers.
 * Timers use CLOCK_MONOTONIC.  No threads, no blocking work in callbacks.
 *
 * The loop owns the CURLM handle, made with the first transfer (libcurl is
 * loaded then: curlsym.h); http.c is the only user of it. */
#ifndef AIAUTH_LOOP_H
#define AIAUTH_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct loop;

typedef void (*loop_fd_fn)(void *ctx, int fd, short revents);
typedef void (*loop_timer_fn)(void *ctx);

enum aiauth_status loop_new(struct loop **out, struct aiauth_error **err);
/* Cancels every transfer still running (their callbacks are not called). */
void loop_free(struct loop *loop);

/* Watch fd for `events` (POLLIN/POLLOUT); returns a watch id > 0, or 0 on
 * OOM.  The callback runs once per wake-up while the condition holds. */
int loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_fn fn, void *ctx);
void loop_unwatch_fd(struct loop *loop, int watch_id);

/* One-shot timer after delay_ms; returns a timer id > 0, or 0 on OOM. */
int loop_add_timer(struct loop *loop, int64_t delay_ms, loop_timer_fn fn, void *ctx);
void loop_cancel_timer(struct loop *loop, int timer_id);

/* Wait at most max_wait_ms (-1: until something happens) and run what is
 * due.  Returns AIAUTH_OK, or an error when polling itself failed. */
enum aiauth_status loop_run_once(struct loop *loop, int max_wait_ms, struct aiauth_error **err);
/* Run until *done becomes true. */
enum aiauth_status loop_run_until(struct loop *loop, const bool *done, struct aiauth_error **err);
/* Make a loop_run_once() in progress return (safe from a signal handler). */
void loop_wakeup(struct loop *loop);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t loop_now_ms(void);

/* For http.c only: the multi handle (a CURLM *, NULL before the first
 * loop_curl_add()), and the hook it calls
 * when a transfer finishes.  The hook runs from loop_run_once(), outside
 * any libcurl call, with the easy handle still in the multi handle; it
 * removes it (loop_curl_remove) and may start other transfers. */
void *loop_curl_multi(struct loop *loop);
typedef void (*loop_curl_done_fn)(void *easy, int curl_code);
void loop_set_curl_done(struct loop *loop, loop_curl_done_fn fn);
/* Add an easy handle (a CURL *) to the multi handle, or take it out.  The
 * loop remembers which handles it holds so that loop_free() can hand each
 * one still running to the done hook with curl_code LOOP_CURL_ABANDONED:
 * the owner then frees it without calling anyone back. */
enum aiauth_status loop_curl_add(struct loop *loop, void *easy, struct aiauth_error **err);
void loop_curl_remove(struct loop *loop, void *easy);
#define LOOP_CURL_ABANDONED (-1)

#endif
