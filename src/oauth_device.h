/* oauth_device.h - the OAuth 2.0 device authorization grant (RFC 8628) as a
 * state machine on the event loop.
 *
 *   REQUESTING --> WAITING --> APPROVED
 *        |            |------> DENIED    (access_denied)
 *        |            |------> EXPIRED   (expired_token, or the local expiry)
 *        +------------+------> ERROR     (any other error, or 5 network
 *                                         failures in a row)
 *   any state not final --device_flow_cancel()--> CANCELLED
 *
 * device_flow_start() sends the device authorization request (client_id and
 * scope, in the provider's token format, Accept: application/json).  When the
 * codes arrive the flow is WAITING: the caller shows the verification URI and
 * the user code, and the flow polls the token endpoint with loop timers,
 * never sleeping: every `interval` seconds (5 when the server gave none),
 * measured from the previous answer; slow_down adds 5 s for the rest of the
 * flow; authorization_pending and network failures (no answer, 5xx, a body
 * that is not a token response) keep it polling.  It stops at the first
 * success (no request after it) and at the local expiry, expires_in seconds
 * after the device request was sent (no request is sent at or after it; a
 * poll still in flight then is abandoned).
 *
 * Call order:
 *   f = device_flow_start(...);       state REQUESTING, nothing called back yet
 *   loop_run_once(...) ...            the change callback runs from the loop
 *   device_flow_take_credential(f)    once APPROVED
 *   device_flow_cancel(f)             optional, any time: stops at once
 *   device_flow_free(f)
 *
 * The change callback runs from loop_run_once() on every change the caller
 * may want to redraw: each state change, and a new interval after slow_down
 * (state still WAITING).  Never from device_flow_start(), never after
 * device_flow_cancel() or device_flow_free().  It may call any function here,
 * device_flow_cancel() and device_flow_free() included.  Countdowns are the
 * caller's business: it reads device_flow_seconds_left() from its own timer.
 *
 * Ownership: the flow borrows `loop` and `provider` (both must outlive it) and
 * copies what it needs from `endpoints`.  It owns the device_code (a secret,
 * wiped when freed, never put in a message) and the credential until
 * device_flow_take_credential() hands it over.  Strings returned by the
 * getters belong to the flow and live until device_flow_free().  The user
 * code and the URIs are checked to be printable ASCII without spaces, so a
 * terminal may show them as they are. */
#ifndef AIAUTH_OAUTH_DEVICE_H
#define AIAUTH_OAUTH_DEVICE_H

#include <stdint.h>

#include "credential.h"
#include "error.h"
#include "http.h"
#include "loop.h"
#include "oauth.h"
#include "registry.h"

enum device_state {
	DEVICE_REQUESTING, /* the device authorization request is in flight */
	DEVICE_WAITING,    /* codes known; polling the token endpoint */
	DEVICE_APPROVED,   /* final: the credential is ready */
	DEVICE_DENIED,     /* final: the user refused (access_denied) */
	DEVICE_EXPIRED,    /* final: the code expired before approval */
	DEVICE_ERROR,      /* final: see device_flow_error() */
	DEVICE_CANCELLED,  /* final: device_flow_cancel() */
};

/* Seconds added to the interval by each slow_down (RFC 8628 §3.5). */
#define DEVICE_SLOW_DOWN_STEP 5
/* The interval when the server gives none. */
#define DEVICE_DEFAULT_INTERVAL 5
/* Consecutive network failures (no answer, 5xx, garbage) before ERROR. */
#define DEVICE_MAX_NETWORK_FAILURES 5

struct device_flow;
typedef void (*device_flow_fn)(void *ctx, struct device_flow *flow);

/* Start the flow.  NULL with *err when nothing could be sent: no device
 * authorization or token endpoint (AIAUTH_UNSUPPORTED), no client_id
 * (AIAUTH_NOT_CONFIGURED), a URL that breaks http.h's rules (AIAUTH_USAGE),
 * out of memory.  Later failures arrive as state DEVICE_ERROR. */
struct device_flow *device_flow_start(struct loop *loop, const struct provider *provider,
                                      const struct oauth_endpoints *endpoints,
                                      device_flow_fn on_change, void *ctx,
                                      struct aiauth_error **err);

enum device_state device_flow_state(const struct device_flow *f);
/* Untranslated name of a state ("waiting"), for logs and tests. */
const char *device_state_name(enum device_state state);

/* What to show once WAITING (NULL before).  verification_uri_complete is
 * NULL when the server gave none. */
const char *device_flow_user_code(const struct device_flow *f);
const char *device_flow_verification_uri(const struct device_flow *f);
const char *device_flow_verification_uri_complete(const struct device_flow *f);

/* Whole seconds until the code expires (rounded up, 0 once expired), from
 * CLOCK_MONOTONIC; -1 before the codes are known. */
int64_t device_flow_seconds_left(const struct device_flow *f);
/* The polling interval in seconds, slow_downs included (0 before WAITING). */
int device_flow_interval(const struct device_flow *f);
/* Milliseconds until the next poll is sent, or -1 when none is scheduled
 * (a poll is in flight, the next one would fall after the expiry, or the
 * flow is not WAITING). */
int64_t device_flow_next_poll_ms(const struct device_flow *f);
/* Token requests sent so far (for the interface's "checked N times"). */
unsigned device_flow_polls(const struct device_flow *f);

/* Why the flow ended in DENIED, EXPIRED or ERROR: the status (DENIED,
 * EXPIRED, or the kind of error: NETWORK, REJECTED, CORRUPT, ...) and one
 * line with the server's description when it gave one.  NULL otherwise. */
const struct aiauth_error *device_flow_error(const struct device_flow *f);

/* The credential once APPROVED (see oauth.h for its fields); the caller owns
 * it.  NULL in other states and on a second call. */
struct credential *device_flow_take_credential(struct device_flow *f);

/* Stop: cancel the timers and any request in flight; the state becomes
 * CANCELLED unless it was already final.  No callback runs afterwards. */
void device_flow_cancel(struct device_flow *f);
/* Cancel, wipe and free.  NULL is accepted. */
void device_flow_free(struct device_flow *f);
#define DEVICE_FLOW_FREE(p) do { device_flow_free(p); (p) = NULL; } while (0)

/* How the flow reads the device authorization answer (RFC 8628 §3.2), on
 * its own so that it can be fuzzed.  On AIAUTH_OK *out holds the checked
 * codes, with the interval and expires_in clamped to sane bounds (clear
 * with device_codes_clear()); otherwise *out is empty and *err says why
 * (NETWORK for no answer or a 5xx, CORRUPT for a 2xx that is not usable
 * JSON, REJECTED for an OAuth error). */
struct device_codes {
	struct secret *device_code;
	char *user_code;
	char *verification_uri;
	char *verification_uri_complete; /* NULL when absent or unusable */
	int interval;                    /* seconds, >= 1 */
	int64_t expires_in;              /* seconds, > 0 */
};
enum aiauth_status device_answer_parse(const struct http_response *resp, struct device_codes *out,
                                       struct aiauth_error **err);
void device_codes_clear(struct device_codes *c);

#endif
