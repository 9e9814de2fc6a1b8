/* sync.h - sync and import: aiauth's accounts and the credential files of
 * Claude Code, Codex CLI and Gemini CLI (SPEC §6; the formats are in
 * credfiles.h).  Shared by `aiauth sync`/`aiauth import` and the screens.
 *
 * sync_provider() writes a provider's account into its tool's file:
 *   pick the account (the one named, else the active one, else the pool's
 *   answer, as `aiauth token` gives it)
 *   read the file ─ damaged? ─> stop, nothing changed
 *   under the account's refresh lock (lifecycle.h), compare the file with
 *   our stored secret ─ the CLI refreshed on its own? ─> take its tokens in
 *   resolve the credential (refreshing it if it expires soon)
 *   write the file, unless it already holds exactly that.
 * The file is looked at before any refresh on purpose: refreshing with a
 * refresh token the CLI has already spent would make providers that rotate
 * them (Anthropic, OpenAI) revoke the whole grant.
 *
 * import_tool() makes an account of one tool's file, or renews the account
 * that has the same email or the same refresh token (or API key).
 *
 * sync_auto() is the automatic sync (settings.json "auto_sync"): front ends
 * call it after an active mark moved and around a refresh.
 *
 * Nothing here prints.  What happened comes back as values: flags, and
 * translated one-line sentences in the order they happened, for the front
 * end to print or show.  Failures are the usual status plus *err (one line
 * naming the file or the account).  Every call may open the secret store
 * through the session (and so ask for the vault passphrase) and may reach
 * the network (a refresh, during sync). */
#ifndef AIAUTH_SYNC_H
#define AIAUTH_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "credfiles.h"
#include "error.h"
#include "session.h"

/* At most two sentences: a take-in, then a write (a file that lacked
 * fields ours has). */
#define SYNC_MAX_LINES 2

enum sync_flags {
	/* Overwrite a file that holds another account (emails differ). */
	SYNC_FORCE = 1 << 0,
	/* A provider with no account is not an error: result.skipped. */
	SYNC_SKIP_UNCONFIGURED = 1 << 1,
};

/* What sync_provider() did.  Zero it before the call ({0}); clear it with
 * sync_result_clear() whatever the call returned. */
struct sync_result {
	const struct credfile_tool_info *tool; /* set once the provider has a file */
	bool skipped; /* SYNC_SKIP_UNCONFIGURED and the provider has no account */
	bool took_in; /* the file was newer: its tokens now belong to the account */
	bool wrote;   /* the file was written */
	bool already; /* the file already held the account: nothing written */
	char *lines[SYNC_MAX_LINES]; /* what happened, translated, no newline */
	size_t n_lines;
	/* Something went wrong that did not stop the sync (the account list
	 * could not record a new expiry), or NULL. */
	char *warning;
};
void sync_result_clear(struct sync_result *r);

/* Sync `provider` ("claude", "chatgpt", "openai" for Codex's API key,
 * "google"), with its account `account` (label or id; NULL: the active
 * one, else the pool's).  `flags` from enum sync_flags.
 * AIAUTH_USAGE: unknown provider, or one without a CLI file;
 * AIAUTH_UNSUPPORTED: the tool's file is not supported, or cannot hold
 * this kind of account; AIAUTH_NEEDS_SIGNIN; AIAUTH_FAILED: the file holds
 * another account and SYNC_FORCE is not given; AIAUTH_CORRUPT and the
 * file-rule errors of credfiles.h; AIAUTH_NOT_CONFIGURED (no account). */
enum aiauth_status sync_provider(struct session *s, const char *provider, const char *account,
                                 unsigned flags, struct sync_result *out,
                                 struct aiauth_error **err);

/* Whether `provider` has a CLI credential file sync can write. */
bool sync_has_file(const char *provider);

/* What import_tool() did.  Zero it before; clear with import_result_clear(). */
struct import_result {
	bool found;    /* the file exists and was read */
	bool created;  /* a new account was made */
	bool updated;  /* an existing account took the file's newer tokens in */
	bool already;  /* an existing account already held them */
	bool active;   /* (created) the new account is its provider's active one */
	char *provider; /* the account's provider ("chatgpt", "openai"...) */
	char *label;    /* the account's label */
	char *line;     /* what happened, translated, no newline */
	char *warning;  /* as in struct sync_result */
};
void import_result_clear(struct import_result *r);

/* Import `t`'s file.  AIAUTH_NOT_FOUND when it does not exist (found
 * false), or exists but holds no credentials (found true);
 * AIAUTH_UNSUPPORTED for a tool whose format aiauth leaves alone
 * (t->unsupported) or a file of another kind; AIAUTH_CORRUPT and the
 * file-rule errors of credfiles.h. */
enum aiauth_status import_tool(struct session *s, const struct credfile_tool_info *t,
                               struct import_result *out, struct aiauth_error **err);

/* One provider synced automatically. */
struct sync_auto_entry {
	const char *provider;         /* static (credfiles.h) or the caller's */
	enum aiauth_status status;
	struct sync_result result;    /* when status is AIAUTH_OK */
	struct aiauth_error *error;   /* when it is not */
};

/* When automatic sync is on, sync the active account of `provider` (NULL:
 * of every provider with a supported CLI file; a provider without an
 * account is passed over).  *entries (free with sync_auto_free) has one
 * entry per provider tried, none when automatic sync is off.  A failing
 * entry does not stop the others, and is not the call's failure: front
 * ends show them as warnings.  The call fails only when the settings
 * cannot be read (AIAUTH_CORRUPT, AIAUTH_IO). */
enum aiauth_status sync_auto(struct session *s, const char *provider,
                             struct sync_auto_entry **entries, size_t *n,
                             struct aiauth_error **err);
void sync_auto_free(struct sync_auto_entry *entries, size_t n);

#endif
