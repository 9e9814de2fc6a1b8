/* http.c - HTTP requests on the event loop (libcurl multi).
 *
 * The rules are in http.h.  How they are kept:
 * - the URL is checked here before curl sees it, and curl is told to speak
 *   only http and https and to follow no redirect, so a 30x cannot take a
 *   request (and its Authorization header) anywhere the check did not pass;
 * - peer and host verification are set explicitly on, never off;
 * - the body cap is enforced in the write callback, and up front through
 *   CURLOPT_MAXFILESIZE when the server announces a length;
 * - every copy of a header or body that may hold a secret lives in a
 *   struct secret or is wiped before curl frees it. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curlsym.h"
#include "debug.h"
#include "http.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY ((size_t)1 << 20)
/* The largest AIAUTH_HTTP_TIMEOUT_MS taken; it only ever shortens. */
#define MAX_TIMEOUT_CAP_MS 600000L

struct http_transfer {
	struct loop *loop;
	CURL *easy;
	struct curl_slist *headers;
	struct secret *req_body;
	size_t max_body;
	bool too_large;
	bool in_callback; /* http_cancel() from the done callback is a no-op */
	/* For the trace (debug.h): the URL with its query values redacted. */
	int64_t started_ms;
	char dbg_method[8];
	char dbg_url[512];
	http_done_fn done;
	void *ctx;
	struct http_response resp;
	char errbuf[CURL_ERROR_SIZE];
};

/* ------------------------------------------------------------ URL rules */

/* Scheme and host of a URL; false when it does not parse.  The host keeps
 * IPv6 brackets off (curl gives "[::1]", we compare without them). */
static bool url_parts(const char *url, char **scheme, char **host)
{
	*scheme = *host = NULL;
	if (!url || !*url || curlsym_load(NULL) != AIAUTH_OK)
		return false;
	CURLU *u = sym_curl_url();
	if (!u)
		return false;
	bool ok = sym_curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	          sym_curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	          sym_curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK;
	sym_curl_url_cleanup(u);
	if (!ok) {
		sym_curl_free(*scheme);
		sym_curl_free(*host);
		*scheme = *host = NULL;
	}
	return ok;
}

static bool host_is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0)
		return true;
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	/* curl gives IPv6 hosts in brackets, maybe with a zone id. */
	size_t n = strlen(host);
	if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= INET6_ADDRSTRLEN)
		return false;
	char buf[INET6_ADDRSTRLEN];
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	char *zone = strchr(buf, '%');
	if (zone)
		*zone = '\0';
	struct in6_addr a6;
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

bool http_url_is_loopback(const char *url)
{
	char *scheme, *host;
	if (!url_parts(url, &scheme, &host))
		return false;
	bool ok = strcasecmp(scheme, "http") == 0 && host_is_loopback(host);
	sym_curl_free(scheme);
	sym_curl_free(host);
	return ok;
}

const char *http_url_problem(const char *url)
{
	char *scheme, *host;
	if (curlsym_load(NULL) != AIAUTH_OK)
		return N_("libcurl could not be loaded");
	if (!url_parts(url, &scheme, &host))
		return N_("not a valid URL");
	const char *problem = NULL;
	if (strcasecmp(scheme, "https") == 0)
		problem = NULL;
	else if (strcasecmp(scheme, "http") == 0)
		problem = host_is_loopback(host)
		              ? NULL
		              : N_("plain http is allowed only to this computer; use https");
	else
		problem = N_("only https URLs are allowed");
	sym_curl_free(scheme);
	sym_curl_free(host);
	return problem;
}

/* ------------------------------------------------------------ helpers */

/* curl's header list holds "Name: value" copies that may carry a key. */
static void free_wiped_slist(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		if (l->data)
			secure_wipe(l->data, strlen(l->data));
	sym_curl_slist_free_all(list);
}

static char *one_line(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; d[i]; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			continue;
		d[j++] = (char)c;
	}
	while (j && d[j - 1] == ' ')
		j--;
	d[j] = '\0';
	return d;
}

