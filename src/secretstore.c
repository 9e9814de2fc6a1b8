/* secretstore.c - the front of the secret store: chooses a backend, says
 * why, and gives every backend the same messages. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "debug.h"
#include "loop.h"
#include "secretstore_backend.h"

#define DEFAULT_PROBE_TIMEOUT_MS 2000

struct secretstore {
	enum secret_backend backend; /* KEYRING or FILE, never AUTO */
	const struct secretstore_ops *ops;
	void *impl;
	char *reason;   /* translated sentence */
	char *location; /* translated phrase or the vault path */
};

static const char *const backend_names[] = {
	[SECRET_BACKEND_AUTO] = "auto",
	[SECRET_BACKEND_KEYRING] = "keyring",
	[SECRET_BACKEND_FILE] = "file",
};

const char *secret_backend_name(enum secret_backend b)
{
	if ((unsigned)b >= sizeof(backend_names) / sizeof(backend_names[0]))
		return "?";
	return backend_names[b];
}

bool secret_backend_parse(const char *s, enum secret_backend *out)
{
	for (size_t i = 0; s && i < sizeof(backend_names) / sizeof(backend_names[0]); i++) {
		if (strcmp(s, backend_names[i]) == 0) {
			*out = (enum secret_backend)i;
			return true;
		}
	}
	return false;
}

/* The probe's deadline when the caller gives none: 2 s, or
 * AIAUTH_KEYRING_PROBE_MS (100 to 60000) for a session bus known to be slow
 * to answer: under valgrind, connecting alone can take longer than 2 s. */
static int default_probe_ms(void)
{
	const char *v = getenv("AIAUTH_KEYRING_PROBE_MS");
	char *end = NULL;
	long ms = v && *v ? strtol(v, &end, 10) : 0;
	return v && *v && *end == '\0' && ms >= 100 && ms <= 60000 ? (int)ms
	                                                          : DEFAULT_PROBE_TIMEOUT_MS;
}

enum aiauth_status secretstore_probe_keyring(int timeout_ms, char **why)
{
	return keyring_probe(timeout_ms > 0 ? timeout_ms : default_probe_ms(), why);
}

/* The probe, timed for the trace. */
static enum aiauth_status probe_traced(int timeout_ms, char **why)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	enum aiauth_status st = secretstore_probe_keyring(timeout_ms, why);
	clock_gettime(CLOCK_MONOTONIC, &b);
	debug_log("store: keyring probe %s in %lld ms%s%s", st == AIAUTH_OK ? "answered" : "failed",
	          (long long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000,
	          *why ? ": " : "", *why ? *why : "");
	return st;
}

/* A backend's detail goes to the caller when the caller has none yet. */
static void error_pass(struct aiauth_error **err, struct aiauth_error **local)
{
	if (err && !*err) {
		*err = *local;
		*local = NULL;
	} else {
		error_clear(local);
	}
}

static char *join_reason(const char *why, const char *tail)
{
	size_t n = strlen(why) + strlen(tail) + 3;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s; %s", why, tail);
	return s;
}

static enum aiauth_status open_keyring(struct secretstore *ss, const struct secretstore_options *o,
                                       struct aiauth_error **err)
{
	enum aiauth_status st = keyring_backend_open(o, &ss->ops, &ss->impl, err);
	if (st != AIAUTH_OK)
		return st;
	ss->backend = SECRET_BACKEND_KEYRING;
	ss->location = strdup(_("the default keyring collection"));
	if (!ss->location)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	return AIAUTH_OK;
}

static enum aiauth_status open_file(struct secretstore *ss, const struct secretstore_options *o,
                                    struct aiauth_error **err)
{
	enum aiauth_status st = file_backend_open(o, &ss->ops, &ss->impl, &ss->location, err);
	if (st != AIAUTH_OK)
		return st;
	ss->backend = SECRET_BACKEND_FILE;
	return AIAUTH_OK;
}

enum aiauth_status secretstore_open(const struct secretstore_options *opts,
                                    struct secretstore **out, struct aiauth_error **err)
{
	static const struct secretstore_options defaults = {0};
	const struct secretstore_options *o = opts ? opts : &defaults;
	enum aiauth_status st = AIAUTH_OK;
	char *why = NULL;
	struct secretstore *ss = calloc(1, sizeof(*ss));

