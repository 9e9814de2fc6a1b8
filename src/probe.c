/* probe.c - does a credential work, which models are there, which local
 * servers answer.
 *
 * A probe is one GET of the provider's model-list endpoint.  The credential
 * goes in a header built inside a struct secret; http.c copies it into
 * curl's list and wipes that copy, so no plain copy outlives probe_start().
 * What the server says back is reduced to one of the probe outcomes plus a
 * short, sanitised line: the server's own error message when it gave one
 * (with the credential cut out if it echoed it), else curl's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "jsonutil.h"
#include "probe.h"

#define DEFAULT_PROBE_TIMEOUT_MS 15000L
#define DEFAULT_DETECT_TIMEOUT_MS 1500L
/* Some catalogues (OpenRouter) describe hundreds of models at length. */
#define PROBE_MAX_BODY ((size_t)8 << 20)
#define DETAIL_MAX 200
#define ANTHROPIC_VERSION "2023-06-01"

struct probe {
	struct loop *loop;
	struct http_transfer *transfer;
	int timer; /* delivers PROBE_UNSUPPORTED from the loop */
	bool in_callback;
	probe_done_fn done;
	void *ctx;
	struct secret *credential; /* to cut out of echoed error messages */
	struct probe_result result;
};

const char *probe_outcome_text(enum probe_outcome o)
{
	switch (o) {
	case PROBE_VALID:
		return N_("valid");
	case PROBE_INVALID_KEY:
		return N_("invalid key");
	case PROBE_UNREACHABLE:
		return N_("unreachable");
	case PROBE_TLS:
		return N_("TLS error");
	case PROBE_TIMEOUT:
		return N_("timed out");
	case PROBE_SERVER_ERROR:
		return N_("server error");
	case PROBE_BAD_RESPONSE:
		return N_("not a model list");
	case PROBE_UNSUPPORTED:
		return N_("cannot be tested");
	}
	return N_("unknown");
}

void probe_result_clear(struct probe_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_models; i++)
		free(r->models[i]);
	free(r->models);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* ------------------------------------------------------------ parsing */

/* The id of one entry of a model list, per shape; NULL when it has none. */
static const char *entry_id(yajl_val entry, bool models_shape)
{
	if (!YAJL_IS_OBJECT(entry))
		return NULL;
	if (!models_shape)
		return json_get_string(entry, "id");
	const char *id = json_get_string(entry, "name");
	if (!id)
		id = json_get_string(entry, "model");
	if (!id)
		id = json_get_string(entry, "id");
	/* Gemini names its models "models/gemini-2.5-pro"; people and tools
	 * say "gemini-2.5-pro". */
	if (id && strncmp(id, "models/", 7) == 0 && id[7])
		id += 7;
	return id;
}

enum aiauth_status probe_parse_models(const char *body, size_t len, char ***ids, size_t *n,
                                      struct aiauth_error **err)
{
	enum aiauth_status st;
	yajl_val root = NULL;
	char **out = NULL;
	size_t count = 0;
	*ids = NULL;
	*n = 0;

	st = json_parse(body, len, &root, err);
	if (st != AIAUTH_OK)
		goto out;
	yajl_val list = NULL;
	bool models_shape = false;
	if (YAJL_IS_ARRAY(root)) {
		list = root; /* Together: a bare array of {"id": ...} */
	} else if (YAJL_IS_OBJECT(root)) {
		list = json_get_array(root, "data");
		if (!list && (list = json_get_array(root, "models")))
			models_shape = true;
	}
	if (!list) {
		st = error_set(err, AIAUTH_CORRUPT, "%s",
		               _("not a model list: no \"data\" or \"models\" array"));
		goto out;
	}
	size_t len_list = YAJL_GET_ARRAY(list)->len;
	if (len_list) {
		out = calloc(len_list, sizeof(*out));
		if (!out) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
	}
	for (size_t i = 0; i < len_list; i++) {
		const char *id = entry_id(YAJL_GET_ARRAY(list)->values[i], models_shape);
		if (!id || !*id)
			continue; /* tolerate odd entries among good ones */
		if (!(out[count] = strdup(id))) {
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
		count++;
	}
	if (len_list && !count) {
		st = error_set(err, AIAUTH_CORRUPT, "%s", _("not a model list: no entry has an id"));
		goto out;
	}
	*ids = out;
	*n = count;
	out = NULL;
	count = 0;
out:
	free_ids(out, count);
	json_free(root);
	return st;
}

/* ------------------------------------------------------------ detail */

/* Cut every occurrence of the credential out of s (in place). */
static void redact(char *s, const struct secret *cred)
{
	if (!s || !cred || cred->len < 4)
		return;
	const char *mask = "[redacted]";
	size_t mlen = strlen(mask);
	char *from = s, *p;
	while ((p = strstr(from, (const char *)cred->buf))) {
		/* In place: the mask replaces a credential at least as long, a
		 * shorter credential becomes stars. */
		if (cred->len >= mlen) {
			memcpy(p, mask, mlen);
			memmove(p + mlen, p + cred->len, strlen(p + cred->len) + 1);
			from = p + mlen;
		} else {
			memset(p, '*', cred->len);
			from = p + cred->len;
		}
	}
}

/* One line of at most DETAIL_MAX bytes, control characters dropped, cut on a
 * UTF-8 boundary. */
static char *sanitize_line(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	size_t j = 0;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			space = j > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (space) {
			d[j++] = ' ';
			space = false;
		}
		d[j++] = (char)c;
	}
	if (j > DETAIL_MAX) {
		j = DETAIL_MAX;
		while (j && ((unsigned char)d[j] & 0xC0) == 0x80)
			j--;
	}
	d[j] = '\0';
	return d;
}

