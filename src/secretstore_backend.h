/* secretstore_backend.h - what a secret-store backend provides (private to
 * secretstore*.c).  Each backend fills a struct secretstore_ops; the shared
 * front (secretstore.c) does the choosing and the messages. */
#ifndef AIAUTH_SECRETSTORE_BACKEND_H
#define AIAUTH_SECRETSTORE_BACKEND_H

#include "secretstore.h"

struct loop;

/* How a backend's started put reports its end; the callee may take *err. */
typedef void (*backend_put_done_fn)(void *ctx, enum aiauth_status status,
                                    struct aiauth_error **err);

struct secretstore_ops {
	/* get: AIAUTH_NOT_FOUND (no message needed) when absent */
	enum aiauth_status (*get)(void *impl, const char *id, struct secret **out,
	                          struct aiauth_error **err);
	enum aiauth_status (*put)(void *impl, const char *id, const struct secret_meta *meta,
	                          const struct secret *value, struct aiauth_error **err);
	/* put_start (optional; without it the front calls put): begin a put.
	 * Returns AIAUTH_OK with *handle set when the write goes on while the
	 * loop runs; done is then called once, from the loop, unless put_wait
	 * takes the put over.  With *handle NULL, the put ended here and the
	 * status is its result. */
	enum aiauth_status (*put_start)(void *impl, struct loop *loop, const char *id,
	                                const struct secret_meta *meta, const struct secret *value,
	                                backend_put_done_fn done, void *ctx, void **handle,
	                                struct aiauth_error **err);
	/* Block until a started put ends, without calling its done. */
	void (*put_wait)(void *impl, void *handle);
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
