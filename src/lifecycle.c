/* lifecycle.c - refreshing OAuth tokens (SPEC §5).
 *
 * One engine serves both entry points: a "job" per account walks
 *
 *   read the secret ─ fresh? ─ yes ─> done ("still valid")
 *        │ no (or forced)
 *   resolve the token endpoint (once per provider, before anything runs
 *        │                      concurrently: discovery runs the loop itself)
 *   take locks/<id>.lock with LOCK_NB, retrying on a timer while it is busy
 *        │
 *   reread the secret ─ fresh now and (not forced, or changed while we
 *        │              waited)? ─ yes ─> done: another process refreshed
 *   POST grant_type=refresh_token ─ retryable failure ─> backoff timer ─> POST
 *        │
 *   merge, secretstore_put_start ─ (the loop runs) ─ saved: queue the
 *        outcome, then unlock ─> done
 *
 * The outcomes go into the account list in batches: one store_update()
 * for all the jobs that finished within LC_RECORD_DELAY_MS, and one when
 * the last job is done.
 *
 * lifecycle_ensure_fresh() runs one job, lifecycle_refresh_many() runs n of
 * them side by side on the same loop, so every request is in flight at
 * once and a busy lock never blocks the loop (nor the other accounts).
 * With env->max_jobs, only that many jobs are past the synchronous first
 * part at a time; a finished job makes room for the next, from a timer so
 * that no job step ever runs inside another's.
 * Secret reads are synchronous calls; so are writes, except the keyring's
 * write of an item that exists already, which overlaps the other jobs'
 * work (secretstore_put_start).  The vault's own flock is held only for
 * the duration of a call.
 *
 * Retry policy: a retryable answer (no response, 5xx, HTML, malformed JSON,
 * no access_token: oauth_token_result.retryable) is retried up to 3 times,
 * after 0.5 s, 1 s and 2 s: at most 4 requests per refresh.  The lock is
 * held across the retries, so no other process spends the same refresh
 * token in between.
 *
 * Messages name the provider and the account label, and carry the token
 * endpoint's error code and description (oauth.c sanitises them); never a
 * token. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "debug.h"
#include "fsutil.h"
#include "i18n.h"
#include "lifecycle.h"
#include "oauth.h"

#define LC_MAX_ATTEMPTS 4 /* the first request and 3 retries */
static const int64_t lc_backoff_ms[LC_MAX_ATTEMPTS - 1] = {500, 1000, 2000};

/* How often a busy account lock is tried again, and for how long at most.
 * The holder's worst case is 4 requests of at most 30 s each plus 3.5 s of
 * backoff; a lock held much longer than that belongs to a stuck process. */
#define LC_LOCK_RETRY_MS 50
#define LC_LOCK_WAIT_MAX_MS (180 * 1000)

/* How many jobs start in one go before the loop gets a turn. */
#define LC_START_BATCH 8

/* How long the outcomes of finished refreshes may wait to be written into
 * the account list together (lc_flush_records). */
#define LC_RECORD_DELAY_MS 250

/* Fields a token response decides on its own: when it has no expires_at,
 * the old one is stale and must go (no expires_at counts as fresh; a stale
 * one would make every later call refresh again). */
static const char *const lc_replaced_fields[] = {"access_token", "expires_at", "token_type"};

struct lc_endpoints {
	const struct provider *provider;
	enum aiauth_status status;
	struct oauth_endpoints ep;
	struct aiauth_error *err;
};

struct lc_run;

struct lc_job {
	struct lc_run *run;
	const char *id;           /* the caller's string */
	struct account *account;  /* copy, or NULL before lc_prepare() */
	const struct provider *provider;
	const struct lc_endpoints *endpoints;
	struct secret *first_blob; /* the secret as read before the lock */
	struct credential *cred;   /* current credential; the result on OK */
	int lock_fd;
	bool read_locked; /* the lock was taken before the first read */
	int64_t lock_since_ms;
	int timer;
	bool started; /* counted in run->active */
	struct oauth_token_request *request;
	struct secretstore_put_op *put; /* the new tokens being saved */
	struct credential *merged;      /* ... which are these */
	bool rotated;                   /* ... with a new refresh token */
	int attempts;
	bool done;
	bool refreshed;
	enum aiauth_status status;
	struct aiauth_error *err; /* the message of a failure, or of an outcome */
	/* The outcome waiting for the next lc_flush_records(). */
	bool record_pending;
	enum account_status record_status;
	int64_t record_expires_at; /* < 0: leave as it is */
	int64_t record_now;
	char *record_outcome;
};

struct lc_run {
	const struct lifecycle_env *env;
	bool force;
	char *lock_dir;
	struct lc_job *jobs;
	size_t n;
	size_t pending;
	bool all_done;
	struct lc_endpoints *eps;
	size_t n_eps;
	size_t active;     /* jobs started and not done */
	size_t next;       /* the first job not started yet */
	int start_timer;   /* starts more jobs after one finished */
	size_t prelocked;       /* jobs that took their lock in lc_prepare() */
	size_t records_pending; /* jobs with record_pending */
	int record_timer;       /* writes them, LC_RECORD_DELAY_MS after the first */
	/* Called once when the last job finishes (the asynchronous run). */
	void (*on_all_done)(struct lc_run *run);
};

