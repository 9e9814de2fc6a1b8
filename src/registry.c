/* registry.c - the built-in providers merged with the user's providers.json.
 *
 * Every built-in entry is copied into a heap `struct provider`; the user file
 * then changes fields of those copies in place or appends new providers.  So
 * every string the registry hands out is owned by it and registry_free() has
 * one kind of object to free.
 *
 * The file is read strictly: anything aiauth does not understand is an error
 * naming the file and the problem, because a silently ignored typo
 * ("base_ur") would send a key to the wrong server or to the default one.
 * The schema is documented for users in README.md, "providers.json". */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsutil.h"
#include "jsonutil.h"
#include "registry.h"
#include "registry_private.h"

/* Limits that keep a hostile or broken file from costing much. */
#define REGISTRY_MAX_FILE (1024 * 1024)
#define REGISTRY_MAX_PROVIDERS 1000
#define REGISTRY_MAX_FIELDS 16
#define REGISTRY_MAX_ID 64
#define REGISTRY_MAX_TEXT 512
#define REGISTRY_MAX_URL 2048
/* The schema nests five levels deep; yajl_tree_free() recurses once per
 * level, so a megabyte of "[[[[" would otherwise overflow the stack. */
#define REGISTRY_MAX_DEPTH 32

struct registry {
	struct provider *items; /* display order */
	size_t n;
	size_t cap;
	size_t n_builtin; /* items[0..n_builtin) are the built-ins */
};

/* ------------------------------------------------------------ names */

static const char *const group_names[] = {
	[PROVIDER_GROUP_SUBSCRIPTION] = "subscription",
	[PROVIDER_GROUP_API_KEY] = "api_key",
	[PROVIDER_GROUP_LOCAL] = "local",
};

static const struct {
	enum auth_method method;
	const char *name;
} method_names[] = {
	{ AUTH_METHOD_API_KEY, "api_key" },
	{ AUTH_METHOD_BROWSER, "browser" },
	{ AUTH_METHOD_DEVICE, "device" },
	{ AUTH_METHOD_NONE, "none" },
};

static const char *const models_auth_names[] = {
	[MODELS_AUTH_BEARER] = "bearer",   [MODELS_AUTH_X_API_KEY] = "x-api-key",
	[MODELS_AUTH_GOOG] = "x-goog-api-key", [MODELS_AUTH_AZURE] = "azure",
	[MODELS_AUTH_NONE] = "none",       [MODELS_AUTH_SIGV4] = "sigv4",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ASCII classes: <ctype.h> follows the locale, and what is valid in a file
 * must not depend on the user's LANG. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_alpha(char c) { return is_lower(c) || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

const char *provider_group_name(enum provider_group group)
{
	if ((size_t)group < COUNT(group_names))
		return group_names[group];
	return "unknown";
}

const char *auth_method_name(enum auth_method method)
{
	for (size_t i = 0; i < COUNT(method_names); i++)
		if (method_names[i].method == method)
			return method_names[i].name;
	return "unknown";
}

const char *models_auth_name(enum models_auth auth)
{
	if ((size_t)auth < COUNT(models_auth_names))
		return models_auth_names[auth];
	return "unknown";
}

/* ------------------------------------------------------- base URLs */

static bool is_loopback_host(const char *host, size_t len)
{
	if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
		return true;
	if (len == 5 && memcmp(host, "[::1]", 5) == 0)
		return true;
	/* 127.0.0.0/8 written as four decimal octets. */
	if (len < 7 || memcmp(host, "127.", 4) != 0)
		return false;
	int parts = 0;
	size_t i = 0;
	while (i < len) {
		unsigned v = 0;
		size_t digits = 0;
		while (i < len && is_digit(host[i])) {
			v = v * 10 + (unsigned)(host[i] - '0');
			if (++digits > 3 || v > 255)
				return false;
			i++;
		}
		if (digits == 0)
			return false;
		parts++;
		if (i < len) {
			if (host[i] != '.')
				return false;
			i++;
			if (i == len)
				return false;
		}
	}
	return parts == 4;
}

/* NULL when `url` is acceptable, else an untranslated reason; *keep receives
 * the length without trailing slashes and *scheme_len the length of the
 * scheme and "://". */
static const char *base_url_problem(const char *url, size_t *keep, size_t *scheme_len)
{
	size_t len = strlen(url);
	if (len == 0)
		return N_("is empty");
	if (len > REGISTRY_MAX_URL)
		return N_("is too long");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>')
			return N_("contains a space, a control character or a character not allowed in a URL");
	}
	bool https;
	if (strncasecmp(url, "https://", 8) == 0) {
		https = true;
		*scheme_len = 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		https = false;
		*scheme_len = 7;
	} else {
		return N_("must start with https://");
	}
	if (strchr(url, '?') || strchr(url, '#'))
		return N_("must not have a query (?) or a fragment (#)");
	const char *auth = url + *scheme_len;
	size_t alen = strcspn(auth, "/");
	if (memchr(auth, '@', alen))
		return N_("must not contain a user name or password");
	const char *host = auth;
	size_t hlen;
	if (alen > 0 && host[0] == '[') {
		const char *close = memchr(host, ']', alen);
		if (!close)
			return N_("has an unterminated [IPv6] address");
		hlen = (size_t)(close - host) + 1;
		if (hlen == 2)
			return N_("has no host");
		for (size_t i = 1; i + 1 < hlen; i++)
			if (!is_xdigit(host[i]) && host[i] != ':' && host[i] != '.')
				return N_("has an invalid [IPv6] address");
	} else {
		hlen = strcspn(host, ":/");
		if (hlen > alen)
			hlen = alen;
		if (hlen == 0)
			return N_("has no host");
		for (size_t i = 0; i < hlen; i++)
			if (!is_alnum(host[i]) && host[i] != '.' && host[i] != '-')
				return N_("has an invalid host name");
	}
	if (hlen < alen) {
		if (host[hlen] != ':')
			return N_("has an invalid host name");
		size_t plen = alen - hlen - 1;
		unsigned long port = 0;
		if (plen == 0 || plen > 5)
			return N_("has an invalid port");
		for (size_t i = 0; i < plen; i++) {
			if (!is_digit(host[hlen + 1 + i]))
				return N_("has an invalid port");
			port = port * 10 + (unsigned long)(host[hlen + 1 + i] - '0');
		}
		if (port == 0 || port > 65535)
			return N_("has an invalid port");
	}
	if (!https && !is_loopback_host(host, hlen))
		return N_("must use https (http is allowed only to 127.0.0.1, [::1] or localhost)");
	size_t k = len;
	while (k > *scheme_len + alen && url[k - 1] == '/')
		k--;
	*keep = k;
	return NULL;
}

