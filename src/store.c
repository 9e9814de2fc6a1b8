/* store.c - the account store: accounts.json, its lock, and the rules of
 * SPEC §3 (labels, the active mark, the round-robin pool, resolution).
 *
 * Everything here works on the in-memory struct store; only store_load()
 * and store_update() touch the disk.  The file is never trusted: the parser
 * checks every type and reference, and a document it cannot accept is moved
 * aside rather than overwritten, so a damaged file can still be recovered by
 * hand. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "cryptosym.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "store.h"

#define STORE_FILE "accounts.json"
#define STORE_LOCK "accounts.lock"
/* Metadata of a few thousand accounts is well under this; anything larger is
 * not a file we wrote. */
#define STORE_MAX_BYTES (8u * 1024 * 1024)
#define LABEL_MAX 200
/* Shorter id prefixes would match by accident too easily. */
#define ID_PREFIX_MIN 6
#define ID_BYTES 16

#define OOM(err) error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"))

/* ------------------------------------------------------------ names */

const char *account_kind_name(enum account_kind kind)
{
	switch (kind) {
	case ACCOUNT_API_KEY:
		return "api_key";
	case ACCOUNT_OAUTH:
		return "oauth";
	case ACCOUNT_NONE:
		return "none";
	}
	return "unknown";
}

bool account_kind_parse(const char *s, enum account_kind *out)
{
	static const enum account_kind kinds[] = {ACCOUNT_API_KEY, ACCOUNT_OAUTH, ACCOUNT_NONE};
	if (!s)
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, account_kind_name(kinds[i])) == 0) {
			*out = kinds[i];
			return true;
		}
	}
	return false;
}

enum account_urgency account_status_text(const struct account *a, int64_t now, int64_t soon_s,
                                         char *buf, size_t n)
{
	switch (a->status) {
	case ACCOUNT_STATUS_NEEDS_SIGNIN:
		snprintf(buf, n, "%s", _("needs sign-in"));
		return ACCOUNT_ALARM;
	case ACCOUNT_STATUS_REFRESH_FAILED:
		snprintf(buf, n, "%s", _("refresh failed"));
		return ACCOUNT_WARN;
	case ACCOUNT_STATUS_OK:
		break;
	}
	if (a->kind != ACCOUNT_OAUTH || a->expires_at <= 0) {
		snprintf(buf, n, "%s", _("ready"));
		return ACCOUNT_FINE;
	}
	long long left = (long long)a->expires_at - (long long)now;
	if (left <= 0) {
		snprintf(buf, n, "%s", _("expired"));
		return ACCOUNT_WARN;
	}
	if (left <= 3600)
		snprintf(buf, n, _("expires in %lld min"), (left + 59) / 60);
	else if (left < 48 * 3600)
		snprintf(buf, n, _("expires in %lld h"), left / 3600);
	else
		snprintf(buf, n, _("expires in %lld d"), left / 86400);
	return left <= soon_s ? ACCOUNT_WARN : ACCOUNT_FINE;
}

const char *account_method_text(const struct account *a)
{
	return a->method ? a->method : account_kind_name(a->kind);
}

const char *account_status_name(enum account_status status)
{
	switch (status) {
	case ACCOUNT_STATUS_OK:
		return "ok";
	case ACCOUNT_STATUS_NEEDS_SIGNIN:
		return "needs_signin";
	case ACCOUNT_STATUS_REFRESH_FAILED:
		return "refresh_failed";
	}
	return "unknown";
}

