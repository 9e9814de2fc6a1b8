/* session.c - the rules that span modules, shared by every front end.
 *
 * Moved here from the command line (src/cli/context.c, cmd_accounts.c and
 * cmd_login.c) so that the screens follow the same rules with the same
 * messages.  Nothing here prints; the passphrase is asked through the front
 * end's callback. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "lifecycle.h"
#include "session.h"

struct session {
	struct session_options opts;
	struct registry *registry;  /* loaded on first use */
	struct secretstore *secrets; /* opened on first use, by the rules */
	struct loop *loop;           /* made on first use */
};

struct session *session_new(const struct session_options *opts)
{
	struct session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (opts)
		s->opts = *opts;
	else
		s->opts.forced_backend = SECRET_BACKEND_AUTO;
	return s;
}

enum secret_backend session_forced_backend(const struct session *s)
{
	return s->opts.forced_backend;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	if (s->loop)
		loop_free(s->loop);
	if (s->secrets)
		secretstore_close(s->secrets);
	if (s->registry)
		registry_free(s->registry);
	free(s);
}

enum aiauth_status session_registry(struct session *s, struct registry **out,
                                    struct aiauth_error **err)
{
	if (!s->registry) {
		enum aiauth_status st = registry_load(NULL, &s->registry, err);
		if (st != AIAUTH_OK)
			return st;
	}
	*out = s->registry;
	return AIAUTH_OK;
}

enum aiauth_status session_provider(struct session *s, const char *id,
                                    const struct provider **out, struct aiauth_error **err)
{
	struct registry *reg;
	enum aiauth_status st = session_registry(s, &reg, err);
	if (st != AIAUTH_OK)
		return st;
	const struct provider *p = registry_find(reg, id);
	if (!p)
		return error_set(err, AIAUTH_USAGE,
		                 _("unknown provider \"%s\" (see 'aiauth providers')"), id);
	*out = p;
	return AIAUTH_OK;
}

enum aiauth_status session_secrets_open(struct session *s, enum secret_backend backend,
                                        const char *reason, struct secretstore **out,
                                        struct aiauth_error **err)
{
	struct secretstore_options opts = {
		.backend = backend,
		.reason = reason,
		.get_passphrase = s->opts.get_passphrase,
		.passphrase_ctx = s->opts.passphrase_ctx,
	};
	return secretstore_open(&opts, out, err);
}

enum aiauth_status session_secrets(struct session *s, struct secretstore **out,
                                   struct aiauth_error **err)
{
	if (s->secrets) {
		*out = s->secrets;
		return AIAUTH_OK;
	}
	enum secret_backend backend = s->opts.forced_backend;
	const char *reason = backend != SECRET_BACKEND_AUTO ? _("chosen with --store") : NULL;
	if (backend == SECRET_BACKEND_AUTO) {
		/* Once secrets are stored somewhere, they stay there: flipping to a
		 * fresh, empty file because the keyring is missing in this session
		 * would only hide them. */
		struct store *store = NULL;
		enum aiauth_status st = store_load(NULL, &store, err);
		if (st != AIAUTH_OK)
			return st;
		if (store->secret_backend &&
		    secret_backend_parse(store->secret_backend, &backend) &&
		    backend != SECRET_BACKEND_AUTO)
			reason = _("your secrets are kept there");
		else
			backend = SECRET_BACKEND_AUTO;
		store_free(store);
	}
	enum aiauth_status st = session_secrets_open(s, backend, reason, &s->secrets, err);
	if (st != AIAUTH_OK) {
		if (backend == SECRET_BACKEND_KEYRING && s->opts.forced_backend == SECRET_BACKEND_AUTO)
			error_prefix(err, "%s",
			             _("your secrets are in the keyring, which cannot be used now "
			               "(use 'aiauth store migrate --to file' where it can): "));
		return st;
	}
	*out = s->secrets;
	return AIAUTH_OK;
}

