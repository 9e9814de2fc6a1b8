/* test_doctor.c - the doctor's checks on fabricated facts: file modes and
 * owners, token expiry and sign-in state, the session bus, the keyring
 * reasons, the terminal, the browser, HTTP dates. */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"
#include "fsutil.h"
#include "http.h"
#include "tap.h"

/* How many findings with this id and severity; `needle` (optional) must
 * occur in the summary or the fix. */
static int count(const struct doctor_report *r, const char *id, enum doctor_severity sev,
                 const char *needle)
{
	int n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_finding *f = &r->items[i];
		if (strcmp(f->id, id) == 0 && f->severity == sev &&
		    (!needle || strstr(f->summary, needle) || strstr(f->fix, needle)))
			n++;
	}
	return n;
}

static void dump(const struct doctor_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		diag("%s %s: %s | %s", doctor_severity_name(r->items[i].severity), r->items[i].id,
		     r->items[i].summary, r->items[i].fix);
}

static void touch(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "{}", 2) != 2 || close(fd) != 0 || chmod(path, mode) != 0) {
		perror(path);
		exit(99);
	}
}

static void test_files(void)
{
	const char *tmp = tap_tmpdir();
	char *cfg = path_join(tmp, "config"), *data = path_join(tmp, "data");
	char *accounts = path_join(cfg, "accounts.json"), *pending = path_join(cfg, "pending-login.json");
	char *vault = path_join(data, "vault.bin"), *locks = path_join(cfg, "locks");
	if (mkdir(cfg, 0700) != 0 || mkdir(data, 0700) != 0 || mkdir(locks, 0700) != 0)
		exit(99);
	touch(accounts, 0600);
	touch(pending, 0600);
	touch(vault, 0600);
	uid_t me = getuid();
	struct doctor_report r = DOCTOR_REPORT_INIT;

	ok(doctor_check_files(&r, cfg, data, me) == AIAUTH_OK, "files: the check runs");
	ok(r.n == 1 && count(&r, "permissions", DOCTOR_OK, NULL) == 1,
	   "files: private files give one ok finding");
	doctor_report_clear(&r);

	chmod(accounts, 0644);
	doctor_check_files(&r, cfg, data, me);
	ok(count(&r, "permissions", DOCTOR_WARN, "accounts.json has mode 0644") == 1,
	   "files: accounts.json readable by others is a warning naming the mode");
	ok(count(&r, "permissions", DOCTOR_WARN, "chmod 600 ") == 1,
	   "files: its fix is chmod 600");
	ok(count(&r, "permissions", DOCTOR_OK, NULL) == 0, "files: no ok finding then");
	ok(doctor_worst(&r) == DOCTOR_WARN, "files: readable is not an error");
	doctor_report_clear(&r);

	chmod(accounts, 0600);
	chmod(vault, 0666);
	doctor_check_files(&r, cfg, data, me);
	ok(count(&r, "permissions", DOCTOR_ERROR, "vault.bin has mode 0666") == 1,
	   "files: a vault others can write is an error");
	ok(count(&r, "permissions", DOCTOR_WARN, "accounts.json") == 0,
	   "files: accounts.json fixed is no longer flagged");
	doctor_report_clear(&r);
	chmod(vault, 0600);

	chmod(pending, 0640);
	chmod(cfg, 0755);
	doctor_check_files(&r, cfg, data, me);
	ok(count(&r, "permissions", DOCTOR_WARN, "pending-login.json has mode 0640") == 1,
	   "files: pending-login.json is checked");
	ok(count(&r, "permissions", DOCTOR_WARN, "chmod 700 ") == 1,
	   "files: a config directory of 0755 is flagged with chmod 700");
	doctor_report_clear(&r);
	chmod(pending, 0600);
	chmod(cfg, 0700);

	/* Another owner: pretend to be someone else rather than chown. */
	doctor_check_files(&r, cfg, data, me + 1);
	ok(count(&r, "permissions", DOCTOR_ERROR, "belongs to user") >= 4,
	   "files: files owned by another user are errors");
	ok(count(&r, "permissions", DOCTOR_ERROR, "chown") >= 4, "files: the fix is chown");
	doctor_report_clear(&r);

	char *link = path_join(cfg, "accounts.json");
	unlink(link);
	if (symlink(vault, link) != 0)
		exit(99);
	doctor_check_files(&r, cfg, data, me);
	ok(count(&r, "permissions", DOCTOR_WARN, "symbolic link") == 1,
	   "files: a symbolic link is reported, not followed");
	doctor_report_clear(&r);
	unlink(link);

	char *missing = path_join(tmp, "nothing-here");
	doctor_check_files(&r, missing, missing, me);
	ok(r.n == 1 && count(&r, "permissions", DOCTOR_OK, NULL) == 1,
	   "files: nothing existing yet is fine");
	doctor_report_clear(&r);

	free(missing);
	free(link);
	free(cfg);
	free(data);
	free(accounts);
	free(pending);
	free(vault);
	free(locks);
}