static void lc_attempt(struct lc_job *job);
static void lc_try_lock(void *ctx);
static void lc_start_more(struct lc_run *run);
static void lc_start_more_timer(void *ctx);
static void lc_clear_message(struct lc_job *job);

/* ---------------------------------------------------------------- helpers */

bool lifecycle_is_fresh(const struct credential *cred, int64_t now, int64_t min_valid)
{
	const struct secret *exp = credential_get(cred, "expires_at");
	if (!exp)
		return true;
	const char *s = (const char *)exp->buf;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0)
		return false; /* unreadable: a refresh writes a good one */
	return (int64_t)v - now > min_valid;
}

static const char *lc_provider_name(const struct lc_job *job)
{
	return job->provider ? _(job->provider->name) : job->account->provider;
}

/* How trace lines name the job's account (debug.h: never its label). */
static const char *lc_who(const struct lc_job *job, char *buf, size_t n)
{
	return debug_account(job->account ? job->account->provider : NULL,
	                     job->account ? job->account->id : job->id, buf, n);
}

/* Account ids are 32 hex characters; anything else must not become a path. */
static bool lc_id_is_safe(const char *id)
{
	if (!*id)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
			return false;
	return true;
}

static bool lc_is_replaced(const char *name)
{
	for (size_t i = 0; i < sizeof(lc_replaced_fields) / sizeof(lc_replaced_fields[0]); i++)
		if (strcmp(name, lc_replaced_fields[i]) == 0)
			return true;
	return false;
}

/* The old credential with the response laid over it: a refresh token, an
 * id_token or a scope the response leaves out are kept. */
static enum aiauth_status lc_merge(const struct credential *old, const struct credential *fresh,
                                   struct credential **out)
{
	struct credential *c = credential_new();
	if (!c)
		return AIAUTH_NO_MEMORY;
	enum aiauth_status st = AIAUTH_OK;
	for (size_t i = 0; i < old->n && st == AIAUTH_OK; i++) {
		const struct credential_field *f = &old->fields[i];
		if (!lc_is_replaced(f->name))
			st = credential_take(c, f->name, secret_from_mem(f->value->buf, f->value->len));
	}
	for (size_t i = 0; i < fresh->n && st == AIAUTH_OK; i++) {
		const struct credential_field *f = &fresh->fields[i];
		st = credential_take(c, f->name, secret_from_mem(f->value->buf, f->value->len));
	}
	if (st != AIAUTH_OK) {
		credential_free(c);
		return st;
	}
	*out = c;
	return AIAUTH_OK;
}

static int64_t lc_expires_at(const struct credential *c)
{
	const struct secret *exp = credential_get(c, "expires_at");
	if (!exp)
		return 0;
	char *end = NULL;
	long long v = strtoll((const char *)exp->buf, &end, 10);
	return end && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* "expires in 120 s", "expired 5 s ago" or "has no expiry", for the trace. */
static const char *lc_expiry_text(const struct credential *cred, char *buf, size_t n)
{
	int64_t exp = lc_expires_at(cred);
	if (!exp)
		snprintf(buf, n, "has no expiry");
	else if (exp >= oauth_now())
		snprintf(buf, n, "expires in %lld s", (long long)(exp - oauth_now()));
	else
		snprintf(buf, n, "expired %lld s ago", (long long)(oauth_now() - exp));
	return buf;
}

/* Read the account's secret as a blob and a credential. */
static enum aiauth_status lc_read_secret(struct lc_job *job, struct secret **blob,
                                         struct credential **cred)
{
	struct secretstore *ss = job->run->env->secrets;
	struct secret *b = NULL;
	enum aiauth_status st = secretstore_get(ss, job->account->id, &b, &job->err);
	if (st != AIAUTH_OK)
		return st;
	st = credential_from_blob(b, cred, &job->err);
	if (st != AIAUTH_OK) {
		secret_free(b);
		return st;
	}
	*blob = b;
	return AIAUTH_OK;
}

/* ---------------------------------------------------------------- the store */

static enum aiauth_status lc_record_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	(void)err;
	struct lc_run *run = ctx;
	for (size_t i = 0; i < run->n; i++) {
		const struct lc_job *job = &run->jobs[i];
		if (!job->record_pending)
			continue;
		struct account *a = store_find_id(store, job->account->id);
		if (!a)
			continue; /* removed meanwhile: nothing to record */
		char *outcome = strdup(job->record_outcome);
		if (!outcome)
			return AIAUTH_NO_MEMORY;
		free(a->last_refresh_outcome);
		a->last_refresh_outcome = outcome;
		a->status = job->record_status;
		a->last_refresh = job->record_now;
		if (job->record_expires_at >= 0)
			a->expires_at = job->record_expires_at;
		store->dirty = true;
	}
	return AIAUTH_OK;
}

/* Write every pending outcome into the account store, in one
 * store_update(): one read, parse and fsync'd write of the account list for
 * a batch, where one per account made refresh --all quadratic in the
 * number of accounts.  The secret is what matters and was saved before; a
 * store that cannot be written only loses this bookkeeping, so a refreshed
 * job's message says so and its status stays OK. */
