/* fuzz_providers.c - a user's providers.json. */
#include "config.h"

#include "fuzz.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	if (registry_load_text((const char *)data, size, "providers.json", &reg, &err) ==
	    AIAUTH_OK) {
		/* Everything loaded must be usable as the rest of aiauth uses it. */
		for (size_t i = 0; i < registry_count(reg); i++) {
			const struct provider *p = registry_at(reg, i);
			if (!p || !p->id || registry_find(reg, p->id) != p)
				abort();
		}
		registry_free(reg);
	} else if (reg || !err || strchr(err->message, '\n')) {
		abort();
	}
	error_clear(&err);
	return 0;
}
