#!/bin/sh
# basics.sh - the screens' framework in a real terminal (tmux): the first
# screen, the help overlay, resizing (and a window too small), NO_COLOR, a
# non-UTF-8 locale, quitting with q and with Ctrl-C, the terminal left as
# it was found, and the refusal to run without a terminal.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tmux.sh"
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
no_session_bus

# The welcome screen until an account exists (its title; a screen whose
# hooks are not written yet shows its name, "welcome").
WELCOME='Welcome to aiauth|^ *welcome$'

# Without a terminal: one line, exit 2, nothing drawn.
run
is "$RC" 2 "without a terminal aiauth exits 2"
one_line_error "and says so in one line"
like "$ERR" "need a terminal.*aiauth --help" "the line points at the commands"

# A wrapper prints a line before and after, so the screen left behind can
# be read, and passes aiauth's status on as the pane's.
start_wrapped() { # start_wrapped COLS ROWS
	tmux_start "$1" "$2" sh -c 'echo "before aiauth"; "$1"; s=$?; echo "aiauth exited $s"; exit $s' \
		sh "$AIAUTH"
}

# ------------------------------------------------------------ first screen
start_wrapped 100 32
tmux_wait_for "$WELCOME"
ok $? "the first run shows the welcome screen"
is "$(tmux_pane_flag alternate_on)" 1 "on the alternate screen"
unlike "$(tmux_screen)" "before aiauth" "which hides what was there"
like "$(tmux_screen | tail -1)" '\? help' "the bottom row has the key bar"

tmux_keys '?'
tmux_wait_for 'Everywhere'
ok $? "? opens the help"
screen=$(tmux_screen)
like "$screen" '\? +help' "the help lists ? (from the global keys)"
like "$screen" 'Esc +back' "and Esc"
like "$screen" 'Ctrl-C +quit' "and Ctrl-C"
tmux_keys Escape
sleep 0.3
tmux_wait_for "$WELCOME"
ok $? "Esc closes the help"
unlike "$(tmux_screen)" 'Everywhere' "and the help is gone"

tmux_keys Escape
sleep 0.3
tmux_pane_dead
ok $((!$?)) "Esc on the first screen does not close it"

# ------------------------------------------------------------------ resize
tmux_resize 80 24
tmux_wait_for "$WELCOME"
ok $? "at 80x24 the screen is still laid out"
is "$(tmux_screen | wc -l | tr -d ' ')" 24 "over 24 rows"
tmux_resize 100 32
tmux_wait_for "$WELCOME"
ok $? "and again at 100x32"
tmux_resize 40 10
tmux_wait_for 'enlarge the window'
ok $? "40x10 asks for a larger window"
like "$(tmux_screen | tr '\n' ' ')" '80.24 +\(now 40.10\)' "and says how large it is"
unlike "$(tmux_screen)" "$WELCOME" "instead of the screen"
tmux_keys '?'
sleep 0.3
unlike "$(tmux_screen)" 'Everywhere' "keys other than quit are ignored while too small"
tmux_resize 100 32
tmux_wait_for "$WELCOME"
ok $? "it recovers when the window is large again"
unlike "$(tmux_screen)" 'enlarge' "and the message is gone"

# -------------------------------------------------------------------- quit
tmux_keys q
tmux_wait_exit
ok $? "q quits"
# tmux may scroll the restored main screen by a row: read its scrollback.
screen=$(tmux_scrollback)
like "$screen" "before aiauth" "the screen from before is back (the alternate screen is left)"
like "$screen" "aiauth exited 0" "with status 0 (as the shell saw it)"
st=$(tmux_exit_status)
[ -z "$st" ] || [ "$st" = 0 ]
ok $? "and as tmux saw it, when it did ('$st')"
is "$(tmux_pane_flag alternate_on)" 0 "the terminal is off the alternate screen"
unlike "$screen" 'Sanitizer|runtime error' "nothing leaked or misbehaved (sanitizer builds)"
is "$(tmux_pane_flag keypad_flag)" 0 "and keypad mode is off"
tmux_stop

