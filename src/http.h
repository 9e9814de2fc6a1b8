/* http.h - HTTP requests on the event loop (libcurl multi).
 *
 * Rules every request follows:
 * - https only, except http to a loopback address (127.0.0.0/8, ::1,
 *   localhost); anything else is refused before a connection is made;
 * - TLS verification is always on;
 * - a connect timeout and a total timeout (defaults 5 s and 30 s), both
 *   never longer than AIAUTH_HTTP_TIMEOUT_MS milliseconds when that is set
 *   (1 to 600000; other values are ignored);
 * - the response body is capped (default 1 MiB): a larger one fails with
 *   HTTP_TOO_LARGE instead of filling memory;
 * - headers and bodies given here may hold secrets: they are copied, and
 *   every copy (curl's header list, the body buffers) is wiped when freed.
 *
 * http_start() calls `done` exactly once, from loop_run_once(), unless the
 * transfer is cancelled first.  The response passed to `done` is owned by the
 * transfer and freed after the callback returns. */
#ifndef AIAUTH_HTTP_H
#define AIAUTH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "loop.h"
#include "secret.h"

enum http_outcome {
	HTTP_DONE,        /* a response arrived (any status) */
	HTTP_UNREACHABLE, /* DNS, refused, reset */
	HTTP_TLS,         /* certificate or handshake */
	HTTP_TIMEOUT,
	HTTP_TOO_LARGE,
	HTTP_REFUSED_URL, /* not https and not loopback, or malformed */
	HTTP_FAILED,      /* anything else */
};

struct http_request {
	const char *method;          /* "GET" (default) or "POST" */
	const char *url;
	const char *const *headers;  /* "Name: value" strings, NULL-terminated, may be NULL */
	const struct secret *body;   /* request body or NULL */
	const char *content_type;    /* for the body */
	long connect_timeout_ms;     /* 0: 5000 */
	long timeout_ms;             /* 0: 30000 */
	size_t max_body;             /* 0: 1 MiB */
};

struct http_response {
	enum http_outcome outcome;
	long status;          /* HTTP status when outcome is HTTP_DONE */
	struct secret *body;  /* may hold secrets */
	char *content_type;   /* or NULL */
	char *date;           /* the Date header, or NULL */
	char *error;          /* one line for the other outcomes */
};

typedef void (*http_done_fn)(void *ctx, const struct http_response *resp);

struct http_transfer;

/* Start a request.  NULL with *err on immediate failure (including a URL
 * that breaks the rules above, reported as AIAUTH_USAGE). */
struct http_transfer *http_start(struct loop *loop, const struct http_request *req,
                                 http_done_fn done, void *ctx, struct aiauth_error **err);
/* Stop a transfer; its callback is never called. */
void http_cancel(struct http_transfer *t);

/* Run one request to completion on `loop` and copy the response into
 * *resp (free with http_response_clear()).  Returns AIAUTH_OK whenever a
 * response or a network outcome was obtained; look at resp->outcome.  A URL
 * that breaks the rules is such an outcome here: HTTP_REFUSED_URL, with the
 * reason in resp->error, and nothing sent. */
enum aiauth_status http_perform(struct loop *loop, const struct http_request *req,
                                struct http_response *resp, struct aiauth_error **err);
void http_response_clear(struct http_response *resp);

/* What is wrong with a body that should have been a JSON object, for a
 * message: N_("empty body"), N_("an HTML page") (by its Content-Type) or
 * N_("malformed JSON"); untranslated, translate with _(). */
const char *http_body_problem(const struct http_response *resp);

/* True for http://127.x.x.x, http://[::1], http://localhost URLs. */
bool http_url_is_loopback(const char *url);
/* NULL if `url` is acceptable (https, or http to loopback), else an
 * untranslated reason. */
const char *http_url_problem(const char *url);

/* libcurl is loaded, and curl_global_init() run, by the first request or
 * URL check (curlsym.h); http_global_init() does it now, for a caller that
 * wants a failure to load reported up front.  http_global_cleanup() at
 * exit runs curl_global_cleanup() if libcurl was loaded. */
enum aiauth_status http_global_init(struct aiauth_error **err);
void http_global_cleanup(void);

#endif
