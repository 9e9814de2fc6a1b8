/* screen_method.c - how to connect a provider that offers several ways
 * (SPEC §7.3): each method with one line saying what it asks of the user.
 * Enter opens key entry, the device-code panel or the browser panel (the
 * paste variant when no browser can be opened here or the provider shows
 * a code); a method waiting for configuration says how to configure it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "i18n.h"
#include "onboarding.h"
#include "widgets.h"
#include "screens.h"

struct method {
	struct tui *t;
	const struct provider *p;
	unsigned methods[4];
	int n;
	int sel;
};

static const struct tui_key method_keys[] = {
	{"Enter", N_("use this method")},
	{"Up/Down", N_("choose")},
	{"Esc", N_("back to the providers")},
	{NULL, NULL},
};

static bool method_open(struct screen *s, void *arg)
{
	const struct provider *p = arg;
	struct method *m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	m->t = s->tui;
	m->p = p;
	m->n = ob_methods(p, m->methods);
	/* Start on the first method that can be used. */
	for (int i = m->n - 1; i >= 0; i--)
		if (!ob_method_needs_config(p, m->methods[i]))
			m->sel = i;
	s->priv = m;
	return true;
}

static void method_close(struct screen *s)
{
	free(s->priv);
	s->priv = NULL;
}

static const char *explain(const struct method *m, unsigned method)
{
	/* The status line is one row; the hint says in full how to
	 * configure the method. */
	if (ob_method_needs_config(m->p, method) && m->p->oauth.config_hint)
		return _(m->p->oauth.config_hint);
	switch (method) {
	case AUTH_METHOD_API_KEY:
		return _("Paste an API key from the provider's console.");
	case AUTH_METHOD_BROWSER:
		if (tui_headless() || m->p->oauth.redirect == OAUTH_REDIRECT_PASTE)
			return _("Sign in with a browser on any machine, then paste the code it "
			         "shows back here.");
		return _("Sign in with your browser on this machine; aiauth receives the result "
		         "by itself.");
	case AUTH_METHOD_DEVICE:
		return _("Get a short code and enter it on any device's browser; works over SSH.");
	case AUTH_METHOD_NONE:
		return _("No credential: a server on this machine.");
	}
	return "";
}

static void method_draw(struct screen *s)
{
	struct method *m = s->priv;
	struct tui *t = s->tui;
	WINDOW *win = s->win;
	int cols = getmaxx(win), body = ob_body_rows(win);
	char title[256];
	werase(win);
	snprintf(title, sizeof(title), _("Connect %s"), _(m->p->name));
	int y = ob_title(t, win, title);
	if (m->p->description)
		y += widget_wrap(t, win, y, 2, 2, cols - 4, _(m->p->description), tui_attr(t, TUI_DIM), false);
	y++;
	widget_text(t, win, y, 2, cols - 4, _("How do you want to connect?"), tui_attr(t, TUI_NORMAL));
	y += 2;
	for (int i = 0; i < m->n && y < body - 1; i++) {
		bool sel = i == m->sel;
		bool cfg = ob_method_needs_config(m->p, m->methods[i]);
		attr_t a = sel ? tui_attr(t, TUI_SELECTED) : tui_attr(t, TUI_NORMAL);
		if (sel) {
			wattr_on(win, a, NULL);
			mvwhline(win, y, 2, ' ', cols - 4);
			wattr_off(win, a, NULL);
			widget_text(t, win, y, 2, 2, tui_glyphs(t)->arrow, a);
		}
		int x = 4 + widget_text(t, win, y, 4, 24, _(ob_method_badge(m->methods[i])), a | A_BOLD);
		if (cfg)
			widget_text(t, win, y, x + 1, cols - x - 3, _("(needs configuration)"), sel ? a : tui_attr(t, TUI_WARN));
		y++;
		y += widget_wrap(t, win, y, 6, 3, cols - 8, explain(m, m->methods[i]),
		                 tui_attr(t, TUI_DIM), false);
		y++;
	}
}

static int method_key(struct screen *s, int ch, bool is_char)
{
	struct method *m = s->priv;
	if (tui_key_is_enter(ch, is_char))
		return m->n ? ob_open_method(m->t, m->p, m->methods[m->sel]) : TUI_HANDLED;
	if (is_char && ch == TUI_KEY_ESC)
		return TUI_HANDLED | TUI_POP;
	if (!is_char && (ch == KEY_UP || ch == KEY_BTAB) && m->sel > 0) {
		m->sel--;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (((!is_char && ch == KEY_DOWN) || (is_char && ch == '\t')) && m->sel + 1 < m->n) {
		m->sel++;
		return TUI_HANDLED | TUI_REDRAW;
	}
	return 0;
}

const struct screen_ops screen_method = {
	.name = "method",
	.open = method_open,
	.draw = method_draw,
	.key = method_key,
	.close = method_close,
	.keys = method_keys,
};
