/* credfiles.h - the credential files of other tools' CLIs (SPEC §6).
 *
 * Claude Code, Codex CLI and Gemini CLI keep their sign-in in a JSON file
 * under $HOME.  This module reads those files into struct credential (for
 * `aiauth import`, and to notice that a CLI refreshed its own token) and
 * writes an account's credential back in each tool's own format (for
 * `aiauth sync`).  It never prints, never resolves accounts and never
 * touches the secret store: the front end decides what to do with what it
 * reads (see credfile_compare()).
 *
 * The formats, and where they come from:
 * - claude  ~/.claude/.credentials.json
 *     {"claudeAiOauth": {"accessToken", "refreshToken", "expiresAt" (Unix
 *     milliseconds), "scopes": [...], "subscriptionType", ...}}
 *     Claude Code is not open source; the shape is the one its many
 *     open-source readers agree on (opencode's Anthropic auth, claude-hud,
 *     cc-auth, CodexBar...).  Provider "claude".
 * - codex   ~/.codex/auth.json
 *     {"auth_mode": "chatgpt"|"apikey", "OPENAI_API_KEY": string|null,
 *      "tokens": {"id_token", "access_token", "refresh_token", "account_id"},
 *      "last_refresh": RFC 3339 time}
 *     openai/codex, codex-rs/login/src/auth/storage.rs (AuthDotJson) and
 *     token_data.rs (TokenData: id_token must be a JWT, or Codex refuses
 *     the whole file); auth_mode values from codex-rs/protocol/src/auth.rs.
 *     Provider "chatgpt" for the tokens, "openai" for the API key.
 * - gemini  ~/.gemini/oauth_creds.json
 *     google-auth-library's Credentials as Gemini CLI caches them
 *     (google-gemini/gemini-cli, packages/core/src/code_assist/oauth2.ts,
 *     cacheCredentials): {"access_token", "refresh_token", "scope",
 *     "token_type", "id_token", "expiry_date" (Unix milliseconds, may carry
 *     a fraction)}.  Provider "google".
 * - grok    ~/.grok/auth.json: xAI documents only that the file exists and
 *     is 0600.  Third-party readers show two different shapes (a map of
 *     scopes, and a versioned document of providers), so neither is
 *     written nor read here: the tool is listed, marked unsupported, and
 *     says why (credfile_tool_info.unsupported).
 *
 * File rules: files larger than CREDFILE_MAX_SIZE are refused; a file that
 * is a symbolic link is refused, and so is a tool directory that is a link
 * leading out of $HOME; a file is written atomically with mode 0600, its
 * directory created 0700 when missing; members of an existing file that
 * aiauth does not own are kept as they were (numbers keep their text).
 * Every message names the file ("~/.codex/auth.json: ...") on one line and
 * never quotes its contents. */
#ifndef AIAUTH_CREDFILES_H
#define AIAUTH_CREDFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "error.h"
#include "secret.h"

#define CREDFILE_MAX_SIZE (1024 * 1024)

enum credfile_tool {
	CREDFILE_CLAUDE,
	CREDFILE_CODEX,
	CREDFILE_GEMINI,
	CREDFILE_GROK,
	CREDFILE_TOOL_COUNT
};

struct credfile_tool_info {
	enum credfile_tool tool;
	const char *name;           /* "claude": the argument of `aiauth import` */
	const char *tool_name;      /* "Claude Code" (not translated: a product name) */
	const char *dir;            /* ".claude", relative to $HOME */
	const char *file;           /* ".credentials.json", inside dir */
	const char *oauth_provider; /* registry id of the OAuth tokens it holds */
	const char *key_provider;   /* registry id of an API key it may hold, or NULL */
	const char *unsupported;    /* N_(): why aiauth leaves this file alone, or NULL */
};

/* Static descriptions; never NULL for a valid enum value. */
const struct credfile_tool_info *credfile_tool(enum credfile_tool t);
/* By name ("claude", "codex", "gemini", "grok"), or NULL. */
const struct credfile_tool_info *credfile_tool_by_name(const char *name);
/* The tool whose file holds `provider`'s credentials ("chatgpt" and
 * "openai" -> codex), or NULL. */
const struct credfile_tool_info *credfile_tool_for_provider(const char *provider);

/* What a file holds.  cred is NULL when the file holds no credential of
 * this kind (for example a Claude file with only other tools' members);
 * otherwise it has "access_token" (OAuth: also "refresh_token",
 * "expires_at" in Unix seconds as text, "id_token", "scope" (words
 * separated by spaces), "token_type", "account_id" when the file has them)
 * or "api_key".  Clear with credfile_contents_clear(). */
