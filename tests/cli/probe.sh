#!/bin/sh
# probe.sh - test, models and detect against small servers on 127.0.0.1
# that answer like the providers' model-list endpoints.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
at_exit stop_servers
no_session_bus
use_passphrase
GOOD=sk-good-key-for-the-test-server
secret_watch "$GOOD"

start_models_server OAI --key "$GOOD" --flavor openai --log "$TEST_TMP/oai.log" || skip_all "cannot start node"
start_models_server ANT --key "$GOOD" --flavor anthropic
start_models_server ERR --mode 500
start_models_server HTML --mode html
closed=$(free_port)

# An override of a built-in provider through providers.json.
mkdir -p "$XDG_CONFIG_HOME/aiauth"
printf '{"version":1,"providers":{"openai":{"base_url":"http://127.0.0.1:%s/v1"},"anthropic":{"base_url":"http://127.0.0.1:%s"}}}\n' \
	"$OAI_PORT" "$ANT_PORT" >"$XDG_CONFIG_HOME/aiauth/providers.json"

run --stdin "$GOOD" add openai --label good
run test openai
is "$RC" 0 "test of a valid key exits 0"
like "$OUT" 'valid, 3 models' "and says valid with the model count"
unlike "$(cat "$TEST_TMP/oai.log")" "$GOOD" "the server log never saw the key in a path"

run models openai
is "$RC" 0 "models exits 0"
is "$(printf '%s\n' "$OUT" | grep -c .)" 3 "models lists three models"
run models openai --json
is "$(json_get "$OUT" 'j.length')" 3 "models --json is an array of three"

run --stdin "sk-wrong-key" add openai --label bad
run test bad
is "$RC" 7 "test of a wrong key exits 7"
like "$ERR" 'invalid key \(HTTP 401' "and says invalid key (401)"
one_line_error "invalid key: one line"

run --stdin "$GOOD" add anthropic --label claude-api
run test anthropic
is "$RC" 0 "an Anthropic-style endpoint (x-api-key) validates"

run --stdin "$GOOD" add openai-compatible --label down --base-url "http://127.0.0.1:$closed/v1"
run test down
is "$RC" 6 "a closed port exits 6"
like "$ERR" 'unreachable' "and says unreachable"
one_line_error "unreachable: one line"

run --stdin "$GOOD" add openai-compatible --label err --base-url "http://127.0.0.1:$ERR_PORT/v1"
run test err
is "$RC" 6 "a 500 answer exits 6"
like "$ERR" 'HTTP 500' "and names the status"

run --stdin "$GOOD" add openai-compatible --label html --base-url "http://127.0.0.1:$HTML_PORT/v1"
run test html
is "$RC" 1 "an HTML page instead of a model list exits 1"
like "$ERR" 'not a model list' "and says it is not a model list"

run test nobody
is "$RC" 2 "test of an unknown name is bad usage"

# While a test waits on a slow server, the key is in aiauth's memory only:
# not in its command line nor its environment (tests/lib/audit.sh).
start_models_server SLOW --key "$GOOD" --flavor openai --mode slow --delay 1500
run --stdin "$GOOD" add openai-compatible --label slow --base-url "http://127.0.0.1:$SLOW_PORT/v1"
"$AIAUTH" test slow >"$TEST_TMP/slow.out" 2>&1 </dev/null &
pid=$!
sleep 0.7
audit_proc "$pid" "aiauth test waiting on a slow server"
wait "$pid"
is "$?" 0 "test against a slow server ends valid"

# detect: every local provider probed at once; ports overridable.
start_models_server OLL --flavor ollama
f1=$(free_port); f2=$(free_port); f3=$(free_port); f4=$(free_port)
run detect --port "ollama=$OLL_PORT" --port "lmstudio=$f1" --port "docker-model-runner=$f2" \
	--port "llamacpp=$f3" --port "vllm=$f4" --timeout $((1000 * TEST_TIME_SCALE))
is "$RC" 0 "detect exits 0"
like "$OUT" "^ollama +http://127.0.0.1:$OLL_PORT +found, 3 models" "detect finds the Ollama-like server"
like "$OUT" "^lmstudio .*not running" "and reports LM Studio as not running"
run detect --json --port "ollama=$OLL_PORT" --port "lmstudio=$f1" --port "docker-model-runner=$f2" \
	--port "llamacpp=$f3" --port "vllm=$f4" --timeout $((1000 * TEST_TIME_SCALE))
is "$(json_get "$OUT" 'j.filter(r => r.found).map(r => r.provider).join()')" ollama "detect --json marks only ollama found"
is "$(json_get "$OUT" 'j.length')" 5 "detect --json lists the five local servers"
run detect --port "openai=1234"
is "$RC" 2 "--port for a non-local provider is bad usage"

run add ollama --base-url "http://127.0.0.1:$OLL_PORT"
run test ollama
is "$RC" 0 "a keyless local server tests valid"

done_testing
