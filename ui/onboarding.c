/* onboarding.c - drawing helpers, the one-line input and the method
 * dispatch shared by the first-run screens (see onboarding.h). */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "i18n.h"
#include "onboarding.h"
#include "screens.h"
#include "secret.h"

int ob_body_rows(WINDOW *win)
{
	int rows = getmaxy(win) - 1;
	return rows > 0 ? rows : 0;
}

/* Decode one UTF-8 character of `s`; returns its length in bytes (0 at the
 * end) and the character in *wc (U+FFFD for a bad sequence, 1 byte). */
static size_t decode(const char *s, wchar_t *wc)
{
	if (!*s)
		return 0;
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t n = mbrtowc(wc, s, strlen(s), &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*wc = L'?';
		return 1;
	}
	return n;
}

static int char_width(wchar_t wc)
{
	int w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

int ob_width(const char *text)
{
	int w = 0;
	wchar_t wc;
	size_t n;
	while ((n = decode(text, &wc)) != 0) {
		w += char_width(wc);
		text += n;
	}
	return w;
}

int ob_put(WINDOW *win, int y, int x, int width, attr_t attr, const char *text)
{
	int used = 0;
	wchar_t wc;
	size_t n;
	if (width <= 0 || !text)
		return 0;
	wattr_on(win, attr, NULL);
	wmove(win, y, x);
	while ((n = decode(text, &wc)) != 0) {
		int cw = char_width(wc);
		if (used + cw > width)
			break;
		if (wc < 0x20)
			wc = L' ';
		waddnwstr(win, &wc, 1);
		used += cw;
		text += n;
	}
	wattr_off(win, attr, NULL);
	return used;
}

int ob_wrap(WINDOW *win, int y, int x, int width, int max_rows, attr_t attr, const char *text)
{
	int rows = 0;
	const char *p = text;
	while (*p && rows < max_rows) {
		while (*p == ' ')
			p++;
		/* Take words while they fit; a word longer than the line is cut. */
		const char *end = p, *q = p;
		int w = 0;
		wchar_t wc;
		size_t n;
		while ((n = decode(q, &wc)) != 0 && wc != L'\n') {
			int cw = char_width(wc);
			if (w + cw > width)
				break;
			w += cw;
			q += n;
			if (*q == ' ' || *q == '\n' || !*q)
				end = q;
		}
		if (!n || wc == L'\n')
			end = q;
		else if (end == p)
			end = q; /* one long word */
		char *line = strndup(p, (size_t)(end - p));
		if (!line)
			abort();
		ob_put(win, y + rows, x, width, attr, line);
		free(line);
		rows++;
		p = end;
		if (*p == '\n')
			p++;
	}
	return rows;
}

int ob_title(struct tui *t, WINDOW *win, const char *title)
{
	int cols = getmaxx(win);
	ob_put(win, 0, 2, cols - 4, tui_attr(t, TUI_TITLE), title);
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
		attr_t a = i == focus ? tui_attr(t, TUI_SELECTED) : tui_attr(t, TUI_NORMAL);
		x += ob_put(win, y, x, cols - 1 - x, a, "[ ");
		x += ob_put(win, y, x, cols - 1 - x, a, labels[i]);
		x += ob_put(win, y, x, cols - 1 - x, a, " ]");
		x += 2;
	}
}

bool ob_is_enter(int ch, bool is_char)
{
	return is_char ? ch == '\n' || ch == '\r' : ch == KEY_ENTER;
}

bool ob_is_backspace(int ch, bool is_char)
{
	return is_char ? ch == 127 || ch == 8 : ch == KEY_BACKSPACE;
}

bool ob_is_esc(int ch, bool is_char)
{
	return is_char && ch == 27;
}

/* ----------------------------------------------------------- the field */

bool ob_field_init(struct ob_field *f, bool is_secret, const char *initial)
{
	memset(f, 0, sizeof(*f));
	f->is_secret = is_secret;
	if (is_secret) {
		f->sec = secret_new(128);
		return f->sec != NULL;
	}
	f->text = strdup(initial ? initial : "");
	if (!f->text)
		return false;
	f->len = strlen(f->text);
	f->cap = f->len + 1;
	return true;
}

void ob_field_free(struct ob_field *f)
{
	SECRET_FREE(f->sec);
	free(f->text);
	f->text = NULL;
	f->len = f->cap = 0;
	f->revealed = false;
}

