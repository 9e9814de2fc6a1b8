/* fuzz_accounts.c - accounts.json, which other aiauth processes (of other
 * versions) and people with an editor write too. */
#include "config.h"

#include "fuzz.h"
#include "store.h"

static const char *const providers[] = {"openai", "claude", "chatgpt", "ollama", "x"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *store = NULL, *again = NULL;
	struct aiauth_error *err = NULL;
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;

	if (store_parse((const char *)data, size, &store, &err) != AIAUTH_OK) {
		if (store || !err || strchr(err->message, '\n'))
			abort();
		error_clear(&err);
		return 0;
	}
	/* What was accepted is resolved, written and read back the same. */
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		struct account *a = NULL;
		if (store_resolve(store, providers[i], NULL, &a, &err) == AIAUTH_OK && !a)
			abort();
		error_clear(&err);
	}
	for (size_t i = 0; i < store->n_accounts; i++) {
		struct account *a = NULL;
		if (store_lookup(store, NULL, store->accounts[i].id, &a, &err) != AIAUTH_OK || !a)
			abort();
		error_clear(&err);
	}
	if (store_serialize(store, &text, &len, &err) != AIAUTH_OK)
		abort();
	if (store_parse(text, len, &again, &err) != AIAUTH_OK)
		abort();
	if (store_serialize(again, &text2, &len2, &err) != AIAUTH_OK)
		abort();
	if (len != len2 || memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
	store_free(again);
	store_free(store);
	error_clear(&err);
	return 0;
}
