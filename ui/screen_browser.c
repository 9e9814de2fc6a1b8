/* screen_browser.c - the browser / paste panel of the authorization code
 * with PKCE (SPEC §2, §7 screen 6).  arg: struct screen_browser_arg *.
 *
 * Two ways back, mirroring src/cli/login_browser.c:
 * - loopback (the provider redirects to 127.0.0.1): the one-shot listener
 *   of loopback.h runs on the loop while the panel waits with a spinner;
 * - paste (the provider's page shows a code, or the browser is on another
 *   machine): the person pastes the code, "code#state" or the whole
 *   address the browser ended on into the field.
 * The field is there in both modes: when the browser runs elsewhere (SSH),
 * its redirect to 127.0.0.1 cannot arrive, and the address bar holds the
 * code instead.  A paste whose state is not this sign-in's is refused with
 * a message and the panel stays; anything else wrong ends in "Sign-in
 * failed" with [Try again] [Cancel].  The code is exchanged on the loop,
 * the account saved (session_save_oauth) and the Connected screen replaces
 * the stack.  Esc cancels at once: the listener is closed and a request in
 * flight abandoned.
 *
 * The URL is always shown, whole, on one line for the terminal (see
 * signin.h), whether or not a browser was opened.  The field is masked:
 * what is pasted holds the authorization code, so only a bullet per
 * character is drawn, and it is wiped when used or dropped. */
#include "config.h"

#include "browser.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "loopback.h"
#include "oauth.h"
#include "oauth_pkce.h"
#include "screens.h"
#include "secret.h"
#include "session.h"
#include "signin.h"
#include "widgets.h"

/* How long the listener waits for the browser. */
#define LOOPBACK_WAIT_MS (5 * 60 * 1000)
/* Control keys: every printable character belongs to the field. */
#define KEY_CTRL(c) ((c) & 0x1f)

enum browser_phase {
	BROWSER_WAITING,    /* for the redirect or a paste */
	BROWSER_EXCHANGING, /* the code is being exchanged for tokens */
	BROWSER_SAVING,     /* session_save_oauth() runs */
	BROWSER_FAILED,     /* `problem` says why; [Try again] [Cancel] */
};

struct browser_screen {
	struct tui *tui;
	const struct provider *p;
	bool paste; /* asked for the paste flow */
	struct loop *loop;
	struct oauth_endpoints ep;
	bool have_ep;
	enum browser_phase phase;

	struct oauth_pkce pk;
	struct loopback *lb; /* NULL in paste mode and once it ended */
	char *redirect_uri;
	char *url;
	bool opened; /* a browser was started */
	struct oauth_token_request *req;
	struct credential *cred; /* between the exchange and the save */
	int save_timer;

	struct widget_field field; /* masked: a paste holds the code */
	char *message;        /* a paste that was refused (the panel stays) */
	char *problem;        /* BROWSER_FAILED */
	struct widget_buttons buttons; /* BROWSER_FAILED: Try again, Cancel */
	int spin;
	struct signin_wrap wrap;
};

static const struct tui_key browser_keys[] = {
	{"Enter", N_("use the pasted code")},
	{"^O", N_("open the browser")},
	{"^Y", N_("copy the address")},
	{"Esc", N_("cancel")},
	{NULL, NULL},
};

static const char *const retry_buttons[] = {N_("Try again"), N_("Cancel")};

/* ------------------------------------------------------------ the flow */

static void set_str(char **dst, const char *msg)
{
	free(*dst);
	*dst = msg ? strdup(msg) : NULL;
}

static void fail(struct browser_screen *b, const char *msg)
{
	b->phase = BROWSER_FAILED;
	b->buttons.focus = 0;
	set_str(&b->problem, msg ? msg : _(status_text(AIAUTH_FAILED)));
	tui_request_redraw(b->tui);
}

/* Drop everything one attempt holds (listener, request, secrets). */
static void attempt_clear(struct browser_screen *b)
{
	if (b->save_timer)
		loop_cancel_timer(b->loop, b->save_timer);
	b->save_timer = 0;
	loopback_free(b->lb);
	b->lb = NULL;
	if (b->req)
		oauth_token_request_cancel(b->req);
	b->req = NULL;
	CREDENTIAL_FREE(b->cred);
	widget_field_clear(&b->field);
	oauth_pkce_clear(&b->pk);
	free(b->redirect_uri);
	b->redirect_uri = NULL;
	free(b->url);
	b->url = NULL;
	set_str(&b->message, NULL);
	set_str(&b->problem, NULL);
	b->opened = false;
}

