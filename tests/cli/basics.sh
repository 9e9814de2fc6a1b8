#!/bin/sh
# basics.sh - help, version, usage errors, exit statuses, providers.json.
. "$top_srcdir/tests/lib/common.sh"
no_session_bus

run --version
is "$RC" 0 "--version exits 0"
like "$OUT" '^aiauth [0-9]+\.[0-9]+' "--version prints the version"

run --help
is "$RC" 0 "--help exits 0"
for c in list status add remove rename use rr token env exec test models detect store; do
	like "$OUT" "^  $c " "--help lists $c"
done
like "$OUT" "3 provider not configured" "--help documents the exit statuses"

run token --help
is "$RC" 0 "a command's --help exits 0"
like "$OUT" "aiauth token PROVIDER" "a command's --help shows its usage"

run frobnicate
is "$RC" 2 "an unknown command is bad usage (2)"
one_line_error "an unknown command gives one line on stderr"

run add
is "$RC" 2 "add without a provider is bad usage"
one_line_error "add without a provider: one line"

run token no-such-provider
is "$RC" 2 "an unknown provider is bad usage"
like "$ERR" 'unknown provider "no-such-provider"' "the error names the provider"

run token openai
is "$RC" 3 "token of an unconfigured provider exits 3"
like "$ERR" "provider openai is not configured" "and says so"
one_line_error "not configured: one line"

run list --bogus
is "$RC" 2 "an unknown option is bad usage"
one_line_error "an unknown option: one line"

run list
is "$RC" 0 "list with no accounts exits 0"
like "$OUT" "No accounts yet" "list says there are no accounts"

run providers
is "$RC" 0 "providers exits 0"
for p in claude chatgpt google grok copilot kimi bob anthropic openai gemini xai mistral \
	openrouter deepseek groq together fireworks zai minimax azure bedrock \
	openai-compatible anthropic-compatible ollama lmstudio docker-model-runner llamacpp vllm; do
	like "$OUT" "^  $p " "providers lists $p"
done

# providers.json: extends the registry, and a broken one is an error that
# names the file, never ignored.
mkdir -p "$XDG_CONFIG_HOME/aiauth"
cat >"$XDG_CONFIG_HOME/aiauth/providers.json" <<'JSON'
{"version": 1, "providers": {"mygateway": {"name": "Company gateway", "group": "api_key",
 "methods": ["api_key"], "base_url": "https://gateway.example.test/v1", "models_path": "/models",
 "models_auth": "bearer", "fields": [{"name": "api_key", "prompt": "API key", "env": "MYGW_KEY"}]}}}
JSON
run providers
like "$OUT" "^  mygateway +Company gateway" "a provider added in providers.json is listed"

printf '{"version": 1, "providers": {"openai": {"base_ur": "x"}}}' >"$XDG_CONFIG_HOME/aiauth/providers.json"
run providers
is "$RC" 1 "a providers.json with an unknown field fails"
like "$ERR" 'providers\.json.*base_ur' "the error names the file and the field"
one_line_error "providers.json error: one line"

printf '{"version": 1, "providers": ' >"$XDG_CONFIG_HOME/aiauth/providers.json"
run token openai
is "$RC" 1 "a truncated providers.json fails every command that needs providers"
like "$ERR" 'providers\.json' "the error names providers.json"
rm "$XDG_CONFIG_HOME/aiauth/providers.json"

# libcurl and GnuTLS are loaded when first needed, not at start
# (src/dynlib.h): they and the libraries they bring cost every start time
# and memory.  glibc's LD_DEBUG=files names each library as it is loaded.
if LD_DEBUG=files "$AIAUTH" --version 2>&1 >/dev/null | grep -q 'file=libc\.so'; then
	out=$(LD_DEBUG=files "$AIAUTH" list 2>&1 >/dev/null)
	unlike "$out" 'file=lib(curl|gnutls)' "list loads neither libcurl nor GnuTLS"
	out=$(LD_DEBUG=files "$AIAUTH" token openai 2>&1 >/dev/null)
	unlike "$out" 'file=lib(curl|gnutls)' "token (no account) loads neither"
	out=$(LD_DEBUG=files "$AIAUTH" detect --timeout 200 2>&1 >/dev/null)
	like "$out" 'file=libcurl' "detect, which makes requests, loads libcurl"
	run detect --timeout 200
	is "$RC" 0 "and works with it"
	use_passphrase
	out=$(printf 'sk-basics-0123456789' | LD_DEBUG=files "$AIAUTH" add openai --label lazy 2>&1 >/dev/null)
	like "$out" 'file=libgnutls' "add, which seals the encrypted file, loads GnuTLS"
	run token openai
	is "$OUT" "sk-basics-0123456789" "and the key comes back out of the file"
	unset AIAUTH_PASSPHRASE_FILE
else
	echo "ok $((tap_n + 1)) # SKIP LD_DEBUG does not list libraries here"
	tap_n=$((tap_n + 1))
fi

done_testing
