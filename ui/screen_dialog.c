/* screen_dialog.c - small modals: a question with OK/Cancel, a line of
 * input, a masked line of input; and the passphrase modal the core calls
 * synchronously (tui_ask_passphrase).
 *
 * The dialog is an overlay: the framework draws its parent first, then the
 * dialog's box over it.  When it ends it calls `done` with the answer, then
 * hands done's flags to its parent (tui_apply) and closes itself. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "i18n.h"
#include "screens.h"
#include "secret.h"
#include "tui_internal.h"
#include "widgets.h"

static const char *const dialog_labels[] = {N_("OK"), N_("Cancel")};

struct dialog {
	enum screen_dialog_kind kind;
	char *title;
	char *question;
	struct widget_field field;
	struct widget_buttons buttons;
	bool on_field; /* the focus is in the field (else on the buttons) */
	int (*done)(void *ctx, bool confirmed, const char *text);
	void *ctx;
	struct screen *parent;
};

static char *dup_or_null(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

static bool dialog_open(struct screen *s, void *arg)
{
	const struct screen_dialog_arg *a = arg;
	struct dialog *d = calloc(1, sizeof *d);
	if (!d)
		abort();
	d->kind = a->kind;
	d->title = dup_or_null(a->title);
	d->question = dup_or_null(a->question);
	d->done = a->done;
	d->ctx = a->ctx;
	d->parent = tui_top(s->tui); /* not pushed yet: the top is the parent */
	d->buttons.labels = dialog_labels;
	d->buttons.n = 2;
	if (d->kind != DIALOG_CONFIRM) {
		widget_field_init(&d->field, 0, d->kind == DIALOG_SECRET);
		if (d->kind == DIALOG_INPUT && a->initial)
			widget_field_set(&d->field, a->initial);
		d->on_field = true;
	}
	s->priv = d;
	return true;
}

static void dialog_draw(struct screen *s)
{
	struct dialog *d = s->priv;
	struct tui *t = s->tui;
	int rows = getmaxy(s->win) - 1, cols = getmaxx(s->win);
	int width = cols - 8 < 70 ? cols - 8 : 70;
	int inner = width - 4;
	int qrows = d->question ? widget_wrap_rows(t, d->question, inner) : 0;
	if (qrows > 8)
		qrows = 8;
	int height = 2 + qrows + 1 + (d->kind != DIALOG_CONFIRM ? 2 : 0) + 1 + 1;
	int y = (rows - height) / 2, x = (cols - width) / 2;
	widget_box(t, s->win, y, x, height, width, d->title);
	int row = y + 1;
	if (d->question)
		row += widget_wrap(t, s->win, row + 1, x + 2, qrows, inner, d->question, A_NORMAL,
		                   false);
	row += 2;
	if (d->kind != DIALOG_CONFIRM) {
		widget_field_draw(&d->field, t, s->win, row, x + 2, inner, d->on_field);
		row += 2;
	}
	widget_buttons_draw(&d->buttons, t, s->win, row, x + 2, inner, !d->on_field);
}

static int dialog_finish(struct screen *s, bool confirmed)
{
	struct dialog *d = s->priv;
	int flags = 0;
	struct secret *text = NULL;
	if (confirmed && d->kind != DIALOG_CONFIRM)
		text = widget_field_take(&d->field);
	if (d->done)
		flags = d->done(d->ctx, confirmed, text ? (const char *)text->buf : NULL);
	secret_free(text);
	if (d->kind != DIALOG_CONFIRM)
		widget_field_clear(&d->field);
	/* done's flags are meant for the parent (POP closes it too). */
	tui_apply(s->tui, d->parent, flags & ~TUI_HANDLED);
	return TUI_HANDLED | TUI_POP | TUI_REDRAW;
}

static int dialog_key(struct screen *s, int ch, bool is_char)
{
	struct dialog *d = s->priv;
	if (is_char && ch == TUI_KEY_ESC)
		return dialog_finish(s, false);
	if (d->on_field) {
		if (tui_key_is_enter(ch, is_char))
			return dialog_finish(s, true);
		if ((is_char && ch == '\t') || (!is_char && ch == KEY_DOWN)) {
			d->on_field = false;
			d->buttons.focus = 0;
			return TUI_HANDLED | TUI_REDRAW;
		}
		int f = widget_field_key(&d->field, ch, is_char);
		/* Everything typed is the field's: "q" and "?" are text here. */
		return f ? f : TUI_HANDLED;
	}
	if (d->kind != DIALOG_CONFIRM &&
	    ((is_char && ch == '\t' && d->buttons.focus == d->buttons.n - 1) ||
	     (!is_char && (ch == KEY_UP || (ch == KEY_BTAB && d->buttons.focus == 0))))) {
		d->on_field = true;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (d->kind == DIALOG_CONFIRM && is_char && (ch == 'y' || ch == 'Y'))
		return dialog_finish(s, true);
	if (d->kind == DIALOG_CONFIRM && is_char && (ch == 'n' || ch == 'N'))
		return dialog_finish(s, false);
	int pressed;
	int f = widget_buttons_key(&d->buttons, ch, is_char, &pressed);
	if (pressed >= 0)
		return dialog_finish(s, pressed == 0);
	/* A modal: keys it does not use go nowhere (but "?" still helps). */
	if (!f && is_char && ch == '?')
		return 0;
	return f ? f : TUI_HANDLED;
}

static void dialog_close(struct screen *s)
{
	struct dialog *d = s->priv;
	if (!d)
		return;
	if (d->kind != DIALOG_CONFIRM)
		widget_field_free(&d->field);
	free(d->title);
	free(d->question);
	free(d);
	s->priv = NULL;
}

static const struct tui_key dialog_keys[] = {
	{"Enter", N_("confirm")},
	{"Tab", N_("next field or button")},
	{"Esc", N_("cancel")},
	{NULL, NULL},
};

const struct screen_ops screen_dialog = {
	.name = "dialog",
	.open = dialog_open,
	.draw = dialog_draw,
	.key = dialog_key,
	.close = dialog_close,
	.keys = dialog_keys,
};

/* ------------------------------------------------- the passphrase modal */

#define PASSPHRASE_MIN 8

/* Read the passphrase file like the command line does (cli_passphrase):
 * a trailing newline is an editor's, not part of the passphrase. */
static enum aiauth_status passphrase_from_file(struct tui *t, const char *path,
                                               struct secret **out, struct aiauth_error **err)
{
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		tui_status(t, _("%s can be read by other users; make it mode 0600"), path);
	struct secret *pass = NULL;
	enum aiauth_status s = fs_read_secret(path, 4096, &pass, err);
	if (s != AIAUTH_OK) {
		error_prefix(err, "%s", _("passphrase file: "));
		return s == AIAUTH_NOT_FOUND ? AIAUTH_BACKEND : s;
	}
	while (pass->len && (pass->buf[pass->len - 1] == '\n' || pass->buf[pass->len - 1] == '\r'))
		pass->buf[--pass->len] = '\0';
	if (pass->len == 0) {
		secret_free(pass);
		return error_set(err, AIAUTH_BACKEND, _("the passphrase file %s is empty"), path);
	}
	*out = pass;
	return AIAUTH_OK;
}

static void modal_draw(struct tui *t, const char *intro, const char *prompt, const char *problem,
                       struct widget_field *f)
{
	int rows = LINES, cols = COLS;
	int width = cols - 4 < 70 ? cols - 4 : 70;
	int inner = width - 4;
	int height = 11;
	int y = (rows - height) / 2, x = (cols - width) / 2;
	if (y < 0)
		y = 0;
	if (x < 0)
		x = 0;
	widget_box(t, stdscr, y, x, height, width, _("Encrypted secret file"));
	widget_wrap(t, stdscr, y + 1, x + 2, 2, inner, intro, A_NORMAL, false);
	widget_text(t, stdscr, y + 4, x + 2, inner, prompt, A_BOLD);
	widget_text(t, stdscr, y + 7, x + 2, inner, problem ? problem : "", tui_attr(t, TUI_ERROR));
	widget_text(t, stdscr, y + 9, x + 2, inner,
	            _("Enter: continue   Esc: cancel   Ctrl-R: show or hide"), tui_attr(t, TUI_DIM));
	/* Last, so that it places the cursor. */
	widget_field_draw(f, t, stdscr, y + 5, x + 2, inner, true);
}

/* One masked line: Enter gives it (untrimmed: spaces may belong to a
 * passphrase), Esc or a quit signal gives NULL. */
static struct secret *modal_read(struct tui *t, const char *intro, const char *prompt,
                                 const char *problem)
{
	struct widget_field f;
	struct secret *out = NULL;
	widget_field_init(&f, 1024, true);
	bool redraw = true;
	for (;;) {
		if (redraw) {
			/* The modal draws over an erased screen: the screens' hooks
			 * cannot be called from inside one of them. */
			werase(stdscr);
			modal_draw(t, intro, prompt, problem, &f);
			tui_place_cursor(t);
			wnoutrefresh(stdscr);
			doupdate();
			redraw = false;
		}
		if (tui_interrupted(t))
			break;
		wint_t wc;
		int ch;
		bool is_char;
		int r = wget_wch(stdscr, &wc);
		if (!tui_translate_key(t, r, wc, &ch, &is_char))
			continue;
		if (!is_char && ch == KEY_RESIZE) {
			clearok(curscr, TRUE);
			redraw = true;
		} else if (is_char && ch == TUI_KEY_ESC && !tui_pasting(t)) {
			break;
		} else if (tui_key_is_enter(ch, is_char)) {
			out = secret_from_mem(f.text->buf, f.text->len);
			if (!out)
				abort();
			break;
		} else if (widget_field_key(&f, ch, is_char)) {
			redraw = true;
		}
	}
	widget_field_free(&f);
	return out;
}

enum aiauth_status tui_ask_passphrase(void *tui, bool creating, struct secret **out,
                                      struct aiauth_error **err)
{
	struct tui *t = tui;
	const char *file = tui_passphrase_file(t);
	if (file)
		return passphrase_from_file(t, file, out, err);

	if (!stdscr || isendwin())
		return error_set(err, AIAUTH_BACKEND, "%s",
		                 _("the encrypted secret file needs a passphrase and the screens "
		                   "are not running to ask for it: use --passphrase-file"));
	const char *intro =
		creating ? _("No keyring is available, so aiauth keeps secrets in an encrypted file. "
	                 "Choose a passphrase for it.")
	                 : _("Your secrets are kept in an encrypted file.");
	const char *problem = NULL;
	enum aiauth_status status = AIAUTH_CANCELLED;
	/* Blocking reads, polled so that Ctrl-C (a signal) is still noticed. */
	nodelay(stdscr, FALSE);
	wtimeout(stdscr, 200);
	for (;;) {
		struct secret *first = modal_read(
			t, intro,
			creating ? _("New passphrase (at least 8 characters):")
			         : _("Passphrase for the encrypted secret file:"),
			problem);
		if (!first)
			break;
		if (!creating) {
			*out = first;
			status = AIAUTH_OK;
			break;
		}
		size_t chars = 0;
		for (size_t i = 0; i < first->len; i++)
			chars += (first->buf[i] & 0xc0) != 0x80;
		if (chars < PASSPHRASE_MIN) {
			secret_free(first);
			problem = _("The passphrase must have at least 8 characters.");
			continue;
		}
		struct secret *again = modal_read(t, intro, _("The same passphrase again:"), NULL);
		if (!again) {
			secret_free(first);
			break;
		}
		bool same = secret_equal(first, again);
		secret_free(again);
		if (!same) {
			secret_free(first);
			problem = _("The two passphrases differ; try again.");
			continue;
		}
		*out = first;
		status = AIAUTH_OK;
		break;
	}
	wtimeout(stdscr, 0);
	nodelay(stdscr, TRUE);
	curs_set(0);
	tui_touch(t);
	if (status != AIAUTH_OK)
		return error_set(err, AIAUTH_CANCELLED, "%s", _("no passphrase was given"));
	return AIAUTH_OK;
}