/* The normalised copy: lower-case scheme, no trailing slashes. */
static char *base_url_normalized(const char *url, size_t keep, size_t scheme_len)
{
	char *out = strndup(url, keep);
	if (out)
		for (size_t i = 0; i < scheme_len; i++)
			if (out[i] >= 'A' && out[i] <= 'Z')
				out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

enum aiauth_status registry_normalize_base_url(const char *url, char **out,
                                               struct aiauth_error **err)
{
	size_t keep = 0, scheme_len = 0;
	*out = NULL;
	const char *why = base_url_problem(url, &keep, &scheme_len);
	if (why)
		return error_set(err, AIAUTH_USAGE, _("base URL %s %s"), url, _(why));
	if (!(*out = base_url_normalized(url, keep, scheme_len)))
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	return AIAUTH_OK;
}

/* ------------------------------------------------------ providers */

static void oauth_clear(struct provider_oauth *o)
{
	free(o->issuer);
	free(o->authorization_endpoint);
	free(o->token_endpoint);
	free(o->device_authorization_endpoint);
	free(o->userinfo_endpoint);
	free(o->client_id);
	free(o->client_secret);
	free(o->scopes);
	free(o->redirect_path);
	free(o->redirect_uri);
	free(o->extra_auth_params);
	free(o->config_hint);
	memset(o, 0, sizeof(*o));
}

static void provider_clear(struct provider *p)
{
	free(p->id);
	free(p->name);
	free(p->description);
	for (size_t i = 0; i < p->n_fields; i++) {
		free(p->fields[i].name);
		free(p->fields[i].prompt);
		free(p->fields[i].env);
	}
	free(p->fields);
	free(p->token_env);
	free(p->base_url_env);
	free(p->api_version_env);
	free(p->region_env);
	free(p->base_url);
	free(p->default_api_version);
	free(p->models_path);
	free(p->key_prefix);
	oauth_clear(&p->oauth);
	memset(p, 0, sizeof(*p));
}

/* strdup that keeps NULL; *ok turns false on allocation failure. */
static char *dup_or_null(const char *s, bool *ok)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

static bool provider_from_builtin(struct provider *p, const struct builtin_provider *b)
{
	bool ok = true;
	memset(p, 0, sizeof(*p));
	p->id = dup_or_null(b->id, &ok);
	p->name = dup_or_null(b->name, &ok);
	p->description = dup_or_null(b->description, &ok);
	p->group = b->group;
	p->methods = b->methods;
	if (b->n_fields) {
		p->fields = calloc(b->n_fields, sizeof(*p->fields));
		if (!p->fields)
			return false;
		p->n_fields = b->n_fields;
		for (size_t i = 0; i < b->n_fields; i++) {
			p->fields[i].name = dup_or_null(b->fields[i].name, &ok);
			p->fields[i].prompt = dup_or_null(b->fields[i].prompt, &ok);
			p->fields[i].env = dup_or_null(b->fields[i].env, &ok);
		}
	}
	p->token_env = dup_or_null(b->token_env, &ok);
	p->base_url_env = dup_or_null(b->base_url_env, &ok);
	p->api_version_env = dup_or_null(b->api_version_env, &ok);
	p->region_env = dup_or_null(b->region_env, &ok);
	p->base_url = dup_or_null(b->base_url, &ok);
	p->needs_base_url = b->needs_base_url;
	p->default_api_version = dup_or_null(b->default_api_version, &ok);
	p->models_path = dup_or_null(b->models_path, &ok);
	p->models_auth = b->models_auth;
	p->key_prefix = dup_or_null(b->key_prefix, &ok);

	const struct builtin_oauth *bo = &b->oauth;
	struct provider_oauth *o = &p->oauth;
	o->issuer = dup_or_null(bo->issuer, &ok);
	o->authorization_endpoint = dup_or_null(bo->authorization_endpoint, &ok);
	o->token_endpoint = dup_or_null(bo->token_endpoint, &ok);
	o->device_authorization_endpoint = dup_or_null(bo->device_authorization_endpoint, &ok);
	o->userinfo_endpoint = dup_or_null(bo->userinfo_endpoint, &ok);
	o->client_id = dup_or_null(bo->client_id, &ok);
	o->client_secret = dup_or_null(bo->client_secret, &ok);
	o->scopes = dup_or_null(bo->scopes, &ok);
	o->redirect = bo->redirect;
	o->redirect_port = bo->redirect_port;
	o->redirect_path = dup_or_null(bo->redirect_path, &ok);
	o->redirect_uri = dup_or_null(bo->redirect_uri, &ok);
	o->extra_auth_params = dup_or_null(bo->extra_auth_params, &ok);
	o->token_format = bo->token_format;
	o->needs_config = bo->needs_config;
	o->config_hint = dup_or_null(bo->config_hint, &ok);
	return ok;
}

void registry_free(struct registry *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->n; i++)
		provider_clear(&reg->items[i]);
	free(reg->items);
	free(reg);
}

size_t registry_count(const struct registry *reg)
{
	return reg ? reg->n : 0;
}

const struct provider *registry_at(const struct registry *reg, size_t i)
{
	return reg && i < reg->n ? &reg->items[i] : NULL;
}

static struct provider *find_mut(const struct registry *reg, const char *id)
{
	for (size_t i = 0; i < reg->n; i++)
		if (strcmp(reg->items[i].id, id) == 0)
			return &reg->items[i];
	return NULL;
}

