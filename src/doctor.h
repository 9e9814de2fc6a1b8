/* doctor.h - what is wrong with this machine for aiauth, and what to do.
 *
 * The doctor looks, it never repairs and never prints: every check adds
 * findings to a report, and the front end shows them.  A finding is
 *   id        a stable, untranslated name ("session-bus", "permissions")
 *             that scripts can match; several findings may share one id
 *             (one per file, one per provider, ...);
 *   severity  ok (the check passed), info (worth knowing, nothing to do),
 *             warn (something works worse than it could), error (something
 *             the user asked for cannot work until fixed);
 *   summary   one translated line saying what was found;
 *   fix       one translated line saying what to do ("" for ok findings).
 *
 * Call order: doctor_report_init(), then doctor_run() for the whole set
 * of checks on this process's environment, or any doctor_check_*() with
 * facts of the caller's own making (the unit tests do); read r->items;
 * doctor_report_clear().  The checks only read: no secret store is opened
 * (no passphrase is ever asked), and nothing on disk is changed - except
 * that loading a damaged accounts.json sets it aside, as every command
 * that reads it does (store.h).
 *
 * The checks return AIAUTH_OK, or AIAUTH_NO_MEMORY when a finding could
 * not be added: what they find is never an error of the function. */
#ifndef AIAUTH_DOCTOR_H
#define AIAUTH_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"
#include "registry.h"
#include "secretstore.h"
#include "store.h"

enum doctor_severity {
	DOCTOR_OK,    /* "ok" */
	DOCTOR_INFO,  /* "info" */
	DOCTOR_WARN,  /* "warn" */
	DOCTOR_ERROR, /* "error" */
};

struct doctor_finding {
	const char *id; /* static, untranslated */
	enum doctor_severity severity;
	char *summary; /* owned, translated, one line */
	char *fix;     /* owned, translated, one line; "" when there is nothing to do */
};

struct doctor_report {
	struct doctor_finding *items;
	size_t n;
	size_t cap;
};

#define DOCTOR_REPORT_INIT {NULL, 0, 0}

void doctor_report_init(struct doctor_report *r);
/* Frees every finding; the report is empty and reusable afterwards. */
void doctor_report_clear(struct doctor_report *r);
/* Add a finding whose summary is made from fmt.  `fix` may be NULL. */
enum aiauth_status doctor_add(struct doctor_report *r, const char *id,
                              enum doctor_severity severity, const char *fix, const char *fmt,
                              ...) __attribute__((format(printf, 5, 6)));
/* The worst severity in the report (DOCTOR_OK when empty). */
enum doctor_severity doctor_worst(const struct doctor_report *r);
/* Untranslated "ok", "info", "warn", "error". */
const char *doctor_severity_name(enum doctor_severity s);

/* ------------------------------------------------------------ the checks */

/* The session bus: `address` is $DBUS_SESSION_BUS_ADDRESS (NULL when
 * unset), `runtime_dir` $XDG_RUNTIME_DIR, where GDBus looks for "bus" when
 * the variable is unset.  A unix:path= socket that does not exist is
 * reported as missing; other transports are taken on trust.  *present
 * (optional) says whether a bus looks reachable. */
enum aiauth_status doctor_check_session_bus(struct doctor_report *r, const char *address,
                                            const char *runtime_dir, bool *present);

/* The Secret Service, from secretstore_probe_keyring()'s answer:
 * `probe_ok` and its translated reason `why` (NULL when it passed).
 * `recorded` is the backend the account store says holds the secrets (NULL:
 * none yet): a keyring that cannot be used is an error when the secrets
 * are in it, else a warning (the encrypted file stands in). */
enum aiauth_status doctor_check_keyring(struct doctor_report *r, bool probe_ok, const char *why,
                                        const char *recorded);

/* Which secret store is, or will be, used: `forced` (--store), else
 * `recorded`, else the keyring when `keyring_ok`.  The encrypted file is
 * info with how to move to the keyring; `vault_path` names it. */
