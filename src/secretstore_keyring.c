/* secretstore_keyring.c - the Secret Service backend (libsecret) and the
 * probe that decides whether it can be used.
 *
 * Items use aiauth's own schema, "org.aiauth.Credential", with the string
 * attributes account_id, provider and kind.  Attributes are stored and sent
 * in the clear by every Secret Service, so they hold identifiers only; the
 * credential blob is the item's secret (STYLE.md rule 11, as in
 * git-credential-libsecret).
 *
 * Nothing here asks for an unlock prompt: a prompt cannot be answered in a
 * headless session and the _sync calls would wait for it.  Reads search
 * without unlocking and report a locked item as "the keyring is locked";
 * writes look the default collection up and refuse when it is locked.
 * Delete is secret_service_clear_sync() on the service we hold, which
 * deletes what it can see.
 *
 * Items are handled by their D-Bus object paths (libsecret's secret-paths.h)
 * rather than as SecretItem objects: a SecretItem is a D-Bus proxy, and
 * making one costs a round trip for its properties and two to the bus for
 * its signal subscription.  A read is then a search and a GetSecret, as in
 * secret-tool.  A write is a search, a GetAll and a SetSecret when the
 * account's item is there already (one rewrite of gnome-keyring's file),
 * and a search, two lookups and a CreateItem when it is not.
 *
 * keyring_probe() talks D-Bus itself, with explicit timeouts, so that it
 * answers within timeout_ms whatever sits on (or is missing from) the
 * session bus.  It uses the process's shared session-bus connection, which
 * libsecret takes up afterwards instead of connecting again. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The D-Bus-path functions (secret-paths.h) are marked unstable, yet they
 * have kept their shape for years: libsecret's own secret_password_*()
 * calls, and so secret-tool, are built on them. */
#define SECRET_API_SUBJECT_TO_CHANGE 1
#include <libsecret/secret.h>

#include "loop.h"
#include "secret.h"
#include "secretstore_backend.h"

#define SECRETS_NAME "org.freedesktop.secrets"
#define SECRETS_PATH "/org/freedesktop/secrets"
#define SECRETS_SERVICE_IFACE "org.freedesktop.Secret.Service"
#define SECRETS_COLLECTION_IFACE "org.freedesktop.Secret.Collection"
#define SECRETS_ITEM_IFACE "org.freedesktop.Secret.Item"

static const SecretSchema aiauth_schema = {
	.name = "org.aiauth.Credential",
	.flags = SECRET_SCHEMA_NONE,
	.attributes = {
		{.name = "account_id", .type = SECRET_SCHEMA_ATTRIBUTE_STRING},
		{.name = "provider", .type = SECRET_SCHEMA_ATTRIBUTE_STRING},
		{.name = "kind", .type = SECRET_SCHEMA_ATTRIBUTE_STRING},
		{.name = NULL, .type = 0},
	},
};

struct keyring {
	SecretService *service;
	/* Started puts (keyring_put_start): their replies are dispatched in a
	 * main context of our own, whose wake-up descriptor the aiauth loop
	 * watches while any is in flight. */
	GMainContext *ctx;
	bool ctx_acquired;
	int ctx_fd;
	struct loop *loop;
	int watch;
	size_t pending;
};

/* The session bus as the last successful probe found it, for
 * keyring_backend_open().  GLib shares the session-bus connection through
 * a weak reference only: without this one, libsecret would connect (and
 * authenticate) all over again. */
static GDBusConnection *probed_bus;

/* ------------------------------------------------------------ messages */

/* One line for a GError from libsecret or GDBus.  GLib's own text is used
 * only as a last resort; it names D-Bus errors and paths, never secrets. */
static const char *keyring_gerror_text(const GError *e)
{
	if (!e)
		return _("the Secret Service gave no answer");
	if (g_error_matches(e, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
		return _("the keyring is locked");
	if (g_error_matches(e, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT))
		return _("no default keyring collection");
	if (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND))
		return _("no Secret Service on the session bus");
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))
		return _("the Secret Service did not answer in time");
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return _("the request to the keyring was cancelled");
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CLOSED))
		return _("no session bus");
	return e->message;
}

/* AIAUTH_BACKEND "<doing>: <reason>"; frees the GError. */
static enum aiauth_status keyring_fail(struct aiauth_error **err, GError **e, const char *doing)
{
	enum aiauth_status st =
		error_set(err, AIAUTH_BACKEND, "%s: %s", doing, keyring_gerror_text(e ? *e : NULL));
	if (e)
		g_clear_error(e);
	return st;
}

/* ----------------------------------------------------------- the backend */

static GHashTable *attrs_new(void)
{
	/* Keys and values are borrowed: the table never outlives the call. */
	return g_hash_table_new(g_str_hash, g_str_equal);
}

/* A property of a collection or an item (a plain D-Bus call on the
 * service's connection: libsecret has no path function for it).  NULL and
 * *e on failure. */
