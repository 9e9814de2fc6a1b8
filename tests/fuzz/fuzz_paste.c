/* fuzz_paste.c - what a person pastes after a browser sign-in: a code,
 * code#state, a query or a whole URL. */
#include "config.h"

#include "fuzz.h"
#include "oauth_pkce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secret *input = secret_from_mem(data, size);
	struct secret *state = secret_from_str("fuzz-state-0123456789abcdef");
	struct secret *code = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = oauth_pkce_parse_paste(input, state, &code, &err);
	if (st == AIAUTH_OK && (!code || !code->len))
		abort();
	if (st != AIAUTH_OK && (code || !err || strchr(err->message, '\n')))
		abort();
	secret_free(code);
	secret_free(state);
	secret_free(input);
	error_clear(&err);
	return 0;
}
