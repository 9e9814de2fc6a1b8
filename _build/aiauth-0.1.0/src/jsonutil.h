/* jsonutil.h - small helpers over yajl's tree parser and generator.
 *
 * Parsing: json_parse() wraps yajl_tree_parse and gives a one-line error
 * ("line 3: invalid string") without the echo of input that yajl's verbose
 * messages carry (the input may hold secrets).  Free the tree with
 * json_free(), or with json_free_wiped() when it may hold secrets: that walks
 * the tree and wipes every string and key before yajl frees it.
 *
 * Generating: json_gen_new() returns a yajl generator whose allocator wipes
 * every block it frees, so JSON text that carried a secret leaves nothing
 * behind.  Take the text with json_gen_take() (into a struct secret) or
 * json_gen_take_str() (a plain heap string for non-secret documents). */
#ifndef AIAUTH_JSONUTIL_H
#define AIAUTH_JSONUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "error.h"
#include "secret.h"

/* Parse `len` bytes (need not be NUL-terminated). AIAUTH_CORRUPT with a
 * message on malformed input; *out is NULL then.  Also refused: a NUL byte,
 * text that is not strictly UTF-8 (overlong forms, surrogates), nesting
 * deeper than 256 levels.  The message never quotes the input. */
enum aiauth_status json_parse(const char *text, size_t len, yajl_val *out,
                              struct aiauth_error **err);
void json_free(yajl_val v);
void json_free_wiped(yajl_val v);

/* Member lookups on an object; NULL (or the fallback) when absent or of
 * another type.  `obj` may be NULL. */
yajl_val json_get(yajl_val obj, const char *key);
const char *json_get_string(yajl_val obj, const char *key);
bool json_get_int(yajl_val obj, const char *key, int64_t *out); /* *out untouched on false */
bool json_get_bool(yajl_val obj, const char *key, bool fallback);
yajl_val json_get_object(yajl_val obj, const char *key);
yajl_val json_get_array(yajl_val obj, const char *key);

/* A generator with the wiping allocator; NULL on OOM. */
yajl_gen json_gen_new(bool pretty);
/* Convenience writers; every one returns false on generator error,
 * including a string that is not strictly UTF-8. */
bool json_gen_string(yajl_gen g, const char *s);
bool json_gen_key_string(yajl_gen g, const char *key, const char *value); /* NULL value -> null */
bool json_gen_key_int(yajl_gen g, const char *key, int64_t value);
bool json_gen_key_bool(yajl_gen g, const char *key, bool value);
bool json_gen_key(yajl_gen g, const char *key);
/* Copy out the generated text and free the generator. */
enum aiauth_status json_gen_take(yajl_gen g, struct secret **out, struct aiauth_error **err);
enum aiauth_status json_gen_take_str(yajl_gen g, char **out, size_t *len,
                                     struct aiauth_error **err);

#endif
