/* test_secret.c - secret memory: wiping, growth, trimming, comparison.
 *
 * Reading memory after free() is undefined (and ASan rightly stops it), so
 * the wipe is observed at the moment of freeing: this program is linked
 * with -Wl,--wrap=free, which sends every free() made by src/secret.c (and by
 * this file) through __wrap_free() below.  When a pointer is being watched,
 * the hook checks that all its bytes are zero before the real free runs. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secret.h"
#include "tap.h"

void __real_free(void *p);
void __wrap_free(void *p);

static const unsigned char *watch_ptr;
static size_t watch_len;
static int watch_seen;
static int watch_clean;

void __wrap_free(void *p)
{
	if (p && p == watch_ptr) {
		watch_seen++;
		watch_clean = 1;
		for (size_t i = 0; i < watch_len; i++)
			if (watch_ptr[i] != 0)
				watch_clean = 0;
		watch_ptr = NULL;
	}
	__real_free(p);
}

static void watch(const void *p, size_t len)
{
	watch_ptr = p;
	watch_len = len;
	watch_seen = 0;
	watch_clean = 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_hook_itself(void)
{
	/* The hook must be able to see an unwiped block, or every "wiped"
	 * result below would be meaningless. */
	/* Through a volatile pointer: the compiler may otherwise drop a
	 * malloc/memset/free sequence whose result nobody reads. */
	void (*volatile do_free)(void *) = free;
	unsigned char *p = malloc(64);
	memset(p, 0xAA, 64);
	watch(p, 64);
	do_free(p);
	ok(watch_seen == 1, "free hook sees the watched pointer");
	ok(!watch_clean, "free hook reports an unwiped block as dirty");
}

static void test_secure_wipe(void)
{
	static const size_t sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 4095, 4096, 4097};
	int all_ok = 1, last_ok = 1, guard_ok = 1;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		unsigned char *b = malloc(n + 1);
		memset(b, 0x5A, n + 1);
		secure_wipe(b, n);
		if (!all_zero(b, n))
			all_ok = 0;
		if (b[n - 1] != 0)
			last_ok = 0;
		if (b[n] != 0x5A)
			guard_ok = 0;
		free(b);
	}
	ok(all_ok, "secure_wipe zeroes every byte for sizes 1..4097");
	ok(last_ok, "secure_wipe zeroes the last byte (oidc-agent skipped the tail)");
	ok(guard_ok, "secure_wipe does not write past n");

	unsigned char b[4] = {1, 2, 3, 4};
	secure_wipe(b, 0);
	ok(b[0] == 1 && b[3] == 4, "secure_wipe with n == 0 changes nothing");
	secure_wipe(NULL, 16);
	ok(1, "secure_wipe(NULL, n) is accepted");
}

static void test_new_and_from(void)
{
	struct secret *s = secret_new(100);
	ok(s && s->cap >= 100 && s->len == 0, "secret_new(100): empty, capacity >= 100");
	ok(s && all_zero(s->buf, s->cap + 1), "secret_new: whole buffer starts zeroed");
	unsigned char *before = s ? s->buf : NULL;
	char fill[100];
	memset(fill, 'x', sizeof(fill));
	ok(s && secret_append(s, fill, sizeof(fill)) == AIAUTH_OK && s->buf == before,
	   "secret_new(100) holds 100 bytes without growing");
	secret_free(s);

	s = secret_new(0);
	ok(s && s->len == 0 && s->buf && s->buf[0] == '\0', "secret_new(0) is a valid empty string");
	secret_free(s);

	ok(secret_new(SIZE_MAX) == NULL, "secret_new(SIZE_MAX) is refused (cap + 1 would wrap)");

	static const char bin[] = {'a', '\0', 'b', '\xff', 'c'};
	s = secret_from_mem(bin, sizeof(bin));
	ok(s && s->len == 5 && memcmp(s->buf, bin, 5) == 0, "secret_from_mem copies embedded NUL and high bytes");
	ok(s && s->buf[5] == '\0', "secret_from_mem NUL-terminates");
	secret_free(s);

	s = secret_from_mem(NULL, 0);
	ok(s && s->len == 0 && s->buf[0] == '\0', "secret_from_mem(NULL, 0) is an empty secret");
	secret_free(s);

	ok(secret_from_str(NULL) == NULL, "secret_from_str(NULL) is NULL");
	s = secret_from_str("");
	ok(s && s->len == 0 && strcmp((char *)s->buf, "") == 0, "secret_from_str(\"\") is empty");
	secret_free(s);
	s = secret_from_str("sk-test-123");
	ok(s && s->len == 11 && strcmp((char *)s->buf, "sk-test-123") == 0, "secret_from_str copies the string");
	secret_free(s);
}

