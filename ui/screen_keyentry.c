/* screen_keyentry.c - connect a provider with an API key (SPEC §2, §7.4).
 *
 * One masked field per credential field of the provider (most have one,
 * "api_key"; Bedrock has two), a label, and the custom endpoint: base URL,
 * API version where the provider has one, region where it has one.  The
 * secret fields live in struct secret buffers (onboarding.h) and are drawn
 * as bullets; Ctrl-R or F2 shows the focused one in clear until the focus
 * leaves it.  Everything secret is wiped when the screen closes.
 *
 * [Test] starts a probe on the loop with what was typed and shows the
 * outcome in words when it finishes (Esc stops it); [Save] makes the
 * credential blob and adds the account through the session, then shows
 * "connected". */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "i18n.h"
#include "onboarding.h"
#include "widgets.h"
#include "probe.h"
#include "screens.h"
#include "secret.h"
#include "session.h"

enum field_kind { F_SECRET, F_LABEL, F_BASE_URL, F_API_VERSION, F_REGION };

struct entry_field {
	enum field_kind kind;
	size_t cred_index; /* F_SECRET: index in provider->fields */
	struct widget_field f;
};

enum { BTN_TEST, BTN_SAVE, BTN_CANCEL, N_BUTTONS };

enum test_state { TEST_NONE, TEST_RUNNING, TEST_DONE, TEST_CANCELLED, TEST_REFUSED };

struct keyentry {
	struct tui *t;
	const struct provider *p;
	struct entry_field *fields;
	size_t n_fields;
	size_t focus; /* 0..n_fields-1: a field; then the buttons */

	struct probe *probe;
	enum test_state test;
	unsigned spin;
	enum probe_outcome outcome;
	long http_status;
	size_t n_models;
	char *detail; /* the probe's detail line, or why the test could not start */
};

static const struct tui_key keyentry_keys[] = {
	{"Tab", N_("next field")},
	{"Ctrl-R", N_("show/hide the key")},
	{"Enter", N_("next / press button")},
	{"Esc", N_("stop the test, else cancel")},
	{NULL, NULL},
};

static bool focus_on_button(const struct keyentry *k, int button)
{
	return k->focus == k->n_fields + (size_t)button;
}

static struct entry_field *focused_field(struct keyentry *k)
{
	return k->focus < k->n_fields ? &k->fields[k->focus] : NULL;
}

static struct entry_field *field_of(struct keyentry *k, enum field_kind kind)
{
	for (size_t i = 0; i < k->n_fields; i++)
		if (k->fields[i].kind == kind)
			return &k->fields[i];
	return NULL;
}

/* A trimmed copy of a field's text (the field keeps its own), for the
 * probe and the credential: pasted keys carry spaces or line breaks. */
static struct secret *field_trimmed(const struct widget_field *f)
{
	struct secret *s = secret_from_mem(f->text->buf, f->text->len);
	if (!s)
		abort();
	secret_trim(s);
	return s;
}

static bool has_api_version(const struct provider *p)
{
	return p->api_version_env || p->default_api_version;
}

static bool keyentry_open(struct screen *s, void *arg)
{
	const struct provider *p = arg;
	if (!p || p->n_fields == 0) {
		tui_status(s->tui, _("%s has no key fields configured"), p ? _(p->name) : "?");
		return false;
	}
	struct keyentry *k = calloc(1, sizeof(*k));
	size_t max = p->n_fields + 4;
	if (!k || !(k->fields = calloc(max, sizeof(*k->fields))))
		abort();
	k->t = s->tui;
	k->p = p;
	for (size_t i = 0; i < p->n_fields; i++) {
		k->fields[k->n_fields].kind = F_SECRET;
		k->fields[k->n_fields].cred_index = i;
		widget_field_init(&k->fields[k->n_fields++].f, 0, true);
	}
	enum field_kind plain[] = {F_LABEL, F_BASE_URL, F_API_VERSION, F_REGION};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (plain[i] == F_API_VERSION && !has_api_version(p))
			continue;
		if (plain[i] == F_REGION && !p->region_env)
			continue;
		k->fields[k->n_fields].kind = plain[i];
		const char *initial = plain[i] == F_API_VERSION ? p->default_api_version : NULL;
		struct widget_field *f = &k->fields[k->n_fields++].f;
		widget_field_init(f, 0, false);
		if (initial)
			widget_field_set(f, initial);
	}
	s->priv = k;
	return true;
}

