/* test_session.c - the rules that span modules (session.h): adding an
 * account stores its secret and records the backend, or takes the account
 * back; resolution follows the store's order and hands out the credential;
 * a sign-in adds an account or renews the one with the same email; the
 * secret store is the recorded one.
 *
 * Secrets live in the file backend under a private $XDG_DATA_HOME, in a
 * vault made with the minimum KDF cost; the session bus points nowhere, so
 * the keyring is never available and no test touches the network. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credential.h"
#include "fsutil.h"
#include "http.h"
#include "session.h"
#include "store.h"
#include "tap.h"
#include "vault.h"

#define PASS "correct horse battery staple"

static enum aiauth_status give_pass(void *ctx, bool creating, struct secret **out,
                                    struct aiauth_error **err)
{
	(void)creating;
	(void)err;
	*out = secret_from_str(ctx);
	return *out ? AIAUTH_OK : AIAUTH_NO_MEMORY;
}

static struct session *new_session(enum secret_backend forced, const char *pass)
{
	struct session_options o = {forced, give_pass, (void *)pass};
	struct session *s = session_new(&o);
	if (!s)
		exit(99);
	return s;
}

/* A vault made with the minimum KDF cost, where the session will look. */
static void make_vault(const char *data_dir)
{
	struct secret *pass = secret_from_str(PASS);
	struct secret *plain = secret_from_str("{\"version\":1,\"items\":{}}");
	struct vault_key *key = NULL;
	unsigned char *image = NULL;
	size_t len = 0;
	struct aiauth_error *err = NULL;
	char dir[700], path[800];
	snprintf(dir, sizeof(dir), "%s/aiauth", data_dir);
	snprintf(path, sizeof(path), "%s/vault.bin", dir);
	if (fs_mkdir_private(dir, &err) != AIAUTH_OK ||
	    vault_key_new(pass, VAULT_MIN_ITERATIONS, &key, &err) != AIAUTH_OK ||
	    vault_seal(key, plain, &image, &len, &err) != AIAUTH_OK ||
	    fs_write_atomic(path, image, len, 0600, &err) != AIAUTH_OK) {
		diag("make_vault: %s", err ? err->message : "?");
		exit(99);
	}
	free(image);
	vault_key_free(key);
	secret_free(pass);
	secret_free(plain);
}

static struct store *load(void)
{
	struct store *store = NULL;
	if (store_load(NULL, &store, NULL) != AIAUTH_OK)
		exit(99);
	return store;
}

static const struct account *by_label(const struct store *store, const char *provider,
                                      const char *label)
{
	for (size_t i = 0; i < store->n_accounts; i++)
		if (strcmp(store->accounts[i].provider, provider) == 0 &&
		    strcmp(store->accounts[i].label, label) == 0)
			return &store->accounts[i];
	return NULL;
}

static size_t count_of(const struct store *store, const char *provider)
{
	size_t n = 0;
	for (size_t i = 0; i < store->n_accounts; i++)
		n += strcmp(store->accounts[i].provider, provider) == 0;
	return n;
}

static bool field_is(const struct credential *cred, const char *name, const char *want)
{
	const struct secret *v = cred ? credential_get(cred, name) : NULL;
	return v && v->len == strlen(want) && memcmp(v->buf, want, v->len) == 0;
}

static bool starts_with(const struct aiauth_error *err, const char *prefix)
{
	return err && strncmp(err->message, prefix, strlen(prefix)) == 0;
}

static struct secret *key_blob(const char *key)
{
	struct credential *cred = credential_new();
	struct secret *blob = NULL;
	if (!cred || credential_set_str(cred, "api_key", key) != AIAUTH_OK ||
	    credential_to_blob(cred, &blob, NULL) != AIAUTH_OK)
		exit(99);
	credential_free(cred);
	return blob;
}

/* An unsigned JWT whose payload is {"email":"EMAIL"}, base64url without
 * padding, as a provider's id_token carries it. */