enum aiauth_status doctor_check_backend(struct doctor_report *r, enum secret_backend forced,
                                        const char *recorded, bool keyring_ok,
                                        const char *vault_path);

/* The terminal: `codeset` is nl_langinfo(CODESET) in the caller's locale;
 * `rows`/`cols` are its size, 0 when standard output is not a terminal
 * (then the size is not checked). */
enum aiauth_status doctor_check_terminal(struct doctor_report *r, const char *codeset,
                                         unsigned rows, unsigned cols);

/* Can a sign-in open a browser?  The values of SSH_CONNECTION, DISPLAY,
 * WAYLAND_DISPLAY and BROWSER (NULL or "" when unset), and `path` ($PATH)
 * to look for xdg-open in. */
struct doctor_display {
	const char *ssh_connection;
	const char *display;
	const char *wayland_display;
	const char *browser;
	const char *path;
};
enum aiauth_status doctor_check_browser(struct doctor_report *r, const struct doctor_display *d);

/* Ownership and modes of aiauth's files: `config_dir` and `data_dir`
 * 0700, accounts.json, pending-login.json (in config_dir) and vault.bin
 * (in data_dir) 0600, all owned by `uid`.  What does not exist is fine.
 * Readable by others: warn; writable by others, or owned by someone
 * else: error.  Symbolic links are not followed (and are reported). */
enum aiauth_status doctor_check_files(struct doctor_report *r, const char *config_dir,
                                      const char *data_dir, uid_t uid);

/* The OAuth accounts of `store` at time `now` (Unix seconds): needs
 * sign-in (error), the last refresh failed (warn), the access token
 * expired or expires within 5 minutes (warn). */
enum aiauth_status doctor_check_tokens(struct doctor_report *r, const struct store *store,
                                       int64_t now);

/* Is the keep-alive timer enabled?  `config_home` is $XDG_CONFIG_HOME
 * (systemd's user units are linked under config_home/systemd/user); only
 * looked at when the store holds OAuth accounts.  With the file backend
 * the service also needs AIAUTH_PASSPHRASE_FILE, said in the fix. */
enum aiauth_status doctor_check_keepalive(struct doctor_report *r, const struct store *store,
                                          const char *config_home, bool file_backend);

/* Clock skew against the Date header of every provider that has accounts
 * (the account's base URL, else the provider's; each URL once), asked at
 * the same time on `loop` with GETs of at most timeout_ms (<= 0: 3000).
 * More than 60 s apart is a warning; an unreachable server is info.
 * Servers on this machine (loopback URLs: local model servers) share its
 * clock and are skipped unless `loopback` (the tests' servers). */
enum aiauth_status doctor_check_clock(struct doctor_report *r, struct loop *loop,
                                      const struct registry *reg, const struct store *store,
                                      int timeout_ms, bool loopback);
#define DOCTOR_MAX_SKEW_S 60

/* An HTTP date (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT",
 * also the obsolete RFC 850 and asctime forms) in Unix seconds, whatever
 * the locale.  False when it is not one. */
bool doctor_parse_http_date(const char *s, int64_t *out);

/* ------------------------------------------------------------ everything */

struct doctor_options {
	enum secret_backend forced_backend; /* --store, or SECRET_BACKEND_AUTO */
	const char *passphrase_file; /* --passphrase-file; NULL: $AIAUTH_PASSPHRASE_FILE */
	int tty_fd;                  /* whose size to check (stdout), or -1 */
	int probe_timeout_ms;        /* keyring probe; <= 0: 2000 */
	int http_timeout_ms;         /* clock checks; <= 0: 3000 */
	bool no_network;             /* skip the clock check */
};

/* Every check above on this process's environment and files.  Problems
 * loading providers.json or accounts.json become findings too, so the
 * only errors returned are AIAUTH_NO_MEMORY and a loop that cannot be
 * made. */
enum aiauth_status doctor_run(const struct doctor_options *opts, struct doctor_report *r,
                              struct aiauth_error **err);

#endif
