/* test_credential.c - credential fields and the JSON blob.
 *
 * Linked with -Wl,--wrap=free so that the wipe of a value's buffer can be
 * seen as it is freed (see test_secret.c). */
#include "config.h"

#include "credential.h"
#include "jsonutil.h"
#include "tap.h"

void __real_free(void *p);
void __wrap_free(void *p);

#define MAX_WATCH 8
static const unsigned char *watch_ptr[MAX_WATCH];
static size_t watch_len[MAX_WATCH];
static int nwatch, watch_seen, watch_dirty;

void __wrap_free(void *p)
{
	for (int k = 0; p && k < nwatch; k++) {
		if (p != watch_ptr[k])
			continue;
		watch_seen++;
		for (size_t i = 0; i < watch_len[k]; i++)
			if (watch_ptr[k][i]) {
				watch_dirty++;
				break;
			}
		watch_ptr[k] = NULL;
	}
	__real_free(p);
}

static void watch_reset(void)
{
	nwatch = watch_seen = watch_dirty = 0;
}

static void watch_secret(const struct secret *s)
{
	watch_ptr[nwatch] = s->buf;
	watch_len[nwatch] = s->cap + 1;
	nwatch++;
}

static int get_is(const struct credential *c, const char *name, const char *want)
{
	const struct secret *s = credential_get(c, name);
	return s && s->len == strlen(want) && memcmp(s->buf, want, s->len) == 0;
}

static void test_fields(void)
{
	struct credential *c = credential_new();
	ok(c && c->n == 0 && credential_get(c, "api_key") == NULL, "a new credential is empty");
	ok(credential_get(NULL, "api_key") == NULL, "credential_get(NULL) is NULL");

	ok(credential_set_str(c, "api_key", "sk-one") == AIAUTH_OK && get_is(c, "api_key", "sk-one"),
	   "set and get");
	ok(credential_set_str(c, "refresh_token", "rt") == AIAUTH_OK && c->n == 2, "a second field");

	watch_reset();
	watch_secret(credential_get(c, "api_key"));
	ok(credential_set_str(c, "api_key", "sk-two") == AIAUTH_OK && c->n == 2 &&
	       get_is(c, "api_key", "sk-two"),
	   "setting again replaces, without a second field");
	ok(watch_seen == 1 && watch_dirty == 0, "the replaced value was wiped before free");
	ok(get_is(c, "refresh_token", "rt"), "other fields are untouched");
	ok(credential_get(c, "API_KEY") == NULL, "names are case-sensitive");

	ok(credential_take(c, "x", NULL) == AIAUTH_NO_MEMORY && c->n == 2 && credential_get(c, "x") == NULL,
	   "credential_take(NULL value) fails and stores nothing");
	ok(credential_take(c, "api_key", NULL) == AIAUTH_NO_MEMORY && get_is(c, "api_key", "sk-two"),
	   "credential_take(NULL value) does not replace an existing field");
	ok(credential_set_str(c, "y", NULL) != AIAUTH_OK && credential_get(c, "y") == NULL,
	   "credential_set_str(NULL) fails and stores nothing");

	/* Taking the value a field already holds must not free it. */
	struct secret *same = (struct secret *)credential_get(c, "refresh_token");
	ok(credential_take(c, "refresh_token", same) == AIAUTH_OK && get_is(c, "refresh_token", "rt"),
	   "re-taking a field's own value keeps it alive");

	struct secret *mine = secret_from_str("taken");
	ok(credential_take(c, "t", mine) == AIAUTH_OK && credential_get(c, "t") == mine,
	   "credential_take stores the very secret given");

	watch_reset();
	for (size_t i = 0; i < c->n; i++)
		watch_secret(c->fields[i].value);
	size_t n = c->n;
	CREDENTIAL_FREE(c);
	ok(watch_seen == (int)n && watch_dirty == 0, "credential_free wipes all %zu values", n);
	ok(c == NULL, "CREDENTIAL_FREE sets the pointer to NULL");
	credential_free(NULL);
}

