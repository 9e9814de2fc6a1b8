/* screen_device.c - the device-code panel (SPEC §2 "OAuth device code",
 * §7 screen 5).  arg: const struct provider *.
 *
 * The flow is oauth_device.c's state machine on the loop; this screen only
 * shows it.  The flow's change callback asks for a redraw; `tick` redraws
 * once a second while waiting, and since the framework erases and redraws
 * the whole window but ncurses sends only the cells that changed, a second
 * costs the countdown's digits and the spinner, nothing more.
 *
 *   REQUESTING   spinner, "Asking <provider> for a code"
 *   WAITING      the user code in a box, the verification URL on one line,
 *                a QR code of verification_uri_complete when it fits, the
 *                countdown and a spinner; c copies the code, u the URL, o
 *                opens the browser (only where a display exists)
 *   EXPIRED      "Code expired"  [Get new code] [Cancel]
 *   DENIED       "Access denied" [Try again] [Cancel]
 *   ERROR        the server's description [Try again] [Cancel]
 *   APPROVED     the account is saved (session_save_oauth) and the
 *                Connected screen replaces the whole stack
 * Esc cancels the flow at once (nothing stays in flight) and goes back.
 *
 * Only the user code is shown: the device code never leaves the flow, and
 * the credential goes straight from the flow to session_save_oauth(). */
#include "config.h"

#include "browser.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "oauth.h"
#include "oauth_device.h"
#include "qr.h"
#include "screens.h"
#include "session.h"
#include "signin.h"
#include "widgets.h"

/* Rows of the code box: border, code, border. */
#define BOX_ROWS 3

struct device_screen {
	struct tui *tui;
	const struct provider *p;
	struct loop *loop;
	struct oauth_endpoints ep;
	bool have_ep;
	struct device_flow *flow;
	/* Why the panel shows an error the flow did not report (discovery,
	 * start, saving), or NULL. */
	char *problem;
	int spin;     /* spinner frame */
	struct widget_buttons buttons; /* final states: the primary one, Cancel */
	int save_timer;
	bool saving;  /* session_save_oauth() is running (it may run the loop) */
	struct qr_art qr;
	char *qr_text; /* what `qr` encodes (rebuilt for a new code) */
	bool qr_utf8;
	struct signin_wrap wrap;
};

static const struct tui_key device_keys[] = {
	{"c", N_("copy the code")},
	{"u", N_("copy the address")},
	{"o", N_("open the browser")},
	{"Esc", N_("cancel")},
	{NULL, NULL},
};

/* The buttons of the final states (the first one starts a new flow). */
static const char *const expired_buttons[] = {N_("Get new code"), N_("Cancel")};
static const char *const retry_buttons[] = {N_("Try again"), N_("Cancel")};

/* ------------------------------------------------------------ the flow */

static void set_problem(struct device_screen *d, const char *msg)
{
	free(d->problem);
	d->problem = msg ? strdup(msg) : NULL;
}

static void save_now(void *ctx);

static void on_change(void *ctx, struct device_flow *f)
{
	struct device_screen *d = ctx;
	if (device_flow_state(f) == DEVICE_APPROVED && !d->save_timer && !d->saving) {
		/* Saving may learn the email over HTTP and ask for a passphrase:
		 * it runs from a timer of its own rather than inside the flow's
		 * callback, so the flow is not in the middle of anything when it
		 * is freed. */
		d->save_timer = loop_add_timer(d->loop, 0, save_now, d);
	}
	d->buttons.focus = 0;
	tui_request_redraw(d->tui);
}

/* Start (or start again) the flow: a new device request, a new code. */
static void flow_start(struct device_screen *d)
{
	struct aiauth_error *err = NULL;
	DEVICE_FLOW_FREE(d->flow);
	set_problem(d, NULL);
	d->buttons.focus = 0;
	if (!d->have_ep) {
		/* Discovery runs the loop until the issuer answers (a moment).
		 * It is done here, not in a callback, and again on "Try again"
		 * when it failed the first time. */
		if (oauth_endpoints_resolve(d->loop, d->p, &d->ep, &err) != AIAUTH_OK) {
			oauth_endpoints_clear(&d->ep);
			set_problem(d, err ? err->message : _(status_text(AIAUTH_FAILED)));
			error_clear(&err);
			return;
		}
		d->have_ep = true;
	}
	d->flow = device_flow_start(d->loop, d->p, &d->ep, on_change, d, &err);
	if (!d->flow) {
		set_problem(d, err ? err->message : _(status_text(AIAUTH_FAILED)));
		error_clear(&err);
	}
}