static bool account_status_parse(const char *s, enum account_status *out)
{
	static const enum account_status all[] = {ACCOUNT_STATUS_OK, ACCOUNT_STATUS_NEEDS_SIGNIN,
	                                          ACCOUNT_STATUS_REFRESH_FAILED};
	if (!s)
		return false;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, account_status_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

/* The words used in messages ("X is an API-key account"). */
static const char *kind_words(enum account_kind kind)
{
	switch (kind) {
	case ACCOUNT_API_KEY:
		return _("an API-key account");
	case ACCOUNT_OAUTH:
		return _("an OAuth account");
	case ACCOUNT_NONE:
		return _("a keyless account");
	}
	return "?";
}

/* ------------------------------------------------------------ memory */

static void account_clear(struct account *a)
{
	free(a->id);
	free(a->provider);
	free(a->label);
	free(a->method);
	free(a->email);
	free(a->base_url);
	free(a->api_version);
	free(a->region);
	free(a->default_model);
	free(a->effort);
	free(a->last_refresh_outcome);
	memset(a, 0, sizeof(*a));
}

static void provider_state_clear(struct store_provider_state *p)
{
	free(p->provider);
	free(p->active_id);
	free(p->rr_last);
	memset(p, 0, sizeof(*p));
}

struct store *store_new(void)
{
	struct store *s = calloc(1, sizeof(*s));
	if (s)
		s->version = STORE_SCHEMA_VERSION;
	return s;
}

void store_free(struct store *store)
{
	if (!store)
		return;
	for (size_t i = 0; i < store->n_accounts; i++)
		account_clear(&store->accounts[i]);
	for (size_t i = 0; i < store->n_providers; i++)
		provider_state_clear(&store->providers[i]);
	free(store->accounts);
	free(store->providers);
	free(store->secret_backend);
	free(store);
}

/* strdup that keeps NULL as NULL; *ok turns false on allocation failure. */
static char *dup_opt(const char *s, bool *ok)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

struct account *account_dup(const struct account *src)
{
	struct account *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	bool ok = true;
	*a = *src;
	a->id = dup_opt(src->id, &ok);
	a->provider = dup_opt(src->provider, &ok);
	a->label = dup_opt(src->label, &ok);
	a->method = dup_opt(src->method, &ok);
	a->email = dup_opt(src->email, &ok);
	a->base_url = dup_opt(src->base_url, &ok);
	a->api_version = dup_opt(src->api_version, &ok);
	a->region = dup_opt(src->region, &ok);
	a->default_model = dup_opt(src->default_model, &ok);
	a->effort = dup_opt(src->effort, &ok);
	a->last_refresh_outcome = dup_opt(src->last_refresh_outcome, &ok);
	if (!ok) {
		account_free(a);
		return NULL;
	}
	return a;
}

void account_free(struct account *a)
{
	if (!a)
		return;
	account_clear(a);
	free(a);
}

/* Replace *slot with a copy of `value` (NULL allowed).  Returns false on OOM,
 * leaving *slot unchanged. */
static bool set_str(char **slot, const char *value)
{
	char *copy = NULL;
	if (value && !(copy = strdup(value)))
		return false;
	free(*slot);
	*slot = copy;
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* ------------------------------------------------------------ provider state */

static struct store_provider_state *state_find(const struct store *store, const char *provider)
{
	for (size_t i = 0; i < store->n_providers; i++)
		if (strcmp(store->providers[i].provider, provider) == 0)
			return &store->providers[i];
	return NULL;
}

/* The state of `provider`, created when missing.  The array is kept sorted by
 * provider id so that the file's "providers" object has a stable order. */
static struct store_provider_state *state_get(struct store *store, const char *provider)
{
	struct store_provider_state *p = state_find(store, provider);
	if (p)
		return p;
	char *name = strdup(provider);
	if (!name)
		return NULL;
	struct store_provider_state *grown =
		realloc(store->providers, (store->n_providers + 1) * sizeof(*grown));
	if (!grown) {
		free(name);
		return NULL;
	}
	store->providers = grown;
	size_t at = 0;
	while (at < store->n_providers && strcmp(store->providers[at].provider, provider) < 0)
		at++;
	memmove(&store->providers[at + 1], &store->providers[at],
	        (store->n_providers - at) * sizeof(*grown));
	memset(&store->providers[at], 0, sizeof(*grown));
	store->providers[at].provider = name;
	store->n_providers++;
	return &store->providers[at];
}

const char *store_active_id(const struct store *store, const char *provider)
{
	if (!store || !provider)
		return NULL;
	const struct store_provider_state *p = state_find(store, provider);
	return p ? p->active_id : NULL;
}

/* ------------------------------------------------------------ labels and ids */

/* Length of the UTF-8 sequence at s (0 when invalid), and its code point. */
static size_t utf8_decode(const unsigned char *s, size_t left, unsigned *cp)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, min = 0x80, c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, min = 0x800, c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode are not text. */
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Labels are shown in a terminal and written to JSON: they must be text,
 * short enough for a list column, and free of anything that could move the
 * cursor or hide part of a line (C0, DEL and C1 controls). */
static enum aiauth_status label_check(const char *label, struct aiauth_error **err)
{
	if (!label || !label[0])
		return error_set(err, AIAUTH_USAGE, "%s", _("a label cannot be empty"));
	size_t len = strlen(label);
	if (len > LABEL_MAX)
		return error_set(err, AIAUTH_USAGE, _("a label can be at most %d bytes long"),
		                 LABEL_MAX);
	const unsigned char *s = (const unsigned char *)label;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			return error_set(err, AIAUTH_USAGE, "%s", _("a label must be valid UTF-8 text"));
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return error_set(err, AIAUTH_USAGE, "%s",
			                 _("a label cannot contain control characters"));
		i += n;
	}
	return AIAUTH_OK;
}

/* The account of `provider` labelled `label`, other than `except` (NULL). */
static struct account *label_owner(struct store *store, const char *provider, const char *label,
                                   const struct account *except)
{
	for (size_t i = 0; i < store->n_accounts; i++) {
		struct account *a = &store->accounts[i];
		if (a != except && strcmp(a->provider, provider) == 0 && strcmp(a->label, label) == 0)
			return a;
	}
	return NULL;
}

static enum aiauth_status label_taken(const char *label, const char *provider,
                                      struct aiauth_error **err)
{
	return error_set(err, AIAUTH_USAGE, _("an account labelled \"%s\" already exists for %s"),
	                 label, provider);
}

/* `base`, or `base (2)`, `base (3)`... whichever is free for the provider and
 * still a valid label. */
static enum aiauth_status label_unique(struct store *store, const char *provider,
                                       const char *base, char **out, struct aiauth_error **err)
{
	size_t n = strlen(base) + 32;
	char *label = malloc(n);
	if (!label)
		return OOM(err);
	snprintf(label, n, "%s", base);
	for (unsigned k = 2; label_owner(store, provider, label, NULL); k++) {
		if (k > 100000) {
			free(label);
			return label_taken(base, provider, err);
		}
		snprintf(label, n, "%s (%u)", base, k);
	}
	enum aiauth_status st = label_check(label, err);
	if (st != AIAUTH_OK) {
		free(label);
		return st;
	}
	*out = label;
	return AIAUTH_OK;
}

/* The default label: the email when it makes a usable label, else
 * "<provider> <YYYY-MM-DD>" in local time. */
static enum aiauth_status label_default(struct store *store, const struct account *tmpl,
                                        char **out, struct aiauth_error **err)
{
	/* An email that is not a valid label (control characters from a hostile
	 * id_token, or no room left for " (2)") falls back to the date form
	 * rather than refuse the account. */
	if (tmpl->email && tmpl->email[0] &&
	    label_unique(store, tmpl->provider, tmpl->email, out, NULL) == AIAUTH_OK)
		return AIAUTH_OK;
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm) || strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
		snprintf(date, sizeof(date), "%s", "unknown-date");
	size_t n = strlen(tmpl->provider) + 1 + strlen(date) + 1;
	char *base = malloc(n);
	if (!base)
		return OOM(err);
	snprintf(base, n, "%s %s", tmpl->provider, date);
	enum aiauth_status st = label_unique(store, tmpl->provider, base, out, err);
	free(base);
	return st;
}

