/* registry_builtin.c - the providers aiauth knows without configuration.
 *
 * Every fact here is public and checked against the provider's own
 * documentation or source; where a fact is not public (an OAuth endpoint, a
 * model-list path) the field is NULL rather than a plausible-looking guess.
 *
 * OAuth facts come from the open-source clients that use them, named next to
 * each entry (repository and file), because that is where providers publish
 * them.  Where no public source confirms them, the entry is marked
 * needs_config and its config_hint names the providers.json members to set.
 * Client ids and the Gemini CLI's client secret are public by design: they
 * belong to "installed application" clients, which cannot keep a secret.
 *
 * Ids are stable: they appear in command lines, accounts.json and secret
 * store attributes.  Never rename one.  Names, descriptions and prompts are
 * marked with N_() and translated where they are shown. */
#include "config.h"

#include "i18n.h"
#include "registry_private.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* The one-field case: an API key handed to tools in `env`. */
#define API_KEY_FIELD(var) \
	static const struct builtin_field var##_fields[] = { { "api_key", N_("API key"), #var } }

API_KEY_FIELD(MOONSHOT_API_KEY);
API_KEY_FIELD(ANTHROPIC_API_KEY);
API_KEY_FIELD(OPENAI_API_KEY);
API_KEY_FIELD(GEMINI_API_KEY);
API_KEY_FIELD(XAI_API_KEY);
API_KEY_FIELD(MISTRAL_API_KEY);
API_KEY_FIELD(OPENROUTER_API_KEY);
API_KEY_FIELD(DEEPSEEK_API_KEY);
API_KEY_FIELD(GROQ_API_KEY);
API_KEY_FIELD(TOGETHER_API_KEY);
API_KEY_FIELD(FIREWORKS_API_KEY);
API_KEY_FIELD(ZAI_API_KEY);
API_KEY_FIELD(MINIMAX_API_KEY);
API_KEY_FIELD(AZURE_OPENAI_API_KEY);

static const struct builtin_field bedrock_fields[] = {
	{ "access_key_id", N_("Access key ID"), "AWS_ACCESS_KEY_ID" },
	{ "secret_access_key", N_("Secret access key"), "AWS_SECRET_ACCESS_KEY" },
};

#define FIELDS(a) .fields = (a), .n_fields = NFIELDS(a)