static void test_forget(struct keyentry *k)
{
	if (k->probe)
		probe_cancel(k->probe);
	k->probe = NULL;
	free(k->detail);
	k->detail = NULL;
	k->test = TEST_NONE;
}

static void keyentry_close(struct screen *s)
{
	struct keyentry *k = s->priv;
	if (!k)
		return;
	test_forget(k);
	for (size_t i = 0; i < k->n_fields; i++)
		widget_field_free(&k->fields[i].f);
	free(k->fields);
	free(k);
	s->priv = NULL;
}

/* --------------------------------------------------------------- draw */

static const char *field_prompt(const struct keyentry *k, const struct entry_field *e)
{
	switch (e->kind) {
	case F_SECRET:
		return _(k->p->fields[e->cred_index].prompt);
	case F_LABEL:
		return _("Label");
	case F_BASE_URL:
		return _("Base URL");
	case F_API_VERSION:
		return _("API version");
	case F_REGION:
		return _("Region");
	}
	return "";
}

/* The note to the right of / under a field. */
static const char *field_note(const struct keyentry *k, const struct entry_field *e)
{
	switch (e->kind) {
	case F_LABEL:
		return _("optional; the default is the provider and today's date");
	case F_BASE_URL:
		if (k->p->needs_base_url)
			return _("required: your endpoint's address");
		return NULL;
	case F_REGION:
		return _("e.g. us-east-1");
	default:
		return NULL;
	}
}

/* Does the first key field look like this provider's keys? */
static bool key_format_ok(const struct keyentry *k)
{
	const char *prefix = k->p->key_prefix;
	const struct widget_field *f = &k->fields[0].f;
	if (!prefix || f->text->len == 0)
		return true;
	const unsigned char *b = f->text->buf;
	size_t i = 0, len = f->text->len, plen = strlen(prefix);
	while (i < len && (b[i] == ' ' || b[i] == '\t'))
		i++; /* the key is trimmed when used */
	return len - i >= plen && memcmp(b + i, prefix, plen) == 0;
}

static void draw_test(struct keyentry *k, WINDOW *win, int y, int width)
{
	struct tui *t = k->t;
	const struct tui_glyphs *g = tui_glyphs(t);
	char line[1024];
	attr_t a = tui_attr(t, TUI_NORMAL);
	const char *mark = "";
	switch (k->test) {
	case TEST_NONE:
		return;
	case TEST_RUNNING:
		snprintf(line, sizeof(line), _("Testing the key against %s%s (Esc stops)"),
		         _(k->p->name), g->ellipsis);
		mark = g->spinner[k->spin % 4];
		break;
	case TEST_CANCELLED:
		snprintf(line, sizeof(line), "%s", _("Test stopped."));
		a = tui_attr(t, TUI_DIM);
		break;
	case TEST_REFUSED:
		snprintf(line, sizeof(line), _("Cannot test: %s"), k->detail ? k->detail : "");
		a = tui_attr(t, TUI_ERROR);
		mark = g->cross;
		break;
	case TEST_DONE: {
		const char *d = k->detail;
		mark = g->cross;
		a = tui_attr(t, TUI_ERROR);
		switch (k->outcome) {
		case PROBE_VALID:
			snprintf(line, sizeof(line), _("valid, %zu models"), k->n_models);
			mark = g->check;
			a = tui_attr(t, TUI_OK);
			break;
		case PROBE_INVALID_KEY:
			snprintf(line, sizeof(line), _("invalid key (HTTP %ld%s%s)"), k->http_status,
			         d ? ": " : "", d ? d : "");
			break;
		case PROBE_UNREACHABLE:
			snprintf(line, sizeof(line), _("unreachable (%s)"), d ? d : _("no answer"));
			break;
		case PROBE_TLS:
			snprintf(line, sizeof(line), _("TLS error (%s)"),
			         d ? d : _("the certificate was refused"));
			break;
		case PROBE_TIMEOUT:
			snprintf(line, sizeof(line), _("timed out (%s)"), d ? d : _("no answer in time"));
			break;
		case PROBE_SERVER_ERROR:
			snprintf(line, sizeof(line), _("the server answered with an error (HTTP %ld%s%s)"),
			         k->http_status, d ? ": " : "", d ? d : "");
			break;
		case PROBE_BAD_RESPONSE:
			snprintf(line, sizeof(line), _("the answer is not a model list (%s)"),
			         d ? d : _("unexpected content"));
			break;
		case PROBE_UNSUPPORTED:
			snprintf(line, sizeof(line),
			         _("cannot be tested: aiauth knows no model-list endpoint for %s; "
			           "you can still save it"),
			         _(k->p->name));
			a = tui_attr(t, TUI_WARN);
			mark = "";
			break;
		}
		break;
	}
	}
	int x = 2;
	if (*mark) {
		widget_text(t, win, y, x, 2, mark, a);
		x += 2;
	}
	widget_wrap(t, win, y, x, 2, width - x, line, a, false);
}

