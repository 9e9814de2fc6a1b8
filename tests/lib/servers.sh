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

_servers_pids=

start_models_server() {
	_name=$1
	shift
	_pf="$TEST_TMP/$_name.port"
	rm -f "$_pf"
	"$NODE" "$top_srcdir/tests/servers/models_server.js" --port 0 --port-file "$_pf" "$@" \
		>"$TEST_TMP/$_name.out" 2>&1 &
	_pid=$!
	_servers_pids="$_servers_pids $_pid"
	_i=0
	while [ ! -s "$_pf" ]; do
		if [ "$_i" -ge 100 ] || ! kill -0 "$_pid" 2>/dev/null; then
			echo "models server $_name did not start:" >&2
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