const struct provider *registry_find(const struct registry *reg, const char *id)
{
	if (!reg || !id)
		return NULL;
	return find_mut(reg, id);
}

/* -------------------------------------------------- the user file */

/* Which OAuth members the provider being read gave itself (not null), so
 * that the checks after merging can tell them from inherited ones. */
struct oauth_seen {
	bool client_id;
	bool needs_config;
	bool config_hint;
};

/* Everything the parser needs to report a problem in one line. */
struct parse {
	const char *path;
	const char *id; /* provider being read, or NULL */
	struct aiauth_error **err;
	struct oauth_seen *seen; /* of the provider being read */
};

__attribute__((format(printf, 2, 3))) static enum aiauth_status
bad(const struct parse *ps, const char *fmt, ...)
{
	char what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ps->id)
		return error_set(ps->err, AIAUTH_CORRUPT, _("%s: provider \"%s\": %s"), ps->path,
		                 ps->id, what);
	return error_set(ps->err, AIAUTH_CORRUPT, "%s: %s", ps->path, what);
}

static enum aiauth_status oom(const struct parse *ps)
{
	return error_set(ps->err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
}

static const char *json_type_name(yajl_val v)
{
	if (!v || YAJL_IS_NULL(v))
		return "null";
	if (YAJL_IS_STRING(v))
		return "a string";
	if (YAJL_IS_NUMBER(v))
		return "a number";
	if (YAJL_IS_OBJECT(v))
		return "an object";
	if (YAJL_IS_ARRAY(v))
		return "an array";
	return "true or false";
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > REGISTRY_MAX_ID)
		return false;
	if (!is_lower(id[0]) && !is_digit(id[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!is_lower(c) && !is_digit(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

static bool valid_field_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > REGISTRY_MAX_ID)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '_')
			return false;
	return true;
}

/* A name a shell `export` line can carry as is. */
static bool valid_env_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128 || is_digit(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_')
			return false;
	return true;
}

/* One-line text: no control characters (a newline would break the list
 * screens and the one-line errors). */
static bool valid_text(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > REGISTRY_MAX_TEXT)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool valid_models_path(const char *s)
{
	size_t n = strlen(s);
	if (s[0] != '/' || n > REGISTRY_MAX_URL)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\' || c == '"')
			return false;
	}
	return true;
}

/* Find a member key of an object a second time: yajl keeps duplicates, and
 * which one wins would be an accident. */
static const char *duplicate_key(yajl_val obj)
{
	size_t n = obj->u.object.len;
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(obj->u.object.keys[i], obj->u.object.keys[j]) == 0)
				return obj->u.object.keys[i];
	return NULL;
}

enum value_kind {
	V_TEXT,     /* required one-line text, never null */
	V_OPT_TEXT, /* one-line text or null */
	V_ENV,      /* variable name or null */
	V_URL,      /* base URL or null */
	V_PATH,     /* model-list path or null */
	V_BOOL,
	V_GROUP,
	V_METHODS,
	V_AUTH,
	V_FIELDS,
	V_OAUTH,
};

static const struct {
	const char *key;
	enum value_kind kind;
	size_t offset; /* of the char * or bool in struct provider */
} provider_keys[] = {
	{ "name", V_TEXT, offsetof(struct provider, name) },
	{ "description", V_TEXT, offsetof(struct provider, description) },
	{ "group", V_GROUP, 0 },
	{ "methods", V_METHODS, 0 },
	{ "fields", V_FIELDS, 0 },
	{ "token_env", V_ENV, offsetof(struct provider, token_env) },
	{ "base_url_env", V_ENV, offsetof(struct provider, base_url_env) },
	{ "api_version_env", V_ENV, offsetof(struct provider, api_version_env) },
	{ "region_env", V_ENV, offsetof(struct provider, region_env) },
	{ "base_url", V_URL, offsetof(struct provider, base_url) },
	{ "needs_base_url", V_BOOL, offsetof(struct provider, needs_base_url) },
	{ "default_api_version", V_OPT_TEXT, offsetof(struct provider, default_api_version) },
	{ "models_path", V_PATH, offsetof(struct provider, models_path) },
	{ "models_auth", V_AUTH, 0 },
	{ "key_prefix", V_OPT_TEXT, offsetof(struct provider, key_prefix) },
	{ "oauth", V_OAUTH, 0 },
};

