/* cmd_accounts.c - list, status, providers, add, remove, rename, use, rr. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "credential.h"
#include "fsutil.h"
#include "jsonutil.h"

static void format_status(const struct account *a, char *buf, size_t n)
{
	account_status_text(a, (int64_t)time(NULL), 0, buf, n);
}

static bool gen_account(yajl_gen g, const struct store *store, const struct account *a)
{
	const char *active = store_active_id(store, a->provider);
	bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
	          json_gen_key_string(g, "id", a->id) &&
	          json_gen_key_string(g, "provider", a->provider) &&
	          json_gen_key_string(g, "label", a->label) &&
	          json_gen_key_string(g, "kind", account_kind_name(a->kind)) &&
	          json_gen_key_string(g, "method", account_method_text(a)) &&
	          json_gen_key_bool(g, "active", active && strcmp(active, a->id) == 0) &&
	          json_gen_key_bool(g, "round_robin", a->round_robin) &&
	          json_gen_key_string(g, "status", account_status_name(a->status)) &&
	          json_gen_key_string(g, "email", a->email) &&
	          json_gen_key_string(g, "base_url", a->base_url) &&
	          json_gen_key_string(g, "api_version", a->api_version) &&
	          json_gen_key_string(g, "region", a->region) &&
	          json_gen_key_int(g, "created", a->created) &&
	          json_gen_key_int(g, "expires_at", a->expires_at) &&
	          json_gen_key_int(g, "last_refresh", a->last_refresh) &&
	          json_gen_key_string(g, "last_refresh_outcome", a->last_refresh_outcome) &&
	          yajl_gen_map_close(g) == yajl_gen_status_ok;
	return ok;
}

static int print_json(yajl_gen g)
{
	char *text = NULL;
	struct aiauth_error *err = NULL;
	if (json_gen_take_str(g, &text, NULL, &err) != AIAUTH_OK)
		return cli_fail(&err);
	printf("%s\n", text);
	free(text);
	return 0;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {{"--json", NULL, &json, NULL}, {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 1, &npos, NULL);
	if (rc)
		return rc;
	struct aiauth_error *err = NULL;
	const struct provider *only = NULL;
	if (npos == 1 && session_provider(cli->session, pos[0], &only, &err) != AIAUTH_OK)
		return cli_fail(&err);
	struct store *store = NULL;
	if (store_load(NULL, &store, &err) != AIAUTH_OK)
		return cli_fail(&err);

	if (json) {
		yajl_gen g = json_gen_new(true);
		if (!g) {
			store_free(store);
			return cli_usage_error("%s", _("out of memory"));
		}
		bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
		          json_gen_key_string(g, "secret_backend", store->secret_backend) &&
		          json_gen_key(g, "accounts") && yajl_gen_array_open(g) == yajl_gen_status_ok;
		for (size_t i = 0; ok && i < store->n_accounts; i++) {
			if (only && strcmp(store->accounts[i].provider, only->id) != 0)
				continue;
			ok = gen_account(g, store, &store->accounts[i]);
		}
		ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok &&
		     yajl_gen_map_close(g) == yajl_gen_status_ok;
		store_free(store);
		if (!ok) {
			yajl_gen_free(g);
			return cli_usage_error("%s", _("cannot generate JSON"));
		}
		return print_json(g);
	}

	struct registry *reg = NULL;
	if (session_registry(cli->session, &reg, &err) != AIAUTH_OK) {
		store_free(store);
		return cli_fail(&err);
	}
	size_t shown = 0;
	/* Grouped by provider, in the registry's display order; accounts of a
	 * provider that is no longer known come last under their id. */
	for (size_t pi = 0; pi <= registry_count(reg); pi++) {
		const struct provider *p = pi < registry_count(reg) ? registry_at(reg, pi) : NULL;
		bool header = false;
		for (size_t i = 0; i < store->n_accounts; i++) {
			const struct account *a = &store->accounts[i];
			if (only && strcmp(a->provider, only->id) != 0)
				continue;
			if (p ? strcmp(a->provider, p->id) != 0 : registry_find(reg, a->provider) != NULL)
				continue;
			if (!header) {
				if (shown)
					printf("\n");
				printf("%s (%s)\n", p ? _(p->name) : a->provider, p ? p->id : _("unknown provider"));
				header = true;
			}
			const char *active = store_active_id(store, a->provider);
			char status[64];
			format_status(a, status, sizeof(status));
			printf("  %s %s  %-28s %-8s %s\n",
			       active && strcmp(active, a->id) == 0 ? "*" : " ",
			       a->round_robin ? "rr" : "  ", a->label, account_method_text(a), status);
			shown++;
		}
	}
	if (!shown)
		printf("%s\n", _("No accounts yet. Add one with 'aiauth add PROVIDER' "
		                 "(see 'aiauth providers')."));
	else
		printf("\n%s %s\n", _("* active, rr in the round-robin pool. Secrets are kept in:"),
		       store->secret_backend ? store->secret_backend : _("(none stored yet)"));
	store_free(store);
	return 0;
}