const char *http_body_problem(const struct http_response *resp)
{
	if (!resp->body || resp->body->len == 0)
		return N_("empty body");
	if (resp->content_type && strcasestr(resp->content_type, "html"))
		return N_("an HTML page");
	return N_("malformed JSON");
}

void http_response_clear(struct http_response *resp)
{
	if (!resp)
		return;
	SECRET_FREE(resp->body);
	free(resp->content_type);
	free(resp->date);
	free(resp->error);
	memset(resp, 0, sizeof(*resp));
}

static void transfer_free(struct http_transfer *t)
{
	if (!t)
		return;
	if (t->easy)
		sym_curl_easy_cleanup(t->easy);
	free_wiped_slist(t->headers);
	secret_free(t->req_body);
	http_response_clear(&t->resp);
	secure_wipe(t->errbuf, sizeof(t->errbuf));
	free(t);
}

/* ------------------------------------------------------------ callbacks */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct http_transfer *t = ud;
	size_t n = size * nmemb;
	if (t->resp.body->len + n > t->max_body) {
		t->too_large = true;
		return 0; /* CURLE_WRITE_ERROR: stop reading */
	}
	if (secret_append(t->resp.body, data, n) != AIAUTH_OK)
		return 0;
	return n;
}

/* Only the Date header is kept (Content-Type comes from CURLINFO); the
 * others, which may include cookies, are not stored anywhere. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct http_transfer *t = ud;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue): forget the last one's. */
		free(t->resp.date);
		t->resp.date = NULL;
	} else if (n > 5 && strncasecmp(data, "Date:", 5) == 0) {
		size_t a = 5, b = n;
		while (a < b && (data[a] == ' ' || data[a] == '\t'))
			a++;
		while (b > a && (data[b - 1] == '\r' || data[b - 1] == '\n' || data[b - 1] == ' '))
			b--;
		free(t->resp.date);
		t->resp.date = strndup(data + a, b - a);
	}
	return n;
}

static const char *outcome_name(enum http_outcome o)
{
	switch (o) {
	case HTTP_DONE: return "done";
	case HTTP_UNREACHABLE: return "unreachable";
	case HTTP_TLS: return "TLS error";
	case HTTP_TIMEOUT: return "timeout";
	case HTTP_TOO_LARGE: return "too large";
	case HTTP_REFUSED_URL: return "refused URL";
	default: return "failed";
	}
}

/* One trace line per request, never with a body or a header: curl's own
 * message (errbuf) is left out too, as it may quote the URL. */
static void trace_done(const struct http_transfer *t, CURLcode rc)
{
	if (!debug_on())
		return;
	long long ms = (long long)(loop_now_ms() - t->started_ms);
	const struct http_response *r = &t->resp;
	if (r->outcome == HTTP_DONE)
		debug_log("http %s %s -> %ld (%zu bytes, %lld ms)", t->dbg_method, t->dbg_url,
		          r->status, r->body ? r->body->len : 0, ms);
	else
		debug_log("http %s %s -> %s (%s, %lld ms)", t->dbg_method, t->dbg_url,
		          outcome_name(r->outcome), sym_curl_easy_strerror(rc), ms);
}

static enum http_outcome classify(CURLcode rc, bool too_large)
{
	switch (rc) {
	case CURLE_OK:
		return HTTP_DONE;
	case CURLE_WRITE_ERROR:
		return too_large ? HTTP_TOO_LARGE : HTTP_FAILED;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_TOO_LARGE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	/* An empty reply is a connection closed before any answer: from where
	 * the user sits that is a server that did not answer, i.e. reset. */
	case CURLE_GOT_NOTHING:
		return HTTP_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return HTTP_TLS;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HTTP_REFUSED_URL;
	default:
		return HTTP_FAILED;
	}
}

