/* widgets.c - text, boxes, key bars, text fields, lists and buttons
 * (widgets.h has the contract).
 *
 * Text is decoded from UTF-8 here rather than with mbrtowc(), so that the
 * same bytes give the same characters in every locale: in a non-UTF-8
 * locale anything outside ASCII is drawn as '?' instead of letting the
 * terminal show the bytes as mojibake. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "i18n.h"
#include "secret.h"
#include "tui.h"
#include "widgets.h"

#define CTRL(c) ((c) & 0x1f)

/* One character of UTF-8 at s (n bytes left): its code point in *cp and
 * its length.  A bad sequence is one byte of U+FFFD. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len > n)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = 0xfffd;
	return 1;
}

static size_t utf8_encode(unsigned cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* What to draw for a code point, and its width: control characters and,
 * outside UTF-8, anything not ASCII become '?'. */
static wchar_t shown_char(struct tui *t, unsigned cp, int *width)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
		*width = 1;
		return L'?';
	}
	if (cp < 0x80) {
		*width = 1;
		return (wchar_t)cp;
	}
	if (!tui_utf8(t)) {
		*width = 1;
		return L'?';
	}
	int w = wcwidth((wchar_t)cp);
	if (w < 0) {
		*width = 1;
		return L'?';
	}
	*width = w;
	return (wchar_t)cp;
}

/* Draw len bytes of text at (y, x) within w columns; returns columns. */
static int put_text(struct tui *t, WINDOW *win, int y, int x, int w, const char *text, size_t len,
                    attr_t attr)
{
	if (w <= 0 || !text)
		return 0;
	wchar_t buf[256];
	int used = 0;
	size_t nb = 0;
	const unsigned char *s = (const unsigned char *)text;
	wattr_set(win, attr, PAIR_NUMBER(attr), NULL);
	wmove(win, y, x);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		i += utf8_decode(s + i, len - i, &cp);
		int cw;
		wchar_t wc = shown_char(t, cp, &cw);
		if (cw == 0 && nb == 0)
			continue; /* a combining mark with nothing to combine with */
		if (used + cw > w)
			break;
		buf[nb++] = wc;
		used += cw;
		if (nb == sizeof buf / sizeof buf[0]) {
			waddnwstr(win, buf, (int)nb);
			nb = 0;
		}
	}
	if (nb)
		waddnwstr(win, buf, (int)nb);
	wattr_set(win, A_NORMAL, 0, NULL);
	return used;
}

int widget_width(struct tui *t, const char *text)
{
	int w = 0;
	size_t len = text ? strlen(text) : 0;
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		int cw;
		i += utf8_decode(s + i, len - i, &cp);
		shown_char(t, cp, &cw);
		w += cw;
	}
	return w;
}

int widget_text(struct tui *t, WINDOW *win, int y, int x, int w, const char *text, attr_t attr)
{
	return put_text(t, win, y, x, w, text, text ? strlen(text) : 0, attr);
}

void widget_center(struct tui *t, WINDOW *win, int y, const char *text, attr_t attr)
{
	int cols = getmaxx(win);
	int w = widget_width(t, text);
	int x = w >= cols ? 0 : (cols - w) / 2;
	widget_text(t, win, y, x, cols - x, text, attr);
}

/* The next line of at most w columns from text[*pos]: breaks after a space
 * when it can; a word longer than w is cut.  Returns its byte length and
 * moves *pos past it (and past the space or newline that ended it). */
