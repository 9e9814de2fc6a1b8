/* cmd_login.c - aiauth login and aiauth refresh (to be written). */
#include "config.h"

#include "cli.h"

int cmd_login(struct cli *cli, int argc, char **argv)
{
	return cli_usage_error("%s", _("login is not available yet"));
}

int cmd_refresh(struct cli *cli, int argc, char **argv)
{
	return cli_usage_error("%s", _("refresh is not available yet"));
}
