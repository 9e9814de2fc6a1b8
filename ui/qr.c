/* qr.c - QR code lines for the terminal (see qr.h). */
#include "config.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"

void qr_art_clear(struct qr_art *art)
{
	if (art->lines) {
		for (int i = 0; i < art->height; i++)
			free(art->lines[i]);
		free(art->lines);
	}
	art->lines = NULL;
	art->width = 0;
	art->height = 0;
}

/* Is the module at (x, y) of the symbol plus its quiet zone light?  The
 * quiet zone is light; libqrencode marks dark modules with bit 0. */
static bool light(const QRcode *q, int x, int y)
{
	x -= QR_MARGIN;
	y -= QR_MARGIN;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return true;
	return !(q->data[(size_t)y * (size_t)q->width + (size_t)x] & 1);
}

bool qr_art_make(const char *text, bool utf8, struct qr_art *art)
{
	qr_art_clear(art);
	if (!text || !*text)
		return false;
	/* Version 0: the smallest that holds the text. */
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (!q)
		return false;

	int n = q->width + 2 * QR_MARGIN; /* modules per side, quiet zone included */
	int height = utf8 ? (n + 1) / 2 : n;
	/* The widest glyph ("█", "▀", "▄") is 3 bytes; ASCII uses 2 per module. */
	size_t bytes = (size_t)n * (utf8 ? 3 : 2) + 1;
	art->lines = calloc((size_t)height, sizeof(*art->lines));
	if (!art->lines)
		goto fail;
	art->height = height;
	art->width = utf8 ? n : 2 * n;
	for (int row = 0; row < height; row++) {
		char *p = art->lines[row] = malloc(bytes);
		if (!p)
			goto fail;
		for (int x = 0; x < n; x++) {
			const char *cell;
			if (utf8) {
				bool top = light(q, x, 2 * row);
				/* An odd count leaves the last line's lower half off the
				 * symbol: blank, the terminal's own background. */
				bool bottom = 2 * row + 1 < n && light(q, x, 2 * row + 1);
				cell = top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
			} else {
				cell = light(q, x, row) ? "##" : "  ";
			}
			size_t len = strlen(cell);
			memcpy(p, cell, len);
			p += len;
		}
		*p = '\0';
	}
	QRcode_free(q);
	return true;
fail:
	QRcode_free(q);
	qr_art_clear(art);
	return false;
}
