/* screen_help.c - the help overlay: the keys of the screen it was opened
 * over, then the keys every screen has, both straight from the key tables
 * (tui_key arrays), so the help can never disagree with the key bar.
 * Any key closes it. */
#include "config.h"

#include <stdlib.h>

#include "i18n.h"
#include "screens.h"
#include "widgets.h"

struct help {
	const struct tui_key *keys; /* of the screen below; may be NULL */
};

static bool help_open(struct screen *s, void *arg)
{
	const struct screen *below = arg;
	struct help *h = calloc(1, sizeof *h);
	if (!h)
		abort();
	h->keys = below ? below->ops->keys : NULL;
	s->priv = h;
	return true;
}

static int section(struct screen *s, int y, int x, int w, int key_w, int max_y,
                   const char *heading, const struct tui_key *keys)
{
	struct tui *t = s->tui;
	if (y < max_y)
		widget_text(t, s->win, y++, x, w, heading, tui_attr(t, TUI_TITLE));
	for (const struct tui_key *k = keys; k && k->key && y < max_y; k++, y++) {
		widget_text(t, s->win, y, x + 2, key_w, k->key, tui_attr(t, TUI_KEY));
		widget_text(t, s->win, y, x + 2 + key_w, w - 2 - key_w, _(k->help), A_NORMAL);
	}
	return y;
}

static int count(const struct tui_key *keys)
{
	int n = 0;
	for (const struct tui_key *k = keys; k && k->key; k++)
		n++;
	return n;
}

static int key_width(struct tui *t, const struct tui_key *keys, int w)
{
	for (const struct tui_key *k = keys; k && k->key; k++)
		if (widget_width(t, k->key) > w)
			w = widget_width(t, k->key);
	return w;
}

static void help_draw(struct screen *s)
{
	struct help *h = s->priv;
	struct tui *t = s->tui;
	int rows = getmaxy(s->win) - 1; /* the bottom row is the framework's */
	int cols = getmaxx(s->win);
	int n_own = count(h->keys);
	int height = 2 + (n_own ? n_own + 2 : 0) + count(tui_global_keys) + 1 + 2;
	if (height > rows)
		height = rows;
	int width = cols - 8 < 64 ? cols - 8 : 64;
	int y = (rows - height) / 2, x = (cols - width) / 2;
	widget_box(t, s->win, y, x, height, width, _("Keys"));
	int key_w = key_width(t, tui_global_keys, key_width(t, h->keys, 0)) + 3;
	int max_y = y + height - 2;
	int row = y + 1;
	if (n_own) {
		row = section(s, row, x + 2, width - 4, key_w, max_y, _("On this screen"), h->keys);
		row++;
	}
	section(s, row, x + 2, width - 4, key_w, max_y, _("Everywhere"), tui_global_keys);
	widget_text(t, s->win, y + height - 2, x + 2, width - 4, _("Press any key to close."),
	            tui_attr(t, TUI_DIM));
}

static int help_key(struct screen *s, int ch, bool is_char)
{
	(void)s;
	(void)ch;
	(void)is_char;
	return TUI_HANDLED | TUI_POP;
}

static void help_close(struct screen *s)
{
	free(s->priv);
	s->priv = NULL;
}

const struct screen_ops screen_help = {
	.name = "help",
	.open = help_open,
	.draw = help_draw,
	.key = help_key,
	.close = help_close,
};
