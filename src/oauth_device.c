/* oauth_device.c - the device authorization grant (RFC 8628) on the loop.
 *
 * The contract is in oauth_device.h.  How it is kept:
 * - at most one thing is pending at a time besides the expiry timer: the
 *   device request, a poll timer, or a poll in flight; finish() cancels all
 *   of them before it reports a final state, so nothing can call back into a
 *   finished flow and no request follows a success or the expiry;
 * - the next poll is scheduled from the previous answer, so two requests are
 *   never closer than the interval whatever the network does;
 * - the change callback is always the last thing a loop callback does, and
 *   device_flow_free() from inside it is deferred until it returns. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "http.h"
#include "jsonutil.h"
#include "oauth_device.h"

#define DEVICE_GRANT_TYPE "urn:ietf:params:oauth:grant-type:device_code"
/* expires_in is required by RFC 8628; a server that leaves it out gets a
 * short life rather than an endless poll. */
#define DEFAULT_EXPIRES_IN 900
#define MAX_EXPIRES_IN 86400
#define MAX_INTERVAL 3600
#define MAX_USER_CODE 128
#define MAX_URI 2048
#define MAX_DESCRIPTION 300

struct device_flow {
	struct loop *loop;
	const struct provider *provider;
	char *token_endpoint;
	device_flow_fn on_change;
	void *ctx;
	enum device_state state;

	struct http_transfer *device_req; /* REQUESTING */
	struct oauth_token_request *poll_req;
	int poll_timer;   /* loop timer id, 0 when none */
	int expiry_timer; /* loop timer id, 0 when none */
	int64_t next_poll_at_ms;

	struct secret *device_code;
	char *user_code;
	char *verification_uri;
	char *verification_uri_complete;
	int64_t sent_ms;       /* when the device request left */
	int64_t expires_at_ms; /* sent_ms + expires_in */
	int interval;          /* seconds */
	unsigned polls;
	unsigned network_failures; /* in a row */

	struct credential *cred;
	struct aiauth_error *error;

	unsigned in_callback;
	bool free_pending;
};

/* ------------------------------------------------------------ helpers */

const char *device_state_name(enum device_state state)
{
	switch (state) {
	case DEVICE_REQUESTING: return "requesting";
	case DEVICE_WAITING: return "waiting";
	case DEVICE_APPROVED: return "approved";
	case DEVICE_DENIED: return "denied";
	case DEVICE_EXPIRED: return "expired";
	case DEVICE_ERROR: return "error";
	case DEVICE_CANCELLED: return "cancelled";
	}
	return "unknown";
}

static bool state_is_final(enum device_state s)
{
	return s != DEVICE_REQUESTING && s != DEVICE_WAITING;
}

/* Printable ASCII with no space: what a terminal can show as it is and a
 * person can copy in one piece.  Codes and URLs from the server are shown on
 * screen, so anything else (escape sequences above all) is refused. */
static bool is_plain_token(const char *s, size_t max)
{
	if (!s || !*s)
		return false;
	size_t n = 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (c < 0x21 || c > 0x7e || n >= max)
			return false;
	}
	return true;
}

