/* doctor.c - the checks behind "aiauth doctor" (contract in doctor.h).
 *
 * Each check turns facts into findings; doctor_run() gathers the facts of
 * this process (environment variables, the files, a keyring probe, the
 * Date headers of the providers in use) and calls them in the order a
 * person reads the result: the keyring and where secrets are, the
 * terminal and the browser, the files, the accounts, the clock. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"
#include "fsutil.h"
#include "http.h"
#include "oauth_pkce.h"

#define NEAR_EXPIRY_S 300

/* ------------------------------------------------------------ the report */

void doctor_report_init(struct doctor_report *r)
{
	r->items = NULL;
	r->n = r->cap = 0;
}

void doctor_report_clear(struct doctor_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].summary);
		free(r->items[i].fix);
	}
	free(r->items);
	doctor_report_init(r);
}

enum aiauth_status doctor_add(struct doctor_report *r, const char *id,
                              enum doctor_severity severity, const char *fix, const char *fmt,
                              ...)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct doctor_finding *grown = realloc(r->items, cap * sizeof(*grown));
		if (!grown)
			return AIAUTH_NO_MEMORY;
		r->items = grown;
		r->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return AIAUTH_NO_MEMORY;
	char *summary = malloc((size_t)len + 1);
	char *fix_copy = strdup(fix ? fix : "");
	if (!summary || !fix_copy) {
		free(summary);
		free(fix_copy);
		return AIAUTH_NO_MEMORY;
	}
	va_start(ap, fmt);
	vsnprintf(summary, (size_t)len + 1, fmt, ap);
	va_end(ap);
	r->items[r->n++] = (struct doctor_finding){id, severity, summary, fix_copy};
	return AIAUTH_OK;
}

enum doctor_severity doctor_worst(const struct doctor_report *r)
{
	enum doctor_severity worst = DOCTOR_OK;
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].severity > worst)
			worst = r->items[i].severity;
	return worst;
}

const char *doctor_severity_name(enum doctor_severity s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_INFO:
		return "info";
	case DOCTOR_WARN:
		return "warn";
	case DOCTOR_ERROR:
		return "error";
	}
	return "?";
}

/* A fix made from a format, into the caller's buffer of FIX_MAX bytes
 * (doctor_add copies it). */
#define FIX_MAX 1024
__attribute__((format(printf, 2, 3))) static const char *fixf(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, FIX_MAX, fmt, ap);
	va_end(ap);
	return buf;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/* ------------------------------------------------------------ session bus */

/* Undo D-Bus's %XX escapes in an address value; NULL on OOM. */
static char *bus_unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		char hex[3] = {0};
		if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			if (sscanf(hex, "%2x", &v) == 1 && v != 0) {
				out[o++] = (char)v;
				i += 2;
				continue;
			}
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* The socket of one address ("unix:path=/run/user/1000/bus,guid=..."):
 * *path is NULL when the address is of another kind. */
static enum aiauth_status bus_unix_path(const char *addr, size_t len, char **path)
{
	*path = NULL;
	if (len < 5 || strncmp(addr, "unix:", 5) != 0)
		return AIAUTH_OK;
	const char *end = addr + len;
	for (const char *k = addr + 5; k < end;) {
		size_t klen = 0;
		while (k + klen < end && k[klen] != ',')
			klen++;
		if (klen > 5 && strncmp(k, "path=", 5) == 0) {
			*path = bus_unescape(k + 5, klen - 5);
			return *path ? AIAUTH_OK : AIAUTH_NO_MEMORY;
		}
		k += klen + 1;
	}
	return AIAUTH_OK;
}

