#!/bin/sh
# faults_disk.sh - the encrypted file killed while it is written, and a
# full disk while the account list or the encrypted file is saved.
#
# SIGKILL: the vault (encrypted file backend) is rewritten in a loop and
# the writer killed, at moments spread over its whole run and at the moment
# its temporary file exists; after every kill the accounts still read,
# each secret holds a value that was written, and temporary files do not
# pile up.  (tests/cli/concurrency.sh does the same for accounts.json.)
#
# Full disk: XDG_CONFIG_HOME and XDG_DATA_HOME on a small tmpfs (in a
# private mount namespace), filled up; add, rename and a refresh's save then
# fail with one line that says there is no space, and accounts.json and the
# vault are intact and readable afterwards, with no temporary file left.

# The tmpfs needs a private mount namespace: start again in one (as root,
# else as root of a new user namespace), before common.sh makes anything.
if [ -z "${AIAUTH_FAULTS_MOUNT_NS:-}" ]; then
	AIAUTH_FAULTS_MOUNT_NS=none
	export AIAUTH_FAULTS_MOUNT_NS
	for _how in -m -rm; do
		if unshare $_how true 2>/dev/null; then
			AIAUTH_FAULTS_MOUNT_NS=$_how
			exec unshare $_how sh "$0" "$@"
		fi
	done
fi

. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/servers.sh"
at_exit stop_servers
no_session_bus
use_passphrase

KEEP=sk-keep-0123456789abcdef
data="$XDG_DATA_HOME/aiauth"
config="$XDG_CONFIG_HOME/aiauth"
printf '%s' "$KEEP" | "$AIAUTH" add openai --label keep >/dev/null 2>&1
run token openai --account keep
is "$OUT" "$KEEP" "an account in the encrypted file"

