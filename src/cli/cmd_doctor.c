/* cmd_doctor.c - "aiauth doctor": run the checks of doctor.h and show each
 * finding with what to do.  Exit status 0 when no finding is an error,
 * else 1. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "doctor.h"
#include "jsonutil.h"

static const char *severity_label(enum doctor_severity s)
{
	switch (s) {
	case DOCTOR_OK:
		return _("ok");
	case DOCTOR_INFO:
		return _("info");
	case DOCTOR_WARN:
		return _("warn");
	case DOCTOR_ERROR:
		return _("error");
	}
	return "?";
}

/* {"findings":[{"id","severity","summary","fix"}...],"ok":bool} */
static int print_json(const struct doctor_report *r)
{
	yajl_gen g = json_gen_new(true);
	bool ok = g && yajl_gen_map_open(g) == yajl_gen_status_ok && json_gen_key(g, "findings") &&
	          yajl_gen_array_open(g) == yajl_gen_status_ok;
	for (size_t i = 0; ok && i < r->n; i++) {
		const struct doctor_finding *f = &r->items[i];
		ok = yajl_gen_map_open(g) == yajl_gen_status_ok && json_gen_key_string(g, "id", f->id) &&
		     json_gen_key_string(g, "severity", doctor_severity_name(f->severity)) &&
		     json_gen_key_string(g, "summary", f->summary) &&
		     json_gen_key_string(g, "fix", f->fix) &&
		     yajl_gen_map_close(g) == yajl_gen_status_ok;
	}
	ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok &&
	     json_gen_key_bool(g, "ok", doctor_worst(r) < DOCTOR_ERROR) &&
	     yajl_gen_map_close(g) == yajl_gen_status_ok;
	if (!ok) {
		if (g)
			yajl_gen_free(g);
		fprintf(stderr, "aiauth: %s\n", _("cannot generate JSON"));
		return 1;
	}
	char *text = NULL;
	struct aiauth_error *err = NULL;
	if (json_gen_take_str(g, &text, NULL, &err) != AIAUTH_OK)
		return cli_fail(&err);
	printf("%s\n", text);
	free(text);
	return 0;
}

static void print_text(const struct doctor_report *r)
{
	size_t errors = 0, warnings = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_finding *f = &r->items[i];
		printf("%-6s %s\n", severity_label(f->severity), f->summary);
		if (f->fix[0])
			printf("       %s %s\n", _("fix:"), f->fix);
		errors += f->severity == DOCTOR_ERROR;
		warnings += f->severity == DOCTOR_WARN;
	}
	if (errors == 0 && warnings == 0)
		printf("%s\n", _("No problems found."));
	else
		printf(_("%zu error(s), %zu warning(s).\n"), errors, warnings);
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	bool json = false, offline = false;
	const struct cli_opt opts[] = {
		{"--json", NULL, &json, NULL},
		{"--offline", NULL, &offline, NULL},
		{0},
	};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 0, &npos, NULL);
	if (rc)
		return rc;
	struct doctor_options o = {
		.forced_backend = session_forced_backend(cli->session),
		.passphrase_file = cli->passphrase_file,
		.tty_fd = STDOUT_FILENO,
		.no_network = offline,
	};
	struct doctor_report r = DOCTOR_REPORT_INIT;
	struct aiauth_error *err = NULL;
	if (doctor_run(&o, &r, &err) != AIAUTH_OK) {
		doctor_report_clear(&r);
		return cli_fail(&err);
	}
	if (json)
		rc = print_json(&r);
	else
		print_text(&r);
	if (rc == 0 && doctor_worst(&r) == DOCTOR_ERROR)
		rc = 1;
	doctor_report_clear(&r);
	return rc;
}
