/* test_qr.c - the QR code's lines (ui/qr.c) show exactly libqrencode's
 * modules, in both the UTF-8 half-block and the ASCII layout, with the
 * quiet zone light around them. */
#include "config.h"

#include <qrencode.h>
#include <stdbool.h>
#include <string.h>

#include "qr.h"
#include "tap.h"

static const char *url = "http://127.0.0.1:40123/device?user_code=WDJB-MJPV";

/* Module (x, y) of the art, quiet zone included, read back from its text:
 * true when light.  -1 for a glyph that is not one of ours. */
static int ascii_module(const struct qr_art *a, int x, int y)
{
	const char *c = a->lines[y] + 2 * x;
	if (c[0] == '#' && c[1] == '#')
		return 1;
	if (c[0] == ' ' && c[1] == ' ')
		return 0;
	return -1;
}

/* Decode line `row` of the UTF-8 art into top/bottom halves. */
static bool utf8_row(const struct qr_art *a, int row, int n, bool *top, bool *bottom)
{
	const char *p = a->lines[row];
	for (int x = 0; x < n; x++) {
		if (strncmp(p, "█", 3) == 0) {
			top[x] = bottom[x] = true;
			p += 3;
		} else if (strncmp(p, "▀", 3) == 0) {
			top[x] = true;
			bottom[x] = false;
			p += 3;
		} else if (strncmp(p, "▄", 3) == 0) {
			top[x] = false;
			bottom[x] = true;
			p += 3;
		} else if (*p == ' ') {
			top[x] = bottom[x] = false;
			p++;
		} else {
			return false;
		}
	}
	return *p == '\0';
}

int main(void)
{
	QRcode *q = QRcode_encodeString(url, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	ok(q != NULL, "libqrencode encodes the URL");
	if (!q)
		return 1;
	int n = q->width + 2 * QR_MARGIN;

	struct qr_art a = QR_ART_INIT;
	ok(qr_art_make(url, false, &a), "ASCII art is made");
	ok(a.width == 2 * n && a.height == n, "ASCII: two columns and one line per module (%dx%d)",
	   a.width, a.height);
	bool same = true, widths = true;
	for (int y = 0; y < n && a.lines; y++) {
		widths = widths && strlen(a.lines[y]) == (size_t)a.width;
		for (int x = 0; x < n && widths; x++) {
			int mx = x - QR_MARGIN, my = y - QR_MARGIN;
			bool want = mx < 0 || my < 0 || mx >= q->width || my >= q->width ||
			            !(q->data[my * q->width + mx] & 1);
			same = same && ascii_module(&a, x, y) == (int)want;
		}
	}
	ok(widths, "ASCII: every line is as wide as the art");
	ok(same, "ASCII: light modules and the quiet zone are \"##\", dark ones blank");
	/* The top-left finder pattern: a dark 7x7 ring right after the margin. */
	ok(ascii_module(&a, QR_MARGIN, QR_MARGIN) == 0 && ascii_module(&a, QR_MARGIN + 1, QR_MARGIN + 1) == 1 &&
	       ascii_module(&a, QR_MARGIN + 3, QR_MARGIN + 3) == 0,
	   "ASCII: the finder pattern is where it belongs");
	qr_art_clear(&a);
	ok(a.lines == NULL && a.height == 0, "clearing empties the art");

	ok(qr_art_make(url, true, &a), "UTF-8 art is made");
	ok(a.width == n && a.height == (n + 1) / 2, "UTF-8: one column per module, two rows per line");
	same = true;
	bool top[512], bottom[512];
	for (int row = 0; row < a.height && n <= 512; row++) {
		if (!utf8_row(&a, row, n, top, bottom)) {
			same = false;
			break;
		}
		for (int x = 0; x < n; x++) {
			for (int half = 0; half < 2; half++) {
				int y = 2 * row + half;
				bool got = half ? bottom[x] : top[x];
				bool want;
				if (y >= n) {
					want = false; /* below the art: left blank */
				} else {
					int mx = x - QR_MARGIN, my = y - QR_MARGIN;
					want = mx < 0 || my < 0 || mx >= q->width || my >= q->width ||
					       !(q->data[my * q->width + mx] & 1);
				}
				same = same && got == want;
			}
		}
	}
	ok(same, "UTF-8: each half block shows the module above or below");
	qr_art_clear(&a);

	ok(!qr_art_make("", true, &a) && a.lines == NULL, "an empty text makes no code");
	char big[8000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(!qr_art_make(big, true, &a) && a.lines == NULL, "a text too long for any version makes none");
	QRcode_free(q);
	return done_testing();
}