static bool field_append(struct ob_field *f, const char *bytes, size_t n)
{
	if (f->is_secret)
		return secret_append(f->sec, bytes, n) == AIAUTH_OK;
	if (f->len + n + 1 > f->cap) {
		size_t cap = (f->len + n + 1) * 2;
		char *p = realloc(f->text, cap);
		if (!p)
			abort(); /* ui/ may abort on OOM (STYLE 9) */
		f->text = p;
		f->cap = cap;
	}
	memcpy(f->text + f->len, bytes, n);
	f->len += n;
	f->text[f->len] = '\0';
	return true;
}

/* Drop the last UTF-8 character. */
static void field_backspace(struct ob_field *f)
{
	unsigned char *buf = f->is_secret ? f->sec->buf : (unsigned char *)f->text;
	size_t *len = f->is_secret ? &f->sec->len : &f->len;
	if (!*len)
		return;
	size_t n = *len - 1;
	while (n > 0 && (buf[n] & 0xC0) == 0x80)
		n--;
	secure_wipe(buf + n, *len - n);
	*len = n;
	buf[n] = '\0';
}

static void field_clear(struct ob_field *f)
{
	unsigned char *buf = f->is_secret ? f->sec->buf : (unsigned char *)f->text;
	size_t *len = f->is_secret ? &f->sec->len : &f->len;
	secure_wipe(buf, *len);
	*len = 0;
	buf[0] = '\0';
}

bool ob_field_key(struct ob_field *f, int ch, bool is_char)
{
	if (ob_is_backspace(ch, is_char)) {
		field_backspace(f);
		return true;
	}
	if (!is_char)
		return false;
	if (ch == OB_CTRL('u')) {
		field_clear(f);
		return true;
	}
	if (ch == OB_CTRL('w') && !f->is_secret) {
		while (f->len && f->text[f->len - 1] == ' ')
			field_backspace(f);
		while (f->len && f->text[f->len - 1] != ' ')
			field_backspace(f);
		return true;
	}
	if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xa0))
		return false;
	char mb[MB_LEN_MAX];
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t n = wcrtomb(mb, (wchar_t)ch, &st);
	if (n == (size_t)-1)
		return true; /* not representable in this locale: swallowed */
	bool ok = field_append(f, mb, n);
	secure_wipe(mb, sizeof(mb));
	if (!ok)
		abort();
	return true;
}

const char *ob_field_text(const struct ob_field *f)
{
	if (f->is_secret)
		return "";
	return f->text ? f->text : "";
}

size_t ob_field_chars(const struct ob_field *f)
{
	const unsigned char *buf = f->is_secret ? f->sec->buf : (const unsigned char *)f->text;
	size_t len = f->is_secret ? f->sec->len : f->len, n = 0;
	for (size_t i = 0; i < len; i++)
		if ((buf[i] & 0xC0) != 0x80)
			n++;
	return n;
}

struct secret *ob_field_secret_trimmed(const struct ob_field *f)
{
	struct secret *s = f->is_secret ? secret_from_mem(f->sec->buf, f->sec->len)
	                                 : secret_from_str(ob_field_text(f));
	if (s)
		secret_trim(s);
	return s;
}

void ob_field_draw(struct tui *t, WINDOW *win, int y, int x, int width,
                   const struct ob_field *f, bool focused)
{
	attr_t a = focused ? tui_attr(t, TUI_ACCENT) : tui_attr(t, TUI_NORMAL);
	wattr_on(win, a | A_UNDERLINE, NULL);
	mvwhline(win, y, x, ' ', width);
	wattr_off(win, a | A_UNDERLINE, NULL);
	int used;
	if (f->is_secret && !f->revealed) {
		/* Bullets only: the characters themselves never reach the
		 * terminal.  A key longer than the box shows its last bullets. */
		size_t n = ob_field_chars(f);
		int shown = (int)n < width - 1 ? (int)n : width - 1;
		const char *bullet = tui_glyphs(t)->bullet;
		wmove(win, y, x);
		wattr_on(win, a | A_UNDERLINE, NULL);
		for (int i = 0; i < shown; i++)
			waddstr(win, bullet);
		wattr_off(win, a | A_UNDERLINE, NULL);
		used = shown;
	} else {
		const char *text = f->is_secret ? (const char *)f->sec->buf : f->text;
		/* The tail of a text longer than the box. */
		while (ob_width(text) > width - 1) {
			wchar_t wc;
			text += decode(text, &wc);
		}
		used = ob_put(win, y, x, width - 1, a | A_UNDERLINE, text);
	}
	if (focused)
		wmove(win, y, x + used);
}

/* ----------------------------------------------------------- the flow */

int ob_methods(const struct provider *p, unsigned out[4])
{
	static const unsigned order[] = {AUTH_METHOD_BROWSER, AUTH_METHOD_DEVICE,
	                                 AUTH_METHOD_API_KEY, AUTH_METHOD_NONE};
	int n = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
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
