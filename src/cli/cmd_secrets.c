/* cmd_secrets.c - token, env, exec: handing credentials to tools.
 *
 * Secrets go to standard output (token, env) or straight into the child's
 * environment (exec): never into aiauth's own environment or argv. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "credential.h"
#include "debug.h"

extern char **environ;

/* A variable to hand out; `value` is borrowed from the credential or the
 * account and lives as long as they do. */
struct handout {
	const char *name;
	const char *value;
	size_t len;
};

struct handout_list {
	struct handout items[32];
	size_t n;
};

static void handout_add(struct handout_list *l, const char *name, const char *value, size_t len)
{
	if (!name || !value || l->n >= sizeof(l->items) / sizeof(l->items[0]))
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].name, name) == 0) {
			l->items[i].value = value;
			l->items[i].len = len;
			return;
		}
	}
	l->items[l->n++] = (struct handout){name, value, len};
}

/* The variables a tool expects for this provider and account. */
static enum aiauth_status collect_vars(const struct provider *p, const struct account *a,
                                       const struct credential *cred, struct handout_list *l,
                                       struct aiauth_error **err)
{
	if (a->kind == ACCOUNT_API_KEY) {
		for (size_t i = 0; i < p->n_fields; i++) {
			const struct secret *v = credential_get(cred, p->fields[i].name);
			if (!v)
				return error_set(err, AIAUTH_CORRUPT,
				                 _("the stored %s credential has no %s; add the account "
				                   "again"),
				                 p->id, p->fields[i].name);
			handout_add(l, p->fields[i].env, (const char *)v->buf, v->len);
		}
	} else if (a->kind == ACCOUNT_OAUTH) {
		const struct secret *v = credential_get(cred, "access_token");
		const char *var = p->token_env;
		if (!var && p->n_fields == 1)
			var = p->fields[0].env;
		if (!v)
			return error_set(err, AIAUTH_CORRUPT,
			                 _("the stored %s credential has no access token; sign in again"),
			                 p->id);
		if (!var)
			return error_set(err, AIAUTH_UNSUPPORTED,
			                 _("%s has no environment variable for access tokens; use "
			                   "'aiauth token %s'"),
			                 p->id, p->id);
		handout_add(l, var, (const char *)v->buf, v->len);
	}
	/* A keyless local server is found through its address; other providers
	 * only need one when the account has its own endpoint. */
	const char *url = a->base_url ? a->base_url : (a->kind == ACCOUNT_NONE ? p->base_url : NULL);
	if (url)
		handout_add(l, p->base_url_env, url, strlen(url));
	const char *version = a->api_version;
	if (version)
		handout_add(l, p->api_version_env, version, strlen(version));
	if (a->region)
		handout_add(l, p->region_env, a->region, strlen(a->region));
	if (l->n == 0)
		return error_set(err, AIAUTH_UNSUPPORTED,
		                 _("%s has no environment variables to set"), p->id);
	return AIAUTH_OK;
}

/* The primary secret of a credential: the key or the access token. */
static const struct secret *primary_secret(const struct provider *p, const struct account *a,
                                           const struct credential *cred,
                                           struct aiauth_error **err)
{
	if (a->kind == ACCOUNT_OAUTH) {
		const struct secret *v = credential_get(cred, "access_token");
		if (!v)
			error_set(err, AIAUTH_CORRUPT,
			          _("the stored %s credential has no access token; sign in again"), p->id);
		return v;
	}
	if (a->kind == ACCOUNT_NONE) {
		error_set(err, AIAUTH_USAGE,
		          _("%s is a keyless local server; 'aiauth env %s' gives its address"), p->id,
		          p->id);
		return NULL;
	}
	if (p->n_fields != 1) {
		error_set(err, AIAUTH_USAGE,
		          _("%s credentials have %zu parts; use 'aiauth env %s' or 'aiauth exec %s'"),
		          p->id, p->n_fields, p->id, p->id);
		return NULL;
	}
	const struct secret *v = credential_get(cred, p->fields[0].name);
	if (!v)
		error_set(err, AIAUTH_CORRUPT, _("the stored %s credential has no %s; add it again"),
		          p->id, p->fields[0].name);
	return v;
}

int cmd_token(struct cli *cli, int argc, char **argv)
{
	const char *account = NULL;
	const struct cli_opt opts[] = {{"--account", &account, NULL, NULL}, {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 1, &npos, NULL);
	if (rc)
		return rc;
	if (npos != 1)
		return cli_usage_error("%s", _("usage: aiauth token PROVIDER [--account A]"));
	struct aiauth_error *err = NULL;
	struct account *a = NULL;
	struct credential *cred = NULL;
	const struct provider *p;
	if (session_provider(cli->session, pos[0], &p, &err) != AIAUTH_OK ||
	    session_resolve(cli->session, p->id, account, &a, &cred, &err) != AIAUTH_OK)
		return cli_fail(&err);
	const struct secret *v = primary_secret(p, a, cred, &err);
	if (v) {
		fwrite(v->buf, 1, v->len, stdout);
		fputc('\n', stdout);
	}
	account_free(a);
	credential_free(cred);
	return v ? 0 : cli_fail(&err);
}

/* Shell single quotes: everything literal except the quote itself. */
static void print_quoted(const char *s, size_t len)
{
	fputc('\'', stdout);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			fputs("'\\''", stdout);
		else
			fputc(s[i], stdout);
	}
	fputc('\'', stdout);
}

