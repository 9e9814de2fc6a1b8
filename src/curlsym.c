/* curlsym.c - libcurl, loaded when the first transfer needs it (curlsym.h
 * says why and how). */
#include "config.h"

#include "curlsym.h"
#include "dynlib.h"
#include "i18n.h"

#define CURLSYM_DEFINE(f) __typeof__(f) *sym_##f;
CURLSYM_FUNCTIONS(CURLSYM_DEFINE)
#undef CURLSYM_DEFINE

static const struct dynlib_sym curl_syms[] = {CURLSYM_FUNCTIONS(DYNLIB_SYM)};
static void *curl_lib;
static bool curl_ready;

enum aiauth_status curlsym_load(struct aiauth_error **err)
{
	if (curl_ready)
		return AIAUTH_OK;
	enum aiauth_status st = dynlib_open(CURL_SONAME, curl_syms,
	                                    sizeof(curl_syms) / sizeof(curl_syms[0]), &curl_lib, err);
	if (st != AIAUTH_OK)
		return st;
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
