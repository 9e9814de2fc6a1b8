/* http.c - to be written. */
#include "config.h"
typedef int aiauth_http_placeholder;
