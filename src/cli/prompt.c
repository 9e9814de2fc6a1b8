/* prompt.c */
#include "config.h"
typedef int aiauth_cli_prompt_placeholder;
