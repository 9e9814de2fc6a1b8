/* test_debug.c - the trace (AIAUTH_DEBUG): URL redaction, which is what
 * keeps secrets out of it, the line format, and the file rules. */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "fsutil.h"
#include "tap.h"

static const char *T; /* scratch directory */

static int redacts(const char *url, const char *want)
{
	char out[512];
	debug_redact_url(url, out, sizeof(out));
	int same = strcmp(out, want) == 0;
	if (!same)
		diag("redact(%s): got '%s', want '%s'", url ? url : "NULL", out, want);
	return same;
}

static void test_redact(void)
{
	ok(redacts("https://auth.example.com/oauth/token", "https://auth.example.com/oauth/token"),
	   "a URL without query or userinfo is kept as it is");
	ok(redacts("http://127.0.0.1:8080/callback?code=abc123SECRET&state=xyz&iss=https%3A%2F%2Fi",
	           "http://127.0.0.1:8080/callback?code=[redacted]&state=[redacted]&iss=[redacted]"),
	   "every query value is redacted, the names stay");
	ok(redacts("https://user:pa55word@gw.example.com:8443/v1/models",
	           "https://[redacted]@gw.example.com:8443/v1/models"),
	   "userinfo is redacted, host and port stay");
	ok(redacts("https://user@gw.example.com/v1", "https://[redacted]@gw.example.com/v1"),
	   "a user name alone is redacted too");
	ok(redacts("https://h.example/p?sk-0123456789abcdef", "https://h.example/p?[redacted]"),
	   "a query member without '=' is redacted whole (it may be the key itself)");
	ok(redacts("https://h.example/p?a%20b=1&ok=2", "https://h.example/p?[redacted]&ok=[redacted]"),
	   "a member whose name is not plain is redacted whole");
	ok(redacts("https://h.example/p?empty=&x=1", "https://h.example/p?empty=&x=[redacted]"),
	   "an empty value stays empty");
	ok(redacts("https://h.example/p#access_token=SECRET", "https://h.example/p#[redacted]"),
	   "a fragment (implicit-grant tokens live there) is redacted");
	ok(redacts("https://h.example/p?code=1#frag", "https://h.example/p?code=[redacted]#[redacted]"),
	   "query and fragment together");
	ok(redacts("https://u:p@h.example/a@b?x=1", "https://[redacted]@h.example/a@b?x=[redacted]"),
	   "an @ in the path is not userinfo");
	ok(redacts("/callback?code=abc&state=def", "/callback?code=[redacted]&state=[redacted]"),
	   "a path with a query (no scheme) is redacted the same way");
	ok(redacts("https://h.example/p?&&a=1&", "https://h.example/p?&&a=[redacted]&"),
	   "empty members are kept as they were");
	ok(redacts("https://h.example/p\n?k=v\x1b[31m", "https://h.example/p??k=[redacted]"),
	   "control characters cannot break the line");
	ok(redacts(NULL, "(none)"), "NULL gives (none)");

	char small[24];
	debug_redact_url("https://example.com/very/long/path?code=SECRETSECRET", small, sizeof(small));
	ok(strlen(small) == sizeof(small) - 1 && strstr(small, "SECRET") == NULL,
	   "a cut result is still NUL-terminated and holds no value ('%s')", small);
	char tiny[1] = {'x'};
	debug_redact_url("https://e/?a=1", tiny, sizeof(tiny));
	ok(tiny[0] == '\0', "a one-byte buffer gets an empty string");

	char who[48];
	debug_account("claude", "0123456789abcdef0123456789abcdef", who, sizeof(who));
	ok(strcmp(who, "claude/01234567") == 0, "accounts are named provider/first 8 of the id");
}

static char *read_text(const char *path)
{
	char *text = NULL;
	size_t n = 0;
	if (fs_read_all(path, 1 << 20, &text, &n, NULL) != AIAUTH_OK)
		return NULL;
	return text;
}

