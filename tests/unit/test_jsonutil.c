/* test_jsonutil.c - parsing, lookups, generation and wiping over yajl.
 *
 * Linked with -Wl,--wrap=free and -Wl,--wrap=yajl_tree_free: the hooks
 * below see the tree just before yajl frees it and every block jsonutil's
 * wiping allocator frees, so wipes are checked without reading freed
 * memory. */
#include "config.h"

#include <malloc.h>
#include <stdint.h>

#include "jsonutil.h"
#include "tap.h"

void __real_free(void *p);
void __wrap_free(void *p);
void __real_yajl_tree_free(yajl_val v);
void __wrap_yajl_tree_free(yajl_val v);

/* free() hook: while armed, count blocks and the dirty ones among them. */
static int free_armed, free_count, free_dirty;

void __wrap_free(void *p)
{
	if (p && free_armed) {
		const unsigned char *b = p;
		size_t n = malloc_usable_size(p);
		free_count++;
		for (size_t i = 0; i < n; i++)
			if (b[i]) {
				free_dirty++;
				break;
			}
	}
	__real_free(p);
}

/* yajl_tree_free() hook: check the watched string blocks are all zero. */
#define MAX_WATCH 8
static const unsigned char *tree_watch[MAX_WATCH];
static size_t tree_watch_len[MAX_WATCH];
static int tree_nwatch, tree_seen, tree_clean;

void __wrap_yajl_tree_free(yajl_val v)
{
	if (tree_nwatch) {
		tree_seen++;
		tree_clean = 1;
		for (int k = 0; k < tree_nwatch; k++)
			for (size_t i = 0; i < tree_watch_len[k]; i++)
				if (tree_watch[k][i])
					tree_clean = 0;
		tree_nwatch = 0;
	}
	__real_yajl_tree_free(v);
}

static void tree_add_watch(const void *p, size_t n)
{
	tree_watch[tree_nwatch] = p;
	tree_watch_len[tree_nwatch] = n;
	tree_nwatch++;
	tree_seen = 0;
	tree_clean = 0;
}

static yajl_val parse(const char *text, struct aiauth_error **err)
{
	yajl_val v = NULL;
	json_parse(text, strlen(text), &v, err);
	return v;
}

static void test_parse(void)
{
	struct aiauth_error *err = NULL;
	yajl_val v = parse("{\"s\":\"str\",\"i\":42,\"neg\":-7,\"d\":1.5,\"t\":true,\"f\":false,"
	                   "\"n\":null,\"o\":{\"x\":\"y\"},\"a\":[1,2],\"big\":9007199254740993}",
	                   &err);
	ok(v && YAJL_IS_OBJECT(v) && !err, "a valid object parses");
	ok(strcmp(json_get_string(v, "s"), "str") == 0, "json_get_string");
	int64_t i = 0;
	ok(json_get_int(v, "i", &i) && i == 42, "json_get_int");
	ok(json_get_int(v, "neg", &i) && i == -7, "json_get_int negative");
	ok(json_get_int(v, "big", &i) && i == 9007199254740993LL, "json_get_int keeps 64-bit precision");
	i = 99;
	ok(!json_get_int(v, "d", &i) && i == 99, "a fraction is not an integer, *out untouched");
	ok(!json_get_int(v, "s", &i) && i == 99, "a string is not an integer");
	ok(!json_get_int(v, "nope", &i) && i == 99, "absent key: false");
	ok(json_get_bool(v, "t", false) == true && json_get_bool(v, "f", true) == false, "json_get_bool");
	ok(json_get_bool(v, "s", true) == true && json_get_bool(v, "s", false) == false,
	   "json_get_bool on a string returns the fallback");
	ok(json_get_bool(v, "n", true) && json_get_bool(v, "nope", true), "null and absent: fallback");
	ok(json_get_string(v, "i") == NULL && json_get_string(v, "n") == NULL &&
	       json_get_string(v, "o") == NULL,
	   "json_get_string on number, null, object: NULL");
	ok(json_get_object(v, "o") && json_get_object(v, "a") == NULL && json_get_object(v, "s") == NULL,
	   "json_get_object only returns objects");
	ok(json_get_array(v, "a") && json_get_array(v, "o") == NULL, "json_get_array only returns arrays");
	ok(json_get(v, "n") && YAJL_IS_NULL(json_get(v, "n")), "json_get returns a null member");
	ok(json_get(v, "missing") == NULL, "json_get on a missing key");
	ok(json_get_string(json_get_object(v, "o"), "x") && strcmp(json_get_string(json_get_object(v, "o"), "x"), "y") == 0,
	   "nested lookup");
	yajl_val arr = json_get_array(v, "a");
	ok(json_get(arr, "0") == NULL && json_get_string(arr, "x") == NULL, "lookups on an array: NULL");
	ok(json_get(NULL, "x") == NULL && json_get_string(NULL, "x") == NULL &&
	       json_get_object(NULL, "x") == NULL && json_get_array(NULL, "x") == NULL &&
	       !json_get_int(NULL, "x", &i) && json_get_bool(NULL, "x", true),
	   "lookups on NULL: NULL, false, fallback");
	json_free(v);
	json_free(NULL);
	json_free_wiped(NULL);

	/* The length is honoured: text need not be NUL-terminated. */
	static const char part[] = "[1,2]garbage";
	ok(json_parse(part, 5, &v, &err) == AIAUTH_OK && YAJL_IS_ARRAY(v) && v->u.array.len == 2,
	   "only len bytes are parsed");
	json_free(v);

	v = parse("[] /* comment */", &err);
	ok(v != NULL, "comments are accepted (as yajl_tree allows)");
	json_free(v);
}