# churn: add an account and remove it again, for ever; every add and remove
# rewrites the whole vault.
churn() {
	_i=0
	while :; do
		_i=$((_i + 1))
		printf 'sk-ant-churn-%s' "$_i" | "$AIAUTH" add anthropic --label churn >/dev/null 2>&1
		"$AIAUTH" remove anthropic churn --yes >/dev/null 2>&1
	done
}
# kill_tree PID: the loop, then whatever aiauth it is running.
kill_tree() {
	kill -STOP "$1" 2>/dev/null
	pkill -KILL -P "$1" 2>/dev/null
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
# kill_writer LOOP: SIGKILL the aiauth whose temporary vault file exists
# now (the name carries the writer's pid; only a child of LOOP is killed,
# a left-over file may name a pid that is someone else's by now); at most
# 3 s.  Prints 1 on a catch.
kill_writer() {
	_end=$(($(date +%s) + 3))
	while [ "$(date +%s)" -lt "$_end" ]; do
		for _f in "$data"/vault.bin.tmp-*; do
			[ -e "$_f" ] || continue
			_p=${_f##*.tmp-}
			_p=${_p%%-*}
			[ "$(cut -d' ' -f4 "/proc/$_p/stat" 2>/dev/null)" = "$1" ] || continue
			if kill -KILL "$_p" 2>/dev/null; then
				echo 1
				return
			fi
		done
	done
	echo 0
}

caught=0
bad=0
k=0
while [ $k -lt 24 ]; do
	churn >/dev/null 2>&1 &
	loop=$!
	if [ $((k % 2)) -eq 0 ]; then
		# Anywhere in a cycle of add and remove (about a second).
		sleep "$(awk -v k="$k" 'BEGIN { printf "%.3f", ((k * 137) % 1100 + 30) / 1000 }')"
	else
		caught=$((caught + $(kill_writer "$loop")))
	fi
	kill_tree "$loop"
	# The kept account is intact; the churned one is absent or holds a
	# value that was written.
	"$AIAUTH" token openai --account keep >"$TEST_TMP/keep" 2>"$TEST_TMP/keep.err"
	if [ "$(cat "$TEST_TMP/keep")" != "$KEEP" ]; then
		bad=$((bad + 1))
		echo "# after kill $k: token keep: $(cat "$TEST_TMP/keep.err")"
	fi
	if "$AIAUTH" token anthropic --account churn >"$TEST_TMP/churn" 2>"$TEST_TMP/churn.err"; then
		grep -Eqx 'sk-ant-churn-[0-9]+' "$TEST_TMP/churn" || {
			bad=$((bad + 1))
			echo "# after kill $k: churn holds something never written"
		}
	elif grep -q 'corrupt\|damaged\|decrypt' "$TEST_TMP/churn.err"; then
		bad=$((bad + 1))
		echo "# after kill $k: $(cat "$TEST_TMP/churn.err")"
	fi
	k=$((k + 1))
done
echo "# $caught of 12 writers were killed with their temporary file in place"
is "$bad" 0 "after 24 SIGKILLs during vault writes every read gives a value that was written"
run list --json
is "$RC" 0 "the account list still reads"
ls "$data" | grep -v -e '^vault\.bin$' -e '^vault\.lock$' -e '\.tmp-' >"$TEST_TMP/extra"
is "$(cat "$TEST_TMP/extra")" "" "nothing was set aside as corrupt"
# One more write, uninterrupted, takes away what the killed ones left.
"$AIAUTH" remove anthropic churn --yes >/dev/null 2>&1
printf 'sk-ant-last' | "$AIAUTH" add anthropic --label churn >/dev/null 2>&1
run token anthropic --account churn
is "$OUT" sk-ant-last "a write after the kills works"
is "$(ls "$data" "$config" | grep -c '\.tmp-')" 0 "and no temporary file is left behind"

# ---------------------------------------------------------------- full disk
small="$TEST_TMP/small"
mkdir -p "$small"
if [ "$AIAUTH_FAULTS_MOUNT_NS" = none ]; then
	why="unshare cannot make a mount namespace here"
elif ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$small" 2>"$TEST_TMP/mount.err"; then
	why="cannot mount a tmpfs: $(head -1 "$TEST_TMP/mount.err")"
elif ! command -v "$NODE" >/dev/null 2>&1; then
	why="node is not installed"
else
	why=
fi
if [ -n "$why" ]; then
	ok 0 "full disk # SKIP $why"
	done_testing
fi
unmount_small() { umount "$small"; }
at_exit unmount_small
# Everything of aiauth's on the small file system from now on.
XDG_CONFIG_HOME="$small/config"
XDG_DATA_HOME="$small/data"
export XDG_CONFIG_HOME XDG_DATA_HOME
config="$XDG_CONFIG_HOME/aiauth"
data="$XDG_DATA_HOME/aiauth"

# An OAuth account whose refresh works against token_stub.js: Google,
# imported from a Gemini CLI file, its token endpoint moved to the stub.
# The stub keeps the refresh token (no rotation) and hands out access
# tokens that expire at once, so every `token` refreshes and saves.
"$NODE" "$top_srcdir/tests/servers/token_stub.js" --port 0 --port-file "$TEST_TMP/stub.port" \
	>"$TEST_TMP/stub.out" 2>&1 &
_servers_pids="$_servers_pids $!"
i=0
while [ ! -s "$TEST_TMP/stub.port" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
STUB="http://127.0.0.1:$(cat "$TEST_TMP/stub.port")"
"$NODE" -e '
fetch(process.argv[1] + "/control", { method: "POST", body: JSON.stringify({ rotate: false, expires_in: 1 }),
	signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
' "$STUB"
ok $? "the token stub is up, without rotation"
mkdir -p "$config" "$HOME/.gemini"
printf '{"version":1,"providers":{"google":{"oauth":{"token_endpoint":"%s/token","client_id":"c"}}}}\n' \
	"$STUB" >"$config/providers.json"
printf '{"access_token":"ya29.old","refresh_token":"rt-disk-0","token_type":"Bearer","expiry_date":1000}' \
	>"$HOME/.gemini/oauth_creds.json"
printf '%s' "$KEEP" | "$AIAUTH" add openai --label keep >/dev/null 2>&1
# A long key makes the vault several pages long, the account list one.
BIG=$(head -c 12000 /dev/zero | tr '\0' k)
printf 'sk-%s' "$BIG" | "$AIAUTH" add openai --label big >/dev/null 2>&1
run import gemini
is "$RC" 0 "a Google account is imported"
google=$(json_get "$("$AIAUTH" list --json)" 'j.accounts.find(a => a.provider == "google").label')
run token google
is "$RC" 0 "its token refreshes and is saved while there is room"

sums() { cksum "$config/accounts.json" "$data/vault.bin"; }
tmps() { ls -a "$config" "$data" | grep -c '\.tmp-'; }
labels() { json_get "$("$AIAUTH" list --json)" 'j.accounts.map(a => a.label).sort().join()'; }
all="big,$google,keep"
is "$(labels)" "$all" "three accounts"

# Room for a new account list but not for a new vault: the account is
# added to the list, its secret cannot be saved, and the list is put back.
page=4096
pad=$(( ($(wc -c <"$config/accounts.json") + 1024 + page - 1) / page * page ))
head -c "$pad" /dev/zero >"$small/pad"
dd if=/dev/zero of="$small/fill" bs=$page 2>/dev/null
rm -f "$small/pad"
vault_before=$(cksum <"$data/vault.bin")
run --stdin sk-ant-half-0123456789 add anthropic --label half
echo "# $pad bytes free, add: exit $RC: $ERR"
ok $((RC == 0)) "room for the list only, add: fails"
one_line_error "room for the list only, add: one line on stderr"
like "$ERR" '[Nn]o space' "room for the list only, add: which says there is no space"
is "$(labels)" "$all" "room for the list only, add: no account was left half made"
is "$(cksum <"$data/vault.bin")" "$vault_before" "room for the list only, add: the vault is unchanged"
is "$(tmps)" 0 "room for the list only, add: no temporary file is left"

before=$(sums)
# Fill the rest: the last page goes too.
dd if=/dev/zero of="$small/fill2" bs=$page 2>/dev/null
df -k "$small" | sed -n '2s/^/# /p'

# check_full WHAT: the common assertions on the last run.
check_full() {
	echo "# $1: exit $RC: $ERR"
	ok $((RC == 0)) "full disk, $1: fails"
	one_line_error "full disk, $1: one line on stderr"
	like "$ERR" '[Nn]o space' "full disk, $1: which says there is no space"
	is "$(sums)" "$before" "full disk, $1: accounts.json and the vault are unchanged"
	is "$(tmps)" 0 "full disk, $1: no temporary file is left"
}
run --stdin sk-ant-new-0123456789 add anthropic --label new
check_full "add"
run rename openai keep kept
check_full "rename"
run token google
check_full "refresh"
like "$ERR" "refreshed but its new tokens could not be saved" "full disk, refresh: and that the new tokens were not saved"
is "$(labels)" "$all" "full disk: the accounts still read, the same three"
run token openai --account keep
is "$OUT" "$KEEP" "full disk: the key still reads"

rm -f "$small/fill" "$small/fill2"
run token google
is "$RC" 0 "with room again the Google account refreshes with its kept refresh token"
run rename openai keep kept
is "$RC" 0 "rename works again"
run --stdin sk-ant-new-0123456789 add anthropic --label new
is "$RC" 0 "add works again"
run token openai --account kept
is "$OUT" "$KEEP" "and the key is as it was"
run token openai --account big
is "$OUT" "sk-$BIG" "and so is the long one"
is "$(tmps)" 0 "no temporary file anywhere"

done_testing
