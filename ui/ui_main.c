/* ui_main.c - the interface's entry point.
 *
 * The screens (welcome, provider picker, key entry, device-code panel,
 * accounts) are the subject of their own issue; until they land, `aiauth`
 * without a command explains how to use the command line instead of
 * pretending to be an interface. */
#include "config.h"

#include <stdio.h>

#include "i18n.h"
#include "ui.h"

int ui_main(int forced_backend, const char *passphrase_file)
{
	(void)forced_backend;
	(void)passphrase_file;
	fprintf(stderr, "%s\n",
	        _("aiauth: the interactive screens are not built yet; run 'aiauth --help' "
	          "for the commands."));
	return 1;
}
