#!/bin/sh
# oauth_browser.sh - authorization code + PKCE against a real authorization
# server: the loopback listener (approved, denied, a wrong state, a stray
# request), the paste path (bare code, code#state, the whole URL), and a
# sign-in finished later from another process.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
at_exit stop_servers
no_session_bus
use_passphrase
need_oidc_provider

start_oidc_server || { ok 1 "the authorization server starts"; done_testing; }
mkdir -p "$XDG_CONFIG_HOME/aiauth"
oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"

auth_url() { grep -Eo "$OIDC_ISSUER/[^ ]*\\?[^ ]*" "$1" | head -1; }
# The redirect_uri aiauth put in the URL (its loopback listener).
redirect_of() { printf '%s' "$1" | "$NODE" -e '
	let s = ""; process.stdin.on("data", d => s += d).on("end", () =>
		process.stdout.write(new URL(s).searchParams.get("redirect_uri") || ""));'; }
# The text of the provider's "copy this code" page: CODE#STATE.
oidc_code_page() { "$NODE" -e '
	fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t.trim()),
		() => process.exit(1));' "$1"; }
http_status() { "$NODE" -e '
	fetch(process.argv[1]).then(r => process.stdout.write(String(r.status)),
		() => process.stdout.write("failed"));' "$1"; }

# Loopback, approved, after a stray request and a request with a wrong state.
timeout $((60 * TEST_TIME_SCALE)) "$AIAUTH" login testidp --browser >"$TEST_TMP/b1" 2>"$TEST_TMP/b1.err" </dev/null &
pid=$!
wait_for "$TEST_TMP/b1" "$OIDC_ISSUER"
ok $? "login --browser prints the authorization URL"
url=$(auth_url "$TEST_TMP/b1")
like "$url" "code_challenge_method=S256" "the URL asks for PKCE with S256"
like "$url" "state=[A-Za-z0-9_-]{22,}" "and carries a state of at least 128 bits"
redirect=$(redirect_of "$url")
like "$redirect" '^http://127\.0\.0\.1:[0-9]+/callback$' "the redirect goes to a loopback listener"
# Waiting on the loopback with the PKCE verifier and state in memory:
# neither is in /proc (tests/lib/audit.sh).
audit_proc "$pid" "login --browser waiting on the loopback listener"
base=${redirect%/callback}
is "$(http_status "$base/favicon.ico")" 404 "a stray request to another path gets 404"
is "$(http_status "$redirect?code=forged&state=wrong")" 400 "a request with a wrong state is refused"
browser_authorize "$url" --login carol >/dev/null
ok $? "the person signs in and approves"
wait "$pid"
is "$?" 0 "the loopback sign-in succeeds after the stray and wrong-state requests"
like "$(cat "$TEST_TMP/b1")" "carol@example.test" "as carol"

# Loopback, denied.
timeout $((60 * TEST_TIME_SCALE)) "$AIAUTH" login testidp --browser >"$TEST_TMP/b2" 2>"$TEST_TMP/b2.err" </dev/null &
pid=$!
wait_for "$TEST_TMP/b2" "$OIDC_ISSUER"
browser_authorize "$(auth_url "$TEST_TMP/b2")" --deny >/dev/null
wait "$pid"
is "$?" 8 "a denied browser sign-in exits 8"
like "$(cat "$TEST_TMP/b2.err")" "denied" "and says so"

# The browser is opened where a display exists: $BROWSER gets the URL (here
# a stand-in that plays the person); over SSH it is never started.
cat >"$TEST_TMP/fake-browser" <<FAKE
#!/bin/sh
printf '%s\n' "\$1" >"$TEST_TMP/opened"
exec "$NODE" "$top_srcdir/tests/servers/browser.js" authorize "\$1" --login judy >/dev/null 2>&1
FAKE
chmod +x "$TEST_TMP/fake-browser"
DISPLAY=:99 BROWSER="$TEST_TMP/fake-browser" timeout $((60 * TEST_TIME_SCALE)) "$AIAUTH" login testidp --browser \
	>"$TEST_TMP/b3" 2>&1 </dev/null
is "$?" 0 "with a display, \$BROWSER is opened on the URL and the sign-in completes"
like "$(cat "$TEST_TMP/opened" 2>/dev/null)" "^$OIDC_ISSUER/.*code_challenge=" "the browser got the authorization URL"
like "$(cat "$TEST_TMP/b3")" "judy@example.test" "as judy"
rm -f "$TEST_TMP/opened"
DISPLAY=:99 SSH_CONNECTION="192.0.2.1 50000 192.0.2.2 22" BROWSER="$TEST_TMP/fake-browser" \
	timeout $((60 * TEST_TIME_SCALE)) "$AIAUTH" login testidp --browser >"$TEST_TMP/b4" 2>&1 </dev/null &
pid=$!
wait_for "$TEST_TMP/b4" "$OIDC_ISSUER"
browser_authorize "$(auth_url "$TEST_TMP/b4")" --login ken >/dev/null
wait "$pid"
is "$?" 0 "over SSH the URL is printed and the sign-in still completes"
[ ! -e "$TEST_TMP/opened" ]
ok $? "but no browser was started"

# A provider that registered an exact loopback URI gets that URI, while the
# listener binds 127.0.0.1 on the registered port and path.
fixed=$(free_port)
"$NODE" -e '
	const fs = require("fs"), f = process.argv[1], port = Number(process.argv[2]);
	const j = JSON.parse(fs.readFileSync(f, "utf8"));
	const p = JSON.parse(JSON.stringify(j.providers.testidp));
	p.name = "Test IdP (fixed port)";
	Object.assign(p.oauth, { redirect: "loopback_fixed", redirect_port: port,
		redirect_path: "/cb", redirect_uri: `http://localhost:${port}/cb` });
	j.providers["testidp-fixed"] = p;
	fs.writeFileSync(f, JSON.stringify(j));' "$XDG_CONFIG_HOME/aiauth/providers.json" "$fixed"
timeout $((20 * TEST_TIME_SCALE)) "$AIAUTH" login testidp-fixed --browser >"$TEST_TMP/b5" 2>&1 </dev/null &
pid=$!
wait_for "$TEST_TMP/b5" "$OIDC_ISSUER"
like "$(redirect_of "$(auth_url "$TEST_TMP/b5")")" "^http://localhost:$fixed/cb$" \
	"the registered redirect URI is sent as it is"
is "$(http_status "http://127.0.0.1:$fixed/cb?code=x&state=wrong")" 400 \
	"and the listener answers on 127.0.0.1 at that port and path"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

# Paste: the whole redirected URL, then code#state, then a bare code, each
# typed into standard input after the URL was shown.
paste_login() { # paste_login LOGIN FORM -> prints the exit status
	_fifo="$TEST_TMP/fifo.$1"
	mkfifo "$_fifo"
	timeout $((60 * TEST_TIME_SCALE)) "$AIAUTH" login testidp-paste --paste <"$_fifo" >"$TEST_TMP/p.$1" 2>"$TEST_TMP/p.$1.err" &
	_pid=$!
	exec 7>"$_fifo"
	wait_for "$TEST_TMP/p.$1" "$OIDC_ISSUER"
	audit_proc "$_pid" "login --paste waiting for the code" >/dev/null
	_landing=$(browser_authorize "$(auth_url "$TEST_TMP/p.$1")" --login "$1" --no-follow)
	case $2 in
	url) printf '%s\n' "$_landing" >&7 ;;
	codestate) printf '%s\n' "$(oidc_code_page "$_landing")" >&7 ;;
	bare) printf '%s\n' "$(oidc_code_page "$_landing" | cut -d'#' -f1)" >&7 ;;
	esac
	exec 7>&-
	wait "$_pid"
	echo $?
}
is "$(paste_login dave url)" 0 "paste of the whole redirected URL (with iss) signs in"
like "$(cat "$TEST_TMP/p.dave")" "dave@example.test" "as dave"
is "$(paste_login erin codestate)" 0 "paste of code#state signs in"
is "$(paste_login frank bare)" 0 "paste of a bare code signs in"

