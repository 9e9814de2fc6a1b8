/* fuzz_device.c - device authorization answers (RFC 8628 §3.2). */
#include "config.h"

#include "fuzz.h"
#include "oauth_device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response resp;
	struct device_codes codes;
	struct aiauth_error *err = NULL;
	fuzz_response(data, size, &resp);
	enum aiauth_status st = device_answer_parse(&resp, &codes, &err);
	if (st == AIAUTH_OK) {
		/* What the panel and the CLI print as they are must be plain. */
		if (!codes.device_code || !codes.user_code || !codes.verification_uri ||
		    codes.interval < 1 || codes.expires_in < 1)
			abort();
		for (const char *p = codes.user_code; *p; p++)
			if (*p <= ' ' || *p > '~')
				abort();
		for (const char *p = codes.verification_uri; *p; p++)
			if (*p <= ' ' || *p > '~')
				abort();
	} else if (!err || !err->message[0] || strchr(err->message, '\n')) {
		abort(); /* one line, always */
	}
	device_codes_clear(&codes);
	error_clear(&err);
	http_response_clear(&resp);
	return 0;
}