static bool is_socket(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

enum aiauth_status doctor_check_session_bus(struct doctor_report *r, const char *address,
                                            const char *runtime_dir, bool *present)
{
	const char *fix = _("the desktop keyring needs a session bus: log in to a desktop session, "
	                    "or start one with 'dbus-run-session -- $SHELL'; until then aiauth "
	                    "keeps secrets in the encrypted file");
	bool found = false;
	enum aiauth_status st = AIAUTH_OK;
	if (empty(address)) {
		/* GDBus, and so libsecret, falls back to $XDG_RUNTIME_DIR/bus. */
		char *bus = !empty(runtime_dir) ? path_join(runtime_dir, "bus") : NULL;
		if (!empty(runtime_dir) && !bus)
			return AIAUTH_NO_MEMORY;
		found = bus && is_socket(bus);
		if (found)
			st = doctor_add(r, "session-bus", DOCTOR_OK, NULL,
			                _("the session bus is at %s"), bus);
		else
			st = doctor_add(r, "session-bus", DOCTOR_WARN, fix, "%s",
			                _("no session bus: DBUS_SESSION_BUS_ADDRESS is not set"));
		free(bus);
	} else {
		/* Addresses are tried in order, separated by ';'.  Only unix:path=
		 * can be checked without connecting; the rest is taken on trust. */
		char *missing = NULL;
		for (const char *p = address; *p && !found;) {
			size_t len = strcspn(p, ";");
			char *file = NULL;
			if (bus_unix_path(p, len, &file) != AIAUTH_OK) {
				free(missing);
				return AIAUTH_NO_MEMORY;
			}
			if (file && is_socket(file))
				found = true;
			else if (!file && len > 0)
				found = true;
			if (file && !found && !missing)
				missing = file;
			else
				free(file);
			p += len;
			if (*p == ';')
				p++;
		}
		if (found)
			st = doctor_add(r, "session-bus", DOCTOR_OK, NULL,
			                _("the session bus is at %s"), address);
		else
			st = doctor_add(r, "session-bus", DOCTOR_WARN, fix,
			                _("no session bus: %s does not exist"),
			                missing ? missing : address);
		free(missing);
	}
	if (present)
		*present = found;
	return st;
}

/* ---------------------------------------------------------------- keyring */

enum aiauth_status doctor_check_keyring(struct doctor_report *r, bool probe_ok, const char *why,
                                        const char *recorded)
{
	bool in_keyring = recorded && strcmp(recorded, "keyring") == 0;
	bool in_file = recorded && strcmp(recorded, "file") == 0;
	if (probe_ok)
		return doctor_add(r, "secret-service", DOCTOR_OK, NULL, "%s",
		                  _("a Secret Service answers and its default collection is unlocked"));
	if (!why)
		why = _("the Secret Service cannot be used");
	/* The keyring holding the secrets is out of reach: nothing works until
	 * it is back (or the secrets move).  Otherwise the file stands in. */
	enum doctor_severity sev = in_keyring ? DOCTOR_ERROR : in_file ? DOCTOR_INFO : DOCTOR_WARN;
	/* The reasons are secretstore_probe_keyring()'s, translated in this
	 * same process, so comparing the translations is exact. */
	if (strcmp(why, _("no session bus")) == 0) {
		if (!in_keyring)
			return AIAUTH_OK; /* the session-bus finding said it */
		return doctor_add(r, "secret-service", DOCTOR_ERROR,
		                  _("run aiauth in your desktop session (or one with a session bus "
		                    "and the keyring unlocked), or move the secrets there with "
		                    "'aiauth store migrate --to file'"),
		                  "%s", _("your secrets are in the desktop keyring, which cannot be "
		                          "reached without a session bus"));
	}
	if (strcmp(why, _("the keyring is locked")) == 0)
		return doctor_add(r, "keyring-locked", sev,
		                  _("unlock the login keyring (log in to the desktop, or open Seahorse "
		                    "and unlock it); aiauth never asks to unlock it itself"),
		                  "%s", _("the default keyring collection is locked"));
	if (strcmp(why, _("no default keyring collection")) == 0)
		return doctor_add(r, "keyring-collection", sev,
		                  _("create a default keyring, for example in Seahorse (Passwords and "
		                    "Keys), or use the encrypted file"),
		                  "%s", why);
	if (strcmp(why, _("no Secret Service on the session bus")) == 0)
		return doctor_add(r, "secret-service", sev,
		                  _("install and start a keyring that speaks the Secret Service API "
		                    "(apt-get install gnome-keyring), or use the encrypted file "
		                    "('--store file')"),
		                  "%s", why);
	return doctor_add(r, "secret-service", sev,
	                  _("check that the keyring daemon is running and answering "
	                    "(gnome-keyring-daemon, KeePassXC's Secret Service integration)"),
	                  _("the desktop keyring cannot be used: %s"), why);
}

enum aiauth_status doctor_check_backend(struct doctor_report *r, enum secret_backend forced,
                                        const char *recorded, bool keyring_ok,
                                        const char *vault_path)
{
	enum secret_backend b = forced;
	if (b == SECRET_BACKEND_AUTO && recorded && !secret_backend_parse(recorded, &b))
		b = SECRET_BACKEND_AUTO;
	bool chosen = b != SECRET_BACKEND_AUTO;
	if (!chosen)
		b = keyring_ok ? SECRET_BACKEND_KEYRING : SECRET_BACKEND_FILE;
	if (!vault_path)
		vault_path = "vault.bin";
	if (b == SECRET_BACKEND_KEYRING)
		return doctor_add(r, "backend", DOCTOR_OK, NULL, "%s",
		                  chosen ? _("secrets are kept in the desktop keyring")
		                         : _("no secrets yet; they will be kept in the desktop keyring"));
	const char *fix =
		keyring_ok ? _("a keyring is available: move the secrets there with "
		               "'aiauth store migrate --to keyring'")
		           : _("where a keyring is available, move the secrets there with 'aiauth store "
		               "migrate --to keyring'; unattended use (the refresh timer) needs "
		               "AIAUTH_PASSPHRASE_FILE");
	if (chosen)
		return doctor_add(r, "backend", DOCTOR_INFO, fix,
		                  _("secrets are kept in the encrypted file %s"), vault_path);
	return doctor_add(r, "backend", DOCTOR_INFO, fix,
	                  _("no secrets yet; they will be kept in the encrypted file %s"), vault_path);
}

/* --------------------------------------------------------------- terminal */

static bool codeset_is_utf8(const char *codeset)
{
	char norm[16];
	size_t n = 0;
	for (const char *p = codeset; p && *p && n + 1 < sizeof(norm); p++)
		if (*p != '-' && *p != '_')
			norm[n++] = *p;
	norm[n] = '\0';
	return strcasecmp(norm, "UTF8") == 0;
}

enum aiauth_status doctor_check_terminal(struct doctor_report *r, const char *codeset,
                                         unsigned rows, unsigned cols)
{
	enum aiauth_status st;
	if (codeset_is_utf8(codeset))
		st = doctor_add(r, "terminal-charset", DOCTOR_OK, NULL, "%s",
		                _("the locale's character set is UTF-8"));
	else
		st = doctor_add(r, "terminal-charset", DOCTOR_WARN,
		                _("use a UTF-8 locale, for example 'export LANG=C.UTF-8' (see "
		                  "'locale -a'); until then the screens draw with ASCII"),
		                _("the locale's character set is %s, not UTF-8"),
		                empty(codeset) ? "?" : codeset);
	if (st != AIAUTH_OK || rows == 0 || cols == 0)
		return st;
	if (rows < 24 || cols < 80)
		return doctor_add(r, "terminal-size", DOCTOR_WARN,
		                  _("make the window at least 80 columns wide and 24 rows high for "
		                    "the screens"),
		                  _("the terminal is %u columns by %u rows, smaller than 80x24"), cols,
		                  rows);
	return doctor_add(r, "terminal-size", DOCTOR_OK, NULL,
	                  _("the terminal is %u columns by %u rows"), cols, rows);
}

/* ---------------------------------------------------------------- browser */

/* Is `prog` (a name, or a path with a '/') an executable, searching `path`? */
static bool find_program(const char *prog, const char *path)
{
	if (empty(prog))
		return false;
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (const char *p = path ? path : ""; *p;) {
		size_t len = strcspn(p, ":");
		char file[4096];
		if (len > 0 &&
		    snprintf(file, sizeof(file), "%.*s/%s", (int)len, p, prog) < (int)sizeof(file) &&
		    access(file, X_OK) == 0)
			return true;
		p += len;
		if (*p == ':')
			p++;
	}
	return false;
}

enum aiauth_status doctor_check_browser(struct doctor_report *r, const struct doctor_display *d)
{
	const char *headless_fix =
		_("sign in with 'aiauth login PROVIDER --device' (or --paste) and open the URL it "
		  "prints on any machine with a browser");
	if (!empty(d->ssh_connection))
		return doctor_add(r, "display", DOCTOR_INFO, headless_fix, "%s",
		                  _("this is an SSH session: aiauth will not open a browser here"));
	if (empty(d->display) && empty(d->wayland_display))
		return doctor_add(r, "display", DOCTOR_INFO, headless_fix, "%s",
		                  _("there is no display (DISPLAY and WAYLAND_DISPLAY are unset): "
		                    "aiauth will not open a browser"));
	if (!empty(d->browser)) {
		/* aiauth runs the first entry of the colon-separated list, as a
		 * program without a shell (login_browser.c). */
		size_t len = strcspn(d->browser, ":");
		char prog[1024];
		snprintf(prog, sizeof(prog), "%.*s", (int)len, d->browser);
		if (find_program(prog, d->path))
			return doctor_add(r, "browser", DOCTOR_OK, NULL,
			                  _("the browser is opened with %s (BROWSER)"), prog);
		return doctor_add(r, "browser", DOCTOR_WARN,
		                  _("set BROWSER to a browser program in PATH, or unset it to use "
		                    "xdg-open; the URL is always printed as well"),
		                  _("BROWSER names %s, which is not an executable program"), prog);
	}
	if (find_program("xdg-open", d->path))
		return doctor_add(r, "browser", DOCTOR_OK, NULL, "%s",
		                  _("the browser is opened with xdg-open"));
	return doctor_add(r, "browser", DOCTOR_WARN,
	                  _("install xdg-utils (apt-get install xdg-utils) or set BROWSER; the URL "
	                    "is always printed as well"),
	                  "%s", _("no browser can be opened: BROWSER is unset and xdg-open is not "
	                          "in PATH"));
}

/* ------------------------------------------------------------------ files */

/* One file or directory; *problems is incremented for each finding. */
static enum aiauth_status check_path(struct doctor_report *r, const char *path, bool dir,
                                     mode_t want, uid_t uid, int *problems)
{
	char fix[FIX_MAX];
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return AIAUTH_OK;
		(*problems)++;
		return doctor_add(r, "permissions", DOCTOR_WARN,
		                  _("check the directories above it"), _("cannot look at %s: %s"), path,
		                  strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		(*problems)++;
		return doctor_add(r, "permissions", DOCTOR_WARN,
		                  _("put the real file or directory in its place: aiauth does not "
		                    "follow links for its own files"),
		                  _("%s is a symbolic link"), path);
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		(*problems)++;
		return doctor_add(r, "permissions", DOCTOR_ERROR,
		                  _("move it out of the way; aiauth makes it again"),
		                  dir ? _("%s is not a directory") : _("%s is not a regular file"), path);
	}
	if (st.st_uid != uid) {
		(*problems)++;
		return doctor_add(r, "permissions", DOCTOR_ERROR,
		                  fixf(fix, _("make it yours: 'sudo chown %lu %s'"), (unsigned long)uid,
		                       path),
		                  _("%s belongs to user %lu, not to you (%lu)"), path,
		                  (unsigned long)st.st_uid, (unsigned long)uid);
	}
	mode_t mode = st.st_mode & 07777;
	if ((mode & ~want) == 0)
		return AIAUTH_OK;
	(*problems)++;
	/* Others who can write can replace what aiauth reads (the providers
	 * it sends keys to, the vault); others who can read learn labels,
	 * emails and, for the vault, get a copy to attack offline. */
	enum doctor_severity sev = mode & 0022 ? DOCTOR_ERROR : DOCTOR_WARN;
	return doctor_add(r, "permissions", sev, fixf(fix, _("chmod %o %s"), (unsigned)want, path),
	                  _("%s has mode %04o; it should be %04o"), path, (unsigned)mode,
	                  (unsigned)want);
}

enum aiauth_status doctor_check_files(struct doctor_report *r, const char *config_dir,
                                      const char *data_dir, uid_t uid)
{
	struct {
		const char *dir, *name;
		bool is_dir;
		mode_t mode;
	} files[] = {
		{config_dir, NULL, true, 0700},
		{config_dir, "accounts.json", false, 0600},
		{config_dir, OAUTH_PKCE_PENDING_FILE, false, 0600},
		{config_dir, "locks", true, 0700},
		{data_dir, NULL, true, 0700},
		{data_dir, "vault.bin", false, 0600},
	};
	int problems = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i].dir)
			continue;
		char *path = files[i].name ? path_join(files[i].dir, files[i].name) : strdup(files[i].dir);
		if (!path)
			return AIAUTH_NO_MEMORY;
		enum aiauth_status st = check_path(r, path, files[i].is_dir, files[i].mode, uid, &problems);
		free(path);
		if (st != AIAUTH_OK)
			return st;
	}
	if (problems)
		return AIAUTH_OK;
	return doctor_add(r, "permissions", DOCTOR_OK, NULL, "%s",
	                  _("aiauth's files and directories are yours and private"));
}