static enum aiauth_status parse_fields(const struct parse *ps, yajl_val arr, struct provider *p)
{
	if (!YAJL_IS_ARRAY(arr))
		return bad(ps, _("\"fields\" must be an array, not %s"), json_type_name(arr));
	size_t n = arr->u.array.len;
	if (n == 0)
		return bad(ps, "%s", _("\"fields\" must not be empty"));
	if (n > REGISTRY_MAX_FIELDS)
		return bad(ps, _("\"fields\" has more than %d entries"), REGISTRY_MAX_FIELDS);
	struct provider_field *fields = calloc(n, sizeof(*fields));
	if (!fields)
		return oom(ps);
	enum aiauth_status st = AIAUTH_OK;
	size_t done = 0;
	for (; done < n; done++) {
		yajl_val f = arr->u.array.values[done];
		struct provider_field *out = &fields[done];
		if (!YAJL_IS_OBJECT(f)) {
			st = bad(ps, _("fields[%zu] must be an object, not %s"), done, json_type_name(f));
			goto fail;
		}
		const char *dup = duplicate_key(f);
		if (dup) {
			st = bad(ps, _("fields[%zu]: field \"%s\" appears twice"), done, dup);
			goto fail;
		}
		for (size_t k = 0; k < f->u.object.len; k++) {
			const char *key = f->u.object.keys[k];
			yajl_val v = f->u.object.values[k];
			char **slot;
			if (strcmp(key, "name") == 0)
				slot = &out->name;
			else if (strcmp(key, "prompt") == 0)
				slot = &out->prompt;
			else if (strcmp(key, "env") == 0)
				slot = &out->env;
			else {
				st = bad(ps, _("fields[%zu]: unknown field \"%s\""), done, key);
				goto fail;
			}
			if (slot == &out->env && YAJL_IS_NULL(v))
				continue;
			if (!YAJL_IS_STRING(v)) {
				st = bad(ps, _("fields[%zu]: \"%s\" must be a string, not %s"), done, key,
				         json_type_name(v));
				goto fail;
			}
			const char *s = v->u.string;
			bool good = slot == &out->name ? valid_field_name(s)
			            : slot == &out->env ? valid_env_name(s)
			                                : valid_text(s);
			if (!good) {
				st = bad(ps,
				         slot == &out->name ? _("fields[%zu]: \"name\" must be lower-case letters, digits and _")
				         : slot == &out->env ? _("fields[%zu]: \"env\" is not a valid variable name")
				                             : _("fields[%zu]: \"prompt\" must be one line of text"),
				         done);
				goto fail;
			}
			if (!(*slot = strdup(s))) {
				st = oom(ps);
				goto fail;
			}
		}
		if (!out->name || !out->prompt) {
			st = bad(ps, _("fields[%zu] needs \"name\" and \"prompt\""), done);
			goto fail;
		}
		for (size_t j = 0; j < done; j++) {
			if (strcmp(fields[j].name, out->name) == 0) {
				st = bad(ps, _("fields: two fields are named \"%s\""), out->name);
				goto fail;
			}
		}
	}
	/* Replace the whole list: an override gives the complete field set. */
	for (size_t i = 0; i < p->n_fields; i++) {
		free(p->fields[i].name);
		free(p->fields[i].prompt);
		free(p->fields[i].env);
	}
	free(p->fields);
	p->fields = fields;
	p->n_fields = n;
	return AIAUTH_OK;
fail:
	for (size_t i = 0; i < n; i++) {
		free(fields[i].name);
		free(fields[i].prompt);
		free(fields[i].env);
	}
	free(fields);
	return st;
}

static enum aiauth_status parse_methods(const struct parse *ps, yajl_val arr, unsigned *out)
{
	if (!YAJL_IS_ARRAY(arr))
		return bad(ps, _("\"methods\" must be an array, not %s"), json_type_name(arr));
	if (arr->u.array.len == 0)
		return bad(ps, "%s", _("\"methods\" must not be empty"));
	unsigned bits = 0;
	for (size_t i = 0; i < arr->u.array.len; i++) {
		yajl_val v = arr->u.array.values[i];
		if (!YAJL_IS_STRING(v))
			return bad(ps, _("\"methods\" must hold strings, not %s"), json_type_name(v));
		size_t m = 0;
		while (m < COUNT(method_names) && strcmp(method_names[m].name, v->u.string) != 0)
			m++;
		if (m == COUNT(method_names))
			return bad(ps,
			           _("unknown method \"%s\" (expected api_key, browser, device or none)"),
			           v->u.string);
		bits |= (unsigned)method_names[m].method;
	}
	*out = bits;
	return AIAUTH_OK;
}

/* Look a name up in a table indexed by enum value. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static enum aiauth_status set_string(const struct parse *ps, char **slot, const char *s)
{
	char *d = NULL;
	if (s && !(d = strdup(s)))
		return oom(ps);
	free(*slot);
	*slot = d;
	return AIAUTH_OK;
}

/* ------------------------------------------------------------ OAuth */

static const char *const redirect_names[] = {
	[OAUTH_REDIRECT_LOOPBACK_ANY] = "loopback",
	[OAUTH_REDIRECT_LOOPBACK_FIXED] = "loopback_fixed",
	[OAUTH_REDIRECT_PASTE] = "paste",
};

static const char *const token_format_names[] = {
	[OAUTH_TOKEN_FORM] = "form",
	[OAUTH_TOKEN_JSON] = "json",
};

enum oauth_kind {
	O_URL,    /* https, or http to loopback; kept as written */
	O_TEXT,   /* one line of text */
	O_PATH,   /* starts with /, no spaces, query or fragment */
	O_PORT,   /* 1-65535 */
	O_PARAMS, /* k=v(&k=v)* */
	O_REDIRECT,
	O_FORMAT,
	O_BOOL,
};

#define OAUTH_AT(member) offsetof(struct provider_oauth, member)

static const struct {
	const char *key;
	enum oauth_kind kind;
	size_t offset; /* in struct provider_oauth */
} oauth_keys[] = {
	{ "issuer", O_URL, OAUTH_AT(issuer) },
	{ "authorization_endpoint", O_URL, OAUTH_AT(authorization_endpoint) },
	{ "token_endpoint", O_URL, OAUTH_AT(token_endpoint) },
	{ "device_authorization_endpoint", O_URL, OAUTH_AT(device_authorization_endpoint) },
	{ "userinfo_endpoint", O_URL, OAUTH_AT(userinfo_endpoint) },
	{ "client_id", O_TEXT, OAUTH_AT(client_id) },
	{ "client_secret", O_TEXT, OAUTH_AT(client_secret) },
	{ "scopes", O_TEXT, OAUTH_AT(scopes) },
	{ "redirect", O_REDIRECT, OAUTH_AT(redirect) },
	{ "redirect_port", O_PORT, OAUTH_AT(redirect_port) },
	{ "redirect_path", O_PATH, OAUTH_AT(redirect_path) },
	{ "redirect_uri", O_URL, OAUTH_AT(redirect_uri) },
	{ "extra_auth_params", O_PARAMS, OAUTH_AT(extra_auth_params) },
	{ "token_format", O_FORMAT, OAUTH_AT(token_format) },
	{ "needs_config", O_BOOL, OAUTH_AT(needs_config) },
	{ "config_hint", O_TEXT, OAUTH_AT(config_hint) },
};

/* Parameters the flows set themselves: letting the file set them too would
 * send two values, or replace the PKCE and state checks with fixed ones. */
static const char *const reserved_auth_params[] = {
	"response_type", "client_id", "redirect_uri", "scope",
	"state",         "code_challenge", "code_challenge_method",
};

