/* secretstore.c - to be written. */
#include "config.h"
typedef int aiauth_secretstore_placeholder;
