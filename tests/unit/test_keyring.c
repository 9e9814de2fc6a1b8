/* test_keyring.c - the keyring backend, the probe and the backend choice,
 * against a real gnome-keyring.
 *
 * Run by tests/keyring_unit.sh, never directly: it sets the scene for each
 * mode and merges the TAP output.
 *   nobus      DBUS_SESSION_BUS_ADDRESS names a missing socket
 *   noservice  a private bus with nothing activatable on it
 *   keyring    a private gnome-keyring with an unlocked login collection
 *   locked     the same after keyring_lock */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "secretstore.h"
#include "secretstore_backend.h"
#include "tap.h"

#define VALUE1 "sk-TEST-do-not-leak-0001"
#define VALUE2 "sk-TEST-do-not-leak-0002"
#define VALUE3 "{\"access_token\":\"TEST-do-not-leak-0003\"}"
#define ID_A "aiauth-test-a"
#define ID_B "aiauth-test-b"
#define ID_C "aiauth-test-c"
#define ID_D "aiauth-test-d"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool contains(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

/* Probe with a 2 s timeout; check the outcome, the reason and the time. */
static void check_probe_fails(const char *what, const char *want_why)
{
	char *why = NULL;
	double t0 = now_s();
	enum aiauth_status st = secretstore_probe_keyring(2000, &why);
	double dt = now_s() - t0;
	ok(st == AIAUTH_BACKEND, "%s: the probe fails (status %d)", what, (int)st);
	ok(contains(why, want_why), "%s: the reason says '%s' (got '%s')", what, want_why,
	   why ? why : "(null)");
	ok(dt < 3.0, "%s: the probe returns within 3 s (%.2f s)", what, dt);
	free(why);
}

/* AUTO must not take the keyring.  With the real file backend it opens the
 * vault lazily; with no file backend the error still says why the file was
 * tried.  Either way the reason names the missing piece. */
static void check_auto_picks_file(const char *what, const char *want_why)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/vault-%s.bin", tap_tmpdir(), what);
	struct secretstore_options o = {.backend = SECRET_BACKEND_AUTO, .vault_path = dir};
	struct secretstore *ss = NULL;
	struct aiauth_error *err = NULL;
	char want[256];
	snprintf(want, sizeof(want), "%s; using the encrypted file instead", want_why);
	enum aiauth_status st = secretstore_open(&o, &ss, &err);
	if (st == AIAUTH_OK) {
		ok(secretstore_backend(ss) == SECRET_BACKEND_FILE, "%s: auto picks the file", what);
		ok(contains(secretstore_reason(ss), want), "%s: the reason is '%s' (got '%s')", what,
		   want, secretstore_reason(ss));
	} else {
		ok(ss == NULL, "%s: auto did not open the keyring", what);
		ok(err && contains(err->message, want), "%s: the file was tried because '%s' (got '%s')",
		   what, want, err ? err->message : "(none)");
	}
	secretstore_close(ss);
	error_clear(&err);
}

static void check_forced_keyring_fails(const char *what, const char *want_why)
{
	struct secretstore_options o = {.backend = SECRET_BACKEND_KEYRING,
	                                .reason = "chosen with --store keyring"};
	struct secretstore *ss = NULL;
	struct aiauth_error *err = NULL;
	char want[256];
	snprintf(want, sizeof(want), "the keyring is not available: %s", want_why);
	enum aiauth_status st = secretstore_open(&o, &ss, &err);
	ok(st == AIAUTH_BACKEND && ss == NULL, "%s: a forced keyring is refused", what);
	ok(err && contains(err->message, want), "%s: saying '%s' (got '%s')", what, want,
	   err ? err->message : "(none)");
	secretstore_close(ss);
	error_clear(&err);
}

/* A socket that accepts connections (the kernel's backlog) and never
 * speaks: the D-Bus handshake would wait forever without a deadline. */
