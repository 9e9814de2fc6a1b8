/* test_store.c - the account store: the rules of SPEC §3, the resolution
 * order, the file format, and the file's safety under damage, newer schemas,
 * concurrent writers and a writer killed half way. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "store.h"
#include "tap.h"

/* ------------------------------------------------------------ helpers */

static bool str_eq_safe(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static struct account tmpl(const char *provider, enum account_kind kind, const char *label,
                           const char *email)
{
	struct account a = {0};
	a.provider = (char *)provider;
	a.kind = kind;
	a.label = (char *)label;
	a.email = (char *)email;
	return a;
}

/* Add and return a copy of the new id (the account pointer moves with the
 * next add). */
static char *add(struct store *s, const char *provider, enum account_kind kind,
                 const char *label)
{
	struct account t = tmpl(provider, kind, label, NULL);
	struct account *a = NULL;
	struct aiauth_error *err = NULL;
	if (store_add(s, &t, &a, &err) != AIAUTH_OK) {
		diag("store_add %s/%s: %s", provider, label ? label : "(null)",
		     err ? err->message : "?");
		error_clear(&err);
		return strdup("(failed)");
	}
	return strdup(a->id);
}

static bool msg_has(const struct aiauth_error *err, const char *needle)
{
	if (!err) {
		diag("no error message");
		return false;
	}
	if (!strstr(err->message, needle)) {
		diag("message \"%s\" lacks \"%s\"", err->message, needle);
		return false;
	}
	return true;
}

/* Equal strings, or both NULL. */
static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || str_eq_safe(a, b);
}

static char *scratch(const char *name)
{
	return path_join(tap_tmpdir(), name);
}

static char *read_file(const char *path, size_t *len)
{
	char *data = NULL;
	if (fs_read_all(path, 1 << 24, &data, len, NULL) != AIAUTH_OK)
		return NULL;
	return data;
}

/* Number of entries of `dir` whose name starts with `prefix`; *other counts
 * the names that are neither accounts.json nor accounts.lock. */
static int count_entries(const char *dir, const char *prefix, int *other)
{
	int n = 0;
	if (other)
		*other = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
		if (other && strcmp(e->d_name, "accounts.json") != 0 &&
		    strcmp(e->d_name, "accounts.lock") != 0)
			(*other)++;
	}
	closedir(d);
	return n;
}

static char *find_entry(const char *dir, const char *prefix)
{
	char *found = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (!found && strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			found = path_join(dir, e->d_name);
	closedir(d);
	return found;
}

static bool write_raw(const char *dir, const char *text)
{
	if (fs_mkdir_private(dir, NULL) != AIAUTH_OK)
		return false;
	char *p = path_join(dir, "accounts.json");
	bool ok = fs_write_atomic(p, text, strlen(text), 0600, NULL) == AIAUTH_OK;
	free(p);
	return ok;
}

/* ------------------------------------------------------------ names */

static void test_names(void)
{
	enum account_kind k = ACCOUNT_NONE;
	ok(account_kind_parse("api_key", &k) && k == ACCOUNT_API_KEY, "kind api_key parses");
	ok(account_kind_parse("oauth", &k) && k == ACCOUNT_OAUTH, "kind oauth parses");
	ok(account_kind_parse("none", &k) && k == ACCOUNT_NONE, "kind none parses");
	ok(!account_kind_parse("OAuth", &k) && !account_kind_parse(NULL, &k),
	   "unknown kinds are refused");
	ok(strcmp(account_kind_name(ACCOUNT_API_KEY), "api_key") == 0 &&
	       strcmp(account_status_name(ACCOUNT_STATUS_NEEDS_SIGNIN), "needs_signin") == 0 &&
	       strcmp(account_status_name(ACCOUNT_STATUS_REFRESH_FAILED), "refresh_failed") == 0,
	   "kind and status names are the file's words");
}

/* The state in words, as the list and the screens show it. */
static void test_status_text(void)
{
	const int64_t now = 1800000000;
	struct {
		enum account_kind kind;
		enum account_status status;
		int64_t expires_in; /* 0: no expiry */
		const char *words;
		enum account_urgency urgency;
	} cases[] = {
		{ACCOUNT_API_KEY, ACCOUNT_STATUS_OK, 0, "ready", ACCOUNT_FINE},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, 0, "ready", ACCOUNT_FINE},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, -5, "expired", ACCOUNT_WARN},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, 30, "expires in 1 min", ACCOUNT_WARN},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, 299, "expires in 5 min", ACCOUNT_WARN},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, 301, "expires in 6 min", ACCOUNT_FINE},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, 3600, "expires in 60 min", ACCOUNT_FINE},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, 7200, "expires in 2 h", ACCOUNT_FINE},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_OK, 3 * 86400, "expires in 3 d", ACCOUNT_FINE},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_REFRESH_FAILED, 3600, "refresh failed", ACCOUNT_WARN},
		{ACCOUNT_OAUTH, ACCOUNT_STATUS_NEEDS_SIGNIN, 3600, "needs sign-in", ACCOUNT_ALARM},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct account a = {.kind = cases[i].kind, .status = cases[i].status};
		a.expires_at = cases[i].expires_in ? now + cases[i].expires_in : 0;
		char buf[64] = "";
		enum account_urgency u = account_status_text(&a, now, 300, buf, sizeof(buf));
		ok(strcmp(buf, cases[i].words) == 0 && u == cases[i].urgency,
		   "status words: \"%s\" (urgency %d), want \"%s\" (%d)", buf, (int)u, cases[i].words,
		   (int)cases[i].urgency);
	}
	struct account m = {.kind = ACCOUNT_OAUTH, .method = "device"};
	struct account k = {.kind = ACCOUNT_API_KEY};
	ok(strcmp(account_method_text(&m), "device") == 0 &&
	       strcmp(account_method_text(&k), "api_key") == 0,
	   "the method, else the kind");
}

/* ------------------------------------------------------------ add, labels */