enum aiauth_status session_loop(struct session *s, struct loop **out, struct aiauth_error **err)
{
	if (!s->loop) {
		enum aiauth_status st = loop_new(&s->loop, err);
		if (st != AIAUTH_OK)
			return st;
	}
	*out = s->loop;
	return AIAUTH_OK;
}

/* ------------------------------------------------- recording the backend */

struct record_backend_ctx {
	const char *name;
	bool overwrite;
};

static enum aiauth_status record_backend_cb(struct store *store, void *ctx,
                                            struct aiauth_error **err)
{
	struct record_backend_ctx *rb = ctx;
	if (store->secret_backend && !rb->overwrite)
		return AIAUTH_OK;
	if (store->secret_backend && strcmp(store->secret_backend, rb->name) == 0)
		return AIAUTH_OK;
	char *copy = strdup(rb->name);
	if (!copy)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	free(store->secret_backend);
	store->secret_backend = copy;
	store->dirty = true;
	return AIAUTH_OK;
}

enum aiauth_status session_record_backend(enum secret_backend backend, bool overwrite,
                                          struct aiauth_error **err)
{
	struct record_backend_ctx rb = {secret_backend_name(backend), overwrite};
	return store_update(NULL, record_backend_cb, &rb, err);
}

/* ------------------------------------------------------------- resolving */

struct resolve_ctx {
	const char *provider;
	const char *name;
	struct account *found;
};

static enum aiauth_status resolve_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct resolve_ctx *rc = ctx;
	struct account *a = NULL;
	enum aiauth_status st = store_resolve(store, rc->provider, rc->name, &a, err);
	if (st != AIAUTH_OK)
		return st;
	rc->found = account_dup(a);
	if (!rc->found)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	return AIAUTH_OK;
}

enum aiauth_status session_resolve(struct session *s, const char *provider,
                                   const char *account_name, struct account **account,
                                   struct credential **cred, struct aiauth_error **err)
{
	const struct provider *p;
	enum aiauth_status st = session_provider(s, provider, &p, err);
	if (st != AIAUTH_OK)
		return st;
	/* The round-robin cursor moves inside the same locked update that
	 * chooses the account, so concurrent callers each get the next one. */
	struct resolve_ctx rc = {provider, account_name, NULL};
	st = store_update(NULL, resolve_cb, &rc, err);
	if (st != AIAUTH_OK) {
		account_free(rc.found);
		return st;
	}
	struct account *a = rc.found;
	if (a->status == ACCOUNT_STATUS_NEEDS_SIGNIN) {
		st = error_set(err, AIAUTH_NEEDS_SIGNIN,
		               _("the %s account \"%s\" needs to sign in again (aiauth login %s)"),
		               provider, a->label, provider);
		account_free(a);
		return st;
	}
	*cred = NULL;
	if (a->kind == ACCOUNT_OAUTH) {
		/* OAuth tokens are refreshed before they are handed out. */
		struct registry *reg;
		struct secretstore *ss;
		struct loop *loop;
		if ((st = session_registry(s, &reg, err)) == AIAUTH_OK &&
		    (st = session_secrets(s, &ss, err)) == AIAUTH_OK &&
		    (st = session_loop(s, &loop, err)) == AIAUTH_OK) {
			struct lifecycle_env env = {loop, reg, ss, NULL, 0};
			st = lifecycle_ensure_fresh(&env, a->id, false, cred, err);
		}
		if (st != AIAUTH_OK) {
			account_free(a);
			return st;
		}
	} else if (a->kind != ACCOUNT_NONE) {
		struct secretstore *ss;
		struct secret *blob = NULL;
		st = session_secrets(s, &ss, err);
		if (st == AIAUTH_OK)
			st = secretstore_get(ss, a->id, &blob, err);
		if (st == AIAUTH_OK) {
			st = credential_from_blob(blob, cred, err);
			secret_free(blob);
		}
		if (st != AIAUTH_OK) {
			error_prefix(err, _("%s account \"%s\": "), provider, a->label);
			account_free(a);
			return st;
		}
	}
	*account = a;
	return AIAUTH_OK;
}

