/* login_browser.c - aiauth login PROVIDER --browser | --paste [--no-wait]
 * and aiauth login --finish [CODE_OR_URL]: the authorization code with
 * PKCE, coming back through the loopback listener or a paste.
 *
 * The URL is always printed on a line of its own (stdout), whether or not
 * a browser is opened: over SSH the person opens it elsewhere. */
#include "config.h"

#include "browser.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "credential.h"
#include "loop.h"
#include "loopback.h"
#include "oauth.h"
#include "oauth_pkce.h"

/* How long the listener waits for the browser. */
#define LOOPBACK_WAIT_MS (5 * 60 * 1000)


/* ------------------------------------------------------------ waiting */

struct flow {
	bool done;
	/* loopback */
	enum aiauth_status status;
	struct secret *code;
	struct aiauth_error *err;
	/* token exchange */
	struct oauth_token_result tok;
};

static void on_loopback(void *ctx, struct loopback_result *r)
{
	struct flow *f = ctx;
	f->status = r->status;
	f->code = r->code;
	r->code = NULL;
	f->err = r->error;
	r->error = NULL;
	f->done = true;
}

static void on_token(void *ctx, struct oauth_token_result *r)
{
	struct flow *f = ctx;
	f->tok = *r;
	memset(r, 0, sizeof(*r));
	f->done = true;
}

/* Exchange the code and save the account.  `cred` ownership goes to
 * cli_save_oauth_account(). */
static enum aiauth_status exchange_and_save(struct cli *cli, struct loop *loop,
                                            const struct provider *p,
                                            const struct oauth_endpoints *ep,
                                            const struct secret *code, const char *redirect_uri,
                                            const struct oauth_pkce *pk,
                                            const struct login_options *opts,
                                            bool *retryable, struct aiauth_error **err)
{
	struct flow f = {0};
	*retryable = false;
	struct oauth_token_request *req = oauth_pkce_exchange_start(
		loop, p, ep->token, code, redirect_uri, pk, on_token, &f, err);
	if (!req)
		return err && *err ? (*err)->status : AIAUTH_FAILED;
	enum aiauth_status st = loop_run_until(loop, &f.done, err);
	if (st != AIAUTH_OK) {
		oauth_token_request_cancel(req);
		return st;
	}
	if (f.tok.status != AIAUTH_OK) {
		*retryable = f.tok.retryable;
		st = error_set(err, f.tok.status, _("the code could not be exchanged for tokens: %s"),
		               f.tok.description ? f.tok.description : _(status_text(f.tok.status)));
		oauth_token_result_clear(&f.tok);
		return st;
	}
	struct credential *cred = f.tok.cred;
	f.tok.cred = NULL;
	oauth_token_result_clear(&f.tok);
	return cli_save_oauth_account(cli, p, ep, "browser", cred, opts, err);
}

/* Read what the person pastes: hidden on a terminal, a line otherwise. */
static enum aiauth_status read_paste(bool whole_input, struct secret **out,
                                     struct aiauth_error **err)
{
	if (prompt_stdin_is_tty())
		return prompt_masked(_("Paste the code or the whole URL: "), out, err);
	/* One byte over the parser's limit, so that it is the parser that
	 * explains what is too long. */
	if (whole_input)
		return prompt_read_stdin(OAUTH_PKCE_MAX_INPUT + 1, out, err);
	return prompt_read_stdin_line(OAUTH_PKCE_MAX_INPUT + 1, out, err);
}

/* An unused loopback port to name in a paste-mode redirect_uri when the
 * provider accepts any: the browser will fail to reach it, and the person
 * copies the address it shows. */
static int pick_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(sa);
	int port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* The redirect_uri of a paste sign-in: the provider's page that shows a
 * code, else its loopback address (nobody listens; the address bar then
 * holds the code). */
static char *paste_redirect_uri(const struct provider *p)
{
	if (p->oauth.redirect_uri && *p->oauth.redirect_uri)
		return strdup(p->oauth.redirect_uri);
	int port = p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_FIXED ? p->oauth.redirect_port
	                                                               : pick_port();
	if (port <= 0)
		return NULL;
	const char *path = p->oauth.redirect_path && *p->oauth.redirect_path ? p->oauth.redirect_path
	                                                                     : "/callback";
	size_t n = strlen(path) + 40;
	char *uri = malloc(n);
	if (uri)
		snprintf(uri, n, "http://127.0.0.1:%d%s%s", port, path[0] == '/' ? "" : "/", path);
	return uri;
}

