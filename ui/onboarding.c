/* onboarding.c - the title line and the method dispatch shared by the
 * first-run screens (see onboarding.h). */
#include "config.h"

#include "i18n.h"
#include "onboarding.h"
#include "screens.h"
#include "widgets.h"

int ob_body_rows(WINDOW *win)
{
	int rows = getmaxy(win) - 1;
	return rows > 0 ? rows : 0;
}

int ob_title(struct tui *t, WINDOW *win, const char *title)
{
	int cols = getmaxx(win);
	widget_text(t, win, 0, 2, cols - 4, title, tui_attr(t, TUI_TITLE));
	wattr_on(win, tui_attr(t, TUI_DIM), NULL);
	mvwhline(win, 1, 2, 0, cols - 4);
	wattr_off(win, tui_attr(t, TUI_DIM), NULL);
	return 3;
}

void ob_buttons(struct tui *t, WINDOW *win, int y, int x, const char *const *labels, int n,
                int focus)
{
	int cols = getmaxx(win);
	for (int i = 0; i < n && x < cols - 2; i++) {
		attr_t a = i == focus ? tui_attr(t, TUI_SELECTED) : A_BOLD;
		x += widget_text(t, win, y, x, cols - 1 - x, "[ ", a);
		x += widget_text(t, win, y, x, cols - 1 - x, labels[i], a);
		x += widget_text(t, win, y, x, cols - 1 - x, " ]", a);
		x += 2;
	}
}

/* ----------------------------------------------------------- the flow */

int ob_methods(const struct provider *p, unsigned out[4])
{
	/* Where no browser can be opened (SSH, no display) the device code comes
	 * first: it is the flow that works from here without a paste. */
	static const unsigned desktop[] = {AUTH_METHOD_BROWSER, AUTH_METHOD_DEVICE,
	                                   AUTH_METHOD_API_KEY, AUTH_METHOD_NONE};
	static const unsigned headless[] = {AUTH_METHOD_DEVICE, AUTH_METHOD_BROWSER,
	                                    AUTH_METHOD_API_KEY, AUTH_METHOD_NONE};
	const unsigned *order = tui_headless() ? headless : desktop;
	int n = 0;
	for (size_t i = 0; i < 4; i++)
		if (p->methods & order[i])
			out[n++] = order[i];
	return n;
}

bool ob_method_needs_config(const struct provider *p, unsigned method)
{
	return (method == AUTH_METHOD_BROWSER || method == AUTH_METHOD_DEVICE) &&
	       p->oauth.needs_config;
}

const char *ob_method_badge(unsigned method)
{
	switch (method) {
	case AUTH_METHOD_API_KEY:
		return N_("API key");
	case AUTH_METHOD_BROWSER:
		return N_("Browser");
	case AUTH_METHOD_DEVICE:
		return N_("Device");
	case AUTH_METHOD_NONE:
		return N_("Local");
	}
	return "?";
}

int ob_open_method(struct tui *t, const struct provider *p, unsigned method)
{
	if (ob_method_needs_config(p, method)) {
		if (p->oauth.config_hint)
			tui_status(t, "%s", _(p->oauth.config_hint));
		else
			tui_status(t, _("%s sign-in needs its OAuth details in providers.json first"),
			           _(p->name));
		return TUI_HANDLED | TUI_REDRAW;
	}
	switch (method) {
	case AUTH_METHOD_API_KEY:
		tui_push(t, &screen_keyentry, (void *)p);
		break;
	case AUTH_METHOD_DEVICE:
		tui_push(t, &screen_device, (void *)p);
		break;
	case AUTH_METHOD_BROWSER: {
		struct screen_browser_arg arg = {
			.provider = p,
			.paste = tui_headless() || p->oauth.redirect == OAUTH_REDIRECT_PASTE,
		};
		tui_push(t, &screen_browser, &arg);
		break;
	}
	default:
		break;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

int ob_show_connected(struct tui *t, const struct provider *p, const char *label,
                      const char *email, bool renewed)
{
	struct screen_connected_arg arg = {p, label, email, renewed};
	tui_reset(t, &screen_connected, &arg);
	return TUI_HANDLED | TUI_REDRAW;
}
