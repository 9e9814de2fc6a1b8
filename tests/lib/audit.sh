# audit.sh - the secrets audit (issue 6), sourced by common.sh, so every
# shell test gets it: at the end of the test (done_testing) no secret value
# may appear
#   - in any file under HOME and the XDG directories (those inside the
#     test's private TEST_TMP), except the keyring's own files
#     ($XDG_DATA_HOME/keyrings) and the files a test wrote secrets to on
#     purpose (audit_allow: the CLI credential files of `aiauth sync`);
#     the encrypted vault is scanned too: it must not hold a value in the
#     clear (nor base64 or hex of one);
#   - in the debug output: AIAUTH_DEBUG=$TEST_TMP/debug.log for every test,
#     so every flow of the suite traces; a test that started a test server
#     must also have traced HTTP (the audit cannot pass on an empty log);
#   - in any screen captured (tests/lib/tmux.sh keeps every capture and
#     everything the program wrote to the terminal; other terminals are
#     added with audit_screen and audit_scan);
#   - in /proc/PID/cmdline and /proc/PID/environ of a running aiauth, as
#     sampled by audit_proc.
# Each place gets a TAP line ("ok N - audit: ..."), so a leak fails the
# test; the lines say where and which value (its first characters only).
#
# The secrets: every value given to secret_watch (keys, passphrases a
# test uses) and every token the test servers hand out (oidc_server.js,
# token_stub.js and device_stub.js append access, refresh and id tokens,
# authorization and device codes, and PKCE verifiers they receive, to
# $AIAUTH_TEST_ISSUED).  Values shorter than 12 bytes are passed over (they
# would match innocent text).  Each value is looked for as it is, base64
# (standard and URL-safe, at the three alignments), hex, percent-encoded
# and JSON-escaped.
#
#   secret_watch VALUE...     look for these values too
#   audit_allow PATH...       files that hold secrets on purpose (the CLI
#                             files a test asked `aiauth sync` to write)
#   audit_screen TEXT         a screen captured outside tests/lib/tmux.sh
#   CMD | audit_tee           the same for a capture piped through
#   audit_scan FILE...        more files to scan as screens (terminal logs)
#   audit_proc PID [WHAT]     sample cmdline and environ of aiauth: PID, or
#                             the aiauth processes below it (timeout, a
#                             tmux pane's shell); no aiauth there is a
#                             failure.  A process that ran `aiauth exec` has
#                             become the command it runs, whose environment
#                             holds the key by design: it is not aiauth any
#                             more and is never sampled (do not call
#                             audit_proc on it).
#   audit_expect_http no      this test starts servers but runs no aiauth
#                             request against them (no HTTP trace expected)
#
# Needs only POSIX tools (awk, grep, find, tr, ps).

AUDIT_DIR="$TEST_TMP/audit"
mkdir -p "$AUDIT_DIR/proc"
: >"$AUDIT_DIR/watched"
: >"$AUDIT_DIR/allowed"
: >"$AUDIT_DIR/extra"
: >"$AUDIT_DIR/screens"
AIAUTH_TEST_ISSUED="$AUDIT_DIR/issued"
: >"$AIAUTH_TEST_ISSUED"
AIAUTH_DEBUG="$TEST_TMP/debug.log"
export AIAUTH_TEST_ISSUED AIAUTH_DEBUG
_audit_home0=$HOME
_audit_servers=
_audit_http=yes

secret_watch() {
	for _aw in "$@"; do printf '%s\n' "$_aw" >>"$AUDIT_DIR/watched"; done
}
audit_allow() {
	for _aw in "$@"; do printf '%s\n' "$_aw" >>"$AUDIT_DIR/allowed"; done
}
audit_scan() {
	for _aw in "$@"; do printf '%s\n' "$_aw" >>"$AUDIT_DIR/extra"; done
}
audit_screen() { printf '%s\n' "$1" >>"$AUDIT_DIR/screens"; }
audit_tee() { tee -a "$AUDIT_DIR/screens"; }
audit_expect_http() { _audit_http=$1; }
# servers.sh and oidc.sh set _audit_servers=1 when a test server starts.

# Every process below PID (children, grandchildren...).
_audit_descendants() {
	ps -e -o pid= -o ppid= 2>/dev/null | awk -v root="$1" '
		{ parent[$1] = $2; pids[++n] = $1 }
		END {
			for (i = 1; i <= n; i++) {
				p = pids[i]; q = parent[p]
				for (d = 0; d < 64 && q != "" && q != 0; d++) {
					if (q == root) { print p; break }
					q = parent[q]
				}
			}
		}'
}

# Is PID running the aiauth binary?  /proc/PID/exe needs the right to
# trace it, which a non-root user lacks for aiauth (it makes itself
# undumpable): its name must do then.
_audit_is_aiauth() {
	# Under make check-valgrind, aiauth runs inside valgrind's own process
	# (tests/valgrind-aiauth): that process, whose command line names the
	# real binary, is the one whose cmdline and environ hold aiauth's.
	if [ -n "${AIAUTH_REAL:-}" ]; then
		tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$AIAUTH_REAL"
		return
	fi
	_ai_exe=$(readlink "/proc/$1/exe" 2>/dev/null)
	if [ -n "$_ai_exe" ]; then
		[ "$_ai_exe" = "$(readlink -f "$AIAUTH")" ]
	else
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$(basename "$AIAUTH")" ]
	fi
}

