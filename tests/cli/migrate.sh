#!/bin/sh
# migrate.sh - store migrate moves every secret between the keyring and the
# encrypted file, and loses none when it fails half way.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/keyring.sh"
keyring_reexec "$0" "$@"
command -v gnome-keyring-daemon >/dev/null || skip_all "gnome-keyring-daemon is not installed"
KEYRING_DIR="$TEST_TMP/keyring"
keyring_start || skip_all "the keyring daemon did not start"
at_exit keyring_stop
secret_watch sk-migrate-one sk-ant-migrate-two

run --stdin "sk-migrate-one" add openai --label one
run --stdin "sk-ant-migrate-two" add anthropic --label two
run status
like "$OUT" "desktop keyring" "the secrets start in the keyring"

# A destination that cannot be opened (a vault sealed with someone else's
# passphrase, made here through another config directory) stops the move
# and loses nothing.
use_passphrase "someone else's passphrase"
printf 'sk-other' | XDG_CONFIG_HOME="$TEST_TMP/other-config" "$AIAUTH" --store file add openai >/dev/null 2>&1
[ -f "$XDG_DATA_HOME/aiauth/vault.bin" ]
ok $? "a vault with another passphrase exists"
use_passphrase "my own passphrase"
run store migrate --to file
is "$RC" 5 "a migration to a vault with another passphrase fails with status 5"
like "$ERR" "wrong passphrase" "and says why"
run token openai
is "$OUT" "sk-migrate-one" "the secrets still answer from the keyring"
run status
like "$OUT" "desktop keyring" "and the keyring is still the store in use"
rm -f "$XDG_DATA_HOME/aiauth/vault.bin"

run store migrate --to file
is "$RC" 0 "store migrate --to file works"
like "$OUT" "Moved 2 secret" "and says how many secrets moved"
run status
like "$OUT" "encrypted file" "status now names the encrypted file"
run token openai
is "$OUT" "sk-migrate-one" "the first secret answers from the file"
run token anthropic
is "$OUT" "sk-ant-migrate-two" "the second too"
found=$(secret-tool search --all provider openai 2>&1)
unlike "$found" "aiauth" "the keyring copies are gone"

run store migrate --to keyring
is "$RC" 0 "store migrate --to keyring works"
run status
like "$OUT" "desktop keyring" "status names the keyring again"
run token anthropic
is "$OUT" "sk-ant-migrate-two" "the secret answers from the keyring"
found=$(secret-tool search --all provider anthropic 2>&1)
like "$found" "aiauth: Anthropic" "secret-tool sees it"

done_testing
