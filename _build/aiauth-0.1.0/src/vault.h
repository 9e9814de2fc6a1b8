/* vault.h - the encrypted file format of the file backend.
 *
 * Layout (all integers big-endian):
 *   magic "AIAUTHVT" (8) | format version (1) = 1
 *   kdf id (1) = 1 PBKDF2-HMAC-SHA256 | iterations (4) | salt length (1) | salt (16)
 *   cipher id (1) = 1 AES-256-GCM | nonce (12)
 *   key check (16)
 *   ciphertext || tag (16)
 * The header (everything before the ciphertext) is the AEAD's associated
 * data, so no parameter can be changed unnoticed.  PBKDF2 derives a 32-byte
 * master key, which HKDF-Expand (SHA-256) turns into the AES key (info
 * "aiauth vault AES-256-GCM key") and a check key (info "aiauth vault
 * key-check key"); the "key check" is the first 16 bytes of HMAC-SHA256 of a
 * fixed string under the check key.  A key check that does not match means
 * a wrong passphrase (AIAUTH_BAD_PASSPHRASE); a key check that matches with
 * a failing tag means the file was damaged or tampered with
 * (AIAUTH_CORRUPT).
 *
 * vault_key holds the derived keys so that a process derives once (the KDF
 * is slow on purpose) and seals every later write with a fresh nonce. */
#ifndef AIAUTH_VAULT_H
#define AIAUTH_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "secret.h"

#define VAULT_DEFAULT_ITERATIONS 600000u
#define VAULT_MIN_ITERATIONS 10000u

struct vault_key; /* derived keys + salt + iterations; wiped when freed */

/* Derive a key for a new vault with a fresh random salt. */
enum aiauth_status vault_key_new(const struct secret *passphrase, uint32_t iterations,
                                 struct vault_key **out, struct aiauth_error **err);
/* Derive the key of an existing vault from its header and check it.
 * AIAUTH_BAD_PASSPHRASE, or AIAUTH_CORRUPT when the header is unreadable. */
enum aiauth_status vault_key_for(const unsigned char *file, size_t len,
                                 const struct secret *passphrase, struct vault_key **out,
                                 struct aiauth_error **err);
void vault_key_free(struct vault_key *key);
/* Does `key` (NULL: no key yet) belong to this file image?  Cheap: no key
 * derivation.  AIAUTH_OK when it was derived for this file's salt, iterations
 * and passphrase; AIAUTH_BAD_PASSPHRASE (no message) when it was not, e.g.
 * another process created the file anew with a fresh salt: derive again with
 * vault_key_for(); AIAUTH_CORRUPT (with a message) when the header is
 * unreadable, so a damaged file is reported before anyone is asked for a
 * passphrase. */
enum aiauth_status vault_key_matches(const struct vault_key *key, const unsigned char *file,
                                     size_t len, struct aiauth_error **err);

/* Encrypt `plain` into a complete file image (heap, caller frees; it holds
 * no plaintext). */
enum aiauth_status vault_seal(const struct vault_key *key, const struct secret *plain,
                             unsigned char **out, size_t *out_len, struct aiauth_error **err);
/* Decrypt a file image with a key from vault_key_for() (or the key that
 * sealed it).  AIAUTH_CORRUPT when damaged or tampered with;
 * AIAUTH_BAD_PASSPHRASE when the key is not this file's (see
 * vault_key_matches()). */
enum aiauth_status vault_open(const struct vault_key *key, const unsigned char *file,
                             size_t len, struct secret **plain, struct aiauth_error **err);

#endif
