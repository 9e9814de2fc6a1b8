#!/bin/sh
# signin.sh - the OAuth sign-in panels in a real terminal (tmux): the
# device-code panel (approved, denied, expired) and the paste panel, the real
# aiauth binary against the real authorization server (oidc-provider), with
# a scripted person in the browser.  Secrets go to the encrypted file (no
# session bus, a passphrase file).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
at_exit stop_servers
no_session_bus
use_passphrase
need_oidc_provider
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"

# ------------------------------------------------------------ terminal
# One tmux server of our own; one session at a time, running aiauth with
# this test's HOME and environment.  Everything aiauth writes to the
# terminal is also logged (pipe-pane) to check that no secret ever went to
# the screen, even for a moment.
tm="tmux -L aiauth-signin-$$"
tm_stop() { $tm kill-server 2>/dev/null; }
at_exit tm_stop
TM_LOG="$TEST_TMP/terminal.log"
audit_scan "$TM_LOG" # the secrets audit reads it too (tests/lib/audit.sh)
tm_start() { # tm_start COLS ROWS
	$tm kill-session -t ui 2>/dev/null
	$tm new-session -d -s ui -x "$1" -y "$2" -e "HOME=$HOME" \
		-e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" -e "XDG_DATA_HOME=$XDG_DATA_HOME" \
		-e "XDG_STATE_HOME=$XDG_STATE_HOME" -e "XDG_CACHE_HOME=$XDG_CACHE_HOME" \
		-e "AIAUTH_PASSPHRASE_FILE=$AIAUTH_PASSPHRASE_FILE" \
		-e "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS" -e "LANG=C.UTF-8" \
		-e "LC_ALL=C.UTF-8" -e "AIAUTH=$AIAUTH" -e "AIAUTH_DEBUG=$AIAUTH_DEBUG" \
		'read -r go; exec timeout 120 "$AIAUTH"'
	$tm set-option -t ui remain-on-exit on >/dev/null
	$tm pipe-pane -t ui -o "cat >>'$TM_LOG'"
	$tm send-keys -t ui Enter
}
tm_screen() { $tm capture-pane -t ui -p | audit_tee; }
# Rows the terminal itself wrapped are joined (a URL longer than a row).
tm_screen_joined() { $tm capture-pane -t ui -p -J | audit_tee; }
tm_audit_proc() { audit_proc "$($tm display-message -p -t ui '#{pane_pid}')" "$1"; }
tm_keys() { $tm send-keys -t ui "$@"; }
tm_type() { $tm send-keys -t ui -l "$1"; }
# A bracketed paste, as a terminal sends what the person pastes.
tm_paste() { $tm set-buffer -b p "$1" && $tm paste-buffer -t ui -b p -p -d; }
tm_wait() { # tm_wait EXTENDED-REGEX [TENTHS-OF-SECONDS]
	_n=0
	until tm_screen | grep -Eq -- "$1"; do
		_n=$((_n + 1))
		[ "$_n" -gt "${2:-100}" ] && return 1
		sleep 0.1
	done
}
tm_quit() { $tm kill-session -t ui 2>/dev/null; }

# The text of the provider's "copy this code" page: CODE#STATE.
oidc_code_page() { "$NODE" -e '
	fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t.trim()),
		() => process.exit(1));' "$1"; }

start_oidc_server --device-interval 1 || { ok 1 "the authorization server starts"; done_testing; }
mkdir -p "$XDG_CONFIG_HOME/aiauth"
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"

# A user code on the screen: two groups of four, boxed and spaced out as
# "W D J B - M J P V"; printed back without the spaces.
screen_code() {
	printf '%s\n' "$1" | grep -Eo '([A-Z0-9] ){4}- ([A-Z0-9] ){3}[A-Z0-9]' | head -1 | tr -d ' '
}
# The seconds left in "Code expires in M:SS".
screen_left() {
	printf '%s\n' "$1" | sed -n 's/.*Code expires in \([0-9]*\):\([0-9][0-9]\).*/\1 \2/p' |
		head -1 | { read -r m s && echo $((m * 60 + s)); }
}

