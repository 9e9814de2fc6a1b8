#!/bin/sh
# oidc_smoke.sh - the test authorization server (oidc_server.js) and the
# scripted browser (browser.js) work on their own, without aiauth: when a
# sign-in test fails and this one passes, look at aiauth first.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
. "$top_srcdir/tests/lib/oidc.sh"
at_exit stop_servers
need_oidc_provider
# The servers alone: no aiauth, so no HTTP in its trace (the tokens handed
# out here are still looked for in the files under HOME).
audit_expect_http no

DC_GRANT=urn:ietf:params:oauth:grant-type:device_code

# hreq METHOD URL [BODY [BEARER]]: BODY is a form, or JSON when it starts
# with "{"; sets H_STATUS, H_TYPE, H_BODY, and
# J_NAME for each top-level string, number or boolean NAME of a JSON answer
# (one node run per request: the test stays fast).
cat >"$TEST_TMP/hreq.js" <<'EOF'
const [method, url, body, bearer] = process.argv.slice(2);
const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
const headers = {};
if (body) headers["Content-Type"] = body.startsWith("{") ? "application/json" : "application/x-www-form-urlencoded";
if (bearer) headers.Authorization = `Bearer ${bearer}`;
const out = (status, type, text) => {
	const lines = [`H_STATUS=${status}`, `H_TYPE=${q(type)}`, `H_BODY=${q(text)}`];
	const names = [];
	try {
		for (const [k, v] of Object.entries(JSON.parse(text)))
			if (/^[a-z_]+$/.test(k) && ["string", "number", "boolean"].includes(typeof v)) {
				lines.push(`J_${k}=${q(v)}`);
				names.push(`J_${k}`);
			}
	} catch {}
	lines.push(`J_VARS=${q(names.join(" "))}`);
	process.stdout.write(lines.join("\n") + "\n");
};
fetch(url, { method, headers, body: body || undefined, redirect: "manual",
	signal: AbortSignal.timeout(10000) })
	.then(async (r) => out(r.status, r.headers.get("content-type") || "-", await r.text()))
	.catch((e) => out("000", "-", e.message));
EOF
J_VARS=
hreq() {
	[ -n "$J_VARS" ] && unset $J_VARS
	"$NODE" "$TEST_TMP/hreq.js" "$@" >"$TEST_TMP/h"
	. "$TEST_TMP/h"
}
# jf NAME: a top-level member of the last JSON answer ("" when absent).
jf() { eval "printf '%s' \"\${J_$1-}\""; }
# qp URL NAME: a query parameter of a URL.
qp() { "$NODE" -e 'process.stdout.write(new URL(process.argv[1]).searchParams.get(process.argv[2]) ?? "")' "$1" "$2"; }

device_start() { # device_start [SCOPE]: sets DEV_CODE USER_CODE VURI VURI_COMPLETE
	hreq POST "$OIDC_ISSUER/device/auth" "client_id=aiauth-test&scope=${1:-openid%20email%20offline_access}"
	DEV_CODE=$(jf device_code)
	USER_CODE=$(jf user_code)
	VURI=$(jf verification_uri)
	VURI_COMPLETE=$(jf verification_uri_complete)
}
device_poll() { hreq POST "$OIDC_ISSUER/token" "client_id=aiauth-test&grant_type=$DC_GRANT&device_code=$DEV_CODE"; }
refresh() { hreq POST "$OIDC_ISSUER/token" "client_id=aiauth-test&grant_type=refresh_token&refresh_token=$1"; }

# PKCE: a verifier and its S256 challenge.
VERIFIER=$("$NODE" -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')
CHALLENGE=$("$NODE" -e 'process.stdout.write(require("crypto").createHash("sha256").update(process.argv[1]).digest("base64url"))' -- "$VERIFIER")
auth_url() { # auth_url REDIRECT_URI STATE
	"$NODE" -e '
const [iss, ru, state, ch] = process.argv.slice(1);
const u = new URL(iss + "/auth");
for (const [k, v] of Object.entries({ client_id: "aiauth-test", response_type: "code", redirect_uri: ru,
	scope: "openid email offline_access", state, code_challenge: ch, code_challenge_method: "S256" }))
	u.searchParams.set(k, v);
process.stdout.write(u.href);' -- "$OIDC_ISSUER" "$1" "$2" "$CHALLENGE"
}
exchange() { # exchange CODE REDIRECT_URI [VERIFIER]
	hreq POST "$OIDC_ISSUER/token" "client_id=aiauth-test&grant_type=authorization_code&code=$1&redirect_uri=$(
		"$NODE" -p 'encodeURIComponent(process.argv[1])' "$2")&code_verifier=${3:-$VERIFIER}"
}

# ---------------------------------------------------------------- server A:
# defaults, plus a 1 s access token to see expiry with no clock tolerance.
start_oidc_server --access-ttl 1 || { echo "Bail out! the oidc server did not start"; exit 99; }

