/* sync.c - sync and import over credfiles.h and the session (contract in
 * sync.h).  Moved here from the command line so the screens offer the same
 * operations; the sentences are the ones `aiauth sync` always printed. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credential.h"
#include "credfiles.h"
#include "debug.h"
#include "fsutil.h"
#include "i18n.h"
#include "oauth.h"
#include "store.h"
#include "sync.h"

/* ------------------------------------------------------------ helpers */

static const char *verdict_name(enum credfile_verdict v)
{
	switch (v) {
	case CREDFILE_SAME: return "it holds the same tokens";
	case CREDFILE_OURS_NEWER: return "ours are newer";
	case CREDFILE_FILE_NEWER: return "the CLI refreshed on its own: taking its tokens in";
	case CREDFILE_OTHER_ACCOUNT: return "it holds another account";
	}
	return "?";
}

static enum aiauth_status oom(struct aiauth_error **err)
{
	return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
}

/* A newly allocated sentence, or NULL when memory ran out. */
static char *sentence(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sentence(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static enum aiauth_status add_line(struct sync_result *r, char *line, struct aiauth_error **err)
{
	if (!line)
		return oom(err);
	if (r->n_lines >= SYNC_MAX_LINES) { /* cannot happen: see SYNC_MAX_LINES */
		free(line);
		return AIAUTH_OK;
	}
	r->lines[r->n_lines++] = line;
	return AIAUTH_OK;
}

/* "~/.claude/.credentials.json", for messages. */
static const char *shown_path(const struct credfile_tool_info *t, char *buf, size_t n)
{
	snprintf(buf, n, "~/%s/%s", t->dir, t->file);
	return buf;
}

void sync_result_clear(struct sync_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_lines; i++)
		free(r->lines[i]);
	free(r->warning);
	memset(r, 0, sizeof(*r));
}

void import_result_clear(struct import_result *r)
{
	if (!r)
		return;
	free(r->provider);
	free(r->label);
	free(r->line);
	free(r->warning);
	memset(r, 0, sizeof(*r));
}

bool sync_has_file(const char *provider)
{
	const struct credfile_tool_info *t = credfile_tool_for_provider(provider);
	return t && !t->unsupported;
}

struct pick_ctx {
	const char *provider;
	const char *name;
	struct account *found;
};

/* The account sync writes: the one named, else the active one, else what
 * `token` would answer (the pool). */
static enum aiauth_status pick_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct pick_ctx *pc = ctx;
	struct account *a = NULL;
	const char *active = pc->name ? NULL : store_active_id(store, pc->provider);
	if (active)
		a = store_find_id(store, active);
	if (!a) {
		enum aiauth_status st = store_resolve(store, pc->provider, pc->name, &a, err);
		if (st != AIAUTH_OK)
			return st;
	}
	pc->found = account_dup(a);
	return pc->found ? AIAUTH_OK : oom(err);
}

/* The per-account refresh lock of lifecycle.h, so that a refresh running
 * at the same moment and a take-in do not cross. */
static enum aiauth_status lock_account(const char *id, int *fd, struct aiauth_error **err)
{
	char *config = NULL, *dir = NULL, *path = NULL;
	enum aiauth_status st = paths_config_dir(&config, err);
	if (st == AIAUTH_OK && !(dir = path_join(config, "locks")))
		st = oom(err);
	if (st == AIAUTH_OK)
		st = fs_mkdir_private(dir, err);
	if (st == AIAUTH_OK) {
		size_t n = strlen(dir) + strlen(id) + 8;
		path = malloc(n);
		if (path)
			snprintf(path, n, "%s/%s.lock", dir, id);
		else
			st = oom(err);
	}
	if (st == AIAUTH_OK)
		st = fs_lock(path, true, fd, err);
	free(path);
	free(dir);
	free(config);
	return st;
}

struct record_ctx {
	const char *id;
	int64_t expires_at;
};