static void expect_corrupt(const char *what, const char *text, size_t len, const char *must_not)
{
	struct aiauth_error *err = NULL;
	yajl_val v = (yajl_val)1;
	enum aiauth_status st = json_parse(text, len, &v, &err);
	ok(st == AIAUTH_CORRUPT && v == NULL && err && err->status == AIAUTH_CORRUPT &&
	       strncmp(err->message, "invalid JSON", 12) == 0,
	   "%s: AIAUTH_CORRUPT, *out NULL, \"%s\"", what, err ? err->message : "(no message)");
	if (must_not)
		ok(err && !strstr(err->message, must_not) && !strstr(err->message, "sk-live"),
		   "%s: the message does not echo the input", what);
	if (v && v != (yajl_val)1)
		json_free(v); /* should not happen; freeing shows a too-deep tree */
	error_clear(&err);
}

static void test_parse_errors(void)
{
	const char *secret = "TOPSECRET0123456789";
	/* Secret-looking text in several kinds of malformed JSON. */
#define SK "sk-live-TOPSECRET0123456789"
	static const char *const shapes[] = {
		"{\"api_key\": \"" SK "\" x}", "{\"api_key\": " SK "}",
		"[\"" SK "\"",                 "{\"" SK "\"}",
		"{\"api_key\": \"" SK,        SK,
		"{\"a\":1,\n\"api_key\": \"" SK "\",,}",
	};
#undef SK
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		char what[32];
		snprintf(what, sizeof(what), "malformed #%zu", k + 1);
		expect_corrupt(what, shapes[k], strlen(shapes[k]), secret);
	}

	struct aiauth_error *err = NULL;
	yajl_val v;
	const char *three = "{\n  \"a\": 1,\n  \"b\" 2\n}";
	json_parse(three, strlen(three), &v, &err);
	ok(err && strstr(err->message, "line 3"), "the message names the line: %s",
	   err ? err->message : "(none)");
	error_clear(&err);

	static const char nul[] = "{\"a\":\"b\0c\"}";
	expect_corrupt("embedded NUL", nul, sizeof(nul) - 1, NULL);
	expect_corrupt("empty input", "", 0, NULL);
	expect_corrupt("NULL with length 0", NULL, 0, NULL);
	expect_corrupt("invalid UTF-8 in a string", "[\"\xff\"]", 5, NULL);
	expect_corrupt("overlong UTF-8 in a string", "[\"\xc0\xaf\"]", 6, NULL);
	expect_corrupt("truncated UTF-8 in a string", "[\"\xe2\x82\"]", 6, NULL);
	expect_corrupt("UTF-8 surrogate in a string", "[\"\xed\xa0\x80\"]", 7, NULL);
	expect_corrupt("code point past U+10FFFF", "[\"\xf4\x90\x80\x80\"]", 8, NULL);
	expect_corrupt("a stray byte outside strings", "[1]\x80", 4, NULL);
	yajl_val u8 = NULL;
	const char *good8 = "[\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 \xf4\x8f\xbf\xbf\"]";
	ok(json_parse(good8, strlen(good8), &u8, &err) == AIAUTH_OK, "valid 2-, 3- and 4-byte UTF-8 is accepted");
	json_free(u8);
	expect_corrupt("two documents", "{} {}", 5, NULL);

	/* A million '[' would overflow the stack in yajl_tree_free. */
	size_t depth = 1000000;
	char *deep = malloc(2 * depth);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	expect_corrupt("nesting 1000000 deep", deep, 2 * depth, NULL);
	ok(json_parse(deep + depth - 100, 200, &v, &err) == AIAUTH_OK, "nesting 100 deep is fine");
	json_free(v);
	free(deep);
	/* Brackets inside strings are not nesting. */
	char many[700];
	strcpy(many, "[\"");
	memset(many + 2, '[', 600);
	strcpy(many + 602, "\\\"[\"]");
	ok(json_parse(many, strlen(many), &v, &err) == AIAUTH_OK && YAJL_IS_ARRAY(v),
	   "brackets and escaped quotes inside strings do not count as depth");
	json_free(v);
	error_clear(&err);
}

