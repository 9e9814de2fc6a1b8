/* screen_welcome.c - the first screen when no account exists (SPEC §7.1).
 *
 * Says in two sentences what aiauth does and where the secrets will be
 * kept and why: the secret store is opened here through the session (the
 * keyring probe has a short timeout; the file backend asks nothing until a
 * secret is written), so the backend named is the one the first secret
 * will go to.  Offers to connect a provider, to import from installed CLIs
 * (only when one of their credential files exists), or to quit.
 *
 * Import is import_tool() of the core (sync.h) for every file found; it
 * reads files and stores secrets but reaches no network, so it runs in the
 * key handler.  When it made (or found) an account the accounts screen
 * takes over, with the outcome in the status line; when it made none the
 * welcome screen stays, saying why. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "onboarding.h"
#include "widgets.h"
#include "screens.h"
#include "credfiles.h"
#include "session.h"
#include "sync.h"

/* The credential files of other tools' CLIs: credfiles.h knows them. */
#define N_CLI_FILES CREDFILE_TOOL_COUNT

enum welcome_button { BTN_CONNECT, BTN_IMPORT, BTN_QUIT };

struct welcome {
	struct tui *t;
	bool found[N_CLI_FILES];
	bool any_found;
	enum welcome_button buttons[3];
	int n_buttons;
	int focus;

	/* The secret store, as learnt at open. */
	bool store_ok;
	enum secret_backend backend;
	char *reason;   /* translated sentence from the store */
	char *location; /* keyring collection or vault path */
	char *error;    /* why the store cannot be opened */
};

static const struct tui_key welcome_keys[] = {
	{"Enter", N_("press the button")},
	{"c", N_("connect a provider")},
	{"Up/Down", N_("choose a button")},
	{NULL, NULL},
};

static char *dup_or_null(const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		abort();
	return d;
}

static void find_cli_files(struct welcome *w)
{
	for (size_t i = 0; i < N_CLI_FILES; i++) {
		char *path = NULL;
		struct aiauth_error *err = NULL;
		/* No $HOME: nothing can be found, and nothing is offered. */
		if (credfile_path(credfile_tool((enum credfile_tool)i), NULL, &path, &err) == AIAUTH_OK)
			w->found[i] = access(path, F_OK) == 0;
		w->any_found = w->any_found || w->found[i];
		free(path);
		error_clear(&err);
	}
}

static bool welcome_open(struct screen *s, void *arg)
{
	struct welcome *w = calloc(1, sizeof(*w));
	if (!w)
		abort();
	w->t = s->tui;
	find_cli_files(w);
	w->buttons[w->n_buttons++] = BTN_CONNECT;
	if (w->any_found)
		w->buttons[w->n_buttons++] = BTN_IMPORT;
	w->buttons[w->n_buttons++] = BTN_QUIT;

	struct secretstore *ss = NULL;
	struct aiauth_error *err = NULL;
	if (session_secrets(tui_session(s->tui), &ss, &err) == AIAUTH_OK) {
		w->store_ok = true;
		w->backend = secretstore_backend(ss);
		w->reason = dup_or_null(secretstore_reason(ss));
		w->location = dup_or_null(secretstore_location(ss));
	} else {
		w->error = dup_or_null(err ? err->message : _("the secret store cannot be opened"));
	}
	error_clear(&err);
	s->priv = w;
	return true;
}

static void welcome_close(struct screen *s)
{
	struct welcome *w = s->priv;
	if (!w)
		return;
	free(w->reason);
	free(w->location);
	free(w->error);
	free(w);
	s->priv = NULL;
}

static bool over_ssh(void)
{
	return getenv("SSH_CONNECTION") || getenv("SSH_TTY") || getenv("SSH_CLIENT");
}

static void button_label(const struct welcome *w, enum welcome_button b, char *buf, size_t n)
{
	switch (b) {
	case BTN_CONNECT:
		snprintf(buf, n, "%s", _("Connect a provider"));
		return;
	case BTN_QUIT:
		snprintf(buf, n, "%s", _("Quit"));
		return;
	case BTN_IMPORT: {
		char found[256] = "";
		for (size_t i = 0; i < N_CLI_FILES; i++) {
			if (!w->found[i])
				continue;
			size_t used = strlen(found);
			snprintf(found + used, sizeof(found) - used, "%s%s", used ? ", " : "",
			         credfile_tool((enum credfile_tool)i)->tool_name);
		}
		snprintf(buf, n, _("Import from installed CLIs (found: %s)"), found);
		return;
	}
	}
}