static void save_now(void *ctx)
{
	struct browser_screen *b = ctx;
	struct aiauth_error *err = NULL;
	struct session_saved saved = {0};
	b->save_timer = 0;
	struct credential *cred = b->cred;
	b->cred = NULL;
	b->phase = BROWSER_SAVING;
	enum aiauth_status st = session_save_oauth(tui_session(b->tui), b->p, &b->ep, "browser",
	                                           cred, NULL, &saved, &err);
	if (st != AIAUTH_OK) {
		fail(b, err ? err->message : _(status_text(st)));
		error_clear(&err);
		return;
	}
	struct screen_connected_arg arg = {
		.provider = b->p,
		.label = saved.label,
		.email = saved.email,
		.renewed = saved.renewed,
	};
	tui_reset(b->tui, &screen_connected, &arg);
	session_saved_clear(&saved);
}

static void on_token(void *ctx, struct oauth_token_result *r)
{
	struct browser_screen *b = ctx;
	b->req = NULL;
	if (r->status != AIAUTH_OK) {
		char msg[600];
		snprintf(msg, sizeof(msg), _("The code could not be exchanged for tokens: %s"),
		         r->description ? r->description : _(status_text(r->status)));
		fail(b, msg);
		return;
	}
	b->cred = r->cred;
	r->cred = NULL;
	/* Saving may run the loop (the email from userinfo) and ask for a
	 * passphrase: not from inside the request's callback. */
	b->save_timer = loop_add_timer(b->loop, 0, save_now, b);
	tui_request_redraw(b->tui);
}

/* Exchange `code` (taken). */
static void exchange(struct browser_screen *b, struct secret *code)
{
	struct aiauth_error *err = NULL;
	/* One way back is enough: the listener goes once a code is in hand. */
	loopback_free(b->lb);
	b->lb = NULL;
	b->req = oauth_pkce_exchange_start(b->loop, b->p, b->ep.token, code, b->redirect_uri,
	                                   &b->pk, on_token, b, &err);
	secret_free(code);
	if (!b->req) {
		fail(b, err ? err->message : NULL);
		error_clear(&err);
		return;
	}
	b->phase = BROWSER_EXCHANGING;
	tui_request_redraw(b->tui);
}

static void on_loopback(void *ctx, struct loopback_result *r)
{
	struct browser_screen *b = ctx;
	if (r->status != AIAUTH_OK) {
		fail(b, r->error ? r->error->message : _(status_text(r->status)));
		return;
	}
	struct secret *code = r->code;
	r->code = NULL;
	exchange(b, code);
}

/* Start (again): fresh PKCE secrets, listener, URL. */
static void attempt_start(struct browser_screen *b)
{
	struct aiauth_error *err = NULL;
	const struct provider *p = b->p;

	attempt_clear(b);
	b->phase = BROWSER_WAITING;
	b->buttons.focus = 0;
	if (!b->have_ep) {
		if (oauth_endpoints_resolve(b->loop, p, &b->ep, &err) != AIAUTH_OK) {
			oauth_endpoints_clear(&b->ep);
			goto fail;
		}
		b->have_ep = true;
	}
	if (!b->ep.authorization || !b->ep.token) {
		error_set(&err, AIAUTH_NOT_CONFIGURED,
		          _("%s: the provider's authorization or token endpoint is unknown"), p->id);
		goto fail;
	}
	if (oauth_pkce_new(&b->pk, &err) != AIAUTH_OK)
		goto fail;

	if (p->oauth.redirect == OAUTH_REDIRECT_PASTE) {
		if (!p->oauth.redirect_uri || !*p->oauth.redirect_uri) {
			error_set(&err, AIAUTH_NOT_CONFIGURED,
			          _("%s: no redirect address for a pasted code"), p->id);
			goto fail;
		}
		b->redirect_uri = strdup(p->oauth.redirect_uri);
	} else {
		/* A loopback provider gets its listener in both modes: with the
		 * browser here it answers by itself, and from elsewhere the
		 * address bar's URL can still be pasted. */
		struct loopback_options lo = {
			.port = p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_FIXED ? p->oauth.redirect_port
			                                                           : 0,
			.path = p->oauth.redirect_path,
			.state = b->pk.state,
			.timeout_ms = LOOPBACK_WAIT_MS,
		};
		if (loopback_start(b->loop, &lo, on_loopback, b, &b->lb, &err) != AIAUTH_OK)
			goto fail;
		/* The exact URI a provider registered (Codex: localhost), as the
		 * CLI sends it; the listener still binds 127.0.0.1. */
		const char *registered = p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_FIXED &&
		                                 p->oauth.redirect_uri && *p->oauth.redirect_uri
		                             ? p->oauth.redirect_uri
		                             : NULL;
		b->redirect_uri = strdup(registered ? registered : loopback_redirect_uri(b->lb));
	}
	if (!b->redirect_uri)
		abort();
	if (oauth_pkce_authorization_url(p, b->ep.authorization, b->redirect_uri, &b->pk, &b->url,
	                                 &err) != AIAUTH_OK)
		goto fail;
	if (!tui_headless())
		b->opened = browser_launch(b->url);
	return;
fail:
	loopback_free(b->lb);
	b->lb = NULL;
	fail(b, err ? err->message : NULL);
	error_clear(&err);
}

