/* test_oauth.c - token responses, request encoding, id_token email. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "oauth.h"
#include "tap.h"

static struct http_response response(long status, const char *content_type, const char *body)
{
	struct http_response r = {.outcome = HTTP_DONE, .status = status};
	r.body = body ? secret_from_str(body) : NULL;
	r.content_type = content_type ? strdup(content_type) : NULL;
	return r;
}

static void interpret(long status, const char *ct, const char *body,
                      struct oauth_token_result *out)
{
	struct http_response r = response(status, ct, body);
	oauth_token_interpret(&r, 1000, out);
	http_response_clear(&r);
}

static const char *field(const struct oauth_token_result *r, const char *name)
{
	const struct secret *s = r->cred ? credential_get(r->cred, name) : NULL;
	return s ? (const char *)s->buf : NULL;
}

static void test_success(void)
{
	struct oauth_token_result r;
	interpret(200, "application/json",
	          "{\"access_token\":\"AT\",\"refresh_token\":\"RT\",\"expires_in\":3600,"
	          "\"id_token\":\"a.b.c\",\"scope\":\"openid email\",\"token_type\":\"Bearer\"}",
	          &r);
	ok(r.status == AIAUTH_OK, "a token response is OK");
	ok(field(&r, "access_token") && strcmp(field(&r, "access_token"), "AT") == 0,
	   "the access token is kept");
	ok(field(&r, "refresh_token") && strcmp(field(&r, "refresh_token"), "RT") == 0,
	   "the refresh token is kept");
	ok(field(&r, "expires_at") && strcmp(field(&r, "expires_at"), "4600") == 0,
	   "expires_in becomes expires_at from now");
	ok(field(&r, "scope") && field(&r, "id_token") && field(&r, "token_type"),
	   "scope, id_token and token_type are kept");
	oauth_token_result_clear(&r);

	interpret(200, "application/json", "{\"access_token\":\"AT\",\"expires_in\":\"60\"}", &r);
	ok(r.status == AIAUTH_OK && field(&r, "expires_at") &&
	       strcmp(field(&r, "expires_at"), "1060") == 0,
	   "expires_in given as a string is understood");
	ok(field(&r, "refresh_token") == NULL, "no refresh token when none was sent");
	oauth_token_result_clear(&r);
}

static void test_errors(void)
{
	static const struct {
		const char *error;
		enum aiauth_status status;
	} cases[] = {
	    {"authorization_pending", AIAUTH_FAILED}, {"slow_down", AIAUTH_FAILED},
	    {"access_denied", AIAUTH_DENIED},         {"expired_token", AIAUTH_EXPIRED},
	    {"invalid_grant", AIAUTH_NEEDS_SIGNIN},   {"invalid_client", AIAUTH_REJECTED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[200];
		snprintf(body, sizeof(body), "{\"error\":\"%s\",\"error_description\":\"because\\nof it\"}",
		         cases[i].error);
		struct oauth_token_result r;
		interpret(400, "application/json", body, &r);
		ok(r.status == cases[i].status && r.error && strcmp(r.error, cases[i].error) == 0 &&
		       !r.retryable,
		   "%s has its own status and is not retried", cases[i].error);
		ok(r.description && strstr(r.description, "because of it") && !strchr(r.description, '\n'),
		   "%s: the description is one line", cases[i].error);
		oauth_token_result_clear(&r);
	}
	/* GitHub says "pending" with a 200. */
	struct oauth_token_result r;
	interpret(200, "application/json", "{\"error\":\"authorization_pending\"}", &r);
	ok(r.status == AIAUTH_FAILED && r.error && strcmp(r.error, "authorization_pending") == 0,
	   "an error inside a 200 answer is still an error");
	oauth_token_result_clear(&r);
}

