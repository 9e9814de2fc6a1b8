/* jsonutil.c - helpers over yajl. */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "jsonutil.h"

/* Deeper documents are refused before yajl sees them: yajl_tree_free (and
 * wipe_tree) recurse once per level, so a corrupt file of a million '['
 * would overflow the stack.  Nothing aiauth writes comes close. */
#define JSON_MAX_DEPTH 256

static bool json_too_deep(const char *text, size_t len)
{
	bool in_string = false, escaped = false;
	unsigned depth = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return true;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return false;
}

/* Strict UTF-8 (RFC 3629): yajl's own check only looks at the shape of a
 * sequence, so it lets through overlong forms ("\xc0\xaf" for '/'), UTF-16
 * surrogates and code points past U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			if (c == 0xE0)
				lo = 0xA0; /* overlong */
			else if (c == 0xED)
				hi = 0x9F; /* surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			if (c == 0xF0)
				lo = 0x90; /* overlong */
			else if (c == 0xF4)
				hi = 0x8F; /* past U+10FFFF */
		} else {
			return false;
		}
		if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += n;
	}
	return true;
}

static void *wiping_malloc(void *ctx, size_t n);
static void *wiping_realloc(void *ctx, void *p, size_t n);
static void wiping_free(void *ctx, void *p);
static yajl_alloc_funcs wiping_alloc = {wiping_malloc, wiping_realloc, wiping_free, NULL};

/* Why `text` is not JSON, as "line N: reason".  yajl_tree_parse's own
 * message is verbose: it quotes the input around the error, and the input
 * may be a secret, so it is never asked for.  Instead the text is parsed
 * again without callbacks, the reason taken in yajl's terse form (a fixed
 * string) and the line counted here; the lexer's buffers in that pass go
 * through the wiping allocator. */
static void json_describe_error(const char *text, size_t len, char *msg, size_t msgsize)
{
	snprintf(msg, msgsize, "%s", _("not valid JSON"));
	yajl_handle h = yajl_alloc(NULL, &wiping_alloc, NULL);
	if (!h)
		return;
	yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse does */
	size_t at = len;
	yajl_status ys = yajl_parse(h, (const unsigned char *)text, len);
	if (ys != yajl_status_ok)
		at = yajl_get_bytes_consumed(h);
	else
		ys = yajl_complete_parse(h);
	if (ys != yajl_status_ok) {
		unsigned line = 1;
		for (size_t i = 0; i < at && i < len; i++)
			line += text[i] == '\n';
		unsigned char *why = yajl_get_error(h, 0, NULL, 0);
		if (why) {
			char *nl = strchr((char *)why, '\n');
			if (nl)
				*nl = '\0';
			snprintf(msg, msgsize, _("line %u: %s"), line, (const char *)why);
			yajl_free_error(h, why);
		}
	}
	yajl_free(h);
}

/* Every string and key of a parsed tree valid UTF-8?  The input was, but
 * yajl turns a lone surrogate escape ("\\udc00") into bytes that are not:
 * such a value would be taken in and then refused by every later write.
 * The depth was bounded before parsing. */
static bool tree_utf8_valid(yajl_val v)
{
	if (YAJL_IS_STRING(v))
		return utf8_valid((const unsigned char *)v->u.string, strlen(v->u.string));
	if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++)
			if (!tree_utf8_valid(v->u.array.values[i]))
				return false;
	} else if (YAJL_IS_OBJECT(v)) {
		for (size_t i = 0; i < v->u.object.len; i++)
			if (!utf8_valid((const unsigned char *)v->u.object.keys[i],
			                strlen(v->u.object.keys[i])) ||
			    !tree_utf8_valid(v->u.object.values[i]))
				return false;
	}
	return true;
}

enum aiauth_status json_parse(const char *text, size_t len, yajl_val *out,
                              struct aiauth_error **err)
{
	*out = NULL;
	/* yajl_tree_parse wants a NUL-terminated string; the copy is wiped. */
	char *copy = malloc(len + 1);
	if (!copy)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	enum aiauth_status st = AIAUTH_OK;
	if (strlen(copy) != len) {
		st = error_set(err, AIAUTH_CORRUPT, "%s", _("invalid JSON: embedded NUL byte"));
		goto out;
	}
	if (!utf8_valid((const unsigned char *)copy, len)) {
		st = error_set(err, AIAUTH_CORRUPT, "%s", _("invalid JSON: not valid UTF-8"));
		goto out;
	}
	if (json_too_deep(copy, len)) {
		st = error_set(err, AIAUTH_CORRUPT, "%s", _("invalid JSON: nested too deeply"));
		goto out;
	}
	yajl_val v = yajl_tree_parse(copy, NULL, 0);
	if (!v) {
		char msg[256];
		json_describe_error(copy, len, msg, sizeof(msg));
		st = error_set(err, AIAUTH_CORRUPT, _("invalid JSON: %s"), msg);
		goto out;
	}
	if (!tree_utf8_valid(v)) {
		json_free_wiped(v);
		st = error_set(err, AIAUTH_CORRUPT, "%s",
		               _("invalid JSON: a \\u escape that is not a character (a lone "
		                 "surrogate)"));
		goto out;
	}
	*out = v;
out:
	secure_wipe(copy, len);
	free(copy);
	return st;
}

