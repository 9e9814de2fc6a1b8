/* credfiles.c - other CLIs' credential files (see credfiles.h).
 *
 * Writing keeps what is not ours: the existing file is parsed into a yajl
 * tree and generated again member by member, with a small table of
 * "members aiauth owns" (struct cf_member) deciding, per key, whether the
 * old value is kept, replaced or dropped.  Numbers are re-emitted from
 * their original text, so a fraction or a large integer another tool wrote
 * survives unchanged. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "credfiles.h"
#include "cryptosym.h"
#include "fsutil.h"
#include "i18n.h"
#include "jsonutil.h"

static const struct credfile_tool_info cf_tools[CREDFILE_TOOL_COUNT] = {
	{CREDFILE_CLAUDE, "claude", "Claude Code", ".claude", ".credentials.json", "claude", NULL,
	 NULL},
	{CREDFILE_CODEX, "codex", "Codex CLI", ".codex", "auth.json", "chatgpt", "openai", NULL},
	{CREDFILE_GEMINI, "gemini", "Gemini CLI", ".gemini", "oauth_creds.json", "google", NULL,
	 NULL},
	{CREDFILE_GROK, "grok", "Grok CLI", ".grok", "auth.json", "grok", NULL,
	 N_("xAI has not published the format of ~/.grok/auth.json, so aiauth neither reads nor "
	    "writes it; hand Grok CLI an API key with 'aiauth exec xai -- grok' instead")},
};

const struct credfile_tool_info *credfile_tool(enum credfile_tool t)
{
	return (unsigned)t < CREDFILE_TOOL_COUNT ? &cf_tools[t] : NULL;
}

const struct credfile_tool_info *credfile_tool_by_name(const char *name)
{
	for (size_t i = 0; name && i < CREDFILE_TOOL_COUNT; i++)
		if (strcmp(cf_tools[i].name, name) == 0)
			return &cf_tools[i];
	return NULL;
}

const struct credfile_tool_info *credfile_tool_for_provider(const char *provider)
{
	for (size_t i = 0; provider && i < CREDFILE_TOOL_COUNT; i++) {
		const struct credfile_tool_info *t = &cf_tools[i];
		if (strcmp(t->oauth_provider, provider) == 0 ||
		    (t->key_provider && strcmp(t->key_provider, provider) == 0))
			return t;
	}
	return NULL;
}

void credfile_contents_clear(struct credfile_contents *c)
{
	if (!c)
		return;
	credential_free(c->cred);
	free(c->email);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------ helpers */

static const char *cf_get(const struct credential *c, const char *name)
{
	const struct secret *s = credential_get(c, name);
	return s && s->len ? (const char *)s->buf : NULL;
}

static int64_t cf_expires_at(const struct credential *c)
{
	const char *s = cf_get(c, "expires_at");
	if (!s)
		return 0;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	return end && *end == '\0' && errno == 0 && v > 0 ? (int64_t)v : 0;
}

/* The claims of a JWT, decoded for reading only (nothing is trusted from
 * them: the signature is not checked).  NULL when it is not a JWT. */
static yajl_val cf_jwt_claims(const char *jwt)
{
	if (!jwt)
		return NULL;
	const char *dot1 = strchr(jwt, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot1 || !dot2 || dot2 == dot1 + 1 || dot2 - dot1 - 1 > 64 * 1024)
		return NULL;
	size_t n = (size_t)(dot2 - dot1 - 1);
	char *b64 = malloc(n + 4);
	if (!b64)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = dot1[1 + i];
		b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (n % 4)
		b64[n++] = '=';
	gnutls_datum_t in = {(unsigned char *)b64, (unsigned)n}, out = {NULL, 0};
	yajl_val v = NULL;
	if (cryptosym_load(NULL) == AIAUTH_OK && sym_gnutls_base64_decode2(&in, &out) == 0) {
		if (json_parse((const char *)out.data, out.size, &v, NULL) != AIAUTH_OK ||
		    !YAJL_IS_OBJECT(v)) {
			json_free_wiped(v);
			v = NULL;
		}
		secure_wipe(out.data, out.size);
		(*sym_gnutls_free)(out.data);
	}
	secure_wipe(b64, n);
	free(b64);
	return v;
}

/* A claim fit for a message: one line, printable, bounded. */
static char *cf_one_line(const char *s)
{
	if (!s || !*s)
		return NULL;
	size_t n = strnlen(s, 200);
	char *c = strndup(s, n);
	for (size_t i = 0; c && i < n; i++)
		if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
			c[i] = '?';
	return c;
}

/* Email of an id_token: "email", else OpenAI's profile claim. */
static char *cf_claims_email(yajl_val claims)
{
	const char *e = json_get_string(claims, "email");
	if (!e)
		e = json_get_string(json_get_object(claims, "https://api.openai.com/profile"), "email");
	return cf_one_line(e);
}

/* ------------------------------------------------------------ parsing */

/* Copy the string member `key` into the credential field `field`.  Absent,
 * null and "" are all "not there"; another type is a damaged file. */