static enum aiauth_status record_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	(void)err;
	const struct record_ctx *rc = ctx;
	struct account *a = store_find_id(store, rc->id);
	if (!a)
		return AIAUTH_OK;
	/* Fresh tokens from the CLI: whatever failed before is behind us. */
	a->expires_at = rc->expires_at;
	a->status = ACCOUNT_STATUS_OK;
	store->dirty = true;
	return AIAUTH_OK;
}

static enum aiauth_status read_secret(struct session *s, const char *id, struct credential **out,
                                      struct aiauth_error **err)
{
	struct secretstore *ss;
	struct secret *blob = NULL;
	enum aiauth_status st = session_secrets(s, &ss, err);
	if (st == AIAUTH_OK)
		st = secretstore_get(ss, id, &blob, err);
	if (st == AIAUTH_OK)
		st = credential_from_blob(blob, out, err);
	secret_free(blob);
	return st;
}

/* Compare the file with the account's stored secret under its lock, and
 * take the file's tokens in when the CLI refreshed since.  The verdict is
 * in *verdict; *warning (caller frees) says when the account list could
 * not record the new expiry. */
static enum aiauth_status take_in_if_newer(struct session *s, const struct provider *p,
                                           const struct account *a,
                                           const struct credfile_contents *fc,
                                           enum credfile_verdict *verdict, char **warning,
                                           struct aiauth_error **err)
{
	int fd = -1;
	struct credential *ours = NULL, *merged = NULL;
	struct secret *blob = NULL;
	enum aiauth_status st = lock_account(a->id, &fd, err);
	if (st == AIAUTH_OK)
		st = read_secret(s, a->id, &ours, err);
	if (st != AIAUTH_OK)
		goto out;
	*verdict = credfile_compare(ours, a->email, fc);
	if (debug_on()) {
		char who[48];
		debug_log("sync %s: compared with the CLI's file: %s",
		          debug_account(p->id, a->id, who, sizeof(who)), verdict_name(*verdict));
	}
	if (*verdict != CREDFILE_FILE_NEWER)
		goto out;
	if (credfile_take_in(ours, fc, &merged) != AIAUTH_OK) {
		st = oom(err);
		goto out;
	}
	struct secretstore *ss;
	struct secret_meta meta = {p->id, _(p->name), a->label, "oauth"};
	if ((st = credential_to_blob(merged, &blob, err)) != AIAUTH_OK ||
	    (st = session_secrets(s, &ss, err)) != AIAUTH_OK ||
	    (st = secretstore_put(ss, a->id, &meta, blob, err)) != AIAUTH_OK)
		goto out;
	/* The secret is what counts; a store that cannot be written only
	 * shows a stale expiry until the next refresh. */
	struct record_ctx rc = {a->id, fc->expires_at};
	struct aiauth_error *rerr = NULL;
	if (store_update(NULL, record_cb, &rc, &rerr) != AIAUTH_OK && warning && !*warning)
		*warning = sentence("%s", rerr ? rerr->message : _("the account list was not updated"));
	error_clear(&rerr);
out:
	if (fd >= 0)
		fs_unlock(fd);
	credential_free(ours);
	credential_free(merged);
	secret_free(blob);
	return st;
}

/* ---------------------------------------------------------------- sync */

