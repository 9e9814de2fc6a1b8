# faults.sh - what every fault case checks (POSIX sh, sourced after
# common.sh and servers.sh).
#
#   faults_setup                      # bounded aiauth, MODES, TLS server
#   run_fault MODE ARGS...            # run, with a short timeout for "hang"
#   check_fault WHAT MODE             # exit status, one line, says why,
#                                     # quotes nothing
#
# faults_setup sets MODES (the fault server's bad modes), makes every
# aiauth run end within a minute whatever goes wrong (AIAUTH points at a
# wrapper), and starts fault server T on https with a certificate made
# now, which nothing trusts: TLS is its base URL, or empty when openssl is
# missing (cases then skip).
#
# check_fault wants exit 6 for 500, hang and tls (network) and 1 for the
# bad answers; one "aiauth: " line on stderr (with --last, other lines may
# come first, as a device sign-in's instructions do, and the error is the
# last); a few words naming the fault; and nothing of the answer (the
# fault server quotes the request and marks its bodies FAULT-CANARY), of
# the request or of a secret in stdout or stderr.

MODES="html 500 malformed empty huge huge-length hang"

faults_setup() {
	cat >"$TEST_TMP/aiauth-bounded" <<EOS
#!/bin/sh
exec timeout 60 "$AIAUTH" "\$@"
EOS
	chmod +x "$TEST_TMP/aiauth-bounded"
	AIAUTH="$TEST_TMP/aiauth-bounded"
	TLS=
	if make_test_cert "$TEST_TMP/tls" &&
		start_fault_server T --tls-cert "$TEST_TMP/tls/cert.pem" --tls-key "$TEST_TMP/tls/key.pem"; then
		TLS="https://127.0.0.1:$T_PORT"
	fi
}

# run_fault MODE ARGS...: run, with a short HTTP timeout when the server
# hangs (a request would wait 15 or 30 s, and a refresh tries four times).
# Healthy servers get the real timeouts, however loaded the machine is.
run_fault() {
	if [ "$1" = hang ]; then
		AIAUTH_HTTP_TIMEOUT_MS=2000
		export AIAUTH_HTTP_TIMEOUT_MS
	fi
	shift
	run "$@"
	unset AIAUTH_HTTP_TIMEOUT_MS
}

# What a case must say, by fault: a word or two of its line.
_fault_says() {
	case $1 in
	html) echo '[Hh][Tt][Mm][Ll]' ;;
	500) echo 'HTTP 500' ;;
	malformed) echo 'JSON' ;;
	empty) echo 'empty' ;;
	huge | huge-length) echo 'larger than' ;;
	hang) echo 'timed out' ;;
	tls) echo 'certificate' ;;
	esac
}

check_fault() { # check_fault [--last] WHAT MODE
	_last=
	if [ "$1" = --last ]; then
		_last=1
		shift
	fi
	_err=$ERR
	[ -z "$_last" ] || _err=$(printf '%s\n' "$ERR" | grep . | tail -1)
	echo "# $1, $2: exit $RC: $_err"
	case $2 in
	500 | hang | tls) is "$RC" 6 "$1, $2: exits 6 (network)" ;;
	*) is "$RC" 1 "$1, $2: exits 1 (a bad answer)" ;;
	esac
	if [ -n "$_last" ]; then
		is "$(printf '%s\n' "$ERR" | grep -c '^aiauth: ')" 1 "$1, $2: one error line"
		like "$_err" '^aiauth: ' "$1, $2: and it is the last"
	else
		one_line_error "$1, $2: one line on stderr"
	fi
	like "$_err" "$(_fault_says "$2")" "$1, $2: which says what went wrong"
	unlike "$OUT$ERR" 'FAULT|DOCTYPE|<html|\{"|refresh_token=|grant_type=|code_verifier=|device_code=|Bearer|xxxxxxxx' \
		"$1, $2: and quotes nothing of the answer or the request"
}
