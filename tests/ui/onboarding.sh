#!/bin/sh
# onboarding.sh - the first-run screens in a real terminal (tmux), against
# small model-list servers on 127.0.0.1 named in providers.json, with the
# encrypted-file backend (no session bus, a passphrase file).
#
# The key typed in the screens must never be drawn: every screen captured
# along the way is checked for any piece of it.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/tmux.sh"
at_exit stop_servers
no_session_bus
use_passphrase

# Random-looking, so that a piece of it on screen cannot be anything else.
GOOD=sk-Zq7xW3pL9vB2nK5mT8rYc4
secret_watch "$GOOD"
start_models_server OAI --key "$GOOD" --flavor openai || skip_all "cannot start node"
start_models_server OLL --flavor ollama
start_models_server HANG --mode hang
mkdir -p "$XDG_CONFIG_HOME/aiauth"
printf '{"version":1,"providers":{"openai":{"base_url":"http://127.0.0.1:%s/v1"},"ollama":{"base_url":"http://127.0.0.1:%s"}}}\n' \
	"$OAI_PORT" "$OLL_PORT" >"$XDG_CONFIG_HOME/aiauth/providers.json"

# Every 5-character piece of the key after "sk-" (the prefix alone is the
# format hint's text and proves nothing).
key_pieces() {
	_k=${1#sk-}
	while [ ${#_k} -ge 5 ]; do
		printf '%s\n' "$_k" | cut -c1-5
		_k=${_k#?}
	done
}
PIECES="$TEST_TMP/pieces"
key_pieces "$GOOD" >"$PIECES"
leaks=0
shots=0
# shot STEP: capture the screen into $SCREEN and check it holds no piece
# of the key; a leak is reported once, at the step where it happened.
shot() {
	SCREEN=$(tmux_screen)
	shots=$((shots + 1))
	if printf '%s\n' "$SCREEN" | grep -Fq -f "$PIECES"; then
		leaks=$((leaks + 1))
		echo "# the key is visible after: $1"
		printf '%s\n' "$SCREEN" | sed 's/^/#   /'
	fi
}
# wait_screen REGEX STEP: wait for the screen to show REGEX, then shot.
wait_screen() {
	tmux_wait_for "$1" >/dev/null 2>&1
	shot "$2"
}

# quit_cleanly WHAT: q quits with status 0, and nothing (a sanitizer's
# report, a warning) was printed after the screens closed.
quit_cleanly() {
	tmux_keys q
	tmux_wait_for "aiauth exited" >/dev/null
	like "$(tmux_scrollback)" "aiauth exited 0" "q ends $1 with status 0"
	unlike "$(tmux_scrollback)" 'Sanitizer|runtime error|aiauth:' "and nothing is printed after the screens"
	tmux_stop
}

# A wrapper shell reports the exit status on the screen: tmux does not
# always record a pane's status.
start_aiauth() {
	tmux_start 80 24 sh -c '"$1"; echo "aiauth exited $?"; exec sleep 60' sh "$AIAUTH"
}
start_aiauth || skip_all "cannot start tmux"

# ---------------------------------------------------------------- welcome
wait_screen 'Welcome to aiauth' "start"
like "$SCREEN" 'Welcome to aiauth' "first run opens the welcome screen"
like "$SCREEN" 'encrypted file' "it names the backend: the encrypted file (no keyring here)"
like "$SCREEN" 'vault' "and where the file is"
like "$SCREEN" 'Connect a provider' "it offers to connect a provider"
unlike "$SCREEN" 'Import from installed CLIs' "no import button when no CLI file exists"

# ------------------------------------------------- picker, filter, key entry
tmux_keys Enter
wait_screen 'Filter:' "picker"
like "$SCREEN" 'Subscription sign-in' "the picker groups providers: subscription sign-in"
like "$SCREEN" 'API key' "and API key"
tmux_type openai
wait_screen 'Filter: openai' "filter typed"
like "$SCREEN" 'OpenAI API' "typing filters the list down to OpenAI"
unlike "$SCREEN" 'Mistral' "and hides the providers that do not match"
tmux_keys Enter
wait_screen 'with an API key' "key entry"
like "$SCREEN" 'Connect OpenAI API with an API key' "Enter on a one-method provider opens key entry"

tmux_paste "$GOOD"
wait_screen "${#GOOD} characters" "pasted"
like "$SCREEN" "${#GOOD} characters, hidden" "the pasted key counts its ${#GOOD} characters, hidden"
like "$SCREEN" '••••••••' "and is drawn as bullets"
tmux_audit_proc "key entry holding a pasted key"
unlike "$SCREEN" 'does not look like' "a key with the right prefix gets no format warning"

# Tab past the label and the base URL to [Test].
tmux_keys Tab Tab Tab Enter
wait_screen 'valid, 3 models|invalid|unreachable' "test"
like "$SCREEN" 'valid, 3 models' "Test against the server says valid and the model count"

tmux_keys Right Enter
wait_screen 'Connected' "saved"
like "$SCREEN" 'OpenAI API is connected as' "Save shows the connected screen"
like "$SCREEN" 'Add another' "with Add another"

# ------------------------------------------ add another: a wrong key, a hint
tmux_keys a
wait_screen 'Filter:' "add another"
like "$SCREEN" 'Connect a provider' "Add another opens the picker again"
like "$SCREEN" '1 connected' "which counts the connected account"
tmux_type openai
tmux_keys Enter
wait_screen 'with an API key' "key entry 2"
tmux_type sk-wrong-key-000
tmux_keys Tab Tab Tab Enter
wait_screen 'invalid key|valid,' "wrong key test"
like "$SCREEN" 'invalid key \(HTTP 401' "a wrong key's Test says invalid key (HTTP 401)"

tmux_keys BTab BTab BTab C-u
tmux_type wrongformat
wait_screen 'does not look like' "format hint"
like "$SCREEN" 'does not look like a key for OpenAI API' \
	"a key without the provider's prefix gets the format hint"
like "$SCREEN" 'with "sk-"' "which names the prefix"
like "$SCREEN" 'you can still save it' "which warns without blocking"

# A test in flight is stopped by Esc, which leaves the screen open; the
# custom base URL is what the test goes to.
tmux_keys Tab Tab
tmux_type "http://127.0.0.1:$HANG_PORT/v1"
tmux_keys Tab Enter
wait_screen 'Testing the key' "test in flight"
like "$SCREEN" 'Testing the key against OpenAI API' "Test against a server that never answers is in flight"
tmux_keys Escape
wait_screen 'Test stopped' "test stopped"
like "$SCREEN" 'with an API key' "Esc stops the test and stays on key entry"
tmux_keys Escape
wait_screen 'Filter:' "cancelled"
like "$SCREEN" 'Connect a provider' "Esc cancels key entry back to the picker"

# ------------------------------------- a sign-in that needs configuration
tmux_keys Escape
tmux_type bob
tmux_keys Enter
wait_screen 'providers.json' "needs configuration"
like "$SCREEN" 'Filter: bob' "a provider whose sign-in needs configuration stays in the picker"
like "$(printf '%s\n' "$SCREEN" | tr -s ' \n' '  ')" 'IBM has not published the details of Bob' \
	"and shows its configuration hint"

# ----------------------------------------------------------- a local server
tmux_keys BSpace BSpace BSpace
tmux_type ollama
wait_screen 'running \(' "local"
like "$SCREEN" 'Ollama.*running \(3 models\)' "the local server is marked running with its models"
tmux_keys Enter
wait_screen 'Connected' "local connected"
like "$SCREEN" 'Ollama is connected as' "Enter connects it at once, without a key"

tmux_keys Enter
tmux_wait_for 'Accounts|accounts' >/dev/null 2>&1
shot "done"
unlike "$SCREEN" 'Add another' "Done leaves the connected screen for the accounts screen"
quit_cleanly "the onboarding session"

is "$leaks" 0 "the key never appears on any of the $shots screens captured"

# ------------------------------------------------------- what was saved
run list --json
is "$RC" 0 "aiauth list --json works after onboarding"
is "$(json_get "$OUT" 'j.accounts.filter(a => a.provider === "openai").length')" 1 \
	"it lists the OpenAI account (the wrong key was never saved)"
is "$(json_get "$OUT" 'j.accounts.filter(a => a.provider === "ollama").map(a => a.kind).join()')" none \
	"and the keyless Ollama account"
run token openai
is "$OUT" "$GOOD" "aiauth token openai gives the key that was pasted"

# ------------------------------------------------ import button when found
# A Codex file with nothing in it first: nothing imported, the welcome
# screen stays and says why.  Then a real sign-in: imported, and the
# accounts screen takes over.
mkdir -p "$HOME/.codex"
printf '{}\n' >"$HOME/.codex/auth.json"
rm -f "$XDG_CONFIG_HOME/aiauth/accounts.json"
start_aiauth
wait_screen 'Welcome to aiauth' "welcome again"
like "$SCREEN" 'Import from installed CLIs \(found: Codex CLI\)' "the import button shows what was found"
tmux_keys Down Enter
wait_screen "Nothing was imported" "empty import"
like "$SCREEN" 'Nothing was imported: ~/\.codex/auth\.json holds no credentials' \
	"a file with no sign-in: the status line says so"
like "$SCREEN" 'Welcome to aiauth' "and the welcome screen stays"

# An unsigned JWT as Codex keeps its id_token (the email is in its claims).
jwt() {
	printf 'eyJhbGciOiJub25lIn0.%s.c2ln' \
		"$(printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '=')"
}
printf '{"OPENAI_API_KEY":null,"tokens":{"id_token":"%s","access_token":"at-codex-imp","refresh_token":"rt-codex-imp","account_id":"acct-1"},"last_refresh":"2025-01-01T00:00:00Z"}' \
	"$(jwt '{"email":"dev@example.test"}')" >"$HOME/.codex/auth.json"
audit_allow "$HOME/.codex/auth.json" # the test's own stand-in for Codex's file
tmux_keys Enter
wait_screen 'dev@example\.test +import' "imported"
like "$SCREEN" 'dev@example\.test +import' "Import moves on to the accounts screen, which lists the imported account"
like "$SCREEN" 'Imported the sign-in of Codex CLI as chatgpt account' "and the status line says what was imported"
like "$SCREEN" '(^|[^0-9])1 account([^s]|$)' "the title counts \"1 account\", singular"
unlike "$SCREEN" 'Welcome to aiauth' "the welcome screen is gone"
quit_cleanly "the import session"
run list --json
is "$(json_get "$OUT" "(j.accounts.find(a => a.provider === 'chatgpt') || {}).email")" \
	dev@example.test "aiauth list --json has the imported ChatGPT account"
is "$(json_get "$OUT" "(j.accounts.find(a => a.provider === 'chatgpt') || {}).method")" import \
	"made by import"
run token chatgpt
is "$OUT" at-codex-imp "aiauth token chatgpt gives the file's access token"

done_testing