/* ------------------------------------------------------------ the field */

static void paste_submit(struct browser_screen *b)
{
	struct aiauth_error *err = NULL;
	struct secret *code = NULL;
	if (widget_field_chars(&b->field) == 0)
		return;
	struct secret *input = widget_field_take(&b->field);
	if (!input)
		abort();
	enum aiauth_status st = oauth_pkce_parse_paste(input, b->pk.state, &code, &err);
	secret_free(input);
	if (st == AIAUTH_OK) {
		set_str(&b->message, NULL);
		exchange(b, code);
	} else if (st == AIAUTH_DENIED || st == AIAUTH_REJECTED) {
		/* The provider's refusal, carried in the pasted address. */
		fail(b, err ? err->message : NULL);
	} else {
		/* Another sign-in's code, a typo: say so and let them paste again. */
		set_str(&b->message, err ? err->message : _("That is not a code or address from this "
		                                              "sign-in."));
	}
	error_clear(&err);
}

/* ------------------------------------------------------------ hooks */

static bool browser_open(struct screen *s, void *arg)
{
	const struct screen_browser_arg *a = arg;
	struct aiauth_error *err = NULL;
	struct browser_screen *b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->tui = s->tui;
	b->p = a->provider;
	b->paste = a->paste || a->provider->oauth.redirect == OAUTH_REDIRECT_PASTE;
	/* One character over the parser's limit, so that it is the parser
	 * that says what is too long. */
	widget_field_init(&b->field, OAUTH_PKCE_MAX_INPUT + 1, true);
	b->buttons.labels = retry_buttons;
	b->buttons.n = 2;
	if (session_loop(tui_session(s->tui), &b->loop, &err) != AIAUTH_OK) {
		tui_status(s->tui, "%s", err ? err->message : _("cannot start the event loop"));
		error_clear(&err);
		free(b);
		return false;
	}
	s->priv = b;
	attempt_start(b);
	return true;
}

static void browser_close(struct screen *s)
{
	struct browser_screen *b = s->priv;
	if (!b)
		return;
	attempt_clear(b);
	widget_field_free(&b->field);
	oauth_endpoints_clear(&b->ep);
	signin_wrap_cancel(&b->wrap);
	free(b);
	s->priv = NULL;
}

