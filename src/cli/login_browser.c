/* login_browser.c - aiauth login --browser / --paste / --finish (to be written). */
#include "config.h"

#include "cli.h"

int login_browser(struct cli *cli, const struct provider *p, const struct login_options *opts,
                  bool paste)
{
	return cli_usage_error(_("%s: browser sign-in is not available yet"), p->id);
}

int login_finish(struct cli *cli, const char *code_or_url)
{
	return cli_usage_error("%s", _("there is no sign-in to finish"));
}
