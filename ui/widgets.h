/* widgets.h - to be written. */
