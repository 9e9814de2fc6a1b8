/* dynlib.h - a shared library opened, and a table of its functions taken
 * from it, on first use.
 *
 * aiauth links neither libcurl nor GnuTLS: each brings a tree of libraries
 * that every start would map and relocate, though most runs need neither
 * (curlsym.h and cryptosym.h say what each costs).  Their users call
 * curlsym_load() or cryptosym_load() first, which open the library with
 * dynlib_open() and fill their sym_* pointers; systemd loads its optional
 * libraries the same way.
 *
 * dynlib_open() opens `soname` (RTLD_NOW | RTLD_LOCAL) into *handle unless
 * it is open already, and stores the address of each of the n symbols in
 * its slot.  AIAUTH_OK, or AIAUTH_FAILED with a message naming the library
 * (slots filled so far keep their values; the caller treats the table as
 * unusable).  The library is never closed: its dependencies' destructors
 * must not run under code still on the stack, and the process ends soon. */
#ifndef AIAUTH_DYNLIB_H
#define AIAUTH_DYNLIB_H

#include <stddef.h>

#include "error.h"

struct dynlib_sym {
	const char *name;
	void **slot; /* where its address goes (a function or data pointer) */
};

enum aiauth_status dynlib_open(const char *soname, const struct dynlib_sym *syms, size_t n,
                               void **handle, struct aiauth_error **err);

/* A table entry for the X-macro lists of curlsym.h and cryptosym.h: the
 * symbol `f` into the pointer sym_f.  POSIX guarantees that a function
 * pointer survives the round trip through dlsym's void *. */
#define DYNLIB_SYM(f) {#f, (void **)&sym_##f},

#endif