static int browser_key(struct screen *s, int ch, bool is_char)
{
	struct browser_screen *b = s->priv;
	if (b->phase == BROWSER_SAVING)
		return TUI_HANDLED;
	if (is_char && ch == TUI_KEY_ESC && !tui_pasting(b->tui)) {
		attempt_clear(b);
		return TUI_HANDLED | TUI_POP;
	}
	if (b->phase == BROWSER_FAILED) {
		int pressed, flags = widget_buttons_key(&b->buttons, ch, is_char, &pressed);
		if (pressed == 1)
			return TUI_HANDLED | TUI_POP;
		if (pressed == 0)
			attempt_start(b);
		return flags;
	}
	if (b->phase != BROWSER_WAITING)
		return TUI_HANDLED; /* exchanging: only Esc does something */

	if (tui_key_is_enter(ch, is_char)) {
		paste_submit(b);
		return TUI_HANDLED | TUI_REDRAW;
	}
	/* The field's show/hide toggle stays off: the paste is a code. */
	if ((is_char && ch == KEY_CTRL('r')) || (!is_char && ch == KEY_F(2)))
		return TUI_HANDLED;
	if (is_char && ch == KEY_CTRL('o')) {
		if (tui_headless())
			tui_status(b->tui, "%s",
			           _("No browser can be opened here: open the address on another device."));
		else if ((b->opened = browser_launch(b->url)))
			tui_status(b->tui, "%s", _("Opening the browser..."));
		else
			tui_status(b->tui, "%s", _("The browser could not be started."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (is_char && ch == KEY_CTRL('y')) {
		if (tui_copy_to_clipboard(b->tui, b->url))
			tui_status(b->tui, "%s", _("Copied the address to the clipboard."));
		else
			tui_status(b->tui, "%s",
			           _("This terminal does not take clipboard requests: select the text with "
			             "the mouse."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	int flags = widget_field_key(&b->field, ch, is_char);
	if (flags & TUI_HANDLED)
		set_str(&b->message, NULL);
	return flags;
}

static int browser_tick(struct screen *s)
{
	struct browser_screen *b = s->priv;
	if (b->phase == BROWSER_FAILED || (b->phase == BROWSER_WAITING && !b->lb))
		return 0;
	b->spin = (b->spin + 1) % 4;
	return TUI_REDRAW;
}

/* ------------------------------------------------------------ drawing */

static void draw_field(struct browser_screen *b, WINDOW *w, int y, int cols)
{
	size_t n = widget_field_chars(&b->field);
	mvwaddstr(w, y, 2, tui_glyphs(b->tui)->arrow);
	widget_field_draw(&b->field, b->tui, w, y, 4, cols - 28, true);
	if (n) {
		char count[64];
		snprintf(count, sizeof(count),
		         ngettext("%zu character", "%zu characters", (unsigned long)n), n);
		widget_text(b->tui, w, y, cols - 22, 20, count, tui_attr(b->tui, TUI_DIM));
	}
}

static void draw_waiting(struct browser_screen *b, WINDOW *w, int rows, int cols)
{
	const struct tui_glyphs *g = tui_glyphs(b->tui);
	int y = 2;

	if (b->opened)
		y += widget_wrap(b->tui, w, y, 2, 2, cols - 4, _("Your browser should open. If it does not, open this "
		                           "address:"), tui_attr(b->tui, TUI_NORMAL), false);
	else
		mvwaddstr(w, y++, 2, _("Open this address in a browser:"));
	int urows = signin_draw_url(b->tui, w, y, 2, b->url, tui_attr(b->tui, TUI_ACCENT));
	if (urows > 1)
		signin_wrap_later(&b->wrap, b->tui, y, b->url);
	y += urows + 1;

	if (b->lb) {
		mvwprintw(w, y++, 2, "%s %s", g->spinner[b->spin],
		          _("Waiting for the browser to come back..."));
		y++;
		if (!b->paste)
			y += widget_wrap(b->tui, w, y, 2, 2, cols - 4, _("Browser on another machine? Paste the address it "
			                           "ends on here and press Enter:"), tui_attr(b->tui, TUI_DIM), false);
	}
	if (!b->lb || b->paste) {
		y += widget_wrap(b->tui, w, y, 2, 2, cols - 4, _("After signing in, paste the code the page shows (or the "
		                           "whole address) and press Enter:"), tui_attr(b->tui, TUI_NORMAL), false);
	}
	if (y < rows)
		draw_field(b, w, y++, cols);
	if (b->message && y + 1 < rows)
		widget_wrap(b->tui, w, y + 1, 2, rows - y - 1, cols - 4, b->message, tui_attr(b->tui, TUI_ERROR), false);
}

static void browser_draw(struct screen *s)
{
	struct browser_screen *b = s->priv;
	WINDOW *w = s->win;
	int rows = getmaxy(w) - 1; /* the bottom row is the framework's */
	int cols = getmaxx(w);
	const struct tui_glyphs *g = tui_glyphs(b->tui);

	wattr_on(w, tui_attr(b->tui, TUI_TITLE), NULL);
	mvwprintw(w, 0, 2, _("Sign in to %s in the browser"), _(b->p->name));
	wattr_off(w, tui_attr(b->tui, TUI_TITLE), NULL);

	switch (b->phase) {
	case BROWSER_WAITING:
		draw_waiting(b, w, rows, cols);
		break;
	case BROWSER_EXCHANGING:
		mvwprintw(w, 2, 2, "%s %s", g->spinner[b->spin], _("Signed in. Getting the tokens..."));
		break;
	case BROWSER_SAVING:
		mvwprintw(w, 2, 2, "%s %s", g->spinner[b->spin], _("Saving the account..."));
		break;
	case BROWSER_FAILED: {
		wattr_on(w, tui_attr(b->tui, TUI_ERROR) | A_BOLD, NULL);
		mvwprintw(w, 2, 2, "%s %s", g->cross, _("Sign-in failed"));
		wattr_off(w, tui_attr(b->tui, TUI_ERROR) | A_BOLD, NULL);
		int used = widget_wrap(b->tui, w, 4, 2, 6, cols - 4, b->problem, tui_attr(b->tui, TUI_NORMAL), false);
		widget_buttons_draw(&b->buttons, b->tui, w, 5 + used, 2, cols - 4, true);
		break;
	}
	}
}

const struct screen_ops screen_browser = {
	.name = "browser",
	.open = browser_open,
	.draw = browser_draw,
	.key = browser_key,
	.tick = browser_tick,
	.resume = NULL,
	.close = browser_close,
	.keys = browser_keys,
};