static enum aiauth_status id_generate(struct store *store, char **out, struct aiauth_error **err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[ID_BYTES];
	char *id = malloc(2 * ID_BYTES + 1);
	if (!id)
		return OOM(err);
	/* 128 random bits never collide in practice; the loop costs nothing and
	 * makes "never reused" hold even against a broken generator. */
	for (int attempt = 0;; attempt++) {
		if (attempt == 8 || cryptosym_load(NULL) != AIAUTH_OK ||
		    sym_gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof(raw)) != 0) {
			free(id);
			return error_set(err, AIAUTH_FAILED, "%s",
			                 _("cannot generate an account id: no randomness"));
		}
		for (size_t i = 0; i < ID_BYTES; i++) {
			id[2 * i] = hex[raw[i] >> 4];
			id[2 * i + 1] = hex[raw[i] & 0xf];
		}
		id[2 * ID_BYTES] = '\0';
		if (!store_find_id(store, id))
			break;
	}
	*out = id;
	return AIAUTH_OK;
}

/* ------------------------------------------------------------ lookup */

struct account *store_find_id(struct store *store, const char *id)
{
	if (!store || !id)
		return NULL;
	for (size_t i = 0; i < store->n_accounts; i++)
		if (strcmp(store->accounts[i].id, id) == 0)
			return &store->accounts[i];
	return NULL;
}

static bool of_provider(const struct account *a, const char *provider)
{
	return !provider || strcmp(a->provider, provider) == 0;
}

static enum aiauth_status not_found(const char *provider, const char *name,
                                    struct aiauth_error **err)
{
	if (provider)
		return error_set(err, AIAUTH_NOT_FOUND, _("no account %s for provider %s"), name,
		                 provider);
	return error_set(err, AIAUTH_NOT_FOUND, _("no account %s"), name);
}

/* Order: exact id, exact label, then an id prefix of at least ID_PREFIX_MIN
 * characters.  Labels come before prefixes so that a label that happens to
 * look like hex always finds its own account. */
enum aiauth_status store_lookup(struct store *store, const char *provider, const char *name,
                                struct account **out, struct aiauth_error **err)
{
	if (!name || !name[0])
		return error_set(err, AIAUTH_USAGE, "%s", _("no account name given"));
	struct account *a = store_find_id(store, name);
	if (a && of_provider(a, provider)) {
		*out = a;
		return AIAUTH_OK;
	}

	struct account *found = NULL;
	for (size_t i = 0; i < store->n_accounts; i++) {
		a = &store->accounts[i];
		if (!of_provider(a, provider) || strcmp(a->label, name) != 0)
			continue;
		/* Labels are unique within a provider, so a second match can only
		 * come from another provider. */
		if (found)
			return error_set(err, AIAUTH_USAGE,
			                 _("label %s matches accounts of several providers; use the "
			                   "account id or name the provider"),
			                 name);
		found = a;
	}
	if (found) {
		*out = found;
		return AIAUTH_OK;
	}

	size_t len = strlen(name);
	if (len >= ID_PREFIX_MIN) {
		for (size_t i = 0; i < store->n_accounts; i++) {
			a = &store->accounts[i];
			if (!of_provider(a, provider) || strncmp(a->id, name, len) != 0)
				continue;
			if (found)
				return error_set(err, AIAUTH_USAGE,
				                 _("%s is the start of several account ids; give more of it"),
				                 name);
			found = a;
		}
		if (found) {
			*out = found;
			return AIAUTH_OK;
		}
	}
	return not_found(provider, name, err);
}

/* ------------------------------------------------------------ the rules */

enum aiauth_status store_add(struct store *store, const struct account *tmpl,
                             struct account **added, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	struct account a = {0};
	bool ok = true;

	if (!tmpl || !tmpl->provider || !tmpl->provider[0])
		return error_set(err, AIAUTH_USAGE, "%s", _("an account needs a provider"));
	if (tmpl->kind != ACCOUNT_API_KEY && tmpl->kind != ACCOUNT_OAUTH &&
	    tmpl->kind != ACCOUNT_NONE)
		return error_set(err, AIAUTH_USAGE, "%s", _("unknown account kind"));
	if (tmpl->round_robin && tmpl->kind != ACCOUNT_OAUTH)
		return error_set(err, AIAUTH_USAGE,
		                 _("round robin is for OAuth accounts; this is %s"),
		                 kind_words(tmpl->kind));
	if (tmpl->label) {
		st = label_check(tmpl->label, err);
		if (st != AIAUTH_OK)
			return st;
		if (label_owner(store, tmpl->provider, tmpl->label, NULL))
			return label_taken(tmpl->label, tmpl->provider, err);
		a.label = strdup(tmpl->label);
		if (!a.label)
			return OOM(err);
	} else {
		st = label_default(store, tmpl, &a.label, err);
		if (st != AIAUTH_OK)
			return st;
	}

	st = id_generate(store, &a.id, err);
	if (st != AIAUTH_OK)
		goto out;
	a.provider = dup_opt(tmpl->provider, &ok);
	a.kind = tmpl->kind;
	/* Keys and keyless servers have one way in, so the method can be implied. */
	const char *method = tmpl->method;
	if (!method && tmpl->kind != ACCOUNT_OAUTH)
		method = account_kind_name(tmpl->kind);
	a.method = dup_opt(method, &ok);
	a.email = dup_opt(tmpl->email, &ok);
	a.base_url = dup_opt(tmpl->base_url, &ok);
	a.api_version = dup_opt(tmpl->api_version, &ok);
	a.region = dup_opt(tmpl->region, &ok);
	a.default_model = dup_opt(tmpl->default_model, &ok);
	a.effort = dup_opt(tmpl->effort, &ok);
	a.last_refresh_outcome = dup_opt(tmpl->last_refresh_outcome, &ok);
	a.created = (int64_t)time(NULL);
	a.expires_at = tmpl->expires_at;
	a.status = tmpl->status;
	a.round_robin = tmpl->round_robin;
	a.has_secret = tmpl->has_secret;
	a.last_refresh = tmpl->last_refresh;
	if (!ok) {
		st = OOM(err);
		goto out;
	}

	bool provider_is_new = true;
	for (size_t i = 0; i < store->n_accounts; i++)
		if (strcmp(store->accounts[i].provider, a.provider) == 0)
			provider_is_new = false;
	/* Take every allocation before changing the store, so that a failure
	 * leaves it exactly as it was. */
	struct store_provider_state *ps = NULL;
	if (provider_is_new && !(ps = state_get(store, a.provider))) {
		st = OOM(err);
		goto out;
	}
	char *active = NULL;
	if (ps && !ps->active_id && !(active = strdup(a.id))) {
		st = OOM(err);
		goto out;
	}
	struct account *grown = realloc(store->accounts, (store->n_accounts + 1) * sizeof(*grown));
	if (!grown) {
		free(active);
		st = OOM(err);
		goto out;
	}
	store->accounts = grown;
	if (active)
		ps->active_id = active;
	store->accounts[store->n_accounts] = a;
	memset(&a, 0, sizeof(a));
	if (added)
		*added = &store->accounts[store->n_accounts];
	store->n_accounts++;
	store->dirty = true;
out:
	account_clear(&a);
	return st;
}