static struct store *store_with(const char *json)
{
	struct store *s = NULL;
	struct aiauth_error *err = NULL;
	if (store_parse(json, strlen(json), &s, &err) != AIAUTH_OK) {
		fprintf(stderr, "store_parse: %s\n", err ? err->message : "?");
		exit(99);
	}
	return s;
}

static void test_tokens(void)
{
	const int64_t now = 1700000000;
	char json[4096];
	snprintf(json, sizeof(json),
	         "{\"version\":1,\"accounts\":["
	         "{\"id\":\"00000000000000000000000000000001\",\"provider\":\"claude\","
	         "\"label\":\"soon\",\"kind\":\"oauth\",\"method\":\"browser\",\"created\":1,"
	         "\"expires_at\":%lld,\"status\":\"ok\"},"
	         "{\"id\":\"00000000000000000000000000000002\",\"provider\":\"copilot\","
	         "\"label\":\"fresh\",\"kind\":\"oauth\",\"method\":\"device\",\"created\":1,"
	         "\"expires_at\":%lld,\"status\":\"ok\"},"
	         "{\"id\":\"00000000000000000000000000000003\",\"provider\":\"google\","
	         "\"label\":\"gone\",\"kind\":\"oauth\",\"method\":\"browser\",\"created\":1,"
	         "\"expires_at\":%lld,\"status\":\"needs_signin\"},"
	         "{\"id\":\"00000000000000000000000000000004\",\"provider\":\"chatgpt\","
	         "\"label\":\"flaky\",\"kind\":\"oauth\",\"method\":\"browser\",\"created\":1,"
	         "\"expires_at\":%lld,\"status\":\"refresh_failed\","
	         "\"last_refresh\":%lld,\"last_refresh_outcome\":\"the server did not answer\"},"
	         "{\"id\":\"00000000000000000000000000000005\",\"provider\":\"kimi\","
	         "\"label\":\"old\",\"kind\":\"oauth\",\"method\":\"device\",\"created\":1,"
	         "\"expires_at\":%lld,\"status\":\"ok\"},"
	         "{\"id\":\"00000000000000000000000000000006\",\"provider\":\"openai\","
	         "\"label\":\"key\",\"kind\":\"api_key\",\"method\":\"api_key\",\"created\":1,"
	         "\"status\":\"ok\"}]}",
	         (long long)(now + 120), (long long)(now + 3600), (long long)(now + 3600),
	         (long long)(now + 3600), (long long)now - 10, (long long)(now - 60));
	struct store *s = store_with(json);
	struct doctor_report r = DOCTOR_REPORT_INIT;
	ok(doctor_check_tokens(&r, s, now) == AIAUTH_OK, "tokens: the check runs");
	dump(&r);
	ok(count(&r, "token-expiry", DOCTOR_WARN, "\"soon\" expires in 120 s") == 1,
	   "tokens: a token expiring within 5 minutes is a warning with the time left");
	ok(count(&r, "token-expiry", DOCTOR_WARN, "aiauth refresh claude") == 1,
	   "tokens: its fix is aiauth refresh PROVIDER");
	ok(count(&r, "token-expiry", DOCTOR_WARN, "\"old\" has expired") == 1,
	   "tokens: an expired token is a warning");
	ok(count(&r, "token-expiry", DOCTOR_WARN, "\"fresh\"") == 0,
	   "tokens: a token valid for an hour is not flagged");
	ok(count(&r, "sign-in", DOCTOR_ERROR, "\"gone\" needs to sign in again") == 1,
	   "tokens: needs sign-in is an error");
	ok(count(&r, "sign-in", DOCTOR_ERROR, "aiauth login google") == 1,
	   "tokens: its fix is aiauth login PROVIDER");
	ok(count(&r, "refresh", DOCTOR_WARN, "the server did not answer") == 1,
	   "tokens: a failed refresh is a warning with its recorded outcome");
	ok(count(&r, "tokens", DOCTOR_OK, NULL) == 0, "tokens: no all-fine finding then");
	ok(r.n == 4, "tokens: API-key accounts are not looked at (%zu findings)", r.n);
	doctor_report_clear(&r);
	store_free(s);

	/* The 5-minute edge: 300 s left is fine, 299 s is not. */
	snprintf(json, sizeof(json),
	         "{\"version\":1,\"accounts\":["
	         "{\"id\":\"00000000000000000000000000000001\",\"provider\":\"claude\","
	         "\"label\":\"edge\",\"kind\":\"oauth\",\"method\":\"browser\",\"created\":1,"
	         "\"expires_at\":%lld,\"status\":\"ok\"}]}",
	         (long long)(now + 300));
	s = store_with(json);
	doctor_check_tokens(&r, s, now);
	ok(r.n == 1 && count(&r, "tokens", DOCTOR_OK, NULL) == 1,
	   "tokens: 300 s left is still fine");
	doctor_report_clear(&r);
	doctor_check_tokens(&r, s, now + 1);
	ok(count(&r, "token-expiry", DOCTOR_WARN, "expires in 299 s") == 1,
	   "tokens: 299 s left is near expiry");
	doctor_report_clear(&r);
	store_free(s);
}

