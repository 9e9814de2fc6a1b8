/* registry_private.h - shared between registry.c and registry_builtin.c. */
