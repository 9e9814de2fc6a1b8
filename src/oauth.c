/* oauth.c - endpoints, token requests and responses, id_token email. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "cryptosym.h"
#include "jsonutil.h"
#include "oauth.h"

int64_t oauth_now(void)
{
	return (int64_t)time(NULL);
}

void oauth_endpoints_clear(struct oauth_endpoints *ep)
{
	free(ep->issuer);
	free(ep->authorization);
	free(ep->token);
	free(ep->device_authorization);
	free(ep->userinfo);
	memset(ep, 0, sizeof(*ep));
}

/* A server's words for a person: one line, no control characters, short. */
static char *one_line(const char *s, size_t max)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (n > max)
		n = max;
	char *out = malloc(n + 4);
	if (!out)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[k++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	if (strlen(s) > max) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

static bool set_copy(char **slot, const char *value)
{
	if (*slot || !value)
		return true;
	*slot = strdup(value);
	return *slot != NULL;
}

/* ------------------------------------------------------------ discovery */

static enum aiauth_status fetch_metadata(struct loop *loop, const char *issuer,
                                         const char *well_known, yajl_val *out,
                                         struct aiauth_error **err)
{
	size_t n = strlen(issuer);
	while (n > 0 && issuer[n - 1] == '/')
		n--;
	size_t len = n + strlen(well_known) + 1;
	char *url = malloc(len);
	if (!url)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	snprintf(url, len, "%.*s%s", (int)n, issuer, well_known);
	const char *headers[] = {"Accept: application/json", NULL};
	struct http_request req = {.url = url, .headers = headers, .timeout_ms = 15000};
	struct http_response resp = {0};
	enum aiauth_status st = http_perform(loop, &req, &resp, err);
	if (st == AIAUTH_OK) {
		if (resp.outcome == HTTP_TOO_LARGE) {
			st = error_set(err, AIAUTH_CORRUPT, _("%s is not an OAuth metadata document (%s)"),
			               url, resp.error ? resp.error : _("no answer"));
		} else if (resp.outcome != HTTP_DONE) {
			st = error_set(err, resp.outcome == HTTP_TLS ? AIAUTH_TLS : AIAUTH_NETWORK,
			               _("cannot reach %s: %s"), url,
			               resp.error ? resp.error : _("no answer"));
		} else if (resp.status != 200) {
			/* A 5xx is the server failing, not a missing document. */
			st = error_set(err, resp.status >= 500 ? AIAUTH_NETWORK : AIAUTH_NOT_FOUND,
			               _("%s answered HTTP %ld"), url, resp.status);
		} else if (json_parse(resp.body ? (const char *)resp.body->buf : "",
		                      resp.body ? resp.body->len : 0, out, NULL) != AIAUTH_OK ||
		           !YAJL_IS_OBJECT(*out)) {
			json_free(*out);
			*out = NULL;
			st = error_set(err, AIAUTH_CORRUPT,
			               _("%s is not an OAuth metadata document (%s)"), url,
			               _(http_body_problem(&resp)));
		}
	}
	http_response_clear(&resp);
	free(url);
	return st;
}

enum aiauth_status oauth_endpoints_resolve(struct loop *loop, const struct provider *p,
                                           struct oauth_endpoints *ep, struct aiauth_error **err)
{
	const struct provider_oauth *o = &p->oauth;
	memset(ep, 0, sizeof(*ep));
	if (o->needs_config)
		return error_set(err, AIAUTH_NOT_CONFIGURED, _("%s sign-in needs configuration: %s"),
		                 p->id,
		                 o->config_hint ? _(o->config_hint)
		                                : _("add its OAuth settings to providers.json"));
	if (!o->client_id || (!o->issuer && !o->token_endpoint))
		return error_set(err, AIAUTH_UNSUPPORTED, _("%s has no OAuth sign-in"), p->id);
	bool ok = set_copy(&ep->issuer, o->issuer) &&
	          set_copy(&ep->authorization, o->authorization_endpoint) &&
	          set_copy(&ep->token, o->token_endpoint) &&
	          set_copy(&ep->device_authorization, o->device_authorization_endpoint) &&
	          set_copy(&ep->userinfo, o->userinfo_endpoint);
	if (!ok) {
		oauth_endpoints_clear(ep);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	bool missing = !ep->token || !ep->authorization || !ep->userinfo ||
	               ((p->methods & AUTH_METHOD_DEVICE) && !ep->device_authorization);
	if (!missing || !o->issuer)
		return AIAUTH_OK;

	/* OpenID Connect discovery first, then RFC 8414 metadata. */
	yajl_val doc = NULL;
	struct aiauth_error *first = NULL;
	enum aiauth_status st =
	    fetch_metadata(loop, o->issuer, "/.well-known/openid-configuration", &doc, &first);
	if (st != AIAUTH_OK) {
		struct aiauth_error *second = NULL;
		st = fetch_metadata(loop, o->issuer, "/.well-known/oauth-authorization-server", &doc,
		                    &second);
		if (st != AIAUTH_OK) {
			/* The first failure says more (the common well-known). */
			error_set(err, first ? first->status : st, _("%s: cannot discover its endpoints: %s"),
			          p->id, first ? first->message : second ? second->message : "");
			error_clear(&first);
			error_clear(&second);
			oauth_endpoints_clear(ep);
			return st;
		}
	}
	error_clear(&first);
	static const struct {
		const char *key;
		size_t offset;
	} fields[] = {
	    {"authorization_endpoint", offsetof(struct oauth_endpoints, authorization)},
	    {"token_endpoint", offsetof(struct oauth_endpoints, token)},
	    {"device_authorization_endpoint", offsetof(struct oauth_endpoints, device_authorization)},
	    {"userinfo_endpoint", offsetof(struct oauth_endpoints, userinfo)},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char **slot = (char **)((char *)ep + fields[i].offset);
		const char *v = json_get_string(doc, fields[i].key);
		if (*slot || !v)
			continue;
		const char *problem = http_url_problem(v);
		if (problem) {
			st = error_set(err, AIAUTH_CORRUPT, _("%s: the issuer's %s is refused: %s"), p->id,
			               fields[i].key, _(problem));
			break;
		}
		if (!(*slot = strdup(v))) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			break;
		}
	}
	json_free(doc);
	if (st == AIAUTH_OK && !ep->token)
		st = error_set(err, AIAUTH_CORRUPT, _("%s: the issuer names no token endpoint"), p->id);
	if (st != AIAUTH_OK)
		oauth_endpoints_clear(ep);
	return st;
}

/* ------------------------------------------------------------- encoding */

char *oauth_url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1);
	if (!out)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* RFC 3986 unreserved characters, in ASCII whatever the locale. */
		bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		                  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (unreserved) {
			out[k++] = (char)c;
		} else {
			out[k++] = '%';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		}
	}
	out[k] = '\0';
	return out;
}

