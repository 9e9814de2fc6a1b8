/* dynlib.c - opening a library and taking its symbols on first use
 * (dynlib.h). */
#include "config.h"

#include <dlfcn.h>

#include "dynlib.h"
#include "i18n.h"

enum aiauth_status dynlib_open(const char *soname, const struct dynlib_sym *syms, size_t n,
                               void **handle, struct aiauth_error **err)
{
	if (!*handle) {
		*handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
		if (!*handle) {
			const char *why = dlerror();
			return error_set(err, AIAUTH_FAILED, _("cannot load %s: %s"), soname,
			                 why ? why : _("unknown error"));
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!(*syms[i].slot = dlsym(*handle, syms[i].name)))
			return error_set(err, AIAUTH_FAILED, _("%s has no function %s"), soname,
			                 syms[i].name);
	}
	return AIAUTH_OK;
}
