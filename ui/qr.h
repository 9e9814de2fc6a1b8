/* qr.h - a QR code of a short text (a URL) as lines for the terminal.
 *
 * The symbol comes from libqrencode (byte mode, error correction level L:
 * the smallest symbol for a URL that a phone reads off a screen).  It is
 * drawn as text, in the convention of `qrencode -t UTF8`: the light modules
 * and the quiet zone are drawn with the foreground colour, the dark modules
 * are left blank, so that on the usual light-on-dark terminal the code
 * reads as a normal one; on a dark-on-light terminal it comes out inverted,
 * which phone cameras read as well.
 *
 *   UTF-8: two module rows per text line with "▀", "▄", "█" and a space;
 *          one column per module.
 *   ASCII: "##" or two spaces per module, one text line per module row
 *          (twice the width, twice the height: it fits big terminals only).
 *
 * Call order: qr_art_make(), read width/height/lines, qr_art_clear().
 * Everything is owned by the struct; no curses in here, so the module can be
 * tested without a terminal. */
#ifndef AIAUTH_QR_H
#define AIAUTH_QR_H

#include <stdbool.h>

/* Modules of quiet zone around the symbol (the standard asks for 4; 2 is
 * what terminal QR codes use and what phones read, and it saves 4 lines). */
#define QR_MARGIN 2

struct qr_art {
	int width;    /* terminal columns of every line */
	int height;   /* number of lines */
	char **lines; /* `height` NUL-terminated lines (UTF-8 or ASCII) */
};
#define QR_ART_INIT {0, 0, NULL}

/* Encode `text` and lay it out as lines.  *art is cleared first.  Returns
 * false (with *art empty) when the text does not fit any QR version or
 * memory runs out: the caller then shows no code. */
bool qr_art_make(const char *text, bool utf8, struct qr_art *art);
void qr_art_clear(struct qr_art *art);

#endif
