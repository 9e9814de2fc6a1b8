/* i18n.h - the one place gettext is wired in.
 *
 * Tables hold N_("...") (marked, untranslated); code translates with _()
 * at the moment it shows a string, so a locale change needs no table rebuild. */
#ifndef AIAUTH_I18N_H
#define AIAUTH_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