static enum aiauth_status cf_take_str(struct credential *c, yajl_val obj, const char *key,
                                      const char *field, struct aiauth_error **err)
{
	yajl_val v = json_get(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return AIAUTH_OK;
	if (!YAJL_IS_STRING(v))
		return error_set(err, AIAUTH_CORRUPT, _("\"%s\" is not a string"), key);
	if (!*v->u.string)
		return AIAUTH_OK;
	if (credential_set_str(c, field, v->u.string) != AIAUTH_OK)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	return AIAUTH_OK;
}

/* A time in Unix milliseconds (Claude's expiresAt, Google's expiry_date,
 * which may carry a fraction) as seconds; 0 when absent or absurd. */
static enum aiauth_status cf_take_ms(yajl_val obj, const char *key, int64_t *out,
                                     struct aiauth_error **err)
{
	*out = 0;
	yajl_val v = json_get(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return AIAUTH_OK;
	if (!YAJL_IS_NUMBER(v))
		return error_set(err, AIAUTH_CORRUPT, _("\"%s\" is not a number"), key);
	double ms;
	if (YAJL_IS_INTEGER(v))
		ms = (double)v->u.number.i;
	else if (YAJL_IS_DOUBLE(v))
		ms = v->u.number.d;
	else
		return AIAUTH_OK; /* out of every range yajl knows: unknown */
	/* Up to the year 9999; beyond is not a time. */
	if (!isfinite(ms) || ms <= 0 || ms > 253402300799000.0)
		return AIAUTH_OK;
	*out = (int64_t)(ms / 1000.0);
	return AIAUTH_OK;
}

static enum aiauth_status cf_set_expiry(struct credential *c, int64_t at,
                                        struct aiauth_error **err)
{
	if (at <= 0)
		return AIAUTH_OK;
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)at);
	if (credential_set_str(c, "expires_at", buf) != AIAUTH_OK)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	return AIAUTH_OK;
}

static enum aiauth_status cf_parse_claude(yajl_val root, struct credfile_contents *out,
                                          struct aiauth_error **err)
{
	yajl_val o = json_get(root, "claudeAiOauth");
	if (!o || YAJL_IS_NULL(o))
		return AIAUTH_OK;
	if (!YAJL_IS_OBJECT(o))
		return error_set(err, AIAUTH_CORRUPT, "%s", _("\"claudeAiOauth\" is not an object"));
	struct credential *c = out->cred;
	enum aiauth_status st;
	if ((st = cf_take_str(c, o, "accessToken", "access_token", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, o, "refreshToken", "refresh_token", err)) != AIAUTH_OK ||
	    (st = cf_take_ms(o, "expiresAt", &out->expires_at, err)) != AIAUTH_OK)
		return st;
	yajl_val scopes = json_get(o, "scopes");
	if (scopes && YAJL_IS_ARRAY(scopes)) {
		/* Kept as OAuth's space-separated "scope". */
		struct secret *joined = secret_new(64);
		if (!joined)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		for (size_t i = 0; i < scopes->u.array.len; i++) {
			yajl_val s = scopes->u.array.values[i];
			if (!YAJL_IS_STRING(s) || !*s->u.string || strchr(s->u.string, ' '))
				continue;
			if ((joined->len && secret_append(joined, " ", 1) != AIAUTH_OK) ||
			    secret_append(joined, s->u.string, strlen(s->u.string)) != AIAUTH_OK) {
				secret_free(joined);
				return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			}
		}
		if (joined->len == 0)
			secret_free(joined);
		else if (credential_take(c, "scope", joined) != AIAUTH_OK)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	} else if (scopes && !YAJL_IS_NULL(scopes)) {
		return error_set(err, AIAUTH_CORRUPT, "%s", _("\"scopes\" is not a list"));
	}
	return cf_set_expiry(c, out->expires_at, err);
}

static enum aiauth_status cf_parse_codex(yajl_val root, struct credfile_contents *out,
                                         struct aiauth_error **err)
{
	struct credential *c = out->cred;
	enum aiauth_status st;
	yajl_val mode = json_get(root, "auth_mode");
	if (mode && !YAJL_IS_NULL(mode) && !YAJL_IS_STRING(mode))
		return error_set(err, AIAUTH_CORRUPT, "%s", _("\"auth_mode\" is not a string"));
	yajl_val tokens = json_get(root, "tokens");
	if (tokens && !YAJL_IS_NULL(tokens) && !YAJL_IS_OBJECT(tokens))
		return error_set(err, AIAUTH_CORRUPT, "%s", _("\"tokens\" is not an object"));
	if (tokens && YAJL_IS_NULL(tokens))
		tokens = NULL;
	/* Codex itself goes by auth_mode when there is one, else by what the
	 * file has: ChatGPT tokens first. */
	bool key_mode = mode && YAJL_IS_STRING(mode) && strcmp(mode->u.string, "apikey") == 0;
	if (key_mode || !tokens) {
		if ((st = cf_take_str(c, root, "OPENAI_API_KEY", "api_key", err)) != AIAUTH_OK)
			return st;
		if (credential_get(c, "api_key")) {
			out->api_key = true;
			return AIAUTH_OK;
		}
		if (!tokens)
			return AIAUTH_OK;
	}
	if ((st = cf_take_str(c, tokens, "id_token", "id_token", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, tokens, "access_token", "access_token", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, tokens, "refresh_token", "refresh_token", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, tokens, "account_id", "account_id", err)) != AIAUTH_OK)
		return st;
	/* auth.json has no expiry; Codex's access token is a JWT with one. */
	yajl_val claims = cf_jwt_claims(cf_get(c, "access_token"));
	int64_t exp = 0;
	if (json_get_int(claims, "exp", &exp) && exp > 0)
		out->expires_at = exp;
	json_free_wiped(claims);
	return cf_set_expiry(c, out->expires_at, err);
}