static size_t wrap_line(struct tui *t, const char *text, size_t *pos, int w, int *cols)
{
	const unsigned char *s = (const unsigned char *)text + *pos;
	size_t len = strlen((const char *)s);
	size_t i = 0, brk = 0;
	int used = 0, used_at_brk = 0;
	while (i < len && s[i] != '\n') {
		unsigned cp;
		int cw;
		size_t n = utf8_decode(s + i, len - i, &cp);
		shown_char(t, cp, &cw);
		if (used + cw > w) {
			if (brk) {
				*pos += brk + 1;
				*cols = used_at_brk;
				return brk;
			}
			if (i == 0)
				i = n, used = cw; /* not even one character fits: take it anyway */
			break; /* one long word: cut it */
		}
		if (cp == ' ') {
			brk = i;
			used_at_brk = used;
		}
		used += cw;
		i += n;
	}
	*cols = used;
	*pos += i + (i < len && (s[i] == '\n' || s[i] == ' ') ? 1 : 0);
	return i;
}

int widget_wrap(struct tui *t, WINDOW *win, int y, int x, int h, int w, const char *text,
                attr_t attr, bool center)
{
	if (!text || w <= 0)
		return 0;
	size_t pos = 0, total = strlen(text);
	int row = 0;
	while (pos < total && row < h) {
		size_t start = pos;
		int cols;
		size_t n = wrap_line(t, text, &pos, w, &cols);
		int dx = center && cols < w ? (w - cols) / 2 : 0;
		put_text(t, win, y + row, x + dx, w - dx, text + start, n, attr);
		row++;
	}
	return row;
}

int widget_wrap_rows(struct tui *t, const char *text, int w)
{
	size_t pos = 0, total = text ? strlen(text) : 0;
	int rows = 0;
	if (w <= 0)
		return 0;
	while (pos < total) {
		int cols;
		wrap_line(t, text, &pos, w, &cols);
		rows++;
	}
	return rows;
}

void widget_text_centered(struct tui *t, WINDOW *win, int y, int x, int h, int w, const char *text,
                          attr_t attr)
{
	/* Count the rows first, then draw the block around row y. */
	int rows = widget_wrap_rows(t, text, w);
	if (rows > h)
		rows = h;
	int top = y - rows / 2;
	if (top < 0)
		top = 0;
	widget_wrap(t, win, top, x, h - top, w, text, attr, true);
}

bool widget_url(struct tui *t, WINDOW *win, int y, int x, const char *url, attr_t attr)
{
	int room = getmaxx(win) - x;
	if (!url || room <= 0)
		return false;
	int w = widget_width(t, url);
	put_text(t, win, y, x, room, url, strlen(url), attr);
	return w <= room;
}

/* ------------------------------------------------------------------ box */

static void set_cc(cchar_t *cc, const wchar_t *wc, attr_t attr)
{
	setcchar(cc, wc, attr, PAIR_NUMBER(attr), NULL);
}

void widget_box(struct tui *t, WINDOW *win, int y, int x, int h, int w, const char *title)
{
	if (h < 2 || w < 2)
		return;
	bool u = tui_utf8(t);
	attr_t a = A_NORMAL;
	cchar_t hl, vl, tl, tr, bl, br;
	set_cc(&hl, u ? L"\x2500" : L"-", a);
	set_cc(&vl, u ? L"\x2502" : L"|", a);
	set_cc(&tl, u ? L"\x250c" : L"+", a);
	set_cc(&tr, u ? L"\x2510" : L"+", a);
	set_cc(&bl, u ? L"\x2514" : L"+", a);
	set_cc(&br, u ? L"\x2518" : L"+", a);
	for (int r = 1; r < h - 1; r++) {
		wmove(win, y + r, x + 1);
		for (int c = 1; c < w - 1; c++)
			waddch(win, ' ');
	}
	mvwadd_wch(win, y, x, &tl);
	mvwhline_set(win, y, x + 1, &hl, w - 2);
	mvwadd_wch(win, y, x + w - 1, &tr);
	mvwvline_set(win, y + 1, x, &vl, h - 2);
	mvwvline_set(win, y + 1, x + w - 1, &vl, h - 2);
	mvwadd_wch(win, y + h - 1, x, &bl);
	mvwhline_set(win, y + h - 1, x + 1, &hl, w - 2);
	mvwadd_wch(win, y + h - 1, x + w - 1, &br);
	if (title && *title && w > 6) {
		int tw = widget_width(t, title);
		if (tw > w - 6)
			tw = w - 6;
		int tx = x + 2;
		mvwaddch(win, y, tx, ' ');
		widget_text(t, win, y, tx + 1, tw, title, tui_attr(t, TUI_TITLE));
		mvwaddch(win, y, tx + 1 + tw, ' ');
	}
}

