/* login_device.c - aiauth login PROVIDER --device (RFC 8628).
 *
 * The flow itself is oauth_device.c's; this file shows it.  Everything goes
 * to stderr (stdout keeps only the "Signed in" line that
 * cli_save_oauth_account() prints): the verification URL and the user code
 * each on a line of their own so they can be copied or clicked whole, then
 * a countdown.  On a terminal the countdown is one line redrawn every second
 * by a loop timer; in a log (stderr not a terminal) only state changes are
 * written, so a CI log gets a handful of lines rather than one per second.
 *
 * Ctrl-C (and SIGTERM) only set a flag and wake the loop (loop_wakeup() is
 * safe in a handler); the loop then cancels the flow, which leaves no request
 * behind.  The terminal's modes are never changed, so nothing needs to be
 * restored beyond the signal handlers.  Neither the device code nor any
 * token is ever printed: the flow keeps the former to itself and the
 * credential goes straight to cli_save_oauth_account(). */
#include "config.h"

#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "loop.h"
#include "oauth.h"
#include "oauth_device.h"

struct device_ui {
	struct loop *loop;
	struct device_flow *flow;
	const struct provider *p;
	bool tty;        /* stderr is a terminal: redraw one countdown line */
	bool utf8;
	bool shown;      /* the URL and code are on screen */
	bool line_open;  /* the countdown line is drawn (tty) */
	int interval;    /* last interval shown */
	int tick_timer;
	bool done;
};

static volatile sig_atomic_t interrupted;
static struct loop *signal_loop;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	if (signal_loop)
		loop_wakeup(signal_loop);
}

static void clear_line(struct device_ui *ui)
{
	if (ui->line_open) {
		fputs("\r\033[K", stderr);
		ui->line_open = false;
	}
}

static void draw_countdown(struct device_ui *ui)
{
	int64_t left = device_flow_seconds_left(ui->flow);
	if (left < 0)
		return;
	char when[32];
	if (left >= 3600)
		snprintf(when, sizeof(when), "%lld:%02lld:%02lld", (long long)(left / 3600),
		         (long long)(left / 60 % 60), (long long)(left % 60));
	else
		snprintf(when, sizeof(when), "%lld:%02lld", (long long)(left / 60),
		         (long long)(left % 60));
	/* \r and erase-to-end keep it one line; it is far shorter than any
	 * terminal, so it never wraps into a second one. */
	fprintf(stderr, "\r\033[K");
	fprintf(stderr, _("Waiting for approval%s code expires in %s"), ui->utf8 ? "…" : "...",
	        when);
	fflush(stderr);
	ui->line_open = true;
}

static void on_tick(void *ctx)
{
	struct device_ui *ui = ctx;
	ui->tick_timer = 0;
	if (device_flow_state(ui->flow) != DEVICE_WAITING)
		return;
	/* Each draw reads the time left afresh, so a late tick shows the right
	 * figure rather than drifting behind the real expiry. */
	draw_countdown(ui);
	ui->tick_timer = loop_add_timer(ui->loop, 1000, on_tick, ui);
}

static void show_codes(struct device_ui *ui)
{
	const char *uri = device_flow_verification_uri(ui->flow);
	const char *complete = device_flow_verification_uri_complete(ui->flow);
	const char *code = device_flow_user_code(ui->flow);

	fprintf(stderr, _("To sign in to %s, open this page in a browser:\n"), _(ui->p->name));
	fputc('\n', stderr);
	cli_print_url(stderr, uri);
	fputc('\n', stderr);
	fprintf(stderr, "%s\n", _("and enter this code:"));
	if (ui->tty)
		fprintf(stderr, "\n    \033[1m%s\033[0m\n\n", code);
	else
		fprintf(stderr, "\n    %s\n\n", code);
	if (complete) {
		fprintf(stderr, "%s\n", _("Or open this page, which fills in the code for you:"));
		fputc('\n', stderr);
		cli_print_url(stderr, complete);
		fputc('\n', stderr);
	}
	ui->shown = true;
	ui->interval = device_flow_interval(ui->flow);
	if (ui->tty) {
		draw_countdown(ui);
		ui->tick_timer = loop_add_timer(ui->loop, 1000, on_tick, ui);
	} else {
		int64_t minutes = (device_flow_seconds_left(ui->flow) + 59) / 60;
		fprintf(stderr,
		        ngettext("Waiting for approval (the code expires in %lld minute).\n",
		                 "Waiting for approval (the code expires in %lld minutes).\n",
		                 (unsigned long)minutes),
		        (long long)minutes);
	}
	fflush(stderr);
}

