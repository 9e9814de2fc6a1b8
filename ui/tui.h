/* tui.h - the framework the screens are written in.
 *
 * One thread, one loop: the core's struct loop (loop.h) waits on the
 * keyboard (stdin), the self-pipe of the signal handlers, timers and
 * libcurl's sockets.  Keys are drained with get_wch() in nodelay mode until
 * ERR; each one goes to the top screen's `key` hook first, and only when
 * that does not return TUI_HANDLED does the framework try the global keys
 * (tui_global_keys), so that a screen with a text field can take "q" and
 * "?" as text.  Ctrl-C is a signal and always quits.  Hooks never draw:
 * they change state and return flags.  After the events of one wake-up,
 * the framework erases the window and calls `draw` on the top screen (and
 * first on the screen below an overlay: help, dialog) if a redraw was asked
 * for, then doupdate() once.  ncurses sends only the cells that changed, so
 * a countdown second costs a few bytes, not a repaint.
 *
 * The bottom row belongs to the framework: the status message when there
 * is one, else the key bar of the top screen (its `keys`, then "? help").
 * Screens draw in rows 0 .. LINES-2.  The status message is cleared by the
 * next key, before the screen sees it.
 *
 * Keys as the hooks see them: printable characters, and also Esc (27,
 * TUI_KEY_ESC), Enter ('\n'; KEY_ENTER from a keypad), Tab ('\t') and
 * Backspace (127 or 8; KEY_BACKSPACE) arrive with is_char true or as KEY_*
 * codes; use tui_key_is_enter() / tui_key_is_backspace().  A bracketed
 * paste arrives as characters while tui_pasting() is true; line breaks and
 * tabs in it arrive as spaces, so a paste never presses Enter.
 *
 * Screens live on a stack: push opens one on top, TUI_POP closes the top,
 * TUI_QUIT ends the program.  A screen that becomes the top again gets
 * `resume` (to reload what another screen may have changed).
 *
 * The terminal is restored on every exit path: normal return, exit(),
 * SIGINT/SIGTERM (a flag through the self-pipe, handled in the loop), and
 * fatal signals (SIGSEGV, SIGABRT, ...: endwin from the handler, then the
 * default action).  Below 80x24 the framework draws an "enlarge the window"
 * message instead of the screen, and the screen again when it is resized
 * back; screens may assume at least 80x24.
 *
 * Strings: every text is translated at draw time with _(); tables hold
 * N_().  Glyphs come from tui_glyphs(), which falls back to ASCII when the
 * locale is not UTF-8.  Colours come from tui_attr(), which falls back to
 * bold/reverse/underline when colours are off (NO_COLOR set, or the terminal
 * has none). */
#ifndef AIAUTH_TUI_H
#define AIAUTH_TUI_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdbool.h>

struct loop;
struct session;
struct tui;
struct screen;

/* Flags returned by the hooks. */
enum {
	TUI_HANDLED = 1 << 0, /* the key was used (else the framework tries its own) */
	TUI_REDRAW = 1 << 1,  /* call draw before the next doupdate */
	TUI_POP = 1 << 2,     /* close this screen, resume the one below */
	TUI_QUIT = 1 << 3,    /* end the program */
};

/* A key a screen offers, for the key bar and the help overlay. */
struct tui_key {
	const char *key;  /* as shown: "a", "Enter", "Space", "Esc" (untranslated) */
	const char *help; /* N_("add an account") */
};

struct screen_ops {
	const char *name; /* for debugging */
	/* Make s->priv from `arg` (borrowed; copy what you keep).  Return false
	 * (with a message through tui_status) to refuse opening. */
	bool (*open)(struct screen *s, void *arg);
	/* Draw everything into s->win (sized to the whole terminal). */
	void (*draw)(struct screen *s);
	/* A key: `ch` is a character when is_char (wide, already decoded), else a
	 * KEY_* code.  Returns flags. */
	int (*key)(struct screen *s, int ch, bool is_char);
	/* Once a second while the screen is on top (countdowns, spinners).
	 * Optional; returns flags. */
	int (*tick)(struct screen *s);
	/* The screen is on top again after the one above it closed. Optional. */
	void (*resume)(struct screen *s);
	/* Free s->priv.  Must cancel anything in flight it started. */
	void (*close)(struct screen *s);
	/* Keys of this screen, terminated by {NULL, NULL}; may be NULL. */
	const struct tui_key *keys;
	/* The screen draws its own key bar: the bottom row then shows only the
	 * status message (else the framework draws `keys` there). */
	bool own_key_bar;
};

