/* screen_accounts.c - the home screen once an account exists (SPEC §7.8).
 *
 * Every account, grouped by provider in the registry's display order
 * (accounts of a provider providers.json no longer defines come last, under
 * their id), one row each: active mark, round-robin mark, label, method,
 * status.  Below: where the secrets are kept, the key bar, the status line.
 *
 * What the screen holds is a copy of the account store (store_load) and
 * the rows built from it; drawing reads only that copy, so a thousand
 * accounts cost one read and a sort, and a redraw touches no file.  The copy
 * is read again when the screen opens or resumes, after each change it
 * makes, and whenever the file's stamp (store_stamp: one stat) differs from
 * the one it was read at, checked once a second and before each key, so a
 * change made by `aiauth use` in another terminal shows within a second and
 * a key never acts on an account list older than the file.
 *
 * Changes go through the core's rule operations inside store_update(), each
 * saved at once (store.h): the command line sees them immediately.  Deleting
 * removes the secret first, then the account, like `aiauth remove`.
 *
 * Network work never blocks the loop: Test is a probe_start() on the TUI's
 * loop, Refresh a lifecycle_refresh_start() (not lifecycle_refresh_many(),
 * which would run the loop from inside this key handler and have the
 * framework dispatch keys into a screen that is still handling one).  One
 * test and one refresh at a time.  Esc stops a test; a refresh in flight is
 * not stopped halfway (a rotated refresh token would be lost with the
 * answer), and quitting during one asks for a second q.
 *
 * lifecycle_refresh_start() itself still runs the loop when a provider's
 * token endpoint must be discovered from its issuer; keys that arrive then
 * reach this screen re-entrantly, so a second refresh is refused until the
 * first has started (refresh_starting), and nothing keeps a pointer into
 * the store copy across the call.
 *
 * Reading a secret (Test) and deleting one are synchronous calls of the
 * secret store: the file backend's key derivation takes a moment, and the
 * keyring may show an unlock prompt; both happen only on a key press.
 *
 * Sync (s) is sync_provider() of the core (sync.h), called from the key
 * handler: it reads the CLI's file and takes a token the CLI refreshed on
 * its own in before anything is refreshed (the order sync.h explains), so
 * it cannot be split into "R, then write".  When the token expires soon it
 * refreshes inside the call, which runs the loop: keys that arrive then
 * are refused (syncing), and the account's label is copied before the
 * call, as a tick may read the store again under it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "credential.h"
#include "i18n.h"
#include "lifecycle.h"
#include "probe.h"
#include "registry.h"
#include "screens.h"
#include "secretstore.h"
#include "session.h"
#include "store.h"
#include "sync.h"

/* ------------------------------------------------------------ keys */

/* X(ACTION, KEY AS SHOWN, KEY-BAR LABEL or NULL, HELP) - the key bar and the
 * help overlay (through accounts_keys) are generated from this table. */
#define ACCOUNTS_ACTIONS(X)                                                                  \
	X(MOVE, "Up/Down j k", NULL, N_("move the selection (also PgUp, PgDn, Home, End)"))     \
	X(ADD, "a", N_("add"), N_("add an account: choose a provider"))                         \
	X(DETAILS, "Enter", N_("details"), N_("show or hide the selected account's details"))    \
	X(ACTIVE, "Space", N_("active"),                                                         \
	  N_("make the account its provider's active one, or clear the mark (also *)"))          \
	X(POOL, "r", N_("round robin"),                                                          \
	  N_("add the account to its provider's round-robin pool, or take it out (OAuth only)")) \
	X(RENAME, "n", N_("rename"), N_("give the account another label"))                      \
	X(DELETE, "d", N_("delete"), N_("delete the account and its secret (asks first)"))      \
	X(TEST, "t", N_("test"), N_("test the credential against the provider's model list"))   \
	X(REFRESH, "R", N_("refresh"), N_("refresh the account's OAuth token now"))             \
	X(SYNC, "s", N_("sync"),                                                                 \
	  N_("write the account into its CLI's credential file (Claude Code, Codex, Gemini CLI)")) \
	X(CANCEL, "Esc", NULL, N_("close the details; stop a test in progress"))               \
	X(HELP, "?", N_("help"), N_("list every key"))                                          \
	X(QUIT, "q", N_("quit"), N_("quit aiauth"))

enum accounts_action {
#define ACC_ENUM(name, key, bar, help) ACC_##name,
	ACCOUNTS_ACTIONS(ACC_ENUM)
#undef ACC_ENUM
	ACC_NONE
};

static const struct tui_key accounts_keys[] = {
#define ACC_KEY(name, key, bar, help) {key, help},
	ACCOUNTS_ACTIONS(ACC_KEY)
#undef ACC_KEY
	{NULL, NULL}};

static const char *const accounts_bar[] = {
#define ACC_BAR(name, key, bar, help) bar,
	ACCOUNTS_ACTIONS(ACC_BAR)
#undef ACC_BAR
};

/* Movement is not an action of its own in the table above: one entry of
 * help covers all of it. */
enum accounts_move { MOVE_NONE, MOVE_UP, MOVE_DOWN, MOVE_PGUP, MOVE_PGDN, MOVE_HOME, MOVE_END };

/* Which key does what: characters first, then KEY_* codes. */
static const struct accounts_binding {
	int ch;
	bool is_char;
	enum accounts_action action;
	enum accounts_move move;
} accounts_bindings[] = {
	{'a', true, ACC_ADD, MOVE_NONE},       {'\n', true, ACC_DETAILS, MOVE_NONE},
	{'\r', true, ACC_DETAILS, MOVE_NONE},  {KEY_ENTER, false, ACC_DETAILS, MOVE_NONE},
	{' ', true, ACC_ACTIVE, MOVE_NONE},    {'*', true, ACC_ACTIVE, MOVE_NONE},
	{'r', true, ACC_POOL, MOVE_NONE},      {'n', true, ACC_RENAME, MOVE_NONE},
	{'d', true, ACC_DELETE, MOVE_NONE},    {KEY_DC, false, ACC_DELETE, MOVE_NONE},
	{'t', true, ACC_TEST, MOVE_NONE},      {'R', true, ACC_REFRESH, MOVE_NONE},
	{'s', true, ACC_SYNC, MOVE_NONE},      {27, true, ACC_CANCEL, MOVE_NONE},
	{'?', true, ACC_HELP, MOVE_NONE},      {'q', true, ACC_QUIT, MOVE_NONE},
	{'k', true, ACC_MOVE, MOVE_UP},        {KEY_UP, false, ACC_MOVE, MOVE_UP},
	{'j', true, ACC_MOVE, MOVE_DOWN},      {KEY_DOWN, false, ACC_MOVE, MOVE_DOWN},
	{KEY_PPAGE, false, ACC_MOVE, MOVE_PGUP}, {KEY_NPAGE, false, ACC_MOVE, MOVE_PGDN},
	{KEY_HOME, false, ACC_MOVE, MOVE_HOME}, {KEY_END, false, ACC_MOVE, MOVE_END},
	{'g', true, ACC_MOVE, MOVE_HOME},      {'G', true, ACC_MOVE, MOVE_END},
};