enum aiauth_status oauth_encode_params(enum oauth_token_format format,
                                       const struct oauth_param *params, size_t n,
                                       struct secret **body, const char **content_type,
                                       struct aiauth_error **err)
{
	if (format == OAUTH_TOKEN_JSON) {
		yajl_gen g = json_gen_new(false);
		bool ok = g && yajl_gen_map_open(g) == yajl_gen_status_ok;
		for (size_t i = 0; ok && i < n; i++)
			if (params[i].value)
				ok = json_gen_key_string(g, params[i].name, params[i].value);
		ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok;
		if (!ok) {
			if (g)
				yajl_gen_free(g);
			return error_set(err, AIAUTH_FAILED, "%s", _("cannot encode the token request"));
		}
		*content_type = "application/json";
		return json_gen_take(g, body, err);
	}
	struct secret *s = secret_new(256);
	if (!s)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!params[i].value)
			continue;
		char *k = oauth_url_encode(params[i].name);
		char *v = oauth_url_encode(params[i].value);
		enum aiauth_status st = (k && v) ? AIAUTH_OK : AIAUTH_NO_MEMORY;
		if (st == AIAUTH_OK && !first)
			st = secret_append(s, "&", 1);
		if (st == AIAUTH_OK)
			st = secret_append(s, k, strlen(k));
		if (st == AIAUTH_OK)
			st = secret_append(s, "=", 1);
		if (st == AIAUTH_OK)
			st = secret_append(s, v, strlen(v));
		free(k);
		secure_free_str(v);
		if (st != AIAUTH_OK) {
			secret_free(s);
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		}
		first = false;
	}
	*content_type = "application/x-www-form-urlencoded";
	*body = s;
	return AIAUTH_OK;
}

/* ------------------------------------------------------- token answers */

void oauth_token_result_clear(struct oauth_token_result *r)
{
	credential_free(r->cred);
	free(r->error);
	free(r->description);
	memset(r, 0, sizeof(*r));
}

__attribute__((format(printf, 4, 5))) static void
result_fail(struct oauth_token_result *out, enum aiauth_status st, bool retryable,
            const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out->status = st;
	out->retryable = retryable;
	free(out->description);
	out->description = one_line(line, 300);
}

