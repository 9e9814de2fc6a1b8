#!/bin/sh
# oauth_device.sh - aiauth login --device against a real authorization
# server (oidc-provider on 127.0.0.1), with a scripted person approving or
# denying on the verification page.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
at_exit stop_servers
no_session_bus
use_passphrase
need_oidc_provider

start_oidc_server --device-interval 1 || { ok 1 "the authorization server starts"; done_testing; }
mkdir -p "$XDG_CONFIG_HOME/aiauth"
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"

# login_bg OUT ARGS...: start aiauth login in the background, both its
# streams into OUT, for a minute at most; sets LOGIN_PID.
login_bg() {
	_out=$1
	shift
	timeout $((60 * TEST_TIME_SCALE)) "$AIAUTH" login "$@" >"$_out" 2>&1 </dev/null &
	LOGIN_PID=$!
}

# wait_for FILE REGEX: until FILE has a line matching REGEX (10 s at most).

# The verification URL and user code aiauth printed.
device_uri() { grep -Eo "$OIDC_ISSUER/[^ ]*device[^ ]*" "$1" | head -1; }
device_code() { grep -Eo '\b[A-Z0-9]{4}-[A-Z0-9]{4}\b' "$1" | head -1; }

# Approved.
login_bg "$TEST_TMP/l1" testidp --device
wait_for "$TEST_TMP/l1" "$OIDC_ISSUER"
ok $? "login --device prints the verification URL"
uri=$(device_uri "$TEST_TMP/l1")
code=$(device_code "$TEST_TMP/l1")
like "$code" '^[A-Z0-9]{4}-[A-Z0-9]{4}$' "and the user code"
# Polling with the device code: nothing of it in /proc (tests/lib/audit.sh).
audit_proc "$LOGIN_PID" "login --device waiting for approval"
browser_device "$uri" --code "$code" --login alice >/dev/null
ok $? "the person approves on the verification page"
wait "$LOGIN_PID"
is "$?" 0 "an approved device sign-in exits 0"
like "$(cat "$TEST_TMP/l1")" "alice@example.test" "and names the account's email"
run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.provider == "testidp").map(a => a.kind + ":" + a.method + ":" + a.label).join()')" \
	"oauth:device:alice@example.test" "an OAuth account labelled with the email is saved"
