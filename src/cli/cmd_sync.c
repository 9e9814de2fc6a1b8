/* cmd_sync.c - sync and import: the credential files of Claude Code, Codex
 * CLI and Gemini CLI (SPEC §6; formats in credfiles.h).
 *
 * sync PROVIDER writes the provider's active account into its tool's file:
 *   pick the account (as `token` does, but the active one before the pool)
 *   read the file ─ damaged? ─> stop, nothing changed
 *   under the account's refresh lock (lifecycle.h), compare the file with
 *   our stored secret ─ the CLI refreshed on its own? ─> take its tokens in
 *   resolve the credential (refreshing it if it expires soon)
 *   write the file, unless it already holds exactly that.
 * The file is looked at before any refresh on purpose: refreshing with a
 * refresh token the CLI has already spent would make providers that rotate
 * them (Anthropic, OpenAI) revoke the whole grant.
 *
 * import [TOOL]... makes an account of every file found, or renews the one
 * that has the same email or the same refresh token.
 *
 * Automatic sync (settings.json "auto_sync", `sync --auto on|off`):
 * cli_auto_sync() runs after `use` moves an active mark and around
 * `refresh` (before it, so a token a CLI refreshed is taken in before
 * aiauth spends the old one; after it, so the CLI gets the new one).
 *
 * Accounts are resolved, refreshed and added through the session
 * (session.h), so the screens can offer the same sync later; what is
 * particular to these files (formats, the take-in rule) is in credfiles.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "credential.h"
#include "credfiles.h"
#include "fsutil.h"
#include "oauth.h"

/* ------------------------------------------------------------ helpers */

struct pick_ctx {
	const char *provider;
	const char *name;
	struct account *found;
};

/* The account sync writes: the one named, else the active one, else what
 * `token` would answer (the pool). */
static enum aiauth_status pick_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct pick_ctx *pc = ctx;
	struct account *a = NULL;
	const char *active = pc->name ? NULL : store_active_id(store, pc->provider);
	if (active)
		a = store_find_id(store, active);
	if (!a) {
		enum aiauth_status st = store_resolve(store, pc->provider, pc->name, &a, err);
		if (st != AIAUTH_OK)
			return st;
	}
	pc->found = account_dup(a);
	return pc->found ? AIAUTH_OK : error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
}

/* The per-account refresh lock of lifecycle.h, so that a refresh running
 * at the same moment and a take-in do not cross. */
static enum aiauth_status lock_account(const char *id, int *fd, struct aiauth_error **err)
{
	char *config = NULL, *dir = NULL, *path = NULL;
	enum aiauth_status st = paths_config_dir(&config, err);
	if (st == AIAUTH_OK && !(dir = path_join(config, "locks")))
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	if (st == AIAUTH_OK)
		st = fs_mkdir_private(dir, err);
	if (st == AIAUTH_OK) {
		size_t n = strlen(dir) + strlen(id) + 8;
		path = malloc(n);
		if (path)
			snprintf(path, n, "%s/%s.lock", dir, id);
		else
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	if (st == AIAUTH_OK)
		st = fs_lock(path, true, fd, err);
	free(path);
	free(dir);
	free(config);
	return st;
}

struct record_ctx {
	const char *id;
	int64_t expires_at;
};

static enum aiauth_status record_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	(void)err;
	const struct record_ctx *rc = ctx;
	struct account *a = store_find_id(store, rc->id);
	if (!a)
		return AIAUTH_OK;
	/* Fresh tokens from the CLI: whatever failed before is behind us. */
	a->expires_at = rc->expires_at;
	a->status = ACCOUNT_STATUS_OK;
	store->dirty = true;
	return AIAUTH_OK;
}

static enum aiauth_status read_secret(struct cli *cli, const char *id, struct credential **out,
                                      struct aiauth_error **err)
{
	struct secretstore *ss;
	struct secret *blob = NULL;
	enum aiauth_status st = session_secrets(cli->session, &ss, err);
	if (st == AIAUTH_OK)
		st = secretstore_get(ss, id, &blob, err);
	if (st == AIAUTH_OK)
		st = credential_from_blob(blob, out, err);
	secret_free(blob);
	return st;
}

/* Compare the file with the account's stored secret under its lock, and
 * take the file's tokens in when the CLI refreshed since.  Returns the
 * verdict in *verdict. */
