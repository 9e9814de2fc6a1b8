/* probe.c - to be written. */
#include "config.h"
typedef int aiauth_probe_placeholder;
