/* oauth_device.c - to be written. */
#include "config.h"
typedef int aiauth_oauth_device_placeholder;
