/* ptyrun.c - run a program in a pseudo-terminal of a given size, follow a
 * small script against what it draws, and report how long it took, how much
 * it wrote and how much memory it used.  The benchmark's terminal (bench/run);
 * not installed.
 *
 *   ptyrun [--size COLSxROWS] [--timeout SECONDS] [--log FILE] STEP... -- COMMAND [ARG]...
 *
 * Steps, run in order:
 *   --wait TEXT      read until TEXT appears in what the program drew since
 *                    the previous --wait (escape sequences and control
 *                    characters are removed before matching, so TEXT is
 *                    screen text; ncurses may replace a run of blanks by a
 *                    cursor movement, so markers should be single words);
 *   --send KEYS      write KEYS to the terminal; \r \n \t \e \\ and \xHH
 *                    are understood;
 *   --count SECONDS  read for SECONDS and count the bytes written meanwhile.
 * Then the program is expected to exit by itself (a --send of its quit key
 * is usually the last step).
 *
 * Output, one "name=value" a line on stdout, numbered per kind of step:
 *   waitN_ms          from the fork to the moment TEXT was read
 *   countN_bytes, countN_bytes_per_s
 *   exit_ms           from the fork to the program's exit
 *   bytes             everything the program wrote to the terminal
 *   maxrss_kb         its peak resident set size (wait4's ru_maxrss)
 *   status            its exit status (128+N when killed by signal N)
 * Exit status 0 when every step completed and the program exited; 1 on a
 * timeout or an early exit (with the end of the program's text on stderr);
 * 2 on bad usage.
 *
 * The clock starts just before the fork, so process creation, exec and
 * dynamic linking are part of every figure, as they are of a person's wait. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum step_kind { STEP_WAIT, STEP_SEND, STEP_COUNT };

struct step {
	enum step_kind kind;
	const char *arg;
};

/* The program's output as screen text: escape sequences and control
 * characters are dropped as they arrive (a sequence may span reads). */
enum esc_state { ESC_NONE, ESC_START, ESC_CSI, ESC_STRING, ESC_STRING_END, ESC_INTER };

struct screen_text {
	enum esc_state state;
	char *buf; /* text since the last match */
	size_t len, cap;
};

struct run {
	pid_t pid;
	int master;
	int log_fd;
	double t0;
	double deadline;
	uint64_t bytes;
	bool exited;
	int status;
	struct rusage ru;
	double exit_ms;
	struct screen_text text;
};

static int sigchld_pipe[2] = {-1, -1};

static void on_sigchld(int sig)
{
	(void)sig;
	int saved = errno;
	(void)!write(sigchld_pipe[1], "c", 1);
	errno = saved;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(void)
{
	fputs("usage: ptyrun [--size COLSxROWS] [--timeout SECONDS] [--log FILE]\n"
	      "              [--wait TEXT | --send KEYS | --count SECONDS]... -- COMMAND [ARG]...\n",
	      stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fputs("ptyrun: out of memory\n", stderr);
		exit(1);
	}
	return q;
}

static void text_add(struct screen_text *t, char c)
{
	if (t->len + 1 >= t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->buf = xrealloc(t->buf, t->cap);
	}
	t->buf[t->len++] = c;
	t->buf[t->len] = '\0';
}

/* ECMA-48 in brief: CSI ends with a byte in 0x40-0x7e; OSC, DCS, APC, PM
 * and SOS strings end with BEL or ESC \; other escapes are ESC, any
 * intermediates (0x20-0x2f), then one final byte. */
static void text_feed(struct screen_text *t, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		switch (t->state) {
		case ESC_NONE:
			if (c == 0x1b)
				t->state = ESC_START;
			else if (c >= 0x20 && c != 0x7f)
				text_add(t, (char)c);
			break;
		case ESC_START:
			if (c == '[')
				t->state = ESC_CSI;
			else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X')
				t->state = ESC_STRING;
			else if (c >= 0x20 && c <= 0x2f)
				t->state = ESC_INTER;
			else
				t->state = ESC_NONE;
			break;
		case ESC_CSI:
			if (c >= 0x40 && c <= 0x7e)
				t->state = ESC_NONE;
			break;
		case ESC_STRING:
			if (c == 0x07)
				t->state = ESC_NONE;
			else if (c == 0x1b)
				t->state = ESC_STRING_END;
			break;
		case ESC_STRING_END:
			t->state = c == '\\' ? ESC_NONE : ESC_STRING;
			break;
		case ESC_INTER:
			if (c < 0x20 || c > 0x2f)
				t->state = ESC_NONE;
			break;
		}
	}
}

