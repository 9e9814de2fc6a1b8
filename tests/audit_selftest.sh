#!/bin/sh
# audit_selftest.sh - the secrets audit (tests/lib/audit.sh) can fail: a
# secret planted in each place it watches turns its line into "not ok",
# and what it must let pass passes.  Each check runs the audit in a
# subshell and reads its TAP lines; everything planted is taken away again
# before the test's own audit at the end, which must pass.
. "$top_srcdir/tests/lib/common.sh"
no_session_bus
use_passphrase

SECRET=planted-secret-Qx7Zk2Wm9Lp4
secret_watch "$SECRET"

# wait_aiauth PID: until PID runs aiauth (a background job with a FIFO as
# standard input first waits for a writer, then execs).
wait_aiauth() {
	_w=0
	while ! _audit_is_aiauth "$1" && [ $_w -lt 100 ]; do
		sleep 0.05
		_w=$((_w + 1))
	done
	sleep 0.2 # and reads the key: it waits there
}

# audit: the audit's TAP lines and comments as they stand now.
audit() { (_audit_run) 2>&1; }
fails() { # fails REGEX DESCRIPTION: the audit has a "not ok" line matching REGEX
	_out=$(audit)
	if printf '%s\n' "$_out" | grep -Eq -- "^not ok [0-9]+ - audit: .*$1"; then ok 0 "$2"; else
		ok 1 "$2"
		printf '%s\n' "$_out" | sed 's/^/#   | /'
	fi
}
passes() { # passes DESCRIPTION: no "not ok" line
	_out=$(audit)
	if printf '%s\n' "$_out" | grep -q '^not ok'; then
		ok 1 "$1"
		printf '%s\n' "$_out" | sed 's/^/#   | /'
	else ok 0 "$1"; fi
}

passes "with nothing planted, the audit passes"

# ---------------------------------------------------------------- HOME
printf 'api_key = %s\n' "$SECRET" >"$HOME/leak.txt"
fails "under HOME" "a secret in a file under HOME fails the audit"
like "$(audit)" "leak\\.txt holds a secret \\(raw\\): plante\\.\\.\\." \
	"and the report names the file, the encoding and the value's first characters only"
printf '%s' "$SECRET" | base64 >"$HOME/leak.txt"
fails "under HOME" "... in base64"
printf 'x%s' "$SECRET" | base64 | tr '+/' '-_' | tr -d '=' >"$HOME/leak.txt"
fails "under HOME" "... in URL-safe base64, at another alignment"
printf '%s' "$SECRET" | od -An -tx1 | tr -d ' \n' >"$HOME/leak.txt"
fails "under HOME" "... in hex"
mkdir -p "$XDG_CONFIG_HOME/aiauth"
mv "$HOME/leak.txt" "$XDG_CONFIG_HOME/aiauth/deep.json"
printf '{"k": "%s"}\n' "$SECRET" >"$XDG_CONFIG_HOME/aiauth/deep.json"
fails "under HOME" "... in a file deeper down"
rm "$XDG_CONFIG_HOME/aiauth/deep.json"
passes "taken away, the audit passes again"

mkdir -p "$HOME/.claude"
printf '{"claudeAiOauth":{"accessToken":"%s"}}\n' "$SECRET" >"$HOME/.claude/.credentials.json"
fails "under HOME" "a CLI file holding a secret fails unless allowed"
audit_allow "$HOME/.claude/.credentials.json"
passes "audit_allow lets a CLI file written on purpose pass"
mkdir -p "$XDG_DATA_HOME/keyrings"
printf '%s' "$SECRET" >"$XDG_DATA_HOME/keyrings/login.keyring"
passes "the keyring's own files are not the audit's business"

printf 'short-value' >"$HOME/short.txt"
secret_watch short-value
passes "values under 12 bytes are passed over (they would match innocent text)"
rm -f "$HOME/short.txt"

