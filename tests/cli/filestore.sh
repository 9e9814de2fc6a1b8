#!/bin/sh
# filestore.sh - no session bus at all (the headless SSH case): the
# encrypted file is chosen, works, and keeps the key in no readable form.
. "$top_srcdir/tests/lib/common.sh"
no_session_bus
KEY=sk-filestore-9f8e7d6c5b4a3210
secret_watch "$KEY"
vault="$XDG_DATA_HOME/aiauth/vault.bin"

run status
like "$OUT" "encrypted file" "status says the encrypted file is in use"
like "$OUT" "because .*(bus|Secret Service)" "and why: there is no session bus"

run --stdin "$KEY" add openai
is "$RC" 5 "without a passphrase and no terminal, add fails with status 5"
like "$ERR" "AIAUTH_PASSPHRASE_FILE" "and says how to give a passphrase"
one_line_error "no passphrase: one line"
run list --json
is "$(json_get "$OUT" 'j.accounts.length')" 0 "and nothing was added"

use_passphrase
run --stdin "$KEY" add openai
is "$RC" 0 "with a passphrase file the key is saved"
[ -f "$vault" ]
ok $? "the vault file exists"
is "$(file_mode "$vault")" 600 "the vault is 0600"
is "$(file_mode "$XDG_DATA_HOME/aiauth")" 700 "its directory is 0700"
grep -q "$KEY" "$vault"
ok $((! $?)) "the vault does not hold the key in the clear"
b64=$(printf %s "$KEY" | base64 | tr -d '=')
b64mid=$(printf %s "$KEY" | cut -c4- | base64 | cut -c1-12)
grep -aq -e "$(printf %s "$b64" | cut -c1-16)" -e "$b64mid" "$vault"
ok $((! $?)) "nor in base64"
run status
like "$OUT" "encrypted file" "status still names the file backend"
like "$OUT" "$vault" "and where it is"

run token openai
is "$OUT" "$KEY" "token reads the key back"

cp "$vault" "$TEST_TMP/vault.before"
use_passphrase "not the right passphrase"
run token openai
is "$RC" 5 "a wrong passphrase exits 5"
like "$ERR" "wrong passphrase" "and says so"
one_line_error "wrong passphrase: one line"
cmp -s "$vault" "$TEST_TMP/vault.before"
ok $? "a wrong passphrase leaves the vault untouched"

use_passphrase
run --store keyring token openai
is "$RC" 5 "forcing the keyring without a session bus exits 5"
one_line_error "keyring unavailable: one line"

# A damaged vault is reported and never rewritten.
printf 'X' | dd of="$vault" bs=1 seek=120 conv=notrunc 2>/dev/null
cp "$vault" "$TEST_TMP/vault.damaged"
run token openai
is "$RC" 1 "a damaged vault is an error"
like "$ERR" "damaged|tampered" "that says the file is damaged"
run --stdin "sk-another" add openai --label second
isnt_rc=$RC
ok $((isnt_rc == 0)) "adding to a damaged vault fails"
cmp -s "$vault" "$TEST_TMP/vault.damaged"
ok $? "and the damaged vault is left as it was"

done_testing
