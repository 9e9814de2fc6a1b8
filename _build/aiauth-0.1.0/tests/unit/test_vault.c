/* test_vault.c - the vault format (vault.c) and the file backend
 * (secretstore_file.c).
 *
 * Format tests use VAULT_MIN_ITERATIONS so that they run in milliseconds;
 * the backend always uses the default 600,000, so each backend instance
 * that derives a key costs a fraction of a second and the number of them is
 * kept small. */
#include "config.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "fsutil.h"
#include "secretstore_backend.h"
#include "tap.h"
#include "vault.h"

/* Header offsets, as vault.h lays them out. */
enum {
	OFF_VERSION = 8,
	OFF_KDF = 9,
	OFF_ITER = 10,
	OFF_SALT_LEN = 14,
	OFF_SALT = 15,
	OFF_CIPHER = 31,
	OFF_NONCE = 32,
	OFF_CHECK = 44,
	HEADER_LEN = 60,
	TAG_LEN = 16,
};

#define PLAIN "{\"api_key\":\"sk-test-0123456789abcdef-SECRET\"}"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool has_bytes(const unsigned char *hay, size_t n, const void *needle, size_t m)
{
	return m && memmem(hay, n, needle, m) != NULL;
}

static unsigned char *dup_image(const unsigned char *img, size_t n)
{
	unsigned char *c = malloc(n);
	if (!c)
		abort();
	memcpy(c, img, n);
	return c;
}

/* vault_key_for on a copy of `img` with byte `off` xor-ed: the status. */
static enum aiauth_status key_for_flipped(const unsigned char *img, size_t n, size_t off,
                                          unsigned char mask, const struct secret *pass,
                                          struct aiauth_error **err)
{
	unsigned char *c = dup_image(img, n);
	c[off] ^= mask;
	struct vault_key *k = NULL;
	enum aiauth_status st = vault_key_for(c, n, pass, &k, err);
	vault_key_free(k);
	free(c);
	return st;
}

/* vault_open with `key` on a copy of `img` with byte `off` xor-ed. */
static enum aiauth_status open_flipped(const struct vault_key *key, const unsigned char *img,
                                       size_t n, size_t off, struct aiauth_error **err)
{
	unsigned char *c = dup_image(img, n);
	c[off] ^= 0x01;
	struct secret *p = NULL;
	enum aiauth_status st = vault_open(key, c, n, &p, err);
	secret_free(p);
	free(c);
	return st;
}

static bool starts_with(const struct aiauth_error *e, const char *prefix)
{
	return e && strncmp(e->message, prefix, strlen(prefix)) == 0;
}