struct screen {
	const struct screen_ops *ops;
	struct tui *tui;
	void *priv;
	WINDOW *win; /* the screen's window: the whole terminal */
};

/* ----------------------------------------------------- for the screens */

struct session *tui_session(struct tui *t);
struct loop *tui_loop(struct tui *t);

/* Open `ops` with `arg` on top of the stack (false if open refused). */
bool tui_push(struct tui *t, const struct screen_ops *ops, void *arg);
/* Close every screen and open `ops` as the only one (e.g. "Done" → accounts).
 * The new screen is opened first; if it refuses, nothing changes.
 * Closed screens get their `close` hook at the end of the current wake-up,
 * so a hook or callback may reset or push and still return normally. */
bool tui_reset(struct tui *t, const struct screen_ops *ops, void *arg);
/* Ask for a redraw of the top screen (from callbacks of the loop: HTTP
 * done, device flow changed, ...). */
void tui_request_redraw(struct tui *t);
/* A one-line message in the status line at the bottom; NULL clears it. */
void tui_status(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message, or NULL. */
const char *tui_status_text(struct tui *t);

/* Key helpers (see the top of this file). */
#define TUI_KEY_ESC 27
static inline bool tui_key_is_enter(int ch, bool is_char)
{
	return is_char ? (ch == '\n' || ch == '\r') : ch == KEY_ENTER;
}
static inline bool tui_key_is_backspace(int ch, bool is_char)
{
	return is_char ? (ch == 127 || ch == 8) : ch == KEY_BACKSPACE;
}
/* True while the characters being delivered come from a bracketed paste. */
bool tui_pasting(struct tui *t);
/* From `draw`: show the terminal's cursor at (y, x) of s->win after this
 * draw (a focused text field); without a call the cursor is hidden. */
void tui_show_cursor(struct tui *t, int y, int x);

/* Colours and attributes by role (monochrome fallbacks built in). */
enum tui_role {
	TUI_NORMAL,
	TUI_TITLE,     /* screen titles */
	TUI_SELECTED,  /* the highlighted row or button */
	TUI_DIM,       /* secondary text */
	TUI_OK,        /* valid, connected */
	TUI_WARN,      /* expiring, refresh failed */
	TUI_ERROR,     /* needs sign-in, errors */
	TUI_ACCENT,    /* user codes, URLs */
	TUI_KEY,       /* key names in the key bar */
};
attr_t tui_attr(struct tui *t, enum tui_role role);

struct tui_glyphs {
	const char *bullet;  /* masked character: "•" or "*" */
	const char *active;  /* active mark: "●" or "*" */
	const char *pool;    /* round-robin mark: "↻" or "r" */
	const char *check;   /* "✓" or "+" */
	const char *cross;   /* "✗" or "x" */
	const char *arrow;   /* "›" or ">" */
	const char *ellipsis;
	const char *spinner[4]; /* "⠋⠙⠸⠴" style or "|/-\\" */
};
const struct tui_glyphs *tui_glyphs(struct tui *t);
bool tui_utf8(struct tui *t);

/* True when no display exists or the session is over SSH: no browser can
 * be opened here. */
bool tui_headless(void);

/* Write an OSC 52 clipboard request for `text` (base64) straight to the
 * terminal; returns false if the terminal is not known to support it. */
bool tui_copy_to_clipboard(struct tui *t, const char *text);

/* The keys every screen has: "?" help, "Esc" back/cancel, "q" quit (on
 * screens that do not take text), Ctrl-C quit. */
extern const struct tui_key tui_global_keys[];

/* --------------------------------------------------------- entry point */

/* Run the interface (called by ui_main, ui.h). Returns the exit status. */
int tui_run(int forced_backend, const char *passphrase_file);

#endif