static void show_url(const struct provider *p, const char *url, bool browser_opened)
{
	if (browser_opened)
		printf(_("Your browser should open to sign in to %s. If it does not, open this "
		         "address:\n"),
		       _(p->name));
	else
		printf(_("Open this address in a browser to sign in to %s:\n"), _(p->name));
	cli_print_url(stdout, url);
	fflush(stdout);
}

/* --no-wait: keep the flow for login --finish and stop here. */
static int save_pending(struct cli *cli, const struct provider *p,
                        const struct oauth_endpoints *ep, struct oauth_pkce *pk,
                        const char *redirect_uri, const char *url,
                        const struct login_options *opts)
{
	struct aiauth_error *err = NULL;
	struct secretstore *ss = NULL;
	enum aiauth_status st = session_secrets(cli->session, &ss, &err);
	if (st != AIAUTH_OK)
		return cli_fail(&err);
	char *old = NULL;
	if (oauth_pkce_pending_exists(NULL, &old))
		cli_warn(_("replacing the pending sign-in to %s"), old ? old : "?");
	free(old);
	struct oauth_pkce_pending pd = {0};
	pd.provider = p->id;
	pd.redirect_uri = (char *)redirect_uri;
	pd.label = (char *)opts->label;
	pd.ep = *ep;
	pd.created = oauth_now();
	pd.expires = pd.created + OAUTH_PKCE_PENDING_TTL;
	pd.pk = *pk;
	/* pd borrows everything: not cleared here. */
	st = oauth_pkce_pending_save(ss, NULL, &pd, _(p->name), &err);
	if (st != AIAUTH_OK)
		return cli_fail(&err);
	show_url(p, url, false);
	printf(_("Then finish with: aiauth login --finish CODE_OR_URL (within %d minutes)\n"),
	       OAUTH_PKCE_PENDING_TTL / 60);
	fflush(stdout);
	return 0;
}

