/* secret.h - memory that holds secrets.
 *
 * A struct secret owns a buffer of `cap` bytes (+1 for a terminating NUL, so
 * text secrets can be used as C strings) of which `len` are used.  The buffer
 * is locked in RAM where the system permits (mlock failing is not an error)
 * and wiped over its whole capacity with explicit_bzero(), which the
 * compiler cannot remove, before it is freed.
 *
 * Use secret_free() or SECRET_FREE() for every secret; use secure_wipe() and
 * secure_free_str() for the intermediate plain buffers a secret passed
 * through (line reads, JSON text, HTTP bodies). */
#ifndef AIAUTH_SECRET_H
#define AIAUTH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct secret {
	unsigned char *buf; /* always NUL-terminated at buf[len] */
	size_t len;
	size_t cap;
	bool locked; /* mlock succeeded */
};

/* An empty secret able to hold `cap` bytes without growing. NULL on OOM. */
struct secret *secret_new(size_t cap);
/* A copy of `len` bytes at p. NULL on OOM. */
struct secret *secret_from_mem(const void *p, size_t len);
/* A copy of a NUL-terminated string. NULL on OOM or when s is NULL. */
struct secret *secret_from_str(const char *s);
/* Append bytes, growing through a fresh buffer (the old one is wiped).
 * Returns AIAUTH_NO_MEMORY on failure, leaving s unchanged. */
enum aiauth_status secret_append(struct secret *s, const void *p, size_t n);
/* Drop surrounding ASCII whitespace in place (pasted keys carry newlines). */
void secret_trim(struct secret *s);
/* Constant-time comparison of two secrets' contents. */
bool secret_equal(const struct secret *a, const struct secret *b);
/* Wipe and free; NULL is accepted. */
void secret_free(struct secret *s);
#define SECRET_FREE(p) do { secret_free(p); (p) = NULL; } while (0)

/* Wipe n bytes in a way the optimiser keeps. */
void secure_wipe(void *p, size_t n);
/* Wipe a NUL-terminated heap string over its length and free it. */
void secure_free_str(char *s);
#define SECURE_FREE_STR(p) do { secure_free_str(p); (p) = NULL; } while (0)

/* Turn off core dumps and ptrace attach by other users' processes for the
 * life of the process (PR_SET_DUMPABLE 0, RLIMIT_CORE 0).  Called once at
 * start-up by every front end, before any secret is read. */
void secret_harden_process(void);
/* Give back the core-dump limit the process started with, just before it
 * execs another program (which does not hold aiauth's secrets in memory). */
void secret_before_exec(void);

#endif