static GVariant *keyring_property(struct keyring *k, const char *path, const char *iface,
                                  const char *name, GError **e)
{
	GDBusProxy *proxy = G_DBUS_PROXY(k->service);
	GVariant *r = g_dbus_connection_call_sync(
		g_dbus_proxy_get_connection(proxy), g_dbus_proxy_get_name(proxy), path,
		"org.freedesktop.DBus.Properties", "Get", g_variant_new("(ss)", iface, name),
		G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, e);
	if (!r)
		return NULL;
	GVariant *v = NULL;
	g_variant_get(r, "(v)", &v);
	g_variant_unref(r);
	return v;
}

static guint strv_len(gchar **v)
{
	return v ? g_strv_length(v) : 0;
}

/* The paths of the account's items (of all aiauth's items when id is
 * NULL), unlocked and locked (free both with g_strfreev). */
static bool keyring_search(struct keyring *k, const char *id, gchar ***unlocked, gchar ***locked,
                           GError **e)
{
	GHashTable *attrs = attrs_new();
	if (id)
		g_hash_table_insert(attrs, (gpointer) "account_id", (gpointer)id);
	bool ok = secret_service_search_for_dbus_paths_sync(k->service, &aiauth_schema, attrs, NULL,
	                                                     unlocked, locked, e);
	g_hash_table_unref(attrs);
	return ok;
}

/* Item.GetSecret over the session libsecret negotiated, decoded by
 * libsecret.  Not secret_service_get_secret_for_dbus_path_sync(): in
 * libsecret 0.20 it loses the reply's body on every call (valgrind:
 * "definitely lost", as in secret-tool lookup). */
static SecretValue *keyring_get_secret(struct keyring *k, const char *path, GError **e)
{
	const gchar *session = secret_service_get_session_dbus_path(k->service);
	if (!session) {
		g_set_error_literal(e, G_IO_ERROR, G_IO_ERROR_FAILED, "no session");
		return NULL;
	}
	GDBusProxy *proxy = G_DBUS_PROXY(k->service);
	GVariant *r = g_dbus_connection_call_sync(
		g_dbus_proxy_get_connection(proxy), g_dbus_proxy_get_name(proxy), path,
		SECRETS_ITEM_IFACE, "GetSecret", g_variant_new("(o)", session),
		G_VARIANT_TYPE("((oayays))"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, e);
	if (!r)
		return NULL;
	GVariant *secret = g_variant_get_child_value(r, 0);
	SecretValue *value = secret_service_decode_dbus_secret(k->service, secret);
	g_variant_unref(secret);
	g_variant_unref(r);
	if (!value)
		g_set_error_literal(e, G_IO_ERROR, G_IO_ERROR_FAILED, "the secret could not be decoded");
	return value;
}

static enum aiauth_status keyring_get(void *impl, const char *id, struct secret **out,
                                      struct aiauth_error **err)
{
	struct keyring *k = impl;
	enum aiauth_status st = AIAUTH_NOT_FOUND;
	GError *e = NULL;
	gchar **unlocked = NULL, **locked = NULL;
	const char *doing = _("cannot read from the keyring");

	*out = NULL;
	if (!keyring_search(k, id, &unlocked, &locked, &e)) {
		st = keyring_fail(err, &e, doing);
		goto out;
	}
	for (gchar **p = unlocked; p && *p; p++) {
		SecretValue *value = keyring_get_secret(k, *p, &e);
		if (e) {
			st = keyring_fail(err, &e, doing);
			goto out;
		}
		if (!value)
			continue;
		gsize len = 0;
		const gchar *bytes = secret_value_get(value, &len);
		/* libsecret keeps the value in its own wiped, non-swappable memory;
		 * our copy is a struct secret, wiped in turn when freed. */
		*out = secret_from_mem(bytes, len);
		secret_value_unref(value);
		if (!*out) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
		st = AIAUTH_OK;
		goto out;
	}
	if (locked && *locked)
		st = error_set(err, AIAUTH_BACKEND, "%s: %s", doing, _("the keyring is locked"));
out:
	g_strfreev(unlocked);
	g_strfreev(locked);
	return st;
}

/* Is attribute `name` of an a{ss} equal to `want` (NULL: absent or empty)? */
static bool attr_equal(GVariant *attrs, const char *name, const char *want)
{
	const char *have = NULL;
	if (!g_variant_lookup(attrs, name, "&s", &have))
		have = NULL;
	if (!have || !want)
		return have == want || (have && !*have && !want);
	return strcmp(have, want) == 0;
}

/* Do two a{ss} hold the same pairs?  (A Secret Service returns them in
 * an order of its own.) */
static bool attrs_same(GVariant *have, GVariant *want)
{
	if (g_variant_n_children(have) != g_variant_n_children(want))
		return false;
	GVariantIter it;
	const char *name = NULL, *value = NULL;
	g_variant_iter_init(&it, want);
	while (g_variant_iter_next(&it, "{&s&s}", &name, &value)) {
		if (!attr_equal(have, name, value))
			return false;
	}
	return true;
}

/* Does an item's GetAll reply, "(a{sv})", show exactly these attributes and
 * this label? */
static bool props_same(GVariant *reply, GVariant *attrs, const char *label)
{
	GVariant *props = g_variant_get_child_value(reply, 0);
	GVariant *have = g_variant_lookup_value(props, "Attributes", G_VARIANT_TYPE("a{ss}"));
	const char *have_label = NULL;
	bool same = have && attrs_same(have, attrs) &&
	            g_variant_lookup(props, "Label", "&s", &have_label) &&
	            strcmp(have_label, label) == 0;
	if (have)
		g_variant_unref(have);
	g_variant_unref(props);
	return same;
}

static GVariant *item_props_sync(struct keyring *k, const char *path, GError **e)
{
	GDBusProxy *proxy = G_DBUS_PROXY(k->service);
	return g_dbus_connection_call_sync(
		g_dbus_proxy_get_connection(proxy), g_dbus_proxy_get_name(proxy), path,
		"org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", SECRETS_ITEM_IFACE),
		G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, e);
}

