#!/bin/sh
# keyring.sh - a real Secret Service: gnome-keyring-daemon in a private
# dbus-run-session, unlocked without a prompt.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/keyring.sh"
keyring_reexec "$0" "$@"
command -v gnome-keyring-daemon >/dev/null || skip_all "gnome-keyring-daemon is not installed"
KEYRING_DIR="$TEST_TMP/keyring"
keyring_start || skip_all "the keyring daemon did not start"
at_exit keyring_stop
KEY=sk-keyring-test-5a4b3c2d1e0f
secret_watch "$KEY"

run status
like "$OUT" "desktop keyring" "status says the keyring is in use"
like "$OUT" "Secret Service" "and why"

run --stdin "$KEY" add openai --label work
is "$RC" 0 "add stores the key in the keyring"
id=$(json_get "$("$AIAUTH" list --json)" 'j.accounts[0].id')
found=$(secret-tool search --all account_id "$id" 2>&1)
like "$found" "label = aiauth: OpenAI API \(work\)" "secret-tool sees the item with a readable label"
like "$found" "attribute.provider = openai" "with the provider attribute"
unlike "$(printf '%s\n' "$found" | grep '^attribute')" "$KEY" "no attribute holds the key"
unlike "$(cat "$XDG_CONFIG_HOME/aiauth/accounts.json")" "$KEY" "the account file holds no secret"
[ ! -e "$XDG_DATA_HOME/aiauth/vault.bin" ]
ok $? "no encrypted file is made when the keyring is used"

run token openai
is "$OUT" "$KEY" "token reads the key back from the keyring"

run remove openai work --yes
is "$RC" 0 "remove works"
found=$(secret-tool search --all account_id "$id" 2>&1)
unlike "$found" "aiauth" "the keyring item is gone after remove"

# Once the secrets are in the keyring, a session where it is missing says
# so instead of silently starting an empty encrypted file.
run --stdin "$KEY" add openai --label again
saved=$DBUS_SESSION_BUS_ADDRESS
no_session_bus
run token openai
is "$RC" 5 "with the keyring gone, token exits 5"
like "$ERR" "keyring" "and says the secrets are in the keyring"
one_line_error "keyring gone: one line"
export DBUS_SESSION_BUS_ADDRESS="$saved"

if keyring_lock; then
	start=$(date +%s)
	run token openai
	end=$(date +%s)
	ok $((RC == 0)) "a locked keyring makes token fail"
	like "$ERR" "locked" "with a message that the keyring is locked"
	ok $((end - start > 10 * TEST_TIME_SCALE)) "without hanging"
fi

done_testing
