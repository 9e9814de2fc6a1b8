/* oauth_pkce.c - authorization code with PKCE: secrets, URL, replies,
 * exchange, pending sign-ins.  See oauth_pkce.h for the contract. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


#include "credential.h"
#include "cryptosym.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "oauth_pkce.h"

#define OOM(err) error_set((err), AIAUTH_NO_MEMORY, "%s", _("out of memory"))

/* ------------------------------------------------------------ base64url */

char *oauth_pkce_base64url(const void *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	size_t n = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned long v = (unsigned long)p[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

char *oauth_pkce_challenge(const char *verifier, size_t len)
{
	unsigned char digest[32];
	if (cryptosym_load(NULL) != AIAUTH_OK ||
	    sym_gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, len, digest) < 0)
		return NULL;
	return oauth_pkce_base64url(digest, sizeof(digest));
}

/* A base64url string of `n` bytes from the key-grade generator. */
static enum aiauth_status random_b64(size_t n, struct secret **out, struct aiauth_error **err)
{
	unsigned char raw[32];
	enum aiauth_status st = cryptosym_load(err);
	if (st != AIAUTH_OK)
		return st;
	if (n > sizeof(raw) || sym_gnutls_rnd(GNUTLS_RND_KEY, raw, n) < 0) {
		secure_wipe(raw, sizeof(raw));
		return error_set(err, AIAUTH_FAILED, "%s",
		                 _("the system random generator failed"));
	}
	char *text = oauth_pkce_base64url(raw, n);
	secure_wipe(raw, sizeof(raw));
	if (!text)
		return OOM(err);
	*out = secret_from_str(text);
	secure_free_str(text);
	return *out ? AIAUTH_OK : OOM(err);
}

void oauth_pkce_clear(struct oauth_pkce *pk)
{
	SECRET_FREE(pk->verifier);
	SECRET_FREE(pk->state);
	free(pk->challenge);
	pk->challenge = NULL;
}

enum aiauth_status oauth_pkce_new(struct oauth_pkce *pk, struct aiauth_error **err)
{
	oauth_pkce_clear(pk);
	/* 32 bytes give the 43-character verifier RFC 7636 §4.1 recommends;
	 * 16 bytes of state are the 128 bits RFC 6749 §10.10 asks for. */
	enum aiauth_status st = random_b64(32, &pk->verifier, err);
	if (st == AIAUTH_OK)
		st = random_b64(16, &pk->state, err);
	if (st == AIAUTH_OK) {
		pk->challenge = oauth_pkce_challenge((const char *)pk->verifier->buf,
		                                     pk->verifier->len);
		if (!pk->challenge)
			st = error_set(err, AIAUTH_FAILED, "%s", _("cannot compute the PKCE challenge"));
	}
	if (st != AIAUTH_OK)
		oauth_pkce_clear(pk);
	return st;
}

/* ------------------------------------------------------------ strings */

/* A growing heap string; `oom` sticks once an append failed. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

/* "&name=encoded(value)" (or "?" / nothing before the first one). */
static void sb_param(struct sbuf *b, const char *sep, const char *name, const char *value)
{
	char *enc_name = oauth_url_encode(name);
	char *enc_value = oauth_url_encode(value);
	if (!enc_name || !enc_value) {
		b->oom = true;
	} else {
		sb_add(b, sep);
		sb_add(b, enc_name);
		sb_add(b, "=");
		sb_add(b, enc_value);
	}
	free(enc_name);
	free(enc_value);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into dst (room for n + 1); '+' is a space.  A '%'
 * not followed by two hex digits stays as it is.  Returns the length. */
static size_t pct_decode(const char *s, size_t n, char *dst)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+') {
			dst[o++] = ' ';
		} else {
			dst[o++] = s[i];
		}
	}
	dst[o] = '\0';
	return o;
}

/* Is this one of the parameters the authorization URL sets itself?  The
 * provider's extra parameters may not replace them. */
static bool is_core_param(const char *name)
{
	static const char *const core[] = {
		"response_type", "client_id", "redirect_uri", "scope", "state",
		"code_challenge", "code_challenge_method",
	};
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if (strcmp(name, core[i]) == 0)
			return true;
	return false;
}

/* Append the provider's "k=v&k2=v2": decoded first (so that a value written
 * either raw or encoded in providers.json comes out right), then encoded. */