int login_browser(struct cli *cli, const struct provider *p, const struct login_options *opts,
                  bool paste)
{
	struct aiauth_error *err = NULL;
	struct loop *loop = NULL; /* the command's, freed by cli_close() */
	struct loopback *lb = NULL;
	struct oauth_endpoints ep = {0};
	struct oauth_pkce pk = OAUTH_PKCE_INIT;
	struct secret *input = NULL, *code = NULL;
	char *redirect_uri = NULL, *url = NULL;
	struct flow f = {0};
	enum aiauth_status st;
	int rc = 0;
	bool retryable;

	paste = paste || p->oauth.redirect == OAUTH_REDIRECT_PASTE;
	if (opts->no_wait && !paste)
		return cli_usage_error("%s", _("--no-wait works with a pasted code only: add --paste"));

	if ((st = session_loop(cli->session, &loop, &err)) != AIAUTH_OK ||
	    (st = oauth_endpoints_resolve(loop, p, &ep, &err)) != AIAUTH_OK ||
	    (st = oauth_pkce_new(&pk, &err)) != AIAUTH_OK)
		goto fail;
	if (!ep.authorization || !ep.token) {
		st = error_set(&err, AIAUTH_NOT_CONFIGURED,
		               _("%s: the provider's authorization or token endpoint is unknown"),
		               p->id);
		goto fail;
	}

	if (paste) {
		redirect_uri = paste_redirect_uri(p);
		if (!redirect_uri) {
			st = error_set(&err, AIAUTH_NOT_CONFIGURED,
			               _("%s: no redirect address for a pasted code"), p->id);
			goto fail;
		}
	} else {
		struct loopback_options lo = {
			.port = p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_FIXED ? p->oauth.redirect_port
			                                                           : 0,
			.path = p->oauth.redirect_path,
			.state = pk.state,
			.timeout_ms = LOOPBACK_WAIT_MS,
		};
		if ((st = loopback_start(loop, &lo, on_loopback, &f, &lb, &err)) != AIAUTH_OK)
			goto fail;
		/* A provider that registered its exact loopback URI (Codex:
		 * http://localhost:1455/auth/callback) must be sent that URI; the
		 * listener still binds 127.0.0.1 on its port and path. */
		const char *registered = p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_FIXED &&
		                                 p->oauth.redirect_uri && *p->oauth.redirect_uri
		                             ? p->oauth.redirect_uri
		                             : NULL;
		redirect_uri = strdup(registered ? registered : loopback_redirect_uri(lb));
		if (!redirect_uri) {
			st = error_set(&err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto fail;
		}
	}
	if ((st = oauth_pkce_authorization_url(p, ep.authorization, redirect_uri, &pk, &url,
	                                       &err)) != AIAUTH_OK)
		goto fail;

	if (opts->no_wait) {
		rc = save_pending(cli, p, &ep, &pk, redirect_uri, url, opts);
		goto out;
	}

	bool opened = browser_available();
	show_url(p, url, opened);
	if (opened)
		browser_launch(url);

	if (paste) {
		if ((st = read_paste(false, &input, &err)) != AIAUTH_OK ||
		    (st = oauth_pkce_parse_paste(input, pk.state, &code, &err)) != AIAUTH_OK)
			goto fail;
	} else {
		printf(_("Waiting for the browser (up to %d minutes; Ctrl-C cancels)...\n"),
		       LOOPBACK_WAIT_MS / 60000);
		fflush(stdout);
		if ((st = loop_run_until(loop, &f.done, &err)) != AIAUTH_OK)
			goto fail;
		loopback_free(lb);
		lb = NULL;
		if (f.status != AIAUTH_OK) {
			st = f.status;
			err = f.err;
			f.err = NULL;
			goto fail;
		}
		code = f.code;
		f.code = NULL;
	}
	st = exchange_and_save(cli, loop, p, &ep, code, redirect_uri, &pk, opts, &retryable, &err);
	if (st != AIAUTH_OK)
		goto fail;
	goto out;
fail:
	rc = cli_fail(&err);
out:
	loopback_free(lb);
	secret_free(f.code);
	error_clear(&f.err);
	secret_free(input);
	secret_free(code);
	free(url);
	free(redirect_uri);
	oauth_pkce_clear(&pk);
	oauth_endpoints_clear(&ep);
	return rc;
}

int login_finish(struct cli *cli, const char *code_or_url)
{
	struct aiauth_error *err = NULL;
	struct secretstore *ss = NULL;
	struct loop *loop = NULL; /* the command's, freed by cli_close() */
	struct oauth_pkce_pending pd = {0};
	struct secret *input = NULL, *code = NULL;
	const struct provider *p = NULL;
	enum aiauth_status st;
	bool retryable = false;
	int rc = 0;

	if ((st = session_secrets(cli->session, &ss, &err)) != AIAUTH_OK)
		goto fail;
	st = oauth_pkce_pending_load(ss, NULL, oauth_now(), &pd, &err);
	if (st == AIAUTH_NOT_FOUND) {
		error_clear(&err);
		rc = cli_usage_error("%s", _("there is no sign-in to finish; start one with: aiauth "
		                             "login PROVIDER --paste --no-wait"));
		goto out;
	}
	if (st != AIAUTH_OK)
		goto fail;
	if ((st = session_provider(cli->session, pd.provider, &p, &err)) != AIAUTH_OK)
		goto fail;

	if (code_or_url)
		input = secret_from_str(code_or_url);
	else if ((st = read_paste(true, &input, &err)) != AIAUTH_OK)
		goto fail;
	if (!input) {
		st = error_set(&err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto fail;
	}
	/* A wrong paste (another sign-in's code, a typo) keeps the pending
	 * sign-in for a second try; a refusal from the provider ends it. */
	st = oauth_pkce_parse_paste(input, pd.pk.state, &code, &err);
	if (st == AIAUTH_DENIED || st == AIAUTH_REJECTED)
		oauth_pkce_pending_delete(ss, NULL, NULL);
	if (st != AIAUTH_OK)
		goto fail;

	if ((st = session_loop(cli->session, &loop, &err)) != AIAUTH_OK)
		goto fail;
	struct login_options opts = {.label = pd.label};
	st = exchange_and_save(cli, loop, p, &pd.ep, code, pd.redirect_uri, &pd.pk, &opts,
	                       &retryable, &err);
	/* A spent or refused code cannot be tried again; a network failure
	 * can, until the pending sign-in expires. */
	if (st == AIAUTH_OK || !retryable) {
		struct aiauth_error *derr = NULL;
		if (oauth_pkce_pending_delete(ss, NULL, &derr) != AIAUTH_OK && st == AIAUTH_OK)
			cli_warn(_("could not remove the pending sign-in: %s"), derr->message);
		error_clear(&derr);
	}
	if (st != AIAUTH_OK)
		goto fail;
	goto out;
fail:
	rc = cli_fail(&err);
out:
	secret_free(input);
	secret_free(code);
	oauth_pkce_pending_clear(&pd);
	return rc;
}
