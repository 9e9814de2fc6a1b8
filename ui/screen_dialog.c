/* screen_dialog.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_dialog = {"dialog", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
