/* loopback.h - the one-shot HTTP listener an authorization-code sign-in
 * comes back to (RFC 8252 §7.3), on the event loop.
 *
 * It binds 127.0.0.1 only (never a wildcard address): a fixed port when the
 * provider demands one, else an ephemeral port.  Sockets are non-blocking
 * and watched on the loop, so nothing here ever waits: each connection has
 * a small request-head limit and its own deadline, and a slow or silent
 * client holds up neither the other connections nor the loop.  Only the
 * request line is looked at, and the query (which carries the code) is
 * never logged or echoed.
 *
 * What a request gets:
 *   GET <path>?code=..&state=<ours>   200 "Signed in. You can close this tab.";
 *                                     the flow ends with AIAUTH_OK and the code
 *   GET <path>?error=..&state=<ours>  200 short page; ends with AIAUTH_DENIED
 *                                     (access_denied) or AIAUTH_REJECTED
 *   GET <path> with a wrong or missing state
 *                                     400 "this sign-in link is not for this
 *                                     session"; the listener keeps going
 *   any other path                    404; keeps going
 *   another method                    405; keeps going
 *   a head over LOOPBACK_MAX_HEAD     431; keeps going
 * With no answer before the overall timeout the flow ends with
 * AIAUTH_TIMEOUT.  Every response carries "Connection: close".
 *
 * Call order: loopback_start(), print loopback_redirect_uri(), run the loop;
 * `done` is called once, from the loop, after the last page was sent (or
 * could not be); by then the listener and every connection are closed.
 * loopback_free() may be called at any time, also from `done`; after it
 * `done` is never called. */
#ifndef AIAUTH_LOOPBACK_H
#define AIAUTH_LOOPBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "loop.h"
#include "secret.h"

#define LOOPBACK_MAX_HEAD (8 * 1024)
#define LOOPBACK_MAX_CONNECTIONS 16

struct loopback_options {
	int port;                   /* 0: an ephemeral port */
	const char *path;           /* NULL: "/callback" */
	const struct secret *state; /* the expected state (copied) */
	int64_t timeout_ms;         /* whole flow; 0: 5 minutes */
	int64_t conn_timeout_ms;    /* each connection; 0: 10 seconds */
};

/* The outcome handed to `done`.  The callee may take `code` (setting it to
 * NULL); everything left is freed after `done` returns. */
struct loopback_result {
	enum aiauth_status status; /* OK, DENIED, REJECTED, TIMEOUT, FAILED */
	struct secret *code;       /* on AIAUTH_OK */
	struct aiauth_error *error; /* the message for other statuses */
};
typedef void (*loopback_done_fn)(void *ctx, struct loopback_result *result);

struct loopback;

/* Bind and listen.  AIAUTH_FAILED when the port is busy (the message names
 * it) or a socket call fails; *out is NULL then. */
enum aiauth_status loopback_start(struct loop *loop, const struct loopback_options *opts,
                                  loopback_done_fn done, void *ctx, struct loopback **out,
                                  struct aiauth_error **err);
/* The port bound (the ephemeral one when opts->port was 0). */
int loopback_port(const struct loopback *lb);
/* "http://127.0.0.1:PORT/PATH", owned by the listener. */
const char *loopback_redirect_uri(const struct loopback *lb);
/* The listening socket, for tests (getsockname); -1 once the flow ended. */
int loopback_fd(const struct loopback *lb);
/* Close everything, wipe the buffers; NULL is accepted. */
void loopback_free(struct loopback *lb);

/* The request parsing the listener uses, on its own so that it can be
 * fuzzed: does `head` hold a whole request head (an empty line), and what
 * does its request line ask for?  For LOOPBACK_REQUEST_REDIRECT, *query and
 * *query_len point into `head` (after the '?', possibly empty). */
enum loopback_request {
	LOOPBACK_REQUEST_BAD,       /* no "METHOD TARGET VERSION" line: 400 */
	LOOPBACK_REQUEST_METHOD,    /* not GET: 405 */
	LOOPBACK_REQUEST_NOT_FOUND, /* another path: 404 */
	LOOPBACK_REQUEST_REDIRECT,  /* GET <path>[?query] */
};
bool loopback_head_complete(const char *head, size_t len);
/* Can these bytes begin an HTTP request (a method in capitals, a space,
 * printable ASCII up to the end of the first line)?  Anything else, such
 * as a TLS hello, is answered 400 at once. */
bool loopback_head_plausible(const char *head, size_t len);
enum loopback_request loopback_request_parse(const char *head, size_t len, const char *path,
                                             const char **query, size_t *query_len);

#endif