struct credfile_contents {
	struct credential *cred;
	bool api_key;       /* cred holds "api_key" (Codex's OPENAI_API_KEY) */
	int64_t expires_at; /* Unix seconds, 0 = unknown */
	char *email;        /* from the id_token's claims, or NULL */
};
void credfile_contents_clear(struct credfile_contents *c);

/* Parse a file's text.  AIAUTH_CORRUPT (malformed JSON, or a member of our
 * format with the wrong type) and AIAUTH_UNSUPPORTED (grok, or a Gemini
 * file that is not an OAuth token cache) with a message that does not name
 * the file; the caller (or credfile_read) puts the file in front. */
enum aiauth_status credfile_parse(enum credfile_tool t, const char *text, size_t len,
                                  struct credfile_contents *out, struct aiauth_error **err);

/* The new text of a file: `existing` (NULL/0 when there is no file) with
 * aiauth's members replaced by those of `cred` and every other member kept.
 * `api_key` says cred holds "api_key" (Codex only).  `now` (Unix seconds)
 * is Codex's last_refresh.  Members aiauth owns and has no value for are
 * removed rather than left from another sign-in (an old refresh token
 * beside a new access token would be a different account's).  Codex needs
 * an id_token (it refuses a file without one): AIAUTH_UNSUPPORTED
 * otherwise.  An `existing` text that credfile_parse() finds to be of
 * another kind (AIAUTH_UNSUPPORTED) is refused the same way; one it finds
 * damaged is rewritten.  *out is the text, a secret. */
enum aiauth_status credfile_render(enum credfile_tool t, const char *existing, size_t len,
                                   const struct credential *cred, bool api_key, int64_t now,
                                   struct secret **out, struct aiauth_error **err);

/* "$home/.claude/.credentials.json" (home NULL: $HOME), newly allocated. */
enum aiauth_status credfile_path(const struct credfile_tool_info *t, const char *home, char **out,
                                 struct aiauth_error **err);

/* Read and parse a tool's file.  AIAUTH_NOT_FOUND (with a message) when it
 * does not exist; the file rules above apply. */
enum aiauth_status credfile_read(const struct credfile_tool_info *t, const char *home,
                                 struct credfile_contents *out, struct aiauth_error **err);

/* Write `cred` into the tool's file (credfile_render over what is there
 * now, then an atomic write, mode 0600).  A file that exists but cannot be
 * parsed is left as it is: AIAUTH_CORRUPT. */
enum aiauth_status credfile_write(const struct credfile_tool_info *t, const char *home,
                                  const struct credential *cred, bool api_key, int64_t now,
                                  struct aiauth_error **err);

/* How a file's credential stands against the account's (`ours`, its email
 * `our_email`, either may be NULL):
 * - CREDFILE_SAME: same access and refresh token (or the same API key);
 * - CREDFILE_OTHER_ACCOUNT: both emails are known and differ;
 * - CREDFILE_FILE_NEWER: the tokens differ and the file's expiry is later
 *   than ours (ours unknown counts as earlier): the CLI refreshed on its
 *   own, possibly rotating the refresh token, so the file's tokens must be
 *   taken in, not overwritten;
 * - CREDFILE_OURS_NEWER: anything else (including a file with no
 *   credential): the file may be written. */
enum credfile_verdict {
	CREDFILE_SAME,
	CREDFILE_OURS_NEWER,
	CREDFILE_FILE_NEWER,
	CREDFILE_OTHER_ACCOUNT,
};
enum credfile_verdict credfile_compare(const struct credential *ours, const char *our_email,
                                       const struct credfile_contents *file);

/* `ours` with the file's token fields laid over it; fields the file lacks
 * (a refresh token Gemini CLI did not write back) are kept.  *out belongs
 * to the caller.  AIAUTH_NO_MEMORY only. */
enum aiauth_status credfile_take_in(const struct credential *ours,
                                    const struct credfile_contents *file, struct credential **out);

/* The settings of the credential files, in $XDG_CONFIG_HOME/aiauth/
 * settings.json ({"auto_sync": true}; other members kept).  config_dir
 * NULL means paths_config_dir().  A missing file means the defaults
 * (auto_sync off); a damaged one is AIAUTH_CORRUPT and is never
 * overwritten. */
enum aiauth_status credfile_auto_sync_get(const char *config_dir, bool *on,
                                          struct aiauth_error **err);
enum aiauth_status credfile_auto_sync_set(const char *config_dir, bool on,
                                          struct aiauth_error **err);

#endif