static void test_free_wiped(void)
{
	/* "\u0000" puts a NUL inside a yajl string: a wipe to strlen() would
	 * stop at "abc" and leave the tail. */
	const char *text = "{\"key\":\"abc\\u0000SECRETTAIL\",\"num\":123456789,\"arr\":[\"x\\u0000YYYY\"]}";
	yajl_val v = NULL;
	json_parse(text, strlen(text), &v, NULL);
	yajl_val s = json_get(v, "key");
	yajl_val n = json_get(v, "num");
	yajl_val a = json_get_array(v, "arr");
	ok(s && n && a && memcmp(s->u.string, "abc\0SECRETTAIL", 15) == 0,
	   "yajl decodes \\u0000 into the string (the case under test)");
	tree_add_watch(s->u.string, 15);
	tree_add_watch(v->u.object.keys[0], 4);
	tree_add_watch(n->u.number.r, 10);
	tree_add_watch(a->u.array.values[0]->u.string, 7);
	json_free_wiped(v);
	ok(tree_seen == 1 && tree_clean, "json_free_wiped wipes strings past an embedded NUL, keys and numbers");

	/* The hook can fail: plain json_free leaves the text. */
	json_parse(text, strlen(text), &v, NULL);
	tree_add_watch(json_get(v, "key")->u.string, 15);
	json_free(v);
	ok(tree_seen == 1 && !tree_clean, "(control) json_free does not wipe, and the hook sees it");
}