static void sb_extra_params(struct sbuf *b, const char *extra)
{
	const char *p = extra;
	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t nn = eq ? (size_t)(eq - p) : n;
		char *name = malloc(nn + 1);
		char *value = malloc(n - nn + 1);
		if (!name || !value) {
			b->oom = true;
		} else if (nn > 0) {
			pct_decode(p, nn, name);
			if (eq)
				pct_decode(eq + 1, n - nn - 1, value);
			else
				value[0] = '\0';
			if (!is_core_param(name))
				sb_param(b, "&", name, value);
		}
		free(name);
		free(value);
		p = end ? end + 1 : NULL;
	}
}

enum aiauth_status oauth_pkce_authorization_url(const struct provider *p,
                                                const char *authorization_endpoint,
                                                const char *redirect_uri,
                                                const struct oauth_pkce *pk, char **url,
                                                struct aiauth_error **err)
{
	*url = NULL;
	if (!p->oauth.client_id || !*p->oauth.client_id)
		return error_set(err, AIAUTH_NOT_CONFIGURED,
		                 _("%s: no OAuth client_id is configured"), p->id);
	if (!authorization_endpoint || !pk->challenge || !pk->state)
		return error_set(err, AIAUTH_NOT_CONFIGURED,
		                 _("%s: no authorization endpoint is known"), p->id);
	struct sbuf b = {0};
	sb_add(&b, authorization_endpoint);
	const char *sep = strchr(authorization_endpoint, '?') ? "&" : "?";
	sb_param(&b, sep, "response_type", "code");
	sb_param(&b, "&", "client_id", p->oauth.client_id);
	sb_param(&b, "&", "redirect_uri", redirect_uri);
	if (p->oauth.scopes && *p->oauth.scopes)
		sb_param(&b, "&", "scope", p->oauth.scopes);
	sb_param(&b, "&", "state", (const char *)pk->state->buf);
	sb_param(&b, "&", "code_challenge", pk->challenge);
	sb_param(&b, "&", "code_challenge_method", "S256");
	if (p->oauth.extra_auth_params)
		sb_extra_params(&b, p->oauth.extra_auth_params);
	if (b.oom) {
		free(b.s);
		return OOM(err);
	}
	*url = b.s;
	return AIAUTH_OK;
}

/* ------------------------------------------------------------ replies */

void oauth_pkce_reply_clear(struct oauth_pkce_reply *r)
{
	SECRET_FREE(r->code);
	SECRET_FREE(r->state);
	free(r->error);
	free(r->error_description);
	r->error = r->error_description = NULL;
}

/* One printable ASCII line of at most `max` bytes: what RFC 6749 allows in
 * error and error_description, so anything else (escape sequences, line
 * breaks) is replaced before it reaches a terminal. */
static char *sanitize(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		n = max;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
	return out;
}

/* A code or state: visible ASCII only (RFC 6749 VSCHAR without space). */
static bool token_chars_ok(const struct secret *s)
{
	if (!s->len)
		return false;
	for (size_t i = 0; i < s->len; i++)
		if (s->buf[i] <= 0x20 || s->buf[i] >= 0x7f)
			return false;
	return true;
}