static void check_silent_bus(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = sa.sun_path;
	int plen = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/silent-bus", tap_tmpdir());
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ready = plen > 0 && (size_t)plen < sizeof(sa.sun_path) && fd >= 0 &&
	             bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 8) == 0;
	ok(ready, "a silent bus socket is listening");
	char addr[320];
	snprintf(addr, sizeof(addr), "unix:path=%s", path);
	setenv("DBUS_SESSION_BUS_ADDRESS", addr, 1);
	char *why = NULL;
	double t0 = now_s();
	enum aiauth_status st = secretstore_probe_keyring(500, &why);
	double dt = now_s() - t0;
	ok(st == AIAUTH_BACKEND, "silent bus: the probe fails");
	ok(contains(why, "did not answer"), "silent bus: the reason says it did not answer (got '%s')",
	   why ? why : "(null)");
	ok(dt < 3.0, "silent bus: the probe gives up after its timeout (%.2f s)", dt);
	free(why);

	/* Without a timeout from the caller: AIAUTH_KEYRING_PROBE_MS, when it is
	 * a number from 100 to 60000, else 2 s. */
	static const struct {
		const char *value;
		const char *says;
	} envs[] = {{"700", "within 700 ms"}, {"99", "within 2000 ms"}, {"7x", "within 2000 ms"}};
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		setenv("AIAUTH_KEYRING_PROBE_MS", envs[i].value, 1);
		why = NULL;
		t0 = now_s();
		st = secretstore_probe_keyring(0, &why);
		dt = now_s() - t0;
		ok(st == AIAUTH_BACKEND && contains(why, envs[i].says),
		   "AIAUTH_KEYRING_PROBE_MS=%s: the probe says '%s' (got '%s', %.2f s)", envs[i].value,
		   envs[i].says, why ? why : "(null)", dt);
		free(why);
	}
	unsetenv("AIAUTH_KEYRING_PROBE_MS");
	if (fd >= 0)
		close(fd);
}

static void check_names(void)
{
	enum secret_backend b = SECRET_BACKEND_AUTO;
	ok(secret_backend_parse("file", &b) && b == SECRET_BACKEND_FILE, "'file' parses");
	ok(secret_backend_parse("keyring", &b) && b == SECRET_BACKEND_KEYRING, "'keyring' parses");
	ok(secret_backend_parse("auto", &b) && b == SECRET_BACKEND_AUTO, "'auto' parses");
	ok(!secret_backend_parse("plaintext", &b) && !secret_backend_parse(NULL, &b),
	   "other names do not parse");
	ok(strcmp(secret_backend_name(SECRET_BACKEND_FILE), "file") == 0 &&
	           strcmp(secret_backend_name(SECRET_BACKEND_KEYRING), "keyring") == 0 &&
	           strcmp(secret_backend_name(SECRET_BACKEND_AUTO), "auto") == 0,
	   "backend names round-trip");
}

static void mode_nobus(void)
{
	check_names();
	check_probe_fails("missing bus socket", "no session bus");
	check_auto_picks_file("nobus", "no session bus");
	check_forced_keyring_fails("missing bus socket", "no session bus");

	/* No address at all and no $XDG_RUNTIME_DIR/bus either. */
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	setenv("XDG_RUNTIME_DIR", "/nonexistent/aiauth-test-run", 1);
	check_probe_fails("no bus address", "no session bus");

	check_silent_bus();
}

static void mode_noservice(void)
{
	check_probe_fails("bus without a Secret Service", "no Secret Service on the session bus");
	check_auto_picks_file("noservice", "no Secret Service on the session bus");
	check_forced_keyring_fails("bus without a Secret Service",
	                           "no Secret Service on the session bus");
}

/* The items secret-tool sees for an account, as text; NULL on failure. */
static char *secret_tool_search(const char *id)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "secret-tool search --all account_id '%s' 2>&1", id);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	pclose(p);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* secret-tool starts each item with a line "[/<item number>]" on stdout
 * (the attributes go to stderr, hence 2>&1 and line-wise checks). */
static int count_items(const char *out)
{
	int n = 0;
	for (const char *line = out; line && *line;) {
		if (line[0] == '[' && line[1] == '/')
			n++;
		const char *end = strchr(line, '\n');
		line = end ? end + 1 : NULL;
	}
	return n;
}

