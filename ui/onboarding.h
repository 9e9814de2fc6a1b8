/* onboarding.h - what the first-run screens (welcome, picker, method
 * chooser, key entry, connected) share beyond widgets.h: the title line and
 * the way from a provider's methods to the screen of each. */
#ifndef AIAUTH_ONBOARDING_H
#define AIAUTH_ONBOARDING_H

#include <stdbool.h>

#include "registry.h"
#include "tui.h"

/* The rows a screen may draw on: the framework keeps the bottom row of the
 * terminal for the status line or the key bar. */
int ob_body_rows(WINDOW *win);
/* A screen title on row 0 with a rule under it; returns the next free row. */
int ob_title(struct tui *t, WINDOW *win, const char *title);
/* A row of buttons "[ Label ]" (labels already translated) from column x,
 * left-aligned (widget_buttons centres its row); the one at `focus` (none
 * when focus < 0) is highlighted. */
void ob_buttons(struct tui *t, WINDOW *win, int y, int x, const char *const *labels, int n,
                int focus);

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
