/* secret.c - memory that holds secrets. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "secret.h"

/* explicit_bzero() (glibc 2.25) is defined never to be optimised away,
 * the guarantee gnutls_memset() gave, and needs no crypto library loaded
 * (cryptosym.h). */
void secure_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void secure_free_str(char *s)
{
	if (!s)
		return;
	secure_wipe(s, strlen(s));
	free(s);
}

static unsigned char *secret_alloc_buf(size_t cap, bool *locked)
{
	unsigned char *buf = calloc(1, cap + 1);
	if (!buf)
		return NULL;
	/* mlock keeps the page out of swap; an unprivileged process may hit
	 * RLIMIT_MEMLOCK, which is no reason to refuse to work. */
	*locked = mlock(buf, cap + 1) == 0;
	return buf;
}

static void secret_release_buf(unsigned char *buf, size_t cap, bool locked)
{
	if (!buf)
		return;
	secure_wipe(buf, cap + 1);
	if (locked)
		munlock(buf, cap + 1);
	free(buf);
}

struct secret *secret_new(size_t cap)
{
	struct secret *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (cap < 32)
		cap = 32;
	/* cap + 1 must not wrap: a wrapped size would allocate a tiny buffer
	 * that the terminating NUL is then written far beyond. */
	if (cap == SIZE_MAX) {
		free(s);
		return NULL;
	}
	s->buf = secret_alloc_buf(cap, &s->locked);
	if (!s->buf) {
		free(s);
		return NULL;
	}
	s->cap = cap;
	return s;
}

struct secret *secret_from_mem(const void *p, size_t len)
{
	struct secret *s = secret_new(len);
	if (!s)
		return NULL;
	if (len)
		memcpy(s->buf, p, len);
	s->len = len;
	s->buf[len] = '\0';
	return s;
}

struct secret *secret_from_str(const char *str)
{
	if (!str)
		return NULL;
	return secret_from_mem(str, strlen(str));
}

enum aiauth_status secret_append(struct secret *s, const void *p, size_t n)
{
	if (n == 0)
		return AIAUTH_OK;
	/* len + n and the doubling below must not wrap (a wrapped capacity
	 * would loop forever or allocate too little). */
	if (n > SIZE_MAX - 1 - s->len)
		return AIAUTH_NO_MEMORY;
	if (s->len + n > s->cap) {
		size_t need = s->len + n;
		size_t cap = s->cap;
		while (cap < need)
			cap = cap > (SIZE_MAX - 1) / 2 ? need : cap * 2;
		bool locked;
		unsigned char *buf = secret_alloc_buf(cap, &locked);
		if (!buf)
			return AIAUTH_NO_MEMORY;
		/* Copy the appended bytes before the old buffer is released: `p`
		 * may point into it (appending a secret to itself). */
		memcpy(buf, s->buf, s->len);
		memcpy(buf + s->len, p, n);
		secret_release_buf(s->buf, s->cap, s->locked);
		s->buf = buf;
		s->cap = cap;
		s->locked = locked;
	} else {
		memmove(s->buf + s->len, p, n);
	}
	s->len += n;
	s->buf[s->len] = '\0';
	return AIAUTH_OK;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void secret_trim(struct secret *s)
{
	size_t start = 0, end = s->len;
	while (start < end && is_space(s->buf[start]))
		start++;
	while (end > start && is_space(s->buf[end - 1]))
		end--;
	size_t n = end - start;
	if (start)
		memmove(s->buf, s->buf + start, n);
	secure_wipe(s->buf + n, s->len - n);
	s->len = n;
	s->buf[n] = '\0';
}

bool secret_equal(const struct secret *a, const struct secret *b)
{
	if (!a || !b || a->len != b->len)
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < a->len; i++)
		diff |= a->buf[i] ^ b->buf[i];
	return diff == 0;
}

void secret_free(struct secret *s)
{
	if (!s)
		return;
	secret_release_buf(s->buf, s->cap, s->locked);
	free(s);
}

/* The core-dump limit the process started with, for the programs `exec`
 * runs: they should not inherit aiauth's caution. */
static struct rlimit saved_core_limit;
static bool core_limit_saved;

void secret_harden_process(void)
{
	struct rlimit no_core = {0, 0};
	if (getrlimit(RLIMIT_CORE, &saved_core_limit) == 0) {
		core_limit_saved = true;
		/* Only the soft limit drops, so it can be raised again before exec. */
		no_core.rlim_max = saved_core_limit.rlim_max;
	}
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void secret_before_exec(void)
{
	if (core_limit_saved)
		setrlimit(RLIMIT_CORE, &saved_core_limit);
}
