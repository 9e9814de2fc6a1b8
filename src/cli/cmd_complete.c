/* cmd_complete.c - "aiauth __complete providers|accounts [PROVIDER]": the
 * words the bash completion offers, one a line, fast (no secret store, no
 * network).  Hidden from --help: it is an interface for the completion
 * script, not for people.  Nothing is printed on errors: a completion that
 * cannot be made offers nothing rather than writing over the command line. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_complete(struct cli *cli, int argc, char **argv)
{
	const char *pos[2];
	int npos;
	int rc = cli_parse(argc, argv, NULL, pos, 2, &npos, NULL);
	if (rc)
		return rc;
	struct aiauth_error *err = NULL;
	if (npos >= 1 && strcmp(pos[0], "providers") == 0) {
		struct registry *reg;
		if (session_registry(cli->session, &reg, &err) != AIAUTH_OK) {
			error_clear(&err);
			return 1;
		}
		for (size_t i = 0; i < registry_count(reg); i++)
			printf("%s\n", registry_at(reg, i)->id);
		return 0;
	}
	if (npos >= 1 && strcmp(pos[0], "accounts") == 0) {
		struct store *store = NULL;
		if (store_load(NULL, &store, &err) != AIAUTH_OK) {
			error_clear(&err);
			return 1;
		}
		for (size_t i = 0; i < store->n_accounts; i++) {
			const struct account *a = &store->accounts[i];
			if (npos < 2 || strcmp(a->provider, pos[1]) == 0)
				printf("%s\n", a->label);
		}
		store_free(store);
		return 0;
	}
	return cli_usage_error("%s", _("usage: aiauth __complete providers|accounts [PROVIDER]"));
}