enum aiauth_status sync_provider(struct session *s, const char *provider, const char *name,
                                 unsigned flags, struct sync_result *out,
                                 struct aiauth_error **err)
{
	const struct credfile_tool_info *t = credfile_tool_for_provider(provider);
	const struct provider *p = NULL;
	struct pick_ctx pc = {provider, name, NULL};
	struct credfile_contents fc = {0};
	struct account *acc = NULL;
	struct credential *cred = NULL;
	char where[128];
	enum aiauth_status st;
	if ((st = session_provider(s, provider, &p, err)) != AIAUTH_OK)
		return st;
	if (!t)
		return error_set(err, AIAUTH_USAGE,
		                 _("%s has no CLI credential file (sync knows claude, chatgpt, openai "
		                   "and google)"),
		                 p->id);
	out->tool = t;
	if (t->unsupported)
		return error_set(err, AIAUTH_UNSUPPORTED, "%s", _(t->unsupported));
	st = store_update(NULL, pick_cb, &pc, err);
	if (st == AIAUTH_NOT_CONFIGURED && (flags & SYNC_SKIP_UNCONFIGURED)) {
		error_clear(err);
		out->skipped = true;
		return AIAUTH_OK;
	}
	if (st != AIAUTH_OK)
		return st;
	struct account *a = pc.found;
	bool api_key = a->kind == ACCOUNT_API_KEY;
	if (a->status == ACCOUNT_STATUS_NEEDS_SIGNIN) {
		st = error_set(err, AIAUTH_NEEDS_SIGNIN,
		               _("the %s account \"%s\" needs to sign in again (aiauth login %s)"),
		               p->id, a->label, p->id);
		goto out;
	}
	if (api_key ? !(t->key_provider && strcmp(t->key_provider, p->id) == 0)
	            : (a->kind != ACCOUNT_OAUTH || strcmp(t->oauth_provider, p->id) != 0)) {
		st = error_set(err, AIAUTH_UNSUPPORTED,
		               _("%s cannot hold the %s account \"%s\" (its kind is %s)"), t->tool_name,
		               p->id, a->label, account_kind_name(a->kind));
		goto out;
	}
	shown_path(t, where, sizeof(where));

	/* What the file holds now; a damaged file stops everything. */
	st = credfile_read(t, NULL, &fc, err);
	if (st == AIAUTH_NOT_FOUND) {
		error_clear(err);
		st = AIAUTH_OK;
	} else if (st != AIAUTH_OK) {
		goto out;
	}
	if (!api_key && fc.cred && !fc.api_key) {
		enum credfile_verdict v;
		if ((st = take_in_if_newer(s, p, a, &fc, &v, &out->warning, err)) != AIAUTH_OK)
			goto out;
		if (v == CREDFILE_OTHER_ACCOUNT && !(flags & SYNC_FORCE)) {
			st = error_set(err, AIAUTH_FAILED,
			               _("%s holds another account (%s), not %s \"%s\": import it with "
			                 "'aiauth import %s', or overwrite it with 'aiauth sync %s --force'"),
			               where, fc.email, p->id, a->label, t->name, p->id);
			goto out;
		}
		if (v == CREDFILE_FILE_NEWER) {
			out->took_in = true;
			st = add_line(out,
			              sentence(_("%s had refreshed its own token: its tokens now belong to "
			                         "%s account \"%s\" (%s was kept as it is)."),
			                       t->tool_name, p->id, a->label, where),
			              err);
			if (st != AIAUTH_OK)
				goto out;
		}
	}
	/* Refreshed if it expires soon; the account is named, so no pool turn. */
	if ((st = session_resolve(s, p->id, a->id, &acc, &cred, err)) != AIAUTH_OK)
		goto out;
	if (fc.cred && fc.api_key == api_key && credfile_compare(cred, NULL, &fc) == CREDFILE_SAME) {
		debug_log("sync %s: %s is up to date, nothing written", p->id, where);
		out->already = true;
		if (!out->took_in)
			st = add_line(out,
			              sentence(_("%s already holds %s account \"%s\"."), where, p->id,
			                       a->label),
			              err);
		goto out;
	}
	debug_log("sync %s: writing %s", p->id, where);
	if ((st = credfile_write(t, NULL, cred, api_key, oauth_now(), err)) != AIAUTH_OK)
		goto out;
	out->wrote = true;
	st = add_line(out, sentence(_("Wrote %s account \"%s\" to %s."), p->id, a->label, where),
	              err);
out:
	credfile_contents_clear(&fc);
	credential_free(cred);
	account_free(acc);
	account_free(pc.found);
	return st;
}

