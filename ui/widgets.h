/* widgets.h - the pieces screens are drawn with.
 *
 * Widgets are plain structs owned by a screen's private state (no
 * allocation except a text field's buffer).  Like the screens, they split
 * state from drawing: *_key() changes state and returns TUI_* flags (0 when
 * the key is not theirs, so the screen can try its own keys), *_draw()
 * only draws, from `draw`.
 *
 * Text: every const char *text given to a widget is shown as it is, so the
 * caller translates it (`_("...")`) at draw time.  Tables (key bars, button
 * labels) hold N_() strings and the widget translates them when drawing.
 * Text is UTF-8; it is clipped at the given width, never wrapped into the
 * next row, except by widget_wrap().  In a non-UTF-8 locale, non-ASCII
 * characters are drawn as '?' (no mojibake); use tui_glyphs() for symbols.
 * Coordinates are rows and columns of `win` (a screen's s->win). */
#ifndef AIAUTH_WIDGETS_H
#define AIAUTH_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "tui.h"

struct secret;

/* ----------------------------------------------------------------- text */

/* Columns `text` takes on screen (wide characters count 2). */
int widget_width(struct tui *t, const char *text);
/* Draw `text` at (y, x) in `attr`, at most `w` columns; returns the
 * columns drawn. */
int widget_text(struct tui *t, WINDOW *win, int y, int x, int w, const char *text, attr_t attr);
/* Draw `text` centred on row y of the whole window. */
void widget_center(struct tui *t, WINDOW *win, int y, const char *text, attr_t attr);
/* Word-wrap `text` into the box (y, x, h rows, w columns), each line
 * centred when `center`; returns the rows used (at most h).  Newlines in
 * the text start a new line. */
int widget_wrap(struct tui *t, WINDOW *win, int y, int x, int h, int w, const char *text,
                attr_t attr, bool center);
/* How many rows widget_wrap() would use for `text` at width w. */
int widget_wrap_rows(struct tui *t, const char *text, int w);
/* widget_wrap, centred, and the block itself centred vertically around row
 * y (the small-terminal message). */
void widget_text_centered(struct tui *t, WINDOW *win, int y, int x, int h, int w, const char *text,
                          attr_t attr);

/* A URL on ONE line from (y, x), in `attr`, cut at the window's right
 * edge if it is longer (no ellipsis, no wrapping).  Why: a URL broken over
 * two rows is copied by mouse selection as two pieces (or with the line
 * break in it), and terminals only recognise a contiguous URL for
 * Ctrl-click; an ellipsis would be copied as part of it.  When the URL does
 * not fit, returns false: the screen should offer the copy key
 * (tui_copy_to_clipboard) or ask for a wider window, not rearrange it. */
bool widget_url(struct tui *t, WINDOW *win, int y, int x, const char *url, attr_t attr);

/* A frame (h rows, w columns at y, x) with `title` (or NULL) in its top
 * edge, in TUI_TITLE.  Line drawing in UTF-8, "+-|" otherwise.  The inside
 * is erased. */
void widget_box(struct tui *t, WINDOW *win, int y, int x, int h, int w, const char *title);

/* A key bar on row y: "key help  key help ..." with keys in TUI_KEY, help
 * translated, cut at w columns.  `with_globals` appends "? help". */
void widget_keybar(struct tui *t, WINDOW *win, int y, int x, int w, const struct tui_key *keys,
                   bool with_globals);

/* ----------------------------------------------------------- text field */

/* A one-line text field.  Its text lives only in its own struct secret
 * (locked, wiped when freed or cleared); a masked field draws one
 * tui_glyphs()->bullet per character unless shown (Ctrl-R / F2 toggles).
 * Keys: characters insert; Left, Right, Home/Ctrl-A, End/Ctrl-E,
 * Backspace, Delete/Ctrl-D, Ctrl-U (delete to start), Ctrl-K (to end),
 * Ctrl-W (word back).  Enter, Esc, Tab and Up/Down are left to the screen.
 * A bracketed paste simply arrives as characters (see tui_pasting()). */
struct widget_field {
	struct secret *text; /* UTF-8, NUL-terminated; owned */
	size_t cur;          /* cursor, a byte offset at a character boundary */
	size_t max_chars;    /* characters accepted at most */
	size_t scroll;       /* first character shown (kept by draw) */
	bool masked;
	bool shown; /* a masked field currently shows its text */
};
#define WIDGET_FIELD_DEFAULT_MAX 4096