static bool is_hex_id(const char *id)
{
	if (strlen(id) != 32)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static void test_add_and_labels(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	struct account *a = NULL;
	time_t before = time(NULL);

	struct account t = tmpl("claude", ACCOUNT_OAUTH, NULL, "ann@example.com");
	t.method = "browser";
	ok(store_add(s, &t, &a, &err) == AIAUTH_OK, "add an OAuth account");
	ok(a && is_hex_id(a->id), "the id is 32 lowercase hex characters");
	ok(a && strcmp(a->label, "ann@example.com") == 0, "the default label is the email");
	ok(a && a->created >= before && a->created <= time(NULL) + 1, "created is now");
	ok(a && strcmp(a->method, "browser") == 0 && a->kind == ACCOUNT_OAUTH,
	   "method and kind are copied");
	ok(s->dirty, "adding marks the store dirty");
	char *first = strdup(a->id);
	ok(str_eq_safe(store_active_id(s, "claude"), first),
	   "the first account of a provider becomes active");

	ok(store_add(s, &t, &a, &err) == AIAUTH_OK && strcmp(a->label, "ann@example.com (2)") == 0,
	   "a second account with the same email is labelled \"(2)\"");
	ok(store_add(s, &t, &a, &err) == AIAUTH_OK && strcmp(a->label, "ann@example.com (3)") == 0,
	   "and a third \"(3)\"");
	ok(strcmp(a->id, first) != 0, "ids differ");
	ok(str_eq_safe(store_active_id(s, "claude"), first), "later accounts do not become active");

	char date[32], want[64];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	snprintf(want, sizeof(want), "openai %s", date);
	struct account k = tmpl("openai", ACCOUNT_API_KEY, NULL, NULL);
	ok(store_add(s, &k, &a, &err) == AIAUTH_OK && strcmp(a->label, want) == 0,
	   "without an email the label is \"provider YYYY-MM-DD\" (%s)", a ? a->label : "");
	ok(strcmp(a->method, "api_key") == 0, "an API-key account's method defaults to api_key");
	snprintf(want, sizeof(want), "openai %s (2)", date);
	ok(store_add(s, &k, &a, &err) == AIAUTH_OK && strcmp(a->label, want) == 0,
	   "the date label is made unique too");

	struct account l = tmpl("openai", ACCOUNT_API_KEY, "work", NULL);
	ok(store_add(s, &l, &a, &err) == AIAUTH_OK && strcmp(a->label, "work") == 0,
	   "an explicit label is used");
	size_t n = s->n_accounts;
	s->dirty = false;
	ok(store_add(s, &l, &a, &err) == AIAUTH_USAGE, "a taken explicit label is refused");
	ok(msg_has(err, "an account labelled \"work\" already exists for openai"),
	   "with a message naming label and provider");
	ok(s->n_accounts == n && !s->dirty, "and nothing is added");
	error_clear(&err);
	struct account l2 = tmpl("claude", ACCOUNT_OAUTH, "work", NULL);
	ok(store_add(s, &l2, &a, &err) == AIAUTH_OK, "the same label is fine for another provider");
	struct account l3 = tmpl("openai", ACCOUNT_API_KEY, "Work", NULL);
	ok(store_add(s, &l3, &a, &err) == AIAUTH_OK, "labels are case-sensitive");

	/* Label validity. */
	char long_label[202];
	memset(long_label, 'x', 201);
	long_label[201] = '\0';
	struct account bad = tmpl("openai", ACCOUNT_API_KEY, long_label, NULL);
	ok(store_add(s, &bad, &a, &err) == AIAUTH_USAGE && msg_has(err, "200"),
	   "a 201-byte label is refused");
	error_clear(&err);
	long_label[200] = '\0';
	bad.label = long_label;
	ok(store_add(s, &bad, &a, &err) == AIAUTH_OK, "a 200-byte label is accepted");
	const char *invalid[] = {"", "tab\there", "new\nline", "esc\x1b[31m", "del\x7f",
	                         "c1\xc2\x9b", "bad\xff utf8", "over\xc0\xafong"};
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		bad.label = (char *)invalid[i];
		ok(store_add(s, &bad, &a, &err) == AIAUTH_USAGE && err && err->message[0],
		   "label %zu (empty, control character or not UTF-8) is refused", i);
		error_clear(&err);
	}
	bad.label = "Ünïcödé ✓";
	ok(store_add(s, &bad, &a, &err) == AIAUTH_OK, "a UTF-8 label is accepted");

	/* An email that cannot be a label falls back to the date form. */
	struct account e = tmpl("gemini", ACCOUNT_OAUTH, NULL, "evil\x1b]0;x\x07@example.com");
	snprintf(want, sizeof(want), "gemini %s", date);
	ok(store_add(s, &e, &a, &err) == AIAUTH_OK && strcmp(a->label, want) == 0,
	   "an email with control characters is not used as the label");

	/* The pool rule applies on add too. */
	struct account rr = tmpl("openai", ACCOUNT_API_KEY, "rr", NULL);
	rr.round_robin = true;
	ok(store_add(s, &rr, &a, &err) == AIAUTH_USAGE && msg_has(err, "round robin"),
	   "an API-key account cannot be added into the pool");
	error_clear(&err);
	struct account np = tmpl(NULL, ACCOUNT_API_KEY, "x", NULL);
	ok(store_add(s, &np, &a, &err) == AIAUTH_USAGE, "an account needs a provider");
	error_clear(&err);

	free(first);
	store_free(s);
}

/* ------------------------------------------------------------ rename, active, remove */

static void test_rename(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	char *a = add(s, "claude", ACCOUNT_OAUTH, "one");
	char *b = add(s, "claude", ACCOUNT_OAUTH, "two");
	char *c = add(s, "openai", ACCOUNT_API_KEY, "three");

	s->dirty = false;
	ok(store_rename(s, a, "uno", &err) == AIAUTH_OK &&
	       strcmp(store_find_id(s, a)->label, "uno") == 0,
	   "rename changes the label");
	ok(s->dirty, "and marks the store dirty");
	s->dirty = false;
	ok(store_rename(s, a, "uno", &err) == AIAUTH_OK && !s->dirty,
	   "renaming to the same label changes nothing");
	ok(store_rename(s, b, "uno", &err) == AIAUTH_USAGE &&
	       msg_has(err, "an account labelled \"uno\" already exists for claude"),
	   "rename to a label taken in the provider is refused");
	ok(strcmp(store_find_id(s, b)->label, "two") == 0 && !s->dirty, "and leaves the label");
	error_clear(&err);
	ok(store_rename(s, c, "uno", &err) == AIAUTH_OK, "a label of another provider is free");
	ok(store_rename(s, c, "", &err) == AIAUTH_USAGE, "rename to an empty label is refused");
	error_clear(&err);
	ok(store_rename(s, c, "a\nb", &err) == AIAUTH_USAGE,
	   "rename to a label with a control character is refused");
	error_clear(&err);
	ok(store_rename(s, "0123456789abcdef0123456789abcdef", "x", &err) == AIAUTH_NOT_FOUND,
	   "rename of an unknown id is not found");
	error_clear(&err);
	free(a), free(b), free(c);
	store_free(s);
}

