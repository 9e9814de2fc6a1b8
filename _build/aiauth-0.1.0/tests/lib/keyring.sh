# keyring.sh - a private gnome-keyring on a private session bus, for tests.
# POSIX sh; source it, do not run it.
#
#   . "$top_srcdir/tests/lib/keyring.sh"
#   keyring_reexec "$0" "$@"      # first thing: restarts the script inside
#                                 # dbus-run-session (or prints a TAP skip
#                                 # and exits 0 when the tools are missing)
#   KEYRING_DIR=$tmp/keyring      # optional; default: a fresh mktemp -d
#   keyring_start || exit 99      # HOME, XDG_* now point into $KEYRING_DIR
#   trap keyring_stop EXIT        # or call keyring_stop at the end
#   ...                           # aiauth / secret-tool see the keyring
#   keyring_lock                  # lock the login collection (no unlock
#                                 # is possible headless afterwards)
#   keyring_stop
#
# Variables:
#   AIAUTH_KEYRING_BUS   set (exported) once inside the private bus; the
#                        marker keyring_reexec looks at
#   KEYRING_DIR          the scratch directory (in: optional; out: set)
#   KEYRING_PASSWORD     the login keyring's password (default: a fixed
#                        test value)
#   KEYRING_PID          the daemon's process id while it runs
#   KEYRING_COLLECTION   the D-Bus path of the default collection
#   KEYRING_LOG          the daemon's stdout and stderr
#
# Functions return non-zero with a message on stderr on failure; none exits
# except keyring_reexec.

KEYRING_PASSWORD=${KEYRING_PASSWORD:-aiauth-test-password}

# keyring_reexec SCRIPT ARGS...: re-run SCRIPT inside its own session bus.
keyring_reexec() {
	if [ -n "${AIAUTH_KEYRING_BUS:-}" ]; then
		return 0
	fi
	for _kr_tool in dbus-run-session dbus-send gnome-keyring-daemon; do
		if ! command -v "$_kr_tool" >/dev/null 2>&1; then
			echo "1..0 # SKIP $_kr_tool is not installed"
			exit 0
		fi
	done
	_kr_script=$1
	shift
	AIAUTH_KEYRING_BUS=1
	export AIAUTH_KEYRING_BUS
	# dbus-daemon complains on stderr when it may not raise its fd limit;
	# that is harmless and stays in the log.
	exec dbus-run-session -- sh "$_kr_script" "$@"
}

# keyring_call DEST PATH IFACE.METHOD ARGS...: one bounded dbus-send.
keyring_call() {
	_kc_dest=$1
	_kc_path=$2
	shift 2
	dbus-send --session --print-reply --reply-timeout=3000 --dest="$_kc_dest" \
		"$_kc_path" "$@"
}

