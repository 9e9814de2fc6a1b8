/* loop.c - to be written. */
#include "config.h"
typedef int aiauth_loop_placeholder;
