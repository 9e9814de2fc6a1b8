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

#include "secretstore.h"
#include "secretstore_backend.h"
#include "tap.h"

#define VALUE1 "sk-TEST-do-not-leak-0001"
#define VALUE2 "sk-TEST-do-not-leak-0002"
#define VALUE3 "{\"access_token\":\"TEST-do-not-leak-0003\"}"
#define ID_A "aiauth-test-a"
#define ID_B "aiauth-test-b"

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