static void test_active(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	char *a = add(s, "claude", ACCOUNT_OAUTH, "a");
	char *b = add(s, "claude", ACCOUNT_OAUTH, "b");
	char *c = add(s, "openai", ACCOUNT_API_KEY, "c");

	ok(str_eq_safe(store_active_id(s, "claude"), a) && str_eq_safe(store_active_id(s, "openai"), c),
	   "each provider's first account is active");
	ok(store_active_id(s, "gemini") == NULL, "a provider without accounts has none");
	s->dirty = false;
	ok(store_set_active(s, "claude", b, &err) == AIAUTH_OK &&
	       str_eq_safe(store_active_id(s, "claude"), b) && s->dirty,
	   "the active mark can be moved");
	ok(store_set_active(s, "claude", c, &err) == AIAUTH_NOT_FOUND &&
	       msg_has(err, "for provider claude"),
	   "an account of another provider cannot be made active");
	ok(str_eq_safe(store_active_id(s, "claude"), b), "and the mark stays");
	error_clear(&err);
	ok(store_set_active(s, NULL, a, &err) == AIAUTH_OK &&
	       str_eq_safe(store_active_id(s, "claude"), a),
	   "with no provider named, the account's own provider is used");
	s->dirty = false;
	ok(store_set_active(s, "claude", NULL, &err) == AIAUTH_OK &&
	       store_active_id(s, "claude") == NULL && s->dirty,
	   "the active mark can be cleared");
	s->dirty = false;
	ok(store_set_active(s, "claude", NULL, &err) == AIAUTH_OK && !s->dirty,
	   "clearing it again changes nothing");

	/* An account added while the provider has accounts but none active does
	 * not become active: the user cleared the mark on purpose. */
	char *d = add(s, "claude", ACCOUNT_OAUTH, "d");
	ok(store_active_id(s, "claude") == NULL, "a later account does not take a cleared mark");
	free(a), free(b), free(c), free(d);
	store_free(s);
}

static void test_remove(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	struct account *acc = NULL;
	char *a = add(s, "claude", ACCOUNT_OAUTH, "a");
	char *b = add(s, "claude", ACCOUNT_OAUTH, "b");
	char *c = add(s, "claude", ACCOUNT_OAUTH, "c");
	store_set_round_robin(s, a, true, NULL);
	store_set_round_robin(s, b, true, NULL);
	store_set_round_robin(s, c, true, NULL);
	store_set_active(s, "claude", NULL, NULL);
	store_resolve(s, "claude", NULL, &acc, NULL); /* serves a */
	store_resolve(s, "claude", NULL, &acc, NULL); /* serves b */
	store_set_active(s, "claude", b, NULL);

	s->dirty = false;
	ok(store_remove(s, b, &err) == AIAUTH_OK && s->dirty, "remove the active account");
	ok(store_find_id(s, b) == NULL && s->n_accounts == 2, "it is gone");
	ok(store_active_id(s, "claude") == NULL, "removing the active account leaves none active");
	ok(s->n_providers == 1 && s->providers[0].rr_last == NULL,
	   "the pool cursor that named it is cleared");
	ok(store_resolve(s, "claude", NULL, &acc, &err) == AIAUTH_OK && strcmp(acc->id, a) == 0,
	   "rr_last pointed at it, so the pool starts again at its first member");
	ok(strcmp(s->accounts[0].id, a) == 0 && strcmp(s->accounts[1].id, c) == 0,
	   "the other accounts keep their order");

	store_set_active(s, "claude", c, NULL);
	ok(store_remove(s, a, &err) == AIAUTH_OK && str_eq_safe(store_active_id(s, "claude"), c),
	   "removing another account keeps the active mark");
	ok(store_remove(s, a, &err) == AIAUTH_NOT_FOUND, "removing it again is not found");
	error_clear(&err);
	char *d = add(s, "claude", ACCOUNT_OAUTH, "d");
	ok(store_active_id(s, "claude") != NULL && str_eq_safe(store_active_id(s, "claude"), c),
	   "adding after a remove does not move the mark");
	free(a), free(b), free(c), free(d);
	store_free(s);
}

static void test_round_robin_rule(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	char *k = add(s, "openai", ACCOUNT_API_KEY, "key");
	char *n = add(s, "ollama", ACCOUNT_NONE, "local");
	char *o = add(s, "openai", ACCOUNT_OAUTH, "plan");

	s->dirty = false;
	ok(store_set_round_robin(s, k, true, &err) == AIAUTH_USAGE, "an API-key account is refused");
	ok(msg_has(err, "round robin is for OAuth accounts; key is an API-key account"),
	   "with the reason");
	ok(!store_find_id(s, k)->round_robin && !s->dirty, "and stays out of the pool");
	error_clear(&err);
	ok(store_set_round_robin(s, n, true, &err) == AIAUTH_USAGE &&
	       msg_has(err, "round robin is for OAuth accounts"),
	   "a keyless account is refused");
	error_clear(&err);
	ok(store_set_round_robin(s, k, false, &err) == AIAUTH_OK && !s->dirty,
	   "taking a key account out of the pool is a harmless no-op");
	ok(store_set_round_robin(s, o, true, &err) == AIAUTH_OK && store_find_id(s, o)->round_robin &&
	       s->dirty,
	   "an OAuth account joins");
	s->dirty = false;
	ok(store_set_round_robin(s, o, false, &err) == AIAUTH_OK && !store_find_id(s, o)->round_robin &&
	       s->dirty,
	   "and leaves");
	ok(store_set_round_robin(s, "nope", true, &err) == AIAUTH_NOT_FOUND, "unknown id: not found");
	error_clear(&err);
	free(k), free(n), free(o);
	store_free(s);
}

/* ------------------------------------------------------------ lookup */