static enum aiauth_status take_in_if_newer(struct cli *cli, const struct provider *p,
                                           const struct account *a,
                                           const struct credfile_contents *fc,
                                           enum credfile_verdict *verdict,
                                           struct aiauth_error **err)
{
	int fd = -1;
	struct credential *ours = NULL, *merged = NULL;
	struct secret *blob = NULL;
	enum aiauth_status st = lock_account(a->id, &fd, err);
	if (st == AIAUTH_OK)
		st = read_secret(cli, a->id, &ours, err);
	if (st != AIAUTH_OK)
		goto out;
	*verdict = credfile_compare(ours, a->email, fc);
	if (*verdict != CREDFILE_FILE_NEWER)
		goto out;
	if (credfile_take_in(ours, fc, &merged) != AIAUTH_OK) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	struct secretstore *ss;
	struct secret_meta meta = {p->id, _(p->name), a->label, "oauth"};
	if ((st = credential_to_blob(merged, &blob, err)) != AIAUTH_OK ||
	    (st = session_secrets(cli->session, &ss, err)) != AIAUTH_OK ||
	    (st = secretstore_put(ss, a->id, &meta, blob, err)) != AIAUTH_OK)
		goto out;
	/* The secret is what counts; a store that cannot be written only
	 * shows a stale expiry until the next refresh. */
	struct record_ctx rc = {a->id, fc->expires_at};
	struct aiauth_error *rerr = NULL;
	if (store_update(NULL, record_cb, &rc, &rerr) != AIAUTH_OK)
		cli_warn("%s", rerr ? rerr->message : _("the account list was not updated"));
	error_clear(&rerr);
out:
	if (fd >= 0)
		fs_unlock(fd);
	credential_free(ours);
	credential_free(merged);
	secret_free(blob);
	return st;
}

/* "~/.claude/.credentials.json", for messages (one per call). */
static const char *shown_path(const struct credfile_tool_info *t)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "~/%s/%s", t->dir, t->file);
	return buf;
}

/* ---------------------------------------------------------------- sync */

/* Sync one provider.  With `skip_unconfigured`, a provider with no account
 * is not an error (*skipped is set).  Returns a status; *err has the line. */
static enum aiauth_status sync_one(struct cli *cli, const char *provider, const char *name,
                                   bool force, bool skip_unconfigured, bool *skipped,
                                   struct aiauth_error **err)
{
	const struct credfile_tool_info *t = credfile_tool_for_provider(provider);
	const struct provider *p = NULL;
	struct pick_ctx pc = {provider, name, NULL};
	struct credfile_contents fc = {0};
	struct account *acc = NULL;
	struct credential *cred = NULL;
	enum aiauth_status st;
	if (skipped)
		*skipped = false;
	if ((st = session_provider(cli->session, provider, &p, err)) != AIAUTH_OK)
		return st;
	if (!t)
		return error_set(err, AIAUTH_USAGE,
		                 _("%s has no CLI credential file (sync knows claude, chatgpt, openai "
		                   "and google)"),
		                 p->id);
	if (t->unsupported)
		return error_set(err, AIAUTH_UNSUPPORTED, "%s", _(t->unsupported));
	st = store_update(NULL, pick_cb, &pc, err);
	if (st == AIAUTH_NOT_CONFIGURED && skip_unconfigured) {
		error_clear(err);
		if (skipped)
			*skipped = true;
		return AIAUTH_OK;
	}
	if (st != AIAUTH_OK)
		return st;
	struct account *a = pc.found;
	bool api_key = a->kind == ACCOUNT_API_KEY;
	if (a->status == ACCOUNT_STATUS_NEEDS_SIGNIN) {
		st = error_set(err, AIAUTH_NEEDS_SIGNIN,
		               _("the %s account \"%s\" needs to sign in again (aiauth login %s)"),
		               p->id, a->label, p->id);
		goto out;
	}
	if (api_key ? !(t->key_provider && strcmp(t->key_provider, p->id) == 0)
	            : (a->kind != ACCOUNT_OAUTH || strcmp(t->oauth_provider, p->id) != 0)) {
		st = error_set(err, AIAUTH_UNSUPPORTED,
		               _("%s cannot hold the %s account \"%s\" (its kind is %s)"), t->tool_name,
		               p->id, a->label, account_kind_name(a->kind));
		goto out;
	}