static char *id_token_for(const char *email)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char payload[256];
	int n = snprintf(payload, sizeof(payload), "{\"sub\":\"1\",\"email\":\"%s\"}", email);
	char *out = malloc(32 + (size_t)n * 2);
	if (!out)
		exit(99);
	char *o = out + sprintf(out, "eyJhbGciOiJub25lIn0.");
	const unsigned char *p = (const unsigned char *)payload;
	for (int i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		             (i + 2 < n ? p[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		if (i + 1 < n)
			*o++ = b64[v >> 6 & 63];
		if (i + 2 < n)
			*o++ = b64[v & 63];
	}
	strcpy(o, ".sig");
	return out;
}

/* An OAuth credential valid for an hour (so resolving it needs no refresh),
 * with an id_token naming `email` when it is not NULL. */
static struct credential *oauth_cred(const char *access, const char *email)
{
	struct credential *cred = credential_new();
	char expires[32];
	snprintf(expires, sizeof(expires), "%lld", (long long)time(NULL) + 3600);
	if (!cred || credential_set_str(cred, "access_token", access) != AIAUTH_OK ||
	    credential_set_str(cred, "refresh_token", "rt") != AIAUTH_OK ||
	    credential_set_str(cred, "expires_at", expires) != AIAUTH_OK)
		exit(99);
	if (email) {
		char *jwt = id_token_for(email);
		if (credential_set_str(cred, "id_token", jwt) != AIAUTH_OK)
			exit(99);
		free(jwt);
	}
	return cred;
}

static enum aiauth_status needs_signin_cb(struct store *store, void *ctx,
                                          struct aiauth_error **err)
{
	(void)err;
	struct account *a = store_find_id(store, ctx);
	if (!a)
		return AIAUTH_NOT_FOUND;
	a->status = ACCOUNT_STATUS_NEEDS_SIGNIN;
	store->dirty = true;
	return AIAUTH_OK;
}

/* ------------------------------------------------------------------ add */

static void test_add(struct session *s)
{
	struct aiauth_error *err = NULL;
	const struct provider *p = NULL;
	ok(session_provider(s, "openai", &p, &err) == AIAUTH_OK && p,
	   "session_provider finds openai");
	ok(session_provider(s, "no-such", &p, &err) == AIAUTH_USAGE &&
	       starts_with(err, "unknown provider \"no-such\""),
	   "an unknown provider is a usage error");
	error_clear(&err);
	session_provider(s, "openai", &p, NULL);

	struct secret *blob = key_blob("sk-one");
	struct account tmpl = {.provider = "openai", .kind = ACCOUNT_API_KEY,
	                       .method = "api_key", .label = "work"};
	char *label = NULL;
	bool active = false;
	ok(session_add_account(s, p, &tmpl, blob, &label, &active, &err) == AIAUTH_OK,
	   "session_add_account adds an API-key account");
	ok(label && strcmp(label, "work") == 0 && active,
	   "it keeps its label and, the provider's first, becomes active");
	free(label);

	struct store *store = load();
	const struct account *a = by_label(store, "openai", "work");
	ok(a && a->has_secret, "the account is marked as having its secret");
	ok(store->secret_backend && strcmp(store->secret_backend, "file") == 0,
	   "the backend that took the secret is recorded (file)");
	struct secretstore *ss = NULL;
	struct secret *got = NULL;
	ok(a && session_secrets(s, &ss, &err) == AIAUTH_OK &&
	       secretstore_get(ss, a->id, &got, &err) == AIAUTH_OK && secret_equal(got, blob),
	   "the secret is in the store under the account's id");
	secret_free(got);
	store_free(store);
	secret_free(blob);

	blob = key_blob("sk-two");
	tmpl.label = "home";
	label = NULL;
	active = true;
	ok(session_add_account(s, p, &tmpl, blob, &label, &active, &err) == AIAUTH_OK && label &&
	       strcmp(label, "home") == 0 && !active,
	   "a second account is added, not active");
	free(label);
	secret_free(blob);

	const struct provider *local = NULL;
	struct registry *reg = NULL;
	if (session_registry(s, &reg, &err) == AIAUTH_OK)
		for (size_t i = 0; i < registry_count(reg) && !local; i++)
			if (registry_at(reg, i)->methods & AUTH_METHOD_NONE)
				local = registry_at(reg, i);
	ok(local != NULL, "the registry has a keyless provider");
	if (local) {
		struct account keyless = {.provider = local->id, .kind = ACCOUNT_NONE,
		                          .method = "none", .label = "here"};
		label = NULL;
		ok(session_add_account(s, local, &keyless, NULL, &label, NULL, &err) == AIAUTH_OK &&
		       label,
		   "a keyless account is added without a secret");
		free(label);
		store = load();
		a = by_label(store, local->id, "here");
		ok(a && !a->has_secret, "and has none");
		store_free(store);
	}
	error_clear(&err);
}

/* A store that cannot take the secret (here: the wrong passphrase for the
 * vault) leaves no account behind. */
static void test_take_back(void)
{
	struct session *s = new_session(SECRET_BACKEND_AUTO, "not the passphrase");
	struct aiauth_error *err = NULL;
	const struct provider *p = NULL;
	session_provider(s, "openai", &p, NULL);
	struct store *store = load();
	size_t before = count_of(store, "openai");
	store_free(store);

	struct secret *blob = key_blob("sk-lost");
	struct account tmpl = {.provider = "openai", .kind = ACCOUNT_API_KEY,
	                       .method = "api_key", .label = "lost"};
	char *label = NULL;
	enum aiauth_status st = session_add_account(s, p, &tmpl, blob, &label, NULL, &err);
	ok(st != AIAUTH_OK && err && !label, "a secret that cannot be stored fails the add (%s)",
	   err ? err->message : "no error");
	store = load();
	ok(!by_label(store, "openai", "lost") && count_of(store, "openai") == before,
	   "the half-made account is taken back");
	store_free(store);
	error_clear(&err);
	secret_free(blob);
	session_free(s);
}

/* -------------------------------------------------------------- resolve */

static void test_resolve(struct session *s)
{
	struct aiauth_error *err = NULL;
	struct account *a = NULL;
	struct credential *cred = NULL;
	ok(session_resolve(s, "openai", NULL, &a, &cred, &err) == AIAUTH_OK && a &&
	       strcmp(a->label, "work") == 0 && field_is(cred, "api_key", "sk-one"),
	   "without a name, the active account answers, with its key");
	account_free(a);
	credential_free(cred);
	a = NULL;
	cred = NULL;
	ok(session_resolve(s, "openai", "home", &a, &cred, &err) == AIAUTH_OK && a &&
	       strcmp(a->label, "home") == 0 && field_is(cred, "api_key", "sk-two"),
	   "a name picks that account, with its key");
	account_free(a);
	credential_free(cred);
	a = NULL;
	cred = NULL;
	ok(session_resolve(s, "mistral", NULL, &a, &cred, &err) == AIAUTH_NOT_CONFIGURED && !a,
	   "a provider without accounts is not configured");
	error_clear(&err);
	ok(session_resolve(s, "no-such", NULL, &a, &cred, &err) == AIAUTH_USAGE && !a,
	   "an unknown provider is a usage error");
	error_clear(&err);

	struct registry *reg = NULL;
	const struct provider *local = NULL;
	session_registry(s, &reg, NULL);
	for (size_t i = 0; i < registry_count(reg) && !local; i++)
		if (registry_at(reg, i)->methods & AUTH_METHOD_NONE)
			local = registry_at(reg, i);
	if (local) {
		cred = (struct credential *)1;
		ok(session_resolve(s, local->id, NULL, &a, &cred, &err) == AIAUTH_OK && a &&
		       a->kind == ACCOUNT_NONE && cred == NULL,
		   "a keyless account resolves without a credential");
		account_free(a);
		a = NULL;
		cred = NULL;
	}
	error_clear(&err);
}

/* ----------------------------------------------------------- save_oauth */

static void test_save_oauth(struct session *s)
{
	struct aiauth_error *err = NULL;
	const struct provider *p = NULL;
	struct session_saved saved = {0};
	ok(session_provider(s, "chatgpt", &p, &err) == AIAUTH_OK, "an OAuth provider (chatgpt)");

	ok(session_save_oauth(s, p, NULL, "device", oauth_cred("at-1", "ann@example.test"), NULL,
	                      &saved, &err) == AIAUTH_OK,
	   "session_save_oauth saves a first sign-in");
	ok(saved.account_id && saved.email && strcmp(saved.email, "ann@example.test") == 0 &&
	       saved.label && strcmp(saved.label, "ann@example.test") == 0 && !saved.renewed &&
	       saved.active,
	   "a new account labelled with the id_token's email, active");
	char *ann_id = saved.account_id ? strdup(saved.account_id) : NULL;
	session_saved_clear(&saved);
	ok(!saved.account_id && !saved.label && !saved.email, "session_saved_clear clears");

	struct store *store = load();
	const struct account *a = by_label(store, "chatgpt", "ann@example.test");
	ok(a && a->kind == ACCOUNT_OAUTH && a->has_secret && a->method &&
	       strcmp(a->method, "device") == 0 && a->email &&
	       strcmp(a->email, "ann@example.test") == 0 && a->expires_at > time(NULL),
	   "stored as an OAuth account with its method, email and expiry");
	store_free(store);

	struct account *got = NULL;
	struct credential *cred = NULL;
	ok(session_resolve(s, "chatgpt", NULL, &got, &cred, &err) == AIAUTH_OK &&
	       field_is(cred, "access_token", "at-1"),
	   "a fresh OAuth token resolves as it is");
	account_free(got);
	credential_free(cred);
	got = NULL;
	cred = NULL;

	ok(ann_id && store_update(NULL, needs_signin_cb, ann_id, NULL) == AIAUTH_OK,
	   "the account is marked as needing sign-in");
	ok(session_resolve(s, "chatgpt", NULL, &got, &cred, &err) == AIAUTH_NEEDS_SIGNIN && !got &&
	       starts_with(err, "the chatgpt account \"ann@example.test\" needs to sign in again"),
	   "resolving it says it needs to sign in again");
	error_clear(&err);

	ok(session_save_oauth(s, p, NULL, "browser", oauth_cred("at-2", "ann@example.test"), NULL,
	                      &saved, &err) == AIAUTH_OK &&
	       saved.renewed && ann_id && saved.account_id &&
	       strcmp(saved.account_id, ann_id) == 0 && saved.label &&
	       strcmp(saved.label, "ann@example.test") == 0 && saved.active,
	   "signing in again with the same email renews that account");
	session_saved_clear(&saved);
	store = load();
	a = by_label(store, "chatgpt", "ann@example.test");
	ok(count_of(store, "chatgpt") == 1 && a && a->status == ACCOUNT_STATUS_OK,
	   "no second account, and it no longer needs sign-in");
	store_free(store);
	ok(session_resolve(s, "chatgpt", NULL, &got, &cred, &err) == AIAUTH_OK &&
	       field_is(cred, "access_token", "at-2"),
	   "it resolves to the new token");
	account_free(got);
	credential_free(cred);
	got = NULL;
	cred = NULL;

	ok(session_save_oauth(s, p, NULL, "device", oauth_cred("at-3", "bob@example.test"), NULL,
	                      &saved, &err) == AIAUTH_OK &&
	       !saved.renewed && !saved.active && saved.label &&
	       strcmp(saved.label, "bob@example.test") == 0,
	   "another email makes another account, not active");
	session_saved_clear(&saved);

	ok(session_save_oauth(s, p, NULL, "device", oauth_cred("at-4", "ann@example.test"), "team",
	                      &saved, &err) == AIAUTH_OK &&
	       !saved.renewed && saved.label && strcmp(saved.label, "team") == 0,
	   "a label that names no account with that email makes a new one");
	session_saved_clear(&saved);

	ok(session_save_oauth(s, p, NULL, "device", oauth_cred("at-5", NULL), NULL, &saved, &err) ==
	           AIAUTH_OK &&
	       !saved.email && !saved.renewed && saved.label && saved.account_id,
	   "without an email (and no userinfo endpoint) the account is still added");
	session_saved_clear(&saved);
	store = load();
	ok(count_of(store, "chatgpt") == 4, "four chatgpt accounts in all");
	store_free(store);
	free(ann_id);
	error_clear(&err);
}

/* -------------------------------------------------------- which backend */

static void test_recorded_backend(void)
{
	struct aiauth_error *err = NULL;
	struct secretstore *ss = NULL;
	struct session *s = new_session(SECRET_BACKEND_AUTO, PASS);
	ok(session_secrets(s, &ss, &err) == AIAUTH_OK &&
	       secretstore_backend(ss) == SECRET_BACKEND_FILE &&
	       strcmp(secretstore_reason(ss), "your secrets are kept there") == 0,
	   "the recorded backend is used, and said to be where the secrets are");
	struct secretstore *again = NULL;
	ok(session_secrets(s, &again, &err) == AIAUTH_OK && again == ss,
	   "the session keeps its secret store open");
	struct loop *l1 = NULL, *l2 = NULL;
	ok(session_loop(s, &l1, &err) == AIAUTH_OK && session_loop(s, &l2, &err) == AIAUTH_OK &&
	       l1 && l1 == l2,
	   "and its loop");
	session_free(s);

	ok(session_record_backend(SECRET_BACKEND_KEYRING, false, &err) == AIAUTH_OK,
	   "recording without overwrite succeeds");
	struct store *store = load();
	ok(store->secret_backend && strcmp(store->secret_backend, "file") == 0,
	   "but keeps the backend already recorded");
	store_free(store);
	ok(session_record_backend(SECRET_BACKEND_KEYRING, true, &err) == AIAUTH_OK,
	   "recording with overwrite succeeds");
	store = load();
	ok(store->secret_backend && strcmp(store->secret_backend, "keyring") == 0,
	   "and changes it");
	store_free(store);

	s = new_session(SECRET_BACKEND_AUTO, PASS);
	ss = NULL;
	ok(session_secrets(s, &ss, &err) != AIAUTH_OK && !ss &&
	       starts_with(err, "your secrets are in the keyring, which cannot be used now"),
	   "recorded in a keyring that is missing: an error, not a fresh empty file");
	error_clear(&err);
	session_free(s);

	s = new_session(SECRET_BACKEND_FILE, PASS);
	ok(session_secrets(s, &ss, &err) == AIAUTH_OK &&
	       secretstore_backend(ss) == SECRET_BACKEND_FILE &&
	       strcmp(secretstore_reason(ss), "chosen with --store") == 0,
	   "a forced backend wins over the recorded one");
	struct secretstore *other = NULL;
	ok(session_secrets_open(s, SECRET_BACKEND_FILE, "for the test", &other, &err) ==
	           AIAUTH_OK &&
	       other && other != ss && strcmp(secretstore_reason(other), "for the test") == 0,
	   "session_secrets_open opens a given backend for the caller");
	secretstore_close(other);
	session_free(s);

	session_record_backend(SECRET_BACKEND_FILE, true, NULL);
	error_clear(&err);
}

int main(void)
{
	const char *dir = tap_tmpdir();
	char path[600];
	snprintf(path, sizeof(path), "%s/config", dir);
	setenv("XDG_CONFIG_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/data", dir);
	setenv("XDG_DATA_HOME", path, 1);
	make_vault(path);
	/* No session bus: the keyring is never there. */
	snprintf(path, sizeof(path), "unix:path=%s/no-bus", dir);
	setenv("DBUS_SESSION_BUS_ADDRESS", path, 1);
	unsetenv("XDG_RUNTIME_DIR");
	if (http_global_init(NULL) != AIAUTH_OK)
		return 99;

	struct session *s = new_session(SECRET_BACKEND_AUTO, PASS);
	test_add(s);
	test_take_back();
	test_resolve(s);
	test_save_oauth(s);
	session_free(s);
	session_free(NULL);
	test_recorded_backend();

	http_global_cleanup();
	return done_testing();
}
