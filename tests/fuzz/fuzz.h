/* fuzz.h - what the fuzz targets share.
 *
 * Each target defines LLVMFuzzerTestOneInput() (and may define
 * LLVMFuzzerInitialize()).  Built with --enable-fuzzing it is linked with
 * libFuzzer's main; otherwise with replay.c, which feeds it every file of
 * the seed corpora in "make check".  A target must free everything it
 * allocates (libFuzzer reports leaks) and may not keep state between inputs
 * beyond what it set up once. */
#ifndef AIAUTH_FUZZ_H
#define AIAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An HTTP answer made of the input: its first byte picks the status and
 * the content type, the rest is the body. */
static inline void fuzz_response(const uint8_t *data, size_t size, struct http_response *resp)
{
	static const long statuses[] = {200, 200, 200, 201, 400, 401, 403, 404, 429, 500, 502, 302};
	static const char *const types[] = {"application/json", "application/json; charset=utf-8",
	                                    "text/html", NULL};
	memset(resp, 0, sizeof(*resp));
	resp->outcome = HTTP_DONE;
	if (size == 0)
		return;
	unsigned sel = data[0];
	resp->status = statuses[sel % (sizeof(statuses) / sizeof(statuses[0]))];
	const char *type = types[(sel >> 4) % (sizeof(types) / sizeof(types[0]))];
	resp->content_type = type ? strdup(type) : NULL;
	resp->body = secret_from_mem(data + 1, size - 1);
	/* A few inputs stand for transfers that never got an answer. */
	if ((sel & 0xf0) == 0xf0) {
		resp->outcome = HTTP_TIMEOUT;
		resp->error = strndup((const char *)data + 1, size - 1 > 200 ? 200 : size - 1);
	}
}

/* The input as a NUL-terminated heap string (embedded NULs and all). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