hreq GET "$OIDC_ISSUER/.well-known/openid-configuration"
is "$H_STATUS" 200 "discovery answers 200"
is "$(jf issuer)" "$OIDC_ISSUER" "the issuer is $OIDC_ISSUER"
is "$(jf device_authorization_endpoint)" "$OIDC_ISSUER/device/auth" "discovery has the device authorization endpoint"
is "$(json_get "$H_BODY" 'j.code_challenge_methods_supported.join(" ")')" S256 "PKCE: S256 only"

device_start
like "$DEV_CODE" '^[A-Za-z0-9_-]{20,}$' "a device code is issued"
like "$USER_CODE" '^[A-Z]{4}-[A-Z]{4}$' "with a user code"
is "$(json_get "$H_BODY" '"interval" in j')" false "no interval unless asked for"
is "$VURI_COMPLETE" "$VURI?user_code=$USER_CODE" "verification_uri_complete carries the user code"
device_poll
is "$(jf error)" authorization_pending "before approval: authorization_pending"
browser_device "$VURI_COMPLETE" --login carol 2>"$TEST_TMP/b.err"
is "$?" 0 "browser.js approves a device code from verification_uri_complete"
device_poll
is "$H_STATUS" 200 "after approval the next poll gives tokens"
AT=$(jf access_token)
is "$(jf expires_in)" 1 "--access-ttl sets expires_in"
like "$(jf refresh_token)" '^[A-Za-z0-9_-]{20,}$' "a refresh token without prompt=consent"
IDT=$(jf id_token)
is "$("$NODE" -p 'JSON.parse(Buffer.from(process.argv[1].split(".")[1], "base64url")).sub' "$IDT")" carol \
	"--login names the account (the id_token's sub)"
# A 1 s token may already be gone under load: only its expiry is checked.
sleep 2
hreq GET "$OIDC_ISSUER/me" "" "$AT"
is "$H_STATUS" 401 "the access token expires on time (no clock tolerance)"

stop_servers

# ---------------------------------------------------------------- server B:
# interval, slow_down, and the rest.
start_oidc_server --device-interval 1 --slow-down 2 || { echo "Bail out! the oidc server did not start"; exit 99; }

device_start
is "$(jf interval)" 1 "--device-interval puts the interval in the response"
device_poll
s1="$H_STATUS $(jf error)"
device_poll
s2="$H_STATUS $(jf error)"
device_poll
s3="$H_STATUS $(jf error)"
is "$s1 / $s2" "400 slow_down / 400 slow_down" "--slow-down 2: the first two polls get slow_down"
is "$s3" "400 authorization_pending" "the third reaches the server: pending"
browser_device "$VURI" --code "$USER_CODE" 2>"$TEST_TMP/b.err"
is "$?" 0 "browser.js approves with the verification_uri and --code"
device_poll
is "$H_STATUS" 200 "one poll after approval gives tokens"
AT=$(jf access_token)
hreq GET "$OIDC_ISSUER/me" "" "$AT"
is "$(jf email)" alice@example.test "userinfo: the email of the default login, alice"
device_poll
is "$(jf error)" invalid_grant "polling again after success is refused"
hreq GET "$OIDC_ISSUER/me" "" "$AT"
is "$H_STATUS" 401 "and revokes the tokens it gave"
is "$(oidc_count "token $DC_GRANT")" 5 "the log counts device polls, slow_down ones too"

device_start
browser_device "$VURI_COMPLETE" --deny 2>"$TEST_TMP/b.err"
is "$?" 0 "browser.js denies a device code"
device_poll; device_poll; device_poll
is "$(jf error)" access_denied "a denied device code polls access_denied"

browser_device "$VURI" --code BCDF-GHJK 2>"$TEST_TMP/b.err"
rc=$?
is "$rc" 1 "a wrong user code makes browser.js fail"
like "$(cat "$TEST_TMP/b.err")" '^browser: user code refused' "with one line saying why"

