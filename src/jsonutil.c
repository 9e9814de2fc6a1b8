/* jsonutil.c - helpers over yajl. */
#include "config.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"

enum aiauth_status json_parse(const char *text, size_t len, yajl_val *out,
                              struct aiauth_error **err)
{
	*out = NULL;
	/* yajl_tree_parse wants a NUL-terminated string; the copy is wiped. */
	char *copy = malloc(len + 1);
	if (!copy)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len) {
		secure_wipe(copy, len);
		free(copy);
		return error_set(err, AIAUTH_CORRUPT, "%s", _("invalid JSON: embedded NUL byte"));
	}
	char msg[256] = "";
	yajl_val v = yajl_tree_parse(copy, msg, sizeof(msg));
	secure_wipe(copy, len);
	free(copy);
	if (!v) {
		/* yajl's message may quote the input around the error; keep only its
		 * first line, which names the problem without the text. */
		char *nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s", _("not valid JSON"));
		return error_set(err, AIAUTH_CORRUPT, _("invalid JSON: %s"), msg);
	}
	*out = v;
	return AIAUTH_OK;
}

void json_free(yajl_val v)
{
	if (v)
		yajl_tree_free(v);
}

static void wipe_tree(yajl_val v)
{
	if (!v)
		return;
	if (YAJL_IS_STRING(v) && v->u.string) {
		secure_wipe(v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_NUMBER(v) && v->u.number.r) {
		secure_wipe(v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_OBJECT(v)) {
		for (size_t i = 0; i < v->u.object.len; i++) {
			if (v->u.object.keys[i])
				secure_wipe((char *)v->u.object.keys[i], strlen(v->u.object.keys[i]));
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
	if (!v || !YAJL_IS_INTEGER(v))
		return false;
	*out = (int64_t)v->u.number.i;
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

static yajl_alloc_funcs wiping_alloc = {wiping_malloc, wiping_realloc, wiping_free, NULL};

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