static void test_session_bus(void)
{
	const char *tmp = tap_tmpdir();
	char *sock = path_join(tmp, "bus");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		exit(99);
	struct doctor_report r = DOCTOR_REPORT_INIT;
	bool present = true;
	char addr[600];

	doctor_check_session_bus(&r, NULL, "/nonexistent-runtime-dir", &present);
	ok(!present && count(&r, "session-bus", DOCTOR_WARN, "DBUS_SESSION_BUS_ADDRESS is not set"),
	   "bus: unset with no $XDG_RUNTIME_DIR/bus is missing");
	ok(count(&r, "session-bus", DOCTOR_WARN, "dbus-run-session") == 1,
	   "bus: the fix says how to get one");
	doctor_report_clear(&r);

	doctor_check_session_bus(&r, NULL, tmp, &present);
	ok(present && count(&r, "session-bus", DOCTOR_OK, NULL) == 1,
	   "bus: unset, but $XDG_RUNTIME_DIR/bus is a socket");
	doctor_report_clear(&r);

	snprintf(addr, sizeof(addr), "unix:path=%s/no-bus-here", tmp);
	doctor_check_session_bus(&r, addr, tmp, &present);
	ok(!present && count(&r, "session-bus", DOCTOR_WARN, "no-bus-here does not exist") == 1,
	   "bus: a unix:path= socket that does not exist is missing");
	doctor_report_clear(&r);

	snprintf(addr, sizeof(addr), "unix:guid=1234,path=%s", sock);
	doctor_check_session_bus(&r, addr, NULL, &present);
	ok(present && count(&r, "session-bus", DOCTOR_OK, NULL) == 1,
	   "bus: path= after another key is found");
	doctor_report_clear(&r);

	snprintf(addr, sizeof(addr), "unix:path=%s/gone;unix:path=%s", tmp, sock);
	doctor_check_session_bus(&r, addr, NULL, &present);
	ok(present, "bus: the second of two addresses counts");
	doctor_report_clear(&r);

	doctor_check_session_bus(&r, "unix:abstract=/tmp/dbus-xyz", NULL, &present);
	ok(present && count(&r, "session-bus", DOCTOR_OK, NULL) == 1,
	   "bus: an abstract socket is taken on trust");
	doctor_report_clear(&r);

	close(fd);
	unlink(sock);
	free(sock);
}