/* The item among `paths` whose attributes are exactly `attrs` and whose
 * label is `label`, if any (a new string; NULL otherwise or on error). */
static gchar *keyring_find_same(struct keyring *k, gchar **paths, GVariant *attrs,
                                const char *label, GError **e)
{
	for (gchar **p = paths; p && *p; p++) {
		GVariant *r = item_props_sync(k, *p, e);
		if (!r)
			return NULL;
		bool same = props_same(r, attrs, label);
		g_variant_unref(r);
		if (same)
			return g_strdup(*p);
	}
	return NULL;
}

/* Item.SetSecret on an existing item: one write of the keyring, where
 * CreateItem with "replace" costs gnome-keyring two (it stores the
 * attributes and the label, then the secret, rewriting its whole file
 * each time), which made it the bound of refresh --all. */
static bool keyring_set_secret(struct keyring *k, const char *path, SecretValue *sv, GError **e)
{
	GDBusProxy *proxy = G_DBUS_PROXY(k->service);
	GVariant *secret = secret_service_encode_dbus_secret(k->service, sv);
	if (!secret) {
		g_set_error_literal(e, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot encode the secret");
		return false;
	}
	GVariant *r = g_dbus_connection_call_sync(
		g_dbus_proxy_get_connection(proxy), g_dbus_proxy_get_name(proxy), path,
		SECRETS_ITEM_IFACE, "SetSecret", g_variant_new("(@(oayays))", secret), G_VARIANT_TYPE("()"),
		G_DBUS_CALL_FLAGS_NONE, -1, NULL, e);
	if (!r)
		return false;
	g_variant_unref(r);
	return true;
}

/* A put replaces the item whose attributes are all equal; an item of the
 * same account with another provider or kind would survive it and make
 * lookups ambiguous.  Remove those (from the paths the put searched for
 * first) after the new item is safely stored, so that a failure never
 * leaves the account with no secret at all. */
static enum aiauth_status keyring_drop_stale(struct keyring *k, gchar **unlocked, gchar **locked,
                                             const char *kept, const struct secret_meta *meta,
                                             struct aiauth_error **err)
{
	GError *e = NULL;
	for (int pass = 0; pass < 2; pass++) {
		for (gchar **p = pass ? locked : unlocked; p && *p; p++) {
			if (strcmp(*p, kept) == 0)
				continue;
			GVariant *have = keyring_property(k, *p, SECRETS_ITEM_IFACE, "Attributes", &e);
			if (!have)
				return keyring_fail(err, &e, _("cannot tidy the keyring"));
			bool same = g_variant_is_of_type(have, G_VARIANT_TYPE("a{ss}")) &&
			            attr_equal(have, "provider", meta->provider) &&
			            attr_equal(have, "kind", meta->kind);
			g_variant_unref(have);
			if (same)
				continue;
			if (!secret_service_delete_item_dbus_path_sync(k->service, *p, NULL, &e))
				return keyring_fail(err, &e, _("cannot remove an old keyring item"));
		}
	}
	return AIAUTH_OK;
}

/* What a put is about to do, worked out before the write: the item's
 * label and attributes, the value, the account's items as a search found
 * them, and the one among them that only needs its secret replaced. */
struct put_plan {
	char *label;
	GVariant *attrs;
	SecretValue *value;
	gchar **unlocked, **locked;
	gchar *same; /* NULL: CreateItem */
	char *provider, *kind; /* for keyring_drop_stale() afterwards */
	char *id;
};

static void put_plan_clear(struct put_plan *p)
{
	g_free(p->label);
	if (p->attrs)
		g_variant_unref(p->attrs);
	if (p->value)
		secret_value_unref(p->value);
	g_strfreev(p->unlocked);
	g_strfreev(p->locked);
	g_free(p->same);
	g_free(p->provider);
	g_free(p->kind);
	g_free(p->id);
	memset(p, 0, sizeof(*p));
}

/* A put is a search for the account's items first.  An unlocked item with
 * exactly the attributes and label we would write (a refresh, a re-login)
 * gets its new secret in place, wherever its collection; otherwise
 * CreateItem in the default collection replaces the item with equal
 * attributes or adds one. */
static enum aiauth_status put_plan_make(struct keyring *k, const char *id,
                                        const struct secret_meta *meta,
                                        const struct secret *value, bool search,
                                        struct put_plan *p, struct aiauth_error **err)
{
	GError *e = NULL;
	memset(p, 0, sizeof(*p));
	const char *pname = meta->provider_name && *meta->provider_name ? meta->provider_name
	                                                                : meta->provider;
	/* The label is data kept in the keyring, so it is not translated. */
	if (meta->label && *meta->label)
		p->label = g_strdup_printf("aiauth: %s (%s)", pname ? pname : "?", meta->label);
	else
		p->label = g_strdup_printf("aiauth: %s", pname ? pname : "?");
	p->provider = g_strdup(meta->provider);
	p->kind = g_strdup(meta->kind);

	/* The attributes as libsecret writes them for a schema: with the
	 * schema's name, so that searches by schema find the item. */
	GVariantBuilder attrs;
	g_variant_builder_init(&attrs, G_VARIANT_TYPE("a{ss}"));
	g_variant_builder_add(&attrs, "{ss}", "xdg:schema", aiauth_schema.name);
	g_variant_builder_add(&attrs, "{ss}", "account_id", id);
	if (meta->provider)
		g_variant_builder_add(&attrs, "{ss}", "provider", meta->provider);
	if (meta->kind)
		g_variant_builder_add(&attrs, "{ss}", "kind", meta->kind);
	p->attrs = g_variant_ref_sink(g_variant_builder_end(&attrs));

	/* secret_value_new copies into libsecret's wiped memory. */
	p->value = secret_value_new((const gchar *)value->buf, (gssize)value->len, "text/plain");
	p->id = g_strdup(id);
	if (!search)
		return AIAUTH_OK;
	if (!keyring_search(k, id, &p->unlocked, &p->locked, &e) ||
	    (!(p->same = keyring_find_same(k, p->unlocked, p->attrs, p->label, &e)) && e)) {
		put_plan_clear(p);
		return keyring_fail(err, &e, _("cannot store the secret in the keyring"));
	}
	return AIAUTH_OK;
}

/* The write of a plan without an item to reuse: CreateItem in the default
 * collection.  *item receives the path of the item written. */
static enum aiauth_status put_plan_create(struct keyring *k, const struct put_plan *p,
                                          gchar **item, struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	GError *e = NULL;
	GVariant *locked = NULL;
	gchar *coll = NULL;
	const char *doing = _("cannot store the secret in the keyring");
	GHashTable *props = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
	                                          (GDestroyNotify)g_variant_unref);
	g_hash_table_insert(props, (gpointer)SECRETS_ITEM_IFACE ".Attributes", g_variant_ref(p->attrs));
	g_hash_table_insert(props, (gpointer)SECRETS_ITEM_IFACE ".Label",
	                    g_variant_ref_sink(g_variant_new_string(p->label)));
	coll = secret_service_read_alias_dbus_path_sync(k->service, SECRET_COLLECTION_DEFAULT, NULL,
	                                                &e);
	if (e) {
		st = keyring_fail(err, &e, doing);
		goto out;
	}
	if (!coll) {
		st = error_set(err, AIAUTH_BACKEND, "%s: %s", doing,
		               _("no default keyring collection"));
		goto out;
	}
	/* Storing into a locked collection would start an unlock prompt. */
	locked = keyring_property(k, coll, SECRETS_COLLECTION_IFACE, "Locked", &e);
	if (!locked) {
		st = keyring_fail(err, &e, doing);
		goto out;
	}
	if (!g_variant_is_of_type(locked, G_VARIANT_TYPE_BOOLEAN) || g_variant_get_boolean(locked)) {
		st = error_set(err, AIAUTH_BACKEND, "%s: %s", doing, _("the keyring is locked"));
		goto out;
	}
	*item = secret_service_create_item_dbus_path_sync(k->service, coll, props, p->value,
	                                                  SECRET_ITEM_CREATE_REPLACE, NULL, &e);
	if (!*item)
		st = keyring_fail(err, &e, doing);
out:
	if (locked)
		g_variant_unref(locked);
	g_free(coll);
	g_hash_table_unref(props);
	return st;
}

