/* test_oauth_device.c - the device authorization grant's state machine.
 *
 * Every scenario talks to its own tests/servers/device_stub.js on 127.0.0.1,
 * whose token endpoint follows a script ("pending,pending,ok") and logs each
 * request with its time.  The scenarios run side by side on one loop, so the
 * whole test takes as long as its slowest scenario (slow_down: about 8 s),
 * then the loop keeps running a little to catch requests or callbacks that
 * should never come.  Without node the tests are skipped. */
#include "config.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "credential.h"
#include "http.h"
#include "loop.h"
#include "oauth.h"
#include "oauth_device.h"
#include "tap.h"

static void skip(const char *why, const char *what)
{
	tap_count++;
	printf("ok %d - %s # SKIP %s\n", tap_count, what, why);
	fflush(stdout);
}

/* ------------------------------------------------------------ scenarios */

enum scn {
	S_APPROVE,  /* pending,pending,ok */
	S_DEFAULT,  /* no interval: 5 s, cancelled once seen */
	S_SLOW,     /* slow_down,ok */
	S_EXPIRED,  /* expired_token */
	S_DENIED,   /* access_denied; the callback frees the flow */
	S_ERROR,    /* another error with a description */
	S_LOCAL,    /* always pending, expires_in 3 */
	S_CANCEL,   /* a poll hangs; cancelled while it is in flight */
	S_5XX,      /* 500,500,ok */
	S_5XX_MANY, /* 500 for ever */
	S_DEV_ERR,  /* the device endpoint refuses the client */
	S_COUNT
};

static const char *const scn_args[S_COUNT][8] = {
	[S_APPROVE] = {"--script", "pending,pending,ok", "--interval", "1", NULL},
	[S_DEFAULT] = {"--script", "pending", NULL},
	[S_SLOW] = {"--script", "slow_down,ok", "--interval", "1", NULL},
	[S_EXPIRED] = {"--script", "expired", "--interval", "1", NULL},
	[S_DENIED] = {"--script", "denied", "--interval", "1", NULL},
	[S_ERROR] = {"--script", "error", "--interval", "1", NULL},
	[S_LOCAL] = {"--script", "pending", "--interval", "1", "--expires-in", "3", NULL},
	[S_CANCEL] = {"--script", "hang", "--interval", "1", NULL},
	[S_5XX] = {"--script", "500,500,ok", "--interval", "1", NULL},
	[S_5XX_MANY] = {"--script", "500", "--interval", "1", NULL},
	[S_DEV_ERR] = {"--device-mode", "error", "--interval", "1", NULL},
};

#define MAX_SEEN 16

struct scenario {
	enum scn id;
	pid_t pid;
	int port;
	char log[512];
	char device_url[128];
	char token_url[128];
	struct device_flow *flow;
	bool free_in_callback;

	/* What the change callback saw. */
	unsigned n_calls;
	enum device_state seen[MAX_SEEN];
	int seen_interval[MAX_SEEN];
	int64_t first_next_poll_ms; /* next_poll_ms at the first WAITING, -2 if never */
	int64_t final_ms;           /* when a final state arrived, 0 if none */
	unsigned calls_after_final;
	enum device_state final_state;
	enum aiauth_status err_status;
	char err_msg[512];
	unsigned polls_at_final;
	struct credential *cred;
	bool cancelled; /* by the test */
	int64_t cancelled_ms;
	unsigned calls_at_cancel;
};

static struct scenario scn[S_COUNT];
static int64_t t0;

static void stop_servers(void)
{
	for (int i = 0; i < S_COUNT; i++) {
		if (scn[i].pid > 0) {
			kill(scn[i].pid, SIGTERM);
			waitpid(scn[i].pid, NULL, 0);
			scn[i].pid = 0;
		}
	}
}

