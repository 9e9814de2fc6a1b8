/* oauth_pkce.h - OAuth 2.0 authorization code with PKCE (RFC 6749 §4.1,
 * RFC 7636 S256): the secrets of one sign-in, the authorization URL, reading
 * what comes back (a redirect's query, or what a person pasted), the code
 * exchange, and a sign-in left pending between two processes.
 *
 * Call order for one sign-in:
 *   oauth_pkce_new()               verifier, challenge, state
 *   oauth_pkce_authorization_url() the URL the person opens
 *   ... the code comes back: loopback.h, or oauth_pkce_parse_paste()
 *   oauth_pkce_exchange_start()    code + verifier -> tokens (oauth.h result)
 *   oauth_pkce_clear()             wipes the verifier and the state
 *
 * Secrets: the verifier, the state and the code are held in struct secret
 * and never appear in an error message.  The challenge is public (it is in
 * the URL). */
#ifndef AIAUTH_OAUTH_PKCE_H
#define AIAUTH_OAUTH_PKCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "loop.h"
#include "oauth.h"
#include "registry.h"
#include "secret.h"
#include "secretstore.h"

/* Longest paste or redirect query accepted (codes are short; whole URLs a
 * few hundred bytes). */
#define OAUTH_PKCE_MAX_INPUT (16 * 1024)

/* The secrets of one sign-in. */
struct oauth_pkce {
	struct secret *verifier; /* 43 base64url characters (32 random bytes) */
	char *challenge;         /* base64url(SHA-256(verifier)), 43 characters */
	struct secret *state;    /* 22 base64url characters (128 random bits) */
};
#define OAUTH_PKCE_INIT {NULL, NULL, NULL}

/* Fill *pk with a fresh verifier and state from gnutls_rnd(GNUTLS_RND_KEY).
 * *pk is cleared first.  AIAUTH_FAILED when the random generator fails,
 * AIAUTH_NO_MEMORY. */
enum aiauth_status oauth_pkce_new(struct oauth_pkce *pk, struct aiauth_error **err);
/* Wipe and free the members (the struct itself is the caller's). */
void oauth_pkce_clear(struct oauth_pkce *pk);

/* base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2); heap
 * string, NULL on OOM. */
char *oauth_pkce_challenge(const char *verifier, size_t len);
/* base64url without padding of `len` bytes; heap string, NULL on OOM. */
char *oauth_pkce_base64url(const void *data, size_t len);

/* The authorization URL: `authorization_endpoint` + response_type=code,
 * client_id, redirect_uri, scope (when the provider has scopes), state,
 * code_challenge, code_challenge_method=S256, then the provider's
 * extra_auth_params ("k=v&k2=v2", each name and value re-encoded).  Every
 * value is percent-encoded.  An endpoint that already has a query gets "&".
 * *url is a heap string (not secret: the state is meant to travel in it).
 * AIAUTH_NOT_CONFIGURED when the provider has no client_id. */
enum aiauth_status oauth_pkce_authorization_url(const struct provider *p,
                                                const char *authorization_endpoint,
                                                const char *redirect_uri,
                                                const struct oauth_pkce *pk, char **url,
                                                struct aiauth_error **err);

/* The parameters of an authorization response (a redirect's query). */
struct oauth_pkce_reply {
	struct secret *code;     /* NULL when absent */
	struct secret *state;    /* NULL when absent */
	char *error;             /* the OAuth error code, sanitised; NULL when absent */
	char *error_description; /* sanitised to one printable ASCII line; may be NULL */
};
void oauth_pkce_reply_clear(struct oauth_pkce_reply *r);

/* Split a query string ("code=X&state=Y&iss=Z", no leading '?') into *out,
 * percent-decoding values ('+' is a space).  Unknown parameters are
 * ignored; a parameter given twice is refused (AIAUTH_USAGE), as is a query
 * longer than OAUTH_PKCE_MAX_INPUT.  *out is cleared first; on error it is
 * left empty.  Messages never quote the input. */
enum aiauth_status oauth_pkce_parse_query(const char *query, size_t len,
                                          struct oauth_pkce_reply *out,
                                          struct aiauth_error **err);

