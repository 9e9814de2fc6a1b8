/* secretstore_file.c - the file backend: secrets in the vault (vault.h).
 *
 * The vault's plaintext is one JSON document:
 *   {"version":1,"items":{"<account id>":{"provider":"..","kind":"..",
 *                                        "label":"..","value":"<base64>"}}}
 * The value is the credential blob in base64.  Base64 rather than a JSON
 * string because blobs are JSON text full of quotes: yajl decodes an escaped
 * string into an internal buffer that it frees without wiping, whereas a
 * string without escapes is handed over straight from the (wiped) input.
 *
 * Every operation reads the file under vault.lock (shared for reads,
 * exclusive for read-modify-write) and a write replaces the file atomically,
 * so concurrent aiauth processes never lose each other's changes.  The key
 * is derived once per process and kept; the passphrase lives only for the
 * call that asked for it. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "jsonutil.h"
#include "secretstore_backend.h"
#include "vault.h"

#define VAULT_FILE_NAME "vault.bin"
#define VAULT_LOCK_NAME "vault.lock"
#define VAULT_DOC_VERSION 1
/* Far above any realistic number of credentials; a larger file is not ours. */
#define VAULT_MAX_FILE (16u * 1024u * 1024u)

struct file_store {
	char *path;      /* the vault */
	char *lock_path; /* vault.lock beside it */
	char *dir;       /* directory to create on first write, or NULL */
	secretstore_passphrase_fn get_passphrase;
	void *passphrase_ctx;
	struct vault_key *key; /* NULL until the first decrypt or create */
};

/* ---------------------------------------------------------------- base64 */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static struct secret *b64_encode(const struct secret *in)
{
	struct secret *out = secret_new((in->len + 2) / 3 * 4);
	if (!out)
		return NULL;
	const unsigned char *p = in->buf;
	unsigned char *o = out->buf;
	size_t i = 0;
	for (; i + 3 <= in->len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = (unsigned char)b64_alphabet[v >> 18];
		*o++ = (unsigned char)b64_alphabet[(v >> 12) & 63];
		*o++ = (unsigned char)b64_alphabet[(v >> 6) & 63];
		*o++ = (unsigned char)b64_alphabet[v & 63];
	}
	if (i < in->len) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < in->len ? (unsigned)p[i + 1] << 8 : 0);
		*o++ = (unsigned char)b64_alphabet[v >> 18];
		*o++ = (unsigned char)b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < in->len ? (unsigned char)b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	out->len = (size_t)(o - out->buf);
	out->buf[out->len] = '\0';
	return out;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict: length a multiple of 4, padding only at the end.  NULL when the
 * text is not base64 (or on OOM; the caller reports damage either way only
 * after checking which). */
