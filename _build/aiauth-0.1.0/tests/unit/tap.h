/* tap.h - a minimal TAP producer for the unit tests.
 *
 * ok(cond, "what") prints "ok N - what" or "not ok N - what"; done_testing()
 * prints the plan and returns the exit status.  Tests that need a scratch
 * directory call tap_tmpdir(), which is removed by the test harness's
 * trap-free design: it lives under $TMPDIR and is deleted at exit. */
#ifndef AIAUTH_TAP_H
#define AIAUTH_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 3))) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

__attribute__((format(printf, 1, 2), unused)) static void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static char tap_dir[256];

__attribute__((unused)) static void tap_rmdir(void)
{
	if (tap_dir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tap_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tap_dir);
	}
}

/* A fresh private scratch directory, removed at exit. */
__attribute__((unused)) static const char *tap_tmpdir(void)
{
	if (!tap_dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(tap_dir, sizeof(tap_dir), "%s/aiauth-test-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tap_dir)) {
			perror("mkdtemp");
			exit(99);
		}
		atexit(tap_rmdir);
	}
	return tap_dir;
}

__attribute__((unused)) static int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
