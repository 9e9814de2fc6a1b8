/* fuzz_loopback.c - what a browser (or anything else on this machine) sends
 * the loopback redirect listener: the head, the request line, the query. */
#include "config.h"

#include "fuzz.h"
#include "loopback.h"
#include "oauth_pkce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The listener never reads more than this. */
	if (size > LOOPBACK_MAX_HEAD)
		size = LOOPBACK_MAX_HEAD;
	const char *head = (const char *)data;
	(void)loopback_head_complete(head, size);
	(void)loopback_head_plausible(head, size);

	const char *query = NULL;
	size_t qlen = 0;
	if (loopback_request_parse(head, size, "/callback", &query, &qlen) !=
	    LOOPBACK_REQUEST_REDIRECT)
		return 0;
	if (qlen && (query < head || query + qlen > head + size))
		abort(); /* the query must lie inside what was read */

	struct oauth_pkce_reply r = {0};
	struct aiauth_error *err = NULL;
	if (oauth_pkce_parse_query(query, qlen, &r, &err) == AIAUTH_OK) {
		struct secret *ours = secret_from_str("0123456789abcdef0123456789abcdef");
		if (r.state)
			(void)secret_equal(r.state, ours);
		if (r.error) {
			struct aiauth_error *e2 = NULL;
			oauth_pkce_reply_error(&r, &e2);
			if (!e2 || strchr(e2->message, '\n'))
				abort();
			error_clear(&e2);
		}
		secret_free(ours);
	}
	oauth_pkce_reply_clear(&r);
	error_clear(&err);
	return 0;
}