	*out = NULL;
	if (!ss)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));

	switch (o->backend) {
	case SECRET_BACKEND_FILE:
		st = open_file(ss, o, err);
		if (st != AIAUTH_OK)
			goto out;
		ss->reason = strdup(o->reason ? o->reason : _("the encrypted file was asked for"));
		break;
	case SECRET_BACKEND_KEYRING:
		/* Forced or not, a keyring that cannot answer must not be used:
		 * the first libsecret call would wait for a prompt or a bus. */
		st = probe_traced(o->probe_timeout_ms, &why);
		if (st != AIAUTH_OK) {
			st = error_set(err, st, _("the keyring is not available: %s"),
			               why ? why : _("no Secret Service on the session bus"));
			goto out;
		}
		st = open_keyring(ss, o, err);
		if (st != AIAUTH_OK)
			goto out;
		ss->reason = strdup(o->reason ? o->reason : _("the keyring was asked for"));
		break;
	case SECRET_BACKEND_AUTO:
	default:
		st = probe_traced(o->probe_timeout_ms, &why);
		if (st == AIAUTH_NO_MEMORY) {
			st = error_set(err, st, "%s", _("out of memory"));
			goto out;
		}
		if (st == AIAUTH_OK) {
			struct aiauth_error *kerr = NULL;
			st = open_keyring(ss, o, &kerr);
			if (st == AIAUTH_OK) {
				ss->reason = strdup(_("a Secret Service answered on the session bus"));
				break;
			}
			if (st == AIAUTH_NO_MEMORY) {
				error_pass(err, &kerr);
				goto out;
			}
			/* The probe passed but libsecret did not: still the file,
			 * and the reason says what went wrong. */
			why = strdup(kerr ? kerr->message : _("the keyring could not be opened"));
			error_clear(&kerr);
			if (ss->impl)
				ss->ops->close(ss->impl);
			ss->ops = NULL;
			ss->impl = NULL;
			free(ss->location);
			ss->location = NULL;
		}
		ss->reason = join_reason(why ? why : _("no Secret Service on the session bus"),
		                         _("using the encrypted file instead"));
		if (!ss->reason) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
		st = open_file(ss, o, err);
		if (st != AIAUTH_OK) {
			/* Say why the file was tried at all. */
			error_prefix(err, "%s: ", ss->reason);
			goto out;
		}
		break;
	}
	if (!ss->reason) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	debug_log("store: %s (%s), %s", secret_backend_name(ss->backend), secretstore_location(ss),
	          ss->reason);
	*out = ss;
	ss = NULL;
out:
	if (st != AIAUTH_OK)
		debug_log("store: cannot open the %s backend: %s", secret_backend_name(o->backend),
		          status_text(st));
	free(why);
	secretstore_close(ss);
	return st;
}

void secretstore_close(struct secretstore *ss)
{
	if (!ss)
		return;
	if (ss->ops && ss->impl)
		ss->ops->close(ss->impl);
	free(ss->reason);
	free(ss->location);
	free(ss);
}

enum secret_backend secretstore_backend(const struct secretstore *ss)
{
	return ss->backend;
}

const char *secretstore_reason(const struct secretstore *ss)
{
	return ss->reason;
}

const char *secretstore_location(const struct secretstore *ss)
{
	return ss->location ? ss->location : "";
}

static enum aiauth_status check_id(const char *account_id, struct aiauth_error **err)
{
	if (!account_id || !*account_id)
		return error_set(err, AIAUTH_USAGE, "%s", _("an account id is needed"));
	return AIAUTH_OK;
}

enum aiauth_status secretstore_get(struct secretstore *ss, const char *account_id,
                                   struct secret **out, struct aiauth_error **err)
{
	struct aiauth_error *local = NULL;
	*out = NULL;
	enum aiauth_status st = check_id(account_id, err);
	if (st != AIAUTH_OK)
		return st;
	st = ss->ops->get(ss->impl, account_id, out, &local);
	if (st == AIAUTH_NOT_FOUND) {
		/* Backends need not say it; the front says it the same way. */
		error_clear(&local);
		return error_set(err, AIAUTH_NOT_FOUND, _("no secret is stored for account %s"),
		                 account_id);
	}
	if (st != AIAUTH_OK) {
		SECRET_FREE(*out);
		if (!local)
			error_set(&local, st, "%s", _(status_text(st)));
	}
	error_pass(err, &local);
	return st;
}

