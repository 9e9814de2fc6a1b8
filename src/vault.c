/* vault.c - to be written. */
#include "config.h"
typedef int aiauth_vault_placeholder;