enum aiauth_status oauth_pkce_parse_query(const char *query, size_t len,
                                          struct oauth_pkce_reply *out,
                                          struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	oauth_pkce_reply_clear(out);
	if (len > OAUTH_PKCE_MAX_INPUT)
		return error_set(err, AIAUTH_USAGE, _("the answer is too long (over %d KiB)"),
		                 OAUTH_PKCE_MAX_INPUT / 1024);
	/* One scratch buffer as long as the query holds each decoded value in
	 * turn; it may carry the code, so it is a secret. */
	struct secret *tmp = secret_new(len + 1);
	if (!tmp)
		return OOM(err);
	char *dec = (char *)tmp->buf;
	size_t i = 0;
	while (i < len && st == AIAUTH_OK) {
		size_t start = i;
		while (i < len && query[i] != '&')
			i++;
		size_t seg = i - start;
		i++; /* past '&' */
		if (!seg)
			continue;
		const char *s = query + start;
		const char *eq = memchr(s, '=', seg);
		size_t nn = eq ? (size_t)(eq - s) : seg;
		char name[32];
		if (nn >= sizeof(name))
			continue; /* not one of ours */
		pct_decode(s, nn, name);
		struct secret **ssec = NULL;
		char **sstr = NULL;
		size_t max = 0;
		if (strcmp(name, "code") == 0)
			ssec = &out->code;
		else if (strcmp(name, "state") == 0)
			ssec = &out->state;
		else if (strcmp(name, "error") == 0)
			sstr = &out->error, max = 64;
		else if (strcmp(name, "error_description") == 0)
			sstr = &out->error_description, max = 300;
		else
			continue;
		if ((ssec && *ssec) || (sstr && *sstr)) {
			st = error_set(err, AIAUTH_USAGE, _("the answer has \"%s\" twice"), name);
			break;
		}
		size_t dn = eq ? pct_decode(eq + 1, seg - nn - 1, dec) : (dec[0] = '\0', 0);
		if (ssec) {
			*ssec = secret_from_mem(dec, dn);
			if (!*ssec)
				st = OOM(err);
		} else {
			*sstr = sanitize(dec, max);
			if (!*sstr)
				st = OOM(err);
		}
	}
	secret_free(tmp);
	if (st != AIAUTH_OK)
		oauth_pkce_reply_clear(out);
	return st;
}

enum aiauth_status oauth_pkce_reply_error(const struct oauth_pkce_reply *r,
                                          struct aiauth_error **err)
{
	const char *code = r->error ? r->error : "error";
	const char *desc = r->error_description && *r->error_description ? r->error_description
	                                                                   : NULL;
	if (strcmp(code, "access_denied") == 0)
		return error_set(err, AIAUTH_DENIED, _("access denied%s%s"), desc ? ": " : "",
		                 desc ? desc : "");
	return error_set(err, AIAUTH_REJECTED, _("the provider refused the sign-in (%s)%s%s"), code,
	                 desc ? ": " : "", desc ? desc : "");
}

static bool starts_with_ci(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);
	return n >= pn && strncasecmp(s, prefix, pn) == 0;
}

/* Does the text look like a query ("code=...&state=...")? */
static bool looks_like_query(const char *s, size_t n)
{
	return starts_with_ci(s, n, "code=") || starts_with_ci(s, n, "error=") ||
	       starts_with_ci(s, n, "state=");
}

/* Read the parts of a URL or a query into *r. */
static enum aiauth_status parse_url(const char *s, size_t n, struct oauth_pkce_reply *r,
                                    struct aiauth_error **err)
{
	const char *q = memchr(s, '?', n);
	const char *hash = memchr(s, '#', n);
	if (q && hash && hash < q)
		q = NULL; /* a '?' inside the fragment */
	const char *end = s + n;
	enum aiauth_status st = AIAUTH_OK;
	if (q) {
		const char *qend = hash ? hash : end;
		st = oauth_pkce_parse_query(q + 1, (size_t)(qend - q - 1), r, err);
	}
	/* Some providers answer in the fragment (response_mode=fragment). */
	if (st == AIAUTH_OK && !r->code && !r->error && hash)
		st = oauth_pkce_parse_query(hash + 1, (size_t)(end - hash - 1), r, err);
	return st;
}