static bool start_servers(void)
{
	const char *node = getenv("NODE");
	const char *top = getenv("top_srcdir");
	if (!node || !*node || strcmp(node, "no") == 0)
		return false;
	if (!top || !*top)
		top = ".";
	char script[512];
	snprintf(script, sizeof(script), "%s/tests/servers/device_stub.js", top);
	const char *dir = tap_tmpdir();
	char port_file[S_COUNT][512];
	atexit(stop_servers);
	for (int i = 0; i < S_COUNT; i++) {
		scn[i].id = (enum scn)i;
		snprintf(port_file[i], sizeof(port_file[i]), "%s/dev%d.port", dir, i);
		snprintf(scn[i].log, sizeof(scn[i].log), "%s/dev%d.log", dir, i);
		const char *argv[20];
		int n = 0;
		argv[n++] = node;
		argv[n++] = script;
		argv[n++] = "--port";
		argv[n++] = "0";
		argv[n++] = "--port-file";
		argv[n++] = port_file[i];
		argv[n++] = "--log";
		argv[n++] = scn[i].log;
		for (int k = 0; scn_args[i][k]; k++)
			argv[n++] = scn_args[i][k];
		argv[n] = NULL;
		pid_t pid = fork();
		if (pid < 0)
			return false;
		if (pid == 0) {
			execv(node, (char *const *)argv);
			_exit(127);
		}
		scn[i].pid = pid;
	}
	for (int i = 0; i < S_COUNT; i++) {
		for (int tries = 0; tries < 300 && scn[i].port <= 0; tries++) {
			FILE *f = fopen(port_file[i], "r");
			if (f) {
				if (fscanf(f, "%d", &scn[i].port) != 1)
					scn[i].port = 0;
				fclose(f);
				if (scn[i].port > 0)
					break;
			}
			if (waitpid(scn[i].pid, NULL, WNOHANG) == scn[i].pid) {
				scn[i].pid = 0;
				return false;
			}
			usleep(50 * 1000);
		}
		if (scn[i].port <= 0)
			return false;
		snprintf(scn[i].device_url, sizeof(scn[i].device_url), "http://127.0.0.1:%d/device",
		         scn[i].port);
		snprintf(scn[i].token_url, sizeof(scn[i].token_url), "http://127.0.0.1:%d/token",
		         scn[i].port);
	}
	return true;
}

/* What the stub logged. */
struct stub_log {
	int device, polls, after_ok, bad;
	int64_t device_t;
	int64_t poll_t[32];
};

static struct stub_log read_log(const struct scenario *s)
{
	struct stub_log l = {0};
	FILE *f = fopen(s->log, "r");
	if (!f)
		return l;
	char kind[32], entry[32];
	long long t;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		entry[0] = '\0';
		if (sscanf(line, "%31s %lld %31s", kind, &t, entry) < 2)
			continue;
		if (strcmp(kind, "device") == 0) {
			l.device++;
			l.device_t = t;
		} else if (strcmp(kind, "poll") == 0) {
			if (l.polls < 32)
				l.poll_t[l.polls] = t;
			l.polls++;
		} else if (strcmp(kind, "after_ok") == 0) {
			l.after_ok++;
		} else if (strcmp(kind, "bad") == 0) {
			l.bad++;
		}
	}
	fclose(f);
	return l;
}

static const struct provider *stub_provider(void)
{
	static struct provider p;
	p.id = "stub";
	p.name = "Stub";
	p.methods = AUTH_METHOD_DEVICE;
	p.oauth.client_id = "stub-client";
	p.oauth.scopes = "openid email";
	p.oauth.token_format = OAUTH_TOKEN_FORM;
	return &p;
}

static bool is_final(enum device_state st)
{
	return st != DEVICE_REQUESTING && st != DEVICE_WAITING;
}

static void on_change(void *ctx, struct device_flow *f)
{
	struct scenario *s = ctx;
	enum device_state st = device_flow_state(f);
	if (s->final_ms || s->cancelled)
		s->calls_after_final++;
	if (s->n_calls < MAX_SEEN) {
		s->seen[s->n_calls] = st;
		s->seen_interval[s->n_calls] = device_flow_interval(f);
	}
	s->n_calls++;
	if (st == DEVICE_WAITING && s->first_next_poll_ms == -2)
		s->first_next_poll_ms = device_flow_next_poll_ms(f);
	if (!is_final(st))
		return;
	s->final_ms = loop_now_ms();
	s->final_state = st;
	s->polls_at_final = device_flow_polls(f);
	const struct aiauth_error *e = device_flow_error(f);
	if (e) {
		s->err_status = e->status;
		snprintf(s->err_msg, sizeof(s->err_msg), "%s", e->message);
	}
	if (st == DEVICE_APPROVED)
		s->cred = device_flow_take_credential(f);
	if (s->free_in_callback) {
		device_flow_free(f);
		s->flow = NULL;
	}
}