static void test_bad_answers(void)
{
	struct oauth_token_result r;
	interpret(500, "application/json", "{\"error\":\"server_error\"}", &r);
	ok(r.status == AIAUTH_NETWORK && r.retryable, "a 500 is a retryable network error");
	ok(r.description && strstr(r.description, "500"), "and names the status");
	oauth_token_result_clear(&r);

	interpret(200, "text/html", "<html><body>Sign in</body></html>", &r);
	ok(r.status == AIAUTH_CORRUPT && r.retryable, "an HTML page is retryable and corrupt");
	ok(r.description && strstr(r.description, "HTML"), "and says it is an HTML page");
	oauth_token_result_clear(&r);

	interpret(200, "application/json", "{\"access_token\":", &r);
	ok(r.status == AIAUTH_CORRUPT && r.retryable, "malformed JSON is retryable");
	ok(r.description && strstr(r.description, "malformed"), "and says it is malformed");
	oauth_token_result_clear(&r);

	interpret(200, "application/json", "{\"token_type\":\"Bearer\"}", &r);
	ok(r.status == AIAUTH_CORRUPT, "an answer without access_token is refused");
	oauth_token_result_clear(&r);

	interpret(200, "application/json", "", &r);
	ok(r.status == AIAUTH_CORRUPT && r.description && strstr(r.description, "empty"),
	   "an empty body is refused as empty");
	oauth_token_result_clear(&r);

	struct http_response down = {.outcome = HTTP_UNREACHABLE, .error = strdup("refused")};
	oauth_token_interpret(&down, 0, &r);
	ok(r.status == AIAUTH_NETWORK && r.retryable, "no connection is a retryable network error");
	oauth_token_result_clear(&r);
	http_response_clear(&down);
}

static void test_encoding(void)
{
	char *e = oauth_url_encode("a b&c=d/é~");
	ok(e && strcmp(e, "a%20b%26c%3Dd%2F%C3%A9~") == 0, "url encoding keeps only unreserved");
	free(e);

	struct oauth_param params[] = {{"grant_type", "refresh_token"},
	                               {"refresh_token", "r t+/"},
	                               {"scope", NULL}};
	struct secret *body = NULL;
	const char *ct = NULL;
	ok(oauth_encode_params(OAUTH_TOKEN_FORM, params, 3, &body, &ct, NULL) == AIAUTH_OK &&
	       strcmp((const char *)body->buf, "grant_type=refresh_token&refresh_token=r%20t%2B%2F") == 0,
	   "form encoding, NULL values skipped");
	ok(ct && strcmp(ct, "application/x-www-form-urlencoded") == 0, "form content type");
	secret_free(body);
	ok(oauth_encode_params(OAUTH_TOKEN_JSON, params, 3, &body, &ct, NULL) == AIAUTH_OK &&
	       strcmp((const char *)body->buf,
	              "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"r t+/\"}") == 0,
	   "JSON encoding");
	ok(ct && strcmp(ct, "application/json") == 0, "JSON content type");
	secret_free(body);
}

static void test_id_token(void)
{
	/* {"sub":"1","email":"ann@example.test"} in base64url, unpadded. */
	char *email = oauth_id_token_email(
	    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwiZW1haWwiOiJhbm5AZXhhbXBsZS50ZXN0In0.sig");
	ok(email && strcmp(email, "ann@example.test") == 0, "the email claim is read");
	free(email);
	/* {"sub":"1"} has no email. */
	email = oauth_id_token_email("x.eyJzdWIiOiIxIn0.y");
	ok(email == NULL, "no email claim, no email");
	ok(oauth_id_token_email("not-a-jwt") == NULL, "a token without dots has no email");
	ok(oauth_id_token_email("a.!!!.b") == NULL, "a payload that is not base64 has no email");
	ok(oauth_id_token_email(NULL) == NULL, "NULL has no email");
}

static void test_resolve_without_oauth(void)
{
	struct provider p = {.id = "x"};
	struct oauth_endpoints ep;
	struct aiauth_error *err = NULL;
	ok(oauth_endpoints_resolve(NULL, &p, &ep, &err) == AIAUTH_UNSUPPORTED,
	   "a provider without OAuth settings cannot sign in");
	error_clear(&err);
	p.oauth.needs_config = true;
	p.oauth.config_hint = "set client_id";
	ok(oauth_endpoints_resolve(NULL, &p, &ep, &err) == AIAUTH_NOT_CONFIGURED &&
	       strstr(err->message, "set client_id"),
	   "a provider that needs configuration says how");
	error_clear(&err);
	p.oauth.needs_config = false;
	p.oauth.client_id = "c";
	p.oauth.token_endpoint = "https://idp.example.test/token";
	p.oauth.authorization_endpoint = "https://idp.example.test/auth";
	p.oauth.userinfo_endpoint = "https://idp.example.test/me";
	ok(oauth_endpoints_resolve(NULL, &p, &ep, &err) == AIAUTH_OK && ep.token &&
	       strcmp(ep.token, "https://idp.example.test/token") == 0,
	   "explicit endpoints need no discovery");
	oauth_endpoints_clear(&ep);
	error_clear(&err);
}

int main(void)
{
	test_success();
	test_errors();
	test_bad_answers();
	test_encoding();
	test_id_token();
	test_resolve_without_oauth();
	return done_testing();
}
