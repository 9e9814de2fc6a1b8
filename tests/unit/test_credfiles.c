/* test_credfiles.c - reading and writing other CLIs' credential files:
 * each format's parse and render, unknown members kept, the verdicts that
 * protect refresh tokens, the file rules (links, size, modes) and the
 * settings file. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credfiles.h"
#include "jsonutil.h"
#include "tap.h"

static int get_is(const struct credential *c, const char *name, const char *want)
{
	const struct secret *s = credential_get(c, name);
	if (!want)
		return s == NULL;
	return s && s->len == strlen(want) && memcmp(s->buf, want, s->len) == 0;
}

/* A JWT whose payload is `json` (header and signature are not looked at). */
static char *make_jwt(const char *json)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(json);
	char *out = malloc(n * 2 + 32);
	strcpy(out, "eyJhbGciOiJub25lIn0.");
	char *o = out + strlen(out);
	const unsigned char *p = (const unsigned char *)json;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		if (i + 1 < n)
			*o++ = tab[v >> 6 & 63];
		if (i + 2 < n)
			*o++ = tab[v & 63];
	}
	strcpy(o, ".c2ln");
	return out;
}

static struct credential *cred_of(const char *const *kv)
{
	struct credential *c = credential_new();
	for (; kv[0]; kv += 2)
		credential_set_str(c, kv[0], kv[1]);
	return c;
}

/* Parse rendered text back as plain JSON, to look at it. */
static yajl_val parse_text(const struct secret *s)
{
	yajl_val v = NULL;
	if (!s || json_parse((const char *)s->buf, s->len, &v, NULL) != AIAUTH_OK)
		return NULL;
	return v;
}

static enum aiauth_status parse_str(enum credfile_tool t, const char *text,
                                    struct credfile_contents *c, struct aiauth_error **err)
{
	return credfile_parse(t, text, strlen(text), c, err);
}

static void test_tools(void)
{
	ok(credfile_tool_by_name("codex") == credfile_tool(CREDFILE_CODEX), "codex by name");
	ok(credfile_tool_by_name("vim") == NULL, "an unknown name is NULL");
	ok(credfile_tool_for_provider("chatgpt") == credfile_tool(CREDFILE_CODEX) &&
	       credfile_tool_for_provider("openai") == credfile_tool(CREDFILE_CODEX),
	   "chatgpt and openai both live in Codex's file");
	ok(credfile_tool_for_provider("google") == credfile_tool(CREDFILE_GEMINI) &&
	       credfile_tool_for_provider("claude") == credfile_tool(CREDFILE_CLAUDE),
	   "google -> gemini, claude -> claude");
	ok(credfile_tool_for_provider("anthropic") == NULL, "an API-key provider has no file");
	ok(credfile_tool(CREDFILE_GROK)->unsupported != NULL &&
	       credfile_tool(CREDFILE_CLAUDE)->unsupported == NULL,
	   "grok is marked unsupported, claude is not");
	struct credfile_contents c;
	struct aiauth_error *err = NULL;
	ok(parse_str(CREDFILE_GROK, "{}", &c, &err) == AIAUTH_UNSUPPORTED && err &&
	       strstr(err->message, "grok"),
	   "parsing grok says why it is unsupported");
	error_clear(&err);
}

