/* curlsym.h - libcurl, loaded when the first transfer needs it.
 *
 * Debian's libcurl brings two dozen libraries along (Kerberos, LDAP, SSH,
 * RTMP, OpenSSL's libcrypto...).  Mapping and relocating them cost every
 * start of aiauth about 7 ms and 3 MB of resident memory, while most runs
 * never make a request: `aiauth token` for an API key or a fresh token,
 * list, env, exec, the screens until a sign-in.  So aiauth does not link
 * libcurl.  curlsym_load() opens the libcurl configure found (CURL_SONAME)
 * with dynlib_open() and takes from it the functions listed below, which
 * the code calls as sym_curl_...().  Only http.c and loop.c use them.
 *
 * Call order: curlsym_load() before any sym_curl_*().  The first call
 * loads the library and runs curl_global_init(); later calls return at
 * once.  AIAUTH_OK, or AIAUTH_FAILED with a message naming the library
 * (the functions are then unusable).  One thread only, like the loop.
 * curlsym_unload() (at exit) runs curl_global_cleanup() when the library
 * was loaded; the library itself stays mapped (dynlib.h).
 *
 * The sym_ pointers have the exact types of curl.h's declarations; what
 * is lost is curl.h's compile-time check of curl_easy_setopt()'s argument
 * types, which applies to direct calls only. */
#ifndef AIAUTH_CURLSYM_H
#define AIAUTH_CURLSYM_H

#include <stdbool.h>

#include <curl/curl.h>

#include "error.h"

#define CURLSYM_FUNCTIONS(X) \
	X(curl_global_init) \
	X(curl_global_cleanup) \
	X(curl_free) \
	X(curl_easy_init) \
	X(curl_easy_cleanup) \
	X(curl_easy_setopt) \
	X(curl_easy_getinfo) \
	X(curl_easy_strerror) \
	X(curl_slist_append) \
	X(curl_slist_free_all) \
	X(curl_url) \
	X(curl_url_set) \
	X(curl_url_get) \
	X(curl_url_cleanup) \
	X(curl_multi_init) \
	X(curl_multi_cleanup) \
	X(curl_multi_add_handle) \
	X(curl_multi_remove_handle) \
	X(curl_multi_poll) \
	X(curl_multi_perform) \
	X(curl_multi_info_read) \
	X(curl_multi_strerror)

#define CURLSYM_DECLARE(f) extern __typeof__(f) *sym_##f;
CURLSYM_FUNCTIONS(CURLSYM_DECLARE)
#undef CURLSYM_DECLARE

enum aiauth_status curlsym_load(struct aiauth_error **err);
/* Whether curlsym_load() has succeeded. */
bool curlsym_loaded(void);
void curlsym_unload(void);

#endif
