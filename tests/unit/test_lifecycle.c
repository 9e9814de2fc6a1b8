/* test_lifecycle.c - refreshing OAuth tokens: freshness, rotation, the
 * per-account lock across processes, retries, needs-sign-in, concurrency.
 *
 * Everything talks to tests/servers/token_stub.js on 127.0.0.1, started
 * here with $NODE and $top_srcdir as `make check` exports them (without node
 * the network tests are skipped).  The stub rotates refresh tokens and
 * revokes a grant when a spent token is reused, so a race between two
 * refreshers shows up as invalid_grant, exactly as at strict providers.
 * Secrets live in the file backend (a vault made with few KDF iterations
 * so that 20 processes can open it quickly). */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "credential.h"
#include "fsutil.h"
#include "http.h"
#include "jsonutil.h"
#include "lifecycle.h"
#include "oauth.h"
#include "registry.h"
#include "secretstore.h"
#include "store.h"
#include "tap.h"
#include "vault.h"

#define PASS "correct horse battery staple"

static char config_dir[512];
static char vault_path[512];
static char stub_url[128];
static char token_url[160];
static pid_t stub_pid;
static struct registry *reg;
static struct provider *stub_provider; /* patched when the registry lacks "oauth" */
static bool patched;

static void skip(const char *why, const char *what)
{
	tap_count++;
	printf("ok %d - %s # SKIP %s\n", tap_count, what, why);
	fflush(stdout);
}

static enum aiauth_status give_pass(void *ctx, bool creating, struct secret **out,
                                    struct aiauth_error **err)
{
	(void)ctx;
	(void)creating;
	(void)err;
	*out = secret_from_str(PASS);
	return *out ? AIAUTH_OK : AIAUTH_NO_MEMORY;
}

static struct secretstore *open_secrets(void)
{
	struct secretstore_options o = {
	    .backend = SECRET_BACKEND_FILE,
	    .vault_path = vault_path,
	    .get_passphrase = give_pass,
	};
	struct secretstore *ss = NULL;
	struct aiauth_error *err = NULL;
	if (secretstore_open(&o, &ss, &err) != AIAUTH_OK) {
		diag("secretstore_open: %s", err ? err->message : "?");
		exit(99);
	}
	error_clear(&err);
	return ss;
}

/* ------------------------------------------------------------ the stub */

static void stop_stub(void)
{
	if (stub_pid > 0) {
		kill(stub_pid, SIGTERM);
		waitpid(stub_pid, NULL, 0);
		stub_pid = 0;
	}
}

static bool start_stub(void)
{
	const char *node = getenv("NODE");
	const char *top = getenv("top_srcdir");
	if (!node || !*node || strcmp(node, "no") == 0)
		return false;
	if (!top || !*top)
		top = ".";
	char script[512], port_file[512];
	snprintf(script, sizeof(script), "%s/tests/servers/token_stub.js", top);
	snprintf(port_file, sizeof(port_file), "%s/stub.port", tap_tmpdir());
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		execl(node, node, script, "--port", "0", "--port-file", port_file, (char *)NULL);
		_exit(127);
	}
	stub_pid = pid;
	atexit(stop_stub);
	int port = 0;
	for (int tries = 0; tries < 300 && port <= 0; tries++) {
		FILE *f = fopen(port_file, "r");
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port <= 0) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				stub_pid = 0;
				return false;
			}
			usleep(50 * 1000);
		}
	}
	if (port <= 0)
		return false;
	snprintf(stub_url, sizeof(stub_url), "http://127.0.0.1:%d", port);
	snprintf(token_url, sizeof(token_url), "%s/token", stub_url);
	return true;
}

struct stub_stats {
	int64_t requests, max_concurrent, invalid_grants;
	yajl_val doc;
};

static void stub_control(struct loop *loop, const char *json_text)
{
	struct secret *body = secret_from_str(json_text);
	struct http_request req = {.method = "POST",
	                           .url = NULL,
	                           .body = body,
	                           .content_type = "application/json"};
	char url[200];
	snprintf(url, sizeof(url), "%s/control", stub_url);
	req.url = url;
	struct http_response resp = {0};
	if (http_perform(loop, &req, &resp, NULL) != AIAUTH_OK || resp.outcome != HTTP_DONE ||
	    resp.status != 200) {
		diag("stub control failed");
		exit(99);
	}
	http_response_clear(&resp);
	secret_free(body);
}

static struct stub_stats stub_stats(struct loop *loop)
{
	struct stub_stats s = {0};
	char url[200];
	snprintf(url, sizeof(url), "%s/stats", stub_url);
	struct http_request req = {.url = url};
	struct http_response resp = {0};
	if (http_perform(loop, &req, &resp, NULL) != AIAUTH_OK || resp.outcome != HTTP_DONE ||
	    resp.status != 200 ||
	    json_parse((const char *)resp.body->buf, resp.body->len, &s.doc, NULL) != AIAUTH_OK) {
		diag("stub stats failed");
		exit(99);
	}
	json_get_int(s.doc, "requests", &s.requests);
	json_get_int(s.doc, "max_concurrent", &s.max_concurrent);
	json_get_int(s.doc, "invalid_grants", &s.invalid_grants);
	http_response_clear(&resp);
	return s;
}

/* How many times the stub refreshed `grant`. */
static int64_t stub_refreshes(const struct stub_stats *s, const char *grant)
{
	yajl_val r = json_get(s->doc, "refreshes");
	int64_t n = 0;
	if (r)
		json_get_int(r, grant, &n);
	return n;
}

static void stub_stats_free(struct stub_stats *s)
{
	json_free_wiped(s->doc);
	s->doc = NULL;
}

/* ------------------------------------------------------------ fixtures */