static enum aiauth_status put_plan_tidy(struct keyring *k, const struct put_plan *p,
                                        const char *kept, struct aiauth_error **err)
{
	const struct secret_meta meta = {.provider = p->provider, .kind = p->kind};
	return keyring_drop_stale(k, p->unlocked, p->locked, kept, &meta, err);
}

static enum aiauth_status keyring_put(void *impl, const char *id, const struct secret_meta *meta,
                                      const struct secret *value, struct aiauth_error **err)
{
	struct keyring *k = impl;
	struct put_plan p;
	GError *e = NULL;
	gchar *item = NULL;
	enum aiauth_status st = put_plan_make(k, id, meta, value, true, &p, err);
	if (st != AIAUTH_OK)
		return st;
	if (p.same) {
		if (!keyring_set_secret(k, p.same, p.value, &e))
			st = keyring_fail(err, &e, _("cannot store the secret in the keyring"));
	} else {
		st = put_plan_create(k, &p, &item, err);
	}
	if (st == AIAUTH_OK)
		st = put_plan_tidy(k, &p, p.same ? p.same : item, err);
	g_free(item);
	put_plan_clear(&p);
	return st;
}

/* ------------------------------------------------------ started puts */

/* A started put: a chain of asynchronous calls (search, GetAll of each
 * item found until one is the same, SetSecret), so that nothing in it
 * makes the caller wait for the keyring's earlier writes. */
