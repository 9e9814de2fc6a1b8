#!/bin/sh
# doctor.sh - "aiauth doctor": each finding with its fix, --json, the exit
# status, and the checks that look at real files, environment and servers.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
at_exit stop_servers
no_session_bus
CFG="$XDG_CONFIG_HOME/aiauth"

# --- no session bus: the finding and what to do about it
run doctor --offline
is "$RC" 0 "no session bus and nothing else wrong: exit 0 (a warning is not an error)"
like "$OUT" "^warn +no session bus: .*no-bus-here does not exist" \
	"no session bus: a warning naming the missing socket"
like "$OUT" "fix: .*dbus-run-session" "no session bus: the fix says how to start one"
like "$OUT" "encrypted file" "no session bus: the encrypted file is said to stand in"
unlike "$OUT" "Secret Service" "no session bus: no second finding about the Secret Service"

unset DBUS_SESSION_BUS_ADDRESS
XDG_RUNTIME_DIR="$TEST_TMP/runtime" run doctor --offline
like "$OUT" "DBUS_SESSION_BUS_ADDRESS is not set" "an unset bus address is reported as such"
no_session_bus

# --- --json
run doctor --offline --json
is "$RC" 0 "--json exits 0 as well"
is "$(json_get "$OUT" 'j.ok')" "true" "--json: ok is true with no error"
is "$(json_get "$OUT" 'j.findings.every(f => ["id","severity","summary","fix"].every(k => typeof f[k] === "string"))')" \
	"true" "--json: every finding has id, severity, summary and fix strings"
is "$(json_get "$OUT" 'j.findings.every(f => ["ok","info","warn","error"].includes(f.severity))')" \
	"true" "--json: severities are ok, info, warn or error"
is "$(json_get "$OUT" 'j.findings.find(f => f.id === "session-bus").severity')" "warn" \
	"--json: the session-bus finding is a warning"
like "$(json_get "$OUT" 'j.findings.find(f => f.id === "session-bus").fix')" "dbus-run-session" \
	"--json: with its fix"
is "$(json_get "$OUT" 'j.findings.filter(f => f.severity === "ok").every(f => f.fix === "")')" \
	"true" "--json: ok findings have an empty fix"

# --- the terminal and the display
LC_ALL=C run doctor --offline
like "$OUT" "^warn +the locale's character set is ANSI_X3.4-1968" "a C locale is not UTF-8"
like "$OUT" "LANG=C.UTF-8" "and the fix names a UTF-8 locale"
SSH_CONNECTION="10.0.0.1 40000 10.0.0.2 22" DISPLAY=:0 run doctor --offline
like "$OUT" "^info +this is an SSH session" "over SSH: no browser, info"
like "$OUT" "aiauth login PROVIDER --device" "over SSH: the fix offers the device code"
# aiauth with a PATH that has no xdg-open (the test's own tools keep theirs).
printf '#!/bin/sh\nPATH=/nonexistent exec "%s" "$@"\n' "$AIAUTH" >"$TEST_TMP/aiauth-nopath"
chmod +x "$TEST_TMP/aiauth-nopath"
DISPLAY=:0 AIAUTH="$TEST_TMP/aiauth-nopath" run doctor --offline
like "$OUT" "^warn +no browser can be opened" "a display without xdg-open or BROWSER is a warning"
DISPLAY=:0 BROWSER=/bin/true run doctor --offline
like "$OUT" "^ok +the browser is opened with /bin/true \\(BROWSER\\)" "BROWSER is honoured"

# --- permissions: accounts.json made by aiauth, then opened up, then fixed
use_passphrase
secret_watch "sk-test-0123456789"
run --stdin "sk-test-0123456789" add openai --label work
is "$RC" 0 "an account is added (the encrypted file)"
is "$(file_mode "$CFG/accounts.json")" 600 "accounts.json is made 0600"
run doctor --offline
like "$OUT" "^ok +aiauth's files and directories are yours and private" "private files: ok"
like "$OUT" "^info +secrets are kept in the encrypted file .*vault.bin" \
	"the file backend in use is info"
like "$OUT" "aiauth store migrate --to keyring" "with how to move to the keyring"

chmod 644 "$CFG/accounts.json"
run doctor --offline
like "$OUT" "^warn +.*accounts.json has mode 0644; it should be 0600" "accounts.json 0644 is flagged"
like "$OUT" "fix: chmod 600 .*accounts.json" "with chmod 600 as the fix"
run doctor --offline --json
is "$(json_get "$OUT" 'j.findings.filter(f => f.id === "permissions" && /accounts\.json/.test(f.summary)).map(f => f.severity).join()')" \
	"warn" "--json: one permissions finding for accounts.json, a warning"