static bool is_unreserved(char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* `k=v(&k=v)*`: names of RFC 3986 unreserved characters, values of those
 * or %XX escapes, both non-empty.  They go into the authorization URL as
 * written, so anything else could change its meaning. */
static bool valid_auth_params(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > REGISTRY_MAX_TEXT)
		return false;
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (i < n && is_unreserved(s[i]))
			i++;
		if (i == start || i == n || s[i] != '=')
			return false;
		start = ++i;
		while (i < n && s[i] != '&') {
			if (s[i] == '%') {
				if (i + 2 >= n || !is_xdigit(s[i + 1]) || !is_xdigit(s[i + 2]))
					return false;
				i += 3;
			} else if (is_unreserved(s[i])) {
				i++;
			} else {
				return false;
			}
		}
		if (i == start)
			return false;
		if (i == n)
			return true;
		i++; /* '&' */
	}
}

/* The first reserved name among valid `k=v&...` pairs, or NULL. */
static const char *reserved_auth_param(const char *s)
{
	while (*s) {
		size_t klen = strcspn(s, "=");
		for (size_t r = 0; r < COUNT(reserved_auth_params); r++)
			if (strlen(reserved_auth_params[r]) == klen &&
			    memcmp(reserved_auth_params[r], s, klen) == 0)
				return reserved_auth_params[r];
		s += strcspn(s, "&");
		if (*s == '&')
			s++;
	}
	return NULL;
}

/* A member's default, which `null` restores. */
static void oauth_reset_member(struct provider_oauth *o, enum oauth_kind kind, size_t offset)
{
	char *base = (char *)o + offset;
	switch (kind) {
	case O_URL:
	case O_TEXT:
	case O_PATH:
	case O_PARAMS:
		free(*(char **)base);
		*(char **)base = NULL;
		break;
	case O_PORT:
		o->redirect_port = 0;
		break;
	case O_REDIRECT:
		o->redirect = OAUTH_REDIRECT_LOOPBACK_ANY;
		break;
	case O_FORMAT:
		o->token_format = OAUTH_TOKEN_FORM;
		break;
	case O_BOOL:
		o->needs_config = false;
		break;
	}
}

static enum aiauth_status oauth_member(const struct parse *ps, struct provider_oauth *o,
                                       const char *key, yajl_val v)
{
	size_t k = 0;
	while (k < COUNT(oauth_keys) && strcmp(oauth_keys[k].key, key) != 0)
		k++;
	if (k == COUNT(oauth_keys))
		return bad(ps, _("unknown field \"oauth.%s\""), key);
	enum oauth_kind kind = oauth_keys[k].kind;
	size_t offset = oauth_keys[k].offset;
	char **sslot = (char **)((char *)o + offset);

	if (YAJL_IS_NULL(v)) {
		oauth_reset_member(o, kind, offset);
		return AIAUTH_OK;
	}
	if (ps->seen && strcmp(key, "client_id") == 0)
		ps->seen->client_id = true;
	if (ps->seen && strcmp(key, "needs_config") == 0)
		ps->seen->needs_config = true;
	if (ps->seen && strcmp(key, "config_hint") == 0)
		ps->seen->config_hint = true;

	switch (kind) {
	case O_URL:
	case O_TEXT:
	case O_PATH:
	case O_PARAMS:
		if (!YAJL_IS_STRING(v))
			return bad(ps, _("\"oauth.%s\" must be a string or null, not %s"), key,
			           json_type_name(v));
		break;
	default:
		break;
	}

	switch (kind) {
	case O_URL: {
		size_t keep = 0, scheme_len = 0;
		const char *why = base_url_problem(v->u.string, &keep, &scheme_len);
		if (why)
			return bad(ps, _("\"oauth.%s\" %s"), key, _(why));
		/* Trailing slashes are kept: an endpoint is used as written. */
		char *norm = base_url_normalized(v->u.string, strlen(v->u.string), scheme_len);
		if (!norm)
			return oom(ps);
		free(*sslot);
		*sslot = norm;
		return AIAUTH_OK;
	}
	case O_TEXT:
		if (!valid_text(v->u.string))
			return bad(ps, _("\"oauth.%s\" must be one line of text (1 to %d characters)"),
			           key, REGISTRY_MAX_TEXT);
		return set_string(ps, sslot, v->u.string);
	case O_PATH:
		if (!valid_models_path(v->u.string))
			return bad(ps,
			           _("\"oauth.%s\" must start with / and hold no spaces, query or "
			             "fragment"),
			           key);
		return set_string(ps, sslot, v->u.string);
	case O_PARAMS: {
		if (!valid_auth_params(v->u.string))
			return bad(ps,
			           _("\"oauth.%s\" must be name=value pairs joined by & (letters, "
			             "digits, - . _ ~ and %%XX escapes)"),
			           key);
		const char *reserved = reserved_auth_param(v->u.string);
		if (reserved)
			return bad(ps, _("\"oauth.%s\" must not set \"%s\": aiauth sets it itself"), key,
			           reserved);
		return set_string(ps, sslot, v->u.string);
	}
	case O_PORT:
		if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 1 || YAJL_GET_INTEGER(v) > 65535)
			return bad(ps, _("\"oauth.%s\" must be a port number from 1 to 65535 or null"),
			           key);
		o->redirect_port = (int)YAJL_GET_INTEGER(v);
		return AIAUTH_OK;
	case O_REDIRECT: {
		int r = YAJL_IS_STRING(v)
		            ? name_index(redirect_names, COUNT(redirect_names), v->u.string)
		            : -1;
		if (r < 0)
			return bad(ps, _("\"oauth.%s\" must be \"loopback\", \"loopback_fixed\" or "
			                 "\"paste\""),
			           key);
		o->redirect = (enum oauth_redirect)r;
		return AIAUTH_OK;
	}
	case O_FORMAT: {
		int f = YAJL_IS_STRING(v)
		            ? name_index(token_format_names, COUNT(token_format_names), v->u.string)
		            : -1;
		if (f < 0)
			return bad(ps, _("\"oauth.%s\" must be \"form\" or \"json\""), key);
		o->token_format = (enum oauth_token_format)f;
		return AIAUTH_OK;
	}
	case O_BOOL:
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return bad(ps, _("\"oauth.%s\" must be true or false, not %s"), key,
			           json_type_name(v));
		o->needs_config = YAJL_IS_TRUE(v);
		return AIAUTH_OK;
	}
	return bad(ps, _("unknown field \"oauth.%s\""), key);
}