/* A server's words for a message: one line of printable ASCII, bounded. */
static void sanitise_into(char *dst, size_t size, const char *src)
{
	size_t n = 0;
	for (; src && *src && n + 1 < size && n < MAX_DESCRIPTION; src++) {
		unsigned char c = (unsigned char)*src;
		dst[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : (c < 0x20 ? ' ' : '?');
	}
	dst[n] = '\0';
}

/* expires_in and interval are numbers, but some servers send them as
 * strings of digits. */
static bool json_get_seconds(yajl_val obj, const char *key, int64_t *out)
{
	if (json_get_int(obj, key, out))
		return true;
	const char *s = json_get_string(obj, key);
	if (!s || !*s || strlen(s) > 9)
		return false;
	int64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}

static void stop_pending(struct device_flow *f)
{
	if (f->device_req) {
		http_cancel(f->device_req);
		f->device_req = NULL;
	}
	if (f->poll_req) {
		oauth_token_request_cancel(f->poll_req);
		f->poll_req = NULL;
	}
	if (f->poll_timer) {
		loop_cancel_timer(f->loop, f->poll_timer);
		f->poll_timer = 0;
	}
	if (f->expiry_timer) {
		loop_cancel_timer(f->loop, f->expiry_timer);
		f->expiry_timer = 0;
	}
}

static void destroy(struct device_flow *f)
{
	stop_pending(f);
	free(f->token_endpoint);
	SECRET_FREE(f->device_code);
	free(f->user_code);
	free(f->verification_uri);
	free(f->verification_uri_complete);
	CREDENTIAL_FREE(f->cred);
	error_clear(&f->error);
	free(f);
}

/* Tell the caller.  Always the last thing a loop callback does: the
 * callback may free the flow. */
static void notify(struct device_flow *f)
{
	if (f->on_change) {
		f->in_callback++;
		f->on_change(f->ctx, f);
		f->in_callback--;
	}
	if (f->free_pending && !f->in_callback)
		destroy(f);
}

/* Enter a final state: nothing pending any more, the device code wiped. */
__attribute__((format(printf, 4, 5))) static void finish(struct device_flow *f,
                                                         enum device_state state,
                                                         enum aiauth_status status,
                                                         const char *fmt, ...)
{
	stop_pending(f);
	SECRET_FREE(f->device_code);
	f->state = state;
	debug_log("device: %s after %u poll(s) (%s)", device_state_name(state), f->polls,
	          status_text(status));
	if (fmt) {
		char msg[sizeof(f->error->message)];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		error_clear(&f->error);
		error_set(&f->error, status, "%s", msg);
	}
	notify(f);
}

/* ------------------------------------------------------------ polling */

static void on_poll_timer(void *ctx);

/* Schedule the next poll an interval from now, unless it would fall at or
 * after the expiry (the expiry timer ends the flow then).  False when the
 * flow ended (out of memory). */
static bool schedule_poll(struct device_flow *f)
{
	int64_t delay = (int64_t)f->interval * 1000;
	int64_t at = loop_now_ms() + delay;
	if (at >= f->expires_at_ms)
		return true;
	f->poll_timer = loop_add_timer(f->loop, delay, on_poll_timer, f);
	if (!f->poll_timer) {
		finish(f, DEVICE_ERROR, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		return false;
	}
	debug_log("device: next poll in %d s (the code expires in %lld s)", f->interval,
	          (long long)((f->expires_at_ms - loop_now_ms()) / 1000));
	f->next_poll_at_ms = at;
	return true;
}

static void on_poll_done(void *ctx, struct oauth_token_result *r)
{
	struct device_flow *f = ctx;
	char desc[MAX_DESCRIPTION + 1];

	f->poll_req = NULL; /* oauth.c frees it after this returns */
	sanitise_into(desc, sizeof(desc), r->description);
	if (debug_on()) {
		char code[64];
		sanitise_into(code, sizeof(code), r->error);
		debug_log("device: poll %u -> HTTP %ld, %s%s%s", f->polls, r->http_status,
		          r->status == AIAUTH_OK && r->cred ? "tokens" : status_text(r->status),
		          code[0] ? ", " : "", code);
	}

	if (r->status == AIAUTH_OK && r->cred) {
		f->cred = r->cred;
		r->cred = NULL;
		finish(f, DEVICE_APPROVED, AIAUTH_OK, NULL);
		return;
	}
	if (r->error && strcmp(r->error, "authorization_pending") == 0) {
		f->network_failures = 0;
		schedule_poll(f);
		return;
	}
	if (r->error && strcmp(r->error, "slow_down") == 0) {
		f->network_failures = 0;
		if (f->interval <= MAX_INTERVAL - DEVICE_SLOW_DOWN_STEP)
			f->interval += DEVICE_SLOW_DOWN_STEP;
		if (schedule_poll(f))
			notify(f); /* the interval changed */
		return;
	}
	switch (r->status) {
	case AIAUTH_DENIED:
		finish(f, DEVICE_DENIED, AIAUTH_DENIED, _("sign-in was refused: %s"), desc);
		return;
	case AIAUTH_EXPIRED:
		finish(f, DEVICE_EXPIRED, AIAUTH_EXPIRED, _("the code expired: %s"), desc);
		return;
	case AIAUTH_OK: /* OK without a credential: cannot happen, but is no success */
		finish(f, DEVICE_ERROR, AIAUTH_CORRUPT, "%s",
		       _("the token endpoint's answer held no token"));
		return;
	default:
		break;
	}
	if (r->retryable && ++f->network_failures < DEVICE_MAX_NETWORK_FAILURES) {
		schedule_poll(f);
		return;
	}
	finish(f, DEVICE_ERROR, r->status, "%s", desc[0] ? desc : _(status_text(r->status)));
}

static void on_poll_timer(void *ctx)
{
	struct device_flow *f = ctx;
	struct aiauth_error *e = NULL;

	f->poll_timer = 0;
	f->next_poll_at_ms = 0;
	if (loop_now_ms() >= f->expires_at_ms) {
		finish(f, DEVICE_EXPIRED, AIAUTH_EXPIRED, "%s",
		       _("the code expired before it was approved"));
		return;
	}
	const struct oauth_param params[] = {
		{"grant_type", DEVICE_GRANT_TYPE},
		{"device_code", (const char *)f->device_code->buf},
	};
	f->poll_req = oauth_token_request_start(f->loop, f->provider, f->token_endpoint, params,
	                                        sizeof(params) / sizeof(params[0]), on_poll_done,
	                                        f, &e);
	if (!f->poll_req) {
		enum aiauth_status st = e ? e->status : AIAUTH_FAILED;
		char msg[sizeof(e->message)];
		snprintf(msg, sizeof(msg), "%s", e ? e->message : _(status_text(st)));
		error_clear(&e);
		finish(f, DEVICE_ERROR, st, "%s", msg);
		return;
	}
	f->polls++;
}

static void on_expiry(void *ctx)
{
	struct device_flow *f = ctx;
	f->expiry_timer = 0;
	finish(f, DEVICE_EXPIRED, AIAUTH_EXPIRED, "%s",
	       _("the code expired before it was approved"));
}

/* ------------------------------------------------------------ device request */

static enum aiauth_status outcome_status(enum http_outcome o)
{
	switch (o) {
	case HTTP_TLS: return AIAUTH_TLS;
	case HTTP_TIMEOUT: return AIAUTH_TIMEOUT;
	case HTTP_REFUSED_URL: return AIAUTH_USAGE;
	case HTTP_TOO_LARGE: return AIAUTH_CORRUPT;
	default: return AIAUTH_NETWORK;
	}
}

void device_codes_clear(struct device_codes *c)
{
	secret_free(c->device_code);
	free(c->user_code);
	free(c->verification_uri);
	free(c->verification_uri_complete);
	memset(c, 0, sizeof(*c));
}

/* Take the codes from a 2xx answer.  On failure the message goes to *err. */
static enum aiauth_status take_codes(yajl_val root, struct device_codes *out,
                                     struct aiauth_error **err)
{
	const char *device_code = json_get_string(root, "device_code");
	const char *user_code = json_get_string(root, "user_code");
	/* "verification_url" is Google's spelling. */
	const char *uri = json_get_string(root, "verification_uri");
	if (!uri)
		uri = json_get_string(root, "verification_url");
	const char *complete = json_get_string(root, "verification_uri_complete");
	int64_t expires_in = DEFAULT_EXPIRES_IN, interval = DEVICE_DEFAULT_INTERVAL;

	if (!device_code || !*device_code)
		return error_set(err, AIAUTH_CORRUPT, "%s",
		                 _("the device authorization answer has no device_code"));
	if (!is_plain_token(user_code, MAX_USER_CODE))
		return error_set(err, AIAUTH_CORRUPT, "%s",
		                 _("the device authorization answer has no usable user_code"));
	if (!is_plain_token(uri, MAX_URI) || http_url_problem(uri))
		return error_set(err, AIAUTH_CORRUPT, "%s",
		                 _("the device authorization answer has no usable verification_uri"));
	/* The complete URI is a convenience: a bad one is dropped, not fatal. */
	if (complete && (!is_plain_token(complete, MAX_URI) || http_url_problem(complete)))
		complete = NULL;
	if (json_get(root, "expires_in") &&
	    (!json_get_seconds(root, "expires_in", &expires_in) || expires_in <= 0))
		return error_set(err, AIAUTH_CORRUPT, "%s",
		                 _("the device authorization answer has a bad expires_in"));
	if (json_get(root, "interval") &&
	    (!json_get_seconds(root, "interval", &interval) || interval < 0))
		return error_set(err, AIAUTH_CORRUPT, "%s",
		                 _("the device authorization answer has a bad interval"));
	if (expires_in > MAX_EXPIRES_IN)
		expires_in = MAX_EXPIRES_IN;
	/* Polling faster than once a second helps nobody and 0 would spin. */
	if (interval < 1)
		interval = 1;
	if (interval > MAX_INTERVAL)
		interval = MAX_INTERVAL;

	out->device_code = secret_from_str(device_code);
	out->user_code = strdup(user_code);
	out->verification_uri = strdup(uri);
	out->verification_uri_complete = complete ? strdup(complete) : NULL;
	if (!out->device_code || !out->user_code || !out->verification_uri ||
	    (complete && !out->verification_uri_complete)) {
		device_codes_clear(out);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	out->interval = (int)interval;
	out->expires_in = expires_in;
	return AIAUTH_OK;
}

enum aiauth_status device_answer_parse(const struct http_response *resp, struct device_codes *out,
                                       struct aiauth_error **err)
{
	enum aiauth_status st;
	yajl_val root = NULL;
	char desc[MAX_DESCRIPTION + 1];

	memset(out, 0, sizeof(*out));
	if (resp->outcome == HTTP_TOO_LARGE) {
		/* It was reached: what it sent is what is wrong. */
		sanitise_into(desc, sizeof(desc), resp->error);
		return error_set(err, AIAUTH_CORRUPT,
		                 _("the device authorization endpoint did not answer with JSON (%s)"),
		                 desc);
	}
	if (resp->outcome != HTTP_DONE) {
		sanitise_into(desc, sizeof(desc), resp->error);
		return error_set(err, outcome_status(resp->outcome),
		                 _("cannot reach the device authorization endpoint: %s"), desc);
	}
	if (resp->status >= 500)
		return error_set(err, AIAUTH_NETWORK,
		                 _("the device authorization endpoint answered HTTP %ld"),
		                 resp->status);
	if (!resp->body || !resp->body->len ||
	    json_parse((const char *)resp->body->buf, resp->body->len, &root, NULL) != AIAUTH_OK ||
	    !YAJL_IS_OBJECT(root)) {
		if (resp->status >= 200 && resp->status < 300)
			st = error_set(err, AIAUTH_CORRUPT,
			               _("the device authorization endpoint did not answer with JSON (%s)"),
			               _(http_body_problem(resp)));
		else
			st = error_set(err, AIAUTH_REJECTED,
			               _("the device authorization endpoint answered HTTP %ld"),
			               resp->status);
		json_free_wiped(root);
		return st;
	}
	const char *code = json_get_string(root, "error");
	if (code || resp->status < 200 || resp->status >= 300) {
		const char *d = json_get_string(root, "error_description");
		char c[64];
		sanitise_into(c, sizeof(c), code ? code : "");
		sanitise_into(desc, sizeof(desc), d ? d : "");
		if (c[0] && desc[0])
			st = error_set(err, AIAUTH_REJECTED, _("device authorization refused: %s (%s)"),
			               desc, c);
		else if (c[0] || desc[0])
			st = error_set(err, AIAUTH_REJECTED, _("device authorization refused: %s"),
			               desc[0] ? desc : c);
		else
			st = error_set(err, AIAUTH_REJECTED,
			               _("the device authorization endpoint answered HTTP %ld"),
			               resp->status);
		json_free_wiped(root);
		return st;
	}
	st = take_codes(root, out, err);
	json_free_wiped(root);
	return st;
}

static void on_device_done(void *ctx, const struct http_response *resp)
{
	struct device_flow *f = ctx;
	struct aiauth_error *e = NULL;
	struct device_codes codes;

	f->device_req = NULL; /* http.c frees it after this returns */
	if (device_answer_parse(resp, &codes, &e) != AIAUTH_OK)
		goto fail;
	f->device_code = codes.device_code;
	f->user_code = codes.user_code;
	f->verification_uri = codes.verification_uri;
	f->verification_uri_complete = codes.verification_uri_complete;
	f->interval = codes.interval;
	f->expires_at_ms = f->sent_ms + codes.expires_in * 1000;
	/* The user code is shown to the person anyway, but stays out of the
	 * trace like every value the server hands out. */
	debug_log("device: codes received; expires in %lld s, interval %d s",
	          (long long)codes.expires_in, f->interval);
	memset(&codes, 0, sizeof(codes)); /* the flow owns them now */

	f->state = DEVICE_WAITING;
	f->expiry_timer = loop_add_timer(f->loop, f->expires_at_ms - loop_now_ms(), on_expiry, f);
	if (!f->expiry_timer) {
		error_set(&e, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto fail;
	}
	if (schedule_poll(f))
		notify(f);
	return;

fail:
	finish(f, DEVICE_ERROR, e ? e->status : AIAUTH_FAILED, "%s",
	       e ? e->message : _("device authorization failed"));
	error_clear(&e);
}

struct device_flow *device_flow_start(struct loop *loop, const struct provider *provider,
                                      const struct oauth_endpoints *endpoints,
                                      device_flow_fn on_change, void *ctx,
                                      struct aiauth_error **err)
{
	struct device_flow *f = NULL;
	struct secret *body = NULL;
	const char *content_type = NULL;

	if (!endpoints || !endpoints->device_authorization || !endpoints->token) {
		error_set(err, AIAUTH_UNSUPPORTED, _("%s has no device-code sign-in"), provider->id);
		goto fail;
	}
	if (!provider->oauth.client_id || !*provider->oauth.client_id) {
		error_set(err, AIAUTH_NOT_CONFIGURED, _("%s: no OAuth client_id is configured"),
		          provider->id);
		goto fail;
	}
	const char *problem = http_url_problem(endpoints->device_authorization);
	if (!problem)
		problem = http_url_problem(endpoints->token);
	if (problem) {
		error_set(err, AIAUTH_USAGE, _("%s: unusable OAuth endpoint: %s"), provider->id,
		          problem);
		goto fail;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->token_endpoint = strdup(endpoints->token))) {
		error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto fail;
	}
	f->loop = loop;
	f->provider = provider;
	f->on_change = on_change;
	f->ctx = ctx;
	f->state = DEVICE_REQUESTING;

	const struct oauth_param params[] = {
		{"client_id", provider->oauth.client_id},
		{"scope", provider->oauth.scopes && *provider->oauth.scopes ? provider->oauth.scopes
		                                                            : NULL},
	};
	if (oauth_encode_params(provider->oauth.token_format, params,
	                        sizeof(params) / sizeof(params[0]), &body, &content_type,
	                        err) != AIAUTH_OK)
		goto fail;
	/* GitHub answers form-encoded text unless asked for JSON. */
	static const char *const headers[] = {"Accept: application/json", NULL};
	const struct http_request req = {
		.method = "POST",
		.url = endpoints->device_authorization,
		.headers = headers,
		.body = body,
		.content_type = content_type,
	};
	f->sent_ms = loop_now_ms();
	f->device_req = http_start(loop, &req, on_device_done, f, err);
	if (!f->device_req)
		goto fail;
	SECRET_FREE(body);
	return f;

fail:
	SECRET_FREE(body);
	if (f)
		destroy(f);
	return NULL;
}

/* ------------------------------------------------------------ getters */

enum device_state device_flow_state(const struct device_flow *f)
{
	return f->state;
}

const char *device_flow_user_code(const struct device_flow *f)
{
	return f->user_code;
}

const char *device_flow_verification_uri(const struct device_flow *f)
{
	return f->verification_uri;
}

const char *device_flow_verification_uri_complete(const struct device_flow *f)
{
	return f->verification_uri_complete;
}

int64_t device_flow_seconds_left(const struct device_flow *f)
{
	if (!f->expires_at_ms)
		return -1;
	int64_t left = f->expires_at_ms - loop_now_ms();
	return left <= 0 ? 0 : (left + 999) / 1000;
}

int device_flow_interval(const struct device_flow *f)
{
	return f->interval;
}

int64_t device_flow_next_poll_ms(const struct device_flow *f)
{
	if (f->state != DEVICE_WAITING || !f->poll_timer)
		return -1;
	int64_t left = f->next_poll_at_ms - loop_now_ms();
	return left < 0 ? 0 : left;
}

unsigned device_flow_polls(const struct device_flow *f)
{
	return f->polls;
}

const struct aiauth_error *device_flow_error(const struct device_flow *f)
{
	if (f->state != DEVICE_DENIED && f->state != DEVICE_EXPIRED && f->state != DEVICE_ERROR)
		return NULL;
	return f->error;
}

struct credential *device_flow_take_credential(struct device_flow *f)
{
	if (f->state != DEVICE_APPROVED)
		return NULL;
	struct credential *c = f->cred;
	f->cred = NULL;
	return c;
}

void device_flow_cancel(struct device_flow *f)
{
	if (!f)
		return;
	stop_pending(f);
	if (!state_is_final(f->state)) {
		f->state = DEVICE_CANCELLED;
		SECRET_FREE(f->device_code);
	}
}

void device_flow_free(struct device_flow *f)
{
	if (!f)
		return;
	device_flow_cancel(f);
	if (f->in_callback) {
		f->free_pending = true;
		f->on_change = NULL;
		return;
	}
	destroy(f);
}