static const struct secret_meta no_meta = {0};

static enum aiauth_status check_put(const char *account_id, const struct secret *value,
                                    struct aiauth_error **err)
{
	enum aiauth_status st = check_id(account_id, err);
	if (st == AIAUTH_OK && !value)
		st = error_set(err, AIAUTH_USAGE, "%s", _("no secret to store"));
	return st;
}

enum aiauth_status secretstore_put(struct secretstore *ss, const char *account_id,
                                   const struct secret_meta *meta, const struct secret *value,
                                   struct aiauth_error **err)
{
	enum aiauth_status st = check_put(account_id, value, err);
	if (st != AIAUTH_OK)
		return st;
	return ss->ops->put(ss->impl, account_id, meta ? meta : &no_meta, value, err);
}

struct secretstore_put_op {
	struct secretstore *ss;
	struct loop *loop;
	void *handle; /* the backend's put in flight */
	int timer;    /* the report of a put that ended at once */
	enum aiauth_status status;
	struct aiauth_error *err;
	secretstore_put_done_fn done;
	void *ctx;
};

static void put_op_report(struct secretstore_put_op *op, enum aiauth_status st,
                          struct aiauth_error **err)
{
	if (st != AIAUTH_OK && !*err)
		error_set(err, st, "%s", _(status_text(st)));
	op->done(op->ctx, st, err);
	error_clear(err);
	free(op);
}

static void put_op_ended(void *ctx, enum aiauth_status st, struct aiauth_error **err)
{
	struct secretstore_put_op *op = ctx;
	op->handle = NULL;
	put_op_report(op, st, err);
}

static void put_op_timer(void *ctx)
{
	struct secretstore_put_op *op = ctx;
	op->timer = 0;
	put_op_report(op, op->status, &op->err);
}

enum aiauth_status secretstore_put_start(struct secretstore *ss, struct loop *loop,
                                         const char *account_id, const struct secret_meta *meta,
                                         const struct secret *value, secretstore_put_done_fn done,
                                         void *ctx, struct secretstore_put_op **out,
                                         struct aiauth_error **err)
{
	*out = NULL;
	enum aiauth_status st = check_put(account_id, value, err);
	if (st != AIAUTH_OK)
		return st;
	struct secretstore_put_op *op = calloc(1, sizeof(*op));
	if (!op)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	*op = (struct secretstore_put_op){.ss = ss, .loop = loop, .done = done, .ctx = ctx};
	if (!meta)
		meta = &no_meta;
	if (ss->ops->put_start)
		st = ss->ops->put_start(ss->impl, loop, account_id, meta, value, put_op_ended, op,
		                        &op->handle, &op->err);
	else
		st = ss->ops->put(ss->impl, account_id, meta, value, &op->err);
	if (op->handle) {
		*out = op;
		return AIAUTH_OK;
	}
	/* Ended here: reported from the loop all the same, never from within
	 * this call. */
	op->status = st;
	op->timer = loop_add_timer(loop, 0, put_op_timer, op);
	if (!op->timer) {
		error_clear(&op->err);
		free(op);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	*out = op;
	return AIAUTH_OK;
}

void secretstore_put_abandon(struct secretstore_put_op *op)
{
	if (!op)
		return;
	if (op->timer)
		loop_cancel_timer(op->loop, op->timer);
	if (op->handle)
		op->ss->ops->put_wait(op->ss->impl, op->handle);
	error_clear(&op->err);
	free(op);
}

enum aiauth_status secretstore_delete(struct secretstore *ss, const char *account_id,
                                      struct aiauth_error **err)
{
	enum aiauth_status st = check_id(account_id, err);
	if (st != AIAUTH_OK)
		return st;
	struct aiauth_error *local = NULL;
	st = ss->ops->del(ss->impl, account_id, &local);
	if (st == AIAUTH_NOT_FOUND) {
		error_clear(&local);
		return AIAUTH_OK;
	}
	error_pass(err, &local);
	return st;
}

enum aiauth_status secretstore_list(struct secretstore *ss, char ***ids, size_t *n,
                                    struct aiauth_error **err)
{
	*ids = NULL;
	*n = 0;
	return ss->ops->list(ss->impl, ids, n, err);
}

void secretstore_free_ids(char **ids, size_t n)
{
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
