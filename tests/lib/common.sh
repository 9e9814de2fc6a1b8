# common.sh - sourced by every shell test: TAP output, a private HOME and
# XDG tree per test, a wrapper to run aiauth and capture what it printed,
# and clean-up on exit.
#
# Tests never touch the real HOME, keyring or config of whoever runs them.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${AIAUTH:=$top_builddir/aiauth}"
: "${NODE:=node}"
# TEST_TIME_SCALE: how many times slower than usual aiauth runs here (make
# check-valgrind sets it).  Tests multiply their own waits and timeouts by
# it; aiauth's own deadlines stay as they are.
: "${TEST_TIME_SCALE:=1}"
export top_srcdir top_builddir AIAUTH NODE TEST_TIME_SCALE

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/aiauth-sh-XXXXXX") || exit 99
export TEST_TMP
export HOME="$TEST_TMP/home"
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_STATE_HOME="$HOME/.local/state"
export XDG_CACHE_HOME="$HOME/.cache"
mkdir -p "$HOME"
unset AIAUTH_PASSPHRASE_FILE DISPLAY WAYLAND_DISPLAY BROWSER
export LC_ALL=C.UTF-8 LANGUAGE=

tap_n=0
tap_failed=0
_cleanup_fns=""

# at_exit FN: run FN when the test ends (servers, daemons).
at_exit() { _cleanup_fns="$1 $_cleanup_fns"; }
_on_exit() {
	for fn in $_cleanup_fns; do "$fn" >/dev/null 2>&1; done
	rm -rf "$TEST_TMP"
}
trap _on_exit EXIT
trap 'exit 130' INT TERM

ok() { # ok STATUS DESCRIPTION  (STATUS 0 = pass)
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

is() { # is GOT EXPECTED DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
	fi
}

like() { # like TEXT EXTENDED-REGEX DESCRIPTION
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"
		printf '%s\n' "$1" | sed 's/^/#   text: /' | head -20
		echo "#   wanted: /$2/"
	fi
}

unlike() { # unlike TEXT EXTENDED-REGEX DESCRIPTION
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		printf '%s\n' "$1" | sed 's/^/#   text: /' | head -20
		echo "#   unwanted: /$2/"
	else ok 0 "$3"; fi
}

skip_all() { echo "1..0 # SKIP $1"; exit 0; }

done_testing() {
	_audit_run # tests/lib/audit.sh: no secret left anywhere it should not be
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

# run [--stdin TEXT] ARGS...: run aiauth; sets OUT, ERR, RC.
run() {
	_in=/dev/null
	if [ "$1" = "--stdin" ]; then
		printf '%s' "$2" >"$TEST_TMP/stdin"
		_in="$TEST_TMP/stdin"
		shift 2
	fi
	"$AIAUTH" "$@" <"$_in" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	RC=$?
	OUT=$(cat "$TEST_TMP/out")
	ERR=$(cat "$TEST_TMP/err")
}

# The error contract: exactly one line on stderr, starting "aiauth: ".
one_line_error() { # one_line_error DESCRIPTION
	_lines=$(printf '%s\n' "$ERR" | grep -c .)
	if [ "$_lines" -eq 1 ] && printf '%s' "$ERR" | grep -q '^aiauth: '; then ok 0 "$1"; else
		ok 1 "$1"
		printf '%s\n' "$ERR" | sed 's/^/#   stderr: /'
	fi
}

# file_mode PATH: the octal permission bits.
file_mode() { stat -c %a "$1"; }

# A session with no bus at all: the headless SSH case.
no_session_bus() {
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$TEST_TMP/no-bus-here"
}

# A passphrase file for the encrypted secret file.
use_passphrase() { # use_passphrase [PASSPHRASE]
	secret_watch "${1:-correct horse battery staple}"
	printf '%s\n' "${1:-correct horse battery staple}" >"$TEST_TMP/passphrase"
	chmod 600 "$TEST_TMP/passphrase"
	export AIAUTH_PASSPHRASE_FILE="$TEST_TMP/passphrase"
}

# json_get JSON JS-EXPRESSION: evaluate an expression over parsed JSON (in
# `j`) with node, print the result.
json_get() {
	printf '%s' "$1" | "$NODE" -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
			const j = JSON.parse(s); const r = ('"$2"');
			process.stdout.write(typeof r === "string" ? r : JSON.stringify(r));
		});'
}

# The secrets audit of every test (secret_watch, audit_allow, audit_proc...).
. "$top_srcdir/tests/lib/audit.sh"

# run_together N NAME COMMAND...: start N copies of COMMAND at once, each
# with its standard output in $TEST_TMP/NAME.I and its errors in
# $TEST_TMP/NAME.I.err, and wait for all; FAILED is how many exited non-zero.
run_together() {
	_rt_n=$1 _rt_name=$2
	shift 2
	_rt_i=0 _rt_pids=""
	while [ $_rt_i -lt "$_rt_n" ]; do
		"$@" >"$TEST_TMP/$_rt_name.$_rt_i" 2>"$TEST_TMP/$_rt_name.$_rt_i.err" </dev/null &
		_rt_pids="$_rt_pids $!"
		_rt_i=$((_rt_i + 1))
	done
	FAILED=0
	for _rt_p in $_rt_pids; do wait "$_rt_p" || FAILED=$((FAILED + 1)); done
}