static const char *cred_str(const struct credential *c, const char *name)
{
	const struct secret *v = c ? credential_get(c, name) : NULL;
	return v ? (const char *)v->buf : "";
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* ------------------------------------------------------------ the run */

static void run_scenarios(struct loop *loop)
{
	const struct provider *p = stub_provider();
	struct aiauth_error *e = NULL;

	t0 = loop_now_ms();
	for (int i = 0; i < S_COUNT; i++) {
		struct scenario *s = &scn[i];
		s->first_next_poll_ms = -2;
		s->free_in_callback = i == S_DENIED;
		struct oauth_endpoints ep = {
			.device_authorization = s->device_url,
			.token = s->token_url,
		};
		s->flow = device_flow_start(loop, p, &ep, on_change, s, &e);
		if (!s->flow) {
			diag("scenario %d did not start: %s", i, e ? e->message : "?");
			error_clear(&e);
		}
	}
	ok(scn[S_APPROVE].flow && device_flow_state(scn[S_APPROVE].flow) == DEVICE_REQUESTING &&
	       scn[S_APPROVE].n_calls == 0,
	   "a new flow is REQUESTING and has not called back");
	ok(scn[S_APPROVE].flow && device_flow_seconds_left(scn[S_APPROVE].flow) == -1 &&
	       device_flow_user_code(scn[S_APPROVE].flow) == NULL,
	   "no code and no countdown before the server answered");

	/* Run until every scenario has ended (20 s at most), cancelling the
	 * ones the test cancels on the way. */
	int64_t deadline = t0 + 20000;
	for (;;) {
		bool all = true;
		for (int i = 0; i < S_COUNT; i++) {
			struct scenario *s = &scn[i];
			if (!s->flow && !s->final_ms)
				continue; /* never started */
			if (!s->final_ms && !s->cancelled)
				all = false;
		}
		if (all || loop_now_ms() > deadline)
			break;
		struct scenario *d = &scn[S_DEFAULT];
		if (d->flow && !d->cancelled && d->first_next_poll_ms != -2) {
			device_flow_cancel(d->flow);
			d->cancelled = true;
			d->cancelled_ms = loop_now_ms();
			d->calls_at_cancel = d->n_calls;
		}
		struct scenario *c = &scn[S_CANCEL];
		if (c->flow && !c->cancelled && device_flow_polls(c->flow) == 1 &&
		    read_log(c).polls == 1) {
			/* The stub has the poll and will never answer it. */
			device_flow_cancel(c->flow);
			c->cancelled = true;
			c->cancelled_ms = loop_now_ms();
			c->calls_at_cancel = c->n_calls;
		}
		if (loop_run_once(loop, 50, &e) != AIAUTH_OK) {
			diag("loop: %s", e ? e->message : "?");
			error_clear(&e);
			break;
		}
	}
	/* Keep going a while: a poll after success, a poll after the expiry or
	 * a callback after cancel would show up now. */
	int64_t grace = loop_now_ms() + 2500;
	while (loop_now_ms() < grace)
		if (loop_run_once(loop, 100, NULL) != AIAUTH_OK)
			break;
}

static void check_approve(void)
{
	struct scenario *s = &scn[S_APPROVE];
	struct stub_log l = read_log(s);
	ok(s->final_state == DEVICE_APPROVED, "pending, pending, ok: APPROVED (%s)",
	   device_state_name(s->final_state));
	ok(s->n_calls == 2 && s->seen[0] == DEVICE_WAITING && s->seen[1] == DEVICE_APPROVED,
	   "callbacks: WAITING then APPROVED, nothing for authorization_pending (%u calls)",
	   s->n_calls);
	ok(strcmp(cred_str(s->cred, "access_token"), "at-secret-abcdef") == 0 &&
	       strcmp(cred_str(s->cred, "refresh_token"), "rt-secret-123456") == 0,
	   "the credential carries the tokens");
	ok(s->flow && device_flow_take_credential(s->flow) == NULL,
	   "the credential is handed over once");
	ok(l.polls == 3 && s->polls_at_final == 3, "three polls up to the approval (stub %d, flow %u)",
	   l.polls, s->polls_at_final);
	ok(l.after_ok == 0, "no request after the approval (%d)", l.after_ok);
	ok(l.bad == 0 && l.device == 1, "requests well formed: client_id, scope, Accept, grant, code");
	bool spaced = l.polls == 3 && l.poll_t[0] - l.device_t >= 950 &&
	              l.poll_t[1] - l.poll_t[0] >= 950 && l.poll_t[2] - l.poll_t[1] >= 950;
	ok(spaced, "polls at least the 1 s interval apart");
	ok(s->calls_after_final == 0, "no callback after the final state");
	ok(s->flow && device_flow_next_poll_ms(s->flow) == -1, "no poll scheduled after approval");
	ok(s->flow && strcmp(device_flow_user_code(s->flow) ? device_flow_user_code(s->flow) : "",
	                     "WDJB-MJHT") == 0,
	   "the user code is kept for display");
	char uri[160];
	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/activate", s->port);
	const char *v = s->flow ? device_flow_verification_uri(s->flow) : NULL;
	const char *vc = s->flow ? device_flow_verification_uri_complete(s->flow) : NULL;
	ok(v && strcmp(v, uri) == 0, "verification_uri");
	ok(vc && strncmp(vc, uri, strlen(uri)) == 0 && contains(vc, "user_code=WDJB-MJHT"),
	   "verification_uri_complete");
	int64_t left = s->flow ? device_flow_seconds_left(s->flow) : -1;
	ok(left > 580 && left <= 600, "seconds left counts down from expires_in (%lld)",
	   (long long)left);
}

static void check_default(void)
{
	struct scenario *s = &scn[S_DEFAULT];
	struct stub_log l = read_log(s);
	ok(s->seen_interval[0] == DEVICE_DEFAULT_INTERVAL && s->seen[0] == DEVICE_WAITING,
	   "no interval from the server: 5 s (%d)", s->seen_interval[0]);
	ok(s->first_next_poll_ms >= 4900 && s->first_next_poll_ms <= 5000,
	   "the first poll is scheduled 5 s after the codes (%lld ms)",
	   (long long)s->first_next_poll_ms);
	ok(s->cancelled && s->flow && device_flow_state(s->flow) == DEVICE_CANCELLED,
	   "cancel while waiting: CANCELLED");
	ok(s->n_calls == s->calls_at_cancel && s->calls_after_final == 0,
	   "no callback after cancel");
	ok(l.polls == 0, "no poll after cancel (%d)", l.polls);
	ok(s->flow && device_flow_next_poll_ms(s->flow) == -1, "no poll scheduled after cancel");
}

static void check_slow(void)
{
	struct scenario *s = &scn[S_SLOW];
	struct stub_log l = read_log(s);
	ok(s->final_state == DEVICE_APPROVED, "slow_down, ok: APPROVED (%s)",
	   device_state_name(s->final_state));
	ok(s->n_calls == 3 && s->seen[1] == DEVICE_WAITING && s->seen_interval[0] == 1 &&
	       s->seen_interval[1] == 1 + DEVICE_SLOW_DOWN_STEP,
	   "slow_down calls back with the interval raised by 5 s (%d -> %d)", s->seen_interval[0],
	   s->seen_interval[1]);
	ok(s->flow && device_flow_interval(s->flow) == 6, "the raised interval is kept");
	ok(l.polls == 2 && l.poll_t[1] - l.poll_t[0] >= 5950,
	   "the poll after slow_down waits the new interval (%lld ms)",
	   l.polls == 2 ? (long long)(l.poll_t[1] - l.poll_t[0]) : -1LL);
	ok(l.after_ok == 0, "no request after the approval");
}

static void check_endings(void)
{
	struct scenario *s = &scn[S_EXPIRED];
	ok(s->final_state == DEVICE_EXPIRED && s->err_status == AIAUTH_EXPIRED,
	   "expired_token: EXPIRED (%s)", device_state_name(s->final_state));
	ok(contains(s->err_msg, "The code expired (stub)"), "with the server's description: %s",
	   s->err_msg);
	ok(read_log(s).polls == 1, "no poll after expired_token");

	s = &scn[S_DENIED];
	ok(s->final_state == DEVICE_DENIED && s->err_status == AIAUTH_DENIED,
	   "access_denied: DENIED (%s)", device_state_name(s->final_state));
	ok(contains(s->err_msg, "The user said no (stub)"), "with the server's description: %s",
	   s->err_msg);
	ok(s->flow == NULL && read_log(s).polls == 1 && s->n_calls == 2,
	   "the callback may free the flow; nothing runs after that");

	s = &scn[S_ERROR];
	ok(s->final_state == DEVICE_ERROR, "unauthorized_client: ERROR (%s)",
	   device_state_name(s->final_state));
	ok(contains(s->err_msg, "Device flow disabled for this client (stub)"),
	   "with the server's description: %s", s->err_msg);
	ok(s->err_status != AIAUTH_OK && s->err_status != AIAUTH_NETWORK,
	   "an OAuth error is not a network error (%s)", status_text(s->err_status));
	ok(read_log(s).polls == 1, "no poll after the error");
	ok(!contains(s->err_msg, "dc-secret"), "the device code is not in the message");

	s = &scn[S_DEV_ERR];
	struct stub_log l = read_log(s);
	ok(s->final_state == DEVICE_ERROR && s->err_status == AIAUTH_REJECTED &&
	       s->n_calls == 1,
	   "a refused device request: ERROR, REJECTED, one callback");
	ok(contains(s->err_msg, "Unknown client (stub)"), "with the server's description: %s",
	   s->err_msg);
	ok(l.device == 1 && l.polls == 0, "and no poll");
}

static void check_local_expiry(void)
{
	struct scenario *s = &scn[S_LOCAL];
	struct stub_log l = read_log(s);
	ok(s->final_state == DEVICE_EXPIRED && s->err_status == AIAUTH_EXPIRED,
	   "expires_in passes: EXPIRED (%s)", device_state_name(s->final_state));
	ok(s->final_ms - t0 >= 2950 && s->final_ms - t0 < 4500,
	   "at the local expiry (%lld ms after start)", (long long)(s->final_ms - t0));
	bool before = true;
	for (int i = 0; i < l.polls && i < 32; i++)
		if (l.poll_t[i] >= l.device_t + 3000)
			before = false;
	ok(l.polls == 2 && before, "no poll at or after the expiry (%d polls)", l.polls);
	ok((int)s->polls_at_final == l.polls, "nothing sent after EXPIRED");
	ok(s->flow && device_flow_seconds_left(s->flow) == 0, "zero seconds left");
}

static void check_cancel(void)
{
	struct scenario *s = &scn[S_CANCEL];
	ok(s->cancelled && s->flow && device_flow_state(s->flow) == DEVICE_CANCELLED,
	   "cancel with a poll in flight: CANCELLED");
	ok(s->n_calls == s->calls_at_cancel && s->n_calls == 1,
	   "no callback after cancel (%u calls)", s->n_calls);
	ok(read_log(s).polls == 1, "no poll after cancel");
	ok(s->flow && device_flow_next_poll_ms(s->flow) == -1 && device_flow_error(s->flow) == NULL,
	   "nothing scheduled, no error");
}

static void check_5xx(void)
{
	struct scenario *s = &scn[S_5XX];
	struct stub_log l = read_log(s);
	ok(s->final_state == DEVICE_APPROVED, "500, 500, ok: APPROVED (%s)",
	   device_state_name(s->final_state));
	ok(l.polls == 3 && l.after_ok == 0, "polling went on through the 5xx (%d polls)", l.polls);
	ok(s->n_calls == 2, "a 5xx is no state change");

	s = &scn[S_5XX_MANY];
	l = read_log(s);
	ok(s->final_state == DEVICE_ERROR && s->err_status != AIAUTH_OK,
	   "5xx for ever: ERROR (%s, %s)", device_state_name(s->final_state),
	   status_text(s->err_status));
	ok(l.polls == DEVICE_MAX_NETWORK_FAILURES,
	   "after %d consecutive failures (%d polls)", DEVICE_MAX_NETWORK_FAILURES, l.polls);
}

/* Cancelling leaves nothing on the loop: loop_run_until() refuses to wait
 * with nothing to wait for, which is what we want to see. */
static void check_nothing_left(const struct provider *p)
{
	struct loop *loop = NULL;
	struct aiauth_error *e = NULL;
	if (loop_new(&loop, &e) != AIAUTH_OK) {
		ok(0, "loop_new: %s", e ? e->message : "?");
		error_clear(&e);
		return;
	}
	struct scenario *s = &scn[S_CANCEL];
	struct oauth_endpoints ep = {.device_authorization = s->device_url, .token = s->token_url};
	struct scenario local = {.first_next_poll_ms = -2};
	struct device_flow *f = device_flow_start(loop, p, &ep, on_change, &local, &e);
	ok(f != NULL, "start on a fresh loop");
	device_flow_cancel(f);
	ok(f && device_flow_state(f) == DEVICE_CANCELLED, "cancel while REQUESTING: CANCELLED");
	bool never = false;
	enum aiauth_status st = loop_run_until(loop, &never, &e);
	ok(st != AIAUTH_OK && e && contains(e->message, "nothing to wait for"),
	   "no transfer and no timer left after cancel");
	error_clear(&e);
	ok(local.n_calls == 0, "and no callback");
	DEVICE_FLOW_FREE(f);

	/* The same once waiting with a poll in flight, then freed. */
	local = (struct scenario){.first_next_poll_ms = -2};
	f = device_flow_start(loop, p, &ep, on_change, &local, &e);
	int64_t end = loop_now_ms() + 5000;
	while (f && device_flow_polls(f) == 0 && loop_now_ms() < end)
		loop_run_once(loop, 100, NULL);
	ok(f && device_flow_polls(f) == 1 && device_flow_next_poll_ms(f) == -1,
	   "a poll is in flight");
	DEVICE_FLOW_FREE(f);
	never = false;
	st = loop_run_until(loop, &never, &e);
	ok(st != AIAUTH_OK && e && contains(e->message, "nothing to wait for"),
	   "device_flow_free leaves no transfer and no timer");
	error_clear(&e);
	loop_free(loop);
}

static void check_refusals(const struct provider *p)
{
	struct loop *loop = NULL;
	struct aiauth_error *e = NULL;
	if (loop_new(&loop, &e) != AIAUTH_OK) {
		ok(0, "loop_new: %s", e ? e->message : "?");
		error_clear(&e);
		return;
	}
	struct oauth_endpoints none = {.token = "https://example.invalid/token"};
	struct device_flow *f = device_flow_start(loop, p, &none, on_change, NULL, &e);
	ok(!f && e && e->status == AIAUTH_UNSUPPORTED, "no device endpoint: UNSUPPORTED");
	error_clear(&e);
	struct oauth_endpoints plain = {.device_authorization = "http://example.com/device",
	                                .token = "https://example.com/token"};
	f = device_flow_start(loop, p, &plain, on_change, NULL, &e);
	ok(!f && e && e->status == AIAUTH_USAGE, "plain http to a remote host is refused");
	error_clear(&e);
	struct provider noclient = *p;
	noclient.oauth.client_id = NULL;
	struct oauth_endpoints good = {.device_authorization = "https://example.com/device",
	                               .token = "https://example.com/token"};
	f = device_flow_start(loop, &noclient, &good, on_change, NULL, &e);
	ok(!f && e && e->status == AIAUTH_NOT_CONFIGURED, "no client_id: NOT_CONFIGURED");
	error_clear(&e);
	device_flow_free(NULL);
	loop_free(loop);
}

int main(void)
{
	struct aiauth_error *e = NULL;
	struct loop *loop = NULL;

	if (http_global_init(&e) != AIAUTH_OK) {
		printf("Bail out! %s\n", e ? e->message : "http_global_init");
		return 1;
	}
	check_refusals(stub_provider());
	if (!start_servers()) {
		skip("node or device_stub.js not available", "device flow against the stub");
		http_global_cleanup();
		return done_testing();
	}
	if (loop_new(&loop, &e) != AIAUTH_OK) {
		printf("Bail out! %s\n", e ? e->message : "loop_new");
		return 1;
	}
	run_scenarios(loop);
	check_approve();
	check_default();
	check_slow();
	check_endings();
	check_local_expiry();
	check_cancel();
	check_5xx();
	check_nothing_left(stub_provider());

	for (int i = 0; i < S_COUNT; i++) {
		DEVICE_FLOW_FREE(scn[i].flow);
		CREDENTIAL_FREE(scn[i].cred);
	}
	loop_free(loop);
	stop_servers();
	http_global_cleanup();
	return done_testing();
}
