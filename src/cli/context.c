/* context.c - what every command shares: error printing, the registry, the
 * secret store and its passphrase, credential resolution. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "credential.h"
#include "fsutil.h"
#include "lifecycle.h"
#include "loop.h"

int cli_fail(struct aiauth_error **err)
{
	if (!err || !*err) {
		fprintf(stderr, "aiauth: %s\n", _("failed"));
		return 1;
	}
	fprintf(stderr, "aiauth: %s\n", (*err)->message[0] ? (*err)->message
	                                                    : _(status_text((*err)->status)));
	int code = status_exit_code((*err)->status);
	error_clear(err);
	return code;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("aiauth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status_exit_code(AIAUTH_USAGE);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "aiauth: %s", _("warning: "));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

enum aiauth_status cli_registry(struct cli *cli, struct registry **out,
                                struct aiauth_error **err)
{
	if (!cli->registry) {
		enum aiauth_status st = registry_load(NULL, &cli->registry, err);
		if (st != AIAUTH_OK)
			return st;
	}
	*out = cli->registry;
	return AIAUTH_OK;
}

enum aiauth_status cli_provider(struct cli *cli, const char *id, const struct provider **out,
                                struct aiauth_error **err)
{
	struct registry *reg;
	enum aiauth_status st = cli_registry(cli, &reg, err);
	if (st != AIAUTH_OK)
		return st;
	const struct provider *p = registry_find(reg, id);
	if (!p)
		return error_set(err, AIAUTH_USAGE,
		                 _("unknown provider \"%s\" (see 'aiauth providers')"), id);
	*out = p;
	return AIAUTH_OK;
}

/* The vault passphrase: a file named by the user for unattended use, else a
 * masked prompt on the terminal (twice when the vault is being created). */
static enum aiauth_status cli_passphrase(void *ctx, bool creating, struct secret **out,
                                         struct aiauth_error **err)
{
	struct cli *cli = ctx;
	if (cli->passphrase_file) {
		struct stat st;
		if (stat(cli->passphrase_file, &st) == 0 && (st.st_mode & 077))
			cli_warn(_("%s can be read by other users; make it mode 0600"),
			         cli->passphrase_file);
		struct secret *pass = NULL;
		enum aiauth_status s = fs_read_secret(cli->passphrase_file, 4096, &pass, err);
		if (s != AIAUTH_OK) {
			error_prefix(err, "%s", _("passphrase file: "));
			return s == AIAUTH_NOT_FOUND ? AIAUTH_BACKEND : s;
		}
		/* A trailing newline is an accident of editors, not part of it. */
		while (pass->len && (pass->buf[pass->len - 1] == '\n' || pass->buf[pass->len - 1] == '\r'))
			pass->buf[--pass->len] = '\0';
		if (pass->len == 0) {
			secret_free(pass);
			return error_set(err, AIAUTH_BACKEND, _("the passphrase file %s is empty"),
			                 cli->passphrase_file);
		}
		*out = pass;
		return AIAUTH_OK;
	}
	struct secret *first = NULL, *again = NULL;
	enum aiauth_status s;
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty >= 0)
		close(tty);
	else
		return error_set(err, AIAUTH_BACKEND, "%s",
		                 _("the encrypted secret file needs a passphrase and there is no "
		                   "terminal to ask on: set AIAUTH_PASSPHRASE_FILE or use "
		                   "--passphrase-file"));
	if (creating)
		fprintf(stderr, "%s\n",
		        _("No keyring is available, so aiauth keeps secrets in an encrypted file. "
		          "Choose a passphrase for it."));
	s = prompt_masked(creating ? _("New passphrase: ") : _("Passphrase for the encrypted "
	                                                       "secret file: "),
	                  &first, err);
	if (s != AIAUTH_OK)
		return s;
	if (creating) {
		if (first->len < 8) {
			secret_free(first);
			return error_set(err, AIAUTH_USAGE, "%s",
			                 _("the passphrase must have at least 8 characters"));
		}
		s = prompt_masked(_("Repeat the passphrase: "), &again, err);
		if (s != AIAUTH_OK) {
			secret_free(first);
			return s;
		}
		bool same = secret_equal(first, again);
		secret_free(again);
		if (!same) {
			secret_free(first);
			return error_set(err, AIAUTH_USAGE, "%s", _("the passphrases do not match"));
		}
	}
	*out = first;
	return AIAUTH_OK;
}