/* ----------------------------------------------------------------- tokens */

enum aiauth_status doctor_check_tokens(struct doctor_report *r, const struct store *store,
                                       int64_t now)
{
	size_t oauth = 0, fine = 0;
	char fix[FIX_MAX];
	enum aiauth_status st = AIAUTH_OK;
	for (size_t i = 0; st == AIAUTH_OK && store && i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		if (a->kind != ACCOUNT_OAUTH)
			continue;
		oauth++;
		if (a->status == ACCOUNT_STATUS_NEEDS_SIGNIN) {
			st = doctor_add(r, "sign-in", DOCTOR_ERROR,
			                fixf(fix, _("sign in again: 'aiauth login %s'"), a->provider),
			                _("the %s account \"%s\" needs to sign in again"), a->provider,
			                a->label);
			continue;
		}
		if (a->status == ACCOUNT_STATUS_REFRESH_FAILED) {
			st = doctor_add(r, "refresh", DOCTOR_WARN,
			                fixf(fix,
			                     _("try again with 'aiauth refresh %s'; if it keeps failing, "
			                       "sign in again with 'aiauth login %s'"),
			                     a->provider, a->provider),
			                _("the last refresh of the %s account \"%s\" failed: %s"),
			                a->provider, a->label,
			                a->last_refresh_outcome ? a->last_refresh_outcome : _("no reason kept"));
			continue;
		}
		if (a->expires_at > 0 && a->expires_at - now < NEAR_EXPIRY_S) {
			fixf(fix, _("refresh it with 'aiauth refresh %s' (token, env and exec refresh it "
			            "by themselves; the aiauth-refresh.timer keeps it fresh)"),
			     a->provider);
			long long left = (long long)(a->expires_at - now);
			if (left <= 0)
				st = doctor_add(r, "token-expiry", DOCTOR_WARN, fix,
				                _("the access token of the %s account \"%s\" has expired"),
				                a->provider, a->label);
			else
				st = doctor_add(r, "token-expiry", DOCTOR_WARN, fix,
				                _("the access token of the %s account \"%s\" expires in %lld s"),
				                a->provider, a->label, left);
			continue;
		}
		fine++;
	}
	if (st == AIAUTH_OK && oauth > 0 && fine == oauth)
		st = doctor_add(r, "tokens", DOCTOR_OK, NULL,
		                _("every OAuth account (%zu) is signed in, its token valid for more "
		                  "than 5 minutes"),
		                oauth);
	return st;
}

