#!/bin/sh
# faults_models.sh - a provider's model list (aiauth test, aiauth models)
# answered badly: an HTML page, a 500, broken JSON, an empty body, 10 MB,
# no answer at all, and a self-signed certificate.  Each case wants the
# checks of tests/lib/faults.sh, the key never shown, and nothing lost: the
# account's key is as it was and, once the server is healthy again, it
# tests valid.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/faults.sh"
at_exit stop_servers
no_session_bus
use_passphrase
command -v "$NODE" >/dev/null 2>&1 || skip_all "node is not installed"
faults_setup
GOOD=sk-good-key-for-the-fault-tests

start_models_server MOD --key "$GOOD" --flavor openai || {
	ok 1 "the models server starts"; done_testing; }
start_fault_server FM --upstream "http://127.0.0.1:$MOD_PORT" || {
	ok 1 "the fault server starts"; done_testing; }
run --stdin "$GOOD" add openai-compatible --label models --base-url "http://127.0.0.1:$FM_PORT/v1"
run test models
is "$RC" 0 "an account tests valid through the fault server, passing"

for mode in $MODES tls; do
	url="http://127.0.0.1:$FM_PORT/v1"
	if [ "$mode" = tls ]; then
		[ -n "$TLS" ] || { ok 0 "model list, tls # SKIP openssl is not installed"; continue; }
		url="$TLS/v1"
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
is "$RC" 0 "the first account still tests valid"

done_testing