/* -------------------------------------------------------------- key bar */

static int keybar_item(struct tui *t, WINDOW *win, int y, int x, int end, const struct tui_key *k)
{
	const char *help = _(k->help);
	int need = widget_width(t, k->key) + 1 + widget_width(t, help);
	if (x + need > end)
		return -1;
	x += widget_text(t, win, y, x, end - x, k->key, tui_attr(t, TUI_KEY));
	x += 1;
	x += widget_text(t, win, y, x, end - x, help, A_NORMAL);
	return x + 2;
}

void widget_keybar(struct tui *t, WINDOW *win, int y, int x, int w, const struct tui_key *keys,
                   bool with_globals)
{
	static const struct tui_key help_key = {"?", N_("help")};
	int end = x + w;
	bool has_help = false;
	for (const struct tui_key *k = keys; k && k->key; k++) {
		if (strcmp(k->key, "?") == 0)
			has_help = true;
		int nx = keybar_item(t, win, y, x, end, k);
		if (nx < 0)
			break;
		x = nx;
	}
	if (with_globals && !has_help)
		keybar_item(t, win, y, x, end, &help_key);
}

/* ----------------------------------------------------------- text field */

void widget_field_init(struct widget_field *f, size_t max_chars, bool masked)
{
	memset(f, 0, sizeof *f);
	f->max_chars = max_chars ? max_chars : WIDGET_FIELD_DEFAULT_MAX;
	f->masked = masked;
	/* Fixed capacity: the buffer never grows, so the text is never copied
	 * to a new buffer (each copy would be one more to wipe). */
	f->text = secret_new(f->max_chars * 4);
	if (!f->text)
		abort();
}

void widget_field_clear(struct widget_field *f)
{
	if (!f->text)
		return;
	secure_wipe(f->text->buf, f->text->len);
	f->text->len = 0;
	f->text->buf[0] = '\0';
	f->cur = 0;
	f->scroll = 0;
}

void widget_field_free(struct widget_field *f)
{
	SECRET_FREE(f->text);
	f->cur = 0;
	f->scroll = 0;
}

size_t widget_field_chars(const struct widget_field *f)
{
	size_t n = 0;
	for (size_t i = 0; f->text && i < f->text->len; i++)
		n += (f->text->buf[i] & 0xc0) != 0x80;
	return n;
}

const char *widget_field_text(const struct widget_field *f)
{
	return f->text ? (const char *)f->text->buf : "";
}

static void field_insert(struct widget_field *f, unsigned cp)
{
	char enc[4];
	size_t n = utf8_encode(cp, enc);
	struct secret *s = f->text;
	if (widget_field_chars(f) >= f->max_chars || s->len + n > s->cap)
		return;
	memmove(s->buf + f->cur + n, s->buf + f->cur, s->len - f->cur);
	memcpy(s->buf + f->cur, enc, n);
	s->len += n;
	s->buf[s->len] = '\0';
	f->cur += n;
	secure_wipe(enc, sizeof enc);
}

/* Delete bytes [a, b) and wipe the tail that moved. */
static void field_delete(struct widget_field *f, size_t a, size_t b)
{
	struct secret *s = f->text;
	if (b <= a)
		return;
	memmove(s->buf + a, s->buf + b, s->len - b);
	secure_wipe(s->buf + s->len - (b - a), b - a);
	s->len -= b - a;
	s->buf[s->len] = '\0';
	if (f->cur >= b)
		f->cur -= b - a;
	else if (f->cur > a)
		f->cur = a;
}