enum aiauth_status doctor_check_keepalive(struct doctor_report *r, const struct store *store,
                                          const char *config_home, bool file_backend)
{
	bool oauth = false;
	for (size_t i = 0; store && i < store->n_accounts; i++)
		oauth = oauth || store->accounts[i].kind == ACCOUNT_OAUTH;
	if (!oauth)
		return AIAUTH_OK;
	static const char wants[] = "systemd/user/timers.target.wants/aiauth-refresh.timer";
	bool enabled = false;
	struct stat st;
	if (!empty(config_home)) {
		char *link = path_join(config_home, wants);
		if (!link)
			return AIAUTH_NO_MEMORY;
		enabled = lstat(link, &st) == 0;
		free(link);
	}
	/* An administrator may have enabled it for every user. */
	enabled = enabled || lstat("/etc/systemd/user/timers.target.wants/aiauth-refresh.timer",
	                           &st) == 0;
	if (enabled)
		return doctor_add(r, "keep-alive", DOCTOR_OK, NULL, "%s",
		                  file_backend ? _("the keep-alive timer is enabled (its service "
		                                   "needs AIAUTH_PASSPHRASE_FILE for the encrypted "
		                                   "file, see aiauth(1))")
		                               : _("the keep-alive timer is enabled"));
	return doctor_add(r, "keep-alive", DOCTOR_INFO,
	                  file_backend
	                      ? _("enable it with 'systemctl --user enable --now "
	                          "aiauth-refresh.timer', after giving the service "
	                          "AIAUTH_PASSPHRASE_FILE (see aiauth(1), KEEP-ALIVE)")
	                      : _("enable it with 'systemctl --user enable --now "
	                          "aiauth-refresh.timer'"),
	                  "%s", _("the keep-alive timer is not enabled: OAuth tokens are refreshed "
	                          "only when used"));
}

