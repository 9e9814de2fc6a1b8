#!/bin/sh
# faults_network.sh - servers that answer badly: an HTML page, a 500, broken
# JSON, an empty body, 10 MB, no answer at all, and a self-signed
# certificate, from each server aiauth talks to: the OAuth token endpoint
# (a refresh, and the code exchange of a sign-in), the device authorization
# endpoint, OpenID discovery, and a provider's model list (test, models).
#
# Each case wants an exit status, one line on stderr that says what went
# wrong, nothing of the answer or of a secret printed, and nothing lost:
# once the server is healthy again the same account (its refresh token,
# its key, a pending sign-in) still works.  The faulty server is
# tests/servers/fault_server.js in front of the real one; "pass" puts it
# back in the path unchanged.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
at_exit stop_servers
no_session_bus
use_passphrase
need_oidc_provider

# No aiauth run may take more than a minute, whatever goes wrong.
cat >"$TEST_TMP/aiauth-bounded" <<EOF
#!/bin/sh
exec timeout 60 "$AIAUTH" "\$@"
EOF
chmod +x "$TEST_TMP/aiauth-bounded"
AIAUTH="$TEST_TMP/aiauth-bounded"

MODES="html 500 malformed empty huge huge-length hang"
GOOD=sk-good-key-for-the-fault-tests

# Access tokens live 2 s: every `token` refreshes.
start_oidc_server --access-ttl 2 --device-interval 1 || {
	ok 1 "the authorization server starts"; done_testing; }
start_fault_server F --upstream "$OIDC_ISSUER" --log "$TEST_TMP/f.log" || {
	ok 1 "the fault server starts"; done_testing; }
start_models_server MOD --key "$GOOD" --flavor openai
start_fault_server FM --upstream "http://127.0.0.1:$MOD_PORT"
FRONT="http://127.0.0.1:$F_PORT"
tls=
if make_test_cert "$TEST_TMP/tls"; then
	start_fault_server T --tls-cert "$TEST_TMP/tls/cert.pem" --tls-key "$TEST_TMP/tls/key.pem" &&
		tls="https://127.0.0.1:$T_PORT"
fi

# write_providers BASE: the test providers, with the endpoints under test
# at BASE (the fault server, or the TLS server):
#   testidp        every endpoint named; token and device authorization at BASE
#   testidp-paste  the same, with the paste redirect (its code page)
#   testidp-disc   only the issuer, BASE: its endpoints come from discovery
write_providers() {
	_iss=$OIDC_ISSUER
	_common='"client_id": "aiauth-test", "scopes": "openid email offline_access"'
	_named="\"issuer\": \"$_iss\", $_common, \"authorization_endpoint\": \"$_iss/auth\",
		\"userinfo_endpoint\": \"$_iss/me\", \"token_endpoint\": \"$1/token\",
		\"device_authorization_endpoint\": \"$1/device/auth\""
	_p='"group": "subscription", "methods": ["browser", "device"], "token_env": "TESTIDP_TOKEN"'
	mkdir -p "$XDG_CONFIG_HOME/aiauth"
	cat >"$XDG_CONFIG_HOME/aiauth/providers.json" <<EOF
{"version": 1, "providers": {
	"testidp": {"name": "Test IdP", $_p, "oauth": {$_named,
		"redirect": "loopback", "redirect_path": "/callback"}},
	"testidp-paste": {"name": "Test IdP (paste)", $_p, "oauth": {$_named,
		"redirect": "paste", "redirect_uri": "$_iss/code"}},
	"testidp-disc": {"name": "Test IdP (discovery)", $_p, "oauth": {"issuer": "$1", $_common,
		"redirect": "loopback", "redirect_path": "/callback"}}
}}
EOF
}
write_providers "$FRONT"

