/* signin.c - pieces the two OAuth sign-in panels share (see signin.h). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "loop.h"
#include "secret.h"
#include "signin.h"
#include "widgets.h"

/* ------------------------------------------------------------ URLs */

int signin_url_rows(const char *url, int x, int width)
{
	int len = (int)strlen(url);
	if (width <= 0)
		return 1;
	if (x + len <= width)
		return 1;
	return (len + width - 1) / width;
}

int signin_draw_url(struct tui *t, WINDOW *win, int y, int x, const char *url, attr_t attr)
{
	int width = getmaxx(win);
	int rows = signin_url_rows(url, x, width);
	if (rows == 1 && x + (int)strlen(url) <= width) {
		widget_url(t, win, y, x, url, attr);
		return 1;
	}
	/* Longer than the window: widget_url() would cut it, which leaves
	 * nothing to select; whole rows (and the terminal's own wrap, below)
	 * keep it usable by mouse as well as by the copy key. */
	/* Whole rows from column 0, in the normal attribute: the copy written
	 * straight to the terminal (signin_wrap_later) is in the normal
	 * attribute too, so curses' picture of those cells stays exact. */
	const char *p = url;
	for (int r = 0; r < rows; r++) {
		mvwaddnstr(win, y + r, 0, p, width);
		size_t n = strlen(p);
		p += n < (size_t)width ? n : (size_t)width;
	}
	return rows;
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

static void wrap_now(void *ctx)
{
	struct signin_wrap *w = ctx;
	w->timer = 0;
	/* The terminal was resized since the draw: the next draw arranges a
	 * new copy at the new width. */
	if (!w->url || COLS != w->cols || LINES != w->lines || !isatty(STDOUT_FILENO))
		return;
	/* Save the cursor (and attributes), go to the row, write the URL in
	 * the normal attribute in one run so the terminal wraps it, and restore
	 * the cursor: curses' idea of where it left the cursor stays true. */
	char head[32];
	int hn = snprintf(head, sizeof(head), "\0337\033[0m\033[%d;1H", w->y + 1);
	size_t len = strlen(w->url);
	fflush(stdout);
	/* The run is also an OSC 8 hyperlink (zero width; terminals without
	 * hyperlinks ignore it), so a click opens the whole URL. */
	static const char link_open[] = "\033]8;;", link_end[] = "\033\\",
	                  link_close[] = "\033]8;;\033\\";
	if (write(STDOUT_FILENO, head, (size_t)hn) != hn ||
	    write(STDOUT_FILENO, link_open, sizeof(link_open) - 1) != (ssize_t)(sizeof(link_open) - 1) ||
	    write(STDOUT_FILENO, w->url, len) != (ssize_t)len ||
	    write(STDOUT_FILENO, link_end, sizeof(link_end) - 1) != (ssize_t)(sizeof(link_end) - 1) ||
	    write(STDOUT_FILENO, w->url, len) != (ssize_t)len ||
	    write(STDOUT_FILENO, link_close, sizeof(link_close) - 1) != (ssize_t)(sizeof(link_close) - 1) ||
	    write(STDOUT_FILENO, "\0338", 2) != 2)
		return; /* a short write leaves the curses rows, still readable */
}

void signin_wrap_later(struct signin_wrap *w, struct tui *t, int y, const char *url)
{
	/* Only what signin_draw_url drew as whole rows from column 0, and only
	 * text that cannot carry a control sequence. */
	if (!printable_ascii(url))
		return;
	if (!w->url || strcmp(w->url, url) != 0) {
		free(w->url);
		w->url = strdup(url);
		if (!w->url)
			return;
	}
	w->y = y;
	w->cols = COLS;
	w->lines = LINES;
	w->loop = tui_loop(t);
	/* A timer fires in the next turn of the loop: after the doupdate() that
	 * follows this draw, and before any other. */
	if (!w->timer && w->loop)
		w->timer = loop_add_timer(w->loop, 0, wrap_now, w);
}

void signin_wrap_cancel(struct signin_wrap *w)
{
	if (w->timer && w->loop)
		loop_cancel_timer(w->loop, w->timer);
	w->timer = 0;
	free(w->url);
	w->url = NULL;
}

/* ------------------------------------------------------------ drawing */

void signin_format_left(char *buf, size_t size, long long seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds >= 3600)
		snprintf(buf, size, "%lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60,
		         seconds % 60);
	else
		snprintf(buf, size, "%lld:%02lld", seconds / 60, seconds % 60);
}
