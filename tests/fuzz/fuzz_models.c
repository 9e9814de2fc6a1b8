/* fuzz_models.c - model-list answers of providers and local servers. */
#include "config.h"

#include "fuzz.h"
#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **ids = NULL;
	size_t n = 0;
	struct aiauth_error *err = NULL;
	if (probe_parse_models((const char *)data, size, &ids, &n, &err) == AIAUTH_OK) {
		for (size_t i = 0; i < n; i++) {
			if (!ids[i])
				abort();
			free(ids[i]);
		}
		free(ids);
	}
	error_clear(&err);
	return 0;
}