static void test_file(void)
{
	char *log = path_join(T, "trace.log");
	struct aiauth_error *err = NULL;
	enum aiauth_status rc;

	ok(debug_init(NULL, "x", &err) == AIAUTH_OK && !debug_on(), "unset: tracing is off");
	ok(debug_init("", "x", &err) == AIAUTH_OK && !debug_on(), "empty: off");
	ok(debug_init("0", "x", &err) == AIAUTH_OK && !debug_on(), "0: off");
	ok(debug_init("Off", "x", &err) == AIAUTH_OK && !debug_on(), "off (any case): off");

	umask(022);
	ok(debug_init(log, "aiauth test", &err) == AIAUTH_OK && debug_on(), "a file name: on");
	struct stat st;
	ok(stat(log, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is created 0600");
	debug_log("http %s %s -> %d", "POST", "https://h/token", 200);
	debug_log("two\nlines\tand an escape \x1b[2J");
	debug_close();
	ok(!debug_on(), "debug_close turns tracing off");
	debug_log("after close");

	char *text = read_text(log);
	ok(text && strncmp(text, "aiauth[debug] 0.", 16) == 0 && strstr(text, "aiauth test, started "),
	   "the first line names the program and when it started");
	ok(text && strstr(text, " http POST https://h/token -> 200\n"), "a line as given");
	ok(text && strstr(text, "two?lines?and an escape ?[2J\n"),
	   "control characters become '?': one line per call");
	ok(text && !strstr(text, "after close"), "nothing is written after debug_close");
	int lines = 0;
	for (const char *p = text; p && *p; p++)
		lines += *p == '\n';
	ok(lines == 3, "three lines in all (%d)", lines);
	char pid[32];
	snprintf(pid, sizeof(pid), " [%ld] ", (long)getpid());
	ok(text && strstr(text, pid), "lines carry the process id");
	free(text);

	/* Appended, never truncated: processes may share one file. */
	ok(debug_init(log, "second", &err) == AIAUTH_OK, "the same file again");
	debug_close();
	text = read_text(log);
	ok(text && strstr(text, "aiauth test, started") && strstr(text, "second, started"),
	   "a second run appends");
	free(text);

	/* A symbolic link is refused, and nothing is written through it. */
	char *target = path_join(T, "target");
	char *link = path_join(T, "link");
	ok(symlink(target, link) == 0, "a symbolic link to a missing file");
	rc = debug_init(link, "x", &err);
	ok(rc == AIAUTH_IO && err && strstr(err->message, link) &&
	       strstr(err->message, "symbolic link"),
	   "is refused with a message naming it (%s)", err ? err->message : "no message");
	error_clear(&err);
	ok(!debug_on() && access(target, F_OK) != 0, "tracing stays off; no file was made through it");

	rc = debug_init(T, "x", &err);
	ok(rc == AIAUTH_IO && err, "a directory is refused (%s)", err ? err->message : "no message");
	error_clear(&err);
	ok(debug_init("/dev/null", "x", &err) == AIAUTH_IO && err && strstr(err->message, "regular"),
	   "a device is refused: not a regular file");
	error_clear(&err);

	/* The screens own the terminal: a terminal standard error gets
	 * nothing, a file everything. */
	ok(debug_init(log, "x", &err) == AIAUTH_OK, "the file again");
	debug_quiet_terminal(true);
	ok(debug_on(), "a file still traces while the screens run");
	debug_log("while the screens run");
	debug_quiet_terminal(false);
	debug_close();
	text = read_text(log);
	ok(text && strstr(text, "while the screens run"), "and gets the line");
	free(text);

	free(target);
	free(link);
	free(log);
}

/* What the pseudo-terminal's master side can read now. */
static size_t pty_read(int master, char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = read(master, buf + n, size - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return n;
}

/* Standard error on a terminal: lines go there, but not while the screens
 * own it. */
static void test_terminal(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
		ok(1, "# SKIP no pseudo-terminal");
		return;
	}
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	int saved = dup(STDERR_FILENO);
	fcntl(master, F_SETFL, O_NONBLOCK);
	if (slave < 0 || saved < 0 || dup2(slave, STDERR_FILENO) < 0) {
		ok(1, "# SKIP cannot put standard error on a pseudo-terminal");
		return;
	}
	struct aiauth_error *err = NULL;
	enum aiauth_status st = debug_init("1", "on a terminal", &err);
	debug_log("before the screens");
	debug_quiet_terminal(true);
	bool on_while_quiet = debug_on();
	debug_log("SHOULD-NOT-APPEAR");
	debug_quiet_terminal(false);
	debug_log("after the screens");
	debug_close();
	usleep(50 * 1000);
	char buf[4096];
	pty_read(master, buf, sizeof(buf));
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(slave);
	close(master);
	ok(st == AIAUTH_OK, "AIAUTH_DEBUG=1 with a terminal standard error");
	ok(strstr(buf, "before the screens") != NULL, "lines go to the terminal");
	ok(strstr(buf, "the screens own the terminal") != NULL,
	   "the last line before the screens says why the trace stops there");
	ok(!on_while_quiet && strstr(buf, "SHOULD-NOT-APPEAR") == NULL,
	   "nothing is written while the screens own the terminal");
	ok(strstr(buf, "after the screens") != NULL, "lines come again once they closed");
}

int main(void)
{
	T = tap_tmpdir();
	test_redact();
	test_file();
	test_terminal();
	return done_testing();
}
