#!/bin/sh
# replay.sh - run every fuzz target over its seed corpus (tests/fuzz/
# corpus/NAME): an input that once crashed a parser, or tripped a sanitizer,
# fails here for good.  In a plain build the targets have replay.c's main;
# in a fuzzing build (--enable-fuzzing) they are libFuzzer binaries, run with
# -runs=0 so that they only execute the corpus.
. "$(dirname "$0")/../lib/common.sh"

: "${FUZZ_NAMES:=token device loopback paste models providers accounts credfiles vault}"
for name in $FUZZ_NAMES; do
	bin="$top_builddir/tests/fuzz/fuzz_$name"
	corpus="$top_srcdir/tests/fuzz/corpus/$name"
	seeds=$(find "$corpus" -type f | wc -l)
	if [ "$seeds" -lt 3 ]; then
		ok 1 "$name: a seed corpus of at least 3 inputs ($seeds)"
		continue
	fi
	if [ "${FUZZ_MODE:-replay}" = libfuzzer ]; then
		"$bin" -runs=0 "$corpus" >"$TEST_TMP/out" 2>&1
	else
		"$bin" "$corpus" >"$TEST_TMP/out" 2>&1
	fi
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok 0 "$name: $seeds inputs replayed without a finding"
	else
		ok 1 "$name: replaying $seeds inputs (exit $rc)"
		tail -30 "$TEST_TMP/out" | sed 's/^/#   /'
	fi
	if [ "${FUZZ_MODE:-replay}" = replay ]; then
		is "$(cat "$TEST_TMP/out")" "replayed $seeds inputs" "$name: every input was run"
	fi
done
done_testing
