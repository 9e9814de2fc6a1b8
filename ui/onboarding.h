/* onboarding.h - what the first-run screens (welcome, picker, method
 * chooser, key entry, connected) share, and nothing else.
 *
 * Drawing helpers take translated text and clip it to a width in columns
 * (not bytes), so a long provider name or a translated sentence never
 * spills over a column or past the right edge.  They only draw into the
 * window they are given; they are called from draw hooks, never from key
 * hooks.
 *
 * struct ob_field is a one-line input.  A secret field keeps its text in a
 * struct secret (locked, wiped when it changes size and when freed) and is
 * drawn as bullets unless the user asked to see it; a plain field (label,
 * URL, API version) is an ordinary heap string. */
#ifndef AIAUTH_ONBOARDING_H
#define AIAUTH_ONBOARDING_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"
#include "tui.h"

struct secret;

/* The rows a screen may draw on: the framework keeps the bottom row of the
 * terminal for the status line or the key bar. */
int ob_body_rows(WINDOW *win);

/* Text at (y, x), at most `width` columns, in `attr`; returns the columns
 * used. */
int ob_put(WINDOW *win, int y, int x, int width, attr_t attr, const char *text);
/* Text wrapped at spaces into at most `max_rows` rows of `width` columns;
 * returns the rows used. */
int ob_wrap(WINDOW *win, int y, int x, int width, int max_rows, attr_t attr, const char *text);
/* Width of a UTF-8 string in columns. */
int ob_width(const char *text);
/* A screen title on row 0 with a rule under it; returns the next free row. */
int ob_title(struct tui *t, WINDOW *win, const char *title);
/* A row of buttons "[ Label ]" (labels translated) from column x; the one
 * at `focus` (or none when focus < 0) is highlighted. */
void ob_buttons(struct tui *t, WINDOW *win, int y, int x, const char *const *labels, int n,
                int focus);

/* Keys the screens agree on. */
bool ob_is_enter(int ch, bool is_char);
bool ob_is_backspace(int ch, bool is_char);
bool ob_is_esc(int ch, bool is_char);
#define OB_CTRL(c) ((c) & 0x1f)

struct ob_field {
	bool is_secret;
	bool revealed;      /* secret shown in clear at the user's request */
	struct secret *sec; /* is_secret: the text (never NULL after init) */
	char *text;         /* otherwise: the text (never NULL after init) */
	size_t len, cap;
};

/* false on OOM. */
bool ob_field_init(struct ob_field *f, bool is_secret, const char *initial);
/* Wipes a secret field's text. */
void ob_field_free(struct ob_field *f);
/* Characters, Backspace, Ctrl-U (clear) and Ctrl-W (delete word, plain
 * fields only).  Returns true when the key changed or was used by the
 * field.  Control characters other than these are refused: a pasted key's
 * line break must not end up inside it. */
bool ob_field_key(struct ob_field *f, int ch, bool is_char);
/* The text (plain fields), "" when empty. */
const char *ob_field_text(const struct ob_field *f);
/* Number of characters (not bytes). */
size_t ob_field_chars(const struct ob_field *f);
/* A copy of a secret field's text with surrounding whitespace trimmed
 * (caller frees with secret_free), NULL on OOM. */
struct secret *ob_field_secret_trimmed(const struct ob_field *f);
/* Draw the field's value in `width` columns: bullets for a secret (the
 * last ones when it is longer than the box), or the tail of the text; the
 * cursor is placed after the text when `focused`. */
void ob_field_draw(struct tui *t, WINDOW *win, int y, int x, int width,
                   const struct ob_field *f, bool focused);

/* ------------------------------------------------ the onboarding flow */

/* Methods a provider offers through these screens, as a list of
 * AUTH_METHOD_* bits in display order; returns how many (at most 4). */
int ob_methods(const struct provider *p, unsigned out[4]);
/* An OAuth method that cannot be used until providers.json supplies the
 * provider's details. */
bool ob_method_needs_config(const struct provider *p, unsigned method);
/* Untranslated badge ("API key", "Browser", "Device", "Local"). */
const char *ob_method_badge(unsigned method);
/* Open the screen of `method` for `p`: key entry, device panel, browser
 * panel (paste when headless or the provider shows a code).  A method
 * needing configuration puts the provider's hint in the status line
 * instead.  Returns hook flags. */
int ob_open_method(struct tui *t, const struct provider *p, unsigned method);
/* Close every screen and show "connected"; the strings are copied. */
int ob_show_connected(struct tui *t, const struct provider *p, const char *label,
                      const char *email, bool renewed);

#endif