chmod 600 "$CFG/accounts.json"
run doctor --offline
unlike "$OUT" "accounts.json has mode" "accounts.json back to 0600: the finding is gone"

chmod 666 "$XDG_DATA_HOME/aiauth/vault.bin"
run doctor --offline
is "$RC" 1 "a vault others can write is an error: exit 1"
like "$OUT" "^error +.*vault.bin has mode 0666" "and it is named"
chmod 600 "$XDG_DATA_HOME/aiauth/vault.bin"

chmod 644 "$TEST_TMP/passphrase"
run doctor --offline
like "$OUT" "^warn +.*passphrase has mode 0644" "an open passphrase file is flagged"
chmod 600 "$TEST_TMP/passphrase"

# --- tokens and the keep-alive, from a fabricated accounts.json
now=$(date +%s)
cat >"$CFG/accounts.json" <<EOF
{"version": 1, "secret_backend": "file", "providers": {}, "accounts": [
 {"id": "0123456789abcdef0123456789abcdef", "provider": "claude", "label": "me@example.com",
  "kind": "oauth", "method": "browser", "created": 1, "expires_at": $((now + 3600)),
  "status": "needs_signin"},
 {"id": "fedcba9876543210fedcba9876543210", "provider": "copilot", "label": "dev",
  "kind": "oauth", "method": "device", "created": 1, "expires_at": $((now + 100)),
  "status": "ok", "last_refresh": $((now - 1800)), "last_refresh_outcome": "refreshed"}]}
EOF
chmod 600 "$CFG/accounts.json"
run doctor --offline
is "$RC" 1 "an account that needs sign-in: exit 1"
like "$OUT" "^error +the claude account \"me@example.com\" needs to sign in again" \
	"needs sign-in is an error naming the account"
like "$OUT" "fix: sign in again: 'aiauth login claude'" "with aiauth login as the fix"
like "$OUT" "^warn +the access token of the copilot account \"dev\" expires in [0-9]+ s" \
	"a token expiring within 5 minutes is a warning"
like "$OUT" "^info +the keep-alive timer is not enabled" "the keep-alive timer: not enabled"
like "$OUT" "systemctl --user enable --now aiauth-refresh.timer" "and how to enable it"
like "$OUT" "AIAUTH_PASSPHRASE_FILE" "with the file backend, the passphrase file is mentioned"
run doctor --offline --json
is "$RC" 1 "--json: the same exit status"
is "$(json_get "$OUT" 'j.ok')" "false" "--json: ok is false with an error"
is "$(json_get "$OUT" 'j.findings.find(f => f.id === "sign-in").severity')" "error" \
	"--json: the sign-in finding is an error"

mkdir -p "$XDG_CONFIG_HOME/systemd/user/timers.target.wants"
ln -s /nonexistent/aiauth-refresh.timer \
	"$XDG_CONFIG_HOME/systemd/user/timers.target.wants/aiauth-refresh.timer"
run doctor --offline
like "$OUT" "^ok +the keep-alive timer is enabled" "an enabled timer is seen"

# status shows the last refresh of each OAuth account
run status
like "$OUT" "last refresh [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}: refreshed" \
	"status shows the time and outcome of the last refresh"

# --- the clock: compared with the providers in use (the skew itself is
# tested in test_doctor against local servers); servers on this machine
# share its clock and are not asked.
start_models_server LOCAL --flavor ollama || exit 99
audit_expect_http no # the point: local servers are not asked
closed=$(free_port)
cat >"$CFG/providers.json" <<EOF
{"version": 1, "providers": {
 "lab":  {"name": "Lab", "group": "local", "base_url": "http://127.0.0.1:$LOCAL_PORT"},
 "down": {"name": "Down", "group": "local", "base_url": "http://127.0.0.1:$closed/v1"}}}
EOF
cat >"$CFG/accounts.json" <<EOF
{"version": 1, "secret_backend": "file", "providers": {}, "accounts": [
 {"id": "00000000000000000000000000000001", "provider": "lab", "label": "a", "kind": "none",
  "method": "none", "created": 1, "status": "ok"},
 {"id": "00000000000000000000000000000003", "provider": "down", "label": "c", "kind": "none",
  "method": "none", "created": 1, "status": "ok"}]}
EOF
chmod 600 "$CFG/accounts.json"
run doctor
is "$RC" 0 "local servers only: exit 0"
unlike "$OUT" "clock" "servers on this machine are not asked for the time"

# --- a broken providers.json is a finding, not a crash
printf '{"version": 1, "providers": ' >"$CFG/providers.json"
run doctor --offline
is "$RC" 1 "a damaged providers.json: exit 1"
like "$OUT" "^error +.*providers\\.json" "it is an error finding naming the file"

run doctor extra
is "$RC" 2 "doctor takes no arguments"
one_line_error "doctor extra: one line"

done_testing
