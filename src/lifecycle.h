/* lifecycle.h - keeping OAuth tokens fresh without ever losing one.
 *
 * The rules (SPEC §5):
 * - a token that expires within LIFECYCLE_MIN_VALID seconds (5 minutes) is
 *   refreshed before it is handed out;
 * - a refresh holds a per-account lock (flock on
 *   $XDG_CONFIG_HOME/aiauth/locks/<account id>.lock) from before it reads
 *   the secret until after the new one is saved; a second process that
 *   finds the lock taken waits, then rereads the secret and uses the token
 *   the first one saved instead of refreshing again (a reused refresh token
 *   revokes the whole grant at providers that rotate them);
 * - the rotated refresh token is written to the secret store before the new
 *   access token is handed out; a response without a new refresh token
 *   keeps the old one;
 * - network errors, 5xx and malformed answers are retried up to 3 times
 *   with backoff; the account's status becomes "refresh failed" after that
 *   (its tokens are kept);
 * - invalid_grant marks the account "needs sign-in" (AIAUTH_NEEDS_SIGNIN);
 *   nothing else of it changes.
 * Each refresh also records last_refresh, last_refresh_outcome and
 * expires_at in the account store. */
#ifndef AIAUTH_LIFECYCLE_H
#define AIAUTH_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "error.h"
#include "loop.h"
#include "registry.h"
#include "secretstore.h"
#include "store.h"

#define LIFECYCLE_MIN_VALID 300

/* What the lifecycle needs to work on accounts. */
struct lifecycle_env {
	struct loop *loop;
	const struct registry *registry;
	struct secretstore *secrets;
	const char *config_dir; /* NULL: paths_config_dir() */
	/* How many accounts of a run are refreshed at the same time (from
	 * taking the lock to saving the new tokens); 0: all of them.  The
	 * others wait their turn in the order of `ids`. */
	size_t max_jobs;
};

/* True when `cred` holds an access token valid for more than `min_valid`
 * seconds (a token without expires_at counts as valid). */
bool lifecycle_is_fresh(const struct credential *cred, int64_t now, int64_t min_valid);

/* Make sure the OAuth account `account_id` has a token valid for at least
 * LIFECYCLE_MIN_VALID seconds (or refresh regardless with `force`), and
 * give back its current credential (*cred, caller frees).  API-key and
 * keyless accounts are returned as they are.  Blocks (runs the loop) until
 * done. */
enum aiauth_status lifecycle_ensure_fresh(const struct lifecycle_env *env, const char *account_id,
                                          bool force, struct credential **cred,
                                          struct aiauth_error **err);

/* The outcome of one account in lifecycle_refresh_many(). */
struct lifecycle_outcome {
	char *account_id;
	enum aiauth_status status; /* AIAUTH_OK when refreshed or still fresh */
	bool refreshed;            /* a request was made and succeeded */
	char *message;             /* one line, or NULL */
};

/* Refresh every account of `ids` that needs it (all of them with `force`),
 * concurrently on env->loop: every refresh's HTTP request is in flight at
 * the same time (at most env->max_jobs of them when it is not 0).  *out has n entries in the same order; free with
 * lifecycle_outcomes_free(). */
enum aiauth_status lifecycle_refresh_many(const struct lifecycle_env *env, char *const *ids,
                                          size_t n, bool force, struct lifecycle_outcome **out,
                                          struct aiauth_error **err);
void lifecycle_outcomes_free(struct lifecycle_outcome *o, size_t n);

/* The same without blocking, for a front end whose loop must keep serving
 * the keyboard (the accounts screen): running lifecycle_refresh_many() from
 * inside a loop callback would dispatch that callback's own descriptor again
 * from the nested loop (a key handler re-entered while it runs).
 *
 * lifecycle_refresh_start() does the synchronous first part at once (reads
 * the account store and the secrets; resolves a provider's token endpoint,
 * which runs the loop itself only for providers configured by issuer
 * discovery) and the rest on env->loop.  `done` is called exactly once, from
 * a timer of env->loop (never from inside lifecycle_refresh_start()), with
 * the status of the run and, on AIAUTH_OK, the n outcomes in the order of
 * `ids` (borrowed for the call; `err` likewise, NULL on AIAUTH_OK); the
 * handle is freed after `done` returns.  `env` and `ids` are copied.
 * Returns NULL (and *err) when nothing could be started.
 *
 * lifecycle_refresh_cancel() stops a run before `done` (which is then never
 * called) and frees it; NULL is accepted.  Cancelling while a token request
 * is in flight abandons its answer: at a provider that rotates refresh
 * tokens, the new one is lost and the account needs to sign in again, so a
 * front end should cancel only when it must (the program ends). */
struct lifecycle_refresh;
typedef void (*lifecycle_refresh_done_fn)(void *ctx, enum aiauth_status status,
                                          const struct lifecycle_outcome *o, size_t n,
                                          const struct aiauth_error *err);
struct lifecycle_refresh *lifecycle_refresh_start(const struct lifecycle_env *env,
                                                  char *const *ids, size_t n, bool force,
                                                  lifecycle_refresh_done_fn done, void *ctx,
                                                  struct aiauth_error **err);
void lifecycle_refresh_cancel(struct lifecycle_refresh *r);

#endif