enum aiauth_status cli_secrets_open(struct cli *cli, enum secret_backend backend,
                                    const char *reason, struct secretstore **out,
                                    struct aiauth_error **err)
{
	struct secretstore_options opts = {
		.backend = backend,
		.reason = reason,
		.get_passphrase = cli_passphrase,
		.passphrase_ctx = cli,
	};
	return secretstore_open(&opts, out, err);
}

enum aiauth_status cli_secrets(struct cli *cli, struct secretstore **out,
                               struct aiauth_error **err)
{
	if (cli->secrets) {
		*out = cli->secrets;
		return AIAUTH_OK;
	}
	enum secret_backend backend = cli->forced_backend;
	const char *reason = backend != SECRET_BACKEND_AUTO ? _("chosen with --store") : NULL;
	if (backend == SECRET_BACKEND_AUTO) {
		/* Once secrets are stored somewhere, they stay there: flipping to a
		 * fresh, empty file because the keyring is missing in this session
		 * would only hide them. */
		struct store *store = NULL;
		enum aiauth_status st = store_load(NULL, &store, err);
		if (st != AIAUTH_OK)
			return st;
		if (store->secret_backend &&
		    secret_backend_parse(store->secret_backend, &backend) &&
		    backend != SECRET_BACKEND_AUTO)
			reason = _("your secrets are kept there");
		else
			backend = SECRET_BACKEND_AUTO;
		store_free(store);
	}
	enum aiauth_status st = cli_secrets_open(cli, backend, reason, &cli->secrets, err);
	if (st != AIAUTH_OK) {
		if (backend == SECRET_BACKEND_KEYRING && cli->forced_backend == SECRET_BACKEND_AUTO)
			error_prefix(err, "%s",
			             _("your secrets are in the keyring, which cannot be used now "
			               "(use 'aiauth store migrate --to file' where it can): "));
		return st;
	}
	*out = cli->secrets;
	return AIAUTH_OK;
}

enum aiauth_status cli_loop(struct cli *cli, struct loop **out, struct aiauth_error **err)
{
	if (!cli->loop) {
		enum aiauth_status st = loop_new(&cli->loop, err);
		if (st != AIAUTH_OK)
			return st;
	}
	*out = cli->loop;
	return AIAUTH_OK;
}

void cli_close(struct cli *cli)
{
	if (cli->loop)
		loop_free(cli->loop);
	cli->loop = NULL;
	if (cli->secrets)
		secretstore_close(cli->secrets);
	if (cli->registry)
		registry_free(cli->registry);
	cli->secrets = NULL;
	cli->registry = NULL;
}

struct record_backend_ctx {
	const char *name;
	bool overwrite;
};

static enum aiauth_status record_backend_cb(struct store *store, void *ctx,
                                            struct aiauth_error **err)
{
	struct record_backend_ctx *rb = ctx;
	if (store->secret_backend && !rb->overwrite)
		return AIAUTH_OK;
	if (store->secret_backend && strcmp(store->secret_backend, rb->name) == 0)
		return AIAUTH_OK;
	char *copy = strdup(rb->name);
	if (!copy)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	free(store->secret_backend);
	store->secret_backend = copy;
	store->dirty = true;
	return AIAUTH_OK;
}

enum aiauth_status cli_record_backend(enum secret_backend backend, bool overwrite,
                                      struct aiauth_error **err)
{
	struct record_backend_ctx rb = {secret_backend_name(backend), overwrite};
	return store_update(NULL, record_backend_cb, &rb, err);
}

struct resolve_ctx {
	const char *provider;
	const char *name;
	struct account *found;
};

static enum aiauth_status resolve_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct resolve_ctx *rc = ctx;
	struct account *a = NULL;
	enum aiauth_status st = store_resolve(store, rc->provider, rc->name, &a, err);
	if (st != AIAUTH_OK)
		return st;
	rc->found = account_dup(a);
	if (!rc->found)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	return AIAUTH_OK;
}

