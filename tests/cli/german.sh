#!/bin/sh
# german.sh - aiauth speaks German: the command line (--help, an error
# line) and the interactive screens (the welcome screen in tmux) with
# LC_ALL=de_DE.UTF-8 and the catalog built from po/de.po.
#
# The binary has LOCALEDIR compiled in; AIAUTH_LOCALEDIR points it at a
# private directory holding the freshly built catalog instead.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tmux.sh"
no_session_bus

# The locale must exist: without it setlocale fails and gettext stays
# silent, and this test would prove nothing.  tests/run-suite generates it.
has_de() { locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\{0,1\}8$'; }
if ! has_de && [ "$(id -u)" -eq 0 ] && command -v localedef >/dev/null 2>&1; then
	localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1
fi
if ! has_de; then
	echo "Bail out! the de_DE.UTF-8 locale is missing: install the locales package and run" \
		"'localedef -i de_DE -f UTF-8 de_DE.UTF-8' as root (tests/run-suite does both)"
	exit 1
fi

# The catalog, compiled here from po/de.po: a build tree's de.gmo can be
# older than the sources.
mo_dir="$TEST_TMP/locale/de/LC_MESSAGES"
mkdir -p "$mo_dir"
msgfmt -c -o "$mo_dir/aiauth.mo" "$top_srcdir/po/de.po"
ok $? "the German catalog is installed in a private locale directory"
export AIAUTH_LOCALEDIR="$TEST_TMP/locale"

# The translation is complete: no fuzzy or untranslated messages.
# Every string of today's sources has a German translation: a template made
# now from po/POTFILES.in is compared with po/de.po.
(cd "$top_srcdir" && grep -v '^#' po/POTFILES.in | xgettext --keyword=_ --keyword=N_ \
	--keyword=ngettext:1,2 --from-code=UTF-8 -f - -o "$TEST_TMP/fresh.pot" 2>/dev/null)
missing=$(msgcmp "$top_srcdir/po/de.po" "$TEST_TMP/fresh.pot" 2>&1)
ok $? "po/de.po translates every string of the current sources"
[ -n "$missing" ] && printf '%s\n' "$missing" | head -10 | sed 's/^/#   /'
if command -v msgfmt >/dev/null 2>&1; then
	stats=$(LC_ALL=C msgfmt -c --statistics -o /dev/null "$top_srcdir/po/de.po" 2>&1)
	like "$stats" '^[0-9]+ translated messages\.$' "po/de.po is complete and passes msgfmt -c"
fi

# ------------------------------------------------------------ command line
LC_ALL=de_DE.UTF-8
export LC_ALL

run --help
is "$RC" 0 "--help in German exits 0"
like "$OUT" "^Aufruf: aiauth " "the usage line is German"
like "$OUT" "Konten anzeigen, nach Anbieter gruppiert" "list is described in German"
like "$OUT" "Anbieter nicht konfiguriert" "the exit statuses are German"
like "$OUT" "^  list " "command names stay untranslated"
unlike "$OUT" "show accounts, grouped by provider" "no English description is left"

run token openai
is "$RC" 3 "an unconfigured provider still exits 3"
like "$ERR" "^aiauth: Anbieter openai ist nicht konfiguriert$" "the error line is German"
one_line_error "the German error is one line"

run frobnicate
is "$RC" 2 "an unknown command is still bad usage"
like "$ERR" "unbekannter Befehl \"frobnicate\"" "and says so in German"

run list
like "$OUT" "Noch keine Konten" "list says in German there are no accounts"

# Without AIAUTH_LOCALEDIR the knob is gone: the compiled-in directory is
# used (where no German catalog is installed by the test, English remains
# or the installed German, so only check that it still runs).
AIAUTH_LOCALEDIR="" run --version
is "$RC" 0 "an empty AIAUTH_LOCALEDIR is ignored"

# ------------------------------------------------------------ screens
command -v tmux >/dev/null 2>&1 || { echo "# tmux is not installed: screens not checked"; done_testing; }
TMUX_LANG=de_DE.UTF-8
tmux_start 80 24 "$AIAUTH"
tmux_wait_for "Willkommen bei aiauth"
ok $? "the welcome screen greets in German"
# The title can reach the terminal before the rest of the screen (it does
# under valgrind): read the screen once its last line, the buttons, is there.
tmux_wait_for "Beenden" >/dev/null
screen=$(tmux_screen)
like "$screen" "Wo deine Geheimnisse gespeichert werden" "the welcome screen explains the secret store in German"
like "$screen" "Anbieter verbinden" "the welcome screen's button is German"
unlike "$screen" "Welcome to aiauth|Connect a provider" "no English text on the welcome screen"
tmux_keys q
tmux_wait_exit
ok $? "q still quits"

done_testing
