/* cryptosym.c - GnuTLS, loaded when something needs it (cryptosym.h says
 * why and how). */
#include "config.h"

#include <stdbool.h>

#include "cryptosym.h"
#include "dynlib.h"

#define CRYPTOSYM_DEFINE(f) __typeof__(f) *sym_##f;
CRYPTOSYM_FUNCTIONS(CRYPTOSYM_DEFINE)
#undef CRYPTOSYM_DEFINE

static const struct dynlib_sym gnutls_syms[] = {CRYPTOSYM_FUNCTIONS(DYNLIB_SYM)};
static void *gnutls_lib;
static bool gnutls_ready;

enum aiauth_status cryptosym_load(struct aiauth_error **err)
{
	if (gnutls_ready)
		return AIAUTH_OK;
	enum aiauth_status st =
	    dynlib_open(GNUTLS_SONAME, gnutls_syms, sizeof(gnutls_syms) / sizeof(gnutls_syms[0]),
	                &gnutls_lib, err);
	gnutls_ready = st == AIAUTH_OK;
	return st;
}
