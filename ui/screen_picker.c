/* screen_picker.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_picker = {"picker", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