# open_method PROVIDER METHOD: from the first screen to the method chooser
# of PROVIDER (the picker filtered by its id), then METHOD ("Device",
# "Browser") chosen with Down and Enter.
open_method() {
	tm_wait "Connect a provider|add" || return 1
	if tm_screen | grep -q "Connect a provider"; then tm_keys c; else tm_keys a; fi
	tm_wait "filter" || return 1
	tm_type "$1"
	tm_keys Enter
	tm_wait "How do you want to connect" || return 1
	_i=0
	until tm_screen | grep -q "› *$2"; do
		_i=$((_i + 1))
		[ $_i -gt 5 ] && return 1
		tm_keys Down
		sleep 0.1
	done
	tm_keys Enter
}

# ------------------------------------------------------------ approved
tm_start 100 32
# A build without the onboarding screens (a branch of its own) cannot
# reach the panels: say so rather than fail.
tm_wait "Connect a provider|add" 50 || { tm_stop; skip_all "the onboarding screens are not in this build"; }
open_method testidp Device
tm_wait "Code expires in"
ok $? "the device panel shows the countdown"
s1=$(tm_screen)
like "$s1" "Open this page in a browser" "it asks to open the verification page"
like "$s1" "$OIDC_ISSUER/device( |\$)" "the verification URL is on one line"
code=$(screen_code "$s1")
like "$code" '^[A-Z0-9]{4}-[A-Z0-9]{4}$' "the user code is shown large and spaced ($code)"
tm_audit_proc "the device panel polling"
like "$s1" "┌─+┐" "in a box"
like "$s1" "▀|▄" "with a QR code of the complete URL beside it"
left1=$(screen_left "$s1")
# The framework ticks once a second, not in step with the code's expiry:
# two seconds apart, the figure has gone down at least once.
bytes0=$(wc -c <"$TM_LOG")
sleep 2
bytes1=$(wc -c <"$TM_LOG")
s2=$(tm_screen)
left2=$(screen_left "$s2")
# Only what changed is redrawn: two ticks of the countdown cost a few
# cells, never a repaint of the 80x24 screen (2,000 bytes and more).
echo "# terminal output during two seconds of countdown: $((bytes1 - bytes0)) bytes"
ok $(( bytes1 - bytes0 < 400 ? 0 : 1 )) "a countdown second does not repaint the screen ($((bytes1 - bytes0)) bytes in 2 s)"
ok $(( ${left2:-9999} < ${left1:-0} ? 0 : 1 )) "the countdown goes down ($left1 s, then $left2 s)"
is "$(screen_code "$s2")" "$code" "the code stays the same meanwhile"
browser_device "$OIDC_ISSUER/device" --code "$code" --login alice >/dev/null
ok $? "the person approves on the verification page"
tm_wait "alice@example.test"
ok $? "Connected shows the account's email"
like "$(tm_screen)" "Connected" "on the Connected screen"
tm_quit
run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.provider == "testidp").map(a => a.kind + ":" + a.method + ":" + a.label).join()')" \
	"oauth:device:alice@example.test" "aiauth list has the account"
run token testidp
unlike "$s1$s2$(cat "$TM_LOG")" "$OUT" "the access token never reached the screen"
# Back to no account at all: each sign-in below starts from the welcome
# screen.
run remove testidp alice@example.test --yes
is "$RC" 0 "the account is removed for the next sign-ins"

