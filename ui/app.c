/* app.c - the screens' framework: the stack, the one loop, keys, drawing,
 * signals and the terminal's restoration (tui.h has the contract).
 *
 * Why it is shaped this way:
 * - One loop (loop.h) waits on stdin, a self-pipe and timers together with
 *   libcurl's sockets, so a countdown keeps ticking while HTTP is in flight.
 * - Signal handlers only write a byte to the self-pipe (SIGINT, SIGTERM,
 *   SIGWINCH); the loop reads it and acts.  SIGWINCH is chained to the
 *   handler ncurses installed, so get_wch() still reports KEY_RESIZE; the
 *   byte only makes sure the loop wakes up to read it.
 * - Fatal signals restore the terminal from the handler (endwin is not
 *   async-signal-safe, but the process is about to die and a terminal left
 *   in raw mode on the alternate screen is worse), then re-raise.
 * - Closing screens is deferred to the end of the wake-up, so a hook or a
 *   loop callback can reset the stack under itself and return safely. */
#include "config.h"

#include "browser.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "screens.h"
#include "session.h"
#include "store.h"
#include "tui.h"
#include "tui_internal.h"
#include "widgets.h"

#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24
#define TUI_PASTE_MAX (16 * 1024)
#define TUI_TICK_MS 1000

/* Key codes above KEY_MAX for the bracketed-paste markers (define_key). */
#define TUI_KEY_PASTE_BEGIN (KEY_MAX + 1)
#define TUI_KEY_PASTE_END (KEY_MAX + 2)

struct tui {
	struct session *session;
	struct loop *loop;
	const char *passphrase_file;

	struct screen **stack;
	size_t n, cap;
	struct screen **dead; /* popped, closed at the end of the wake-up */
	size_t n_dead, cap_dead;

	bool redraw;
	bool quit;
	bool interrupted;
	int exit_signal; /* SIGINT, SIGTERM or SIGHUP that ended it */
	bool was_small;
	bool cursor_wanted;
	int cursor_y, cursor_x;
	bool pasting;
	size_t paste_len;
	bool paste_truncated;

	char status[512];
	bool has_status;

	bool utf8;
	bool colour;

	int sigpipe[2];
	int stdin_watch, sig_watch, tick_timer;
};

/* ------------------------------------------------ terminal restoration */

static volatile sig_atomic_t curses_active;
static volatile sig_atomic_t quit_signal; /* SIGINT/SIGTERM/SIGHUP arrived */
static int sig_write_fd = -1;
static struct sigaction old_winch;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL};
static struct sigaction old_fatal[sizeof fatal_signals / sizeof fatal_signals[0]];

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

#define PASTE_ON "\033[?2004h"
#define PASTE_OFF "\033[?2004l"

/* Leave curses mode: bracketed paste off, then endwin (which leaves the
 * alternate screen and restores the tty modes).  Safe to call twice. */
static void terminal_restore(void)
{
	if (!curses_active)
		return;
	curses_active = 0;
	write_all(STDOUT_FILENO, PASTE_OFF, sizeof PASTE_OFF - 1);
	endwin();
}

static void on_fatal_signal(int sig)
{
	terminal_restore();
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
		if (fatal_signals[i] == sig)
			sigaction(sig, &old_fatal[i], NULL);
	/* Blocked while this handler runs: delivered with the previous
	 * (normally default) action as soon as it returns; for a fault the
	 * instruction also faults again. */
	raise(sig);
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = sig == SIGWINCH ? 'W' : sig == SIGINT ? 'I' : sig == SIGTERM ? 'T' : 'H';
	if (sig != SIGWINCH)
		quit_signal = 1;
	if (sig == SIGWINCH) {
		if (old_winch.sa_flags & SA_SIGINFO) {
			/* ncurses installs a plain handler; nothing to chain here. */
		} else if (old_winch.sa_handler != SIG_DFL && old_winch.sa_handler != SIG_IGN &&
		           old_winch.sa_handler != NULL) {
			old_winch.sa_handler(sig);
		}
	}
	if (sig_write_fd >= 0)
		(void)!write(sig_write_fd, &c, 1);
	errno = saved;
}

static void install_signals(struct tui *t)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, &old_winch);
	if (old_winch.sa_handler == on_signal) /* installed twice: never chain to self */
		old_winch.sa_handler = SIG_DFL;

	struct sigaction fa;
	memset(&fa, 0, sizeof fa);
	sigemptyset(&fa.sa_mask);
	fa.sa_handler = on_fatal_signal;
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
		sigaction(fatal_signals[i], &fa, &old_fatal[i]);
	sig_write_fd = t->sigpipe[1];
}