static size_t field_prev(const struct widget_field *f, size_t i)
{
	while (i > 0 && (f->text->buf[--i] & 0xc0) == 0x80)
		;
	return i;
}

static size_t field_next(const struct widget_field *f, size_t i)
{
	if (i >= f->text->len)
		return f->text->len;
	i++;
	while (i < f->text->len && (f->text->buf[i] & 0xc0) == 0x80)
		i++;
	return i;
}

void widget_field_set(struct widget_field *f, const char *text)
{
	widget_field_clear(f);
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t len = strlen((const char *)s);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		i += utf8_decode(s + i, len - i, &cp);
		field_insert(f, cp);
	}
}

int widget_field_key(struct widget_field *f, int ch, bool is_char)
{
	const int changed = TUI_HANDLED | TUI_REDRAW;
	struct secret *s = f->text;
	if (tui_key_is_backspace(ch, is_char)) {
		if (f->cur > 0)
			field_delete(f, field_prev(f, f->cur), f->cur);
		return changed;
	}
	if (is_char) {
		switch (ch) {
		case CTRL('a'):
			f->cur = 0;
			return changed;
		case CTRL('e'):
			f->cur = s->len;
			return changed;
		case CTRL('d'):
			field_delete(f, f->cur, field_next(f, f->cur));
			return changed;
		case CTRL('u'):
			field_delete(f, 0, f->cur);
			return changed;
		case CTRL('k'):
			field_delete(f, f->cur, s->len);
			return changed;
		case CTRL('w'): {
			size_t i = f->cur;
			while (i > 0 && s->buf[i - 1] == ' ')
				i--;
			while (i > 0 && s->buf[i - 1] != ' ')
				i--;
			field_delete(f, i, f->cur);
			return changed;
		}
		case CTRL('r'):
			if (!f->masked)
				return 0;
			f->shown = !f->shown;
			return changed;
		default:
			break;
		}
		if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xa0) || ch > 0x10ffff)
			return 0; /* Enter, Esc, Tab...: the screen's */
		field_insert(f, (unsigned)ch);
		return changed;
	}
	switch (ch) {
	case KEY_LEFT:
		f->cur = field_prev(f, f->cur);
		return changed;
	case KEY_RIGHT:
		f->cur = field_next(f, f->cur);
		return changed;
	case KEY_HOME:
		f->cur = 0;
		return changed;
	case KEY_END:
		f->cur = s->len;
		return changed;
	case KEY_DC:
		field_delete(f, f->cur, field_next(f, f->cur));
		return changed;
	case KEY_F(2):
		if (!f->masked)
			return 0;
		f->shown = !f->shown;
		return changed;
	default:
		return 0;
	}
}

