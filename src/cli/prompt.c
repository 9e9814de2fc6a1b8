/* prompt.c - reading secrets and answers from a person or a pipe.
 *
 * Secrets are read straight into struct secret buffers: never echoed, never
 * placed in argv, and every intermediate byte is wiped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

bool prompt_stdin_is_tty(void)
{
	return isatty(STDIN_FILENO);
}

static volatile sig_atomic_t prompt_interrupted;

static void prompt_on_signal(int sig)
{
	(void)sig;
	prompt_interrupted = 1;
}

enum aiauth_status prompt_masked(const char *question, struct secret **out,
                                 struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set(err, AIAUTH_USAGE, "%s",
		                 _("no terminal to ask on; pipe the secret on standard input"));
	struct termios old, quiet;
	bool restore = false;
	struct sigaction sa = {0}, old_int, old_term;
	struct secret *s = secret_new(256);
	if (!s) {
		close(fd);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		/* Ctrl-C must restore the echo before the process dies, so the
		 * interrupt is noticed here rather than by the default action. */
		sa.sa_handler = prompt_on_signal;
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		prompt_interrupted = 0;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = true;
	}
	if (write(fd, question, strlen(question)) < 0) {
		/* the question is a courtesy; reading still works */
	}
	unsigned char c;
	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !prompt_interrupted)
			continue;
		if (r < 0 || prompt_interrupted) {
			st = error_set(err, AIAUTH_CANCELLED, "%s", _("cancelled"));
			break;
		}
		if (r == 0 || c == '\n' || c == '\r')
			break;
		if (s->len >= 64 * 1024) {
			st = error_set(err, AIAUTH_USAGE, "%s", _("input too long"));
			break;
		}
		if (secret_append(s, &c, 1) != AIAUTH_OK) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			break;
		}
	}
	c = 0;
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do */
	}
	close(fd);
	if (st != AIAUTH_OK) {
		secret_free(s);
		return st;
	}
	secret_trim(s);
	*out = s;
	return AIAUTH_OK;
}

bool prompt_confirm(const char *question)
{
	FILE *tty = fopen("/dev/tty", "r+e");
	if (!tty)
		return false;
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	char answer[16] = "";
	bool yes = fgets(answer, sizeof(answer), tty) && (answer[0] == 'y' || answer[0] == 'Y');
	fclose(tty);
	return yes;
}

static enum aiauth_status read_stdin(size_t max, bool one_line, struct secret **out,
                                     struct aiauth_error **err)
{
	struct secret *s = secret_new(256);
	if (!s)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	unsigned char c;
	for (;;) {
		ssize_t r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			secret_free(s);
			return error_set(err, AIAUTH_IO, _("cannot read standard input: %s"),
			                 strerror(e));
		}
		if (r == 0 || (one_line && c == '\n'))
			break;
		if (s->len >= max) {
			c = 0;
			secret_free(s);
			return error_set(err, AIAUTH_USAGE,
			                 _("standard input is too long (over %zu bytes); nothing was "
			                   "saved"),
			                 max);
		}
		if (secret_append(s, &c, 1) != AIAUTH_OK) {
			secret_free(s);
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		}
	}
	c = 0;
	secret_trim(s);
	*out = s;
	return AIAUTH_OK;
}

enum aiauth_status prompt_read_stdin(size_t max, struct secret **out, struct aiauth_error **err)
{
	return read_stdin(max, false, out, err);
}

enum aiauth_status prompt_read_stdin_line(size_t max, struct secret **out,
                                          struct aiauth_error **err)
{
	return read_stdin(max, true, out, err);
}

void cli_print_url(FILE *out, const char *url)
{
	const char *term = getenv("TERM");
	bool links = isatty(fileno(out)) && term && *term && strcmp(term, "dumb") != 0 &&
	             strcmp(term, "linux") != 0;
	/* A URL with control characters is not printed as a link (nor at all
	 * raw): it came from a server and must not drive the terminal. */
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			links = false;
	if (links)
		fprintf(out, "\033]8;;%s\033\\%s\033]8;;\033\\\n", url, url);
	else
		fprintf(out, "%s\n", url);
}
