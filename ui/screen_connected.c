/* screen_connected.c - the account just connected (SPEC §7.7), with
 * [Add another] (the provider picker again, over the accounts screen so
 * that Esc from it lands at home) and [Done] (the accounts screen). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "onboarding.h"
#include "widgets.h"
#include "screens.h"

struct connected {
	const struct provider *p;
	char *label;
	char *email;
	bool renewed;
	int focus; /* 0 add another, 1 done */
};

static const struct tui_key connected_keys[] = {
	{"a", N_("add another account")},
	{"Enter", N_("press the button")},
	{"Esc", N_("done")},
	{NULL, NULL},
};

static bool connected_open(struct screen *s, void *arg)
{
	const struct screen_connected_arg *a = arg;
	struct connected *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->p = a->provider;
	c->label = a->label ? strdup(a->label) : NULL;
	c->email = a->email ? strdup(a->email) : NULL;
	if ((a->label && !c->label) || (a->email && !c->email))
		abort();
	c->renewed = a->renewed;
	c->focus = 1;
	s->priv = c;
	return true;
}

static void connected_close(struct screen *s)
{
	struct connected *c = s->priv;
	if (!c)
		return;
	free(c->label);
	free(c->email);
	free(c);
	s->priv = NULL;
}

static void connected_draw(struct screen *s)
{
	struct connected *c = s->priv;
	struct tui *t = s->tui;
	WINDOW *win = s->win;
	int cols = getmaxx(win);
	char line[512];
	werase(win);
	int y = ob_title(t, win, c->renewed ? _("Signed in again") : _("Connected"));
	y++;
	const char *name = c->p ? _(c->p->name) : "";
	if (c->renewed)
		snprintf(line, sizeof(line), _("%s account \"%s\" is signed in again; its tokens were "
		                               "renewed."),
		         name, c->label ? c->label : "");
	else
		snprintf(line, sizeof(line), _("%s is connected as \"%s\"."), name,
		         c->label ? c->label : "");
	widget_text(t, win, y, 2, 2, tui_glyphs(t)->check, tui_attr(t, TUI_OK));
	y += widget_wrap(t, win, y, 4, 3, cols - 6, line, tui_attr(t, TUI_OK), false);
	if (c->email) {
		snprintf(line, sizeof(line), _("Signed in as %s"), c->email);
		y += widget_wrap(t, win, y, 4, 2, cols - 6, line, tui_attr(t, TUI_NORMAL), false);
	}
	y++;
	if (c->p) {
		snprintf(line, sizeof(line),
		         _("Tools get it with 'aiauth token %s', 'aiauth env %s' or "
		           "'aiauth exec %s -- COMMAND'."),
		         c->p->id, c->p->id, c->p->id);
		y += widget_wrap(t, win, y, 4, 3, cols - 6, line, tui_attr(t, TUI_DIM), false);
	}
	y++;
	const char *labels[] = {_("Add another"), _("Done")};
	ob_buttons(t, win, y, 4, labels, 2, c->focus);
}

static int connected_key(struct screen *s, int ch, bool is_char)
{
	struct connected *c = s->priv;
	struct tui *t = s->tui;
	bool add = is_char && (ch == 'a' || ch == 'A');
	bool done = (is_char && ch == TUI_KEY_ESC) || (is_char && (ch == 'd' || ch == 'D'));
	if (tui_key_is_enter(ch, is_char) || (is_char && ch == ' ')) {
		add = c->focus == 0;
		done = c->focus == 1;
	}
	if (add) {
		/* The accounts screen is home now that an account exists; the
		 * picker goes on top so that Esc from it goes home. */
		tui_reset(t, &screen_accounts, NULL);
		tui_push(t, &screen_picker, NULL);
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (done) {
		tui_reset(t, &screen_accounts, NULL);
		return TUI_HANDLED | TUI_REDRAW;
	}
	if ((!is_char && (ch == KEY_LEFT || ch == KEY_RIGHT || ch == KEY_BTAB)) ||
	    (is_char && ch == '\t')) {
		c->focus = !c->focus;
		return TUI_HANDLED | TUI_REDRAW;
	}
	return 0;
}

const struct screen_ops screen_connected = {
	.name = "connected",
	.open = connected_open,
	.draw = connected_draw,
	.key = connected_key,
	.close = connected_close,
	.keys = connected_keys,
};
