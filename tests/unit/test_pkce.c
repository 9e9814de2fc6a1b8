/* test_pkce.c - PKCE secrets, the authorization URL, reading pasted codes
 * and redirect queries, the code exchange's parameters, pending sign-ins. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "credential.h"
#include "fsutil.h"
#include "http.h"
#include "loop.h"
#include "oauth_pkce.h"
#include "secretstore.h"
#include "tap.h"

static bool contains(const char *s, const char *sub)
{
	return s && sub && strstr(s, sub) != NULL;
}

/* ------------------------------------------------------------ secrets */

static void test_rfc7636_vector(void)
{
	/* RFC 7636 appendix B: the octets, the verifier they encode to, and
	 * its S256 challenge. */
	static const unsigned char octets[32] = {
		116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
		22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121};
	const char *verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	char *v = oauth_pkce_base64url(octets, sizeof(octets));
	ok(v && strcmp(v, verifier) == 0, "appendix B octets encode to the verifier (got %s)", v);
	free(v);
	char *c = oauth_pkce_challenge(verifier, strlen(verifier));
	ok(c && strcmp(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") == 0,
	   "appendix B challenge (got %s)", c);
	free(c);

	/* Every tail length, and the two characters base64url changes. */
	struct {
		const char *in;
		size_t n;
		const char *out;
	} b64[] = {
		{"", 0, ""}, {"f", 1, "Zg"}, {"fo", 2, "Zm8"}, {"foo", 3, "Zm9v"},
		{"foob", 4, "Zm9vYg"}, {"\xfb\xff", 2, "-_8"}, {"\xfb\xef\xbe", 3, "----"},
		{"\xff\xff\xff", 3, "____"},
	};
	for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		char *e = oauth_pkce_base64url(b64[i].in, b64[i].n);
		ok(e && strcmp(e, b64[i].out) == 0, "base64url case %zu is %s (got %s)", i, b64[i].out,
		   e);
		free(e);
	}
}