static void save_now(void *ctx)
{
	struct device_screen *d = ctx;
	struct aiauth_error *err = NULL;
	struct session_saved saved = {0};
	d->save_timer = 0;
	struct credential *cred = device_flow_take_credential(d->flow);
	if (!cred)
		return;
	d->saving = true;
	enum aiauth_status st = session_save_oauth(tui_session(d->tui), d->p, &d->ep, "device", cred,
	                                           NULL, &saved, &err);
	d->saving = false;
	if (st != AIAUTH_OK) {
		/* The code is spent: a new sign-in starts over. */
		DEVICE_FLOW_FREE(d->flow);
		set_problem(d, err ? err->message : _(status_text(st)));
		error_clear(&err);
		tui_request_redraw(d->tui);
		return;
	}
	struct screen_connected_arg arg = {
		.provider = d->p,
		.label = saved.label,
		.email = saved.email,
		.renewed = saved.renewed,
	};
	/* The whole stack goes: Back from Connected must not land on a spent
	 * code.  This screen is closed at the end of the wake-up. */
	tui_reset(d->tui, &screen_connected, &arg);
	session_saved_clear(&saved);
}

/* What the panel shows: the flow's state, or ERROR for a problem of ours. */
static enum device_state shown_state(const struct device_screen *d)
{
	if (d->problem || !d->flow)
		return DEVICE_ERROR;
	return device_flow_state(d->flow);
}

/* ------------------------------------------------------------ hooks */

static bool device_open(struct screen *s, void *arg)
{
	struct aiauth_error *err = NULL;
	struct device_screen *d = calloc(1, sizeof(*d));
	if (!d)
		abort();
	d->tui = s->tui;
	d->p = arg;
	if (session_loop(tui_session(s->tui), &d->loop, &err) != AIAUTH_OK) {
		tui_status(s->tui, "%s", err ? err->message : _("cannot start the event loop"));
		error_clear(&err);
		free(d);
		return false;
	}
	d->buttons.labels = retry_buttons;
	d->buttons.n = 2;
	s->priv = d;
	flow_start(d);
	return true;
}

static void device_close(struct screen *s)
{
	struct device_screen *d = s->priv;
	if (!d)
		return;
	if (d->save_timer)
		loop_cancel_timer(d->loop, d->save_timer);
	DEVICE_FLOW_FREE(d->flow);
	oauth_endpoints_clear(&d->ep);
	qr_art_clear(&d->qr);
	free(d->qr_text);
	free(d->problem);
	signin_wrap_cancel(&d->wrap);
	free(d);
	s->priv = NULL;
}

static void copy(struct device_screen *d, const char *text, const char *what)
{
	if (!text)
		return;
	if (tui_copy_to_clipboard(d->tui, text))
		tui_status(d->tui, _("Copied the %s to the clipboard."), what);
	else
		tui_status(d->tui, "%s",
		           _("This terminal does not take clipboard requests: select the text with "
		             "the mouse."));
}

static int device_key(struct screen *s, int ch, bool is_char)
{
	struct device_screen *d = s->priv;
	/* While the account is saved (the loop may run inside, for the email
	 * or a passphrase), keys wait: nothing may free the flow under it. */
	if (d->saving)
		return TUI_HANDLED;
	if (is_char && ch == TUI_KEY_ESC) {
		if (d->flow)
			device_flow_cancel(d->flow);
		return TUI_HANDLED | TUI_POP;
	}
	enum device_state st = shown_state(d);
	if (st == DEVICE_WAITING) {
		const char *uri = device_flow_verification_uri(d->flow);
		const char *complete = device_flow_verification_uri_complete(d->flow);
		if (!is_char)
			return 0;
		switch (ch) {
		case 'c':
			copy(d, device_flow_user_code(d->flow), _("code"));
			return TUI_HANDLED | TUI_REDRAW;
		case 'u':
		case 'C':
			copy(d, uri, _("address"));
			return TUI_HANDLED | TUI_REDRAW;
		case 'o':
			if (tui_headless())
				tui_status(d->tui, "%s",
				           _("No browser can be opened here: open the address on another "
				             "device."));
			else if (browser_launch(complete ? complete : uri))
				tui_status(d->tui, "%s", _("Opening the browser..."));
			else
				tui_status(d->tui, "%s", _("The browser could not be started."));
			return TUI_HANDLED | TUI_REDRAW;
		default:
			return 0;
		}
	}
	if (st == DEVICE_EXPIRED || st == DEVICE_DENIED || st == DEVICE_ERROR) {
		int pressed, flags = widget_buttons_key(&d->buttons, ch, is_char, &pressed);
		if (pressed == 1)
			return TUI_HANDLED | TUI_POP;
		if (pressed == 0)
			flow_start(d);
		return flags;
	}
	return 0;
}

