/* oauth_pkce.h - to be written. */