struct resolved {
	struct account *account;
	struct credential *cred;
};

static void resolved_free(struct resolved *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		account_free(r[i].account);
		credential_free(r[i].cred);
	}
	free(r);
}

/* Resolve every provider named; the variables of later providers win. */
static int resolve_all(struct cli *cli, const char **names, int n, const char *account,
                       struct resolved **out, struct handout_list *vars)
{
	if (account && n != 1)
		return cli_usage_error("%s", _("--account can be used with one provider only"));
	struct resolved *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return cli_usage_error("%s", _("out of memory"));
	struct aiauth_error *err = NULL;
	for (int i = 0; i < n; i++) {
		const struct provider *p;
		if (session_provider(cli->session, names[i], &p, &err) != AIAUTH_OK ||
		    session_resolve(cli->session, p->id, account, &r[i].account, &r[i].cred, &err) !=
		        AIAUTH_OK ||
		    collect_vars(p, r[i].account, r[i].cred, vars, &err) != AIAUTH_OK) {
			resolved_free(r, (size_t)n);
			return cli_fail(&err);
		}
	}
	*out = r;
	return 0;
}

int cmd_env(struct cli *cli, int argc, char **argv)
{
	const char *account = NULL;
	const struct cli_opt opts[] = {{"--account", &account, NULL, NULL}, {0}};
	const char *pos[16];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 16, &npos, NULL);
	if (rc)
		return rc;
	if (npos < 1)
		return cli_usage_error("%s", _("usage: aiauth env PROVIDER... [--account A]"));
	struct resolved *r = NULL;
	struct handout_list vars = {.n = 0};
	rc = resolve_all(cli, pos, npos, account, &r, &vars);
	if (rc)
		return rc;
	for (size_t i = 0; i < vars.n; i++) {
		printf("export %s=", vars.items[i].name);
		print_quoted(vars.items[i].value, vars.items[i].len);
		fputc('\n', stdout);
	}
	resolved_free(r, (size_t)npos);
	return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv)
{
	const char *account = NULL;
	const struct cli_opt opts[] = {{"--account", &account, NULL, NULL}, {0}};
	const char *pos[16];
	int npos, rest;
	int rc = cli_parse(argc, argv, opts, pos, 16, &npos, &rest);
	if (rc)
		return rc;
	if (npos < 1 || rest >= argc)
		return cli_usage_error("%s", _("usage: aiauth exec PROVIDER... -- COMMAND [ARG...]"));
	struct resolved *r = NULL;
	struct handout_list vars = {.n = 0};
	rc = resolve_all(cli, pos, npos, account, &r, &vars);
	if (rc)
		return rc;
	/* The child's environment is built here rather than with setenv(), so
	 * the secrets never enter aiauth's own environment. */
	size_t n_env = 0;
	while (environ[n_env])
		n_env++;
	char **envp = calloc(n_env + vars.n + 1, sizeof(char *));
	size_t k = 0;
	if (!envp) {
		resolved_free(r, (size_t)npos);
		return cli_usage_error("%s", _("out of memory"));
	}
	for (size_t i = 0; i < n_env; i++) {
		bool replaced = false;
		for (size_t v = 0; v < vars.n; v++) {
			size_t nl = strlen(vars.items[v].name);
			if (strncmp(environ[i], vars.items[v].name, nl) == 0 && environ[i][nl] == '=')
				replaced = true;
		}
		if (!replaced)
			envp[k++] = environ[i];
	}
	size_t first_added = k;
	for (size_t v = 0; v < vars.n; v++) {
		size_t nl = strlen(vars.items[v].name);
		char *entry = malloc(nl + 1 + vars.items[v].len + 1);
		if (!entry)
			break; /* exec without it; the tool will say what is missing */
		memcpy(entry, vars.items[v].name, nl);
		entry[nl] = '=';
		memcpy(entry + nl + 1, vars.items[v].value, vars.items[v].len);
		entry[nl + 1 + vars.items[v].len] = '\0';
		envp[k++] = entry;
	}
	envp[k] = NULL;
	if (debug_on()) {
		char names[256] = "";
		for (size_t v = 0; v < vars.n; v++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			         v ? " " : "", vars.items[v].name);
		debug_log("exec: running the command with %s set (its environment holds them by "
		          "design)",
		          names[0] ? names : "nothing");
	}
	fflush(stdout);
	fflush(stderr);
	cli_close(cli);
	secret_before_exec();
	execvpe(argv[rest], argv + rest, envp);
	int e = errno;
	fprintf(stderr, _("aiauth: cannot run %s: %s\n"), argv[rest], strerror(e));
	for (size_t i = first_added; i < k; i++) {
		secure_wipe(envp[i], strlen(envp[i]));
		free(envp[i]);
	}
	free(envp);
	resolved_free(r, (size_t)npos);
	return e == ENOENT ? 127 : 126;
}
