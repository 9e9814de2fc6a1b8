/* oauth.h - the OAuth 2.0 pieces every flow shares: endpoints (given or
 * discovered), token requests and responses, the id_token's email.
 *
 * A token response becomes a struct credential with the fields
 * "access_token", "refresh_token", "expires_at" (Unix seconds, as text),
 * "id_token", "scope", "token_type" (absent ones are left out).  Error
 * responses ({"error": "...", "error_description": "..."}) are reported with
 * the error code so that callers can tell authorization_pending, slow_down,
 * expired_token, access_denied and invalid_grant apart.
 *
 * Nothing here prints a secret: messages carry the server's error code and
 * description (sanitised to one line), never tokens or codes. */
#ifndef AIAUTH_OAUTH_H
#define AIAUTH_OAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "credential.h"
#include "error.h"
#include "http.h"
#include "loop.h"
#include "registry.h"
#include "secret.h"

/* Endpoints of a provider, after discovery.  Strings are owned. */
struct oauth_endpoints {
	char *issuer;
	char *authorization;
	char *token;
	char *device_authorization;
	char *userinfo;
};
void oauth_endpoints_clear(struct oauth_endpoints *ep);

/* Fill *ep from the provider's settings, fetching the issuer's metadata
 * (openid-configuration, then oauth-authorization-server) for what is
 * missing.  Runs `loop` until done.  AIAUTH_NOT_CONFIGURED with the
 * config hint when the provider needs configuration; AIAUTH_UNSUPPORTED
 * when it has no OAuth at all. */
enum aiauth_status oauth_endpoints_resolve(struct loop *loop, const struct provider *p,
                                           struct oauth_endpoints *ep, struct aiauth_error **err);

/* One parameter of a token request. Values may be secrets. */
struct oauth_param {
	const char *name;
	const char *value;
};

/* Encode parameters as the provider wants them (form or JSON) into a
 * secret body; *content_type is a static string. NULL values are skipped. */
enum aiauth_status oauth_encode_params(enum oauth_token_format format,
                                       const struct oauth_param *params, size_t n,
                                       struct secret **body, const char **content_type,
                                       struct aiauth_error **err);
/* Percent-encode one value for a URL query or a form (RFC 3986
 * unreserved characters kept); heap string, NULL on OOM. */
char *oauth_url_encode(const char *s);

/* The outcome of a token request. */
struct oauth_token_result {
	enum aiauth_status status; /* OK, or the kind of failure (below) */
	struct credential *cred;   /* on OK */
	char *error;               /* the OAuth error code ("invalid_grant"), or NULL */
	char *description;         /* one line for a person, never NULL when status != OK */
	long http_status;
	bool retryable;            /* network error, 5xx, malformed or non-JSON body */
};
void oauth_token_result_clear(struct oauth_token_result *r);

/* Interpret a token endpoint's answer.  `now` (Unix seconds) turns
 * expires_in into expires_at.  Statuses: AIAUTH_OK; AIAUTH_DENIED
 * (access_denied); AIAUTH_EXPIRED (expired_token); AIAUTH_NEEDS_SIGNIN
 * (invalid_grant); AIAUTH_REJECTED (other OAuth errors such as
 * invalid_client); AIAUTH_NETWORK (no response, 5xx: retryable);
 * AIAUTH_CORRUPT (HTML, malformed JSON, no access_token: retryable).
 * authorization_pending and slow_down come back as AIAUTH_FAILED with
 * `error` set, for the device flow to act on. */
void oauth_token_interpret(const struct http_response *resp, int64_t now,
                           struct oauth_token_result *out);

/* POST `params` to the token endpoint (with client_id / client_secret from
 * the provider added) and interpret the answer; asynchronous on `loop`.
 * `done` is called once, from the loop, unless cancelled. */
typedef void (*oauth_token_done_fn)(void *ctx, struct oauth_token_result *result);
struct oauth_token_request;
struct oauth_token_request *oauth_token_request_start(struct loop *loop, const struct provider *p,
                                                      const char *token_endpoint,
                                                      const struct oauth_param *params, size_t n,
                                                      oauth_token_done_fn done, void *ctx,
                                                      struct aiauth_error **err);
void oauth_token_request_cancel(struct oauth_token_request *r);

/* The "email" claim of an id_token (decoded for display only: the
 * signature is not checked, nothing is trusted from it), or NULL. */
char *oauth_id_token_email(const char *id_token);
/* Ask the userinfo endpoint for the email (runs the loop). NULL if none. */
char *oauth_userinfo_email(struct loop *loop, const char *userinfo_endpoint,
                           const struct secret *access_token);

/* Seconds since the epoch (wall clock), for expires_at. */
int64_t oauth_now(void);

#endif
