#!/bin/sh
# faults_network.sh - OAuth servers that answer badly: an HTML page, a 500,
# broken JSON, an empty body, 10 MB, no answer at all, and a self-signed
# certificate, from the token endpoint (a refresh, the code exchange of a
# paste and a browser sign-in, a device code's polls), the device
# authorization endpoint and OpenID discovery (for a refresh and for a
# sign-in).  tests/cli/faults_models.sh does the same for model lists.
#
# Each case wants an exit status, one line on stderr that says what went
# wrong, nothing of the answer or of a secret printed (tests/lib/faults.sh),
# and nothing lost: once the server is healthy again the same account (its
# refresh token, a pending sign-in) still works.  The faulty server is
# tests/servers/fault_server.js in front of the real one; "pass" puts it
# back in the path unchanged.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
. "$top_srcdir/tests/lib/faults.sh"
at_exit stop_servers
no_session_bus
use_passphrase
need_oidc_provider
faults_setup
tls=$TLS

# Access tokens live 2 s: every `token` refreshes.
start_oidc_server --access-ttl 2 --device-interval 1 || {
	ok 1 "the authorization server starts"; done_testing; }
start_fault_server F --upstream "$OIDC_ISSUER" --log "$TEST_TMP/f.log" || {
	ok 1 "the fault server starts"; done_testing; }
FRONT="http://127.0.0.1:$F_PORT"

# write_providers BASE: the test providers, with the endpoints under test
# at BASE (the fault server, or the TLS server):
#   testidp        every endpoint named; token and device authorization at BASE
#   testidp-paste  the same, with the paste redirect (its code page)
#   testidp-disc   only the issuer, BASE: its endpoints come from discovery
#   testidp-poll   device authorization straight to the server, the token
#                  endpoint (its polls) at BASE
write_providers() {
	_iss=$OIDC_ISSUER
	_common='"client_id": "aiauth-test", "scopes": "openid email offline_access"'
	_named="\"issuer\": \"$_iss\", $_common, \"authorization_endpoint\": \"$_iss/auth\",
		\"userinfo_endpoint\": \"$_iss/me\", \"token_endpoint\": \"$1/token\""
	_p='"group": "subscription", "methods": ["browser", "device"], "token_env": "TESTIDP_TOKEN"'
	mkdir -p "$XDG_CONFIG_HOME/aiauth"
	cat >"$XDG_CONFIG_HOME/aiauth/providers.json" <<EOF
{"version": 1, "providers": {
	"testidp": {"name": "Test IdP", $_p, "oauth": {$_named,
		"device_authorization_endpoint": "$1/device/auth",
		"redirect": "loopback", "redirect_path": "/callback"}},
	"testidp-paste": {"name": "Test IdP (paste)", $_p, "oauth": {$_named,
		"device_authorization_endpoint": "$1/device/auth",
		"redirect": "paste", "redirect_uri": "$_iss/code"}},
	"testidp-disc": {"name": "Test IdP (discovery)", $_p, "oauth": {"issuer": "$1", $_common,
		"redirect": "loopback", "redirect_path": "/callback"}},
	"testidp-poll": {"name": "Test IdP (polls)", $_p, "oauth": {$_named,
		"device_authorization_endpoint": "$_iss/device/auth",
		"redirect": "loopback", "redirect_path": "/callback"}}
}}
EOF
}
write_providers "$FRONT"

auth_url() { grep -Eo "$OIDC_ISSUER/[^ ]*\\?[^ ]*" "$1" | head -1; }
refreshes() { oidc_count "token refresh_token"; }

oidc_sign_in alice testidp
is "$?" 0 "alice signs in (through the fault server, passing)"
oidc_sign_in bob testidp-disc
is "$?" 0 "bob signs in with discovered endpoints"
run token testidp
is "$RC" 0 "alice's token refreshes through the fault server"

# ---------------------------------------------------------------- refresh
for mode in $MODES tls; do
	if [ "$mode" = tls ]; then
		[ -n "$tls" ] || { ok 0 "refresh, tls # SKIP openssl is not installed"; continue; }
		write_providers "$tls"
	else
		fault_mode F "$mode"
	fi
	before=$(refreshes)
	run_fault "$mode" token testidp --account alice@example.test
	check_fault "refresh" "$mode"
	is "$OUT" "" "refresh, $mode: no stale token on stdout"
	write_providers "$FRONT"
	fault_mode F pass
	run token testidp --account alice@example.test
	is "$RC" 0 "refresh, $mode: afterwards the kept refresh token works"
	is "$(($(refreshes) - before))" 1 "refresh, $mode: with one refresh that the server accepted"
done
run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.provider.startsWith("testidp")).map(a => a.status).join()')" \
	"ok,ok" "both OAuth accounts are fine after the refresh faults"

