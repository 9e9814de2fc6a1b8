/* registry.c - to be written. */
#include "config.h"
typedef int aiauth_registry_placeholder;
