#!/bin/sh
# credfiles.sh - sync and import against fabricated credential files of
# Claude Code, Codex CLI and Gemini CLI in a private HOME, with the
# encrypted-file secret store: writing keeps unknown members, a token a CLI
# refreshed on its own is taken in rather than overwritten, damaged files
# change nothing.
. "$top_srcdir/tests/lib/common.sh"
no_session_bus
use_passphrase
command -v "$NODE" >/dev/null 2>&1 || skip_all "node is not installed"

CLAUDE="$HOME/.claude/.credentials.json"
CODEX="$HOME/.codex/auth.json"
GEMINI="$HOME/.gemini/oauth_creds.json"
# Holding tokens is what these files are for (tests/lib/audit.sh).
audit_allow "$CLAUDE" "$CODEX" "$GEMINI"
later_ms=$(( ($(date +%s) + 7200) * 1000 ))

# jwt JSON: an unsigned JWT with JSON as its claims.
jwt() {
	printf 'eyJhbGciOiJub25lIn0.%s.c2ln' \
		"$(printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '=')"
}
accounts() { "$AIAUTH" list --json 2>/dev/null; }
n_accounts() { json_get "$(accounts)" "j.accounts.filter(a => a.provider == '$1').length"; }
checksum() { cksum <"$1" 2>/dev/null; }

# ---- sync: writes our token and keeps what is not ours
run --stdin 'at-ours-1' add claude --token --label mine
is "$RC" 0 "a Claude token account is added"
mkdir -p "$HOME/.claude"
printf '{"mcpOAuth":{"srv":{"n":1.50}},"claudeAiOauth":{"subscriptionType":"max"}}\n' >"$CLAUDE"
run sync claude
is "$RC" 0 "sync claude succeeds"
like "$OUT" 'Wrote claude account "mine"' "and says what it wrote"
is "$(file_mode "$CLAUDE")" 600 "the file is 0600"
text=$(cat "$CLAUDE")
is "$(json_get "$text" 'j.claudeAiOauth.accessToken')" at-ours-1 "it holds our access token"
is "$(json_get "$text" 'j.claudeAiOauth.subscriptionType')" max "an unknown member of claudeAiOauth is kept"
like "$text" '"n": 1\.50' "an unknown top-level member is kept as written"
run sync claude
like "$OUT" 'already holds' "a second sync finds nothing to do"

# A fresh HOME directory for the tool is made 0700.
run --stdin 'ya29.ours' add google --token --label g
rm -rf "$HOME/.gemini"
run sync google
is "$RC" 0 "sync google without ~/.gemini succeeds"
is "$(file_mode "$HOME/.gemini")" 700 "~/.gemini is made 0700"
is "$(json_get "$(cat "$GEMINI")" 'j.access_token')" ya29.ours "oauth_creds.json holds our token"

# ---- the CLI refreshed on its own: take its tokens in, do not overwrite
printf '{"claudeAiOauth":{"accessToken":"at-cli-2","refreshToken":"rt-cli-2","expiresAt":%s,"scopes":["user:inference"]},"keep":1}' \
	"$later_ms" >"$CLAUDE"
before=$(checksum "$CLAUDE")
run sync claude
is "$RC" 0 "sync with a newer file succeeds"
like "$OUT" "refreshed its own token" "and says the file's tokens were taken in"
is "$(checksum "$CLAUDE")" "$before" "the file is not overwritten"
run token claude
is "$OUT" at-cli-2 "token now gives the file's access token"
run list --json
ok $(( $(json_get "$OUT" "j.accounts.find(a => a.label == 'mine').expires_at") * 1000 != later_ms )) \
	"the account's expiry is the file's"

# ---- damaged files: one line, non-zero, nothing changed
printf '{"claudeAiOauth": {"accessToken": ' >"$CLAUDE"
before=$(checksum "$CLAUDE")
run sync claude
ok $((RC == 0)) "sync with a damaged file fails"
one_line_error "one line on stderr"
like "$ERR" '~/.claude/.credentials.json' "naming the file"
is "$(checksum "$CLAUDE")" "$before" "the damaged file is unchanged"
run token claude
is "$OUT" at-cli-2 "the account is unchanged"
count=$(n_accounts claude)
run import claude
ok $((RC == 0)) "import of a damaged file fails"
one_line_error "import: one line on stderr"
is "$(n_accounts claude)" "$count" "import of a damaged file makes no account"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$CLAUDE"
run import claude
ok $((RC == 0)) "a file over 1 MiB is refused"
like "$ERR" '1 MiB' "and says why"
rm -f "$CLAUDE"
ln -s "$TEST_TMP/elsewhere" "$CLAUDE"
run sync claude
ok $((RC == 0)) "sync refuses a file that is a symbolic link"
like "$ERR" 'symbolic link' "and says so"
ok $([ -L "$CLAUDE" ] && [ ! -e "$TEST_TMP/elsewhere" ]; echo $?) "the link is left as it is, nothing written through it"
rm -f "$CLAUDE"

