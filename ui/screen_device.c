/* screen_device.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_device = {"device", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
