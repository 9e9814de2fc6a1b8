/* ui.h - the entry point of the ncurses interface.
 *
 * The screens live in ui/ and call the core; this header is all the command
 * line sees of them (no curses types leak out). */
#ifndef AIAUTH_UI_H
#define AIAUTH_UI_H

/* Run the interface until the user quits; returns the process exit status.
 * Not yet written: prints a short note and returns 1 (see ui_main.c). */
int ui_main(int argc, char **argv);

#endif