/* ------------------------------------------------------------ state */

/* A line of the list: a provider's heading or one of its accounts. */
struct row {
	bool heading;
	size_t account;              /* index into store->accounts (account rows) */
	const struct provider *provider; /* NULL for an unknown provider */
	const char *provider_id;     /* points into the store */
};

/* The outcome of the last test of an account, shown in its details. */
struct test_note {
	char *id;
	char *text;
	enum tui_role role;
};

struct accounts {
	struct tui *tui;
	struct session *session;
	const struct registry *registry;

	struct store *store; /* the copy drawn; never NULL once open */
	struct store_stamp stamp;
	struct row *rows;
	size_t n_rows;
	size_t sel; /* row index of the selected account (an account row), if any */
	bool have_sel;
	size_t top;   /* first row shown; kept by draw so that sel is visible */
	int list_h;   /* rows the list had at the last draw (PgUp/PgDn) */
	bool details; /* the details panel is open */

	struct probe *probe; /* a test in flight */
	char *probe_id;
	char *probe_label;
	struct test_note *notes;
	size_t n_notes;

	struct lifecycle_refresh *refresh; /* a refresh in flight */
	/* Inside lifecycle_refresh_start(), which may run the loop itself
	 * (token endpoint discovery), so keys can arrive re-entrantly. */
	bool refresh_starting;
	char **refresh_ids;
	size_t n_refresh;
	char **auto_tried; /* ids refreshed automatically once already */
	size_t n_auto_tried;

	bool syncing;     /* inside sync_provider(), which may run the loop */
	char *pending_id; /* the account a dialog (rename, delete) is about */
	bool quit_armed;  /* q was pressed once during a refresh */
	long minute;      /* time()/60 at the last draw: expiry texts change */
	unsigned spin;
};

#define FREE_NULL(p) do { free(p); (p) = NULL; } while (0)

/* Allocation failure aborts in ui/ (STYLE rule 9): a screen cannot go on
 * without its strings. */
static void *xcheck(void *p)
{
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	return xcheck(strdup(s));
}

/* ------------------------------------------------------------ the list */

struct sort_key {
	size_t order; /* registry index; unknown providers after all of them */
	size_t index; /* in the store: accounts keep the order they were added */
	const char *provider;
};

static int sort_key_cmp(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	/* Unknown providers share one order: group them by id. */
	int c = strcmp(a->provider, b->provider);
	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static size_t provider_order(const struct registry *reg, const char *id)
{
	size_t n = registry_count(reg);
	for (size_t i = 0; i < n; i++)
		if (strcmp(registry_at(reg, i)->id, id) == 0)
			return i;
	return n;
}

/* Rows from the store: O(n log n) with one registry lookup per provider
 * seen (accounts of a provider are usually next to each other). */
static void rows_build(struct accounts *st)
{
	free(st->rows);
	st->rows = NULL;
	st->n_rows = 0;
	size_t n = st->store->n_accounts;
	if (!n)
		return;
	struct sort_key *keys = xcheck(calloc(n, sizeof(*keys)));
	const char *last_id = NULL;
	size_t last_order = 0;
	for (size_t i = 0; i < n; i++) {
		const char *pid = st->store->accounts[i].provider;
		if (!last_id || strcmp(last_id, pid) != 0) {
			last_order = provider_order(st->registry, pid);
			last_id = pid;
		}
		keys[i] = (struct sort_key){last_order, i, pid};
	}
	qsort(keys, n, sizeof(*keys), sort_key_cmp);
	/* At most one heading per account. */
	st->rows = xcheck(calloc(2 * n, sizeof(*st->rows)));
	const char *group = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *pid = keys[i].provider;
		const struct provider *p = registry_find(st->registry, pid);
		if (!group || strcmp(group, pid) != 0) {
			st->rows[st->n_rows++] = (struct row){true, keys[i].index, p, pid};
			group = pid;
		}
		st->rows[st->n_rows++] = (struct row){false, keys[i].index, p, pid};
	}
	free(keys);
}

static struct account *row_account(const struct accounts *st, size_t r)
{
	return &st->store->accounts[st->rows[r].account];
}

static struct account *selected(const struct accounts *st)
{
	return st->have_sel ? row_account(st, st->sel) : NULL;
}

/* The first account row from r on, going forward or back (an unsigned
 * index that steps below 0 wraps past n_rows and ends the scan). */
static bool scan_rows(const struct accounts *st, size_t r, bool forward, size_t *out)
{
	for (size_t i = r; i < st->n_rows; forward ? i++ : i--) {
		if (!st->rows[i].heading) {
			*out = i;
			return true;
		}
	}
	return false;
}

/* The account row nearest r in the direction asked, else in the other. */
static bool account_row_near(const struct accounts *st, size_t r, bool forward, size_t *out)
{
	if (!st->n_rows)
		return false;
	if (r >= st->n_rows)
		r = st->n_rows - 1;
	return scan_rows(st, r, forward, out) || scan_rows(st, r, !forward, out);
}

/* Show `fresh` (taken), read when the file had `stamp`, keeping the
 * selection on the same account (by id) or, when it went away, near where
 * it was. */
static void adopt(struct accounts *st, struct store *fresh, const struct store_stamp *stamp)
{
	char *sel_id = NULL;
	size_t old_sel = st->sel;
	if (st->have_sel)
		sel_id = xstrdup(selected(st)->id);
	store_free(st->store);
	st->store = fresh;
	st->stamp = *stamp;
	rows_build(st);
	st->have_sel = false;
	if (sel_id) {
		for (size_t r = 0; r < st->n_rows; r++) {
			if (!st->rows[r].heading && strcmp(row_account(st, r)->id, sel_id) == 0) {
				st->sel = r;
				st->have_sel = true;
				break;
			}
		}
	}
	if (!st->have_sel)
		st->have_sel = account_row_near(st, sel_id ? old_sel : 0, true, &st->sel);
	free(sel_id);
}

/* Read the store again (adopt()). */
static void reload(struct accounts *st)
{
	struct store *fresh = NULL;
	struct aiauth_error *err = NULL;
	struct store_stamp stamp;
	store_stamp(NULL, &stamp);
	if (store_load(NULL, &fresh, &err) != AIAUTH_OK) {
		tui_status(st->tui, "%s", err ? err->message : _("cannot read the account list"));
		error_clear(&err);
		/* Keep showing what we had; try again only after the next change. */
		st->stamp = stamp;
		return;
	}
	adopt(st, fresh, &stamp);
}

