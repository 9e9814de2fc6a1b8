#!/bin/sh
# accounts.sh - the account rules of SPEC §3 through the command line, and
# handing credentials out with token, env and exec.  Secrets live in the
# encrypted file here (no session bus), so the test needs no keyring.
. "$top_srcdir/tests/lib/common.sh"
no_session_bus
use_passphrase

KEY1=sk-test-first-0123456789abcdef
KEY2=sk-test-second-0123456789abcdef
secret_watch "$KEY1" "$KEY2" "secret/with'quote" "not-a-real-looking-key" "sk-ant-api-key" \
	"tok-anthropic-0123"

run --stdin "  $KEY1
" add openai --label work
is "$RC" 0 "add openai reads the key from standard input"
like "$OUT" 'Added OpenAI.*"work" \(active\)' "the first account of a provider becomes active"

run list --json
is "$(json_get "$OUT" 'j.accounts.length')" 1 "list --json shows one account"
is "$(json_get "$OUT" 'j.accounts[0].active')" true "and it is active"
is "$(json_get "$OUT" 'j.accounts[0].kind')" api_key "of kind api_key"

run token openai
is "$RC" 0 "token openai works"
is "$OUT" "$KEY1" "token prints the key with surrounding whitespace trimmed"

unlike "$(cat "$XDG_CONFIG_HOME/aiauth/accounts.json")" "$KEY1" "accounts.json holds no secret"
is "$(file_mode "$XDG_CONFIG_HOME/aiauth/accounts.json")" 600 "accounts.json is 0600"
is "$(file_mode "$XDG_CONFIG_HOME/aiauth")" 700 "its directory is 0700"

run --stdin "$KEY2" add openai --label personal
like "$OUT" '"personal"' "a second account is added"
unlike "$OUT" 'active' "the second account does not take the active mark"
run token openai
is "$OUT" "$KEY1" "token still gives the active account"
run token openai --account personal
is "$OUT" "$KEY2" "--account names another account"

run --stdin "$KEY2" add openai --label work
is "$RC" 2 "a taken label is refused"
like "$ERR" 'already exists' "and says why"

run use openai personal
is "$RC" 0 "use moves the active mark"
run token openai
is "$OUT" "$KEY2" "token follows the active mark"

run use openai --none
is "$RC" 0 "use --none clears the active mark"
run token openai
is "$RC" 3 "with no active account and no pool the provider is not configured"

run rename openai personal home
is "$RC" 0 "rename works"
run list --json
like "$OUT" '"label": "home"' "the new label is listed"

run rr join openai home
is "$RC" 2 "an API-key account cannot join round robin"
like "$ERR" 'OAuth' "the refusal gives the reason"

run use openai work
run remove openai work --yes
is "$RC" 0 "remove works"
run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.active).length')" 0 \
	"removing the active account leaves no active account"
is "$(json_get "$OUT" 'j.accounts.length')" 1 "one account is left"

# Keys that are not right get one clear line and change nothing.
big=$(head -c 70000 /dev/zero | tr '\0' 'k')
run --stdin "$big" add openai --label huge
is "$RC" 2 "a huge paste is refused"
one_line_error "a huge paste: one line"
run --stdin "" add openai --label empty
is "$RC" 2 "an empty key is refused"
run list --json
is "$(json_get "$OUT" 'j.accounts.length')" 1 "refused keys leave nothing behind"

run --stdin "not-a-real-looking-key" add anthropic
is "$RC" 0 "a key of the wrong format is still saved"
like "$ERR" 'does not look like' "but a warning says it looks wrong"

# Custom endpoints: https required except on loopback; trailing slash goes.
run --stdin "$KEY1" add openai-compatible --base-url http://gateway.example.test/v1
is "$RC" 2 "plain http to a non-loopback endpoint is refused"
run --stdin "$KEY1" add openai-compatible --label gw --base-url https://gateway.example.test/v1/
is "$RC" 0 "an https endpoint is accepted"
run env openai-compatible
like "$OUT" "^export OPENAI_BASE_URL='https://gateway.example.test/v1'$" \
	"env gives the endpoint, normalised"
