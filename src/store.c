/* store.c - to be written. */
#include "config.h"
typedef int aiauth_store_placeholder;
