/* cli.h - the command line: shared context and the command table.
 *
 * The command line is a front end like the screens: it calls the core,
 * prints results on stdout, one-line errors on stderr ("aiauth: ..."), and
 * returns the exit status of the core's status table (error.h). */
#ifndef AIAUTH_CLI_H
#define AIAUTH_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "registry.h"
#include "secret.h"
#include "secretstore.h"
#include "session.h"
#include "store.h"

/* What every command shares: the options only the command line has, and
 * the session (session.h) that opens the registry, the secret store and
 * the loop on first use and knows the rules that span modules.  main()
 * makes the session with cli_passphrase as its passphrase callback. */
struct cli {
	const char *passphrase_file; /* --passphrase-file or AIAUTH_PASSPHRASE_FILE */
	struct session *session;
};

/* One-line error on stderr, then the exit status for it.  Frees *err. */
int cli_fail(struct aiauth_error **err);
/* printf-style error line for usage problems; returns the USAGE exit status. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "aiauth: warning: ..." on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The vault passphrase (the session's get_passphrase; ctx is the struct
 * cli): the --passphrase-file, else a masked prompt on the terminal, twice
 * when the vault is being created. */
enum aiauth_status cli_passphrase(void *ctx, bool creating, struct secret **out,
                                  struct aiauth_error **err);
/* Free the session (and with it the secret store, registry and loop);
 * before exec and at the end of main(). */
void cli_close(struct cli *cli);

/* Print a URL on a line of its own.  On a terminal it is also an OSC 8
 * hyperlink, so it can be clicked whole even if the terminal wraps it;
 * terminals without hyperlinks ignore the sequence.  Piped output gets the
 * plain URL only. */
void cli_print_url(FILE *out, const char *url);

/* prompt.c: reading what a person types or pipes in. */
bool prompt_stdin_is_tty(void);
/* A line typed on the terminal (/dev/tty) without echo. */
enum aiauth_status prompt_masked(const char *question, struct secret **out,
                                 struct aiauth_error **err);
/* A yes/no question on the terminal; false when there is no terminal. */
bool prompt_confirm(const char *question);
/* All of standard input (at most `max` bytes), for piped keys. */
enum aiauth_status prompt_read_stdin(size_t max, struct secret **out, struct aiauth_error **err);
/* One line of standard input (without the newline), at most `max` bytes. */
enum aiauth_status prompt_read_stdin_line(size_t max, struct secret **out,
                                          struct aiauth_error **err);

/* Commands: argc/argv start at the command name. */
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_add(struct cli *cli, int argc, char **argv);
int cmd_remove(struct cli *cli, int argc, char **argv);
int cmd_rename(struct cli *cli, int argc, char **argv);
int cmd_use(struct cli *cli, int argc, char **argv);
int cmd_rr(struct cli *cli, int argc, char **argv);
int cmd_token(struct cli *cli, int argc, char **argv);
int cmd_env(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);
int cmd_test(struct cli *cli, int argc, char **argv);
int cmd_models(struct cli *cli, int argc, char **argv);
int cmd_detect(struct cli *cli, int argc, char **argv);
int cmd_providers(struct cli *cli, int argc, char **argv);
int cmd_store(struct cli *cli, int argc, char **argv);
int cmd_sync(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);

/* cmd_sync.c: when automatic sync is on (settings.json), write the active
 * account of `provider` (NULL: of every provider with a CLI file) into its
 * CLI credential file.  Problems are warnings: the command that triggered
 * it keeps its own outcome. */
void cli_auto_sync(struct cli *cli, const char *provider);
int cmd_doctor(struct cli *cli, int argc, char **argv);
/* Words for the shell completion, one a line: the provider ids, or the
 * account labels (of one provider, or of all). */
int cmd_complete(struct cli *cli, int argc, char **argv);

/* A small option parser for the commands.  Options may stand anywhere
 * before "--"; "--name=value" and "--name value" both work.  Positional
 * arguments are collected in order.  Returns 0, or the usage exit status
 * after printing the problem.  *rest (optional) receives the index of the
 * first argument after "--" (argc when there is none). */
struct cli_opt {
	const char *name;   /* "--label" */
	const char **value; /* set for options that take a value */
	bool *flag;         /* set for flags */
	const char ***list; /* repeated values (NULL-terminated, heap array) */
};
int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char **pos,
              int max_pos, int *n_pos, int *rest);

/* ---------------------------------------------------------------- login */
struct loop;
struct oauth_endpoints;

struct login_options {
	const char *label; /* --label, or NULL for the email */
	bool no_wait;      /* --no-wait: save a pending browser flow and exit */
};

/* After a successful sign-in: session_save_oauth() (the credential is
 * taken, freed there), then print "Signed in to P as EMAIL (account "L")."
 * or what else happened. */
enum aiauth_status cli_save_oauth_account(struct cli *cli, const struct provider *p,
                                          const struct oauth_endpoints *ep, const char *method,
                                          struct credential *cred,
                                          const struct login_options *opts,
                                          struct aiauth_error **err);
/* The flows (login_device.c, login_browser.c); each returns an exit status. */
int login_device(struct cli *cli, const struct provider *p, const struct login_options *opts);
int login_browser(struct cli *cli, const struct provider *p, const struct login_options *opts,
                  bool paste);
int login_finish(struct cli *cli, const char *code_or_url);

int cmd_login(struct cli *cli, int argc, char **argv);
int cmd_refresh(struct cli *cli, int argc, char **argv);

/* Print the help of one command (or of all when name is NULL). */
void cli_help(const char *name);

#endif
