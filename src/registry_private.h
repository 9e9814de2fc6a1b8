/* registry_private.h - shared between registry.c and registry_builtin.c.
 *
 * The built-in table is const data with string literals; registry_load()
 * copies every entry into heap-owned `struct provider`s, so a user override
 * can replace any field and registry_free() frees one kind of object only. */
#ifndef AIAUTH_REGISTRY_PRIVATE_H
#define AIAUTH_REGISTRY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"

struct builtin_field {
	const char *name;
	const char *prompt; /* N_() marked */
	const char *env;
};

/* OAuth facts of a built-in provider; see struct provider_oauth.  An
 * all-zero value means "no OAuth". */
struct builtin_oauth {
	const char *issuer;
	const char *authorization_endpoint;
	const char *token_endpoint;
	const char *device_authorization_endpoint;
	const char *userinfo_endpoint;
	const char *client_id;
	const char *client_secret;
	const char *scopes;
	enum oauth_redirect redirect;
	int redirect_port;
	const char *redirect_path;
	const char *redirect_uri;
	const char *extra_auth_params;
	enum oauth_token_format token_format;
	bool needs_config;
	const char *config_hint; /* N_() marked */
};

struct builtin_provider {
	const char *id;
	const char *name;        /* N_() marked */
	const char *description; /* N_() marked */
	enum provider_group group;
	unsigned methods;
	const struct builtin_field *fields;
	size_t n_fields;
	const char *token_env;
	const char *base_url_env;
	const char *api_version_env;
	const char *region_env;
	const char *base_url;
	bool needs_base_url;
	const char *default_api_version;
	const char *models_path;
	enum models_auth models_auth;
	const char *key_prefix;
	struct builtin_oauth oauth;
};

/* In display order: subscription, API key, local. */
extern const struct builtin_provider registry_builtins[];
extern const size_t registry_builtins_count;

#endif
