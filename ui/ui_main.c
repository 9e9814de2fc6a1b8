/* ui_main.c - the interface's entry point: the command line calls this,
 * and it hands over to the framework (app.c), so that no curses type leaks
 * into src/cli. */
#include "config.h"

#include "tui.h"
#include "ui.h"

int ui_main(int forced_backend, const char *passphrase_file)
{
	return tui_run(forced_backend, passphrase_file);
}