static void write_file(const char *path, const char *text)
{
	struct aiauth_error *err = NULL;
	if (fs_write_atomic(path, text, strlen(text), 0600, &err) != AIAUTH_OK) {
		diag("write %s: %s", path, err ? err->message : "?");
		exit(99);
	}
}

/* The provider "stub" with its token endpoint.  While the registry does not
 * read "oauth" yet (another branch), the same settings are put into the
 * loaded provider by hand and taken out again before registry_free(). */
static void load_registry(void)
{
	char path[600], text[1200];
	snprintf(path, sizeof(path), "%s/providers.json", config_dir);
	snprintf(text, sizeof(text),
	         "{\"version\": 1, \"providers\": {\"stub\": {\"name\": \"Stub AI\", "
	         "\"group\": \"subscription\", \"methods\": [\"browser\"], "
	         "\"oauth\": {\"token_endpoint\": \"%s\", \"client_id\": \"c\", "
	         "\"authorization_endpoint\": \"%s/authorize\"}}}}",
	         token_url, stub_url);
	write_file(path, text);
	struct aiauth_error *err = NULL;
	if (registry_load(path, &reg, &err) != AIAUTH_OK) {
		error_clear(&err);
		snprintf(text, sizeof(text),
		         "{\"version\": 1, \"providers\": {\"stub\": {\"name\": \"Stub AI\", "
		         "\"group\": \"subscription\", \"methods\": [\"browser\"]}}}");
		write_file(path, text);
		if (registry_load(path, &reg, &err) != AIAUTH_OK) {
			diag("registry_load: %s", err ? err->message : "?");
			exit(99);
		}
	}
	stub_provider = (struct provider *)registry_find(reg, "stub");
	if (!stub_provider) {
		diag("no stub provider");
		exit(99);
	}
	if (!stub_provider->oauth.token_endpoint) {
		stub_provider->oauth.token_endpoint = token_url;
		stub_provider->oauth.client_id = (char *)"c";
		patched = true;
	}
}

static void free_registry(void)
{
	if (patched) {
		stub_provider->oauth.token_endpoint = NULL;
		stub_provider->oauth.client_id = NULL;
	}
	registry_free(reg);
}

/* A vault made with the minimum KDF cost: every process derives its key. */
static void make_vault(void)
{
	struct secret *pass = secret_from_str(PASS);
	struct secret *plain = secret_from_str("{\"version\":1,\"items\":{}}");
	struct vault_key *key = NULL;
	unsigned char *image = NULL;
	size_t len = 0;
	struct aiauth_error *err = NULL;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/data/aiauth", tap_tmpdir());
	if (fs_mkdir_private(dir, &err) != AIAUTH_OK ||
	    vault_key_new(pass, VAULT_MIN_ITERATIONS, &key, &err) != AIAUTH_OK ||
	    vault_seal(key, plain, &image, &len, &err) != AIAUTH_OK ||
	    fs_write_atomic(vault_path, image, len, 0600, &err) != AIAUTH_OK) {
		diag("make_vault: %s", err ? err->message : "?");
		exit(99);
	}
	free(image);
	vault_key_free(key);
	secret_free(pass);
	secret_free(plain);
}

struct add_ctx {
	const char *label;
	enum account_kind kind;
	char id[64];
};

static enum aiauth_status add_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct add_ctx *ac = ctx;
	struct account tmpl = {0};
	tmpl.provider = (char *)"stub";
	tmpl.kind = ac->kind;
	tmpl.method = (char *)(ac->kind == ACCOUNT_OAUTH ? "browser" : "api_key");
	tmpl.label = (char *)ac->label;
	tmpl.has_secret = true;
	struct account *added = NULL;
	enum aiauth_status st = store_add(store, &tmpl, &added, err);
	if (st == AIAUTH_OK)
		snprintf(ac->id, sizeof(ac->id), "%s", added->id);
	return st;
}

/* Write a credential for `id`: access "at-<grant>-0", refresh token
 * `refresh` (NULL: none), expiring `expires_in` seconds from now. */
static void put_secret(struct secretstore *ss, const char *id, const char *access,
                       const char *refresh, int64_t expires_in)
{
	struct credential *c = credential_new();
	char at[32];
	snprintf(at, sizeof(at), "%lld", (long long)(oauth_now() + expires_in));
	credential_set_str(c, "access_token", access);
	if (refresh)
		credential_set_str(c, "refresh_token", refresh);
	credential_set_str(c, "expires_at", at);
	credential_set_str(c, "id_token", "idt-old");
	struct secret *blob = NULL;
	struct aiauth_error *err = NULL;
	struct secret_meta meta = {"stub", "Stub AI", "x", "oauth"};
	if (credential_to_blob(c, &blob, &err) != AIAUTH_OK ||
	    secretstore_put(ss, id, &meta, blob, &err) != AIAUTH_OK) {
		diag("put_secret: %s", err ? err->message : "?");
		exit(99);
	}
	secret_free(blob);
	credential_free(c);
}

/* A new OAuth account with a credential; its id goes to `id`. */
static void add_account(struct secretstore *ss, const char *label, const char *access,
                        const char *refresh, int64_t expires_in, char id[64])
{
	struct add_ctx ac = {label, ACCOUNT_OAUTH, ""};
	struct aiauth_error *err = NULL;
	if (store_update(config_dir, add_cb, &ac, &err) != AIAUTH_OK) {
		diag("add %s: %s", label, err ? err->message : "?");
		exit(99);
	}
	snprintf(id, 64, "%s", ac.id);
	put_secret(ss, id, access, refresh, expires_in);
}

/* The stored blob, read through a separate secret store instance (as
 * another process would). */
static struct secret *stored_blob(const char *id)
{
	struct secretstore *ss = open_secrets();
	struct secret *b = NULL;
	struct aiauth_error *err = NULL;
	secretstore_get(ss, id, &b, &err);
	error_clear(&err);
	secretstore_close(ss);
	return b;
}

