/* main.c - aiauth's entry point: global options, then a command or the
 * interactive screens. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "debug.h"
#include "http.h"
#include "ui.h"

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;   /* untranslated; shown after "aiauth " */
	const char *summary; /* N_() */
};

static const struct command commands[] = {
	{"list", cmd_list, "list [--json] [PROVIDER]", N_("show accounts, grouped by provider")},
	{"status", cmd_status, "status [--json]",
	 N_("where secrets are kept and why, and the state of every account")},
	{"providers", cmd_providers, "providers [--json]", N_("show the providers aiauth knows")},
	{"add", cmd_add,
	 "add PROVIDER [--label L] [--base-url URL] [--api-version V] [--region R] [--token]",
	 N_("add an account; the key is read from standard input or a hidden prompt")},
	{"remove", cmd_remove, "remove [PROVIDER] ACCOUNT [--yes]",
	 N_("delete an account and its secret")},
	{"rename", cmd_rename, "rename [PROVIDER] ACCOUNT NEW-LABEL", N_("change an account's label")},
	{"use", cmd_use, "use PROVIDER ACCOUNT | use PROVIDER --none",
	 N_("make an account the provider's active one, or clear the active mark")},
	{"rr", cmd_rr, "rr join|leave [PROVIDER] ACCOUNT",
	 N_("add an OAuth account to the provider's round-robin pool, or take it out")},
	{"login", cmd_login,
	 "login PROVIDER [--device|--browser|--paste] [--label L] [--no-wait] | login --finish [CODE]",
	 N_("sign in with OAuth (a device code, the browser, or a pasted code)")},
	{"refresh", cmd_refresh, "refresh [PROVIDER|ACCOUNT]... [--all] [--force] [--jobs N]",
	 N_("refresh OAuth tokens that expire within 5 minutes (all of them with --force)")},
	{"token", cmd_token, "token PROVIDER [--account A]",
	 N_("print the provider's key or access token")},
	{"env", cmd_env, "env PROVIDER... [--account A]",
	 N_("print shell export lines for the providers")},
	{"exec", cmd_exec, "exec PROVIDER... [--account A] -- COMMAND [ARG...]",
	 N_("run a command with the providers' variables set")},
	{"test", cmd_test, "test PROVIDER|ACCOUNT",
	 N_("check a credential against the provider's model list")},
	{"models", cmd_models, "models PROVIDER|ACCOUNT [--json]",
	 N_("list the models a credential can use")},
	{"detect", cmd_detect, "detect [--json] [--port PROVIDER=PORT]... [--timeout MS]",
	 N_("find local model servers (Ollama, LM Studio, Docker Model Runner, llama.cpp, vLLM)")},
	{"store", cmd_store, "store migrate --to keyring|file",
	 N_("move every secret to the other secret store")},
	{"sync", cmd_sync, "sync [PROVIDER]... [--account A] [--force] | sync --auto on|off",
	 N_("write active accounts into the files of Claude Code, Codex CLI and Gemini CLI")},
	{"import", cmd_import, "import [claude|codex|gemini|grok]...",
	 N_("make accounts of the sign-ins found in other CLIs' credential files")},
	{"doctor", cmd_doctor, "doctor [--json] [--offline]",
	 N_("check the keyring, terminal, browser, files, tokens and clock, and say what to do")},
	/* For the shell completion (doc/aiauth.bash-completion); not in --help. */
	{"__complete", cmd_complete, "__complete providers|accounts [PROVIDER]", NULL},
};

static void print_usage(FILE *out)
{
	fprintf(out, "%s\n", _("Usage: aiauth [OPTION]... [COMMAND [ARG]...]"));
	fprintf(out, "%s\n\n",
	        _("Connect AI-provider accounts, keep their secrets safe and hand them to tools.\n"
	          "Without a command, aiauth opens its interactive screens."));
	fprintf(out, "%s\n", _("Commands:"));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].summary)
			fprintf(out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
	fprintf(out, "\n%s\n", _("Options:"));
	fprintf(out, "  --store keyring|file     %s\n",
	        _("use this secret store instead of the automatic choice"));
	fprintf(out, "  --passphrase-file FILE   %s\n",
	        _("read the encrypted file's passphrase from FILE (also AIAUTH_PASSPHRASE_FILE)"));
	fprintf(out, "  --help                   %s\n", _("show this help, or a command's"));
	fprintf(out, "  --version                %s\n", _("show the version"));
	fprintf(out, "\n%s\n", _("Exit status:"));
	fprintf(out, "  0 %s, 1 %s, 2 %s, 3 %s,\n  4 %s, 5 %s, 6 %s, 7 %s,\n"
	             "  8 %s, 9 %s, 10 %s\n",
	        _("success"), _("failure"), _("bad usage"), _("provider not configured"),
	        _("needs sign-in"), _("secret store unavailable"), _("network error"),
	        _("credential rejected"), _("access denied"), _("code expired"), _("cancelled"));
	fprintf(out, "\n%s\n", _("Run 'aiauth COMMAND --help' for a command's options."));
}

