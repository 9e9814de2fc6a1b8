/* screen_picker.c - choose the provider to connect (SPEC §7.2).
 *
 * The registry's providers grouped as the registry orders them
 * (subscription sign-in, API key, local servers), each with its method
 * badges and how many accounts it already has.  Typing filters by id or
 * name; Backspace edits the filter, Esc clears it (and goes back when it is
 * empty).
 *
 * When the picker opens, every local provider's model endpoint is asked at
 * once through probe_start() on the interface's loop, so the list is usable
 * at once and the "running (N models)" marks appear as the answers come. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "onboarding.h"
#include "widgets.h"
#include "probe.h"
#include "screens.h"
#include "session.h"

/* A local server asked whether it runs. */
enum local_state { LOCAL_UNKNOWN, LOCAL_CHECKING, LOCAL_RUNNING, LOCAL_DOWN };

struct picker;

struct local_probe {
	struct picker *pk;
	size_t index; /* in pk->providers */
	struct probe *probe;
	enum local_state state;
	size_t n_models;
};

struct picker {
	struct tui *t;
	const struct provider **providers; /* registry order */
	size_t n;
	size_t *counts;            /* accounts per provider */
	struct local_probe *local; /* per provider (state UNKNOWN for others) */

	char filter[64];
	size_t *shown; /* indexes into providers that match the filter */
	size_t n_shown;
	size_t sel; /* index into shown */
	size_t top; /* first display row drawn */
	const struct provider *confirm_local; /* Enter once more adds a silent server */
	const struct provider *hint_for;      /* its configuration hint is shown */
};

static const struct tui_key picker_keys[] = {
	{"Enter", N_("connect the provider")},
	{"a-z", N_("filter")},
	{"Backspace", N_("edit the filter")},
	{"Esc", N_("clear the filter / back")},
	{NULL, NULL},
};

static const char *const group_titles[] = {
	[PROVIDER_GROUP_SUBSCRIPTION] = N_("Subscription sign-in"),
	[PROVIDER_GROUP_API_KEY] = N_("API key"),
	[PROVIDER_GROUP_LOCAL] = N_("Local servers"),
};

static bool is_local(const struct provider *p)
{
	return p->group == PROVIDER_GROUP_LOCAL || p->methods == AUTH_METHOD_NONE;
}

/* Case-insensitive substring for ASCII, exact bytes otherwise. */
static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

/* How well provider p matches the filter: 0 its id is the filter, 1 its
 * id starts with it, 2 id or name contains it, -1 no match.  Typing
 * "openai" means the OpenAI API, not the first entry that mentions OpenAI. */
static int match_rank(const struct provider *p, const char *filter)
{
	if (strcasecmp(p->id, filter) == 0)
		return 0;
	if (strncasecmp(p->id, filter, strlen(filter)) == 0)
		return 1;
	if (contains(p->id, filter) || contains(_(p->name), filter))
		return 2;
	return -1;
}

static void refilter(struct picker *pk)
{
	const struct provider *was = pk->n_shown ? pk->providers[pk->shown[pk->sel]] : NULL;
	size_t best = 0;
	int best_rank = 3;
	pk->n_shown = 0;
	/* By group, in the registry's order within each (user additions come
	 * last in the registry, whatever their group). */
	for (int g = PROVIDER_GROUP_SUBSCRIPTION; g <= PROVIDER_GROUP_LOCAL; g++) {
		for (size_t i = 0; i < pk->n; i++) {
			const struct provider *p = pk->providers[i];
			int rank = (int)p->group == g ? match_rank(p, pk->filter) : -1;
			if (rank < 0)
				continue;
			if (!pk->filter[0] ? p == was : rank < best_rank) {
				best_rank = rank;
				best = pk->n_shown;
			}
			pk->shown[pk->n_shown++] = i;
		}
	}
	pk->sel = best < pk->n_shown ? best : 0;
	pk->top = 0;
	pk->confirm_local = NULL;
	pk->hint_for = NULL;
}

static void count_accounts(struct picker *pk)
{
	memset(pk->counts, 0, pk->n * sizeof(*pk->counts));
	struct store *store = NULL;
	struct aiauth_error *err = NULL;
	if (store_load(NULL, &store, &err) != AIAUTH_OK) {
		tui_status(pk->t, _("Cannot read the accounts: %s"), err->message);
		error_clear(&err);
		return;
	}
	for (size_t a = 0; a < store->n_accounts; a++)
		for (size_t i = 0; i < pk->n; i++)
			if (strcmp(store->accounts[a].provider, pk->providers[i]->id) == 0)
				pk->counts[i]++;
	store_free(store);
}

