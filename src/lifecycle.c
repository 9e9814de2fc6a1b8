/* lifecycle.c - to be written. */
#include "config.h"
typedef int aiauth_lifecycle_placeholder;