static void keyentry_draw(struct screen *s)
{
	struct keyentry *k = s->priv;
	struct tui *t = s->tui;
	WINDOW *win = s->win;
	int cols = getmaxx(win), rows = ob_body_rows(win);
	char title[256];
	werase(win);
	snprintf(title, sizeof(title), _("Connect %s with an API key"), _(k->p->name));
	int y = ob_title(t, win, title);
	if (k->p->description)
		y += widget_wrap(t, win, y, 2, 2, cols - 4, _(k->p->description), tui_attr(t, TUI_DIM), false);
	y++;

	const int px = 2, fx = 20, fw = cols - fx - 3 < 56 ? cols - fx - 3 : 56;
	bool endpoint_heading = false;
	for (size_t i = 0; i < k->n_fields && y < rows - 5; i++) {
		struct entry_field *e = &k->fields[i];
		bool focused = k->focus == i;
		if (e->kind == F_BASE_URL && !endpoint_heading) {
			y++;
			widget_text(t, win, y++, px, cols - 4, k->p->needs_base_url ? _("Endpoint") : _("Custom endpoint (optional)"), tui_attr(t, TUI_TITLE));
			endpoint_heading = true;
		}
		widget_text(t, win, y, px, fx - px - 1, field_prompt(k, e), focused ? tui_attr(t, TUI_SELECTED) : tui_attr(t, TUI_NORMAL));
		widget_field_draw(&e->f, t, win, y, fx, fw, focused);
		if (e->kind == F_BASE_URL && e->f.text->len == 0 && !focused && k->p->base_url)
			widget_text(t, win, y, fx, fw - 1, k->p->base_url, tui_attr(t, TUI_DIM) | A_UNDERLINE);
		y++;
		/* A line under the field: the key's length and format hint, or a
		 * note about the field. */
		if (e->kind == F_SECRET) {
			size_t n = widget_field_chars(&e->f);
			char note[512];
			if (e->cred_index == 0 && !key_format_ok(k)) {
				snprintf(note, sizeof(note),
				         _("This does not look like a key for %s (they start with \"%s\"); "
				           "you can still save it."),
				         _(k->p->name), k->p->key_prefix);
				y += widget_wrap(t, win, y, fx, 2, cols - fx - 2, note, tui_attr(t, TUI_WARN),
				                 false) - 1;
			} else if (n) {
				snprintf(note, sizeof(note), ngettext("%zu character%s", "%zu characters%s", n),
				         n, e->f.shown ? "" : _(", hidden"));
				widget_text(t, win, y, fx, cols - fx - 2, note, tui_attr(t, TUI_DIM));
			} else if (focused) {
				widget_text(t, win, y, fx, cols - fx - 2, _("type or paste it; it shows as bullets (Ctrl-R shows it)"), tui_attr(t, TUI_DIM));
			}
			y++;
		} else if (field_note(k, e) && focused) {
			widget_text(t, win, y, fx, cols - fx - 2, field_note(k, e), tui_attr(t, TUI_DIM));
			y++;
		} else if (field_note(k, e)) {
			y++;
		}
	}
	y++;
	const char *labels[N_BUTTONS] = {_("Test"), _("Save"), _("Cancel")};
	int focus = k->focus >= k->n_fields ? (int)(k->focus - k->n_fields) : -1;
	ob_buttons(t, win, y, px, labels, N_BUTTONS, focus);
	y += 2;
	draw_test(k, win, y, cols - 2);
}

/* --------------------------------------------------------------- test */