static void lc_flush_records(struct lc_run *run)
{
	if (run->record_timer) {
		loop_cancel_timer(run->env->loop, run->record_timer);
		run->record_timer = 0;
	}
	if (!run->records_pending)
		return;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = store_update(run->env->config_dir, lc_record_cb, run, &err);
	for (size_t i = 0; i < run->n; i++) {
		struct lc_job *job = &run->jobs[i];
		if (!job->record_pending)
			continue;
		job->record_pending = false;
		free(job->record_outcome);
		job->record_outcome = NULL;
		if (st != AIAUTH_OK && job->status == AIAUTH_OK && job->refreshed) {
			lc_clear_message(job);
			error_set(&job->err, AIAUTH_OK,
			          _("refreshed (the account list was not updated: %s)"),
			          err ? err->message : _(status_text(st)));
		}
	}
	run->records_pending = 0;
	error_clear(&err);
}

static void lc_record_timer_fired(void *ctx)
{
	struct lc_run *run = ctx;
	run->record_timer = 0;
	lc_flush_records(run);
}

/* Queue the outcome of a refresh for the account store.  Outcomes are
 * written LC_RECORD_DELAY_MS after the first of a batch, and at once when
 * the last job of the run is done (so its caller reads them back). */
static void lc_record(struct lc_job *job, enum account_status status, int64_t expires_at,
                      const char *outcome)
{
	struct lc_run *run = job->run;
	char *copy = strdup(outcome);
	if (!copy)
		return; /* bookkeeping only: the secret was dealt with */
	free(job->record_outcome);
	job->record_outcome = copy;
	job->record_status = status;
	job->record_expires_at = expires_at;
	job->record_now = oauth_now();
	if (!job->record_pending) {
		job->record_pending = true;
		run->records_pending++;
	}
	if (!run->record_timer)
		run->record_timer =
		    loop_add_timer(run->env->loop, LC_RECORD_DELAY_MS, lc_record_timer_fired, run);
	/* Without a timer (no memory), lc_finish() of the last job writes it. */
}

/* ---------------------------------------------------------------- job steps */

static void lc_finish(struct lc_job *job, enum aiauth_status status)
{
	if (job->done)
		return;
	if (job->timer) {
		loop_cancel_timer(job->run->env->loop, job->timer);
		job->timer = 0;
	}
	if (job->request) {
		oauth_token_request_cancel(job->request);
		job->request = NULL;
	}
	/* Only now: the new refresh token, if any, is in the secret store. */
	if (job->lock_fd >= 0) {
		fs_unlock(job->lock_fd);
		job->lock_fd = -1;
	}
	if (status != AIAUTH_OK)
		CREDENTIAL_FREE(job->cred);
	job->status = status;
	job->done = true;
	if (job->started) {
		struct lc_run *run = job->run;
		job->started = false;
		run->active--;
		if (run->next < run->n && !run->start_timer) {
			run->start_timer = loop_add_timer(run->env->loop, 0, lc_start_more_timer, run);
			/* Without a timer (no memory) the next jobs start from here:
			 * a deeper stack, but no job is left behind. */
			if (!run->start_timer)
				lc_start_more(run);
		}
	}
	if (--job->run->pending == 0) {
		lc_flush_records(job->run);
		job->run->all_done = true;
		if (job->run->on_all_done)
			job->run->on_all_done(job->run);
	}
}

/* Replace the job's message (error_set keeps an existing one). */
static void lc_clear_message(struct lc_job *job)
{
	error_clear(&job->err);
}

static void lc_fail_recorded(struct lc_job *job, enum aiauth_status status,
                             enum account_status account_status, const char *outcome)
{
	lc_record(job, account_status, -1, outcome);
	lc_finish(job, status);
}

/* The new tokens could not be saved.  The provider may have rotated the
 * refresh token we can no longer save: say so; the access token is not
 * handed out unsaved.  job->err holds the store's reason. */
static void lc_save_failed(struct lc_job *job, enum aiauth_status st)
{
	char why[sizeof(job->err->message)] = "";
	if (job->err)
		snprintf(why, sizeof(why), "%s", job->err->message);
	lc_clear_message(job);
	error_set(&job->err, st,
	          _("the %s account \"%s\" was refreshed but its new tokens could not be "
	            "saved: %s"),
	          lc_provider_name(job), job->account->label, why[0] ? why : status_text(st));
	lc_fail_recorded(job, st, ACCOUNT_STATUS_REFRESH_FAILED,
	                 "refreshed, but the new tokens could not be saved");
}

static void lc_saved(struct lc_job *job)
{
	credential_free(job->cred);
	job->cred = job->merged;
	job->merged = NULL;
	job->refreshed = true;
	if (debug_on()) {
		char who[48], exp[48];
		debug_log("refresh %s: saved the new tokens (%s a new refresh token); the token %s",
		          lc_who(job, who, sizeof(who)), job->rotated ? "with" : "without",
		          lc_expiry_text(job->cred, exp, sizeof(exp)));
	}
	lc_clear_message(job);
	error_set(&job->err, AIAUTH_OK, "%s", _("refreshed"));
	lc_record(job, ACCOUNT_STATUS_OK, lc_expires_at(job->cred), "refreshed");
	lc_finish(job, AIAUTH_OK);
}