static void local_done(void *ctx, const struct probe_result *r)
{
	struct local_probe *lp = ctx;
	lp->probe = NULL; /* freed by the probe after this call */
	lp->state = r->outcome == PROBE_VALID ? LOCAL_RUNNING : LOCAL_DOWN;
	lp->n_models = r->n_models;
	tui_request_redraw(lp->pk->t);
}

/* Ask every local server at once; the answers arrive through the loop. */
static void probe_locals(struct picker *pk)
{
	struct loop *loop = tui_loop(pk->t);
	for (size_t i = 0; i < pk->n; i++) {
		struct local_probe *lp = &pk->local[i];
		if (!is_local(pk->providers[i]) || lp->probe)
			continue;
		struct probe_target target = {.provider = pk->providers[i], .timeout_ms = 1500};
		lp->probe = probe_start(loop, &target, local_done, lp, NULL);
		lp->state = lp->probe ? LOCAL_CHECKING : LOCAL_DOWN;
	}
}

static bool picker_open(struct screen *s, void *arg)
{
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	if (session_registry(tui_session(s->tui), &reg, &err) != AIAUTH_OK) {
		tui_status(s->tui, "%s", err->message);
		error_clear(&err);
		return false;
	}
	struct picker *pk = calloc(1, sizeof(*pk));
	if (!pk)
		abort();
	pk->t = s->tui;
	pk->n = registry_count(reg);
	pk->providers = calloc(pk->n + 1, sizeof(*pk->providers));
	pk->counts = calloc(pk->n + 1, sizeof(*pk->counts));
	pk->local = calloc(pk->n + 1, sizeof(*pk->local));
	pk->shown = calloc(pk->n + 1, sizeof(*pk->shown));
	if (!pk->providers || !pk->counts || !pk->local || !pk->shown)
		abort();
	for (size_t i = 0; i < pk->n; i++) {
		pk->providers[i] = registry_at(reg, i);
		pk->local[i].pk = pk;
		pk->local[i].index = i;
	}
	s->priv = pk;
	count_accounts(pk);
	refilter(pk);
	probe_locals(pk);
	return true;
}

static void picker_close(struct screen *s)
{
	struct picker *pk = s->priv;
	if (!pk)
		return;
	for (size_t i = 0; i < pk->n; i++)
		probe_cancel(pk->local[i].probe);
	free(pk->providers);
	free(pk->counts);
	free(pk->local);
	free(pk->shown);
	free(pk);
	s->priv = NULL;
}

static void picker_resume(struct screen *s)
{
	struct picker *pk = s->priv;
	count_accounts(pk);
}

/* --------------------------------------------------------------- draw */

/* Display rows: a heading before the first provider of each group. */
struct row {
	bool heading;
	size_t shown; /* index into pk->shown (provider rows) */
	enum provider_group group;
};

static size_t build_rows(const struct picker *pk, struct row *rows)
{
	size_t n = 0;
	int last = -1;
	for (size_t i = 0; i < pk->n_shown; i++) {
		const struct provider *p = pk->providers[pk->shown[i]];
		if ((int)p->group != last) {
			rows[n++] = (struct row){true, 0, p->group};
			last = (int)p->group;
		}
		rows[n++] = (struct row){false, i, p->group};
	}
	return n;
}