static void test_lookup(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	struct account *a = NULL;
	char *x = add(s, "claude", ACCOUNT_OAUTH, "shared");
	char *y = add(s, "openai", ACCOUNT_API_KEY, "shared");
	char *z = add(s, "openai", ACCOUNT_API_KEY, "only");

	ok(store_lookup(s, NULL, x, &a, &err) == AIAUTH_OK && strcmp(a->id, x) == 0, "by id");
	ok(store_lookup(s, "openai", x, &a, &err) == AIAUTH_NOT_FOUND &&
	       msg_has(err, "for provider openai"),
	   "an id of another provider is not found when the provider is named");
	error_clear(&err);
	ok(store_lookup(s, NULL, "only", &a, &err) == AIAUTH_OK && strcmp(a->id, z) == 0,
	   "by label");
	ok(store_lookup(s, NULL, "shared", &a, &err) == AIAUTH_USAGE &&
	       msg_has(err, "label shared matches accounts of several providers; use the account "
	                    "id or name the provider"),
	   "a label of two providers is ambiguous without a provider");
	error_clear(&err);
	ok(store_lookup(s, "openai", "shared", &a, &err) == AIAUTH_OK && strcmp(a->id, y) == 0,
	   "and found with one");
	char prefix[8];
	snprintf(prefix, sizeof(prefix), "%.6s", z);
	ok(store_lookup(s, NULL, prefix, &a, &err) == AIAUTH_OK && strcmp(a->id, z) == 0,
	   "by an id prefix of 6 characters");
	snprintf(prefix, sizeof(prefix), "%.5s", z);
	ok(store_lookup(s, NULL, prefix, &a, &err) == AIAUTH_NOT_FOUND,
	   "a 5-character prefix is not enough");
	error_clear(&err);
	ok(store_lookup(s, NULL, "missing", &a, &err) == AIAUTH_NOT_FOUND &&
	       msg_has(err, "no account missing"),
	   "unknown name: not found");
	error_clear(&err);

	/* Two ids with a common prefix: make one deliberately. */
	free(s->accounts[0].id);
	s->accounts[0].id = strdup("abcdef0000000000000000000000000a");
	free(s->accounts[1].id);
	s->accounts[1].id = strdup("abcdef0000000000000000000000000b");
	ok(store_lookup(s, NULL, "abcdef", &a, &err) == AIAUTH_USAGE,
	   "an id prefix shared by two accounts is ambiguous");
	error_clear(&err);
	ok(store_find_id(s, "abcdef0000000000000000000000000b") == &s->accounts[1],
	   "store_find_id finds the exact id");
	ok(store_find_id(s, "abcdef") == NULL, "store_find_id takes no prefix");
	free(x), free(y), free(z);
	store_free(s);
}

/* ------------------------------------------------------------ resolution */

static void test_resolve(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	struct account *a = NULL;

	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_NOT_CONFIGURED &&
	       msg_has(err, "provider claude is not configured"),
	   "no account: not configured");
	error_clear(&err);

	char *o1 = add(s, "claude", ACCOUNT_OAUTH, "o1"); /* active */
	char *o2 = add(s, "claude", ACCOUNT_OAUTH, "o2");
	char *o3 = add(s, "claude", ACCOUNT_OAUTH, "o3");
	char *k = add(s, "claude", ACCOUNT_API_KEY, "key");
	char *other = add(s, "openai", ACCOUNT_API_KEY, "elsewhere");

	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o1) == 0,
	   "no pool: the active OAuth account");
	s->dirty = false;
	store_set_round_robin(s, o2, true, NULL);
	store_set_round_robin(s, o3, true, NULL);
	s->dirty = false;
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o2) == 0,
	   "the pool beats the active OAuth account");
	ok(s->dirty && str_eq_safe(s->providers[0].rr_last, o2),
	   "serving from the pool moves the cursor and marks the store dirty");
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o3) == 0,
	   "the pool rotates in account order");
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o2) == 0,
	   "and wraps");

	ok(store_resolve(s, "claude", "key", &a, &err) == AIAUTH_OK && strcmp(a->id, k) == 0,
	   "a named account beats the pool");
	ok(store_resolve(s, "claude", "o1", &a, &err) == AIAUTH_OK && strcmp(a->id, o1) == 0,
	   "a named account is served even when it is not in the pool");
	ok(store_resolve(s, "claude", "elsewhere", &a, &err) == AIAUTH_NOT_FOUND &&
	       msg_has(err, "no account elsewhere for provider claude"),
	   "a named account of another provider is refused");
	error_clear(&err);

	store_set_active(s, "claude", k, NULL);
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, k) == 0,
	   "an active API key beats the pool");
	ok(store_resolve(s, "claude", "o3", &a, &err) == AIAUTH_OK && strcmp(a->id, o3) == 0,
	   "a named account beats the active one");
	const char *before = s->providers[0].rr_last;
	ok(str_eq_safe(before, o2), "resolving a named or active account leaves the cursor");

	/* needs_signin is skipped by the pool. */
	store_set_active(s, "claude", o1, NULL);
	store_find_id(s, o3)->status = ACCOUNT_STATUS_NEEDS_SIGNIN;
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o2) == 0,
	   "a pool member that needs sign-in is skipped (o3 skipped, wraps to o2)");
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o2) == 0,
	   "and keeps being skipped");
	store_find_id(s, o2)->status = ACCOUNT_STATUS_NEEDS_SIGNIN;
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o1) == 0,
	   "a pool that all needs sign-in falls through to the active OAuth account");
	store_set_active(s, "claude", NULL, NULL);
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK &&
	       a->status == ACCOUNT_STATUS_NEEDS_SIGNIN && strcmp(a->id, o2) == 0,
	   "with nothing else, a pool member that needs sign-in is returned for the caller "
	   "to report");
	store_set_round_robin(s, o2, false, NULL);
	store_set_round_robin(s, o3, false, NULL);
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_NOT_CONFIGURED,
	   "no pool and no active account: not configured");
	error_clear(&err);
	ok(store_resolve(s, "openai", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, other) == 0,
	   "providers resolve independently");

	/* A keyless active account counts like a key. */
	char *n = add(s, "ollama", ACCOUNT_NONE, "local");
	ok(store_resolve(s, "ollama", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, n) == 0,
	   "an active keyless account is served");

	/* An active needs-sign-in OAuth account is still returned (step 4). */
	store_find_id(s, o1)->status = ACCOUNT_STATUS_NEEDS_SIGNIN;
	store_set_active(s, "claude", o1, NULL);
	ok(store_resolve(s, "claude", NULL, &a, &err) == AIAUTH_OK && strcmp(a->id, o1) == 0,
	   "an active account that needs sign-in is returned for the caller to report");

	free(o1), free(o2), free(o3), free(k), free(other), free(n);
	store_free(s);
}

/* Leaving the pool keeps the rotation's place: the next member after the one
 * that left is served, not the first. */
static void test_resolve_leave(void)
{
	struct store *s = store_new();
	struct account *a = NULL;
	char *id[4];
	for (int i = 0; i < 4; i++) {
		char label[8];
		snprintf(label, sizeof(label), "p%d", i);
		id[i] = add(s, "codex", ACCOUNT_OAUTH, label);
		store_set_round_robin(s, id[i], true, NULL);
	}
	store_resolve(s, "codex", NULL, &a, NULL); /* p0 */
	store_resolve(s, "codex", NULL, &a, NULL); /* p1 */
	store_set_round_robin(s, id[1], false, NULL);
	ok(store_resolve(s, "codex", NULL, &a, NULL) == AIAUTH_OK && strcmp(a->id, id[2]) == 0,
	   "after the last-served account leaves the pool, the next one is served");
	for (int i = 0; i < 4; i++)
		free(id[i]);
	store_free(s);
}

/* ------------------------------------------------------------ parse / serialise */

