# oidc.sh - a real authorization server (oidc-provider) and a scripted
# person in the browser, for the sign-in tests (POSIX sh, sourced after
# common.sh and servers.sh).
#
#   . "$top_srcdir/tests/lib/common.sh"
#   . "$top_srcdir/tests/lib/servers.sh"
#   . "$top_srcdir/tests/lib/oidc.sh"
#   at_exit stop_servers
#   need_oidc_provider                   # TAP skip when it is not installed
#   start_oidc_server --device-interval 1 || exit 99
#   oidc_provider_json "$XDG_CONFIG_HOME/aiauth/providers.json"
#   url=$(browser_authorize "$auth_url")          # prints the redirect URL
#   browser_device "$verification_uri_complete"   # signs in and approves
#   oidc_set_token_mode html                      # refresh answers HTML
#   n=$(oidc_count "token refresh_token")
#
# start_oidc_server [ARGS...] runs tests/servers/oidc_server.js on
# 127.0.0.1 with an ephemeral port and ARGS (--access-ttl S, --device-ttl S,
# --device-interval S, --slow-down N, --email-in-id-token, --token-format
# form|json|both; --log is always given: $OIDC_LOG), waits up to 10 s for it, and sets OIDC_PORT,
# OIDC_ISSUER (http://127.0.0.1:PORT), OIDC_PID and OIDC_LOG.  It returns 1
# with the server's output on stderr when it does not come up.  One server
# at a time (a second call replaces the variables).  stop_servers (from
# servers.sh) stops it.
#
# The client is "aiauth-test" (public, native, PKCE S256 required); any
# login name signs in with any password; the account's email is
# NAME@example.test.

OIDC_CLIENT_ID=aiauth-test

_oidc_js() { printf '%s' "$top_srcdir/tests/servers/$1"; }

# need_oidc_provider: skip the whole test (TAP) when node or oidc-provider
# is missing (tests/run-suite installs it with npm ci in tests/).
need_oidc_provider() {
	command -v "$NODE" >/dev/null 2>&1 || skip_all "node is not installed"
	"$NODE" "$(_oidc_js oidc_server.js)" --check >/dev/null 2>&1 ||
		skip_all "oidc-provider is not installed (npm ci in tests/)"
}

start_oidc_server() {
	_pf="$TEST_TMP/oidc.port"
	OIDC_LOG="$TEST_TMP/oidc.log"
	rm -f "$_pf"
	: >"$OIDC_LOG"
	"$NODE" "$(_oidc_js oidc_server.js)" --port 0 --port-file "$_pf" --log "$OIDC_LOG" "$@" \
		>"$TEST_TMP/oidc.out" 2>&1 &
	_pid=$!
	_servers_pids="$_servers_pids $_pid"
	_i=0
	while [ ! -s "$_pf" ]; do
		if [ "$_i" -ge 200 ] || ! kill -0 "$_pid" 2>/dev/null; then
			echo "oidc server did not start:" >&2
			grep -v 'WARNING' "$TEST_TMP/oidc.out" >&2
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	OIDC_PORT=$(cat "$_pf")
	OIDC_ISSUER="http://127.0.0.1:$OIDC_PORT"
	OIDC_PID=$_pid
	export OIDC_PORT OIDC_ISSUER OIDC_PID OIDC_LOG
	_audit_servers=1 # tests/lib/audit.sh: HTTP is expected in the trace
	return 0
}