# ------------------------------------------------------------ denied
tm_start 100 32
open_method testidp Device
tm_wait "Code expires in"
code=$(screen_code "$(tm_screen)")
browser_device "$OIDC_ISSUER/device" --code "$code" --deny >/dev/null
tm_wait "Access denied"
ok $? "a denied sign-in says Access denied"
s=$(tm_screen)
like "$s" "\\[ Try again \\]" "with Try again"
like "$s" "\\[ Cancel \\]" "and Cancel"
tm_keys Enter
tm_wait "Code expires in"
ok $? "Try again asks for a new code"
code2=$(screen_code "$(tm_screen)")
ok $([ -n "$code2" ] && [ "$code2" != "$code" ]; echo $?) "a different one ($code, then $code2)"
browser_device "$OIDC_ISSUER/device" --code "$code2" --deny >/dev/null
tm_wait "Access denied"
tm_keys Right Enter
tm_wait "How do you want to connect"
ok $? "Cancel goes back to the method chooser"
tm_keys Down Enter
tm_wait "Code expires in"
tm_keys Escape
tm_wait "How do you want to connect"
ok $? "Esc on the panel cancels at once and goes back"
tm_quit

# ------------------------------------------------------------ expired
start_oidc_server --device-interval 1 --device-ttl 3 || { ok 1 "the second server starts"; done_testing; }
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"
tm_start 100 32
open_method testidp Device
tm_wait "Code expires in"
code=$(screen_code "$(tm_screen)")
tm_wait "Code expired" 100
ok $? "an unused code ends in Code expired"
like "$(tm_screen)" "\\[ Get new code \\].*\\[ Cancel \\]" "with Get new code and Cancel"
tm_keys Enter
tm_wait "Code expires in"
code2=$(screen_code "$(tm_screen)")
ok $([ -n "$code2" ] && [ "$code2" != "$code" ]; echo $?) "Get new code shows a different code ($code, then $code2)"
tm_quit

# ------------------------------------------------------------ loopback
# The browser comes back to the listener by itself (here the scripted
# browser follows the redirect to 127.0.0.1).
tm_start 100 32
open_method testidp Browser
tm_wait "Waiting for the browser"
ok $? "the browser panel waits for the loopback redirect"
tm_audit_proc "the browser panel waiting on the loopback listener"
url=$(tm_screen_joined | grep -Eo "$OIDC_ISSUER/auth\\?[^ ]*" | head -1)
sleep 0.3
grep -aqF "$(printf '\033')]8;;$url$(printf '\033')" "$TM_LOG"
ok $? "the long URL is also sent as an OSC 8 hyperlink to the whole address"
browser_authorize "$url" --login carol >/dev/null
ok $? "the person signs in; the browser is sent back to the listener"
tm_wait "carol@example.test"
ok $? "the listener's code signs in: Connected shows carol@example.test"
tm_quit
run remove testidp carol@example.test --yes

# ------------------------------------------------------------ paste
tm_start 100 32
open_method testidp-paste Browser
tm_wait "paste the code"
ok $? "the paste panel asks for the code"
url=$(tm_screen_joined | grep -Eo "$OIDC_ISSUER/auth\\?[^ ]*" | head -1)
like "$url" "code_challenge=.*state=|state=.*code_challenge=" "the whole authorization URL can be read off the screen as one line"
ok $(( ${#url} > 100 ? 0 : 1 )) "though it is longer than a row (${#url} characters): the terminal joins its rows"
landing=$(browser_authorize "$url" --login bob --no-follow)
like "$landing" "$OIDC_ISSUER/code\\?code=" "the person signs in and lands on the code page"
page=$(oidc_code_page "$landing")
like "$page" '^[^#]+#[^#]+$' "which shows CODE#STATE"
# Another sign-in's state: refused, and the panel stays.
tm_paste "${page%%#*}#not-this-sign-in"
tm_keys Enter
tm_wait "state" 30
ok $? "a code with another state is refused with a message"
like "$(tm_screen)" "paste the code" "and the panel stays"
tm_paste "$page"
s=$(tm_screen)
unlike "$s" "${page%%#*}" "the pasted code is not shown"
tm_keys Enter
tm_wait "bob@example.test"
ok $? "the pasted code signs in: Connected shows bob@example.test"
unlike "$(cat "$TM_LOG")" "${page%%#*}" "the code never reached the screen"
tm_quit
run list --json
like "$(json_get "$OUT" 'j.accounts.map(a => a.provider + ":" + a.label).join()')" \
	"testidp-paste:bob@example.test" "aiauth list has the pasted sign-in's account"

done_testing
