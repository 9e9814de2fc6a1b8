/* oauth.c - to be written. */
#include "config.h"
typedef int aiauth_oauth_placeholder;
