/* test_registry.c - the built-in providers and the providers.json rules. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "tap.h"

static char file_path[512];

/* Write `text` to <tmp>/providers.json and return the path. */
static const char *write_file(const char *text)
{
	snprintf(file_path, sizeof(file_path), "%s/providers.json", tap_tmpdir());
	FILE *f = fopen(file_path, "w");
	if (!f) {
		perror(file_path);
		exit(99);
	}
	fputs(text, f);
	fclose(f);
	return file_path;
}

static struct registry *load_ok(const char *text, const char *what)
{
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = registry_load(write_file(text), &reg, &err);
	if (!ok(st == AIAUTH_OK && reg != NULL, "%s: loads", what))
		diag("status %d: %s", (int)st, err ? err->message : "(no message)");
	error_clear(&err);
	return reg;
}

/* The file must be refused as corrupt, with one line naming the file and
 * containing every one of the given pieces. */
static void expect_corrupt(const char *text, const char *what, const char *piece1,
                           const char *piece2)
{
	struct registry *reg = (struct registry *)1;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = registry_load(write_file(text), &reg, &err);
	const char *msg = err ? err->message : "";
	bool good = st == AIAUTH_CORRUPT && reg == NULL && err && strstr(msg, "providers.json") &&
	            !strchr(msg, '\n') && strstr(msg, piece1) && (!piece2 || strstr(msg, piece2));
	if (!ok(good, "refused: %s", what) || getenv("REGISTRY_TEST_SHOW"))
		diag("status %d, message: %s", (int)st, msg);
	if (st == AIAUTH_OK && reg != (struct registry *)1)
		registry_free(reg);
	error_clear(&err);
}

static bool streq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* --------------------------------------------------------- built-ins */

struct expect {
	const char *id;
	enum provider_group group;
	unsigned methods;
	const char *key_env;  /* fields[0].env, NULL: no fields */
	const char *token_env;
	const char *base_url; /* NULL: none */
	const char *models_path;
	enum models_auth auth;
};