static int device_tick(struct screen *s)
{
	struct device_screen *d = s->priv;
	enum device_state st = shown_state(d);
	if (st != DEVICE_WAITING && st != DEVICE_REQUESTING && !d->saving)
		return 0;
	d->spin = (d->spin + 1) % 4;
	return TUI_REDRAW;
}

/* ------------------------------------------------------------ drawing */

/* "W D J B - M J P V": letters spaced out so the code reads at a glance
 * and is hard to misread when typed on another device. */
static char *spaced(const char *code)
{
	size_t n = strlen(code);
	char *out = malloc(2 * n + 1);
	if (!out)
		abort();
	char *p = out;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ' ';
		*p++ = code[i];
	}
	*p = '\0';
	return out;
}

static void draw_box(struct tui *t, WINDOW *w, int y, int x, int width, const char *text,
                     attr_t attr)
{
	widget_box(t, w, y, x, BOX_ROWS, width, NULL);
	widget_text(t, w, y + 1, x + (width - (int)strlen(text)) / 2, width - 2, text, attr);
}

/* The QR art for `text` in the current glyph set, made once per code. */
static const struct qr_art *qr_for(struct device_screen *d, const char *text)
{
	bool utf8 = tui_utf8(d->tui);
	if (!text)
		return NULL;
	if (!d->qr_text || strcmp(d->qr_text, text) != 0 || d->qr_utf8 != utf8) {
		free(d->qr_text);
		d->qr_text = strdup(text);
		d->qr_utf8 = utf8;
		if (!d->qr_text || !qr_art_make(text, utf8, &d->qr)) {
			qr_art_clear(&d->qr);
			return NULL;
		}
	}
	return d->qr.lines ? &d->qr : NULL;
}

static void draw_title(struct device_screen *d, WINDOW *w)
{
	wattr_on(w, tui_attr(d->tui, TUI_TITLE), NULL);
	mvwprintw(w, 0, 2, _("Sign in to %s with a code"), _(d->p->name));
	wattr_off(w, tui_attr(d->tui, TUI_TITLE), NULL);
}

static void draw_waiting(struct device_screen *d, WINDOW *w, int rows, int cols)
{
	const struct tui_glyphs *g = tui_glyphs(d->tui);
	const char *uri = device_flow_verification_uri(d->flow);
	const char *complete = device_flow_verification_uri_complete(d->flow);
	const char *code = device_flow_user_code(d->flow);
	char left[32];
	int y = 2;

	/* The QR code goes to the right of the text when both fit side by
	 * side, else it is left out: the URL and the code are what matter. */
	const struct qr_art *qr = qr_for(d, complete);
	int text_width = (int)strlen(uri) + 4;
	if (text_width < 48)
		text_width = 48;
	bool show_qr = qr && qr->height <= rows && text_width + qr->width + 2 <= cols;
	int width = show_qr ? cols - qr->width - 2 : cols;
	if (show_qr) {
		int qx = cols - qr->width - 1;
		for (int i = 0; i < qr->height; i++)
			mvwaddstr(w, i, qx, qr->lines[i]);
	}

	mvwaddstr(w, y++, 2, _("Open this page in a browser:"));
	int urows = signin_draw_url(d->tui, w, y, 4, uri, tui_attr(d->tui, TUI_ACCENT) | A_BOLD);
	if (urows > 1)
		signin_wrap_later(&d->wrap, d->tui, y, uri);
	y += urows + 1;
	mvwaddstr(w, y++, 2, _("and enter this code:"));
	char *big = spaced(code);
	int bw = (int)strlen(big) + 8;
	draw_box(d->tui, w, y, 4, bw, big, tui_attr(d->tui, TUI_ACCENT) | A_BOLD);
	free(big);
	y += BOX_ROWS + 1;

	signin_format_left(left, sizeof(left), (long long)device_flow_seconds_left(d->flow));
	mvwprintw(w, y++, 2, "%s %s", g->spinner[d->spin], _("Waiting for approval"));
	/* The only text that changes every second. */
	mvwprintw(w, y++, 4, _("Code expires in %s"), left);
	y++;
	if (show_qr) {
		widget_wrap(d->tui, w, y, 2, 2, width - 3, _("Or scan the QR code: it opens the page with the code filled "
		                      "in."), tui_attr(d->tui, TUI_DIM), false);
	} else if (complete && y + signin_url_rows(complete, 4, cols) + 1 < rows) {
		mvwaddstr(w, y++, 2, _("Or open this page, which fills in the code for you:"));
		int crows = signin_draw_url(d->tui, w, y, 4, complete, tui_attr(d->tui, TUI_ACCENT));
		if (crows > 1 && urows == 1)
			signin_wrap_later(&d->wrap, d->tui, y, complete);
	}
	if (tui_headless())
		widget_wrap(d->tui, w, rows - 1, 2, 1, width - 3, _("No browser here: open the page on your phone or another "
		                      "computer."), tui_attr(d->tui, TUI_DIM), false);
}