static void test_parse_claude(void)
{
	struct credfile_contents c;
	struct aiauth_error *err = NULL;
	const char *good = "{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat-1\","
	                   "\"refreshToken\":\"sk-ant-ort-1\",\"expiresAt\":1900000000123,"
	                   "\"scopes\":[\"user:inference\",\"user:profile\"],"
	                   "\"subscriptionType\":\"max\"}}";
	ok(parse_str(CREDFILE_CLAUDE, good, &c, &err) == AIAUTH_OK && c.cred,
	   "claude: a good file parses");
	ok(get_is(c.cred, "access_token", "sk-ant-oat-1") &&
	       get_is(c.cred, "refresh_token", "sk-ant-ort-1"),
	   "claude: access and refresh token");
	ok(c.expires_at == 1900000000 && get_is(c.cred, "expires_at", "1900000000"),
	   "claude: expiresAt milliseconds become seconds");
	ok(get_is(c.cred, "scope", "user:inference user:profile"), "claude: scopes joined");
	ok(!c.api_key && c.email == NULL, "claude: no API key, no email");
	credfile_contents_clear(&c);

	ok(parse_str(CREDFILE_CLAUDE, "{\"mcpOAuth\":{}}", &c, &err) == AIAUTH_OK && !c.cred,
	   "claude: a file without claudeAiOauth holds no credential");
	credfile_contents_clear(&c);
	ok(parse_str(CREDFILE_CLAUDE, "{\"claudeAiOauth\":\"x\"}", &c, &err) == AIAUTH_CORRUPT &&
	       err && strstr(err->message, "claudeAiOauth"),
	   "claude: claudeAiOauth of the wrong type is damaged, and says which member");
	error_clear(&err);
	ok(parse_str(CREDFILE_CLAUDE, "{\"claudeAiOauth\":{\"accessToken\":7}}", &c, &err) ==
	       AIAUTH_CORRUPT,
	   "claude: a number for a token is damaged");
	error_clear(&err);
	ok(parse_str(CREDFILE_CLAUDE, "{\"claudeAiOauth\":{\"accessToken\":\"sek", &c, &err) ==
	           AIAUTH_CORRUPT &&
	       err && strstr(err->message, "line 1") && !strstr(err->message, "sek"),
	   "claude: malformed JSON gives a line number and never quotes the text");
	error_clear(&err);
	ok(parse_str(CREDFILE_CLAUDE, "[1]", &c, &err) == AIAUTH_CORRUPT, "claude: an array root");
	error_clear(&err);
}

static void test_parse_codex(void)
{
	struct credfile_contents c;
	struct aiauth_error *err = NULL;
	char *idt = make_jwt("{\"email\":\"Dev@Example.test\",\"https://api.openai.com/auth\":"
	                     "{\"chatgpt_account_id\":\"acct-9\"}}");
	char *at = make_jwt("{\"exp\":1900000100}");
	char text[2048];
	snprintf(text, sizeof(text),
	         "{\"OPENAI_API_KEY\":null,\"tokens\":{\"id_token\":\"%s\",\"access_token\":\"%s\","
	         "\"refresh_token\":\"rt-c\",\"account_id\":\"acct-1\"},\"last_refresh\":"
	         "\"2025-01-01T00:00:00Z\"}",
	         idt, at);
	ok(parse_str(CREDFILE_CODEX, text, &c, &err) == AIAUTH_OK && c.cred && !c.api_key,
	   "codex: ChatGPT tokens parse");
	ok(get_is(c.cred, "refresh_token", "rt-c") && get_is(c.cred, "account_id", "acct-1") &&
	       get_is(c.cred, "id_token", idt),
	   "codex: refresh token, account id and id_token");
	ok(c.expires_at == 1900000100, "codex: expiry from the access token's exp claim");
	ok(c.email && strcmp(c.email, "Dev@Example.test") == 0, "codex: email from the id_token");
	credfile_contents_clear(&c);

	ok(parse_str(CREDFILE_CODEX, "{\"auth_mode\":\"apikey\",\"OPENAI_API_KEY\":\"sk-1\","
	                             "\"tokens\":{\"access_token\":\"x\"}}",
	             &c, &err) == AIAUTH_OK &&
	       c.api_key && get_is(c.cred, "api_key", "sk-1") && !credential_get(c.cred, "access_token"),
	   "codex: auth_mode apikey means the key, not the tokens");
	credfile_contents_clear(&c);
	ok(parse_str(CREDFILE_CODEX, "{\"OPENAI_API_KEY\":\"sk-2\"}", &c, &err) == AIAUTH_OK &&
	       c.api_key,
	   "codex: a key without tokens is a key");
	credfile_contents_clear(&c);
	ok(parse_str(CREDFILE_CODEX, "{\"tokens\":[]}", &c, &err) == AIAUTH_CORRUPT,
	   "codex: tokens of the wrong type is damaged");
	error_clear(&err);
	free(idt);
	free(at);
}