static void test_done(void *ctx, const struct probe_result *r)
{
	struct keyentry *k = ctx;
	k->probe = NULL; /* the probe frees itself after this call */
	k->test = TEST_DONE;
	k->outcome = r->outcome;
	k->http_status = r->http_status;
	k->n_models = r->n_models;
	free(k->detail);
	k->detail = r->detail ? strdup(r->detail) : NULL;
	tui_request_redraw(k->t);
}

/* The typed base URL normalised into *url (NULL when empty); false with
 * the reason in *why (caller frees) when it is refused. */
static bool typed_base_url(struct keyentry *k, char **url, char **why)
{
	*url = NULL;
	*why = NULL;
	struct entry_field *e = field_of(k, F_BASE_URL);
	const char *text = e ? widget_field_text(&e->f) : "";
	while (*text == ' ')
		text++;
	if (!*text) {
		if (k->p->needs_base_url) {
			*why = strdup(_("enter the endpoint's base URL first"));
			return false;
		}
		return true;
	}
	struct aiauth_error *err = NULL;
	if (registry_normalize_base_url(text, url, &err) != AIAUTH_OK) {
		*why = strdup(err ? err->message : _("the base URL is not valid"));
		error_clear(&err);
		return false;
	}
	return true;
}

static const char *typed_text(struct keyentry *k, enum field_kind kind)
{
	struct entry_field *e = field_of(k, kind);
	const char *text = e ? widget_field_text(&e->f) : "";
	while (*text == ' ')
		text++;
	return *text ? text : NULL;
}

static void test_start(struct keyentry *k)
{
	test_forget(k);
	char *url = NULL, *why = NULL;
	if (!typed_base_url(k, &url, &why)) {
		k->test = TEST_REFUSED;
		k->detail = why;
		return;
	}
	struct secret *key = NULL;
	if (k->p->n_fields == 1) {
		key = field_trimmed(&k->fields[0].f);
		if (!key)
			abort();
		if (key->len == 0) {
			k->test = TEST_REFUSED;
			k->detail = strdup(_("type or paste the key first"));
			secret_free(key);
			free(url);
			return;
		}
	}
	struct probe_target target = {
		.provider = k->p,
		.base_url = url,
		.api_version = typed_text(k, F_API_VERSION),
		.credential = key, /* copied by probe_start */
	};
	struct aiauth_error *err = NULL;
	k->probe = probe_start(tui_loop(k->t), &target, test_done, k, &err);
	secret_free(key);
	free(url);
	if (!k->probe) {
		k->test = TEST_REFUSED;
		k->detail = strdup(err ? err->message : _("the test could not start"));
		error_clear(&err);
		return;
	}
	k->test = TEST_RUNNING;
	k->spin = 0;
}

/* --------------------------------------------------------------- save */

static int save(struct keyentry *k)
{
	struct tui *t = k->t;
	struct credential *cred = NULL;
	struct secret *blob = NULL;
	struct aiauth_error *err = NULL;
	char *url = NULL, *why = NULL, *label = NULL;
	int flags = TUI_HANDLED | TUI_REDRAW;

	for (size_t i = 0; i < k->n_fields; i++) {
		struct entry_field *e = &k->fields[i];
		if (e->kind != F_SECRET)
			continue;
		struct secret *v = field_trimmed(&e->f);
		if (!v)
			abort();
		if (v->len == 0) {
			tui_status(t, _("The %s is empty: type or paste it first."),
			           _(k->p->fields[e->cred_index].prompt));
			k->focus = i;
			secret_free(v);
			goto out;
		}
		if (!cred && !(cred = credential_new()))
			abort();
		if (credential_take(cred, k->p->fields[e->cred_index].name, v) != AIAUTH_OK)
			abort();
	}
	if (!typed_base_url(k, &url, &why)) {
		tui_status(t, "%s", why);
		struct entry_field *e = field_of(k, F_BASE_URL);
		k->focus = (size_t)(e - k->fields);
		goto out;
	}
	if (credential_to_blob(cred, &blob, &err) != AIAUTH_OK) {
		tui_status(t, "%s", err->message);
		goto out;
	}
	struct account tmpl = {
		.provider = k->p->id,
		.kind = ACCOUNT_API_KEY,
		.method = "api_key",
		.label = (char *)typed_text(k, F_LABEL),
		.base_url = url,
		.api_version = (char *)typed_text(k, F_API_VERSION),
		.region = (char *)typed_text(k, F_REGION),
	};
	/* The API version is only worth recording with a custom endpoint or
	 * when the user changed it: otherwise the provider's default applies. */
	if (tmpl.api_version && !url && !k->p->needs_base_url && k->p->default_api_version &&
	    strcmp(tmpl.api_version, k->p->default_api_version) == 0)
		tmpl.api_version = NULL;
	if (session_add_account(tui_session(t), k->p, &tmpl, blob, &label, NULL, &err) !=
	    AIAUTH_OK) {
		tui_status(t, _("Not saved: %s"), err ? err->message : _("failed"));
		goto out;
	}
	tui_status(t, NULL);
	/* Wipe now rather than at the end of the wake-up, when the reset
	 * below closes this screen. */
	for (size_t i = 0; i < k->n_fields; i++)
		widget_field_clear(&k->fields[i].f);
	flags = ob_show_connected(t, k->p, label, NULL, false);
out:
	credential_free(cred);
	secret_free(blob);
	error_clear(&err);
	free(url);
	free(why);
	free(label);
	return flags;
}

