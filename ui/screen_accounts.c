/* screen_accounts.c - to be written. */
#include "config.h"

#include "screens.h"

const struct screen_ops screen_accounts = {"accounts", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
