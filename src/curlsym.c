/* curlsym.c - libcurl, loaded when the first transfer needs it (curlsym.h
 * says why and how). */
#include "config.h"

#include <dlfcn.h>

#include "curlsym.h"
#include "i18n.h"

#define CURLSYM_DEFINE(f) __typeof__(f) *sym_##f;
CURLSYM_FUNCTIONS(CURLSYM_DEFINE)
#undef CURLSYM_DEFINE

static void *curl_lib;
static bool curl_ready;

enum aiauth_status curlsym_load(struct aiauth_error **err)
{
	if (curl_ready)
		return AIAUTH_OK;
	if (!curl_lib) {
		curl_lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!curl_lib) {
			const char *why = dlerror();
			return error_set(err, AIAUTH_FAILED, _("cannot load %s: %s"), CURL_SONAME,
			                 why ? why : _("unknown error"));
		}
	}
	/* ISO C has no conversion from dlsym's void * to a function pointer;
	 * POSIX guarantees it works, and this form says so. */
#define CURLSYM_RESOLVE(f) \
	if (!(*(void **)&sym_##f = dlsym(curl_lib, #f))) \
		return error_set(err, AIAUTH_FAILED, _("%s has no function %s"), CURL_SONAME, #f);
	CURLSYM_FUNCTIONS(CURLSYM_RESOLVE)
#undef CURLSYM_RESOLVE
	CURLcode rc = sym_curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return error_set(err, AIAUTH_FAILED, _("cannot initialise libcurl: %s"),
		                 sym_curl_easy_strerror(rc));
	curl_ready = true;
	return AIAUTH_OK;
}

bool curlsym_loaded(void)
{
	return curl_ready;
}

void curlsym_unload(void)
{
	if (!curl_ready)
		return;
	sym_curl_global_cleanup();
	curl_ready = false;
}