static void test_keyring_and_backend(void)
{
	struct doctor_report r = DOCTOR_REPORT_INIT;
	doctor_check_keyring(&r, false, _("the keyring is locked"), NULL);
	ok(count(&r, "keyring-locked", DOCTOR_WARN, "unlock") == 1,
	   "keyring: locked, with nothing stored yet, is a warning saying unlock");
	doctor_report_clear(&r);
	doctor_check_keyring(&r, false, _("the keyring is locked"), "keyring");
	ok(count(&r, "keyring-locked", DOCTOR_ERROR, NULL) == 1,
	   "keyring: locked while the secrets are in it is an error");
	doctor_report_clear(&r);
	doctor_check_keyring(&r, false, _("no Secret Service on the session bus"), "file");
	ok(count(&r, "secret-service", DOCTOR_INFO, "gnome-keyring") == 1,
	   "keyring: no Secret Service with the file in use is info, saying what to install");
	doctor_report_clear(&r);
	doctor_check_keyring(&r, false, _("no session bus"), NULL);
	ok(r.n == 0, "keyring: no session bus is left to the session-bus finding");
	doctor_report_clear(&r);
	doctor_check_keyring(&r, false, _("no session bus"), "keyring");
	ok(count(&r, "secret-service", DOCTOR_ERROR, "migrate") == 1,
	   "keyring: no session bus with the secrets in the keyring is an error");
	doctor_report_clear(&r);
	doctor_check_keyring(&r, true, NULL, "keyring");
	ok(count(&r, "secret-service", DOCTOR_OK, NULL) == 1, "keyring: a usable one is ok");
	doctor_report_clear(&r);

	doctor_check_backend(&r, SECRET_BACKEND_AUTO, "file", true, "/x/vault.bin");
	ok(count(&r, "backend", DOCTOR_INFO, "aiauth store migrate --to keyring") == 1,
	   "backend: the file in use is info with how to move");
	ok(count(&r, "backend", DOCTOR_INFO, "/x/vault.bin") == 1, "backend: it names the file");
	doctor_report_clear(&r);
	doctor_check_backend(&r, SECRET_BACKEND_AUTO, NULL, true, "/x/vault.bin");
	ok(count(&r, "backend", DOCTOR_OK, "keyring") == 1,
	   "backend: nothing recorded and a keyring: the keyring will be used");
	doctor_report_clear(&r);
	doctor_check_backend(&r, SECRET_BACKEND_FILE, "keyring", true, "/x/vault.bin");
	ok(count(&r, "backend", DOCTOR_INFO, "encrypted file") == 1,
	   "backend: --store file wins over the record");
	doctor_report_clear(&r);
}

static void test_terminal_and_browser(void)
{
	struct doctor_report r = DOCTOR_REPORT_INIT;
	doctor_check_terminal(&r, "ANSI_X3.4-1968", 0, 0);
	ok(count(&r, "terminal-charset", DOCTOR_WARN, "ANSI_X3.4-1968") == 1,
	   "terminal: an ASCII locale is a warning naming it");
	ok(count(&r, "terminal-size", DOCTOR_OK, NULL) + count(&r, "terminal-size", DOCTOR_WARN, NULL) ==
	       0,
	   "terminal: no size finding without a terminal");
	doctor_report_clear(&r);
	doctor_check_terminal(&r, "utf8", 23, 80);
	ok(count(&r, "terminal-charset", DOCTOR_OK, NULL) == 1, "terminal: utf8 is UTF-8");
	ok(count(&r, "terminal-size", DOCTOR_WARN, "80 columns by 23 rows") == 1,
	   "terminal: 80x23 is too small");
	doctor_report_clear(&r);
	doctor_check_terminal(&r, "UTF-8", 24, 80);
	ok(count(&r, "terminal-size", DOCTOR_OK, NULL) == 1, "terminal: 80x24 is enough");
	doctor_report_clear(&r);

	const char *tmp = tap_tmpdir();
	char *bin = path_join(tmp, "bin"), *opener = path_join(tmp, "bin/xdg-open");
	mkdir(bin, 0700);
	touch(opener, 0700);
	struct doctor_display d = {"10.0.0.1 5555 10.0.0.2 22", ":0", NULL, NULL, bin};
	doctor_check_browser(&r, &d);
	ok(count(&r, "display", DOCTOR_INFO, "--device") == 1,
	   "browser: over SSH, info pointing at the device code");
	doctor_report_clear(&r);
	d = (struct doctor_display){NULL, NULL, "", NULL, bin};
	doctor_check_browser(&r, &d);
	ok(count(&r, "display", DOCTOR_INFO, "no display") == 1, "browser: no display is info");
	doctor_report_clear(&r);
	d = (struct doctor_display){NULL, NULL, "wayland-0", NULL, bin};
	doctor_check_browser(&r, &d);
	ok(count(&r, "browser", DOCTOR_OK, "xdg-open") == 1, "browser: xdg-open found in PATH");
	doctor_report_clear(&r);
	d = (struct doctor_display){NULL, ":0", NULL, NULL, "/nonexistent"};
	doctor_check_browser(&r, &d);
	ok(count(&r, "browser", DOCTOR_WARN, "xdg-utils") == 1,
	   "browser: no xdg-open and no BROWSER is a warning");
	doctor_report_clear(&r);
	d = (struct doctor_display){NULL, ":0", NULL, "no-such-browser:xdg-open", bin};
	doctor_check_browser(&r, &d);
	ok(count(&r, "browser", DOCTOR_WARN, "no-such-browser") == 1,
	   "browser: a BROWSER that is not there is a warning naming it");
	doctor_report_clear(&r);
	d = (struct doctor_display){NULL, ":0", NULL, opener, "/nonexistent"};
	doctor_check_browser(&r, &d);
	ok(count(&r, "browser", DOCTOR_OK, "BROWSER") == 1, "browser: BROWSER as a path works");
	doctor_report_clear(&r);
	free(bin);
	free(opener);
}