/* One stat: has another process (or screen) changed the file? */
static bool reload_if_changed(struct accounts *st)
{
	struct store_stamp now;
	store_stamp(NULL, &now);
	if (store_stamp_equal(&now, &st->stamp))
		return false;
	reload(st);
	return true;
}

/* ------------------------------------------------------------ words */

static void account_status_words(const struct account *a, char *buf, size_t n,
                                 enum tui_role *role)
{
	static const enum tui_role roles[] = {
		[ACCOUNT_FINE] = TUI_OK, [ACCOUNT_WARN] = TUI_WARN, [ACCOUNT_ALARM] = TUI_ERROR};
	*role = roles[account_status_text(a, (int64_t)time(NULL), LIFECYCLE_MIN_VALID, buf, n)];
}

static const char *provider_name(const struct row *r)
{
	return r->provider ? _(r->provider->name) : r->provider_id;
}

static const struct test_note *find_note(const struct accounts *st, const char *id)
{
	for (size_t i = 0; i < st->n_notes; i++)
		if (strcmp(st->notes[i].id, id) == 0)
			return &st->notes[i];
	return NULL;
}

static void set_note(struct accounts *st, const char *id, const char *text, enum tui_role role)
{
	struct test_note *n = (struct test_note *)find_note(st, id);
	if (!n) {
		st->notes = xcheck(realloc(st->notes, (st->n_notes + 1) * sizeof(*st->notes)));
		n = &st->notes[st->n_notes++];
		n->id = xstrdup(id);
		n->text = NULL;
	}
	free(n->text);
	n->text = xstrdup(text);
	n->role = role;
}

static bool id_in(char *const *ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ drawing */

/* `text` at (y, x) in exactly `width` columns: cut with an ellipsis when
 * longer, padded with spaces when shorter.  Widths are the terminal's
 * (wcwidth), so labels in any script line up. */
static void put_cell(struct accounts *st, WINDOW *w, int y, int x, int width, const char *text,
                     attr_t attr)
{
	if (width <= 0)
		return;
	size_t len = strlen(text);
	wchar_t *ws = xcheck(calloc(len + 1, sizeof(*ws)));
	mbstate_t mbs;
	memset(&mbs, 0, sizeof(mbs));
	size_t nw = 0;
	for (const char *p = text; *p;) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, p, strlen(p), &mbs);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			wc = L'?'; /* not valid in this locale: show something, go on */
			k = 1;
			memset(&mbs, 0, sizeof(mbs));
		}
		int cw = wcwidth(wc);
		ws[nw++] = cw < 0 ? L'?' : wc;
		p += k;
	}
	int total = 0;
	for (size_t i = 0; i < nw; i++)
		total += wcwidth(ws[i]) > 0 ? wcwidth(ws[i]) : 0;
	wattrset(w, attr);
	wmove(w, y, x);
	int used = 0;
	if (total <= width) {
		waddnwstr(w, ws, (int)nw);
		used = total;
	} else {
		const char *ell = tui_glyphs(st->tui)->ellipsis;
		int ell_w = tui_utf8(st->tui) ? 1 : (int)strlen(ell);
		size_t i = 0;
		for (; i < nw; i++) {
			int cw = wcwidth(ws[i]) > 0 ? wcwidth(ws[i]) : 0;
			if (used + cw > width - ell_w)
				break;
			used += cw;
		}
		waddnwstr(w, ws, (int)i);
		if (width >= ell_w) {
			waddstr(w, ell);
			used += ell_w;
		}
	}
	for (; used < width; used++)
		waddch(w, ' ');
	free(ws);
}

/* Columns of an account row for a window `cols` wide. */
struct columns {
	int marks, label, label_w, method, method_w, status, status_w;
};

static struct columns columns_for(int cols)
{
	struct columns c;
	c.marks = 2;                 /* "● ↻ " after a two-column indent */
	c.label = c.marks + 4;
	c.method_w = 9;
	c.status_w = 22;
	c.label_w = cols - c.label - c.method_w - c.status_w - 2;
	if (c.label_w < 10)
		c.label_w = 10;
	c.method = c.label + c.label_w + 1;
	c.status = c.method + c.method_w + 1;
	c.status_w = cols - c.status - 1;
	return c;
}

static void draw_account_row(struct accounts *st, WINDOW *w, int y, int cols, size_t r)
{
	const struct account *a = row_account(st, r);
	const struct tui_glyphs *g = tui_glyphs(st->tui);
	bool is_sel = st->have_sel && st->sel == r;
	attr_t base = tui_attr(st->tui, is_sel ? TUI_SELECTED : TUI_NORMAL);
	struct columns c = columns_for(cols);

	wattrset(w, base);
	mvwhline(w, y, 0, ' ', cols);
	const char *active = store_active_id(st->store, a->provider);
	bool is_active = active && strcmp(active, a->id) == 0;
	put_cell(st, w, y, c.marks, 1, is_active ? g->active : " ",
	         is_sel ? base : tui_attr(st->tui, TUI_ACCENT));
	put_cell(st, w, y, c.marks + 2, 1, a->round_robin ? g->pool : " ",
	         is_sel ? base : tui_attr(st->tui, TUI_ACCENT));
	put_cell(st, w, y, c.label, c.label_w, a->label, base);
	put_cell(st, w, y, c.method, c.method_w, account_method_text(a),
	         is_sel ? base : tui_attr(st->tui, TUI_DIM));

	char text[128];
	enum tui_role role;
	const char *spin = g->spinner[st->spin % 4];
	if (st->refresh && id_in(st->refresh_ids, st->n_refresh, a->id)) {
		snprintf(text, sizeof(text), "%s %s", _("refreshing"), spin);
		role = TUI_ACCENT;
	} else if (st->probe && strcmp(st->probe_id, a->id) == 0) {
		snprintf(text, sizeof(text), "%s %s", _("testing"), spin);
		role = TUI_ACCENT;
	} else {
		account_status_words(a, text, sizeof(text), &role);
	}
	put_cell(st, w, y, c.status, c.status_w, text, is_sel ? base : tui_attr(st->tui, role));
}

