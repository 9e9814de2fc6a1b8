/* vault.c - the encrypted file format of the file backend (see vault.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cryptosym.h"
#include "vault.h"

#define VAULT_MAGIC "AIAUTHVT"
#define VAULT_CHECK_LABEL "aiauth vault key check"
#define VAULT_ENC_INFO "aiauth vault AES-256-GCM key"
#define VAULT_CHECK_INFO "aiauth vault key-check key"
/* Above this a header is not a choice anybody made: at ~1 µs per iteration it
 * would take about a minute to open, so it is read as damage, not obeyed. */
#define VAULT_MAX_ITERATIONS 50000000u

enum {
	VAULT_VERSION = 1,
	VAULT_KDF_PBKDF2_SHA256 = 1,
	VAULT_CIPHER_AES256_GCM = 1,

	MAGIC_LEN = 8,
	SALT_LEN = 16,
	NONCE_LEN = 12,
	CHECK_LEN = 16,
	TAG_LEN = 16,
	AES_KEY_LEN = 32,
	CHECK_KEY_LEN = 32,
	DERIVED_LEN = AES_KEY_LEN + CHECK_KEY_LEN,
	HMAC_LEN = 32,

	/* Offsets of the header fields, in the order vault.h lists them. */
	OFF_VERSION = MAGIC_LEN,
	OFF_KDF = OFF_VERSION + 1,
	OFF_ITERATIONS = OFF_KDF + 1,
	OFF_SALT_LEN = OFF_ITERATIONS + 4,
	OFF_SALT = OFF_SALT_LEN + 1,
	OFF_CIPHER = OFF_SALT + SALT_LEN,
	OFF_NONCE = OFF_CIPHER + 1,
	OFF_CHECK = OFF_NONCE + NONCE_LEN,
	HEADER_LEN = OFF_CHECK + CHECK_LEN,
};

struct vault_key {
	struct secret *keys; /* DERIVED_LEN bytes: AES key || check key */
	unsigned char salt[SALT_LEN];
	uint32_t iterations;
	unsigned char check[CHECK_LEN]; /* public: it is written in the header */
};

/* The header fields of a file image, once they passed validation. */
struct vault_header {
	uint32_t iterations;
	const unsigned char *salt;
	const unsigned char *nonce;
	const unsigned char *check;
};

/* Comparison whose time does not depend on where the inputs differ, so the
 * key check leaks nothing about how close a guess was. */
static bool vault_ct_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
	volatile unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static uint32_t vault_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void vault_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static enum aiauth_status vault_damaged(struct aiauth_error **err, const char *why)
{
	return error_set(err, AIAUTH_CORRUPT, _("the vault file is damaged: %s"), why);
}

/* Validate everything that can be validated without a key.  Nothing here
 * derives a key, so a damaged file is reported at once and an absurd
 * iteration count never makes us spin. */
static enum aiauth_status vault_header_parse(const unsigned char *file, size_t len,
                                             struct vault_header *h, struct aiauth_error **err)
{
	if (len >= MAGIC_LEN && memcmp(file, VAULT_MAGIC, MAGIC_LEN) != 0)
		return vault_damaged(err, _("it is not an aiauth vault"));
	if (len < HEADER_LEN + TAG_LEN)
		return error_set(err, AIAUTH_CORRUPT,
		                 _("the vault file is damaged: it is truncated (%zu bytes)"), len);
	if (file[OFF_VERSION] != VAULT_VERSION)
		return error_set(err, AIAUTH_CORRUPT,
		                 _("the vault file is damaged: unknown format version %u"),
		                 (unsigned)file[OFF_VERSION]);
	if (file[OFF_KDF] != VAULT_KDF_PBKDF2_SHA256)
		return error_set(err, AIAUTH_CORRUPT,
		                 _("the vault file is damaged: unknown key derivation %u"),
		                 (unsigned)file[OFF_KDF]);
	uint32_t iterations = vault_get_be32(file + OFF_ITERATIONS);
	if (iterations < VAULT_MIN_ITERATIONS || iterations > VAULT_MAX_ITERATIONS)
		return error_set(err, AIAUTH_CORRUPT,
		                 _("the vault file is damaged: implausible iteration count %lu"),
		                 (unsigned long)iterations);
	if (file[OFF_SALT_LEN] != SALT_LEN)
		return error_set(err, AIAUTH_CORRUPT,
		                 _("the vault file is damaged: unexpected salt length %u"),
		                 (unsigned)file[OFF_SALT_LEN]);
	if (file[OFF_CIPHER] != VAULT_CIPHER_AES256_GCM)
		return error_set(err, AIAUTH_CORRUPT,
		                 _("the vault file is damaged: unknown cipher %u"),
		                 (unsigned)file[OFF_CIPHER]);
	h->iterations = iterations;
	h->salt = file + OFF_SALT;
	h->nonce = file + OFF_NONCE;
	h->check = file + OFF_CHECK;
	return AIAUTH_OK;
}