static void test_format(void)
{
	struct secret *pass = secret_from_str("correct horse battery staple");
	struct secret *wrong = secret_from_str("correct horse battery stapler");
	struct secret *plain = secret_from_str(PLAIN);
	struct vault_key *key = NULL, *key2 = NULL;
	struct secret *out = NULL;
	struct aiauth_error *err = NULL;
	unsigned char *img = NULL, *img2 = NULL;
	size_t n = 0, n2 = 0;

	ok(vault_key_new(pass, VAULT_MIN_ITERATIONS - 1, &key, &err) == AIAUTH_USAGE && !key,
	   "vault_key_new refuses fewer than VAULT_MIN_ITERATIONS");
	error_clear(&err);
	struct secret *empty = secret_from_mem("", 0);
	ok(vault_key_new(empty, VAULT_MIN_ITERATIONS, &key, &err) != AIAUTH_OK && !key,
	   "vault_key_new refuses an empty passphrase");
	error_clear(&err);
	secret_free(empty);

	ok(vault_key_new(pass, VAULT_MIN_ITERATIONS, &key, &err) == AIAUTH_OK && key,
	   "vault_key_new derives a key");
	ok(vault_seal(key, plain, &img, &n, &err) == AIAUTH_OK && img, "vault_seal seals");
	if (!img)
		goto out;
	ok(n == HEADER_LEN + plain->len + TAG_LEN, "image is header + ciphertext + tag (%zu)", n);
	ok(memcmp(img, "AIAUTHVT", 8) == 0 && img[OFF_VERSION] == 1 && img[OFF_KDF] == 1 &&
	       img[OFF_SALT_LEN] == 16 && img[OFF_CIPHER] == 1,
	   "header carries magic, version, kdf, salt length and cipher ids");
	uint32_t iter = (uint32_t)img[OFF_ITER] << 24 | (uint32_t)img[OFF_ITER + 1] << 16 |
	                (uint32_t)img[OFF_ITER + 2] << 8 | img[OFF_ITER + 3];
	ok(iter == VAULT_MIN_ITERATIONS, "iterations stored big-endian (%u)", (unsigned)iter);

	ok(vault_open(key, img, n, &out, &err) == AIAUTH_OK && out && secret_equal(out, plain),
	   "vault_open with the sealing key gives the plaintext back");
	SECRET_FREE(out);
	ok(vault_key_matches(key, img, n, &err) == AIAUTH_OK, "the sealing key matches its image");
	ok(vault_key_matches(NULL, img, n, &err) == AIAUTH_BAD_PASSPHRASE && !err,
	   "no key does not match, without a message");

	ok(vault_key_for(img, n, pass, &key2, &err) == AIAUTH_OK && key2,
	   "vault_key_for derives the key from the header");
	ok(key2 && vault_open(key2, img, n, &out, &err) == AIAUTH_OK && secret_equal(out, plain),
	   "... and that key opens the image");
	SECRET_FREE(out);
	vault_key_free(key2);
	key2 = NULL;
	error_clear(&err);

	/* Wrong passphrase: the key check says so, and nothing is touched. */
	unsigned char *before = dup_image(img, n);
	ok(vault_key_for(img, n, wrong, &key2, &err) == AIAUTH_BAD_PASSPHRASE && !key2,
	   "wrong passphrase -> AIAUTH_BAD_PASSPHRASE");
	ok(err && strcmp(err->message, "wrong passphrase for the encrypted secret file") == 0,
	   "wrong passphrase message: %s", err ? err->message : "(none)");
	ok(memcmp(before, img, n) == 0, "the image is unchanged by a failed open");
	free(before);
	error_clear(&err);

	/* The secret never appears in the image, neither raw nor in base64. */
	gnutls_datum_t raw = {plain->buf, (unsigned)plain->len}, b64 = {NULL, 0};
	ok(gnutls_base64_encode2(&raw, &b64) == 0, "base64 of the plaintext computed");
	ok(!has_bytes(img, n, "sk-test-0123456789abcdef-SECRET", 30) &&
	       !has_bytes(img, n, plain->buf, plain->len),
	   "the sealed image does not contain the plaintext");
	/* Compare a stretch of the base64 that does not depend on padding. */
	ok(b64.size > 24 && !has_bytes(img, n, b64.data, 24),
	   "the sealed image does not contain the plaintext's base64");
	gnutls_free(b64.data);

	/* Fresh nonce per seal. */
	ok(vault_seal(key, plain, &img2, &n2, &err) == AIAUTH_OK && n2 == n,
	   "a second seal of the same plaintext");
	ok(img2 && memcmp(img + OFF_NONCE, img2 + OFF_NONCE, 12) != 0,
	   "... uses a different nonce");
	ok(img2 && memcmp(img + HEADER_LEN, img2 + HEADER_LEN, n - HEADER_LEN) != 0,
	   "... and gives a different ciphertext");
	ok(img2 && memcmp(img + OFF_SALT, img2 + OFF_SALT, 16) == 0,
	   "... under the same salt (the key is reused)");

	/* Tampering with the body. */
	ok(open_flipped(key, img, n, HEADER_LEN + 3, &err) == AIAUTH_CORRUPT &&
	       err && strcmp(err->message,
	                     "the encrypted secret file is damaged or was tampered with") == 0,
	   "a flipped ciphertext byte -> AIAUTH_CORRUPT, tamper message");
	error_clear(&err);
	ok(open_flipped(key, img, n, n - 1, &err) == AIAUTH_CORRUPT,
	   "a flipped tag byte -> CORRUPT");
	error_clear(&err);
	ok(key_for_flipped(img, n, HEADER_LEN + 3, 1, pass, &err) == AIAUTH_OK,
	   "a flipped ciphertext byte still lets the right passphrase derive the key");
	error_clear(&err);

	/* Tampering with the header: every field is covered. */
	ok(open_flipped(key, img, n, OFF_NONCE, &err) == AIAUTH_CORRUPT,
	   "a flipped nonce byte -> CORRUPT");
	error_clear(&err);
	ok(open_flipped(key, img, n, OFF_SALT + 5, &err) != AIAUTH_OK,
	   "a flipped salt byte is detected by vault_open");
	error_clear(&err);
	ok(key_for_flipped(img, n, OFF_SALT + 5, 1, pass, &err) == AIAUTH_BAD_PASSPHRASE,
	   "a flipped salt byte fails the key check");
	error_clear(&err);
	ok(open_flipped(key, img, n, OFF_ITER + 3, &err) != AIAUTH_OK,
	   "a flipped iteration byte is detected by vault_open");
	error_clear(&err);
	ok(key_for_flipped(img, n, OFF_ITER + 3, 1, pass, &err) == AIAUTH_BAD_PASSPHRASE,
	   "a flipped iteration byte fails the key check");
	error_clear(&err);
	ok(key_for_flipped(img, n, OFF_CHECK, 1, pass, &err) == AIAUTH_BAD_PASSPHRASE,
	   "a flipped key-check byte fails the key check");
	error_clear(&err);

	/* Unreadable headers: damage, reported before any key derivation. */
	struct {
		size_t off;
		unsigned char mask;
		const char *what;
	} bad[] = {
		{0, 0x20, "bad magic"},
		{OFF_VERSION, 0x03, "unknown version (2)"},
		{OFF_KDF, 0x02, "unknown kdf id"},
		{OFF_SALT_LEN, 0x01, "unknown salt length"},
		{OFF_CIPHER, 0x04, "unknown cipher id"},
		{OFF_ITER, 0x80, "iterations above 50,000,000"},
		{OFF_ITER + 2, 0x27, "iterations below VAULT_MIN_ITERATIONS"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double t0 = now_s();
		enum aiauth_status st =
			key_for_flipped(img, n, bad[i].off, bad[i].mask, pass, &err);
		double dt = now_s() - t0;
		ok(st == AIAUTH_CORRUPT && starts_with(err, "the vault file is damaged: ") &&
		       dt < 1.0,
		   "%s -> CORRUPT at once: %s", bad[i].what, err ? err->message : "(none)");
		error_clear(&err);
		ok(open_flipped(key, img, n, bad[i].off, &err) != AIAUTH_OK,
		   "%s: vault_open refuses", bad[i].what);
		error_clear(&err);
	}

	/* Truncation anywhere. */
	size_t cuts[] = {0, 5, 8, HEADER_LEN - 1, HEADER_LEN, HEADER_LEN + TAG_LEN - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct vault_key *k = NULL;
		enum aiauth_status st = vault_key_for(img, cuts[i], pass, &k, &err);
		ok(st == AIAUTH_CORRUPT && !k && starts_with(err, "the vault file is damaged: "),
		   "truncated to %zu bytes -> CORRUPT: %s", cuts[i], err ? err->message : "(none)");
		vault_key_free(k);
		error_clear(&err);
		ok(vault_open(key, img, cuts[i], &out, &err) == AIAUTH_CORRUPT && !out,
		   "truncated to %zu bytes: vault_open -> CORRUPT", cuts[i]);
		error_clear(&err);
	}
	ok(vault_open(key, img, n - 1, &out, &err) == AIAUTH_CORRUPT && !out,
	   "one byte short -> CORRUPT (the tag no longer verifies)");
	error_clear(&err);

	/* A key from another vault (other salt) does not open this one. */
	ok(vault_key_new(pass, VAULT_MIN_ITERATIONS, &key2, &err) == AIAUTH_OK, "a second key");
	ok(vault_key_matches(key2, img, n, &err) == AIAUTH_BAD_PASSPHRASE,
	   "a key with another salt does not match");
	ok(vault_open(key2, img, n, &out, &err) == AIAUTH_BAD_PASSPHRASE && !out,
	   "... and vault_open refuses it as the wrong key");
	error_clear(&err);

	/* An empty plaintext is a valid vault. */
	struct secret *none = secret_from_mem("", 0);
	free(img2);
	img2 = NULL;
	ok(vault_seal(key, none, &img2, &n2, &err) == AIAUTH_OK && n2 == HEADER_LEN + TAG_LEN &&
	       vault_open(key, img2, n2, &out, &err) == AIAUTH_OK && out && out->len == 0,
	   "an empty plaintext round-trips");
	SECRET_FREE(out);
	secret_free(none);

out:
	error_clear(&err);
	free(img);
	free(img2);
	vault_key_free(key);
	vault_key_free(key2);
	secret_free(pass);
	secret_free(wrong);
	secret_free(plain);
}

/* ---------------------------------------------------------------- backend */

struct pass_ctx {
	const char *pass;
	int calls;
	int creating_calls;
};

static enum aiauth_status give_pass(void *ctx, bool creating, struct secret **out,
                                    struct aiauth_error **err)
{
	struct pass_ctx *pc = ctx;
	pc->calls++;
	if (creating)
		pc->creating_calls++;
	*out = secret_from_str(pc->pass);
	return *out ? AIAUTH_OK : AIAUTH_NO_MEMORY;
}

struct backend {
	const struct secretstore_ops *ops;
	void *impl;
	char *location;
};

static bool backend_open(struct backend *b, const char *vault_path, struct pass_ctx *pc)
{
	struct secretstore_options opts = {
		.backend = SECRET_BACKEND_FILE,
		.vault_path = vault_path,
		.get_passphrase = pc ? give_pass : NULL,
		.passphrase_ctx = pc,
	};
	struct aiauth_error *err = NULL;
	memset(b, 0, sizeof(*b));
	enum aiauth_status st = file_backend_open(&opts, &b->ops, &b->impl, &b->location, &err);
	if (err)
		diag("file_backend_open: %s", err->message);
	error_clear(&err);
	return st == AIAUTH_OK;
}

static void backend_close(struct backend *b)
{
	if (b->ops)
		b->ops->close(b->impl);
	free(b->location);
	memset(b, 0, sizeof(*b));
}

static enum aiauth_status b_put(struct backend *b, const char *id, const char *value)
{
	struct secret_meta meta = {"openai", "OpenAI", "work \"key\"", "api_key"};
	struct secret *v = secret_from_str(value);
	struct aiauth_error *err = NULL;
	enum aiauth_status st = b->ops->put(b->impl, id, &meta, v, &err);
	if (err)
		diag("put %s: %s", id, err->message);
	error_clear(&err);
	secret_free(v);
	return st;
}

/* Status of a get; on success, whether the value equals `want`. */
static enum aiauth_status b_get(struct backend *b, const char *id, const char *want,
                                bool *equal, char *msg, size_t msgsz)
{
	struct secret *v = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = b->ops->get(b->impl, id, &v, &err);
	if (equal)
		*equal = v && want && v->len == strlen(want) && memcmp(v->buf, want, v->len) == 0;
	if (msg)
		snprintf(msg, msgsz, "%s", err ? err->message : "");
	error_clear(&err);
	secret_free(v);
	return st;
}

static bool list_has(char **ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
}

static enum aiauth_status b_list(struct backend *b, char ***ids, size_t *n)
{
	struct aiauth_error *err = NULL;
	*ids = NULL;
	*n = 0;
	enum aiauth_status st = b->ops->list(b->impl, ids, n, &err);
	error_clear(&err);
	return st;
}

static bool read_file(const char *path, char **data, size_t *len)
{
	struct aiauth_error *err = NULL;
	bool okay = fs_read_all(path, 1 << 24, data, len, &err) == AIAUTH_OK;
	error_clear(&err);
	return okay;
}

static int count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void test_backend(void)
{
	const char *tmp = tap_tmpdir();
	char data_home[300], dir[320], vault[340];
	snprintf(data_home, sizeof(data_home), "%s/data", tmp);
	snprintf(dir, sizeof(dir), "%s/aiauth", data_home);
	snprintf(vault, sizeof(vault), "%s/vault.bin", dir);
	setenv("XDG_DATA_HOME", data_home, 1);

	const char *v1 = "{\"api_key\":\"sk-one-AAAAAAAAAAAAAAAA\"}";
	const char *v2 = "{\"api_key\":\"sk-two-BBBBBBBBBBBBBBBB\"}";
	struct pass_ctx pa = {"hunter2 hunter2", 0, 0};
	struct backend a, b;
	struct stat st;
	char msg[512];
	bool equal = false;
	char **ids = NULL;
	size_t n = 0;

	ok(backend_open(&a, NULL, &pa), "file backend opens on the default path");
	ok(a.location && strcmp(a.location, vault) == 0,
	   "location is $XDG_DATA_HOME/aiauth/vault.bin");

	/* No vault: nothing to decrypt, so no passphrase, and nothing created. */
	ok(b_get(&a, "acct-1", NULL, NULL, NULL, 0) == AIAUTH_NOT_FOUND,
	   "get with no vault -> NOT_FOUND");
	ok(b_list(&a, &ids, &n) == AIAUTH_OK && n == 0 && ids && !ids[0],
	   "list with no vault is empty");
	free_ids(ids, n);
	struct aiauth_error *err = NULL;
	ok(a.ops->del(a.impl, "acct-1", &err) == AIAUTH_OK, "delete with no vault is OK");
	error_clear(&err);
	ok(pa.calls == 0, "no passphrase asked while there is no vault (%d calls)", pa.calls);
	ok(stat(vault, &st) != 0, "no vault file created by reads");

	/* Create. */
	double t0 = now_s();
	ok(b_put(&a, "acct-1", v1) == AIAUTH_OK, "put creates the vault");
	diag("creating the vault (600,000 PBKDF2 iterations + seal + write): %.3f s",
	     now_s() - t0);
	ok(pa.calls == 1 && pa.creating_calls == 1, "passphrase asked once, as creating");
	/* stat() before ok(): argument evaluation order is unspecified. */
	unsigned mode = stat(vault, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 01;
	ok(mode == 0600, "vault file mode is 0600 (%o)", mode);
	mode = stat(dir, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 01;
	ok(mode == 0700, "vault directory mode is 0700 (%o)", mode);
	ok(b_put(&a, "acct-2", v2) == AIAUTH_OK, "a second put");
	ok(pa.calls == 1, "the key is cached: no second passphrase request");

	ok(b_get(&a, "acct-1", v1, &equal, NULL, 0) == AIAUTH_OK && equal,
	   "get acct-1 round-trips");
	ok(b_get(&a, "acct-2", v2, &equal, NULL, 0) == AIAUTH_OK && equal,
	   "get acct-2 round-trips");
	ok(b_get(&a, "acct-9", NULL, NULL, NULL, 0) == AIAUTH_NOT_FOUND,
	   "get of a missing id -> NOT_FOUND");
	ok(b_put(&a, "acct-1", v2) == AIAUTH_OK &&
	       b_get(&a, "acct-1", v2, &equal, NULL, 0) == AIAUTH_OK && equal,
	   "put replaces an existing value");
	ok(b_put(&a, "acct-1", v1) == AIAUTH_OK, "and back");
	ok(b_list(&a, &ids, &n) == AIAUTH_OK && n == 2 && list_has(ids, n, "acct-1") &&
	       list_has(ids, n, "acct-2") && !ids[n],
	   "list gives both ids");
	free_ids(ids, n);

	char *img = NULL, *img2 = NULL;
	size_t len = 0, len2 = 0;
	ok(read_file(vault, &img, &len), "vault file readable");
	ok(img && !has_bytes((unsigned char *)img, len, "sk-one-AAAA", 11) &&
	       !has_bytes((unsigned char *)img, len, "acct-1", 6) &&
	       !has_bytes((unsigned char *)img, len, "openai", 6),
	   "the vault file holds neither secrets nor ids in clear");

	/* Deleting what is not there rewrites nothing. */
	struct stat before, after;
	stat(vault, &before);
	ok(a.ops->del(a.impl, "acct-9", &err) == AIAUTH_OK, "delete of a missing id is OK");
	error_clear(&err);
	ok(read_file(vault, &img2, &len2) && len2 == len && memcmp(img, img2, len) == 0 &&
	       stat(vault, &after) == 0 && after.st_ino == before.st_ino,
	   "... and leaves the file as it was");
	free(img2);
	img2 = NULL;

	ok(a.ops->del(a.impl, "acct-2", &err) == AIAUTH_OK, "delete acct-2");
	error_clear(&err);
	ok(b_get(&a, "acct-2", NULL, NULL, NULL, 0) == AIAUTH_NOT_FOUND, "acct-2 is gone");
	ok(b_get(&a, "acct-1", v1, &equal, NULL, 0) == AIAUTH_OK && equal, "acct-1 is still there");
	ok(b_list(&a, &ids, &n) == AIAUTH_OK && n == 1 && list_has(ids, n, "acct-1"),
	   "list gives one id");
	free_ids(ids, n);

	/* Another process: a fresh instance with the right passphrase. */
	struct pass_ctx pb = {"hunter2 hunter2", 0, 0};
	ok(backend_open(&b, NULL, &pb), "second instance opens");
	ok(b_get(&b, "acct-1", v1, &equal, NULL, 0) == AIAUTH_OK && equal,
	   "second instance reads what the first wrote");
	ok(pb.calls == 1 && pb.creating_calls == 0,
	   "... after one passphrase request, not creating");
	ok(b_put(&b, "acct-3", v2) == AIAUTH_OK &&
	       b_get(&a, "acct-3", v2, &equal, NULL, 0) == AIAUTH_OK && equal,
	   "the first instance reads what the second wrote");

	/* Concurrent writers: forked children share a's cached key (no KDF) and
	 * must not lose each other's items. */
	fflush(stdout);
	enum { KIDS = 4, PUTS = 5 };
	for (int k = 0; k < KIDS; k++) {
		pid_t pid = fork();
		if (pid == 0) {
			int bad = 0;
			for (int i = 0; i < PUTS; i++) {
				char id[32];
				snprintf(id, sizeof(id), "kid-%d-%d", k, i);
				bad |= b_put(&a, id, v1) != AIAUTH_OK;
			}
			_exit(bad); /* _exit: the parent's atexit would remove the tmpdir */
		}
	}
	int kids_ok = 1;
	for (int k = 0; k < KIDS; k++) {
		int status = 0;
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			kids_ok = 0;
	}
	ok(kids_ok, "%d processes wrote %d items each", KIDS, PUTS);
	enum aiauth_status lst = b_list(&b, &ids, &n);
	ok(lst == AIAUTH_OK && n == 2 + KIDS * PUTS && list_has(ids, n, "kid-3-4") &&
	       list_has(ids, n, "kid-0-0") && list_has(ids, n, "acct-1"),
	   "no write was lost under the lock (%zu ids)", n);
	free_ids(ids, n);
	int entries = count_entries(dir);
	ok(entries == 2, "only vault.bin and vault.lock in the directory (%d)", entries);

	/* A wrong passphrase leaves the vault byte-identical. */
	free(img);
	img = NULL;
	ok(read_file(vault, &img, &len) && stat(vault, &before) == 0, "vault snapshot");
	struct backend c;
	struct pass_ctx pc = {"not the passphrase", 0, 0};
	ok(backend_open(&c, NULL, &pc), "instance with a wrong passphrase opens");
	ok(b_get(&c, "acct-1", NULL, NULL, msg, sizeof(msg)) == AIAUTH_BAD_PASSPHRASE,
	   "get with a wrong passphrase -> BAD_PASSPHRASE (%s)", msg);
	ok(b_put(&c, "acct-x", v1) == AIAUTH_BAD_PASSPHRASE,
	   "put with a wrong passphrase -> BAD_PASSPHRASE");
	ok(read_file(vault, &img2, &len2) && len2 == len && memcmp(img, img2, len) == 0 &&
	       stat(vault, &after) == 0 && after.st_ino == before.st_ino &&
	       count_entries(dir) == 2,
	   "the vault is byte-identical, not moved, nothing left beside it");
	free(img2);
	img2 = NULL;
	backend_close(&c);

	/* No way to ask for a passphrase: a clear error, not a hang. */
	ok(backend_open(&c, NULL, NULL), "instance without a passphrase source opens");
	ok(b_get(&c, "acct-1", NULL, NULL, msg, sizeof(msg)) == AIAUTH_BACKEND &&
	       strstr(msg, "AIAUTH_PASSPHRASE_FILE") && strstr(msg, "--passphrase-file"),
	   "get without a passphrase source -> BACKEND naming the way out (%s)", msg);
	backend_close(&c);

	/* Damage under a cached key: a flipped ciphertext byte. */
	char damaged[340];
	snprintf(damaged, sizeof(damaged), "%s/damaged.bin", tmp);
	img[len - 20] ^= 0x40;
	ok(fs_write_atomic(vault, img, len, 0600, &err) == AIAUTH_OK, "flip a ciphertext byte");
	error_clear(&err);
	ok(b_get(&b, "acct-1", NULL, NULL, msg, sizeof(msg)) == AIAUTH_CORRUPT &&
	       strcmp(msg, "the encrypted secret file is damaged or was tampered with") == 0,
	   "a tampered vault -> CORRUPT (%s)", msg);
	ok(b_put(&b, "acct-y", v1) == AIAUTH_CORRUPT, "put on a tampered vault -> CORRUPT");
	ok(read_file(vault, &img2, &len2) && len2 == len && memcmp(img, img2, len) == 0 &&
	       count_entries(dir) == 2,
	   "the tampered vault is left exactly as it was");
	free(img2);
	img2 = NULL;

	/* A damaged header is reported without asking for a passphrase. */
	img[len - 20] ^= 0x40;
	img[0] = 'X';
	ok(fs_write_atomic(damaged, img, len, 0600, &err) == AIAUTH_OK,
	   "write a vault with bad magic");
	error_clear(&err);
	struct pass_ctx pd = {"hunter2 hunter2", 0, 0};
	ok(backend_open(&c, damaged, &pd), "instance on an explicit vault_path");
	ok(c.location && strcmp(c.location, damaged) == 0, "location is the given path");
	ok(b_get(&c, "acct-1", NULL, NULL, msg, sizeof(msg)) == AIAUTH_CORRUPT &&
	       strncmp(msg, "the vault file is damaged: ", 27) == 0 && pd.calls == 0,
	   "bad magic -> CORRUPT before any passphrase request (%s)", msg);
	backend_close(&c);

	/* The vault recreated by another process with a new salt: the instance
	 * with a cached key must notice and derive again. */
	img[0] = 'A';
	ok(unlink(vault) == 0, "remove the vault");
	ok(b_put(&b, "acct-new", v2) == AIAUTH_OK, "an instance recreates it");
	ok(pb.calls == 1, "... reusing its own key (no passphrase request)");
	free(img2);
	img2 = NULL;
	ok(read_file(vault, &img2, &len2) && len2 > 40 && memcmp(img + 15, img2 + 15, 16) == 0,
	   "... so the salt is unchanged");
	free(img2);
	img2 = NULL;

	ok(unlink(vault) == 0, "remove the vault again");
	struct backend e;
	struct pass_ctx pe = {"hunter2 hunter2", 0, 0};
	ok(backend_open(&e, NULL, &pe) && b_put(&e, "acct-e", v1) == AIAUTH_OK &&
	       pe.creating_calls == 1,
	   "a fresh instance creates a vault with a new salt");
	int calls = pa.calls;
	ok(b_get(&a, "acct-e", v1, &equal, NULL, 0) == AIAUTH_OK && equal && pa.calls == calls + 1,
	   "the old instance notices the new salt, asks again and reads it");
	backend_close(&e);

	free(img);
	free(img2);
	backend_close(&a);
	backend_close(&b);
}

static void time_kdf(void)
{
	struct secret *pass = secret_from_str("correct horse battery staple");
	struct vault_key *k = NULL;
	struct aiauth_error *err = NULL;
	double t0 = now_s();
	enum aiauth_status st = vault_key_new(pass, VAULT_DEFAULT_ITERATIONS, &k, &err);
	double dt = now_s() - t0;
	ok(st == AIAUTH_OK, "vault_key_new with the default iterations");
	diag("PBKDF2-HMAC-SHA256, %u iterations, 64 bytes: %.3f s", VAULT_DEFAULT_ITERATIONS, dt);
	vault_key_free(k);
	error_clear(&err);
	secret_free(pass);
}

int main(void)
{
	test_format();
	time_kdf();
	test_backend();
	return done_testing();
}