static void test_generate(void)
{
	struct aiauth_error *err = NULL;
	const char *nasty = "q\"b\\s/\x01\x1f\n\r\t\b\fend \xc3\xa9 \xf0\x9f\x94\x91";
	yajl_gen g = json_gen_new(false);
	ok(g != NULL, "json_gen_new");
	int good = yajl_gen_map_open(g) == yajl_gen_status_ok && json_gen_key_string(g, "v", nasty) &&
	           json_gen_key_string(g, "nul", NULL) && json_gen_key_int(g, "max", INT64_MAX) &&
	           json_gen_key_int(g, "min", INT64_MIN) && json_gen_key_bool(g, "yes", true) &&
	           json_gen_key_bool(g, "no", false) && json_gen_key(g, "arr") &&
	           yajl_gen_array_open(g) == yajl_gen_status_ok && json_gen_string(g, "e") &&
	           yajl_gen_array_close(g) == yajl_gen_status_ok &&
	           yajl_gen_map_close(g) == yajl_gen_status_ok;
	ok(good, "the writers succeed");
	char *out = NULL;
	size_t len = 0;
	ok(json_gen_take_str(g, &out, &len, &err) == AIAUTH_OK && out && len == strlen(out),
	   "json_gen_take_str gives the text and its length");
	int raw_ctl = 0;
	for (size_t k = 0; out && k < len; k++)
		if ((unsigned char)out[k] < 0x20)
			raw_ctl = 1;
	ok(out && !raw_ctl, "control characters are escaped: %s", out ? out : "");
	yajl_val v = NULL;
	ok(out && json_parse(out, len, &v, &err) == AIAUTH_OK, "the output is valid JSON");
	ok(json_get_string(v, "v") && strcmp(json_get_string(v, "v"), nasty) == 0,
	   "quotes, backslashes, controls and UTF-8 round-trip");
	int64_t i = 0;
	ok(json_get(v, "nul") && YAJL_IS_NULL(json_get(v, "nul")), "a NULL value is written as null");
	ok(json_get_int(v, "max", &i) && i == INT64_MAX && json_get_int(v, "min", &i) && i == INT64_MIN,
	   "int64 extremes round-trip");
	ok(json_get_bool(v, "yes", false) && !json_get_bool(v, "no", true), "booleans round-trip");
	ok(json_get_array(v, "arr") && json_get_array(v, "arr")->u.array.len == 1, "array written");
	json_free(v);
	free(out);

	g = json_gen_new(false);
	ok(!json_gen_string(g, "\xff\xfe"), "invalid UTF-8 is refused by the generator");
	yajl_gen_free(g);
	g = json_gen_new(false);
	ok(!json_gen_string(g, "a\xc0\xaf"), "overlong UTF-8 is refused by the generator");
	yajl_gen_free(g);
	g = json_gen_new(false);
	yajl_gen_map_open(g);
	ok(!json_gen_key(g, NULL), "a NULL key is refused");
	yajl_gen_free(g);

	g = json_gen_new(true);
	yajl_gen_map_open(g);
	json_gen_key_int(g, "a", 1);
	yajl_gen_map_close(g);
	json_gen_take_str(g, &out, NULL, &err);
	ok(out && strstr(out, "\n  \"a\": 1"), "pretty output is indented with two spaces");
	free(out);

	/* json_gen_take: a secret, and every block the generator frees is wiped. */
	g = json_gen_new(false);
	yajl_gen_map_open(g);
	json_gen_key_string(g, "api_key", "sk-live-GENERATEDSECRET");
	/* Enough text to make the generator's buffer grow (realloc path). */
	for (int k = 0; k < 200; k++)
		json_gen_key_string(g, "padding", "0123456789abcdef0123456789abcdef");
	yajl_gen_map_close(g);
	struct secret *s = NULL;
	free_armed = 1;
	free_count = free_dirty = 0;
	enum aiauth_status st = json_gen_take(g, &s, &err);
	free_armed = 0;
	ok(st == AIAUTH_OK && s && s->len == strlen((char *)s->buf) && s->len > 6000,
	   "json_gen_take gives a NUL-terminated secret of the whole text");
	ok(s && strncmp((char *)s->buf, "{\"api_key\":\"sk-live-GENERATEDSECRET\"", 36) == 0,
	   "json_gen_take's text is the document");
	ok(free_count >= 2 && free_dirty == 0, "every block the generator freed was wiped (%d blocks, %d dirty)",
	   free_count, free_dirty);
	secret_free(s);
	error_clear(&err);
}

/* Found by fuzzing accounts.json: a lone surrogate escape was read into a
 * value that every later write refused. */
static void test_lone_surrogate(void)
{
	static const char *const bad[] = {
		"{\"method\":\"device\\uded0\"}",
		"{\"a\":[\"x\\udfff\"]}",
		"{\"k\\udc00\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		yajl_val v = NULL;
		struct aiauth_error *err = NULL;
		ok(json_parse(bad[i], strlen(bad[i]), &v, &err) == AIAUTH_CORRUPT && !v && err &&
		       strstr(err->message, "surrogate"),
		   "a lone surrogate is refused: %s", bad[i]);
		error_clear(&err);
	}
	const char *pair = "{\"e\":\"\\ud83d\\ude00\"}";
	yajl_val v = NULL;
	ok(json_parse(pair, strlen(pair), &v, NULL) == AIAUTH_OK &&
	       strcmp(json_get_string(v, "e"), "\xf0\x9f\x98\x80") == 0,
	   "a surrogate pair is one character");
	json_free(v);
}

int main(void)
{
	test_lone_surrogate();
	test_parse();
	test_parse_errors();
	test_free_wiped();
	test_generate();
	return done_testing();
}