/* "OpenAI API (openai)": the name as a title, the id dimmed after it. */
static void draw_heading(struct accounts *st, WINDOW *w, int y, int cols, const struct row *r)
{
	wattrset(w, tui_attr(st->tui, TUI_NORMAL));
	mvwhline(w, y, 0, ' ', cols);
	const char *name = provider_name(r);
	int nw = (int)mbstowcs(NULL, name, 0);
	if (nw < 0 || nw > cols / 2)
		nw = cols / 2;
	put_cell(st, w, y, 0, nw, name, tui_attr(st->tui, TUI_TITLE) | A_BOLD);
	char idtext[200];
	snprintf(idtext, sizeof(idtext), "(%s)", r->provider ? r->provider_id : _("unknown provider"));
	put_cell(st, w, y, nw + 1, cols - nw - 2, idtext, tui_attr(st->tui, TUI_DIM));
}

static void format_time(int64_t t, char *buf, size_t n)
{
	if (t <= 0) {
		snprintf(buf, n, "%s", _("never"));
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, n, "%lld", (long long)t);
}

/* The details panel: `h` rows from row y. */
static void draw_details(struct accounts *st, WINDOW *w, int y, int h, int cols)
{
	const struct account *a = selected(st);
	if (!a)
		return;
	const struct row *r = &st->rows[st->sel];
	attr_t dim = tui_attr(st->tui, TUI_DIM);
	attr_t norm = tui_attr(st->tui, TUI_NORMAL);
	wattrset(w, dim);
	mvwhline(w, y, 0, ACS_HLINE, cols);
	char title[300];
	snprintf(title, sizeof(title), " %s ", _("Details"));
	put_cell(st, w, y, 2, (int)strlen(title), title, tui_attr(st->tui, TUI_TITLE));

	char created[64], refreshed[64], line[1024];
	format_time(a->created, created, sizeof(created));
	format_time(a->last_refresh, refreshed, sizeof(refreshed));
	const struct test_note *note = find_note(st, a->id);
	char base[600];
	if (a->base_url)
		snprintf(base, sizeof(base), "%s", a->base_url);
	else if (r->provider && r->provider->base_url)
		snprintf(base, sizeof(base), _("%s (the provider's default)"), r->provider->base_url);
	else
		snprintf(base, sizeof(base), "%s", _("(none)"));
	char last[600];
	if (a->last_refresh > 0)
		snprintf(last, sizeof(last), "%s%s%s", refreshed, a->last_refresh_outcome ? ", " : "",
		         a->last_refresh_outcome ? a->last_refresh_outcome : "");
	else
		snprintf(last, sizeof(last), "%s", refreshed);

	struct {
		const char *name;
		const char *value;
		attr_t attr;
	} items[] = {
		{N_("Provider"), provider_name(r), norm},
		{N_("Id"), a->id, norm},
		{N_("Email"), a->email ? a->email : _("(unknown)"), norm},
		{N_("Base URL"), base, norm},
		{N_("Created"), created, norm},
		{N_("Last refresh"), last, norm},
		{N_("Last test"), note ? note->text : _("(not tested in this session)"),
		 note ? tui_attr(st->tui, note->role) : dim},
	};
	int row = y + 1;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]) && row < y + h; i++, row++) {
		wattrset(w, norm);
		mvwhline(w, row, 0, ' ', cols);
		snprintf(line, sizeof(line), "%s:", _(items[i].name));
		put_cell(st, w, row, 2, 14, line, dim);
		put_cell(st, w, row, 17, cols - 18, items[i].value, items[i].attr);
	}
	for (; row < y + h; row++) {
		wattrset(w, norm);
		mvwhline(w, row, 0, ' ', cols);
	}
}

/* The key bar from the actions table, on one or two lines. */
static void draw_keybar(struct accounts *st, WINDOW *w, int y, int lines, int cols)
{
	attr_t key = tui_attr(st->tui, TUI_KEY);
	attr_t norm = tui_attr(st->tui, TUI_NORMAL);
	for (int i = 0; i < lines; i++) {
		wattrset(w, norm);
		mvwhline(w, y + i, 0, ' ', cols);
	}
	int line = 0, x = 1;
	for (size_t i = 0; i < sizeof(accounts_bar) / sizeof(accounts_bar[0]); i++) {
		if (!accounts_bar[i])
			continue;
		const char *k = accounts_keys[i].key;
		const char *label = _(accounts_bar[i]);
		int need = (int)strlen(k) + 1 + (int)mbstowcs(NULL, label, 0) + 2;
		if (x + need > cols) {
			if (++line >= lines)
				break;
			x = 1;
		}
		put_cell(st, w, y + line, x, (int)strlen(k), k, key);
		put_cell(st, w, y + line, x + (int)strlen(k) + 1, need - (int)strlen(k) - 1, label, norm);
		x += need;
	}
}

static const char *backend_words(const struct store *store)
{
	enum secret_backend b = SECRET_BACKEND_AUTO;
	if (store->secret_backend)
		secret_backend_parse(store->secret_backend, &b);
	switch (b) {
	case SECRET_BACKEND_KEYRING:
		return _("Secrets are kept in the desktop keyring (Secret Service).");
	case SECRET_BACKEND_FILE:
		return _("Secrets are kept in the encrypted file.");
	case SECRET_BACKEND_AUTO:
		break;
	}
	return _("No secret is stored yet.");
}