static const struct expect expected[] = {
	{ "claude", PROVIDER_GROUP_SUBSCRIPTION, AUTH_METHOD_BROWSER, NULL,
	  "CLAUDE_CODE_OAUTH_TOKEN", NULL, NULL, MODELS_AUTH_BEARER },
	{ "chatgpt", PROVIDER_GROUP_SUBSCRIPTION, AUTH_METHOD_BROWSER, NULL, NULL, NULL, NULL,
	  MODELS_AUTH_BEARER },
	{ "google", PROVIDER_GROUP_SUBSCRIPTION, AUTH_METHOD_BROWSER, NULL, NULL, NULL, NULL,
	  MODELS_AUTH_BEARER },
	{ "grok", PROVIDER_GROUP_SUBSCRIPTION, AUTH_METHOD_DEVICE, NULL, NULL, NULL, NULL,
	  MODELS_AUTH_BEARER },
	{ "copilot", PROVIDER_GROUP_SUBSCRIPTION, AUTH_METHOD_DEVICE, NULL, "COPILOT_GITHUB_TOKEN",
	  NULL, NULL, MODELS_AUTH_BEARER },
	{ "kimi", PROVIDER_GROUP_SUBSCRIPTION, AUTH_METHOD_DEVICE | AUTH_METHOD_API_KEY,
	  "MOONSHOT_API_KEY", NULL, "https://api.moonshot.ai/v1", "/models", MODELS_AUTH_BEARER },
	{ "bob", PROVIDER_GROUP_SUBSCRIPTION, AUTH_METHOD_BROWSER, NULL, NULL, NULL, NULL,
	  MODELS_AUTH_BEARER },
	{ "anthropic", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "ANTHROPIC_API_KEY",
	  "ANTHROPIC_AUTH_TOKEN", "https://api.anthropic.com", "/v1/models", MODELS_AUTH_X_API_KEY },
	{ "openai", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "OPENAI_API_KEY", NULL,
	  "https://api.openai.com/v1", "/models", MODELS_AUTH_BEARER },
	{ "gemini", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "GEMINI_API_KEY", NULL,
	  "https://generativelanguage.googleapis.com", "/v1beta/models", MODELS_AUTH_GOOG },
	{ "xai", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "XAI_API_KEY", NULL,
	  "https://api.x.ai/v1", "/models", MODELS_AUTH_BEARER },
	{ "mistral", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "MISTRAL_API_KEY", NULL,
	  "https://api.mistral.ai/v1", "/models", MODELS_AUTH_BEARER },
	{ "openrouter", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "OPENROUTER_API_KEY", NULL,
	  "https://openrouter.ai/api/v1", "/models/user", MODELS_AUTH_BEARER },
	{ "deepseek", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "DEEPSEEK_API_KEY", NULL,
	  "https://api.deepseek.com", "/models", MODELS_AUTH_BEARER },
	{ "groq", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "GROQ_API_KEY", NULL,
	  "https://api.groq.com/openai/v1", "/models", MODELS_AUTH_BEARER },
	{ "together", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "TOGETHER_API_KEY", NULL,
	  "https://api.together.xyz/v1", "/models", MODELS_AUTH_BEARER },
	{ "fireworks", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "FIREWORKS_API_KEY", NULL,
	  "https://api.fireworks.ai/inference/v1", "/models", MODELS_AUTH_BEARER },
	{ "zai", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "ZAI_API_KEY", NULL,
	  "https://api.z.ai/api/paas/v4", NULL, MODELS_AUTH_BEARER },
	{ "minimax", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "MINIMAX_API_KEY", NULL,
	  "https://api.minimax.io/v1", "/models", MODELS_AUTH_BEARER },
	{ "azure", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "AZURE_OPENAI_API_KEY", NULL, NULL,
	  "/openai/models", MODELS_AUTH_AZURE },
	{ "bedrock", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "AWS_ACCESS_KEY_ID", NULL, NULL,
	  "/foundation-models", MODELS_AUTH_SIGV4 },
	{ "openai-compatible", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "OPENAI_API_KEY", NULL,
	  NULL, "/models", MODELS_AUTH_BEARER },
	{ "anthropic-compatible", PROVIDER_GROUP_API_KEY, AUTH_METHOD_API_KEY, "ANTHROPIC_API_KEY",
	  NULL, NULL, "/v1/models", MODELS_AUTH_X_API_KEY },
	{ "ollama", PROVIDER_GROUP_LOCAL, AUTH_METHOD_NONE, NULL, NULL, "http://127.0.0.1:11434",
	  "/api/tags", MODELS_AUTH_NONE },
	{ "lmstudio", PROVIDER_GROUP_LOCAL, AUTH_METHOD_NONE, NULL, NULL, "http://127.0.0.1:1234/v1",
	  "/models", MODELS_AUTH_NONE },
	{ "docker-model-runner", PROVIDER_GROUP_LOCAL, AUTH_METHOD_NONE, NULL, NULL,
	  "http://127.0.0.1:12434/engines/v1", "/models", MODELS_AUTH_NONE },
	{ "llamacpp", PROVIDER_GROUP_LOCAL, AUTH_METHOD_NONE, NULL, NULL, "http://127.0.0.1:8080/v1",
	  "/models", MODELS_AUTH_NONE },
	{ "vllm", PROVIDER_GROUP_LOCAL, AUTH_METHOD_NONE, NULL, NULL, "http://127.0.0.1:8000/v1",
	  "/models", MODELS_AUTH_NONE },
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

static void test_builtins(void)
{
	char missing[512];
	snprintf(missing, sizeof(missing), "%s/no-such-providers.json", tap_tmpdir());
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = registry_load(missing, &reg, &err);
	ok(st == AIAUTH_OK && reg && !err, "a missing providers.json is fine");
	error_clear(&err);
	if (!reg)
		return;
	ok(registry_count(reg) == N_EXPECTED, "%zu built-in providers (expected %zu)",
	   registry_count(reg), N_EXPECTED);
	/* The table above is in display order, so index i must match. */
	for (size_t i = 0; i < N_EXPECTED; i++) {
		const struct expect *e = &expected[i];
		const struct provider *p = registry_find(reg, e->id);
		if (!ok(p != NULL, "%s is built in", e->id))
			continue;
		ok(registry_at(reg, i) == p, "%s is at display position %zu", e->id, i);
		bool key_ok = e->key_env ? p->n_fields >= 1 && streq(p->fields[0].env, e->key_env)
		                         : p->n_fields == 0;
		ok(p->group == e->group && p->methods == e->methods && key_ok &&
		       streq(p->token_env, e->token_env) && streq(p->base_url, e->base_url) &&
		       streq(p->models_path, e->models_path) && p->models_auth == e->auth,
		   "%s: group, methods, variables, base URL and model list", e->id);
		ok(p->name && *p->name && p->description && *p->description && !p->user_defined,
		   "%s: has a name and a description, not user-defined", e->id);
	}
	ok(registry_find(reg, "nope") == NULL, "an unknown id is not found");
	ok(registry_at(reg, registry_count(reg)) == NULL, "registry_at past the end is NULL");

	const struct provider *p = registry_find(reg, "bedrock");
	ok(p && p->n_fields == 2 && streq(p->fields[0].name, "access_key_id") &&
	       streq(p->fields[0].env, "AWS_ACCESS_KEY_ID") &&
	       streq(p->fields[1].name, "secret_access_key") &&
	       streq(p->fields[1].env, "AWS_SECRET_ACCESS_KEY") && p->fields[1].prompt &&
	       streq(p->region_env, "AWS_REGION"),
	   "bedrock has two fields and a region variable");
	p = registry_find(reg, "azure");
	ok(p && p->needs_base_url && streq(p->base_url_env, "AZURE_OPENAI_ENDPOINT") &&
	       streq(p->api_version_env, "OPENAI_API_VERSION") &&
	       streq(p->default_api_version, "2024-10-21"),
	   "azure needs an endpoint and has an API version");
	p = registry_find(reg, "anthropic");
	ok(p && streq(p->key_prefix, "sk-ant-") && streq(p->base_url_env, "ANTHROPIC_BASE_URL") &&
	       streq(p->fields[0].name, "api_key"),
	   "anthropic: key prefix, base URL variable, api_key field");
	p = registry_find(reg, "gemini");
	ok(p && streq(p->key_prefix, "AIza") && streq(p->base_url_env, "GOOGLE_GEMINI_BASE_URL"),
	   "gemini: key prefix and base URL variable");
	p = registry_find(reg, "ollama");
	ok(p && streq(p->base_url_env, "OLLAMA_HOST"), "ollama: OLLAMA_HOST");
	ok(registry_find(reg, "openai-compatible")->needs_base_url &&
	       registry_find(reg, "anthropic-compatible")->needs_base_url &&
	       !registry_find(reg, "openai")->needs_base_url,
	   "compatible endpoints need a base URL, openai does not");

	bool grouped = true;
	for (size_t i = 1; i < registry_count(reg); i++)
		if (registry_at(reg, i - 1)->group > registry_at(reg, i)->group)
			grouped = false;
	ok(grouped && registry_at(reg, 0)->group == PROVIDER_GROUP_SUBSCRIPTION &&
	       registry_at(reg, registry_count(reg) - 1)->group == PROVIDER_GROUP_LOCAL,
	   "display order: subscription, API key, local");
	registry_free(reg);
}

/* ------------------------------------------------------ the user file */

static void test_override_and_add(void)
{
	struct registry *reg = load_ok(
		"{ \"version\": 1,\n"
		"  \"providers\": {\n"
		"    \"openai\": { \"base_url\": \"https://gateway.example.internal/v1//\",\n"
		"                \"key_prefix\": null },\n"
		"    \"mygateway\": { \"name\": \"Company gateway\", \"description\": \"Our proxy\",\n"
		"      \"group\": \"api_key\", \"base_url\": \"https://gw.example.internal\",\n"
		"      \"models_path\": \"/models\", \"models_auth\": \"bearer\",\n"
		"      \"fields\": [{\"name\":\"api_key\",\"prompt\":\"API key\",\"env\":\"MYGW_KEY\"}],\n"
		"      \"token_env\": null, \"base_url_env\": \"MYGW_BASE_URL\", \"key_prefix\": null,\n"
		"      \"needs_base_url\": false },\n"
		"    \"box\": { \"name\": \"Lab box\", \"group\": \"local\",\n"
		"      \"base_url\": \"http://localhost:9000/v1\", \"models_path\": \"/models\" },\n"
		"    \"claude\": { \"group\": \"local\" }\n"
		"  } }\n",
		"override and add");
	if (!reg)
		return;
	const struct provider *p = registry_find(reg, "openai");
	ok(p && streq(p->base_url, "https://gateway.example.internal/v1"),
	   "override: base_url replaced, trailing slashes removed");
	ok(p && streq(p->base_url_env, "OPENAI_BASE_URL") && p->n_fields == 1 &&
	       streq(p->fields[0].env, "OPENAI_API_KEY") && streq(p->models_path, "/models") &&
	       p->methods == AUTH_METHOD_API_KEY,
	   "override: the other fields are kept");
	ok(p && p->key_prefix == NULL, "override: null clears a field");
	ok(p && p->user_defined, "override: marked user-defined");
	ok(!registry_find(reg, "anthropic")->user_defined, "untouched built-ins are not user-defined");

	size_t n = registry_count(reg);
	ok(n == N_EXPECTED + 2, "two providers added (%zu)", n);
	p = registry_find(reg, "mygateway");
	ok(p && registry_at(reg, N_EXPECTED) == p, "the first addition comes after the built-ins");
	ok(p && streq(p->name, "Company gateway") && streq(p->description, "Our proxy") &&
	       p->group == PROVIDER_GROUP_API_KEY && p->methods == AUTH_METHOD_API_KEY &&
	       p->n_fields == 1 && streq(p->fields[0].name, "api_key") &&
	       streq(p->fields[0].prompt, "API key") && streq(p->fields[0].env, "MYGW_KEY") &&
	       streq(p->base_url, "https://gw.example.internal") &&
	       streq(p->base_url_env, "MYGW_BASE_URL") && p->models_auth == MODELS_AUTH_BEARER &&
	       !p->token_env && !p->key_prefix && !p->needs_base_url && p->user_defined,
	   "added provider has every field given, methods default to api_key");
	p = registry_find(reg, "box");
	ok(p && registry_at(reg, N_EXPECTED + 1) == p && p->methods == AUTH_METHOD_NONE &&
	       p->models_auth == MODELS_AUTH_NONE && streq(p->description, "Lab box") &&
	       streq(p->base_url, "http://localhost:9000/v1"),
	   "added local provider: file order, methods none, description defaults to the name");

	/* claude moved to the local group: built-ins stay grouped, and it stays
	 * before the user's additions. */
	p = registry_find(reg, "claude");
	size_t claude_at = n;
	for (size_t i = 0; i < n; i++)
		if (registry_at(reg, i) == p)
			claude_at = i;
	ok(p && p->group == PROVIDER_GROUP_LOCAL && claude_at == N_EXPECTED - 6 &&
	       registry_at(reg, claude_at - 1)->group == PROVIDER_GROUP_API_KEY,
	   "a built-in moved to another group is shown with that group (at %zu)", claude_at);
	registry_free(reg);

	reg = load_ok("{\"version\": 1}", "no providers member");
	ok(reg && registry_count(reg) == N_EXPECTED, "version alone: the built-ins");
	registry_free(reg);

	reg = load_ok("{\"version\": 1, \"providers\": {\"bedrock\": {\"fields\": ["
	              "{\"name\":\"access_key_id\",\"prompt\":\"Key id\",\"env\":\"AK\"},"
	              "{\"name\":\"secret_access_key\",\"prompt\":\"Secret\"},"
	              "{\"name\":\"session_token\",\"prompt\":\"Session token\","
	              "\"env\":\"AWS_SESSION_TOKEN\"}]}}}",
	              "fields replaced");
	p = reg ? registry_find(reg, "bedrock") : NULL;
	ok(p && p->n_fields == 3 && streq(p->fields[0].env, "AK") && p->fields[1].env == NULL &&
	       streq(p->fields[2].name, "session_token") && streq(p->region_env, "AWS_REGION"),
	   "an override replaces the whole field list and keeps the rest");
	registry_free(reg);

	reg = load_ok("{\"version\": 1, \"providers\": {"
	              "\"a\": {\"name\":\"A\",\"group\":\"local\",\"base_url\":\"http://127.0.0.1:1\"},"
	              "\"b\": {\"name\":\"B\",\"group\":\"local\",\"base_url\":\"http://[::1]:8/x/\"},"
	              "\"c\": {\"name\":\"C\",\"group\":\"local\",\"base_url\":\"http://127.1.2.3\"},"
	              "\"d\": {\"name\":\"D\",\"group\":\"subscription\",\"methods\":[\"device\"]}}}",
	              "loopback http URLs");
	ok(reg && streq(registry_find(reg, "b")->base_url, "http://[::1]:8/x") &&
	       registry_find(reg, "c") && registry_find(reg, "d")->methods == AUTH_METHOD_DEVICE,
	   "http to 127.x, [::1] and localhost is accepted");
	registry_free(reg);
}

static void test_default_location(void)
{
	char dir[512], file[600];
	snprintf(dir, sizeof(dir), "%s/xdg", tap_tmpdir());
	mkdir(dir, 0700);
	snprintf(file, sizeof(file), "%s/aiauth", dir);
	mkdir(file, 0700);
	snprintf(file, sizeof(file), "%s/aiauth/providers.json", dir);
	FILE *f = fopen(file, "w");
	if (!f)
		exit(99);
	fputs("{\"version\":1,\"providers\":{\"vllm\":{\"base_url\":\"http://127.0.0.1:8001/v1\"}}}",
	      f);
	fclose(f);
	setenv("XDG_CONFIG_HOME", dir, 1);
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = registry_load(NULL, &reg, &err);
	ok(st == AIAUTH_OK && reg &&
	       streq(registry_find(reg, "vllm")->base_url, "http://127.0.0.1:8001/v1"),
	   "NULL reads $XDG_CONFIG_HOME/aiauth/providers.json");
	if (err)
		diag("%s", err->message);
	error_clear(&err);
	registry_free(reg);
}

static void test_malformed(void)
{
	expect_corrupt("{\"version\": 1, \"providers\": {", "truncated JSON", "invalid JSON", NULL);
	expect_corrupt("", "empty file", "invalid JSON", NULL);
	expect_corrupt("[1]", "top level not an object", "top level", NULL);
	expect_corrupt("{\"version\":1,\"providerz\":{}}", "unknown top-level key",
	               "unknown top-level field \"providerz\"", NULL);
	expect_corrupt("{\"providers\":{}}", "version missing", "\"version\" is missing", NULL);
	expect_corrupt("{\"version\":2}", "version 2", "unsupported \"version\" 2", NULL);
	expect_corrupt("{\"version\":\"1\"}", "version as a string",
	               "\"version\" must be the number 1, not a string", NULL);
	expect_corrupt("{\"version\":1,\"version\":1}", "duplicate top-level key",
	               "\"version\" appears twice", NULL);
	expect_corrupt("{\"version\":1,\"providers\":[]}", "providers not an object",
	               "\"providers\" must be an object", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"mygateway\":{\"name\":\"G\","
	               "\"group\":\"api_key\",\"base_ur\":\"https://x\"}}}",
	               "unknown provider field", "provider \"mygateway\": unknown field \"base_ur\"",
	               NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_ur\":\"https://x\"}}}",
	               "unknown field in an override", "provider \"openai\": unknown field \"base_ur\"",
	               NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":5}}", "provider not an object",
	               "provider \"openai\": must be an object", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"needs_base_url\":\"yes\"}}}",
	               "bool of the wrong type", "\"needs_base_url\" must be true or false", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"name\":5}}}",
	               "name of the wrong type", "\"name\" must be a string", "a number");
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"name\":null}}}",
	               "name set to null", "\"name\" must be a string", "null");
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"name\":\"a\\nb\"}}}",
	               "a name with a newline", "\"name\" must be one line", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"x\":{\"name\":\"X\",\"group\":\"cloud\"}}}",
	               "unknown group", "provider \"x\"", "\"group\" must be");
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"methods\":[\"sms\"]}}}",
	               "unknown method", "unknown method \"sms\"", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"methods\":[]}}}",
	               "empty methods", "\"methods\" must not be empty", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"methods\":\"api_key\"}}}",
	               "methods not an array", "\"methods\" must be an array", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"models_auth\":\"basic\"}}}",
	               "unknown models_auth", "\"models_auth\" must be one of", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"My Gateway\":{\"name\":\"G\","
	               "\"group\":\"local\"}}}",
	               "id with a space and capitals", "provider id \"My Gateway\"", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"../x\":{\"name\":\"G\","
	               "\"group\":\"local\"}}}",
	               "id with a slash", "provider id \"../x\"", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{},\"openai\":{}}}",
	               "the same id twice", "provider \"openai\" appears twice", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":\"https://a\","
	               "\"base_url\":\"https://b\"}}}",
	               "the same field twice", "field \"base_url\" appears twice", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"x\":{\"name\":\"X\"}}}",
	               "new provider without a group", "provider \"x\"", "\"name\" and \"group\"");
	expect_corrupt("{\"version\":1,\"providers\":{\"x\":{\"name\":\"X\",\"group\":\"api_key\"}}}",
	               "api_key without fields", "provider \"x\"", "needs \"fields\"");

	/* base URLs */
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"http://gateway.example.internal/v1\"}}}",
	               "http to a non-loopback host", "provider \"openai\"", "must use https");
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"http://10.0.0.5:8000\"}}}",
	               "http to a private address", "must use https", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"http://127.evil.example\"}}}",
	               "http to a name that starts with 127.", "must use https", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"http://localhost.evil.example\"}}}",
	               "http to a name that starts with localhost", "must use https", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":\"ftp://x\"}}}",
	               "another scheme", "must start with https://", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"https://user:pw@x.example\"}}}",
	               "user info in the URL", "user name or password", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"https://x.example/v1?key=1\"}}}",
	               "a query", "query", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":\"https://\"}}}",
	               "no host", "has no host", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"https://x.example:99999\"}}}",
	               "a port out of range", "invalid port", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url\":"
	               "\"https://x example\"}}}",
	               "a space", "\"base_url\"", "space");

	/* other values */
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"base_url_env\":"
	               "\"X;rm -rf\"}}}",
	               "a variable name a shell would run", "not a valid environment variable name",
	               NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"models_path\":\"models\"}}}",
	               "a model path without /", "\"models_path\" must start with /", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"fields\":[]}}}", "empty fields",
	               "\"fields\" must not be empty", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"fields\":"
	               "[{\"name\":\"api_key\",\"prompt\":\"K\",\"envv\":\"A\"}]}}}",
	               "unknown key in a field", "fields[0]: unknown field \"envv\"", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"fields\":"
	               "[{\"name\":\"k\",\"prompt\":\"K\"},{\"name\":\"k\",\"prompt\":\"L\"}]}}}",
	               "two fields with one name", "two fields are named \"k\"", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"fields\":"
	               "[{\"name\":\"k\"}]}}}",
	               "a field without a prompt", "fields[0] needs \"name\" and \"prompt\"", NULL);
	expect_corrupt("{\"version\":1,\"providers\":{\"openai\":{\"fields\":"
	               "[{\"name\":\"API KEY\",\"prompt\":\"K\"}]}}}",
	               "a field name with capitals", "fields[0]: \"name\" must be", NULL);
}

