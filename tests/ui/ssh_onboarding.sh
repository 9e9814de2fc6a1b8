#!/bin/sh
# ssh_onboarding.sh - the whole onboarding as over `ssh -t`: no display, no
# session bus, no passphrase file.  The device code is offered first, the
# screens ask for the encrypted file's passphrase themselves, and the
# accounts screen follows.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
. "$top_srcdir/tests/lib/tmux.sh"
at_exit stop_servers
no_session_bus
need_oidc_provider
start_oidc_server --device-interval 1 || { ok 1 "the authorization server starts"; done_testing; }
mkdir -p "$XDG_CONFIG_HOME/aiauth"
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"
PASS="ssh session passphrase"
secret_watch "$PASS"

wait_screen() { # wait_screen REGEX DESCRIPTION
	tmux_wait_for "$1" 15 >/dev/null
	ok $? "$2"
	SCREEN=$(tmux_screen)
}

tmux_start 100 32 env "SSH_CONNECTION=192.0.2.1 50000 192.0.2.2 22" \
	sh -c '"$1"; echo "aiauth exited $?"; exec sleep 60' sh "$AIAUTH"
wait_screen 'Welcome to aiauth' "the first run over SSH shows the welcome"
like "$SCREEN" "over SSH and no keyring answers" "it says there is no keyring over SSH"
like "$SCREEN" "encrypted file" "and that the encrypted file will be used"

tmux_keys c
wait_screen 'filter' "Connect a provider opens the picker"
tmux_type testidp
tmux_keys Enter
wait_screen 'How do you want to connect' "the provider has two ways to sign in"
like "$SCREEN" "› *Device" "over SSH the device code is offered first"
tmux_keys Enter
wait_screen 'Code expires in' "the device panel shows a code"
code=$(printf '%s\n' "$SCREEN" | grep -Eo '([A-Z0-9] ){4}- ([A-Z0-9] ){3}[A-Z0-9]' | head -1 | tr -d ' ')
like "$code" '^[A-Z0-9]{4}-[A-Z0-9]{4}$' "the user code is readable on the screen"
like "$SCREEN" "$OIDC_ISSUER/device" "the verification URL is on the screen"
tmux_audit_proc "the device panel polling, over SSH"
browser_device "$OIDC_ISSUER/device" --code "$code" --login sam >/dev/null
ok $? "the person approves from another device"

wait_screen 'New passphrase' "saving the first secret asks for a new passphrase"
tmux_type "$PASS"
tmux_keys Enter
wait_screen 'same passphrase again' "and asks for it again"
tmux_type "$PASS"
tmux_keys Enter
wait_screen 'sam@example\.test' "the sign-in is connected as sam"
tmux_audit_proc "the screens after the passphrase was typed"
unlike "$(tmux_screen)" "$PASS" "the passphrase was never shown"
tmux_keys Enter
wait_screen 'sam@example\.test +device' "Done leads to the accounts screen with the account"
like "$SCREEN" "encrypted file" "whose footer names the encrypted file"
tmux_keys q
tmux_wait_for "aiauth exited" >/dev/null
like "$(tmux_scrollback)" "aiauth exited 0" "q quits with status 0"

[ -f "$XDG_DATA_HOME/aiauth/vault.bin" ]
ok $? "the secret went into the encrypted file"
printf '%s\n' "$PASS" >"$TEST_TMP/pass"
chmod 600 "$TEST_TMP/pass"
AIAUTH_PASSPHRASE_FILE="$TEST_TMP/pass" "$AIAUTH" token testidp >"$TEST_TMP/tok" 2>&1
ok $? "the command line reads the token back with the same passphrase"

done_testing