static void on_change(void *ctx, struct device_flow *f)
{
	struct device_ui *ui = ctx;
	switch (device_flow_state(f)) {
	case DEVICE_REQUESTING:
		return;
	case DEVICE_WAITING:
		if (!ui->shown) {
			show_codes(ui);
		} else if (device_flow_interval(f) != ui->interval) {
			ui->interval = device_flow_interval(f);
			if (!ui->tty) {
				fprintf(stderr,
				        _("The server asked for slower polling: every %d seconds.\n"),
				        ui->interval);
				fflush(stderr);
			}
		}
		return;
	default:
		/* A final state: the main loop reports it. */
		if (ui->tick_timer) {
			loop_cancel_timer(ui->loop, ui->tick_timer);
			ui->tick_timer = 0;
		}
		clear_line(ui);
		ui->done = true;
		return;
	}
}

static bool locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* The exit status of a flow that ended in ERROR: network trouble is 6, the
 * rest (a refusal by the server, a malformed answer) is a plain failure. */
static int error_exit_code(enum aiauth_status st)
{
	return status_exit_code(st) == status_exit_code(AIAUTH_NETWORK) ? status_exit_code(st) : 1;
}

/* One line on stderr for a flow that did not end in APPROVED; the exit
 * status for it. */
static int report_end(struct device_ui *ui)
{
	enum device_state st = device_flow_state(ui->flow);
	const struct aiauth_error *fe = device_flow_error(ui->flow);
	struct aiauth_error *e = NULL;
	int code;

	switch (st) {
	case DEVICE_DENIED:
		code = status_exit_code(AIAUTH_DENIED);
		break;
	case DEVICE_EXPIRED:
		code = status_exit_code(AIAUTH_EXPIRED);
		break;
	case DEVICE_CANCELLED:
		fprintf(stderr, "aiauth: %s\n", _("sign-in cancelled"));
		return status_exit_code(AIAUTH_CANCELLED);
	default:
		code = error_exit_code(fe ? fe->status : AIAUTH_FAILED);
		break;
	}
	error_set(&e, fe ? fe->status : AIAUTH_FAILED, "%s",
	          fe && fe->message[0] ? fe->message : _("sign-in failed"));
	cli_fail(&e);
	return code;
}

int login_device(struct cli *cli, const struct provider *p, const struct login_options *opts)
{
	struct loop *loop = NULL; /* the command's, freed by cli_close() */
	struct oauth_endpoints ep = {0};
	struct aiauth_error *err = NULL;
	struct device_ui ui = {0};
	struct sigaction sa, old_int, old_term;
	bool handlers = false;
	int rc;

	if (session_loop(cli->session, &loop, &err) != AIAUTH_OK ||
	    oauth_endpoints_resolve(loop, p, &ep, &err) != AIAUTH_OK) {
		rc = cli_fail(&err);
		goto out;
	}
	ui.loop = loop;
	ui.p = p;
	ui.tty = isatty(STDERR_FILENO);
	ui.utf8 = locale_is_utf8();

	interrupted = 0;
	signal_loop = loop;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	handlers = true;

	ui.flow = device_flow_start(loop, p, &ep, on_change, &ui, &err);
	if (!ui.flow) {
		rc = cli_fail(&err);
		goto out;
	}
	while (!ui.done) {
		if (interrupted) {
			device_flow_cancel(ui.flow);
			if (ui.tick_timer)
				loop_cancel_timer(loop, ui.tick_timer);
			ui.tick_timer = 0;
			clear_line(&ui);
			break;
		}
		if (loop_run_once(loop, -1, &err) != AIAUTH_OK) {
			device_flow_cancel(ui.flow);
			clear_line(&ui);
			rc = cli_fail(&err);
			goto out;
		}
	}
	fflush(stderr);

	/* Saving may ask for a passphrase or wait for the keyring: Ctrl-C is
	 * ordinary again from here. */
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	signal_loop = NULL;
	handlers = false;

	if (device_flow_state(ui.flow) != DEVICE_APPROVED) {
		rc = report_end(&ui);
		goto out;
	}
	fprintf(stderr, "%s\n", _("Approved."));
	struct credential *cred = device_flow_take_credential(ui.flow);
	DEVICE_FLOW_FREE(ui.flow);
	if (cli_save_oauth_account(cli, p, &ep, "device", cred, opts, &err) != AIAUTH_OK)
		rc = cli_fail(&err);
	else
		rc = 0;
out:
	if (handlers) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		signal_loop = NULL;
	}
	DEVICE_FLOW_FREE(ui.flow);
	oauth_endpoints_clear(&ep);
	return rc;
}