static void test_dates(void)
{
	int64_t t = 0;
	ok(doctor_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t) && t == 784111777,
	   "date: IMF-fixdate");
	t = 0;
	ok(doctor_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t) && t == 784111777,
	   "date: RFC 850");
	t = 0;
	ok(doctor_parse_http_date("Sun Nov  6 08:49:37 1994", &t) && t == 784111777,
	   "date: asctime");
	ok(doctor_parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT", &t) && t == 1709251199,
	   "date: a leap day");
	ok(!doctor_parse_http_date("Sun, 06 Nov 1994 08:49:37 CET", &t), "date: not GMT is refused");
	ok(!doctor_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t), "date: a bad month is refused");
	ok(!doctor_parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT", &t), "date: hour 25 is refused");
	ok(!doctor_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing", &t),
	   "date: trailing text is refused");
	ok(!doctor_parse_http_date("", &t) && !doctor_parse_http_date(NULL, &t),
	   "date: empty and NULL are refused");
}

/* A server on 127.0.0.1 answering every request with 404 and a Date
 * `offset` seconds from now, in a child process.  Returns its port. */
static int serve_dated(long offset, pid_t *pid)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		exit(99);
	*pid = fork();
	if (*pid < 0)
		exit(99);
	if (*pid == 0) {
		alarm(60); /* never outlive a test that died early */
		for (;;) {
			int c = accept(fd, NULL, NULL);
			if (c < 0)
				continue;
			char req[4096];
			ssize_t n = read(c, req, sizeof(req));
			(void)n;
			/* The C locale (no setlocale here): English day and month. */
			time_t t = time(NULL) + offset;
			struct tm tm;
			char date[64], resp[256];
			gmtime_r(&t, &tm);
			strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
			int m = snprintf(resp, sizeof(resp),
			                 "HTTP/1.1 404 Not Found\r\nDate: %s\r\nContent-Length: 0\r\n"
			                 "Connection: close\r\n\r\n",
			                 date);
			if (write(c, resp, (size_t)m) != m)
				_exit(1);
			close(c);
		}
	}
	close(fd);
	return ntohs(sa.sin_port);
}

