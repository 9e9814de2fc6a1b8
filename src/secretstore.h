/* secretstore.h - where secrets live: the desktop keyring or the vault.
 *
 * One interface over two backends:
 * - keyring: the Secret Service through libsecret, schema
 *   "org.aiauth.Credential" with attributes account_id, provider and kind
 *   (identifiers only; the secret is the payload), item label
 *   "aiauth: <provider name> (<account label>)";
 * - file: the vault (vault.h) at $XDG_DATA_HOME/aiauth/vault.bin, read and
 *   rewritten under an flock on vault.lock.
 *
 * Choice (secretstore_open): a forced backend, else the keyring when a
 * Secret Service answers on the session bus within the probe timeout and its
 * default collection is unlocked, else the file.  There is no plaintext
 * backend.  secretstore_reason() says why the backend was chosen.
 *
 * Values are credential blobs (credential.h); the store never looks inside.
 * Every struct secret returned belongs to the caller. */
#ifndef AIAUTH_SECRETSTORE_H
#define AIAUTH_SECRETSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "secret.h"

enum secret_backend {
	SECRET_BACKEND_AUTO,
	SECRET_BACKEND_KEYRING, /* "keyring" */
	SECRET_BACKEND_FILE,    /* "file" */
};

/* Asked for the vault passphrase the first time the file backend needs it.
 * `creating` is true when no vault exists yet (a prompt should ask twice). */
typedef enum aiauth_status (*secretstore_passphrase_fn)(void *ctx, bool creating,
                                                        struct secret **out,
                                                        struct aiauth_error **err);

struct secretstore_options {
	enum secret_backend backend; /* AUTO or forced */
	const char *reason;          /* why it was forced ("--store file"), or NULL */
	const char *vault_path;      /* NULL: $XDG_DATA_HOME/aiauth/vault.bin */
	secretstore_passphrase_fn get_passphrase;
	void *passphrase_ctx;
	int probe_timeout_ms; /* 0: as secretstore_probe_keyring() */
};

/* What an item is, for the keyring's attributes and label. */
struct secret_meta {
	const char *provider;      /* registry id */
	const char *provider_name; /* display name, for the item label */
	const char *label;         /* account label */
	const char *kind;          /* "api_key", "oauth" */
};

struct secretstore;

/* Open a backend; nothing slow happens for the file backend until the first
 * get/put (the passphrase is asked then).  AIAUTH_BACKEND when a forced
 * backend is unavailable. */
enum aiauth_status secretstore_open(const struct secretstore_options *opts,
                                    struct secretstore **out, struct aiauth_error **err);
/* Waits for started puts to end first. */
void secretstore_close(struct secretstore *ss);

enum secret_backend secretstore_backend(const struct secretstore *ss);
/* One translated sentence: why this backend. */
const char *secretstore_reason(const struct secretstore *ss);
/* Where: "the default keyring collection" (translated) or the vault path. */
const char *secretstore_location(const struct secretstore *ss);

/* AIAUTH_NOT_FOUND (with a message) when there is no secret for the id. */
enum aiauth_status secretstore_get(struct secretstore *ss, const char *account_id,
                                   struct secret **out, struct aiauth_error **err);
enum aiauth_status secretstore_put(struct secretstore *ss, const char *account_id,
                                   const struct secret_meta *meta, const struct secret *value,
                                   struct aiauth_error **err);
/* A put that may go on while the loop runs (on the keyring, the write of
 * an item that exists already: gnome-keyring takes milliseconds for it).
 * Returns an error, without ever calling done, when the put could not
 * start; otherwise done(ctx, status, err) is called once from the loop
 * (never from within this call) with the put's result, and may take *err.
 * The value is copied.  Secret reads and other writes may go on meanwhile. */
struct loop;
struct secretstore_put_op;
typedef void (*secretstore_put_done_fn)(void *ctx, enum aiauth_status status,
                                        struct aiauth_error **err);
enum aiauth_status secretstore_put_start(struct secretstore *ss, struct loop *loop,
                                         const char *account_id, const struct secret_meta *meta,
                                         const struct secret *value, secretstore_put_done_fn done,
                                         void *ctx, struct secretstore_put_op **op,
                                         struct aiauth_error **err);
/* Wait for a started put to end (the secret is written or not), without
 * calling its done; op is freed. */
void secretstore_put_abandon(struct secretstore_put_op *op);
/* Deleting what is not there is not an error. */
enum aiauth_status secretstore_delete(struct secretstore *ss, const char *account_id,
                                      struct aiauth_error **err);
/* Every account id that has a secret; free with secretstore_free_ids(). */
enum aiauth_status secretstore_list(struct secretstore *ss, char ***ids, size_t *n,
                                    struct aiauth_error **err);
void secretstore_free_ids(char **ids, size_t n);

/* Is a usable Secret Service on the session bus?  Never waits longer than
 * timeout_ms (<= 0: $AIAUTH_KEYRING_PROBE_MS if it is 100 to 60000, else
 * 2000).  On AIAUTH_BACKEND *why (optional, translated,
 * caller frees with free()) says what is missing ("no session bus", "no
 * Secret Service on the session bus", "no default keyring collection", "the
 * keyring is locked", or that something did not answer in time); on
 * AIAUTH_OK *why is set to NULL. */
enum aiauth_status secretstore_probe_keyring(int timeout_ms, char **why);

const char *secret_backend_name(enum secret_backend b);
bool secret_backend_parse(const char *s, enum secret_backend *out);

#endif
