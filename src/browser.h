/* browser.h - opening a URL in the person's browser, where one can open.
 *
 * Both front ends (the command line and the screens) use this, so the rule
 * is one: a browser is opened only where a display exists (DISPLAY or
 * WAYLAND_DISPLAY) and the session is not over SSH (SSH_CONNECTION); then
 * $BROWSER (its first ':'-separated entry) or xdg-open is started without a
 * shell, detached, with its output sent to /dev/null.  The URL is never a
 * secret here (it carries a PKCE challenge and a state, not a verifier). */
#ifndef AIAUTH_BROWSER_H
#define AIAUTH_BROWSER_H

#include <stdbool.h>

/* Can a browser be opened from here? */
bool browser_available(void);
/* Start the browser on `url` and return at once; false when it could not be
 * started.  Call only when browser_available(). */
bool browser_launch(const char *url);

#endif
