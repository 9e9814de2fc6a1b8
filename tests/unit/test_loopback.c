/* test_loopback.c - the redirect listener, driven by real sockets.
 *
 * The listener runs on the loop in this process; each client is a child
 * process with plain blocking sockets, so the loop keeps turning while a
 * client is slow.  A child appends every response it gets to a file; the
 * assertions are made here, after it exits. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "loop.h"
#include "loopback.h"
#include "tap.h"

#define STATE "c3RhdGUtb2YtdGhpcy1zaWduLWlu"

static bool contains(const char *s, const char *sub)
{
	return s && sub && strstr(s, sub) != NULL;
}

struct outcome {
	bool done;
	int calls;
	enum aiauth_status status;
	char *code;
	char *message;
	int64_t at; /* loop_now_ms() when done */
	struct loopback **free_me; /* free the listener from the callback */
};

static void on_done(void *ctx, struct loopback_result *r)
{
	struct outcome *o = ctx;
	o->done = true;
	o->calls++;
	o->status = r->status;
	o->code = r->code ? strdup((char *)r->code->buf) : NULL;
	o->message = r->error ? strdup(r->error->message) : NULL;
	o->at = loop_now_ms();
	if (o->free_me) {
		loopback_free(*o->free_me);
		*o->free_me = NULL;
	}
}

static void outcome_clear(struct outcome *o)
{
	free(o->code);
	free(o->message);
	memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------------ clients */

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send `req` (with `gap_ms` between bytes when > 0), read the response to
 * EOF and append it to `log` after a "=== " line. */
static void request(int port, const char *req, int gap_ms, const char *log)
{
	FILE *f = fopen(log, "a");
	int fd = connect_to(port);
	if (fd < 0) {
		if (f) {
			fprintf(f, "=== REFUSED\n");
			fclose(f);
		}
		return;
	}
	size_t n = strlen(req);
	if (gap_ms > 0) {
		for (size_t i = 0; i < n; i++) {
			if (write(fd, req + i, 1) != 1)
				break;
			usleep((useconds_t)gap_ms * 1000);
		}
	} else if (write(fd, req, n) != (ssize_t)n) {
		/* the response (or its absence) tells */
	}
	char buf[4096];
	ssize_t r;
	if (f)
		fprintf(f, "=== \n");
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (f)
			fwrite(buf, 1, (size_t)r, f);
	if (f) {
		fprintf(f, "\n");
		fclose(f);
	}
	close(fd);
}

/* Send `len` bytes as they are, half-close when asked, and log the
 * response as request() does. */
static void request_raw(int port, const char *data, size_t len, bool half_close, const char *log)
{
	FILE *f = fopen(log, "a");
	int fd = connect_to(port);
	if (fd < 0) {
		if (f) {
			fprintf(f, "=== REFUSED\n");
			fclose(f);
		}
		return;
	}
	if (write(fd, data, len) != (ssize_t)len) {
		/* the response (or its absence) tells */
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	char buf[4096];
	ssize_t r;
	if (f)
		fprintf(f, "=== \n");
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (f)
			fwrite(buf, 1, (size_t)r, f);
	if (f) {
		fprintf(f, "\n");
		fclose(f);
	}
	close(fd);
}

static void get(int port, const char *target, const char *log)
{
	char req[9000];
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: t\r\n\r\n",
	         target);
	request(port, req, 0, log);
}

typedef void (*client_fn)(int port, const char *log);

static pid_t spawn(client_fn fn, int port, const char *log)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(30);
		fn(port, log);
		_exit(0);
	}
	return pid;
}

/* Turn the loop until the child has exited and, when `until_done`, the
 * flow ended; at most `limit_ms`.  True when both happened. */
static bool run(struct loop *loop, pid_t child, const struct outcome *o, bool until_done,
                int limit_ms)
{
	int64_t end = loop_now_ms() + limit_ms;
	bool exited = child <= 0;
	while (loop_now_ms() < end) {
		if (!exited && waitpid(child, NULL, WNOHANG) == child)
			exited = true;
		if (exited && (!until_done || o->done))
			return true;
		loop_run_once(loop, 20, NULL);
	}
	if (!exited) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return false;
}

