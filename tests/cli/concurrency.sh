#!/bin/sh
# concurrency.sh - many processes at once: the round-robin cursor is shared
# fairly, and a process killed while saving leaves a readable store.
. "$top_srcdir/tests/lib/common.sh"
no_session_bus
use_passphrase
secret_watch pool-token-1 pool-token-2 pool-token-3 pool-token-4

for n in 1 2 3 4; do
	printf 'pool-token-%s' "$n" | "$AIAUTH" add claude --token --label "pool$n" >/dev/null 2>&1
	"$AIAUTH" rr join claude "pool$n" >/dev/null 2>&1
done
run list --json
is "$(json_get "$OUT" 'j.accounts.filter(a => a.round_robin).length')" 4 "four accounts are in the pool"

i=0
pids=""
while [ $i -lt 20 ]; do
	"$AIAUTH" token claude >"$TEST_TMP/tok.$i" 2>"$TEST_TMP/tokerr.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
is "$failed" 0 "20 concurrent token calls all succeed"
cat "$TEST_TMP"/tok.* | sort | uniq -c | awk '{print $2 "=" $1}' >"$TEST_TMP/counts"
is "$(tr '\n' ' ' <"$TEST_TMP/counts")" \
	"pool-token-1=5 pool-token-2=5 pool-token-3=5 pool-token-4=5 " \
	"each pool account is served exactly 5 times"
run list --json
is "$RC" 0 "the account file is intact afterwards"
is "$(json_get "$OUT" 'j.accounts.length')" 4 "with all four accounts"

# SIGKILL during saves: the store stays readable, old or new, never torn.
config="$XDG_CONFIG_HOME/aiauth"
k=0
while [ $k -lt 25 ]; do
	( while :; do
		"$AIAUTH" rename claude pool1 pool1-renamed >/dev/null 2>&1
		"$AIAUTH" rename claude pool1-renamed pool1 >/dev/null 2>&1
	done ) &
	loop=$!
	sleep "0.0$(( (k % 9) + 1 ))"
	# Kill the loop and whatever aiauth it is running, mid-write or not.
	pkill -KILL -P "$loop" 2>/dev/null
	kill -KILL "$loop" 2>/dev/null
	wait "$loop" 2>/dev/null
	k=$((k + 1))
done
run list --json
is "$RC" 0 "after 25 SIGKILLs during saves the store still reads"
is "$(json_get "$OUT" 'j.accounts.length')" 4 "and still holds the four accounts"
ls "$config" | grep -v -e '^accounts\.json$' -e '^accounts\.lock$' -e '\.tmp-' >"$TEST_TMP/extra"
is "$(cat "$TEST_TMP/extra")" "" "nothing was set aside as corrupt"

done_testing