# How many processes audit_proc sampled.
_audit_nproc() { find "$AUDIT_DIR/proc" -name '*.what' | wc -l | tr -d ' '; }

audit_proc() { # audit_proc PID [WHAT]
	_ap_what=${2:-process $1}
	_ap_found=0
	for _ap_pid in "$1" $(_audit_descendants "$1"); do
		_audit_is_aiauth "$_ap_pid" || continue
		# Numbered by the files already there: audit_proc may run in a
		# subshell ($(...)), where a counter would be lost.
		_ap_f="$AUDIT_DIR/proc/$(($(_audit_nproc) + 1))"
		tr '\0' '\n' <"/proc/$_ap_pid/cmdline" >"$_ap_f.cmdline" 2>/dev/null
		[ -s "$_ap_f.cmdline" ] || continue # it ended meanwhile
		if ! tr '\0' '\n' <"/proc/$_ap_pid/environ" >"$_ap_f.environ" 2>/dev/null; then
			# Not root: an undumpable process's environment is closed to us
			# (nobody else can read it either).
			: >"$_ap_f.environ"
			echo "environ not readable" >"$_ap_f.note"
		fi
		printf '%s (pid %s)\n' "$_ap_what" "$_ap_pid" >"$_ap_f.what"
		_ap_found=1
	done
	[ "$_ap_found" = 1 ] || printf '%s\n' "$_ap_what" >>"$AUDIT_DIR/proc-missed"
	return 0
}

# The needles: for every secret of 12 bytes or more, one line
# "KIND<TAB>NEEDLE", for each of its encodings.
_audit_needles() {
	cat "$AUDIT_DIR/watched" "$AIAUTH_TEST_ISSUED" 2>/dev/null | LC_ALL=C awk '
	BEGIN {
		B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
	}
	# The base64 of the whole 3-byte groups of s: what any base64 text
	# holding s at a group boundary contains.
	function b64(s,    n, i, v, out) {
		n = length(s) - length(s) % 3
		out = ""
		for (i = 1; i <= n; i += 3) {
			v = ord[substr(s, i, 1)] * 65536 + ord[substr(s, i + 1, 1)] * 256 + ord[substr(s, i + 2, 1)]
			out = out substr(B64, int(v / 262144) + 1, 1) substr(B64, int(v / 4096) % 64 + 1, 1) \
			          substr(B64, int(v / 64) % 64 + 1, 1) substr(B64, v % 64 + 1, 1)
		}
		return out
	}
	function hex(s,    i, out) {
		out = ""
		for (i = 1; i <= length(s); i++) out = out sprintf("%02x", ord[substr(s, i, 1)])
		return out
	}
	function pct(s, plus,    i, c, out) {
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c ~ /[A-Za-z0-9._~-]/) out = out c
			else if (plus && c == " ") out = out "+"
			else out = out sprintf("%%%02X", ord[c])
		}
		return out
	}
	# JSON text of s (what yajl writes, solidus escaped or not); a loop,
	# as awks differ on backslashes in gsub replacements.
	function jesc(s, solidus,    i, c, out) {
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\\" || c == "\"" || (solidus && c == "/")) out = out "\\" c
			else out = out c
		}
		return out
	}
	function emit(kind, n) { if (length(n) >= 12 && !((kind, n) in seen)) { seen[kind, n] = 1; print kind "\t" n } }
	length($0) >= 12 && !($0 in done) {
		done[$0] = 1
		emit("raw", $0)
		for (k = 0; k < 3; k++) {
			b = b64(substr($0, k + 1))
			emit("base64", b)
			u = b; gsub(/\+/, "-", u); gsub(/\//, "_", u)
			emit("base64url", u)
		}
		emit("hex", hex($0))
		p = pct($0, 0); if (p != $0) emit("percent-encoded", p)
		p = pct($0, 1); if (p != $0) emit("form-encoded", p)
		j = jesc($0, 0); if (j != $0) emit("JSON-escaped", j)
		j = jesc($0, 1); if (j != $0) emit("JSON-escaped", j)
	}'
}

