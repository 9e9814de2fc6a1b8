#!/bin/sh
# install.sh - "make install DESTDIR=..." from the build directory puts the
# binary, the man page, the bash completion, the systemd user units (naming
# the installed binary) and the translations where configure said; the
# completion it installs completes commands, providers and labels.
. "$top_srcdir/tests/lib/common.sh"
no_session_bus

[ -f "$top_builddir/Makefile" ] || skip_all "no Makefile in $top_builddir"
command -v bash >/dev/null 2>&1 || skip_all "bash is not installed"
MAKE=${MAKE:-make}
DEST="$TEST_TMP/root"

# The installation directories as make sees them (fully expanded).
cat >"$TEST_TMP/dirs.mk" <<'EOF'
print-dirs:
	@echo "bindir='$(bindir)' mandir='$(mandir)' localedir='$(localedir)'"
	@echo "bashcompletiondir='$(bashcompletiondir)' systemduserunitdir='$(systemduserunitdir)'"
EOF
eval "$(cd "$top_builddir" && $MAKE -s --no-print-directory -f Makefile -f "$TEST_TMP/dirs.mk" print-dirs)"
ok $([ -n "$bindir" ] && [ -n "$bashcompletiondir" ] && [ -n "$systemduserunitdir" ]; echo $?) \
	"the installation directories are known ($bindir, $systemduserunitdir)"

(cd "$top_builddir" && $MAKE -s --no-print-directory install DESTDIR="$DEST") \
	>"$TEST_TMP/install.log" 2>&1
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TEST_TMP/install.log" | tail -20

ok $([ -x "$DEST$bindir/aiauth" ]; echo $?) "the binary is installed in bindir"
run_installed() { "$DEST$bindir/aiauth" "$@"; }
like "$(run_installed --version)" "^aiauth [0-9]" "the installed binary runs"

ok $([ -f "$DEST$mandir/man1/aiauth.1" ]; echo $?) "the man page is installed in man1"
if command -v groff >/dev/null 2>&1; then
	warnings=$(groff -man -ww -z "$DEST$mandir/man1/aiauth.1" 2>&1)
	is "$warnings" "" "the man page formats without a warning (groff -man -ww)"
fi
man=$(cat "$DEST$mandir/man1/aiauth.1")
for c in list status providers add remove rename use rr login refresh token env exec test \
	models detect store doctor; do
	like "$man" "^\\\\fB$c\\\\fR|^\\.BR $c |^\\.B $c\$|^\\\\fBrr join|^\\\\fBlogin" \
		"the man page documents $c"
done
for v in XDG_CONFIG_HOME XDG_DATA_HOME AIAUTH_PASSPHRASE_FILE BROWSER DISPLAY WAYLAND_DISPLAY \
	SSH_CONNECTION NO_COLOR DBUS_SESSION_BUS_ADDRESS; do
	like "$man" "$v" "the man page documents $v"
done
for s in 0 1 2 3 4 5 6 7 8 9 10 126 127; do
	like "$man" "^\\.B $s\$" "the man page documents exit status $s"
done

comp="$DEST$bashcompletiondir/aiauth"
ok $([ -f "$comp" ]; echo $?) "the bash completion is installed as completions/aiauth"
svc="$DEST$systemduserunitdir/aiauth-refresh.service"
timer="$DEST$systemduserunitdir/aiauth-refresh.timer"
ok $([ -f "$svc" ] && [ -f "$timer" ]; echo $?) "both systemd user units are installed"
like "$(cat "$svc" 2>/dev/null)" "^ExecStart=$bindir/aiauth refresh --all\$" \
	"the service runs the installed binary, refresh --all"
like "$(cat "$svc" 2>/dev/null)" "^Type=oneshot\$" "the service is a oneshot"
unlike "$(cat "$svc" 2>/dev/null)" "@bindir@|\\\$\\{|^Environment=" \
	"the service has no unexpanded variable and no environment (no secrets)"