/* ------------------------------------------------------------- OAuth */

static bool has_oauth_method(const struct provider *p)
{
	return (p->methods & (AUTH_METHOD_BROWSER | AUTH_METHOD_DEVICE)) != 0;
}

/* What oauth_usable() in registry.c promises the flows. */
static bool oauth_runs(const struct provider *p)
{
	const struct provider_oauth *o = &p->oauth;
	if (!o->client_id)
		return false;
	if ((p->methods & AUTH_METHOD_BROWSER) && !o->issuer &&
	    !(o->authorization_endpoint && o->token_endpoint))
		return false;
	if ((p->methods & AUTH_METHOD_DEVICE) && !o->issuer &&
	    !(o->device_authorization_endpoint && o->token_endpoint))
		return false;
	return true;
}

static bool hint_names_config(const struct provider *p)
{
	const char *h = p->oauth.config_hint;
	return h && strstr(h, "providers.json") && strstr(h, "client_id") && !strchr(h, '\n');
}

static void test_oauth_builtins(void)
{
	char missing[512];
	snprintf(missing, sizeof(missing), "%s/no-such-providers.json", tap_tmpdir());
	struct registry *reg = NULL;
	struct aiauth_error *err = NULL;
	if (!ok(registry_load(missing, &reg, &err) == AIAUTH_OK && reg, "built-ins load")) {
		error_clear(&err);
		return;
	}

	const struct provider *p = registry_find(reg, "copilot");
	ok(p && streq(p->oauth.device_authorization_endpoint, "https://github.com/login/device/code") &&
	       streq(p->oauth.token_endpoint, "https://github.com/login/oauth/access_token") &&
	       p->oauth.client_id && *p->oauth.client_id && streq(p->oauth.scopes, "read:user") &&
	       p->oauth.token_format == OAUTH_TOKEN_FORM && !p->oauth.needs_config,
	   "copilot: GitHub device flow with a client id");

	p = registry_find(reg, "google");
	ok(p && p->oauth.client_id && strstr(p->oauth.client_id, ".apps.googleusercontent.com") &&
	       p->oauth.client_secret && p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_ANY &&
	       streq(p->oauth.redirect_path, "/oauth2callback") &&
	       streq(p->oauth.authorization_endpoint, "https://accounts.google.com/o/oauth2/v2/auth") &&
	       streq(p->oauth.token_endpoint, "https://oauth2.googleapis.com/token") &&
	       streq(p->oauth.userinfo_endpoint, "https://www.googleapis.com/oauth2/v2/userinfo") &&
	       p->oauth.scopes && strstr(p->oauth.scopes, "cloud-platform") &&
	       streq(p->oauth.extra_auth_params, "access_type=offline") && !p->oauth.needs_config,
	   "google: installed-app client id and secret, loopback on any port");

	p = registry_find(reg, "chatgpt");
	ok(p && streq(p->oauth.issuer, "https://auth.openai.com") && p->oauth.client_id &&
	       p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_FIXED && p->oauth.redirect_port == 1455 &&
	       streq(p->oauth.redirect_path, "/auth/callback") &&
	       streq(p->oauth.redirect_uri, "http://localhost:1455/auth/callback") &&
	       p->oauth.scopes && strstr(p->oauth.scopes, "offline_access") &&
	       p->oauth.extra_auth_params && strstr(p->oauth.extra_auth_params, "originator=") &&
	       !p->oauth.needs_config,
	   "chatgpt: Codex's fixed loopback port and path");

	p = registry_find(reg, "claude");
	ok(p && p->oauth.redirect == OAUTH_REDIRECT_PASTE && p->oauth.redirect_uri &&
	       strncmp(p->oauth.redirect_uri, "https://", 8) == 0 &&
	       p->oauth.token_format == OAUTH_TOKEN_JSON &&
	       streq(p->oauth.extra_auth_params, "code=true") && p->oauth.client_id &&
	       !p->oauth.needs_config,
	   "claude: paste redirect, JSON token requests, code=true");

	p = registry_find(reg, "kimi");
	ok(p && p->oauth.device_authorization_endpoint && p->oauth.token_endpoint &&
	       p->oauth.client_id && !p->oauth.needs_config,
	   "kimi: device flow with a client id");

	static const char *const unpublished[] = { "grok", "bob" };
	for (size_t i = 0; i < sizeof(unpublished) / sizeof(unpublished[0]); i++) {
		p = registry_find(reg, unpublished[i]);
		ok(p && p->oauth.needs_config && hint_names_config(p) && !p->oauth.client_id &&
		       !p->oauth.issuer && !p->oauth.token_endpoint,
		   "%s: no public OAuth details, so needs_config with a hint and no guesses",
		   unpublished[i]);
	}

	/* The invariant every flow relies on, for the whole table. */
	size_t wrong = 0;
	for (size_t i = 0; i < registry_count(reg); i++) {
		p = registry_at(reg, i);
		bool good;
		if (!has_oauth_method(p))
			good = !p->oauth.client_id && !p->oauth.needs_config && !p->oauth.token_endpoint;
		else if (p->oauth.needs_config)
			good = hint_names_config(p);
		else
			good = oauth_runs(p) && !p->oauth.config_hint;
		if (!good) {
			diag("%s: OAuth settings do not match its methods", p->id);
			wrong++;
		}
	}
	ok(wrong == 0, "every built-in with browser or device sign-in can run or needs_config");
	registry_free(reg);
}

