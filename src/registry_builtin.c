/* registry_builtin.c - to be written. */
#include "config.h"
typedef int aiauth_registry_builtin_placeholder;
