/* store.h - the account store: metadata of every account, never a secret.
 *
 * The file is $XDG_CONFIG_HOME/aiauth/accounts.json (0600 in a 0700
 * directory), JSON with a "version" field.  Readers take a shared flock and
 * writers an exclusive one on accounts.lock beside it; writers read, change
 * and write the file atomically while holding the lock, so concurrent
 * processes never lose each other's changes.  A file that cannot be parsed
 * is moved aside (fs_set_aside) and reported as AIAUTH_CORRUPT; it is never
 * overwritten.
 *
 * The rules (SPEC §3) live in the store_* operations on the in-memory
 * struct store, so that the command line and the screens share them:
 * - the first account of a provider becomes its active account;
 * - the active mark can be moved or cleared; removing the active account
 *   leaves the provider with none;
 * - only OAuth accounts join the round-robin pool;
 * - store_resolve() follows the four-step order and advances the pool's
 *   cursor (the caller must then save, inside the same store_update()). */
#ifndef AIAUTH_STORE_H
#define AIAUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define STORE_SCHEMA_VERSION 1

enum account_kind {
	ACCOUNT_API_KEY, /* "api_key" */
	ACCOUNT_OAUTH,   /* "oauth" */
	ACCOUNT_NONE,    /* "none": a keyless local server */
};

enum account_status {
	ACCOUNT_STATUS_OK,             /* "ok" */
	ACCOUNT_STATUS_NEEDS_SIGNIN,   /* "needs_signin" */
	ACCOUNT_STATUS_REFRESH_FAILED, /* "refresh_failed" */
};

struct account {
	char *id;       /* 32 hex characters, random, never reused */
	char *provider; /* registry id */
	char *label;    /* unique within the provider */
	enum account_kind kind;
	char *method;   /* how it was connected: "api_key", "browser", "device", "token", "none" */
	char *email;    /* OAuth accounts, when known */
	char *base_url; /* custom endpoint, normalised; NULL = provider default */
	char *api_version;
	char *region;
	char *default_model;
	char *effort;
	int64_t created;    /* Unix seconds */
	int64_t expires_at; /* OAuth access-token expiry (not secret), 0 = unknown */
	enum account_status status;
	bool round_robin;
	bool has_secret; /* a secret was stored for it */
	int64_t last_refresh;       /* Unix seconds, 0 = never */
	char *last_refresh_outcome; /* one line, or NULL */
};

/* Per-provider state. */
struct store_provider_state {
	char *provider;
	char *active_id; /* NULL = no active account */
	char *rr_last;   /* id of the last account the pool served, or NULL */
};

struct store {
	int version;
	char *secret_backend; /* "keyring", "file" or NULL: where the secrets are */
	struct account *accounts;
	size_t n_accounts;
	struct store_provider_state *providers;
	size_t n_providers;
	bool dirty; /* set by every operation that changed something */
};

/* The callback of store_update(): change `store` and return AIAUTH_OK to
 * have it saved (only when store->dirty), or an error to save nothing. */
typedef enum aiauth_status (*store_update_fn)(struct store *store, void *ctx,
                                              struct aiauth_error **err);

/* Read the store under a shared lock.  `config_dir` NULL means
 * paths_config_dir().  A missing file (or directory, which is not created)
 * gives an empty store.  A damaged file is set aside and AIAUTH_CORRUPT
 * says where it went; a file of a newer schema is AIAUTH_UNSUPPORTED and is
 * left untouched.  store_update() returns the same errors without calling
 * `fn`. */
enum aiauth_status store_load(const char *config_dir, struct store **out,
                              struct aiauth_error **err);
/* Read-modify-write under an exclusive lock; see store_update_fn. */
enum aiauth_status store_update(const char *config_dir, store_update_fn fn, void *ctx,
                                struct aiauth_error **err);
void store_free(struct store *store);

/* Has another process changed the store?  A stamp is what stat() says of
 * accounts.json (device, inode, size, modification time): no read, no lock,
 * cheap enough for a screen to take once a second.  Every write renames a
 * new file over the old one (a new inode while the old one is held open
 * nowhere else, and a new modification time), so a change gives a new
 * stamp.  A missing file (or directory) gives a stamp with exists false. */