wait_for() {
	_i=0
	while [ $_i -lt 200 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}
sign_in() { # sign_in PROVIDER LOGIN
	"$AIAUTH" login "$1" --device >"$TEST_TMP/login.$2" 2>&1 </dev/null &
	_pid=$!
	wait_for "$TEST_TMP/login.$2" "$OIDC_ISSUER/device"
	browser_device "$(grep -Eo "$OIDC_ISSUER/[^ ]*device[^ ]*" "$TEST_TMP/login.$2" | head -1)" \
		--code "$(grep -Eo '\b[A-Z0-9]{4}-[A-Z0-9]{4}\b' "$TEST_TMP/login.$2" | head -1)" \
		--login "$2" >/dev/null
	wait "$_pid"
}
auth_url() { grep -Eo "$OIDC_ISSUER/[^ ]*\\?[^ ]*" "$1" | head -1; }
refreshes() { oidc_count "token refresh_token"; }

# What a case must say, by fault: a word or two of its one line.
says() {
	case $1 in
	html) echo '[Hh][Tt][Mm][Ll]' ;;
	500) echo 'HTTP 500' ;;
	malformed) echo 'JSON' ;;
	empty) echo 'empty' ;;
	huge | huge-length) echo 'larger than' ;;
	hang) echo 'timed out' ;;
	tls) echo 'certificate' ;;
	esac
}
# run_fault MODE ARGS...: run, with a short HTTP timeout when the server
# hangs (a request would wait 15 or 30 s, and a refresh tries four times).
# Healthy servers get the real timeouts, however loaded the machine is.
run_fault() {
	if [ "$1" = hang ]; then
		AIAUTH_HTTP_TIMEOUT_MS=2000
		export AIAUTH_HTTP_TIMEOUT_MS
	fi
	shift
	run "$@"
	unset AIAUTH_HTTP_TIMEOUT_MS
}
# check_fault WHAT MODE: the common assertions on the last run.
check_fault() {
	echo "# $1, $2: exit $RC: $ERR"
	case $2 in
	500 | hang | tls) is "$RC" 6 "$1, $2: exits 6 (network)" ;;
	*) is "$RC" 1 "$1, $2: exits 1 (a bad answer)" ;;
	esac
	one_line_error "$1, $2: one line on stderr"
	like "$ERR" "$(says "$2")" "$1, $2: which says what went wrong"
	unlike "$OUT$ERR" 'FAULT|DOCTYPE|<html|\{"|refresh_token=|grant_type=|code_verifier=|device_code=|Bearer|xxxxxxxx' \
		"$1, $2: and quotes nothing of the answer or the request"
}

sign_in testidp alice
is "$?" 0 "alice signs in (through the fault server, passing)"
sign_in testidp-disc bob
is "$?" 0 "bob signs in with discovered endpoints"
run token testidp
is "$RC" 0 "alice's token refreshes through the fault server"
run --stdin "$GOOD" add openai-compatible --label models --base-url "http://127.0.0.1:$FM_PORT/v1"
is "$RC" 0 "an API-key account for the model list"

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
is "$(json_get "$OUT" 'j.accounts.length')" 3 "the failed sign-ins added and removed no account"
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

# ------------------------------------------------------ the model list
for mode in $MODES tls; do
	url="http://127.0.0.1:$FM_PORT/v1"
	if [ "$mode" = tls ]; then
		[ -n "$tls" ] || { ok 0 "model list, tls # SKIP openssl is not installed"; continue; }
		url="$tls/v1"
	else
		fault_mode FM "$mode"
	fi
	run --stdin "$GOOD" add openai-compatible --label "m-$mode" --base-url "$url"
	run_fault "$mode" test "m-$mode"
	check_fault "test" "$mode"
	unlike "$ERR" "$GOOD" "test, $mode: the key is not shown"
	run_fault "$mode" models "m-$mode"
	check_fault "models" "$mode"
	unlike "$ERR" "$GOOD" "models, $mode: the key is not shown"
	fault_mode FM pass
	if [ "$mode" != tls ]; then
		run test "m-$mode"
		is "$RC" 0 "model list, $mode: the account tests valid once the server is back"
	fi
	run token openai-compatible --account "m-$mode"
	is "$OUT" "$GOOD" "model list, $mode: its key is as it was"
done
run test models
is "$RC" 0 "the first model-list account still tests valid"

done_testing
