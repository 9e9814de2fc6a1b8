/* cmd_probe.c */
#include "config.h"
typedef int aiauth_cli_cmd_probe_placeholder;
