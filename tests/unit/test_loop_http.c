/* test_loop_http.c - the event loop, HTTP on libcurl multi, the probes.
 *
 * Network tests talk only to tests/servers/models_server.js, started here
 * on 127.0.0.1 (one process per behaviour) with $NODE and $top_srcdir as
 * `make check` exports them; without node those tests are skipped. */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "loop.h"
#include "probe.h"
#include "tap.h"

static void skip(const char *why, const char *what)
{
	tap_count++;
	printf("ok %d - %s # SKIP %s\n", tap_count, what, why);
	fflush(stdout);
}

/* ------------------------------------------------------------ servers */

enum srv {
	SRV_MAIN,     /* --key K: openai, anthropic, gemini, ollama, azure routes */
	SRV_TOGETHER, /* --key K --flavor together */
	SRV_OPEN,     /* no key, 2 models: a keyless local server */
	SRV_500,
	SRV_HTML,
	SRV_MALFORMED,
	SRV_EMPTY,
	SRV_HUGE,
	SRV_HANG,
	SRV_SLOW,
	SRV_COUNT
};

#define KEY "sk-test-0123456789abcdef"
#define SLOW_MS 600

static const char *const srv_args[SRV_COUNT][8] = {
	[SRV_MAIN] = {"--key", KEY, "--log", "@LOG", NULL},
	[SRV_TOGETHER] = {"--key", KEY, "--flavor", "together", "--models", "4", NULL},
	[SRV_OPEN] = {"--models", "2", NULL},
	[SRV_500] = {"--mode", "500", NULL},
	[SRV_HTML] = {"--mode", "html", NULL},
	[SRV_MALFORMED] = {"--mode", "malformed", NULL},
	[SRV_EMPTY] = {"--mode", "empty", NULL},
	[SRV_HUGE] = {"--mode", "huge", NULL},
	[SRV_HANG] = {"--mode", "hang", NULL},
	[SRV_SLOW] = {"--mode", "slow", "--delay", "600", NULL},
};

static pid_t srv_pid[SRV_COUNT];
static int srv_port[SRV_COUNT];
static char srv_log[512];
static bool have_servers;