static void test_roundtrip(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	struct account *a = NULL;
	s->secret_backend = strdup("file");
	struct account t = tmpl("azure", ACCOUNT_API_KEY, "prod \"east\" ✓", NULL);
	t.method = "api_key";
	t.base_url = "https://x.openai.azure.com";
	t.api_version = "2024-10-21";
	t.region = "eastus";
	t.default_model = "gpt-4o";
	t.effort = "high";
	t.has_secret = true;
	ok(store_add(s, &t, &a, &err) == AIAUTH_OK, "add a full account");
	struct account o = tmpl("claude", ACCOUNT_OAUTH, NULL, "bo@example.com");
	o.method = "device";
	o.expires_at = 1763900000;
	o.status = ACCOUNT_STATUS_REFRESH_FAILED;
	o.round_robin = true;
	o.last_refresh = 1763899000;
	o.last_refresh_outcome = "HTTP 503 from the token endpoint";
	ok(store_add(s, &o, &a, &err) == AIAUTH_OK, "add an OAuth account");
	store_resolve(s, "claude", NULL, &a, NULL);

	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;
	struct store *p = NULL;
	ok(store_serialize(s, &text, &len, &err) == AIAUTH_OK && text && len == strlen(text),
	   "serialize");
	ok(text && strstr(text, "\n  \"version\": 1"), "the document is pretty-printed");
	ok(store_parse(text, len, &p, &err) == AIAUTH_OK && p, "parse what was written");
	if (!p) {
		diag("%s", err ? err->message : "?");
		error_clear(&err);
		free(text);
		store_free(s);
		return;
	}
	ok(p->n_accounts == 2 && p->version == 1 && strcmp(p->secret_backend, "file") == 0,
	   "accounts, version and backend survive");
	bool same = true;
	for (size_t i = 0; i < 2; i++) {
		struct account *x = &s->accounts[i], *y = &p->accounts[i];
		same = same && str_same(x->id, y->id) && str_same(x->provider, y->provider) &&
		       str_same(x->label, y->label) && x->kind == y->kind &&
		       str_same(x->method, y->method) && str_same(x->email, y->email) &&
		       str_same(x->base_url, y->base_url) &&
		       str_same(x->api_version, y->api_version) && str_same(x->region, y->region) &&
		       str_same(x->default_model, y->default_model) &&
		       str_same(x->effort, y->effort) && x->created == y->created &&
		       x->expires_at == y->expires_at && x->status == y->status &&
		       x->round_robin == y->round_robin && x->has_secret == y->has_secret &&
		       x->last_refresh == y->last_refresh &&
		       str_same(x->last_refresh_outcome, y->last_refresh_outcome);
	}
	ok(same, "every account field survives");
	ok(str_eq_safe(store_active_id(p, "azure"), s->accounts[0].id) &&
	       str_eq_safe(store_active_id(p, "claude"), s->accounts[1].id),
	   "active marks survive");
	const struct store_provider_state *cs = NULL;
	for (size_t i = 0; i < p->n_providers; i++)
		if (strcmp(p->providers[i].provider, "claude") == 0)
			cs = &p->providers[i];
	ok(cs && str_eq_safe(cs->rr_last, s->accounts[1].id), "the pool cursor survives");
	ok(!p->dirty, "a parsed store is clean");
	ok(store_serialize(p, &text2, &len2, &err) == AIAUTH_OK && len == len2 &&
	       memcmp(text, text2, len) == 0,
	   "serializing again gives the same bytes (stable order)");
	free(text), free(text2);
	store_free(p);
	store_free(s);
}

static void test_parse_tolerant(void)
{
	struct store *p = NULL;
	struct aiauth_error *err = NULL;
	const char *minimal = "{\"version\":1,\"accounts\":[{\"id\":\"i1\",\"provider\":\"x\","
	                      "\"label\":\"L\",\"kind\":\"oauth\"}]}";
	ok(store_parse(minimal, strlen(minimal), &p, &err) == AIAUTH_OK && p && p->n_accounts == 1,
	   "optional fields may be omitted");
	ok(p && p->accounts[0].status == ACCOUNT_STATUS_OK && !p->accounts[0].round_robin &&
	       p->accounts[0].email == NULL && p->accounts[0].created == 0,
	   "omitted fields take their defaults");
	store_free(p);
	p = NULL;
	const char *nulls =
		"{\"version\":1,\"secret_backend\":null,\"providers\":{\"x\":{\"active\":null,"
		"\"rr_last\":null}},\"accounts\":[{\"id\":\"i1\",\"provider\":\"x\",\"label\":\"L\","
		"\"kind\":\"api_key\",\"email\":null,\"created\":null,\"round_robin\":null,"
		"\"status\":null,\"future_field\":[1,2]}],\"future_top\":{}}";
	ok(store_parse(nulls, strlen(nulls), &p, &err) == AIAUTH_OK && p,
	   "null fields and unknown version-1 fields are accepted");
	error_clear(&err);
	store_free(p);
	p = NULL;
	const char *dangling =
		"{\"version\":1,\"providers\":{\"x\":{\"active\":\"gone\",\"rr_last\":\"i2\"}},"
		"\"accounts\":[{\"id\":\"i1\",\"provider\":\"x\",\"label\":\"L\",\"kind\":\"api_key\","
		"\"round_robin\":true},{\"id\":\"i2\",\"provider\":\"y\",\"label\":\"M\","
		"\"kind\":\"oauth\"}]}";
	ok(store_parse(dangling, strlen(dangling), &p, &err) == AIAUTH_OK && p,
	   "dangling references parse");
	ok(p && store_active_id(p, "x") == NULL,
	   "an active id naming no account of the provider is dropped");
	ok(p && p->providers[0].rr_last == NULL, "so is an rr_last naming another provider's account");
	ok(p && !p->accounts[0].round_robin, "a key account's pool mark is dropped");
	store_free(p);
	p = NULL;
	ok(store_parse("{\"version\":1}", 13, &p, &err) == AIAUTH_OK && p && p->n_accounts == 0,
	   "a document with no accounts is an empty store");
	store_free(p);
}