# ---------------------------------------------------- discovery (refresh)
for mode in $MODES tls; do
	if [ "$mode" = tls ]; then
		[ -n "$tls" ] || { ok 0 "discovery, tls # SKIP openssl is not installed"; continue; }
		write_providers "$tls"
	else
		fault_mode F "$mode"
	fi
	before=$(refreshes)
	run_fault "$mode" token testidp-disc
	check_fault "discovery" "$mode"
	write_providers "$FRONT"
	fault_mode F pass
	run token testidp-disc
	is "$RC" 0 "discovery, $mode: afterwards bob's token refreshes"
	is "$(($(refreshes) - before))" 1 "discovery, $mode: with one refresh that the server accepted"
done

# ------------------------------------------ discovery and device (sign-in)
for mode in $MODES tls; do
	if [ "$mode" = tls ]; then
		[ -n "$tls" ] || { ok 0 "device authorization, tls # SKIP openssl is not installed"; continue; }
		write_providers "$tls"
	else
		fault_mode F "$mode"
	fi
	before=$(oidc_count device_authorization)
	run_fault "$mode" login testidp --device
	check_fault "device authorization" "$mode"
	run_fault "$mode" login testidp-disc --device
	check_fault "sign-in discovery" "$mode"
	is "$(oidc_count device_authorization)" "$before" "device, $mode: no device code was asked for"
	write_providers "$FRONT"
	fault_mode F pass
done
run list --json
is "$(json_get "$OUT" 'j.accounts.length')" 2 "the failed sign-ins added and removed no account"
run token testidp --account alice@example.test
is "$RC" 0 "alice's token still works"

# ------------------------------------------------------- code exchange
# The sign-in is started with --no-wait and finished with the token
# endpoint broken: it fails, keeps the pending sign-in, and finishes once
# the endpoint is back.
n=0
for mode in $MODES tls; do
	n=$((n + 1))
	if [ "$mode" = tls ]; then
		[ -n "$tls" ] || { ok 0 "code exchange, tls # SKIP openssl is not installed"; continue; }
		write_providers "$tls"
	fi
	run login testidp-paste --no-wait
	landing=$(browser_authorize "$(auth_url "$TEST_TMP/out")" --login "user$n" --no-follow)
	[ "$mode" = tls ] || fault_mode F "$mode"
	before=$(oidc_count "token authorization_code")
	run_fault "$mode" login --finish "$landing"
	check_fault "code exchange" "$mode"
	is "$(oidc_count "token authorization_code")" "$before" "code exchange, $mode: the code never reached the server"
	write_providers "$FRONT"
	fault_mode F pass
	if [ "$mode" = tls ]; then
		# The pending sign-in names the endpoint it started with.
		run login --finish "$landing"
		like "$ERR" certificate "code exchange, tls: the pending sign-in is kept for another try"
		continue
	fi
	run login --finish "$landing"
	is "$RC" 0 "code exchange, $mode: finishing again once the server is back signs in"
	like "$OUT" "user$n@example.test" "code exchange, $mode: as user$n"
done

# The loopback flow meets a broken exchange the same way.
fault_mode F hang
AIAUTH_HTTP_TIMEOUT_MS=2000 "$AIAUTH" login testidp --browser >"$TEST_TMP/b.out" \
	2>"$TEST_TMP/b.err" </dev/null &
pid=$!
wait_for "$TEST_TMP/b.out" "$OIDC_ISSUER"
browser_authorize "$(auth_url "$TEST_TMP/b.out")" --login zed >/dev/null
wait "$pid"
RC=$?
OUT=$(cat "$TEST_TMP/b.out")
ERR=$(cat "$TEST_TMP/b.err")
check_fault "browser sign-in exchange" hang
fault_mode F pass
run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.label.startsWith("zed")).length')" 0 \
	"and no account was made of it"

# ------------------------------------------------ device code polls
# The device authorization goes straight to the server; the polls meet the
# fault.  A poll that fails is tried again, five times in all, then the
# sign-in ends with the last failure; the instructions on stderr come first.
for mode in $MODES tls; do
	if [ "$mode" = tls ]; then
		[ -n "$tls" ] || { ok 0 "device polls, tls # SKIP openssl is not installed"; continue; }
		write_providers "$tls"
	else
		fault_mode F "$mode"
	fi
	before=$(oidc_count "token urn:ietf:params:oauth:grant-type:device_code")
	run_fault "$mode" login testidp-poll --device
	check_fault --last "device polls" "$mode"
	is "$(oidc_count "token urn:ietf:params:oauth:grant-type:device_code")" "$before" \
		"device polls, $mode: no poll reached the server"
	write_providers "$FRONT"
	fault_mode F pass
done
run list --json
is "$(json_get "$OUT" 'j.accounts.map(a => a.label).sort().join()')" \
	"alice@example.test,bob@example.test,user1@example.test,user2@example.test,user3@example.test,user4@example.test,user5@example.test,user6@example.test,user7@example.test" \
	"the accounts are the ones signed in, none more"
run token testidp --account alice@example.test
is "$RC" 0 "and alice's token still works at the end"

done_testing