enum aiauth_status sync_auto(struct session *s, const char *provider,
                             struct sync_auto_entry **entries, size_t *n,
                             struct aiauth_error **err)
{
	*entries = NULL;
	*n = 0;
	bool on = false;
	enum aiauth_status st = credfile_auto_sync_get(NULL, &on, err);
	if (st != AIAUTH_OK || !on)
		return st;
	struct sync_auto_entry *e = calloc(CREDFILE_TOOL_COUNT, sizeof(*e));
	if (!e)
		return oom(err);
	size_t k = 0;
	for (int i = 0; i < CREDFILE_TOOL_COUNT; i++) {
		const struct credfile_tool_info *t = credfile_tool((enum credfile_tool)i);
		if (t->unsupported)
			continue;
		const char *which = t->oauth_provider;
		if (provider) {
			if (strcmp(provider, t->oauth_provider) != 0 &&
			    !(t->key_provider && strcmp(provider, t->key_provider) == 0))
				continue;
			which = provider;
		}
		e[k].provider = which;
		e[k].status = sync_provider(s, which, NULL, SYNC_SKIP_UNCONFIGURED, &e[k].result,
		                            &e[k].error);
		k++;
	}
	*entries = e;
	*n = k;
	return AIAUTH_OK;
}

void sync_auto_free(struct sync_auto_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++) {
		sync_result_clear(&entries[i].result);
		error_clear(&entries[i].error);
	}
	free(entries);
}

/* -------------------------------------------------------------- import */

/* The account of `p` that already holds these credentials: same email,
 * else same refresh token (or API key).  *found (caller frees) or NULL. */
static enum aiauth_status find_imported(struct session *s, const struct provider *p,
                                        const struct credfile_contents *fc,
                                        struct account **found, struct aiauth_error **err)
{
	*found = NULL;
	struct store *store = NULL;
	enum aiauth_status st = store_load(NULL, &store, err);
	if (st != AIAUTH_OK)
		return st;
	enum account_kind kind = fc->api_key ? ACCOUNT_API_KEY : ACCOUNT_OAUTH;
	const char *field = fc->api_key ? "api_key"
	                    : credential_get(fc->cred, "refresh_token") ? "refresh_token"
	                                                                : "access_token";
	const struct account *match = NULL;
	for (size_t i = 0; !match && i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		if (a->kind == kind && strcmp(a->provider, p->id) == 0 && fc->email && a->email &&
		    strcasecmp(fc->email, a->email) == 0)
			match = a;
	}
	for (size_t i = 0; !match && i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		if (a->kind != kind || strcmp(a->provider, p->id) != 0 || !a->has_secret)
			continue;
		struct credential *c = NULL;
		struct aiauth_error *rerr = NULL;
		st = read_secret(s, a->id, &c, &rerr);
		if (st == AIAUTH_NOT_FOUND || st == AIAUTH_CORRUPT) {
			error_clear(&rerr); /* nothing to compare with */
			st = AIAUTH_OK;
			continue;
		}
		if (st != AIAUTH_OK) {
			error_set(err, st, "%s", rerr ? rerr->message : _("failed"));
			error_clear(&rerr);
			break;
		}
		const struct secret *x = credential_get(c, field), *y = credential_get(fc->cred, field);
		if (x && y && secret_equal(x, y))
			match = a;
		credential_free(c);
	}
	if (st == AIAUTH_OK && match && !(*found = account_dup(match)))
		st = oom(err);
	store_free(store);
	return st;
}

