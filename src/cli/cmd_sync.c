/* cmd_sync.c - `aiauth sync` and `aiauth import`: the credential files of
 * Claude Code, Codex CLI and Gemini CLI (SPEC §6).
 *
 * The work is in the core (sync.h: which account, the take-in rule, the
 * lock, the import matching), shared with the screens; this file parses
 * the arguments and prints what the core reports: its sentences on
 * stdout, its warnings and errors on stderr.
 *
 * Automatic sync (settings.json "auto_sync", `sync --auto on|off`):
 * cli_auto_sync() runs after `use` moves an active mark and around
 * `refresh` (before it, so a token a CLI refreshed is taken in before
 * aiauth spends the old one; after it, so the CLI gets the new one). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "credfiles.h"
#include "sync.h"

/* ---------------------------------------------------------------- sync */

static void print_sync(const struct sync_result *r)
{
	if (r->warning)
		cli_warn("%s", r->warning);
	for (size_t i = 0; i < r->n_lines; i++)
		printf("%s\n", r->lines[i]);
}

/* Sync one provider and print the outcome.  *skipped (optional) is set
 * when `flags` has SYNC_SKIP_UNCONFIGURED and the provider has no account.
 * Returns a status; *err has the line. */
static enum aiauth_status sync_one(struct cli *cli, const char *provider, const char *name,
                                   unsigned flags, bool *skipped, struct aiauth_error **err)
{
	struct sync_result r = {0};
	enum aiauth_status st = sync_provider(cli->session, provider, name, flags, &r, err);
	/* What happened before a failure (a take-in) still happened. */
	print_sync(&r);
	if (skipped)
		*skipped = r.skipped;
	sync_result_clear(&r);
	return st;
}

void cli_auto_sync(struct cli *cli, const char *provider)
{
	struct sync_auto_entry *e = NULL;
	size_t n = 0;
	struct aiauth_error *err = NULL;
	if (sync_auto(cli->session, provider, &e, &n, &err) != AIAUTH_OK) {
		cli_warn(_("automatic sync: %s"), err ? err->message : _("failed"));
		error_clear(&err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		print_sync(&e[i].result);
		/* A failure here must not fail the command that triggered it. */
		if (e[i].status != AIAUTH_OK)
			cli_warn(_("automatic sync: %s"), e[i].error ? e[i].error->message : _("failed"));
	}
	sync_auto_free(e, n);
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
	const char *account = NULL, *autov = NULL;
	bool force = false;
	const struct cli_opt opts[] = {{"--account", &account, NULL, NULL},
	                               {"--auto", &autov, NULL, NULL},
	                               {"--force", NULL, &force, NULL},
	                               {0}};
	const char *pos[8];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 8, &npos, NULL);
	if (rc)
		return rc;
	struct aiauth_error *err = NULL;
	if (autov) {
		bool on = strcmp(autov, "on") == 0;
		if ((!on && strcmp(autov, "off") != 0) || npos || account || force)
			return cli_usage_error("%s", _("usage: aiauth sync --auto on|off"));
		if (credfile_auto_sync_set(NULL, on, &err) != AIAUTH_OK)
			return cli_fail(&err);
		printf("%s\n", on ? _("Automatic sync is on: the CLI credential files are written "
		                      "when 'aiauth use' changes an active account, and around "
		                      "'aiauth refresh'.")
		                  : _("Automatic sync is off."));
		return 0;
	}
	if (account && npos != 1)
		return cli_usage_error("%s", _("--account needs exactly one provider"));
	if (npos > 0) {
		for (int i = 0; i < npos; i++) {
			if (sync_one(cli, pos[i], account, force ? SYNC_FORCE : 0, NULL, &err) != AIAUTH_OK) {
				int code = cli_fail(&err);
				if (!rc)
					rc = code;
			}
		}
		return rc;
	}
	/* Every tool, with its OAuth provider's active account. */
	int synced = 0;
	for (int i = 0; i < CREDFILE_TOOL_COUNT; i++) {
		const struct credfile_tool_info *t = credfile_tool((enum credfile_tool)i);
		if (t->unsupported)
			continue;
		bool skipped = false;
		if (sync_one(cli, t->oauth_provider, NULL,
		             (force ? SYNC_FORCE : 0) | SYNC_SKIP_UNCONFIGURED, &skipped, &err) != AIAUTH_OK) {
			int code = cli_fail(&err);
			if (!rc)
				rc = code;
		} else if (!skipped) {
			synced++;
		}
	}
	if (!synced && !rc)
		printf("%s\n", _("Nothing to sync: none of claude, chatgpt and google has an account "
		                 "(API keys: 'aiauth sync openai')."));
	return rc;
}

/* -------------------------------------------------------------- import */

int cmd_import(struct cli *cli, int argc, char **argv)
{
	const char *pos[CREDFILE_TOOL_COUNT];
	int npos;
	int rc = cli_parse(argc, argv, NULL, pos, CREDFILE_TOOL_COUNT, &npos, NULL);
	if (rc)
		return rc;
	for (int i = 0; i < npos; i++)
		if (!credfile_tool_by_name(pos[i]))
			return cli_usage_error(_("import knows claude, codex, gemini and grok, not \"%s\""),
			                       pos[i]);
	struct aiauth_error *err = NULL;
	int found = 0;
	for (int i = 0; i < CREDFILE_TOOL_COUNT; i++) {
		const struct credfile_tool_info *t = credfile_tool((enum credfile_tool)i);
		bool named = false;
		for (int k = 0; k < npos; k++)
			named = named || strcmp(pos[k], t->name) == 0;
		if (npos && !named)
			continue;
		struct import_result r = {0};
		enum aiauth_status st = import_tool(cli->session, t, &r, &err);
		/* Looking through every tool: what is not there, or not readable
		 * by design (grok), is passed over. */
		if (!named && !r.found) {
			error_clear(&err);
			import_result_clear(&r);
			continue;
		}
		found++;
		if (r.warning)
			cli_warn("%s", r.warning);
		if (st == AIAUTH_OK && r.line)
			printf("%s\n", r.line);
		import_result_clear(&r);
		if (st != AIAUTH_OK) {
			int code = cli_fail(&err);
			if (!rc)
				rc = code;
		}
	}
	if (!found)
		printf("%s\n", _("No CLI credential files found (looked for ~/.claude/.credentials.json, "
		                 "~/.codex/auth.json and ~/.gemini/oauth_creds.json)."));
	return rc;
}
