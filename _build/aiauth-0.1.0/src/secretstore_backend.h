/* secretstore_backend.h - what a secret-store backend provides (private to
 * secretstore*.c).  Each backend fills a struct secretstore_ops; the shared
 * front (secretstore.c) does the choosing and the messages. */
#ifndef AIAUTH_SECRETSTORE_BACKEND_H
#define AIAUTH_SECRETSTORE_BACKEND_H

#include "secretstore.h"

struct secretstore_ops {
	/* get: AIAUTH_NOT_FOUND (no message needed) when absent */
	enum aiauth_status (*get)(void *impl, const char *id, struct secret **out,
	                          struct aiauth_error **err);
	enum aiauth_status (*put)(void *impl, const char *id, const struct secret_meta *meta,
	                          const struct secret *value, struct aiauth_error **err);
	enum aiauth_status (*del)(void *impl, const char *id, struct aiauth_error **err);
	enum aiauth_status (*list)(void *impl, char ***ids, size_t *n, struct aiauth_error **err);
	void (*close)(void *impl);
};

/* Keyring backend (secretstore_keyring.c). */
enum aiauth_status keyring_backend_open(const struct secretstore_options *opts,
                                        const struct secretstore_ops **ops, void **impl,
                                        struct aiauth_error **err);
/* File backend (secretstore_file.c); *location receives the vault path. */
enum aiauth_status file_backend_open(const struct secretstore_options *opts,
                                     const struct secretstore_ops **ops, void **impl,
                                     char **location, struct aiauth_error **err);
/* The probe (secretstore_keyring.c). */
enum aiauth_status keyring_probe(int timeout_ms, char **why);

#endif
