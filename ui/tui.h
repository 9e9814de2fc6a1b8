/* tui.h - the framework the screens are written in.
 *
 * One thread, one loop: the core's struct loop (loop.h) waits on the
 * keyboard (stdin), the self-pipe of the signal handlers, timers and
 * libcurl's sockets.  Keys are drained with get_wch() in nodelay mode until
 * ERR; each one goes to the top screen's `key` hook (global keys first:
 * see tui_global_keys).  Hooks never draw: they change state and return
 * flags.  After the events of one wake-up, the framework calls `draw` on the
 * top screen if a redraw was asked for, then doupdate() once.  ncurses
 * sends only the cells that changed, so a countdown second costs a few
 * bytes, not a repaint.
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
/* Close every screen and open `ops` as the only one (e.g. "Done" → accounts). */
bool tui_reset(struct tui *t, const struct screen_ops *ops, void *arg);
/* Ask for a redraw of the top screen (from callbacks of the loop: HTTP
 * done, device flow changed, ...). */
void tui_request_redraw(struct tui *t);
/* A one-line message in the status line at the bottom; NULL clears it. */
void tui_status(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message, or NULL. */
const char *tui_status_text(struct tui *t);

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