#define ONE(id, body) "{\"version\":1,\"providers\":{\"" id "\":" body "}}"

static void test_oauth_file(void)
{
	struct registry *reg = load_ok(
		"{\"version\":1,\"providers\":{\n"
		" \"google\":{\"oauth\":{\"scopes\":\"openid email\",\"redirect_port\":null,\n"
		"   \"token_endpoint\":\"HTTPS://oauth2.example.com/token/\"}},\n"
		" \"claude\":{\"oauth\":{\"extra_auth_params\":null,\"token_format\":null}},\n"
		" \"copilot\":{\"oauth\":null},\n"
		" \"corp\":{\"name\":\"Corp\",\"group\":\"subscription\",\"methods\":[\"browser\",\"device\"],\n"
		"   \"oauth\":{\"issuer\":\"https://id.example.com\",\"client_id\":\"abc\",\n"
		"     \"client_secret\":\"public\",\"scopes\":\"openid\",\"redirect\":\"loopback_fixed\",\n"
		"     \"redirect_port\":8765,\"redirect_path\":\"/cb\",\n"
		"     \"redirect_uri\":\"http://localhost:8765/cb\",\n"
		"     \"extra_auth_params\":\"prompt=consent&x=%20y\",\"token_format\":\"json\",\n"
		"     \"userinfo_endpoint\":\"http://127.0.0.1:9/userinfo\"}},\n"
		" \"bare\":{\"name\":\"Bare\",\"group\":\"subscription\"}\n"
		"}}",
		"oauth overrides and additions");
	if (!reg)
		return;
	const struct provider *p = registry_find(reg, "google");
	ok(p && streq(p->oauth.scopes, "openid email") && p->oauth.client_id &&
	       p->oauth.client_secret && streq(p->oauth.redirect_path, "/oauth2callback") &&
	       p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_ANY && p->oauth.userinfo_endpoint &&
	       !p->oauth.needs_config,
	   "oauth override: the given member replaced, the others kept");
	ok(p && streq(p->oauth.token_endpoint, "https://oauth2.example.com/token/"),
	   "oauth endpoint: scheme lowered, kept otherwise (%s)",
	   p && p->oauth.token_endpoint ? p->oauth.token_endpoint : "NULL");

	p = registry_find(reg, "claude");
	ok(p && !p->oauth.extra_auth_params && p->oauth.token_format == OAUTH_TOKEN_FORM &&
	       p->oauth.redirect == OAUTH_REDIRECT_PASTE && p->oauth.redirect_uri &&
	       p->oauth.client_id,
	   "oauth member null: back to its default, the rest kept");

	p = registry_find(reg, "copilot");
	ok(p && !p->oauth.client_id && !p->oauth.device_authorization_endpoint &&
	       !p->oauth.token_endpoint && p->oauth.needs_config && hint_names_config(p),
	   "\"oauth\": null clears it all, and the device method then needs configuration");

	p = registry_find(reg, "corp");
	ok(p && streq(p->oauth.issuer, "https://id.example.com") && streq(p->oauth.client_id, "abc") &&
	       streq(p->oauth.client_secret, "public") && streq(p->oauth.scopes, "openid") &&
	       p->oauth.redirect == OAUTH_REDIRECT_LOOPBACK_FIXED && p->oauth.redirect_port == 8765 &&
	       streq(p->oauth.redirect_path, "/cb") &&
	       streq(p->oauth.redirect_uri, "http://localhost:8765/cb") &&
	       streq(p->oauth.extra_auth_params, "prompt=consent&x=%20y") &&
	       p->oauth.token_format == OAUTH_TOKEN_JSON &&
	       streq(p->oauth.userinfo_endpoint, "http://127.0.0.1:9/userinfo") &&
	       !p->oauth.needs_config && !p->oauth.config_hint,
	   "new provider: every oauth member read, an issuer makes it usable");

	p = registry_find(reg, "bare");
	ok(p && p->methods == AUTH_METHOD_BROWSER && p->oauth.needs_config && hint_names_config(p),
	   "new subscription provider without oauth: needs_config with a hint");
	registry_free(reg);

	/* needs_config cleared by supplying settings */
	reg = load_ok("{\"version\":1,\"providers\":{"
	              "\"grok\":{\"oauth\":{\"client_id\":\"mine\",\"issuer\":\"https://auth.example\"}},"
	              "\"bob\":{\"oauth\":{\"client_id\":\"b\",\"redirect\":\"loopback\","
	              "\"authorization_endpoint\":\"https://id.example/authorize\","
	              "\"token_endpoint\":\"https://id.example/token\"}}}}",
	              "needs_config providers configured");
	p = reg ? registry_find(reg, "grok") : NULL;
	ok(p && !p->oauth.needs_config && !p->oauth.config_hint && streq(p->oauth.client_id, "mine"),
	   "grok: a client id and an issuer clear needs_config and its hint");
	p = reg ? registry_find(reg, "bob") : NULL;
	ok(p && !p->oauth.needs_config && !p->oauth.config_hint,
	   "bob: a client id and both browser endpoints clear needs_config");
	registry_free(reg);

	reg = load_ok("{\"version\":1,\"providers\":{"
	              "\"grok\":{\"oauth\":{\"client_id\":\"mine\"}},"
	              "\"bob\":{\"oauth\":{\"client_id\":\"b\",\"issuer\":\"https://id.example\","
	              "\"needs_config\":true}}}}",
	              "needs_config providers half configured");
	p = reg ? registry_find(reg, "grok") : NULL;
	ok(p && p->oauth.needs_config && hint_names_config(p) && strstr(p->oauth.config_hint, "xAI"),
	   "grok: a client id alone is not enough, the built-in hint stays");
	p = reg ? registry_find(reg, "bob") : NULL;
	ok(p && p->oauth.needs_config, "bob: an explicit needs_config true is kept");
	registry_free(reg);

	reg = load_ok(ONE("copilot", "{\"oauth\":{\"needs_config\":false,"
	                             "\"device_authorization_endpoint\":null}}"),
	              "needs_config false without a device endpoint");
	p = reg ? registry_find(reg, "copilot") : NULL;
	ok(p && p->oauth.needs_config && hint_names_config(p),
	   "a device method without its endpoint is needs_config whatever the file says");
	registry_free(reg);
}