static enum aiauth_status cf_parse_gemini(yajl_val root, struct credfile_contents *out,
                                          struct aiauth_error **err)
{
	/* Gemini CLI also reads google-auth-library key files of other kinds
	 * ("authorized_user", "external_account_authorized_user"): those are
	 * not an OAuth token cache aiauth can keep fresh. */
	const char *type = json_get_string(root, "type");
	if (type)
		return error_set(err, AIAUTH_UNSUPPORTED,
		                 _("holds Google credentials of type \"%.40s\", not Gemini CLI's "
		                   "sign-in"),
		                 type);
	struct credential *c = out->cred;
	enum aiauth_status st;
	if ((st = cf_take_str(c, root, "access_token", "access_token", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, root, "refresh_token", "refresh_token", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, root, "id_token", "id_token", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, root, "scope", "scope", err)) != AIAUTH_OK ||
	    (st = cf_take_str(c, root, "token_type", "token_type", err)) != AIAUTH_OK ||
	    (st = cf_take_ms(root, "expiry_date", &out->expires_at, err)) != AIAUTH_OK)
		return st;
	return cf_set_expiry(c, out->expires_at, err);
}

enum aiauth_status credfile_parse(enum credfile_tool t, const char *text, size_t len,
                                  struct credfile_contents *out, struct aiauth_error **err)
{
	memset(out, 0, sizeof(*out));
	const struct credfile_tool_info *info = credfile_tool(t);
	if (!info)
		return error_set(err, AIAUTH_USAGE, "%s", _("unknown tool"));
	if (info->unsupported)
		return error_set(err, AIAUTH_UNSUPPORTED, "%s", _(info->unsupported));
	if (len > CREDFILE_MAX_SIZE)
		return error_set(err, AIAUTH_CORRUPT, "%s", _("larger than 1 MiB; refused"));
	yajl_val root = NULL;
	enum aiauth_status st = json_parse(text, len, &root, err);
	if (st != AIAUTH_OK)
		return st;
	if (!YAJL_IS_OBJECT(root)) {
		json_free_wiped(root);
		return error_set(err, AIAUTH_CORRUPT, "%s", _("not a JSON object"));
	}
	out->cred = credential_new();
	if (!out->cred) {
		json_free_wiped(root);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	switch (t) {
	case CREDFILE_CLAUDE:
		st = cf_parse_claude(root, out, err);
		break;
	case CREDFILE_CODEX:
		st = cf_parse_codex(root, out, err);
		break;
	case CREDFILE_GEMINI:
		st = cf_parse_gemini(root, out, err);
		break;
	default:
		st = error_set(err, AIAUTH_UNSUPPORTED, "%s", _("unknown tool"));
		break;
	}
	json_free_wiped(root);
	if (st == AIAUTH_OK && !out->api_key && !credential_get(out->cred, "access_token") &&
	    !credential_get(out->cred, "refresh_token"))
		CREDENTIAL_FREE(out->cred); /* nothing of ours in it */
	if (st == AIAUTH_OK && out->cred && !out->api_key) {
		yajl_val claims = cf_jwt_claims(cf_get(out->cred, "id_token"));
		out->email = cf_claims_email(claims);
		json_free_wiped(claims);
	}
	if (st != AIAUTH_OK)
		credfile_contents_clear(out);
	return st;
}

/* ---------------------------------------------------------- rendering */

/* What becomes of one member aiauth owns. */
enum cf_how {
	CF_STR,          /* set to `str` */
	CF_INT,          /* set to `num` */
	CF_BOOL,         /* set to `num != 0` */
	CF_WORDS,        /* set to the list of the space-separated words of `str` */
	CF_OBJECT,       /* an object: the old one (if any) with `sub` applied */
	CF_REMOVE,       /* dropped */
	CF_KEEP_LIST,    /* the old value when it is a list (or null), else nothing */
	CF_KEEP_STRING,  /* the old value when it is a string (or null), else nothing */
	CF_KEEP_OR_NULL, /* the old value, or null */
};

struct cf_member {
	const char *key;
	enum cf_how how;
	const char *str;
	int64_t num;
	const struct cf_member *sub;
	size_t n_sub;
};

#define CF_MAX_MEMBERS 16

static bool cf_ok(yajl_gen_status s)
{
	return s == yajl_gen_status_ok;
}

/* Generate a parsed value again as it was. */
static bool cf_gen_tree(yajl_gen g, yajl_val v)
{
	if (!v || YAJL_IS_NULL(v))
		return cf_ok(yajl_gen_null(g));
	if (YAJL_IS_STRING(v))
		return json_gen_string(g, v->u.string);
	if (YAJL_IS_NUMBER(v)) {
		const char *r = v->u.number.r;
		return r && cf_ok(yajl_gen_number(g, r, strlen(r)));
	}
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return cf_ok(yajl_gen_bool(g, YAJL_IS_TRUE(v)));
	if (YAJL_IS_ARRAY(v)) {
		bool ok = cf_ok(yajl_gen_array_open(g));
		for (size_t i = 0; ok && i < v->u.array.len; i++)
			ok = cf_gen_tree(g, v->u.array.values[i]);
		return ok && cf_ok(yajl_gen_array_close(g));
	}
	if (YAJL_IS_OBJECT(v)) {
		bool ok = cf_ok(yajl_gen_map_open(g));
		for (size_t i = 0; ok && i < v->u.object.len; i++)
			ok = json_gen_key(g, v->u.object.keys[i]) && cf_gen_tree(g, v->u.object.values[i]);
		return ok && cf_ok(yajl_gen_map_close(g));
	}
	return false;
}

static bool cf_gen_object(yajl_gen g, yajl_val old, const struct cf_member *m, size_t n);

static bool cf_gen_member(yajl_gen g, const struct cf_member *m, yajl_val old)
{
	switch (m->how) {
	case CF_STR:
		return json_gen_string(g, m->str);
	case CF_INT:
		return cf_ok(yajl_gen_integer(g, (long long)m->num));
	case CF_BOOL:
		return cf_ok(yajl_gen_bool(g, m->num != 0));
	case CF_WORDS: {
		bool ok = cf_ok(yajl_gen_array_open(g));
		for (const char *p = m->str; ok && *p;) {
			size_t n = strcspn(p, " ");
			if (n)
				ok = cf_ok(yajl_gen_string(g, (const unsigned char *)p, n));
			p += n;
			p += strspn(p, " ");
		}
		return ok && cf_ok(yajl_gen_array_close(g));
	}
	case CF_OBJECT:
		return cf_gen_object(g, old, m->sub, m->n_sub);
	case CF_KEEP_LIST:
	case CF_KEEP_STRING:
	case CF_KEEP_OR_NULL:
		return cf_gen_tree(g, old);
	case CF_REMOVE:
		break;
	}
	return false;
}

/* Is an old member aiauth owns written again?  Not when it goes, nor when
 * it is kept only if it has the type the tool (and our reader) expects:
 * a damaged member is dropped rather than carried into the new file. */
static bool cf_writes_old(const struct cf_member *m, yajl_val old)
{
	switch (m->how) {
	case CF_REMOVE:
		return false;
	case CF_KEEP_LIST:
		return YAJL_IS_ARRAY(old) || YAJL_IS_NULL(old);
	case CF_KEEP_STRING:
		return YAJL_IS_STRING(old) || YAJL_IS_NULL(old);
	default:
		return true;
	}
}

/* An object: the members of `old` (when it is one) in their order, those
 * aiauth owns replaced in place, then the owned members it did not have. */
static bool cf_gen_object(yajl_gen g, yajl_val old, const struct cf_member *m, size_t n)
{
	bool seen[CF_MAX_MEMBERS] = {false};
	if (n > CF_MAX_MEMBERS)
		return false;
	bool ok = cf_ok(yajl_gen_map_open(g));
	if (old && YAJL_IS_OBJECT(old)) {
		for (size_t i = 0; ok && i < old->u.object.len; i++) {
			const char *key = old->u.object.keys[i];
			yajl_val value = old->u.object.values[i];
			size_t j = 0;
			while (j < n && strcmp(m[j].key, key) != 0)
				j++;
			if (j == n) {
				ok = json_gen_key(g, key) && cf_gen_tree(g, value);
				continue;
			}
			seen[j] = true;
			if (cf_writes_old(&m[j], value))
				ok = json_gen_key(g, key) && cf_gen_member(g, &m[j], value);
		}
	}
	for (size_t j = 0; ok && j < n; j++) {
		if (seen[j] || m[j].how == CF_REMOVE || m[j].how == CF_KEEP_LIST ||
		    m[j].how == CF_KEEP_STRING)
			continue;
		ok = json_gen_key(g, m[j].key) && cf_gen_member(g, &m[j], NULL);
	}
	return ok && cf_ok(yajl_gen_map_close(g));
}

/* Parse `existing` (an object, or nothing) and generate it again with `m`
 * applied at the top level. */
static enum aiauth_status cf_regenerate(const char *existing, size_t len,
                                        const struct cf_member *m, size_t n, struct secret **out,
                                        struct aiauth_error **err)
{
	yajl_val root = NULL;
	if (existing) {
		enum aiauth_status st = json_parse(existing, len, &root, err);
		if (st != AIAUTH_OK)
			return st;
		if (!YAJL_IS_OBJECT(root)) {
			json_free_wiped(root);
			return error_set(err, AIAUTH_CORRUPT, "%s", _("not a JSON object"));
		}
	}
	yajl_gen g = json_gen_new(true);
	if (!g) {
		json_free_wiped(root);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	bool ok = cf_gen_object(g, root, m, n);
	json_free_wiped(root);
	if (!ok) {
		yajl_gen_free(g);
		return error_set(err, AIAUTH_CORRUPT, "%s",
		                 _("cannot generate the file (a value is not valid UTF-8 text)"));
	}
	struct secret *text = NULL;
	enum aiauth_status st = json_gen_take(g, &text, err);
	if (st != AIAUTH_OK)
		return st;
	/* Tools end their files with a newline; so does aiauth. */
	if (text->len == 0 || text->buf[text->len - 1] != '\n') {
		if (secret_append(text, "\n", 1) != AIAUTH_OK) {
			secret_free(text);
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		}
	}
	*out = text;
	return AIAUTH_OK;
}

enum aiauth_status credfile_render(enum credfile_tool t, const char *existing, size_t len,
                                   const struct credential *cred, bool api_key, int64_t now,
                                   struct secret **out, struct aiauth_error **err)
{
	*out = NULL;
	const struct credfile_tool_info *info = credfile_tool(t);
	if (!info)
		return error_set(err, AIAUTH_USAGE, "%s", _("unknown tool"));
	if (info->unsupported)
		return error_set(err, AIAUTH_UNSUPPORTED, "%s", _(info->unsupported));
	if (existing && len > CREDFILE_MAX_SIZE)
		return error_set(err, AIAUTH_CORRUPT, "%s", _("larger than 1 MiB; refused"));
	/* Never over a file of another kind (a Google service-account key,
	 * say): both would be left in it, and the tool would read the other.
	 * A member of ours with the wrong type is another matter: it is
	 * replaced. */
	if (existing) {
		struct credfile_contents now_there = {0};
		struct aiauth_error *why = NULL;
		enum aiauth_status st = credfile_parse(t, existing, len, &now_there, &why);
		credfile_contents_clear(&now_there);
		if (st == AIAUTH_UNSUPPORTED) {
			if (err) {
				error_clear(err);
				*err = why;
			} else {
				error_clear(&why);
			}
			return st;
		}
		error_clear(&why);
	}
	if (api_key && t != CREDFILE_CODEX)
		return error_set(err, AIAUTH_UNSUPPORTED, _("%s keeps OAuth tokens, not an API key"),
		                 info->tool_name);
	const char *key = cf_get(cred, "api_key");
	const char *at = cf_get(cred, "access_token");
	const char *rt = cf_get(cred, "refresh_token");
	const char *idt = cf_get(cred, "id_token");
	const char *scope = cf_get(cred, "scope");
	const char *tt = cf_get(cred, "token_type");
	int64_t exp = cf_expires_at(cred);
	if (api_key ? !key : !at)
		return error_set(err, AIAUTH_NOT_FOUND, "%s",
		                 api_key ? _("the account has no API key")
		                         : _("the account has no access token"));

