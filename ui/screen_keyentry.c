/* screen_keyentry.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_keyentry = {"keyentry", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
