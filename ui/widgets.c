/* widgets.c - to be written. */
#include "config.h"
typedef int aiauth_widgets_placeholder;