static void draw_final(struct device_screen *d, WINDOW *w, int cols, enum device_state st)
{
	const struct tui_glyphs *g = tui_glyphs(d->tui);
	const struct aiauth_error *fe = d->flow ? device_flow_error(d->flow) : NULL;
	const char *head, *mark, *why;
	enum tui_role role;

	if (st == DEVICE_EXPIRED) {
		head = _("Code expired");
		mark = "!";
		role = TUI_WARN;
		why = _("The code was not used in time. Get a new code to try again.");
	} else if (st == DEVICE_DENIED) {
		head = _("Access denied");
		mark = g->cross;
		role = TUI_ERROR;
		why = _("The sign-in was refused on the provider's page.");
	} else {
		head = _("Sign-in failed");
		mark = g->cross;
		role = TUI_ERROR;
		why = d->problem ? d->problem
		      : fe && fe->message[0] ? fe->message
		                             : _(status_text(AIAUTH_FAILED));
	}
	/* Which labels depends on the state; the buttons only keep the focus. */
	d->buttons.labels = st == DEVICE_EXPIRED ? expired_buttons : retry_buttons;
	wattr_on(w, tui_attr(d->tui, role) | A_BOLD, NULL);
	mvwprintw(w, 2, 2, "%s %s", mark, head);
	wattr_off(w, tui_attr(d->tui, role) | A_BOLD, NULL);
	int used = widget_wrap(d->tui, w, 4, 2, 6, cols - 4, why, tui_attr(d->tui, TUI_NORMAL), false);
	widget_buttons_draw(&d->buttons, d->tui, w, 5 + used, 2, cols - 4, true);
}

static void device_draw(struct screen *s)
{
	struct device_screen *d = s->priv;
	WINDOW *w = s->win;
	int rows = getmaxy(w) - 1; /* the bottom row is the framework's */
	int cols = getmaxx(w);
	const struct tui_glyphs *g = tui_glyphs(d->tui);
	enum device_state st = shown_state(d);

	draw_title(d, w);
	if (d->saving || st == DEVICE_APPROVED) {
		mvwprintw(w, 2, 2, "%s %s", g->spinner[d->spin], _("Approved. Saving the account..."));
		return;
	}
	switch (st) {
	case DEVICE_REQUESTING:
		mvwprintw(w, 2, 2, "%s ", g->spinner[d->spin]);
		wprintw(w, _("Asking %s for a code..."), _(d->p->name));
		break;
	case DEVICE_WAITING:
		draw_waiting(d, w, rows, cols);
		break;
	case DEVICE_CANCELLED:
		break;
	default:
		draw_final(d, w, cols, st);
		break;
	}
}

const struct screen_ops screen_device = {
	.name = "device",
	.open = device_open,
	.draw = device_draw,
	.key = device_key,
	.tick = device_tick,
	.resume = NULL,
	.close = device_close,
	.keys = device_keys,
};