static void restore_signals(void)
{
	sig_write_fd = -1;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigaction(SIGWINCH, &old_winch, NULL);
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
		sigaction(fatal_signals[i], &old_fatal[i], NULL);
}

/* ------------------------------------------------------------ appearance */

static const struct tui_glyphs glyphs_utf8 = {
	.bullet = "\xe2\x80\xa2",   /* • */
	.active = "\xe2\x97\x8f",   /* ● */
	.pool = "\xe2\x86\xbb",     /* ↻ */
	.check = "\xe2\x9c\x93",    /* ✓ */
	.cross = "\xe2\x9c\x97",    /* ✗ */
	.arrow = "\xe2\x80\xba",    /* › */
	.ellipsis = "\xe2\x80\xa6", /* … */
	.spinner = {"\xe2\xa0\x8b", "\xe2\xa0\x99", "\xe2\xa0\xb8", "\xe2\xa0\xb4"},
};
static const struct tui_glyphs glyphs_ascii = {
	.bullet = "*",
	.active = "*",
	.pool = "r",
	.check = "+",
	.cross = "x",
	.arrow = ">",
	.ellipsis = "...",
	.spinner = {"|", "/", "-", "\\"},
};

const struct tui_glyphs *tui_glyphs(struct tui *t)
{
	return t && t->utf8 ? &glyphs_utf8 : &glyphs_ascii;
}

bool tui_utf8(struct tui *t)
{
	return t && t->utf8;
}

/* Colour pairs, one per role that has a colour. */
enum { PAIR_TITLE = 1, PAIR_OK, PAIR_WARN, PAIR_ERROR, PAIR_ACCENT, PAIR_KEY, PAIR_DIM };

static void colours_init(struct tui *t)
{
	const char *no_colour = getenv("NO_COLOR");
	t->colour = !(no_colour && *no_colour) && has_colors();
	if (!t->colour)
		return;
	start_color();
	short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
	init_pair(PAIR_TITLE, COLOR_CYAN, bg);
	init_pair(PAIR_OK, COLOR_GREEN, bg);
	init_pair(PAIR_WARN, COLOR_YELLOW, bg);
	init_pair(PAIR_ERROR, COLOR_RED, bg);
	init_pair(PAIR_ACCENT, COLOR_CYAN, bg);
	init_pair(PAIR_KEY, COLOR_YELLOW, bg);
	init_pair(PAIR_DIM, COLOR_BLUE, bg);
}

attr_t tui_attr(struct tui *t, enum tui_role role)
{
	bool c = t && t->colour;
	switch (role) {
	case TUI_NORMAL:
		return A_NORMAL;
	case TUI_TITLE:
		return A_BOLD | (c ? COLOR_PAIR(PAIR_TITLE) : 0);
	case TUI_SELECTED:
		return A_REVERSE;
	case TUI_DIM:
		return A_DIM;
	case TUI_OK:
		return c ? COLOR_PAIR(PAIR_OK) : A_NORMAL;
	case TUI_WARN:
		return c ? COLOR_PAIR(PAIR_WARN) | A_BOLD : A_BOLD;
	case TUI_ERROR:
		return c ? COLOR_PAIR(PAIR_ERROR) | A_BOLD : A_BOLD | A_UNDERLINE;
	case TUI_ACCENT:
		return A_BOLD | (c ? COLOR_PAIR(PAIR_ACCENT) : 0);
	case TUI_KEY:
		return A_BOLD | (c ? COLOR_PAIR(PAIR_KEY) : 0);
	}
	return A_NORMAL;
}

/* ------------------------------------------------------------ accessors */

struct session *tui_session(struct tui *t)
{
	return t->session;
}

struct loop *tui_loop(struct tui *t)
{
	return t->loop;
}

void tui_request_redraw(struct tui *t)
{
	t->redraw = true;
}