enum aiauth_status cli_resolve(struct cli *cli, const char *provider, const char *account_name,
                               struct account **account, struct credential **cred,
                               struct aiauth_error **err)
{
	const struct provider *p;
	enum aiauth_status st = cli_provider(cli, provider, &p, err);
	if (st != AIAUTH_OK)
		return st;
	/* The round-robin cursor moves inside the same locked update that
	 * chooses the account, so concurrent callers each get the next one. */
	struct resolve_ctx rc = {provider, account_name, NULL};
	st = store_update(NULL, resolve_cb, &rc, err);
	if (st != AIAUTH_OK) {
		account_free(rc.found);
		return st;
	}
	struct account *a = rc.found;
	if (a->status == ACCOUNT_STATUS_NEEDS_SIGNIN) {
		st = error_set(err, AIAUTH_NEEDS_SIGNIN,
		               _("the %s account \"%s\" needs to sign in again (aiauth login %s)"),
		               provider, a->label, provider);
		account_free(a);
		return st;
	}
	*cred = NULL;
	if (a->kind == ACCOUNT_OAUTH) {
		/* OAuth tokens are refreshed before they are handed out. */
		struct registry *reg;
		struct secretstore *ss;
		struct loop *loop;
		if ((st = cli_registry(cli, &reg, err)) == AIAUTH_OK &&
		    (st = cli_secrets(cli, &ss, err)) == AIAUTH_OK &&
		    (st = cli_loop(cli, &loop, err)) == AIAUTH_OK) {
			struct lifecycle_env env = {loop, reg, ss, NULL};
			st = lifecycle_ensure_fresh(&env, a->id, false, cred, err);
		}
		if (st != AIAUTH_OK) {
			account_free(a);
			return st;
		}
	} else if (a->kind != ACCOUNT_NONE) {
		struct secretstore *ss;
		struct secret *blob = NULL;
		st = cli_secrets(cli, &ss, err);
		if (st == AIAUTH_OK)
			st = secretstore_get(ss, a->id, &blob, err);
		if (st == AIAUTH_OK) {
			st = credential_from_blob(blob, cred, err);
			secret_free(blob);
		}
		if (st != AIAUTH_OK) {
			error_prefix(err, _("%s account \"%s\": "), provider, a->label);
			account_free(a);
			return st;
		}
	}
	*account = a;
	return AIAUTH_OK;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char **pos,
              int max_pos, int *n_pos, int *rest)
{
	*n_pos = 0;
	if (rest)
		*rest = argc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			if (!rest)
				return cli_usage_error(_("%s takes no command after \"--\""), argv[0]);
			*rest = i + 1;
			return 0;
		}
		if (a[0] == '-' && a[1] == '-') {
			const struct cli_opt *o = NULL;
			size_t nlen = strcspn(a, "=");
			for (const struct cli_opt *p = opts; p && p->name; p++)
				if (strlen(p->name) == nlen && strncmp(p->name, a, nlen) == 0)
					o = p;
			if (!o)
				return cli_usage_error(_("%s: unknown option %.*s"), argv[0], (int)nlen, a);
			if (o->flag) {
				if (a[nlen] == '=')
					return cli_usage_error(_("%s takes no value"), o->name);
				*o->flag = true;
				continue;
			}
			const char *v;
			if (a[nlen] == '=')
				v = a + nlen + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				return cli_usage_error(_("%s needs a value"), o->name);
			if (o->value) {
				*o->value = v;
			} else if (o->list) {
				size_t n = 0;
				while (*o->list && (*o->list)[n])
					n++;
				const char **grown = realloc(*o->list, (n + 2) * sizeof(*grown));
				if (!grown)
					return cli_usage_error("%s", _("out of memory"));
				grown[n] = v;
				grown[n + 1] = NULL;
				*o->list = grown;
			}
			continue;
		}
		if (*n_pos >= max_pos)
			return cli_usage_error(_("%s: unexpected argument \"%s\" (see 'aiauth %s --help')"),
			                       argv[0], a, argv[0]);
		pos[(*n_pos)++] = a;
	}
	return 0;
}