static void draw_provider(struct picker *pk, WINDOW *win, int y, size_t shown, bool selected)
{
	struct tui *t = pk->t;
	int cols = getmaxx(win);
	size_t i = pk->shown[shown];
	const struct provider *p = pk->providers[i];
	attr_t base = selected ? tui_attr(t, TUI_SELECTED) : tui_attr(t, TUI_NORMAL);
	if (selected) {
		wattr_on(win, base, NULL);
		mvwhline(win, y, 2, ' ', cols - 4);
		wattr_off(win, base, NULL);
		widget_text(t, win, y, 2, 2, tui_glyphs(t)->arrow, base);
	}
	widget_text(t, win, y, 4, 30, _(p->name), base);

	/* Method badges. */
	unsigned m[4];
	int nm = ob_methods(p, m), x = 35;
	for (int k = 0; k < nm && x < 58; k++) {
		attr_t a = selected ? base : ob_method_needs_config(p, m[k]) ? tui_attr(t, TUI_DIM)
		                                                             : tui_attr(t, TUI_ACCENT);
		x += widget_text(t, win, y, x, 58 - x, _(ob_method_badge(m[k])), a) + 1;
	}

	/* Connected count, and for a local server whether it runs. */
	char note[128] = "";
	attr_t a = selected ? base : tui_attr(t, TUI_OK);
	if (is_local(p)) {
		switch (pk->local[i].state) {
		case LOCAL_RUNNING:
			snprintf(note, sizeof(note), ngettext("running (%zu model)", "running (%zu models)",
			                                      pk->local[i].n_models),
			         pk->local[i].n_models);
			break;
		case LOCAL_CHECKING:
			snprintf(note, sizeof(note), "%s%s", _("checking"), tui_glyphs(t)->ellipsis);
			a = selected ? base : tui_attr(t, TUI_DIM);
			break;
		case LOCAL_DOWN:
		case LOCAL_UNKNOWN:
			snprintf(note, sizeof(note), "%s", _("not running"));
			a = selected ? base : tui_attr(t, TUI_DIM);
			break;
		}
	}
	if (pk->counts[i]) {
		char c[64];
		snprintf(c, sizeof(c), ngettext("%zu connected", "%zu connected", pk->counts[i]),
		         pk->counts[i]);
		size_t used = strlen(note);
		snprintf(note + used, sizeof(note) - used, "%s%s", used ? ", " : "", c);
		a = selected ? base : tui_attr(t, TUI_OK);
	}
	/* Right-aligned after the badges: "running (3 models), 1 connected"
	 * fits beside the one badge a local server has. */
	int room = cols - 2 - (x + 1), w = widget_width(t, note);
	if (w > room)
		w = room;
	widget_text(t, win, y, cols - 2 - w, w, note, a);
}

static void picker_draw(struct screen *s)
{
	struct picker *pk = s->priv;
	struct tui *t = s->tui;
	WINDOW *win = s->win;
	int cols = getmaxx(win), body = ob_body_rows(win);
	werase(win);
	int y = ob_title(t, win, _("Connect a provider"));

	/* The filter line. */
	int x = 2 + widget_text(t, win, y, 2, cols - 4, _("Filter: "), tui_attr(t, TUI_DIM));
	if (pk->filter[0])
		widget_text(t, win, y, x, cols - x - 2, pk->filter, tui_attr(t, TUI_ACCENT));
	else
		widget_text(t, win, y, x, cols - x - 2, _("type to filter by name, Enter to connect"), tui_attr(t, TUI_DIM));
	y += 2;

	if (!pk->n_shown) {
		widget_text(t, win, y, 4, cols - 6, _("No provider matches the filter."), tui_attr(t, TUI_DIM));
		return;
	}
	struct row *rows = calloc(2 * pk->n_shown + 1, sizeof(*rows));
	if (!rows)
		abort();
	size_t n = build_rows(pk, rows), sel_row = 0;
	for (size_t r = 0; r < n; r++)
		if (!rows[r].heading && rows[r].shown == pk->sel)
			sel_row = r;
	/* Keep the selection (and its group's heading when it is the first
	 * of the group) in view. */
	/* A configuration hint is longer than the status line: it gets the
	 * bottom rows, in full, until the selection moves. */
	if (pk->hint_for && pk->hint_for->oauth.config_hint) {
		widget_wrap(t, win, body - 3, 4, 3, cols - 6, _(pk->hint_for->oauth.config_hint),
		            tui_attr(t, TUI_WARN), false);
		body -= 4;
	}
	size_t visible = body > y ? (size_t)(body - y) : 1;
	size_t want_top = sel_row && rows[sel_row - 1].heading ? sel_row - 1 : sel_row;
	if (want_top < pk->top)
		pk->top = want_top;
	if (sel_row >= pk->top + visible)
		pk->top = sel_row - visible + 1;
	for (size_t r = pk->top; r < n && y < body; r++, y++) {
		if (rows[r].heading)
			widget_text(t, win, y, 2, cols - 4, _(group_titles[rows[r].group]),
			            tui_attr(t, TUI_TITLE));
		else
			draw_provider(pk, win, y, rows[r].shown, rows[r].shown == pk->sel);
	}
	free(rows);
}

/* --------------------------------------------------------------- keys */

