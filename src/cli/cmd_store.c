/* cmd_store.c */
#include "config.h"
typedef int aiauth_cli_cmd_store_placeholder;