static void test_parse_strict(void)
{
	static const struct {
		const char *doc;
		const char *why;
	} bad[] = {
		{"", "empty input"},
		{"{\"version\":1,", "truncated JSON"},
		{"[]", "not an object"},
		{"{\"accounts\":[]}", "no version"},
		{"{\"version\":\"1\"}", "version as a string"},
		{"{\"version\":0}", "version 0"},
		{"{\"version\":1,\"accounts\":{}}", "accounts not an array"},
		{"{\"version\":1,\"accounts\":[1]}", "account not an object"},
		{"{\"version\":1,\"accounts\":[{\"provider\":\"x\",\"label\":\"L\",\"kind\":\"oauth\"}]}",
		 "missing id"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"label\":\"L\",\"kind\":\"oauth\"}]}",
		 "missing provider"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"kind\":\"oauth\"}]}",
		 "missing label"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\"}]}",
		 "missing kind"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\"}]}",
		 "empty id"},
		{"{\"version\":1,\"accounts\":[{\"id\":7,\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\"}]}",
		 "id as a number"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"password\"}]}",
		 "unknown kind"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\",\"status\":\"great\"}]}",
		 "unknown status"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\",\"created\":\"yesterday\"}]}",
		 "created as a string"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\",\"expires_at\":1.5}]}",
		 "expires_at as a fraction"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\",\"round_robin\":\"yes\"}]}",
		 "round_robin as a string"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\",\"email\":[]}]}",
		 "email as an array"},
		{"{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\",\"label\":\"L\","
		 "\"kind\":\"oauth\"},{\"id\":\"i\",\"provider\":\"y\",\"label\":\"M\","
		 "\"kind\":\"oauth\"}]}",
		 "duplicate id"},
		{"{\"version\":1,\"providers\":[]}", "providers not an object"},
		{"{\"version\":1,\"providers\":{\"x\":1}}", "provider state not an object"},
		{"{\"version\":1,\"providers\":{\"x\":{\"active\":5}}}", "active as a number"},
		{"{\"version\":1,\"secret_backend\":3}", "secret_backend as a number"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store *p = NULL;
		struct aiauth_error *err = NULL;
		enum aiauth_status st = store_parse(bad[i].doc, strlen(bad[i].doc), &p, &err);
		ok(st == AIAUTH_CORRUPT && p == NULL && err && err->message[0] &&
		       !strchr(err->message, '\n'),
		   "refused as corrupt with one line: %s (%s)", bad[i].why,
		   err ? err->message : "no message");
		error_clear(&err);
		store_free(p);
	}
	/* Which pair a duplicate id is reported with: the earliest account that
	 * repeats an id, and the first account with that id. */
	static const struct {
		const char *ids;
		const char *want;
	} dups[] = {
		{"abab", "accounts 1 and 3 have the same id"},
		{"abba", "accounts 2 and 3 have the same id"},
		{"abcdecx", "accounts 3 and 6 have the same id"},
		{"aaa", "accounts 1 and 2 have the same id"},
		{"abcdefgha", "accounts 1 and 9 have the same id"},
	};
	for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		char doc[2048] = "{\"version\":1,\"accounts\":[";
		for (const char *c = dups[i].ids; *c; c++) {
			char one[128];
			snprintf(one, sizeof(one),
			         "%s{\"id\":\"%c\",\"provider\":\"x\",\"label\":\"L%zu\","
			         "\"kind\":\"oauth\"}",
			         c == dups[i].ids ? "" : ",", *c, (size_t)(c - dups[i].ids));
			strcat(doc, one);
		}
		strcat(doc, "]}");
		struct store *d = NULL;
		struct aiauth_error *e = NULL;
		enum aiauth_status st = store_parse(doc, strlen(doc), &d, &e);
		ok(st == AIAUTH_CORRUPT && !d && msg_has(e, dups[i].want), "ids %s: \"%s\" (%s)",
		   dups[i].ids, dups[i].want, e ? e->message : "accepted");
		error_clear(&e);
	}
	/* Many unique ids are fine (and not quadratic: 5,000 here). */
	{
		size_t n = 5000, cap = n * 96 + 64, len = 0;
		char *doc = malloc(cap);
		len += (size_t)snprintf(doc, cap, "{\"version\":1,\"accounts\":[");
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(doc + len, cap - len,
			                        "%s{\"id\":\"%032zx\",\"provider\":\"x\",\"label\":\"L%zu\","
			                        "\"kind\":\"none\"}",
			                        i ? "," : "", i * 7919, i);
		len += (size_t)snprintf(doc + len, cap - len, "]}");
		struct store *d = NULL;
		struct aiauth_error *e = NULL;
		enum aiauth_status st = store_parse(doc, len, &d, &e);
		ok(st == AIAUTH_OK && d && d->n_accounts == n, "5,000 accounts with unique ids parse (%s)",
		   e ? e->message : "ok");
		store_free(d);
		error_clear(&e);
		free(doc);
	}

	struct store *p = NULL;
	struct aiauth_error *err = NULL;
	const char *newer = "{\"version\":2,\"accounts\":\"whatever\"}";
	ok(store_parse(newer, strlen(newer), &p, &err) == AIAUTH_UNSUPPORTED && !p &&
	       msg_has(err, "accounts.json was written by a newer aiauth (schema 2)"),
	   "a newer schema is unsupported, not corrupt");
	error_clear(&err);
}

/* ------------------------------------------------------------ the file */

struct op {
	int calls;
	enum aiauth_status result;
	const char *provider, *label;
	char served[64];
};

static enum aiauth_status op_add(struct store *s, void *ctx, struct aiauth_error **err)
{
	struct op *op = ctx;
	op->calls++;
	struct account t = tmpl(op->provider, ACCOUNT_API_KEY, op->label, NULL);
	enum aiauth_status st = store_add(s, &t, NULL, err);
	return st != AIAUTH_OK ? st : op->result;
}

static enum aiauth_status op_nothing(struct store *s, void *ctx, struct aiauth_error **err)
{
	struct op *op = ctx;
	op->calls++;
	return AIAUTH_OK;
}

static enum aiauth_status op_resolve(struct store *s, void *ctx, struct aiauth_error **err)
{
	struct op *op = ctx;
	struct account *a = NULL;
	op->calls++;
	enum aiauth_status st = store_resolve(s, op->provider, NULL, &a, err);
	if (st == AIAUTH_OK)
		snprintf(op->served, sizeof(op->served), "%s", a->id);
	return st;
}