/* The message in an error body: {"error":{"message":..}}, {"error":".."},
 * {"message":".."} or FastAPI's {"detail":".."}. */
static const char *error_message(yajl_val root)
{
	if (!YAJL_IS_OBJECT(root))
		return NULL;
	yajl_val e = json_get(root, "error");
	if (YAJL_IS_STRING(e))
		return YAJL_GET_STRING(e);
	const char *m = json_get_string(e, "message");
	if (m)
		return m;
	m = json_get_string(root, "message");
	if (m)
		return m;
	return json_get_string(root, "detail");
}

/* Gemini answers a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID. */
static bool gemini_bad_key(yajl_val root)
{
	yajl_val details = json_get_array(json_get_object(root, "error"), "details");
	for (size_t i = 0; details && i < YAJL_GET_ARRAY(details)->len; i++) {
		const char *reason = json_get_string(YAJL_GET_ARRAY(details)->values[i], "reason");
		if (reason && strcmp(reason, "API_KEY_INVALID") == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ outcomes */

static void set_detail(struct probe *p, const char *prefix, const char *msg)
{
	char line[DETAIL_MAX * 2 + 64];
	if (prefix && msg && *msg)
		snprintf(line, sizeof(line), "%s: %s", prefix, msg);
	else
		snprintf(line, sizeof(line), "%s", prefix ? prefix : msg ? msg : "");
	redact(line, p->credential);
	p->result.detail = sanitize_line(line);
	secure_wipe(line, sizeof(line));
}

static void judge_status(struct probe *p, const struct http_response *resp)
{
	struct probe_result *r = &p->result;
	long code = resp->status;
	r->http_status = code;
	if (code >= 200 && code < 300) {
		struct aiauth_error *perr = NULL;
		if (probe_parse_models((const char *)resp->body->buf, resp->body->len, &r->models,
		                       &r->n_models, &perr) == AIAUTH_OK) {
			r->outcome = PROBE_VALID;
		} else {
			r->outcome = PROBE_BAD_RESPONSE;
			if (resp->body->len == 0)
				set_detail(p, _("empty answer"), NULL);
			else if (resp->content_type && !strstr(resp->content_type, "json"))
				set_detail(p, _("the answer is not JSON"), resp->content_type);
			else
				set_detail(p, perr ? perr->message : _("not a model list"), NULL);
		}
		error_clear(&perr);
		return;
	}

	/* An error body may quote what was sent: parse it and free it wiped. */
	yajl_val root = NULL;
	struct aiauth_error *perr = NULL;
	if (resp->body->len)
		json_parse((const char *)resp->body->buf, resp->body->len, &root, &perr);
	error_clear(&perr);
	const char *msg = error_message(root);
	if (code == 401 || code == 403 || (code == 400 && gemini_bad_key(root)))
		r->outcome = PROBE_INVALID_KEY;
	else
		r->outcome = PROBE_SERVER_ERROR;
	/* The status is in http_status, which every message shows: the detail
	 * is only the server's own words ("HTTP 500: HTTP 500" otherwise). */
	if (msg && *msg)
		set_detail(p, NULL, msg);
	json_free_wiped(root);
}

static void finish(struct probe *p)
{
	p->in_callback = true;
	p->done(p->ctx, &p->result);
	probe_result_clear(&p->result);
	secret_free(p->credential);
	free(p);
}

static void on_response(void *ctx, const struct http_response *resp)
{
	struct probe *p = ctx;
	p->transfer = NULL; /* http.c frees it after we return */
	switch (resp->outcome) {
	case HTTP_DONE:
		judge_status(p, resp);
		break;
	case HTTP_TLS:
		p->result.outcome = PROBE_TLS;
		set_detail(p, NULL, resp->error);
		break;
	case HTTP_TIMEOUT:
		p->result.outcome = PROBE_TIMEOUT;
		set_detail(p, NULL, resp->error);
		break;
	case HTTP_TOO_LARGE:
		p->result.outcome = PROBE_BAD_RESPONSE;
		set_detail(p, NULL, resp->error);
		break;
	case HTTP_UNREACHABLE:
	case HTTP_REFUSED_URL:
	case HTTP_FAILED:
	default:
		p->result.outcome = PROBE_UNREACHABLE;
		set_detail(p, NULL, resp->error);
		break;
	}
	finish(p);
}

static void on_unsupported(void *ctx)
{
	struct probe *p = ctx;
	p->timer = 0;
	p->result.outcome = PROBE_UNSUPPORTED;
	finish(p);
}

/* ------------------------------------------------------------ requests */

/* Percent-encode for a query value (API versions are plain, but a user
 * typed this one). */
static bool append_query_value(char *dst, size_t cap, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = strlen(dst);
	for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
		bool plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		             (*s >= '0' && *s <= '9') || strchr("-._~", *s);
		if (j + (plain ? 1 : 3) >= cap)
			return false;
		if (plain) {
			dst[j++] = (char)*s;
		} else {
			dst[j++] = '%';
			dst[j++] = hex[*s >> 4];
			dst[j++] = hex[*s & 15];
		}
	}
	dst[j] = '\0';
	return true;
}

static char *models_url(const struct probe_target *target)
{
	const struct provider *pv = target->provider;
	const char *base = target->base_url ? target->base_url : pv->base_url;
	const char *path = pv->models_path;
	if (!base || !path)
		return NULL;
	size_t blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	const char *api_version =
		target->api_version ? target->api_version : pv->default_api_version;
	size_t cap = blen + strlen(path) + 2 + (api_version ? 16 + 3 * strlen(api_version) : 0);
	char *url = malloc(cap);
	if (!url)
		return NULL;
	snprintf(url, cap, "%.*s%s%s", (int)blen, base, path[0] == '/' ? "" : "/", path);
	if (pv->models_auth == MODELS_AUTH_AZURE && api_version) {
		strcat(url, strchr(path, '?') ? "&api-version=" : "?api-version=");
		append_query_value(url, cap, api_version);
	}
	return url;
}

/* "Name: " + credential, in a secret. */
static struct secret *auth_header(const char *name, const struct secret *cred)
{
	struct secret *h = secret_new(strlen(name) + cred->len + 1);
	if (!h)
		return NULL;
	if (secret_append(h, name, strlen(name)) != AIAUTH_OK ||
	    secret_append(h, cred->buf, cred->len) != AIAUTH_OK) {
		secret_free(h);
		return NULL;
	}
	return h;
}

struct probe *probe_start(struct loop *loop, const struct probe_target *target,
                          probe_done_fn done, void *ctx, struct aiauth_error **err)
{
	struct probe *p = NULL;
	char *url = NULL;
	struct secret *auth = NULL;
	const struct provider *pv = target->provider;
	if (!pv) {
		error_set(err, AIAUTH_USAGE, "%s", _("no provider to test"));
		goto fail;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		goto oom;
	p->loop = loop;
	p->done = done;
	p->ctx = ctx;

	if (!pv->models_path || pv->models_auth == MODELS_AUTH_SIGV4) {
		/* Nothing to send; still answer from the loop, like every probe. */
		p->timer = loop_add_timer(loop, 0, on_unsupported, p);
		if (!p->timer)
			goto oom;
		return p;
	}
	if (!target->base_url && !pv->base_url) {
		error_set(err, AIAUTH_USAGE, _("%s needs a base URL to be tested"), pv->id);
		goto fail;
	}
	if (!(url = models_url(target)))
		goto oom;

	const struct secret *cred = target->credential;
	if (cred && cred->len) {
		if (!(p->credential = secret_from_mem(cred->buf, cred->len)))
			goto oom;
		switch (pv->models_auth) {
		case MODELS_AUTH_BEARER:
			auth = auth_header("Authorization: Bearer ", cred);
			break;
		case MODELS_AUTH_X_API_KEY:
			auth = auth_header("x-api-key: ", cred);
			break;
		case MODELS_AUTH_GOOG:
			auth = auth_header("x-goog-api-key: ", cred);
			break;
		case MODELS_AUTH_AZURE:
			auth = auth_header("api-key: ", cred);
			break;
		case MODELS_AUTH_NONE:
		case MODELS_AUTH_SIGV4:
			break;
		}
		if (pv->models_auth != MODELS_AUTH_NONE && !auth)
			goto oom;
	}
	const char *headers[4];
	size_t nh = 0;
	headers[nh++] = "Accept: application/json";
	if (auth)
		headers[nh++] = (const char *)auth->buf;
	if (pv->models_auth == MODELS_AUTH_X_API_KEY)
		headers[nh++] = "anthropic-version: " ANTHROPIC_VERSION;
	headers[nh] = NULL;

	struct http_request req = {
		.method = "GET",
		.url = url,
		.headers = headers,
		.timeout_ms = target->timeout_ms ? target->timeout_ms : DEFAULT_PROBE_TIMEOUT_MS,
		.max_body = PROBE_MAX_BODY,
	};
	p->transfer = http_start(loop, &req, on_response, p, err);
	if (!p->transfer)
		goto fail;
	secret_free(auth);
	free(url);
	return p;
oom:
	error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
fail:
	secret_free(auth);
	free(url);
	if (p)
		secret_free(p->credential);
	free(p);
	return NULL;
}

void probe_cancel(struct probe *p)
{
	if (!p || p->in_callback)
		return;
	if (p->transfer)
		http_cancel(p->transfer);
	if (p->timer)
		loop_cancel_timer(p->loop, p->timer);
	probe_result_clear(&p->result);
	secret_free(p->credential);
	free(p);
}

static enum aiauth_status result_copy(struct probe_result *dst, const struct probe_result *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->outcome = src->outcome;
	dst->http_status = src->http_status;
	if (src->detail && !(dst->detail = strdup(src->detail)))
		goto oom;
	if (src->n_models) {
		if (!(dst->models = calloc(src->n_models, sizeof(*dst->models))))
			goto oom;
		for (; dst->n_models < src->n_models; dst->n_models++)
			if (!(dst->models[dst->n_models] = strdup(src->models[dst->n_models])))
				goto oom;
	}
	return AIAUTH_OK;
oom:
	probe_result_clear(dst);
	return AIAUTH_NO_MEMORY;
}

struct run_state {
	struct probe_result *out;
	enum aiauth_status st;
	bool done;
};

static void run_done(void *ctx, const struct probe_result *r)
{
	struct run_state *s = ctx;
	s->st = result_copy(s->out, r);
	s->done = true;
}

enum aiauth_status probe_run(const struct probe_target *target, struct probe_result *out,
                             struct aiauth_error **err)
{
	struct loop *loop = NULL;
	memset(out, 0, sizeof(*out));
	struct run_state s = {.out = out};
	enum aiauth_status st = loop_new(&loop, err);
	if (st != AIAUTH_OK)
		goto out;
	struct probe *p = probe_start(loop, target, run_done, &s, err);
	if (!p) {
		st = err && *err ? (*err)->status : AIAUTH_FAILED;
		goto out;
	}
	st = loop_run_until(loop, &s.done, err);
	if (st != AIAUTH_OK) {
		if (!s.done)
			probe_cancel(p);
		probe_result_clear(out);
		goto out;
	}
	if (s.st != AIAUTH_OK)
		st = error_set(err, s.st, "%s", _("out of memory"));
out:
	loop_free(loop);
	return st;
}

/* ------------------------------------------------------------ detection */

/* `url` with its port set to `port` ("http://127.0.0.1:11434/v1" ->
 * "http://127.0.0.1:5555/v1"); NULL when it has no host or on OOM. */
static char *url_with_port(const char *url, int port)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return NULL;
	const char *auth = sep + 3;
	const char *end = auth + strcspn(auth, "/?#");
	const char *host = auth;
	for (const char *q = auth; q < end; q++)
		if (*q == '@')
			host = q + 1;
	const char *host_end;
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			return NULL;
		host_end++;
	} else {
		host_end = memchr(host, ':', (size_t)(end - host));
		if (!host_end)
			host_end = end;
	}
	if (host_end == host)
		return NULL;
	size_t cap = strlen(url) + 16;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	snprintf(out, cap, "%.*s:%d%s", (int)(host_end - url), url, port, end);
	return out;
}

struct detect_state;
struct detect_slot {
	struct detect_state *state;
	struct detect_result *result;
	struct probe *probe;
};
struct detect_state {
	size_t pending;
};

static void detect_done(void *ctx, const struct probe_result *r)
{
	struct detect_slot *slot = ctx;
	slot->probe = NULL;
	slot->result->found = r->outcome == PROBE_VALID;
	slot->result->n_models = r->n_models;
	slot->state->pending--;
}

enum aiauth_status detect_providers(const struct provider *const *providers, size_t n_providers,
                                    const struct detect_port *ports, size_t n_ports,
                                    long timeout_ms, struct detect_result **results, size_t *n,
                                    struct aiauth_error **err)
{
	enum aiauth_status st = AIAUTH_OK;
	struct loop *loop = NULL;
	struct detect_result *res = NULL;
	struct detect_slot *slots = NULL;
	struct detect_state state = {0};
	*results = NULL;
	*n = 0;
	if (!n_providers)
		return AIAUTH_OK;
	res = calloc(n_providers, sizeof(*res));
	slots = calloc(n_providers, sizeof(*slots));
	if (!res || !slots) {
		st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
		goto out;
	}
	st = loop_new(&loop, err);
	if (st != AIAUTH_OK)
		goto out;

	/* Start them all, then wait for all: one slow server costs the
	 * timeout once, not once per provider. */
	for (size_t i = 0; i < n_providers; i++) {
		const struct provider *pv = providers[i];
		res[i].provider = pv;
		if (!pv->base_url)
			continue;
		int port = 0;
		for (size_t k = 0; k < n_ports; k++)
			if (ports[k].provider && strcmp(ports[k].provider, pv->id) == 0)
				port = ports[k].port;
		res[i].base_url = port > 0 ? url_with_port(pv->base_url, port) : strdup(pv->base_url);
		if (!res[i].base_url) {
			if (port > 0)
				continue; /* a base URL we cannot rewrite: not found */
			st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
			goto out;
		}
		struct probe_target target = {
			.provider = pv,
			.base_url = res[i].base_url,
			.timeout_ms = timeout_ms ? timeout_ms : DEFAULT_DETECT_TIMEOUT_MS,
		};
		slots[i].state = &state;
		slots[i].result = &res[i];
		/* A provider we cannot ask (no model list, refused URL) is simply
		 * not found; detection goes on with the others. */
		struct aiauth_error *perr = NULL;
		slots[i].probe = probe_start(loop, &target, detect_done, &slots[i], &perr);
		if (slots[i].probe)
			state.pending++;
		else if (perr && perr->status == AIAUTH_NO_MEMORY)
			st = AIAUTH_NO_MEMORY;
		error_clear(&perr);
		if (st != AIAUTH_OK) {
			error_set(err, st, "%s", _("out of memory"));
			goto out;
		}
	}
	while (state.pending) {
		st = loop_run_once(loop, -1, err);
		if (st != AIAUTH_OK)
			goto out;
	}
	*results = res;
	*n = n_providers;
	res = NULL;
out:
	for (size_t i = 0; slots && i < n_providers; i++)
		probe_cancel(slots[i].probe);
	loop_free(loop);
	free(slots);
	detect_results_free(res, n_providers);
	return st;
}

enum aiauth_status detect_local(const struct registry *reg, const struct detect_port *ports,
                                size_t n_ports, long timeout_ms,
                                struct detect_result **results, size_t *n,
                                struct aiauth_error **err)
{
	size_t count = registry_count(reg), k = 0;
	const struct provider **local = calloc(count ? count : 1, sizeof(*local));
	if (!local)
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	for (size_t i = 0; i < count; i++) {
		const struct provider *pv = registry_at(reg, i);
		if (pv && pv->group == PROVIDER_GROUP_LOCAL)
			local[k++] = pv;
	}
	enum aiauth_status st =
		detect_providers(local, k, ports, n_ports, timeout_ms, results, n, err);
	free(local);
	return st;
}

void detect_results_free(struct detect_result *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		free(r[i].base_url);
	free(r);
}