/* A port nobody listens on (bound, then closed). */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		exit(99);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_clock(void)
{
	if (http_global_init(NULL) != AIAUTH_OK)
		exit(99);
	pid_t ahead_pid, close_pid;
	int ahead = serve_dated(600, &ahead_pid), near = serve_dated(-2, &close_pid);
	int down = closed_port();
	char *file = path_join(tap_tmpdir(), "providers.json");
	char text[2048];
	int n = snprintf(text, sizeof(text),
	                 "{\"version\": 1, \"providers\": {"
	                 "\"ahead\": {\"name\": \"A\", \"group\": \"local\", "
	                 "\"base_url\": \"http://127.0.0.1:%d/v1\"},"
	                 "\"near\": {\"name\": \"N\", \"group\": \"local\", "
	                 "\"base_url\": \"http://127.0.0.1:%d/v1\"},"
	                 "\"down\": {\"name\": \"D\", \"group\": \"local\", "
	                 "\"base_url\": \"http://127.0.0.1:%d/v1\"}}}",
	                 ahead, near, down);
	if (fs_write_atomic(file, text, (size_t)n, 0600, NULL) != AIAUTH_OK)
		exit(99);
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	if (registry_load(file, &reg, &err) != AIAUTH_OK) {
		diag("registry_load: %s", err ? err->message : "?");
		exit(99);
	}
	/* Two accounts on one server: it is asked once. */
	struct store *s = store_with(
		"{\"version\":1,\"accounts\":["
		"{\"id\":\"00000000000000000000000000000001\",\"provider\":\"ahead\",\"label\":\"a\","
		"\"kind\":\"none\",\"method\":\"none\",\"created\":1,\"status\":\"ok\"},"
		"{\"id\":\"00000000000000000000000000000002\",\"provider\":\"ahead\",\"label\":\"b\","
		"\"kind\":\"none\",\"method\":\"none\",\"created\":1,\"status\":\"ok\"},"
		"{\"id\":\"00000000000000000000000000000003\",\"provider\":\"near\",\"label\":\"c\","
		"\"kind\":\"none\",\"method\":\"none\",\"created\":1,\"status\":\"ok\"},"
		"{\"id\":\"00000000000000000000000000000004\",\"provider\":\"down\",\"label\":\"d\","
		"\"kind\":\"none\",\"method\":\"none\",\"created\":1,\"status\":\"ok\"}]}");
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL) != AIAUTH_OK)
		exit(99);
	struct doctor_report r = DOCTOR_REPORT_INIT;
	char host[64];

	ok(doctor_check_clock(&r, loop, reg, s, 3000, false) == AIAUTH_OK && r.n == 0,
	   "clock: servers on this machine are not compared by default");
	doctor_report_clear(&r);

	ok(doctor_check_clock(&r, loop, reg, s, 3000, true) == AIAUTH_OK, "clock: the check runs");
	dump(&r);
	snprintf(host, sizeof(host), "behind 127.0.0.1:%d", ahead);
	ok(count(&r, "clock", DOCTOR_WARN, host) == 1,
	   "clock: a server 10 minutes ahead is a warning saying we are behind");
	ok(count(&r, "clock", DOCTOR_WARN, "timedatectl") == 1, "clock: the fix says how");
	snprintf(host, sizeof(host), "agrees with 127.0.0.1:%d", near);
	ok(count(&r, "clock", DOCTOR_OK, host) == 1, "clock: 2 s apart agrees");
	snprintf(host, sizeof(host), "127.0.0.1:%d", down);
	ok(count(&r, "clock", DOCTOR_INFO, host) == 1, "clock: an unreachable server is info");
	ok(r.n == 3, "clock: each server once (%zu findings)", r.n);
	doctor_report_clear(&r);

	kill(ahead_pid, SIGTERM);
	kill(close_pid, SIGTERM);
	waitpid(ahead_pid, NULL, 0);
	waitpid(close_pid, NULL, 0);
	loop_free(loop);
	store_free(s);
	registry_free(reg);
	free(file);
	http_global_cleanup();
}

static void test_report(void)
{
	struct doctor_report r = DOCTOR_REPORT_INIT;
	ok(doctor_worst(&r) == DOCTOR_OK, "report: empty is ok");
	for (int i = 0; i < 40; i++)
		doctor_add(&r, "x", i == 17 ? DOCTOR_ERROR : DOCTOR_INFO, NULL, "finding %d", i);
	ok(r.n == 40 && strcmp(r.items[39].summary, "finding 39") == 0,
	   "report: grows past its first allocation");
	ok(doctor_worst(&r) == DOCTOR_ERROR, "report: the worst severity is found");
	ok(strcmp(r.items[0].fix, "") == 0, "report: a NULL fix is stored as \"\"");
	doctor_report_clear(&r);
	ok(r.n == 0 && r.items == NULL, "report: cleared");
}

int main(void)
{
	test_report();
	test_files();
	test_tokens();
	test_session_bus();
	test_keyring_and_backend();
	test_terminal_and_browser();
	test_dates();
	test_clock();
	return done_testing();
}