enum aiauth_status oauth_pkce_parse_paste(const struct secret *input,
                                          const struct secret *expected_state,
                                          struct secret **code, struct aiauth_error **err)
{
	*code = NULL;
	if (input->len > OAUTH_PKCE_MAX_INPUT)
		return error_set(err, AIAUTH_USAGE,
		                 _("the pasted text is too long (over %d KiB); paste only the code "
		                   "or the address of the page"),
		                 OAUTH_PKCE_MAX_INPUT / 1024);
	struct secret *w = secret_from_mem(input->buf, input->len);
	if (!w)
		return OOM(err);
	secret_trim(w);
	struct oauth_pkce_reply r = {0};
	enum aiauth_status st = AIAUTH_OK;
	const char *s = (const char *)w->buf;
	size_t n = w->len;
	if (!n) {
		st = error_set(err, AIAUTH_USAGE, "%s", _("nothing was pasted"));
		goto out;
	}
	if (memchr(s, '\0', n)) {
		st = error_set(err, AIAUTH_USAGE, "%s",
		               _("the pasted text is neither a code nor a sign-in address"));
		goto out;
	}
	if (starts_with_ci(s, n, "http://") || starts_with_ci(s, n, "https://")) {
		st = parse_url(s, n, &r, err);
		if (st == AIAUTH_OK && !r.code && !r.error)
			st = error_set(err, AIAUTH_USAGE, "%s",
			               _("the pasted address has no code in it; copy the address of "
			                 "the page the sign-in ended on"));
	} else if (s[0] == '?' || looks_like_query(s, n)) {
		const char *q = s[0] == '?' ? s + 1 : s;
		size_t qn = n - (size_t)(q - s);
		const char *hash = memchr(q, '#', qn);
		st = oauth_pkce_parse_query(q, hash ? (size_t)(hash - q) : qn, &r, err);
		if (st == AIAUTH_OK && !r.code && !r.error)
			st = error_set(err, AIAUTH_USAGE, "%s",
			               _("the pasted text has no code in it"));
	} else {
		/* A bare code, or Claude's "code#state". */
		const char *hash = memchr(s, '#', n);
		size_t cn = hash ? (size_t)(hash - s) : n;
		r.code = secret_from_mem(s, cn);
		if (hash)
			r.state = secret_from_mem(hash + 1, n - cn - 1);
		if (!r.code || (hash && !r.state))
			st = OOM(err);
	}
	if (st != AIAUTH_OK)
		goto out;
	/* A state that is there must be ours: a code from another sign-in (an
	 * older tab, someone else's link) must not be redeemed with our
	 * verifier.  This holds for error replies too. */
	if (r.state && !secret_equal(r.state, expected_state)) {
		st = error_set(err, AIAUTH_USAGE, "%s",
		               _("the pasted code belongs to another sign-in (state does not match)"));
		goto out;
	}
	if (r.error) {
		st = oauth_pkce_reply_error(&r, err);
		goto out;
	}
	if (!r.code || !token_chars_ok(r.code)) {
		st = error_set(err, AIAUTH_USAGE, "%s",
		               _("the pasted text is neither a code nor a sign-in address"));
		goto out;
	}
	*code = r.code;
	r.code = NULL;
out:
	oauth_pkce_reply_clear(&r);
	secret_free(w);
	return st;
}

/* ------------------------------------------------------------ exchange */

struct oauth_token_request *oauth_pkce_exchange_start(struct loop *loop, const struct provider *p,
                                                      const char *token_endpoint,
                                                      const struct secret *code,
                                                      const char *redirect_uri,
                                                      const struct oauth_pkce *pk,
                                                      oauth_token_done_fn done, void *ctx,
                                                      struct aiauth_error **err)
{
	struct oauth_param params[] = {
		{"grant_type", "authorization_code"},
		{"code", (const char *)code->buf},
		{"redirect_uri", redirect_uri},
		{"code_verifier", (const char *)pk->verifier->buf},
		/* NULL values are skipped by the encoder. */
		{"state", p->oauth.token_format == OAUTH_TOKEN_JSON && pk->state
		                  ? (const char *)pk->state->buf
		                  : NULL},
	};
	return oauth_token_request_start(loop, p, token_endpoint, params,
	                                 sizeof(params) / sizeof(params[0]), done, ctx, err);
}

/* ------------------------------------------------------------ pending */

void oauth_pkce_pending_clear(struct oauth_pkce_pending *pd)
{
	free(pd->provider);
	free(pd->redirect_uri);
	free(pd->label);
	pd->provider = pd->redirect_uri = pd->label = NULL;
	oauth_endpoints_clear(&pd->ep);
	oauth_pkce_clear(&pd->pk);
	pd->created = pd->expires = 0;
}

/* The pending file's path; *dir_out (optional) gets the directory. */
static enum aiauth_status pending_path(const char *config_dir, char **path, char **dir_out,
                                       struct aiauth_error **err)
{
	char *dir = NULL;
	*path = NULL;
	if (config_dir) {
		dir = strdup(config_dir);
		if (!dir)
			return OOM(err);
	} else {
		enum aiauth_status st = paths_config_dir(&dir, err);
		if (st != AIAUTH_OK)
			return st;
	}
	*path = path_join(dir, OAUTH_PKCE_PENDING_FILE);
	if (!*path) {
		free(dir);
		return OOM(err);
	}
	if (dir_out)
		*dir_out = dir;
	else
		free(dir);
	return AIAUTH_OK;
}

