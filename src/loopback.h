/* loopback.h - to be written. */