static void test_files(void)
{
	char *dir = scratch("cfg/nested/aiauth");
	char *file = path_join(dir, "accounts.json");
	char *lock = path_join(dir, "accounts.lock");
	struct aiauth_error *err = NULL;
	struct store *s = NULL;
	struct stat sb;

	ok(store_load(dir, &s, &err) == AIAUTH_OK && s && s->n_accounts == 0,
	   "loading from a missing directory gives an empty store");
	ok(stat(dir, &sb) != 0, "and creates nothing");
	store_free(s);
	s = NULL;

	struct op op = {0, AIAUTH_OK, "openai", "first", ""};
	ok(store_update(dir, op_add, &op, &err) == AIAUTH_OK && op.calls == 1,
	   "update adds an account");
	unsigned mode = stat(dir, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 0;
	ok(mode == 0700, "the directory is 0700 (%o)", mode);
	mode = stat(file, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 0;
	ok(mode == 0600, "accounts.json is 0600 (%o)", mode);
	ok(stat(lock, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the lock file is 0600");
	int other = -1;
	count_entries(dir, "accounts.json.tmp", &other);
	ok(other == 0, "the atomic write leaves no temporary file");

	op.label = "second";
	ok(store_update(dir, op_add, &op, &err) == AIAUTH_OK, "a second update");
	ok(store_load(dir, &s, &err) == AIAUTH_OK && s && s->n_accounts == 2 &&
	       strcmp(s->accounts[1].label, "second") == 0,
	   "load sees both changes");
	ok(s && !s->dirty, "a loaded store is clean");
	store_free(s);
	s = NULL;

	/* A callback error or a clean store writes nothing. */
	size_t len0 = 0, len1 = 0;
	char *before = read_file(file, &len0);
	stat(file, &sb);
	ino_t ino = sb.st_ino;
	op.label = "third";
	op.result = AIAUTH_CANCELLED;
	ok(store_update(dir, op_add, &op, &err) == AIAUTH_CANCELLED,
	   "the callback's error is returned");
	error_clear(&err);
	char *after = read_file(file, &len1);
	ok(before && after && len0 == len1 && memcmp(before, after, len0) == 0,
	   "and nothing is written");
	free(after);
	ok(store_update(dir, op_nothing, &op, &err) == AIAUTH_OK, "an update that changes nothing");
	ok(stat(file, &sb) == 0 && sb.st_ino == ino, "does not rewrite the file");
	op.label = "first";
	op.result = AIAUTH_OK;
	ok(store_update(dir, op_add, &op, &err) == AIAUTH_USAGE && msg_has(err, "already exists"),
	   "a rule broken inside update is returned");
	error_clear(&err);
	after = read_file(file, &len1);
	ok(after && len0 == len1 && memcmp(before, after, len0) == 0, "and nothing is written");
	free(after);
	free(before);

	/* A temporary file left by a killed writer is cleaned by the next one. */
	char *stale = path_join(dir, "accounts.json.tmp-99999-0");
	FILE *f = fopen(stale, "w");
	if (f)
		fclose(f);
	op.label = "fourth";
	ok(store_update(dir, op_add, &op, &err) == AIAUTH_OK && access(stale, F_OK) != 0,
	   "a writer removes temporary files orphaned by a killed writer");
	free(stale);

	free(dir), free(file), free(lock);
}

static void test_corrupt_file(void)
{
	char *dir = scratch("corrupt");
	char *file = path_join(dir, "accounts.json");
	const char *damaged = "{\"version\":1,\"accounts\":[{\"id\":\"abc\",\"provi";
	struct aiauth_error *err = NULL;
	struct store *s = NULL;

	ok(write_raw(dir, damaged), "write a truncated accounts.json");
	ok(store_load(dir, &s, &err) == AIAUTH_CORRUPT && s == NULL, "load reports it as corrupt");
	ok(msg_has(err, "accounts.json is damaged (invalid JSON") &&
	       msg_has(err, "it was moved to accounts.json.corrupt-") &&
	       msg_has(err, "and a new one will be started"),
	   "saying so and where it went");
	ok(err && !strchr(err->message, '\n'), "in one line");
	error_clear(&err);
	ok(access(file, F_OK) != 0, "accounts.json is no longer there");
	char *aside = find_entry(dir, "accounts.json.corrupt-");
	size_t len = 0;
	char *kept = aside ? read_file(aside, &len) : NULL;
	ok(kept && len == strlen(damaged) && memcmp(kept, damaged, len) == 0,
	   "the set-aside file holds the original bytes");
	free(kept);
	free(aside);
	ok(store_load(dir, &s, &err) == AIAUTH_OK && s && s->n_accounts == 0,
	   "the next load starts with an empty store");
	store_free(s);
	s = NULL;

	/* A document that is valid JSON but breaks the schema, through update. */
	const char *wrong = "{\"version\":1,\"accounts\":[{\"id\":\"i\",\"provider\":\"x\"}]}";
	ok(write_raw(dir, wrong), "write an accounts.json with a missing label");
	struct op op = {0, AIAUTH_OK, "openai", "new", ""};
	ok(store_update(dir, op_add, &op, &err) == AIAUTH_CORRUPT && op.calls == 0,
	   "update reports it and does not run the callback");
	ok(msg_has(err, "\"label\" is missing") && msg_has(err, "moved to"), "with the reason");
	error_clear(&err);
	ok(access(file, F_OK) != 0, "nothing was written in its place");
	ok(count_entries(dir, "accounts.json.corrupt-", NULL) == 2, "both damaged files are kept");
	free(dir), free(file);
}

static void test_newer_schema(void)
{
	char *dir = scratch("newer");
	char *file = path_join(dir, "accounts.json");
	const char *newer = "{\"version\":2,\"accounts\":[],\"vaults\":{\"x\":1}}";
	struct aiauth_error *err = NULL;
	struct store *s = NULL;
	struct stat sb0, sb1;

	ok(write_raw(dir, newer), "write a schema-2 accounts.json");
	stat(file, &sb0);
	ok(store_load(dir, &s, &err) == AIAUTH_UNSUPPORTED && !s &&
	       msg_has(err, "accounts.json was written by a newer aiauth (schema 2)"),
	   "load refuses it with a clear message");
	error_clear(&err);
	struct op op = {0, AIAUTH_OK, "openai", "new", ""};
	ok(store_update(dir, op_add, &op, &err) == AIAUTH_UNSUPPORTED && op.calls == 0,
	   "update refuses it without running the callback");
	error_clear(&err);
	size_t len = 0;
	char *now = read_file(file, &len);
	ok(now && len == strlen(newer) && memcmp(now, newer, len) == 0 && stat(file, &sb1) == 0 &&
	       sb1.st_ino == sb0.st_ino,
	   "the file is untouched");
	ok(count_entries(dir, "accounts.json.corrupt-", NULL) == 0, "and not set aside");
	free(now);
	free(dir), free(file);
}

/* ------------------------------------------------------------ concurrency */

#define POOL 4
#define CHILDREN 20

static enum aiauth_status op_pool(struct store *s, void *ctx, struct aiauth_error **err)
{
	char **ids = ctx;
	for (int i = 0; i < POOL; i++) {
		char label[16];
		snprintf(label, sizeof(label), "pool %d", i);
		struct account t = tmpl("claude", ACCOUNT_OAUTH, label, NULL);
		struct account *a = NULL;
		enum aiauth_status st = store_add(s, &t, &a, err);
		if (st != AIAUTH_OK)
			return st;
		ids[i] = strdup(a->id);
		st = store_set_round_robin(s, a->id, true, err);
		if (st != AIAUTH_OK)
			return st;
	}
	return AIAUTH_OK;
}

/* Children leave with _exit(): exit() would run tap.h's atexit handler and
 * remove the scratch directory under the parent's feet. */
static void test_concurrent_pool(void)
{
	char *dir = scratch("concurrent");
	char *ids[POOL] = {0};
	struct aiauth_error *err = NULL;
	ok(store_update(dir, op_pool, ids, &err) == AIAUTH_OK, "set up a 4-account pool");
	error_clear(&err);

	int fds[2];
	if (pipe(fds) != 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	pid_t pids[CHILDREN];
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(fds[0]);
			struct op op = {0, AIAUTH_OK, "claude", NULL, ""};
			struct aiauth_error *cerr = NULL;
			if (store_update(dir, op_resolve, &op, &cerr) != AIAUTH_OK)
				_exit(1);
			char line[40];
			/* 33 bytes is under PIPE_BUF, so lines never interleave. */
			snprintf(line, sizeof(line), "%.32s\n", op.served);
			_exit(write(fds[1], line, 33) == 33 ? 0 : 2);
		}
	}
	close(fds[1]);
	int failed = 0;
	for (int i = 0; i < CHILDREN; i++) {
		int status = 0;
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	ok(failed == 0, "all %d children resolved (%d failed)", CHILDREN, failed);

	int served[POOL] = {0}, unknown = 0, total = 0;
	char line[33];
	FILE *in = fdopen(fds[0], "r");
	while (in && fread(line, 1, 33, in) == 33) {
		total++;
		int which = -1;
		for (int i = 0; i < POOL; i++)
			if (ids[i] && memcmp(line, ids[i], 32) == 0)
				which = i;
		if (which < 0)
			unknown++;
		else
			served[which]++;
	}
	if (in)
		fclose(in);
	ok(total == CHILDREN && unknown == 0, "%d answers, none unknown", total);
	ok(served[0] == 5 && served[1] == 5 && served[2] == 5 && served[3] == 5,
	   "each pool account was served exactly 5 times (%d %d %d %d)", served[0], served[1],
	   served[2], served[3]);

	struct store *s = NULL;
	ok(store_load(dir, &s, &err) == AIAUTH_OK && s && s->n_accounts == POOL,
	   "the file parses afterwards");
	ok(s && str_eq_safe(store_active_id(s, "claude"), ids[0]) && s->n_providers == 1 &&
	       str_eq_safe(s->providers[0].rr_last, ids[3]),
	   "and the cursor ended on the last member after 20 turns");
	error_clear(&err);
	store_free(s);
	for (int i = 0; i < POOL; i++)
		free(ids[i]);
	free(dir);
}

static enum aiauth_status op_churn(struct store *s, void *ctx, struct aiauth_error **err)
{
	int *n = ctx;
	char label[32];
	snprintf(label, sizeof(label), "churn %ld-%d", (long)getpid(), (*n)++);
	struct account t = tmpl("openai", ACCOUNT_API_KEY, label, NULL);
	/* Grow, then shrink, so the file keeps changing size. */
	enum aiauth_status st = store_add(s, &t, NULL, err);
	if (st == AIAUTH_OK && s->n_accounts > 40)
		st = store_remove(s, s->accounts[0].id, err);
	return st;
}

static void test_killed_writer(void)
{
	char *dir = scratch("killed");
	struct aiauth_error *err = NULL;
	char *file = path_join(dir, "accounts.json");
	int ok_loads = 0, rounds = 5;
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		if (pid == 0) {
			int n = 0;
			for (;;) {
				struct aiauth_error *cerr = NULL;
				if (store_update(dir, op_churn, &n, &cerr) != AIAUTH_OK)
					_exit(1);
			}
		}
		/* Let the first writer get going, so that the kill lands in the
		 * middle of the loop however slow fsync is here. */
		for (int wait = 0; wait < 5000 && access(file, F_OK) != 0; wait++) {
			struct timespec tick = {0, 1000000L};
			nanosleep(&tick, NULL);
		}
		struct timespec ts = {0, (3 + 2 * r) * 1000000L};
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		struct store *s = NULL;
		enum aiauth_status st = store_load(dir, &s, &err);
		if (killed && st == AIAUTH_OK)
			ok_loads++;
		else
			diag("round %d: killed=%d load=%d %s", r, killed, st, err ? err->message : "");
		error_clear(&err);
		store_free(s);
	}
	ok(ok_loads == rounds, "a writer killed with SIGKILL leaves a parseable file (%d/%d)",
	   ok_loads, rounds);
	ok(count_entries(dir, "accounts.json.corrupt-", NULL) == 0, "nothing was ever set aside");
	struct store *s = NULL;
	ok(store_load(dir, &s, &err) == AIAUTH_OK && s && s->n_accounts > 0,
	   "and the killed writers' completed changes are there (%zu accounts)",
	   s ? s->n_accounts : 0);
	store_free(s);
	free(dir);
	free(file);
}

static void test_account_dup(void)
{
	struct store *s = store_new();
	struct aiauth_error *err = NULL;
	struct account *a = NULL;
	struct account t = tmpl("openai", ACCOUNT_API_KEY, "work", NULL);
	t.base_url = "https://gateway.example.test/v1";
	t.region = "eu-west-1";
	ok(store_add(s, &t, &a, &err) == AIAUTH_OK, "add an account to copy");
	struct account *copy = a ? account_dup(a) : NULL;
	store_free(s);
	/* The copy must not share a single string with the freed store (ASan
	 * reports a use after free otherwise). */
	ok(copy && strcmp(copy->label, "work") == 0 && strcmp(copy->provider, "openai") == 0,
	   "account_dup copies the label and provider");
	ok(copy && strcmp(copy->base_url, "https://gateway.example.test/v1") == 0 &&
	       strcmp(copy->region, "eu-west-1") == 0 && copy->email == NULL,
	   "account_dup copies optional fields and keeps absent ones NULL");
	ok(copy && copy->kind == ACCOUNT_API_KEY && is_hex_id(copy->id),
	   "account_dup copies the kind and the id");
	account_free(copy);
	account_free(NULL);
	error_clear(&err);
}

int main(void)
{
	test_names();
	test_status_text();
	test_add_and_labels();
	test_rename();
	test_active();
	test_remove();
	test_round_robin_rule();
	test_lookup();
	test_resolve();
	test_resolve_leave();
	test_roundtrip();
	test_parse_tolerant();
	test_parse_strict();
	test_files();
	test_corrupt_file();
	test_newer_schema();
	test_concurrent_pool();
	test_killed_writer();
	test_account_dup();
	return done_testing();
}