/* ------------------------------------------------------------------ clock */

static int month_index(const char *m)
{
	static const char names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	for (int i = 0; i < 12; i++)
		if (strcmp(m, names[i]) == 0)
			return i;
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): timegm() without the locale or TZ in the way. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

bool doctor_parse_http_date(const char *s, int64_t *out)
{
	if (!s)
		return false;
	char mon[4] = "", zone[4] = "";
	int d = 0, y = 0, H = 0, M = 0, S = 0, end = 0;
	const char *comma = strchr(s, ',');
	if (comma) {
		if (sscanf(comma + 1, " %2d %3s %4d %2d:%2d:%2d %3s%n", &d, mon, &y, &H, &M, &S, zone,
		           &end) == 7) {
			/* IMF-fixdate */
		} else if (sscanf(comma + 1, " %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3s%n", &d, mon, &y, &H,
		                  &M, &S, zone, &end) == 7) {
			/* RFC 850: a two-digit year more than 50 years ahead is in the past. */
			y += y < 70 ? 2000 : 1900;
		} else {
			return false;
		}
		if (strcmp(zone, "GMT") != 0 || comma[1 + end] != '\0')
			return false;
	} else {
		char wday[4];
		if (sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wday, mon, &d, &H, &M, &S, &y, &end) != 7 ||
		    s[end] != '\0')
			return false;
	}
	int m = month_index(mon);
	if (m < 0 || d < 1 || d > 31 || H > 23 || M > 59 || S > 60 || y < 1970 || H < 0 || M < 0 ||
	    S < 0)
		return false;
	*out = days_from_civil(y, (unsigned)m + 1, (unsigned)d) * 86400 + H * 3600 + M * 60 + S;
	return true;
}

