/* login_device.c - aiauth login --device (to be written). */
#include "config.h"

#include "cli.h"

int login_device(struct cli *cli, const struct provider *p, const struct login_options *opts)
{
	return cli_usage_error(_("%s: device-code sign-in is not available yet"), p->id);
}
