/* screens.h - the screens (one file each) and what they are opened with.
 *
 * Flow (SPEC §7): welcome → picker → (method) → key entry | device | browser
 * → connected → (add another: picker again | done: accounts).  The accounts
 * screen is home once an account exists. */
#ifndef AIAUTH_SCREENS_H
#define AIAUTH_SCREENS_H

#include "error.h"
#include "store.h"
#include "tui.h"

struct provider;

extern const struct screen_ops screen_welcome;   /* arg: NULL */
extern const struct screen_ops screen_picker;    /* arg: NULL */
extern const struct screen_ops screen_method;    /* arg: const struct provider * */
extern const struct screen_ops screen_keyentry;  /* arg: const struct provider * */
extern const struct screen_ops screen_device;    /* arg: const struct provider * */
extern const struct screen_ops screen_browser;   /* arg: struct screen_browser_arg * */
extern const struct screen_ops screen_connected; /* arg: struct screen_connected_arg * */
extern const struct screen_ops screen_accounts;  /* arg: NULL or struct accounts_preload * */
extern const struct screen_ops screen_help;      /* arg: const struct screen * (whose keys) */
extern const struct screen_ops screen_dialog;    /* arg: struct screen_dialog_arg * */

/* The account store as the caller has just read it (the first screen is
 * chosen by reading it), so that the accounts screen need not read and
 * parse it again: with 1,000 accounts that is half its opening time.  The
 * stamp is taken before the read.  The screen takes `store` (and sets it
 * to NULL); a NULL arg or store makes it read the file itself. */
struct accounts_preload {
	struct store *store;
	struct store_stamp stamp;
};

struct screen_browser_arg {
	const struct provider *provider;
	bool paste; /* the paste flow rather than the loopback listener */
};

struct screen_connected_arg {
	const struct provider *provider;
	const char *label;
	const char *email; /* or NULL */
	bool renewed;
};

/* A small modal: a question with OK/Cancel, or a line of input (masked for
 * passphrases).  `done` gets the answer (NULL text when cancelled). */
enum screen_dialog_kind { DIALOG_CONFIRM, DIALOG_INPUT, DIALOG_SECRET };
struct secret;
struct screen_dialog_arg {
	enum screen_dialog_kind kind;
	const char *title;
	const char *question;
	const char *initial; /* INPUT: the text to start with */
	/* confirmed: OK pressed; text: the input (INPUT, DIALOG_SECRET's is
	 * wiped after the call), or NULL.  Return flags for the dialog's parent. */
	int (*done)(void *ctx, bool confirmed, const char *text);
	void *ctx;
};

/* A passphrase for the encrypted file, asked in a modal that runs its own
 * key loop until Enter or Esc (the core asks synchronously, from inside a
 * secret-store call).  This is the session's get_passphrase for the TUI. */
enum aiauth_status tui_ask_passphrase(void *tui, bool creating, struct secret **out,
                                      struct aiauth_error **err);

#endif