	switch (t) {
	case CREDFILE_CLAUDE: {
		const struct cf_member inner[] = {
			{"accessToken", CF_STR, at, 0, NULL, 0},
			{"refreshToken", rt ? CF_STR : CF_REMOVE, rt, 0, NULL, 0},
			{"expiresAt", exp ? CF_INT : CF_REMOVE, NULL, exp * 1000, NULL, 0},
			/* Claude Code looks at the scopes; without ours, the file's
			 * own (from the same kind of sign-in) are the best guess. */
			{"scopes", scope ? CF_WORDS : CF_KEEP_LIST, scope, 0, NULL, 0},
		};
		const struct cf_member root[] = {{"claudeAiOauth", CF_OBJECT, NULL, 0, inner, 4}};
		return cf_regenerate(existing, len, root, 1, out, err);
	}
	case CREDFILE_CODEX: {
		if (api_key) {
			/* Codex's own "login --with-api-key" drops the ChatGPT tokens;
			 * aiauth keeps them (they may be the only copy of a refresh
			 * token) and lets auth_mode choose. */
			const struct cf_member root[] = {
				{"auth_mode", CF_STR, "apikey", 0, NULL, 0},
				{"OPENAI_API_KEY", CF_STR, key, 0, NULL, 0},
			};
			return cf_regenerate(existing, len, root, 2, out, err);
		}
		if (!idt)
			return error_set(err, AIAUTH_UNSUPPORTED, "%s",
			                 _("Codex needs the account's id_token, which this account does "
			                   "not have (sign in with 'aiauth login chatgpt')"));
		char *acct = NULL;
		const char *account_id = cf_get(cred, "account_id");
		if (!account_id) {
			yajl_val claims = cf_jwt_claims(idt);
			const char *a = json_get_string(
				json_get_object(claims, "https://api.openai.com/auth"), "chatgpt_account_id");
			acct = a ? strdup(a) : NULL;
			json_free_wiped(claims);
			account_id = acct;
		}
		char when[32];
		time_t tnow = (time_t)now;
		struct tm tm;
		if (!gmtime_r(&tnow, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
		const struct cf_member tokens[] = {
			{"id_token", CF_STR, idt, 0, NULL, 0},
			{"access_token", CF_STR, at, 0, NULL, 0},
			/* A required string for Codex; "" says there is none. */
			{"refresh_token", CF_STR, rt ? rt : "", 0, NULL, 0},
			/* An account id from another sign-in must not stay beside ours. */
			{"account_id", account_id ? CF_STR : CF_REMOVE, account_id, 0, NULL, 0},
		};
		const struct cf_member root[] = {
			{"auth_mode", CF_STR, "chatgpt", 0, NULL, 0},
			{"OPENAI_API_KEY", CF_KEEP_OR_NULL, NULL, 0, NULL, 0},
			{"tokens", CF_OBJECT, NULL, 0, tokens, 4},
			{"last_refresh", CF_STR, when, 0, NULL, 0},
		};
		enum aiauth_status st = cf_regenerate(existing, len, root, 4, out, err);
		if (acct) {
			secure_wipe(acct, strlen(acct));
			free(acct);
		}
		return st;
	}
	case CREDFILE_GEMINI: {
		const struct cf_member root[] = {
			{"access_token", CF_STR, at, 0, NULL, 0},
			{"refresh_token", rt ? CF_STR : CF_REMOVE, rt, 0, NULL, 0},
			{"scope", scope ? CF_STR : CF_KEEP_STRING, scope, 0, NULL, 0},
			{"token_type", CF_STR, tt ? tt : "Bearer", 0, NULL, 0},
			{"id_token", idt ? CF_STR : CF_REMOVE, idt, 0, NULL, 0},
			{"expiry_date", exp ? CF_INT : CF_REMOVE, NULL, exp * 1000, NULL, 0},
		};
		return cf_regenerate(existing, len, root, 6, out, err);
	}
	default:
		return error_set(err, AIAUTH_UNSUPPORTED, "%s", _("unknown tool"));
	}
}

/* ------------------------------------------------------------- files */

static const char *cf_home(const char *home)
{
	if (!home)
		home = getenv("HOME");
	return home && home[0] == '/' ? home : NULL;
}

/* "~/.codex/auth.json" for messages when the path is under $HOME. */
static char *cf_shown(const char *path, const char *home)
{
	size_t hl = home ? strlen(home) : 0;
	while (hl > 1 && home[hl - 1] == '/')
		hl--;
	if (hl && strncmp(path, home, hl) == 0 && path[hl] == '/') {
		size_t n = strlen(path + hl) + 2;
		char *s = malloc(n);
		if (s)
			snprintf(s, n, "~%s", path + hl);
		return s;
	}
	return strdup(path);
}

enum aiauth_status credfile_path(const struct credfile_tool_info *t, const char *home, char **out,
                                 struct aiauth_error **err)
{
	home = cf_home(home);
	if (!home)
		return error_set(err, AIAUTH_NOT_CONFIGURED, "%s",
		                 _("HOME is not set to an absolute path"));
	char *dir = path_join(home, t->dir);
	char *path = dir ? path_join(dir, t->file) : NULL;
	free(dir);
	if (!path)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	*out = path;
	return AIAUTH_OK;
}

/* The tool's directory: *exists says whether it is there.  A link is
 * followed only when it leads somewhere inside $HOME (dotfile managers
 * link ~/.claude into a repository under $HOME; a link to /etc or to
 * another user's home is not followed blindly). */
static enum aiauth_status cf_check_dir(const char *dir, const char *home, const char *shown,
                                       bool *exists, struct aiauth_error **err)
{
	struct stat st;
	*exists = false;
	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return AIAUTH_OK;
		return error_set(err, AIAUTH_IO, "%s: %s", shown, strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		char *real = realpath(dir, NULL);
		char *rhome = realpath(home, NULL);
		size_t hl = rhome ? strlen(rhome) : 0;
		bool inside = real && rhome && strncmp(real, rhome, hl) == 0 &&
		              (real[hl] == '/' || (hl == 1 && rhome[0] == '/'));
		free(real);
		free(rhome);
		if (!inside)
			return error_set(err, AIAUTH_UNSUPPORTED,
			                 _("%s is a symbolic link that leads out of your home directory; "
			                   "aiauth does not follow it"),
			                 shown);
		if (stat(dir, &st) != 0)
			return error_set(err, AIAUTH_IO, "%s: %s", shown, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return error_set(err, AIAUTH_IO, _("%s is not a directory"), shown);
	*exists = true;
	return AIAUTH_OK;
}

/* Read a credential file: never through a link (O_NOFOLLOW), only a
 * regular file, at most CREDFILE_MAX_SIZE bytes, into wiped memory.
 * AIAUTH_NOT_FOUND when it does not exist. */
static enum aiauth_status cf_read_file(const char *path, const char *shown, struct secret **out,
                                       struct aiauth_error **err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return error_set(err, AIAUTH_NOT_FOUND, _("%s does not exist"), shown);
		if (e == ELOOP)
			return error_set(err, AIAUTH_UNSUPPORTED,
			                 _("%s is a symbolic link; aiauth does not follow it (put the file "
			                   "itself there)"),
			                 shown);
		return error_set(err, AIAUTH_IO, "%s: %s", shown, strerror(e));
	}
	enum aiauth_status st = AIAUTH_OK;
	struct secret *s = NULL;
	unsigned char chunk[4096];
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		st = error_set(err, AIAUTH_IO, "%s: %s", shown, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = error_set(err, AIAUTH_IO, _("%s is not a regular file"), shown);
		goto out;
	}
	if (sb.st_size > CREDFILE_MAX_SIZE) {
		st = error_set(err, AIAUTH_CORRUPT, _("%s is larger than 1 MiB; refused"), shown);
		goto out;
	}
	s = secret_new((size_t)sb.st_size + 1);
	if (!s) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = error_set(err, AIAUTH_IO, "%s: %s", shown, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		/* It may have grown since fstat. */
		if (s->len + (size_t)n > CREDFILE_MAX_SIZE) {
			st = error_set(err, AIAUTH_CORRUPT, _("%s is larger than 1 MiB; refused"), shown);
			goto out;
		}
		if (secret_append(s, chunk, (size_t)n) != AIAUTH_OK) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
	}
out:
	secure_wipe(chunk, sizeof(chunk));
	close(fd);
	if (st != AIAUTH_OK) {
		secret_free(s);
		return st;
	}
	*out = s;
	return AIAUTH_OK;
}

/* The file's path, its directory, and how both are shown. */
struct cf_paths {
	char *path;
	char *dir;
	char *shown;
	char *shown_dir;
	const char *home;
};

static void cf_paths_clear(struct cf_paths *p)
{
	free(p->path);
	free(p->dir);
	free(p->shown);
	free(p->shown_dir);
}

static enum aiauth_status cf_paths(const struct credfile_tool_info *t, const char *home,
                                   struct cf_paths *p, struct aiauth_error **err)
{
	memset(p, 0, sizeof(*p));
	enum aiauth_status st = credfile_path(t, home, &p->path, err);
	if (st != AIAUTH_OK)
		return st;
	p->home = cf_home(home);
	p->dir = path_join(p->home, t->dir);
	p->shown = cf_shown(p->path, p->home);
	p->shown_dir = p->dir ? cf_shown(p->dir, p->home) : NULL;
	if (!p->dir || !p->shown || !p->shown_dir) {
		cf_paths_clear(p);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	return AIAUTH_OK;
}

enum aiauth_status credfile_read(const struct credfile_tool_info *t, const char *home,
                                 struct credfile_contents *out, struct aiauth_error **err)
{
	memset(out, 0, sizeof(*out));
	if (t->unsupported)
		return error_set(err, AIAUTH_UNSUPPORTED, "%s", _(t->unsupported));
	struct cf_paths p;
	enum aiauth_status st = cf_paths(t, home, &p, err);
	if (st != AIAUTH_OK)
		return st;
	bool exists;
	struct secret *text = NULL;
	if ((st = cf_check_dir(p.dir, p.home, p.shown_dir, &exists, err)) != AIAUTH_OK)
		goto out;
	if (!exists) {
		st = error_set(err, AIAUTH_NOT_FOUND, _("%s does not exist"), p.shown);
		goto out;
	}
	if ((st = cf_read_file(p.path, p.shown, &text, err)) != AIAUTH_OK)
		goto out;
	if ((st = credfile_parse(t->tool, (const char *)text->buf, text->len, out, err)) !=
	    AIAUTH_OK)
		error_prefix(err, "%s: ", p.shown);
out:
	secret_free(text);
	cf_paths_clear(&p);
	return st;
}

enum aiauth_status credfile_write(const struct credfile_tool_info *t, const char *home,
                                  const struct credential *cred, bool api_key, int64_t now,
                                  struct aiauth_error **err)
{
	if (t->unsupported)
		return error_set(err, AIAUTH_UNSUPPORTED, "%s", _(t->unsupported));
	struct cf_paths p;
	enum aiauth_status st = cf_paths(t, home, &p, err);
	if (st != AIAUTH_OK)
		return st;
	bool exists;
	struct secret *old = NULL, *text = NULL;
	if ((st = cf_check_dir(p.dir, p.home, p.shown_dir, &exists, err)) != AIAUTH_OK)
		goto out;
	if (!exists) {
		/* Only the tool's own directory is made (0700); $HOME is there. */
		if (mkdir(p.dir, 0700) != 0 && errno != EEXIST) {
			st = error_set(err, AIAUTH_IO, _("cannot create %s: %s"), p.shown_dir,
			               strerror(errno));
			goto out;
		}
	} else {
		st = cf_read_file(p.path, p.shown, &old, err);
		if (st == AIAUTH_NOT_FOUND) {
			error_clear(err);
			st = AIAUTH_OK;
		}
		if (st != AIAUTH_OK)
			goto out;
	}
	st = credfile_render(t->tool, old ? (const char *)old->buf : NULL, old ? old->len : 0, cred,
	                     api_key, now, &text, err);
	if (st != AIAUTH_OK) {
		error_prefix(err, "%s: ", p.shown);
		goto out;
	}
	st = fs_write_atomic(p.path, text->buf, text->len, 0600, err);
out:
	secret_free(old);
	secret_free(text);
	cf_paths_clear(&p);
	return st;
}

/* ---------------------------------------------------- comparing, merging */

static bool cf_field_eq(const struct credential *a, const struct credential *b, const char *name)
{
	const struct secret *x = credential_get(a, name), *y = credential_get(b, name);
	if (!x || !y)
		return !x && !y;
	return secret_equal(x, y);
}

enum credfile_verdict credfile_compare(const struct credential *ours, const char *our_email,
                                       const struct credfile_contents *file)
{
	if (!file || !file->cred)
		return CREDFILE_OURS_NEWER;
	if (file->api_key)
		return ours && cf_field_eq(ours, file->cred, "api_key") ? CREDFILE_SAME
		                                                        : CREDFILE_OURS_NEWER;
	if (our_email && file->email && strcasecmp(our_email, file->email) != 0)
		return CREDFILE_OTHER_ACCOUNT;
	if (ours && cf_field_eq(ours, file->cred, "access_token") &&
	    cf_field_eq(ours, file->cred, "refresh_token"))
		return CREDFILE_SAME;
	/* A refresh token we do not have is never written over. */
	if (credential_get(file->cred, "refresh_token") &&
	    !(ours && credential_get(ours, "refresh_token")))
		return CREDFILE_FILE_NEWER;
	int64_t mine = ours ? cf_expires_at(ours) : 0;
	if (file->expires_at > 0 && file->expires_at > mine)
		return CREDFILE_FILE_NEWER;
	return CREDFILE_OURS_NEWER;
}

enum aiauth_status credfile_take_in(const struct credential *ours,
                                    const struct credfile_contents *file, struct credential **out)
{
	/* These describe one access token: ours go when the file's comes in. */
	static const char *const replaced[] = {"access_token", "expires_at", "token_type"};
	struct credential *c = credential_new();
	if (!c)
		return AIAUTH_NO_MEMORY;
	enum aiauth_status st = AIAUTH_OK;
	for (size_t i = 0; ours && i < ours->n && st == AIAUTH_OK; i++) {
		const struct credential_field *f = &ours->fields[i];
		bool skip = false;
		for (size_t k = 0; k < sizeof(replaced) / sizeof(replaced[0]); k++)
			skip = skip || strcmp(f->name, replaced[k]) == 0;
		if (!skip)
			st = credential_take(c, f->name, secret_from_mem(f->value->buf, f->value->len));
	}
	for (size_t i = 0; file && file->cred && i < file->cred->n && st == AIAUTH_OK; i++) {
		const struct credential_field *f = &file->cred->fields[i];
		st = credential_take(c, f->name, secret_from_mem(f->value->buf, f->value->len));
	}
	if (st != AIAUTH_OK) {
		credential_free(c);
		return st;
	}
	*out = c;
	return AIAUTH_OK;
}

/* ----------------------------------------------------------- settings */

static enum aiauth_status cf_settings_path(const char *config_dir, char **dir, char **path,
                                           struct aiauth_error **err)
{
	char *d = NULL;
	if (config_dir) {
		d = strdup(config_dir);
		if (!d)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	} else {
		enum aiauth_status st = paths_config_dir(&d, err);
		if (st != AIAUTH_OK)
			return st;
	}
	char *p = path_join(d, "settings.json");
	if (!p) {
		free(d);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	*dir = d;
	*path = p;
	return AIAUTH_OK;
}

/* The settings file's text, or NULL when there is none. */
static enum aiauth_status cf_settings_read(const char *path, char **text, size_t *len,
                                           yajl_val *root, struct aiauth_error **err)
{
	*text = NULL;
	*root = NULL;
	enum aiauth_status st = fs_read_all(path, 64 * 1024, text, len, err);
	if (st == AIAUTH_NOT_FOUND) {
		error_clear(err);
		return AIAUTH_OK;
	}
	if (st != AIAUTH_OK)
		return st;
	st = json_parse(*text, *len, root, err);
	if (st == AIAUTH_OK && !YAJL_IS_OBJECT(*root)) {
		json_free(*root);
		*root = NULL;
		st = error_set(err, AIAUTH_CORRUPT, "%s", _("not a JSON object"));
	}
	if (st != AIAUTH_OK) {
		error_prefix(err, "%s: ", path);
		free(*text);
		*text = NULL;
	}
	return st;
}

enum aiauth_status credfile_auto_sync_get(const char *config_dir, bool *on,
                                          struct aiauth_error **err)
{
	char *dir = NULL, *path = NULL, *text = NULL;
	size_t len = 0;
	yajl_val root = NULL;
	*on = false;
	enum aiauth_status st = cf_settings_path(config_dir, &dir, &path, err);
	if (st == AIAUTH_OK)
		st = cf_settings_read(path, &text, &len, &root, err);
	if (st == AIAUTH_OK)
		*on = json_get_bool(root, "auto_sync", false);
	json_free(root);
	free(text);
	free(path);
	free(dir);
	return st;
}

enum aiauth_status credfile_auto_sync_set(const char *config_dir, bool on,
                                          struct aiauth_error **err)
{
	char *dir = NULL, *path = NULL, *text = NULL;
	size_t len = 0;
	yajl_val root = NULL;
	struct secret *out = NULL;
	enum aiauth_status st = cf_settings_path(config_dir, &dir, &path, err);
	if (st == AIAUTH_OK)
		st = cf_settings_read(path, &text, &len, &root, err);
	json_free(root);
	if (st == AIAUTH_OK) {
		const struct cf_member m[] = {{"auto_sync", CF_BOOL, NULL, on, NULL, 0}};
		st = cf_regenerate(text, len, m, 1, &out, err);
	}
	if (st == AIAUTH_OK)
		st = fs_mkdir_private(dir, err);
	if (st == AIAUTH_OK)
		st = fs_write_atomic(path, out->buf, out->len, 0600, err);
	secret_free(out);
	free(text);
	free(path);
	free(dir);
	return st;
}