# Tokens the servers hand out are looked for without being registered.
TOKEN=issued-by-a-server-7hG2pQ
printf '%s\n' "$TOKEN" >>"$AIAUTH_TEST_ISSUED"
printf '%s\n' "$TOKEN" >"$HOME/token.txt"
fails "under HOME" "a token a test server handed out is looked for too"
rm "$HOME/token.txt"

# ---------------------------------------------------------------- debug
cp "$AIAUTH_DEBUG" "$TEST_TMP/debug.saved" 2>/dev/null || : >"$TEST_TMP/debug.saved"
printf 'aiauth[debug] 0.001 [1] http POST https://h/token?code=%s -> 200\n' "$SECRET" >>"$AIAUTH_DEBUG"
fails "debug output" "a secret in the debug output fails the audit"
cp "$TEST_TMP/debug.saved" "$AIAUTH_DEBUG"
printf 'something else\n' >>"$AIAUTH_DEBUG"
fails "every debug line has the trace format" "a line that is not a trace line fails"
cp "$TEST_TMP/debug.saved" "$AIAUTH_DEBUG"
_audit_servers=1
fails "traced the test's HTTP" "a test that started a server but traced no HTTP fails"
printf 'aiauth[debug] 0.001 [1] http GET http://127.0.0.1:1/v1/models -> 200 (2 bytes, 1 ms)\n' >>"$AIAUTH_DEBUG"
passes "once HTTP is traced, it passes"
_audit_servers=
cp "$TEST_TMP/debug.saved" "$AIAUTH_DEBUG"

# ---------------------------------------------------------------- screens
audit_screen "Your key: $SECRET"
fails "captured screen" "a secret on a captured screen fails the audit"
: >"$AUDIT_DIR/screens"
audit_screen "$(printf '%s' "$SECRET" | cut -c1-10)"
audit_screen "$(printf '%s' "$SECRET" | cut -c11-)"
fails "captured screen" "... also when it wraps onto the next row"
: >"$AUDIT_DIR/screens"
printf '\033[1mkey\033[0m %s\r\n' "$SECRET" >"$TEST_TMP/term.log"
audit_scan "$TEST_TMP/term.log"
fails "captured screen" "... or is in a terminal log"
: >"$TEST_TMP/term.log"
passes "screens without it pass"

# ---------------------------------------------------------------- /proc
# aiauth reading a key from a pipe waits: the moment to sample it.
mkfifo "$TEST_TMP/fifo"
"$AIAUTH" add openai --label "$SECRET" <"$TEST_TMP/fifo" >/dev/null 2>&1 &
pid=$!
exec 7>"$TEST_TMP/fifo"
wait_aiauth "$pid"
audit_proc "$pid" "aiauth with the secret on its command line"
fails "/proc cmdline or environ" "a secret in aiauth's command line fails the audit"
exec 7>&-
wait "$pid"
rm -f "$AUDIT_DIR"/proc/*
env "SOME_VARIABLE=$SECRET" "$AIAUTH" add openai <"$TEST_TMP/fifo" >/dev/null 2>&1 &
pid=$!
exec 7>"$TEST_TMP/fifo"
wait_aiauth "$pid"
audit_proc "$pid" "aiauth with the secret in its environment"
fails "/proc cmdline or environ" "a secret in aiauth's environment fails the audit"
exec 7>&-
wait "$pid"
rm -f "$AUDIT_DIR"/proc/*
sleep 5 &
pid=$!
audit_proc "$pid" "not aiauth"
fails "every audit_proc found aiauth" "audit_proc on a process that is not aiauth fails (no vacuous pass)"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f "$AUDIT_DIR"/proc/* "$AUDIT_DIR/proc-missed"
"$AIAUTH" add openai <"$TEST_TMP/fifo" >/dev/null 2>&1 &
pid=$!
exec 7>"$TEST_TMP/fifo"
wait_aiauth "$pid"
audit_proc "$pid" "aiauth with nothing secret"
passes "an aiauth holding no secret in /proc passes"
exec 7>&-
wait "$pid"

passes "everything taken away: the audit at the end passes"
done_testing