struct keyring_put_op {
	struct keyring *k;
	struct put_plan plan;
	size_t next; /* the next of plan.unlocked to look at */
	backend_put_done_fn done;
	void *ctx;
	bool finished;
	bool abandoned; /* keyring_put_wait() owns it: no done, it frees */
};

/* The descriptor GLib's context signals when a reply is ready to be
 * dispatched (its GWakeup: the only one, as nothing else is attached).
 * The context stays acquired by this thread: GLib signals the wake-up of a
 * context only when another thread than its owner attaches a source (the
 * reply, from the GDBus worker), never for an ownerless one. */
static bool keyring_ctx_setup(struct keyring *k)
{
	if (k->ctx)
		return k->ctx_fd >= 0;
	k->ctx = g_main_context_new();
	k->ctx_fd = -1;
	if (!(k->ctx_acquired = g_main_context_acquire(k->ctx)))
		return false;
	gint max_priority = 0, timeout = 0;
	GPollFD fds[4];
	g_main_context_prepare(k->ctx, &max_priority);
	gint n = g_main_context_query(k->ctx, max_priority, &timeout, fds, 4);
	g_main_context_check(k->ctx, max_priority, fds, n < 4 ? n : 4);
	if (n == 1)
		k->ctx_fd = fds[0].fd;
	return k->ctx_fd >= 0;
}

static void keyring_ctx_ready(void *ctx, int fd, short revents)
{
	(void)fd;
	(void)revents;
	struct keyring *k = ctx;
	while (g_main_context_iteration(k->ctx, FALSE))
		;
}

static void keyring_put_op_free(struct keyring_put_op *op)
{
	put_plan_clear(&op->plan);
	g_free(op);
}

static void put_op_end(struct keyring_put_op *op, enum aiauth_status st,
                       struct aiauth_error **err)
{
	struct keyring *k = op->k;
	op->finished = true;
	if (--k->pending == 0 && k->watch) {
		loop_unwatch_fd(k->loop, k->watch);
		k->watch = 0;
		k->loop = NULL;
	}
	if (!op->abandoned) {
		op->done(op->ctx, st, err);
		keyring_put_op_free(op);
	}
	error_clear(err);
}

static void put_op_fail(struct keyring_put_op *op, GError **e)
{
	struct aiauth_error *err = NULL;
	enum aiauth_status st = keyring_fail(&err, e, _("cannot store the secret in the keyring"));
	put_op_end(op, st, &err);
}

static void put_op_set_replied(GObject *src, GAsyncResult *res, gpointer data)
{
	struct keyring_put_op *op = data;
	struct aiauth_error *err = NULL;
	GError *e = NULL;
	GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
	if (!r) {
		put_op_fail(op, &e);
		return;
	}
	g_variant_unref(r);
	enum aiauth_status st = put_plan_tidy(op->k, &op->plan, op->plan.same, &err);
	put_op_end(op, st, &err);
}

/* A D-Bus call whose reply comes back through op->k's context. */
static void put_op_call(struct keyring_put_op *op, const char *path, const char *iface,
                        const char *method, GVariant *args, const GVariantType *reply,
                        GAsyncReadyCallback cb)
{
	GDBusProxy *proxy = G_DBUS_PROXY(op->k->service);
	g_main_context_push_thread_default(op->k->ctx);
	g_dbus_connection_call(g_dbus_proxy_get_connection(proxy), g_dbus_proxy_get_name(proxy), path,
	                       iface, method, args, reply, G_DBUS_CALL_FLAGS_NONE, -1, NULL, cb, op);
	g_main_context_pop_thread_default(op->k->ctx);
}

static void put_op_next(struct keyring_put_op *op);

static void put_op_got_props(GObject *src, GAsyncResult *res, gpointer data)
{
	struct keyring_put_op *op = data;
	GError *e = NULL;
	GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
	if (!r) {
		put_op_fail(op, &e);
		return;
	}
	bool same = props_same(r, op->plan.attrs, op->plan.label);
	g_variant_unref(r);
	if (!same) {
		op->next++;
		put_op_next(op);
		return;
	}
	op->plan.same = g_strdup(op->plan.unlocked[op->next]);
	/* Encoded for the session libsecret negotiated (encrypted). */
	GVariant *secret = secret_service_encode_dbus_secret(op->k->service, op->plan.value);
	if (!secret) {
		struct aiauth_error *err = NULL;
		enum aiauth_status st =
		    error_set(&err, AIAUTH_BACKEND, "%s: %s", _("cannot store the secret in the keyring"),
		              _("the secret could not be encoded"));
		put_op_end(op, st, &err);
		return;
	}
	put_op_call(op, op->plan.same, SECRETS_ITEM_IFACE, "SetSecret",
	            g_variant_new("(@(oayays))", secret), G_VARIANT_TYPE("()"), put_op_set_replied);
}

/* Look at the next item found; with none left, the item is created (a
 * rare case: a first save, a rename), synchronously. */