enum aiauth_status oauth_pkce_pending_save(struct secretstore *ss, const char *config_dir,
                                           const struct oauth_pkce_pending *pd,
                                           const char *provider_name,
                                           struct aiauth_error **err)
{
	enum aiauth_status st;
	char *path = NULL, *dir = NULL, *text = NULL;
	size_t len = 0;
	struct credential *c = NULL;
	struct secret *blob = NULL;
	yajl_gen g = NULL;

	if (!pd->provider || !pd->redirect_uri || !pd->ep.token || !pd->pk.verifier ||
	    !pd->pk.state)
		return error_set(err, AIAUTH_FAILED, "%s",
		                 _("internal error: incomplete pending sign-in"));
	st = pending_path(config_dir, &path, &dir, err);
	if (st != AIAUTH_OK)
		goto out;
	st = fs_mkdir_private(dir, err);
	if (st != AIAUTH_OK)
		goto out;

	/* The secrets first: a file without its secrets is a broken pending
	 * sign-in, secrets without a file are merely unused until replaced. */
	c = credential_new();
	if (!c) {
		st = OOM(err);
		goto out;
	}
	if (credential_set_str(c, "code_verifier", (const char *)pd->pk.verifier->buf) != AIAUTH_OK ||
	    credential_set_str(c, "state", (const char *)pd->pk.state->buf) != AIAUTH_OK) {
		st = OOM(err);
		goto out;
	}
	st = credential_to_blob(c, &blob, err);
	if (st != AIAUTH_OK)
		goto out;
	struct secret_meta meta = {pd->provider, provider_name ? provider_name : pd->provider,
	                           "pending sign-in", "pending"};
	st = secretstore_put(ss, OAUTH_PKCE_PENDING_ID, &meta, blob, err);
	if (st != AIAUTH_OK)
		goto out;

	g = json_gen_new(true);
	if (!g) {
		st = OOM(err);
		goto out;
	}
	bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
	          json_gen_key_int(g, "version", 1) &&
	          json_gen_key_string(g, "provider", pd->provider) &&
	          json_gen_key_string(g, "redirect_uri", pd->redirect_uri) &&
	          json_gen_key_string(g, "label", pd->label) &&
	          json_gen_key_string(g, "issuer", pd->ep.issuer) &&
	          json_gen_key_string(g, "authorization_endpoint", pd->ep.authorization) &&
	          json_gen_key_string(g, "token_endpoint", pd->ep.token) &&
	          json_gen_key_string(g, "userinfo_endpoint", pd->ep.userinfo) &&
	          json_gen_key_int(g, "created", pd->created) &&
	          json_gen_key_int(g, "expires", pd->expires) &&
	          yajl_gen_map_close(g) == yajl_gen_status_ok;
	if (!ok) {
		st = error_set(err, AIAUTH_FAILED, "%s",
		               _("cannot write the pending sign-in: a field is not valid UTF-8"));
		goto out;
	}
	st = json_gen_take_str(g, &text, &len, err);
	g = NULL;
	if (st != AIAUTH_OK)
		goto out;
	st = fs_write_atomic(path, text, len, 0600, err);
out:
	if (g)
		yajl_gen_free(g);
	free(text);
	secret_free(blob);
	credential_free(c);
	free(path);
	free(dir);
	return st;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

bool oauth_pkce_pending_exists(const char *config_dir, char **provider)
{
	char *path = NULL, *text = NULL;
	size_t len;
	yajl_val v = NULL;
	bool found = false;
	if (provider)
		*provider = NULL;
	if (pending_path(config_dir, &path, NULL, NULL) != AIAUTH_OK)
		return false;
	if (fs_read_all(path, 64 * 1024, &text, &len, NULL) == AIAUTH_OK) {
		found = true;
		if (provider && json_parse(text, len, &v, NULL) == AIAUTH_OK)
			*provider = dup_or_null(json_get_string(v, "provider"));
	}
	json_free(v);
	free(text);
	free(path);
	return found;
}

enum aiauth_status oauth_pkce_pending_delete(struct secretstore *ss, const char *config_dir,
                                             struct aiauth_error **err)
{
	char *path = NULL;
	enum aiauth_status st = pending_path(config_dir, &path, NULL, err);
	if (st != AIAUTH_OK)
		return st;
	/* The file first: once it is gone nothing will try to use the secrets. */
	if (unlink(path) != 0 && errno != ENOENT)
		st = error_set(err, AIAUTH_IO, _("cannot remove %s: %s"), path, strerror(errno));
	free(path);
	if (st == AIAUTH_OK && ss)
		st = secretstore_delete(ss, OAUTH_PKCE_PENDING_ID, err);
	return st;
}

enum aiauth_status oauth_pkce_pending_load(struct secretstore *ss, const char *config_dir,
                                           int64_t now, struct oauth_pkce_pending *pd,
                                           struct aiauth_error **err)
{
	enum aiauth_status st;
	char *path = NULL, *text = NULL;
	size_t len = 0;
	yajl_val v = NULL;
	struct secret *blob = NULL;
	struct credential *c = NULL;

