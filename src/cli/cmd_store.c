/* cmd_store.c - store migrate: moving every secret to the other backend.
 *
 * The order makes an interruption harmless: every secret is copied to the
 * destination and read back; only then is the destination recorded as the
 * place of the secrets; only then are the source copies deleted.  Killed
 * before the record, the source still holds everything; killed after it,
 * the destination does, and a rerun finishes the clean-up. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_store(struct cli *cli, int argc, char **argv)
{
	const char *to = NULL;
	const struct cli_opt opts[] = {{"--to", &to, NULL, NULL}, {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 1, &npos, NULL);
	if (rc)
		return rc;
	enum secret_backend dest;
	if (npos != 1 || strcmp(pos[0], "migrate") != 0 || !to ||
	    !secret_backend_parse(to, &dest) || dest == SECRET_BACKEND_AUTO)
		return cli_usage_error("%s", _("usage: aiauth store migrate --to keyring|file"));

	struct aiauth_error *err = NULL;
	struct store *store = NULL;
	struct secretstore *src = NULL, *dst = NULL;
	struct registry *reg = NULL;
	enum aiauth_status st;
	size_t moved = 0;
	if ((st = store_load(NULL, &store, &err)) != AIAUTH_OK)
		goto out;
	enum secret_backend from = SECRET_BACKEND_AUTO;
	if (store->secret_backend)
		secret_backend_parse(store->secret_backend, &from);
	if (from == SECRET_BACKEND_AUTO) {
		/* Nothing recorded: secrets (if any) are where the automatic choice
		 * puts them. */
		if ((st = session_secrets_open(cli->session, SECRET_BACKEND_AUTO, NULL, &src, &err)) !=
		    AIAUTH_OK)
			goto out;
		from = secretstore_backend(src);
	} else if ((st = session_secrets_open(cli->session, from, _("your secrets are kept there"),
	                                      &src, &err)) != AIAUTH_OK) {
		goto out;
	}
	if (from == dest) {
		if ((st = session_record_backend(dest, true, &err)) != AIAUTH_OK)
			goto out;
		printf(_("Secrets are already kept in the %s store.\n"), secret_backend_name(dest));
		goto out;
	}
	if ((st = session_secrets_open(cli->session, dest, _("chosen with store migrate"), &dst,
	                               &err)) != AIAUTH_OK)
		goto out;
	if ((st = session_registry(cli->session, &reg, &err)) != AIAUTH_OK)
		goto out;
	for (size_t i = 0; i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		if (a->kind == ACCOUNT_NONE)
			continue;
		struct secret *value = NULL, *check = NULL;
		st = secretstore_get(src, a->id, &value, &err);
		if (st == AIAUTH_NOT_FOUND) {
			/* An account without a secret has nothing to move. */
			error_clear(&err);
			cli_warn(_("the %s account \"%s\" has no stored secret; skipped"), a->provider,
			         a->label);
			continue;
		}
		if (st != AIAUTH_OK)
			goto out;
		const struct provider *p = registry_find(reg, a->provider);
		struct secret_meta meta = {a->provider, p ? _(p->name) : a->provider, a->label,
		                           account_kind_name(a->kind)};
		st = secretstore_put(dst, a->id, &meta, value, &err);
		if (st == AIAUTH_OK)
			st = secretstore_get(dst, a->id, &check, &err);
		if (st == AIAUTH_OK && !secret_equal(value, check))
			st = error_set(&err, AIAUTH_BACKEND,
			               _("the copy of the %s account \"%s\" reads back differently"),
			               a->provider, a->label);
		secret_free(value);
		secret_free(check);
		if (st != AIAUTH_OK)
			goto out;
		moved++;
	}
	if ((st = session_record_backend(dest, true, &err)) != AIAUTH_OK)
		goto out;
	for (size_t i = 0; i < store->n_accounts; i++) {
		if (store->accounts[i].kind == ACCOUNT_NONE)
			continue;
		struct aiauth_error *derr = NULL;
		if (secretstore_delete(src, store->accounts[i].id, &derr) != AIAUTH_OK) {
			cli_warn(_("could not delete the old copy: %s"), derr->message);
			error_clear(&derr);
		}
	}
	printf(_("Moved %zu secret(s) to the %s store (%s).\n"), moved, secret_backend_name(dest),
	       secretstore_location(dst));
out:
	if (src)
		secretstore_close(src);
	if (dst)
		secretstore_close(dst);
	store_free(store);
	if (st != AIAUTH_OK)
		return cli_fail(&err);
	return 0;
}
