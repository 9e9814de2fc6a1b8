# tmux.sh - run aiauth's screens in a real terminal (tmux) and read them
# back.  Sourced after tests/lib/common.sh (it uses at_exit, skip_all and
# the private HOME/XDG tree).
#
# Each test gets its own tmux server (tmux -L aiauth-PID) with no user
# configuration, no status bar (so the pane is exactly COLS x ROWS) and
# remain-on-exit on (so the last screen and the exit status can be read
# after the program ended).
#
#   tmux_start COLS ROWS CMD [ARG...]  start CMD in a COLS x ROWS pane
#   tmux_keys KEY...          tmux key names: Escape Enter C-c Up '?' q ...
#   tmux_type TEXT            type TEXT literally, one key per character
#   tmux_paste TEXT           paste TEXT as a terminal does: wrapped in
#                             bracketed-paste markers only if the program
#                             turned bracketed paste on
#   tmux_screen               the screen as text (trailing blanks trimmed)
#   tmux_screen_attrs         the screen with its SGR escapes (colours, bold)
#   tmux_scrollback           the lines scrolled off the top, then the screen
#   tmux_wait_for REGEX [SECONDS=10]
#                             wait until the screen matches the extended
#                             REGEX; on timeout returns 1 and prints the
#                             last screen as TAP comments
#   tmux_wait_exit [SECONDS=10]
#                             wait until the program has exited
#                             (both wait SECONDS x $TEST_TIME_SCALE)
#   tmux_resize COLS ROWS     resize the terminal (the program gets SIGWINCH)
#   tmux_pane_dead            succeeds when the program has exited
#   tmux_exit_status          prints its exit status (when dead)
#   tmux_pane_flag NAME       prints a tmux pane format, e.g. alternate_on
#   tmux_stop                 kill the server (registered with at_exit)
#   tmux_audit_proc WHAT      audit_proc (tests/lib/audit.sh) on the pane's aiauth
#
# Every capture (tmux_screen, tmux_screen_attrs, tmux_scrollback, and so the
# waits) is also appended to the secrets audit's screens file, and
# everything the program writes to the terminal to $AUDIT_DIR/terminal.log
# (tests/lib/audit.sh scans both at the end of the test).
#
# The pane's environment: HOME and the XDG_* directories of common.sh,
# LANG and LC_ALL = $TMUX_LANG (default C.UTF-8), TERM=tmux-256color (what tmux is; keys such as Home arrive as its terminfo says),
# NCURSES_NO_UTF8_ACS=1, AIAUTH_DEBUG (common.sh's trace file), and
# DBUS_SESSION_BUS_ADDRESS, AIAUTH_PASSPHRASE_FILE, NO_COLOR and
# AIAUTH_LOCALEDIR when they are set.

TMUX_SOCKET="aiauth-$$"

_tm() { env -u TMUX tmux -L "$TMUX_SOCKET" "$@"; }

# Quote one argument for sh -c.
_tmux_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# Waits until the server is gone: a client started while it is still
# exiting would fail ("server exited unexpectedly").
tmux_stop() {
	_tm kill-server >/dev/null 2>&1 || return 0
	_n=50
	while [ "$_n" -gt 0 ] && _tm list-sessions >/dev/null 2>&1; do
		sleep 0.05
		_n=$((_n - 1))
	done
	return 0
}