void tui_status(struct tui *t, const char *fmt, ...)
{
	t->redraw = true;
	if (!fmt) {
		t->has_status = false;
		t->status[0] = '\0';
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	/* One line: a message with a newline would break the bottom row. */
	for (char *p = t->status; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	t->has_status = t->status[0] != '\0';
}

const char *tui_status_text(struct tui *t)
{
	return t->has_status ? t->status : NULL;
}

bool tui_pasting(struct tui *t)
{
	return t->pasting;
}

void tui_show_cursor(struct tui *t, int y, int x)
{
	t->cursor_wanted = true;
	t->cursor_y = y;
	t->cursor_x = x;
}

void tui_place_cursor(struct tui *t)
{
	if (t->cursor_wanted) {
		wmove(stdscr, t->cursor_y, t->cursor_x);
		curs_set(1);
	} else {
		curs_set(0);
	}
	t->cursor_wanted = false;
}

struct screen *tui_top(struct tui *t)
{
	return t->n ? t->stack[t->n - 1] : NULL;
}

bool tui_big_enough(void)
{
	return COLS >= TUI_MIN_COLS && LINES >= TUI_MIN_ROWS;
}

const char *tui_passphrase_file(struct tui *t)
{
	return t->passphrase_file;
}

bool tui_interrupted(struct tui *t)
{
	return t->interrupted || quit_signal;
}

void tui_touch(struct tui *t)
{
	touchwin(stdscr);
	t->redraw = true;
}

bool tui_headless(void)
{
	return !browser_available();
}

/* Standard base64 (RFC 4648 §4) for OSC 52; a dozen lines do not justify a
 * crypto library in ui/. */
static char *base64_encode(const unsigned char *in, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (!out)
		abort();
	char *o = out;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
		*o++ = tab[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

bool tui_copy_to_clipboard(struct tui *t, const char *text)
{
	(void)t;
	const char *term = getenv("TERM");
	if (!text || !curses_active)
		return false;
	/* The Linux console ignores OSC 52; claiming a copy there would lie. */
	if (term && (strcmp(term, "linux") == 0 || strcmp(term, "dumb") == 0))
		return false;
	char *b64 = base64_encode((const unsigned char *)text, strlen(text));
	/* Written after ncurses has flushed (doupdate ends with a flush), and
	 * it moves no cursor, so ncurses' idea of the screen stays true. */
	write_all(STDOUT_FILENO, "\033]52;c;", 7);
	write_all(STDOUT_FILENO, b64, strlen(b64));
	write_all(STDOUT_FILENO, "\a", 1);
	free(b64);
	return true;
}

const struct tui_key tui_global_keys[] = {
	{"?", N_("help")},
	{"Esc", N_("back")},
	{"q", N_("quit")},
	{"Ctrl-C", N_("quit")},
	{NULL, NULL},
};

/* ---------------------------------------------------------------- stack */

static void grow(struct screen ***arr, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap * 2 : 8;
	while (c < need)
		c *= 2;
	struct screen **p = realloc(*arr, c * sizeof *p);
	if (!p)
		abort();
	*arr = p;
	*cap = c;
}

/* Take `s` out of the stack (wherever it is) and queue its close. */
static void stack_remove(struct tui *t, struct screen *s)
{
	for (size_t i = t->n; i-- > 0;) {
		if (t->stack[i] != s)
			continue;
		bool was_top = i + 1 == t->n;
		memmove(t->stack + i, t->stack + i + 1, (t->n - i - 1) * sizeof *t->stack);
		t->n--;
		grow(&t->dead, &t->cap_dead, t->n_dead + 1);
		t->dead[t->n_dead++] = s;
		t->redraw = true;
		if (was_top && t->n && t->stack[t->n - 1]->ops->resume)
			t->stack[t->n - 1]->ops->resume(t->stack[t->n - 1]);
		return;
	}
}

/* Close the screens popped during this wake-up. */
static void flush_dead(struct tui *t)
{
	/* A close hook may pop more (rare): loop until none is left. */
	while (t->n_dead) {
		struct screen *s = t->dead[--t->n_dead];
		if (s->ops->close)
			s->ops->close(s);
		free(s);
	}
}

static struct screen *screen_make(struct tui *t, const struct screen_ops *ops, void *arg)
{
	struct screen *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->ops = ops;
	s->tui = t;
	s->win = stdscr;
	if (ops->open && !ops->open(s, arg)) {
		free(s);
		t->redraw = true;
		return NULL;
	}
	return s;
}

bool tui_push(struct tui *t, const struct screen_ops *ops, void *arg)
{
	struct screen *s = screen_make(t, ops, arg);
	if (!s)
		return false;
	grow(&t->stack, &t->cap, t->n + 1);
	t->stack[t->n++] = s;
	t->redraw = true;
	return true;
}

bool tui_reset(struct tui *t, const struct screen_ops *ops, void *arg)
{
	struct screen *s = screen_make(t, ops, arg);
	if (!s)
		return false;
	while (t->n) {
		struct screen *old = t->stack[--t->n];
		grow(&t->dead, &t->cap_dead, t->n_dead + 1);
		t->dead[t->n_dead++] = old;
	}
	grow(&t->stack, &t->cap, 1);
	t->stack[t->n++] = s;
	t->redraw = true;
	return true;
}

void tui_apply(struct tui *t, struct screen *s, int flags)
{
	if (flags & TUI_REDRAW)
		t->redraw = true;
	if (flags & TUI_QUIT)
		t->quit = true;
	if (flags & TUI_POP)
		stack_remove(t, s);
}

/* -------------------------------------------------------------- drawing */

static bool is_overlay(const struct screen *s)
{
	return s->ops == &screen_help || s->ops == &screen_dialog;
}

/* A screen whose hooks are not written yet still shows something. */
static void draw_placeholder(struct screen *s)
{
	widget_center(s->tui, s->win, 1, s->ops->name ? s->ops->name : "?", tui_attr(s->tui, TUI_TITLE));
}

static void draw_screen(struct screen *s)
{
	if (s->ops->draw)
		s->ops->draw(s);
	else
		draw_placeholder(s);
}

static void draw_small(struct tui *t)
{
	char msg[200];
	snprintf(msg, sizeof msg, _("Please enlarge the window to at least %d%s%d (now %d%s%d)."),
	         TUI_MIN_COLS, t->utf8 ? "\xc3\x97" : "x", TUI_MIN_ROWS, COLS, t->utf8 ? "\xc3\x97" : "x",
	         LINES);
	widget_text_centered(t, stdscr, LINES / 2 - 1, 0, LINES, COLS, msg, A_BOLD);
}

static void draw_bottom(struct tui *t)
{
	int y = LINES - 1;
	wmove(stdscr, y, 0);
	wclrtoeol(stdscr);
	if (t->has_status) {
		widget_text(t, stdscr, y, 0, COLS, t->status, tui_attr(t, TUI_WARN));
		return;
	}
	struct screen *top = tui_top(t);
	if (top && top->ops->own_key_bar)
		return;
	widget_keybar(t, stdscr, y, 0, COLS, top ? top->ops->keys : NULL, true);
}

static void draw_all(struct tui *t)
{
	t->cursor_wanted = false;
	werase(stdscr);
	wattrset(stdscr, A_NORMAL);
	if (!tui_big_enough()) {
		t->was_small = true;
		draw_small(t);
	} else {
		struct screen *top = tui_top(t);
		if (top) {
			if (is_overlay(top) && t->n >= 2) {
				/* An overlay shows over its parent; only the top may
				 * place the cursor. */
				draw_screen(t->stack[t->n - 2]);
				t->cursor_wanted = false;
				wattrset(stdscr, A_NORMAL);
			}
			draw_screen(top);
			wattrset(stdscr, A_NORMAL);
		}
		draw_bottom(t);
	}
	if (!tui_big_enough())
		t->cursor_wanted = false;
	tui_place_cursor(t);
	wnoutrefresh(stdscr);
	doupdate();
	t->redraw = false;
}

/* ----------------------------------------------------------------- keys */

static void key_global(struct tui *t, struct screen *top, int ch, bool is_char)
{
	if (is_char && ch == '?') {
		tui_push(t, &screen_help, top);
	} else if (is_char && ch == TUI_KEY_ESC) {
		if (t->n > 1)
			stack_remove(t, top);
		else
			tui_status(t, "%s", _("Press q to quit."));
	} else if (is_char && (ch == 'q' || ch == 'Q')) {
		t->quit = true;
	}
}

static void key_dispatch(struct tui *t, int ch, bool is_char)
{
	if (!is_char && ch == KEY_RESIZE) {
		/* The one place the whole terminal is repainted: after a resize
		 * the terminal's own contents cannot be trusted. */
		clearok(curscr, TRUE);
		t->redraw = true;
		return;
	}
	if (!tui_big_enough()) {
		if (is_char && (ch == 'q' || ch == 'Q'))
			t->quit = true;
		return;
	}
	struct screen *top = tui_top(t);
	if (!top)
		return;
	if (t->has_status && !t->pasting) {
		t->has_status = false;
		t->redraw = true;
	}
	int flags = top->ops->key ? top->ops->key(top, ch, is_char) : 0;
	tui_apply(t, top, flags);
	if (!(flags & TUI_HANDLED) && !t->pasting && top == tui_top(t))
		key_global(t, top, ch, is_char);
}

bool tui_translate_key(struct tui *t, int r, wint_t wc, int *ch, bool *is_char)
{
	if (r == ERR)
		return false;
	if (r == KEY_CODE_YES && wc == TUI_KEY_PASTE_BEGIN) {
		t->pasting = true;
		t->paste_len = 0;
		t->paste_truncated = false;
		return false;
	}
	if (r == KEY_CODE_YES && wc == TUI_KEY_PASTE_END) {
		t->pasting = false;
		if (t->paste_truncated)
			tui_status(t, _("The pasted text was longer than %d KiB and was cut."),
			           TUI_PASTE_MAX / 1024);
		return false;
	}
	if (t->pasting) {
		if (r == KEY_CODE_YES)
			return false; /* a function key inside a paste is noise */
		if (t->paste_len >= TUI_PASTE_MAX) {
			t->paste_truncated = true;
			return false;
		}
		t->paste_len += wc < 0x80 ? 1 : wc < 0x800 ? 2 : wc < 0x10000 ? 3 : 4;
		if (wc < 0x20 || wc == 0x7f)
			wc = ' ';
		*ch = (int)wc;
		*is_char = true;
		return true;
	}
	*ch = (int)wc;
	*is_char = r != KEY_CODE_YES;
	return true;
}

static void key_one(struct tui *t, int r, wint_t wc)
{
	int ch;
	bool is_char;
	if (tui_translate_key(t, r, wc, &ch, &is_char))
		key_dispatch(t, ch, is_char);
}

static void keys_drain(struct tui *t)
{
	wint_t wc;
	int r;
	while (!t->quit && (r = get_wch(&wc)) != ERR)
		key_one(t, r, wc);
}

static void on_stdin(void *ctx, int fd, short revents)
{
	struct tui *t = ctx;
	(void)fd;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		/* The terminal went away: nothing more can be shown or read. */
		t->quit = true;
		return;
	}
	keys_drain(t);
}

static void on_sigpipe(void *ctx, int fd, short revents)
{
	struct tui *t = ctx;
	(void)revents;
	char buf[64];
	ssize_t n;
	bool winch = false;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			switch (buf[i]) {
			case 'W':
				winch = true;
				break;
			case 'I': /* the shell's convention: 128 + the signal */
				t->exit_signal = SIGINT;
				break;
			case 'T':
				t->exit_signal = SIGTERM;
				break;
			default:
				t->exit_signal = SIGHUP;
				break;
			}
			if (buf[i] != 'W') {
				t->interrupted = true;
				t->quit = true;
			}
		}
	}
	if (winch)
		keys_drain(t); /* get_wch() reports KEY_RESIZE */
}

static void on_tick(void *ctx)
{
	struct tui *t = ctx;
	t->tick_timer = loop_add_timer(t->loop, TUI_TICK_MS, on_tick, t);
	struct screen *top = tui_top(t);
	if (top && top->ops->tick)
		tui_apply(t, top, top->ops->tick(top));
}

/* ------------------------------------------------------------- the run */

static void at_exit_restore(void)
{
	terminal_restore();
}

static bool pipe_nonblocking(int p[2])
{
	if (pipe(p) != 0)
		return false;
	for (int i = 0; i < 2; i++) {
		fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
		fcntl(p[i], F_SETFD, FD_CLOEXEC);
	}
	return true;
}

static void curses_start(struct tui *t)
{
	const char *cs = nl_langinfo(CODESET);
	t->utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	initscr();
	curses_active = 1;
	cbreak();
	noecho();
	nonl(); /* Enter is '\r': no translation, so ^J and Enter stay apart */
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* Home and End as xterm, tmux and the Linux console send them, whatever
	 * TERM's terminfo says, so they never arrive as Esc plus letters. */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[H", KEY_HOME);
	define_key("\033[F", KEY_END);
	define_key("\033OH", KEY_HOME);
	define_key("\033OF", KEY_END);
	define_key("\033[200~", TUI_KEY_PASTE_BEGIN);
	define_key("\033[201~", TUI_KEY_PASTE_END);
	colours_init(t);
	/* The first refresh switches to the alternate screen; bracketed paste
	 * is turned on after it so the two sequences never interleave. */
	refresh();
	write_all(STDOUT_FILENO, PASTE_ON, sizeof PASTE_ON - 1);
}

/* Which screen starts: the welcome wizard until an account exists. */
/* The first screen: the accounts screen once an account exists (it gets
 * the store read here in *pre), else the welcome screen. */
static const struct screen_ops *first_screen(struct tui *t, struct accounts_preload *pre,
                                             int *exit_status)
{
	struct store *store = NULL;
	struct aiauth_error *err = NULL;
	store_stamp(NULL, &pre->stamp);
	enum aiauth_status st = store_load(NULL, &store, &err);
	const struct screen_ops *ops = &screen_welcome;
	if (st == AIAUTH_OK) {
		if (store->n_accounts > 0) {
			ops = &screen_accounts;
			pre->store = store;
		} else {
			store_free(store);
		}
	} else if (st == AIAUTH_CORRUPT) {
		/* Set aside: starting over is what the user can do now. */
		tui_status(t, "%s", err ? err->message : _(status_text(st)));
	} else {
		fprintf(stderr, "aiauth: %s\n", err ? err->message : _(status_text(st)));
		*exit_status = status_exit_code(st);
		ops = NULL;
	}
	error_clear(&err);
	return ops;
}

int tui_run(int forced_backend, const char *passphrase_file)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s\n",
		        _("aiauth: the interactive screens need a terminal; see aiauth --help for "
		          "the commands"));
		return 2;
	}
	struct tui *t = calloc(1, sizeof *t);
	if (!t)
		abort();
	int status = 0;
	struct aiauth_error *err = NULL;
	t->passphrase_file = passphrase_file;
	t->sigpipe[0] = t->sigpipe[1] = -1;

	struct accounts_preload pre = {0};
	const struct screen_ops *first = first_screen(t, &pre, &status);
	if (!first)
		goto out;
	struct session_options opts = {
		.forced_backend = (enum secret_backend)forced_backend,
		.get_passphrase = tui_ask_passphrase,
		.passphrase_ctx = t,
	};
	t->session = session_new(&opts);
	if (!t->session)
		abort();
	enum aiauth_status st = session_loop(t->session, &t->loop, &err);
	if (st != AIAUTH_OK) {
		fprintf(stderr, "aiauth: %s\n", err ? err->message : _(status_text(st)));
		status = status_exit_code(st);
		goto out;
	}
	if (!pipe_nonblocking(t->sigpipe)) {
		perror("aiauth: pipe");
		status = 1;
		goto out;
	}

	atexit(at_exit_restore);
	curses_start(t);
	install_signals(t);
	t->stdin_watch = loop_watch_fd(t->loop, STDIN_FILENO, POLLIN, on_stdin, t);
	t->sig_watch = loop_watch_fd(t->loop, t->sigpipe[0], POLLIN, on_sigpipe, t);
	t->tick_timer = loop_add_timer(t->loop, TUI_TICK_MS, on_tick, t);
	if (!t->stdin_watch || !t->sig_watch || !t->tick_timer)
		abort();

	bool pushed = tui_push(t, first, pre.store ? &pre : NULL);
	store_free(pre.store); /* not taken: the screen did not open */
	pre.store = NULL;
	if (!pushed) {
		/* The first screen refused: nothing to show. */
		terminal_restore();
		fprintf(stderr, "aiauth: %s\n",
		        t->has_status ? t->status : _("the first screen could not be opened"));
		status = 1;
		goto out_loop;
	}
	t->redraw = true;
	while (!t->quit && t->n > 0) {
		if (t->redraw)
			draw_all(t);
		st = loop_run_once(t->loop, -1, &err);
		flush_dead(t);
		if (st != AIAUTH_OK) {
			terminal_restore();
			fprintf(stderr, "aiauth: %s\n", err ? err->message : _(status_text(st)));
			status = 1;
			break;
		}
	}
	if (t->interrupted)
		status = 128 + t->exit_signal;

out_loop:
	/* Close from the top down, as if each were popped. */
	while (t->n) {
		struct screen *s = t->stack[--t->n];
		grow(&t->dead, &t->cap_dead, t->n_dead + 1);
		t->dead[t->n_dead++] = s;
	}
	flush_dead(t);
	loop_unwatch_fd(t->loop, t->stdin_watch);
	loop_unwatch_fd(t->loop, t->sig_watch);
	loop_cancel_timer(t->loop, t->tick_timer);
	terminal_restore();
	restore_signals();
out:
	store_free(pre.store);
	error_clear(&err);
	session_free(t->session);
	for (int i = 0; i < 2; i++)
		if (t->sigpipe[i] >= 0)
			close(t->sigpipe[i]);
	free(t->stack);
	free(t->dead);
	free(t);
	return status;
}