void oauth_token_interpret(const struct http_response *resp, int64_t now,
                           struct oauth_token_result *out)
{
	memset(out, 0, sizeof(*out));
	if (resp->outcome == HTTP_TOO_LARGE) {
		/* It was reached: what it sent is what is wrong. */
		result_fail(out, AIAUTH_CORRUPT, true,
		            _("the token endpoint's answer is not a token response (%s)"),
		            resp->error ? resp->error : _("no answer"));
		return;
	}
	if (resp->outcome != HTTP_DONE) {
		result_fail(out, resp->outcome == HTTP_TLS ? AIAUTH_TLS : AIAUTH_NETWORK, true,
		            _("the token endpoint cannot be reached: %s"),
		            resp->error ? resp->error : _("no answer"));
		return;
	}
	out->http_status = resp->status;
	yajl_val v = NULL;
	const char *text = resp->body ? (const char *)resp->body->buf : "";
	size_t len = resp->body ? resp->body->len : 0;
	bool json = len > 0 && json_parse(text, len, &v, NULL) == AIAUTH_OK && YAJL_IS_OBJECT(v);
	if (resp->status >= 500) {
		/* The status first: a description alone hides that the server
		 * failed, not the request. */
		const char *desc = json ? json_get_string(v, "error_description") : NULL;
		char what[400];
		snprintf(what, sizeof(what), "HTTP %ld%s%s", resp->status, desc ? ": " : "",
		         desc ? desc : "");
		result_fail(out, AIAUTH_NETWORK, true, _("the token endpoint failed (%s)"), what);
		json_free_wiped(v);
		return;
	}
	if (!json) {
		json_free_wiped(v);
		char what[96];
		snprintf(what, sizeof(what), "HTTP %ld, %s", resp->status,
		         _(http_body_problem(resp)));
		result_fail(out, AIAUTH_CORRUPT, true,
		            _("the token endpoint's answer is not a token response (%s)"), what);
		return;
	}
	const char *error = json_get_string(v, "error");
	if (error) {
		const char *desc = json_get_string(v, "error_description");
		out->error = one_line(error, 100);
		enum aiauth_status st = AIAUTH_REJECTED;
		if (strcmp(error, "authorization_pending") == 0 || strcmp(error, "slow_down") == 0)
			st = AIAUTH_FAILED;
		else if (strcmp(error, "access_denied") == 0)
			st = AIAUTH_DENIED;
		else if (strcmp(error, "expired_token") == 0)
			st = AIAUTH_EXPIRED;
		else if (strcmp(error, "invalid_grant") == 0)
			st = AIAUTH_NEEDS_SIGNIN;
		char line[400];
		snprintf(line, sizeof(line), "%s%s%s", error, desc ? ": " : "", desc ? desc : "");
		result_fail(out, st, false, "%s", line);
		json_free_wiped(v);
		return;
	}
	const char *access = json_get_string(v, "access_token");
	if (!access || !*access) {
		json_free_wiped(v);
		result_fail(out, AIAUTH_CORRUPT, true, "%s",
		            _("the token endpoint's answer has no access_token"));
		return;
	}
	struct credential *c = credential_new();
	bool ok = c != NULL;
	static const char *const names[] = {"access_token", "refresh_token", "id_token", "scope",
	                                    "token_type"};
	for (size_t i = 0; ok && i < sizeof(names) / sizeof(names[0]); i++) {
		const char *s = json_get_string(v, names[i]);
		if (s && *s)
			ok = credential_set_str(c, names[i], s) == AIAUTH_OK;
	}
	/* expires_in is a number, though some servers send it as a string. */
	int64_t expires_in = 0;
	yajl_val ev = json_get(v, "expires_in");
	if (ev && YAJL_IS_INTEGER(ev))
		expires_in = (int64_t)ev->u.number.i;
	else if (ev && YAJL_IS_STRING(ev))
		expires_in = strtoll(ev->u.string, NULL, 10);
	if (ok && expires_in > 0) {
		char at[32];
		snprintf(at, sizeof(at), "%lld", (long long)(now + expires_in));
		ok = credential_set_str(c, "expires_at", at) == AIAUTH_OK;
	}
	json_free_wiped(v);
	if (!ok) {
		credential_free(c);
		result_fail(out, AIAUTH_NO_MEMORY, false, "%s", _("out of memory"));
		return;
	}
	out->status = AIAUTH_OK;
	out->cred = c;
}

/* ------------------------------------------------------ token requests */

struct oauth_token_request {
	struct http_transfer *transfer;
	struct secret *body;
	oauth_token_done_fn done;
	void *ctx;
};

