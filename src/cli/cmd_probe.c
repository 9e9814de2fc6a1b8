/* cmd_probe.c - test, models, detect: asking providers and local servers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "credential.h"
#include "jsonutil.h"
#include "probe.h"

/* "PROVIDER" resolves like token does; anything else is an account name. */
static int resolve_target(struct cli *cli, const char *what, const char *account,
                          const struct provider **p, struct account **a,
                          struct credential **cred)
{
	struct aiauth_error *err = NULL;
	struct registry *reg;
	if (session_registry(cli->session, &reg, &err) != AIAUTH_OK)
		return cli_fail(&err);
	*p = registry_find(reg, what);
	if (!*p) {
		struct store *store = NULL;
		struct account *found = NULL;
		if (store_load(NULL, &store, &err) != AIAUTH_OK ||
		    store_lookup(store, NULL, what, &found, &err) != AIAUTH_OK) {
			store_free(store);
			if (err && err->status == AIAUTH_NOT_FOUND) {
				error_clear(&err);
				return cli_usage_error(_("\"%s\" is neither a provider nor an account"), what);
			}
			return cli_fail(&err);
		}
		*p = registry_find(reg, found->provider);
		account = found->id;
		char *id = strdup(found->id);
		char *prov = strdup(found->provider);
		store_free(store);
		if (!*p) {
			int rc = cli_usage_error(_("the account's provider \"%s\" is unknown"), prov);
			free(id);
			free(prov);
			return rc;
		}
		int rc = 0;
		if (session_resolve(cli->session, prov, id, a, cred, &err) != AIAUTH_OK)
			rc = cli_fail(&err);
		free(id);
		free(prov);
		return rc;
	}
	if (session_resolve(cli->session, (*p)->id, account, a, cred, &err) != AIAUTH_OK)
		return cli_fail(&err);
	return 0;
}

static int probe_exit(enum probe_outcome o)
{
	switch (o) {
	case PROBE_VALID:
		return 0;
	case PROBE_INVALID_KEY:
		return status_exit_code(AIAUTH_REJECTED);
	case PROBE_UNREACHABLE:
	case PROBE_TLS:
	case PROBE_TIMEOUT:
	case PROBE_SERVER_ERROR:
		return status_exit_code(AIAUTH_NETWORK);
	case PROBE_BAD_RESPONSE:
	case PROBE_UNSUPPORTED:
		break;
	}
	return 1;
}

static int run_probe(struct cli *cli, const char *what, const char *account,
                     struct probe_result *res, const struct provider **pp, struct account **aa)
{
	const struct provider *p = NULL;
	struct account *a = NULL;
	struct credential *cred = NULL;
	int rc = resolve_target(cli, what, account, &p, &a, &cred);
	if (rc)
		return rc;
	const struct secret *key = NULL;
	if (a->kind == ACCOUNT_OAUTH)
		key = credential_get(cred, "access_token");
	else if (a->kind == ACCOUNT_API_KEY && p->n_fields == 1)
		key = credential_get(cred, p->fields[0].name);
	struct probe_target t = {
		.provider = p,
		.base_url = a->base_url,
		.api_version = a->api_version,
		.credential = key,
	};
	struct aiauth_error *err = NULL;
	enum aiauth_status st = probe_run(&t, res, &err);
	credential_free(cred);
	if (st != AIAUTH_OK) {
		account_free(a);
		return cli_fail(&err);
	}
	*pp = p;
	*aa = a;
	return 0;
}

