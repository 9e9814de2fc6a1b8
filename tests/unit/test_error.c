/* test_error.c - error values: first error kept, prefixes, the 512-byte
 * message limit, exit statuses. */
#include "config.h"

#include "error.h"
#include "tap.h"

/* Is the NUL-terminated s valid UTF-8 as far as sequence shape goes? */
static int utf8_complete(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 0;
		if (n == 0)
			return 0;
		for (size_t k = 1; k < n; k++)
			if ((p[k] & 0xC0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void test_set(void)
{
	struct aiauth_error *err = NULL;
	ok(error_set(NULL, AIAUTH_IO, "x") == AIAUTH_IO, "error_set(NULL, ...) returns the status");
	ok(error_set(&err, AIAUTH_NOT_FOUND, "no %s %d", "file", 7) == AIAUTH_NOT_FOUND, "error_set returns the status");
	ok(err && err->status == AIAUTH_NOT_FOUND && strcmp(err->message, "no file 7") == 0,
	   "error_set fills status and formatted message");
	ok(error_set(&err, AIAUTH_IO, "outer") == AIAUTH_IO, "a second error_set still returns its status");
	ok(err->status == AIAUTH_NOT_FOUND && strcmp(err->message, "no file 7") == 0,
	   "the first (innermost) error is kept");
	error_clear(&err);
	ok(err == NULL, "error_clear sets the pointer to NULL");
	error_clear(&err);
	error_clear(NULL);

	char big[700];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_set(&err, AIAUTH_IO, "%s", big);
	ok(strlen(err->message) == 511 && err->message[511] == '\0', "a 699-byte message is cut to 511 bytes");
	error_clear(&err);

	/* 510 ASCII bytes then "é": the cut at 511 would leave half of it. */
	char u[520];
	memset(u, 'a', 510);
	strcpy(u + 510, "\xc3\xa9");
	error_set(&err, AIAUTH_IO, "%s", u);
	ok(strlen(err->message) == 510 && utf8_complete(err->message),
	   "a cut never leaves half a UTF-8 character");
	error_clear(&err);
	memset(u, 'a', 509);
	strcpy(u + 509, "\xc3\xa9");
	error_set(&err, AIAUTH_IO, "%s", u);
	ok(strlen(err->message) == 511 && utf8_complete(err->message), "a character that fits is kept");
	error_clear(&err);
}

static void test_prefix(void)
{
	struct aiauth_error *err = NULL;
	error_prefix(&err, "ctx: ");
	ok(err == NULL, "error_prefix without an error does nothing");
	error_prefix(NULL, "ctx: ");

	error_set(&err, AIAUTH_CORRUPT, "bad data");
	error_prefix(&err, "reading %s: ", "providers.json");
	ok(strcmp(err->message, "reading providers.json: bad data") == 0, "error_prefix puts context in front");
	ok(err->status == AIAUTH_CORRUPT, "the status is unchanged");
	error_prefix(&err, "outer: ");
	ok(strcmp(err->message, "outer: reading providers.json: bad data") == 0, "prefixes nest");
	error_clear(&err);

	/* Near the limit: 500 bytes of message and a 100-byte prefix. */
	char m[501], p[101];
	memset(m, 'm', 500);
	m[500] = '\0';
	memset(p, 'p', 100);
	p[100] = '\0';
	error_set(&err, AIAUTH_IO, "%s", m);
	error_prefix(&err, "%s", p);
	size_t n = strnlen(err->message, sizeof(err->message));
	ok(n == 511, "prefix + message over 512 bytes: cut to 511 (got %zu)", n);
	ok(strncmp(err->message, p, 100) == 0 && err->message[100] == 'm' && err->message[510] == 'm',
	   "the whole prefix comes first, then as much message as fits");
	error_clear(&err);

	/* A message already at the limit and a prefix longer than the
	 * prefix buffer. */
	char full[600], lp[400];
	memset(full, 'f', 599);
	full[599] = '\0';
	memset(lp, 'P', 399);
	lp[399] = '\0';
	error_set(&err, AIAUTH_IO, "%s", full);
	error_prefix(&err, "%s", lp);
	n = strnlen(err->message, sizeof(err->message));
	ok(n < sizeof(err->message) && err->message[0] == 'P' && err->message[n - 1] == 'f',
	   "a 399-byte prefix on a full message stays NUL-terminated within 512 bytes");
	error_clear(&err);

	/* The cut must not split a UTF-8 character of the message. */
	char um[520];
	memset(um, 'a', 505);
	strcpy(um + 505, "\xe2\x82\xac"); /* 508 bytes with a 3-byte euro sign */
	error_set(&err, AIAUTH_IO, "%s", um);
	error_prefix(&err, "ab: "); /* 4 + 508 = 512 > 511 */
	ok(utf8_complete(err->message) && strlen(err->message) == 509, "a prefix cut leaves no half character");
	error_clear(&err);
}

static void test_status(void)
{
	static const struct {
		enum aiauth_status st;
		int code;
	} table[] = {
		{AIAUTH_OK, 0},
		{AIAUTH_FAILED, 1},
		{AIAUTH_IO, 1},
		{AIAUTH_CORRUPT, 1},
		{AIAUTH_NOT_FOUND, 1},
		{AIAUTH_USAGE, 2},
		{AIAUTH_NOT_CONFIGURED, 3},
		{AIAUTH_NEEDS_SIGNIN, 4},
		{AIAUTH_BACKEND, 5},
		{AIAUTH_BAD_PASSPHRASE, 5},
		{AIAUTH_NETWORK, 6},
		{AIAUTH_TLS, 6},
		{AIAUTH_TIMEOUT, 6},
		{AIAUTH_REJECTED, 7},
		{AIAUTH_DENIED, 8},
		{AIAUTH_EXPIRED, 9},
		{AIAUTH_CANCELLED, 10},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		ok(status_exit_code(table[i].st) == table[i].code, "status %d (%s) exits %d",
		   (int)table[i].st, status_text(table[i].st), table[i].code);
	ok(status_exit_code(AIAUTH_STATUS_COUNT) == 1 && status_exit_code((enum aiauth_status)-1) == 1,
	   "out-of-range statuses exit 1");

	ok(strcmp(status_text(AIAUTH_OK), "success") == 0, "status_text(OK)");
	ok(strcmp(status_text(AIAUTH_NEEDS_SIGNIN), "needs sign-in") == 0, "status_text(NEEDS_SIGNIN)");
	ok(strcmp(status_text(AIAUTH_STATUS_COUNT), "unknown error") == 0 &&
	       strcmp(status_text((enum aiauth_status)-5), "unknown error") == 0,
	   "status_text of an unknown status");
	int distinct = 1;
	for (int a = 0; a < AIAUTH_STATUS_COUNT; a++) {
		if (!status_text((enum aiauth_status)a)[0])
			distinct = 0;
		for (int b = 0; b < a; b++)
			if (strcmp(status_text((enum aiauth_status)a), status_text((enum aiauth_status)b)) == 0)
				distinct = 0;
	}
	ok(distinct, "every status has its own non-empty text");
}

/* Found by fuzzing providers.json: a key name with a newline in it made a
 * two-line error. */
static void test_one_line(void)
{
	struct aiauth_error *e = NULL;
	error_set(&e, AIAUTH_CORRUPT, "unknown field \"%s\"", "token_\nv\x1b[2J\x7f");
	ok(e && strcmp(e->message, "unknown field \"token_?v?[2J?\"") == 0,
	   "control characters in a message become '?' (%s)", e ? e->message : "");
	error_prefix(&e, "%s", "file\r\n: ");
	ok(e && strncmp(e->message, "file??: unknown", 15) == 0, "and in a prefix too (%s)",
	   e ? e->message : "");
	error_clear(&e);
	error_set(&e, AIAUTH_CORRUPT, "%s", "caf\xc3\xa9 \xe2\x80\x94 ok");
	ok(e && strcmp(e->message, "caf\xc3\xa9 \xe2\x80\x94 ok") == 0, "UTF-8 text is kept");
	error_clear(&e);
}

int main(void)
{
	test_one_line();
	test_set();
	test_prefix();
	test_status();
	return done_testing();
}
