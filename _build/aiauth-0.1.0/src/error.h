/* error.h - statuses and error details of the core.
 *
 * Every core function that can fail returns an enum aiauth_status (AIAUTH_OK
 * is 0) and, when given a non-NULL `struct aiauth_error **err` whose target is
 * NULL, fills it with one human-readable line.  The caller owns *err and frees
 * it with error_clear().  The core never prints and never exits: the CLI and
 * the screens decide how to show an error.
 *
 * Messages never contain secret values. */
#ifndef AIAUTH_ERROR_H
#define AIAUTH_ERROR_H

#include <stdarg.h>

#include "i18n.h"

/* X(NAME, EXIT_STATUS, SHORT_DESCRIPTION)
 * The exit status is what the command line returns for an error of that
 * kind; the man page and the README document the same table. */
#define AIAUTH_STATUSES(X)                                                    \
	X(OK, 0, N_("success"))                                                   \
	X(FAILED, 1, N_("failed"))                                                \
	X(NO_MEMORY, 1, N_("out of memory"))                                      \
	X(IO, 1, N_("input/output error"))                                        \
	X(CORRUPT, 1, N_("corrupt or unreadable data"))                           \
	X(NOT_FOUND, 1, N_("not found"))                                          \
	X(UNSUPPORTED, 1, N_("not supported"))                                    \
	X(USAGE, 2, N_("bad usage"))                                              \
	X(NOT_CONFIGURED, 3, N_("not configured"))                                \
	X(NEEDS_SIGNIN, 4, N_("needs sign-in"))                                   \
	X(BACKEND, 5, N_("secret store unavailable"))                             \
	X(BAD_PASSPHRASE, 5, N_("wrong passphrase"))                              \
	X(NETWORK, 6, N_("network error"))                                        \
	X(TLS, 6, N_("TLS error"))                                                \
	X(TIMEOUT, 6, N_("timed out"))                                            \
	X(REJECTED, 7, N_("credential rejected"))                                 \
	X(DENIED, 8, N_("access denied"))                                         \
	X(EXPIRED, 9, N_("expired"))                                              \
	X(CANCELLED, 10, N_("cancelled"))

enum aiauth_status {
#define AIAUTH_STATUS_ENUM(name, exit_status, text) AIAUTH_##name,
	AIAUTH_STATUSES(AIAUTH_STATUS_ENUM)
#undef AIAUTH_STATUS_ENUM
	AIAUTH_STATUS_COUNT
};

struct aiauth_error {
	enum aiauth_status status;
	char message[512];
};

/* Fill *err (when err and *err is NULL) and return `status`, so callers can
 * write `return error_set(err, AIAUTH_IO, _("cannot read %s: %s"), ...)`.
 * An error already set is kept: the innermost cause is the most precise. */
enum aiauth_status error_set(struct aiauth_error **err, enum aiauth_status status,
                             const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put context in front of an existing message ("reading providers.json: ").
 * Does nothing when there is no error. */
void error_prefix(struct aiauth_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Free *err and set it to NULL. */
void error_clear(struct aiauth_error **err);

/* Untranslated short description of a status (translate with _()). */
const char *status_text(enum aiauth_status status);

/* Command-line exit status for a status. */
int status_exit_code(enum aiauth_status status);

#endif
