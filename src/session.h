/* session.h - what every front end (the command line, the screens) does
 * with the core, in one place.
 *
 * A session opens what a command or a screen needs lazily: the registry,
 * the secret store (with the passphrase asked through the front end's
 * callback), the event loop.  It knows the rules that span modules:
 * - which secret store holds the secrets: --store, else the backend
 *   recorded in the account store, else the automatic choice; the backend
 *   is recorded when the first secret is stored;
 * - adding an account stores its secret too, and takes the account back if
 *   the secret cannot be stored;
 * - resolving a provider's credential refreshes OAuth tokens first
 *   (lifecycle.h);
 * - a new OAuth sign-in becomes an account labelled with its email, or
 *   renews the account that has that email.
 * A session never prints; results and errors are values. */
#ifndef AIAUTH_SESSION_H
#define AIAUTH_SESSION_H

#include <stdbool.h>

#include "credential.h"
#include "error.h"
#include "loop.h"
#include "oauth.h"
#include "registry.h"
#include "secretstore.h"
#include "store.h"

struct session_options {
	enum secret_backend forced_backend; /* SECRET_BACKEND_AUTO unless --store */
	secretstore_passphrase_fn get_passphrase;
	void *passphrase_ctx;
};

struct session;

/* NULL on OOM only. */
struct session *session_new(const struct session_options *opts);
/* Closes the secret store, frees the registry and the loop. */
void session_free(struct session *s);
/* The backend forced with --store (SECRET_BACKEND_AUTO when none). */
enum secret_backend session_forced_backend(const struct session *s);

enum aiauth_status session_registry(struct session *s, struct registry **out,
                                    struct aiauth_error **err);
/* A provider by id; AIAUTH_USAGE "unknown provider" otherwise. */
enum aiauth_status session_provider(struct session *s, const char *id,
                                    const struct provider **out, struct aiauth_error **err);
/* The secret store the secrets are in (see the rules above). */
enum aiauth_status session_secrets(struct session *s, struct secretstore **out,
                                   struct aiauth_error **err);
/* A given backend (store migrate); the caller closes it. */
enum aiauth_status session_secrets_open(struct session *s, enum secret_backend backend,
                                        const char *reason, struct secretstore **out,
                                        struct aiauth_error **err);
enum aiauth_status session_loop(struct session *s, struct loop **out, struct aiauth_error **err);

/* Record the backend that holds the secrets (only when none is recorded,
 * unless `overwrite`). */
enum aiauth_status session_record_backend(enum secret_backend backend, bool overwrite,
                                          struct aiauth_error **err);

/* The credential of `provider` (account name optional) by the resolution
 * order of store.h, refreshed when it is an OAuth token about to expire.
 * *account (free with account_free) and *cred (NULL for keyless accounts;
 * free with credential_free) belong to the caller.  AIAUTH_NEEDS_SIGNIN
 * when the account must sign in again. */
enum aiauth_status session_resolve(struct session *s, const char *provider,
                                   const char *account_name, struct account **account,
                                   struct credential **cred, struct aiauth_error **err);

/* Add an account made from `tmpl` and store `blob` (NULL for a keyless
 * account) as its secret.  *label (caller frees) is the label the store
 * gave it; *active (optional) whether it became the provider's active
 * account. */
enum aiauth_status session_add_account(struct session *s, const struct provider *p,
                                       const struct account *tmpl, const struct secret *blob,
                                       char **label, bool *active, struct aiauth_error **err);

/* What session_save_oauth() did. Strings are owned; clear with
 * session_saved_clear(). */
struct session_saved {
	char *account_id;
	char *label;
	char *email;  /* or NULL when the provider told none */
	bool renewed; /* an existing account with that email was signed in again */
	bool active;  /* the account is the provider's active one */
};
void session_saved_clear(struct session_saved *saved);

/* After a sign-in: learn the email (id_token, else userinfo), then renew
 * the account with that email or add a new one (label `label`, else the
 * email), and store `cred` (taken: freed here, also on error). */
enum aiauth_status session_save_oauth(struct session *s, const struct provider *p,
                                      const struct oauth_endpoints *ep, const char *method,
                                      struct credential *cred, const char *label,
                                      struct session_saved *saved, struct aiauth_error **err);

#endif
