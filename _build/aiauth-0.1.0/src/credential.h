/* credential.h - the secret blob of an account.
 *
 * A credential is a small set of named secret strings: "api_key" for most
 * API-key accounts, "access_key_id" + "secret_access_key" for Bedrock, and
 * for OAuth accounts "access_token", "refresh_token", "expires_at" (Unix
 * seconds, as text), "id_token", "scope", "token_type".  The secret store
 * keeps it as one opaque blob: a JSON object of strings, produced and parsed
 * here with every intermediate buffer wiped.
 *
 * The credential owns its values; credential_free() wipes them. */
#ifndef AIAUTH_CREDENTIAL_H
#define AIAUTH_CREDENTIAL_H

#include <stddef.h>

#include "error.h"
#include "secret.h"

struct credential_field {
	char *name;
	struct secret *value;
};

struct credential {
	struct credential_field *fields;
	size_t n;
};

struct credential *credential_new(void);
void credential_free(struct credential *c);
#define CREDENTIAL_FREE(p) do { credential_free(p); (p) = NULL; } while (0)

/* Set (replace) a field; the credential takes ownership of `value` even on
 * failure. */
enum aiauth_status credential_take(struct credential *c, const char *name, struct secret *value);
/* Set a field from a string copy. */
enum aiauth_status credential_set_str(struct credential *c, const char *name, const char *value);
/* The field's value, or NULL. */
const struct secret *credential_get(const struct credential *c, const char *name);

/* Blob <-> credential. */
enum aiauth_status credential_to_blob(const struct credential *c, struct secret **blob,
                                      struct aiauth_error **err);
enum aiauth_status credential_from_blob(const struct secret *blob, struct credential **out,
                                        struct aiauth_error **err);

#endif
