/* fuzz_credfiles.c - the CLI credential files aiauth imports from and
 * writes back into (Claude Code, Codex, Gemini CLI): read as they are, and
 * rendered over when syncing, which must keep what it does not own. */
#include "config.h"

#include "credential.h"
#include "credfiles.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum credfile_tool tool = (enum credfile_tool)(data[0] % CREDFILE_TOOL_COUNT);
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	struct credfile_contents c = {0};
	struct aiauth_error *err = NULL;
	if (credfile_parse(tool, text, len, &c, &err) == AIAUTH_OK) {
		if (c.cred) {
			struct credential *merged = NULL;
			(void)credfile_compare(c.cred, "someone@example.com", &c);
			if (credfile_take_in(c.cred, &c, &merged) != AIAUTH_OK)
				abort();
			credential_free(merged);
		}
	} else if (!err || strchr(err->message, '\n')) {
		abort();
	}
	credfile_contents_clear(&c);
	error_clear(&err);

	/* Sync writes our tokens into the existing text. */
	struct credential *ours = credential_new();
	if (!ours)
		abort();
	credential_set_str(ours, "access_token", "fuzz-access-token-0123456789");
	credential_set_str(ours, "refresh_token", "fuzz-refresh-token-0123456789");
	credential_set_str(ours, "expires_at", "1700000000");
	credential_set_str(ours, "id_token", "eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImFAYi5jIn0.");
	struct secret *out = NULL;
	if (credfile_render(tool, text, len, ours, false, 1700000000, &out, &err) == AIAUTH_OK) {
		/* What we write must read back, with our token in it. */
		struct credfile_contents back = {0};
		struct aiauth_error *e2 = NULL;
		if (credfile_parse(tool, (const char *)out->buf, out->len, &back, &e2) != AIAUTH_OK)
			abort();
		const struct secret *at = back.cred ? credential_get(back.cred, "access_token") : NULL;
		if (!at || strcmp((const char *)at->buf, "fuzz-access-token-0123456789") != 0)
			abort();
		credfile_contents_clear(&back);
		error_clear(&e2);
	}
	secret_free(out);
	credential_free(ours);
	error_clear(&err);
	return 0;
}