static void lc_put_done(void *ctx, enum aiauth_status st, struct aiauth_error **err)
{
	struct lc_job *job = ctx;
	job->put = NULL;
	if (st != AIAUTH_OK) {
		CREDENTIAL_FREE(job->merged);
		lc_clear_message(job);
		job->err = *err; /* the store's reason, taken */
		*err = NULL;
		lc_save_failed(job, st);
		return;
	}
	lc_saved(job);
}

/* Merge the answer into the credential and start saving it; the job goes
 * on in lc_put_done(), still holding the account's lock. */
static void lc_succeed(struct lc_job *job, const struct credential *response)
{
	struct credential *merged = NULL;
	struct secret *blob = NULL;
	enum aiauth_status st = lc_merge(job->cred, response, &merged);
	if (st == AIAUTH_OK)
		st = credential_to_blob(merged, &blob, &job->err);
	if (st == AIAUTH_OK) {
		struct secret_meta meta = {job->account->provider, lc_provider_name(job),
		                           job->account->label, "oauth"};
		st = secretstore_put_start(job->run->env->secrets, job->run->env->loop,
		                           job->account->id, &meta, blob, lc_put_done, job, &job->put,
		                           &job->err);
	}
	secret_free(blob);
	if (st != AIAUTH_OK) {
		credential_free(merged);
		lc_save_failed(job, st);
		return;
	}
	job->merged = merged;
	job->rotated = credential_get(response, "refresh_token") != NULL;
}

static void lc_backoff_done(void *ctx)
{
	struct lc_job *job = ctx;
	job->timer = 0;
	lc_attempt(job);
}