static void accounts_draw(struct screen *s)
{
	struct accounts *st = s->priv;
	WINDOW *w = s->win;
	int rows, cols;
	getmaxyx(w, rows, cols);
	werase(w);
	st->minute = (long)(time(NULL) / 60);

	/* Title and counts. */
	put_cell(st, w, 0, 0, cols, _("aiauth: accounts"), tui_attr(st->tui, TUI_TITLE) | A_BOLD);
	char count[64];
	snprintf(count, sizeof(count),
	         ngettext("%zu account", "%zu accounts", st->store->n_accounts),
	         st->store->n_accounts);
	int cw = (int)mbstowcs(NULL, count, 0);
	put_cell(st, w, 0, cols - cw - 1, cw, count, tui_attr(st->tui, TUI_DIM));

	/* Bottom up: the last row is the framework's (status message), then
	 * the key bar, the footer, the details, the list. */
	int keybar_lines = cols >= 110 ? 1 : 2;
	int keybar_y = rows - 1 - keybar_lines;
	int footer_y = keybar_y - 1;
	int details_h = st->details && st->have_sel ? 9 : 0;
	int list_y = 2;
	int list_h = footer_y - list_y - details_h;
	if (list_h < 3) { /* a very small terminal: the list before the details */
		details_h = 0;
		list_h = footer_y - list_y;
	}
	st->list_h = list_h;

	struct columns c = columns_for(cols);
	attr_t dim = tui_attr(st->tui, TUI_DIM);
	put_cell(st, w, 1, c.label, c.label_w, _("label"), dim);
	put_cell(st, w, 1, c.method, c.method_w, _("method"), dim);
	put_cell(st, w, 1, c.status, c.status_w, _("status"), dim);

	if (!st->n_rows) {
		put_cell(st, w, list_y + 1, 2, cols - 4,
		         _("No accounts yet. Press a to connect a provider."), tui_attr(st->tui, TUI_NORMAL));
	}
	/* Keep the selection in view, with its provider's heading when the
	 * selection is the group's first account. */
	if (st->have_sel) {
		size_t want_top = st->sel > 0 && st->rows[st->sel - 1].heading ? st->sel - 1 : st->sel;
		if (want_top < st->top)
			st->top = want_top;
		if (st->sel >= st->top + (size_t)list_h)
			st->top = st->sel - (size_t)list_h + 1;
	}
	if (st->top + (size_t)list_h > st->n_rows)
		st->top = st->n_rows > (size_t)list_h ? st->n_rows - (size_t)list_h : 0;
	for (int i = 0; i < list_h; i++) {
		size_t r = st->top + (size_t)i;
		if (r >= st->n_rows)
			break;
		if (st->rows[r].heading) {
			draw_heading(st, w, list_y + i, cols, &st->rows[r]);
		} else {
			draw_account_row(st, w, list_y + i, cols, r);
		}
	}
	/* More above or below: say so on the heading line. */
	if (st->top > 0 || st->top + (size_t)list_h < st->n_rows) {
		char more[64];
		snprintf(more, sizeof(more), "%zu-%zu/%zu", st->top + 1,
		         st->top + (size_t)list_h < st->n_rows ? st->top + (size_t)list_h : st->n_rows,
		         st->n_rows);
		int mw = (int)strlen(more);
		put_cell(st, w, 1, cols - mw - 1, mw, more, dim);
	}

	if (details_h)
		draw_details(st, w, list_y + list_h, details_h, cols);

	const struct tui_glyphs *g = tui_glyphs(st->tui);
	char footer[512];
	snprintf(footer, sizeof(footer), _("%s active, %s round robin.  %s"), g->active, g->pool,
	         backend_words(st->store));
	put_cell(st, w, footer_y, 1, cols - 2, footer, dim);
	draw_keybar(st, w, keybar_y, keybar_lines, cols);
	wattrset(w, tui_attr(st->tui, TUI_NORMAL));
}

/* ------------------------------------------------------------ changes */

struct op_ctx {
	enum accounts_action action;
	const char *id;
	const char *label; /* rename */
	bool on;           /* out: active / in the pool now */
};

static enum aiauth_status op_cb(struct store *store, void *ctx, struct aiauth_error **err)
{
	struct op_ctx *oc = ctx;
	struct account *a = store_find_id(store, oc->id);
	if (!a)
		return error_set(err, AIAUTH_NOT_FOUND, "%s",
		                 _("that account is gone: another aiauth removed it"));
	switch (oc->action) {
	case ACC_ACTIVE: {
		const char *active = store_active_id(store, a->provider);
		oc->on = !(active && strcmp(active, a->id) == 0);
		return store_set_active(store, a->provider, oc->on ? a->id : NULL, err);
	}
	case ACC_POOL:
		oc->on = !a->round_robin;
		return store_set_round_robin(store, a->id, oc->on, err);
	case ACC_RENAME:
		return store_rename(store, a->id, oc->label, err);
	case ACC_DELETE:
		return store_remove(store, a->id, err);
	default:
		return AIAUTH_OK;
	}
}

/* Run one rule operation on the file; the message of a refusal goes to the
 * status line.  The list is read again either way. */
static bool apply(struct accounts *st, struct op_ctx *oc)
{
	struct aiauth_error *err = NULL;
	enum aiauth_status rc = store_update(NULL, op_cb, oc, &err);
	if (rc != AIAUTH_OK)
		tui_status(st->tui, "%s", err ? err->message : _(status_text(rc)));
	error_clear(&err);
	reload(st);
	return rc == AIAUTH_OK;
}

static int toggle_active(struct accounts *st, const struct account *a, const struct row *r)
{
	struct op_ctx oc = {.action = ACC_ACTIVE, .id = a->id};
	char *label = xstrdup(a->label);
	const char *name = provider_name(r);
	char *pname = xstrdup(name);
	if (apply(st, &oc)) {
		if (oc.on)
			tui_status(st->tui, _("\"%s\" is now the active %s account."), label, pname);
		else
			tui_status(st->tui, _("%s has no active account now."), pname);
	}
	free(label);
	free(pname);
	return TUI_HANDLED | TUI_REDRAW;
}

static int toggle_pool(struct accounts *st, const struct account *a, const struct row *r)
{
	struct op_ctx oc = {.action = ACC_POOL, .id = a->id};
	char *label = xstrdup(a->label);
	char *pname = xstrdup(provider_name(r));
	/* An API-key account is refused by store_set_round_robin(), whose
	 * reason apply() puts in the status line. */
	if (apply(st, &oc))
		tui_status(st->tui,
		           oc.on ? _("\"%s\" joined the %s round-robin pool.")
		                 : _("\"%s\" left the %s round-robin pool."),
		           label, pname);
	free(label);
	free(pname);
	return TUI_HANDLED | TUI_REDRAW;
}

/* The account a dialog was opened for, if it still exists. */
static struct account *pending(struct accounts *st)
{
	if (!st->pending_id)
		return NULL;
	struct account *a = store_find_id(st->store, st->pending_id);
	if (!a)
		tui_status(st->tui, "%s", _("that account is gone: another aiauth removed it"));
	return a;
}