static bool b64url_only(const struct secret *s)
{
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = s->buf[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static void test_new(void)
{
	struct oauth_pkce a = OAUTH_PKCE_INIT, b = OAUTH_PKCE_INIT;
	struct aiauth_error *err = NULL;
	ok(oauth_pkce_new(&a, &err) == AIAUTH_OK && oauth_pkce_new(&b, &err) == AIAUTH_OK,
	   "two sign-ins get their secrets");
	ok(a.verifier && a.verifier->len == 43, "the verifier has 43 characters (RFC 7636 §4.1)");
	ok(a.verifier && b64url_only(a.verifier), "the verifier is base64url only");
	ok(a.state && a.state->len >= 22 && b64url_only(a.state),
	   "the state has at least 128 bits as base64url (%zu chars)", a.state ? a.state->len : 0);
	char *c = a.verifier ? oauth_pkce_challenge((char *)a.verifier->buf, a.verifier->len) : NULL;
	ok(c && a.challenge && strcmp(c, a.challenge) == 0 && strlen(a.challenge) == 43,
	   "the challenge is S256 of the verifier");
	free(c);
	ok(a.verifier && b.verifier && !secret_equal(a.verifier, b.verifier) &&
	   !secret_equal(a.state, b.state),
	   "two sign-ins never share a verifier or a state");
	oauth_pkce_clear(&a);
	ok(!a.verifier && !a.state && !a.challenge, "clear leaves nothing behind");
	oauth_pkce_clear(&b);
	error_clear(&err);
}

/* ------------------------------------------------------------ the URL */

static void test_url(void)
{
	struct provider p = {0};
	p.id = "demo";
	p.oauth.client_id = "my client/1";
	p.oauth.scopes = "openid email offline_access";
	p.oauth.extra_auth_params = "prompt=consent&access_type=offline&state=evil&x%20y=a+b%26c";
	struct oauth_pkce pk = OAUTH_PKCE_INIT;
	pk.state = secret_from_str("st~ate_1");
	pk.challenge = strdup("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	char *url = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = oauth_pkce_authorization_url(
		&p, "https://auth.example/oauth/authorize", "http://127.0.0.1:1234/callback", &pk, &url,
		&err);
	ok(st == AIAUTH_OK && url, "an authorization URL is made");
	const char *want[] = {
		"https://auth.example/oauth/authorize?response_type=code&",
		"&client_id=my%20client%2F1",
		"&redirect_uri=http%3A%2F%2F127.0.0.1%3A1234%2Fcallback",
		"&scope=openid%20email%20offline_access",
		"&state=st~ate_1",
		"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		"&code_challenge_method=S256",
		"&prompt=consent",
		"&access_type=offline",
		"&x%20y=a%20b%26c",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(contains(url, want[i]), "the URL has %s", want[i]);
	ok(!contains(url, "evil"), "an extra parameter cannot replace the state");
	ok(url && !strchr(url, ' '), "nothing in the URL is left unencoded");
	free(url);
	url = NULL;

	st = oauth_pkce_authorization_url(&p, "https://auth.example/a?tenant=x", "urn:x", &pk, &url,
	                                  &err);
	ok(st == AIAUTH_OK && contains(url, "/a?tenant=x&response_type=code&"),
	   "an endpoint with a query gets '&' (got %s)", url);
	free(url);
	url = NULL;

	p.oauth.client_id = NULL;
	st = oauth_pkce_authorization_url(&p, "https://auth.example/a", "urn:x", &pk, &url, &err);
	ok(st == AIAUTH_NOT_CONFIGURED && !url && err && contains(err->message, "client_id"),
	   "no client_id: not configured");
	error_clear(&err);
	oauth_pkce_clear(&pk);
}

/* ------------------------------------------------------------ pasting */

#define STATE "Q2hlY2tTdGF0ZTEyMzQ1Ng"

struct paste_case {
	const char *what;
	const char *input;
	enum aiauth_status want;
	const char *code;    /* on OK */
	const char *message; /* part of the error message otherwise */
};

static void test_paste(void)
{
	const struct paste_case cases[] = {
		{"a bare code", "abc123-XYZ_", AIAUTH_OK, "abc123-XYZ_", NULL},
		{"a bare code with whitespace", " \t abc123\r\n", AIAUTH_OK, "abc123", NULL},
		{"code#state (Claude)", "abc123#" STATE, AIAUTH_OK, "abc123", NULL},
		{"code#state with another state", "abc123#c29tZW9uZSBlbHNl", AIAUTH_USAGE, NULL,
		 "the pasted code belongs to another sign-in (state does not match)"},
		{"a whole URL with iss",
		 "http://localhost:1455/auth/callback?code=ac%2F1%2Bz&scope=openid+email&state=" STATE
		 "&iss=https%3A%2F%2Fissuer.example",
		 AIAUTH_OK, "ac/1+z", NULL},
		{"a URL with a fragment after the query",
		 "https://app.example/cb?state=" STATE "&code=k1#section", AIAUTH_OK, "k1", NULL},
		{"a URL answering in the fragment", "https://app.example/cb#code=k2&state=" STATE,
		 AIAUTH_OK, "k2", NULL},
		{"a query without the address", "code=k3&state=" STATE, AIAUTH_OK, "k3", NULL},
		{"a query with '?'", "?code=k4&state=" STATE, AIAUTH_OK, "k4", NULL},
		{"a URL with another state", "https://app.example/cb?code=k5&state=other", AIAUTH_USAGE,
		 NULL, "state does not match"},
		{"a URL whose state is empty", "https://app.example/cb?code=k5&state=", AIAUTH_USAGE,
		 NULL, "state does not match"},
		{"access denied",
		 "http://127.0.0.1:8080/callback?error=access_denied&error_description=The+user+said+"
		 "no&state=" STATE,
		 AIAUTH_DENIED, NULL, "access denied: The user said no"},
		{"access denied for another sign-in",
		 "http://127.0.0.1:8080/callback?error=access_denied&state=nope", AIAUTH_USAGE, NULL,
		 "state does not match"},
		{"another error", "https://x.example/cb?error=invalid_scope&state=" STATE,
		 AIAUTH_REJECTED, NULL, "(invalid_scope)"},
		{"an escape sequence in a description",
		 "https://x.example/cb?error=access_denied&error_description=%1B%5B2Jgone%0Anow",
		 AIAUTH_DENIED, NULL, "?[2Jgone?now"},
		{"a URL with no code", "https://x.example/cb?state=" STATE, AIAUTH_USAGE, NULL,
		 "has no code"},
		{"a code given twice", "https://x.example/cb?code=a&code=b&state=" STATE, AIAUTH_USAGE,
		 NULL, "twice"},
		{"words", "hello world", AIAUTH_USAGE, NULL, "neither a code nor"},
		{"control characters", "ab\x01\x02", AIAUTH_USAGE, NULL, "neither a code nor"},
		{"an empty code before the state", "#" STATE, AIAUTH_USAGE, NULL, "neither a code nor"},
		{"nothing", "  \n ", AIAUTH_USAGE, NULL, "nothing was pasted"},
		{"a code with a NUL encoded", "https://x.example/cb?code=a%00b", AIAUTH_USAGE, NULL,
		 "neither a code nor"},
	};
	struct secret *expected = secret_from_str(STATE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct paste_case *c = &cases[i];
		struct secret *in = secret_from_str(c->input);
		struct secret *code = NULL;
		struct aiauth_error *err = NULL;
		enum aiauth_status st = oauth_pkce_parse_paste(in, expected, &code, &err);
		if (c->want == AIAUTH_OK)
			ok(st == AIAUTH_OK && code && strcmp((char *)code->buf, c->code) == 0,
			   "paste %s: code %s (got status %d, %s)", c->what, c->code, st,
			   err ? err->message : code ? (char *)code->buf : "no code");
		else
			ok(st == c->want && !code && err && contains(err->message, c->message),
			   "paste %s: status %d, '%s' (got %d, '%s')", c->what, c->want, c->message, st,
			   err ? err->message : "");
		/* The message never repeats what was pasted. */
		if (err && c->code)
			ok(!contains(err->message, c->code), "paste %s: no code in the message", c->what);
		secret_free(in);
		secret_free(code);
		error_clear(&err);
	}

	/* Too much: a clear error, before any parsing. */
	size_t big = OAUTH_PKCE_MAX_INPUT + 1;
	struct secret *huge = secret_new(big);
	memset(huge->buf, 'a', big);
	huge->len = big;
	huge->buf[big] = '\0';
	struct secret *code = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = oauth_pkce_parse_paste(huge, expected, &code, &err);
	ok(st == AIAUTH_USAGE && !code && err && contains(err->message, "too long"),
	   "a paste over 16 KiB is refused as too long (got '%s')", err ? err->message : "");
	error_clear(&err);
	huge->len = OAUTH_PKCE_MAX_INPUT;
	huge->buf[huge->len] = '\0';
	st = oauth_pkce_parse_paste(huge, expected, &code, &err);
	ok(st == AIAUTH_OK && code && code->len == OAUTH_PKCE_MAX_INPUT,
	   "exactly 16 KiB is still read");
	secret_free(code);
	error_clear(&err);
	secret_free(huge);
	secret_free(expected);
}

static void test_query(void)
{
	struct oauth_pkce_reply r = {0};
	struct aiauth_error *err = NULL;
	const char *q = "iss=x&&code=c%41&state=s&unknown&error_description=d";
	ok(oauth_pkce_parse_query(q, strlen(q), &r, &err) == AIAUTH_OK && r.code &&
	   strcmp((char *)r.code->buf, "cA") == 0 && r.state && strcmp((char *)r.state->buf, "s") == 0 &&
	   !r.error && r.error_description && strcmp(r.error_description, "d") == 0,
	   "a query is split into code, state and description");
	/* Only `len` bytes count. */
	ok(oauth_pkce_parse_query("code=ab&state=s", 7, &r, &err) == AIAUTH_OK && r.code &&
	   strcmp((char *)r.code->buf, "ab") == 0 && !r.state,
	   "the query ends at len");
	oauth_pkce_reply_clear(&r);
	ok(!r.code && !r.state && !r.error && !r.error_description, "clearing a reply empties it");
	error_clear(&err);
}

/* ------------------------------------------------------------ exchange */

/* A token endpoint for one request: records the body in `path` and
 * answers with tokens. */
static pid_t token_server(int *port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	pid_t pid = fork();
	if (pid != 0) {
		close(fd);
		return pid;
	}
	alarm(10);
	int c = accept(fd, NULL, NULL);
	char buf[8192];
	size_t n = 0;
	ssize_t r;
	char *body = NULL;
	long clen = -1;
	while (n < sizeof(buf) - 1 && (r = read(c, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end && clen < 0) {
			char *cl = strcasestr(buf, "content-length:");
			clen = cl ? strtol(cl + 15, NULL, 10) : 0;
			body = end + 4;
		}
		if (body && (long)(n - (size_t)(body - buf)) >= clen)
			break;
	}
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(body ? body : "", f);
		fclose(f);
	}
	const char *answer = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"expires_in\":60}";
	dprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	           "Connection: close\r\n\r\n%s",
	        strlen(answer), answer);
	close(c);
	_exit(0);
}

struct tok_wait {
	bool done;
	enum aiauth_status status;
	char *access;
};

static void on_tok(void *ctx, struct oauth_token_result *r)
{
	struct tok_wait *w = ctx;
	w->done = true;
	w->status = r->status;
	const struct secret *a = r->cred ? credential_get(r->cred, "access_token") : NULL;
	w->access = a ? strdup((char *)a->buf) : NULL;
}

static char *read_text(const char *path)
{
	char *t = NULL;
	size_t n;
	if (fs_read_all(path, 1 << 20, &t, &n, NULL) != AIAUTH_OK)
		return NULL;
	return t;
}

static void exchange_case(enum oauth_token_format format, const char *what)
{
	char path[512], url[128];
	snprintf(path, sizeof(path), "%s/token-body-%d", tap_tmpdir(), (int)format);
	int port = 0;
	pid_t pid = token_server(&port, path);
	if (pid < 0) {
		ok(0, "%s: a token endpoint could be started", what);
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/token", port);
	struct provider p = {0};
	p.id = "demo";
	p.oauth.client_id = "cid";
	p.oauth.token_format = format;
	struct oauth_pkce pk = OAUTH_PKCE_INIT;
	pk.verifier = secret_from_str("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	pk.state = secret_from_str("the-state");
	struct secret *code = secret_from_str("the/code");
	struct loop *loop = NULL;
	struct aiauth_error *err = NULL;
	struct tok_wait w = {0};
	loop_new(&loop, &err);
	struct oauth_token_request *req = oauth_pkce_exchange_start(
		loop, &p, url, code, "http://127.0.0.1:9/cb", &pk, on_tok, &w, &err);
	ok(req != NULL, "%s: the exchange starts (%s)", what, err ? err->message : "");
	if (req)
		loop_run_until(loop, &w.done, &err);
	ok(w.done && w.status == AIAUTH_OK && w.access && strcmp(w.access, "at-1") == 0,
	   "%s: the tokens come back", what);
	waitpid(pid, NULL, 0);
	char *body = read_text(path);
	if (format == OAUTH_TOKEN_FORM) {
		const char *want[] = {"grant_type=authorization_code", "code=the%2Fcode",
		                      "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb",
		                      "code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		                      "client_id=cid"};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			ok(contains(body, want[i]), "%s: the body has %s", what, want[i]);
		ok(body && !contains(body, "state"), "%s: no state in a form exchange", what);
	} else {
		const char *want[] = {"\"grant_type\":\"authorization_code\"", "\"code\":\"the/code\"",
		                      "\"redirect_uri\":\"http://127.0.0.1:9/cb\"",
		                      "\"code_verifier\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"",
		                      "\"state\":\"the-state\"", "\"client_id\":\"cid\""};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			ok(contains(body, want[i]), "%s: the body has %s", what, want[i]);
	}
	free(body);
	free(w.access);
	secret_free(code);
	oauth_pkce_clear(&pk);
	loop_free(loop);
	error_clear(&err);
}

/* ------------------------------------------------------------ pending */

static enum aiauth_status give_passphrase(void *ctx, bool creating, struct secret **out,
                                          struct aiauth_error **err)
{
	(void)ctx;
	(void)creating;
	(void)err;
	*out = secret_from_str("correct horse battery staple");
	return AIAUTH_OK;
}

static void test_pending(void)
{
	char dir[512], vault[512], file[600];
	snprintf(dir, sizeof(dir), "%s/config/aiauth", tap_tmpdir());
	snprintf(vault, sizeof(vault), "%s/vault.bin", tap_tmpdir());
	snprintf(file, sizeof(file), "%s/" OAUTH_PKCE_PENDING_FILE, dir);
	struct secretstore_options o = {.backend = SECRET_BACKEND_FILE, .reason = "test",
	                                .vault_path = vault, .get_passphrase = give_passphrase};
	struct secretstore *ss = NULL;
	struct aiauth_error *err = NULL;
	if (secretstore_open(&o, &ss, &err) != AIAUTH_OK) {
		ok(0, "the file store opens (%s)", err ? err->message : "");
		error_clear(&err);
		return;
	}
	struct oauth_pkce_pending pd = {0};
	pd.provider = strdup("claude");
	pd.redirect_uri = strdup("https://console.example/oauth/code/callback");
	pd.label = strdup("work");
	pd.ep.authorization = strdup("https://claude.example/oauth/authorize");
	pd.ep.token = strdup("https://console.example/v1/oauth/token");
	pd.created = 1000;
	pd.expires = 1000 + OAUTH_PKCE_PENDING_TTL;
	oauth_pkce_new(&pd.pk, &err);
	char *verifier = strdup((char *)pd.pk.verifier->buf);
	char *state = strdup((char *)pd.pk.state->buf);

	ok(!oauth_pkce_pending_exists(dir, NULL), "no pending sign-in at first");
	ok(oauth_pkce_pending_save(ss, dir, &pd, "Claude", &err) == AIAUTH_OK,
	   "a pending sign-in is saved (%s)", err ? err->message : "");
	struct stat sb;
	ok(stat(file, &sb) == 0 && (sb.st_mode & 0777) == 0600, "its file is 0600");
	char *text = read_text(file);
	ok(text && contains(text, "\"claude\"") && contains(text, "console.example/oauth/code") &&
	   !contains(text, verifier) && !contains(text, state),
	   "the file has the metadata and neither the verifier nor the state");
	free(text);
	char *prov = NULL;
	ok(oauth_pkce_pending_exists(dir, &prov) && prov && strcmp(prov, "claude") == 0,
	   "the pending sign-in is seen, with its provider");
	free(prov);

	struct oauth_pkce_pending back = {0};
	enum aiauth_status st = oauth_pkce_pending_load(ss, dir, 1000 + 60, &back, &err);
	ok(st == AIAUTH_OK && back.pk.verifier && strcmp((char *)back.pk.verifier->buf, verifier) == 0 &&
	   back.pk.state && strcmp((char *)back.pk.state->buf, state) == 0,
	   "another process gets the verifier and the state back (%s)", err ? err->message : "");
	ok(back.provider && strcmp(back.provider, "claude") == 0 && back.redirect_uri &&
	   strcmp(back.redirect_uri, pd.redirect_uri) == 0 && back.label &&
	   strcmp(back.label, "work") == 0 && back.ep.token &&
	   strcmp(back.ep.token, pd.ep.token) == 0 && back.expires == pd.expires,
	   "and the provider, redirect_uri, label, endpoints and expiry");
	oauth_pkce_pending_clear(&back);
	error_clear(&err);

	st = oauth_pkce_pending_load(ss, dir, pd.expires, &back, &err);
	ok(st == AIAUTH_EXPIRED && err && contains(err->message, "expired; start again"),
	   "at its expiry it is refused as expired");
	error_clear(&err);
	ok(!oauth_pkce_pending_exists(dir, NULL), "an expired pending sign-in is removed");
	struct secret *left = NULL;
	ok(secretstore_get(ss, OAUTH_PKCE_PENDING_ID, &left, &err) == AIAUTH_NOT_FOUND,
	   "with its secrets");
	secret_free(left);
	error_clear(&err);

	/* Replacing, then deleting. */
	oauth_pkce_pending_save(ss, dir, &pd, "Claude", &err);
	free(pd.provider);
	pd.provider = strdup("chatgpt");
	ok(oauth_pkce_pending_save(ss, dir, &pd, "ChatGPT", &err) == AIAUTH_OK,
	   "a second pending sign-in replaces the first");
	st = oauth_pkce_pending_load(ss, dir, 1001, &back, &err);
	ok(st == AIAUTH_OK && back.provider && strcmp(back.provider, "chatgpt") == 0,
	   "the newest one is loaded");
	oauth_pkce_pending_clear(&back);
	ok(oauth_pkce_pending_delete(ss, dir, &err) == AIAUTH_OK && !oauth_pkce_pending_exists(dir, NULL),
	   "delete removes it");
	ok(oauth_pkce_pending_delete(ss, dir, &err) == AIAUTH_OK, "deleting nothing is fine");
	st = oauth_pkce_pending_load(ss, dir, 1001, &back, &err);
	ok(st == AIAUTH_NOT_FOUND && err && contains(err->message, "no pending sign-in"),
	   "then there is nothing to load");
	error_clear(&err);

	/* A file whose secrets are gone. */
	oauth_pkce_pending_save(ss, dir, &pd, "ChatGPT", &err);
	secretstore_delete(ss, OAUTH_PKCE_PENDING_ID, &err);
	st = oauth_pkce_pending_load(ss, dir, 1001, &back, &err);
	ok(st == AIAUTH_CORRUPT && err && contains(err->message, "missing"),
	   "a pending file without its secrets is reported");
	error_clear(&err);
	fs_write_atomic(file, "{\"version\":7}", 13, 0600, &err);
	st = oauth_pkce_pending_load(ss, dir, 1001, &back, &err);
	ok(st == AIAUTH_CORRUPT && err && contains(err->message, OAUTH_PKCE_PENDING_FILE),
	   "an unreadable pending file is named");
	error_clear(&err);

	free(verifier);
	free(state);
	oauth_pkce_pending_clear(&pd);
	secretstore_close(ss);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	struct aiauth_error *err = NULL;
	if (http_global_init(&err) != AIAUTH_OK) {
		printf("Bail out! %s\n", err ? err->message : "curl");
		return 99;
	}
	test_rfc7636_vector();
	test_new();
	test_url();
	test_paste();
	test_query();
	exchange_case(OAUTH_TOKEN_FORM, "form exchange");
	exchange_case(OAUTH_TOKEN_JSON, "JSON exchange");
	test_pending();
	http_global_cleanup();
	return done_testing();
}
