/* error.c - statuses and error details. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const struct {
	const char *name;
	int exit_status;
	const char *text;
} status_table[] = {
#define AIAUTH_STATUS_ROW(name, exit_status, text) {#name, exit_status, text},
	AIAUTH_STATUSES(AIAUTH_STATUS_ROW)
#undef AIAUTH_STATUS_ROW
};

/* Cut a UTF-8 sequence left incomplete at the end of `s` by truncation.
 * Messages hold translated text and file names; half a character would make
 * them invalid UTF-8, which the JSON output refuses to generate. */
static void utf8_trim_partial(char *s)
{
	size_t n = strlen(s);
	size_t i = n;
	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (want > 1 && n - (i - 1) < want)
		s[i - 1] = '\0';
}

/* A message is one line of text whatever it quotes: a key name from a
 * file, a server's description.  Control characters (a newline, an escape
 * that would drive the terminal) become '?'. */
static void one_line(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

enum aiauth_status error_set(struct aiauth_error **err, enum aiauth_status status,
                             const char *fmt, ...)
{
	if (!err || *err)
		return status;
	struct aiauth_error *e = calloc(1, sizeof(*e));
	if (!e)
		return status;
	e->status = status;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(e->message))
		utf8_trim_partial(e->message);
	one_line(e->message);
	*err = e;
	return status;
}

void error_prefix(struct aiauth_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return;
	char prefix[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	utf8_trim_partial(prefix);
	char *msg = (*err)->message;
	size_t cap = sizeof((*err)->message);
	size_t plen = strlen(prefix);
	if (plen >= cap)
		plen = cap - 1;
	size_t mlen = strlen(msg);
	if (plen + mlen >= cap)
		mlen = cap - 1 - plen;
	memmove(msg + plen, msg, mlen);
	memcpy(msg, prefix, plen);
	msg[plen + mlen] = '\0';
	utf8_trim_partial(msg);
	one_line(msg);
}

void error_clear(struct aiauth_error **err)
{
	if (!err || !*err)
		return;
	free(*err);
	*err = NULL;
}

const char *status_text(enum aiauth_status status)
{
	if ((unsigned)status >= AIAUTH_STATUS_COUNT)
		return N_("unknown error");
	return status_table[status].text;
}

int status_exit_code(enum aiauth_status status)
{
	if ((unsigned)status >= AIAUTH_STATUS_COUNT)
		return 1;
	return status_table[status].exit_status;
}
