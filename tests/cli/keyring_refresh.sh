#!/bin/sh
# keyring_refresh.sh - refreshing OAuth tokens kept in a real gnome-keyring,
# against a real authorization server that rotates refresh tokens and
# revokes the whole grant when a spent one comes back.  On the keyring, the
# write of an item that is there already goes on while the loop runs
# (secretstore_put_start): every rotated token must still be in the
# keyring, in the account's one item, before the run ends and before any
# other process can read it.  Reusing a lost one would show here as
# invalid_grant.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/keyring.sh"
keyring_reexec "$0" "$@"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
command -v gnome-keyring-daemon >/dev/null || skip_all "gnome-keyring-daemon is not installed"
command -v secret-tool >/dev/null || skip_all "secret-tool is not installed"
need_oidc_provider
KEYRING_DIR="$TEST_TMP/keyring"
keyring_start || skip_all "the keyring daemon did not start"
at_exit keyring_stop
at_exit stop_servers

# Access tokens that live 2 seconds: always inside the 5-minute window.
start_oidc_server --access-ttl 2 --device-interval 1 || {
	ok 1 "the authorization server starts"; done_testing; }
mkdir -p "$XDG_CONFIG_HOME/aiauth"
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"

refreshes() { oidc_count "token refresh_token"; }
# items: how many keyring items aiauth's schema holds.
items() { secret-tool search --all xdg:schema org.aiauth.Credential 2>/dev/null | grep -c '^\['; }

run status
like "$OUT" "desktop keyring" "the keyring is the secret store"

ACCOUNTS="alice bob carol dave eve"
n=0
for who in $ACCOUNTS; do
	oidc_sign_in "$who"
	is "$?" 0 "$who signs in"
	n=$((n + 1))
done
is "$(items)" "$n" "one keyring item per account"
[ ! -e "$XDG_DATA_HOME/aiauth/vault.bin" ]
ok $? "and no encrypted file"

# Three rounds of refresh --all: each one spends every refresh token the
# previous round saved.  A token lost on the way would come back as
# invalid_grant, and the server would revoke the account's grant.
round=1
while [ $round -le 3 ]; do
	sleep 2.2
	before=$(refreshes)
	run refresh --all
	is "$RC" 0 "round $round: refresh --all succeeds"
	is "$(( $(refreshes) - before ))" "$n" "round $round: it refreshed all $n accounts"
	is "$(printf '%s\n' "$OUT" | grep -c 'refreshed')" "$n" "round $round: and says so for each"
	unlike "$OUT$ERR" "invalid_grant|sign in again|could not be saved" \
		"round $round: no spent token came back"
	round=$((round + 1))
done
is "$(items)" "$n" "still one keyring item per account"
found=$(secret-tool search --all xdg:schema org.aiauth.Credential 2>&1)
like "$found" "label = aiauth: Test IdP \\(carol@example.test\\)" "the items keep their labels"
run list --json
is "$RC" 0 "the account list reads"
is "$(json_get "$OUT" 'j.accounts.filter(a => a.status === "ok" && a.last_refresh_outcome === "refreshed").length')" \
	"$n" "every account is recorded as refreshed"

# What the last round saved is what the next process reads: token
# refreshes once more with it, and hands out the new access token.
sleep 2.2
before=$(refreshes)
run token testidp --account alice@example.test
is "$RC" 0 "token works after the rounds"
is "$(( $(refreshes) - before ))" 1 "with one more refresh, from the saved refresh token"
ok $(printf '%s' "$OUT" | grep -Eq '^[A-Za-z0-9_-]{20,}$'; echo $?) "and prints an access token"

# --jobs 1 and the concurrent run against the same keyring, one after the
# other: the same outcome.
sleep 2.2
before=$(refreshes)
run refresh --all --jobs 1
is "$RC" 0 "refresh --all --jobs 1 succeeds"
is "$(( $(refreshes) - before ))" "$n" "it refreshed all $n accounts"

# Twenty processes on the same expired token, the lock files there from
# the rounds above: one refresh, one token for all, nothing revoked.  The
# new token lives an hour, so that the others find it fresh.
oidc_set_access_ttl 3600
sleep 2.2
before=$(refreshes)
run_together 20 race "$AIAUTH" token testidp --account bob@example.test
is "$FAILED" 0 "20 processes at once all get a token"
is "$(( $(refreshes) - before ))" 1 "with exactly one refresh"
is "$(cat "$TEST_TMP"/race.[0-9] "$TEST_TMP"/race.[0-9][0-9] | sort -u | wc -l)" 1 "and the same token"

# Two refresh --all at once: each account is refreshed once, by one of them.
oidc_set_access_ttl 2
run refresh --all --force
is "$RC" 0 "a forced refresh --all gives every account a 2-second token"
oidc_set_access_ttl 3600
sleep 2.2
before=$(refreshes)
"$AIAUTH" refresh --all >"$TEST_TMP/both.1" 2>&1 &
p1=$!
"$AIAUTH" refresh --all >"$TEST_TMP/both.2" 2>&1 &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
is "$r1 $r2" "0 0" "two refresh --all at once both succeed"
is "$(( $(refreshes) - before ))" "$n" "each account was refreshed once"
unlike "$(cat "$TEST_TMP/both.1" "$TEST_TMP/both.2")" "invalid_grant|could not be saved" \
	"and no spent token came back"
is "$(items)" "$n" "still one keyring item per account"

done_testing
