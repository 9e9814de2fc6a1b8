/* cmd_login.c - aiauth login: choosing a sign-in flow, and saving what it
 * brings back. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "browser.h"
#include "credential.h"
#include "lifecycle.h"
#include "oauth.h"

int cmd_login(struct cli *cli, int argc, char **argv)
{
	bool device = false, browser = false, paste = false, finish = false, no_wait = false;
	const char *label = NULL;
	const struct cli_opt opts[] = {{"--device", NULL, &device, NULL},
	                               {"--browser", NULL, &browser, NULL},
	                               {"--paste", NULL, &paste, NULL},
	                               {"--finish", NULL, &finish, NULL},
	                               {"--no-wait", NULL, &no_wait, NULL},
	                               {"--label", &label, NULL, NULL},
	                               {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 1, &npos, NULL);
	if (rc)
		return rc;
	if (finish) {
		if (device || browser || paste || no_wait || label)
			return cli_usage_error("%s", _("--finish takes only the code or URL"));
		if (!npos)
			return login_finish(cli, NULL);
		/* The code is a credential, and argv is what ps and
		 * /proc/PID/cmdline show to every user: keep a copy, wipe the
		 * argument in place before anything slow happens.  (The shell's
		 * history has it too: standard input is the better way.) */
		struct secret *code = secret_from_str(pos[0]);
		secure_wipe((char *)pos[0], strlen(pos[0]));
		if (!code)
			return cli_usage_error("%s", _("out of memory"));
		rc = login_finish(cli, (const char *)code->buf);
		secret_free(code);
		return rc;
	}
	if (npos != 1)
		return cli_usage_error("%s", _("usage: aiauth login PROVIDER [--device|--browser|--paste] "
		                               "[--label L] [--no-wait], or aiauth login --finish "
		                               "[CODE_OR_URL]"));
	if ((int)device + (int)browser + (int)paste > 1)
		return cli_usage_error("%s", _("choose one of --device, --browser and --paste"));
	struct aiauth_error *err = NULL;
	const struct provider *p;
	if (session_provider(cli->session, pos[0], &p, &err) != AIAUTH_OK)
		return cli_fail(&err);
	bool can_device = p->methods & AUTH_METHOD_DEVICE;
	bool can_browser = p->methods & AUTH_METHOD_BROWSER;
	if (!can_device && !can_browser)
		return cli_usage_error(_("%s does not sign in with OAuth; use 'aiauth add %s'"), _(p->name),
		                       p->id);
	if (device && !can_device)
		return cli_usage_error(_("%s has no device-code sign-in; try --browser or --paste"),
		                       _(p->name));
	if ((browser || paste) && !can_browser)
		return cli_usage_error(_("%s signs in with a device code only; use --device"), _(p->name));
	if (no_wait && device)
		return cli_usage_error("%s", _("--no-wait is for --paste sign-ins; a device code "
		                               "cannot be finished later"));
	struct login_options lo = {.label = label, .no_wait = no_wait};
	/* Without a choice: a browser where one can open, else the device code,
	 * else the paste flow; a provider whose page shows a code always pastes. */
	if (!device && !browser && !paste) {
		if (no_wait)
			paste = true;
		else if (!browser_available())
			device = can_device, paste = !can_device;
		else
			browser = can_browser, device = !can_browser;
	}
	if (device)
		return login_device(cli, p, &lo);
	if (no_wait)
		paste = true;
	return login_browser(cli, p, &lo, paste || p->oauth.redirect == OAUTH_REDIRECT_PASTE);
}

/* ------------------------------------------------------------- saving */

enum aiauth_status cli_save_oauth_account(struct cli *cli, const struct provider *p,
                                          const struct oauth_endpoints *ep, const char *method,
                                          struct credential *cred,
                                          const struct login_options *opts,
                                          struct aiauth_error **err)
{
	struct session_saved saved = {0};
	enum aiauth_status st = session_save_oauth(cli->session, p, ep, method, cred,
	                                           opts ? opts->label : NULL, &saved, err);
	if (st != AIAUTH_OK)
		return st;
	if (saved.renewed)
		printf(_("Signed in to %s again as %s (account \"%s\").\n"), _(p->name),
		       saved.email, saved.label);
	else if (saved.email)
		printf(_("Signed in to %s as %s (account \"%s\"%s).\n"), _(p->name), saved.email,
		       saved.label, saved.active ? _(", active") : "");
	else
		printf(_("Signed in to %s (account \"%s\"%s).\n"), _(p->name), saved.label,
		       saved.active ? _(", active") : "");
	session_saved_clear(&saved);
	return AIAUTH_OK;
}

/* ------------------------------------------------------------ refresh */

