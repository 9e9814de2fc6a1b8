/* screen_method.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_method = {"method", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