static void token_request_done(void *ctx, const struct http_response *resp)
{
	struct oauth_token_request *r = ctx;
	struct oauth_token_result result;
	oauth_token_interpret(resp, oauth_now(), &result);
	r->transfer = NULL;
	oauth_token_done_fn done = r->done;
	void *user = r->ctx;
	secret_free(r->body);
	free(r);
	done(user, &result);
	oauth_token_result_clear(&result);
}

struct oauth_token_request *oauth_token_request_start(struct loop *loop, const struct provider *p,
                                                      const char *token_endpoint,
                                                      const struct oauth_param *params, size_t n,
                                                      oauth_token_done_fn done, void *ctx,
                                                      struct aiauth_error **err)
{
	struct oauth_param *all = calloc(n + 2, sizeof(*all));
	struct oauth_token_request *r = calloc(1, sizeof(*r));
	if (!all || !r) {
		free(all);
		free(r);
		error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		return NULL;
	}
	memcpy(all, params, n * sizeof(*all));
	size_t k = n;
	bool has_client = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(params[i].name, "client_id") == 0)
			has_client = true;
	if (!has_client && p->oauth.client_id)
		all[k++] = (struct oauth_param){"client_id", p->oauth.client_id};
	if (p->oauth.client_secret)
		all[k++] = (struct oauth_param){"client_secret", p->oauth.client_secret};
	const char *content_type = NULL;
	enum aiauth_status st =
	    oauth_encode_params(p->oauth.token_format, all, k, &r->body, &content_type, err);
	free(all);
	if (st != AIAUTH_OK) {
		free(r);
		return NULL;
	}
	/* GitHub answers form-encoded bodies unless JSON is asked for. */
	static const char *const headers[] = {"Accept: application/json", NULL};
	struct http_request req = {
	    .method = "POST",
	    .url = token_endpoint,
	    .headers = headers,
	    .body = r->body,
	    .content_type = content_type,
	    .timeout_ms = 30000,
	    .max_body = 256 * 1024,
	};
	r->done = done;
	r->ctx = ctx;
	r->transfer = http_start(loop, &req, token_request_done, r, err);
	if (!r->transfer) {
		secret_free(r->body);
		free(r);
		return NULL;
	}
	return r;
}

void oauth_token_request_cancel(struct oauth_token_request *r)
{
	if (!r)
		return;
	if (r->transfer)
		http_cancel(r->transfer);
	secret_free(r->body);
	free(r);
}

/* ----------------------------------------------------------- identity */

char *oauth_id_token_email(const char *id_token)
{
	if (!id_token)
		return NULL;
	const char *dot1 = strchr(id_token, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot1 || !dot2 || dot2 - dot1 - 1 > 64 * 1024)
		return NULL;
	/* base64url -> base64 with padding, for gnutls_base64_decode2. */
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
	char *email = NULL;
	if (cryptosym_load(NULL) == AIAUTH_OK && sym_gnutls_base64_decode2(&in, &out) == 0) {
		yajl_val v = NULL;
		if (json_parse((const char *)out.data, out.size, &v, NULL) == AIAUTH_OK) {
			const char *e = json_get_string(v, "email");
			if (e && *e)
				email = one_line(e, 200);
		}
		json_free_wiped(v);
		secure_wipe(out.data, out.size);
		(*sym_gnutls_free)(out.data);
	}
	secure_wipe(b64, n);
	free(b64);
	return email;
}

char *oauth_userinfo_email(struct loop *loop, const char *userinfo_endpoint,
                           const struct secret *access_token)
{
	if (!userinfo_endpoint || !access_token)
		return NULL;
	struct secret *auth = secret_from_str("Authorization: Bearer ");
	if (!auth || secret_append(auth, access_token->buf, access_token->len) != AIAUTH_OK) {
		secret_free(auth);
		return NULL;
	}
	const char *headers[] = {(const char *)auth->buf, "Accept: application/json", NULL};
	struct http_request req = {.url = userinfo_endpoint, .headers = headers, .timeout_ms = 15000};
	struct http_response resp = {0};
	char *email = NULL;
	if (http_perform(loop, &req, &resp, NULL) == AIAUTH_OK && resp.outcome == HTTP_DONE &&
	    resp.status == 200 && resp.body) {
		yajl_val v = NULL;
		if (json_parse((const char *)resp.body->buf, resp.body->len, &v, NULL) == AIAUTH_OK) {
			const char *e = json_get_string(v, "email");
			if (e && *e)
				email = one_line(e, 200);
		}
		json_free_wiped(v);
	}
	http_response_clear(&resp);
	secret_free(auth);
	return email;
}
