/* loopback.c - to be written. */
#include "config.h"
typedef int aiauth_loopback_placeholder;
