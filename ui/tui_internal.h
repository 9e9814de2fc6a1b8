/* tui_internal.h - what the framework's own screens (help, dialog, the
 * passphrase modal) need from app.c beyond tui.h.  Other screens do not
 * include it. */
#ifndef AIAUTH_TUI_INTERNAL_H
#define AIAUTH_TUI_INTERNAL_H

#include "tui.h"

/* The top screen, or NULL (during `open`, the top is still the screen
 * below the one being opened). */
struct screen *tui_top(struct tui *t);
/* Apply hook flags on behalf of `s` (which may be below the top): POP
 * closes `s` wherever it is in the stack, QUIT ends, REDRAW redraws.  A
 * dialog uses it to hand its `done` result to its parent. */
void tui_apply(struct tui *t, struct screen *s, int flags);
/* The terminal is big enough for screens (80x24). */
bool tui_big_enough(void);
/* The passphrase file given on the command line, or NULL. */
const char *tui_passphrase_file(struct tui *t);
/* True once SIGINT/SIGTERM arrived (the modal's own key loop checks it). */
bool tui_interrupted(struct tui *t);
/* Turn what get_wch() returned (r, wc) into a key for a hook, through the
 * bracketed-paste rules (tui.h); false when there is nothing to deliver
 * (ERR, a paste marker, a dropped character). */
bool tui_translate_key(struct tui *t, int r, wint_t wc, int *ch, bool *is_char);
/* Show the cursor where the last draw asked (tui_show_cursor), or hide it;
 * forgets the request. */
void tui_place_cursor(struct tui *t);
/* Everything on screen must be repainted at the next draw (after a modal
 * drew outside the screens' window). */
void tui_touch(struct tui *t);

#endif