/* ---------------------------------------------------------------- keys */

static void move_focus(struct keyentry *k, int delta)
{
	struct entry_field *e = focused_field(k);
	if (e)
		e->f.shown = false; /* a shown key hides again when left */
	size_t n = k->n_fields + N_BUTTONS;
	k->focus = (k->focus + n + (size_t)(delta < 0 ? n - 1 : 1)) % n;
}

static int keyentry_key(struct screen *s, int ch, bool is_char)
{
	struct keyentry *k = s->priv;
	const int done = TUI_HANDLED | TUI_REDRAW;

	if (is_char && ch == TUI_KEY_ESC) {
		if (k->test == TEST_RUNNING) {
			probe_cancel(k->probe);
			k->probe = NULL;
			k->test = TEST_CANCELLED;
			return done;
		}
		return TUI_HANDLED | TUI_POP;
	}
	if ((is_char && ch == '\t') || (!is_char && ch == KEY_DOWN)) {
		move_focus(k, 1);
		return done;
	}
	if (!is_char && (ch == KEY_BTAB || ch == KEY_UP)) {
		move_focus(k, -1);
		return done;
	}
	if ((is_char && ch == ('r' & 0x1f)) || (!is_char && ch == KEY_F(2))) {
		struct entry_field *e = focused_field(k);
		if (e && e->kind == F_SECRET)
			e->f.shown = !e->f.shown;
		else
			tui_status(k->t, "%s", _("Move to the key field to show or hide it."));
		return done;
	}
	struct entry_field *e = focused_field(k);
	if (e) {
		if (tui_key_is_enter(ch, is_char)) {
			move_focus(k, 1);
			return done;
		}
		if (widget_field_key(&e->f, ch, is_char)) {
			/* What was tested is no longer what is typed. */
			if (k->test == TEST_DONE || k->test == TEST_REFUSED)
				test_forget(k);
			return done;
		}
		return is_char && ch >= 0x20 ? TUI_HANDLED : 0;
	}
	/* On the buttons. */
	if (!is_char && (ch == KEY_LEFT || ch == KEY_RIGHT)) {
		move_focus(k, ch == KEY_LEFT ? -1 : 1);
		if (k->focus < k->n_fields)
			k->focus = ch == KEY_LEFT ? k->n_fields + N_BUTTONS - 1 : k->n_fields;
		return done;
	}
	if (tui_key_is_enter(ch, is_char) || (is_char && ch == ' ')) {
		if (focus_on_button(k, BTN_TEST)) {
			test_start(k);
			return done;
		}
		if (focus_on_button(k, BTN_SAVE))
			return save(k);
		return TUI_HANDLED | TUI_POP;
	}
	return 0;
}

static int keyentry_tick(struct screen *s)
{
	struct keyentry *k = s->priv;
	if (k->test != TEST_RUNNING)
		return 0;
	k->spin++;
	return TUI_REDRAW;
}

const struct screen_ops screen_keyentry = {
	.name = "keyentry",
	.open = keyentry_open,
	.draw = keyentry_draw,
	.key = keyentry_key,
	.tick = keyentry_tick,
	.close = keyentry_close,
	.keys = keyentry_keys,
};