struct clock_probe {
	char *url;
	struct http_transfer *t;
	bool done;
	enum http_outcome outcome;
	char *date;
	char *error;
	int64_t local; /* CLOCK_REALTIME seconds when the answer arrived */
	size_t *pending;
};

static void clock_done(void *ctx, const struct http_response *resp)
{
	struct clock_probe *c = ctx;
	c->done = true;
	c->t = NULL;
	c->outcome = resp->outcome;
	c->local = (int64_t)time(NULL);
	c->date = resp->date ? strdup(resp->date) : NULL;
	c->error = resp->error ? strdup(resp->error) : NULL;
	(*c->pending)--;
}

/* "api.openai.com" out of "https://api.openai.com/v1" (into buf). */
static const char *url_host(const char *url, char *buf, size_t n)
{
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	snprintf(buf, n, "%.*s", (int)strcspn(h, "/?#"), h);
	return buf;
}

enum aiauth_status doctor_check_clock(struct doctor_report *r, struct loop *loop,
                                      const struct registry *reg, const struct store *store,
                                      int timeout_ms, bool loopback)
{
	if (!store || !reg || store->n_accounts == 0)
		return AIAUTH_OK;
	if (timeout_ms <= 0)
		timeout_ms = 3000;
	struct clock_probe *probes = calloc(store->n_accounts, sizeof(*probes));
	if (!probes)
		return AIAUTH_NO_MEMORY;
	size_t n = 0, pending = 0;
	enum aiauth_status st = AIAUTH_OK;
	for (size_t i = 0; i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		const struct provider *p = registry_find(reg, a->provider);
		const char *url = a->base_url ? a->base_url : p ? p->base_url : NULL;
		if (!url || http_url_problem(url) || (!loopback && http_url_is_loopback(url)))
			continue;
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(probes[k].url, url) == 0;
		if (seen)
			continue;
		struct clock_probe *c = &probes[n];
		c->url = strdup(url);
		if (!c->url) {
			st = AIAUTH_NO_MEMORY;
			goto out;
		}
		n++;
		c->pending = &pending;
		/* Any answer carries a Date, a 404 as well as a 200: the base URL
		 * needs no credential for that (and none is sent). */
		struct http_request req = {
			.method = "GET",
			.url = url,
			.connect_timeout_ms = timeout_ms,
			.timeout_ms = timeout_ms,
			.max_body = 64 * 1024,
		};
		struct aiauth_error *e = NULL;
		c->t = http_start(loop, &req, clock_done, c, &e);
		if (!c->t) {
			c->done = true;
			c->outcome = HTTP_FAILED;
			c->error = strdup(e && e->message[0] ? e->message : _("failed"));
			error_clear(&e);
			continue;
		}
		pending++;
	}
	/* Each transfer ends by its own timeout; stop early only if the loop
	 * itself fails. */
	while (pending > 0) {
		struct aiauth_error *e = NULL;
		if (loop_run_once(loop, 1000, &e) != AIAUTH_OK) {
			error_clear(&e);
			break;
		}
	}
	for (size_t k = 0; st == AIAUTH_OK && k < n; k++) {
		struct clock_probe *c = &probes[k];
		char host[256];
		url_host(c->url, host, sizeof(host));
		int64_t server;
		if (!c->done || !doctor_parse_http_date(c->date, &server)) {
			const char *why = !c->done          ? _("no answer")
			                  : c->outcome == HTTP_DONE ? _("no Date header in the answer")
			                  : c->error          ? c->error
			                                      : _("no answer");
			st = doctor_add(r, "clock", DOCTOR_INFO, NULL,
			                _("could not compare the clock with %s: %s"), host, why);
			continue;
		}
		long long skew = (long long)(c->local - server);
		long long mag = skew < 0 ? -skew : skew;
		if (mag > DOCTOR_MAX_SKEW_S)
			st = doctor_add(r, "clock", DOCTOR_WARN,
			                _("set the clock right, for example with 'timedatectl set-ntp "
			                  "true': tokens and sign-in codes are checked against it"),
			                skew > 0 ? _("this computer's clock is %lld s ahead of %s")
			                         : _("this computer's clock is %lld s behind %s"),
			                mag, host);
		else
			st = doctor_add(r, "clock", DOCTOR_OK, NULL,
			                _("the clock agrees with %s (%+lld s)"), host, skew);
	}
out:
	for (size_t k = 0; k < n; k++) {
		if (probes[k].t)
			http_cancel(probes[k].t);
		free(probes[k].url);
		free(probes[k].date);
		free(probes[k].error);
	}
	free(probes);
	return st;
}

