/* signin.h - what the two OAuth sign-in panels (screen_device.c,
 * screen_browser.c) share: opening a browser, a URL that must reach the
 * terminal as one line however long it is, the countdown's format.  Only these two screens include it; the rest comes from
 * widgets.h. */
#ifndef AIAUTH_SIGNIN_H
#define AIAUTH_SIGNIN_H

#include <stdbool.h>
#include <stddef.h>

#include "tui.h"


/* A URL on the screen: a person copies it with the mouse, so it must be
 * one line of text for the terminal, never broken into rows with
 * decorations between them.
 *
 * signin_url_rows() says how many rows `url` takes when drawn from column
 * `x` in a window `width` wide: 1 when it fits from x, else it starts at
 * column 0 and fills whole rows.  signin_draw_url() draws it so (in the
 * normal attribute when it takes more than one row: see signin.c).
 *
 * A URL longer than the window is drawn by curses as full rows, but curses
 * positions the cursor itself at each row, so the terminal records them as
 * separate lines and a mouse selection (or tmux capture-pane -J) gets line
 * breaks in the middle.  signin_url_wrap_later() arranges for the same
 * characters to be written once more, straight to the terminal, right
 * after the next doupdate(): written in one run, they wrap in the
 * terminal itself, which then joins the rows when copying.  The cells end
 * up holding what curses believes they hold, so its picture of the screen
 * stays right.  Call it from `draw` after drawing a URL that took more
 * than one row; a screen has one struct signin_wrap ({0}), emptied in
 * `close` with signin_wrap_cancel(). */
int signin_url_rows(const char *url, int x, int width);
/* Returns the rows used.  A URL that fits is widget_url()'s one line. */
int signin_draw_url(struct tui *t, WINDOW *win, int y, int x, const char *url, attr_t attr);

struct signin_wrap {
	struct loop *loop;
	int timer;
	int y, cols, lines; /* where, and the terminal's size when drawn */
	char *url;
};
void signin_wrap_later(struct signin_wrap *w, struct tui *t, int y, const char *url);
void signin_wrap_cancel(struct signin_wrap *w);

/* "14:32" (or "1:02:03") for a number of seconds, into buf. */
void signin_format_left(char *buf, size_t size, long long seconds);

#endif