/* "claude (imported)", or "claude (imported 2)"... when taken. */
static char *import_label(const struct provider *p, struct aiauth_error **err)
{
	struct store *store = NULL;
	if (store_load(NULL, &store, err) != AIAUTH_OK)
		return NULL;
	char *label = NULL;
	for (int n = 1; n < 1000 && !label; n++) {
		char buf[256];
		if (n == 1)
			snprintf(buf, sizeof(buf), _("%s (imported)"), p->id);
		else
			snprintf(buf, sizeof(buf), _("%s (imported %d)"), p->id, n);
		struct account *a = NULL;
		struct aiauth_error *lerr = NULL;
		if (store_lookup(store, p->id, buf, &a, &lerr) != AIAUTH_OK || !a ||
		    strcmp(a->label, buf) != 0)
			label = strdup(buf);
		error_clear(&lerr);
	}
	store_free(store);
	if (!label)
		oom(err);
	return label;
}

static enum aiauth_status import_contents(struct session *s, const struct credfile_tool_info *t,
                                          const struct credfile_contents *fc,
                                          struct import_result *out, struct aiauth_error **err)
{
	const struct provider *p;
	const char *pid = fc->api_key ? t->key_provider : t->oauth_provider;
	char where[128];
	enum aiauth_status st = session_provider(s, pid, &p, err);
	if (st != AIAUTH_OK)
		return st;
	shown_path(t, where, sizeof(where));
	if (!(out->provider = strdup(p->id)))
		return oom(err);
	struct account *existing = NULL;
	if ((st = find_imported(s, p, fc, &existing, err)) != AIAUTH_OK)
		return st;
	if (existing) {
		enum credfile_verdict v = CREDFILE_SAME;
		if (!fc->api_key)
			st = take_in_if_newer(s, p, existing, fc, &v, &out->warning, err);
		if (st == AIAUTH_OK) {
			out->updated = v == CREDFILE_FILE_NEWER;
			out->already = !out->updated;
			out->label = strdup(existing->label);
			out->line = out->updated
			                ? sentence(_("Updated %s account \"%s\" with the newer tokens of %s."),
			                           p->id, existing->label, where)
			                : sentence(_("%s is already imported as %s account \"%s\"."), where,
			                           p->id, existing->label);
			if (!out->label || !out->line)
				st = oom(err);
		}
		account_free(existing);
		return st;
	}
	struct account tmpl = {
		.provider = p->id,
		.kind = fc->api_key ? ACCOUNT_API_KEY : ACCOUNT_OAUTH,
		.method = "import",
		.email = fc->email,
		.expires_at = fc->expires_at,
	};
	char *given = NULL;
	struct secret *blob = NULL;
	/* No email: the store would label it "<provider> <date>", which says
	 * nothing about where it came from. */
	if (!fc->email && !(given = import_label(p, err)))
		return err && *err ? (*err)->status : AIAUTH_NO_MEMORY;
	tmpl.label = given;
	if ((st = credential_to_blob(fc->cred, &blob, err)) == AIAUTH_OK &&
	    (st = session_add_account(s, p, &tmpl, blob, &out->label, &out->active, err)) ==
	        AIAUTH_OK) {
		out->created = true;
		out->line = sentence(_("Imported the sign-in of %s as %s account \"%s\"%s."),
		                     t->tool_name, p->id, out->label, out->active ? _(" (active)") : "");
		if (!out->line)
			st = oom(err);
	}
	secret_free(blob);
	free(given);
	return st;
}

enum aiauth_status import_tool(struct session *s, const struct credfile_tool_info *t,
                               struct import_result *out, struct aiauth_error **err)
{
	struct credfile_contents fc = {0};
	char where[128];
	enum aiauth_status st = credfile_read(t, NULL, &fc, err);
	if (st == AIAUTH_NOT_FOUND || (st == AIAUTH_UNSUPPORTED && t->unsupported))
		goto out;
	out->found = true;
	if (st == AIAUTH_OK && !fc.cred)
		st = error_set(err, AIAUTH_NOT_FOUND, _("%s holds no credentials to import"),
		               shown_path(t, where, sizeof(where)));
	if (st == AIAUTH_OK)
		st = import_contents(s, t, &fc, out, err);
out:
	credfile_contents_clear(&fc);
	return st;
}