# Resumable: start with --no-wait, finish from another process.
run login testidp-paste --no-wait
is "$RC" 0 "login --no-wait exits at once"
like "$OUT" "$OIDC_ISSUER" "after printing the URL"
like "$OUT$ERR" "login --finish" "and how to finish"
landing=$(browser_authorize "$(auth_url "$TEST_TMP/out")" --login grace --no-follow)
# The code given as an argument is a credential: while the slow token
# endpoint holds the exchange, it must not be on aiauth's command line.
oidc_set_token_mode slow
before=$(oidc_count "token authorization_code")
"$AIAUTH" login --finish "$landing" >"$TEST_TMP/finish.out" 2>&1 </dev/null &
pid=$!
i=0
while [ "$(oidc_count "token authorization_code")" = "$before" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
# Under valgrind (make check-valgrind) the process's command line is
# valgrind's, which aiauth cannot wipe: the plain and sanitizer runs check it.
[ -n "${AIAUTH_REAL:-}" ] || audit_proc "$pid" "login --finish CODE exchanging the code"
wait "$pid"
is "$?" 0 "login --finish in a second process completes the sign-in"
like "$(cat "$TEST_TMP/finish.out")" "grace@example.test" "as grace"
oidc_set_token_mode normal
run login --finish "$landing"
ok $((RC == 0)) "a finished sign-in cannot be finished twice"

run login testidp-paste --no-wait
landing=$(browser_authorize "$(auth_url "$TEST_TMP/out")" --login heidi --no-follow)
run --stdin "$(oidc_code_page "$landing")" login --finish
is "$RC" 0 "login --finish reads code#state from standard input"

run login testidp-paste --no-wait
landing=$(browser_authorize "$(auth_url "$TEST_TMP/out")" --login ivan --no-follow)
wrong=$(printf '%s' "$(oidc_code_page "$landing")" | sed 's/#.*/#not-the-state/')
run --stdin "$wrong" login --finish
is "$RC" 2 "a pasted code with another state is refused"
like "$ERR" "state" "and the error says why"

run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.kind == "oauth").length')" 8 "eight OAuth accounts were saved"
unlike "$(cat "$XDG_CONFIG_HOME/aiauth/accounts.json")" "$landing" "no code reached the account file"

done_testing
