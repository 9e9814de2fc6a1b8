/* cli.h - the command line: shared context and the command table.
 *
 * The command line is a front end like the screens: it calls the core,
 * prints results on stdout, one-line errors on stderr ("aiauth: ..."), and
 * returns the exit status of the core's status table (error.h). */
#ifndef AIAUTH_CLI_H
#define AIAUTH_CLI_H

#include <stdbool.h>

#include "error.h"
#include "registry.h"
#include "secret.h"
#include "secretstore.h"
#include "store.h"

/* Global options and what was opened lazily for the command. */
struct cli {
	enum secret_backend forced_backend; /* --store */
	const char *passphrase_file;        /* --passphrase-file or AIAUTH_PASSPHRASE_FILE */
	struct registry *registry;
	struct secretstore *secrets;
	struct loop *loop;
};

/* One-line error on stderr, then the exit status for it.  Frees *err. */
int cli_fail(struct aiauth_error **err);
/* printf-style error line for usage problems; returns the USAGE exit status. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "aiauth: warning: ..." on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The registry (loaded on first use). */
enum aiauth_status cli_registry(struct cli *cli, struct registry **out,
                                struct aiauth_error **err);
/* A provider by id, with a helpful error for unknown ids. */
enum aiauth_status cli_provider(struct cli *cli, const char *id, const struct provider **out,
                                struct aiauth_error **err);
/* The secret store: --store, else the backend recorded in the account store,
 * else the automatic choice. */
enum aiauth_status cli_secrets(struct cli *cli, struct secretstore **out,
                               struct aiauth_error **err);
/* The same, for a given backend and reason (store migrate). */
enum aiauth_status cli_secrets_open(struct cli *cli, enum secret_backend backend,
                                    const char *reason, struct secretstore **out,
                                    struct aiauth_error **err);
void cli_close(struct cli *cli);
/* The event loop of the command (made on first use). */
enum aiauth_status cli_loop(struct cli *cli, struct loop **out, struct aiauth_error **err);

/* Record the backend that holds the secrets, when none is recorded yet. */
enum aiauth_status cli_record_backend(enum secret_backend backend, bool overwrite,
                                      struct aiauth_error **err);

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

/* Resolve the credential of `provider` (account name optional), reading the
 * secret.  *account is a copy the caller frees with account_free();
 * *cred is NULL for keyless accounts. */
struct account;
struct credential;
enum aiauth_status cli_resolve(struct cli *cli, const char *provider, const char *account_name,
                               struct account **account, struct credential **cred,
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

/* Add an account made from `tmpl` and store its secret blob (NULL for a
 * keyless account); if the secret cannot be stored the account is taken
 * back.  *label receives the label the store gave it (caller frees),
 * *active (optional) whether it became the provider's active account. */
enum aiauth_status cli_add_account(struct cli *cli, const struct provider *p,
                                   const struct account *tmpl, const struct secret *blob,
                                   char **label, bool *active, struct aiauth_error **err);

/* ---------------------------------------------------------------- login */
struct loop;
struct oauth_endpoints;

struct login_options {
	const char *label; /* --label, or NULL for the email */
	bool no_wait;      /* --no-wait: save a pending browser flow and exit */
};

/* After a successful sign-in: learn the email (id_token claims, else the
 * userinfo endpoint), add the OAuth account (label defaults to the email),
 * store the credential (taken, freed here) and record the backend.  Prints
 * "Signed in to P as EMAIL (label "L")." on success. */
enum aiauth_status cli_save_oauth_account(struct cli *cli, struct loop *loop,
                                          const struct provider *p,
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