/* Make an empty field for at most `max_chars` characters (0: the default).
 * Aborts on OOM (ui/ rule). */
void widget_field_init(struct widget_field *f, size_t max_chars, bool masked);
/* Replace the text (NULL: empty); the cursor goes to the end. */
void widget_field_set(struct widget_field *f, const char *text);
/* Wipe the text and free the buffer; the field must be initialised again
 * before reuse. */
void widget_field_free(struct widget_field *f);
/* Empty the field (wiping what it held). */
void widget_field_clear(struct widget_field *f);
/* Flags for a key (TUI_HANDLED | TUI_REDRAW), 0 if not the field's. */
int widget_field_key(struct widget_field *f, int ch, bool is_char);
/* Draw on row y from x over w columns (underlined); when `focused`, the
 * terminal's cursor is placed in it (tui_show_cursor). */
void widget_field_draw(struct widget_field *f, struct tui *t, WINDOW *win, int y, int x, int w,
                       bool focused);
/* The text as it is, borrowed until the next change (do not copy a secret
 * into plain memory: use widget_field_take). */
const char *widget_field_text(const struct widget_field *f);
/* Characters in the field. */
size_t widget_field_chars(const struct widget_field *f);
/* The text with surrounding whitespace trimmed, as a new secret the caller
 * frees with secret_free(); the field is emptied (and wiped). */
struct secret *widget_field_take(struct widget_field *f);

/* ------------------------------------------------------------------ list */

/* A scrolling list of n rows with one selected.  The screen owns the rows;
 * the list only knows how many there are.  Keys: Up/Down, PgUp/PgDn, Home,
 * End (and Ctrl-P/Ctrl-N).  With a filter, the screen maps the filtered
 * rows to its own and calls widget_list_set_count() when the count
 * changes. */
struct widget_list {
	int n;   /* rows */
	int sel; /* selected row, -1 when n == 0 */
	int top; /* first row shown (kept by draw) */
	int page; /* rows shown at the last draw: PgUp/PgDn step */
};
void widget_list_init(struct widget_list *l, int n);
/* A new row count; keeps the selection in range. */
void widget_list_set_count(struct widget_list *l, int n);
/* Flags for a navigation key, 0 if not the list's. */
int widget_list_key(struct widget_list *l, int ch, bool is_char);
/* Draws row i of the list at (y, x) over w columns; `selected` for the
 * highlighted row (draw it in TUI_SELECTED, full width). */
typedef void (*widget_row_fn)(void *ctx, WINDOW *win, int i, int y, int x, int w, bool selected);
/* Draw the visible rows into (y, x, h rows, w columns), scrolled so that
 * the selection shows, with "more" marks in the last column when rows are
 * hidden above or below. */
void widget_list_draw(struct widget_list *l, struct tui *t, WINDOW *win, int y, int x, int h,
                      int w, widget_row_fn row, void *ctx);

/* Type-to-filter: a short needle the list screen matches its rows with.
 * Printable characters append, Backspace deletes, Ctrl-U clears; Esc
 * clears a non-empty filter (and is then handled). */
struct widget_filter {
	char text[64];
	size_t len;
};
int widget_filter_key(struct widget_filter *f, int ch, bool is_char);
/* Case-insensitive (ASCII) substring match; an empty filter matches all. */
bool widget_filter_match(const struct widget_filter *f, const char *s);

/* --------------------------------------------------------------- buttons */

/* A row of buttons, `labels` being N_() strings. Left/Right/Tab move the
 * focus; Enter or Space press the focused one. */
struct widget_buttons {
	const char *const *labels;
	int n;
	int focus;
};
/* Flags for a key, 0 if not theirs; *pressed = index pressed, or -1. */
int widget_buttons_key(struct widget_buttons *b, int ch, bool is_char, int *pressed);
/* Draw "[ OK ]  [ Cancel ]" centred in (y, x, w); the focused one in
 * TUI_SELECTED when `focused` (the row has the focus). */
void widget_buttons_draw(struct widget_buttons *b, struct tui *t, WINDOW *win, int y, int x, int w,
                         bool focused);

#endif