/* "oauth": members override the provider's settings one by one; null
 * clears every OAuth setting. */
static enum aiauth_status parse_oauth(const struct parse *ps, yajl_val obj, struct provider *p)
{
	if (YAJL_IS_NULL(obj)) {
		oauth_clear(&p->oauth);
		return AIAUTH_OK;
	}
	if (!YAJL_IS_OBJECT(obj))
		return bad(ps, _("\"oauth\" must be an object or null, not %s"), json_type_name(obj));
	const char *dup = duplicate_key(obj);
	if (dup)
		return bad(ps, _("field \"oauth.%s\" appears twice"), dup);
	for (size_t i = 0; i < obj->u.object.len; i++) {
		enum aiauth_status st =
			oauth_member(ps, &p->oauth, obj->u.object.keys[i], obj->u.object.values[i]);
		if (st != AIAUTH_OK)
			return st;
	}
	return AIAUTH_OK;
}

/* Enough to run every OAuth method the provider offers: a client id and,
 * per method, an issuer to discover the endpoints from or the endpoints
 * themselves (RFC 8628 polls the token endpoint, so a device flow needs
 * both of its endpoints too). */
static bool oauth_usable(const struct provider *p)
{
	const struct provider_oauth *o = &p->oauth;
	if (!o->client_id)
		return false;
	if ((p->methods & AUTH_METHOD_BROWSER) && !o->issuer &&
	    !(o->authorization_endpoint && o->token_endpoint))
		return false;
	if ((p->methods & AUTH_METHOD_DEVICE) && !o->issuer &&
	    !(o->device_authorization_endpoint && o->token_endpoint))
		return false;
	return true;
}

/* Host, port and path of a URL base_url_problem() accepted. */
static void url_split(const char *url, const char **host, size_t *hlen, unsigned long *port,
                      const char **path)
{
	const char *auth = strstr(url, "://") + 3;
	size_t alen = strcspn(auth, "/");
	*host = auth;
	*hlen = auth[0] == '[' ? (size_t)((const char *)memchr(auth, ']', alen) - auth) + 1
	                       : strcspn(auth, ":/");
	*port = 0;
	if (*hlen < alen)
		*port = strtoul(auth + *hlen + 1, NULL, 10);
	*path = auth + alen;
}

static const char *const oauth_generic_hint =
	N_("This provider's sign-in needs configuration. In providers.json, give it an "
	   "\"oauth\" object with \"client_id\" and either \"issuer\" or the endpoints: "
	   "\"authorization_endpoint\" and \"token_endpoint\" for the browser, "
	   "\"device_authorization_endpoint\" and \"token_endpoint\" for a device code.");

/* The checks that need the merged settings of a provider the file touched:
 * the redirect style's own members, and needs_config (set when the OAuth
 * methods cannot run; cleared when the file supplied a client id that makes
 * them run, unless the file said otherwise). */
static enum aiauth_status oauth_finish(const struct parse *ps, struct provider *p)
{
	struct provider_oauth *o = &p->oauth;
	if (!(p->methods & (AUTH_METHOD_BROWSER | AUTH_METHOD_DEVICE)))
		return AIAUTH_OK;
	if (p->methods & AUTH_METHOD_BROWSER) {
		if (o->redirect == OAUTH_REDIRECT_LOOPBACK_FIXED && o->redirect_port == 0)
			return bad(ps, "%s",
			           _("\"oauth.redirect\" \"loopback_fixed\" needs "
			             "\"oauth.redirect_port\""));
		if (o->redirect == OAUTH_REDIRECT_PASTE && !o->redirect_uri)
			return bad(ps, "%s",
			           _("\"oauth.redirect\" \"paste\" needs \"oauth.redirect_uri\" (the page "
			             "that shows the code)"));
		if (o->redirect == OAUTH_REDIRECT_LOOPBACK_FIXED && o->redirect_uri) {
			const char *host, *path;
			size_t hlen;
			unsigned long port;
			url_split(o->redirect_uri, &host, &hlen, &port, &path);
			const char *want_path = o->redirect_path ? o->redirect_path : "/callback";
			if (strncmp(o->redirect_uri, "http://", 7) != 0 || !is_loopback_host(host, hlen) ||
			    port != (unsigned long)o->redirect_port || strcmp(path, want_path) != 0)
				return bad(ps,
				           _("\"oauth.redirect_uri\" of a \"loopback_fixed\" redirect must be "
				             "http://localhost:%d%s (or 127.0.0.1 or [::1])"),
				           o->redirect_port, want_path);
		}
	}
	if (!oauth_usable(p)) {
		o->needs_config = true;
		if (!o->config_hint && !(o->config_hint = strdup(oauth_generic_hint)))
			return oom(ps);
	} else if (o->needs_config && ps->seen && ps->seen->client_id && !ps->seen->needs_config) {
		o->needs_config = false;
		if (!ps->seen->config_hint) {
			free(o->config_hint);
			o->config_hint = NULL;
		}
	}
	return AIAUTH_OK;
}

