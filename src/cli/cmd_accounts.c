/* cmd_accounts.c */
#include "config.h"
typedef int aiauth_cli_cmd_accounts_placeholder;
