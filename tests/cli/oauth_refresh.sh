#!/bin/sh
# oauth_refresh.sh - keeping tokens fresh against a real authorization
# server that rotates refresh tokens and revokes the whole grant when a
# spent one is reused: refresh on demand, 20 processes at once refreshing
# exactly once, and broken token endpoints that lose nothing.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
at_exit stop_servers
no_session_bus
use_passphrase
need_oidc_provider

# Access tokens that live 2 seconds: always inside the 5-minute window.
start_oidc_server --access-ttl 2 --device-interval 1 || {
	ok 1 "the authorization server starts"; done_testing; }
mkdir -p "$XDG_CONFIG_HOME/aiauth"
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"

refreshes() { oidc_count "token refresh_token"; }

oidc_sign_in alice
is "$?" 0 "alice signs in"
run token testidp
first=$OUT
is "$RC" 0 "token works right after sign-in"
is "$(refreshes)" 1 "a token that expires within 5 minutes was refreshed before it was handed out"
run token testidp
is "$RC" 0 "token works again"
is "$(refreshes)" 2 "and refreshed again (the rotated refresh token was saved)"
[ "$OUT" != "$first" ]
ok $? "each refresh hands out a new access token"
run list --json
ok $(( $(json_get "$OUT" 'j.accounts[0].last_refresh') == 0 )) "the last refresh time is recorded"
is "$(json_get "$OUT" 'j.accounts[0].status')" ok "the account is fine"

# 20 processes at once on a token that has just expired: one refresh.
oidc_set_access_ttl 3600
sleep 2.2
before=$(refreshes)
run_together 20 t "$AIAUTH" token testidp
is "$FAILED" 0 "20 concurrent token calls all succeed"
is "$(( $(refreshes) - before ))" 1 "exactly one refresh request reached the server"
is "$(cat "$TEST_TMP"/t.[0-9] "$TEST_TMP"/t.[0-9][0-9] | sort -u | wc -l | tr -d ' ')" 1 "all 20 got the same access token"
run refresh testidp --force
is "$RC" 0 "a forced refresh afterwards works: no invalid_grant, the grant is intact"

# refresh --all refreshes the accounts that need it, concurrently.
oidc_set_access_ttl 2
oidc_sign_in bob
oidc_sign_in carol
sleep 2.2
before=$(refreshes)
run refresh --all
is "$RC" 0 "refresh --all succeeds"
is "$(( $(refreshes) - before ))" 2 "it refreshed the two expiring accounts and not the fresh one"
like "$OUT" "bob@example.test.*refreshed" "and says so per account"

# --jobs N: at most N at a time; --jobs 1 refreshes one after the other.
sleep 2.2
before=$(refreshes)
run refresh --all --jobs 1
is "$RC" 0 "refresh --all --jobs 1 succeeds"
is "$(( $(refreshes) - before ))" 2 "it refreshed the two expiring accounts, one after the other"
like "$OUT" "carol@example.test.*refreshed" "and says so per account"
for bad in 0 -1 1001 x 2x ''; do
	run refresh --all --jobs "$bad"
	is "$RC" 2 "--jobs '$bad' is a usage error"
	like "$ERR" "^aiauth: --jobs takes a number from 1 to 1000" "... that says what --jobs takes"
done

# A broken token endpoint: a clear error, and nothing of the account lost.
for mode in html 500 malformed; do
	oidc_set_token_mode "$mode"
	run token testidp --account bob@example.test
	ok $((RC == 0)) "with the token endpoint answering $mode, token fails"
	one_line_error "$mode: one line on stderr"
	oidc_set_token_mode normal
	run refresh bob@example.test --force
	is "$RC" 0 "after $mode, the kept refresh token still works"
done

# A slow token endpoint: while token and refresh wait for it, holding the
# refresh token, nothing of it is in their /proc (tests/lib/audit.sh).
oidc_set_token_mode slow
for cmd in "token testidp --account bob@example.test" "refresh bob@example.test --force"; do
	before=$(refreshes)
	# shellcheck disable=SC2086 # the words of $cmd are the arguments
	"$AIAUTH" $cmd >"$TEST_TMP/slow.out" 2>&1 </dev/null &
	pid=$!
	i=0
	while [ "$(refreshes)" = "$before" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	audit_proc "$pid" "aiauth $cmd waiting on a slow token endpoint"
	wait "$pid"
	is "$?" 0 "aiauth ${cmd%% *} against a slow token endpoint succeeds"
done
oidc_set_token_mode normal

# invalid_grant: the account needs to sign in again; nothing else changes.
oidc_set_token_mode invalid_grant
run token testidp --account carol@example.test
is "$RC" 4 "invalid_grant exits 4"
like "$ERR" "sign in again" "and says to sign in again"
oidc_set_token_mode normal
run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.status == "needs_signin").map(a => a.label).join()')" \
	"carol@example.test" "list shows carol needs sign-in"
run status
is "$RC" 4 "status exits 4 while an account needs sign-in"
like "$OUT" "need to sign in again" "and says so"
run token testidp --account bob@example.test
is "$RC" 0 "the other accounts keep working"

done_testing