static void lc_token_done(void *ctx, struct oauth_token_result *r)
{
	struct lc_job *job = ctx;
	job->request = NULL;
	if (r->status == AIAUTH_OK && r->cred) {
		lc_succeed(job, r->cred);
		return;
	}
	const char *desc = r->description ? r->description : status_text(r->status);
	if (debug_on()) {
		/* The error code only: a description is the server's text. */
		char who[48];
		debug_log("refresh %s: attempt %d failed: HTTP %ld, %s%s%s", lc_who(job, who, sizeof(who)),
		          job->attempts, r->http_status, status_text(r->status), r->error ? ", " : "",
		          r->error ? r->error : "");
		if (r->status != AIAUTH_NEEDS_SIGNIN && r->retryable && job->attempts < LC_MAX_ATTEMPTS)
			debug_log("refresh %s: retrying in %lld ms", who,
			          (long long)lc_backoff_ms[job->attempts - 1]);
	}
	lc_clear_message(job);
	if (r->status == AIAUTH_NEEDS_SIGNIN) {
		/* invalid_grant: the refresh token is dead.  Keep it (a person may
		 * want to look), mark the account, change nothing else. */
		char outcome[300];
		snprintf(outcome, sizeof(outcome), "refused: %s", desc);
		error_set(&job->err, AIAUTH_NEEDS_SIGNIN,
		          _("the %s account \"%s\" needs to sign in again (the provider refused its "
		            "refresh token)"),
		          lc_provider_name(job), job->account->label);
		lc_fail_recorded(job, AIAUTH_NEEDS_SIGNIN, ACCOUNT_STATUS_NEEDS_SIGNIN, outcome);
		return;
	}
	if (r->retryable && job->attempts < LC_MAX_ATTEMPTS) {
		job->timer = loop_add_timer(job->run->env->loop, lc_backoff_ms[job->attempts - 1],
		                            lc_backoff_done, job);
		if (job->timer)
			return;
		error_set(&job->err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		lc_fail_recorded(job, AIAUTH_NO_MEMORY, ACCOUNT_STATUS_REFRESH_FAILED, "out of memory");
		return;
	}
	enum aiauth_status st = r->status == AIAUTH_OK ? AIAUTH_CORRUPT : r->status;
	char outcome[300];
	if (r->retryable) {
		snprintf(outcome, sizeof(outcome), "failed after %d attempts: %s", job->attempts, desc);
		error_set(&job->err, st, _("could not refresh the %s account \"%s\" (%d attempts): %s"),
		          lc_provider_name(job), job->account->label, job->attempts, desc);
	} else {
		snprintf(outcome, sizeof(outcome), "failed: %s", desc);
		error_set(&job->err, st, _("could not refresh the %s account \"%s\": %s"),
		          lc_provider_name(job), job->account->label, desc);
	}
	lc_fail_recorded(job, st, ACCOUNT_STATUS_REFRESH_FAILED, outcome);
}

static void lc_attempt(struct lc_job *job)
{
	const struct secret *rt = credential_get(job->cred, "refresh_token");
	struct oauth_param params[] = {
		{"grant_type", "refresh_token"},
		{"refresh_token", (const char *)rt->buf},
	};
	job->attempts++;
	if (debug_on()) {
		char who[48];
		debug_log("refresh %s: attempt %d of %d", lc_who(job, who, sizeof(who)), job->attempts,
		          LC_MAX_ATTEMPTS);
	}
	struct aiauth_error *e = NULL;
	job->request = oauth_token_request_start(job->run->env->loop, job->provider,
	                                         job->endpoints->ep.token, params, 2, lc_token_done,
	                                         job, &e);
	if (job->request) {
		error_clear(&e);
		return;
	}
	/* Nothing was sent (a refused URL, no memory): retrying cannot help. */
	enum aiauth_status st = e ? e->status : AIAUTH_FAILED;
	if (st == AIAUTH_OK)
		st = AIAUTH_FAILED;
	char outcome[sizeof(e->message) + 16];
	snprintf(outcome, sizeof(outcome), "failed: %s", e ? e->message : status_text(st));
	lc_clear_message(job);
	error_set(&job->err, st, _("could not refresh the %s account \"%s\": %s"),
	          lc_provider_name(job), job->account->label, e ? e->message : status_text(st));
	error_clear(&e);
	lc_fail_recorded(job, st, ACCOUNT_STATUS_REFRESH_FAILED, outcome);
}

/* We hold the lock: look again, someone may have refreshed while we
 * waited. */
/* With the account's lock held and `cred` read under it: refresh, or not. */
static void lc_decide_locked(struct lc_job *job, bool changed)
{
	const struct credential *cred = job->cred;
	bool fresh = lifecycle_is_fresh(cred, oauth_now(), LIFECYCLE_MIN_VALID);
	if (debug_on()) {
		char who[48], exp[48];
		debug_log("refresh %s: locked; the token %s%s", lc_who(job, who, sizeof(who)),
		          lc_expiry_text(cred, exp, sizeof(exp)),
		          changed ? "; another process saved new tokens meanwhile" : "");
	}
	if (fresh && (!job->run->force || changed)) {
		/* Refreshing again would spend the refresh token another process
		 * has just received: use its token. */
		error_set(&job->err, AIAUTH_OK, "%s",
		          changed ? _("refreshed by another aiauth process") : _("still valid"));
		lc_finish(job, AIAUTH_OK);
		return;
	}
	const struct secret *rt = credential_get(cred, "refresh_token");
	if (!rt || rt->len == 0) {
		error_set(&job->err, AIAUTH_NEEDS_SIGNIN,
		          _("the %s account \"%s\" needs to sign in again (it has no refresh token)"),
		          lc_provider_name(job), job->account->label);
		if (fresh) /* forced: the token still works, the account is fine */
			lc_finish(job, AIAUTH_NEEDS_SIGNIN);
		else
			lc_fail_recorded(job, AIAUTH_NEEDS_SIGNIN, ACCOUNT_STATUS_NEEDS_SIGNIN,
			                 "expired and there is no refresh token");
		return;
	}
	lc_attempt(job);
}

/* The lock is ours now: read the secret again, as another process may
 * have refreshed it between the first read and the lock. */
static void lc_locked(struct lc_job *job)
{
	struct secret *blob = NULL;
	struct credential *cred = NULL;
	enum aiauth_status st = lc_read_secret(job, &blob, &cred);
	if (st != AIAUTH_OK) {
		lc_finish(job, st);
		return;
	}
	bool changed = !secret_equal(blob, job->first_blob);
	secret_free(blob);
	credential_free(job->cred);
	job->cred = cred;
	lc_decide_locked(job, changed);
}

/* Open the account's lock file (job->lock_fd); false with the job
 * finished on failure. */
static bool lc_open_lock(struct lc_job *job)
{
	char name[300];
	snprintf(name, sizeof(name), "%s.lock", job->account->id);
	char *path = path_join(job->run->lock_dir, name);
	if (!path) {
		error_set(&job->err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		lc_finish(job, AIAUTH_NO_MEMORY);
		return false;
	}
	job->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (job->lock_fd < 0) {
		int e = errno;
		error_set(&job->err, AIAUTH_IO, _("cannot open lock file %s: %s"), path, strerror(e));
		free(path);
		lc_finish(job, AIAUTH_IO);
		return false;
	}
	free(path);
	job->lock_since_ms = loop_now_ms();
	return true;
}

static void lc_try_lock(void *ctx)
{
	struct lc_job *job = ctx;
	job->timer = 0;
	if (job->read_locked) {
		/* Locked before the first read (lc_prepare): that read counts. */
		job->read_locked = false;
		lc_decide_locked(job, false);
		return;
	}
	if (job->lock_fd < 0 && !lc_open_lock(job))
		return;
	if (flock(job->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		if (debug_on() && loop_now_ms() - job->lock_since_ms >= LC_LOCK_RETRY_MS) {
			char who[48];
			debug_log("refresh %s: got the account lock after %lld ms",
			          lc_who(job, who, sizeof(who)),
			          (long long)(loop_now_ms() - job->lock_since_ms));
		}
		lc_locked(job);
		return;
	}
	int e = errno;
	if (e == EWOULDBLOCK && debug_on() && loop_now_ms() - job->lock_since_ms < LC_LOCK_RETRY_MS) {
		char who[48];
		debug_log("refresh %s: another process holds the account lock; waiting",
		          lc_who(job, who, sizeof(who)));
	}
	if (e != EWOULDBLOCK && e != EINTR) {
		close(job->lock_fd);
		job->lock_fd = -1;
		error_set(&job->err, AIAUTH_IO, _("cannot lock the %s account \"%s\": %s"),
		          lc_provider_name(job), job->account->label, strerror(e));
		lc_finish(job, AIAUTH_IO);
		return;
	}
	if (loop_now_ms() - job->lock_since_ms > LC_LOCK_WAIT_MAX_MS) {
		close(job->lock_fd);
		job->lock_fd = -1;
		error_set(&job->err, AIAUTH_TIMEOUT,
		          _("another aiauth process has been refreshing the %s account \"%s\" for "
		            "too long"),
		          lc_provider_name(job), job->account->label);
		lc_finish(job, AIAUTH_TIMEOUT);
		return;
	}
	job->timer = loop_add_timer(job->run->env->loop, LC_LOCK_RETRY_MS, lc_try_lock, job);
	if (!job->timer) {
		error_set(&job->err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		lc_finish(job, AIAUTH_NO_MEMORY);
	}
}

/* ---------------------------------------------------------------- the run */

/* Start jobs in the order of ids while there is room (env->max_jobs), at
 * most LC_START_BATCH of them before the loop gets a turn: each start
 * reads the secret again, and the requests of the first ones are better
 * sent, and their answers saved, while the later ones start. */
static void lc_start_more(struct lc_run *run)
{
	size_t max = run->env->max_jobs;
	size_t started = 0;
	while (run->next < run->n && (max == 0 || run->active < max)) {
		if (started == LC_START_BATCH) {
			if (!run->start_timer)
				run->start_timer = loop_add_timer(run->env->loop, 0, lc_start_more_timer, run);
			if (run->start_timer)
				return;
			/* No timer (no memory): go on from here. */
		}
		struct lc_job *job = &run->jobs[run->next++];
		if (job->done)
			continue;
		job->started = true;
		run->active++;
		started++;
		lc_try_lock(job);
	}
}

static void lc_start_more_timer(void *ctx)
{
	struct lc_run *run = ctx;
	run->start_timer = 0;
	lc_start_more(run);
}

/* Take the account's lock if its lock file exists and nobody holds it;
 * otherwise leave everything to lc_try_lock(). */
static void lc_prelock(struct lc_job *job)
{
	char name[300];
	snprintf(name, sizeof(name), "%s.lock", job->account->id);
	char *path = path_join(job->run->lock_dir, name);
	int fd = path ? open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1;
	free(path);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return;
	}
	job->lock_fd = fd;
	job->lock_since_ms = loop_now_ms();
	job->read_locked = true;
}

/* The synchronous first part: find the account, read its secret, decide
 * whether it needs a refresh at all.  Returns true when the job goes on. */
static bool lc_prepare(struct lc_job *job, struct store *store)
{
	struct lc_run *run = job->run;
	struct account *a = store_find_id(store, job->id);
	if (!a) {
		error_set(&job->err, AIAUTH_NOT_FOUND, _("no account with id %s"), job->id);
		lc_finish(job, AIAUTH_NOT_FOUND);
		return false;
	}
	job->account = account_dup(a);
	if (!job->account) {
		error_set(&job->err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		lc_finish(job, AIAUTH_NO_MEMORY);
		return false;
	}
	job->provider = registry_find(run->env->registry, a->provider);
	struct credential *cred = NULL;
	enum aiauth_status st;
	if (a->kind != ACCOUNT_OAUTH) {
		st = lc_read_secret(job, &job->first_blob, &cred);
		if (st == AIAUTH_NOT_FOUND && a->kind == ACCOUNT_NONE) {
			lc_clear_message(job);
			cred = credential_new(); /* keyless: nothing to hand out */
			st = cred ? AIAUTH_OK : AIAUTH_NO_MEMORY;
		}
		job->cred = cred;
		if (st == AIAUTH_OK)
			error_set(&job->err, AIAUTH_OK, "%s",
			          _("nothing to refresh (not an OAuth account)"));
		lc_finish(job, st);
		return false;
	}
	if (!job->provider) {
		error_set(&job->err, AIAUTH_NOT_FOUND, _("the account \"%s\" uses unknown provider %s"),
		          a->label, a->provider);
		lc_finish(job, AIAUTH_NOT_FOUND);
		return false;
	}
	if (!lc_id_is_safe(a->id)) {
		error_set(&job->err, AIAUTH_CORRUPT, _("the account \"%s\" has a malformed id"),
		          a->label);
		lc_finish(job, AIAUTH_CORRUPT);
		return false;
	}
	/* The account's lock first, when it is free and the job would start at
	 * once: the read below is then the one under the lock, and a refresh
	 * reads the secret once instead of twice.  Only a lock file that is
	 * there already (the account was refreshed before) is used here, so
	 * that reading a fresh token leaves no file behind. */
	size_t max = run->env->max_jobs;
	if (max == 0 || run->prelocked < max)
		lc_prelock(job);
	st = lc_read_secret(job, &job->first_blob, &job->cred);
	if (st != AIAUTH_OK) {
		lc_finish(job, st);
		return false;
	}
	bool fresh = lifecycle_is_fresh(job->cred, oauth_now(), LIFECYCLE_MIN_VALID);
	if (debug_on()) {
		char who[48], exp[48];
		debug_log("refresh %s: the token %s: %s", lc_who(job, who, sizeof(who)),
		          lc_expiry_text(job->cred, exp, sizeof(exp)),
		          run->force ? "refreshing (forced)"
		          : fresh    ? "still valid, no refresh"
		                     : "refreshing (it expires within 5 minutes)");
	}
	if (!run->force && fresh) {
		error_set(&job->err, AIAUTH_OK, "%s", _("still valid"));
		lc_finish(job, AIAUTH_OK);
		return false;
	}
	if (job->read_locked)
		run->prelocked++;
	return true;
}

/* Endpoints once per provider, before the concurrent part. */
static void lc_resolve(struct lc_job *job)
{
	struct lc_run *run = job->run;
	struct lc_endpoints *e = NULL;
	for (size_t i = 0; i < run->n_eps; i++)
		if (run->eps[i].provider == job->provider)
			e = &run->eps[i];
	if (!e) {
		e = &run->eps[run->n_eps++];
		e->provider = job->provider;
		const struct provider_oauth *o = &job->provider->oauth;
		if (o->token_endpoint && o->client_id && !o->needs_config) {
			/* All a refresh needs is given: no discovery of the other
			 * endpoints (userinfo, device) that only sign-in uses. */
			e->ep.token = strdup(o->token_endpoint);
			e->status = e->ep.token ? AIAUTH_OK
			                        : error_set(&e->err, AIAUTH_NO_MEMORY, "%s",
			                                    _("out of memory"));
		} else {
			e->status =
			    oauth_endpoints_resolve(run->env->loop, job->provider, &e->ep, &e->err);
		}
		if (e->status == AIAUTH_OK && !e->ep.token)
			e->status = error_set(&e->err, AIAUTH_NOT_CONFIGURED,
			                      _("%s has no token endpoint"), _(job->provider->name));
	}
	job->endpoints = e;
	if (e->status != AIAUTH_OK) {
		error_set(&job->err, e->status, _("cannot refresh the %s account \"%s\": %s"),
		          lc_provider_name(job), job->account->label,
		          e->err ? e->err->message : status_text(e->status));
		lc_finish(job, e->status);
	}
}

static void lc_run_free(struct lc_run *run)
{
	/* A cancelled run still records what its finished jobs did. */
	lc_flush_records(run);
	if (run->start_timer)
		loop_cancel_timer(run->env->loop, run->start_timer);
	for (size_t i = 0; i < run->n; i++) {
		struct lc_job *job = &run->jobs[i];
		if (job->timer)
			loop_cancel_timer(run->env->loop, job->timer);
		if (job->request)
			oauth_token_request_cancel(job->request);
		/* A rotated refresh token being saved is saved before the lock
		 * lets another process read the old one. */
		if (job->put)
			secretstore_put_abandon(job->put);
		if (job->lock_fd >= 0)
			fs_unlock(job->lock_fd);
		account_free(job->account);
		secret_free(job->first_blob);
		credential_free(job->cred);
		credential_free(job->merged);
		error_clear(&job->err);
		free(job->record_outcome);
	}
	for (size_t i = 0; i < run->n_eps; i++) {
		oauth_endpoints_clear(&run->eps[i].ep);
		error_clear(&run->eps[i].err);
	}
	free(run->eps);
	free(run->jobs);
	free(run->lock_dir);
}

/* Start every job: the synchronous part (store, secrets, endpoints) here,
 * the rest on the loop.  The jobs are done when run->all_done is true.
 * Whatever happens, the caller then reads the jobs and calls lc_run_free(). */
static enum aiauth_status lc_run_start(struct lc_run *run, char *const *ids, size_t n,
                                       struct aiauth_error **err)
{
	struct store *store = NULL;
	char *config_dir = NULL;
	enum aiauth_status st;

	run->jobs = calloc(n ? n : 1, sizeof(*run->jobs));
	run->eps = calloc(n ? n : 1, sizeof(*run->eps));
	if (!run->jobs || !run->eps)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	run->n = n;
	run->pending = n;
	run->all_done = n == 0;
	for (size_t i = 0; i < n; i++) {
		run->jobs[i].run = run;
		run->jobs[i].id = ids[i];
		run->jobs[i].lock_fd = -1;
	}

	if (run->env->config_dir) {
		config_dir = strdup(run->env->config_dir);
		if (!config_dir)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	} else if ((st = paths_config_dir(&config_dir, err)) != AIAUTH_OK) {
		return st;
	}
	run->lock_dir = path_join(config_dir, "locks");
	free(config_dir);
	if (!run->lock_dir)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));

	if ((st = store_load(run->env->config_dir, &store, err)) != AIAUTH_OK)
		return st;
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= lc_prepare(&run->jobs[i], store);
	store_free(store);
	if (!any)
		return AIAUTH_OK;

	if ((st = fs_mkdir_private(run->lock_dir, err)) != AIAUTH_OK)
		return st;
	for (size_t i = 0; i < n; i++)
		if (!run->jobs[i].done)
			lc_resolve(&run->jobs[i]);
	lc_start_more(run);
	return AIAUTH_OK;
}

/* Run every job to its end.  The caller reads the jobs, then lc_run_free(). */
static enum aiauth_status lc_run(struct lc_run *run, char *const *ids, size_t n,
                                 struct aiauth_error **err)
{
	enum aiauth_status st = lc_run_start(run, ids, n, err);
	if (st != AIAUTH_OK || run->all_done)
		return st;
	return loop_run_until(run->env->loop, &run->all_done, err);
}

/* ---------------------------------------------------------------- API */

enum aiauth_status lifecycle_ensure_fresh(const struct lifecycle_env *env, const char *account_id,
                                          bool force, struct credential **cred,
                                          struct aiauth_error **err)
{
	struct lc_run run = {.env = env, .force = force};
	char *ids[1] = {(char *)account_id};
	*cred = NULL;
	enum aiauth_status st = lc_run(&run, ids, 1, err);
	if (st == AIAUTH_OK) {
		struct lc_job *job = &run.jobs[0];
		st = job->status;
		if (st == AIAUTH_OK) {
			*cred = job->cred;
			job->cred = NULL;
		} else if (err && !*err) {
			if (job->err) {
				*err = job->err;
				job->err = NULL;
			} else {
				error_set(err, st, "%s", _(status_text(st)));
			}
		}
	}
	lc_run_free(&run);
	return st;
}

/* The outcomes of a finished run, in the order of its ids. */
static enum aiauth_status lc_outcomes(const struct lc_run *run, struct lifecycle_outcome **out,
                                      struct aiauth_error **err)
{
	size_t n = run->n;
	struct lifecycle_outcome *o = calloc(n ? n : 1, sizeof(*o));
	if (!o)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	for (size_t i = 0; i < n; i++) {
		const struct lc_job *job = &run->jobs[i];
		o[i].account_id = strdup(job->id);
		o[i].status = job->status;
		o[i].refreshed = job->refreshed;
		o[i].message = job->err ? strdup(job->err->message) : NULL;
		if (!o[i].account_id || (job->err && !o[i].message)) {
			lifecycle_outcomes_free(o, n);
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		}
	}
	*out = o;
	return AIAUTH_OK;
}

enum aiauth_status lifecycle_refresh_many(const struct lifecycle_env *env, char *const *ids,
                                          size_t n, bool force, struct lifecycle_outcome **out,
                                          struct aiauth_error **err)
{
	struct lc_run run = {.env = env, .force = force};
	*out = NULL;
	enum aiauth_status st = lc_run(&run, ids, n, err);
	if (st == AIAUTH_OK)
		st = lc_outcomes(&run, out, err);
	lc_run_free(&run);
	return st;
}

/* ------------------------------------------------- the asynchronous run */

struct lifecycle_refresh {
	struct lc_run run;          /* first: on_all_done gets &run */
	struct lifecycle_env env;   /* a copy: the caller's may be gone */
	char **ids;                 /* copies: jobs point into these */
	size_t n;
	lifecycle_refresh_done_fn done;
	void *ctx;
	int timer; /* the delivery of the outcomes, once all jobs are done */
};

static void lc_async_free(struct lifecycle_refresh *r)
{
	if (r->timer)
		loop_cancel_timer(r->env.loop, r->timer);
	lc_run_free(&r->run);
	for (size_t i = 0; i < r->n; i++)
		free(r->ids[i]);
	free(r->ids);
	free(r);
}

/* From a timer, so that the caller's callback never runs inside a job step
 * (nor inside lifecycle_refresh_start) and may start or cancel anything. */
static void lc_async_deliver(void *ctx)
{
	struct lifecycle_refresh *r = ctx;
	r->timer = 0;
	struct lifecycle_outcome *o = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = lc_outcomes(&r->run, &o, &err);
	r->done(r->ctx, st, o, st == AIAUTH_OK ? r->n : 0, err);
	lifecycle_outcomes_free(o, r->n);
	error_clear(&err);
	lc_async_free(r);
}

static void lc_async_all_done(struct lc_run *run)
{
	struct lifecycle_refresh *r = (struct lifecycle_refresh *)run;
	if (!r->timer)
		r->timer = loop_add_timer(r->env.loop, 0, lc_async_deliver, r);
	/* On OOM (timer 0) lifecycle_refresh_start() reports the failure when
	 * it is still running; later, the run cannot report at all, and stays
	 * until cancelled.  Both leave the secrets as they are. */
}

struct lifecycle_refresh *lifecycle_refresh_start(const struct lifecycle_env *env,
                                                  char *const *ids, size_t n, bool force,
                                                  lifecycle_refresh_done_fn done, void *ctx,
                                                  struct aiauth_error **err)
{
	struct lifecycle_refresh *r = calloc(1, sizeof(*r));
	if (!r || !(r->ids = calloc(n ? n : 1, sizeof(*r->ids)))) {
		free(r);
		error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		return NULL;
	}
	r->env = *env;
	r->done = done;
	r->ctx = ctx;
	for (size_t i = 0; i < n; i++, r->n++) {
		if (!(r->ids[i] = strdup(ids[i]))) {
			lc_async_free(r);
			error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			return NULL;
		}
	}
	r->run.env = &r->env;
	r->run.force = force;
	r->run.on_all_done = lc_async_all_done;
	enum aiauth_status st = lc_run_start(&r->run, r->ids, r->n, err);
	if (st == AIAUTH_OK && r->run.all_done && !r->timer)
		lc_async_all_done(&r->run); /* nothing to do (n == 0), or all done already */
	if (st == AIAUTH_OK && r->run.all_done && !r->timer)
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	if (st != AIAUTH_OK) {
		lc_async_free(r);
		return NULL;
	}
	return r;
}

void lifecycle_refresh_cancel(struct lifecycle_refresh *r)
{
	if (r)
		lc_async_free(r);
}

void lifecycle_outcomes_free(struct lifecycle_outcome *o, size_t n)
{
	if (!o)
		return;
	for (size_t i = 0; i < n; i++) {
		free(o[i].account_id);
		free(o[i].message);
	}
	free(o);
}
