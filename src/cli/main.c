/* main.c - placeholder */
#include "config.h"
#include "ui.h"
int main(int argc, char **argv) { return ui_main(argc, argv); }