run --stdin "$KEY1" add azure
is "$RC" 2 "azure needs --base-url"

# Multi-part credentials: Bedrock takes two lines.
run --stdin "AKIAEXAMPLE
secret/with'quote" add bedrock --region eu-west-1
is "$RC" 0 "bedrock takes its two parts from standard input"
run env bedrock
like "$OUT" "^export AWS_ACCESS_KEY_ID='AKIAEXAMPLE'$" "env gives the access key id"
like "$OUT" "^export AWS_SECRET_ACCESS_KEY='secret/with'\\\\''quote'$" "quotes are shell-safe"
like "$OUT" "^export AWS_REGION='eu-west-1'$" "and the region"
run token bedrock
is "$RC" 2 "token refuses a two-part credential"
one_line_error "two-part token: one line"

# env and exec hand the key to a tool.
run use openai home
run env openai
eval "$OUT"
is "$OPENAI_API_KEY" "$KEY2" "eval of env sets OPENAI_API_KEY"
unset OPENAI_API_KEY
run exec openai -- sh -c 'printf %s "$OPENAI_API_KEY"'
is "$OUT" "$KEY2" "exec runs the command with the key in its environment"
run exec openai anthropic -- sh -c 'printf "%s %s" "$OPENAI_API_KEY" "$ANTHROPIC_API_KEY"'
is "$OUT" "$KEY2 not-a-real-looking-key" "exec takes several providers"
# aiauth turns core dumps off for itself, not for the command it runs.
if ulimit -c 2048 2>/dev/null; then
	run exec openai -- awk '/core file size/ {print $5}' /proc/self/limits
	is "$OUT" 2097152 "the command keeps the core-dump limit aiauth was started with"
	ulimit -c 0
fi
run exec openai -- /nonexistent/tool
is "$RC" 127 "exec of a missing command exits 127"
# exec replaces aiauth with the command: that process's environment holds
# the key by design, which is why the secrets audit never samples it
# (tests/lib/audit.sh, audit_proc).
"$AIAUTH" exec openai -- sleep $((5 * TEST_TIME_SCALE)) </dev/null >/dev/null 2>&1 &
pid=$!
i=0
while [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != sleep ] && [ $i -lt $((100 * TEST_TIME_SCALE)) ]; do
	sleep 0.05
	i=$((i + 1))
done
like "$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)" "^OPENAI_API_KEY=$KEY2\$" \
	"exec: the command's environment holds the key, by design (not audited)"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

# A keyless local server.
run add ollama --base-url http://127.0.0.1:11999
is "$RC" 0 "a keyless local server is added without a key"
run env ollama
like "$OUT" "^export OLLAMA_HOST='http://127.0.0.1:11999'$" "env gives its address"

# OAuth tokens (brought in with --token): the round-robin pool and the
# resolution order.
for n in 1 2 3; do
	run --stdin "tok-$n" add claude --token --label "sub$n"
done
run rr join claude sub1
is "$RC" 0 "an OAuth account joins the pool"
run rr join claude sub2
run token claude
a=$OUT
run token claude
b=$OUT
run token claude
c=$OUT
is "$a $b $c" "tok-1 tok-2 tok-1" "the pool serves its accounts in turn"
run token claude --account sub3
is "$OUT" "tok-3" "a named account beats the pool"
run rr leave claude sub1
run rr leave claude sub2
run token claude
is "$OUT" "tok-1" "with an empty pool the active OAuth account answers"
run --stdin "sk-ant-api-key" add anthropic --label api
run --stdin "tok-anthropic-0123" add anthropic --token --label oauth1
run rr join anthropic oauth1
run use anthropic api
run token anthropic
is "$OUT" "sk-ant-api-key" "the active API-key account beats the pool"
run use anthropic --none
run token anthropic
is "$OUT" "tok-anthropic-0123" "the pool answers when no API key is active"
run env anthropic
like "$OUT" "^export ANTHROPIC_AUTH_TOKEN='tok-anthropic-0123'$" "an OAuth token goes to ANTHROPIC_AUTH_TOKEN"

done_testing
