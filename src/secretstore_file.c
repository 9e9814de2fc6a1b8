/* secretstore_file.c - to be written. */
#include "config.h"
typedef int aiauth_secretstore_file_placeholder;