static void test_round_trip(void)
{
	static const struct {
		const char *name, *value;
	} f[] = {
		{"api_key", "sk-ant-api03-abcdefghijklmnop"},
		{"quotes", "he said \"hi\" and 'bye'"},
		{"backslash", "C:\\path\\to\\key \\\" \\\\"},
		{"unicode", "ключ 日本語 🔑 é"},
		{"newlines", "line1\nline2\r\nline3\n"},
		{"controls", "\x01\x02\t\x1f\x7f"},
		{"empty", ""},
		{"json-ish", "{\"nested\":[1,2,{\"a\":null}]}"},
		{"имя поля", "unicode name"},
		{"expires_at", "1767225600"},
	};
	struct aiauth_error *err = NULL;
	struct credential *c = credential_new();
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		credential_set_str(c, f[i].name, f[i].value);
	char longv[10001];
	memset(longv, 'L', 10000);
	longv[10000] = '\0';
	credential_set_str(c, "long", longv);

	struct secret *blob = NULL;
	ok(credential_to_blob(c, &blob, &err) == AIAUTH_OK && blob && !err, "credential_to_blob");
	ok(blob && blob->buf[blob->len] == '\0' && strlen((char *)blob->buf) == blob->len,
	   "the blob is NUL-terminated text");

	yajl_val v = NULL;
	ok(blob && json_parse((char *)blob->buf, blob->len, &v, &err) == AIAUTH_OK && YAJL_IS_OBJECT(v),
	   "the blob is a JSON object");
	int members = 1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *s = json_get_string(v, f[i].name);
		if (!s || strcmp(s, f[i].value) != 0)
			members = 0;
	}
	ok(members && v && v->u.object.len == c->n, "each field is a JSON string member with its value");
	json_free_wiped(v);

	struct credential *back = NULL;
	ok(blob && credential_from_blob(blob, &back, &err) == AIAUTH_OK && back, "credential_from_blob");
	int same = back && back->n == c->n;
	for (size_t i = 0; same && i < c->n; i++)
		same = secret_equal(credential_get(back, c->fields[i].name), c->fields[i].value);
	ok(same, "every field comes back byte for byte (quotes, backslashes, unicode, newlines, 10000 bytes)");
	credential_free(back);
	secret_free(blob);
	credential_free(c);

	c = credential_new();
	ok(credential_to_blob(c, &blob, &err) == AIAUTH_OK && strcmp((char *)blob->buf, "{}") == 0,
	   "an empty credential is {}");
	secret_free(blob);

	/* Values that would not come back the same are refused. */
	blob = NULL;
	credential_take(c, "bin", secret_from_mem("ab\0cd", 5));
	ok(credential_to_blob(c, &blob, &err) == AIAUTH_CORRUPT && err && blob == NULL,
	   "a value with a NUL byte is refused (it would come back cut)");
	error_clear(&err);
	credential_set_str(c, "bin", "\xff\xfe bad");
	ok(credential_to_blob(c, &blob, &err) == AIAUTH_CORRUPT && err && blob == NULL,
	   "a value that is not UTF-8 is refused");
	ok(err && !strstr(err->message, "bad"), "and the message does not contain the value");
	error_clear(&err);
	credential_set_str(c, "bin", "\xc0\xaf");
	ok(credential_to_blob(c, &blob, &err) == AIAUTH_CORRUPT && blob == NULL,
	   "an overlong UTF-8 value is refused");
	error_clear(&err);
	credential_free(c);
}

static void expect_garbage(const char *what, const char *text, size_t len)
{
	struct aiauth_error *err = NULL;
	struct secret *blob = secret_from_mem(text, len);
	struct credential *out = (struct credential *)"untouched";
	enum aiauth_status st = credential_from_blob(blob, &out, &err);
	ok(st == AIAUTH_CORRUPT && err && err->status == AIAUTH_CORRUPT &&
	       out == (struct credential *)"untouched",
	   "%s: AIAUTH_CORRUPT, *out untouched", what);
	ok(err && !strstr(err->message, "GARBAGE") && !strstr(err->message, "sk-"),
	   "%s: the message holds nothing of the input (\"%s\")", what, err ? err->message : "");
	error_clear(&err);
	secret_free(blob);
}

static void test_from_blob(void)
{
	expect_garbage("empty", "", 0);
	expect_garbage("text", "not json sk-GARBAGE-SECRET", 26);
	expect_garbage("bare string", "\"sk-GARBAGE-SECRET\"", 19);
	expect_garbage("array", "[\"sk-GARBAGE-SECRET\"]", 21);
	expect_garbage("number", "42", 2);
	expect_garbage("truncated object", "{\"api_key\": \"sk-GARBAGE-SECRET\"", 31);
	expect_garbage("unquoted value", "{\"api_key\": sk-GARBAGE-SECRET}", 30);
	expect_garbage("embedded NUL", "{\"api_key\": \"sk-GARB\0AGE\"}", 26);
	expect_garbage("invalid UTF-8", "{\"api_key\": \"sk-GARBAGE\xff\"}", 26);

	struct aiauth_error *err = NULL;
	struct credential *out = NULL;
	ok(credential_from_blob(NULL, &out, &err) == AIAUTH_CORRUPT && !out, "a NULL blob is CORRUPT");
	error_clear(&err);

	const char *mixed = "{\"api_key\":\"k\",\"n\":1,\"d\":2.5,\"b\":true,\"z\":null,"
	                    "\"o\":{\"x\":\"y\"},\"a\":[\"z\"]}";
	struct secret *blob = secret_from_str(mixed);
	ok(credential_from_blob(blob, &out, &err) == AIAUTH_OK && out && out->n == 1 &&
	       get_is(out, "api_key", "k"),
	   "non-string members are ignored, string members kept");
	ok(out && !credential_get(out, "x") && !credential_get(out, "o"), "nested members are not flattened");
	CREDENTIAL_FREE(out);
	secret_free(blob);

	blob = secret_from_str("{\"api_key\":\"first\",\"api_key\":\"second\"}");
	ok(credential_from_blob(blob, &out, &err) == AIAUTH_OK && out->n == 1 && get_is(out, "api_key", "second"),
	   "a repeated member: one field, the last value");
	CREDENTIAL_FREE(out);
	secret_free(blob);

	blob = secret_from_str("  {\"api_key\" : \"sp\\u00e9cial \\\"q\\\" \\\\ \\n\"}\n");
	ok(credential_from_blob(blob, &out, &err) == AIAUTH_OK && get_is(out, "api_key", "sp\xc3\xa9" "cial \"q\" \\ \n"),
	   "JSON escapes are decoded");
	CREDENTIAL_FREE(out);
	secret_free(blob);
	error_clear(&err);
}

int main(void)
{
	test_fields();
	test_round_trip();
	test_from_blob();
	return done_testing();
}
