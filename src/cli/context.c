/* context.c - what every command shares: error printing, the vault
 * passphrase asked on the terminal, option parsing.  The registry, the
 * secret store and resolution are the session's (src/session.c). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fsutil.h"

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

/* The vault passphrase: a file named by the user for unattended use, else a
 * masked prompt on the terminal (twice when the vault is being created). */
enum aiauth_status cli_passphrase(void *ctx, bool creating, struct secret **out,
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

void cli_close(struct cli *cli)
{
	session_free(cli->session);
	cli->session = NULL;
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