static enum aiauth_status lifecycle_env_of(struct cli *cli, size_t max_jobs,
                                           struct lifecycle_env *env, struct aiauth_error **err)
{
	struct registry *reg;
	struct secretstore *ss;
	struct loop *loop;
	enum aiauth_status st;
	if ((st = session_registry(cli->session, &reg, err)) != AIAUTH_OK ||
	    (st = session_secrets(cli->session, &ss, err)) != AIAUTH_OK ||
	    (st = session_loop(cli->session, &loop, err)) != AIAUTH_OK)
		return st;
	*env = (struct lifecycle_env){loop, reg, ss, NULL, max_jobs};
	return AIAUTH_OK;
}

static bool ids_add(char ***ids, size_t *n, const char *id)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*ids)[i], id) == 0)
			return true;
	char **grown = realloc(*ids, (*n + 1) * sizeof(char *));
	if (!grown)
		return false;
	*ids = grown;
	if (!(grown[*n] = strdup(id)))
		return false;
	(*n)++;
	return true;
}

/* --jobs: how many accounts are refreshed at the same time. */
#define REFRESH_MAX_JOBS 1000

int cmd_refresh(struct cli *cli, int argc, char **argv)
{
	bool all = false, force = false;
	const char *jobs_arg = NULL;
	const struct cli_opt opts[] = {{"--all", NULL, &all, NULL},
	                               {"--force", NULL, &force, NULL},
	                               {"--jobs", &jobs_arg, NULL, NULL},
	                               {0}};
	const char *pos[32];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 32, &npos, NULL);
	if (rc)
		return rc;
	if (!all && npos == 0)
		return cli_usage_error(
		    "%s", _("usage: aiauth refresh [PROVIDER|ACCOUNT]... [--all] [--force] [--jobs N]"));
	long jobs = 0; /* all at once */
	if (jobs_arg) {
		char *end = NULL;
		errno = 0;
		jobs = strtol(jobs_arg, &end, 10);
		if (errno || end == jobs_arg || *end || jobs < 1 || jobs > REFRESH_MAX_JOBS)
			return cli_usage_error(_("--jobs takes a number from 1 to %d, not \"%s\""),
			                       REFRESH_MAX_JOBS, jobs_arg);
	}
	struct aiauth_error *err = NULL;
	struct store *store = NULL;
	struct registry *reg;
	char **ids = NULL;
	size_t n = 0;
	struct lifecycle_outcome *out = NULL;
	if (session_registry(cli->session, &reg, &err) != AIAUTH_OK ||
	    store_load(NULL, &store, &err) != AIAUTH_OK)
		return cli_fail(&err);
	/* Providers mean all their OAuth accounts; anything else names one;
	 * --all means every OAuth account. */
	for (size_t i = 0; i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		bool wanted = a->kind == ACCOUNT_OAUTH && all;
		for (int k = 0; !wanted && k < npos; k++)
			wanted = a->kind == ACCOUNT_OAUTH && strcmp(pos[k], a->provider) == 0;
		if (wanted && !ids_add(&ids, &n, a->id)) {
			rc = cli_usage_error("%s", _("out of memory"));
			goto done;
		}
	}
	for (int k = 0; k < npos; k++) {
		if (registry_find(reg, pos[k]))
			continue;
		struct account *a = NULL;
		if (store_lookup(store, NULL, pos[k], &a, &err) != AIAUTH_OK) {
			rc = cli_fail(&err);
			goto done;
		}
		if (a->kind != ACCOUNT_OAUTH) {
			rc = cli_usage_error(_("\"%s\" is not an OAuth account; there is nothing to refresh"),
			                     a->label);
			goto done;
		}
		if (!ids_add(&ids, &n, a->id)) {
			rc = cli_usage_error("%s", _("out of memory"));
			goto done;
		}
	}
	if (n == 0) {
		printf("%s\n", _("No OAuth accounts to refresh."));
		goto done;
	}
	/* With automatic sync on: first take in what a CLI refreshed on its
	 * own (before aiauth spends a refresh token the CLI already spent),
	 * and after refreshing hand the CLIs the new tokens. */
	cli_auto_sync(cli, NULL);
	struct lifecycle_env env;
	if (lifecycle_env_of(cli, (size_t)jobs, &env, &err) != AIAUTH_OK ||
	    lifecycle_refresh_many(&env, ids, n, force, &out, &err) != AIAUTH_OK) {
		rc = cli_fail(&err);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		struct account *a = store_find_id(store, out[i].account_id);
		const char *who = a ? a->label : out[i].account_id;
		const char *prov = a ? a->provider : "";
		if (out[i].status == AIAUTH_OK) {
			printf("%s \"%s\": %s\n", prov, who,
			       out[i].refreshed ? _("refreshed") : _("still valid"));
			continue;
		}
		fprintf(stderr, "aiauth: %s \"%s\": %s\n", prov, who,
		        out[i].message ? out[i].message : _(status_text(out[i].status)));
		/* The first failure decides the exit status; needing sign-in is
		 * the most useful one to report. */
		if (rc == 0 || out[i].status == AIAUTH_NEEDS_SIGNIN)
			rc = status_exit_code(out[i].status);
	}
	cli_auto_sync(cli, NULL);
done:
	lifecycle_outcomes_free(out, out ? n : 0);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	store_free(store);
	return rc;
}