void json_free(yajl_val v)
{
	if (v)
		yajl_tree_free(v);
}

/* Strings in a yajl tree are malloc'ed by yajl_tree with their length
 * lost; "\\u0000" in the input puts a NUL inside one, so strlen() would stop
 * short and leave the tail (oidc-agent's bug).  The whole allocation is
 * wiped instead. */
static void wipe_heap_str(const char *p)
{
	if (p)
		secure_wipe((void *)p, malloc_usable_size((void *)p));
}

static void wipe_tree(yajl_val v)
{
	if (!v)
		return;
	if (YAJL_IS_STRING(v)) {
		wipe_heap_str(v->u.string);
	} else if (YAJL_IS_NUMBER(v)) {
		wipe_heap_str(v->u.number.r);
	} else if (YAJL_IS_OBJECT(v)) {
		for (size_t i = 0; i < v->u.object.len; i++) {
			wipe_heap_str(v->u.object.keys[i]);
			wipe_tree(v->u.object.values[i]);
		}
	} else if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++)
			wipe_tree(v->u.array.values[i]);
	}
}

void json_free_wiped(yajl_val v)
{
	if (!v)
		return;
	wipe_tree(v);
	yajl_tree_free(v);
}

yajl_val json_get(yajl_val obj, const char *key)
{
	if (!obj || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

const char *json_get_string(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);
	return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

bool json_get_int(yajl_val obj, const char *key, int64_t *out)
{
	yajl_val v = json_get(obj, key);
	if (!v || !YAJL_IS_NUMBER(v))
		return false;
	if (YAJL_IS_INTEGER(v)) {
		*out = (int64_t)v->u.number.i;
		return true;
	}
	/* yajl's integer parser overflows on INT64_MIN (it accumulates the
	 * magnitude as a positive long long), so it marks -9223372036854775808
	 * as not an integer; take the raw text when it is a plain integer. */
	const char *r = v->u.number.r;
	if (!r || strpbrk(r, ".eE"))
		return false;
	char *end;
	errno = 0;
	long long x = strtoll(r, &end, 10);
	if (errno || end == r || *end)
		return false;
	*out = (int64_t)x;
	return true;
}

bool json_get_bool(yajl_val obj, const char *key, bool fallback)
{
	yajl_val v = json_get(obj, key);
	if (v && YAJL_IS_TRUE(v))
		return true;
	if (v && YAJL_IS_FALSE(v))
		return false;
	return fallback;
}

yajl_val json_get_object(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);
	return v && YAJL_IS_OBJECT(v) ? v : NULL;
}

yajl_val json_get_array(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);
	return v && YAJL_IS_ARRAY(v) ? v : NULL;
}

/* The generator's allocator: every block is wiped before it goes back to
 * malloc, so buffers that held generated secrets leave nothing behind. */
static void *wiping_malloc(void *ctx, size_t n)
{
	return malloc(n);
}

static void wiping_free(void *ctx, void *p)
{
	if (!p)
		return;
	secure_wipe(p, malloc_usable_size(p));
	free(p);
}

static void *wiping_realloc(void *ctx, void *p, size_t n)
{
	if (!p)
		return malloc(n);
	size_t old = malloc_usable_size(p);
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	wiping_free(ctx, p);
	return q;
}

yajl_gen json_gen_new(bool pretty)
{
	yajl_gen g = yajl_gen_alloc(&wiping_alloc);
	if (!g)
		return NULL;
	if (pretty) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, "  ");
	}
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	return g;
}

bool json_gen_string(yajl_gen g, const char *s)
{
	if (!s)
		return yajl_gen_null(g) == yajl_gen_status_ok;
	if (!utf8_valid((const unsigned char *)s, strlen(s)))
		return false;
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok;
}

bool json_gen_key(yajl_gen g, const char *key)
{
	return json_gen_string(g, key);
}

bool json_gen_key_string(yajl_gen g, const char *key, const char *value)
{
	return json_gen_key(g, key) && json_gen_string(g, value);
}

bool json_gen_key_int(yajl_gen g, const char *key, int64_t value)
{
	return json_gen_key(g, key) && yajl_gen_integer(g, (long long)value) == yajl_gen_status_ok;
}

bool json_gen_key_bool(yajl_gen g, const char *key, bool value)
{
	return json_gen_key(g, key) && yajl_gen_bool(g, value) == yajl_gen_status_ok;
}

enum aiauth_status json_gen_take(yajl_gen g, struct secret **out, struct aiauth_error **err)
{
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return error_set(err, AIAUTH_FAILED, "%s", _("cannot generate JSON"));
	}
	struct secret *s = secret_from_mem(buf, len);
	yajl_gen_free(g);
	if (!s)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	*out = s;
	return AIAUTH_OK;
}

enum aiauth_status json_gen_take_str(yajl_gen g, char **out, size_t *len,
                                     struct aiauth_error **err)
{
	const unsigned char *buf;
	size_t n;
	if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return error_set(err, AIAUTH_FAILED, "%s", _("cannot generate JSON"));
	}
	char *s = strndup((const char *)buf, n);
	yajl_gen_free(g);
	if (!s)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	*out = s;
	if (len)
		*len = n;
	return AIAUTH_OK;
}