# oidc_provider_json FILE [JSON-OBJECT...]: write a providers.json with the
# providers "testidp" (loopback redirect on /callback) and "testidp-paste"
# (redirect to $OIDC_ISSUER/code, which shows CODE#STATE).  Each
# JSON-OBJECT is merged into both providers, objects recursively, e.g.
# '{"oauth":{"token_format":"json"}}' or '{"oauth":{"scopes":null}}' (null
# removes a member).
oidc_provider_json() {
	_file=$1
	shift
	mkdir -p "$(dirname "$_file")"
	"$NODE" -e '
const [file, issuer, ...extras] = process.argv.slice(1);
const merge = (a, b) => {
	for (const [k, v] of Object.entries(b)) {
		if (v === null) delete a[k];
		else if (v && typeof v === "object" && !Array.isArray(v) && a[k] && typeof a[k] === "object")
			merge(a[k], v);
		else a[k] = v;
	}
	return a;
};
const base = (name, oauth) => ({
	name, group: "subscription", methods: ["browser", "device"], token_env: "TESTIDP_TOKEN",
	oauth: { issuer, client_id: "aiauth-test", scopes: "openid email offline_access", ...oauth },
});
const providers = {
	testidp: base("Test IdP", { redirect: "loopback", redirect_path: "/callback" }),
	"testidp-paste": base("Test IdP (paste)", { redirect: "paste", redirect_uri: issuer + "/code" }),
};
for (const e of extras)
	for (const p of Object.values(providers)) merge(p, JSON.parse(e));
require("fs").writeFileSync(file, JSON.stringify({ version: 1, providers }, null, 2) + "\n");
' "$_file" "$OIDC_ISSUER" "$@"
}

# browser_authorize URL [--login NAME] [--deny] [--no-follow] [--page]:
# sign in and approve (or deny); prints the redirect URL (or with --page
# the text of the page it leads to).
browser_authorize() {
	_u=$1
	shift
	"$NODE" "$(_oidc_js browser.js)" authorize "$_u" "$@"
}

# browser_device URI [--code USER_CODE] [--login NAME] [--deny]
browser_device() {
	_u=$1
	shift
	"$NODE" "$(_oidc_js browser.js)" device "$_u" "$@"
}

# oidc_set_token_mode normal|html|500|malformed|invalid_grant|slow: how
# refresh_token grants are answered from now on (slow: normally, 1.5 s
# late, and authorization_code grants too).
oidc_set_token_mode() {
	"$NODE" -e '
fetch(process.argv[1] + "/_test/token-mode", { method: "POST", body: process.argv[2],
	signal: AbortSignal.timeout(5000) })
	.then(async (r) => { if (!r.ok) { console.error(await r.text()); process.exit(1); } })
	.catch((e) => { console.error(e.message); process.exit(1); });
' "$OIDC_ISSUER" "$1"
}

# oidc_count LINE: how many log lines are exactly LINE ("token
# refresh_token", "token authorization_code", "authorize", "userinfo",
# "device_authorization", "revocation",
# "token urn:ietf:params:oauth:grant-type:device_code").
oidc_count() {
	grep -cxF -- "$1" "$OIDC_LOG" 2>/dev/null || true
}

# oidc_set_access_ttl SECONDS: the lifetime of access tokens issued from now.
oidc_set_access_ttl() {
	"$NODE" -e '
		fetch(process.argv[1] + "/_test/access-ttl", { method: "POST", body: process.argv[2] })
			.then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1));' "$OIDC_ISSUER" "$1"
}

# wait_for FILE REGEX: wait until FILE has a line matching REGEX (at most
# 10 s, stretched by TEST_TIME_SCALE); non-zero if it never does.
wait_for() {
	_i=0
	while [ $_i -lt $((200 * TEST_TIME_SCALE)) ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# oidc_sign_in LOGIN [PROVIDER]: `aiauth login PROVIDER --device` (default
# testidp), approved in the scripted browser as LOGIN; returns aiauth's exit
# status.  Its output is in $TEST_TMP/login.LOGIN.
oidc_sign_in() {
	timeout $((60 * TEST_TIME_SCALE)) "$AIAUTH" login "${2:-testidp}" --device \
		>"$TEST_TMP/login.$1" 2>&1 </dev/null &
	_pid=$!
	wait_for "$TEST_TMP/login.$1" "$OIDC_ISSUER/[^ ]*device"
	browser_device "$(grep -Eo "$OIDC_ISSUER/[^ ]*device[^ ]*" "$TEST_TMP/login.$1" | head -1)" \
		--code "$(grep -Eo '\b[A-Z0-9]{4}-[A-Z0-9]{4}\b' "$TEST_TMP/login.$1" | head -1)" \
		--login "$1" >/dev/null
	wait "$_pid"
}