/* ------------------------------------------------------------- everything */

/* A passphrase file holds the key to the vault: the same rules as the vault. */
static enum aiauth_status check_passphrase_file(struct doctor_report *r, const char *path,
                                                uid_t uid)
{
	struct stat st;
	if (empty(path))
		return AIAUTH_OK;
	if (stat(path, &st) != 0)
		return doctor_add(r, "passphrase-file", DOCTOR_ERROR,
		                  _("create it (mode 0600, the passphrase on one line) or unset "
		                    "AIAUTH_PASSPHRASE_FILE"),
		                  _("the passphrase file %s cannot be read: %s"), path, strerror(errno));
	int problems = 0;
	enum aiauth_status s = check_path(r, path, false, 0600, uid, &problems);
	if (s == AIAUTH_OK && problems == 0)
		s = doctor_add(r, "passphrase-file", DOCTOR_OK, NULL,
		               _("the passphrase file %s is yours and private"), path);
	return s;
}

enum aiauth_status doctor_run(const struct doctor_options *opts, struct doctor_report *r,
                              struct aiauth_error **err)
{
	struct doctor_options none = {.forced_backend = SECRET_BACKEND_AUTO, .tty_fd = -1};
	if (!opts)
		opts = &none;
	enum aiauth_status st = AIAUTH_OK;
	char *config_dir = NULL, *data_dir = NULL, *vault = NULL, *why = NULL;
	struct registry *reg = NULL;
	struct store *store = NULL;
	struct loop *loop = NULL;
	struct aiauth_error *e = NULL;
#define ADD(call)                        \
	do {                                 \
		if ((st = (call)) != AIAUTH_OK) \
			goto out;                    \
	} while (0)