static void put_op_next(struct keyring_put_op *op)
{
	if (op->plan.unlocked && op->plan.unlocked[op->next]) {
		put_op_call(op, op->plan.unlocked[op->next], "org.freedesktop.DBus.Properties",
		            "GetAll", g_variant_new("(s)", SECRETS_ITEM_IFACE),
		            G_VARIANT_TYPE("(a{sv})"), put_op_got_props);
		return;
	}
	struct aiauth_error *err = NULL;
	gchar *item = NULL;
	enum aiauth_status st = put_plan_create(op->k, &op->plan, &item, &err);
	if (st == AIAUTH_OK)
		st = put_plan_tidy(op->k, &op->plan, item, &err);
	g_free(item);
	put_op_end(op, st, &err);
}

static void put_op_searched(GObject *src, GAsyncResult *res, gpointer data)
{
	struct keyring_put_op *op = data;
	GError *e = NULL;
	if (!secret_service_search_for_dbus_paths_finish(SECRET_SERVICE(src), res, &op->plan.unlocked,
	                                                  &op->plan.locked, &e)) {
		put_op_fail(op, &e);
		return;
	}
	op->next = 0;
	put_op_next(op);
}

/* The whole put goes on while the caller's loop runs: gnome-keyring
 * rewrites its whole file for every write, one at a time, and a refresh of
 * many accounts keeps it busy with one write while the next ones queue up
 * behind it, instead of waiting for each. */
static enum aiauth_status keyring_put_start(void *impl, struct loop *loop, const char *id,
                                            const struct secret_meta *meta,
                                            const struct secret *value, backend_put_done_fn done,
                                            void *ctx, void **handle, struct aiauth_error **err)
{
	struct keyring *k = impl;
	*handle = NULL;
	if ((k->loop && k->loop != loop) || !keyring_ctx_setup(k))
		return keyring_put(impl, id, meta, value, err);
	if (!k->watch) {
		k->watch = loop_watch_fd(loop, k->ctx_fd, POLLIN, keyring_ctx_ready, k);
		if (!k->watch)
			return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		k->loop = loop;
	}
	struct keyring_put_op *op = g_new0(struct keyring_put_op, 1);
	op->k = k;
	op->done = done;
	op->ctx = ctx;
	put_plan_make(k, id, meta, value, false, &op->plan, NULL);
	GHashTable *attrs = attrs_new();
	g_hash_table_insert(attrs, (gpointer) "account_id", op->plan.id);
	g_main_context_push_thread_default(k->ctx);
	secret_service_search_for_dbus_paths(k->service, &aiauth_schema, attrs, NULL,
	                                     put_op_searched, op);
	g_main_context_pop_thread_default(k->ctx);
	g_hash_table_unref(attrs);
	k->pending++;
	*handle = op;
	return AIAUTH_OK;
}

/* Wait for a started put to end, without calling its done. */
static void keyring_put_wait(void *impl, void *handle)
{
	struct keyring *k = impl;
	struct keyring_put_op *op = handle;
	op->abandoned = true;
	while (!op->finished)
		g_main_context_iteration(k->ctx, TRUE);
	keyring_put_op_free(op);
}

static enum aiauth_status keyring_del(void *impl, const char *id, struct aiauth_error **err)
{
	struct keyring *k = impl;
	GError *e = NULL;
	GHashTable *attrs = attrs_new();
	g_hash_table_insert(attrs, (gpointer) "account_id", (gpointer)id);
	/* FALSE without an error means there was nothing to delete.  On our
	 * open service, like every other call here: the service-less
	 * secret_password_clearv_sync() left three small GDBus proxy blocks
	 * "definitely lost" (valgrind, libsecret 0.20 with GLib 2.74) on each
	 * call. */
	secret_service_clear_sync(k->service, &aiauth_schema, attrs, NULL, &e);
	g_hash_table_unref(attrs);
	if (e)
		return keyring_fail(err, &e, _("cannot delete the secret from the keyring"));
	return AIAUTH_OK;
}

static enum aiauth_status keyring_list(void *impl, char ***ids, size_t *n,
                                       struct aiauth_error **err)
{
	struct keyring *k = impl;
	enum aiauth_status st = AIAUTH_OK;
	GError *e = NULL;
	gchar **unlocked = NULL, **locked = NULL;
	char **v = NULL;
	size_t count = 0;
	const char *doing = _("cannot list the keyring");

	*ids = NULL;
	*n = 0;
	if (!keyring_search(k, NULL, &unlocked, &locked, &e)) {
		st = keyring_fail(err, &e, doing);
		goto out;
	}
	v = calloc(strv_len(unlocked) + strv_len(locked) + 1, sizeof(*v));
	if (!v) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (gchar **p = pass ? locked : unlocked; p && *p; p++) {
			GVariant *have = keyring_property(k, *p, SECRETS_ITEM_IFACE, "Attributes", &e);
			if (!have) {
				st = keyring_fail(err, &e, doing);
				goto out;
			}
			const char *id = NULL;
			if (!g_variant_is_of_type(have, G_VARIANT_TYPE("a{ss}")) ||
			    !g_variant_lookup(have, "account_id", "&s", &id))
				id = NULL;
			bool dup = false;
			for (size_t i = 0; id && i < count; i++)
				dup = dup || strcmp(v[i], id) == 0;
			if (id && !dup && !(v[count] = strdup(id))) {
				g_variant_unref(have);
				st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
				goto out;
			}
			if (id && !dup)
				count++;
			g_variant_unref(have);
		}
	}
	*ids = v;
	*n = count;
	v = NULL;