/* A field of the stored credential, as a heap string ("" when absent). */
static char *stored_field(const char *id, const char *name)
{
	struct secret *b = stored_blob(id);
	struct credential *c = NULL;
	char *out = NULL;
	if (b && credential_from_blob(b, &c, NULL) == AIAUTH_OK) {
		const struct secret *v = credential_get(c, name);
		out = strdup(v ? (const char *)v->buf : "");
	}
	credential_free(c);
	secret_free(b);
	return out ? out : strdup("(no secret)");
}

static const char *field(const struct credential *c, const char *name)
{
	const struct secret *v = c ? credential_get(c, name) : NULL;
	return v ? (const char *)v->buf : "";
}

/* A copy of the account as the store has it now. */
static struct account *stored_account(const char *id)
{
	struct store *s = NULL;
	struct aiauth_error *err = NULL;
	struct account *a = NULL;
	if (store_load(config_dir, &s, &err) == AIAUTH_OK) {
		struct account *f = store_find_id(s, id);
		if (f)
			a = account_dup(f);
	}
	store_free(s);
	error_clear(&err);
	return a;
}

/* Watch the configuration directory for new versions of accounts.json
 * (the store writes a temporary file and renames it over).  The creations
 * of the temporary file are watched too: inotify merges an unread event
 * into an identical one before it, so renames alone would count as one. */