static void test_parse_gemini(void)
{
	struct credfile_contents c;
	struct aiauth_error *err = NULL;
	ok(parse_str(CREDFILE_GEMINI,
	             "{\"access_token\":\"ya29.x\",\"expiry_date\":1769159945362.7791,"
	             "\"refresh_token\":\"1//rt\",\"scope\":\"openid email\",\"token_type\":\"Bearer\"}",
	             &c, &err) == AIAUTH_OK &&
	       c.cred,
	   "gemini: a token cache parses");
	ok(c.expires_at == 1769159945, "gemini: a fractional expiry_date in ms");
	ok(get_is(c.cred, "scope", "openid email") && get_is(c.cred, "token_type", "Bearer"),
	   "gemini: scope and token_type");
	credfile_contents_clear(&c);
	ok(parse_str(CREDFILE_GEMINI, "{\"type\":\"authorized_user\",\"refresh_token\":\"r\"}", &c,
	             &err) == AIAUTH_UNSUPPORTED,
	   "gemini: other Google credential files are not taken for a sign-in");
	error_clear(&err);
	ok(parse_str(CREDFILE_GEMINI, "{\"access_token\":\"a\",\"expiry_date\":\"soon\"}", &c,
	             &err) == AIAUTH_CORRUPT,
	   "gemini: an expiry that is not a number is damaged");
	error_clear(&err);
}

static void test_render_claude(void)
{
	struct aiauth_error *err = NULL;
	struct secret *out = NULL;
	const char *const kv[] = {"access_token", "at-new", "refresh_token", "rt-new",
	                          "expires_at", "1900000000", "scope", "user:inference user:profile",
	                          NULL};
	struct credential *c = cred_of(kv);
	const char *old = "{\"mcpOAuth\":{\"srv\":{\"n\":1.50}},\"claudeAiOauth\":{\"accessToken\":"
	                  "\"at-old\",\"subscriptionType\":\"max\",\"rateLimitTier\":\"t\"}}";
	ok(credfile_render(CREDFILE_CLAUDE, old, strlen(old), c, false, 0, &out, &err) ==
	       AIAUTH_OK,
	   "claude: renders over an existing file");
	yajl_val v = parse_text(out);
	yajl_val o = json_get_object(v, "claudeAiOauth");
	int64_t ms = 0;
	ok(json_get_string(o, "accessToken") && strcmp(json_get_string(o, "accessToken"), "at-new") == 0 &&
	       strcmp(json_get_string(o, "refreshToken"), "rt-new") == 0,
	   "claude: our tokens are written");
	ok(json_get_int(o, "expiresAt", &ms) && ms == 1900000000000LL, "claude: expiresAt in ms");
	ok(json_get_string(o, "subscriptionType") &&
	       strcmp(json_get_string(o, "subscriptionType"), "max") == 0 &&
	       json_get_string(o, "rateLimitTier"),
	   "claude: unknown members inside claudeAiOauth are kept");
	ok(json_get_object(v, "mcpOAuth") && strstr((const char *)out->buf, "1.50"),
	   "claude: unknown top-level members are kept, numbers with their text");
	yajl_val sc = json_get_array(o, "scopes");
	ok(sc && sc->u.array.len == 2, "claude: scopes written as a list");
	ok(out->buf[out->len - 1] == '\n', "the file ends with a newline");
	json_free(v);
	SECRET_FREE(out);

	/* No refresh token of ours: the old one must not stay beside our
	 * access token. */
	const char *const kv2[] = {"access_token", "at-only", NULL};
	struct credential *c2 = cred_of(kv2);
	const char *old2 = "{\"claudeAiOauth\":{\"accessToken\":\"a\",\"refreshToken\":\"other\","
	                   "\"expiresAt\":5,\"scopes\":[\"user:inference\"]}}";
	ok(credfile_render(CREDFILE_CLAUDE, old2, strlen(old2), c2, false, 0, &out, &err) ==
	       AIAUTH_OK,
	   "claude: renders an access token alone");
	v = parse_text(out);
	o = json_get_object(v, "claudeAiOauth");
	ok(!json_get(o, "refreshToken") && !json_get(o, "expiresAt"),
	   "claude: another sign-in's refresh token and expiry are dropped");
	ok(json_get_array(o, "scopes") != NULL, "claude: the file's scopes stay when we have none");
	json_free(v);
	SECRET_FREE(out);

	ok(credfile_render(CREDFILE_CLAUDE, "{oops", 5, c2, false, 0, &out, &err) ==
	           AIAUTH_CORRUPT &&
	       out == NULL,
	   "claude: a damaged existing file is not rendered over");
	error_clear(&err);
	/* Found by fuzzing: tokens were merged into a file of another kind. */
	ok(credfile_render(CREDFILE_GEMINI, "{\"type\":\"service_account\"}", 26, c2, false, 0,
	                   &out, &err) == AIAUTH_UNSUPPORTED &&
	       out == NULL && err && strstr(err->message, "service_account"),
	   "gemini: a Google key file of another kind is not written into");
	error_clear(&err);
	/* Found by fuzzing: a damaged "scopes" we had nothing to replace with
	 * was carried into the new file, which then did not read back. */
	const char *bad_scopes = "{\"claudeAiOauth\":{\"accessToken\":1,\"scopes\":{\"n\":1.5}}}";
	ok(credfile_render(CREDFILE_CLAUDE, bad_scopes, strlen(bad_scopes), c2, false, 0, &out,
	                   &err) == AIAUTH_OK,
	   "claude: a file with a damaged scopes member is rendered over");
	struct credfile_contents back = {0};
	ok(out && credfile_parse(CREDFILE_CLAUDE, (const char *)out->buf, out->len, &back, &err) ==
	              AIAUTH_OK,
	   "claude: and what was written reads back (the damaged scopes dropped)");
	credfile_contents_clear(&back);
	error_clear(&err);
	SECRET_FREE(out);
	ok(credfile_render(CREDFILE_CLAUDE, NULL, 0, c, true, 0, &out, &err) ==
	       AIAUTH_UNSUPPORTED,
	   "claude: an API key cannot go into Claude's file");
	error_clear(&err);
	credential_free(c);
	credential_free(c2);
}

