/* debug.c - trace lines for developers (the contract is in debug.h).
 *
 * Kept small on purpose: one static sink, one formatting routine, one URL
 * redactor.  The redactor is the part that keeps secrets out, so it works
 * on the text alone (no URL library that could normalise a value back in)
 * and fails closed: whatever it cannot classify is redacted. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "debug.h"

#define DEBUG_LINE_MAX 2048
#define REDACTED "[redacted]"

enum debug_sink { SINK_OFF, SINK_STDERR, SINK_FILE };

static struct {
	enum debug_sink sink;
	int fd;
	bool tty;   /* the sink is a terminal (standard error only) */
	bool quiet; /* the screens own the terminal */
	struct timespec t0;
	long pid;
} dbg = {SINK_OFF, -1, false, false, {0, 0}, 0};

static bool is_word(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcasecmp(s, *words) == 0)
			return true;
	return false;
}

static enum aiauth_status open_file(const char *path, struct aiauth_error **err)
{
	/* O_NOFOLLOW: a link planted where the log is expected must not turn
	 * the trace into a write to some other file. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		return error_set(err, AIAUTH_IO, _("cannot write the debug output to %s: %s"), path,
		                 e == ELOOP ? _("it is a symbolic link") : strerror(e));
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = _("it is not a regular file");
	else if (st.st_uid != geteuid())
		why = _("it belongs to another user");
	if (why) {
		close(fd);
		return error_set(err, AIAUTH_IO, _("cannot write the debug output to %s: %s"), path,
		                 why);
	}
	dbg.fd = fd;
	dbg.sink = SINK_FILE;
	dbg.tty = false;
	return AIAUTH_OK;
}

enum aiauth_status debug_init(const char *setting, const char *what, struct aiauth_error **err)
{
	static const char *const off[] = {"0", "false", "no", "off", NULL};
	static const char *const on[] = {"1", "true", "yes", "on", NULL};
	debug_close();
	if (!setting || !*setting || is_word(setting, off))
		return AIAUTH_OK;
	if (is_word(setting, on)) {
		dbg.fd = STDERR_FILENO;
		dbg.sink = SINK_STDERR;
		dbg.tty = isatty(STDERR_FILENO) == 1;
	} else {
		enum aiauth_status st = open_file(setting, err);
		if (st != AIAUTH_OK)
			return st;
	}
	clock_gettime(CLOCK_MONOTONIC, &dbg.t0);
	dbg.pid = (long)getpid();
	char started[32] = "?";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	debug_log("%s, started %s", what ? what : "aiauth", started);
	return AIAUTH_OK;
}

bool debug_on(void)
{
	return dbg.sink != SINK_OFF && !(dbg.quiet && dbg.tty);
}

void debug_log(const char *fmt, ...)
{
	if (!debug_on())
		return;
	char line[DEBUG_LINE_MAX];
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(now.tv_sec - dbg.t0.tv_sec) * 1000 +
	               (now.tv_nsec - dbg.t0.tv_nsec) / 1000000;
	if (ms < 0)
		ms = 0;
	int head = snprintf(line, sizeof(line), "aiauth[debug] %lld.%03lld [%ld] ", ms / 1000,
	                    ms % 1000, dbg.pid);
	if (head < 0 || (size_t)head >= sizeof(line))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + head, sizeof(line) - (size_t)head - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	/* One line, whatever a caller passed in (a server's message...). */
	for (size_t i = (size_t)head; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	for (size_t off = 0; off < len;) {
		ssize_t n = write(dbg.fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a trace that cannot be written is no reason to fail */
		off += (size_t)n;
	}
}

void debug_quiet_terminal(bool quiet)
{
	if (quiet && dbg.sink == SINK_STDERR && dbg.tty)
		debug_log("the screens own the terminal: no trace on it until they close "
		          "(AIAUTH_DEBUG=FILE traces them)");
	dbg.quiet = quiet;
}

void debug_close(void)
{
	if (dbg.sink == SINK_FILE && dbg.fd >= 0)
		close(dbg.fd);
	dbg.sink = SINK_OFF;
	dbg.fd = -1;
	dbg.tty = false;
	dbg.quiet = false;
}

/* ---------------------------------------------------------------- redaction */

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->size; i++) {
		char c = s[i];
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?';
		o->buf[o->len++] = c;
	}
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A query member's name that can be shown: short, plain characters.  A
 * name that is not (percent-encoded, or a bare value without '=') might be
 * the secret itself. */
static bool name_is_plain(const char *s, size_t n)
{
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Length of "scheme://" at the start of s, or 0. */
static size_t scheme_len(const char *s)
{
	size_t i = 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	       (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

static void put_query(struct out *o, const char *q, size_t n)
{
	const char *end = q + n;
	puts_(o, "?");
	for (const char *m = q;;) {
		const char *amp = memchr(m, '&', (size_t)(end - m));
		const char *e = amp ? amp : end;
		const char *eq = memchr(m, '=', (size_t)(e - m));
		if (eq && name_is_plain(m, (size_t)(eq - m))) {
			put(o, m, (size_t)(eq - m) + 1);
			if (eq + 1 < e)
				puts_(o, REDACTED);
		} else if (e > m) {
			puts_(o, REDACTED);
		}
		if (!amp)
			break;
		puts_(o, "&");
		m = amp + 1;
	}
}

char *debug_redact_url(const char *url, char *out, size_t size)
{
	struct out o = {out, size, 0};
	if (!out || size == 0)
		return out;
	out[0] = '\0';
	if (!url) {
		puts_(&o, "(none)");
		return out;
	}
	const char *p = url;
	size_t sl = scheme_len(p);
	if (sl) {
		put(&o, p, sl);
		p += sl;
		size_t alen = strcspn(p, "/?#");
		const char *at = NULL;
		for (size_t i = 0; i < alen; i++)
			if (p[i] == '@')
				at = p + i;
		if (at) {
			puts_(&o, REDACTED "@");
			put(&o, at + 1, (size_t)(p + alen - at - 1));
		} else {
			put(&o, p, alen);
		}
		p += alen;
	}
	size_t plen = strcspn(p, "?#");
	put(&o, p, plen);
	p += plen;
	if (*p == '?') {
		p++;
		size_t qlen = strcspn(p, "#");
		put_query(&o, p, qlen);
		p += qlen;
	}
	if (*p == '#')
		puts_(&o, "#" REDACTED);
	return out;
}

char *debug_account(const char *provider, const char *id, char *out, size_t size)
{
	if (out && size)
		snprintf(out, size, "%s/%.8s", provider ? provider : "?", id ? id : "?");
	return out;
}
