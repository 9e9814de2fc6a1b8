/* screen_help.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_help = {"help", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