enum aiauth_status store_remove(struct store *store, const char *id, struct aiauth_error **err)
{
	struct account *a = store_find_id(store, id);
	if (!a)
		return not_found(NULL, id ? id : "", err);
	struct store_provider_state *ps = state_find(store, a->provider);
	if (ps && str_eq(ps->active_id, a->id)) {
		free(ps->active_id);
		ps->active_id = NULL;
	}
	/* The pool would start again from its first member, which is what a user
	 * who just removed the account expects to be served next anyway. */
	if (ps && str_eq(ps->rr_last, a->id)) {
		free(ps->rr_last);
		ps->rr_last = NULL;
	}
	size_t at = (size_t)(a - store->accounts);
	account_clear(a);
	memmove(&store->accounts[at], &store->accounts[at + 1],
	        (store->n_accounts - at - 1) * sizeof(*a));
	store->n_accounts--;
	store->dirty = true;
	return AIAUTH_OK;
}

enum aiauth_status store_rename(struct store *store, const char *id, const char *label,
                                struct aiauth_error **err)
{
	struct account *a = store_find_id(store, id);
	if (!a)
		return not_found(NULL, id ? id : "", err);
	enum aiauth_status st = label_check(label, err);
	if (st != AIAUTH_OK)
		return st;
	if (strcmp(a->label, label) == 0)
		return AIAUTH_OK;
	if (label_owner(store, a->provider, label, a))
		return label_taken(label, a->provider, err);
	if (!set_str(&a->label, label))
		return OOM(err);
	store->dirty = true;
	return AIAUTH_OK;
}

enum aiauth_status store_set_active(struct store *store, const char *provider, const char *id,
                                    struct aiauth_error **err)
{
	struct account *a = NULL;
	if (id) {
		a = store_find_id(store, id);
		if (!a || !of_provider(a, provider))
			return not_found(provider, id, err);
		provider = a->provider;
	} else if (!provider) {
		return error_set(err, AIAUTH_USAGE, "%s", _("no provider given"));
	}
	struct store_provider_state *ps = state_find(store, provider);
	if (str_eq(ps ? ps->active_id : NULL, id))
		return AIAUTH_OK;
	if (!ps && !(ps = state_get(store, provider)))
		return OOM(err);
	if (!set_str(&ps->active_id, id))
		return OOM(err);
	store->dirty = true;
	return AIAUTH_OK;
}

enum aiauth_status store_set_round_robin(struct store *store, const char *id, bool on,
                                         struct aiauth_error **err)
{
	struct account *a = store_find_id(store, id);
	if (!a)
		return not_found(NULL, id ? id : "", err);
	if (on && a->kind != ACCOUNT_OAUTH)
		return error_set(err, AIAUTH_USAGE, _("round robin is for OAuth accounts; %s is %s"),
		                 a->label, kind_words(a->kind));
	if (a->round_robin == on)
		return AIAUTH_OK;
	a->round_robin = on;
	store->dirty = true;
	return AIAUTH_OK;
}

static bool in_pool(const struct account *a, const char *provider)
{
	return a->kind == ACCOUNT_OAUTH && a->round_robin && strcmp(a->provider, provider) == 0;
}

/* The pool member to serve next: the first one after the account rr_last
 * names, in account order, wrapping round.  Positions are taken in the whole
 * account list so that an account that left the pool (or needs sign-in)
 * still marks where the rotation stands; only when rr_last is unknown does
 * the rotation start again at the beginning.  Members that need sign-in are
 * skipped; NULL when no member can serve. */
static struct account *pool_next(struct store *store, const char *provider, const char *rr_last)
{
	size_t start = 0;
	struct account *last = rr_last ? store_find_id(store, rr_last) : NULL;
	if (last)
		start = (size_t)(last - store->accounts) + 1;
	for (size_t k = 0; k < store->n_accounts; k++) {
		struct account *a = &store->accounts[(start + k) % store->n_accounts];
		if (in_pool(a, provider) && a->status != ACCOUNT_STATUS_NEEDS_SIGNIN)
			return a;
	}
	return NULL;
}

enum aiauth_status store_resolve(struct store *store, const char *provider, const char *name,
                                 struct account **out, struct aiauth_error **err)
{
	if (!provider || !provider[0])
		return error_set(err, AIAUTH_USAGE, "%s", _("no provider given"));

	/* 1. The caller named an account; lookup's "not found" already names
	 * the provider. */
	if (name)
		return store_lookup(store, provider, name, out, err);