/* ------------------------------------------------------------------ add */

struct add_ctx {
	const struct account *tmpl;
	char *id;    /* of the account added */
	char *label; /* as the store made it */
	bool first;
};

static enum aiauth_status add_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct add_ctx *ac = ctx;
	struct account *added = NULL;
	enum aiauth_status st = store_add(store, ac->tmpl, &added, err);
	if (st != AIAUTH_OK)
		return st;
	ac->id = strdup(added->id);
	ac->label = strdup(added->label);
	const char *active = store_active_id(store, added->provider);
	ac->first = active && strcmp(active, added->id) == 0;
	return ac->id && ac->label ? AIAUTH_OK
	                           : error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
}

struct mark_ctx {
	const char *id;
	bool has_secret;
};

static enum aiauth_status mark_secret_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	(void)err;
	struct mark_ctx *mc = ctx;
	struct account *a = store_find_id(store, mc->id);
	if (a && a->has_secret != mc->has_secret) {
		a->has_secret = mc->has_secret;
		store->dirty = true;
	}
	return AIAUTH_OK;
}

static enum aiauth_status remove_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	return store_remove(store, ctx, err);
}

/* session_add_account(), also giving the new account's id (*id, caller
 * frees) for session_save_oauth(). */
static enum aiauth_status add_account(struct session *s, const struct provider *p,
                                      const struct account *tmpl, const struct secret *blob,
                                      char **id, char **label, bool *active,
                                      struct aiauth_error **err)
{
	struct secretstore *ss = NULL;
	enum aiauth_status st;
	/* The store is opened (and a passphrase asked) before anything is
	 * written, so a missing backend leaves no trace. */
	if (blob && (st = session_secrets(s, &ss, err)) != AIAUTH_OK)
		return st;
	struct add_ctx ac = {tmpl, NULL, NULL, false};
	if ((st = store_update(NULL, add_cb, &ac, err)) != AIAUTH_OK)
		goto out;
	if (ss) {
		struct secret_meta meta = {p->id, _(p->name), ac.label, account_kind_name(tmpl->kind)};
		if ((st = secretstore_put(ss, ac.id, &meta, blob, err)) != AIAUTH_OK) {
			/* No account without its secret: take the half-made one back. */
			store_update(NULL, remove_cb, ac.id, NULL);
			goto out;
		}
		struct mark_ctx mc = {ac.id, true};
		if ((st = store_update(NULL, mark_secret_cb, &mc, err)) != AIAUTH_OK)
			goto out;
		if ((st = session_record_backend(secretstore_backend(ss), false, err)) != AIAUTH_OK)
			goto out;
	}
	if (id) {
		*id = ac.id;
		ac.id = NULL;
	}
	*label = ac.label;
	ac.label = NULL;
	if (active)
		*active = ac.first;
out:
	free(ac.id);
	free(ac.label);
	return st;
}

enum aiauth_status session_add_account(struct session *s, const struct provider *p,
                                       const struct account *tmpl, const struct secret *blob,
                                       char **label, bool *active, struct aiauth_error **err)
{
	return add_account(s, p, tmpl, blob, NULL, label, active, err);
}

/* ---------------------------------------------------- saving a sign-in */

void session_saved_clear(struct session_saved *saved)
{
	if (!saved)
		return;
	free(saved->account_id);
	free(saved->label);
	free(saved->email);
	*saved = (struct session_saved){0};
}

struct relogin_ctx {
	const char *provider;
	const char *email;
	const char *label;
	int64_t expires_at;
	char *id;    /* the account signed in again, if any */
	char *shown; /* its label */
	bool active; /* it is the provider's active account */
};

/* Signing in again to an account we know (same provider and email) renews
 * it instead of making a second one. */