void cli_help(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (name && strcmp(commands[i].name, name) == 0 && commands[i].summary) {
			printf("%s aiauth %s\n%s\n", _("Usage:"), commands[i].usage,
			       _(commands[i].summary));
			return;
		}
	}
	print_usage(stdout);
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/* Take the global options out of argv, wherever they stand before "--",
 * so "aiauth --store file list" and "aiauth list --store file" both work. */
static int take_global_options(struct cli *cli, enum secret_backend *forced, int *argc,
                               char **argv)
{
	int out = 1;
	bool rest = false;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (rest || strcmp(a, "--") == 0) {
			rest = true;
			argv[out++] = argv[i];
			continue;
		}
		const char *value = NULL;
		bool is_store = strncmp(a, "--store", 7) == 0 && (a[7] == '\0' || a[7] == '=');
		bool is_pass = strncmp(a, "--passphrase-file", 17) == 0 && (a[17] == '\0' || a[17] == '=');
		if (!is_store && !is_pass) {
			argv[out++] = argv[i];
			continue;
		}
		const char *eq = strchr(a, '=');
		if (eq)
			value = eq + 1;
		else if (i + 1 < *argc)
			value = argv[++i];
		else
			return cli_usage_error(_("%s needs a value"), a);
		if (is_store) {
			if (!secret_backend_parse(value, forced) || *forced == SECRET_BACKEND_AUTO)
				return cli_usage_error(_("--store takes \"keyring\" or \"file\", not \"%s\""),
				                       value);
		} else {
			cli->passphrase_file = value;
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

/* AIAUTH_DEBUG (debug.h).  The first line names the command, never its
 * arguments: one of them may be a code pasted by hand. */
static void start_debug(int argc, char **argv)
{
	const char *name = argc < 2 ? "(screens)" : "(unknown command)";
	for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			name = commands[i].name;
	char what[96];
	snprintf(what, sizeof(what), "aiauth %s %s", PACKAGE_VERSION, name);
	struct aiauth_error *err = NULL;
	if (debug_init(getenv("AIAUTH_DEBUG"), what, &err) != AIAUTH_OK)
		cli_warn("%s", err ? err->message : _("the debug output cannot be written"));
	error_clear(&err);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/* AIAUTH_LOCALEDIR: a developer and test knob to use message catalogs
	 * from a build tree instead of the installed ones. */
	const char *localedir = getenv("AIAUTH_LOCALEDIR");
	bindtextdomain(PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
	textdomain(PACKAGE);
	secret_harden_process();

	struct cli cli = {0};
	enum secret_backend forced = SECRET_BACKEND_AUTO;
	cli.passphrase_file = getenv("AIAUTH_PASSPHRASE_FILE");
	if (cli.passphrase_file && !*cli.passphrase_file)
		cli.passphrase_file = NULL;
	int rc = take_global_options(&cli, &forced, &argc, argv);
	if (rc)
		return rc;
	start_debug(argc, argv);

	if (argc < 2) {
		/* The screens draw on the terminal: trace lines must not. */
		debug_quiet_terminal(true);
		rc = ui_main((int)forced, cli.passphrase_file);
		debug_quiet_terminal(false);
		debug_log("exit status %d", rc);
		debug_close();
		return rc;
	}
	const char *name = argv[1];
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("aiauth %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		cli_help(argc > 2 ? argv[2] : NULL);
		return 0;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			cmd = &commands[i];
	if (!cmd)
		return cli_usage_error(_("unknown command \"%s\" (see 'aiauth --help')"), name);
	if (wants_help(argc - 1, argv + 1)) {
		cli_help(cmd->name);
		return 0;
	}

	/* libcurl is loaded by the first request (src/curlsym.h), not here:
	 * most commands make none. */
	const struct session_options so = {
		.forced_backend = forced,
		.get_passphrase = cli_passphrase,
		.passphrase_ctx = &cli,
	};
	cli.session = session_new(&so);
	if (!cli.session) {
		http_global_cleanup();
		fprintf(stderr, "aiauth: %s\n", _("out of memory"));
		return status_exit_code(AIAUTH_NO_MEMORY);
	}
	rc = cmd->run(&cli, argc - 1, argv + 1);
	cli_close(&cli);
	http_global_cleanup();
	if (fflush(stdout) != 0 && rc == 0) {
		perror("aiauth: standard output");
		rc = 1;
	}
	debug_log("exit status %d", rc);
	debug_close();
	return rc;
}
