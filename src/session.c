/* session.c - to be written. */
#include "config.h"
typedef int aiauth_session_placeholder;