static char *slurp(const char *path)
{
	char *t = NULL;
	size_t n;
	if (fs_read_all(path, 1 << 20, &t, &n, NULL) != AIAUTH_OK)
		return strdup("");
	return t;
}

static char log_path[600];
static int log_seq;

static const char *new_log(void)
{
	snprintf(log_path, sizeof(log_path), "%s/client-%d.log", tap_tmpdir(), ++log_seq);
	return log_path;
}

static struct loopback *start(struct loop *loop, struct outcome *o, int port, int64_t timeout_ms,
                              int64_t conn_timeout_ms, struct aiauth_error **err)
{
	struct secret *state = secret_from_str(STATE);
	struct loopback_options lo = {.port = port, .path = "/auth/callback", .state = state,
	                              .timeout_ms = timeout_ms, .conn_timeout_ms = conn_timeout_ms};
	struct loopback *lb = NULL;
	loopback_start(loop, &lo, on_done, o, &lb, err);
	secret_free(state);
	return lb;
}

/* ------------------------------------------------------------ tests */

static void client_wrong_then_stray(int port, const char *log)
{
	get(port, "/auth/callback?code=stolen&state=not-ours", log);
	get(port, "/auth/callback?code=stolen", log);
	get(port, "/favicon.ico", log);
	get(port, "/auth/callback/x?code=a&state=" STATE, log);
	request(port, "POST /auth/callback?code=a&state=" STATE " HTTP/1.1\r\n\r\n", 0, log);
}

static void client_right(int port, const char *log)
{
	get(port, "/auth/callback?code=the%2Dcode&state=" STATE "&iss=https%3A%2F%2Fi.example",
	    log);
}

static void client_after(int port, const char *log)
{
	get(port, "/auth/callback?code=again&state=" STATE, log);
}

static void test_flow(void)
{
	struct loop *loop = NULL;
	struct aiauth_error *err = NULL;
	struct outcome o = {0};
	loop_new(&loop, &err);
	struct loopback *lb = start(loop, &o, 0, 20000, 5000, &err);
	ok(lb != NULL, "a listener starts on an ephemeral port (%s)", err ? err->message : "");
	if (!lb) {
		loop_free(loop);
		error_clear(&err);
		return;
	}
	int port = loopback_port(lb);
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	ok(getsockname(loopback_fd(lb), (struct sockaddr *)&sa, &sl) == 0 &&
	   sa.sin_family == AF_INET && ntohl(sa.sin_addr.s_addr) == INADDR_LOOPBACK &&
	   ntohs(sa.sin_port) == port && port > 0,
	   "it is bound to 127.0.0.1 only, on port %d", port);
	char want_uri[64];
	snprintf(want_uri, sizeof(want_uri), "http://127.0.0.1:%d/auth/callback", port);
	ok(strcmp(loopback_redirect_uri(lb), want_uri) == 0, "its redirect_uri is %s", want_uri);

	const char *log = new_log();
	bool ran = run(loop, spawn(client_wrong_then_stray, port, log), &o, false, 10000);
	char *text = slurp(log);
	ok(ran, "the refused requests were all answered");
	char *first = strstr(text, "=== ");
	char *second = first ? strstr(first + 4, "=== ") : NULL;
	char *third = second ? strstr(second + 4, "=== ") : NULL;
	char *fourth = third ? strstr(third + 4, "=== ") : NULL;
	char *fifth = fourth ? strstr(fourth + 4, "=== ") : NULL;
	if (second)
		second[-1] = '\0';
	if (third)
		third[-1] = '\0';
	if (fourth)
		fourth[-1] = '\0';
	if (fifth)
		fifth[-1] = '\0';
	ok(contains(first, "HTTP/1.1 400 ") && contains(first, "not for this session"),
	   "a wrong state gets 400 'not for this session'");
	ok(contains(second, "HTTP/1.1 400 ") && contains(second, "not for this session"),
	   "a missing state gets 400 too");
	ok(contains(third, "HTTP/1.1 404 "), "another path gets 404");
	ok(contains(fourth, "HTTP/1.1 404 "), "a longer path gets 404");
	ok(contains(fifth, "HTTP/1.1 405 "), "another method gets 405");
	ok(!contains(text, "stolen"), "no response echoes the request");
	ok(!o.done, "none of them ends the flow");
	free(text);

	log = new_log();
	ran = run(loop, spawn(client_right, port, log), &o, true, 10000);
	text = slurp(log);
	ok(ran && o.done && o.calls == 1 && o.status == AIAUTH_OK && o.code &&
	   strcmp(o.code, "the-code") == 0,
	   "the right state ends the flow with the code (status %d)", o.status);
	ok(contains(text, "HTTP/1.1 200 ") && contains(text, "Signed in. You can close this tab.") &&
	   contains(text, "Connection: close"),
	   "the browser is told it can close the tab");
	free(text);
	ok(loopback_fd(lb) < 0, "the listener is closed once the flow ended");

	log = new_log();
	run(loop, spawn(client_after, port, log), &o, false, 5000);
	text = slurp(log);
	ok(contains(text, "=== REFUSED"), "a later request finds nothing listening");
	ok(o.calls == 1, "done was called once");
	free(text);

	loopback_free(lb);
	outcome_clear(&o);
	loop_free(loop);
	error_clear(&err);
}

