/* cmd_secrets.c */
#include "config.h"
typedef int aiauth_cli_cmd_secrets_placeholder;