/* What a person pasted: a bare code, "code#state" (Claude's page), a query
 * ("code=...&state=..."), or a whole redirected URL ("https://...?code=X&
 * state=Y&iss=..."; a fragment is read when the query has no code).
 * Surrounding whitespace is ignored.  When the paste carries a state it must
 * equal `expected_state` (compared in constant time).
 * Returns AIAUTH_OK with *code (caller frees); AIAUTH_DENIED for
 * error=access_denied, AIAUTH_REJECTED for other errors (the message carries
 * the provider's description); AIAUTH_USAGE for a state that does not match,
 * empty, oversized (over OAUTH_PKCE_MAX_INPUT) or unreadable input. */
enum aiauth_status oauth_pkce_parse_paste(const struct secret *input,
                                          const struct secret *expected_state,
                                          struct secret **code, struct aiauth_error **err);

/* The message for an error= reply: AIAUTH_DENIED for access_denied,
 * AIAUTH_REJECTED otherwise, with the provider's description. */
enum aiauth_status oauth_pkce_reply_error(const struct oauth_pkce_reply *r,
                                          struct aiauth_error **err);

/* Exchange the code (RFC 7636 §4.5): grant_type=authorization_code, code,
 * redirect_uri (the same as in the authorization URL), code_verifier, and
 * `state` for providers whose token endpoint takes JSON (Claude's asks for
 * it; NULL leaves it out).  Asynchronous, as oauth_token_request_start(). */
struct oauth_token_request *oauth_pkce_exchange_start(struct loop *loop, const struct provider *p,
                                                      const char *token_endpoint,
                                                      const struct secret *code,
                                                      const char *redirect_uri,
                                                      const struct oauth_pkce *pk,
                                                      oauth_token_done_fn done, void *ctx,
                                                      struct aiauth_error **err);

/* ------------------------------------------------------------ pending
 * A sign-in started by one process (login --no-wait) and finished by
 * another (login --finish).  The verifier and state are secrets: they live
 * in the secret store under OAUTH_PKCE_PENDING_ID (kind "pending").  The
 * rest is not secret and lives in CONFIG_DIR/pending-login.json (0600,
 * written atomically).  One pending sign-in at a time: saving replaces. */
#define OAUTH_PKCE_PENDING_ID "pending-login"
#define OAUTH_PKCE_PENDING_FILE "pending-login.json"
#define OAUTH_PKCE_PENDING_TTL (15 * 60) /* seconds */

struct oauth_pkce_pending {
	char *provider;     /* registry id */
	char *redirect_uri; /* exactly as sent in the authorization URL */
	char *label;        /* the account label asked for (--label), or NULL */
	struct oauth_endpoints ep; /* the endpoints used (owned) */
	int64_t created;    /* Unix seconds */
	int64_t expires;    /* Unix seconds */
	struct oauth_pkce pk; /* on load: verifier and state (challenge NULL) */
};
void oauth_pkce_pending_clear(struct oauth_pkce_pending *pd);

/* Save: the secrets first, then the file.  `config_dir` NULL means
 * paths_config_dir() (created 0700 when missing).  `provider_name` is for
 * the keyring item label. */
enum aiauth_status oauth_pkce_pending_save(struct secretstore *ss, const char *config_dir,
                                           const struct oauth_pkce_pending *pd,
                                           const char *provider_name,
                                           struct aiauth_error **err);
/* Load into *pd (cleared first).  AIAUTH_NOT_FOUND with a message when there
 * is no pending sign-in; AIAUTH_EXPIRED when it is older than its expiry
 * (its data is then deleted); AIAUTH_CORRUPT for an unreadable file or
 * missing secrets.  `now` is Unix seconds (oauth_now()). */
enum aiauth_status oauth_pkce_pending_load(struct secretstore *ss, const char *config_dir,
                                           int64_t now, struct oauth_pkce_pending *pd,
                                           struct aiauth_error **err);
/* Is there a pending file?  *provider (optional, caller frees) gets its
 * provider id.  Reads only the file, never the secret store. */
bool oauth_pkce_pending_exists(const char *config_dir, char **provider);
/* Delete the file, then the secrets.  Deleting nothing is not an error. */
enum aiauth_status oauth_pkce_pending_delete(struct secretstore *ss, const char *config_dir,
                                             struct aiauth_error **err);

#endif