static void test_oauth_malformed(void)
{
	expect_corrupt(ONE("google", "{\"oauth\":{\"scope\":\"x\"}}"), "unknown oauth member",
	               "provider \"google\"", "unknown field \"oauth.scope\"");
	expect_corrupt(ONE("google", "{\"oauth\":{\"redirect\":\"browser\"}}"), "bad redirect name",
	               "provider \"google\"", "\"oauth.redirect\" must be");
	expect_corrupt(ONE("google", "{\"oauth\":{\"redirect\":1}}"), "redirect of the wrong type",
	               "\"oauth.redirect\" must be", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"redirect\":\"loopback_fixed\"}}"),
	               "loopback_fixed without a port", "provider \"google\"",
	               "needs \"oauth.redirect_port\"");
	expect_corrupt(ONE("google", "{\"oauth\":{\"redirect_port\":70000}}"), "port out of range",
	               "\"oauth.redirect_port\" must be a port number", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"redirect_port\":0}}"), "port 0",
	               "\"oauth.redirect_port\" must be a port number", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"redirect_port\":\"1455\"}}"), "port as a string",
	               "\"oauth.redirect_port\" must be a port number", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"token_endpoint\":"
	                             "\"http://auth.example.com/token\"}}"),
	               "non-https endpoint", "provider \"google\"",
	               "\"oauth.token_endpoint\" must use https");
	expect_corrupt(ONE("google", "{\"oauth\":{\"issuer\":\"http://10.1.2.3\"}}"),
	               "http issuer on the LAN", "\"oauth.issuer\" must use https", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"userinfo_endpoint\":\"ftp://x.example\"}}"),
	               "another scheme", "\"oauth.userinfo_endpoint\" must start with https://",
	               NULL);
	expect_corrupt(ONE("claude", "{\"oauth\":{\"redirect_uri\":\"http://evil.example/cb\"}}"),
	               "paste page over http", "\"oauth.redirect_uri\" must use https", NULL);

	static const char *const bad_params[] = {
		"a=b&c", "a b=c", "a=<y>", "=v", "a=", "a=b&", "a=%zz", "a=%2", "a=b=c", "a=b#c",
	};
	for (size_t i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
		char text[256], what[64];
		snprintf(text, sizeof(text), ONE("google", "{\"oauth\":{\"extra_auth_params\":\"%s\"}}"),
		         bad_params[i]);
		snprintf(what, sizeof(what), "extra_auth_params \"%s\"", bad_params[i]);
		expect_corrupt(text, what, "provider \"google\"",
		               "\"oauth.extra_auth_params\" must be name=value pairs");
	}
	expect_corrupt(ONE("google", "{\"oauth\":{\"extra_auth_params\":\"x=1&state=fixed\"}}"),
	               "extra_auth_params setting state", "must not set \"state\"", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"extra_auth_params\":\"code_challenge=a\"}}"),
	               "extra_auth_params setting the PKCE challenge",
	               "must not set \"code_challenge\"", NULL);

	expect_corrupt(ONE("google", "{\"oauth\":{\"redirect_path\":\"callback\"}}"),
	               "redirect_path without /", "\"oauth.redirect_path\" must start with /", NULL);
	expect_corrupt(ONE("x", "{\"name\":\"X\",\"group\":\"subscription\",\"oauth\":{"
	                        "\"client_id\":\"c\",\"issuer\":\"https://id.example\","
	                        "\"redirect\":\"paste\"}}"),
	               "paste without a redirect_uri", "provider \"x\"",
	               "needs \"oauth.redirect_uri\"");
	expect_corrupt(ONE("chatgpt", "{\"oauth\":{\"redirect_port\":1456}}"),
	               "loopback_fixed port that no longer matches redirect_uri",
	               "provider \"chatgpt\"", "http://localhost:1456/auth/callback");
	expect_corrupt(ONE("chatgpt", "{\"oauth\":{\"redirect_uri\":\"https://localhost:1455/auth/callback\"}}"),
	               "loopback_fixed redirect_uri over https", "\"oauth.redirect_uri\" of a", NULL);
	expect_corrupt(ONE("chatgpt", "{\"oauth\":{\"redirect_uri\":\"http://localhost:1455/other\"}}"),
	               "loopback_fixed redirect_uri with another path", "\"oauth.redirect_uri\" of a",
	               NULL);
	expect_corrupt(ONE("google", "{\"oauth\":[]}"), "oauth not an object",
	               "\"oauth\" must be an object or null", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"client_id\":5}}"), "client_id of the wrong type",
	               "\"oauth.client_id\" must be a string or null", "a number");
	expect_corrupt(ONE("google", "{\"oauth\":{\"client_id\":\"a\\nb\"}}"), "client_id with a newline",
	               "\"oauth.client_id\" must be one line", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"needs_config\":\"yes\"}}"),
	               "needs_config of the wrong type", "\"oauth.needs_config\" must be true or false",
	               NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"token_format\":\"xml\"}}"), "bad token_format",
	               "\"oauth.token_format\" must be \"form\" or \"json\"", NULL);
	expect_corrupt(ONE("google", "{\"oauth\":{\"scopes\":\"a\",\"scopes\":\"b\"}}"),
	               "an oauth member twice", "field \"oauth.scopes\" appears twice", NULL);
}