# keyring_service_up: is org.freedesktop.secrets owned on the bus?
keyring_service_up() {
	keyring_call org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
		string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

# keyring_default_collection: print the default alias's object path ("/"
# when unset).
keyring_default_collection() {
	keyring_call org.freedesktop.secrets /org/freedesktop/secrets \
		org.freedesktop.Secret.Service.ReadAlias string:default 2>/dev/null |
		sed -n 's/^ *object path "\(.*\)"$/\1/p'
}

# keyring_is_locked [PATH]: is the collection (default: the default one)
# locked?
keyring_is_locked() {
	_kl_path=${1:-${KEYRING_COLLECTION:-/org/freedesktop/secrets/collection/login}}
	keyring_call org.freedesktop.secrets "$_kl_path" \
		org.freedesktop.DBus.Properties.Get \
		string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
		grep -q 'boolean true'
}

keyring_start() {
	if [ -z "${AIAUTH_KEYRING_BUS:-}" ]; then
		echo "keyring_start: not inside a private bus; call keyring_reexec first" >&2
		return 1
	fi
	if [ -n "${KEYRING_PID:-}" ]; then
		echo "keyring_start: a keyring daemon is already running ($KEYRING_PID)" >&2
		return 1
	fi
	if [ -z "${KEYRING_DIR:-}" ]; then
		KEYRING_DIR=$(mktemp -d "${TMPDIR:-/tmp}/aiauth-keyring-XXXXXX") || return 1
		_keyring_own_dir=1
	fi
	mkdir -p "$KEYRING_DIR" || return 1
	# Everything the daemon or a client could read or write lives here, so a
	# test can never touch a real keyring.
	HOME=$KEYRING_DIR/home
	XDG_DATA_HOME=$KEYRING_DIR/data
	XDG_CONFIG_HOME=$KEYRING_DIR/config
	XDG_CACHE_HOME=$KEYRING_DIR/cache
	XDG_RUNTIME_DIR=$KEYRING_DIR/run
	export HOME XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR
	mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" \
		"$XDG_RUNTIME_DIR" || return 1
	chmod 700 "$KEYRING_DIR" "$XDG_RUNTIME_DIR" || return 1
	# No display: an unlock prompt fails at once instead of waiting.
	unset DISPLAY WAYLAND_DISPLAY
	KEYRING_LOG=$KEYRING_DIR/daemon.log
	export KEYRING_DIR KEYRING_LOG

	# The password goes in through a private file, not a pipeline, so that
	# $! is the daemon itself.
	_ks_pw=$KEYRING_DIR/password
	(umask 077 && printf '%s' "$KEYRING_PASSWORD" >"$_ks_pw") || return 1
	gnome-keyring-daemon --foreground --unlock --components=secrets \
		<"$_ks_pw" >"$KEYRING_LOG" 2>&1 &
	KEYRING_PID=$!
	export KEYRING_PID

	# Up when the name is owned and the freshly made "login" collection is
	# the default alias (--unlock on an empty directory creates it).
	_ks_i=0
	KEYRING_COLLECTION=
	while [ "$_ks_i" -lt 50 ]; do
		if ! kill -0 "$KEYRING_PID" 2>/dev/null; then
			echo "keyring_start: gnome-keyring-daemon exited; its log:" >&2
			sed 's/^/  /' "$KEYRING_LOG" >&2
			rm -f "$_ks_pw"
			KEYRING_PID=
			return 1
		fi
		if keyring_service_up; then
			KEYRING_COLLECTION=$(keyring_default_collection)
			case $KEYRING_COLLECTION in
			/org/freedesktop/secrets/collection/*) break ;;
			esac
		fi
		sleep 0.1
		_ks_i=$((_ks_i + 1))
	done
	rm -f "$_ks_pw"
	export KEYRING_COLLECTION
	case $KEYRING_COLLECTION in
	/org/freedesktop/secrets/collection/*) ;;
	*)
		echo "keyring_start: the Secret Service did not come up with a default collection within 5 s" >&2
		keyring_stop
		return 1
		;;
	esac
	if keyring_is_locked "$KEYRING_COLLECTION"; then
		echo "keyring_start: $KEYRING_COLLECTION is locked after --unlock" >&2
		keyring_stop
		return 1
	fi
	return 0
}

# keyring_lock: lock the default collection over D-Bus (secret-tool lock
# hangs in libsecret 0.20.5) and check that it is locked.
keyring_lock() {
	_klk_path=${KEYRING_COLLECTION:-/org/freedesktop/secrets/collection/login}
	if ! keyring_call org.freedesktop.secrets /org/freedesktop/secrets \
		org.freedesktop.Secret.Service.Lock "array:objpath:$_klk_path" >/dev/null; then
		echo "keyring_lock: the Lock call failed" >&2
		return 1
	fi
	if ! keyring_is_locked "$_klk_path"; then
		echo "keyring_lock: $_klk_path is still unlocked" >&2
		return 1
	fi
	return 0
}

# keyring_stop: stop the daemon (idempotent); remove KEYRING_DIR when
# keyring_start made it.
keyring_stop() {
	if [ -n "${KEYRING_PID:-}" ]; then
		kill "$KEYRING_PID" 2>/dev/null
		_kst_i=0
		while kill -0 "$KEYRING_PID" 2>/dev/null && [ "$_kst_i" -lt 30 ]; do
			sleep 0.1
			_kst_i=$((_kst_i + 1))
		done
		if kill -0 "$KEYRING_PID" 2>/dev/null; then
			kill -9 "$KEYRING_PID" 2>/dev/null
		fi
		wait "$KEYRING_PID" 2>/dev/null
		KEYRING_PID=
	fi
	if [ -n "${_keyring_own_dir:-}" ] && [ -n "${KEYRING_DIR:-}" ]; then
		rm -rf "$KEYRING_DIR"
		_keyring_own_dir=
		KEYRING_DIR=
	fi
	return 0
}