static void on_done(void *easy, int curl_code)
{
	char *priv = NULL;
	sym_curl_easy_getinfo((CURL *)easy, CURLINFO_PRIVATE, &priv);
	struct http_transfer *t = (struct http_transfer *)priv;
	if (!t)
		return;
	if (curl_code == LOOP_CURL_ABANDONED) {
		transfer_free(t);
		return;
	}
	loop_curl_remove(t->loop, easy);

	CURLcode rc = (CURLcode)curl_code;
	struct http_response *r = &t->resp;
	r->outcome = classify(rc, t->too_large);
	sym_curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
	char *ct = NULL;
	if (sym_curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		r->content_type = strdup(ct);
	if (r->outcome == HTTP_TOO_LARGE) {
		char line[128];
		snprintf(line, sizeof(line), _("the response is larger than %zu bytes"), t->max_body);
		r->error = one_line(line);
	} else if (r->outcome != HTTP_DONE) {
		r->error = one_line(t->errbuf[0] ? t->errbuf : sym_curl_easy_strerror(rc));
	}
	trace_done(t, rc);
	/* A body cut short is no body: nobody should parse half of it. */
	if (r->outcome != HTTP_DONE) {
		secure_wipe(r->body->buf, r->body->len);
		r->body->len = 0;
	}

	t->in_callback = true;
	t->done(t->ctx, r);
	transfer_free(t);
}

/* ------------------------------------------------------------ requests */

/* AIAUTH_HTTP_TIMEOUT_MS: an upper bound on every request's timeouts, so
 * that tests (and scripts that would rather fail fast) need not wait out a
 * server that never answers.  Read on every request, so that no set-up
 * call is needed; anything but a number from 1 to 600000 is ignored, and
 * then (0) there is no bound. */
static long timeout_cap_ms(void)
{
	const char *v = getenv("AIAUTH_HTTP_TIMEOUT_MS");
	if (!v || !*v)
		return 0;
	char *end = NULL;
	long ms = strtol(v, &end, 10);
	return *end == '\0' && ms >= 1 && ms <= MAX_TIMEOUT_CAP_MS ? ms : 0;
}

static enum aiauth_status start(struct loop *loop, const struct http_request *req,
                                http_done_fn done, void *ctx, struct http_transfer **out,
                                struct aiauth_error **err)
{
	enum aiauth_status st;
	struct http_transfer *t = NULL;
	*out = NULL;
	if ((st = curlsym_load(err)) != AIAUTH_OK)
		return st;
	const char *problem = http_url_problem(req->url);
	if (problem) {
		st = error_set(err, AIAUTH_USAGE, "%s: %s", req->url ? req->url : "", _(problem));
		goto fail;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto oom;
	t->loop = loop;
	t->done = done;
	t->ctx = ctx;
	t->max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	t->resp.body = secret_new(4096);
	t->easy = sym_curl_easy_init();
	if (!t->resp.body || !t->easy)
		goto oom;

	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *n = sym_curl_slist_append(t->headers, *h);
		if (!n)
			goto oom;
		t->headers = n;
	}
	if (req->body) {
		t->req_body = secret_from_mem(req->body->buf, req->body->len);
		if (!t->req_body)
			goto oom;
		if (req->content_type) {
			char ct[256];
			snprintf(ct, sizeof(ct), "Content-Type: %s", req->content_type);
			struct curl_slist *n = sym_curl_slist_append(t->headers, ct);
			if (!n)
				goto oom;
			t->headers = n;
		}
	}

	CURL *e = t->easy;
	long connect_ms = req->connect_timeout_ms ? req->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	long total_ms = req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
	long cap_ms = timeout_cap_ms();
	if (cap_ms && total_ms > cap_ms)
		total_ms = cap_ms;
	if (connect_ms > total_ms)
		connect_ms = total_ms;
	CURLcode rc = CURLE_OK;
#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = sym_curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SET(CURLOPT_TIMEOUT_MS, total_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max_body);
	SET(CURLOPT_USERAGENT, "aiauth/" PACKAGE_VERSION);
	SET(CURLOPT_ERRORBUFFER, t->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	SET(CURLOPT_PRIVATE, (char *)t);
	if (t->headers)
		SET(CURLOPT_HTTPHEADER, t->headers);
	/* Loopback requests never go through a proxy from the environment:
	 * a local server is on this machine, and its key should stay here. */
	if (http_url_is_loopback(req->url))
		SET(CURLOPT_PROXY, "");
	const char *method = req->method ? req->method : "GET";
	if (t->req_body) {
		/* POSTFIELDS does not copy: the bytes stay in our wiped secret. */
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->req_body->len);
		SET(CURLOPT_POSTFIELDS, (char *)t->req_body->buf);
	} else if (strcmp(method, "POST") == 0) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		SET(CURLOPT_POSTFIELDS, "");
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		SET(CURLOPT_CUSTOMREQUEST, method);
#undef SET
	if (rc != CURLE_OK) {
		st = error_set(err, AIAUTH_FAILED, _("cannot set up the request: %s"),
		               sym_curl_easy_strerror(rc));
		goto fail;
	}

	t->started_ms = loop_now_ms();
	if (debug_on()) {
		snprintf(t->dbg_method, sizeof(t->dbg_method), "%s", method);
		debug_redact_url(req->url, t->dbg_url, sizeof(t->dbg_url));
	}
	loop_set_curl_done(loop, on_done);
	st = loop_curl_add(loop, e, err);
	if (st != AIAUTH_OK)
		goto fail;
	*out = t;
	return AIAUTH_OK;
oom:
	st = error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
fail:
	transfer_free(t);
	return st;
}

struct http_transfer *http_start(struct loop *loop, const struct http_request *req,
                                 http_done_fn done, void *ctx, struct aiauth_error **err)
{
	struct http_transfer *t;
	start(loop, req, done, ctx, &t, err);
	return t;
}

void http_cancel(struct http_transfer *t)
{
	if (!t || t->in_callback)
		return;
	debug_log("http %s %s cancelled after %lld ms", t->dbg_method, t->dbg_url,
	          (long long)(loop_now_ms() - t->started_ms));
	loop_curl_remove(t->loop, t->easy);
	transfer_free(t);
}

/* ------------------------------------------------------------ blocking */

struct perform_state {
	struct http_response *out;
	bool done;
	bool oom;
};

static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static void perform_done(void *ctx, const struct http_response *resp)
{
	struct perform_state *st = ctx;
	struct http_response *o = st->out;
	o->outcome = resp->outcome;
	o->status = resp->status;
	o->body = secret_from_mem(resp->body->buf, resp->body->len);
	if (!o->body)
		st->oom = true;
	o->content_type = dup_or_null(resp->content_type, &st->oom);
	o->date = dup_or_null(resp->date, &st->oom);
	o->error = dup_or_null(resp->error, &st->oom);
	st->done = true;
}

enum aiauth_status http_perform(struct loop *loop, const struct http_request *req,
                                struct http_response *resp, struct aiauth_error **err)
{
	memset(resp, 0, sizeof(*resp));
	enum aiauth_status s = curlsym_load(err);
	if (s != AIAUTH_OK)
		return s;
	const char *problem = http_url_problem(req->url);
	if (problem) {
		resp->outcome = HTTP_REFUSED_URL;
		resp->error = strdup(problem);
		return resp->error ? AIAUTH_OK
		                   : error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	struct perform_state st = {.out = resp};
	struct http_transfer *t;
	s = start(loop, req, perform_done, &st, &t, err);
	if (s != AIAUTH_OK)
		return s;
	s = loop_run_until(loop, &st.done, err);
	if (s != AIAUTH_OK) {
		if (!st.done)
			http_cancel(t);
		http_response_clear(resp);
		return s;
	}
	if (st.oom) {
		http_response_clear(resp);
		return error_set(err, AIAUTH_NO_MEMORY, "%s", _("out of memory"));
	}
	return AIAUTH_OK;
}

enum aiauth_status http_global_init(struct aiauth_error **err)
{
	return curlsym_load(err);
}

void http_global_cleanup(void)
{
	curlsym_unload();
}
