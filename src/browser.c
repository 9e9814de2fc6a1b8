/* browser.c - opening a URL in the person's browser. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "browser.h"
#include "secret.h"

bool browser_available(void)
{
	const char *ssh = getenv("SSH_CONNECTION");
	const char *x = getenv("DISPLAY");
	const char *w = getenv("WAYLAND_DISPLAY");
	if (ssh && *ssh)
		return false;
	return (x && *x) || (w && *w);
}

bool browser_launch(const char *url)
{
	const char *b = getenv("BROWSER");
	char *prog = b && *b ? strndup(b, strcspn(b, ":")) : strdup("xdg-open");
	if (!prog || !*prog) {
		free(prog);
		return false;
	}
	char *argv[] = {prog, (char *)url, NULL};
	/* Everything the children need is ready before fork: between fork and
	 * exec only async-signal-safe calls are made.  The browser is detached
	 * (double fork, own session) so it is never waited for and never gets
	 * the terminal: its chatter would land in the middle of the screen. */
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		if (nul >= 0) {
			dup2(nul, STDIN_FILENO);
			dup2(nul, STDOUT_FILENO);
			dup2(nul, STDERR_FILENO);
		}
		secret_before_exec();
		execvp(prog, argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (nul >= 0)
		close(nul);
	free(prog);
	return pid > 0;
}