void vault_key_free(struct vault_key *key)
{
	if (!key)
		return;
	secret_free(key->keys);
	secure_wipe(key, sizeof(*key));
	free(key);
}

static enum aiauth_status vault_derive(const struct secret *passphrase,
                                       const unsigned char *salt, uint32_t iterations,
                                       struct vault_key **out, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	unsigned char mac[HMAC_LEN];
	unsigned char master[32];
	struct vault_key *key = calloc(1, sizeof(*key));
	if (!key || !(key->keys = secret_new(DERIVED_LEN))) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	memcpy(key->salt, salt, SALT_LEN);
	key->iterations = iterations;

	/* One PBKDF2 chain gives a 32-byte master key; HKDF-Expand splits it
	 * into the AES key and the key-check key.  Asking PBKDF2 for 64 bytes
	 * would run two full chains, while a guesser only needs the one that
	 * keys the check: we would pay twice what each guess costs them. */
	if ((st = cryptosym_load(err)) != AIAUTH_OK)
		goto out;
	gnutls_datum_t pw = {passphrase->buf, (unsigned)passphrase->len};
	gnutls_datum_t sd = {key->salt, SALT_LEN};
	int rc = sym_gnutls_pbkdf2(GNUTLS_MAC_SHA256, &pw, &sd, iterations, master, sizeof(master));
	if (rc < 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot derive the vault key: %s"),
		               sym_gnutls_strerror(rc));
		goto out;
	}
	gnutls_datum_t prk = {master, sizeof(master)};
	gnutls_datum_t enc_info = {(unsigned char *)VAULT_ENC_INFO, strlen(VAULT_ENC_INFO)};
	gnutls_datum_t check_info = {(unsigned char *)VAULT_CHECK_INFO, strlen(VAULT_CHECK_INFO)};
	rc = sym_gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &prk, &enc_info, key->keys->buf, AES_KEY_LEN);
	if (rc >= 0)
		rc = sym_gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &prk, &check_info,
		                            key->keys->buf + AES_KEY_LEN, CHECK_KEY_LEN);
	if (rc < 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot derive the vault key: %s"),
		               sym_gnutls_strerror(rc));
		goto out;
	}
	key->keys->len = DERIVED_LEN;

	/* The key check is keyed by the second half only, so publishing it says
	 * nothing about the AES key. */
	rc = sym_gnutls_hmac_fast(GNUTLS_MAC_SHA256, key->keys->buf + AES_KEY_LEN, CHECK_KEY_LEN,
	                          VAULT_CHECK_LABEL, strlen(VAULT_CHECK_LABEL), mac);
	if (rc < 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot derive the vault key: %s"),
		               sym_gnutls_strerror(rc));
		goto out;
	}
	memcpy(key->check, mac, CHECK_LEN);
	*out = key;
	key = NULL;
out:
	secure_wipe(mac, sizeof(mac));
	secure_wipe(master, sizeof(master));
	vault_key_free(key);
	return st;
}