/* A keyless local server becomes an account at once. */
static int add_local(struct picker *pk, const struct provider *p)
{
	struct local_probe *lp = NULL;
	for (size_t i = 0; i < pk->n; i++)
		if (pk->providers[i] == p)
			lp = &pk->local[i];
	if (lp && lp->state != LOCAL_RUNNING && pk->confirm_local != p) {
		pk->confirm_local = p;
		tui_status(pk->t,
		           lp->state == LOCAL_CHECKING
		               ? _("%s is still being checked; press Enter again to add it anyway.")
		               : _("%s does not answer at its address; press Enter again to add it "
		                   "anyway."),
		           _(p->name));
		return TUI_HANDLED | TUI_REDRAW;
	}
	struct account tmpl = {
		.provider = p->id,
		.kind = ACCOUNT_NONE,
		.method = "none",
		.base_url = p->base_url, /* the address that was probed */
	};
	char *label = NULL;
	struct aiauth_error *err = NULL;
	if (session_add_account(tui_session(pk->t), p, &tmpl, NULL, &label, NULL, &err) !=
	    AIAUTH_OK) {
		tui_status(pk->t, _("Not added: %s"), err ? err->message : _("failed"));
		error_clear(&err);
		return TUI_HANDLED | TUI_REDRAW;
	}
	tui_status(pk->t, NULL);
	int flags = ob_show_connected(pk->t, p, label, NULL, false);
	free(label);
	return flags;
}

static int choose(struct picker *pk)
{
	if (!pk->n_shown)
		return TUI_HANDLED;
	const struct provider *p = pk->providers[pk->shown[pk->sel]];
	if (is_local(p))
		return add_local(pk, p);
	unsigned m[4];
	int n = ob_methods(p, m);
	if (n == 0) {
		tui_status(pk->t, _("%s has no way to sign in configured"), _(p->name));
		return TUI_HANDLED | TUI_REDRAW;
	}
	tui_status(pk->t, NULL);
	if (n == 1) {
		if (ob_method_needs_config(p, m[0]))
			pk->hint_for = p;
		return ob_open_method(pk->t, p, m[0]);
	}
	/* Several methods: unless every one of them needs configuration. */
	bool usable = false;
	for (int k = 0; k < n; k++)
		usable = usable || !ob_method_needs_config(p, m[k]);
	if (!usable) {
		pk->hint_for = p;
		return ob_open_method(pk->t, p, m[0]);
	}
	tui_push(pk->t, &screen_method, (void *)p);
	return TUI_HANDLED | TUI_REDRAW;
}

static int picker_key(struct screen *s, int ch, bool is_char)
{
	struct picker *pk = s->priv;
	const int done = TUI_HANDLED | TUI_REDRAW;
	size_t len = strlen(pk->filter);

	if (tui_key_is_enter(ch, is_char))
		return choose(pk);
	if (is_char && ch == TUI_KEY_ESC) {
		if (!len)
			return TUI_HANDLED | TUI_POP;
		pk->filter[0] = '\0';
		refilter(pk);
		return done;
	}
	if (tui_key_is_backspace(ch, is_char)) {
		if (len) {
			pk->filter[len - 1] = '\0';
			refilter(pk);
		}
		return done;
	}
	if (!is_char) {
		size_t page = 10;
		switch (ch) {
		case KEY_UP:
			if (pk->sel)
				pk->sel--;
			break;
		case KEY_DOWN:
			if (pk->sel + 1 < pk->n_shown)
				pk->sel++;
			break;
		case KEY_PPAGE:
			pk->sel = pk->sel > page ? pk->sel - page : 0;
			break;
		case KEY_NPAGE:
			pk->sel = pk->sel + page < pk->n_shown ? pk->sel + page
			          : pk->n_shown                ? pk->n_shown - 1
			                                       : 0;
			break;
		case KEY_HOME:
			pk->sel = 0;
			break;
		case KEY_END:
			pk->sel = pk->n_shown ? pk->n_shown - 1 : 0;
			break;
		default:
			return 0;
		}
		pk->confirm_local = NULL;
		pk->hint_for = NULL;
		return done;
	}
	/* Letters, digits and the characters of ids filter; "?" is left to
	 * the help overlay. */
	if (ch < 0x80 && (isalnum(ch) || ch == '-' || ch == '.' || ch == ' ' || ch == '_')) {
		if (len + 1 < sizeof(pk->filter)) {
			pk->filter[len] = (char)ch;
			pk->filter[len + 1] = '\0';
			refilter(pk);
		}
		return done;
	}
	return 0;
}

const struct screen_ops screen_picker = {
	.name = "picker",
	.open = picker_open,
	.draw = picker_draw,
	.key = picker_key,
	.resume = picker_resume,
	.close = picker_close,
	.keys = picker_keys,
};
