/* ui.h - the entry point of the ncurses interface.
 *
 * The screens live in ui/ and call the core; this header is all the command
 * line sees of them (no curses types leak out). */
#ifndef AIAUTH_UI_H
#define AIAUTH_UI_H

/* Run the interface until the user quits; returns the process exit status.
 * `forced_backend` is an enum secret_backend from --store (SECRET_BACKEND_AUTO
 * when not given); `passphrase_file` from --passphrase-file or
 * AIAUTH_PASSPHRASE_FILE, or NULL. */
int ui_main(int forced_backend, const char *passphrase_file);

#endif