static enum aiauth_status apply_member(const struct parse *ps, struct provider *p,
                                       const char *key, yajl_val v)
{
	size_t k = 0;
	while (k < COUNT(provider_keys) && strcmp(provider_keys[k].key, key) != 0)
		k++;
	if (k == COUNT(provider_keys))
		return bad(ps, _("unknown field \"%s\""), key);
	enum value_kind kind = provider_keys[k].kind;
	char **sslot = (char **)((char *)p + provider_keys[k].offset);
	bool nullable = kind == V_OPT_TEXT || kind == V_ENV || kind == V_URL || kind == V_PATH;

	if (kind == V_OAUTH)
		return parse_oauth(ps, v, p);
	if (YAJL_IS_NULL(v) && nullable)
		return set_string(ps, sslot, NULL);

	switch (kind) {
	case V_TEXT:
	case V_OPT_TEXT:
	case V_ENV:
	case V_URL:
	case V_PATH:
		if (!YAJL_IS_STRING(v))
			return bad(ps, _("\"%s\" must be a string%s, not %s"), key,
			           nullable ? _(" or null") : "", json_type_name(v));
		break;
	default:
		break;
	}

	switch (kind) {
	case V_TEXT:
	case V_OPT_TEXT:
		if (!valid_text(v->u.string))
			return bad(ps, _("\"%s\" must be one line of text (1 to %d characters)"), key,
			           REGISTRY_MAX_TEXT);
		return set_string(ps, sslot, v->u.string);
	case V_ENV:
		if (!valid_env_name(v->u.string))
			return bad(ps, _("\"%s\": \"%s\" is not a valid environment variable name"), key,
			           v->u.string);
		return set_string(ps, sslot, v->u.string);
	case V_PATH:
		if (!valid_models_path(v->u.string))
			return bad(ps,
			           _("\"%s\" must start with / and hold no spaces, query or fragment"),
			           key);
		return set_string(ps, sslot, v->u.string);
	case V_URL: {
		size_t keep = 0, scheme_len = 0;
		const char *why = base_url_problem(v->u.string, &keep, &scheme_len);
		if (why)
			return bad(ps, _("\"%s\" %s"), key, _(why));
		char *norm = base_url_normalized(v->u.string, keep, scheme_len);
		if (!norm)
			return oom(ps);
		free(*sslot);
		*sslot = norm;
		return AIAUTH_OK;
	}
	case V_BOOL: {
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return bad(ps, _("\"%s\" must be true or false, not %s"), key,
			           json_type_name(v));
		*(bool *)((char *)p + provider_keys[k].offset) = YAJL_IS_TRUE(v);
		return AIAUTH_OK;
	}
	case V_GROUP: {
		int g = YAJL_IS_STRING(v) ? name_index(group_names, COUNT(group_names), v->u.string)
		                          : -1;
		if (g < 0)
			return bad(ps, "%s",
			           _("\"group\" must be \"subscription\", \"api_key\" or \"local\""));
		p->group = (enum provider_group)g;
		return AIAUTH_OK;
	}
	case V_AUTH: {
		int a = YAJL_IS_STRING(v)
		            ? name_index(models_auth_names, COUNT(models_auth_names), v->u.string)
		            : -1;
		if (a < 0)
			return bad(ps, "%s",
			           _("\"models_auth\" must be one of bearer, x-api-key, x-goog-api-key, "
			             "azure, none, sigv4"));
		p->models_auth = (enum models_auth)a;
		return AIAUTH_OK;
	}
	case V_METHODS:
		return parse_methods(ps, v, &p->methods);
	case V_FIELDS:
		return parse_fields(ps, v, p);
	case V_OAUTH:
		break; /* handled above */
	}
	return bad(ps, _("unknown field \"%s\""), key);
}

/* Defaults of a provider the file adds, before its members are applied. */
static unsigned default_methods(enum provider_group g)
{
	switch (g) {
	case PROVIDER_GROUP_SUBSCRIPTION:
		return AUTH_METHOD_BROWSER;
	case PROVIDER_GROUP_LOCAL:
		return AUTH_METHOD_NONE;
	case PROVIDER_GROUP_API_KEY:
		break;
	}
	return AUTH_METHOD_API_KEY;
}

static enum aiauth_status apply_provider(const struct parse *ps, struct provider *p, yajl_val obj,
                                         bool is_new)
{
	if (!YAJL_IS_OBJECT(obj))
		return bad(ps, _("must be an object, not %s"), json_type_name(obj));
	const char *dup = duplicate_key(obj);
	if (dup)
		return bad(ps, _("field \"%s\" appears twice"), dup);
	if (is_new) {
		yajl_val name = json_get(obj, "name");
		yajl_val group = json_get(obj, "group");
		if (!name || !group)
			return bad(ps, "%s",
			           _("a new provider needs at least \"name\" and \"group\""));
		/* The group first: methods and models_auth default from it. */
		enum aiauth_status st = apply_member(ps, p, "group", group);
		if (st != AIAUTH_OK)
			return st;
		p->methods = default_methods(p->group);
		p->models_auth =
			p->group == PROVIDER_GROUP_LOCAL ? MODELS_AUTH_NONE : MODELS_AUTH_BEARER;
	}
	for (size_t i = 0; i < obj->u.object.len; i++) {
		enum aiauth_status st = apply_member(ps, p, obj->u.object.keys[i],
		                                     obj->u.object.values[i]);
		if (st != AIAUTH_OK)
			return st;
	}
	/* Only a new provider can lack a description: show its name then. */
	if (!p->description && !(p->description = strdup(p->name)))
		return oom(ps);
	if ((p->methods & AUTH_METHOD_API_KEY) && p->n_fields == 0)
		return bad(ps, "%s", _("method \"api_key\" needs \"fields\" (the key and its variable)"));
	enum aiauth_status st = oauth_finish(ps, p);
	if (st != AIAUTH_OK)
		return st;
	p->user_defined = true;
	return AIAUTH_OK;
}

