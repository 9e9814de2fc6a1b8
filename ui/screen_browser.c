/* screen_browser.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_browser = {"browser", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