like "$(cat "$timer" 2>/dev/null)" "^OnCalendar=\\*:0/30\$" "the timer runs every 30 minutes"
like "$(cat "$timer" 2>/dev/null)" "^Persistent=true\$" "the timer catches up (Persistent)"
like "$(cat "$timer" 2>/dev/null)" "^WantedBy=timers.target\$" "the timer can be enabled"
if command -v systemd-analyze >/dev/null 2>&1; then
	# Verify copies that point at the binary where DESTDIR put it.
	mkdir -p "$TEST_TMP/units"
	sed "s|^ExecStart=$bindir/|ExecStart=$DEST$bindir/|" "$svc" >"$TEST_TMP/units/aiauth-refresh.service"
	cp "$timer" "$TEST_TMP/units/"
	out=$(cd "$TEST_TMP/units" && systemd-analyze verify --man=no aiauth-refresh.timer aiauth-refresh.service 2>&1)
	is "$out" "" "systemd-analyze verify finds nothing wrong with the units"
fi

# Translations: every language of po/LINGUAS has its catalogue installed.
for lang in $(sed 's/#.*//' "$top_srcdir/po/LINGUAS" 2>/dev/null); do
	ok $([ -f "$DEST$localedir/$lang/LC_MESSAGES/aiauth.mo" ]; echo $?) \
		"the $lang translation is installed"
done

# --- the installed completion, in bash, as bash calls it
mkdir -p "$XDG_CONFIG_HOME/aiauth"
cat >"$XDG_CONFIG_HOME/aiauth/accounts.json" <<'EOF'
{"version": 1, "providers": {}, "accounts": [
 {"id": "0123456789abcdef0123456789abcdef", "provider": "openai", "label": "my work",
  "kind": "api_key", "method": "api_key", "created": 1, "status": "ok"},
 {"id": "fedcba9876543210fedcba9876543210", "provider": "ollama", "label": "local",
  "kind": "none", "method": "none", "created": 1, "status": "ok"}]}
EOF
chmod 600 "$XDG_CONFIG_HOME/aiauth/accounts.json"
complete_words() { # complete_words WORD...: what <TAB> offers after the words
	PATH="$DEST$bindir:$PATH" bash -c '
		. "$0"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		_aiauth
		printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$@" 2>&1
}
is "$(complete_words aiauth li)" "list" "aiauth li<TAB> offers list"
like "$(complete_words aiauth '')" "^doctor\$" "aiauth <TAB> offers doctor among the commands"
unlike "$(complete_words aiauth '')" "__complete" "the hidden __complete is not offered"
providers=$(complete_words aiauth token '')
like "$providers" "^openai\$" "aiauth token <TAB> offers openai"
like "$providers" "^claude\$" "aiauth token <TAB> offers claude"
is "$(printf '%s\n' "$providers" | sort)" "$(run_installed __complete providers | sort)" \
	"aiauth token <TAB> offers exactly the provider ids"
is "$(complete_words aiauth token op)" "$(printf 'openai\nopenrouter\nopenai-compatible')" \
	"aiauth token op<TAB> narrows to the ids starting with op"
is "$(complete_words aiauth use openai '')" 'my\ work' \
	"aiauth use openai <TAB> offers that provider's labels, quoted"
is "$(complete_words aiauth token openai --account '')" 'my\ work' \
	"--account <TAB> offers the provider's labels"
is "$(complete_words aiauth doctor --j)" "--json" "options of a command: doctor --j<TAB>"
is "$(complete_words aiauth --store '')" "$(printf 'keyring\nfile')" "--store <TAB>: keyring, file"
is "$(complete_words aiauth --store file li)" "list" "a global option before the command is skipped"
is "$(complete_words aiauth rr '')" "$(printf 'join\nleave')" "rr <TAB>: join, leave"
is "$(complete_words aiauth store '')" "migrate" "store <TAB>: migrate"

# And uninstall takes it all away again.
(cd "$top_builddir" && $MAKE -s --no-print-directory uninstall DESTDIR="$DEST") >/dev/null 2>&1
is "$(find "$DEST" -type f | sed "s|^$DEST||")" "" "make uninstall removes every file it installed"

done_testing