	oauth_pkce_pending_clear(pd);
	st = pending_path(config_dir, &path, NULL, err);
	if (st != AIAUTH_OK)
		goto out;
	st = fs_read_all(path, 64 * 1024, &text, &len, err);
	if (st == AIAUTH_NOT_FOUND) {
		st = error_set(err, AIAUTH_NOT_FOUND, "%s", _("there is no pending sign-in"));
		goto out;
	}
	if (st != AIAUTH_OK)
		goto out;
	st = json_parse(text, len, &v, err);
	if (st != AIAUTH_OK) {
		error_prefix(err, _("%s: "), path);
		goto out;
	}
	int64_t version = 0;
	if (!json_get_int(v, "version", &version) || version != 1 ||
	    !json_get_string(v, "provider") || !json_get_string(v, "redirect_uri") ||
	    !json_get_string(v, "token_endpoint") || !json_get_int(v, "expires", &pd->expires)) {
		st = error_set(err, AIAUTH_CORRUPT, _("%s: not a pending sign-in aiauth can read"),
		               path);
		goto out;
	}
	json_get_int(v, "created", &pd->created);
	if (now >= pd->expires) {
		oauth_pkce_pending_delete(ss, config_dir, NULL);
		st = error_set(err, AIAUTH_EXPIRED, "%s",
		               _("the pending sign-in expired; start again"));
		goto out;
	}
	pd->provider = dup_or_null(json_get_string(v, "provider"));
	pd->redirect_uri = dup_or_null(json_get_string(v, "redirect_uri"));
	pd->label = dup_or_null(json_get_string(v, "label"));
	pd->ep.issuer = dup_or_null(json_get_string(v, "issuer"));
	pd->ep.authorization = dup_or_null(json_get_string(v, "authorization_endpoint"));
	pd->ep.token = dup_or_null(json_get_string(v, "token_endpoint"));
	pd->ep.userinfo = dup_or_null(json_get_string(v, "userinfo_endpoint"));
	if (!pd->provider || !pd->redirect_uri || !pd->ep.token) {
		st = OOM(err);
		goto out;
	}

	st = secretstore_get(ss, OAUTH_PKCE_PENDING_ID, &blob, err);
	if (st == AIAUTH_NOT_FOUND) {
		error_clear(err);
		st = error_set(err, AIAUTH_CORRUPT, "%s",
		               _("the secrets of the pending sign-in are missing; start again"));
	}
	if (st != AIAUTH_OK)
		goto out;
	st = credential_from_blob(blob, &c, err);
	if (st != AIAUTH_OK)
		goto out;
	const struct secret *verifier = credential_get(c, "code_verifier");
	const struct secret *state = credential_get(c, "state");
	if (!verifier || !state) {
		st = error_set(err, AIAUTH_CORRUPT, "%s",
		               _("the secrets of the pending sign-in are missing; start again"));
		goto out;
	}
	pd->pk.verifier = secret_from_mem(verifier->buf, verifier->len);
	pd->pk.state = secret_from_mem(state->buf, state->len);
	if (!pd->pk.verifier || !pd->pk.state)
		st = OOM(err);
out:
	if (st != AIAUTH_OK)
		oauth_pkce_pending_clear(pd);
	credential_free(c);
	secret_free(blob);
	json_free(v);
	free(text);
	free(path);
	return st;
}
