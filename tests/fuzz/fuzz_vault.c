/* fuzz_vault.c - the encrypted secret file, read through the file backend
 * as aiauth reads it.
 *
 * A vault is created once with a known passphrase.  Each input then
 * replaces the file, in one of three ways picked by its first byte:
 *   0  the bytes as they are (headers of every kind, truncations);
 *   1  the real header followed by the bytes (the AEAD and key-check paths);
 *   2  the bytes sealed with the real key, so they decrypt: the document
 *      inside (JSON, base64 values) is what gets fuzzed, and a put must
 *      keep it readable.
 * The passphrase is given only while setting up: a header with another salt
 * then fails at once instead of deriving a key (which is slow on purpose). */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "secretstore.h"
#include "vault.h"

#define PASSPHRASE "fuzz passphrase, not a real one"
#define HEADER_LEN 60 /* see vault.h */

static struct secretstore *store;
static struct vault_key *key;
static char dir[256];
static char path[300];
static unsigned char header[HEADER_LEN];
static bool setting_up = true;

static enum aiauth_status give_passphrase(void *ctx, bool creating, struct secret **out,
                                          struct aiauth_error **err)
{
	(void)ctx;
	(void)creating;
	if (!setting_up)
		return error_set(err, AIAUTH_FAILED, "%s", "no passphrase while fuzzing");
	*out = secret_from_str(PASSPHRASE);
	return AIAUTH_OK;
}

static void write_image(const unsigned char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			abort();
		p += w;
		n -= (size_t)w;
	}
	close(fd);
}

/* Leave nothing behind in the temporary directory. */
static void clean_up(void)
{
	char p[320];
	secretstore_close(store);
	vault_key_free(key);
	unlink(path);
	snprintf(p, sizeof(p), "%s/vault.lock", dir);
	unlink(p);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/aiauth-fuzz-vault-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/vault.bin", dir);
	atexit(clean_up);

	struct secretstore_options opts = {
		.backend = SECRET_BACKEND_FILE,
		.vault_path = path,
		.get_passphrase = give_passphrase,
	};
	struct aiauth_error *err = NULL;
	if (secretstore_open(&opts, &store, &err) != AIAUTH_OK)
		abort();
	struct secret *v = secret_from_str("{\"api_key\":\"sk-fuzz-0123456789\"}");
	struct secret_meta meta = {"openai", "OpenAI", "fuzz", "api_key"};
	if (secretstore_put(store, "0123456789abcdef0123456789abcdef", &meta, v, &err) !=
	    AIAUTH_OK)
		abort();
	secret_free(v);

	FILE *f = fopen(path, "rb");
	unsigned char image[4096];
	size_t n = f ? fread(image, 1, sizeof(image), f) : 0;
	if (f)
		fclose(f);
	if (n < HEADER_LEN)
		abort();
	memcpy(header, image, HEADER_LEN);
	struct secret *pass = secret_from_str(PASSPHRASE);
	if (vault_key_for(image, n, pass, &key, &err) != AIAUTH_OK)
		abort();
	secret_free(pass);
	setting_up = false;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] % 3;
	const unsigned char *rest = data + 1;
	size_t n = size - 1;
	struct aiauth_error *err = NULL;

	if (mode == 0) {
		write_image(rest, n);
	} else if (mode == 1) {
		unsigned char *image = malloc(HEADER_LEN + n + 1);
		if (!image)
			abort();
		memcpy(image, header, HEADER_LEN);
		memcpy(image + HEADER_LEN, rest, n);
		write_image(image, HEADER_LEN + n);
		free(image);
	} else {
		struct secret *plain = secret_from_mem(rest, n);
		unsigned char *image = NULL;
		size_t len = 0;
		if (vault_seal(key, plain, &image, &len, &err) != AIAUTH_OK)
			abort();
		write_image(image, len);
		free(image);
		secret_free(plain);
	}

	struct secret *got = NULL;
	enum aiauth_status st = secretstore_get(store, "0123456789abcdef0123456789abcdef", &got, &err);
	if (st != AIAUTH_OK && (!err || strchr(err->message, '\n')))
		abort();
	secret_free(got);
	got = NULL;
	error_clear(&err);

	char **ids = NULL;
	size_t nids = 0;
	if (secretstore_list(store, &ids, &nids, &err) == AIAUTH_OK)
		secretstore_free_ids(ids, nids);
	error_clear(&err);

	if (mode == 2) {
		/* A write over a document that decrypts keeps it readable. */
		struct secret *v = secret_from_str("{\"api_key\":\"sk-fuzz-new\"}");
		struct secret_meta meta = {"openai", "OpenAI", "fuzz", "api_key"};
		if (secretstore_put(store, "fedcba9876543210fedcba9876543210", &meta, v, &err) ==
		    AIAUTH_OK) {
			if (secretstore_get(store, "fedcba9876543210fedcba9876543210", &got, &err) !=
			        AIAUTH_OK ||
			    !secret_equal(got, v))
				abort();
			secret_free(got);
		}
		secret_free(v);
		error_clear(&err);
	}
	return 0;
}