static int watch_store(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd >= 0 && inotify_add_watch(fd, config_dir, IN_CREATE | IN_MOVED_TO) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* How many times accounts.json was replaced since watch_store(); closes fd. */
static int store_writes(int fd)
{
	int n = 0;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;
	while (fd >= 0 && (len = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if ((ev->mask & IN_MOVED_TO) && ev->len && strcmp(ev->name, "accounts.json") == 0)
				n++;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (fd >= 0)
		close(fd);
	return fd >= 0 ? n : -1;
}

/* ------------------------------------------------------------ tests */

static void test_is_fresh(void)
{
	struct credential *c = credential_new();
	ok(lifecycle_is_fresh(c, 1000, 300), "no expires_at counts as fresh");
	credential_set_str(c, "expires_at", "1301");
	ok(lifecycle_is_fresh(c, 1000, 300), "301 s left > 300 s: fresh");
	credential_set_str(c, "expires_at", "1300");
	ok(!lifecycle_is_fresh(c, 1000, 300), "exactly 300 s left: not fresh");
	credential_set_str(c, "expires_at", "900");
	ok(!lifecycle_is_fresh(c, 1000, 300), "expired: not fresh");
	credential_set_str(c, "expires_at", "soon");
	ok(!lifecycle_is_fresh(c, 1000, 300), "an unreadable expires_at: not fresh");
	credential_free(c);
}

static void test_fresh_and_expiring(struct lifecycle_env *env)
{
	char id[64];
	struct credential *cred = NULL;
	struct aiauth_error *err = NULL;

	stub_control(env->loop, "{}");
	add_account(env->secrets, "fresh", "at-fresh-0", "rt-fresh-0", 3600, id);
	enum aiauth_status st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	struct stub_stats s = stub_stats(env->loop);
	ok(st == AIAUTH_OK && strcmp(field(cred, "access_token"), "at-fresh-0") == 0,
	   "a fresh token is handed out as it is (%s)", err ? err->message : "ok");
	ok(s.requests == 0, "... without a request (%lld)", (long long)s.requests);
	char lock_path[800];
	snprintf(lock_path, sizeof(lock_path), "%s/locks/%s.lock", config_dir, id);
	ok(access(lock_path, F_OK) != 0, "... and leaves no lock file behind");
	stub_stats_free(&s);
	CREDENTIAL_FREE(cred);
	error_clear(&err);

	/* force refreshes it anyway. */
	st = lifecycle_ensure_fresh(env, id, true, &cred, &err);
	s = stub_stats(env->loop);
	ok(st == AIAUTH_OK && strcmp(field(cred, "access_token"), "at-fresh-1") == 0 &&
	       s.requests == 1,
	   "force refreshes a fresh token (%lld requests, %s)", (long long)s.requests,
	   err ? err->message : "ok");
	stub_stats_free(&s);
	CREDENTIAL_FREE(cred);
	error_clear(&err);

	/* Expiring within 5 minutes: one request, rotated token saved. */
	stub_control(env->loop, "{}");
	add_account(env->secrets, "expiring", "at-exp-0", "rt-exp-0", 60, id);
	int64_t before = oauth_now();
	st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	s = stub_stats(env->loop);
	ok(st == AIAUTH_OK && strcmp(field(cred, "access_token"), "at-exp-1") == 0,
	   "an expiring token is refreshed (%s)", err ? err->message : "ok");
	ok(s.requests == 1, "... with exactly one request (%lld)", (long long)s.requests);
	ok(strcmp(field(cred, "refresh_token"), "rt-exp-1") == 0,
	   "... the handed-out credential has the rotated refresh token");
	ok(strcmp(field(cred, "id_token"), "idt-old") == 0 &&
	       strcmp(field(cred, "scope"), "openid offline_access") == 0,
	   "... the old id_token is kept when none came, the new scope is taken");
	char *rt = stored_field(id, "refresh_token");
	char *at = stored_field(id, "access_token");
	ok(strcmp(rt, "rt-exp-1") == 0 && strcmp(at, "at-exp-1") == 0,
	   "... and is in the secret store, read by another instance (%s)", rt);
	free(rt);
	free(at);
	struct account *a = stored_account(id);
	ok(a && a->status == ACCOUNT_STATUS_OK && a->last_refresh >= before &&
	       a->last_refresh_outcome && strcmp(a->last_refresh_outcome, "refreshed") == 0,
	   "... the store records last_refresh and outcome \"refreshed\"");
	ok(a && a->expires_at >= before + 3600 && a->expires_at <= oauth_now() + 3600,
	   "... and the new expires_at (%lld)", a ? (long long)a->expires_at : 0LL);
	account_free(a);
	stub_stats_free(&s);
	CREDENTIAL_FREE(cred);
	error_clear(&err);

	/* A response without a refresh token keeps the old one. */
	stub_control(env->loop, "{\"rotate\": false}");
	add_account(env->secrets, "norotate", "at-norot-0", "rt-norot-0", 10, id);
	st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	rt = stored_field(id, "refresh_token");
	at = stored_field(id, "access_token");
	ok(st == AIAUTH_OK && strcmp(at, "at-norot-1") == 0 && strcmp(rt, "rt-norot-0") == 0 &&
	       strcmp(field(cred, "refresh_token"), "rt-norot-0") == 0,
	   "no refresh token in the response: the old one is kept (%s, %s)", at, rt);
	free(rt);
	free(at);
	CREDENTIAL_FREE(cred);
	error_clear(&err);
}

/* Twenty processes at once on one expired token: one refresh, one token
 * for all.  Twice: first with no lock file for the account yet, then with
 * the one the first refresh left, which each process tries to take before
 * its first read. */
static void test_twenty_processes(struct lifecycle_env *env)
{
	enum { N = 20 };
	char id[64];
	stub_control(env->loop, "{\"delay\": 200}");
	add_account(env->secrets, "race", "at-race-0", "rt-race-0", -10, id);
	char out_dir[600];
	snprintf(out_dir, sizeof(out_dir), "%s/race", tap_tmpdir());
	mkdir(out_dir, 0700);
	char lock_path[800];
	snprintf(lock_path, sizeof(lock_path), "%s/locks/%s.lock", config_dir, id);

	for (int round = 1; round <= 2; round++) {
		const char *how = round == 1 ? "no lock file yet" : "with the lock file";
		if (round == 2) {
			ok(access(lock_path, F_OK) == 0, "the refresh left the account's lock file");
			put_secret(env->secrets, id, "at-race-1", "rt-race-1", -10); /* expired again */
			stub_control(env->loop, "{\"delay\": 200}");
		}
		int gate[2];
		if (pipe(gate) != 0)
			exit(99);
		pid_t pids[N];
		for (int i = 0; i < N; i++) {
			pids[i] = fork();
			if (pids[i] < 0)
				exit(99);
			if (pids[i] == 0) {
				/* A process of its own: its own loop and secret store. */
				close(gate[1]);
				char c;
				while (read(gate[0], &c, 1) > 0) {
				}
				struct loop *loop = NULL;
				struct credential *cred = NULL;
				if (loop_new(&loop, NULL) != AIAUTH_OK)
					_exit(3);
				struct lifecycle_env cenv = {loop, env->registry, open_secrets(), config_dir, 0};
				enum aiauth_status st = lifecycle_ensure_fresh(&cenv, id, false, &cred, NULL);
				char path[700];
				snprintf(path, sizeof(path), "%s/%d", out_dir, i);
				FILE *f = fopen(path, "w");
				if (f) {
					fprintf(f, "%d %s\n", (int)st, field(cred, "access_token"));
					fclose(f);
				}
				_exit(st == AIAUTH_OK ? 0 : 1);
			}
		}
		close(gate[0]);
		close(gate[1]); /* all start now */
		char want[64], want_rt[64];
		snprintf(want, sizeof(want), "0 at-race-%d\n", round);
		snprintf(want_rt, sizeof(want_rt), "rt-race-%d", round);
		int exited_ok = 0, same = 0;
		for (int i = 0; i < N; i++) {
			int ws = 0;
			waitpid(pids[i], &ws, 0);
			exited_ok += WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
			char path[700], line[200] = "";
			snprintf(path, sizeof(path), "%s/%d", out_dir, i);
			FILE *f = fopen(path, "r");
			if (f) {
				if (!fgets(line, sizeof(line), f))
					line[0] = '\0';
				fclose(f);
			}
			same += strcmp(line, want) == 0;
		}
		struct stub_stats s = stub_stats(env->loop);
		ok(exited_ok == N, "%s: 20 processes refreshing one expired token all succeed (%d)", how,
		   exited_ok);
		ok(s.requests == 1, "... exactly one request reached the token endpoint (%lld)",
		   (long long)s.requests);
		ok(same == N, "... all 20 got the same new access token (%d)", same);
		ok(s.invalid_grants == 0, "... and no invalid_grant (%lld)", (long long)s.invalid_grants);
		stub_stats_free(&s);
		char *rt = stored_field(id, "refresh_token");
		ok(strcmp(rt, want_rt) == 0, "... the store holds the one rotated token (%s)", rt);
		free(rt);
	}
}

static void test_invalid_grant(struct lifecycle_env *env)
{
	char id[64];
	struct credential *cred = NULL;
	struct aiauth_error *err = NULL;
	stub_control(env->loop, "{}");
	add_account(env->secrets, "dead", "at-dead-0", "revoked-token", -10, id);
	struct secret *before = stored_blob(id);
	enum aiauth_status st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	ok(st == AIAUTH_NEEDS_SIGNIN && !cred, "invalid_grant -> AIAUTH_NEEDS_SIGNIN");
	ok(err && strcmp(err->message, "the Stub AI account \"dead\" needs to sign in again (the "
	                               "provider refused its refresh token)") == 0,
	   "... with the message (%s)", err ? err->message : "(none)");
	ok(err && !strstr(err->message, "revoked-token"), "... which holds no token");
	struct secret *after = stored_blob(id);
	ok(secret_equal(before, after), "... the secret is unchanged");
	struct account *a = stored_account(id);
	ok(a && a->status == ACCOUNT_STATUS_NEEDS_SIGNIN && a->last_refresh > 0 &&
	       a->last_refresh_outcome && strstr(a->last_refresh_outcome, "invalid_grant"),
	   "... the account is marked needs_signin (%s)",
	   a && a->last_refresh_outcome ? a->last_refresh_outcome : "-");
	account_free(a);
	secret_free(before);
	secret_free(after);
	error_clear(&err);

	/* No refresh token at all: needs sign-in without asking anyone. */
	stub_control(env->loop, "{}");
	add_account(env->secrets, "norefresh", "at-nr-0", NULL, -10, id);
	st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	struct stub_stats s = stub_stats(env->loop);
	ok(st == AIAUTH_NEEDS_SIGNIN && err && strstr(err->message, "no refresh token") &&
	       s.requests == 0,
	   "no refresh token and expired -> NEEDS_SIGNIN, no request (%s)",
	   err ? err->message : "-");
	stub_stats_free(&s);
	error_clear(&err);
	put_secret(env->secrets, id, "at-nr-0", NULL, 3600);
	st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	ok(st == AIAUTH_OK && strcmp(field(cred, "access_token"), "at-nr-0") == 0,
	   "no refresh token but still valid: handed out");
	CREDENTIAL_FREE(cred);
	error_clear(&err);
}

static void test_retries(struct lifecycle_env *env)
{
	char id[64];
	struct credential *cred = NULL;
	struct aiauth_error *err = NULL;

	stub_control(env->loop, "{\"fail\": 2, \"fail_mode\": \"500\"}");
	add_account(env->secrets, "flaky", "at-flaky-0", "rt-flaky-0", -10, id);
	enum aiauth_status st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	struct stub_stats s = stub_stats(env->loop);
	ok(st == AIAUTH_OK && strcmp(field(cred, "access_token"), "at-flaky-1") == 0,
	   "500 twice, then OK: refreshed (%s)", err ? err->message : "ok");
	ok(s.requests == 3, "... after 3 requests (%lld)", (long long)s.requests);
	stub_stats_free(&s);
	CREDENTIAL_FREE(cred);
	error_clear(&err);

	static const char *const modes[] = {"html", "malformed"};
	for (size_t i = 0; i < 2; i++) {
		char ctl[100], label[40], at[40], rtok[40], want[40];
		snprintf(ctl, sizeof(ctl), "{\"fail\": 1, \"fail_mode\": \"%s\"}", modes[i]);
		snprintf(label, sizeof(label), "bad %s", modes[i]);
		snprintf(at, sizeof(at), "at-bad%zu-0", i);
		snprintf(rtok, sizeof(rtok), "rt-bad%zu-0", i);
		snprintf(want, sizeof(want), "at-bad%zu-1", i);
		stub_control(env->loop, ctl);
		add_account(env->secrets, label, at, rtok, -10, id);
		st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
		s = stub_stats(env->loop);
		ok(st == AIAUTH_OK && strcmp(field(cred, "access_token"), want) == 0 &&
		       s.requests == 2,
		   "a %s body is retried (%lld requests, %s)", modes[i], (long long)s.requests,
		   err ? err->message : "ok");
		stub_stats_free(&s);
		CREDENTIAL_FREE(cred);
		error_clear(&err);
	}

	stub_control(env->loop, "{\"fail\": 100, \"fail_mode\": \"500\"}");
	add_account(env->secrets, "down", "at-down-0", "rt-down-0", -10, id);
	struct secret *before = stored_blob(id);
	int64_t t0 = loop_now_ms();
	st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	int64_t took = loop_now_ms() - t0;
	s = stub_stats(env->loop);
	ok(st == AIAUTH_NETWORK && !cred, "always 500 -> AIAUTH_NETWORK");
	ok(s.requests == 4, "... after 4 requests: the first and 3 retries (%lld)",
	   (long long)s.requests);
	ok(took >= 3400, "... with backoff 0.5 + 1 + 2 s between them (%lld ms)", (long long)took);
	ok(err && !strchr(err->message, '\n') && strstr(err->message, "\"down\"") &&
	       strstr(err->message, "4 attempts"),
	   "... a one-line message (%s)", err ? err->message : "-");
	struct secret *after = stored_blob(id);
	ok(secret_equal(before, after), "... the secret is unchanged");
	struct account *a = stored_account(id);
	ok(a && a->status == ACCOUNT_STATUS_REFRESH_FAILED && a->last_refresh_outcome &&
	       strstr(a->last_refresh_outcome, "failed"),
	   "... the account is marked refresh_failed (%s)",
	   a && a->last_refresh_outcome ? a->last_refresh_outcome : "-");
	account_free(a);
	secret_free(before);
	secret_free(after);
	stub_stats_free(&s);
	error_clear(&err);
}

static void test_many(struct lifecycle_env *env)
{
	enum { N = 20, FRESH = 2 };
	char ids[N + FRESH][64];
	char *idp[N + FRESH];
	stub_control(env->loop, "{\"delay\": 300}");
	for (int i = 0; i < N + FRESH; i++) {
		char label[32], at[32], rt[32];
		snprintf(label, sizeof(label), "many %d", i);
		snprintf(at, sizeof(at), "at-many%d-0", i);
		snprintf(rt, sizeof(rt), "rt-many%d-0", i);
		add_account(env->secrets, label, at, rt, i < N ? -10 : 3600, ids[i]);
		idp[i] = ids[i];
	}
	struct lifecycle_outcome *out = NULL;
	struct aiauth_error *err = NULL;
	int watch = watch_store();
	int64_t before = oauth_now();
	enum aiauth_status st = lifecycle_refresh_many(env, idp, N + FRESH, false, &out, &err);
	int writes = store_writes(watch);
	struct stub_stats s = stub_stats(env->loop);
	ok(st == AIAUTH_OK && out, "refresh_many over %d accounts (%s)", N + FRESH,
	   err ? err->message : "ok");
	int good = 0, once = 0, stored = 0;
	for (int i = 0; out && i < N; i++) {
		char grant[32], want[32];
		snprintf(grant, sizeof(grant), "many%d", i);
		snprintf(want, sizeof(want), "rt-many%d-1", i);
		good += strcmp(out[i].account_id, ids[i]) == 0 && out[i].status == AIAUTH_OK &&
		        out[i].refreshed;
		once += stub_refreshes(&s, grant) == 1;
		char *rt = stored_field(ids[i], "refresh_token");
		stored += strcmp(rt, want) == 0;
		free(rt);
	}
	ok(good == N, "... each expired account refreshed, in order (%d)", good);
	ok(once == N && s.requests == N, "... each once (%d, %lld requests)", once,
	   (long long)s.requests);
	ok(stored == N, "... each rotated token saved (%d)", stored);
	ok(s.max_concurrent > 1, "... the requests overlapped (max %lld in flight)",
	   (long long)s.max_concurrent);
	int skipped = 0;
	for (int i = N; out && i < N + FRESH; i++)
		skipped += out[i].status == AIAUTH_OK && !out[i].refreshed && out[i].message &&
		           strcmp(out[i].message, "still valid") == 0;
	ok(skipped == FRESH, "... fresh accounts skipped as \"still valid\" (%d)", skipped);
	int recorded = 0;
	for (int i = 0; i < N; i++) {
		struct account *a = stored_account(ids[i]);
		recorded += a && a->status == ACCOUNT_STATUS_OK && a->last_refresh >= before &&
		            a->expires_at > before && a->last_refresh_outcome &&
		            strcmp(a->last_refresh_outcome, "refreshed") == 0;
		account_free(a);
	}
	ok(recorded == N, "... every outcome is in the account list when it returns (%d)", recorded);
	/* The answers come within milliseconds of each other: their outcomes
	 * are written together, not in one read-modify-write each. */
	ok(writes >= 1 && writes <= 3, "... in a few writes of the account list, not %d (%d)", N,
	   writes);
	lifecycle_outcomes_free(out, N + FRESH);
	stub_stats_free(&s);
	error_clear(&err);
}

/* max_jobs: no more refreshes in flight than asked for, and every account
 * still gets its turn, in order. */
static void test_many_limited(struct lifecycle_env *env)
{
	enum { N = 6 };
	static const size_t limits[] = {1, 2};
	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		char ids[N][64];
		char *idp[N];
		stub_control(env->loop, "{\"delay\": 150}");
		for (int i = 0; i < N; i++) {
			char label[32], at[32], rt[32];
			snprintf(label, sizeof(label), "limited %zu %d", limits[l], i);
			snprintf(at, sizeof(at), "at-lim%zux%d-0", limits[l], i);
			snprintf(rt, sizeof(rt), "rt-lim%zux%d-0", limits[l], i);
			add_account(env->secrets, label, at, rt, -10, ids[i]);
			idp[i] = ids[i];
		}
		struct lifecycle_env limited = *env;
		limited.max_jobs = limits[l];
		struct lifecycle_outcome *out = NULL;
		struct aiauth_error *err = NULL;
		enum aiauth_status st = lifecycle_refresh_many(&limited, idp, N, false, &out, &err);
		struct stub_stats s = stub_stats(env->loop);
		int good = 0;
		for (int i = 0; out && i < N; i++)
			good += strcmp(out[i].account_id, ids[i]) == 0 && out[i].status == AIAUTH_OK &&
			        out[i].refreshed;
		ok(st == AIAUTH_OK && good == N && s.requests == N,
		   "max_jobs %zu: all %d accounts refreshed, once each (%d, %lld requests; %s)",
		   limits[l], N, good, (long long)s.requests, err ? err->message : "ok");
		ok(s.max_concurrent == (int64_t)limits[l],
		   "... never more than %zu in flight (max %lld)", limits[l],
		   (long long)s.max_concurrent);
		lifecycle_outcomes_free(out, N);
		stub_stats_free(&s);
		error_clear(&err);
	}
}

/* The asynchronous run: start returns at once, the loop keeps serving
 * other work (a timer stands for the keyboard) while the request is in
 * flight, done comes once from the loop; a cancelled run never calls done. */
struct async_seen {
	int calls;
	enum aiauth_status status;
	size_t n;
	bool refreshed;
	char message[128];
	bool done;
};

static void async_done(void *ctx, enum aiauth_status status, const struct lifecycle_outcome *o,
                       size_t n, const struct aiauth_error *err)
{
	(void)err;
	struct async_seen *seen = ctx;
	seen->calls++;
	seen->status = status;
	seen->n = n;
	seen->refreshed = n == 1 && o[0].refreshed;
	snprintf(seen->message, sizeof(seen->message), "%s",
	         n == 1 && o[0].message ? o[0].message : "");
	seen->done = true;
}

static void async_tick(void *ctx)
{
	int *ticks = ctx;
	(*ticks)++;
}

static void test_async(struct lifecycle_env *env)
{
	char id[64], id2[64];
	struct aiauth_error *err = NULL;
	stub_control(env->loop, "{\"delay\": 400}");
	add_account(env->secrets, "async", "at-async-0", "rt-async-0", -10, id);
	char *ids[1] = {id};
	struct async_seen seen = {0};
	int64_t t0 = loop_now_ms();
	struct lifecycle_refresh *r =
	    lifecycle_refresh_start(env, ids, 1, false, async_done, &seen, &err);
	ok(r && !seen.done && loop_now_ms() - t0 < 300,
	   "refresh_start returns before the answer, without calling done (%s)",
	   err ? err->message : "ok");
	int ticks = 0;
	for (int i = 0; i < 3; i++)
		loop_add_timer(env->loop, 50 * (i + 1), async_tick, &ticks);
	loop_run_until(env->loop, &seen.done, NULL);
	ok(ticks == 3, "... the loop ran other timers meanwhile (%d)", ticks);
	ok(seen.calls == 1 && seen.status == AIAUTH_OK && seen.n == 1 && seen.refreshed,
	   "... done is called once with the outcome (%s)", seen.message);
	char *at = stored_field(id, "access_token");
	ok(strcmp(at, "at-async-1") == 0, "... and the new token is saved (%s)", at);
	free(at);
	error_clear(&err);

	/* Nothing to do: done still comes from the loop, not from start. */
	add_account(env->secrets, "async fresh", "at-asyncf-0", "rt-asyncf-0", 3600, id2);
	ids[0] = id2;
	memset(&seen, 0, sizeof(seen));
	r = lifecycle_refresh_start(env, ids, 1, false, async_done, &seen, &err);
	ok(r && !seen.done, "a fresh account: start does not call done itself");
	loop_run_until(env->loop, &seen.done, NULL);
	ok(seen.calls == 1 && !seen.refreshed && strcmp(seen.message, "still valid") == 0,
	   "... done says \"still valid\" (%s)", seen.message);

	/* Cancelled before the answer: done is never called, the lock is free. */
	stub_control(env->loop, "{\"delay\": 300}");
	ids[0] = id;
	memset(&seen, 0, sizeof(seen));
	r = lifecycle_refresh_start(env, ids, 1, true, async_done, &seen, &err);
	ok(r != NULL, "a forced asynchronous refresh starts");
	loop_add_timer(env->loop, 100, async_tick, &ticks);
	int before = ticks;
	while (ticks == before)
		loop_run_once(env->loop, -1, NULL);
	lifecycle_refresh_cancel(r);
	loop_add_timer(env->loop, 600, async_tick, &ticks);
	before = ticks;
	while (ticks == before)
		loop_run_once(env->loop, -1, NULL);
	ok(seen.calls == 0, "... cancelled in flight: done is never called");
	struct credential *cred = NULL;
	enum aiauth_status st = lifecycle_ensure_fresh(env, id, false, &cred, &err);
	ok(st == AIAUTH_OK, "... and the account's lock was released (%s)",
	   err ? err->message : "ok");
	CREDENTIAL_FREE(cred);
	error_clear(&err);
}

/* A long run does not keep its outcomes to the end: one at a time, with
 * 400 ms answers, the first account shows as refreshed in the account list
 * while the last is still waiting for its answer. */
struct mid_run {
	const char *first, *last;
	bool first_seen, last_seen_early;
	struct async_seen *seen;
	int timer;
	struct loop *loop;
};

static void mid_run_poll(void *ctx)
{
	struct mid_run *m = ctx;
	m->timer = 0;
	if (m->seen->done)
		return;
	struct account *a = stored_account(m->first);
	bool first_now =
	    a && a->last_refresh_outcome && strcmp(a->last_refresh_outcome, "refreshed") == 0;
	account_free(a);
	if (first_now && !m->first_seen) {
		/* The moment the first outcome shows: the last job, three 400 ms
		 * answers behind it, cannot have one yet. */
		m->first_seen = true;
		a = stored_account(m->last);
		m->last_seen_early = a && a->last_refresh_outcome;
		account_free(a);
	}
	if (!m->first_seen)
		m->timer = loop_add_timer(m->loop, 50, mid_run_poll, m);
}

static void test_records_during_run(struct lifecycle_env *env)
{
	enum { N = 4 };
	char ids[N][64];
	char *idp[N];
	stub_control(env->loop, "{\"delay\": 400}");
	for (int i = 0; i < N; i++) {
		char label[32], at[32], rt[32];
		snprintf(label, sizeof(label), "midrun %d", i);
		snprintf(at, sizeof(at), "at-midrun%d-0", i);
		snprintf(rt, sizeof(rt), "rt-midrun%d-0", i);
		add_account(env->secrets, label, at, rt, -10, ids[i]);
		idp[i] = ids[i];
	}
	struct lifecycle_env one = *env;
	one.max_jobs = 1;
	struct aiauth_error *err = NULL;
	struct async_seen seen = {0};
	struct mid_run m = {ids[0], ids[N - 1], false, false, &seen, 0, env->loop};
	struct lifecycle_refresh *r =
	    lifecycle_refresh_start(&one, idp, N, false, async_done, &seen, &err);
	ok(r != NULL, "a run of %d refreshes, one at a time, starts (%s)", N,
	   err ? err->message : "ok");
	m.timer = loop_add_timer(env->loop, 50, mid_run_poll, &m);
	if (r)
		loop_run_until(env->loop, &seen.done, NULL);
	if (m.timer)
		loop_cancel_timer(env->loop, m.timer);
	ok(seen.calls == 1 && seen.status == AIAUTH_OK && seen.n == N, "... it ends (%s)",
	   seen.message);
	ok(m.first_seen, "... the first outcome was in the account list before the run ended");
	ok(!m.last_seen_early, "... while the last one was not there yet");
	struct account *a = stored_account(ids[N - 1]);
	ok(a && a->last_refresh_outcome && strcmp(a->last_refresh_outcome, "refreshed") == 0,
	   "... and is there once the run has ended");
	account_free(a);
	error_clear(&err);
}

/* Another process holds an account's lock for about a second, then saves
 * the token it refreshed: refresh_many must wait for it and take that
 * token, while the other account goes ahead. */
static void test_locked(struct lifecycle_env *env)
{
	char locked_id[64], other_id[64];
	stub_control(env->loop, "{}");
	add_account(env->secrets, "locked", "at-lk-0", "rt-lk-0", -10, locked_id);
	add_account(env->secrets, "unlocked", "at-ul-0", "rt-ul-0", -10, other_id);
	char lock_path[700];
	snprintf(lock_path, sizeof(lock_path), "%s/locks", config_dir);
	fs_mkdir_private(lock_path, NULL);
	snprintf(lock_path, sizeof(lock_path), "%s/locks/%s.lock", config_dir, locked_id);

	int ready[2];
	if (pipe(ready) != 0)
		exit(99);
	pid_t pid = fork();
	if (pid < 0)
		exit(99);
	if (pid == 0) {
		close(ready[0]);
		int fd = -1;
		if (fs_lock(lock_path, true, &fd, NULL) != AIAUTH_OK)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		usleep(1000 * 1000);
		/* What a refresh in this process would have saved. */
		struct secretstore *ss = open_secrets();
		put_secret(ss, locked_id, "at-from-child", "rt-lk-1", 3600);
		secretstore_close(ss);
		fs_unlock(fd);
		_exit(0);
	}
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1)
		exit(99);
	close(ready[0]);

	char *ids[2] = {locked_id, other_id};
	struct lifecycle_outcome *out = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = lifecycle_refresh_many(env, ids, 2, false, &out, &err);
	waitpid(pid, NULL, 0);
	struct stub_stats s = stub_stats(env->loop);
	ok(st == AIAUTH_OK && out && out[0].status == AIAUTH_OK && !out[0].refreshed,
	   "a locked account is waited for, not refreshed again (%s)",
	   out && out[0].message ? out[0].message : "-");
	ok(stub_refreshes(&s, "lk") == 0 && s.invalid_grants == 0,
	   "... no request spent its refresh token");
	ok(out && out[1].status == AIAUTH_OK && out[1].refreshed && s.requests == 1,
	   "... the other account was refreshed meanwhile (%lld requests)", (long long)s.requests);
	char *at = stored_field(locked_id, "access_token");
	ok(strcmp(at, "at-from-child") == 0, "... the other process's token stands (%s)", at);
	free(at);
	lifecycle_outcomes_free(out, 2);
	stub_stats_free(&s);
	error_clear(&err);

	/* The same with ensure_fresh and force: the secret changed while it
	 * waited, so the new token is used even though a refresh was asked
	 * for. */
	stub_control(env->loop, "{}");
	add_account(env->secrets, "locked2", "at-lk2-0", "rt-lk2-0", -10, locked_id);
	snprintf(lock_path, sizeof(lock_path), "%s/locks/%s.lock", config_dir, locked_id);
	if (pipe(ready) != 0)
		exit(99);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		int fd = -1;
		if (fs_lock(lock_path, true, &fd, NULL) != AIAUTH_OK)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		usleep(500 * 1000);
		struct secretstore *ss = open_secrets();
		put_secret(ss, locked_id, "at-from-child2", "rt-lk2-1", 3600);
		secretstore_close(ss);
		fs_unlock(fd);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		exit(99);
	close(ready[0]);
	struct credential *cred = NULL;
	st = lifecycle_ensure_fresh(env, locked_id, true, &cred, &err);
	waitpid(pid, NULL, 0);
	s = stub_stats(env->loop);
	ok(st == AIAUTH_OK && strcmp(field(cred, "access_token"), "at-from-child2") == 0 &&
	       s.requests == 0,
	   "forced, but refreshed by another process while waiting: its token, no request");
	CREDENTIAL_FREE(cred);
	stub_stats_free(&s);
	error_clear(&err);
}

static void test_api_key(struct lifecycle_env *env)
{
	struct add_ctx ac = {"key", ACCOUNT_API_KEY, ""};
	store_update(config_dir, add_cb, &ac, NULL);
	struct credential *c = credential_new();
	credential_set_str(c, "api_key", "sk-plain");
	struct secret *blob = NULL;
	credential_to_blob(c, &blob, NULL);
	struct secret_meta meta = {"stub", "Stub AI", "key", "api_key"};
	secretstore_put(env->secrets, ac.id, &meta, blob, NULL);
	secret_free(blob);
	credential_free(c);
	struct credential *cred = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = lifecycle_ensure_fresh(env, ac.id, true, &cred, &err);
	ok(st == AIAUTH_OK && strcmp(field(cred, "api_key"), "sk-plain") == 0,
	   "an API-key account is handed out as it is, even forced");
	CREDENTIAL_FREE(cred);
	error_clear(&err);
	st = lifecycle_ensure_fresh(env, "0123456789abcdef0123456789abcdef", false, &cred, &err);
	ok(st == AIAUTH_NOT_FOUND && err, "an unknown account id -> NOT_FOUND");
	error_clear(&err);
}

int main(void)
{
	test_is_fresh();

	const char *dir = tap_tmpdir();
	char path[600];
	snprintf(path, sizeof(path), "%s/config", dir);
	setenv("XDG_CONFIG_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/data", dir);
	setenv("XDG_DATA_HOME", path, 1);
	snprintf(config_dir, sizeof(config_dir), "%s/config/aiauth", dir);
	snprintf(vault_path, sizeof(vault_path), "%s/data/aiauth/vault.bin", dir);
	if (fs_mkdir_private(config_dir, NULL) != AIAUTH_OK)
		return 99;

	if (!start_stub()) {
		skip("node or the token stub is not available", "lifecycle against the token stub");
		return done_testing();
	}
	if (http_global_init(NULL) != AIAUTH_OK)
		return 99;
	make_vault();
	load_registry();
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL) != AIAUTH_OK)
		return 99;
	struct lifecycle_env env = {loop, reg, open_secrets(), config_dir, 0};

	test_fresh_and_expiring(&env);
	test_twenty_processes(&env);
	test_invalid_grant(&env);
	test_retries(&env);
	test_many(&env);
	test_many_limited(&env);
	test_async(&env);
	test_records_during_run(&env);
	test_locked(&env);
	test_api_key(&env);

	secretstore_close(env.secrets);
	loop_free(loop);
	free_registry();
	http_global_cleanup();
	stop_stub();
	return done_testing();
}