static void stop_servers(void)
{
	for (int i = 0; i < SRV_COUNT; i++) {
		if (srv_pid[i] > 0) {
			kill(srv_pid[i], SIGTERM);
			waitpid(srv_pid[i], NULL, 0);
			srv_pid[i] = 0;
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
	snprintf(script, sizeof(script), "%s/tests/servers/models_server.js", top);
	const char *dir = tap_tmpdir();
	snprintf(srv_log, sizeof(srv_log), "%s/main.log", dir);
	char port_file[SRV_COUNT][512];
	for (int i = 0; i < SRV_COUNT; i++) {
		snprintf(port_file[i], sizeof(port_file[i]), "%s/srv%d.port", dir, i);
		const char *argv[16];
		int n = 0;
		argv[n++] = node;
		argv[n++] = script;
		argv[n++] = "--port";
		argv[n++] = "0";
		argv[n++] = "--port-file";
		argv[n++] = port_file[i];
		for (int k = 0; srv_args[i][k]; k++)
			argv[n++] = strcmp(srv_args[i][k], "@LOG") == 0 ? srv_log : srv_args[i][k];
		argv[n] = NULL;
		pid_t pid = fork();
		if (pid < 0)
			return false;
		if (pid == 0) {
			execv(node, (char *const *)argv);
			_exit(127);
		}
		srv_pid[i] = pid;
	}
	atexit(stop_servers);
	/* Node takes a moment to start, more under the sanitizers' load. */
	for (int i = 0; i < SRV_COUNT; i++) {
		for (int tries = 0; tries < 300; tries++) {
			FILE *f = fopen(port_file[i], "r");
			if (f) {
				int ok_read = fscanf(f, "%d", &srv_port[i]);
				fclose(f);
				if (ok_read == 1 && srv_port[i] > 0)
					break;
			}
			if (waitpid(srv_pid[i], NULL, WNOHANG) == srv_pid[i]) {
				srv_pid[i] = 0;
				return false;
			}
			usleep(50 * 1000);
		}
		if (srv_port[i] <= 0)
			return false;
	}
	return true;
}

static int log_lines(void)
{
	FILE *f = fopen(srv_log, "r");
	if (!f)
		return 0;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* A loopback port nobody listens on (bound, read, closed). */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static char *url(enum srv s, const char *path)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "http://127.0.0.1:%d%s", srv_port[s], path);
	return buf[k];
}

/* ------------------------------------------------------------ loop */

struct timer_log {
	char order[16];
	size_t n;
	struct loop *loop;
	int extra_id;
};
struct timer_arg {
	struct timer_log *log;
	char name;
};

static void on_timer(void *ctx)
{
	struct timer_arg *a = ctx;
	if (a->log->n < sizeof(a->log->order) - 1)
		a->log->order[a->log->n++] = a->name;
}

/* Cancels another timer and adds one from inside a callback. */
static struct timer_arg arg_late = {NULL, 'L'};
static void on_timer_meddle(void *ctx)
{
	struct timer_arg *a = ctx;
	on_timer(ctx);
	loop_cancel_timer(a->log->loop, a->log->extra_id);
	arg_late.log = a->log;
	loop_add_timer(a->log->loop, 0, on_timer, &arg_late);
}

static void test_timers(struct loop *loop)
{
	struct timer_log log = {.loop = loop};
	struct timer_arg a = {&log, 'A'}, b = {&log, 'B'}, c = {&log, 'C'}, d = {&log, 'D'},
	                 e = {&log, 'E'}, m = {&log, 'M'};
	int ia = loop_add_timer(loop, 60, on_timer, &a);
	int ib = loop_add_timer(loop, 10, on_timer, &b);
	int ic = loop_add_timer(loop, 30, on_timer, &c);
	int id = loop_add_timer(loop, 20, on_timer, &d);
	int im = loop_add_timer(loop, 40, on_timer_meddle, &m);
	log.extra_id = loop_add_timer(loop, 50, on_timer, &e);
	ok(ia > 0 && ib > 0 && ic > 0 && id > 0 && im > 0 && log.extra_id > 0 &&
	       ia != ib && ib != ic && ic != id,
	   "timers get distinct positive ids");
	loop_cancel_timer(loop, id);
	int64_t t0 = loop_now_ms();
	for (int i = 0; i < 100 && log.n < 5; i++)
		loop_run_once(loop, 200, NULL);
	int64_t elapsed = loop_now_ms() - t0;
	/* B, C and M fire in due order. L is added by M with no delay and A is
	 * due 20 ms after M: on a loaded machine both can be due in the same
	 * pass, so either may come first; the cancelled D and E never fire. */
	ok(log.n == 5 && strncmp(log.order, "BCM", 3) == 0 &&
	       (strcmp(log.order + 3, "LA") == 0 || strcmp(log.order + 3, "AL") == 0),
	   "timers fire in due order, a cancelled one never (%s)", log.order);
	ok(elapsed >= 55, "the last timer waited its 60 ms (%lld ms)", (long long)elapsed);

	/* Nothing due: run_once returns after max_wait, not before. */
	t0 = loop_now_ms();
	loop_run_once(loop, 80, NULL);
	elapsed = loop_now_ms() - t0;
	ok(elapsed >= 75 && elapsed < 2000, "run_once with nothing to do waits max_wait (%lld ms)",
	   (long long)elapsed);

	/* A wake-up makes the wait return at once. */
	loop_wakeup(loop);
	t0 = loop_now_ms();
	loop_run_once(loop, 3000, NULL);
	elapsed = loop_now_ms() - t0;
	ok(elapsed < 1500, "loop_wakeup ends the wait early (%lld ms)", (long long)elapsed);

	bool never = false;
	struct aiauth_error *err = NULL;
	ok(loop_run_until(loop, &never, &err) != AIAUTH_OK && err,
	   "run_until with nothing to wait for is an error, not a hang");
	error_clear(&err);
}

struct fd_log {
	int calls;
	short last;
	char got;
	struct loop *loop;
	int watch;
};

static void on_readable(void *ctx, int fd, short revents)
{
	struct fd_log *l = ctx;
	l->calls++;
	l->last = revents;
	char c;
	ssize_t r = read(fd, &c, 1);
	if (r == 1)
		l->got = c;
	else /* EOF: stop watching from inside the callback */
		loop_unwatch_fd(l->loop, l->watch);
}

static void test_fd_watch(struct loop *loop)
{
	int p[2];
	if (pipe(p) != 0) {
		ok(0, "pipe");
		return;
	}
	struct fd_log l = {.loop = loop};
	l.watch = loop_watch_fd(loop, p[0], POLLIN, on_readable, &l);
	ok(l.watch > 0, "watch id > 0");
	loop_run_once(loop, 30, NULL);
	ok(l.calls == 0, "an idle pipe does not call back");
	if (write(p[1], "x", 1) != 1)
		diag("write failed");
	int64_t t0 = loop_now_ms();
	loop_run_once(loop, 2000, NULL);
	ok(l.calls == 1 && l.got == 'x' && (l.last & POLLIN), "a readable pipe calls back once");
	ok(loop_now_ms() - t0 < 1000, "the wait ended when the pipe became readable");
	close(p[1]);
	loop_run_once(loop, 2000, NULL);
	ok(l.calls == 2 && (l.last & POLLHUP), "a hung-up pipe calls back with POLLHUP");
	t0 = loop_now_ms();
	loop_run_once(loop, 50, NULL);
	ok(l.calls == 2, "no call after unwatching from the callback");
	close(p[0]);
}

/* ------------------------------------------------------------ http */

static void test_url_rules(struct loop *loop)
{
	static const char *const good[] = {
		"http://127.0.0.1/",    "http://127.1.2.3:8080/v1", "http://[::1]:11434/api/tags",
		"http://localhost:1234", "HTTP://LOCALHOST/x",      "https://api.example.com/v1/models",
		"https://127.0.0.1:443/",
	};
	static const char *const bad[] = {
		"http://api.example.com/v1/models", "http://127.0.0.1.example.com/",
		"http://localhost.example.com/",     "http://127.0.0.1@example.com/",
		"http://128.0.0.1/",                 "http://[::2]/",
		"ftp://127.0.0.1/",                  "file:///etc/passwd",
		"not a url",                         "",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ok(http_url_problem(good[i]) == NULL, "accepted: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(http_url_problem(bad[i]) != NULL, "refused: '%s'", bad[i]);
	ok(http_url_is_loopback("http://[::1]/") && http_url_is_loopback("http://localhost/") &&
	       http_url_is_loopback("http://127.9.9.9/"),
	   "loopback URLs are loopback");
	ok(!http_url_is_loopback("https://127.0.0.1/") && !http_url_is_loopback("http://10.0.0.1/"),
	   "https or non-loopback is not a plain loopback URL");

	struct aiauth_error *err = NULL;
	struct http_request req = {.url = "http://api.example.com/v1/models"};
	struct http_transfer *t = http_start(loop, &req, NULL, NULL, &err);
	ok(!t && err && err->status == AIAUTH_USAGE, "http_start refuses plain http to a remote host");
	error_clear(&err);
	struct http_response resp;
	ok(http_perform(loop, &req, &resp, NULL) == AIAUTH_OK && resp.outcome == HTTP_REFUSED_URL &&
	       resp.error,
	   "http_perform reports HTTP_REFUSED_URL before connecting");
	http_response_clear(&resp);
}

struct two {
	int done;
	long status[2];
	int64_t at[2];
};
static struct two two;
static void on_two(void *ctx, const struct http_response *r)
{
	int i = (int)(intptr_t)ctx;
	two.status[i] = r->outcome == HTTP_DONE ? r->status : -1;
	two.at[i] = loop_now_ms();
	two.done++;
}

static void never_called(void *ctx, const struct http_response *r)
{
	*(int *)ctx += 1;
}

static void test_http_network(struct loop *loop)
{
	struct http_response resp;
	struct aiauth_error *err = NULL;
	const char *auth[] = {"Authorization: Bearer " KEY, NULL};

	struct http_request req = {.url = url(SRV_MAIN, "/v1/models"), .headers = auth};
	ok(http_perform(loop, &req, &resp, &err) == AIAUTH_OK && resp.outcome == HTTP_DONE &&
	       resp.status == 200,
	   "GET with the right key: 200");
	ok(resp.body && strstr((char *)resp.body->buf, "\"gpt-test-1\""), "the body arrived");
	ok(resp.content_type && strncmp(resp.content_type, "application/json", 16) == 0,
	   "Content-Type captured (%s)", resp.content_type ? resp.content_type : "NULL");
	ok(resp.date && strstr(resp.date, "GMT"), "Date captured (%s)", resp.date ? resp.date : "NULL");
	http_response_clear(&resp);

	req.headers = NULL;
	ok(http_perform(loop, &req, &resp, &err) == AIAUTH_OK && resp.outcome == HTTP_DONE &&
	       resp.status == 401,
	   "GET without the key: a 401 is a response, not a failure");
	http_response_clear(&resp);

	req = (struct http_request){.url = url(SRV_MAIN, "/v1/models"), .headers = auth};
	char lurl[256];
	snprintf(lurl, sizeof(lurl), "http://localhost:%d/v1/models", srv_port[SRV_MAIN]);
	req.url = lurl;
	ok(http_perform(loop, &req, &resp, &err) == AIAUTH_OK && resp.outcome == HTTP_DONE &&
	       resp.status == 200,
	   "http://localhost is allowed and works");
	http_response_clear(&resp);

	/* Closed port: unreachable, with curl's line. */
	char closed[128];
	snprintf(closed, sizeof(closed), "http://127.0.0.1:%d/v1/models", free_port());
	req = (struct http_request){.url = closed};
	enum aiauth_status st = http_perform(loop, &req, &resp, &err);
	ok(st == AIAUTH_OK && resp.outcome == HTTP_UNREACHABLE && resp.error && *resp.error &&
	       !strchr(resp.error, '\n'),
	   "closed port: HTTP_UNREACHABLE with one line (%s)", resp.error ? resp.error : "NULL");
	http_response_clear(&resp);

	/* [::1] passes the rule and is really tried (nothing listens there). */
	snprintf(closed, sizeof(closed), "http://[::1]:%d/v1/models", free_port());
	req = (struct http_request){.url = closed};
	st = http_perform(loop, &req, &resp, &err);
	ok(st == AIAUTH_OK && resp.outcome == HTTP_UNREACHABLE,
	   "http://[::1] is allowed and attempted (%s)", resp.error ? resp.error : "NULL");
	http_response_clear(&resp);

	/* TLS to a plain HTTP server: the handshake fails, verification is on. */
	char tls[128];
	snprintf(tls, sizeof(tls), "https://127.0.0.1:%d/v1/models", srv_port[SRV_MAIN]);
	req = (struct http_request){.url = tls};
	st = http_perform(loop, &req, &resp, &err);
	ok(st == AIAUTH_OK && resp.outcome == HTTP_TLS,
	   "https to a non-TLS server: HTTP_TLS (%s)", resp.error ? resp.error : "NULL");
	http_response_clear(&resp);

	/* A server that never answers, with a 1 s timeout. */
	req = (struct http_request){.url = url(SRV_HANG, "/v1/models"), .timeout_ms = 1000};
	int64_t t0 = loop_now_ms();
	ok(http_perform(loop, &req, &resp, &err) == AIAUTH_OK && resp.outcome == HTTP_TIMEOUT,
	   "hanging server: HTTP_TIMEOUT");
	int64_t elapsed = loop_now_ms() - t0;
	ok(elapsed >= 900 && elapsed < 4000, "after about the timeout (%lld ms)", (long long)elapsed);
	http_response_clear(&resp);

	/* 10 MB against a 64 KiB cap. */
	req = (struct http_request){.url = url(SRV_HUGE, "/v1/models"), .max_body = 64 * 1024};
	ok(http_perform(loop, &req, &resp, &err) == AIAUTH_OK && resp.outcome == HTTP_TOO_LARGE &&
	       resp.body && resp.body->len == 0,
	   "huge body: HTTP_TOO_LARGE and no partial body");
	http_response_clear(&resp);
	req.max_body = 0;
	ok(http_perform(loop, &req, &resp, &err) == AIAUTH_OK && resp.outcome == HTTP_TOO_LARGE,
	   "huge body: the default 1 MiB cap holds too");
	http_response_clear(&resp);

	/* Two transfers in flight at once on one loop. */
	memset(&two, 0, sizeof(two));
	req = (struct http_request){.url = url(SRV_SLOW, "/v1/models")};
	t0 = loop_now_ms();
	struct http_transfer *t1 = http_start(loop, &req, on_two, (void *)(intptr_t)0, &err);
	struct http_transfer *t2 = http_start(loop, &req, on_two, (void *)(intptr_t)1, &err);
	ok(t1 && t2, "two transfers started");
	for (int i = 0; i < 200 && two.done < 2; i++)
		loop_run_once(loop, 100, NULL);
	elapsed = loop_now_ms() - t0;
	ok(two.done == 2 && two.status[0] == 200 && two.status[1] == 200, "both completed with 200");
	ok(elapsed < 2 * SLOW_MS - 100, "concurrently: %lld ms for two %d ms answers",
	   (long long)elapsed, SLOW_MS);

	/* A cancelled transfer never calls back. */
	int calls = 0;
	req = (struct http_request){.url = url(SRV_SLOW, "/v1/models")};
	struct http_transfer *tc = http_start(loop, &req, never_called, &calls, &err);
	loop_run_once(loop, 50, NULL);
	http_cancel(tc);
	t0 = loop_now_ms();
	while (loop_now_ms() - t0 < SLOW_MS + 300)
		loop_run_once(loop, 100, NULL);
	ok(tc && calls == 0, "a cancelled transfer is never called back");

	/* loop_free with a transfer in flight frees it silently (ASan checks). */
	struct loop *l2 = NULL;
	loop_new(&l2, NULL);
	req = (struct http_request){.url = url(SRV_HANG, "/v1/models")};
	struct http_transfer *th = l2 ? http_start(l2, &req, never_called, &calls, &err) : NULL;
	if (l2)
		loop_run_once(l2, 50, NULL);
	loop_free(l2);
	ok(th && calls == 0, "loop_free drops a running transfer without calling back");
	error_clear(&err);
}

/* ------------------------------------------------------------ probes */

static struct provider make_provider(const char *id, const char *base, const char *path,
                                     enum models_auth auth)
{
	struct provider p = {0};
	p.id = (char *)id;
	p.name = (char *)id;
	p.group = PROVIDER_GROUP_API_KEY;
	p.base_url = (char *)base;
	p.models_path = (char *)path;
	p.models_auth = auth;
	return p;
}

static void probe_case(const char *what, struct provider *pv, const char *base, const char *key,
                       long timeout_ms, enum probe_outcome want, size_t want_models,
                       const char *want_first, const char *want_detail)
{
	struct secret *cred = key ? secret_from_str(key) : NULL;
	struct probe_target t = {
		.provider = pv, .base_url = base, .credential = cred, .timeout_ms = timeout_ms};
	struct probe_result r;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = probe_run(&t, &r, &err);
	bool good = st == AIAUTH_OK && r.outcome == want;
	if (good && want == PROBE_VALID)
		good = r.n_models == want_models &&
		       (!want_first || (r.models && strcmp(r.models[0], want_first) == 0));
	if (good && want_detail)
		good = r.detail && strstr(r.detail, want_detail);
	/* Every message shows http_status beside these: the detail must not
	 * say it again ("HTTP 500: HTTP 500: ..."). */
	if (good && (want == PROBE_SERVER_ERROR || want == PROBE_INVALID_KEY))
		good = r.http_status > 0 && (!r.detail || !strstr(r.detail, "HTTP "));
	ok(good, "%s: %s (got %s, %zu models%s%s)", what, probe_outcome_text(want),
	   st == AIAUTH_OK ? probe_outcome_text(r.outcome) : (err ? err->message : "error"),
	   r.n_models, r.detail ? ", " : "", r.detail ? r.detail : "");
	if (good && r.detail)
		ok(!strchr(r.detail, '\n') && strlen(r.detail) <= 200 && (!key || !strstr(r.detail, key)),
		   "%s: the detail is one short line without the key", what);
	probe_result_clear(&r);
	error_clear(&err);
	secret_free(cred);
}

static void test_probes(void)
{
	char base[128], closed[128];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv_port[SRV_MAIN]);
	snprintf(closed, sizeof(closed), "http://127.0.0.1:%d", free_port());

	struct provider openai = make_provider("openai", base, "/v1/models", MODELS_AUTH_BEARER);
	struct provider anthropic =
		make_provider("anthropic", base, "/v1/models", MODELS_AUTH_X_API_KEY);
	struct provider gemini = make_provider("gemini", base, "/v1beta/models", MODELS_AUTH_GOOG);
	struct provider ollama = make_provider("ollama", base, "/api/tags", MODELS_AUTH_NONE);
	struct provider azure = make_provider("azure", NULL, "/openai/models", MODELS_AUTH_AZURE);
	azure.default_api_version = "2024-10-21";
	struct provider together = make_provider("together", NULL, "/v1/models", MODELS_AUTH_BEARER);
	char tbase[128];
	snprintf(tbase, sizeof(tbase), "http://127.0.0.1:%d/", srv_port[SRV_TOGETHER]);

	probe_case("openai", &openai, NULL, KEY, 0, PROBE_VALID, 3, "gpt-test-1", NULL);
	probe_case("anthropic x-api-key", &anthropic, NULL, KEY, 0, PROBE_VALID, 3, "claude-test-1",
	           NULL);
	probe_case("gemini", &gemini, NULL, KEY, 0, PROBE_VALID, 3, "gemini-test-1", NULL);
	probe_case("ollama", &ollama, NULL, NULL, 0, PROBE_VALID, 3, "llama-test-1:8b", NULL);
	probe_case("azure (api-version appended)", &azure, base, KEY, 0, PROBE_VALID, 3,
	           "gpt-azure-1", NULL);
	probe_case("together (trailing slash)", &together, tbase, KEY, 0, PROBE_VALID, 4,
	           "together-test-1", NULL);
	azure.default_api_version = NULL;
	probe_case("azure without api-version", &azure, base, KEY, 0, PROBE_SERVER_ERROR, 0, NULL,
	           "missing api-version");

	probe_case("openai wrong key", &openai, NULL, "sk-wrong-key-000", 0, PROBE_INVALID_KEY, 0,
	           NULL, "Incorrect API key provided.");
	probe_case("anthropic wrong key", &anthropic, NULL, "sk-ant-wrong-000", 0, PROBE_INVALID_KEY,
	           0, NULL, "invalid x-api-key");
	probe_case("gemini wrong key", &gemini, NULL, "AIza-wrong", 0, PROBE_INVALID_KEY, 0, NULL,
	           "API key not valid");
	probe_case("openai no key", &openai, NULL, NULL, 0, PROBE_INVALID_KEY, 0, NULL, NULL);

	char b[6][128];
	const enum srv srvs[] = {SRV_500, SRV_HTML, SRV_MALFORMED, SRV_EMPTY, SRV_HUGE, SRV_HANG};
	for (int i = 0; i < 6; i++)
		snprintf(b[i], sizeof(b[i]), "http://127.0.0.1:%d", srv_port[srvs[i]]);
	/* The status is in http_status; the detail is the server's words only. */
	probe_case("500", &openai, b[0], KEY, 0, PROBE_SERVER_ERROR, 0, NULL,
	           "The server had an error");
	probe_case("html page", &openai, b[1], KEY, 0, PROBE_BAD_RESPONSE, 0, NULL, "text/html");
	probe_case("malformed JSON", &openai, b[2], KEY, 0, PROBE_BAD_RESPONSE, 0, NULL, NULL);
	probe_case("empty body", &openai, b[3], KEY, 0, PROBE_BAD_RESPONSE, 0, NULL, NULL);
	probe_case("10 MB body", &openai, b[4], KEY, 0, PROBE_BAD_RESPONSE, 0, NULL, "larger");
	probe_case("hanging server, 1 s", &openai, b[5], KEY, 1000, PROBE_TIMEOUT, 0, NULL, NULL);
	probe_case("closed port", &openai, closed, KEY, 0, PROBE_UNREACHABLE, 0, NULL, NULL);
	char tls[128];
	snprintf(tls, sizeof(tls), "https://127.0.0.1:%d", srv_port[SRV_MAIN]);
	probe_case("https to a plain server", &openai, tls, KEY, 0, PROBE_TLS, 0, NULL, NULL);

	/* Untestable providers: answered without a request. */
	int before = log_lines();
	struct provider bedrock = make_provider("bedrock", base, "/v1/models", MODELS_AUTH_SIGV4);
	struct provider nopath = make_provider("custom", base, NULL, MODELS_AUTH_BEARER);
	probe_case("sigv4", &bedrock, NULL, KEY, 0, PROBE_UNSUPPORTED, 0, NULL, NULL);
	probe_case("no models_path", &nopath, NULL, KEY, 0, PROBE_UNSUPPORTED, 0, NULL, NULL);
	ok(before > 0 && log_lines() == before, "no request for untestable providers (%d requests)",
	   log_lines());

	/* A remote plain-http base URL is refused before anything is sent. */
	struct secret *cred = secret_from_str(KEY);
	struct probe_target t = {.provider = &openai, .base_url = "http://api.example.com", .credential = cred};
	struct probe_result r;
	struct aiauth_error *err = NULL;
	ok(probe_run(&t, &r, &err) == AIAUTH_USAGE && err, "probe refuses a plain-http remote URL");
	probe_result_clear(&r);
	error_clear(&err);
	secret_free(cred);
}

static void test_detect(void)
{
	struct provider a = make_provider("local-open", "http://127.0.0.1:1/v1", "/models",
	                                  MODELS_AUTH_NONE);
	struct provider b = make_provider("local-closed", "http://localhost:11434", "/api/tags",
	                                  MODELS_AUTH_NONE);
	struct provider c = make_provider("local-hang", "http://[::1]:8080/v1", "/models",
	                                  MODELS_AUTH_NONE);
	a.group = b.group = c.group = PROVIDER_GROUP_LOCAL;
	const struct provider *list[] = {&a, &b, &c};
	struct detect_port ports[] = {
		{"local-open", srv_port[SRV_OPEN]},
		{"local-closed", free_port()},
		{"local-hang", srv_port[SRV_HANG]},
	};
	/* [::1] is no use to a server bound to 127.0.0.1: give the hang
	 * provider a 127.0.0.1 URL so it really hangs. */
	c.base_url = "http://127.0.0.1:8080/v1";
	struct detect_result *res = NULL;
	size_t n = 0;
	struct aiauth_error *err = NULL;
	int64_t t0 = loop_now_ms();
	enum aiauth_status st = detect_providers(list, 3, ports, 3, 1000, &res, &n, &err);
	int64_t elapsed = loop_now_ms() - t0;
	ok(st == AIAUTH_OK && n == 3, "detect_providers: one result per provider");
	if (st == AIAUTH_OK && n == 3) {
		char want[64];
		snprintf(want, sizeof(want), "http://127.0.0.1:%d/v1", srv_port[SRV_OPEN]);
		ok(res[0].provider == &a && res[1].provider == &b && res[2].provider == &c,
		   "results in the order given");
		ok(res[0].found && res[0].n_models == 2, "live server found with its 2 models");
		ok(res[0].base_url && strcmp(res[0].base_url, want) == 0,
		   "port override rewrites the base URL (%s)", res[0].base_url ? res[0].base_url : "NULL");
		ok(!res[1].found, "free port: not found");
		snprintf(want, sizeof(want), "http://localhost:%d", ports[1].port);
		ok(res[1].base_url && strcmp(res[1].base_url, want) == 0,
		   "port added where the URL had the default (%s)", res[1].base_url ? res[1].base_url : "NULL");
		ok(!res[2].found, "hanging server: not found within the timeout");
	}
	ok(elapsed < 2500, "probed concurrently: %lld ms for a 1000 ms timeout", (long long)elapsed);
	detect_results_free(res, n);
	error_clear(&err);

	/* Port override with an IPv6 host and a userinfo-free path-less URL. */
	struct provider d = make_provider("v6", "http://[::1]:8000", "/v1/models", MODELS_AUTH_NONE);
	const struct provider *one[] = {&d};
	struct detect_port p6 = {"v6", free_port()};
	res = NULL;
	st = detect_providers(one, 1, &p6, 1, 500, &res, &n, NULL);
	char want6[64];
	snprintf(want6, sizeof(want6), "http://[::1]:%d", p6.port);
	ok(st == AIAUTH_OK && n == 1 && !res[0].found && strcmp(res[0].base_url, want6) == 0,
	   "IPv6 base URL port override (%s)", st == AIAUTH_OK && n ? res[0].base_url : "error");
	detect_results_free(res, n);
}

/* ------------------------------------------------------------ parsing */

static void parse_case(const char *what, const char *body, enum aiauth_status want, size_t want_n,
                       const char *first, const char *last)
{
	char **ids = NULL;
	size_t n = 99;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = probe_parse_models(body, strlen(body), &ids, &n, &err);
	bool good = st == want;
	if (good && want == AIAUTH_OK)
		good = n == want_n && (!first || strcmp(ids[0], first) == 0) &&
		       (!last || strcmp(ids[n - 1], last) == 0);
	if (good && want != AIAUTH_OK)
		good = ids == NULL && n == 0 && err && err->message[0];
	ok(good, "parse %s", what);
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	error_clear(&err);
}

static void test_parse(void)
{
	parse_case("OpenAI data[].id",
	           "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\"},{\"id\":\"o3\"}]}", AIAUTH_OK, 2,
	           "gpt-4o", "o3");
	parse_case("Anthropic data[].id",
	           "{\"data\":[{\"type\":\"model\",\"id\":\"claude-opus-4-1\"}],\"has_more\":false}",
	           AIAUTH_OK, 1, "claude-opus-4-1", NULL);
	parse_case("Gemini models[].name without models/",
	           "{\"models\":[{\"name\":\"models/gemini-2.5-pro\"},{\"name\":\"models/gemini-2.5-flash\"}]}",
	           AIAUTH_OK, 2, "gemini-2.5-pro", "gemini-2.5-flash");
	parse_case("Ollama models[].name", "{\"models\":[{\"name\":\"llama3:8b\",\"model\":\"x\"}]}",
	           AIAUTH_OK, 1, "llama3:8b", NULL);
	parse_case("models[].model", "{\"models\":[{\"model\":\"qwen3\"}]}", AIAUTH_OK, 1, "qwen3",
	           NULL);
	parse_case("models[].id", "{\"models\":[{\"id\":\"m1\"},{\"id\":\"m2\"}]}", AIAUTH_OK, 2, "m1",
	           "m2");
	parse_case("Together bare array", "[{\"id\":\"meta-llama/Llama-3\"},{\"id\":\"b\"}]",
	           AIAUTH_OK, 2, "meta-llama/Llama-3", "b");
	parse_case("empty data list", "{\"data\":[]}", AIAUTH_OK, 0, NULL, NULL);
	parse_case("odd entries skipped", "{\"data\":[{\"id\":\"a\"},7,{\"x\":1},{\"id\":\"b\"}]}",
	           AIAUTH_OK, 2, "a", "b");
	parse_case("garbage", "not json at all", AIAUTH_CORRUPT, 0, NULL, NULL);
	parse_case("empty text", "", AIAUTH_CORRUPT, 0, NULL, NULL);
	parse_case("truncated", "{\"data\":[", AIAUTH_CORRUPT, 0, NULL, NULL);
	parse_case("object of another shape", "{\"error\":{\"message\":\"no\"}}", AIAUTH_CORRUPT, 0,
	           NULL, NULL);
	parse_case("data not an array", "{\"data\":{\"id\":\"x\"}}", AIAUTH_CORRUPT, 0, NULL, NULL);
	parse_case("array without ids", "[1,2,3]", AIAUTH_CORRUPT, 0, NULL, NULL);
	parse_case("a bare string", "\"gpt-4o\"", AIAUTH_CORRUPT, 0, NULL, NULL);
}

static void test_outcome_text(void)
{
	static const char *const want[] = {"valid",        "invalid key",      "unreachable",
	                                   "TLS error",    "timed out",        "server error",
	                                   "not a model list", "cannot be tested"};
	bool good = true;
	for (int o = PROBE_VALID; o <= PROBE_UNSUPPORTED; o++)
		good = good && strcmp(probe_outcome_text((enum probe_outcome)o), want[o]) == 0;
	ok(good, "probe_outcome_text names every outcome");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (http_global_init(NULL) != AIAUTH_OK) {
		ok(0, "http_global_init");
		return done_testing();
	}
	struct loop *loop = NULL;
	ok(loop_new(&loop, NULL) == AIAUTH_OK && loop, "loop_new");
	if (!loop)
		return done_testing();

	test_timers(loop);
	test_fd_watch(loop);
	test_url_rules(loop);
	test_parse();
	test_outcome_text();

	const char *node = getenv("NODE");
	if (node && *node && strcmp(node, "no") != 0)
		have_servers = ok(start_servers(), "the models servers started");
	if (have_servers) {
		test_http_network(loop);
		test_probes();
		test_detect();
	} else {
		skip("node or the models server is not available", "network tests");
	}
	loop_free(loop);
	stop_servers();
	http_global_cleanup();
	return done_testing();
}
