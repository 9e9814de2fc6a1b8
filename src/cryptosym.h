/* cryptosym.h - GnuTLS's crypto, loaded when something needs it.
 *
 * GnuTLS and the libraries it brings (nettle, hogweed, gmp, p11-kit,
 * libtasn1, libidn2, libunistring) took about five million instructions
 * and 2.7 MB of resident memory at every start of aiauth, its constructor
 * parsing ASN.1 tables included, while only the encrypted file (vault.c),
 * the PKCE sign-in, new account ids and the decoding of JSON Web Tokens use
 * it.  So aiauth does not link GnuTLS: cryptosym_load() opens the GnuTLS
 * configure found (GNUTLS_SONAME) with dynlib_open() and takes the
 * functions listed below, which the code calls as sym_gnutls_...().
 * Secrets are wiped with explicit_bzero() (secret.c), which needs none of
 * it.
 *
 * Call order: cryptosym_load() before any sym_gnutls_*(); the first call
 * loads the library, later ones return at once.  AIAUTH_OK, or
 * AIAUTH_FAILED with a message naming the library.  One thread only.
 *
 * gnutls_free is a variable of GnuTLS (a function pointer), not a
 * function: sym_gnutls_free points at it, so it is called as
 * (*sym_gnutls_free)(p). */
#ifndef AIAUTH_CRYPTOSYM_H
#define AIAUTH_CRYPTOSYM_H

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "error.h"

#define CRYPTOSYM_FUNCTIONS(X) \
	X(gnutls_strerror) \
	X(gnutls_free) \
	X(gnutls_rnd) \
	X(gnutls_hash_fast) \
	X(gnutls_hmac_fast) \
	X(gnutls_pbkdf2) \
	X(gnutls_hkdf_expand) \
	X(gnutls_base64_decode2) \
	X(gnutls_aead_cipher_init) \
	X(gnutls_aead_cipher_encrypt) \
	X(gnutls_aead_cipher_decrypt) \
	X(gnutls_aead_cipher_deinit)

#define CRYPTOSYM_DECLARE(f) extern __typeof__(f) *sym_##f;
CRYPTOSYM_FUNCTIONS(CRYPTOSYM_DECLARE)
#undef CRYPTOSYM_DECLARE

enum aiauth_status cryptosym_load(struct aiauth_error **err);

#endif
