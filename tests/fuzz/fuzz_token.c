/* fuzz_token.c - token endpoint answers (RFC 6749 §5), as every sign-in and
 * refresh reads them, and the id_token claims read from them. */
#include "config.h"

#include "credential.h"
#include "fuzz.h"
#include "oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response resp;
	struct oauth_token_result r = {0};
	fuzz_response(data, size, &resp);
	oauth_token_interpret(&resp, 1700000000, &r);
	if (r.status == AIAUTH_OK && !r.cred)
		abort(); /* the contract: OK carries a credential */
	if (r.status != AIAUTH_OK && !r.description)
		abort(); /* ... and a failure one line for a person */
	if (r.cred) {
		const struct secret *id = credential_get(r.cred, "id_token");
		if (id) {
			char *email = oauth_id_token_email((const char *)id->buf);
			free(email);
		}
	}
	oauth_token_result_clear(&r);
	http_response_clear(&resp);

	/* The body alone, read as an id_token. */
	char *s = fuzz_string(data, size);
	free(oauth_id_token_email(s));
	free(s);
	return 0;
}
