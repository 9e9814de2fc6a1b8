/* probe.h - does a credential work, which models are there, which local
 * servers answer.
 *
 * probe_* calls a provider's model-list endpoint with a credential and says
 * what happened in the terms a person wants: valid with N models, invalid key
 * (401/403), unreachable, TLS error, timed out, server error, or an answer
 * that is not a model list.  detect_local() asks every local provider of the
 * registry at once, with a short timeout. */
#ifndef AIAUTH_PROBE_H
#define AIAUTH_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "loop.h"
#include "registry.h"
#include "secret.h"

enum probe_outcome {
	PROBE_VALID,
	PROBE_INVALID_KEY,
	PROBE_UNREACHABLE,
	PROBE_TLS,
	PROBE_TIMEOUT,
	PROBE_SERVER_ERROR, /* 5xx, 429, other unexpected statuses */
	PROBE_BAD_RESPONSE, /* 2xx that is not a model list (HTML, malformed JSON) */
	PROBE_UNSUPPORTED,  /* the provider has no model-list endpoint aiauth can call */
};

struct probe_target {
	const struct provider *provider;
	const char *base_url;    /* NULL: the provider's default */
	const char *api_version; /* NULL: the provider's default */
	const struct secret *credential; /* key or access token; NULL for keyless */
	long timeout_ms;         /* 0: 15000 */
};

struct probe_result {
	enum probe_outcome outcome;
	long http_status;
	size_t n_models;
	char **models; /* model ids, n_models of them (may be NULL if none) */
	char *detail;  /* one line: the server's error message or curl's; may be NULL */
};

typedef void (*probe_done_fn)(void *ctx, const struct probe_result *result);
struct probe;

struct probe *probe_start(struct loop *loop, const struct probe_target *target,
                          probe_done_fn done, void *ctx, struct aiauth_error **err);
void probe_cancel(struct probe *p);
/* Synchronous convenience on a private loop. */
enum aiauth_status probe_run(const struct probe_target *target, struct probe_result *out,
                             struct aiauth_error **err);
void probe_result_clear(struct probe_result *r);

/* Untranslated one-line description ("valid", "invalid key", ...). */
const char *probe_outcome_text(enum probe_outcome o);
/* Parse a model-list body (OpenAI/Anthropic "data", Gemini/Ollama "models",
 * or a bare array) into ids.  AIAUTH_CORRUPT if it is not one. */
enum aiauth_status probe_parse_models(const char *body, size_t len, char ***ids, size_t *n,
                                      struct aiauth_error **err);

struct detect_result {
	const struct provider *provider;
	char *base_url;
	bool found;
	size_t n_models;
};

/* Port overrides for detect_local: provider id -> port. */
struct detect_port {
	const char *provider;
	int port;
};

/* Probe every local provider's base URL (with overrides) concurrently,
 * each with `timeout_ms` (0: 1500).  *results has one entry per local
 * provider in registry order; free with detect_results_free(). */
enum aiauth_status detect_local(const struct registry *reg, const struct detect_port *ports,
                                size_t n_ports, long timeout_ms,
                                struct detect_result **results, size_t *n,
                                struct aiauth_error **err);
/* The same over an explicit list of providers, whatever their group (what
 * detect_local() does with the registry's local ones; also for tests). */
enum aiauth_status detect_providers(const struct provider *const *providers, size_t n_providers,
                                    const struct detect_port *ports, size_t n_ports,
                                    long timeout_ms, struct detect_result **results, size_t *n,
                                    struct aiauth_error **err);
void detect_results_free(struct detect_result *r, size_t n);

#endif