enum aiauth_status vault_key_new(const struct secret *passphrase, uint32_t iterations,
                                 struct vault_key **out, struct aiauth_error **err)
{
	if (!passphrase || passphrase->len == 0)
		return error_set(err, AIAUTH_BAD_PASSPHRASE, "%s",
		                 _("an empty passphrase cannot protect the encrypted secret file"));
	if (iterations < VAULT_MIN_ITERATIONS || iterations > VAULT_MAX_ITERATIONS)
		return error_set(err, AIAUTH_USAGE, _("vault iteration count %lu is out of range"),
		                 (unsigned long)iterations);
	unsigned char salt[SALT_LEN];
	enum aiauth_status st = cryptosym_load(err);
	if (st != AIAUTH_OK)
		return st;
	int rc = sym_gnutls_rnd(GNUTLS_RND_KEY, salt, sizeof(salt));
	if (rc < 0)
		return error_set(err, AIAUTH_FAILED, _("cannot get random bytes: %s"),
		                 sym_gnutls_strerror(rc));
	return vault_derive(passphrase, salt, iterations, out, err);
}

enum aiauth_status vault_key_for(const unsigned char *file, size_t len,
                                 const struct secret *passphrase, struct vault_key **out,
                                 struct aiauth_error **err)
{
	struct vault_header h;
	struct vault_key *key = NULL;
	enum aiauth_status st = vault_header_parse(file, len, &h, err);
	if (st != AIAUTH_OK)
		return st;
	/* An empty passphrase cannot have created a vault (vault_key_new refuses
	 * it), so it is simply a wrong one. */
	if (!passphrase || passphrase->len == 0)
		return error_set(err, AIAUTH_BAD_PASSPHRASE, "%s",
		                 _("wrong passphrase for the encrypted secret file"));
	st = vault_derive(passphrase, h.salt, h.iterations, &key, err);
	if (st != AIAUTH_OK)
		return st;
	if (!vault_ct_equal(key->check, h.check, CHECK_LEN)) {
		vault_key_free(key);
		return error_set(err, AIAUTH_BAD_PASSPHRASE, "%s",
		                 _("wrong passphrase for the encrypted secret file"));
	}
	*out = key;
	return AIAUTH_OK;
}

static bool vault_key_fits(const struct vault_key *key, const struct vault_header *h)
{
	return key && key->iterations == h->iterations &&
	       memcmp(key->salt, h->salt, SALT_LEN) == 0 &&
	       vault_ct_equal(key->check, h->check, CHECK_LEN);
}

enum aiauth_status vault_key_matches(const struct vault_key *key, const unsigned char *file,
                                     size_t len, struct aiauth_error **err)
{
	struct vault_header h;
	enum aiauth_status st = vault_header_parse(file, len, &h, err);
	if (st != AIAUTH_OK)
		return st;
	return vault_key_fits(key, &h) ? AIAUTH_OK : AIAUTH_BAD_PASSPHRASE;
}

static enum aiauth_status vault_cipher_init(const struct vault_key *key,
                                            gnutls_aead_cipher_hd_t *h,
                                            struct aiauth_error **err)
{
	enum aiauth_status st = cryptosym_load(err);
	if (st != AIAUTH_OK)
		return st;
	gnutls_datum_t k = {key->keys->buf, AES_KEY_LEN};
	int rc = sym_gnutls_aead_cipher_init(h, GNUTLS_CIPHER_AES_256_GCM, &k);
	if (rc < 0)
		return error_set(err, AIAUTH_FAILED, _("cannot set up the vault cipher: %s"),
		                 sym_gnutls_strerror(rc));
	return AIAUTH_OK;
}