struct store_stamp {
	bool exists;
	uint64_t dev, ino;
	int64_t size, mtime_sec, mtime_nsec;
};
void store_stamp(const char *config_dir, struct store_stamp *out);
bool store_stamp_equal(const struct store_stamp *a, const struct store_stamp *b);

/* Parse / serialise without touching the disk (used by the above, tests and
 * the fuzzers). */
enum aiauth_status store_parse(const char *text, size_t len, struct store **out,
                               struct aiauth_error **err);
enum aiauth_status store_serialize(const struct store *store, char **text, size_t *len,
                                   struct aiauth_error **err);
struct store *store_new(void);

/* Find an account of `provider` (NULL: any provider) by id, by label, or by
 * an unambiguous id prefix of at least 6 characters, in that order.
 * AIAUTH_NOT_FOUND or AIAUTH_USAGE (ambiguous label across providers) with
 * a message. */
enum aiauth_status store_lookup(struct store *store, const char *provider, const char *name,
                                struct account **out, struct aiauth_error **err);
struct account *store_find_id(struct store *store, const char *id);

/* Add an account described by `tmpl` (provider, kind, method and optional
 * fields; id and created are filled in here).  A NULL label becomes the
 * email, else "<provider> <YYYY-MM-DD>", made unique with " (2)", " (3)".
 * An explicit label that is taken is AIAUTH_USAGE.  *added points into the
 * store until the next add or remove. */
enum aiauth_status store_add(struct store *store, const struct account *tmpl,
                             struct account **added, struct aiauth_error **err);
enum aiauth_status store_remove(struct store *store, const char *id, struct aiauth_error **err);
enum aiauth_status store_rename(struct store *store, const char *id, const char *label,
                                struct aiauth_error **err);
/* id NULL clears the provider's active mark. */
enum aiauth_status store_set_active(struct store *store, const char *provider, const char *id,
                                    struct aiauth_error **err);
/* NULL when the provider has no active account. */
const char *store_active_id(const struct store *store, const char *provider);
/* Refused with AIAUTH_USAGE and the reason for non-OAuth accounts. */
enum aiauth_status store_set_round_robin(struct store *store, const char *id, bool on,
                                         struct aiauth_error **err);

/* Which account answers for `provider`:
 *   1. `name` when given (id or label; must belong to the provider),
 *   2. the active account when it is an API-key or keyless account,
 *   3. the next OAuth account of the round-robin pool (advances the cursor),
 *   4. the active OAuth account;
 * else AIAUTH_NOT_CONFIGURED ("provider P is not configured").
 * The pool skips accounts that need sign-in; when it has nothing else and
 * there is no active account, its first member is returned anyway so that
 * the caller reports "needs sign-in".  Check (*out)->status. */
enum aiauth_status store_resolve(struct store *store, const char *provider, const char *name,
                                 struct account **out, struct aiauth_error **err);

/* A heap copy of an account that outlives the store it came from (every
 * string duplicated); NULL on OOM.  Free it with account_free(). */
struct account *account_dup(const struct account *a);
void account_free(struct account *a);

const char *account_kind_name(enum account_kind kind);
bool account_kind_parse(const char *s, enum account_kind *out);
const char *account_status_name(enum account_status status);

/* How urgent an account's state is for a person. */
enum account_urgency {
	ACCOUNT_FINE,
	ACCOUNT_WARN,  /* refresh failed, expired, or expiring within soon_s */
	ACCOUNT_ALARM, /* needs sign-in */
};
/* The account's state in words, translated ("ready", "expires in 5 min",
 * "needs sign-in"...), into buf, and how urgent it is.  Minutes are
 * rounded up: "expires in 0 min" would read as expired. */
enum account_urgency account_status_text(const struct account *a, int64_t now, int64_t soon_s,
                                         char *buf, size_t n);
/* How the account was made ("browser", "import"...), else its kind. */
const char *account_method_text(const struct account *a);

#endif