static void test_free_wipes_capacity(void)
{
	static const size_t caps[] = {0, 31, 32, 33, 1000, 4096};
	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct secret *s = secret_new(caps[k]);
		/* Fill every byte the buffer owns, including buf[cap] (the NUL slot)
		 * and the bytes past len: a wipe over len only would miss them. */
		s->len = 3;
		memset(s->buf, 0xA5, s->cap + 1);
		watch(s->buf, s->cap + 1);
		size_t cap = s->cap;
		secret_free(s);
		if (!watch_clean)
			diag("a byte of the freed buffer was left non-zero");
		ok(watch_seen == 1 && watch_clean,
		   "secret_free wipes all cap + 1 = %zu bytes before freeing (secret_new(%zu))", cap + 1,
		   caps[k]);
	}
	secret_free(NULL);
	struct secret *s = secret_from_str("x");
	SECRET_FREE(s);
	ok(s == NULL, "SECRET_FREE sets the pointer to NULL");
}

static void test_append(void)
{
	struct secret *s = secret_new(32);
	char pat[32];
	for (int i = 0; i < 32; i++)
		pat[i] = (char)('A' + i % 26);
	secret_append(s, pat, 32);
	ok(s->len == 32 && s->buf[32] == '\0', "append to exactly cap: no growth needed, NUL at cap");

	unsigned char *old = s->buf;
	size_t oldcap = s->cap;
	watch(old, oldcap + 1);
	char more[100];
	memset(more, 'z', sizeof(more));
	enum aiauth_status st = secret_append(s, more, sizeof(more));
	ok(st == AIAUTH_OK && s->buf != old && s->cap >= 132, "append beyond cap grows the buffer");
	ok(watch_seen == 1 && watch_clean, "the outgrown buffer is wiped over cap + 1 before free");
	ok(s->len == 132 && memcmp(s->buf, pat, 32) == 0 && memcmp(s->buf + 32, more, 100) == 0,
	   "growth keeps the old content and appends the new");
	ok(s->buf[132] == '\0', "growth keeps NUL termination");
	secret_free(s);

	/* Byte by byte to 10000: many growths, content checked at the end. */
	s = secret_new(0);
	int good = 1;
	for (int i = 0; i < 10000; i++) {
		unsigned char c = (unsigned char)(i * 7);
		if (secret_append(s, &c, 1) != AIAUTH_OK || s->buf[s->len] != '\0')
			good = 0;
	}
	for (int i = 0; i < 10000 && good; i++)
		if (s->buf[i] != (unsigned char)(i * 7))
			good = 0;
	ok(good && s->len == 10000 && s->cap >= 10000, "10000 single-byte appends keep every byte");
	secret_free(s);

	/* Appending a secret to itself: p points into the buffer that growth
	 * releases. */
	s = secret_from_str("0123456789abcdef0123456789abcdef");
	st = secret_append(s, s->buf, s->len);
	ok(st == AIAUTH_OK && s->len == 64 &&
	       memcmp(s->buf, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64) == 0,
	   "self-append across growth copies the right bytes");
	secret_free(s);
	s = secret_new(100);
	secret_append(s, "abc", 3);
	secret_append(s, s->buf, 3);
	ok(s->len == 6 && strcmp((char *)s->buf, "abcabc") == 0, "self-append without growth");
	secret_free(s);

	s = secret_from_str("keep");
	unsigned char *b = s->buf;
	ok(secret_append(s, "x", SIZE_MAX) == AIAUTH_NO_MEMORY, "an append whose length would wrap is refused");
	ok(s->len == 4 && s->buf == b && strcmp((char *)s->buf, "keep") == 0, "a refused append leaves the secret unchanged");
	ok(secret_append(s, NULL, 0) == AIAUTH_OK && s->len == 4, "appending nothing is fine");
	secret_free(s);
}