	struct store_provider_state *ps = state_find(store, provider);
	struct account *active = ps && ps->active_id ? store_find_id(store, ps->active_id) : NULL;

	/* 2. An active key (or keyless server) is a deliberate choice of one
	 * credential; it wins over the pool. */
	if (active && active->kind != ACCOUNT_OAUTH) {
		*out = active;
		return AIAUTH_OK;
	}

	/* 3. The pool. */
	struct account *next = pool_next(store, provider, ps ? ps->rr_last : NULL);
	if (next) {
		if (!ps || !str_eq(ps->rr_last, next->id)) {
			/* The state is missing when a hand-written file has no
			 * "providers" entry for this provider. */
			if (!ps && !(ps = state_get(store, provider)))
				return OOM(err);
			if (!set_str(&ps->rr_last, next->id))
				return OOM(err);
			store->dirty = true;
		}
		*out = next;
		return AIAUTH_OK;
	}

	/* 4. The active OAuth account. */
	if (active) {
		*out = active;
		return AIAUTH_OK;
	}

	/* A pool whose every member needs sign-in: answer with its first member
	 * so that the caller reports "needs sign-in", which tells the user what
	 * to do, rather than "not configured", which would be untrue. */
	for (size_t i = 0; i < store->n_accounts; i++) {
		if (in_pool(&store->accounts[i], provider)) {
			*out = &store->accounts[i];
			return AIAUTH_OK;
		}
	}
	return error_set(err, AIAUTH_NOT_CONFIGURED, _("provider %s is not configured"), provider);
}

/* ------------------------------------------------------------ parsing */

struct parse_ctx {
	struct aiauth_error **err;
	size_t index; /* of the account being read */
};

static enum aiauth_status bad_field(struct parse_ctx *pc, const char *key, const char *what)
{
	return error_set(pc->err, AIAUTH_CORRUPT, _("account %zu: \"%s\" %s"), pc->index + 1, key,
	                 what);
}

/* Optional string: absent or null gives NULL. */
static enum aiauth_status read_str(struct parse_ctx *pc, yajl_val obj, const char *key,
                                   bool required, char **out)
{
	yajl_val v = json_get(obj, key);
	if (!v || YAJL_IS_NULL(v)) {
		if (required)
			return bad_field(pc, key, _("is missing"));
		return AIAUTH_OK;
	}
	if (!YAJL_IS_STRING(v))
		return bad_field(pc, key, _("must be a string"));
	if (required && !v->u.string[0])
		return bad_field(pc, key, _("cannot be empty"));
	*out = strdup(v->u.string);
	if (!*out)
		return OOM(pc->err);
	return AIAUTH_OK;
}