/* Find `want` in the text; on a match keep only what follows it. */
static bool text_take(struct screen_text *t, const char *want)
{
	if (!t->buf)
		return false;
	const char *hit = strstr(t->buf, want);
	if (!hit)
		return false;
	size_t rest = t->len - (size_t)(hit - t->buf) - strlen(want);
	memmove(t->buf, t->buf + t->len - rest, rest + 1);
	t->len = rest;
	return true;
}

static void reap(struct run *r)
{
	if (r->exited)
		return;
	int st;
	pid_t w = wait4(r->pid, &st, WNOHANG, &r->ru);
	if (w == r->pid) {
		r->exit_ms = now_ms() - r->t0;
		r->exited = true;
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

/* Read what is there (waiting at most until `until`); false once the
 * terminal has closed and the program has been reaped. */
static bool pump(struct run *r, double until)
{
	struct pollfd fds[2] = {{r->master, POLLIN, 0}, {sigchld_pipe[0], POLLIN, 0}};
	double left = until - now_ms();
	int timeout = left <= 0 ? 0 : (int)left + 1;
	int n = poll(fds, 2, timeout);
	if (n < 0 && errno != EINTR) {
		perror("ptyrun: poll");
		exit(1);
	}
	if (fds[1].revents & POLLIN) {
		char drain[64];
		(void)!read(sigchld_pipe[0], drain, sizeof(drain));
		reap(r);
	}
	if (r->master >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		unsigned char buf[65536];
		ssize_t got = read(r->master, buf, sizeof(buf));
		if (got > 0) {
			r->bytes += (uint64_t)got;
			text_feed(&r->text, buf, (size_t)got);
			if (r->log_fd >= 0)
				(void)!write(r->log_fd, buf, (size_t)got);
		} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
			/* EIO: every descriptor of the terminal's slave side is closed. */
			close(r->master);
			r->master = -1;
		}
	}
	if (r->master < 0 && !r->exited) {
		/* The terminal is closed; the exit is a moment away. */
		int st;
		if (wait4(r->pid, &st, 0, &r->ru) == r->pid) {
			r->exit_ms = now_ms() - r->t0;
			r->exited = true;
			r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
	return !(r->exited && r->master < 0);
}

static void fail(struct run *r, const char *what)
{
	fprintf(stderr, "ptyrun: %s\n", what);
	if (r->text.len) {
		size_t from = r->text.len > 600 ? r->text.len - 600 : 0;
		fprintf(stderr, "ptyrun: the program's last text: %s\n", r->text.buf + from);
	}
	if (!r->exited) {
		kill(r->pid, SIGTERM);
		usleep(200 * 1000);
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	exit(1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* KEYS with backslash escapes, into out (at least strlen(keys) bytes). */
static size_t unescape(const char *keys, char *out)
{
	size_t n = 0;
	for (const char *p = keys; *p; p++) {
		if (*p != '\\' || !p[1]) {
			out[n++] = *p;
			continue;
		}
		switch (*++p) {
		case 'r': out[n++] = '\r'; break;
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'e': out[n++] = '\033'; break;
		case 'x':
			if (hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
				out[n++] = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
				p += 2;
				break;
			}
			out[n++] = 'x';
			break;
		default: out[n++] = *p; break;
		}
	}
	return n;
}

static void send_keys(struct run *r, const char *keys)
{
	char *buf = xrealloc(NULL, strlen(keys) + 1);
	size_t n = unescape(keys, buf);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(r->master, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail(r, "cannot write to the terminal");
		off += (size_t)w;
	}
	free(buf);
}

int main(int argc, char **argv)
{
	struct winsize ws = {.ws_col = 80, .ws_row = 24};
	double timeout_s = 30;
	const char *log_path = NULL;
	struct step *steps = xrealloc(NULL, (size_t)argc * sizeof(*steps));
	size_t n_steps = 0;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(a, "--size") == 0) {
			unsigned c, rows;
			if (sscanf(v, "%ux%u", &c, &rows) != 2 || c < 1 || rows < 1 || c > 1000 ||
			    rows > 1000)
				usage();
			ws.ws_col = (unsigned short)c;
			ws.ws_row = (unsigned short)rows;
		} else if (strcmp(a, "--timeout") == 0) {
			timeout_s = atof(v);
		} else if (strcmp(a, "--log") == 0) {
			log_path = v;
		} else if (strcmp(a, "--wait") == 0) {
			steps[n_steps++] = (struct step){STEP_WAIT, v};
		} else if (strcmp(a, "--send") == 0) {
			steps[n_steps++] = (struct step){STEP_SEND, v};
		} else if (strcmp(a, "--count") == 0) {
			steps[n_steps++] = (struct step){STEP_COUNT, v};
		} else {
			usage();
		}
	}
	if (i + 1 >= argc || timeout_s <= 0)
		usage();
	char **cmd = argv + i + 1;

	struct run r = {.log_fd = -1};
	if (log_path && (r.log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	                                 0600)) < 0) {
		perror(log_path);
		return 2;
	}
	if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		perror("ptyrun: pipe");
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);

	r.t0 = now_ms();
	r.deadline = r.t0 + timeout_s * 1e3;
	r.pid = forkpty(&r.master, NULL, NULL, &ws);
	if (r.pid < 0) {
		perror("ptyrun: forkpty");
		return 1;
	}
	if (r.pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "ptyrun: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	fcntl(r.master, F_SETFD, FD_CLOEXEC);

	unsigned n_wait = 0, n_count = 0;
	for (size_t s = 0; s < n_steps; s++) {
		const struct step *st = &steps[s];
		char what[300];
		switch (st->kind) {
		case STEP_WAIT:
			n_wait++;
			while (!text_take(&r.text, st->arg)) {
				if (now_ms() > r.deadline) {
					snprintf(what, sizeof(what), "timed out waiting for \"%s\"", st->arg);
					fail(&r, what);
				}
				if (!pump(&r, r.deadline)) {
					snprintf(what, sizeof(what), "the program exited (status %d) before \"%s\"",
					         r.status, st->arg);
					fail(&r, what);
				}
			}
			printf("wait%u_ms=%.3f\n", n_wait, now_ms() - r.t0);
			break;
		case STEP_SEND:
			if (r.master < 0)
				fail(&r, "the terminal closed before a --send");
			send_keys(&r, st->arg);
			break;
		case STEP_COUNT: {
			n_count++;
			double secs = atof(st->arg);
			uint64_t before = r.bytes;
			double from = now_ms(), until = from + secs * 1e3;
			if (until > r.deadline)
				fail(&r, "--count goes past the --timeout");
			while (now_ms() < until)
				if (!pump(&r, until))
					fail(&r, "the program exited during a --count");
			double took = (now_ms() - from) / 1e3;
			printf("count%u_bytes=%llu\ncount%u_bytes_per_s=%.1f\n", n_count,
			       (unsigned long long)(r.bytes - before), n_count,
			       (double)(r.bytes - before) / took);
			break;
		}
		}
	}
	while (pump(&r, r.deadline))
		if (now_ms() > r.deadline)
			fail(&r, "timed out waiting for the program to exit");
	printf("exit_ms=%.3f\nbytes=%llu\nmaxrss_kb=%ld\nstatus=%d\n", r.exit_ms,
	       (unsigned long long)r.bytes, r.ru.ru_maxrss, r.status);
	free(steps);
	free(r.text.buf);
	if (r.log_fd >= 0)
		close(r.log_fd);
	return 0;
}
