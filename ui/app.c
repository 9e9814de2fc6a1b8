/* app.c - to be written. */
#include "config.h"
typedef int aiauth_app_placeholder;