tmux_start() { # tmux_start COLS ROWS CMD [ARG...]
	command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
	_cols=$1
	_rows=$2
	shift 2
	_cmd=""
	for _a in "$@"; do _cmd="$_cmd $(_tmux_quote "$_a")"; done
	_lang=${TMUX_LANG:-C.UTF-8}
	cat >"$TEST_TMP/tmux.conf" <<-EOF
		set -g remain-on-exit on
		set -g status off
		set -g default-terminal xterm-256color
		set -g escape-time 0
	EOF
	set -- -e "HOME=$HOME" -e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" \
		-e "XDG_DATA_HOME=$XDG_DATA_HOME" -e "XDG_STATE_HOME=$XDG_STATE_HOME" \
		-e "XDG_CACHE_HOME=$XDG_CACHE_HOME" -e "LANG=$_lang" -e "LC_ALL=$_lang" \
		-e "TERM=tmux-256color" -e "NCURSES_NO_UTF8_ACS=1"
	[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && set -- "$@" -e "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
	[ -n "${AIAUTH_PASSPHRASE_FILE:-}" ] && set -- "$@" -e "AIAUTH_PASSPHRASE_FILE=$AIAUTH_PASSPHRASE_FILE"
	[ -n "${NO_COLOR:-}" ] && set -- "$@" -e "NO_COLOR=$NO_COLOR"
	[ -n "${AIAUTH_LOCALEDIR:-}" ] && set -- "$@" -e "AIAUTH_LOCALEDIR=$AIAUTH_LOCALEDIR"
	[ -n "${AIAUTH_DEBUG:-}" ] && set -- "$@" -e "AIAUTH_DEBUG=$AIAUTH_DEBUG"
	tmux_stop
	at_exit tmux_stop
	_tm -f "$TEST_TMP/tmux.conf" new-session -d -x "$_cols" -y "$_rows" "$@" "exec $_cmd"
	_tm pipe-pane -o "cat >>'$AUDIT_DIR/terminal.log'"
	audit_scan "$AUDIT_DIR/terminal.log"
}

# tmux_audit_proc WHAT: audit_proc on the aiauth running in the pane.
tmux_audit_proc() { audit_proc "$(tmux_pane_flag pane_pid)" "$1"; }

tmux_keys() { _tm send-keys "$@"; }

tmux_type() { _tm send-keys -l -- "$1"; }

tmux_paste() {
	_tm set-buffer -b aiauth-paste -- "$1"
	_tm paste-buffer -p -d -b aiauth-paste
}

tmux_screen() { _tm capture-pane -p | sed 's/[[:space:]]*$//' | audit_tee; }

tmux_screen_attrs() { _tm capture-pane -p -e | audit_tee; }

tmux_scrollback() { _tm capture-pane -p -S - | sed 's/[[:space:]]*$//' | audit_tee; }

tmux_pane_flag() { _tm display-message -p "#{$1}"; }

tmux_pane_dead() { [ "$(tmux_pane_flag pane_dead)" = 1 ]; }

# tmux 3.3a can mark a pane dead (its pty closed) and never record the
# status of the process: wait up to 2 s for it, else print nothing.  Tests
# that must know the status should also have a wrapper shell print it
# (sh -c '"$1"; echo "exited $?"' sh "$AIAUTH").
tmux_exit_status() {
	_n=20
	while [ "$_n" -gt 0 ]; do
		_st=$(tmux_pane_flag '?pane_dead,#{pane_dead_status},')
		[ -n "$_st" ] && { echo "$_st"; return 0; }
		sleep 0.1
		_n=$((_n - 1))
	done
}

tmux_resize() { _tm resize-window -x "$1" -y "$2"; }

# Poll every 0.1 s: the screens redraw within one wake-up of a key.
tmux_wait_for() { # tmux_wait_for REGEX [SECONDS]
	_n=$(( ${2:-10} * 10 * TEST_TIME_SCALE ))
	while [ "$_n" -gt 0 ]; do
		tmux_screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "# timed out waiting for /$1/; the screen was:"
	tmux_screen | sed 's/^/#   | /'
	return 1
}

tmux_wait_exit() { # tmux_wait_exit [SECONDS]
	_n=$(( ${1:-10} * 10 * TEST_TIME_SCALE ))
	while [ "$_n" -gt 0 ]; do
		tmux_pane_dead && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "# timed out waiting for the program to exit; the screen was:"
	tmux_screen | sed 's/^/#   | /'
	return 1
}