void widget_field_draw(struct widget_field *f, struct tui *t, WINDOW *win, int y, int x, int w,
                       bool focused)
{
	if (w <= 1)
		return;
	bool hide = f->masked && !f->shown;
	const unsigned char *s = f->text->buf;
	size_t len = f->text->len;
	/* Character index of the cursor, and the widths of the characters
	 * (every bullet is one column). */
	size_t nchars = widget_field_chars(f), cur_char = 0;
	for (size_t i = 0; i < f->cur; i++)
		cur_char += (s[i] & 0xc0) != 0x80;
	int *widths = calloc(nchars + 1, sizeof *widths);
	if (!widths)
		abort();
	size_t ci = 0;
	for (size_t i = 0; i < len; ci++) {
		unsigned cp;
		i += utf8_decode(s + i, len - i, &cp);
		if (hide)
			widths[ci] = 1;
		else
			shown_char(t, cp, &widths[ci]);
		cp = 0;
	}
	/* Scroll so the cursor stays inside, one column kept for it at the end. */
	if (f->scroll > cur_char)
		f->scroll = cur_char;
	for (;;) {
		int cols = 0;
		for (size_t i = f->scroll; i < cur_char; i++)
			cols += widths[i];
		if (cols <= w - 1 || f->scroll >= cur_char)
			break;
		f->scroll++;
	}
	attr_t a = A_UNDERLINE | (focused ? A_BOLD : 0);
	wattr_set(win, a, 0, NULL);
	mvwhline(win, y, x, ' ', w);
	wmove(win, y, x);
	int col = 0, cursor_col = 0;
	size_t i = 0;
	for (size_t c = 0; c < f->scroll; c++)
		i = field_next(f, i);
	for (size_t c = f->scroll; i < len; c++) {
		if (c == cur_char)
			cursor_col = col;
		if (col + widths[c] > w)
			break;
		unsigned cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		i += n;
		if (hide) {
			waddstr(win, tui_glyphs(t)->bullet);
		} else {
			int cw;
			wchar_t wc = shown_char(t, cp, &cw);
			waddnwstr(win, &wc, 1);
			wc = 0;
		}
		cp = 0;
		col += widths[c];
	}
	if (cur_char == nchars)
		cursor_col = col;
	wattr_set(win, A_NORMAL, 0, NULL);
	free(widths);
	if (focused)
		tui_show_cursor(t, y, x + (cursor_col < w ? cursor_col : w - 1));
}

struct secret *widget_field_take(struct widget_field *f)
{
	struct secret *out = secret_from_mem(f->text->buf, f->text->len);
	if (!out)
		abort();
	secret_trim(out);
	widget_field_clear(f);
	return out;
}

/* ------------------------------------------------------------------ list */

void widget_list_init(struct widget_list *l, int n)
{
	memset(l, 0, sizeof *l);
	l->page = 10;
	widget_list_set_count(l, n);
}

void widget_list_set_count(struct widget_list *l, int n)
{
	l->n = n < 0 ? 0 : n;
	if (l->n == 0) {
		l->sel = -1;
		l->top = 0;
		return;
	}
	if (l->sel < 0)
		l->sel = 0;
	if (l->sel >= l->n)
		l->sel = l->n - 1;
	if (l->top > l->sel)
		l->top = l->sel;
}

int widget_list_key(struct widget_list *l, int ch, bool is_char)
{
	if (l->n == 0)
		return 0;
	int sel = l->sel, page = l->page > 1 ? l->page - 1 : 1;
	if (is_char) {
		if (ch == CTRL('p'))
			sel--;
		else if (ch == CTRL('n'))
			sel++;
		else
			return 0;
	} else {
		switch (ch) {
		case KEY_UP:
			sel--;
			break;
		case KEY_DOWN:
			sel++;
			break;
		case KEY_PPAGE:
			sel -= page;
			break;
		case KEY_NPAGE:
			sel += page;
			break;
		case KEY_HOME:
			sel = 0;
			break;
		case KEY_END:
			sel = l->n - 1;
			break;
		default:
			return 0;
		}
	}
	if (sel < 0)
		sel = 0;
	if (sel >= l->n)
		sel = l->n - 1;
	l->sel = sel;
	return TUI_HANDLED | TUI_REDRAW;
}