enum aiauth_status vault_seal(const struct vault_key *key, const struct secret *plain,
                              unsigned char **out, size_t *out_len, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	gnutls_aead_cipher_hd_t h = NULL;
	if (plain->len > SIZE_MAX - HEADER_LEN - TAG_LEN)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	size_t total = HEADER_LEN + plain->len + TAG_LEN;
	unsigned char *img = malloc(total);
	if (!img)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));

	memcpy(img, VAULT_MAGIC, MAGIC_LEN);
	img[OFF_VERSION] = VAULT_VERSION;
	img[OFF_KDF] = VAULT_KDF_PBKDF2_SHA256;
	vault_put_be32(img + OFF_ITERATIONS, key->iterations);
	img[OFF_SALT_LEN] = SALT_LEN;
	memcpy(img + OFF_SALT, key->salt, SALT_LEN);
	img[OFF_CIPHER] = VAULT_CIPHER_AES256_GCM;
	/* A fresh random nonce per seal: GCM under one key must never see a
	 * nonce twice, and every rewrite keeps the key. */
	int rc = sym_gnutls_rnd(GNUTLS_RND_NONCE, img + OFF_NONCE, NONCE_LEN);
	if (rc < 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot get random bytes: %s"),
		               sym_gnutls_strerror(rc));
		goto out;
	}
	memcpy(img + OFF_CHECK, key->check, CHECK_LEN);

	st = vault_cipher_init(key, &h, err);
	if (st != AIAUTH_OK)
		goto out;
	size_t clen = plain->len + TAG_LEN;
	rc = sym_gnutls_aead_cipher_encrypt(h, img + OFF_NONCE, NONCE_LEN, img, HEADER_LEN, TAG_LEN,
	                                    plain->buf, plain->len, img + HEADER_LEN, &clen);
	if (rc < 0 || clen != plain->len + TAG_LEN) {
		st = error_set(err, AIAUTH_FAILED, _("cannot encrypt the vault: %s"),
		               sym_gnutls_strerror(rc < 0 ? rc : GNUTLS_E_INTERNAL_ERROR));
		goto out;
	}
	*out = img;
	*out_len = total;
	img = NULL;
out:
	if (h)
		sym_gnutls_aead_cipher_deinit(h);
	free(img); /* holds no plaintext: encryption writes ciphertext only */
	return st;
}

enum aiauth_status vault_open(const struct vault_key *key, const unsigned char *file,
                              size_t len, struct secret **plain, struct aiauth_error **err)
{
	struct vault_header hdr;
	gnutls_aead_cipher_hd_t h = NULL;
	struct secret *p = NULL;
	enum aiauth_status st = vault_header_parse(file, len, &hdr, err);
	if (st != AIAUTH_OK)
		return st;
	if (!vault_key_fits(key, &hdr))
		return error_set(err, AIAUTH_BAD_PASSPHRASE, "%s",
		                 _("wrong passphrase for the encrypted secret file"));

	size_t clen = len - HEADER_LEN;
	size_t plen = clen - TAG_LEN;
	if (!(p = secret_new(plen))) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	st = vault_cipher_init(key, &h, err);
	if (st != AIAUTH_OK)
		goto out;
	int rc = sym_gnutls_aead_cipher_decrypt(h, hdr.nonce, NONCE_LEN, file, HEADER_LEN, TAG_LEN,
	                                        file + HEADER_LEN, clen, p->buf, &plen);
	if (rc == GNUTLS_E_DECRYPTION_FAILED) {
		/* The key check matched, so the passphrase is right: the bytes are not
		 * the ones that were sealed. */
		st = error_set(err, AIAUTH_CORRUPT, "%s",
		               _("the encrypted secret file is damaged or was tampered with"));
		goto out;
	}
	if (rc < 0) {
		st = error_set(err, AIAUTH_FAILED, _("cannot decrypt the vault: %s"),
		               sym_gnutls_strerror(rc));
		goto out;
	}
	p->len = plen;
	p->buf[plen] = '\0';
	*plain = p;
	p = NULL;
out:
	if (h)
		sym_gnutls_aead_cipher_deinit(h);
	secret_free(p); /* may hold unauthenticated plaintext: wiped */
	return st;
}