const struct builtin_provider registry_builtins[] = {
	/* ---------------------------------------------- subscription sign-in */
	{
		/* Claude Code shows `code#state` to paste after the browser sign-in;
		 * it reads a long-lived OAuth token from CLAUDE_CODE_OAUTH_TOKEN.
		 *
		 * Claude Code itself is not open source; its OAuth client is
		 * re-implemented by opencode's Anthropic plugin, the source of every
		 * value below: sst/opencode-anthropic-auth, index.mjs (authorize
		 * on claude.ai with code=true, the console's paste page as redirect,
		 * JSON token requests that also carry `state`).  Anthropic has since
		 * renamed console.anthropic.com to platform.claude.com, and newer
		 * clients (badlogic/pi-mono, packages/ai/src/utils/oauth/
		 * anthropic.ts) post to https://platform.claude.com/v1/oauth/token:
		 * if the old host stops answering, override token_endpoint and
		 * redirect_uri in providers.json. */
		.id = "claude",
		.name = N_("Claude Pro/Max"),
		.description = N_("Anthropic Claude subscription, signed in through the browser"),
		.group = PROVIDER_GROUP_SUBSCRIPTION,
		.methods = AUTH_METHOD_BROWSER,
		.token_env = "CLAUDE_CODE_OAUTH_TOKEN",
		.models_auth = MODELS_AUTH_BEARER,
		.oauth = {
			.authorization_endpoint = "https://claude.ai/oauth/authorize",
			.token_endpoint = "https://console.anthropic.com/v1/oauth/token",
			.client_id = "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
			.scopes = "org:create_api_key user:profile user:inference",
			.redirect = OAUTH_REDIRECT_PASTE,
			.redirect_uri = "https://console.anthropic.com/oauth/code/callback",
			.extra_auth_params = "code=true",
			.token_format = OAUTH_TOKEN_JSON,
		},
	},
	{
		/* Codex keeps ChatGPT tokens in ~/.codex/auth.json and reads no
		 * variable for them (OPENAI_API_KEY is for platform keys, which a
		 * ChatGPT access token is not), so there is no token_env.  Codex's
		 * own headless login is not RFC 8628, hence browser only.
		 *
		 * From openai/codex: the client id is CLIENT_ID in
		 * codex-rs/login/src/auth/manager.rs; codex-rs/login/src/server.rs
		 * builds {issuer}/oauth/authorize and {issuer}/oauth/token itself
		 * (no discovery, so both are given here), listens on port 1455
		 * and registers exactly http://localhost:1455/auth/callback, which
		 * is why redirect_uri spells "localhost".  The extra parameters are
		 * the ones its build_authorize_url() adds; "codex_cli_rs" is
		 * DEFAULT_ORIGINATOR in codex-rs/login/src/auth/default_client.rs.
		 * Newer Codex releases also ask for the api.connectors.* scopes,
		 * which only its connectors feature uses.  Email: the id_token. */
		.id = "chatgpt",
		.name = N_("ChatGPT (Codex)"),
		.description = N_("OpenAI ChatGPT plan used by Codex, signed in through the browser"),
		.group = PROVIDER_GROUP_SUBSCRIPTION,
		.methods = AUTH_METHOD_BROWSER,
		.models_auth = MODELS_AUTH_BEARER,
		.oauth = {
			.issuer = "https://auth.openai.com",
			.authorization_endpoint = "https://auth.openai.com/oauth/authorize",
			.token_endpoint = "https://auth.openai.com/oauth/token",
			.client_id = "app_EMoamEEZ73f0CkXaXp7hrann",
			.scopes = "openid profile email offline_access",
			.redirect = OAUTH_REDIRECT_LOOPBACK_FIXED,
			.redirect_port = 1455,
			.redirect_path = "/auth/callback",
			.redirect_uri = "http://localhost:1455/auth/callback",
			.extra_auth_params = "id_token_add_organizations=true&"
			                     "codex_cli_simplified_flow=true&originator=codex_cli_rs",
			.token_format = OAUTH_TOKEN_FORM,
		},
	},
	{
		/* Gemini CLI keeps its Google sign-in in ~/.gemini/oauth_creds.json;
		 * it documents no variable for an OAuth access token.
		 *
		 * From google-gemini/gemini-cli, packages/core/src/code_assist/
		 * oauth2.ts: the installed-app client id and secret (its comment
		 * quotes Google: "the client secret is obviously not treated as a
		 * secret"), the three scopes, access_type=offline (for a refresh
		 * token), http://127.0.0.1:<any free port>/oauth2callback, and the
		 * userinfo endpoint it reads the email from.  The endpoints are
		 * google-auth-library's defaults (googleapis/google-auth-library-
		 * nodejs, src/auth/oauth2client.ts). */
		.id = "google",
		.name = N_("Google Gemini (sign-in)"),
		.description = N_("Gemini with a Google account, signed in through the browser"),
		.group = PROVIDER_GROUP_SUBSCRIPTION,
		.methods = AUTH_METHOD_BROWSER,
		.models_auth = MODELS_AUTH_BEARER,
		.oauth = {
			.authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth",
			.token_endpoint = "https://oauth2.googleapis.com/token",
			.userinfo_endpoint = "https://www.googleapis.com/oauth2/v2/userinfo",
			.client_id = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j"
			             ".apps.googleusercontent.com",
			.client_secret = "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",
			.scopes = "https://www.googleapis.com/auth/cloud-platform "
			          "https://www.googleapis.com/auth/userinfo.email "
			          "https://www.googleapis.com/auth/userinfo.profile",
			.redirect = OAUTH_REDIRECT_LOOPBACK_ANY,
			.redirect_path = "/oauth2callback",
			.extra_auth_params = "access_type=offline",
			.token_format = OAUTH_TOKEN_FORM,
		},
	},
	{
		/* xAI's sign-in for Grok is an OIDC device-code flow (no callback
		 * URL), so device rather than browser.  xAI publishes neither the
		 * issuer nor a client id, and no client of xAI's own shows them:
		 * the method needs configuration. */
		.id = "grok",
		.name = N_("xAI Grok (sign-in)"),
		.description = N_("Grok with an xAI account, signed in with a device code"),
		.group = PROVIDER_GROUP_SUBSCRIPTION,
		.methods = AUTH_METHOD_DEVICE,
		.models_auth = MODELS_AUTH_BEARER,
		.oauth = {
			.needs_config = true,
			.config_hint = N_("xAI has not published the details of its Grok sign-in. In "
			                  "providers.json, give \"grok\" an \"oauth\" object with "
			                  "\"client_id\", \"scopes\" and either \"issuer\" or both "
			                  "\"device_authorization_endpoint\" and \"token_endpoint\"."),
		},
	},
	{
		/* Copilot CLI reads COPILOT_GITHUB_TOKEN first (then GH_TOKEN,
		 * GITHUB_TOKEN); the first is the one that concerns Copilot only.
		 *
		 * GitHub's device flow (docs.github.com, "Authorizing OAuth apps",
		 * Device flow) with the client id and scope the Copilot editor
		 * plugins use, as opencode does (anomalyco/opencode, packages/
		 * opencode/src/auth/github-copilot.ts).  GitHub's token endpoint
		 * answers form-encoded text unless the request sends
		 * "Accept: application/json"; every aiauth token request sends it
		 * (oauth.c), so nothing here needs to ask for it.  GitHub has no
		 * issuer metadata and no refresh token for this app. */
		.id = "copilot",
		.name = N_("GitHub Copilot"),
		.description = N_("GitHub Copilot subscription, signed in with a device code"),
		.group = PROVIDER_GROUP_SUBSCRIPTION,
		.methods = AUTH_METHOD_DEVICE,
		.token_env = "COPILOT_GITHUB_TOKEN",
		.models_auth = MODELS_AUTH_BEARER,
		.oauth = {
			.device_authorization_endpoint = "https://github.com/login/device/code",
			.token_endpoint = "https://github.com/login/oauth/access_token",
			.client_id = "Iv1.b507a08c87ecfe98",
			.scopes = "read:user",
			.token_format = OAUTH_TOKEN_FORM,
		},
	},
	{
		/* The device flow of Moonshot's own Kimi CLI (MoonshotAI/kimi-cli,
		 * src/kimi_cli/auth/oauth.py): KIMI_CODE_CLIENT_ID, the
		 * DEFAULT_OAUTH_HOST paths it posts to, no scope, form bodies.
		 * Kimi CLI also sends X-Msh-* device headers, which aiauth does
		 * not; the token it yields is for the Kimi Code endpoint
		 * (https://api.kimi.com/coding/v1), not for api.moonshot.ai. */
		.id = "kimi",
		.name = N_("Moonshot Kimi"),
		.description = N_("Kimi account, signed in with a device code or a Moonshot API key"),
		.group = PROVIDER_GROUP_SUBSCRIPTION,
		.methods = AUTH_METHOD_DEVICE | AUTH_METHOD_API_KEY,
		FIELDS(MOONSHOT_API_KEY_fields),
		.base_url = "https://api.moonshot.ai/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
		.oauth = {
			.device_authorization_endpoint = "https://auth.kimi.com/api/oauth/device_authorization",
			.token_endpoint = "https://auth.kimi.com/api/oauth/token",
			.client_id = "17e5f671-d194-4dfb-9706-5516cb48c098",
			.token_format = OAUTH_TOKEN_FORM,
		},
	},
	{
		/* Bob Shell's sign-in goes through IBM's own backend, whose OAuth
		 * details are not public: the method needs configuration.  Bob
		 * Shell takes a custom endpoint from BOBSHELL_API_BASE_URL. */
		.id = "bob",
		.name = N_("IBM Bob"),
		.description = N_("IBM Bob account; the browser sign-in needs configuration"),
		.group = PROVIDER_GROUP_SUBSCRIPTION,
		.methods = AUTH_METHOD_BROWSER,
		.base_url_env = "BOBSHELL_API_BASE_URL",
		.models_auth = MODELS_AUTH_BEARER,
		.oauth = {
			.needs_config = true,
			.config_hint = N_("IBM has not published the details of Bob's sign-in. In "
			                  "providers.json, give \"bob\" an \"oauth\" object with "
			                  "\"client_id\", \"scopes\", \"redirect\" and either "
			                  "\"issuer\" or both \"authorization_endpoint\" and "
			                  "\"token_endpoint\"."),
		},
	},

	/* ---------------------------------------------------------- API key */
	{
		.id = "anthropic",
		.name = N_("Anthropic API"),
		.description = N_("Claude models billed per token with an Anthropic Console key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(ANTHROPIC_API_KEY_fields),
		.token_env = "ANTHROPIC_AUTH_TOKEN",
		.base_url_env = "ANTHROPIC_BASE_URL",
		.base_url = "https://api.anthropic.com",
		.models_path = "/v1/models",
		.models_auth = MODELS_AUTH_X_API_KEY,
		.key_prefix = "sk-ant-",
	},
	{
		.id = "openai",
		.name = N_("OpenAI API"),
		.description = N_("OpenAI models billed per token with a platform API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(OPENAI_API_KEY_fields),
		.base_url_env = "OPENAI_BASE_URL",
		.base_url = "https://api.openai.com/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
		.key_prefix = "sk-",
	},
	{
		/* GOOGLE_GEMINI_BASE_URL is the variable Gemini CLI reads for a
		 * custom endpoint. */
		.id = "gemini",
		.name = N_("Gemini API"),
		.description = N_("Google Gemini models with a Google AI Studio API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(GEMINI_API_KEY_fields),
		.base_url_env = "GOOGLE_GEMINI_BASE_URL",
		.base_url = "https://generativelanguage.googleapis.com",
		.models_path = "/v1beta/models",
		.models_auth = MODELS_AUTH_GOOG,
		.key_prefix = "AIza",
	},
	{
		.id = "xai",
		.name = N_("xAI API"),
		.description = N_("xAI Grok models with an xAI Console API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(XAI_API_KEY_fields),
		.base_url = "https://api.x.ai/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
		.key_prefix = "xai-",
	},
	{
		.id = "mistral",
		.name = N_("Mistral"),
		.description = N_("Mistral AI models with a La Plateforme API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(MISTRAL_API_KEY_fields),
		.base_url = "https://api.mistral.ai/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
	},
	{
		/* OpenRouter's public /models answers without any key, so it
		 * would call every key valid.  /models/user lists the same models
		 * filtered by the account's settings and requires the key, so a
		 * wrong key gets a 401 and a right one a model list.  (/key also
		 * needs the key but answers an object, not a model list.) */
		.id = "openrouter",
		.name = N_("OpenRouter"),
		.description = N_("Models of many vendors through one OpenRouter key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(OPENROUTER_API_KEY_fields),
		.base_url = "https://openrouter.ai/api/v1",
		.models_path = "/models/user",
		.models_auth = MODELS_AUTH_BEARER,
		.key_prefix = "sk-or-",
	},
	{
		.id = "deepseek",
		.name = N_("DeepSeek"),
		.description = N_("DeepSeek models with a DeepSeek Platform API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(DEEPSEEK_API_KEY_fields),
		.base_url = "https://api.deepseek.com",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
	},
	{
		.id = "groq",
		.name = N_("Groq"),
		.description = N_("Open models on Groq hardware with a GroqCloud API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(GROQ_API_KEY_fields),
		.base_url = "https://api.groq.com/openai/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
		.key_prefix = "gsk_",
	},
	{
		/* Answers a bare JSON array of models, not {"data": [...]}. */
		.id = "together",
		.name = N_("Together AI"),
		.description = N_("Open models hosted by Together AI"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(TOGETHER_API_KEY_fields),
		.base_url = "https://api.together.xyz/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
	},
	{
		.id = "fireworks",
		.name = N_("Fireworks AI"),
		.description = N_("Open models hosted by Fireworks AI"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(FIREWORKS_API_KEY_fields),
		.base_url = "https://api.fireworks.ai/inference/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
		.key_prefix = "fw_",
	},
	{
		/* Z.AI documents no model-list endpoint: a key cannot be tested. */
		.id = "zai",
		.name = N_("Z.AI"),
		.description = N_("GLM models from Z.AI with a Z.AI API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(ZAI_API_KEY_fields),
		.base_url = "https://api.z.ai/api/paas/v4",
		.models_auth = MODELS_AUTH_BEARER,
	},
	{
		.id = "minimax",
		.name = N_("MiniMax"),
		.description = N_("MiniMax models with a MiniMax platform API key"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(MINIMAX_API_KEY_fields),
		.base_url = "https://api.minimax.io/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
	},
	{
		/* The endpoint is the resource's own (https://NAME.openai.azure.com),
		 * so the user must give it; the model list takes ?api-version=. */
		.id = "azure",
		.name = N_("Azure OpenAI"),
		.description = N_("OpenAI models in an Azure resource: key, endpoint and API version"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(AZURE_OPENAI_API_KEY_fields),
		.base_url_env = "AZURE_OPENAI_ENDPOINT",
		.api_version_env = "OPENAI_API_VERSION",
		.needs_base_url = true,
		.default_api_version = "2024-10-21",
		.models_path = "/openai/models",
		.models_auth = MODELS_AUTH_AZURE,
	},
	{
		/* The host depends on the region (bedrock.REGION.amazonaws.com), so
		 * there is no single default base URL.  /foundation-models is
		 * ListFoundationModels; it needs SigV4, which aiauth does not sign
		 * yet, so a Bedrock key is not tested. */
		.id = "bedrock",
		.name = N_("AWS Bedrock"),
		.description = N_("Models on AWS Bedrock: access key ID, secret access key and region"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(bedrock_fields),
		.region_env = "AWS_REGION",
		.models_path = "/foundation-models",
		.models_auth = MODELS_AUTH_SIGV4,
	},
	{
		.id = "openai-compatible",
		.name = N_("OpenAI-compatible endpoint"),
		.description = N_("Any server that speaks the OpenAI API, at a base URL you give"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(OPENAI_API_KEY_fields),
		.base_url_env = "OPENAI_BASE_URL",
		.needs_base_url = true,
		.models_path = "/models",
		.models_auth = MODELS_AUTH_BEARER,
	},
	{
		.id = "anthropic-compatible",
		.name = N_("Anthropic-compatible endpoint"),
		.description = N_("Any server that speaks the Anthropic API, at a base URL you give"),
		.group = PROVIDER_GROUP_API_KEY,
		.methods = AUTH_METHOD_API_KEY,
		FIELDS(ANTHROPIC_API_KEY_fields),
		.base_url_env = "ANTHROPIC_BASE_URL",
		.needs_base_url = true,
		.models_path = "/v1/models",
		.models_auth = MODELS_AUTH_X_API_KEY,
	},

	/* ------------------------------------------------------------ local */
	{
		.id = "ollama",
		.name = N_("Ollama"),
		.description = N_("Local models served by Ollama"),
		.group = PROVIDER_GROUP_LOCAL,
		.methods = AUTH_METHOD_NONE,
		.base_url_env = "OLLAMA_HOST",
		.base_url = "http://127.0.0.1:11434",
		.models_path = "/api/tags",
		.models_auth = MODELS_AUTH_NONE,
	},
	{
		.id = "lmstudio",
		.name = N_("LM Studio"),
		.description = N_("Local models served by LM Studio"),
		.group = PROVIDER_GROUP_LOCAL,
		.methods = AUTH_METHOD_NONE,
		.base_url = "http://127.0.0.1:1234/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_NONE,
	},
	{
		.id = "docker-model-runner",
		.name = N_("Docker Model Runner"),
		.description = N_("Local models served by Docker Model Runner"),
		.group = PROVIDER_GROUP_LOCAL,
		.methods = AUTH_METHOD_NONE,
		.base_url = "http://127.0.0.1:12434/engines/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_NONE,
	},
	{
		.id = "llamacpp",
		.name = N_("llama.cpp server"),
		.description = N_("Local models served by llama.cpp's llama-server"),
		.group = PROVIDER_GROUP_LOCAL,
		.methods = AUTH_METHOD_NONE,
		.base_url = "http://127.0.0.1:8080/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_NONE,
	},
	{
		.id = "vllm",
		.name = N_("vLLM"),
		.description = N_("Local models served by vLLM"),
		.group = PROVIDER_GROUP_LOCAL,
		.methods = AUTH_METHOD_NONE,
		.base_url = "http://127.0.0.1:8000/v1",
		.models_path = "/models",
		.models_auth = MODELS_AUTH_NONE,
	},
};

const size_t registry_builtins_count = NFIELDS(registry_builtins);