	if (paths_config_dir(&config_dir, &e) != AIAUTH_OK ||
	    paths_data_dir(&data_dir, &e) != AIAUTH_OK) {
		ADD(doctor_add(r, "paths", DOCTOR_ERROR, _("set HOME, or XDG_CONFIG_HOME and "
		                                           "XDG_DATA_HOME, to absolute paths"),
		               "%s", e ? e->message : _("failed")));
		error_clear(&e);
	}
	vault = data_dir ? path_join(data_dir, "vault.bin") : NULL;
	if (registry_load(NULL, &reg, &e) != AIAUTH_OK) {
		ADD(doctor_add(r, "providers", DOCTOR_ERROR,
		               _("correct providers.json (its rules are in the README and in "
		                 "aiauth(1)) and run 'aiauth doctor' again"),
		               "%s", e ? e->message : _("failed")));
		error_clear(&e);
	}
	if (config_dir && store_load(config_dir, &store, &e) != AIAUTH_OK) {
		ADD(doctor_add(r, "accounts", DOCTOR_ERROR,
		               e && e->status == AIAUTH_CORRUPT
		                   ? _("the damaged file was set aside and will not be overwritten; "
		                       "add the accounts again or restore it from a backup")
		                   : _("upgrade aiauth, or restore a copy of accounts.json it can read"),
		               "%s", e ? e->message : _("failed")));
		error_clear(&e);
	}
	const char *recorded = store ? store->secret_backend : NULL;

	bool bus = false;
	ADD(doctor_check_session_bus(r, getenv("DBUS_SESSION_BUS_ADDRESS"),
	                             getenv("XDG_RUNTIME_DIR"), &bus));
	bool keyring_ok = false;
	if (bus) {
		keyring_ok = secretstore_probe_keyring(opts->probe_timeout_ms, &why) == AIAUTH_OK;
	} else {
		why = strdup(_("no session bus"));
		if (!why)
			ADD(AIAUTH_NO_MEMORY);
	}
	ADD(doctor_check_keyring(r, keyring_ok, why, recorded));
	ADD(doctor_check_backend(r, opts->forced_backend, recorded, keyring_ok, vault));

	unsigned rows = 0, cols = 0;
	struct winsize ws;
	if (opts->tty_fd >= 0 && isatty(opts->tty_fd) && ioctl(opts->tty_fd, TIOCGWINSZ, &ws) == 0) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	ADD(doctor_check_terminal(r, nl_langinfo(CODESET), rows, cols));
	struct doctor_display d = {
		getenv("SSH_CONNECTION"), getenv("DISPLAY"), getenv("WAYLAND_DISPLAY"),
		getenv("BROWSER"),        getenv("PATH"),
	};
	ADD(doctor_check_browser(r, &d));

	ADD(doctor_check_files(r, config_dir, data_dir, getuid()));
	const char *pass = getenv("AIAUTH_PASSPHRASE_FILE");
	ADD(check_passphrase_file(r, opts->passphrase_file ? opts->passphrase_file : pass, getuid()));
	ADD(doctor_check_tokens(r, store, (int64_t)time(NULL)));

	char *config_home = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (!empty(xdg) && xdg[0] == '/')
		config_home = strdup(xdg);
	else if (!empty(home))
		config_home = path_join(home, ".config");
	enum secret_backend b = opts->forced_backend;
	if (b == SECRET_BACKEND_AUTO && !(recorded && secret_backend_parse(recorded, &b)))
		b = keyring_ok ? SECRET_BACKEND_KEYRING : SECRET_BACKEND_FILE;
	st = doctor_check_keepalive(r, store, config_home, b == SECRET_BACKEND_FILE);
	free(config_home);
	if (st != AIAUTH_OK)
		goto out;

	if (!opts->no_network && store && store->n_accounts > 0 && reg) {
		if ((st = loop_new(&loop, err)) != AIAUTH_OK)
			goto out;
		ADD(doctor_check_clock(r, loop, reg, store,
		                       opts->http_timeout_ms > 0 ? opts->http_timeout_ms : 3000,
		                       false));
	}
#undef ADD
out:
	if (st == AIAUTH_NO_MEMORY)
		error_set(err, st, "%s", _("out of memory"));
	if (loop)
		loop_free(loop);
	store_free(store);
	registry_free(reg);
	free(why);
	free(vault);
	free(config_dir);
	free(data_dir);
	return st;
}