# ---- import from each tool
printf '{"claudeAiOauth":{"accessToken":"at-imp","refreshToken":"rt-imp","expiresAt":%s,"scopes":["user:inference"]}}' \
	"$later_ms" >"$CLAUDE"
idt=$(jwt '{"email":"dev@example.test","https://api.openai.com/auth":{"chatgpt_account_id":"acct-1"}}')
mkdir -p "$HOME/.codex"
printf '{"OPENAI_API_KEY":null,"tokens":{"id_token":"%s","access_token":"at-codex","refresh_token":"rt-codex","account_id":"acct-1"},"last_refresh":"2025-01-01T00:00:00Z"}' \
	"$idt" >"$CODEX"
gidt=$(jwt '{"email":"g@example.test"}')
secret_watch "$idt" "$gidt"
printf '{"access_token":"ya29.imp","refresh_token":"1//imp","scope":"openid","token_type":"Bearer","id_token":"%s","expiry_date":%s.25}' \
	"$gidt" "$later_ms" >"$GEMINI"
run import
is "$RC" 0 "import of every tool succeeds"
like "$OUT" 'Claude Code as claude account "claude \(imported\)"' "the Claude account is labelled as imported"
like "$OUT" 'chatgpt account "dev@example.test"' "the Codex account is labelled with its email"
like "$OUT" 'google account "g@example.test"' "the Gemini account is labelled with its email"
run token claude --account "claude (imported)"
is "$OUT" at-imp "token of the imported Claude account"
run token chatgpt
is "$OUT" at-codex "token of the imported ChatGPT account"
run token google --account g@example.test
is "$OUT" ya29.imp "token of the imported Google account"
run list --json
is "$(json_get "$OUT" "j.accounts.find(a => a.provider == 'chatgpt').method")" import "the method is import"
is "$(json_get "$OUT" "j.accounts.find(a => a.provider == 'chatgpt').kind")" oauth "the kind is oauth"
c1=$(n_accounts claude) c2=$(n_accounts chatgpt) c3=$(n_accounts google)
run import
is "$RC" 0 "a second import succeeds"
like "$OUT" 'already imported' "and says the files are already imported"
is "$(n_accounts claude)/$(n_accounts chatgpt)/$(n_accounts google)" "$c1/$c2/$c3" "and makes no duplicates"

# An API key in Codex's file becomes an openai account.
printf '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-imported"}' >"$CODEX"
run import codex
is "$RC" 0 "import of a Codex API key succeeds"
run token openai
is "$OUT" sk-imported "it is an openai account with that key"

# Grok's format is not public: a clear refusal.
run import grok
is "$RC" 1 "import grok is refused"
one_line_error "with one line"
like "$ERR" 'not published' "saying why"

# ---- another account in the file is not overwritten without --force
printf '{"OPENAI_API_KEY":null,"tokens":{"id_token":"%s","access_token":"at-x","refresh_token":"rt-x"}}' \
	"$(jwt '{"email":"someone@else.test"}')" >"$CODEX"
before=$(checksum "$CODEX")
run sync chatgpt
ok $((RC == 0)) "sync refuses to overwrite another account's file"
one_line_error "with one line"
is "$(checksum "$CODEX")" "$before" "and leaves it alone"
run sync chatgpt --force
is "$RC" 0 "--force overwrites it"
is "$(json_get "$(cat "$CODEX")" 'j.tokens.access_token')" at-codex "with the active account"

# ---- automatic sync when the active account changes
run sync --auto on
is "$RC" 0 "sync --auto on"
like "$(cat "$XDG_CONFIG_HOME/aiauth/settings.json")" '"auto_sync": true' "is kept in settings.json"
rm -f "$CLAUDE"
run use claude mine
is "$RC" 0 "use succeeds"
is "$(json_get "$(cat "$CLAUDE")" 'j.claudeAiOauth.accessToken')" at-cli-2 \
	"and writes the new active account into Claude's file"
run sync --auto off
rm -f "$CLAUDE"
run use claude "claude (imported)"
ok $([ ! -e "$CLAUDE" ]; echo $?) "with automatic sync off, use writes nothing"

run sync nosuch
is "$RC" 2 "an unknown provider is a usage error"
run sync anthropic
ok $((RC == 0)) "a provider without a CLI file is refused"
one_line_error "with one line"

done_testing