static void welcome_draw(struct screen *s)
{
	struct welcome *w = s->priv;
	struct tui *t = s->tui;
	WINDOW *win = s->win;
	int cols = getmaxx(win), body = ob_body_rows(win), width = cols - 6;
	char line[1024];
	werase(win);
	int y = ob_title(t, win, _("Welcome to aiauth"));
	y += widget_wrap(t, win, y, 3, 4, width, _("aiauth connects your AI-provider accounts (subscriptions, API keys and " "local model servers) and keeps them working. Your tools then get a " "valid key or token from it with 'aiauth token', 'aiauth env' or " "'aiauth exec'."), tui_attr(t, TUI_NORMAL), false);
	y++;
	widget_text(t, win, y++, 3, width, _("Where your secrets will be kept"), tui_attr(t, TUI_TITLE));
	if (!w->store_ok) {
		snprintf(line, sizeof(line), _("Nowhere yet: %s"), w->error);
		y += widget_wrap(t, win, y, 3, 3, width, line, tui_attr(t, TUI_ERROR), false);
	} else {
		if (w->backend == SECRET_BACKEND_KEYRING)
			snprintf(line, sizeof(line),
			         _("In your desktop keyring (%s), through the Secret Service."),
			         w->location ? w->location : "");
		else
			snprintf(line, sizeof(line),
			         _("In an encrypted file, %s, sealed with a passphrase you choose when "
			           "the first secret is saved."),
			         w->location ? w->location : "");
		y += widget_wrap(t, win, y, 3, 3, width, line, tui_attr(t, TUI_ACCENT), false);
		if (w->backend == SECRET_BACKEND_FILE && over_ssh())
			y += widget_wrap(t, win, y, 3, 2, width, _("You are connected over SSH and no keyring answers here, so " "the encrypted file will be used."), tui_attr(t, TUI_NORMAL), false);
		if (w->reason && *w->reason)
			y += widget_wrap(t, win, y, 3, 3, width, w->reason, tui_attr(t, TUI_DIM), false);
	}
	y++;
	for (int i = 0; i < w->n_buttons && y < body; i++, y++) {
		char label[512];
		button_label(w, w->buttons[i], label, sizeof(label));
		const char *one[] = {label};
		ob_buttons(t, win, y, 3, one, 1, i == w->focus ? 0 : -1);
	}
}

/* Import every file found (see the header comment). */
static int import_found(struct welcome *w)
{
	struct tui *t = w->t;
	size_t imported = 0;
	char last[512] = "", problem[512] = "";
	for (size_t i = 0; i < N_CLI_FILES; i++) {
		if (!w->found[i])
			continue;
		const struct credfile_tool_info *tool = credfile_tool((enum credfile_tool)i);
		struct import_result r = {0};
		struct aiauth_error *err = NULL;
		enum aiauth_status st = import_tool(tui_session(t), tool, &r, &err);
		if (st == AIAUTH_OK) {
			imported++;
			snprintf(last, sizeof(last), "%s", r.line ? r.line : "");
		} else if (!problem[0] && !(st == AIAUTH_UNSUPPORTED && tool->unsupported)) {
			/* Grok's file is found but never read: not a problem. */
			snprintf(problem, sizeof(problem), "%s", err ? err->message : _(status_text(st)));
		}
		if (st == AIAUTH_OK && r.warning && !problem[0])
			snprintf(problem, sizeof(problem), "%s", r.warning);
		import_result_clear(&r);
		error_clear(&err);
	}
	if (!imported) {
		if (problem[0])
			tui_status(t, _("Nothing was imported: %s"), problem);
		else
			tui_status(t, "%s", _("Nothing was imported: the files found hold no sign-in aiauth "
			                      "can read."));
		return TUI_HANDLED | TUI_REDRAW;
	}
	/* w belongs to the dead screens from here on: copy what is needed first. */
	if (!tui_reset(t, &screen_accounts, NULL))
		return TUI_HANDLED | TUI_REDRAW;
	if (problem[0])
		tui_status(t, "%s %s", last, problem);
	else if (imported > 1)
		tui_status(t, _("Imported %zu sign-ins from installed CLIs."), imported);
	else
		tui_status(t, "%s", last);
	return TUI_HANDLED | TUI_REDRAW;
}

static int press(struct welcome *w, enum welcome_button b)
{
	switch (b) {
	case BTN_CONNECT:
		tui_status(w->t, NULL);
		tui_push(w->t, &screen_picker, NULL);
		return TUI_HANDLED | TUI_REDRAW;
	case BTN_IMPORT:
		return import_found(w);
	case BTN_QUIT:
		return TUI_HANDLED | TUI_QUIT;
	}
	return 0;
}

static int welcome_key(struct screen *s, int ch, bool is_char)
{
	struct welcome *w = s->priv;
	if (tui_key_is_enter(ch, is_char) || (is_char && ch == ' '))
		return press(w, w->buttons[w->focus]);
	if (is_char && (ch == 'c' || ch == 'C'))
		return press(w, BTN_CONNECT);
	if (is_char && (ch == 'i' || ch == 'I') && w->any_found)
		return press(w, BTN_IMPORT);
	if ((!is_char && (ch == KEY_UP || ch == KEY_BTAB)) && w->focus > 0) {
		w->focus--;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (((!is_char && ch == KEY_DOWN) || (is_char && ch == '\t')) &&
	    w->focus + 1 < w->n_buttons) {
		w->focus++;
		return TUI_HANDLED | TUI_REDRAW;
	}
	return 0;
}

const struct screen_ops screen_welcome = {
	.name = "welcome",
	.open = welcome_open,
	.draw = welcome_draw,
	.key = welcome_key,
	.close = welcome_close,
	.keys = welcome_keys,
};