/* Does any "attribute.* = ..." line contain the needle? */
static bool attributes_contain(const char *out, const char *needle)
{
	const char *line = out;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (strncmp(line, "attribute.", 10) == 0) {
			char tmp[1024];
			snprintf(tmp, sizeof(tmp), "%.*s", (int)len, line);
			if (strstr(tmp, needle))
				return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

static bool get_equals(struct secretstore *ss, const char *id, const char *want)
{
	struct secret *s = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = secretstore_get(ss, id, &s, &err);
	bool same = st == AIAUTH_OK && s && s->len == strlen(want) && memcmp(s->buf, want, s->len) == 0;
	if (!same)
		diag("get %s: status %d, %s", id, (int)st, err ? err->message : "no error");
	SECRET_FREE(s);
	error_clear(&err);
	return same;
}

static enum aiauth_status put_str(struct secretstore *ss, const char *id,
                                  const struct secret_meta *meta, const char *value)
{
	struct secret *s = secret_from_str(value);
	struct aiauth_error *err = NULL;
	enum aiauth_status st = secretstore_put(ss, id, meta, s, &err);
	if (st != AIAUTH_OK)
		diag("put %s: %s", id, err ? err->message : "no error");
	SECRET_FREE(s);
	error_clear(&err);
	return st;
}


/* ------------------------------------------------------- started puts */

struct put_seen {
	int calls;
	enum aiauth_status status;
	char message[sizeof(((struct aiauth_error *)0)->message)];
	bool done;
};

static void put_done(void *ctx, enum aiauth_status status, struct aiauth_error **err)
{
	struct put_seen *seen = ctx;
	seen->calls++;
	seen->status = status;
	snprintf(seen->message, sizeof(seen->message), "%s", *err ? (*err)->message : "");
	seen->done = true;
}

static void tick(void *ctx)
{
	(*(int *)ctx)++;
}

/* A started put of an item that exists returns before the keyring has
 * written it, tells its end once from the loop, lets reads go on meanwhile;
 * one of a new item ends at once but is still told from the loop; an
 * abandoned one is written all the same, without telling. */
static void check_started_puts(struct secretstore *ss)
{
	struct loop *loop = NULL;
	if (!ok(loop_new(&loop, NULL) == AIAUTH_OK, "a loop for started puts"))
		return;
	const struct secret_meta meta = {.provider = "openai",
	                                 .provider_name = "OpenAI",
	                                 .label = "started",
	                                 .kind = "oauth"};
	struct aiauth_error *err = NULL;
	struct secretstore_put_op *op = NULL;
	struct put_seen seen = {0};
	struct secret *v = secret_from_str(VALUE1);

	/* A new item: CreateItem, done at once, told from the loop. */
	enum aiauth_status st =
	    secretstore_put_start(ss, loop, ID_D, &meta, v, put_done, &seen, &op, &err);
	ok(st == AIAUTH_OK && op && seen.calls == 0,
	   "a started put of a new item does not call done from the start (%s)",
	   err ? err->message : "ok");
	loop_run_until(loop, &seen.done, NULL);
	ok(seen.calls == 1 && seen.status == AIAUTH_OK, "... done comes once from the loop (%s)",
	   seen.message);
	ok(get_equals(ss, ID_D, VALUE1), "... and the item holds the value");
	SECRET_FREE(v);

	/* The same item again: SetSecret in flight while the caller reads. */
	memset(&seen, 0, sizeof(seen));
	v = secret_from_str(VALUE2);
	st = secretstore_put_start(ss, loop, ID_D, &meta, v, put_done, &seen, &op, &err);
	SECRET_FREE(v); /* the store copied it */
	ok(st == AIAUTH_OK && op && seen.calls == 0, "a started put over it returns at once (%s)",
	   err ? err->message : "ok");
	ok(get_equals(ss, ID_B, VALUE1), "... another account reads while it is in flight");
	int ticks = 0;
	loop_add_timer(loop, 0, tick, &ticks);
	loop_run_until(loop, &seen.done, NULL);
	ok(seen.calls == 1 && seen.status == AIAUTH_OK, "... done comes once from the loop (%s)",
	   seen.message);
	ok(get_equals(ss, ID_D, VALUE2), "... the item holds the new value");
	char *out = secret_tool_search(ID_D);
	ok(count_items(out) == 1 && contains(out, "label = aiauth: OpenAI (started)\n"),
	   "... in the one item, its label kept");
	free(out);

	/* Abandoned in flight: written, not told. */
	memset(&seen, 0, sizeof(seen));
	v = secret_from_str(VALUE3);
	st = secretstore_put_start(ss, loop, ID_D, &meta, v, put_done, &seen, &op, &err);
	SECRET_FREE(v);
	ok(st == AIAUTH_OK && op, "another started put");
	secretstore_put_abandon(op);
	ok(get_equals(ss, ID_D, VALUE3), "... abandoned, it is written all the same");
	loop_add_timer(loop, 50, tick, &ticks);
	int before = ticks;
	while (ticks == before)
		loop_run_once(loop, -1, NULL);
	ok(seen.calls == 0, "... and done is never called");

	/* Many at once, as refresh --all starts them. */
	enum { MANY = 8 };
	struct put_seen many[MANY];
	memset(many, 0, sizeof(many));
	char ids[MANY][48];
	for (int i = 0; i < MANY; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s-%d", ID_D, i);
		v = secret_from_str(VALUE1);
		ok(secretstore_put(ss, ids[i], &meta, v, &err) == AIAUTH_OK, "item %d stored", i);
		SECRET_FREE(v);
	}
	for (int i = 0; i < MANY; i++) {
		v = secret_from_str(i % 2 ? VALUE2 : VALUE3);
		st = secretstore_put_start(ss, loop, ids[i], &meta, v, put_done, &many[i], &op, &err);
		SECRET_FREE(v);
		if (st != AIAUTH_OK)
			many[i].done = true;
	}
	int told = 0, right = 0;
	for (int i = 0; i < MANY; i++) {
		loop_run_until(loop, &many[i].done, NULL);
		told += many[i].calls == 1 && many[i].status == AIAUTH_OK;
		right += get_equals(ss, ids[i], i % 2 ? VALUE2 : VALUE3);
	}
	ok(told == MANY && right == MANY,
	   "%d started puts at once: each told once (%d), each written (%d)", MANY, told, right);
	for (int i = 0; i < MANY; i++)
		secretstore_delete(ss, ids[i], NULL);
	ok(secretstore_delete(ss, ID_D, &err) == AIAUTH_OK, "the started puts' item is deleted");
	error_clear(&err);
	loop_free(loop);
}

static void mode_keyring(void)
{
	char *why = NULL;
	double t0 = now_s();
	enum aiauth_status st = secretstore_probe_keyring(5000, &why);
	double dt = now_s() - t0;
	ok(st == AIAUTH_OK, "the probe finds the keyring (%s)", why ? why : "no reason");
	ok(why == NULL, "an OK probe gives no reason");
	ok(dt < 3.0, "the probe answers quickly (%.2f s)", dt);
	free(why);

	struct secretstore_options forced = {.backend = SECRET_BACKEND_KEYRING,
	                                     .reason = "chosen with --store keyring"};
	struct secretstore *ss = NULL;
	struct aiauth_error *err = NULL;
	st = secretstore_open(&forced, &ss, &err);
	ok(st == AIAUTH_OK && ss && secretstore_backend(ss) == SECRET_BACKEND_KEYRING,
	   "a forced keyring opens");
	ok(ss && strcmp(secretstore_reason(ss), "chosen with --store keyring") == 0,
	   "a forced backend keeps the caller's reason");
	secretstore_close(ss);
	ss = NULL;
	error_clear(&err);

	struct secretstore_options autoo = {.backend = SECRET_BACKEND_AUTO};
	st = secretstore_open(&autoo, &ss, &err);
	if (!ok(st == AIAUTH_OK && ss, "auto opens a store")) {
		diag("%s", err ? err->message : "no error");
		error_clear(&err);
		return;
	}
	ok(secretstore_backend(ss) == SECRET_BACKEND_KEYRING, "auto picks the keyring");
	ok(strcmp(secretstore_reason(ss), "a Secret Service answered on the session bus") == 0,
	   "auto says why: %s", secretstore_reason(ss));
	ok(strcmp(secretstore_location(ss), "the default keyring collection") == 0,
	   "the location is the default collection: %s", secretstore_location(ss));

	const struct secret_meta meta_a = {.provider = "openai",
	                                   .provider_name = "OpenAI",
	                                   .label = "work",
	                                   .kind = "api_key"};
	ok(put_str(ss, ID_A, &meta_a, VALUE1) == AIAUTH_OK, "put stores a secret");
	ok(get_equals(ss, ID_A, VALUE1), "get returns what put stored");

	char *out = secret_tool_search(ID_A);
	ok(count_items(out) == 1, "secret-tool sees one item for the account");
	ok(contains(out, "label = aiauth: OpenAI (work)"), "its label names provider and account");
	ok(contains(out, "schema = org.aiauth.Credential"), "it has aiauth's schema");
	ok(contains(out, "attribute.provider = openai"), "it has the provider attribute");
	ok(contains(out, "attribute.kind = api_key"), "it has the kind attribute");
	ok(contains(out, "attribute.account_id = " ID_A), "it has the account_id attribute");
	/* The secret is in secret-tool's output (as "secret = "), so the check
	 * below looks at the right text. */
	ok(contains(out, VALUE1), "secret-tool reads the secret as the item's value");
	ok(!attributes_contain(out, "do-not-leak"), "no attribute holds the secret");
	free(out);

	ok(put_str(ss, ID_A, &meta_a, VALUE2) == AIAUTH_OK, "a second put succeeds");
	ok(get_equals(ss, ID_A, VALUE2), "the second put overwrote the value");
	out = secret_tool_search(ID_A);
	ok(count_items(out) == 1, "still one item after the overwrite");
	free(out);

	/* A rename changes the label: the item is relabelled, not doubled. */
	const struct secret_meta meta_a_renamed = {.provider = "openai",
	                                           .provider_name = "OpenAI",
	                                           .label = "renamed",
	                                           .kind = "api_key"};
	ok(put_str(ss, ID_A, &meta_a_renamed, VALUE1) == AIAUTH_OK, "a put with a new label succeeds");
	ok(get_equals(ss, ID_A, VALUE1), "get returns its value");
	out = secret_tool_search(ID_A);
	ok(count_items(out) == 1 && contains(out, "label = aiauth: OpenAI (renamed)\n"),
	   "the one item has the new label");
	free(out);
	ok(put_str(ss, ID_A, &meta_a, VALUE2) == AIAUTH_OK && get_equals(ss, ID_A, VALUE2),
	   "and back");

	/* An item outside the default collection (gnome-keyring's in-memory
	 * "session" one) with exactly our attributes and label gets the new
	 * secret in place: a second item in the default collection would make
	 * get depend on the order of a search. */
	ok(system("printf %s '" VALUE1 "' | secret-tool store --collection=session "
	          "--label='aiauth: OpenAI (elsewhere)' xdg:schema org.aiauth.Credential "
	          "account_id " ID_C " provider openai kind api_key") == 0,
	   "secret-tool stores an item in the session collection");
	const struct secret_meta meta_c = {.provider = "openai",
	                                   .provider_name = "OpenAI",
	                                   .label = "elsewhere",
	                                   .kind = "api_key"};
	ok(put_str(ss, ID_C, &meta_c, VALUE2) == AIAUTH_OK, "put over it succeeds");
	ok(get_equals(ss, ID_C, VALUE2), "get returns the new value");
	out = secret_tool_search(ID_C);
	ok(count_items(out) == 1 && contains(out, VALUE2),
	   "the one item, in the session collection, holds it");
	if (out && count_items(out) != 1)
		diag("%s", out);
	free(out);
	ok(secretstore_delete(ss, ID_C, &err) == AIAUTH_OK, "delete removes it");
	error_clear(&err);

	const struct secret_meta meta_a2 = {.provider = "openai",
	                                    .provider_name = "OpenAI",
	                                    .label = "work",
	                                    .kind = "oauth"};
	ok(put_str(ss, ID_A, &meta_a2, VALUE3) == AIAUTH_OK, "a put with another kind succeeds");
	ok(get_equals(ss, ID_A, VALUE3), "get returns the newest value");
	out = secret_tool_search(ID_A);
	ok(count_items(out) == 1 && contains(out, "attribute.kind = oauth"),
	   "the old item of another kind is gone");
	free(out);

	const struct secret_meta meta_b = {.provider = "anthropic",
	                                   .provider_name = "Anthropic",
	                                   .kind = "api_key"};
	ok(put_str(ss, ID_B, &meta_b, VALUE1) == AIAUTH_OK, "put stores a second account");
	out = secret_tool_search(ID_B);
	ok(contains(out, "label = aiauth: Anthropic\n"), "without a label the item says the provider");
	free(out);

	char **ids = NULL;
	size_t n = 0;
	st = secretstore_list(ss, &ids, &n, &err);
	bool has_a = false, has_b = false;
	for (size_t i = 0; i < n; i++) {
		has_a = has_a || strcmp(ids[i], ID_A) == 0;
		has_b = has_b || strcmp(ids[i], ID_B) == 0;
	}
	ok(st == AIAUTH_OK && n == 2 && has_a && has_b, "list returns both account ids (n=%zu)", n);
	secretstore_free_ids(ids, n);
	error_clear(&err);

	struct secret *s = NULL;
	st = secretstore_get(ss, "aiauth-test-missing", &s, &err);
	ok(st == AIAUTH_NOT_FOUND && s == NULL, "get of an unknown account is NOT_FOUND");
	ok(err && strcmp(err->message, "no secret is stored for account aiauth-test-missing") == 0,
	   "with a message naming the account (%s)", err ? err->message : "none");
	error_clear(&err);

	st = secretstore_delete(ss, ID_A, &err);
	ok(st == AIAUTH_OK, "delete succeeds");
	st = secretstore_get(ss, ID_A, &s, &err);
	ok(st == AIAUTH_NOT_FOUND, "the deleted secret is gone");
	error_clear(&err);
	out = secret_tool_search(ID_A);
	ok(out && count_items(out) == 0, "secret-tool no longer sees it");
	free(out);
	st = secretstore_delete(ss, ID_A, &err);
	ok(st == AIAUTH_OK && err == NULL, "deleting what is not there is not an error");
	error_clear(&err);

	st = secretstore_list(ss, &ids, &n, &err);
	ok(st == AIAUTH_OK && n == 1 && strcmp(ids[0], ID_B) == 0, "list follows the delete");
	secretstore_free_ids(ids, n);
	error_clear(&err);

	check_started_puts(ss);

	/* ID_B stays for the locked mode. */
	secretstore_close(ss);
}

static void mode_locked(void)
{
	check_probe_fails("locked keyring", "the keyring is locked");
	check_auto_picks_file("locked", "the keyring is locked");
	check_forced_keyring_fails("locked keyring", "the keyring is locked");

	/* Straight to the backend, as if the keyring was locked after the
	 * probe: no call may wait for an unlock prompt. */
	const struct secretstore_ops *ops = NULL;
	void *impl = NULL;
	struct aiauth_error *err = NULL;
	struct secretstore_options o = {0};
	enum aiauth_status st = keyring_backend_open(&o, &ops, &impl, &err);
	if (!ok(st == AIAUTH_OK, "the backend opens on a locked keyring")) {
		diag("%s", err ? err->message : "no error");
		error_clear(&err);
		return;
	}
	struct secret *s = NULL;
	double t0 = now_s();
	st = ops->get(impl, ID_B, &s, &err);
	double dt = now_s() - t0;
	ok(st == AIAUTH_BACKEND && s == NULL, "get from a locked keyring fails (status %d)", (int)st);
	ok(err && contains(err->message, "the keyring is locked"), "saying it is locked (%s)",
	   err ? err->message : "none");
	ok(dt < 3.0, "without waiting for a prompt (%.2f s)", dt);
	SECRET_FREE(s);
	error_clear(&err);

	struct secret *v = secret_from_str(VALUE2);
	const struct secret_meta meta = {.provider = "openai", .kind = "api_key"};
	t0 = now_s();
	st = ops->put(impl, ID_A, &meta, v, &err);
	dt = now_s() - t0;
	ok(st == AIAUTH_BACKEND, "put into a locked keyring fails");
	ok(err && contains(err->message, "the keyring is locked"), "saying it is locked (%s)",
	   err ? err->message : "none");
	ok(dt < 3.0, "without waiting for a prompt (%.2f s)", dt);
	SECRET_FREE(v);
	error_clear(&err);

	/* A started put over the locked item: no SetSecret on a locked item
	 * (it would prompt); it ends, from the loop, saying why. */
	struct loop *loop = NULL;
	void *handle = NULL;
	struct put_seen seen = {0};
	v = secret_from_str(VALUE2);
	const struct secret_meta meta_b = {.provider = "anthropic",
	                                   .provider_name = "Anthropic",
	                                   .kind = "api_key"};
	if (loop_new(&loop, NULL) == AIAUTH_OK) {
		t0 = now_s();
		st = ops->put_start(impl, loop, ID_B, &meta_b, v, put_done, &seen, &handle, &err);
		ok(st == AIAUTH_OK && handle && seen.calls == 0,
		   "a started put over a locked item starts (status %d)", (int)st);
		if (handle)
			loop_run_until(loop, &seen.done, NULL);
		dt = now_s() - t0;
		ok(seen.calls == 1 && seen.status == AIAUTH_BACKEND &&
		       contains(seen.message, "the keyring is locked"),
		   "... and fails, saying it is locked (%s)", seen.message);
		ok(dt < 3.0, "without waiting for a prompt (%.2f s)", dt);
		loop_free(loop);
	}
	SECRET_FREE(v);
	error_clear(&err);
	ops->close(impl);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "nobus") == 0)
		mode_nobus();
	else if (strcmp(mode, "noservice") == 0)
		mode_noservice();
	else if (strcmp(mode, "keyring") == 0)
		mode_keyring();
	else if (strcmp(mode, "locked") == 0)
		mode_locked();
	else
		ok(0, "usage: test_keyring nobus|noservice|keyring|locked (got '%s')", mode);
	return done_testing();
}