/* Connected before the browser, speaks after it: a second redirect. */
static void client_second(int port, const char *log)
{
	int early = connect_to(port);
	usleep(100 * 1000);
	client_right(port, log);
	static const char again[] = "GET /auth/callback?code=second&state=" STATE " HTTP/1.1\r\n\r\n";
	FILE *f = fopen(log, "a");
	ssize_t w = early >= 0 ? write(early, again, sizeof(again) - 1) : -1;
	char buf[512];
	ssize_t r = early >= 0 ? read(early, buf, sizeof(buf) - 1) : -1;
	if (f) {
		fprintf(f, "=== early write %s read %s\n", w > 0 ? "sent" : "failed",
		        r > 0 ? "answered" : "nothing");
		fclose(f);
	}
	if (early >= 0)
		close(early);
}

static void test_second_request(void)
{
	struct loop *loop = NULL;
	struct aiauth_error *err = NULL;
	struct outcome o = {0};
	loop_new(&loop, &err);
	struct loopback *lb = start(loop, &o, 0, 20000, 5000, &err);
	if (!lb) {
		ok(0, "a listener starts");
		loop_free(loop);
		return;
	}
	int port = loopback_port(lb);
	const char *log = new_log();
	bool ran = run(loop, spawn(client_second, port, log), &o, true, 10000);
	/* Let the loop see whatever the second request stirs up. */
	for (int i = 0; i < 10; i++)
		loop_run_once(loop, 20, NULL);
	char *text = slurp(log);
	ok(ran && o.status == AIAUTH_OK && contains(text, "HTTP/1.1 200 "),
	   "the browser's redirect ends the flow");
	ok(contains(text, "read nothing") && !contains(text, "second"),
	   "a second redirect on a connection opened before it gets no answer");
	ok(o.calls == 1 && o.code && strcmp(o.code, "the-code") == 0,
	   "and the first result stands (done called %d times)", o.calls);
	free(text);
	loopback_free(lb);
	outcome_clear(&o);
	loop_free(loop);
	error_clear(&err);
}