static void test_render_codex_gemini(void)
{
	struct aiauth_error *err = NULL;
	struct secret *out = NULL;
	char *idt = make_jwt("{\"email\":\"a@b.test\",\"https://api.openai.com/auth\":"
	                     "{\"chatgpt_account_id\":\"acct-from-claims\"}}");
	const char *const kv[] = {"access_token", "at", "refresh_token", "rt", "id_token", idt, NULL};
	struct credential *c = cred_of(kv);
	const char *old = "{\"OPENAI_API_KEY\":\"sk-keep\",\"auth_mode\":\"apikey\",\"tokens\":"
	                  "{\"account_id\":\"old-acct\",\"extra\":1},\"other\":[1,2]}";
	ok(credfile_render(CREDFILE_CODEX, old, strlen(old), c, false, 1700000000, &out, &err) ==
	       AIAUTH_OK,
	   "codex: renders ChatGPT tokens");
	yajl_val v = parse_text(out);
	yajl_val tk = json_get_object(v, "tokens");
	ok(json_get_string(v, "auth_mode") && strcmp(json_get_string(v, "auth_mode"), "chatgpt") == 0,
	   "codex: auth_mode becomes chatgpt");
	ok(json_get_string(v, "OPENAI_API_KEY") &&
	       strcmp(json_get_string(v, "OPENAI_API_KEY"), "sk-keep") == 0,
	   "codex: an API key in the file is kept");
	ok(json_get_string(tk, "account_id") &&
	       strcmp(json_get_string(tk, "account_id"), "acct-from-claims") == 0,
	   "codex: account_id from the id_token, not the old file's");
	ok(json_get(tk, "extra") && json_get_array(v, "other"), "codex: unknown members kept");
	ok(json_get_string(v, "last_refresh") &&
	       strcmp(json_get_string(v, "last_refresh"), "2023-11-14T22:13:20Z") == 0,
	   "codex: last_refresh is the time given, RFC 3339");
	json_free(v);
	SECRET_FREE(out);

	const char *const kv2[] = {"access_token", "at", NULL};
	struct credential *c2 = cred_of(kv2);
	ok(credfile_render(CREDFILE_CODEX, NULL, 0, c2, false, 0, &out, &err) == AIAUTH_UNSUPPORTED &&
	       err && strstr(err->message, "id_token"),
	   "codex: no id_token, no file (Codex would refuse it)");
	error_clear(&err);

	const char *const kv3[] = {"api_key", "sk-new", NULL};
	struct credential *c3 = cred_of(kv3);
	const char *old3 = "{\"tokens\":{\"refresh_token\":\"keep-me\"}}";
	ok(credfile_render(CREDFILE_CODEX, old3, strlen(old3), c3, true, 0, &out, &err) == AIAUTH_OK,
	   "codex: renders an API key");
	v = parse_text(out);
	ok(strcmp(json_get_string(v, "OPENAI_API_KEY"), "sk-new") == 0 &&
	       strcmp(json_get_string(v, "auth_mode"), "apikey") == 0 &&
	       json_get_string(json_get_object(v, "tokens"), "refresh_token"),
	   "codex: the key is set and the ChatGPT refresh token stays");
	json_free(v);
	SECRET_FREE(out);

	const char *const kv4[] = {"access_token", "ya29", "refresh_token", "1//r",
	                           "expires_at", "1800000000", NULL};
	struct credential *c4 = cred_of(kv4);
	const char *old4 = "{\"access_token\":\"old\",\"id_token\":\"other-account\",\"scope\":"
	                   "\"openid\",\"custom\":true}";
	ok(credfile_render(CREDFILE_GEMINI, old4, strlen(old4), c4, false, 0, &out, &err) ==
	       AIAUTH_OK,
	   "gemini: renders");
	v = parse_text(out);
	int64_t ms = 0;
	ok(strcmp(json_get_string(v, "access_token"), "ya29") == 0 &&
	       json_get_int(v, "expiry_date", &ms) && ms == 1800000000000LL &&
	       strcmp(json_get_string(v, "token_type"), "Bearer") == 0,
	   "gemini: token, expiry in ms, token_type");
	ok(!json_get(v, "id_token") && json_get_bool(v, "custom", false) &&
	       strcmp(json_get_string(v, "scope"), "openid") == 0,
	   "gemini: another sign-in's id_token dropped, unknown members and scope kept");
	json_free(v);
	SECRET_FREE(out);

	/* Round trip: what is written reads back the same. */
	struct credfile_contents back;
	ok(credfile_render(CREDFILE_GEMINI, NULL, 0, c4, false, 0, &out, &err) == AIAUTH_OK &&
	       credfile_parse(CREDFILE_GEMINI, (const char *)out->buf, out->len, &back, &err) ==
	           AIAUTH_OK &&
	       get_is(back.cred, "refresh_token", "1//r") && back.expires_at == 1800000000,
	   "gemini: render then parse gives the credential back");
	credfile_contents_clear(&back);
	SECRET_FREE(out);
	credential_free(c);
	credential_free(c2);
	credential_free(c3);
	credential_free(c4);
	free(idt);
}