/* Trim `in` and check the result and that every byte between the new and
 * the old length is zero (they held key material or its moved copy). */
static void check_trim(const char *what, const char *in, const char *want)
{
	struct secret *s = secret_from_str(in);
	size_t oldlen = s->len;
	secret_trim(s);
	size_t n = strlen(want);
	ok(s->len == n && memcmp(s->buf, want, n) == 0 && s->buf[n] == '\0', "trim %s", what);
	ok(all_zero(s->buf + n, oldlen - n + 1), "trim %s: the %zu bytes dropped are wiped", what,
	   oldlen - n);
	secret_free(s);
}

static void test_trim(void)
{
	check_trim("both ends", " \t\nsk-abc\r\n ", "sk-abc");
	/* After the move, "ef" would linger at the old end without the wipe. */
	check_trim("leading only", "   abcdef", "abcdef");
	check_trim("trailing only", "abcdef\n\n\n", "abcdef");
	check_trim("inner whitespace kept", "a b\tc", "a b\tc");
	check_trim("all whitespace", " \v\f\r\n\t ", "");
	check_trim("empty", "", "");
	check_trim("nothing to trim", "nochange", "nochange");
}

static void test_equal(void)
{
	struct secret *a = secret_from_str("sk-123456");
	struct secret *b = secret_from_str("sk-123456");
	struct secret *c = secret_from_str("sk-123457");
	struct secret *d = secret_from_str("sk-12345");
	struct secret *e1 = secret_from_str("");
	struct secret *e2 = secret_from_str("");
	struct secret *n1 = secret_from_mem("a\0b", 3);
	struct secret *n2 = secret_from_mem("a\0c", 3);
	ok(secret_equal(a, b), "equal contents are equal");
	ok(secret_equal(a, a), "a secret equals itself");
	ok(!secret_equal(a, c), "a difference in the last byte is seen");
	ok(!secret_equal(a, d) && !secret_equal(d, a), "a prefix is not equal");
	ok(secret_equal(e1, e2), "two empty secrets are equal");
	ok(!secret_equal(n1, n2), "bytes after an embedded NUL are compared");
	ok(!secret_equal(a, NULL) && !secret_equal(NULL, a) && !secret_equal(NULL, NULL),
	   "NULL is never equal");
	secret_free(a);
	secret_free(b);
	secret_free(c);
	secret_free(d);
	secret_free(e1);
	secret_free(e2);
	secret_free(n1);
	secret_free(n2);
}

static void test_free_str(void)
{
	char *s = strdup("password-in-a-line-read");
	size_t n = strlen(s);
	memset(s, 'Q', n); /* keep length, make it recognisable */
	watch(s, n + 1);
	secure_free_str(s);
	ok(watch_seen == 1 && watch_clean, "secure_free_str wipes the whole string before free");
	secure_free_str(NULL);
	char *t = strdup("x");
	SECURE_FREE_STR(t);
	ok(t == NULL, "SECURE_FREE_STR sets the pointer to NULL");
}

static void test_harden(void)
{
	/* In a child: LeakSanitizer wants to ptrace this process at exit. */
	pid_t pid = fork();
	if (pid == 0) {
		secret_harden_process();
		struct rlimit rl;
		int good = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && getrlimit(RLIMIT_CORE, &rl) == 0 &&
		           rl.rlim_cur == 0;
		_exit(good ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "secret_harden_process: not dumpable, core size limit 0");
}

int main(void)
{
	test_hook_itself();
	test_secure_wipe();
	test_new_and_from();
	test_free_wipes_capacity();
	test_append();
	test_trim();
	test_equal();
	test_free_str();
	test_harden();
	return done_testing();
}