static int rename_done(void *ctx, bool confirmed, const char *text)
{
	struct accounts *st = ctx;
	reload_if_changed(st);
	struct account *a = pending(st);
	if (!a || !confirmed || !text)
		goto out;
	/* Surrounding blanks are an accident of typing, not part of a label. */
	size_t len = strlen(text);
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	while (len && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	if (!len) {
		tui_status(st->tui, "%s", _("A label cannot be empty; nothing was renamed."));
		goto out;
	}
	char *label = xcheck(strndup(text, len));
	char *old = xstrdup(a->label);
	if (strcmp(label, old) != 0) {
		struct op_ctx oc = {.action = ACC_RENAME, .id = a->id, .label = label};
		if (apply(st, &oc))
			tui_status(st->tui, _("Renamed \"%s\" to \"%s\"."), old, label);
	}
	free(label);
	free(old);
out:
	free(st->pending_id);
	st->pending_id = NULL;
	return TUI_REDRAW;
}

static int delete_done(void *ctx, bool confirmed, const char *text)
{
	(void)text;
	struct accounts *st = ctx;
	reload_if_changed(st);
	struct account *a = pending(st);
	struct aiauth_error *err = NULL;
	if (!a)
		goto out;
	if (!confirmed) {
		tui_status(st->tui, "%s", _("Nothing was deleted."));
		goto out;
	}
	char *id = xstrdup(a->id);
	char *label = xstrdup(a->label);
	bool has_secret = a->kind != ACCOUNT_NONE || a->has_secret;
	/* The secret goes first: if the backend cannot be reached the account
	 * stays, so no secret is left behind that aiauth no longer knows. */
	struct secretstore *ss = NULL;
	if (has_secret && (session_secrets(st->session, &ss, &err) != AIAUTH_OK ||
	                   secretstore_delete(ss, id, &err) != AIAUTH_OK)) {
		tui_status(st->tui, _("Nothing was deleted: %s"),
		           err ? err->message : _("the secret store failed"));
	} else {
		struct op_ctx oc = {.action = ACC_DELETE, .id = id};
		if (apply(st, &oc))
			tui_status(st->tui,
			           has_secret ? _("Deleted \"%s\" and its secret.") : _("Deleted \"%s\"."),
			           label);
	}
	free(id);
	free(label);
out:
	error_clear(&err);
	free(st->pending_id);
	st->pending_id = NULL;
	return TUI_REDRAW;
}

static int ask_rename(struct accounts *st, const struct account *a)
{
	free(st->pending_id);
	st->pending_id = xstrdup(a->id);
	char question[512];
	snprintf(question, sizeof(question), _("A new label for \"%s\":"), a->label);
	struct screen_dialog_arg arg = {
		.kind = DIALOG_INPUT,
		.title = _("Rename"),
		.question = question,
		.initial = a->label,
		.done = rename_done,
		.ctx = st,
	};
	if (!tui_push(st->tui, &screen_dialog, &arg)) {
		free(st->pending_id);
		st->pending_id = NULL;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

static int ask_delete(struct accounts *st, const struct account *a, const struct row *r)
{
	if (st->refresh && id_in(st->refresh_ids, st->n_refresh, a->id)) {
		tui_status(st->tui, "%s", _("That account is being refreshed; delete it afterwards."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	free(st->pending_id);
	st->pending_id = xstrdup(a->id);
	char question[768];
	snprintf(question, sizeof(question),
	         a->kind == ACCOUNT_NONE ? _("Delete the %s account \"%s\"?")
	                                 : _("Delete the %s account \"%s\" and its secret?"),
	         provider_name(r), a->label);
	struct screen_dialog_arg arg = {
		.kind = DIALOG_CONFIRM,
		.title = _("Delete"),
		.question = question,
		.done = delete_done,
		.ctx = st,
	};
	if (!tui_push(st->tui, &screen_dialog, &arg)) {
		free(st->pending_id);
		st->pending_id = NULL;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

/* ------------------------------------------------------------ test */

static void probe_done(void *ctx, const struct probe_result *res)
{
	struct accounts *st = ctx;
	st->probe = NULL; /* probe.c frees it after we return */
	char text[768];
	enum tui_role role = TUI_ERROR;
	switch (res->outcome) {
	case PROBE_VALID:
		snprintf(text, sizeof(text), _("valid, %zu models"), res->n_models);
		role = TUI_OK;
		break;
	case PROBE_INVALID_KEY:
	case PROBE_SERVER_ERROR:
		snprintf(text, sizeof(text), "%s (HTTP %ld%s%s)", _(probe_outcome_text(res->outcome)),
		         res->http_status, res->detail ? ": " : "", res->detail ? res->detail : "");
		break;
	case PROBE_UNSUPPORTED:
		snprintf(text, sizeof(text), "%s", _("cannot be tested: aiauth knows no model-list "
		                                      "endpoint for this provider"));
		role = TUI_WARN;
		break;
	default:
		snprintf(text, sizeof(text), "%s%s%s", _(probe_outcome_text(res->outcome)),
		         res->detail ? ": " : "", res->detail ? res->detail : "");
		break;
	}
	set_note(st, st->probe_id, text, role);
	tui_status(st->tui, "\"%s\": %s", st->probe_label, text);
	FREE_NULL(st->probe_id);
	FREE_NULL(st->probe_label);
	tui_request_redraw(st->tui);
}

static int start_test(struct accounts *st, const struct account *a, const struct row *r)
{
	if (st->probe) {
		tui_status(st->tui, _("\"%s\" is being tested; Esc stops it."), st->probe_label);
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (!r->provider) {
		tui_status(st->tui, _("%s is not a provider aiauth knows; it cannot be tested."),
		           r->provider_id);
		return TUI_HANDLED | TUI_REDRAW;
	}
	struct aiauth_error *err = NULL;
	struct loop *loop = tui_loop(st->tui);
	struct credential *cred = NULL;
	struct secret *blob = NULL;
	struct secretstore *ss = NULL;
	/* The credential as stored: no refresh first (R does that), so a test
	 * of an expired token says what a tool would meet. */
	if (a->kind != ACCOUNT_NONE &&
	    (session_secrets(st->session, &ss, &err) != AIAUTH_OK ||
	     secretstore_get(ss, a->id, &blob, &err) != AIAUTH_OK ||
	     credential_from_blob(blob, &cred, &err) != AIAUTH_OK)) {
		tui_status(st->tui, _("Cannot test \"%s\": %s"), a->label,
		           err ? err->message : _("the secret cannot be read"));
		goto out;
	}
	const struct secret *key = NULL;
	if (a->kind == ACCOUNT_OAUTH)
		key = credential_get(cred, "access_token");
	else if (a->kind == ACCOUNT_API_KEY && r->provider->n_fields == 1)
		key = credential_get(cred, r->provider->fields[0].name);
	struct probe_target t = {
		.provider = r->provider,
		.base_url = a->base_url,
		.api_version = a->api_version,
		.credential = key, /* copied by probe_start */
	};
	st->probe = probe_start(loop, &t, probe_done, st, &err);
	if (!st->probe) {
		tui_status(st->tui, _("Cannot test \"%s\": %s"), a->label,
		           err ? err->message : _("the test could not start"));
		goto out;
	}
	st->probe_id = xstrdup(a->id);
	st->probe_label = xstrdup(a->label);
	tui_status(st->tui, _("Testing \"%s\"..."), a->label);
out:
	credential_free(cred);
	secret_free(blob);
	error_clear(&err);
	return TUI_HANDLED | TUI_REDRAW;
}

/* ------------------------------------------------------------ refresh */

static void refresh_ids_free(struct accounts *st)
{
	for (size_t i = 0; i < st->n_refresh; i++)
		free(st->refresh_ids[i]);
	FREE_NULL(st->refresh_ids);
	st->n_refresh = 0;
}

static void refresh_done(void *ctx, enum aiauth_status status, const struct lifecycle_outcome *o,
                         size_t n, const struct aiauth_error *err)
{
	struct accounts *st = ctx;
	st->refresh = NULL; /* freed by lifecycle.c after we return */
	if (status != AIAUTH_OK) {
		tui_status(st->tui, _("Refresh failed: %s"), err ? err->message : _(status_text(status)));
	} else if (n == 1 && o[0].status != AIAUTH_OK && o[0].message) {
		/* A failure's message names the provider and the account. */
		tui_status(st->tui, "%s", o[0].message);
	} else if (n == 1) {
		const struct account *a = store_find_id(st->store, o[0].account_id);
		tui_status(st->tui, "\"%s\": %s", a ? a->label : o[0].account_id,
		           o[0].message ? o[0].message : _(status_text(o[0].status)));
	} else {
		size_t good = 0;
		const char *bad = NULL;
		for (size_t i = 0; i < n; i++) {
			if (o[i].status == AIAUTH_OK)
				good++;
			else if (!bad)
				bad = o[i].message;
		}
		if (bad)
			tui_status(st->tui, _("%zu of %zu accounts refreshed; %s"), good, n, bad);
		else
			tui_status(st->tui, ngettext("%zu account refreshed.", "%zu accounts refreshed.", n), n);
	}
	refresh_ids_free(st);
	st->quit_armed = false;
	reload(st);
	tui_request_redraw(st->tui);
}

static bool start_refresh(struct accounts *st, char **ids, size_t n, bool force)
{
	struct aiauth_error *err = NULL;
	struct lifecycle_env env = {0};
	struct registry *reg = NULL;
	env.loop = tui_loop(st->tui);
	if (session_registry(st->session, &reg, &err) != AIAUTH_OK ||
	    session_secrets(st->session, &env.secrets, &err) != AIAUTH_OK) {
		tui_status(st->tui, _("Cannot refresh: %s"), err ? err->message : _("unknown error"));
		error_clear(&err);
		return false;
	}
	env.registry = reg;
	st->refresh_starting = true;
	st->refresh = lifecycle_refresh_start(&env, ids, n, force, refresh_done, st, &err);
	st->refresh_starting = false;
	if (!st->refresh) {
		tui_status(st->tui, _("Cannot refresh: %s"), err ? err->message : _("unknown error"));
		error_clear(&err);
		return false;
	}
	st->refresh_ids = ids;
	st->n_refresh = n;
	return true;
}

static int refresh_selected(struct accounts *st, const struct account *a)
{
	if (st->refresh || st->refresh_starting) {
		tui_status(st->tui, "%s", _("A refresh is running; wait for it to finish."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (a->kind != ACCOUNT_OAUTH) {
		tui_status(st->tui, _("\"%s\" has nothing to refresh: only OAuth tokens expire."),
		           a->label);
		return TUI_HANDLED | TUI_REDRAW;
	}
	char **ids = xcheck(calloc(1, sizeof(*ids)));
	ids[0] = xstrdup(a->id);
	char *label = xstrdup(a->label);
	/* "Refresh now": forced, even when the token is still fresh. */
	if (start_refresh(st, ids, 1, true)) {
		tui_status(st->tui, _("Refreshing \"%s\"..."), label);
	} else {
		free(ids[0]);
		free(ids);
	}
	free(label);
	return TUI_HANDLED | TUI_REDRAW;
}

/* SPEC §5: tokens that expire within five minutes are refreshed when the
 * screen shows them.  Each account is tried once per screen, so a provider
 * that keeps failing is not asked again every minute (its status says
 * "refresh failed", and R tries again). */
static void refresh_expiring(struct accounts *st)
{
	if (st->refresh || st->refresh_starting || !st->store->n_accounts)
		return;
	int64_t now = (int64_t)time(NULL);
	char **ids = NULL;
	size_t n = 0;
	for (size_t i = 0; i < st->store->n_accounts; i++) {
		const struct account *a = &st->store->accounts[i];
		if (a->kind != ACCOUNT_OAUTH || a->status != ACCOUNT_STATUS_OK || a->expires_at <= 0 ||
		    a->expires_at - now > LIFECYCLE_MIN_VALID ||
		    id_in(st->auto_tried, st->n_auto_tried, a->id))
			continue;
		ids = xcheck(realloc(ids, (n + 1) * sizeof(*ids)));
		ids[n++] = xstrdup(a->id);
		st->auto_tried =
		    xcheck(realloc(st->auto_tried, (st->n_auto_tried + 1) * sizeof(*st->auto_tried)));
		st->auto_tried[st->n_auto_tried++] = xstrdup(a->id);
	}
	if (!n)
		return;
	if (!start_refresh(st, ids, n, false)) {
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
	}
}

/* ------------------------------------------------------------ sync */

/* Write the selected account into its provider's CLI file: the row the
 * person points at, as every other key acts on (`aiauth sync P --account
 * A`), even when it is not the active one. */
static int sync_selected(struct accounts *st, const struct account *a)
{
	if (!sync_has_file(a->provider)) {
		tui_status(st->tui,
		           _("%s has no CLI credential file: sync writes claude, chatgpt and google "
		             "accounts (and openai API keys, into Codex's file)."),
		           a->provider);
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (st->refresh && id_in(st->refresh_ids, st->n_refresh, a->id)) {
		tui_status(st->tui, "%s", _("That account is being refreshed; sync it afterwards."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	char *provider = xstrdup(a->provider), *id = xstrdup(a->id), *label = xstrdup(a->label);
	struct sync_result r = {0};
	struct aiauth_error *err = NULL;
	st->syncing = true;
	enum aiauth_status status = sync_provider(st->session, provider, id, 0, &r, &err);
	st->syncing = false;
	if (status != AIAUTH_OK) {
		tui_status(st->tui, _("Cannot sync \"%s\": %s"), label,
		           err ? err->message : _(status_text(status)));
	} else {
		/* The last sentence says where things stand (written, or already
		 * there); a take-in before it matters more than the warning. */
		const char *line = r.n_lines ? r.lines[r.n_lines - 1] : _("Nothing to sync.");
		if (r.took_in && r.n_lines > 1)
			tui_status(st->tui, "%s %s", r.lines[0], line);
		else if (r.warning)
			tui_status(st->tui, "%s (%s)", line, r.warning);
		else
			tui_status(st->tui, "%s", line);
	}
	sync_result_clear(&r);
	error_clear(&err);
	free(provider);
	free(id);
	free(label);
	/* A take-in changed the account's expiry and status. */
	reload(st);
	return TUI_HANDLED | TUI_REDRAW;
}

/* ------------------------------------------------------------ hooks */

static void move_selection(struct accounts *st, enum accounts_move m)
{
	if (!st->have_sel)
		return;
	size_t page = st->list_h > 1 ? (size_t)st->list_h - 1 : 1;
	size_t r = st->sel;
	switch (m) {
	case MOVE_UP:
		if (r > 0)
			account_row_near(st, r - 1, false, &r);
		break;
	case MOVE_DOWN:
		if (r + 1 < st->n_rows)
			account_row_near(st, r + 1, true, &r);
		break;
	case MOVE_PGUP:
		account_row_near(st, r > page ? r - page : 0, false, &r);
		break;
	case MOVE_PGDN:
		account_row_near(st, r + page, true, &r);
		break;
	case MOVE_HOME:
		account_row_near(st, 0, true, &r);
		break;
	case MOVE_END:
		account_row_near(st, st->n_rows - 1, false, &r);
		break;
	case MOVE_NONE:
		break;
	}
	st->sel = r;
}

static bool accounts_open(struct screen *s, void *arg)
{
	struct accounts_preload *pre = arg;
	struct tui *t = s->tui;
	struct session *session = tui_session(t);
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	if (session_registry(session, &reg, &err) != AIAUTH_OK) {
		tui_status(t, "%s", err ? err->message : _("cannot load the providers"));
		error_clear(&err);
		return false;
	}
	struct accounts *st = xcheck(calloc(1, sizeof(*st)));
	st->tui = t;
	st->session = session;
	st->registry = reg;
	st->store = xcheck(store_new());
	s->priv = st;
	if (pre && pre->store) {
		adopt(st, pre->store, &pre->stamp);
		pre->store = NULL;
	} else {
		reload(st);
	}
	refresh_expiring(st);
	return true;
}

static void accounts_resume(struct screen *s)
{
	struct accounts *st = s->priv;
	reload(st);
	refresh_expiring(st);
}

static int accounts_tick(struct screen *s)
{
	struct accounts *st = s->priv;
	int flags = 0;
	if (reload_if_changed(st))
		flags |= TUI_REDRAW;
	long minute = (long)(time(NULL) / 60);
	if (minute != st->minute && !st->syncing) {
		refresh_expiring(st);
		flags |= TUI_REDRAW; /* "expires in" moved on */
	}
	if (st->probe || st->refresh) {
		st->spin++;
		flags |= TUI_REDRAW;
	}
	return flags;
}

static int accounts_key(struct screen *s, int ch, bool is_char)
{
	struct accounts *st = s->priv;
	const struct accounts_binding *b = NULL;
	for (size_t i = 0; i < sizeof(accounts_bindings) / sizeof(accounts_bindings[0]); i++) {
		if (accounts_bindings[i].ch == ch && accounts_bindings[i].is_char == is_char) {
			b = &accounts_bindings[i];
			break;
		}
	}
	if (!b)
		return 0; /* the framework's global keys (Ctrl-C, resize...) */
	if (b->action != ACC_QUIT)
		st->quit_armed = false;
	/* Never act on a list older than the file: another aiauth may have
	 * removed or renamed the account under the cursor. */
	reload_if_changed(st);
	struct account *a = selected(st);
	const struct row *r = st->have_sel ? &st->rows[st->sel] : NULL;
	if (st->syncing) {
		tui_status(st->tui, "%s", _("Syncing; wait for it to finish."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	bool needs_account = b->action != ACC_ADD && b->action != ACC_HELP &&
	                     b->action != ACC_QUIT &&
	                     b->action != ACC_CANCEL && b->action != ACC_MOVE;
	if (needs_account && !a) {
		tui_status(st->tui, "%s", _("No account yet: press a to add one."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	switch (b->action) {
	case ACC_MOVE:
		move_selection(st, b->move);
		return TUI_HANDLED | TUI_REDRAW;
	case ACC_ADD:
		tui_push(st->tui, &screen_picker, NULL);
		return TUI_HANDLED | TUI_REDRAW;
	case ACC_DETAILS:
		st->details = !st->details;
		return TUI_HANDLED | TUI_REDRAW;
	case ACC_ACTIVE:
		return toggle_active(st, a, r);
	case ACC_POOL:
		return toggle_pool(st, a, r);
	case ACC_RENAME:
		return ask_rename(st, a);
	case ACC_DELETE:
		return ask_delete(st, a, r);
	case ACC_TEST:
		return start_test(st, a, r);
	case ACC_REFRESH:
		return refresh_selected(st, a);
	case ACC_SYNC:
		return sync_selected(st, a);
	case ACC_CANCEL:
		if (st->probe) {
			probe_cancel(st->probe);
			st->probe = NULL;
			tui_status(st->tui, _("Stopped testing \"%s\"."), st->probe_label);
			FREE_NULL(st->probe_id);
			FREE_NULL(st->probe_label);
		} else if (st->details) {
			st->details = false;
		} else if (st->refresh) {
			tui_status(st->tui, "%s",
			           _("The refresh goes on: stopping it halfway could lose the new token."));
		}
		/* Esc on the home screen never leaves it: q quits. */
		return TUI_HANDLED | TUI_REDRAW;
	case ACC_HELP:
		tui_push(st->tui, &screen_help, s);
		return TUI_HANDLED | TUI_REDRAW;
	case ACC_QUIT:
		if (st->refresh && !st->quit_armed) {
			st->quit_armed = true;
			tui_status(st->tui, "%s",
			           _("A refresh is running; quitting now could lose its new token. "
			             "Press q again to quit anyway."));
			return TUI_HANDLED | TUI_REDRAW;
		}
		return TUI_HANDLED | TUI_QUIT;
	case ACC_NONE:
		break;
	}
	return 0;
}

static void accounts_close(struct screen *s)
{
	struct accounts *st = s->priv;
	if (!st)
		return;
	probe_cancel(st->probe);
	/* Only when the program ends (or the stack is reset): see the header
	 * comment and lifecycle.h on what a cancelled refresh may cost. */
	lifecycle_refresh_cancel(st->refresh);
	refresh_ids_free(st);
	for (size_t i = 0; i < st->n_auto_tried; i++)
		free(st->auto_tried[i]);
	free(st->auto_tried);
	for (size_t i = 0; i < st->n_notes; i++) {
		free(st->notes[i].id);
		free(st->notes[i].text);
	}
	free(st->notes);
	free(st->probe_id);
	free(st->probe_label);
	free(st->pending_id);
	free(st->rows);
	store_free(st->store);
	free(st);
	s->priv = NULL;
}

const struct screen_ops screen_accounts = {
	.name = "accounts",
	.open = accounts_open,
	.draw = accounts_draw,
	.key = accounts_key,
	.tick = accounts_tick,
	.resume = accounts_resume,
	.close = accounts_close,
	.keys = accounts_keys,
	.own_key_bar = true,
};