	/* What the file holds now; a damaged file stops everything. */
	st = credfile_read(t, NULL, &fc, err);
	if (st == AIAUTH_NOT_FOUND) {
		error_clear(err);
		st = AIAUTH_OK;
	} else if (st != AIAUTH_OK) {
		goto out;
	}
	bool took_in = false;
	if (!api_key && fc.cred && !fc.api_key) {
		enum credfile_verdict v;
		if ((st = take_in_if_newer(cli, p, a, &fc, &v, err)) != AIAUTH_OK)
			goto out;
		if (v == CREDFILE_OTHER_ACCOUNT && !force) {
			st = error_set(err, AIAUTH_FAILED,
			               _("%s holds another account (%s), not %s \"%s\": import it with "
			                 "'aiauth import %s', or overwrite it with 'aiauth sync %s --force'"),
			               shown_path(t), fc.email, p->id, a->label, t->name, p->id);
			goto out;
		}
		if (v == CREDFILE_FILE_NEWER) {
			took_in = true;
			printf(_("%s had refreshed its own token: its tokens now belong to %s account "
			         "\"%s\" (%s was kept as it is).\n"),
			       t->tool_name, p->id, a->label, shown_path(t));
		}
	}
	/* Refreshed if it expires soon; the account is named, so no pool turn. */
	if ((st = session_resolve(cli->session, p->id, a->id, &acc, &cred, err)) != AIAUTH_OK)
		goto out;
	if (fc.cred && fc.api_key == api_key && credfile_compare(cred, NULL, &fc) == CREDFILE_SAME) {
		if (!took_in)
			printf(_("%s already holds %s account \"%s\".\n"), shown_path(t), p->id, a->label);
		goto out;
	}
	if ((st = credfile_write(t, NULL, cred, api_key, oauth_now(), err)) != AIAUTH_OK)
		goto out;
	printf(_("Wrote %s account \"%s\" to %s.\n"), p->id, a->label, shown_path(t));
out:
	credfile_contents_clear(&fc);
	credential_free(cred);
	account_free(acc);
	account_free(pc.found);
	return st;
}

