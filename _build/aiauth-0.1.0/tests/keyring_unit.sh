#!/bin/sh
# keyring_unit.sh - runs tests/unit/test_keyring against real D-Bus peers:
# a missing bus, a bus with no Secret Service, a private gnome-keyring, and
# that keyring locked.  Each run of the program prints its own TAP; this
# script renumbers them into one stream.
. "${top_srcdir:-.}/tests/lib/keyring.sh"
keyring_reexec "$0" "$@"

prog=${top_builddir:-.}/tests/unit/test_keyring
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aiauth-keyring-unit-XXXXXX") || exit 99
KEYRING_DIR=$tmp/keyring
n=0

finish() {
	keyring_stop
	rm -rf "$tmp"
}
trap finish EXIT
trap 'exit 1' INT TERM HUP

# part MODE COMMAND...: run COMMAND (which runs the program in MODE) and
# pass its test lines on under continuous numbers.
part() {
	_mode=$1
	shift
	"$@" >"$tmp/out.$_mode"
	_rc=$?
	while IFS= read -r _line; do
		case $_line in
		"ok "* | "not ok "*)
			n=$((n + 1))
			printf '%s\n' "$_line" | sed -E "s/^(not )?ok [0-9]+/\\1ok $n/"
			;;
		1..*) ;;
		*) printf '%s\n' "$_line" ;;
		esac
	done <"$tmp/out.$_mode"
	if [ "$_rc" -ne 0 ]; then
		n=$((n + 1))
		echo "not ok $n - test_keyring $_mode exited with status $_rc"
	fi
}

# 1. DBUS_SESSION_BUS_ADDRESS names a socket that is not there.
part nobus env DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/aiauth-test-bus "$prog" nobus

# 2. A bus of our own with no service directories: nothing can be
# activated on it, unlike the standard session bus where gnome-keyring's
# .service file would start a daemon.
cat >"$tmp/bare-bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
part noservice dbus-run-session --config-file="$tmp/bare-bus.conf" -- "$prog" noservice

# 3. A private gnome-keyring with an unlocked login collection.
n=$((n + 1))
if keyring_start; then
	echo "ok $n - a private gnome-keyring is running"
	part keyring "$prog" keyring

	# 4. The same keyring, locked.
	n=$((n + 1))
	if keyring_lock; then
		echo "ok $n - the login collection is locked"
		part locked "$prog" locked
	else
		echo "not ok $n - the login collection is locked"
	fi
else
	echo "not ok $n - a private gnome-keyring is running"
fi

echo "1..$n"