out:
	if (v) {
		for (size_t i = 0; i < count; i++)
			free(v[i]);
		free(v);
	}
	g_strfreev(unlocked);
	g_strfreev(locked);
	return st;
}

static void keyring_close(void *impl)
{
	struct keyring *k = impl;
	if (!k)
		return;
	/* Started puts end first (their callers are told as usual). */
	while (k->pending)
		g_main_context_iteration(k->ctx, TRUE);
	if (k->ctx) {
		if (k->ctx_acquired)
			g_main_context_release(k->ctx);
		g_main_context_unref(k->ctx);
	}
	if (k->service)
		g_object_unref(k->service);
	free(k);
	g_clear_object(&probed_bus);
	/* Drop libsecret's shared proxy too: nothing in aiauth holds a second
	 * keyring store, and a later open makes a fresh one. */
	secret_service_disconnect();
}

static const struct secretstore_ops keyring_ops = {
	.get = keyring_get,
	.put = keyring_put,
	.put_start = keyring_put_start,
	.put_wait = keyring_put_wait,
	.del = keyring_del,
	.list = keyring_list,
	.close = keyring_close,
};

enum aiauth_status keyring_backend_open(const struct secretstore_options *opts,
                                        const struct secretstore_ops **ops, void **impl,
                                        struct aiauth_error **err)
{
	(void)opts;
	GError *e = NULL;
	struct keyring *k = calloc(1, sizeof(*k));
	if (!k)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	/* OPEN_SESSION negotiates an encrypted transfer of secret values. */
	k->service = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, NULL, &e);
	/* The service's proxy holds the connection from here on. */
	g_clear_object(&probed_bus);
	if (!k->service) {
		free(k);
		return keyring_fail(err, &e, _("cannot open the keyring"));
	}
	*ops = &keyring_ops;
	*impl = k;
	return AIAUTH_OK;
}

/* ------------------------------------------------------------- the probe */

__attribute__((format(printf, 2, 3))) static enum aiauth_status
probe_fail(char **why, const char *fmt, ...)
{
	if (why && !*why) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(why, fmt, ap) < 0)
			*why = NULL;
		va_end(ap);
	}
	return AIAUTH_BACKEND;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undo D-Bus address escaping (%XX) of the n bytes of a path value. */
static char *address_unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 &&
		    (lo = hex_value(s[i + 2])) >= 0) {
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* false when every entry of the address is a unix:path= whose socket is
 * missing: connecting would only fail, and some GLib versions would try to
 * autolaunch a bus instead.  Other transports are left to GDBus. */
static bool address_may_work(const char *addr)
{
	const char *p = addr;
	while (*p) {
		size_t len = strcspn(p, ";");
		if (len > 0) {
			if (strncmp(p, "unix:", 5) != 0)
				return true;
			const char *kv = p + 5, *end = p + len, *path = NULL;
			size_t plen = 0;
			while (kv < end) {
				size_t kl = strcspn(kv, ",;");
				if (kv + kl > end)
					kl = (size_t)(end - kv);
				if (kl > 5 && strncmp(kv, "path=", 5) == 0) {
					path = kv + 5;
					plen = kl - 5;
				}
				kv += kl + 1;
			}
			if (!path)
				return true; /* abstract=, dir=, tmpdir=: cannot check */
			char *fs = address_unescape(path, plen);
			struct stat st;
			bool there = fs && stat(fs, &st) == 0 && S_ISSOCK(st.st_mode);
			free(fs);
			if (there)
				return true;
		}
		p += len;
		if (*p == ';')
			p++;
	}
	return false;
}

struct probe_connect {
	GDBusConnection *conn;
	GError *error;
	bool done;
};

static void probe_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	(void)src;
	struct probe_connect *pc = data;
	pc->conn = g_bus_get_finish(res, &pc->error);
	pc->done = true;
}

static gboolean probe_cancel(gpointer data)
{
	g_cancellable_cancel(data);
	return G_SOURCE_REMOVE;
}

static int ms_left(gint64 deadline)
{
	gint64 left = (deadline - g_get_monotonic_time()) / 1000;
	return left < 1 ? 1 : left > G_MAXINT ? G_MAXINT : (int)left;
}

/* The session bus with a deadline: the socket may exist and never answer
 * the authentication (a stale or stopped bus), and the _sync getter has no
 * timeout of its own.  It is GLib's shared connection (g_bus_get), the one
 * libsecret asks for next: connecting once saves a handshake and a worker
 * thread's start on every run (the address is the one GLib uses too:
 * DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus, which the caller
 * has checked).  A private main context keeps this from touching anyone
 * else's. */
