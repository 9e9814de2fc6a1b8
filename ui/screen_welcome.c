/* screen_welcome.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_welcome = {"welcome", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