void cli_auto_sync(struct cli *cli, const char *provider)
{
	bool on = false;
	struct aiauth_error *err = NULL;
	if (credfile_auto_sync_get(NULL, &on, &err) != AIAUTH_OK) {
		cli_warn(_("automatic sync: %s"), err ? err->message : _("failed"));
		error_clear(&err);
		return;
	}
	for (int i = 0; on && i < CREDFILE_TOOL_COUNT; i++) {
		const struct credfile_tool_info *t = credfile_tool((enum credfile_tool)i);
		if (t->unsupported)
			continue;
		const char *which = t->oauth_provider;
		if (provider) {
			if (strcmp(provider, t->oauth_provider) != 0 &&
			    !(t->key_provider && strcmp(provider, t->key_provider) == 0))
				continue;
			which = provider;
		}
		/* A failure here must not fail the command that triggered it. */
		if (sync_one(cli, which, NULL, false, true, NULL, &err) != AIAUTH_OK)
			cli_warn(_("automatic sync: %s"), err ? err->message : _("failed"));
		error_clear(&err);
	}
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
			if (sync_one(cli, pos[i], account, force, false, NULL, &err) != AIAUTH_OK) {
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
		if (sync_one(cli, t->oauth_provider, NULL, force, true, &skipped, &err) != AIAUTH_OK) {
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

/* The account of `p` that already holds these credentials: same email,
 * else same refresh token (or API key).  *found (caller frees) or NULL. */
static enum aiauth_status find_imported(struct cli *cli, const struct provider *p,
                                        const struct credfile_contents *fc,
                                        struct account **found, struct aiauth_error **err)
{
	*found = NULL;
	struct store *store = NULL;
	enum aiauth_status st = store_load(NULL, &store, err);
	if (st != AIAUTH_OK)
		return st;
	enum account_kind kind = fc->api_key ? ACCOUNT_API_KEY : ACCOUNT_OAUTH;
	const char *field = fc->api_key ? "api_key"
	                    : credential_get(fc->cred, "refresh_token") ? "refresh_token"
	                                                                : "access_token";
	const struct account *match = NULL;
	for (size_t i = 0; !match && i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		if (a->kind == kind && strcmp(a->provider, p->id) == 0 && fc->email && a->email &&
		    strcasecmp(fc->email, a->email) == 0)
			match = a;
	}
	for (size_t i = 0; !match && i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		if (a->kind != kind || strcmp(a->provider, p->id) != 0 || !a->has_secret)
			continue;
		struct credential *c = NULL;
		struct aiauth_error *rerr = NULL;
		st = read_secret(cli, a->id, &c, &rerr);
		if (st == AIAUTH_NOT_FOUND || st == AIAUTH_CORRUPT) {
			error_clear(&rerr); /* nothing to compare with */
			st = AIAUTH_OK;
			continue;
		}
		if (st != AIAUTH_OK) {
			error_set(err, st, "%s", rerr ? rerr->message : _("failed"));
			error_clear(&rerr);
			break;
		}
		const struct secret *x = credential_get(c, field), *y = credential_get(fc->cred, field);
		if (x && y && secret_equal(x, y))
			match = a;
		credential_free(c);
	}
	if (st == AIAUTH_OK && match && !(*found = account_dup(match)))
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	store_free(store);
	return st;
}

/* "claude (imported)", or "claude (imported 2)"... when taken. */
static char *import_label(const struct provider *p, struct aiauth_error **err)
{
	struct store *store = NULL;
	if (store_load(NULL, &store, err) != AIAUTH_OK)
		return NULL;
	char *label = NULL;
	for (int n = 1; n < 1000 && !label; n++) {
		char buf[256];
		if (n == 1)
			snprintf(buf, sizeof(buf), _("%s (imported)"), p->id);
		else
			snprintf(buf, sizeof(buf), _("%s (imported %d)"), p->id, n);
		struct account *a = NULL;
		struct aiauth_error *lerr = NULL;
		if (store_lookup(store, p->id, buf, &a, &lerr) != AIAUTH_OK || !a ||
		    strcmp(a->label, buf) != 0)
			label = strdup(buf);
		error_clear(&lerr);
	}
	store_free(store);
	if (!label)
		error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	return label;
}

static enum aiauth_status import_one(struct cli *cli, const struct credfile_tool_info *t,
                                     const struct credfile_contents *fc,
                                     struct aiauth_error **err)
{
	const struct provider *p;
	const char *pid = fc->api_key ? t->key_provider : t->oauth_provider;
	enum aiauth_status st = session_provider(cli->session, pid, &p, err);
	if (st != AIAUTH_OK)
		return st;
	struct account *existing = NULL;
	if ((st = find_imported(cli, p, fc, &existing, err)) != AIAUTH_OK)
		return st;
	if (existing) {
		enum credfile_verdict v = CREDFILE_SAME;
		if (!fc->api_key)
			st = take_in_if_newer(cli, p, existing, fc, &v, err);
		if (st == AIAUTH_OK && v == CREDFILE_FILE_NEWER)
			printf(_("Updated %s account \"%s\" with the newer tokens of %s.\n"), p->id,
			       existing->label, shown_path(t));
		else if (st == AIAUTH_OK)
			printf(_("%s is already imported as %s account \"%s\".\n"), shown_path(t), p->id,
			       existing->label);
		account_free(existing);
		return st;
	}
	struct account tmpl = {
		.provider = p->id,
		.kind = fc->api_key ? ACCOUNT_API_KEY : ACCOUNT_OAUTH,
		.method = "import",
		.email = fc->email,
		.expires_at = fc->expires_at,
	};
	char *label = NULL, *given = NULL;
	struct secret *blob = NULL;
	bool active = false;
	/* No email: the store would label it "<provider> <date>", which says
	 * nothing about where it came from. */
	if (!fc->email && !(given = import_label(p, err)))
		return err && *err ? (*err)->status : AIAUTH_NO_MEMORY;
	tmpl.label = given;
	if ((st = credential_to_blob(fc->cred, &blob, err)) == AIAUTH_OK &&
	    (st = session_add_account(cli->session, p, &tmpl, blob, &label, &active, err)) == AIAUTH_OK)
		printf(_("Imported the sign-in of %s as %s account \"%s\"%s.\n"), t->tool_name, p->id,
		       label, active ? _(" (active)") : "");
	secret_free(blob);
	free(label);
	free(given);
	return st;
}

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
		struct credfile_contents fc = {0};
		enum aiauth_status st = credfile_read(t, NULL, &fc, &err);
		/* Looking through every tool: what is not there, or not readable
		 * by design (grok), is passed over. */
		if (!named && (st == AIAUTH_NOT_FOUND || (st == AIAUTH_UNSUPPORTED && t->unsupported))) {
			error_clear(&err);
			continue;
		}
		found++;
		if (st == AIAUTH_OK && !fc.cred)
			st = error_set(&err, AIAUTH_NOT_FOUND, _("%s holds no credentials to import"),
			               shown_path(t));
		if (st == AIAUTH_OK)
			st = import_one(cli, t, &fc, &err);
		credfile_contents_clear(&fc);
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
