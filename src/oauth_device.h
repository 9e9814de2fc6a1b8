/* oauth_device.h - to be written. */