static GDBusConnection *probe_connect(gint64 deadline, GError **error)
{
	struct probe_connect pc = {0};
	GMainContext *ctx = g_main_context_new();
	GCancellable *cancel = g_cancellable_new();
	g_main_context_push_thread_default(ctx);
	g_bus_get(G_BUS_TYPE_SESSION, cancel, probe_connected, &pc);
	GSource *timer = g_timeout_source_new((guint)ms_left(deadline));
	g_source_set_callback(timer, probe_cancel, cancel, NULL);
	g_source_attach(timer, ctx);
	/* After a cancel the callback still comes, with G_IO_ERROR_CANCELLED. */
	while (!pc.done)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(timer);
	g_source_unref(timer);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	g_object_unref(cancel);
	if (pc.error) {
		if (g_error_matches(pc.error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_clear_error(&pc.error);
			g_set_error_literal(&pc.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
		}
		g_propagate_error(error, pc.error);
	}
	return pc.conn;
}

static GVariant *probe_call(GDBusConnection *conn, const char *dest, const char *path,
                            const char *iface, const char *method, GVariant *args,
                            const char *reply_type, gint64 deadline, GError **error)
{
	return g_dbus_connection_call_sync(conn, dest, path, iface, method, args,
	                                   G_VARIANT_TYPE(reply_type),
	                                   G_DBUS_CALL_FLAGS_NONE, ms_left(deadline), NULL, error);
}

static enum aiauth_status probe_call_failed(char **why, GError **e, int timeout_ms)
{
	enum aiauth_status st;
	if (g_error_matches(*e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches(*e, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
	    g_error_matches(*e, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT) ||
	    g_error_matches(*e, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))
		st = probe_fail(why, _("the Secret Service did not answer within %d ms"), timeout_ms);
	else
		st = probe_fail(why, "%s", keyring_gerror_text(*e));
	g_clear_error(e);
	return st;
}

enum aiauth_status keyring_probe(int timeout_ms, char **why)
{
	enum aiauth_status st = AIAUTH_OK;
	GError *e = NULL;
	GDBusConnection *conn = NULL;
	GVariant *r = NULL;
	char *fallback = NULL;

	if (why)
		*why = NULL;
	if (timeout_ms <= 0)
		timeout_ms = 2000;
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	/* Where GLib would look: the variable, else $XDG_RUNTIME_DIR/bus. */
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
	if (!addr || !*addr) {
		const char *rt = getenv("XDG_RUNTIME_DIR");
		if (rt && *rt == '/') {
			fallback = g_strdup_printf("unix:path=%s/bus", rt);
			addr = fallback;
		}
	}
	if (!addr || !address_may_work(addr)) {
		st = probe_fail(why, "%s", _("no session bus"));
		goto out;
	}

	conn = probe_connect(deadline, &e);
	if (!conn) {
		if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
			st = probe_fail(why, _("the session bus did not answer within %d ms"),
			                timeout_ms);
		else
			st = probe_fail(why, "%s", _("no session bus"));
		g_clear_error(&e);
		goto out;
	}

	/* Straight to the Secret Service: the bus answers ServiceUnknown at once
	 * when nobody owns the name and no .service file can start it, and
	 * starts it (within the same deadline) when one can.  The specification
	 * puts the default collection at the alias path too, so one call
	 * usually tells whether it is locked; a service without alias paths,
	 * or with no default collection, gets the two-step way. */
	r = probe_call(conn, SECRETS_NAME, SECRETS_PATH "/aliases/default",
	               "org.freedesktop.DBus.Properties", "Get",
	               g_variant_new("(ss)", SECRETS_COLLECTION_IFACE, "Locked"), "(v)", deadline,
	               &e);
	if (!r && (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	           g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	           g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND) ||
	           g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	           g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
	           g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT) ||
	           g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))) {
		st = probe_call_failed(why, &e, timeout_ms);
		goto out;
	}
	if (!r) {
		g_clear_error(&e);
		r = probe_call(conn, SECRETS_NAME, SECRETS_PATH, SECRETS_SERVICE_IFACE, "ReadAlias",
		               g_variant_new("(s)", "default"), "(o)", deadline, &e);
		if (!r) {
			st = probe_call_failed(why, &e, timeout_ms);
			goto out;
		}
		const char *coll = NULL;
		g_variant_get(r, "(&o)", &coll);
		/* "/" means no default alias.  A "login" collection may still
		 * exist, but libsecret would then offer to create a default one
		 * through a prompt, which nobody can answer in a headless
		 * session. */
		if (strcmp(coll, "/") == 0) {
			st = probe_fail(why, "%s", _("no default keyring collection"));
			goto out;
		}
		GVariant *lr = probe_call(conn, SECRETS_NAME, coll, "org.freedesktop.DBus.Properties",
		                          "Get", g_variant_new("(ss)", SECRETS_COLLECTION_IFACE, "Locked"),
		                          "(v)", deadline, &e);
		g_clear_pointer(&r, g_variant_unref);
		r = lr;
		if (!r) {
			st = probe_call_failed(why, &e, timeout_ms);
			goto out;
		}
	}
	GVariant *v = NULL;
	g_variant_get(r, "(v)", &v);
	bool locked = !g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) || g_variant_get_boolean(v);
	g_variant_unref(v);
	if (locked) {
		st = probe_fail(why, "%s", _("the keyring is locked"));
		goto out;
	}
out:
	if (r)
		g_variant_unref(r);
	/* Not closed: it is the shared connection, kept for libsecret when
	 * the keyring can be used. */
	if (conn && st == AIAUTH_OK) {
		g_clear_object(&probed_bus);
		probed_bus = conn;
	} else if (conn) {
		g_object_unref(conn);
	}
	g_free(fallback);
	return st;
}