run token testidp
is "$RC" 0 "token hands out the access token"
ok $(( ${#OUT} < 10 )) "and it is not empty"
unlike "$(cat "$TEST_TMP/l1")" "$OUT" "the sign-in never printed the token"
polls=$(oidc_count "token urn:ietf:params:oauth:grant-type:device_code")
ok $((polls < 1)) "the token endpoint was polled"

# On a terminal the URL is also an OSC 8 hyperlink; piped, it stays plain.
if command -v script >/dev/null 2>&1; then
	TERM=xterm-256color timeout $((5 * TEST_TIME_SCALE)) script -qfec "$AIAUTH login testidp --device" \
		"$TEST_TMP/pty.log" </dev/null >/dev/null 2>&1
	grep -q "$(printf '\033')]8;;$OIDC_ISSUER/device" "$TEST_TMP/pty.log"
	ok $? "on a terminal the verification URL is an OSC 8 hyperlink"
fi
grep -q "$(printf '\033')]8;;" "$TEST_TMP/l1"
ok $((! $?)) "piped output has no hyperlink escapes"

# Denied.
login_bg "$TEST_TMP/l2" testidp --device
wait_for "$TEST_TMP/l2" "$OIDC_ISSUER"
browser_device "$(device_uri "$TEST_TMP/l2")" --code "$(device_code "$TEST_TMP/l2")" --deny >/dev/null
wait "$LOGIN_PID"
is "$?" 8 "a denied device sign-in exits 8"
like "$(cat "$TEST_TMP/l2")" "denied" "and says access was denied"

# slow_down: the server asks to slow down once; the sign-in still succeeds.
start_oidc_server --device-interval 1 --slow-down 1 || { ok 1 "the second authorization server starts"; done_testing; }
SLOW_ISSUER=$OIDC_ISSUER
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"
login_bg "$TEST_TMP/l3" testidp --device
wait_for "$TEST_TMP/l3" "$SLOW_ISSUER"
browser_device "$(device_uri "$TEST_TMP/l3")" --code "$(device_code "$TEST_TMP/l3")" --login bob >/dev/null
wait "$LOGIN_PID"
is "$?" 0 "a sign-in told to slow down still succeeds"
like "$(cat "$TEST_TMP/l3")" "bob@example.test" "as bob"

# Expired: a code that lives two seconds.
start_oidc_server --device-ttl 2 --device-interval 1 || { ok 1 "the third authorization server starts"; done_testing; }
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"
login_bg "$TEST_TMP/l4" testidp --device
wait "$LOGIN_PID"
is "$?" 9 "an expired device code exits 9"
like "$(cat "$TEST_TMP/l4")" "expired" "and says the code expired"
tail -1 "$TEST_TMP/l4" | grep -q '^aiauth: '
ok $? "the failure ends with one aiauth: line"

# On a terminal the countdown updates one line in place, every second.
if command -v tmux >/dev/null 2>&1; then
	tm="tmux -L aiauth-dev-$$"
	at_exit_tmux() { $tm kill-server 2>/dev/null; }
	at_exit at_exit_tmux
	start_oidc_server --device-interval 1 --device-ttl 600 || { ok 1 "the fourth server starts"; done_testing; }
	oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"
	$tm new-session -d -x 100 -y 30 -e "HOME=$HOME" -e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" \
		-e "XDG_DATA_HOME=$XDG_DATA_HOME" -e "AIAUTH_PASSPHRASE_FILE=$AIAUTH_PASSPHRASE_FILE" \
		-e "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS" -e "LANG=C.UTF-8" \
		-e "AIAUTH_DEBUG=$AIAUTH_DEBUG" \
		"timeout $((60 * TEST_TIME_SCALE)) $AIAUTH login testidp --device; echo EXIT=\$?; sleep 30"
	i=0
	until $tm capture-pane -p | grep -q "code expires in"; do
		i=$((i + 1)); [ $i -gt $((100 * TEST_TIME_SCALE)) ] && break; sleep 0.1
	done
	screen1=$($tm capture-pane -p)
	audit_proc "$($tm display-message -p '#{pane_pid}')" "login --device on a terminal, waiting"
	sleep 2.2
	screen2=$($tm capture-pane -p)
	audit_screen "$screen1"
	audit_screen "$screen2"
	left1=$(printf '%s\n' "$screen1" | grep -o 'expires in [0-9:]*' | tail -1)
	left2=$(printf '%s\n' "$screen2" | grep -o 'expires in [0-9:]*' | tail -1)
	like "$left1" 'expires in [0-9]+:[0-9]{2}' "a terminal shows the countdown"
	[ -n "$left2" ] && [ "$left1" != "$left2" ]
	ok $? "the countdown goes down ($left1, then $left2)"
	is "$(printf '%s\n' "$screen2" | grep -c 'expires in')" 1 "it stays on one line, updated in place"
	code=$(printf '%s\n' "$screen2" | grep -Eo '\b[A-Z0-9]{4}-[A-Z0-9]{4}\b' | head -1)
	browser_device "$OIDC_ISSUER/device" --code "$code" --login lena >/dev/null
	i=0
	until $tm capture-pane -p | grep -q "EXIT="; do
		i=$((i + 1)); [ $i -gt $((100 * TEST_TIME_SCALE)) ] && break; sleep 0.1
	done
	audit_screen "$($tm capture-pane -p)"
	like "$($tm capture-pane -p)" "EXIT=0" "the terminal sign-in ends approved"
fi

done_testing