# ------------------------------------------------------------------ Ctrl-C
# After aiauth, cat -v shows what a paste sends: markers would mean that
# bracketed paste was left on.
# The shell ignores SIGINT (as an interactive one would); aiauth sets its own.
tmux_start 100 32 sh -c 'trap "" INT; "$1"; echo "aiauth exited $?"; exec cat -v' sh "$AIAUTH"
tmux_wait_for "$WELCOME"
ok $? "started again"
tmux_keys C-c
tmux_wait_for "aiauth exited"
ok $? "Ctrl-C quits"
like "$(tmux_screen)" "aiauth exited 130" "with the status of an interrupt"
unlike "$(tmux_scrollback)" 'Sanitizer|runtime error' "and cleanly (sanitizer builds)"
is "$(tmux_pane_flag alternate_on)" 0 "the terminal is restored"
tmux_paste "pasted-after"
tmux_keys Enter
tmux_wait_for '^pasted-after$'
ok $? "bracketed paste is off again (no markers around a paste)"
unlike "$(tmux_screen)" '\^\[\[20[01]~' "no bracketed-paste markers"
tmux_stop

# SIGTERM is the same: a flag, a clean exit.  (The shell reports the
# status: tmux does not always get a killed pane's status.)
tmux_start 100 32 sh -c '"$1"; echo "aiauth exited $?"; exec sleep 60' sh "$AIAUTH"
tmux_wait_for "$WELCOME"
ok $? "started again"
pid=$(ps -o pid= --ppid "$(tmux_pane_flag pane_pid)" | tr -d ' ')
[ -n "$pid" ] && kill -TERM "$pid"
tmux_wait_for "aiauth exited"
ok $? "SIGTERM ends it"
like "$(tmux_screen)" "aiauth exited 143" "with the status of a SIGTERM"
is "$(tmux_pane_flag alternate_on)" 0 "and restores the terminal"
tmux_stop

# ----------------------------------------------------------- AIAUTH_DEBUG=1
# Trace lines on standard error would scribble over the screens: while they
# own the terminal, nothing is written to it; once they close, lines come
# again.
saved_debug=$AIAUTH_DEBUG
AIAUTH_DEBUG=1
tmux_start 100 32 sh -c '"$1"; echo "aiauth exited $?"; exec sleep 60' sh "$AIAUTH"
AIAUTH_DEBUG=$saved_debug
tmux_wait_for "$WELCOME"
ok $? "with AIAUTH_DEBUG=1 the screens start"
tmux_keys '?'
tmux_wait_for 'Everywhere'
tmux_keys Escape
sleep 0.3
unlike "$(tmux_screen)" 'aiauth\[debug\]' "and no trace line reaches the terminal while they run"
tmux_keys q
tmux_wait_for "aiauth exited"
screen=$(tmux_scrollback)
like "$screen" 'aiauth\[debug\] .*the screens own the terminal' \
	"the last line before them says why the trace stops"
like "$screen" 'aiauth\[debug\] .*exit status 0' "and lines come again once they closed"
tmux_stop

# ---------------------------------------------------------------- NO_COLOR
# Colours are SGR 30-37/38;5;N/90-97 (and their backgrounds).
# 39 and 49 are "default colour", which tmux writes after any reset.
colour_sgr='\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m'
tmux_start 100 32 "$AIAUTH"
tmux_wait_for "$WELCOME"
tmux_keys '?'
tmux_wait_for 'Everywhere'
printf '%s\n' "$(tmux_screen_attrs)" | grep -Eq "$colour_sgr"
ok $? "with colours, the screen has colours (the check below can fail)"
tmux_stop
export NO_COLOR=1
tmux_start 100 32 "$AIAUTH"
tmux_wait_for "$WELCOME"
ok $? "NO_COLOR renders"
tmux_keys '?'
tmux_wait_for 'Everywhere'
unlike "$(tmux_screen_attrs)" "$colour_sgr" "without any colour"
like "$(tmux_screen_attrs)" '\[1m|\[7m' "but with bold or reverse"
tmux_stop
unset NO_COLOR

# ----------------------------------------------------------- ASCII locale
TMUX_LANG=C
tmux_start 100 32 "$AIAUTH"
tmux_wait_for "$WELCOME"
ok $? "a non-UTF-8 locale renders"
tmux_keys '?'
tmux_wait_for 'Everywhere'
screen=$(tmux_screen)
unlike "$screen" 'â|Ã|[^ -~]' "in plain ASCII (no mojibake, no stray bytes)"
like "$screen" '\+-+ Keys -+\+' "boxes are drawn with + - |"
tmux_resize 40 10
tmux_wait_for 'enlarge'
like "$(tmux_screen | tr '\n' ' ')" '80x24' "the small-window message uses x, not a multiplication sign"
tmux_stop
TMUX_LANG=

done_testing