# _audit_check DESCRIPTION FILE...: one TAP line; a hit names the file, the
# encoding and the value's first characters.
_audit_check() {
	_ac_desc=$1
	shift
	_ac_hits=""
	if [ $# -gt 0 ] && [ -s "$AUDIT_DIR/patterns" ]; then
		_ac_hits=$(grep -l -F -f "$AUDIT_DIR/patterns" -- "$@" 2>/dev/null)
	fi
	if [ -z "$_ac_hits" ]; then
		ok 0 "audit: $_ac_desc"
		return
	fi
	ok 1 "audit: $_ac_desc"
	printf '%s\n' "$_ac_hits" | while IFS= read -r _ac_f; do
		while IFS="$(printf '\t')" read -r _ac_kind _ac_n; do
			grep -q -F -e "$_ac_n" -- "$_ac_f" 2>/dev/null || continue
			printf '#   %s holds a secret (%s): %.6s...\n' "$_ac_f" "$_ac_kind" "$_ac_n"
		done <"$AUDIT_DIR/needles"
	done | head -20
}

# Files under the test's HOME and XDG directories, less the keyring's and
# the allowed ones.
_audit_home_files() {
	for _ah_d in "$_audit_home0" "$HOME" "${XDG_CONFIG_HOME:-}" "${XDG_DATA_HOME:-}" \
		"${XDG_STATE_HOME:-}" "${XDG_CACHE_HOME:-}" "${XDG_RUNTIME_DIR:-}"; do
		case $_ah_d in
		"$TEST_TMP"/*) [ -d "$_ah_d" ] && printf '%s\n' "$_ah_d" ;;
		esac
	done | sort -u | while IFS= read -r _ah_d; do
		find "$_ah_d" -type f 2>/dev/null
	done | sort -u | while IFS= read -r _ah_f; do
		case $_ah_f in
		"${XDG_DATA_HOME:-/nonexistent}"/keyrings/*) continue ;;
		esac
		grep -qxF -- "$_ah_f" "$AUDIT_DIR/allowed" && continue
		printf '%s\n' "$_ah_f"
	done
}

_audit_run() {
	_audit_needles >"$AUDIT_DIR/needles"
	cut -f2- "$AUDIT_DIR/needles" >"$AUDIT_DIR/patterns"
	_ar_secrets=$(cut -f1 "$AUDIT_DIR/needles" | grep -c '^raw$')
	echo "# audit: $_ar_secrets secret value(s) of 12 bytes or more are looked for"

	_audit_home_files >"$AUDIT_DIR/home-files"
	set --
	while IFS= read -r _ar_f; do set -- "$@" "$_ar_f"; done <"$AUDIT_DIR/home-files"
	_audit_check "no secret in the $# file(s) under HOME and XDG (keyring and $(grep -c . "$AUDIT_DIR/allowed") allowed file(s) aside)" "$@"

	set --
	[ -f "$AIAUTH_DEBUG" ] && set -- "$AIAUTH_DEBUG"
	_audit_check "no secret in the debug output ($(cat "$AIAUTH_DEBUG" 2>/dev/null | wc -l | tr -d ' ') line(s))" "$@"
	if [ -s "$AIAUTH_DEBUG" ]; then
		_ar_bad=$(grep -v -c '^aiauth\[debug\] [0-9]*\.[0-9][0-9][0-9] \[[0-9]*\] ' "$AIAUTH_DEBUG")
		is "$_ar_bad" 0 "audit: every debug line has the trace format"
	fi
	if [ -n "$_audit_servers" ] && [ "$_audit_http" != no ]; then
		grep -q '^aiauth\[debug\] [0-9.]* \[[0-9]*\] http ' "$AIAUTH_DEBUG" 2>/dev/null
		ok $? "audit: the debug output traced the test's HTTP requests (it was not empty)"
	fi

	# Screens: as captured, and with rows joined (a long value wraps).
	sort -u "$AUDIT_DIR/extra" >"$AUDIT_DIR/extra-files"
	while IFS= read -r _ar_f; do
		[ -f "$_ar_f" ] && cat -- "$_ar_f"
	done <"$AUDIT_DIR/extra-files" >"$AUDIT_DIR/extra-screens"
	cat "$AUDIT_DIR/screens" "$AUDIT_DIR/extra-screens" | tr -d '\n' >"$AUDIT_DIR/screens-joined"
	if [ -s "$AUDIT_DIR/screens" ] || [ -s "$AUDIT_DIR/extra-screens" ]; then
		_audit_check "no secret on the $(grep -c . "$AUDIT_DIR/screens") captured screen row(s) or in $(grep -c . "$AUDIT_DIR/extra-files") terminal log(s)" \
			"$AUDIT_DIR/screens" "$AUDIT_DIR/extra-screens" "$AUDIT_DIR/screens-joined"
	fi

	if [ "$(_audit_nproc)" -gt 0 ] || [ -s "$AUDIT_DIR/proc-missed" ]; then
		set --
		for _ar_f in "$AUDIT_DIR"/proc/*.cmdline "$AUDIT_DIR"/proc/*.environ; do
			[ -f "$_ar_f" ] && set -- "$@" "$_ar_f"
		done
		_audit_check "no secret in /proc cmdline or environ of the $(_audit_nproc) aiauth process(es) sampled" "$@"
		[ -s "$AUDIT_DIR/proc-missed" ] && sed 's/^/#   no aiauth process to sample: /' "$AUDIT_DIR/proc-missed"
		ok $([ ! -s "$AUDIT_DIR/proc-missed" ]; echo $?) "audit: every audit_proc found aiauth running"
		grep -h . "$AUDIT_DIR"/proc/*.note 2>/dev/null | sort | uniq -c | sed 's/^ */#   /'
	fi
}