static enum aiauth_status relogin_find_cb(struct store *store, void *ctx,
                                          struct aiauth_error **err)
{
	struct relogin_ctx *rc = ctx;
	for (size_t i = 0; i < store->n_accounts; i++) {
		struct account *a = &store->accounts[i];
		if (a->kind != ACCOUNT_OAUTH || strcmp(a->provider, rc->provider) != 0 || !a->email ||
		    strcmp(a->email, rc->email) != 0)
			continue;
		if (rc->label && strcmp(rc->label, a->label) != 0)
			continue;
		rc->id = strdup(a->id);
		rc->shown = strdup(a->label);
		if (!rc->id || !rc->shown)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		return AIAUTH_OK;
	}
	return AIAUTH_OK;
}

static enum aiauth_status relogin_mark_cb(struct store *store, void *ctx,
                                          struct aiauth_error **err)
{
	struct relogin_ctx *rc = ctx;
	struct account *a = store_find_id(store, rc->id);
	if (!a)
		return error_set(err, AIAUTH_NOT_FOUND, "%s",
		                 _("the account was removed while signing in; sign in again"));
	a->status = ACCOUNT_STATUS_OK;
	a->expires_at = rc->expires_at;
	a->has_secret = true;
	free(a->last_refresh_outcome);
	a->last_refresh_outcome = NULL;
	store->dirty = true;
	const char *active = store_active_id(store, a->provider);
	rc->active = active && strcmp(active, a->id) == 0;
	return AIAUTH_OK;
}

static int64_t cred_expires_at(const struct credential *cred)
{
	const struct secret *s = credential_get(cred, "expires_at");
	return s ? strtoll((const char *)s->buf, NULL, 10) : 0;
}

enum aiauth_status session_save_oauth(struct session *s, const struct provider *p,
                                      const struct oauth_endpoints *ep, const char *method,
                                      struct credential *cred, const char *label,
                                      struct session_saved *saved, struct aiauth_error **err)
{
	enum aiauth_status st;
	struct secret *blob = NULL;
	char *email = NULL, *shown = NULL, *id = NULL;
	struct relogin_ctx rc = {0};
	*saved = (struct session_saved){0};
	const struct secret *id_token = credential_get(cred, "id_token");
	email = oauth_id_token_email(id_token ? (const char *)id_token->buf : NULL);
	if (!email && ep && ep->userinfo) {
		struct loop *loop;
		if ((st = session_loop(s, &loop, err)) != AIAUTH_OK)
			goto out;
		email = oauth_userinfo_email(loop, ep->userinfo, credential_get(cred, "access_token"));
	}
	if ((st = credential_to_blob(cred, &blob, err)) != AIAUTH_OK)
		goto out;
	if (email) {
		rc = (struct relogin_ctx){p->id, email, label, cred_expires_at(cred), NULL, NULL, false};
		if ((st = store_update(NULL, relogin_find_cb, &rc, err)) != AIAUTH_OK)
			goto out;
	}
	if (rc.id) {
		struct secretstore *ss;
		struct secret_meta meta = {p->id, _(p->name), rc.shown, "oauth"};
		if ((st = session_secrets(s, &ss, err)) != AIAUTH_OK ||
		    (st = secretstore_put(ss, rc.id, &meta, blob, err)) != AIAUTH_OK ||
		    (st = store_update(NULL, relogin_mark_cb, &rc, err)) != AIAUTH_OK)
			goto out;
		*saved = (struct session_saved){rc.id, rc.shown, email, true, rc.active};
		rc.id = rc.shown = email = NULL;
		goto out;
	}
	struct account tmpl = {
	    .provider = p->id,
	    .kind = ACCOUNT_OAUTH,
	    .method = (char *)method,
	    .email = email,
	    .label = (char *)label,
	    .expires_at = cred_expires_at(cred),
	};
	bool first = false;
	if ((st = add_account(s, p, &tmpl, blob, &id, &shown, &first, err)) != AIAUTH_OK)
		goto out;
	*saved = (struct session_saved){id, shown, email, false, first};
	id = shown = email = NULL;
out:
	free(rc.id);
	free(rc.shown);
	free(id);
	free(email);
	free(shown);
	secret_free(blob);
	credential_free(cred);
	return st;
}
