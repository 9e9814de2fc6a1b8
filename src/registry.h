/* registry.h - the providers aiauth knows.
 *
 * The built-in table (registry_builtin.c) is merged with the user's
 * $XDG_CONFIG_HOME/aiauth/providers.json, which may add providers or override
 * any field of a built-in one by id (schema in README.md, "providers.json").
 * A missing user file is fine; a malformed one is an error that names the
 * file and the problem (AIAUTH_CORRUPT), never ignored.
 *
 * The registry owns every provider and string it hands out; they live until
 * registry_free(). */
#ifndef AIAUTH_REGISTRY_H
#define AIAUTH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum provider_group {
	PROVIDER_GROUP_SUBSCRIPTION, /* "subscription" */
	PROVIDER_GROUP_API_KEY,      /* "api_key" */
	PROVIDER_GROUP_LOCAL,        /* "local" */
};

/* Bit set of the ways a provider signs in. */
enum auth_method {
	AUTH_METHOD_API_KEY = 1 << 0, /* "api_key" */
	AUTH_METHOD_BROWSER = 1 << 1, /* "browser": authorization code + PKCE */
	AUTH_METHOD_DEVICE = 1 << 2,  /* "device": RFC 8628 device code */
	AUTH_METHOD_NONE = 1 << 3,    /* "none": keyless local server */
};

/* How the model-list request carries the credential. */
enum models_auth {
	MODELS_AUTH_BEARER,    /* "bearer": Authorization: Bearer KEY */
	MODELS_AUTH_X_API_KEY, /* "x-api-key": x-api-key + anthropic-version */
	MODELS_AUTH_GOOG,      /* "x-goog-api-key" */
	MODELS_AUTH_AZURE,     /* "api-key" header, ?api-version= */
	MODELS_AUTH_NONE,      /* "none" */
	MODELS_AUTH_SIGV4,     /* "sigv4": AWS, not testable by aiauth yet */
};

/* One credential field an API-key account holds (most have one, "api_key";
 * AWS Bedrock has two).  Every field is secret and lives in the secret
 * store. */
struct provider_field {
	char *name;   /* key in the credential blob, e.g. "api_key" */
	char *prompt; /* untranslated prompt, e.g. "API key" */
	char *env;    /* variable handed to tools, e.g. "OPENAI_API_KEY" */
};

/* Where the browser comes back to after an authorization-code sign-in. */
enum oauth_redirect {
	OAUTH_REDIRECT_LOOPBACK_ANY,   /* "loopback": http://127.0.0.1:<any port><path> */
	OAUTH_REDIRECT_LOOPBACK_FIXED, /* "loopback_fixed": a port (and path) the provider demands */
	OAUTH_REDIRECT_PASTE,          /* "paste": the provider's page shows a code to paste */
};

/* How the token endpoint wants its requests. */
enum oauth_token_format {
	OAUTH_TOKEN_FORM, /* "form": application/x-www-form-urlencoded (RFC 6749) */
	OAUTH_TOKEN_JSON, /* "json": a JSON object with the same members */
};

/* OAuth settings of a provider (all NULL/0 when it has no OAuth method).
 * Endpoints may be absent when `issuer` is given: they then come from the
 * issuer's /.well-known/openid-configuration or
 * /.well-known/oauth-authorization-server. */
struct provider_oauth {
	char *issuer;
	char *authorization_endpoint;
	char *token_endpoint;
	char *device_authorization_endpoint;
	char *userinfo_endpoint;
	char *client_id;
	char *client_secret; /* only for "installed app" clients whose secret is public */
	char *scopes;        /* space-separated */
	enum oauth_redirect redirect;
	int redirect_port;   /* LOOPBACK_FIXED */
	char *redirect_path; /* loopback path; NULL means "/callback" */
	/* PASTE: the page that shows the code.  LOOPBACK_FIXED: optionally
	 * the exact URI the provider has registered, sent instead of
	 * http://127.0.0.1:<port><path> when it differs from that in host
	 * only (Codex registers http://localhost:1455/auth/callback); its
	 * port and path are redirect_port and redirect_path.  The listener
	 * still binds 127.0.0.1. */
	char *redirect_uri;
	char *extra_auth_params; /* "k=v&k2=v2" added to the authorization URL */
	enum oauth_token_format token_format;
	/* The provider's OAuth details are not public: the method exists but
	 * the user must supply them in providers.json (config_hint says how). */
	bool needs_config;
	char *config_hint; /* untranslated, or NULL */
};

struct provider {
	char *id;          /* "openai" */
	char *name;        /* "OpenAI API" */
	char *description; /* one line, untranslated */
	enum provider_group group;
	unsigned methods; /* enum auth_method bits */

	struct provider_field *fields; /* API-key fields, in prompt order */
	size_t n_fields;
	char *token_env;       /* variable for an OAuth access token, or NULL */
	char *base_url_env;    /* variable for a custom base URL, or NULL */
	char *api_version_env; /* variable for an API version, or NULL */
	char *region_env;      /* variable for a region (Bedrock), or NULL */

	char *base_url;            /* default base URL, no trailing slash; may be NULL */
	bool needs_base_url;       /* the user must give one (Azure, compatible endpoints) */
	char *default_api_version; /* NULL when the provider has none */
	char *models_path;         /* appended to the base URL; NULL: cannot be tested */
	enum models_auth models_auth;
	char *key_prefix; /* format hint for keys ("sk-ant-"), or NULL */
	bool user_defined; /* came from, or was changed by, providers.json */
	struct provider_oauth oauth;
};

struct registry;

/* Load the built-ins merged with `user_file`; NULL means the default
 * location.  *out is NULL on error. */
enum aiauth_status registry_load(const char *user_file, struct registry **out,
                                 struct aiauth_error **err);
/* The same from the text of a providers file (`name` says where it came
 * from, in messages); text NULL means no file: the built-ins alone. */
enum aiauth_status registry_load_text(const char *text, size_t len, const char *name,
                                      struct registry **out, struct aiauth_error **err);
void registry_free(struct registry *reg);

size_t registry_count(const struct registry *reg);
/* Providers in display order (built-ins by group, then user additions). */
const struct provider *registry_at(const struct registry *reg, size_t i);
/* By exact id; NULL when unknown. */
const struct provider *registry_find(const struct registry *reg, const char *id);

/* Untranslated names used in JSON and in the CLI. */
const char *provider_group_name(enum provider_group group);
const char *auth_method_name(enum auth_method method);
const char *models_auth_name(enum models_auth auth);

/* Check and normalise a base URL the way providers.json and a custom endpoint
 * need it: https, or http only to a loopback host (127.0.0.0/8, [::1],
 * localhost); a host, an optional port, an optional path; no user name or
 * password, query or fragment; trailing slashes removed and the scheme in
 * lower case.  *out is a new heap string; on a refused URL AIAUTH_USAGE with
 * the reason (the URL is not secret and may appear in it). */
enum aiauth_status registry_normalize_base_url(const char *url, char **out,
                                               struct aiauth_error **err);

#endif