/* Bytes that are not HTTP: each gets a 400 at once. */
static void client_garbage(int port, const char *log)
{
#define RAW(literal) literal, sizeof(literal) - 1
	/* The start of a TLS ClientHello: a browser sent to https:// here. */
	request_raw(port, RAW("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), false, log);
	request_raw(port, RAW("\x00\xff\xfe\r\n\r\n"), false, log);
	request_raw(port, RAW("hello there"), true, log);
	request_raw(port, RAW("NOT-HTTP\r\n\r\n"), false, log);
	request_raw(port, RAW("GET /auth/callback?code=\x01\x02 HTTP/1.1"), false, log);
#undef RAW
}

static void test_garbage(void)
{
	struct loop *loop = NULL;
	struct aiauth_error *err = NULL;
	struct outcome o = {0};
	loop_new(&loop, &err);
	/* Connections may idle for 15 s: an answer sooner is the refusal. */
	struct loopback *lb = start(loop, &o, 0, 30000, 15000, &err);
	if (!lb) {
		ok(0, "a listener starts");
		loop_free(loop);
		return;
	}
	int port = loopback_port(lb);
	const char *log = new_log();
	int64_t t0 = loop_now_ms();
	bool ran = run(loop, spawn(client_garbage, port, log), &o, false, 8000);
	int64_t took = loop_now_ms() - t0;
	char *text = slurp(log);
	int n400 = 0;
	for (const char *p = text; (p = strstr(p, "HTTP/1.1 400 ")) != NULL; p++)
		n400++;
	ok(ran && took < 5000, "five garbage requests are answered at once (%lld ms)",
	   (long long)took);
	ok(n400 == 5, "each with 400 (%d of 5): a TLS hello, binary, text then EOF, no method, "
	   "control bytes", n400);
	if (n400 != 5)
		for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
			if (strncmp(l, "===", 3) == 0 || strncmp(l, "HTTP/", 5) == 0)
				diag("%s", l);
	ok(!o.done, "none of them ends the flow");
	free(text);

	log = new_log();
	ran = run(loop, spawn(client_right, port, log), &o, true, 8000);
	ok(ran && o.status == AIAUTH_OK && o.code && strcmp(o.code, "the-code") == 0,
	   "the listener still takes the real redirect");
	loopback_free(lb);
	outcome_clear(&o);
	loop_free(loop);
	error_clear(&err);
}

static void client_denied(int port, const char *log)
{
	get(port, "/auth/callback?error=access_denied&error_description=The+user+said+no&state=" STATE,
	    log);
}

static void client_denied_foreign(int port, const char *log)
{
	get(port, "/auth/callback?error=access_denied&state=someone-else", log);
}

static void test_denied(void)
{
	struct loop *loop = NULL;
	struct aiauth_error *err = NULL;
	struct outcome o = {0};
	loop_new(&loop, &err);
	struct loopback *lb = start(loop, &o, 0, 20000, 5000, &err);
	if (!lb) {
		ok(0, "a listener starts");
		loop_free(loop);
		return;
	}
	int port = loopback_port(lb);
	const char *log = new_log();
	run(loop, spawn(client_denied_foreign, port, log), &o, false, 5000);
	char *text = slurp(log);
	ok(contains(text, "HTTP/1.1 400 ") && !o.done,
	   "an error for another session is refused and does not end the flow");
	free(text);
	/* This time the callback frees the listener itself. */
	o.free_me = &lb;
	log = new_log();
	bool ran = run(loop, spawn(client_denied, port, log), &o, true, 10000);
	text = slurp(log);
	ok(ran && o.status == AIAUTH_DENIED && contains(o.message, "The user said no"),
	   "error=access_denied ends with DENIED and the description (got %d, '%s')", o.status,
	   o.message ? o.message : "");
	ok(contains(text, "HTTP/1.1 200 ") && contains(text, "close this tab"),
	   "the browser gets a short page");
	ok(lb == NULL, "the listener could be freed from its own callback");
	free(text);
	loopback_free(lb);
	outcome_clear(&o);
	loop_free(loop);
	error_clear(&err);
}

static void client_slow(int port, const char *log)
{
	/* One byte a second: about twenty seconds for the whole request. */
	request(port, "GET /auth/callback?state=" STATE " HTTP/1.1\r\n\r\n", 1000, log);
}

static void client_silent(int port, const char *log)
{
	/* Connects and says nothing; notes when the server gave up on it. */
	int fd = connect_to(port);
	char c;
	FILE *f = fopen(log, "a");
	ssize_t r = fd >= 0 ? read(fd, &c, 1) : -1;
	if (f) {
		fprintf(f, "=== silent read %zd\n", r);
		fclose(f);
	}
	if (fd >= 0)
		close(fd);
}

static void client_crowd(int port, const char *log)
{
	/* More idle connections than the listener keeps, then the browser. */
	int fds[LOOPBACK_MAX_CONNECTIONS + 4];
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fds[i] = connect_to(port);
	usleep(200 * 1000);
	client_right(port, log);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void test_slow_clients(void)
{
	struct loop *loop = NULL;
	struct aiauth_error *err = NULL;
	struct outcome o = {0};
	loop_new(&loop, &err);
	struct loopback *lb = start(loop, &o, 0, 20000, 15000, &err);
	if (!lb) {
		ok(0, "a listener starts");
		loop_free(loop);
		return;
	}
	int port = loopback_port(lb);
	pid_t slow = spawn(client_slow, port, new_log());
	usleep(300 * 1000);
	const char *log = new_log();
	int64_t t0 = loop_now_ms();
	bool ran = run(loop, spawn(client_right, port, log), &o, true, 8000);
	int64_t took = o.at - t0;
	ok(ran && o.status == AIAUTH_OK && o.code && strcmp(o.code, "the-code") == 0,
	   "a client sending a byte a second does not hold up the real redirect");
	ok(took < 3000, "which completes in %lld ms", (long long)took);
	kill(slow, SIGKILL);
	waitpid(slow, NULL, 0);
	loopback_free(lb);
	outcome_clear(&o);

	/* A silent connection is dropped at its deadline; the listener goes on. */
	lb = start(loop, &o, 0, 20000, 300, &err);
	port = loopback_port(lb);
	log = new_log();
	t0 = loop_now_ms();
	run(loop, spawn(client_silent, port, log), &o, false, 5000);
	int64_t silent_ms = loop_now_ms() - t0;
	char *text = slurp(log);
	ok(contains(text, "silent read 0") && silent_ms < 3000 && !o.done,
	   "a silent connection is closed after its deadline (%lld ms) and the flow goes on",
	   (long long)silent_ms);
	free(text);

	/* A crowd of idle connections does not keep the browser out. */
	log = new_log();
	ran = run(loop, spawn(client_crowd, port, log), &o, true, 8000);
	text = slurp(log);
	ok(ran && o.status == AIAUTH_OK && contains(text, "HTTP/1.1 200 "),
	   "the browser gets through %d idle connections", LOOPBACK_MAX_CONNECTIONS + 4);
	free(text);
	loopback_free(lb);
	outcome_clear(&o);
	loop_free(loop);
	error_clear(&err);
}

static void client_big(int port, const char *log)
{
	char target[LOOPBACK_MAX_HEAD + 200];
	memset(target, 'a', sizeof(target) - 1);
	memcpy(target, "/auth/callback?x=", 17);
	target[sizeof(target) - 1] = '\0';
	get(port, target, log);
}

static void test_limits(void)
{
	struct loop *loop = NULL;
	struct aiauth_error *err = NULL;
	struct outcome o = {0};
	loop_new(&loop, &err);
	struct loopback *lb = start(loop, &o, 0, 1500, 0, &err);
	if (!lb) {
		ok(0, "a listener starts");
		loop_free(loop);
		return;
	}
	int port = loopback_port(lb);

	/* A fixed port already taken: the error names it. */
	struct outcome o2 = {0};
	struct loopback *lb2 = start(loop, &o2, port, 1000, 0, &err);
	char want[32];
	snprintf(want, sizeof(want), "port %d", port);
	ok(!lb2 && err && err->status == AIAUTH_FAILED && contains(err->message, want),
	   "a busy fixed port is an error naming it ('%s')", err ? err->message : "");
	error_clear(&err);

	const char *log = new_log();
	run(loop, spawn(client_big, port, log), &o, false, 5000);
	char *text = slurp(log);
	ok(contains(text, "HTTP/1.1 431 "), "a head over %d bytes gets 431", LOOPBACK_MAX_HEAD);
	free(text);

	/* Nobody comes: the overall timeout ends the flow. */
	int64_t t0 = loop_now_ms();
	bool ran = run(loop, 0, &o, true, 5000);
	ok(ran && o.status == AIAUTH_TIMEOUT && contains(o.message, "in time"),
	   "the overall timeout ends the flow with TIMEOUT");
	ok(o.at - t0 < 4000, "on time (%lld ms)", (long long)(o.at - t0));
	ok(loopback_fd(lb) < 0, "and closes the listener");
	loopback_free(lb);
	outcome_clear(&o);

	/* With the first one gone, the fixed port is free again, even though
	 * its connections may sit in TIME_WAIT. */
	lb2 = start(loop, &o2, port, 1000, 0, &err);
	ok(lb2 && loopback_port(lb2) == port, "the fixed port %d can be taken again", port);
	loopback_free(lb2);
	loop_free(loop);
	error_clear(&err);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_flow();
	test_second_request();
	test_garbage();
	test_denied();
	test_slow_clients();
	test_limits();
	return done_testing();
}