int cmd_providers(struct cli *cli, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {{"--json", NULL, &json, NULL}, {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 0, &npos, NULL);
	if (rc)
		return rc;
	struct aiauth_error *err = NULL;
	struct registry *reg;
	if (session_registry(cli->session, &reg, &err) != AIAUTH_OK)
		return cli_fail(&err);
	static const enum auth_method all[] = {AUTH_METHOD_API_KEY, AUTH_METHOD_BROWSER,
	                                       AUTH_METHOD_DEVICE, AUTH_METHOD_NONE};
	if (json) {
		yajl_gen g = json_gen_new(true);
		bool ok = g && yajl_gen_array_open(g) == yajl_gen_status_ok;
		for (size_t i = 0; ok && i < registry_count(reg); i++) {
			const struct provider *p = registry_at(reg, i);
			ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
			     json_gen_key_string(g, "id", p->id) && json_gen_key_string(g, "name", p->name) &&
			     json_gen_key_string(g, "description", p->description) &&
			     json_gen_key_string(g, "group", provider_group_name(p->group)) &&
			     json_gen_key_string(g, "base_url", p->base_url) && json_gen_key(g, "methods") &&
			     yajl_gen_array_open(g) == yajl_gen_status_ok;
			for (size_t m = 0; ok && m < 4; m++)
				if (p->methods & all[m])
					ok = json_gen_string(g, auth_method_name(all[m]));
			ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok &&
			     yajl_gen_map_close(g) == yajl_gen_status_ok;
		}
		ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok;
		if (!ok) {
			if (g)
				yajl_gen_free(g);
			return cli_usage_error("%s", _("cannot generate JSON"));
		}
		return print_json(g);
	}
	int last_group = -1;
	for (size_t i = 0; i < registry_count(reg); i++) {
		const struct provider *p = registry_at(reg, i);
		if ((int)p->group != last_group) {
			static const char *titles[] = {N_("Subscription sign-in"), N_("API key"),
			                               N_("Local servers")};
			printf("%s%s\n", last_group >= 0 ? "\n" : "",
			       _(titles[p->group <= PROVIDER_GROUP_LOCAL ? p->group : 1]));
			last_group = (int)p->group;
		}
		char methods[64] = "";
		for (size_t m = 0; m < 4; m++) {
			if (!(p->methods & all[m]))
				continue;
			if (methods[0])
				strcat(methods, ",");
			strcat(methods, auth_method_name(all[m]));
		}
		printf("  %-22s %-34s %s\n", p->id, _(p->name), methods);
	}
	return 0;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = {{"--json", NULL, &json, NULL}, {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 0, &npos, NULL);
	if (rc)
		return rc;
	struct aiauth_error *err = NULL, *serr = NULL;
	struct store *store = NULL;
	if (store_load(NULL, &store, &err) != AIAUTH_OK)
		return cli_fail(&err);
	char *config_dir = NULL, *data_dir = NULL;
	paths_config_dir(&config_dir, NULL);
	paths_data_dir(&data_dir, NULL);
	struct secretstore *ss = NULL;
	enum aiauth_status sst = session_secrets(cli->session, &ss, &serr);
	size_t needs = 0;
	for (size_t i = 0; i < store->n_accounts; i++)
		if (store->accounts[i].status == ACCOUNT_STATUS_NEEDS_SIGNIN)
			needs++;
	if (json) {
		yajl_gen g = json_gen_new(true);
		bool ok = g && yajl_gen_map_open(g) == yajl_gen_status_ok &&
		          json_gen_key_string(g, "version", PACKAGE_VERSION) &&
		          json_gen_key_string(g, "config_dir", config_dir) &&
		          json_gen_key_string(g, "data_dir", data_dir) &&
		          json_gen_key_string(g, "secret_backend",
		                              ss ? secret_backend_name(secretstore_backend(ss)) : NULL) &&
		          json_gen_key_string(g, "secret_backend_reason",
		                              ss ? secretstore_reason(ss) : serr->message) &&
		          json_gen_key_string(g, "secret_location", ss ? secretstore_location(ss) : NULL) &&
		          json_gen_key_int(g, "accounts", (int64_t)store->n_accounts) &&
		          json_gen_key_int(g, "needs_signin", (int64_t)needs) && json_gen_key(g, "list") &&
		          yajl_gen_array_open(g) == yajl_gen_status_ok;
		for (size_t i = 0; ok && i < store->n_accounts; i++)
			ok = gen_account(g, store, &store->accounts[i]);
		ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok &&
		     yajl_gen_map_close(g) == yajl_gen_status_ok;
		if (ok)
			rc = print_json(g);
		else {
			if (g)
				yajl_gen_free(g);
			rc = cli_usage_error("%s", _("cannot generate JSON"));
		}
	} else {
		printf("aiauth %s\n", PACKAGE_VERSION);
		if (ss) {
			printf(_("Secrets:  %s, %s\n"),
			       secretstore_backend(ss) == SECRET_BACKEND_KEYRING
			           ? _("the desktop keyring (Secret Service)")
			           : _("the encrypted file"),
			       secretstore_location(ss));
			printf(_("          because %s\n"), secretstore_reason(ss));
		} else {
			printf(_("Secrets:  unavailable: %s\n"), serr->message);
		}
		printf(_("Accounts: %zu in %s/accounts.json\n"), store->n_accounts,
		       config_dir ? config_dir : "?");
		for (size_t i = 0; i < store->n_accounts; i++) {
			const struct account *a = &store->accounts[i];
			char status[64];
			format_status(a, status, sizeof(status));
			const char *active = store_active_id(store, a->provider);
			printf("  %-20s %s %-28s %s\n", a->provider,
			       active && strcmp(active, a->id) == 0 ? "*" : " ", a->label, status);
			/* What the keep-alive timer (refresh --all) last did. */
			if (a->kind == ACCOUNT_OAUTH && a->last_refresh > 0) {
				char when[32] = "?";
				time_t t = (time_t)a->last_refresh;
				struct tm tm;
				if (localtime_r(&t, &tm))
					strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
				printf(_("  %-20s   last refresh %s: %s\n"), "", when,
				       a->last_refresh_outcome ? a->last_refresh_outcome : "?");
			}
		}
		if (needs)
			printf(_("%zu account(s) need to sign in again.\n"), needs);
	}
	if (rc == 0 && sst != AIAUTH_OK)
		rc = status_exit_code(sst);
	else if (rc == 0 && needs)
		rc = status_exit_code(AIAUTH_NEEDS_SIGNIN);
	error_clear(&serr);
	free(config_dir);
	free(data_dir);
	store_free(store);
	return rc;
}

/* ------------------------------------------------------------------ add */

/* Read the provider's credential fields: a hidden prompt per field on a
 * terminal, else standard input (all of it for one field, a line per
 * field otherwise). */
static enum aiauth_status read_fields(const struct provider *p, bool token,
                                      struct credential *cred, struct aiauth_error **err)
{
	bool tty = prompt_stdin_is_tty();
	size_t n = token ? 1 : p->n_fields;
	for (size_t i = 0; i < n; i++) {
		const char *name = token ? "access_token" : p->fields[i].name;
		const char *prompt = token ? N_("Access token") : p->fields[i].prompt;
		struct secret *value = NULL;
		enum aiauth_status st;
		if (tty) {
			char question[256];
			snprintf(question, sizeof(question), "%s %s: ", _(p->name), _(prompt));
			st = prompt_masked(question, &value, err);
		} else if (n == 1) {
			st = prompt_read_stdin(64 * 1024, &value, err);
		} else {
			st = prompt_read_stdin_line(64 * 1024, &value, err);
		}
		if (st != AIAUTH_OK)
			return st;
		if (value->len == 0) {
			secret_free(value);
			return error_set(err, AIAUTH_USAGE, _("no %s was given; nothing was saved"),
			                 _(prompt));
		}
		for (size_t k = 0; k < value->len; k++) {
			if (value->buf[k] < 0x20 || value->buf[k] == 0x7f) {
				secret_free(value);
				return error_set(err, AIAUTH_USAGE,
				                 _("the %s contains control characters or line breaks; "
				                   "nothing was saved"),
				                 _(prompt));
			}
		}
		if (!token && i == 0 && p->key_prefix &&
		    strncmp((const char *)value->buf, p->key_prefix, strlen(p->key_prefix)) != 0)
			cli_warn(_("this does not look like a %s key (they start with \"%s\"); "
			           "saving it anyway"),
			         _(p->name), p->key_prefix);
		st = credential_take(cred, name, value);
		if (st != AIAUTH_OK)
			return error_set(err, st, "%s", _("out of memory"));
	}
	return AIAUTH_OK;
}

int cmd_add(struct cli *cli, int argc, char **argv)
{
	const char *label = NULL, *base_url = NULL, *api_version = NULL, *region = NULL;
	bool token = false;
	const struct cli_opt opts[] = {{"--label", &label, NULL, NULL},
	                               {"--base-url", &base_url, NULL, NULL},
	                               {"--api-version", &api_version, NULL, NULL},
	                               {"--region", &region, NULL, NULL},
	                               {"--token", NULL, &token, NULL},
	                               {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 1, &npos, NULL);
	if (rc)
		return rc;
	if (npos != 1)
		return cli_usage_error("%s", _("add needs a provider (see 'aiauth providers')"));
	struct aiauth_error *err = NULL;
	const struct provider *p;
	if (session_provider(cli->session, pos[0], &p, &err) != AIAUTH_OK)
		return cli_fail(&err);

	struct account tmpl = {.provider = p->id};
	if (token) {
		tmpl.kind = ACCOUNT_OAUTH;
		tmpl.method = "token";
	} else if (p->methods & AUTH_METHOD_API_KEY) {
		tmpl.kind = ACCOUNT_API_KEY;
		tmpl.method = "api_key";
	} else if (p->methods & AUTH_METHOD_NONE) {
		tmpl.kind = ACCOUNT_NONE;
		tmpl.method = "none";
	} else {
		return cli_usage_error(_("%s signs in through its website: use 'aiauth login %s', or "
		                         "'aiauth add %s --token' to store an access token you "
		                         "already have"),
		                       _(p->name), p->id, p->id);
	}
	if (tmpl.kind == ACCOUNT_API_KEY && p->n_fields == 0)
		return cli_usage_error(_("%s has no key fields configured"), _(p->name));
	if (p->needs_base_url && !base_url)
		return cli_usage_error(_("%s needs --base-url (your endpoint's address)"), _(p->name));
	char *url = NULL;
	if (base_url && registry_normalize_base_url(base_url, &url, &err) != AIAUTH_OK)
		return cli_fail(&err);
	tmpl.label = (char *)label;
	tmpl.base_url = url;
	tmpl.api_version = (char *)(api_version ? api_version
	                                        : (p->default_api_version && p->needs_base_url
	                                               ? p->default_api_version
	                                               : NULL));
	tmpl.region = (char *)region;

	struct credential *cred = NULL;
	struct secret *blob = NULL;
	char *shown = NULL;
	bool first = false;
	enum aiauth_status st = AIAUTH_OK;
	if (tmpl.kind != ACCOUNT_NONE) {
		cred = credential_new();
		if (!cred) {
			st = error_set(&err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
		if ((st = read_fields(p, token, cred, &err)) != AIAUTH_OK)
			goto out;
		if ((st = credential_to_blob(cred, &blob, &err)) != AIAUTH_OK)
			goto out;
	}
	if ((st = session_add_account(cli->session, p, &tmpl, blob, &shown, &first, &err)) !=
	    AIAUTH_OK)
		goto out;
	printf(_("Added %s account \"%s\"%s.\n"), _(p->name), shown, first ? _(" (active)") : "");
out:
	free(url);
	free(shown);
	credential_free(cred);
	secret_free(blob);
	if (st != AIAUTH_OK)
		return cli_fail(&err);
	return 0;
}

/* ------------------------------------------- remove, rename, use, rr */

/* "[PROVIDER] ACCOUNT": one argument is an account of any provider; two
 * name the provider first. */
struct target {
	const char *provider;
	const char *name;
};

struct account_op_ctx {
	struct target t;
	const char *new_label;
	int op; /* 0 remove, 1 rename, 2 use, 3 clear active, 4 rr join, 5 rr leave */
	char *id;
	char *label;
	char *provider;
};

static enum aiauth_status account_op_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct account_op_ctx *oc = ctx;
	if (oc->op == 3)
		return store_set_active(store, oc->t.provider, NULL, err);
	struct account *a = NULL;
	enum aiauth_status st = store_lookup(store, oc->t.provider, oc->t.name, &a, err);
	if (st != AIAUTH_OK)
		return st;
	/* Expected id given (remove after its secret is gone): make sure the
	 * name still means the same account. */
	if (oc->id && strcmp(oc->id, a->id) != 0)
		return error_set(err, AIAUTH_FAILED, "%s", _("the account changed meanwhile; try again"));
	free(oc->label);
	free(oc->provider);
	oc->label = strdup(a->label);
	oc->provider = strdup(a->provider);
	if (!oc->id)
		oc->id = strdup(a->id);
	char *id = oc->id;
	switch (oc->op) {
	case 0:
		return store_remove(store, id, err);
	case 1:
		return store_rename(store, id, oc->new_label, err);
	case 2:
		return store_set_active(store, a->provider, id, err);
	case 4:
		return store_set_round_robin(store, id, true, err);
	case 5:
		return store_set_round_robin(store, id, false, err);
	default:
		return AIAUTH_OK;
	}
}

static void account_op_clear(struct account_op_ctx *oc)
{
	free(oc->id);
	free(oc->label);
	free(oc->provider);
}

static int parse_target(struct cli *cli, int npos, const char **pos, int need_extra,
                        struct target *t)
{
	struct aiauth_error *err = NULL;
	int n = npos - need_extra;
	if (n == 1) {
		t->provider = NULL;
		t->name = pos[0];
	} else if (n == 2) {
		const struct provider *p;
		if (session_provider(cli->session, pos[0], &p, &err) != AIAUTH_OK)
			return cli_fail(&err);
		t->provider = p->id;
		t->name = pos[1];
	} else {
		return -1;
	}
	return 0;
}

int cmd_remove(struct cli *cli, int argc, char **argv)
{
	bool yes = false;
	const struct cli_opt opts[] = {{"--yes", NULL, &yes, NULL}, {0}};
	const char *pos[2];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 2, &npos, NULL);
	if (rc)
		return rc;
	struct account_op_ctx oc = {.op = 0};
	rc = parse_target(cli, npos, pos, 0, &oc.t);
	if (rc < 0)
		return cli_usage_error("%s", _("usage: aiauth remove [PROVIDER] ACCOUNT"));
	if (rc)
		return rc;
	struct aiauth_error *err = NULL;
	struct store *store = NULL;
	struct account *a = NULL;
	if (store_load(NULL, &store, &err) != AIAUTH_OK ||
	    store_lookup(store, oc.t.provider, oc.t.name, &a, &err) != AIAUTH_OK) {
		store_free(store);
		return cli_fail(&err);
	}
	oc.id = strdup(a->id);
	bool has_secret = a->kind != ACCOUNT_NONE;
	char question[512];
	snprintf(question, sizeof(question), _("Remove the %s account \"%s\" and its secret?"),
	         a->provider, a->label);
	store_free(store);
	if (!yes && prompt_stdin_is_tty() && !prompt_confirm(question)) {
		account_op_clear(&oc);
		fprintf(stderr, "%s\n", _("Nothing was removed."));
		return 1;
	}
	/* The secret goes first: if the backend cannot be reached, the account
	 * stays, so nothing is left behind that aiauth no longer knows about. */
	if (has_secret) {
		struct secretstore *ss;
		if (session_secrets(cli->session, &ss, &err) != AIAUTH_OK ||
		    secretstore_delete(ss, oc.id, &err) != AIAUTH_OK) {
			account_op_clear(&oc);
			return cli_fail(&err);
		}
	}
	if (store_update(NULL, account_op_cb, &oc, &err) != AIAUTH_OK) {
		account_op_clear(&oc);
		return cli_fail(&err);
	}
	printf(_("Removed %s account \"%s\".\n"), oc.provider, oc.label);
	account_op_clear(&oc);
	return 0;
}

int cmd_rename(struct cli *cli, int argc, char **argv)
{
	const char *pos[3];
	int npos;
	int rc = cli_parse(argc, argv, NULL, pos, 3, &npos, NULL);
	if (rc)
		return rc;
	struct account_op_ctx oc = {.op = 1};
	rc = npos >= 2 ? parse_target(cli, npos, pos, 1, &oc.t) : -1;
	if (rc < 0)
		return cli_usage_error("%s", _("usage: aiauth rename [PROVIDER] ACCOUNT NEW-LABEL"));
	if (rc)
		return rc;
	oc.new_label = pos[npos - 1];
	struct aiauth_error *err = NULL;
	if (store_update(NULL, account_op_cb, &oc, &err) != AIAUTH_OK) {
		account_op_clear(&oc);
		return cli_fail(&err);
	}
	printf(_("Renamed %s account \"%s\" to \"%s\".\n"), oc.provider, oc.label, oc.new_label);
	account_op_clear(&oc);
	return 0;
}

int cmd_use(struct cli *cli, int argc, char **argv)
{
	bool none = false;
	const struct cli_opt opts[] = {{"--none", NULL, &none, NULL}, {0}};
	const char *pos[2];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 2, &npos, NULL);
	if (rc)
		return rc;
	if ((none && npos != 1) || (!none && npos != 2))
		return cli_usage_error("%s", _("usage: aiauth use PROVIDER ACCOUNT, or aiauth use "
		                               "PROVIDER --none"));
	struct aiauth_error *err = NULL;
	const struct provider *p;
	if (session_provider(cli->session, pos[0], &p, &err) != AIAUTH_OK)
		return cli_fail(&err);
	struct account_op_ctx oc = {.op = none ? 3 : 2, .t = {p->id, none ? NULL : pos[1]}};
	if (store_update(NULL, account_op_cb, &oc, &err) != AIAUTH_OK) {
		account_op_clear(&oc);
		return cli_fail(&err);
	}
	if (none)
		printf(_("%s has no active account now.\n"), _(p->name));
	else
		printf(_("\"%s\" is now the active %s account.\n"), oc.label, _(p->name));
	account_op_clear(&oc);
	if (!none)
		cli_auto_sync(cli, p->id);
	return 0;
}

int cmd_rr(struct cli *cli, int argc, char **argv)
{
	const char *pos[3];
	int npos;
	int rc = cli_parse(argc, argv, NULL, pos, 3, &npos, NULL);
	if (rc)
		return rc;
	struct account_op_ctx oc = {0};
	if (npos >= 2 && strcmp(pos[0], "join") == 0)
		oc.op = 4;
	else if (npos >= 2 && strcmp(pos[0], "leave") == 0)
		oc.op = 5;
	else
		return cli_usage_error("%s", _("usage: aiauth rr join|leave [PROVIDER] ACCOUNT"));
	rc = parse_target(cli, npos - 1, pos + 1, 0, &oc.t);
	if (rc < 0)
		return cli_usage_error("%s", _("usage: aiauth rr join|leave [PROVIDER] ACCOUNT"));
	if (rc)
		return rc;
	struct aiauth_error *err = NULL;
	if (store_update(NULL, account_op_cb, &oc, &err) != AIAUTH_OK) {
		account_op_clear(&oc);
		return cli_fail(&err);
	}
	printf(oc.op == 4 ? _("\"%s\" joined the %s round-robin pool.\n")
	                  : _("\"%s\" left the %s round-robin pool.\n"),
	       oc.label, oc.provider);
	account_op_clear(&oc);
	return 0;
}