static struct secret *b64_decode(const char *text, bool *malformed)
{
	size_t n = strlen(text);
	*malformed = true;
	if (n % 4 != 0)
		return NULL;
	struct secret *out = secret_new(n / 4 * 3);
	if (!out) {
		*malformed = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i += 4) {
		const unsigned char *q = (const unsigned char *)text + i;
		bool last = i + 4 == n;
		int pad = last ? (q[3] == '=') + (q[2] == '=' && q[3] == '=') : 0;
		int a = b64_value(q[0]), b = b64_value(q[1]);
		int c = pad >= 2 ? 0 : b64_value(q[2]);
		int d = pad >= 1 ? 0 : b64_value(q[3]);
		if ((a | b | c | d) < 0) {
			secret_free(out);
			return NULL;
		}
		unsigned v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
		out->buf[out->len++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out->buf[out->len++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out->buf[out->len++] = (unsigned char)v;
	}
	out->buf[out->len] = '\0';
	*malformed = false;
	return out;
}

/* ---------------------------------------------------------------- keys */

static enum aiauth_status file_ask_passphrase(struct file_store *fs, bool creating,
                                              struct secret **pass, struct aiauth_error **err)
{
	if (!fs->get_passphrase)
		return error_set(err, AIAUTH_BACKEND, "%s",
		                 _("the encrypted secret file needs a passphrase: set "
		                   "AIAUTH_PASSPHRASE_FILE or use --passphrase-file"));
	enum aiauth_status st = fs->get_passphrase(fs->passphrase_ctx, creating, pass, err);
	if (st == AIAUTH_OK && !*pass)
		st = error_set(err, AIAUTH_FAILED, "%s", _("no passphrase was given"));
	return st;
}

/* Make fs->key the key of `image` (NULL: there is no vault yet and the key
 * will create one).  Called under the lock.  The cached key is kept while it
 * fits the file; a file another process created anew (fresh salt) means
 * asking for the passphrase again.  A damaged header is reported before any
 * passphrase is asked for. */
static enum aiauth_status file_key_for(struct file_store *fs, const unsigned char *image,
                                       size_t len, struct aiauth_error **err)
{
	struct secret *pass = NULL;
	struct vault_key *key = NULL;
	enum aiauth_status st;
	if (image) {
		st = vault_key_matches(fs->key, image, len, err);
		if (st != AIAUTH_BAD_PASSPHRASE)
			return st; /* OK: the cached key fits; CORRUPT: nothing to ask */
	} else if (fs->key) {
		return AIAUTH_OK; /* the vault went away: recreate it with our key */
	}
	st = file_ask_passphrase(fs, image == NULL, &pass, err);
	if (st != AIAUTH_OK)
		goto out;
	if (image)
		st = vault_key_for(image, len, pass, &key, err);
	else
		st = vault_key_new(pass, VAULT_DEFAULT_ITERATIONS, &key, err);
	if (st != AIAUTH_OK)
		goto out;
	vault_key_free(fs->key);
	fs->key = key;
out:
	secret_free(pass);
	return st;
}

/* ---------------------------------------------------------------- document */

static enum aiauth_status file_doc_damaged(struct aiauth_error **err, const char *why)
{
	return error_set(err, AIAUTH_CORRUPT, _("the vault file is damaged: %s"), why);
}

/* Decrypt an image with fs->key and check the document's shape. */
static enum aiauth_status file_doc_open(struct file_store *fs, const unsigned char *image,
                                        size_t len, yajl_val *doc, struct aiauth_error **err)
{
	struct secret *plain = NULL;
	yajl_val tree = NULL;
	int64_t version = 0;
	enum aiauth_status st = vault_open(fs->key, image, len, &plain, err);
	if (st != AIAUTH_OK)
		goto out;
	st = json_parse((const char *)plain->buf, plain->len, &tree, err);
	if (st != AIAUTH_OK) {
		error_prefix(err, "%s", _("the vault file is damaged: "));
		goto out;
	}
	if (!YAJL_IS_OBJECT(tree) || !json_get_int(tree, "version", &version)) {
		st = file_doc_damaged(err, _("its contents have no version"));
		goto out;
	}
	if (version != VAULT_DOC_VERSION) {
		st = error_set(err, AIAUTH_CORRUPT,
		               _("the vault file is damaged: unknown contents version %lld"),
		               (long long)version);
		goto out;
	}
	if (!json_get_object(tree, "items")) {
		st = file_doc_damaged(err, _("its contents have no item list"));
		goto out;
	}
	*doc = tree;
	tree = NULL;
out:
	json_free_wiped(tree);
	secret_free(plain);
	return st;
}

/* Re-emit a parsed value unchanged, so items (and fields) this version does
 * not know survive a rewrite. */
static bool file_gen_value(yajl_gen g, yajl_val v)
{
	if (!v)
		return yajl_gen_null(g) == yajl_gen_status_ok;
	if (YAJL_IS_STRING(v))
		return json_gen_string(g, v->u.string);
	if (YAJL_IS_NUMBER(v))
		return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)) ==
		       yajl_gen_status_ok;
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return yajl_gen_bool(g, YAJL_IS_TRUE(v)) == yajl_gen_status_ok;
	if (YAJL_IS_ARRAY(v)) {
		if (yajl_gen_array_open(g) != yajl_gen_status_ok)
			return false;
		for (size_t i = 0; i < v->u.array.len; i++)
			if (!file_gen_value(g, v->u.array.values[i]))
				return false;
		return yajl_gen_array_close(g) == yajl_gen_status_ok;
	}
	if (YAJL_IS_OBJECT(v)) {
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			return false;
		for (size_t i = 0; i < v->u.object.len; i++)
			if (!json_gen_key(g, v->u.object.keys[i]) ||
			    !file_gen_value(g, v->u.object.values[i]))
				return false;
		return yajl_gen_map_close(g) == yajl_gen_status_ok;
	}
	return yajl_gen_null(g) == yajl_gen_status_ok;
}