static enum aiauth_status read_int(struct parse_ctx *pc, yajl_val obj, const char *key,
                                   int64_t *out)
{
	yajl_val v = json_get(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return AIAUTH_OK;
	if (!YAJL_IS_INTEGER(v))
		return bad_field(pc, key, _("must be an integer"));
	*out = (int64_t)v->u.number.i;
	return AIAUTH_OK;
}

static enum aiauth_status read_bool(struct parse_ctx *pc, yajl_val obj, const char *key,
                                    bool *out)
{
	yajl_val v = json_get(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return AIAUTH_OK;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return bad_field(pc, key, _("must be true or false"));
	*out = YAJL_IS_TRUE(v);
	return AIAUTH_OK;
}

static enum aiauth_status parse_account(struct parse_ctx *pc, yajl_val obj, struct account *a)
{
	enum aiauth_status st;
	char *kind = NULL, *status = NULL;
	if (!YAJL_IS_OBJECT(obj))
		return error_set(pc->err, AIAUTH_CORRUPT, _("account %zu is not an object"),
		                 pc->index + 1);
#define TRY(expr)                                                                               \
	do {                                                                                        \
		if ((st = (expr)) != AIAUTH_OK)                                                         \
			goto out;                                                                           \
	} while (0)
	TRY(read_str(pc, obj, "id", true, &a->id));
	TRY(read_str(pc, obj, "provider", true, &a->provider));
	TRY(read_str(pc, obj, "label", true, &a->label));
	TRY(read_str(pc, obj, "kind", true, &kind));
	if (!account_kind_parse(kind, &a->kind)) {
		st = bad_field(pc, "kind", _("must be api_key, oauth or none"));
		goto out;
	}
	TRY(read_str(pc, obj, "method", false, &a->method));
	TRY(read_str(pc, obj, "email", false, &a->email));
	TRY(read_str(pc, obj, "base_url", false, &a->base_url));
	TRY(read_str(pc, obj, "api_version", false, &a->api_version));
	TRY(read_str(pc, obj, "region", false, &a->region));
	TRY(read_str(pc, obj, "default_model", false, &a->default_model));
	TRY(read_str(pc, obj, "effort", false, &a->effort));
	TRY(read_int(pc, obj, "created", &a->created));
	TRY(read_int(pc, obj, "expires_at", &a->expires_at));
	TRY(read_str(pc, obj, "status", false, &status));
	a->status = ACCOUNT_STATUS_OK;
	if (status && !account_status_parse(status, &a->status)) {
		st = bad_field(pc, "status", _("must be ok, needs_signin or refresh_failed"));
		goto out;
	}
	TRY(read_bool(pc, obj, "round_robin", &a->round_robin));
	TRY(read_bool(pc, obj, "has_secret", &a->has_secret));
	TRY(read_int(pc, obj, "last_refresh", &a->last_refresh));
	TRY(read_str(pc, obj, "last_refresh_outcome", false, &a->last_refresh_outcome));
#undef TRY
	/* A hand-edited file may put a key account in the pool; the rule is
	 * enforced by dropping the mark rather than refusing the whole file. */
	if (a->kind != ACCOUNT_OAUTH)
		a->round_robin = false;
out:
	free(kind);
	free(status);
	return st;
}

/* A reference from "providers" that names no account of that provider is
 * dropped: it can only come from a hand edit, and following it would break
 * the rules. */
static enum aiauth_status parse_ref(struct store *store, const char *provider, yajl_val obj,
                                    const char *key, char **out, struct aiauth_error **err)
{
	yajl_val v = json_get(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return AIAUTH_OK;
	if (!YAJL_IS_STRING(v))
		return error_set(err, AIAUTH_CORRUPT, _("providers.%s: \"%s\" must be a string"),
		                 provider, key);
	struct account *a = store_find_id(store, v->u.string);
	if (!a || strcmp(a->provider, provider) != 0)
		return AIAUTH_OK;
	*out = strdup(v->u.string);
	return *out ? AIAUTH_OK : OOM(err);
}

/* Account ids are unique.  Sorted, so that 1,000 accounts cost 10,000
 * comparisons rather than half a million; the message names the same pair
 * as a scan in file order would: the earliest account that repeats an id,
 * and the first one with that id. */
static int by_id_then_index(const void *a, const void *b)
{
	const struct account *const *x = a, *const *y = b;
	int c = strcmp((*x)->id, (*y)->id);
	return c ? c : (*x < *y ? -1 : *x > *y);
}

static enum aiauth_status check_unique_ids(const struct store *store, struct aiauth_error **err)
{
	size_t n = store->n_accounts;
	if (n < 2)
		return AIAUTH_OK;
	const struct account **by_id = malloc(n * sizeof(*by_id));
	if (!by_id)
		return OOM(err);
	for (size_t i = 0; i < n; i++)
		by_id[i] = &store->accounts[i];
	qsort(by_id, n, sizeof(*by_id), by_id_then_index);
	const struct account *first = NULL, *repeat = NULL;
	for (size_t i = 1; i < n; i++) {
		/* by_id[i - 1] starts its run of equal ids when it differs from
		 * the one before; the run's second member is its first repeat. */
		if (strcmp(by_id[i - 1]->id, by_id[i]->id) != 0 ||
		    (i >= 2 && strcmp(by_id[i - 2]->id, by_id[i]->id) == 0))
			continue;
		if (!repeat || by_id[i] < repeat) {
			first = by_id[i - 1];
			repeat = by_id[i];
		}
	}
	free(by_id);
	if (!repeat)
		return AIAUTH_OK;
	return error_set(err, AIAUTH_CORRUPT, _("accounts %zu and %zu have the same id"),
	                 (size_t)(first - store->accounts) + 1, (size_t)(repeat - store->accounts) + 1);
}

enum aiauth_status store_parse(const char *text, size_t len, struct store **out,
                               struct aiauth_error **err)
{
	enum aiauth_status st;
	yajl_val doc = NULL;
	struct store *store = NULL;
	*out = NULL;

	st = json_parse(text, len, &doc, err);
	if (st != AIAUTH_OK)
		goto out;
	if (!YAJL_IS_OBJECT(doc)) {
		st = error_set(err, AIAUTH_CORRUPT, "%s", _("the document is not a JSON object"));
		goto out;
	}
	int64_t version;
	if (!json_get_int(doc, "version", &version)) {
		st = error_set(err, AIAUTH_CORRUPT, "%s",
		               _("\"version\" is missing or not an integer"));
		goto out;
	}
	/* A newer aiauth may store things this one does not know; rewriting the
	 * file would drop them, so it is refused and left as it is. */
	if (version > STORE_SCHEMA_VERSION) {
		st = error_set(err, AIAUTH_UNSUPPORTED,
		               _("accounts.json was written by a newer aiauth (schema %lld); this one "
		                 "understands schema %d and will not change it"),
		               (long long)version, STORE_SCHEMA_VERSION);
		goto out;
	}
	if (version < 1) {
		st = error_set(err, AIAUTH_CORRUPT, _("unknown schema version %lld"),
		               (long long)version);
		goto out;
	}

	store = store_new();
	if (!store) {
		st = OOM(err);
		goto out;
	}
	store->version = (int)version;

	yajl_val backend = json_get(doc, "secret_backend");
	if (backend && !YAJL_IS_NULL(backend)) {
		if (!YAJL_IS_STRING(backend)) {
			st = error_set(err, AIAUTH_CORRUPT, "%s", _("\"secret_backend\" must be a string"));
			goto out;
		}
		if (!(store->secret_backend = strdup(backend->u.string))) {
			st = OOM(err);
			goto out;
		}
	}

	yajl_val accounts = json_get(doc, "accounts");
	if (accounts && !YAJL_IS_NULL(accounts)) {
		if (!YAJL_IS_ARRAY(accounts)) {
			st = error_set(err, AIAUTH_CORRUPT, "%s", _("\"accounts\" must be an array"));
			goto out;
		}
		size_t n = accounts->u.array.len;
		if (n && !(store->accounts = calloc(n, sizeof(*store->accounts)))) {
			st = OOM(err);
			goto out;
		}
		struct parse_ctx pc = {err, 0};
		for (size_t i = 0; i < n; i++) {
			pc.index = i;
			struct account *a = &store->accounts[i];
			/* Count it first so that store_free() frees a half-read one. */
			store->n_accounts++;
			st = parse_account(&pc, accounts->u.array.values[i], a);
			if (st != AIAUTH_OK)
				goto out;
		}
		if ((st = check_unique_ids(store, err)) != AIAUTH_OK)
			goto out;
	}

	yajl_val providers = json_get(doc, "providers");
	if (providers && !YAJL_IS_NULL(providers)) {
		if (!YAJL_IS_OBJECT(providers)) {
			st = error_set(err, AIAUTH_CORRUPT, "%s", _("\"providers\" must be an object"));
			goto out;
		}
		for (size_t i = 0; i < providers->u.object.len; i++) {
			const char *name = providers->u.object.keys[i];
			yajl_val v = providers->u.object.values[i];
			if (!YAJL_IS_OBJECT(v)) {
				st = error_set(err, AIAUTH_CORRUPT, _("providers.%s must be an object"), name);
				goto out;
			}
			if (state_find(store, name)) {
				st = error_set(err, AIAUTH_CORRUPT, _("provider %s appears twice"), name);
				goto out;
			}
			char *active = NULL, *rr_last = NULL;
			st = parse_ref(store, name, v, "active", &active, err);
			if (st == AIAUTH_OK)
				st = parse_ref(store, name, v, "rr_last", &rr_last, err);
			struct store_provider_state *ps = NULL;
			if (st == AIAUTH_OK && !(ps = state_get(store, name)))
				st = OOM(err);
			if (st != AIAUTH_OK) {
				free(active);
				free(rr_last);
				goto out;
			}
			ps->active_id = active;
			ps->rr_last = rr_last;
		}
	}
	*out = store;
	store = NULL;
	st = AIAUTH_OK;
out:
	store_free(store);
	json_free(doc);
	return st;
}

/* ------------------------------------------------------------ serialising */

static bool gen_account(yajl_gen g, const struct account *a)
{
	return yajl_gen_map_open(g) == yajl_gen_status_ok &&
	       json_gen_key_string(g, "id", a->id) &&
	       json_gen_key_string(g, "provider", a->provider) &&
	       json_gen_key_string(g, "label", a->label) &&
	       json_gen_key_string(g, "kind", account_kind_name(a->kind)) &&
	       json_gen_key_string(g, "method", a->method) &&
	       json_gen_key_string(g, "email", a->email) &&
	       json_gen_key_string(g, "base_url", a->base_url) &&
	       json_gen_key_string(g, "api_version", a->api_version) &&
	       json_gen_key_string(g, "region", a->region) &&
	       json_gen_key_string(g, "default_model", a->default_model) &&
	       json_gen_key_string(g, "effort", a->effort) &&
	       json_gen_key_int(g, "created", a->created) &&
	       json_gen_key_int(g, "expires_at", a->expires_at) &&
	       json_gen_key_string(g, "status", account_status_name(a->status)) &&
	       json_gen_key_bool(g, "round_robin", a->round_robin) &&
	       json_gen_key_bool(g, "has_secret", a->has_secret) &&
	       json_gen_key_int(g, "last_refresh", a->last_refresh) &&
	       json_gen_key_string(g, "last_refresh_outcome", a->last_refresh_outcome) &&
	       yajl_gen_map_close(g) == yajl_gen_status_ok;
}

enum aiauth_status store_serialize(const struct store *store, char **text, size_t *len,
                                   struct aiauth_error **err)
{
	for (size_t i = 0; i < store->n_accounts; i++) {
		const struct account *a = &store->accounts[i];
		if (!a->id || !a->provider || !a->label)
			return error_set(err, AIAUTH_FAILED, _("account %zu lacks an id, provider or label"),
			                 i + 1);
	}
	yajl_gen g = json_gen_new(true);
	if (!g)
		return OOM(err);
	bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
	          json_gen_key_int(g, "version", STORE_SCHEMA_VERSION) &&
	          json_gen_key_string(g, "secret_backend", store->secret_backend) &&
	          json_gen_key(g, "providers") && yajl_gen_map_open(g) == yajl_gen_status_ok;
	for (size_t i = 0; ok && i < store->n_providers; i++) {
		const struct store_provider_state *p = &store->providers[i];
		/* A provider with nothing to remember is not worth a line. */
		if (!p->active_id && !p->rr_last)
			continue;
		ok = json_gen_key(g, p->provider) && yajl_gen_map_open(g) == yajl_gen_status_ok &&
		     json_gen_key_string(g, "active", p->active_id) &&
		     json_gen_key_string(g, "rr_last", p->rr_last) &&
		     yajl_gen_map_close(g) == yajl_gen_status_ok;
	}
	ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok && json_gen_key(g, "accounts") &&
	     yajl_gen_array_open(g) == yajl_gen_status_ok;
	for (size_t i = 0; ok && i < store->n_accounts; i++)
		ok = gen_account(g, &store->accounts[i]);
	ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok &&
	     yajl_gen_map_close(g) == yajl_gen_status_ok;
	if (!ok) {
		yajl_gen_free(g);
		/* The generator refuses invalid UTF-8, which only a caller that
		 * bypassed the label checks can have put in. */
		return error_set(err, AIAUTH_FAILED, "%s",
		                 _("cannot write the account list: a field is not valid UTF-8"));
	}
	return json_gen_take_str(g, text, len, err);
}

/* ------------------------------------------------------------ the file */

struct store_paths {
	char *dir;
	char *file;
	char *lock;
};

static void paths_free(struct store_paths *p)
{
	free(p->dir);
	free(p->file);
	free(p->lock);
}

static enum aiauth_status paths_get(const char *config_dir, struct store_paths *p,
                                    struct aiauth_error **err)
{
	memset(p, 0, sizeof(*p));
	if (config_dir) {
		if (!(p->dir = strdup(config_dir)))
			return OOM(err);
	} else {
		enum aiauth_status st = paths_config_dir(&p->dir, err);
		if (st != AIAUTH_OK)
			return st;
	}
	p->file = path_join(p->dir, STORE_FILE);
	p->lock = path_join(p->dir, STORE_LOCK);
	if (!p->file || !p->lock) {
		paths_free(p);
		return OOM(err);
	}
	return AIAUTH_OK;
}

/* Hand an error from a callee's local slot to the caller's: the local slot
 * lets us look at a message before deciding what to report. */
static void error_pass(struct aiauth_error **err, struct aiauth_error **inner)
{
	if (err && !*err) {
		*err = *inner;
		*inner = NULL;
	}
	error_clear(inner);
}

/* Read and parse the file; the caller holds the lock.  A missing file is an
 * empty store. */
static enum aiauth_status read_locked(const char *path, struct store **out,
                                      struct aiauth_error **err)
{
	char *text = NULL;
	size_t len = 0;
	enum aiauth_status st = fs_read_all(path, STORE_MAX_BYTES, &text, &len, err);
	if (st == AIAUTH_NOT_FOUND) {
		*out = store_new();
		return *out ? AIAUTH_OK : OOM(err);
	}
	if (st != AIAUTH_OK)
		return st;
	st = store_parse(text, len, out, err);
	free(text);
	return st;
}

/* Move a damaged file out of the way and say so.  `why` is the parser's
 * message.  The status stays AIAUTH_CORRUPT either way: the caller got no
 * store. */
static enum aiauth_status set_aside(const char *path, const char *why,
                                    struct aiauth_error **err)
{
	char *moved = NULL;
	struct aiauth_error *merr = NULL;
	if (fs_set_aside(path, &moved, &merr) != AIAUTH_OK) {
		enum aiauth_status st =
			error_set(err, AIAUTH_CORRUPT, _("%s is damaged (%s) and could not be moved aside: %s"),
			          path, why, merr ? merr->message : "?");
		error_clear(&merr);
		return st;
	}
	const char *base = strrchr(moved, '/');
	base = base ? base + 1 : moved;
	enum aiauth_status st =
		error_set(err, AIAUTH_CORRUPT,
		          _("%s is damaged (%s); it was moved to %s and a new one will be started"), path,
		          why, base);
	free(moved);
	return st;
}

/* Read, and set the file aside when the parser refuses it as damaged.  A
 * newer schema (AIAUTH_UNSUPPORTED) is passed through and the file left
 * alone.  The caller holds the exclusive lock. */
static enum aiauth_status read_or_set_aside(const char *path, struct store **out,
                                            struct aiauth_error **err)
{
	struct aiauth_error *perr = NULL;
	enum aiauth_status st = read_locked(path, out, &perr);
	if (st == AIAUTH_CORRUPT)
		st = set_aside(path, perr ? perr->message : "?", err);
	error_pass(err, &perr);
	return st;
}

enum aiauth_status store_load(const char *config_dir, struct store **out,
                              struct aiauth_error **err)
{
	struct store_paths p;
	int lock = -1;
	enum aiauth_status st = paths_get(config_dir, &p, err);
	if (st != AIAUTH_OK)
		return st;
	*out = NULL;

	/* Reading must not create anything: with no directory there is no
	 * store yet, and no lock is needed to know it. */
	struct stat sb;
	if (stat(p.dir, &sb) != 0 && errno == ENOENT) {
		*out = store_new();
		st = *out ? AIAUTH_OK : OOM(err);
		goto out;
	}

	st = fs_lock(p.lock, false, &lock, err);
	if (st != AIAUTH_OK)
		goto out;
	struct aiauth_error *perr = NULL;
	st = read_locked(p.file, out, &perr);
	if (st == AIAUTH_CORRUPT) {
		/* Moving the file aside is a change, which needs the exclusive
		 * lock.  flock cannot upgrade atomically, so read again once the
		 * lock is ours: another process may have set it aside already (then
		 * it is missing and we start empty) and reported it. */
		error_clear(&perr);
		fs_unlock(lock);
		lock = -1;
		st = fs_lock(p.lock, true, &lock, err);
		if (st == AIAUTH_OK)
			st = read_or_set_aside(p.file, out, err);
	}
	error_pass(err, &perr);
out:
	fs_unlock(lock);
	paths_free(&p);
	return st;
}

enum aiauth_status store_update(const char *config_dir, store_update_fn fn, void *ctx,
                                struct aiauth_error **err)
{
	struct store_paths p;
	struct store *store = NULL;
	char *text = NULL;
	size_t len = 0;
	int lock = -1;
	enum aiauth_status st = paths_get(config_dir, &p, err);
	if (st != AIAUTH_OK)
		return st;

	st = fs_mkdir_private(p.dir, err);
	if (st != AIAUTH_OK)
		goto out;
	/* One lock across read, change and write: a concurrent writer waits
	 * here and then reads our result, so no change is lost. */
	st = fs_lock(p.lock, true, &lock, err);
	if (st != AIAUTH_OK)
		goto out;
	/* Only a holder of this lock writes accounts.json: any temporary file
	 * of it now is an orphan of a killed writer. */
	fs_remove_stale_temps(p.file);
	st = read_or_set_aside(p.file, &store, err);
	if (st != AIAUTH_OK)
		goto out;

	store->dirty = false;
	st = fn(store, ctx, err);
	if (st != AIAUTH_OK || !store->dirty)
		goto out;
	st = store_serialize(store, &text, &len, err);
	if (st != AIAUTH_OK)
		goto out;
	st = fs_write_atomic(p.file, text, len, 0600, err);
	if (st == AIAUTH_OK)
		store->dirty = false;
out:
	free(text);
	store_free(store);
	fs_unlock(lock);
	paths_free(&p);
	return st;
}

/* ------------------------------------------------------------ the stamp */

void store_stamp(const char *config_dir, struct store_stamp *out)
{
	memset(out, 0, sizeof(*out));
	struct store_paths p;
	if (paths_get(config_dir, &p, NULL) != AIAUTH_OK)
		return;
	struct stat sb;
	if (stat(p.file, &sb) == 0) {
		out->exists = true;
		out->dev = (uint64_t)sb.st_dev;
		out->ino = (uint64_t)sb.st_ino;
		out->size = (int64_t)sb.st_size;
		out->mtime_sec = (int64_t)sb.st_mtim.tv_sec;
		out->mtime_nsec = (int64_t)sb.st_mtim.tv_nsec;
	}
	paths_free(&p);
}

bool store_stamp_equal(const struct store_stamp *a, const struct store_stamp *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime_sec == b->mtime_sec &&
	       a->mtime_nsec == b->mtime_nsec;
}