static void test_huge_file(void)
{
	size_t n = 1024 * 1024 + 64;
	char *big = malloc(n + 1);
	if (!big)
		exit(99);
	/* Valid JSON, so only the size can be the reason for refusing it. */
	memset(big, ' ', n);
	memcpy(big, "{\"version\":1}", 13);
	big[n] = '\0';
	struct registry *reg = (struct registry *)1;
	struct aiauth_error *err = NULL;
	enum aiauth_status st = registry_load(write_file(big), &reg, &err);
	ok(st == AIAUTH_CORRUPT && reg == NULL && err && strstr(err->message, "providers.json") &&
	       strstr(err->message, "too large"),
	   "a file over 1 MiB is refused (%s)", err ? err->message : "no message");
	error_clear(&err);

	/* Valid JSON nested 400000 deep: yajl would parse it, and freeing the
	 * tree recursively would overflow the stack. */
	size_t depth = 400000, pos = 0;
	pos += (size_t)sprintf(big, "{\"version\":1,\"x\":");
	memset(big + pos, '[', depth);
	pos += depth;
	memset(big + pos, ']', depth);
	pos += depth;
	strcpy(big + pos, "}");
	reg = (struct registry *)1;
	st = registry_load(write_file(big), &reg, &err);
	ok(st == AIAUTH_CORRUPT && reg == NULL && err && strstr(err->message, "providers.json") &&
	       strstr(err->message, "nested"),
	   "deeply nested JSON is refused, not a crash (%s)", err ? err->message : "no message");
	error_clear(&err);
	free(big);

	reg = load_ok("// comment with [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
	              "{\"version\":1, /* [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ */ \"providers\":"
	              "{\"openai\":{\"name\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"}}}",
	              "brackets in strings and comments do not count as nesting");
	registry_free(reg);
}