static void test_compare(void)
{
	const char *const ours_kv[] = {"access_token", "a1", "refresh_token", "r1", "expires_at",
	                               "1000", "id_token", "keep", NULL};
	struct credential *ours = cred_of(ours_kv);
	struct credfile_contents f = {0};
	const char *const same_kv[] = {"access_token", "a1", "refresh_token", "r1", NULL};
	f.cred = cred_of(same_kv);
	ok(credfile_compare(ours, NULL, &f) == CREDFILE_SAME, "same tokens: SAME");
	credential_free(f.cred);

	const char *const newer_kv[] = {"access_token", "a2", "refresh_token", "r2", "expires_at",
	                                "2000", NULL};
	f.cred = cred_of(newer_kv);
	f.expires_at = 2000;
	ok(credfile_compare(ours, NULL, &f) == CREDFILE_FILE_NEWER,
	   "a rotated refresh token with a later expiry: FILE_NEWER");
	f.expires_at = 500;
	ok(credfile_compare(ours, NULL, &f) == CREDFILE_OURS_NEWER,
	   "other tokens with an earlier expiry: OURS_NEWER");
	f.email = strdup("x@a.test");
	ok(credfile_compare(ours, "y@a.test", &f) == CREDFILE_OTHER_ACCOUNT,
	   "different emails: OTHER_ACCOUNT");
	ok(credfile_compare(ours, "X@A.test", &f) == CREDFILE_OURS_NEWER,
	   "emails compare without case");
	f.expires_at = 2000;

	struct credential *merged = NULL;
	ok(credfile_take_in(ours, &f, &merged) == AIAUTH_OK && get_is(merged, "access_token", "a2") &&
	       get_is(merged, "refresh_token", "r2") && get_is(merged, "expires_at", "2000") &&
	       get_is(merged, "id_token", "keep"),
	   "take-in: the file's tokens over ours, our id_token kept");
	credential_free(merged);
	credfile_contents_clear(&f);

	const char *const at_only[] = {"access_token", "mine", NULL};
	struct credential *token_only = cred_of(at_only);
	const char *const rt_kv[] = {"access_token", "theirs", "refresh_token", "r9", NULL};
	f.cred = cred_of(rt_kv);
	ok(credfile_compare(token_only, NULL, &f) == CREDFILE_FILE_NEWER,
	   "a refresh token we do not have is never written over");
	const char *const no_exp_kv[] = {"access_token", "x", NULL};
	struct credential *no_rt = cred_of(no_exp_kv);
	ok(credfile_take_in(ours, &(struct credfile_contents){.cred = no_rt}, &merged) == AIAUTH_OK &&
	       get_is(merged, "refresh_token", "r1") && get_is(merged, "expires_at", NULL),
	   "take-in: our refresh token stays when the file has none; our old expiry goes");
	credential_free(merged);
	credential_free(no_rt);
	credfile_contents_clear(&f);
	ok(credfile_compare(ours, NULL, &f) == CREDFILE_OURS_NEWER, "an empty file: OURS_NEWER");
	const char *const key_kv[] = {"api_key", "k", NULL};
	struct credential *key = cred_of(key_kv);
	f.cred = cred_of(key_kv);
	f.api_key = true;
	ok(credfile_compare(key, NULL, &f) == CREDFILE_SAME, "the same API key: SAME");
	credfile_contents_clear(&f);
	credential_free(key);
	credential_free(token_only);
	credential_free(ours);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void test_files(void)
{
	const char *home = tap_tmpdir();
	const struct credfile_tool_info *t = credfile_tool(CREDFILE_GEMINI);
	struct credfile_contents c;
	struct aiauth_error *err = NULL;
	char dir[512], path[600], other[600];
	snprintf(dir, sizeof(dir), "%s/.gemini", home);
	snprintf(path, sizeof(path), "%s/oauth_creds.json", dir);

	ok(credfile_read(t, home, &c, &err) == AIAUTH_NOT_FOUND && err &&
	       strstr(err->message, "~/.gemini/oauth_creds.json"),
	   "files: a missing file is NOT_FOUND, named from ~");
	error_clear(&err);

	const char *const kv[] = {"access_token", "ya29", "refresh_token", "rt", NULL};
	struct credential *cred = cred_of(kv);
	ok(credfile_write(t, home, cred, false, 0, &err) == AIAUTH_OK, "files: written");
	struct stat st;
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "files: the directory is made 0700");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "files: the file is 0600");
	ok(credfile_read(t, home, &c, &err) == AIAUTH_OK && get_is(c.cred, "access_token", "ya29"),
	   "files: and reads back");
	credfile_contents_clear(&c);

	write_file(path, "{\"access_token\": 1}");
	ok(credfile_write(t, home, cred, false, 0, &err) == AIAUTH_OK,
	   "files: a member of the wrong type is replaced by the writer");
	error_clear(&err);
	write_file(path, "{\"access_token\":");
	ok(credfile_write(t, home, cred, false, 0, &err) == AIAUTH_CORRUPT && err &&
	       strstr(err->message, "~/.gemini/oauth_creds.json:"),
	   "files: a damaged file is not written over, and the message names it");
	error_clear(&err);
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	ok(f && fgets(buf, sizeof(buf), f) && strcmp(buf, "{\"access_token\":") == 0,
	   "files: the damaged file is unchanged");
	if (f)
		fclose(f);

	/* A link as the file is never followed. */
	snprintf(other, sizeof(other), "%s/elsewhere.json", home);
	write_file(other, "{\"access_token\":\"via-link\"}");
	unlink(path);
	ok(symlink(other, path) == 0, "files: made a link");
	ok(credfile_read(t, home, &c, &err) == AIAUTH_UNSUPPORTED && err &&
	       strstr(err->message, "symbolic link"),
	   "files: a linked file is refused on read");
	error_clear(&err);
	ok(credfile_write(t, home, cred, false, 0, &err) == AIAUTH_UNSUPPORTED,
	   "files: and on write");
	error_clear(&err);
	unlink(path);

	/* Larger than 1 MiB. */
	f = fopen(path, "w");
	fputc('{', f);
	for (int i = 0; i < CREDFILE_MAX_SIZE; i++)
		fputc(' ', f);
	fputc('}', f);
	fclose(f);
	ok(credfile_read(t, home, &c, &err) == AIAUTH_CORRUPT && err &&
	       strstr(err->message, "1 MiB"),
	   "files: a file over 1 MiB is refused");
	error_clear(&err);
	unlink(path);

	/* A tool directory that is a link out of $HOME. */
	const struct credfile_tool_info *cl = credfile_tool(CREDFILE_CLAUDE);
	char link[600];
	snprintf(link, sizeof(link), "%s/.claude", home);
	ok(symlink("/tmp", link) == 0, "files: linked ~/.claude to /tmp");
	ok(credfile_write(cl, home, cred, false, 0, &err) == AIAUTH_UNSUPPORTED && err &&
	       strstr(err->message, "out of your home"),
	   "files: a directory link out of $HOME is refused");
	error_clear(&err);
	unlink(link);
	char inside[600];
	snprintf(inside, sizeof(inside), "%s/dotfiles", home);
	mkdir(inside, 0700);
	ok(symlink(inside, link) == 0 && credfile_write(cl, home, cred, false, 0, &err) == AIAUTH_OK,
	   "files: a directory link inside $HOME is followed");
	error_clear(&err);
	credential_free(cred);
}