static enum aiauth_status apply_file(struct registry *reg, yajl_val root, const char *path,
                                     struct aiauth_error **err)
{
	struct parse ps = { .path = path, .id = NULL, .err = err, .seen = NULL };
	if (!YAJL_IS_OBJECT(root))
		return bad(&ps, _("the top level must be an object, not %s"), json_type_name(root));
	const char *dup = duplicate_key(root);
	if (dup)
		return bad(&ps, _("\"%s\" appears twice"), dup);
	yajl_val version = NULL, providers = NULL;
	for (size_t i = 0; i < root->u.object.len; i++) {
		const char *key = root->u.object.keys[i];
		if (strcmp(key, "version") == 0)
			version = root->u.object.values[i];
		else if (strcmp(key, "providers") == 0)
			providers = root->u.object.values[i];
		else
			return bad(&ps, _("unknown top-level field \"%s\" (expected \"version\" and "
			                  "\"providers\")"),
			           key);
	}
	if (!version)
		return bad(&ps, "%s", _("\"version\" is missing (this aiauth reads version 1)"));
	if (YAJL_IS_INTEGER(version) && YAJL_GET_INTEGER(version) != 1)
		return bad(&ps, _("unsupported \"version\" %lld (this aiauth reads version 1)"),
		           (long long)YAJL_GET_INTEGER(version));
	if (!YAJL_IS_INTEGER(version))
		return bad(&ps, _("\"version\" must be the number 1, not %s"),
		           json_type_name(version));
	if (!providers)
		return AIAUTH_OK;
	if (!YAJL_IS_OBJECT(providers))
		return bad(&ps, _("\"providers\" must be an object, not %s"),
		           json_type_name(providers));
	size_t n = providers->u.object.len;
	if (n > REGISTRY_MAX_PROVIDERS)
		return bad(&ps, _("\"providers\" has more than %d entries"), REGISTRY_MAX_PROVIDERS);
	if ((dup = duplicate_key(providers)))
		return bad(&ps, _("provider \"%s\" appears twice"), dup);

	/* Room for every entry to be new, so items never move while we work. */
	struct provider *items = realloc(reg->items, (reg->n + n) * sizeof(*items));
	if (!items && reg->n + n > 0)
		return oom(&ps);
	reg->items = items;
	reg->cap = reg->n + n;

	for (size_t i = 0; i < n; i++) {
		const char *id = providers->u.object.keys[i];
		if (!valid_id(id))
			return bad(&ps, _("provider id \"%s\" must be 1 to %d characters of a-z, 0-9, "
			                  "., _ and -, starting with a letter or digit"),
			           id, REGISTRY_MAX_ID);
		struct oauth_seen seen = { 0 };
		ps.id = id;
		ps.seen = &seen;
		struct provider *p = find_mut(reg, id);
		bool is_new = p == NULL;
		if (is_new) {
			p = &reg->items[reg->n];
			memset(p, 0, sizeof(*p));
			if (!(p->id = strdup(id)))
				return oom(&ps);
			/* Counted now so that registry_free() frees it on error too. */
			reg->n++;
		}
		enum aiauth_status st = apply_provider(&ps, p, providers->u.object.values[i], is_new);
		if (st != AIAUTH_OK)
			return st;
	}
	return AIAUTH_OK;
}

/* Nesting depth of JSON text, counted outside strings and comments,
 * stopping as soon as it passes `limit`. */
static bool json_too_deep(const char *text, size_t len, int limit)
{
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '"') {
			for (i++; i < len && text[i] != '"'; i++)
				if (text[i] == '\\')
					i++;
		} else if (c == '/' && i + 1 < len && text[i + 1] == '/') {
			while (i < len && text[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(text[i] == '*' && text[i + 1] == '/'); i++)
				;
			i++;
		} else if (c == '[' || c == '{') {
			if (++depth > limit)
				return true;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return false;
}

/* Built-ins grouped for display even when the file moved one to another
 * group; a stable insertion sort keeps the table's order within a group. */
static void sort_builtins(struct registry *reg)
{
	for (size_t i = 1; i < reg->n_builtin; i++) {
		struct provider tmp = reg->items[i];
		size_t j = i;
		while (j > 0 && reg->items[j - 1].group > tmp.group) {
			reg->items[j] = reg->items[j - 1];
			j--;
		}
		reg->items[j] = tmp;
	}
}

enum aiauth_status registry_load_text(const char *text, size_t len, const char *name,
                                      struct registry **out, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	yajl_val root = NULL;
	*out = NULL;

	struct registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	reg->items = calloc(registry_builtins_count, sizeof(*reg->items));
	if (!reg->items) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	reg->cap = registry_builtins_count;
	for (size_t i = 0; i < registry_builtins_count; i++) {
		/* Counted before the copy so a half-built entry is freed too. */
		reg->n++;
		if (!provider_from_builtin(&reg->items[i], &registry_builtins[i])) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
	}
	reg->n_builtin = reg->n;

	if (text && json_too_deep(text, len, REGISTRY_MAX_DEPTH)) {
		st = error_set(err, AIAUTH_CORRUPT, _("%s: JSON nested more than %d levels deep"),
		               name, REGISTRY_MAX_DEPTH);
	} else if (text) {
		struct aiauth_error *inner = NULL;
		st = json_parse(text, len, &root, &inner);
		if (st == AIAUTH_OK)
			st = apply_file(reg, root, name, err);
		else
			st = error_set(err, st, "%s: %s", name,
			               inner ? inner->message : _("invalid JSON"));
		error_clear(&inner);
	}
	if (st == AIAUTH_OK)
		sort_builtins(reg);

out:
	json_free(root);
	if (st != AIAUTH_OK) {
		registry_free(reg);
		return st;
	}
	*out = reg;
	return AIAUTH_OK;
}

enum aiauth_status registry_load(const char *user_file, struct registry **out,
                                 struct aiauth_error **err)
{
	enum aiauth_status st;
	char *dir = NULL, *path = NULL, *text = NULL;
	size_t len = 0;
	*out = NULL;

	if (!user_file) {
		st = paths_config_dir(&dir, err);
		if (st != AIAUTH_OK)
			return st;
		path = path_join(dir, "providers.json");
		free(dir);
		if (!path)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		user_file = path;
	}

	struct aiauth_error *inner = NULL;
	st = fs_read_all(user_file, REGISTRY_MAX_FILE, &text, &len, &inner);
	if (st == AIAUTH_NOT_FOUND) {
		st = registry_load_text(NULL, 0, user_file, out, err); /* the built-ins alone */
	} else if (st == AIAUTH_OK) {
		st = registry_load_text(text, len, user_file, out, err);
	} else {
		/* fs_read_all's messages already name the file. */
		st = error_set(err, st, "%s",
		               inner ? inner->message : _("cannot read the providers file"));
	}
	error_clear(&inner);
	free(text);
	free(path);
	return st;
}