# Authorization code + PKCE through a loopback listener.
cat >"$TEST_TMP/listener.js" <<'EOF'
const fs = require("fs");
const [portFile, outFile] = process.argv.slice(2);
const s = require("http").createServer((req, res) => {
	fs.writeFileSync(outFile, req.url);
	res.end("you can close this tab\n");
	s.close();
});
s.listen(0, "127.0.0.1", () => {
	fs.writeFileSync(portFile + ".tmp", String(s.address().port));
	fs.renameSync(portFile + ".tmp", portFile);
});
setTimeout(() => process.exit(1), 15000).unref();
EOF
"$NODE" "$TEST_TMP/listener.js" "$TEST_TMP/lport" "$TEST_TMP/got" &
lpid=$!
i=0
while [ ! -s "$TEST_TMP/lport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
LPORT=$(cat "$TEST_TMP/lport")
RU="http://127.0.0.1:$LPORT/callback"
url=$(browser_authorize "$(auth_url "$RU" state-one)" 2>"$TEST_TMP/b.err")
is "$?" 0 "browser.js signs in and follows the redirect to the loopback port"
wait "$lpid"
got=$(cat "$TEST_TMP/got" 2>/dev/null)
like "$got" '^/callback\?code=[A-Za-z0-9_-]+&state=state-one&iss=' "the listener got code, state and iss on /callback"
is "$url" "http://127.0.0.1:$LPORT$got" "browser.js printed the URL it fetched"
CODE=$(qp "$url" code)
is "$(qp "$url" iss)" "$OIDC_ISSUER" "iss is the issuer"

exchange "$CODE" "$RU" wrong-verifier-wrong-verifier-wrong-verifier-0
is "$H_STATUS $(jf error)" "400 invalid_grant" "a wrong PKCE verifier: invalid_grant"
url2=$(browser_authorize "$(auth_url "$RU" state-two)" --no-follow 2>"$TEST_TMP/b.err")
exchange "$(qp "$url2" code)" "$RU"
is "$H_STATUS" 200 "the code exchange with the right verifier gives tokens"
R1=$(jf refresh_token)
like "$(jf id_token)" '^ey' "with an id_token"
refresh "$R1"
is "$H_STATUS" 200 "the refresh token works"
R2=$(jf refresh_token)
AT2=$(jf access_token)
like "$R2" '^[A-Za-z0-9_-]{20,}$' "and is rotated..."
unlike "$R2" "^$R1\$" "...to a new one"
refresh "$R1"
is "$H_STATUS $(jf error)" "400 invalid_grant" "reusing the spent refresh token: invalid_grant"
refresh "$R2"
is "$(jf error)" invalid_grant "which revoked the grant: the new one fails too"
hreq GET "$OIDC_ISSUER/me" "" "$AT2"
is "$H_STATUS" 401 "and so does its access token"
is "$(oidc_count "token refresh_token")" 3 "the log counts refresh requests"
unlike "$(cat "$OIDC_LOG")" "$R1|$R2|$CODE|$VERIFIER" "the log has no token, code or verifier"

url=$(browser_authorize "$(auth_url "$RU" state-three)" --deny --no-follow 2>"$TEST_TMP/b.err")
like "$url" "^$RU\\?error=access_denied&.*state=state-three" "--deny: the client gets access_denied"
browser_authorize "$(auth_url "http://127.0.0.1:$LPORT/elsewhere" s)" --no-follow >/dev/null 2>"$TEST_TMP/b.err"
is "$?" 1 "a redirect path not registered is refused"
like "$(cat "$TEST_TMP/b.err")" 'redirect_uri' "browser.js says why"

# The paste page and the token-mode switch.
page=$(browser_authorize "$(auth_url "$OIDC_ISSUER/code" state-four)" --page --login dave 2>"$TEST_TMP/b.err")
like "$page" '^[A-Za-z0-9_-]+#state-four$' "the /code page shows CODE#STATE"
exchange "${page%%#*}" "$OIDC_ISSUER/code"
is "$H_STATUS" 200 "its code exchanges"
R=$(jf refresh_token)
oidc_set_token_mode html
refresh "$R"
is "$H_STATUS" 200 "token mode html: 200..."
like "$H_TYPE" '^text/html' "...with an HTML page"
oidc_set_token_mode 500
refresh "$R"
is "$H_STATUS $(jf error)" "500 server_error" "token mode 500"
oidc_set_token_mode malformed
refresh "$R"
is "$H_STATUS $H_BODY" '200 {"access_token":' "token mode malformed"
oidc_set_token_mode bogus 2>/dev/null
is "$?" 1 "an unknown token mode is refused"
oidc_set_token_mode normal
refresh "$R"
is "$H_STATUS" 200 "back to normal: the refresh token was never spent"
hreq GET "$OIDC_ISSUER/me" "" "$(jf access_token)"
is "$(jf email)" dave@example.test "and its access token reads userinfo (--login dave)"
is "$(oidc_count authorize) $(oidc_count device_authorization) $(oidc_count userinfo)" "5 2 4" \
	"the log has one line per authorization, device authorization and userinfo request"
JSON_REFRESH='{"grant_type":"refresh_token","refresh_token":"not-a-token","client_id":"aiauth-test"}'
hreq POST "$OIDC_ISSUER/token" "$JSON_REFRESH"
is "$H_STATUS $(jf error)" "400 invalid_request" "--token-format form (default): a JSON body is refused..."
like "$(jf error_description)" 'form-encoded' "...by the wrapper, saying why"

stop_servers
start_oidc_server --token-format json || { echo "Bail out! the oidc server did not start"; exit 99; }
hreq POST "$OIDC_ISSUER/token" "$JSON_REFRESH"
is "$H_STATUS $(jf error)" "400 invalid_grant" "--token-format json: a JSON body reaches oidc-provider"
refresh not-a-token
is "$H_STATUS $(jf error)" "400 invalid_request" "and a form body is refused..."
like "$(jf error_description)" 'a JSON body' "...by the wrapper, saying why"

done_testing
