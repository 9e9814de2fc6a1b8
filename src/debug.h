/* debug.h - trace lines for developers (AIAUTH_DEBUG), as GH_DEBUG is for gh.
 *
 *   AIAUTH_DEBUG unset, "", 0, false, no, off   nothing is traced
 *   AIAUTH_DEBUG=1 (or true, yes, on)           lines go to standard error
 *   AIAUTH_DEBUG=FILE (any other value)         lines are appended to FILE,
 *                                               created 0600; a symbolic
 *                                               link, a file that is not a
 *                                               regular file or not ours is
 *                                               refused
 *
 * A line is "aiauth[debug] SECONDS [PID] WHAT", SECONDS since the process
 * started (the first line says when that was), one write() per line so
 * that processes sharing a file do not cut each other's lines.  The lines
 * are not translated.
 *
 * The rule for callers: a trace line never holds a secret.  Never pass a
 * body, a header that carries a credential, a token, a code, a key or a
 * passphrase; pass URLs through debug_redact_url(), which keeps the scheme,
 * host and path and hides userinfo, query values and fragments.  Name
 * accounts by provider and the first 8 characters of their id, not by
 * label (labels are often emails, and debug output is meant to be pasted
 * into bug reports).
 *
 * This is the one module of the core that writes anything, and it writes
 * only when asked to.  The screens own the terminal: the front end calls
 * debug_quiet_terminal(true) before curses starts, after which nothing is
 * written to a standard error that is a terminal (a file still gets every
 * line).  Not thread-safe: aiauth has one thread. */
#ifndef AIAUTH_DEBUG_H
#define AIAUTH_DEBUG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Read a setting (the value of AIAUTH_DEBUG, or NULL) and start tracing.
 * Call once, early.  A file that cannot be used is AIAUTH_IO with *err
 * naming it (translated); tracing stays off then.  `what` is the first
 * line's subject: the program and the command ("aiauth 1.0 list"). */
enum aiauth_status debug_init(const char *setting, const char *what, struct aiauth_error **err);

/* Whether lines are written anywhere (cheap: test before building a line). */
bool debug_on(void);

/* One trace line (no newline needed; control characters become '?').
 * Does nothing when tracing is off. */
void debug_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* While `quiet` is true, lines meant for a standard error that is a
 * terminal are dropped (the screens draw there).  A file is unaffected. */
void debug_quiet_terminal(bool quiet);

/* Stop tracing and close the file (at exit; tests). */
void debug_close(void);

/* Write `url` into out[size] (always NUL-terminated, cut if too long) with
 * the userinfo, every query value and the fragment replaced by
 * "[redacted]": "https://u:p@h/p?code=x&state=y#f" gives
 * "https://[redacted]@h/p?code=[redacted]&state=[redacted]#[redacted]".  A
 * query member without '=' or with an odd name is redacted whole.  Control
 * characters become '?'.  Returns out; NULL gives "(none)". */
char *debug_redact_url(const char *url, char *out, size_t size);

/* "claude/0123abcd": how trace lines name an account. */
char *debug_account(const char *provider, const char *id, char *out, size_t size);

#endif
