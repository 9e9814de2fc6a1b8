/* screen_connected.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_connected = {"connected", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
