/* credential.c - the secret blob of an account. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "jsonutil.h"

struct credential *credential_new(void)
{
	return calloc(1, sizeof(struct credential));
}

void credential_free(struct credential *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->fields[i].name);
		secret_free(c->fields[i].value);
	}
	free(c->fields);
	free(c);
}

enum aiauth_status credential_take(struct credential *c, const char *name, struct secret *value)
{
	/* credential_take(c, "api_key", secret_from_str(x)) is the natural
	 * idiom, so a NULL value means that allocation failed.  Storing it
	 * would leave a field that credential_to_blob() dereferences. */
	if (!value)
		return AIAUTH_NO_MEMORY;
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->fields[i].name, name) == 0) {
			if (c->fields[i].value == value)
				return AIAUTH_OK; /* freeing it would leave it dangling */
			secret_free(c->fields[i].value);
			c->fields[i].value = value;
			return AIAUTH_OK;
		}
	}
	struct credential_field *f = realloc(c->fields, (c->n + 1) * sizeof(*f));
	char *n = strdup(name);
	if (!f || !n) {
		if (f)
			c->fields = f;
		free(n);
		secret_free(value);
		return AIAUTH_NO_MEMORY;
	}
	c->fields = f;
	c->fields[c->n].name = n;
	c->fields[c->n].value = value;
	c->n++;
	return AIAUTH_OK;
}

enum aiauth_status credential_set_str(struct credential *c, const char *name, const char *value)
{
	struct secret *s = secret_from_str(value);
	if (!s)
		return AIAUTH_NO_MEMORY;
	return credential_take(c, name, s);
}

const struct secret *credential_get(const struct credential *c, const char *name)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->fields[i].name, name) == 0)
			return c->fields[i].value;
	return NULL;
}

enum aiauth_status credential_to_blob(const struct credential *c, struct secret **blob,
                                      struct aiauth_error **err)
{
	yajl_gen g = json_gen_new(false);
	if (!g)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	/* A value with a NUL byte would be written as "\u0000", and the parser
	 * side (yajl's tree keeps C strings) would cut it there: refuse it here
	 * rather than store a credential that comes back different. */
	for (size_t i = 0; i < c->n; i++) {
		const struct secret *v = c->fields[i].value;
		if (memchr(v->buf, '\0', v->len)) {
			yajl_gen_free(g);
			return error_set(err, AIAUTH_CORRUPT, _("the credential field %s contains a NUL byte"),
			                 c->fields[i].name);
		}
	}
	bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok;
	for (size_t i = 0; ok && i < c->n; i++) {
		/* No NUL inside (checked above), so the value is its C string;
		 * json_gen_string checks UTF-8 strictly. */
		ok = json_gen_key(g, c->fields[i].name) &&
		     json_gen_string(g, (const char *)c->fields[i].value->buf);
	}
	ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok;
	if (!ok) {
		yajl_gen_free(g);
		/* The usual cause is a value that is not UTF-8. */
		return error_set(err, AIAUTH_CORRUPT, "%s",
		                 _("the credential is not valid UTF-8 text"));
	}
	return json_gen_take(g, blob, err);
}

enum aiauth_status credential_from_blob(const struct secret *blob, struct credential **out,
                                        struct aiauth_error **err)
{
	yajl_val v = NULL;
	struct aiauth_error *perr = NULL;
	if (!blob)
		return error_set(err, AIAUTH_CORRUPT, "%s", _("the stored credential is damaged"));
	if (json_parse((const char *)blob->buf, blob->len, &v, &perr) != AIAUTH_OK ||
	    !YAJL_IS_OBJECT(v)) {
		error_clear(&perr);
		json_free_wiped(v);
		return error_set(err, AIAUTH_CORRUPT, "%s", _("the stored credential is damaged"));
	}
	struct credential *c = credential_new();
	if (!c) {
		json_free_wiped(v);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	for (size_t i = 0; i < v->u.object.len; i++) {
		yajl_val fv = v->u.object.values[i];
		if (!YAJL_IS_STRING(fv))
			continue;
		if (credential_set_str(c, v->u.object.keys[i], fv->u.string) != AIAUTH_OK) {
			credential_free(c);
			json_free_wiped(v);
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		}
	}
	json_free_wiped(v);
	*out = c;
	return AIAUTH_OK;
}