static void test_normalize(void)
{
	char *out = NULL;
	struct aiauth_error *err = NULL;
	ok(registry_normalize_base_url("HTTPS://Gw.Example/v1//", &out, &err) == AIAUTH_OK &&
	       streq(out, "https://Gw.Example/v1"),
	   "normalize: scheme lowered, trailing slashes removed (%s)", out ? out : "NULL");
	free(out);
	out = NULL;
	ok(registry_normalize_base_url("https://x.example/", &out, &err) == AIAUTH_OK &&
	       streq(out, "https://x.example"),
	   "normalize: a lone trailing slash is removed");
	free(out);
	out = NULL;
	enum aiauth_status st = registry_normalize_base_url("http://192.168.1.2", &out, &err);
	ok(st == AIAUTH_USAGE && out == NULL && err && strstr(err->message, "https"),
	   "normalize: http to a LAN address is refused as usage");
	error_clear(&err);
}

static void test_names(void)
{
	ok(streq(provider_group_name(PROVIDER_GROUP_API_KEY), "api_key") &&
	       streq(provider_group_name(PROVIDER_GROUP_SUBSCRIPTION), "subscription") &&
	       streq(provider_group_name(PROVIDER_GROUP_LOCAL), "local"),
	   "group names");
	ok(streq(auth_method_name(AUTH_METHOD_DEVICE), "device") &&
	       streq(auth_method_name(AUTH_METHOD_BROWSER), "browser") &&
	       streq(auth_method_name(AUTH_METHOD_API_KEY), "api_key") &&
	       streq(auth_method_name(AUTH_METHOD_NONE), "none"),
	   "method names");
	ok(streq(models_auth_name(MODELS_AUTH_GOOG), "x-goog-api-key") &&
	       streq(models_auth_name(MODELS_AUTH_SIGV4), "sigv4") &&
	       streq(models_auth_name(MODELS_AUTH_X_API_KEY), "x-api-key"),
	   "models_auth names");
}

int main(void)
{
	test_builtins();
	test_override_and_add();
	test_default_location();
	test_malformed();
	test_oauth_builtins();
	test_oauth_file();
	test_oauth_malformed();
	test_huge_file();
	test_normalize();
	test_names();
	return done_testing();
}