void widget_list_draw(struct widget_list *l, struct tui *t, WINDOW *win, int y, int x, int h,
                      int w, widget_row_fn row, void *ctx)
{
	if (h <= 0 || w <= 1)
		return;
	l->page = h;
	if (l->sel >= 0) {
		if (l->sel < l->top)
			l->top = l->sel;
		if (l->sel >= l->top + h)
			l->top = l->sel - h + 1;
	}
	if (l->top > 0 && l->top + h > l->n)
		l->top = l->n > h ? l->n - h : 0;
	for (int r = 0; r < h && l->top + r < l->n; r++) {
		int i = l->top + r;
		bool selected = i == l->sel;
		if (selected) {
			wattr_set(win, tui_attr(t, TUI_SELECTED), 0, NULL);
			mvwhline(win, y + r, x, ' ', w - 1);
			wattr_set(win, A_NORMAL, 0, NULL);
		}
		row(ctx, win, i, y + r, x, w - 1, selected);
	}
	/* The last column says there is more above or below. */
	const char *up = tui_utf8(t) ? "\xe2\x96\xb2" : "^";   /* ▲ */
	const char *down = tui_utf8(t) ? "\xe2\x96\xbc" : "v"; /* ▼ */
	if (l->top > 0)
		widget_text(t, win, y, x + w - 1, 1, up, tui_attr(t, TUI_DIM));
	if (l->top + h < l->n)
		widget_text(t, win, y + h - 1, x + w - 1, 1, down, tui_attr(t, TUI_DIM));
}

int widget_filter_key(struct widget_filter *f, int ch, bool is_char)
{
	const int changed = TUI_HANDLED | TUI_REDRAW;
	if (tui_key_is_backspace(ch, is_char)) {
		if (f->len == 0)
			return 0;
		while (f->len > 0 && ((unsigned char)f->text[--f->len] & 0xc0) == 0x80)
			;
		f->text[f->len] = '\0';
		return changed;
	}
	if (!is_char)
		return 0;
	if (ch == CTRL('u') || ch == TUI_KEY_ESC) {
		if (f->len == 0)
			return 0;
		f->len = 0;
		f->text[0] = '\0';
		return changed;
	}
	if (ch < 0x20 || ch == 0x7f || ch > 0x10ffff)
		return 0;
	char enc[4];
	size_t n = utf8_encode((unsigned)ch, enc);
	if (f->len + n >= sizeof f->text)
		return TUI_HANDLED;
	memcpy(f->text + f->len, enc, n);
	f->len += n;
	f->text[f->len] = '\0';
	return changed;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

bool widget_filter_match(const struct widget_filter *f, const char *s)
{
	if (f->len == 0)
		return true;
	if (!s)
		return false;
	for (; *s; s++) {
		size_t i = 0;
		while (i < f->len && s[i] && lower((unsigned char)s[i]) == lower((unsigned char)f->text[i]))
			i++;
		if (i == f->len)
			return true;
	}
	return false;
}

/* --------------------------------------------------------------- buttons */

int widget_buttons_key(struct widget_buttons *b, int ch, bool is_char, int *pressed)
{
	*pressed = -1;
	if (b->n <= 0)
		return 0;
	if (tui_key_is_enter(ch, is_char) || (is_char && ch == ' ')) {
		*pressed = b->focus;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if ((!is_char && ch == KEY_RIGHT) || (is_char && ch == '\t')) {
		b->focus = (b->focus + 1) % b->n;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if ((!is_char && (ch == KEY_LEFT || ch == KEY_BTAB))) {
		b->focus = (b->focus + b->n - 1) % b->n;
		return TUI_HANDLED | TUI_REDRAW;
	}
	return 0;
}

void widget_buttons_draw(struct widget_buttons *b, struct tui *t, WINDOW *win, int y, int x, int w,
                         bool focused)
{
	int total = 0;
	for (int i = 0; i < b->n; i++)
		total += widget_width(t, _(b->labels[i])) + 4 + (i ? 2 : 0);
	int cx = x + (total < w ? (w - total) / 2 : 0);
	for (int i = 0; i < b->n; i++) {
		attr_t a = focused && i == b->focus ? tui_attr(t, TUI_SELECTED) : A_BOLD;
		if (i)
			cx += 2;
		int end = x + w;
		cx += widget_text(t, win, y, cx, end - cx, "[ ", a);
		cx += widget_text(t, win, y, cx, end - cx, _(b->labels[i]), a);
		cx += widget_text(t, win, y, cx, end - cx, " ]", a);
	}
}