static void test_settings(void)
{
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/config", tap_tmpdir());
	struct aiauth_error *err = NULL;
	bool on = true;
	ok(credfile_auto_sync_get(dir, &on, &err) == AIAUTH_OK && !on,
	   "settings: off when there is no file");
	ok(credfile_auto_sync_set(dir, true, &err) == AIAUTH_OK &&
	       credfile_auto_sync_get(dir, &on, &err) == AIAUTH_OK && on,
	   "settings: turned on");
	char path[700];
	snprintf(path, sizeof(path), "%s/settings.json", dir);
	write_file(path, "{\"theme\":\"dark\",\"auto_sync\":true}");
	ok(credfile_auto_sync_set(dir, false, &err) == AIAUTH_OK &&
	       credfile_auto_sync_get(dir, &on, &err) == AIAUTH_OK && !on,
	   "settings: turned off");
	char buf[200] = "";
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	ok(strstr(buf, "\"theme\"") && strstr(buf, "false"), "settings: other members kept");
	write_file(path, "{auto");
	ok(credfile_auto_sync_set(dir, true, &err) == AIAUTH_CORRUPT, "settings: damaged is an error");
	error_clear(&err);
	f = fopen(path, "r");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	ok(strcmp(buf, "{auto") == 0, "settings: and a damaged file is left alone");
}

int main(void)
{
	test_tools();
	test_parse_claude();
	test_parse_codex();
	test_parse_gemini();
	test_render_claude();
	test_render_codex_gemini();
	test_compare();
	test_files();
	test_settings();
	return done_testing();
}