int cmd_test(struct cli *cli, int argc, char **argv)
{
	const char *account = NULL;
	const struct cli_opt opts[] = {{"--account", &account, NULL, NULL}, {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 1, &npos, NULL);
	if (rc)
		return rc;
	if (npos != 1)
		return cli_usage_error("%s", _("usage: aiauth test PROVIDER|ACCOUNT"));
	struct probe_result res = {0};
	const struct provider *p = NULL;
	struct account *a = NULL;
	rc = run_probe(cli, pos[0], account, &res, &p, &a);
	if (rc)
		return rc;
	char head[512];
	snprintf(head, sizeof(head), "%s \"%s\"", p->id, a->label);
	switch (res.outcome) {
	case PROBE_VALID:
		printf(_("%s: valid, %zu models\n"), head, res.n_models);
		break;
	case PROBE_INVALID_KEY:
		fprintf(stderr, _("aiauth: %s: invalid key (HTTP %ld%s%s)\n"), head, res.http_status,
		        res.detail ? ": " : "", res.detail ? res.detail : "");
		break;
	case PROBE_UNREACHABLE:
		fprintf(stderr, _("aiauth: %s: unreachable (%s)\n"), head,
		        res.detail ? res.detail : _("no answer"));
		break;
	case PROBE_TLS:
		fprintf(stderr, _("aiauth: %s: TLS error (%s)\n"), head,
		        res.detail ? res.detail : _("the certificate was refused"));
		break;
	case PROBE_TIMEOUT:
		fprintf(stderr, _("aiauth: %s: timed out (%s)\n"), head,
		        res.detail ? res.detail : _("no answer in time"));
		break;
	case PROBE_SERVER_ERROR:
		fprintf(stderr, _("aiauth: %s: the server answered with an error (HTTP %ld%s%s)\n"),
		        head, res.http_status, res.detail ? ": " : "", res.detail ? res.detail : "");
		break;
	case PROBE_BAD_RESPONSE:
		fprintf(stderr, _("aiauth: %s: the answer is not a model list (%s)\n"), head,
		        res.detail ? res.detail : _("unexpected content"));
		break;
	case PROBE_UNSUPPORTED:
		fprintf(stderr, _("aiauth: %s: cannot be tested: aiauth knows no model-list endpoint "
		                  "for %s\n"),
		        head, _(p->name));
		break;
	}
	rc = probe_exit(res.outcome);
	probe_result_clear(&res);
	account_free(a);
	return rc;
}

int cmd_models(struct cli *cli, int argc, char **argv)
{
	const char *account = NULL;
	bool json = false;
	const struct cli_opt opts[] = {{"--account", &account, NULL, NULL},
	                               {"--json", NULL, &json, NULL},
	                               {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 1, &npos, NULL);
	if (rc)
		return rc;
	if (npos != 1)
		return cli_usage_error("%s", _("usage: aiauth models PROVIDER|ACCOUNT [--json]"));
	struct probe_result res = {0};
	const struct provider *p = NULL;
	struct account *a = NULL;
	rc = run_probe(cli, pos[0], account, &res, &p, &a);
	if (rc)
		return rc;
	if (res.outcome == PROBE_INVALID_KEY || res.outcome == PROBE_SERVER_ERROR) {
		fprintf(stderr, "aiauth: %s \"%s\": %s (HTTP %ld%s%s)\n", p->id, a->label,
		        _(probe_outcome_text(res.outcome)), res.http_status, res.detail ? ": " : "",
		        res.detail ? res.detail : "");
	} else if (res.outcome != PROBE_VALID) {
		fprintf(stderr, "aiauth: %s \"%s\": %s%s%s\n", p->id, a->label,
		        _(probe_outcome_text(res.outcome)), res.detail ? ": " : "",
		        res.detail ? res.detail : "");
	} else if (json) {
		yajl_gen g = json_gen_new(true);
		bool ok = g && yajl_gen_array_open(g) == yajl_gen_status_ok;
		for (size_t i = 0; ok && i < res.n_models; i++)
			ok = json_gen_string(g, res.models[i]);
		ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok;
		char *text = NULL;
		if (ok && json_gen_take_str(g, &text, NULL, NULL) == AIAUTH_OK)
			printf("%s\n", text);
		else if (g && !ok)
			yajl_gen_free(g);
		free(text);
	} else {
		for (size_t i = 0; i < res.n_models; i++)
			printf("%s\n", res.models[i]);
	}
	rc = probe_exit(res.outcome);
	probe_result_clear(&res);
	account_free(a);
	return rc;
}

int cmd_detect(struct cli *cli, int argc, char **argv)
{
	bool json = false;
	const char *timeout = NULL;
	const char **port_args = NULL;
	const struct cli_opt opts[] = {{"--json", NULL, &json, NULL},
	                               {"--timeout", &timeout, NULL, NULL},
	                               {"--port", NULL, NULL, &port_args},
	                               {0}};
	const char *pos[1];
	int npos;
	int rc = cli_parse(argc, argv, opts, pos, 0, &npos, NULL);
	if (rc) {
		free(port_args);
		return rc;
	}
	struct aiauth_error *err = NULL;
	struct registry *reg;
	if (session_registry(cli->session, &reg, &err) != AIAUTH_OK) {
		free(port_args);
		return cli_fail(&err);
	}
	size_t n_ports = 0;
	while (port_args && port_args[n_ports])
		n_ports++;
	struct detect_port *ports = calloc(n_ports + 1, sizeof(*ports));
	char **names = calloc(n_ports + 1, sizeof(*names));
	for (size_t i = 0; ports && names && i < n_ports; i++) {
		const char *eq = strchr(port_args[i], '=');
		char *end = NULL;
		long port = eq ? strtol(eq + 1, &end, 10) : 0;
		if (!eq || !end || *end || port < 1 || port > 65535) {
			rc = cli_usage_error(_("--port takes PROVIDER=PORT, not \"%s\""), port_args[i]);
			break;
		}
		names[i] = strndup(port_args[i], (size_t)(eq - port_args[i]));
		const struct provider *p = names[i] ? registry_find(reg, names[i]) : NULL;
		if (!p || p->group != PROVIDER_GROUP_LOCAL) {
			rc = cli_usage_error(_("--port: \"%s\" is not a local server provider"),
			                     names[i] ? names[i] : "");
			break;
		}
		ports[i].provider = names[i];
		ports[i].port = (int)port;
	}
	long timeout_ms = 0;
	if (!rc && timeout) {
		char *end = NULL;
		timeout_ms = strtol(timeout, &end, 10);
		if (!end || *end || timeout_ms < 1 || timeout_ms > 60000)
			rc = cli_usage_error("%s", _("--timeout takes milliseconds, from 1 to 60000"));
	}
	struct detect_result *res = NULL;
	size_t n = 0;
	if (!rc && (!ports || !names))
		rc = cli_usage_error("%s", _("out of memory"));
	if (!rc && detect_local(reg, ports, n_ports, timeout_ms, &res, &n, &err) != AIAUTH_OK)
		rc = cli_fail(&err);
	if (!rc && json) {
		yajl_gen g = json_gen_new(true);
		bool ok = g && yajl_gen_array_open(g) == yajl_gen_status_ok;
		for (size_t i = 0; ok && i < n; i++)
			ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
			     json_gen_key_string(g, "provider", res[i].provider->id) &&
			     json_gen_key_string(g, "name", res[i].provider->name) &&
			     json_gen_key_string(g, "base_url", res[i].base_url) &&
			     json_gen_key_bool(g, "found", res[i].found) &&
			     json_gen_key_int(g, "models", (int64_t)res[i].n_models) &&
			     yajl_gen_map_close(g) == yajl_gen_status_ok;
		ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok;
		char *text = NULL;
		if (ok && json_gen_take_str(g, &text, NULL, NULL) == AIAUTH_OK)
			printf("%s\n", text);
		else if (g && !ok)
			yajl_gen_free(g);
		free(text);
	} else if (!rc) {
		for (size_t i = 0; i < n; i++) {
			if (res[i].found)
				printf(_("%-22s %-32s found, %zu models\n"), res[i].provider->id,
				       res[i].base_url, res[i].n_models);
			else
				printf(_("%-22s %-32s not running\n"), res[i].provider->id, res[i].base_url);
		}
	}
	detect_results_free(res, n);
	for (size_t i = 0; names && i < n_ports; i++)
		free(names[i]);
	free(names);
	free(ports);
	free(port_args);
	return rc;
}
