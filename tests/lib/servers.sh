# servers.sh - start and stop the test servers (POSIX sh, sourced).
#
#   . "$top_srcdir/tests/lib/servers.sh"
#   TEST_TMP=$(mktemp -d); trap stop_servers EXIT
#   start_models_server OPENAI --key sk-test --flavor openai || exit 99
#   echo "$OPENAI_PORT $OPENAI_PID"
#   port=$(free_port)
#
# Needs $NODE (exported by `make check`), $top_srcdir and $TEST_TMP.
# start_models_server NAME [ARGS...] runs tests/servers/models_server.js on
# 127.0.0.1 with an ephemeral port and ARGS, waits up to 5 s for it to
# listen, then sets ${NAME}_PORT and ${NAME}_PID; it returns 1 (with a line
# on stderr) when the server does not come up.  stop_servers kills every
# server started so far and waits for it; free_port prints a loopback port
# nobody listens on (closed again at once: good for "unreachable" tests).
#
#   start_fault_server F --upstream "http://127.0.0.1:$OPENAI_PORT"
#   fault_mode F hang                # pass|html|500|malformed|empty|huge|...
#   make_test_cert "$TEST_TMP/tls" && start_fault_server T \
#       --tls-cert "$TEST_TMP/tls/cert.pem" --tls-key "$TEST_TMP/tls/key.pem"
#
# start_fault_server NAME [ARGS...] does the same for
# tests/servers/fault_server.js, which passes requests to --upstream or
# answers them badly (see its header for the modes); fault_mode NAME MODE
# switches the mode of the one started as NAME, from its next request on.
# make_test_cert DIR writes
# DIR/cert.pem and DIR/key.pem, a self-signed certificate for 127.0.0.1
# that nothing trusts; it returns 1 when openssl is not installed.

_servers_pids=

# _start_node_server SCRIPT NAME [ARGS...]
_start_node_server() {
	_script=$1
	_name=$2
	shift 2
	_pf="$TEST_TMP/$_name.port"
	rm -f "$_pf"
	"$NODE" "$top_srcdir/tests/servers/$_script" --port 0 --port-file "$_pf" "$@" \
		>"$TEST_TMP/$_name.out" 2>&1 &
	_pid=$!
	_servers_pids="$_servers_pids $_pid"
	_i=0
	while [ ! -s "$_pf" ]; do
		if [ "$_i" -ge 100 ] || ! kill -0 "$_pid" 2>/dev/null; then
			echo "$_script $_name did not start:" >&2
			cat "$TEST_TMP/$_name.out" >&2
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	_port=$(cat "$_pf")
	eval "${_name}_PORT=\$_port ${_name}_PID=\$_pid"
	_audit_servers=1 # tests/lib/audit.sh: HTTP is expected in the trace
	return 0
}

start_models_server() {
	_start_node_server models_server.js "$@"
}

start_fault_server() {
	_fs_name=$1
	shift
	_start_node_server fault_server.js "$_fs_name" --mode-file "$TEST_TMP/$_fs_name.mode" "$@"
}

# The server reads the file at each request: written whole, then renamed.
fault_mode() {
	printf '%s\n' "$2" >"$TEST_TMP/$1.mode.tmp" && mv -f "$TEST_TMP/$1.mode.tmp" "$TEST_TMP/$1.mode"
}

make_test_cert() {
	command -v openssl >/dev/null 2>&1 || return 1
	mkdir -p "$1" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$1/key.pem" -out "$1/cert.pem" >"$1/openssl.log" 2>&1
}

stop_servers() {
	for _pid in $_servers_pids; do
		kill "$_pid" 2>/dev/null
	done
	for _pid in $_servers_pids; do
		wait "$_pid" 2>/dev/null
	done
	_servers_pids=
}

free_port() {
	"$NODE" -e '
const s = require("node:net").createServer();
s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => console.log(p)); });'
}