/* The plaintext of a new document: `old` (NULL: none) with item `skip`
 * dropped and, when `put_id` is set, that item written from meta/value. */
static enum aiauth_status file_doc_build(yajl_val old, const char *skip, const char *put_id,
                                         const struct secret_meta *meta,
                                         const struct secret *value, struct secret **out,
                                         struct aiauth_error **err)
{
	struct secret *b64 = NULL;
	yajl_gen g = json_gen_new(false);
	if (!g || (value && !(b64 = b64_encode(value)))) {
		if (g)
			yajl_gen_free(g);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
	          json_gen_key_int(g, "version", VAULT_DOC_VERSION) && json_gen_key(g, "items") &&
	          yajl_gen_map_open(g) == yajl_gen_status_ok;
	yajl_val items = json_get_object(old, "items");
	for (size_t i = 0; ok && items && i < items->u.object.len; i++) {
		const char *id = items->u.object.keys[i];
		if (strcmp(id, skip) == 0)
			continue;
		ok = json_gen_key(g, id) && file_gen_value(g, items->u.object.values[i]);
	}
	if (ok && put_id) {
		ok = json_gen_key(g, put_id) && yajl_gen_map_open(g) == yajl_gen_status_ok &&
		     json_gen_key_string(g, "provider", meta ? meta->provider : NULL) &&
		     json_gen_key_string(g, "kind", meta ? meta->kind : NULL) &&
		     json_gen_key_string(g, "label", meta ? meta->label : NULL) &&
		     json_gen_key_string(g, "value", (const char *)b64->buf) &&
		     yajl_gen_map_close(g) == yajl_gen_status_ok;
	}
	ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok;
	/* Top-level members of a later minor revision are kept as they are. */
	for (size_t i = 0; ok && old && i < old->u.object.len; i++) {
		const char *k = old->u.object.keys[i];
		if (strcmp(k, "version") != 0 && strcmp(k, "items") != 0)
			ok = json_gen_key(g, k) && file_gen_value(g, old->u.object.values[i]);
	}
	ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok;
	secret_free(b64);
	if (!ok) {
		yajl_gen_free(g);
		/* The generator validates UTF-8: an id or label that is not text. */
		return error_set(err, AIAUTH_FAILED, "%s",
		                 _("cannot write the vault: an account id or label is not valid "
		                   "UTF-8"));
	}
	return json_gen_take(g, out, err);
}

/* ---------------------------------------------------------------- access */

/* Read the vault under a lock already held.  *image is NULL when there is
 * no vault (not an error). */
static enum aiauth_status file_read(struct file_store *fs, char **image, size_t *len,
                                    struct aiauth_error **err)
{
	*image = NULL;
	*len = 0;
	enum aiauth_status st = fs_read_all(fs->path, VAULT_MAX_FILE, image, len, err);
	if (st == AIAUTH_NOT_FOUND)
		return AIAUTH_OK;
	return st;
}

/* Lock, read, derive or reuse the key, decrypt: the start of every operation
 * on an existing vault.  *doc is NULL when there is no vault. */
static enum aiauth_status file_load(struct file_store *fs, bool exclusive, int *lock_fd,
                                    char **image, size_t *len, yajl_val *doc,
                                    struct aiauth_error **err)
{
	*doc = NULL;
	enum aiauth_status st = fs_lock(fs->lock_path, exclusive, lock_fd, err);
	if (st != AIAUTH_OK)
		return st;
	st = file_read(fs, image, len, err);
	if (st != AIAUTH_OK || !*image)
		return st;
	st = file_key_for(fs, (const unsigned char *)*image, *len, err);
	if (st != AIAUTH_OK)
		return st;
	return file_doc_open(fs, (const unsigned char *)*image, *len, doc, err);
}

/* Reads need no lock, and create nothing, when there is no vault at all:
 * then there is nothing to decrypt and no passphrase to ask for. */
static bool file_exists(const struct file_store *fs)
{
	struct stat st;
	return stat(fs->path, &st) == 0 || errno != ENOENT;
}

/* Called with vault.lock held exclusively, as every write of the vault is:
 * a temporary file of it now is an orphan of a killed writer, removed here
 * so that they cannot pile up. */
static enum aiauth_status file_seal_write(struct file_store *fs, const struct secret *plain,
                                          struct aiauth_error **err)
{
	unsigned char *img = NULL;
	size_t n = 0;
	fs_remove_stale_temps(fs->path);
	enum aiauth_status st = vault_seal(fs->key, plain, &img, &n, err);
	if (st == AIAUTH_OK)
		st = fs_write_atomic(fs->path, img, n, 0600, err);
	free(img);
	return st;
}

static enum aiauth_status file_get(void *impl, const char *id, struct secret **out,
                                   struct aiauth_error **err)
{
	struct file_store *fs = impl;
	int lock_fd = -1;
	char *image = NULL;
	size_t len = 0;
	yajl_val doc = NULL;
	if (!file_exists(fs))
		return AIAUTH_NOT_FOUND;
	enum aiauth_status st = file_load(fs, false, &lock_fd, &image, &len, &doc, err);
	if (st != AIAUTH_OK)
		goto out;
	yajl_val item = json_get(json_get_object(doc, "items"), id);
	if (!doc || !item) {
		st = AIAUTH_NOT_FOUND;
		goto out;
	}
	const char *b64 = json_get_string(item, "value");
	bool malformed = true;
	struct secret *value = b64 ? b64_decode(b64, &malformed) : NULL;
	if (!value) {
		st = malformed ? file_doc_damaged(err, _("an item has no readable value"))
		               : error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	*out = value;
out:
	json_free_wiped(doc);
	free(image);
	fs_unlock(lock_fd);
	return st;
}

static enum aiauth_status file_put(void *impl, const char *id, const struct secret_meta *meta,
                                   const struct secret *value, struct aiauth_error **err)
{
	struct file_store *fs = impl;
	int lock_fd = -1;
	char *image = NULL;
	size_t len = 0;
	yajl_val doc = NULL;
	struct secret *plain = NULL;
	enum aiauth_status st = AIAUTH_OK;
	if (!value)
		return error_set(err, AIAUTH_USAGE, "%s", _("no secret to store"));
	if (fs->dir && (st = fs_mkdir_private(fs->dir, err)) != AIAUTH_OK)
		return st;
	st = file_load(fs, true, &lock_fd, &image, &len, &doc, err);
	if (st != AIAUTH_OK)
		goto out;
	if (!image && (st = file_key_for(fs, NULL, 0, err)) != AIAUTH_OK)
		goto out;
	st = file_doc_build(doc, id, id, meta, value, &plain, err);
	if (st != AIAUTH_OK)
		goto out;
	st = file_seal_write(fs, plain, err);
out:
	secret_free(plain);
	json_free_wiped(doc);
	free(image);
	fs_unlock(lock_fd);
	return st;
}

static enum aiauth_status file_del(void *impl, const char *id, struct aiauth_error **err)
{
	struct file_store *fs = impl;
	int lock_fd = -1;
	char *image = NULL;
	size_t len = 0;
	yajl_val doc = NULL;
	struct secret *plain = NULL;
	if (!file_exists(fs))
		return AIAUTH_OK;
	enum aiauth_status st = file_load(fs, true, &lock_fd, &image, &len, &doc, err);
	/* Nothing to delete means nothing to rewrite: the file keeps its bytes. */
	if (st != AIAUTH_OK || !doc || !json_get(json_get_object(doc, "items"), id))
		goto out;
	st = file_doc_build(doc, id, NULL, NULL, NULL, &plain, err);
	if (st != AIAUTH_OK)
		goto out;
	st = file_seal_write(fs, plain, err);
out:
	secret_free(plain);
	json_free_wiped(doc);
	free(image);
	fs_unlock(lock_fd);
	return st;
}

static enum aiauth_status file_list(void *impl, char ***ids, size_t *n,
                                    struct aiauth_error **err)
{
	struct file_store *fs = impl;
	int lock_fd = -1;
	char *image = NULL;
	size_t len = 0;
	yajl_val doc = NULL;
	char **v = NULL;
	size_t count = 0;
	enum aiauth_status st = AIAUTH_OK;
	if (file_exists(fs)) {
		st = file_load(fs, false, &lock_fd, &image, &len, &doc, err);
		if (st != AIAUTH_OK)
			goto out;
	}
	yajl_val items = json_get_object(doc, "items");
	size_t total = items ? items->u.object.len : 0;
	/* NULL-terminated as well as counted, and never NULL itself. */
	if (!(v = calloc(total + 1, sizeof(*v)))) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	for (; count < total; count++) {
		if (!(v[count] = strdup(items->u.object.keys[count]))) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
	}
	*ids = v;
	*n = count;
	v = NULL;
out:
	if (v) {
		for (size_t i = 0; i < count; i++)
			free(v[i]);
		free(v);
	}
	json_free_wiped(doc);
	free(image);
	fs_unlock(lock_fd);
	return st;
}

static void file_close(void *impl)
{
	struct file_store *fs = impl;
	if (!fs)
		return;
	vault_key_free(fs->key);
	free(fs->path);
	free(fs->lock_path);
	free(fs->dir);
	free(fs);
}

static const struct secretstore_ops file_ops = {
	.get = file_get,
	.put = file_put,
	.del = file_del,
	.list = file_list,
	.close = file_close,
};

/* The directory part of a path ("." for a bare name). */
static char *file_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

enum aiauth_status file_backend_open(const struct secretstore_options *opts,
                                     const struct secretstore_ops **ops, void **impl,
                                     char **location, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	char *dir = NULL;
	char *loc = NULL;
	struct file_store *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	fs->get_passphrase = opts->get_passphrase;
	fs->passphrase_ctx = opts->passphrase_ctx;
	if (opts->vault_path && opts->vault_path[0]) {
		/* A path the user chose lives in a directory the user chose: we
		 * neither create it nor change its mode. */
		fs->path = strdup(opts->vault_path);
		dir = fs->path ? file_dir_of(fs->path) : NULL;
	} else {
		st = paths_data_dir(&dir, err);
		if (st != AIAUTH_OK)
			goto out;
		fs->path = path_join(dir, VAULT_FILE_NAME);
		/* Our own data directory is created (0700) on the first write. */
		fs->dir = strdup(dir);
		if (!fs->dir) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
	}
	if (!fs->path || !dir || !(fs->lock_path = path_join(dir, VAULT_LOCK_NAME)) ||
	    !(loc = strdup(fs->path))) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	*ops = &file_ops;
	*impl = fs;
	*location = loc;
	fs = NULL;
	loc = NULL;
out:
	free(dir);
	free(loc);
	file_close(fs);
	return st;
}
