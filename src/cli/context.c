/* context.c */
#include "config.h"
typedef int aiauth_cli_context_placeholder;
